/*
 * check_vacuum.c - the store's size on disk (rl_db_size_get,
 * rl_table_sizes) and rl_vacuum: a plain vacuum keeps every row; with
 * derived it drops what the next rl_run makes again, and that run makes
 * it again exactly, labelling every review as before; a read-only
 * handle is refused; a failure drops all of it or nothing.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "store.h"
#include "testutil.h"

static char db_path[512];
static rl_db *db;

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

/* The bundled example (300 reviews, 20 hand labels, three rules), run
 * with small settings. */
static void load_and_run(rl_db *d)
{
	char p[512];
	snprintf(p, sizeof p, "%s/reviews.tsv", RL_EXAMPLES_DIR);
	ck_assert_int_eq(rl_import_file(d, p, NULL, NULL), RL_OK);
	snprintf(p, sizeof p, "%s/seeds.tsv", RL_EXAMPLES_DIR);
	ck_assert_int_eq(rl_seed_file(d, p, NULL), RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	snprintf(p, sizeof p, "%s/rules.txt", RL_EXAMPLES_DIR);
	ck_assert_int_eq(rl_rules_load(d, p, &ro, NULL), RL_OK);
	rl_run_opts o;
	rl_run_opts_init(&o);
	ck_assert_int_eq(rl_run_opts_set(&o, "dim=8"), RL_OK);
	ck_assert_int_eq(rl_run_opts_set(&o, "threads=1"), RL_OK);
	rl_run_report *r = NULL;
	ck_assert_int_eq(rl_run(d, &o, &r), RL_OK);
	rl_run_report_free(r);
}

/* The rows `sql` selects from the store at path, one line each, blobs in
 * hex. Returns a malloc'd string. */
static char *rows(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s, sql, -1, &st, NULL),
			 SQLITE_OK);
	size_t cap = 1 << 12, len = 0;
	char *out = malloc(cap);
	out[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			int blob = sqlite3_column_type(st, c) == SQLITE_BLOB;
			const unsigned char *v = blob
				? sqlite3_column_blob(st, c)
				: sqlite3_column_text(st, c);
			size_t n = (size_t)sqlite3_column_bytes(st, c);
			while (len + 2 * n + 8 > cap)
				out = realloc(out, cap *= 2);
			for (size_t b = 0; v && b < n; b++)
				len += blob ? (size_t)sprintf(out + len, "%02x",
							      v[b])
					    : (size_t)(out[len] = (char)v[b],
						       1);
			out[len++] = '|';
		}
		out[len++] = '\n';
		out[len] = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	return out;
}

/* The tables vacuum --derived drops, the graph it keeps, and what the
 * labelling made. */
static const char *const derived_sql =
	"SELECT 't', review_id, n_tokens, tokens, NULL, NULL FROM "
	"review_tokens UNION ALL "
	"SELECT 'v', review_id, kind, dim, data, NULL FROM vectors UNION ALL "
	"SELECT 'h', rule_id, review_id, start, end, NULL FROM rule_hits "
	"UNION ALL SELECT 's', review_id, NULL, NULL, NULL, NULL FROM "
	"rule_scans ORDER BY 1, 2, 3, 4";
static const char *const graph_sql =
	"SELECT review_id, rank, neighbour_id, similarity FROM neighbours "
	"ORDER BY 1, 2";
static const char *const labels_sql =
	"SELECT review_id, label_id, confidence, margin, source, evidence "
	"FROM assignments ORDER BY 1, 2";
static const char *const settings_sql =
	"SELECT * FROM settings ORDER BY 1";

