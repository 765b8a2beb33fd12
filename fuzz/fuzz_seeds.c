/*
 * fuzz_seeds.c - the seeds (hand labels) file, seeds.c: the input is the
 * file, loaded by rl_seed_file twice, as seeds.tsv (id<TAB>label) and as
 * seeds.csv (id,label), into a store with reviews, labels and two hand
 * labels. The commit is vetoed (fuzz.h), so the hand labels stay.
 */
#include "fuzz.h"

static rl_db *db;
static int64_t n_seeds;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = fz_corpus_store();
	fz_setup_ok(rl_seed_set(db, "r1", "food"), db, "a hand label");
	fz_setup_ok(rl_seed_set(db, "r2", "service"), db, "a hand label");
	n_seeds = fz_rows(db, "seeds");
	fz_veto_commits(db);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[2] = { "seeds.tsv", "seeds.csv" };
	for (int i = 0; i < 2; i++) {
		rl_seed_stats st;
		const char *path = fz_write(names[i], data, size);
		uint64_t vetoed = fz_vetoed;
		int rc = rl_seed_file(db, path, &st);
		fz_check_status(db, rc, vetoed);
		/* Every input error names the file and line first. */
		if (rc == RL_EINPUT)
			FZ_CHECK(!strncmp(rl_db_errmsg(db), path,
					  strlen(path)));
		FZ_CHECK(fz_rows(db, "seeds") == n_seeds);
		FZ_CHECK(fz_rows(db, "labels") ==
			 (int64_t)(sizeof fz_labels / sizeof *fz_labels));
	}
	return 0;
}
