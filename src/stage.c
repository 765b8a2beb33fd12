/*
 * stage.c - what every stage shares: the envelope of a stage run (one
 * transaction, recorded in `runs`, committed whole or rolled back), the
 * one loader of the evidence propagation, rule quality and training work
 * from, the loader of the classifier's features, and the propagation
 * options with the choices labelling recorded filled in.
 */
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "lexicon.h"
#include "stage.h"
#include "store.h"

/* ---- the envelope ---- */

static int begin(rl_db *db, const char *stage, const char *params_json,
		 rl_stage *s)
{
	s->run_id = 0;
	s->t0 = rl_now();
	s->name = stage;
	s->derived = 0;
	int rc = rl_store_begin(db);
	if (rc != RL_OK || !stage)
		return rc;
	if ((rc = rl_store_run_start(db, stage, params_json ? params_json
							   : "{}",
				     &s->run_id)) != RL_OK)
		rl_store_rollback(db);
	return rc;
}

int rl_stage_begin(rl_db *db, const char *stage, const char *params_json,
		   rl_stage *s)
{
	/* A stage that could not turn the checks on again (stage_close)
	 * left them off: every other stage starts with them on. */
	int rc = RL_OK;
	if (rl_store_foreign_keys_on(db) == 0)
		rc = rl_store_foreign_keys(db, 1);
	return rc == RL_OK ? begin(db, stage, params_json, s) : rc;
}

int rl_stage_begin_derived(rl_db *db, const char *stage,
			   const char *params_json, rl_stage *s)
{
	int rc = rl_store_foreign_keys(db, 0);
	if (rc == RL_OK)
		rc = begin(db, stage, params_json, s);
	if (rc != RL_OK) {
		rl_store_foreign_keys(db, 1);
		return rc;
	}
	s->derived = 1;
	return RL_OK;
}

static int stage_close(rl_db *db, rl_stage *s, int rc)
{
	if (!s->derived)
		return rc;
	s->derived = 0;
	if (rc == RL_OK)
		return rl_store_foreign_keys(db, 1);
	/* Failed already: its message stays the one told. */
	char why[512];
	snprintf(why, sizeof why, "%s", rl_db_errmsg(db));
	if (rl_store_foreign_keys(db, 1) != RL_OK)
		rl_fail(db, rc, "%s", why);
	return rc;
}

int rl_stage_end(rl_db *db, rl_stage *s, int rc, const char *counts_json)
{
	if (rc == RL_OK && s->run_id &&
	    (rc = rl_store_run_finish(db, s->run_id, rl_now() - s->t0,
				      counts_json ? counts_json : "{}")) !=
	    RL_OK)
		goto fail;
	if (rc == RL_OK && (rc = rl_store_commit(db)) == RL_OK)
		return stage_close(db, s, RL_OK);
fail:
	rl_store_rollback(db);
	stage_close(db, s, rc);
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	if (rc == RL_ECANCELED && !*rl_db_errmsg(db) && s->name)
		rl_fail(db, rc, "%s cancelled", s->name);
	return rc;
}

/* ---- the evidence ---- */

static uint32_t label_index(const rl_evidence *ev, int64_t id)
{
	for (uint32_t l = 0; l < ev->L; l++)
		if (ev->label_ids[l] == id)
			return l;
	return UINT32_MAX;
}

