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
 * Memory is what bounds it at ten million rows, so the search keeps
 * little per row (descent() counts the bytes): dense rows may come
 * compact, int16 with a scale per row (rl_q16_row), restored to float a
 * block at a time for the same blocked kernel; a pool entry is a row id
 * with a "new" bit and a 16-bit similarity; the trees are built a few at
 * a time; the candidates of a round are gathered for one block of rows at
 * a time (their reverse edges by one scan of all pools), and that block's
 * pairs reach the pools before the next block gathers. The pools are the
 * result: the first k of each, scored again in float, cut in place.
 *
 * Determinism: a pool is the top of everything ever offered to it, ordered
 * by (similarity desc, index asc), and a pair's similarity is the same
 * bits whichever way and wherever it is computed (each lane sums over the
 * dimensions in order). So the result does not depend on the order of
 * offers, and with it not on the thread count: blocks are fixed by n
 * alone. Threads never write the same pool: they buffer pairs and apply
 * only those aimed at their rows, or keep private lists merged at the
 * end.
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

const char *rl_knn_kernel(void)
{
	return pick_micro() == micro_generic ? "generic" : "avx2";
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

void rl_q16_row(const float *x, uint32_t dim, int16_t *q, float *scale)
{
	float m = 0;
	for (uint32_t d = 0; d < dim; d++)
		if (fabsf(x[d]) > m)
			m = fabsf(x[d]);
	*scale = m / 32767;
	/* A row too small for its scale to be a float is a zero row. */
	if (!(*scale > 0))
		*scale = 0;
	for (uint32_t d = 0; d < dim; d++) {
		long r = *scale > 0 ? lrintf(x[d] / *scale) : 0;
		q[d] = (int16_t)(r > 32767 ? 32767 : r < -32767 ? -32767 : r);
	}
}

/* Row r of compact rows restored to float, out [dim]. */
static void q16_restore(const rl_vecs *v, uint32_t r, float *out)
{
	const int16_t *q = v->q16 + (size_t)r * v->dim;
	float s = v->scale[r];
	for (uint32_t d = 0; d < v->dim; d++)
		out[d] = (float)q[d] * s;
}

/* out[i][j] = sim(ids[i], ids[j]) for i < nq, j < m; out is
 * [nq][round_pw(m)], panel scratch holds round_pw(m) * dim floats and,
 * for compact rows, deq scratch m * dim. */
static void block_sims(const rl_vecs *v, micro_fn mf, const uint32_t *ids,
		       uint32_t nq, uint32_t m, float *panel, float *deq,
		       float *out)
{
	uint32_t mp = round_pw(m), dim = v->dim;
	if (!v->dense && !v->q16) {
		for (uint32_t i = 0; i < nq; i++)
			for (uint32_t j = 0; j < m; j++)
				out[(size_t)i * mp + j] =
					dot_sparse(v->csr, ids[i], ids[j]);
		return;
	}
	const float *x = v->dense;
	const uint32_t *rid = ids;
	if (v->q16) {
		/* Restored once per block: the products are then those of
		 * float rows, same bits in any tile position. */
		for (uint32_t j = 0; j < m; j++)
			q16_restore(v, ids[j], deq + (size_t)j * dim);
		x = deq;
		rid = NULL;
	}
	pack(x, dim, rid, 0, m, panel);
	float tile[QR * PW];
	for (uint32_t i0 = 0; i0 < nq; i0 += QR) {
		const float *q[QR];
		for (uint32_t r = 0; r < QR; r++) {
			uint32_t i = i0 + r < nq ? i0 + r : nq - 1;
			q[r] = x + (size_t)(rid ? rid[i] : i) * dim;
		}
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
/* rows a leaf of the locality order's tree holds (rl_knn_local_order) */
#define LOCAL_LEAF 64
/* Upper bound of pairs a join block may buffer (12 bytes each). */
#define PAIR_BUDGET (1u << 22)
/* Rows whose candidates are gathered at once: n / CAND_PARTS, at least
 * CAND_MIN; each such block costs one scan of all pools for its reverse
 * edges. */
#define CAND_MIN (1u << 17)
#define CAND_PARTS 32

/* A pool entry is a row and two flags, both set when it enters: FRESH
 * until its row has joined it (as a new candidate), REV until the row it
 * names has (as a new reverse edge). Blocks gather at different times, so
 * one bit would lose one of the two joins: an entry made after its
 * target's block gathered and joined by its own row's block in the same
 * round would be old to the target in the next. HOLE where there is no
 * entry yet (no flags, after every row). */
#define FRESH 0x80000000u
#define REV 0x40000000u
#define FLAGS (FRESH | REV)
#define HOLE RL_KNN_ID_MASK
/* Not in the block being gathered (refining's pos). */
#define NONE UINT32_MAX
/* Refining: leaves that many times larger, and fewer trees; each tree
 * still cuts through every row, which is most of a refinement's cost,
 * while its larger leaves cost little (only their new rows are compared
 * with them). At 10^6 with 10,000 new rows, 2 trees of leaves 4 times
 * larger: recall@10 of the new rows 0.910 for 36 s of the stage; 6 of
 * those 0.916 for 49 s; 6 trees of the search's leaves 0.901 for 47 s
 * (docs/measurements.md). */
#define REFINE_LEAF 4
#define REFINE_TREES 2
/* Rounds of PW random rows a new row probes when refining. */
#define PROBE_ROUNDS 32

/* A pool's similarities in 16-bit fixed point over [-1, 1]: steps of
 * 3e-5, coarser than the int16 rows' rounding (about 1e-5); the final k are
 * scored again in float. */
typedef uint16_t psim;

static inline psim to_psim(float s)
{
	float x = (s + 1.0f) * 32767.5f;
	if (!(x > 0))
		return 0;
	if (x >= 65535.0f)
		return 65535;
	return (psim)lrintf(x);
}

/* Is (s, id) better than (t, jd) in a pool? A hole loses to anything. */
static inline int pbetter(psim s, uint32_t id, psim t, uint32_t jd)
{
	return jd == HOLE || s > t || (s == t && id < jd);
}

/* Inserts row y (not HOLE) into the pool of K entries, as fresh, if it
 * beats the worst and is not there yet. Returns 1 if the pool changed.
 * A row is offered with the same similarity every time (the bits of a
 * pair do not depend on where it is scored), so if it is in the pool it
 * sits just before where it would go: no need to look further. */
static int pool_insert(uint32_t *ids, psim *ps, uint32_t K, uint32_t y,
		       psim s)
{
	if (!pbetter(s, y, ps[K - 1], ids[K - 1] & ~FLAGS))
		return 0;
	/* The first entry (s, y) beats: binary search, the pool being
	 * sorted. */
	uint32_t lo = 0, hi = K - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (pbetter(s, y, ps[mid], ids[mid] & ~FLAGS))
			hi = mid;
		else
			lo = mid + 1;
	}
	uint32_t pos = lo;
	if (pos > 0 && (ids[pos - 1] & ~FLAGS) == y)
		return 0;
	memmove(ids + pos + 1, ids + pos, (K - 1 - pos) * sizeof *ids);
	memmove(ps + pos + 1, ps + pos, (K - 1 - pos) * sizeof *ps);
	ids[pos] = y | FLAGS;
	ps[pos] = s;
	return 1;
}

typedef struct pair {
	uint32_t a, b;
	psim s;
} pair;

typedef struct nnd {
	const rl_vecs *v;
	micro_fn mf;
	const rl_knn_opts *o;
	uint32_t n, K, cap;	/* cap: candidates per row and kind, 2K */
	/* refining (rl_knn_opts.refine): isnew [n] 1 for a new row, NULL
	 * otherwise; an old row's pool is its first k entries (pool_len) */
	uint8_t *isnew;
	uint32_t n_new;
	uint32_t *ids;		/* [n][K] pools, best first */
	psim *ps;		/* [n][K] */
	/* Blocks follow the first tree's order of the rows, so a block is a
	 * region: its joins mostly reach its own rows, and rows of later
	 * blocks do not see their pools change much before they gather.
	 * order [n] the rows in that order. pos [n]: searching, its
	 * inverse; refining, a row's place in blk, or NONE. */
	uint32_t *order, *pos;
	/* searching rows already in a locality order (rl_knn_opts.ordered):
	 * the blocks follow the rows' own order, order and pos the
	 * identity */
	int ordered;
	/* candidates of the rows rows[clo .. chi - 1] (searching, rows is
	 * order and a block B positions of it; refining, blk [B], the
	 * active rows of the next stretch of the order, and clo 0):
	 * [B][cap] each. at: the position of rows[clo] in the order, for
	 * progress. */
	const uint32_t *rows;
	uint32_t B, clo, chi, at;
	uint32_t *blk;
	/* refining [n]: 1 while a row has something to join, a fresh entry
	 * in its pool or a reverse edge not yet gathered (REV on an entry
	 * naming it); only those rows are gathered. Set by apply_part's
	 * threads, so atomic. */
	atomic_uchar *act;
	uint32_t *cnew, *cold;
	uint32_t *nnew, *nold;	/* [B] */
	/* [B][2]: a row's own new and old entries among its candidates,
	 * and the reverse ones offered (offer_rev) */
	uint32_t *own, *seen;
	uint32_t blo, bhi;	/* positions being joined, within the
				   block */
	int threads;
	pair **buf;		/* [threads] pair buffers */
	size_t *nbuf, *capbuf;
	uint64_t *updates;	/* [threads] */
	int *failed;		/* [threads] */
	/* [threads] scratch: ids, panels, similarities, restored rows of
	 * up to mmax rows */
	uint32_t mmax;
	uint32_t **gather;
	float **panel, **out, **deq;
	/* the forest, built a group of trees at a time: [group][n] row
	 * orders, each with a bitmap of where its leaves start */
	uint32_t leaf, tree0, group, tree;
	uint32_t *perm;
	uint64_t *starts;	/* [group][(n + 63) / 64] */
	float *hyper;		/* [threads][dim] */
	float *sim;		/* [n][k] the result's similarities */
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

/* The entries of row r's pool in use: K, but an old row's k when
 * refining, so that it takes a new row in only when nearer than its
 * k-th. */
static inline uint32_t pool_len(const nnd *d, uint32_t r)
{
	if (d->isnew && !d->isnew[r] && d->o->k < d->K)
		return d->o->k;
	return d->K;
}

/* Refining, a pair of two old rows is known already. */
static inline int both_old(const nnd *d, uint32_t a, uint32_t b)
{
	return d->isnew && !d->isnew[a] && !d->isnew[b];
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

static float dot_q16(const int16_t *a, const float *b, uint32_t dim)
{
	float s[8] = { 0 }, r = 0;
	uint32_t i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int l = 0; l < 8; l++)
			s[l] += (float)a[i + l] * b[i + l];
	for (; i < dim; i++)
		r += (float)a[i] * b[i];
	for (int l = 0; l < 8; l++)
		r += s[l];
	return r;
}

/* Side of row x for the hyperplane between rows a and b (h = xa - xb when
 * dense): > 0 is nearer a. A compact row's scale is positive and does
 * not change the side. */
static float side(const rl_vecs *v, const float *h, uint32_t x, uint32_t a,
		  uint32_t b)
{
	if (v->q16)
		return dot_q16(v->q16 + (size_t)x * v->dim, h, v->dim);
	if (v->dense)
		return dot_fast(v->dense + (size_t)x * v->dim, h, v->dim);
	return dot_sparse(v->csr, x, a) - dot_sparse(v->csr, x, b);
}

static int dense_rows(const rl_vecs *v)
{
	return v->dense || v->q16;
}

/* Splits rows by random hyperplanes (through the midpoint of two random
 * rows of the node) until nodes hold at most d->leaf rows, into slot g of
 * the group. Non-zero if the tick stopped it. */
static int build_tree(nnd *d, uint32_t tr, uint32_t g, float *h, int t)
{
	const rl_vecs *v = d->v;
	uint32_t n = d->n, *perm = d->perm + (size_t)g * n;
	uint64_t *st = d->starts + (size_t)g * ((n + 63) / 64);
	uint64_t rng = d->o->seed * 0x9e3779b97f4a7c15ull + 0x7f4a7c15ull * tr +
		       11;
	/* Smaller half first, so the stack stays under log2(n) + 2. */
	uint32_t stack[2 * 72];
	int sp = 0;
	uint64_t cut = 0, done = 0;	/* rows split since the last step */
	float *ra = v->q16 ? h + v->dim : NULL, *rb = ra ? ra + v->dim : NULL;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	memset(st, 0, (n + 63) / 64 * sizeof *st);
	stack[sp++] = 0;
	stack[sp++] = n;
	while (sp > 0) {
		uint32_t hi = stack[--sp], lo = stack[--sp], m = hi - lo;
		if (cut >= 1u << 16) {
			done += cut;
			cut = 0;
			/* About log2(n / leaf) levels of n rows each. */
			if (nnd_tick(d, t, done, (uint64_t)n * 20))
				return 1;
		}
		cut += m;
		if (m <= d->leaf) {
			st[lo / 64] |= 1ull << (lo % 64);
			continue;
		}
		uint32_t a = perm[lo + rl_rand_next(&rng) % m];
		uint32_t b = perm[lo + rl_rand_next(&rng) % m];
		uint32_t mid = lo;
		if (a != b) {
			/* Sparse rows: no dense array, and NULL + offset is
			 * undefined. */
			if (v->q16) {
				q16_restore(v, a, ra);
				q16_restore(v, b, rb);
			}
			const float *x = v->q16 ? NULL : v->dense;
			const float *xa = v->q16 ? ra
					  : x ? x + (size_t)a * v->dim : NULL;
			const float *xb = v->q16 ? rb
					  : x ? x + (size_t)b * v->dim : NULL;
			for (uint32_t i = 0; xa && i < v->dim; i++)
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
	return 0;
}

/* Thread t builds tree tree0 + t of the group, if there is one. */
static void tree_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	(void)nt;
	if ((uint32_t)t < d->group)
		build_tree(d, d->tree0 + (uint32_t)t, (uint32_t)t,
			   d->hyper + (size_t)t * 3 * (dense_rows(d->v) ?
						       d->v->dim : 1), t);
}

/* Refining: the new rows of the leaf g [m] against all its rows, each
 * pair offered to both pools (an old row's if nearer than its k-th). */
static void leaf_new(nnd *d, int t, const uint32_t *g, uint32_t m)
{
	uint32_t *q = d->gather[t], nq = 0, K = d->K, mp = round_pw(m);
	for (uint32_t i = 0; i < m; i++)
		if (d->isnew[g[i]])
			q[nq++] = g[i];
	if (nq == 0)
		return;
	for (uint32_t i = 0, o = nq; i < m; i++)
		if (!d->isnew[g[i]])
			q[o++] = g[i];
	block_sims(d->v, d->mf, q, nq, m, d->panel[t], d->deq[t], d->out[t]);
	for (uint32_t i = 0; i < nq; i++)
		for (uint32_t j = 0; j < m; j++) {
			if (j == i)
				continue;
			psim s = to_psim(d->out[t][(size_t)i * mp + j]);
			pool_insert(d->ids + (size_t)q[i] * K,
				    d->ps + (size_t)q[i] * K, K, q[j], s);
			/* (a pair of new rows is offered from both) */
			if (j >= nq)
				pool_insert(d->ids + (size_t)q[j] * K,
					    d->ps + (size_t)q[j] * K,
					    pool_len(d, q[j]), q[i], s);
		}
}

/* Exact neighbours within each leaf of tree d->tree of the group; thread
 * t takes the leaves starting in its share of positions. A row lies in
 * one leaf per tree, so threads never share a pool. */
static void leaf_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t n = d->n, K = d->K, lo, hi;
	const uint32_t *perm = d->perm + (size_t)d->tree * n;
	const uint64_t *st = d->starts + (size_t)d->tree * ((n + 63) / 64);
	range(n, t, nt, &lo, &hi);
	uint32_t steps = 0;
	for (uint32_t a = lo; a < hi; a++) {
		if (!(st[a / 64] >> (a % 64) & 1))
			continue;
		if ((++steps & 63) == 0 &&
		    nnd_tick(d, t, (uint64_t)d->tree * (hi - lo) + (a - lo),
			     (uint64_t)d->group * (hi - lo)))
			return;
		uint32_t e = a + 1;
		while (e < n && !(st[e / 64] >> (e % 64) & 1))
			e++;
		uint32_t m = e - a, mp = round_pw(m);
		const uint32_t *g = perm + a;
		if (d->isnew) {
			leaf_new(d, t, g, m);
			continue;
		}
		block_sims(d->v, d->mf, g, m, m, d->panel[t], d->deq[t],
			   d->out[t]);
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < m; j++)
				if (j != i && !both_old(d, g[i], g[j]))
					pool_insert(d->ids + (size_t)g[i] * K,
						    d->ps + (size_t)g[i] * K,
						    pool_len(d, g[i]), g[j],
						    to_psim(d->out[t][
							(size_t)i * mp + j]));
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
		uint32_t *ids = d->ids + (size_t)r * K;
		psim *ps = d->ps + (size_t)r * K, L = pool_len(d, r);
		uint32_t m = 1;
		g[0] = r;
		/* An old row's list as scored before, when given. */
		const float *is = o->init_sim && d->isnew && !d->isnew[r]
				  ? o->init_sim + (size_t)r * k : NULL;
		if (o->init && r < o->n_init)
			for (uint32_t i = 0; i < k && m < d->mmax; i++) {
				int32_t y = o->init[(size_t)r * k + i];
				if (y < 0 || (uint32_t)y >= d->n ||
				    (uint32_t)y == r)
					continue;
				if (is)
					pool_insert(ids, ps, L, (uint32_t)y,
						    to_psim(is[i]));
				else
					g[m++] = (uint32_t)y;
			}
		uint64_t s = o->seed * 0x9e3779b97f4a7c15ull + 7;
		s ^= (uint64_t)r * 0xd1b54a32d192ed03ull;
		/* A new row, refining, probes PROBE_ROUNDS * PW random rows
		 * for its start: there is no forest to start it near. */
		int probe = d->isnew && d->isnew[r] ? PROBE_ROUNDS : 0;
		for (int round = 0; round < 5 || round < probe; round++) {
			if (m > 1) {
				block_sims(d->v, d->mf, g, 1, m, d->panel[t],
					   d->deq[t], out);
				for (uint32_t i = 1; i < m; i++)
					pool_insert(ids, ps, L, g[i],
						    to_psim(out[i]));
			}
			if (ids[L - 1] != HOLE && round + 1 >= probe)
				break;
			m = 1;
			while (m < PW) {
				uint32_t y = (uint32_t)(rl_rand_next(&s) %
							d->n);
				if (y != r)
					g[m++] = y;
			}
		}
		/* An old row's list is known to every old row it names:
		 * only the new rows the forest put in are news to a join. */
		if (d->isnew && !d->isnew[r])
			for (uint32_t i = 0; i < L && ids[i] != HOLE; i++)
				if (!d->isnew[ids[i] & ~FLAGS])
					ids[i] &= ~FLAGS;
	}
}

static int push_pair(nnd *d, int t, uint32_t a, uint32_t b, psim s)
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

/* Local join of the rows blo .. bhi - 1 in thread t's share: pairs among
 * new candidates, and between new and old ones, as one small block of
 * similarities. Only pairs that would enter a pool are kept. */
static void join_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi, c = d->cap, K = d->K, *g = d->gather[t];
	float *out = d->out[t];
	uint32_t *wid = g + d->mmax;
	psim *wsim = (psim *)(wid + d->mmax);
	range(d->bhi - d->blo, t, nt, &lo, &hi);
	d->nbuf[t] = 0;
	for (uint32_t q = d->blo + lo; q < d->blo + hi; q++) {
		uint32_t b = q - d->clo;
		uint32_t nn = d->nnew[b], no = d->nold[b], m = nn + no;
		if (q > d->blo + lo && ((q - d->blo - lo) & 15) == 0 &&
		    nnd_tick(d, t, q - d->blo - lo, hi - lo))
			return;
		if (nn == 0)
			continue;
		memcpy(g, d->cnew + (size_t)b * c, nn * sizeof *g);
		memcpy(g + nn, d->cold + (size_t)b * c, no * sizeof *g);
		block_sims(d->v, d->mf, g, nn, m, d->panel[t], d->deq[t],
			   out);
		uint32_t mp = round_pw(m);
		/* The worst entry of each gathered row's pool, read once. */
		for (uint32_t i = 0; i < m; i++) {
			size_t w = (size_t)g[i] * K + pool_len(d, g[i]) - 1;
			wid[i] = d->ids[w] & ~FLAGS;
			wsim[i] = d->ps[w];
		}
		for (uint32_t i = 0; i < nn; i++)
			for (uint32_t j = i + 1; j < m; j++) {
				psim s = to_psim(out[(size_t)i * mp + j]);
				if (g[i] == g[j] || both_old(d, g[i], g[j]) ||
				    (!pbetter(s, g[j], wsim[i], wid[i]) &&
				     !pbetter(s, g[i], wsim[j], wid[j])))
					continue;
				if (push_pair(d, t, g[i], g[j], s) != RL_OK) {
					d->failed[t] = 1;
					return;
				}
			}
	}
}

/* Thread t applies the block's pairs whose target row is its: the rows
 * of its range, or in a locality order, where a block's rows and their
 * neighbours lie in one stretch of rows, 64 rows in turn, so that both
 * threads have a share (bench_knn at 10^6 rows, one run each: 226 s
 * against 156 s a search; in the rows' random order the ranges were
 * the faster, 164 s against 187). Each pool takes its pairs in the same
 * order whatever the threads. */
static void apply_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi, K = d->K;
	range(d->n, t, nt, &lo, &hi);
	uint64_t changed = 0;
	for (int b = 0; b < d->threads; b++) {
		for (size_t i = 0; i < d->nbuf[b]; i++) {
			const pair *p = &d->buf[b][i];
			uint32_t ends[2] = { p->a, p->b };
			for (int e = 0; e < 2; e++) {
				uint32_t x = ends[e], y = ends[1 - e];
				if (d->ordered ? (x >> 6) % (uint32_t)nt !=
						 (uint32_t)t
					       : x < lo || x >= hi)
					continue;
				if (!pool_insert(d->ids + (size_t)x * K,
						 d->ps + (size_t)x * K,
						 pool_len(d, x), y, p->s))
					continue;
				changed++;
				/* x has a fresh entry, y a new reverse
				 * edge */
				if (d->act) {
					atomic_store_explicit(
						&d->act[x], 1,
						memory_order_relaxed);
					atomic_store_explicit(
						&d->act[y], 1,
						memory_order_relaxed);
				}
			}
		}
	}
	d->updates[t] += changed;
}

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Offers reverse candidate x to a row's candidate list, at most c long,
 * whose first `own` are the row's own entries. Rows in their random
 * order (seen NULL): in row order while there is room. In a locality
 * order the rows that come first are those of one region of space, so
 * there every reverse candidate is offered to a reservoir sample
 * instead (Vitter's algorithm R): *seen counts them, and the t-th takes
 * a place with chance (c - own) / t, by a hash of it, the row and salt,
 * the same whatever the threads. */
static inline void offer_rev(uint32_t *list, uint32_t *len, uint32_t *seen,
			     uint32_t own, uint32_t c, uint32_t x,
			     uint64_t salt)
{
	uint32_t t = seen ? ++*seen : 0;
	if (*len < c) {
		list[(*len)++] = x;
		return;
	}
	if (!seen || own >= c)
		return;
	uint64_t j = mix64(salt ^ ((uint64_t)x << 32 | t)) % t;
	if (j < c - own)
		list[own + j] = x;
}

/* Fills cnew/cold for the rows rows[clo .. chi - 1] from the pools: every
 * fresh and every old neighbour, then reverse edges (rows whose pool
 * holds the row: new while the entry's REV is set, which this clears)
 * in row order while there is room; the rows' own entries then lose
 * FRESH. Full sampling (rho = 1) costs more per round than sampling half
 * but reaches a recall that sampling never does. RL_ECANCELED if the
 * tick stops it. */
static int build_candidates(nnd *d)
{
	uint32_t c = d->cap, K = d->K, clo = d->clo, chi = d->chi;
	for (uint32_t q = clo; q < chi; q++) {
		uint32_t b = q - clo, r = d->rows[q];
		d->nnew[b] = 0;
		d->nold[b] = 0;
		for (uint32_t i = 0; i < K; i++) {
			uint32_t e = d->ids[(size_t)r * K + i];
			if (e == HOLE)
				break;
			if (e & FRESH)
				d->cnew[(size_t)b * c + d->nnew[b]++] =
					e & ~FLAGS;
			else
				d->cold[(size_t)b * c + d->nold[b]++] =
					e & ~FLAGS;
		}
	}
	for (uint32_t b = 0; b < chi - clo; b++) {
		d->own[2 * b] = d->nnew[b];
		d->own[2 * b + 1] = d->nold[b];
		d->seen[2 * b] = d->seen[2 * b + 1] = 0;
	}
	/* The reservoirs' hashes: of the seed, this call (its place in the
	 * rounds) and the row. */
	uint64_t call = mix64(d->o->seed ^ mix64(d->base));
	/* One pass over every pool: memory-bound. */
	for (uint32_t x = 0; x < d->n; x++) {
		if ((x & 262143) == 262143 &&
		    rl_tick_step(d->tick, d->base, d->total) != RL_OK)
			return RL_ECANCELED;
		uint32_t *p = d->ids + (size_t)x * K;
		for (uint32_t i = 0; i < K; i++) {
			uint32_t e = p[i];
			if (e == HOLE)
				break;
			/* In a locality order, a row's position is the row:
			 * no lookup of pos, which misses the cache at
			 * nearly every entry once it outgrows it. */
			uint32_t y = e & ~FLAGS;
			uint32_t u = (d->ordered ? y : d->pos[y]) - clo;
			if (u >= chi - clo)
				continue;
			uint64_t salt = d->ordered ? mix64(call ^
							   (clo + u)) : 0;
			if (e & REV) {
				offer_rev(d->cnew + (size_t)u * c,
					  &d->nnew[u], d->ordered ?
					  &d->seen[2 * u] : NULL,
					  d->own[2 * u], c, x, salt);
				p[i] &= ~REV;
			} else {
				offer_rev(d->cold + (size_t)u * c,
					  &d->nold[u], d->ordered ?
					  &d->seen[2 * u + 1] : NULL,
					  d->own[2 * u + 1], c, x, salt);
			}
		}
	}
	/* Refining, an old row keeps only its k, where a search keeps a
	 * pool of K: a new row that reaches it meets, besides its list and
	 * the rows that list it, the lists of the rows on its list (the
	 * earlier graph's two hops), about as many rows as a pool would
	 * give. */
	const rl_knn_opts *o = d->o;
	for (uint32_t q = clo; d->isnew && q < chi; q++) {
		uint32_t b = q - clo, r = d->rows[q], k = o->k;
		if (d->isnew[r] || d->nnew[b] == 0 || r >= o->n_init)
			continue;
		for (uint32_t i = 0; i < k; i++) {
			int32_t y = o->init[(size_t)r * k + i];
			if (y < 0 || (uint32_t)y >= o->n_init)
				continue;
			for (uint32_t j = 0; j < k && d->nold[b] < c; j++) {
				int32_t z = o->init[(size_t)y * k + j];
				if (z >= 0 && (uint32_t)z != r &&
				    (uint32_t)z < d->n)
					d->cold[(size_t)b * c +
						d->nold[b]++] = (uint32_t)z;
			}
		}
	}
	for (uint32_t q = clo; q < chi; q++)
		for (uint32_t i = 0; i < K; i++) {
			uint32_t *e = &d->ids[(size_t)d->rows[q] * K + i];
			if (*e != HOLE)
				*e &= ~FRESH;
		}
	return RL_OK;
}

/* Refining with init_sim: if old row r's pool holds the rows of its init
 * list, and only those, puts that list and its similarities in its
 * place, as scoring them again would, and returns 1. */
static int kept_list(nnd *d, uint32_t r)
{
	const rl_knn_opts *o = d->o;
	uint32_t K = d->K, k = o->k;
	if (!o->init_sim || !d->isnew || d->isnew[r] || r >= o->n_init)
		return 0;
	const uint32_t *p = d->ids + (size_t)r * K;
	const int32_t *a = o->init + (size_t)r * k;
	uint32_t in_pool = 0, in_init = 0;
	for (uint32_t i = 0; i < k && i < K && p[i] != HOLE; i++)
		in_pool++;
	for (uint32_t j = 0; j < k; j++)
		in_init += a[j] >= 0;
	if (in_init != in_pool)
		return 0;
	/* Both ways, so that a list naming a row twice is scored again
	 * (the pool holds a row once). */
	for (uint32_t j = 0; j < k; j++) {
		int seen = a[j] < 0;
		for (uint32_t i = 0; i < in_pool && !seen; i++)
			seen = (p[i] & ~FLAGS) == (uint32_t)a[j];
		if (!seen)
			return 0;
	}
	for (uint32_t i = 0; i < in_pool; i++) {
		int seen = 0;
		for (uint32_t j = 0; j < k && !seen; j++)
			seen = a[j] >= 0 && (p[i] & ~FLAGS) == (uint32_t)a[j];
		if (!seen)
			return 0;
	}
	/* The ids are cut to k in place later: the first k of the pool. */
	uint32_t *w = d->ids + (size_t)r * K;
	float *sm = d->sim + (size_t)r * k;
	for (uint32_t j = 0; j < k; j++) {
		if (j < K)
			w[j] = a[j] < 0 ? HOLE : (uint32_t)a[j];
		sm[j] = a[j] < 0 ? 0 : o->init_sim[(size_t)r * k + j];
	}
	return 1;
}

/* Thread t's rows of the result: the first k of each pool, scored again
 * in float and ordered by that score (ties by row); refining, an old row
 * whose list is as it was keeps it (kept_list). */
static void final_part(void *ctx, int t, int nt)
{
	nnd *d = ctx;
	uint32_t lo, hi, K = d->K, k = d->o->k, *g = d->gather[t];
	float *out = d->out[t];
	range(d->n, t, nt, &lo, &hi);
	for (uint32_t r = lo; r < hi; r++) {
		if (r > lo && ((r - lo) & 4095) == 0 &&
		    nnd_tick(d, t, r - lo, hi - lo))
			return;
		if (kept_list(d, r))
			continue;
		uint32_t m = 1;
		g[0] = r;
		for (uint32_t i = 0; i < k && i < K; i++) {
			uint32_t e = d->ids[(size_t)r * K + i];
			if (e == HOLE)
				break;
			g[m++] = e & ~FLAGS;
		}
		block_sims(d->v, d->mf, g, 1, m, d->panel[t], d->deq[t],
			   out);
		int32_t *nb = (int32_t *)g + m;	/* scratch [k] */
		float *sm = d->sim + (size_t)r * k;
		for (uint32_t i = 0; i < k; i++) {
			nb[i] = -1;
			sm[i] = -INFINITY;
		}
		for (uint32_t i = 1; i < m; i++)
			if (better(out[i], (int32_t)g[i], sm[k - 1],
				   nb[k - 1]))
				topk_put(nb, sm, NULL, k, (int32_t)g[i],
					 out[i]);
		for (uint32_t i = 0; i < k; i++)
			if (nb[i] < 0)
				sm[i] = 0;
		for (uint32_t i = 0; i < k && i < K; i++)
			d->ids[(size_t)r * K + i] = nb[i] < 0 ? HOLE
							      : (uint32_t)nb[i];
	}
}

/* Refining: marks the new rows of d (those without a full list in
 * o->init, or past it) in d->isnew. */
static int mark_new(nnd *d)
{
	const rl_knn_opts *o = d->o;
	uint32_t k = o->k, full = k < d->n - 1 ? k : d->n - 1;
	d->isnew = malloc(d->n);
	if (!d->isnew)
		return RL_ENOMEM;
	d->n_new = 0;
	for (uint32_t r = 0; r < d->n; r++) {
		uint32_t have = 0;
		for (uint32_t i = 0; r < o->n_init && i < k; i++) {
			int32_t y = o->init[(size_t)r * k + i];
			have += y >= 0 && (uint32_t)y < d->n &&
				(uint32_t)y != r;
		}
		d->isnew[r] = have < full;
		d->n_new += d->isnew[r];
	}
	return RL_OK;
}

/* Refining: marks the rows with something to join at the start of the
 * rounds (d->act, zeroed): those with a fresh entry, and those a REV
 * entry names. One pass over the pools. */
static void mark_active(nnd *d)
{
	uint32_t K = d->K;
	for (uint32_t x = 0; x < d->n; x++) {
		const uint32_t *p = d->ids + (size_t)x * K;
		for (uint32_t i = 0; i < K && p[i] != HOLE; i++) {
			if (p[i] & FRESH)
				atomic_store_explicit(&d->act[x], 1,
						      memory_order_relaxed);
			if (p[i] & REV)
				atomic_store_explicit(&d->act[p[i] & ~FLAGS],
						      1, memory_order_relaxed);
		}
	}
}

/* Joins the gathered rows clo .. chi - 1 in sub-blocks, which bound the
 * pair buffers' memory by the most pairs their rows could yield; each
 * sub-block's pairs reach the pools before the next joins. */
static int join_gathered(nnd *d, uint64_t round)
{
	int rc;
	for (d->blo = d->clo; d->blo < d->chi; d->blo = d->bhi) {
		uint64_t bound = 0;
		d->bhi = d->blo;
		while (d->bhi < d->chi &&
		       (bound == 0 || bound < PAIR_BUDGET)) {
			uint64_t nn = d->nnew[d->bhi - d->clo];
			uint64_t no = d->nold[d->bhi - d->clo];
			bound += nn * (nn + 2 * no) / 2 + 1;
			d->bhi++;
		}
		d->base = round + d->at + (d->blo - d->clo);
		d->span = d->bhi - d->blo;
		if ((rc = rl_parallel(d->threads, join_part, d)) != RL_OK ||
		    (rc = nnd_stopped(d)) != RL_OK)
			return rc;
		for (int t = 0; t < d->threads; t++)
			if (d->failed[t])
				return RL_ENOMEM;
		if ((rc = rl_parallel(d->threads, apply_part, d)) != RL_OK ||
		    (rc = rl_tick_step(d->tick,
				       round + d->at + (d->bhi - d->clo),
				       d->total)) != RL_OK)
			return rc;
	}
	return RL_OK;
}

/* A round of the search: blocks of B positions of the order, each
 * gathered after the earlier blocks' pairs reached the pools, so later
 * blocks already join what earlier ones found. */
static int search_round(nnd *d, uint64_t round)
{
	int rc;
	d->rows = d->order;
	for (d->clo = 0; d->clo < d->n; d->clo = d->chi) {
		d->chi = d->n - d->clo < d->B ? d->n : d->clo + d->B;
		d->at = d->clo;
		d->base = round + d->clo;
		if ((rc = build_candidates(d)) != RL_OK ||
		    (rc = join_gathered(d, round)) != RL_OK)
			return rc;
	}
	return RL_OK;
}

/* A round of refining: only the active rows, up to B of them at a time
 * as they come in the order, so a round costs a pass over the pools for
 * each B rows near the new ones rather than for each B rows. A row made
 * active behind the sweep waits for the next round; gathering a row
 * leaves it nothing to join (its entries lose FRESH, the entries naming
 * it REV), so it is active again only if its pool changes or it enters
 * another. */
static int refine_round(nnd *d, uint64_t round)
{
	int rc = RL_OK;
	d->rows = d->blk;
	d->clo = 0;
	for (uint32_t q = 0; q < d->n && rc == RL_OK;) {
		uint32_t nb = 0;
		d->at = q;
		for (; q < d->n && nb < d->B; q++) {
			uint32_t r = d->order[q];
			if (!atomic_load_explicit(&d->act[r],
						  memory_order_relaxed))
				continue;
			atomic_store_explicit(&d->act[r], 0,
					      memory_order_relaxed);
			d->pos[r] = nb;
			d->blk[nb++] = r;
		}
		if (nb == 0)
			break;
		d->chi = nb;
		d->base = round + d->at;
		if ((rc = build_candidates(d)) == RL_OK)
			rc = join_gathered(d, round);
		for (uint32_t b = 0; b < nb; b++)
			d->pos[d->blk[b]] = NONE;
	}
	return rc;
}

/* Memory, bytes per row at pool K, dimension dim, t threads (k = 10,
 * K = 40, dim = 100, t = 2 in brackets):
 *   the rows, kept by the caller: 2 dim + 4 compact, 4 dim float [204]
 *   pools: K row ids and K 16-bit similarities, 6 K              [240]
 *   the forest while it starts the pools: t trees of 4 bytes and
 *   a bit each, 4.125 t, freed before the candidates are made     [8]
 *   candidates of 1/32 of the rows: 2 kinds of 2K ids, 16 K / 32  [20]
 *   the blocks' order of the rows and its inverse, 8               [8]
 *   refining, whether a row is active, 1, and a block's rows       [1]
 *   at the end the k float similarities, 4 k, once the pools'
 *   similarities are freed (the ids shrink to their first k)      [40]
 * plus at most 50 MB of pair buffers (PAIR_BUDGET) and per-thread
 * scratch: about 372 bytes a row while joining. */
static int descent(const rl_vecs *v, micro_fn mf, const rl_knn_opts *o,
		   int32_t **nbr_out, float **sim_out)
{
	nnd d = { .v = v, .mf = mf, .o = o, .n = v->n, .tick = o->tick };
	int threads = o->threads < 1 ? 1 : o->threads;
	uint32_t k = o->k, dim = dense_rows(v) ? v->dim : 1;
	if (v->n > RL_KNN_MAX_ROWS)
		return RL_EINVAL;
	d.K = rl_knn_pool(v->n, o);
	d.cap = 2 * d.K;
	d.leaf = LEAF_PER_POOL * d.K < 16 ? 16 : LEAF_PER_POOL * d.K;
	/* Refining, only the new rows of a leaf are compared, with all of
	 * it: larger leaves cost little and start them nearer. */
	if (o->refine && o->init)
		d.leaf *= REFINE_LEAF;
	d.mmax = 2 * d.cap;
	if (d.mmax < d.leaf)
		d.mmax = d.leaf;
	if (d.mmax < k + 1)
		d.mmax = k + 1;
	if (d.mmax < PW)
		d.mmax = PW;
	d.B = d.n / CAND_PARTS > CAND_MIN ? d.n / CAND_PARTS : CAND_MIN;
	if (o->block)
		d.B = o->block;
	if (d.B > d.n)
		d.B = d.n;
	d.threads = threads;
	d.ordered = o->ordered && !(o->refine && o->init);
	uint32_t n_trees = o->refine && o->init ? REFINE_TREES : N_TREES;
	d.group = (uint32_t)threads < n_trees ? (uint32_t)threads : n_trees;
	uint32_t c = d.cap, mp = round_pw(d.mmax);
	size_t words = (d.n + 63) / 64;
	int rc = RL_ENOMEM;
	d.ids = malloc((size_t)d.n * d.K * sizeof *d.ids);
	d.ps = malloc((size_t)d.n * d.K * sizeof *d.ps);
	d.buf = calloc((size_t)threads, sizeof *d.buf);
	d.nbuf = calloc((size_t)threads, sizeof *d.nbuf);
	d.capbuf = calloc((size_t)threads, sizeof *d.capbuf);
	d.updates = calloc((size_t)threads, sizeof *d.updates);
	d.failed = calloc((size_t)threads, sizeof *d.failed);
	d.gather = calloc((size_t)threads, sizeof *d.gather);
	d.panel = calloc((size_t)threads, sizeof *d.panel);
	d.out = calloc((size_t)threads, sizeof *d.out);
	d.deq = calloc((size_t)threads, sizeof *d.deq);
	d.perm = malloc((size_t)d.group * d.n * sizeof *d.perm);
	d.starts = malloc((size_t)d.group * words * sizeof *d.starts);
	d.hyper = malloc((size_t)threads * 3 * dim * sizeof *d.hyper);
	d.order = malloc((size_t)d.n * sizeof *d.order);
	d.pos = malloc((size_t)d.n * sizeof *d.pos);
	if (!d.ids || !d.ps || !d.buf || !d.nbuf || !d.capbuf ||
	    !d.updates || !d.failed || !d.gather || !d.panel || !d.out ||
	    !d.deq || !d.perm || !d.starts || !d.hyper || !d.order || !d.pos)
		goto out;
	for (int t = 0; t < threads; t++) {
		/* gather carries the join's [mmax] worst entries after its
		 * own ids, out the similarities of mmax rows by mp */
		d.gather[t] = malloc(3 * mp * sizeof **d.gather);
		d.panel[t] = malloc((size_t)mp * dim * sizeof **d.panel);
		d.out[t] = malloc((size_t)mp * mp * sizeof **d.out);
		d.deq[t] = malloc((size_t)mp * dim * sizeof **d.deq);
		if (!d.gather[t] || !d.panel[t] || !d.out[t] || !d.deq[t])
			goto out;
	}
	for (size_t i = 0; i < (size_t)d.n * d.K; i++) {
		d.ids[i] = HOLE;
		d.ps[i] = 0;
	}
	if (o->refine && o->init && (rc = mark_new(&d)) != RL_OK)
		goto out;

	/* Start: exact neighbours within the leaves of a forest, the
	 * earlier graph, random rows for what is left; the start is the
	 * first n row visits, as progress goes: each group of trees a
	 * share of two thirds, the seeding the rest. */
	/* the start, the rounds, the final scoring: n row visits each */
	d.total = ((uint64_t)o->max_iters + 2) * d.n;
	uint32_t n_groups = (n_trees + d.group - 1) / d.group;
	for (uint32_t gi = 0; gi < n_groups; gi++) {
		d.tree0 = gi * d.group;
		uint32_t in = n_trees - d.tree0 < d.group ? n_trees - d.tree0
							  : d.group;
		d.base = (uint64_t)d.n * 2 * gi / (3 * n_groups);
		d.span = (uint64_t)d.n / (3 * n_groups);
		uint32_t group = d.group;
		d.group = in;
		rc = rl_parallel(threads, tree_part, &d);
		d.group = group;
		if (rc != RL_OK || (rc = nnd_stopped(&d)) != RL_OK)
			goto out;
		d.base += d.span;
		for (d.tree = 0; d.tree < in; d.tree++)
			if ((rc = rl_parallel(threads, leaf_part, &d)) !=
			    RL_OK || (rc = nnd_stopped(&d)) != RL_OK)
				goto out;
		if (gi == 0 && !d.ordered)
			memcpy(d.order, d.perm, (size_t)d.n * sizeof *d.order);
	}
	for (uint32_t q = 0; d.ordered && q < d.n; q++)
		d.order[q] = q;
	for (uint32_t q = 0; q < d.n; q++)
		d.pos[d.order[q]] = d.isnew ? NONE : q;
	free(d.perm);
	free(d.starts);
	d.perm = NULL;
	d.starts = NULL;
	d.base = 2 * (uint64_t)d.n / 3;
	d.span = d.n - d.base;
	if ((rc = rl_parallel(threads, seed_part, &d)) != RL_OK ||
	    (rc = nnd_stopped(&d)) != RL_OK)
		goto out;

	rc = RL_ENOMEM;
	d.cnew = malloc((size_t)d.B * c * sizeof *d.cnew);
	d.cold = malloc((size_t)d.B * c * sizeof *d.cold);
	d.nnew = malloc(d.B * sizeof *d.nnew);
	d.nold = malloc(d.B * sizeof *d.nold);
	d.own = malloc((size_t)2 * d.B * sizeof *d.own);
	d.seen = malloc((size_t)2 * d.B * sizeof *d.seen);
	if (!d.cnew || !d.cold || !d.nnew || !d.nold || !d.own || !d.seen)
		goto out;
	if (d.isnew) {
		d.blk = malloc((size_t)d.B * sizeof *d.blk);
		d.act = calloc(d.n, sizeof *d.act);
		if (!d.blk || !d.act)
			goto out;
		mark_active(&d);
	}
	uint32_t rounds = 0;
	int capped = 0;
	for (uint32_t it = 0; it < o->max_iters; it++) {
		/* Round it: n row visits after the start's and the earlier
		 * rounds'. */
		uint64_t round = ((uint64_t)it + 1) * d.n;
		memset(d.updates, 0, (size_t)threads * sizeof *d.updates);
		if ((rc = d.isnew ? refine_round(&d, round)
				  : search_round(&d, round)) != RL_OK)
			goto out;
		uint64_t total = 0;
		for (int t = 0; t < threads; t++)
			total += d.updates[t];
		rounds = it + 1;
		if (o->round_fn)
			o->round_fn(o->round_ctx, rounds, total, d.ids, d.K);
		if ((double)total < o->delta * (d.isnew ? d.n_new : d.n) * d.K)
			break;
		capped = rounds == o->max_iters;
	}
	if (o->rounds)
		*o->rounds = rounds;
	if (o->capped)
		*o->capped = capped;
	free(d.cnew);
	free(d.cold);
	free(d.order);
	free(d.pos);
	free(d.blk);
	free(d.act);
	d.cnew = d.cold = NULL;
	d.order = d.pos = d.blk = NULL;
	d.act = NULL;
	for (int t = 0; t < threads; t++) {
		free(d.buf[t]);
		d.buf[t] = NULL;
	}

	/* The result: float similarities scored again, then the pools cut
	 * to their first k entries in place (row r's move down to r * k,
	 * never over a row still to be read). */
	rc = RL_ENOMEM;
	d.sim = malloc((size_t)d.n * k * sizeof *d.sim);
	if (!d.sim)
		goto out;
	free(d.ps);
	d.ps = NULL;
	d.base = ((uint64_t)o->max_iters + 1) * d.n;
	d.span = d.n;
	if ((rc = rl_parallel(threads, final_part, &d)) != RL_OK ||
	    (rc = nnd_stopped(&d)) != RL_OK)
		goto out;
	int32_t *nbr = (int32_t *)d.ids;
	for (uint32_t r = 0; r < d.n; r++)
		for (uint32_t i = 0; i < k; i++) {
			uint32_t e = i < d.K ? d.ids[(size_t)r * d.K + i]
					     : HOLE;
			nbr[(size_t)r * k + i] = e == HOLE ? -1 : (int32_t)e;
		}
	/* k <= K: rl_knn searches fewer than k + 2 rows exactly. */
	int32_t *p = realloc(nbr, (size_t)d.n * k * sizeof *p);
	if (!p) {
		rc = RL_ENOMEM;
		goto out;
	}
	nbr = p;
	d.ids = NULL;
	*nbr_out = nbr;
	*sim_out = d.sim;
	d.sim = NULL;
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
		if (d.deq)
			free(d.deq[t]);
	}
	free(d.buf);
	free(d.nbuf);
	free(d.capbuf);
	free(d.updates);
	free(d.failed);
	free(d.gather);
	free(d.panel);
	free(d.out);
	free(d.deq);
	free(d.perm);
	free(d.starts);
	free(d.hyper);
	free(d.order);
	free(d.pos);
	free(d.ids);
	free(d.ps);
	free(d.sim);
	free(d.cnew);
	free(d.cold);
	free(d.nnew);
	free(d.nold);
	free(d.own);
	free(d.seen);
	free(d.isnew);
	free(d.blk);
	free(d.act);
	return rc;
}

