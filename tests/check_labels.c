/*
 * check_labels.c - hand labels in both modes of a store: in a multi-label
 * store setting adds a label and a seeds file keeps every label it gives
 * a review; in a single-label store setting replaces and a file giving a
 * review two labels is refused at its second line, the store unchanged;
 * removing one hand label or all; the counts per label; cluster-named
 * labels left as they were. Annotators: each one's answers kept, the
 * hand labels resolved from them by majority with the stated tie-break,
 * the annotator column of a seeds file, and a version-3 store upgraded
 * with its hand labels the unnamed annotator's.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "revlab.h"
#include "testutil.h"

static rl_db *db;
static char db_path[512];

static const char *corpus =
	"id\ttext\n"
	"r1\tArrived late and the strap broke\n"
	"r2\tCheap and sturdy\n"
	"r3\tShipping took a month\n"
	"r4\tOverpriced for what it is\n"
	"r5\tNothing to say\n";

static void open_store(unsigned mode)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE | mode, &db),
			 RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), mode != 0);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
}

static void setup_single(void)
{
	open_store(0);
}

static void setup_multi(void)
{
	open_store(RL_OPEN_MULTI_LABEL);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

/* Every seed as "review:label:origin" lines, by review and label. */
static char *seeds_text(void)
{
	return tu_text(db_path, "SELECT ifnull(group_concat(x, char(10)), "
		       "'') FROM (SELECT r.ext_id || ':' || l.name || ':' || "
		       "s.origin AS x FROM seeds s JOIN reviews r ON r.id = "
		       "s.review_id JOIN labels l ON l.id = s.label_id ORDER "
		       "BY r.ext_id, l.name)");
}

#define SEEDS_ARE(want) do { \
	char *got_ = seeds_text(); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

/* rl_db_errmsg(db) contains `want`. */
#define ERR_HAS(want) ck_assert_msg(strstr(rl_db_errmsg(db), want) != NULL, \
				    "'%s' lacks '%s'", rl_db_errmsg(db), want)

/* Hand labels per label, from rl_labels: "name=seeds" by name. */
typedef struct counts {
	char text[256];
} counts;

static int on_label(void *ctx, const rl_label_info *l)
{
	counts *c = ctx;
	size_t at = strlen(c->text);
	snprintf(c->text + at, sizeof c->text - at, "%s%s=%llu",
		 at ? " " : "", l->name, (unsigned long long)l->seeds);
	return 0;
}

static void counts_are(const char *want)
{
	counts c = { "" };
	ck_assert_int_eq(rl_labels(db, on_label, &c), RL_OK);
	ck_assert_str_eq(c.text, want);
}

/* Gives review `id` a seed of origin 'cluster' as `clusters name` does,
 * through SQL: naming needs clusters, which need far more than this. */
static void cluster_seed(const char *id, const char *label)
{
	sqlite3 *s = NULL;
	char sql[300];
	ck_assert_int_eq(rl_label_add(db, label), RL_OK);
	snprintf(sql, sizeof sql, "INSERT INTO seeds(review_id, label_id, "
		 "origin) SELECT r.id, l.id, 'cluster' FROM reviews r, labels "
		 "l WHERE r.ext_id = '%s' AND l.name = '%s'", id, label);
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_changes(s), 1);
	sqlite3_close(s);
}

/* ---- multi-label ---- */

/* The bug of #14: a file listing a review with two labels reported both
 * set and kept one. */
START_TEST(multi_seed_file_keeps_every_label)
{
	rl_seed_stats st;
	const char *f = tu_write("s.tsv", "id\tlabel\n"
				 "r1\tshipping\n"
				 "r1\tquality\n"
				 "r2\tprice\n"
				 "r1\tshipping\n"	/* again: harmless */
				 "r3\tshipping\n", 0);
	ck_assert_int_eq(rl_seed_file(db, f, &st), RL_OK);
	ck_assert_uint_eq(st.rows, 5);
	ck_assert_uint_eq(st.set, 4);
	ck_assert_uint_eq(st.labels_created, 3);
	SEEDS_ARE("r1:quality:hand\nr1:shipping:hand\nr2:price:hand\n"
		  "r3:shipping:hand");
	/* What it says it set is what the store keeps. */
	ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM seeds"),
			 (long long)st.set);
	/* A review with two labels counts once under each. */
	counts_are("price=1 quality=1 shipping=2");
	/* A second file adds to the labels a review has. */
	ck_assert_int_eq(rl_seed_file(db, tu_write("t.csv", "r2,quality\n"
						 "r1,price\n", 0), &st),
			 RL_OK);
	ck_assert_uint_eq(st.set, 2);
	ck_assert_uint_eq(st.labels_created, 0);
	SEEDS_ARE("r1:price:hand\nr1:quality:hand\nr1:shipping:hand\n"
		  "r2:price:hand\nr2:quality:hand\nr3:shipping:hand");
	counts_are("price=2 quality=2 shipping=2");
}
END_TEST

