/*
 * kernels.h - the numeric kernels: flat arrays in, flat arrays out, no
 * SQLite, no files. The stage layer (stage_*.c) loads their input from
 * the store and saves their output; tests and benchmarks call them alone.
 */
#ifndef RL_KERNELS_H
#define RL_KERNELS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "revlab.h"

/* ---- progress and cancelling (parallel.c) ---- */

/* How a long kernel reports progress and hears a cancel without knowing
 * of the store: the stage fills in its callback (rl_tick_init), the
 * kernel calls rl_tick_step after each unit of work (some milliseconds of
 * it) on the thread that called the kernel, and its other threads only
 * read `stop`. So the callback runs on the caller's thread alone (a
 * binding may take a lock in it, such as Python's GIL), and a cancel
 * reaches every thread within one unit of work. A stage may step the
 * same tick in its own long loops; it turns the kernel's RL_ECANCELED
 * into "<stage> cancelled" (rl_stage_end). */
typedef struct rl_tick {
	rl_progress_fn fn;	/* NULL: nothing is called, nothing stops */
	void *ctx;
	const char *stage;	/* the name fn hears */
	uint64_t steps;		/* rl_tick_step calls so far */
	double next;		/* rl_now() from which fn is due again */
	atomic_int stop;	/* fn asked to stop */
} rl_tick;

/* Seconds between two calls of fn, but for the counted ones below. */
#define RL_TICK_EVERY 0.25

void rl_tick_init(rl_tick *t, rl_progress_fn fn, void *ctx,
		  const char *stage);

/* One unit of work done, `done` of `total` (the kernel's units). Calls
 * fn when RL_TICK_EVERY seconds have passed since its last call, and
 * also at the 1st, 2nd, 4th, 8th ... step: a short kernel is heard too,
 * at places that do not depend on the clock (tests cancel there), and
 * those few calls cost nothing. From fn's first non-zero answer on,
 * `stop` is set and it returns RL_ECANCELED; otherwise, and for t NULL,
 * RL_OK. Only on the thread that called the kernel. */
int rl_tick_step(rl_tick *t, uint64_t done, uint64_t total);

/* The next pass of a stage of several, heard as `stage` (a static
 * string): its steps count from the first again, so its start is heard
 * whatever the clock. */
void rl_tick_pass(rl_tick *t, const char *stage);

/* Whether fn asked to stop. Any thread. */
static inline int rl_tick_stopped(rl_tick *t)
{
	return t && atomic_load_explicit(&t->stop, memory_order_relaxed);
}

/* For a part run by rl_parallel: thread 0, the caller's, steps t; the
 * others only read its flag. Non-zero: stop now. */
static inline int rl_tick_part(rl_tick *t, int thread, uint64_t done,
			       uint64_t total)
{
	if (!t)
		return 0;
	return thread == 0 ? rl_tick_step(t, done, total) != RL_OK
			   : rl_tick_stopped(t);
}

/* A sparse matrix in compressed sparse row form. Row i's entries are
 * indices/values[indptr[i] .. indptr[i+1]), indices ascending. */
typedef struct rl_csr {
	uint32_t n_rows, n_cols;
	uint64_t *indptr;	/* [n_rows + 1] */
	uint32_t *indices;	/* [nnz] */
	float *values;		/* [nnz] */
} rl_csr;

void rl_csr_free(rl_csr *m);

/* Reviews' tokens in flat arrays, in review id order: review i has
 * tokens[doc_off[i] .. doc_off[i+1]). What the store loads for the
 * vectorizer; rl_token_set_free (vectorize.c) frees it. */
typedef struct rl_token_set {
	int64_t *review_ids;	/* [n] */
	uint32_t *tokens;
	uint64_t *doc_off;	/* [n + 1] */
	uint32_t n;
} rl_token_set;

void rl_token_set_free(rl_token_set *t);

/* Every vector of a kind in review id order: dense [n][dim] (LSA) or
 * CSR (TF-IDF). What the store loads for the graph, clustering and
 * training; rl_vector_set_free (vectorize.c) frees it. */
typedef struct rl_vector_set {
	int64_t *review_ids;	/* [n], ascending */
	uint32_t n, dim;
	float *dense;
	rl_csr csr;
} rl_vector_set;

void rl_vector_set_free(rl_vector_set *v);

/* ---- TF-IDF (vectorize.c) ---- */

#define RL_NO_TERM UINT32_MAX

/* A fitted TF-IDF vocabulary: feature f is the unigram term_a[f] (when
 * term_b[f] == RL_NO_TERM) or the bigram term_a[f] term_b[f]; features are
 * sorted by (term_a, term_b). */
