/*
 * check_export.c - the labelled table through the library: a
 * single-label row's arrays, a multi-label store's rows (labels in name
 * order, joined, the lowest confidence, filters label by label), the
 * callback's stop, and the SQLite export under failing steps: a clean
 * error, no file, the store as it was. tests/roundtrip.py reads the
 * CLI's exports back with Python's parsers.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store.h"
#include "testutil.h"

static rl_db *db;
static char db_path[512];

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
}

static void teardown(void)
{
	rl_db_close(db);
	db = NULL;
	tu_teardown();
}

static void sql(const char *text)
{
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(s, text, NULL, NULL, NULL) == SQLITE_OK,
		      "%s", sqlite3_errmsg(s));
	sqlite3_close(s);
}

/* Five reviews: r1 with hand labels ship and price (and a stale
 * assignment), r2 with three assignments, r3 none, r4 a hand label set
 * after the last run, r5 one assignment. */
static void make_store(unsigned flags)
{
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE | flags, &db),
			 RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("r.tsv",
		"id\ttext\tstars\nr1\tone\t5\nr2\ttwo\t4\nr3\tthree\t3\n"
		"r4\tfour\t2\nr5\tfive\t1\n", 0), NULL, NULL), RL_OK);
	sql("INSERT INTO labels(name) VALUES ('ship'), ('price'), "
	    "('quality');");
	if (!(flags & RL_OPEN_MULTI_LABEL)) {
		sql("INSERT INTO seeds(review_id, label_id) VALUES (1, 2), "
		    "(4, 3);"
		    "INSERT INTO assignments(review_id, label_id, confidence,"
		    " source) VALUES (1, 2, 1, 'seed'), (2, 1, 0.75, 'model'),"
		    " (5, 3, 0.5, 'rule');");
		return;
	}
	sql("INSERT INTO seeds(review_id, label_id) VALUES (1, 1), (1, 2), "
	    "(4, 3);"
	    "INSERT INTO assignments(review_id, label_id, confidence, source)"
	    " VALUES (1, 1, 1, 'seed'), (1, 2, 1, 'seed'),"
	    " (1, 3, 0.25, 'model'),"
	    " (2, 1, 0.75, 'model'), (2, 2, 0.625, 'rule'),"
	    " (2, 3, 0.5, 'propagation'), (5, 3, 0.875, 'cluster');");
}

/* Each row as one line "id:labels:confidences:sources:label:confidence:
 * source:meta", the arrays joined by ',' and confidences to 3 places. */
typedef struct lines {
	rl_buf b;
	int stop_after;		/* return 7 after this many rows (0: never) */
	int rows;
} lines;

static int on_row(void *ctx, const rl_labelled_row *r)
{
	lines *l = ctx;
	rl_buf *b = &l->b;
	ck_assert_int_eq(rl_buf_printf(b, "%s:", r->id), RL_OK);
	for (size_t i = 0; i < r->n_labels; i++)
		rl_buf_printf(b, "%s%s", i ? "," : "", r->labels[i]);
	rl_buf_putc(b, ':');
	for (size_t i = 0; i < r->n_labels; i++)
		rl_buf_printf(b, "%s%.3f", i ? "," : "", r->confidences[i]);
	rl_buf_putc(b, ':');
	for (size_t i = 0; i < r->n_labels; i++)
		rl_buf_printf(b, "%s%s", i ? "," : "", r->sources[i]);
	rl_buf_printf(b, ":%s:%.3f:%s:%s\n", r->label ? r->label : "-",
		      r->confidence, r->source ? r->source : "-", r->meta);
	/* The joined fields are the arrays'. */
	ck_assert_int_eq(r->label == NULL, r->n_labels == 0);
	ck_assert_int_eq(r->source == NULL, r->n_labels == 0);
	return ++l->rows == l->stop_after ? 7 : 0;
}

static char *rows(const rl_export_filter *f)
{
	lines l = { { 0 }, 0, 0 };
	ck_assert_int_eq(rl_labelled_rows(db, f, on_row, &l), RL_OK);
	return l.b.data ? l.b.data : strdup("");
}

START_TEST(single_label_arrays)
{
	/* One label per review, the arrays pointing at it. */
	make_store(0);
	char *got = rows(NULL);
	ck_assert_str_eq(got,
		"r1:price:1.000:seed:price:1.000:seed:{\"stars\":\"5\"}\n"
		"r2:ship:0.750:model:ship:0.750:model:{\"stars\":\"4\"}\n"
		"r3::::-:0.000:-:{\"stars\":\"3\"}\n"
		"r4:quality:1.000:seed:quality:1.000:seed:{\"stars\":\"2\"}\n"
		"r5:quality:0.500:rule:quality:0.500:rule:{\"stars\":\"1\"}\n");
	free(got);
	rl_export_filter f = { "quality", NULL, 0.6 };
	got = rows(&f);
	ck_assert_str_eq(got, "r4:quality:1.000:seed:quality:1.000:seed:"
			 "{\"stars\":\"2\"}\n");
	free(got);
}
END_TEST

