/*
 * store_read.c - the store's public read queries (revlab.h): counts and
 * the last run of each stage, labels with their counts, unlabelled
 * reviews, a rule's hits, clusters and their members, a model's
 * predictions; and the report's queries (store.h). Each hands its rows
 * to a callback; none changes the store. The labelled table (export) is
 * store_export.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

enum stmt_id {
	S_LABELS_LIST,
	S_LABELS_UNRULED,
	S_UNLABELLED_RANDOM,
	S_RULE_BY_LINE,
	S_RULE_HITS,
	S_CLUSTERS_ALL,
	S_CLUSTER_TERMS,
	S_REPORT_SOURCES,
	S_REPORT_RULE_LABELS,
	S_REPORT_HIST,
	S_REPORT_LOWEST,
	S_REPORT_LAST_LABEL,
	S_REPORT_LABEL_PAIRS,
	S_REPORT_ML_HIST,
	S_REPORT_ML_LOWEST,
	S_LABELLING_INPUTS,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	/* What a labelling depends on, as one text (rl_store_labelling_
	 * inputs); the corpus by its size, newest review and newest import
	 * (a replaced text is a newer import), the rest row by row. */
	[S_LABELLING_INPUTS] =
		"SELECT (SELECT count(*) || ',' || ifnull(max(id), 0) || ',' "
		"|| ifnull(max(import_run), 0) FROM reviews) || ';' || "
		"(SELECT ifnull(group_concat(review_id || ':' || label_id || "
		"':' || origin, ','), '') FROM (SELECT * FROM seeds ORDER BY "
		"review_id, label_id)) || ';' || "
		"(SELECT ifnull(group_concat(id || ':' || name, char(1)), '') "
		"FROM (SELECT * FROM labels ORDER BY id)) || ';' || "
		"(SELECT ifnull(group_concat(id || ':' || label_id || ':' || "
		"negate || ':' || weight || ':' || pattern, char(1)), '') FROM "
		"(SELECT * FROM rules ORDER BY id)) || ';' || "
		"(SELECT ifnull(group_concat(key || '=' || value, char(1)), '') "
		"FROM (SELECT * FROM settings WHERE key IN ('tokenizer', "
		"'vectorize', 'vectorize_fit', 'graph') ORDER BY key))",
	[S_LABELS_LIST] =
		"SELECT l.id, l.name, "
		"(SELECT count(*) FROM seeds s WHERE s.label_id = l.id AND "
		"s.origin = 'hand'), "
		"(SELECT count(DISTINCT h.review_id) FROM rule_hits h JOIN rules r "
		"ON r.id = h.rule_id WHERE r.label_id = l.id AND r.negate = 0), "
		"(SELECT count(*) FROM assignments a WHERE a.label_id = l.id AND "
		"a.source = 'propagation'), "
		"(SELECT count(*) FROM assignments a WHERE a.label_id = l.id AND "
		"a.source = 'model'), "
		"(SELECT count(*) FROM seeds s WHERE s.label_id = l.id AND "
		"s.origin = 'cluster') FROM labels l ORDER BY l.name",
	/* One look-up in rule_hits' key per rule and one pass over the
	 * hand labels, so cheap at any size (S_LABELS_LIST counts every
	 * review instead). Labels with hand labels first. */
	[S_LABELS_UNRULED] =
		"SELECT l.id, l.name FROM labels l WHERE NOT EXISTS (SELECT 1 "
		"FROM rules r WHERE r.label_id = l.id AND r.negate = 0 AND "
		"EXISTS (SELECT 1 FROM rule_hits h WHERE h.rule_id = r.id)) "
		"ORDER BY l.id NOT IN (SELECT label_id FROM seeds WHERE origin "
		"= 'hand'), l.name",
	/* A seeded shuffle: a multiplicative hash of the id, reduced by a
	 * prime, is a permutation that needs no random column. */
	[S_UNLABELLED_RANDOM] =
		"SELECT r.ext_id, r.text FROM reviews r WHERE NOT EXISTS "
		"(SELECT 1 FROM seeds s WHERE s.review_id = r.id AND "
		"s.origin = 'hand') ORDER BY (r.id * 2654435761 + ?1) % "
		"4294967291, r.id LIMIT ?2",
	[S_RULE_BY_LINE] = "SELECT id FROM rules WHERE line = ?1",
	[S_RULE_HITS] =
		/* A review's hand labels joined by '|' (several in a
		 * multi-label store); a hit is wrong on a hand-labelled
		 * review that carries the rule's label when the rule is
		 * against it, or lacks it when the rule is for it. */
		"SELECT r.ext_id, r.text, h.start, h.end, (SELECT "
		"group_concat(name, '|') FROM (SELECT l.name FROM seeds s "
		"JOIN labels l ON l.id = s.label_id WHERE s.review_id = r.id "
		"AND s.origin = 'hand' ORDER BY l.name)) FROM rule_hits h "
		"JOIN rules u ON u.id = h.rule_id "
		"JOIN reviews r ON r.id = h.review_id "
		"WHERE h.rule_id = ?1 AND (?2 = 0 OR (EXISTS (SELECT 1 FROM "
		"seeds s WHERE s.review_id = r.id AND s.origin = 'hand') AND "
		"EXISTS (SELECT 1 FROM seeds s WHERE s.review_id = r.id AND "
		"s.origin = 'hand' AND s.label_id = u.label_id) = u.negate)) "
		"ORDER BY r.id",
	[S_CLUSTERS_ALL] = "SELECT id, size, terms FROM clusters ORDER BY id",
	[S_CLUSTER_TERMS] =
		"SELECT j.value FROM clusters c, json_each(c.terms) j "
		"WHERE c.id = ?1 ORDER BY j.key",
	/* The report's queries: each row's columns go to a callback. */
	[S_REPORT_SOURCES] =
		"SELECT label, source, count(*) FROM labelled_reviews "
		"GROUP BY label, source",
	/* Reviews where rules voting for both labels fire; the diagonal
	 * counts those where some rule for the label fires. */
	[S_REPORT_RULE_LABELS] =
		"SELECT la.name, lb.name, count(DISTINCT ha.review_id) "
		"FROM rule_hits ha JOIN rules a ON a.id = ha.rule_id "
		"JOIN rule_hits hb ON hb.review_id = ha.review_id "
		"JOIN rules b ON b.id = hb.rule_id "
		"JOIN labels la ON la.id = a.label_id "
		"JOIN labels lb ON lb.id = b.label_id "
		"WHERE a.negate = 0 AND b.negate = 0 GROUP BY la.name, lb.name",
	[S_REPORT_HIST] =
		"SELECT l.name, min(CAST(a.confidence * ?1 AS INTEGER), "
		"?1 - 1), count(*) FROM assignments a JOIN labels l ON "
		"l.id = a.label_id WHERE a.source <> 'seed' GROUP BY 1, 2",
	[S_REPORT_LOWEST] =
		"SELECT label, id, confidence, source, substr(text, 1, ?2), "
		"length(text) > ?2 FROM (SELECT label, id, confidence, source, "
		"text, row_number() OVER (PARTITION BY label ORDER BY "
		"confidence, id) AS rn FROM labelled_reviews WHERE label IS NOT "
		"NULL AND source <> 'seed') WHERE rn <= ?1 ORDER BY label, rn",
	[S_REPORT_LAST_LABEL] =
		"SELECT r.started, json_extract(r.params, '$.method'), "
		"json_extract(r.counts, '$.labelled'), (SELECT kind FROM models "
		"m WHERE m.run_id = r.id) FROM runs r WHERE r.stage = 'label' "
		"AND r.status = 'ok' ORDER BY r.id DESC LIMIT 1",
	/* A review's hand labels if it has any, else its assignments
	 * (review_labels in schema.sql; keep the two in step). */
	[S_REPORT_LABEL_PAIRS] =
		"SELECT h.review_id, h.label_id, 'seed', 1 FROM seeds h "
		"WHERE h.origin = 'hand' "
		"UNION ALL "
		"SELECT a.review_id, a.label_id, a.source, 0 FROM assignments a "
		"WHERE NOT EXISTS (SELECT 1 FROM seeds h WHERE h.review_id = "
		"a.review_id AND h.origin = 'hand') ORDER BY 1",
	[S_REPORT_ML_HIST] =
		"SELECT l.name, min(CAST(a.confidence * ?1 AS INTEGER), "
		"?1 - 1), count(*) FROM assignments a JOIN labels l ON "
		"l.id = a.label_id WHERE a.source <> 'seed' AND NOT EXISTS "
		"(SELECT 1 FROM seeds h WHERE h.review_id = a.review_id AND "
		"h.origin = 'hand') GROUP BY 1, 2",
	[S_REPORT_ML_LOWEST] =
		"SELECT label, id, confidence, source, substr(text, 1, ?2), "
		"length(text) > ?2 FROM (SELECT l.name AS label, r.ext_id AS id, "
		"a.confidence AS confidence, a.source AS source, r.text AS text, "
		"row_number() OVER (PARTITION BY a.label_id ORDER BY "
		"a.confidence, r.ext_id) AS rn FROM assignments a JOIN reviews r "
		"ON r.id = a.review_id JOIN labels l ON l.id = a.label_id WHERE "
		"a.source <> 'seed' AND NOT EXISTS (SELECT 1 FROM seeds h WHERE "
		"h.review_id = a.review_id AND h.origin = 'hand')) WHERE rn <= "
		"?1 ORDER BY label, rn",
};

