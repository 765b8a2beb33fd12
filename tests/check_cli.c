/*
 * check_cli.c - the `revlab` command as users meet it: exit codes (0 ok,
 * 1 failure, 2 usage), messages on stderr naming file and line, help
 * texts, and the store left unchanged by a failed command.
 */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "revlab.h"
#include "testutil.h"

static char out_buf[1 << 16], err_buf[1 << 16];

/* Runs revlab with the NULL-terminated arguments, stdin from `in` (or
 * /dev/null); returns the exit status, output in out_buf/err_buf. */
static int run(const char *in, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, in);
	argv[argc++] = (char *)RL_REVLAB_EXE;
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	argv[argc] = NULL;
	va_end(ap);
	return tu_exec(argv, in, out_buf, sizeof out_buf, err_buf,
		       sizeof err_buf);
}

#define HAS(buf, s) ck_assert_msg(strstr(buf, s) != NULL, \
				  "'%s' not in: %.400s", s, buf)

START_TEST(help_and_version)
{
	ck_assert_int_eq(run(NULL, "--version", NULL), 0);
	HAS(out_buf, "revlab 0.");
	ck_assert_int_eq(run(NULL, "--help", NULL), 0);
	HAS(out_buf, "import");
	HAS(out_buf, "tokenize");
	ck_assert_int_eq(run(NULL, "help", "import", NULL), 0);
	HAS(out_buf, "--id-col");
	ck_assert_int_eq(run(NULL, "import", "--help", NULL), 0);
	HAS(out_buf, "--skip-bad");
	ck_assert_int_eq(run(NULL, "tokenize", "--help", NULL), 0);
	HAS(out_buf, "stopwords");
	/* A setting with a fixed set of values lists them. */
	ck_assert_int_eq(run(NULL, "help", "propagate", NULL), 0);
	HAS(out_buf, "  class_prior  enum   ");
	HAS(out_buf, "(one of: seeds, uniform, auto, none; default: auto)\n");
	HAS(out_buf, "(one of: weighted, majority; default: weighted)\n");
	ck_assert_int_eq(run(NULL, "help", "train", NULL), 0);
	HAS(out_buf, "(one of: logreg, nb, cnb, auto, pool, choose; default: "
		     "auto)\n");
	ck_assert_int_eq(run(NULL, "help", "graph", NULL), 0);
	HAS(out_buf, "(one of: tfidf, lsa, auto; default: auto)\n");
	ck_assert_int_eq(run(NULL, NULL), 2);
	ck_assert_int_eq(run(NULL, "frobnicate", NULL), 2);
	HAS(err_buf, "revlab: 'frobnicate' is not a revlab command");
	ck_assert_int_eq(run(NULL, "help", "frobnicate", NULL), 2);
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(run(NULL, "init", NULL), 2);
	HAS(err_buf, "missing DB");
	/* SQLite would open a temporary database for "". */
	ck_assert_int_eq(run(NULL, "init", "", NULL), 2);
	HAS(err_buf, "empty DB path");
	/* strtoull reads -1 as its maximum. */
	ck_assert_int_eq(run(NULL, "import", "--max-record", "-1", "a.db",
			     "b.tsv", NULL), 2);
	HAS(err_buf, "--max-record");
	/* An empty file becomes a store, and init says so. */
	char empty[512];
	snprintf(empty, sizeof empty, "%s", tu_write("empty.db", "", 0));
	ck_assert_int_eq(run(NULL, "init", empty, NULL), 0);
	HAS(out_buf, "created a revlab store");
	ck_assert_int_eq(run(NULL, "init", empty, NULL), 0);
	HAS(out_buf, "already a revlab store");
	ck_assert_int_eq(run(NULL, "import", "x.db", NULL), 2);
	ck_assert_int_eq(run(NULL, "import", "--bogus", "a", "b", NULL), 2);
	ck_assert_int_eq(run(NULL, "import", "--format", "xml", "a", "b",
			     NULL), 2);
	ck_assert_int_eq(run(NULL, "import", "--replace", "--skip-existing",
			     "a", "b", NULL), 2);
	ck_assert_int_eq(run(NULL, "import", "a.db", "-", NULL), 2);
	HAS(err_buf, "--format");
	ck_assert_int_eq(run(NULL, "tokenize", "-p", "nosuch=1", "a.db",
			     NULL), 2);
	HAS(err_buf, "bad parameter 'nosuch=1'");
}
END_TEST

/* Copies file `from` to `to` with mode 0755. */
static void copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	ck_assert_msg(a && b, "cannot copy %s to %s", from, to);
	char buf[1 << 15];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, b), n);
	fclose(a);
	ck_assert_int_eq(fclose(b), 0);
	ck_assert_int_eq(chmod(to, 0755), 0);
}

/* Runs `bin` with the NULL-terminated arguments as a user who cannot
 * write the test's folder: nobody when the suite runs as root (who
 * writes anywhere), else the user, with the folder made read-only. */
static int run_unprivileged(const char *bin, ...)
{
	char *argv[32];
	int argc = 0;
	if (geteuid() == 0) {
		argv[argc++] = (char *)"/usr/bin/setpriv";
		argv[argc++] = (char *)"--reuid=65534";
		argv[argc++] = (char *)"--regid=65534";
		argv[argc++] = (char *)"--clear-groups";
	}
	argv[argc++] = (char *)bin;
	va_list ap;
	va_start(ap, bin);
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	argv[argc] = NULL;
	va_end(ap);
	return tu_exec(argv, NULL, out_buf, sizeof out_buf, err_buf,
		       sizeof err_buf);
}

/* A store in a folder the user cannot write to can still be read: SQLite
 * cannot make the WAL's -shm file there, and revlab used to fail with
 * "attempt to write a readonly database" even for stats. */
