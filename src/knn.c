/*
 * knn.c - the k-nearest-neighbour graph kernel (cosine on L2-normalised
 * rows, dense or sparse).
 *
 * Exact search: dense rows go through a blocked kernel that multiplies
 * tiles of query rows by "panels" of candidate rows stored transposed
 * ([dim][16] floats), so the inner loop is a few broadcast-and-multiply-add
 * instructions on registers; each pair is computed once and offered to
 * both rows. Sparse rows go through an inverted index over the columns, so
 * only rows sharing a term are touched.
 *
 * Approximate search for large corpora: NN-descent (Dong, Charikar & Li,
 * WWW 2011) started from a random-projection forest. Every row keeps a
 * pool of candidates; the forest fills the pools with exact neighbours
 * within its leaves, then "a neighbour of my neighbour is likely my
 * neighbour" is applied round after round, joining each row's new
 * candidates (all of them, and reverse edges) with each other and with its
 * old ones, until few pools change. An earlier graph can seed the pools,
 * so adding reviews refines instead of rebuilding.
 *
 * Determinism: a pool is the top of everything ever offered to it, ordered
 * by (similarity desc, index asc), and a pair's similarity is the same
 * bits whichever way and wherever it is computed (each lane sums over the
 * dimensions in order). So the result does not depend on the order of
 * offers, and with it not on the thread count. Threads never write the
 * same pool: they buffer pairs and apply only those aimed at their rows,
 * or keep private lists merged at the end.
 *
 * Cancelling: every loop that runs long steps the tick (kernels.h) every
 * few milliseconds of work on thread 0 and reads its stop flag on the
 * others, so a cancel is heard within one such unit; nothing else
 * changes, so the result of a run that is not cancelled is the same.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KNN_X86 1
#endif

#include "internal.h"
#include "kernels.h"

/* ---- dense similarity kernel ---- */

#define QR 6	/* query rows per micro-kernel call */
#define PW 16	/* candidate rows per panel */

/* out[QR][PW] = q[i] . panel column j, where panel is [dim][PW]. Every
 * lane sums its products in dimension order, so a pair gives the same
 * bits in any tile position and either way round. */
typedef void (*micro_fn)(const float *const *q, const float *panel,
			 uint32_t dim, float *out);

static void micro_generic(const float *const *q, const float *panel,
			  uint32_t dim, float *out)
{
	float acc[QR][PW];
	memset(acc, 0, sizeof acc);
	for (uint32_t d = 0; d < dim; d++) {
		const float *p = panel + (size_t)d * PW;
		for (int i = 0; i < QR; i++) {
			float a = q[i][d];
			for (int j = 0; j < PW; j++)
				acc[i][j] += a * p[j];
		}
	}
	memcpy(out, acc, sizeof acc);
}

#ifdef KNN_X86
/* 6 x 16 with fused multiply-add: 12 accumulators, two panel loads and
 * six broadcasts per dimension keep both FMA ports busy. */
__attribute__((target("avx2,fma")))
static void micro_avx2(const float *const *q, const float *panel,
		       uint32_t dim, float *out)
{
	__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
	__m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
	__m256 c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	const float *q0 = q[0], *q1 = q[1], *q2 = q[2];
	const float *q3 = q[3], *q4 = q[4], *q5 = q[5];
	for (uint32_t d = 0; d < dim; d++) {
		__m256 p0 = _mm256_loadu_ps(panel + (size_t)d * PW);
		__m256 p1 = _mm256_loadu_ps(panel + (size_t)d * PW + 8);
		__m256 a = _mm256_broadcast_ss(q0 + d);
		c00 = _mm256_fmadd_ps(a, p0, c00);
		c01 = _mm256_fmadd_ps(a, p1, c01);
		a = _mm256_broadcast_ss(q1 + d);
		c10 = _mm256_fmadd_ps(a, p0, c10);
		c11 = _mm256_fmadd_ps(a, p1, c11);
		a = _mm256_broadcast_ss(q2 + d);
		c20 = _mm256_fmadd_ps(a, p0, c20);
		c21 = _mm256_fmadd_ps(a, p1, c21);
		a = _mm256_broadcast_ss(q3 + d);
		c30 = _mm256_fmadd_ps(a, p0, c30);
		c31 = _mm256_fmadd_ps(a, p1, c31);
		a = _mm256_broadcast_ss(q4 + d);
		c40 = _mm256_fmadd_ps(a, p0, c40);
		c41 = _mm256_fmadd_ps(a, p1, c41);
		a = _mm256_broadcast_ss(q5 + d);
		c50 = _mm256_fmadd_ps(a, p0, c50);
		c51 = _mm256_fmadd_ps(a, p1, c51);
	}
	_mm256_storeu_ps(out + 0, c00);
	_mm256_storeu_ps(out + 8, c01);
	_mm256_storeu_ps(out + 16, c10);
	_mm256_storeu_ps(out + 24, c11);
	_mm256_storeu_ps(out + 32, c20);
	_mm256_storeu_ps(out + 40, c21);
	_mm256_storeu_ps(out + 48, c30);
	_mm256_storeu_ps(out + 56, c31);
	_mm256_storeu_ps(out + 64, c40);
	_mm256_storeu_ps(out + 72, c41);
	_mm256_storeu_ps(out + 80, c50);
	_mm256_storeu_ps(out + 88, c51);
}
#endif

/* The kernel for this CPU. Chosen per call, not cached in a global; the
 * choice is fixed for a machine, so results are too. */
static micro_fn pick_micro(void)
{
#ifdef KNN_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return micro_avx2;
#endif
	return micro_generic;
}

/* Packs rows ids[0..m) (or first..first+m when ids is NULL) of x into
 * ceil(m / PW) panels, zero-padded. */
