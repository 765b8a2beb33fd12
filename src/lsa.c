/*
 * lsa.c - latent semantic analysis: a randomized truncated SVD of the
 * TF-IDF matrix (Halko, Martinsson & Tropp 2011, algorithm 4.4), so short
 * reviews that share no word ("cheap" / "good price") can still be near.
 *
 * Shapes: X is n x V sparse; the test matrix and its images are dense,
 * row-major, l = dim + oversample columns wide. Columns of the n-side
 * images are made orthonormal through the eigen-decomposition of their
 * l x l Gram matrix (robust when X has lower rank than l). Every product
 * is split over threads by rows; per-thread partial sums are added in
 * thread order, so results depend only on the seed and thread count.
 * Every product steps the tick (kernels.h) each 1024 rows, about a
 * millisecond, so a cancel stops a fit of millions of rows at once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

/* Hot loops get an AVX2 clone picked at load time on CPUs that have it;
 * the default clone keeps the build portable. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("avx2", "default")))
#else
#define HOT
#endif

void rl_lsa_free(rl_lsa *m)
{
	if (!m)
		return;
	free(m->components);
	free(m->sigma);
	free(m->live);
	memset(m, 0, sizeof *m);
}

/* ---- symmetric eigen-decomposition (cyclic Jacobi) ---- */

/* a[n][n] symmetric is destroyed; w[n] eigenvalues descending, v[n][n]
 * eigenvectors in columns. */
static void jacobi_eigen(double *a, uint32_t n, double *w, double *v)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			v[i * n + j] = i == j;
	for (int sweep = 0; sweep < 60; sweep++) {
		double off = 0, diag = 0;
		for (uint32_t i = 0; i < n; i++) {
			diag += a[i * n + i] * a[i * n + i];
			for (uint32_t j = i + 1; j < n; j++)
				off += a[i * n + j] * a[i * n + j];
		}
		if (off <= 1e-30 * (diag + 1e-300))
			break;
		for (uint32_t p = 0; p < n; p++) {
			for (uint32_t q = p + 1; q < n; q++) {
				double apq = a[p * n + q];
				if (fabs(apq) < 1e-300)
					continue;
				double app = a[p * n + p], aqq = a[q * n + q];
				double theta = (aqq - app) / (2 * apq);
				double t = (theta >= 0 ? 1 : -1) /
					   (fabs(theta) +
					    sqrt(theta * theta + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (uint32_t k = 0; k < n; k++) {
					double akp = a[k * n + p];
					double akq = a[k * n + q];
					a[k * n + p] = c * akp - s * akq;
					a[k * n + q] = s * akp + c * akq;
				}
				for (uint32_t k = 0; k < n; k++) {
					double apk = a[p * n + k];
					double aqk = a[q * n + k];
					a[p * n + k] = c * apk - s * aqk;
					a[q * n + k] = s * apk + c * aqk;
				}
				for (uint32_t k = 0; k < n; k++) {
					double vkp = v[k * n + p];
					double vkq = v[k * n + q];
					v[k * n + p] = c * vkp - s * vkq;
					v[k * n + q] = s * vkp + c * vkq;
				}
			}
		}
	}
	/* Sort eigenpairs by eigenvalue, descending (selection sort: n is
	 * small). */
	for (uint32_t i = 0; i < n; i++)
		w[i] = a[i * n + i];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t best = i;
		for (uint32_t j = i + 1; j < n; j++)
			if (w[j] > w[best])
				best = j;
		if (best == i)
			continue;
		double t = w[i];
		w[i] = w[best];
		w[best] = t;
		for (uint32_t k = 0; k < n; k++) {
			t = v[k * n + i];
			v[k * n + i] = v[k * n + best];
			v[k * n + best] = t;
		}
	}
}

/* ---- threaded dense and sparse products ---- */

/* The tick, and what it hears: the fit's phase `done` of `total`. */
typedef struct lsa_tick {
	rl_tick *tick;
	uint64_t done, total;
} lsa_tick;

typedef struct job {
	const rl_csr *X;
	const float *in;	/* dense input */
	float *out;		/* dense output */
	double *gram;		/* [threads][l][l] partial Gram matrices */
	float *partial;		/* [threads][rows][l] partial sums */
	const float *mf;	/* [l][l] mixing matrix, or [l][cols] */
	float *dst;		/* [rows][cols] for mul_small */
	uint32_t rows, l, cols;
	int failed;		/* a worker could not allocate */
	const lsa_tick *tk;	/* or NULL */
} job;

