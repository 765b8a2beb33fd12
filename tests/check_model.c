/*
 * check_model.c - the model object: it predicts exactly what prediction
 * through the store does, for every kind of classifier, before and after
 * a trip through its file; it needs neither store nor lexicon folder once
 * made; its file refuses damage, truncation, foreign files and other
 * versions by name and never reads out of bounds (every byte flipped in
 * turn); threads share one model; and the CLI's `model` and `predict
 * --model` commands.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "model.h"
#include "testutil.h"

#define EXAMPLES RL_EXAMPLES_DIR

/* Texts with known words, none, negation, emoji, accents: as a file for
 * the store's way and as strings for rl_model_predict. */
static const char *const extra_texts[] = {
	"Great phone, love it!",
	"The battery died after a week. Not good at all.",
	"zzzz qqqq",
	"I don't recommend this \xf0\x9f\x98\xa0",
	"\303\207a marche tr\303\250s bien",
	"price",
	"Not bad",
	"BAD BAD BAD bad",
};
#define N_EXTRA (sizeof extra_texts / sizeof extra_texts[0])

static const char *write_extra(void)
{
	rl_buf b = { 0 };
	for (size_t i = 0; i < N_EXTRA; i++)
		ck_assert_int_eq(rl_buf_printf(&b, "{\"id\":\"x%zu\",\"text\":"
					       "\"%s\"}\n", i, extra_texts[i]),
				 RL_OK);
	const char *p = tu_write("extra.jsonl", b.data, b.len);
	rl_buf_free(&b);
	return p;
}

/* ---- collecting predictions ---- */

#define MAX_ROWS 400
#define TOP 3

typedef struct got {
	size_t n;
	int top;
	char id[MAX_ROWS][32];
	char label[MAX_ROWS][TOP][16];
	double conf[MAX_ROWS][TOP];
} got;

static int collect(void *ctx, const rl_prediction *p)
{
	got *g = ctx;
	ck_assert_uint_lt(g->n, MAX_ROWS);
	ck_assert_int_le(p->n, TOP);
	g->top = p->n;
	snprintf(g->id[g->n], sizeof g->id[0], "%s", p->id);
	for (int j = 0; j < p->n; j++) {
		snprintf(g->label[g->n][j], sizeof g->label[0][0], "%s",
			 p->labels[j]);
		g->conf[g->n][j] = p->confidence[j];
	}
	g->n++;
	return 0;
}

static void same(const got *a, const got *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_int_eq(a->top, b->top);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_str_eq(a->id[i], b->id[i]);
		for (int j = 0; j < a->top; j++) {
			ck_assert_str_eq(a->label[i][j], b->label[i][j]);
			ck_assert_msg(fabs(a->conf[i][j] - b->conf[i][j]) <=
				      1e-12, "%s: %.17g vs %.17g", a->id[i],
				      a->conf[i][j], b->conf[i][j]);
		}
	}
}

/* ---- the examples store, built once ---- */

static char fx_dir[256], fx_db[512];
static const char *const kinds[] = { "logreg", "nb", "cnb" };
static const rl_classifier classifiers[] = { RL_CLASSIFIER_LOGREG,
					     RL_CLASSIFIER_NB,
					     RL_CLASSIFIER_CNB };
/* A temperature of each kind's own, so calibration is carried too. */
static const double temps[] = { 0.7, 1, 3 };
static int64_t fx_model[3];

static void fixture_setup(void)
{
	rl_db *db = NULL;
	rl_eval_opts eo;
	snprintf(fx_dir, sizeof fx_dir, "/tmp/revlab-model-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
	snprintf(fx_db, sizeof fx_db, "%s/ex.db", fx_dir);
	ck_assert_int_eq(rl_db_open(fx_db, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, EXAMPLES "/reviews.tsv", NULL,
					NULL), RL_OK);
	ck_assert_int_eq(rl_seed_file(db, EXAMPLES "/seeds.tsv", NULL),
			 RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	ck_assert_int_eq(rl_rules_load(db, EXAMPLES "/rules.txt", &ro, NULL),
			 RL_OK);
	/* A third label with no evidence: its column still counts. */
	ck_assert_int_eq(rl_label_add(db, "meh"), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, NULL, NULL), RL_OK);
	for (int k = 0; k < 3; k++) {
		rl_eval_opts_init(&eo);
		eo.model = classifiers[k];
		eo.temperature = temps[k];
		ck_assert_int_eq(rl_train(db, &eo), RL_OK);
		fx_model[k] = k + 1;
	}
	rl_db_close(db);
}

static void fixture_teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx_dir);
}

