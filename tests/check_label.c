/*
 * check_label.c - labelling in bounded memory (stage_label.c): with the
 * training sample at least the corpus it stores what the kernels give
 * on the whole corpus at once, to the last bit; batches of any size
 * store the same; a sample below the corpus keeps every hand label and
 * still labels a clear corpus right; the features of chosen reviews are
 * those of the whole set; a cancelled or failing labelling leaves the
 * store as it was; a corrupt stored vector is named, not read.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "stage.h"
#include "store.h"
#include "testutil.h"

static char db_path[512];
static rl_db *db;

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

/* Small, fast, single-threaded options for every stage. */
static void eval_opts(rl_eval_opts *o)
{
	rl_eval_opts_init(o);
	o->threads = 1;
	o->prop.threads = 1;
}

/* A store of examples/DIR (the bundled single-label example: 300
 * reviews, 20 hand labels, three rules; multi: 202 reviews, 32
 * hand-labelled), its stages run up to propagation. */
static void open_example(const char *dir, int multi)
{
	char p[512];
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    (multi ? RL_OPEN_MULTI_LABEL : 0), &db),
			 RL_OK);
	snprintf(p, sizeof p, "%s/%s/reviews.tsv", RL_EXAMPLES_DIR, dir);
	ck_assert_int_eq(rl_import_file(db, p, NULL, NULL), RL_OK);
	snprintf(p, sizeof p, "%s/%s/seeds.tsv", RL_EXAMPLES_DIR, dir);
	ck_assert_int_eq(rl_seed_file(db, p, NULL), RL_OK);
	rl_rules_opts ro = { .create_labels = 1 };
	snprintf(p, sizeof p, "%s/%s/rules.txt", RL_EXAMPLES_DIR, dir);
	ck_assert_int_eq(rl_rules_load(db, p, &ro, NULL), RL_OK);
	rl_tokenize_opts to;
	rl_vectorize_opts vo;
	rl_graph_opts go;
	rl_tokenize_opts_init(&to);
	rl_vectorize_opts_init(&vo);
	rl_graph_opts_init(&go);
	to.threads = vo.threads = go.threads = 1;
	vo.dim = 8;
	ck_assert_int_eq(rl_tokenize(db, &to, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	ck_assert_int_eq(rl_rules_apply(db, NULL, NULL), RL_OK);
}

/* What the last labelling stored, canonical text: scores, assignments
 * (without their run), the newest model's predictions, weights and
 * parameters. */
static char *stored(void)
{
	return tu_text(db_path,
		"SELECT (SELECT group_concat(x, ' ') FROM (SELECT review_id "
		"|| ':' || label_id || ':' || printf('%.17g', score) AS x "
		"FROM label_scores ORDER BY review_id, label_id)) || '|' || "
		"(SELECT coalesce(group_concat(x, ' '), '') FROM (SELECT "
		"review_id || ':' || label_id || ':' || printf('%.17g', "
		"confidence) || ':' || printf('%.17g', margin) || ':' || "
		"source || ':' || evidence AS x FROM assignments ORDER BY "
		"review_id, label_id)) || '|' || (SELECT coalesce("
		"group_concat(x, ' '), '') FROM (SELECT review_id || ':' || "
		"label_id || ':' || printf('%.17g', confidence) AS x FROM "
		"predictions WHERE model_id = (SELECT max(id) FROM models) "
		"ORDER BY review_id, label_id)) || '|' || coalesce((SELECT "
		"kind || params || labels || hex(weights) FROM models ORDER "
		"BY id DESC LIMIT 1), '')");
}

/* The confidence stored for (review row i, label index l) by `sql`
 * with ?1 the review id and ?2 the label id; -1 when there is none. */
static double stored_value(sqlite3 *s, const char *sql, int64_t id,
			   int64_t label)
{
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(s, sql, -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, label);
	double v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_double(q, 0)
						 : -1;
	sqlite3_finalize(q);
	return v;
}

/* The store's labelling against the kernels run on the whole corpus at
 * once, as labelling did before it went batch by batch: the model's
 * weights, its predictions and the blend's scores, bit for bit. */
static void check_whole(int multi)
{
	rl_eval_opts o;
	eval_opts(&o);
	uint64_t labelled;
	ck_assert_int_eq(rl_label_sized(db, RL_METHOD_BLEND, &o, 0,
					RL_LABEL_TRAIN_REVIEWS, 0, &labelled),
			 RL_OK);
	ck_assert_uint_gt(labelled, 0);

	rl_eval_opts run = o;
	run.model = rl_classifier_default(db, o.model);
	rl_evidence ev;
	ck_assert_int_eq(rl_propagate_prepare(db, &o.prop, &run.prop), RL_OK);
	ck_assert_int_eq(rl_evidence_load(db, &ev,
					  (uint32_t)run.prop.neighbours),
			 RL_OK);
	uint32_t n = ev.n, L = ev.L;
	size_t nl = (size_t)n * L;
	double *Pp = malloc(nl * sizeof *Pp), *P = malloc(nl * sizeof *P);
	double *Pb = malloc(nl * sizeof *Pb), *g = malloc(2 * L * sizeof *g);
	double *llr = calloc(2 * (size_t)L, sizeof *llr);
	uint8_t *use = malloc(n), *fired = malloc(L);
	memset(use, 1, n);
	ck_assert_int_eq(rl_propagate_run(&ev, NULL, &run.prop, Pp, NULL,
					  NULL), RL_OK);
	rl_csr X;
	ck_assert_int_eq(rl_features_load(db, ev.review_ids, n, &X), RL_OK);
	size_t sz = (size_t)(X.n_cols + 1) * L;
	double *theta = malloc(sz * sizeof *theta);
	rl_eval_opts clf = run;
	if (multi)
		clf.temperature = 1;
	ck_assert_int_eq(rl_method_model(&ev, &X, use, Pp, &clf, P, theta),
			 RL_OK);
	if (multi) {
		ck_assert_int_eq(rl_rules_llr(&ev, NULL, llr), RL_OK);
		rl_rules_mix(&ev, llr, run.rule_weight, P, P, fired);
		rl_temper_multi(P, nl, run.temperature);
	}
	rl_blend(&ev, NULL, P, Pp, Pb, g);
	double t = run.label_temperature;
	for (uint32_t i = 0; i < n; i++) {
		double *p = Pb + (size_t)i * L;
		if (ev.seed[i] >= 0 || ev.cseed[i] >= 0 ||
		    rl_argmax(p, L) < 0 || !(t > 0 && t != 1))
			continue;
		if (multi)
			rl_temper_multi(p, L, t);
		else
			rl_temper(p, L, t);
	}

	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open_v2(db_path, &s, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(s, "SELECT weights FROM models "
					    "ORDER BY id DESC LIMIT 1", -1,
					    &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_uint_eq((size_t)sqlite3_column_bytes(q, 0),
			  sz * sizeof *theta);
	ck_assert_mem_eq(sqlite3_column_blob(q, 0), theta, sz * sizeof *theta);
	sqlite3_finalize(q);
	uint64_t preds = 0;
	for (uint32_t i = 0; i < n; i++) {
		int64_t id = ev.review_ids[i];
		const double *pm = P + (size_t)i * L, *pb = Pb + (size_t)i * L;
		int best = rl_argmax(pm, L);
		if (multi)
			rl_decide_multi(pm, L, run.thresholds, fired);
		for (uint32_t l = 0; l < L; l++) {
			double sc = stored_value(s, "SELECT score FROM "
				"label_scores WHERE review_id = ?1 AND "
				"label_id = ?2", id, ev.label_ids[l]);
			ck_assert(pb[l] > 0 ? sc == pb[l] : sc == -1);
			double pr = stored_value(s, "SELECT confidence FROM "
				"predictions WHERE review_id = ?1 AND "
				"label_id = ?2 AND model_id = (SELECT "
				"max(id) FROM models)", id, ev.label_ids[l]);
			/* single-label: the likeliest label; multi: those
			 * the model's thresholds give */
			int want = multi ? fired[l] != 0 : (int)l == best;
			if (want)
				ck_assert(pr == pm[l]);
			else
				ck_assert(pr == -1);
			preds += pr >= 0;
		}
	}
	ck_assert_uint_ge(preds, n);
	sqlite3_close(s);
	rl_csr_free(&X);
	rl_evidence_free(&ev);
	free(Pp);
	free(P);
	free(Pb);
	free(g);
	free(llr);
	free(use);
	free(fired);
	free(theta);
}

START_TEST(whole_corpus_single)
{
	open_example("", 0);
	check_whole(0);
}
END_TEST

START_TEST(whole_corpus_multi)
{
	open_example("multi", 1);
	check_whole(1);
}
END_TEST

/* Batches of 7 (and of 1 for the model alone) store what one batch
 * does, for every way of labelling and for training alone. */
static void check_batches(void)
{
	rl_eval_opts o;
	eval_opts(&o);
	for (int m = 0; m <= RL_METHOD_CANDIDATES; m++) {
		int only = m == RL_METHOD_CANDIDATES;
		rl_method meth = only ? RL_METHOD_MODEL : (rl_method)m;
		ck_assert_int_eq(rl_label_sized(db, meth, &o, only, 0, 0,
						NULL), RL_OK);
		char *one = stored();
		uint32_t sizes[2] = { 7, m == RL_METHOD_MODEL ? 1 : 300 };
		for (int k = 0; k < 2; k++) {
			ck_assert_int_eq(rl_label_sized(db, meth, &o, only, 0,
							sizes[k], NULL),
					 RL_OK);
			char *many = stored();
			ck_assert_msg(!strcmp(many, one), "method %d, "
				      "batches of %u: another labelling", m,
				      sizes[k]);
			free(many);
		}
		/* and it is not the same for every way */
		ck_assert_uint_gt(strlen(one), 100);
		free(one);
	}
}

START_TEST(batches_single)
{
	open_example("", 0);
	check_batches();
}
END_TEST

START_TEST(batches_multi)
{
	open_example("multi", 1);
	check_batches();
}
END_TEST

/* The features of scattered reviews (a sample) and of a packed range
 * (a batch) are their rows of the whole set, which is what the stored
 * vectors hold. */
START_TEST(features_of_chosen_reviews)
{
	open_example("", 0);
	rl_evidence ev;
	ck_assert_int_eq(rl_evidence_load_no_graph(db, &ev), RL_OK);
	rl_csr all, some, range;
	ck_assert_int_eq(rl_features_load(db, ev.review_ids, ev.n, &all),
			 RL_OK);
	uint32_t nf, dim;
	ck_assert_int_eq(rl_features_shape(db, &nf, &dim), RL_OK);
	ck_assert_uint_eq(dim, 8);
	ck_assert_uint_eq(all.n_cols, nf + dim);
	/* the whole set against the stored vectors, kind by kind */
	rl_vector_set tf, ls;
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &tf),
			 RL_OK);
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_LSA, &ls),
			 RL_OK);
	ck_assert_uint_eq(tf.n, ev.n);
	ck_assert_uint_eq(ls.n, ev.n);
	for (uint32_t i = 0; i < ev.n; i++) {
		uint64_t a = all.indptr[i], t0 = tf.csr.indptr[i];
		uint64_t nt = tf.csr.indptr[i + 1] - t0;
		ck_assert_uint_eq(all.indptr[i + 1] - a, nt + dim);
		ck_assert_mem_eq(all.indices + a, tf.csr.indices + t0,
				 nt * sizeof *all.indices);
		ck_assert_mem_eq(all.values + a, tf.csr.values + t0,
				 nt * sizeof *all.values);
		for (uint32_t c = 0; c < dim; c++) {
			ck_assert_uint_eq(all.indices[a + nt + c], nf + c);
			ck_assert(all.values[a + nt + c] ==
				  ls.dense[(size_t)i * dim + c]);
		}
	}
	rl_vector_set_free(&tf);
	rl_vector_set_free(&ls);
	/* every 9th review, and an id no review has (an empty row) */
	int64_t ids[40];
	uint32_t rows[40], m = 0;
	for (uint32_t i = 0; i < ev.n && m < 34; i += 9) {
		rows[m] = i;
		ids[m++] = ev.review_ids[i];
	}
	ids[m] = ev.review_ids[ev.n - 1] + 1000;
	rows[m++] = UINT32_MAX;
	ck_assert_int_eq(rl_store_features_rows(db, ids, m, nf, dim, &some),
			 RL_OK);
	ck_assert_int_eq(rl_store_features_rows(db, ev.review_ids + 100, 50,
						nf, dim, &range), RL_OK);
	for (uint32_t k = 0; k < m + 50; k++) {
		const rl_csr *x = k < m ? &some : &range;
		uint32_t r = k < m ? k : k - m;
		uint32_t w = k < m ? rows[k] : 100 + r;
		uint64_t len = x->indptr[r + 1] - x->indptr[r];
		if (w == UINT32_MAX) {
			ck_assert_uint_eq(len, 0);
			continue;
		}
		ck_assert_uint_eq(len, all.indptr[w + 1] - all.indptr[w]);
		ck_assert_mem_eq(x->indices + x->indptr[r],
				 all.indices + all.indptr[w],
				 len * sizeof *x->indices);
		ck_assert_mem_eq(x->values + x->indptr[r],
				 all.values + all.indptr[w],
				 len * sizeof *x->values);
	}
	rl_csr_free(&all);
	rl_csr_free(&some);
	rl_csr_free(&range);
	rl_evidence_free(&ev);
}
END_TEST