static void range(uint32_t n, int t, int nt, uint32_t *lo, uint32_t *hi)
{
	*lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	*hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) / (uint64_t)nt);
}

/* Thread t at row i of its rows lo..: every 1024 rows, thread 0 steps
 * the tick and the others read it. Non-zero: stop now. */
static int part_tick(const job *j, int t, uint32_t i, uint32_t lo)
{
	return i > lo && ((i - lo) & 1023) == 0 && j->tk &&
	       rl_tick_part(j->tk->tick, t, j->tk->done, j->tk->total);
}

/* RL_ECANCELED once the tick of tk stopped, else rc. */
static int stopped(const lsa_tick *tk, int rc)
{
	return rc == RL_OK && tk && rl_tick_stopped(tk->tick) ? RL_ECANCELED
							      : rc;
}

/* out[n][l] = X[n][V] * in[V][l] */
HOT static void mul_x(void *ctx, int t, int nt)
{
	job *j = ctx;
	uint32_t lo, hi, l = j->l;
	range(j->X->n_rows, t, nt, &lo, &hi);
	double *acc = calloc(l, sizeof *acc);
	if (!acc) {
		j->failed = 1;
		return;
	}
	for (uint32_t i = lo; i < hi; i++) {
		if (part_tick(j, t, i, lo))
			break;
		memset(acc, 0, l * sizeof *acc);
		for (uint64_t p = j->X->indptr[i]; p < j->X->indptr[i + 1];
		     p++) {
			const float *row = j->in + (size_t)j->X->indices[p] * l;
			double x = j->X->values[p];
			for (uint32_t c = 0; c < l; c++)
				acc[c] += x * row[c];
		}
		float *o = j->out + (size_t)i * l;
		for (uint32_t c = 0; c < l; c++)
			o[c] = (float)acc[c];
	}
	free(acc);
}

/* partial[t][V][l] = X[lo..hi]^T * in[lo..hi][l] */
HOT static void mul_xt(void *ctx, int t, int nt)
{
	job *j = ctx;
	uint32_t lo, hi, l = j->l;
	range(j->X->n_rows, t, nt, &lo, &hi);
	float *z = j->partial + (size_t)t * j->rows * l;
	memset(z, 0, (size_t)j->rows * l * sizeof *z);
	for (uint32_t i = lo; i < hi; i++) {
		if (part_tick(j, t, i, lo))
			return;
		const float *q = j->in + (size_t)i * l;
		for (uint64_t p = j->X->indptr[i]; p < j->X->indptr[i + 1];
		     p++) {
			float *row = z + (size_t)j->X->indices[p] * l;
			float x = j->X->values[p];
			for (uint32_t c = 0; c < l; c++)
				row[c] += x * q[c];
		}
	}
}

/* Rows summed in float before their sum joins the double total: 8
 * lanes an instruction, and a float sum of 64 products loses nothing the
 * float inputs had. */
#define GRAM_BLOCK 64

/* gram[t] = A[lo..hi]^T A[lo..hi], A = out[rows][l] */
HOT static void gram_part(void *ctx, int t, int nt)
{
	job *j = ctx;
	uint32_t lo, hi, l = j->l;
	range(j->rows, t, nt, &lo, &hi);
	double *g = j->gram + (size_t)t * l * l;
	float *gf = calloc((size_t)l * l, sizeof *gf);
	memset(g, 0, (size_t)l * l * sizeof *g);
	if (!gf) {
		j->failed = 1;
		return;
	}
	for (uint32_t b = lo; b < hi; b += GRAM_BLOCK) {
		uint32_t e = b + GRAM_BLOCK < hi ? b + GRAM_BLOCK : hi;
		if (part_tick(j, t, b, lo))
			break;
		for (uint32_t i = b; i < e; i++) {
			const float *a = j->out + (size_t)i * l;
			for (uint32_t r = 0; r < l; r++) {
				float ar = a[r];
				if (ar == 0)
					continue;
				float *gr = gf + (size_t)r * l;
				for (uint32_t c = r; c < l; c++)
					gr[c] += ar * a[c];
			}
		}
		for (uint32_t r = 0; r < l; r++)
			for (uint32_t c = r; c < l; c++) {
				g[r * l + c] += gf[r * l + c];
				gf[r * l + c] = 0;
			}
	}
	free(gf);
}