/* A bad line anywhere leaves the store as it was, labels added before it
 * in the same file included. */
START_TEST(multi_seed_file_errors)
{
	ck_assert_int_eq(rl_seed_set(db, "r1", "price"), RL_OK);
	char *before = tu_digest(db_path);
	const char *bad[] = { "r1\tshipping\nnope\tprice\n",
			      "r1\tshipping\nr2\t!price\n",
			      "r1\tshipping\nr2\n" };
	const char *where[] = { "b.tsv:2: no review with id 'nope'",
				"b.tsv:2: bad label name '!price'",
				"b.tsv:2: expected id<TAB>label" };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rl_seed_file(db, tu_write("b.tsv", bad[i], 0),
					      NULL), RL_EINPUT);
		ERR_HAS(where[i]);
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	SEEDS_ARE("r1:price:hand");
}
END_TEST

START_TEST(multi_set_and_unset)
{
	ck_assert_int_eq(rl_seed_set(db, "r1", "shipping"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r1", "quality"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r2", "quality"), RL_OK);
	SEEDS_ARE("r1:quality:hand\nr1:shipping:hand\nr2:quality:hand");
	/* Setting a label the review has changes nothing, its date neither. */
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_seed_set(db, "r1", "shipping"), RL_OK);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	/* Errors name what is wrong and change nothing. */
	ck_assert_int_eq(rl_seed_set(db, "zz", "price"), RL_ENOTFOUND);
	ERR_HAS("no review with id 'zz'");
	ck_assert_int_eq(rl_seed_set(db, "r1", "#price"), RL_EINVAL);
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "price"),
			 RL_ENOTFOUND);
	ERR_HAS("no label 'price'");
	ck_assert_int_eq(rl_seed_unset_label(db, "zz", "quality"),
			 RL_ENOTFOUND);
	ERR_HAS("no review with id 'zz'");
	ck_assert_int_eq(rl_seed_unset_label(db, "r3", "quality"),
			 RL_ENOTFOUND);
	ERR_HAS("review 'r3' has no hand label 'quality' (it has none)");
	ck_assert_int_eq(rl_label_add(db, "price"), RL_OK);
	free(before);
	before = tu_digest(db_path);
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "price"),
			 RL_ENOTFOUND);
	ERR_HAS("review 'r1' has no hand label 'price' (it has quality, "
		"shipping)");
	after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	/* One label goes, the others stay. */
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "shipping"), RL_OK);
	SEEDS_ARE("r1:quality:hand\nr2:quality:hand");
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "shipping"),
			 RL_ENOTFOUND);
	/* All of them go. */
	ck_assert_int_eq(rl_seed_set(db, "r1", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_OK);
	SEEDS_ARE("r2:quality:hand");
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_ENOTFOUND);
	ERR_HAS("review 'r1' has no hand label");
	ck_assert_int_eq(rl_seed_unset(db, "zz"), RL_ENOTFOUND);
	ERR_HAS("no review with id 'zz'");
	counts_are("price=0 quality=1 shipping=0");
}
END_TEST

/* A cluster-named label stays beside the hand labels; given by hand it
 * becomes a hand label, as in a single-label store. */
START_TEST(multi_cluster_seeds)
{
	cluster_seed("r4", "price");
	ck_assert_int_eq(rl_seed_set(db, "r4", "quality"), RL_OK);
	SEEDS_ARE("r4:price:cluster\nr4:quality:hand");
	ck_assert_int_eq(rl_seed_unset_label(db, "r4", "price"),
			 RL_ENOTFOUND);
	ck_assert_int_eq(rl_seed_set(db, "r4", "price"), RL_OK);
	SEEDS_ARE("r4:price:hand\nr4:quality:hand");
	ck_assert_int_eq(rl_seed_unset(db, "r4"), RL_OK);
	SEEDS_ARE("");
	cluster_seed("r5", "price");
	ck_assert_int_eq(rl_seed_unset(db, "r5"), RL_ENOTFOUND);
	SEEDS_ARE("r5:price:cluster");
}
END_TEST

