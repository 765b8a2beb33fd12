/*
 * cluster.c - spherical k-means, the silhouette that helps choose k, and
 * each cluster's most distinctive features: the kernels behind `revlab
 * clusters`, for a corpus that has no labels yet.
 *
 * Rows are L2-normalised (dense LSA or sparse TF-IDF), so similarity is
 * the dot product and a centroid is the normalised sum of its rows.
 * Everything is deterministic for a seed whatever the thread count:
 * threads only split the rows of the assignment step, and every sum is
 * taken in row order on one thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

/* Centroids are [dim][k]: a row's entry x_d meets the k centroids' d-th
 * values side by side, a loop without a reduction, which vectorizes. */
static int is_sparse(const rl_vecs *v)
{
	return v->dense == NULL;
}

static double sq_norm(const rl_vecs *v, uint32_t i)
{
	double s = 0;
	if (is_sparse(v)) {
		for (uint64_t p = v->csr->indptr[i]; p < v->csr->indptr[i + 1];
		     p++)
			s += (double)v->csr->values[p] * v->csr->values[p];
	} else {
		const float *x = v->dense + (size_t)i * v->dim;
		for (uint32_t d = 0; d < v->dim; d++)
			s += (double)x[d] * x[d];
	}
	return s;
}

/* out[c] = x_i . C_c for the k centroids C [dim][k]. */
static void row_dots(const rl_vecs *v, uint32_t i, const double *C,
		     uint32_t k, double *out)
{
	memset(out, 0, k * sizeof *out);
	if (is_sparse(v)) {
		const rl_csr *m = v->csr;
		for (uint64_t p = m->indptr[i]; p < m->indptr[i + 1]; p++) {
			const double *c = C + (size_t)m->indices[p] * k;
			double x = m->values[p];
			for (uint32_t j = 0; j < k; j++)
				out[j] += x * c[j];
		}
	} else {
		const float *x = v->dense + (size_t)i * v->dim;
		for (uint32_t d = 0; d < v->dim; d++) {
			const double *c = C + (size_t)d * k;
			double xd = x[d];
			for (uint32_t j = 0; j < k; j++)
				out[j] += xd * c[j];
		}
	}
}

/* C_c += w x_i */
static void add_row(const rl_vecs *v, uint32_t i, double w, double *C,
		    uint32_t k, uint32_t c)
{
	if (is_sparse(v)) {
		const rl_csr *m = v->csr;
		for (uint64_t p = m->indptr[i]; p < m->indptr[i + 1]; p++)
			C[(size_t)m->indices[p] * k + c] += w * m->values[p];
	} else {
		const float *x = v->dense + (size_t)i * v->dim;
		for (uint32_t d = 0; d < v->dim; d++)
			C[(size_t)d * k + c] += w * x[d];
	}
}

/* Scales every centroid to unit length (a zero sum stays zero). */
static void normalize(const rl_vecs *v, double *C, uint32_t k, double *tmp)
{
	size_t dim = v->dim;
	memset(tmp, 0, k * sizeof *tmp);
	for (size_t d = 0; d < dim; d++)
		for (uint32_t c = 0; c < k; c++)
			tmp[c] += C[d * k + c] * C[d * k + c];
	for (uint32_t c = 0; c < k; c++)
		tmp[c] = tmp[c] > 0 ? 1 / sqrt(tmp[c]) : 0;
	for (size_t d = 0; d < dim; d++)
		for (uint32_t c = 0; c < k; c++)
			C[d * k + c] *= tmp[c];
}

/* ---- the assignment step, on threads ---- */

/* Cosines closer than this are a tie. */
#define TIE 1e-9

typedef struct assign_job {
	const rl_vecs *v;
	const uint32_t *rows;	/* the clustered rows */
	uint32_t m, k;
	const double *C;
	int32_t *assign;	/* [n] */
	float *sim;		/* [n] */
	double *dots;		/* [threads][k] */
	uint64_t *changed;	/* [threads] */
} assign_job;

