/*
 * error.c - status codes and their text.
 *
 * As in PCRE2, one function turns any code into generic text; the detail
 * of a particular failure (file, line, id) is kept on the rl_db handle by
 * rl_fail() and read back with rl_db_errmsg().
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "store.h"

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

static int vfail(rl_db *db, int code, rl_need need, const char *fmt,
		 va_list ap)
{
	if (!db)
		return code;
	rl_buf *b = rl_db_errbuf(db);
	char tmp[1024];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	b->len = 0;
	/* If even the message cannot be stored, the code still speaks. */
	if (n >= 0 && rl_buf_append(b, tmp, strlen(tmp)) != RL_OK)
		b->len = 0;
	*rl_db_needp(db) = need;
	return code;
}

int rl_fail(rl_db *db, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = vfail(db, code, RL_NEED_NOTHING, fmt, ap);
	va_end(ap);
	return code;
}

int rl_fail_need(rl_db *db, int code, rl_need need, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = vfail(db, code, need, fmt, ap);
	va_end(ap);
	return code;
}

void rl_clear_error(rl_db *db)
{
	rl_buf *b = rl_db_errbuf(db);
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
	*rl_db_needp(db) = RL_NEED_NOTHING;
}

const char *rl_db_errmsg(const rl_db *db)
{
	if (!db)
		return "";
	const rl_buf *b = rl_db_errbuf((rl_db *)db);
	return b->len ? b->data : "";
}

rl_need rl_db_need(const rl_db *db)
{
	return db ? *rl_db_needp((rl_db *)db) : RL_NEED_NOTHING;
}

int rl_progress_call(rl_db *db, rl_progress_fn fn, void *ctx,
		     const char *stage, uint64_t done, uint64_t total)
{
	if (fn && fn(ctx, stage, done, total))
		return rl_fail(db, RL_ECANCELED, "%s cancelled", stage);
	return RL_OK;
}