/* out[i] = out[i] * mf, row by row, in float: the products only need
 * to span the right subspace, and a final pass in orthonormalize() cleans
 * up rounding. */
HOT static void mix_rows(void *ctx, int t, int nt)
{
	job *j = ctx;
	uint32_t lo, hi, l = j->l;
	range(j->rows, t, nt, &lo, &hi);
	float *tmp = malloc(l * sizeof *tmp);
	if (!tmp) {
		j->failed = 1;
		return;
	}
	for (uint32_t i = lo; i < hi; i++) {
		if (part_tick(j, t, i, lo))
			break;
		float *a = j->out + (size_t)i * l;
		memset(tmp, 0, l * sizeof *tmp);
		for (uint32_t r = 0; r < l; r++) {
			float ar = a[r];
			if (ar == 0)
				continue;
			const float *mr = j->mf + (size_t)r * l;
			for (uint32_t c = 0; c < l; c++)
				tmp[c] += ar * mr[c];
		}
		memcpy(a, tmp, l * sizeof *tmp);
	}
	free(tmp);
}

/* dst[i] = out[i] * mf, out[rows][l], mf[l][cols] */
HOT static void mul_small(void *ctx, int t, int nt)
{
	job *j = ctx;
	uint32_t lo, hi, l = j->l, cols = j->cols;
	range(j->rows, t, nt, &lo, &hi);
	for (uint32_t i = lo; i < hi; i++) {
		if (part_tick(j, t, i, lo))
			return;
		const float *a = j->out + (size_t)i * l;
		float *o = j->dst + (size_t)i * cols;
		memset(o, 0, cols * sizeof *o);
		for (uint32_t r = 0; r < l; r++) {
			float ar = a[r];
			if (ar == 0)
				continue;
			const float *mr = j->mf + (size_t)r * cols;
			for (uint32_t c = 0; c < cols; c++)
				o[c] += ar * mr[c];
		}
	}
}

/* Gram matrix of a[rows][l] into g[l][l] (full, symmetric). */
static int gram(float *a, uint32_t rows, uint32_t l, int threads, double *g,
		const lsa_tick *tk)
{
	job j = { .out = a, .rows = rows, .l = l, .tk = tk };
	j.gram = malloc((size_t)threads * l * l * sizeof *j.gram);
	if (!j.gram)
		return RL_ENOMEM;
	int rc = stopped(tk, rl_parallel(threads, gram_part, &j));
	if (rc == RL_OK && j.failed)
		rc = RL_ENOMEM;
	if (rc == RL_OK) {
		memset(g, 0, (size_t)l * l * sizeof *g);
		for (int t = 0; t < threads; t++)
			for (size_t i = 0; i < (size_t)l * l; i++)
				g[i] += j.gram[(size_t)t * l * l + i];
		for (uint32_t r = 0; r < l; r++)
			for (uint32_t c = 0; c < r; c++)
				g[r * l + c] = g[c * l + r];
	}
	free(j.gram);
	return rc;
}

/* Makes the columns of a[rows][l] orthonormal (columns in the null space
 * become zero): a <- a W diag(1/sqrt(lambda)) from the Gram matrix's
 * eigen-decomposition. A second pass restores accuracy lost in float when
 * the columns were nearly dependent; intermediate power iterations need
 * only the span, so they do one. */
static int orthonormalize(float *a, uint32_t rows, uint32_t l, int threads,
			  int passes, const lsa_tick *tk)
{
	double *g = malloc((size_t)l * l * sizeof *g);
	double *v = malloc((size_t)l * l * sizeof *v);
	float *vf = malloc((size_t)l * l * sizeof *vf);
	double *w = malloc(l * sizeof *w);
	int rc = RL_ENOMEM;
	if (!g || !v || !vf || !w)
		goto out;
	for (int pass = 0; pass < passes; pass++) {
		if ((rc = gram(a, rows, l, threads, g, tk)) != RL_OK)
			goto out;
		jacobi_eigen(g, l, w, v);
		double floor = w[0] * 1e-10;
		for (uint32_t c = 0; c < l; c++) {
			double s = w[c] > floor && w[c] > 0 ? 1 / sqrt(w[c])
							    : 0;
			for (uint32_t r = 0; r < l; r++)
				vf[r * l + c] = (float)(v[r * l + c] * s);
		}
		job j = { .out = a, .rows = rows, .l = l, .mf = vf, .tk = tk };
		if ((rc = stopped(tk, rl_parallel(threads, mix_rows, &j))) !=
		    RL_OK)
			goto out;
		if (j.failed) {
			rc = RL_ENOMEM;
			goto out;
		}
	}
	rc = RL_OK;
out:
	free(g);
	free(v);
	free(vf);
	free(w);
	return rc;
}

