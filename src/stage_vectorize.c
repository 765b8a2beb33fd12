/*
 * stage_vectorize.c - the vectorize stage: review_tokens -> features,
 * projection, vectors ('tfidf' and 'lsa').
 *
 * A fit (vocabulary + LSA) is made on the whole corpus the first time,
 * when the settings or the tokens' fingerprint changed, or when the corpus
 * grew by more than a quarter since the last fit; otherwise new reviews
 * are transformed with the stored fit, so earlier vectors (and the graph
 * built on them) stay valid. One transaction.
 *
 * The corpus is never in memory at once: tokens are read `batch` reviews
 * at a time, in review id order. A fit reads them three times: to count
 * document frequencies (the vocabulary), to gather the TF-IDF rows of the
 * LSA sample (at most lsa_sample reviews, all of them in a smaller
 * corpus, so the fit is then the same as on the whole matrix), and to
 * make and write every review's vectors. What stays is per feature
 * (bounded by max_features) or per sampled review.
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

#define FIT_KEY "vectorize"
#define FIT_DOCS_KEY "vectorize_fit_docs"
#define FIT_ID_KEY "vectorize_fit"
#define GROWTH_REFIT 1.25


/* The settings a fit depends on (not threads, batch or progress), and the
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
		 "n_iter=%d seed=%d lsa_sample=%d tok=", o->ngram_max,
		 o->min_df, o->max_df, o->max_features, o->sublinear, o->dim,
		 o->lsa_features, o->n_iter, o->seed, o->lsa_sample);
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

/* What a fit learns LSA from: the lsa_features most frequent columns
 * only (rare bigrams add cost, not topics), renumbered in their old order
 * so rows stay sorted, and the TF-IDF rows of the sampled reviews in
 * those columns. */
typedef struct lsa_input {
	uint32_t *map;		/* [V] new column, or UINT32_MAX; NULL: all
				   columns kept as they are */
	uint32_t keep;		/* columns kept */
	rl_csr X;		/* [sampled reviews][keep] */
	uint64_t nnz_cap;	/* room in X.indices and X.values */
	rl_draw draw;		/* which reviews are sampled */
} lsa_input;

static void lsa_input_free(lsa_input *in)
{
	free(in->map);
	rl_csr_free(&in->X);
	memset(in, 0, sizeof *in);
}

/* The columns and the draw: `n` reviews, of which min(n, lsa_sample)
 * are taken (lsa_sample 0: all). */
static int lsa_input_init(lsa_input *in, const rl_tfidf *tf,
			  const rl_vectorize_opts *o, uint64_t n)
{
	uint32_t V = tf->n_features;
	by_df *order = NULL;
	memset(in, 0, sizeof *in);
	in->keep = V;
	rl_draw_init(&in->draw, n, o->lsa_sample > 0 ? (uint64_t)o->lsa_sample
						     : n, (uint64_t)o->seed);
	in->X.indptr = calloc(in->draw.left + 1, sizeof *in->X.indptr);
	if (!in->X.indptr)
		return RL_ENOMEM;
	if (V <= (uint32_t)o->lsa_features) {
		in->X.n_cols = V;
		return RL_OK;
	}
	in->keep = (uint32_t)o->lsa_features;
	in->X.n_cols = in->keep;
	order = malloc(V * sizeof *order);
	in->map = malloc(V * sizeof *in->map);
	if (!order || !in->map) {
		free(order);
		return RL_ENOMEM;
	}
	for (uint32_t c = 0; c < V; c++) {
		order[c] = (by_df){ tf->df[c], c };
		in->map[c] = UINT32_MAX;
	}
	qsort(order, V, sizeof *order, df_desc);
	for (uint32_t i = 0; i < in->keep; i++)
		in->map[order[i].col] = 0;
	for (uint32_t c = 0, next = 0; c < V; c++)
		if (in->map[c] == 0)
			in->map[c] = next++;
	free(order);
	return RL_OK;
}

/* Appends the rows of X (TF-IDF rows of drawn reviews) in the kept
 * columns. */
