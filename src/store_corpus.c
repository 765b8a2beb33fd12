/*
 * store_corpus.c - the corpus in the store: reviews; their tokens and the
 * vocabulary (terms); the vectorizer (features, the LSA projection) and
 * each review's vectors; the neighbour graph. The blobs' byte formats
 * live here, each encoder beside its decoder: callers hand over and get
 * back flat arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

enum stmt_id {
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
	S_REVIEW_BY_EXT,
	S_REVIEW_IDS,
	S_REVIEW_IDS_VECTORIZED,
	S_REVIEWS_AFTER,
	S_UNSCANNED_AFTER,
	S_REVIEWS_META_AFTER,
	S_UNSCANNED_META_AFTER,
	S_META_EACH,
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
	S_FEATURE_NAMES,
	S_PROJ_CLEAR,
	S_PROJ_PUT,
	S_PROJ_GET,
	S_VECTORS_CLEAR,
	S_VECTOR_PUT,
	S_VECTORS_COUNT,
	S_VECTORS_ALL,
	S_VECTORS_RANGE,
	S_NEIGHBOURS_CLEAR,
	S_NEIGHBOURS_PRUNE,
	S_NEIGHBOUR_PUT,
	S_NEIGHBOURS_ALL,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_REVIEW_INSERT] =
		"INSERT INTO reviews(ext_id, text, meta, source, source_line, "
		"import_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT(ext_id) DO NOTHING",
	[S_REVIEW_FIND] =
		"SELECT id, import_run, source_line FROM reviews "
		"WHERE ext_id = ?1",
	[S_REVIEW_TEXT] = "SELECT text, meta FROM reviews WHERE id = ?1",
	[S_REVIEW_UPDATE] =
		"UPDATE reviews SET text = ?2, meta = ?3, source = ?4, "
		"source_line = ?5, import_run = ?6 WHERE id = ?1",
	[S_DEL_TOKENS] = "DELETE FROM review_tokens WHERE review_id = ?1",
	[S_DEL_VECTORS] = "DELETE FROM vectors WHERE review_id = ?1",
	[S_DEL_HITS] = "DELETE FROM rule_hits WHERE review_id = ?1",
	[S_DEL_NEIGHBOURS] = "DELETE FROM neighbours WHERE review_id = ?1",
	[S_DEL_SCORES] = "DELETE FROM label_scores WHERE review_id = ?1",
	[S_DEL_ASSIGN] = "DELETE FROM assignments WHERE review_id = ?1",
	[S_DEL_PRED] = "DELETE FROM predictions WHERE review_id = ?1",
	[S_DEL_SCANS] = "DELETE FROM rule_scans WHERE review_id = ?1",
	[S_REVIEW_BY_EXT] = "SELECT id FROM reviews WHERE ext_id = ?1",
	[S_REVIEW_IDS] = "SELECT id FROM reviews ORDER BY id",
	[S_REVIEW_IDS_VECTORIZED] =
		"SELECT id FROM reviews r WHERE EXISTS (SELECT 1 FROM vectors "
		"v WHERE v.review_id = r.id) ORDER BY id",
	[S_REVIEWS_AFTER] =
		"SELECT id, ext_id, text FROM reviews WHERE id > ?1 "
		"ORDER BY id LIMIT ?2",
	[S_UNSCANNED_AFTER] =
		"SELECT r.id, r.ext_id, r.text FROM reviews r WHERE r.id > ?1 "
		"AND NOT EXISTS (SELECT 1 FROM rule_scans s WHERE "
		"s.review_id = r.id) ORDER BY r.id LIMIT ?2",
	[S_REVIEWS_META_AFTER] =
		"SELECT id, ext_id, text, meta FROM reviews WHERE id > ?1 "
		"ORDER BY id LIMIT ?2",
	[S_UNSCANNED_META_AFTER] =
		"SELECT r.id, r.ext_id, r.text, r.meta FROM reviews r WHERE "
		"r.id > ?1 AND NOT EXISTS (SELECT 1 FROM rule_scans s WHERE "
		"s.review_id = r.id) ORDER BY r.id LIMIT ?2",
	/* JSON's true and false as words, nulls left out; numbers in
	 * their JSON text, nested values as JSON. */
	[S_META_EACH] =
		"SELECT key, CASE type WHEN 'true' THEN 'true' WHEN 'false' "
		"THEN 'false' ELSE value END FROM json_each(?1) "
		"WHERE type != 'null' AND key IS NOT NULL",
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
	[S_TOKSET_COUNT_ALL] = "SELECT count(*) FROM review_tokens",
	[S_TOKSET_COUNT_MISSING] =
		"SELECT count(*) FROM review_tokens t WHERE NOT EXISTS "
		"(SELECT 1 FROM vectors v WHERE v.review_id = t.review_id "
		"AND v.kind = ?1)",
	[S_TOKSET_ALL] =
		"SELECT review_id, n_tokens, tokens FROM review_tokens "
		"WHERE review_id > ?2 ORDER BY review_id LIMIT ?3",
	[S_TOKSET_MISSING] =
		"SELECT review_id, n_tokens, tokens FROM review_tokens t "
		"WHERE review_id > ?2 AND NOT EXISTS (SELECT 1 FROM vectors v "
		"WHERE v.review_id = t.review_id AND v.kind = ?1) "
		"ORDER BY review_id LIMIT ?3",
	[S_FEATURES_CLEAR] = "DELETE FROM features",
	[S_FEATURE_ADD] =
		"INSERT INTO features(id, term_a, term_b, feature, df, idf) "
		"VALUES (?1, ?2, ?3, (SELECT term FROM terms WHERE id = ?2) || "
		"coalesce(' ' || (SELECT term FROM terms WHERE id = ?3), ''), "
		"?4, ?5)",
	[S_FEATURES_ALL] =
		"SELECT id, term_a, term_b, df, idf FROM features ORDER BY id",
	[S_FEATURE_NAMES] = "SELECT id, feature FROM features ORDER BY id",
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
		"SELECT count(*), max(dim) FROM vectors v WHERE kind = ?1 "
		"AND " REVIEW_EXISTS,
	[S_VECTORS_ALL] =
		"SELECT review_id, dim, data FROM vectors v WHERE kind = ?1 "
		"AND " REVIEW_EXISTS " ORDER BY review_id",
	/* Both kinds of the reviews in an id range, in the key's order:
	 * a review's 'lsa' row before its 'tfidf' row. */
	[S_VECTORS_RANGE] =
		"SELECT review_id, kind, data FROM vectors WHERE review_id "
		"BETWEEN ?1 AND ?2 AND kind IN ('lsa', 'tfidf') "
		"ORDER BY review_id, kind",
	[S_NEIGHBOURS_CLEAR] = "DELETE FROM neighbours",
	/* One pass over the edges, each looked up in vectors' key. */
	[S_NEIGHBOURS_PRUNE] =
		"DELETE FROM neighbours WHERE NOT EXISTS (SELECT 1 FROM "
		"vectors v WHERE v.review_id = neighbours.neighbour_id)",
	[S_NEIGHBOUR_PUT] =
		"INSERT INTO neighbours(review_id, rank, neighbour_id, "
		"similarity) VALUES (?1, ?2, ?3, ?4)",
	[S_NEIGHBOURS_ALL] =
		"SELECT review_id, rank, neighbour_id, similarity FROM "
		"neighbours ORDER BY review_id, rank",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

