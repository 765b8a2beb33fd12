/*
 * check_propagate.c - label spreading against its closed form, the graph
 * normalisation (symmetric, no self-loops), class mass normalisation,
 * spreading's progress tick (same result, a clean stop), and the
 * propagate stage: no seeds, one class, a label with no path, rules
 * that conflict, abstaining, the store unchanged on failure.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "stage.h"
#include "store.h"
#include "testutil.h"

/* Solves A x = b (A n x n, row-major) by Gaussian elimination with
 * partial pivoting; A and b are destroyed. */
static void solve(double *A, double *b, int n)
{
	for (int c = 0; c < n; c++) {
		int p = c;
		for (int r = c + 1; r < n; r++)
			if (fabs(A[r * n + c]) > fabs(A[p * n + c]))
				p = r;
		for (int k = 0; k < n; k++) {
			double t = A[c * n + k];
			A[c * n + k] = A[p * n + k];
			A[p * n + k] = t;
		}
		double t = b[c];
		b[c] = b[p];
		b[p] = t;
		for (int r = c + 1; r < n; r++) {
			double f = A[r * n + c] / A[c * n + c];
			for (int k = c; k < n; k++)
				A[r * n + k] -= f * A[c * n + k];
			b[r] -= f * b[c];
		}
	}
	for (int c = n - 1; c >= 0; c--) {
		for (int k = c + 1; k < n; k++)
			b[c] -= A[c * n + k] * b[k];
		b[c] /= A[c * n + c];
	}
}

START_TEST(closed_form)
{
	/* 5 nodes, k = 2, asymmetric lists, one self-loop to be dropped. */
	int32_t nbr[] = { 1, 2, 0, 2, 1, 3, 2, 4, 3, 4 };
	float sim[] = { 0.9f, 0.5f, 0.9f, 0.4f, 0.4f, 0.7f, 0.7f, 0.3f,
			0.3f, 1.0f };
	rl_sgraph S;
	ck_assert_int_eq(rl_graph_normalize(5, 2, nbr, sim, &S), RL_OK);
	/* W by hand (max of both directions, no self-loop). */
	double W[25] = { 0 };
	W[0 * 5 + 1] = W[1 * 5 + 0] = 0.9;
	W[0 * 5 + 2] = W[2 * 5 + 0] = 0.5;
	W[1 * 5 + 2] = W[2 * 5 + 1] = 0.4;
	W[2 * 5 + 3] = W[3 * 5 + 2] = 0.7;
	W[3 * 5 + 4] = W[4 * 5 + 3] = 0.3;
	double d[5] = { 0 };
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			d[i] += W[i * 5 + j];
	/* S from the kernel equals D^-1/2 W D^-1/2. */
	for (int i = 0; i < 5; i++)
		for (uint64_t p = S.indptr[i]; p < S.indptr[i + 1]; p++) {
			int j = (int)S.to[p];
			ck_assert_int_ne(i, j);
			ck_assert_double_eq_tol(S.w[p], W[i * 5 + j] /
						sqrt(d[i] * d[j]), 1e-7);
		}
	double Y[10] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	double F[10];
	uint32_t it;
	double alpha = 0.8;
	ck_assert_int_eq(rl_spread(&S, 2, Y, NULL, alpha, 1e-13, 10000, 2, F,
				   &it, NULL), RL_OK);
	/* (I - alpha S) x = y, per label column. The kernel keeps S in
	 * double from float similarities, so build the same S here. */
	for (int l = 0; l < 2; l++) {
		double A[25], b[5];
		for (int i = 0; i < 5; i++) {
			for (int j = 0; j < 5; j++)
				A[i * 5 + j] = i == j;
			for (uint64_t p = S.indptr[i]; p < S.indptr[i + 1];
			     p++)
				A[i * 5 + S.to[p]] -= alpha * S.w[p];
			b[i] = Y[i * 2 + l];
		}
		solve(A, b, 5);
		for (int i = 0; i < 5; i++)
			ck_assert_double_eq_tol(F[i * 2 + l], b[i], 1e-9);
	}
	ck_assert_uint_lt(it, 10000);
	/* Started from the limit, or near it: the same limit, sooner. */
	double G[10];
	uint32_t it2;
	for (int e = 0; e < 10; e++)
		G[e] = F[e] + (e % 3 ? 1e-4 : -1e-4);
	ck_assert_int_eq(rl_spread_from(&S, 2, Y, NULL, alpha, 1e-13, 10000,
					2, G, &it2, NULL), RL_OK);
	for (int e = 0; e < 10; e++)
		ck_assert_double_eq_tol(G[e], F[e], 1e-11);
	ck_assert_uint_lt(it2, it);
	memcpy(G, F, sizeof G);
	ck_assert_int_eq(rl_spread_from(&S, 2, Y, NULL, alpha, 1e-13, 10000,
					2, G, &it2, NULL), RL_OK);
	ck_assert_uint_le(it2, 2);
	rl_sgraph_free(&S);
	rl_sgraph_free(NULL);
}
END_TEST

/* Y by rows (most rows empty, a few with one or two labels, clamped
 * rows among them): spreading gives the same bits as the plain dense
 * iteration F <- alpha S F + Y written out here, on 1 and 3 threads. */
