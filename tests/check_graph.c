/*
 * check_graph.c - the vector and graph kernels against hand-computed
 * answers (TF-IDF weights, LSA singular values, exact neighbours),
 * NN-descent against brute force, their progress ticks (same output,
 * the callback on the caller's thread alone, a clean stop when it asks),
 * and the vectorize and graph stages on small stores: incremental runs,
 * empty input, one review, duplicates, reviews with no known term, and
 * injected failures.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "store.h"
#include "testutil.h"

/* ---- TF-IDF ---- */

START_TEST(tfidf_by_hand)
{
	/* docs: [1 2 1] [2 3] [3 4]; unigrams only, min_df 1. */
	uint32_t tok[] = { 1, 2, 1, 2, 3, 3, 4 };
	uint64_t off[] = { 0, 3, 5, 7 };
	rl_docs d = { tok, off, 3 };
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.ngram_max = 1;
	o.min_df = 1;
	o.max_df = 1;
	rl_tfidf m;
	ck_assert_int_eq(rl_tfidf_fit(&d, &o, &m, NULL), RL_OK);
	ck_assert_uint_eq(m.n_features, 4);
	/* idf = ln(4 / (1 + df)) + 1 */
	ck_assert_uint_eq(m.df[0], 1);		/* term 1 */
	ck_assert_uint_eq(m.df[1], 2);		/* term 2 */
	ck_assert_double_eq_tol(m.idf[0], log(4.0 / 2) + 1, 1e-6);
	ck_assert_double_eq_tol(m.idf[1], log(4.0 / 3) + 1, 1e-6);
	rl_csr X;
	ck_assert_int_eq(rl_tfidf_transform(&m, NULL, &d, 1, &X, NULL), RL_OK);
	/* doc 0: term1 tf 2 -> (1 + ln 2) idf1; term2 tf 1 -> idf2. */
	double a = (1 + log(2.0)) * (log(2.0) + 1), b = log(4.0 / 3) + 1;
	double n = sqrt(a * a + b * b);
	ck_assert_uint_eq(X.indptr[1], 2);
	ck_assert_uint_eq(X.indices[0], 0);
	ck_assert_double_eq_tol(X.values[0], a / n, 1e-6);
	ck_assert_double_eq_tol(X.values[1], b / n, 1e-6);
	/* A prebuilt index, reused across calls, gives the same rows. */
	rl_tfidf_index *ix = NULL;
	ck_assert_int_eq(rl_tfidf_index_new(&m, &ix), RL_OK);
	for (int round = 0; round < 2; round++) {
		rl_csr Y;
		ck_assert_int_eq(rl_tfidf_transform(&m, ix, &d, 1, &Y, NULL),
				 RL_OK);
		ck_assert_uint_eq(Y.indptr[3], X.indptr[3]);
		for (uint64_t p = 0; p < X.indptr[3]; p++) {
			ck_assert_uint_eq(Y.indices[p], X.indices[p]);
			ck_assert_float_eq(Y.values[p], X.values[p]);
		}
		rl_csr_free(&Y);
	}
	rl_tfidf_index_free(ix);
	rl_tfidf_index_free(NULL);
	rl_csr_free(&X);

	/* Bigrams, and a min_df that keeps only shared features. */
	o.ngram_max = 2;
	o.min_df = 2;
	rl_tfidf m2;
	ck_assert_int_eq(rl_tfidf_fit(&d, &o, &m2, NULL), RL_OK);
	ck_assert_uint_eq(m2.n_features, 2);	/* terms 2 and 3 */
	ck_assert_uint_eq(m2.term_a[0], 2);
	ck_assert_uint_eq(m2.term_b[0], RL_NO_TERM);
	/* A document of unknown terms only has an empty row. */
	uint32_t t2[] = { 9, 9 };
	uint64_t o2[] = { 0, 2 };
	rl_docs d2 = { t2, o2, 1 };
	ck_assert_int_eq(rl_tfidf_transform(&m2, NULL, &d2, 2, &X, NULL),
			 RL_OK);
	ck_assert_uint_eq(X.indptr[1], 0);
	rl_csr_free(&X);
	rl_tfidf_free(&m);
	rl_tfidf_free(&m2);
}
END_TEST

/* ---- LSA ---- */

START_TEST(lsa_singular_values)
{
	/* A 4 x 3 matrix with orthogonal rows of norms 3, 2, 1 (and a zero
	 * row): its singular values are 3, 2, 1. */
	uint64_t indptr[] = { 0, 1, 2, 3, 3 };
	uint32_t idx[] = { 0, 1, 2 };
	float val[] = { 3, 2, 1 };
	rl_csr X = { 4, 3, indptr, idx, val };
	rl_lsa m;
	ck_assert_int_eq(rl_lsa_fit(&X, 2, 2, 2, 1, 2, &m, NULL), RL_OK);
	ck_assert_double_eq_tol(m.sigma[0], 3, 1e-4);
	ck_assert_double_eq_tol(m.sigma[1], 2, 1e-4);
	float out[8];
	ck_assert_int_eq(rl_lsa_transform(&m, &X, 1, out, NULL), RL_OK);
	/* Row 0 lies on the first component, row 2 on neither. */
	ck_assert_double_eq_tol(fabs(out[0]), 1, 1e-4);
	ck_assert_double_eq_tol(out[1], 0, 1e-4);
	ck_assert_double_eq_tol(out[4], 0, 1e-4);
	ck_assert_double_eq_tol(out[5], 0, 1e-4);
	ck_assert_double_eq_tol(out[6], 0, 1e-6);
	rl_lsa_free(&m);
	rl_lsa_free(NULL);
}
END_TEST