static rl_model *get_model(int k)
{
	rl_db *db = NULL;
	rl_model *m = NULL;
	ck_assert_int_eq(rl_db_open(fx_db, 0, &db), RL_OK);
	ck_assert_msg(rl_model_get(db, fx_model[k], &m) == RL_OK, "%s",
		      rl_db_errmsg(db));
	rl_db_close(db);
	return m;
}

/* Predicts the file through the store, through the model made from it,
 * and through the model after a trip through its file: all the same. */
START_TEST(same_as_store)
{
	static got via_store, via_model, via_file;
	const char *files[] = { EXAMPLES "/reviews.tsv", write_extra() };
	char err[512] = "";
	int k = _i;

	rl_model *m = get_model(k);
	ck_assert_str_eq(rl_model_kind(m), kinds[k]);
	ck_assert_uint_eq(rl_model_n_labels(m), 3);
	/* In the order the labels were made. */
	ck_assert_str_eq(rl_model_label(m, 0), "neg");
	ck_assert_str_eq(rl_model_label(m, 1), "pos");
	ck_assert_str_eq(rl_model_label(m, 2), "meh");
	ck_assert_ptr_null(rl_model_label(m, 3));
	const char *path = tu_path("m.rlm");
	ck_assert_msg(rl_model_save(m, path, err, sizeof err) == RL_OK, "%s",
		      err);
	rl_model *back = NULL;
	ck_assert_msg(rl_model_load(path, &back, err, sizeof err) == RL_OK,
		      "%s", err);
	rl_model_info a, b;
	rl_model_describe(m, &a);
	rl_model_describe(back, &b);
	ck_assert_str_eq(b.kind, kinds[k]);
	ck_assert_str_eq(b.made_by, RL_VERSION);
	ck_assert_str_eq(b.created, a.created);
	ck_assert_int_eq(b.store_id, fx_model[k]);
	ck_assert_str_eq(b.language, "en");
	ck_assert_uint_eq(b.n_terms, a.n_terms);
	ck_assert_uint_gt(b.n_terms, 100);
	ck_assert_uint_eq(b.n_features, a.n_features);
	ck_assert_uint_eq(b.dim, a.dim);
	ck_assert_int_eq(b.ngram_max, 2);
	ck_assert(b.temperature == temps[k]);

	for (size_t f = 0; f < 2; f++) {
		rl_db *db = NULL;
		uint64_t n = 0;
		memset(&via_store, 0, sizeof via_store);
		memset(&via_model, 0, sizeof via_model);
		memset(&via_file, 0, sizeof via_file);
		ck_assert_int_eq(rl_db_open(fx_db, 0, &db), RL_OK);
		ck_assert_msg(rl_predict_file(db, files[f], NULL, fx_model[k],
					      TOP, collect, &via_store, &n) ==
			      RL_OK, "%s", rl_db_errmsg(db));
		rl_db_close(db);
		ck_assert_uint_eq(n, via_store.n);
		ck_assert_int_eq(rl_predict_file_model(m, files[f], NULL, TOP,
						       collect, &via_model, &n,
						       err, sizeof err), RL_OK);
		ck_assert_int_eq(rl_predict_file_model(back, files[f], NULL,
						       TOP, collect, &via_file,
						       &n, err, sizeof err),
				 RL_OK);
		same(&via_store, &via_model);
		same(&via_store, &via_file);
	}
	ck_assert_uint_eq(via_store.n, N_EXTRA);

	/* The texts themselves, as a batch: the same again. */
	int32_t lab[N_EXTRA][TOP];
	double conf[N_EXTRA][TOP];
	ck_assert_int_eq(rl_model_predict(back, (const char *const *)
					  extra_texts, NULL, N_EXTRA, TOP,
					  &lab[0][0], &conf[0][0], err,
					  sizeof err), RL_OK);
	for (size_t i = 0; i < N_EXTRA; i++) {
		double sum = 0;
		for (int j = 0; j < TOP; j++) {
			ck_assert_str_eq(rl_model_label(back, (size_t)
							lab[i][j]),
					 via_store.label[i][j]);
			ck_assert(fabs(conf[i][j] - via_store.conf[i][j]) <=
				  1e-12);
			ck_assert(j == 0 || conf[i][j] <= conf[i][j - 1]);
			sum += conf[i][j];
		}
		ck_assert(fabs(sum - 1) < 1e-9);
	}
	/* An empty text is a text of no known word: the model's answer
	 * for that ("zzzz qqqq"), not an error. */
	const char *empty[] = { "", NULL };
	size_t lens[] = { 0, 0 };
	int32_t el[2][TOP];
	double ec[2][TOP];
	ck_assert_int_eq(rl_model_predict(back, empty, lens, 2, TOP,
					  &el[0][0], &ec[0][0], err,
					  sizeof err), RL_OK);
	for (int j = 0; j < TOP; j++) {
		ck_assert_int_eq(el[0][j], lab[2][j]);
		ck_assert_int_eq(el[1][j], lab[2][j]);
		ck_assert(ec[0][j] == conf[2][j] && ec[1][j] == conf[2][j]);
	}
	rl_model_free(m);
	rl_model_free(back);
}
END_TEST

