/*
 * logreg.c - multinomial logistic regression with L2, trained on soft
 * labels with sample weights by L-BFGS. Kernel: flat arrays only.
 *
 * Loss = sum_i w_i * (-sum_l T_il log p_il) + lambda/2 ||W||^2, with
 * p_i = softmax(x_i W + b); T rows are label distributions, so
 * propagated labels train the model with their confidence rather than
 * as hard votes. The bias is not regularised. Gradients are summed over
 * fixed row ranges per thread and added in thread order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

typedef struct lr_job {
	const rl_csr *X;
	const uint32_t *perm;	/* [n_cols] column -> row of theta, or NULL */
	const float *T;		/* [n][L] */
	const float *w;		/* [n] */
	uint32_t L, d;
	const double *theta;	/* W [d][L] then b [L] */
	double *grad;		/* [threads][(d + 1) L] */
	double *loss;		/* [threads] */
	int failed;
} lr_job;

/* How many entries ahead a pass over the rows asks for a weight (or
 * gradient) row: each entry's row is a random access into megabytes
 * ((d + 1) L doubles with the TF-IDF vocabulary), and waiting for it is
 * most of the pass. The arithmetic and its order are unchanged. */
enum { LR_AHEAD = 8, OVR_AHEAD = 6 };

/* Asks for the La doubles of m's row for column col (perm[col], or col
 * itself without perm), cache line by cache line. */
static inline __attribute__((always_inline)) void
prefetch_row(const double *m, const uint32_t *perm, uint32_t col,
	     uint32_t La, int write)
{
	const char *r = (const char *)(m + (size_t)(perm ? perm[col] : col) *
					   La);
	size_t bytes = La * sizeof *m;
	for (size_t o = 0; o < bytes; o += 64) {
		if (write)
			__builtin_prefetch(r + o, 1);
		else
			__builtin_prefetch(r + o, 0);
	}
}

static inline __attribute__((always_inline)) void
softmax_row(const rl_csr *X, uint32_t i, const double *theta,
	    const uint32_t *perm, uint32_t L, uint32_t d, double *z)
{
	const double *b = theta + (size_t)d * L;
	for (uint32_t l = 0; l < L; l++)
		z[l] = b[l];
	uint64_t end = X->indptr[i + 1];
	for (uint64_t p = X->indptr[i]; p < end; p++) {
		if (p + LR_AHEAD < end)
			prefetch_row(theta, perm, X->indices[p + LR_AHEAD], L,
				     0);
		uint32_t c = perm ? perm[X->indices[p]] : X->indices[p];
		const double *wr = theta + (size_t)c * L;
		double v = X->values[p];
		for (uint32_t l = 0; l < L; l++)
			z[l] += v * wr[l];
	}
	double m = z[0];
	for (uint32_t l = 1; l < L; l++)
		if (z[l] > m)
			m = z[l];
	double s = 0;
	for (uint32_t l = 0; l < L; l++) {
		z[l] = exp(z[l] - m);
		s += z[l];
	}
	for (uint32_t l = 0; l < L; l++)
		z[l] /= s;
}

/* The rows lo..hi of one pass: loss into *loss, gradient into g. Always
 * inlined, so that lr_part's calls with a constant L get loops of known
 * length, unrolled and vectorised; L is 2 to 8 in nearly every use. */
static inline __attribute__((always_inline)) double
lr_rows(const lr_job *j, uint32_t lo, uint32_t hi, uint32_t L, double *g,
	double *z)
{
	uint32_t d = j->d;
	double loss = 0;
	for (uint32_t i = lo; i < hi; i++) {
		double wi = j->w[i];
		if (wi <= 0)
			continue;
		softmax_row(j->X, i, j->theta, j->perm, L, d, z);
		const float *T = j->T + (size_t)i * L;
		for (uint32_t l = 0; l < L; l++) {
			if (T[l] > 0)
				loss -= wi * T[l] * log(z[l] > 1e-300 ? z[l]
								       : 1e-300);
			z[l] = wi * (z[l] - T[l]);
		}
		double *gb = g + (size_t)d * L;
		for (uint32_t l = 0; l < L; l++)
			gb[l] += z[l];
		uint64_t end = j->X->indptr[i + 1];
		for (uint64_t p = j->X->indptr[i]; p < end; p++) {
			if (p + LR_AHEAD < end)
				prefetch_row(g, j->perm,
					     j->X->indices[p + LR_AHEAD], L, 1);
			double *gr = g + (size_t)j->perm[j->X->indices[p]] * L;
			double v = j->X->values[p];
			for (uint32_t l = 0; l < L; l++)
				gr[l] += v * z[l];
		}
	}
	return loss;
}

