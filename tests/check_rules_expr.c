/*
 * check_rules_expr.c - rules beyond one regex: expressions over the
 * reviews' metadata (numbers, text, missing fields in three-valued
 * logic), word lists (entries one by case and NFKC form, whole words,
 * phrases), bad expression lines refused at their position with the
 * previous rule set kept, and every plain regex keeping its meaning.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rules.h"
#include "store.h"
#include "testutil.h"
#include "wordlist.h"

static rl_db *db;
static char db_path[512];

/* d has no rating, f no country, c and d no date; b's rating is the
 * string "2", e's 10 (above 9 as a number, below as text). */
static const char *corpus =
	"{\"id\":\"a\",\"text\":\"The delivery was late again\","
	"\"rating\":1,\"country\":\"UK\",\"date\":\"2023-05-01\"}\n"
	"{\"id\":\"b\",\"text\":\"Late but friendly staff\",\"rating\":\"2\","
	"\"country\":\"US\",\"date\":\"2022-12-31\"}\n"
	"{\"id\":\"c\",\"text\":\"Great cafe, lovely food\",\"rating\":5,"
	"\"country\":\"UK\"}\n"
	"{\"id\":\"d\",\"text\":\"The delay was awful\",\"country\":\"DE\"}\n"
	"{\"id\":\"e\",\"text\":\"Fine\",\"rating\":10,\"country\":\"uk\","
	"\"date\":\"2024-01-02\"}\n"
	"{\"id\":\"f\",\"text\":\"Caf\xc3\xa9 au lait was delicious; "
	"delivery on time\",\"rating\":9}\n"
	"{\"id\":\"g\",\"text\":\"Very LATE-Delivery!\",\"rating\":null}\n"
	"{\"id\":\"h\",\"text\":\"chocolate delivery\",\"rating\":3}\n";

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.jsonl", corpus, 0),
					NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "late"), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "food"), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

static int load(const char *text)
{
	return rl_rules_load(db, tu_write("rules.txt", text, 0), NULL, NULL);
}

/* The ext ids the rule on `line` hits, in order, comma-separated. */
static char *hits(int line)
{
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT coalesce(group_concat(ext_id, ','), "
		 "'') FROM (SELECT v.ext_id FROM rule_hits h JOIN rules r ON "
		 "r.id = h.rule_id JOIN reviews v ON v.id = h.review_id WHERE "
		 "r.line = %d ORDER BY v.ext_id)", line);
	return tu_text(db_path, sql);
}

static void expect_hits(int line, const char *want)
{
	char *got = hits(line);
	ck_assert_msg(!strcmp(got, want), "line %d hits '%s', not '%s'",
		      line, got, want);
	free(got);
}

/* "start-end" of the rule on `line`'s hit on review ext. */
static char *span(int line, const char *ext)
{
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT h.start || '-' || h.end FROM "
		 "rule_hits h JOIN rules r ON r.id = h.rule_id JOIN reviews v "
		 "ON v.id = h.review_id WHERE r.line = %d AND v.ext_id = '%s'",
		 line, ext);
	return tu_text(db_path, sql);
}

static void expect_span(int line, const char *ext, const char *want)
{
	char *got = span(line, ext);
	ck_assert_msg(got && !strcmp(got, want), "line %d on %s: '%s', not "
		      "'%s'", line, ext, got ? got : "(none)", want);
	free(got);
}

START_TEST(metadata)
{
	const char *rules =
		"late\t? rating<=2\n"				/* 1 */
		"late\t? rating<=2 & /late|delay/\n"		/* 2 */
		"late\t? !(rating>3)\n"				/* 3 */
		"late\t? /late|delay/ & !(rating>3)\n"		/* 4 */
		"late\t? /delay/ | rating>=9\n"			/* 5 */
		"food\t? country=UK\n"				/* 6 */
		"food\t? country ~ /^uk$/\n"			/* 7 */
		"food\t? country != UK\n"			/* 8 */
		"food\t? date>=2023-01-01\n"			/* 9 */
		"food\t? \"country\" = \"UK\" & rating < 2\n"	/* 10 */
		"food\t? rating>=\"9\"\n"			/* 11 */
		"food\t? !(/delay/ | rating>3)\n"		/* 12 */
		"food\t? rating=1 | rating=10.0\n";		/* 13 */
	/* An empty value is no value: i, a late review with an empty
	 * rating, is in no rule's hits ("" would sort before "2"). */
	ck_assert_int_eq(rl_import_file(db, tu_write("i.jsonl",
		"{\"id\":\"i\",\"text\":\"late\",\"rating\":\"\","
		"\"country\":\"\"}\n", 0), NULL, NULL), RL_OK);
	ck_assert_int_eq(load(rules), RL_OK);
	expect_hits(1, "a,b");
	/* d says "delay" but has no rating: no hit */
	expect_hits(2, "a,b");
	/* not (unknown) is unknown: d, g stay out */
	expect_hits(3, "a,b,h");
	/* a regex is no word list: "late" in h's "chocolate" */
	expect_hits(4, "a,b,h");
	/* 10 >= 9 as numbers */
	expect_hits(5, "d,e,f");
	/* text compares bytes: "uk" is not "UK"; ~ is caseless */
	expect_hits(6, "a,c");
	expect_hits(7, "a,c,e");
	/* f, g, h have no country */
	expect_hits(8, "b,d,e");
	/* ISO dates order as text */
	expect_hits(9, "a,e");
	expect_hits(10, "a");
	/* a quoted number is a number */
	expect_hits(11, "e,f");
	/* true or unknown is true: d's delay decides, though it has no
	 * rating; g has no rating and no delay: unknown */
	expect_hits(12, "a,b,h");
	expect_hits(13, "a,e");
	/* the range is the regex's, 0-0 when only metadata decided */
	expect_span(2, "a", "17-21");
	expect_span(1, "a", "0-0");
	expect_span(5, "d", "4-9");
	expect_span(5, "e", "0-0");
}
END_TEST