START_TEST(sparse_y_same_bits)
{
	enum { N = 300, K = 4, L = 3 };
	int32_t nbr[N * K];
	float sim[N * K];
	uint32_t seed = 7;
	for (int i = 0; i < N * K; i++) {
		seed = seed * 1103515245u + 12345u;
		nbr[i] = (int32_t)((seed >> 8) % N);
		sim[i] = (float)((seed >> 4) % 1000) / 1000.0f;
	}
	rl_sgraph S;
	ck_assert_int_eq(rl_graph_normalize(N, K, nbr, sim, &S), RL_OK);
	static double Y[N * L], F[N * L], G[N * L], R[N * L], T[N * L];
	uint8_t clamp[N];
	for (int i = 0; i < N; i++) {
		clamp[i] = i % 17 == 0;
		for (int l = 0; l < L; l++)
			Y[i * L + l] = 0;
		if (clamp[i])
			Y[i * L + i % L] = 1;
		else if (i % 5 == 0)
			Y[i * L + i % L] = 0.25 + 0.01 * i;
		if (i % 11 == 0 && !clamp[i])
			Y[i * L + (i + 1) % L] = -0.125;
	}
	rl_yrows y;
	ck_assert_int_eq(rl_yrows_init(&y, N, L), RL_OK);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(rl_yrows_add(&y, (uint32_t)i, Y + i * L),
				 RL_OK);
	ck_assert_uint_lt(y.ptr[N], N);	/* fewer entries than rows */
	double alpha = 0.9;
	/* The reference: 40 dense iterations from Y. */
	memcpy(R, Y, sizeof R);
	for (int it = 0; it < 40; it++) {
		for (int i = 0; i < N; i++) {
			double *t = T + i * L;
			if (clamp[i]) {
				memcpy(t, Y + i * L, L * sizeof *t);
				continue;
			}
			for (int l = 0; l < L; l++)
				t[l] = 0;
			for (uint64_t p = S.indptr[i]; p < S.indptr[i + 1];
			     p++)
				for (int l = 0; l < L; l++)
					t[l] += S.w[p] * R[S.to[p] * L + l];
			for (int l = 0; l < L; l++)
				t[l] = alpha * t[l] + Y[i * L + l];
		}
		memcpy(R, T, sizeof R);
	}
	for (int threads = 1; threads <= 3; threads += 2) {
		uint32_t it;
		memcpy(F, Y, sizeof F);
		ck_assert_int_eq(rl_spread_rows(&S, &y, clamp, alpha, 0, 40,
						threads, F, &it, NULL), RL_OK);
		ck_assert_uint_eq(it, 40);
		ck_assert_int_eq(memcmp(F, R, sizeof F), 0);
		ck_assert_int_eq(rl_spread(&S, L, Y, clamp, alpha, 0, 40,
					   threads, G, &it, NULL), RL_OK);
		ck_assert_int_eq(memcmp(G, R, sizeof G), 0);
	}
	rl_yrows_free(&y);
	rl_sgraph_free(&S);
}
END_TEST

/* Spreading with a tick: the same result as without, every call on the
 * caller's thread, and a clean RL_ECANCELED at each of its first calls
 * (ASan and valgrind see nothing leak). A ring of 20000 rows, each near
 * the next two either way, on 2 threads: about 200 iterations, the tick
 * stepped after each and every 4096 rows within one, so it calls at
 * least 3 times whatever the clock. */
START_TEST(spread_stops_on_tick)
{
	uint32_t n = 20000, k = 4, L = 2, it0 = 0, it1 = 0;
	int32_t *nbr = malloc((size_t)n * k * sizeof *nbr);
	float *sim = malloc((size_t)n * k * sizeof *sim);
	double *Y = calloc((size_t)n * L, sizeof *Y);
	double *F0 = malloc((size_t)n * L * sizeof *F0);
	double *F1 = malloc((size_t)n * L * sizeof *F1);
	uint8_t *clamp = calloc(n, 1);
	ck_assert(nbr && sim && Y && F0 && F1 && clamp);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < k; j++) {
			uint32_t d = j / 2 + 1;	/* 1, 1, 2, 2 rows away */
			uint32_t b = j % 2 ? i + n - d : i + d;
			nbr[(size_t)i * k + j] = (int32_t)(b % n);
			sim[(size_t)i * k + j] = 1.0f / (float)d;
		}
	rl_sgraph S;
	ck_assert_int_eq(rl_graph_normalize(n, k, nbr, sim, &S), RL_OK);
	Y[0] = Y[(size_t)(n / 2) * L + 1] = 1;
	clamp[0] = clamp[n / 2] = 1;
	ck_assert_int_eq(rl_spread(&S, L, Y, clamp, 0.9, 1e-9, 1000, 2, F0,
				   &it0, NULL), RL_OK);
	rl_tick t;
	for (int at = 0; at <= 3; at++) {
		tu_watch w = { .caller = pthread_self(), .at = at };
		rl_tick_init(&t, tu_on_tick, &w, "test");
		int rc = rl_spread(&S, L, Y, clamp, 0.9, 1e-9, 1000, 2, F1,
				   &it1, &t);
		ck_assert_int_eq(rc, at ? RL_ECANCELED : RL_OK);
		ck_assert_int_eq(w.elsewhere, 0);
		ck_assert_int_eq(w.beyond, 0);
		if (at) {
			ck_assert_int_eq(w.calls, at);
			continue;
		}
		ck_assert_int_ge(w.calls, 3);
		ck_assert_uint_eq(it0, it1);
		ck_assert_int_eq(memcmp(F0, F1, (size_t)n * L * sizeof *F0),
				 0);
	}
	rl_sgraph_free(&S);
	free(nbr);
	free(sim);
	free(Y);
	free(F0);
	free(F1);
	free(clamp);
}
END_TEST