static void assign_part(void *ctx, int t, int nt)
{
	assign_job *j = ctx;
	uint32_t lo = (uint32_t)((uint64_t)j->m * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)j->m * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	double *dots = j->dots + (size_t)t * j->k;
	uint64_t changed = 0;
	for (uint32_t r = lo; r < hi; r++) {
		uint32_t i = j->rows[r];
		row_dots(j->v, i, j->C, j->k, dots);
		uint32_t best = 0;
		for (uint32_t c = 1; c < j->k; c++)
			if (dots[c] > dots[best])
				best = c;
		/* A tie keeps a row where it is, so duplicate rows do not
		 * cycle between equal centroids; a new row takes the lowest
		 * index. Ties are within TIE: equal centroids summed in
		 * another order differ in the last bits. */
		double floor = dots[best] - TIE;
		int32_t cur = j->assign[i];
		if (cur >= 0 && dots[cur] >= floor) {
			best = (uint32_t)cur;
		} else {
			for (uint32_t c = 0; c < best; c++)
				if (dots[c] >= floor) {
					best = c;
					break;
				}
		}
		if ((int32_t)best != cur)
			changed++;
		j->assign[i] = (int32_t)best;
		j->sim[i] = (float)dots[best];
	}
	j->changed[t] = changed;
}

/* ---- k-means++ seeding ---- */

/* The distance of every clustered row to its nearest chosen centre,
 * 1 - cosine, updated with centre row `c` (its vector scattered into
 * `dense` [dim] for sparse rows). */
typedef struct seed_job {
	const rl_vecs *v;
	const uint32_t *rows;
	uint32_t m;
	const float *centre;	/* [dim] */
	double *dist;		/* [m] */
} seed_job;

static void seed_part(void *ctx, int t, int nt)
{
	seed_job *j = ctx;
	uint32_t lo = (uint32_t)((uint64_t)j->m * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)j->m * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	for (uint32_t r = lo; r < hi; r++) {
		uint32_t i = j->rows[r];
		double s = 0;
		if (is_sparse(j->v)) {
			const rl_csr *x = j->v->csr;
			for (uint64_t p = x->indptr[i]; p < x->indptr[i + 1];
			     p++)
				s += (double)x->values[p] *
				     j->centre[x->indices[p]];
		} else {
			const float *x = j->v->dense + (size_t)i * j->v->dim;
			for (uint32_t d = 0; d < j->v->dim; d++)
				s += (double)x[d] * j->centre[d];
		}
		double d = 1 - s;
		if (d < 0)
			d = 0;
		if (d < j->dist[r])
			j->dist[r] = d;
	}
}

static void row_to_dense(const rl_vecs *v, uint32_t i, float *out)
{
	if (is_sparse(v)) {
		const rl_csr *m = v->csr;
		memset(out, 0, (size_t)v->dim * sizeof *out);
		for (uint64_t p = m->indptr[i]; p < m->indptr[i + 1]; p++)
			out[m->indices[p]] = m->values[p];
	} else {
		memcpy(out, v->dense + (size_t)i * v->dim,
		       (size_t)v->dim * sizeof *out);
	}
}

/* Chooses k centre rows (indices into rows[]) by k-means++ (Arthur and
 * Vassilvitskii 2007): the first uniformly, each next one with
 * probability proportional to its squared distance to the nearest
 * centre, 2 (1 - cosine). When every row already sits on a centre
 * (duplicates), the lowest row not chosen is taken. */
static int seed_centres(const rl_vecs *v, const uint32_t *rows, uint32_t m,
			uint32_t k, uint64_t seed, int threads,
			uint32_t *chosen)
{
	double *dist = malloc(((size_t)m + 1) * sizeof *dist);
	float *centre = malloc(((size_t)v->dim + 1) * sizeof *centre);
	uint8_t *taken = calloc((size_t)m + 1, 1);
	int rc = RL_ENOMEM;
	if (!dist || !centre || !taken)
		goto out;
	uint64_t state = seed ^ 0x6a09e667f3bcc908ull;
	for (uint32_t r = 0; r < m; r++)
		dist[r] = INFINITY;
	uint32_t pick = (uint32_t)(rl_rand_next(&state) % m);
	for (uint32_t c = 0; c < k; c++) {
		if (c > 0) {
			double total = 0;
			for (uint32_t r = 0; r < m; r++)
				if (!taken[r])
					total += dist[r];
			pick = m;
			if (total > 0) {
				double u = rl_rand_unit(&state) * total;
				double acc = 0;
				for (uint32_t r = 0; r < m; r++) {
					if (taken[r] || dist[r] <= 0)
						continue;
					acc += dist[r];
					pick = r;
					if (acc > u)
						break;
				}
			}
			for (uint32_t r = 0; pick == m && r < m; r++)
				if (!taken[r])
					pick = r;
		}
		taken[pick] = 1;
		chosen[c] = pick;
		if (c + 1 == k)
			break;
		row_to_dense(v, rows[pick], centre);
		seed_job j = { v, rows, m, centre, dist };
		if ((rc = rl_parallel(threads, seed_part, &j)) != RL_OK)
			goto out;
	}
	rc = RL_OK;
out:
	free(dist);
	free(centre);
	free(taken);
	return rc;
}