_Static_assert(S_COUNT <= RL_SQL_SLOTS, "raise RL_SQL_SLOTS");

/* Statement `id` of this file (see rl_sql_stmt). */
static sqlite3_stmt *stmt(rl_db *db, enum stmt_id id)
{
	return rl_sql_stmt(db, RL_SQL_READ, id, stmt_sql[id]);
}

/* ---- counts and runs ---- */

int rl_stats_get(rl_db *db, rl_stats *st)
{
	static const struct {
		const char *sql;
		size_t off;
	} q[] = {
		{ "SELECT count(*) FROM reviews", offsetof(rl_stats, reviews) },
		{ "SELECT count(*) FROM review_tokens",
		  offsetof(rl_stats, tokenized) },
		{ "SELECT coalesce(sum(n_tokens), 0) FROM review_tokens",
		  offsetof(rl_stats, tokens) },
		{ "SELECT count(*) FROM terms", offsetof(rl_stats, terms) },
		{ "SELECT count(*) FROM labels", offsetof(rl_stats, labels) },
		{ "SELECT count(*) FROM seeds WHERE origin = 'hand'",
		  offsetof(rl_stats, seeds) },
		{ "SELECT count(*) FROM rules", offsetof(rl_stats, rules) },
		{ "SELECT count(*) FROM seeds WHERE origin = 'cluster'",
		  offsetof(rl_stats, cluster_seeds) },
		{ "SELECT count(*) FROM runs WHERE status = 'ok'",
		  offsetof(rl_stats, runs) },
	};
	memset(st, 0, sizeof *st);
	rl_clear_error(db);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		int rc = rl_sql_count(db, q[i].sql,
				  (uint64_t *)((char *)st + q[i].off));
		if (rc != RL_OK)
			return rc;
	}
	return RL_OK;
}