static void lr_part(void *ctx, int t, int nt)
{
	lr_job *j = ctx;
	uint32_t n = j->X->n_rows, L = j->L, d = j->d;
	uint32_t lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	double *g = j->grad + (size_t)t * (d + 1) * L;
	double *z = malloc(L * sizeof *z);
	memset(g, 0, (size_t)(d + 1) * L * sizeof *g);
	if (!z) {
		j->failed = 1;
		return;
	}
	switch (L) {
	case 2: j->loss[t] = lr_rows(j, lo, hi, 2, g, z); break;
	case 3: j->loss[t] = lr_rows(j, lo, hi, 3, g, z); break;
	case 4: j->loss[t] = lr_rows(j, lo, hi, 4, g, z); break;
	case 5: j->loss[t] = lr_rows(j, lo, hi, 5, g, z); break;
	case 6: j->loss[t] = lr_rows(j, lo, hi, 6, g, z); break;
	case 7: j->loss[t] = lr_rows(j, lo, hi, 7, g, z); break;
	case 8: j->loss[t] = lr_rows(j, lo, hi, 8, g, z); break;
	default: j->loss[t] = lr_rows(j, lo, hi, L, g, z); break;
	}
	free(z);
}

/* Loss and gradient at theta. */
static int evaluate(lr_job *j, int threads, double lambda, double *f,
		    double *grad)
{
	size_t sz = (size_t)(j->d + 1) * j->L, wsz = (size_t)j->d * j->L;
	int rc = rl_parallel(threads, lr_part, j);
	if (rc != RL_OK)
		return rc;
	if (j->failed)
		return RL_ENOMEM;
	double loss = 0;
	memcpy(grad, j->grad, sz * sizeof *grad);
	for (int t = 0; t < threads; t++) {
		loss += j->loss[t];
		if (t)
			for (size_t k = 0; k < sz; k++)
				grad[k] += j->grad[(size_t)t * sz + k];
	}
	for (size_t k = 0; k < wsz; k++) {
		loss += 0.5 * lambda * j->theta[k] * j->theta[k];
		grad[k] += lambda * j->theta[k];
	}
	*f = loss;
	return RL_OK;
}

typedef struct col_count {
	uint64_t n;
	uint32_t col;
} col_count;

static int by_count(const void *a, const void *b)
{
	const col_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* perm [d]: each column's row in the solver's weights, most used columns
 * first. Sparse text features follow Zipf's law, so the rows almost
 * every review touches end up together in cache instead of scattered
 * over a weight matrix of megabytes; this is most of a pass's cost. */
static int order_columns(const rl_csr *X, const float *w, uint32_t *perm)
{
	uint32_t d = X->n_cols;
	col_count *c = calloc((size_t)d + 1, sizeof *c);
	if (!c)
		return RL_ENOMEM;
	for (uint32_t k = 0; k < d; k++)
		c[k].col = k;
	for (uint32_t i = 0; i < X->n_rows; i++)
		if (w[i] > 0)
			for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1];
			     p++)
				c[X->indices[p]].n++;
	qsort(c, d, sizeof *c, by_count);
	for (uint32_t k = 0; k < d; k++)
		perm[c[k].col] = k;
	free(c);
	return RL_OK;
}

