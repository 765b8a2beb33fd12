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

static inline __attribute__((always_inline)) void
softmax_row(const rl_csr *X, uint32_t i, const double *theta,
	    const uint32_t *perm, uint32_t L, uint32_t d, double *z)
{
	const double *b = theta + (size_t)d * L;
	for (uint32_t l = 0; l < L; l++)
		z[l] = b[l];
	for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
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
		for (uint64_t p = j->X->indptr[i]; p < j->X->indptr[i + 1];
		     p++) {
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
	memset(th, 0, sz * sizeof *th);
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