static int lsa_input_add(lsa_input *in, const rl_csr *X)
{
	uint64_t nnz = X->indptr[X->n_rows];
	uint64_t at = in->X.indptr[in->X.n_rows];
	if (at + nnz > in->nnz_cap) {
		uint64_t cap = in->nnz_cap ? in->nnz_cap : 4096;
		while (cap < at + nnz)
			cap *= 2;
		uint32_t *ix = realloc(in->X.indices, cap * sizeof *ix);
		if (!ix)
			return RL_ENOMEM;
		in->X.indices = ix;
		float *v = realloc(in->X.values, cap * sizeof *v);
		if (!v)
			return RL_ENOMEM;
		in->X.values = v;
		in->nnz_cap = cap;
	}
	for (uint32_t i = 0; i < X->n_rows; i++) {
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
			uint32_t c = in->map ? in->map[X->indices[p]]
					     : X->indices[p];
			if (c == UINT32_MAX)
				continue;
			in->X.indices[at] = c;
			in->X.values[at++] = X->values[p];
		}
		in->X.indptr[++in->X.n_rows] = at;
	}
	return RL_OK;
}

/* Fits LSA on the input; the columns left out get zero components, so
 * the projection of any TF-IDF row over all V columns stays one
 * product. */
static int fit_lsa(const lsa_input *in, uint32_t V,
		   const rl_vectorize_opts *o, rl_lsa *out, rl_tick *tick)
{
	if (!in->map)
		return rl_lsa_fit(&in->X, (uint32_t)o->dim, 10,
				  (uint32_t)o->n_iter, (uint64_t)o->seed,
				  o->threads, out, tick);
	rl_lsa small = { 0 };
	int rc;
	if ((rc = rl_lsa_fit(&in->X, (uint32_t)o->dim, 10,
			     (uint32_t)o->n_iter, (uint64_t)o->seed,
			     o->threads, &small, tick)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	out->dim = small.dim;
	out->n_cols = V;
	out->components = calloc((size_t)V * small.dim, sizeof(float));
	out->sigma = malloc(small.dim * sizeof *out->sigma);
	out->live = calloc(V, 1);
	if (!out->components || !out->sigma || !out->live) {
		rl_lsa_free(out);
		goto out;
	}
	memcpy(out->sigma, small.sigma, small.dim * sizeof *out->sigma);
	for (uint32_t c = 0; c < V; c++)
		if (in->map[c] != UINT32_MAX) {
			memcpy(out->components + (size_t)c * small.dim,
			       small.components + (size_t)in->map[c] *
						  small.dim,
			       small.dim * sizeof(float));
			out->live[c] = 1;
		}
	rc = RL_OK;
out:
	rl_lsa_free(&small);
	return rc;
}

/* Reviews a batch: the setting, or its default where a caller's options
 * predate it (zero). */
static uint32_t batch_size(const rl_vectorize_opts *o)
{
	return o->batch > 0 ? (uint32_t)o->batch : 16384;
}

/* The walk's batch as documents. */
static rl_docs batch_docs(const rl_token_walk *w)
{
	return (rl_docs){ w->set.tokens, w->set.doc_off, w->set.n };
}

/* Pass 1: the vocabulary, from the document frequencies of all `n`
 * tokenized reviews. */
static int count_vocab(rl_db *db, const rl_vectorize_opts *o, uint64_t n,
		       rl_tfidf *tf, rl_tick *tick)
{
	rl_token_walk w = { 0 };
	rl_df_count *c = NULL;
	int rc = rl_df_count_new(o->ngram_max, &c);
	while (rc == RL_OK &&
	       (rc = rl_store_tokens_next(db, &w, batch_size(o))) ==
		       RL_OK &&
	       w.set.n > 0) {
		rl_docs d = batch_docs(&w);
		if ((rc = rl_df_count_add(c, &d, tick, n)) == RL_OK &&
		    rl_tick_step(tick, rl_df_count_docs(c), n) != RL_OK)
			rc = RL_ECANCELED;
	}
	if (rc == RL_OK && rl_df_count_docs(c) != n)
		rc = rl_fail(db, RL_EDB, "%s: %llu tokenized reviews counted, "
			     "%u read", rl_db_path(db), (unsigned long long)n,
			     rl_df_count_docs(c));
	if (rc == RL_OK)
		rc = rl_df_count_vocab(c, o, tf);
	rl_df_count_free(c);
	rl_token_walk_free(&w);
	return rc;
}

/* Pass 2: the TF-IDF rows of the sample of the `n` reviews, in the
 * columns LSA learns from. */
static int gather_sample(rl_db *db, const rl_vectorize_opts *o, uint64_t n,
			 const rl_tfidf *tf, const rl_tfidf_index *ix,
			 lsa_input *in, rl_tick *tick)
{
	rl_token_walk w = { 0 };
	rl_csr X = { 0 };
	uint32_t *tok = NULL, off_cap = 0;
	uint64_t *off = NULL, tok_cap = 0, done = 0;
	int rc;
	while ((rc = rl_store_tokens_next(db, &w, batch_size(o))) ==
		       RL_OK &&
	       w.set.n > 0) {
		const rl_token_set *t = &w.set;
		/* The drawn reviews' tokens, packed. */
		uint32_t m = 0;
		rc = RL_ENOMEM;
		if (t->n > off_cap) {
			free(off);
			off_cap = t->n;
			if (!(off = malloc(((size_t)off_cap + 1) *
					   sizeof *off)))
				break;
		}
		off[0] = 0;
		if (t->doc_off[t->n] > tok_cap) {
			free(tok);
			tok_cap = t->doc_off[t->n];
			if (!(tok = malloc(tok_cap * sizeof *tok)))
				break;
		}
		for (uint32_t i = 0; i < t->n; i++) {
			if (!rl_draw_next(&in->draw))
				continue;
			uint64_t len = t->doc_off[i + 1] - t->doc_off[i];
			/* An empty batch's tokens may be NULL. */
			if (len)
				memcpy(tok + off[m], t->tokens + t->doc_off[i],
				       len * sizeof *tok);
			off[m + 1] = off[m] + len;
			m++;
		}
		rl_docs d = { tok, off, m };
		if ((rc = rl_tfidf_transform(tf, ix, &d, o->ngram_max, &X,
					     NULL)) != RL_OK ||
		    (rc = lsa_input_add(in, &X)) != RL_OK)
			break;
		rl_csr_free(&X);
		done += t->n;
		if (rl_tick_step(tick, done, n) != RL_OK) {
			rc = RL_ECANCELED;
			break;
		}
	}
	if (rc == RL_OK && done != n)
		rc = rl_fail(db, RL_EDB, "%s: %llu tokenized reviews counted, "
			     "%llu read", rl_db_path(db), (unsigned long long)n,
			     (unsigned long long)done);
	rl_csr_free(&X);
	rl_token_walk_free(&w);
	free(tok);
	free(off);
	return rc;
}

/* Pass 3 (and all of an update): every review of the walk (n of them,
 * as counted before) vectorized and written, a batch at a time; *done
 * gets the reviews written, *nnz their TF-IDF entries. */
static int write_vectors(rl_db *db, const rl_vectorize_opts *o,
			 int unvectorized, uint64_t n, const rl_tfidf *tf,
			 const rl_tfidf_index *ix, const rl_lsa *lsa,
			 uint64_t *done, uint64_t *nnz, rl_tick *tick)
{
	rl_token_walk w = { .unvectorized = unvectorized };
	rl_csr X = { 0 };
	float *proj = NULL;
	uint32_t proj_rows = 0;
	int rc;
	*done = *nnz = 0;
	while ((rc = rl_store_tokens_next(db, &w, batch_size(o))) ==
		       RL_OK &&
	       w.set.n > 0) {
		rl_docs d = batch_docs(&w);
		if (w.set.n > proj_rows) {
			free(proj);
			proj_rows = w.set.n;
			proj = malloc((size_t)proj_rows * lsa->dim *
				      sizeof *proj);
			if (!proj) {
				rc = RL_ENOMEM;
				break;
			}
		}
		if ((rc = rl_tfidf_transform(tf, ix, &d, o->ngram_max, &X,
					     NULL)) != RL_OK ||
		    (rc = rl_lsa_transform(lsa, &X, o->threads, proj,
					   NULL)) != RL_OK ||
		    (rc = rl_store_vectors_put(db, w.set.review_ids, &X, proj,
						lsa->dim)) != RL_OK)
			break;
		*nnz += X.indptr[X.n_rows];
		rl_csr_free(&X);
		*done += w.set.n;
		if (rl_tick_step(tick, *done, n > *done ? n : *done) !=
		    RL_OK) {
			rc = RL_ECANCELED;
			break;
		}
	}
	rl_csr_free(&X);
	rl_token_walk_free(&w);
	free(proj);
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
	rl_tfidf tf = { 0 };
	rl_tfidf_index *ix = NULL;
	rl_lsa lsa = { 0 };
	lsa_input in = { 0 };
	rl_stage stg;
	rl_tick tick;
	char counts[256] = "{}";
	uint64_t n_all = 0, n_todo = 0;
	int rc;
	rl_tick_init(&tick, o->progress, o->ctx, "vectorize");
	rl_clear_error(db);
	/* New vectors mean a new graph: a held one is let go. */
	rl_graph_release(db);
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

	if ((rc = rl_store_tokens_count(db, 0, &n_all)) != RL_OK)
		goto end;
	if (n_all == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_TOKENS,
				  "no tokenized reviews to vectorize");
		goto end;
	}
	if (n_all > UINT32_MAX - 1) {
		rc = rl_fail(db, RL_EINPUT, "%s: too many reviews",
			     rl_db_path(db));
		goto end;
	}
	s.refit = !same || fit_docs == 0 ||
		  (double)n_all > GROWTH_REFIT * (double)fit_docs;
	/* Each pass is heard under its own name, so a count that starts
	 * again reads as the next pass, with its own rate and ETA. */
	if (s.refit) {
		rl_tick_pass(&tick, "vectorize (1/4: word counts)");
		if ((rc = count_vocab(db, o, n_all, &tf, &tick)) != RL_OK)
			goto end;
		if (tf.n_features == 0) {
			rc = rl_fail(db, RL_EEMPTY, "no feature occurs in %d "
				     "or more reviews (min_df); nothing to "
				     "vectorize", o->min_df);
			goto end;
		}
		if ((rc = rl_tfidf_index_new(&tf, &ix)) != RL_OK ||
		    (rc = lsa_input_init(&in, &tf, o, n_all)) != RL_OK)
			goto end;
		rl_tick_pass(&tick, "vectorize (2/4: LSA sample)");
		if ((rc = gather_sample(db, o, n_all, &tf, ix, &in, &tick)) !=
		    RL_OK)
			goto end;
		rl_tick_pass(&tick, "vectorize (3/4: LSA fit)");
		if ((rc = fit_lsa(&in, tf.n_features, o, &lsa, &tick)) !=
		    RL_OK)
			goto end;
		lsa_input_free(&in);
		char n[32], gen[48];
		snprintf(n, sizeof n, "%llu", (unsigned long long)n_all);
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
		n_todo = n_all;
	} else {
		/* Only the reviews without vectors, with the stored fit. */
		if ((rc = rl_store_tokens_count(db, 1, &n_todo)) != RL_OK ||
		    (rc = rl_store_vectorizer_load(db, (uint32_t)fit_docs,
						   o->sublinear, &tf, &lsa)) !=
			    RL_OK ||
		    (rc = rl_tfidf_index_new(&tf, &ix)) != RL_OK)
			goto end;
	}
	rl_tick_pass(&tick, s.refit ? "vectorize (4/4: vectors)"
			     : "vectorize");
	if ((rc = write_vectors(db, o, !s.refit, n_todo, &tf, ix, &lsa,
				&s.reviews, &s.nnz, &tick)) != RL_OK)
		goto end;
	s.features = tf.n_features;

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
	rl_tfidf_free(&tf);
	rl_tfidf_index_free(ix);
	rl_lsa_free(&lsa);
	lsa_input_free(&in);
	return rc;
}
