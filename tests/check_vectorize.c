/*
 * check_vectorize.c - the vectorize stage in bounded memory: the sample
 * draw and the batched document-frequency count against known answers;
 * the stage, reading and writing a batch of reviews at a time, against
 * the whole corpus vectorized in memory by the kernels (bit for bit,
 * with the LSA sample covering the corpus or not, batches of 1, 7 and
 * all); the update of new reviews with the stored fit; and a cancel, a
 * failing SQLite step or corrupt tokens in the middle of the stream
 * leaving the store as it was.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "store.h"
#include "testutil.h"

/* ---- kernels ---- */

START_TEST(draw_counts_and_spread)
{
	rl_draw d;
	/* Exactly min(want, n), and nothing past the n-th item. */
	static const uint64_t cases[][2] = { { 10, 3 }, { 10, 10 },
					     { 10, 25 }, { 1, 1 },
					     { 1000, 1 }, { 7, 0 } };
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		uint64_t n = cases[c][0], want = cases[c][1], got = 0;
		rl_draw_init(&d, n, want, 5);
		for (uint64_t i = 0; i < n; i++)
			got += (uint64_t)rl_draw_next(&d);
		ck_assert_uint_eq(got, want < n ? want : n);
		ck_assert_int_eq(rl_draw_next(&d), 0);
	}
	/* Covering everything: every item, whatever the seed. */
	for (uint64_t seed = 0; seed < 20; seed++) {
		rl_draw_init(&d, 5, 5, seed);
		for (int i = 0; i < 5; i++)
			ck_assert_int_eq(rl_draw_next(&d), 1);
	}
	/* Same seed, same draw; over 4000 seeds each of 10 places is
	 * drawn about 3/10 of the time (1200; a binomial's standard
	 * deviation is 29, the bound 6 of them). */
	int hits[10] = { 0 }, same = 1, differ = 0;
	for (uint64_t seed = 0; seed < 4000; seed++) {
		rl_draw a, b, c;
		rl_draw_init(&a, 10, 3, seed);
		rl_draw_init(&b, 10, 3, seed);
		rl_draw_init(&c, 10, 3, seed + 1);
		for (int i = 0; i < 10; i++) {
			int x = rl_draw_next(&a);
			same &= x == rl_draw_next(&b);
			differ |= x != rl_draw_next(&c);
			hits[i] += x;
		}
	}
	ck_assert(same);
	ck_assert(differ);
	for (int i = 0; i < 10; i++)
		ck_assert_msg(hits[i] > 1200 - 175 && hits[i] < 1200 + 175,
			      "place %d drawn %d times of 4000", i, hits[i]);
}
END_TEST

