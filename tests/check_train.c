/*
 * check_train.c - the classifiers on tiny data with known answers, soft
 * labels moving the fit as they should, and evaluation: it leaves the
 * store as it was, scores every method, and labelling with a method
 * records where each label came from.
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

/* Four rows, two features: feature 0 means class 0, feature 1 class 1. */
static uint64_t indptr[] = { 0, 1, 2, 3, 4 };
static uint32_t idx[] = { 0, 0, 1, 1 };
static float val[] = { 1, 1, 1, 1 };

START_TEST(logreg_separable)
{
	rl_csr X = { 4, 2, indptr, idx, val };
	float T[8] = { 1, 0, 1, 0, 0, 1, 0, 1 };
	float w[4] = { 1, 1, 1, 1 };
	double theta[6], p[2];
	uint32_t it;
	ck_assert_int_eq(rl_logreg_train(&X, T, w, 2, 0.01, 200, 0, 2, theta,
					 &it, NULL, NULL), RL_OK);
	rl_logreg_predict(&X, 0, theta, 2, p);
	ck_assert(p[0] > 0.9);
	rl_logreg_predict(&X, 3, theta, 2, p);
	ck_assert(p[1] > 0.9);
	ck_assert_uint_gt(it, 0);
	/* Soft labels: rows 2 and 3 only half sure of class 1 pull the
	 * fitted probability towards one half. */
	float Ts[8] = { 1, 0, 1, 0, 0.5f, 0.5f, 0.5f, 0.5f };
	double ts[6], q[2];
	ck_assert_int_eq(rl_logreg_train(&X, Ts, w, 2, 0.01, 200, 0, 1, ts,
					 NULL, NULL, NULL), RL_OK);
	rl_logreg_predict(&X, 3, ts, 2, q);
	ck_assert_double_eq_tol(q[1], 0.5, 0.05);
	/* A zero weight removes a row from training. */
	float w0[4] = { 1, 1, 0, 0 };
	ck_assert_int_eq(rl_logreg_train(&X, T, w0, 2, 0.01, 200, 0, 1, ts,
					 NULL, NULL, NULL), RL_OK);
	rl_logreg_predict(&X, 3, ts, 2, q);
	ck_assert(q[1] < 0.9);
}
END_TEST

START_TEST(logreg_optimum)
{
	/* Overlapping classes, three labels, a dense and a sparse column:
	 * at the solution the gradient of the regularised loss vanishes,
	 * sum_i w_i (p_il - T_il) x_ij + lambda theta_jl = 0 for each
	 * weight, and with a tolerance the loss is within it. */
	uint64_t ip[7] = { 0, 2, 4, 5, 7, 9, 10 };
	uint32_t ix[10] = { 0, 1, 0, 2, 1, 0, 1, 0, 2, 2 };
	float v[10] = { 1, 0.5f, 0.3f, 2, 1, 0.7f, 0.1f, 1, 1, 3 };
	rl_csr X = { 6, 3, ip, ix, v };
	float T[18] = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 0.6f, 0.4f, 0,
			1, 0, 0, 0, 0, 1 };
	float w[6] = { 1, 2, 1, 0.5f, 1, 1 };
	double lambda = 0.1, theta[12], p[3], grad[12] = { 0 };
	uint32_t it = 0, it_tol = 0;
	ck_assert_int_eq(rl_logreg_train(&X, T, w, 3, lambda, 1000, 0, 1,
					 theta, &it, NULL, NULL), RL_OK);
	for (uint32_t i = 0; i < 6; i++) {
		rl_logreg_predict(&X, i, theta, 3, p);
		for (uint32_t l = 0; l < 3; l++) {
			double r = w[i] * (p[l] - T[i * 3 + l]);
			grad[9 + l] += r;
			for (uint64_t q = ip[i]; q < ip[i + 1]; q++)
				grad[ix[q] * 3 + l] += r * v[q];
		}
	}
	for (int k = 0; k < 12; k++)
		ck_assert_double_eq_tol(grad[k] + (k < 9 ? lambda * theta[k]
							 : 0), 0, 1e-4);
	double loose[12];
	ck_assert_int_eq(rl_logreg_train(&X, T, w, 3, lambda, 1000, 1e-3, 1,
					 loose, &it_tol, NULL, NULL), RL_OK);
	ck_assert_uint_le(it_tol, it);
	for (int k = 0; k < 12; k++)
		ck_assert_double_eq_tol(loose[k], theta[k], 0.1);
	/* Started at the optimum (columns reordered inside, so this also
	 * checks the start lands on the right weights), it stays there in
	 * at most a couple of steps; started from the loose fit, it gets
	 * there in fewer iterations than from zeros. */
	double warm[12];
	uint32_t it_warm = 0;
	ck_assert_int_eq(rl_logreg_train_from(&X, T, w, 3, lambda, 1000, 0, 1,
					      theta, warm, &it_warm, NULL,
					      NULL), RL_OK);
	ck_assert_uint_le(it_warm, 2);
	for (int k = 0; k < 12; k++)
		ck_assert_double_eq_tol(warm[k], theta[k], 1e-4);
	ck_assert_int_eq(rl_logreg_train_from(&X, T, w, 3, lambda, 1000, 0, 1,
					      loose, warm, &it_warm, NULL,
					      NULL), RL_OK);
	ck_assert_uint_lt(it_warm, it);
	for (int k = 0; k < 12; k++)
		ck_assert_double_eq_tol(warm[k], theta[k], 1e-4);
}
END_TEST

START_TEST(logreg_unused_column_no_l2)
{
	/* Column 1 is used only by a row of weight 0; without L2 its
	 * direction is flat. Training must still fit the other column. */
	uint64_t ip[5] = { 0, 1, 2, 3, 4 };
	uint32_t ix[4] = { 0, 0, 1, 0 };
	float v[4] = { 1, 1, 1, -1 };
	rl_csr X = { 4, 2, ip, ix, v };
	float T[8] = { 1, 0, 1, 0, 0, 1, 0, 1 };
	float w[4] = { 1, 1, 0, 1 };
	double theta[6], p[2];
	uint32_t it = 0;
	ck_assert_int_eq(rl_logreg_train(&X, T, w, 2, 0, 50, 0, 1, theta, &it,
					 NULL, NULL), RL_OK);
	ck_assert_uint_gt(it, 0);
	for (int k = 0; k < 6; k++)
		ck_assert(isfinite(theta[k]));
	rl_logreg_predict(&X, 0, theta, 2, p);
	ck_assert(p[0] > 0.9);
	rl_logreg_predict(&X, 3, theta, 2, p);
	ck_assert(p[1] > 0.9);
}
END_TEST

START_TEST(cnb_separable)
{
	rl_csr X = { 4, 2, indptr, idx, val };
	float T[8] = { 1, 0, 1, 0, 0, 1, 0, 1 };
	float w[4] = { 1, 1, 1, 1 };
	double theta[6], p[2];
	ck_assert_int_eq(rl_cnb_train(&X, T, w, 2, 1.0, theta), RL_OK);
	rl_logreg_predict(&X, 0, theta, 2, p);
	ck_assert(p[0] > p[1]);
	rl_logreg_predict(&X, 3, theta, 2, p);
	ck_assert(p[1] > p[0]);
}
END_TEST

START_TEST(pool_by_hand)
{
	/* Row 2 has both features, so the parts' logits differ in scale
	 * and the pool is not a multiple of any one of them. */
	static uint64_t ip[] = { 0, 1, 2, 4, 5 };
	static uint32_t ix[] = { 0, 0, 0, 1, 1 };
	static float vx[] = { 1, 2, 1, 3, 1 };
	rl_csr X = { 4, 2, ip, ix, vx };
	float T[8] = { 1, 0, 1, 0, 0, 1, 0, 1 };
	float w[4] = { 1, 1, 1, 1 };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.threads = 1;
	double pool[6], part[6], want[6] = { 0 }, z[2];
	static const rl_classifier parts[] = {
		RL_CLASSIFIER_LOGREG, RL_CLASSIFIER_NB, RL_CLASSIFIER_CNB
	};
	for (int k = 0; k < 3; k++) {
		o.model = parts[k];
		ck_assert_int_eq(rl_train_classifier(&o, &X, T, w, 2, part),
				 RL_OK);
		/* Four rows (under 4,096: all of them), two labels: the
		 * distance of each logit from the row's mean is half the
		 * gap between the two. */
		double s = 0;
		for (uint32_t i = 0; i < 4; i++) {
			rl_linear_logits(&X, i, part, 2, z);
			s += fabs(z[0] - z[1]) / 2;
		}
		s /= 4;
		ck_assert(s > 0);
		for (int j = 0; j < 6; j++)
			want[j] += part[j] / s;
	}
	o.model = RL_CLASSIFIER_POOL;
	ck_assert_int_eq(rl_train_classifier(&o, &X, T, w, 2, pool), RL_OK);
	for (int j = 0; j < 6; j++)
		ck_assert_double_eq_tol(pool[j], want[j], 1e-9);
	/* And it decides as the three agree. */
	double p[2];
	rl_logreg_predict(&X, 0, pool, 2, p);
	ck_assert(p[0] > p[1]);
	rl_logreg_predict(&X, 3, pool, 2, p);
	ck_assert(p[1] > p[0]);
	ck_assert_str_eq(rl_classifier_name(RL_CLASSIFIER_POOL), "pool");
}
END_TEST