/* Compact rows restored to float, [n][dim] in *buf (the caller frees),
 * as *plain; other rows are plain already. For exact search, which is
 * for small inputs. */
static int restore_all(const rl_vecs *v, rl_vecs *plain, float **buf)
{
	*plain = *v;
	*buf = NULL;
	if (!v->q16)
		return RL_OK;
	*buf = malloc(((size_t)v->n * v->dim + 1) * sizeof **buf);
	if (!*buf)
		return RL_ENOMEM;
	for (uint32_t r = 0; r < v->n; r++)
		q16_restore(v, r, *buf + (size_t)r * v->dim);
	plain->dense = *buf;
	plain->q16 = NULL;
	plain->scale = NULL;
	return RL_OK;
}

static int knn_exact(const rl_vecs *v, micro_fn mf, const rl_knn_opts *o,
		     int32_t *nbr, float *s)
{
	rl_vecs w;
	float *buf;
	int rc = restore_all(v, &w, &buf);
	if (rc == RL_OK)
		rc = exact(&w, mf, o->k, NULL, w.n, o->threads, nbr, s,
			   o->tick);
	/* Holes (fewer rows than k) get similarity 0, not -inf. */
	for (size_t i = 0; rc == RL_OK && i < (size_t)v->n * o->k; i++)
		if (nbr[i] < 0)
			s[i] = 0;
	free(buf);
	return rc;
}

