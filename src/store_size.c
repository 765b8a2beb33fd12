/*
 * store_size.c - the store's size on disk and its upkeep: how big the
 * file, its -wal file and each table are (SQLite's dbstat virtual table),
 * deleting the data `revlab run` can make again, and SQLite's VACUUM.
 * The statements here run rarely, so they are prepared for the call
 * rather than kept in the handle's cache; every step still goes through
 * rl_sql_step, so tests can make any of them fail.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "store_impl.h"

/* The tables rl_store_drop_derived empties, in the order it does: what
 * tokenize, vectorize and rules apply fill in again for every review
 * missing from them. The graph stays: a graph built anew forgets the
 * neighbour count labelling chose on it (stage_graph.c), which would make
 * the next run choose again, the most of its time. */
static const char *const derived_tables[] = {
	"review_tokens", "vectors", "rule_hits", "rule_scans"
};
#define N_DERIVED (sizeof derived_tables / sizeof *derived_tables)

int rl_store_is_derived(const char *table)
{
	for (size_t i = 0; i < N_DERIVED; i++)
		if (!strcmp(table, derived_tables[i]))
			return 1;
	return 0;
}

int rl_store_readonly(rl_db *db)
{
	return sqlite3_db_readonly(db->sql, "main") != 0;
}

/* *bytes gets the size of the file at path, 0 if there is none. */
static int file_bytes(rl_db *db, const char *path, uint64_t *bytes)
{
	struct stat sb;
	*bytes = 0;
	if (stat(path, &sb) == 0) {
		*bytes = (uint64_t)sb.st_size;
		return RL_OK;
	}
	return rl_fail(db, RL_EIO, "%s: cannot examine the file", path);
}

int rl_db_size_get(rl_db *db, rl_db_size *out)
{
	memset(out, 0, sizeof *out);
	rl_clear_error(db);
	int rc;
	if ((rc = rl_sql_count(db, "PRAGMA page_size", &out->page_size)) !=
		    RL_OK ||
	    (rc = rl_sql_count(db, "PRAGMA page_count", &out->page_count)) !=
		    RL_OK ||
	    (rc = rl_sql_count(db, "PRAGMA freelist_count",
			       &out->free_pages)) != RL_OK)
		return rc;
	/* The name SQLite resolved ("" for a store in memory). */
	const char *path = sqlite3_db_filename(db->sql, "main");
	if (!path || !*path)
		return RL_OK;
	if ((rc = file_bytes(db, path, &out->file_bytes)) != RL_OK)
		return rc;
	size_t n = strlen(path);
	char *wal = malloc(n + 5);
	if (!wal)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	memcpy(wal, path, n);
	memcpy(wal + n, "-wal", 5);
	struct stat sb;
	if (stat(wal, &sb) == 0)
		out->wal_bytes = (uint64_t)sb.st_size;
	free(wal);
	return RL_OK;
}

int rl_table_sizes(rl_db *db, rl_table_size_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	rl_clear_error(db);
	/* dbstat names each b-tree, a table's or an index's; the schema
	 * says whose table an index is. The schema table is not in
	 * itself. */
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT coalesce(m.tbl_name, d.name) AS t, "
			       "sum(d.pgsize), count(*) FROM dbstat AS d "
			       "LEFT JOIN sqlite_schema AS m ON m.name = "
			       "d.name GROUP BY t ORDER BY 2 DESC, t", -1, &s,
			       NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(db->sql), "dbstat")) {
			rc = rl_fail(db, RL_ENOTFOUND, "%s: this SQLite (%s) "
				     "has no dbstat table, so the tables' "
				     "sizes are not known", db->path,
				     sqlite3_libversion());
			goto out;
		}
		rl_sql_fail(db, "prepare");
		goto out;
	}
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		rl_table_size t = {
			.name = name ? name : "",
			.bytes = (uint64_t)sqlite3_column_int64(s, 1),
			.pages = (uint64_t)sqlite3_column_int64(s, 2),
			.derived = name && rl_store_is_derived(name),
		};
		int cb = fn(ctx, &t);
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

/* Runs one fixed statement that returns no rows; *changes gets the rows
 * it changed. */
static int run_one(rl_db *db, const char *sql, uint64_t *changes)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	int r = rl_sql_step(db, s);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		goto out;
	*changes = (uint64_t)sqlite3_changes(db->sql);
	rc = RL_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

int rl_store_drop_derived(rl_db *db, uint64_t *rows)
{
	char sql[64];
	uint64_t n = 0;
	int rc = RL_OK;
	*rows = 0;
	for (size_t i = 0; i < N_DERIVED && rc == RL_OK; i++) {
		snprintf(sql, sizeof sql, "DELETE FROM %s", derived_tables[i]);
		if ((rc = run_one(db, sql, &n)) == RL_OK)
			*rows += n;
	}
	return rc;
}

int rl_store_vacuum(rl_db *db)
{
	uint64_t busy = 0;
	int rc = run_one(db, "VACUUM", &busy);
	/* The rebuilt file is in the -wal file until a checkpoint copies it
	 * back; TRUNCATE then empties the -wal file. The first column is 1
	 * when a reader kept it from finishing, which is no failure. */
	if (rc == RL_OK)
		rc = rl_sql_count(db, "PRAGMA wal_checkpoint(TRUNCATE)",
				  &busy);
	return rc;
}
