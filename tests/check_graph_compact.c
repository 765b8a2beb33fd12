/*
 * check_graph_compact.c - the graph built on compact rows (int16 with a
 * scale per row), as the graph stage keeps LSA vectors for NN-descent:
 * the rounding by hand, exact search on compact rows giving the float
 * rows' graph where similarities are far apart, NN-descent's recall on
 * generated clusters against the float answer, the same bytes for 1, 2
 * and 3 threads, recall read in chunks equal to recall in memory, and
 * the stage on a store: its graph against brute force on the float
 * vectors, and a cancel at each of its first ticks leaving the store as
 * it was.
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

START_TEST(q16_by_hand)
{
	float x[] = { 0.5f, -0.3f, 0.1f, 0, -0.5f };
	int16_t q[5];
	float s;
	rl_q16_row(x, 5, q, &s);
	ck_assert_float_eq(s, 0.5f / 32767);
	/* 32767 * 0.5 / 0.5, 32767 * -0.3 / 0.5 = -19660.2, 6553.4 */
	int16_t want[] = { 32767, -19660, 6553, 0, -32767 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(q[i], want[i]);
	float z[3] = { 0, 0, 0 };
	rl_q16_row(z, 3, q, &s);
	ck_assert_float_eq(s, 0);
	ck_assert_int_eq(q[0] | q[1] | q[2], 0);
	/* A row whose scale would underflow to 0 is a zero row too. */
	float tiny[2] = { 1e-42f, -1e-43f };
	rl_q16_row(tiny, 2, q, &s);
	ck_assert_float_eq(s, 0);
	ck_assert_int_eq(q[0] | q[1], 0);
}
END_TEST

/* n unit rows of dimension d around c random centres, noise `spread`. */
static float *clusters(uint32_t n, uint32_t d, uint32_t c, float spread,
		       uint64_t seed)
{
	float *x = malloc((size_t)n * d * sizeof *x);
	float *centre = malloc((size_t)c * d * sizeof *centre);
	ck_assert(x && centre);
	uint64_t s = seed;
	for (size_t i = 0; i < (size_t)c * d; i++)
		centre[i] = (float)(rl_rand_unit(&s) - 0.5);
	for (uint32_t i = 0; i < n; i++) {
		double norm = 0;
		float *row = x + (size_t)i * d;
		for (uint32_t j = 0; j < d; j++) {
			row[j] = centre[(i % c) * d + j] +
				 spread * (float)(rl_rand_unit(&s) - 0.5);
			norm += row[j] * row[j];
		}
		for (uint32_t j = 0; j < d; j++)
			row[j] /= (float)sqrt(norm);
	}
	free(centre);
	return x;
}

typedef struct q16_rows {
	int16_t *q16;
	float *scale;
} q16_rows;

static rl_vecs compact(const float *x, uint32_t n, uint32_t d, q16_rows *c)
{
	c->q16 = malloc((size_t)n * d * sizeof *c->q16);
	c->scale = malloc((size_t)n * sizeof *c->scale);
	ck_assert(c->q16 && c->scale);
	for (uint32_t i = 0; i < n; i++)
		rl_q16_row(x + (size_t)i * d, d, c->q16 + (size_t)i * d,
			  &c->scale[i]);
	return (rl_vecs){ .n = n, .dim = d, .q16 = c->q16, .scale = c->scale };
}

START_TEST(exact_compact_same_graph)
{
	/* Rows far apart: 40 random directions in 8 dimensions. Where a
	 * row's similarities to its k-th and (k+1)-th neighbours (and each
	 * rank to the next) differ by more than 0.001, some fifty times what
	 * int16 rounding moves them, the compact rows give the same list. */
	uint32_t n = 40, d = 8, k = 5;
	float *x = clusters(n, d, n, 0, 7);
	q16_rows c;
	rl_vecs f = { .n = n, .dim = d, .dense = x }, v = compact(x, n, d, &c);
	rl_knn_opts o = { .k = k, .exact = 1, .threads = 2 };
	int32_t a[40 * 5], b[40 * 5], a6[40 * 6];
	float sa[40 * 5], sb[40 * 5], s6[40 * 6];
	ck_assert_int_eq(rl_knn(&f, &o, a, sa), RL_OK);
	ck_assert_int_eq(rl_knn(&v, &o, b, sb), RL_OK);
	o.k = k + 1;
	ck_assert_int_eq(rl_knn(&f, &o, a6, s6), RL_OK);
	uint32_t clear = 0;
	for (uint32_t i = 0; i < n; i++) {
		int apart = 1;
		for (uint32_t j = 0; j < k; j++)
			apart &= s6[i * 6 + j] - s6[i * 6 + j + 1] > 0.001f;
		if (!apart)
			continue;
		clear++;
		for (uint32_t j = 0; j < k; j++) {
			ck_assert_int_eq(a[i * k + j], b[i * k + j]);
			ck_assert_float_eq_tol(sa[i * k + j], sb[i * k + j],
					       1e-4);
		}
	}
	/* The check is not empty. */
	ck_assert_uint_ge(clear, 10);
	free(x);
	free(c.q16);
	free(c.scale);
}
END_TEST

