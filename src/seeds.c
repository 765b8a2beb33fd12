/*
 * seeds.c - labels and hand labels (seeds): setting one, removing one,
 * loading a file of them. Hand labels are the only gold revlab has. In a
 * single-label store a review carries at most one (setting another
 * replaces it); in a multi-label store any number (setting one adds it).
 *
 * Each hand label is given by an annotator (the unnamed one, '', unless
 * the caller names one), recorded as an annotation; the review's hand
 * labels, which every later stage reads, are then derived from all of its
 * annotations by the policy of agreement.c (resolve below), so with one
 * annotator they are exactly what that annotator gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agreement.h"
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

/* Annotator names: '' (the unnamed annotator) or at most 100 bytes of
 * UTF-8 without control characters or spaces at either end. */
static int annotator_check(rl_db *db, const char *s)
{
	size_t n = strlen(s);
	int bad = n > 100 || rl_utf8_check(s, n) < n ||
		  (n && (s[0] == ' ' || s[n - 1] == ' '));
	for (size_t i = 0; i < n && !bad; i++)
		bad = (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
	if (bad)
		return rl_fail(db, RL_EINVAL, "bad annotator name '%s': at "
			       "most 100 bytes of UTF-8, without control "
			       "characters or spaces at its ends", s);
	return RL_OK;
}

/* One review's annotations, as agreement.c's kernels take them: answer
 * k is label index label[k] by annotator index coder[k], oldest first;
 * lids and names map the indices back. */
typedef struct answers {
	size_t n, cap;
	uint32_t *label, *coder;
	int64_t *lids;
	char **names;
	uint32_t n_labels, n_coders;
	int rc;
} answers;

static void answers_free(answers *a)
{
	free(a->label);
	free(a->coder);
	free(a->lids);
	for (uint32_t c = 0; c < a->n_coders; c++)
		free(a->names[c]);
	free(a->names);
	memset(a, 0, sizeof *a);
}

static int on_answer(void *ctx, int64_t lid, const char *annotator)
{
	answers *a = ctx;
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 8;
		uint32_t *l = realloc(a->label, cap * sizeof *l);
		if (l)
			a->label = l;
		uint32_t *c = realloc(a->coder, cap * sizeof *c);
		if (c)
			a->coder = c;
		int64_t *i = realloc(a->lids, cap * sizeof *i);
		if (i)
			a->lids = i;
		char **nm = realloc(a->names, cap * sizeof *nm);
		if (nm)
			a->names = nm;
		if (!l || !c || !i || !nm)
			return RL_ENOMEM;
		a->cap = cap;
	}
	/* A review has few answers: linear look-ups. */
	uint32_t l = 0, c = 0;
	while (l < a->n_labels && a->lids[l] != lid)
		l++;
	if (l == a->n_labels)
		a->lids[a->n_labels++] = lid;
	while (c < a->n_coders && strcmp(a->names[c], annotator))
		c++;
	if (c == a->n_coders) {
		if (!(a->names[c] = strdup(annotator)))
			return RL_ENOMEM;
		a->n_coders++;
	}
	a->label[a->n] = l;
	a->coder[a->n] = c;
	a->n++;
	return RL_OK;
}

/* Makes the review's hand labels what its annotations resolve to (see
 * rl_resolve_single and rl_resolve_multi): those it should not have go,
 * those it lacks come; one it keeps stays as it was. */
