/*
 * stage_graph.c - the graph stage: vectors -> neighbours.
 *
 * Loads every vector of the chosen kind, builds the k-nearest-neighbour
 * graph (exact below exact_below reviews, NN-descent above, started from
 * the stored graph when it was built on the same fit), measures recall@k
 * on a sample against brute force, and replaces `neighbours`. Does nothing
 * when the stored graph already covers every vector with these settings.
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

#define GRAPH_KEY "graph"

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
	int32_t *nbr = NULL, *init = NULL;
	float *sim = NULL;
	rl_stage stg;
	rl_tick tick;
	char counts[256] = "{}";
	int rc;
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
	if ((rc = rl_stage_begin(db, "graph", params.data, &stg)) != RL_OK)
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

	if ((rc = rl_store_vectors_load(db, kind, &vs)) != RL_OK)
		goto end;
	if (vs.n == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_VECTORS,
				  "no vectors yet");
		goto end;
	}
	uint32_t k = (uint32_t)o->k;
	nbr = malloc((size_t)vs.n * k * sizeof *nbr);
	sim = malloc((size_t)vs.n * k * sizeof *sim);
	init = malloc((size_t)vs.n * k * sizeof *init);
	if (!nbr || !sim || !init) {
		rc = RL_ENOMEM;
		goto end;
	}
	uint64_t found = 0;
	if (same && (rc = rl_store_neighbours_load(db, vs.review_ids, vs.n, k,
						   init, NULL, &found)) != RL_OK)
		goto end;
	uint64_t full = (uint64_t)vs.n * (vs.n - 1 < k ? vs.n - 1 : k);
	if (same && found == full) {
		/* Up to date: every row has its k neighbours. */
		s.reviews = vs.n;
		s.edges = found;
		s.incremental = 1;
		goto done;
	}
	rl_vecs v = { .n = vs.n, .dim = vs.dim };
	if (vs.dense)
		v.dense = vs.dense;
	else
		v.csr = &vs.csr;
	rl_knn_opts ko = {
		.k = k, .threads = o->threads, .seed = (uint64_t)o->seed,
		.max_iters = (uint32_t)o->max_iters, .delta = 0.001,
		.pool = o->pool ? (uint32_t)o->pool : 4 * k,
		.exact = vs.n < (uint32_t)o->exact_below,
		.init = same && found ? init : NULL, .n_init = vs.n,
		.tick = &tick,
	};
	s.exact = ko.exact || vs.n <= k + 1;
	s.incremental = ko.init != NULL;
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "graph", 0,
				   vs.n)) != RL_OK)
		goto end;
	if ((rc = rl_knn(&v, &ko, nbr, sim)) != RL_OK)
		goto end;
	if (s.exact)
		s.recall = 1;
	else if (o->recall_sample > 0 &&
		 (rc = rl_knn_recall(&v, k, nbr, (uint32_t)o->recall_sample,
				     (uint64_t)o->seed, o->threads,
				     &s.recall, &tick)) != RL_OK)
		goto end;

	/* A new graph: the neighbour count labelling chose on the old one
	 * no longer holds. */
	if ((rc = rl_store_neighbours_clear(db)) != RL_OK ||
	    (rc = rl_store_neighbours_del(db)) != RL_OK)
		goto end;
	for (uint32_t i = 0; i < vs.n; i++) {
		for (uint32_t j = 0; j < k; j++) {
			int32_t b = nbr[(size_t)i * k + j];
			if (b < 0)
				continue;
			if ((rc = rl_store_neighbour_put(db, vs.review_ids[i],
					(int)j + 1, vs.review_ids[b],
					sim[(size_t)i * k + j])) != RL_OK)
				goto end;
			s.edges++;
		}
		/* Writing a million rows takes a while too: the tick
		 * calls at most a few times a second. */
		if ((i & 1023) == 1023 &&
		    (rc = rl_tick_step(&tick, i, vs.n)) != RL_OK)
			goto end;
	}
	if ((rc = rl_store_setting_set(db, GRAPH_KEY, fp.data)) != RL_OK)
		goto end;
	s.reviews = vs.n;
done:
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"edges\":%llu,\"vectors\":\"%s\","
		 "\"exact\":%d,\"incremental\":%d,\"recall\":%.4f}",
		 (unsigned long long)s.reviews, (unsigned long long)s.edges,
		 s.vectors, s.exact, s.incremental, s.recall);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&params);
	rl_buf_free(&fp);
	rl_buf_free(&stored);
	rl_vector_set_free(&vs);
	free(nbr);
	free(sim);
	free(init);
	return rc;
}