START_TEST(metadata_changed)
{
	ck_assert_int_eq(load("late\t? rating<=2\n"), RL_OK);
	expect_hits(1, "a,b");
	/* Only a's metadata changes: its hit goes at the import and `rules
	 * apply` matches it again. */
	rl_import_opts o;
	rl_import_opts_init(&o);
	o.existing = RL_EXISTING_REPLACE;
	ck_assert_int_eq(rl_import_file(db, tu_write("a.jsonl",
		"{\"id\":\"a\",\"text\":\"The delivery was late again\","
		"\"rating\":4}\n{\"id\":\"h\",\"text\":\"chocolate delivery\","
		"\"rating\":0}\n", 0), &o, NULL), RL_OK);
	expect_hits(1, "b");
	ck_assert_int_eq(rl_rules_apply(db, NULL, NULL), RL_OK);
	expect_hits(1, "b,h");
}
END_TEST

/* One word list file; the entries of line 2 to 5 are one, by case and
 * NFKC form (decomposed é, fullwidth letters); 7 and 8 are one phrase. */
static const char *word_file =
	"# dishes and delays\n"
	"Caf\xc3\xa9\n"
	"CAF\xc3\x89\n"
	"cafe\xcc\x81\n"
	"\xef\xbd\x83\xef\xbd\x81\xef\xbd\x86\xc3\xa9\n"
	"\n"
	"late delivery\n"
	"  LATE   Delivery  \n"
	"au lait\n"
	"\xef\xac\x81ne\n";	/* the ligature fi: "fine" */

START_TEST(wordlist_normalised)
{
	rl_wordlist *w;
	char err[256];
	ck_assert_int_eq(rl_wordlist_parse("w.txt", word_file,
					   strlen(word_file), &w, err,
					   sizeof err), RL_OK);
	ck_assert_uint_eq(rl_wordlist_size(w), 4);
	ck_assert_uint_eq(rl_wordlist_duplicates(w), 4);
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_wordlist_dump(w, &b), RL_OK);
	ck_assert_int_eq(rl_buf_putc(&b, '\0'), RL_OK);
	ck_assert_str_eq(b.data, "caf\xc3\xa9\nlate delivery\nau lait\n"
			 "fine\n");
	rl_buf_free(&b);
	struct {
		const char *text;
		int found;
		size_t a, b;
	} cases[] = {
		{ "the CAF\xc3\x89 was shut", 1, 4, 9 },
		{ "cafe without accent", 0, 0, 0 },
		{ "caf\xc3\xa9s are many", 0, 0, 0 },	/* whole words */
		{ "Very LATE-Delivery!", 1, 5, 18 },
		{ "chocolate delivery", 0, 0, 0 },
		{ "late, delivery", 1, 0, 14 },
		{ "the delivery was late", 0, 0, 0 },
		{ "FINE", 1, 0, 4 },
		{ "", 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t a = 99, e = 99;
		int r = rl_wordlist_find(w, cases[i].text,
					 strlen(cases[i].text), &a, &e);
		ck_assert_msg(r == cases[i].found, "'%s': %d", cases[i].text,
			      r);
		if (r == 1)
			ck_assert_msg(a == cases[i].a && e == cases[i].b,
				      "'%s': %zu-%zu", cases[i].text, a, e);
	}
	/* A dumped list reads back as the same list. */
	rl_buf d = { 0 };
	ck_assert_int_eq(rl_wordlist_dump(w, &d), RL_OK);
	rl_wordlist *w2;
	ck_assert_int_eq(rl_wordlist_parse("d.txt", d.data, d.len, &w2, err,
					   sizeof err), RL_OK);
	ck_assert_uint_eq(rl_wordlist_size(w2), 4);
	ck_assert_uint_eq(rl_wordlist_duplicates(w2), 0);
	rl_buf_free(&d);
	rl_wordlist_free(w2);
	rl_wordlist_free(w);

	/* Bad entries name their line and column. */
	ck_assert_int_eq(rl_wordlist_parse("w.txt", "ok\nfa\xffl\n", 8, &w,
					   err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, "w.txt:2:3: invalid UTF-8");
	ck_assert_int_eq(rl_wordlist_parse("w.txt", "ok\n  ---\n", 9, &w,
					   err, sizeof err), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "w.txt:2:3: no word"));
}
END_TEST

