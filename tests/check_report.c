/*
 * check_report.c - the HTML report: hostile text escaped, a report of an
 * empty store that says what is missing, every chart after the example
 * pipeline with the store's own numbers, an unchanged store, and a bad
 * output path that fails clearly and leaves no file.
 */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "store.h"
#include "testutil.h"

static rl_db *db;
static char db_path[512];

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

/* The whole file at path, malloc'd. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define HAS(s, x) ck_assert_msg(strstr(s, x) != NULL, "'%s' not in report", x)

/* Entries in the test folder: a failed write must leave no stray file. */
static int files_in_dir(void)
{
	DIR *d = opendir(tu_dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(escape_hostile_text)
{
	rl_buf b = { 0 };
	const char *in = "<script>alert('x')</script> & \"q\" \x01\x7f"
			 "\xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\t\n";
	ck_assert_int_eq(rl_html_escape(&b, in, strlen(in)), RL_OK);
	ck_assert_str_eq(b.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
			 "&gt; &amp; &quot;q&quot; \xef\xbf\xbd\xef\xbf\xbd"
			 "\xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"
			 "\t\n");
	b.len = 0;
	ck_assert_int_eq(rl_html_escape(&b, "", 0), RL_OK);
	ck_assert_str_eq(b.data, "");
	rl_buf_free(&b);
}
END_TEST

START_TEST(empty_store)
{
	char *before = tu_digest(db_path);
	const char *out = tu_path("r.html");
	ck_assert_int_eq(rl_report_file(db, NULL, out), RL_OK);
	char *html = slurp(out);
	HAS(html, "<!DOCTYPE html>");
	HAS(html, "No labels yet");
	HAS(html, "No rules yet");
	HAS(html, "run <code>revlab eval DB [--curve]</code>");
	HAS(html, "Nothing labelled yet");
	HAS(html, "<dt>reviews</dt><dd>0</dd>");
	ck_assert_int_eq(count(html, "<svg"), 0);
	ck_assert_int_eq(count(html, "<script"), 0);
	ck_assert_str_eq(html + strlen(html) - 8, "</html>\n");
	free(html);
	/* Reading is all a report does. */
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Only the report itself besides the store. */
	ck_assert_int_eq(access(tu_path("r.html"), F_OK), 0);
}
END_TEST

START_TEST(bad_output_path)
{
	int before = files_in_dir();
	const char *out = tu_path("no/such/dir/r.html");
	ck_assert_int_eq(rl_report_file(db, NULL, out), RL_EIO);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), out));
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "cannot create"));
	ck_assert_int_eq(files_in_dir(), before);
	/* A folder in the way: nothing written, the folder left alone. */
	ck_assert_int_eq(mkdir(tu_path("d.html"), 0755), 0);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("d.html")),
			 RL_EIO);
	ck_assert_int_eq(files_in_dir(), before + 1);
	/* Bad options are named. */
	rl_report_opts o;
	rl_report_opts_init(&o);
	o.samples = -1;
	ck_assert_int_eq(rl_report_file(db, &o, tu_path("r.html")),
			 RL_EINVAL);
	ck_assert_int_eq(access(tu_path("r.html"), F_OK), -1);
	/* An old report stays whole when the new one fails. */
	tu_write("old.html", "old", 0);
	ck_assert_int_eq(rl_report_file(db, &o, tu_path("old.html")),
			 RL_EINVAL);
	char *old = slurp(tu_path("old.html"));
	ck_assert_str_eq(old, "old");
	free(old);
	/* ... and is replaced whole when it succeeds. */
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("old.html")),
			 RL_OK);
	old = slurp(tu_path("old.html"));
	HAS(old, "<!DOCTYPE html>");
	free(old);
	ck_assert_int_eq(files_in_dir(), before + 2);
}
END_TEST

/* Reviews no page should trust: markup, entities, quotes, emoji,
 * right-to-left text, a control character; and a label with markup. */