/* Statement `id` of this file (see rl_sql_stmt). */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_CORPUS, id, stmt_sql[id]);
}

/* ---- reviews ---- */

static void bind_review(sqlite3_stmt *s, const rl_review_in *r, int first,
			int64_t run_id)
{
	rl_sql_bind_text(s, first, r->text, r->text_len);
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
	rl_sql_bind_text(s, 1, r->ext_id, r->id_len);
	bind_review(s, r, 2, run_id);
	int rc = rl_sql_exec(db, s);
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
	rl_sql_bind_text(s, 1, r->ext_id, r->id_len);
	rc = rl_sql_step(db, s);
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
	if (rl_sql_step(db, s) != SQLITE_ROW)
		return RL_EDB;
	*changed = (size_t)sqlite3_column_bytes(s, 0) != r->text_len ||
		   memcmp(sqlite3_column_blob(s, 0), r->text,
			  r->text_len) != 0;
	const char *old_meta = (const char *)sqlite3_column_text(s, 1);
	int meta_changed = strcmp(old_meta ? old_meta : "{}",
				  r->meta ? r->meta : "{}") != 0;
	sqlite3_reset(s);

	s = stmt(db, S_REVIEW_UPDATE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, id);
	bind_review(s, r, 2, run_id);
	int rc = rl_sql_exec(db, s);
	if (rc != RL_OK)
		return rc;
	/* Rules may test the metadata: their hits on the review are matched
	 * again (by `rules apply`) when it changes. */
	if (!*changed && meta_changed) {
		static const enum stmt_id by_meta[] = { S_DEL_HITS,
							S_DEL_SCANS };
		for (size_t i = 0; i < 2 && rc == RL_OK; i++) {
			if (!(s = stmt(db, by_meta[i])))
				return RL_EDB;
			sqlite3_bind_int64(s, 1, id);
			rc = rl_sql_exec(db, s);
		}
		return rc;
	}
	if (!*changed)
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
		if ((rc = rl_sql_exec(db, s)) != RL_OK)
			return rc;
	}
	return RL_OK;
}

