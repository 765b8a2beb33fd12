/*
 * check_cluster.c - spherical k-means and the clusters stage: obvious
 * clusters found exactly, the same result for the same seed whatever the
 * thread count, ties and empty clusters (duplicates, k above the distinct
 * rows), sparse and dense rows agreeing, the silhouette against brute
 * force; the stage's tables, naming a cluster, and that cluster-named
 * labels are evidence for propagation but never gold for `eval`; bad
 * inputs and injected failures leave the store unchanged.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "stage.h"
#include "store.h"
#include "testutil.h"

/* ---- kernel ---- */

/* n rows in 3 dimensions: group g = i % 3 near axis g, jittered by a
 * fixed pattern, normalised. */
static void three_groups(float *x, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		float *r = x + 3 * i;
		double j = 0.05 * (double)((i * 7) % 5);
		r[0] = r[1] = r[2] = (float)j;
		r[i % 3] = 1;
		double s = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
		for (int d = 0; d < 3; d++)
			r[d] = (float)(r[d] / s);
	}
}

/* Whether two assignments are the same partition (up to numbering). */
static int same_partition(const int32_t *a, const int32_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			if ((a[i] == a[j]) != (b[i] == b[j]))
				return 0;
	return 1;
}

START_TEST(obvious_clusters)
{
	enum { N = 30 };
	float x[3 * N];
	int32_t a[N];
	float sim[N];
	three_groups(x, N);
	rl_vecs v = { .n = N, .dim = 3, .dense = x };
	for (uint64_t seed = 1; seed <= 5; seed++) {
		rl_kmeans_opts o = { .k = 3, .seed = seed, .max_iter = 50,
				     .threads = 2 };
		rl_kmeans_info in;
		ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, &in), RL_OK);
		ck_assert(in.converged);
		ck_assert_uint_eq(in.clustered, N);
		/* Rows of a group together, groups apart. */
		for (uint32_t i = 0; i < N; i++) {
			ck_assert_int_eq(a[i], a[i % 3]);
			ck_assert_float_gt(sim[i], 0.9f);
		}
		ck_assert_int_ne(a[0], a[1]);
		ck_assert_int_ne(a[0], a[2]);
		ck_assert_int_ne(a[1], a[2]);
	}
}
END_TEST

START_TEST(deterministic)
{
	enum { N = 300, D = 8 };
	float *x = malloc(N * D * sizeof *x);
	int32_t a1[N], a2[N], a3[N];
	float s1[N], s2[N], s3[N];
	uint64_t st = 42;
	for (uint32_t i = 0; i < N; i++) {
		double nn = 0;
		for (uint32_t d = 0; d < D; d++) {
			x[i * D + d] = (float)rl_rand_unit(&st) - 0.5f;
			nn += x[i * D + d] * x[i * D + d];
		}
		for (uint32_t d = 0; d < D; d++)
			x[i * D + d] = (float)(x[i * D + d] / sqrt(nn));
	}
	rl_vecs v = { .n = N, .dim = D, .dense = x };
	rl_kmeans_opts o = { .k = 7, .seed = 9, .max_iter = 100,
			     .restarts = 2, .threads = 1 };
	ck_assert_int_eq(rl_kmeans(&v, &o, a1, s1, NULL), RL_OK);
	ck_assert_int_eq(rl_kmeans(&v, &o, a2, s2, NULL), RL_OK);
	o.threads = 3;
	ck_assert_int_eq(rl_kmeans(&v, &o, a3, s3, NULL), RL_OK);
	ck_assert_mem_eq(a1, a2, sizeof a1);
	ck_assert_mem_eq(s1, s2, sizeof s1);
	ck_assert_mem_eq(a1, a3, sizeof a1);
	ck_assert_mem_eq(s1, s3, sizeof s1);
	/* Another seed is another run (random data has no single answer). */
	o.seed = 10;
	o.restarts = 1;
	ck_assert_int_eq(rl_kmeans(&v, &o, a2, s2, NULL), RL_OK);
	ck_assert(memcmp(a1, a2, sizeof a1) != 0);
	free(x);
}
END_TEST