/* ---- single-label ---- */

/* A file giving one review two labels is refused at the second, with
 * the line of the first, and the store is as it was. */
START_TEST(single_seed_file_conflict)
{
	rl_seed_stats st;
	ck_assert_int_eq(rl_seed_set(db, "r2", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r3", "shipping"), RL_OK);
	char *seeds_before = seeds_text();
	char *before = tu_digest(db_path);
	const char *f = tu_write("s.tsv", "id\tlabel\n"
				 "r1\tshipping\n"
				 "r2\tquality\n"
				 "# a comment\n"
				 "r1\tshipping\n"
				 "r4\tprice\n"
				 "r1\tquality\n"
				 "r5\tprice\n", 0);
	ck_assert_int_eq(rl_seed_file(db, f, &st), RL_EINPUT);
	char want[700];
	snprintf(want, sizeof want, "%s:7: review r1 already has label "
		 "shipping (line 2)", f);
	ck_assert_str_eq(rl_db_errmsg(db), want);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	char *seeds_after = seeds_text();
	ck_assert_str_eq(seeds_before, seeds_after);
	free(seeds_after);
	free(seeds_before);
	/* The same in CSV, the conflict on the last line. */
	f = tu_write("s.csv", "r1,price\nr1,quality\n", 0);
	ck_assert_int_eq(rl_seed_file(db, f, &st), RL_EINPUT);
	snprintf(want, sizeof want, "%s:2: review r1 already has label "
		 "price (line 1)", f);
	ck_assert_str_eq(rl_db_errmsg(db), want);
	after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	/* Without the conflicting line the file loads: it replaces the
	 * label a review had, and the same label twice counts once. */
	f = tu_write("s.tsv", "r1\tshipping\nr2\tquality\nr1\tshipping\n"
		     "r4\tprice\n", 0);
	ck_assert_int_eq(rl_seed_file(db, f, &st), RL_OK);
	ck_assert_uint_eq(st.rows, 4);
	ck_assert_uint_eq(st.set, 3);
	ck_assert_uint_eq(st.labels_created, 1);
	SEEDS_ARE("r1:shipping:hand\nr2:quality:hand\nr3:shipping:hand\n"
		  "r4:price:hand");
	counts_are("price=1 quality=1 shipping=2");
}
END_TEST

START_TEST(single_set_and_unset)
{
	ck_assert_int_eq(rl_seed_set(db, "r1", "shipping"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "r1", "quality"), RL_OK);
	SEEDS_ARE("r1:quality:hand");
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_seed_set(db, "r1", "quality"), RL_OK);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	/* Not its label: nothing changes, and it says which it has. */
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "shipping"),
			 RL_ENOTFOUND);
	ERR_HAS("review 'r1' has no hand label 'shipping' (it has quality)");
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "nosuch"),
			 RL_ENOTFOUND);
	ERR_HAS("no label 'nosuch'");
	ck_assert_int_eq(rl_seed_unset_label(db, "zz", "quality"),
			 RL_ENOTFOUND);
	ERR_HAS("no review with id 'zz'");
	ck_assert_int_eq(rl_seed_set(db, "zz", "quality"), RL_ENOTFOUND);
	ERR_HAS("no review with id 'zz'");
	after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	/* Its label: the same as removing all. */
	ck_assert_int_eq(rl_seed_unset_label(db, "r1", "quality"), RL_OK);
	SEEDS_ARE("");
	ck_assert_int_eq(rl_seed_set(db, "r1", "quality"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_OK);
	ck_assert_int_eq(rl_seed_unset(db, "r1"), RL_ENOTFOUND);
	SEEDS_ARE("");
}
END_TEST

/* As before multi-label stores: a hand label replaces hand labels only,
 * and removing them leaves a cluster-named one. */