static int times_x(const rl_csr *X, const float *in, uint32_t l,
		   int threads, float *out, const lsa_tick *tk)
{
	job j = { .X = X, .in = in, .out = out, .l = l, .rows = X->n_rows,
		  .tk = tk };
	int rc = stopped(tk, rl_parallel(threads, mul_x, &j));
	return rc == RL_OK && j.failed ? RL_ENOMEM : rc;
}

/* out[V][l] = X^T in, in[n][l] */
static int times_xt(const rl_csr *X, const float *in, uint32_t l,
		    int threads, float *out, const lsa_tick *tk)
{
	job j = { .X = X, .in = in, .l = l, .rows = X->n_cols, .tk = tk };
	j.partial = malloc((size_t)threads * X->n_cols * l * sizeof(float));
	if (!j.partial)
		return RL_ENOMEM;
	int rc = stopped(tk, rl_parallel(threads, mul_xt, &j));
	if (rc == RL_OK) {
		size_t sz = (size_t)X->n_cols * l;
		memcpy(out, j.partial, sz * sizeof *out);
		for (int t = 1; t < threads; t++)
			for (size_t i = 0; i < sz; i++)
				out[i] += j.partial[(size_t)t * sz + i];
	}
	free(j.partial);
	return rc;
}

static float gaussian(uint64_t *s)
{
	double u1 = rl_rand_unit(s), u2 = rl_rand_unit(s);
	return (float)(sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 *
							     u2));
}

int rl_lsa_fit(const rl_csr *X, uint32_t dim, uint32_t oversample,
	       uint32_t n_iter, uint64_t seed, int threads, rl_lsa *out,
	       rl_tick *tick)
{
	uint32_t l = dim + oversample, V = X->n_cols, n = X->n_rows;
	/* Phases: the range finder, each power iteration, the SVD. */
	lsa_tick tk = { tick, 0, (uint64_t)n_iter + 2 };
	float *omega = NULL, *q = NULL, *uf = NULL;
	double *g = NULL, *u = NULL, *w = NULL;
	int rc = RL_ENOMEM;
	memset(out, 0, sizeof *out);
	if (threads < 1)
		threads = 1;
	if (dim == 0 || V == 0 || n == 0)
		return RL_EEMPTY;
	omega = malloc((size_t)V * l * sizeof *omega);
	q = malloc((size_t)n * l * sizeof *q);
	g = malloc((size_t)l * l * sizeof *g);
	u = malloc((size_t)l * l * sizeof *u);
	w = malloc(l * sizeof *w);
	uf = malloc((size_t)l * dim * sizeof *uf);
	out->components = calloc((size_t)dim * V, sizeof *out->components);
	out->sigma = calloc(dim, sizeof *out->sigma);
	if (!omega || !q || !g || !u || !w || !uf || !out->components ||
	    !out->sigma)
		goto out;
	out->dim = dim;
	out->n_cols = V;

	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < (size_t)V * l; i++)
		omega[i] = gaussian(&s);
	/* Q = orth(X omega); then power iterations Q = orth(X orth(X^T Q)). */
	if ((rc = times_x(X, omega, l, threads, q, &tk)) != RL_OK ||
	    (rc = orthonormalize(q, n, l, threads, n_iter ? 1 : 2, &tk)) !=
		    RL_OK ||
	    (rc = rl_tick_step(tick, ++tk.done, tk.total)) != RL_OK)
		goto out;
	for (uint32_t it = 0; it < n_iter; it++) {
		int last = it + 1 == n_iter;
		/* Only the n-side is re-orthonormalized: with Q orthonormal,
		 * X^T Q stays well scaled, and skipping the V-side (V can be
		 * 200,000 wide) halves the cost for a few iterations. */
		if ((rc = times_xt(X, q, l, threads, omega, &tk)) != RL_OK ||
		    (rc = times_x(X, omega, l, threads, q, &tk)) != RL_OK ||
		    (rc = orthonormalize(q, n, l, threads, last ? 2 : 1,
					 &tk)) != RL_OK ||
		    (rc = rl_tick_step(tick, ++tk.done, tk.total)) != RL_OK)
			goto out;
	}
	/* Z = X^T Q = B^T, B = Q^T X. B B^T = Z^T Z = U S^2 U^T, and the
	 * right singular vectors are Z U S^-1. */
	if ((rc = times_xt(X, q, l, threads, omega, &tk)) != RL_OK ||
	    (rc = gram(omega, V, l, threads, g, &tk)) != RL_OK)
		goto out;
	jacobi_eigen(g, l, w, u);
	/* components = Z U[:, :dim] S^-1, as one threaded product. */
	for (uint32_t c = 0; c < dim; c++) {
		double sig = w[c] > 0 ? sqrt(w[c]) : 0;
		out->sigma[c] = sig;
		int keep = sig > 0 && sig > sqrt(w[0]) * 1e-6;
		for (uint32_t r = 0; r < l; r++)
			uf[r * dim + c] = keep ? (float)(u[r * l + c] / sig) : 0;
	}
	job j = { .out = omega, .rows = V, .l = l, .mf = uf, .cols = dim,
		  .dst = out->components, .tk = &tk };
	if ((rc = stopped(&tk, rl_parallel(threads, mul_small, &j))) != RL_OK)
		goto out;
	if (j.failed) {
		rc = RL_ENOMEM;
		goto out;
	}
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_lsa_free(out);
	free(omega);
	free(q);
	free(uf);
	free(g);
	free(u);
	free(w);
	return rc;
}

