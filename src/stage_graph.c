/*
 * stage_graph.c - the graph stage: vectors -> neighbours.
 *
 * Loads every vector of the chosen kind, builds the k-nearest-neighbour
 * graph (exact below exact_below reviews, NN-descent above, started from
 * the stored graph when it was built on the same fit), measures recall@k
 * on a sample against brute force, and replaces `neighbours`. Does nothing
 * when the stored graph already covers every vector with these settings.
 *
 * When at most a quarter of the reviews lack a full stored list (reviews
 * added since, or whose text was replaced), the graph is refined instead
 * (rl_knn_opts.refine): the others keep their lists but for new reviews
 * nearer than their k-th, the search costs about the new reviews' share
 * of a whole one, and only the lists that changed are written again, each
 * recorded in graph_changes for labelling. Recall is then not measured
 * (a sample of all rows would cost as much as the refinement).
 *
 * LSA vectors searched by NN-descent from compact_above reviews on
 * (3,000,000: their float rows would take 1.2 GB) are never held as
 * float: they are read a chunk at a time and kept as int16 with a scale
 * per row
 * (rl_q16_row), and recall is measured against the float vectors read
 * again in chunks, so it is the recall of what is stored. Memory of the
 * stage then, bytes per review at dim 100, k 10, a pool of 4k (the
 * default is 5k here: 60 bytes more for the pools, 5 for the candidates)
 * and 2 threads:
 *   review ids 8, compact rows 204                            212
 *   NN-descent (knn.c's descent() counts them): pools 6 per
 *   entry, 240; the candidates of a 32nd of the rows, 20; the
 *   blocks' order, 8; the forest, 8, freed before the
 *   candidates are made                                        268
 *   the locality order the rows are moved into (a search from
 *   scratch: search_in_order)                                    4
 *   the earlier graph to start from, its ids and similarities,
 *   8 k, when there is one                                    (80)
 *   the result, cut from the pools once they are freed: 8 k   (80)
 *   the store's writes: SQLite's page cache, not per review
 * about 484 bytes a review at the search's peak at a pool of 4k (the
 * float rows alone were 400, the whole stage 1,536 before), 549 at 5k,
 * plus some 60 MB that do not grow (measured: 494 bytes a review at 10^6
 * and 4k, the stage's 5,337 MB at 10^7 and 5k; docs/measurements.md).
 * TF-IDF vectors, and LSA vectors searched exactly (fewer than
 * exact_below), are loaded whole as before.
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

#define GRAPH_KEY "graph"
/* How the stored similarities were scored: the kind of rows and the
 * kernel ("int16/avx2"), or "mixed" once a refinement on other rows or
 * another machine kept lists scored the old way. A refinement reads the
 * old lists' similarities instead of scoring them again only when this
 * is how it scores now (rl_knn_opts.init_sim). */
#define SCORING_KEY "graph_scoring"
#define LOAD_CHUNK 4096	/* rows read at once */

/* NN-descent's pool when -p graph.pool is 0. Its fixed point falls as the
 * corpus grows: at a pool of 4k, recall@10 on generated reviews was 0.959
 * at 10^6, 0.946 at 3 x 10^6 and 0.936 at 10^7, and at 3 x 10^6 a pool of
 * 5k reached 0.964 for 18% more search time (docs/measurements.md, "Pools
 * of 50 on the compact rows"). So a search of the compact rows, from
 * compact_above reviews on, keeps 5k. A refinement keeps 4k: its old rows
 * keep their lists, and adding 100,000 reviews to the labelled 10^7 store
 * refined with 5k in 382 s at a 6.1 GB peak, the next 100,000 with 4k in
 * 347 s at 5.5 GB, their labels as good. */
static uint32_t default_pool(uint32_t k, int searching_compact_rows)
{
	return searching_compact_rows ? 5 * k : 4 * k;
}

int rl_vectors_kind(rl_db *db, rl_vectors want, int auto_tfidf_below,
		    rl_vectors *kind)
{
	if (want == RL_VECTORS_TFIDF || want == RL_VECTORS_LSA) {
		*kind = want;
		return RL_OK;
	}
	if (want != RL_VECTORS_AUTO)
		return rl_fail(db, RL_EINVAL, "unknown vectors %d (tfidf, lsa "
			       "or auto)", (int)want);
	/* auto: TF-IDF gave the better neighbours on short review text
	 * (bench/neighbours.py), while exact sparse search is affordable;
	 * beyond that, dense LSA scales. */
	uint64_t n = 0;
	int rc = rl_store_count_reviews(db, &n);
	if (rc == RL_OK)
		*kind = n < (uint64_t)auto_tfidf_below ? RL_VECTORS_TFIDF
						       : RL_VECTORS_LSA;
	return rc;
}

