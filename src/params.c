/*
 * params.c - the parameter tables behind opts_init, `-p name=value`,
 * `--help` and the params recorded in the runs table.
 *
 * One table per stage, in the manner of CRFsuite: name, type, default,
 * help, and where the value lives in the stage's options struct. Defaults,
 * parsing and the JSON record are all derived from the table, so a new
 * parameter is one line.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "rl_config.h"

#define P(st, type, ptype, field, def, lo, hi, help) \
	{ { #field, type, def, help, NULL }, ptype, offsetof(st, field), lo, \
	  hi }
/* An enum-valued field: its values' names, in the enum's order. */
#define E(st, field, names, def, help) \
	{ { #field, "enum", def, help, names }, RL_PT_ENUM, \
	  offsetof(st, field), 0, 0 }

/* The names of the enums' values, indexed by value: the one list the
 * parameter tables parse and the rl_*_name functions print. */
static const char *const prior_names[] = { "seeds", "uniform", "auto",
					   "none", NULL };
static const char *const vote_names[] = { "weighted", "majority", NULL };
static const char *const classifier_names[] = { "logreg", "nb", "cnb",
						"auto", "pool", "choose",
						NULL };
static const char *const vectors_names[] = { "tfidf", "lsa", "auto",
					     NULL };

/* The table stores an enum through an int. */
_Static_assert(sizeof(rl_prior) == sizeof(int) &&
	       sizeof(rl_vote) == sizeof(int) &&
	       sizeof(rl_classifier) == sizeof(int) &&
	       sizeof(rl_vectors) == sizeof(int), "enums are not ints");

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

#define N_OF(a) (sizeof a / sizeof a[0] - 1)

const char *rl_prior_name(rl_prior p)
{
	return name_of(prior_names, N_OF(prior_names), (int)p);
}

const char *rl_vote_name(rl_vote v)
{
	return name_of(vote_names, N_OF(vote_names), (int)v);
}

const char *rl_classifier_name(rl_classifier c)
{
	return name_of(classifier_names, N_OF(classifier_names), (int)c);
}

const char *rl_vectors_name(rl_vectors v)
{
	return name_of(vectors_names, N_OF(vectors_names), (int)v);
}

const rl_param_def rl_tokenize_params[] = {
	P(rl_tokenize_opts, "string", RL_PT_STRING, language, "en", 0, 0,
	  "lexicon folder to use (lexicons/<language>/)"),
	P(rl_tokenize_opts, "bool", RL_PT_BOOL, stopwords, "1", 0, 1,
	  "drop the language's stop words"),
	P(rl_tokenize_opts, "bool", RL_PT_BOOL, stem, "1", 0, 1,
	  "reduce words to their Snowball stem"),
	P(rl_tokenize_opts, "int", RL_PT_BOOL, negation, "1", 0, 2,
	  "words after a negation up to punctuation: 0 as they are, "
	  "1 prefixed with not_, 2 as they are and with not_ too"),
	P(rl_tokenize_opts, "int", RL_PT_INT, min_len, "1", 1, 100,
	  "drop word tokens shorter than this many characters"),
	P(rl_tokenize_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
	P(rl_tokenize_opts, "string", RL_PT_STRING, lexicon_dir,
	  "", 0, 0, "folder holding the lexicons (empty: the installed ones, "
	  "else the source tree's)"),
};
const size_t rl_tokenize_nparams =
	sizeof rl_tokenize_params / sizeof rl_tokenize_params[0];

const rl_param_def rl_vectorize_params[] = {
	P(rl_vectorize_opts, "int", RL_PT_INT, ngram_max, "2", 1, 2,
	  "longest n-gram of terms: 1 unigrams, 2 also bigrams"),
	P(rl_vectorize_opts, "int", RL_PT_INT, min_df, "2", 1, 1000000,
	  "drop features found in fewer reviews"),
	P(rl_vectorize_opts, "double", RL_PT_DOUBLE, max_df, "1", 0.0001,
	  1, "drop features found in more than this share of reviews"),
	P(rl_vectorize_opts, "int", RL_PT_INT, max_features, "200000", 0,
	  100000000, "keep at most this many, the most frequent (0: all)"),
	P(rl_vectorize_opts, "bool", RL_PT_BOOL, sublinear, "1", 0, 1,
	  "term frequency tf counts as 1 + ln tf"),
	P(rl_vectorize_opts, "int", RL_PT_INT, dim, "100", 1, 1000,
	  "dimensions of the LSA vectors"),
	P(rl_vectorize_opts, "int", RL_PT_INT, lsa_features, "50000", 100,
	  100000000, "LSA is learned from this many most frequent features"),
	P(rl_vectorize_opts, "int", RL_PT_INT, n_iter, "3", 0, 20,
	  "power iterations of the randomized SVD"),
	P(rl_vectorize_opts, "int", RL_PT_INT, seed, "1", 0, 2147483647,
	  "seed of the random projection"),
	P(rl_vectorize_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
	P(rl_vectorize_opts, "int", RL_PT_INT, lsa_sample, "500000", 0,
	  2147483647, "LSA is learned from this many reviews at most, "
	  "drawn with seed (0: all)"),
	P(rl_vectorize_opts, "int", RL_PT_INT, batch, "16384", 1, 10000000,
	  "reviews read, vectorized and written at a time"),
};
const size_t rl_vectorize_nparams =
	sizeof rl_vectorize_params / sizeof rl_vectorize_params[0];

const rl_param_def rl_graph_params[] = {
	E(rl_graph_opts, vectors, vectors_names, "auto",
	  "vectors to compare: tfidf, lsa, or auto (tfidf up to "
	  "auto_tfidf_below reviews, lsa above)"),
	P(rl_graph_opts, "int", RL_PT_INT, auto_tfidf_below, "50000", 0,
	  2147483647, "with vectors=auto, use tfidf below this many reviews"),
	P(rl_graph_opts, "int", RL_PT_INT, k, "10", 1, 200,
	  "neighbours per review"),
	P(rl_graph_opts, "int", RL_PT_INT, exact_below, "60000", 0,
	  2147483647, "exact (brute force) search below this many reviews"),
	P(rl_graph_opts, "int", RL_PT_INT, compact_above, "3000000", 0,
	  2147483647, "NN-descent on LSA vectors holds them as int16 rows "
	  "from this many reviews on: half the memory"),
	P(rl_graph_opts, "int", RL_PT_INT, pool, "0", 0, 1000,
	  "NN-descent candidates kept per review (0: 4k; 5k searching "
	  "the compact rows, LSA vectors of compact_above reviews or "
	  "more, where 4k falls below recall@10 0.95; a refinement "
	  "4k)"),
	P(rl_graph_opts, "int", RL_PT_INT, max_iters, "12", 1, 100,
	  "rounds of NN-descent at most (the graph line says when this "
	  "cap, not too few updates, ended them: more would improve the "
	  "lists)"),
	P(rl_graph_opts, "int", RL_PT_INT, recall_sample, "200", 0, 1000000,
	  "reviews whose recall@k is checked against brute force"),
	P(rl_graph_opts, "int", RL_PT_INT, seed, "1", 0, 2147483647,
	  "seed of the random starting graph"),
	P(rl_graph_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
};
const size_t rl_graph_nparams =
	sizeof rl_graph_params / sizeof rl_graph_params[0];

const rl_param_def rl_propagate_params[] = {
	P(rl_propagate_opts, "double", RL_PT_DOUBLE, alpha, "0.5", 0, 0.9999,
	  "weight of the neighbours against a review's own evidence"),
	P(rl_propagate_opts, "double", RL_PT_DOUBLE, tol, "1e-6", 1e-15, 1,
	  "stop when no score moves by more"),
	P(rl_propagate_opts, "int", RL_PT_INT, max_iter, "200", 1, 100000,
	  "iterations at most"),
	P(rl_propagate_opts, "double", RL_PT_DOUBLE, rule_strength, "0.5", 0,
	  100, "weight of a rule vote next to a hand label's 1"),
	P(rl_propagate_opts, "double", RL_PT_DOUBLE, cluster_strength, "1",
	  0, 100, "weight of a cluster-named label (not clamped)"),
	E(rl_propagate_opts, rule_vote, vote_names, "weighted",
	  "weighted (by precision on seeds) or majority"),
	E(rl_propagate_opts, class_prior, prior_names, "auto",
	  "class shares to normalise to: seeds (theirs), uniform, none "
	  "(the spreading's own), or auto (`run` picks seeds or uniform by "
	  "cross-validation, a multi-label store none; elsewhere the one "
	  "it last used, else seeds)"),
	P(rl_propagate_opts, "double", RL_PT_DOUBLE, min_confidence, "0", 0,
	  1, "abstain below this confidence"),
	P(rl_propagate_opts, "int", RL_PT_INT, neighbours, "0", 0, 200,
	  "nearest neighbours used per review, of those the graph stored "
	  "(0: `run` picks by cross-validation; elsewhere the count it last "
	  "picked on this graph, else all)"),
	P(rl_propagate_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
};
const size_t rl_propagate_nparams =
	sizeof rl_propagate_params / sizeof rl_propagate_params[0];

const rl_param_def rl_train_params[] = {
	E(rl_eval_opts, model, classifier_names, "auto",
	  "classifier: logreg, nb (naive Bayes), cnb (complement NB), "
	  "pool (the three as one linear model, each scaled to the same "
	  "spread of logits), auto (single-label stores: pool; "
	  "multi-label: logreg), or choose (run picks logreg, nb or cnb by "
	  "cross-validation; elsewhere as auto)"),
	P(rl_eval_opts, "int", RL_PT_INT, folds, "5", 2, 100,
	  "cross-validation folds over the hand labels"),
	P(rl_eval_opts, "int", RL_PT_INT, seed, "1", 0, 2147483647,
	  "seed of the fold assignment"),
	P(rl_eval_opts, "double", RL_PT_DOUBLE, l2, "3", 0, 1e6,
	  "logreg: L2 regularisation strength"),
	P(rl_eval_opts, "int", RL_PT_INT, max_iter, "200", 1, 100000,
	  "logreg: L-BFGS iterations at most"),
	P(rl_eval_opts, "double", RL_PT_DOUBLE, tol, "0.001", 0, 1,
	  "logreg: stop once 10 iterations lowered the loss by less than "
	  "this fraction"),
	P(rl_eval_opts, "double", RL_PT_DOUBLE, smoothing, "0.1", 1e-9, 100,
	  "nb, cnb: additive smoothing of the feature counts"),
	P(rl_eval_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
	P(rl_eval_opts, "double", RL_PT_DOUBLE, rule_weight, "1", 0, 100,
	  "multi-label stores: weight of the rules' log-odds added to the "
	  "classifier's (0: the classifier alone)"),
	P(rl_eval_opts, "double", RL_PT_DOUBLE, self_train, "0.5", 0, 1,
	  "single-label stores: the classifier is trained again on a mix "
	  "of its own labels of the corpus and propagation's, this the "
	  "share of its own (0: trained once, on propagation's)"),
};
const size_t rl_train_nparams =
	sizeof rl_train_params / sizeof rl_train_params[0];

const rl_param_def rl_clusters_params[] = {
	P(rl_clusters_opts, "int", RL_PT_INT, k, "0", 0, 1000,
	  "clusters (0: chosen by silhouette among 2..max_k)"),
	P(rl_clusters_opts, "int", RL_PT_INT, max_k, "20", 2, 1000,
	  "largest k tried when choosing k"),
	P(rl_clusters_opts, "int", RL_PT_INT, sample, "2000", 10,
	  100000000, "reviews the choice of k is measured on"),
	P(rl_clusters_opts, "int", RL_PT_INT, restarts, "3", 1, 100,
	  "k-means++ seedings tried; the tightest clustering is kept"),
	P(rl_clusters_opts, "int", RL_PT_INT, max_iter, "100", 1, 100000,
	  "Lloyd iterations at most"),
	P(rl_clusters_opts, "int", RL_PT_INT, terms, "10", 1, 100,
	  "distinctive terms stored per cluster"),
	E(rl_clusters_opts, vectors, vectors_names, "auto",
	  "vectors to cluster: tfidf, lsa, or auto (as for the graph)"),
	P(rl_clusters_opts, "int", RL_PT_INT, auto_tfidf_below, "50000", 0,
	  2147483647, "with vectors=auto, use tfidf below this many reviews"),
	P(rl_clusters_opts, "int", RL_PT_INT, seed, "1", 0, 2147483647,
	  "seed of the k-means++ seeding and of the sample"),
	P(rl_clusters_opts, "int", RL_PT_INT, threads, "2", 1, 256,
	  "worker threads"),
};
const size_t rl_clusters_nparams =
	sizeof rl_clusters_params / sizeof rl_clusters_params[0];

const rl_param_def rl_next_params[] = {
	P(rl_next_opts, "double", RL_PT_DOUBLE, disagreement, "0.5", 0, 100,
	  "weight of model, propagation and rules disagreeing, next to "
	  "the model's uncertainty (1)"),
	P(rl_next_opts, "double", RL_PT_DOUBLE, explore, "0", 0, 100,
	  "weight of novelty: far from every hand label on the graph"),
	P(rl_next_opts, "double", RL_PT_DOUBLE, density, "1", 0, 10,
	  "the score is multiplied by density to this power (0: ignore "
	  "density)"),
	P(rl_next_opts, "bool", RL_PT_BOOL, balance, "1", 0, 1,
	  "share the picks out among the labels they most likely have"),
};
const size_t rl_next_nparams =
	sizeof rl_next_params / sizeof rl_next_params[0];

static int set_field(const rl_param_def *d, void *opts, const char *v)
{
	char *field = (char *)opts + d->offset;
	char *end;
	switch (d->type) {
	case RL_PT_STRING:
		memcpy(field, &v, sizeof v);
		return RL_OK;
	case RL_PT_ENUM:
		for (int i = 0; d->pub.choices[i]; i++)
			if (!strcmp(v, d->pub.choices[i])) {
				*(int *)field = i;
				return RL_OK;
			}
		return RL_EINVAL;
	case RL_PT_BOOL:
		/* A bool's words, or its numbers up to hi (negation's third
		 * mode, 2, came after its on and off). */
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcasecmp(v, "on")) {
			*(int *)field = 1;
			return RL_OK;
		}
		if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		    !strcasecmp(v, "off")) {
			*(int *)field = 0;
			return RL_OK;
		}
		/* fall through */
	case RL_PT_INT: {
		errno = 0;
		long x = strtol(v, &end, 10);
		if (errno || end == v || *end || x < d->lo || x > d->hi)
			return RL_EINVAL;
		*(int *)field = (int)x;
		return RL_OK;
	}
	case RL_PT_DOUBLE: {
		errno = 0;
		double x = strtod(v, &end);
		if (errno || end == v || *end || !isfinite(x) ||
		    x < d->lo || x > d->hi)
			return RL_EINVAL;
		*(double *)field = x;
		return RL_OK;
	}
	}
	return RL_EINVAL;
}

void rl_params_defaults(const rl_param_def *t, size_t n, void *opts)
{
	for (size_t i = 0; i < n; i++)
		(void)set_field(&t[i], opts, t[i].pub.def);
}

int rl_params_set(const rl_param_def *t, size_t n, void *opts,
		  const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return RL_EINVAL;
	size_t len = (size_t)(eq - assignment);
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].pub.name) == len &&
		    !strncmp(t[i].pub.name, assignment, len))
			return set_field(&t[i], opts, eq + 1);
	return RL_EINVAL;
}

int rl_params_json(const rl_param_def *t, size_t n, const void *opts,
		   rl_buf *b)
{
	char num[64];
	int rc = rl_buf_putc(b, '{');
	for (size_t i = 0; i < n && rc == RL_OK; i++) {
		const char *field = (const char *)opts + t[i].offset;
		if (i)
			rc = rl_buf_putc(b, ',');
		if (rc == RL_OK)
			rc = rl_json_string(b, t[i].pub.name,
					    strlen(t[i].pub.name));
		if (rc == RL_OK)
			rc = rl_buf_putc(b, ':');
		if (rc != RL_OK)
			break;
		switch (t[i].type) {
		case RL_PT_STRING: {
			const char *s;
			memcpy(&s, field, sizeof s);
			rc = s ? rl_json_string(b, s, strlen(s))
			       : rl_buf_append(b, "null", 4);
			continue;
		}
		case RL_PT_ENUM: {
			int v = *(const int *)field, n = 0;
			while (t[i].pub.choices[n])
				n++;
			const char *s = name_of(t[i].pub.choices, (size_t)n,
						v);
			rc = rl_json_string(b, s, strlen(s));
			continue;
		}
		case RL_PT_BOOL:
		case RL_PT_INT:
			snprintf(num, sizeof num, "%d", *(const int *)field);
			break;
		case RL_PT_DOUBLE:
			snprintf(num, sizeof num, "%.17g",
				 *(const double *)field);
			break;
		}
		rc = rl_buf_append(b, num, strlen(num));
	}
	if (rc == RL_OK)
		rc = rl_buf_putc(b, '}');
	return rc;
}

const rl_param *rl_param_at(const char *stage, size_t i)
{
	static const struct {
		const char *stage;
		const rl_param_def *table;
		const size_t *n;
	} stages[] = {
		{ "tokenize", rl_tokenize_params, &rl_tokenize_nparams },
		{ "vectorize", rl_vectorize_params, &rl_vectorize_nparams },
		{ "graph", rl_graph_params, &rl_graph_nparams },
		{ "propagate", rl_propagate_params, &rl_propagate_nparams },
		{ "train", rl_train_params, &rl_train_nparams },
		{ "clusters", rl_clusters_params, &rl_clusters_nparams },
		{ "next", rl_next_params, &rl_next_nparams },
	};
	for (size_t s = 0; stage && s < sizeof stages / sizeof stages[0]; s++)
		if (!strcmp(stage, stages[s].stage))
			return i < *stages[s].n ? &stages[s].table[i].pub
						: NULL;
	return NULL;
}

void rl_tokenize_opts_init(rl_tokenize_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_tokenize_params, rl_tokenize_nparams, o);
	o->lexicon_dir = rl_lexicon_default_dir();
}