/* A fresh model labelling one text of no known word alone: the batch
 * has no token at all, so the TF-IDF step gets no token array (NULL),
 * on which it did NULL + 0 (undefined; found by fuzz/fuzz_model under
 * clang's UBSan). The answer is that of any text of no known word. */
START_TEST(no_word_alone)
{
	rl_model *m = get_model(0);
	const char *texts[] = { "", "zzzz qqqq", "the" };
	int32_t lab[3], one;
	double conf[3], c;
	char err[256] = "";
	ck_assert_int_eq(rl_model_predict(m, texts, NULL, 3, 1, lab, conf,
					  err, sizeof err), RL_OK);
	rl_model_free(m);
	for (int i = 0; i < 3; i++) {
		m = get_model(0);
		ck_assert_int_eq(rl_model_predict(m, &texts[i], NULL, 1, 1,
						  &one, &c, err, sizeof err),
				 RL_OK);
		ck_assert_int_eq(one, lab[i]);
		ck_assert(c == conf[i]);
		rl_model_free(m);
	}
}
END_TEST

/* Texts that are not UTF-8 are named by index; bad arguments refused. */
START_TEST(bad_texts)
{
	rl_model *m = get_model(0);
	const char *texts[] = { "fine", "ok", "\xff bad", "\xc3" };
	int32_t lab[4];
	double conf[4];
	char err[256] = "";
	ck_assert_int_eq(rl_model_predict(m, texts, NULL, 4, 1, lab, conf,
					  err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, "text 2: not valid UTF-8");
	size_t lens[] = { 4, 2, 1, 1 };
	texts[2] = "ab";
	ck_assert_int_eq(rl_model_predict(m, texts, lens, 4, 1, lab, conf,
					  err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, "text 3: not valid UTF-8");
	ck_assert_int_eq(rl_model_predict(m, texts, lens, 3, 1, lab, conf,
					  err, sizeof err), RL_OK);
	ck_assert_int_eq(rl_model_predict(m, texts, lens, 3, 4, lab, conf,
					  err, sizeof err), RL_EINVAL);
	ck_assert_str_eq(err, "top is 1 to 3, not 4");
	ck_assert_int_eq(rl_model_predict(m, texts, lens, 3, 0, lab, conf,
					  err, sizeof err), RL_EINVAL);
	ck_assert_int_eq(rl_model_predict(NULL, texts, lens, 3, 1, lab, conf,
					  err, sizeof err), RL_EINVAL);
	ck_assert_int_eq(rl_model_predict(m, texts, lens, 0, 1, NULL, NULL,
					  NULL, 0), RL_OK);
	rl_model_free(NULL);
	ck_assert_uint_eq(rl_model_n_labels(NULL), 0);
	rl_model_free(m);
}
END_TEST

/* ---- threads ---- */

typedef struct job {
	const rl_model *m;
	const char *const *texts;
	size_t n;
	int32_t *lab;
	double *conf;
	int rc;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	char err[256];
	for (int round = 0; round < 3 && j->rc == RL_OK; round++)
		j->rc = rl_model_predict(j->m, j->texts, NULL, j->n, TOP,
					 j->lab, j->conf, err, sizeof err);
	return NULL;
}

/* The examples' texts: the third column of reviews.tsv. */
static size_t read_texts(char **buf, const char **texts, size_t max)
{
	FILE *f = fopen(EXAMPLES "/reviews.tsv", "rb");
	ck_assert_ptr_nonnull(f);
	*buf = malloc(1 << 20);
	size_t len = fread(*buf, 1, (1 << 20) - 1, f);
	fclose(f);
	(*buf)[len] = 0;
	size_t n = 0;
	char *line = strchr(*buf, '\n') + 1;	/* past the header */
	while (*line && n < max) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *t = strchr(strchr(line, '\t') + 1, '\t') + 1;
		texts[n++] = t;
		line = nl ? nl + 1 : line + strlen(line);
	}
	return n;
}

START_TEST(threads_share_a_model)
{
	enum { THREADS = 4 };
	const char *texts[MAX_ROWS];
	char *buf;
	size_t n = read_texts(&buf, texts, MAX_ROWS);
	ck_assert_uint_eq(n, 300);
	rl_model *m = get_model(0);
	job ref = { m, texts, n, malloc(n * TOP * sizeof(int32_t)),
		    malloc(n * TOP * sizeof(double)), RL_OK };
	run_job(&ref);
	ck_assert_int_eq(ref.rc, RL_OK);
	job jobs[THREADS];
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++) {
		jobs[t] = (job){ m, texts, n, malloc(n * TOP * sizeof(int32_t)),
				 malloc(n * TOP * sizeof(double)), RL_OK };
		ck_assert_int_eq(pthread_create(&th[t], NULL, run_job,
						&jobs[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		ck_assert_int_eq(pthread_join(th[t], NULL), 0);
		ck_assert_int_eq(jobs[t].rc, RL_OK);
		ck_assert(!memcmp(jobs[t].lab, ref.lab,
				  n * TOP * sizeof(int32_t)));
		ck_assert(!memcmp(jobs[t].conf, ref.conf,
				  n * TOP * sizeof(double)));
		free(jobs[t].lab);
		free(jobs[t].conf);
	}
	free(ref.lab);
	free(ref.conf);
	free(buf);
	rl_model_free(m);
}
END_TEST

/* ---- the file ---- */

static unsigned char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	unsigned char *d = malloc(*len + 1);
	ck_assert_uint_eq(fread(d, 1, *len, f), *len);
	fclose(f);
	return d;
}

static void spit_file(const char *path, const unsigned char *d, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(d, 1, len, f), len);
	fclose(f);
}

static void put_le32(unsigned char *q, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		q[i] = (unsigned char)(v >> 8 * i);
}

/* Makes both checksums right again, so the parser sees the change. */
static void reseal(unsigned char *d, size_t len)
{
	put_le32(d + 28, rl_crc32(0, d, 28));
	put_le32(d + len - 4, rl_crc32(0, d, len - 4));
}

static int try_load(const char *path, char *err, size_t errlen)
{
	rl_model *m = (rl_model *)&m;
	int rc = rl_model_load(path, &m, err, errlen);
	if (rc == RL_OK)
		rl_model_free(m);
	else
		ck_assert_ptr_null(m);
	return rc;
}

START_TEST(crc32_known_value)
{
	ck_assert_uint_eq(rl_crc32(0, "123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(rl_crc32(rl_crc32(0, "1234", 4), "56789", 5),
			  0xcbf43926u);
	ck_assert_uint_eq(rl_crc32(0, "", 0), 0);
}
END_TEST

START_TEST(refuses_bad_files)
{
	char err[1024], want[1200];
	rl_model *m = get_model(1);
	char good[600];
	snprintf(good, sizeof good, "%s", tu_path("good.rlm"));
	ck_assert_int_eq(rl_model_save(m, good, err, sizeof err), RL_OK);
	rl_model_free(m);
	size_t len;
	unsigned char *d = slurp_file(good, &len);
	unsigned char *c = malloc(len);
	const char *bad = tu_path("bad.rlm");

	/* One byte flipped in the middle. */
	memcpy(c, d, len);
	c[len / 2] ^= 0x10;
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	snprintf(want, sizeof want, "%s: damaged: checksum mismatch", bad);
	ck_assert_str_eq(err, want);
	/* ... or in the header, or in the trailer. */
	memcpy(c, d, len);
	c[17] ^= 1;
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, want);
	memcpy(c, d, len);
	c[len - 1] ^= 0x80;
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, want);

	/* Cut short: in the body, in the header, empty. */
	snprintf(want, sizeof want, "%s: truncated", bad);
	size_t cuts[] = { len - 1, len / 2, 40, 31, 5, 0 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		spit_file(bad, d, cuts[i]);
		ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
		ck_assert_str_eq(err, want);
	}
	/* Longer than it says. */
	memcpy(c, d, len);
	spit_file(bad, c, len);
	FILE *f = fopen(bad, "ab");
	fputs("x", f);
	fclose(f);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "damaged"));

	/* Not a model at all: text, a store, a wrong first byte. */
	snprintf(want, sizeof want, "%s: not a revlab model file", bad);
	spit_file(bad, (const unsigned char *)"id\ttext\n1\thello\n", 16);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(try_load(fx_db, err, sizeof err), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, ": not a revlab model file"));
	memcpy(c, d, len);
	c[0] = 'R';
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	ck_assert_str_eq(err, want);

	/* A later format version, checksums right: refused as such. */
	memcpy(c, d, len);
	put_le32(c + 8, 4);
	reseal(c, len);
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EVERSION);
	snprintf(want, sizeof want, "%s: model file format version 4; this "
		 "library reads versions 1 to 3", bad);
	ck_assert_str_eq(err, want);

	/* Sound checksums, unsound content: a count too large. The LABL
	 * section follows INFO and TOKN; find it by its tag. */
	memcpy(c, d, len);
	unsigned char *labl = memmem(c, len, "LABL", 4);
	ck_assert_ptr_nonnull(labl);
	put_le32(labl + 12, 1000000);
	reseal(c, len);
	spit_file(bad, c, len);
	ck_assert_int_eq(try_load(bad, err, sizeof err), RL_EINPUT);
	snprintf(want, sizeof want, "%s: damaged: bad LABL section", bad);
	ck_assert_str_eq(err, want);

	/* Missing and unreadable files. */
	ck_assert_int_eq(try_load(tu_path("none.rlm"), err, sizeof err),
			 RL_EIO);
	ck_assert_ptr_nonnull(strstr(err, "none.rlm: No such file"));
	ck_assert_int_eq(try_load(tu_dir, err, sizeof err), RL_EIO);

	/* The good one still loads. */
	ck_assert_int_eq(try_load(good, err, sizeof err), RL_OK);
	free(c);
	free(d);
}
END_TEST

