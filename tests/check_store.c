/*
 * check_store.c - opening stores (new, reopened, foreign, too new), the
 * tokenize stage's incremental and settings-driven behaviour, statistics,
 * parameter tables, and the small helpers (buffers, varints, maps, JSON).
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"
#include "store.h"
#include "testutil.h"

static void make_sqlite(const char *path, const char *sql)
{
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
}

START_TEST(open_missing)
{
	rl_db *db = NULL;
	const char *p = tu_path("none.db");
	ck_assert_int_eq(rl_db_open(p, 0, &db), RL_ENOTFOUND);
	ck_assert_int_eq(rl_db_need(db), RL_NEED_STORE);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "none.db"));
	rl_db_close(db);
	ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

/* "" would be a private temporary database to SQLite; read-only and
 * create exclude each other; a read-only handle reads and never writes. */
START_TEST(open_flags)
{
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open("", RL_OPEN_CREATE, &db), RL_EINVAL);
	ck_assert_str_eq(rl_db_errmsg(db), "empty store path");
	rl_db_close(db);
	const char *p = tu_path("ro.db");
	ck_assert_int_eq(rl_db_open(p, RL_OPEN_CREATE | RL_OPEN_READONLY,
				    &db), RL_EINVAL);
	rl_db_close(db);
	ck_assert_int_ne(access(p, F_OK), 0);
	ck_assert_int_eq(rl_db_open(p, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_label_add(db, "price"), RL_OK);
	rl_db_close(db);
	char *before = tu_digest(p);
	ck_assert_int_eq(rl_db_open(p, RL_OPEN_READONLY, &db), RL_OK);
	rl_stats st;
	ck_assert_int_eq(rl_stats_get(db, &st), RL_OK);
	ck_assert_uint_eq(st.labels, 1);
	ck_assert_int_eq(rl_label_add(db, "shipping"), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "readonly"));
	rl_db_close(db);
	char *after = tu_digest(p);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(create_and_reopen)
{
	rl_db *db = NULL;
	const char *p = tu_path("a.db");
	ck_assert_int_eq(rl_db_open(p, RL_OPEN_CREATE, &db), RL_OK);
	rl_db_close(db);
	ck_assert_int_eq(tu_int(p, "PRAGMA user_version"), RL_SCHEMA_VERSION);
	ck_assert_int_eq(rl_db_open(p, 0, &db), RL_OK);
	ck_assert_str_eq(rl_db_errmsg(db), "");
	rl_db_close(db);
	/* Opening with CREATE again leaves the store alone. */
	ck_assert_int_eq(rl_db_open(p, RL_OPEN_CREATE, &db), RL_OK);
	rl_db_close(db);
	rl_db_close(NULL);
	ck_assert_str_eq(rl_db_errmsg(NULL), "");
}
END_TEST

/* A store's mode is chosen when it is made, kept on every open (also
 * read-only), and a single-label store is never made multi-label. */
START_TEST(label_mode)
{
	rl_db *db = NULL;
	const char *m = tu_path("multi.db"), *s = tu_path("single.db");
	ck_assert_int_eq(rl_db_open(m, RL_OPEN_CREATE | RL_OPEN_MULTI_LABEL,
				    &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 1);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(m, 0, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 1);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(m, RL_OPEN_READONLY, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 1);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(s, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 0);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(s, RL_OPEN_CREATE | RL_OPEN_MULTI_LABEL,
				    &db), RL_EINVAL);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "single-label store"));
	rl_db_close(db);
	ck_assert_int_eq(rl_db_open(s, 0, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 0);
	rl_db_close(db);
	ck_assert_int_eq(rl_db_multi_label(NULL), 0);
}
END_TEST

START_TEST(refuse_foreign_and_newer)
{
	rl_db *db = NULL;
	const char *newer = tu_path("new.db");
	make_sqlite(newer, "CREATE TABLE x(a); PRAGMA user_version = 99;");
	ck_assert_int_eq(rl_db_open(newer, 0, &db), RL_EVERSION);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "version 99"));
	rl_db_close(db);

	const char *other = tu_path("other.db");
	make_sqlite(other, "CREATE TABLE x(a);");
	ck_assert_int_eq(rl_db_open(other, RL_OPEN_CREATE, &db), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "not a revlab store"));
	rl_db_close(db);

	const char *junk = tu_write("junk.db", "this is not a database at all,"
				    " just some text that is long enough", 0);
	ck_assert_int_eq(rl_db_open(junk, 0, &db), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "junk.db"));
	rl_db_close(db);

	/* An empty SQLite file is not silently adopted without CREATE. */
	const char *empty = tu_path("empty.db");
	make_sqlite(empty, "PRAGMA user_version = 0;");
	ck_assert_int_eq(rl_db_open(empty, 0, &db), RL_EDB);
	rl_db_close(db);
}
END_TEST

/* The schema of a store as a canonical text: every table's and index's
 * columns, in name order, so an upgraded store can be compared with a new
 * one regardless of how the DDL was spelled. */