static void pack(const float *x, uint32_t dim, const uint32_t *ids,
		 uint32_t first, uint32_t m, float *panel)
{
	uint32_t np = (m + PW - 1) / PW;
	for (uint32_t p = 0; p < np; p++) {
		float *dst = panel + (size_t)p * dim * PW;
		const float *row[PW];
		uint32_t w = m - p * PW < PW ? m - p * PW : PW;
		for (uint32_t j = 0; j < w; j++) {
			uint32_t r = ids ? ids[p * PW + j] : first + p * PW + j;
			row[j] = x + (size_t)r * dim;
		}
		/* Contiguous stores, PW read streams. */
		for (uint32_t d = 0; d < dim; d++) {
			for (uint32_t j = 0; j < w; j++)
				dst[j] = row[j][d];
			for (uint32_t j = w; j < PW; j++)
				dst[j] = 0;
			dst += PW;
		}
	}
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

static uint32_t round_pw(uint32_t m)
{
	return (m + PW - 1) / PW * PW;
}

/* out[i][j] = sim(ids[i], ids[j]) for i < nq, j < m; out is
 * [nq][round_pw(m)], panel scratch holds round_pw(m) * dim floats. */
static void block_sims(const rl_vecs *v, micro_fn mf, const uint32_t *ids,
		       uint32_t nq, uint32_t m, float *panel, float *out)
{
	uint32_t mp = round_pw(m), dim = v->dim;
	if (!v->dense) {
		for (uint32_t i = 0; i < nq; i++)
			for (uint32_t j = 0; j < m; j++)
				out[(size_t)i * mp + j] =
					dot_sparse(v->csr, ids[i], ids[j]);
		return;
	}
	pack(v->dense, dim, ids, 0, m, panel);
	float tile[QR * PW];
	for (uint32_t i0 = 0; i0 < nq; i0 += QR) {
		const float *q[QR];
		for (uint32_t r = 0; r < QR; r++)
			q[r] = v->dense + (size_t)ids[i0 + r < nq ? i0 + r
							   : nq - 1] * dim;
		for (uint32_t p = 0; p < mp / PW; p++) {
			mf(q, panel + (size_t)p * dim * PW, dim, tile);
			for (uint32_t r = 0; r < QR && i0 + r < nq; r++)
				memcpy(out + (size_t)(i0 + r) * mp + p * PW,
				       tile + r * PW, PW * sizeof *tile);
		}
	}
}

/* ---- a row's sorted neighbour list ---- */

/* Is (s, id) better than (t, jd)? Higher similarity, then smaller id; a
 * hole (jd < 0) loses to anything. */
static inline int better(float s, int32_t id, float t, int32_t jd)
{
	return jd < 0 || s > t || (s == t && id < jd);
}

/* Puts (id, s) into the sorted list, which it is known to beat the last
 * entry of and not to be in. */
static void topk_put(int32_t *ids, float *sims, uint8_t *fresh, uint32_t k,
		     int32_t id, float s)
{
	uint32_t pos = k - 1;
	while (pos > 0 && better(s, id, sims[pos - 1], ids[pos - 1])) {
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
}

/* Inserts (id, s) into the sorted list of length k if it beats the worst
 * and is not already there; marks it new. Returns 1 if the list changed. */
static int list_insert(int32_t *ids, float *sims, uint8_t *fresh,
		       uint32_t k, int32_t id, float s)
{
	if (!better(s, id, sims[k - 1], ids[k - 1]))
		return 0;
	for (uint32_t i = 0; i < k; i++)
		if (ids[i] == id)
			return 0;
	topk_put(ids, sims, fresh, k, id, s);
	return 1;
}

static void range(uint32_t n, int t, int nt, uint32_t *lo, uint32_t *hi)
{
	*lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	*hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) / (uint64_t)nt);
}

static void list_clear(int32_t *ids, float *sims, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		ids[i] = -1;
		sims[i] = -INFINITY;
	}
}

/* ---- exact ---- */

#define QB 96	/* query rows per block */
#define CB 512	/* candidate rows a query block meets at once: 200 KB
		   at dim 100 */
/* Query blocks and candidate chunks start on panel boundaries: the
 * packed panels of rows c0.. begin at packed + c0 * dim. */
_Static_assert(QB % PW == 0 && CB % PW == 0, "blocks of whole panels");

typedef struct exact_job {
	const rl_vecs *v;
	micro_fn mf;
	uint32_t k;
	const uint32_t *rows;	/* which rows to answer; NULL: all */
	uint32_t n_rows;
	/* [threads] lists: with rows, all point at the output ([n_rows][k]);
	 * without, thread t keeps [n][k] of its own (t = 0: the output) */
	int32_t **ids;
	float **sims;
	/* dense: every row packed once into panels, [round_pw(n)][dim] */
	float *packed;
	/* sparse: the matrix by column, [n_cols + 1] and [nnz] */
	uint64_t *colptr;
	uint32_t *colrow;
	float *colval;
	int *failed;		/* [threads] */
	rl_tick *tick;
} exact_job;

/* First query block of thread t when all rows are answered: block b pairs
 * its rows with all later ones, so its work is n - b * QB; threads get
 * equal shares of the triangle. */
static uint32_t tri_first(uint32_t n, uint32_t nb, int t, int nt)
{
	double total = 0, w = 0;
	for (uint32_t b = 0; b < nb; b++)
		total += (double)(n - b * QB);
	double want = total * t / nt;
	uint32_t b = 0;
	while (b < nb && w < want)
		w += (double)(n - (b++) * QB);
	return b;
}

/* Offers the tile of query rows i0.. (ids qid) against candidates
 * pc..e - 1 to the query lists and, when all rows are answered, to the
 * candidates' lists too. */