static int on_table(void *ctx, const rl_table_size *t)
{
	uint64_t *c = ctx;	/* [0] bytes, [1] pages, [2] last, [3] seen */
	ck_assert_uint_gt(t->pages, 0);
	ck_assert_uint_eq(t->bytes % t->pages, 0);
	if (c[3])
		ck_assert_uint_le(t->bytes, c[2]);	/* biggest first */
	c[0] += t->bytes;
	c[1] += t->pages;
	c[2] = t->bytes;
	c[3]++;
	ck_assert_int_eq(t->derived, !strcmp(t->name, "vectors") ||
			 !strcmp(t->name, "review_tokens") ||
			 !strcmp(t->name, "rule_hits") ||
			 !strcmp(t->name, "rule_scans"));
	return 0;
}

/* The sizes agree with the file system and with each other: the tables'
 * pages are every page but the free ones. */
START_TEST(size_sane)
{
	load_and_run(db);
	rl_db_size z;
	ck_assert_int_eq(rl_db_size_get(db, &z), RL_OK);
	ck_assert_uint_ge(z.page_size, 512);
	ck_assert_uint_gt(z.page_count, 10);
	struct stat sb;
	ck_assert_int_eq(stat(db_path, &sb), 0);
	ck_assert_uint_eq(z.file_bytes, (uint64_t)sb.st_size);
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	ck_assert_uint_eq(z.wal_bytes, stat(wal, &sb) == 0 ?
			  (uint64_t)sb.st_size : 0);
	uint64_t c[4] = { 0 };
	int rc = rl_table_sizes(db, on_table, c);
	if (rc == RL_ENOTFOUND) {
		/* An SQLite without dbstat: said, not estimated. */
		ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "dbstat"));
		ck_assert_uint_eq(c[3], 0);
		return;
	}
	ck_assert_int_eq(rc, RL_OK);
	ck_assert_uint_eq(c[1], z.page_count - z.free_pages);
	ck_assert_uint_eq(c[0], c[1] * z.page_size);
	/* The reviews table, its schema and the derived ones at least. */
	ck_assert_uint_ge(c[3], 10);
}
END_TEST

/* A plain vacuum keeps every row and leaves no free page or -wal. */
START_TEST(vacuum_keeps_rows)
{
	load_and_run(db);
	char *before = tu_digest(db_path);
	rl_vacuum_stats st;
	ck_assert_int_eq(rl_vacuum(db, 0, &st), RL_OK);
	ck_assert_uint_eq(st.rows_dropped, 0);
	ck_assert_uint_gt(st.before.file_bytes, 0);
	ck_assert_uint_eq(st.after.free_pages, 0);
	ck_assert_uint_eq(st.after.wal_bytes, 0);
	ck_assert_uint_eq(st.after.file_bytes,
			  st.after.page_count * st.after.page_size);
	ck_assert_uint_le(st.after.page_count, st.before.page_count);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(rl_vacuum(db, 0, NULL), RL_OK);
}
END_TEST

static int on_row(void *ctx, const rl_labelled_row *row)
{
	uint64_t *n = ctx;
	*n += row->label != NULL;
	return 0;
}

/* --derived, then run: the derived tables come back byte for byte, the
 * graph and the settings stay as they were, the run labels nothing
 * again, and every review has the label, confidence, margin, source and
 * evidence it had. */
