/*
 * check_rules.c - labels, seeds and keyword rules: rules files good and
 * bad (each rejected file leaving the store as it was), !label votes,
 * weights, the catastrophic pattern, change-one-rule, coverage against an
 * independent regex engine, the quality report computed by hand, seeds
 * files and their errors.
 */
#include <check.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store.h"
#include "testutil.h"

static rl_db *db;
static char db_path[512];

static const char *corpus =
	"id\ttext\n"
	"r1\tGreat food, terrible service\n"
	"r2\tThe waiter was rude and the food cold\n"
	"r3\tCheap prices, good value\n"
	"r4\tLovely decor and quiet music\n"
	"r5\tFOOD was great, price was fair\n"
	"r6\tNothing to say\n";

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
	const char *labels[] = { "food", "service", "price", "ambience" };
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rl_label_add(db, labels[i]), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

static int load(const char *text, rl_rules_stats *st)
{
	return rl_rules_load(db, tu_write("rules.txt", text, 0), NULL, st);
}

/* Loading `text` fails with a message starting "rules.txt:where" and
 * containing `what`, and the store is unchanged. */
static void expect_reject(const char *text, const char *where,
			  const char *what)
{
	char *before = tu_digest(db_path);
	ck_assert_int_lt(load(text, NULL), 0);
	const char *msg = rl_db_errmsg(db);
	char want[600];
	snprintf(want, sizeof want, "%s:%s", tu_path("rules.txt"), where);
	ck_assert_msg(!strncmp(msg, want, strlen(want)),
		      "'%s' does not start with '%s'", msg, want);
	ck_assert_msg(strstr(msg, what) != NULL, "'%s' lacks '%s'", msg,
		      what);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}

static long long hits_of_line(int line)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM rule_hits h JOIN "
		 "rules r ON r.id = h.rule_id WHERE r.line = %d", line);
	return tu_int(db_path, sql);
}

START_TEST(load_and_report)
{
	rl_rules_stats st;
	ck_assert_int_eq(load("# a comment\n\n"
			      "food\t\\bfood\\b\n"
			      "service\t\\b(waiter|service)\\b\t2.5\n"
			      "!food\tdecor|music\n"
			      "price\t(?-i)\\bprice\\b\n", &st), RL_OK);
	ck_assert_uint_eq(st.rules, 4);
	ck_assert_uint_eq(st.matched, 4);
	/* case-insensitive by default; (?-i) turns it off */
	ck_assert_int_eq(hits_of_line(3), 3);	/* r1 r2 r5 */
	ck_assert_int_eq(hits_of_line(4), 2);	/* r1 r2 */
	ck_assert_int_eq(hits_of_line(5), 1);	/* r4 */
	ck_assert_int_eq(hits_of_line(6), 1);	/* r5, lower case */
	ck_assert_int_eq(tu_int(db_path, "SELECT weight = 2.5 FROM rules "
				"WHERE line = 4"), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT negate FROM rules "
				"WHERE line = 5"), 1);
	/* the first match's byte range is kept */
	ck_assert_int_eq(tu_int(db_path, "SELECT h.start FROM rule_hits h "
				"JOIN rules r ON r.id = h.rule_id JOIN "
				"reviews v ON v.id = h.review_id WHERE "
				"r.line = 3 AND v.ext_id = 'r1'"), 6);

	/* seeds: r1 food, r2 service, r4 ambience */
	ck_assert_int_eq(rl_seed_set(db, "r1", "food"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r2", "service"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r4", "ambience"), RL_OK);
	rl_rules_report *r;
	ck_assert_int_eq(rl_rules_report_get(db, &r), RL_OK);
	ck_assert_uint_eq(r->n, 4);
	ck_assert_uint_eq(r->reviews, 6);
	ck_assert_uint_eq(r->covered, 4);	/* r1 r2 r4 r5 */
	/* food: r1 r2 r5; service: r1 r2 -> overlap 2, conflict 2 */
	ck_assert_uint_eq(r->rules[0].hits, 3);
	ck_assert_uint_eq(r->rules[0].overlaps, 3);	/* r5 with price */
	ck_assert_uint_eq(r->rules[0].conflicts, 3);
	ck_assert_uint_eq(r->overlap[0 * 4 + 1], 2);
	ck_assert_uint_eq(r->conflict[0 * 4 + 1], 2);
	ck_assert_uint_eq(r->conflicted, 3);
	/* food on seeds: r1 right, r2 wrong */
	ck_assert_uint_eq(r->rules[0].seed_hits, 2);
	ck_assert_uint_eq(r->rules[0].seed_correct, 1);
	ck_assert_double_eq_tol(r->rules[0].precision, 0.5, 1e-9);
	ck_assert(r->rules[0].ci_low < 0.5 && r->rules[0].ci_high > 0.5);
	/* !food is right on r4 (ambience) */
	ck_assert_uint_eq(r->rules[2].seed_correct, 1);
	ck_assert_double_eq_tol(r->rules[2].precision, 1, 1e-9);
	/* price matches no seed */
	ck_assert(r->rules[3].precision < 0);
	/* !food and food never disagree here: they share no review */
	ck_assert_uint_eq(r->conflict[0 * 4 + 2], 0);
	rl_rules_report_free(r);
	rl_rules_report_free(NULL);
}
END_TEST

