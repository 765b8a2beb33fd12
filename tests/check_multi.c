/*
 * check_multi.c - multi-label stores: the decision and its thresholds,
 * propagation for and against each label on a graph worked out by hand,
 * the leak checks (a fold's thresholds and out-of-fold answers never
 * read its own hand labels), and a store labelled end to end whose
 * reviews about two things get both labels, through run, the stored
 * assignments, the model file and predict.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "stage.h"
#include "testutil.h"

START_TEST(decide)
{
	uint8_t on[3];
	const double thr[3] = { 0.5, 0.2, 0.9 };
	const double p1[3] = { 0.6, 0.25, 0.8 };
	ck_assert_uint_eq(rl_decide_multi(p1, 3, thr, on), 2);
	ck_assert(on[0] && on[1] && !on[2]);
	/* None reaches its threshold: the likeliest alone. */
	const double p2[3] = { 0.4, 0.1, 0.8 };
	ck_assert_uint_eq(rl_decide_multi(p2, 3, thr, on), 1);
	ck_assert(!on[0] && !on[1] && on[2]);
	/* All zero abstains. */
	const double p3[3] = { 0, 0, 0 };
	ck_assert_uint_eq(rl_decide_multi(p3, 3, thr, on), 0);
	/* No thresholds: 0.5 each. */
	ck_assert_uint_eq(rl_decide_multi(p1, 3, NULL, on), 2);
	ck_assert(on[0] && !on[1] && on[2]);
}
END_TEST

START_TEST(fit_threshold)
{
	/* Cut after 0.3: every positive above it, every negative below:
	 * F1 1, the threshold halfway to the next probability. */
	const double p[5] = { 0.2, 0.9, 0.1, 0.3, 0.8 };
	const uint8_t y[5] = { 0, 1, 0, 1, 1 };
	ck_assert_double_eq_tol(rl_fit_threshold(p, y, 5, -1), 0.25, 1e-12);
	/* A rare label: the best cut is far below 0.5. */
	const double q[6] = { 0.05, 0.04, 0.02, 0.01, 0.01, 0.005 };
	const uint8_t z[6] = { 1, 1, 0, 0, 0, 0 };
	ck_assert_double_eq_tol(rl_fit_threshold(q, z, 6, -1), 0.03, 1e-12);
	/* No positive: 0.5. */
	const uint8_t none[6] = { 0 };
	ck_assert_double_eq_tol(rl_fit_threshold(q, none, 6, -1), 0.5,
				1e-12);
	/* Three positives of four: F1 is best giving the label to all
	 * (6/7). Weighted to a share of 1/4 (positives count 1/3 each,
	 * the negative 3), the cut after 0.9 is (F1 0.5 against 0.4 for
	 * all, 0.286 after 0.5, 0.154 after 0.7). */
	const double r[4] = { 0.9, 0.7, 0.5, 0.3 };
	const uint8_t w[4] = { 1, 0, 1, 1 };
	ck_assert_double_eq_tol(rl_fit_threshold(r, w, 4, -1), 0.3, 1e-12);
	ck_assert_double_eq_tol(rl_fit_threshold(r, w, 4, 0.25), 0.8, 1e-12);
	/* The share the rows already have changes nothing. */
	ck_assert_double_eq_tol(rl_fit_threshold(r, w, 4, 0.75), 0.3, 1e-12);
}
END_TEST

/* A fold's thresholds come from the other folds' answers only: changing
 * the truths of fold 0's rows leaves fold 0's thresholds as they were,
 * and moves the others' (so the check could fail). */
START_TEST(fold_thresholds_leak_nothing)
{
	enum { M = 8, L = 1 };
	const double A[M] = { 0.9, 0.7, 0.6, 0.4, 0.8, 0.65, 0.3, 0.1 };
	uint8_t G[M] = { 1, 1, 0, 0, 1, 1, 0, 0 };
	const uint32_t fold[M] = { 0, 0, 0, 0, 1, 1, 1, 1 };
	double t0[L], t1[L], u0[L], u1[L];
	rl_multi_fold_thresholds(A, G, fold, M, L, 0, NULL, t0);
	rl_multi_fold_thresholds(A, G, fold, M, L, 1, NULL, t1);
	G[2] = 1;	/* fold 0's truths change */
	G[1] = 0;
	rl_multi_fold_thresholds(A, G, fold, M, L, 0, NULL, u0);
	rl_multi_fold_thresholds(A, G, fold, M, L, 1, NULL, u1);
	ck_assert_double_eq(t0[0], u0[0]);
	ck_assert(fabs(t1[0] - u1[0]) > 1e-6);
	/* The same at a share given (weighted F1). */
	const double share[L] = { 0.25 };
	G[2] = 0;
	G[1] = 1;
	rl_multi_fold_thresholds(A, G, fold, M, L, 0, share, t0);
	rl_multi_fold_thresholds(A, G, fold, M, L, 1, share, t1);
	G[2] = 1;
	G[1] = 0;
	rl_multi_fold_thresholds(A, G, fold, M, L, 0, share, u0);
	rl_multi_fold_thresholds(A, G, fold, M, L, 1, share, u1);
	ck_assert_double_eq(t0[0], u0[0]);
	ck_assert(fabs(t1[0] - u1[0]) > 1e-6);
}
END_TEST