/* rl_train_sample: everything up to the cap; past it every hand label,
 * an even draw of the rest near the cap, the same twice. */
START_TEST(train_sample_keeps_hand_labels)
{
	open_example("", 0);
	rl_evidence ev;
	ck_assert_int_eq(rl_evidence_load_no_graph(db, &ev), RL_OK);
	uint8_t *keep = malloc(ev.n), *again = malloc(ev.n);
	uint32_t kept, kept2;
	ck_assert_int_eq(rl_train_sample(&ev, ev.n, 1, keep, &kept), RL_OK);
	ck_assert_uint_eq(kept, ev.n);
	ck_assert_int_eq(rl_train_sample(&ev, 0, 1, keep, &kept), RL_OK);
	ck_assert_uint_eq(kept, ev.n);
	ck_assert_int_eq(rl_train_sample(&ev, 100, 1, keep, &kept), RL_OK);
	ck_assert_int_eq(rl_train_sample(&ev, 100, 1, again, &kept2), RL_OK);
	ck_assert_uint_eq(kept, kept2);
	ck_assert_mem_eq(keep, again, ev.n);
	uint32_t count = 0, first = 0, second = 0;
	for (uint32_t i = 0; i < ev.n; i++) {
		if (ev.seed[i] >= 0)
			ck_assert(keep[i]);
		count += keep[i];
		/* drawn evenly: about as many from each half */
		if (keep[i] && ev.seed[i] < 0)
			*(i < ev.n / 2 ? &first : &second) += 1;
	}
	ck_assert_uint_eq(count, kept);
	/* 20 hand labels and an expected 80 of the other 280 */
	ck_assert_uint_gt(kept, 60);
	ck_assert_uint_lt(kept, 140);
	ck_assert_uint_gt(first, 15);
	ck_assert_uint_gt(second, 15);
	/* another seed, another draw; the hand labels stay */
	ck_assert_int_eq(rl_train_sample(&ev, 100, 2, again, &kept2), RL_OK);
	ck_assert(memcmp(keep, again, ev.n) != 0);
	free(keep);
	free(again);
	rl_evidence_free(&ev);
}
END_TEST

