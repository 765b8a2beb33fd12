/*
 * bench_knn.c - the neighbour search alone on a store's LSA vectors:
 * float rows against the compact int16 rows the graph stage keeps, at a
 * chosen pool, with recall@k against brute force on float rows.
 *
 * usage: bench_knn DB [--n N] [--pool P] [--float] [--iters I]
 *                     [--sample S] [--threads T] [--block B]
 *                     [--delta D] [--trace] [--local]
 * Loads the first N (all) LSA vectors, searches with NN-descent and
 * prints the time, the process's peak memory, the rounds and the recall.
 * --trace prints each round as it ends: its updates (the stopping rule
 * compares them with delta * n * pool), the seconds since the search
 * began, and the recall@k of the pools' first k on the sample (the
 * exact lists found first, before the search; the pools rank by 16-bit
 * similarities, so this can differ a little from the final recall,
 * which ranks the pools again in float). The trace's own time is not
 * counted in the rounds' seconds.
 * --local moves the compact rows into a locality order first
 * (rl_knn_local_order) and the result back after; the time counts both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"
#include "kernels.h"
#include "store.h"
#include "revlab.h"

static double peak_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* --trace: the sample's exact lists, and the clock without the trace's
 * own time. */
typedef struct trace {
	uint32_t k, ns;
	const uint32_t *rows;
	const int32_t *exact;	/* [ns][k] */
	double t0, spent;
} trace;