START_TEST(wordlist_rules)
{
	tu_write("lists-words.txt", word_file, 0);
	ck_assert_int_eq(load("food\t? @lists-words.txt\n"
			      "late\t? @\"lists-words.txt\" & !country=UK\n"
			      "late\t? rating<=3 & @lists-words.txt\n"), RL_OK);
	/* f: "Café au lait"; g: "LATE-Delivery"; e: "Fine" */
	expect_hits(1, "e,f,g");
	/* country=UK is unknown on f and g, and "uk" is not "UK" */
	expect_hits(2, "e");
	expect_hits(3, "");
	expect_span(1, "f", "0-5");
	expect_span(1, "g", "5-18");
	/* The list changes under the same rules: loading again matches the
	 * rules with word lists anew. */
	tu_write("lists-words.txt", "chocolate\n", 0);
	rl_rules_stats st;
	ck_assert_int_eq(rl_rules_load(db, tu_path("rules.txt"), NULL, &st),
			 RL_OK);
	ck_assert_int_eq(st.matched, 3);
	expect_hits(1, "h");
	expect_hits(3, "h");
}
END_TEST

START_TEST(wordlist_from_elsewhere)
{
	/* Loaded by a relative path, the rules are recorded by the
	 * absolute one, so applying them from another folder finds the
	 * list. */
	char cwd[1024];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	tu_write("rw.txt", "late\t? {au lait} | @w2.txt\n", 0);
	tu_write("w2.txt", "friendly\n", 0);
	ck_assert_int_eq(chdir(tu_path(".")), 0);
	ck_assert_int_eq(rl_rules_load(db, "rw.txt", NULL, NULL), RL_OK);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rl_rules_apply(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(chdir(cwd), 0);
	expect_hits(1, "b,f");
	char *src = tu_text(db_path, "SELECT source FROM rules");
	ck_assert_int_eq(src[0], '/');
	free(src);
	/* A set of regexes keeps the path as given. */
	tu_write("rr.txt", "late\tlate\n", 0);
	ck_assert_int_eq(chdir(tu_path(".")), 0);
	ck_assert_int_eq(rl_rules_load(db, "rr.txt", NULL, NULL), RL_OK);
	ck_assert_int_eq(chdir(cwd), 0);
	src = tu_text(db_path, "SELECT source FROM rules");
	ck_assert_str_eq(src, "rr.txt");
	free(src);
}
END_TEST

/* Loading `text` fails with a message starting "rules.txt:where" and
 * containing `what`, and the store is unchanged. */
static void expect_reject(const char *text, const char *where,
			  const char *what)
{
	char *before = tu_digest(db_path);
	ck_assert_int_lt(load(text), 0);
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

START_TEST(bad_expressions)
{
	ck_assert_int_eq(load("late\t? rating<=2\nfood\tcafe\n"), RL_OK);
	/* The pattern starts at column 6 ("food<TAB>"). */
	expect_reject("food\t? rating<=2 & /late\n", "1:20:",
		      "missing closing / of the regex");
	expect_reject("food\t? rating <=\n", "1:17:", "expected a value");
	expect_reject("food\t? (rating<=2\n", "1:8:", "never closed");
	expect_reject("food\t? rating<=2 /x/\n", "1:18:", "unexpected '/'");
	expect_reject("food\t? rating<=2 )\n", "1:18:", "unmatched )");
	expect_reject("food\t? rating 2\n", "1:15:", "expected an operator");
	expect_reject("food\t? rating<=\"2\n", "1:16:", "missing closing \"");
	expect_reject("food\t?\n", "1:7:", "empty expression");
	expect_reject("food\t? //\n", "1:8:", "empty regex");
	expect_reject("food\t? /x/ &\n", "1:13:", "expected a condition");
	expect_reject("food\t? /x/ & & /y/\n", "1:14:", "expected a condition");
	/* PCRE2's offset inside the regex: "a(" ends at its offset 2 */
	expect_reject("food\tok\nfood\t? /a(/\n", "2:11:",
		      "missing closing parenthesis");
	expect_reject("food\t? @nope.txt\n", "1:8:", "word list:");
	tu_write("bad.txt", "fine\nfa\xffl\n", 0);
	expect_reject("food\t? /x/ | @bad.txt\n", "1:14:", "bad.txt:2:3: "
		      "invalid UTF-8");
	/* The first rule set is what stays. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rules"), 2);
	expect_hits(1, "a,b");
	expect_hits(2, "c");
}
END_TEST

START_TEST(pattern_kinds)
{
	ck_assert_int_eq(rl_pattern_needs("\\b(late|delay)\\b"), 0);
	ck_assert_int_eq(rl_pattern_needs("? /a/ & !/b/"), RL_PAT_EXPR);
	ck_assert_int_eq(rl_pattern_needs("? a=1 | /b/"),
			 RL_PAT_EXPR | RL_PAT_META);
	ck_assert_int_eq(rl_pattern_needs("? @w.txt"),
			 RL_PAT_EXPR | RL_PAT_WORDS);
	ck_assert_int_eq(rl_pattern_needs("? (a=1"), RL_EINPUT);
	/* Without a rules file, no word list; with no metadata, a
	 * condition on it is unknown. */
	rl_matcher *m;
	char err[256];
	size_t off, a, b, b2;
	ck_assert_int_eq(rl_matcher_new("? @w.txt", &m, err, sizeof err,
					&off), RL_EINPUT);
	ck_assert_int_eq(rl_matcher_new("? /late/ & !x>1", &m, err,
					sizeof err, &off), RL_OK);
	ck_assert_int_eq(rl_matcher_find(m, "late", 4, &a, &b, err,
					 sizeof err), 0);
	const char *k[] = { "x" }, *v[] = { "0" };
	rl_meta meta = { 1, k, v };
	ck_assert_int_eq(rl_matcher_find_meta(m, "so late", 7, &meta, &a, &b,
					      err, sizeof err), 1);
	ck_assert_uint_eq(a, 3);
	ck_assert_uint_eq(b, 7);
	rl_matcher_free(m);
	/* Nesting and length are bounded, so evaluation's recursion is. */
	rl_buf pb = { 0 };
	ck_assert_int_eq(rl_buf_append(&pb, "? ", 2), RL_OK);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(rl_buf_putc(&pb, '('), RL_OK);
	ck_assert_int_eq(rl_buf_append(&pb, "/a/", 4), RL_OK);
	ck_assert_int_eq(rl_matcher_new(pb.data, &m, err, sizeof err, &off),
			 RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
	pb.len = 2;
	for (int i = 0; i < 600; i++)
		ck_assert_int_eq(rl_buf_append(&pb, "/a/ & ", 6), RL_OK);
	ck_assert_int_eq(rl_buf_append(&pb, "/b/", 4), RL_OK);
	ck_assert_int_eq(rl_matcher_new(pb.data, &m, err, sizeof err, &off),
			 RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "expression too long"));
	pb.len = 2;
	for (int i = 0; i < 400; i++)
		ck_assert_int_eq(rl_buf_append(&pb, "x=1 | ", 6), RL_OK);
	ck_assert_int_eq(rl_buf_append(&pb, "x=2", 4), RL_OK);
	ck_assert_int_eq(rl_matcher_new(pb.data, &m, err, sizeof err, &off),
			 RL_OK);
	const char *v2[] = { "2" };
	rl_meta meta2 = { 1, k, v2 };
	ck_assert_int_eq(rl_matcher_find_meta(m, "", 0, &meta2, &a, &b2, err,
					      sizeof err), 1);
	rl_matcher_free(m);
	rl_buf_free(&pb);
	/* Every '?' pattern is an expression: PCRE2 refuses them all. */
	ck_assert_int_eq(rl_matcher_new("?", &m, err, sizeof err, &off),
			 RL_EINPUT);
}
END_TEST

/* ---- lint ---- */

static const char *lint_rules =
	"late\t\\blate\\b\n"				/* 1: a b g */
	"late\t? /\\blate\\b/ & rating<=2\n"		/* 2: a b */
	"food\tzzz\n"					/* 3: none */
	"late\t\\blate\\b|qqq\n"			/* 4: a b g */
	"!late\tdelivery\n"				/* 5: a f g h */
	"food\t\\blate\\b\n";				/* 6: a b g */

START_TEST(lint_findings)
{
	ck_assert_int_eq(load(lint_rules), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "a", "late"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "f", "food"), RL_OK);
	rl_rules_report *r = NULL;
	ck_assert_int_eq(rl_rules_report_get(db, &r), RL_OK);
	ck_assert_uint_eq(r->n, 6);
	/* The defaults: 30% of 8 reviews is 2.4; rule 1's precision is
	 * 1/1 with a lower bound of 0.21, rule 5's 1/2. */
	unsigned want[6] = {
		RL_LINT_BROAD, RL_LINT_REDUNDANT, RL_LINT_NEVER,
		RL_LINT_REDUNDANT | RL_LINT_BROAD, RL_LINT_BROAD,
		RL_LINT_BROAD,
	};
	int subset[6] = { 0, 1, 0, 1, 0, 0 };
	for (size_t i = 0; i < 6; i++) {
		ck_assert_msg(r->rules[i].lint == want[i], "line %zu: %u",
			      i + 1, r->rules[i].lint);
		ck_assert_int_eq(r->rules[i].subset_of, subset[i]);
	}
	/* Thresholds: over 40% of the reviews, only rule 5 (50%); with a
	 * precision bound of 0.1, rule 1 passes (rule 6 has no hand label
	 * to judge it by, rule 5's bound is 0.09). */
	rl_lint_opts o;
	rl_lint_opts_init(&o);
	o.max_coverage = 0.4;
	ck_assert_uint_eq(rl_rules_lint(r, &o), 4);
	ck_assert_uint_eq(r->rules[0].lint, 0);
	ck_assert_uint_eq(r->rules[4].lint, RL_LINT_BROAD);
	rl_lint_opts_init(&o);
	o.min_precision = 0.1;
	ck_assert_uint_eq(rl_rules_lint(r, &o), 5);
	ck_assert_uint_eq(r->rules[0].lint, 0);
	ck_assert_uint_eq(r->rules[3].lint, RL_LINT_REDUNDANT);
	ck_assert_uint_eq(r->rules[4].lint, RL_LINT_BROAD);
	ck_assert_uint_eq(r->rules[5].lint, RL_LINT_BROAD);
	rl_rules_report_free(r);
}
END_TEST

START_TEST(lint_cli)
{
	ck_assert_int_eq(load(lint_rules), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "a", "late"), RL_OK);
	rl_db_close(db);
	db = NULL;
	char out[8192], err[1024];
	char *lint[] = { RL_REVLAB_EXE, "rules", "lint", db_path,
			 "--max-coverage", "0.6", NULL, NULL };
	ck_assert_int_eq(tu_exec(lint, NULL, out, sizeof out, err,
				 sizeof err), 0);
	char want[2048];
	const char *f = tu_path("rules.txt");
	snprintf(want, sizeof want,
		 "%s:2: redundant: all 2 reviews it matches are matched "
		 "by line 1, for 'late' too\n"
		 "%s:3: never hits: rule for 'food' matches none of the 8 "
		 "reviews\n"
		 "%s:4: redundant: all 3 reviews it matches are matched "
		 "by line 1, for 'late' too\n"
		 "3 of 6 rules with findings\n", f, f, f);
	ck_assert_str_eq(out, want);
	char *strict[] = { RL_REVLAB_EXE, "rules", "lint", db_path,
			   "--strict", NULL };
	ck_assert_int_eq(tu_exec(strict, NULL, out, sizeof out, err,
				 sizeof err), 1);
	/* a, the one hand-labelled review, is late: rule 5 is wrong on it */
	ck_assert_ptr_nonnull(strstr(out, ":5: too broad: matches 50.0% of "
				     "the reviews (over 30.0%) and its "
				     "precision on the hand labels, 0.00 "
				     "[0.00-0.79] n=1, may be under 0.50\n"));
	char *json[] = { RL_REVLAB_EXE, "rules", "lint", db_path, "--json",
			 "--strict", NULL };
	ck_assert_int_eq(tu_exec(json, NULL, out, sizeof out, err,
				 sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"lint\":[\"redundant\","
				     "\"broad\"],\"subset_of\":1}"));
	char *bad[] = { RL_REVLAB_EXE, "rules", "lint", db_path,
			"--min-precision", "2", NULL };
	ck_assert_int_eq(tu_exec(bad, NULL, out, sizeof out, err,
				 sizeof err), 2);
	/* A clean rule set passes --strict. */
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(load("late\t\\blate\\b\n"), RL_OK);
	rl_db_close(db);
	db = NULL;
	char *clean[] = { RL_REVLAB_EXE, "rules", "lint", db_path,
			  "--strict", "--max-coverage", "0.5", NULL };
	ck_assert_int_eq(tu_exec(clean, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_str_eq(out, "0 of 1 rules with findings\n");
}
END_TEST

START_TEST(show_expression)
{
	ck_assert_int_eq(load("late\t? rating<=1\n"
			      "late\t? rating<=2 & {LATE}\n"), RL_OK);
	rl_db_close(db);
	db = NULL;
	char out[4096], err[1024];
	/* metadata alone marks no text; a word list its words */
	char *one[] = { RL_REVLAB_EXE, "rules", "show", db_path, "1", NULL };
	ck_assert_int_eq(tu_exec(one, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_str_eq(out, "a: The delivery was late again\n");
	char *two[] = { RL_REVLAB_EXE, "rules", "show", db_path, "2", NULL };
	ck_assert_int_eq(tu_exec(two, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_str_eq(out, "a: The delivery was [[late]] again\n"
			 "b: [[Late]] but friendly staff\n");
}
END_TEST

/* ---- what a multi-label model carries ---- */

static const char *const price[] = {
	"cheap price for what you get", "the price was great value",
	"expensive for a small thing", "good value and a fair price",
	"overpriced and not worth the money", "a bargain at this price",
};
static const char *const ship[] = {
	"arrived late and the box was crushed",
	"fast delivery arrived in two days",
	"the parcel never arrived, shipping took weeks",
	"shipping was quick and tracking worked",
	"delivery was slow and the courier rude",
	"shipped the next day, arrived early",
};

/* A multi-label store of 36 reviews with a stars column: p0..p11 about
 * price, s0..s11 about shipping, b0..b11 about both; 4 hand labels of
 * each group. */
static void multi_setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("m.db"));
	char *csv = malloc(1 << 16);
	size_t at = (size_t)sprintf(csv, "id,stars,text\n");
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "p%d,%d,\"%s\"\n", i, i % 5,
				      price[i % 6]);
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "s%d,%d,\"%s\"\n", i, i % 5,
				      ship[i % 6]);
	for (int i = 0; i < 12; i++)
		at += (size_t)sprintf(csv + at, "b%d,%d,\"%s; %s\"\n", i,
				      i % 5, price[i % 6], ship[(i + 1) % 6]);
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("r.csv", csv, 0), NULL,
					NULL), RL_OK);
	free(csv);
	char seeds[1024];
	at = 0;
	for (int i = 0; i < 4; i++)
		at += (size_t)sprintf(seeds + at, "p%d\tprice\ns%d\tshipping\n"
				      "b%d\tprice\nb%d\tshipping\n", i, i, i,
				      i);
	ck_assert_int_eq(rl_label_add(db, "price"), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "shipping"), RL_OK);
	ck_assert_int_eq(rl_seed_file(db, tu_write("s.tsv", seeds, 0), NULL),
			 RL_OK);
}