/* A clear corpus: 48 reviews about price or about delivery, two of each
 * hand-labelled. Trained on a sample of 10, in batches of 5, the model
 * and the blend still label all of them right. */
START_TEST(small_sample_labels_right)
{
	static const char *const pw[4] = { "cheap", "expensive", "price",
					   "cost" };
	static const char *const sw[4] = { "delivery", "shipping", "courier",
					   "parcel" };
	rl_buf tsv = { 0 };
	for (int i = 0; i < 48; i++) {
		const char *const *w = i % 2 ? sw : pw;
		ck_assert_int_eq(rl_buf_printf(&tsv, "r%02d\tthe %s and the %s "
			"were what I noticed, %s again\n", i, w[i % 4],
			w[(i / 2 + 1) % 4], w[(i / 4 + 2) % 4]), RL_OK);
	}
	ck_assert_int_eq(rl_buf_putc(&tsv, 0), RL_OK);
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	char *body = malloc(tsv.len + 16);
	snprintf(body, tsv.len + 16, "id\ttext\n%s", tsv.data);
	ck_assert_int_eq(rl_import_file(db, tu_write("r.tsv", body, 0), NULL,
					NULL), RL_OK);
	free(body);
	rl_buf_free(&tsv);
	ck_assert_int_eq(rl_seed_file(db, tu_write("s.tsv", "r00\tprice\n"
		"r02\tprice\nr01\tdelivery\nr03\tdelivery\n", 0), NULL), RL_OK);
	rl_tokenize_opts to;
	rl_vectorize_opts vo;
	rl_graph_opts go;
	rl_tokenize_opts_init(&to);
	rl_vectorize_opts_init(&vo);
	rl_graph_opts_init(&go);
	vo.dim = 4;
	vo.min_df = 1;
	go.k = 5;
	ck_assert_int_eq(rl_tokenize(db, &to, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, &vo, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	rl_eval_opts o;
	eval_opts(&o);
	const rl_method ms[2] = { RL_METHOD_MODEL, RL_METHOD_BLEND };
	char *full[2];
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(rl_label_sized(db, ms[k], &o, 0, 0, 5, NULL),
				 RL_OK);
		full[k] = stored();
		uint64_t n;
		ck_assert_int_eq(rl_label_sized(db, ms[k], &o, 0, 10, 5, &n),
				 RL_OK);
		ck_assert_uint_eq(n, 48);
		ck_assert_int_eq(tu_int(db_path, "SELECT count(*) FROM "
			"assignments a JOIN reviews r ON r.id = a.review_id "
			"JOIN labels l ON l.id = a.label_id WHERE l.name = "
			"CASE CAST(substr(r.ext_id, 2) AS INTEGER) % 2 WHEN 0 "
			"THEN 'price' ELSE 'delivery' END"), 48);
		/* trained on fewer reviews: other weights */
		char *part = stored();
		ck_assert_msg(strcmp(part, full[k]), "the same model");
		free(part);
		free(full[k]);
	}
}
END_TEST

typedef struct stopper {
	int calls, at;
	uint64_t last;
} stopper;

static int stop_writing(void *ctx, const char *stage, uint64_t done,
			uint64_t total)
{
	stopper *s = ctx;
	(void)total;
	if (strcmp(stage, "write"))
		return 0;
	s->last = done;
	return ++s->calls == s->at;
}

/* Cancelled while writing, or failing in SQLite half-way, labelling
 * leaves the store as it was. */
static void check_unchanged(int multi)
{
	rl_eval_opts o;
	eval_opts(&o);
	uint64_t n;
	ck_assert_int_eq(rl_label_sized(db, RL_METHOD_PROPAGATION, &o, 0, 0,
					0, &n), RL_OK);
	char *before = tu_digest(db_path);
	for (int only = 0; only < 2; only++) {
		stopper s = { .at = 5 };
		o.progress = stop_writing;
		o.ctx = &s;
		ck_assert_int_eq(rl_label_sized(db, RL_METHOD_BLEND, &o, only,
						0, 16, &n), RL_ECANCELED);
		ck_assert_int_eq(s.calls, 5);
		ck_assert_uint_eq(s.last, 64);
		ck_assert_uint_eq(n, 0);
		ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "cancelled"));
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
	}
	o.progress = NULL;
	/* SQLite failing at every 500th step from the start, loading,
	 * reading features and writing, until labelling gets through */
	int failed = 0, rc;
	for (int k = 500; (rc = (rl_store_fail_step(db, k),
				 rl_label_sized(db, RL_METHOD_MODEL, &o, 0, 0,
						16, &n))) != RL_OK; k += 500) {
		rl_store_fail_step(db, 0);
		ck_assert_int_eq(rc, RL_EDB);
		ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db),
					     "injected failure"));
		char *after = tu_digest(db_path);
		ck_assert_str_eq(before, after);
		free(after);
		failed++;
	}
	rl_store_fail_step(db, 0);
	ck_assert_int_gt(failed, multi ? 3 : 5);
	free(before);
}