/* Propagation per label on a graph: 0 {A} - 2 - 1 {B}, 3 - 4 {A, B},
 * 5 - 0. Node 3 gets both labels, node 5 only A, node 2 half of each. */
START_TEST(propagate_by_hand)
{
	enum { N = 6, K = 2, LL = 2 };
	const int32_t nbr[N * K] = { 2, 5, 2, -1, 0, 1, 4, -1, 3, -1, 0, -1 };
	const float sim[N * K] = { 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0 };
	int32_t seed[N] = { 0, 1, -1, -1, 0, -1 };
	int32_t cseed[N] = { -1, -1, -1, -1, -1, -1 };
	uint8_t Y[N * LL] = { 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0 };
	uint64_t hit_ptr[N + 1] = { 0 };
	rl_evidence ev = { .n = N, .L = LL, .seed = seed, .cseed = cseed,
			   .multi = 1, .Y = Y, .hit_ptr = hit_ptr,
			   .n_seeds = 3 };
	ck_assert_int_eq(rl_graph_normalize(N, K, nbr, sim, &ev.S), RL_OK);
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	o.threads = 1;
	double P[N * LL];
	ck_assert_int_eq(rl_propagate_run(&ev, NULL, &o, P, NULL, NULL),
			 RL_OK);
	/* hand labels as they are */
	ck_assert_double_eq(P[0], 1);
	ck_assert_double_eq(P[1], 0);
	ck_assert_double_eq(P[8], 1);
	ck_assert_double_eq(P[9], 1);
	/* node 3: only for-evidence of both */
	ck_assert(P[6] > 0.99 && P[7] > 0.99);
	/* node 5: A from 0, and 0's B-against */
	ck_assert(P[10] > 0.9 && P[11] < 0.1);
	/* node 2: A from 0 and against from 1, B the other way round */
	ck_assert(P[4] > 0.2 && P[4] < 0.8 && P[5] > 0.2 && P[5] < 0.8);
	/* Hiding node 4's hand labels: node 3 hears nothing any more but
	 * its neighbour's silence, so abstains with it. */
	uint8_t use[N] = { 1, 1, 1, 1, 0, 1 };
	ck_assert_int_eq(rl_propagate_run(&ev, use, &o, P, NULL, NULL),
			 RL_OK);
	ck_assert(P[6] == 0 && P[7] == 0 && P[8] == 0 && P[9] == 0);
	rl_sgraph_free(&ev.S);
}
END_TEST

/* Class shares, by hand: 0 {A} - 1 - 3 {B} - 2. The symmetric
 * normalised graph gives row 1 the weights 1/sqrt(2) from 0 and 1/2 from
 * 3, so with the spreading's own shares (class_prior none) its A is
 * (1/sqrt 2) / (1/sqrt 2 + 1/2) = 2 - sqrt 2 and its B sqrt 2 - 1; row 2
 * hears only 3. Normalised to the hand labels' shares (1/2 each), the
 * rows' mass of A (0.586 of 2) is scaled up, and row 1's A moves. */