/* The search under o on 1, 2 and 3 threads: the same lists and
 * similarities to the bit; the first's into nbr and sim. */
static void take_on_threads(const rl_vecs *v, rl_knn_opts o, int32_t **nbr,
			    float **sim)
{
	size_t len = (size_t)v->n * o.k;
	o.threads = 1;
	ck_assert_int_eq(rl_knn_take(v, &o, nbr, sim), RL_OK);
	for (int t = 2; t <= 3; t++) {
		int32_t *b;
		float *sb;
		o.threads = t;
		ck_assert_int_eq(rl_knn_take(v, &o, &b, &sb), RL_OK);
		ck_assert(!memcmp(*nbr, b, len * sizeof *b));
		ck_assert(!memcmp(*sim, sb, len * sizeof *sb));
		free(b);
		free(sb);
	}
}

START_TEST(descent_compact_recall_threads)
{
	/* 4000 rows in 40 clusters of dimension 32: NN-descent on the
	 * compact rows, its candidates gathered for 700 rows at a time (so
	 * six blocks, the last a short one), finds at least 95% of the
	 * float rows' exact top 10, and the same bytes on 1, 2 and 3
	 * threads; all rows at once finds as many. */
	uint32_t n = 4000, d = 32, k = 10;
	float *x = clusters(n, d, 40, 0.3f, 42);
	q16_rows c;
	rl_vecs f = { .n = n, .dim = d, .dense = x }, v = compact(x, n, d, &c);
	rl_knn_opts o = { .k = k, .threads = 1, .seed = 3, .max_iters = 12,
			  .delta = 0.001, .pool = 20, .block = 700 };
	int32_t *nbr;
	float *sim;
	take_on_threads(&v, o, &nbr, &sim);
	double whole;
	int32_t *nw;
	float *sw;
	o.block = 0;
	ck_assert_int_eq(rl_knn_take(&v, &o, &nw, &sw), RL_OK);
	ck_assert_int_eq(rl_knn_recall(&f, k, nw, n, 1, 2, &whole, NULL),
			 RL_OK);
	free(nw);
	free(sw);
	double recall;
	ck_assert_int_eq(rl_knn_recall(&f, k, nbr, n, 1, 2, &recall, NULL),
			 RL_OK);
	ck_assert_msg(recall >= 0.95 && recall >= whole - 0.01,
		      "recall %f in blocks, %f at once", recall, whole);
	/* Each row's list is distinct rows, not itself, best first. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < k; j++) {
			int32_t y = nbr[i * k + j];
			ck_assert(y >= 0 && (uint32_t)y < n &&
				  (uint32_t)y != i);
			if (j)
				ck_assert(sim[i * k + j] <=
					  sim[i * k + j - 1]);
			for (uint32_t l = 0; l < j; l++)
				ck_assert_int_ne(nbr[i * k + l], y);
		}
	free(nbr);
	free(sim);
	free(x);
	free(c.q16);
	free(c.scale);
}
END_TEST

/* NN-descent on rows moved into their locality order (the rows taken 64
 * at a time by each thread in turn, reverse edges sampled by reservoirs)
 * gives the same lists and similarities to the bit on 1, 2 and 3
 * threads. */
START_TEST(local_order_threads_same)
{
	uint32_t n = 2500, d = 16, k = 10;
	float *x = clusters(n, d, 25, 0.3f, 5);
	q16_rows c;
	rl_vecs v = compact(x, n, d, &c);
	uint32_t *order = malloc(n * sizeof *order);
	ck_assert(order);
	ck_assert_int_eq(rl_knn_move_local(n, d, c.q16, c.scale, 1, order,
					   NULL), RL_OK);
	rl_knn_opts o = { .k = k, .threads = 1, .seed = 3, .max_iters = 12,
			  .delta = 0.001, .pool = 20, .block = 600,
			  .ordered = 1 };
	int32_t *a;
	float *sa;
	take_on_threads(&v, o, &a, &sa);
	/* The pool searched: at least k, at most n - 1, none exact. */
	o.pool = 4;
	ck_assert_uint_eq(rl_knn_pool(n, &o), k);
	o.pool = 5000;
	ck_assert_uint_eq(rl_knn_pool(n, &o), n - 1);
	o.exact = 1;
	ck_assert_uint_eq(rl_knn_pool(n, &o), 0);
	free(a);
	free(sa);
	free(order);
	free(x);
	free(c.q16);
	free(c.scale);
}
END_TEST

START_TEST(local_order_same_graph)
{
	/* 3000 rows in 30 clusters, every 50th row a copy of the one before
	 * (exact ties). The locality order is a permutation that puts a
	 * row's nearest neighbour near it; moving the rows into it, an
	 * exact search there, and the result moved back give the exact
	 * search on the rows as they were, equal similarities ranked by the
	 * smaller row; NN-descent there, its blocks in the rows' own order
	 * (rl_knn_opts.ordered), finds what it finds on the rows as they
	 * were. */
	uint32_t n = 3000, d = 16, k = 10;
	float *x = clusters(n, d, 30, 0.3f, 11);
	for (uint32_t i = 1; i < n; i += 50)
		memcpy(x + (size_t)i * d, x + (size_t)(i - 1) * d,
		       d * sizeof *x);
	q16_rows c, m;
	rl_vecs f = { .n = n, .dim = d, .dense = x }, v = compact(x, n, d, &c);
	rl_vecs w = compact(x, n, d, &m);
	rl_knn_opts o = { .k = k, .exact = 1, .threads = 2, .seed = 3,
			  .max_iters = 12, .delta = 0.001, .pool = 20 };
	int32_t *a, *b;
	float *sa, *sb;
	ck_assert_int_eq(rl_knn_take(&v, &o, &a, &sa), RL_OK);

	uint32_t *order = malloc(n * sizeof *order);
	uint32_t *pos = malloc(n * sizeof *pos);
	ck_assert(order && pos);
	ck_assert_int_eq(rl_knn_local_order(&w, 1, order, NULL), RL_OK);
	memset(pos, 0xff, n * sizeof *pos);
	for (uint32_t q = 0; q < n; q++) {
		ck_assert_uint_lt(order[q], n);
		ck_assert_uint_eq(pos[order[q]], UINT32_MAX);
		pos[order[q]] = q;
	}
	/* Near in the order: most nearest neighbours lie within 256 places
	 * (a random order puts 2 * 256 / 3000, 17%, that close). */
	uint32_t near = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = pos[i], q = pos[a[(size_t)i * k]];
		near += (p > q ? p - q : q - p) < 256;
	}
	ck_assert_msg(near > n / 2, "%u of %u nearest neighbours within 256 "
		      "places", near, n);

	ck_assert_int_eq(rl_permute_rows(m.q16, d * sizeof *m.q16, n, order),
			 RL_OK);
	ck_assert_int_eq(rl_permute_rows(m.scale, sizeof *m.scale, n, order),
			 RL_OK);
	for (uint32_t q = 0; q < n; q++) {
		ck_assert(!memcmp(m.q16 + (size_t)q * d,
				  c.q16 + (size_t)order[q] * d,
				  d * sizeof *m.q16));
		ck_assert(m.scale[q] == c.scale[order[q]]);
	}
	ck_assert_int_eq(rl_knn_take(&w, &o, &b, &sb), RL_OK);
	ck_assert_int_eq(rl_knn_unorder(n, k, order, b, sb), RL_OK);
	/* The same similarities to the bit; the same rows but where rows
	 * tie at the k-th place, which a search in another order may break
	 * the other way: then the row kept is a copy of the one expected. */
	ck_assert(!memcmp(sa, sb, (size_t)n * k * sizeof *sa));
	uint32_t swapped = 0;
	for (size_t e = 0; e < (size_t)n * k; e++) {
		if (a[e] == b[e])
			continue;
		ck_assert(sa[e] == sa[e - e % k + k - 1]);
		ck_assert(!memcmp(c.q16 + (size_t)a[e] * d,
				  c.q16 + (size_t)b[e] * d, d * sizeof *c.q16));
		swapped++;
	}
	/* (There are such ties, and they are few.) */
	ck_assert_uint_gt(swapped, 0);
	ck_assert_uint_lt(swapped, n / 10);
	free(b);
	free(sb);

	o.exact = 0;
	double r_plain, r_local;
	ck_assert_int_eq(rl_knn_take(&v, &o, &b, &sb), RL_OK);
	ck_assert_int_eq(rl_knn_recall(&f, k, b, n, 1, 2, &r_plain, NULL),
			 RL_OK);
	free(b);
	free(sb);
	o.ordered = 1;
	o.block = 700;	/* blocks of the rows' own order, the last short */
	ck_assert_int_eq(rl_knn_take(&w, &o, &b, &sb), RL_OK);
	ck_assert_int_eq(rl_knn_unorder(n, k, order, b, sb), RL_OK);
	ck_assert_int_eq(rl_knn_recall(&f, k, b, n, 1, 2, &r_local, NULL),
			 RL_OK);
	ck_assert_msg(r_local >= 0.95 && r_local >= r_plain - 0.01,
		      "recall %f in the order, %f without", r_local, r_plain);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 1; j < k; j++)
			ck_assert(sb[(size_t)i * k + j] <=
				  sb[(size_t)i * k + j - 1]);

	/* No rows: an empty order. */
	rl_vecs none = { .n = 0, .dim = d, .dense = x };
	ck_assert_int_eq(rl_knn_local_order(&none, 1, order, NULL), RL_OK);
	/* Sparse rows have no order. */
	rl_csr csr = { 0 };
	rl_vecs s = { .n = 0, .csr = &csr };
	ck_assert_int_eq(rl_knn_local_order(&s, 1, order, NULL), RL_EINVAL);
	free(a);
	free(sa);
	free(b);
	free(sb);
	free(order);
	free(pos);
	free(x);
	free(c.q16);
	free(c.scale);
	free(m.q16);
	free(m.scale);
}
END_TEST

