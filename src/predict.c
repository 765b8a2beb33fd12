/*
 * predict.c - labelling reviews that are not in the corpus with a stored
 * model.
 *
 * The file is read by the import code into a scratch in-memory store, so
 * it gets the same formats and the same checks, and a bad file is
 * refused before a single prediction is written. Each text is then
 * tokenized with the options the corpus was tokenized with, turned into
 * TF-IDF with the stored vocabulary and into LSA with the stored
 * projection, exactly as the model's training rows were, and scored.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "store.h"

typedef struct predictor {
	rl_db *db;
	rl_stored_model m;
	rl_tfidf tf;
	rl_tfidf_index *ix;
	rl_lsa lsa;
	rl_tokenizer *tk;
	rl_strmap *terms;
	uint32_t next_unknown;
	/* one review at a time, in buffers kept across reviews */
	uint32_t *tok;
	size_t n_tok, cap_tok;
	rl_csr row;		/* the model's row: TF-IDF then LSA columns */
	uint64_t cap_row;
	float *z;		/* [lsa.dim] */
	double *prob;		/* [n_labels] */
	struct ranked *rk;	/* [n_labels] */
	int rc;
	int top;
	int ngram_max;
	rl_prediction_fn fn;
	void *ctx;
	uint64_t done;
} predictor;

static void on_token(void *ctx, const char *t, size_t len)
{
	predictor *p = ctx;
	if (p->rc != RL_OK)
		return;
	if (p->n_tok == p->cap_tok) {
		size_t cap = p->cap_tok ? p->cap_tok * 2 : 256;
		uint32_t *a = realloc(p->tok, cap * sizeof *a);
		if (!a) {
			p->rc = RL_ENOMEM;
			return;
		}
		p->tok = a;
		p->cap_tok = cap;
	}
	int64_t id = rl_strmap_get(p->terms, t, len);
	/* An unknown word still separates its neighbours: it gets an id
	 * no feature uses, so it forms no bigram with them. */
	p->tok[p->n_tok++] = id >= 0 ? (uint32_t)id : p->next_unknown;
}

struct ranked {
	double p;
	uint32_t l;
};
typedef struct ranked ranked;

/* Sorts rk[L] by probability, highest first, ties by label: insertion
 * sort, as L is a handful of labels. */
static void rank_labels(ranked *rk, uint32_t L)
{
	for (uint32_t i = 1; i < L; i++) {
		ranked x = rk[i];
		uint32_t j = i;
		for (; j > 0 && (rk[j - 1].p < x.p ||
				 (rk[j - 1].p == x.p && rk[j - 1].l > x.l));
		     j--)
			rk[j] = rk[j - 1];
		rk[j] = x;
	}
}

static int on_review(void *ctx, int64_t id, const char *ext_id,
		     const char *text, size_t len)
{
	predictor *p = ctx;
	uint32_t L = p->m.n_labels, dim = p->lsa.dim;
	rl_csr x = { 0 };
	ranked *rk = p->rk;
	(void)id;
	p->n_tok = 0;
	int rc = rl_tokenize_text(p->tk, text, len, on_token, p);
	if (rc == RL_OK)
		rc = p->rc;
	if (rc != RL_OK)
		goto out;
	uint64_t off[2] = { 0, p->n_tok };
	rl_docs d = { p->tok, off, 1 };
	if ((rc = rl_tfidf_transform(&p->tf, p->ix, &d, p->ngram_max, &x)) !=
	    RL_OK || (rc = rl_lsa_transform(&p->lsa, &x, 1, p->z)) != RL_OK)
		goto out;
	/* The model's row: TF-IDF columns, then the LSA columns. */
	uint64_t nnz = x.indptr[1] + dim;
	if (nnz > p->cap_row) {
		uint64_t cap = nnz * 2;
		uint32_t *ind = realloc(p->row.indices, cap * sizeof *ind);
		if (ind)
			p->row.indices = ind;
		float *val = realloc(p->row.values, cap * sizeof *val);
		if (val)
			p->row.values = val;
		rc = RL_ENOMEM;
		if (!ind || !val)
			goto out;
		p->cap_row = cap;
	}
	/* A text of unknown words has an empty TF-IDF row (and NULL
	 * arrays). */
	if (x.indptr[1]) {
		memcpy(p->row.indices, x.indices,
		       x.indptr[1] * sizeof *p->row.indices);
		memcpy(p->row.values, x.values,
		       x.indptr[1] * sizeof *p->row.values);
	}
	for (uint32_t c = 0; c < dim; c++) {
		p->row.indices[x.indptr[1] + c] = p->tf.n_features + c;
		p->row.values[x.indptr[1] + c] = p->z[c];
	}
	p->row.indptr[0] = 0;
	p->row.indptr[1] = nnz;
	rl_logreg_predict(&p->row, 0, p->m.weights, L, p->prob);
	if (p->m.temperature != 1)
		rl_temper(p->prob, L, p->m.temperature);
	for (uint32_t l = 0; l < L; l++)
		rk[l] = (ranked){ p->prob[l], l };
	rank_labels(rk, L);
	const char *names[16];
	double conf[16];
	int n_top = p->top < 1 ? 1 : p->top > 16 ? 16 : p->top;
	if ((uint32_t)n_top > L)
		n_top = (int)L;
	for (int i = 0; i < n_top; i++) {
		names[i] = p->m.labels[rk[i].l];
		conf[i] = rk[i].p;
	}
	rl_prediction pr = { ext_id, names, conf, n_top };
	rc = p->fn(p->ctx, &pr);
	p->done++;
out:
	rl_csr_free(&x);
	return rc;
}