static double dot(const double *a, const double *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

int rl_logreg_train(const rl_csr *X, const float *T, const float *w,
		    uint32_t L, double lambda, uint32_t max_iter, double tol,
		    int threads, double *theta, uint32_t *iters,
		    rl_progress_fn progress, void *ctx)
{
	return rl_logreg_train_from(X, T, w, L, lambda, max_iter, tol, threads,
				    NULL, theta, iters, progress, ctx);
}

int rl_logreg_train_from(const rl_csr *X, const float *T, const float *w,
			 uint32_t L, double lambda, uint32_t max_iter,
			 double tol, int threads, const double *start,
			 double *theta, uint32_t *iters,
			 rl_progress_fn progress, void *ctx)
{
	enum { M = 10, WINDOW = 10 };
	double hist[WINDOW];	/* the loss of the last WINDOW iterations */
	uint32_t d = X->n_cols;
	size_t sz = (size_t)(d + 1) * L;
	if (threads < 1)
		threads = 1;
	double *g = malloc(sz * sizeof *g), *g2 = malloc(sz * sizeof *g2);
	double *dir = malloc(sz * sizeof *dir), *x2 = malloc(sz * sizeof *x2);
	double *S = malloc(M * sz * sizeof *S), *Yv = malloc(M * sz * sizeof *Yv);
	double *hd = calloc(sz, sizeof *hd);
	double *th = malloc(sz * sizeof *th);	/* theta, rows by perm */
	uint32_t *perm = malloc(((size_t)d + 1) * sizeof *perm);
	double rho[M], alpha[M];
	lr_job j = { .X = X, .perm = perm, .T = T, .w = w, .L = L, .d = d };
	j.grad = malloc((size_t)threads * sz * sizeof *j.grad);
	j.loss = calloc((size_t)threads, sizeof *j.loss);
	int rc = RL_ENOMEM;
	uint32_t it = 0, m = 0, head = 0;
	if (!g || !g2 || !dir || !x2 || !S || !Yv || !hd || !th || !perm ||
	    !j.grad || !j.loss || order_columns(X, w, perm) != RL_OK) {
		rc = RL_ENOMEM;
		goto out;
	}
	/* A diagonal preconditioner: the Hessian's diagonal bound
	 * lambda + sum_i w_i x_ij^2 / 4 per weight, so rare and frequent
	 * features, sparse and dense columns, move at their own scale. */
	{
		double wsum = 0;
		for (uint32_t i = 0; i < X->n_rows; i++) {
			if (w[i] <= 0)
				continue;
			wsum += w[i];
			for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1];
			     p++)
				hd[(size_t)perm[X->indices[p]] * L] +=
					w[i] * X->values[p] * X->values[p];
		}
		/* Column c's sum sits in its label-0 slot until spread
		 * over its L slots (from the last, so it is read first). A
		 * column no weighted row uses, with lambda 0, has a flat
		 * direction: scale 1 keeps the division finite. */
		for (uint32_t c = 0; c < d; c++) {
			double h = lambda + 0.25 * hd[(size_t)c * L];
			for (uint32_t l = L; l-- > 0;)
				hd[(size_t)c * L + l] = h > 0 ? h : 1;
		}
		for (uint32_t l = 0; l < L; l++)
			hd[(size_t)d * L + l] = wsum > 0 ? 0.25 * wsum : 1;
	}
	if (start) {
		for (uint32_t c = 0; c < d; c++)
			memcpy(th + (size_t)perm[c] * L, start + (size_t)c * L,
			       L * sizeof *th);
		memcpy(th + (size_t)d * L, start + (size_t)d * L,
		       L * sizeof *th);
	} else {
		memset(th, 0, sz * sizeof *th);
	}
	double f;
	j.theta = th;
	if ((rc = evaluate(&j, threads, lambda, &f, g)) != RL_OK)
		goto out;
	for (it = 0; it < max_iter; it++) {
		double gn = sqrt(dot(g, g, sz));
		if (gn < 1e-6 * (1 + fabs(f)))
			break;
		/* Two-loop recursion: dir = -H g. */
		memcpy(dir, g, sz * sizeof *dir);
		for (uint32_t k = 0; k < m; k++) {
			uint32_t c = (head + M - 1 - k) % M;
			alpha[c] = rho[c] * dot(S + c * sz, dir, sz);
			for (size_t q = 0; q < sz; q++)
				dir[q] -= alpha[c] * Yv[c * sz + q];
		}
		if (m) {
			uint32_t c = (head + M - 1) % M;
			double yhy = 0;
			for (size_t q = 0; q < sz; q++)
				yhy += Yv[c * sz + q] * Yv[c * sz + q] / hd[q];
			double gamma = dot(S + c * sz, Yv + c * sz, sz) / yhy;
			for (size_t q = 0; q < sz; q++)
				dir[q] *= gamma / hd[q];
		} else {
			for (size_t q = 0; q < sz; q++)
				dir[q] /= hd[q];
		}
		for (uint32_t k = m; k-- > 0;) {
			uint32_t c = (head + M - 1 - k) % M;
			double beta = rho[c] * dot(Yv + c * sz, dir, sz);
			for (size_t q = 0; q < sz; q++)
				dir[q] += S[c * sz + q] * (alpha[c] - beta);
		}
		for (size_t q = 0; q < sz; q++)
			dir[q] = -dir[q];
		double slope = dot(g, dir, sz);
		if (slope >= 0) {
			/* Not a descent direction: restart from the gradient. */
			for (size_t q = 0; q < sz; q++)
				dir[q] = -g[q] / gn;
			slope = -gn;
			m = 0;
		}
		/* Backtracking line search (Armijo). */
		double step = 1, f2 = f;
		int ok = 0;
		for (int tries = 0; tries < 30; tries++) {
			for (size_t q = 0; q < sz; q++)
				x2[q] = th[q] + step * dir[q];
			j.theta = x2;
			if ((rc = evaluate(&j, threads, lambda, &f2, g2)) !=
			    RL_OK)
				goto out;
			if (f2 <= f + 1e-4 * step * slope) {
				ok = 1;
				break;
			}
			step *= 0.5;
		}
		j.theta = th;
		if (!ok)
			break;
		double *sv = S + head * sz, *yv = Yv + head * sz;
		for (size_t q = 0; q < sz; q++) {
			sv[q] = x2[q] - th[q];
			yv[q] = g2[q] - g[q];
		}
		double sy = dot(sv, yv, sz);
		memcpy(th, x2, sz * sizeof *th);
		memcpy(g, g2, sz * sizeof *g);
		double rel = fabs(f - f2) / (fabs(f) > 1 ? fabs(f) : 1);
		hist[it % WINDOW] = f;
		f = f2;
		if (sy > 1e-12) {
			rho[head] = 1 / sy;
			head = (head + 1) % M;
			if (m < M)
				m++;
		}
		if (progress && progress(ctx, "train", it + 1, max_iter)) {
			rc = RL_ECANCELED;
			goto out;
		}
		if (rel < 1e-9)
			break;
		/* Converged for practical purposes: the last WINDOW
		 * iterations together gained less than tol of the loss. */
		if (it + 1 >= WINDOW &&
		    hist[(it + 1) % WINDOW] - f <= tol * fabs(f))
			break;
	}
	if (iters)
		*iters = it;
	for (uint32_t c = 0; c < d; c++)
		memcpy(theta + (size_t)c * L, th + (size_t)perm[c] * L,
		       L * sizeof *theta);
	memcpy(theta + (size_t)d * L, th + (size_t)d * L, L * sizeof *theta);
	rc = RL_OK;