static void offer_tile(const exact_job *j, int32_t *ids, float *sims,
		       const uint32_t *qid, uint32_t i0, uint32_t q1,
		       uint32_t pc, uint32_t e, const float *tile)
{
	uint32_t k = j->k;
	float colmax[PW];
	/* Most pairs beat neither list's worst: test a tile row's (and
	 * column's) best against the list's worst first, and only then
	 * look at single pairs. */
	for (uint32_t c = 0; c < PW; c++)
		colmax[c] = -INFINITY;
	for (uint32_t r = 0; r < QR && i0 + r < q1; r++) {
		uint32_t a = qid[r];
		int32_t *la = ids + (size_t)(i0 + r) * k;
		float *sa = sims + (size_t)(i0 + r) * k;
		const float *tr = tile + r * PW;
		float rmax = -INFINITY;
		for (uint32_t c = 0; c < e - pc; c++) {
			if (tr[c] > rmax)
				rmax = tr[c];
			if (tr[c] > colmax[c])
				colmax[c] = tr[c];
		}
		if (rmax < sa[k - 1])
			continue;
		for (uint32_t c = pc; c < e; c++) {
			float s = tr[c - pc];
			if (j->rows ? c == a : c <= a)
				continue;
			if (better(s, (int32_t)c, sa[k - 1], la[k - 1]))
				topk_put(la, sa, NULL, k, (int32_t)c, s);
		}
	}
	if (j->rows)
		return;
	for (uint32_t c = pc; c < e; c++) {
		float *sc = sims + (size_t)c * k;
		if (colmax[c - pc] < sc[k - 1])
			continue;
		int32_t *lc = ids + (size_t)c * k;
		for (uint32_t r = 0; r < QR && i0 + r < q1; r++) {
			uint32_t a = qid[r];
			if (c <= a)
				continue;
			float s = tile[r * PW + c - pc];
			if (better(s, (int32_t)a, sc[k - 1], lc[k - 1]))
				topk_put(lc, sc, NULL, k, (int32_t)a, s);
		}
	}
}

static void exact_dense_part(void *ctx, int t, int nt)
{
	exact_job *j = ctx;
	const rl_vecs *v = j->v;
	const float *x = v->dense;
	uint32_t n = v->n, dim = v->dim, k = j->k;
	uint32_t nq = j->rows ? j->n_rows : n, nb = (nq + QB - 1) / QB;
	int32_t *ids = j->ids[t];
	float *sims = j->sims[t];
	float tile[QR * PW];
	uint32_t blo, bhi;
	if (j->rows) {
		range(nb, t, nt, &blo, &bhi);
		uint32_t r1 = bhi * QB < nq ? bhi * QB : nq;
		if (blo < bhi)
			list_clear(ids + (size_t)blo * QB * k,
				   sims + (size_t)blo * QB * k,
				   (size_t)(r1 - blo * QB) * k);
	} else {
		blo = tri_first(n, nb, t, nt);
		bhi = tri_first(n, nb, t + 1, nt);
		list_clear(ids, sims, (size_t)n * k);
	}
	/* Thread 0 tells the pairs of its share done as rows of all: the
	 * shares are even. */
	double pairs = 0, paired = 0;
	for (uint32_t b = blo; b < bhi; b++) {
		uint32_t q0 = b * QB, q1 = q0 + QB < nq ? q0 + QB : nq;
		pairs += (double)(q1 - q0) * (n - (j->rows ? 0 : q0));
	}
	for (uint32_t b = blo; b < bhi; b++) {
		uint32_t q0 = b * QB, q1 = q0 + QB < nq ? q0 + QB : nq;
		/* All rows: only pairs (a, c > a), offered both ways. */
		for (uint32_t c0 = j->rows ? 0 : q0; c0 < n; c0 += CB) {
			uint32_t c1 = c0 + CB < n ? c0 + CB : n;
			/* c0 is a multiple of PW: its panels start here. */
			const float *panel = j->packed + (size_t)c0 * dim;
			for (uint32_t i0 = q0; i0 < q1; i0 += QR) {
				uint32_t qid[QR];
				const float *qp[QR];
				for (uint32_t r = 0; r < QR; r++) {
					uint32_t qi = i0 + r < q1 ? i0 + r
								  : q1 - 1;
					qid[r] = j->rows ? j->rows[qi] : qi;
					qp[r] = x + (size_t)qid[r] * dim;
				}
				for (uint32_t pc = c0; pc < c1; pc += PW) {
					if (!j->rows && pc + PW <= i0 + 1)
						continue;
					j->mf(qp, panel + (size_t)(pc - c0) *
					      dim, dim, tile);
					offer_tile(j, ids, sims, qid, i0, q1,
						   pc, pc + PW < c1 ? pc + PW
								    : c1,
						   tile);
				}
			}
			/* A chunk is some milliseconds of work. */
			paired += (double)(q1 - q0) * (c1 - c0);
			if (rl_tick_part(j->tick, t, (uint64_t)(nq * paired /
								 pairs), nq))
				return;
		}
	}
}

/* Inverted index: only rows sharing a column with the query are touched;
 * the rest have similarity exactly 0 and are offered by smallest index. */
static void exact_sparse_part(void *ctx, int t, int nt)
{
	exact_job *j = ctx;
	const rl_csr *m = j->v->csr;
	uint32_t n = j->v->n, k = j->k;
	uint32_t nq = j->rows ? j->n_rows : n, lo, hi;
	range(nq, t, nt, &lo, &hi);
	float *acc = malloc((size_t)n * sizeof *acc);
	uint32_t *mark = calloc(n, sizeof *mark);
	uint32_t *touched = malloc((size_t)n * sizeof *touched);
	if (!acc || !mark || !touched) {
		j->failed[t] = 1;
		goto out;
	}
	for (uint32_t qi = lo; qi < hi; qi++) {
		uint32_t a = j->rows ? j->rows[qi] : qi, nt_ = 0;
		uint32_t stamp = qi + 1;
		/* A row can meet most of the others through common terms:
		 * report every 16. */
		if (qi > lo && ((qi - lo) & 15) == 0 &&
		    rl_tick_part(j->tick, t, (uint64_t)(qi - lo) * nq /
					     (hi - lo), nq))
			goto out;
		int32_t *la = j->ids[t] + (size_t)qi * k;
		float *sa = j->sims[t] + (size_t)qi * k;
		list_clear(la, sa, k);
		/* Same products, same column order as dot_sparse: same
		 * bits. */
		for (uint64_t p = m->indptr[a]; p < m->indptr[a + 1]; p++) {
			uint32_t col = m->indices[p];
			float va = m->values[p];
			for (uint64_t q = j->colptr[col];
			     q < j->colptr[col + 1]; q++) {
				uint32_t b = j->colrow[q];
				if (mark[b] != stamp) {
					mark[b] = stamp;
					acc[b] = 0;
					touched[nt_++] = b;
				}
				acc[b] += va * j->colval[q];
			}
		}
		for (uint32_t i = 0; i < nt_; i++) {
			uint32_t b = touched[i];
			if (b != a && better(acc[b], (int32_t)b, sa[k - 1],
					     la[k - 1]))
				topk_put(la, sa, NULL, k, (int32_t)b, acc[b]);
		}
		for (uint32_t b = 0; b < n; b++) {
			if (b == a || mark[b] == stamp)
				continue;
			if (!better(0, (int32_t)b, sa[k - 1], la[k - 1]))
				break;
			topk_put(la, sa, NULL, k, (int32_t)b, 0);
		}
	}
out:
	free(acc);
	free(mark);
	free(touched);
}