START_TEST(hostile_reviews)
{
	ck_assert_int_eq(rl_import_file(db, tu_write("h.jsonl",
		"{\"id\":\"x1\",\"text\":\"<script>alert(1)</script> cheap\"}\n"
		"{\"id\":\"x2\",\"text\":\"Tom & Jerry's \\\"deal\\\" cheap\"}\n"
		"{\"id\":\"x3\",\"text\":\"fast \\ud83d\\ude00 shipping "
		"\\u05e9\\u05dc\\u05d5\\u05dd\"}\n"
		"{\"id\":\"<i>x4</i>\",\"text\":\"fast shipping \\u0007 "
		"bell\"}\n"
		"{\"id\":\"x5\",\"text\":\"cheap cheap price\"}\n"
		"{\"id\":\"x6\",\"text\":\"fast courier shipping\"}\n", 0),
		NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 2;
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "x5", "<b>price</b>"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "x6", "ship&\"go\"x"), RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"<b>price</b>\t<script>|cheap\n", 0), &ro, NULL), RL_OK);
	ck_assert_int_eq(rl_propagate(db, NULL, NULL), RL_OK);
	rl_report_opts o;
	rl_report_opts_init(&o);
	o.samples = 100;
	o.title = "<title>&";
	const char *out = tu_path("r.html");
	ck_assert_int_eq(rl_report_file(db, &o, out), RL_OK);
	char *html = slurp(out);
	ck_assert_int_eq(count(html, "<script"), 0);
	ck_assert_int_eq(count(html, "<b>"), 0);
	ck_assert_int_eq(count(html, "<i>"), 0);
	HAS(html, "<title>&lt;title&gt;&amp;</title>");
	HAS(html, "&lt;script&gt;alert(1)&lt;/script&gt; cheap");
	HAS(html, "Tom &amp; Jerry&#39;s &quot;deal&quot; cheap");
	HAS(html, "fast \xf0\x9f\x98\x80 shipping \xd7\xa9\xd7\x9c\xd7\x95"
		  "\xd7\x9d");
	HAS(html, "&lt;i&gt;x4&lt;/i&gt;");
	HAS(html, "fast shipping \xef\xbf\xbd bell");
	HAS(html, "&lt;b&gt;price&lt;/b&gt;");
	HAS(html, "ship&amp;&quot;go&quot;x");
	HAS(html, "<td dir=\"auto\">");
	free(html);
}
END_TEST

/* The README's example, through the library, then the report. */
static void example_pipeline(void)
{
	char f[700];
	snprintf(f, sizeof f, "%s/../../examples/reviews.tsv",
		 RL_TEST_DATA_DIR);
	ck_assert_int_eq(rl_import_file(db, f, NULL, NULL), RL_OK);
	snprintf(f, sizeof f, "%s/../../examples/seeds.tsv", RL_TEST_DATA_DIR);
	ck_assert_int_eq(rl_seed_file(db, f, NULL), RL_OK);
	snprintf(f, sizeof f, "%s/../../examples/rules.txt", RL_TEST_DATA_DIR);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, f, &ro, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_propagate(db, NULL, NULL), RL_OK);
	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	eo.curve = 1;
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_eval(db, &eo, &r), RL_OK);
	uint64_t n;
	ck_assert_int_eq(rl_label_with(db, r->best, &eo, &n), RL_OK);
	rl_eval_report_free(r);
}