typedef struct rl_tfidf {
	uint32_t n_features;
	uint32_t *term_a, *term_b;	/* [n_features] */
	uint32_t *df;			/* [n_features] */
	float *idf;			/* [n_features] */
	uint32_t n_docs;		/* documents it was fitted on */
	int sublinear;			/* tf -> 1 + ln tf */
} rl_tfidf;

/* Documents as token ids: doc i is tokens[doc_off[i] .. doc_off[i+1]). */
typedef struct rl_docs {
	const uint32_t *tokens;
	const uint64_t *doc_off;	/* [n_docs + 1] */
	uint32_t n_docs;
} rl_docs;

/* Document frequencies counted a batch of documents at a time, so a
 * corpus need not be in memory at once: one entry per distinct n-gram
 * seen (unigrams, and bigrams if ngram_max >= 2), none per document.
 * Counting the documents in one call or in batches gives the same
 * counts. */
typedef struct rl_df_count rl_df_count;
int rl_df_count_new(int ngram_max, rl_df_count **out);
void rl_df_count_free(rl_df_count *c);

/* Counts docs as the next documents. tick (or NULL) hears every 4096th
 * document: the documents counted so far, of `total`; RL_ECANCELED if it
 * stops (the count is then unusable). RL_ENOMEM leaves it unusable too;
 * RL_EINVAL if the count would pass UINT32_MAX - 1 documents. */
int rl_df_count_add(rl_df_count *c, const rl_docs *docs, rl_tick *tick,
		    uint64_t total);

/* Documents counted so far. */
uint32_t rl_df_count_docs(const rl_df_count *c);

/* The vocabulary rl_tfidf_fit would fit on all the documents counted
 * (its n_docs is their number). */
int rl_df_count_vocab(const rl_df_count *c, const rl_vectorize_opts *o,
		      rl_tfidf *out);

/* Fits the vocabulary: unigrams (and bigrams if o->ngram_max >= 2) kept
 * when min_df <= df <= max_df * n_docs, the max_features most frequent
 * if more remain (ties by ids). Smoothed idf = ln((1 + n)/(1 + df)) + 1.
 * tick (or NULL) hears documents of n_docs; RL_ECANCELED if it stops. */
int rl_tfidf_fit(const rl_docs *docs, const rl_vectorize_opts *o,
		 rl_tfidf *out, rl_tick *tick);

/* The fitted vocabulary's (term, term) -> feature lookup table. Built
 * once by a caller that transforms many small batches (predict, a review
 * at a time) rather than for every call. */
typedef struct rl_tfidf_index rl_tfidf_index;
int rl_tfidf_index_new(const rl_tfidf *m, rl_tfidf_index **out);
void rl_tfidf_index_free(rl_tfidf_index *ix);

/* L2-normalised TF-IDF rows of `docs` under a fitted vocabulary m, looked
 * up in ix (an index of m, or NULL to build one for this call). A
 * document with no known feature gets an empty row. tick as for
 * rl_tfidf_fit. */
int rl_tfidf_transform(const rl_tfidf *m, const rl_tfidf_index *ix,
		       const rl_docs *docs, int ngram_max, rl_csr *out,
		       rl_tick *tick);

void rl_tfidf_free(rl_tfidf *m);

/* A deterministic draw of `want` of `n` items met one at a time (Knuth's
 * selection sampling, algorithm S): rl_draw_next says, for each item in
 * turn, whether it is drawn. Exactly min(want, n) are, every set of them
 * as likely, all of them when want >= n; the same seed, the same draw.
 * No memory per item. */
typedef struct rl_draw {
	uint64_t n, seen, left;
	uint64_t rng;
} rl_draw;

void rl_draw_init(rl_draw *d, uint64_t n, uint64_t want, uint64_t seed);
/* 1 if the next item is drawn; 0 past the n-th. */
int rl_draw_next(rl_draw *d);

/* ---- LSA by randomized truncated SVD (lsa.c) ---- */

/* components[n_cols][dim] (row-major): the top right singular vectors of
 * the matrix it was fitted on, one column each, so a row x projects to
 * x * components; the projection is then L2-normalised. */
typedef struct rl_lsa {
	uint32_t dim, n_cols;
	float *components;	/* [n_cols][dim] */
	double *sigma;		/* [dim] singular values, descending */
	uint8_t *live;		/* [n_cols] 0 where the row is all zero (the
				   projection skips it), or NULL */
} rl_lsa;

/* Randomized SVD (Halko, Martinsson, Tropp 2011) with `n_iter` power
 * iterations, `oversample` extra columns, Gaussian test matrix from
 * `seed`, on `threads` threads. Deterministic for a seed and thread
 * count. tick (or NULL) hears phases (the range finder, each power
 * iteration, the SVD) of n_iter + 2; RL_ECANCELED if it stops. */
