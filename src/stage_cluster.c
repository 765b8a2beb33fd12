/*
 * stage_cluster.c - the clusters stage: vectors -> clusters,
 * cluster_members; and naming a cluster, which turns its most central
 * reviews into labelled evidence of origin 'cluster'.
 *
 * For a corpus with no labels yet: spherical k-means on the vectors the
 * graph would use (cluster.c), k chosen by silhouette on a sample unless
 * given, clusters renumbered largest first, each described by the TF-IDF
 * features that are most above the corpus mean. The clustering is
 * replaced whole. Cluster-named labels are evidence, never gold: they
 * were made from the same data the evaluation would score.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

/* Candidates for k when none is given (up to max_k, then max_k). */
static const uint32_t k_candidates[] = { 2, 3, 4, 5, 6, 8, 10, 12, 15, 20 };

typedef struct names {
	const uint8_t *needed;	/* [n_features] */
	uint32_t n_features;
	char **name;		/* [n_features], only the needed ones */
} names;

static int on_feature(void *ctx, int64_t id, const char *name)
{
	names *nm = ctx;
	if (id < 0 || id >= nm->n_features || !nm->needed[id])
		return RL_OK;
	if (!(nm->name[id] = strdup(name ? name : "")))
		return RL_ENOMEM;
	return RL_OK;
}

/* The k with the best silhouette on the sample, smaller on a tie. */
static int choose_k(rl_db *db, const rl_vecs *v, const rl_clusters_opts *o,
		    const rl_kmeans_opts *ko, uint32_t m, uint32_t *k,
		    rl_clusters_stats *s)
{
	uint32_t ks[RL_CLUSTERS_TRIED];
	double sil[RL_CLUSTERS_TRIED];
	uint32_t n = 0;
	uint32_t limit = (uint32_t)o->max_k < m ? (uint32_t)o->max_k : m;
	uint32_t sample = (uint32_t)o->sample < m ? (uint32_t)o->sample : m;
	if (sample < limit)
		limit = sample;
	for (size_t i = 0; i < sizeof k_candidates / sizeof *k_candidates;
	     i++)
		if (k_candidates[i] <= limit)
			ks[n++] = k_candidates[i];
	/* The largest k allowed is always tried, e.g. 7 for max_k=7. */
	if (limit >= 2 && (n == 0 || ks[n - 1] != limit))
		ks[n++] = limit;
	if (n == 0) {
		/* One or two reviews with features: nothing to choose. */
		*k = m < 2 ? m : 2;
		return RL_OK;
	}
	int rc = rl_kmeans_sweep(v, ko, ks, n, (uint32_t)o->sample, sil);
	if (rc != RL_OK)
		return rc == RL_ENOMEM ? rl_fail(db, rc, "out of memory") : rc;
	uint32_t best = 0;
	for (uint32_t q = 0; q < n; q++) {
		s->tried_k[q] = ks[q];
		s->tried_silhouette[q] = sil[q];
		if (sil[q] > sil[best])
			best = q;
	}
	s->n_tried = n;
	s->chosen = 1;
	*k = ks[best];
	return RL_OK;
}