START_TEST(save_failures_leave_nothing)
{
	char err[1024];
	rl_model *m = get_model(2);
	const char *nodir = tu_path("nodir/m.rlm");
	ck_assert_int_eq(rl_model_save(m, nodir, err, sizeof err), RL_EIO);
	ck_assert_ptr_nonnull(strstr(err, "nodir/m.rlm: cannot create"));
	ck_assert_int_eq(access(tu_path("nodir"), F_OK), -1);
	/* A folder in the way: written, then not renamed; no temporary
	 * file left beside it. */
	char dir[600];
	snprintf(dir, sizeof dir, "%s", tu_path("adir"));
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	ck_assert_int_eq(rl_model_save(m, dir, err, sizeof err), RL_EIO);
	ck_assert_ptr_nonnull(strstr(err, "adir: cannot replace"));
	DIR *dp = opendir(tu_dir);
	struct dirent *e;
	int entries = 0;
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entries++;
	closedir(dp);
	ck_assert_int_eq(entries, 1);	/* adir only */
	/* Over an older file: replaced whole. */
	const char *p = tu_write("old.rlm", "old", 3);
	ck_assert_int_eq(rl_model_save(m, p, err, sizeof err), RL_OK);
	ck_assert_int_eq(try_load(p, err, sizeof err), RL_OK);
	ck_assert_int_eq(rl_model_save(m, "", err, sizeof err), RL_EINVAL);
	rl_model_free(m);
}
END_TEST