out:
	free(g);
	free(g2);
	free(dir);
	free(x2);
	free(S);
	free(Yv);
	free(hd);
	free(th);
	free(perm);
	free(j.grad);
	free(j.loss);
	return rc;
}

/* ---- one-vs-rest: L binary logistic regressions in one pass ---- */

/*
 * Label l's loss is that of the two-class softmax fit of l against its
 * absence that rl_model_multi made label by label before: sum_i W_il *
 * (softplus(z_il) - T_il z_il), z_il = x_i v_l + c_l, plus L2. The
 * two-class fit puts lambda/2 (|w1|^2 + |w2|^2) on its two columns, and
 * only v = w1 - w2 reaches a logit; for a given v the penalty is least
 * at w1 = -w2 = v/2 (where the fit's optimum lies), lambda/4 |v|^2: so
 * here the binary weights carry L2 of strength lambda/2, and the
 * optimum is the same v.
 * The bias is not regularised in either.
 *
 * The labels' losses share no parameter, so the Hessian of their sum is
 * block-diagonal by label: the one L-BFGS over all (d + 1) L parameters
 * keeps its curvature pairs, step length and line search per label
 * (a quasi-Newton model of that block-diagonal Hessian), and one pass
 * over X per round evaluates every label still fitting at its own trial
 * point. In exact arithmetic each label follows the iterates its
 * two-class fit would (v = 2 w1; the preconditioner and the
 * gradient-norm test are scaled to match), so it stops where that fit
 * stops, by the same rule on its own loss (rounding apart: 1e-8 of the
 * weights in the tests): no label is stopped early because the others
 * have converged, none is held back by them, and a label that is done
 * leaves the pass.
 */

typedef struct ovr_job {
	const rl_csr *X;
	const uint32_t *perm;	/* [n_cols] column -> row of theta */
	const float *T, *W;	/* [n][L] targets and weights */
	const uint32_t *act;	/* [La] the labels still fitting */
	uint32_t L, La;
	uint32_t d;		/* columns the weighted rows use (perm's
				   first d) */
	const double *theta;	/* packed [d + 1][La], bias row last */
	double *grad;		/* [threads][(d + 1) La] */
	double *loss;		/* [threads][La] */
	int failed;
} ovr_job;

static void ovr_part(void *ctx, int t, int nt)
{
	ovr_job *j = ctx;
	const rl_csr *X = j->X;
	uint32_t n = X->n_rows, L = j->L, La = j->La, d = j->d;
	uint32_t lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	double *g = j->grad + (size_t)t * (d + 1) * La;
	double *loss = j->loss + (size_t)t * La;
	double *z = malloc(2 * (size_t)La * sizeof *z);
	memset(g, 0, (size_t)(d + 1) * La * sizeof *g);
	memset(loss, 0, La * sizeof *loss);
	if (!z) {
		j->failed = 1;
		return;
	}
	double *r = z + La;
	const double *b = j->theta + (size_t)d * La;
	for (uint32_t i = lo; i < hi; i++) {
		const float *w = j->W + (size_t)i * L;
		const float *tt = j->T + (size_t)i * L;
		int any = 0;
		for (uint32_t k = 0; k < La; k++)
			any |= w[j->act[k]] > 0;
		if (!any)
			continue;
		memcpy(z, b, La * sizeof *z);
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
			if (p + OVR_AHEAD < X->indptr[i + 1])
				prefetch_row(j->theta, j->perm,
					     X->indices[p + OVR_AHEAD], La, 0);
			const double *wr = j->theta +
				(size_t)j->perm[X->indices[p]] * La;
			double v = X->values[p];
			for (uint32_t k = 0; k < La; k++)
				z[k] += v * wr[k];
		}
		for (uint32_t k = 0; k < La; k++) {
			double wk = w[j->act[k]], tk = tt[j->act[k]];
			if (!(wk > 0)) {
				r[k] = 0;
				continue;
			}
			/* -t log sigmoid(z) - (1 - t) log sigmoid(-z) */
			double e = exp(-fabs(z[k]));
			loss[k] += wk * ((z[k] > 0 ? z[k] : 0) + log1p(e) -
					 tk * z[k]);
			r[k] = wk * ((z[k] >= 0 ? 1 : e) / (1 + e) - tk);
		}
		double *gb = g + (size_t)d * La;
		for (uint32_t k = 0; k < La; k++)
			gb[k] += r[k];
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
			if (p + OVR_AHEAD < X->indptr[i + 1])
				prefetch_row(g, j->perm,
					     X->indices[p + OVR_AHEAD], La, 1);
			double *gr = g + (size_t)j->perm[X->indices[p]] * La;
			double v = X->values[p];
			for (uint32_t k = 0; k < La; k++)
				gr[k] += v * r[k];
		}
	}
	free(z);
}

