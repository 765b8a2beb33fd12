/*
 * store_labels.c - labels in the store and what gives them: the labels,
 * hand labels (seeds of origin 'hand'), rules with their hits and the
 * record of which reviews were matched, the scores and assignments a
 * labelling writes, and clusters with the labels named from them (seeds
 * of origin 'cluster', assignments of source 'cluster').
 */
#include <string.h>

#include "store_impl.h"

enum stmt_id {
	S_LABEL_FIND,
	S_LABEL_ADD,
	S_LABELS_BY_ID,
	S_SEED_CLEAR,
	S_SEED_ADD,
	S_SEED_DROP,
	S_SEED_NAMES,
	S_SEEDS_ALL,
	S_RULES_ALL,
	S_RULE_DELETE,
	S_RULE_UPDATE,
	S_RULE_INSERT,
	S_HIT_PUT,
	S_SCANNED_PUT,
	S_SCANNED_ALL,
	S_HITS_BY_REVIEW,
	S_SCORES_CLEAR,
	S_SCORE_PUT,
	S_ASSIGN_CLEAR,
	S_ASSIGN_PUT,
	S_ASSIGN_KEEP,
	S_MEMBERS_CLEAR,
	S_CLUSTERS_CLEAR,
	S_CLUSTER_PUT,
	S_MEMBER_PUT,
	S_CLUSTER_FIND,
	S_CLUSTER_MEMBERS,
	S_CSEED_DROP,
	S_CASSIGN_DROP,
	S_CSEED_ADD,
	S_CSEEDS_ALL,
	S_ANN_ADOPT,
	S_ANN_CLEAR,
	S_ANN_ADD,
	S_ANN_DROP,
	S_ANN_OF,
	S_ANN_NAMES,
	S_ANN_ALL,
	S_SEED_OF,
	S_ANN_OTHERS,
	S_ANN_SECOND,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_LABEL_FIND] = "SELECT id FROM labels WHERE name = ?1",
	[S_LABEL_ADD] = "INSERT INTO labels(name) VALUES (?1)",
	[S_LABELS_BY_ID] = "SELECT id, name FROM labels ORDER BY id",
	/* The review's hand labels but ?2 (all of them for ?2 < 0). */
	[S_SEED_CLEAR] =
		"DELETE FROM seeds WHERE review_id = ?1 AND origin = 'hand' "
		"AND label_id <> ?2",
	/* A hand label already there stays as it was; a cluster-named one
	 * of the same label becomes a hand label, as a new row would. */
	[S_SEED_ADD] =
		"INSERT INTO seeds(review_id, label_id, origin) "
		"VALUES (?1, ?2, 'hand') ON CONFLICT(review_id, label_id) DO "
		"UPDATE SET origin = 'hand', created = excluded.created "
		"WHERE origin <> 'hand'",
	[S_SEED_DROP] =
		"DELETE FROM seeds WHERE review_id = ?1 AND label_id = ?2 AND "
		"origin = 'hand'",
	[S_SEED_NAMES] =
		"SELECT group_concat(name, ', ') FROM (SELECT l.name FROM "
		"seeds s JOIN labels l ON l.id = s.label_id WHERE "
		"s.review_id = ?1 AND s.origin = 'hand' ORDER BY l.name)",
	[S_SEEDS_ALL] =
		"SELECT review_id, label_id FROM seeds WHERE origin = 'hand' "
		"ORDER BY review_id",
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
	[S_HIT_PUT] =
		"INSERT OR IGNORE INTO rule_hits(rule_id, review_id, start, "
		"end) VALUES (?1, ?2, ?3, ?4)",
	[S_SCANNED_PUT] =
		"INSERT OR IGNORE INTO rule_scans(review_id) VALUES (?1)",
	[S_SCANNED_ALL] =
		"INSERT OR IGNORE INTO rule_scans(review_id) "
		"SELECT id FROM reviews",
	[S_HITS_BY_REVIEW] =
		"SELECT review_id, rule_id FROM rule_hits "
		"ORDER BY review_id, rule_id",
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
	/* A label from a named cluster, once written, stays as it was. */
	[S_ASSIGN_KEEP] =
		"INSERT OR IGNORE INTO assignments(review_id, label_id, "
		"confidence, margin, source, evidence, run_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_MEMBERS_CLEAR] = "DELETE FROM cluster_members",
	[S_CLUSTERS_CLEAR] = "DELETE FROM clusters",
	[S_CLUSTER_PUT] =
		"INSERT INTO clusters(id, size, terms, run_id) VALUES "
		"(?1, ?2, ?3, ?4)",
	[S_MEMBER_PUT] =
		"INSERT INTO cluster_members(review_id, cluster_id, "
		"similarity) VALUES (?1, ?2, ?3)",
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
	/* Hand labels no annotation backs (written to seeds by hand, or
	 * by an older revlab in a store upgraded since) become the unnamed
	 * annotator's, once, when the review's annotations are first
	 * touched: what they were stays what they are. */
	[S_ANN_ADOPT] =
		"INSERT INTO annotations(review_id, label_id, annotator) "
		"SELECT review_id, label_id, '' FROM seeds WHERE review_id = "
		"?1 AND origin = 'hand' AND NOT EXISTS (SELECT 1 FROM "
		"annotations WHERE review_id = ?1) ORDER BY label_id",
	/* Annotator ?2's answers on the review but ?3 (?2 NULL: every
	 * annotator's). */
	[S_ANN_CLEAR] =
		"DELETE FROM annotations WHERE review_id = ?1 AND (?2 IS NULL "
		"OR annotator = ?2) AND label_id <> ?3",
	[S_ANN_ADD] =
		"INSERT OR IGNORE INTO annotations(review_id, label_id, "
		"annotator) VALUES (?1, ?2, ?3)",
	[S_ANN_DROP] =
		"DELETE FROM annotations WHERE review_id = ?1 AND label_id = "
		"?2 AND (?3 IS NULL OR annotator = ?3)",
	/* Oldest answer first. */
	[S_ANN_OF] =
		"SELECT label_id, annotator FROM annotations WHERE review_id = "
		"?1 ORDER BY id",
	[S_ANN_NAMES] =
		"SELECT group_concat(who || ': ' || names, '; ') FROM (SELECT "
		"CASE a.annotator WHEN '' THEN '(unnamed)' ELSE a.annotator "
		"END AS who, group_concat(l.name, ', ') AS names FROM (SELECT "
		"* FROM annotations WHERE review_id = ?1 ORDER BY label_id) a "
		"JOIN labels l ON l.id = a.label_id GROUP BY a.annotator "
		"ORDER BY a.annotator)",
	[S_ANN_ALL] =
		"SELECT a.review_id, r.ext_id, a.label_id, l.name, "
		"a.annotator, a.id FROM annotations a JOIN reviews r ON r.id = "
		"a.review_id JOIN labels l ON l.id = a.label_id "
		"ORDER BY a.review_id, a.annotator, l.name",
	[S_ANN_OTHERS] =
		"SELECT count(*) FROM annotations WHERE review_id = ?1 AND "
		"annotator <> ?2",
	/* Reviews someone labelled and ?1 did not, shuffled by seed ?2 as
	 * rl_unlabelled shuffles (store_read.c). */
	[S_ANN_SECOND] =
		"SELECT r.ext_id, r.text FROM reviews r WHERE EXISTS (SELECT 1 "
		"FROM annotations a WHERE a.review_id = r.id AND "
		"a.annotator <> ?1) AND NOT EXISTS (SELECT 1 FROM annotations "
		"a WHERE a.review_id = r.id AND a.annotator = ?1) ORDER BY "
		"(r.id * 2654435761 + ?2) % 4294967291, r.id LIMIT ?3",
	[S_SEED_OF] =
		"SELECT label_id FROM seeds WHERE review_id = ?1 AND origin = "
		"'hand' ORDER BY label_id",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