/* ---- standalone: a small store whose lexicons are a copy ---- */

static void small_store_with(const char *db_path, const char *lexdir,
			     int negation)
{
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv",
		"id\ttext\n"
		"a1\tcheap price good value\n"
		"a2\tcheap price low cost\n"
		"a3\tgood value low cost cheap\n"
		"a4\tlow price cheap deal\n"
		"b1\tfast shipping quick delivery\n"
		"b2\tquick delivery fast courier\n"
		"b3\tcourier shipping fast\n"
		"b4\tdelivery was quick shipping\n"
		"m1\tcheap price, fast shipping\n", 0), NULL, NULL), RL_OK);
	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	to.lexicon_dir = lexdir;
	to.negation = negation;
	rl_vectorize_opts vo;
	rl_vectorize_opts_init(&vo);
	vo.dim = 2;
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 3;
	ck_assert_int_eq(rl_tokenize(db, &to, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	const char *seeds[] = { "a1", "a2", "a3", "b1", "b2", "b3" };
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(rl_seed_set(db, seeds[i], i < 3 ? "price"
							      : "shipping"),
				 RL_OK);
	ck_assert_int_eq(rl_train(db, NULL), RL_OK);
	rl_db_close(db);
}

static void small_store(const char *db_path, const char *lexdir)
{
	small_store_with(db_path, lexdir, 1);
}

static void copy_lexicons(const char *to)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s/en' "
			 "'%s/'", to, RL_LEXICON_DIR, to);
	ck_assert(n > 0 && (size_t)n < sizeof cmd);
	ck_assert_int_eq(system(cmd), 0);
}