typedef struct mem_rows {
	const float *x;
	uint32_t dim, next;
	int fail_at;		/* call that fails, 0: none */
	int calls;
} mem_rows;

static int mem_read(void *ctx, uint32_t first, uint32_t m, float *out)
{
	mem_rows *r = ctx;
	ck_assert_uint_eq(first, r->next);
	if (++r->calls == r->fail_at)
		return RL_EDB;
	memcpy(out, r->x + (size_t)first * r->dim,
	       (size_t)m * r->dim * sizeof *out);
	r->next = first + m;
	return RL_OK;
}

START_TEST(recall_in_chunks)
{
	/* 20000 rows (three chunks): the same recall as in memory, for a
	 * graph that misses some neighbours, and a failing read stops it
	 * with that read's error. */
	uint32_t n = 20000, d = 16, k = 10, ns = 300;
	float *x = clusters(n, d, 200, 0.4f, 5);
	rl_vecs f = { .n = n, .dim = d, .dense = x };
	rl_knn_opts o = { .k = k, .threads = 2, .seed = 1, .max_iters = 2,
			  .delta = 0.001, .pool = 10 };
	int32_t *nbr;
	float *sim;
	ck_assert_int_eq(rl_knn_take(&f, &o, &nbr, &sim), RL_OK);
	double in_mem, chunked;
	ck_assert_int_eq(rl_knn_recall(&f, k, nbr, ns, 9, 2, &in_mem, NULL),
			 RL_OK);
	uint32_t *rows = malloc(ns * sizeof *rows);
	float *q = malloc((size_t)ns * d * sizeof *q);
	ck_assert(rows && q);
	rl_knn_sample_rows(n, ns, 9, rows);
	for (uint32_t i = 0; i < ns; i++) {
		if (i)
			ck_assert_uint_gt(rows[i], rows[i - 1]);
		memcpy(q + (size_t)i * d, x + (size_t)rows[i] * d,
		       d * sizeof *q);
	}
	for (int threads = 1; threads <= 3; threads++) {
		mem_rows r = { .x = x, .dim = d };
		ck_assert_int_eq(rl_knn_recall_rows(n, d, k, nbr, ns, rows, q,
						    mem_read, &r, threads,
						    &chunked, NULL), RL_OK);
		ck_assert_double_eq(chunked, in_mem);
	}
	ck_assert(in_mem > 0.3 && in_mem < 0.999);
	mem_rows r = { .x = x, .dim = d, .fail_at = 2 };
	ck_assert_int_eq(rl_knn_recall_rows(n, d, k, nbr, ns, rows, q,
					    mem_read, &r, 2, &chunked, NULL),
			 RL_EDB);
	free(rows);
	free(q);
	free(nbr);
	free(sim);
	free(x);
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

/* Reviews first .. first + n - 1 of 6 words, each from one of 8
 * topics' 12 words, and vectors with 16 LSA dimensions (fitted when
 * first is 0, the fit kept after). */
static void add_reviews(uint32_t first, uint32_t n)
{
	size_t cap = (size_t)n * 64 + 32, len = 0;
	char *tsv = malloc(cap);
	ck_assert_ptr_nonnull(tsv);
	len += (size_t)snprintf(tsv, cap, "id\ttext\n");
	uint64_t s = 11 + first;
	for (uint32_t i = first; i < first + n; i++) {
		uint32_t topic = i % 8;
		len += (size_t)snprintf(tsv + len, cap - len, "r%u\t", i);
		for (int w = 0; w < 6; w++)
			len += (size_t)snprintf(tsv + len, cap - len, "%sw%u",
				w ? " " : "", topic * 12 + (uint32_t)(
					rl_rand_next(&s) % 12));
		len += (size_t)snprintf(tsv + len, cap - len, "\n");
	}
	ck_assert_int_eq(rl_import_file(db, tu_write("in.tsv", tsv, 0), NULL,
					NULL), RL_OK);
	free(tsv);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	rl_vectorize_opts vo;
	rl_vectorize_opts_init(&vo);
	vo.dim = 16;
	vo.ngram_max = 1;
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
}

static void make_store(uint32_t n)
{
	add_reviews(0, n);
}

static void compact_opts(rl_graph_opts *o)
{
	rl_graph_opts_init(o);
	o->vectors = RL_VECTORS_LSA;
	o->exact_below = 0;	/* NN-descent, */
	o->compact_above = 0;	/* on compact rows */
	o->recall_sample = 500;
}

/* A search held to one round says the cap ended it. */
START_TEST(stage_rounds_capped)
{
	make_store(600);
	rl_graph_opts o;
	compact_opts(&o);
	o.max_iters = 1;
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.rounds, 1);
	ck_assert_uint_eq(st.capped, 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT json_extract(counts, "
				"'$.capped') FROM runs WHERE stage = 'graph' "
				"ORDER BY id DESC LIMIT 1"), 1);
}
END_TEST