enum { OVR_M = 10, OVR_WINDOW = 10 };

/* One label's L-BFGS, as rl_logreg_train's loop keeps it. Vectors are
 * [du + 1]: the weights of the du columns the weighted rows use, in
 * perm order, then the bias; S and Y [OVR_M][du + 1]. */
typedef struct ovr_label {
	double *th, *g, *dir, *hd, *S, *Y;
	double f, step, slope;
	double hist[OVR_WINDOW], rho[OVR_M], alpha[OVR_M];
	uint32_t it, m, head, tries;
} ovr_label;

/* Starts label s's next iteration from its th, g, f: the two-loop
 * direction and a first trial step of 1. Returns 0 (and the label is
 * done) at the iteration cap or a gradient of next to nothing. */
static int ovr_direction(ovr_label *s, size_t sz, uint32_t max_iter)
{
	const uint32_t M = OVR_M;
	double *dir = s->dir;
	/* The two-class fit's gradient norm: its two columns are g and -g. */
	double gn = sqrt(2 * dot(s->g, s->g, sz));
	if (s->it >= max_iter || gn < 1e-6 * (1 + fabs(s->f)))
		return 0;
	memcpy(dir, s->g, sz * sizeof *dir);
	for (uint32_t k = 0; k < s->m; k++) {
		uint32_t c = (s->head + M - 1 - k) % M;
		s->alpha[c] = s->rho[c] * dot(s->S + c * sz, dir, sz);
		for (size_t q = 0; q < sz; q++)
			dir[q] -= s->alpha[c] * s->Y[c * sz + q];
	}
	if (s->m) {
		uint32_t c = (s->head + M - 1) % M;
		double yhy = 0;
		for (size_t q = 0; q < sz; q++)
			yhy += s->Y[c * sz + q] * s->Y[c * sz + q] / s->hd[q];
		double gamma = dot(s->S + c * sz, s->Y + c * sz, sz) / yhy;
		for (size_t q = 0; q < sz; q++)
			dir[q] *= gamma / s->hd[q];
	} else {
		for (size_t q = 0; q < sz; q++)
			dir[q] /= s->hd[q];
	}
	for (uint32_t k = s->m; k-- > 0;) {
		uint32_t c = (s->head + M - 1 - k) % M;
		double beta = s->rho[c] * dot(s->Y + c * sz, dir, sz);
		for (size_t q = 0; q < sz; q++)
			dir[q] += s->S[c * sz + q] * (s->alpha[c] - beta);
	}
	for (size_t q = 0; q < sz; q++)
		dir[q] = -dir[q];
	s->slope = dot(s->g, dir, sz);
	if (s->slope >= 0) {
		/* Not a descent direction: restart from the gradient (in
		 * the two-class fit's units, as above). */
		for (size_t q = 0; q < sz; q++)
			dir[q] = -2 * s->g[q] / gn;
		s->slope = -gn;
		s->m = 0;
	}
	s->step = 1;
	s->tries = 0;
	return 1;
}

/* Label s's answer at its trial point th + step dir: loss f2, gradient
 * g2 [sz]. Accepts or halves the step (Armijo, as
 * rl_logreg_train); after an accepted step checks the stopping rule and
 * starts the next iteration. Returns 0 once the label is done. */
