/*
 * seeds.c - labels and hand labels (seeds): setting one, removing one,
 * loading a file of them. Hand labels are the only gold revlab has. In a
 * single-label store a review carries at most one (setting another
 * replaces it); in a multi-label store any number (setting one adds it).
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

/* The row ids of review ext_id [len] and of label `label`, created on
 * first use (*created says so), inside an open transaction. */
static int resolve(rl_db *db, const char *ext_id, size_t len,
		   const char *label, int64_t *rid, int64_t *lid,
		   int *created)
{
	int rc = rl_store_review_id(db, ext_id, len, rid);
	if (rc == RL_ENOTFOUND)
		return rl_fail(db, rc, "no review with id '%.*s'", (int)len,
			       ext_id);
	if (rc != RL_OK)
		return rc;
	if ((rc = rl_label_name_check(db, label)) != RL_OK)
		return rc;
	return rl_store_label_get(db, label, 1, lid, created);
}

/* Gives the review the label: added to its hand labels in a multi-label
 * store, replacing them in a single-label one. */
static int put(rl_db *db, int64_t rid, int64_t lid)
{
	return rl_db_multi_label(db) ? rl_store_seed_add(db, rid, lid)
				     : rl_store_seed_set(db, rid, lid);
}

int rl_seed_set(rl_db *db, const char *ext_id, const char *label)
{
	rl_stage st;
	int64_t rid, lid;
	rl_clear_error(db);
	int rc = rl_stage_begin(db, NULL, NULL, &st);
	if (rc != RL_OK)
		return rc;
	rc = resolve(db, ext_id, strlen(ext_id), label, &rid, &lid, NULL);
	if (rc == RL_OK)
		rc = put(db, rid, lid);
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

int rl_seed_unset_label(rl_db *db, const char *ext_id, const char *label)
{
	int64_t rid, lid;
	rl_stage st;
	rl_buf has = { 0 };
	rl_clear_error(db);
	int rc = rl_stage_begin(db, NULL, NULL, &st);
	if (rc != RL_OK)
		return rc;
	rc = rl_store_review_id(db, ext_id, strlen(ext_id), &rid);
	if (rc == RL_ENOTFOUND) {
		rl_fail(db, rc, "no review with id '%s'", ext_id);
		goto out;
	}
	if (rc != RL_OK)
		goto out;
	rc = rl_store_label_get(db, label, 0, &lid, NULL);
	if (rc == RL_ENOTFOUND) {
		rl_fail(db, rc, "no label '%s'", label);
		goto out;
	}
	if (rc != RL_OK || (rc = rl_store_seed_drop(db, rid, lid)) != RL_OK ||
	    rl_store_changes(db) > 0)
		goto out;
	/* Say what it has instead: most often a slip of the label. */
	if ((rc = rl_store_seed_names(db, rid, &has)) != RL_OK)
		goto out;
	if (has.len)
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label "
			     "'%s' (it has %s)", ext_id, label, has.data);
	else
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label "
			     "'%s' (it has none)", ext_id, label);
out:
	rl_buf_free(&has);
	return rl_stage_end(db, &st, rc, NULL);
}

/* What a seeds file gave so far, to tell a repeated line from a
 * conflicting one: the line that first gave each (review, label), and
 * each review, keyed by their row ids' bytes. */
typedef struct seen {
	rl_strmap *pairs, *reviews;
} seen;

/* Line of the first (rid, lid) of the file, or of rid for lid < 0; -1
 * if none. */
static int64_t seen_line(const seen *sn, int64_t rid, int64_t lid)
{
	int64_t key[2] = { rid, lid };
	return lid < 0 ? rl_strmap_get(sn->reviews, (const char *)key,
				       sizeof key[0])
		       : rl_strmap_get(sn->pairs, (const char *)key,
				       sizeof key);
}

static int seen_put(seen *sn, int64_t rid, int64_t lid, int lineno)
{
	int64_t key[2] = { rid, lid };
	int rc = rl_strmap_put(sn->pairs, (const char *)key, sizeof key,
			       lineno);
	if (rc == RL_OK && rl_strmap_get(sn->reviews, (const char *)key,
					 sizeof key[0]) < 0)
		rc = rl_strmap_put(sn->reviews, (const char *)key,
				   sizeof key[0], lineno);
	return rc;
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
	int multi = rl_db_multi_label(db);
	seen sn = { 0 };
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	FILE *f = fopen(path, "rb");
	if (!f)
		return rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
	if ((rc = rl_strmap_new(&sn.pairs)) != RL_OK ||
	    (rc = rl_strmap_new(&sn.reviews)) != RL_OK ||
	    (rc = rl_buf_append(&params, "{\"file\":", 8)) != RL_OK ||
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
		int64_t rid, lid;
		rc = resolve(db, line, strlen(line), label, &rid, &lid,
			     &created);
		if (rc == RL_ENOTFOUND || rc == RL_EINVAL) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", rl_db_errmsg(db));
			rc = rl_fail(db, RL_EINPUT, "%s:%d: %s", path, lineno,
				     msg);
			goto end;
		}
		if (rc != RL_OK)
			goto end;
		s.labels_created += (uint64_t)created;
		/* The same label again is harmless and counts once. */
		if (seen_line(&sn, rid, lid) >= 0)
			continue;
		int64_t first = multi ? -1 : seen_line(&sn, rid, -1);
		if (first >= 0) {
			/* A single-label store keeps one: a second label
			 * would silently replace the first. */
			rl_buf has = { 0 };
			if ((rc = rl_store_seed_names(db, rid, &has)) == RL_OK)
				rc = rl_fail(db, RL_EINPUT, "%s:%d: review %s "
					     "already has label %s (line "
					     "%lld)", path, lineno, line,
					     has.data, (long long)first);
			rl_buf_free(&has);
			goto end;
		}
		if ((rc = put(db, rid, lid)) != RL_OK ||
		    (rc = seen_put(&sn, rid, lid, lineno)) != RL_OK)
			goto end;
		s.set++;
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
	rl_strmap_free(sn.pairs);
	rl_strmap_free(sn.reviews);
	free(line);
	fclose(f);
	return rc;
}