/* The store's predictions of the file in (top 2) into *before, and its
 * model saved as path. */
static void predict_and_save(const char *db_path, const char *in,
			     const char *path, got *before)
{
	char err[1024];
	rl_db *db = NULL;
	rl_model *m = NULL;
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(rl_predict_file(db, in, NULL, 0, 2, collect, before,
					 NULL), RL_OK);
	ck_assert_int_eq(rl_model_get(db, 0, &m), RL_OK);
	rl_db_close(db);
	ck_assert_msg(rl_model_save(m, path, err, sizeof err) == RL_OK, "%s",
		      err);
	rl_model_free(m);
}

/* The model file at path loaded; it predicts in as the store did
 * (before), the first review price and the second shipping. */
static rl_model *load_predicts_alike(const char *path, const char *in,
				     const got *before)
{
	static got after;
	char err[1024];
	rl_model *m = NULL;
	memset(&after, 0, sizeof after);
	ck_assert_msg(rl_model_load(path, &m, err, sizeof err) == RL_OK, "%s",
		      err);
	ck_assert_int_eq(rl_predict_file_model(m, in, NULL, 2, collect,
					       &after, NULL, err, sizeof err),
			 RL_OK);
	same(before, &after);
	ck_assert_str_eq(before->label[0][0], "price");
	ck_assert_str_eq(before->label[1][0], "shipping");
	return m;
}

START_TEST(lives_without_store_and_lexicons)
{
	char db_path[600], lex[600], path[600], err[1024];
	static got before;
	snprintf(db_path, sizeof db_path, "%s", tu_path("s.db"));
	snprintf(lex, sizeof lex, "%s", tu_path("lex"));
	snprintf(path, sizeof path, "%s", tu_path("s.rlm"));
	copy_lexicons(lex);
	small_store(db_path, lex);
	const char *in = tu_write("new.jsonl",
		"{\"id\":\"n1\",\"text\":\"Such a cheap price!\"}\n"
		"{\"id\":\"n2\",\"text\":\"Quick delivery, unknownword\"}\n"
		"{\"id\":\"n3\",\"text\":\"zzzz qqqq\"}\n"
		"{\"id\":\"n4\",\"text\":\"not cheap, the prices\"}\n", 0);
	rl_model *m = NULL;
	predict_and_save(db_path, in, path, &before);

	/* Store and lexicon folder gone: the file is all there is. */
	char cmd[1300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", lex, db_path);
	ck_assert_int_eq(system(cmd), 0);
	m = load_predicts_alike(path, in, &before);

	/* A bad input file: named with its line, nothing predicted. */
	got none = { 0 };
	const char *bad = tu_write("bad.jsonl",
		"{\"id\":\"n1\",\"text\":\"fine\"}\n{\"id\":\"n2\"}\n", 0);
	ck_assert_int_eq(rl_predict_file_model(m, bad, NULL, 2, collect,
					       &none, NULL, err, sizeof err),
			 RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "bad.jsonl:2:"));
	ck_assert_uint_eq(none.n, 0);
	rl_model_free(m);
}
END_TEST

/* Negation kept beside the word (negation 2) travels with the model:
 * the file says so and tokenizes new text as the store did, "not cheap"
 * giving both cheap and not_cheap (so it still reads as price); it is a
 * version-3 file. */
START_TEST(keeps_negation_mode)
{
	char db_path[600], path[600], err[1024];
	static got before;
	snprintf(db_path, sizeof db_path, "%s", tu_path("s.db"));
	snprintf(path, sizeof path, "%s", tu_path("s.rlm"));
	small_store_with(db_path, RL_LEXICON_DIR, 2);
	const char *in = tu_write("new.jsonl",
		"{\"id\":\"n1\",\"text\":\"not cheap at all\"}\n"
		"{\"id\":\"n2\",\"text\":\"never quick, the courier\"}\n",
		0);
	predict_and_save(db_path, in, path, &before);
	rl_model *m = load_predicts_alike(path, in, &before);
	rl_model_info info;
	rl_model_describe(m, &info);
	ck_assert_int_eq(info.negation, 2);
	rl_model_free(m);

	/* Written as format version 3, which older readers refuse by its
	 * number; the same bytes called version 2 are damaged. */
	size_t len;
	unsigned char *d = slurp_file(path, &len);
	ck_assert_uint_eq(d[8], 3);
	put_le32(d + 8, 2);
	reseal(d, len);
	spit_file(path, d, len);
	ck_assert_int_eq(try_load(path, err, sizeof err), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "damaged"));
	free(d);
}
END_TEST