static int ovr_advance(ovr_label *s, size_t sz, double f2,
		       const double *g2, uint32_t max_iter, double tol)
{
	const uint32_t M = OVR_M, WINDOW = OVR_WINDOW;
	if (!(f2 <= s->f + 1e-4 * s->step * s->slope)) {
		s->step *= 0.5;
		return ++s->tries < 30;
	}
	double *sv = s->S + s->head * sz, *yv = s->Y + s->head * sz;
	for (size_t q = 0; q < sz; q++) {
		double gq = g2[q];
		sv[q] = s->step * s->dir[q];
		yv[q] = gq - s->g[q];
		s->th[q] += sv[q];
		s->g[q] = gq;
	}
	double sy = dot(sv, yv, sz);
	double rel = fabs(s->f - f2) / (fabs(s->f) > 1 ? fabs(s->f) : 1);
	s->hist[s->it % WINDOW] = s->f;
	s->f = f2;
	if (sy > 1e-12) {
		s->rho[s->head] = 1 / sy;
		s->head = (s->head + 1) % M;
		if (s->m < M)
			s->m++;
	}
	uint32_t it = s->it++;
	if (rel < 1e-9)
		return 0;
	/* The last WINDOW iterations together gained less than tol. */
	if (it + 1 >= WINDOW && s->hist[(it + 1) % WINDOW] - f2 <=
	    tol * fabs(f2))
		return 0;
	return ovr_direction(s, sz, max_iter);
}

/* Copies (blocks of rows, so both sides stay in cache) between the
 * labels' own vectors and the pass's packed [sz][La]: to_packed, the
 * trial points th + step dir of the labels act [La]; otherwise the
 * packed gradient into gt [La][sz]. */
static void ovr_transpose(const ovr_label *lab, const uint32_t *act,
			  uint32_t La, size_t sz, int to_packed,
			  double *packed, double *gt)
{
	enum { B = 256 };
	for (size_t q0 = 0; q0 < sz; q0 += B) {
		size_t q1 = q0 + B < sz ? q0 + B : sz;
		for (uint32_t k = 0; k < La; k++) {
			const ovr_label *s = &lab[act[k]];
			if (to_packed)
				for (size_t q = q0; q < q1; q++)
					packed[q * La + k] = s->th[q] +
						s->step * s->dir[q];
			else
				for (size_t q = q0; q < q1; q++)
					gt[(size_t)k * sz + q] =
						packed[q * La + k];
		}
	}
}