START_TEST(clamping_and_mass)
{
	/* A path 0-1-2-3; seeds at both ends stay exactly as given. */
	int32_t nbr[] = { 1, 0, 2, 1, 3, 2 };
	float sim[] = { 1, 1, 1, 1, 1, 1 };
	/* lists: 0:[1] 1:[0,2]... use k = 1 per row for rows 0..3 */
	int32_t n1[] = { 1, 2, 3, 2 };
	float s1[] = { 1, 1, 1, 1 };
	(void)nbr;
	(void)sim;
	rl_sgraph S;
	ck_assert_int_eq(rl_graph_normalize(4, 1, n1, s1, &S), RL_OK);
	double Y[8] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t clamp[4] = { 1, 0, 0, 1 };
	double F[8];
	ck_assert_int_eq(rl_spread(&S, 2, Y, clamp, 0.9, 1e-12, 1000, 1, F,
				   NULL, NULL), RL_OK);
	ck_assert_double_eq(F[0], 1);
	ck_assert_double_eq(F[1], 0);
	ck_assert(F[2] > F[3]);		/* node 1 nearer seed 0 */
	ck_assert(F[5] > F[4]);		/* node 2 nearer seed 3 */
	/* Mass normalisation to a 90/10 prior shifts node 2 to class 0. */
	double prior[2] = { 0.9, 0.1 };
	ck_assert_int_eq(rl_class_mass_normalize(4, 2, clamp, prior, F),
			 RL_OK);
	ck_assert(F[4] > F[5]);
	rl_sgraph_free(&S);
}
END_TEST

/* ---- stage ---- */

static rl_db *db;
static char db_path[512];

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv",
		"id\ttext\n"
		"a1\tcheap price good value\n"
		"a2\tcheap price low cost\n"
		"a3\tgood value low cost cheap\n"
		"b1\tfast shipping quick delivery\n"
		"b2\tquick delivery fast courier\n"
		"b3\tcourier shipping fast\n"
		"m1\tcheap price, fast shipping\n"
		"z1\tzebra xylophone\n", 0), NULL, NULL), RL_OK);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 2;
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

static char *label_of(const char *ext)
{
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT l.name || ':' || "
		 "a.source FROM assignments a JOIN reviews r ON r.id = "
		 "a.review_id JOIN labels l ON l.id = a.label_id WHERE "
		 "r.ext_id = '%s'), 'none')", ext);
	return tu_text(db_path, sql);
}

#define LABEL_IS(ext, want) do { \
	char *got_ = label_of(ext); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

START_TEST(no_seeds)
{
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_propagate(db, NULL, NULL), RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "hand labels"));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(two_classes_and_abstain)
{
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	rl_propagate_stats st;
	ck_assert_int_eq(rl_propagate(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.seeds, 2);
	/* Written without the foreign-key lookups: every row names a
	 * review, a label and a run, and the checks are on again. */
	ck_assert_int_gt(tu_int(db_path, "SELECT count(*) FROM label_scores"),
			 0);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"pragma_foreign_key_check('label_scores')"), 0);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
				"pragma_foreign_key_check('assignments')"), 0);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	LABEL_IS("a1", "price:seed");
	LABEL_IS("a2", "price:propagation");
	LABEL_IS("a3", "price:propagation");
	LABEL_IS("b2", "shipping:propagation");
	LABEL_IS("b3", "shipping:propagation");
	/* z1 shares no word: no path to any evidence, so it abstains. */
	LABEL_IS("z1", "none");
	ck_assert_uint_eq(st.abstained, 1);
	/* A high threshold makes the unsure abstain too. */
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	o.min_confidence = 0.999;
	ck_assert_int_eq(rl_propagate(db, &o, &st), RL_OK);
	ck_assert_uint_gt(st.abstained, 1);
	LABEL_IS("a1", "price:seed");
	/* Bad option values are refused before anything is written. */
	o.rule_vote = (rl_vote)5;
	ck_assert_int_eq(rl_propagate(db, &o, &st), RL_EINVAL);
}
END_TEST

START_TEST(one_class_and_no_path)
{
	/* One class only: every reachable review takes it. */
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	rl_propagate_stats st;
	ck_assert_int_eq(rl_propagate(db, NULL, &st), RL_OK);
	LABEL_IS("a2", "price:propagation");
	/* A label whose seed has no path to the rest: only itself. */
	ck_assert_int_eq(rl_seed_set(db, "z1", "other"), RL_OK);
	ck_assert_int_eq(rl_propagate(db, NULL, &st), RL_OK);
	LABEL_IS("z1", "other:seed");
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM assignments a "
				"JOIN labels l ON l.id = a.label_id WHERE "
				"l.name = 'other'"), 1);
}
END_TEST