START_TEST(model_carries_text_rules)
{
	/* price's rule names a word list; shipping's only rule tests the
	 * metadata, which new texts lack. */
	tu_write("price-words.txt", "Cheap\nPRICE\nvalue\nexpensive\n"
		 "cheap\n", 0);
	ck_assert_int_eq(rl_rules_load(db, tu_write("m.rules",
		"price\t? @price-words.txt\n"
		"shipping\t? stars<=2 & /arrived|delivery|shipp/\n", 0),
		NULL, NULL), RL_OK);
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.tok.lexicon_dir = RL_LEXICON_DIR;
	rl_run_report *r = NULL;
	int rc = rl_run(db, &o, &r);
	ck_assert_msg(rc == RL_OK, "run: %s", rl_db_errmsg(db));
	rl_run_report_free(r);
	char *pat = tu_text(db_path, "SELECT json_extract(params, "
			    "'$.rule_patterns') FROM models ORDER BY id DESC "
			    "LIMIT 1");
	ck_assert_str_eq(pat, "[\"? {cheap, price, value, expensive}\"]");
	free(pat);
	/* shipping keeps no rule, so no rule evidence either */
	char *llr = tu_text(db_path, "SELECT json_extract(params, "
			    "'$.rule_llr[2]') || ',' || json_extract(params, "
			    "'$.rule_llr[3]') || ',' || (json_extract(params, "
			    "'$.rule_llr[0]') != 0) FROM models ORDER BY id "
			    "DESC LIMIT 1");
	ck_assert_str_eq(llr, "0,0,1");
	free(llr);
	rl_model *m = NULL, *m2 = NULL;
	char err[512];
	double w;
	ck_assert_int_eq(rl_model_get(db, 0, &m), RL_OK);
	ck_assert_uint_eq(rl_model_rules(m, &w), 1);
	const char *mf = tu_path("m.rlm");
	ck_assert_int_eq(rl_model_save(m, mf, err, sizeof err), RL_OK);
	/* The file needs no word list file. */
	ck_assert_int_eq(remove(tu_path("price-words.txt")), 0);
	ck_assert_int_eq(rl_model_load(mf, &m2, err, sizeof err), RL_OK);
	ck_assert_uint_eq(rl_model_rules(m2, &w), 1);
	/* The loaded model predicts: a word of the list (through the
	 * classifier and the rule) makes price likelier. */
	const char *texts[2] = { "the CHEAP one", "the one" };
	int32_t lab[4];
	double cf[4];
	ck_assert_int_eq(rl_model_predict(m2, texts, NULL, 2, 2, lab, cf, err,
					  sizeof err), RL_OK);
	ck_assert_str_eq(rl_model_label(m2, (size_t)lab[0]), "price");
	double with = -1, without = -1;
	for (int k = 0; k < 2; k++) {
		if (!strcmp(rl_model_label(m2, (size_t)lab[k]), "price"))
			with = cf[k];
		if (!strcmp(rl_model_label(m2, (size_t)lab[2 + k]), "price"))
			without = cf[2 + k];
	}
	ck_assert_msg(with > without + 0.05, "%g against %g", with, without);
	rl_model_free(m);
	rl_model_free(m2);
}
END_TEST