/* Statement `id` of this file (see rl_sql_stmt). */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_LABELS, id, stmt_sql[id]);
}

static int pairs_each(rl_db *db, enum stmt_id id, rl_pair_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, id);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
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

/* ---- labels and hand labels ---- */

int rl_store_label_get(rl_db *db, const char *name, int create, int64_t *id,
		       int *created)
{
	sqlite3_stmt *s = stmt(db, S_LABEL_FIND);
	if (!s)
		return RL_EDB;
	if (created)
		*created = 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int r = rl_sql_step(db, s);
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
	int rc = rl_sql_exec(db, s);
	if (rc == RL_OK) {
		*id = sqlite3_last_insert_rowid(db->sql);
		if (created)
			*created = 1;
	}
	return rc;
}

int rl_store_labels_each(rl_db *db, rl_name_fn fn, void *ctx)
{
	return rl_sql_names_each(db, stmt(db, S_LABELS_BY_ID), fn, ctx);
}

int rl_store_seed_set(rl_db *db, int64_t review_id, int64_t label_id)
{
	sqlite3_stmt *s = stmt(db, S_SEED_CLEAR);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	int rc = rl_sql_exec(db, s);
	if (rc != RL_OK || label_id < 0)
		return rc;
	return rl_store_seed_add(db, review_id, label_id);
}