START_TEST(ties_and_duplicates)
{
	/* Four identical rows, k = 2: seeding finds no distance and takes
	 * the lowest free row; every row ties, so all join cluster 0; cluster
	 * 1 is empty and takes the lowest row of the equally similar ones;
	 * after that each tie keeps its row where it is, so it converges. */
	float x[8] = { 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f };
	int32_t a[4];
	float sim[4];
	rl_vecs v = { .n = 4, .dim = 2, .dense = x };
	rl_kmeans_opts o = { .k = 2, .seed = 3, .max_iter = 50, .threads = 1 };
	rl_kmeans_info in;
	ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, &in), RL_OK);
	ck_assert(in.converged);
	int32_t want[4] = { 1, 0, 0, 0 };
	ck_assert_mem_eq(a, want, sizeof want);
	for (int i = 0; i < 4; i++)
		ck_assert_float_eq_tol(sim[i], 1, 1e-6);
	/* k = 4 on them: one row each. */
	o.k = 4;
	ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, &in), RL_OK);
	int seen[4] = { 0 };
	for (int i = 0; i < 4; i++)
		seen[a[i]]++;
	for (int c = 0; c < 4; c++)
		ck_assert_int_eq(seen[c], 1);
	/* k above the rows is refused. */
	o.k = 5;
	ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, NULL), RL_EINVAL);
	o.k = 0;
	ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, NULL), RL_EINVAL);
}
END_TEST

START_TEST(empty_clusters)
{
	/* Two distinct points, three copies each, and k = 4: more clusters
	 * than distinct rows. None ends empty and none mixes the two. */
	float x[12] = { 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1 };
	int32_t a[6];
	float sim[6];
	rl_vecs v = { .n = 6, .dim = 2, .dense = x };
	for (uint64_t seed = 1; seed <= 4; seed++) {
		rl_kmeans_opts o = { .k = 4, .seed = seed, .max_iter = 50,
				     .threads = 2 };
		ck_assert_int_eq(rl_kmeans(&v, &o, a, sim, NULL), RL_OK);
		int size[4] = { 0 };
		for (int i = 0; i < 6; i++)
			size[a[i]]++;
		for (int c = 0; c < 4; c++)
			ck_assert_int_gt(size[c], 0);
		for (int i = 0; i < 3; i++)
			for (int j = 3; j < 6; j++)
				ck_assert_int_ne(a[i], a[j]);
	}
	/* An all-zero row is not clustered, and does not count towards k. */
	float z[6] = { 1, 0, 0, 0, 0, 1 };
	rl_vecs vz = { .n = 3, .dim = 2, .dense = z };
	rl_kmeans_opts o = { .k = 2, .seed = 1, .max_iter = 10, .threads = 1 };
	rl_kmeans_info in;
	ck_assert_int_eq(rl_kmeans(&vz, &o, a, sim, &in), RL_OK);
	ck_assert_int_eq(a[1], -1);
	ck_assert_uint_eq(in.clustered, 2);
	ck_assert_int_ne(a[0], a[2]);
	o.k = 3;
	ck_assert_int_eq(rl_kmeans(&vz, &o, a, sim, NULL), RL_EINVAL);
}
END_TEST

/* The dense rows x [n][dim] as CSR, zeros left out. */
static void to_csr(const float *x, uint32_t n, uint32_t dim, rl_csr *m)
{
	m->n_rows = n;
	m->n_cols = dim;
	m->indptr = calloc(n + 1, sizeof *m->indptr);
	m->indices = malloc(((size_t)n * dim + 1) * sizeof *m->indices);
	m->values = malloc(((size_t)n * dim + 1) * sizeof *m->values);
	uint64_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t d = 0; d < dim; d++)
			if (x[i * dim + d] != 0) {
				m->indices[at] = d;
				m->values[at++] = x[i * dim + d];
			}
		m->indptr[i + 1] = at;
	}
}

