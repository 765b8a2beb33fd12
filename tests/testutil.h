/*
 * testutil.h - helpers the Check suites share: temporary folders and
 * files, and a digest of a store's whole content to prove that a failed
 * command left it unchanged. Header-only, as each suite is one program.
 */
#ifndef RL_TESTUTIL_H
#define RL_TESTUTIL_H

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char tu_dir[256];

/* A fresh temporary folder per test (checked fixture). */
__attribute__((unused)) static void tu_setup(void)
{
	snprintf(tu_dir, sizeof tu_dir, "/tmp/revlab-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tu_dir));
}

__attribute__((unused)) static void tu_teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tu_dir);
}

/* Path of `name` inside the test's folder, in one of 8 rotating static
 * buffers: copy it if it must outlive 8 more calls. */
__attribute__((unused)) static const char *tu_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ & 7];
	snprintf(b, 512, "%s/%s", tu_dir, name);
	return b;
}

/* Writes `len` bytes (or strlen) to a file in the test folder. */
__attribute__((unused)) static const char *tu_write(const char *name, const char *data, size_t len)
{
	const char *p = tu_path(name);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	if (len == 0)
		len = strlen(data);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

/* A text digest of the user tables' rows, for before/after checks: all
 * of them, or with `data_only` all but the records of what ran (runs,
 * evals), which an evaluation adds to while labels, models and
 * assignments must stay. Returns a malloc'd string. */
static char *tu_digest_tables(const char *db_path, int data_only)
{
	static const char *const tables[] = {
		"settings", "reviews", "terms", "review_tokens", "rule_scans",
		"labels", "seeds", "rules", "rule_hits", "features", "projection",
		"vectors", "neighbours", "label_scores", "assignments",
		"models", "predictions", "clusters", "cluster_members",
		"runs", "evals",
	};
	const size_t n_tables = sizeof tables / sizeof tables[0] -
				(data_only ? 2 : 0);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	out[0] = 0;
	for (size_t t = 0; t < n_tables; t++) {
		char sql[256];
		sqlite3_stmt *s = NULL;
		/* Order by every column, so the digest is canonical. */
		snprintf(sql, sizeof sql, "SELECT * FROM %s", tables[t]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
				 SQLITE_OK);
		int ncol = sqlite3_column_count(s);
		sqlite3_finalize(s);
		int at = snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1",
				  tables[t]);
		for (int c = 2; c <= ncol && at < 200; c++)
			at += snprintf(sql + at, sizeof sql - (size_t)at, ", %d",
				       c);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
				 SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				/* Blobs in hex: their bytes may hold a NUL,
				 * which would end the digest for strcmp. */
				int blob = sqlite3_column_type(s, c) ==
					   SQLITE_BLOB;
				const unsigned char *v = blob
					? sqlite3_column_blob(s, c)
					: sqlite3_column_text(s, c);
				size_t n = (size_t)sqlite3_column_bytes(s, c);
				while (len + 2 * n + 64 > cap)
					out = realloc(out, cap *= 2);
				if (!v) {
					memcpy(out + len, "NULL", 4);
					len += 4;
				} else if (blob) {
					for (size_t b = 0; b < n; b++)
						len += (size_t)sprintf(out + len,
							"%02x", v[b]);
				} else {
					memcpy(out + len, v, n);
					len += n;
				}
				out[len++] = '|';
			}
			out[len++] = '\n';
			out[len] = 0;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return out;
}

/* Every table. */
__attribute__((unused)) static char *tu_digest(const char *db_path)
{
	return tu_digest_tables(db_path, 0);
}

/* Every table but runs and evals. */
__attribute__((unused)) static char *tu_digest_data(const char *db_path)
{
	return tu_digest_tables(db_path, 1);
}

/* Reads at most cap - 1 bytes of the file at path into dst, terminated. */
__attribute__((unused)) static void tu_slurp(const char *path, char *dst,
					     size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(dst, 1, cap - 1, f) : 0;
	dst[n] = 0;
	if (f)
		fclose(f);
}