static void on_round(void *ctx, uint32_t round, uint64_t updates,
		     const uint32_t *pools, uint32_t K)
{
	trace *tr = ctx;
	double t = rl_now();
	uint64_t hit = 0, want = 0;
	for (uint32_t i = 0; i < tr->ns; i++) {
		const uint32_t *p = pools + (size_t)tr->rows[i] * K;
		const int32_t *e = tr->exact + (size_t)i * tr->k;
		for (uint32_t a = 0; a < tr->k; a++) {
			if (e[a] < 0)
				continue;
			want++;
			for (uint32_t b = 0; b < tr->k && b < K; b++)
				if ((p[b] & RL_KNN_ID_MASK) == (uint32_t)e[a]) {
					hit++;
					break;
				}
		}
	}
	printf("round %2u: %12llu updates, %8.1f s, recall@%u of the pools "
	       "%.4f\n", round, (unsigned long long)updates,
	       t - tr->t0 - tr->spent, tr->k,
	       want ? (double)hit / (double)want : 1.0);
	fflush(stdout);
	tr->spent += rl_now() - t;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_knn DB [--n N] [--pool P] "
			"[--float] [--iters I] [--sample S] [--threads T] "
			"[--block B] [--delta D] [--trace] [--local]\n");
		return 2;
	}
	uint32_t n_max = 0, block = 0, pool = 20, iters = 12, sample = 1000;
	uint32_t k = 10;
	int use_float = 0, threads = 2, tracing = 0, local = 0;
	double delta = 0.001;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--float"))
			use_float = 1;
		else if (!strcmp(argv[i], "--trace"))
			tracing = 1;
		else if (!strcmp(argv[i], "--local"))
			local = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--n"))
			n_max = (uint32_t)atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--pool"))
			pool = (uint32_t)atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--delta"))
			delta = atof(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--block"))
			block = (uint32_t)atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--iters"))
			iters = (uint32_t)atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--sample"))
			sample = (uint32_t)atol(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--threads"))
			threads = atoi(argv[++i]);
		else {
			fprintf(stderr, "bench_knn: unknown argument %s\n",
				argv[i]);
			return 2;
		}
	}
	rl_db *db;
	rl_vector_set vs;
	if (rl_db_open(argv[1], 0, &db) != RL_OK ||
	    rl_store_vectors_load(db, RL_VECTORS_LSA, &vs) != RL_OK) {
		fprintf(stderr, "bench_knn: %s: cannot load LSA vectors\n",
			argv[1]);
		return 1;
	}
	rl_db_close(db);
	uint32_t n = n_max && n_max < vs.n ? n_max : vs.n, dim = vs.dim;
	rl_vecs f = { .n = n, .dim = dim, .dense = vs.dense }, v = f;
	int16_t *q16 = NULL;
	float *scale = NULL;
	if (!use_float) {
		q16 = malloc((size_t)n * dim * sizeof *q16);
		scale = malloc((size_t)n * sizeof *scale);
		if (!q16 || !scale)
			return 1;
		for (uint32_t r = 0; r < n; r++)
			rl_q16_row(vs.dense + (size_t)r * dim, dim,
				  q16 + (size_t)r * dim, &scale[r]);
		v = (rl_vecs){ .n = n, .dim = dim, .q16 = q16, .scale = scale
			     };
	}
	uint32_t rounds = 0;
	int capped = 0;
	rl_knn_opts o = { .k = k, .threads = threads, .seed = 1,
			  .max_iters = iters, .delta = delta, .pool = pool,
			  .block = block, .rounds = &rounds,
			  .capped = &capped };
	trace tr = { .k = k };
	uint32_t *rows = NULL;
	int32_t *exact = NULL;
	if (tracing && sample > 0) {
		/* The final recall's sample; its exact lists by brute force
		 * on the float rows. */
		tr.ns = sample < n ? sample : n;
		rows = malloc(tr.ns * sizeof *rows);
		exact = malloc((size_t)tr.ns * k * sizeof *exact);
		if (!rows || !exact)
			return 1;
		rl_knn_sample_rows(n, tr.ns, 1, rows);
		if (rl_knn_exact_rows(&f, k, tr.ns, rows, threads, exact) !=
		    RL_OK) {
			fprintf(stderr, "bench_knn: exact lists failed\n");
			return 1;
		}
		tr.rows = rows;
		tr.exact = exact;
		o.round_fn = on_round;
		o.round_ctx = &tr;
	}
	int32_t *nbr;
	float *sim;
	double t0 = rl_now(), t_order = 0;
	tr.t0 = t0;
	uint32_t *order = NULL;
	if (local) {
		order = malloc((size_t)n * sizeof *order);
		if (!order || use_float ||
		    rl_knn_move_local(n, dim, q16, scale, 1, order, NULL) !=
		    RL_OK) {
			fprintf(stderr, "bench_knn: --local needs the int16 "
				"rows and memory\n");
			return 1;
		}
		/* The trace's sample and exact lists in the order's
		 * numbering. */
		uint32_t *pos = malloc((size_t)n * sizeof *pos);
		if (!pos)
			return 1;
		for (uint32_t q = 0; q < n; q++)
			pos[order[q]] = q;
		for (uint32_t i = 0; i < tr.ns; i++)
			rows[i] = pos[rows[i]];
		for (size_t e = 0; exact && e < (size_t)tr.ns * k; e++)
			if (exact[e] >= 0)
				exact[e] = (int32_t)pos[exact[e]];
		free(pos);
		o.ordered = 1;
		t_order = rl_now() - t0;
	}
	if (rl_knn_take(&v, &o, &nbr, &sim) != RL_OK ||
	    (order && rl_knn_unorder(n, k, order, nbr, sim) != RL_OK)) {
		fprintf(stderr, "bench_knn: search failed\n");
		return 1;
	}
	double t1 = rl_now(), recall;
	if (local)
		printf("locality order and moving the rows: %.2f s (counted "
		       "in the time below)\n", t_order);
	free(order);
	rl_knn_recall(&f, k, nbr, sample, 1, threads, &recall, NULL);
	printf("%u rows, dim %u, %s, pool %u, block %u: %.2f s, %u rounds%s, "
	       "recall@%u %.4f (%u sampled, %.1f s), peak %.0f MB\n", n, dim,
	       use_float ? "float" : "int16", pool, block,
	       t1 - t0 - tr.spent, rounds, capped ? " (the cap)" : "", k,
	       recall, sample, rl_now() - t1, peak_mb());
	free(rows);
	free(exact);
	free(nbr);
	free(sim);
	free(q16);
	free(scale);
	rl_vector_set_free(&vs);
	return 0;
}