int rl_runs_last(rl_db *db, rl_run_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB;
	rl_clear_error(db);
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT id, stage, started, seconds, params, "
			       "counts FROM runs WHERE id IN (SELECT max(id) "
			       "FROM runs WHERE status = 'ok' GROUP BY stage) "
			       "ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_run_info ri = {
			.id = sqlite3_column_int64(s, 0),
			.stage = (const char *)sqlite3_column_text(s, 1),
			.started = (const char *)sqlite3_column_text(s, 2),
			.seconds = sqlite3_column_double(s, 3),
			.params = (const char *)sqlite3_column_text(s, 4),
			.counts = (const char *)sqlite3_column_text(s, 5),
		};
		int cb = fn(ctx, &ri);
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

/* ---- labels, unlabelled reviews, rule hits ---- */

/* rl_labels_unruled's rows through rl_sql_names_each: the id dropped. */
typedef struct unruled_walk {
	rl_label_name_fn fn;
	void *ctx;
} unruled_walk;

static int unruled_row(void *ctx, int64_t id, const char *name)
{
	unruled_walk *w = ctx;
	(void)id;
	return w->fn(w->ctx, name);
}

int rl_labels_unruled(rl_db *db, rl_label_name_fn fn, void *ctx)
{
	rl_clear_error(db);
	unruled_walk w = { fn, ctx };
	return rl_sql_names_each(db, stmt(db, S_LABELS_UNRULED), unruled_row,
				 &w);
}