START_TEST(lsa_synonyms_meet)
{
	/* "cheap" and "price" never share a document, but both co-occur
	 * with "value": after LSA, cheap-only and price-only documents are
	 * close, while a shipping document stays away. */
	enum { CHEAP, PRICE, VALUE, SHIP, FAST };
	uint32_t tok[] = { CHEAP, VALUE, PRICE, VALUE, CHEAP, VALUE,
			   PRICE, VALUE, SHIP, FAST, SHIP, FAST, CHEAP,
			   PRICE, SHIP };
	uint64_t off[] = { 0, 2, 4, 6, 8, 10, 12, 13, 14, 15 };
	rl_docs d = { tok, off, 9 };
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.ngram_max = 1;
	o.min_df = 1;
	o.max_df = 1;
	rl_tfidf m;
	rl_csr X;
	rl_lsa l;
	ck_assert_int_eq(rl_tfidf_fit(&d, &o, &m, NULL), RL_OK);
	ck_assert_int_eq(rl_tfidf_transform(&m, NULL, &d, 1, &X, NULL), RL_OK);
	ck_assert_int_eq(rl_lsa_fit(&X, 2, 3, 3, 7, 1, &l, NULL), RL_OK);
	float out[18];
	ck_assert_int_eq(rl_lsa_transform(&l, &X, 2, out, NULL), RL_OK);
	/* docs 6 ("cheap"), 7 ("price"), 8 ("ship") */
	float cp = out[12] * out[14] + out[13] * out[15];
	float cs = out[12] * out[16] + out[13] * out[17];
	ck_assert_msg(cp > 0.9 && cs < 0.5, "cheap-price %f, cheap-ship %f",
		      cp, cs);
	rl_csr_free(&X);
	rl_tfidf_free(&m);
	rl_lsa_free(&l);
}
END_TEST

/* ---- neighbours ---- */

START_TEST(exact_by_hand)
{
	/* Unit vectors at angles 0, 10, 30, 100 degrees. */
	float deg[] = { 0, 10, 30, 100 };
	float x[8];
	for (int i = 0; i < 4; i++) {
		x[2 * i] = (float)cos(deg[i] * M_PI / 180);
		x[2 * i + 1] = (float)sin(deg[i] * M_PI / 180);
	}
	rl_vecs v = { .n = 4, .dim = 2, .dense = x };
	rl_knn_opts o = { .k = 2, .exact = 1, .threads = 2 };
	int32_t nbr[8];
	float sim[8];
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	int32_t want[] = { 1, 2, 0, 2, 1, 0, 2, 1 };
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(nbr[i], want[i]);
	ck_assert_double_eq_tol(sim[0], cos(10 * M_PI / 180), 1e-6);
	ck_assert_double_eq_tol(sim[6], cos(70 * M_PI / 180), 1e-6);
}
END_TEST

START_TEST(exact_sparse_and_ties)
{
	/* Rows: a = e0, b = e0 (duplicate), c = (e0 + e1)/sqrt2, d = e2. */
	float r = (float)(1 / sqrt(2.0));
	uint64_t indptr[] = { 0, 1, 2, 4, 5 };
	uint32_t idx[] = { 0, 0, 0, 1, 2 };
	float val[] = { 1, 1, r, r, 1 };
	rl_csr X = { 4, 3, indptr, idx, val };
	rl_vecs v = { .n = 4, .csr = &X };
	rl_knn_opts o = { .k = 3, .exact = 1, .threads = 1 };
	int32_t nbr[12];
	float sim[12];
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	/* a: b (1), c (0.707), d (0) */
	ck_assert_int_eq(nbr[0], 1);
	ck_assert_int_eq(nbr[1], 2);
	ck_assert_int_eq(nbr[2], 3);
	ck_assert_double_eq_tol(sim[0], 1, 1e-6);
	ck_assert_double_eq_tol(sim[2], 0, 1e-6);
	/* d is equally far from all: ties by smaller index. */
	ck_assert_int_eq(nbr[9], 0);
	ck_assert_int_eq(nbr[10], 1);
	ck_assert_int_eq(nbr[11], 2);
}
END_TEST

START_TEST(tiny_inputs)
{
	float x[] = { 1, 0 };
	rl_vecs v = { .n = 1, .dim = 2, .dense = x };
	rl_knn_opts o = { .k = 3, .threads = 2, .max_iters = 5 };
	int32_t nbr[3];
	float sim[3];
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(nbr[i], -1);
	o.k = 0;
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_EINVAL);
}
END_TEST

/* Clustered random unit vectors: n rows, dim d, c clusters. */
static float *clusters(uint32_t n, uint32_t d, uint32_t c, uint64_t seed)
{
	float *x = malloc((size_t)n * d * sizeof *x);
	float *centre = malloc((size_t)c * d * sizeof *centre);
	uint64_t s = seed;
	for (size_t i = 0; i < (size_t)c * d; i++)
		centre[i] = (float)(rl_rand_unit(&s) - 0.5);
	for (uint32_t i = 0; i < n; i++) {
		double norm = 0;
		float *row = x + (size_t)i * d;
		for (uint32_t j = 0; j < d; j++) {
			row[j] = centre[(i % c) * d + j] +
				 0.3f * (float)(rl_rand_unit(&s) - 0.5);
			norm += row[j] * row[j];
		}
		for (uint32_t j = 0; j < d; j++)
			row[j] /= (float)sqrt(norm);
	}
	free(centre);
	return x;
}

/* Counts the rounds told, checking the pools are lists of rows. */
static void on_round(void *ctx, uint32_t round, uint64_t updates,
		     const uint32_t *pools, uint32_t K)
{
	uint32_t *seen = ctx;
	ck_assert_uint_eq(round, *seen + 1);
	ck_assert_uint_eq(K, 20);
	ck_assert_uint_lt(pools[0] & RL_KNN_ID_MASK, 3000);
	(void)updates;
	(*seen)++;
}

