/*
 * check_ovr.c - the one-vs-rest logistic regression that fits every
 * label in one pass over the features (rl_ovr_train): small problems
 * with answers worked out by hand, agreement with the separate
 * two-class fits a label had before (rl_logreg_train on the label and
 * its absence), and every allocation failing in turn. The library's
 * malloc family goes through the wrappers below (-Wl,--wrap=...), which
 * pass every call through unless a test counts down to a failure.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "failalloc.h"
#include "testutil.h"


/* Three labels whose optima have closed forms (lambda 0, so each fit
 * reproduces its targets wherever it can). Rows: r0 has feature 0 (value
 * 1), r1 no feature, r2 feature 0 again; feature 1 is only in r3, which
 * every label leaves out (weight 0), so its weights stay 0.
 * - label 0: r0 target 0.9, r1 0.2, r2 out (weight 0): sigmoid(c) = 0.2
 *   and sigmoid(v + c) = 0.9, so c = -log 4, v = log 9 + log 4 = log 36.
 * - label 1: every target 0.5: v = c = 0.
 * - label 2: r0 target 1 weight 3, r2 target 0 weight 1 (both x = 1),
 *   r1 target 0.2: c = -log 4 and sigmoid(v + c) = 3/4, v = log 12. */
START_TEST(known_answers)
{
	uint64_t ip[] = { 0, 1, 1, 2, 3 };
	uint32_t ix[] = { 0, 0, 1 };
	float v[] = { 1, 1, 2 };
	rl_csr X = { 4, 2, ip, ix, v };
	const float T[] = { 0.9f, 0.5f, 1, 0.2f, 0.5f, 0.2f, 0, 0.5f, 0,
			    1, 1, 1 };
	const float W[] = { 1, 1, 3, 1, 1, 1, 0, 1, 1, 0, 0, 0 };
	double theta[9];
	uint32_t it[3];
	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(rl_ovr_train(&X, T, W, 3, 0, 1000, 0,
					      threads, theta, it, NULL, NULL),
				 RL_OK);
		/* theta: W [2][3] then b [3] */
		ck_assert_double_eq_tol(theta[0], log(36), 1e-4);
		ck_assert_double_eq_tol(theta[6], -log(4), 1e-4);
		ck_assert_double_eq_tol(theta[1], 0, 1e-6);
		ck_assert_double_eq_tol(theta[7], 0, 1e-6);
		ck_assert_double_eq_tol(theta[2], log(12), 1e-4);
		ck_assert_double_eq_tol(theta[8], -log(4), 1e-4);
		for (int l = 0; l < 3; l++)
			ck_assert_double_eq(theta[3 + l], 0);
		/* label 1 starts at its optimum: no step to take */
		ck_assert_uint_eq(it[1], 0);
		ck_assert_uint_gt(it[0], 0);
	}
}
END_TEST

/* The L2 convention: lambda/2 on both columns of a two-class fit is
 * lambda/4 |v|^2 on the binary weights. Rows x = +1 (target 1) and
 * x = -1 (target 0), weight 1: by symmetry c = 0, and the optimum
 * solves lambda/2 v = 2 sigmoid(-v). At v = log 3, sigmoid(-v) = 1/4, so
 * lambda = 1 / log 3 has its optimum at v = log 3. */
START_TEST(l2_convention)
{
	uint64_t ip[] = { 0, 1, 2 };
	uint32_t ix[] = { 0, 0 };
	float v[] = { 1, -1 };
	rl_csr X = { 2, 1, ip, ix, v };
	const float T[] = { 1, 0 }, W[] = { 1, 1 };
	double theta[2];
	ck_assert_int_eq(rl_ovr_train(&X, T, W, 1, 1 / log(3), 1000, 0, 1,
				      theta, NULL, NULL, NULL), RL_OK);
	ck_assert_double_eq_tol(theta[0], log(3), 1e-5);
	ck_assert_double_eq_tol(theta[1], 0, 1e-6);
	/* The two-class fit at the same lambda: its difference of columns
	 * is the same v. */
	const float T2[] = { 1, 0, 0, 1 };
	double th2[4];
	ck_assert_int_eq(rl_logreg_train(&X, T2, W, 2, 1 / log(3), 1000, 0,
					 1, th2, NULL, NULL, NULL), RL_OK);
	ck_assert_double_eq_tol(th2[0] - th2[1], log(3), 1e-5);
}
END_TEST

/* Random sparse rows, soft and hard targets, weights that differ per
 * label (some rows out of some labels' fits). */
typedef struct problem {
	uint32_t n, d, L;
	uint64_t *ip;
	uint32_t *ix;
	float *v, *T, *W;
	rl_csr X;
} problem;

static uint64_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static double rng_unit(uint64_t *s)
{
	return (double)rng_next(s) / 2147483648.0;
}