static int count_hit(void *ctx, const rl_hit_info *h)
{
	int *n = ctx;
	ck_assert_ptr_nonnull(h->text);
	ck_assert_uint_le(h->end, strlen(h->text));
	(*n)++;
	return 0;
}

START_TEST(show_wrong)
{
	ck_assert_int_eq(load("food\tfood\n", NULL), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r1", "food"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r2", "service"), RL_OK);
	int n = 0;
	ck_assert_int_eq(rl_rule_hits(db, 1, 0, count_hit, &n), RL_OK);
	ck_assert_int_eq(n, 3);
	n = 0;
	ck_assert_int_eq(rl_rule_hits(db, 1, 1, count_hit, &n), RL_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rl_rule_hits(db, 9, 0, count_hit, &n),
			 RL_ENOTFOUND);
}
END_TEST

START_TEST(bad_files)
{
	ck_assert_int_eq(load("food\tfood\n", NULL), RL_OK);
	expect_reject("food\tfood\nservice waiter\n", "2:1:", "expected");
	/* PCRE2's offset gives the column: "(" at column 6 + 5. */
	expect_reject("price\tcheap(er\n", "1:", "missing closing");
	expect_reject("price\tok\nfood\t[a-\n", "2:", "");
	expect_reject("food\tfood\tlots\n", "1:11:", "bad weight");
	expect_reject("food\tfood\t-1\n", "1:11:", "bad weight");
	expect_reject("food\tfood\t1\textra\n", "1:13:", "fourth column");
	expect_reject("\tfood\n", "1:1:", "empty label");
	expect_reject("!\tfood\n", "1:1:", "empty label");
	expect_reject("food\t\n", "1:6:", "empty pattern");
	expect_reject("f\xc3ood\tx\n", "1:2:", "invalid UTF-8");
	expect_reject("flavour\tfood\n", "1:1:", "unknown label 'flavour'");
	expect_reject("food\tfood\n!flavour\tx\n", "2:2:", "unknown label");
	/* The earlier rule set is still there. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rules"), 1);
	ck_assert_int_eq(hits_of_line(1), 3);
	/* --create-labels makes new labels instead. */
	rl_rules_opts o = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("new.txt",
				       "flavour\ttaste|flavou?r\n", 0), &o,
				       NULL), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM labels "
				"WHERE name = 'flavour'"), 1);
	ck_assert_int_eq(rl_rules_load(db, tu_path("missing.txt"), NULL,
				       NULL), RL_EIO);
}
END_TEST