int rl_store_review_id(rl_db *db, const char *ext_id, size_t len,
		       int64_t *id)
{
	sqlite3_stmt *s = stmt(db, S_REVIEW_BY_EXT);
	if (!s)
		return RL_EDB;
	rl_sql_bind_text(s, 1, ext_id, len);
	int r = rl_sql_step(db, s);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? RL_OK : r == SQLITE_DONE ? RL_ENOTFOUND
							  : RL_EDB;
}

/* The ids that statement q selects, ascending; at most as many as there
 * are reviews. */
static int review_ids(rl_db *db, enum stmt_id q, int64_t **ids, uint32_t *n)
{
	uint64_t count = 0;
	*ids = NULL;
	*n = 0;
	int rc = rl_sql_count(db, "SELECT count(*) FROM reviews", &count);
	if (rc != RL_OK)
		return rc;
	*ids = malloc((count ? count : 1) * sizeof **ids);
	if (!*ids)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	sqlite3_stmt *s = stmt(db, q);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW && *n < count)
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

int rl_store_review_ids(rl_db *db, int64_t **ids, uint32_t *n)
{
	return review_ids(db, S_REVIEW_IDS, ids, n);
}

int rl_store_review_ids_vectorized(rl_db *db, int64_t **ids, uint32_t *n)
{
	return review_ids(db, S_REVIEW_IDS_VECTORIZED, ids, n);
}

int rl_store_count_reviews(rl_db *db, uint64_t *n)
{
	return rl_sql_count(db, "SELECT count(*) FROM reviews", n);
}

/* The walk both batch readers share: statement which, bound to (after,
 * limit), selects id, ext_id, text and (with meta_fn) the metadata; each
 * row goes to fn or meta_fn, and *last follows the rows handed over. */