int rl_labels(rl_db *db, rl_label_fn fn, void *ctx)
{
	rl_clear_error(db);
	sqlite3_stmt *s = stmt(db, S_LABELS_LIST);
	if (!s)
		return RL_EDB;
	int r;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_label_info li = {
			.id = sqlite3_column_int64(s, 0),
			.name = (const char *)sqlite3_column_text(s, 1),
			.seeds = (uint64_t)sqlite3_column_int64(s, 2),
			.rule_votes = (uint64_t)sqlite3_column_int64(s, 3),
			.propagated = (uint64_t)sqlite3_column_int64(s, 4),
			.model = (uint64_t)sqlite3_column_int64(s, 5),
			.cluster = (uint64_t)sqlite3_column_int64(s, 6),
		};
		int rc = fn(ctx, &li);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_unlabelled(rl_db *db, rl_order order, uint64_t seed, size_t limit,
		  rl_review_info_fn fn, void *ctx)
{
	rl_clear_error(db);
	if (order != RL_ORDER_RANDOM)
		return rl_fail(db, RL_EINVAL, "unknown order %d", (int)order);
	sqlite3_stmt *s = stmt(db, S_UNLABELLED_RANDOM);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, (int64_t)(seed % 4294967291u));
	sqlite3_bind_int64(s, 2, limit > INT64_MAX ? INT64_MAX
						   : (int64_t)limit);
	return rl_sql_review_infos(db, s, fn, ctx);
}