static char *schema_shape(const char *path)
{
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(s,
		"SELECT m.type || ' ' || m.name || ': ' || group_concat("
		"p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' ' ||"
		" ifnull(p.dflt_value, '-') || ' ' || p.pk, ', ')"
		" FROM sqlite_schema m, pragma_table_info(m.name) p"
		" WHERE m.name NOT LIKE 'sqlite_%' GROUP BY m.name"
		" UNION ALL SELECT 'index ' || name || ' on ' || tbl_name"
		" FROM sqlite_schema WHERE type = 'index'"
		" AND name NOT LIKE 'sqlite_%' ORDER BY 1", -1, &q, NULL),
		SQLITE_OK);
	size_t cap = 1 << 14, len = 0;
	char *out = calloc(1, cap);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(q, 0);
		size_t n = strlen(row);
		ck_assert(len + n + 2 < cap);
		memcpy(out + len, row, n);
		len += n;
		out[len++] = '\n';
	}
	sqlite3_finalize(q);
	sqlite3_close(s);
	return out;
}

START_TEST(upgrade_from_v1)
{
	/* A store made by revlab 1 (its schema.sql, kept in tests/data)
	 * with a review in it is upgraded on open, keeps its data, and ends
	 * up with exactly the tables and columns of a new store. */
	FILE *f = fopen(RL_TEST_DATA_DIR "/schema_v1.sql", "rb");
	ck_assert_ptr_nonnull(f);
	char *sql = calloc(1, 1 << 16);
	size_t n = fread(sql, 1, (1 << 16) - 1, f);
	fclose(f);
	ck_assert(n > 0 && n < (1 << 16) - 1);
	const char *old = tu_path("v1.db");
	make_sqlite(old, sql);
	free(sql);
	make_sqlite(old, "INSERT INTO reviews(ext_id, text) VALUES ('r1', 'ok');");
	ck_assert_int_eq(tu_int(old, "PRAGMA user_version"), 1);

	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(old, 0, &db), RL_OK);
	rl_db_close(db);
	ck_assert_int_eq(tu_int(old, "PRAGMA user_version"), RL_SCHEMA_VERSION);
	ck_assert_int_eq(tu_int(old, "SELECT count(*) FROM reviews"), 1);

	const char *fresh = tu_path("v2.db");
	ck_assert_int_eq(rl_db_open(fresh, RL_OPEN_CREATE, &db), RL_OK);
	rl_db_close(db);
	char *a = schema_shape(old), *b = schema_shape(fresh);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

/* A store of schema version `v` (tests/data/schema_vV.sql) at path. */
static void make_old_store(const char *path, int v)
{
	char name[600];
	snprintf(name, sizeof name, "%s/schema_v%d.sql", RL_TEST_DATA_DIR, v);
	FILE *f = fopen(name, "rb");
	ck_assert_ptr_nonnull(f);
	char *sql = calloc(1, 1 << 16);
	size_t n = fread(sql, 1, (1 << 16) - 1, f);
	fclose(f);
	ck_assert(n > 0 && n < (1 << 16) - 1);
	make_sqlite(path, sql);
	free(sql);
	ck_assert_int_eq(tu_int(path, "PRAGMA user_version"), v);
}

/* Reviews, hand labels (one set after the last run, which replaced the
 * run's), assignments of every kind, an abstention, a model and its
 * predictions: what a version-2 store holds after a run. */
static const char v2_data[] =
	"INSERT INTO reviews(ext_id, text) VALUES ('r1', 'a'), ('r2', 'b'),"
	" ('r3', 'c'), ('r4', 'd'), ('r5', 'e');"
	"INSERT INTO labels(name) VALUES ('zip'), ('alpha'), ('mid');"
	"INSERT INTO seeds(review_id, label_id) VALUES (1, 1), (4, 3);"
	"INSERT INTO assignments(review_id, label_id, confidence, margin,"
	" source, evidence) VALUES (1, 1, 1, 1, 'seed', '{\"m\":1}'),"
	" (2, 2, 0.75, 0.5, 'propagation', '{}'),"
	" (3, 3, 0.5, 0.1, 'model', '{\"model\":true}'),"
	" (4, 2, 1, 1, 'seed', '{\"blend\":true}');"
	"INSERT INTO models(kind, labels, weights) VALUES ('nb', '[]', x'00');"
	"INSERT INTO predictions VALUES (2, 1, 2, 0.75), (3, 1, 3, 0.5);";

/* Every row of a view (or query), one line each. */
static char *rows_of(const char *path, const char *what)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT ifnull(group_concat(line, char(10)),"
		 " '') FROM (SELECT %s AS line FROM %s)",
		 "id || ',' || ifnull(label, '-') || ',' || ifnull(confidence, "
		 "'-') || ',' || ifnull(source, '-') || ',' || ifnull(evidence, "
		 "'-')", what);
	return tu_text(path, sql);
}