int rl_ovr_train(const rl_csr *X, const float *T, const float *W,
		 uint32_t L, double lambda, uint32_t max_iter, double tol,
		 int threads, double *theta, uint32_t *iters,
		 rl_progress_fn progress, void *ctx)
{
	const uint32_t M = OVR_M;
	uint32_t d = X->n_cols, n = X->n_rows;
	if (threads < 1)
		threads = 1;
	ovr_label *lab = calloc((size_t)L + 1, sizeof *lab);
	uint32_t *perm = malloc(((size_t)d + 1) * sizeof *perm);
	uint32_t *act = malloc(((size_t)L + 1) * sizeof *act);
	float *any = malloc(((size_t)n + 1) * sizeof *any);
	uint8_t *used = calloc((size_t)d + 1, 1);
	double *f2 = calloc((size_t)L + 1, sizeof *f2);
	double *vec = NULL, *packed = NULL, *gt = NULL;
	ovr_job j = { .X = X, .perm = perm, .T = T, .W = W, .act = act,
		      .L = L };
	int rc = RL_ENOMEM;
	if (!lab || !perm || !act || !any || !used || !f2)
		goto out;
	/* The columns ordered by the rows any label weighs (order_columns
	 * takes one weight a row); those rows use the first du of them. A
	 * column no such row has gets gradient lambda/2 v from v = 0: it
	 * stays 0 in every fit, so the fits leave it out altogether. */
	uint32_t du = 0;
	for (uint32_t i = 0; i < n; i++) {
		any[i] = 0;
		for (uint32_t l = 0; l < L; l++)
			if (W[(size_t)i * L + l] > 0)
				any[i] = 1;
		for (uint64_t p = X->indptr[i]; any[i] && p < X->indptr[i + 1];
		     p++)
			if (!used[X->indices[p]]) {
				used[X->indices[p]] = 1;
				du++;
			}
	}
	if ((rc = order_columns(X, any, perm)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	/* Every vector [sz]: the used columns' weights, then the bias. */
	size_t sz = (size_t)du + 1, all = sz * L;
	vec = malloc((4 + 2 * (size_t)M) * all * sizeof *vec + 1);
	packed = malloc(all * sizeof *packed + 1);
	gt = malloc(all * sizeof *gt + 1);
	j.grad = malloc((size_t)threads * all * sizeof *j.grad + 1);
	j.loss = malloc((size_t)threads * L * sizeof *j.loss + 1);
	j.d = du;
	j.theta = packed;
	if (!vec || !packed || !gt || !j.grad || !j.loss)
		goto out;
	for (uint32_t l = 0; l < L; l++) {
		ovr_label *s = &lab[l];
		double *base = vec + (size_t)l * (4 + 2 * M) * sz;
		s->th = base;
		s->g = base + sz;
		s->dir = base + 2 * sz;
		s->hd = base + 3 * sz;
		s->S = base + 4 * sz;
		s->Y = base + (4 + M) * sz;
		memset(s->th, 0, 4 * sz * sizeof *s->th);
	}
	/* The preconditioner of rl_logreg_train's two-class fit, halved: v
	 * is twice that fit's first column, so its Hessian is a quarter
	 * of that column's and its gradient half the two columns' norm,
	 * and with this diagonal L-BFGS takes the same steps. */
	double *wsum = f2;
	for (uint32_t i = 0; i < n; i++) {
		if (!any[i])
			continue;
		const float *w = W + (size_t)i * L;
		for (uint32_t l = 0; l < L; l++) {
			if (!(w[l] > 0))
				continue;
			wsum[l] += w[l];
			double *hd = lab[l].hd;
			for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1];
			     p++)
				hd[perm[X->indices[p]]] += w[l] *
					X->values[p] * X->values[p];
		}
	}
	for (uint32_t l = 0; l < L; l++) {
		double *hd = lab[l].hd;
		for (uint32_t c = 0; c < du; c++) {
			double h = lambda + 0.25 * hd[c];
			hd[c] = 0.5 * (h > 0 ? h : 1);
		}
		hd[du] = 0.5 * (wsum[l] > 0 ? 0.25 * wsum[l] : 1);
		act[l] = l;
	}
	/* The first round evaluates every label at 0 (th, step, dir 0). */
	uint32_t La = L, first = 1, shown = 0;
	while (La > 0) {
		ovr_transpose(lab, act, La, sz, 1, packed, NULL);
		j.La = La;
		j.failed = 0;
		if ((rc = rl_parallel(threads, ovr_part, &j)) != RL_OK)
			goto out;
		if (j.failed) {
			rc = RL_ENOMEM;
			goto out;
		}
		size_t pz = sz * La;
		for (int t = 1; t < threads; t++) {
			for (size_t q = 0; q < pz; q++)
				j.grad[q] += j.grad[(size_t)t * pz + q];
			for (uint32_t k = 0; k < La; k++)
				j.loss[k] += j.loss[(size_t)t * La + k];
		}
		/* L2 on the weights (not the bias row): lambda/4 |v|^2. */
		for (uint32_t k = 0; k < La; k++)
			f2[k] = j.loss[k];
		for (uint32_t c = 0; c < du; c++) {
			const double *x = packed + (size_t)c * La;
			double *gr = j.grad + (size_t)c * La;
			for (uint32_t k = 0; k < La; k++) {
				f2[k] += 0.25 * lambda * x[k] * x[k];
				gr[k] += 0.5 * lambda * x[k];
			}
		}
		ovr_transpose(lab, act, La, sz, 0, j.grad, gt);
		uint32_t keep = 0;
		for (uint32_t k = 0; k < La; k++) {
			ovr_label *s = &lab[act[k]];
			const double *g2 = gt + (size_t)k * sz;
			int fitting;
			if (first) {
				s->f = f2[k];
				memcpy(s->g, g2, sz * sizeof *g2);
				fitting = ovr_direction(s, sz, max_iter);
			} else {
				fitting = ovr_advance(s, sz, f2[k], g2,
						      max_iter, tol);
			}
			if (fitting)
				act[keep++] = act[k];
			if (s->it > shown)
				shown = s->it;
		}
		La = keep;
		first = 0;
		if (progress && progress(ctx, "train", shown, max_iter)) {
			rc = RL_ECANCELED;
			goto out;
		}
	}
	for (uint32_t l = 0; l < L; l++) {
		for (uint32_t c = 0; c < d; c++)
			theta[(size_t)c * L + l] = perm[c] < du
				? lab[l].th[perm[c]] : 0;
		theta[(size_t)d * L + l] = lab[l].th[du];
		if (iters)
			iters[l] = lab[l].it;
	}
	rc = RL_OK;
out:
	free(lab);
	free(vec);
	free(packed);
	free(gt);
	free(perm);
	free(act);
	free(any);
	free(used);
	free(f2);
	free(j.grad);
	free(j.loss);
	return rc;
}

void rl_logreg_predict(const rl_csr *X, uint32_t i, const double *theta,
		       uint32_t L, double *p)
{
	softmax_row(X, i, theta, NULL, L, X->n_cols, p);
}

void rl_linear_logits(const rl_csr *X, uint32_t i, const double *theta,
		      uint32_t L, double *z)
{
	uint32_t d = X->n_cols;
	const double *b = theta + (size_t)d * L;
	for (uint32_t l = 0; l < L; l++)
		z[l] = b[l];
	for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
		const double *wr = theta + (size_t)X->indices[p] * L;
		double v = X->values[p];
		for (uint32_t l = 0; l < L; l++)
			z[l] += v * wr[l];
	}
}