START_TEST(temperature)
{
	double p[3] = { 0.7, 0.2, 0.1 }, q[3];
	memcpy(q, p, sizeof p);
	rl_temper(q, 3, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_double_eq_tol(q[i], p[i], 1e-12);
	/* t = 2: softmax(log p / 2) = sqrt(p) / sum sqrt(p). */
	rl_temper(q, 3, 2);
	double s = sqrt(0.7) + sqrt(0.2) + sqrt(0.1);
	ck_assert_double_eq_tol(q[0], sqrt(0.7) / s, 1e-12);
	ck_assert(q[0] < p[0]);
}
END_TEST

START_TEST(nb_by_hand)
{
	rl_csr X = { 4, 2, indptr, idx, val };
	float T[8] = { 1, 0, 1, 0, 0, 1, 0, 1 };
	float w[4] = { 1, 1, 1, 1 };
	double theta[6];
	ck_assert_int_eq(rl_nb_train(&X, T, w, 2, 1.0, theta), RL_OK);
	/* class 0: feature 0 seen twice, feature 1 never: (2+1)/(2+2) */
	ck_assert_double_eq_tol(theta[0 * 2 + 0], log(3.0 / 4), 1e-12);
	ck_assert_double_eq_tol(theta[1 * 2 + 0], log(1.0 / 4), 1e-12);
	ck_assert_double_eq_tol(theta[2 * 2 + 0], log(3.0 / 6), 1e-12);
	double p[2];
	rl_logreg_predict(&X, 0, theta, 2, p);
	ck_assert_double_eq_tol(p[0], 0.75, 1e-9);
}
END_TEST

/* The sample of a path 0 - 1 - ... - 9 with a hand label on row 0, at a
 * cap of 5: row 0, then half the room left (2 rows) to its neighbourhood,
 * hop by hop (rows 1, 2), then a draw of the rest; the same every time.
 * The subset of rows 0, 1, 2, 5 keeps the edges among them, the hits and
 * hand labels of its rows, in order. */
START_TEST(cv_sample_by_hand)
{
	enum { N = 10, K = 2 };
	int32_t nbr[N * K];
	float sim[N * K];
	for (int i = 0; i < N; i++) {
		nbr[i * K] = i > 0 ? i - 1 : -1;
		nbr[i * K + 1] = i < N - 1 ? i + 1 : -1;
		sim[i * K] = sim[i * K + 1] = 1;
	}
	int64_t ids[N], label_ids[2] = { 1, 2 }, rule_ids[2] = { 7, 8 };
	char *names[2] = { "price", "shipping" };
	int32_t seed[N], cseed[N];
	uint64_t hit_ptr[N + 1] = { 0 };
	uint32_t hit_rule[2] = { 0, 1 }, rule_label[2] = { 0, 1 };
	uint8_t negate[2] = { 0, 0 };
	double weight[2] = { 1, 1 };
	for (int i = 0; i < N; i++) {
		ids[i] = 100 + i;
		seed[i] = cseed[i] = -1;
		/* a hit of rule 0 on row 1, of rule 1 on row 5 */
		hit_ptr[i + 1] = hit_ptr[i] + (i == 1 || i == 5);
	}
	seed[0] = 0;
	rl_evidence ev = { .n = N, .L = 2, .k = K, .review_ids = ids,
			   .label_ids = label_ids, .label_names = names,
			   .seed = seed, .n_seeds = 1, .cseed = cseed,
			   .n_rules = 2, .rule_ids = rule_ids,
			   .rule_label = rule_label, .rule_negate = negate,
			   .rule_weight = weight, .hit_ptr = hit_ptr,
			   .hit_rule = hit_rule };
	ck_assert_int_eq(rl_graph_normalize(N, K, nbr, sim, &ev.S), RL_OK);
	uint8_t keep[N], again[N];
	uint32_t kept = 0, kept2 = 0;
	ck_assert_int_eq(rl_cv_sample(&ev, 0, 1, keep, &kept), RL_OK);
	ck_assert_uint_eq(kept, N);
	ck_assert_int_eq(rl_cv_sample(&ev, N, 1, keep, &kept), RL_OK);
	ck_assert_uint_eq(kept, N);
	ck_assert_int_eq(rl_cv_sample(&ev, 5, 1, keep, &kept), RL_OK);
	ck_assert(keep[0] && keep[1] && keep[2]);
	uint32_t count = 0;
	for (int i = 0; i < N; i++)
		count += keep[i];
	ck_assert_uint_eq(count, kept);
	ck_assert_uint_ge(kept, 3);
	ck_assert_int_eq(rl_cv_sample(&ev, 5, 1, again, &kept2), RL_OK);
	ck_assert_uint_eq(kept2, kept);
	ck_assert_mem_eq(keep, again, N);

	memset(keep, 0, N);
	keep[0] = keep[1] = keep[2] = keep[5] = 1;
	rl_evidence sub;
	ck_assert_int_eq(rl_evidence_subset(&ev, keep, &sub), RL_OK);
	ck_assert_uint_eq(sub.n, 4);
	ck_assert_uint_eq(sub.n_seeds, 1);
	ck_assert_int_eq(sub.seed[0], 0);
	ck_assert_int_eq(sub.seed[3], -1);
	ck_assert_int_eq(sub.review_ids[3], 105);
	ck_assert_str_eq(sub.label_names[1], "shipping");
	ck_assert_int_eq(sub.rule_ids[1], 8);
	/* edges 0-1, 1-2 stay, with their weights; 2-3 and 5's go */
	const uint64_t want_ptr[5] = { 0, 1, 3, 4, 4 };
	const uint32_t want_to[4] = { 1, 0, 2, 1 };
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(sub.S.indptr[i], want_ptr[i]);
	for (int e = 0; e < 4; e++)
		ck_assert_uint_eq(sub.S.to[e], want_to[e]);
	ck_assert_double_eq(sub.S.w[0], ev.S.w[ev.S.indptr[0]]);
	ck_assert_double_eq(sub.S.w[2], ev.S.w[ev.S.indptr[1] + 1]);
	const uint64_t want_hits[5] = { 0, 0, 1, 1, 2 };
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(sub.hit_ptr[i], want_hits[i]);
	ck_assert_uint_eq(sub.hit_rule[0], 0);
	ck_assert_uint_eq(sub.hit_rule[1], 1);
	rl_evidence_free(&sub);
	rl_sgraph_free(&ev.S);
}
END_TEST

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
		"a4\tlow price cheap deal\n"
		"b1\tfast shipping quick delivery\n"
		"b2\tquick delivery fast courier\n"
		"b3\tcourier shipping fast\n"
		"b4\tdelivery was quick shipping\n"
		"m1\tcheap price, fast shipping\n", 0), NULL, NULL), RL_OK);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 3;
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	const char *seeds[] = { "a1", "a2", "a3", "b1", "b2", "b3" };
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(rl_seed_set(db, seeds[i], i < 3 ? "price"
							      : "shipping"),
				 RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"price\tcheap\nshipping\tdelivery\n", 0), &ro, NULL), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "quality"), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

