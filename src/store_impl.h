/*
 * store_impl.h - what the store's files share, and only they include:
 * store.c (the engine), store_corpus.c, store_export.c, store_labels.c,
 * store_models.c and store_read.c. It holds the handle and the helpers every statement
 * goes through; it is how sqlite3.h reaches those files and no others.
 *
 * Each file keeps its own SQL: an enum stmt_id of its statements, their
 * text in stmt_sql[] beside it, and a stmt() that fetches one from the
 * handle's cache, where each file has a row of slots (rl_sql_part).
 */
#ifndef RL_STORE_IMPL_H
#define RL_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"

/* The store's files, each with its own row in the statement cache. */
typedef enum rl_sql_part {
	RL_SQL_ENGINE,		/* store.c */
	RL_SQL_CORPUS,		/* store_corpus.c */
	RL_SQL_LABELS,		/* store_labels.c */
	RL_SQL_MODELS,		/* store_models.c */
	RL_SQL_READ,		/* store_read.c */
	RL_SQL_GRAPH,		/* store_graph.c */
	RL_SQL_PARTS
} rl_sql_part;

/* Statements one file may have at most (each file asserts it). */
#define RL_SQL_SLOTS 48

struct rl_db {
	sqlite3 *sql;
	char *path;
	rl_buf err;
	rl_need need;		/* what the failure in err found missing */
	rl_buf blob;		/* a blob being encoded, reused */
	sqlite3_stmt *stmt[RL_SQL_PARTS][RL_SQL_SLOTS];
	int fail_after;		/* fault injection: steps until failure */
	int multi;		/* a multi-label store (rl_db_multi_label) */
	void *held;		/* what rl_db_hold keeps, freed by held_free */
	void (*held_free)(void *);
};

/* Records SQLite's last error as the handle's: "path: what: message".
 * Returns RL_EDB. */
int rl_sql_fail(rl_db *db, const char *what);

/* Statement `id` of file `part`, whose text is sql: prepared on first use
 * and kept until rl_db_close, else reset with its bindings cleared. NULL,
 * with the error recorded, if it does not prepare. */
sqlite3_stmt *rl_sql_stmt(rl_db *db, rl_sql_part part, int id,
			  const char *sql);

/* sqlite3_step with fault injection (rl_store_fail_step): returns
 * SQLITE_ROW, SQLITE_DONE or an error code, recording the message for
 * errors and resetting the statement after one. */
int rl_sql_step(rl_db *db, sqlite3_stmt *s);

/* Steps a statement that returns no rows, then resets it; s may be NULL
 * (a failed rl_sql_stmt, whose error is recorded). RL_OK or RL_EDB. */
int rl_sql_exec(rl_db *db, sqlite3_stmt *s);

/* Binds t [n] (not NUL-terminated) as parameter i; SQLite does not copy
 * it, so it must outlive the step. */
int rl_sql_bind_text(sqlite3_stmt *s, int i, const char *t, size_t n);

/* Replaces b's content by column col's text ("" for NULL), NUL-
 * terminated. RL_OK or RL_ENOMEM. */
int rl_sql_copy_col(sqlite3_stmt *s, int col, rl_buf *b);

/* Steps s (bound) through its rows of (external id, text), handing each
 * to fn as an rl_review_info borrowed for the call; resets s. fn's
 * nonzero return stops the walk and is returned; else RL_OK, or RL_EDB
 * if a step fails. */
int rl_sql_review_infos(rl_db *db, sqlite3_stmt *s, rl_review_info_fn fn,
			void *ctx);

/* *n gets the one integer that sql (a fixed query, prepared for this
 * call) selects. */
int rl_sql_count(rl_db *db, const char *sql, uint64_t *n);

/* Calls fn(ctx, id, name) for each row of s, which selects an id and a
 * text; stops at fn's first status other than RL_OK and returns it. s
 * may be NULL, as for rl_sql_exec. */
int rl_sql_names_each(rl_db *db, sqlite3_stmt *s, rl_name_fn fn,
		      void *ctx);

#endif /* RL_STORE_IMPL_H */