START_TEST(df_count_in_batches)
{
	/* docs: [1 2 1] [2 3] [3 4] [] [4 4]; with bigrams, min_df 1:
	 * df 1:1, 2:2, 3:2, 4:2, (1 2):1, (2 1):1, (2 3):1, (3 4):1,
	 * (4 4):1. */
	uint32_t tok[] = { 1, 2, 1, 2, 3, 3, 4, 4, 4 };
	uint64_t off[] = { 0, 3, 5, 7, 7, 9 };
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.min_df = 1;
	rl_tfidf whole, part;
	rl_docs all = { tok, off, 5 };
	ck_assert_int_eq(rl_tfidf_fit(&all, &o, &whole, NULL), RL_OK);
	ck_assert_uint_eq(whole.n_features, 9);
	ck_assert_uint_eq(whole.n_docs, 5);
	static const uint32_t a[] = { 1, 1, 2, 2, 2, 3, 3, 4, 4 };
	static const uint32_t b[] = { 2, RL_NO_TERM, 1, 3, RL_NO_TERM, 4,
				      RL_NO_TERM, 4, RL_NO_TERM };
	static const uint32_t df[] = { 1, 1, 1, 1, 2, 1, 2, 1, 2 };
	for (int f = 0; f < 9; f++) {
		ck_assert_uint_eq(whole.term_a[f], a[f]);
		ck_assert_uint_eq(whole.term_b[f], b[f]);
		ck_assert_uint_eq(whole.df[f], df[f]);
	}
	/* The same counted a batch of 1, 2 or 3 documents at a time. */
	for (uint32_t size = 1; size <= 3; size++) {
		rl_df_count *c = NULL;
		ck_assert_int_eq(rl_df_count_new(2, &c), RL_OK);
		for (uint32_t d = 0; d < 5; d += size) {
			uint32_t m = d + size <= 5 ? size : 5 - d;
			rl_docs part_docs = { tok, off + d, m };
			ck_assert_int_eq(rl_df_count_add(c, &part_docs, NULL,
							 5), RL_OK);
		}
		ck_assert_uint_eq(rl_df_count_docs(c), 5);
		ck_assert_int_eq(rl_df_count_vocab(c, &o, &part), RL_OK);
		ck_assert_uint_eq(part.n_features, whole.n_features);
		ck_assert_uint_eq(part.n_docs, 5);
		for (uint32_t f = 0; f < whole.n_features; f++) {
			ck_assert_uint_eq(part.term_a[f], whole.term_a[f]);
			ck_assert_uint_eq(part.term_b[f], whole.term_b[f]);
			ck_assert_uint_eq(part.df[f], whole.df[f]);
			ck_assert(part.idf[f] == whole.idf[f]);
		}
		rl_tfidf_free(&part);
		rl_df_count_free(c);
	}
	rl_tfidf_free(&whole);
}
END_TEST

/* ---- the stage ---- */

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

/* Imports and tokenizes the reviews of examples/reviews.tsv (300) from
 * number `from` (0-based) up to, not including, `to`. */