/* Thread 0's lists absorb the others': each pair was offered in exactly
 * one thread, so there is nothing to deduplicate. */
static void merge_part(void *ctx, int t, int nt)
{
	exact_job *j = ctx;
	uint32_t lo, hi, k = j->k;
	range(j->v->n, t, nt, &lo, &hi);
	for (uint32_t r = lo; r < hi; r++) {
		int32_t *la = j->ids[0] + (size_t)r * k;
		float *sa = j->sims[0] + (size_t)r * k;
		for (int u = 1; u < nt; u++)
			for (uint32_t e = 0; e < k; e++) {
				int32_t id = j->ids[u][(size_t)r * k + e];
				float s = j->sims[u][(size_t)r * k + e];
				if (id < 0)
					break;
				if (better(s, id, sa[k - 1], la[k - 1]))
					topk_put(la, sa, NULL, k, id, s);
			}
	}
}

/* Exact neighbours of rows[0..n_rows) (all rows when rows is NULL) into
 * nbr/s ([n_rows][k]); holes are -1 with similarity -inf. RL_ECANCELED
 * when tick stops it. */
static int exact(const rl_vecs *v, micro_fn mf, uint32_t k,
		 const uint32_t *rows, uint32_t n_rows, int threads,
		 int32_t *nbr, float *s, rl_tick *tick)
{
	if (threads < 1)
		threads = 1;
	exact_job j = { .v = v, .mf = mf, .k = k, .rows = rows,
			.n_rows = rows ? n_rows : v->n, .tick = tick };
	int rc = RL_ENOMEM;
	int priv = !rows && v->dense && threads > 1;
	j.ids = calloc((size_t)threads, sizeof *j.ids);
	j.sims = calloc((size_t)threads, sizeof *j.sims);
	j.failed = calloc((size_t)threads, sizeof *j.failed);
	if (!j.ids || !j.sims || !j.failed)
		goto out;
	for (int t = 0; t < threads; t++) {
		j.ids[t] = nbr;
		j.sims[t] = s;
		if (priv && t > 0) {
			j.ids[t] = malloc((size_t)v->n * k * sizeof *nbr);
			j.sims[t] = malloc((size_t)v->n * k * sizeof *s);
			if (!j.ids[t] || !j.sims[t])
				goto out;
		}
	}
	if (v->dense) {
		/* Packed once, not once per query block: packing was a
		 * quarter of the search when every block repacked the
		 * candidates. */
		j.packed = malloc(((size_t)round_pw(v->n) * v->dim + 1) *
				  sizeof *j.packed);
		if (!j.packed)
			goto out;
		pack(v->dense, v->dim, NULL, 0, v->n, j.packed);
	} else {
		const rl_csr *m = v->csr;
		uint64_t nnz = m->indptr[v->n];
		j.colptr = calloc((size_t)m->n_cols + 2, sizeof *j.colptr);
		j.colrow = malloc((size_t)nnz * sizeof *j.colrow + 1);
		j.colval = malloc((size_t)nnz * sizeof *j.colval + 1);
		if (!j.colptr || !j.colrow || !j.colval)
			goto out;
		for (uint64_t p = 0; p < nnz; p++)
			j.colptr[m->indices[p] + 2]++;
		for (uint32_t c = 0; c < m->n_cols; c++)
			j.colptr[c + 2] += j.colptr[c + 1];
		/* colptr[c + 1] is now where column c's next entry goes. */
		for (uint32_t r = 0; r < v->n; r++)
			for (uint64_t p = m->indptr[r]; p < m->indptr[r + 1];
			     p++) {
				uint64_t q = j.colptr[m->indices[p] + 1]++;
				j.colrow[q] = r;
				j.colval[q] = m->values[p];
			}
	}
	if ((rc = rl_parallel(threads, v->dense ? exact_dense_part
					       : exact_sparse_part, &j)) !=
	    RL_OK)
		goto out;
	if (rl_tick_stopped(tick)) {
		rc = RL_ECANCELED;
		goto out;
	}
	for (int t = 0; t < threads; t++)
		if (j.failed[t]) {
			rc = RL_ENOMEM;
			goto out;
		}
	if (priv)
		rc = rl_parallel(threads, merge_part, &j);
out:
	for (int t = 1; priv && j.ids && j.sims && t < threads; t++) {
		free(j.ids[t]);
		free(j.sims[t]);
	}
	free(j.ids);
	free(j.sims);
	free(j.failed);
	free(j.packed);
	free(j.colptr);
	free(j.colrow);
	free(j.colval);
	return rc;
}

/* ---- NN-descent ---- */

/* Rows per random-projection tree leaf and trees per forest, as multiples
 * of the pool: leaves of about twice the pool give each row a full pool of
 * near rows, and a few trees cover most of the true neighbours before the
 * first join. */
#define LEAF_PER_POOL 2
#define N_TREES 6
/* Upper bound of pairs a join block may buffer (12 bytes each). */
#define PAIR_BUDGET (1u << 23)

typedef struct pair {
	uint32_t a, b;
	float s;
} pair;