int rl_nb_train(const rl_csr *X, const float *T, const float *w, uint32_t L,
		double smoothing, double *theta)
{
	uint32_t d = X->n_cols;
	double *tot = calloc((size_t)L + 1, sizeof *tot);
	double *prior = calloc((size_t)L + 1, sizeof *prior);
	double *share = malloc(((size_t)L + 1) * sizeof *share);
	uint32_t *on = malloc(((size_t)L + 1) * sizeof *on);
	if (!tot || !prior || !share || !on) {
		free(tot);
		free(prior);
		free(share);
		free(on);
		return RL_ENOMEM;
	}
	/* theta: log P(feature | label) [d][L], then log prior [L]. */
	memset(theta, 0, (size_t)(d + 1) * L * sizeof *theta);
	for (uint32_t i = 0; i < X->n_rows; i++) {
		if (w[i] <= 0)
			continue;
		/* Only the labels the row has a share of: a hand label or
		 * a sure propagated one is one label, not L. */
		uint32_t n_on = 0;
		double sum = 0;
		const float *t = T + (size_t)i * L;
		for (uint32_t l = 0; l < L; l++) {
			prior[l] += w[i] * t[l];
			if (t[l] > 0) {
				on[n_on] = l;
				share[n_on++] = w[i] * t[l];
			}
		}
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
			double v = X->values[p] > 0 ? X->values[p] : 0;
			double *row = theta + (size_t)X->indices[p] * L;
			sum += v;
			for (uint32_t k = 0; k < n_on; k++)
				row[on[k]] += share[k] * v;
		}
		for (uint32_t k = 0; k < n_on; k++)
			tot[on[k]] += share[k] * sum;
	}
	double ptot = 0;
	for (uint32_t l = 0; l < L; l++)
		ptot += prior[l];
	for (uint32_t f = 0; f < d; f++)
		for (uint32_t l = 0; l < L; l++)
			theta[(size_t)f * L + l] =
				log((theta[(size_t)f * L + l] + smoothing) /
				    (tot[l] + smoothing * d));
	for (uint32_t l = 0; l < L; l++)
		theta[(size_t)d * L + l] = log((prior[l] + 1) / (ptot + L));
	free(tot);
	free(prior);
	free(share);
	free(on);
	return RL_OK;
}

int rl_cnb_train(const rl_csr *X, const float *T, const float *w, uint32_t L,
		 double smoothing, double *theta)
{
	uint32_t d = X->n_cols;
	double *cnt = calloc((size_t)d * L + 1, sizeof *cnt);
	double *tot = calloc((size_t)L + 1, sizeof *tot);
	double *all = calloc((size_t)d + 1, sizeof *all);
	double *norm = calloc((size_t)L + 1, sizeof *norm);
	double *share = malloc(((size_t)L + 1) * sizeof *share);
	uint32_t *on = malloc(((size_t)L + 1) * sizeof *on);
	int rc = RL_ENOMEM;
	if (!cnt || !tot || !all || !norm || !share || !on)
		goto out;
	double grand = 0;
	for (uint32_t i = 0; i < X->n_rows; i++) {
		if (w[i] <= 0)
			continue;
		const float *t = T + (size_t)i * L;
		uint32_t n_on = 0;
		double sum = 0;
		for (uint32_t l = 0; l < L; l++)
			if (t[l] > 0) {
				on[n_on] = l;
				share[n_on++] = w[i] * t[l];
			}
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
			double v = X->values[p] > 0 ? X->values[p] : 0;
			uint32_t f = X->indices[p];
			all[f] += w[i] * v;
			sum += v;
			for (uint32_t k = 0; k < n_on; k++)
				cnt[(size_t)f * L + on[k]] += share[k] * v;
		}
		grand += w[i] * sum;
		for (uint32_t k = 0; k < n_on; k++)
			tot[on[k]] += share[k] * sum;
	}
	/* Complement NB (Rennie et al. 2003): each label's weights come
	 * from the counts of all other labels, which is steadier when
	 * labels are unbalanced; weights are normalised per label, and the
	 * sign is flipped so that the usual argmax of x.theta applies. */
	for (uint32_t f = 0; f < d; f++)
		for (uint32_t l = 0; l < L; l++) {
			double c = all[f] - cnt[(size_t)f * L + l];
			double tc = grand - tot[l];
			double lw = log((c + smoothing) / (tc + smoothing * d));
			theta[(size_t)f * L + l] = lw;
			norm[l] += fabs(lw);
		}
	for (uint32_t f = 0; f < d; f++)
		for (uint32_t l = 0; l < L; l++)
			theta[(size_t)f * L + l] = norm[l] > 0
				? -theta[(size_t)f * L + l] / norm[l] : 0;
	for (uint32_t l = 0; l < L; l++)
		theta[(size_t)d * L + l] = 0;
	rc = RL_OK;
out:
	free(cnt);
	free(tot);
	free(all);
	free(norm);
	free(share);
	free(on);
	return rc;
}

int rl_argmax(const double *p, uint32_t L)
{
	int best = -1;
	double bv = 0;
	for (uint32_t l = 0; l < L; l++)
		if (p[l] > bv) {
			bv = p[l];
			best = (int)l;
		}
	return best;
}