static void problem_make(problem *p, uint32_t n, uint32_t d, uint32_t L,
			 uint64_t seed)
{
	p->n = n;
	p->d = d;
	p->L = L;
	p->ip = calloc(n + 1, sizeof *p->ip);
	p->ix = malloc((size_t)n * d * sizeof *p->ix);
	p->v = malloc((size_t)n * d * sizeof *p->v);
	p->T = malloc((size_t)n * L * sizeof *p->T);
	p->W = malloc((size_t)n * L * sizeof *p->W);
	ck_assert(p->ip && p->ix && p->v && p->T && p->W);
	uint64_t s = seed;
	for (uint32_t i = 0; i < n; i++) {
		p->ip[i + 1] = p->ip[i];
		double score[8] = { 0 };
		for (uint32_t c = 0; c < d; c++) {
			if (rng_unit(&s) > 0.4)
				continue;
			float x = (float)(0.2 + rng_unit(&s));
			p->ix[p->ip[i + 1]] = c;
			p->v[p->ip[i + 1]++] = x;
			for (uint32_t l = 0; l < L && l < 8; l++)
				score[l] += (c % (l + 2) == 0 ? 1 : -0.5) * x;
		}
		for (uint32_t l = 0; l < L; l++) {
			double u = rng_unit(&s), q = score[l % 8] + u - 0.5;
			float t = q > 0 ? 1 : 0;
			if (i % 3 == 1)	/* a soft target */
				t = (float)(1 / (1 + exp(-2 * q)));
			p->T[(size_t)i * L + l] = t;
			/* rows out of a label's fit, and weights from 0.25
			 * to 4, differing by label */
			p->W[(size_t)i * L + l] = (i + l) % 7 == 0 ? 0
				: (float)(0.25 + 3.75 * rng_unit(&s));
		}
	}
	p->X = (rl_csr){ n, d, p->ip, p->ix, p->v };
}

static void problem_free(problem *p)
{
	free(p->ip);
	free(p->ix);
	free(p->v);
	free(p->T);
	free(p->W);
}

/* Label l's fit as it was: two classes (l and its absence) by
 * rl_logreg_train, the difference of the columns. v gets [d + 1]. */
static void two_class(const problem *p, uint32_t l, double lambda,
		      double tol, double *v, uint32_t *iters)
{
	uint32_t n = p->n, d = p->d;
	float *T2 = malloc(2 * (size_t)n * sizeof *T2);
	float *w = malloc((size_t)n * sizeof *w);
	double *th = malloc(2 * ((size_t)d + 1) * sizeof *th);
	ck_assert(T2 && w && th);
	for (uint32_t i = 0; i < n; i++) {
		T2[2 * i] = p->T[(size_t)i * p->L + l];
		T2[2 * i + 1] = 1 - T2[2 * i];
		w[i] = p->W[(size_t)i * p->L + l];
	}
	ck_assert_int_eq(rl_logreg_train(&p->X, T2, w, 2, lambda, 1000, tol,
					 1, th, iters, NULL, NULL), RL_OK);
	for (uint32_t c = 0; c <= d; c++)
		v[c] = th[2 * c] - th[2 * c + 1];
	free(T2);
	free(w);
	free(th);
}

/* The joint fit against the separate ones, to `within` of the largest
 * weight. Each label takes the steps its two-class fit takes, so they
 * agree at run's tolerance (1e-3: stop when 10 iterations gained less
 * than 0.1% of the loss) as well as at the optimum (tol 0: a gradient
 * below 1e-6 of the loss): only rounding tells them apart (1e-8 of the
 * scale measured; 1e-6 asked). The two-class fit counts iterations
 * begun, one more than it reports when the loss stops it. */
static void compare(uint32_t L, double lambda, double tol, double within,
		    int threads)
{
	problem p;
	problem_make(&p, 90, 7, L, 12345 + L);
	uint32_t d = p.d;
	double *theta = malloc(((size_t)d + 1) * L * sizeof *theta);
	double *v = malloc(((size_t)d + 1) * sizeof *v);
	uint32_t *it = malloc(L * sizeof *it);
	ck_assert(theta && v && it);
	ck_assert_int_eq(rl_ovr_train(&p.X, p.T, p.W, L, lambda, 1000, tol,
				      threads, theta, it, NULL, NULL), RL_OK);
	for (uint32_t l = 0; l < L; l++) {
		uint32_t it2 = 0;
		two_class(&p, l, lambda, tol, v, &it2);
		double scale = 0, diff = 0;
		for (uint32_t c = 0; c <= d; c++) {
			double a = theta[(size_t)c * L + l];
			scale = fmax(scale, fabs(v[c]));
			diff = fmax(diff, fabs(a - v[c]));
		}
		ck_assert_msg(scale > 0.1, "label %u learned nothing", l);
		ck_assert_msg(diff <= within * scale,
			      "label %u: %g apart (scale %g), iterations "
			      "%u and %u", l, diff, scale, it[l], it2);
		ck_assert_msg(it2 == it[l] || it2 + 1 == it[l],
			      "label %u: %u iterations, alone %u", l, it[l],
			      it2);
	}
	free(theta);
	free(v);
	free(it);
	problem_free(&p);
}