START_TEST(column_from_pcre2)
{
	char *before = tu_digest(db_path);
	ck_assert_int_lt(load("price\tcheap(er\n", NULL), 0);
	/* pattern starts at column 7; PCRE2 reports the end, offset 8 */
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), ":1:15: "));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(catastrophic_pattern)
{
	rl_buf t = { 0 };
	rl_buf_append(&t, "id\ttext\nslow\t", 13);
	for (int i = 0; i < 5000; i++)
		rl_buf_putc(&t, 'a');
	rl_buf_append(&t, "!\n", 2);
	ck_assert_int_eq(rl_import_file(db, tu_write("slow.tsv", t.data, 0),
					NULL, NULL), RL_OK);
	rl_buf_free(&t);
	ck_assert_int_eq(load("food\tfood\n", NULL), RL_OK);
	char *before = tu_digest(db_path);
	ck_assert_int_lt(load("food\tfood\nfood\t(a+)+$\n", NULL), 0);
	const char *msg = rl_db_errmsg(db);
	ck_assert_msg(strstr(msg, ":2: rule fails on review 'slow'") &&
		      strstr(msg, "limit"), "message: %s", msg);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(catastrophic_on_apply)
{
	/* The pattern loads fine; the long review comes later, and the
	 * error from `rules apply` still names the rules file and line. */
	ck_assert_int_eq(load("food\tfood\nfood\t(a+)+$\n", NULL), RL_OK);
	rl_buf t = { 0 };
	rl_buf_append(&t, "id\ttext\nslow\t", 13);
	for (int i = 0; i < 5000; i++)
		rl_buf_putc(&t, 'a');
	rl_buf_append(&t, "!\n", 2);
	ck_assert_int_eq(rl_import_file(db, tu_write("slow.tsv", t.data, 0),
					NULL, NULL), RL_OK);
	rl_buf_free(&t);
	char *before = tu_digest(db_path);
	ck_assert_int_lt(rl_rules_apply(db, NULL, NULL), 0);
	char want[600];
	snprintf(want, sizeof want, "%s:2: rule fails on review 'slow'",
		 tu_path("rules.txt"));
	ck_assert_msg(strstr(rl_db_errmsg(db), want) != NULL, "%s",
		      rl_db_errmsg(db));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* A long review of n a's, then `tail`. */
static void long_review(const char *id, size_t n, const char *tail)
{
	rl_buf t = { 0 };
	rl_buf_append(&t, "id\ttext\n", 8);
	rl_buf_append(&t, id, strlen(id));
	rl_buf_putc(&t, '\t');
	for (size_t i = 0; i < n; i++)
		rl_buf_putc(&t, 'a');
	rl_buf_append(&t, tail, strlen(tail));
	rl_buf_putc(&t, '\n');
	ck_assert_int_eq(rl_import_file(db, tu_write("long.tsv", t.data, 0),
					NULL, NULL), RL_OK);
	rl_buf_free(&t);
}

/* PCRE2's limits count backtracking per start position: a pattern that
 * works through the rest of the text at every position of a long review
 * stays under them. The work of the whole match is bounded instead, and
 * the rule and review that hit the bound are named. */
START_TEST(work_bound_on_long_review)
{
	long_review("huge", 900000, " price");
	ck_assert_int_eq(load("food\tfood\n", NULL), RL_OK);
	char *before = tu_digest(db_path);
	/* Before the bound: minutes of CPU for this one rule. */
	ck_assert_int_lt(load("food\tfood\nfood\t(a{1000})+b\n", NULL), 0);
	const char *msg = rl_db_errmsg(db);
	ck_assert_msg(strstr(msg, ":2: rule fails on review 'huge'") &&
		      strstr(msg, "too much work"), "message: %s", msg);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Ordinary rules on the same review match, at the same place as
	 * on a short one. */
	ck_assert_int_eq(load("price\t\\bprice\\b\nfood\ta{1000}\n", NULL),
			 RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT h.start FROM rule_hits h "
				"JOIN reviews v ON v.id = h.review_id JOIN "
				"rules r ON r.id = h.rule_id WHERE v.ext_id = "
				"'huge' AND r.line = 1"), 900001);
	ck_assert_int_eq(tu_int(db_path, "SELECT h.end FROM rule_hits h "
				"JOIN reviews v ON v.id = h.review_id JOIN "
				"rules r ON r.id = h.rule_id WHERE v.ext_id = "
				"'huge' AND r.line = 2"), 1000);
	ck_assert_int_eq(hits_of_line(1), 2);	/* r5 and huge */
}
END_TEST

START_TEST(change_one_rule)
{
	rl_rules_stats st;
	ck_assert_int_eq(load("food\tfood\nservice\twaiter\nprice\tprice\n",
			      &st), RL_OK);
	long long food_id = tu_int(db_path, "SELECT id FROM rules WHERE "
				   "pattern = 'food'");
	ck_assert_int_eq(load("food\tfood\t3\nservice\twaiter|service\n"
			      "price\tprice\n", &st), RL_OK);
	ck_assert_uint_eq(st.rules, 3);
	ck_assert_uint_eq(st.kept, 2);
	ck_assert_uint_eq(st.matched, 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT id FROM rules WHERE "
				"pattern = 'food'"), food_id);
	ck_assert_int_eq(tu_int(db_path, "SELECT weight FROM rules WHERE "
				"pattern = 'food'"), 3);
	ck_assert_int_eq(hits_of_line(2), 2);	/* r1 r2 */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rules"), 3);
	/* Reviews imported later are matched by apply, and only they:
	 * the first load matched every rule against every review, and the
	 * second every new rule. */
	ck_assert_int_eq(rl_import_file(db, tu_write("more.tsv", "id\ttext\n"
						   "r7\tfood and service\n",
						   0), NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 1);
	ck_assert_int_eq(hits_of_line(1), 4);
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 0);
	/* A review whose text is replaced is matched again. */
	rl_import_opts io;
	rl_import_opts_init(&io);
	io.existing = RL_EXISTING_REPLACE;
	ck_assert_int_eq(rl_import_file(db, tu_write("rep.tsv", "id\ttext\n"
						   "r6\tthe food!\n", 0),
					&io, NULL), RL_OK);
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 1);
	ck_assert_int_eq(hits_of_line(1), 5);
}
END_TEST

