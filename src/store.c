/*
 * store.c - the store's engine: the SQLite file that holds every stage's
 * input and output (schema.sql), opened, created or upgraded here; the
 * statement cache and the one step() every store file goes through;
 * transactions, runs and settings; and reading JSON with SQLite's JSON
 * functions.
 *
 * What the tables hold is read and written by the file named for it:
 * store_corpus.c (reviews, tokens, vectors, neighbours), store_labels.c
 * (labels, hand labels, rules and their hits, scores, assignments,
 * clusters), store_models.c (models, predictions, evaluations) and
 * store_read.c (the public read and export queries, the report's). Only
 * these files speak SQL or include sqlite3.h (through store_impl.h).
 *
 * Every SQL statement lives in the table of its file, is prepared once per
 * handle and takes its values as bound parameters. All steps go through
 * rl_sql_step(), which turns SQLite failures into RL_EDB with SQLite's
 * message and which tests can make fail on purpose (rl_store_fail_step).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_impl.h"

extern const char rl_schema_sql[];

enum stmt_id {
	S_RUN_START,
	S_RUN_FINISH,
	S_SETTING_GET,
	S_SETTING_SET,
	S_SETTING_DEL,
	S_TOKOPTS,
	S_JSON_VALID,
	S_JSON_RECORD,
	S_JSON_NUMBERS,
	S_JSON_STRINGS,
	S_JSON_TEXT,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_RUN_START] =
		"INSERT INTO runs(stage, started, params) VALUES "
		"(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2)",
	[S_RUN_FINISH] =
		"UPDATE runs SET seconds = ?2, counts = ?3, status = 'ok' "
		"WHERE id = ?1",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_SETTING_SET] =
		"INSERT INTO settings(key, value) VALUES (?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_SETTING_DEL] = "DELETE FROM settings WHERE key = ?1",
	[S_TOKOPTS] =
		"SELECT json_extract(value, '$.language'), "
		"json_extract(value, '$.stopwords'), "
		"json_extract(value, '$.stem'), "
		"json_extract(value, '$.negation'), "
		"json_extract(value, '$.min_len'), "
		"json_extract(value, '$.lexicon_dir') FROM settings "
		"WHERE key = 'tokenizer_params'",
	[S_JSON_VALID] = "SELECT json_valid(?1), CASE WHEN json_valid(?1) "
			 "THEN json_type(?1) = 'object' ELSE 0 END",
	[S_JSON_RECORD] =
		"SELECT (SELECT type FROM json_each(?1) WHERE key = ?2), "
		"(SELECT value FROM json_each(?1) WHERE key = ?2), "
		"(SELECT type FROM json_each(?1) WHERE key = ?3), "
		"(SELECT value FROM json_each(?1) WHERE key = ?3), "
		"(SELECT json_group_object(key, value) FROM json_each(?1) "
		"WHERE key <> ?2 AND key <> ?3), "
		/* JSON allows a key twice; which one a reader takes varies, so
		 * a record with one is refused. */
		"(SELECT key FROM json_each(?1) GROUP BY key HAVING count(*) > "
		"1 LIMIT 1)",
	/* Numbers of a JSON subtree in document order: a matrix or a list
	 * of objects comes out flat, row-major. */
	[S_JSON_NUMBERS] =
		"SELECT value FROM json_tree(?1, ?2) WHERE type IN ('integer', "
		"'real') ORDER BY id",
	[S_JSON_STRINGS] =
		"SELECT value FROM json_each(?1, ?2) WHERE type = 'text' "
		"ORDER BY key",
	[S_JSON_TEXT] = "SELECT json_extract(?1, ?2)",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

/* Statement `id` of this file (see rl_sql_stmt). */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_ENGINE, id, stmt_sql[id]);
}

const char *rl_db_path(const rl_db *db)
{
	return db && db->path ? db->path : "";
}

/* ---- the handle's last failure ---- */

static int vfail(rl_db *db, int code, rl_need need, const char *fmt,
		 va_list ap)
{
	if (!db)
		return code;
	rl_buf *b = &db->err;
	char tmp[1024];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	b->len = 0;
	/* If even the message cannot be stored, the code still speaks. */
	if (n >= 0 && rl_buf_append(b, tmp, strlen(tmp)) != RL_OK)
		b->len = 0;
	db->need = need;
	return code;
}

