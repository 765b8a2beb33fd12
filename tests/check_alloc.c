/*
 * check_alloc.c - fail each allocation in turn, as SQLite's own tests do:
 * every stage must come back with an error (never crash), leak nothing
 * (AddressSanitizer's leak check watches this suite), and leave the store
 * exactly as it was. The library's malloc, calloc and realloc calls are
 * routed through the wrappers below by the linker (-Wl,--wrap=...).
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store.h"
#include "failalloc.h"
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
	fa_countdown = 0;
	rl_db_close(db);
	tu_teardown();
}

typedef int (*stage_fn)(void *arg);

/* Runs fn with the 1st, 2nd, ... allocation failing until it succeeds;
 * returns how many allocations it made. Each failure must come back as
 * an error and, for a one-transaction stage, leave the store exactly as
 * it was. With `staged`, for a call of several stages each its own
 * transaction (rl_run), a failure may leave the stages before it done:
 * the store must then only be sound, and the call that finally succeeds,
 * after all those partial ones, must label as a clean call does (the
 * caller compares). */
static int failing_allocations(stage_fn fn, void *arg, int staged)
{
	char *before = staged ? NULL : tu_digest(db_path);
	const int limit = staged ? 20000 : 5000;
	int n;
	for (n = 1; n < limit; n++) {
		fa_failed = 0;
		fa_countdown = n;
		int rc = fn(arg);
		fa_countdown = 0;
		if (!fa_failed) {
			ck_assert_int_eq(rc, RL_OK);
			break;
		}
		ck_assert_msg(rc < 0, "allocation %d failed, yet rc %d", n,
			      rc);
		char *after = staged
			? tu_text(db_path, "PRAGMA integrity_check")
			: tu_digest(db_path);
		ck_assert_msg(!strcmp(staged ? "ok" : before, after),
			      "allocation %d: %s", n, staged ? after
			      : "store changed");
		free(after);
	}
	free(before);
	ck_assert_int_lt(n, limit);
	return n;
}

static int each_allocation(stage_fn fn, void *arg)
{
	return failing_allocations(fn, arg, 0);
}

static int each_allocation_staged(stage_fn fn, void *arg)
{
	return failing_allocations(fn, arg, 1);
}

static int do_import(void *arg)
{
	return rl_import_file(db, arg, NULL, NULL);
}

static int do_tokenize(void *arg)
{
	(void)arg;
	return rl_tokenize(db, NULL, NULL);
}

/* Negated words kept beside their not_ forms: the scope's buffer. */
static int do_tokenize_kept(void *arg)
{
	(void)arg;
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	o.negation = 2;
	return rl_tokenize(db, &o, NULL);
}

static int do_vectorize(void *arg)
{
	(void)arg;
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.dim = 4;
	return rl_vectorize(db, &o, NULL);
}

/* Vectorize streaming: batches of 2 reviews, LSA from 3 of them (a new
 * fit after do_vectorize's, as the sample is part of it). */
static int do_vectorize_stream(void *arg)
{
	(void)arg;
	rl_vectorize_opts o;
	rl_vectorize_opts_init(&o);
	o.dim = 4;
	o.batch = 2;
	o.lsa_sample = 3;
	return rl_vectorize(db, &o, NULL);
}

static int do_graph(void *arg)
{
	(void)arg;
	rl_graph_opts o;
	rl_graph_opts_init(&o);
	o.k = 2;
	return rl_graph(db, &o, NULL);
}

/* NN-descent on int16 LSA rows, read a chunk at a time. */
static int do_graph_compact(void *arg)
{
	(void)arg;
	rl_graph_opts o;
	rl_graph_opts_init(&o);
	o.k = 2;
	o.vectors = RL_VECTORS_LSA;
	o.exact_below = 0;
	o.compact_above = 0;
	o.recall_sample = 4;
	return rl_graph(db, &o, NULL);
}

static int do_seed(void *arg)
{
	return rl_seed_file(db, arg, NULL);
}

static int do_rules(void *arg)
{
	rl_rules_opts o = { .create_labels = 1 };
	return rl_rules_load(db, arg, &o, NULL);
}