START_TEST(sparse_and_dense_agree)
{
	enum { N = 30 };
	float x[3 * N];
	int32_t a[N], b[N];
	float sa[N], sb[N];
	three_groups(x, N);
	/* Some rows sparse for real: drop the jitter of every fourth. */
	for (uint32_t i = 0; i < N; i += 4) {
		for (int d = 0; d < 3; d++)
			x[3 * i + d] = 0;
		x[3 * i + i % 3] = 1;
	}
	rl_csr m;
	to_csr(x, N, 3, &m);
	rl_vecs vd = { .n = N, .dim = 3, .dense = x };
	rl_vecs vs = { .n = N, .dim = 3, .csr = &m };
	rl_kmeans_opts o = { .k = 3, .seed = 5, .max_iter = 50, .threads = 2 };
	ck_assert_int_eq(rl_kmeans(&vd, &o, a, sa, NULL), RL_OK);
	ck_assert_int_eq(rl_kmeans(&vs, &o, b, sb, NULL), RL_OK);
	ck_assert(same_partition(a, b, N));
	for (uint32_t i = 0; i < N; i++)
		ck_assert_float_eq_tol(sa[i], sb[i], 1e-5);
	double s1, s2;
	ck_assert_int_eq(rl_silhouette(&vd, a, 3, 2, &s1), RL_OK);
	ck_assert_int_eq(rl_silhouette(&vs, b, 3, 1, &s2), RL_OK);
	ck_assert_double_eq_tol(s1, s2, 1e-6);
	rl_csr_free(&m);
}
END_TEST

START_TEST(silhouette_by_hand)
{
	enum { N = 12 };
	float x[3 * N];
	three_groups(x, N);
	/* A deliberately poor partition, so a and b both matter; row 11
	 * alone in cluster 3 (a singleton scores 0). */
	int32_t a[N] = { 0, 1, 2, 0, 1, 2, 1, 0, 2, 0, 1, 3 };
	double want = 0;
	for (int i = 0; i < N; i++) {
		double sum[4] = { 0 };
		int cnt[4] = { 0 };
		for (int j = 0; j < N; j++) {
			if (j == i)
				continue;
			double dot = 0;
			for (int d = 0; d < 3; d++)
				dot += x[3 * i + d] * x[3 * j + d];
			sum[a[j]] += 1 - dot;
			cnt[a[j]]++;
		}
		if (cnt[a[i]] == 0)
			continue;
		double ai = sum[a[i]] / cnt[a[i]], bi = INFINITY;
		for (int c = 0; c < 4; c++)
			if (c != a[i] && cnt[c] && sum[c] / cnt[c] < bi)
				bi = sum[c] / cnt[c];
		want += (bi - ai) / (ai > bi ? ai : bi);
	}
	want /= N;
	rl_vecs v = { .n = N, .dim = 3, .dense = x };
	double got;
	ck_assert_int_eq(rl_silhouette(&v, a, 4, 2, &got), RL_OK);
	ck_assert_double_eq_tol(got, want, 1e-6);
}
END_TEST

START_TEST(sweep_finds_k)
{
	enum { N = 60 };
	float x[3 * N];
	three_groups(x, N);
	rl_vecs v = { .n = N, .dim = 3, .dense = x };
	rl_kmeans_opts o = { .seed = 1, .max_iter = 50, .restarts = 2,
			     .threads = 2 };
	uint32_t ks[] = { 1, 2, 3, 4, 6, 100 };
	double sil[6];
	ck_assert_int_eq(rl_kmeans_sweep(&v, &o, ks, 6, 40, sil), RL_OK);
	ck_assert(isinf(sil[0]) && sil[0] < 0);	/* k = 1: none */
	ck_assert(isinf(sil[5]) && sil[5] < 0);	/* above the sample */
	ck_assert_double_gt(sil[2], sil[1]);
	ck_assert_double_gt(sil[2], sil[3]);
	ck_assert_double_gt(sil[2], sil[4]);
	ck_assert_double_gt(sil[2], 0.8);
}
END_TEST