START_TEST(eval_changes_nothing)
{
	ck_assert_int_eq(rl_propagate(db, NULL, NULL), RL_OK);
	/* Everything but the record of what ran must stay; that record
	 * gains one eval (and its run) per saved evaluation. */
	char *before = tu_digest_data(db_path);
	rl_eval_report *r;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	ck_assert_uint_eq(r->folds, 3);
	ck_assert(r->temperature >= 0.01 && r->temperature <= 100);
	ck_assert_uint_eq(r->seeds, 6);
	ck_assert_uint_eq(r->n_labels, 3);
	/* This corpus is easy: propagation gets every held-out seed, and a
	 * declared label without seeds does not drag macro-F1 down. */
	ck_assert_double_eq_tol(r->methods[RL_METHOD_PROPAGATION].accuracy,
				1, 1e-12);
	ck_assert_double_eq_tol(r->methods[RL_METHOD_PROPAGATION].macro_f1,
				1, 1e-12);
	/* All right: the calibration error is 1 - mean confidence. */
	ck_assert(r->methods[RL_METHOD_PROPAGATION].ece >= 0 &&
		  r->methods[RL_METHOD_PROPAGATION].ece < 0.5);
	ck_assert(r->methods[RL_METHOD_RULES].coverage < 1);
	uint64_t total = 0;
	for (int i = 0; i < 9; i++)
		total += r->methods[RL_METHOD_MODEL].confusion[i];
	ck_assert_uint_eq(total, 6);
	rl_eval_report_free(r);
	rl_eval_report_free(NULL);
	/* A learning-curve point: train on one seed per label; every
	 * held-out seed is still scored. */
	o.max_per_label = 1;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	total = 0;
	for (int i = 0; i < 9; i++)
		total += r->methods[RL_METHOD_PROPAGATION].confusion[i];
	ck_assert_uint_eq(total, 6);
	rl_eval_report_free(r);
	o.max_per_label = 0;
	/* Naive Bayes in place of logistic regression, set by name. */
	ck_assert_int_eq(rl_eval_opts_set(&o, "model=nb"), RL_OK);
	ck_assert_int_eq(rl_eval_opts_set(&o, "smoothing=0.5"), RL_OK);
	ck_assert_int_eq(rl_eval_opts_set(&o, "nosuch=1"), RL_EINVAL);
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	ck_assert(r->methods[RL_METHOD_MODEL].coverage > 0.99);
	rl_eval_report_free(r);
	ck_assert_int_eq(o.model, RL_CLASSIFIER_NB);
	ck_assert_int_eq(rl_eval_opts_set(&o, "model=svm"), RL_EINVAL);
	ck_assert_int_eq(o.model, RL_CLASSIFIER_NB);
	o.model = (rl_classifier)9;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_EINVAL);
	ck_assert_ptr_null(r);
	o.model = RL_CLASSIFIER_LOGREG;
	char *after = tu_digest_data(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM evals"), 3);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM runs WHERE "
				"stage = 'eval' AND status = 'ok'"), 3);
	ck_assert_int_eq(tu_int(db_path, "SELECT json_extract(result, "
				"'$.model') = 'nb' FROM evals ORDER BY id "
				"DESC LIMIT 1"), 1);
	/* save off: nothing recorded at all. */
	before = tu_digest(db_path);
	o.save = 0;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	ck_assert_int_eq(r->id, 0);
	rl_eval_report_free(r);
	after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	o.save = 1;
	/* Too few seeds for folds is a clear error. */
	ck_assert_int_eq(rl_seed_unset(db, "a2"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "a3"), RL_OK);
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "too few"));
}
END_TEST

/* The stored report is the JSON eval --json prints, with what the
 * report draws: confusion, reliability bins, learning curve. */
/* The choice: the top method, its standard error, and the first method
 * (model, blend, propagation, rules) within it. */
START_TEST(one_standard_error_rule)
{
	ck_assert_double_eq_tol(rl_eval_se(0.8, 100), 0.04, 1e-12);
	ck_assert_double_eq(rl_eval_se(1, 10), 0);
	ck_assert_double_eq(rl_eval_se(0.5, 0), 0);
	rl_eval_report *r;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	const rl_method_score *m = r->methods;
	/* (the top of the candidates: a baseline may score higher) */
	for (int i = 0; i < RL_METHOD_CANDIDATES; i++)
		ck_assert_double_le(m[i].macro_f1, m[r->top].macro_f1);
	ck_assert_double_eq_tol(r->se, rl_eval_se(m[r->top].accuracy,
						  r->seeds), 1e-12);
	ck_assert_double_ge(m[r->best].macro_f1,
			    m[r->top].macro_f1 - r->se - 1e-9);
	const rl_method pref[] = { RL_METHOD_MODEL, RL_METHOD_BLEND,
				   RL_METHOD_PROPAGATION, RL_METHOD_RULES };
	for (int q = 0; pref[q] != r->best; q++)
		ck_assert_double_lt(m[pref[q]].macro_f1,
				    m[r->top].macro_f1 - r->se);
	char *json = NULL;
	ck_assert_int_eq(rl_eval_report_json(r, &json), RL_OK);
	char want[64];
	snprintf(want, sizeof want, "\"top\":\"%s\",\"se\":",
		 rl_method_name(r->top));
	ck_assert_ptr_nonnull(strstr(json, want));
	free(json);
	rl_eval_report_free(r);
}
END_TEST

/* A propagation option propagation does not know is refused by every
 * stage that propagates, and changes nothing. */
/* Cross-validation on a sample: at a cap the corpus fits in, the same
 * report as on the whole corpus; below it, every hand label is still
 * there, in the same folds. */
START_TEST(eval_on_a_sample)
{
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	o.save = 0;
	rl_eval_report *all = NULL, *fit = NULL, *part = NULL;
	ck_assert_int_eq(rl_eval_sampled(db, &o, 0, &all), RL_OK);
	ck_assert_int_eq(rl_eval_sampled(db, &o, 9, &fit), RL_OK);
	ck_assert_int_eq(rl_eval_sampled(db, &o, 7, &part), RL_OK);
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		ck_assert_double_eq(all->methods[m].macro_f1,
				    fit->methods[m].macro_f1);
	ck_assert_uint_eq(part->seeds, 6);
	ck_assert_uint_eq(part->folds, 3);
	ck_assert_uint_eq(all->reviews, 9);
	ck_assert_uint_eq(all->sampled, 9);
	ck_assert_uint_eq(part->reviews, 9);
	ck_assert_uint_ge(part->sampled, 6);
	ck_assert_uint_lt(part->sampled, 9);
	uint64_t total = 0;
	for (int i = 0; i < 9; i++)
		total += part->methods[RL_METHOD_PROPAGATION].confusion[i];
	ck_assert_uint_eq(total, 6);
	rl_eval_report_free(all);
	rl_eval_report_free(fit);
	rl_eval_report_free(part);
}
END_TEST

