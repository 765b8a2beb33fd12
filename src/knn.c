/*
 * knn.c - the k-nearest-neighbour graph kernel (cosine on L2-normalised
 * rows, dense or sparse).
 *
 * Small corpora get exact neighbours by brute force. Large ones get
 * NN-descent (Dong, Charikar & Li, WWW 2011): every row keeps a pool of
 * candidate neighbours, and "a neighbour of my neighbour is likely my
 * neighbour" is applied round after round, joining each row's new
 * candidates with each other and with its old ones (sampled, and through
 * reverse edges too), until few pools change. An earlier graph can seed
 * the pools, so adding reviews refines instead of rebuilding.
 *
 * Determinism with threads: similarities of a block of rows are computed
 * in parallel into per-thread buffers, then thread t applies only the
 * updates whose target row lies in its own range, scanning the buffers in
 * a fixed order. No locks, and the result depends only on seed and thread
 * count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

/* ---- similarity ---- */

static float dot_dense(const float *a, const float *b, uint32_t d)
{
	float s = 0;
	for (uint32_t i = 0; i < d; i++)
		s += a[i] * b[i];
	return s;
}

static float dot_sparse(const rl_csr *m, uint32_t a, uint32_t b)
{
	uint64_t i = m->indptr[a], ie = m->indptr[a + 1];
	uint64_t j = m->indptr[b], je = m->indptr[b + 1];
	float s = 0;
	while (i < ie && j < je) {
		uint32_t x = m->indices[i], y = m->indices[j];
		if (x == y)
			s += m->values[i++] * m->values[j++];
		else if (x < y)
			i++;
		else
			j++;
	}
	return s;
}

static float sim(const rl_vecs *v, uint32_t a, uint32_t b)
{
	if (v->dense)
		return dot_dense(v->dense + (size_t)a * v->dim,
				 v->dense + (size_t)b * v->dim, v->dim);
	return dot_sparse(v->csr, a, b);
}

/* ---- a row's sorted neighbour list ---- */

/* Is (s, id) better than (t, jd)? Higher similarity, then smaller id. */
static int better(float s, int32_t id, float t, int32_t jd)
{
	return s > t || (s == t && id < jd);
}

/* Inserts (id, s) into the sorted list ids/sims of length k if it is
 * better than the worst and not already there; marks it new. Returns 1 if
 * the list changed. */
static int list_insert(int32_t *ids, float *sims, uint8_t *fresh,
		       uint32_t k, int32_t id, float s)
{
	if (ids[k - 1] >= 0 && !better(s, id, sims[k - 1], ids[k - 1]))
		return 0;
	for (uint32_t i = 0; i < k; i++)
		if (ids[i] == id)
			return 0;
	uint32_t pos = k - 1;
	while (pos > 0 && (ids[pos - 1] < 0 ||
			   better(s, id, sims[pos - 1], ids[pos - 1]))) {
		ids[pos] = ids[pos - 1];
		sims[pos] = sims[pos - 1];
		if (fresh)
			fresh[pos] = fresh[pos - 1];
		pos--;
	}
	ids[pos] = id;
	sims[pos] = s;
	if (fresh)
		fresh[pos] = 1;
	return 1;
}

static void range(uint32_t n, int t, int nt, uint32_t *lo, uint32_t *hi)
{
	*lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	*hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) / (uint64_t)nt);
}

/* ---- exact ---- */

typedef struct exact_job {
	const rl_vecs *v;
	uint32_t k;
	int32_t *nbr;
	float *sim;
	const uint32_t *rows;	/* which rows to answer; NULL: all */
	uint32_t n_rows;
} exact_job;

static void exact_part(void *ctx, int t, int nt)
{
	exact_job *j = ctx;
	uint32_t lo, hi;
	range(j->n_rows, t, nt, &lo, &hi);
	for (uint32_t r = lo; r < hi; r++) {
		uint32_t a = j->rows ? j->rows[r] : r;
		int32_t *ids = j->nbr + (size_t)r * j->k;
		float *sims = j->sim + (size_t)r * j->k;
		for (uint32_t i = 0; i < j->k; i++) {
			ids[i] = -1;
			sims[i] = -INFINITY;
		}
		for (uint32_t b = 0; b < j->v->n; b++)
			if (b != a)
				list_insert(ids, sims, NULL, j->k, (int32_t)b,
					    sim(j->v, a, b));
	}
}