int rl_clusters(rl_db *db, const rl_clusters_opts *o, rl_clusters_stats *st)
{
	rl_clusters_opts defaults;
	if (!o) {
		rl_clusters_opts_init(&defaults);
		o = &defaults;
	}
	rl_clusters_stats s = { .silhouette = 0 };
	rl_buf params = { 0 }, fit = { 0 }, json = { 0 };
	rl_vector_set vs = { 0 }, tf = { 0 };
	int32_t *assign = NULL, *assign_tf = NULL, *top = NULL;
	float *sim = NULL;
	uint64_t *size = NULL;
	uint32_t *order = NULL, *renum = NULL, k = 0;
	uint8_t *needed = NULL;
	names nm = { 0 };
	rl_stage stg;
	char counts[256] = "{}";
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if ((rc = rl_params_json(rl_clusters_params, rl_clusters_nparams, o,
				 &params)) != RL_OK)
		goto out;
	if ((rc = rl_stage_begin(db, "clusters", params.data, &stg)) != RL_OK)
		goto out;
	uint64_t n_reviews = 0;
	if ((rc = rl_store_count_reviews(db, &n_reviews)) != RL_OK)
		goto end;
	if (n_reviews == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_REVIEWS,
				  "no reviews to cluster");
		goto end;
	}
	rc = rl_store_setting_get(db, "vectorize_fit", &fit);
	if (rc == RL_ENOTFOUND) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_VECTORS,
				  "no vectors yet");
		goto end;
	}
	rl_vectors kind = RL_VECTORS_TFIDF;
	if (rc != RL_OK ||
	    (rc = rl_vectors_kind(db, o->vectors, o->auto_tfidf_below,
				  &kind)) != RL_OK ||
	    (rc = rl_store_vectors_load(db, kind, &vs)) != RL_OK)
		goto end;
	s.vectors = rl_vectors_name(kind);
	if (vs.n == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_VECTORS,
				  "no vectors yet");
		goto end;
	}
	/* The terms always come from TF-IDF, whatever was clustered. */
	const rl_vector_set *tv = &vs;
	if (kind != RL_VECTORS_TFIDF) {
		if ((rc = rl_store_vectors_load(db, RL_VECTORS_TFIDF, &tf)) !=
		    RL_OK)
			goto end;
		tv = &tf;
	}
	rl_vecs v = { .n = vs.n, .dim = vs.dim };
	if (vs.dense)
		v.dense = vs.dense;
	else
		v.csr = &vs.csr;
	rc = RL_ENOMEM;
	assign = malloc(((size_t)vs.n + 1) * sizeof *assign);
	sim = malloc(((size_t)vs.n + 1) * sizeof *sim);
	if (!assign || !sim)
		goto end;
	/* Reviews with features: k-means reports them with any k. */
	rl_kmeans_info info;
	rl_kmeans_opts ko = {
		.k = 1, .seed = (uint64_t)o->seed,
		.max_iter = (uint32_t)o->max_iter,
		.restarts = (uint32_t)o->restarts, .threads = o->threads,
	};
	uint32_t m = 0;
	for (uint32_t i = 0; i < vs.n; i++) {
		int nonzero = 0;
		if (vs.dense) {
			for (uint32_t d = 0; d < vs.dim && !nonzero; d++)
				nonzero = vs.dense[(size_t)i * vs.dim + d] != 0;
		} else {
			for (uint64_t p = vs.csr.indptr[i];
			     p < vs.csr.indptr[i + 1] && !nonzero; p++)
				nonzero = vs.csr.values[p] != 0;
		}
		m += (uint32_t)nonzero;
	}
	if (m == 0) {
		rc = rl_fail(db, RL_EEMPTY, "no review has a feature to "
			     "cluster on (%u reviews, all empty vectors)",
			     vs.n);
		goto end;
	}
	if (o->k > 0 && (uint32_t)o->k > m) {
		rc = rl_fail(db, RL_EINVAL, "k=%d is more than the %u reviews "
			     "with features", o->k, m);
		goto end;
	}
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "clusters", 0,
				   vs.n)) != RL_OK)
		goto end;
	k = (uint32_t)o->k;
	if (k == 0 && (rc = choose_k(db, &v, o, &ko, m, &k, &s)) != RL_OK)
		goto end;
	ko.k = k;
	if ((rc = rl_kmeans(&v, &ko, assign, sim, &info)) != RL_OK ||
	    (rc = rl_silhouette(&v, assign, k, o->threads,
				&s.silhouette)) != RL_OK)
		goto end;

	/* Renumber: largest first, ties by the old number. */
	rc = RL_ENOMEM;
	size = calloc((size_t)k + 1, sizeof *size);
	order = malloc(((size_t)k + 1) * sizeof *order);
	renum = malloc(((size_t)k + 1) * sizeof *renum);
	if (!size || !order || !renum)
		goto end;
	for (uint32_t i = 0; i < vs.n; i++)
		if (assign[i] >= 0)
			size[assign[i]]++;
	for (uint32_t c = 0; c < k; c++) {
		uint32_t at = c;
		while (at > 0 && size[order[at - 1]] < size[c]) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = c;
	}
	for (uint32_t c = 0; c < k; c++)
		renum[order[c]] = c;
	for (uint32_t i = 0; i < vs.n; i++)
		if (assign[i] >= 0)
			assign[i] = (int32_t)renum[assign[i]];

	/* Distinctive terms, on the TF-IDF rows of the same reviews. */
	uint32_t T = (uint32_t)o->terms;
	assign_tf = malloc(((size_t)tv->n + 1) * sizeof *assign_tf);
	top = malloc(((size_t)k * T + 1) * sizeof *top);
	if (!assign_tf || !top)
		goto end;
	for (uint32_t i = 0, j = 0; i < tv->n; i++) {
		while (j < vs.n && vs.review_ids[j] < tv->review_ids[i])
			j++;
		assign_tf[i] = j < vs.n && vs.review_ids[j] ==
			       tv->review_ids[i] ? assign[j] : -1;
	}
	uint32_t nf = 0;
	if ((rc = rl_store_features_count(db, &nf)) != RL_OK)
		goto end;
	rl_csr X = tv->csr;
	X.n_rows = tv->n;
	if (X.n_cols < nf)
		X.n_cols = nf;
	if (tv->n && (rc = rl_cluster_terms(&X, assign_tf, k, T, top)) !=
	    RL_OK)
		goto end;
	for (size_t q = 0; !tv->n && q < (size_t)k * T; q++)
		top[q] = -1;
	rc = RL_ENOMEM;
	needed = calloc((size_t)X.n_cols + 1, 1);
	nm.name = calloc((size_t)X.n_cols + 1, sizeof *nm.name);
	if (!needed || !nm.name)
		goto end;
	for (size_t q = 0; q < (size_t)k * T; q++)
		if (top[q] >= 0)
			needed[top[q]] = 1;
	nm.needed = needed;
	nm.n_features = X.n_cols;
	if ((rc = rl_store_feature_names(db, on_feature, &nm)) != RL_OK)
		goto end;

	if ((rc = rl_store_clusters_clear(db)) != RL_OK)
		goto end;
	for (uint32_t c = 0; c < k; c++) {
		const int32_t *t = top + (size_t)c * T;
		json.len = 0;
		rc = rl_buf_putc(&json, '[');
		for (uint32_t q = 0; rc == RL_OK && q < T && t[q] >= 0; q++) {
			const char *w = nm.name[t[q]] ? nm.name[t[q]] : "";
			if (q)
				rc = rl_buf_putc(&json, ',');
			if (rc == RL_OK)
				rc = rl_json_string(&json, w, strlen(w));
		}
		if (rc == RL_OK)
			rc = rl_buf_putc(&json, ']');
		if (rc != RL_OK ||
		    (rc = rl_store_cluster_put(db, c, size[order[c]],
					       json.data, stg.run_id)) != RL_OK)
			goto end;
	}
	for (uint32_t i = 0; i < vs.n; i++) {
		if (assign[i] < 0)
			continue;
		if ((rc = rl_store_member_put(db, vs.review_ids[i], assign[i],
					      sim[i])) != RL_OK)
			goto end;
	}
	s.k = k;
	s.reviews = m;
	s.unclustered = n_reviews - m;
	s.iterations = info.iters;
	s.converged = info.converged;
	s.similarity = info.similarity;
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"unclustered\":%llu,\"k\":%u,"
		 "\"chosen\":%d,\"vectors\":\"%s\",\"iterations\":%u,"
		 "\"converged\":%d,\"similarity\":%.4f,\"silhouette\":%.4f}",
		 (unsigned long long)s.reviews,
		 (unsigned long long)s.unclustered, s.k, s.chosen, s.vectors,
		 s.iterations, s.converged, s.similarity, s.silhouette);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	for (uint32_t f = 0; nm.name && f < nm.n_features; f++)
		free(nm.name[f]);
	free(nm.name);
	free(needed);
	rl_buf_free(&params);
	rl_buf_free(&fit);
	rl_buf_free(&json);
	rl_vector_set_free(&vs);
	rl_vector_set_free(&tf);
	free(assign);
	free(assign_tf);
	free(top);
	free(sim);
	free(size);
	free(order);
	free(renum);
	return rc;
}