START_TEST(single_cluster_seeds)
{
	cluster_seed("r4", "price");
	ck_assert_int_eq(rl_seed_set(db, "r4", "quality"), RL_OK);
	SEEDS_ARE("r4:price:cluster\nr4:quality:hand");
	ck_assert_int_eq(rl_seed_unset(db, "r4"), RL_OK);
	SEEDS_ARE("r4:price:cluster");
	ck_assert_int_eq(rl_seed_set(db, "r4", "price"), RL_OK);
	SEEDS_ARE("r4:price:hand");
}
END_TEST

/* Every annotation as "review:label:annotator" lines, by review, label
 * and annotator. */
static char *answers_text(void)
{
	return tu_text(db_path, "SELECT ifnull(group_concat(x, char(10)), "
		       "'') FROM (SELECT r.ext_id || ':' || l.name || ':' || "
		       "a.annotator AS x FROM annotations a JOIN reviews r ON "
		       "r.id = a.review_id JOIN labels l ON l.id = a.label_id "
		       "ORDER BY r.ext_id, l.name, a.annotator)");
}

#define ANSWERS_ARE(want) do { \
	char *got_ = answers_text(); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

/* Single-label: the majority of the review's annotators, each voting
 * their last answer; a tie goes to the tied label given last. */
START_TEST(single_annotators_majority)
{
	/* One annotator: what they said, replaced as before. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "ann"), RL_OK);
	SEEDS_ARE("r1:price:hand");
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "quality", "ann"), RL_OK);
	SEEDS_ARE("r1:quality:hand");
	ANSWERS_ARE("r1:quality:ann");
	/* bob says shipping: 1 against 1, a tie; bob answered last. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "bob"), RL_OK);
	SEEDS_ARE("r1:shipping:hand");
	/* cyd says quality: 2 (ann, cyd) against 1 (bob). */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "quality", "cyd"), RL_OK);
	SEEDS_ARE("r1:quality:hand");
	/* ann changes her mind to shipping: shipping 2 (ann, bob), quality
	 * 1 (cyd). */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "ann"), RL_OK);
	SEEDS_ARE("r1:shipping:hand");
	ANSWERS_ARE("r1:quality:cyd\nr1:shipping:ann\nr1:shipping:bob");
	/* Saying it again changes nothing, not even the order: bob drops
	 * out, 1 against 1, and ann's shipping came after cyd's quality. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "bob"), RL_OK);
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", "bob"), RL_OK);
	SEEDS_ARE("r1:shipping:hand");
	/* ann drops hers: cyd's quality is all that is left. */
	ck_assert_int_eq(rl_seed_unset_label_as(db, "r1", "shipping", "ann"),
			 RL_OK);
	SEEDS_ARE("r1:quality:hand");
	/* Three labels, two tied at 2 votes: the later of the two wins,
	 * not the latest answer overall (price, 1 vote). */
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "quality", "a1"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "shipping", "a2"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "shipping", "a3"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "quality", "a4"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "price", "a5"), RL_OK);
	SEEDS_ARE("r1:quality:hand\nr2:quality:hand");
	counts_are("price=0 quality=2 shipping=0");
	/* Errors name who gave what and change nothing. */
	char *before = tu_digest(db_path);
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", "ann"), RL_ENOTFOUND);
	ck_assert_str_eq(rl_db_errmsg(db), "review 'r1' has no hand label by "
			 "ann (given: cyd: quality)");
	ck_assert_int_eq(rl_seed_unset_label_as(db, "r1", "quality", "ann"),
			 RL_ENOTFOUND);
	ck_assert_str_eq(rl_db_errmsg(db), "review 'r1' has no hand label "
			 "'quality' by ann (given: cyd: quality)");
	/* With nobody else on the review, the message of old. */
	ck_assert_int_eq(rl_seed_unset_label_as(db, "r1", "price", "cyd"),
			 RL_ENOTFOUND);
	ck_assert_str_eq(rl_db_errmsg(db), "review 'r1' has no hand label "
			 "'price' (it has quality)");
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", " x"), RL_EINVAL);
	ERR_HAS("bad annotator name ' x'");
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "a\tb"),
			 RL_EINVAL);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	/* Everyone's: the review has no hand label left. */
	ck_assert_int_eq(rl_seed_unset(db, "r2"), RL_OK);
	SEEDS_ARE("r1:quality:hand");
	ANSWERS_ARE("r1:quality:cyd");
}
END_TEST

/* Multi-label: a label is on when more than half of the review's
 * annotators gave it; at exactly half, as the last answer's annotator
 * has it. */