/* Every hit of the store, with its range, by review and rule line. */
static char *hit_rows(void)
{
	return tu_text(db_path, "SELECT coalesce(group_concat(x, ' '), '') "
		       "FROM (SELECT r.line || ':' || v.ext_id || ':' || "
		       "h.start || '-' || h.end AS x FROM rule_hits h JOIN "
		       "rules r ON r.id = h.rule_id JOIN reviews v ON v.id = "
		       "h.review_id ORDER BY v.id, r.line)");
}

/* Matching on threads: each thread a range of a batch, with its own
 * copy of the rules; the same hits for any thread count, across batches (2,048 reviews) and both on a load and on
 * apply; the first failure in review order is the one named. */
START_TEST(threads_match_alike)
{
	rl_buf t = { 0 };
	for (int i = 0; i < 5000; i++) {
		char line[200];
		snprintf(line, sizeof line, "{\"id\":\"n%d\",\"text\":\"%s "
			 "%d caf\xc3\xa9\",\"rating\":%d,\"country\":\"%s\"}\n",
			 i, i % 3 ? "late delivery" : "the delay", i, i % 11,
			 i % 2 ? "UK" : "US");
		rl_buf_append(&t, line, strlen(line));
	}
	ck_assert_int_eq(rl_import_file(db, tu_write("n.jsonl", t.data,
						     t.len), NULL, NULL),
			 RL_OK);
	const char *rules =
		"late\t\\blate\\b\n"
		"late\t? /delay/ & rating<=3\n"
		"food\t? country ~ /^uk$/ & !(rating>5)\n"
		"food\tcaf\xc3\xa9\n"
		"food\t\\b[0-9]*7\\b\n";
	char *want = NULL;
	static const int threads[] = { 1, 2, 3, 8 };
	for (int k = 0; k < 4; k++) {
		rl_rules_opts o = { .threads = threads[k] };
		rl_rules_stats st;
		ck_assert_int_eq(load("# none\n"), RL_OK);
		ck_assert_int_eq(rl_rules_load(db, tu_write("rules.txt", rules,
							    0), &o, &st),
				 RL_OK);
		ck_assert_uint_eq(st.matched, 5);
		char *got = hit_rows();
		if (!want)
			want = got;
		else {
			ck_assert_str_eq(got, want);
			free(got);
		}
	}
	/* and what they are: the rules' meaning, counted here */
	long long n_want = 0;
	for (int i = 0; i < 5000; i++)
		n_want += (i % 3 != 0) + (i % 3 == 0 && i % 11 <= 3) +
			  (i % 2 == 1 && i % 11 <= 5) + 1 + (i % 10 == 7);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rule_hits h "
				"JOIN reviews v ON v.id = h.review_id WHERE "
				"v.ext_id LIKE 'n%'"), n_want);
	expect_span(5, "n17", "14-16");
	free(want);
	/* apply: new reviews met by the kept rules, alike on any count */
	t.len = 0;
	for (int i = 0; i < 3000; i++) {
		char line[120];
		snprintf(line, sizeof line, "{\"id\":\"m%d\",\"text\":\"late "
			 "%d\",\"rating\":%d}\n", i, i, i % 5);
		rl_buf_append(&t, line, strlen(line));
	}
	ck_assert_int_eq(rl_import_file(db, tu_write("m.jsonl", t.data,
						     t.len), NULL, NULL),
			 RL_OK);
	want = NULL;
	for (int k = 0; k < 4; k++) {
		rl_rules_opts o = { .threads = threads[k] };
		rl_rules_stats st;
		if (k > 0) {
			/* back to before the apply */
			sqlite3 *raw = NULL;
			ck_assert_int_eq(sqlite3_open(db_path, &raw),
					 SQLITE_OK);
			ck_assert_int_eq(sqlite3_exec(raw, "DELETE FROM "
				"rule_hits WHERE review_id IN (SELECT id FROM "
				"reviews WHERE ext_id LIKE 'm%'); DELETE FROM "
				"rule_scans WHERE review_id IN (SELECT id FROM "
				"reviews WHERE ext_id LIKE 'm%')", NULL, NULL,
				NULL), SQLITE_OK);
			sqlite3_close(raw);
			ck_assert_int_eq(tu_int(db_path, "SELECT count(*) "
				"FROM rule_scans s JOIN reviews v ON v.id = "
				"s.review_id WHERE v.ext_id LIKE 'm%'"), 0);
		}
		ck_assert_int_eq(rl_rules_apply(db, &o, &st), RL_OK);
		ck_assert_uint_eq(st.reviews, 3000);
		char *got = tu_text(db_path, "SELECT group_concat(x, ' ') FROM "
			"(SELECT r.line || ':' || v.ext_id || ':' || h.start "
			"AS x FROM rule_hits h JOIN rules r ON r.id = "
			"h.rule_id JOIN reviews v ON v.id = h.review_id WHERE "
			"v.ext_id LIKE 'm%' ORDER BY v.id, r.line)");
		if (!want)
			want = got;
		else {
			ck_assert_str_eq(got, want);
			free(got);
		}
	}
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rule_hits h "
				"JOIN reviews v ON v.id = h.review_id WHERE "
				"v.ext_id LIKE 'm%'"), 3000 + 300);
	free(want);
	/* Two reviews a rule fails on, in different threads' ranges of one
	 * batch (the 8,008 reviews before them fill batches 0 to 3, slow1
	 * is the 101st of batch 4, slow2 its 1,501st): the first in review
	 * order is named, whatever the count. */
	t.len = 0;
	for (int i = 0; i < 284; i++) {
		char line[80];
		snprintf(line, sizeof line, "{\"id\":\"q%d\",\"text\":\"x\"}\n",
			 i);
		rl_buf_append(&t, line, strlen(line));
	}
	rl_buf_append(&t, "{\"id\":\"slow1\",\"text\":\"", 22);
	for (int i = 0; i < 5000; i++)
		rl_buf_putc(&t, 'a');
	rl_buf_append(&t, "!\"}\n", 4);
	for (int i = 0; i < 1399; i++) {
		char line[80];
		snprintf(line, sizeof line, "{\"id\":\"p%d\",\"text\":\"x\"}\n",
			 i);
		rl_buf_append(&t, line, strlen(line));
	}
	rl_buf_append(&t, "{\"id\":\"slow2\",\"text\":\"", 22);
	for (int i = 0; i < 5000; i++)
		rl_buf_putc(&t, 'a');
	rl_buf_append(&t, "!\"}\n", 4);
	ck_assert_int_eq(rl_import_file(db, tu_write("s.jsonl", t.data,
						     t.len), NULL, NULL),
			 RL_OK);
	rl_buf_free(&t);
	char *before = tu_digest(db_path);
	for (int k = 0; k < 4; k++) {
		rl_rules_opts o = { .threads = threads[k] };
		ck_assert_int_lt(rl_rules_load(db, tu_write("rules.txt",
				 "food\tfood\nfood\t(a+)+$\n", 0), &o, NULL),
				 0);
		ck_assert_msg(strstr(rl_db_errmsg(db), ":2: rule fails on "
				     "review 'slow1'"), "%s",
			      rl_db_errmsg(db));
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	/* A review after slow1 in its batch whose metadata is broken
	 * (written around revlab): the rule failing on slow1 is still the
	 * first failure, and the one named. */
	sqlite3 *raw = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "UPDATE reviews SET meta = '{bad' "
				      "WHERE ext_id = 'p5'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	before = tu_digest(db_path);
	for (int k = 0; k < 2; k++) {
		rl_rules_opts o = { .threads = threads[k] };
		const char *r = k ? "food\tfood\nfood\t(a+)+$\nfood\t? "
				    "rating<=3\n"
				  : "food\tfood\nfood\t? rating<=3\n";
		ck_assert_int_lt(rl_rules_load(db, tu_write("rules.txt", r,
							     0), &o, NULL), 0);
		/* without the failing rule, the broken metadata is named */
		ck_assert_msg(strstr(rl_db_errmsg(db), k ? ":2: rule fails on "
				     "review 'slow1'" : "review 'p5': its "
				     "metadata is not a JSON object"), "%s",
			      rl_db_errmsg(db));
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
}
END_TEST

/* Word lists on threads: the copies after the first thread's are
 * compiled from it with its lists written in, not from the files again,
 * and match alike. */
START_TEST(threads_word_lists)
{
	rl_buf t = { 0 };
	for (int i = 0; i < 3000; i++) {
		char line[120];
		snprintf(line, sizeof line, "{\"id\":\"w%d\",\"text\":\"%s "
			 "%d\"}\n", i, i % 4 ? "Late Delivery" : "a broken "
			 "strap", i);
		rl_buf_append(&t, line, strlen(line));
	}
	ck_assert_int_eq(rl_import_file(db, tu_write("w.jsonl", t.data,
						     t.len), NULL, NULL),
			 RL_OK);
	rl_buf_free(&t);
	tu_write("words.txt", "late delivery\nbroken\n", 0);
	const char *rules = "late\t? @words.txt & !/strap/\n"
			    "food\t? /strap/ & @words.txt\n";
	char *want = NULL;
	static const int threads[] = { 1, 2, 8 };
	for (int k = 0; k < 3; k++) {
		rl_rules_opts o = { .threads = threads[k] };
		ck_assert_int_eq(load("# none\n"), RL_OK);
		ck_assert_int_eq(rl_rules_load(db, tu_write("rules.txt", rules,
							    0), &o, NULL),
				 RL_OK);
		char *got = hit_rows();
		if (!want)
			want = got;
		else {
			ck_assert_str_eq(got, want);
			free(got);
		}
	}
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rule_hits h "
				"JOIN reviews v ON v.id = h.review_id WHERE "
				"v.ext_id LIKE 'w%'"), 3000);
	free(want);
}
END_TEST