START_TEST(upgrade_from_v2)
{
	/* A single-label store of version 2: labelled_reviews keeps every
	 * row as it was; predictions keep theirs and take a label more per
	 * review; review_labels is labelled_reviews without abstentions. */
	const char *old = tu_path("v2.db");
	make_old_store(old, 2);
	make_sqlite(old, v2_data);
	char *before = rows_of(old, "labelled_reviews");
	ck_assert_str_eq(before, "r1,zip,1.0,seed,{\"m\":1}\n"
			 "r2,alpha,0.75,propagation,{}\n"
			 "r3,mid,0.5,model,{\"model\":true}\n"
			 "r4,mid,1.0,seed,{\"blend\":true}\n"
			 "r5,-,-,-,-");
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(old, 0, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 0);
	rl_db_close(db);
	ck_assert_int_eq(tu_int(old, "PRAGMA user_version"),
			 RL_SCHEMA_VERSION);
	char *after = rows_of(old, "labelled_reviews");
	ck_assert_str_eq(after, before);
	free(after);
	after = rows_of(old, "review_labels");
	ck_assert_str_eq(after, "r1,zip,1.0,seed,{\"m\":1}\n"
			 "r2,alpha,0.75,propagation,{}\n"
			 "r3,mid,0.5,model,{\"model\":true}\n"
			 "r4,mid,1.0,seed,{\"blend\":true}");
	free(after);
	free(before);
	ck_assert_int_eq(tu_int(old, "SELECT count(*) FROM predictions WHERE "
				"(review_id, model_id, label_id, confidence) IN "
				"(VALUES (2, 1, 2, 0.75), (3, 1, 3, 0.5))"), 2);
	make_sqlite(old, "INSERT INTO predictions VALUES (2, 1, 1, 0.25)");
	ck_assert_int_eq(tu_int(old, "SELECT count(*) FROM predictions WHERE "
				"review_id = 2 AND model_id = 1"), 2);

	/* The tables, columns and view definitions of a new store. */
	const char *fresh = tu_path("v3.db");
	ck_assert_int_eq(rl_db_open(fresh, RL_OPEN_CREATE, &db), RL_OK);
	rl_db_close(db);
	char *a = schema_shape(old), *b = schema_shape(fresh);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	const char *views = "SELECT group_concat(sql, char(10)) FROM (SELECT "
			    "sql FROM sqlite_schema WHERE type = 'view' ORDER "
			    "BY name)";
	a = tu_text(old, views);
	b = tu_text(fresh, views);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "CREATE VIEW review_labels"));
	free(a);
	free(b);

	/* A multi-label store of version 2 (the mode came before version
	 * 3): two hand labels on r1, three assignments on r2. */
	const char *multi = tu_path("v2m.db");
	make_old_store(multi, 2);
	make_sqlite(multi, v2_data);
	make_sqlite(multi, "INSERT INTO settings VALUES ('label_mode', 'multi');"
		    "INSERT INTO seeds(review_id, label_id) VALUES (1, 3);"
		    "INSERT INTO assignments(review_id, label_id, confidence,"
		    " source) VALUES (2, 1, 0.5, 'rule'),"
		    " (2, 3, 0.625, 'model');");
	ck_assert_int_eq(rl_db_open(multi, RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_db_multi_label(db), 1);
	rl_db_close(db);
	a = rows_of(multi, "labelled_reviews");
	ck_assert_str_eq(a, "r1,mid|zip,1.0,seed|seed,"
			 "{\"mid\":{\"m\":1},\"zip\":{\"m\":1}}\n"
			 "r2,alpha|mid|zip,0.5,propagation|model|rule,"
			 "{\"alpha\":{},\"mid\":{},\"zip\":{}}\n"
			 "r3,mid,0.5,model,{\"mid\":{\"model\":true}}\n"
			 "r4,mid,1.0,seed,{\"mid\":{\"blend\":true}}\n"
			 "r5,-,-,-,-");
	free(a);
	a = rows_of(multi, "review_labels");
	ck_assert_str_eq(a, "r1,mid,1.0,seed,{\"m\":1}\n"
			 "r1,zip,1.0,seed,{\"m\":1}\n"
			 "r2,alpha,0.75,propagation,{}\n"
			 "r2,mid,0.625,model,{}\n"
			 "r2,zip,0.5,rule,{}\n"
			 "r3,mid,0.5,model,{\"model\":true}\n"
			 "r4,mid,1.0,seed,{\"blend\":true}");
	free(a);
}
END_TEST

START_TEST(strerror_codes)
{
	int codes[] = { RL_OK, RL_ENOMEM, RL_EIO, RL_EINPUT, RL_EINVAL,
			RL_EDB, RL_EVERSION, RL_EEXIST, RL_ENOTFOUND,
			RL_EEMPTY };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		ck_assert_ptr_nonnull(rl_strerror(codes[i]));
		ck_assert_str_ne(rl_strerror(codes[i]), "unknown error");
	}
	ck_assert_str_eq(rl_strerror(12345), "unknown error");
	ck_assert_str_eq(rl_version(), RL_VERSION);
}
END_TEST

/* ---- tokenize stage ---- */

static rl_db *open_with(const char *tsv)
{
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(tu_path("t.db"), RL_OPEN_CREATE, &db),
			 RL_OK);
	if (tsv) {
		const char *p = tu_write("in.tsv", tsv, 0);
		ck_assert_int_eq(rl_import_file(db, p, NULL, NULL), RL_OK);
	}
	return db;
}

/* The stored tokens of ext_id, as "a b c". */
static char *tokens_of(const char *ext_id)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT hex(tokens) FROM review_tokens t JOIN reviews r "
		 "ON r.id = t.review_id WHERE r.ext_id = '%s'", ext_id);
	char *hex = tu_text(tu_path("t.db"), sql);
	size_t n = strlen(hex) / 2;
	unsigned char *blob = malloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		blob[i] = (unsigned char)v;
	}
	free(hex);
	rl_buf out = { 0 };
	rl_buf_append(&out, "", 0);
	const unsigned char *p = blob, *end = blob + n;
	while (p < end) {
		uint64_t id;
		size_t used = rl_varint_get(p, end, &id);
		ck_assert_uint_gt(used, 0);
		p += used;
		snprintf(sql, sizeof sql, "SELECT term FROM terms WHERE id = "
			 "%llu", (unsigned long long)id);
		char *term = tu_text(tu_path("t.db"), sql);
		if (out.len)
			rl_buf_putc(&out, ' ');
		rl_buf_append(&out, term, strlen(term));
		free(term);
	}
	free(blob);
	return out.data;
}