/* Runs the program argv[0] with the NULL-terminated argv, stdin from
 * `in` (or /dev/null), and returns its exit status; its output lands in
 * out and err (outcap, errcap bytes, terminated). The program must end
 * by exiting, not by a signal. */
__attribute__((unused)) static int tu_exec(char *const argv[],
					   const char *in, char *out,
					   size_t outcap, char *err,
					   size_t errcap)
{
	char op[600], ep[600];
	snprintf(op, sizeof op, "%s", tu_path("stdout"));
	snprintf(ep, sizeof ep, "%s", tu_path("stderr"));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int i = open(in ? in : "/dev/null", O_RDONLY);
		int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (i < 0 || o < 0 || e < 0)
			_exit(127);
		dup2(i, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	tu_slurp(op, out, outcap);
	tu_slurp(ep, err, errcap);
	ck_assert_msg(WIFEXITED(status), "%s died: %s", argv[0], err);
	return WEXITSTATUS(status);
}

/* What a kernel's tick (kernels.h) called back: how often, whether ever
 * on another thread than the one that called the kernel (a binding may
 * take a lock in the callback) or for a stage other than "test", or with
 * done above total, or below the call before (back). tu_on_tick stops at
 * call `at` (0: never). */
typedef struct tu_watch {
	pthread_t caller;
	int calls, at, elsewhere, beyond, back;
	uint64_t last;
} tu_watch;

__attribute__((unused)) static int tu_on_tick(void *ctx, const char *stage,
					      uint64_t done, uint64_t total)
{
	tu_watch *w = ctx;
	/* No ck_assert here: it must not run on a worker thread. */
	w->elsewhere += !pthread_equal(pthread_self(), w->caller) ||
			strcmp(stage, "test");
	w->beyond += done > total;
	w->back += done < w->last;
	w->last = done;
	return ++w->calls == w->at;
}

/* Runs one SQL query returning a single integer. */
__attribute__((unused)) static long long tu_int(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	long long v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Runs one SQL query returning a single text; malloc'd result. */
__attribute__((unused)) static char *tu_text(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	const char *v = (const char *)sqlite3_column_text(s, 0);
	int n = sqlite3_column_bytes(s, 0);
	char *r = malloc((size_t)n + 1);
	memcpy(r, v ? v : "", (size_t)n);
	r[n] = 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return r;
}

/* The CPU seconds a test process may use before it is stopped: what
 * catches a runaway loop. A wall-clock limit would also catch one, but
 * fails sound tests whenever the machine is busy, so the suites have none
 * (Check's CK_DEFAULT_TIMEOUT is 0 and no test case sets one); CPU time
 * does not grow with the machine's load. The budget is far above any
 * test's need (the slowest, the sanitizer build's allocation test, takes
 * about 100 s); RL_TEST_CPU_SCALE multiplies it for slower set-ups such
 * as valgrind. */
#define TU_CPU_SECONDS 900

static void tu_cpu_limit(void)
{
	const char *scale = getenv("RL_TEST_CPU_SCALE");
	double f = scale ? atof(scale) : 1;
	if (f < 1)
		f = 1;
	struct rlimit rl;
	/* (outside a test, so no ck_assert: Check refuses it there) */
	if (getrlimit(RLIMIT_CPU, &rl) != 0) {
		perror("getrlimit");
		exit(EXIT_FAILURE);
	}
	rlim_t want = (rlim_t)(TU_CPU_SECONDS * f);
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_CPU, &rl) != 0) {
		perror("setrlimit");
		exit(EXIT_FAILURE);
	}
}

/* Runs a suite under the CPU limit and returns the process exit status.
 * Each test runs in its own forked process (Check's default), which
 * starts with no CPU time used. */
static int tu_run(Suite *s)
{
	tu_cpu_limit();
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* RL_TESTUTIL_H */