START_TEST(bad_propagation_option)
{
	char *before = tu_digest(db_path);
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.prop.class_prior = (rl_prior)7;
	rl_eval_report *r = NULL;
	uint64_t n;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(rl_db_errmsg(db), "class_prior is seeds, uniform, "
			 "none or auto, not 7");
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_BLEND, &o, &n), RL_EINVAL);
	o.prop.class_prior = RL_PRIOR_AUTO;
	o.prop.rule_vote = (rl_vote)-1;
	ck_assert_int_eq(rl_train(db, &o), RL_EINVAL);
	ck_assert_str_eq(rl_db_errmsg(db), "rule_vote is weighted or majority, "
			 "not -1");
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(eval_saved_as_json)
{
	rl_eval_report *r;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	o.curve = 1;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	ck_assert_int_gt(r->id, 0);
	ck_assert_uint_gt(r->n_curve, 0);
	ck_assert_uint_eq(r->curve[0].per_label, 1);
	char *json = NULL;
	ck_assert_int_eq(rl_eval_report_json(r, &json), RL_OK);
	char *stored = tu_text(db_path, "SELECT result FROM evals");
	ck_assert_str_eq(json, stored);
	free(stored);
	free(json);
	/* Bins add up to the answered held-out seeds; their ECE is the
	 * report's. */
	const rl_method_score *s = &r->methods[RL_METHOD_PROPAGATION];
	uint64_t answered = 0;
	double ece = 0;
	for (int b = 0; b < RL_CALIB_BINS; b++)
		answered += s->bins[b].n;
	for (int b = 0; b < RL_CALIB_BINS; b++)
		ece += (double)s->bins[b].n / (double)answered *
		       fabs(s->bins[b].confidence - s->bins[b].accuracy);
	ck_assert_uint_eq(answered, 6);
	ck_assert_double_eq_tol(ece, s->ece, 1e-12);
	ck_assert_int_eq(tu_int(db_path, "SELECT json_array_length(result, "
				"'$.curve') FROM evals"), (long long)r->n_curve);
	ck_assert_int_eq(tu_int(db_path, "SELECT json_extract(result, "
				"'$.methods.model.confusion[0][0]') + "
				"json_extract(result, '$.methods.model."
				"confusion[1][1]') FROM evals"),
			 (long long)(r->methods[RL_METHOD_MODEL].confusion[0] +
				     r->methods[RL_METHOD_MODEL].confusion[4]));
	ck_assert_int_eq(tu_int(db_path, "SELECT sum(json_extract(value, "
				"'$.n')) FROM evals, json_each(result, "
				"'$.methods.rules.reliability')"),
			 (long long)(6 - (uint64_t)(0.5 + 6 * (1 -
				     r->methods[RL_METHOD_RULES].coverage))));
	rl_eval_report_free(r);
	/* A save failing at any step (begin, run, eval row, run finish,
	 * commit) leaves neither eval nor run behind. */
	o.curve = 0;
	o.save = 0;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	char *before = tu_digest(db_path);
	for (int n = 1; n <= 5; n++) {
		rl_store_fail_step(db, n);
		ck_assert_int_eq(rl_eval_save(db, r), RL_EDB);
		rl_store_fail_step(db, 0);
		ck_assert_int_eq(r->id, 0);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	ck_assert_int_eq(rl_eval_save(db, r), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM evals"), 2);
	rl_eval_report_free(r);
}
END_TEST

/* What the majority baseline predicted for the hand label of review
 * `ext` (a label name, or "-" for an abstention) in an out-of-fold
 * evaluation. */
static const char *oof_majority(const rl_oof *oof, const char *ext)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id FROM reviews WHERE ext_id = '%s'",
		 ext);
	int64_t id = tu_int(db_path, sql);
	for (uint32_t i = 0; i < oof->ev.n; i++)
		if (oof->ev.review_ids[i] == id) {
			int l = rl_argmax(oof->P[RL_METHOD_MAJORITY] +
					  (size_t)i * oof->ev.L, oof->ev.L);
			return l < 0 ? "-" : oof->ev.label_names[l];
		}
	return "?";
}

/* The baselines in a stored evaluation, against counts by hand. Rules
 * cheap (price) and delivery (shipping): the held-out a1-a3 say cheap,
 * b1 and b2 delivery, b3 neither; five right and one abstention. A rule
 * `shipping price` ties a1 and a2, which then abstain. The seeds-only
 * baseline reads no rule: its scores stay as they were. */
START_TEST(baselines_by_hand)
{
	static const char *const ext[6] = { "a1", "a2", "a3", "b1", "b2",
					    "b3" };
	static const char *const want1[6] = { "price", "price", "price",
					      "shipping", "shipping", "-" };
	static const char *const want2[6] = { "-", "-", "price", "shipping",
					      "shipping", "-" };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	rl_eval_report *r = NULL, *r2 = NULL;
	rl_oof oof, oof2;
	ck_assert_int_eq(rl_eval_oof(db, &o, &r, &oof), RL_OK);
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(oof_majority(&oof, ext[i]), want1[i]);
	const rl_method_score *m = &r->methods[RL_METHOD_MAJORITY];
	ck_assert_double_eq_tol(m->coverage, 5.0 / 6, 1e-12);
	ck_assert_double_eq_tol(m->accuracy, 5.0 / 6, 1e-12);
	/* price: F1 1; shipping: P 1, R 2/3, F1 0.8; quality has no hand
	 * labels and is not averaged */
	ck_assert_double_eq_tol(m->macro_f1, 0.9, 1e-12);
	ck_assert_int_lt(r->best, RL_METHOD_CANDIDATES);
	ck_assert_int_lt(r->top, RL_METHOD_CANDIDATES);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r2.txt",
		"price\tcheap\nshipping\tdelivery\nshipping\tprice\n", 0),
		&ro, NULL), RL_OK);
	ck_assert_int_eq(rl_eval_oof(db, &o, &r2, &oof2), RL_OK);
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(oof_majority(&oof2, ext[i]), want2[i]);
	ck_assert_double_eq_tol(r2->methods[RL_METHOD_MAJORITY].coverage,
				0.5, 1e-12);
	const rl_method_score *s1 = &r->methods[RL_METHOD_SEEDS];
	const rl_method_score *s2 = &r2->methods[RL_METHOD_SEEDS];
	ck_assert_double_eq(s1->macro_f1, s2->macro_f1);
	ck_assert_mem_eq(s1->confusion, s2->confusion,
			 9 * sizeof *s1->confusion);
	ck_assert_mem_eq(oof.P[RL_METHOD_SEEDS], oof2.P[RL_METHOD_SEEDS],
			 (size_t)oof.ev.n * oof.ev.L * sizeof(double));
	rl_oof_free(&oof);
	rl_oof_free(&oof2);
	rl_eval_report_free(r);
	rl_eval_report_free(r2);
}
END_TEST

/* Where the model and propagation agree, the blend agrees with both;
 * where they do not, it takes one of their two labels. */
START_TEST(label_with_each_method)
{
	uint64_t n;
	const char *src[] = { "rule", "propagation", "model", "blend" };
	for (int m = 0; m < RL_METHOD_CANDIDATES; m++) {
		ck_assert_int_eq(rl_label_with(db, (rl_method)m, NULL, &n),
				 RL_OK);
		ck_assert_uint_gt(n, 6);
		char sql[200];
		/* A blend's label comes from the model or propagation,
		 * whichever was surer of it, and says it was blended. */
		snprintf(sql, sizeof sql, "SELECT count(*) FROM assignments "
			 "WHERE %s", m == RL_METHOD_BLEND
			 ? "source IN ('model', 'propagation') AND "
			   "json_extract(evidence, '$.blend')" : "source = ");
		if (m != RL_METHOD_BLEND)
			snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
				 "'%s'", src[m]);
		ck_assert_int_gt(tu_int(db_path, sql), 0);
		ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
					"assignments WHERE source = 'seed'"),
				 6);
		ck_assert_str_eq(rl_method_name((rl_method)m), m == 0 ? "rules"
				 : src[m]);
	}
	/* The blend stored the model's own predictions, not the blend's. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM predictions "
				"WHERE model_id = (SELECT max(id) FROM "
				"models)"),
			 9);
	/* b4 is no seed; the model trained on propagated labels calls it
	 * shipping. */
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT l.name = 'shipping' FROM "
				"assignments a JOIN reviews r ON r.id = "
				"a.review_id JOIN labels l ON l.id = "
				"a.label_id WHERE r.ext_id = 'b4'"), 1);
	ck_assert_int_eq(rl_label_with(db, (rl_method)7, NULL, &n),
			 RL_EINVAL);
	/* The baselines are for comparison: refused, nothing changed. */
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MAJORITY, NULL, &n),
			 RL_EINVAL);
	ck_assert_str_eq(rl_db_errmsg(db), "majority is a baseline that eval "
			 "scores for comparison, not a way to label");
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_SEEDS, NULL, &n),
			 RL_EINVAL);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "seeds-only is a "
				     "baseline"));
	ck_assert_uint_eq(n, 0);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* A new labelling replaces the last whole: no model labels stay. */
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_PROPAGATION, NULL, &n),
			 RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM assignments "
				"WHERE source = 'model'"), 0);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM assignments "
				"GROUP BY review_id ORDER BY 1 DESC LIMIT 1"),
			 1);
}
END_TEST

typedef struct heard {
	int train, write, eval_calls;
	uint64_t last_train, train_total;
} heard;

static int on_progress(void *ctx, const char *stage, uint64_t done,
		       uint64_t total)
{
	heard *h = ctx;
	if (!strcmp(stage, "train")) {
		ck_assert_uint_gt(done, h->last_train);
		h->last_train = done;
		h->train_total = total;
		h->train++;
	} else if (!strcmp(stage, "write")) {
		ck_assert_uint_lt(done, total);
		h->write++;
	}
	return 0;
}