START_TEST(tokenize_incremental)
{
	rl_db *db = open_with("id\ttext\na\tThe batteries died quickly\n"
			      "b\tGreat VALUE for $20\n");
	rl_tokenize_stats st;
	ck_assert_int_eq(rl_tokenize(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 2);
	ck_assert_int_eq(st.retokenized_all, 0);
	char *t = tokens_of("a");
	ck_assert_str_eq(t, "batteri die quick");
	free(t);
	t = tokens_of("b");
	ck_assert_str_eq(t, "great valu $20");
	free(t);

	/* Nothing new: nothing done. */
	ck_assert_int_eq(rl_tokenize(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 0);

	const char *p = tu_write("more.tsv", "id\ttext\nc\tgreat batteries\n",
				 0);
	ck_assert_int_eq(rl_import_file(db, p, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 1);
	ck_assert_uint_eq(st.new_terms, 0);

	/* Other settings: everything again, with the new ones. */
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "stem=0"), RL_OK);
	ck_assert_int_eq(rl_tokenize(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 3);
	ck_assert_int_eq(st.retokenized_all, 1);
	t = tokens_of("a");
	ck_assert_str_eq(t, "batteries died quickly");
	free(t);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT count(*) FROM terms "
				"WHERE term = 'batteri'"), 0);

	rl_stats s;
	ck_assert_int_eq(rl_stats_get(db, &s), RL_OK);
	ck_assert_uint_eq(s.reviews, 3);
	ck_assert_uint_eq(s.tokenized, 3);
	ck_assert_uint_eq(s.tokens, 8);
	rl_db_close(db);
}
END_TEST

START_TEST(tokenize_threads_same_tokens)
{
	/* 5,006 reviews (several batches, and pieces of a batch cut by its
	 * text size) tokenized on 1 and on 3 threads: the same terms, ids
	 * and token lists; a bad review named whatever thread meets it. */
	size_t cap = 8 << 20, len = 0;
	char *tsv = malloc(cap);
	len += (size_t)snprintf(tsv, cap, "id\ttext\n");
	/* Six long reviews first: 4.4 MB of text, more than is held
	 * before tokenizing, so a batch is cut into pieces. */
	for (int i = 0; i < 6; i++) {
		len += (size_t)snprintf(tsv + len, cap - len, "long%d\t", i);
		for (int w = 0; w < 150000; w++)
			len += (size_t)snprintf(tsv + len, cap - len, "w%d ",
						(w * 7 + i) % 997);
		tsv[len++] = '\n';
	}
	static const char *const words[] = { "great", "value", "battery",
		"died", "shipping", "not", "good", "price", "café", "👍" };
	for (int i = 0; i < 5000; i++) {
		len += (size_t)snprintf(tsv + len, cap - len, "r%d\t", i);
		for (int w = 0; w < 3 + i % 7; w++)
			len += (size_t)snprintf(tsv + len, cap - len, "%s%d ",
						words[(i * 7 + w * 3) % 10],
						(i + w) % 50);
		tsv[len++] = '\n';
	}
	tsv[len] = 0;
	char *digest[2];
	for (int run = 0; run < 2; run++) {
		char name[32];
		snprintf(name, sizeof name, "t%d.db", run);
		char path[512];
		snprintf(path, sizeof path, "%s", tu_path(name));
		rl_db *db = NULL;
		ck_assert_int_eq(rl_db_open(path, RL_OPEN_CREATE, &db), RL_OK);
		ck_assert_int_eq(rl_import_file(db, tu_write("many.tsv", tsv, 0),
						NULL, NULL), RL_OK);
		rl_tokenize_opts o;
		rl_tokenize_opts_init(&o);
		o.threads = run ? 3 : 1;
		rl_tokenize_stats st;
		ck_assert_int_eq(rl_tokenize(db, &o, &st), RL_OK);
		ck_assert_uint_eq(st.reviews, 5006);
		rl_db_close(db);
		digest[run] = tu_text(path, "SELECT group_concat(x, ';') FROM "
				      "(SELECT id || ':' || term AS x FROM terms "
				      "UNION ALL SELECT review_id || '=' || "
				      "hex(tokens) FROM review_tokens)");
	}
	ck_assert_str_eq(digest[0], digest[1]);
	free(digest[0]);
	free(digest[1]);
	free(tsv);

	/* Invalid UTF-8 in a late review: named, and nothing kept. */
	rl_db *db = open_with("id\ttext\na\tfine\nb\talso fine\n");
	rl_db_close(db);
	sqlite3 *s = NULL;
	ck_assert_int_eq(sqlite3_open(tu_path("t.db"), &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(s, "INSERT INTO reviews(ext_id, text) "
				      "VALUES ('bad', CAST(x'61ff62' AS TEXT))",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	char *before = tu_digest(tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(tu_path("t.db"), 0, &db), RL_OK);
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	o.threads = 3;
	ck_assert_int_eq(rl_tokenize(db, &o, NULL), RL_EINPUT);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "'bad'"));
	rl_db_close(db);
	char *after = tu_digest(tu_path("t.db"));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(tokenize_empty_store)
{
	rl_db *db = open_with(NULL);
	rl_tokenize_stats st;
	ck_assert_int_eq(rl_tokenize(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 0);
	rl_db_close(db);
}
END_TEST

/* Reviews with no token (punctuation only): a batch of only those has no
 * term array, and a thread whose share has none has no token buffer;
 * reading either did NULL + 0 (undefined; clang's UBSan stops there).
 * Each such review gets an empty token list. */
START_TEST(tokenize_no_token)
{
	rl_db *db = open_with("id\ttext\na\t!!!\nb\t...\n");
	rl_tokenize_stats st;
	ck_assert_int_eq(rl_tokenize(db, NULL, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 2);
	ck_assert_uint_eq(st.tokens, 0);
	/* On 2 threads, the second's share has no token. */
	const char *p = tu_write("more.tsv", "id\ttext\nc\tgreat value\n"
				 "d\t???\n", 0);
	ck_assert_int_eq(rl_import_file(db, p, NULL, NULL), RL_OK);
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	o.threads = 2;
	ck_assert_int_eq(rl_tokenize(db, &o, &st), RL_OK);
	ck_assert_uint_eq(st.reviews, 2);
	ck_assert_uint_eq(st.tokens, 2);
	rl_db_close(db);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT count(*) FROM "
				"review_tokens WHERE n_tokens = 0 AND "
				"length(tokens) = 0"), 3);
	char *t = tokens_of("c");
	ck_assert_str_eq(t, "great valu");
	free(t);
}
END_TEST

START_TEST(tokenize_bad_lexicon)
{
	rl_db *db = open_with("id\ttext\na\tx\n");
	char *before = tu_digest(tu_path("t.db"));
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "language=xx"), RL_OK);
	ck_assert_int_lt(rl_tokenize(db, &o, NULL), 0);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "xx"));
	char *after = tu_digest(tu_path("t.db"));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	rl_db_close(db);
}
END_TEST