START_TEST(read_only_folder)
{
	char ro[600], db[700], bin[700], dir[600], src[700], dst[700];
	snprintf(ro, sizeof ro, "%s", tu_path("ro"));
	ck_assert_int_eq(mkdir(ro, 0755), 0);
	snprintf(db, sizeof db, "%s/s.db", ro);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "import", "-q", db,
			     tu_write("r.tsv", "id\ttext\n1\tcheap price\n"
				      "2\tlate delivery\n", 0), NULL), 0);
	ck_assert_int_eq(run(NULL, "labels", db, "--add", "price", NULL), 0);
	/* The program, copied where nobody may run it, with its library
	 * beside it ($ORIGIN). */
	snprintf(bin, sizeof bin, "%s", tu_path("revlab"));
	copy_file(RL_REVLAB_EXE, bin);
	snprintf(dir, sizeof dir, "%s", RL_REVLAB_EXE);
	*strrchr(dir, '/') = '\0';
	snprintf(src, sizeof src, "%.600s/librevlab.so.%d.%d", dir,
		 RL_VERSION_MAJOR, RL_VERSION_MINOR);
	snprintf(dst, sizeof dst, "%.600s/librevlab.so.%d.%d", tu_path(""),
		 RL_VERSION_MAJOR, RL_VERSION_MINOR);
	copy_file(src, dst);
	char *before = tu_digest(db);
	ck_assert_int_eq(chmod(tu_path(""), 0711), 0);
	ck_assert_int_eq(chmod(db, 0644), 0);
	ck_assert_int_eq(chmod(ro, 0555), 0);

	ck_assert_int_eq(run_unprivileged(bin, "stats", db, NULL), 0);
	HAS(out_buf, "reviews    2");
	ck_assert_int_eq(run_unprivileged(bin, "labels", db, NULL), 0);
	HAS(out_buf, "price");
	ck_assert_int_eq(run_unprivileged(bin, "export", db, NULL), 0);
	HAS(out_buf, "\"1\"");
	/* What writes fails cleanly. */
	ck_assert_int_eq(run_unprivileged(bin, "label", db, "1", "price",
					  NULL), 1);
	HAS(err_buf, "readonly");

	ck_assert_int_eq(chmod(ro, 0755), 0);
	ck_assert_int_eq(chmod(tu_path(""), 0700), 0);
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(pipeline)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("s.db"));
	char good[512];
	snprintf(good, sizeof good, "%s", tu_write("r.csv", "id,text,stars\n"
				    "1,\"Cheap, and it broke\",1\n"
				    "2,Fast shipping,5\n"
				    "3,\"Cheap, fast shipping\",4\n", 0));
	ck_assert_int_eq(run(NULL, "stats", db, NULL), 1);
	HAS(err_buf, "revlab init");
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "run", db, NULL), 1);
	HAS(err_buf, "no reviews");
	ck_assert_int_eq(run(NULL, "import", db, good, NULL), 0);
	HAS(out_buf, "3 rows read, 3 imported");
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	HAS(out_buf, "propagate: skipped: no hand labels yet");
	/* A store without rules is told what would help most. */
	HAS(out_buf, "rules:     none: a rule for every label, even a loose "
		"one, was the strongest\n");
	HAS(out_buf, "tokenize:  3 reviews");
	HAS(out_buf, "vectorize: 3 reviews");
	HAS(out_buf, "graph:     3 reviews");
	HAS(out_buf, "reviews    3");
	ck_assert_int_eq(run(NULL, "stats", db, NULL), 0);
	HAS(out_buf, "tokenized  3");
	HAS(out_buf, "tokenize");

	/* A bad file: exit 1, FILE:LINE on stderr, store unchanged. */
	char *before = tu_digest(db);
	const char *bad = tu_write("bad.csv", "id,text\n7,fine\n8,\"open\n",
				   0);
	ck_assert_int_eq(run(NULL, "import", db, bad, NULL), 1);
	char want[600];
	snprintf(want, sizeof want, "revlab: %s:3: unterminated", bad);
	HAS(err_buf, want);
	HAS(err_buf, "unchanged");
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(after);

	/* Re-importing an id is refused, then allowed by --skip-existing. */
	ck_assert_int_eq(run(NULL, "import", db, good, NULL), 1);
	HAS(err_buf, "already in the store");
	HAS(err_buf, "--replace or --skip-existing");
	after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	ck_assert_int_eq(run(NULL, "import", "--skip-existing", db, good,
			     NULL), 0);
	HAS(out_buf, "3 skipped");

	/* stdin, and --skip-bad listing the bad rows. */
	const char *jl = tu_write("in.jsonl", "{\"id\":\"j1\",\"text\":\"ok\"}\n"
				  "{\"id\":\"j2\"}\n", 0);
	ck_assert_int_eq(run(jl, "import", "--format", "jsonl", "--skip-bad",
			     db, "-", NULL), 0);
	HAS(err_buf, "stdin:2: no \"text\" key");
	HAS(out_buf, "1 imported");
	HAS(out_buf, "1 bad");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM reviews"), 4);
}
END_TEST

START_TEST(foreign_database)
{
	const char *p = tu_write("notes.txt", "just text, not a store at all, "
				 "long enough to have a header", 0);
	ck_assert_int_eq(run(NULL, "stats", p, NULL), 1);
	HAS(err_buf, "notes.txt");
	ck_assert_int_eq(run(NULL, "init", p, NULL), 1);
}
END_TEST

