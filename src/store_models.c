/*
 * store_models.c - trained classifiers in the store (models: their
 * weights blob is the [n_cols + 1][n_labels] doubles of rl_stored_model,
 * as they are in memory), the predictions a model made for the corpus,
 * and evaluation reports (evals).
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

enum stmt_id {
	S_MODEL_PUT,
	S_MODEL_GET,
	S_MODEL_LABELS,
	S_PRED_CLEAR,
	S_PRED_PUT,
	S_EVAL_PUT,
	S_EVAL_LAST,
	S_PRUNE_MODELS,
	S_PRUNE_EVALS,
	S_PRUNE_RUNS,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_MODEL_PUT] =
		"INSERT INTO models(kind, params, labels, weights, metrics, "
		"run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_MODEL_GET] =
		"SELECT id, kind, json_extract(params, '$.fit'), "
		"json_extract(params, '$.n_cols'), weights, "
		"coalesce(json_extract(params, '$.temperature'), 1), created, "
		"json_extract(params, '$.thresholds'), params "
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
	/* Keep the newest ?1: below the (?1+1)-th newest id (NULL, so
	 * nothing, when there are fewer). Predictions go with their model
	 * (ON DELETE CASCADE). */
	[S_PRUNE_MODELS] =
		"DELETE FROM models WHERE id <= (SELECT id FROM models ORDER "
		"BY id DESC LIMIT 1 OFFSET ?1)",
	[S_PRUNE_EVALS] =
		"DELETE FROM evals WHERE id <= (SELECT id FROM evals ORDER BY "
		"id DESC LIMIT 1 OFFSET ?1)",
	[S_PRUNE_RUNS] =
		"DELETE FROM runs WHERE id <= (SELECT id FROM runs ORDER BY id "
		"DESC LIMIT 1 OFFSET ?1) AND id NOT IN (SELECT import_run FROM "
		"reviews WHERE import_run IS NOT NULL) AND id NOT IN (SELECT "
		"run_id FROM assignments WHERE run_id IS NOT NULL) AND id NOT "
		"IN (SELECT run_id FROM models WHERE run_id IS NOT NULL) AND id "
		"NOT IN (SELECT run_id FROM evals WHERE run_id IS NOT NULL) AND "
		"id NOT IN (SELECT run_id FROM clusters WHERE run_id IS NOT "
		"NULL)",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

/* Statement `id` of this file (see rl_sql_stmt). */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_MODELS, id, stmt_sql[id]);
}

/* ---- models and predictions ---- */

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
	int rc = rl_sql_exec(db, s);
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
	int r = rl_sql_step(db, s);
	if (r == SQLITE_DONE && want)
		return rl_fail(db, RL_ENOTFOUND, "no model %lld",
			       (long long)want);
	if (r == SQLITE_DONE)
		return rl_fail_need(db, RL_ENOTFOUND, RL_NEED_MODEL,
				    "no model yet");
	if (r != SQLITE_ROW)
		return RL_EDB;
	m->id = sqlite3_column_int64(s, 0);
	int rc = rl_sql_copy_col(s, 1, &m->kind);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 2, &m->fit);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 6, &m->created);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 8, &m->params);
	m->n_cols = (uint32_t)sqlite3_column_int64(s, 3);
	/* A multi-label model's thresholds, a JSON array of numbers. */
	const char *th = (const char *)sqlite3_column_text(s, 7);
	for (const char *q = th; rc == RL_OK && q && *q && *q != ']';) {
		char *end;
		q += strspn(q, "[, ");
		if (*q == ']' || !*q)
			break;
		double v = strtod(q, &end);
		if (end == q)
			break;
		double *t = realloc(m->thresholds, (m->n_thresholds + 1) *
				    sizeof *t);
		if (!t) {
			rc = RL_ENOMEM;
			break;
		}
		m->thresholds = t;
		t[m->n_thresholds++] = v;
		q = end;
	}
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
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
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
	free(m->thresholds);
	rl_buf_free(&m->kind);
	rl_buf_free(&m->fit);
	rl_buf_free(&m->created);
	rl_buf_free(&m->params);
	memset(m, 0, sizeof *m);
}

int rl_store_models_prune(rl_db *db, int keep)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, "DELETE FROM models WHERE id NOT IN "
			       "(SELECT id FROM models ORDER BY id DESC "
			       "LIMIT ?1)", -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_int(s, 1, keep);
	rc = rl_sql_exec(db, s);
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_store_predictions_clear(rl_db *db, int64_t model_id)
{
	sqlite3_stmt *s = stmt(db, S_PRED_CLEAR);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, model_id);
	return rl_sql_exec(db, s);
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
	return rl_sql_exec(db, s);
}

/* ---- evaluations ---- */

int rl_store_eval_put(rl_db *db, int64_t run_id, const char *result,
		      int64_t *id)
{
	sqlite3_stmt *s = stmt(db, S_EVAL_PUT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, result, -1, SQLITE_STATIC);
	int rc = rl_sql_exec(db, s);
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
	int r = rl_sql_step(db, s);
	if (r == SQLITE_DONE)
		return RL_ENOTFOUND;
	if (r != SQLITE_ROW)
		return RL_EDB;
	*id = sqlite3_column_int64(s, 0);
	int rc = rl_sql_copy_col(s, 1, created);
	if (rc == RL_OK)
		rc = rl_sql_copy_col(s, 2, result);
	sqlite3_reset(s);
	return rc;
}

/* ---- history ---- */

int rl_store_history_prune(rl_db *db, int models, int evals, int runs)
{
	const enum stmt_id ids[3] = { S_PRUNE_MODELS, S_PRUNE_EVALS,
				      S_PRUNE_RUNS };
	const int keep[3] = { models, evals, runs };
	/* Models first: a pruned model frees its run for the last. */
	for (int q = 0; q < 3; q++) {
		sqlite3_stmt *s = stmt(db, ids[q]);
		if (s)
			sqlite3_bind_int(s, 1, keep[q]);
		int rc = rl_sql_exec(db, s);
		if (rc != RL_OK)
			return rc;
	}
	return RL_OK;
}