/* The default pool is 5k searching the compact rows and 4k on float
 * rows, a pool asked for is kept, and the run row records it; an exact
 * graph has none. */
START_TEST(stage_default_pool)
{
	make_store(600);
	rl_graph_opts o;
	compact_opts(&o);
	o.recall_sample = 0;
	struct {
		int compact_above, exact_below, k, pool;
		uint64_t want;
	} c[] = {
		{ 0, 0, 10, 0, 50 },		/* compact rows */
		{ 1000000, 0, 9, 0, 36 },	/* float rows */
		{ 0, 0, 8, 20, 20 },		/* asked for */
		{ 0, 0, 7, 5, 7 },		/* at least k */
		{ 0, 1000000, 10, 0, 0 },	/* exact */
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		o.compact_above = c[i].compact_above;
		o.exact_below = c[i].exact_below;
		o.k = c[i].k;	/* a new graph each time, not a refinement */
		o.pool = c[i].pool;
		rl_graph_stats st;
		ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
		ck_assert_uint_eq(st.pool, c[i].want);
		ck_assert_int_eq(tu_int(db_path, "SELECT json_extract(counts, "
					"'$.pool') FROM runs WHERE stage = "
					"'graph' ORDER BY id DESC LIMIT 1"),
				 (long long)c[i].want);
	}
	/* A search from scratch on compact rows keeps 5k, a refinement of
	 * it after reviews are added 4k. */
	o.compact_above = 0;
	o.exact_below = 0;
	o.k = 6;
	o.pool = 0;
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.incremental, 0);
	ck_assert_uint_eq(st.pool, 30);
	add_reviews(600, 10);
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.incremental, 1);
	ck_assert_uint_gt(st.changed, 0);
	ck_assert_uint_eq(st.pool, 24);
}
END_TEST