START_TEST(seeds_and_rules)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("s.db"));
	const char *tsv = tu_write("r.tsv", "id\ttext\n"
				   "a\tGreat food, slow service\n"
				   "b\tCheap and tasty food\n"
				   "c\tThe waiter was rude\n"
				   "d\tOverpriced for what it is\n", 0);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, tsv, NULL), 0);
	ck_assert_int_eq(run(NULL, "label", db, "a", "food", NULL), 0);
	ck_assert_int_eq(run(NULL, "label", db, "zz", "food", NULL), 1);
	HAS(err_buf, "no review with id 'zz'");
	ck_assert_int_eq(run(NULL, "labels", db, "--add", "service", "price",
			     NULL), 0);
	ck_assert_int_eq(run(NULL, "labels", db, NULL), 0);
	HAS(out_buf, "food");
	HAS(out_buf, "price");
	const char *bad = tu_write("bad.txt", "food\tfood\nprice\t(cheap\n",
				   0);
	ck_assert_int_eq(run(NULL, "rules", db, bad, NULL), 1);
	HAS(err_buf, "bad.txt:2:");
	HAS(err_buf, "previous rule set stays");
	const char *good = tu_write("good.txt", "food\tfood|tasty\n"
				    "service\twaiter|service\n"
				    "!food\trude\n", 0);
	ck_assert_int_eq(run(NULL, "rules", db, good, NULL), 0);
	HAS(out_buf, "3 rules");
	ck_assert_int_eq(run(NULL, "rules", "stats", db, NULL), 0);
	HAS(out_buf, "conflicting votes");
	ck_assert_int_eq(run(NULL, "rules", "stats", db, "--json", NULL), 0);
	HAS(out_buf, "\"rules\":[{\"line\":1,\"label\":\"food\"");
	HAS(out_buf, "\"precision\":null");
	ck_assert_int_eq(run(NULL, "rules", "show", db, "1", NULL), 0);
	HAS(out_buf, "a (seed: food): Great [[food]], slow service");
	ck_assert_int_eq(run(NULL, "rules", "show", db, "7", NULL), 1);
	ck_assert_int_eq(run(NULL, "rules", "show", db, "x", NULL), 2);

	/* Interactive labelling from a pipe: 1 = food, skip, undo, 3. */
	const char *keys = tu_write("keys", "1\ns\nu\n3\nq\n", 0);
	ck_assert_int_eq(run(keys, "label", db, "--interactive", NULL), 0);
	HAS(out_buf, "1 hand labels saved");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 2);
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", NULL), 0);
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", NULL), 1);
	const char *seeds = tu_write("seeds.tsv", "b\tfood\nc\tservice\n", 0);
	ck_assert_int_eq(run(NULL, "seed", db, seeds, NULL), 0);
	HAS(out_buf, "2 hand labels set");
	ck_assert_int_eq(run(NULL, "predict", db, tsv, NULL), 1);
	HAS(err_buf, "no model");
	ck_assert_int_eq(run(NULL, "predict", db, NULL), 1);
	HAS(err_buf, "no model");
	ck_assert_int_eq(run(NULL, "eval", db, NULL), 1);
	HAS(err_buf, "no neighbour graph");
	/* run names the label no rule votes for (price), and only it. */
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	HAS(out_buf, "\nrules:     no rule votes for price\n           (a rule "
		"for every label");
	ck_assert_ptr_null(strstr(out_buf, "rules:     none"));
	/* Many: wrapped within 79 columns, cut after 12 ("and N more"). */
	ck_assert_int_eq(run(NULL, "labels", db, "--add", "label-number-01",
			     "label-number-02", "label-number-03",
			     "label-number-04", "label-number-05",
			     "label-number-06", "label-number-07",
			     "label-number-08", "label-number-09",
			     "label-number-10", "label-number-11",
			     "label-number-12", "label-number-13",
			     "label-number-14", NULL), 0);
	ck_assert_int_eq(run(NULL, "label", db, "d", "price", NULL), 0);
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	const char *at = strstr(out_buf, "\nrules:     no rule votes for ");
	ck_assert_ptr_nonnull(at);
	const char *end = strstr(at, "(a rule for every label");
	ck_assert_ptr_nonnull(end);
	/* price, the one with hand labels, first */
	HAS(at, "no rule votes for price, label-number-01,");
	HAS(at, "label-number-11 and 3 more\n");
	ck_assert_ptr_null(strstr(at, "label-number-12"));
	for (const char *line = at + 1; line < end;) {
		const char *nl = strchr(line, '\n');
		ck_assert_msg(nl - line <= 79, "a line of %d columns: %.*s",
			      (int)(nl - line), (int)(nl - line), line);
		line = nl + 1;
	}
}
END_TEST

/* The ids `label --interactive` offered, in order, from out_buf: the
 * words after "labelled]", bold, " review ". */
static int offered(char ids[][16], int cap)
{
	int n = 0;
	for (const char *p = out_buf; n < cap &&
	     (p = strstr(p, "labelled]\033[0m review ")); p++)
		sscanf(p + 21, "%15s", ids[n++]);
	return n;
}

/* The hand labels of review `id`, joined by ',' in name order. */
static char *hand_labels(const char *db, const char *id)
{
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT ifnull(group_concat(name), '') "
		 "FROM (SELECT l.name FROM seeds s JOIN reviews r ON r.id = "
		 "s.review_id JOIN labels l ON l.id = s.label_id WHERE "
		 "r.ext_id = '%s' AND s.origin = 'hand' ORDER BY l.name)", id);
	return tu_text(db, sql);
}

#define LABELS_ARE(db, id, want) do { \
	char *got_ = hand_labels(db, id); \
	ck_assert_msg(!strcmp(got_, want), "review %s has '%s', not '%s'", \
		      id, got_, want); \
	free(got_); \
} while (0)

static const char *six_reviews =
	"id\ttext\n"
	"a\tGreat food, slow service\n"
	"b\tCheap and tasty food\n"
	"c\tThe waiter was rude\n"
	"d\tOverpriced for what it is\n"
	"e\tLovely place\n"
	"f\tNothing to say\n";