/* ---- Lloyd iterations ---- */

/* The rows that take part: those with a non-zero vector. */
static int clustered_rows(const rl_vecs *v, uint32_t **rows, uint32_t *m)
{
	*m = 0;
	*rows = malloc(((size_t)v->n + 1) * sizeof **rows);
	if (!*rows)
		return RL_ENOMEM;
	for (uint32_t i = 0; i < v->n; i++)
		if (sq_norm(v, i) > 0)
			(*rows)[(*m)++] = i;
	return RL_OK;
}

/* Recomputes the centroids from the assignment. */
static void update(const rl_vecs *v, const uint32_t *rows, uint32_t m,
		   const int32_t *assign, uint32_t k, double *C, double *tmp)
{
	memset(C, 0, (size_t)v->dim * k * sizeof *C);
	for (uint32_t r = 0; r < m; r++)
		add_row(v, rows[r], 1, C, k, (uint32_t)assign[rows[r]]);
	normalize(v, C, k, tmp);
}

/* An empty cluster takes the row least similar to its own centroid among
 * clusters that can spare one (ties: the lowest row); returns how many
 * rows moved. */
static uint32_t reseed_empty(const uint32_t *rows, uint32_t m, uint32_t k,
			     int32_t *assign, float *sim, uint64_t *size,
			     uint8_t *moved)
{
	uint32_t n_moved = 0;
	memset(size, 0, k * sizeof *size);
	memset(moved, 0, m);
	for (uint32_t r = 0; r < m; r++)
		size[assign[rows[r]]]++;
	for (uint32_t c = 0; c < k; c++) {
		if (size[c])
			continue;
		uint32_t best = m;
		for (uint32_t r = 0; r < m; r++) {
			uint32_t i = rows[r];
			if (moved[r] || size[assign[i]] < 2)
				continue;
			if (best == m || sim[i] < sim[rows[best]])
				best = r;
		}
		if (best == m)
			break;	/* cannot happen while k <= m */
		uint32_t i = rows[best];
		size[assign[i]]--;
		assign[i] = (int32_t)c;
		sim[i] = 1;
		size[c] = 1;
		moved[best] = 1;
		n_moved++;
	}
	return n_moved;
}

static int kmeans_once(const rl_vecs *v, const rl_kmeans_opts *o,
		       uint64_t seed, int32_t *assign, float *sim,
		       rl_kmeans_info *info)
{
	uint32_t k = o->k, m = 0, *rows = NULL, *chosen = NULL;
	int threads = o->threads > 0 ? o->threads : 1;
	double *C = NULL, *dots = NULL, *tmp = NULL;
	uint64_t *changed = NULL, *size = NULL;
	uint8_t *moved = NULL;
	rl_kmeans_info in = { 0 };
	int rc;
	if ((rc = clustered_rows(v, &rows, &m)) != RL_OK)
		goto out;
	for (uint32_t i = 0; i < v->n; i++) {
		assign[i] = -1;
		sim[i] = 0;
	}
	in.clustered = m;
	if (k == 0 || k > m) {
		rc = RL_EINVAL;
		goto out;
	}
	rc = RL_ENOMEM;
	C = calloc((size_t)v->dim * k + 1, sizeof *C);
	dots = malloc((size_t)threads * k * sizeof *dots);
	tmp = malloc(((size_t)k + 1) * sizeof *tmp);
	changed = calloc((size_t)threads, sizeof *changed);
	size = calloc((size_t)k, sizeof *size);
	moved = malloc((size_t)m + 1);
	chosen = malloc((size_t)k * sizeof *chosen);
	if (!C || !dots || !tmp || !changed || !size || !moved || !chosen)
		goto out;
	if ((rc = seed_centres(v, rows, m, k, seed, threads, chosen)) !=
	    RL_OK)
		goto out;
	for (uint32_t c = 0; c < k; c++)
		add_row(v, rows[chosen[c]], 1, C, k, c);
	normalize(v, C, k, tmp);
	for (;;) {
		assign_job j = { v, rows, m, k, C, assign, sim, dots,
				 changed };
		if ((rc = rl_parallel(threads, assign_part, &j)) != RL_OK)
			goto out;
		uint64_t n_changed = 0;
		for (int t = 0; t < threads; t++)
			n_changed += changed[t];
		n_changed += reseed_empty(rows, m, k, assign, sim, size,
					  moved);
		if (n_changed == 0) {
			in.converged = 1;
			break;
		}
		update(v, rows, m, assign, k, C, tmp);
		if (++in.iters >= o->max_iter) {
			/* Out of iterations: report each row's similarity to
			 * the centroid it now belongs to. */
			double *d = dots;
			for (uint32_t r = 0; r < m; r++) {
				row_dots(v, rows[r], C, k, d);
				sim[rows[r]] = (float)d[assign[rows[r]]];
			}
			break;
		}
	}
	double total = 0;
	for (uint32_t r = 0; r < m; r++)
		total += sim[rows[r]];
	in.similarity = m ? total / m : 0;
	rc = RL_OK;
out:
	if (info)
		*info = in;
	free(rows);
	free(chosen);
	free(C);
	free(dots);
	free(tmp);
	free(changed);
	free(size);
	free(moved);
	return rc;
}