/* A store edited outside revlab with its foreign-key checks off (the
 * sqlite3 shell's default) keeps the vectors of a deleted review. The
 * graph writes its rows with the checks off, so it must read its ids
 * through the reviews that exist: on compact rows and on float rows,
 * no neighbour row names the deleted review. */
START_TEST(stage_orphan_vectors)
{
	uint32_t n = 600;
	make_store(n);
	sqlite3 *raw = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA foreign_keys = OFF; "
				      "DELETE FROM reviews WHERE ext_id IN "
				      "('r5', 'r77')", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM vectors WHERE "
				"review_id NOT IN (SELECT id FROM reviews)"),
			 4);
	rl_graph_opts o;
	compact_opts(&o);
	for (int pass = 0; pass < 2; pass++) {
		/* compact rows, then float rows searched exactly */
		if (pass == 1) {
			o.compact_above = 1000000;
			o.exact_below = 1000000;
			o.k = 9;	/* a new graph, not a refinement */
		}
		rl_graph_stats st;
		ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
		ck_assert_uint_eq(st.reviews, n - 2);
		ck_assert_uint_eq(st.edges, (uint64_t)(n - 2) * (uint32_t)o.k);
		ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
					"pragma_foreign_key_check('neighbours')"),
				 0);
		ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	}
}
END_TEST

