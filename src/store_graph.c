/*
 * store_graph.c - the dense (LSA) vectors read a chunk at a time, for a
 * graph stage that keeps them in a compact form of its own and so never
 * holds them all as float (store_corpus.c's rl_store_vectors_load does).
 * A walk is one statement kept open between chunks; it is prepared for
 * the walk rather than kept in the handle's cache, and every step goes
 * through rl_sql_step, so tests can make any of them fail.
 *
 * And the writes of a refined graph: a review's list replaced and
 * recorded in graph_changes, which labelling reads and empties.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_impl.h"

struct rl_vector_walk {
	rl_db *db;
	sqlite3_stmt *s;
	uint32_t dim;
	int done;
};

int rl_store_lsa_count(rl_db *db, uint64_t *n, uint32_t *dim)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	*n = 0;
	*dim = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT count(*), max(dim) FROM "
			       "vectors v WHERE kind = 'lsa' AND " REVIEW_EXISTS,
			       -1, &s,
			       NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	if (rl_sql_step(db, s) != SQLITE_ROW)
		goto out;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	*dim = (uint32_t)sqlite3_column_int64(s, 1);
	rc = RL_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_store_lsa_walk_begin(rl_db *db, uint32_t dim, rl_vector_walk **out)
{
	*out = NULL;
	rl_vector_walk *w = calloc(1, sizeof *w);
	if (!w)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	w->db = db;
	w->dim = dim;
	if (sqlite3_prepare_v2(db->sql, "SELECT review_id, data FROM vectors "
			       "v WHERE kind = 'lsa' AND " REVIEW_EXISTS
			       " ORDER BY review_id", -1,
			       &w->s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		rl_store_lsa_walk_end(w);
		return RL_EDB;
	}
	*out = w;
	return RL_OK;
}

int rl_store_lsa_walk_next(rl_vector_walk *w, uint32_t m, int64_t *ids,
			   float *x, uint32_t *got)
{
	rl_db *db = w->db;
	size_t want = (size_t)w->dim * sizeof *x;
	*got = 0;
	while (!w->done && *got < m) {
		int r = rl_sql_step(db, w->s);
		if (r == SQLITE_DONE) {
			w->done = 1;
			break;
		}
		if (r != SQLITE_ROW)
			return RL_EDB;
		int64_t id = sqlite3_column_int64(w->s, 0);
		const void *p = sqlite3_column_blob(w->s, 1);
		size_t len = (size_t)sqlite3_column_bytes(w->s, 1);
		if (len != want || !p)
			return rl_fail(db, RL_EDB, "%s: review %lld: vector of "
				       "%zu bytes, not %zu", db->path,
				       (long long)id, len, want);
		if (ids)
			ids[*got] = id;
		/* A blob need not be aligned for float. */
		memcpy(x + (size_t)*got * w->dim, p, want);
		(*got)++;
	}
	return RL_OK;
}

void rl_store_lsa_walk_end(rl_vector_walk *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->s);
	free(w);
}

/* ---- the graph's changes (a refinement's, for labelling) ---- */

enum stmt_id {
	S_ROW_DEL,
	S_ROW_PUT,
	S_CHANGE_PUT,
	S_CHANGES_CLEAR,
	S_CHANGES_ALL,
	S_UNLABELLED,
	S_CORPUS_BEFORE_LABEL,
	S_SPREAD_CLEAR,
	S_SPREAD_PUT,
	S_SPREAD_ALL,
	S_DEL_SCORES,
	S_DEL_ASSIGN,
	S_DEL_PRED,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_ROW_DEL] = "DELETE FROM neighbours WHERE review_id = ?1",
	[S_ROW_PUT] =
		"INSERT INTO neighbours(review_id, rank, neighbour_id, "
		"similarity) VALUES (?1, ?2, ?3, ?4)",
	[S_CHANGE_PUT] =
		"INSERT OR IGNORE INTO graph_changes(review_id) VALUES (?1)",
	[S_CHANGES_CLEAR] = "DELETE FROM graph_changes",
	[S_CHANGES_ALL] = "SELECT review_id FROM graph_changes ORDER BY "
			  "review_id",
	[S_UNLABELLED] =
		"SELECT r.id FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM "
		"assignments a WHERE a.review_id = r.id) AND EXISTS (SELECT 1 "
		"FROM vectors v WHERE v.review_id = r.id) ORDER BY r.id",
	/* The corpus part of rl_store_labelling_inputs as it was when the
	 * last labelling began: the reviews imported before it. */
	[S_CORPUS_BEFORE_LABEL] =
		"SELECT count(*) || ',' || ifnull(max(id), 0) || ',' || "
		"ifnull(max(import_run), 0) FROM reviews WHERE import_run < "
		"(SELECT ifnull(max(id), 0) FROM runs WHERE stage = 'label')",
	[S_SPREAD_CLEAR] = "DELETE FROM spread",
	[S_SPREAD_PUT] =
		"INSERT OR REPLACE INTO spread(review_id, scores) VALUES "
		"(?1, ?2)",
	[S_SPREAD_ALL] = "SELECT review_id, scores FROM spread ORDER BY "
			 "review_id",
	[S_DEL_SCORES] = "DELETE FROM label_scores WHERE review_id = ?1",
	/* (a named cluster's label stays, as every labelling keeps it) */
	[S_DEL_ASSIGN] = "DELETE FROM assignments WHERE review_id = ?1 AND "
			 "source <> 'cluster'",
	[S_DEL_PRED] = "DELETE FROM predictions WHERE review_id = ?1 AND "
		       "model_id = ?2",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_GRAPH, id, stmt_sql[id]);
}