int rl_rule_hits(rl_db *db, int line, int wrong_only, rl_hit_fn fn,
		 void *ctx)
{
	rl_clear_error(db);
	sqlite3_stmt *s = stmt(db, S_RULE_BY_LINE);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int(s, 1, line);
	int r = rl_sql_step(db, s);
	if (r == SQLITE_DONE)
		return rl_fail(db, RL_ENOTFOUND, "no rule on line %d of the "
			       "rules file", line);
	if (r != SQLITE_ROW)
		return RL_EDB;
	int64_t rule = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = stmt(db, S_RULE_HITS);
	if (!s)
		return RL_EDB;
	sqlite3_bind_int64(s, 1, rule);
	sqlite3_bind_int(s, 2, wrong_only);
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_hit_info h = {
			.ext_id = (const char *)sqlite3_column_text(s, 0),
			.text = (const char *)sqlite3_column_text(s, 1),
			.start = (size_t)sqlite3_column_int64(s, 2),
			.end = (size_t)sqlite3_column_int64(s, 3),
			.seed = (const char *)sqlite3_column_text(s, 4),
		};
		int rc = fn(ctx, &h);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* ---- clusters ---- */

typedef struct public_member {
	rl_cluster_member_fn fn;
	void *ctx;
} public_member;

static int on_public_member(void *ctx, int64_t review_id,
			    const rl_cluster_member *m)
{
	public_member *p = ctx;
	(void)review_id;
	return p->fn(p->ctx, m);
}

int rl_cluster_members(rl_db *db, int64_t cluster, size_t limit,
		       rl_cluster_member_fn fn, void *ctx)
{
	public_member p = { fn, ctx };
	rl_clear_error(db);
	return rl_store_cluster_members(db, cluster, limit, on_public_member,
					&p);
}

int rl_clusters_each(rl_db *db, rl_cluster_fn fn, void *ctx)
{
	const char **terms = NULL;
	rl_buf text = { 0 };
	size_t cap = 0;
	uint64_t n;
	int rc, r = SQLITE_DONE;
	rl_clear_error(db);
	/* Clusters are numbered from 0: cluster 0 exists if any does. */
	if ((rc = rl_store_cluster_find(db, 0, &n)) != RL_OK)
		return rc;
	sqlite3_stmt *s = stmt(db, S_CLUSTERS_ALL);
	rc = RL_EDB;
	if (!s)
		goto out;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		sqlite3_stmt *t = stmt(db, S_CLUSTER_TERMS);
		size_t n_terms = 0;
		int tr;
		rc = RL_EDB;
		if (!t)
			goto out;
		sqlite3_bind_int64(t, 1, id);
		/* The terms' text, NUL-separated, then pointers into it. */
		text.len = 0;
		while ((tr = rl_sql_step(db, t)) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(t, 0);
			size_t len = (size_t)sqlite3_column_bytes(t, 0);
			if ((rc = rl_buf_append(&text, v ? v : "", len)) !=
			    RL_OK || (rc = rl_buf_putc(&text, 0)) != RL_OK) {
				sqlite3_reset(t);
				goto out;
			}
			n_terms++;
		}
		sqlite3_reset(t);
		if (tr != SQLITE_DONE) {
			rc = RL_EDB;
			goto out;
		}
		if (n_terms + 1 > cap) {
			const char **g = realloc(terms, (n_terms + 1) *
						 sizeof *g);
			if (!g) {
				rc = RL_ENOMEM;
				goto out;
			}
			terms = g;
			cap = n_terms + 1;
		}
		const char *at = text.data;
		for (size_t i = 0; i < n_terms; i++) {
			terms[i] = at;
			at += strlen(at) + 1;
		}
		terms[n_terms] = NULL;
		rl_cluster_info ci = {
			.id = id,
			.size = (uint64_t)sqlite3_column_int64(s, 1),
			.terms = terms,
			.n_terms = n_terms,
			.terms_json = (const char *)sqlite3_column_text(s, 2),
		};
		if ((rc = fn(ctx, &ci)) != 0)
			goto out;
	}
	rc = r == SQLITE_DONE ? RL_OK : RL_EDB;
out:
	if (s)
		sqlite3_reset(s);
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "out of memory");
	free(terms);
	rl_buf_free(&text);
	return rc;
}

/* ---- predictions ---- */

/* A review's stored predictions gathered for one callback: its labels,
 * best first (several in a multi-label store). */
typedef struct pred_group {
	rl_buf id;
	char **labels;
	double *conf;
	int n, cap;
} pred_group;

static void group_clear(pred_group *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->labels[i]);
	g->n = 0;
}

static int group_add(pred_group *g, const char *label, double conf)
{
	if (g->n == g->cap) {
		int cap = g->cap ? 2 * g->cap : 8;
		char **l = realloc(g->labels, (size_t)cap * sizeof *l);
		if (!l)
			return RL_ENOMEM;
		g->labels = l;
		double *c = realloc(g->conf, (size_t)cap * sizeof *c);
		if (!c)
			return RL_ENOMEM;
		g->conf = c;
		g->cap = cap;
	}
	if (!(g->labels[g->n] = strdup(label ? label : "")))
		return RL_ENOMEM;
	g->conf[g->n++] = conf;
	return RL_OK;
}

