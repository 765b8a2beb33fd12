/*
 * store_graph.c - the dense (LSA) vectors read a chunk at a time, for a
 * graph stage that keeps them in a compact form of its own and so never
 * holds them all as float (store_corpus.c's rl_store_vectors_load does).
 * A walk is one statement kept open between chunks; it is prepared for
 * the walk rather than kept in the handle's cache, and every step goes
 * through rl_sql_step, so tests can make any of them fail.
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
			       "vectors WHERE kind = 'lsa'", -1, &s,
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
			       "WHERE kind = 'lsa' ORDER BY review_id", -1,
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