START_TEST(descent_recall)
{
	uint32_t n = 3000, d = 32, k = 10;
	float *x = clusters(n, d, 30, 42);
	rl_vecs v = { .n = n, .dim = d, .dense = x };
	uint32_t rounds = 0, seen = 0;
	int capped = -1;
	rl_knn_opts o = { .k = k, .threads = 2, .seed = 1, .max_iters = 12,
			  .delta = 0.001, .pool = 20, .rounds = &rounds,
			  .capped = &capped, .round_fn = on_round,
			  .round_ctx = &seen };
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	int32_t *nbr1 = malloc((size_t)n * k * sizeof *nbr1);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	double recall;
	ck_assert_int_eq(rl_knn_recall(&v, k, nbr, n, 3, 2, &recall, NULL),
			 RL_OK);
	ck_assert_msg(recall >= 0.95, "recall %f", recall);
	/* the stopping rule ended it, not the cap; every round told */
	ck_assert_uint_gt(rounds, 1);
	ck_assert_uint_lt(rounds, 12);
	ck_assert_int_eq(capped, 0);
	ck_assert_uint_eq(seen, rounds);
	/* one round: the cap ends it */
	o.max_iters = 1;
	o.round_fn = NULL;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	ck_assert_uint_eq(rounds, 1);
	ck_assert_int_eq(capped, 1);
	/* as many rounds as it took: stopped by the rule, not the cap (on
	 * one thread, where a round's updates are the same every time) */
	o.threads = 1;
	o.max_iters = 12;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	uint32_t r1 = rounds;
	ck_assert_uint_lt(r1, 12);
	o.max_iters = r1;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	ck_assert_uint_eq(rounds, r1);
	ck_assert_int_eq(capped, 0);
	o.threads = 2;
	o.max_iters = 12;
	o.rounds = NULL;
	o.capped = NULL;
	/* The same graph on one thread: determinism does not hang on the
	 * thread count here. */
	o.threads = 1;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	ck_assert_int_eq(memcmp(nbr, nbr1, (size_t)n * k * sizeof *nbr), 0);
	/* Refining from a graph with holes recovers the recall. */
	for (uint32_t i = 0; i < n; i += 3)
		for (uint32_t j = 0; j < k; j++)
			nbr1[(size_t)i * k + j] = -1;
	o.init = nbr1;
	o.n_init = n;
	o.threads = 2;
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	ck_assert_int_eq(rl_knn_recall(&v, k, nbr, n, 3, 2, &recall, NULL),
			 RL_OK);
	ck_assert_msg(recall >= 0.95, "refined recall %f", recall);
	free(x);
	free(nbr);
	free(nbr1);
	free(sim);
}
END_TEST

/* Brute force the obvious way, for checking the blocked kernels. */
static void naive_knn(uint32_t n, const float *x, uint32_t d, uint32_t k,
		      int32_t *nbr, float *sim)
{
	for (uint32_t a = 0; a < n; a++) {
		int32_t *ids = nbr + (size_t)a * k;
		float *s = sim + (size_t)a * k;
		for (uint32_t i = 0; i < k; i++) {
			ids[i] = -1;
			s[i] = -INFINITY;
		}
		for (uint32_t b = 0; b < n; b++) {
			if (b == a)
				continue;
			double t = 0;
			for (uint32_t j = 0; j < d; j++)
				t += (double)x[(size_t)a * d + j] *
				     x[(size_t)b * d + j];
			uint32_t pos = k;
			while (pos > 0 && (ids[pos - 1] < 0 ||
					   t > s[pos - 1] + 1e-6))
				pos--;
			if (pos == k)
				continue;
			memmove(ids + pos + 1, ids + pos,
				(k - pos - 1) * sizeof *ids);
			memmove(s + pos + 1, s + pos,
				(k - pos - 1) * sizeof *s);
			ids[pos] = (int32_t)b;
			s[pos] = (float)t;
		}
	}
}

/* Recall@k of rows lo .. hi - 1 of nbr against the exact ex. */
static double rows_recall(const int32_t *nbr, const int32_t *ex, uint32_t k,
			  uint32_t lo, uint32_t hi)
{
	uint64_t hit = 0;
	for (uint32_t r = lo; r < hi; r++)
		for (uint32_t i = 0; i < k; i++)
			for (uint32_t j = 0; j < k; j++)
				hit += ex[(size_t)r * k + i] >= 0 &&
				       nbr[(size_t)r * k + j] ==
				       ex[(size_t)r * k + i];
	return (double)hit / ((double)(hi - lo) * k);
}

/* Refining a graph after adding 1% new rows (and dropping the lists of a
 * few old ones, as a replaced review's are): the graph's recall, and the
 * new rows', within 0.01 and 0.03 of a search from scratch; every old row that
 * kept its list lost only rows to new ones nearer than its k-th. */
START_TEST(refine_after_adding)
{
	uint32_t n = 4000, n0 = 3960, d = 32, k = 10;
	for (int shape = 0; shape < 2; shape++) {
		/* few large clusters, then many small ones */
		float *x = clusters(n, d, shape ? 400 : 30, 7);
		rl_vecs v0 = { .n = n0, .dim = d, .dense = x };
		rl_vecs v = { .n = n, .dim = d, .dense = x };
		rl_knn_opts o = { .k = k, .threads = 2, .seed = 1,
				  .max_iters = 12, .delta = 0.001,
				  .pool = 40 };
		size_t nk = (size_t)n * k;
		int32_t *init = malloc(nk * sizeof *init);
		int32_t *full = malloc(nk * sizeof *full);
		int32_t *ref = malloc(nk * sizeof *ref);
		int32_t *ex = malloc(nk * sizeof *ex);
		float *sim = malloc(nk * sizeof *sim);
		float *sim0 = malloc(nk * sizeof *sim0);
		float *sim1 = malloc(nk * sizeof *sim1);
		int32_t *ref1 = malloc(nk * sizeof *ref1);
		naive_knn(n, x, d, k, ex, sim);
		ck_assert_int_eq(rl_knn(&v0, &o, init, sim0), RL_OK);
		ck_assert_int_eq(rl_knn(&v, &o, full, sim), RL_OK);
		for (uint32_t j = 0; j < k; j++)
			init[(size_t)17 * k + j] = -1;
		/* a list naming a row twice (full, so old) */
		init[(size_t)5 * k + 1] = init[(size_t)5 * k];
		o.init = init;
		o.n_init = n0;
		o.refine = 1;
		ck_assert_int_eq(rl_knn(&v, &o, ref, sim), RL_OK);
		/* The old lists' similarities handed in: not scored again,
		 * the same graph to the bit. */
		o.init_sim = sim0;
		ck_assert_int_eq(rl_knn(&v, &o, ref1, sim1), RL_OK);
		ck_assert_int_eq(memcmp(ref, ref1, nk * sizeof *ref), 0);
		ck_assert_int_eq(memcmp(sim, sim1, nk * sizeof *sim), 0);
		/* Blocks of a few active rows, as at ten million rows: as
		 * good (checked below with the rest). */
		o.block = 97;
		ck_assert_int_eq(rl_knn(&v, &o, ref1, sim1), RL_OK);
		double rb = rows_recall(ref1, ex, k, 0, n);
		double nb = rows_recall(ref1, ex, k, n0, n);
		double rf = rows_recall(full, ex, k, 0, n);
		double rr = rows_recall(ref, ex, k, 0, n);
		double nf = rows_recall(full, ex, k, n0, n);
		double nr = rows_recall(ref, ex, k, n0, n);
		ck_assert_msg(rr >= rf - 0.01 && nr >= nf - 0.03,
			      "shape %d: refined %f (new rows %f), full %f "
			      "(%f)", shape, rr, nr, rf, nf);
		ck_assert_msg(rb >= rf - 0.01 && nb >= nf - 0.03,
			      "shape %d: refined in blocks %f (new rows %f), "
			      "full %f (%f)", shape, rb, nb, rf, nf);
		ck_assert_msg(rows_recall(ref, ex, k, 17, 18) >= 0.9,
			      "a dropped list comes back");
		for (uint32_t r = 0; r < n0; r++) {
			if (r == 17 || r == 5)
				continue;
			const int32_t *a = init + (size_t)r * k;
			const int32_t *b = ref + (size_t)r * k;
			/* the old list, but for what new rows nearer than its
			 * k-th took the place of (the last by the search's
			 * 16-bit similarities, which may tie where floats do
			 * not) */
			uint32_t in_old = 0;
			for (uint32_t j = 0; j < k; j++) {
				if (b[j] >= (int32_t)n0)
					continue;
				int seen = 0;
				for (uint32_t i = 0; i < k; i++)
					seen |= a[i] == b[j];
				ck_assert_msg(seen, "row %u took in old row %d",
					      r, b[j]);
				in_old++;
			}
			ck_assert_uint_ge(in_old, k - 2);
		}
		free(x);
		free(init);
		free(full);
		free(ref);
		free(ex);
		free(sim);
		free(sim0);
		free(sim1);
		free(ref1);
	}
}
END_TEST

