/*
 * vacuum.c - rl_vacuum: gives the store's free pages back to the file
 * system and, when asked, first deletes what `revlab run` makes again
 * (store_size.c knows which tables those are). The deletion is one
 * transaction recorded as a run of stage "vacuum"; SQLite's VACUUM runs
 * after it, outside any transaction, as it must.
 */
#include <string.h>

#include "stage.h"
#include "store.h"

int rl_vacuum(rl_db *db, int derived, rl_vacuum_stats *st)
{
	rl_vacuum_stats tmp;
	if (!st)
		st = &tmp;
	memset(st, 0, sizeof *st);
	rl_clear_error(db);
	if (rl_store_readonly(db))
		return rl_fail(db, RL_EINVAL, "%s: opened read-only; vacuum "
			       "needs to write the store", rl_db_path(db));
	int rc = rl_db_size_get(db, &st->before);
	if (rc != RL_OK)
		return rc;
	if (derived) {
		rl_stage stg;
		char counts[64];
		if ((rc = rl_stage_begin(db, "vacuum", "{\"derived\":true}",
					 &stg)) != RL_OK)
			return rc;
		rc = rl_store_drop_derived(db, &st->rows_dropped);
		snprintf(counts, sizeof counts, "{\"rows_dropped\":%llu}",
			 (unsigned long long)st->rows_dropped);
		if ((rc = rl_stage_end(db, &stg, rc, counts)) != RL_OK) {
			st->rows_dropped = 0;
			return rc;
		}
	}
	if ((rc = rl_store_vacuum(db)) != RL_OK)
		return rc;
	return rl_db_size_get(db, &st->after);
}