int rl_store_neighbours_replace(rl_db *db, int64_t review_id, uint32_t k,
				const int64_t *nb, const float *sim)
{
	sqlite3_stmt *s = stmt(db, S_ROW_DEL);
	if (s)
		sqlite3_bind_int64(s, 1, review_id);
	int rc = rl_sql_exec(db, s);
	for (uint32_t j = 0; rc == RL_OK && j < k; j++) {
		if (nb[j] < 0)
			continue;
		if (!(s = stmt(db, S_ROW_PUT)))
			return RL_EDB;
		sqlite3_bind_int64(s, 1, review_id);
		sqlite3_bind_int(s, 2, (int)j + 1);
		sqlite3_bind_int64(s, 3, nb[j]);
		sqlite3_bind_double(s, 4, sim[j]);
		rc = rl_sql_exec(db, s);
	}
	if (rc == RL_OK && (s = stmt(db, S_CHANGE_PUT)))
		sqlite3_bind_int64(s, 1, review_id);
	return rc == RL_OK ? rl_sql_exec(db, s) : rc;
}

int rl_store_graph_changes_clear(rl_db *db, const char *mode)
{
	int rc = rl_sql_exec(db, stmt(db, S_CHANGES_CLEAR));
	return rc == RL_OK ? rl_store_setting_set(db, GRAPH_CHANGES_KEY, mode)
			   : rc;
}

/* The ids s selects, into *ids [*n] (the caller frees). */
static int ids_of(rl_db *db, sqlite3_stmt *s, int64_t **ids, uint32_t *n)
{
	size_t cap = 0;
	int r, rc = RL_OK;
	*ids = NULL;
	*n = 0;
	if (!s)
		return RL_EDB;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			int64_t *p = realloc(*ids, cap * sizeof *p);
			if (!p) {
				rc = RL_ENOMEM;
				break;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc == RL_OK && r != SQLITE_DONE)
		rc = RL_EDB;
	if (rc != RL_OK) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

int rl_store_corpus_before_label(rl_db *db, rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, S_CORPUS_BEFORE_LABEL);
	if (!s || rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	int rc = rl_sql_copy_col(s, 0, out);
	sqlite3_reset(s);
	return rc;
}

int rl_store_unlabelled_ids(rl_db *db, int64_t **ids, uint32_t *n)
{
	return ids_of(db, stmt(db, S_UNLABELLED), ids, n);
}

int rl_store_graph_changes(rl_db *db, int *tracked, int64_t **ids,
			   uint32_t *n)
{
	rl_buf b = { 0 };
	*ids = NULL;
	*n = 0;
	int rc = rl_store_setting_get(db, GRAPH_CHANGES_KEY, &b);
	*tracked = rc == RL_OK && !strcmp(b.data, "tracked");
	rl_buf_free(&b);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		return rc;
	if (!*tracked)
		return RL_OK;
	return ids_of(db, stmt(db, S_CHANGES_ALL), ids, n);
}

/* ---- propagation's spread, for a warm start ---- */

int rl_store_spread_clear(rl_db *db)
{
	return rl_sql_exec(db, stmt(db, S_SPREAD_CLEAR));
}

int rl_store_spread_put(rl_db *db, int64_t review_id, const float *f,
			uint32_t L)
{
	sqlite3_stmt *s = stmt(db, S_SPREAD_PUT);
	if (s) {
		sqlite3_bind_int64(s, 1, review_id);
		sqlite3_bind_blob(s, 2, f, (int)(L * sizeof *f),
				  SQLITE_STATIC);
	}
	return rl_sql_exec(db, s);
}

int rl_store_spread_load(rl_db *db, const int64_t *ids, uint32_t n,
			 uint32_t L, double *P, uint8_t *has)
{
	memset(P, 0, (size_t)n * L * sizeof *P);
	memset(has, 0, n);
	float *f = malloc(((size_t)L + 1) * sizeof *f);
	sqlite3_stmt *s = f ? stmt(db, S_SPREAD_ALL) : NULL;
	if (!s) {
		free(f);
		return f ? RL_EDB : RL_ENOMEM;
	}
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int64_t i = rl_find_unique_id(ids, n,
					      sqlite3_column_int64(s, 0));
		const void *b = sqlite3_column_blob(s, 1);
		if (i < 0 || !b || (size_t)sqlite3_column_bytes(s, 1) !=
		    L * sizeof *f)
			continue;
		memcpy(f, b, L * sizeof *f);
		for (uint32_t l = 0; l < L; l++)
			P[(size_t)i * L + l] = f[l];
		has[i] = 1;
	}
	sqlite3_reset(s);
	free(f);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_review_labels_del(rl_db *db, int64_t review_id,
			       int64_t model_id)
{
	sqlite3_stmt *s = stmt(db, S_DEL_SCORES);
	if (s)
		sqlite3_bind_int64(s, 1, review_id);
	int rc = rl_sql_exec(db, s);
	if (rc == RL_OK && (s = stmt(db, S_DEL_ASSIGN)))
		sqlite3_bind_int64(s, 1, review_id);
	if (rc == RL_OK)
		rc = rl_sql_exec(db, s);
	if (rc == RL_OK && (s = stmt(db, S_DEL_PRED))) {
		sqlite3_bind_int64(s, 1, review_id);
		sqlite3_bind_int64(s, 2, model_id);
	}
	if (rc == RL_OK)
		rc = rl_sql_exec(db, s);
	return rc;
}