static int exact(const rl_vecs *v, uint32_t k, const uint32_t *rows,
		 uint32_t n_rows, int threads, int32_t *nbr, float *s)
{
	exact_job j = { v, k, nbr, s, rows, n_rows };
	return rl_parallel(threads, exact_part, &j);
}

/* ---- NN-descent ---- */

typedef struct pair {
	uint32_t a, b;
	float s;
} pair;

typedef struct nnd {
	const rl_vecs *v;
	uint32_t n, K, sample;
	int32_t *ids;		/* [n][K] pools */
	float *sims;		/* [n][K] */
	uint8_t *fresh;		/* [n][K] 1: not yet joined */
	/* candidate lists for this round, [n][2 * sample] each, -1 ends */
	int32_t *cnew, *cold;
	uint32_t *nnew, *nold;
	/* block being joined */
	uint32_t blo, bhi;
	pair **buf;		/* [threads] pair buffers */
	size_t *nbuf, *capbuf;
	int threads;
	uint64_t *updates;	/* [threads] */
	int failed;
} nnd;

static int push_pair(nnd *d, int t, uint32_t a, uint32_t b, float s)
{
	if (d->nbuf[t] == d->capbuf[t]) {
		size_t cap = d->capbuf[t] ? d->capbuf[t] * 2 : 1 << 16;
		pair *p = realloc(d->buf[t], cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		d->buf[t] = p;
		d->capbuf[t] = cap;
	}
	d->buf[t][d->nbuf[t]++] = (pair){ a, b, s };
	return RL_OK;
}

/* Local join of the rows of the block in thread t's share: pairs among
 * new candidates, and between new and old ones. */
static void join_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi, c = 2 * d->sample;
	range(d->bhi - d->blo, t, nt, &lo, &hi);
	d->nbuf[t] = 0;
	for (uint32_t r = d->blo + lo; r < d->blo + hi; r++) {
		const int32_t *nw = d->cnew + (size_t)r * c;
		const int32_t *od = d->cold + (size_t)r * c;
		uint32_t nn = d->nnew[r], no = d->nold[r];
		for (uint32_t i = 0; i < nn; i++) {
			for (uint32_t j = i + 1; j < nn; j++) {
				if (nw[i] == nw[j])
					continue;
				float s = sim(d->v, (uint32_t)nw[i],
					      (uint32_t)nw[j]);
				if (push_pair(d, t, (uint32_t)nw[i],
					      (uint32_t)nw[j], s) != RL_OK) {
					d->failed = 1;
					return;
				}
			}
			for (uint32_t j = 0; j < no; j++) {
				if (nw[i] == od[j])
					continue;
				float s = sim(d->v, (uint32_t)nw[i],
					      (uint32_t)od[j]);
				if (push_pair(d, t, (uint32_t)nw[i],
					      (uint32_t)od[j], s) != RL_OK) {
					d->failed = 1;
					return;
				}
			}
		}
	}
}

/* Thread t applies the block's pairs whose target row is in its range. */
static void apply_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi;
	range(d->n, t, nt, &lo, &hi);
	uint64_t changed = 0;
	for (int b = 0; b < d->threads; b++) {
		for (size_t i = 0; i < d->nbuf[b]; i++) {
			const pair *p = &d->buf[b][i];
			uint32_t ends[2] = { p->a, p->b };
			for (int e = 0; e < 2; e++) {
				uint32_t x = ends[e], y = ends[1 - e];
				if (x < lo || x >= hi)
					continue;
				changed += (uint64_t)list_insert(
					d->ids + (size_t)x * d->K,
					d->sims + (size_t)x * d->K,
					d->fresh + (size_t)x * d->K, d->K,
					(int32_t)y, p->s);
			}
		}
	}
	d->updates[t] += changed;
}

/* Fills cnew/cold from the pools: each row's first `sample` fresh and old
 * neighbours, plus reverse edges up to the same number. Fresh ones taken
 * are marked joined. */