/* Lexicons edited after training: the store's model would tokenize new
 * text otherwise than it learned, so it is not made into an object. */
START_TEST(refuses_changed_lexicons)
{
	char db_path[600], lex[600];
	snprintf(db_path, sizeof db_path, "%s", tu_path("s.db"));
	snprintf(lex, sizeof lex, "%s", tu_path("lex"));
	copy_lexicons(lex);
	small_store(db_path, lex);
	FILE *f = fopen(tu_path("lex/en/stopwords.txt"), "ab");
	fputs("cheap\n", f);
	fclose(f);
	rl_db *db = NULL;
	rl_model *m = NULL;
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(rl_model_get(db, 0, &m), RL_EINPUT);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "changed since model"));
	ck_assert_int_eq(rl_model_get(db, 7, &m), RL_ENOTFOUND);
	ck_assert_str_eq(rl_db_errmsg(db), "no model 7");
	rl_db_close(db);
}
END_TEST

/* Every byte of a small model file flipped in turn, checksums made right
 * again: each load fails cleanly or gives a model that predicts; under
 * the sanitizers nothing reads out of bounds or leaks. */
START_TEST(every_byte_flipped)
{
	char db_path[600], path[600], err[1024];
	snprintf(db_path, sizeof db_path, "%s", tu_path("s.db"));
	snprintf(path, sizeof path, "%s", tu_path("s.rlm"));
	small_store(db_path, RL_LEXICON_DIR);
	rl_db *db = NULL;
	rl_model *m = NULL;
	ck_assert_int_eq(rl_db_open(db_path, 0, &db), RL_OK);
	ck_assert_int_eq(rl_model_get(db, 0, &m), RL_OK);
	rl_db_close(db);
	ck_assert_int_eq(rl_model_save(m, path, err, sizeof err), RL_OK);
	rl_model_free(m);
	size_t len;
	unsigned char *d = slurp_file(path, &len);
	unsigned char *c = malloc(len);
	const char *texts[] = { "cheap fast delivery", "" };
	int loaded = 0;
	/* The lexicons are most of the file and only text: every byte
	 * outside them, every 7th inside. */
	unsigned char *tokn = memmem(d, len, "TOKN", 4);
	unsigned char *labl = memmem(d, len, "LABL", 4);
	ck_assert(tokn && labl && labl > tokn);
	for (size_t i = 0; i < len; i++) {
		if (d + i > tokn + 64 && d + i < labl && i % 7)
			continue;
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(c, d, len);
			c[i] ^= (unsigned char)(1u << bit);
			/* A checksum itself is flipped as it is. */
			if ((i < 28 || i >= 32) && i < len - 4)
				reseal(c, len);
			spit_file(path, c, len);
			m = NULL;
			int rc = rl_model_load(path, &m, err, sizeof err);
			if (rc != RL_OK) {
				ck_assert_ptr_null(m);
				ck_assert_msg(rc == RL_EINPUT || rc ==
					      RL_EVERSION, "byte %zu: %d %s",
					      i, rc, err);
				continue;
			}
			loaded++;
			int32_t lab[2];
			double conf[2];
			ck_assert_int_eq(rl_model_predict(m, texts, NULL, 2, 1,
							  lab, conf, err,
							  sizeof err), RL_OK);
			ck_assert_int_lt(lab[0], (int32_t)rl_model_n_labels(m));
			rl_model_free(m);
		}
	}
	/* Flips in weights and idf leave a model that loads. */
	ck_assert_int_gt(loaded, 0);
	free(c);
	free(d);
}
END_TEST

/* ---- the command line ---- */

static char out_buf[1 << 17], err_buf[1 << 16];

/* Runs revlab with the NULL-terminated arguments; the exit status, the
 * output in out_buf and err_buf (as check_cli.c does). */
static int run(const char *arg, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)RL_REVLAB_EXE;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 31; a = va_arg(ap, char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return tu_exec(argv, NULL, out_buf, sizeof out_buf, err_buf,
		       sizeof err_buf);
}

#define HAS(buf, s) ck_assert_msg(strstr(buf, s) != NULL, \
				  "'%s' not in: %.400s", s, buf)