START_TEST(multi_label_rows)
{
	make_store(RL_OPEN_MULTI_LABEL);
	/* Hand labels win (r1's stale quality is not its), in name order;
	 * joined, with the lowest confidence. */
	char *got = rows(NULL);
	ck_assert_str_eq(got,
		"r1:price,ship:1.000,1.000:seed,seed:price|ship:1.000:"
		"seed|seed:{\"stars\":\"5\"}\n"
		"r2:price,quality,ship:0.625,0.500,0.750:rule,propagation,"
		"model:price|quality|ship:0.500:rule|propagation|model:"
		"{\"stars\":\"4\"}\n"
		"r3::::-:0.000:-:{\"stars\":\"3\"}\n"
		"r4:quality:1.000:seed:quality:1.000:seed:{\"stars\":\"2\"}\n"
		"r5:quality:0.875:cluster:quality:0.875:cluster:"
		"{\"stars\":\"1\"}\n");
	free(got);
	/* Source and confidence keep labels; label keeps reviews. */
	rl_export_filter f = { NULL, NULL, 0.6 };
	got = rows(&f);
	ck_assert_str_eq(got,
		"r1:price,ship:1.000,1.000:seed,seed:price|ship:1.000:"
		"seed|seed:{\"stars\":\"5\"}\n"
		"r2:price,ship:0.625,0.750:rule,model:price|ship:0.625:"
		"rule|model:{\"stars\":\"4\"}\n"
		"r4:quality:1.000:seed:quality:1.000:seed:{\"stars\":\"2\"}\n"
		"r5:quality:0.875:cluster:quality:0.875:cluster:"
		"{\"stars\":\"1\"}\n");
	free(got);
	f = (rl_export_filter){ "quality", NULL, -1 };
	got = rows(&f);
	ck_assert_str_eq(got,
		"r2:price,quality,ship:0.625,0.500,0.750:rule,propagation,"
		"model:price|quality|ship:0.500:rule|propagation|model:"
		"{\"stars\":\"4\"}\n"
		"r4:quality:1.000:seed:quality:1.000:seed:{\"stars\":\"2\"}\n"
		"r5:quality:0.875:cluster:quality:0.875:cluster:"
		"{\"stars\":\"1\"}\n");
	free(got);
	/* r2 carries quality, but not at 0.6: it is dropped. */
	f = (rl_export_filter){ "quality", NULL, 0.6 };
	got = rows(&f);
	ck_assert_str_eq(got,
		"r4:quality:1.000:seed:quality:1.000:seed:{\"stars\":\"2\"}\n"
		"r5:quality:0.875:cluster:quality:0.875:cluster:"
		"{\"stars\":\"1\"}\n");
	free(got);
	f = (rl_export_filter){ "price", "model", -1 };
	got = rows(&f);
	ck_assert_str_eq(got, "");
	free(got);
	f = (rl_export_filter){ NULL, "model", -1 };
	got = rows(&f);
	ck_assert_str_eq(got, "r2:ship:0.750:model:ship:0.750:model:"
			 "{\"stars\":\"4\"}\n");
	free(got);
	/* The callback's status stops the rows and comes back. */
	lines l = { { 0 }, 2, 0 };
	ck_assert_int_eq(rl_labelled_rows(db, NULL, on_row, &l), 7);
	ck_assert_int_eq(l.rows, 2);
	rl_buf_free(&l.b);
}
END_TEST

START_TEST(multi_label_sqlite_faults)
{
	/* Each SQLite step failing in turn: an error naming the export's
	 * file, no file left, the store as it was; then it succeeds. */
	make_store(RL_OPEN_MULTI_LABEL);
	char *before = tu_digest(db_path);
	const char *out = tu_path("x.sqlite");
	int n;
	for (n = 1; n < 500; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_export_sqlite(db, NULL, out);
		rl_store_fail_step(db, 0);
		if (rc == RL_OK)
			break;
		ck_assert_int_lt(rc, 0);
		ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "x.sqlite"));
		ck_assert_int_ne(access(out, F_OK), 0);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 500);
	free(before);
	ck_assert_int_eq(tu_int(out, "SELECT count(*) FROM labelled_reviews"),
			 5);
	ck_assert_int_eq(tu_int(out, "SELECT count(*) FROM review_labels"),
			 7);
	/* A file in the way is never overwritten. */
	ck_assert_int_eq(rl_export_sqlite(db, NULL, out), RL_EEXIST);
	ck_assert_int_eq(tu_int(out, "SELECT count(*) FROM review_labels"),
			 7);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, single_label_arrays);
	tcase_add_test(tc, multi_label_rows);
	tcase_add_test(tc, multi_label_sqlite_faults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
