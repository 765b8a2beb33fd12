/*
 * bench_ingest.c - import + tokenize throughput and peak memory.
 *
 * usage: bench_ingest DB FILE
 * Creates DB (which must not exist), imports FILE, tokenizes, and prints
 * one line per phase and a total: bytes, reviews, seconds, MB/s, and the
 * process's peak resident memory. Run by bench/ingest.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "revlab.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_ingest DB FILE\n");
		return 2;
	}
	rl_db *db = NULL;
	int rc = rl_db_open(argv[1], RL_OPEN_CREATE, &db);
	if (rc != RL_OK)
		goto fail;
	rl_import_opts io;
	rl_import_opts_init(&io);
	rl_import_stats is;
	double t0 = now();
	if ((rc = rl_import_file(db, argv[2], &io, &is)) != RL_OK)
		goto fail;
	double t1 = now();
	printf("import:   %llu reviews, %.1f MB in %.2f s = %.1f MB/s, "
	       "peak RSS %.1f MB\n", (unsigned long long)is.imported,
	       (double)is.bytes / 1e6, t1 - t0,
	       (double)is.bytes / 1e6 / (t1 - t0), peak_mb());
	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	rl_tokenize_stats ts;
	if ((rc = rl_tokenize(db, &to, &ts)) != RL_OK)
		goto fail;
	double t2 = now();
	printf("tokenize: %llu reviews, %llu tokens, %llu terms, %.1f MB of "
	       "text in %.2f s = %.1f MB/s, peak RSS %.1f MB\n",
	       (unsigned long long)ts.reviews, (unsigned long long)ts.tokens,
	       (unsigned long long)ts.new_terms, (double)ts.bytes / 1e6,
	       t2 - t1, (double)ts.bytes / 1e6 / (t2 - t1), peak_mb());
	printf("total:    %.1f MB file in %.2f s = %.1f MB/s (import on one "
	       "thread, tokenize on %d), peak RSS %.1f MB\n",
	       (double)is.bytes / 1e6, t2 - t0,
	       (double)is.bytes / 1e6 / (t2 - t0), to.threads, peak_mb());
	rl_db_close(db);
	return 0;
fail:
	fprintf(stderr, "bench_ingest: %s\n",
		db && *rl_db_errmsg(db) ? rl_db_errmsg(db) : rl_strerror(rc));
	rl_db_close(db);
	return 1;
}