int rl_tokenize_opts_set(rl_tokenize_opts *o, const char *assignment)
{
	return rl_params_set(rl_tokenize_params, rl_tokenize_nparams, o,
			     assignment);
}

void rl_vectorize_opts_init(rl_vectorize_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_vectorize_params, rl_vectorize_nparams, o);
}

int rl_vectorize_opts_set(rl_vectorize_opts *o, const char *assignment)
{
	return rl_params_set(rl_vectorize_params, rl_vectorize_nparams, o,
			     assignment);
}

void rl_graph_opts_init(rl_graph_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_graph_params, rl_graph_nparams, o);
}

int rl_graph_opts_set(rl_graph_opts *o, const char *assignment)
{
	return rl_params_set(rl_graph_params, rl_graph_nparams, o,
			     assignment);
}

void rl_propagate_opts_init(rl_propagate_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_propagate_params, rl_propagate_nparams, o);
}

int rl_propagate_opts_set(rl_propagate_opts *o, const char *assignment)
{
	return rl_params_set(rl_propagate_params, rl_propagate_nparams, o,
			     assignment);
}

void rl_eval_opts_init(rl_eval_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_train_params, rl_train_nparams, o);
	o->temperature = 1;
	o->save = 1;
	rl_propagate_opts_init(&o->prop);
}

int rl_eval_opts_set(rl_eval_opts *o, const char *assignment)
{
	return rl_params_set(rl_train_params, rl_train_nparams, o, assignment);
}

void rl_clusters_opts_init(rl_clusters_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_clusters_params, rl_clusters_nparams, o);
}

int rl_clusters_opts_set(rl_clusters_opts *o, const char *assignment)
{
	return rl_params_set(rl_clusters_params, rl_clusters_nparams, o,
			     assignment);
}