static void build_candidates(nnd *d)
{
	uint32_t c = 2 * d->sample, K = d->K;
	memset(d->nnew, 0, d->n * sizeof *d->nnew);
	memset(d->nold, 0, d->n * sizeof *d->nold);
	for (uint32_t r = 0; r < d->n; r++) {
		uint32_t tn = 0, to = 0;
		for (uint32_t i = 0; i < K; i++) {
			int32_t id = d->ids[(size_t)r * K + i];
			if (id < 0)
				break;
			uint8_t *f = &d->fresh[(size_t)r * K + i];
			if (*f && tn < d->sample) {
				d->cnew[(size_t)r * c + d->nnew[r]++] = id;
				*f = 0;
				tn++;
			} else if (!*f && to < d->sample) {
				d->cold[(size_t)r * c + d->nold[r]++] = id;
				to++;
			}
		}
	}
	/* Reverse edges: r is a candidate of each of its candidates, up to
	 * `sample` extra entries each, in row order. */
	for (uint32_t r = 0; r < d->n; r++) {
		uint32_t nn = d->nnew[r] < d->sample ? d->nnew[r] : d->sample;
		for (uint32_t i = 0; i < nn; i++) {
			uint32_t u = (uint32_t)d->cnew[(size_t)r * c + i];
			if (d->nnew[u] < c)
				d->cnew[(size_t)u * c + d->nnew[u]++] =
					(int32_t)r;
		}
		uint32_t no = d->nold[r] < d->sample ? d->nold[r] : d->sample;
		for (uint32_t i = 0; i < no; i++) {
			uint32_t u = (uint32_t)d->cold[(size_t)r * c + i];
			if (d->nold[u] < c)
				d->cold[(size_t)u * c + d->nold[u]++] =
					(int32_t)r;
		}
	}
}

static int descent(const rl_vecs *v, const rl_knn_opts *o, int32_t *nbr,
		   float *out_sim)
{
	nnd d = { .v = v, .n = v->n };
	int threads = o->threads < 1 ? 1 : o->threads;
	uint32_t k = o->k;
	d.K = o->pool > k ? o->pool : k;
	if (d.K > v->n - 1)
		d.K = v->n - 1;
	d.sample = (d.K + 1) / 2;
	d.threads = threads;
	uint32_t c = 2 * d.sample;
	int rc = RL_ENOMEM;
	d.ids = malloc((size_t)d.n * d.K * sizeof *d.ids);
	d.sims = malloc((size_t)d.n * d.K * sizeof *d.sims);
	d.fresh = calloc((size_t)d.n * d.K, 1);
	d.cnew = malloc((size_t)d.n * c * sizeof *d.cnew);
	d.cold = malloc((size_t)d.n * c * sizeof *d.cold);
	d.nnew = malloc(d.n * sizeof *d.nnew);
	d.nold = malloc(d.n * sizeof *d.nold);
	d.buf = calloc((size_t)threads, sizeof *d.buf);
	d.nbuf = calloc((size_t)threads, sizeof *d.nbuf);
	d.capbuf = calloc((size_t)threads, sizeof *d.capbuf);
	d.updates = calloc((size_t)threads, sizeof *d.updates);
	if (!d.ids || !d.sims || !d.fresh || !d.cnew || !d.cold || !d.nnew ||
	    !d.nold || !d.buf || !d.nbuf || !d.capbuf || !d.updates)
		goto out;

	/* Start: the earlier graph where given, then random rows. */
	uint64_t seed = o->seed * 0x9e3779b97f4a7c15ull + 7;
	for (uint32_t r = 0; r < d.n; r++) {
		int32_t *ids = d.ids + (size_t)r * d.K;
		float *sims = d.sims + (size_t)r * d.K;
		uint8_t *fr = d.fresh + (size_t)r * d.K;
		for (uint32_t i = 0; i < d.K; i++)
			ids[i] = -1;
		if (o->init && r < o->n_init)
			for (uint32_t i = 0; i < k; i++) {
				int32_t y = o->init[(size_t)r * k + i];
				if (y >= 0 && (uint32_t)y < d.n &&
				    (uint32_t)y != r)
					list_insert(ids, sims, fr, d.K, y,
						    sim(v, r, (uint32_t)y));
			}
		uint64_t s = seed ^ ((uint64_t)r * 0xd1b54a32d192ed03ull);
		for (uint32_t tries = 0; ids[d.K - 1] < 0 && tries < 4 * d.K;
		     tries++) {
			uint32_t y = (uint32_t)(rl_rand_next(&s) % d.n);
			if (y != r)
				list_insert(ids, sims, fr, d.K, (int32_t)y,
					    sim(v, r, y));
		}
	}

	/* Rows per block: bounds the pair buffers' memory. */
	uint32_t block = 65536;
	for (uint32_t it = 0; it < o->max_iters; it++) {
		build_candidates(&d);
		memset(d.updates, 0, (size_t)threads * sizeof *d.updates);
		for (d.blo = 0; d.blo < d.n; d.blo += block) {
			d.bhi = d.blo + block < d.n ? d.blo + block : d.n;
			if ((rc = rl_parallel(threads, join_part, &d)) !=
			    RL_OK)
				goto out;
			if (d.failed) {
				rc = RL_ENOMEM;
				goto out;
			}
			if ((rc = rl_parallel(threads, apply_part, &d)) !=
			    RL_OK)
				goto out;
		}
		uint64_t total = 0;
		for (int t = 0; t < threads; t++)
			total += d.updates[t];
		if ((double)total < o->delta * d.n * d.K)
			break;
	}
	for (uint32_t r = 0; r < d.n; r++)
		for (uint32_t i = 0; i < k; i++) {
			int have = i < d.K;
			nbr[(size_t)r * k + i] =
				have ? d.ids[(size_t)r * d.K + i] : -1;
			out_sim[(size_t)r * k + i] =
				have && d.ids[(size_t)r * d.K + i] >= 0
					? d.sims[(size_t)r * d.K + i] : 0;
		}
	rc = RL_OK;
out:
	for (int t = 0; d.buf && t < threads; t++)
		free(d.buf[t]);
	free(d.buf);
	free(d.nbuf);
	free(d.capbuf);
	free(d.updates);
	free(d.ids);
	free(d.sims);
	free(d.fresh);
	free(d.cnew);
	free(d.cold);
	free(d.nnew);
	free(d.nold);
	return rc;
}