START_TEST(exact_dense_blocked)
{
	/* Odd sizes, so tiles have ragged edges; every fifth row repeats
	 * the one before, so ties must go to the smaller index. */
	uint32_t n = 1001, d = 37, k = 7;
	float *x = clusters(n, d, 9, 7);
	for (uint32_t i = 5; i < n; i += 5)
		memcpy(x + (size_t)i * d, x + (size_t)(i - 1) * d,
		       d * sizeof *x);
	rl_vecs v = { .n = n, .dim = d, .dense = x };
	int32_t *want = malloc((size_t)n * k * sizeof *want);
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	int32_t *nbr1 = malloc((size_t)n * k * sizeof *nbr1);
	float *ws = malloc((size_t)n * k * sizeof *ws);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	naive_knn(n, x, d, k, want, ws);
	rl_knn_opts o = { .k = k, .exact = 1, .threads = 2 };
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	o.threads = 1;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	ck_assert_int_eq(memcmp(nbr, nbr1, (size_t)n * k * sizeof *nbr), 0);
	uint32_t same = 0;
	for (size_t i = 0; i < (size_t)n * k; i++) {
		same += nbr[i] == want[i];
		ck_assert_double_eq_tol(sim[i], ws[i], 1e-5);
	}
	/* Near-ties may order differently in float than in double. */
	ck_assert_uint_ge(same, n * k * 99 / 100);
	/* Duplicates: row 5's nearest is row 4, at similarity 1. */
	ck_assert_int_eq(nbr[5 * k], 4);
	double recall;
	ck_assert_int_eq(rl_knn_recall(&v, k, nbr, n, 3, 2, &recall, NULL),
			 RL_OK);
	ck_assert_double_eq(recall, 1);
	/* Swapping a neighbour for its duplicate is still a hit. */
	for (uint32_t i = 0; i < n; i++) {
		int32_t *l = nbr + (size_t)i * k;
		uint32_t at = k, has5 = 0;
		for (uint32_t j = 0; j < k; j++) {
			if (l[j] == 4)
				at = j;
			has5 |= l[j] == 5;
		}
		if (at < k && !has5 && i != 5)
			l[at] = 5;
	}
	ck_assert_int_eq(rl_knn_recall(&v, k, nbr, n, 3, 2, &recall, NULL),
			 RL_OK);
	ck_assert_double_eq(recall, 1);
	free(x);
	free(want);
	free(nbr);
	free(nbr1);
	free(ws);
	free(sim);
}
END_TEST

START_TEST(exact_sparse_index)
{
	/* Random sparse rows over 50 columns, some empty: the inverted
	 * index must agree with dense brute force, zero similarities
	 * included. */
	uint32_t n = 300, d = 50, k = 6;
	float *x = calloc((size_t)n * d, sizeof *x);
	uint64_t *indptr = malloc((n + 1) * sizeof *indptr);
	uint32_t *idx = malloc((size_t)n * d * sizeof *idx);
	float *val = malloc((size_t)n * d * sizeof *val);
	uint64_t s = 9, nnz = 0;
	for (uint32_t i = 0; i < n; i++) {
		double norm = 0;
		for (uint32_t j = 0; j < d; j++)
			if (i % 7 && rl_rand_unit(&s) < 0.06) {
				x[(size_t)i * d + j] = (float)rl_rand_unit(&s);
				norm += x[(size_t)i * d + j] *
					x[(size_t)i * d + j];
			}
		indptr[i] = nnz;
		for (uint32_t j = 0; j < d; j++) {
			if (!x[(size_t)i * d + j])
				continue;
			x[(size_t)i * d + j] /= (float)sqrt(norm);
			idx[nnz] = j;
			val[nnz++] = x[(size_t)i * d + j];
		}
	}
	indptr[n] = nnz;
	rl_csr X = { n, d, indptr, idx, val };
	rl_vecs v = { .n = n, .dim = d, .csr = &X };
	int32_t *want = malloc((size_t)n * k * sizeof *want);
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	float *ws = malloc((size_t)n * k * sizeof *ws);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	naive_knn(n, x, d, k, want, ws);
	rl_knn_opts o = { .k = k, .exact = 1, .threads = 2 };
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	uint32_t same = 0;
	for (size_t i = 0; i < (size_t)n * k; i++) {
		same += nbr[i] == want[i];
		ck_assert_double_eq_tol(sim[i], ws[i], 1e-5);
	}
	ck_assert_uint_ge(same, n * k * 99 / 100);
	/* An empty row's neighbours are the first rows, at 0. */
	ck_assert_int_eq(nbr[7 * k], 0);
	ck_assert_int_eq(nbr[7 * k + 1], 1);
	/* NN-descent on sparse rows works too. */
	o.exact = 0;
	o.pool = 12;
	o.max_iters = 10;
	o.delta = 0.001;
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	double recall;
	ck_assert_int_eq(rl_knn_recall(&v, k, nbr, n, 3, 2, &recall, NULL),
			 RL_OK);
	ck_assert_msg(recall >= 0.9, "sparse recall %f", recall);
	free(x);
	free(indptr);
	free(idx);
	free(val);
	free(want);
	free(nbr);
	free(ws);
	free(sim);
}
END_TEST