START_TEST(unchanged_single)
{
	open_example("", 0);
	check_unchanged(0);
}
END_TEST

START_TEST(unchanged_multi)
{
	open_example("multi", 1);
	check_unchanged(1);
}
END_TEST

/* A review's TF-IDF row cut short (a column delta whose varint never
 * ends): reading the whole set, reading features and labelling with the
 * model each fail naming the review, and labelling leaves the store as
 * it was. */
START_TEST(corrupt_vector_named)
{
	open_example("", 0);
	rl_evidence ev;
	ck_assert_int_eq(rl_evidence_load_no_graph(db, &ev), RL_OK);
	int64_t id = ev.review_ids[7];
	char q[160], want[64];
	snprintf(q, sizeof q, "UPDATE vectors SET data = x'8080' WHERE "
		 "review_id = %lld AND kind = 'tfidf'", (long long)id);
	snprintf(want, sizeof want, "review %lld: corrupt vector",
		 (long long)id);
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	char *before = tu_digest(db_path);
	rl_vector_set tf;
	ck_assert_int_eq(rl_store_vectors_load(db, RL_VECTORS_TFIDF, &tf),
			 RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), want));
	rl_csr X = { 0 };
	ck_assert_int_eq(rl_features_load(db, ev.review_ids, ev.n, &X),
			 RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), want));
	rl_eval_opts o;
	eval_opts(&o);
	uint64_t n;
	ck_assert_int_eq(rl_label_sized(db, RL_METHOD_MODEL, &o, 0, 0, 16,
					&n), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), want));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	rl_evidence_free(&ev);
}
END_TEST

static Suite *label_suite(void)
{
	Suite *s = suite_create("label");
	TCase *c = tcase_create("label");
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_set_timeout(c, 0);
	tcase_add_test(c, whole_corpus_single);
	tcase_add_test(c, whole_corpus_multi);
	tcase_add_test(c, batches_single);
	tcase_add_test(c, batches_multi);
	tcase_add_test(c, features_of_chosen_reviews);
	tcase_add_test(c, train_sample_keeps_hand_labels);
	tcase_add_test(c, small_sample_labels_right);
	tcase_add_test(c, unchanged_single);
	tcase_add_test(c, unchanged_multi);
	tcase_add_test(c, corrupt_vector_named);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	return tu_run(label_suite());
}