int rl_lsa_fit(const rl_csr *X, uint32_t dim, uint32_t oversample,
	       uint32_t n_iter, uint64_t seed, int threads, rl_lsa *out,
	       rl_tick *tick);

/* out[n_rows][dim]: rows of X projected and L2-normalised (zero rows stay
 * zero). tick (or NULL) hears rows of n_rows; RL_ECANCELED if it stops
 * (out then unspecified). */
int rl_lsa_transform(const rl_lsa *m, const rl_csr *X, int threads,
		     float *out, rl_tick *tick);

void rl_lsa_free(rl_lsa *m);

/* ---- k nearest neighbours (knn.c) ---- */

/* Vectors to search: dense rows (dense != NULL, [n][dim], L2-normalised)
 * or sparse rows (csr != NULL, L2-normalised). Similarity is the dot
 * product, i.e. cosine. */
typedef struct rl_vecs {
	uint32_t n;
	uint32_t dim;
	const float *dense;
	const rl_csr *csr;
	/* or compact dense rows: q16 [n][dim] int16 and scale [n], row i
	 * being q16[i] * scale[i] (rl_q16_row); pairs are scored in float
	 * on the rows so restored */
	const int16_t *q16;
	const float *scale;
} rl_vecs;

/* Row x [dim] as int16 q [dim] times *scale: scale = max |x| / 32767, each
 * q the nearest integer to x / scale (a zero row gets scale 0). On
 * 100-dimensional LSA rows (largest entry 0.4 on average) a similarity
 * moves by about 1e-3. */
void rl_q16_row(const float *x, uint32_t dim, int16_t *q, float *scale);

/* The k most similar other rows of every row: nbr[i][j] (-1 if fewer
 * exist) and sim[i][j], most similar first, ties by smaller index.
 * exact: brute force (blocked for dense rows, an inverted index for sparse
 * ones). Otherwise NN-descent (Dong, Charikar, Li 2011) with full
 * candidate sampling, its pools of `pool` rows started from the leaves of
 * a random-projection forest and from `init` (an earlier graph, [n][k]
 * with -1 holes) when given, so adding rows refines instead of
 * rebuilding. Deterministic for a seed, whatever the thread count. */
typedef struct rl_knn_opts {
	uint32_t k;
	int exact;
	int threads;
	uint64_t seed;
	uint32_t max_iters;	/* NN-descent rounds */
	double delta;		/* stop when fewer than delta*n*k updates */
	uint32_t pool;		/* candidates kept per row while searching */
	uint32_t block;		/* rows gathered at once; 0: n / 32,
				   at least 131072 */
	const int32_t *init;	/* [n_init][k] or NULL */
	uint32_t n_init;
	/* [n_init][k] or NULL: refining, the similarities of init's
	 * lists, scored on the same kind of rows by the same kernel
	 * (rl_knn_kernel) as now: a row's pool holds a row once only if
	 * the pair scores the same bits every time. An old row's list then
	 * is not scored again, neither at the start nor at the end if its
	 * rows stayed the same. */
	const float *init_sim;
	/* With init: refine instead of search. A row whose init list is
	 * full (k rows, or n - 1) is old, any other new; an old row keeps
	 * its list but takes a new row in when it is nearer than its k-th,
	 * the new rows' pools start from the leaves of a smaller forest
	 * (2 trees, leaves 4 times larger) and random rows, and the leaves
	 * and local joins compare only pairs with a new row in them (an
	 * old row a new one reaches offers it its init list's lists too,
	 * as its pool would), so what costs is the trees' cuts (a few dot
	 * products a row and tree), and a round's passes over the pools,
	 * one for each block of rows with something to join (near new
	 * rows), the rest the new rows' share of a search's. Stops when
	 * fewer than delta * (new rows) * pool updates. */
	int refine;
	/* Searching: the rows are in a locality order already (moved into
	 * rl_knn_local_order's), so the blocks of rows gathered together
	 * follow the rows' own order instead of the first tree's, and
	 * finding which block a pool entry names needs no lookup. Ignored
	 * when refining. */
	int ordered;
	/* Out, or NULL: the NN-descent rounds run, and 1 if the cap
	 * (max_iters) rather than delta ended them (0 and 0 exact). */
	uint32_t *rounds;
	int *capped;
	/* Or NULL: called after each NN-descent round (bench/bench_knn),
	 * with the updates it made and the pools, K ids a row best first,
	 * RL_KNN_ID_MASK the id (RL_KNN_ID_MASK itself an empty place). */
	void (*round_fn)(void *ctx, uint32_t round, uint64_t updates,
			 const uint32_t *pools, uint32_t K);
	void *round_ctx;
	rl_tick *tick;		/* or NULL; exact search reports rows of
				   n, NN-descent row visits of (max_iters
				   + 2) * n, the first n its start, the
				   last n its final scoring */
} rl_knn_opts;