static int resolve_review(rl_db *db, int64_t rid)
{
	answers a = { 0 };
	uint8_t *on = NULL;
	int64_t *had = NULL;
	size_t n_had = 0;
	int rc = rl_store_ann_of(db, rid, on_answer, &a);
	if (rc != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	if (!(on = calloc((size_t)a.n_labels + 1, 1)))
		goto out;
	if (rl_db_multi_label(db)) {
		rc = rl_resolve_multi(a.n, a.label, a.coder, a.n_labels,
				      a.n_coders, on);
	} else {
		int32_t l;
		rc = rl_resolve_single(a.n, a.label, a.coder, a.n_labels,
				       a.n_coders, &l);
		if (rc == RL_OK && l >= 0)
			on[l] = 1;
	}
	if (rc != RL_OK || (rc = rl_store_seed_of(db, rid, NULL, 0,
						  &n_had)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	if (!(had = malloc((n_had + 1) * sizeof *had)))
		goto out;
	if ((rc = rl_store_seed_of(db, rid, had, n_had, &n_had)) != RL_OK)
		goto out;
	for (size_t h = 0; h < n_had && rc == RL_OK; h++) {
		uint32_t l = 0;
		while (l < a.n_labels && a.lids[l] != had[h])
			l++;
		if (l == a.n_labels || !on[l])
			rc = rl_store_seed_drop(db, rid, had[h]);
	}
	for (uint32_t l = 0; l < a.n_labels && rc == RL_OK; l++)
		if (on[l])
			rc = rl_store_seed_add(db, rid, a.lids[l]);
out:
	answers_free(&a);
	free(on);
	free(had);
	return rc;
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

/* Annotator `who` gives the review the label: added to their answers in
 * a multi-label store, replacing them in a single-label one; then the
 * review's hand labels follow. */
static int put(rl_db *db, int64_t rid, int64_t lid, const char *who)
{
	int rc = rl_store_ann_adopt(db, rid);
	if (rc == RL_OK && !rl_db_multi_label(db))
		rc = rl_store_ann_clear(db, rid, who, lid);
	if (rc == RL_OK)
		rc = rl_store_ann_add(db, rid, lid, who);
	return rc == RL_OK ? resolve_review(db, rid) : rc;
}

int rl_seed_set(rl_db *db, const char *ext_id, const char *label)
{
	return rl_seed_set_as(db, ext_id, label, NULL);
}

int rl_seed_set_as(rl_db *db, const char *ext_id, const char *label,
		   const char *annotator)
{
	rl_stage st;
	int64_t rid, lid;
	const char *who = annotator ? annotator : "";
	rl_clear_error(db);
	int rc = annotator_check(db, who);
	if (rc != RL_OK || (rc = rl_stage_begin(db, NULL, NULL, &st)) != RL_OK)
		return rc;
	rc = resolve(db, ext_id, strlen(ext_id), label, &rid, &lid, NULL);
	if (rc == RL_OK)
		rc = put(db, rid, lid, who);
	return rl_stage_end(db, &st, rc, NULL);
}

/* " by NAME", " by the unnamed annotator" or "" (annotator NULL). */
static void by_whom(char *out, size_t cap, const char *annotator)
{
	if (!annotator)
		snprintf(out, cap, "%s", "");
	else if (!*annotator)
		snprintf(out, cap, "%s", " by the unnamed annotator");
	else
		snprintf(out, cap, " by %s", annotator);
}

int rl_seed_unset(rl_db *db, const char *ext_id)
{
	return rl_seed_unset_as(db, ext_id, NULL);
}

int rl_seed_unset_as(rl_db *db, const char *ext_id, const char *annotator)
{
	int64_t rid;
	rl_stage st;
	rl_buf has = { 0 };
	char by[160];
	rl_clear_error(db);
	int rc = annotator ? annotator_check(db, annotator) : RL_OK;
	if (rc != RL_OK || (rc = rl_stage_begin(db, NULL, NULL, &st)) != RL_OK)
		return rc;
	rc = rl_store_review_id(db, ext_id, strlen(ext_id), &rid);
	if (rc == RL_ENOTFOUND)
		rl_fail(db, rc, "no review with id '%s'", ext_id);
	if (rc != RL_OK || (rc = rl_store_ann_adopt(db, rid)) != RL_OK ||
	    (rc = rl_store_ann_clear(db, rid, annotator, -1)) != RL_OK)
		goto out;
	if (rl_store_changes(db) > 0) {
		rc = resolve_review(db, rid);
		goto out;
	}
	/* Nobody's answer is there (or the annotator would have had one):
	 * the message is the one of a store without annotators. */
	if ((rc = rl_store_ann_names(db, rid, &has)) != RL_OK)
		goto out;
	by_whom(by, sizeof by, annotator);
	if (has.len)
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label"
			     "%s (given: %s)", ext_id, by, has.data);
	else
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label",
			     ext_id);
out:
	rl_buf_free(&has);
	return rl_stage_end(db, &st, rc, NULL);
}

int rl_seed_unset_label(rl_db *db, const char *ext_id, const char *label)
{
	return rl_seed_unset_label_as(db, ext_id, label, NULL);
}

int rl_seed_unset_label_as(rl_db *db, const char *ext_id, const char *label,
			   const char *annotator)
{
	int64_t rid, lid;
	rl_stage st;
	rl_buf has = { 0 };
	char by[160];
	rl_clear_error(db);
	int rc = annotator ? annotator_check(db, annotator) : RL_OK;
	if (rc != RL_OK || (rc = rl_stage_begin(db, NULL, NULL, &st)) != RL_OK)
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
	if (rc != RL_OK || (rc = rl_store_ann_adopt(db, rid)) != RL_OK ||
	    (rc = rl_store_ann_drop(db, rid, lid, annotator)) != RL_OK)
		goto out;
	if (rl_store_changes(db) > 0) {
		rc = resolve_review(db, rid);
		goto out;
	}
	/* Say what it has instead: most often a slip of the label. Who
	 * said what only when someone else answered too. */
	uint64_t others = 0;
	if (annotator && (rc = rl_store_ann_others(db, rid, annotator,
						   &others)) != RL_OK)
		goto out;
	by_whom(by, sizeof by, others ? annotator : NULL);
	if ((rc = others ? rl_store_ann_names(db, rid, &has)
			 : rl_store_seed_names(db, rid, &has)) != RL_OK)
		goto out;
	if (has.len && others)
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label "
			     "'%s'%s (given: %s)", ext_id, label, by,
			     has.data);
	else if (has.len)
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label "
			     "'%s' (it has %s)", ext_id, label, has.data);
	else
		rc = rl_fail(db, RL_ENOTFOUND, "review '%s' has no hand label "
			     "'%s'%s (it has none)", ext_id, label, by);
out:
	rl_buf_free(&has);
	return rl_stage_end(db, &st, rc, NULL);
}