START_TEST(multi_annotators_majority)
{
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "ann"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "ann"), RL_OK);
	SEEDS_ARE("r1:price:hand\nr1:shipping:hand");
	/* bob: price only. 2 annotators: price 2 > 1; shipping 1 = 2 / 2,
	 * and bob answered last without it: off. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "bob"), RL_OK);
	SEEDS_ARE("r1:price:hand");
	/* ann answers last again (quality): shipping's tie follows ann, on;
	 * quality 1 of 2 with ann: on too. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "quality", "ann"), RL_OK);
	SEEDS_ARE("r1:price:hand\nr1:quality:hand\nr1:shipping:hand");
	/* cyd: shipping. 3 annotators: price 2 > 1.5 on, shipping 2 on,
	 * quality 1 off. */
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "cyd"), RL_OK);
	SEEDS_ARE("r1:price:hand\nr1:shipping:hand");
	ANSWERS_ARE("r1:price:ann\nr1:price:bob\nr1:quality:ann\n"
		    "r1:shipping:ann\nr1:shipping:cyd");
	/* ann takes back everything: bob and cyd, 1 each, cyd last. */
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", "ann"), RL_OK);
	SEEDS_ARE("r1:shipping:hand");
}
END_TEST

/* A seeds file's third column names the annotator; the file's default
 * fills the rest. Annotators may disagree; one annotator giving a review
 * two labels is the single-label conflict, named. */
START_TEST(single_seed_file_annotators)
{
	rl_seed_stats st;
	const char *f = tu_write("s.tsv", "id\tlabel\tannotator\n"
				 "r1\tprice\tann\n"
				 "r1\tquality\tbob\n"
				 "r1\tquality\n"
				 "r2\tshipping\tann\n"
				 "r2\tshipping\n", 0);
	ck_assert_int_eq(rl_seed_file_as(db, f, "dflt", &st), RL_OK);
	ck_assert_uint_eq(st.rows, 5);
	ck_assert_uint_eq(st.set, 5);
	/* r1: quality 2 (bob, dflt) against price 1. */
	SEEDS_ARE("r1:quality:hand\nr2:shipping:hand");
	ANSWERS_ARE("r1:price:ann\nr1:quality:bob\nr1:quality:dflt\n"
		    "r2:shipping:ann\nr2:shipping:dflt");
	char *before = tu_digest(db_path);
	f = tu_write("c.csv", "id,label,annotator\nr3,price,ann\n"
		     "r3,shipping,bob\nr3,quality,ann\n", 0);
	ck_assert_int_eq(rl_seed_file_as(db, f, NULL, &st), RL_EINPUT);
	char want[700];
	snprintf(want, sizeof want, "%s:4: review r3 already has label price "
		 "from ann (line 2)", f);
	ck_assert_str_eq(rl_db_errmsg(db), want);
	f = tu_write("d.tsv", "id\tlabel\tannotator\nr3\tprice\tann\textra\n",
		     0);
	ck_assert_int_eq(rl_seed_file_as(db, f, NULL, &st), RL_EINPUT);
	snprintf(want, sizeof want, "%s:2: expected id<TAB>label"
		 "[<TAB>annotator]", f);
	ck_assert_str_eq(rl_db_errmsg(db), want);
	/* A third column without the header that names it. */
	f = tu_write("n.tsv", "r3\tprice\tann\n", 0);
	ck_assert_int_eq(rl_seed_file_as(db, f, NULL, &st), RL_EINPUT);
	snprintf(want, sizeof want, "%s:1: expected id<TAB>label (a third "
		 "column, the annotator, needs the header "
		 "id<TAB>label<TAB>annotator)", f);
	ck_assert_str_eq(rl_db_errmsg(db), want);
	f = tu_write("e.tsv", "id\tlabel\tannotator\nr3\tprice\tann\n"
		     "r4\tprice\t x\n", 0);
	ck_assert_int_eq(rl_seed_file_as(db, f, NULL, &st), RL_EINPUT);
	snprintf(want, sizeof want, "%s:3: bad annotator name", f);
	ERR_HAS(want);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
}
END_TEST

/* Hand labels written to seeds without annotations (by SQL, or by an
 * older revlab) are the unnamed annotator's the first time the review's
 * annotations change, so they count as a vote. */
