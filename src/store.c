/*
 * store.c - the store: one SQLite file holding every stage's input and
 * output (schema.sql). The only file that includes sqlite3.h.
 *
 * Every SQL statement lives in the table below, is prepared once per handle
 * and takes its values as bound parameters. All steps go through step(),
 * which turns SQLite failures into RL_EDB with SQLite's message and which
 * tests can make fail on purpose (rl_store_fail_step).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

extern const char rl_schema_sql[];

enum stmt_id {
	S_RUN_START,
	S_RUN_FINISH,
	S_SETTING_GET,
	S_SETTING_SET,
	S_SETTING_DEL,
	S_REVIEW_INSERT,
	S_REVIEW_FIND,
	S_REVIEW_TEXT,
	S_REVIEW_UPDATE,
	S_DEL_TOKENS,
	S_DEL_VECTORS,
	S_DEL_HITS,
	S_DEL_NEIGHBOURS,
	S_DEL_SCORES,
	S_DEL_ASSIGN,
	S_DEL_PRED,
	S_DEL_SCANS,
	S_JSON_VALID,
	S_JSON_RECORD,
	S_TERMS_ALL,
	S_TERMS_BY_ID,
	S_TERM_ADD,
	S_TOKENS_CLEAR,
	S_TERMS_CLEAR,
	S_UNTOK_COUNT,
	S_UNTOK,
	S_TOKENS_PUT,
	S_TOKSET_COUNT_ALL,
	S_TOKSET_COUNT_MISSING,
	S_TOKSET_ALL,
	S_TOKSET_MISSING,
	S_FEATURES_CLEAR,
	S_FEATURE_ADD,
	S_FEATURES_ALL,
	S_PROJ_CLEAR,
	S_PROJ_PUT,
	S_PROJ_GET,
	S_VECTORS_CLEAR,
	S_VECTOR_PUT,
	S_VECTORS_COUNT,
	S_VECTORS_ALL,
	S_NEIGHBOURS_CLEAR,
	S_NEIGHBOUR_PUT,
	S_NEIGHBOURS_ALL,
	S_LABEL_FIND,
	S_LABEL_ADD,
	S_REVIEW_BY_EXT,
	S_SEED_CLEAR,
	S_SEED_ADD,
	S_RULES_ALL,
	S_RULE_DELETE,
	S_RULE_UPDATE,
	S_RULE_INSERT,
	S_REVIEWS_AFTER,
	S_UNSCANNED_AFTER,
	S_HIT_PUT,
	S_SCANNED_PUT,
	S_HITS_BY_REVIEW,
	S_SEEDS_ALL,
	S_RULE_BY_LINE,
	S_RULE_HITS,
	S_LABELS_LIST,
	S_UNLABELLED_RANDOM,
	S_LABELS_BY_ID,
	S_REVIEW_IDS,
	S_SCORES_CLEAR,
	S_SCORE_PUT,
	S_ASSIGN_CLEAR,
	S_ASSIGN_PUT,
	S_TOKOPTS,
	S_MODEL_PUT,
	S_MODEL_GET,
	S_MODEL_LABELS,
	S_PRED_CLEAR,
	S_PRED_PUT,
	S_EVAL_PUT,
	S_EVAL_LAST,
	S_JSON_NUMBERS,
	S_JSON_STRINGS,
	S_JSON_TEXT,
	S_REPORT_SOURCES,
	S_REPORT_RULE_LABELS,
	S_REPORT_HIST,
	S_REPORT_LOWEST,
	S_REPORT_LAST_LABEL,
	S_ASSIGN_KEEP,
	S_FEATURE_NAMES,
	S_MEMBERS_CLEAR,
	S_CLUSTERS_CLEAR,
	S_CLUSTER_PUT,
	S_MEMBER_PUT,
	S_CLUSTERS_ALL,
	S_CLUSTER_TERMS,
	S_CLUSTER_FIND,
	S_CLUSTER_MEMBERS,
	S_CSEED_DROP,
	S_CASSIGN_DROP,
	S_CSEED_ADD,
	S_CSEEDS_ALL,
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
	[S_REVIEW_INSERT] =
		"INSERT INTO reviews(ext_id, text, meta, source, source_line, "
		"import_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT(ext_id) DO NOTHING",
	[S_REVIEW_FIND] =
		"SELECT id, import_run, source_line FROM reviews "
		"WHERE ext_id = ?1",
	[S_REVIEW_TEXT] = "SELECT text FROM reviews WHERE id = ?1",
	[S_REVIEW_UPDATE] =
		"UPDATE reviews SET text = ?2, meta = ?3, source = ?4, "
		"source_line = ?5, import_run = ?6 WHERE id = ?1",
	[S_DEL_TOKENS] = "DELETE FROM review_tokens WHERE review_id = ?1",
	[S_DEL_VECTORS] = "DELETE FROM vectors WHERE review_id = ?1",
	[S_DEL_HITS] = "DELETE FROM rule_hits WHERE review_id = ?1",
	[S_DEL_NEIGHBOURS] =
		"DELETE FROM neighbours WHERE review_id = ?1 "
		"OR neighbour_id = ?1",
	[S_DEL_SCORES] = "DELETE FROM label_scores WHERE review_id = ?1",
	[S_DEL_ASSIGN] = "DELETE FROM assignments WHERE review_id = ?1",
	[S_DEL_PRED] = "DELETE FROM predictions WHERE review_id = ?1",
	[S_DEL_SCANS] = "DELETE FROM rule_scans WHERE review_id = ?1",
	[S_JSON_VALID] = "SELECT json_valid(?1), CASE WHEN json_valid(?1) "
			 "THEN json_type(?1) = 'object' ELSE 0 END",
	[S_JSON_RECORD] =
		"SELECT (SELECT type FROM json_each(?1) WHERE key = ?2), "
		"(SELECT value FROM json_each(?1) WHERE key = ?2), "
		"(SELECT type FROM json_each(?1) WHERE key = ?3), "
		"(SELECT value FROM json_each(?1) WHERE key = ?3), "
		"(SELECT json_group_object(key, value) FROM json_each(?1) "
		"WHERE key <> ?2 AND key <> ?3)",
	[S_TERMS_ALL] = "SELECT id, term FROM terms",
	[S_TERMS_BY_ID] = "SELECT id, term FROM terms ORDER BY id",
	[S_TERM_ADD] = "INSERT INTO terms(id, term) VALUES (?1, ?2)",
	[S_TOKENS_CLEAR] = "DELETE FROM review_tokens",
	[S_TERMS_CLEAR] = "DELETE FROM terms",
	[S_UNTOK_COUNT] =
		"SELECT count(*) FROM reviews r WHERE NOT EXISTS "
		"(SELECT 1 FROM review_tokens t WHERE t.review_id = r.id)",
	[S_UNTOK] =
		"SELECT r.id, r.text, r.ext_id FROM reviews r WHERE r.id > ?1 AND "
		"NOT EXISTS (SELECT 1 FROM review_tokens t "
		"WHERE t.review_id = r.id) ORDER BY r.id LIMIT ?2",
	[S_TOKENS_PUT] =
		"INSERT OR REPLACE INTO review_tokens(review_id, n_tokens, "
		"tokens) VALUES (?1, ?2, ?3)",
	[S_TOKSET_COUNT_ALL] =
		"SELECT count(*), coalesce(sum(n_tokens), 0) FROM review_tokens",
	[S_TOKSET_COUNT_MISSING] =
		"SELECT count(*), coalesce(sum(n_tokens), 0) FROM review_tokens t "
		"WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE "
		"v.review_id = t.review_id AND v.kind = ?1)",
	[S_TOKSET_ALL] =
		"SELECT review_id, n_tokens, tokens FROM review_tokens "
		"ORDER BY review_id",
	[S_TOKSET_MISSING] =
		"SELECT review_id, n_tokens, tokens FROM review_tokens t "
		"WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE "
		"v.review_id = t.review_id AND v.kind = ?1) ORDER BY review_id",
	[S_FEATURES_CLEAR] = "DELETE FROM features",
	[S_FEATURE_ADD] =
		"INSERT INTO features(id, term_a, term_b, feature, df, idf) "
		"VALUES (?1, ?2, ?3, (SELECT term FROM terms WHERE id = ?2) || "
		"coalesce(' ' || (SELECT term FROM terms WHERE id = ?3), ''), "
		"?4, ?5)",
	[S_FEATURES_ALL] =
		"SELECT id, term_a, term_b, df, idf FROM features ORDER BY id",
	[S_PROJ_CLEAR] = "DELETE FROM projection",
	[S_PROJ_PUT] =
		"INSERT INTO projection(id, dim, n_features, components, sigma, "
		"cols) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
	[S_PROJ_GET] =
		"SELECT dim, n_features, components, sigma, cols FROM "
		"projection",
	[S_VECTORS_CLEAR] = "DELETE FROM vectors",
	[S_VECTOR_PUT] =
		"INSERT OR REPLACE INTO vectors(review_id, kind, dim, data) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_VECTORS_COUNT] =
		"SELECT count(*), max(dim) FROM vectors WHERE kind = ?1",
	[S_VECTORS_ALL] =
		"SELECT review_id, dim, data FROM vectors WHERE kind = ?1 "
		"ORDER BY review_id",
	[S_NEIGHBOURS_CLEAR] = "DELETE FROM neighbours",
	[S_NEIGHBOUR_PUT] =
		"INSERT INTO neighbours(review_id, rank, neighbour_id, "
		"similarity) VALUES (?1, ?2, ?3, ?4)",
	[S_NEIGHBOURS_ALL] =
		"SELECT review_id, rank, neighbour_id, similarity FROM "
		"neighbours ORDER BY review_id, rank",
	[S_LABEL_FIND] = "SELECT id FROM labels WHERE name = ?1",
	[S_LABEL_ADD] = "INSERT INTO labels(name) VALUES (?1)",
	[S_REVIEW_BY_EXT] = "SELECT id FROM reviews WHERE ext_id = ?1",
	[S_SEED_CLEAR] =
		"DELETE FROM seeds WHERE review_id = ?1 AND origin = 'hand'",
	[S_SEED_ADD] =
		"INSERT OR REPLACE INTO seeds(review_id, label_id, origin) "
		"VALUES (?1, ?2, 'hand')",
	[S_RULES_ALL] =
		"SELECT r.id, r.line, r.label_id, l.name, r.negate, r.pattern, "
		"r.weight, r.source FROM rules r JOIN labels l ON l.id = "
		"r.label_id "
		"ORDER BY r.line, r.id",
	[S_RULE_DELETE] = "DELETE FROM rules WHERE id = ?1",
	[S_RULE_UPDATE] =
		"UPDATE rules SET line = ?2, label_id = ?3, negate = ?4, "
		"weight = ?5, source = ?6 WHERE id = ?1",
	[S_RULE_INSERT] =
		"INSERT INTO rules(line, label_id, negate, pattern, weight, "
		"source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_REVIEWS_AFTER] =
		"SELECT id, ext_id, text FROM reviews WHERE id > ?1 "
		"ORDER BY id LIMIT ?2",
	[S_UNSCANNED_AFTER] =
		"SELECT r.id, r.ext_id, r.text FROM reviews r WHERE r.id > ?1 "
		"AND NOT EXISTS (SELECT 1 FROM rule_scans s WHERE "
		"s.review_id = r.id) ORDER BY r.id LIMIT ?2",
	[S_HIT_PUT] =
		"INSERT OR IGNORE INTO rule_hits(rule_id, review_id, start, "
		"end) VALUES (?1, ?2, ?3, ?4)",
	[S_SCANNED_PUT] =
		"INSERT OR IGNORE INTO rule_scans(review_id) VALUES (?1)",
	[S_HITS_BY_REVIEW] =
		"SELECT review_id, rule_id FROM rule_hits "
		"ORDER BY review_id, rule_id",
	[S_SEEDS_ALL] =
		"SELECT review_id, label_id FROM seeds WHERE origin = 'hand' "
		"ORDER BY review_id",
	[S_RULE_BY_LINE] = "SELECT id FROM rules WHERE line = ?1",
	[S_RULE_HITS] =
		"SELECT r.ext_id, r.text, h.start, h.end, l.name FROM rule_hits h "
		"JOIN rules u ON u.id = h.rule_id "
		"JOIN reviews r ON r.id = h.review_id "
		"LEFT JOIN seeds s ON s.review_id = r.id AND s.origin = 'hand' "
		"LEFT JOIN labels l ON l.id = s.label_id "
		"WHERE h.rule_id = ?1 AND (?2 = 0 OR (s.label_id IS NOT NULL AND "
		"(s.label_id = u.label_id) = u.negate)) ORDER BY r.id",
	[S_LABELS_LIST] =
		"SELECT l.id, l.name, "
		"(SELECT count(*) FROM seeds s WHERE s.label_id = l.id AND "
		"s.origin = 'hand'), "
		"(SELECT count(DISTINCT h.review_id) FROM rule_hits h JOIN rules r "
		"ON r.id = h.rule_id WHERE r.label_id = l.id AND r.negate = 0), "
		"(SELECT count(*) FROM assignments a WHERE a.label_id = l.id AND "
		"a.source = 'propagation'), "
		"(SELECT count(*) FROM assignments a WHERE a.label_id = l.id AND "
		"a.source = 'model'), "
		"(SELECT count(*) FROM seeds s WHERE s.label_id = l.id AND "
		"s.origin = 'cluster') FROM labels l ORDER BY l.name",
	/* A seeded shuffle: a multiplicative hash of the id, reduced by a
	 * prime, is a permutation that needs no random column. */
	[S_UNLABELLED_RANDOM] =
		"SELECT r.ext_id, r.text FROM reviews r WHERE NOT EXISTS "
		"(SELECT 1 FROM seeds s WHERE s.review_id = r.id AND "
		"s.origin = 'hand') ORDER BY (r.id * 2654435761 + ?1) % "
		"4294967291, r.id LIMIT ?2",
	[S_LABELS_BY_ID] = "SELECT id, name FROM labels ORDER BY id",
	[S_REVIEW_IDS] = "SELECT id FROM reviews ORDER BY id",
	[S_SCORES_CLEAR] = "DELETE FROM label_scores",
	[S_SCORE_PUT] =
		"INSERT INTO label_scores(review_id, label_id, score) "
		"VALUES (?1, ?2, ?3)",
	/* Every labelling replaces the last one whole, whatever its
	 * source; only labels from named clusters are kept. */
	[S_ASSIGN_CLEAR] = "DELETE FROM assignments WHERE source <> 'cluster'",
	[S_ASSIGN_PUT] =
		"INSERT OR REPLACE INTO assignments(review_id, label_id, "
		"confidence, margin, source, evidence, run_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_TOKOPTS] =
		"SELECT json_extract(value, '$.language'), "
		"json_extract(value, '$.stopwords'), "
		"json_extract(value, '$.stem'), "
		"json_extract(value, '$.negation'), "
		"json_extract(value, '$.min_len'), "
		"json_extract(value, '$.lexicon_dir') FROM settings "
		"WHERE key = 'tokenizer_params'",
	[S_MODEL_PUT] =
		"INSERT INTO models(kind, params, labels, weights, metrics, "
		"run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_MODEL_GET] =
		"SELECT id, kind, json_extract(params, '$.fit'), "
		"json_extract(params, '$.n_cols'), weights, "
		"coalesce(json_extract(params, '$.temperature'), 1), created "
		"FROM models WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id) "
		"FROM models))",
	[S_MODEL_LABELS] =
		"SELECT j.value FROM models m, json_each(m.labels) j "
		"WHERE m.id = ?1 ORDER BY j.key",
	[S_PRED_CLEAR] = "DELETE FROM predictions WHERE model_id = ?1",
	[S_PRED_PUT] =
		"INSERT INTO predictions(review_id, model_id, label_id, "
		"confidence) VALUES (?1, ?2, ?3, ?4)",
	[S_EVAL_PUT] = "INSERT INTO evals(run_id, result) VALUES (?1, ?2)",
	[S_EVAL_LAST] =
		"SELECT id, created, result FROM evals ORDER BY id DESC LIMIT 1",
	/* Numbers of a JSON subtree in document order: a matrix or a list
	 * of objects comes out flat, row-major. */
	[S_JSON_NUMBERS] =
		"SELECT value FROM json_tree(?1, ?2) WHERE type IN ('integer', "
		"'real') ORDER BY id",
	[S_JSON_STRINGS] =
		"SELECT value FROM json_each(?1, ?2) WHERE type = 'text' "
		"ORDER BY key",
	[S_JSON_TEXT] = "SELECT json_extract(?1, ?2)",
	/* The report's queries: each row's columns go to a callback. */
	[S_REPORT_SOURCES] =
		"SELECT label, source, count(*) FROM labelled_reviews "
		"GROUP BY label, source",
	/* Reviews where rules voting for both labels fire; the diagonal
	 * counts those where some rule for the label fires. */
	[S_REPORT_RULE_LABELS] =
		"SELECT la.name, lb.name, count(DISTINCT ha.review_id) "
		"FROM rule_hits ha JOIN rules a ON a.id = ha.rule_id "
		"JOIN rule_hits hb ON hb.review_id = ha.review_id "
		"JOIN rules b ON b.id = hb.rule_id "
		"JOIN labels la ON la.id = a.label_id "
		"JOIN labels lb ON lb.id = b.label_id "
		"WHERE a.negate = 0 AND b.negate = 0 GROUP BY la.name, lb.name",
	[S_REPORT_HIST] =
		"SELECT l.name, min(CAST(a.confidence * ?1 AS INTEGER), "
		"?1 - 1), count(*) FROM assignments a JOIN labels l ON "
		"l.id = a.label_id WHERE a.source <> 'seed' GROUP BY 1, 2",
	[S_REPORT_LOWEST] =
		"SELECT label, id, confidence, source, substr(text, 1, ?2), "
		"length(text) > ?2 FROM (SELECT label, id, confidence, source, "
		"text, row_number() OVER (PARTITION BY label ORDER BY "
		"confidence, id) AS rn FROM labelled_reviews WHERE label IS NOT "
		"NULL AND source <> 'seed') WHERE rn <= ?1 ORDER BY label, rn",
	[S_REPORT_LAST_LABEL] =
		"SELECT r.started, json_extract(r.params, '$.method'), "
		"json_extract(r.counts, '$.labelled'), (SELECT kind FROM models "
		"m WHERE m.run_id = r.id) FROM runs r WHERE r.stage = 'label' "
		"AND r.status = 'ok' ORDER BY r.id DESC LIMIT 1",
	/* A label from a named cluster, once written, stays as it was. */
	[S_ASSIGN_KEEP] =
		"INSERT OR IGNORE INTO assignments(review_id, label_id, "
		"confidence, margin, source, evidence, run_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_FEATURE_NAMES] = "SELECT id, feature FROM features ORDER BY id",
	[S_MEMBERS_CLEAR] = "DELETE FROM cluster_members",
	[S_CLUSTERS_CLEAR] = "DELETE FROM clusters",
	[S_CLUSTER_PUT] =
		"INSERT INTO clusters(id, size, terms, run_id) VALUES "
		"(?1, ?2, ?3, ?4)",
	[S_MEMBER_PUT] =
		"INSERT INTO cluster_members(review_id, cluster_id, "
		"similarity) VALUES (?1, ?2, ?3)",
	[S_CLUSTERS_ALL] = "SELECT id, size, terms FROM clusters ORDER BY id",
	[S_CLUSTER_TERMS] =
		"SELECT j.value FROM clusters c, json_each(c.terms) j "
		"WHERE c.id = ?1 ORDER BY j.key",
	[S_CLUSTER_FIND] =
		"SELECT (SELECT count(*) FROM clusters), "
		"(SELECT size FROM clusters WHERE id = ?1)",
	/* Most central first; the label a review carries, a hand label
	 * before a cluster-named one. */
	[S_CLUSTER_MEMBERS] =
		"SELECT m.review_id, r.ext_id, r.text, m.similarity, "
		"(SELECT l.name FROM seeds s JOIN labels l ON "
		"l.id = s.label_id WHERE s.review_id = m.review_id "
		"ORDER BY s.origin = 'cluster', s.label_id LIMIT 1), "
		"(SELECT s.origin FROM seeds s WHERE s.review_id = "
		"m.review_id ORDER BY s.origin = 'cluster', s.label_id "
		"LIMIT 1) FROM cluster_members m JOIN reviews r ON r.id = m.review_id "
		"WHERE m.cluster_id = ?1 ORDER BY m.similarity DESC, "
		"m.review_id LIMIT ?2",
	[S_CSEED_DROP] =
		"DELETE FROM seeds WHERE review_id = ?1 AND origin = 'cluster'",
	/* A named review's label replaces whatever it had (it has no hand
	 * label): one row per review in labelled_reviews. */
	[S_CASSIGN_DROP] = "DELETE FROM assignments WHERE review_id = ?1",
	[S_CSEED_ADD] =
		"INSERT INTO seeds(review_id, label_id, origin) VALUES "
		"(?1, ?2, 'cluster')",
	/* A hand label outweighs a cluster-named one on the same review. */
	[S_CSEEDS_ALL] =
		"SELECT review_id, label_id FROM seeds s WHERE origin = "
		"'cluster' AND NOT EXISTS (SELECT 1 FROM seeds h WHERE "
		"h.review_id = s.review_id AND h.origin = 'hand') "
		"ORDER BY review_id, label_id",
};