/* NN-descent on sparse rows: its forest splits a node by the hyperplane
 * between two of its rows, and with no dense array it still took their
 * places in one (NULL + offset, undefined; clang's UBSan stops there).
 * 200 rows in 20 groups of 10 equal rows, more than a leaf holds, so
 * nodes are split: every row's neighbours are its equals, on 1 thread as
 * on 2. Then rows with no entry at all (no index array either): each
 * gets other rows, at similarity 0. */
START_TEST(descent_sparse_forest)
{
	enum { N = 200, K = 4 };
	uint64_t indptr[N + 1];
	uint32_t idx[N];
	float val[N];
	for (uint32_t i = 0; i < N; i++) {
		indptr[i] = i;
		idx[i] = i % 20;
		val[i] = 1;
	}
	indptr[N] = N;
	rl_csr X = { N, 20, indptr, idx, val };
	rl_vecs v = { .n = N, .dim = 20, .csr = &X };
	rl_knn_opts o = { .k = K, .threads = 2, .seed = 1, .max_iters = 10,
			  .delta = 0.001, .pool = 8 };
	int32_t nbr[N * K], nbr1[N * K];
	float sim[N * K];
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	for (uint32_t i = 0; i < N * K; i++) {
		ck_assert_int_ge(nbr[i], 0);
		ck_assert_uint_eq((uint32_t)nbr[i] % 20, i / K % 20);
		ck_assert_uint_ne((uint32_t)nbr[i], i / K);
		ck_assert_double_eq_tol(sim[i], 1, 1e-6);
	}
	o.threads = 1;
	ck_assert_int_eq(rl_knn(&v, &o, nbr1, sim), RL_OK);
	ck_assert_int_eq(memcmp(nbr, nbr1, sizeof nbr), 0);

	uint64_t none[N + 1] = { 0 };
	rl_csr Z = { N, 20, none, NULL, NULL };
	v.csr = &Z;
	o.threads = 2;
	ck_assert_int_eq(rl_knn(&v, &o, nbr, sim), RL_OK);
	for (uint32_t i = 0; i < N * K; i++) {
		ck_assert_int_ge(nbr[i], 0);
		ck_assert_int_lt(nbr[i], N);
		ck_assert_uint_ne((uint32_t)nbr[i], i / K);
		ck_assert(sim[i] == 0);
	}
}
END_TEST

/* ---- the tick: progress and cancelling inside the kernels ---- */

/* A kernel run on a test case: RL_OK or its error, and a hash of all it
 * made, which it frees. */
typedef int (*kernel_run)(void *arg, rl_tick *t, uint64_t *hash);

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

/* Runs a kernel without a tick, with one that never stops it (the same
 * bytes out; every call on this thread), and with one stopping it at
 * each of its first `at` calls (RL_ECANCELED, no call after; ASan and
 * valgrind see that nothing leaks). The tick calls on its 1st, 2nd,
 * 4th ... step whatever the clock, so the case's steps fix `at`. */
static void check_tick(const char *name, kernel_run run, void *arg, int at)
{
	uint64_t plain = 0, heard = 1;
	rl_tick t;
	ck_assert_int_eq(run(arg, NULL, &plain), RL_OK);
	for (int a = 0; a <= at; a++) {
		tu_watch w = { .caller = pthread_self(), .at = a };
		rl_tick_init(&t, tu_on_tick, &w, "test");
		int rc = run(arg, &t, &heard);
		ck_assert_msg(rc == (a ? RL_ECANCELED : RL_OK),
			      "%s stopped at call %d: %s", name, a,
			      rl_strerror(rc));
		ck_assert_msg(a ? w.calls == a : w.calls >= at,
			      "%s stopped at call %d: %d calls", name, a,
			      w.calls);
		ck_assert_int_eq(w.elsewhere, 0);
		ck_assert_int_eq(w.beyond, 0);
		ck_assert_msg(w.back == 0, "%s went back %d times", name,
			      w.back);
		if (!a)
			ck_assert_msg(heard == plain, "%s changed by its "
				      "tick", name);
	}
}

typedef struct knn_case {
	rl_knn_opts o;
	rl_vecs v;
} knn_case;

static int run_knn(void *arg, rl_tick *t, uint64_t *hash)
{
	const knn_case *c = arg;
	rl_knn_opts o = c->o;
	const rl_vecs *v = &c->v;
	size_t len = (size_t)v->n * o.k;
	int32_t *nbr = malloc(len * sizeof *nbr);
	float *sim = malloc(len * sizeof *sim);
	ck_assert(nbr && sim);
	o.tick = t;
	int rc = rl_knn(v, &o, nbr, sim);
	*hash = fnv(fnv(14695981039346656037ull, nbr, len * sizeof *nbr),
		    sim, len * sizeof *sim);
	free(nbr);
	free(sim);
	return rc;
}

static int run_local_order(void *arg, rl_tick *t, uint64_t *hash)
{
	const rl_vecs *v = arg;
	uint32_t *order = malloc((size_t)v->n * sizeof *order);
	ck_assert(order);
	int rc = rl_knn_local_order(v, 1, order, t);
	*hash = fnv(14695981039346656037ull, order, v->n * sizeof *order);
	free(order);
	return rc;
}