/* Brute force on n rows: asked for, or too few rows for a search. */
static int searched_exactly(uint32_t n, const rl_knn_opts *o)
{
	return n <= 1 || o->exact || n <= o->k + 1;
}

uint32_t rl_knn_pool(uint32_t n, const rl_knn_opts *o)
{
	if (searched_exactly(n, o))
		return 0;
	uint32_t K = o->pool > o->k ? o->pool : o->k;
	return K > n - 1 ? n - 1 : K;
}

int rl_knn_take(const rl_vecs *v, const rl_knn_opts *o, int32_t **nbr,
		float **sim)
{
	*nbr = NULL;
	*sim = NULL;
	if (o->k == 0)
		return RL_EINVAL;
	micro_fn mf = pick_micro();
	if (!searched_exactly(v->n, o))
		return descent(v, mf, o, nbr, sim);
	size_t len = (size_t)v->n * o->k + 1;
	int32_t *a = malloc(len * sizeof *a);
	float *b = malloc(len * sizeof *b);
	int rc = a && b ? knn_exact(v, mf, o, a, b) : RL_ENOMEM;
	if (rc != RL_OK) {
		free(a);
		free(b);
		return rc;
	}
	*nbr = a;
	*sim = b;
	return RL_OK;
}

int rl_knn(const rl_vecs *v, const rl_knn_opts *o, int32_t *nbr, float *s)
{
	if (o->k == 0)
		return RL_EINVAL;
	if (searched_exactly(v->n, o))
		return knn_exact(v, pick_micro(), o, nbr, s);
	int32_t *a;
	float *b;
	int rc = rl_knn_take(v, o, &a, &b);
	if (rc == RL_OK) {
		memcpy(nbr, a, (size_t)v->n * o->k * sizeof *nbr);
		memcpy(s, b, (size_t)v->n * o->k * sizeof *s);
	}
	free(a);
	free(b);
	return rc;
}