struct rl_db {
	sqlite3 *sql;
	char *path;
	rl_buf err;
	rl_need need;		/* what the failure in err found missing */
	rl_buf blob;		/* a blob being encoded, reused */
	sqlite3_stmt *stmt[S_COUNT];
	int fail_after;		/* fault injection: steps until failure */
};

rl_buf *rl_db_errbuf(rl_db *db)
{
	return &db->err;
}

const char *rl_db_path(const rl_db *db)
{
	return db && db->path ? db->path : "";
}

rl_need *rl_db_needp(rl_db *db)
{
	return &db->need;
}

void rl_store_fail_step(rl_db *db, int n)
{
	db->fail_after = n;
}

static int sql_fail(rl_db *db, const char *what)
{
	return rl_fail(db, RL_EDB, "%s: %s: %s", db->path, what,
		       sqlite3_errmsg(db->sql));
}

/* Returns the prepared statement `id`, reset and with bindings cleared. */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	sqlite3_stmt *s = db->stmt[id];
	if (!s) {
		if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
				       SQLITE_PREPARE_PERSISTENT, &s,
				       NULL) != SQLITE_OK) {
			sql_fail(db, "prepare");
			return NULL;
		}
		db->stmt[id] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

/* sqlite3_step with fault injection: returns SQLITE_ROW, SQLITE_DONE or
 * an error code, recording the message for errors. */