START_TEST(multi_label_hand_labels)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("m.db"));
	const char *tsv = tu_write("r.tsv", six_reviews, 0);
	ck_assert_int_eq(run(NULL, "init", db, "--multi-label", NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, tsv, NULL), 0);
	/* A file giving a review two labels keeps both, and says so. */
	const char *seeds = tu_write("seeds.tsv", "a\tfood\na\tservice\n"
				     "b\tfood\na\tfood\n", 0);
	ck_assert_int_eq(run(NULL, "seed", db, seeds, NULL), 0);
	HAS(out_buf, "3 hand labels set, 2 new labels");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 3);
	LABELS_ARE(db, "a", "food,service");
	/* label adds; the counts per label count a review under each. */
	ck_assert_int_eq(run(NULL, "label", db, "b", "price", NULL), 0);
	ck_assert_int_eq(run(NULL, "label", db, "b", "price", NULL), 0);
	LABELS_ARE(db, "b", "food,price");
	ck_assert_int_eq(run(NULL, "labels", db, NULL), 0);
	HAS(out_buf, "food                        2        0");
	HAS(out_buf, "price                       1        0");
	HAS(out_buf, "service                     1        0");
	/* unlabel drops one label, or all; what is not there is an error
	 * that changes nothing. */
	char *before = tu_digest(db);
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "price", NULL), 1);
	HAS(err_buf, "revlab: review 'a' has no hand label 'price' (it has "
	    "food, service)");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "decor", NULL), 1);
	HAS(err_buf, "revlab: no label 'decor'");
	ck_assert_int_eq(run(NULL, "unlabel", db, "zz", "food", NULL), 1);
	HAS(err_buf, "revlab: no review with id 'zz'");
	ck_assert_int_eq(run(NULL, "unlabel", db, "zz", NULL), 1);
	HAS(err_buf, "revlab: no review with id 'zz'");
	ck_assert_int_eq(run(NULL, "label", db, "zz", "food", NULL), 1);
	HAS(err_buf, "revlab: no review with id 'zz'");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "food", "x", NULL), 2);
	HAS(err_buf, "too many arguments");
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "food", NULL), 0);
	LABELS_ARE(db, "a", "service");
	LABELS_ARE(db, "b", "food,price");
	ck_assert_int_eq(run(NULL, "unlabel", db, "b", NULL), 0);
	LABELS_ARE(db, "b", "");
	ck_assert_int_eq(run(NULL, "unlabel", db, "b", NULL), 1);
	HAS(err_buf, "revlab: review 'b' has no hand label");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", NULL), 0);
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 0);
}
END_TEST

/* `label --interactive` in a multi-label store: numbers toggle labels
 * (1 food, 2 price, 3 service: by name) on one review, each toggle saved
 * at once, enter or n moves on, u undoes the last toggle, going back to
 * the review before when that is where it was. */
START_TEST(multi_label_interactive)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("m.db"));
	const char *tsv = tu_write("r.tsv", six_reviews, 0);
	ck_assert_int_eq(run(NULL, "init", db, "--multi-label", NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, tsv, NULL), 0);
	ck_assert_int_eq(run(NULL, "labels", db, "--add", "service", "food",
			     "price", NULL), 0);
	const char *keys = tu_write("keys",
		"1\n3\n\n"		/* 1st: food and service */
		"u\n3\n\n"		/* undo: 1st again; service again */
		"2\nx\n2\n2\nn\n"	/* 2nd: price, on, off, on */
		"\n"			/* 3rd: nothing, skipped */
		"3\nu\nu\n"		/* 4th: service, undone */
		"1\nn\nu\n"		/* 4th: food; 5th; undo: 4th again */
		"1\nq\n", 0);		/* 4th: food */
	ck_assert_int_eq(run(keys, "label", db, "--interactive", NULL), 0);
	char ids[10][16];
	ck_assert_int_eq(offered(ids, 9), 8);
	ck_assert_str_eq(ids[2], ids[0]);
	ck_assert_str_eq(ids[3], ids[1]);
	ck_assert_str_eq(ids[7], ids[5]);
	for (int i = 3; i < 7; i++)
		for (int j = i + 1; j < 7; j++)
			ck_assert_str_ne(ids[i], ids[j]);
	ck_assert_str_ne(ids[0], ids[4]);
	ck_assert_str_ne(ids[0], ids[5]);
	ck_assert_str_ne(ids[0], ids[6]);
	HAS(out_buf, " 1 [ ] food  2 [ ] price  3 [ ] service ");
	HAS(out_buf, " 1 [x] food  2 [ ] price  3 [x] service ");
	HAS(out_buf, "press 1-3 to toggle a label");
	HAS(out_buf, "nothing to undo");
	char line[64];
	snprintf(line, sizeof line, "undone: %s - service\n", ids[0]);
	HAS(out_buf, line);
	snprintf(line, sizeof line, "%s - price\n", ids[1]);
	HAS(out_buf, line);
	snprintf(line, sizeof line, "undone: %s - food\n", ids[5]);
	HAS(out_buf, line);
	HAS(out_buf, "4 hand labels saved this session");
	LABELS_ARE(db, ids[0], "food,service");
	LABELS_ARE(db, ids[1], "price");
	LABELS_ARE(db, ids[4], "");
	LABELS_ARE(db, ids[5], "food");
	LABELS_ARE(db, ids[6], "");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 4);
	/* The labelled ones leave the pool; quitting at once saves none. */
	ck_assert_int_eq(run(tu_write("q", "q\n", 0), "label", db,
			     "--interactive", "--seed", "9", NULL), 0);
	ck_assert_int_eq(offered(ids + 9, 1), 1);
	ck_assert_str_ne(ids[9], ids[0]);
	ck_assert_str_ne(ids[9], ids[1]);
	ck_assert_str_ne(ids[9], ids[5]);
	HAS(out_buf, "0 hand labels saved this session");
}
END_TEST

/* `label --interactive --next` in a multi-label store (the bundled
 * multi-label example, labelled by run): it offers first the review
 * `next` ranks first, and toggles save several labels on it. */