START_TEST(rules_as_evidence)
{
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	/* A rule voting shipping for z1 gives it a label; conflicting
	 * rules on a seed never override the hand label. */
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"shipping\tzebra\nprice\tfast shipping\n!shipping\tquick\n",
		0), &ro, NULL), RL_OK);
	ck_assert_int_eq(rl_rules_apply(db, NULL, NULL), RL_OK);
	rl_propagate_stats st;
	ck_assert_int_eq(rl_propagate(db, NULL, &st), RL_OK);
	LABEL_IS("z1", "shipping:propagation");
	LABEL_IS("b1", "shipping:seed");
	ck_assert_uint_gt(st.rule_only, 0);
	char *ev = tu_text(db_path, "SELECT evidence FROM assignments a JOIN "
			   "reviews r ON r.id = a.review_id WHERE "
			   "r.ext_id = 'z1'");
	ck_assert_ptr_nonnull(strstr(ev, "\"rules\":["));
	free(ev);
	/* a2's evidence names the neighbours that weigh most on it. */
	ev = tu_text(db_path, "SELECT evidence FROM assignments a JOIN "
		     "reviews r ON r.id = a.review_id WHERE r.ext_id = 'a2'");
	ck_assert_ptr_nonnull(strstr(ev, "\"neighbours\":["));
	ck_assert_ptr_null(strstr(ev, "\"neighbours\":[]"));
	free(ev);
	/* Majority voting runs too. */
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	o.rule_vote = RL_VOTE_MAJORITY;
	ck_assert_int_eq(rl_propagate(db, &o, &st), RL_OK);
}
END_TEST

static int find_courier(void *ctx, const rl_suggestion *sg)
{
	int *found = ctx;
	if (!strcmp(sg->label, "shipping") && !strcmp(sg->term, "courier"))
		*found = 1;
	return 0;
}