START_TEST(same_as_separate_fits_at_optimum)
{
	compare(5, 0.5, 0, 1e-6, 1);
	compare(5, 0.5, 0, 1e-6, 2);
	compare(1, 2, 0, 1e-6, 1);
}
END_TEST

START_TEST(same_as_separate_fits_at_tolerance)
{
	compare(5, 3, 1e-3, 1e-6, 1);
	compare(12, 0.5, 1e-3, 1e-6, 2);
}
END_TEST

/* No label is stopped by the others: a label at its optimum from the
 * start (every target 0.5) beside labels that need many iterations at a
 * weak L2; each stops where its own two-class fit stops. */
START_TEST(labels_stop_alone)
{
	problem p;
	problem_make(&p, 90, 7, 4, 99);
	double theta[8 * 4];
	uint32_t it[4];
	/* label 3 all 0.5: done at once */
	for (uint32_t i = 0; i < p.n; i++)
		p.T[(size_t)i * 4 + 3] = 0.5f;
	ck_assert_int_eq(rl_ovr_train(&p.X, p.T, p.W, 4, 0.01, 1000, 1e-3, 1,
				      theta, it, NULL, NULL), RL_OK);
	ck_assert_uint_eq(it[3], 0);
	for (uint32_t l = 0; l < 3; l++) {
		double v[8];
		uint32_t it2;
		two_class(&p, l, 0.01, 1e-3, v, &it2);
		ck_assert_uint_gt(it[l], 5);
		for (uint32_t c = 0; c <= p.d; c++)
			ck_assert_double_eq_tol(theta[c * 4 + l], v[c],
						1e-6 * (1 + fabs(v[c])));
	}
	problem_free(&p);
}
END_TEST

/* rl_model_multi as it was before the joint fit: each label on its own,
 * two classes (the label and its absence) through rl_train_classifier,
 * the difference of the columns. theta [d + 1][L]. */
static void model_multi_before(const rl_evidence *ev, const rl_csr *X,
			       const uint8_t *use_seed, const double *T,
			       const rl_eval_opts *o, double *theta)
{
	uint32_t n = ev->n, L = ev->L, d = X->n_cols;
	float *T2 = malloc(2 * (size_t)n * sizeof *T2);
	float *w = malloc((size_t)n * sizeof *w);
	double *th2 = malloc(2 * ((size_t)d + 1) * sizeof *th2);
	ck_assert(T2 && w && th2);
	for (uint32_t l = 0; l < L; l++) {
		double mp = 0, mn = 0;
		for (uint32_t i = 0; i < n; i++) {
			const double *t = T + (size_t)i * L;
			double tl = t[l] < 0 ? 0 : t[l] > 1 ? 1 : t[l];
			int zero = 1;
			for (uint32_t q = 0; q < L; q++)
				zero &= !(t[q] > 0);
			float wi = ev->seed[i] >= 0 ? (use_seed[i] ? 1 : 0)
				   : zero ? 0 : (float)(tl > 0.5 ? tl : 1 - tl);
			T2[2 * i] = (float)tl;
			T2[2 * i + 1] = (float)(1 - tl);
			w[i] = wi;
			mp += wi * tl;
			mn += wi * (1 - tl);
		}
		double tot = mp + mn;
		for (uint32_t i = 0; i < n; i++) {
			if (w[i] <= 0)
				continue;
			double tl = T2[2 * i];
			w[i] *= (float)((mp > 0 ? tl * tot / (2 * mp) : 0) +
					(mn > 0 ? (1 - tl) * tot / (2 * mn)
						: 0));
		}
		ck_assert_int_eq(rl_train_classifier(o, X, T2, w, 2, th2),
				 RL_OK);
		for (uint32_t c = 0; c <= d; c++)
			theta[(size_t)c * L + l] = th2[2 * c] - th2[2 * c + 1];
	}
	free(T2);
	free(w);
	free(th2);
}

/* rl_model_multi against model_multi_before on evidence with hand labels
 * in use and hidden, rows that abstain and targets outside [0, 1]: the
 * weights within 1e-6 of the largest for logistic regression and the
 * pool (the joint fit: the same steps, other rounding), equal for naive
 * Bayes (the same code). */
