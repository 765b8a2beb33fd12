/*
 * stage_vectorize.c - the vectorize stage: review_tokens -> features,
 * projection, vectors ('tfidf' and 'lsa').
 *
 * A fit (vocabulary + LSA) is made on the whole corpus the first time,
 * when the settings or the tokens' fingerprint changed, or when the corpus
 * grew by more than a quarter since the last fit; otherwise new reviews
 * are transformed with the stored fit, so earlier vectors (and the graph
 * built on them) stay valid. One transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

#define FIT_KEY "vectorize"
#define FIT_DOCS_KEY "vectorize_fit_docs"
#define FIT_ID_KEY "vectorize_fit"
#define GROWTH_REFIT 1.25


/* The settings a fit depends on (not threads or progress), and the
 * tokenizer's fingerprint, as one text. */
static int fit_fingerprint(rl_db *db, const rl_vectorize_opts *o, rl_buf *b)
{
	rl_buf tok = { 0 };
	int rc = rl_store_setting_get(db, "tokenizer", &tok);
	if (rc == RL_ENOTFOUND)
		rc = rl_buf_append(&tok, "", 0);
	if (rc != RL_OK)
		return rc;
	char tmp[256];
	snprintf(tmp, sizeof tmp, "v1 ngram_max=%d min_df=%d max_df=%.17g "
		 "max_features=%d sublinear=%d dim=%d lsa_features=%d "
		 "n_iter=%d seed=%d tok=", o->ngram_max, o->min_df, o->max_df,
		 o->max_features, o->sublinear, o->dim, o->lsa_features,
		 o->n_iter, o->seed);
	b->len = 0;
	rc = rl_buf_append(b, tmp, strlen(tmp));
	if (rc == RL_OK)
		rc = rl_buf_append(b, tok.data, tok.len);
	rl_buf_free(&tok);
	return rc;
}

typedef struct by_df {
	uint32_t df, col;
} by_df;