START_TEST(derived_then_run_same)
{
	load_and_run(db);
	char *d0 = rows(db_path, derived_sql), *l0 = rows(db_path, labels_sql);
	char *s0 = rows(db_path, settings_sql), *g0 = rows(db_path, graph_sql);
	ck_assert_uint_gt(strlen(g0), 1000);
	int models = tu_int(db_path, "SELECT count(*) FROM models");
	ck_assert_uint_gt(strlen(d0), 1000);
	rl_vacuum_stats st;
	ck_assert_int_eq(rl_vacuum(db, 1, &st), RL_OK);
	ck_assert_uint_gt(st.rows_dropped, 300 * 3);
	ck_assert_uint_lt(st.after.page_count, st.before.page_count);
	char *d1 = rows(db_path, derived_sql), *l1 = rows(db_path, labels_sql);
	char *g1 = rows(db_path, graph_sql);
	ck_assert_str_eq(d1, "");
	ck_assert_str_eq(g1, g0);
	free(g1);
	/* The labels stay, so export works before the next run. */
	ck_assert_str_eq(l1, l0);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM runs WHERE "
				"stage = 'vacuum' AND status = 'ok'"), 1);
	uint64_t labelled = 0;
	ck_assert_int_eq(rl_labelled_rows(db, NULL, on_row, &labelled),
			 RL_OK);
	ck_assert_uint_eq(labelled, 300);
	free(d1);
	free(l1);

	rl_run_opts o;
	rl_run_opts_init(&o);
	ck_assert_int_eq(rl_run_opts_set(&o, "dim=8"), RL_OK);
	ck_assert_int_eq(rl_run_opts_set(&o, "threads=1"), RL_OK);
	rl_run_report *r = NULL;
	ck_assert_int_eq(rl_run(db, &o, &r), RL_OK);
	ck_assert_uint_eq(r->tokenize.reviews, 300);
	/* The labels were current: nothing chosen or labelled again. */
	ck_assert(r->up_to_date);
	ck_assert(!r->ran[RL_STEP_LABEL]);
	ck_assert(!r->ran[RL_STEP_SETTINGS]);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM models"),
			 models);
	rl_run_report_free(r);
	d1 = rows(db_path, derived_sql);
	l1 = rows(db_path, labels_sql);
	char *s1 = rows(db_path, settings_sql);
	ck_assert_str_eq(d1, d0);
	ck_assert_str_eq(l1, l0);
	ck_assert_str_eq(s1, s0);
	g1 = rows(db_path, graph_sql);
	ck_assert_str_eq(g1, g0);
	free(g0);
	free(g1);
	free(d0);
	free(d1);
	free(l0);
	free(l1);
	free(s0);
	free(s1);
}
END_TEST

/* A read-only handle is refused and nothing changes; a missing store is
 * not made. */
START_TEST(vacuum_refused)
{
	load_and_run(db);
	rl_db_close(db);
	db = NULL;
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_READONLY, &db), RL_OK);
	ck_assert_int_eq(rl_vacuum(db, 1, NULL), RL_EINVAL);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "read-only"));
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), db_path));
	ck_assert_int_eq(rl_vacuum(db, 0, NULL), RL_EINVAL);
	rl_db_close(db);
	db = NULL;
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	const char *none = tu_path("none.db");
	ck_assert_int_eq(rl_db_open(none, 0, &db), RL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "none.db"));
	ck_assert_int_ne(access(none, F_OK), 0);
}
END_TEST

/* Each SQLite step of vacuum --derived made to fail in turn: a clean
 * error, and the derived tables either all there or all gone, the rest
 * untouched; then the run after gives the same labels. */
START_TEST(vacuum_injected_failures)
{
	load_and_run(db);
	char *d0 = rows(db_path, derived_sql), *l0 = rows(db_path, labels_sql);
	char *k0 = rows(db_path, "SELECT count(*) FROM reviews UNION ALL "
			"SELECT count(*) FROM models UNION ALL SELECT "
			"count(*) FROM label_scores UNION ALL SELECT "
			"count(*) FROM predictions");
	int n, failures = 0;
	for (n = 1; n < 100; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_vacuum(db, 1, NULL);
		rl_store_fail_step(db, 0);
		char *d = rows(db_path, derived_sql);
		char *l = rows(db_path, labels_sql);
		char *k = rows(db_path, "SELECT count(*) FROM reviews UNION "
			       "ALL SELECT count(*) FROM models UNION ALL "
			       "SELECT count(*) FROM label_scores UNION ALL "
			       "SELECT count(*) FROM predictions");
		ck_assert(!strcmp(d, d0) || !*d);
		ck_assert_str_eq(l, l0);
		ck_assert_str_eq(k, k0);
		int gone = !*d;
		free(d);
		free(l);
		free(k);
		if (rc == RL_OK) {
			ck_assert(gone);
			break;
		}
		failures++;
		ck_assert_int_eq(rc, RL_EDB);
		ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db),
					     "injected failure"));
		if (gone)
			break;	/* dropped, the VACUUM after failed */
	}
	ck_assert_int_gt(failures, 5);
	free(d0);
	free(l0);
	free(k0);
}
END_TEST