int rl_fail(rl_db *db, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = vfail(db, code, RL_NEED_NOTHING, fmt, ap);
	va_end(ap);
	return code;
}

int rl_fail_need(rl_db *db, int code, rl_need need, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = vfail(db, code, need, fmt, ap);
	va_end(ap);
	return code;
}

void rl_clear_error(rl_db *db)
{
	db->err.len = 0;
	if (db->err.data)
		db->err.data[0] = '\0';
	db->need = RL_NEED_NOTHING;
}

const char *rl_db_errmsg(const rl_db *db)
{
	if (!db)
		return "";
	return db->err.len ? db->err.data : "";
}

rl_need rl_db_need(const rl_db *db)
{
	return db ? db->need : RL_NEED_NOTHING;
}


void rl_store_fail_step(rl_db *db, int n)
{
	db->fail_after = n;
}

/* ---- what every store file goes through (store_impl.h) ---- */

int rl_sql_fail(rl_db *db, const char *what)
{
	return rl_fail(db, RL_EDB, "%s: %s: %s", db->path, what,
		       sqlite3_errmsg(db->sql));
}

sqlite3_stmt *rl_sql_stmt(rl_db *db, rl_sql_part part, int id,
			  const char *sql)
{
	sqlite3_stmt *s = db->stmt[part][id];
	if (!s) {
		if (sqlite3_prepare_v3(db->sql, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &s,
				       NULL) != SQLITE_OK) {
			rl_sql_fail(db, "prepare");
			return NULL;
		}
		db->stmt[part][id] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

/* sqlite3_step with fault injection: returns SQLITE_ROW, SQLITE_DONE or
 * an error code, recording the message for errors. */
int rl_sql_step(rl_db *db, sqlite3_stmt *s)
{
	if (db->fail_after > 0 && --db->fail_after == 0) {
		rl_fail(db, RL_EDB, "%s: injected failure", db->path);
		sqlite3_reset(s);
		return SQLITE_IOERR;
	}
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rl_sql_fail(db, "step");
		sqlite3_reset(s);
	}
	return rc;
}

/* Steps a statement that returns no rows. */
int rl_sql_exec(rl_db *db, sqlite3_stmt *s)
{
	if (!s)
		return RL_EDB;
	int rc = rl_sql_step(db, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? RL_OK : RL_EDB;
}

static int exec_sql(rl_db *db, const char *sql)
{
	char *msg = NULL;
	if (db->fail_after > 0 && --db->fail_after == 0)
		return rl_fail(db, RL_EDB, "%s: injected failure", db->path);
	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		rl_fail(db, RL_EDB, "%s: %s", db->path,
			msg ? msg : sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return RL_EDB;
	}
	return RL_OK;
}

int rl_sql_bind_text(sqlite3_stmt *s, int i, const char *t, size_t n)
{
	return sqlite3_bind_text64(s, i, t, n, SQLITE_STATIC, SQLITE_UTF8);
}

int rl_sql_review_infos(rl_db *db, sqlite3_stmt *s, rl_review_info_fn fn,
			void *ctx)
{
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_review_info ri = {
			(const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1),
		};
		int rc = fn(ctx, &ri);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_sql_copy_col(sqlite3_stmt *s, int col, rl_buf *b)
{
	b->len = 0;
	const void *p = sqlite3_column_text(s, col);
	return rl_buf_append(b, p ? p : "", (size_t)sqlite3_column_bytes(s, col));
}

int rl_sql_count(rl_db *db, const char *sql, uint64_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	if (rl_sql_step(db, s) != SQLITE_ROW)
		goto out;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	rc = RL_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Calls fn(ctx, id, name) for each row of statement s, which selects an
 * id and a text. */
int rl_sql_names_each(rl_db *db, sqlite3_stmt *s, rl_name_fn fn, void *ctx)
{
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int rc = fn(ctx, sqlite3_column_int64(s, 0),
			    (const char *)sqlite3_column_text(s, 1));
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* ---- open / close ---- */

static int user_version(rl_db *db, int *v)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &s,
			       NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*v = sqlite3_column_int(s, 0);
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_fail(db, RL_EDB, "%s: not a revlab store: %s", db->path,
			sqlite3_errmsg(db->sql));
	sqlite3_finalize(s);
	return rc;
}

static int table_count(rl_db *db, int *n)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_schema",
			       -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*n = sqlite3_column_int(s, 0);
		rc = RL_OK;
	} else {
		rl_fail(db, RL_EDB, "%s: not a revlab store: %s", db->path,
			sqlite3_errmsg(db->sql));
	}
	sqlite3_finalize(s);
	return rc;
}

/* The settings key of the store's mode: "multi" in a multi-label store,
 * missing in a single-label one (as in every store made before there was
 * a choice). */
#define MODE_KEY "label_mode"

static int apply_schema(rl_db *db, int multi)
{
	int rc = rl_store_begin(db);
	if (rc != RL_OK)
		return rc;
	rc = exec_sql(db, rl_schema_sql);
	if (rc == RL_OK && multi)
		rc = rl_store_setting_set(db, MODE_KEY, "multi");
	if (rc == RL_OK)
		rc = rl_store_commit(db);
	if (rc != RL_OK)
		rl_store_rollback(db);
	return rc;
}

/* Upgrades, one per version step: upgrade[v - 1] takes a version-v store
 * to v + 1. Each adds what schema.sql added in that version, but for the
 * views: they hold no data, so an upgrade drops them all first and makes
 * them afresh from schema.sql last (upgrade_schema). */
static const char *const upgrade[] = {
	/* 1 -> 2: evaluations and clusters; projections keep only their
	 * non-zero rows */
	"ALTER TABLE projection ADD COLUMN cols BLOB;"
	"CREATE TABLE evals (id INTEGER PRIMARY KEY,"
	" run_id INTEGER REFERENCES runs(id),"
	" created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ',"
	" 'now')), result TEXT NOT NULL);"
	"CREATE TABLE clusters (id INTEGER PRIMARY KEY,"
	" size INTEGER NOT NULL, terms TEXT NOT NULL DEFAULT '[]',"
	" run_id INTEGER REFERENCES runs(id));"
	"CREATE TABLE cluster_members (review_id INTEGER PRIMARY KEY"
	" REFERENCES reviews(id) ON DELETE CASCADE, cluster_id INTEGER NOT"
	" NULL REFERENCES clusters(id) ON DELETE CASCADE,"
	" similarity REAL NOT NULL);"
	"CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id,"
	" similarity);"
	"PRAGMA user_version = 2;",
	/* 2 -> 3: predictions keyed by label too, so a multi-label model
	 * stores a row per label it predicts (SQLite cannot change a key:
	 * a new table, the rows copied); the view review_labels */
	"CREATE TABLE predictions_v3 (review_id INTEGER NOT NULL"
	" REFERENCES reviews(id) ON DELETE CASCADE, model_id INTEGER NOT NULL"
	" REFERENCES models(id) ON DELETE CASCADE, label_id INTEGER NOT NULL"
	" REFERENCES labels(id), confidence REAL NOT NULL,"
	" PRIMARY KEY (review_id, model_id, label_id)) WITHOUT ROWID;"
	"INSERT INTO predictions_v3 SELECT review_id, model_id, label_id,"
	" confidence FROM predictions;"
	"DROP TABLE predictions;"
	"ALTER TABLE predictions_v3 RENAME TO predictions;"
	"PRAGMA user_version = 3;",
	/* 3 -> 4: annotations, what each annotator said; the hand labels
	 * there are become the unnamed annotator's, in the order they were
	 * given */
	"CREATE TABLE annotations (id INTEGER PRIMARY KEY,"
	" review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE"
	" CASCADE, label_id INTEGER NOT NULL REFERENCES labels(id),"
	" annotator TEXT NOT NULL DEFAULT '', created TEXT NOT NULL DEFAULT"
	" (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
	" UNIQUE (review_id, label_id, annotator));"
	"CREATE INDEX annotations_annotator ON annotations(annotator,"
	" review_id);"
	"INSERT INTO annotations(review_id, label_id, annotator, created)"
	" SELECT review_id, label_id, '', created FROM seeds"
	" WHERE origin = 'hand' ORDER BY created, review_id, label_id;"
	"PRAGMA user_version = 4;",
	/* 4 -> 5: the reviews whose neighbour lists a refinement of the
	 * graph changed, and propagation's spread for a warm start (empty
	 * until the next labelling), tracked from here on in a store that was
	 * labelled (run labels after it builds the graph); in one that
	 * was not, every review counts as changed until the first
	 * labelling */
	"CREATE TABLE graph_changes (review_id INTEGER PRIMARY KEY"
	" REFERENCES reviews(id) ON DELETE CASCADE);"
	"CREATE TABLE spread (review_id INTEGER PRIMARY KEY REFERENCES"
	" reviews(id) ON DELETE CASCADE, scores BLOB NOT NULL);"
	"INSERT INTO settings(key, value) SELECT 'graph_changes', 'tracked'"
	" WHERE EXISTS (SELECT 1 FROM settings WHERE key ="
	" 'labelled_inputs');"
	"PRAGMA user_version = 5;",
};

/* Drops every view of the store. */
static int drop_views(rl_db *db)
{
	sqlite3_stmt *s = NULL;
	rl_buf sql = { 0 };
	int rc = RL_EDB, r;
	if (sqlite3_prepare_v2(db->sql, "SELECT 'DROP VIEW \"' || "
			       "replace(name, '\"', '\"\"') || '\";' FROM "
			       "sqlite_schema WHERE type = 'view'", -1, &s,
			       NULL) != SQLITE_OK)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (rl_buf_append(&sql, (const char *)sqlite3_column_text(s, 0),
				  (size_t)sqlite3_column_bytes(s, 0)) != RL_OK) {
			rc = RL_ENOMEM;
			goto out;
		}
	if (r == SQLITE_DONE)
		rc = RL_OK;
out:
	if (rc == RL_EDB)
		rl_fail(db, rc, "%s: %s", db->path, sqlite3_errmsg(db->sql));
	sqlite3_finalize(s);
	if (rc == RL_OK && sql.data)
		rc = exec_sql(db, sql.data);
	rl_buf_free(&sql);
	return rc;
}

/* Whether the statement `sql` (len bytes) creates a view, past its
 * leading comments. */
static int creates_view(const char *sql, size_t len)
{
	const char *p = sql, *end = sql + len;
	for (;;) {
		while (p < end && strchr(" \t\r\n", *p))
			p++;
		if (end - p < 2 || p[0] != '-' || p[1] != '-')
			break;
		while (p < end && *p != '\n')
			p++;
	}
	return end - p > 12 && !strncmp(p, "CREATE VIEW ", 12);
}

/* Makes the views of schema.sql, statement by statement: a statement
 * ends at the first ';' where sqlite3_complete says it does. */
static int make_views(rl_db *db)
{
	char *sql = strdup(rl_schema_sql);
	if (!sql)
		return RL_ENOMEM;
	int rc = RL_OK;
	char *start = sql;
	for (char *p = sql; rc == RL_OK && (p = strchr(p, ';')); ) {
		char keep = *++p;
		*p = '\0';
		if (sqlite3_complete(start)) {
			if (creates_view(start, (size_t)(p - start)))
				rc = exec_sql(db, start);
			start = p;
		}
		*p = keep;
	}
	free(sql);
	return rc;
}

/* Brings a store made by an older revlab up to RL_SCHEMA_VERSION, all
 * steps in one transaction, so an interrupted upgrade leaves it as it was. */
_Static_assert(sizeof upgrade / sizeof upgrade[0] == RL_SCHEMA_VERSION - 1,
	       "one upgrade per version step");

static int upgrade_schema(rl_db *db, int version)
{
	int rc = rl_store_begin(db);
	if (rc != RL_OK)
		return rc;
	/* The views go first: ALTER TABLE checks every view there is. */
	rc = drop_views(db);
	for (int v = version; v < RL_SCHEMA_VERSION && rc == RL_OK; v++)
		rc = exec_sql(db, upgrade[v - 1]);
	if (rc == RL_OK)
		rc = make_views(db);
	if (rc == RL_OK)
		rc = rl_store_commit(db);
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "%s: out of memory", db->path);
	if (rc != RL_OK)
		rl_store_rollback(db);
	return rc;
}

/* Opens db->sql on `path` with SQLite's flags, as an immutable file
 * (a URI) if asked. */
static int connect(rl_db *db, const char *path, int oflags, int immutable)
{
	char *uri = NULL;
	if (immutable) {
		/* file: URIs take the path percent-encoded. */
		size_t n = strlen(path);
		if (!(uri = malloc(3 * n + 32)))
			return RL_ENOMEM;
		char *u = uri + sprintf(uri, "file:");
		for (const unsigned char *p = (const unsigned char *)path; *p;
		     p++)
			u += strchr("%?#", *p) || *p < 0x20 || *p >= 0x7f
			     ? sprintf(u, "%%%02X", *p) : sprintf(u, "%c", *p);
		sprintf(u, "?immutable=1");
		oflags |= SQLITE_OPEN_URI;
	}
	int r = sqlite3_open_v2(uri ? uri : path, &db->sql, oflags, NULL);
	free(uri);
	if (r != SQLITE_OK)
		return rl_fail(db, RL_EDB, "%s: %s", path, db->sql ?
			       sqlite3_errmsg(db->sql) : "cannot open");
	sqlite3_busy_timeout(db->sql, 5000);
	sqlite3_extended_result_codes(db->sql, 1);
	return RL_OK;
}

/* Reads the store's mode into db->multi; asking a single-label store to
 * be multi-label (RL_OPEN_MULTI_LABEL) is RL_EINVAL. */
static int read_mode(rl_db *db, unsigned flags)
{
	rl_buf b = { 0 };
	int rc = rl_store_setting_get(db, MODE_KEY, &b);
	db->multi = rc == RL_OK && b.data && !strcmp(b.data, "multi");
	rl_buf_free(&b);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		return rc;
	if ((flags & RL_OPEN_MULTI_LABEL) && !db->multi)
		return rl_fail(db, RL_EINVAL, "%s: a single-label store; a "
			       "store's mode is chosen when it is made, so "
			       "make a new multi-label store and import the "
			       "reviews and hand labels into it", db->path);
	return RL_OK;
}

int rl_db_open(const char *path, unsigned flags, rl_db **out)
{
	int rc = RL_ENOMEM;
	*out = NULL;
	rl_db *db = calloc(1, sizeof *db);
	if (!db)
		return RL_ENOMEM;
	*out = db;
	db->path = strdup(path ? path : "");
	if (!db->path)
		return RL_ENOMEM;
	/* SQLite would open a private temporary database for "". */
	if (!*db->path)
		return rl_fail(db, RL_EINVAL, "empty store path");
	int ro = (flags & RL_OPEN_READONLY) != 0;
	if (ro && (flags & RL_OPEN_CREATE))
		return rl_fail(db, RL_EINVAL, "%s: a store opened read-only "
			       "cannot be created", path);

	struct stat sb;
	int exists = stat(path, &sb) == 0;
	if (!exists && !(flags & RL_OPEN_CREATE))
		return rl_fail_need(db, RL_ENOTFOUND, RL_NEED_STORE,
				    "%s: no such store", path);
	int oflags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE |
		     (flags & RL_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
	if ((rc = connect(db, path, oflags, 0)) != RL_OK)
		return exists ? rc : RL_EIO;

	int version = 0, tables = 0;
	rc = user_version(db, &version);
	if (rc != RL_OK && ro) {
		/* A WAL store needs its -shm file, which SQLite cannot make
		 * in a folder the user cannot write to; nobody can change
		 * the store there either, so it is read as immutable. */
		sqlite3_close(db->sql);
		db->sql = NULL;
		if ((rc = connect(db, path, oflags, 1)) != RL_OK)
			return rc;
		if ((rc = user_version(db, &version)) == RL_OK)
			rl_clear_error(db);
	}
	if (rc != RL_OK || (rc = table_count(db, &tables)) != RL_OK)
		return rc;
	if (version > RL_SCHEMA_VERSION)
		return rl_fail(db, RL_EVERSION,
			       "%s: store version %d is newer than this "
			       "revlab understands (%d); upgrade revlab",
			       path, version, RL_SCHEMA_VERSION);
	if (version == 0) {
		if (tables > 0)
			return rl_fail(db, RL_EDB,
				       "%s: not a revlab store (a SQLite "
				       "database with other tables)", path);
		if (!(flags & RL_OPEN_CREATE))
			return rl_fail_need(db, RL_EDB, RL_NEED_STORE,
					    "%s: not a revlab store", path);
	}
	if (ro && version < RL_SCHEMA_VERSION)
		return rl_fail(db, RL_EVERSION, "%s: store version %d needs "
			       "an upgrade to %d, which needs write access",
			       path, version, RL_SCHEMA_VERSION);
	if (ro) {
		if ((rc = exec_sql(db, "PRAGMA foreign_keys = ON;")) != RL_OK)
			return rc;
		return read_mode(db, flags);
	}
	/* WAL lets readers (sqlite3, Datasette) look while a stage runs. */
	if ((rc = exec_sql(db, "PRAGMA foreign_keys = ON;"
			   "PRAGMA journal_mode = WAL;"
			   "PRAGMA synchronous = NORMAL;")) != RL_OK)
		return rc;
	if (version == 0 &&
	    (rc = apply_schema(db, flags & RL_OPEN_MULTI_LABEL)) != RL_OK)
		return rc;
	if (version > 0 && version < RL_SCHEMA_VERSION &&
	    (rc = upgrade_schema(db, version)) != RL_OK)
		return rc;
	return read_mode(db, flags);
}

int rl_db_multi_label(const rl_db *db)
{
	return db && db->multi;
}

void rl_db_hold(rl_db *db, void *p, void (*free_fn)(void *))
{
	if (db->held && db->held_free)
		db->held_free(db->held);
	db->held = p;
	db->held_free = free_fn;
}

void *rl_db_held(const rl_db *db)
{
	return db->held;
}

void rl_db_close(rl_db *db)
{
	if (!db)
		return;
	rl_db_hold(db, NULL, NULL);
	for (int p = 0; p < RL_SQL_PARTS; p++)
		for (int i = 0; i < RL_SQL_SLOTS; i++)
			sqlite3_finalize(db->stmt[p][i]);
	sqlite3_close(db->sql);
	rl_buf_free(&db->err);
	rl_buf_free(&db->blob);
	free(db->path);
	free(db);
}

/* ---- transactions and runs ---- */

int rl_store_begin(rl_db *db)
{
	return exec_sql(db, "BEGIN IMMEDIATE");
}

int rl_store_commit(rl_db *db)
{
	return exec_sql(db, "COMMIT");
}

void rl_store_rollback(rl_db *db)
{
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int rl_store_foreign_keys(rl_db *db, int on)
{
	/* Past the failure injection: turning the checks on again follows
	 * a commit or a rollback, and a store must never be left without
	 * them by a test's injected failure. */
	if (sqlite3_exec(db->sql, on ? "PRAGMA foreign_keys = ON"
				     : "PRAGMA foreign_keys = OFF", NULL, NULL,
			 NULL) != SQLITE_OK)
		return rl_fail(db, RL_EDB, "%s: %s", db->path,
			       sqlite3_errmsg(db->sql));
	/* The pragma is a no-op inside a transaction, and says nothing. */
	if (rl_store_foreign_keys_on(db) != !!on)
		return rl_fail(db, RL_EDB, "%s: the foreign-key checks could "
			       "not be turned %s (a transaction is open)",
			       db->path, on ? "on" : "off");
	return RL_OK;
}

int rl_store_foreign_keys_on(rl_db *db)
{
	sqlite3_stmt *s = NULL;
	int on = -1;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_keys", -1, &s,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		on = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return on;
}

int rl_store_read_begin(rl_db *db)
{
	return exec_sql(db, "BEGIN");
}

int rl_store_in_transaction(rl_db *db)
{
	return !sqlite3_get_autocommit(db->sql);
}

int rl_store_data_version(rl_db *db, int64_t *v)
{
	sqlite3_stmt *s = NULL;
	*v = 0;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA data_version", -1, &s,
			       NULL) != SQLITE_OK)
		return rl_sql_fail(db, "prepare");
	int rc = RL_EDB;
	if (rl_sql_step(db, s) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = RL_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

int rl_store_changes(rl_db *db)
{
	return sqlite3_changes(db->sql);
}

int rl_store_run_start(rl_db *db, const char *stage, const char *params,
		       int64_t *run_id)
{
	sqlite3_stmt *s = stmt(db, S_RUN_START);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, params, -1, SQLITE_STATIC);
	int rc = rl_sql_exec(db, s);
	if (rc == RL_OK)
		*run_id = sqlite3_last_insert_rowid(db->sql);
	return rc;
}

int rl_store_run_finish(rl_db *db, int64_t run_id, double seconds,
			const char *counts)
{
	sqlite3_stmt *s = stmt(db, S_RUN_FINISH);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_double(s, 2, seconds);
	sqlite3_bind_text(s, 3, counts, -1, SQLITE_STATIC);
	return rl_sql_exec(db, s);
}

/* ---- settings ---- */

int rl_store_setting_get(rl_db *db, const char *key, rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, S_SETTING_GET);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = rl_sql_step(db, s);
	if (rc == SQLITE_DONE)
		return RL_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return RL_EDB;
	out->len = 0;
	rc = rl_buf_append(out, sqlite3_column_text(s, 0),
			   (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_reset(s);
	return rc;
}

int rl_store_setting_del(rl_db *db, const char *key)
{
	sqlite3_stmt *s = stmt(db, S_SETTING_DEL);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return rl_sql_exec(db, s);
}

int rl_store_setting_set(rl_db *db, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(db, S_SETTING_SET);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return rl_sql_exec(db, s);
}

/* The settings where labelling records the neighbour count and class
 * shares it chose. */
#define NEIGHBOURS_KEY "neighbours"
#define CLASS_PRIOR_KEY "class_prior"

int rl_store_prior_get(rl_db *db, rl_prior *p)
{
	rl_buf b = { 0 };
	int rc = rl_store_setting_get(db, CLASS_PRIOR_KEY, &b);
	if (rc == RL_OK) {
		/* A value this version does not know counts as none. */
		rc = RL_ENOTFOUND;
		for (int v = RL_PRIOR_SEEDS; v <= RL_PRIOR_NONE; v++)
			if (v != RL_PRIOR_AUTO &&
			    !strcmp(b.data, rl_prior_name((rl_prior)v))) {
				*p = (rl_prior)v;
				rc = RL_OK;
			}
	}
	rl_buf_free(&b);
	return rc;
}

int rl_store_prior_set(rl_db *db, rl_prior p)
{
	if (p != RL_PRIOR_SEEDS && p != RL_PRIOR_UNIFORM &&
	    p != RL_PRIOR_NONE)
		return rl_fail(db, RL_EINVAL, "class shares %d cannot be "
			       "recorded", (int)p);
	return rl_store_setting_set(db, CLASS_PRIOR_KEY, rl_prior_name(p));
}

int rl_store_neighbours_get(rl_db *db, uint32_t *k)
{
	rl_buf b = { 0 };
	int rc = rl_store_setting_get(db, NEIGHBOURS_KEY, &b);
	if (rc == RL_OK)
		*k = (uint32_t)strtoul(b.data, NULL, 10);
	rl_buf_free(&b);
	return rc;
}

int rl_store_neighbours_set(rl_db *db, uint32_t k)
{
	char num[16];
	snprintf(num, sizeof num, "%u", k);
	return rl_store_setting_set(db, NEIGHBOURS_KEY, num);
}

int rl_store_neighbours_del(rl_db *db)
{
	return rl_store_setting_del(db, NEIGHBOURS_KEY);
}

int rl_store_tokenizer_opts(rl_db *db, rl_tokenize_opts *o, rl_buf *lang,
			    rl_buf *dir)
{
	sqlite3_stmt *s = stmt(db, S_TOKOPTS);
	if (!s)
		return RL_EDB;
	int r = rl_sql_step(db, s);
	if (r == SQLITE_DONE)
		return rl_fail(db, RL_ENOTFOUND, "%s: nothing tokenized yet",
			       db->path);
	if (r != SQLITE_ROW)
		return RL_EDB;
	int rc = rl_sql_copy_col(s, 0, lang);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 5, dir);
	o->stopwords = sqlite3_column_int(s, 1);
	o->stem = sqlite3_column_int(s, 2);
	o->negation = sqlite3_column_int(s, 3);
	o->min_len = sqlite3_column_int(s, 4);
	sqlite3_reset(s);
	o->language = lang->data;
	o->lexicon_dir = dir->data;
	return rc;
}

/* ---- reading JSON ---- */

static const char *type_name(const unsigned char *t)
{
	static const char *const names[] = {
		"null", "true", "false", "integer", "real", "text", "array",
		"object",
	};
	for (size_t i = 0; t && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp((const char *)t, names[i]))
			return names[i];
	return NULL;
}

int rl_store_json_record(rl_db *db, const char *json, size_t len,
			 const char *id_key, const char *text_key,
			 rl_json_record *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(db, S_JSON_VALID);
	if (!s)
		return RL_EDB;
	rl_sql_bind_text(s, 1, json, len);
	if (rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	int valid = sqlite3_column_int(s, 0);
	int object = sqlite3_column_int(s, 1);
	sqlite3_reset(s);
	if (!valid || !object) {
		snprintf(err, errlen, "%s",
			 valid ? "not a JSON object" : "malformed JSON");
		return RL_EINPUT;
	}

	s = stmt(db, S_JSON_RECORD);
	if (!s)
		return RL_EDB;
	rl_sql_bind_text(s, 1, json, len);
	sqlite3_bind_text(s, 2, id_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text_key, -1, SQLITE_STATIC);
	if (rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		snprintf(err, errlen, "key '%.100s' appears twice",
			 (const char *)sqlite3_column_text(s, 5));
		sqlite3_reset(s);
		return RL_EINPUT;
	}
	out->id_type = type_name(sqlite3_column_text(s, 0));
	out->text_type = type_name(sqlite3_column_text(s, 2));
	out->has_id = out->id_type != NULL;
	out->has_text = out->text_type != NULL;
	int rc = rl_sql_copy_col(s, 1, &out->id);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 3, &out->text);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 4, &out->meta);
	sqlite3_reset(s);
	return rc;
}

int rl_store_json_numbers(rl_db *db, const char *json, const char *path,
			  double **v, size_t *n)
{
	sqlite3_stmt *s = stmt(db, S_JSON_NUMBERS);
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			double *p = realloc(*v, cap * sizeof *p);
			if (!p) {
				sqlite3_reset(s);
				free(*v);
				*v = NULL;
				*n = 0;
				return RL_ENOMEM;
			}
			*v = p;
		}
		(*v)[(*n)++] = sqlite3_column_double(s, 0);
	}
	sqlite3_reset(s);
	/* A path that is not there, or text that is no JSON, is no
	 * numbers; the caller checks how many it expected. */
	if (r == SQLITE_ERROR)
		rl_clear_error(db);
	if (r == SQLITE_DONE || r == SQLITE_ERROR)
		return RL_OK;
	free(*v);
	*v = NULL;
	*n = 0;
	return RL_EDB;
}

int rl_store_json_strings(rl_db *db, const char *json, const char *path,
			  rl_name_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_JSON_STRINGS);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	int r;
	int64_t i = 0;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		int rc = fn(ctx, i++, t ? t : "");
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (r == SQLITE_ERROR)
		rl_clear_error(db);
	return r == SQLITE_DONE || r == SQLITE_ERROR ? RL_OK : RL_EDB;
}

int rl_store_json_text(rl_db *db, const char *json, const char *path,
		       rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, S_JSON_TEXT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	int r = rl_sql_step(db, s);
	int rc = r == SQLITE_ROW ? rl_sql_copy_col(s, 0, out) : RL_OK;
	if (r == SQLITE_ERROR) {
		rl_clear_error(db);
		out->len = 0;
		rc = rl_buf_append(out, "", 0);
	} else if (r != SQLITE_ROW) {
		rc = RL_EDB;
	}
	sqlite3_reset(s);
	return rc;
}