typedef struct recall_case {
	const rl_vecs *v;
	uint32_t k;
	const int32_t *nbr;
} recall_case;

static int run_recall(void *arg, rl_tick *t, uint64_t *hash)
{
	const recall_case *c = arg;
	double recall = -1;
	int rc = rl_knn_recall(c->v, c->k, c->nbr, 200, 3, 2, &recall, t);
	*hash = fnv(14695981039346656037ull, &recall, sizeof recall);
	return rc;
}

/* n L2-normalised sparse rows over `cols` columns, about m entries each
 * (ascending, no repeats). */
static void sparse_rows(uint32_t n, uint32_t cols, uint32_t m, uint64_t s,
			rl_csr *X)
{
	X->n_rows = n;
	X->n_cols = cols;
	X->indptr = malloc((n + 1) * sizeof *X->indptr);
	X->indices = malloc((size_t)n * m * sizeof *X->indices);
	X->values = malloc((size_t)n * m * sizeof *X->values);
	ck_assert(X->indptr && X->indices && X->values);
	uint64_t nnz = 0;
	for (uint32_t i = 0; i < n; i++) {
		double norm = 0;
		X->indptr[i] = nnz;
		/* Ascending columns with random gaps; rows near each other
		 * share some. */
		uint32_t c = (uint32_t)(rl_rand_next(&s) % (cols / 2));
		for (uint32_t j = 0; j < m && c < cols; j++) {
			float x = (float)(0.1 + rl_rand_unit(&s));
			X->indices[nnz] = c;
			X->values[nnz++] = x;
			norm += x * x;
			c += 1 + (uint32_t)(rl_rand_next(&s) % 8);
		}
		for (uint64_t p = X->indptr[i]; p < nnz; p++)
			X->values[p] /= (float)sqrt(norm);
	}
	X->indptr[n] = nnz;
}

typedef struct lsa_case {
	const rl_csr *X;
	rl_lsa m;		/* fitted, for the transform */
} lsa_case;

static int run_lsa_fit(void *arg, rl_tick *t, uint64_t *hash)
{
	lsa_case *c = arg;
	rl_lsa m;
	int rc = rl_lsa_fit(c->X, 8, 4, 3, 5, 2, &m, t);
	*hash = 14695981039346656037ull;
	if (rc == RL_OK)
		*hash = fnv(fnv(*hash, m.components, (size_t)m.n_cols *
				m.dim * sizeof *m.components),
			    m.sigma, m.dim * sizeof *m.sigma);
	rl_lsa_free(&m);
	return rc;
}

static int run_lsa_transform(void *arg, rl_tick *t, uint64_t *hash)
{
	lsa_case *c = arg;
	size_t len = (size_t)c->X->n_rows * c->m.dim;
	float *out = malloc(len * sizeof *out);
	ck_assert_ptr_nonnull(out);
	int rc = rl_lsa_transform(&c->m, c->X, 2, out, t);
	*hash = fnv(14695981039346656037ull, out, len * sizeof *out);
	free(out);
	return rc;
}

static int run_tfidf(void *arg, rl_tick *t, uint64_t *hash)
{
	const rl_docs *d = arg;
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	rl_tfidf m;
	rl_csr X = { 0 };
	int rc = rl_tfidf_fit(d, &o, &m, t);
	if (rc == RL_OK)
		rc = rl_tfidf_transform(&m, NULL, d, 2, &X, t);
	*hash = 14695981039346656037ull;
	if (rc == RL_OK) {
		*hash = fnv(*hash, m.term_a, m.n_features * sizeof *m.term_a);
		*hash = fnv(*hash, m.term_b, m.n_features * sizeof *m.term_b);
		*hash = fnv(*hash, m.idf, m.n_features * sizeof *m.idf);
		*hash = fnv(*hash, X.indptr, (X.n_rows + 1) *
			    sizeof *X.indptr);
		*hash = fnv(*hash, X.indices, X.indptr[X.n_rows] *
			    sizeof *X.indices);
		*hash = fnv(*hash, X.values, X.indptr[X.n_rows] *
			    sizeof *X.values);
	}
	rl_tfidf_free(&m);
	rl_csr_free(&X);
	return rc;
}

START_TEST(tick_stops_kernels)
{
	/* Big enough that the kernels step more than twice on thread 0:
	 * 2000 dense and 600 sparse rows split over 2 or 3 threads, steps
	 * every 16 rows of a join or a sparse search, every chunk of a
	 * dense one. */
	uint32_t n = 2000, k = 10;
	knn_case c;
	float *x = clusters(n, 16, 20, 3);
	rl_csr X;
	sparse_rows(600, 400, 12, 4, &X);
	rl_vecs dense = { .n = n, .dim = 16, .dense = x };
	rl_vecs sparse = { .n = 600, .dim = 400, .csr = &X };
	for (int kind = 0; kind < 4; kind++) {
		static const char *const names[] = {
			"dense descent", "sparse descent", "dense exact",
			"sparse exact"
		};
		c.o = (rl_knn_opts){ .k = k, .threads = 3, .seed = 1,
				     .max_iters = 8, .delta = 0.001,
				     .pool = 20, .exact = kind >= 2 };
		c.v = kind % 2 ? sparse : dense;
		check_tick(names[kind], run_knn, &c, 2);
	}
	/* Recall: 200 sample rows in 3 blocks, each over 4 chunks. */
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	c.o = (rl_knn_opts){ .k = k, .threads = 2, .seed = 1, .max_iters = 8,
			     .delta = 0.001, .pool = 20 };
	ck_assert_int_eq(rl_knn(&dense, &c.o, nbr, sim), RL_OK);
	recall_case rc = { &dense, k, nbr };
	check_tick("recall", run_recall, &rc, 2);
	free(nbr);
	free(sim);
	free(x);
	rl_csr_free(&X);

	/* The locality order: 30000 rows cut into leaves of 64, a step
	 * every 65536 rows cut, some 9 levels of 30000. */
	float *y = clusters(30000, 8, 30, 9);
	rl_vecs many = { .n = 30000, .dim = 8, .dense = y };
	check_tick("locality order", run_local_order, &many, 3);
	free(y);

	/* LSA: 3000 rows, 1500 a thread, so a step in every product
	 * besides the 5 phases; the transform of 5000 steps twice. */
	lsa_case lc;
	sparse_rows(3000, 300, 10, 5, &X);
	lc.X = &X;
	check_tick("lsa fit", run_lsa_fit, &lc, 2);
	rl_csr_free(&X);
	sparse_rows(5000, 300, 10, 6, &X);
	ck_assert_int_eq(rl_lsa_fit(&X, 8, 4, 2, 5, 2, &lc.m, NULL), RL_OK);
	check_tick("lsa transform", run_lsa_transform, &lc, 2);
	rl_lsa_free(&lc.m);
	rl_csr_free(&X);

	/* TF-IDF: 10000 documents step twice in the fit and twice in the
	 * transform; the third call is the transform's first step. */
	uint32_t nd = 10000;
	uint64_t *off = malloc((nd + 1) * sizeof *off), s = 8;
	uint32_t *tok = malloc((size_t)nd * 12 * sizeof *tok);
	ck_assert(off && tok);
	off[0] = 0;
	for (uint32_t i = 0; i < nd; i++) {
		uint32_t len = 3 + (uint32_t)(rl_rand_next(&s) % 10);
		for (uint32_t j = 0; j < len; j++)
			tok[off[i] + j] = (uint32_t)(rl_rand_next(&s) % 500);
		off[i + 1] = off[i] + len;
	}
	rl_docs d = { tok, off, nd };
	check_tick("tfidf", run_tfidf, &d, 3);
	free(off);
	free(tok);
}
END_TEST