START_TEST(tokenize_injected_failures)
{
	rl_db *db = open_with("id\ttext\na\tone two\nb\tthree four\n");
	char *before = tu_digest(tu_path("t.db"));
	int n;
	for (n = 1; n < 100; n++) {
		rl_store_fail_step(db, n);
		int rc = rl_tokenize(db, NULL, NULL);
		if (rc == RL_OK)
			break;
		ck_assert_int_eq(rc, RL_EDB);
		char *after = tu_digest(tu_path("t.db"));
		ck_assert_str_eq(before, after);
		free(after);
	}
	rl_store_fail_step(db, 0);
	ck_assert_int_gt(n, 3);
	ck_assert_int_lt(n, 100);
	free(before);
	rl_db_close(db);
}
END_TEST

static int count_runs(void *ctx, const rl_run_info *r)
{
	int *n = ctx;
	ck_assert_ptr_nonnull(r->stage);
	ck_assert_ptr_nonnull(r->params);
	(*n)++;
	return 0;
}

START_TEST(runs_recorded)
{
	rl_db *db = open_with("id\ttext\na\tx y\n");
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	int n = 0;
	ck_assert_int_eq(rl_runs_last(db, count_runs, &n), RL_OK);
	ck_assert_int_eq(n, 2);
	char *params = tu_text(tu_path("t.db"), "SELECT params FROM runs "
			       "WHERE stage = 'tokenize'");
	ck_assert_ptr_nonnull(strstr(params, "\"stem\":1"));
	ck_assert_ptr_nonnull(strstr(params, "\"fingerprint\":"));
	free(params);
	rl_db_close(db);
}
END_TEST

/* ---- parameters ---- */

START_TEST(param_tables)
{
	rl_tokenize_opts o;
	rl_tokenize_opts_init(&o);
	ck_assert_str_eq(o.language, "en");
	ck_assert_int_eq(o.stem, 1);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "stem=no"), RL_OK);
	ck_assert_int_eq(o.stem, 0);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "min_len=3"), RL_OK);
	ck_assert_int_eq(o.min_len, 3);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "min_len=0"), RL_EINVAL);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "min_len=3x"), RL_EINVAL);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "stem=maybe"), RL_EINVAL);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "nosuch=1"), RL_EINVAL);
	ck_assert_int_eq(rl_tokenize_opts_set(&o, "stem"), RL_EINVAL);
	size_t i = 0;
	while (rl_param_at("tokenize", i))
		i++;
	ck_assert_uint_eq(i, rl_tokenize_nparams);
	ck_assert_ptr_null(rl_param_at("nosuch", 0));
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_params_json(rl_tokenize_params,
					rl_tokenize_nparams, &o, &b), RL_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"min_len\":3"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"language\":\"en\""));
	rl_buf_free(&b);
}
END_TEST

/* Settings with a fixed set of values: the table takes each name it
 * lists, refuses any other (leaving the field alone), lists the names
 * for help, and writes the name in the runs' JSON. */