START_TEST(suggest_from_propagated)
{
	/* "courier" is in no hand-labelled review, only in reviews that
	 * propagation labelled shipping: suggest finds it from those. */
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	rl_suggest_opts so;
	rl_suggest_opts_init(&so);
	so.min_seeds = 1;
	so.per_label = 20;
	int found = 0;
	ck_assert_int_eq(rl_suggest(db, "shipping", &so, find_courier,
				    &found), RL_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rl_propagate(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_suggest(db, "shipping", &so, find_courier,
				    &found), RL_OK);
	ck_assert_int_eq(found, 1);
}
END_TEST

START_TEST(hidden_seeds_change_nothing)
{
	/* Evaluation hides seeds: rule quality must come only from the
	 * seeds in use, so hiding b1 must equal never having labelled it. */
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "a2", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b2", "shipping"), RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"shipping\tfast\nprice\tcheap\n", 0), &ro, NULL), RL_OK);
	rl_evidence ev;
	ck_assert_int_eq(rl_evidence_load(db, &ev, 0), RL_OK);
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	uint8_t use[16];
	double *P1 = malloc(ev.n * ev.L * sizeof *P1);
	double *P2 = malloc(ev.n * ev.L * sizeof *P2);
	for (uint32_t i = 0; i < ev.n; i++)
		use[i] = 1;
	use[4] = 0;	/* b2 (rows follow review ids: a1 a2 a3 b1 b2 ..) */
	ck_assert_int_eq(rl_propagate_run(&ev, use, &o, P1, NULL, NULL),
			 RL_OK);
	rl_evidence_free(&ev);
	ck_assert_int_eq(rl_seed_unset(db, "b2"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "b1"), RL_OK);
	ck_assert_int_eq(rl_evidence_load(db, &ev, 0), RL_OK);
	ck_assert_int_eq(rl_propagate_run(&ev, NULL, &o, P2, NULL, NULL),
			 RL_OK);
	for (uint32_t i = 0; i < ev.n * ev.L; i++)
		ck_assert_double_eq_tol(P1[i], P2[i], 1e-12);
	rl_evidence_free(&ev);
	free(P1);
	free(P2);
}
END_TEST

/* The blend of model and propagation, by hand: row 0 they disagree, row
 * 1 the model abstains, row 2 is a hand label (left out of the spreads),
 * row 3 both abstain. */
START_TEST(blend_by_hand)
{
	int32_t seed[4] = { -1, -1, 0, -1 };
	rl_evidence ev = { .n = 4, .L = 3, .seed = seed };
	double Pm[12] = { 0.7, 0.2, 0.1, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
	double Pp[12] = { 0.1, 0.3, 0.6, 0.2, 0.5, 0.3, 1, 0, 0, 0, 0, 0 };
	double P[12], Q[12], g[6];
	/* the spreads (mean absolute centred log-probability of rows 0-1)
	 * are 0.710814 and 0.479719; worked out apart from the code */
	const double want[12] = { 0.184969, 0.313520, 0.501510,
				  0.099188, 0.669857, 0.230955,
				  1, 0, 0, 0, 0, 0 };
	rl_blend(&ev, NULL, Pm, Pp, P, g);
	for (int i = 0; i < 12; i++)
		ck_assert_double_eq_tol(P[i], want[i], 1e-5);
	/* A hand label's row weighs nothing in the spreads. */
	Pm[7] = 1;
	Pm[6] = 0;
	rl_blend(&ev, NULL, Pm, Pp, Q, g);
	for (int i = 0; i < 6; i++)
		ck_assert_double_eq_tol(Q[i], P[i], 1e-12);
	/* An overconfident model (its probabilities squared) does not
	 * drown propagation: the blend is the same. */
	for (int i = 0; i < 6; i++)
		Pm[i] *= Pm[i];
	rl_blend(&ev, NULL, Pm, Pp, Q, g);
	for (int i = 0; i < 6; i++)
		ck_assert_double_eq_tol(Q[i], P[i], 1e-4);
	/* Unless the hand label is hidden (a fold predicts it): then it is
	 * a row like the others. */
	uint8_t use[4] = { 1, 1, 0, 1 };
	rl_blend(&ev, use, Pm, Pp, Q, g);
	ck_assert(fabs(Q[0] - P[0]) > 1e-3);
}
END_TEST

/* Propagation can use fewer neighbours than the graph stored: the
 * nearest ones; labelling records the count it used, and later stages
 * default to it. */
START_TEST(fewer_neighbours)
{
	uint32_t ks[8];
	size_t n_ks;
	ck_assert_int_eq(rl_neighbour_choices(db, ks, 8, &n_ks), RL_OK);
	ck_assert_uint_eq(n_ks, 1);
	ck_assert_uint_eq(ks[0], 2);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 7;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_int_eq(rl_neighbour_choices(db, ks, 8, &n_ks), RL_OK);
	ck_assert_uint_eq(n_ks, 2);
	ck_assert_uint_eq(ks[0], 7);
	ck_assert_uint_eq(ks[1], 5);
	ck_assert_int_eq(rl_neighbour_choices(db, ks, 1, &n_ks), RL_OK);
	ck_assert_uint_eq(n_ks, 1);

	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	rl_evidence ev;
	uint64_t edges[3];
	const uint32_t use[3] = { 1, 0, 7 };
	for (int t = 0; t < 3; t++) {
		ck_assert_int_eq(rl_evidence_load(db, &ev, use[t]), RL_OK);
		edges[t] = ev.S.indptr[ev.n];
		rl_evidence_free(&ev);
	}
	/* One neighbour each: at most 2 edges per row once symmetric. */
	ck_assert_uint_le(edges[0], 2 * 8);
	ck_assert_uint_gt(edges[1], edges[0]);
	ck_assert_uint_eq(edges[1], edges[2]);
	/* A count past the graph's is the graph's. */
	ck_assert_int_eq(rl_evidence_load(db, &ev, 50), RL_OK);
	ck_assert_uint_eq(ev.S.indptr[ev.n], edges[1]);
	rl_evidence_free(&ev);

	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	eo.prop.neighbours = 1;
	uint64_t n;
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_PROPAGATION, &eo, &n),
			 RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT value = '1' FROM settings "
				"WHERE key = 'neighbours'"), 1);
	rl_propagate_opts po;
	rl_propagate_opts_init(&po);
	ck_assert_int_eq(rl_propagate_prepare(db, &po, &po), RL_OK);
	ck_assert_int_eq(po.neighbours, 1);
	ck_assert_int_eq(rl_evidence_load(db, &ev, (uint32_t)po.neighbours),
			 RL_OK);
	ck_assert_uint_eq(ev.S.indptr[ev.n], edges[0]);
	rl_evidence_free(&ev);
	/* An explicit count still wins over the recorded one. */
	po.neighbours = 7;
	ck_assert_int_eq(rl_propagate_prepare(db, &po, &po), RL_OK);
	ck_assert_int_eq(po.neighbours, 7);
	/* The class shares labelling used are what "auto" means after it;
	 * unbalanced hand labels make the two differ. */
	ck_assert_int_eq(rl_seed_set(db, "a2", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "a3", "price"), RL_OK);
	eo.prop.class_prior = RL_PRIOR_UNIFORM;
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_PROPAGATION, &eo, &n),
			 RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT value = 'uniform' FROM "
				"settings WHERE key = 'class_prior'"), 1);
	rl_prior prior = RL_PRIOR_AUTO;
	ck_assert_int_eq(rl_store_prior_get(db, &prior), RL_OK);
	ck_assert_int_eq(prior, RL_PRIOR_UNIFORM);
	ck_assert_int_eq(rl_evidence_load(db, &ev, 7), RL_OK);
	double *P[3];
	const rl_prior cp[3] = { RL_PRIOR_AUTO, RL_PRIOR_UNIFORM,
				 RL_PRIOR_SEEDS };
	for (int t = 0; t < 3; t++) {
		rl_propagate_opts o;
		rl_propagate_opts_init(&o);
		o.class_prior = cp[t];
		ck_assert_int_eq(rl_propagate_prepare(db, &o, &o), RL_OK);
		ck_assert_int_ne(o.class_prior, RL_PRIOR_AUTO);
		P[t] = malloc(ev.n * ev.L * sizeof *P[t]);
		ck_assert_int_eq(rl_propagate_run(&ev, NULL, &o, P[t], NULL,
						  NULL), RL_OK);
	}
	int differ = 0;
	for (uint32_t i = 0; i < ev.n * ev.L; i++) {
		ck_assert_double_eq(P[0][i], P[1][i]);
		differ |= fabs(P[1][i] - P[2][i]) > 1e-6;
	}
	ck_assert(differ);
	for (int t = 0; t < 3; t++)
		free(P[t]);
	rl_evidence_free(&ev);
	/* The option is a parameter like the others. */
	rl_propagate_opts_init(&po);
	ck_assert_int_eq(po.neighbours, 0);
	ck_assert_int_eq(rl_propagate_opts_set(&po, "neighbours=5"), RL_OK);
	ck_assert_int_eq(po.neighbours, 5);
	ck_assert_int_ne(rl_propagate_opts_set(&po, "neighbours=-1"), RL_OK);
}
END_TEST