START_TEST(distinctive_terms)
{
	/* columns: 0 common to all, 1-2 group A, 3-4 group B, 5 rare in A */
	float x[] = {
		0.5f, 0.6f, 0.6f, 0, 0, 0,
		0.5f, 0.7f, 0.5f, 0, 0, 0.1f,
		0.5f, 0, 0, 0.6f, 0.6f, 0,
		0.5f, 0, 0, 0.8f, 0.3f, 0,
		0, 0, 0, 0, 0, 0,
	};
	rl_csr m;
	to_csr(x, 5, 6, &m);
	int32_t a[5] = { 0, 0, 1, 1, -1 }, top[2 * 4];
	ck_assert_int_eq(rl_cluster_terms(&m, a, 2, 4, top), RL_OK);
	/* A: 1 (0.65 - 0.325), 2 (0.55 - 0.275), 5; never the common 0. */
	int32_t want[8] = { 1, 2, 5, -1, 3, 4, -1, -1 };
	ck_assert_mem_eq(top, want, sizeof want);
	rl_csr_free(&m);
}
END_TEST

/* ---- the stage ---- */

static char db_path[512];
static rl_db *db;

/* Three topics, eight reviews each, sharing their topic's words. */
static const char corpus[] =
	"id\ttext\n"
	"b1\tbattery life is short, the battery dies\n"
	"p1\tpizza and pasta at this restaurant\n"
	"s1\tshipping was late, slow delivery\n"
	"b2\tthe battery charge lasts a day\n"
	"p2\tthe restaurant pizza was cold\n"
	"s2\tdelivery took weeks, shipping lost\n"
	"b3\tbattery charge fails, poor battery life\n"
	"p3\tgreat pasta, the restaurant waiter\n"
	"s3\tslow shipping and late delivery\n"
	"b4\tcharge the battery every night\n"
	"p4\tpasta sauce and pizza crust\n"
	"s4\tthe delivery was late again\n"
	"b5\tbattery life good, charge quick\n"
	"p5\trestaurant menu: pizza, pasta\n"
	"s5\tshipping cost and slow delivery\n"
	"b6\tbattery dies after a charge\n"
	"p6\twaiter brought pizza to the restaurant table\n"
	"s6\tlate shipping, delivery lost\n"
	"b7\tnew battery, life better, charge\n"
	"p7\tpasta was cold at the restaurant\n"
	"s7\tdelivery slow, shipping late\n"
	"b8\tbattery charge life\n"
	"p8\tpizza pasta restaurant\n"
	"s8\tshipping delivery late slow\n";

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

/* Imports the corpus and makes vectors and the graph. */
static void prepare(void)
{
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	rl_vectorize_opts vo;
	rl_vectorize_opts_init(&vo);
	vo.dim = 5;
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 4;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
}

/* Number of distinct clusters among reviews whose id starts with c. */
static long long clusters_of(char c)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(DISTINCT m.cluster_id) FROM "
		 "cluster_members m JOIN reviews r ON r.id = m.review_id "
		 "WHERE substr(r.ext_id, 1, 1) = '%c'", c);
	return tu_int(db_path, sql);
}

static char *members(void)
{
	return tu_text(db_path, "SELECT group_concat(x, ' ') FROM (SELECT "
		       "review_id || ':' || cluster_id || ':' || similarity "
		       "AS x FROM cluster_members ORDER BY review_id)");
}

START_TEST(stage_three_topics)
{
	prepare();
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.k = 3;
	rl_clusters_stats st;
	ck_assert_int_eq(rl_clusters(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.k, 3);
	ck_assert_int_eq(st.chosen, 0);
	ck_assert_uint_eq(st.reviews, 24);
	ck_assert_uint_eq(st.unclustered, 0);
	ck_assert_str_eq(st.vectors, "tfidf");
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM clusters"), 3);
	ck_assert_int_eq(tu_int(db_path, "SELECT sum(size) FROM clusters"),
			 24);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM clusters WHERE "
				"size = 8"), 3);
	ck_assert_int_eq(clusters_of('b'), 1);
	ck_assert_int_eq(clusters_of('p'), 1);
	ck_assert_int_eq(clusters_of('s'), 1);
	/* The battery cluster is described by its own words. */
	char *terms = tu_text(db_path, "SELECT c.terms FROM clusters c JOIN "
			      "cluster_members m ON m.cluster_id = c.id JOIN "
			      "reviews r ON r.id = m.review_id WHERE "
			      "r.ext_id = 'b1'");
	ck_assert_msg(strstr(terms, "\"batteri\"") && !strstr(terms, "pizza"),
		      "terms %s", terms);
	free(terms);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM runs WHERE "
				"stage = 'clusters' AND status = 'ok' AND "
				"json_extract(counts, '$.k') = 3"), 1);
	/* Same store, same options: the same clustering. */
	char *m1 = members();
	ck_assert_int_eq(rl_clusters(db, &o, &st), RL_OK);
	char *m2 = members();
	ck_assert_str_eq(m1, m2);
	free(m1);
	free(m2);
	/* LSA vectors find the topics too. */
	o.vectors = RL_VECTORS_LSA;
	ck_assert_int_eq(rl_clusters(db, &o, &st), RL_OK);
	ck_assert_str_eq(st.vectors, "lsa");
	ck_assert_int_eq(clusters_of('b'), 1);
	ck_assert_int_eq(clusters_of('p'), 1);
	ck_assert_int_eq(clusters_of('s'), 1);
	/* The reader: clusters in order with their terms. */
}
END_TEST