/* A load that matches the whole rule set leaves nothing to apply; one
 * that keeps rules leaves the reviews imported since the last apply,
 * which have not met the kept rules, and apply matches them against
 * every rule. */
START_TEST(load_marks_reviews_scanned)
{
	rl_rules_stats st;
	ck_assert_int_eq(load("food\tfood\n", &st), RL_OK);
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 0);
	ck_assert_int_eq(rl_import_file(db, tu_write("new.tsv", "id\ttext\n"
						   "n1\tfood, waiter\n", 0),
					NULL, NULL), RL_OK);
	long long food = hits_of_line(1);
	ck_assert_int_eq(load("food\tfood\nservice\twaiter\n", &st),
			 RL_OK);
	ck_assert_uint_eq(st.kept, 1);
	ck_assert_int_eq(hits_of_line(2), 2);	/* r2 and n1 */
	ck_assert_int_eq(hits_of_line(1), food);	/* n1 not yet */
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 1);
	ck_assert_int_eq(hits_of_line(1), food + 1);
	ck_assert_int_eq(hits_of_line(2), 2);
	ck_assert_int_eq(rl_rules_apply(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 0);
}
END_TEST

/* Coverage equals what POSIX regex (glibc's engine, not PCRE2) counts on
 * the same texts, for plain ASCII patterns. */
START_TEST(coverage_matches_posix)
{
	char path[600];
	snprintf(path, sizeof path, "%s/../../examples/reviews.tsv",
		 RL_TEST_DATA_DIR);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(tu_path("ex.db"), RL_OPEN_CREATE, &db),
			 RL_OK);
	ck_assert_int_eq(rl_import_file(db, path, NULL, NULL), RL_OK);
	const char *pats[] = { "great|good", "(not|never) (good|worth)",
			       "[0-9]+", "wast(e|ed)", "the movie" };
	rl_buf rules = { 0 };
	for (size_t i = 0; i < 5; i++) {
		rl_buf_append(&rules, "x\t", 2);
		rl_buf_append(&rules, pats[i], strlen(pats[i]));
		rl_buf_putc(&rules, '\n');
	}
	rl_rules_opts o = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("p.txt", rules.data, 0),
				       &o, NULL), RL_OK);
	rl_buf_free(&rules);
	FILE *f = fopen(path, "r");
	char line[4096];
	long want[5] = { 0 };
	regex_t re[5];
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(regcomp(&re[i], pats[i], REG_EXTENDED |
					 REG_ICASE | REG_NOSUB), 0);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));	/* header */
	while (fgets(line, sizeof line, f)) {
		char *text = strchr(strchr(line, '\t') + 1, '\t') + 1;
		text[strcspn(text, "\n")] = 0;
		for (int i = 0; i < 5; i++)
			want[i] += regexec(&re[i], text, 0, NULL, 0) == 0;
	}
	fclose(f);
	const char *ex = tu_path("ex.db");
	for (int i = 0; i < 5; i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM rule_hits h "
			 "JOIN rules r ON r.id = h.rule_id WHERE r.line = %d",
			 i + 1);
		ck_assert_msg(tu_int(ex, sql) == want[i], "%s: %lld vs %ld",
			      pats[i], tu_int(ex, sql), want[i]);
		ck_assert_int_gt(want[i], 0);
		regfree(&re[i]);
	}
}
END_TEST

