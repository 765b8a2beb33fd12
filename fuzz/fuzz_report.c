/*
 * fuzz_report.c - the stored evaluation the report reads back
 * (report_data.c, over SQLite's JSON functions, then report.c and svg.c
 * drawing from it): the input is the `result` of an evals row. The store
 * is small, so that the report's own queries cost little beside the
 * JSON's: fuzz.h's corpus with hand labels and rules, labelled by one
 * rl_run, made once. Each input is inserted as the newest evaluation,
 * the report is written to memory, and the row is deleted again.
 *
 * Checked: the report is written (the JSON is the store's, so damage in
 * it is drawn around, never an error) and is a whole page.
 */
#include "fuzz.h"

static rl_db *db;
static sqlite3_stmt *put, *del;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = fz_corpus_store();
	static const char *const seeds[][2] = {
		{ "r1", "food" }, { "r2", "service" }, { "r3", "price" },
		{ "r4", "ambience" }, { "r5", "food" }, { "x", "price" },
	};
	for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++)
		fz_setup_ok(rl_seed_set(db, seeds[i][0], seeds[i][1]), db,
			    "a hand label");
	static const uint8_t rules[] = "food\t\\bfood\\b\n"
				       "service\twaiter|service\t2\n"
				       "!price\tcheap\n";
	fz_setup_ok(rl_rules_load(db, fz_write("rules.txt", rules,
					       sizeof rules - 1), NULL, NULL),
		    db, "load the rules");
	rl_run_opts ro;
	rl_run_report *rep = NULL;
	rl_run_opts_init(&ro);
	fz_setup_ok(rl_run(db, &ro, &rep), db, "run");
	rl_run_report_free(rep);
	FZ_CHECK(sqlite3_prepare_v2(db->sql, "INSERT INTO evals (result) "
				    "VALUES (?1)", -1, &put, NULL) ==
		 SQLITE_OK);
	FZ_CHECK(sqlite3_prepare_v2(db->sql, "DELETE FROM evals WHERE id = "
				    "?1", -1, &del, NULL) == SQLITE_OK);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sqlite3_reset(put);
	FZ_CHECK(sqlite3_bind_text(put, 1, size ? (const char *)data : "",
				   (int)size, SQLITE_STATIC) == SQLITE_OK);
	FZ_CHECK(sqlite3_step(put) == SQLITE_DONE);
	sqlite3_int64 id = sqlite3_last_insert_rowid(db->sql);
	sqlite3_reset(put);

	rl_report_opts o;
	rl_report_opts_init(&o);
	char *page = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&page, &len);
	FZ_CHECK(out != NULL);
	int rc = rl_report_write(db, &o, out);
	FZ_CHECK(fclose(out) == 0);
	if (rc != RL_OK)
		fprintf(stderr, "fuzz: report: %s\n", rl_db_errmsg(db));
	FZ_CHECK(rc == RL_OK || rc == RL_ENOMEM);
	static const char end[] = "</html>\n";
	FZ_CHECK(rc != RL_OK || (len >= sizeof end - 1 &&
				 !strcmp(page + len - (sizeof end - 1), end)));
	free(page);

	sqlite3_reset(del);
	sqlite3_bind_int64(del, 1, id);
	FZ_CHECK(sqlite3_step(del) == SQLITE_DONE);
	sqlite3_reset(del);
	return 0;
}