/* LSA rows as the search keeps them: ids [n], q16 [n][dim], scale [n];
 * and the float rows of the recall sample, rows sample [ns], q
 * [ns][dim]. */
typedef struct compact {
	int64_t *ids;
	int16_t *q16;
	float *scale;
	uint32_t ns;
	uint32_t *sample;
	float *q;
} compact;

static void compact_free(compact *c)
{
	free(c->ids);
	free(c->q16);
	free(c->scale);
	free(c->sample);
	free(c->q);
	memset(c, 0, sizeof *c);
}

/* Reads the n LSA vectors of dimension dim into c, a chunk at a time:
 * each row as int16 and a scale, and the float rows of the ns rows
 * rl_knn_sample_rows picks for seed. tick hears rows of n. */
static int compact_load(rl_db *db, uint32_t n, uint32_t dim, uint32_t ns,
			uint64_t seed, compact *c, rl_tick *tick)
{
	rl_vector_walk *w = NULL;
	float *x = malloc((size_t)LOAD_CHUNK * dim * sizeof *x);
	int rc = RL_ENOMEM;
	memset(c, 0, sizeof *c);
	if (ns > n)
		ns = n;
	c->ns = ns;
	c->ids = malloc((size_t)n * sizeof *c->ids);
	/* A 32-bit size_t cannot hold every row at large n and dim. */
	if ((uint64_t)n * dim > SIZE_MAX / sizeof *c->q16)
		goto out;
	c->q16 = malloc((size_t)n * dim * sizeof *c->q16);
	c->scale = malloc((size_t)n * sizeof *c->scale);
	c->sample = malloc((ns ? ns : 1) * sizeof *c->sample);
	c->q = malloc(((size_t)ns * dim + 1) * sizeof *c->q);
	if (!x || !c->ids || !c->q16 || !c->scale || !c->sample || !c->q)
		goto out;
	rl_knn_sample_rows(n, ns, seed, c->sample);
	if ((rc = rl_store_lsa_walk_begin(db, dim, &w)) != RL_OK)
		goto out;
	uint32_t i = 0, next = 0;
	while (i < n) {
		uint32_t want = n - i < LOAD_CHUNK ? n - i : LOAD_CHUNK, got;
		if ((rc = rl_store_lsa_walk_next(w, want, c->ids + i, x,
						 &got)) != RL_OK)
			goto out;
		if (got < want)
			break;
		for (uint32_t j = 0; j < got; j++, i++) {
			const float *row = x + (size_t)j * dim;
			rl_q16_row(row, dim, c->q16 + (size_t)i * dim,
				  &c->scale[i]);
			if (next < ns && c->sample[next] == i)
				memcpy(c->q + (size_t)next++ * dim, row,
				       dim * sizeof *row);
		}
		if ((rc = rl_tick_step(tick, i, n)) != RL_OK)
			goto out;
	}
	if (i != n)
		rc = rl_fail(db, RL_EDB, "%u LSA vectors counted, %u read",
			     n, i);
out:
	rl_store_lsa_walk_end(w);
	free(x);
	if (rc != RL_OK)
		compact_free(c);
	return rc;
}

/* rl_rows_fn over a walk of the store's LSA vectors. */
typedef struct rows_walk {
	rl_db *db;
	rl_vector_walk *w;
} rows_walk;

static int rows_read(void *ctx, uint32_t first, uint32_t m, float *out)
{
	rows_walk *r = ctx;
	uint32_t got;
	int rc = rl_store_lsa_walk_next(r->w, m, NULL, out, &got);
	if (rc == RL_OK && got != m)
		rc = rl_fail(r->db, RL_EDB, "LSA vectors ended at %u while "
			     "measuring recall", first + got);
	return rc;
}

/* NN-descent from scratch on the compact rows, moved first into a
 * locality order (rl_knn_local_order) that the search's blocks then
 * follow (rl_knn_opts.ordered): which block a pool entry names is its
 * row number, where it took a lookup that missed the cache at nearly
 * every entry, and a block's joins read pools and rows from fewer
 * regions of memory. The result is moved back to the rows' own order;
 * the rows stay moved (nothing reads them after the search). Costs 4
 * bytes a row while the search runs. */