START_TEST(stage_chooses_k)
{
	prepare();
	rl_clusters_stats st;
	ck_assert_int_eq(rl_clusters(db, NULL, &st), RL_OK);
	ck_assert_int_eq(st.chosen, 1);
	ck_assert_uint_eq(st.k, 3);
	ck_assert_uint_gt(st.n_tried, 3);
	ck_assert_uint_eq(st.tried_k[0], 2);
	ck_assert_double_gt(st.silhouette, 0.2);
	/* The largest k allowed is tried even when no candidate is it. */
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.max_k = 7;
	ck_assert_int_eq(rl_clusters(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.tried_k[st.n_tried - 1], 7);
	ck_assert_uint_eq(st.tried_k[st.n_tried - 2], 6);
}
END_TEST

typedef struct seen {
	int n;
	int64_t last;
	char first_term[64];
	char id[32];
} seen;

static int on_cluster(void *ctx, const rl_cluster_info *c)
{
	seen *s = ctx;
	ck_assert_int_eq(c->id, s->n);
	ck_assert_uint_gt(c->n_terms, 0);
	ck_assert_ptr_null(c->terms[c->n_terms]);
	if (s->n == 0)
		snprintf(s->first_term, sizeof s->first_term, "%s",
			 c->terms[0]);
	s->n++;
	return 0;
}

static int on_member(void *ctx, const rl_cluster_member *m)
{
	seen *s = ctx;
	if (s->n == 0)
		snprintf(s->id, sizeof s->id, "%s", m->id);
	s->n++;
	return 0;
}

static void bad(int want, int rc)
{
	ck_assert_int_eq(rc, want);
	ck_assert_str_ne(rl_db_errmsg(db), "");
}

START_TEST(stage_bad_inputs)
{
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	rl_cluster_name_stats ns;
	seen s = { 0 };
	/* An empty store. */
	char *before = tu_digest(db_path);
	bad(RL_EEMPTY, rl_clusters(db, NULL, NULL));
	ck_assert_int_eq(rl_db_need(db), RL_NEED_REVIEWS);
	/* Reviews but no vectors: say which command makes them. */
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	free(before);
	before = tu_digest(db_path);
	bad(RL_EEMPTY, rl_clusters(db, NULL, NULL));
	ck_assert_int_eq(rl_db_need(db), RL_NEED_VECTORS);
	/* No clustering yet. */
	bad(RL_ENOTFOUND, rl_cluster_name(db, 0, "price", 3, &ns));
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "no clusters yet"));
	bad(RL_ENOTFOUND, rl_clusters_each(db, on_cluster, &s));
	bad(RL_ENOTFOUND, rl_cluster_members(db, 0, 3, on_member, &s));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	rl_vectorize_opts vo;
	rl_vectorize_opts_init(&vo);
	vo.dim = 5;
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
	o.k = 3;
	ck_assert_int_eq(rl_clusters(db, &o, NULL), RL_OK);
	before = tu_digest(db_path);
	/* k above the reviews; unknown vectors. */
	o.k = 25;
	bad(RL_EINVAL, rl_clusters(db, &o, NULL));
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "24 reviews"));
	o.k = 3;
	o.vectors = (rl_vectors)7;
	bad(RL_EINVAL, rl_clusters(db, &o, NULL));
	/* Naming: unknown cluster, bad label, no review. */
	bad(RL_ENOTFOUND, rl_cluster_name(db, 3, "price", 3, &ns));
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "0 to 2"));
	bad(RL_ENOTFOUND, rl_cluster_name(db, -1, "price", 3, &ns));
	bad(RL_EINVAL, rl_cluster_name(db, 0, "!price", 3, &ns));
	bad(RL_EINVAL, rl_cluster_name(db, 0, "", 3, &ns));
	bad(RL_EINVAL, rl_cluster_name(db, 0, "price", 0, &ns));
	bad(RL_ENOTFOUND, rl_cluster_members(db, 7, 3, on_member, &s));
	/* Injected failures of each SQLite step, in turn. */
	o.vectors = RL_VECTORS_AUTO;
	o.k = 2;
	int n;
	for (n = 1; n < 200; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_clusters(db, &o, NULL);
		rl_store_fail_step(db, 0);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_lt(n, 200);
	free(before);
	before = tu_digest(db_path);
	for (n = 1; n < 200; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_cluster_name(db, 1, "price", 3, &ns);
		rl_store_fail_step(db, 0);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_lt(n, 200);
	free(before);
}
END_TEST

/* The cluster of review `ext`. */
static int64_t cluster_of(const char *ext)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT m.cluster_id FROM cluster_members m "
		 "JOIN reviews r ON r.id = m.review_id WHERE r.ext_id = '%s'",
		 ext);
	return tu_int(db_path, sql);
}