/* How the stored similarities were scored is kept beside the graph, and
 * a refinement reads them instead of scoring the old lists again only
 * when it scores the same way: a graph on float rows, refined on compact
 * rows with some lists dropped (as replaced reviews' neighbours lose
 * theirs), names no row twice in a list, and the store is "mixed" from
 * then on. On the same rows both times the setting stays. */
START_TEST(stage_refine_scoring)
{
	uint32_t n0 = 2000, k = 10;
	make_store(n0);
	rl_graph_opts o;
	compact_opts(&o);
	o.recall_sample = 0;
	o.compact_above = 1000000;	/* float rows */
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	char want[64];
	snprintf(want, sizeof want, "float/%s", rl_knn_kernel());
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_store_setting_get(db, "graph_scoring", &b), RL_OK);
	ck_assert_str_eq(b.data, want);
	for (int pass = 0; pass < 2; pass++) {
		sqlite3 *raw = NULL;
		ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(raw, "DELETE FROM neighbours "
					      "WHERE review_id % 97 = 3", NULL,
					      NULL, NULL), SQLITE_OK);
		sqlite3_close(raw);
		add_reviews(n0 + 20 * (uint32_t)pass, 20);
		o.compact_above = 0;	/* compact rows now */
		ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
		ck_assert_int_eq(st.incremental, 1);
		ck_assert_uint_eq(st.edges,
				  (uint64_t)(n0 + 20 * (pass + 1)) * k);
		ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM (SELECT "
					"1 FROM neighbours GROUP BY review_id, "
					"neighbour_id HAVING count(*) > 1)"),
				 0);
		ck_assert_int_eq(rl_store_setting_get(db, "graph_scoring", &b),
				 RL_OK);
		ck_assert_str_eq(b.data, "mixed");
	}
	/* A new graph (another k) on compact rows, refined on them. */
	o.k = 9;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	add_reviews(n0 + 40, 20);
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.incremental, 1);
	snprintf(want, sizeof want, "int16/%s", rl_knn_kernel());
	ck_assert_int_eq(rl_store_setting_get(db, "graph_scoring", &b), RL_OK);
	ck_assert_str_eq(b.data, want);
	rl_buf_free(&b);
}
END_TEST

START_TEST(stage_compact_graph)
{
	/* 1500 reviews: the stage's graph on compact rows against brute
	 * force on the float vectors, and the recall it reports is the one
	 * measured here in memory. */
	uint32_t n = 1500, k = 10;
	make_store(n);
	rl_graph_opts o;
	compact_opts(&o);
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.exact, 0);
	ck_assert_uint_eq(st.reviews, n);
	ck_assert_uint_eq(st.edges, (uint64_t)n * k);
	rl_vector_set vs;
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, &vs),
			 RL_OK);
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	uint64_t found = 0;
	ck_assert(nbr && sim);
	ck_assert_int_eq(rl_store_neighbours_load(db, vs.review_ids, n, k, nbr,
						  sim, &found), RL_OK);
	ck_assert_uint_eq(found, (uint64_t)n * k);
	rl_vecs f = { .n = n, .dim = vs.dim, .dense = vs.dense };
	double all, sampled;
	ck_assert_int_eq(rl_knn_recall(&f, k, nbr, n, 1, 2, &all, NULL),
			 RL_OK);
	ck_assert_int_eq(rl_knn_recall(&f, k, nbr, 500, (uint64_t)o.seed, 2,
				       &sampled, NULL), RL_OK);
	ck_assert_msg(all >= 0.95, "recall %f", all);
	ck_assert_double_eq_tol(st.recall, sampled, 1e-4);
	/* The stored similarities are those of the float rows, to int16's
	 * rounding. */
	for (uint32_t i = 0; i < n; i += 37)
		for (uint32_t j = 0; j < k; j++) {
			const float *a = vs.dense + (size_t)i * vs.dim;
			const float *b = vs.dense +
					 (size_t)nbr[i * k + j] * vs.dim;
			double dot = 0;
			for (uint32_t c = 0; c < vs.dim; c++)
				dot += a[c] * b[c];
			ck_assert_double_eq_tol(sim[i * k + j], dot, 1e-4);
		}
	/* Run again: up to date, nothing to do. */
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_int_eq(st.incremental, 1);
	free(nbr);
	free(sim);
	rl_vector_set_free(&vs);
}
END_TEST