START_TEST(multi_label_interactive_next)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("m.db"));
	ck_assert_int_eq(run(NULL, "init", db, "--multi-label", NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, RL_EXAMPLES_DIR
			     "/multi/reviews.tsv", NULL), 0);
	ck_assert_int_eq(run(NULL, "seed", db, RL_EXAMPLES_DIR
			     "/multi/seeds.tsv", NULL), 0);
	ck_assert_int_eq(run(NULL, "rules", db, RL_EXAMPLES_DIR
			     "/multi/rules.txt", NULL), 0);
	ck_assert_int_eq(run(NULL, "run", db, "-q", "-p", "lexicon_dir="
			     RL_LEXICON_DIR, NULL), 0);
	int seeds = tu_int(db, "SELECT count(*) FROM seeds");
	ck_assert_int_eq(run(NULL, "next", db, "-n", "1", "--json", NULL), 0);
	char first[64] = "";
	const char *q = strstr(out_buf, "\"id\":\"");
	ck_assert_ptr_nonnull(q);
	sscanf(q + 6, "%63[^\"]", first);
	/* labels by name: 1 price, 2 quality, 3 service, 4 shipping,
	 * 5 size; toggle price and service, move on, quit */
	const char *keys = tu_write("keys", "1\n3\n\nq\n", 0);
	ck_assert_int_eq(run(keys, "label", db, "--interactive", "--next",
			     NULL), 0);
	char ids[2][16];
	ck_assert_int_ge(offered(ids, 2), 1);
	ck_assert_str_eq(ids[0], first);
	HAS(out_buf, "2 hand labels saved this session");
	LABELS_ARE(db, first, "price,service");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), seeds + 2);
}
END_TEST

/* A single-label store refuses a seeds file that gives a review two
 * labels, naming the second line and the first, and keeps its seeds. */
START_TEST(single_label_seed_conflict)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("s.db"));
	const char *tsv = tu_write("r.tsv", six_reviews, 0);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, tsv, NULL), 0);
	ck_assert_int_eq(run(NULL, "label", db, "c", "service", NULL), 0);
	char *before = tu_digest(db);
	const char *seeds = tu_write("seeds.tsv", "a\tfood\nb\tfood\n"
				     "a\tfood\nc\tprice\na\tservice\n", 0);
	ck_assert_int_eq(run(NULL, "seed", db, seeds, NULL), 1);
	char want[700];
	snprintf(want, sizeof want, "revlab: %s:5: review a already has "
		 "label food (line 1)\n", seeds);
	HAS(err_buf, want);
	HAS(err_buf, "the store is unchanged");
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Without the last line: c's label replaced, a's repeat harmless. */
	seeds = tu_write("seeds.tsv", "a\tfood\nb\tfood\na\tfood\nc\tprice\n",
			 0);
	ck_assert_int_eq(run(NULL, "seed", db, seeds, NULL), 0);
	HAS(out_buf, "3 hand labels set, 2 new labels");
	LABELS_ARE(db, "a", "food");
	LABELS_ARE(db, "c", "price");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 3);
	/* label replaces; unlabel with the wrong label keeps it. */
	ck_assert_int_eq(run(NULL, "label", db, "a", "price", NULL), 0);
	LABELS_ARE(db, "a", "price");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "food", NULL), 1);
	HAS(err_buf, "revlab: review 'a' has no hand label 'food' (it has "
	    "price)");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "nosuch", NULL), 1);
	HAS(err_buf, "revlab: no label 'nosuch'");
	LABELS_ARE(db, "a", "price");
	ck_assert_int_eq(run(NULL, "unlabel", db, "a", "price", NULL), 0);
	LABELS_ARE(db, "a", "");
	ck_assert_int_eq(run(NULL, "labels", db, NULL), 0);
	HAS(out_buf, "food                        1        0");
	HAS(out_buf, "price                       1        0");
}
END_TEST

static int lines(const char *s);