START_TEST(naming)
{
	prepare();
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.k = 3;
	ck_assert_int_eq(rl_clusters(db, &o, NULL), RL_OK);
	seen s = { 0 };
	ck_assert_int_eq(rl_clusters_each(db, on_cluster, &s), RL_OK);
	ck_assert_int_eq(s.n, 3);
	int64_t cb = cluster_of("b1");
	/* The most central review gets a hand label first: it stays. */
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(rl_cluster_members(db, cb, 1, on_member, &s), RL_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(rl_seed_set(db, s.id, "power"), RL_OK);
	rl_cluster_name_stats ns;
	ck_assert_int_eq(rl_cluster_name(db, cb, "battery", 5, &ns), RL_OK);
	ck_assert_uint_eq(ns.named, 4);
	ck_assert_uint_eq(ns.hand, 1);
	ck_assert_int_eq(ns.label_created, 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds WHERE "
				"origin = 'cluster'"), 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds WHERE "
				"origin = 'hand'"), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'cluster' AND "
				"label = 'battery'"), 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'seed' AND "
				"label = 'power'"), 1);
	/* Naming again replaces the cluster-named labels, not adds. */
	ck_assert_int_eq(rl_cluster_name(db, cb, "charge", 3, &ns), RL_OK);
	ck_assert_uint_eq(ns.named, 2);
	ck_assert_int_eq(ns.label_created, 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds WHERE "
				"origin = 'cluster'"), 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM assignments "
				"WHERE source = 'cluster'"), 4);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(DISTINCT id) FROM "
				"labelled_reviews WHERE source = 'cluster'"),
			 4);
	rl_stats rs;
	ck_assert_int_eq(rl_stats_get(db, &rs), RL_OK);
	ck_assert_uint_eq(rs.seeds, 1);
	ck_assert_uint_eq(rs.cluster_seeds, 4);
	/* Reclustering keeps the cluster-named labels. */
	ck_assert_int_eq(rl_clusters(db, &o, NULL), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds WHERE "
				"origin = 'cluster'"), 4);
}
END_TEST

/* The label and source of review ext in the labelled table. */
static char *labelled(const char *ext)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT coalesce(label, '-') || ':' || "
		 "coalesce(source, '-') FROM labelled_reviews WHERE id = '%s'",
		 ext);
	return tu_text(db_path, sql);
}

#define LABELLED(ext, want) do { \
	char *got_ = labelled(ext); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

