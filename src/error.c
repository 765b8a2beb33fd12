/*
 * error.c - status codes and their text, the version, and the progress
 * call that may cancel a stage.
 *
 * As in PCRE2, one function turns any code into generic text; the detail
 * of a particular failure (file, line, id) is kept on the rl_db handle by
 * rl_fail() (store.c, with the handle) and read back with rl_db_errmsg().
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *rl_strerror(int code)
{
	switch (code) {
	case RL_OK: return "success";
	case RL_ENOMEM: return "out of memory";
	case RL_EIO: return "input/output error";
	case RL_EINPUT: return "malformed input";
	case RL_EINVAL: return "invalid argument";
	case RL_EDB: return "database error";
	case RL_EVERSION: return "unknown format version";
	case RL_EEXIST: return "already exists";
	case RL_ENOTFOUND: return "not found";
	case RL_EEMPTY: return "nothing to work on";
	case RL_ECANCELED: return "cancelled";
	}
	return "unknown error";
}

const char *rl_version(void)
{
	return RL_VERSION;
}

int rl_progress_call(rl_db *db, rl_progress_fn fn, void *ctx,
		     const char *stage, uint64_t done, uint64_t total)
{
	if (fn && fn(ctx, stage, done, total))
		return rl_fail(db, RL_ECANCELED, "%s cancelled", stage);
	return RL_OK;
}