START_TEST(training_reports_progress)
{
	/* rl_train says how training and writing go, iteration by
	 * iteration; rl_eval, whose folds train many small models, stays
	 * silent. */
	heard h = { 0 };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.model = RL_CLASSIFIER_LOGREG;
	o.progress = on_progress;
	o.ctx = &h;
	ck_assert_int_eq(rl_train(db, &o), RL_OK);
	ck_assert_int_gt(h.train, 0);
	/* Trained twice (self-training), heard as one count of twice the
	 * iterations that only grows. */
	ck_assert_uint_eq(h.train_total, 2 * (uint64_t)o.max_iter);
	ck_assert_uint_gt(h.last_train, (uint64_t)o.max_iter);
	ck_assert_int_gt(h.write, 0);
	heard once = { 0 };
	o.ctx = &once;
	o.self_train = 0;
	ck_assert_int_eq(rl_train(db, &o), RL_OK);
	ck_assert_uint_eq(once.train_total, (uint64_t)o.max_iter);
	ck_assert_uint_le(once.last_train, (uint64_t)o.max_iter);
	o.self_train = 0.5;
	heard quiet = { 0 };
	o.ctx = &quiet;
	rl_eval_report *r = NULL;
	o.folds = 2;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	rl_eval_report_free(r);
	ck_assert_int_eq(quiet.train + quiet.write, 0);
}
END_TEST

typedef struct preds {
	int n;
	char first_label[32];
	double conf;
} preds;

static int on_pred(void *ctx, const rl_prediction *p)
{
	preds *ps = ctx;
	if (ps->n++ == 0) {
		snprintf(ps->first_label, sizeof ps->first_label, "%s",
			 p->labels[0]);
		ps->conf = p->confidence[0];
	}
	ck_assert_int_eq(p->n, 2);
	ck_assert(p->confidence[0] >= p->confidence[1]);
	return 0;
}

START_TEST(predict_new_reviews)
{
	preds ps = { 0 };
	uint64_t n;
	const char *f = tu_write("new.jsonl",
		"{\"id\":\"n1\",\"text\":\"Such a cheap price!\"}\n"
		"{\"id\":\"n2\",\"text\":\"Quick delivery, unknownword\"}\n"
		"{\"id\":\"n3\",\"text\":\"zzzz qqqq\"}\n",
		0);
	ck_assert_int_eq(rl_predict_file(db, f, NULL, 0, 2, on_pred, &ps, &n),
			 RL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "no model"));
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_predict_file(db, f, NULL, 0, 2, on_pred, &ps, &n),
			 RL_OK);
	ck_assert_uint_eq(n, 3);	/* n3 has no known word: still a row */
	ck_assert_str_eq(ps.first_label, "price");
	ck_assert(ps.conf > 0.5);
	/* A bad file: an error naming file and line, no prediction made,
	 * the store untouched. */
	ps.n = 0;
	const char *bad = tu_write("bad.jsonl",
		"{\"id\":\"n1\",\"text\":\"fine\"}\n{\"id\":\"n2\"}\n", 0);
	ck_assert_int_eq(rl_predict_file(db, bad, NULL, 0, 2, on_pred, &ps,
					 &n), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "bad.jsonl:2:"));
	ck_assert_int_eq(ps.n, 0);
	ck_assert_int_eq(rl_predict_file(db, f, NULL, 99, 2, on_pred, &ps,
					 &n), RL_ENOTFOUND);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* Stratified folds: each label's hand labels split evenly, the same for
 * the same seed, and a row keeps its fold when unlabelled rows come. */
START_TEST(folds_stratified)
{
	/* labels 0 (4 rows), 1 (4), 2 (2), and unlabelled rows */
	const int32_t seed[14] = { 0, 1, -1, 0, 2, 1, 0, -1, 1, 2, 0, 1,
				   -1, -1 };
	int64_t ids[14];
	for (int i = 0; i < 14; i++)
		ids[i] = 10 + 3 * i;
	uint32_t k = 0, least = 0;
	ck_assert_int_eq(rl_cv_fold_count(12, 3, seed, 5, &k, &least), RL_OK);
	ck_assert_uint_eq(k, 2);
	ck_assert_uint_eq(least, 2);
	ck_assert_int_eq(rl_cv_fold_count(12, 3, seed, 1, &k, &least), RL_OK);
	ck_assert_uint_eq(k, 2);
	uint32_t fold[14], fold2[14], order[14], n_order = 0;
	ck_assert_int_eq(rl_cv_folds(12, 3, seed, ids, 2, 7, fold, order,
				     &n_order), RL_OK);
	ck_assert_uint_eq(n_order, 10);
	uint32_t per[3][2] = { { 0 } };
	for (uint32_t a = 0; a < n_order; a++) {
		ck_assert_int_ge(seed[order[a]], 0);
		per[seed[order[a]]][fold[order[a]]]++;
	}
	ck_assert_uint_eq(per[0][0], 2);
	ck_assert_uint_eq(per[0][1], 2);
	ck_assert_uint_eq(per[1][0], 2);
	ck_assert_uint_eq(per[1][1], 2);
	ck_assert_uint_eq(per[2][0], 1);
	ck_assert_uint_eq(per[2][1], 1);
	/* The same seed, the same folds, with more unlabelled rows too. */
	ck_assert_int_eq(rl_cv_folds(14, 3, seed, ids, 2, 7, fold2, order,
				     &n_order), RL_OK);
	for (int i = 0; i < 12; i++)
		if (seed[i] >= 0)
			ck_assert_uint_eq(fold2[i], fold[i]);
	/* Another seed deals them otherwise. */
	int differ = 0;
	for (uint64_t rs = 8; rs < 16 && !differ; rs++) {
		ck_assert_int_eq(rl_cv_folds(12, 3, seed, ids, 2, rs, fold2,
					     order, &n_order), RL_OK);
		for (int i = 0; i < 12; i++)
			differ |= seed[i] >= 0 && fold2[i] != fold[i];
	}
	ck_assert(differ);
	/* Too few: one label alone, or a label with one hand label. */
	const int32_t one[4] = { 0, 0, 0, -1 }, thin[4] = { 0, 0, 1, -1 };
	ck_assert_int_eq(rl_cv_fold_count(4, 2, one, 5, &k, &least),
			 RL_EEMPTY);
	ck_assert_int_eq(rl_cv_fold_count(4, 2, thin, 5, &k, &least),
			 RL_EEMPTY);
	ck_assert_uint_eq(least, 1);
}
END_TEST

/* The one-standard-error rule on scores by hand: the first candidate
 * within the top's standard error (only the top's counts). */
START_TEST(one_se_by_hand)
{
	const double f1[3] = { 0.70, 0.80, 0.78 }, se1[3] = { 0.05, 0.05,
							       0.05 };
	ck_assert_uint_eq(rl_one_se(f1, se1, 3), 1);
	const double f2[3] = { 0.77, 0.80, 0.50 };
	ck_assert_uint_eq(rl_one_se(f2, se1, 3), 0);
	const double f3[2] = { 0.8, 0.8 }, se3[2] = { 0, 0 };
	ck_assert_uint_eq(rl_one_se(f3, se3, 2), 0);
	const double f4[3] = { 0.6, 0.9, 0.85 }, se4[3] = { 0.5, 0.01, 0.5 };
	ck_assert_uint_eq(rl_one_se(f4, se4, 3), 1);
	ck_assert_uint_eq(rl_one_se(f4, se4, 1), 0);
}
END_TEST

/* Reliability bins and the temperature, by hand. */
START_TEST(calibration_by_hand)
{
	rl_calib c;
	rl_calib_bin bins[RL_CALIB_BINS];
	memset(&c, 0, sizeof c);
	rl_calib_add(&c, 0.95, 1);
	rl_calib_add(&c, 1.0, 1);
	rl_calib_add(&c, 0.55, 0);
	double ece = rl_calib_finish(&c, bins);
	/* bin 5: 0.55 and never right; bin 9: 0.975 and always right */
	ck_assert_double_eq_tol(ece, 0.55 / 3 + 2 * 0.025 / 3, 1e-12);
	ck_assert_uint_eq(bins[9].n, 2);
	ck_assert_double_eq_tol(bins[9].confidence, 0.975, 1e-12);
	ck_assert_double_eq(bins[9].accuracy, 1);
	ck_assert_uint_eq(bins[5].n, 1);
	ck_assert_uint_eq(bins[0].n, 0);
	ck_assert_double_eq(bins[0].confidence, 0);
	/* 0.9 sure and right 3 times in 4: the temperature that makes it
	 * 0.75 sure, 1 / (1 + (1/9)^(1/t)) = 3/4, is 2. */
	const double P[8] = { 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1 };
	const uint32_t gold[4] = { 0, 0, 0, 1 };
	double tmp[2];
	ck_assert_double_eq_tol(rl_fit_temperature(P, gold, 4, 2, tmp), 2,
				1e-6);
}
END_TEST