/* ---- naming a cluster ---- */

typedef struct central {
	int64_t *ids;
	double *sim;
	size_t n, cap;
	uint64_t hand;
} central;

static int on_member(void *ctx, int64_t review_id, const rl_cluster_member *m)
{
	central *c = ctx;
	if (m->origin && !strcmp(m->origin, "hand")) {
		c->hand++;	/* a person's label is never overwritten */
		return RL_OK;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		int64_t *ids = realloc(c->ids, cap * sizeof *ids);
		if (!ids)
			return RL_ENOMEM;
		c->ids = ids;
		double *sim = realloc(c->sim, cap * sizeof *sim);
		if (!sim)
			return RL_ENOMEM;
		c->sim = sim;
		c->cap = cap;
	}
	c->ids[c->n] = review_id;
	c->sim[c->n++] = m->similarity;
	return RL_OK;
}

int rl_cluster_name(rl_db *db, int64_t cluster, const char *label, size_t n,
		    rl_cluster_name_stats *st)
{
	rl_cluster_name_stats s = { 0 };
	central c = { 0 };
	rl_buf params = { 0 };
	rl_stage stg;
	int64_t label_id = 0;
	char counts[96] = "{}";
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if ((rc = rl_label_name_check(db, label)) != RL_OK)
		return rc;
	if (n == 0)
		return rl_fail(db, RL_EINVAL, "name at least one review of the "
			       "cluster, not 0");
	char head[96];
	snprintf(head, sizeof head, "{\"cluster\":%lld,\"n\":%llu,"
		 "\"label\":", (long long)cluster, (unsigned long long)n);
	if ((rc = rl_buf_append(&params, head, strlen(head))) != RL_OK ||
	    (rc = rl_json_string(&params, label, strlen(label))) != RL_OK ||
	    (rc = rl_buf_putc(&params, '}')) != RL_OK)
		goto out;
	if ((rc = rl_stage_begin(db, "name-cluster", params.data, &stg)) !=
	    RL_OK)
		goto out;
	if ((rc = rl_store_cluster_members(db, cluster, n, on_member, &c)) !=
	    RL_OK ||
	    (rc = rl_store_label_get(db, label, 1, &label_id,
				     &s.label_created)) != RL_OK)
		goto end;
	s.hand = c.hand;
	for (size_t i = 0; i < c.n; i++) {
		char ev[96];
		snprintf(ev, sizeof ev,
			 "{\"cluster\":%lld,\"similarity\":%.4f}",
			 (long long)cluster, c.sim[i]);
		if ((rc = rl_store_cluster_seed_set(db, c.ids[i], label_id, ev,
						    stg.run_id)) != RL_OK)
			goto end;
		s.named++;
	}
	snprintf(counts, sizeof counts, "{\"named\":%llu,\"hand\":%llu}",
		 (unsigned long long)s.named, (unsigned long long)s.hand);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	free(c.ids);
	free(c.sim);
	rl_buf_free(&params);
	return rc;
}