int rl_kmeans(const rl_vecs *v, const rl_kmeans_opts *o, int32_t *assign,
	      float *sim, rl_kmeans_info *info)
{
	uint32_t runs = o->restarts > 1 ? o->restarts : 1;
	int32_t *a2 = NULL;
	float *s2 = NULL;
	rl_kmeans_info best, in;
	int rc = kmeans_once(v, o, o->seed, assign, sim, &best);
	if (rc != RL_OK || runs == 1)
		goto out;
	a2 = malloc(((size_t)v->n + 1) * sizeof *a2);
	s2 = malloc(((size_t)v->n + 1) * sizeof *s2);
	if (!a2 || !s2) {
		rc = RL_ENOMEM;
		goto out;
	}
	/* Each restart seeds differently; the run whose rows sit closest to
	 * their centroids wins, the first on a tie. */
	for (uint32_t r = 1; r < runs; r++) {
		uint64_t seed = o->seed + 0x9e3779b97f4a7c15ull * r;
		if ((rc = kmeans_once(v, o, seed, a2, s2, &in)) != RL_OK)
			goto out;
		if (in.similarity > best.similarity) {
			best = in;
			memcpy(assign, a2, (size_t)v->n * sizeof *a2);
			memcpy(sim, s2, (size_t)v->n * sizeof *s2);
		}
	}
out:
	if (info)
		*info = best;
	free(a2);
	free(s2);
	return rc;
}

/* ---- silhouette ---- */

typedef struct sil_job {
	const rl_vecs *v;
	const uint32_t *rows;
	uint32_t m, k;
	const double *S;	/* cluster sums, centroid layout */
	const uint64_t *size;
	const int32_t *assign;
	double *dots;		/* [threads][k] */
	double *s;		/* [m] */
} sil_job;

static void sil_part(void *ctx, int t, int nt)
{
	sil_job *j = ctx;
	uint32_t lo = (uint32_t)((uint64_t)j->m * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)j->m * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	double *d = j->dots + (size_t)t * j->k;
	for (uint32_t r = lo; r < hi; r++) {
		uint32_t i = j->rows[r], own = (uint32_t)j->assign[i];
		if (j->size[own] < 2) {
			j->s[r] = 0;	/* a singleton's silhouette is 0 */
			continue;
		}
		row_dots(j->v, i, j->S, j->k, d);
		/* The mean of 1 - x.y over a cluster is 1 - x.(sum y)/size;
		 * the own cluster leaves x itself out. */
		double a = 1 - (d[own] - sq_norm(j->v, i)) /
			       (double)(j->size[own] - 1);
		double b = INFINITY;
		for (uint32_t c = 0; c < j->k; c++)
			if (c != own && j->size[c] > 0 &&
			    1 - d[c] / (double)j->size[c] < b)
				b = 1 - d[c] / (double)j->size[c];
		double mx = a > b ? a : b;
		j->s[r] = isfinite(b) && mx > 0 ? (b - a) / mx : 0;
	}
}