START_TEST(example_report)
{
	example_pipeline();
	char *before = tu_digest(db_path);
	const char *out = tu_path("r.html");
	ck_assert_int_eq(rl_report_file(db, NULL, out), RL_OK);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	char *html = slurp(out);
	/* Every chart. */
	HAS(html, "aria-label=\"Reviews per label, by source\"");
	HAS(html, "aria-label=\"Rule coverage and precision on the hand "
		  "labels\"");
	HAS(html, "aria-label=\"Reviews where rules for two labels fire\"");
	HAS(html, "aria-label=\"Confusion matrix\"");
	HAS(html, "aria-label=\"Learning curve: macro-F1");
	HAS(html, "aria-label=\"Reliability diagram");
	HAS(html, "aria-label=\"Confidence of the inferred labels\"");
	ck_assert_int_eq(count(html, "<svg"), 7);
	ck_assert_int_eq(count(html, "</svg>"), 7);
	ck_assert_int_eq(count(html, "class=\"note\""), 0);
	/* A single-label store's page has no multi-label sections. */
	ck_assert_ptr_null(strstr(html, "Labels per review"));
	ck_assert_ptr_null(strstr(html, "Labels on the same review"));
	HAS(html, "<h2>Rule conflicts between labels</h2>");
	ck_assert_int_eq(count(html, "http:"), 0);
	ck_assert_int_eq(count(html, "<script"), 0);

	/* The numbers are the store's. */
	char want[256];
	snprintf(want, sizeof want, "<dt>reviews</dt><dd>%lld</dd>",
		 tu_int(db_path, "SELECT count(*) FROM reviews"));
	HAS(html, want);
	snprintf(want, sizeof want, "<dt>hand labels</dt><dd>%lld</dd>",
		 tu_int(db_path, "SELECT count(*) FROM seeds"));
	HAS(html, want);
	const char *labels[] = { "neg", "pos" };
	/* The example is labelled by the model (the way eval picks for it
	 * since self-training; the blend before). */
	const char *sources[] = { "seed", "model" };
	for (int l = 0; l < 2; l++)
		for (int s = 0; s < 2; s++) {
			char sql[256];
			snprintf(sql, sizeof sql, "SELECT count(*) FROM "
				 "labelled_reviews WHERE label = '%s' AND "
				 "source = '%s'", labels[l], sources[s]);
			long long c = tu_int(db_path, sql);
			ck_assert_int_gt(c, 0);
			snprintf(want, sizeof want, "%s, %s: %lld reviews",
				 labels[l], sources[s], c);
			HAS(html, want);
		}
	snprintf(want, sizeof want, "%lld abstained", tu_int(db_path,
		 "SELECT count(*) FROM labelled_reviews WHERE label IS NULL"));
	HAS(html, want);
	/* Rule precision as rules stats computes it. */
	rl_rules_report *rr = NULL;
	ck_assert_int_eq(rl_rules_report_get(db, &rr), RL_OK);
	for (size_t i = 0; i < rr->n; i++) {
		const rl_rule_report *x = &rr->rules[i];
		snprintf(want, sizeof want, "line %d: %llu reviews", x->line,
			 (unsigned long long)x->hits);
		HAS(html, want);
		if (x->precision < 0)
			continue;
		snprintf(want, sizeof want, "line %d: precision %.2f [%.2f, "
			 "%.2f], %llu of %llu hand labels", x->line,
			 x->precision, x->ci_low, x->ci_high,
			 (unsigned long long)x->seed_correct,
			 (unsigned long long)x->seed_hits);
		HAS(html, want);
	}
	rl_rules_report_free(rr);
	/* Confusion cells from the stored evaluation. */
	char *best = tu_text(db_path, "SELECT json_extract(result, '$.best') "
			     "FROM evals ORDER BY id DESC LIMIT 1");
	for (int g = 0; g < 2; g++)
		for (int p = 0; p < 2; p++) {
			char sql[256];
			snprintf(sql, sizeof sql, "SELECT json_extract(result, "
				 "'$.methods.%s.confusion[%d][%d]') FROM evals "
				 "ORDER BY id DESC LIMIT 1", best, g, p);
			snprintf(want, sizeof want, "%s / %s: %lld</title>",
				 labels[g], labels[p], tu_int(db_path, sql));
			HAS(html, want);
		}
	snprintf(want, sizeof want, "Confusion matrix of %s", best);
	HAS(html, want);
	free(best);
	/* The baselines: rows of their own under the methods, and faint
	 * dashed lines on the learning curve. */
	HAS(html, "The baselines, scored alike but never chosen");
	HAS(html, "<tr class=\"baseline\"><td><span class=\"sw\" "
		  "style=\"background:#8c8c8c\"></span>majority (baseline)");
	HAS(html, "</span>seeds-only (baseline)</td>");
	ck_assert_ptr_null(strstr(html, "(baseline) (chosen)"));
	HAS(html, "<title>seeds-only, 1 per label: ");
	HAS(html, "<polyline fill=\"none\" stroke=\"#8c8c8c\" "
		  "stroke-width=\"2.5\" stroke-dasharray");
	/* Conflicts between labels: reviews where rules for both fire. */
	snprintf(want, sizeof want, "neg / pos: %lld</title>", tu_int(db_path,
		 "SELECT count(DISTINCT a.review_id) FROM rule_hits a JOIN "
		 "rules ra ON ra.id = a.rule_id JOIN labels la ON la.id = "
		 "ra.label_id JOIN rule_hits b ON b.review_id = a.review_id "
		 "JOIN rules rb ON rb.id = b.rule_id JOIN labels lb ON lb.id "
		 "= rb.label_id WHERE la.name = 'neg' AND lb.name = 'pos'"));
	HAS(html, want);
	/* The histogram counts every inferred label once. */
	long long inferred = tu_int(db_path, "SELECT count(*) FROM "
				    "assignments WHERE source <> 'seed'");
	snprintf(want, sizeof want, "The confidence of the %lld labels",
		 inferred);
	HAS(html, want);
	/* The least confident review of a label is shown. */
	char *low = tu_text(db_path, "SELECT id FROM labelled_reviews WHERE "
			    "label = 'pos' AND source <> 'seed' ORDER BY "
			    "confidence, id LIMIT 1");
	snprintf(want, sizeof want, "<tr><td>%s</td>", low);
	HAS(html, want);
	free(low);
	free(html);

	/* To a stream, the same page. */
	FILE *f = fopen(tu_path("s.html"), "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(rl_report_write(db, NULL, f), RL_OK);
	fclose(f);
	html = slurp(tu_path("s.html"));
	ck_assert_int_eq(count(html, "<svg"), 7);
	free(html);
}
END_TEST

/* Without a learning curve, and with no evaluation at all, the notes say
 * what to run. */
START_TEST(notes_without_eval)
{
	example_pipeline();
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("a.html")), RL_OK);
	char *html = slurp(tu_path("a.html"));
	ck_assert_int_eq(count(html, "class=\"note\""), 0);
	free(html);
	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	rl_eval_report *r = NULL;
	ck_assert_int_eq(rl_eval(db, &eo, &r), RL_OK);
	rl_eval_report_free(r);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("b.html")), RL_OK);
	html = slurp(tu_path("b.html"));
	HAS(html, "no learning curve: run <code>revlab eval DB --curve");
	ck_assert_int_eq(count(html, "<svg"), 6);
	free(html);
	rl_db_close(db);
	db = NULL;
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "DELETE FROM evals", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("c.html")), RL_OK);
	html = slurp(tu_path("c.html"));
	HAS(html, "No evaluation stored yet");
	ck_assert_int_eq(count(html, "<svg"), 4);
	free(html);
	/* A stored evaluation that is not what this revlab writes (damaged,
	 * or from another version) still gives a page, with gaps noted. */
	rl_db_close(db);
	db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO evals(result) VALUES "
				      "('{\"best\":\"<x>\",\"labels\":"
				      "[1,\"a\"],\"methods\":7}'), "
				      "('not json')", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("d.html")), RL_OK);
	html = slurp(tu_path("d.html"));
	HAS(html, "This evaluation has no confusion matrix");
	HAS(html, "no learning curve");
	HAS(html, "<td>&#8211;</td>");
	free(html);
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "DELETE FROM evals WHERE result = "
				      "'not json'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("e.html")), RL_OK);
	html = slurp(tu_path("e.html"));
	HAS(html, "This evaluation has no confusion matrix");
	ck_assert_int_eq(count(html, "&lt;x&gt;"), 0);
	free(html);
	/* A hostile one: markup for a classifier, negative and huge
	 * counts, a learning curve at 0 seeds per label. The page escapes
	 * the text, draws no NaN and no curve it cannot place. */
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO evals(result) VALUES "
		"('{\"seeds\":4,\"folds\":2,\"model\":\"<img src=//a.bc\","
		"\"best\":\"model\",\"labels\":[\"a\",\"b\"],\"methods\":"
		"{\"model\":{\"accuracy\":-1,\"macro_f1\":1e300,"
		"\"confusion\":[[-5,1e300],[2,-0.0]]}},"
		"\"curve\":[{\"per_label\":0,\"rules\":0.5,"
		"\"propagation\":0.5,\"model\":0.5}]}')", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("f.html")), RL_OK);
	html = slurp(tu_path("f.html"));
	ck_assert_ptr_null(strstr(html, "<img"));
	HAS(html, "&lt;img src=//a.bc");
	ck_assert_ptr_null(strstr(html, "nan"));
	ck_assert_ptr_null(strstr(html, "inf\""));
	HAS(html, "no learning curve");
	free(html);
	/* One stored by a revlab that had no blend yet: its curve still
	 * draws, with the three methods it has. */
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO evals(result) VALUES "
		"('{\"seeds\":4,\"folds\":2,\"model\":\"nb\","
		"\"best\":\"model\",\"labels\":[\"a\",\"b\"],"
		"\"curve\":[{\"seeds_per_label\":1,\"macro_f1\":{\"rules\":"
		"0.5,\"propagation\":0.6,\"model\":0.7}},{\"seeds_per_label\":"
		"2,\"macro_f1\":{\"rules\":0.5,\"propagation\":0.65,"
		"\"model\":0.8}}]}')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("g.html")), RL_OK);
	html = slurp(tu_path("g.html"));
	HAS(html, "aria-label=\"Learning curve: macro-F1");
	HAS(html, "<title>model, 2 per label: 0.800</title>");
	HAS(html, "<title>propagation, 1 per label: 0.600</title>");
	ck_assert_ptr_null(strstr(html, "<title>blend, "));
	ck_assert_ptr_null(strstr(html, "-1.000"));
	/* nor baselines, in the table, the text or the curve */
	ck_assert_ptr_null(strstr(html, "(baseline)"));
	ck_assert_ptr_null(strstr(html, "The baselines"));
	ck_assert_ptr_null(strstr(html, "<title>majority, "));
	free(html);
}
END_TEST