typedef struct proj_job {
	const rl_lsa *m;
	const rl_csr *X;
	float *out;
	int failed;
	rl_tick *tick;
} proj_job;

HOT static void project(void *ctx, int t, int nt)
{
	proj_job *j = ctx;
	uint32_t lo, hi, dim = j->m->dim;
	range(j->X->n_rows, t, nt, &lo, &hi);
	/* float sums: 8 lanes an instruction, and a row has tens of
	 * terms, far too few for float rounding to matter next to the
	 * float components themselves. */
	float *acc = malloc(dim * sizeof *acc);
	if (!acc) {
		j->failed = 1;
		return;
	}
	for (uint32_t i = lo; i < hi; i++) {
		/* Rows of all done, as thread 0 tells it from its share. */
		if (i > lo && ((i - lo) & 1023) == 0 &&
		    rl_tick_part(j->tick, t, (uint64_t)(i - lo) *
				 j->X->n_rows / (hi - lo), j->X->n_rows))
			break;
		memset(acc, 0, dim * sizeof *acc);
		for (uint64_t p = j->X->indptr[i]; p < j->X->indptr[i + 1];
		     p++) {
			/* A zero row adds nothing but a cache miss. */
			if (j->m->live && !j->m->live[j->X->indices[p]])
				continue;
			const float *comp = j->m->components +
					    (size_t)j->X->indices[p] * dim;
			float x = j->X->values[p];
			for (uint32_t c = 0; c < dim; c++)
				acc[c] += x * comp[c];
		}
		double norm = 0, xnorm = 0;
		for (uint32_t c = 0; c < dim; c++)
			norm += (double)acc[c] * acc[c];
		for (uint64_t p = j->X->indptr[i]; p < j->X->indptr[i + 1];
		     p++)
			xnorm += (double)j->X->values[p] * j->X->values[p];
		/* A row (nearly) orthogonal to every component projects to
		 * rounding noise; normalising that would invent a direction,
		 * so it stays zero. */
		double inv = norm > 1e-8 * xnorm ? 1 / sqrt(norm) : 0;
		float *o = j->out + (size_t)i * dim;
		for (uint32_t c = 0; c < dim; c++)
			o[c] = (float)((double)acc[c] * inv);
	}
	free(acc);
}

int rl_lsa_transform(const rl_lsa *m, const rl_csr *X, int threads,
		     float *out, rl_tick *tick)
{
	proj_job j = { m, X, out, 0, tick };
	if (X->n_cols != m->n_cols)
		return RL_EINVAL;
	int rc = rl_parallel(threads < 1 ? 1 : threads, project, &j);
	if (rc == RL_OK && rl_tick_stopped(tick))
		rc = RL_ECANCELED;
	return rc == RL_OK && j.failed ? RL_ENOMEM : rc;
}
