/*
 * stage_rules.c - the rules stage: a rules file -> rules, rule_hits; and
 * the rule-quality report computed from the stored hits and seeds.
 *
 * Loading replaces the rule set in one transaction. A rule whose pattern
 * was already in the set keeps its id and hits (only its line, label and
 * weight are updated), so changing one rule of fifty matches one pattern
 * against the reviews, not fifty. Reviews imported later are matched by
 * rl_rules_apply(), which `revlab run` calls.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rules.h"
#include "store.h"

typedef struct old_rule {
	int64_t id;
	char *pattern;
	int claimed;
} old_rule;

typedef struct loader {
	old_rule *old;
	size_t n_old, cap_old;
	/* rules to match against reviews: ids and compiled patterns */
	int64_t *ids;
	rl_matcher **m;
	int *lines;
	char **files;		/* [n_match] rules file of each, for errors */
	size_t n_match;
	rl_db *db;
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
	for (size_t i = 0; i < ld->n_match; i++) {
		rl_matcher_free(ld->m[i]);
		free(ld->files[i]);
	}
	free(ld->m);
	free(ld->files);
	free(ld->ids);
	free(ld->lines);
	free(ld->batch);
}

/* Matches the rules in ld against one review, storing hits. */
static int match_review(void *ctx, int64_t id, const char *ext_id,
			const char *text, size_t len)
{
	loader *ld = ctx;
	char err[512];
	for (size_t i = 0; i < ld->n_match; i++) {
		size_t a, b;
		int r = rl_matcher_find(ld->m[i], text, len, &a, &b, err,
					sizeof err);
		if (r < 0)
			return rl_fail(ld->db, r, "%s:%d: rule fails on review "
				       "'%s': %s", ld->files[i], ld->lines[i],
				       ext_id, err);
		if (r == 0)
			continue;
		int rc = rl_store_hit_put(ld->db, ld->ids[i], id, a, b);
		if (rc != RL_OK)
			return rc;
		ld->st.hits++;
	}
	ld->st.reviews++;
	return RL_OK;
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
	char err[256];
	size_t off;
	int rc = rl_matcher_new(pattern, &ld->m[ld->n_match], err, sizeof err,
				&off);
	if (rc != RL_OK)
		return rc == RL_EINPUT ? rl_fail(ld->db, rc, "%s:%d: %s", file,
						 line, err) : rc;
	if (!(ld->files[ld->n_match] = strdup(file))) {
		rl_matcher_free(ld->m[ld->n_match]);
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
	loader ld = { .db = db };
	rl_rule_def *defs = NULL;
	size_t n = 0;
	char err[1024];
	rl_buf params = { 0 };
	int64_t run_id = 0, last = 0;
	double t0 = rl_now();
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);

	FILE *f = fopen(path, "rb");
	if (!f)
		return rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
	rc = rl_rules_parse(path, f, &defs, &n, err, sizeof err);
	fclose(f);
	if (rc != RL_OK) {
		if (rc != RL_ENOMEM)
			rl_fail(db, rc, "%s", err);
		return rc;
	}
	if ((rc = rl_buf_append(&params, "{\"file\":", 8)) != RL_OK ||
	    (rc = rl_json_string(&params, path, strlen(path))) != RL_OK ||
	    (rc = rl_buf_putc(&params, '}')) != RL_OK)
		goto out;
	if ((rc = rl_store_begin(db)) != RL_OK)
		goto out;
	if ((rc = rl_store_run_start(db, "rules", params.data, &run_id)) !=
	    RL_OK || (rc = rl_store_rules_each(db, collect_old, &ld)) != RL_OK)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const rl_rule_def *d = &defs[i];
		int64_t label_id, id = 0;
		rc = rl_store_label_get(db, d->label, o->create_labels,
					&label_id, NULL);
		if (rc == RL_ENOTFOUND) {
			rc = rl_fail(db, RL_EINPUT, "%s:%d:%d: unknown label "
				     "'%s'; declare it with `revlab labels DB "
				     "--add %s`, or load with --create-labels",
				     path, d->line, d->negate ? 2 : 1,
				     d->label, d->label);
			goto fail;
		}
		if (rc != RL_OK)
			goto fail;
		for (size_t j = 0; j < ld.n_old; j++)
			if (!ld.old[j].claimed &&
			    !strcmp(ld.old[j].pattern, d->pattern)) {
				ld.old[j].claimed = 1;
				id = ld.old[j].id;
				ld.st.kept++;
				break;
			}
		int fresh = id == 0;
		if ((rc = rl_store_rule_put(db, &id, d->line, label_id,
					    d->negate, d->pattern, d->weight,
					    path)) != RL_OK)
			goto fail;
		if (fresh && (rc = add_matcher(&ld, id, d->pattern, d->line,
					       path)) != RL_OK)
			goto fail;
	}
	for (size_t j = 0; j < ld.n_old; j++)
		if (!ld.old[j].claimed &&
		    (rc = rl_store_rule_delete(db, ld.old[j].id)) != RL_OK)
			goto fail;
	ld.st.rules = n;
	ld.st.matched = ld.n_match;
	if (ld.n_match && (rc = rl_store_reviews_batch(db, 0, 0, INT_MAX,
						       match_review, &ld,
						       &last)) != RL_OK)
		goto fail;
	char counts[256];
	snprintf(counts, sizeof counts,
		 "{\"rules\":%llu,\"kept\":%llu,\"matched\":%llu,"
		 "\"hits\":%llu}", (unsigned long long)ld.st.rules,
		 (unsigned long long)ld.st.kept,
		 (unsigned long long)ld.st.matched,
		 (unsigned long long)ld.st.hits);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK || (rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	if (st)
		*st = ld.st;
	goto out;
fail:
	rl_store_rollback(db);
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&params);
	rl_rule_defs_free(defs, n);
	loader_free(&ld);
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
			  const char *text, size_t len)
{
	loader *ld = ctx;
	int rc = match_review(ctx, id, ext_id, text, len);
	if (rc == RL_OK)
		ld->batch[ld->n_batch++] = id;
	return rc;
}