START_TEST(model_multi_as_before)
{
	const uint32_t L = 4;
	problem p;
	problem_make(&p, 90, 7, L, 2024);
	uint32_t n = p.n, d = p.d;
	int32_t seed[90];
	uint8_t use[90];
	double T[90 * 4], P[90 * 4], Pb[90 * 4];
	double theta[8 * 4], before[8 * 4];
	for (uint32_t i = 0; i < n; i++) {
		seed[i] = i % 5 == 0 ? (int32_t)(i % L) : -1;
		use[i] = i % 10 != 5;
		for (uint32_t l = 0; l < L; l++) {
			double t = p.T[(size_t)i * L + l];
			T[(size_t)i * L + l] = i % 11 == 3 ? 0
				: i % 13 == 4 ? 1.5 * t - 0.25 : t;
		}
	}
	rl_evidence ev = { .n = n, .L = L, .seed = seed, .multi = 1 };
	const rl_classifier kinds[] = { RL_CLASSIFIER_AUTO,
		RL_CLASSIFIER_LOGREG, RL_CLASSIFIER_POOL, RL_CLASSIFIER_NB,
		RL_CLASSIFIER_CNB };
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		rl_eval_opts o;
		rl_eval_opts_init(&o);
		o.model = kinds[k];
		o.temperature = 1.5;
		ck_assert_int_eq(rl_model_multi(&ev, &p.X, use, T, &o, P,
						theta), RL_OK);
		model_multi_before(&ev, &p.X, use, T, &o, before);
		double scale = 0, diff = 0;
		for (size_t q = 0; q < (size_t)(d + 1) * L; q++) {
			scale = fmax(scale, fabs(before[q]));
			diff = fmax(diff, fabs(theta[q] - before[q]));
		}
		ck_assert_double_gt(scale, 0.1);
		ck_assert_msg(diff <= (kinds[k] == RL_CLASSIFIER_NB ||
				       kinds[k] == RL_CLASSIFIER_CNB
				       ? 0 : 1e-6) * scale,
			      "model %d: %g apart (scale %g)", kinds[k], diff,
			      scale);
		/* P: the sigmoid of the logits over the temperature */
		ck_assert_int_eq(rl_model_multi(&ev, &p.X, use, T, &o, Pb,
						NULL), RL_OK);
		ck_assert_mem_eq(P, Pb, sizeof P);
		double z[4];
		rl_linear_logits(&p.X, 7, theta, L, z);
		for (uint32_t l = 0; l < L; l++)
			ck_assert_double_eq_tol(P[7 * L + l],
						1 / (1 + exp(-z[l] / 1.5)),
						1e-12);
	}
	problem_free(&p);
}
END_TEST

static int cancel_at(void *ctx, const char *stage, uint64_t done,
		     uint64_t total)
{
	(void)stage;
	(void)total;
	return done >= *(uint64_t *)ctx;
}

START_TEST(cancel)
{
	problem p;
	problem_make(&p, 60, 5, 3, 7);
	double theta[6 * 3];
	uint64_t at = 2;
	ck_assert_int_eq(rl_ovr_train(&p.X, p.T, p.W, 3, 0.5, 1000, 0, 1,
				      theta, NULL, cancel_at, &at),
			 RL_ECANCELED);
	problem_free(&p);
}
END_TEST

/* Every allocation failing in turn, one thread and two: RL_ENOMEM, never
 * a crash (AddressSanitizer's leak check sees a leak), then the answer
 * of a call with no failure. */
START_TEST(allocation_failures)
{
	problem p;
	problem_make(&p, 40, 5, 3, 3);
	double want[6 * 3], theta[6 * 3];
	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(rl_ovr_train(&p.X, p.T, p.W, 3, 0.5, 100,
					      1e-3, threads, want, NULL, NULL,
					      NULL), RL_OK);
		int n;
		for (n = 1; n < 1000; n++) {
			fa_failed = 0;
			fa_countdown = n;
			int rc = rl_ovr_train(&p.X, p.T, p.W, 3, 0.5, 100,
					      1e-3, threads, theta, NULL, NULL,
					      NULL);
			fa_countdown = 0;
			if (!fa_failed) {
				ck_assert_int_eq(rc, RL_OK);
				break;
			}
			ck_assert_int_eq(rc, RL_ENOMEM);
		}
		ck_assert_int_gt(n, 5);
		ck_assert_int_lt(n, 1000);
		ck_assert_mem_eq(theta, want, sizeof want);
	}
	problem_free(&p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc = tcase_create("ovr");
	tcase_add_test(tc, known_answers);
	tcase_add_test(tc, l2_convention);
	tcase_add_test(tc, same_as_separate_fits_at_optimum);
	tcase_add_test(tc, same_as_separate_fits_at_tolerance);
	tcase_add_test(tc, labels_stop_alone);
	tcase_add_test(tc, model_multi_as_before);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, allocation_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