int rl_store_seed_add(rl_db *db, int64_t review_id, int64_t label_id)
{
	sqlite3_stmt *s = stmt(db, S_SEED_ADD);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	return rl_sql_exec(db, s);
}

int rl_store_seed_drop(rl_db *db, int64_t review_id, int64_t label_id)
{
	sqlite3_stmt *s = stmt(db, S_SEED_DROP);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	return rl_sql_exec(db, s);
}

/* The one text column statement `which` gives for review_id, into out
 * (an aggregate, so it always has a row). */
static int review_text(rl_db *db, enum stmt_id which, int64_t review_id,
		       rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, which);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	if (rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	int rc = rl_sql_copy_col(s, 0, out);
	sqlite3_reset(s);
	return rc;
}

int rl_store_seed_names(rl_db *db, int64_t review_id, rl_buf *out)
{
	return review_text(db, S_SEED_NAMES, review_id, out);
}

int rl_store_seeds_each(rl_db *db, rl_pair_fn fn, void *ctx)
{
	return pairs_each(db, S_SEEDS_ALL, fn, ctx);
}

/* ---- annotations: who said what ---- */

static void bind_opt_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int rl_store_ann_adopt(rl_db *db, int64_t review_id)
{
	sqlite3_stmt *s = stmt(db, S_ANN_ADOPT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	return rl_sql_exec(db, s);
}

int rl_store_ann_clear(rl_db *db, int64_t review_id, const char *annotator,
		       int64_t keep)
{
	sqlite3_stmt *s = stmt(db, S_ANN_CLEAR);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	bind_opt_text(s, 2, annotator);
	sqlite3_bind_int64(s, 3, keep);
	return rl_sql_exec(db, s);
}

int rl_store_ann_add(rl_db *db, int64_t review_id, int64_t label_id,
		     const char *annotator)
{
	sqlite3_stmt *s = stmt(db, S_ANN_ADD);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	sqlite3_bind_text(s, 3, annotator, -1, SQLITE_STATIC);
	return rl_sql_exec(db, s);
}

int rl_store_ann_drop(rl_db *db, int64_t review_id, int64_t label_id,
		      const char *annotator)
{
	sqlite3_stmt *s = stmt(db, S_ANN_DROP);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	bind_opt_text(s, 3, annotator);
	return rl_sql_exec(db, s);
}

int rl_store_ann_of(rl_db *db, int64_t review_id, rl_ann_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_ANN_OF);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	/* (label id, annotator): the shape rl_sql_names_each walks */
	return rl_sql_names_each(db, s, fn, ctx);
}

int rl_store_ann_names(rl_db *db, int64_t review_id, rl_buf *out)
{
	return review_text(db, S_ANN_NAMES, review_id, out);
}