typedef struct stopper {
	int calls, at;
} stopper;

static int stop_at(void *ctx, const char *stage, uint64_t done,
		   uint64_t total)
{
	stopper *s = ctx;
	(void)stage;
	(void)done;
	(void)total;
	return ++s->calls == s->at;
}

START_TEST(stage_compact_cancel)
{
	/* A cancel at each of the stage's calls in turn (loading the
	 * compact rows, the forest, the rounds, recall, the writes):
	 * RL_ECANCELED and the store as it was (a graph built before
	 * included), until the stage makes fewer calls than the one to
	 * cancel at and runs through. Some calls come by the clock
	 * (kernels.h), so how many a run makes depends on the machine's
	 * speed and load: the loop has room for a slow machine, and only
	 * the calls counted at every power of two are relied on. */
	make_store(1200);
	rl_graph_opts o;
	compact_opts(&o);
	o.k = 5;
	ck_assert_int_eq(rl_graph(db, &o, NULL), RL_OK);
	o.k = 10;
	char *before = tu_digest(db_path);
	int calls = 0, at;
	for (at = 1; at <= 100000; at++) {
		stopper s = { 0, at };
		o.progress = stop_at;
		o.ctx = &s;
		int rc = rl_graph(db, &o, NULL);
		if (rc == RL_OK) {
			calls = s.calls;
			break;
		}
		ck_assert_int_eq(rc, RL_ECANCELED);
		ck_assert_str_eq(rl_db_errmsg(db), "graph cancelled");
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_ge(calls, 5);
	ck_assert_int_lt(calls, at);
	o.progress = NULL;
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.edges, 1200 * 10);
	free(before);
}
END_TEST

/* The stored graph as rows of the LSA vectors' order, and those vectors
 * (the caller frees both with *vs). */
static int32_t *stored_graph(rl_vector_set *vs, uint32_t k)
{
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, vs),
			 RL_OK);
	int32_t *nbr = malloc((size_t)vs->n * k * sizeof *nbr);
	uint64_t found;
	ck_assert_ptr_nonnull(nbr);
	ck_assert_int_eq(rl_store_neighbours_load(db, vs->review_ids, vs->n,
						  k, nbr, NULL, &found),
			 RL_OK);
	return nbr;
}