/* ---- stages ---- */

static rl_db *db;
static char db_path[512];

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

static void add(const char *tsv)
{
	ck_assert_int_eq(rl_import_file(db, tu_write("in.tsv", tsv, 0), NULL,
					NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
}

START_TEST(stage_empty)
{
	rl_vectorize_stats vs;
	ck_assert_int_eq(rl_vectorize(db, NULL, &vs), RL_EEMPTY);
	ck_assert_int_eq(rl_db_need(db), RL_NEED_TOKENS);
	rl_graph_stats gs;
	ck_assert_int_eq(rl_graph(db, NULL, &gs), RL_EEMPTY);
	ck_assert_int_eq(rl_db_need(db), RL_NEED_VECTORS);
	/* One review: no feature is shared, a clear error. */
	add("id\ttext\n1\tgreat value\n");
	ck_assert_int_eq(rl_vectorize(db, NULL, &vs), RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "min_df"));
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	ck_assert_int_eq(rl_vectorize_opts_set(&o, "min_df=1"), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, &o, &vs), RL_OK);
	ck_assert_int_eq(rl_graph(db, NULL, &gs), RL_OK);
	ck_assert_uint_eq(gs.reviews, 1);
	ck_assert_uint_eq(gs.edges, 0);
}
END_TEST

START_TEST(stage_graph_duplicates_unknown)
{
	add("id\ttext\n"
	    "a\tcheap price, good value\n"
	    "b\tcheap price, good value\n"
	    "c\tfast shipping, arrived early\n"
	    "d\tshipping was fast\n"
	    "e\tgood value for the price\n"
	    "f\tzebra xylophone\n");
	rl_vectorize_stats vs;
	ck_assert_int_eq(rl_vectorize(db, NULL, &vs), RL_OK);
	ck_assert_uint_eq(vs.reviews, 6);
	ck_assert_int_eq(vs.refit, 1);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 2;
	go.vectors = RL_VECTORS_TFIDF;
	rl_graph_stats gs;
	ck_assert_int_eq(rl_graph(db, &go, &gs), RL_OK);
	ck_assert_int_eq(gs.exact, 1);
	/* Written without the foreign-key lookups, every row names reviews,
	 * and the checks are on again for what the handle does next. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"pragma_foreign_key_check('neighbours')"), 0);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	/* Duplicates are each other's nearest, at similarity 1. */
	ck_assert_int_eq(tu_int(db_path, "SELECT r2.ext_id = 'b' FROM "
				"neighbours n JOIN reviews r ON r.id = "
				"n.review_id JOIN reviews r2 ON r2.id = "
				"n.neighbour_id WHERE r.ext_id = 'a' AND "
				"n.rank = 1"), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT round(similarity, 5) = 1 "
				"FROM neighbours n JOIN reviews r ON r.id = "
				"n.review_id WHERE r.ext_id = 'a' AND "
				"n.rank = 1"), 1);
	/* A review with no known term has neighbours at similarity 0. */
	ck_assert_int_eq(tu_int(db_path, "SELECT max(similarity) = 0 FROM "
				"neighbours n JOIN reviews r ON r.id = "
				"n.review_id WHERE r.ext_id = 'f'"), 1);
	/* Run again: nothing changed, nothing redone. */
	ck_assert_int_eq(rl_vectorize(db, NULL, &vs), RL_OK);
	ck_assert_uint_eq(vs.reviews, 0);
	ck_assert_int_eq(rl_graph(db, &go, &gs), RL_OK);
	ck_assert_int_eq(gs.incremental, 1);
	ck_assert_uint_eq(gs.edges, 12);
	/* One more review: transformed with the stored fit. */
	ck_assert_int_eq(rl_import_file(db, tu_write("more.tsv", "id\ttext\n"
						   "g\tvalue, cheap\n", 0),
					NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, &vs), RL_OK);
	ck_assert_uint_eq(vs.reviews, 1);
	ck_assert_int_eq(vs.refit, 0);
	ck_assert_int_eq(rl_graph(db, &go, &gs), RL_OK);
	ck_assert_uint_eq(gs.reviews, 7);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM neighbours"),
			 14);
	/* A name outside the list is refused as it is parsed; a number
	 * outside the enum by the stage. */
	ck_assert_int_eq(rl_graph_opts_set(&go, "vectors=bogus"), RL_EINVAL);
	ck_assert_int_eq(go.vectors, RL_VECTORS_TFIDF);
	go.vectors = (rl_vectors)9;
	ck_assert_int_eq(rl_graph(db, &go, &gs), RL_EINVAL);
}
END_TEST