int rl_store_annotations_each(rl_db *db, rl_ann_row_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_ANN_ALL);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_ann_row row = {
			.review_id = sqlite3_column_int64(s, 0),
			.ext_id = (const char *)sqlite3_column_text(s, 1),
			.label_id = sqlite3_column_int64(s, 2),
			.label = (const char *)sqlite3_column_text(s, 3),
			.annotator = (const char *)sqlite3_column_text(s, 4),
			.order = sqlite3_column_int64(s, 5),
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

int rl_store_ann_others(rl_db *db, int64_t review_id, const char *annotator,
			uint64_t *n)
{
	sqlite3_stmt *s = stmt(db, S_ANN_OTHERS);
	*n = 0;
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_text(s, 2, annotator, -1, SQLITE_STATIC);
	if (rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return RL_OK;
}

int rl_second_opinions(rl_db *db, const char *annotator, uint64_t seed,
		       size_t limit, rl_review_info_fn fn, void *ctx)
{
	rl_clear_error(db);
	sqlite3_stmt *s = stmt(db, S_ANN_SECOND);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, annotator ? annotator : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)(seed % 4294967291u));
	sqlite3_bind_int64(s, 3, limit > INT64_MAX ? INT64_MAX
						   : (int64_t)limit);
	return rl_sql_review_infos(db, s, fn, ctx);
}

int rl_store_seed_of(rl_db *db, int64_t review_id, int64_t *ids, size_t cap,
		     size_t *n)
{
	sqlite3_stmt *s = stmt(db, S_SEED_OF);
	*n = 0;
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		if (*n < cap)
			ids[*n] = sqlite3_column_int64(s, 0);
		(*n)++;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* ---- rules and their hits ---- */

int rl_store_rules_each(rl_db *db, rl_rule_row_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_RULES_ALL);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
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
	return rl_sql_exec(db, s);
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
		return rl_sql_exec(db, s);
	}
	sqlite3_bind_int(s, 1, line);
	sqlite3_bind_int64(s, 2, label_id);
	sqlite3_bind_int(s, 3, negate);
	sqlite3_bind_text(s, 4, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 5, weight);
	sqlite3_bind_text(s, 6, source, -1, SQLITE_STATIC);
	int rc = rl_sql_exec(db, s);
	if (rc == RL_OK)
		*id = sqlite3_last_insert_rowid(db->sql);
	return rc;
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
	return rl_sql_exec(db, s);
}

int rl_store_scanned_put(rl_db *db, int64_t review_id)
{
	sqlite3_stmt *s = stmt(db, S_SCANNED_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	return rl_sql_exec(db, s);
}

int rl_store_scanned_all(rl_db *db)
{
	return rl_sql_exec(db, stmt(db, S_SCANNED_ALL));
}

int rl_store_hits_each(rl_db *db, rl_pair_fn fn, void *ctx)
{
	return pairs_each(db, S_HITS_BY_REVIEW, fn, ctx);
}

/* ---- scores and assignments ---- */

int rl_store_scores_clear(rl_db *db)
{
	int rc = rl_sql_exec(db, stmt(db, S_SCORES_CLEAR));
	return rc == RL_OK ? rl_sql_exec(db, stmt(db, S_ASSIGN_CLEAR)) : rc;
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
	return rl_sql_exec(db, s);
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
	return rl_sql_exec(db, s);
}

int rl_store_propagated_each(rl_db *db, rl_soft_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB, r;
	if (sqlite3_prepare_v2(db->sql, "SELECT review_id, label_id, "
			       "confidence FROM assignments WHERE source IN "
			       "('propagation', 'model') ORDER BY review_id",
			       -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
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

/* ---- clusters ---- */

int rl_store_clusters_clear(rl_db *db)
{
	int rc = rl_sql_exec(db, stmt(db, S_MEMBERS_CLEAR));
	return rc == RL_OK ? rl_sql_exec(db, stmt(db, S_CLUSTERS_CLEAR)) : rc;
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
	return rl_sql_exec(db, s);
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
	return rl_sql_exec(db, s);
}

int rl_store_cluster_find(rl_db *db, int64_t id, uint64_t *n_clusters)
{
	sqlite3_stmt *s = stmt(db, S_CLUSTER_FIND);
	*n_clusters = 0;
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	int r = rl_sql_step(db, s);
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
	if ((rc = rl_sql_exec(db, s)) != RL_OK)
		return rc;
	if (!(s = stmt(db, S_CASSIGN_DROP)))
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	if ((rc = rl_sql_exec(db, s)) != RL_OK)
		return rc;
	if (!(s = stmt(db, S_CSEED_ADD)))
		return RL_EDB;
	sqlite3_bind_int64(s, 1, review_id);
	sqlite3_bind_int64(s, 2, label_id);
	if ((rc = rl_sql_exec(db, s)) != RL_OK)
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
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
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