/* ---- a locality order of the rows ---- */

int rl_knn_local_order(const rl_vecs *v, uint64_t seed, uint32_t *order,
		       rl_tick *tick)
{
	uint32_t n = v->n;
	if (!dense_rows(v))
		return RL_EINVAL;
	/* Not the search's first tree: its own seed. */
	rl_knn_opts o = { .seed = seed ^ 0x51ed27u };
	nnd d = { .v = v, .o = &o, .n = n, .perm = order,
		  .leaf = LOCAL_LEAF, .tick = tick, .span = n, .total = n };
	/* (a word more than n bits: the tree marks row 0 even when n is
	 * 0) */
	d.starts = malloc(((size_t)n + 127) / 64 * sizeof *d.starts);
	float *h = malloc((size_t)3 * v->dim * sizeof *h + 1);
	int rc = d.starts && h ? RL_OK : RL_ENOMEM;
	if (rc == RL_OK && build_tree(&d, 0, 0, h, 0))
		rc = RL_ECANCELED;
	free(d.starts);
	free(h);
	return rc;
}

int rl_knn_move_local(uint32_t n, uint32_t dim, int16_t *q16, float *scale,
		      uint64_t seed, uint32_t *order, rl_tick *tick)
{
	rl_vecs v = { .n = n, .dim = dim, .q16 = q16, .scale = scale };
	int rc = rl_knn_local_order(&v, seed, order, tick);
	if (rc == RL_OK)
		rc = rl_permute_rows(q16, (size_t)dim * sizeof *q16, n, order);
	if (rc == RL_OK)
		rc = rl_permute_rows(scale, sizeof *scale, n, order);
	return rc;
}