#define RL_KNN_ID_MASK 0x3fffffffu

/* The similarity kernel this machine runs, "avx2" or "generic": with
 * the kind of rows, what makes a pair's similarity the same bits again
 * (rl_knn_opts.init_sim). */
const char *rl_knn_kernel(void);

/* RL_ECANCELED when o->tick stops it (nbr and sim then unspecified). */
int rl_knn(const rl_vecs *v, const rl_knn_opts *o, int32_t *nbr,
	   float *sim);

/* The same with the result allocated (the caller frees both): nbr
 * [n][k] and sim [n][k]. NN-descent hands back its own pools cut to k,
 * so the search's memory is not needed twice. */
int rl_knn_take(const rl_vecs *v, const rl_knn_opts *o, int32_t **nbr,
		float **sim);

/* The pool NN-descent keeps a row on n rows under o: o->pool, at least
 * k, at most n - 1 (0 when the search is exact). */
uint32_t rl_knn_pool(uint32_t n, const rl_knn_opts *o);

/* The largest n NN-descent takes (RL_EINVAL above): its pools carry row
 * ids in the bits of RL_KNN_ID_MASK. */
#define RL_KNN_MAX_ROWS (RL_KNN_ID_MASK - 1u)

/* A locality order of dense or compact rows: order [n] the rows as the
 * leaves of one random-projection tree hold them (leaves of 64 rows), so
 * that rows near each other in space are mostly near each other in the
 * order. A search on the rows moved into that order reads its pools and
 * rows from a few regions of memory instead of from everywhere. About
 * log2(n / 64) dot products a row, on one thread. RL_EINVAL for sparse
 * rows; RL_ECANCELED if tick (or NULL; it hears rows of n) stops it. */
int rl_knn_local_order(const rl_vecs *v, uint64_t seed, uint32_t *order,
		       rl_tick *tick);

/* Moves rows in place: row i becomes what row src[i] was, src a
 * permutation of 0 .. n - 1 (what it does with anything else is
 * undefined; it may not end). n / 8 bytes and a row aside: RL_ENOMEM,
 * the rows untouched, if they cannot be had. */
int rl_permute_rows(void *rows, size_t row_bytes, uint32_t n,
		    const uint32_t *src);

/* The n compact rows q16 [n][dim] and scale [n] moved in place into
 * their locality order, which goes to order [n]: what a search with
 * rl_knn_opts.ordered then runs on (the graph stage, bench_knn --local);
 * rl_knn_unorder takes its result back. On an error (RL_ENOMEM,
 * RL_ECANCELED) the rows may be half moved: q16 and scale no longer
 * match, and the caller throws both away. */
int rl_knn_move_local(uint32_t n, uint32_t dim, int16_t *q16, float *scale,
		      uint64_t seed, uint32_t *order, rl_tick *tick);

/* A search's result on rows moved into `order` (row q there is row
 * order[q]) back into the rows' own order and numbering, equal
 * similarities ranked by the smaller row as rl_knn ranks them. Where
 * rows tie at the k-th place, the search in the order kept the one
 * smaller there, which may be another than rl_knn on the rows as they
 * were would keep (check_graph_compact: an exact search gives the same
 * similarities to the bit, and the same rows but for such ties). On
 * RL_ENOMEM nbr and sim are unspecified, as after a failed search. */
int rl_knn_unorder(uint32_t n, uint32_t k, const uint32_t *order,
		   int32_t *nbr, float *sim);

/* The n_sample (at most n) distinct rows, ascending, that recall is
 * measured on for this seed, into rows [n_sample]. */
void rl_knn_sample_rows(uint32_t n, uint32_t n_sample, uint64_t seed,
			uint32_t *rows);

/* Mean recall@k of (nbr) against exact neighbours for `n_sample` rows
 * drawn with `seed`. A returned row outside the exact k that ties the
 * k-th exact similarity counts as found (duplicates make exact ties).
 * tick (or NULL) hears rows of n_sample; RL_ECANCELED if it stops. */
int rl_knn_recall(const rl_vecs *v, uint32_t k, const int32_t *nbr,
		  uint32_t n_sample, uint64_t seed, int threads,
		  double *recall, rl_tick *tick);

/* The exact k nearest rows (-1 where fewer) of each of rows [n_rows],
 * into nbr [n_rows][k], by brute force (bench/bench_knn's trace). */
int rl_knn_exact_rows(const rl_vecs *v, uint32_t k, uint32_t n_rows,
		      const uint32_t *rows, int threads, int32_t *nbr);

/* Reads rows first .. first + m - 1 of the float rows into out
 * [m][dim]; called with first = 0, then each time after the last.
 * Anything but RL_OK stops the caller, which returns it. */
typedef int (*rl_rows_fn)(void *ctx, uint32_t first, uint32_t m,
			  float *out);

