/*
 * stage_rules.c - the rules stage: a rules file -> rules, rule_hits; and
 * the rule-quality report: the stored hits and seeds loaded as evidence
 * (stage.c), counted by the kernels of votes.c.
 *
 * Loading replaces the rule set in one transaction. A rule whose pattern
 * was already in the set keeps its id and hits (only its line, label and
 * weight are updated), so changing one rule of fifty matches one pattern
 * against the reviews, not fifty. A rule naming a word list is matched
 * anew on every load all the same, since the list's file may have
 * changed under the same rule text. Reviews imported later are matched
 * by rl_rules_apply(), which `revlab run` calls. The reviews' metadata
 * is read (and its JSON taken apart by the store) only when some rule
 * tests it.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "stage.h"
#include "store.h"

typedef struct old_rule {
	int64_t id;
	char *pattern;
	int claimed;
} old_rule;

/* Reviews are matched a batch at a time: the batch's texts, user ids
 * and metadata (taken apart by the store, on the caller's thread) are
 * copied, each thread matches a contiguous range of it with its own
 * compiled copy of the rules (a matcher keeps its match data), and the
 * hits are written in review order, as one thread would write them: the
 * same rows for any thread count. */
#define MATCH_BATCH 2048
#define RL_RULES_THREADS 2
/* Text held before it is matched: long reviews make shorter batches. */
#define PENDING_BYTES (4u << 20)

typedef struct match_hit {
	uint32_t review;	/* in the batch */
	uint32_t rule;
	size_t a, b;
} match_hit;

/* One thread's share of a batch. */
typedef struct match_part {
	rl_matcher **m;		/* [n_match]; part 0 borrows the loader's */
	match_hit *hit;
	size_t n_hit, cap_hit;
	const char **keys, **values;	/* the current review's metadata */
	size_t cap_meta;
	/* the first failure in its range: review `at`, rule `rule` */
	int rc;
	uint32_t at, rule;
	char err[512];
} match_part;

typedef struct loader {
	old_rule *old;
	size_t n_old, cap_old;
	/* rules to match against reviews: ids and compiled patterns */
	int64_t *ids;
	rl_matcher **m;
	char **patterns;
	int *lines;
	char **files;		/* [n_match] rules file of each, for errors */
	size_t n_match;
	rl_db *db;
	int need_meta;		/* some rule tests the metadata */
	int threads;
	match_part *part;	/* [threads], made at the first batch */
	/* the batch: review i's id, text at toff[i] (NUL-terminated, its
	 * length toff[i + 1] - toff[i] - 1), user id at eoff[i], and
	 * metadata fields mfirst[i] .. mfirst[i + 1] - 1, each a key at
	 * key_at[] and a value at val_at[] in meta_buf */
	size_t n_rev;
	int64_t rev_id[MATCH_BATCH];
	size_t toff[MATCH_BATCH + 1], eoff[MATCH_BATCH];
	size_t mfirst[MATCH_BATCH + 1];
	rl_buf text, ext, meta_buf;
	size_t *key_at, *val_at, n_meta, cap_meta;
	rl_rules_stats st;
	/* for rl_rules_apply's batches */
	int64_t *batch;
	size_t n_batch;
} loader;