static const rl_param *param_named(const char *stage, const char *name)
{
	const rl_param *p;
	for (size_t i = 0; (p = rl_param_at(stage, i)); i++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static void check_choices(const char *stage, const char *name,
			  const char *const *want, size_t n_want)
{
	const rl_param *p = param_named(stage, name);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->type, "enum");
	ck_assert_ptr_nonnull(p->choices);
	size_t n = 0;
	while (p->choices[n]) {
		ck_assert_uint_lt(n, n_want);
		ck_assert_str_eq(p->choices[n], want[n]);
		n++;
	}
	ck_assert_uint_eq(n, n_want);
	/* The default is one of them. */
	int found = 0;
	for (size_t c = 0; c < n; c++)
		found |= !strcmp(p->choices[c], p->def);
	ck_assert(found);
}

START_TEST(enum_params)
{
	static const char *const priors[] = { "seeds", "uniform", "auto",
					      "none" };
	static const char *const votes[] = { "weighted", "majority" };
	static const char *const models[] = { "logreg", "nb", "cnb", "auto",
						"pool", "choose" };
	static const char *const vectors[] = { "tfidf", "lsa", "auto" };
	check_choices("propagate", "class_prior", priors, 4);
	check_choices("propagate", "rule_vote", votes, 2);
	check_choices("train", "model", models, 6);
	check_choices("graph", "vectors", vectors, 3);
	check_choices("clusters", "vectors", vectors, 3);
	/* Other types have none. */
	ck_assert_ptr_null(param_named("propagate", "alpha")->choices);
	ck_assert_ptr_null(param_named("tokenize", "language")->choices);

	rl_propagate_opts po;
	rl_propagate_opts_init(&po);
	ck_assert_int_eq(po.class_prior, RL_PRIOR_AUTO);
	ck_assert_int_eq(po.rule_vote, RL_VOTE_WEIGHTED);
	char a[64];
	for (int v = 0; v < 3; v++) {
		snprintf(a, sizeof a, "class_prior=%s", priors[v]);
		ck_assert_int_eq(rl_propagate_opts_set(&po, a), RL_OK);
		ck_assert_int_eq(po.class_prior, v);
		ck_assert_str_eq(rl_prior_name(po.class_prior), priors[v]);
	}
	for (int v = 0; v < 2; v++) {
		snprintf(a, sizeof a, "rule_vote=%s", votes[v]);
		ck_assert_int_eq(rl_propagate_opts_set(&po, a), RL_OK);
		ck_assert_int_eq(po.rule_vote, v);
		ck_assert_str_eq(rl_vote_name(po.rule_vote), votes[v]);
	}
	ck_assert_int_eq(rl_propagate_opts_set(&po, "class_prior=uniform"),
			 RL_OK);
	ck_assert_int_eq(rl_propagate_opts_set(&po, "class_prior=bogus"),
			 RL_EINVAL);
	ck_assert_int_eq(rl_propagate_opts_set(&po, "class_prior=Uniform"),
			 RL_EINVAL);
	ck_assert_int_eq(rl_propagate_opts_set(&po, "class_prior="),
			 RL_EINVAL);
	ck_assert_int_eq(rl_propagate_opts_set(&po, "rule_vote=loud"),
			 RL_EINVAL);
	ck_assert_int_eq(po.class_prior, RL_PRIOR_UNIFORM);
	ck_assert_int_eq(po.rule_vote, RL_VOTE_MAJORITY);
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_params_json(rl_propagate_params,
					rl_propagate_nparams, &po, &b), RL_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"rule_vote\":\"majority\","
				     "\"class_prior\":\"uniform\""));
	rl_buf_free(&b);

	rl_eval_opts eo;
	rl_eval_opts_init(&eo);
	ck_assert_int_eq(eo.model, RL_CLASSIFIER_AUTO);
	for (int v = 0; v < 4; v++) {
		snprintf(a, sizeof a, "model=%s", models[v]);
		ck_assert_int_eq(rl_eval_opts_set(&eo, a), RL_OK);
		ck_assert_str_eq(rl_classifier_name(eo.model), models[v]);
	}
	ck_assert_int_eq(rl_eval_opts_set(&eo, "model=svm"), RL_EINVAL);
	ck_assert_int_eq(eo.model, RL_CLASSIFIER_AUTO);

	rl_graph_opts go;
	rl_clusters_opts co;
	rl_graph_opts_init(&go);
	rl_clusters_opts_init(&co);
	ck_assert_int_eq(go.vectors, RL_VECTORS_AUTO);
	ck_assert_int_eq(co.vectors, RL_VECTORS_AUTO);
	for (int v = 0; v < 3; v++) {
		snprintf(a, sizeof a, "vectors=%s", vectors[v]);
		ck_assert_int_eq(rl_graph_opts_set(&go, a), RL_OK);
		ck_assert_int_eq(rl_clusters_opts_set(&co, a), RL_OK);
		ck_assert_str_eq(rl_vectors_name(go.vectors), vectors[v]);
		ck_assert_int_eq(co.vectors, go.vectors);
	}
	ck_assert_int_eq(rl_graph_opts_set(&go, "vectors=bert"), RL_EINVAL);
	ck_assert_int_eq(rl_clusters_opts_set(&co, "vectors=bert"),
			 RL_EINVAL);

	/* A value outside an enum has no name. */
	ck_assert_str_eq(rl_prior_name((rl_prior)9), "unknown");
	ck_assert_str_eq(rl_vote_name((rl_vote)-1), "unknown");
	ck_assert_str_eq(rl_classifier_name((rl_classifier)6), "unknown");
	ck_assert_str_eq(rl_vectors_name((rl_vectors)3), "unknown");
}
END_TEST