START_TEST(propagate_class_shares)
{
	enum { N = 4, K = 2, LL = 2 };
	const int32_t nbr[N * K] = { 1, -1, 0, 3, 3, -1, 1, 2 };
	const float sim[N * K] = { 1, 0, 1, 1, 1, 0, 1, 1 };
	int32_t seed[N] = { 0, -1, -1, 1 };
	int32_t cseed[N] = { -1, -1, -1, -1 };
	uint8_t Y[N * LL] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	uint64_t hit_ptr[N + 1] = { 0 };
	rl_evidence ev = { .n = N, .L = LL, .seed = seed, .cseed = cseed,
			   .multi = 1, .Y = Y, .hit_ptr = hit_ptr,
			   .n_seeds = 2 };
	ck_assert_int_eq(rl_graph_normalize(N, K, nbr, sim, &ev.S), RL_OK);
	rl_propagate_opts o;
	rl_propagate_opts_init(&o);
	o.threads = 1;
	o.tol = 1e-12;
	o.class_prior = RL_PRIOR_NONE;
	double P[N * LL];
	ck_assert_int_eq(rl_propagate_run(&ev, NULL, &o, P, NULL, NULL),
			 RL_OK);
	ck_assert_double_eq_tol(P[2], 2 - sqrt(2), 1e-9);
	ck_assert_double_eq_tol(P[3], sqrt(2) - 1, 1e-9);
	ck_assert_double_eq_tol(P[4], 0, 1e-12);
	ck_assert_double_eq_tol(P[5], 1, 1e-12);
	o.class_prior = RL_PRIOR_SEEDS;
	ck_assert_int_eq(rl_propagate_run(&ev, NULL, &o, P, NULL, NULL),
			 RL_OK);
	ck_assert(P[2] > 2 - sqrt(2) + 0.1);
	rl_sgraph_free(&ev.S);
}
END_TEST

/* ---- a store labelled end to end ---- */

static rl_db *db;

static const char *const price[] = {
	"cheap price for what you get", "the price was great value",
	"expensive for a small thing", "good value and a fair price",
	"overpriced and not worth the money", "a bargain at this price",
};
static const char *const ship[] = {
	"arrived late and the box was crushed",
	"fast delivery arrived in two days",
	"the parcel never arrived, shipping took weeks",
	"shipping was quick and tracking worked",
	"delivery was slow and the courier rude",
	"shipped the next day, arrived early",
};

/* 36 reviews: p0..p11 about price, s0..s11 about shipping, b0..b11 about
 * both (a price text and a shipping text joined). */
static void fixture(void)
{
	tu_setup();
	const char *path = tu_path("multi.db");
	char *csv = malloc(1 << 16);
	size_t at = (size_t)sprintf(csv, "id,text\n");
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "p%d,\"%s\"\n", i, price[i % 6]);
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "s%d,\"%s\"\n", i, ship[i % 6]);
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "b%d,\"%s; %s\"\n", i,
				      price[i % 6], ship[(i + 1) % 6]);
	ck_assert_int_eq(rl_db_open(path, RL_OPEN_CREATE | RL_OPEN_MULTI_LABEL,
				    &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("r.csv", csv, 0), NULL,
					NULL), RL_OK);
	free(csv);
	ck_assert_int_eq(rl_label_add(db, "price"), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "shipping"), RL_OK);
	/* Hand labels straight into the table: a review carries two. */
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
	const char *sql =
		"INSERT INTO seeds(review_id, label_id) SELECT r.id, l.id "
		"FROM reviews r, labels l WHERE "
		"(r.ext_id IN ('p0','p1','p2','p3','b0','b1','b2','b3') AND "
		"l.name = 'price') OR (r.ext_id IN ('s0','s1','s2','s3','b0',"
		"'b1','b2','b3') AND l.name = 'shipping')";
	ck_assert_int_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
}

static void teardown(void)
{
	rl_db_close(db);
	db = NULL;
	tu_teardown();
}

/* The labels the store gave review `id`, joined by '|' in name order. */
static void labels_of(const char *id, char *out, size_t len)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_open(tu_path("multi.db"), &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s,
		"SELECT coalesce(group_concat(name, '|'), '') FROM (SELECT "
		"l.name FROM assignments a JOIN reviews r ON r.id = "
		"a.review_id JOIN labels l ON l.id = a.label_id WHERE "
		"r.ext_id = ?1 ORDER BY l.name)", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(s);
}

/* The stored predictions, a callback per review: counts reviews, the
 * most labels one had, and whether an id came twice. */
typedef struct pred_seen {
	int reviews, most, twice;
	char last[16];
} pred_seen;

static int on_pred(void *ctx, const rl_prediction *p)
{
	pred_seen *s = ctx;
	s->twice |= !strcmp(s->last, p->id);
	snprintf(s->last, sizeof s->last, "%s", p->id);
	s->reviews++;
	if (p->n > s->most)
		s->most = p->n;
	for (int i = 1; i < p->n; i++)
		ck_assert(p->confidence[i] <= p->confidence[i - 1]);
	return 0;
}

/* Asked to choose, run takes the classifier with the top
 * cross-validated score, the first of equals. */