/* PCRE2 checks a review's text is UTF-8 once, on the first regex that
 * reads it, not on every rule: a rule that reads only the metadata
 * before it does not count as that check. A text that is not UTF-8
 * (written around revlab, which refuses it on import) fails the first
 * regex on it, with the rule and review named. */
START_TEST(utf8_checked_once)
{
	sqlite3 *raw = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "UPDATE reviews SET text = "
				      "CAST(X'6C617465C3' AS TEXT) WHERE "
				      "ext_id = 'e'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	char *before = tu_digest(db_path);
	ck_assert_int_lt(load("late\t? rating>3\nlate\tlate\n"), 0);
	ck_assert_msg(strstr(rl_db_errmsg(db), ":2: rule fails on review "
			     "'e': UTF-8 error"), "%s", rl_db_errmsg(db));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	/* The same rules without that review's text: they match. */
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "UPDATE reviews SET text = 'Fine' "
				      "WHERE ext_id = 'e'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(load("late\t? rating>3\nlate\tlate\n"), RL_OK);
	expect_hits(2, "a,b,g,h");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rules_expr");
	TCase *tc = tcase_create("rules_expr");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, metadata);
	tcase_add_test(tc, metadata_changed);
	tcase_add_test(tc, wordlist_normalised);
	tcase_add_test(tc, wordlist_rules);
	tcase_add_test(tc, wordlist_from_elsewhere);
	tcase_add_test(tc, bad_expressions);
	tcase_add_test(tc, pattern_kinds);
	tcase_add_test(tc, lint_findings);
	tcase_add_test(tc, lint_cli);
	tcase_add_test(tc, show_expression);
	tcase_add_test(tc, threads_match_alike);
	tcase_add_test(tc, threads_word_lists);
	tcase_add_test(tc, utf8_checked_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, multi_setup, teardown);
	tcase_add_test(tc, model_carries_text_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
