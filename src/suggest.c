/*
 * suggest.c - keyword suggestions: words and word pairs that separate a
 * label from the others among the hand-labelled reviews, each turned into
 * a ready rule line with its coverage and its precision on the seeds.
 *
 * Terms are counted once per review (document frequency), from tokens
 * made without stemming or negation marks so they can be written back as
 * patterns. Hand-labelled reviews count 1; once propagation has run, the
 * reviews it labelled count with their confidence, which finds keywords
 * no seed contains. Precision is still reported on the hand labels only.
 *
 * In a multi-label store a review may carry several labels, so each label
 * is contrasted with the labelled reviews that do not carry it (one
 * against the rest): a review counts for each of its labels, 1 for a
 * hand label and its confidence for an assigned one, and among the rest
 * of a label with its surest label's weight (1 if hand-labelled), as a
 * review of a single-label store counts among the rest with its one
 * label's. A suggestion is right on a hand-labelled review that carries
 * its label.
 * The score is the z-score of the log-odds ratio with an informative
 * Dirichlet prior (Monroe, Colaresi & Quinn 2008): the prior of a term
 * is its share of the whole corpus, so a word frequent
 * everywhere needs much more evidence than a rare one, and ten seeds per
 * class do not make every rare word look perfect.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "stage.h"
#include "store.h"

void rl_suggest_opts_init(rl_suggest_opts *o)
{
	memset(o, 0, sizeof *o);
	o->per_label = 10;
	o->min_seeds = 2;
	o->prior = 100;
}

typedef struct sg {
	rl_db *db;
	rl_tokenizer *tk;
	rl_strmap *terms;	/* "w" or "w1 w2" -> index */
	rl_buf names;		/* the terms' text, NUL-separated */
	size_t *name_off;
	uint32_t *df;		/* [n_terms] reviews containing it */
	double *cnt;		/* [n_terms][n_labels] labelled reviews
				   containing it, weighted */
	uint32_t *last;		/* [n_terms] 1 + last review counted */
	/* multi-label store only: per term, the weight of the labelled
	 * reviews containing it, tot [n_terms], and of those carrying each
	 * label, cv [n_terms][n_labels]; each review weighs its surest
	 * label's weight */
	double *tot, *cv;
	size_t n_terms, cap;
	/* labels, hand labels: from the evidence, whose arrays these
	 * borrow */
	rl_evidence ev;
	const int64_t *label_id;
	char **label_name;
	size_t n_labels;
	uint32_t *seeds_per_label;
	double *mass_per_label;	/* seeds + propagated confidence */
	/* multi: the reviews' weights all_v, and of those carrying each
	 * label carry_v [n_labels] */
	double all_v, *carry_v;
	/* propagated labels: sorted (review, label index, confidence) */
	int64_t *soft_review;
	size_t *soft_label;
	double *soft_conf;
	size_t n_soft, cap_soft;
	/* the review being tokenized */
	uint32_t doc;
	int cur_label;		/* label index of the review's seed, or -1 */
	double cur_weight;	/* 1 for a seed, confidence if propagated */
	double *cur_w;		/* multi: [n_labels] the review's weight
				   per label, 0 where it does not carry
				   it */
	double cur_v;		/* multi: its weight among the rest */
	rl_buf prev;		/* previous token, for pairs */
	int has_prev;
	uint64_t n_docs;
	int rc;
	/* coverage pass */
	rl_matcher **m;
	size_t n_m;
	uint64_t *cover, *seed_hits, *seed_correct;
	size_t *short_label;
} sg;

static int grow_terms(sg *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096;
	size_t nl = s->n_labels;
	size_t *no = realloc(s->name_off, cap * sizeof *no);
	if (!no)
		return RL_ENOMEM;
	s->name_off = no;
	uint32_t *df = realloc(s->df, cap * sizeof *df);
	if (!df)
		return RL_ENOMEM;
	s->df = df;
	uint32_t *last = realloc(s->last, cap * sizeof *last);
	if (!last)
		return RL_ENOMEM;
	s->last = last;
	double *cnt = realloc(s->cnt, cap * nl * sizeof *cnt);
	if (!cnt)
		return RL_ENOMEM;
	s->cnt = cnt;
	if (s->ev.multi) {
		double *tot = realloc(s->tot, cap * sizeof *tot);
		if (!tot)
			return RL_ENOMEM;
		s->tot = tot;
		double *cv = realloc(s->cv, cap * nl * sizeof *cv);
		if (!cv)
			return RL_ENOMEM;
		s->cv = cv;
	}
	s->cap = cap;
	return RL_OK;
}