static int df_desc(const void *a, const void *b)
{
	const by_df *x = a, *y = b;
	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Fits LSA on the lsa_features most frequent columns only: rare bigrams
 * add cost, not topics. The other columns get zero components, so the
 * projection of any TF-IDF row stays one product. */
static int fit_lsa(const rl_tfidf *tf, const rl_csr *X,
		   const rl_vectorize_opts *o, rl_lsa *out, rl_tick *tick)
{
	uint32_t keep = (uint32_t)o->lsa_features, V = X->n_cols;
	if (V <= keep)
		return rl_lsa_fit(X, (uint32_t)o->dim, 10, (uint32_t)o->n_iter,
				  (uint64_t)o->seed, o->threads, out, tick);
	by_df *order = malloc(V * sizeof *order);
	uint32_t *map = malloc(V * sizeof *map);
	rl_csr sub = { 0 };
	rl_lsa small = { 0 };
	int rc = RL_ENOMEM;
	if (!order || !map)
		goto out;
	for (uint32_t c = 0; c < V; c++) {
		order[c] = (by_df){ tf->df[c], c };
		map[c] = UINT32_MAX;
	}
	qsort(order, V, sizeof *order, df_desc);
	/* New column numbers in the old order, so rows stay sorted. */
	for (uint32_t i = 0; i < keep; i++)
		map[order[i].col] = 0;
	for (uint32_t c = 0, next = 0; c < V; c++)
		if (map[c] == 0)
			map[c] = next++;
	sub.n_rows = X->n_rows;
	sub.n_cols = keep;
	sub.indptr = calloc((size_t)X->n_rows + 1, sizeof *sub.indptr);
	uint64_t nnz = X->indptr[X->n_rows];
	sub.indices = malloc((nnz + 1) * sizeof *sub.indices);
	sub.values = malloc((nnz + 1) * sizeof *sub.values);
	if (!sub.indptr || !sub.indices || !sub.values)
		goto out;
	uint64_t at = 0;
	for (uint32_t i = 0; i < X->n_rows; i++) {
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
			if (map[X->indices[p]] != UINT32_MAX) {
				sub.indices[at] = map[X->indices[p]];
				sub.values[at++] = X->values[p];
			}
		sub.indptr[i + 1] = at;
	}
	if ((rc = rl_lsa_fit(&sub, (uint32_t)o->dim, 10, (uint32_t)o->n_iter,
			     (uint64_t)o->seed, o->threads, &small, tick)) !=
	    RL_OK)
		goto out;
	rc = RL_ENOMEM;
	out->dim = small.dim;
	out->n_cols = V;
	out->components = calloc((size_t)V * small.dim, sizeof(float));
	out->sigma = malloc(small.dim * sizeof *out->sigma);
	if (!out->components || !out->sigma) {
		rl_lsa_free(out);
		goto out;
	}
	memcpy(out->sigma, small.sigma, small.dim * sizeof *out->sigma);
	if (!(out->live = calloc(V, 1))) {
		rl_lsa_free(out);
		goto out;
	}
	for (uint32_t c = 0; c < V; c++)
		if (map[c] != UINT32_MAX) {
			memcpy(out->components + (size_t)c * small.dim,
			       small.components + (size_t)map[c] * small.dim,
			       small.dim * sizeof(float));
			out->live[c] = 1;
		}
	rc = RL_OK;
out:
	free(order);
	free(map);
	rl_csr_free(&sub);
	rl_lsa_free(&small);
	return rc;
}

int rl_vectorize(rl_db *db, const rl_vectorize_opts *o,
		 rl_vectorize_stats *st)
{
	rl_vectorize_opts defaults;
	if (!o) {
		rl_vectorize_opts_init(&defaults);
		o = &defaults;
	}
	rl_vectorize_stats s = { 0 };
	rl_buf fp = { 0 }, stored = { 0 }, params = { 0 }, fitid = { 0 };
	rl_token_set all = { 0 }, todo = { 0 };
	rl_tfidf tf = { 0 };
	rl_lsa lsa = { 0 };
	rl_csr X = { 0 };
	float *proj = NULL;
	rl_stage stg;
	rl_tick tick;
	char counts[256] = "{}";
	int rc;
	rl_tick_init(&tick, o->progress, o->ctx, "vectorize");
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);

	if ((rc = rl_params_json(rl_vectorize_params, rl_vectorize_nparams, o,
				 &params)) != RL_OK)
		goto out;
	if ((rc = rl_stage_begin(db, "vectorize", params.data, &stg)) != RL_OK)
		goto out;
	if ((rc = fit_fingerprint(db, o, &fp)) != RL_OK)
		goto end;
	rc = rl_store_setting_get(db, FIT_KEY, &stored);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		goto end;
	int same = rc == RL_OK && !strcmp(stored.data, fp.data);
	uint64_t fit_docs = 0;
	if (same && rl_store_setting_get(db, FIT_DOCS_KEY, &stored) == RL_OK)
		fit_docs = strtoull(stored.data, NULL, 10);

	if ((rc = rl_store_tokens_load(db, 0, &all)) != RL_OK)
		goto end;
	if (all.n == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_TOKENS,
				  "no tokenized reviews to vectorize");
		goto end;
	}
	s.refit = !same || fit_docs == 0 ||
		  (double)all.n > GROWTH_REFIT * (double)fit_docs;
	rl_docs docs = { all.tokens, all.doc_off, all.n };
	const rl_token_set *work = &all;
	if (s.refit) {
		if ((rc = rl_tfidf_fit(&docs, o, &tf, &tick)) != RL_OK)
			goto end;
		if (tf.n_features == 0) {
			rc = rl_fail(db, RL_EEMPTY, "no feature occurs in %d "
				     "or more reviews (min_df); nothing to "
				     "vectorize", o->min_df);
			goto end;
		}
		if ((rc = rl_tfidf_transform(&tf, NULL, &docs, o->ngram_max,
					     &X, &tick)) != RL_OK)
			goto end;
		if ((rc = fit_lsa(&tf, &X, o, &lsa, &tick)) != RL_OK)
			goto end;
		char n[32], gen[48];
		snprintf(n, sizeof n, "%u", all.n);
		/* The fit's identity: its settings and the run that made it,
		 * so a graph or model from an earlier fit is never taken for
		 * one of this fit, even with the same settings. */
		snprintf(gen, sizeof gen, " run=%lld", (long long)stg.run_id);
		if ((rc = rl_buf_append(&fitid, fp.data, fp.len)) != RL_OK ||
		    (rc = rl_buf_append(&fitid, gen, strlen(gen))) != RL_OK)
			goto end;
		if ((rc = rl_store_vectorizer_save(db, &tf, &lsa)) != RL_OK ||
		    (rc = rl_store_vectors_clear(db)) != RL_OK ||
		    (rc = rl_store_setting_set(db, FIT_ID_KEY, fitid.data)) !=
			    RL_OK ||
		    (rc = rl_store_setting_set(db, FIT_KEY, fp.data)) !=
			    RL_OK ||
		    (rc = rl_store_setting_set(db, FIT_DOCS_KEY, n)) != RL_OK)
			goto end;
	} else {
		/* Only the reviews without vectors, with the stored fit. */
		rl_token_set_free(&all);
		if ((rc = rl_store_tokens_load(db, 1, &todo)) != RL_OK ||
		    (rc = rl_store_vectorizer_load(db, (uint32_t)fit_docs,
						   o->sublinear, &tf, &lsa)) !=
			    RL_OK)
			goto end;
		rl_docs d2 = { todo.tokens, todo.doc_off, todo.n };
		if ((rc = rl_tfidf_transform(&tf, NULL, &d2, o->ngram_max,
					     &X, &tick)) != RL_OK)
			goto end;
		work = &todo;
	}
	proj = malloc(((size_t)work->n * lsa.dim + 1) * sizeof *proj);
	if (!proj) {
		rc = RL_ENOMEM;
		goto end;
	}
	if ((rc = rl_lsa_transform(&lsa, &X, o->threads, proj, &tick)) !=
	    RL_OK ||
	    (rc = rl_store_vectors_put(db, work->review_ids, &X, proj,
					lsa.dim)) != RL_OK)
		goto end;
	s.reviews = work->n;
	s.features = tf.n_features;
	s.nnz = X.indptr ? X.indptr[X.n_rows] : 0;

	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"features\":%llu,\"nnz\":%llu,"
		 "\"dim\":%u,\"refit\":%d}",
		 (unsigned long long)s.reviews,
		 (unsigned long long)s.features, (unsigned long long)s.nnz,
		 lsa.dim, s.refit);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&fp);
	rl_buf_free(&fitid);
	rl_buf_free(&stored);
	rl_buf_free(&params);
	rl_token_set_free(&all);
	rl_token_set_free(&todo);
	rl_tfidf_free(&tf);
	rl_lsa_free(&lsa);
	rl_csr_free(&X);
	free(proj);
	return rc;
}