START_TEST(stage_refine_after_adding)
{
	/* 2000 reviews and a graph; 20 added: the graph is refined from
	 * them (a cancel at each call in turn leaves the store as it
	 * was), the rows it did not write again keep their lists, the
	 * rows it did are in graph_changes with the new ones, the
	 * neighbour count labelling chose stays, and recall@10 against
	 * brute force is within 0.01 of a search from scratch's. */
	uint32_t n0 = 2000, n = 2020, k = 10;
	make_store(n0);
	rl_graph_opts o;
	rl_graph_opts_init(&o);
	o.vectors = RL_VECTORS_LSA;
	o.exact_below = 0;
	o.recall_sample = 0;
	rl_graph_stats st;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.changed, 0);
	/* the search's rounds are reported, and the stage's run row has
	 * them */
	ck_assert_uint_gt(st.rounds, 0);
	ck_assert_uint_le(st.rounds, 12);
	ck_assert_int_eq(tu_int(db_path, "SELECT json_extract(counts, "
				"'$.rounds') FROM runs WHERE stage = 'graph' "
				"ORDER BY id DESC LIMIT 1"), (long long)st.rounds);
	ck_assert_int_eq(rl_store_neighbours_set(db, 5), RL_OK);
	ck_assert_int_eq(rl_store_graph_changes_clear(db, "tracked"), RL_OK);
	rl_vector_set v0;
	int32_t *g0 = stored_graph(&v0, k);
	add_reviews(n0, n - n0);
	char *before = tu_digest(db_path);
	int at, calls = 0;
	for (at = 1; at <= 100000; at++) {
		stopper s = { 0, at };
		o.progress = stop_at;
		o.ctx = &s;
		int rc = rl_graph(db, &o, &st);
		if (rc == RL_OK) {
			calls = s.calls;
			break;
		}
		ck_assert_int_eq(rc, RL_ECANCELED);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_ge(calls, 3);
	ck_assert_int_eq(st.incremental, 1);
	ck_assert_uint_ge(st.changed, n - n0);
	ck_assert_uint_lt(st.changed, n0 / 4);
	ck_assert_uint_eq(st.edges, (uint64_t)n * k);
	uint32_t kept = 0;
	ck_assert_int_eq(rl_store_neighbours_get(db, &kept), RL_OK);
	ck_assert_uint_eq(kept, 5);

	rl_vector_set vs;
	int32_t *g = stored_graph(&vs, k);
	ck_assert_uint_eq(vs.n, n);
	int tracked;
	int64_t *ch;
	uint32_t n_ch;
	ck_assert_int_eq(rl_store_graph_changes(db, &tracked, &ch, &n_ch),
			 RL_OK);
	ck_assert_int_eq(tracked, 1);
	ck_assert_uint_eq(n_ch, st.changed);
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++) {
		int in = c < n_ch && ch[c] == vs.review_ids[i];
		c += in;
		if (i >= n0) {
			ck_assert_msg(in, "new row %u not recorded", i);
			continue;
		}
		/* (the first n0 rows are the same reviews, in order) */
		ck_assert_int_eq(vs.review_ids[i], v0.review_ids[i]);
		int same = !memcmp(g + (size_t)i * k, g0 + (size_t)i * k,
				   k * sizeof *g);
		ck_assert_int_eq(same, !in);
	}
	ck_assert_uint_eq(c, n_ch);

	rl_vecs f = { .n = n, .dim = vs.dim, .dense = vs.dense };
	rl_knn_opts ko = { .k = k, .threads = 2, .seed = (uint64_t)o.seed,
			   .max_iters = (uint32_t)o.max_iters, .delta = 0.001,
			   .pool = 4 * k };
	int32_t *fresh = malloc((size_t)n * k * sizeof *fresh);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	ck_assert(fresh && sim);
	ck_assert_int_eq(rl_knn(&f, &ko, fresh, sim), RL_OK);
	double rr, rf;
	ck_assert_int_eq(rl_knn_recall(&f, k, g, n, 1, 2, &rr, NULL), RL_OK);
	ck_assert_int_eq(rl_knn_recall(&f, k, fresh, n, 1, 2, &rf, NULL),
			 RL_OK);
	ck_assert_msg(rr >= rf - 0.01, "refined %f, from scratch %f", rr, rf);

	/* A graph built afresh (another k) is no refinement: every review
	 * counts as changed. */
	o.progress = NULL;
	o.k = 8;
	ck_assert_int_eq(rl_graph(db, &o, &st), RL_OK);
	free(ch);
	ck_assert_int_eq(rl_store_graph_changes(db, &tracked, &ch, &n_ch),
			 RL_OK);
	ck_assert_int_eq(tracked, 0);
	ck_assert_ptr_null(ch);
	free(g0);
	free(g);
	free(fresh);
	free(sim);
	rl_vector_set_free(&v0);
	rl_vector_set_free(&vs);
	free(before);
}
END_TEST

START_TEST(stage_compact_store_failures)
{
	/* Each SQLite step failing in turn: RL_EDB and the store as it
	 * was, until the stage gets through. */
	make_store(40);
	rl_graph_opts o;
	compact_opts(&o);
	o.k = 3;
	o.recall_sample = 10;
	char *before = tu_digest(db_path);
	int n;
	for (n = 1; n < 1000; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_graph(db, &o, NULL);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	rl_store_fail_step(db, 0);
	ck_assert_int_lt(n, 1000);
	ck_assert_int_gt(n, 40);
	free(before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("graph_compact");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, q16_by_hand);
	tcase_add_test(tc, exact_compact_same_graph);
	tcase_add_test(tc, descent_compact_recall_threads);
	tcase_add_test(tc, recall_in_chunks);
	tcase_add_test(tc, local_order_same_graph);
	tcase_add_test(tc, local_order_threads_same);
	suite_add_tcase(s, tc);
	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stage_compact_graph);
	tcase_add_test(tc, stage_compact_cancel);
	tcase_add_test(tc, stage_compact_store_failures);
	tcase_add_test(tc, stage_refine_after_adding);
	tcase_add_test(tc, stage_orphan_vectors);
	tcase_add_test(tc, stage_rounds_capped);
	tcase_add_test(tc, stage_default_pool);
	tcase_add_test(tc, stage_refine_scoring);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