/* What a seeds file gave so far, to tell a repeated line from a
 * conflicting one: the line that first gave each (review, label,
 * annotator), and each (review, annotator), keyed by the row ids' bytes
 * and the annotator's name. */
typedef struct seen {
	rl_strmap *pairs, *reviews;
	rl_strmap *given;	/* (review, annotator): offset in names */
	rl_buf names;		/* the labels of `given`, NUL-terminated */
	rl_buf key;
} seen;

/* The key of (rid, lid, who) into sn->key; lid < 0 leaves it out. */
static int seen_key(seen *sn, int64_t rid, int64_t lid, const char *who)
{
	sn->key.len = 0;
	int rc = rl_buf_append(&sn->key, (const char *)&rid, sizeof rid);
	if (rc == RL_OK && lid >= 0)
		rc = rl_buf_append(&sn->key, (const char *)&lid, sizeof lid);
	return rc == RL_OK ? rl_buf_append(&sn->key, who, strlen(who)) : rc;
}

/* Line of the first (rid, lid, who) of the file, or of (rid, who) for
 * lid < 0, into *line; -1 if none. */
static int seen_line(seen *sn, int64_t rid, int64_t lid, const char *who,
		     int64_t *line)
{
	int rc = seen_key(sn, rid, lid, who);
	if (rc == RL_OK)
		*line = rl_strmap_get(lid < 0 ? sn->reviews : sn->pairs,
				      sn->key.data, sn->key.len);
	return rc;
}

static int seen_put(seen *sn, int64_t rid, int64_t lid, const char *who,
		    const char *label, int lineno)
{
	int64_t first;
	int rc = seen_key(sn, rid, lid, who);
	if (rc == RL_OK)
		rc = rl_strmap_put(sn->pairs, sn->key.data, sn->key.len,
				   lineno);
	if (rc == RL_OK)
		rc = seen_line(sn, rid, -1, who, &first);
	if (rc != RL_OK || first >= 0)
		return rc;
	int64_t at = (int64_t)sn->names.len;
	if ((rc = rl_strmap_put(sn->reviews, sn->key.data, sn->key.len,
				lineno)) == RL_OK &&
	    (rc = rl_strmap_put(sn->given, sn->key.data, sn->key.len, at)) ==
	    RL_OK && (rc = rl_buf_append(&sn->names, label, strlen(label))) ==
	    RL_OK)
		rc = rl_buf_putc(&sn->names, '\0');
	return rc;
}