/* What labelling chose, kept through typed calls. */
START_TEST(chosen_settings)
{
	rl_db *db = open_with(NULL);
	rl_prior p = RL_PRIOR_AUTO;
	uint32_t k = 99;
	ck_assert_int_eq(rl_store_prior_get(db, &p), RL_ENOTFOUND);
	ck_assert_int_eq(p, RL_PRIOR_AUTO);
	ck_assert_int_eq(rl_store_neighbours_get(db, &k), RL_ENOTFOUND);
	ck_assert_int_eq(rl_store_prior_set(db, RL_PRIOR_UNIFORM), RL_OK);
	ck_assert_int_eq(rl_store_prior_get(db, &p), RL_OK);
	ck_assert_int_eq(p, RL_PRIOR_UNIFORM);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT value = 'uniform' "
				"FROM settings WHERE key = 'class_prior'"), 1);
	ck_assert_int_eq(rl_store_prior_set(db, RL_PRIOR_SEEDS), RL_OK);
	ck_assert_int_eq(rl_store_prior_get(db, &p), RL_OK);
	ck_assert_int_eq(p, RL_PRIOR_SEEDS);
	/* auto is no choice to record. */
	ck_assert_int_eq(rl_store_prior_set(db, RL_PRIOR_AUTO), RL_EINVAL);
	ck_assert_int_eq(rl_store_neighbours_set(db, 5), RL_OK);
	ck_assert_int_eq(rl_store_neighbours_get(db, &k), RL_OK);
	ck_assert_uint_eq(k, 5);
	ck_assert_int_eq(rl_store_neighbours_del(db), RL_OK);
	ck_assert_int_eq(rl_store_neighbours_get(db, &k), RL_ENOTFOUND);
	rl_db_close(db);
}
END_TEST

static int stage_runs(void)
{
	return tu_int(tu_path("t.db"), "SELECT count(*) FROM runs WHERE "
		      "stage = 'test'");
}

/* The envelope of a stage: committed with its run on success, rolled
 * back whole on failure. */
START_TEST(stage_envelope)
{
	rl_db *db = open_with(NULL);
	rl_stage st;
	ck_assert_int_eq(rl_stage_begin(db, "test", "{\"a\":1}", &st),
			 RL_OK);
	ck_assert_int_gt(st.run_id, 0);
	ck_assert_int_eq(rl_store_setting_set(db, "x", "1"), RL_OK);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, "{\"n\":1}"), RL_OK);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT count(*) FROM runs "
				"WHERE stage = 'test' AND status = 'ok' AND "
				"json_extract(params, '$.a') = 1 AND "
				"json_extract(counts, '$.n') = 1"), 1);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT count(*) FROM "
				"settings WHERE key = 'x'"), 1);
	/* A failure leaves nothing: no setting, no run. */
	char *before = tu_digest(tu_path("t.db"));
	ck_assert_int_eq(rl_stage_begin(db, "test", NULL, &st), RL_OK);
	ck_assert_int_eq(rl_store_setting_set(db, "y", "1"), RL_OK);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_EINPUT, "{}"), RL_EINPUT);
	/* An RL_ENOMEM without a detail gets one. */
	ck_assert_int_eq(rl_stage_begin(db, "test", NULL, &st), RL_OK);
	rl_clear_error(db);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_ENOMEM, NULL), RL_ENOMEM);
	ck_assert_str_eq(rl_db_errmsg(db), "out of memory");
	char *after = tu_digest(tu_path("t.db"));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(stage_runs(), 1);
	/* Without a stage name: a transaction, no run. */
	ck_assert_int_eq(rl_stage_begin(db, NULL, NULL, &st), RL_OK);
	ck_assert_int_eq(st.run_id, 0);
	ck_assert_int_eq(rl_store_setting_set(db, "z", "1"), RL_OK);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, NULL), RL_OK);
	ck_assert_int_eq(stage_runs(), 1);
	ck_assert_int_eq(tu_int(tu_path("t.db"), "SELECT count(*) FROM "
				"settings WHERE key = 'z'"), 1);
	/* A failing commit (an injected step failure recording the run's
	 * end) rolls back too. */
	before = tu_digest(tu_path("t.db"));
	ck_assert_int_eq(rl_stage_begin(db, "test", NULL, &st), RL_OK);
	ck_assert_int_eq(rl_store_setting_set(db, "w", "1"), RL_OK);
	rl_store_fail_step(db, 1);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, "{}"), RL_EDB);
	rl_store_fail_step(db, 0);
	after = tu_digest(tu_path("t.db"));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* A stage that cannot begin (one is open) leaves the open one. */
	ck_assert_int_eq(rl_stage_begin(db, "test", NULL, &st), RL_OK);
	rl_stage inner;
	ck_assert_int_ne(rl_stage_begin(db, "test", NULL, &inner), RL_OK);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, "{}"), RL_OK);
	ck_assert_int_eq(stage_runs(), 2);
	rl_db_close(db);
}
END_TEST

/* ---- helpers ---- */

START_TEST(varints)
{
	uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384, 1ull << 40,
			    UINT64_MAX };
	rl_buf b = { 0 };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		ck_assert_int_eq(rl_buf_put_varint(&b, vals[i]), RL_OK);
	const unsigned char *p = (const unsigned char *)b.data;
	const unsigned char *end = p + b.len;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		uint64_t v;
		size_t n = rl_varint_get(p, end, &v);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_eq(v, vals[i]);
		p += n;
	}
	ck_assert_ptr_eq(p, end);
	uint64_t v;
	/* A truncated varint is reported, not read past. */
	const unsigned char cut[] = { 0x80, 0x80 };
	ck_assert_uint_eq(rl_varint_get(cut, cut + 2, &v), 0);
	rl_buf_free(&b);
}
END_TEST