START_TEST(single_orphan_seeds_adopted)
{
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO labels(name) VALUES "
				      "('price'), ('quality'); INSERT INTO "
				      "seeds(review_id, label_id) VALUES "
				      "(1, 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	ANSWERS_ARE("");
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "quality", "ann"), RL_OK);
	ANSWERS_ARE("r1:price:\nr1:quality:ann");
	/* 1 against 1, ann's the later answer. */
	SEEDS_ARE("r1:quality:hand");
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", "ann"), RL_OK);
	SEEDS_ARE("r1:price:hand");
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", ""), RL_OK);
	SEEDS_ARE("");
}
END_TEST

/* A store of schema version 3 (tests/data/schema_v3.sql) with hand
 * labels opens upgraded: the same hand labels, each now an answer of
 * the unnamed annotator, and a second annotator's vote counts against
 * them as it would in a new store. */
START_TEST(upgrade_from_v3_keeps_labels)
{
	tu_setup();
	FILE *f = fopen(RL_TEST_DATA_DIR "/schema_v3.sql", "rb");
	ck_assert_ptr_nonnull(f);
	char *sql = calloc(1, 1 << 16);
	size_t n = fread(sql, 1, (1 << 16) - 1, f);
	fclose(f);
	ck_assert(n > 0 && n < (1 << 16) - 1);
	snprintf(db_path, sizeof db_path, "%s", tu_path("v3.db"));
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	ck_assert_int_eq(sqlite3_exec(s,
		"INSERT INTO reviews(ext_id, text) VALUES ('r1', 'a'), "
		"('r2', 'b'), ('r3', 'c');"
		"INSERT INTO labels(name) VALUES ('price'), ('quality');"
		"INSERT INTO seeds(review_id, label_id, origin, created) "
		"VALUES (1, 1, 'hand', '2026-01-02T00:00:00Z'), "
		"(2, 2, 'hand', '2026-01-01T00:00:00Z'), "
		"(3, 1, 'cluster', '2026-01-01T00:00:00Z');",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	ck_assert_int_eq(tu_int(db_path, "PRAGMA user_version"), 3);
	char *before = seeds_text();
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(tu_int(db_path, "PRAGMA user_version"),
			 RL_SCHEMA_VERSION);
	char *after = seeds_text();
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(after, "r1:price:hand\nr2:quality:hand\n"
			 "r3:price:cluster");
	free(after);
	free(before);
	/* Oldest first: r2's label (Jan 1) before r1's (Jan 2). */
	char *order = tu_text(db_path, "SELECT group_concat(review_id || ':' "
			      "|| annotator || ':' || created, ',') FROM "
			      "(SELECT * FROM annotations ORDER BY id)");
	ck_assert_str_eq(order, "2::2026-01-01T00:00:00Z,"
			 "1::2026-01-02T00:00:00Z");
	free(order);
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "quality", "ann"), RL_OK);
	SEEDS_ARE("r1:quality:hand\nr2:quality:hand\nr3:price:cluster");
	ck_assert_int_eq(rl_seed_unset_as(db, "r1", "ann"), RL_OK);
	SEEDS_ARE("r1:price:hand\nr2:quality:hand\nr3:price:cluster");
	rl_db_close(db);
	db = NULL;
	tu_teardown();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("labels");
	TCase *tc = tcase_create("multi");
	tcase_add_checked_fixture(tc, setup_multi, teardown);
	tcase_add_test(tc, multi_seed_file_keeps_every_label);
	tcase_add_test(tc, multi_seed_file_errors);
	tcase_add_test(tc, multi_set_and_unset);
	tcase_add_test(tc, multi_cluster_seeds);
	tcase_add_test(tc, multi_annotators_majority);
	suite_add_tcase(s, tc);
	tc = tcase_create("single");
	tcase_add_checked_fixture(tc, setup_single, teardown);
	tcase_add_test(tc, single_seed_file_conflict);
	tcase_add_test(tc, single_set_and_unset);
	tcase_add_test(tc, single_cluster_seeds);
	tcase_add_test(tc, single_annotators_majority);
	tcase_add_test(tc, single_seed_file_annotators);
	tcase_add_test(tc, single_orphan_seeds_adopted);
	suite_add_tcase(s, tc);
	tc = tcase_create("upgrade");
	tcase_add_test(tc, upgrade_from_v3_keeps_labels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
