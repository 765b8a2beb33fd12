/*
 * fuzz_rules.c - the rules file (rules.c's parser and PCRE2 compile,
 * stage_rules.c's replacement of the rule set and matching): the input is
 * the file, loaded by rl_rules_load into a store with labels, a rule set
 * of two rules (so unchanged patterns keep their hits) and reviews, one
 * of them long enough (16 KB) to be matched under the work budget.
 * Unknown labels are created for inputs of odd size and are an error for
 * the others. The commit is vetoed (fuzz.h), so the rule set stays.
 */
#include "fuzz.h"

static rl_db *db;
static int64_t n_rules;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = fz_corpus_store();
	/* A review past rules.c's LONG_TEXT (16384 bytes). */
	static const char unit[] = "the food was cold and the waiter rude. ";
	rl_buf b = { 0 };
	fz_setup_ok(rl_buf_append(&b, "id\ttext\nlong\t", 13), db, "memory");
	while (b.len < 16500)
		fz_setup_ok(rl_buf_append(&b, unit, sizeof unit - 1), db,
			    "memory");
	fz_setup_ok(rl_buf_append(&b, "\n", 1), db, "memory");
	fz_import_tsv(db, b.data, b.len);
	rl_buf_free(&b);
	static const uint8_t rules[] = "food\t\\bfood\\b\n"
				       "!service\twaiter|service\t2\n";
	fz_setup_ok(rl_rules_load(db, fz_write("rules.txt", rules,
					       sizeof rules - 1), NULL, NULL),
		    db, "load the rules");
	n_rules = fz_rows(db, "rules");
	fz_veto_commits(db);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rl_rules_opts o = { .create_labels = (int)(size & 1) };
	rl_rules_stats st;
	const char *path = fz_write("rules.txt", data, size);
	uint64_t vetoed = fz_vetoed;
	int rc = rl_rules_load(db, path, &o, &st);
	fz_check_status(db, rc, vetoed);
	/* Every input error names the file (and line) first. */
	if (rc == RL_EINPUT)
		FZ_CHECK(!strncmp(rl_db_errmsg(db), path, strlen(path)));
	FZ_CHECK(fz_rows(db, "rules") == n_rules);
	return 0;
}