static void add_examples(int from, int to)
{
	char src[512], line[8192];
	snprintf(src, sizeof src, "%s/reviews.tsv", RL_EXAMPLES_DIR);
	FILE *in = fopen(src, "r");
	ck_assert_ptr_nonnull(in);
	const char *path = tu_path("part.tsv");
	FILE *out = fopen(path, "w");
	ck_assert_ptr_nonnull(out);
	for (int i = -1; fgets(line, sizeof line, in); i++)
		if (i < 0 || (i >= from && i < to))
			fputs(line, out);
	fclose(in);
	fclose(out);
	ck_assert_int_eq(rl_import_file(db, path, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
}

/* Runs SQL on the store through a connection of its own. */
static void sql(const char *text)
{
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
}

static void small_opts(rl_vectorize_opts *o)
{
	rl_vectorize_opts_init(o);
	o->dim = 6;
	o->lsa_features = 50;
	o->n_iter = 2;
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

/* The vectorizer on the whole corpus in memory, from the kernels alone,
 * as the stage did before it streamed: every review's tokens, the
 * vocabulary, the whole TF-IDF matrix X; LSA learned from X's rows that
 * rl_draw picks (all of them when the sample covers the corpus) in the
 * lsa_features most frequent columns, the others given zero components;
 * every row projected into proj [n][dim]. */
typedef struct reference {
	rl_token_set t;
	rl_tfidf tf;
	rl_csr X;
	rl_lsa lsa;
	float *proj;
} reference;

static void reference_free(reference *r)
{
	rl_token_set_free(&r->t);
	rl_tfidf_free(&r->tf);
	rl_csr_free(&r->X);
	rl_lsa_free(&r->lsa);
	free(r->proj);
}

static void reference_make(const rl_vectorize_opts *o, reference *r)
{
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(rl_store_tokens_load(db, 0, &r->t), RL_OK);
	rl_docs d = { r->t.tokens, r->t.doc_off, r->t.n };
	ck_assert_int_eq(rl_tfidf_fit(&d, o, &r->tf, NULL), RL_OK);
	ck_assert_int_eq(rl_tfidf_transform(&r->tf, NULL, &d, o->ngram_max,
					    &r->X, NULL), RL_OK);
	uint32_t V = r->tf.n_features, n = r->t.n;
	uint32_t keep = (uint32_t)o->lsa_features;
	if (V < keep)
		keep = V;
	uint32_t *map = malloc(V * sizeof *map);
	by_df *order = malloc(V * sizeof *order);
	for (uint32_t c = 0; c < V; c++) {
		order[c] = (by_df){ r->tf.df[c], c };
		map[c] = UINT32_MAX;
	}
	qsort(order, V, sizeof *order, df_desc);
	for (uint32_t i = 0; i < keep; i++)
		map[order[i].col] = 0;
	for (uint32_t c = 0, next = 0; c < V; c++)
		if (map[c] == 0)
			map[c] = next++;
	rl_csr sub = { 0, keep, calloc((size_t)n + 1, sizeof(uint64_t)),
		       malloc((r->X.indptr[n] + 1) * sizeof(uint32_t)),
		       malloc((r->X.indptr[n] + 1) * sizeof(float)) };
	rl_draw draw;
	rl_draw_init(&draw, n, o->lsa_sample > 0 ? (uint64_t)o->lsa_sample
						 : n, (uint64_t)o->seed);
	uint64_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!rl_draw_next(&draw))
			continue;
		for (uint64_t p = r->X.indptr[i]; p < r->X.indptr[i + 1]; p++)
			if (map[r->X.indices[p]] != UINT32_MAX) {
				sub.indices[at] = map[r->X.indices[p]];
				sub.values[at++] = r->X.values[p];
			}
		sub.indptr[++sub.n_rows] = at;
	}
	rl_lsa small;
	ck_assert_int_eq(rl_lsa_fit(&sub, (uint32_t)o->dim, 10,
				    (uint32_t)o->n_iter, (uint64_t)o->seed,
				    o->threads, &small, NULL), RL_OK);
	r->lsa.dim = small.dim;
	r->lsa.n_cols = V;
	r->lsa.components = calloc((size_t)V * small.dim, sizeof(float));
	r->lsa.sigma = malloc(small.dim * sizeof(double));
	memcpy(r->lsa.sigma, small.sigma, small.dim * sizeof(double));
	for (uint32_t c = 0; c < V; c++)
		if (map[c] != UINT32_MAX)
			memcpy(r->lsa.components + (size_t)c * small.dim,
			       small.components + (size_t)map[c] * small.dim,
			       small.dim * sizeof(float));
	r->proj = malloc((size_t)n * small.dim * sizeof(float));
	ck_assert_int_eq(rl_lsa_transform(&r->lsa, &r->X, 1, r->proj, NULL),
			 RL_OK);
	rl_lsa_free(&small);
	rl_csr_free(&sub);
	free(map);
	free(order);
}

/* The store's features, projection and vectors are the reference's, bit
 * for bit. */
static void store_is(const reference *r)
{
	rl_tfidf tf;
	rl_lsa lsa;
	ck_assert_int_eq(rl_store_vectorizer_load(db, r->t.n, 1, &tf, &lsa),
			 RL_OK);
	ck_assert_uint_eq(tf.n_features, r->tf.n_features);
	for (uint32_t f = 0; f < tf.n_features; f++) {
		ck_assert_uint_eq(tf.term_a[f], r->tf.term_a[f]);
		ck_assert_uint_eq(tf.term_b[f], r->tf.term_b[f]);
		ck_assert_uint_eq(tf.df[f], r->tf.df[f]);
		ck_assert(tf.idf[f] == r->tf.idf[f]);
	}
	ck_assert_uint_eq(lsa.dim, r->lsa.dim);
	ck_assert_uint_eq(lsa.n_cols, r->lsa.n_cols);
	ck_assert(!memcmp(lsa.sigma, r->lsa.sigma, lsa.dim * sizeof(double)));
	ck_assert(!memcmp(lsa.components, r->lsa.components,
			  (size_t)lsa.n_cols * lsa.dim * sizeof(float)));
	rl_vector_set t = { 0 }, z = { 0 };
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &t),
			 RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, &z),
			 RL_OK);
	uint32_t n = r->t.n;
	ck_assert_uint_eq(t.n, n);
	ck_assert_uint_eq(z.n, n);
	ck_assert(!memcmp(t.review_ids, r->t.review_ids, n * sizeof(int64_t)));
	ck_assert(!memcmp(t.csr.indptr, r->X.indptr,
			  ((size_t)n + 1) * sizeof(uint64_t)));
	uint64_t nnz = r->X.indptr[n];
	ck_assert(!memcmp(t.csr.indices, r->X.indices, nnz * sizeof(uint32_t)));
	ck_assert(!memcmp(t.csr.values, r->X.values, nnz * sizeof(float)));
	ck_assert(!memcmp(z.dense, r->proj,
			  (size_t)n * lsa.dim * sizeof(float)));
	rl_vector_set_free(&t);
	rl_vector_set_free(&z);
	rl_tfidf_free(&tf);
	rl_lsa_free(&lsa);
}