static int search_in_order(compact *cp, const rl_vecs *v,
			   const rl_knn_opts *ko, int32_t **nbr, float **sim,
			   rl_tick *tick)
{
	uint32_t n = v->n;
	/* Too many rows for the search: say so before moving them. */
	if (n > RL_KNN_MAX_ROWS)
		return RL_EINVAL;
	uint32_t *order = malloc(((size_t)n + 1) * sizeof *order);
	if (!order)
		return RL_ENOMEM;
	rl_tick_pass(tick, "graph (rows in order)");
	int rc = rl_knn_move_local(n, v->dim, cp->q16, cp->scale, ko->seed,
				   order, tick);
	if (rc == RL_OK) {
		rl_knn_opts in_order = *ko;
		in_order.ordered = 1;
		rl_tick_pass(tick, "graph");
		rc = rl_knn_take(v, &in_order, nbr, sim);
	}
	if (rc == RL_OK)
		rc = rl_knn_unorder(n, ko->k, order, *nbr, *sim);
	free(order);
	return rc;
}

/* Refine when at most one row in REFINE_SHARE lacks a full list. */
#define REFINE_SHARE 4

/* Does row [k] of an earlier graph over n rows lack a neighbour? */
static int row_incomplete(const int32_t *row, uint32_t k, uint32_t n)
{
	uint32_t have = 0, full = n - 1 < k ? n - 1 : k;
	for (uint32_t j = 0; j < k; j++)
		have += row[j] >= 0;
	return have < full;
}

/* Writes the rows of a refined graph nbr, sim [n][k] that differ from
 * the earlier init [n][k] (the new rows among them), each recorded in
 * graph_changes; *changed counts them. */
static int write_changes(rl_db *db, const int64_t *ids, uint32_t n,
			 uint32_t k, const int32_t *init, const int32_t *nbr,
			 const float *sim, uint64_t *changed, rl_tick *tick)
{
	int64_t *row = malloc((k ? k : 1) * sizeof *row);
	int rc = row ? RL_OK : RL_ENOMEM;
	*changed = 0;
	for (uint32_t i = 0; rc == RL_OK && i < n; i++) {
		const int32_t *a = init + (size_t)i * k;
		const int32_t *b = nbr + (size_t)i * k;
		if (!memcmp(a, b, k * sizeof *a))
			continue;
		for (uint32_t j = 0; j < k; j++)
			row[j] = b[j] < 0 ? -1 : ids[b[j]];
		rc = rl_store_neighbours_replace(db, ids[i], k, row,
						 sim + (size_t)i * k);
		(*changed)++;
		if (rc == RL_OK && (i & 1023) == 1023)
			rc = rl_tick_step(tick, i, n);
	}
	free(row);
	return rc;
}