/* A path of 4 reviews, a-b-c-d, each linked to the next at similarity
 * 1, with a hand label at either end (labels 0 and 1): the evidence
 * propagation takes, built by hand. rule: a rule for label 1 matching
 * b. */
typedef struct path4 {
	rl_evidence ev;
	int32_t seed[4], cseed[4];
	uint64_t hit_ptr[5];
	uint32_t hit_rule[1], rule_label[1];
	uint8_t rule_negate[1];
	double rule_weight[1];
} path4;

static void path4_init(path4 *p, int rule)
{
	const int32_t nbr[8] = { 1, -1, 0, 2, 1, 3, 2, -1 };
	const float sim[8] = { 1, 0, 1, 1, 1, 1, 1, 0 };
	memset(p, 0, sizeof *p);
	ck_assert_int_eq(rl_graph_normalize(4, 2, nbr, sim, &p->ev.S), RL_OK);
	p->ev.n = 4;
	p->ev.L = 2;
	p->ev.k = 2;
	for (int i = 0; i < 4; i++)
		p->seed[i] = p->cseed[i] = -1;
	p->seed[0] = 0;
	p->seed[3] = 1;
	p->ev.n_seeds = 2;
	p->ev.seed = p->seed;
	p->ev.cseed = p->cseed;
	p->hit_rule[0] = 0;
	p->rule_label[0] = 1;
	p->rule_weight[0] = 1;
	for (int i = 2; rule && i < 5; i++)
		p->hit_ptr[i] = 1;
	p->ev.n_rules = rule ? 1 : 0;
	p->ev.hit_ptr = p->hit_ptr;
	p->ev.hit_rule = p->hit_rule;
	p->ev.rule_label = p->rule_label;
	p->ev.rule_negate = p->rule_negate;
	p->ev.rule_weight = p->rule_weight;
}

/* Two evidences alike: the same reviews, graph and hand labels. */
static void same_evidence(const rl_evidence *a, const rl_evidence *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_uint_eq(a->k, b->k);
	ck_assert_uint_eq(a->S.n, b->S.n);
	ck_assert_mem_eq(a->review_ids, b->review_ids,
			 a->n * sizeof *a->review_ids);
	ck_assert_mem_eq(a->S.indptr, b->S.indptr,
			 (a->S.n + 1) * sizeof *a->S.indptr);
	ck_assert_mem_eq(a->S.to, b->S.to,
			 a->S.indptr[a->S.n] * sizeof *a->S.to);
	ck_assert_mem_eq(a->S.w, b->S.w,
			 a->S.indptr[a->S.n] * sizeof *a->S.w);
	ck_assert_mem_eq(a->seed, b->seed, a->n * sizeof *a->seed);
	ck_assert_mem_eq(a->hit_ptr, b->hit_ptr,
			 (a->n + 1) * sizeof *a->hit_ptr);
}

/* A held graph (run's cross-validations) gives every k the evidence a
 * fresh read gives; let go, reads are fresh again. */
