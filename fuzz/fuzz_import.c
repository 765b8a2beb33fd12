/*
 * fuzz_import.c - import of CSV, TSV or JSONL (import.c over libcsv and
 * SQLite's JSON functions): the input is the file, read from memory by
 * rl_import_stream into a store that already holds reviews with the ids
 * the import tests use. Built once per format (FZ_FORMAT: fuzz_import_csv,
 * fuzz_import_tsv, fuzz_import_jsonl), each with its own seed corpus.
 *
 * Every input is imported twice: with the defaults (the first bad record
 * fails the import; a known id is an error), then skipping bad records
 * with a record limit of 64 bytes, replacing or skipping known ids. The
 * commit is vetoed (fuzz.h), so the store keeps its reviews; that is
 * checked, as is every bad record's message.
 */
#include "fuzz.h"

#ifndef FZ_FORMAT
#error "FZ_FORMAT must name an rl_format"
#endif

static rl_db *db;
static int64_t n_reviews;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = fz_corpus_store();
	n_reviews = fz_rows(db, "reviews");
	fz_veto_commits(db);
	return 0;
}

static void on_bad(void *ctx, const char *msg)
{
	uint64_t *n = ctx;
	FZ_CHECK(msg && *msg);
	(*n)++;
}

static int on_progress(void *ctx, const char *stage, uint64_t done,
		       uint64_t total)
{
	(void)ctx;
	FZ_CHECK(stage && !strcmp(stage, "import"));
	FZ_CHECK(total == 0 || done <= total);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* fmemopen wants a buffer of one byte at least. */
	static const uint8_t empty[1];
	for (int pass = 0; pass < 2; pass++) {
		rl_import_opts o;
		rl_import_stats st;
		uint64_t reported = 0;
		rl_import_opts_init(&o);
		o.format = FZ_FORMAT;
		if (pass == 1) {
			o.skip_bad = 1;
			o.max_record = 64;
			o.existing = size & 1 ? RL_EXISTING_REPLACE
					      : RL_EXISTING_SKIP;
			o.report = on_bad;
			o.progress = on_progress;
			o.ctx = &reported;
		}
		FILE *in = fmemopen((void *)(size ? data : empty), size, "rb");
		FZ_CHECK(in != NULL);
		uint64_t vetoed = fz_vetoed;
		int rc = rl_import_stream(db, in, "fuzz", &o, &st);
		fclose(in);
		fz_check_status(db, rc, vetoed);
		FZ_CHECK(fz_rows(db, "reviews") == n_reviews);
	}
	return 0;
}
