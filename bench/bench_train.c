/*
 * bench_train.c - training and prediction speed of the classifier
 * kernels on a store's own feature rows (issue 6).
 *
 * usage: bench_train DB [--threads T] [--max-iter M] [--svm PREFIX]
 * DB was made by bench/train.py: reviews imported from a file with the
 * columns label and part (train/test) in their metadata, tokenized and
 * vectorized. Loads the same feature rows `revlab train` trains on
 * (TF-IDF, plus LSA when the store has it), trains multinomial NB,
 * complement NB and logistic regression on the train part with its gold
 * labels, and prints for each the training time, the test accuracy, and
 * the prediction rate of the kernel on one core. With --svm it also
 * writes PREFIX.train and PREFIX.test in LIBSVM format (label indices
 * from 1), so liblinear can train on exactly the same rows.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"
#include "kernels.h"
#include "stage.h"
#include "revlab.h"

#define MAX_LABELS 64

static double peak_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* Reads every review's id, gold label index and part; names[] gets the
 * label names in order of first appearance. */
static int read_gold(const char *path, int64_t **ids, int32_t **gold,
		     uint8_t **test, uint32_t *n, char **names, uint32_t *L)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;
	size_t cap = 0;
	*n = 0;
	*L = 0;
	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(s, "SELECT id, meta->>'label', meta->>'part'"
			       " FROM reviews ORDER BY id", -1, &q, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(s));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *lab = (const char *)sqlite3_column_text(q, 1);
		const char *part = (const char *)sqlite3_column_text(q, 2);
		if (!lab || !part) {
			fprintf(stderr, "%s: review %lld has no label or part "
				"in its metadata\n", path,
				(long long)sqlite3_column_int64(q, 0));
			goto out;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*ids = realloc(*ids, cap * sizeof **ids);
			*gold = realloc(*gold, cap * sizeof **gold);
			*test = realloc(*test, cap);
			if (!*ids || !*gold || !*test)
				goto out;
		}
		uint32_t l = 0;
		while (l < *L && strcmp(names[l], lab))
			l++;
		if (l == *L) {
			if (*L == MAX_LABELS)
				goto out;
			names[(*L)++] = strdup(lab);
		}
		(*ids)[*n] = sqlite3_column_int64(q, 0);
		(*gold)[*n] = (int32_t)l;
		(*test)[*n] = !strcmp(part, "test");
		(*n)++;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_close(s);
	return rc;
}

static void write_svm(const char *path, const rl_csr *X, const int32_t *gold,
		      const uint8_t *test, int want_test)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (uint32_t i = 0; i < X->n_rows; i++) {
		if (test[i] != want_test)
			continue;
		fprintf(f, "%d", gold[i] + 1);
		for (uint64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++)
			fprintf(f, " %u:%.6g", X->indices[p] + 1, X->values[p]);
		fputc('\n', f);
	}
	fclose(f);
}

/* Test accuracy of theta and the kernel's prediction rate over the test
 * rows (one thread). */
static void score(const char *name, double train_s, const rl_csr *X,
		  const double *theta, const int32_t *gold,
		  const uint8_t *test, uint32_t L)
{
	double p[MAX_LABELS];
	uint64_t right = 0, m = 0;
	double t0 = rl_now();
	for (uint32_t i = 0; i < X->n_rows; i++) {
		if (!test[i])
			continue;
		rl_logreg_predict(X, i, theta, L, p);
		uint32_t best = 0;
		for (uint32_t l = 1; l < L; l++)
			if (p[l] > p[best])
				best = l;
		right += (int32_t)best == gold[i];
		m++;
	}
	double dt = rl_now() - t0;
	printf("%-7s train %7.2f s   test accuracy %.4f   predict %9.0f "
	       "rows/s (1 core)   peak %.0f MB\n", name, train_s,
	       m ? (double)right / (double)m : 0, dt > 0 ? (double)m / dt : 0,
	       peak_mb());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *svm = NULL;
	int threads = 2, max_iter = 200;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-iter") && i + 1 < argc)
			max_iter = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--svm") && i + 1 < argc)
			svm = argv[++i];
		else if (!path)
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path) {
		fprintf(stderr, "usage: bench_train DB [--threads T] "
			"[--max-iter M] [--svm PREFIX]\n");
		return 2;
	}
	int64_t *ids = NULL;
	int32_t *gold = NULL;
	uint8_t *test = NULL;
	char *names[MAX_LABELS];
	uint32_t n = 0, L = 0;
	if (read_gold(path, &ids, &gold, &test, &n, names, &L) || L < 2) {
		fprintf(stderr, "%s: no labelled reviews\n", path);
		return 1;
	}
	rl_db *db = NULL;
	rl_csr X = { 0 };
	double t0 = rl_now();
	if (rl_db_open(path, 0, &db) != RL_OK ||
	    rl_features_load(db, ids, n, &X) != RL_OK) {
		fprintf(stderr, "%s\n", rl_db_errmsg(db));
		return 1;
	}
	uint64_t n_train = 0;
	for (uint32_t i = 0; i < n; i++)
		n_train += !test[i];
	printf("rows %u (train %llu, test %llu), columns %u, nonzeros %llu, "
	       "labels %u; loaded in %.2f s\n", n,
	       (unsigned long long)n_train, (unsigned long long)(n - n_train),
	       X.n_cols, (unsigned long long)X.indptr[n], L, rl_now() - t0);
	if (svm) {
		char f[4096];
		snprintf(f, sizeof f, "%s.train", svm);
		write_svm(f, &X, gold, test, 0);
		snprintf(f, sizeof f, "%s.test", svm);
		write_svm(f, &X, gold, test, 1);
	}
	float *T = calloc((size_t)n * L, sizeof *T);
	float *w = calloc(n, sizeof *w);
	double *theta = malloc((size_t)(X.n_cols + 1) * L * sizeof *theta);
	if (!T || !w || !theta)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		T[(size_t)i * L + (uint32_t)gold[i]] = 1;
		w[i] = !test[i];
	}
	uint32_t iters = 0;
	t0 = rl_now();
	if (rl_nb_train(&X, T, w, L, 1.0, theta) != RL_OK)
		return 1;
	score("nb", rl_now() - t0, &X, theta, gold, test, L);
	t0 = rl_now();
	if (rl_cnb_train(&X, T, w, L, 1.0, theta) != RL_OK)
		return 1;
	score("cnb", rl_now() - t0, &X, theta, gold, test, L);
	t0 = rl_now();
	/* l2 1 (liblinear's C = 1, the same objective), tol 0.001. */
	if (rl_logreg_train(&X, T, w, L, 1.0, (uint32_t)max_iter, 1e-3,
			    threads, theta, &iters, NULL, NULL) !=
	    RL_OK)
		return 1;
	score("logreg", rl_now() - t0, &X, theta, gold, test, L);
	printf("logreg: %u L-BFGS iterations on %d threads\n", iters, threads);
	free(T);
	free(w);
	free(theta);
	rl_csr_free(&X);
	rl_db_close(db);
	for (uint32_t l = 0; l < L; l++)
		free(names[l]);
	free(ids);
	free(gold);
	free(test);
	return 0;
}