START_TEST(held_graph_same_evidence)
{
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 7;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "a1", "price"), RL_OK);
	static const uint32_t ks[] = { 0, 7, 5, 3, 1, 9 };
	rl_evidence fresh[6], held[6];
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(rl_evidence_load(db, &fresh[i], ks[i]), RL_OK);
	ck_assert_int_eq(rl_graph_hold(db), RL_OK);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(rl_evidence_load(db, &held[i], ks[i]), RL_OK);
	for (int i = 0; i < 6; i++) {
		same_evidence(&fresh[i], &held[i]);
		rl_evidence_free(&held[i]);
	}
	/* k 1 has fewer edges than 7: the truncation is real */
	ck_assert_uint_lt(fresh[4].S.indptr[fresh[4].S.n],
			  fresh[1].S.indptr[fresh[1].S.n]);
	/* held, another connection's commit is seen: the next load reads
	 * the store again (here a list of the graph changed by hand) */
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 0), RL_OK);
	same_evidence(&held[0], &fresh[0]);
	rl_evidence_free(&held[0]);
	sqlite3 *other = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "UPDATE neighbours SET "
				      "similarity = similarity / 2 WHERE "
				      "rank = 1", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 0), RL_OK);
	rl_evidence now;
	rl_graph_release(db);
	ck_assert_int_eq(rl_evidence_load(db, &now, 0), RL_OK);
	same_evidence(&held[0], &now);
	/* the halved weights are in it: not the evidence of before */
	ck_assert_mem_ne(now.S.w, fresh[0].S.w,
			 now.S.indptr[now.S.n] * sizeof *now.S.w);
	rl_evidence_free(&now);
	rl_evidence_free(&held[0]);
	/* this handle's graph stage lets a held graph go */
	ck_assert_int_eq(rl_graph_hold(db), RL_OK);
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 0), RL_OK);
	rl_evidence_free(&held[0]);
	go.k = 3;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_ptr_null(rl_db_held(db));
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 0), RL_OK);
	ck_assert_uint_eq(held[0].k, 3);
	same_evidence(&held[0], &fresh[3]);
	rl_evidence_free(&held[0]);
	for (int i = 0; i < 6; i++)
		rl_evidence_free(&fresh[i]);
	/* labelling lets a held graph go once its evidence is built from
	 * it, and labels as it does from a fresh read */
	ck_assert_int_eq(rl_seed_set(db, "b1", "shipping"), RL_OK);
	uint64_t n1 = 0, n2 = 0;
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_PROPAGATION, NULL, &n1),
			 RL_OK);
	char *fresh_labels = tu_text(db_path, "SELECT group_concat(review_id "
		"|| ':' || label_id || ':' || confidence, ' ') FROM (SELECT * "
		"FROM assignments ORDER BY review_id, label_id)");
	ck_assert_int_eq(rl_graph_hold(db), RL_OK);
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_PROPAGATION, NULL, &n2),
			 RL_OK);
	char *held_labels = tu_text(db_path, "SELECT group_concat(review_id "
		"|| ':' || label_id || ':' || confidence, ' ') FROM (SELECT * "
		"FROM assignments ORDER BY review_id, label_id)");
	ck_assert_uint_eq(n1, n2);
	ck_assert_uint_gt(n1, 0);
	ck_assert_str_eq(fresh_labels, held_labels);
	free(fresh_labels);
	free(held_labels);
	go.k = 2;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 0), RL_OK);
	ck_assert_uint_eq(held[0].k, 2);
	rl_evidence_free(&held[0]);
	/* held and never let go: the handle's close frees it (ASan) */
	ck_assert_int_eq(rl_graph_hold(db), RL_OK);
	ck_assert_int_eq(rl_evidence_load(db, &held[0], 2), RL_OK);
	rl_evidence_free(&held[0]);
}
END_TEST

/* Label spreading on the path, against answers worked out apart from
 * the code (a plain Python fixed point, then class mass normalisation):
 * with alpha 1/2, b's row is c/(1 - d^2) [1, d] with d = 1/4, so 0.8
 * and 0.2. A rule vote for label 1 on b (its quality, with no hand label
 * to measure it, is (0 + 1) / (0 + 2)) pulls b and c towards 1, less
 * than a majority vote (quality 1) does. */
START_TEST(propagation_by_hand)
{
	static const double want[3][8] = {
		{ 1, 0, 0.8, 0.2, 0.2, 0.8, 0, 1 },
		{ 1, 0, 0.6667223934736309, 0.33327760652636895,
		  0.28915001062841433, 0.7108499893715857, 0, 1 },
		{ 1, 0, 0.6242399446719009, 0.3757600553280991,
		  0.33802880535284247, 0.6619711946471576, 0, 1 },
	};
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	o.alpha = 0.5;
	o.tol = 1e-13;
	o.max_iter = 10000;
	o.class_prior = RL_PRIOR_SEEDS;
	for (int t = 0; t < 3; t++) {
		path4 p;
		double P[8];
		uint32_t iters = 0;
		path4_init(&p, t > 0);
		o.rule_vote = t == 2 ? RL_VOTE_MAJORITY : RL_VOTE_WEIGHTED;
		ck_assert_int_eq(rl_propagate_run(&p.ev, NULL, &o, P, &iters,
						  NULL), RL_OK);
		ck_assert_uint_gt(iters, 1);
		for (int i = 0; i < 8; i++)
			ck_assert_double_eq_tol(P[i], want[t][i], 1e-9);
		/* Uniform class shares are the seeds' here (one each). */
		double Q[8];
		o.class_prior = RL_PRIOR_UNIFORM;
		ck_assert_int_eq(rl_propagate_run(&p.ev, NULL, &o, Q, NULL,
						  NULL), RL_OK);
		o.class_prior = RL_PRIOR_SEEDS;
		for (int i = 0; i < 8; i++)
			ck_assert_double_eq_tol(Q[i], P[i], 1e-12);
		/* Hiding d's hand label: d is predicted like the others, and
		 * the class shares of the one hand label left give label 1
		 * none. */
		const uint8_t use[4] = { 1, 1, 1, 0 };
		ck_assert_int_eq(rl_propagate_run(&p.ev, use, &o, Q, NULL,
						  NULL), RL_OK);
		ck_assert_double_eq_tol(Q[6], 1, 1e-12);
		ck_assert_double_eq(Q[7], 0);
		rl_sgraph_free(&p.ev.S);
	}
}
END_TEST

/* Rule quality and the rule report's counts, by hand. Rows 0-4 with hand
 * labels 0 0 1 - 1; rule 0 votes for label 0 (rows 0 1 2), rule 1 against
 * label 0 (rows 0 4), rule 2 for label 1 (rows 2 3 4). */