#define APPLY_BATCH 4096

int rl_rules_apply(rl_db *db, const rl_rules_opts *o, rl_rules_stats *st)
{
	loader ld = { .db = db };
	int64_t run_id = 0, after = 0;
	double t0 = rl_now();
	int rc;
	(void)o;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	ld.batch = malloc(APPLY_BATCH * sizeof *ld.batch);
	if (!ld.batch)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	if ((rc = rl_store_begin(db)) != RL_OK)
		goto out;
	if ((rc = rl_store_run_start(db, "rules", "{}", &run_id)) != RL_OK ||
	    (rc = rl_store_rules_each(db, collect_matcher, &ld)) != RL_OK)
		goto fail;
	for (;;) {
		ld.n_batch = 0;
		rc = rl_store_reviews_batch(db, 1, after, APPLY_BATCH,
					    match_and_note, &ld, &after);
		if (rc != RL_OK)
			goto fail;
		if (ld.n_batch == 0)
			break;
		/* rule_scans is what the batch query reads, so it is written
		 * only once the query is done. */
		for (size_t i = 0; i < ld.n_batch; i++)
			if ((rc = rl_store_scanned_put(db, ld.batch[i])) !=
			    RL_OK)
				goto fail;
	}
	ld.st.rules = ld.n_match;
	ld.st.matched = ld.n_match;
	char counts[200];
	snprintf(counts, sizeof counts,
		 "{\"rules\":%llu,\"reviews\":%llu,\"hits\":%llu}",
		 (unsigned long long)ld.st.rules,
		 (unsigned long long)ld.st.reviews,
		 (unsigned long long)ld.st.hits);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK || (rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	if (st)
		*st = ld.st;
	goto out;
fail:
	rl_store_rollback(db);
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	loader_free(&ld);
	return rc;
}

/* ---- the report ---- */

typedef struct reporter {
	rl_rules_report *r;
	int64_t *label_of;	/* [n] label id of each rule */
	size_t cap;
	/* seeds: sorted (review, label) */
	int64_t *seed_review, *seed_label;
	size_t n_seeds, cap_seeds;
	/* rule ids sorted, with their index in r->rules */
	int64_t *by_id;
	size_t *by_id_idx;
	/* the review being gathered */
	int64_t cur;
	size_t *group, n_group;
	int oom;
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
		int64_t *l = realloc(rp->label_of, cap * sizeof *l);
		if (!l)
			return RL_ENOMEM;
		rp->label_of = l;
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
	rp->label_of[r->n] = row->label_id;
	r->n++;
	return x->label && x->pattern ? RL_OK : RL_ENOMEM;
}

static int collect_seed(void *ctx, int64_t review, int64_t label)
{
	reporter *rp = ctx;
	if (rp->n_seeds == rp->cap_seeds) {
		size_t cap = rp->cap_seeds ? rp->cap_seeds * 2 : 64;
		int64_t *a = realloc(rp->seed_review, cap * sizeof *a);
		if (!a)
			return RL_ENOMEM;
		rp->seed_review = a;
		int64_t *b = realloc(rp->seed_label, cap * sizeof *b);
		if (!b)
			return RL_ENOMEM;
		rp->seed_label = b;
		rp->cap_seeds = cap;
	}
	rp->seed_review[rp->n_seeds] = review;
	rp->seed_label[rp->n_seeds++] = label;
	return RL_OK;
}

static int64_t seed_of(const reporter *rp, int64_t review)
{
	int64_t i = rl_find_id(rp->seed_review, rp->n_seeds, review);
	return i >= 0 ? rp->seed_label[i] : -1;
}

static int disagree(const reporter *rp, size_t i, size_t j)
{
	const rl_rule_report *a = &rp->r->rules[i], *b = &rp->r->rules[j];
	int same = rp->label_of[i] == rp->label_of[j];
	if (!a->negate && !b->negate)
		return !same;
	return a->negate != b->negate && same;
}

/* Folds the hits of review rp->cur (rule indices in rp->group). */
static void fold_group(reporter *rp)
{
	rl_rules_report *r = rp->r;
	size_t n = r->n, g = rp->n_group;
	if (g == 0)
		return;
	int64_t seed = seed_of(rp, rp->cur);
	int any_conflict = 0;
	r->covered++;
	for (size_t a = 0; a < g; a++) {
		size_t i = rp->group[a];
		rl_rule_report *x = &r->rules[i];
		int overlapped = 0, conflicted = 0;
		x->hits++;
		for (size_t b = 0; b < g; b++) {
			size_t j = rp->group[b];
			if (j == i)
				continue;
			overlapped = 1;
			r->overlap[i * n + j]++;
			if (disagree(rp, i, j)) {
				conflicted = 1;
				r->conflict[i * n + j]++;
			}
		}
		x->overlaps += (uint64_t)overlapped;
		x->conflicts += (uint64_t)conflicted;
		any_conflict |= conflicted;
		if (seed >= 0) {
			x->seed_hits++;
			x->seed_correct += (uint64_t)((seed == rp->label_of[i]) !=
						      x->negate);
		}
	}
	r->conflicted += (uint64_t)any_conflict;
}

static int collect_hit(void *ctx, int64_t review, int64_t rule)
{
	reporter *rp = ctx;
	if (review != rp->cur) {
		fold_group(rp);
		rp->n_group = 0;
		rp->cur = review;
	}
	int64_t i = rl_find_id(rp->by_id, rp->r->n, rule);
	if (i >= 0)
		rp->group[rp->n_group++] = rp->by_id_idx[i];
	return RL_OK;
}

/* 95% Wilson score interval for c successes of n. */
static void wilson(uint64_t c, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p = (double)c / (double)n, nn = (double)n;
	double den = 1 + z * z / nn;
	double mid = (p + z * z / (2 * nn)) / den;
	double half = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) /
		      den;
	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
}