START_TEST(clusters_cli)
{
	char db[512];
	snprintf(db, sizeof db, "%s", tu_path("c.db"));
	const char *tsv = tu_write("r.tsv", "id\ttext\n"
				   "b1\tbattery life short\n"
				   "b2\tbattery charge life\n"
				   "b3\tthe battery charge\n"
				   "p1\tpizza pasta restaurant\n"
				   "p2\tpasta at the restaurant\n"
				   "p3\tpizza restaurant\n", 0);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "import", db, tsv, NULL), 0);
	ck_assert_int_eq(run(NULL, "clusters", db, NULL), 1);
	/* The library says what is missing, the CLI the one command. */
	HAS(err_buf, "no vectors yet");
	HAS(err_buf, "`revlab run ");
	ck_assert_int_eq(run(NULL, "clusters", "show", db, NULL), 1);
	HAS(err_buf, "no clusters yet");
	ck_assert_int_eq(run(NULL, "clusters", "name", db, "0", "x", NULL), 1);
	HAS(err_buf, "no clusters yet");
	ck_assert_int_eq(run(NULL, "tokenize", db, "-q", NULL), 0);
	ck_assert_int_eq(run(NULL, "vectorize", db, "-q", "-p", "dim=2",
			     NULL), 0);
	char *before = tu_digest(db);
	ck_assert_int_eq(run(NULL, "clusters", db, "--k", "7", NULL), 2);
	HAS(err_buf, "k=7 is more than the 6 reviews");
	ck_assert_int_eq(run(NULL, "clusters", db, "--k", "x", NULL), 2);
	ck_assert_int_eq(run(NULL, "clusters", db, "-p", "colour=red", NULL),
			 2);
	ck_assert_int_eq(run(NULL, "clusters", db, "-p", "vectors=bert",
			     NULL), 2);
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(run(NULL, "clusters", db, NULL), 0);
	HAS(out_buf, "k=2 has the best");
	HAS(out_buf, "2 clusters of 6 reviews");
	HAS(out_buf, "cluster 1: 3 reviews");
	HAS(out_buf, "batteri");
	ck_assert_int_eq(run(NULL, "clusters", db, "--k", "2", "--json",
			     NULL), 0);
	HAS(out_buf, "{\"k\":2,\"chosen\":false");
	HAS(out_buf, "\"clusters\":[{\"id\":0,\"size\":3");
	ck_assert_int_eq(run(NULL, "clusters", "show", db, "1", "-n", "2",
			     NULL), 0);
	ck_assert_int_eq(lines(out_buf), 2);
	ck_assert_int_eq(run(NULL, "clusters", "show", db, "2", NULL), 1);
	HAS(err_buf, "no cluster 2: clusters are numbered 0 to 1");
	ck_assert_int_eq(run(NULL, "clusters", "name", db, "2", "x", NULL), 1);
	ck_assert_int_eq(run(NULL, "clusters", "name", db, "0", "!x", NULL),
			 2);
	ck_assert_int_eq(run(NULL, "clusters", "name", db, "0", NULL), 2);
	ck_assert_int_eq(run(NULL, "clusters", "name", db, "0", "topic",
			     "-n", "2", NULL), 0);
	HAS(out_buf, "named:     2 reviews of cluster 0 'topic', a new label");
	ck_assert_int_eq(run(NULL, "clusters", "show", db, NULL), 0);
	HAS(out_buf, "[cluster: topic]");
	ck_assert_int_eq(run(NULL, "export", db, "--source", "cluster", NULL),
			 0);
	ck_assert_int_eq(lines(out_buf), 3);
	ck_assert_int_eq(run(NULL, "labels", db, NULL), 0);
	HAS(out_buf, "cluster\ntopic                       0        0        0"
	    "        0        2\n");
	/* Cluster-named labels alone are enough to run the pipeline; there
	 * is nothing to cross-validate on. */
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	HAS(out_buf, "from 0 hand labels and 2 cluster-named");
	HAS(out_buf, "too few hand labels to cross-validate");
	HAS(out_buf, "cluster-named 2\n");
	ck_assert_int_eq(run(NULL, "help", "clusters", NULL), 0);
	HAS(out_buf, "never scores them");
	HAS(out_buf, "max_k");
}
END_TEST

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* How often `what` occurs in s. */
static int count(const char *s, const char *what)
{
	int n = 0;
	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* A full disk while writing `export -o`, `report -o` or `model save`
 * (here the file-size limit: writes past 2 KB fail with EFBIG) leaves the
 * old file as it was and no half-written file beside it. */
START_TEST(full_disk_leaves_old_file)
{
	char db[512], f[700], cmd[4000], old_path[600];
	snprintf(db, sizeof db, "%s", tu_path("fd.db"));
	snprintf(f, sizeof f, "%s/../../examples/reviews.tsv",
		 RL_TEST_DATA_DIR);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "import", "-q", db, f, NULL), 0);
	snprintf(f, sizeof f, "%s/../../examples/seeds.tsv",
		 RL_TEST_DATA_DIR);
	ck_assert_int_eq(run(NULL, "seed", db, f, NULL), 0);
	ck_assert_int_eq(run(NULL, "run", "-q", db, NULL), 0);
	const char *what[] = { "export --text %s -o %s", "report %s -o %s",
			       "model save %s %s" };
	for (int w = 0; w < 3; w++) {
		char name[32];
		snprintf(name, sizeof name, "out%d", w);
		snprintf(old_path, sizeof old_path, "%s",
			 tu_write(name, "old content\n", 0));
		char args[1500];
		snprintf(args, sizeof args, what[w], db, old_path);
		snprintf(cmd, sizeof cmd, "trap '' XFSZ; ulimit -f 2; exec %s "
			 "%s", RL_REVLAB_EXE, args);
		char *argv[] = { (char *)"/bin/sh", (char *)"-c", cmd, NULL };
		ck_assert_int_eq(tu_exec(argv, NULL, out_buf, sizeof out_buf,
					 err_buf, sizeof err_buf), 1);
		HAS(err_buf, old_path);
		char back[64] = "";
		tu_slurp(old_path, back, sizeof back);
		ck_assert_str_eq(back, "old content\n");
	}
	/* A sqlite export names its own file, not the store, and leaves
	 * nothing (40 KB in dash's 512-byte blocks: room for the store's
	 * WAL index, not for the 48 KB export). */
	snprintf(old_path, sizeof old_path, "%s", tu_path("x.sqlite"));
	snprintf(cmd, sizeof cmd, "trap '' XFSZ; ulimit -f 80; exec %s "
		 "export --text --format sqlite %s -o %s", RL_REVLAB_EXE, db,
		 old_path);
	char *sh[] = { (char *)"/bin/sh", (char *)"-c", cmd, NULL };
	ck_assert_int_eq(tu_exec(sh, NULL, out_buf, sizeof out_buf, err_buf,
				 sizeof err_buf), 1);
	HAS(err_buf, "x.sqlite: cannot write the export");
	ck_assert_int_ne(access(old_path, F_OK), 0);
	/* Nothing left beside them. */
	snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp-", tu_path(""));
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", cmd, NULL };
	tu_exec(argv, NULL, out_buf, sizeof out_buf, err_buf, sizeof err_buf);
	ck_assert_str_eq(out_buf, "0\n");
}
END_TEST