/* rl_knn_recall against float rows that need not be in memory: the n
 * rows are read in chunks through rows(ctx), once; sample [n_sample] are
 * the rows of rl_knn_sample_rows and q [n_sample][dim] their float rows.
 * The same result as rl_knn_recall on those rows in memory. tick (or
 * NULL) hears rows read of n; RL_ECANCELED if it stops. */
int rl_knn_recall_rows(uint32_t n, uint32_t dim, uint32_t k,
		       const int32_t *nbr, uint32_t n_sample,
		       const uint32_t *sample, const float *q,
		       rl_rows_fn rows, void *ctx, int threads,
		       double *recall, rl_tick *tick);

/* ---- label spreading (propagate.c) ---- */

/* The symmetric, normalised graph S = D^-1/2 W D^-1/2 in CSR form. */
typedef struct rl_sgraph {
	uint32_t n;
	uint64_t *indptr;	/* [n + 1] */
	uint32_t *to;		/* neighbours, ascending per row */
	double *w;
} rl_sgraph;

/* Builds S from a kNN list (nbr/sim [n][k], -1 holes): W symmetric, an
 * edge either way with the larger similarity, no self-loops, edges of
 * similarity <= 0 dropped. */
int rl_graph_normalize(uint32_t n, uint32_t k, const int32_t *nbr,
		       const float *sim, rl_sgraph *out);
void rl_sgraph_free(rl_sgraph *g);

/* The prior evidence Y [n][L] by rows, only its nonzero entries: row i's
 * are labels col[ptr[i] .. ptr[i + 1]), ascending, with values val. Most
 * rows hold one rule's vote or nothing, so at ten million reviews and 20
 * labels it is about a tenth of the dense matrix's 1.6 GB. */
typedef struct rl_yrows {
	uint32_t n, L;
	uint64_t *ptr;		/* [n + 1] */
	uint32_t *col;
	double *val;
	uint64_t cap;		/* entries col and val have room for */
} rl_yrows;

/* An empty Y of n rows of L labels; then every row is added, in order
 * (i = 0, 1, ... n - 1), with rl_yrows_add: row i's dense values, its
 * zeros skipped. */
int rl_yrows_init(rl_yrows *y, uint32_t n, uint32_t L);
int rl_yrows_add(rl_yrows *y, uint32_t i, const double *row);
void rl_yrows_free(rl_yrows *y);

/* Iterates F <- alpha S F + Y (rows with clamp[i] set stay Y_i) until no
 * entry moves by tol, at most max_iter times. Y, F are [n][L]. Without
 * clamping the limit is (I - alpha S)^-1 Y. tick (or NULL) hears the
 * iterations done of max_iter, after each; RL_ECANCELED if it stops
 * (F then unspecified). */
int rl_spread(const rl_sgraph *S, uint32_t L, const double *Y,
	      const uint8_t *clamp, double alpha, double tol,
	      uint32_t max_iter, int threads, double *F, uint32_t *iters,
	      rl_tick *tick);
/* The same started from F as given (an earlier fixed point, warm)
 * instead of Y: the same limit, in fewer iterations the nearer F is. */
int rl_spread_from(const rl_sgraph *S, uint32_t L, const double *Y,
		   const uint8_t *clamp, double alpha, double tol,
		   uint32_t max_iter, int threads, double *F, uint32_t *iters,
		   rl_tick *tick);
/* rl_spread_from on Y by rows: the same bits as on the dense Y. */
int rl_spread_rows(const rl_sgraph *S, const rl_yrows *Y,
		   const uint8_t *clamp, double alpha, double tol,
		   uint32_t max_iter, int threads, double *F, uint32_t *iters,
		   rl_tick *tick);

/* Class mass normalisation of the unclamped rows of F [n][L] towards
 * the class shares prior[L] (summing to 1). */
int rl_class_mass_normalize(uint32_t n, uint32_t L, const uint8_t *clamp,
			    const double *prior, double *F);

/* ---- classifiers (logreg.c) ---- */

/* Multinomial logistic regression, L2 strength lambda, on rows of X with
 * soft targets T [n][L] and weights w [n] (rows with w <= 0 are
 * skipped), by L-BFGS preconditioned with the Hessian's diagonal bound.
 * Stops after max_iter iterations, or once the last 10 together lowered
 * the loss by at most tol of it (0: only at the optimum). theta gets
 * W [n_cols][L] then b [L]; iters (if not NULL) the iterations run;
 * progress (if not NULL) hears "train" after each iteration. */
int rl_logreg_train(const rl_csr *X, const float *T, const float *w,
		    uint32_t L, double lambda, uint32_t max_iter, double tol,
		    int threads, double *theta, uint32_t *iters,
		    rl_progress_fn progress, void *ctx);