START_TEST(cli_model_commands)
{
	char db[600], mf[600], want[1400];
	snprintf(db, sizeof db, "%s", tu_path("ex.db"));
	snprintf(mf, sizeof mf, "%s", tu_path("m.rlm"));
	const char *in = EXAMPLES "/reviews.tsv";
	ck_assert_int_eq(run("init", db, NULL), 0);
	ck_assert_int_eq(run("import", db, in, NULL), 0);
	ck_assert_int_eq(run("seed", db, EXAMPLES "/seeds.tsv", NULL), 0);
	ck_assert_int_eq(run("rules", db, EXAMPLES "/rules.txt", NULL), 0);
	ck_assert_int_eq(run("model", "save", db, mf, NULL), 1);
	HAS(err_buf, "revlab: no model yet");
	ck_assert_int_eq(access(mf, F_OK), -1);
	ck_assert_int_eq(run("run", "-q", db, NULL), 0);

	ck_assert_int_eq(run("model", "save", db, mf, NULL), 0);
	HAS(out_buf, " model 1 ");
	HAS(out_buf, mf);
	ck_assert_int_eq(run("model", "save", db, mf, "--id", "9", NULL), 1);
	HAS(err_buf, "revlab: no model 9\n");
	ck_assert_int_eq(run("model", "save", db, mf, "--id", "1", NULL), 0);
	ck_assert_int_eq(run("model", "show", mf, NULL), 0);
	HAS(out_buf, "labels");
	HAS(out_buf, "neg, pos");
	HAS(out_buf, "vocabulary");
	HAS(out_buf, "revlab " RL_VERSION);
	HAS(out_buf, "100 dimensions");

	/* The same lines as prediction through the store. */
	ck_assert_int_eq(run("predict", db, in, "--top", "2", NULL), 0);
	char *via_store = strdup(out_buf);
	ck_assert_int_eq(run("predict", "--model", mf, in, "--top", "2",
			     NULL), 0);
	ck_assert_str_eq(out_buf, via_store);
	HAS(out_buf, "id\tlabel\tconfidence\tlabel2\tconfidence2\n");
	ck_assert_int_eq(run("predict", "--model", mf, in, NULL), 0);
	ck_assert_int_eq(run("predict", db, in, NULL), 0);
	free(via_store);
	via_store = strdup(out_buf);
	ck_assert_int_eq(run("predict", in, "--model", mf, NULL), 0);
	ck_assert_str_eq(out_buf, via_store);
	free(via_store);
	/* A number is still a stored model's id. */
	ck_assert_int_eq(run("predict", db, in, "--model", "1", NULL), 0);

	/* A damaged model file: exit 1, the file named, nothing out. */
	size_t len;
	unsigned char *d = slurp_file(mf, &len);
	d[len / 2] ^= 1;
	spit_file(mf, d, len);
	free(d);
	ck_assert_int_eq(run("predict", "--model", mf, in, NULL), 1);
	snprintf(want, sizeof want, "revlab: %s: damaged: checksum mismatch\n",
		 mf);
	ck_assert_str_eq(err_buf, want);
	ck_assert_str_eq(out_buf, "");
	ck_assert_int_eq(run("model", "show", mf, NULL), 1);
	ck_assert_str_eq(err_buf, want);
	ck_assert_int_eq(run("model", "show", db, NULL), 1);
	HAS(err_buf, "not a revlab model file");

	/* Usage. */
	ck_assert_int_eq(run("model", NULL), 2);
	ck_assert_int_eq(run("model", "frob", db, NULL), 2);
	ck_assert_int_eq(run("model", "save", db, NULL), 2);
	ck_assert_int_eq(run("model", "save", db, mf, "--id", "x", NULL), 2);
	ck_assert_int_eq(run("model", "show", NULL), 2);
	ck_assert_int_eq(run("predict", "--model", mf, NULL), 2);
	ck_assert_int_eq(run("predict", "--model", mf, db, in, NULL), 2);
	ck_assert_int_eq(run("help", "model", NULL), 0);
	HAS(out_buf, "revlab model save DB FILE");
	ck_assert_int_eq(run("help", "predict", NULL), 0);
	HAS(out_buf, "--model MODEL");
	ck_assert_int_eq(run("--help", NULL), 0);
	HAS(out_buf, "  model ");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("examples");
	tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_loop_test(tc, same_as_store, 0, 3);
	tcase_add_test(tc, no_word_alone);
	tcase_add_test(tc, bad_texts);
	tcase_add_test(tc, threads_share_a_model);
	tcase_add_test(tc, crc32_known_value);
	tcase_add_test(tc, refuses_bad_files);
	tcase_add_test(tc, save_failures_leave_nothing);
	suite_add_tcase(s, tc);
	tc = tcase_create("standalone");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, lives_without_store_and_lexicons);
	tcase_add_test(tc, refuses_changed_lexicons);
	tcase_add_test(tc, keeps_negation_mode);
	tcase_add_test(tc, every_byte_flipped);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, cli_model_commands);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