static int do_apply(void *arg)
{
	(void)arg;
	return rl_rules_apply(db, NULL, NULL);
}

static int do_report(void *arg)
{
	(void)arg;
	rl_rules_report *r = NULL;
	int rc = rl_rules_report_get(db, &r);
	rl_rules_report_free(r);
	return rc;
}

static int do_propagate(void *arg)
{
	(void)arg;
	return rl_propagate(db, NULL, NULL);
}

static int do_eval(void *arg)
{
	(void)arg;
	rl_eval_report *r = NULL;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	int rc = rl_eval(db, &o, &r);
	rl_eval_report_free(r);
	return rc;
}

static int do_label(void *arg)
{
	uint64_t n;
	(void)arg;
	return rl_label_with(db, RL_METHOD_MODEL, NULL, &n);
}

/* The blend, with a neighbour count and class shares to record. */
static int do_label_blend(void *arg)
{
	uint64_t n;
	rl_eval_opts o;
	(void)arg;
	rl_eval_opts_init(&o);
	o.prop.neighbours = 1;
	o.prop.class_prior = RL_PRIOR_UNIFORM;
	return rl_label_with(db, RL_METHOD_BLEND, &o, &n);
}

/* The HTML report: a failure leaves no file behind. */
static int do_html(void *arg)
{
	int rc = rl_report_file(db, NULL, arg);
	if (rc != RL_OK)
		ck_assert_int_eq(access(arg, F_OK), -1);
	return rc;
}