static int step(rl_db *db, sqlite3_stmt *s)
{
	if (db->fail_after > 0 && --db->fail_after == 0) {
		rl_fail(db, RL_EDB, "%s: injected failure", db->path);
		sqlite3_reset(s);
		return SQLITE_IOERR;
	}
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_fail(db, "step");
		sqlite3_reset(s);
	}
	return rc;
}

/* Steps a statement that returns no rows. */
static int exec_stmt(rl_db *db, sqlite3_stmt *s)
{
	if (!s)
		return RL_EDB;
	int rc = step(db, s);
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

static int bind_text(sqlite3_stmt *s, int i, const char *t, size_t n)
{
	return sqlite3_bind_text64(s, i, t, n, SQLITE_STATIC, SQLITE_UTF8);
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

static int apply_schema(rl_db *db)
{
	int rc = rl_store_begin(db);
	if (rc != RL_OK)
		return rc;
	rc = exec_sql(db, rl_schema_sql);
	if (rc == RL_OK)
		rc = rl_store_commit(db);
	if (rc != RL_OK)
		rl_store_rollback(db);
	return rc;
}

/* Upgrades, one per version step: upgrade[v - 1] takes a version-v store
 * to v + 1. Each adds what schema.sql added in that version. */
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
};

/* Brings a store made by an older revlab up to RL_SCHEMA_VERSION, all
 * steps in one transaction, so an interrupted upgrade leaves it as it was. */
_Static_assert(sizeof upgrade / sizeof upgrade[0] == RL_SCHEMA_VERSION - 1,
	       "one upgrade per version step");

static int upgrade_schema(rl_db *db, int version)
{
	int rc = rl_store_begin(db);
	if (rc != RL_OK)
		return rc;
	for (int v = version; v < RL_SCHEMA_VERSION && rc == RL_OK; v++)
		rc = exec_sql(db, upgrade[v - 1]);
	if (rc == RL_OK)
		rc = rl_store_commit(db);
	if (rc != RL_OK)
		rl_store_rollback(db);
	return rc;
}

int rl_db_open(const char *path, unsigned flags, rl_db **out)
{
	int rc = RL_ENOMEM;
	*out = NULL;
	rl_db *db = calloc(1, sizeof *db);
	if (!db)
		return RL_ENOMEM;
	*out = db;
	db->path = strdup(path);
	if (!db->path)
		return RL_ENOMEM;

	struct stat sb;
	int exists = stat(path, &sb) == 0;
	if (!exists && !(flags & RL_OPEN_CREATE))
		return rl_fail_need(db, RL_ENOTFOUND, RL_NEED_STORE,
				    "%s: no such store", path);
	int oflags = SQLITE_OPEN_READWRITE |
		     (flags & RL_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->sql, oflags, NULL) != SQLITE_OK)
		return rl_fail(db, exists ? RL_EDB : RL_EIO, "%s: %s", path,
			       db->sql ? sqlite3_errmsg(db->sql)
				       : "cannot open");
	sqlite3_busy_timeout(db->sql, 5000);
	sqlite3_extended_result_codes(db->sql, 1);

	int version = 0, tables = 0;
	if ((rc = user_version(db, &version)) != RL_OK ||
	    (rc = table_count(db, &tables)) != RL_OK)
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
	/* WAL lets readers (sqlite3, Datasette) look while a stage runs. */
	if ((rc = exec_sql(db, "PRAGMA foreign_keys = ON;"
			   "PRAGMA journal_mode = WAL;"
			   "PRAGMA synchronous = NORMAL;")) != RL_OK)
		return rc;
	if (version == 0 && (rc = apply_schema(db)) != RL_OK)
		return rc;
	if (version > 0 && version < RL_SCHEMA_VERSION &&
	    (rc = upgrade_schema(db, version)) != RL_OK)
		return rc;
	return RL_OK;
}

void rl_db_close(rl_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
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

int rl_store_run_start(rl_db *db, const char *stage, const char *params,
		       int64_t *run_id)
{
	sqlite3_stmt *s = stmt(db, S_RUN_START);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, params, -1, SQLITE_STATIC);
	int rc = exec_stmt(db, s);
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
	return exec_stmt(db, s);
}

int rl_store_setting_get(rl_db *db, const char *key, rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, S_SETTING_GET);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = step(db, s);
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
	return exec_stmt(db, s);
}

int rl_store_setting_set(rl_db *db, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(db, S_SETTING_SET);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return exec_stmt(db, s);
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
		for (int v = RL_PRIOR_SEEDS; v < RL_PRIOR_AUTO; v++)
			if (!strcmp(b.data, rl_prior_name((rl_prior)v))) {
				*p = (rl_prior)v;
				rc = RL_OK;
			}
	}
	rl_buf_free(&b);
	return rc;
}