/* Batches of 1, 7 and all 300 reviews (0, as options made before the
 * setting existed have it: the default), with an LSA sample of all, of
 * more than the corpus and of 100 of its 300 reviews: each time the
 * reference, bit for bit. The sample of 100 learns another projection
 * (so the draw is exercised), the same TF-IDF vectors. */
START_TEST(stream_equals_memory)
{
	add_examples(0, 300);
	static const int samples[] = { 0, 1000, 100 };
	static const int batches[] = { 1, 7, 0 };
	float first = 0;
	for (int s = 0; s < 3; s++) {
		rl_vectorize_opts o;
		small_opts(&o);
		o.lsa_sample = samples[s];
		reference r;
		reference_make(&o, &r);
		ck_assert_uint_eq(r.t.n, 300);
		ck_assert_uint_gt(r.tf.n_features, 50);
		if (s == 0)
			first = r.lsa.components[r.lsa.n_cols * r.lsa.dim - 1] +
				(float)r.lsa.sigma[0];
		else if (s == 2)
			ck_assert(first != r.lsa.components[r.lsa.n_cols *
							    r.lsa.dim - 1] +
				  (float)r.lsa.sigma[0]);
		for (int b = 0; b < 3; b++) {
			o.batch = batches[b];
			rl_vectorize_stats st;
			ck_assert_int_eq(rl_vectorize(db, &o, &st), RL_OK);
			/* Each setting of the sample is a new fit; the batch
			 * is not part of the fit. */
			ck_assert_int_eq(st.refit, b == 0);
			ck_assert_uint_eq(st.reviews, b == 0 ? 300 : 0);
			if (b == 0)
				ck_assert_uint_eq(st.nnz, r.X.indptr[300]);
			store_is(&r);
			/* Made again from nothing with this batch size. */
			sql("DELETE FROM settings WHERE key = 'vectorize'");
			ck_assert_int_eq(rl_vectorize(db, &o, &st), RL_OK);
			ck_assert_int_eq(st.refit, 1);
			store_is(&r);
		}
		reference_free(&r);
	}
}
END_TEST

/* The update: 250 reviews fitted, then 50 more (a fifth: no refit)
 * read and written 3 at a time with the stored fit. The first 250 keep
 * their vectors; the new ones get what the stored fit makes of their
 * tokens in memory. */