/* Cross-validation alone, on arrays: two cliques of four reviews, each
 * clique one label, every review hand-labelled, one feature per clique.
 * Propagation and the model get every held-out review right; rules,
 * with none, abstain; the choice is the blend, the first of the ties,
 * though the seeds-only baseline ties too. */
START_TEST(cv_by_hand)
{
	int32_t nbr[8 * 3], seed[8], cseed[8];
	float sim[8 * 3];
	int64_t ids[8], label_ids[2] = { 1, 2 };
	char n0[] = "a", n1[] = "b";
	char *names[2] = { n0, n1 };
	uint64_t hit_ptr[9] = { 0 };
	for (int i = 0; i < 8; i++) {
		for (int j = 0, at = 0; j < 4; j++)
			if ((i / 4) * 4 + j != i) {
				nbr[i * 3 + at] = (i / 4) * 4 + j;
				sim[i * 3 + at++] = 1;
			}
		seed[i] = i / 4;
		cseed[i] = -1;
		ids[i] = i + 1;
	}
	rl_evidence ev = { .n = 8, .L = 2, .k = 3, .review_ids = ids,
			   .label_ids = label_ids, .label_names = names,
			   .seed = seed, .n_seeds = 8, .cseed = cseed,
			   .hit_ptr = hit_ptr };
	ck_assert_int_eq(rl_graph_normalize(8, 3, nbr, sim, &ev.S), RL_OK);
	uint64_t indptr[9];
	uint32_t indices[8];
	float values[8];
	for (int i = 0; i < 8; i++) {
		indptr[i] = (uint64_t)i;
		indices[i] = (uint32_t)(i / 4);
		values[i] = 1;
	}
	indptr[8] = 8;
	rl_csr X = { 8, 2, indptr, indices, values };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	o.prop.class_prior = RL_PRIOR_SEEDS;
	double *oof[RL_METHOD_COUNT];
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		oof[m] = calloc(16, sizeof *oof[m]);
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_cv(&ev, &X, &o, &r, oof), RL_OK);
	ck_assert_uint_eq(r->folds, 2);
	ck_assert_uint_eq(r->seeds, 8);
	ck_assert_uint_eq(r->min_per_label, 4);
	ck_assert_int_eq(r->model, RL_CLASSIFIER_LOGREG);
	ck_assert_str_eq(r->labels[1], "b");
	ck_assert_double_eq(r->methods[RL_METHOD_RULES].coverage, 0);
	ck_assert_double_eq(r->methods[RL_METHOD_PROPAGATION].macro_f1, 1);
	ck_assert_double_eq(r->methods[RL_METHOD_MODEL].macro_f1, 1);
	ck_assert_double_eq(r->methods[RL_METHOD_BLEND].macro_f1, 1);
	ck_assert_int_eq(r->top, RL_METHOD_PROPAGATION);
	ck_assert_int_eq(r->best, RL_METHOD_MODEL);
	/* The baselines: no rules, no votes; the feature alone is enough
	 * for the classifier on the hand labels. */
	ck_assert_double_eq(r->methods[RL_METHOD_MAJORITY].coverage, 0);
	ck_assert_double_eq(r->methods[RL_METHOD_SEEDS].macro_f1, 1);
	for (int i = 0; i < 8; i++) {
		const double *p = oof[RL_METHOD_PROPAGATION] + 2 * i;
		ck_assert_int_eq(rl_argmax(p, 2), i / 4);
		ck_assert_int_eq(rl_argmax(oof[RL_METHOD_RULES] + 2 * i, 2),
				 -1);
		ck_assert_int_eq(rl_argmax(oof[RL_METHOD_MAJORITY] + 2 * i,
					   2), -1);
		ck_assert_int_eq(rl_argmax(oof[RL_METHOD_SEEDS] + 2 * i, 2),
				 i / 4);
	}
	rl_eval_report_free(r);
	/* Without hand labels for b there is nothing to cross-validate. */
	for (int i = 4; i < 8; i++)
		seed[i] = -1;
	ev.n_seeds = 4;
	ck_assert_int_eq(rl_cv(&ev, &X, &o, &r, NULL), RL_EEMPTY);
	ck_assert_ptr_null(r);
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		free(oof[m]);
	rl_sgraph_free(&ev.S);
}
END_TEST

/* The majority baseline by hand, three labels: rules 0 and 4 vote a, 1
 * votes b, 2 is `!a` (half a vote each to b and c), 3 votes c. Rule 4's
 * weight of 5 counts for nothing. */