START_TEST(run_chooses_classifier)
{
	rl_rules_opts ro = { 0 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.rules",
		"price\t\\b(price|cheap|value|expensive)\\b\n", 0),
		&ro, NULL), RL_OK);
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.tok.lexicon_dir = RL_LEXICON_DIR;
	ck_assert_int_eq(rl_run_opts_set(&o, "model=choose"), RL_OK);
	rl_run_report *r = NULL;
	int rc = rl_run(db, &o, &r);
	ck_assert_msg(rc == RL_OK, "run: %s", rl_db_errmsg(db));
	ck_assert(r->ran[RL_STEP_CLASSIFIER]);
	ck_assert_uint_eq(r->n_classifiers, 3);
	ck_assert_int_eq(r->model,
			 r->classifiers[r->classifier_chosen].kind);
	for (size_t k = 0; k < r->n_classifiers; k++)
		ck_assert(k < r->classifier_chosen
			  ? r->classifiers[k].macro_f1 <
			    r->classifiers[r->classifier_chosen].macro_f1
			  : r->classifiers[k].macro_f1 <=
			    r->classifiers[r->classifier_chosen].macro_f1);
	rl_run_report_free(r);
}
END_TEST

START_TEST(run_end_to_end)
{
	rl_rules_opts ro = { 0 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.rules",
		"price\t\\b(price|cheap|value|expensive)\\b\n"
		"shipping\t\\b(arrived|delivery|shipping|shipped)\\b\n", 0),
		&ro, NULL), RL_OK);
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.tok.lexicon_dir = RL_LEXICON_DIR;
	rl_run_report *r = NULL;
	int rc = rl_run(db, &o, &r);
	ck_assert_msg(rc == RL_OK, "run: %s", rl_db_errmsg(db));
	ck_assert_ptr_nonnull(r->eval);
	ck_assert_int_eq(r->eval->multi, 1);
	ck_assert(r->eval->methods[r->method].macro_f1 > 0.8);
	/* A multi-label store's defaults: logistic regression, not
	 * chosen, and the spreading's own class shares. */
	ck_assert(!r->ran[RL_STEP_CLASSIFIER]);
	ck_assert_int_eq(r->model, RL_CLASSIFIER_LOGREG);
	ck_assert_int_eq(r->class_prior, RL_PRIOR_NONE);
	/* propagation's settings scored with naive Bayes, the cheapest */
	ck_assert_uint_gt(r->n_settings, 1);
	ck_assert_int_eq(r->settings_model, RL_CLASSIFIER_NB);
	/* Hand labels stand, both of them. */
	char got[64];
	labels_of("b0", got, sizeof got);
	ck_assert_str_eq(got, "price|shipping");
	labels_of("p0", got, sizeof got);
	ck_assert_str_eq(got, "price");
	/* The others: most of each group as it should be. */
	int right = 0;
	for (int i = 4; i < 12; i++) {
		char id[8];
		snprintf(id, sizeof id, "b%d", i);
		labels_of(id, got, sizeof got);
		right += !strcmp(got, "price|shipping");
		snprintf(id, sizeof id, "p%d", i);
		labels_of(id, got, sizeof got);
		right += !strcmp(got, "price");
		snprintf(id, sizeof id, "s%d", i);
		labels_of(id, got, sizeof got);
		right += !strcmp(got, "shipping");
	}
	ck_assert_int_ge(right, 20);
	rl_run_report_free(r);
	/* The model's stored labels: one callback per review, several
	 * labels on the reviews about both things, best first. */
	pred_seen ps = { 0 };
	ck_assert_int_eq(rl_predictions(db, 0, on_pred, &ps), RL_OK);
	ck_assert_int_eq(ps.reviews, 36);
	ck_assert_int_eq(ps.most, 2);
	ck_assert_int_eq(ps.twice, 0);

	/* The model: thresholds kept through the file, and a text about
	 * both things gets both labels. */
	rl_model *m = NULL, *m2 = NULL;
	char err[512];
	ck_assert_int_eq(rl_model_get(db, 0, &m), RL_OK);
	ck_assert_ptr_nonnull(rl_model_thresholds(m));
	const char *mf = tu_path("multi.rlm");
	ck_assert_int_eq(rl_model_save(m, mf, err, sizeof err), RL_OK);
	ck_assert_int_eq(rl_model_load(mf, &m2, err, sizeof err), RL_OK);
	for (size_t l = 0; l < 2; l++)
		ck_assert_double_eq(rl_model_thresholds(m)[l],
				    rl_model_thresholds(m2)[l]);
	const char *texts[2] = { "a cheap price and fast delivery",
				 "expensive, not worth the money" };
	int32_t lab[4], lab2[4];
	double cf[4], cf2[4];
	ck_assert_int_eq(rl_model_predict(m, texts, NULL, 2, 2, lab, cf, err,
					  sizeof err), RL_OK);
	ck_assert_int_eq(rl_model_predict(m2, texts, NULL, 2, 2, lab2, cf2,
					  err, sizeof err), RL_OK);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(lab[i], lab2[i]);
		ck_assert_double_eq(cf[i], cf2[i]);
	}
	const double *thr = rl_model_thresholds(m);
	/* text 0: both labels reach their thresholds */
	ck_assert(cf[0] >= thr[lab[0]] && cf[1] >= thr[lab[1]]);
	/* text 1: only price */
	ck_assert_str_eq(rl_model_label(m, (size_t)lab[2]), "price");
	ck_assert(!(cf[3] >= thr[lab[3]]));
	rl_model_free(m);
	rl_model_free(m2);
}
END_TEST