typedef struct nnd {
	const rl_vecs *v;
	micro_fn mf;
	const rl_knn_opts *o;
	uint32_t n, K, cap;	/* cap: candidates per row and kind, 2K */
	int32_t *ids;		/* [n][K] pools */
	float *sims;		/* [n][K] */
	uint8_t *fresh;		/* [n][K] 1: not yet joined */
	uint32_t *cnew, *cold;	/* [n][cap] this round's candidates */
	uint32_t *nnew, *nold;	/* [n] */
	uint32_t *fnew, *fold;	/* [n] forward parts of them */
	uint32_t blo, bhi;	/* block being joined */
	int threads;
	pair **buf;		/* [threads] pair buffers */
	size_t *nbuf, *capbuf;
	uint64_t *updates;	/* [threads] */
	int *failed;		/* [threads] */
	/* [threads] scratch: ids, panels, similarities of up to mmax rows */
	uint32_t mmax;
	uint32_t **gather;
	float **panel, **out;
	/* the forest: [N_TREES][n] row orders, leaves as [lo, hi) of them */
	uint32_t leaf, tree;
	uint32_t *perm, *leaf_lo, *leaf_hi, *n_leaves;
	float *hyper;		/* [threads][dim] */
	/* progress: the phase running covers row visits base .. base +
	 * span of total */
	rl_tick *tick;
	uint64_t base, span, total;
} nnd;

/* Thread t's step of the tick: the phase's start plus the part x of all
 * that thread 0 has done of its share (the shares are even). Non-zero:
 * stop now. */
static int nnd_tick(const nnd *d, int t, uint64_t x, uint64_t all)
{
	return rl_tick_part(d->tick, t, d->base + (all ? (uint64_t)(
				    (double)d->span * x / all) : 0),
			    d->total);
}

static int nnd_stopped(const nnd *d)
{
	return rl_tick_stopped(d->tick) ? RL_ECANCELED : RL_OK;
}

static float dot_fast(const float *a, const float *b, uint32_t dim)
{
	float s[8] = { 0 }, r = 0;
	uint32_t i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int l = 0; l < 8; l++)
			s[l] += a[i + l] * b[i + l];
	for (; i < dim; i++)
		r += a[i] * b[i];
	for (int l = 0; l < 8; l++)
		r += s[l];
	return r;
}

/* Side of row x for the hyperplane between rows a and b (h = xa - xb when
 * dense): > 0 is nearer a. */
static float side(const rl_vecs *v, const float *h, uint32_t x, uint32_t a,
		  uint32_t b)
{
	if (v->dense)
		return dot_fast(v->dense + (size_t)x * v->dim, h, v->dim);
	return dot_sparse(v->csr, x, a) - dot_sparse(v->csr, x, b);
}

/* Splits rows by random hyperplanes (through the midpoint of two random
 * rows of the node) until nodes hold at most d->leaf rows. Thread t has
 * built `built` of its `mine` trees; non-zero if the tick stopped it. */
static int build_tree(nnd *d, uint32_t tr, float *h, int t, uint32_t built,
		      uint32_t mine)
{
	const rl_vecs *v = d->v;
	uint32_t n = d->n, *perm = d->perm + (size_t)tr * n;
	uint32_t *llo = d->leaf_lo + (size_t)tr * n;
	uint32_t *lhi = d->leaf_hi + (size_t)tr * n, nl = 0;
	uint64_t rng = d->o->seed * 0x9e3779b97f4a7c15ull + 0x7f4a7c15ull * tr +
		       11;
	/* Smaller half first, so the stack stays under log2(n) + 2. */
	uint32_t stack[2 * 72];
	int sp = 0;
	uint64_t cut = 0;	/* rows split since the last step */
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	stack[sp++] = 0;
	stack[sp++] = n;
	while (sp > 0) {
		uint32_t hi = stack[--sp], lo = stack[--sp], m = hi - lo;
		if (cut >= 1u << 16) {
			cut = 0;
			if (nnd_tick(d, t, built, mine))
				return 1;
		}
		cut += m;
		if (m <= d->leaf) {
			llo[nl] = lo;
			lhi[nl++] = hi;
			continue;
		}
		uint32_t a = perm[lo + rl_rand_next(&rng) % m];
		uint32_t b = perm[lo + rl_rand_next(&rng) % m];
		uint32_t mid = lo;
		if (a != b) {
			/* Sparse rows: no dense array, and NULL + offset is
			 * undefined. */
			const float *x = v->dense;
			const float *xa = x ? x + (size_t)a * v->dim : NULL;
			const float *xb = x ? x + (size_t)b * v->dim : NULL;
			for (uint32_t i = 0; x && i < v->dim; i++)
				h[i] = xa[i] - xb[i];
			uint32_t i = lo, j = hi, flip = 0;
			while (i < j) {
				float s = side(v, h, perm[i], a, b);
				if (s > 0 || (s == 0 && (flip ^= 1))) {
					i++;
				} else {
					uint32_t x = perm[i];
					perm[i] = perm[--j];
					perm[j] = x;
				}
			}
			mid = i;
		}
		/* Duplicates or a degenerate cut: halve by position. */
		if (mid == lo || mid == hi)
			mid = lo + m / 2;
		if (mid - lo < hi - mid) {
			stack[sp++] = mid;
			stack[sp++] = hi;
			stack[sp++] = lo;
			stack[sp++] = mid;
		} else {
			stack[sp++] = lo;
			stack[sp++] = mid;
			stack[sp++] = mid;
			stack[sp++] = hi;
		}
	}
	d->n_leaves[tr] = nl;
	return 0;
}

static void tree_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t mine = 0, built = 0;
	for (uint32_t tr = (uint32_t)t; tr < N_TREES; tr += (uint32_t)nt)
		mine++;
	for (uint32_t tr = (uint32_t)t; tr < N_TREES; tr += (uint32_t)nt)
		if (build_tree(d, tr, d->hyper + (size_t)t *
				      (d->v->dense ? d->v->dim : 1), t,
			       built++, mine))
			return;
}

/* Exact neighbours within each leaf of tree d->tree. A row lies in one
 * leaf per tree, so threads never share a pool. */