START_TEST(rule_counts_by_hand)
{
	int32_t seed[5] = { 0, 0, 1, -1, 1 };
	uint64_t hit_ptr[6] = { 0, 2, 3, 5, 6, 8 };
	uint32_t hit_rule[8] = { 0, 1, 0, 0, 2, 2, 1, 2 };
	uint32_t rule_label[3] = { 0, 0, 1 };
	uint8_t rule_negate[3] = { 0, 1, 0 };
	double rule_weight[3] = { 1, 1, 2 };
	rl_evidence ev = { .n = 5, .L = 2, .seed = seed, .n_rules = 3,
			   .rule_label = rule_label, .rule_negate = rule_negate,
			   .rule_weight = rule_weight, .hit_ptr = hit_ptr,
			   .hit_rule = hit_rule };
	uint64_t hits[3], right[3];
	rl_rule_seed_counts(&ev, NULL, hits, right);
	const uint64_t want_hits[3] = { 3, 2, 2 }, want_right[3] = { 2, 1, 2 };
	for (int r = 0; r < 3; r++) {
		ck_assert_uint_eq(hits[r], want_hits[r]);
		ck_assert_uint_eq(right[r], want_right[r]);
	}
	/* Hiding row 2's hand label takes it out of every count. */
	const uint8_t use[5] = { 1, 1, 0, 1, 1 };
	double q[3];
	ck_assert_int_eq(rl_rule_quality(&ev, use, q), RL_OK);
	ck_assert_double_eq_tol(q[0], 3.0 / 4, 1e-12);	/* 2 of 2 */
	ck_assert_double_eq_tol(q[1], 2.0 / 4, 1e-12);	/* 1 of 2 */
	ck_assert_double_eq_tol(q[2], 2.0 / 3, 1e-12);	/* 1 of 1 */
	ck_assert_int_eq(rl_rule_quality(&ev, NULL, q), RL_OK);
	ck_assert_double_eq_tol(q[0], 3.0 / 5, 1e-12);
	ck_assert_double_eq_tol(q[2], 3.0 / 4, 1e-12);
	/* Wilson intervals, worked out apart from the code. */
	double lo, hi;
	rl_wilson(2, 3, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.2076596008020477, 1e-12);
	ck_assert_double_eq_tol(hi, 0.9385080552796037, 1e-12);
	rl_wilson(5, 10, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.236593090512564, 1e-12);
	ck_assert_double_eq_tol(hi, 0.7634069094874361, 1e-12);
	rl_wilson(0, 4, &lo, &hi);
	ck_assert_double_eq(lo, 0);
	ck_assert_double_eq_tol(hi, 0.4898908364545973, 1e-12);
	rl_wilson(4, 4, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.5101091635454027, 1e-12);
	ck_assert_double_eq(hi, 1);
	/* Votes: row 4's `!0` (weight 1) and `1` (weight 2) both go to
	 * label 1; with qualities they are scaled by them. */
	double y[2] = { 0, 0 };
	rl_rule_votes(&ev, 4, NULL, 1, y);
	ck_assert_double_eq(y[0], 0);
	ck_assert_double_eq(y[1], 3);
	y[1] = 0;
	rl_rule_votes(&ev, 4, q, 0.5, y);
	ck_assert_double_eq_tol(y[1], 0.5 * (q[1] + 2 * q[2]), 1e-12);
	/* How they fire together: rows 0 (0 and !0 disagree) and 2 (0 and 1
	 * disagree) conflict; row 4 (!0 and 1) agrees. */
	uint64_t h[3], ov[3], cf[3], om[9], cm[9], covered, conflicted;
	rl_rule_overlaps(&ev, h, ov, cf, om, cm, &covered, &conflicted);
	const uint64_t want_h[3] = { 3, 2, 3 }, want_ov[3] = { 2, 2, 2 };
	const uint64_t want_cf[3] = { 2, 1, 1 };
	const uint64_t want_om[9] = { 0, 1, 1, 1, 0, 1, 1, 1, 0 };
	const uint64_t want_cm[9] = { 0, 1, 1, 1, 0, 0, 1, 0, 0 };
	for (int r = 0; r < 3; r++) {
		ck_assert_uint_eq(h[r], want_h[r]);
		ck_assert_uint_eq(ov[r], want_ov[r]);
		ck_assert_uint_eq(cf[r], want_cf[r]);
	}
	for (int i = 0; i < 9; i++) {
		ck_assert_uint_eq(om[i], want_om[i]);
		ck_assert_uint_eq(cm[i], want_cm[i]);
	}
	ck_assert_uint_eq(covered, 5);
	ck_assert_uint_eq(conflicted, 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("propagate");
	TCase *tc = tcase_create("kernel");
	tcase_add_test(tc, closed_form);
	tcase_add_test(tc, sparse_y_same_bits);
	tcase_add_test(tc, clamping_and_mass);
	tcase_add_test(tc, spread_stops_on_tick);
	tcase_add_test(tc, blend_by_hand);
	tcase_add_test(tc, propagation_by_hand);
	tcase_add_test(tc, rule_counts_by_hand);
	suite_add_tcase(s, tc);
	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, no_seeds);
	tcase_add_test(tc, two_classes_and_abstain);
	tcase_add_test(tc, one_class_and_no_path);
	tcase_add_test(tc, rules_as_evidence);
	tcase_add_test(tc, hidden_seeds_change_nothing);
	tcase_add_test(tc, fewer_neighbours);
	tcase_add_test(tc, held_graph_same_evidence);
	tcase_add_test(tc, suggest_from_propagated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