int rl_seed_file(rl_db *db, const char *path, rl_seed_stats *st)
{
	return rl_seed_file_as(db, path, NULL, st);
}

int rl_seed_file_as(rl_db *db, const char *path, const char *annotator,
		    rl_seed_stats *st)
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
	const char *sepname = sep == ',' ? "," : "<TAB>";
	const char *dflt = annotator ? annotator : "";
	int multi = rl_db_multi_label(db), with_annotator = 0;
	seen sn = { 0 };
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if ((rc = annotator_check(db, dflt)) != RL_OK)
		return rc;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
	if ((rc = rl_strmap_new(&sn.pairs)) != RL_OK ||
	    (rc = rl_strmap_new(&sn.reviews)) != RL_OK ||
	    (rc = rl_strmap_new(&sn.given)) != RL_OK ||
	    (rc = rl_buf_append(&params, "{\"file\":", 8)) != RL_OK ||
	    (rc = rl_json_string(&params, path, strlen(path))) != RL_OK ||
	    (rc = rl_buf_append(&params, ",\"annotator\":", 13)) != RL_OK ||
	    (rc = rl_json_string(&params, dflt, strlen(dflt))) != RL_OK ||
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
		/* id, label and an optional annotator. */
		char *cut = memchr(line, sep, len), *cut2 = NULL;
		if (cut)
			cut2 = memchr(cut + 1, sep, len - (size_t)(cut + 1 -
								   line));
		if (!cut || (cut2 && memchr(cut2 + 1, sep, len - (size_t)(
					    cut2 + 1 - line)))) {
			rc = rl_fail(db, RL_EINPUT, "%s:%d: expected id%slabel"
				     "[%sannotator]", path, lineno, sepname,
				     sepname);
			goto end;
		}
		*cut = '\0';
		if (cut2)
			*cut2 = '\0';
		const char *label = cut + 1;
		const char *who = cut2 && cut2[1] ? cut2 + 1 : dflt;
		/* An optional header line; a third column, the annotator,
		 * only after the header that names it, so that a stray
		 * column (a score, say) is not taken for a name. */
		if (lineno == 1 && !strcmp(line, "id") &&
		    !strcmp(label, "label") &&
		    (!cut2 || !strcmp(cut2 + 1, "annotator"))) {
			with_annotator = cut2 != NULL;
			continue;
		}
		if (cut2 && !with_annotator) {
			rc = rl_fail(db, RL_EINPUT, "%s:%d: expected id%slabel "
				     "(a third column, the annotator, needs "
				     "the header id%slabel%sannotator)", path,
				     lineno, sepname, sepname, sepname);
			goto end;
		}
		s.rows++;
		int created = 0;
		int64_t rid, lid, first;
		rc = resolve(db, line, strlen(line), label, &rid, &lid,
			     &created);
		if (rc == RL_OK && who != dflt)
			rc = annotator_check(db, who);
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
		if ((rc = seen_line(&sn, rid, lid, who, &first)) != RL_OK)
			goto end;
		if (first >= 0)
			continue;
		first = -1;
		if (!multi && (rc = seen_line(&sn, rid, -1, who, &first)) !=
		    RL_OK)
			goto end;
		if (first >= 0) {
			/* A single-label store keeps one answer per
			 * annotator: a second would silently replace the
			 * first. */
			int64_t at = rl_strmap_get(sn.given, sn.key.data,
						   sn.key.len);
			rc = rl_fail(db, RL_EINPUT, "%s:%d: review %s already "
				     "has label %s%s%s (line %lld)", path,
				     lineno, line, sn.names.data + at,
				     *who ? " from " : "", who,
				     (long long)first);
			goto end;
		}
		if ((rc = put(db, rid, lid, who)) != RL_OK ||
		    (rc = seen_put(&sn, rid, lid, who, label, lineno)) !=
		    RL_OK)
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
	rl_buf_free(&sn.key);
	rl_buf_free(&sn.names);
	rl_strmap_free(sn.given);
	rl_strmap_free(sn.pairs);
	rl_strmap_free(sn.reviews);
	free(line);
	fclose(f);
	return rc;
}