int rl_graph(rl_db *db, const rl_graph_opts *o, rl_graph_stats *st)
{
	rl_graph_opts defaults;
	if (!o) {
		rl_graph_opts_init(&defaults);
		o = &defaults;
	}
	rl_graph_stats s = { .recall = -1 };
	rl_buf params = { 0 }, fp = { 0 }, stored = { 0 };
	rl_vector_set vs = { 0 };
	compact cp = { 0 };
	rows_walk rw = { .db = db };
	int32_t *nbr = NULL, *init = NULL;
	float *sim = NULL, *init_sim = NULL;
	uint32_t rounds = 0;
	int capped = 0;
	rl_stage stg;
	rl_tick tick;
	char counts[384] = "{}", scoring[64] = "";
	int rc, refine = 0;
	/* A graph held for run's cross-validations is this one's old self. */
	rl_graph_release(db);
	rl_tick_init(&tick, o->progress, o->ctx, "graph");
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if ((unsigned)o->vectors > RL_VECTORS_AUTO)
		return rl_fail(db, RL_EINVAL, "unknown vectors %d (tfidf, lsa "
			       "or auto)", (int)o->vectors);

	if ((rc = rl_params_json(rl_graph_params, rl_graph_nparams, o,
				 &params)) != RL_OK)
		goto out;
	/* Every id written below is read from the vectors (keyed by
	 * review) under this stage's write lock: the foreign-key lookups,
	 * random in the reviews table for neighbour ids, are off. */
	if ((rc = rl_stage_begin_derived(db, "graph", params.data, &stg)) !=
	    RL_OK)
		goto out;
	/* The graph is valid for one fit of the vectors and one k. */
	rc = rl_store_setting_get(db, "vectorize_fit", &stored);
	if (rc == RL_ENOTFOUND) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_VECTORS,
				  "no vectors yet");
		goto end;
	}
	if (rc != RL_OK)
		goto end;
	rl_vectors kind = RL_VECTORS_TFIDF;
	if ((rc = rl_vectors_kind(db, o->vectors, o->auto_tfidf_below,
				  &kind)) != RL_OK)
		goto end;
	s.vectors = rl_vectors_name(kind);
	char head[128];
	snprintf(head, sizeof head, "vectors=%s k=%d fit=", s.vectors, o->k);
	if ((rc = rl_buf_append(&fp, head, strlen(head))) != RL_OK ||
	    (rc = rl_buf_append(&fp, stored.data, stored.len)) != RL_OK)
		goto end;
	rc = rl_store_setting_get(db, GRAPH_KEY, &stored);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		goto end;
	int same = rc == RL_OK && !strcmp(stored.data, fp.data);

	uint32_t k = (uint32_t)o->k;
	uint64_t n_lsa = 0;
	uint32_t dim = 0;
	if (kind == RL_VECTORS_LSA &&
	    (rc = rl_store_lsa_count(db, &n_lsa, &dim)) != RL_OK)
		goto end;
	/* NN-descent on LSA vectors: the compact rows. */
	int compact_rows = kind == RL_VECTORS_LSA && dim > 0 &&
			   n_lsa >= (uint64_t)o->exact_below &&
			   n_lsa >= (uint64_t)o->compact_above &&
			   n_lsa > (uint64_t)k + 1 && n_lsa < INT32_MAX;
	const int64_t *ids;
	uint32_t n;
	rl_vecs v = { 0 };
	if (compact_rows) {
		if ((rc = compact_load(db, (uint32_t)n_lsa, dim,
				       (uint32_t)o->recall_sample,
				       (uint64_t)o->seed, &cp, &tick)) != RL_OK)
			goto end;
		ids = cp.ids;
		n = (uint32_t)n_lsa;
		v = (rl_vecs){ .n = n, .dim = dim, .q16 = cp.q16,
			       .scale = cp.scale };
	} else {
		if ((rc = rl_store_vectors_load(db, kind, &vs)) != RL_OK)
			goto end;
		ids = vs.review_ids;
		n = vs.n;
		v = (rl_vecs){ .n = vs.n, .dim = vs.dim };
		if (vs.dense)
			v.dense = vs.dense;
		else
			v.csr = &vs.csr;
	}
	if (n == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_VECTORS,
				  "no vectors yet");
		goto end;
	}
	uint64_t found = 0;
	if (same) {
		init = malloc((size_t)n * k * sizeof *init);
		init_sim = malloc((size_t)n * k * sizeof *init_sim);
		if (!init || !init_sim) {
			rc = RL_ENOMEM;
			goto end;
		}
		if ((rc = rl_store_neighbours_load(db, ids, n, k, init,
						   init_sim, &found)) != RL_OK)
			goto end;
	}
	uint64_t full = (uint64_t)n * (n - 1 < k ? n - 1 : k);
	/* Rows without a full list: the new reviews, those whose text was
	 * replaced, and those that lost a neighbour to a replacement. */
	uint32_t n_new = 0;
	for (uint32_t i = 0; same && i < n; i++)
		n_new += row_incomplete(init + (size_t)i * k, k, n);
	if (same && found == full) {
		/* Up to date: every row has its k neighbours. */
		s.reviews = n;
		s.edges = found;
		s.incremental = 1;
		goto done;
	}
	rl_knn_opts ko = {
		.k = k, .threads = o->threads, .seed = (uint64_t)o->seed,
		.max_iters = (uint32_t)o->max_iters, .delta = 0.001,
		.pool = (uint32_t)o->pool,
		.exact = n < (uint32_t)o->exact_below,
		.init = same && found ? init : NULL, .n_init = n,
		.rounds = &rounds, .capped = &capped, .tick = &tick,
	};
	s.exact = ko.exact || n <= k + 1;
	s.incremental = ko.init != NULL;
	/* Few rows new: the others keep their lists and take a new row in
	 * only when it is nearer than their k-th, and the search costs
	 * about the new rows' share of one from scratch. */
	refine = ko.init && !s.exact && (uint64_t)n_new * REFINE_SHARE <= n;
	ko.refine = refine;
	if (!ko.pool)
		ko.pool = default_pool(k, compact_rows && !refine);
	/* Refining, the old lists are not scored again if they were scored
	 * as they would be now. */
	snprintf(scoring, sizeof scoring, "%s/%s", compact_rows ? "int16"
		 : v.csr ? "sparse" : "float", rl_knn_kernel());
	rc = rl_store_setting_get(db, SCORING_KEY, &stored);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		goto end;
	int same_scoring = rc == RL_OK && !strcmp(stored.data, scoring);
	if (refine && same_scoring)
		ko.init_sim = init_sim;
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "graph", 0,
				   n)) != RL_OK)
		goto end;
	if ((rc = compact_rows && !ko.init && !s.exact
		  ? search_in_order(&cp, &v, &ko, &nbr, &sim, &tick)
		  : rl_knn_take(&v, &ko, &nbr, &sim)) != RL_OK)
		goto end;
	s.rounds = rounds;
	s.capped = (uint64_t)capped;
	s.pool = rl_knn_pool(n, &ko);
	free(init_sim);
	init_sim = NULL;
	if (refine) {
		/* The recall of a sample of all rows would cost as much as
		 * the refinement; not measured (-1). */
	} else if (s.exact)
		s.recall = 1;
	else if (o->recall_sample > 0 && compact_rows) {
		/* Against the float vectors: the recall of what is stored,
		 * the compact rows' rounding included. */
		if ((rc = rl_store_lsa_walk_begin(db, dim, &rw.w)) != RL_OK ||
		    (rc = rl_knn_recall_rows(n, dim, k, nbr, cp.ns, cp.sample,
					     cp.q, rows_read, &rw, o->threads,
					     &s.recall, &tick)) != RL_OK)
			goto end;
		rl_store_lsa_walk_end(rw.w);
		rw.w = NULL;
	} else if (o->recall_sample > 0 &&
		   (rc = rl_knn_recall(&v, k, nbr, (uint32_t)o->recall_sample,
				       (uint64_t)o->seed, o->threads,
				       &s.recall, &tick)) != RL_OK)
		goto end;
	if (same) {
		/* Refined, or searched again on the same fit and k (new
		 * reviews past a refinement's share, or exactly): only the
		 * lists that changed are written, each named for labelling,
		 * and the neighbour count labelling chose still holds. */
		if ((rc = write_changes(db, ids, n, k, init, nbr, sim,
					&s.changed, &tick)) != RL_OK)
			goto end;
		/* Lists scored now beside lists scored otherwise. */
		if (s.changed && !same_scoring &&
		    (rc = rl_store_setting_set(db, SCORING_KEY, "mixed")) !=
		    RL_OK)
			goto end;
		for (size_t e = 0; e < (size_t)n * k; e++)
			s.edges += nbr[e] >= 0;
		s.reviews = n;
		goto done;
	}
	free(init);
	init = NULL;

	/* A new graph: the neighbour count labelling chose on the old one
	 * no longer holds. */
	if ((rc = rl_store_neighbours_clear(db)) != RL_OK ||
	    (rc = rl_store_neighbours_del(db)) != RL_OK ||
	    (rc = rl_store_graph_changes_clear(db, "all")) != RL_OK)
		goto end;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < k; j++) {
			int32_t b = nbr[(size_t)i * k + j];
			if (b < 0)
				continue;
			if ((rc = rl_store_neighbour_put(db, ids[i],
					(int)j + 1, ids[b],
					sim[(size_t)i * k + j])) != RL_OK)
				goto end;
			s.edges++;
		}
		/* Writing a million rows takes a while too: the tick
		 * calls at most a few times a second. */
		if ((i & 1023) == 1023 &&
		    (rc = rl_tick_step(&tick, i, n)) != RL_OK)
			goto end;
	}
	if ((rc = rl_store_setting_set(db, GRAPH_KEY, fp.data)) != RL_OK ||
	    (rc = rl_store_setting_set(db, SCORING_KEY, scoring)) != RL_OK)
		goto end;
	s.reviews = n;
done:
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"edges\":%llu,\"vectors\":\"%s\","
		 "\"exact\":%d,\"incremental\":%d,\"recall\":%.4f,"
		 "\"refined\":%d,\"changed\":%llu,\"rounds\":%llu,"
		 "\"capped\":%llu,\"pool\":%llu}",
		 (unsigned long long)s.reviews, (unsigned long long)s.edges,
		 s.vectors, s.exact, s.incremental, s.recall, refine,
		 (unsigned long long)s.changed, (unsigned long long)s.rounds,
		 (unsigned long long)s.capped, (unsigned long long)s.pool);
end:
	rl_store_lsa_walk_end(rw.w);
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&params);
	rl_buf_free(&fp);
	rl_buf_free(&stored);
	rl_vector_set_free(&vs);
	compact_free(&cp);
	free(nbr);
	free(sim);
	free(init);
	free(init_sim);
	return rc;
}