static void leaf_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t tr = d->tree, lo, hi, K = d->K;
	const uint32_t *perm = d->perm + (size_t)tr * d->n;
	range(d->n_leaves[tr], t, nt, &lo, &hi);
	for (uint32_t l = lo; l < hi; l++) {
		if (l > lo && ((l - lo) & 63) == 0 &&
		    nnd_tick(d, t, (uint64_t)tr * (hi - lo) + (l - lo),
			     (uint64_t)N_TREES * (hi - lo)))
			return;
		uint32_t a = d->leaf_lo[(size_t)tr * d->n + l];
		uint32_t m = d->leaf_hi[(size_t)tr * d->n + l] - a;
		const uint32_t *g = perm + a;
		uint32_t mp = round_pw(m);
		block_sims(d->v, d->mf, g, m, m, d->panel[t], d->out[t]);
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < m; j++)
				if (j != i)
					list_insert(d->ids + (size_t)g[i] * K,
						    d->sims + (size_t)g[i] * K,
						    d->fresh + (size_t)g[i] * K,
						    K, (int32_t)g[j],
						    d->out[t][(size_t)i * mp +
							      j]);
	}
}

/* The earlier graph where given, then random rows for any holes the
 * forest left. */
static void seed_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	const rl_knn_opts *o = d->o;
	uint32_t lo, hi, K = d->K, k = o->k, *g = d->gather[t];
	float *out = d->out[t];
	range(d->n, t, nt, &lo, &hi);
	for (uint32_t r = lo; r < hi; r++) {
		if (r > lo && ((r - lo) & 1023) == 0 &&
		    nnd_tick(d, t, r - lo, hi - lo))
			return;
		int32_t *ids = d->ids + (size_t)r * K;
		float *sims = d->sims + (size_t)r * K;
		uint8_t *fr = d->fresh + (size_t)r * K;
		uint32_t m = 1;
		g[0] = r;
		if (o->init && r < o->n_init)
			for (uint32_t i = 0; i < k && m < d->mmax; i++) {
				int32_t y = o->init[(size_t)r * k + i];
				if (y >= 0 && (uint32_t)y < d->n &&
				    (uint32_t)y != r)
					g[m++] = (uint32_t)y;
			}
		uint64_t s = o->seed * 0x9e3779b97f4a7c15ull + 7;
		s ^= (uint64_t)r * 0xd1b54a32d192ed03ull;
		for (int round = 0; round < 5; round++) {
			if (m > 1) {
				block_sims(d->v, d->mf, g, 1, m, d->panel[t],
					   out);
				for (uint32_t i = 1; i < m; i++)
					list_insert(ids, sims, fr, K,
						    (int32_t)g[i], out[i]);
			}
			if (ids[K - 1] >= 0)
				break;
			m = 1;
			while (m < PW) {
				uint32_t y = (uint32_t)(rl_rand_next(&s) %
							d->n);
				if (y != r)
					g[m++] = y;
			}
		}
	}
}

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
 * new candidates, and between new and old ones, as one small block of
 * similarities. Only pairs that would enter a pool are kept. */