static void count_term(sg *s, const char *t, size_t len)
{
	int64_t idx = rl_strmap_get(s->terms, t, len);
	if (idx < 0) {
		if (s->n_terms == s->cap && (s->rc = grow_terms(s)) != RL_OK)
			return;
		idx = (int64_t)s->n_terms;
		s->name_off[idx] = s->names.len;
		if ((s->rc = rl_buf_append(&s->names, t, len)) != RL_OK ||
		    (s->rc = rl_buf_putc(&s->names, '\0')) != RL_OK ||
		    (s->rc = rl_strmap_put(s->terms, t, len, idx)) != RL_OK)
			return;
		s->df[idx] = 0;
		s->last[idx] = 0;
		memset(s->cnt + (size_t)idx * s->n_labels, 0,
		       s->n_labels * sizeof *s->cnt);
		if (s->ev.multi) {
			s->tot[idx] = 0;
			memset(s->cv + (size_t)idx * s->n_labels, 0,
			       s->n_labels * sizeof *s->cv);
		}
		s->n_terms++;
	}
	if (s->last[idx] == s->doc + 1)
		return;
	s->last[idx] = s->doc + 1;
	s->df[idx]++;
	if (s->ev.multi) {
		if (!(s->cur_v > 0))
			return;
		size_t at = (size_t)idx * s->n_labels;
		s->tot[idx] += s->cur_v;
		for (size_t l = 0; l < s->n_labels; l++)
			if (s->cur_w[l] > 0) {
				s->cnt[at + l] += s->cur_w[l];
				s->cv[at + l] += s->cur_v;
			}
	} else if (s->cur_label >= 0)
		s->cnt[(size_t)idx * s->n_labels + (size_t)s->cur_label] +=
			s->cur_weight;
}

static void on_token(void *ctx, const char *tok, size_t len)
{
	sg *s = ctx;
	if (s->rc != RL_OK)
		return;
	count_term(s, tok, len);
	if (s->rc != RL_OK)
		return;
	if (s->has_prev) {
		size_t at = s->prev.len;
		if ((s->rc = rl_buf_putc(&s->prev, ' ')) != RL_OK ||
		    (s->rc = rl_buf_append(&s->prev, tok, len)) != RL_OK)
			return;
		count_term(s, s->prev.data, s->prev.len);
		if (s->rc != RL_OK)
			return;
		s->prev.len = at;
	}
	s->prev.len = 0;
	s->rc = rl_buf_append(&s->prev, tok, len);
	s->has_prev = 1;
}

static int seed_index(const sg *s, int64_t review)
{
	int64_t i = rl_find_unique_id(s->ev.review_ids, s->ev.n, review);
	return i >= 0 ? (int)s->ev.seed[i] : -1;
}

/* Row of the evidence of a review, -1 if it has none. */
static int64_t seed_row(const sg *s, int64_t review)
{
	return rl_find_unique_id(s->ev.review_ids, s->ev.n, review);
}

/* Multi-label: review's labels into cur_w and cur_v, its hand labels if
 * it has any, else its assigned ones (the soft rows from soft_review's
 * first entry for it). */
static void multi_weights(sg *s, int64_t review)
{
	int64_t i = seed_row(s, review);
	memset(s->cur_w, 0, s->n_labels * sizeof *s->cur_w);
	s->cur_v = 0;
	if (i >= 0 && s->ev.seed[i] >= 0) {
		for (uint32_t l = 0; l < s->n_labels; l++)
			s->cur_w[l] = rl_has_label(&s->ev, (uint32_t)i, l);
		s->cur_v = 1;
		return;
	}
	int64_t a = rl_find_id(s->soft_review, s->n_soft, review);
	for (size_t j = a < 0 ? s->n_soft : (size_t)a;
	     j < s->n_soft && s->soft_review[j] == review; j++) {
		double c = s->soft_conf[j] > 0 ? s->soft_conf[j] : 0;
		s->cur_w[s->soft_label[j]] = c;
		if (c > s->cur_v)
			s->cur_v = c;
	}
}