static int collect_old(void *ctx, const rl_rule_row *r)
{
	loader *ld = ctx;
	if (ld->n_old == ld->cap_old) {
		size_t cap = ld->cap_old ? ld->cap_old * 2 : 16;
		old_rule *p = realloc(ld->old, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		ld->old = p;
		ld->cap_old = cap;
	}
	char *pat = strdup(r->pattern ? r->pattern : "");
	if (!pat)
		return RL_ENOMEM;
	ld->old[ld->n_old++] = (old_rule){ r->id, pat, 0 };
	return RL_OK;
}

static void loader_free(loader *ld)
{
	for (size_t i = 0; i < ld->n_old; i++)
		free(ld->old[i].pattern);
	free(ld->old);
	for (int t = 0; ld->part && t < ld->threads; t++) {
		match_part *p = &ld->part[t];
		for (size_t i = 0; t > 0 && p->m && i < ld->n_match; i++)
			rl_matcher_free(p->m[i]);
		if (t > 0)
			free(p->m);
		free(p->hit);
		free(p->keys);
		free(p->values);
	}
	free(ld->part);
	for (size_t i = 0; i < ld->n_match; i++) {
		rl_matcher_free(ld->m[i]);
		free(ld->files[i]);
		free(ld->patterns[i]);
	}
	free(ld->m);
	free(ld->files);
	free(ld->patterns);
	free(ld->ids);
	free(ld->lines);
	free(ld->batch);
	rl_buf_free(&ld->text);
	rl_buf_free(&ld->ext);
	rl_buf_free(&ld->meta_buf);
	free(ld->key_at);
	free(ld->val_at);
}

/* Notes one metadata field of the review being added to the batch. */
static int on_meta(void *ctx, const char *key, const char *value)
{
	loader *ld = ctx;
	if (ld->n_meta == ld->cap_meta) {
		size_t cap = ld->cap_meta ? ld->cap_meta * 2 : 64;
		size_t *k = realloc(ld->key_at, cap * sizeof *k);
		if (k)
			ld->key_at = k;
		size_t *v = realloc(ld->val_at, cap * sizeof *v);
		if (v)
			ld->val_at = v;
		if (!k || !v)
			return RL_ENOMEM;
		ld->cap_meta = cap;
	}
	ld->key_at[ld->n_meta] = ld->meta_buf.len;
	if (rl_buf_append(&ld->meta_buf, key, strlen(key) + 1) != RL_OK)
		return RL_ENOMEM;
	ld->val_at[ld->n_meta] = ld->meta_buf.len;
	if (rl_buf_append(&ld->meta_buf, value, strlen(value) + 1) != RL_OK)
		return RL_ENOMEM;
	ld->n_meta++;
	return RL_OK;
}

/* Review i of the batch's metadata as m, in part p's arrays. */
static int batch_meta(const loader *ld, match_part *p, size_t i, rl_meta *m)
{
	size_t n = ld->mfirst[i + 1] - ld->mfirst[i];
	if (n > p->cap_meta) {
		const char **k = realloc(p->keys, n * sizeof *k);
		if (k)
			p->keys = k;
		const char **v = realloc(p->values, n * sizeof *v);
		if (v)
			p->values = v;
		if (!k || !v)
			return RL_ENOMEM;
		p->cap_meta = n;
	}
	for (size_t j = 0; j < n; j++) {
		p->keys[j] = ld->meta_buf.data + ld->key_at[ld->mfirst[i] + j];
		p->values[j] = ld->meta_buf.data + ld->val_at[ld->mfirst[i] + j];
	}
	*m = (rl_meta){ n, p->keys, p->values };
	return RL_OK;
}

/* Thread t matches its range of the batch, noting hits in its part. */
static void match_part_run(void *ctx, int t, int nt)
{
	loader *ld = ctx;
	match_part *p = &ld->part[t];
	size_t lo = ld->n_rev * (size_t)t / (size_t)nt;
	size_t hi = ld->n_rev * (size_t)(t + 1) / (size_t)nt;
	p->n_hit = 0;
	p->rc = RL_OK;
	for (size_t i = lo; i < hi && p->rc == RL_OK; i++) {
		rl_meta meta = { 0 };
		if (ld->need_meta && (p->rc = batch_meta(ld, p, i, &meta)) !=
		    RL_OK)
			break;
		const char *text = ld->text.data + ld->toff[i];
		size_t len = ld->toff[i + 1] - ld->toff[i] - 1;
		int valid = 0;
		for (size_t r = 0; r < ld->n_match; r++) {
			size_t a, b;
			int m = rl_matcher_find_in(p->m[r], text, len, &valid,
						   &meta, &a, &b, p->err,
						   sizeof p->err);
			if (m < 0) {
				p->rc = m;
				p->at = (uint32_t)i;
				p->rule = (uint32_t)r;
				break;
			}
			if (m == 0)
				continue;
			if (p->n_hit == p->cap_hit) {
				size_t cap = p->cap_hit ? 2 * p->cap_hit : 1024;
				match_hit *h = realloc(p->hit, cap * sizeof *h);
				if (!h) {
					p->rc = RL_ENOMEM;
					break;
				}
				p->hit = h;
				p->cap_hit = cap;
			}
			p->hit[p->n_hit++] = (match_hit){ (uint32_t)i,
							  (uint32_t)r, a, b };
		}
	}
}

/* The parts, each thread's after the first with its own compiled copy of
 * the rules, compiled from the first's with its word lists written in:
 * no word-list file is read again, so every thread matches the lists
 * the rule set was loaded with. */
static int parts_make(loader *ld)
{
	if (ld->part)
		return RL_OK;
	if (ld->threads < 1)
		ld->threads = 1;
	if (!(ld->part = calloc((size_t)ld->threads, sizeof *ld->part)))
		return RL_ENOMEM;
	ld->part[0].m = ld->m;
	if (ld->threads == 1)
		return RL_OK;
	for (int t = 1; t < ld->threads; t++)
		if (!(ld->part[t].m = calloc(ld->n_match + 1,
					     sizeof *ld->part[t].m)))
			return RL_ENOMEM;
	rl_buf emb = { 0 };
	int rc = RL_OK;
	for (size_t r = 0; r < ld->n_match && rc == RL_OK; r++) {
		char err[512];
		size_t off;
		emb.len = 0;
		rc = rl_matcher_embed(ld->m[r], ld->patterns[r], &emb, err,
				      sizeof err);
		for (int t = 1; t < ld->threads && rc == RL_OK; t++)
			rc = rl_matcher_new_at(emb.data, NULL,
					       &ld->part[t].m[r], err,
					       sizeof err, &off);
		if (rc != RL_OK && rc != RL_ENOMEM)
			rc = rl_fail(ld->db, rc, "%s:%d: %s", ld->files[r],
				     ld->lines[r], err);
	}
	rl_buf_free(&emb);
	return rc;
}

/* Matches the batch and writes its hits; the batch is emptied. */
static int batch_flush(loader *ld)
{
	if (ld->n_rev == 0)
		return RL_OK;
	int rc = parts_make(ld);
	if (rc != RL_OK)
		return rc;
	int threads = ld->threads;
	if ((size_t)threads > ld->n_rev)
		threads = (int)ld->n_rev;
	if ((rc = rl_parallel(threads, match_part_run, ld)) != RL_OK)
		return rc;
	/* The ranges in order: the first failure is the one a single
	 * thread would have met first. */
	for (int t = 0; t < threads; t++) {
		match_part *p = &ld->part[t];
		for (size_t h = 0; h < p->n_hit && rc == RL_OK; h++) {
			const match_hit *x = &p->hit[h];
			rc = rl_store_hit_put(ld->db, ld->ids[x->rule],
					      ld->rev_id[x->review], x->a, x->b);
		}
		if (rc != RL_OK)
			return rc;
		ld->st.hits += p->n_hit;
		if (p->rc == RL_ENOMEM)
			return p->rc;
		if (p->rc != RL_OK)
			return rl_fail(ld->db, p->rc, "%s:%d: rule fails on "
				       "review '%s': %s", ld->files[p->rule],
				       ld->lines[p->rule],
				       ld->ext.data + ld->eoff[p->at], p->err);
	}
	ld->st.reviews += ld->n_rev;
	ld->n_rev = 0;
	ld->text.len = ld->ext.len = ld->meta_buf.len = 0;
	ld->n_meta = 0;
	return RL_OK;
}

/* Adds one review to the batch, matching the batch when it is full. */
static int match_review(void *ctx, int64_t id, const char *ext_id,
			const char *text, size_t len, const char *meta_json)
{
	loader *ld = ctx;
	size_t i = ld->n_rev;
	ld->rev_id[i] = id;
	ld->toff[i] = ld->text.len;
	ld->eoff[i] = ld->ext.len;
	ld->mfirst[i] = ld->n_meta;
	int rc = rl_buf_append(&ld->text, text, len);
	if (rc == RL_OK)
		rc = rl_buf_putc(&ld->text, 0);
	if (rc == RL_OK)
		rc = rl_buf_append(&ld->ext, ext_id, strlen(ext_id) + 1);
	if (rc != RL_OK)
		return rc;
	if (ld->need_meta) {
		rc = rl_store_meta_each(ld->db, meta_json, on_meta, ld);
		/* The batch before it is matched first: a rule failing on
		 * an earlier review is the failure to name. */
		if (rc == RL_EDB && (rc = batch_flush(ld)) == RL_OK)
			return rl_fail(ld->db, RL_EDB, "review '%s': its "
				       "metadata is not a JSON object",
				       ext_id);
		if (rc != RL_OK)
			return rc;
	}
	ld->n_rev++;
	ld->toff[ld->n_rev] = ld->text.len;
	ld->mfirst[ld->n_rev] = ld->n_meta;
	return ld->n_rev == MATCH_BATCH || ld->text.len >= PENDING_BYTES
	       ? batch_flush(ld) : RL_OK;
}

static int add_matcher(loader *ld, int64_t id, const char *pattern,
		       int line, const char *file)
{
	size_t n = ld->n_match + 1;
	char **files = realloc(ld->files, n * sizeof *files);
	if (!files)
		return RL_ENOMEM;
	ld->files = files;
	rl_matcher **m = realloc(ld->m, n * sizeof *m);
	if (!m)
		return RL_ENOMEM;
	ld->m = m;
	int64_t *ids = realloc(ld->ids, n * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	ld->ids = ids;
	int *lines = realloc(ld->lines, n * sizeof *lines);
	if (!lines)
		return RL_ENOMEM;
	ld->lines = lines;
	char **patterns = realloc(ld->patterns, n * sizeof *patterns);
	if (!patterns)
		return RL_ENOMEM;
	ld->patterns = patterns;
	char err[512];
	size_t off;
	int rc = rl_matcher_new_at(pattern, file, &ld->m[ld->n_match], err,
				   sizeof err, &off);
	if (rc != RL_OK)
		return rc != RL_ENOMEM ? rl_fail(ld->db, rc, "%s:%d: %s", file,
						 line, err) : rc;
	if (rl_matcher_needs(ld->m[ld->n_match]) & RL_PAT_META)
		ld->need_meta = 1;
	if (!(ld->files[ld->n_match] = strdup(file))) {
		rl_matcher_free(ld->m[ld->n_match]);
		return RL_ENOMEM;
	}
	if (!(ld->patterns[ld->n_match] = strdup(pattern))) {
		rl_matcher_free(ld->m[ld->n_match]);
		free(ld->files[ld->n_match]);
		return RL_ENOMEM;
	}
	ld->ids[ld->n_match] = id;
	ld->lines[ld->n_match] = line;
	ld->n_match++;
	return RL_OK;
}

int rl_rules_load(rl_db *db, const char *path, const rl_rules_opts *o,
		  rl_rules_stats *st)
{
	rl_rules_opts defaults = { 0 };
	if (!o)
		o = &defaults;
	loader *ld = calloc(1, sizeof *ld);
	rl_rule_def *defs = NULL;
	size_t n = 0;
	char err[1024], counts[256] = "{}";
	rl_buf params = { 0 };
	rl_stage stg;
	int64_t last = 0;
	char *abs_path = NULL;
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if (!ld)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	ld->db = db;
	ld->threads = o->threads > 0 ? o->threads : RL_RULES_THREADS;

	FILE *f = fopen(path, "rb");
	if (!f) {
		rc = rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = rl_rules_parse(path, f, &defs, &n, err, sizeof err);
	fclose(f);
	if (rc != RL_OK) {
		if (rc != RL_ENOMEM)
			rl_fail(db, rc, "%s", err);
		goto out;
	}
	/* A rule set that names word lists is recorded by the rules file's
	 * absolute path, so `rules apply` and `run` find the lists from any
	 * folder. */
	for (size_t i = 0; i < n && !abs_path && path[0] != '/'; i++) {
		int needs = rl_pattern_needs(defs[i].pattern);
		if (needs == RL_ENOMEM) {
			rc = needs;
			goto out;
		}
		if (needs > 0 && (needs & RL_PAT_WORDS) &&
		    !(abs_path = realpath(path, NULL))) {
			rc = errno == ENOMEM ? RL_ENOMEM
			     : rl_fail(db, RL_EIO, "%s: %s", path,
				       strerror(errno));
			goto out;
		}
	}
	const char *source = abs_path ? abs_path : path;
	if ((rc = rl_buf_append(&params, "{\"file\":", 8)) != RL_OK ||
	    (rc = rl_json_string(&params, path, strlen(path))) != RL_OK ||
	    (rc = rl_buf_putc(&params, '}')) != RL_OK)
		goto out;
	if ((rc = rl_stage_begin(db, "rules", params.data, &stg)) != RL_OK)
		goto out;
	if ((rc = rl_store_rules_each(db, collect_old, ld)) != RL_OK)
		goto end;
	for (size_t i = 0; i < n; i++) {
		const rl_rule_def *d = &defs[i];
		int64_t label_id, id = 0;
		rc = rl_store_label_get(db, d->label, o->create_labels,
					&label_id, NULL);
		if (rc == RL_ENOTFOUND) {
			rc = rl_fail_need(db, RL_EINPUT, RL_NEED_LABEL,
					  "%s:%d:%d: unknown label '%s'",
					  path, d->line, d->negate ? 2 : 1,
					  d->label);
			goto end;
		}
		if (rc != RL_OK)
			goto end;
		int needs = rl_pattern_needs(d->pattern);
		if (needs == RL_ENOMEM) {
			rc = needs;
			goto end;
		}
		int listed = needs > 0 && (needs & RL_PAT_WORDS);
		for (size_t j = 0; j < ld->n_old && !listed; j++)
			if (!ld->old[j].claimed &&
			    !strcmp(ld->old[j].pattern, d->pattern)) {
				ld->old[j].claimed = 1;
				id = ld->old[j].id;
				ld->st.kept++;
				break;
			}
		int fresh = id == 0;
		if ((rc = rl_store_rule_put(db, &id, d->line, label_id,
					    d->negate, d->pattern, d->weight,
					    source)) != RL_OK)
			goto end;
		if (fresh && (rc = add_matcher(ld, id, d->pattern, d->line,
					       source)) != RL_OK)
			goto end;
	}
	for (size_t j = 0; j < ld->n_old; j++)
		if (!ld->old[j].claimed &&
		    (rc = rl_store_rule_delete(db, ld->old[j].id)) != RL_OK)
			goto end;
	ld->st.rules = n;
	ld->st.matched = ld->n_match;
	if (ld->n_match &&
	    ((rc = rl_store_reviews_batch_meta(db, 0, 0, INT_MAX,
					       match_review, ld, &last)) !=
	     RL_OK || (rc = batch_flush(ld)) != RL_OK))
		goto end;
	/* With no rule kept, every rule of the set has now been matched
	 * against every review, so none is left for `rules apply` (run's
	 * rules step), which would match them all again. With rules kept,
	 * a review not scanned before has met only the new ones. */
	if (ld->st.kept == 0 && (rc = rl_store_scanned_all(db)) != RL_OK)
		goto end;
	snprintf(counts, sizeof counts,
		 "{\"rules\":%llu,\"kept\":%llu,\"matched\":%llu,"
		 "\"hits\":%llu}", (unsigned long long)ld->st.rules,
		 (unsigned long long)ld->st.kept,
		 (unsigned long long)ld->st.matched,
		 (unsigned long long)ld->st.hits);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = ld->st;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&params);
	free(abs_path);
	rl_rule_defs_free(defs, n);
	loader_free(ld);
	free(ld);
	return rc;
}

/* ---- apply to new reviews ---- */

static int collect_matcher(void *ctx, const rl_rule_row *r)
{
	loader *ld = ctx;
	return add_matcher(ld, r->id, r->pattern ? r->pattern : "", r->line,
			   r->source ? r->source : "rules");
}

static int match_and_note(void *ctx, int64_t id, const char *ext_id,
			  const char *text, size_t len, const char *meta)
{
	loader *ld = ctx;
	int rc = match_review(ctx, id, ext_id, text, len, meta);
	if (rc == RL_OK)
		ld->batch[ld->n_batch++] = id;
	return rc;
}

#define APPLY_BATCH 4096

int rl_rules_apply(rl_db *db, const rl_rules_opts *o, rl_rules_stats *st)
{
	loader *ld = calloc(1, sizeof *ld);
	rl_stage stg;
	int64_t after = 0;
	char counts[200] = "{}";
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if (!ld || !(ld->batch = malloc(APPLY_BATCH * sizeof *ld->batch))) {
		free(ld);
		return rl_fail(db, RL_ENOMEM, "out of memory");
	}
	ld->db = db;
	ld->threads = o && o->threads > 0 ? o->threads : RL_RULES_THREADS;
	if ((rc = rl_stage_begin(db, "rules", "{}", &stg)) != RL_OK)
		goto out;
	if ((rc = rl_store_rules_each(db, collect_matcher, ld)) != RL_OK)
		goto end;
	for (;;) {
		ld->n_batch = 0;
		rc = rl_store_reviews_batch_meta(db, 1, after, APPLY_BATCH,
						 match_and_note, ld, &after);
		if (rc == RL_OK)
			rc = batch_flush(ld);
		if (rc != RL_OK)
			goto end;
		if (ld->n_batch == 0)
			break;
		/* rule_scans is what the batch query reads, so it is written
		 * only once the query is done. */
		for (size_t i = 0; i < ld->n_batch; i++)
			if ((rc = rl_store_scanned_put(db, ld->batch[i])) !=
			    RL_OK)
				goto end;
	}
	ld->st.rules = ld->n_match;
	ld->st.matched = ld->n_match;
	snprintf(counts, sizeof counts,
		 "{\"rules\":%llu,\"reviews\":%llu,\"hits\":%llu}",
		 (unsigned long long)ld->st.rules,
		 (unsigned long long)ld->st.reviews,
		 (unsigned long long)ld->st.hits);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = ld->st;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	loader_free(ld);
	free(ld);
	return rc;
}

/* ---- the report ---- */

typedef struct reporter {
	rl_rules_report *r;
	size_t cap;
} reporter;

static int collect_rule(void *ctx, const rl_rule_row *row)
{
	reporter *rp = ctx;
	rl_rules_report *r = rp->r;
	if (r->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 16;
		rl_rule_report *p = realloc(r->rules, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		r->rules = p;
		rp->cap = cap;
	}
	rl_rule_report *x = &r->rules[r->n];
	memset(x, 0, sizeof *x);
	x->id = row->id;
	x->line = row->line;
	x->negate = row->negate;
	x->weight = row->weight;
	x->precision = x->ci_low = x->ci_high = -1;
	x->label = strdup(row->label ? row->label : "");
	x->pattern = strdup(row->pattern ? row->pattern : "");
	x->source = strdup(row->source ? row->source : "");
	r->n++;
	return x->label && x->pattern && x->source ? RL_OK : RL_ENOMEM;
}

int rl_rules_report_get(rl_db *db, rl_rules_report **out)
{
	reporter rp = { 0 };
	rl_evidence ev;
	uint64_t *cnt = NULL;
	size_t *at = NULL;
	int rc = RL_ENOMEM;
	*out = NULL;
	memset(&ev, 0, sizeof ev);
	rl_clear_error(db);
	rp.r = calloc(1, sizeof *rp.r);
	if (!rp.r)
		goto out;
	if ((rc = rl_store_rules_each(db, collect_rule, &rp)) != RL_OK ||
	    (rc = rl_evidence_load_no_graph(db, &ev)) != RL_OK)
		goto out;
	rl_rules_report *r = rp.r;
	size_t n = r->n, m = ev.n_rules;
	r->reviews = ev.n;
	rc = RL_ENOMEM;
	r->overlap = calloc(n * n + 1, sizeof *r->overlap);
	r->conflict = calloc(n * n + 1, sizeof *r->conflict);
	/* per evidence rule: hits, overlaps, conflicts, seed hits, seed
	 * right, then the two [m][m] matrices */
	cnt = malloc((5 * m + 2 * m * m + 1) * sizeof *cnt);
	at = malloc((m + 1) * sizeof *at);
	if (!r->overlap || !r->conflict || !cnt || !at)
		goto out;
	uint64_t *hits = cnt, *overlaps = cnt + m, *conflicts = cnt + 2 * m;
	uint64_t *seed_hits = cnt + 3 * m, *seed_right = cnt + 4 * m;
	uint64_t *overlap = cnt + 5 * m, *conflict = overlap + m * m;
	rl_rule_overlaps(&ev, hits, overlaps, conflicts, overlap, conflict,
			 &r->covered, &r->conflicted);
	rl_rule_seed_counts(&ev, NULL, seed_hits, seed_right);
	/* The evidence's rules are the report's, matched by id (both in
	 * line order, so this is the identity but for a concurrent
	 * change). */
	for (size_t e = 0; e < m; e++) {
		at[e] = SIZE_MAX;
		for (size_t i = 0; i < n && at[e] == SIZE_MAX; i++)
			if (r->rules[i].id == ev.rule_ids[e])
				at[e] = i;
	}
	for (size_t e = 0; e < m; e++) {
		if (at[e] == SIZE_MAX)
			continue;
		rl_rule_report *x = &r->rules[at[e]];
		x->hits = hits[e];
		x->overlaps = overlaps[e];
		x->conflicts = conflicts[e];
		x->seed_hits = seed_hits[e];
		x->seed_correct = seed_right[e];
		for (size_t f = 0; f < m; f++)
			if (at[f] != SIZE_MAX) {
				r->overlap[at[e] * n + at[f]] =
					overlap[e * m + f];
				r->conflict[at[e] * n + at[f]] =
					conflict[e * m + f];
			}
		if (x->seed_hits == 0)
			continue;
		x->precision = (double)x->seed_correct / (double)x->seed_hits;
		rl_wilson(x->seed_correct, x->seed_hits, &x->ci_low,
			  &x->ci_high);
	}
	rl_rules_lint(r, NULL);
	*out = rp.r;
	rp.r = NULL;
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_rules_report_free(rp.r);
	rl_evidence_free(&ev);
	free(cnt);
	free(at);
	return rc;
}

void rl_rules_report_free(rl_rules_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rules[i].label);
		free(r->rules[i].pattern);
		free(r->rules[i].source);
	}
	free(r->rules);
	free(r->overlap);
	free(r->conflict);
	free(r);
}

/* ---- lint ---- */

void rl_lint_opts_init(rl_lint_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_coverage = 0.30;
	o->min_precision = 0.5;
}

size_t rl_rules_lint(rl_rules_report *r, const rl_lint_opts *o)
{
	rl_lint_opts d;
	size_t n = r->n, flagged = 0;
	if (!o) {
		rl_lint_opts_init(&d);
		o = &d;
	}
	for (size_t i = 0; i < n; i++) {
		rl_rule_report *x = &r->rules[i];
		x->lint = 0;
		x->subset_of = 0;
		if (x->hits == 0) {
			x->lint |= RL_LINT_NEVER;
			flagged++;
			continue;
		}
		/* Subset by the overlap counts: all of x's hits are shared
		 * with y. Of two rules with the same hits, the later one is
		 * the redundant one. */
		for (size_t j = 0; j < n && !x->subset_of; j++) {
			const rl_rule_report *y = &r->rules[j];
			if (j == i || y->negate != x->negate ||
			    strcmp(y->label, x->label) ||
			    r->overlap[i * n + j] != x->hits ||
			    (y->hits == x->hits && j > i))
				continue;
			x->lint |= RL_LINT_REDUNDANT;
			x->subset_of = y->line;
		}
		double cover = r->reviews ? (double)x->hits /
					    (double)r->reviews : 0;
		if (cover > o->max_coverage &&
		    (x->seed_hits == 0 || x->ci_low < o->min_precision))
			x->lint |= RL_LINT_BROAD;
		flagged += x->lint != 0;
	}
	return flagged;
}