static int group_flush(pred_group *g, rl_prediction_fn fn, void *ctx)
{
	if (g->n == 0)
		return RL_OK;
	rl_prediction p = { g->id.data, (const char *const *)g->labels,
			    g->conf, g->n };
	int cb = fn(ctx, &p);
	group_clear(g);
	return cb;
}

int rl_predictions(rl_db *db, int64_t model, rl_prediction_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	pred_group g = { 0 };
	int rc = RL_EDB, r;
	rl_clear_error(db);
	if (sqlite3_prepare_v2(db->sql, "SELECT r.ext_id, l.name, "
			       "p.confidence FROM predictions p JOIN reviews r "
			       "ON r.id = p.review_id JOIN labels l ON l.id = "
			       "p.label_id WHERE p.model_id = coalesce(nullif("
			       "?1, 0), (SELECT max(id) FROM models)) ORDER BY "
			       "r.id, p.confidence DESC, l.name", -1, &s, NULL) !=
	    SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, model);
	uint64_t n = 0;
	if ((rc = rl_sql_count(db, "SELECT count(*) FROM models", &n)) != RL_OK)
		goto out;
	if (n == 0) {
		rc = rl_fail_need(db, RL_ENOTFOUND, RL_NEED_MODEL,
				  "no model yet");
		goto out;
	}
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		int cb = RL_OK;
		if (g.n && strcmp(g.id.data, id)) {
			cb = group_flush(&g, fn, ctx);
			if (cb) {
				rc = cb;
				goto out;
			}
		}
		if (g.n == 0) {
			g.id.len = 0;
			if ((rc = rl_buf_append(&g.id, id, strlen(id) + 1)) !=
			    RL_OK)
				goto out;
		}
		if ((rc = group_add(&g, (const char *)sqlite3_column_text(s, 1),
				    sqlite3_column_double(s, 2))) != RL_OK)
			goto out;
	}
	rc = r == SQLITE_DONE ? group_flush(&g, fn, ctx) : RL_EDB;
out:
	sqlite3_finalize(s);
	group_clear(&g);
	free(g.labels);
	free(g.conf);
	rl_buf_free(&g.id);
	return rc;
}

/* ---- the report's queries ---- */

int rl_store_report_rows(rl_db *db, rl_report_query q, int64_t a,
			 int64_t b, rl_row_fn fn, void *ctx)
{
	static const enum stmt_id ids[] = {
		[RL_Q_SOURCES] = S_REPORT_SOURCES,
		[RL_Q_RULE_LABELS] = S_REPORT_RULE_LABELS,
		[RL_Q_HIST] = S_REPORT_HIST,
		[RL_Q_LOWEST] = S_REPORT_LOWEST,
		[RL_Q_LAST_LABEL] = S_REPORT_LAST_LABEL,
		[RL_Q_LABEL_PAIRS] = S_REPORT_LABEL_PAIRS,
		[RL_Q_ML_HIST] = S_REPORT_ML_HIST,
		[RL_Q_ML_LOWEST] = S_REPORT_ML_LOWEST,
	};
	sqlite3_stmt *s = stmt(db, ids[q]);
	if (!s)
		return RL_EDB;
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	int r, ncol = sqlite3_column_count(s);
	const char *text[8];
	double num[8];
	if (ncol > 8)
		ncol = 8;
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		/* The number first: reading it never changes the value's
		 * text, whose pointer then stays good. */
		for (int c = 0; c < ncol; c++) {
			num[c] = sqlite3_column_double(s, c);
			text[c] = (const char *)sqlite3_column_text(s, c);
		}
		int rc = fn(ctx, ncol, text, num);
		if (rc != RL_OK) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

int rl_store_labelling_inputs(rl_db *db, rl_buf *out)
{
	sqlite3_stmt *s = stmt(db, S_LABELLING_INPUTS);
	if (!s)
		return RL_EDB;
	int r = rl_sql_step(db, s);
	if (r != SQLITE_ROW)
		return RL_EDB;
	int rc = rl_sql_copy_col(s, 0, out);
	sqlite3_reset(s);
	return rc;
}