/* ---- seeds ---- */

START_TEST(seed_files)
{
	rl_seed_stats st;
	ck_assert_int_eq(rl_seed_file(db, tu_write("s.tsv", "id\tlabel\n"
						 "r1\tfood\nr3\tvalue\n", 0),
				      &st), RL_OK);
	ck_assert_uint_eq(st.set, 2);
	ck_assert_uint_eq(st.labels_created, 1);
	ck_assert_int_eq(rl_seed_file(db, tu_write("s.csv", "r2,service\n",
						 0), &st), RL_OK);
	char *before = tu_digest(db_path);
	const char *bad[] = { "r4\tfood\nnope\tfood\n", "r4\tfood\nr5\n",
			      "r4\t!food\n", "r4\tfood\tx\n", "r4\t\n" };
	const char *where[] = { ":2: no review with id 'nope'", ":2: expected",
				":1: bad label", ":1: expected", ":1: bad label" };
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(rl_seed_file(db, tu_write("b.tsv", bad[i], 0),
					      NULL), RL_EINPUT);
		ck_assert_msg(strstr(rl_db_errmsg(db), where[i]) != NULL,
			      "%s", rl_db_errmsg(db));
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	/* One seed per review: setting another replaces it. */
	ck_assert_int_eq(rl_seed_set(db, "r1", "price"), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds s JOIN "
				"reviews r ON r.id = s.review_id WHERE "
				"r.ext_id = 'r1'"), 1);
	ck_assert_int_eq(rl_seed_set(db, "zz", "price"), RL_ENOTFOUND);
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_ENOTFOUND);
	ck_assert_int_eq(rl_label_add(db, "!x"), RL_EINVAL);
	/* A rules line for it would be a comment. */
	ck_assert_int_eq(rl_label_add(db, "#x"), RL_EINVAL);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "'#'"));
	ck_assert_int_eq(rl_label_add(db, "a\tb"), RL_EINVAL);
	ck_assert_int_eq(rl_label_add(db, ""), RL_EINVAL);
	ck_assert_int_eq(rl_label_add(db, "\"price\""), RL_EINVAL);
	ck_assert_int_eq(rl_label_add(db, "price "), RL_EINVAL);
}
END_TEST

static int count_label(void *ctx, const rl_label_info *l)
{
	long *seeds = ctx;
	if (!strcmp(l->name, "food"))
		*seeds = (long)l->seeds;
	return 0;
}

static int count_review(void *ctx, const rl_review_info *r)
{
	int *n = ctx;
	ck_assert_ptr_nonnull(r->text);
	(*n)++;
	return 0;
}