static int on_row(void *ctx, const rl_labelled_row *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

/* The labelled table, streamed and as a new SQLite file (a failure
 * leaves no file behind). */
static int do_rows(void *arg)
{
	(void)arg;
	return rl_labelled_rows(db, NULL, on_row, NULL);
}

static int do_export(void *arg)
{
	int rc = rl_export_sqlite(db, NULL, arg);
	if (rc != RL_OK)
		ck_assert_int_eq(access(arg, F_OK), -1);
	return rc;
}

static int on_pred(void *ctx, const rl_prediction *p)
{
	(void)ctx;
	(void)p;
	return 0;
}

static int do_predict(void *arg)
{
	uint64_t n;
	return rl_predict_file(db, arg, NULL, 0, 2, on_pred, NULL, &n);
}

/* The model object `arg`: saved, loaded again and predicting (making it
 * from the store is do_predict's first step); a failed save leaves no
 * file. */
static int do_model(void *arg)
{
	const char *texts[] = { "cheap and fast", "" };
	rl_model *back = NULL;
	int32_t labels[4];
	double conf[4];
	char err[512], path[512];
	snprintf(path, sizeof path, "%s/m.rlm", tu_dir);
	unlink(path);
	int rc = rl_model_save(arg, path, err, sizeof err);
	if (rc != RL_OK)
		ck_assert_int_eq(access(path, F_OK), -1);
	if (rc == RL_OK)
		rc = rl_model_load(path, &back, err, sizeof err);
	if (rc == RL_OK)
		rc = rl_model_predict(back, texts, NULL, 2, 2, labels, conf,
				      err, sizeof err);
	rl_model_free(back);
	return rc;
}

static int do_clusters(void *arg)
{
	rl_clusters_opts o;
	rl_clusters_opts_init(&o);
	o.k = *(int *)arg;
	return rl_clusters(db, &o, NULL);
}

static int do_name(void *arg)
{
	(void)arg;
	return rl_cluster_name(db, 0, "named", 2, NULL);
}

static int on_cluster(void *ctx, const rl_cluster_info *c)
{
	(void)ctx;
	(void)c;
	return 0;
}

static int do_cluster_list(void *arg)
{
	(void)arg;
	return rl_clusters_each(db, on_cluster, NULL);
}

static int on_next(void *ctx, const rl_next_item *it)
{
	(void)ctx;
	(void)it;
	return 0;
}

static int do_next(void *arg)
{
	(void)arg;
	return rl_next(db, NULL, 3, on_next, NULL);
}

static int on_suspect(void *ctx, const rl_suspect *s)
{
	(void)ctx;
	(void)s;
	return 0;
}

static int do_suspects(void *arg)
{
	(void)arg;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	return rl_suspects(db, &o, 3, on_suspect, NULL, NULL);
}

/* Another annotator's answer, arg {id, label, annotator}: the review's
 * hand label is resolved again from every answer. */
static int do_second(void *arg)
{
	const char *const *a = arg;
	return rl_seed_set_as(db, a[0], a[1], a[2]);
}

static int do_agreement(void *arg)
{
	(void)arg;
	rl_agreement_report *a = NULL;
	int rc = rl_agreement(db, &a);
	rl_agreement_free(a);
	return rc;
}

static int on_annotator(void *ctx, const rl_annotator_disputes *a)
{
	(void)ctx;
	(void)a;
	return 0;
}

static int do_by_annotator(void *arg)
{
	(void)arg;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	return rl_suspects_by_annotator(db, &o, on_annotator, NULL, NULL);
}

/* The whole job, on a store whose stages before propagation are up to
 * date, so that a failure anywhere leaves it as it was. */
static int do_run(void *arg)
{
	(void)arg;
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.vec.dim = 4;
	o.graph.k = 2;
	o.train.folds = 2;
	rl_run_report *r = NULL;
	int rc = rl_run(db, &o, &r);
	rl_run_report_free(r);
	return rc;
}

/* The inputs every test starts from. */
static const char *csv, *jl, *seeds, *rules;

static void write_inputs(void)
{
	csv = tu_write("r.csv", "id,text,stars\n"
		       "1,\"Cheap, and it broke\",1\n"
		       "2,Fast shipping and cheap,5\n"
		       "3,\"broke fast, cheap price\",2\n", 0);
	jl = tu_write("r.jsonl", "{\"id\":4,\"text\":\"cheap "
		      "price\",\"x\":[1]}\n", 0);
	seeds = tu_write("s.tsv", "id\tlabel\n1\tbad\n2\tgood\n", 0);
	rules = tu_write("r.txt", "bad\tbroke\n!good\tbroke\n"
			 "good\tfast\t2\n", 0);
}

/* The stages before the one a test fails, run without failures, so that
 * each test starts where the one before it in the pipeline ended and the
 * tests can run at once. */
enum { UPTO_CORPUS = 1, UPTO_EVIDENCE, UPTO_LABELS };

static void prepare(int upto)
{
	write_inputs();
	if (upto < UPTO_CORPUS)
		return;
	ck_assert_int_eq(do_import((void *)csv), RL_OK);
	ck_assert_int_eq(do_import((void *)jl), RL_OK);
	ck_assert_int_eq(do_tokenize(NULL), RL_OK);
	ck_assert_int_eq(do_vectorize(NULL), RL_OK);
	ck_assert_int_eq(do_graph(NULL), RL_OK);
	if (upto < UPTO_EVIDENCE)
		return;
	ck_assert_int_eq(do_seed((void *)seeds), RL_OK);
	ck_assert_int_eq(do_rules((void *)rules), RL_OK);
	ck_assert_int_eq(do_apply(NULL), RL_OK);
	ck_assert_int_eq(do_propagate(NULL), RL_OK);
	if (upto < UPTO_LABELS)
		return;
	ck_assert_int_eq(rl_seed_set(db, "3", "bad"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "4", "good"), RL_OK);
}

START_TEST(ingest)
{
	prepare(0);
	ck_assert_int_gt(each_allocation(do_import, (void *)csv), 1);
	ck_assert_int_gt(each_allocation(do_import, (void *)jl), 1);
	ck_assert_int_gt(each_allocation(do_tokenize, NULL), 1);
	ck_assert_int_gt(each_allocation(do_vectorize, NULL), 1);
	ck_assert_int_gt(each_allocation(do_vectorize_stream, NULL), 1);
	ck_assert_int_gt(each_allocation(do_graph, NULL), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM neighbours"),
			 8);
	ck_assert_int_gt(each_allocation(do_graph_compact, NULL), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM neighbours"),
			 8);
	ck_assert_int_eq(do_import((void *)tu_write("n.jsonl", "{\"id\":5,"
		"\"text\":\"never cheap, not fast at all\"}\n", 0)), RL_OK);
	ck_assert_int_gt(each_allocation(do_tokenize_kept, NULL), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM terms WHERE "
				"term = 'not_cheap'"), 1);
}
END_TEST