static int reviews_batch(rl_db *db, enum stmt_id which, int64_t after,
			 int limit, rl_review_fn fn,
			 rl_review_meta_fn meta_fn, void *ctx, int64_t *last)
{
	sqlite3_stmt *s = stmt(db, which);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *ext = (const char *)sqlite3_column_text(s, 1);
		const char *t = (const char *)sqlite3_column_text(s, 2);
		size_t n = (size_t)sqlite3_column_bytes(s, 2);
		ext = ext ? ext : "";
		t = t ? t : "";
		int rc;
		if (meta_fn) {
			const char *meta =
				(const char *)sqlite3_column_text(s, 3);
			rc = meta_fn(ctx, id, ext, t, n, meta ? meta : "{}");
		} else {
			rc = fn(ctx, id, ext, t, n);
		}
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
		*last = id;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_reviews_batch(rl_db *db, int unscanned, int64_t after,
			   int limit, rl_review_fn fn, void *ctx,
			   int64_t *last)
{
	return reviews_batch(db, unscanned ? S_UNSCANNED_AFTER
					   : S_REVIEWS_AFTER,
			     after, limit, fn, NULL, ctx, last);
}

int rl_store_reviews_batch_meta(rl_db *db, int unscanned, int64_t after,
				int limit, rl_review_meta_fn fn, void *ctx,
				int64_t *last)
{
	return reviews_batch(db, unscanned ? S_UNSCANNED_META_AFTER
					   : S_REVIEWS_META_AFTER,
			     after, limit, NULL, fn, ctx, last);
}

int rl_store_meta_each(rl_db *db, const char *meta, rl_meta_field_fn fn,
		       void *ctx)
{
	sqlite3_stmt *s = stmt(db, S_META_EACH);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, meta, -1, SQLITE_STATIC);
	int r = SQLITE_DONE, rc = RL_OK;
	while (rc == RL_OK && (r = rl_sql_step(db, s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);
		rc = fn(ctx, k ? k : "", v ? v : "");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != RL_OK)
		return rc;
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
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
	while ((rc = rl_sql_step(db, s)) == SQLITE_ROW) {
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
	while (rc == RL_OK && (r = rl_sql_step(db, s)) == SQLITE_ROW) {
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
	rl_sql_bind_text(s, 2, term, len);
	return rl_sql_exec(db, s);
}

int rl_store_tokens_clear(rl_db *db)
{
	int rc = rl_sql_exec(db, stmt(db, S_TOKENS_CLEAR));
	return rc == RL_OK ? rl_sql_exec(db, stmt(db, S_TERMS_CLEAR)) : rc;
}

int rl_store_untokenized_count(rl_db *db, uint64_t *n)
{
	sqlite3_stmt *s = stmt(db, S_UNTOK_COUNT);
	if (!s || rl_sql_step(db, s) != SQLITE_ROW)
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
	while ((rc = rl_sql_step(db, s)) == SQLITE_ROW) {
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
	return rl_sql_exec(db, s);
}

/* The kind a review's vectors are stored under. */
static const char *kind_text(rl_vectors kind)
{
	return kind == RL_VECTORS_LSA ? "lsa" : "tfidf";
}

int rl_store_tokens_count(rl_db *db, int unvectorized, uint64_t *n)
{
	*n = 0;
	sqlite3_stmt *s = stmt(db, unvectorized ? S_TOKSET_COUNT_MISSING
						: S_TOKSET_COUNT_ALL);
	if (!s)
		return RL_EDB;
	/* LSA vectors are written last, so a review without one has no
	 * complete vectors. */
	if (unvectorized)
		sqlite3_bind_text(s, 1, kind_text(RL_VECTORS_LSA), -1,
				  SQLITE_STATIC);
	int r = rl_sql_step(db, s);
	if (r == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? RL_OK : RL_EDB;
}

void rl_token_walk_free(rl_token_walk *w)
{
	if (!w)
		return;
	rl_token_set_free(&w->set);
	w->cap = 0;
	w->tok_cap = 0;
}

/* Room for one more review and `len` more tokens in w's batch. */
static int walk_room(rl_token_walk *w, uint64_t len)
{
	rl_token_set *t = &w->set;
	if (t->n == w->cap) {
		if (w->cap >= UINT32_MAX / 2)
			return RL_ENOMEM;
		uint32_t cap = w->cap ? w->cap * 2 : 64;
		int64_t *ids = realloc(t->review_ids, cap * sizeof *ids);
		if (!ids)
			return RL_ENOMEM;
		t->review_ids = ids;
		uint64_t *off = realloc(t->doc_off,
					((size_t)cap + 1) * sizeof *off);
		if (!off)
			return RL_ENOMEM;
		t->doc_off = off;
		w->cap = cap;
	}
	uint64_t need = t->doc_off[t->n] + len;
	if (need > w->tok_cap) {
		uint64_t cap = w->tok_cap ? w->tok_cap : 4096;
		while (cap < need)
			cap *= 2;
		uint32_t *tok = realloc(t->tokens, cap * sizeof *tok);
		if (!tok)
			return RL_ENOMEM;
		t->tokens = tok;
		w->tok_cap = cap;
	}
	return RL_OK;
}

/* A review's tokens are stored as varints (rl_store_tokens_put). */
int rl_store_tokens_next(rl_db *db, rl_token_walk *w, uint32_t limit)
{
	rl_token_set *t = &w->set;
	t->n = 0;
	if (!t->doc_off) {
		if (!(t->doc_off = calloc(1, sizeof *t->doc_off)))
			return rl_fail(db, RL_ENOMEM, "out of memory");
	}
	t->doc_off[0] = 0;
	sqlite3_stmt *s = stmt(db, w->unvectorized ? S_TOKSET_MISSING
						   : S_TOKSET_ALL);
	if (!s)
		return RL_EDB;
	if (w->unvectorized)
		sqlite3_bind_text(s, 1, kind_text(RL_VECTORS_LSA), -1,
				  SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, w->after);
	sqlite3_bind_int64(s, 3, limit);
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const unsigned char *p = sqlite3_column_blob(s, 2);
		size_t bytes = (size_t)sqlite3_column_bytes(s, 2);
		/* Each token takes a byte at least. */
		if (walk_room(w, bytes) != RL_OK) {
			sqlite3_reset(s);
			return rl_fail(db, RL_ENOMEM, "out of memory");
		}
		uint64_t at = t->doc_off[t->n];
		/* An empty blob is NULL, and NULL + 0 is undefined. */
		const unsigned char *end = p ? p + bytes : p;
		while (p && p < end) {
			uint64_t v;
			size_t used = rl_varint_get(p, end, &v);
			if (!used || v > UINT32_MAX)
				break;
			t->tokens[at++] = (uint32_t)v;
			p += used;
		}
		if (p && p != end) {
			sqlite3_reset(s);
			return rl_fail(db, RL_EDB, "%s: review %lld: corrupt "
				       "tokens", db->path, (long long)id);
		}
		t->review_ids[t->n] = id;
		t->doc_off[++t->n] = at;
		w->after = id;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_tokens_load(rl_db *db, int unvectorized, rl_token_set *out)
{
	rl_token_walk w = { .unvectorized = unvectorized };
	memset(out, 0, sizeof *out);
	int rc = rl_store_tokens_next(db, &w, UINT32_MAX - 1);
	if (rc != RL_OK) {
		rl_token_walk_free(&w);
		return rc;
	}
	*out = w.set;
	return RL_OK;
}

/* ---- the vectorizer and vectors ---- */

int rl_store_vectorizer_save(rl_db *db, const rl_tfidf *m, const rl_lsa *l)
{
	int rc = rl_sql_exec(db, stmt(db, S_FEATURES_CLEAR));
	if (rc == RL_OK)
		rc = rl_sql_exec(db, stmt(db, S_PROJ_CLEAR));
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
		rc = rl_sql_exec(db, s);
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
		rc = rl_sql_exec(db, s);
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
	int rc = rl_sql_count(db, "SELECT count(*) FROM features", &n);
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
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW && f < n) {
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
	r = rl_sql_step(db, s);
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

int rl_store_features_count(rl_db *db, uint32_t *n)
{
	uint64_t c = 0;
	int rc = rl_sql_count(db, "SELECT count(*) FROM features", &c);
	*n = (uint32_t)c;
	return rc;
}

int rl_store_feature_names(rl_db *db, rl_name_fn fn, void *ctx)
{
	return rl_sql_names_each(db, stmt(db, S_FEATURE_NAMES), fn, ctx);
}

int rl_store_vectors_clear(rl_db *db)
{
	return rl_sql_exec(db, stmt(db, S_VECTORS_CLEAR));
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
	return rl_sql_exec(db, s);
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

/* The next (column, value) of a TF-IDF row stored as rl_store_vectors_put
 * writes it, read from *p up to end: 1 with *col advanced by its delta,
 * *v its value and *p past it; 0 at the end, or at a broken pair (then
 * *p stops short of end, which the caller reports as corrupt). */
static int sparse_next(const unsigned char **p, const unsigned char *end,
		       uint64_t *col, float *v)
{
	uint64_t delta;
	if (!*p || *p >= end)
		return 0;
	size_t used = rl_varint_get(*p, end, &delta);
	if (!used || end - (*p + used) < 4)
		return 0;
	*p += used;
	*col += delta;
	memcpy(v, *p, 4);
	*p += 4;
	return 1;
}

int rl_store_vectors_load(rl_db *db, rl_vectors kind, rl_vector_set *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = stmt(db, S_VECTORS_COUNT);
	if (!s)
		return RL_EDB;
	sqlite3_bind_text(s, 1, kind_text(kind), -1, SQLITE_STATIC);
	if (rl_sql_step(db, s) != SQLITE_ROW)
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
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW && i < n) {
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
			/* An empty blob is NULL, and NULL + 0 is undefined. */
			const unsigned char *end = p ? p + len : p;
			uint64_t col = 0;
			float val;
			while (sparse_next(&p, end, &col, &val)) {
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
				out->csr.values[nnz] = val;
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

/* ---- the classifier's features of chosen reviews ---- */

/* Where rl_store_features_rows is in its merge of the stored rows with
 * the wanted ids: row `at` of X is being filled; lsa holds its LSA
 * vector when has_lsa (it goes after the TF-IDF entries). */
typedef struct feat_walk {
	rl_db *db;
	const int64_t *ids;
	uint32_t n, nf, dim, at;
	rl_csr *X;
	uint64_t nnz, cap;
	float *lsa;
	int has_lsa;
} feat_walk;

static int feat_room(feat_walk *w, uint64_t more)
{
	if (w->nnz + more <= w->cap)
		return RL_OK;
	uint64_t cap = w->cap ? w->cap : 1 << 12;
	while (cap < w->nnz + more)
		cap *= 2;
	uint32_t *ix = realloc(w->X->indices, cap * sizeof *ix);
	if (ix)
		w->X->indices = ix;
	float *v = ix ? realloc(w->X->values, cap * sizeof *v) : NULL;
	if (!v)
		return RL_ENOMEM;
	w->X->values = v;
	w->cap = cap;
	return RL_OK;
}

/* Ends row w->at: its LSA columns after its TF-IDF entries. */
static int feat_row_end(feat_walk *w)
{
	if (w->has_lsa) {
		int rc = feat_room(w, w->dim);
		if (rc != RL_OK)
			return rc;
		for (uint32_t c = 0; c < w->dim; c++) {
			w->X->indices[w->nnz] = w->nf + c;
			w->X->values[w->nnz++] = w->lsa[c];
		}
		w->has_lsa = 0;
	}
	w->X->indptr[++w->at] = w->nnz;
	return RL_OK;
}

/* One stored vector of review id, kind "lsa" or "tfidf": into the row of
 * id, if it is wanted (rows before it end empty-handed). */
static int feat_take(feat_walk *w, int64_t id, const char *kind,
		     const unsigned char *p, size_t len)
{
	int rc = RL_OK;
	while (w->at < w->n && w->ids[w->at] < id && rc == RL_OK)
		rc = feat_row_end(w);
	if (rc != RL_OK || w->at == w->n || w->ids[w->at] != id)
		return rc;
	if (!strcmp(kind, "lsa")) {
		if (len != w->dim * sizeof(float))
			return rl_fail(w->db, RL_EDB, "%s: review %lld: vector "
				       "of %zu bytes, not %zu", w->db->path,
				       (long long)id, len,
				       w->dim * sizeof(float));
		if (len)
			memcpy(w->lsa, p, len);
		w->has_lsa = 1;
		return RL_OK;
	}
	/* An empty blob is NULL, and NULL + 0 is undefined. */
	const unsigned char *end = p ? p + len : p;
	uint64_t col = 0;
	float val;
	while (sparse_next(&p, end, &col, &val)) {
		if ((rc = feat_room(w, 1)) != RL_OK)
			return rc;
		w->X->indices[w->nnz] = (uint32_t)col;
		w->X->values[w->nnz++] = val;
	}
	if (p && p != end)
		return rl_fail(w->db, RL_EDB, "%s: review %lld: corrupt "
			       "vector", w->db->path, (long long)id);
	return RL_OK;
}

/* The stored vectors of the reviews with ids in [lo, hi] into w. */
static int feat_range(feat_walk *w, int64_t lo, int64_t hi)
{
	sqlite3_stmt *s = stmt(w->db, S_VECTORS_RANGE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	int r, rc = RL_OK;
	while (rc == RL_OK && (r = rl_sql_step(w->db, s)) == SQLITE_ROW)
		rc = feat_take(w, sqlite3_column_int64(s, 0),
			       (const char *)sqlite3_column_text(s, 1),
			       sqlite3_column_blob(s, 2),
			       (size_t)sqlite3_column_bytes(s, 2));
	sqlite3_reset(s);
	return rc != RL_OK ? rc : r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_features_rows(rl_db *db, const int64_t *ids, uint32_t n,
			   uint32_t nf, uint32_t dim, rl_csr *X)
{
	feat_walk w = { .db = db, .ids = ids, .n = n, .nf = nf, .dim = dim,
			.X = X };
	int rc = RL_ENOMEM;
	memset(X, 0, sizeof *X);
	X->n_rows = n;
	X->n_cols = nf + dim;
	X->indptr = calloc((size_t)n + 1, sizeof *X->indptr);
	w.lsa = malloc(((size_t)dim + 1) * sizeof *w.lsa);
	if (!X->indptr || !w.lsa || feat_room(&w, 1) != RL_OK)
		goto out;
	rc = RL_OK;
	/* Ids packed in their span (a batch of the corpus): one scan of
	 * the span; scattered ones (a sample): a look-up each, so that
	 * the rows between are not read. */
	if (n && (uint64_t)(ids[n - 1] - ids[0]) < 4 * (uint64_t)n)
		rc = feat_range(&w, ids[0], ids[n - 1]);
	else
		for (uint32_t i = 0; i < n && rc == RL_OK; i++)
			rc = feat_range(&w, ids[i], ids[i]);
	while (rc == RL_OK && w.at < n)
		rc = feat_row_end(&w);
out:
	free(w.lsa);
	if (rc != RL_OK) {
		if (rc == RL_ENOMEM)
			rl_fail(db, rc, "out of memory");
		rl_csr_free(X);
	}
	return rc;
}

/* ---- neighbours ---- */

int rl_store_neighbours_clear(rl_db *db)
{
	return rl_sql_exec(db, stmt(db, S_NEIGHBOURS_CLEAR));
}

int rl_store_neighbours_prune(rl_db *db)
{
	return rl_sql_exec(db, stmt(db, S_NEIGHBOURS_PRUNE));
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
	return rl_sql_exec(db, s);
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
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int64_t row = rl_find_unique_id(ids, n,
						 sqlite3_column_int64(s, 0));
		int rank = sqlite3_column_int(s, 1);
		int64_t nb = rl_find_unique_id(ids, n,
						sqlite3_column_int64(s, 2));
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

int rl_store_max_rank(rl_db *db, uint64_t *k)
{
	return rl_sql_count(db, "SELECT coalesce(max(rank), 0) FROM neighbours",
			k);
}