/* The number after `key` in the text s. */
static double json_num(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	ck_assert_msg(p != NULL, "%s not in %s", key, s);
	return strtod(p + strlen(key), NULL);
}

/* The CLI: stats gives the size, its bytes per review the quotient;
 * vacuum prints before and after; a missing store, a bad option and a
 * store the user cannot write are errors that change nothing. */
START_TEST(cli_stats_and_vacuum)
{
	load_and_run(db);
	rl_db_close(db);
	db = NULL;
	static char out[1 << 16], err[4096];
	char *stats[] = { RL_REVLAB_EXE, "stats", db_path, "--json", NULL };
	ck_assert_int_eq(tu_exec(stats, NULL, out, sizeof out, err,
				 sizeof err), 0);
	double bytes = json_num(out, "\"size\":{\"bytes\":");
	double file = json_num(out, "\"file_bytes\":");
	double wal = json_num(out, "\"wal_bytes\":");
	double per = json_num(out, "\"bytes_per_review\":");
	ck_assert(bytes > 0 && bytes == file + wal);
	struct stat sb;
	ck_assert_int_eq(stat(db_path, &sb), 0);
	ck_assert(file == (double)sb.st_size);
	ck_assert(fabs(per - bytes / 300) <= 0.05);
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"vectors\","));
	char *text[] = { RL_REVLAB_EXE, "stats", db_path, NULL };
	ck_assert_int_eq(tu_exec(text, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(out, "size on disk "));
	ck_assert_ptr_nonnull(strstr(out, " bytes per review\n"));

	char *vac[] = { RL_REVLAB_EXE, "vacuum", db_path, "--derived", NULL };
	ck_assert_int_eq(tu_exec(vac, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(out, "dropped "));
	ck_assert_ptr_nonnull(strstr(out, "\nbefore "));
	ck_assert_ptr_nonnull(strstr(out, "\nafter  "));
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM vectors"), 0);

	char *before = tu_digest(db_path);
	char *bad[] = { RL_REVLAB_EXE, "vacuum", db_path, "--all", NULL };
	ck_assert_int_eq(tu_exec(bad, NULL, out, sizeof out, err,
				 sizeof err), 2);
	ck_assert_ptr_nonnull(strstr(err, "--all"));
	const char *none = tu_path("none.db");
	char *miss[] = { RL_REVLAB_EXE, "vacuum", (char *)none, NULL };
	ck_assert_int_eq(tu_exec(miss, NULL, out, sizeof out, err,
				 sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "none.db: no such store"));
	ck_assert_int_ne(access(none, F_OK), 0);
	/* A store whose file the user cannot write (root writes anyway). */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(db_path, 0444), 0);
		char *v2[] = { RL_REVLAB_EXE, "vacuum", db_path, NULL };
		ck_assert_int_ne(tu_exec(v2, NULL, out, sizeof out, err,
					 sizeof err), 0);
		ck_assert_ptr_nonnull(strstr(err, db_path));
		ck_assert_int_eq(chmod(db_path, 0644), 0);
	}
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

static Suite *vacuum_suite(void)
{
	Suite *s = suite_create("vacuum");
	TCase *tc = tcase_create("vacuum");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, size_sane);
	tcase_add_test(tc, vacuum_keeps_rows);
	tcase_add_test(tc, derived_then_run_same);
	tcase_add_test(tc, vacuum_refused);
	tcase_add_test(tc, vacuum_injected_failures);
	tcase_add_test(tc, cli_stats_and_vacuum);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(vacuum_suite());
}