START_TEST(evidence)
{
	prepare(UPTO_CORPUS);
	ck_assert_int_gt(each_allocation(do_seed, (void *)seeds), 1);
	ck_assert_int_gt(each_allocation(do_rules, (void *)rules), 1);
	ck_assert_int_gt(each_allocation(do_apply, NULL), 1);
	ck_assert_int_gt(each_allocation(do_propagate, NULL), 1);
	/* The rules' report writes nothing; it must still fail cleanly. */
	ck_assert_int_gt(each_allocation(do_report, NULL), 1);
}
END_TEST

START_TEST(labelling)
{
	prepare(UPTO_LABELS);
	ck_assert_int_gt(each_allocation(do_eval, NULL), 1);
	ck_assert_int_gt(each_allocation(do_label, NULL), 1);
	ck_assert_int_gt(each_allocation(do_label_blend, NULL), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM settings "
				"WHERE key IN ('neighbours', 'class_prior')"),
			 2);
	ck_assert_int_gt(each_allocation(do_predict, (void *)csv), 1);
	rl_model *model = NULL;
	ck_assert_int_eq(rl_model_get(db, 0, &model), RL_OK);
	ck_assert_int_gt(each_allocation(do_model, model), 1);
	rl_model_free(model);
	/* next and suspects write nothing; they must fail cleanly too. */
	ck_assert_int_gt(each_allocation(do_next, NULL), 1);
	ck_assert_int_gt(each_allocation(do_suspects, NULL), 1);
	/* Annotators: a second one's answers, agreement, who is disputed. */
	static const char *agree[] = { "1", "bad", "bob" },
			  *other[] = { "4", "bad", "bob" },
			  *third[] = { "4", "good", "cyd" };
	ck_assert_int_gt(each_allocation(do_second, (void *)agree), 1);
	ck_assert_int_gt(each_allocation(do_second, (void *)other), 1);
	ck_assert_int_gt(each_allocation(do_second, (void *)third), 1);
	ck_assert_int_gt(each_allocation(do_agreement, NULL), 1);
	ck_assert_int_gt(each_allocation(do_by_annotator, NULL), 1);
}
END_TEST

/* The assignments of the store at path, as canonical text. */
static char *assignments(const char *path)
{
	return tu_text(path, "SELECT group_concat(review_id || ':' || "
		       "label_id || ':' || printf('%.12f', confidence) || "
		       "':' || source, ' ') FROM (SELECT * FROM assignments "
		       "ORDER BY review_id, label_id)");
}

START_TEST(run)
{
	/* A clean run first, on a store of its own, for the answer. */
	prepare(UPTO_LABELS);
	ck_assert_int_eq(do_run(NULL), RL_OK);
	char *clean = assignments(db_path);
	rl_db_close(db);
	ck_assert_int_eq(unlink(db_path), 0);
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	prepare(UPTO_LABELS);
	ck_assert_int_gt(each_allocation_staged(do_run, NULL), 1);
	char *got = assignments(db_path);
	ck_assert_str_eq(got, clean);
	free(got);
	free(clean);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM models"), 1);
}
END_TEST

static int do_vacuum(void *arg)
{
	return rl_vacuum(db, *(int *)arg, NULL);
}

/* vacuum keeps every row; vacuum --derived drops its tables whole or
 * not at all (VACUUM after the drop's commit may fail), and the run
 * after labels as before. */