/* The README's main job on the bundled example, end to end. */
START_TEST(example_end_to_end)
{
	char db[512], ex[600], f[700];
	snprintf(db, sizeof db, "%s", tu_path("ex.db"));
	snprintf(ex, sizeof ex, "%s/../../examples", RL_TEST_DATA_DIR);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	snprintf(f, sizeof f, "%s/reviews.tsv", ex);
	ck_assert_int_eq(run(NULL, "import", db, f, NULL), 0);
	snprintf(f, sizeof f, "%s/seeds.tsv", ex);
	ck_assert_int_eq(run(NULL, "seed", db, f, NULL), 0);
	snprintf(f, sizeof f, "%s/rules.txt", ex);
	ck_assert_int_eq(run(NULL, "rules", db, f, NULL), 0);
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	HAS(out_buf, "cross-validation on 20 hand labels");
	HAS(out_buf, "choose:");
	/* With rules, no word about writing some. */
	HAS(out_buf, "matched against 3 rules");
	ck_assert_ptr_null(strstr(out_buf, "rules:     none"));
	ck_assert_ptr_null(strstr(out_buf, "no rule votes"));
	/* run picks the neighbours per review among those the graph has,
	 * and shows the blend among the ways of labelling. */
	HAS(out_buf, "choose:    propagation's settings, each scored by the "
		"best cross-validated\n           macro-F1 of propagation, "
		"the nb model and the blend:\n");
	HAS(out_buf, "\n            10 neighbours, uniform class shares: 0.");
	HAS(out_buf, "\n             5 neighbours, uniform class shares: 0.");
	HAS(out_buf, "           taking 10 neighbours, uniform class shares: "
		"the first within one\n");
	HAS(out_buf, "  blend     ");
	HAS(out_buf, "<- chosen");
	/* The model, since self-training (0.649 cross-validated against
	 * the blend's 0.596 before it, which was chosen then). */
	HAS(out_buf, "choose:    model pool (cross-validated macro-F1 ");
	/* It says the classifier was trained twice, and how to stop it. */
	HAS(out_buf, "           and its own labels of the same reviews, 50% "
		"its own (self-training;\n           -p self_train=0 trains "
		"once)\n");
	/* What the labelling's spreading reached comes after the choosing,
	 * which set its neighbours and class shares. */
	HAS(out_buf, "propagate: 300 reviews from 20 hand labels: ");
	ck_assert_ptr_nonnull(strstr(strstr(out_buf, "taking 10 neighbours"),
				     "propagate: 300 reviews"));
	ck_assert_ptr_null(strstr(out_buf, "propagate: skipped"));
	/* With as many hand labels for every label, the seeds' shares are
	 * uniform: only one of the two is tried. */
	ck_assert_ptr_null(strstr(out_buf, "seeds   class shares: "));
	/* What is given is used as given. */
	ck_assert_int_eq(run(NULL, "run", db, "-p", "neighbours=5", "-p",
			     "class_prior=seeds", NULL), 0);
	ck_assert_ptr_null(strstr(out_buf, "propagation's settings"));
	HAS(out_buf, "(5 neighbours per review, seeds class shares)");
	/* A value outside the list is refused as the options are read. */
	ck_assert_int_eq(run(NULL, "run", db, "-p", "class_prior=even", NULL),
			 2);
	HAS(err_buf, "bad value in 'class_prior=even'");
	static const char *const takes_prior[] = { "propagate", "next",
						   "suspects", "train", NULL };
	for (int c = 0; takes_prior[c]; c++) {
		ck_assert_int_eq(run(NULL, takes_prior[c], db, "-p",
				     "class_prior=even", NULL), 2);
		HAS(err_buf, "class_prior=even");
	}
	ck_assert_int_eq(run(NULL, "eval", db, "-p",
			     "propagate.class_prior=even", NULL), 2);
	/* Unbalanced hand labels: both shares are tried. */
	snprintf(f, sizeof f, "%s", tu_write("more.tsv", "id\tlabel\n"
		 "amazon:35\tpos\namazon:43\tpos\n", 0));
	ck_assert_int_eq(run(NULL, "seed", db, f, NULL), 0);
	ck_assert_int_eq(run(NULL, "run", db, NULL), 0);
	HAS(out_buf, "             5 neighbours, uniform class shares: ");
	HAS(out_buf, "            10 neighbours, seeds   class shares: ");
	ck_assert_int_eq(run(NULL, "unlabel", db, "amazon:35", NULL), 0);
	ck_assert_int_eq(run(NULL, "unlabel", db, "amazon:43", NULL), 0);
	ck_assert_int_eq(run(NULL, "export", db, "--format", "csv", NULL), 0);
	ck_assert_int_eq(lines(out_buf), 301);
	HAS(out_buf, "\"id\",\"label\",\"confidence\",\"source\"\n");
	ck_assert_int_eq(run(NULL, "predict", db, NULL), 0);
	ck_assert_int_eq(lines(out_buf), 301);
	snprintf(f, sizeof f, "%s/reviews.tsv", ex);
	ck_assert_int_eq(run(NULL, "predict", db, f, "--top", "2", NULL), 0);
	ck_assert_int_eq(lines(out_buf), 301);
	HAS(out_buf, "id\tlabel\tconfidence\tlabel2\tconfidence2\n");
	ck_assert_int_eq(run(NULL, "train", db, "-p", "model=cnb", NULL), 0);
	HAS(out_buf, "cnb model stored");
	ck_assert_int_eq(run(NULL, "train", db, "-p", "model=svm", NULL), 2);
	HAS(err_buf, "bad value in 'model=svm'");
	ck_assert_int_eq(run(NULL, "eval", db, "--json", NULL), 0);
	HAS(out_buf, "\"best\":");
	HAS(out_buf, "\"majority\":{\"baseline\":true,\"accuracy\":");
	HAS(out_buf, "\"seeds-only\":{\"baseline\":true,\"accuracy\":");
	/* The table: the baselines under a line below the methods, marked,
	 * never chosen, and what the chosen method adds to them. */
	ck_assert_int_eq(run(NULL, "eval", db, NULL), 0);
	const char *blend = strstr(out_buf, "\n  blend    ");
	const char *line = strstr(out_buf, "\n  - - - -");
	const char *maj = strstr(out_buf, "\n  majority    ");
	const char *so = strstr(out_buf, "\n  seeds-only  ");
	ck_assert(blend && line && maj && so);
	ck_assert(blend < line && line < maj && maj < so);
	ck_assert(strstr(maj, "  (baseline)\n") + 12 == strchr(maj + 1, '\n'));
	ck_assert(strstr(so, "  (baseline)\n") + 12 == strchr(so + 1, '\n'));
	ck_assert_int_eq(count(out_buf, "(baseline)"), 2);
	ck_assert_int_eq(count(out_buf, "<- chosen"), 1);
	ck_assert(strstr(out_buf, "<- chosen") < line);
	HAS(out_buf, "  what the pipeline adds: ");
	HAS(out_buf, "baseline's\n  (");
	ck_assert_int_eq(run(NULL, "suggest", db, "pos", "-n", "3", NULL), 0);
	HAS(out_buf, "pos\t(?<!\\w)");
	/* The report: to a file, or '-' for stdout; a bad path fails with
	 * its name and leaves nothing. */
	char html[600];
	snprintf(html, sizeof html, "%s", tu_path("r.html"));
	ck_assert_int_eq(run(NULL, "report", db, "-o", html, NULL), 0);
	HAS(err_buf, "report written to");
	ck_assert_int_eq(access(html, F_OK), 0);
	ck_assert_int_eq(run(NULL, "report", db, "-o", "-", "--samples", "1",
			     NULL), 0);
	HAS(out_buf, "<!DOCTYPE html>");
	HAS(out_buf, "Least confident reviews per label");
	snprintf(html, sizeof html, "%s", tu_path("nodir/r.html"));
	ck_assert_int_eq(run(NULL, "report", db, "-o", html, NULL), 1);
	HAS(err_buf, "nodir/r.html: cannot create");
	ck_assert_int_eq(access(tu_path("nodir"), F_OK), -1);
	ck_assert_int_eq(run(NULL, "report", db, NULL), 2);
	HAS(err_buf, "missing -o FILE");
	ck_assert_int_eq(run(NULL, "report", db, "-o", "-", "--samples", "x",
			     NULL), 2);
	ck_assert_int_eq(run(NULL, "help", "report", NULL), 0);
	HAS(out_buf, "self-contained HTML");
}
END_TEST

