/*
 * seeds.c - labels and hand labels (seeds): setting one, removing one,
 * loading a file of them. Hand labels are the only gold revlab has; a
 * review carries at most one (setting another replaces it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stage.h"
#include "store.h"

/* Label names: non-empty, no tab or line break, not starting with '!'. */
int rl_label_name_check(rl_db *db, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	/* Quotes or spaces at either end are a CSV or typing slip, not part
	 * of a name: refuse rather than create "price" and price. '!' and
	 * '#' start a vote against a label and a comment in a rules file. */
	if (n == 0 || s[0] == '!' || s[0] == '#' ||
	    strpbrk(s, "\t\r\n") != NULL || strchr(" \"'", s[0]) ||
	    strchr(" \"'", s[n - 1]) || rl_utf8_check(s, n) < n)
		return rl_fail(db, RL_EINVAL, "bad label name '%s': it must be "
			       "non-empty, without tabs or line breaks, quotes "
			       "or spaces at its ends, and not start with '!' "
			       "or '#'", s ? s : "");
	return RL_OK;
}

int rl_label_add(rl_db *db, const char *name)
{
	rl_clear_error(db);
	int rc = rl_label_name_check(db, name);
	if (rc != RL_OK)
		return rc;
	int64_t id;
	rl_stage st;
	if ((rc = rl_stage_begin(db, NULL, NULL, &st)) != RL_OK)
		return rc;
	rc = rl_store_label_get(db, name, 1, &id, NULL);
	return rl_stage_end(db, &st, rc, NULL);
}

/* Sets one seed inside an open transaction. */
static int set_one(rl_db *db, const char *ext_id, size_t len,
		   const char *label, int *created)
{
	int64_t rid, lid;
	int rc = rl_store_review_id(db, ext_id, len, &rid);
	if (rc == RL_ENOTFOUND)
		return rl_fail(db, rc, "no review with id '%.*s'", (int)len,
			       ext_id);
	if (rc != RL_OK)
		return rc;
	if ((rc = rl_label_name_check(db, label)) != RL_OK)
		return rc;
	if ((rc = rl_store_label_get(db, label, 1, &lid, created)) != RL_OK)
		return rc;
	return rl_store_seed_set(db, rid, lid);
}

int rl_seed_set(rl_db *db, const char *ext_id, const char *label)
{
	rl_stage st;
	rl_clear_error(db);
	int rc = rl_stage_begin(db, NULL, NULL, &st);
	if (rc != RL_OK)
		return rc;
	rc = set_one(db, ext_id, strlen(ext_id), label, NULL);
	return rl_stage_end(db, &st, rc, NULL);
}

int rl_seed_unset(rl_db *db, const char *ext_id)
{
	int64_t rid;
	rl_stage st;
	rl_clear_error(db);
	int rc = rl_stage_begin(db, NULL, NULL, &st);
	if (rc != RL_OK)
		return rc;
	rc = rl_store_review_id(db, ext_id, strlen(ext_id), &rid);
	if (rc == RL_ENOTFOUND)
		rl_fail(db, rc, "no review with id '%s'", ext_id);
	if (rc == RL_OK && (rc = rl_store_seed_set(db, rid, -1)) == RL_OK &&
	    rl_store_changes(db) == 0)
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label",
			     ext_id);
	return rl_stage_end(db, &st, rc, NULL);
}

int rl_seed_file(rl_db *db, const char *path, rl_seed_stats *st)
{
	rl_seed_stats s = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int lineno = 0, rc;
	rl_stage stg;
	char counts[160] = "{}";
	rl_buf params = { 0 };
	const char *dot = strrchr(path, '.');
	char sep = dot && !strcasecmp(dot, ".csv") ? ',' : '\t';
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	FILE *f = fopen(path, "rb");
	if (!f)
		return rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
	if ((rc = rl_buf_append(&params, "{\"file\":", 8)) != RL_OK ||
	    (rc = rl_json_string(&params, path, strlen(path))) != RL_OK ||
	    (rc = rl_buf_putc(&params, '}')) != RL_OK)
		goto out;
	if ((rc = rl_stage_begin(db, "seed", params.data, &stg)) != RL_OK)
		goto out;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t len = (size_t)got;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', len) ||
		    rl_utf8_check(line, len) < len) {
			rc = rl_fail(db, RL_EINPUT, "%s:%d: invalid UTF-8 or "
				     "NUL byte", path, lineno);
			goto end;
		}
		char *cut = memchr(line, sep, len);
		if (!cut || memchr(cut + 1, sep, len - (size_t)(cut + 1 -
								 line))) {
			rc = rl_fail(db, RL_EINPUT, "%s:%d: expected id%slabel",
				     path, lineno, sep == ',' ? "," : "<TAB>");
			goto end;
		}
		*cut = '\0';
		const char *label = cut + 1;
		/* An optional header line. */
		if (lineno == 1 && !strcmp(line, "id") &&
		    !strcmp(label, "label"))
			continue;
		s.rows++;
		int created = 0;
		rc = set_one(db, line, strlen(line), label, &created);
		if (rc == RL_ENOTFOUND || rc == RL_EINVAL) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", rl_db_errmsg(db));
			rc = rl_fail(db, RL_EINPUT, "%s:%d: %s", path, lineno,
				     msg);
			goto end;
		}
		if (rc != RL_OK)
			goto end;
		s.set++;
		s.labels_created += (uint64_t)created;
	}
	if (ferror(f)) {
		rc = rl_fail(db, RL_EIO, "%s: read error", path);
		goto end;
	}
	snprintf(counts, sizeof counts, "{\"rows\":%llu,\"set\":%llu,"
		 "\"labels_created\":%llu}", (unsigned long long)s.rows,
		 (unsigned long long)s.set,
		 (unsigned long long)s.labels_created);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = s;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&params);
	free(line);
	fclose(f);
	return rc;
}