START_TEST(update_streams)
{
	add_examples(0, 250);
	rl_vectorize_opts o;
	small_opts(&o);
	o.batch = 7;
	rl_vectorize_stats st;
	ck_assert_int_eq(rl_vectorize(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.refit, 1);
	char *before = tu_text(db_path, "SELECT group_concat(hex(data), '') "
			       "FROM (SELECT data FROM vectors ORDER BY "
			       "review_id, kind)");
	add_examples(250, 300);
	o.batch = 3;
	ck_assert_int_eq(rl_vectorize(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.refit, 0);
	ck_assert_uint_eq(st.reviews, 50);
	char *old = tu_text(db_path, "SELECT group_concat(hex(data), '') "
			    "FROM (SELECT data FROM vectors WHERE review_id "
			    "<= 250 ORDER BY review_id, kind)");
	ck_assert_str_eq(before, old);
	free(before);
	free(old);
	/* The new reviews, in memory with the stored fit. */
	rl_tfidf tf;
	rl_lsa lsa;
	rl_token_set t;
	rl_vector_set vt = { 0 }, vz = { 0 };
	rl_csr X;
	ck_assert_int_eq(rl_store_vectorizer_load(db, 250, 1, &tf, &lsa),
			 RL_OK);
	ck_assert_int_eq(rl_store_tokens_load(db, 0, &t), RL_OK);
	ck_assert_uint_eq(t.n, 300);
	ck_assert_int_eq(t.review_ids[250], 251);
	rl_docs d = { t.tokens, t.doc_off + 250, 50 };
	ck_assert_int_eq(rl_tfidf_transform(&tf, NULL, &d, 2, &X, NULL),
			 RL_OK);
	float *proj = malloc(50 * lsa.dim * sizeof *proj);
	ck_assert_int_eq(rl_lsa_transform(&lsa, &X, 1, proj, NULL), RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &vt),
			 RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, &vz),
			 RL_OK);
	ck_assert_uint_eq(vt.n, 300);
	uint64_t base = vt.csr.indptr[250];
	for (uint32_t i = 0; i <= 50; i++)
		ck_assert_uint_eq(vt.csr.indptr[250 + i] - base, X.indptr[i]);
	ck_assert(!memcmp(vt.csr.indices + base, X.indices,
			  X.indptr[50] * sizeof(uint32_t)));
	ck_assert(!memcmp(vt.csr.values + base, X.values,
			  X.indptr[50] * sizeof(float)));
	ck_assert(!memcmp(vz.dense + (size_t)250 * lsa.dim, proj,
			  (size_t)50 * lsa.dim * sizeof(float)));
	free(proj);
	rl_csr_free(&X);
	rl_vector_set_free(&vt);
	rl_vector_set_free(&vz);
	rl_token_set_free(&t);
	rl_tfidf_free(&tf);
	rl_lsa_free(&lsa);
}
END_TEST

/* Stops at progress call `at`; at that call notes, through the stage's
 * own connection (so inside its transaction), how many reviews still
 * lacked vectors. */
typedef struct stopper {
	int calls, at;
	uint64_t lacking;
} stopper;

static int stop_at(void *ctx, const char *stage, uint64_t done,
		   uint64_t total)
{
	stopper *s = ctx;
	(void)stage;
	(void)done;
	(void)total;
	if (++s->calls != s->at)
		return 0;
	if (rl_store_tokens_count(db, 1, &s->lacking) != RL_OK)
		s->lacking = UINT64_MAX;
	return 1;
}

/* Cancels the stage at each of its progress calls in turn: RL_ECANCELED,
 * "vectorize cancelled" and the store as it was; until the stage runs
 * through. With a batch of one review each batch is a step, so calls
 * fall in every pass, and one falls in the last, after some vectors were
 * written in the stage's transaction. Returns the calls made. */
static int cancel_each_call(rl_vectorize_opts *o, uint64_t n, int *mid)
{
	stopper s = { 0 };
	o->progress = stop_at;
	o->ctx = &s;
	*mid = 0;
	for (int at = 1; at < 1000; at++) {
		char *before = tu_digest(db_path);
		s = (stopper){ 0, at, 0 };
		int rc = rl_vectorize(db, o, NULL);
		char *after = tu_digest(db_path);
		if (rc == RL_OK) {
			ck_assert_int_lt(s.calls, at);
			free(before);
			free(after);
			return at - 1;
		}
		ck_assert_int_eq(rc, RL_ECANCELED);
		ck_assert_str_eq(rl_db_errmsg(db), "vectorize cancelled");
		ck_assert_msg(!strcmp(before, after), "cancelled at call %d: "
			      "store changed", at);
		*mid += s.lacking > 0 && s.lacking < n;
		free(before);
		free(after);
	}
	ck_abort_msg("vectorize never ran through");
	return 0;
}