/* Finding a review's row: the guess id - ids[0] where ids have no gaps,
 * the search where they do, -1 for ids not there (below, between,
 * above, and near INT64 limits); the same answers as rl_find_id. */
START_TEST(find_unique_ids)
{
	const int64_t dense[] = { 5, 6, 7, 8, 9 };
	const int64_t gaps[] = { -3, 2, 4, 10, 11, 40 };
	const int64_t ends[] = { INT64_MIN, 0, INT64_MAX };
	const struct { const int64_t *ids; size_t n; } sets[] = {
		{ dense, 5 }, { gaps, 6 }, { ends, 3 }, { dense, 0 }
	};
	const int64_t probes[] = { INT64_MIN, -4, -3, 0, 1, 2, 3, 4, 5, 7,
				   9, 10, 11, 12, 39, 40, 41, INT64_MAX };
	for (size_t s = 0; s < 4; s++)
		for (size_t p = 0; p < sizeof probes / sizeof *probes; p++) {
			int64_t want = -1;
			for (size_t i = 0; i < sets[s].n; i++)
				if (sets[s].ids[i] == probes[p])
					want = (int64_t)i;
			ck_assert_int_eq(rl_find_unique_id(sets[s].ids,
							   sets[s].n,
							   probes[p]), want);
			ck_assert_int_eq(rl_find_id(sets[s].ids, sets[s].n,
						    probes[p]), want);
		}
}
END_TEST

/* The foreign-key pragma does nothing inside a transaction and says
 * so to no one: turning the checks off or on there is an error, and a
 * stage begun while they are off (a stage that could not turn them on
 * again) turns them on first. */
START_TEST(foreign_keys_switch)
{
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(tu_path("fk.db"), RL_OPEN_CREATE, &db),
			 RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	ck_assert_int_eq(rl_store_begin(db), RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys(db, 0), RL_EDB);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "transaction"));
	rl_store_rollback(db);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	ck_assert_int_eq(rl_store_foreign_keys(db, 0), RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 0);
	rl_stage st;
	ck_assert_int_eq(rl_stage_begin(db, "test", NULL, &st), RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, NULL), RL_OK);
	/* A derived stage has them off inside, on after. */
	ck_assert_int_eq(rl_stage_begin_derived(db, "test", NULL, &st),
			 RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 0);
	ck_assert_int_eq(rl_stage_end(db, &st, RL_OK, NULL), RL_OK);
	ck_assert_int_eq(rl_store_foreign_keys_on(db), 1);
	rl_db_close(db);
}
END_TEST

START_TEST(strmap)
{
	rl_strmap *m = NULL;
	ck_assert_int_eq(rl_strmap_new(&m), RL_OK);
	char key[32];
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		ck_assert_int_eq(rl_strmap_put(m, key, (size_t)n, i), RL_OK);
	}
	ck_assert_uint_eq(rl_strmap_size(m), 10000);
	for (int i = 0; i < 10000; i += 7) {
		int n = snprintf(key, sizeof key, "k%d", i);
		ck_assert_int_eq(rl_strmap_get(m, key, (size_t)n), i);
	}
	ck_assert_int_eq(rl_strmap_get(m, "nope", 4), -1);
	ck_assert_int_eq(rl_strmap_put(m, "k5", 2, 99), RL_OK);
	ck_assert_int_eq(rl_strmap_get(m, "k5", 2), 99);
	ck_assert_uint_eq(rl_strmap_size(m), 10000);
	/* Keys are bytes: an embedded NUL is part of the key. */
	ck_assert_int_eq(rl_strmap_put(m, "a\0b", 3, 1), RL_OK);
	ck_assert_int_eq(rl_strmap_get(m, "a", 1), -1);
	rl_strmap_free(m);
	rl_strmap_free(NULL);
}
END_TEST

START_TEST(json_escaping)
{
	rl_buf b = { 0 };
	const char s[] = "q\"b\\n\n\t\x01\x1f\x7f\xc3\xa9";
	ck_assert_int_eq(rl_json_string(&b, s, sizeof s - 1), RL_OK);
	ck_assert_str_eq(b.data, "\"q\\\"b\\\\n\\n\\t\\u0001\\u001f"
			 "\\u007f\xc3\xa9\"");
	rl_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("open");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, open_missing);
	tcase_add_test(tc, label_mode);
	tcase_add_test(tc, create_and_reopen);
	tcase_add_test(tc, open_flags);
	tcase_add_test(tc, refuse_foreign_and_newer);
	tcase_add_test(tc, upgrade_from_v1);
	tcase_add_test(tc, upgrade_from_v2);
	tcase_add_test(tc, strerror_codes);
	tcase_add_test(tc, foreign_keys_switch);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokenize");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, tokenize_incremental);
	tcase_add_test(tc, tokenize_threads_same_tokens);
	tcase_add_test(tc, tokenize_empty_store);
	tcase_add_test(tc, tokenize_no_token);
	tcase_add_test(tc, tokenize_bad_lexicon);
	tcase_add_test(tc, tokenize_injected_failures);
	tcase_add_test(tc, runs_recorded);
	tcase_add_test(tc, chosen_settings);
	tcase_add_test(tc, stage_envelope);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, param_tables);
	tcase_add_test(tc, enum_params);
	tcase_add_test(tc, varints);
	tcase_add_test(tc, find_unique_ids);
	tcase_add_test(tc, strmap);
	tcase_add_test(tc, json_escaping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