int rl_rules_report_get(rl_db *db, rl_rules_report **out)
{
	reporter rp = { .cur = -1 };
	int rc = RL_ENOMEM;
	*out = NULL;
	rl_clear_error(db);
	rp.r = calloc(1, sizeof *rp.r);
	if (!rp.r)
		goto out;
	if ((rc = rl_store_rules_each(db, collect_rule, &rp)) != RL_OK ||
	    (rc = rl_store_seeds_each(db, collect_seed, &rp)) != RL_OK ||
	    (rc = rl_store_count_reviews(db, &rp.r->reviews)) != RL_OK)
		goto out;
	size_t n = rp.r->n;
	rc = RL_ENOMEM;
	rp.r->overlap = calloc(n * n + 1, sizeof *rp.r->overlap);
	rp.r->conflict = calloc(n * n + 1, sizeof *rp.r->conflict);
	rp.group = malloc((n + 1) * sizeof *rp.group);
	rp.by_id = malloc((n + 1) * sizeof *rp.by_id);
	rp.by_id_idx = malloc((n + 1) * sizeof *rp.by_id_idx);
	if (!rp.r->overlap || !rp.r->conflict || !rp.group || !rp.by_id ||
	    !rp.by_id_idx)
		goto out;
	/* Insertion sort of the rule ids: rule sets are small. */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && rp.by_id[j - 1] > rp.r->rules[i].id) {
			rp.by_id[j] = rp.by_id[j - 1];
			rp.by_id_idx[j] = rp.by_id_idx[j - 1];
			j--;
		}
		rp.by_id[j] = rp.r->rules[i].id;
		rp.by_id_idx[j] = i;
	}
	if ((rc = rl_store_hits_each(db, collect_hit, &rp)) != RL_OK)
		goto out;
	fold_group(&rp);
	for (size_t i = 0; i < n; i++) {
		rl_rule_report *x = &rp.r->rules[i];
		if (x->seed_hits == 0)
			continue;
		x->precision = (double)x->seed_correct / (double)x->seed_hits;
		wilson(x->seed_correct, x->seed_hits, &x->ci_low, &x->ci_high);
	}
	*out = rp.r;
	rp.r = NULL;
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_rules_report_free(rp.r);
	free(rp.label_of);
	free(rp.seed_review);
	free(rp.seed_label);
	free(rp.group);
	free(rp.by_id);
	free(rp.by_id_idx);
	return rc;
}

void rl_rules_report_free(rl_rules_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rules[i].label);
		free(r->rules[i].pattern);
	}
	free(r->rules);
	free(r->overlap);
	free(r->conflict);
	free(r);
}