/* The html between two strings (malloc'd), which must both be there. */
static char *between(const char *html, const char *from, const char *to)
{
	const char *a = strstr(html, from);
	ck_assert_msg(a != NULL, "'%s' not in report", from);
	const char *b = strstr(a, to);
	ck_assert_msg(b != NULL, "'%s' not after '%s'", to, from);
	char *s = strndup(a, (size_t)(b - a));
	ck_assert_ptr_nonnull(s);
	return s;
}

/* A multi-label store labelled by SQL as a run leaves one: hand labels
 * (whose reviews' stale assignments must not count), assignments of
 * several labels and sources, abstentions, a label on no review. */
START_TEST(multi_label_report)
{
	rl_db_close(db);
	snprintf(db_path, sizeof db_path, "%s", tu_path("m.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("m.tsv",
		"id\ttext\n"
		"r1\tcheap, and the courier was quick\n"
		"r2\tcheap courier, solid build\n"
		"r3\tsolid build\n"
		"r4\tcheap and the courier came\n"
		"r5\tcourier late\n"
		"r6\tcheap solid thing\n"
		"r7\tnothing to say\n"
		"r8\tmeh\n", 0), NULL, NULL), RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, tu_write("r.txt",
		"price\tcheap\nship\tcourier\n", 0), &ro, NULL), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "quality"), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "zero"), RL_OK);
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s,
		"CREATE TEMP VIEW l AS SELECT id, name FROM labels;"
		"CREATE TEMP VIEW r AS SELECT id, ext_id FROM reviews;"
		"INSERT INTO seeds(review_id, label_id) SELECT r.id, l.id FROM "
		"r, l WHERE (r.ext_id, l.name) IN (VALUES ('r1', 'price'), "
		"('r1', 'ship'), ('r2', 'price'), ('r2', 'ship'), "
		"('r2', 'quality'), ('r3', 'quality'));"
		"INSERT INTO assignments(review_id, label_id, confidence, "
		"source) SELECT r.id, l.id, v.column3, v.column4 FROM r, l, "
		"(VALUES ('r1', 'price', 1, 'seed'), ('r1', 'ship', 1, 'seed'),"
		" ('r3', 'price', 0.3, 'model'),"
		" ('r4', 'price', 0.9, 'model'), ('r4', 'ship', 0.6, 'rule'),"
		" ('r5', 'ship', 0.4, 'propagation'),"
		" ('r6', 'price', 0.7, 'model'),"
		" ('r6', 'quality', 0.55, 'cluster')) v "
		"WHERE r.ext_id = v.column1 AND l.name = v.column2;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);

	char *before = tu_digest(db_path);
	rl_report_opts o;
	rl_report_opts_init(&o);
	o.samples = 2;
	ck_assert_int_eq(rl_report_file(db, &o, tu_path("m.html")), RL_OK);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	char *html = slurp(tu_path("m.html"));
	/* Each label of a review by its source; a hand-labelled review's
	 * stale assignment (r3's price) is not counted. */
	HAS(html, "11 labels on 6 reviews, 2 abstained");
	HAS(html, "<dt>abstained</dt><dd>2</dd>");
	HAS(html, "price, seed: 2 reviews");
	HAS(html, "ship, seed: 2 reviews");
	HAS(html, "quality, seed: 2 reviews");
	HAS(html, "price, model: 2 reviews");
	HAS(html, "ship, rule: 1 reviews");
	HAS(html, "ship, propagation: 1 reviews");
	HAS(html, "quality, cluster: 1 reviews");
	ck_assert_ptr_null(strstr(html, "zero, "));
	/* How many labels a review carries. */
	HAS(html, "aria-label=\"Reviews by how many labels they carry\"");
	HAS(html, "hand-labelled reviews carry 2.00 on average (3 reviews), "
		  "those revlab labelled 1.67 on average (3 reviews)");
	HAS(html, "none, abstained: 2 reviews");
	HAS(html, "1 label, hand-labelled: 1 reviews");
	HAS(html, "2 labels, hand-labelled: 1 reviews");
	HAS(html, "3 labels, hand-labelled: 1 reviews");
	HAS(html, "1 label, labelled by revlab: 1 reviews");
	HAS(html, "2 labels, labelled by revlab: 2 reviews");
	/* (no rows past the most labels a review carries) */
	ck_assert_ptr_null(strstr(html, "4 labels"));
	/* Labels on the same review, hand labels and revlab's apart. */
	char *hand = between(html, "aria-label=\"Labels together on "
			     "hand-labelled reviews\"", "</svg>");
	HAS(hand, "price / ship: 2</title>");
	HAS(hand, "ship / price: 2</title>");
	HAS(hand, "price / quality: 1</title>");
	HAS(hand, "quality / quality: 2</title>");
	HAS(hand, "price / price: 2</title>");
	ck_assert_ptr_null(strstr(hand, "zero"));
	free(hand);
	char *mine = between(html, "aria-label=\"Labels together on reviews "
			     "revlab labelled\"", "</svg>");
	HAS(mine, "price / ship: 1</title>");
	HAS(mine, "price / quality: 1</title>");
	HAS(mine, "ship / quality: 0</title>");
	HAS(mine, "price / price: 2</title>");
	HAS(mine, "ship / ship: 2</title>");
	ck_assert_ptr_null(strstr(mine, "zero"));
	free(mine);
	HAS(html, "<figcaption>Hand-labelled reviews (3)</figcaption>");
	HAS(html, "<figcaption>Reviews revlab labelled (3)</figcaption>");
	/* Rules for two labels on one review are no conflict here. */
	HAS(html, "<h2>Rules firing together</h2>");
	HAS(html, "may well carry both");
	ck_assert_ptr_null(strstr(html, "Rule conflicts between labels"));
	/* The confidence of the labels revlab gave: not r3's. */
	HAS(html, "The confidence of the 5 labels revlab inferred");
	ck_assert_ptr_null(strstr(html, "price, confidence 0.30"));
	/* The least confident labels revlab gave, per label: r3's stale
	 * 0.3 is no label of r3's. */
	char *low = between(html, "Least confident reviews per label",
			    "</section>");
	HAS(low, "<tr><td>r6</td><td>0.700</td><td>model</td>");
	HAS(low, "<tr><td>r5</td><td>0.400</td><td>propagation</td>");
	ck_assert_ptr_null(strstr(low, "<td>r3</td>"));
	free(low);
	/* The charts: sources, cardinality, the two matrices, rules, rules
	 * together, the confidence histogram. */
	ck_assert_int_eq(count(html, "<svg"), 7);
	free(html);

	/* Nothing labelled yet: the sections say so. */
	rl_db_close(db);
	snprintf(db_path, sizeof db_path, "%s", tu_path("e.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_report_file(db, NULL, tu_path("e.html")), RL_OK);
	html = slurp(tu_path("e.html"));
	HAS(html, "<h2>Labels per review</h2>\n<p class=\"note\">No reviews "
		  "yet.");
	HAS(html, "<h2>Labels on the same review</h2>\n<p class=\"note\">"
		  "No review carries a label yet.");
	ck_assert_int_eq(count(html, "<svg"), 0);
	free(html);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, escape_hostile_text);
	tcase_add_test(tc, empty_store);
	tcase_add_test(tc, bad_output_path);
	tcase_add_test(tc, hostile_reviews);
	tcase_add_test(tc, example_report);
	tcase_add_test(tc, notes_without_eval);
	tcase_add_test(tc, multi_label_report);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