static void join_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi, c = d->cap, *g = d->gather[t];
	float *out = d->out[t];
	int32_t *wid = (int32_t *)g + d->mmax;
	float *wsim = out + (size_t)d->mmax * round_pw(d->mmax);
	range(d->bhi - d->blo, t, nt, &lo, &hi);
	d->nbuf[t] = 0;
	for (uint32_t r = d->blo + lo; r < d->blo + hi; r++) {
		uint32_t nn = d->nnew[r], no = d->nold[r], m = nn + no;
		if (r > d->blo + lo && ((r - d->blo - lo) & 15) == 0 &&
		    nnd_tick(d, t, r - d->blo - lo, hi - lo))
			return;
		if (nn == 0)
			continue;
		memcpy(g, d->cnew + (size_t)r * c, nn * sizeof *g);
		memcpy(g + nn, d->cold + (size_t)r * c, no * sizeof *g);
		block_sims(d->v, d->mf, g, nn, m, d->panel[t], out);
		uint32_t mp = round_pw(m);
		/* The worst entry of each gathered row's pool, read once. */
		for (uint32_t i = 0; i < m; i++) {
			size_t w = (size_t)g[i] * d->K + d->K - 1;
			wid[i] = d->ids[w];
			wsim[i] = d->sims[w];
		}
		for (uint32_t i = 0; i < nn; i++)
			for (uint32_t j = i + 1; j < m; j++) {
				float s = out[(size_t)i * mp + j];
				if (g[i] == g[j] ||
				    (!better(s, (int32_t)g[j], wsim[i],
					     wid[i]) &&
				     !better(s, (int32_t)g[i], wsim[j],
					     wid[j])))
					continue;
				if (push_pair(d, t, g[i], g[j], s) != RL_OK) {
					d->failed[t] = 1;
					return;
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

/* Fills cnew/cold from the pools: every fresh and every old neighbour,
 * plus reverse edges up to as many again. Fresh ones taken are marked
 * joined. Full sampling (rho = 1) costs more per round than sampling half
 * but reaches a recall that sampling never does. RL_ECANCELED if the
 * tick stops it. */
static int build_candidates(nnd *d)
{
	uint32_t c = d->cap, K = d->K;
	for (uint32_t r = 0; r < d->n; r++) {
		if ((r & 65535) == 65535 &&
		    rl_tick_step(d->tick, d->base, d->total) != RL_OK)
			return RL_ECANCELED;
		d->nnew[r] = 0;
		d->nold[r] = 0;
		for (uint32_t i = 0; i < K; i++) {
			int32_t id = d->ids[(size_t)r * K + i];
			if (id < 0)
				break;
			uint8_t *f = &d->fresh[(size_t)r * K + i];
			if (*f)
				d->cnew[(size_t)r * c + d->nnew[r]++] =
					(uint32_t)id;
			else
				d->cold[(size_t)r * c + d->nold[r]++] =
					(uint32_t)id;
			*f = 0;
		}
	}
	/* Reverse edges: r is a candidate of each of its forward
	 * candidates, while they have room, in row order. */
	memcpy(d->fnew, d->nnew, d->n * sizeof *d->fnew);
	memcpy(d->fold, d->nold, d->n * sizeof *d->fold);
	for (uint32_t r = 0; r < d->n; r++) {
		if ((r & 65535) == 65535 &&
		    rl_tick_step(d->tick, d->base, d->total) != RL_OK)
			return RL_ECANCELED;
		for (uint32_t i = 0; i < d->fnew[r]; i++) {
			uint32_t u = d->cnew[(size_t)r * c + i];
			if (d->nnew[u] < c)
				d->cnew[(size_t)u * c + d->nnew[u]++] = r;
		}
		for (uint32_t i = 0; i < d->fold[r]; i++) {
			uint32_t u = d->cold[(size_t)r * c + i];
			if (d->nold[u] < c)
				d->cold[(size_t)u * c + d->nold[u]++] = r;
		}
	}
	return RL_OK;
}

static int descent(const rl_vecs *v, micro_fn mf, const rl_knn_opts *o,
		   int32_t *nbr, float *out_sim)
{
	nnd d = { .v = v, .mf = mf, .o = o, .n = v->n, .tick = o->tick };
	int threads = o->threads < 1 ? 1 : o->threads;
	uint32_t k = o->k;
	d.K = o->pool > k ? o->pool : k;
	if (d.K > v->n - 1)
		d.K = v->n - 1;
	d.cap = 2 * d.K;
	d.leaf = LEAF_PER_POOL * d.K < 16 ? 16 : LEAF_PER_POOL * d.K;
	d.mmax = 2 * d.cap;
	if (d.mmax < d.leaf)
		d.mmax = d.leaf;
	if (d.mmax < k + 1)
		d.mmax = k + 1;
	if (d.mmax < PW)
		d.mmax = PW;
	d.threads = threads;
	uint32_t c = d.cap, mp = round_pw(d.mmax);
	int rc = RL_ENOMEM;
	d.ids = malloc((size_t)d.n * d.K * sizeof *d.ids);
	d.sims = malloc((size_t)d.n * d.K * sizeof *d.sims);
	d.fresh = calloc((size_t)d.n * d.K, 1);
	d.cnew = malloc((size_t)d.n * c * sizeof *d.cnew);
	d.cold = malloc((size_t)d.n * c * sizeof *d.cold);
	d.nnew = malloc(d.n * sizeof *d.nnew);
	d.nold = malloc(d.n * sizeof *d.nold);
	d.fnew = malloc(d.n * sizeof *d.fnew);
	d.fold = malloc(d.n * sizeof *d.fold);
	d.buf = calloc((size_t)threads, sizeof *d.buf);
	d.nbuf = calloc((size_t)threads, sizeof *d.nbuf);
	d.capbuf = calloc((size_t)threads, sizeof *d.capbuf);
	d.updates = calloc((size_t)threads, sizeof *d.updates);
	d.failed = calloc((size_t)threads, sizeof *d.failed);
	d.gather = calloc((size_t)threads, sizeof *d.gather);
	d.panel = calloc((size_t)threads, sizeof *d.panel);
	d.out = calloc((size_t)threads, sizeof *d.out);
	d.perm = malloc((size_t)N_TREES * d.n * sizeof *d.perm);
	d.leaf_lo = malloc((size_t)N_TREES * d.n * sizeof *d.leaf_lo);
	d.leaf_hi = malloc((size_t)N_TREES * d.n * sizeof *d.leaf_hi);
	d.n_leaves = calloc(N_TREES, sizeof *d.n_leaves);
	d.hyper = malloc((size_t)threads * (v->dense ? v->dim : 1) *
			 sizeof *d.hyper);
	if (!d.ids || !d.sims || !d.fresh || !d.cnew || !d.cold || !d.nnew ||
	    !d.nold || !d.fnew || !d.fold || !d.buf || !d.nbuf || !d.capbuf ||
	    !d.updates || !d.failed || !d.gather || !d.panel || !d.out ||
	    !d.perm || !d.leaf_lo || !d.leaf_hi || !d.n_leaves || !d.hyper)
		goto out;
	for (int t = 0; t < threads; t++) {
		/* gather and out carry the join's [mmax] worst entries
		 * after their own data */
		d.gather[t] = malloc(2 * mp * sizeof **d.gather);
		d.panel[t] = malloc((size_t)mp * (v->dense ? v->dim : 1) *
				    sizeof **d.panel);
		d.out[t] = malloc((size_t)(mp + 1) * mp * sizeof **d.out);
		if (!d.gather[t] || !d.panel[t] || !d.out[t])
			goto out;
	}
	list_clear(d.ids, d.sims, (size_t)d.n * d.K);

	/* Start: exact neighbours within the leaves of a forest, the
	 * earlier graph, random rows for what is left; a third of the
	 * start's n row visits each, as progress goes. */
	d.total = ((uint64_t)o->max_iters + 1) * d.n;
	d.span = d.n / 3;
	if ((rc = rl_parallel(threads, tree_part, &d)) != RL_OK ||
	    (rc = nnd_stopped(&d)) != RL_OK)
		goto out;
	d.base = d.span;
	for (d.tree = 0; d.tree < N_TREES; d.tree++)
		if ((rc = rl_parallel(threads, leaf_part, &d)) != RL_OK ||
		    (rc = nnd_stopped(&d)) != RL_OK)
			goto out;
	free(d.perm);
	free(d.leaf_lo);
	free(d.leaf_hi);
	d.perm = d.leaf_lo = d.leaf_hi = NULL;
	d.base = 2 * d.span;
	d.span = d.n - d.base;
	if ((rc = rl_parallel(threads, seed_part, &d)) != RL_OK ||
	    (rc = nnd_stopped(&d)) != RL_OK)
		goto out;

	for (uint32_t it = 0; it < o->max_iters; it++) {
		/* Round it: n row visits after the start's and the earlier
		 * rounds'. */
		uint64_t round = ((uint64_t)it + 1) * d.n;
		d.base = round;
		if ((rc = build_candidates(&d)) != RL_OK)
			goto out;
		memset(d.updates, 0, (size_t)threads * sizeof *d.updates);
		for (d.blo = 0; d.blo < d.n; d.blo = d.bhi) {
			/* Blocks bound the pair buffers' memory by the most
			 * pairs their rows could yield. */
			uint64_t bound = 0;
			d.bhi = d.blo;
			while (d.bhi < d.n && (bound == 0 ||
					       bound < PAIR_BUDGET)) {
				uint64_t nn = d.nnew[d.bhi];
				bound += nn * (nn + 2 * d.nold[d.bhi]) / 2 + 1;
				d.bhi++;
			}
			d.base = round + d.blo;
			d.span = d.bhi - d.blo;
			if ((rc = rl_parallel(threads, join_part, &d)) !=
			    RL_OK || (rc = nnd_stopped(&d)) != RL_OK)
				goto out;
			for (int t = 0; t < threads; t++)
				if (d.failed[t]) {
					rc = RL_ENOMEM;
					goto out;
				}
			if ((rc = rl_parallel(threads, apply_part, &d)) !=
			    RL_OK ||
			    (rc = rl_tick_step(d.tick, round + d.bhi,
					       d.total)) != RL_OK)
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
			int32_t id = i < d.K ? d.ids[(size_t)r * d.K + i] : -1;
			nbr[(size_t)r * k + i] = id;
			out_sim[(size_t)r * k + i] =
				id >= 0 ? d.sims[(size_t)r * d.K + i] : 0;
		}
	rc = RL_OK;
out:
	for (int t = 0; t < threads; t++) {
		if (d.buf)
			free(d.buf[t]);
		if (d.gather)
			free(d.gather[t]);
		if (d.panel)
			free(d.panel[t]);
		if (d.out)
			free(d.out[t]);
	}
	free(d.buf);
	free(d.nbuf);
	free(d.capbuf);
	free(d.updates);
	free(d.failed);
	free(d.gather);
	free(d.panel);
	free(d.out);
	free(d.perm);
	free(d.leaf_lo);
	free(d.leaf_hi);
	free(d.n_leaves);
	free(d.hyper);
	free(d.ids);
	free(d.sims);
	free(d.fresh);
	free(d.cnew);
	free(d.cold);
	free(d.nnew);
	free(d.nold);
	free(d.fnew);
	free(d.fold);
	return rc;
}

int rl_knn(const rl_vecs *v, const rl_knn_opts *o, int32_t *nbr, float *s)
{
	if (o->k == 0)
		return RL_EINVAL;
	micro_fn mf = pick_micro();
	if (v->n <= 1 || o->exact || v->n <= o->k + 1) {
		int rc = exact(v, mf, o->k, NULL, v->n, o->threads, nbr, s,
			       o->tick);
		/* Holes (fewer rows than k) get similarity 0, not -inf. */
		for (size_t i = 0; rc == RL_OK && i < (size_t)v->n * o->k; i++)
			if (nbr[i] < 0)
				s[i] = 0;
		return rc;
	}
	return descent(v, mf, o, nbr, s);
}

int rl_knn_recall(const rl_vecs *v, uint32_t k, const int32_t *nbr,
		  uint32_t n_sample, uint64_t seed, int threads,
		  double *recall, rl_tick *tick)
{
	if (n_sample > v->n)
		n_sample = v->n;
	*recall = 1;
	if (n_sample == 0 || k == 0)
		return RL_OK;
	micro_fn mf = pick_micro();
	uint32_t mp = round_pw(k + 1);
	uint32_t *rows = malloc(n_sample * sizeof *rows);
	int32_t *tn = malloc((size_t)n_sample * k * sizeof *tn);
	float *ts = malloc((size_t)n_sample * k * sizeof *ts);
	uint32_t *g = malloc(mp * sizeof *g);
	float *panel = malloc((size_t)mp * (v->dense ? v->dim : 1) *
			      sizeof *panel);
	float *out = malloc((size_t)mp * sizeof *out);
	int rc = RL_ENOMEM;
	if (!rows || !tn || !ts || !g || !panel || !out)
		goto out;
	/* Distinct sample rows: a seeded partial Fisher-Yates would need
	 * n memory; stride through a random start instead. */
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 3;
	uint32_t start = (uint32_t)(rl_rand_next(&s) % v->n);
	for (uint32_t i = 0; i < n_sample; i++)
		rows[i] = (uint32_t)((start + (uint64_t)i * v->n / n_sample) %
				     v->n);
	if ((rc = exact(v, mf, k, rows, n_sample, threads, tn, ts, tick)) !=
	    RL_OK)
		goto out;
	uint64_t hit = 0, want = 0;
	for (uint32_t i = 0; i < n_sample; i++) {
		const int32_t *got = nbr + (size_t)rows[i] * k;
		const int32_t *ex = tn + (size_t)i * k;
		uint32_t m = 1, w = 0, h = 0;
		g[0] = rows[i];
		while (w < k && ex[w] >= 0)
			w++;
		/* A returned neighbour outside the exact list still counts
		 * when it ties the k-th similarity: duplicates make exact
		 * ties, and either of them is a right answer. */
		for (uint32_t b = 0; b < k; b++) {
			int32_t y = got[b];
			int in = 0, dup = 0;
			if (y < 0 || (uint32_t)y >= v->n ||
			    (uint32_t)y == rows[i])
				continue;
			for (uint32_t a = 0; a < b && !dup; a++)
				dup = got[a] == y;
			for (uint32_t a = 0; a < w && !in; a++)
				in = ex[a] == y;
			if (in && !dup)
				h++;
			else if (!dup)
				g[m++] = (uint32_t)y;
		}
		if (w == k && m > 1) {
			block_sims(v, mf, g, 1, m, panel, out);
			for (uint32_t a = 1; a < m; a++)
				h += out[a] >= ts[(size_t)i * k + k - 1];
		}
		want += w;
		hit += h < w ? h : w;
	}
	*recall = want ? (double)hit / (double)want : 1;
	rc = RL_OK;
out:
	free(rows);
	free(tn);
	free(ts);
	free(g);
	free(panel);
	free(out);
	return rc;
}