START_TEST(cluster_labels_propagate)
{
	/* A corpus with no hand labels: naming clusters is enough to label
	 * it, and the named reviews keep source 'cluster'. */
	prepare();
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.k = 3;
	ck_assert_int_eq(rl_clusters(db, &o, NULL), RL_OK);
	rl_cluster_name_stats ns;
	ck_assert_int_eq(rl_cluster_name(db, cluster_of("b1"), "battery", 3,
					 &ns), RL_OK);
	ck_assert_int_eq(rl_cluster_name(db, cluster_of("p1"), "food", 3,
					 &ns), RL_OK);
	ck_assert_int_eq(rl_cluster_name(db, cluster_of("s1"), "shipping", 3,
					 &ns), RL_OK);
	rl_propagate_stats ps;
	ck_assert_int_eq(rl_propagate(db, NULL, &ps), RL_OK);
	ck_assert_uint_eq(ps.seeds, 0);
	ck_assert_uint_eq(ps.cluster_seeds, 9);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'cluster'"),
			 9);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = "
				"'propagation'"), 15);
	/* Every review gets its topic's label. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE (id LIKE 'b%' AND "
				"label = 'battery') OR "
				"(id LIKE 'p%' AND label = 'food') OR "
				"(id LIKE 's%' AND label = 'shipping')"), 24);
	/* Labelling by the model keeps them too. */
	uint64_t n;
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'cluster'"),
			 9);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'model'"), 15);
	/* Naming again after labelling: the named reviews' propagated or
	 * model labels give way, one row per review, source 'cluster'. */
	ck_assert_int_eq(rl_cluster_name(db, cluster_of("b1"), "battery", 5,
					 &ns), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews"), 24);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM (SELECT id "
				"FROM labelled_reviews GROUP BY id)"), 24);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"labelled_reviews WHERE source = 'cluster' AND "
				"label = 'battery'"), 5);
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	/* A hand label on a named review wins. */
	char *id = tu_text(db_path, "SELECT r.ext_id FROM seeds s JOIN reviews "
			   "r ON r.id = s.review_id JOIN labels l ON l.id = "
			   "s.label_id WHERE s.origin = 'cluster' AND l.name = "
			   "'battery' LIMIT 1");
	ck_assert_int_eq(rl_seed_set(db, id, "power"), RL_OK);
	LABELLED(id, "power:seed");
	ck_assert_int_eq(rl_propagate(db, NULL, &ps), RL_OK);
	ck_assert_uint_eq(ps.seeds, 1);
	ck_assert_uint_eq(ps.cluster_seeds, 10);
	LABELLED(id, "power:seed");
	free(id);
	/* Without hand labels, eval has nothing to score. */
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_eval(db, NULL, &r), RL_EEMPTY);
	ck_assert_ptr_null(r);
}
END_TEST

static uint64_t confusion_total(const rl_method_score *s, uint32_t L)
{
	uint64_t t = 0;
	for (uint32_t i = 0; i < L * L; i++)
		t += s->confusion[i];
	return t;
}