static int on_label(void *ctx, int64_t id, const char *name)
{
	rl_evidence *ev = ctx;
	uint32_t L = ev->L + 1;
	int64_t *ids = realloc(ev->label_ids, L * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	ev->label_ids = ids;
	char **names = realloc(ev->label_names, L * sizeof *names);
	if (!names)
		return RL_ENOMEM;
	ev->label_names = names;
	names[ev->L] = strdup(name ? name : "");
	if (!names[ev->L])
		return RL_ENOMEM;
	ids[ev->L] = id;
	ev->L = L;
	return RL_OK;
}

static int on_seed(void *ctx, int64_t review, int64_t label)
{
	rl_evidence *ev = ctx;
	int64_t row = rl_find_unique_id(ev->review_ids, ev->n, review);
	uint32_t l = label_index(ev, label);
	if (row < 0 || l == UINT32_MAX)
		return RL_OK;
	if (ev->seed[row] < 0)
		ev->n_seeds++;
	ev->seed[row] = (int32_t)l;
	if (ev->multi)
		ev->Y[(size_t)row * ev->L + l] = 1;
	return RL_OK;
}

/* In a multi-label store, seed[i] becomes the rarest of row i's hand
 * labels, so folds are stratified by the labels that have fewest. */
static int rarest_labels(rl_evidence *ev)
{
	uint32_t L = ev->L;
	uint64_t *per = calloc((size_t)L + 1, sizeof *per);
	if (!per)
		return RL_ENOMEM;
	for (uint32_t i = 0; i < ev->n; i++)
		for (uint32_t l = 0; l < L; l++)
			per[l] += ev->Y[(size_t)i * L + l];
	for (uint32_t i = 0; i < ev->n; i++) {
		if (ev->seed[i] < 0)
			continue;
		for (uint32_t l = 0; l < L; l++)
			if (ev->Y[(size_t)i * L + l] &&
			    per[l] < per[ev->seed[i]])
				ev->seed[i] = (int32_t)l;
	}
	free(per);
	return RL_OK;
}

static int on_cluster_seed(void *ctx, int64_t review, int64_t label)
{
	rl_evidence *ev = ctx;
	int64_t row = rl_find_unique_id(ev->review_ids, ev->n, review);
	uint32_t l = label_index(ev, label);
	/* The store leaves out reviews with a hand label. */
	if (row < 0 || l == UINT32_MAX || ev->seed[row] >= 0)
		return RL_OK;
	if (ev->cseed[row] < 0)
		ev->n_cseeds++;
	ev->cseed[row] = (int32_t)l;
	return RL_OK;
}

static int on_rule(void *ctx, const rl_rule_row *r)
{
	rl_evidence *ev = ctx;
	uint32_t m = ev->n_rules + 1;
	int64_t *ids = realloc(ev->rule_ids, m * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	ev->rule_ids = ids;
	uint32_t *lab = realloc(ev->rule_label, m * sizeof *lab);
	if (!lab)
		return RL_ENOMEM;
	ev->rule_label = lab;
	uint8_t *neg = realloc(ev->rule_negate, m * sizeof *neg);
	if (!neg)
		return RL_ENOMEM;
	ev->rule_negate = neg;
	double *w = realloc(ev->rule_weight, m * sizeof *w);
	if (!w)
		return RL_ENOMEM;
	ev->rule_weight = w;
	ids[ev->n_rules] = r->id;
	lab[ev->n_rules] = label_index(ev, r->label_id);
	neg[ev->n_rules] = (uint8_t)r->negate;
	w[ev->n_rules] = r->weight;
	ev->n_rules = m;
	return RL_OK;
}

typedef struct hit_fill {
	rl_evidence *ev;
	int count;		/* first pass counts, second places */
	uint64_t *at;
} hit_fill;

static int on_hit(void *ctx, int64_t review, int64_t rule)
{
	hit_fill *h = ctx;
	rl_evidence *ev = h->ev;
	int64_t row = rl_find_unique_id(ev->review_ids, ev->n, review);
	uint32_t r = 0;
	while (r < ev->n_rules && ev->rule_ids[r] != rule)
		r++;
	if (row < 0 || r == ev->n_rules || ev->rule_label[r] == UINT32_MAX)
		return RL_OK;
	if (h->count)
		ev->hit_ptr[row + 1]++;
	else
		ev->hit_rule[h->at[row]++] = r;
	return RL_OK;
}

/* Everything but the graph, into ev (review_ids and n already set). */
static int load_votes(rl_db *db, rl_evidence *ev)
{
	hit_fill h = { .ev = ev };
	int rc = RL_ENOMEM;
	ev->seed = malloc(((size_t)ev->n + 1) * sizeof *ev->seed);
	ev->cseed = malloc(((size_t)ev->n + 1) * sizeof *ev->cseed);
	ev->hit_ptr = calloc((size_t)ev->n + 1, sizeof *ev->hit_ptr);
	if (!ev->seed || !ev->cseed || !ev->hit_ptr)
		goto out;
	for (uint32_t i = 0; i < ev->n; i++)
		ev->seed[i] = ev->cseed[i] = -1;
	if ((rc = rl_store_labels_each(db, on_label, ev)) != RL_OK)
		goto out;
	ev->multi = rl_db_multi_label(db);
	if (ev->multi &&
	    !(ev->Y = calloc((size_t)ev->n * ev->L + 1, 1))) {
		rc = RL_ENOMEM;
		goto out;
	}
	if ((rc = rl_store_seeds_each(db, on_seed, ev)) != RL_OK ||
	    (ev->multi && (rc = rarest_labels(ev)) != RL_OK) ||
	    (rc = rl_store_cluster_seeds_each(db, on_cluster_seed, ev)) !=
	    RL_OK ||
	    (rc = rl_store_rules_each(db, on_rule, ev)) != RL_OK)
		goto out;
	/* Hits in CSR by review: count, prefix sums, place. */
	h.count = 1;
	if ((rc = rl_store_hits_each(db, on_hit, &h)) != RL_OK)
		goto out;
	for (uint32_t i = 0; i < ev->n; i++)
		ev->hit_ptr[i + 1] += ev->hit_ptr[i];
	rc = RL_ENOMEM;
	ev->hit_rule = malloc((ev->hit_ptr[ev->n] + 1) * sizeof *ev->hit_rule);
	h.at = malloc(((size_t)ev->n + 1) * sizeof *h.at);
	if (!ev->hit_rule || !h.at)
		goto out;
	memcpy(h.at, ev->hit_ptr, ((size_t)ev->n + 1) * sizeof *h.at);
	h.count = 0;
	rc = rl_store_hits_each(db, on_hit, &h);
out:
	free(h.at);
	return rc;
}

/* The stored graph as lists: the reviews with vectors (ids [n]) and the
 * first k ranks of each (nbr/sim [n][k], -1 holes); RL_EEMPTY, said,
 * without a graph. */
typedef struct graph_lists {
	int64_t *ids;
	uint32_t n, k;
	int32_t *nbr;
	float *sim;
	int64_t version; /* the store's data_version before the read */
} graph_lists;

static void lists_free(graph_lists *g)
{
	free(g->ids);
	free(g->nbr);
	free(g->sim);
	memset(g, 0, sizeof *g);
}

static void held_free(void *p)
{
	if (p)
		lists_free(p);
	free(p);
}

/* The lists, read in one transaction (a read one unless the caller's is
 * open), so another connection's commit between its queries cannot mix
 * two graphs; g->version is the store's data_version taken before, so a
 * commit after it (even one the read saw) reads as a change. */
static int lists_read(rl_db *db, uint32_t k_use, graph_lists *g)
{
	uint64_t k = 0, found = 0;
	int rc = rl_store_max_rank(db, &k);
	if (rc != RL_OK)
		return rc;
	/* Ranks run from the nearest, so the first k_use are its nearest
	 * k_use. */
	if (k_use > 0 && k_use < k)
		k = k_use;
	g->k = (uint32_t)k;
	/* Only reviews with vectors: one imported while a run went on
	 * has none, nor neighbours, and is labelled by the next run. */
	if ((rc = rl_store_review_ids_vectorized(db, &g->ids, &g->n)) !=
	    RL_OK)
		goto out;
	if (k == 0 || g->n == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_GRAPH,
				  "no neighbour graph yet");
		goto out;
	}
	rc = RL_ENOMEM;
	g->nbr = malloc((size_t)g->n * k * sizeof *g->nbr);
	g->sim = malloc((size_t)g->n * k * sizeof *g->sim);
	if (g->nbr && g->sim)
		rc = rl_store_neighbours_load(db, g->ids, g->n, (uint32_t)k,
					      g->nbr, g->sim, &found);
out:
	return rc;
}

static int lists_load(rl_db *db, uint32_t k_use, graph_lists *g)
{
	memset(g, 0, sizeof *g);
	int own = !rl_store_in_transaction(db);
	int rc = rl_store_data_version(db, &g->version);
	if (rc == RL_OK && own)
		rc = rl_store_read_begin(db);
	if (rc == RL_OK)
		rc = lists_read(db, k_use, g);
	if (own)
		rl_store_rollback(db);
	if (rc != RL_OK)
		lists_free(g);
	return rc;
}

/* Whether held lists are still the store's graph: no other connection
 * has committed since they were read. This handle's own writers of the
 * graph and the vectors let a held graph go (rl_graph, rl_vectorize). */
static int lists_current(rl_db *db, const graph_lists *g, int *current)
{
	int64_t v;
	int rc = rl_store_data_version(db, &v);
	*current = rc == RL_OK && v == g->version;
	return rc;
}

int rl_graph_hold(rl_db *db)
{
	graph_lists *g = calloc(1, sizeof *g);
	if (!g)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	rl_db_hold(db, g, held_free);
	return RL_OK;
}

void rl_graph_release(rl_db *db)
{
	rl_db_hold(db, NULL, NULL);
}

int rl_evidence_load(rl_db *db, rl_evidence *ev, uint32_t k_use)
{
	graph_lists own = { 0 }, *g = rl_db_held(db);
	int32_t *nbr = NULL;
	float *sim = NULL;
	int rc = RL_OK;
	memset(ev, 0, sizeof *ev);
	/* Held: the whole graph read once, its first k_use ranks taken
	 * from that. */
	int current = 1;
	if (g && g->ids && (rc = lists_current(db, g, &current)) != RL_OK)
		goto out;
	if (g && (!g->ids || !current)) {
		lists_free(g);
		rc = lists_load(db, 0, g);
	} else if (!g)
		rc = lists_load(db, k_use, g = &own);
	if (rc != RL_OK)
		goto out;
	uint32_t k = k_use > 0 && k_use < g->k ? k_use : g->k;
	rc = RL_ENOMEM;
	if (!(ev->review_ids = malloc((size_t)g->n * sizeof *ev->review_ids)))
		goto out;
	memcpy(ev->review_ids, g->ids, (size_t)g->n * sizeof *g->ids);
	ev->n = g->n;
	ev->k = k;
	if (k < g->k) {
		nbr = malloc((size_t)g->n * k * sizeof *nbr);
		sim = malloc((size_t)g->n * k * sizeof *sim);
		if (!nbr || !sim)
			goto out;
		for (size_t i = 0; i < g->n; i++) {
			memcpy(nbr + i * k, g->nbr + i * g->k, k * sizeof *nbr);
			memcpy(sim + i * k, g->sim + i * g->k, k * sizeof *sim);
		}
	}
	if ((rc = rl_graph_normalize(ev->n, k, nbr ? nbr : g->nbr,
				     sim ? sim : g->sim, &ev->S)) != RL_OK)
		goto out;
	rc = load_votes(db, ev);
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	if (rc != RL_OK)
		rl_evidence_free(ev);
	lists_free(&own);
	free(nbr);
	free(sim);
	return rc;
}

int rl_evidence_load_no_graph(rl_db *db, rl_evidence *ev)
{
	memset(ev, 0, sizeof *ev);
	int rc = rl_store_review_ids(db, &ev->review_ids, &ev->n);
	if (rc == RL_OK)
		rc = load_votes(db, ev);
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	if (rc != RL_OK)
		rl_evidence_free(ev);
	return rc;
}

/* ---- the classifier's features: TF-IDF columns, then LSA columns ---- */

int rl_features_shape(rl_db *db, uint32_t *nf, uint32_t *dim)
{
	uint64_t n_lsa;
	*nf = *dim = 0;
	int rc = rl_store_features_count(db, nf);
	if (rc == RL_OK)
		rc = rl_store_lsa_count(db, &n_lsa, dim);
	return rc;
}

int rl_features_load(rl_db *db, const int64_t *ids, uint32_t n, rl_csr *X)
{
	uint32_t nf, dim;
	int rc = rl_features_shape(db, &nf, &dim);
	if (rc != RL_OK) {
		memset(X, 0, sizeof *X);
		return rc;
	}
	return rl_store_features_rows(db, ids, n, nf, dim, X);
}

/* ---- propagation's options ---- */

int rl_propagate_check(rl_db *db, const rl_propagate_opts *o)
{
	/* (The parameter table refuses other names; a caller setting the
	 * field itself may still pass any number.) */
	if ((unsigned)o->rule_vote > RL_VOTE_MAJORITY)
		return rl_fail(db, RL_EINVAL, "rule_vote is weighted or "
			       "majority, not %d", (int)o->rule_vote);
	if ((unsigned)o->class_prior > RL_PRIOR_NONE)
		return rl_fail(db, RL_EINVAL, "class_prior is seeds, uniform, "
			       "none or auto, not %d", (int)o->class_prior);
	return RL_OK;
}

int rl_eval_check(rl_db *db, const rl_eval_opts *o)
{
	if ((unsigned)o->model > RL_CLASSIFIER_CHOOSE)
		return rl_fail(db, RL_EINVAL, "model is logreg, nb, cnb, pool, "
			       "auto or choose, not %d", (int)o->model);
	return rl_propagate_check(db, &o->prop);
}

rl_classifier rl_classifier_default(const rl_db *db, rl_classifier m)
{
	if (m != RL_CLASSIFIER_AUTO && m != RL_CLASSIFIER_CHOOSE)
		return m;
	return rl_db_multi_label(db) ? RL_CLASSIFIER_LOGREG
				     : RL_CLASSIFIER_POOL;
}

int rl_propagate_prepare(rl_db *db, const rl_propagate_opts *o,
			 rl_propagate_opts *use)
{
	rl_propagate_opts given = *o;
	*use = given;
	if (rl_propagate_check(db, o) != RL_OK)
		return RL_EINVAL;
	o = &given;
	/* Without a count of its own, the one labelling used last; the
	 * same for the class shares. */
	uint32_t k = 0;
	int rc = RL_OK;
	if (o->neighbours == 0 &&
	    (rc = rl_store_neighbours_get(db, &k)) == RL_OK)
		use->neighbours = (int)k;
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		return rc;
	/* (what run takes in a multi-label store; docs/measurements.md) */
	rl_prior p = rl_db_multi_label(db) ? RL_PRIOR_NONE : RL_PRIOR_SEEDS;
	rc = RL_OK;
	if (o->class_prior == RL_PRIOR_AUTO &&
	    (rc = rl_store_prior_get(db, &p)) != RL_OK && rc != RL_ENOTFOUND)
		return rc;
	if (o->class_prior == RL_PRIOR_AUTO)
		use->class_prior = p;
	return RL_OK;
}

/* ---- what a labelling depends on ---- */

#define DIGEST_KEY "labelled_inputs"

int rl_labelling_digest(rl_db *db, const rl_propagate_opts *prop,
			const rl_eval_opts *train, char *out)
{
	rl_buf b = { 0 };
	int rc = rl_store_labelling_inputs(db, &b);
	if (rc == RL_OK)
		rc = rl_params_json(rl_propagate_params, rl_propagate_nparams,
				    prop, &b);
	if (rc == RL_OK)
		rc = rl_params_json(rl_train_params, rl_train_nparams, train,
				    &b);
	if (rc == RL_OK)
		rc = rl_buf_append(&b, RL_VERSION, strlen(RL_VERSION));
	if (rc == RL_OK)
		snprintf(out, 17, "%016llx", (unsigned long long)
			 rl_fnv1a64(RL_FNV_OFFSET, b.data, b.len));
	rl_buf_free(&b);
	return rc;
}

int rl_labelling_digest_same(rl_db *db, const char *digest, int *same)
{
	rl_buf b = { 0 };
	int rc = rl_store_setting_get(db, DIGEST_KEY, &b);
	*same = rc == RL_OK && !strcmp(b.data, digest);
	rl_buf_free(&b);
	return rc == RL_ENOTFOUND ? RL_OK : rc;
}

int rl_setting_save(rl_db *db, const char *key, const char *value)
{
	rl_stage st;
	int rc = rl_stage_begin(db, NULL, NULL, &st);
	if (rc != RL_OK)
		return rc;
	rc = rl_store_setting_set(db, key, value);
	return rl_stage_end(db, &st, rc, NULL);
}

int rl_labelling_digest_save(rl_db *db, const char *digest)
{
	return rl_setting_save(db, DIGEST_KEY, digest);
}