START_TEST(majority_by_hand)
{
	uint32_t rule_label[5] = { 0, 1, 0, 2, 0 };
	uint8_t rule_negate[5] = { 0, 0, 1, 0, 0 };
	double rule_weight[5] = { 1, 1, 1, 1, 5 };
	/* rows: a; a b (tie); a a b; !a (b c tie); !a b; none; a b c
	 * (tie, though weighted a would win); a !a */
	uint64_t hit_ptr[9] = { 0, 1, 3, 6, 7, 9, 9, 12, 14 };
	uint32_t hit_rule[14] = { 0, 0, 1, 0, 1, 4, 2, 1, 2, 1, 3, 4, 0, 2 };
	int32_t seed[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	rl_evidence ev = { .n = 8, .L = 3, .n_rules = 5, .seed = seed,
			   .rule_label = rule_label, .rule_negate = rule_negate,
			   .rule_weight = rule_weight, .hit_ptr = hit_ptr,
			   .hit_rule = hit_rule };
	const double want[8][3] = {
		{ 1, 0, 0 }, { 0, 0, 0 }, { 2.0 / 3, 1.0 / 3, 0 },
		{ 0, 0, 0 }, { 0, 0.75, 0.25 }, { 0, 0, 0 }, { 0, 0, 0 },
		{ 0.5, 0.25, 0.25 },
	};
	double P[24];
	uint64_t votes[3];
	rl_method_majority(&ev, P, votes);
	for (int i = 0; i < 8; i++)
		for (int l = 0; l < 3; l++)
			ck_assert_double_eq_tol(P[i * 3 + l], want[i][l],
						1e-12);
	ck_assert_int_eq(rl_argmax(P + 3, 3), -1);
	ck_assert_int_eq(rl_argmax(P + 12, 3), 1);
	/* Hand labels change nothing: it learns nothing. */
	double Q[24];
	for (int i = 0; i < 8; i++)
		seed[i] = i % 3;
	rl_method_majority(&ev, Q, votes);
	ck_assert_mem_eq(P, Q, sizeof P);
	ck_assert_str_eq(rl_method_name(RL_METHOD_MAJORITY), "majority");
	ck_assert_str_eq(rl_method_name(RL_METHOD_SEEDS), "seeds-only");
}
END_TEST

/* The choice never falls on a baseline, however high it scores. */
START_TEST(choice_skips_baselines)
{
	rl_eval_report r;
	memset(&r, 0, sizeof r);
	r.seeds = 100;
	const double f1[RL_METHOD_COUNT] = { 0.5, 0.6, 0.7, 0.67, 0.99, 0.98 };
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		r.methods[m].macro_f1 = r.methods[m].accuracy = f1[m];
	rl_eval_choose(&r);
	ck_assert_int_eq(r.top, RL_METHOD_MODEL);
	ck_assert_double_eq_tol(r.se, rl_eval_se(0.7, 100), 1e-12);
	ck_assert_int_eq(r.best, RL_METHOD_MODEL);
	/* The blend on top, the model within one standard error of it:
	 * the model, first in the order. */
	r.methods[RL_METHOD_MODEL].macro_f1 = 0.67;
	r.methods[RL_METHOD_BLEND].macro_f1 = 0.7;
	rl_eval_choose(&r);
	ck_assert_int_eq(r.top, RL_METHOD_BLEND);
	ck_assert_int_eq(r.best, RL_METHOD_MODEL);
	/* Beyond the model's reach, the blend. */
	r.methods[RL_METHOD_MODEL].macro_f1 = 0.6;
	rl_eval_choose(&r);
	ck_assert_int_eq(r.best, RL_METHOD_BLEND);
	ck_assert_int_lt(RL_METHOD_CANDIDATES, RL_METHOD_COUNT);
	ck_assert_int_eq(RL_METHOD_MAJORITY, RL_METHOD_CANDIDATES);
}
END_TEST

/* A toy corpus on arrays: 18 rows in three blocks of six, one block per
 * label; each row's neighbours are two of its block and one of the next
 * (weaker); the first four of each block and row 4 are hand labels
 * (five, four and four), row 5 has a cluster-named label; four rules
 * (a, b, !c, c) with some wrong hits; features: a block column (row 2
 * has the wrong one, rows 1, 7, 13 none) and a column of the row's own. */
typedef struct toy {
	rl_evidence ev;
	int32_t nbr[18 * 3], seed[18], cseed[18];
	float sim[18 * 3];
	int64_t ids[18], label_ids[3], rule_ids[4];
	char *names[3];
	uint32_t rule_label[4];
	uint8_t rule_negate[4];
	double rule_weight[4];
	uint64_t hit_ptr[19];
	uint32_t hit_rule[32];
	uint64_t indptr[19];
	uint32_t indices[36];
	float values[36];
	rl_csr X;
} toy;

static void toy_make(toy *t, int with_rules)
{
	static char a[] = "a", b[] = "b", c[] = "c";
	/* the rules that hit each row, in rule order */
	static const uint8_t hits[18][4] = {
		{ 1, 0, 1, 0 }, { 1, 0, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0, 1 },
		{ 1, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 1, 1, 0 }, { 1, 1, 0, 0 },
		{ 0, 1, 0, 0 }, { 0, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 0, 0 },
		{ 0, 0, 1, 1 }, { 0, 1, 0, 1 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 },
		{ 0, 0, 0, 1 }, { 0, 0, 0, 0 },
	};
	memset(t, 0, sizeof *t);
	t->names[0] = a;
	t->names[1] = b;
	t->names[2] = c;
	uint64_t h = 0, q = 0;
	for (uint32_t i = 0; i < 18; i++) {
		uint32_t blk = i / 6, j = i % 6;
		t->nbr[i * 3] = (int32_t)(blk * 6 + (j + 1) % 6);
		t->nbr[i * 3 + 1] = (int32_t)(blk * 6 + (j + 2) % 6);
		t->nbr[i * 3 + 2] = (int32_t)((i + 6) % 18);
		t->sim[i * 3] = t->sim[i * 3 + 1] = 1;
		t->sim[i * 3 + 2] = 0.3f;
		t->seed[i] = j < 4 || i == 4 ? (int32_t)blk : -1;
		t->cseed[i] = i == 5 ? 0 : -1;
		t->ids[i] = 100 + i;
		t->hit_ptr[i] = h;
		for (uint32_t r = 0; with_rules && r < 4; r++)
			if (hits[i][r])
				t->hit_rule[h++] = r;
		t->indptr[i] = q;
		if (i % 6 != 1) {
			t->indices[q] = i == 2 ? 1 : blk;
			t->values[q++] = 1;
		}
		t->indices[q] = 3 + i;
		t->values[q++] = 0.5f;
	}
	t->hit_ptr[18] = h;
	t->indptr[18] = q;
	for (uint32_t l = 0; l < 3; l++)
		t->label_ids[l] = l + 1;
	const uint32_t rl[4] = { 0, 1, 2, 2 };
	for (uint32_t r = 0; r < 4; r++) {
		t->rule_ids[r] = r + 1;
		t->rule_label[r] = rl[r];
		t->rule_negate[r] = r == 2;
		t->rule_weight[r] = r == 3 ? 2 : 1;
	}
	t->ev = (rl_evidence){
		.n = 18, .L = 3, .k = 3, .review_ids = t->ids,
		.label_ids = t->label_ids, .label_names = t->names,
		.seed = t->seed, .n_seeds = 13, .cseed = t->cseed,
		.n_cseeds = 1, .n_rules = 4, .rule_ids = t->rule_ids,
		.rule_label = t->rule_label, .rule_negate = t->rule_negate,
		.rule_weight = t->rule_weight, .hit_ptr = t->hit_ptr,
		.hit_rule = t->hit_rule,
	};
	ck_assert_int_eq(rl_graph_normalize(18, 3, t->nbr, t->sim, &t->ev.S),
			 RL_OK);
	t->X = (rl_csr){ 18, 21, t->indptr, t->indices, t->values };
}

/* Relabels seed i of t as l and, if that keeps every fold, checks that
 * what each method predicts for the rows of i's fold is exactly a's (the
 * out-of-fold predictions before); 1 if it checked. */
static int relabel_keeps_fold(toy *t, const rl_eval_opts *o, uint32_t i,
			      int32_t l, const uint32_t *fold,
			      double *const *a, double *const *b)
{
	uint32_t fold2[18], order[18], n_order, k, least;
	int32_t was = t->seed[i];
	rl_eval_report *r = NULL;
	t->seed[i] = l;
	int same = rl_cv_fold_count(18, 3, t->seed, 2, &k, &least) == RL_OK &&
		   k == 2;
	ck_assert_int_eq(rl_cv_folds(18, 3, t->seed, t->ids, 2,
				     (uint64_t)o->seed, fold2, order,
				     &n_order), RL_OK);
	for (uint32_t j = 0; j < 18; j++)
		same &= t->seed[j] < 0 || fold2[j] == fold[j];
	if (same) {
		ck_assert_int_eq(rl_cv(&t->ev, &t->X, o, &r, b), RL_OK);
		rl_eval_report_free(r);
		for (uint32_t j = 0; j < 18; j++)
			for (int m = 0; t->seed[j] >= 0 && fold[j] == fold[i] &&
			     m < RL_METHOD_COUNT; m++)
				ck_assert_mem_eq(a[m] + j * 3, b[m] + j * 3,
						 3 * sizeof *a[m]);
	}
	t->seed[i] = was;
	return same;
}

/* No method and no baseline reads a hand label its fold holds out: with
 * the folds unchanged, relabelling a held-out seed leaves what every
 * method predicts for that fold's rows exactly as it was. (The folds
 * are stratified by label, so only some relabellings keep them; several
 * fold seeds find enough.) */
START_TEST(cv_hides_held_out_labels)
{
	toy t;
	toy_make(&t, 1);
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	o.prop.class_prior = RL_PRIOR_SEEDS;
	double *a[RL_METHOD_COUNT], *b[RL_METHOD_COUNT];
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		a[m] = calloc(18 * 3, sizeof *a[m]);
		b[m] = calloc(18 * 3, sizeof *b[m]);
	}
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_cv(&t.ev, &t.X, &o, &r, a), RL_OK);
	ck_assert_int_lt(r->best, RL_METHOD_CANDIDATES);
	ck_assert_int_lt(r->top, RL_METHOD_CANDIDATES);
	/* Every baseline answered something, and was scored on the 13
	 * held-out seeds like the methods. */
	for (int m = RL_METHOD_CANDIDATES; m < RL_METHOD_COUNT; m++) {
		uint64_t scored = 0;
		for (int g = 0; g < 9; g++)
			scored += r->methods[m].confusion[g];
		ck_assert_uint_gt(scored, 0);
		ck_assert_double_eq_tol((double)scored / 13,
					r->methods[m].coverage, 1e-12);
	}
	rl_eval_report_free(r);
	uint32_t fold[18], order[18], n_order;
	int tried = 0;
	for (o.seed = 1; o.seed <= 6; o.seed++) {
		ck_assert_int_eq(rl_cv(&t.ev, &t.X, &o, &r, a), RL_OK);
		rl_eval_report_free(r);
		ck_assert_int_eq(rl_cv_folds(18, 3, t.seed, t.ids, 2,
					     (uint64_t)o.seed, fold, order,
					     &n_order), RL_OK);
		for (uint32_t i = 0; i < 18; i++)
			for (int32_t l = 0; t.seed[i] >= 0 && l < 3; l++)
				if (l != t.seed[i])
					tried += relabel_keeps_fold(&t, &o, i,
								    l, fold,
								    a, b);
	}
	ck_assert_int_ge(tried, 5);
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		free(a[m]);
		free(b[m]);
	}
	rl_sgraph_free(&t.ev.S);
}
END_TEST

/* Self-training corrects propagation where the words disagree with it:
 * 40 reviews, the first 20 with word A (truly label 0), the rest with
 * word B (label 1), each also with a word of its own; propagation got
 * 6 of each half wrong (0.6 on the other label), the rest right (0.8).
 * Trained once, the classifier leans each wrong review's own word
 * towards the wrong label; trained again on the mix of its own labels
 * (which follow A and B) and propagation's, it is surer of the true
 * label on those reviews (0.6397 against 0.6356 at L2 strength 3, one
 * thread: deterministic), and no less right on the others. */