int rl_knn(const rl_vecs *v, const rl_knn_opts *o, int32_t *nbr, float *s)
{
	if (o->k == 0)
		return RL_EINVAL;
	if (v->n <= 1 || o->exact || v->n <= o->k + 1) {
		int rc = exact(v, o->k, NULL, v->n, o->threads, nbr, s);
		/* Holes (fewer rows than k) get similarity 0, not -inf. */
		for (size_t i = 0; i < (size_t)v->n * o->k; i++)
			if (nbr[i] < 0)
				s[i] = 0;
		return rc;
	}
	return descent(v, o, nbr, s);
}

int rl_knn_recall(const rl_vecs *v, uint32_t k, const int32_t *nbr,
		  uint32_t n_sample, uint64_t seed, int threads,
		  double *recall)
{
	if (n_sample > v->n)
		n_sample = v->n;
	*recall = 1;
	if (n_sample == 0 || k == 0)
		return RL_OK;
	uint32_t *rows = malloc(n_sample * sizeof *rows);
	int32_t *tn = malloc((size_t)n_sample * k * sizeof *tn);
	float *ts = malloc((size_t)n_sample * k * sizeof *ts);
	int rc = RL_ENOMEM;
	if (!rows || !tn || !ts)
		goto out;
	/* Distinct sample rows: a seeded partial Fisher-Yates would need
	 * n memory; stride through a random start instead. */
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 3;
	uint32_t start = (uint32_t)(rl_rand_next(&s) % v->n);
	for (uint32_t i = 0; i < n_sample; i++)
		rows[i] = (uint32_t)((start + (uint64_t)i * v->n / n_sample) %
				     v->n);
	if ((rc = exact(v, k, rows, n_sample, threads, tn, ts)) != RL_OK)
		goto out;
	uint64_t hit = 0, want = 0;
	for (uint32_t i = 0; i < n_sample; i++) {
		const int32_t *got = nbr + (size_t)rows[i] * k;
		for (uint32_t a = 0; a < k; a++) {
			int32_t x = tn[(size_t)i * k + a];
			if (x < 0)
				continue;
			want++;
			for (uint32_t b = 0; b < k; b++)
				if (got[b] == x) {
					hit++;
					break;
				}
		}
	}
	*recall = want ? (double)hit / (double)want : 1;
	rc = RL_OK;
out:
	free(rows);
	free(tn);
	free(ts);
	return rc;
}