int rl_store_prior_set(rl_db *db, rl_prior p)
{
	if (p != RL_PRIOR_SEEDS && p != RL_PRIOR_UNIFORM)
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

/* ---- reviews ---- */

static void bind_review(sqlite3_stmt *s, const rl_review_in *r, int first,
			int64_t run_id)
{
	bind_text(s, first, r->text, r->text_len);
	sqlite3_bind_text(s, first + 1, r->meta, -1, SQLITE_STATIC);
	if (r->source)
		sqlite3_bind_text(s, first + 2, r->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 3, r->line);
	sqlite3_bind_int64(s, first + 4, run_id);
}

int rl_store_review_insert(rl_db *db, const rl_review_in *r, int64_t run_id,
			   int64_t *id, int64_t *run, int64_t *line)
{
	sqlite3_stmt *s = stmt(db, S_REVIEW_INSERT);
	if (!s)
		return RL_EDB;
	bind_text(s, 1, r->ext_id, r->id_len);
	bind_review(s, r, 2, run_id);
	int rc = exec_stmt(db, s);
	if (rc != RL_OK)
		return rc;
	if (sqlite3_changes(db->sql) == 1) {
		*id = sqlite3_last_insert_rowid(db->sql);
		return RL_OK;
	}
	/* Taken: tell the caller by whom. */
	s = stmt(db, S_REVIEW_FIND);
	if (!s)
		return RL_EDB;
	bind_text(s, 1, r->ext_id, r->id_len);
	rc = step(db, s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? rl_fail(db, RL_EDB, "%s: id vanished",
						   db->path)
					 : RL_EDB;
	*id = sqlite3_column_int64(s, 0);
	*run = sqlite3_column_int64(s, 1);
	*line = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	return RL_EEXIST;
}

int rl_store_review_replace(rl_db *db, int64_t id, const rl_review_in *r,
			    int64_t run_id, int *changed)
{
	sqlite3_stmt *s = stmt(db, S_REVIEW_TEXT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	if (step(db, s) != SQLITE_ROW)
		return RL_EDB;
	*changed = (size_t)sqlite3_column_bytes(s, 0) != r->text_len ||
		   memcmp(sqlite3_column_blob(s, 0), r->text,
			  r->text_len) != 0;
	sqlite3_reset(s);

	s = stmt(db, S_REVIEW_UPDATE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	bind_review(s, r, 2, run_id);
	int rc = exec_stmt(db, s);
	if (rc != RL_OK || !*changed)
		return rc;
	static const enum stmt_id derived[] = {
		S_DEL_TOKENS, S_DEL_VECTORS, S_DEL_HITS, S_DEL_NEIGHBOURS,
		S_DEL_SCORES, S_DEL_ASSIGN, S_DEL_PRED, S_DEL_SCANS,
	};
	for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
		s = stmt(db, derived[i]);
		if (!s)
			return RL_EDB;
		sqlite3_bind_int64(s, 1, id);
		if ((rc = exec_stmt(db, s)) != RL_OK)
			return rc;
	}
	return RL_OK;
}

static int copy_col(sqlite3_stmt *s, int col, rl_buf *b)
{
	b->len = 0;
	const void *p = sqlite3_column_text(s, col);
	return rl_buf_append(b, p ? p : "", (size_t)sqlite3_column_bytes(s, col));
}

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
	bind_text(s, 1, json, len);
	if (step(db, s) != SQLITE_ROW)
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
	bind_text(s, 1, json, len);
	sqlite3_bind_text(s, 2, id_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text_key, -1, SQLITE_STATIC);
	if (step(db, s) != SQLITE_ROW)
		return RL_EDB;
	out->id_type = type_name(sqlite3_column_text(s, 0));
	out->text_type = type_name(sqlite3_column_text(s, 2));
	out->has_id = out->id_type != NULL;
	out->has_text = out->text_type != NULL;
	int rc = copy_col(s, 1, &out->id);
	if (rc == RL_OK)
		rc = copy_col(s, 3, &out->text);
	if (rc == RL_OK)
		rc = copy_col(s, 4, &out->meta);
	sqlite3_reset(s);
	return rc;
}

/* ---- tokens ---- */

int rl_store_terms_load(rl_db *db, const uint8_t *keep, size_t n_keep,
			rl_strmap *m, int64_t *max_id)
{
	sqlite3_stmt *s = stmt(db, S_TERMS_ALL);
	if (!s)
		return RL_EDB;
	*max_id = 0;
	int rc;
	while ((rc = step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (id > *max_id)
			*max_id = id;
		if (keep && (id < 0 || (uint64_t)id >= n_keep || !keep[id]))
			continue;
		const unsigned char *t = sqlite3_column_text(s, 1);
		size_t n = (size_t)sqlite3_column_bytes(s, 1);
		if (rl_strmap_put(m, (const char *)t, n, id) != RL_OK) {
			sqlite3_reset(s);
			return RL_ENOMEM;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_terms_each(rl_db *db, rl_name_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_TERMS_BY_ID);
	if (!s)
		return RL_EDB;
	int r = SQLITE_DONE, rc = RL_OK;
	while (rc == RL_OK && (r = step(db, s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 1);
		rc = fn(ctx, sqlite3_column_int64(s, 0), t ? t : "");
	}
	sqlite3_reset(s);
	return rc != RL_OK ? rc : r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_term_add(rl_db *db, int64_t id, const char *term, size_t len)
{
	sqlite3_stmt *s = stmt(db, S_TERM_ADD);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, term, len);
	return exec_stmt(db, s);
}

int rl_store_tokens_clear(rl_db *db)
{
	int rc = exec_stmt(db, stmt(db, S_TOKENS_CLEAR));
	return rc == RL_OK ? exec_stmt(db, stmt(db, S_TERMS_CLEAR)) : rc;
}

int rl_store_untokenized_count(rl_db *db, uint64_t *n)
{
	sqlite3_stmt *s = stmt(db, S_UNTOK_COUNT);
	if (!s || step(db, s) != SQLITE_ROW)
		return RL_EDB;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return RL_OK;
}

int rl_store_untokenized(rl_db *db, int64_t after, int limit, rl_text_fn fn,
			 void *ctx, int64_t *last)
{
	sqlite3_stmt *s = stmt(db, S_UNTOK);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	int rc;
	while ((rc = step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *t = (const char *)sqlite3_column_text(s, 1);
		size_t n = (size_t)sqlite3_column_bytes(s, 1);
		const char *ext = (const char *)sqlite3_column_text(s, 2);
		int cb = fn(ctx, id, ext ? ext : "", t ? t : "", n);
		if (cb != RL_OK) {
			sqlite3_reset(s);
			return cb;
		}
		*last = id;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* A review's tokens are stored as the varints of their term ids, in
 * order (rl_store_tokens_load decodes them). */
int rl_store_tokens_put(rl_db *db, int64_t review_id, const uint32_t *ids,
			uint32_t n)
{
	int rc = RL_OK;
	db->blob.len = 0;
	for (uint32_t i = 0; i < n && rc == RL_OK; i++)
		rc = rl_buf_put_varint(&db->blob, ids[i]);
	if (rc != RL_OK)
		return rl_fail(db, rc, "out of memory");
	sqlite3_stmt *s = stmt(db, S_TOKENS_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, n);
	sqlite3_bind_blob64(s, 3, db->blob.len ? db->blob.data : "",
			    db->blob.len, SQLITE_STATIC);
	return exec_stmt(db, s);
}

/* ---- statistics ---- */

static int count_of(rl_db *db, const char *sql, uint64_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	if (step(db, s) != SQLITE_ROW)
		goto out;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	rc = RL_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_stats_get(rl_db *db, rl_stats *st)
{
	static const struct {
		const char *sql;
		size_t off;
	} q[] = {
		{ "SELECT count(*) FROM reviews", offsetof(rl_stats, reviews) },
		{ "SELECT count(*) FROM review_tokens",
		  offsetof(rl_stats, tokenized) },
		{ "SELECT coalesce(sum(n_tokens), 0) FROM review_tokens",
		  offsetof(rl_stats, tokens) },
		{ "SELECT count(*) FROM terms", offsetof(rl_stats, terms) },
		{ "SELECT count(*) FROM labels", offsetof(rl_stats, labels) },
		{ "SELECT count(*) FROM seeds WHERE origin = 'hand'",
		  offsetof(rl_stats, seeds) },
		{ "SELECT count(*) FROM rules", offsetof(rl_stats, rules) },
		{ "SELECT count(*) FROM seeds WHERE origin = 'cluster'",
		  offsetof(rl_stats, cluster_seeds) },
		{ "SELECT count(*) FROM runs WHERE status = 'ok'",
		  offsetof(rl_stats, runs) },
	};
	memset(st, 0, sizeof *st);
	rl_clear_error(db);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		int rc = count_of(db, q[i].sql,
				  (uint64_t *)((char *)st + q[i].off));
		if (rc != RL_OK)
			return rc;
	}
	return RL_OK;
}

int rl_runs_last(rl_db *db, rl_run_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	rl_clear_error(db);
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT id, stage, started, seconds, params, "
			       "counts FROM runs WHERE id IN (SELECT max(id) "
			       "FROM runs WHERE status = 'ok' GROUP BY stage) "
			       "ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_run_info ri = {
			.id = sqlite3_column_int64(s, 0),
			.stage = (const char *)sqlite3_column_text(s, 1),
			.started = (const char *)sqlite3_column_text(s, 2),
			.seconds = sqlite3_column_double(s, 3),
			.params = (const char *)sqlite3_column_text(s, 4),
			.counts = (const char *)sqlite3_column_text(s, 5),
		};
		int cb = fn(ctx, &ri);
		if (cb) {
			rc = cb;
			goto out;
		}
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---- token sets, vectors, neighbours ---- */

/* The kind a review's vectors are stored under. */
static const char *kind_text(rl_vectors kind)
{
	return kind == RL_VECTORS_LSA ? "lsa" : "tfidf";
}

int rl_store_tokens_load(rl_db *db, int unvectorized, rl_token_set *out)
{
	/* LSA vectors are written last, so a review without one has no
	 * complete vectors. */
	const char *missing_kind = unvectorized ? kind_text(RL_VECTORS_LSA)
						: NULL;
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = stmt(db, missing_kind ? S_TOKSET_COUNT_MISSING
						: S_TOKSET_COUNT_ALL);
	if (!s)
		return RL_EDB;
	if (missing_kind)
		sqlite3_bind_text(s, 1, missing_kind, -1, SQLITE_STATIC);
	if (step(db, s) != SQLITE_ROW)
		return RL_EDB;
	uint64_t n = (uint64_t)sqlite3_column_int64(s, 0);
	uint64_t total = (uint64_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	if (n > UINT32_MAX - 1)
		return rl_fail(db, RL_EINPUT, "%s: too many reviews", db->path);
	out->review_ids = malloc((n ? n : 1) * sizeof *out->review_ids);
	out->tokens = malloc((total ? total : 1) * sizeof *out->tokens);
	out->doc_off = calloc(n + 1, sizeof *out->doc_off);
	if (!out->review_ids || !out->tokens || !out->doc_off) {
		rl_token_set_free(out);
		return rl_fail(db, RL_ENOMEM, "out of memory");
	}
	s = stmt(db, missing_kind ? S_TOKSET_MISSING : S_TOKSET_ALL);
	if (!s) {
		rl_token_set_free(out);
		return RL_EDB;
	}
	if (missing_kind)
		sqlite3_bind_text(s, 1, missing_kind, -1, SQLITE_STATIC);
	uint64_t at = 0;
	uint32_t i = 0;
	int rc;
	while ((rc = step(db, s)) == SQLITE_ROW && i < n) {
		const unsigned char *p = sqlite3_column_blob(s, 2);
		const unsigned char *end = p + sqlite3_column_bytes(s, 2);
		while (p && p < end && at < total) {
			uint64_t v;
			size_t used = rl_varint_get(p, end, &v);
			if (!used || v > UINT32_MAX)
				break;
			out->tokens[at++] = (uint32_t)v;
			p += used;
		}
		if (p && p != end) {
			long long bad = (long long)sqlite3_column_int64(s, 0);
			sqlite3_reset(s);
			rl_token_set_free(out);
			return rl_fail(db, RL_EDB, "%s: review %lld: corrupt "
				       "tokens", db->path, bad);
		}
		out->review_ids[i] = sqlite3_column_int64(s, 0);
		out->doc_off[++i] = at;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rl_token_set_free(out);
		return RL_EDB;
	}
	out->n = i;
	return RL_OK;
}

int rl_store_vectorizer_save(rl_db *db, const rl_tfidf *m, const rl_lsa *l)
{
	int rc = exec_stmt(db, stmt(db, S_FEATURES_CLEAR));
	if (rc == RL_OK)
		rc = exec_stmt(db, stmt(db, S_PROJ_CLEAR));
	for (uint32_t f = 0; f < m->n_features && rc == RL_OK; f++) {
		sqlite3_stmt *s = stmt(db, S_FEATURE_ADD);
		if (!s)
			return RL_EDB;
		sqlite3_bind_int64(s, 1, f);
		sqlite3_bind_int64(s, 2, m->term_a[f]);
		if (m->term_b[f] != RL_NO_TERM)
			sqlite3_bind_int64(s, 3, m->term_b[f]);
		sqlite3_bind_int64(s, 4, m->df[f]);
		sqlite3_bind_double(s, 5, m->idf[f]);
		rc = exec_stmt(db, s);
	}
	if (rc != RL_OK || !l)
		return rc;
	/* Only the rows that are not zero, and which they are: LSA is fitted
	 * on the lsa_features most frequent features, so most rows are. */
	uint32_t *cols = malloc(((size_t)l->n_cols + 1) * sizeof *cols);
	uint32_t kept = 0;
	if (!cols)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	for (uint32_t c = 0; c < l->n_cols; c++) {
		const float *row = l->components + (size_t)c * l->dim;
		uint32_t k = 0;
		while (k < l->dim && row[k] == 0)
			k++;
		if (k < l->dim)
			cols[kept++] = c;
	}
	float *rows = malloc(((size_t)kept * l->dim + 1) * sizeof *rows);
	if (!rows) {
		free(cols);
		return rl_fail(db, RL_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < kept; i++)
		memcpy(rows + (size_t)i * l->dim,
		       l->components + (size_t)cols[i] * l->dim,
		       l->dim * sizeof *rows);
	sqlite3_stmt *s = stmt(db, S_PROJ_PUT);
	rc = RL_EDB;
	if (s) {
		sqlite3_bind_int64(s, 1, l->dim);
		sqlite3_bind_int64(s, 2, l->n_cols);
		sqlite3_bind_blob64(s, 3, rows, (uint64_t)l->dim * kept *
				    sizeof(float), SQLITE_STATIC);
		sqlite3_bind_blob64(s, 4, l->sigma,
				    (uint64_t)l->dim * sizeof(double),
				    SQLITE_STATIC);
		sqlite3_bind_blob64(s, 5, cols, (uint64_t)kept * sizeof *cols,
				    SQLITE_STATIC);
		rc = exec_stmt(db, s);
	}
	free(cols);
	free(rows);
	return rc;
}

int rl_store_vectorizer_load(rl_db *db, uint32_t n_docs, int sublinear,
			     rl_tfidf *m, rl_lsa *l)
{
	memset(m, 0, sizeof *m);
	memset(l, 0, sizeof *l);
	uint64_t n = 0;
	int rc = count_of(db, "SELECT count(*) FROM features", &n);
	if (rc != RL_OK)
		return rc;
	m->n_docs = n_docs;
	m->sublinear = sublinear;
	m->term_a = malloc((n ? n : 1) * sizeof *m->term_a);
	m->term_b = malloc((n ? n : 1) * sizeof *m->term_b);
	m->df = malloc((n ? n : 1) * sizeof *m->df);
	m->idf = malloc((n ? n : 1) * sizeof *m->idf);
	if (!m->term_a || !m->term_b || !m->df || !m->idf) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto fail;
	}
	sqlite3_stmt *s = stmt(db, S_FEATURES_ALL);
	if (!s) {
		rc = RL_EDB;
		goto fail;
	}
	uint32_t f = 0;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW && f < n) {
		if (sqlite3_column_int64(s, 0) != f)
			break;
		m->term_a[f] = (uint32_t)sqlite3_column_int64(s, 1);
		m->term_b[f] = sqlite3_column_type(s, 2) == SQLITE_NULL
			? RL_NO_TERM : (uint32_t)sqlite3_column_int64(s, 2);
		m->df[f] = (uint32_t)sqlite3_column_int64(s, 3);
		m->idf[f] = (float)sqlite3_column_double(s, 4);
		f++;
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		rc = RL_EDB;
		goto fail;
	}
	if (f != n) {
		rc = rl_fail(db, RL_EDB, "%s: features table is not numbered "
			     "0..%llu", db->path, (unsigned long long)n - 1);
		goto fail;
	}
	m->n_features = f;

	s = stmt(db, S_PROJ_GET);
	if (!s) {
		rc = RL_EDB;
		goto fail;
	}
	r = step(db, s);
	if (r == SQLITE_DONE) {
		rc = RL_ENOTFOUND;
		goto fail;
	}
	if (r != SQLITE_ROW) {
		rc = RL_EDB;
		goto fail;
	}
	l->dim = (uint32_t)sqlite3_column_int64(s, 0);
	l->n_cols = (uint32_t)sqlite3_column_int64(s, 1);
	size_t cbytes = (size_t)l->dim * l->n_cols * sizeof(float);
	size_t sbytes = (size_t)l->dim * sizeof(double);
	/* With cols, components holds only the listed rows (a store made by
	 * revlab 1 has them all). */
	int sparse = sqlite3_column_type(s, 4) != SQLITE_NULL;
	size_t kept = sparse ? (size_t)sqlite3_column_bytes(s, 4) /
				       sizeof(uint32_t)
			     : l->n_cols;
	/* Blobs carry no alignment: read their numbers with memcpy. */
	const unsigned char *cols = sparse ? sqlite3_column_blob(s, 4) : NULL;
	int ok = l->n_cols == m->n_features && kept <= l->n_cols &&
		 (size_t)sqlite3_column_bytes(s, 2) ==
			 kept * l->dim * sizeof(float) &&
		 (size_t)sqlite3_column_bytes(s, 3) == sbytes &&
		 (!sparse || (size_t)sqlite3_column_bytes(s, 4) ==
				     kept * sizeof(uint32_t));
	uint32_t prev = 0;
	for (size_t i = 0; ok && sparse && i < kept; i++) {
		uint32_t c;
		memcpy(&c, cols + i * sizeof c, sizeof c);
		ok = c < l->n_cols && (i == 0 || c > prev);
		prev = c;
	}
	if (!ok) {
		sqlite3_reset(s);
		rc = rl_fail(db, RL_EDB, "%s: projection does not match the "
			     "features", db->path);
		goto fail;
	}
	l->components = sparse ? calloc(cbytes ? cbytes : 1, 1)
			       : malloc(cbytes ? cbytes : 1);
	l->sigma = malloc(sbytes ? sbytes : 1);
	l->live = sparse ? calloc((size_t)l->n_cols + 1, 1) : NULL;
	if (!l->components || !l->sigma || (sparse && !l->live)) {
		sqlite3_reset(s);
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto fail;
	}
	const unsigned char *rows = sqlite3_column_blob(s, 2);
	for (size_t i = 0; sparse && i < kept; i++) {
		uint32_t c;
		memcpy(&c, cols + i * sizeof c, sizeof c);
		memcpy(l->components + (size_t)c * l->dim,
		       rows + i * l->dim * sizeof(float),
		       l->dim * sizeof(float));
		l->live[c] = 1;
	}
	if (!sparse && cbytes)
		memcpy(l->components, rows, cbytes);
	memcpy(l->sigma, sqlite3_column_blob(s, 3), sbytes);
	sqlite3_reset(s);
	return RL_OK;
fail:
	rl_tfidf_free(m);
	rl_lsa_free(l);
	return rc;
}

int rl_store_vectors_clear(rl_db *db)
{
	return exec_stmt(db, stmt(db, S_VECTORS_CLEAR));
}

static int vector_put(rl_db *db, int64_t review_id, rl_vectors kind,
		      uint32_t dim, const void *blob, size_t len)
{
	sqlite3_stmt *s = stmt(db, S_VECTOR_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_text(s, 2, kind_text(kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, dim);
	sqlite3_bind_blob64(s, 4, len ? blob : "", len, SQLITE_STATIC);
	return exec_stmt(db, s);
}

/* A TF-IDF row is stored as (varint column delta, 4-byte float) pairs,
 * columns ascending; an LSA row as its dim floats
 * (rl_store_vectors_load decodes both). */
int rl_store_vectors_put(rl_db *db, const int64_t *ids, const rl_csr *X,
			 const float *lsa, uint32_t dim)
{
	int rc = RL_OK;
	for (uint32_t i = 0; i < X->n_rows && rc == RL_OK; i++) {
		uint32_t prev = 0;
		db->blob.len = 0;
		for (uint64_t p = X->indptr[i];
		     rc == RL_OK && p < X->indptr[i + 1]; p++) {
			if ((rc = rl_buf_put_varint(&db->blob, X->indices[p] -
						    prev)) == RL_OK)
				rc = rl_buf_append(&db->blob, &X->values[p], 4);
			prev = X->indices[p];
		}
		if (rc != RL_OK)
			return rl_fail(db, rc, "out of memory");
		rc = vector_put(db, ids[i], RL_VECTORS_TFIDF, X->n_cols,
				db->blob.data, db->blob.len);
		if (rc == RL_OK)
			rc = vector_put(db, ids[i], RL_VECTORS_LSA, dim,
					lsa + (size_t)i * dim,
					dim * sizeof(float));
	}
	return rc;
}

int rl_store_vectors_load(rl_db *db, rl_vectors kind, rl_vector_set *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = stmt(db, S_VECTORS_COUNT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, kind_text(kind), -1, SQLITE_STATIC);
	if (step(db, s) != SQLITE_ROW)
		return RL_EDB;
	uint64_t n = (uint64_t)sqlite3_column_int64(s, 0);
	uint32_t dim = (uint32_t)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	int dense = kind == RL_VECTORS_LSA;
	int rc = RL_ENOMEM;
	out->review_ids = malloc((n ? n : 1) * sizeof *out->review_ids);
	if (!out->review_ids)
		goto fail;
	if (dense) {
		out->dense = malloc((n ? n : 1) * (dim ? dim : 1) *
				    sizeof(float));
		if (!out->dense)
			goto fail;
	} else {
		out->csr.indptr = calloc(n + 1, sizeof *out->csr.indptr);
		if (!out->csr.indptr)
			goto fail;
	}
	out->dim = dim;
	s = stmt(db, S_VECTORS_ALL);
	if (!s) {
		rc = RL_EDB;
		goto fail;
	}
	sqlite3_bind_text(s, 1, kind_text(kind), -1, SQLITE_STATIC);
	uint64_t nnz = 0, cap = 0;
	uint32_t i = 0;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW && i < n) {
		const unsigned char *p = sqlite3_column_blob(s, 2);
		size_t len = (size_t)sqlite3_column_bytes(s, 2);
		out->review_ids[i] = sqlite3_column_int64(s, 0);
		if (dense) {
			if (len != dim * sizeof(float)) {
				sqlite3_reset(s);
				rc = rl_fail(db, RL_EDB, "%s: review %lld: "
					     "vector of %zu bytes, not %zu",
					     db->path,
					     (long long)out->review_ids[i],
					     len, dim * sizeof(float));
				goto fail;
			}
			memcpy(out->dense + (size_t)i * dim, p, len);
		} else {
			const unsigned char *end = p + len;
			uint64_t col = 0;
			while (p && p < end) {
				uint64_t delta;
				size_t used = rl_varint_get(p, end, &delta);
				if (!used || end - (p + used) < 4)
					break;
				p += used;
				col += delta;
				if (nnz == cap) {
					cap = cap ? cap * 2 : 1 << 16;
					uint32_t *ix = realloc(out->csr.indices,
							       cap * sizeof *ix);
					float *v = ix ? realloc(out->csr.values,
								cap * sizeof *v)
						      : NULL;
					if (ix)
						out->csr.indices = ix;
					if (!v) {
						sqlite3_reset(s);
						goto fail;
					}
					out->csr.values = v;
				}
				out->csr.indices[nnz] = (uint32_t)col;
				memcpy(&out->csr.values[nnz], p, 4);
				p += 4;
				if (col + 1 > out->csr.n_cols)
					out->csr.n_cols = (uint32_t)col + 1;
				nnz++;
			}
			if (p && p != end) {
				sqlite3_reset(s);
				rc = rl_fail(db, RL_EDB, "%s: review %lld: "
					     "corrupt vector", db->path,
					     (long long)out->review_ids[i]);
				goto fail;
			}
			out->csr.indptr[i + 1] = nnz;
		}
		i++;
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		rc = RL_EDB;
		goto fail;
	}
	out->n = i;
	out->csr.n_rows = i;
	return RL_OK;
fail:
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "out of memory");
	rl_vector_set_free(out);
	return rc;
}

int rl_store_neighbours_clear(rl_db *db)
{
	return exec_stmt(db, stmt(db, S_NEIGHBOURS_CLEAR));
}

int rl_store_neighbour_put(rl_db *db, int64_t review_id, int rank,
			   int64_t neighbour_id, double similarity)
{
	sqlite3_stmt *s = stmt(db, S_NEIGHBOUR_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int(s, 2, rank);
	sqlite3_bind_int64(s, 3, neighbour_id);
	sqlite3_bind_double(s, 4, similarity);
	return exec_stmt(db, s);
}

int rl_store_neighbours_load(rl_db *db, const int64_t *ids, uint32_t n,
			     uint32_t k, int32_t *init, float *sim,
			     uint64_t *found)
{
	for (size_t i = 0; i < (size_t)n * k; i++) {
		init[i] = -1;
		if (sim)
			sim[i] = 0;
	}
	*found = 0;
	sqlite3_stmt *s = stmt(db, S_NEIGHBOURS_ALL);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		int64_t row = rl_find_id(ids, n, sqlite3_column_int64(s, 0));
		int rank = sqlite3_column_int(s, 1);
		int64_t nb = rl_find_id(ids, n, sqlite3_column_int64(s, 2));
		if (row < 0 || nb < 0 || rank < 1 || (uint32_t)rank > k)
			continue;
		init[(size_t)row * k + (size_t)rank - 1] = (int32_t)nb;
		if (sim)
			sim[(size_t)row * k + (size_t)rank - 1] =
				(float)sqlite3_column_double(s, 3);
		(*found)++;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* ---- labels, seeds, rules ---- */

int rl_store_label_get(rl_db *db, const char *name, int create, int64_t *id,
		       int *created)
{
	sqlite3_stmt *s = stmt(db, S_LABEL_FIND);
	if (!s)
		return RL_EDB;
	if (created)
		*created = 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int r = step(db, s);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return RL_OK;
	}
	if (r != SQLITE_DONE)
		return RL_EDB;
	if (!create)
		return RL_ENOTFOUND;
	s = stmt(db, S_LABEL_ADD);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = exec_stmt(db, s);
	if (rc == RL_OK) {
		*id = sqlite3_last_insert_rowid(db->sql);
		if (created)
			*created = 1;
	}
	return rc;
}

int rl_store_review_id(rl_db *db, const char *ext_id, size_t len,
		       int64_t *id)
{
	sqlite3_stmt *s = stmt(db, S_REVIEW_BY_EXT);
	if (!s)
		return RL_EDB;
	bind_text(s, 1, ext_id, len);
	int r = step(db, s);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? RL_OK : r == SQLITE_DONE ? RL_ENOTFOUND
							  : RL_EDB;
}

int rl_store_seed_set(rl_db *db, int64_t review_id, int64_t label_id)
{
	sqlite3_stmt *s = stmt(db, S_SEED_CLEAR);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	int rc = exec_stmt(db, s);
	if (rc != RL_OK || label_id < 0)
		return rc;
	s = stmt(db, S_SEED_ADD);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	return exec_stmt(db, s);
}

int rl_store_changes(rl_db *db)
{
	return sqlite3_changes(db->sql);
}

int rl_store_rules_each(rl_db *db, rl_rule_row_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_RULES_ALL);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_rule_row row = {
			.id = sqlite3_column_int64(s, 0),
			.line = sqlite3_column_int(s, 1),
			.label_id = sqlite3_column_int64(s, 2),
			.label = (const char *)sqlite3_column_text(s, 3),
			.negate = sqlite3_column_int(s, 4),
			.pattern = (const char *)sqlite3_column_text(s, 5),
			.weight = sqlite3_column_double(s, 6),
			.source = (const char *)sqlite3_column_text(s, 7),
		};
		int rc = fn(ctx, &row);
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_rule_delete(rl_db *db, int64_t id)
{
	sqlite3_stmt *s = stmt(db, S_RULE_DELETE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	return exec_stmt(db, s);
}

int rl_store_rule_put(rl_db *db, int64_t *id, int line, int64_t label_id,
		      int negate, const char *pattern, double weight,
		      const char *source)
{
	sqlite3_stmt *s = stmt(db, *id ? S_RULE_UPDATE : S_RULE_INSERT);
	if (!s)
		return RL_EDB;
	if (*id) {
		sqlite3_bind_int64(s, 1, *id);
		sqlite3_bind_int(s, 2, line);
		sqlite3_bind_int64(s, 3, label_id);
		sqlite3_bind_int(s, 4, negate);
		sqlite3_bind_double(s, 5, weight);
		sqlite3_bind_text(s, 6, source, -1, SQLITE_STATIC);
		return exec_stmt(db, s);
	}
	sqlite3_bind_int(s, 1, line);
	sqlite3_bind_int64(s, 2, label_id);
	sqlite3_bind_int(s, 3, negate);
	sqlite3_bind_text(s, 4, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 5, weight);
	sqlite3_bind_text(s, 6, source, -1, SQLITE_STATIC);
	int rc = exec_stmt(db, s);
	if (rc == RL_OK)
		*id = sqlite3_last_insert_rowid(db->sql);
	return rc;
}

int rl_store_reviews_batch(rl_db *db, int unscanned, int64_t after,
			   int limit, rl_review_fn fn, void *ctx,
			   int64_t *last)
{
	sqlite3_stmt *s = stmt(db, unscanned ? S_UNSCANNED_AFTER
					     : S_REVIEWS_AFTER);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *ext = (const char *)sqlite3_column_text(s, 1);
		const char *t = (const char *)sqlite3_column_text(s, 2);
		size_t n = (size_t)sqlite3_column_bytes(s, 2);
		int rc = fn(ctx, id, ext ? ext : "", t ? t : "", n);
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
		*last = id;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_hit_put(rl_db *db, int64_t rule_id, int64_t review_id,
		     size_t start, size_t end)
{
	sqlite3_stmt *s = stmt(db, S_HIT_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, rule_id);
	sqlite3_bind_int64(s, 2, review_id);
	sqlite3_bind_int64(s, 3, (int64_t)start);
	sqlite3_bind_int64(s, 4, (int64_t)end);
	return exec_stmt(db, s);
}

int rl_store_scanned_put(rl_db *db, int64_t review_id)
{
	sqlite3_stmt *s = stmt(db, S_SCANNED_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	return exec_stmt(db, s);
}

static int pairs_each(rl_db *db, enum stmt_id id, rl_pair_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, id);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		int rc = fn(ctx, sqlite3_column_int64(s, 0),
			    sqlite3_column_int64(s, 1));
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_hits_each(rl_db *db, rl_pair_fn fn, void *ctx)
{
	return pairs_each(db, S_HITS_BY_REVIEW, fn, ctx);
}

int rl_store_seeds_each(rl_db *db, rl_pair_fn fn, void *ctx)
{
	return pairs_each(db, S_SEEDS_ALL, fn, ctx);
}

int rl_rule_hits(rl_db *db, int line, int wrong_only, rl_hit_fn fn,
		 void *ctx)
{
	rl_clear_error(db);
	sqlite3_stmt *s = stmt(db, S_RULE_BY_LINE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int(s, 1, line);
	int r = step(db, s);
	if (r == SQLITE_DONE)
		return rl_fail(db, RL_ENOTFOUND, "no rule on line %d of the "
			       "rules file", line);
	if (r != SQLITE_ROW)
		return RL_EDB;
	int64_t rule = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = stmt(db, S_RULE_HITS);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, rule);
	sqlite3_bind_int(s, 2, wrong_only);
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_hit_info h = {
			.ext_id = (const char *)sqlite3_column_text(s, 0),
			.text = (const char *)sqlite3_column_text(s, 1),
			.start = (size_t)sqlite3_column_int64(s, 2),
			.end = (size_t)sqlite3_column_int64(s, 3),
			.seed = (const char *)sqlite3_column_text(s, 4),
		};
		int rc = fn(ctx, &h);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_labels(rl_db *db, rl_label_fn fn, void *ctx)
{
	rl_clear_error(db);
	sqlite3_stmt *s = stmt(db, S_LABELS_LIST);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_label_info li = {
			.id = sqlite3_column_int64(s, 0),
			.name = (const char *)sqlite3_column_text(s, 1),
			.seeds = (uint64_t)sqlite3_column_int64(s, 2),
			.rule_votes = (uint64_t)sqlite3_column_int64(s, 3),
			.propagated = (uint64_t)sqlite3_column_int64(s, 4),
			.model = (uint64_t)sqlite3_column_int64(s, 5),
			.cluster = (uint64_t)sqlite3_column_int64(s, 6),
		};
		int rc = fn(ctx, &li);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_count_reviews(rl_db *db, uint64_t *n)
{
	return count_of(db, "SELECT count(*) FROM reviews", n);
}

int rl_unlabelled(rl_db *db, rl_order order, uint64_t seed, size_t limit,
		  rl_review_info_fn fn, void *ctx)
{
	rl_clear_error(db);
	if (order != RL_ORDER_RANDOM)
		return rl_fail(db, RL_EINVAL, "unknown order %d", (int)order);
	sqlite3_stmt *s = stmt(db, S_UNLABELLED_RANDOM);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, (int64_t)(seed % 4294967291u));
	sqlite3_bind_int64(s, 2, limit > INT64_MAX ? INT64_MAX
						   : (int64_t)limit);
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
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

/* Calls fn(ctx, id, name) for each row of statement `which`, which
 * selects an id and a text. */
static int names_each(rl_db *db, enum stmt_id which, rl_name_fn fn,
		      void *ctx)
{
	sqlite3_stmt *s = stmt(db, which);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
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

int rl_store_labels_each(rl_db *db, rl_name_fn fn, void *ctx)
{
	return names_each(db, S_LABELS_BY_ID, fn, ctx);
}

int rl_store_review_ids(rl_db *db, int64_t **ids, uint32_t *n)
{
	uint64_t count = 0;
	*ids = NULL;
	*n = 0;
	int rc = count_of(db, "SELECT count(*) FROM reviews", &count);
	if (rc != RL_OK)
		return rc;
	*ids = malloc((count ? count : 1) * sizeof **ids);
	if (!*ids)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	sqlite3_stmt *s = stmt(db, S_REVIEW_IDS);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = step(db, s)) == SQLITE_ROW && *n < count)
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return RL_EDB;
	}
	return RL_OK;
}

int rl_store_max_rank(rl_db *db, uint64_t *k)
{
	return count_of(db, "SELECT coalesce(max(rank), 0) FROM neighbours",
			k);
}

int rl_store_scores_clear(rl_db *db)
{
	int rc = exec_stmt(db, stmt(db, S_SCORES_CLEAR));
	return rc == RL_OK ? exec_stmt(db, stmt(db, S_ASSIGN_CLEAR)) : rc;
}

int rl_store_score_put(rl_db *db, int64_t review_id, int64_t label_id,
		       double score)
{
	sqlite3_stmt *s = stmt(db, S_SCORE_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	sqlite3_bind_double(s, 3, score);
	return exec_stmt(db, s);
}

int rl_store_assignment_put(rl_db *db, int64_t review_id, int64_t label_id,
			    double confidence, double margin,
			    const char *source, const char *evidence,
			    int64_t run_id)
{
	sqlite3_stmt *s = stmt(db, strcmp(source, "cluster") ? S_ASSIGN_PUT
						: S_ASSIGN_KEEP);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	sqlite3_bind_double(s, 3, confidence);
	sqlite3_bind_double(s, 4, margin);
	sqlite3_bind_text(s, 5, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, evidence, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, run_id);
	return exec_stmt(db, s);
}

int rl_store_features_count(rl_db *db, uint32_t *n)
{
	uint64_t c = 0;
	int rc = count_of(db, "SELECT count(*) FROM features", &c);
	*n = (uint32_t)c;
	return rc;
}

int rl_store_tokenizer_opts(rl_db *db, rl_tokenize_opts *o, rl_buf *lang,
			    rl_buf *dir)
{
	sqlite3_stmt *s = stmt(db, S_TOKOPTS);
	if (!s)
		return RL_EDB;
	int r = step(db, s);
	if (r == SQLITE_DONE)
		return rl_fail(db, RL_ENOTFOUND, "%s: nothing tokenized yet",
			       db->path);
	if (r != SQLITE_ROW)
		return RL_EDB;
	int rc = copy_col(s, 0, lang);
	if (rc == RL_OK)
		rc = copy_col(s, 5, dir);
	o->stopwords = sqlite3_column_int(s, 1);
	o->stem = sqlite3_column_int(s, 2);
	o->negation = sqlite3_column_int(s, 3);
	o->min_len = sqlite3_column_int(s, 4);
	sqlite3_reset(s);
	o->language = lang->data;
	o->lexicon_dir = dir->data;
	return rc;
}

int rl_store_model_put(rl_db *db, const char *kind, const char *params,
		       const char *labels, const void *weights, size_t len,
		       const char *metrics, int64_t run_id, int64_t *id)
{
	sqlite3_stmt *s = stmt(db, S_MODEL_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, params, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 4, weights, len, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, metrics, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, run_id);
	int rc = exec_stmt(db, s);
	if (rc == RL_OK)
		*id = sqlite3_last_insert_rowid(db->sql);
	return rc;
}

int rl_store_model_get(rl_db *db, int64_t want, rl_stored_model *m)
{
	memset(m, 0, sizeof *m);
	sqlite3_stmt *s = stmt(db, S_MODEL_GET);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, want);
	int r = step(db, s);
	if (r == SQLITE_DONE && want)
		return rl_fail(db, RL_ENOTFOUND, "no model %lld",
			       (long long)want);
	if (r == SQLITE_DONE)
		return rl_fail_need(db, RL_ENOTFOUND, RL_NEED_MODEL,
				    "no model yet");
	if (r != SQLITE_ROW)
		return RL_EDB;
	m->id = sqlite3_column_int64(s, 0);
	int rc = copy_col(s, 1, &m->kind);
	if (rc == RL_OK)
		rc = copy_col(s, 2, &m->fit);
	if (rc == RL_OK)
		rc = copy_col(s, 6, &m->created);
	m->n_cols = (uint32_t)sqlite3_column_int64(s, 3);
	m->temperature = sqlite3_column_double(s, 5);
	if (!(m->temperature > 0))
		m->temperature = 1;
	size_t len = (size_t)sqlite3_column_bytes(s, 4);
	m->n_weights = len / sizeof(double);
	m->weights = malloc(len ? len : 1);
	if (rc == RL_OK && !m->weights)
		rc = RL_ENOMEM;
	if (rc == RL_OK)
		memcpy(m->weights, sqlite3_column_blob(s, 4), len);
	sqlite3_reset(s);
	if (rc != RL_OK)
		return rc;
	s = stmt(db, S_MODEL_LABELS);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, m->id);
	while ((r = step(db, s)) == SQLITE_ROW) {
		char **names = realloc(m->labels,
				       (m->n_labels + 1) * sizeof *names);
		if (!names) {
			sqlite3_reset(s);
			return RL_ENOMEM;
		}
		m->labels = names;
		const char *t = (const char *)sqlite3_column_text(s, 0);
		if (!(names[m->n_labels] = strdup(t ? t : ""))) {
			sqlite3_reset(s);
			return RL_ENOMEM;
		}
		m->n_labels++;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

void rl_stored_model_free(rl_stored_model *m)
{
	for (uint32_t l = 0; m->labels && l < m->n_labels; l++)
		free(m->labels[l]);
	free(m->labels);
	free(m->weights);
	rl_buf_free(&m->kind);
	rl_buf_free(&m->fit);
	rl_buf_free(&m->created);
	memset(m, 0, sizeof *m);
}

int rl_store_predictions_clear(rl_db *db, int64_t model_id)
{
	sqlite3_stmt *s = stmt(db, S_PRED_CLEAR);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, model_id);
	return exec_stmt(db, s);
}

int rl_store_prediction_put(rl_db *db, int64_t review_id, int64_t model_id,
			    int64_t label_id, double confidence)
{
	sqlite3_stmt *s = stmt(db, S_PRED_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, model_id);
	sqlite3_bind_int64(s, 3, label_id);
	sqlite3_bind_double(s, 4, confidence);
	return exec_stmt(db, s);
}

int rl_store_eval_put(rl_db *db, int64_t run_id, const char *result,
		      int64_t *id)
{
	sqlite3_stmt *s = stmt(db, S_EVAL_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, result, -1, SQLITE_STATIC);
	int rc = exec_stmt(db, s);
	if (rc == RL_OK)
		*id = sqlite3_last_insert_rowid(db->sql);
	return rc;
}

int rl_store_eval_last(rl_db *db, int64_t *id, rl_buf *created,
		       rl_buf *result)
{
	sqlite3_stmt *s = stmt(db, S_EVAL_LAST);
	if (!s)
		return RL_EDB;
	int r = step(db, s);
	if (r == SQLITE_DONE)
		return RL_ENOTFOUND;
	if (r != SQLITE_ROW)
		return RL_EDB;
	*id = sqlite3_column_int64(s, 0);
	int rc = copy_col(s, 1, created);
	if (rc == RL_OK)
		rc = copy_col(s, 2, result);
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
	while ((r = step(db, s)) == SQLITE_ROW) {
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
	while ((r = step(db, s)) == SQLITE_ROW) {
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
	int r = step(db, s);
	int rc = r == SQLITE_ROW ? copy_col(s, 0, out) : RL_OK;
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

int rl_store_report_rows(rl_db *db, rl_report_query q, int64_t a,
			 int64_t b, rl_row_fn fn, void *ctx)
{
	static const enum stmt_id ids[] = {
		[RL_Q_SOURCES] = S_REPORT_SOURCES,
		[RL_Q_RULE_LABELS] = S_REPORT_RULE_LABELS,
		[RL_Q_HIST] = S_REPORT_HIST,
		[RL_Q_LOWEST] = S_REPORT_LOWEST,
		[RL_Q_LAST_LABEL] = S_REPORT_LAST_LABEL,
	};
	sqlite3_stmt *s = stmt(db, ids[q]);
	if (!s)
		return RL_EDB;
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	int r, ncol = sqlite3_column_count(s);
	const char *text[8];
	double num[8];
	if (ncol > 8)
		ncol = 8;
	while ((r = step(db, s)) == SQLITE_ROW) {
		/* The number first: reading it never changes the value's
		 * text, whose pointer then stays good. */
		for (int c = 0; c < ncol; c++) {
			num[c] = sqlite3_column_double(s, c);
			text[c] = (const char *)sqlite3_column_text(s, c);
		}
		int rc = fn(ctx, ncol, text, num);
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_read_begin(rl_db *db)
{
	return exec_sql(db, "BEGIN");
}

#define EXPORT_WHERE \
	" WHERE (?1 IS NULL OR label = ?1) AND (?2 IS NULL OR source = ?2) " \
	"AND (?3 IS NULL OR confidence >= ?3)"

static void bind_filter(sqlite3_stmt *s, const rl_export_filter *f)
{
	if (f && f->label)
		sqlite3_bind_text(s, 1, f->label, -1, SQLITE_STATIC);
	if (f && f->source)
		sqlite3_bind_text(s, 2, f->source, -1, SQLITE_STATIC);
	if (f && f->min_confidence >= 0)
		sqlite3_bind_double(s, 3, f->min_confidence);
}

int rl_export_sqlite(rl_db *db, const rl_export_filter *f, const char *path)
{
	sqlite3_stmt *s = NULL;
	int rc, attached = 0;
	struct stat sb;
	rl_clear_error(db);
	if (stat(path, &sb) == 0)
		return rl_fail(db, RL_EEXIST, "%s: exists; export writes a new "
			       "file", path);
	/* The store was opened without permission to create files, which
	 * ATTACH inherits: make the new file first. */
	sqlite3 *made = NULL;
	int mrc = sqlite3_open_v2(path, &made, SQLITE_OPEN_READWRITE |
				  SQLITE_OPEN_CREATE, NULL);
	sqlite3_close(made);
	if (mrc != SQLITE_OK)
		return rl_fail(db, RL_EIO, "%s: cannot create", path);
	if (sqlite3_prepare_v2(db->sql, "ATTACH DATABASE ?1 AS export", -1,
			       &s, NULL) != SQLITE_OK) {
		rc = sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	if ((rc = exec_stmt(db, s)) != RL_OK)
		goto out;
	attached = 1;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db->sql, "CREATE TABLE export.labelled_reviews "
			       "AS SELECT * FROM labelled_reviews" EXPORT_WHERE,
			       -1, &s, NULL) != SQLITE_OK) {
		rc = sql_fail(db, "prepare");
		goto out;
	}
	bind_filter(s, f);
	rc = exec_stmt(db, s);
out:
	sqlite3_finalize(s);
	if (attached)
		sqlite3_exec(db->sql, "DETACH DATABASE export", NULL, NULL,
			     NULL);
	if (rc != RL_OK)
		unlink(path);
	return rc;
}

int rl_labelled_rows(rl_db *db, const rl_export_filter *f, rl_labelled_fn fn,
		     void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB, r;
	rl_clear_error(db);
	if (sqlite3_prepare_v2(db->sql, "SELECT id, label, confidence, "
			       "source, meta, text FROM labelled_reviews"
			       EXPORT_WHERE, -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	bind_filter(s, f);
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_labelled_row row = {
			.id = (const char *)sqlite3_column_text(s, 0),
			.label = (const char *)sqlite3_column_text(s, 1),
			.confidence = sqlite3_column_double(s, 2),
			.source = (const char *)sqlite3_column_text(s, 3),
			.meta = (const char *)sqlite3_column_text(s, 4),
			.text = (const char *)sqlite3_column_text(s, 5),
		};
		int cb = fn(ctx, &row);
		if (cb) {
			rc = cb;
			goto out;
		}
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_store_models_prune(rl_db *db, int keep)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM models WHERE id NOT IN "
			       "(SELECT id FROM models ORDER BY id DESC "
			       "LIMIT ?1)", -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_int(s, 1, keep);
	rc = exec_stmt(db, s);
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_store_propagated_each(rl_db *db, rl_soft_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB, r;
	if (sqlite3_prepare_v2(db->sql, "SELECT review_id, label_id, "
			       "confidence FROM assignments WHERE source IN "
			       "('propagation', 'model') ORDER BY review_id",
			       -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	while ((r = step(db, s)) == SQLITE_ROW) {
		int cb = fn(ctx, sqlite3_column_int64(s, 0),
			    sqlite3_column_int64(s, 1),
			    sqlite3_column_double(s, 2));
		if (cb != RL_OK) {
			rc = cb;
			goto out;
		}
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_predictions(rl_db *db, int64_t model, rl_prediction_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB, r;
	rl_clear_error(db);
	if (sqlite3_prepare_v2(db->sql, "SELECT r.ext_id, l.name, "
			       "p.confidence FROM predictions p JOIN reviews r "
			       "ON r.id = p.review_id JOIN labels l ON l.id = "
			       "p.label_id WHERE p.model_id = coalesce(nullif("
			       "?1, 0), (SELECT max(id) FROM models)) ORDER BY "
			       "r.id", -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, model);
	uint64_t n = 0;
	if ((rc = count_of(db, "SELECT count(*) FROM models", &n)) != RL_OK)
		goto out;
	if (n == 0) {
		rc = rl_fail_need(db, RL_ENOTFOUND, RL_NEED_MODEL,
				  "no model yet");
		goto out;
	}
	while ((r = step(db, s)) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(s, 1);
		double conf = sqlite3_column_double(s, 2);
		rl_prediction p = {
			(const char *)sqlite3_column_text(s, 0), &label, &conf,
			1,
		};
		int cb = fn(ctx, &p);
		if (cb) {
			rc = cb;
			goto out;
		}
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---- clusters ---- */

int rl_store_feature_names(rl_db *db, rl_name_fn fn, void *ctx)
{
	return names_each(db, S_FEATURE_NAMES, fn, ctx);
}

int rl_store_clusters_clear(rl_db *db)
{
	int rc = exec_stmt(db, stmt(db, S_MEMBERS_CLEAR));
	return rc == RL_OK ? exec_stmt(db, stmt(db, S_CLUSTERS_CLEAR)) : rc;
}

int rl_store_cluster_put(rl_db *db, int64_t id, uint64_t size,
			 const char *terms, int64_t run_id)
{
	sqlite3_stmt *s = stmt(db, S_CLUSTER_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)size);
	sqlite3_bind_text(s, 3, terms, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, run_id);
	return exec_stmt(db, s);
}

int rl_store_member_put(rl_db *db, int64_t review_id, int64_t cluster,
			double similarity)
{
	sqlite3_stmt *s = stmt(db, S_MEMBER_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, cluster);
	sqlite3_bind_double(s, 3, similarity);
	return exec_stmt(db, s);
}

int rl_store_cluster_find(rl_db *db, int64_t id, uint64_t *n_clusters)
{
	sqlite3_stmt *s = stmt(db, S_CLUSTER_FIND);
	*n_clusters = 0;
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	int r = step(db, s);
	if (r != SQLITE_ROW)
		return RL_EDB;
	*n_clusters = (uint64_t)sqlite3_column_int64(s, 0);
	int found = sqlite3_column_type(s, 1) != SQLITE_NULL;
	sqlite3_reset(s);
	if (*n_clusters == 0)
		return rl_fail_need(db, RL_ENOTFOUND, RL_NEED_CLUSTERS,
				    "%s: no clusters yet", db->path);
	if (!found)
		return rl_fail(db, RL_ENOTFOUND, "no cluster %lld: clusters "
			       "are numbered 0 to %llu", (long long)id,
			       (unsigned long long)*n_clusters - 1);
	return RL_OK;
}

int rl_store_cluster_seed_set(rl_db *db, int64_t review_id, int64_t label_id,
			      const char *evidence, int64_t run_id)
{
	sqlite3_stmt *s;
	int rc;
	if (!(s = stmt(db, S_CSEED_DROP)))
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	if ((rc = exec_stmt(db, s)) != RL_OK)
		return rc;
	if (!(s = stmt(db, S_CASSIGN_DROP)))
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	if ((rc = exec_stmt(db, s)) != RL_OK)
		return rc;
	if (!(s = stmt(db, S_CSEED_ADD)))
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	if ((rc = exec_stmt(db, s)) != RL_OK)
		return rc;
	return rl_store_assignment_put(db, review_id, label_id, 1, 1,
				       "cluster", evidence, run_id);
}

int rl_store_cluster_seeds_each(rl_db *db, rl_pair_fn fn, void *ctx)
{
	return pairs_each(db, S_CSEEDS_ALL, fn, ctx);
}

int rl_store_cluster_members(rl_db *db, int64_t cluster, size_t limit,
			     rl_store_member_fn fn, void *ctx)
{
	uint64_t n;
	int rc = rl_store_cluster_find(db, cluster, &n);
	if (rc != RL_OK)
		return rc;
	sqlite3_stmt *s = stmt(db, S_CLUSTER_MEMBERS);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, cluster);
	sqlite3_bind_int64(s, 2, limit > INT64_MAX ? INT64_MAX
						   : (int64_t)limit);
	int r;
	while ((r = step(db, s)) == SQLITE_ROW) {
		rl_cluster_member m = {
			.id = (const char *)sqlite3_column_text(s, 1),
			.text = (const char *)sqlite3_column_text(s, 2),
			.similarity = sqlite3_column_double(s, 3),
			.label = (const char *)sqlite3_column_text(s, 4),
			.origin = (const char *)sqlite3_column_text(s, 5),
		};
		rc = fn(ctx, sqlite3_column_int64(s, 0), &m);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

typedef struct public_member {
	rl_cluster_member_fn fn;
	void *ctx;
} public_member;

static int on_public_member(void *ctx, int64_t review_id,
			    const rl_cluster_member *m)
{
	public_member *p = ctx;
	(void)review_id;
	return p->fn(p->ctx, m);
}

int rl_cluster_members(rl_db *db, int64_t cluster, size_t limit,
		       rl_cluster_member_fn fn, void *ctx)
{
	public_member p = { fn, ctx };
	rl_clear_error(db);
	return rl_store_cluster_members(db, cluster, limit, on_public_member,
					&p);
}

int rl_clusters_each(rl_db *db, rl_cluster_fn fn, void *ctx)
{
	const char **terms = NULL;
	rl_buf text = { 0 };
	size_t cap = 0;
	uint64_t n;
	int rc, r = SQLITE_DONE;
	rl_clear_error(db);
	/* Clusters are numbered from 0: cluster 0 exists if any does. */
	if ((rc = rl_store_cluster_find(db, 0, &n)) != RL_OK)
		return rc;
	sqlite3_stmt *s = stmt(db, S_CLUSTERS_ALL);
	rc = RL_EDB;
	if (!s)
		goto out;
	while ((r = step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		sqlite3_stmt *t = stmt(db, S_CLUSTER_TERMS);
		size_t n_terms = 0;
		int tr;
		rc = RL_EDB;
		if (!t)
			goto out;
		sqlite3_bind_int64(t, 1, id);
		/* The terms' text, NUL-separated, then pointers into it. */
		text.len = 0;
		while ((tr = step(db, t)) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(t, 0);
			size_t len = (size_t)sqlite3_column_bytes(t, 0);
			if ((rc = rl_buf_append(&text, v ? v : "", len)) !=
			    RL_OK || (rc = rl_buf_putc(&text, 0)) != RL_OK) {
				sqlite3_reset(t);
				goto out;
			}
			n_terms++;
		}
		sqlite3_reset(t);
		if (tr != SQLITE_DONE) {
			rc = RL_EDB;
			goto out;
		}
		if (n_terms + 1 > cap) {
			const char **g = realloc(terms, (n_terms + 1) *
						 sizeof *g);
			if (!g) {
				rc = RL_ENOMEM;
				goto out;
			}
			terms = g;
			cap = n_terms + 1;
		}
		const char *at = text.data;
		for (size_t i = 0; i < n_terms; i++) {
			terms[i] = at;
			at += strlen(at) + 1;
		}
		terms[n_terms] = NULL;
		rl_cluster_info ci = {
			.id = id,
			.size = (uint64_t)sqlite3_column_int64(s, 1),
			.terms = terms,
			.n_terms = n_terms,
			.terms_json = (const char *)sqlite3_column_text(s, 2),
		};
		if ((rc = fn(ctx, &ci)) != 0)
			goto out;
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	if (s)
		sqlite3_reset(s);
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "out of memory");
	free(terms);
	rl_buf_free(&text);
	return rc;
}