/* The same, starting from the weights start [n_cols + 1][L] (theta's
 * layout; it may be theta itself) instead of zeros: started from an
 * earlier fit to nearby targets, it stops in fewer iterations. */
int rl_logreg_train_from(const rl_csr *X, const float *T, const float *w,
			 uint32_t L, double lambda, uint32_t max_iter,
			 double tol, int threads, const double *start,
			 double *theta, uint32_t *iters,
			 rl_progress_fn progress, void *ctx);

/* One-vs-rest logistic regression: L binary fits at once, label l on
 * targets T [n][L] (in [0, 1]) with weights W [n][L] (entries <= 0
 * leave the row out of l's fit), L2 strength lambda/2 on each label's
 * weights (the optimum of rl_logreg_train's two-class fit at lambda,
 * whose difference of columns is the binary weights; bias free). One
 * pass over X per round serves every label still fitting; each label
 * has its own L-BFGS steps and stops by rl_logreg_train's rule on its
 * own loss, max_iter iterations at most. theta gets the logit weights
 * W [n_cols][L] then the biases [L]; iters (if not NULL) each label's
 * iterations [L]; progress (if not NULL) hears "train" after each
 * round with the most iterations any label has run. RL_ENOMEM,
 * RL_ECANCELED. */
int rl_ovr_train(const rl_csr *X, const float *T, const float *W,
		 uint32_t L, double lambda, uint32_t max_iter, double tol,
		 int threads, double *theta, uint32_t *iters,
		 rl_progress_fn progress, void *ctx);

/* Multinomial naive Bayes on the same inputs (feature values as counts,
 * additive smoothing): theta = log P(feature | label) [n_cols][L] then
 * log priors [L], so rl_logreg_predict gives its posterior too. */
int rl_nb_train(const rl_csr *X, const float *T, const float *w, uint32_t L,
		double smoothing, double *theta);

/* Complement naive Bayes: theta [n_cols][L] are the negated, per-label
 * normalised log weights learned from each label's complement; biases 0.
 * The argmax of x.theta is the CNB decision. */
int rl_cnb_train(const rl_csr *X, const float *T, const float *w, uint32_t L,
		 double smoothing, double *theta);

/* Index of the largest entry of p [L], -1 for an all-zero row; ties go
 * to the smaller index. */
int rl_argmax(const double *p, uint32_t L);

/* z [L] <- softmax(z), shifted by its largest entry so exp cannot
 * overflow. */
void rl_softmax(double *z, uint32_t L);

/* p[L] = softmax(x_i theta). */
void rl_logreg_predict(const rl_csr *X, uint32_t i, const double *theta,
		       uint32_t L, double *p);

/* z [L] = x_i theta + b: the logits, with theta as rl_logreg_train's. */
void rl_linear_logits(const rl_csr *X, uint32_t i, const double *theta,
		      uint32_t L, double *z);

/* ---- cross-validation and calibration (eval.c) ---- */

/* The folds a cross-validation over hand labels seed [n] (a label index
 * below L, or -1) can have: want (at least 2), but no more than the
 * fewest hand labels of any label that has some, which go to
 * *min_per_label. RL_EEMPTY when fewer than 2 labels have hand labels
 * or that makes fewer than 2 folds. */
int rl_cv_fold_count(uint32_t n, uint32_t L, const int32_t *seed,
		     uint32_t want, uint32_t *k, uint32_t *min_per_label);

/* Stratified folds: the hand-labelled rows, shuffled by a hash of
 * (rng_seed, ids[i]) so a row keeps its place whatever else is
 * labelled, and each label's dealt round-robin to folds 0 .. k-1.
 * fold [n] gets each hand-labelled row's fold (other rows are left
 * alone), order [n] those rows in shuffled order (ties by row), *n_order
 * their count. */
int rl_cv_folds(uint32_t n, uint32_t L, const int32_t *seed,
		const int64_t *ids, uint32_t k, uint64_t rng_seed,
		uint32_t *fold, uint32_t *order, uint32_t *n_order);

/* p [L] <- softmax(log p / t): temperature scaling of a distribution. */
void rl_temper(double *p, uint32_t L, double t);

/* The temperature in [1/100, 100] that minimises the negative
 * log-likelihood of the gold labels gold [m] under the tempered
 * distributions P [m][L] (golden-section search on log t). tmp needs L
 * doubles. */
double rl_fit_temperature(const double *P, const uint32_t *gold, size_t m,
			  uint32_t L, double *tmp);

/* The t in [1/10000, 100] minimising f(t, ctx), by golden-section
 * search on log t (60 steps): what both kinds of temperature fit use. */
double rl_temperature_search(double (*f)(double t, void *ctx), void *ctx);