START_TEST(labels_and_unlabelled)
{
	ck_assert_int_eq(rl_seed_set(db, "r1", "food"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r5", "food"), RL_OK);
	long seeds = -1;
	ck_assert_int_eq(rl_labels(db, count_label, &seeds), RL_OK);
	ck_assert_int_eq(seeds, 2);
	int n = 0;
	ck_assert_int_eq(rl_unlabelled(db, RL_ORDER_RANDOM, 7, 100,
				       count_review, &n), RL_OK);
	ck_assert_int_eq(n, 4);
}
END_TEST

/* rl_labels_unruled's names, joined by ','; stops at "stop". */
static int join_name(void *ctx, const char *name)
{
	char *out = ctx;
	if (!strcmp(name, "stop"))
		return 7;
	if (*out)
		strcat(out, ",");
	strcat(out, name);
	return 0;
}

/* rl_labels_unruled returns `rc` having named `want`, joined by ','. */
#define UNRULED_ARE(rc, want) do { \
	names[0] = '\0'; \
	ck_assert_int_eq(rl_labels_unruled(db, join_name, names), rc); \
	ck_assert_str_eq(names, want); \
} while (0)

START_TEST(labels_no_rule_votes_for)
{
	char names[200];
	/* No rules: every label, those with hand labels first, each group
	 * in name order. */
	UNRULED_ARE(RL_OK, "ambience,food,price,service");
	ck_assert_int_eq(rl_seed_set(db, "r2", "service"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r3", "price"), RL_OK);
	UNRULED_ARE(RL_OK, "price,service,ambience,food");
	/* food's rule fires; price's never does (a rule that matches no
	 * review votes for nothing); service has only a rule against it,
	 * which fires; ambience has one rule that fires and one that does
	 * not. */
	ck_assert_int_eq(load("food\tfood\n"
			      "price\tzzz_nowhere\n"
			      "!service\trude\n"
			      "ambience\tdecor\n"
			      "ambience\tqqq_nowhere\n", NULL), RL_OK);
	UNRULED_ARE(RL_OK, "price,service");
	/* The callback's status stops the walk and is returned: "zebra",
	 * after "stop", is not reached. */
	ck_assert_int_eq(rl_label_add(db, "stop"), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "zebra"), RL_OK);
	UNRULED_ARE(7, "price,service");
	/* Every label with a rule that fires: no call. */
	ck_assert_int_eq(load("food\tfood\n"
			      "price\tprice\n"
			      "service\twaiter\n"
			      "ambience\tdecor\n"
			      "stop\tNothing\n"
			      "zebra\tCheap\n", NULL), RL_OK);
	UNRULED_ARE(RL_OK, "");
}
END_TEST

typedef struct got {
	int n;
	char first[32];
	uint64_t cover;
} got;

static int on_sug(void *ctx, const rl_suggestion *sg)
{
	got *g = ctx;
	if (g->n++ == 0) {
		snprintf(g->first, sizeof g->first, "%s", sg->term);
		g->cover = sg->coverage;
	}
	ck_assert_ptr_nonnull(strstr(sg->pattern, "(?<!\\w)"));
	return 0;
}

START_TEST(suggestions)
{
	got g = { 0 };
	ck_assert_int_eq(rl_suggest(db, NULL, NULL, on_sug, &g), RL_EEMPTY);
	ck_assert_int_eq(rl_seed_set(db, "r1", "food"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r5", "food"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r3", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r4", "ambience"), RL_OK);
	ck_assert_int_eq(rl_suggest(db, "nosuch", NULL, on_sug, &g),
			 RL_ENOTFOUND);
	rl_suggest_opts o;
	rl_suggest_opts_init(&o);
	o.per_label = 3;
	ck_assert_int_eq(rl_suggest(db, "food", &o, on_sug, &g), RL_OK);
	/* "great" and "food" are in both food seeds and no other. By hand,
	 * with prior 100 over 6 reviews: food (df 3) has z = 0.396, great
	 * (df 2) z = 0.364: the larger prior count lowers the variance
	 * more than it shrinks the log-odds. "food" matches r1 r2 r5,
	 * case-insensitively. */
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.first, "food");
	ck_assert_uint_eq(g.cover, 3);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, load_and_report);
	tcase_add_test(tc, show_wrong);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, column_from_pcre2);
	tcase_add_test(tc, catastrophic_pattern);
	tcase_add_test(tc, catastrophic_on_apply);
	tcase_add_test(tc, work_bound_on_long_review);
	tcase_add_test(tc, change_one_rule);
	tcase_add_test(tc, load_marks_reviews_scanned);
	tcase_add_test(tc, coverage_matches_posix);
	tcase_add_test(tc, seed_files);
	tcase_add_test(tc, labels_and_unlabelled);
	tcase_add_test(tc, labels_no_rule_votes_for);
	tcase_add_test(tc, suggestions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