START_TEST(self_training_corrects_propagation)
{
	enum { N = 40, L = 2, D = 2 + N };
	int32_t seed[N];
	uint64_t indptr[N + 1];
	uint32_t indices[2 * N];
	float values[2 * N];
	double Pp[N * L], P0[N * L], P1[N * L];
	uint8_t use[N];
	for (uint32_t i = 0; i < N; i++) {
		uint32_t truth = i >= N / 2, j = i % (N / 2);
		seed[i] = j < 2 ? (int32_t)truth : -1;
		int wrong = j >= 2 && j < 8;
		Pp[i * L + truth] = seed[i] >= 0 ? 1 : wrong ? 0.4 : 0.8;
		Pp[i * L + 1 - truth] = 1 - Pp[i * L + truth];
		indptr[i] = 2 * i;
		indices[2 * i] = truth;
		indices[2 * i + 1] = 2 + i;
		values[2 * i] = values[2 * i + 1] = 1;
		use[i] = 1;
	}
	indptr[N] = 2 * N;
	rl_csr X = { N, D, indptr, indices, values };
	rl_evidence ev = { .n = N, .L = L, .seed = seed, .n_seeds = 4 };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.model = RL_CLASSIFIER_LOGREG;
	o.threads = 1;
	ck_assert_double_eq(o.self_train, 0.5);
	ck_assert_int_eq(rl_method_model(&ev, &X, use, Pp, &o, P1, NULL),
			 RL_OK);
	o.self_train = 0;
	ck_assert_int_eq(rl_method_model(&ev, &X, use, Pp, &o, P0, NULL),
			 RL_OK);
	double wrong0 = 0, wrong1 = 0;
	uint32_t right0 = 0, right1 = 0;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t truth = i >= N / 2, j = i % (N / 2);
		if (j >= 2 && j < 8) {
			wrong0 += P0[i * L + truth] / 12;
			wrong1 += P1[i * L + truth] / 12;
		}
		right0 += P0[i * L + truth] > 0.5;
		right1 += P1[i * L + truth] > 0.5;
	}
	ck_assert_msg(wrong1 > wrong0 + 0.002, "the true label on the reviews "
		      "propagation got wrong: %.4f trained once, %.4f twice",
		      wrong0, wrong1);
	ck_assert_uint_ge(right1, right0);
}
END_TEST

/* The seeds-only baseline learns from the hand labels in use and nothing
 * else: not rules, not cluster-named labels, not a hidden seed. */
START_TEST(seeds_baseline_alone)
{
	toy t;
	toy_make(&t, 1);
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	uint8_t use[18];
	for (int i = 0; i < 18; i++)
		use[i] = i != 3 && i != 8;
	double P[54], Q[54];
	ck_assert_int_eq(rl_method_seeds(&t.ev, &t.X, use, &o, P), RL_OK);
	/* It learnt the block columns from the seeds. */
	ck_assert_int_eq(rl_argmax(P + 0 * 3, 3), 0);
	ck_assert_int_eq(rl_argmax(P + 9 * 3, 3), 1);
	ck_assert_int_eq(rl_argmax(P + 17 * 3, 3), 2);
	memset(t.hit_ptr, 0, sizeof t.hit_ptr);
	t.cseed[5] = -1;
	t.seed[3] = 2;
	t.seed[8] = 0;
	ck_assert_int_eq(rl_method_seeds(&t.ev, &t.X, use, &o, Q), RL_OK);
	ck_assert_mem_eq(P, Q, sizeof P);
	/* Without seed 0 it is another model. */
	use[0] = 0;
	ck_assert_int_eq(rl_method_seeds(&t.ev, &t.X, use, &o, Q), RL_OK);
	ck_assert(memcmp(P, Q, sizeof P) != 0);
	rl_sgraph_free(&t.ev.S);
}
END_TEST

/* Rules that are right on every review and features that say nothing
 * beyond the row itself: whatever uses the rules gets every held-out
 * seed right; the classifier on the few hand labels alone cannot. */
START_TEST(perfect_rules_beat_seeds_only)
{
	int32_t nbr[12 * 2], seed[12], cseed[12];
	float sim[12 * 2];
	int64_t ids[12], label_ids[2] = { 1, 2 }, rule_ids[2] = { 1, 2 };
	char n0[] = "a", n1[] = "b";
	char *names[2] = { n0, n1 };
	uint32_t rule_label[2] = { 0, 1 }, hit_rule[12];
	uint8_t rule_negate[2] = { 0, 0 };
	double rule_weight[2] = { 1, 1 };
	uint64_t hit_ptr[13], indptr[13];
	uint32_t indices[12];
	float values[12];
	for (int i = 0; i < 12; i++) {
		/* the next two: one of each label, so the graph says
		 * nothing */
		nbr[i * 2] = (i + 1) % 12;
		nbr[i * 2 + 1] = (i + 2) % 12;
		sim[i * 2] = sim[i * 2 + 1] = 1;
		seed[i] = i % 2;
		cseed[i] = -1;
		ids[i] = i + 1;
		hit_ptr[i] = (uint64_t)i;
		hit_rule[i] = (uint32_t)(i % 2);
		indptr[i] = (uint64_t)i;
		indices[i] = (uint32_t)i;
		values[i] = 1;
	}
	hit_ptr[12] = indptr[12] = 12;
	rl_evidence ev = { .n = 12, .L = 2, .k = 2, .review_ids = ids,
			   .label_ids = label_ids, .label_names = names,
			   .seed = seed, .n_seeds = 12, .cseed = cseed,
			   .n_rules = 2, .rule_ids = rule_ids,
			   .rule_label = rule_label, .rule_negate = rule_negate,
			   .rule_weight = rule_weight, .hit_ptr = hit_ptr,
			   .hit_rule = hit_rule };
	ck_assert_int_eq(rl_graph_normalize(12, 2, nbr, sim, &ev.S), RL_OK);
	rl_csr X = { 12, 12, indptr, indices, values };
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 3;
	o.prop.class_prior = RL_PRIOR_SEEDS;
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_cv(&ev, &X, &o, &r, NULL), RL_OK);
	const rl_method_score *s = r->methods;
	ck_assert_double_eq(s[RL_METHOD_RULES].macro_f1, 1);
	ck_assert_double_eq(s[RL_METHOD_MAJORITY].macro_f1, 1);
	ck_assert_double_eq(s[RL_METHOD_MAJORITY].coverage, 1);
	ck_assert_double_eq(s[RL_METHOD_PROPAGATION].macro_f1, 1);
	ck_assert_double_le(s[RL_METHOD_SEEDS].macro_f1, 0.6);
	ck_assert_double_gt(s[RL_METHOD_BLEND].macro_f1,
			    s[RL_METHOD_SEEDS].macro_f1 + 0.3);
	ck_assert_double_eq(s[RL_METHOD_SEEDS].coverage, 1);
	ck_assert_int_lt(r->best, RL_METHOD_CANDIDATES);
	rl_eval_report_free(r);
	rl_sgraph_free(&ev.S);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("train");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, logreg_separable);
	tcase_add_test(tc, logreg_optimum);
	tcase_add_test(tc, logreg_unused_column_no_l2);
	tcase_add_test(tc, nb_by_hand);
	tcase_add_test(tc, temperature);
	tcase_add_test(tc, cnb_separable);
	tcase_add_test(tc, pool_by_hand);
	tcase_add_test(tc, folds_stratified);
	tcase_add_test(tc, one_se_by_hand);
	tcase_add_test(tc, calibration_by_hand);
	tcase_add_test(tc, cv_by_hand);
	tcase_add_test(tc, majority_by_hand);
	tcase_add_test(tc, choice_skips_baselines);
	tcase_add_test(tc, cv_hides_held_out_labels);
	tcase_add_test(tc, self_training_corrects_propagation);
	tcase_add_test(tc, seeds_baseline_alone);
	tcase_add_test(tc, perfect_rules_beat_seeds_only);
	tcase_add_test(tc, cv_sample_by_hand);
	suite_add_tcase(s, tc);
	tc = tcase_create("eval");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, eval_changes_nothing);
	tcase_add_test(tc, eval_saved_as_json);
	tcase_add_test(tc, label_with_each_method);
	tcase_add_test(tc, one_standard_error_rule);
	tcase_add_test(tc, baselines_by_hand);
	tcase_add_test(tc, bad_propagation_option);
	tcase_add_test(tc, eval_on_a_sample);
	tcase_add_test(tc, training_reports_progress);
	tcase_add_test(tc, predict_new_reviews);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