/* No out-of-fold answer reads its own hand labels: flipping the hand
 * labels of one fold's reviews changes none of that fold's answers. */
START_TEST(oof_answers_leak_nothing)
{
	rl_rules_opts ro = { 0 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.rules",
		"price\t\\b(price|cheap)\\b\n", 0), &ro, NULL), RL_OK);
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.tok.lexicon_dir = RL_LEXICON_DIR;
	rl_run_report *r = NULL;
	ck_assert_int_eq(rl_run(db, &o, &r), RL_OK);
	rl_run_report_free(r);
	rl_evidence ev;
	rl_csr X = { 0 };
	ck_assert_int_eq(rl_evidence_load(db, &ev, 0), RL_OK);
	ck_assert_int_eq(rl_features_load(db, ev.review_ids, ev.n, &X), RL_OK);
	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	eo.folds = 2;
	eo.threads = 1;
	size_t nL = (size_t)ev.n * ev.L;
	double *oof1[RL_METHOD_COUNT], *oof2[RL_METHOD_COUNT];
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		oof1[m] = calloc(nL, sizeof(double));
		oof2[m] = calloc(nL, sizeof(double));
	}
	rl_eval_report *e1 = NULL, *e2 = NULL;
	ck_assert_int_eq(rl_cv(&ev, &X, &eo, &e1, oof1), RL_OK);
	/* The folds, as rl_cv deals them. */
	uint32_t fold[64], order[64], n_order, k = e1->folds;
	ck_assert_uint_le(ev.n, 64);
	ck_assert_int_eq(rl_cv_folds(ev.n, ev.L, ev.seed, ev.review_ids, k,
				     (uint64_t)eo.seed, fold, order,
				     &n_order), RL_OK);
	/* Flip fold 0's labels (keeping each review labelled, and seed[]
	 * as it was, so the folds stay the same). */
	int flipped = 0;
	for (uint32_t i = 0; i < ev.n; i++)
		if (ev.seed[i] >= 0 && fold[i] == 0)
			for (uint32_t l = 0; l < ev.L; l++) {
				uint8_t *y = &ev.Y[(size_t)i * ev.L + l];
				*y = !*y || ev.L == 1;
				flipped++;
			}
	ck_assert_int_gt(flipped, 0);
	ck_assert_int_eq(rl_cv(&ev, &X, &eo, &e2, oof2), RL_OK);
	int moved = 0;
	for (uint32_t i = 0; i < ev.n; i++) {
		if (ev.seed[i] < 0)
			continue;
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			for (uint32_t l = 0; l < ev.L; l++) {
				double a = oof1[m][(size_t)i * ev.L + l];
				double b = oof2[m][(size_t)i * ev.L + l];
				if (fold[i] == 0)
					ck_assert_msg(fabs(a - b) < 1e-9,
						      "method %d row %u label "
						      "%u: %g then %g", m, i, l,
						      a, b);
				else
					moved |= fabs(a - b) > 1e-9;
			}
	}
	/* ... while the other fold's answers, trained on them, move. */
	ck_assert(moved);
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		free(oof1[m]);
		free(oof2[m]);
	}
	rl_eval_report_free(e1);
	rl_eval_report_free(e2);
	rl_csr_free(&X);
	rl_evidence_free(&ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("multi");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, decide);
	tcase_add_test(tc, fit_threshold);
	tcase_add_test(tc, fold_thresholds_leak_nothing);
	tcase_add_test(tc, propagate_class_shares);
	tcase_add_test(tc, propagate_by_hand);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, fixture, teardown);
	tcase_add_test(tc, run_end_to_end);
	tcase_add_test(tc, run_chooses_classifier);
	tcase_add_test(tc, oof_answers_leak_nothing);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