int rl_predict_file(rl_db *db, const char *path, const rl_import_opts *io,
		    int64_t model, int top, rl_prediction_fn fn, void *ctx,
		    uint64_t *n)
{
	predictor p = { .db = db, .top = top, .fn = fn, .ctx = ctx };
	rl_db *scratch = NULL;
	rl_buf lang = { 0 }, dir = { 0 }, fit = { 0 };
	char err[512];
	int64_t max_term = 0, last = 0;
	uint8_t *used = NULL;
	int rc;
	if (n)
		*n = 0;
	rl_clear_error(db);
	if ((rc = rl_store_model_get(db, model, &p.m)) != RL_OK)
		goto out;
	if ((rc = rl_store_setting_get(db, "vectorize_fit", &fit)) != RL_OK ||
	    strcmp(fit.data, p.m.fit.data)) {
		rc = rl_fail(db, RL_EINPUT, "model %lld was trained on "
			     "vectors the store no longer has; run `revlab "
			     "run` to train a new one", (long long)p.m.id);
		goto out;
	}
	/* The fit's identity records its settings: TF-IDF rows are made as
	 * they were for training. */
	const char *sl = strstr(fit.data, "sublinear=");
	const char *ng = strstr(fit.data, "ngram_max=");
	int sublinear = sl ? atoi(sl + 10) : 1;
	p.ngram_max = ng ? atoi(ng + 10) : 2;
	if ((rc = rl_store_vectorizer_load(db, 0, sublinear, &p.tf,
					   &p.lsa)) != RL_OK)
		goto out;
	if (p.tf.n_features + p.lsa.dim != p.m.n_cols ||
	    p.m.n_weights != (size_t)(p.m.n_cols + 1) * p.m.n_labels) {
		rc = rl_fail(db, RL_EDB, "model %lld does not match the "
			     "stored vocabulary", (long long)p.m.id);
		goto out;
	}
	uint32_t L = p.m.n_labels;
	rc = RL_ENOMEM;
	p.row.n_rows = 1;
	p.row.n_cols = p.m.n_cols;
	p.row.indptr = malloc(2 * sizeof *p.row.indptr);
	p.z = malloc((p.lsa.dim + 1) * sizeof *p.z);
	p.prob = malloc((L + 1) * sizeof *p.prob);
	p.rk = malloc((L + 1) * sizeof *p.rk);
	if (!p.row.indptr || !p.z || !p.prob || !p.rk ||
	    (rc = rl_tfidf_index_new(&p.tf, &p.ix)) != RL_OK)
		goto out;
	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	if ((rc = rl_store_tokenizer_opts(db, &to, &lang, &dir)) != RL_OK)
		goto out;
	if ((rc = rl_tokenizer_new(&to, &p.tk, err, sizeof err)) != RL_OK) {
		rl_fail(db, rc, "%s", err);
		goto out;
	}
	/* Only the terms some feature uses: any other word is unknown to
	 * the model either way, and a small map is a fast one. */
	uint32_t top_term = 0;
	for (uint32_t f = 0; f < p.tf.n_features; f++) {
		if (p.tf.term_a[f] > top_term)
			top_term = p.tf.term_a[f];
		if (p.tf.term_b[f] != RL_NO_TERM && p.tf.term_b[f] > top_term)
			top_term = p.tf.term_b[f];
	}
	if (!(used = calloc((size_t)top_term + 1, 1))) {
		rc = RL_ENOMEM;
		goto out;
	}
	for (uint32_t f = 0; f < p.tf.n_features; f++) {
		used[p.tf.term_a[f]] = 1;
		if (p.tf.term_b[f] != RL_NO_TERM)
			used[p.tf.term_b[f]] = 1;
	}
	if ((rc = rl_strmap_new(&p.terms)) != RL_OK ||
	    (rc = rl_store_terms_load(db, used, (size_t)top_term + 1,
				      p.terms, &max_term)) != RL_OK)
		goto out;
	p.next_unknown = (uint32_t)max_term + 1;

	/* The whole file into a scratch store first: a bad record stops
	 * everything before any prediction is made. */
	if ((rc = rl_db_open(":memory:", RL_OPEN_CREATE, &scratch)) != RL_OK) {
		rl_fail(db, rc, "%s", rl_db_errmsg(scratch));
		goto out;
	}
	rc = rl_import_file(scratch, path, io, NULL);
	if (rc != RL_OK) {
		rl_fail(db, rc, "%s", rl_db_errmsg(scratch));
		goto out;
	}
	rc = rl_store_reviews_batch(scratch, 0, 0, INT_MAX, on_review, &p,
				    &last);
	if (rc != RL_OK && !*rl_db_errmsg(db))
		rl_fail(db, rc, "%s", *rl_db_errmsg(scratch)
			? rl_db_errmsg(scratch) : rl_strerror(rc));
	if (n)
		*n = p.done;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_db_close(scratch);
	rl_stored_model_free(&p.m);
	rl_tfidf_free(&p.tf);
	rl_tfidf_index_free(p.ix);
	rl_lsa_free(&p.lsa);
	rl_csr_free(&p.row);
	free(p.z);
	free(p.prob);
	free(p.rk);
	rl_tokenizer_free(p.tk);
	rl_strmap_free(p.terms);
	free(used);
	free(p.tok);
	rl_buf_free(&lang);
	rl_buf_free(&dir);
	rl_buf_free(&fit);
	return rc;
}