START_TEST(never_gold)
{
	/* Hand labels: two per topic. */
	prepare();
	static const char *const hand[][2] = {
		{ "b2", "battery" }, { "b5", "battery" },
		{ "p2", "food" }, { "p5", "food" },
		{ "s2", "shipping" }, { "s5", "shipping" },
	};
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(rl_seed_set(db, hand[i][0], hand[i][1]),
				 RL_OK);
	rl_rules_opts ro = { 0 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"battery\tbattery\nfood\tpizza\n", 0), &ro, NULL), RL_OK);
	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	eo.folds = 2;
	rl_eval_report *r1 = NULL, *r2 = NULL;
	ck_assert_int_eq(rl_eval(db, &eo, &r1), RL_OK);
	rl_rules_report *q1 = NULL, *q2 = NULL;
	ck_assert_int_eq(rl_rules_report_get(db, &q1), RL_OK);

	/* Name the battery cluster deliberately wrong, with many reviews:
	 * as gold they would add 6 seeds (its hand-labelled ones are left
	 * alone) and change every denominator. */
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.k = 3;
	ck_assert_int_eq(rl_clusters(db, &o, NULL), RL_OK);
	rl_cluster_name_stats ns;
	ck_assert_int_eq(rl_cluster_name(db, cluster_of("b1"), "food", 8,
					 &ns), RL_OK);
	ck_assert_uint_eq(ns.named, 6);
	ck_assert_uint_eq(ns.hand, 2);
	ck_assert_int_eq(rl_eval(db, &eo, &r2), RL_OK);
	ck_assert_int_eq(rl_rules_report_get(db, &q2), RL_OK);

	ck_assert_uint_eq(r2->seeds, 6);
	ck_assert_uint_eq(r2->seeds, r1->seeds);
	ck_assert_uint_eq(r2->folds, r1->folds);
	ck_assert_uint_eq(r2->min_per_label, r1->min_per_label);
	ck_assert_uint_eq(r2->n_labels, r1->n_labels);
	uint32_t L = r1->n_labels;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		const rl_method_score *a = &r1->methods[m];
		const rl_method_score *b = &r2->methods[m];
		/* Answered + abstained = the hand labels, in both. */
		ck_assert_double_eq_tol((double)confusion_total(a, L),
					a->coverage * 6, 1e-9);
		ck_assert_double_eq_tol((double)confusion_total(b, L),
					b->coverage * 6, 1e-9);
		/* Each gold row counts only that label's hand labels. */
		for (uint32_t g = 0; g < L; g++) {
			uint64_t row = 0;
			for (uint32_t p = 0; p < L; p++)
				row += b->confusion[g * L + p];
			ck_assert_uint_le(row, 2);
		}
	}
	/* Rules alone never see seeds but for their precision: unchanged. */
	ck_assert_mem_eq(r1->methods[RL_METHOD_RULES].confusion,
			 r2->methods[RL_METHOD_RULES].confusion,
			 L * L * sizeof(uint64_t));
	/* Nor do the baselines see cluster-named labels: the majority of
	 * the rules, the classifier on the hand labels alone. */
	ck_assert_mem_eq(r1->methods[RL_METHOD_MAJORITY].confusion,
			 r2->methods[RL_METHOD_MAJORITY].confusion,
			 L * L * sizeof(uint64_t));
	ck_assert_mem_eq(r1->methods[RL_METHOD_SEEDS].confusion,
			 r2->methods[RL_METHOD_SEEDS].confusion,
			 L * L * sizeof(uint64_t));
	ck_assert_double_eq(r1->methods[RL_METHOD_SEEDS].ece,
			    r2->methods[RL_METHOD_SEEDS].ece);
	/* Rule precision is measured on hand labels only. */
	ck_assert_uint_eq(q1->n, q2->n);
	for (size_t i = 0; i < q1->n; i++) {
		ck_assert_uint_eq(q1->rules[i].seed_hits,
				  q2->rules[i].seed_hits);
		ck_assert_uint_eq(q1->rules[i].seed_correct,
				  q2->rules[i].seed_correct);
	}
	/* The evidence itself: hand rows as before, named rows apart. */
	rl_evidence ev;
	ck_assert_int_eq(rl_evidence_load(db, &ev, 0), RL_OK);
	ck_assert_uint_eq(ev.n_seeds, 6);
	ck_assert_uint_eq(ev.n_cseeds, 6);
	for (uint32_t i = 0; i < ev.n; i++)
		ck_assert(ev.seed[i] < 0 || ev.cseed[i] < 0);
	rl_evidence_free(&ev);
	rl_eval_report_free(r1);
	rl_eval_report_free(r2);
	rl_rules_report_free(q1);
	rl_rules_report_free(q2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("kernel");
	tcase_add_test(tc, obvious_clusters);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, ties_and_duplicates);
	tcase_add_test(tc, empty_clusters);
	tcase_add_test(tc, sparse_and_dense_agree);
	tcase_add_test(tc, silhouette_by_hand);
	tcase_add_test(tc, sweep_finds_k);
	tcase_add_test(tc, distinctive_terms);
	suite_add_tcase(s, tc);
	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stage_three_topics);
	tcase_add_test(tc, stage_chooses_k);
	tcase_add_test(tc, stage_bad_inputs);
	tcase_add_test(tc, naming);
	tcase_add_test(tc, cluster_labels_propagate);
	tcase_add_test(tc, never_gold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