START_TEST(vacuum)
{
	prepare(UPTO_LABELS);
	ck_assert_int_eq(do_run(NULL), RL_OK);
	char *clean = assignments(db_path);
	int derived = 0;
	ck_assert_int_gt(each_allocation(do_vacuum, &derived), 1);
	derived = 1;
	ck_assert_int_gt(each_allocation_staged(do_vacuum, &derived), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM vectors"), 0);
	ck_assert_int_eq(do_run(NULL), RL_OK);
	char *got = assignments(db_path);
	ck_assert_str_eq(got, clean);
	free(got);
	free(clean);
}
END_TEST

START_TEST(clusters)
{
	/* Reviews 3 and 4 stay unlabelled, so naming has some. */
	prepare(UPTO_EVIDENCE);
	int k = 2;
	ck_assert_int_gt(each_allocation(do_clusters, &k), 1);
	/* k chosen by silhouette (the sweep allocates too) */
	k = 0;
	ck_assert_int_gt(each_allocation(do_clusters, &k), 1);
	ck_assert_int_gt(each_allocation(do_name, NULL), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds WHERE "
				"origin = 'cluster'"), 2);
	ck_assert_int_gt(each_allocation(do_cluster_list, NULL), 1);
	/* Propagation and labelling with cluster-named labels as well. */
	ck_assert_int_gt(each_allocation(do_propagate, NULL), 1);
	ck_assert_int_gt(each_allocation(do_label, NULL), 1);
}
END_TEST

START_TEST(report)
{
	/* An evaluation and a labelling stored, so the page has them all. */
	prepare(UPTO_LABELS);
	rl_eval_report *r = NULL;
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	o.folds = 2;
	ck_assert_int_eq(rl_eval(db, &o, &r), RL_OK);
	rl_eval_report_free(r);
	ck_assert_int_eq(do_label(NULL), RL_OK);
	char html[512];
	snprintf(html, sizeof html, "%s", tu_path("r.html"));
	ck_assert_int_gt(each_allocation(do_html, html), 1);
	ck_assert_int_eq(access(html, F_OK), 0);

	/* A multi-label store's export and page, labelled by SQL: hand
	 * labels on r1, several labels on r2, r3 abstains. */
	rl_db_close(db);
	snprintf(db_path, sizeof db_path, "%s", tu_path("m.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("m.tsv", "id\ttext\n"
		"r1\tcheap courier\nr2\tslow\nr3\tok\n", 0), NULL, NULL),
		RL_OK);
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO labels(name) VALUES "
		"('ship'), ('price'), ('quality');"
		"INSERT INTO seeds(review_id, label_id) VALUES (1, 1), (1, 2);"
		"INSERT INTO assignments(review_id, label_id, confidence, "
		"source) VALUES (1, 1, 1, 'seed'), (1, 2, 1, 'seed'), "
		"(2, 1, 0.5, 'model'), (2, 3, 0.75, 'rule')", NULL, NULL,
		NULL), SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_gt(each_allocation(do_rows, NULL), 1);
	snprintf(html, sizeof html, "%s", tu_path("m.sqlite"));
	ck_assert_int_gt(each_allocation(do_export, html), 1);
	ck_assert_int_eq(tu_int(html, "SELECT count(*) FROM review_labels"),
			 4);
	snprintf(html, sizeof html, "%s", tu_path("m.html"));
	ck_assert_int_gt(each_allocation(do_html, html), 1);
}
END_TEST

/* Rules beyond one regex: an expression over the metadata (the stars
 * column), a word list file and an inline one. */
START_TEST(rule_expressions)
{
	prepare(UPTO_CORPUS);
	tu_write("w.txt", "# words\nCheap\nbroke fast\nFAST shipping\n", 0);
	const char *expr = tu_write("e.txt",
		"bad\t? stars<=2 & (@w.txt | {broke, awful})\n"
		"good\t? !(stars<3) & /fast/\n", 0);
	ck_assert_int_gt(each_allocation(do_rules, (void *)expr), 1);
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM rule_hits"),
			 3);
	ck_assert_int_gt(each_allocation(do_apply, NULL), 1);
	ck_assert_int_gt(each_allocation(do_report, NULL), 1);
}
END_TEST

/* One test case per part of the pipeline, so that meson runs them at
 * once (CK_RUN_CASE picks one; tests/meson.build registers each). */
static Suite *suite(void)
{
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{ "ingest", ingest },
		{ "evidence", evidence },
		{ "labelling", labelling },
		{ "run", run },
		{ "clusters", clusters },
		{ "report", report },
		{ "rule_expressions", rule_expressions },
		{ "vacuum", vacuum },
	};
	Suite *s = suite_create("alloc");
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	return tu_run(suite());
}