/* A review with no known term has an empty TF-IDF row, stored as an
 * empty blob, which SQLite returns as NULL: loading it must not do
 * pointer arithmetic on NULL (clang's UBSan: "applying zero offset to
 * null pointer", found by fuzz/fuzz_report's setup). */
START_TEST(stage_empty_vector_loads)
{
	add("id\ttext\n"
	    "a\tcheap price, good value\n"
	    "b\tzebra xylophone\n"
	    "c\tgood value for the price\n");
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	rl_vector_set t = { 0 };
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &t),
			 RL_OK);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_gt(t.csr.indptr[1], 0);
	ck_assert_uint_eq(t.csr.indptr[2], t.csr.indptr[1]);	/* b */
	ck_assert_uint_gt(t.csr.indptr[3], t.csr.indptr[2]);
	rl_vector_set_free(&t);
}
END_TEST

/* A review with no token (punctuation only) has an empty token list,
 * stored as an empty blob, which SQLite returns as NULL: loading the
 * tokens must not do pointer arithmetic on NULL (clang's UBSan:
 * "applying zero offset to null pointer"). */
START_TEST(stage_empty_tokens_load)
{
	add("id\ttext\n"
	    "a\tcheap price, good value\n"
	    "b\t!!!\n"
	    "c\tgood value for the price\n");
	rl_token_set t = { 0 };
	ck_assert_int_eq(rl_store_tokens_load(db, 0, &t), RL_OK);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_gt(t.doc_off[1], 0);
	ck_assert_uint_eq(t.doc_off[2], t.doc_off[1]);	/* b */
	ck_assert_uint_gt(t.doc_off[3], t.doc_off[2]);
	rl_token_set_free(&t);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
}
END_TEST

/* The stored LSA projection as reloaded, checked against the LSA vectors
 * the stage stored: projecting each stored TF-IDF row with it must give
 * the stored LSA row. */
static void projection_reproduces_vectors(void)
{
	rl_tfidf tf;
	rl_lsa lsa;
	rl_vector_set t = { 0 }, z = { 0 };
	ck_assert_int_eq(rl_store_vectorizer_load(db, 0, 1, &tf, &lsa), RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &t),
			 RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, &z),
			 RL_OK);
	ck_assert_uint_eq(t.n, z.n);
	float *out = malloc((size_t)t.n * lsa.dim * sizeof *out);
	t.csr.n_cols = tf.n_features;
	ck_assert_int_eq(rl_lsa_transform(&lsa, &t.csr, 1, out, NULL), RL_OK);
	for (size_t i = 0; i < (size_t)t.n * lsa.dim; i++)
		ck_assert_float_eq_tol(out[i], z.dense[i], 1e-5);
	free(out);
	rl_vector_set_free(&t);
	rl_vector_set_free(&z);
	rl_tfidf_free(&tf);
	rl_lsa_free(&lsa);
}

START_TEST(stage_projection_stored_sparse)
{
	/* LSA fitted on the 4 most frequent features: the projection
	 * keeps those rows only, and loads back to the same vectors. */
	add("id\ttext\n"
	    "a\tcheap price, good value\n"
	    "b\tcheap price and low cost\n"
	    "c\tfast shipping, arrived early\n"
	    "d\tshipping was fast and early\n"
	    "e\tgood value for the price\n"
	    "f\tlow cost, good value, fast\n");
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.lsa_features = 4;
	o.dim = 2;
	rl_vectorize_stats vs;
	ck_assert_int_eq(rl_vectorize(db, &o, &vs), RL_OK);
	ck_assert_int_gt(vs.features, 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT length(cols) / 4 FROM "
				"projection"), 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT length(components) FROM "
				"projection"), 4 * 2 * 4);
	projection_reproduces_vectors();
	/* A store of revlab 1 kept every row and no cols: still read. */
	rl_tfidf tf;
	rl_lsa lsa;
	ck_assert_int_eq(rl_store_vectorizer_load(db, 0, 1, &tf, &lsa), RL_OK);
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s, "UPDATE projection SET "
					    "components = ?1, cols = NULL",
					    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, lsa.components, (int)((size_t)lsa.n_cols *
			  lsa.dim * sizeof(float)), SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	rl_tfidf_free(&tf);
	rl_lsa_free(&lsa);
	projection_reproduces_vectors();
	/* A damaged list of rows is refused with a clear error. */
	ck_assert_int_eq(sqlite3_exec(s, "UPDATE projection SET components "
				      "= zeroblob(16), cols = x'0300000001000000'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_store_vectorizer_load(db, 0, 1, &tf, &lsa),
			 RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "projection"));
}
END_TEST

START_TEST(stage_injected_failures)
{
	add("id\ttext\na\tcheap price\nb\tcheap value\nc\tprice value\n");
	char *before = tu_digest(db_path);
	int n;
	for (n = 1; n < 200; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_vectorize(db, NULL, NULL);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	rl_store_fail_step(db, 0);
	ck_assert_int_lt(n, 200);
	free(before);
	before = tu_digest(db_path);
	for (n = 1; n < 200; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_graph(db, NULL, NULL);
		/* The stage turns the foreign-key checks off; whatever
		 * failed, they are on again after it. */
		ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	rl_store_fail_step(db, 0);
	ck_assert_int_lt(n, 200);
	free(before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, tfidf_by_hand);
	tcase_add_test(tc, lsa_singular_values);
	tcase_add_test(tc, lsa_synonyms_meet);
	tcase_add_test(tc, exact_by_hand);
	tcase_add_test(tc, exact_sparse_and_ties);
	tcase_add_test(tc, tiny_inputs);
	tcase_add_test(tc, descent_recall);
	tcase_add_test(tc, refine_after_adding);
	tcase_add_test(tc, exact_dense_blocked);
	tcase_add_test(tc, exact_sparse_index);
	tcase_add_test(tc, descent_sparse_forest);
	tcase_add_test(tc, tick_stops_kernels);
	suite_add_tcase(s, tc);
	tc = tcase_create("stages");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stage_empty);
	tcase_add_test(tc, stage_graph_duplicates_unknown);
	tcase_add_test(tc, stage_empty_vector_loads);
	tcase_add_test(tc, stage_empty_tokens_load);
	tcase_add_test(tc, stage_projection_stored_sparse);
	tcase_add_test(tc, stage_injected_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