static int soft_index(const sg *s, int64_t review, double *conf)
{
	int64_t i = rl_find_id(s->soft_review, s->n_soft, review);
	if (i < 0)
		return -1;
	*conf = s->soft_conf[i];
	return (int)s->soft_label[i];
}

static int on_review(void *ctx, int64_t id, const char *ext_id,
		     const char *text, size_t len)
{
	sg *s = ctx;
	(void)ext_id;
	if (s->ev.multi) {
		multi_weights(s, id);
	} else {
		s->cur_label = seed_index(s, id);
		s->cur_weight = 1;
		if (s->cur_label < 0)
			s->cur_label = soft_index(s, id, &s->cur_weight);
	}
	s->has_prev = 0;
	int rc = rl_tokenize_text(s->tk, text, len, on_token, s);
	s->doc++;
	s->n_docs++;
	return rc != RL_OK ? rc : s->rc;
}

static int on_soft(void *ctx, int64_t review, int64_t label, double conf)
{
	sg *s = ctx;
	size_t li = 0;
	while (li < s->n_labels && s->label_id[li] != label)
		li++;
	if (li == s->n_labels)
		return RL_OK;
	if (s->n_soft == s->cap_soft) {
		size_t cap = s->cap_soft ? s->cap_soft * 2 : 1024;
		int64_t *r = realloc(s->soft_review, cap * sizeof *r);
		if (!r)
			return RL_ENOMEM;
		s->soft_review = r;
		size_t *l = realloc(s->soft_label, cap * sizeof *l);
		if (!l)
			return RL_ENOMEM;
		s->soft_label = l;
		double *c = realloc(s->soft_conf, cap * sizeof *c);
		if (!c)
			return RL_ENOMEM;
		s->soft_conf = c;
		s->cap_soft = cap;
	}
	s->soft_review[s->n_soft] = review;
	s->soft_label[s->n_soft] = li;
	s->soft_conf[s->n_soft++] = conf;
	if (!s->ev.multi)
		s->mass_per_label[li] += conf;
	return RL_OK;
}

/* Appends `t` to b as a literal inside a PCRE2 pattern. */
static int quote(rl_buf *b, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\^$.|?*+()[]{}/#", t[i]) &&
		    rl_buf_putc(b, '\\') != RL_OK)
			return RL_ENOMEM;
		if (rl_buf_putc(b, t[i]) != RL_OK)
			return RL_ENOMEM;
	}
	return RL_OK;
}

/* A pattern for a term: whole words, and for a pair up to two words in
 * between (the stop words the tokens left out). */
static int pattern_of(const char *term, rl_buf *b)
{
	const char *sp = strchr(term, ' ');
	b->len = 0;
	int rc = rl_buf_append(b, "(?<!\\w)", 7);
	if (rc == RL_OK)
		rc = quote(b, term, sp ? (size_t)(sp - term) : strlen(term));
	if (rc == RL_OK && sp) {
		rc = rl_buf_append(b, "\\W+(?:\\w+\\W+){0,2}?", 19);
		if (rc == RL_OK)
			rc = quote(b, sp + 1, strlen(sp + 1));
	}
	if (rc == RL_OK)
		rc = rl_buf_append(b, "(?!\\w)", 6);
	return rc;
}

typedef struct pick {
	size_t term;
	double z;
} pick;