int rl_permute_rows(void *rows, size_t row_bytes, uint32_t n,
		    const uint32_t *src)
{
	unsigned char *a = rows;
	uint64_t *done = calloc(((size_t)n + 63) / 64 + 1, sizeof *done);
	unsigned char *tmp = malloc(row_bytes ? row_bytes : 1);
	if (!done || !tmp) {
		free(done);
		free(tmp);
		return RL_ENOMEM;
	}
	for (uint32_t s = 0; s < n; s++) {
		if (done[s / 64] >> (s % 64) & 1)
			continue;
		/* The cycle through s: each place takes its source's row,
		 * the last place the first's, kept aside. */
		memcpy(tmp, a + (size_t)s * row_bytes, row_bytes);
		uint32_t q = s;
		for (;;) {
			done[q / 64] |= 1ull << (q % 64);
			uint32_t f = src[q];
			if (f == s) {
				memcpy(a + (size_t)q * row_bytes, tmp,
				       row_bytes);
				break;
			}
			memcpy(a + (size_t)q * row_bytes,
			       a + (size_t)f * row_bytes, row_bytes);
			q = f;
		}
	}
	free(done);
	free(tmp);
	return RL_OK;
}

int rl_knn_unorder(uint32_t n, uint32_t k, const uint32_t *order,
		   int32_t *nbr, float *sim)
{
	uint32_t *pos = malloc(((size_t)n + 1) * sizeof *pos);
	if (!pos)
		return RL_ENOMEM;
	for (uint32_t q = 0; q < n; q++)
		pos[order[q]] = q;
	for (size_t e = 0; e < (size_t)n * k; e++)
		if (nbr[e] >= 0)
			nbr[e] = (int32_t)order[nbr[e]];
	int rc = rl_permute_rows(nbr, (size_t)k * sizeof *nbr, n, pos);
	if (rc == RL_OK)
		rc = rl_permute_rows(sim, (size_t)k * sizeof *sim, n, pos);
	free(pos);
	if (rc != RL_OK)
		return rc;
	/* Equal similarities by the smaller row again, as a search on the
	 * rows in their own order ranks them; holes stay last. */
	for (uint32_t r = 0; r < n; r++) {
		int32_t *a = nbr + (size_t)r * k;
		float *s = sim + (size_t)r * k;
		for (uint32_t i = 1; i < k && a[i] >= 0; i++) {
			int32_t x = a[i];
			float y = s[i];
			uint32_t j = i;
			while (j > 0 && s[j - 1] == y && a[j - 1] > x) {
				a[j] = a[j - 1];
				s[j] = s[j - 1];
				j--;
			}
			a[j] = x;
			s[j] = y;
		}
	}
	return RL_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void rl_knn_sample_rows(uint32_t n, uint32_t n_sample, uint64_t seed,
			uint32_t *rows)
{
	if (n_sample > n)
		n_sample = n;
	if (n_sample == 0)
		return;
	/* Distinct sample rows: a seeded partial Fisher-Yates would need
	 * n memory; stride through a random start instead. */
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 3;
	uint32_t start = (uint32_t)(rl_rand_next(&s) % n);
	for (uint32_t i = 0; i < n_sample; i++)
		rows[i] = (uint32_t)((start + (uint64_t)i * n / n_sample) % n);
	qsort(rows, n_sample, sizeof *rows, cmp_u32);
}

/* Hits of row `row`'s returned neighbours got [k] among its exact ones
 * (ex/ts [k], holes -1), gs [k] the similarity of each returned one to
 * the row: one outside the exact list counts when it ties the k-th
 * (duplicates make exact ties, and either of them is a right answer).
 * Adds to *hit and *want. */
static void score_row(uint32_t n, uint32_t row, uint32_t k,
		      const int32_t *got, const int32_t *ex, const float *ts,
		      const float *gs, uint64_t *hit, uint64_t *want)
{
	uint32_t w = 0, h = 0;
	while (w < k && ex[w] >= 0)
		w++;
	for (uint32_t b = 0; b < k; b++) {
		int32_t y = got[b];
		int in = 0, dup = 0;
		if (y < 0 || (uint32_t)y >= n || (uint32_t)y == row)
			continue;
		for (uint32_t a = 0; a < b && !dup; a++)
			dup = got[a] == y;
		for (uint32_t a = 0; a < w && !in; a++)
			in = ex[a] == y;
		if (dup)
			continue;
		if (in || (w == k && gs[b] >= ts[k - 1]))
			h++;
	}
	*want += w;
	*hit += h < w ? h : w;
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
	rl_vecs w;
	float *buf = NULL;
	uint32_t *rows = malloc(n_sample * sizeof *rows);
	int32_t *tn = malloc((size_t)n_sample * k * sizeof *tn);
	float *ts = malloc((size_t)n_sample * k * sizeof *ts);
	uint32_t *g = malloc(mp * sizeof *g);
	uint32_t *at = malloc(mp * sizeof *at);
	float *gs = malloc(k * sizeof *gs);
	float *panel = malloc((size_t)mp * (v->csr ? 1 : v->dim) *
			      sizeof *panel);
	float *out = malloc((size_t)mp * sizeof *out);
	int rc = RL_ENOMEM;
	if (!rows || !tn || !ts || !g || !at || !gs || !panel || !out ||
	    (rc = restore_all(v, &w, &buf)) != RL_OK)
		goto out;
	rl_knn_sample_rows(v->n, n_sample, seed, rows);
	if ((rc = exact(&w, mf, k, rows, n_sample, threads, tn, ts, tick)) !=
	    RL_OK)
		goto out;
	uint64_t hit = 0, want = 0;
	for (uint32_t i = 0; i < n_sample; i++) {
		const int32_t *got = nbr + (size_t)rows[i] * k;
		uint32_t m = 1;
		g[0] = rows[i];
		for (uint32_t b = 0; b < k; b++) {
			gs[b] = -INFINITY;
			if (got[b] >= 0 && (uint32_t)got[b] < v->n) {
				at[m] = b;
				g[m++] = (uint32_t)got[b];
			}
		}
		block_sims(&w, mf, g, 1, m, panel, NULL, out);
		for (uint32_t a = 1; a < m; a++)
			gs[at[a]] = out[a];
		score_row(v->n, rows[i], k, got, tn + (size_t)i * k,
			  ts + (size_t)i * k, gs, &hit, &want);
	}
	*recall = want ? (double)hit / (double)want : 1;
	rc = RL_OK;
out:
	free(buf);
	free(rows);
	free(tn);
	free(ts);
	free(g);
	free(at);
	free(gs);
	free(panel);
	free(out);
	return rc;
}

int rl_knn_exact_rows(const rl_vecs *v, uint32_t k, uint32_t n_rows,
		      const uint32_t *rows, int threads, int32_t *nbr)
{
	rl_vecs w;
	float *buf = NULL;
	float *ts = malloc(((size_t)n_rows * k + 1) * sizeof *ts);
	int rc = ts ? restore_all(v, &w, &buf) : RL_ENOMEM;
	if (rc == RL_OK)
		rc = exact(&w, pick_micro(), k, rows, n_rows, threads, nbr,
			   ts, NULL);
	free(buf);
	free(ts);
	return rc;
}

/* ---- recall against float rows read in chunks ---- */

#define CHUNK 8192	/* rows read at once: 3.2 MB at dim 100 */

typedef struct stream_job {
	micro_fn mf;
	uint32_t n, dim, k, ns, first, m;
	const float *q;		/* [ns][dim] the sample rows */
	const uint32_t *sample;	/* [ns] */
	const int32_t *nbr;	/* [n][k] the graph measured */
	const float *x;		/* [m][dim] the chunk */
	const float *panel;	/* the chunk packed */
	float **one;		/* [threads] a panel of one row */
	int32_t *tn;		/* [ns][k] exact lists so far */
	float *ts;
	float *gs;		/* [ns][k] returned rows' similarities */
} stream_job;

/* Thread t's share of the sample against the chunk. */
static void stream_part(void *ctx, int t, int nt)
{
	stream_job *j = ctx;
	uint32_t lo, hi, k = j->k, dim = j->dim, mp = round_pw(j->m);
	float tile[QR * PW];
	range(j->ns, t, nt, &lo, &hi);
	for (uint32_t i0 = lo; i0 < hi; i0 += QR) {
		const float *q[QR];
		for (uint32_t r = 0; r < QR; r++)
			q[r] = j->q + (size_t)(i0 + r < hi ? i0 + r : hi - 1) *
				      dim;
		for (uint32_t p = 0; p < mp / PW; p++) {
			j->mf(q, j->panel + (size_t)p * dim * PW, dim, tile);
			for (uint32_t r = 0; r < QR && i0 + r < hi; r++) {
				uint32_t i = i0 + r;
				int32_t *la = j->tn + (size_t)i * k;
				float *sa = j->ts + (size_t)i * k;
				for (uint32_t c = 0; c < PW &&
				     p * PW + c < j->m; c++) {
					uint32_t y = j->first + p * PW + c;
					float s = tile[r * PW + c];
					if (y != j->sample[i] &&
					    better(s, (int32_t)y, sa[k - 1],
						   la[k - 1]))
						topk_put(la, sa, NULL, k,
							 (int32_t)y, s);
				}
			}
		}
	}
	/* The returned rows in this chunk, scored alone: a lane's sum does
	 * not depend on its neighbours, so the bits are those above. */
	for (uint32_t i = lo; i < hi; i++) {
		const int32_t *got = j->nbr + (size_t)j->sample[i] * k;
		for (uint32_t b = 0; b < k; b++) {
			int32_t y = got[b];
			if (y < 0 || (uint32_t)y < j->first ||
			    (uint32_t)y >= j->first + j->m)
				continue;
			pack(j->x, dim, NULL, (uint32_t)y - j->first, 1,
			     j->one[t]);
			const float *q[QR];
			for (uint32_t r = 0; r < QR; r++)
				q[r] = j->q + (size_t)i * dim;
			j->mf(q, j->one[t], dim, tile);
			j->gs[(size_t)i * k + b] = tile[0];
		}
	}
}

int rl_knn_recall_rows(uint32_t n, uint32_t dim, uint32_t k,
		       const int32_t *nbr, uint32_t n_sample,
		       const uint32_t *sample, const float *q,
		       rl_rows_fn rows, void *ctx, int threads,
		       double *recall, rl_tick *tick)
{
	*recall = 1;
	if (n_sample > n)
		n_sample = n;
	if (n_sample == 0 || k == 0)
		return RL_OK;
	if (threads < 1)
		threads = 1;
	stream_job j = { .mf = pick_micro(), .n = n, .dim = dim, .k = k,
			 .ns = n_sample, .q = q, .sample = sample,
			 .nbr = nbr };
	float *x = malloc((size_t)CHUNK * dim * sizeof *x);
	float *panel = malloc((size_t)CHUNK * dim * sizeof *panel);
	j.one = calloc((size_t)threads, sizeof *j.one);
	j.tn = malloc((size_t)n_sample * k * sizeof *j.tn);
	j.ts = malloc((size_t)n_sample * k * sizeof *j.ts);
	j.gs = malloc((size_t)n_sample * k * sizeof *j.gs);
	int rc = RL_ENOMEM;
	if (!x || !panel || !j.one || !j.tn || !j.ts || !j.gs)
		goto out;
	for (int t = 0; t < threads; t++)
		if (!(j.one[t] = malloc((size_t)dim * PW * sizeof **j.one)))
			goto out;
	list_clear(j.tn, j.ts, (size_t)n_sample * k);
	for (size_t i = 0; i < (size_t)n_sample * k; i++)
		j.gs[i] = -INFINITY;
	j.x = x;
	j.panel = panel;
	for (uint32_t first = 0; first < n; first += CHUNK) {
		uint32_t m = n - first < CHUNK ? n - first : CHUNK;
		if ((rc = rows(ctx, first, m, x)) != RL_OK)
			goto out;
		pack(x, dim, NULL, 0, m, panel);
		j.first = first;
		j.m = m;
		if ((rc = rl_parallel(threads, stream_part, &j)) != RL_OK ||
		    (rc = rl_tick_step(tick, first + m, n)) != RL_OK)
			goto out;
	}
	uint64_t hit = 0, want = 0;
	for (uint32_t i = 0; i < n_sample; i++)
		score_row(n, sample[i], k, nbr + (size_t)sample[i] * k,
			  j.tn + (size_t)i * k, j.ts + (size_t)i * k,
			  j.gs + (size_t)i * k, &hit, &want);
	*recall = want ? (double)hit / (double)want : 1;
	rc = RL_OK;
out:
	for (int t = 0; j.one && t < threads; t++)
		free(j.one[t]);
	free(j.one);
	free(x);
	free(panel);
	free(j.tn);
	free(j.ts);
	free(j.gs);
	return rc;
}