/* A reliability diagram being filled: per equal-width confidence bin
 * (a confidence of 1 goes in the last) the answers, the sum of their
 * confidences and how many were right. */
typedef struct rl_calib {
	double n[RL_CALIB_BINS], conf[RL_CALIB_BINS], right[RL_CALIB_BINS];
} rl_calib;

void rl_calib_add(rl_calib *c, double confidence, int right);

/* The bins' mean confidence and accuracy into bins; returns the expected
 * calibration error, each bin's |confidence - accuracy| weighted by its
 * share of the answers. */
double rl_calib_finish(const rl_calib *c, rl_calib_bin *bins);

/* ---- spherical k-means (cluster.c) ---- */

typedef struct rl_kmeans_opts {
	uint32_t k;		/* clusters */
	uint64_t seed;		/* of the k-means++ seeding */
	uint32_t max_iter;	/* Lloyd iterations at most */
	uint32_t restarts;	/* seedings tried, the best kept (0 as 1) */
	int threads;
} rl_kmeans_opts;

typedef struct rl_kmeans_info {
	uint32_t clustered;	/* rows with a non-zero vector */
	uint32_t iters;		/* centroid updates of the kept run */
	int converged;		/* assignments stopped changing */
	double similarity;	/* mean cosine of a row to its centroid */
} rl_kmeans_info;

/* Spherical k-means (cosine) of the rows of v, which are L2-normalised:
 * k-means++ seeding from o->seed, then Lloyd iterations until no row
 * changes cluster or max_iter. A row joins the most similar centroid; on
 * a tie (cosines within 1e-9) it stays where it was, or, new, joins the
 * lowest index.
 * An empty cluster takes the row least similar to its centroid from a
 * cluster of two or more (ties: the lowest row), so none ends empty.
 * assign [n] gets each row's cluster (-1 for an all-zero row, which is
 * not clustered) and sim [n] its cosine to the centroid. Deterministic
 * for a seed, whatever the thread count. RL_EINVAL if k is 0 or more
 * than the non-zero rows. info may be NULL. */
int rl_kmeans(const rl_vecs *v, const rl_kmeans_opts *o, int32_t *assign,
	      float *sim, rl_kmeans_info *info);

/* The mean silhouette (Rousseeuw 1987) with cosine distance 1 - x.y of
 * the clustered rows (assign >= 0), exact: the mean distance to a
 * cluster is taken through the cluster's sum vector. A row alone in its
 * cluster scores 0. */
int rl_silhouette(const rl_vecs *v, const int32_t *assign, uint32_t k,
		  int threads, double *mean);

/* For each candidate ks[q], the mean silhouette of rl_kmeans with k =
 * ks[q] (one seeding, o->restarts ignored) on a sample of `sample`
 * non-zero rows (0 or more than there are: all) drawn with o->seed, into
 * sil [n_ks]; -INFINITY for a k below 2 or above the sample. */
int rl_kmeans_sweep(const rl_vecs *v, const rl_kmeans_opts *o,
		    const uint32_t *ks, uint32_t n_ks, uint32_t sample,
		    double *sil);

/* Each cluster's `top` most distinctive columns of X (TF-IDF rows),
 * into out [k][top] (-1 where fewer): the largest positive differences
 * between the cluster's mean value and the mean over all clustered rows,
 * ties to the lower column. Rows with assign < 0 are left out. */
int rl_cluster_terms(const rl_csr *X, const int32_t *assign, uint32_t k,
		     uint32_t top, int32_t *out);

/* ---- guiding hand labels (guide.c) ---- */

/* What is known of each review when choosing what to label next. */
typedef struct rl_next_in {
	uint32_t n, L, k;
	const double *Pm;	/* [n][L] the model's probabilities */
	const double *Pp;	/* [n][L] propagation; zero rows abstained */
	const double *R;	/* [n][L] rule votes; zero rows: no rule */
	const uint8_t *cand;	/* [n] may be offered (no hand label) */
	const int32_t *nbr;	/* [n][k] neighbour rows, -1 holes */
	const float *sim;	/* [n][k] their cosine similarities */
	const double *reach;	/* [n] closeness to the hand labels (seeds
				   spread over the graph), or NULL: a row
				   propagation abstains on is far */
	double w_disagree;	/* weight of disagreement next to
				   uncertainty's 1 */
	double w_explore;	/* weight of novelty: 1 - reach / the
				   largest reach of a candidate */
	double density_power;	/* the score is multiplied by density^this */
	int balance;		/* at most limit / L picks per likeliest
				   label (multi: most unsure label) while
				   others remain */
	/* A multi-label store: Pm, Pp and R hold each label's own
	 * probability (R: the rules' noisy-or, rl_rules_multi), and each
	 * source decides as rl_decide_multi does, the model with thr [L]
	 * (NULL: 0.5 each), propagation and rules at 0.5. */
	int multi;
	const double *thr;
} rl_next_in;