static int by_z(const void *a, const void *b)
{
	const pick *x = a, *y = b;
	if (x->z != y->z)
		return x->z > y->z ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

static int cover_review(void *ctx, int64_t id, const char *ext_id,
			const char *text, size_t len)
{
	sg *s = ctx;
	char err[256];
	int seed = seed_index(s, id);
	int64_t row = seed >= 0 ? seed_row(s, id) : -1;
	int valid = 0;
	for (size_t i = 0; i < s->n_m; i++) {
		size_t a, b;
		int r = rl_matcher_find_in(s->m[i], text, len, &valid, NULL,
					   &a, &b, err, sizeof err);
		if (r < 0)
			return rl_fail(s->db, r, "review '%s': %s", ext_id, err);
		if (r == 0)
			continue;
		s->cover[i]++;
		if (seed >= 0) {
			s->seed_hits[i]++;
			s->seed_correct[i] += s->ev.multi
				? rl_has_label(&s->ev, (uint32_t)row,
					       (uint32_t)s->short_label[i])
				: (size_t)seed == s->short_label[i];
		}
	}
	return RL_OK;
}

int rl_suggest(rl_db *db, const char *label, const rl_suggest_opts *o,
	       rl_suggest_fn fn, void *ctx)
{
	rl_suggest_opts defaults;
	if (!o) {
		rl_suggest_opts_init(&defaults);
		o = &defaults;
	}
	sg s = { .db = db };
	pick *picks = NULL, *shortlist = NULL;
	rl_buf pat = { 0 };
	char **patterns = NULL;
	size_t n_short = 0;
	int64_t last = 0;
	int rc;
	rl_clear_error(db);

	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	to.stem = 0;
	to.negation = 0;
	if (o->lexicon_dir)
		to.lexicon_dir = o->lexicon_dir;
	if (o->language)
		to.language = o->language;
	char err[512];
	if ((rc = rl_tokenizer_new(&to, &s.tk, err, sizeof err)) != RL_OK) {
		rl_fail(db, rc, "%s", err);
		goto out;
	}
	if ((rc = rl_strmap_new(&s.terms)) != RL_OK ||
	    (rc = rl_evidence_load_no_graph(db, &s.ev)) != RL_OK)
		goto out;
	s.label_id = s.ev.label_ids;
	s.label_name = s.ev.label_names;
	s.n_labels = s.ev.L;
	int want = -1;
	for (size_t i = 0; label && i < s.n_labels; i++)
		if (!strcmp(s.label_name[i], label))
			want = (int)i;
	if (label && want < 0) {
		rc = rl_fail(db, RL_ENOTFOUND, "unknown label '%s'", label);
		goto out;
	}
	s.seeds_per_label = calloc(s.n_labels + 1, sizeof *s.seeds_per_label);
	s.mass_per_label = calloc(s.n_labels + 1, sizeof *s.mass_per_label);
	s.carry_v = calloc(s.n_labels + 1, sizeof *s.carry_v);
	s.cur_w = calloc(s.n_labels + 1, sizeof *s.cur_w);
	if (!s.seeds_per_label || !s.mass_per_label || !s.carry_v ||
	    !s.cur_w) {
		rc = RL_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; !s.ev.multi && i < s.ev.n; i++)
		if (s.ev.seed[i] >= 0) {
			s.seeds_per_label[s.ev.seed[i]]++;
			s.mass_per_label[s.ev.seed[i]] += 1;
		}
	if ((rc = rl_store_propagated_each(db, on_soft, &s)) != RL_OK)
		goto out;
	/* Multi-label: every review's weights, as the counting will see
	 * them (hand labels win over assignments left from a run before
	 * they were given). */
	for (uint32_t i = 0; s.ev.multi && i < s.ev.n; i++) {
		multi_weights(&s, s.ev.review_ids[i]);
		s.all_v += s.cur_v;
		for (size_t l = 0; l < s.n_labels; l++)
			if (s.cur_w[l] > 0) {
				s.seeds_per_label[l] += s.ev.seed[i] >= 0;
				s.mass_per_label[l] += s.cur_w[l];
				s.carry_v[l] += s.cur_v;
			}
	}
	if (s.ev.n_seeds == 0) {
		rc = rl_fail(db, RL_EEMPTY, "no hand labels yet; suggestions "
			     "come from them (revlab seed / label)");
		goto out;
	}
	if (s.n_labels < 2) {
		rc = rl_fail(db, RL_EEMPTY, "suggestions contrast labels: "
			     "hand-label reviews of at least two");
		goto out;
	}
	if ((rc = grow_terms(&s)) != RL_OK ||
	    (rc = rl_store_reviews_batch(db, 0, 0, INT_MAX, on_review, &s,
					 &last)) != RL_OK)
		goto out;

	/* Score every term for every wanted label; keep the best few. */
	picks = malloc((s.n_terms + 1) * sizeof *picks);
	shortlist = malloc((s.n_labels * (size_t)o->per_label + 1) *
			   sizeof *shortlist);
	s.short_label = malloc((s.n_labels * (size_t)o->per_label + 1) *
			       sizeof *s.short_label);
	if (!picks || !shortlist || !s.short_label) {
		rc = RL_ENOMEM;
		goto out;
	}
	double a0 = o->prior;
	for (size_t l = 0; l < s.n_labels; l++) {
		if (want >= 0 && (int)l != want)
			continue;
		double total = 0;
		for (size_t m = 0; m < s.n_labels; m++)
			total += s.mass_per_label[m];
		double ni = s.mass_per_label[l];
		double nj = s.ev.multi ? s.all_v - s.carry_v[l] : total - ni;
		if (s.ev.multi && nj < 0)	/* rounding */
			nj = 0;
		size_t np = 0;
		for (size_t t = 0; t < s.n_terms; t++) {
			double yi = s.cnt[t * s.n_labels + l];
			if (yi < o->min_seeds)
				continue;
			double yj = 0;
			if (s.ev.multi)
				yj = fmax(0, s.tot[t] -
					     s.cv[t * s.n_labels + l]);
			for (size_t m = 0; !s.ev.multi && m < s.n_labels; m++)
				if (m != l)
					yj += s.cnt[t * s.n_labels + m];
			double aw = a0 * s.df[t] / (double)s.n_docs;
			double d = log((yi + aw) / (ni + a0 - yi - aw)) -
				   log((yj + aw) / (nj + a0 - yj - aw));
			double z = d / sqrt(1 / (yi + aw) + 1 / (yj + aw));
			if (z > 0)
				picks[np++] = (pick){ t, z };
		}
		qsort(picks, np, sizeof *picks, by_z);
		for (size_t i = 0; i < np && i < (size_t)o->per_label; i++) {
			s.short_label[n_short] = l;
			shortlist[n_short++] = picks[i];
		}
	}

	/* Coverage and precision of each suggested pattern. */
	patterns = calloc(n_short + 1, sizeof *patterns);
	s.m = calloc(n_short + 1, sizeof *s.m);
	s.cover = calloc(n_short + 1, sizeof *s.cover);
	s.seed_hits = calloc(n_short + 1, sizeof *s.seed_hits);
	s.seed_correct = calloc(n_short + 1, sizeof *s.seed_correct);
	if (!patterns || !s.m || !s.cover || !s.seed_hits ||
	    !s.seed_correct) {
		rc = RL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_short; i++) {
		size_t off;
		if ((rc = pattern_of(s.names.data +
				     s.name_off[shortlist[i].term],
				     &pat)) != RL_OK)
			goto out;
		patterns[i] = strdup(pat.data);
		if (!patterns[i]) {
			rc = RL_ENOMEM;
			goto out;
		}
		rc = rl_matcher_new(patterns[i], &s.m[i], err, sizeof err,
				    &off);
		if (rc != RL_OK) {
			rl_fail(db, rc, "suggested pattern %s: %s",
				patterns[i], err);
			goto out;
		}
		s.n_m++;
	}
	if (n_short && (rc = rl_store_reviews_batch(db, 0, 0, INT_MAX,
						    cover_review, &s,
						    &last)) != RL_OK)
		goto out;
	for (size_t i = 0; i < n_short; i++) {
		rl_suggestion sug = {
			.label = s.label_name[s.short_label[i]],
			.term = s.names.data + s.name_off[shortlist[i].term],
			.pattern = patterns[i],
			.score = shortlist[i].z,
			.coverage = s.cover[i],
			.seed_hits = s.seed_hits[i],
			.seed_correct = s.seed_correct[i],
		};
		if (fn(ctx, &sug))
			break;
	}
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	for (size_t i = 0; i < s.n_m; i++)
		rl_matcher_free(s.m[i]);
	for (size_t i = 0; patterns && i < n_short; i++)
		free(patterns[i]);
	free(patterns);
	free(s.m);
	free(s.cover);
	free(s.seed_hits);
	free(s.seed_correct);
	free(s.short_label);
	free(picks);
	free(shortlist);
	rl_buf_free(&pat);
	rl_buf_free(&s.names);
	rl_buf_free(&s.prev);
	rl_strmap_free(s.terms);
	rl_tokenizer_free(s.tk);
	free(s.name_off);
	free(s.df);
	free(s.cnt);
	free(s.tot);
	free(s.cv);
	free(s.last);
	rl_evidence_free(&s.ev);
	free(s.seeds_per_label);
	free(s.mass_per_label);
	free(s.carry_v);
	free(s.cur_w);
	free(s.soft_review);
	free(s.soft_label);
	free(s.soft_conf);
	return rc;
}