int rl_silhouette(const rl_vecs *v, const int32_t *assign, uint32_t k,
		  int threads, double *mean)
{
	uint32_t m = 0, *rows = NULL;
	double *S = NULL, *dots = NULL, *s = NULL;
	uint64_t *size = NULL;
	int rc;
	*mean = 0;
	if (threads < 1)
		threads = 1;
	if ((rc = clustered_rows(v, &rows, &m)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	S = calloc((size_t)v->dim * k + 1, sizeof *S);
	dots = malloc(((size_t)threads * k + 1) * sizeof *dots);
	s = malloc(((size_t)m + 1) * sizeof *s);
	size = calloc((size_t)k + 1, sizeof *size);
	if (!S || !dots || !s || !size)
		goto out;
	uint32_t n_in = 0;
	for (uint32_t r = 0; r < m; r++) {
		int32_t c = assign[rows[r]];
		if (c < 0 || (uint32_t)c >= k)
			continue;
		rows[n_in++] = rows[r];
		size[c]++;
		add_row(v, rows[r], 1, S, k, (uint32_t)c);
	}
	sil_job j = { v, rows, n_in, k, S, size, assign, dots, s };
	if ((rc = rl_parallel(threads, sil_part, &j)) != RL_OK)
		goto out;
	double total = 0;
	for (uint32_t r = 0; r < n_in; r++)
		total += s[r];
	*mean = n_in ? total / n_in : 0;
	rc = RL_OK;
out:
	free(rows);
	free(S);
	free(dots);
	free(s);
	free(size);
	return rc;
}

/* ---- distinctive features ---- */

int rl_cluster_terms(const rl_csr *X, const int32_t *assign, uint32_t k,
		     uint32_t top, int32_t *out)
{
	uint32_t nf = X->n_cols;
	double *mean = calloc((size_t)nf + 1, sizeof *mean);
	double *acc = malloc(((size_t)nf + 1) * sizeof *acc);
	double *score = malloc(((size_t)top + 1) * sizeof *score);
	uint64_t *size = calloc((size_t)k + 1, sizeof *size);
	uint64_t *ptr = calloc((size_t)k + 2, sizeof *ptr);
	uint32_t *by = malloc(((size_t)X->n_rows + 1) * sizeof *by);
	int rc = RL_ENOMEM;
	if (!mean || !acc || !score || !size || !ptr || !by)
		goto out;
	/* Rows grouped by cluster (counting sort, stable). */
	uint64_t n_in = 0;
	for (uint32_t i = 0; i < X->n_rows; i++) {
		if (assign[i] < 0 || (uint32_t)assign[i] >= k)
			continue;
		size[assign[i]]++;
		n_in++;
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
			mean[X->indices[p]] += X->values[p];
	}
	for (uint32_t f = 0; n_in && f < nf; f++)
		mean[f] /= (double)n_in;
	for (uint32_t c = 0; c < k; c++)
		ptr[c + 1] = ptr[c] + size[c];
	memcpy(size, ptr, (size_t)k * sizeof *size);
	for (uint32_t i = 0; i < X->n_rows; i++)
		if (assign[i] >= 0 && (uint32_t)assign[i] < k)
			by[size[assign[i]]++] = i;
	for (uint32_t c = 0; c < k; c++) {
		int32_t *o = out + (size_t)c * top;
		uint32_t n_top = 0;
		for (uint32_t t = 0; t < top; t++)
			o[t] = -1;
		uint64_t cnt = ptr[c + 1] - ptr[c];
		if (!cnt)
			continue;
		memset(acc, 0, (size_t)nf * sizeof *acc);
		for (uint64_t q = ptr[c]; q < ptr[c + 1]; q++) {
			uint32_t i = by[q];
			for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1];
			     p++)
				acc[X->indices[p]] += X->values[p];
		}
		/* Distinctive: the cluster's mean weight above the corpus
		 * mean, among the features the cluster uses; the best `top`
		 * kept in order, ties to the lower feature. */
		for (uint64_t q = ptr[c]; q < ptr[c + 1]; q++) {
			uint32_t i = by[q];
			for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1];
			     p++) {
				uint32_t f = X->indices[p];
				if (acc[f] <= 0)
					continue;	/* seen already */
				double sc = acc[f] / (double)cnt - mean[f];
				acc[f] = 0;
				if (sc <= 0)
					continue;
				uint32_t t = n_top;
				while (t > 0 && (score[t - 1] < sc ||
						 (score[t - 1] == sc &&
						  (uint32_t)o[t - 1] > f)))
					t--;
				if (t >= top)
					continue;
				if (n_top < top)
					n_top++;
				memmove(o + t + 1, o + t,
					(n_top - t - 1) * sizeof *o);
				memmove(score + t + 1, score + t,
					(n_top - t - 1) * sizeof *score);
				o[t] = (int32_t)f;
				score[t] = sc;
			}
		}
	}
	rc = RL_OK;