/* next, suspects and labelling in next order, on the bundled example. */
START_TEST(guide_commands)
{
	char db[512], ex[600], f[700];
	snprintf(db, sizeof db, "%s", tu_path("g.db"));
	snprintf(ex, sizeof ex, "%s/../../examples", RL_TEST_DATA_DIR);
	ck_assert_int_eq(run(NULL, "init", db, NULL), 0);
	snprintf(f, sizeof f, "%s/reviews.tsv", ex);
	ck_assert_int_eq(run(NULL, "import", db, f, NULL), 0);
	/* Before `revlab run`: a clear error, nothing changed. */
	char *before = tu_digest(db);
	ck_assert_int_eq(run(NULL, "next", db, NULL), 1);
	HAS(err_buf, "revlab run");
	ck_assert_int_eq(run(NULL, "suspects", db, NULL), 1);
	HAS(err_buf, "revlab: ");
	char *after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	snprintf(f, sizeof f, "%s/seeds.tsv", ex);
	ck_assert_int_eq(run(NULL, "seed", db, f, NULL), 0);
	snprintf(f, sizeof f, "%s/rules.txt", ex);
	ck_assert_int_eq(run(NULL, "rules", db, f, NULL), 0);
	ck_assert_int_eq(run(NULL, "tokenize", "-q", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "vectorize", "-q", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "graph", "-q", db, NULL), 0);
	ck_assert_int_eq(run(NULL, "next", db, NULL), 1);
	HAS(err_buf, "no model yet");
	HAS(err_buf, "`revlab run ");
	ck_assert_int_eq(run(NULL, "run", "-q", db, NULL), 0);
	/* Bad arguments are usage errors. */
	ck_assert_int_eq(run(NULL, "next", db, "-n", "0", NULL), 2);
	ck_assert_int_eq(run(NULL, "next", db, "-p", "nosuch=1", NULL), 2);
	ck_assert_int_eq(run(NULL, "next", NULL), 2);
	ck_assert_int_eq(run(NULL, "suspects", db, "--bogus", NULL), 2);
	ck_assert_int_eq(run(NULL, "label", db, "--next", NULL), 2);
	HAS(err_buf, "--next goes with --interactive");
	before = tu_digest(db);
	ck_assert_int_eq(run(NULL, "next", db, "-n", "5", NULL), 0);
	ck_assert_int_eq(lines(out_buf), 15);
	HAS(out_buf, "  1  ");
	HAS(out_buf, "density");
	ck_assert_int_eq(run(NULL, "next", db, "-n", "3", "--json", "-p",
			     "density=0", NULL), 0);
	ck_assert_int_eq(lines(out_buf), 3);
	HAS(out_buf, "{\"rank\":1,\"id\":\"");
	HAS(out_buf, "\"reason\":\"");
	ck_assert_int_eq(run(NULL, "suspects", db, NULL), 0);
	HAS(out_buf, "hand labels suspect (5-fold cross-validation)");
	ck_assert_int_eq(run(NULL, "suspects", db, "--json", "-n", "1",
			     NULL), 0);
	ck_assert_int_le(lines(out_buf), 1);
	after = tu_digest(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Label the first review `next` offers, skip one, quit. */
	ck_assert_int_eq(run(NULL, "next", db, "-n", "1", "--json", NULL), 0);
	char first[64] = "";
	const char *q = strstr(out_buf, "\"id\":\"");
	ck_assert_ptr_nonnull(q);
	sscanf(q + 6, "%63[^\"]", first);
	const char *in = tu_write("answers", "1\ns\nq\n", 0);
	ck_assert_int_eq(run(in, "label", db, "--interactive", "--next",
			     NULL), 0);
	HAS(out_buf, first);
	HAS(out_buf, "density");
	HAS(out_buf, "1 hand labels saved");
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM seeds s JOIN reviews "
		 "r ON r.id = s.review_id WHERE r.ext_id = '%s'", first);
	ck_assert_int_eq(tu_int(db, sql), 1);
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds"), 21);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, pipeline);
	tcase_add_test(tc, read_only_folder);
	tcase_add_test(tc, full_disk_leaves_old_file);
	tcase_add_test(tc, foreign_database);
	tcase_add_test(tc, seeds_and_rules);
	tcase_add_test(tc, multi_label_hand_labels);
	tcase_add_test(tc, multi_label_interactive);
	tcase_add_test(tc, multi_label_interactive_next);
	tcase_add_test(tc, single_label_seed_conflict);
	tcase_add_test(tc, example_end_to_end);
	tcase_add_test(tc, clusters_cli);
	tcase_add_test(tc, guide_commands);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