/* One chosen review and why: the best two labels of model and
 * propagation together and each source's best (label indices, -1:
 * none), its uncertainty (1 - p1 + p2), disagreement (share of answering
 * source pairs that differ), density (mean similarity to its neighbours
 * over the densest candidate's), novelty (1 - reach over the largest)
 * and the score they make. In a multi-label store m1 and m2 are the two
 * labels it is most unsure of, p1 and p2 their evidence (see
 * rl_next_row_multi), uncertainty the largest of its labels' and
 * disagreement the mean over answering source pairs of the share of the
 * labels either gives that only one gives. */
typedef struct rl_next_pick {
	uint32_t row;
	double score, uncertainty, disagreement, density, novelty;
	int32_t m1, m2;		/* best two of model and propagation
				   together */
	double p1, p2;		/* and their probabilities */
	int32_t model, prop, rule;	/* each source's best label */
} rl_next_pick;

/* Scores every candidate, score = (uncertainty + w_disagree *
 * disagreement + w_explore * novelty) / (1 + w_disagree + w_explore) *
 * density^density_power, and picks up to `limit` into out, best first
 * (ties by row), passing over a candidate that is a graph neighbour of an
 * earlier pick, or (balance) whose likeliest label (multi: most unsure
 * label) has had ceil(limit / L) picks, while others remain.
 * Deterministic. */
int rl_next_rank(const rl_next_in *in, size_t limit, rl_next_pick *out,
		 size_t *n_out);

/* Row i of a multi-label store: q [L] each label's evidence, the model's
 * probability and propagation's (where it answers) each mapped
 * piecewise linearly so that its threshold falls at 0.5 (0 and 1 stay),
 * then averaged: 0.5 is the decision line, and 1 - |2 q - 1| the label's
 * uncertainty. on [4][L] the decisions (rl_decide_multi) of the two
 * together (q at 0.5), the model, propagation and the rules; a source
 * that abstains (all-zero row) has none. Returns how many of model and
 * propagation answer. */
int rl_next_row_multi(const rl_next_in *in, uint32_t i, double *q,
		      uint8_t *on);

/* One suspect hand label: row, given and suggested label indices, and
 * p[suggested] - p[given]. In a multi-label store a hand label to drop
 * has suggested RL_NO_LABEL, a missing one to add given RL_NO_LABEL, and
 * margin is how far its probability is past the label's bar. */
#define RL_NO_LABEL UINT32_MAX
typedef struct rl_suspect_pick {
	uint32_t row, given, suggested;
	double margin;
} rl_suspect_pick;

/* Confident learning (Northcutt, Jiang, Chuang 2021) on out-of-fold
 * distributions P [n][L] of the rows with given[i] >= 0: label l's
 * threshold is the mean P[.][l] of the rows given l; a row is suspect
 * when the likeliest label at or above its threshold is not the given
 * one. out [n] gets the suspects, the smallest P[i][given] first (ties
 * by row). */
int rl_suspect_rank(uint32_t n, uint32_t L, const double *P,
		    const int32_t *given, rl_suspect_pick *out,
		    size_t *n_out);

/* Confident learning one label against the rest, for a multi-label
 * store: on out-of-fold probabilities P [n][L] of the hand-labelled rows
 * (given[i] >= 0; all-zero rows abstained and are left out) with hand
 * labels Y [n][L], label l's bars are the mean P[.][l] of the rows that
 * carry l (bars[l]) and of those that do not (bars[L + l]; bars may be
 * NULL). A hand label l is suspect (drop it?) where P[i][l] is at most
 * the second bar, a missing one (add it?) where P[i][l] is at least the
 * first; a label whose first bar is not above its second, or that lacks
 * rows on either side, is not judged. out (room for L per hand-labelled
 * row) gets the suspects, the least self-confident first (P[i][l] of a
 * hand label, 1 - P[i][l] of a missing one; ties by row, then label). */
int rl_suspect_rank_multi(uint32_t n, uint32_t L, const double *P,
			  const uint8_t *Y, const int32_t *given,
			  rl_suspect_pick *out, size_t *n_out, double *bars);

/* ---- threads (parallel.c) ---- */

/* Runs fn(ctx, t, threads) for t = 0 .. threads-1, each on its own thread
 * (t = 0 on the caller's), and waits for all. A kernel splits its rows by
 * t so results depend only on the thread count. */
int rl_parallel(int threads, void (*fn)(void *ctx, int t, int nt),
		void *ctx);

/* ---- random numbers ---- */

/* splitmix64: the one generator; every random choice takes a seed. */
static inline uint64_t rl_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double rl_rand_unit(uint64_t *state)
{
	return (double)(rl_rand_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* RL_KERNELS_H */