START_TEST(cancel_mid_stream)
{
	/* 60 reviews: 60 steps counting, 60 drawing the sample, 4 of
	 * LSA (the range finder, 2 power iterations, the SVD), then 60
	 * writing vectors; the tick calls at the 128th step whatever the
	 * clock. */
	add_examples(0, 60);
	rl_vectorize_opts o;
	small_opts(&o);
	o.batch = 1;
	o.lsa_sample = 10;
	int mid;
	ck_assert_int_ge(cancel_each_call(&o, 60, &mid), 8);
	ck_assert_int_ge(mid, 1);
	/* The update, 8 new reviews one at a time. */
	add_examples(60, 68);
	ck_assert_int_ge(cancel_each_call(&o, 8, &mid), 4);
	ck_assert_int_ge(mid, 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM vectors"),
			 136);
}
END_TEST

/* The names the progress callback heard, each once, in order. */
typedef struct heard {
	char names[8][48];
	int n;
} heard;

static int hear(void *ctx, const char *stage, uint64_t done,
		uint64_t total)
{
	heard *h = ctx;
	(void)done;
	(void)total;
	if (h->n > 0 && !strcmp(h->names[h->n - 1], stage))
		return 0;
	ck_assert_int_lt(h->n, 8);
	snprintf(h->names[h->n++], sizeof h->names[0], "%s", stage);
	return 0;
}

/* A fit is heard as its four passes, so a count that starts again is
 * the next pass, not the stage going back; an update, which only
 * writes vectors with the stored fit, as the stage itself. */
START_TEST(progress_names_passes)
{
	static const char *const fit[] = {
		"vectorize (1/4: word counts)", "vectorize (2/4: LSA sample)",
		"vectorize (3/4: LSA fit)", "vectorize (4/4: vectors)"
	};
	add_examples(0, 40);
	rl_vectorize_opts o;
	small_opts(&o);
	o.batch = 1;
	heard h = { .n = 0 };
	o.progress = hear;
	o.ctx = &h;
	ck_assert_int_eq(rl_vectorize(db, &o, NULL), RL_OK);
	ck_assert_int_eq(h.n, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(h.names[i], fit[i]);
	add_examples(40, 44);
	h.n = 0;
	ck_assert_int_eq(rl_vectorize(db, &o, NULL), RL_OK);
	ck_assert_int_eq(h.n, 1);
	ck_assert_str_eq(h.names[0], "vectorize");
}
END_TEST

/* Each SQLite step failing in turn, batches of 4 reviews and a sample
 * of 10 of 30: RL_EDB and the store as it was, until none is left to
 * fail. Then corrupt tokens in the middle of the stream: a clear error
 * naming the review, the store as it was. */
START_TEST(failures_mid_stream)
{
	add_examples(0, 30);
	rl_vectorize_opts o;
	small_opts(&o);
	o.batch = 4;
	o.lsa_sample = 10;
	char *before = tu_digest(db_path);
	int n;
	for (n = 1; n < 2000; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_vectorize(db, &o, NULL);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		char *after = tu_digest(db_path);
		ck_assert_msg(!strcmp(before, after), "step %d: store "
			      "changed", n);
		free(after);
	}
	rl_store_fail_step(db, 0);
	/* Three passes of 8 batches each, and 60 vectors written. */
	ck_assert_int_gt(n, 3 * 8 + 60);
	ck_assert_int_lt(n, 2000);
	free(before);

	sql("DELETE FROM vectors; DELETE FROM settings WHERE key = "
	    "'vectorize'; UPDATE review_tokens SET tokens = x'ff' WHERE "
	    "review_id = 17");
	before = tu_digest(db_path);
	ck_assert_int_eq(rl_vectorize(db, &o, NULL), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db),
				     "review 17: corrupt tokens"));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vectorize");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, draw_counts_and_spread);
	tcase_add_test(tc, df_count_in_batches);
	suite_add_tcase(s, tc);
	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stream_equals_memory);
	tcase_add_test(tc, update_streams);
	tcase_add_test(tc, cancel_mid_stream);
	tcase_add_test(tc, failures_mid_stream);
	tcase_add_test(tc, progress_names_passes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