out:
	free(mean);
	free(acc);
	free(score);
	free(size);
	free(ptr);
	free(by);
	return rc;
}

/* ---- choosing k ---- */

int rl_kmeans_sweep(const rl_vecs *v, const rl_kmeans_opts *o,
		    const uint32_t *ks, uint32_t n_ks, uint32_t sample,
		    double *sil)
{
	uint32_t m = 0, *rows = NULL;
	rl_csr sub = { 0 };
	float *dense = NULL, *sim = NULL;
	int32_t *assign = NULL;
	int rc;
	if ((rc = clustered_rows(v, &rows, &m)) != RL_OK)
		goto out;
	/* A seeded partial shuffle picks the sample, kept in row order. */
	uint32_t ns = sample && sample < m ? sample : m;
	uint64_t state = o->seed ^ 0xbb67ae8584caa73bull;
	for (uint32_t r = 0; r < ns && ns < m; r++) {
		uint32_t j = r + (uint32_t)(rl_rand_next(&state) % (m - r));
		uint32_t t = rows[r];
		rows[r] = rows[j];
		rows[j] = t;
	}
	rc = RL_ENOMEM;
	rl_vecs sv = { .n = ns, .dim = v->dim };
	uint8_t *mark = calloc((size_t)v->n + 1, 1);
	if (!mark)
		goto out;
	/* back to row order */
	for (uint32_t r = 0; r < ns; r++)
		mark[rows[r]] = 1;
	ns = 0;
	for (uint32_t i = 0; i < v->n; i++)
		if (mark[i])
			rows[ns++] = i;
	free(mark);
	if (is_sparse(v)) {
		uint64_t nnz = 0;
		for (uint32_t r = 0; r < ns; r++)
			nnz += v->csr->indptr[rows[r] + 1] -
			       v->csr->indptr[rows[r]];
		sub.n_rows = ns;
		sub.n_cols = v->csr->n_cols;
		sub.indptr = calloc((size_t)ns + 1, sizeof *sub.indptr);
		sub.indices = malloc((nnz + 1) * sizeof *sub.indices);
		sub.values = malloc((nnz + 1) * sizeof *sub.values);
		if (!sub.indptr || !sub.indices || !sub.values)
			goto out;
		for (uint32_t r = 0; r < ns; r++) {
			uint64_t lo = v->csr->indptr[rows[r]];
			uint64_t len = v->csr->indptr[rows[r] + 1] - lo;
			memcpy(sub.indices + sub.indptr[r],
			       v->csr->indices + lo, len * sizeof *sub.indices);
			memcpy(sub.values + sub.indptr[r],
			       v->csr->values + lo, len * sizeof *sub.values);
			sub.indptr[r + 1] = sub.indptr[r] + len;
		}
		sv.csr = &sub;
	} else {
		dense = malloc(((size_t)ns * v->dim + 1) * sizeof *dense);
		if (!dense)
			goto out;
		for (uint32_t r = 0; r < ns; r++)
			memcpy(dense + (size_t)r * v->dim,
			       v->dense + (size_t)rows[r] * v->dim,
			       (size_t)v->dim * sizeof *dense);
		sv.dense = dense;
	}
	assign = malloc(((size_t)ns + 1) * sizeof *assign);
	sim = malloc(((size_t)ns + 1) * sizeof *sim);
	if (!assign || !sim)
		goto out;
	for (uint32_t q = 0; q < n_ks; q++) {
		rl_kmeans_opts ko = *o;
		ko.k = ks[q];
		/* One seeding per candidate: the sweep only ranks k. */
		ko.restarts = 1;
		sil[q] = -INFINITY;
		if (ks[q] < 2 || ks[q] > ns)
			continue;
		if ((rc = rl_kmeans(&sv, &ko, assign, sim, NULL)) != RL_OK ||
		    (rc = rl_silhouette(&sv, assign, ks[q], o->threads,
					&sil[q])) != RL_OK)
			goto out;
	}
	rc = RL_OK;
out:
	free(rows);
	rl_csr_free(&sub);
	free(dense);
	free(assign);
	free(sim);
	return rc;
}
