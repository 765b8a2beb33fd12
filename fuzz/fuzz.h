/*
 * fuzz.h - what the libFuzzer targets share (fuzz/fuzz_*.c, one program
 * each, built by -Dfuzz=true): a private temporary folder for the files
 * the file-reading parsers need, one in-memory store made once per
 * process, and a commit hook that turns every stage's COMMIT into a
 * ROLLBACK, so millions of inputs leave the store as it was made and the
 * time per input stays flat.
 *
 * The targets are test programs, so they may keep a handful of statics
 * (the store, the folder); the library itself has none. A broken
 * invariant aborts (FZ_CHECK), which libFuzzer reports as a crash with
 * the input that caused it.
 */
#ifndef RL_FUZZ_H
#define RL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "store_impl.h"

#define FZ_CHECK(cond)                                                    \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* Setup that must not fail: on failure says why and exits. */
__attribute__((unused))
static void fz_setup_ok(int rc, rl_db *db, const char *what)
{
	if (rc == RL_OK)
		return;
	fprintf(stderr, "fuzz setup: %s: %s (%s)\n", what, rl_strerror(rc),
		db ? rl_db_errmsg(db) : "");
	exit(2);
}

/* ---- files ---- */

#define FZ_MAX_FILES 4

static char fz_dir[256];
static char fz_files[FZ_MAX_FILES][320];

__attribute__((unused))
static void fz_cleanup(void)
{
	for (int i = 0; i < FZ_MAX_FILES; i++)
		if (fz_files[i][0])
			unlink(fz_files[i]);
	if (fz_dir[0])
		rmdir(fz_dir);
}

/* Writes data [size] to the file `name` in the process's own folder
 * (made on first use in $TMPDIR, else /dev/shm or /tmp, and removed at
 * exit; at most FZ_MAX_FILES names) and returns its path, static. */
__attribute__((unused))
static const char *fz_write(const char *name, const uint8_t *data,
			    size_t size)
{
	if (!fz_dir[0]) {
		/* Memory, where there is a tmpfs: a file written per input
		 * costs four times as much on a disk's file system. */
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
							    : "/tmp";
		snprintf(fz_dir, sizeof fz_dir, "%s/revlab-fuzz-XXXXXX", tmp);
		if (!mkdtemp(fz_dir)) {
			perror(fz_dir);
			exit(2);
		}
		atexit(fz_cleanup);
	}
	int i = 0;
	char path[320];
	snprintf(path, sizeof path, "%s/%s", fz_dir, name);
	while (i < FZ_MAX_FILES && fz_files[i][0] && strcmp(fz_files[i], path))
		i++;
	FZ_CHECK(i < FZ_MAX_FILES);
	memcpy(fz_files[i], path, sizeof path);
	FILE *f = fopen(path, "wb");
	FZ_CHECK(f != NULL);
	FZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	FZ_CHECK(fclose(f) == 0);
	return fz_files[i];
}

/* ---- the store ---- */

/* A small corpus for the targets that need reviews to refer to: those
 * of tests/check_rules.c, and the ids tests/check_import.c uses. */
static const char fz_corpus[] =
	"id\ttext\n"
	"r1\tGreat food, terrible service\n"
	"r2\tThe waiter was rude and the food cold\n"
	"r3\tCheap prices, good value\n"
	"r4\tLovely decor and quiet music\n"
	"r5\tFOOD was great, price was fair\n"
	"r6\tNothing to say\n"
	"1\tone\n"
	"2\ttwo\n"
	"x\tone more, caf\xc3\xa9 cr\xc3\xa8me\n";

static const char *const fz_labels[] = {
	"food", "service", "price", "ambience", "pos", "neg",
};

/* A new, empty store in memory. */
__attribute__((unused))
static rl_db *fz_store(void)
{
	rl_db *db = NULL;
	fz_setup_ok(rl_db_open(":memory:", RL_OPEN_CREATE, &db), db,
		    "open an in-memory store");
	return db;
}

/* Imports TSV text into the store. */
__attribute__((unused))
static void fz_import_tsv(rl_db *db, const char *tsv, size_t len)
{
	rl_import_opts o;
	rl_import_opts_init(&o);
	o.format = RL_FORMAT_TSV;
	FILE *in = fmemopen((void *)tsv, len, "rb");
	if (!in) {
		perror("fmemopen");
		exit(2);
	}
	fz_setup_ok(rl_import_stream(db, in, "corpus", &o, NULL), db,
		    "import the corpus");
	fclose(in);
}

/* The store of fz_corpus with fz_labels declared. */
__attribute__((unused))
static rl_db *fz_corpus_store(void)
{
	rl_db *db = fz_store();
	fz_import_tsv(db, fz_corpus, sizeof fz_corpus - 1);
	for (size_t i = 0; i < sizeof fz_labels / sizeof *fz_labels; i++)
		fz_setup_ok(rl_label_add(db, fz_labels[i]), db, "add a label");
	return db;
}

/* ---- every commit a rollback ---- */

/* Commits vetoed since fz_veto_commits. */
static uint64_t fz_vetoed;

__attribute__((unused))
static int fz_veto(void *ctx)
{
	(void)ctx;
	fz_vetoed++;
	return 1;	/* SQLite turns the COMMIT into a ROLLBACK */
}

/* From now on every transaction on db that would commit is rolled back
 * instead: the stage sees its COMMIT fail (RL_EDB) after doing all its
 * work, and the store keeps its content. */
__attribute__((unused))
static void fz_veto_commits(rl_db *db)
{
	sqlite3_commit_hook(db->sql, fz_veto, NULL);
}

/* A stage's status under the veto: RL_EDB only from the vetoed commit.
 * Any other database failure is a finding: abort with its message. */
__attribute__((unused))
static void fz_check_status(rl_db *db, int rc, uint64_t vetoed_before)
{
	if (rc == RL_EDB && fz_vetoed == vetoed_before) {
		fprintf(stderr, "fuzz: unexpected database error: %s\n",
			rl_db_errmsg(db));
		abort();
	}
	FZ_CHECK(rc <= 0);
	/* The veto rolled everything back; nothing can have committed. */
	FZ_CHECK(rc != RL_OK);
	/* What a failure says is non-empty for input errors. */
	FZ_CHECK(rc != RL_EINPUT || *rl_db_errmsg(db));
}

/* Rows of a table, for checks that the store did not change. */
__attribute__((unused))
static int64_t fz_rows(rl_db *db, const char *table)
{
	char sql[128];
	sqlite3_stmt *s = NULL;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	FZ_CHECK(sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) ==
		 SQLITE_OK);
	FZ_CHECK(sqlite3_step(s) == SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

#endif /* RL_FUZZ_H */
