/*
 * store_export.c - the labelled table, as `revlab export` and the
 * library's callers take it away (revlab.h): streamed row by row, or
 * written as a new SQLite file. In a single-label store it reads the
 * labelled_reviews view of schema.sql. In a multi-label store it reads
 * each review's labels as review_labels defines them (its hand labels if
 * it has any, else its assignments), puts them in name order and filters
 * them label by label, then hands the review over once with all of them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"

/* ---- single-label stores: the view ---- */

#define EXPORT_WHERE \
	" WHERE (?1 IS NULL OR label = ?1) AND (?2 IS NULL OR source = ?2) " \
	"AND (?3 IS NULL OR confidence >= ?3)"

static void bind_filter(sqlite3_stmt *s, const rl_export_filter *f)
{
	if (f && f->label)
		sqlite3_bind_text(s, 1, f->label, -1, SQLITE_STATIC);
	if (f && f->source)
		sqlite3_bind_text(s, 2, f->source, -1, SQLITE_STATIC);
	if (f && f->min_confidence >= 0)
		sqlite3_bind_double(s, 3, f->min_confidence);
}

/* The annotations of the review whose row id is the SQL expression
 * `review`, as rl_labelled_row.annotations has them: NULL for none. */
#define ANNOTATIONS_OF(review) \
	"(SELECT CASE WHEN count(*) > 0 THEN json_group_object(annotator, " \
	"json(labels)) END FROM (SELECT annotator, json_group_array(name) " \
	"AS labels FROM (SELECT a.annotator, l.name FROM annotations a " \
	"JOIN labels l ON l.id = a.label_id WHERE a.review_id = " review \
	" ORDER BY a.annotator, l.name) GROUP BY annotator ORDER BY " \
	"annotator))"

static int single_rows(rl_db *db, const rl_export_filter *f,
		       rl_labelled_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = RL_EDB, r;
	if (sqlite3_prepare_v2(db->sql, "SELECT id, label, confidence, "
			       "source, meta, text, " ANNOTATIONS_OF(
			       "(SELECT x.id FROM reviews x WHERE x.ext_id = "
			       "v.id)") " FROM labelled_reviews v"
			       EXPORT_WHERE, -1, &s, NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	bind_filter(s, f);
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		rl_labelled_row row = {
			.id = (const char *)sqlite3_column_text(s, 0),
			.label = (const char *)sqlite3_column_text(s, 1),
			.confidence = sqlite3_column_double(s, 2),
			.source = (const char *)sqlite3_column_text(s, 3),
			.meta = (const char *)sqlite3_column_text(s, 4),
			.text = (const char *)sqlite3_column_text(s, 5),
			.annotations = (const char *)sqlite3_column_text(s,
									 6),
		};
		/* The arrays of a multi-label row, of one label or none. */
		row.n_labels = row.label != NULL;
		row.labels = &row.label;
		row.confidences = &row.confidence;
		row.sources = &row.source;
		int cb = fn(ctx, &row);
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

/* ---- multi-label stores: each review's labels ---- */

/* The reviews in import order, then the labels of review ?1 as
 * review_labels has them (schema.sql; keep the two in step), in no
 * order: the caller sorts the few a review has. */
static const char reviews_sql[] =
	"SELECT id, ext_id, meta, text, " ANNOTATIONS_OF("r.id") " FROM "
	"reviews r ORDER BY id";
static const char labels_of_sql[] =
	"SELECT l.name, 1.0, 'seed', coalesce((SELECT x.evidence FROM "
	"assignments x WHERE x.review_id = ?1 AND x.label_id = h.label_id "
	"AND x.source = 'seed'), (SELECT x.evidence FROM assignments x WHERE "
	"x.review_id = ?1 AND x.source = 'seed')) "
	"FROM seeds h JOIN labels l ON l.id = h.label_id "
	"WHERE h.review_id = ?1 AND h.origin = 'hand' "
	"UNION ALL "
	"SELECT l.name, a.confidence, a.source, a.evidence "
	"FROM assignments a JOIN labels l ON l.id = a.label_id "
	"WHERE a.review_id = ?1 AND NOT EXISTS (SELECT 1 FROM seeds h "
	"WHERE h.review_id = ?1 AND h.origin = 'hand')";

/* A review with its labels, filtered and in name order: what one
 * multi-label row shows. The texts live in `text`, which may move while
 * it grows, so they are offsets until review_done makes pointers. */
typedef struct ml_review {
	sqlite3_stmt *reviews, *labels_of;
	const rl_export_filter *f;
	size_t n, cap;
	size_t *name, *source, *evidence;	/* [cap] offsets into text;
						   evidence SIZE_MAX: NULL */
	double *conf;				/* [cap] */
	size_t *order;				/* [cap] by name */
	const char **labels, **sources, **evidences;	/* [cap] */
	double *confidences;			/* [cap] */
	rl_buf text;
	rl_buf joined;		/* labels, then sources, joined by '|' */
	rl_labelled_row row;
	const char *const *ev;	/* [row.n_labels] each label's evidence */
} ml_review;

static void ml_free(ml_review *m)
{
	sqlite3_finalize(m->reviews);
	sqlite3_finalize(m->labels_of);
	free(m->name);
	free(m->source);
	free(m->evidence);
	free(m->conf);
	free(m->order);
	free(m->labels);
	free(m->sources);
	free(m->evidences);
	free(m->confidences);
	rl_buf_free(&m->text);
	rl_buf_free(&m->joined);
}

static int ml_open(rl_db *db, const rl_export_filter *f, ml_review *m)
{
	memset(m, 0, sizeof *m);
	m->f = f;
	if (sqlite3_prepare_v2(db->sql, reviews_sql, -1, &m->reviews, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db->sql, labels_of_sql, -1,
					     &m->labels_of, NULL) != SQLITE_OK)
		return rl_sql_fail(db, "prepare");
	return RL_OK;
}

/* Appends column col's text (or NULL, SIZE_MAX) to m->text at *off. */
static int put_text(ml_review *m, int col, size_t *off)
{
	const char *t = (const char *)sqlite3_column_text(m->labels_of, col);
	if (!t) {
		*off = SIZE_MAX;
		return RL_OK;
	}
	*off = m->text.len;
	int rc = rl_buf_append(&m->text, t,
			       (size_t)sqlite3_column_bytes(m->labels_of, col));
	return rc == RL_OK ? rl_buf_putc(&m->text, '\0') : rc;
}

static int grow(ml_review *m)
{
	size_t cap = m->cap ? 2 * m->cap : 8;
#define GROW(p) do { \
	void *g = realloc(p, cap * sizeof *(p)); \
	if (!g) \
		return RL_ENOMEM; \
	(p) = g; \
} while (0)
	GROW(m->name);
	GROW(m->source);
	GROW(m->evidence);
	GROW(m->conf);
	GROW(m->order);
	GROW(m->labels);
	GROW(m->sources);
	GROW(m->evidences);
	GROW(m->confidences);
#undef GROW
	m->cap = cap;
	return RL_OK;
}

/* Reads the labels of review `id` into m. */
static int read_labels(rl_db *db, ml_review *m, int64_t id)
{
	sqlite3_stmt *s = m->labels_of;
	int rc = RL_OK, r;
	m->n = 0;
	m->text.len = 0;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, id);
	while ((r = rl_sql_step(db, s)) == SQLITE_ROW) {
		if (m->n == m->cap && (rc = grow(m)) != RL_OK)
			return rc;
		size_t i = m->n++;
		m->conf[i] = sqlite3_column_double(s, 1);
		if ((rc = put_text(m, 0, &m->name[i])) != RL_OK ||
		    (rc = put_text(m, 2, &m->source[i])) != RL_OK ||
		    (rc = put_text(m, 3, &m->evidence[i])) != RL_OK)
			return rc;
		/* (a label's name and source are never NULL) */
		if (m->name[i] == SIZE_MAX || m->source[i] == SIZE_MAX)
			return rl_fail(db, RL_EDB, "%s: a label with no name "
				       "or source", db->path);
	}
	return r == SQLITE_DONE ? RL_OK : RL_EDB;
}

/* Whether label i of m passes the filter's label-wise parts. */
static int label_kept(const ml_review *m, size_t i)
{
	const rl_export_filter *f = m->f;
	const char *src = m->text.data + m->source[i];
	return !f || ((!f->source || !strcmp(src, f->source)) &&
		      (f->min_confidence < 0 ||
		       m->conf[i] >= f->min_confidence));
}

/* Makes m->row of the review at m->reviews' current row and the labels
 * read; *keep 0 if the filter drops the review. */
static int review_done(ml_review *m, int *keep)
{
	const rl_export_filter *f = m->f;
	size_t n = 0;
	int any = f && (f->label || f->source || f->min_confidence >= 0);
	int has = 0;
	/* The kept labels in name order (byte order, as SQLite's BINARY
	 * collation sorts), by insertion: a review has few. */
	for (size_t i = 0; i < m->n; i++) {
		if (!label_kept(m, i))
			continue;
		const char *name = m->text.data + m->name[i];
		size_t j = n++;
		while (j > 0 && strcmp(m->text.data + m->name[m->order[j - 1]],
				       name) > 0) {
			m->order[j] = m->order[j - 1];
			j--;
		}
		m->order[j] = i;
		has |= f && f->label && !strcmp(name, f->label);
	}
	*keep = !(any && n == 0) && !(f && f->label && !has);
	if (!*keep)
		return RL_OK;
	m->joined.len = 0;
	int rc = RL_OK;
	double low = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = m->order[k];
		m->labels[k] = m->text.data + m->name[i];
		m->sources[k] = m->text.data + m->source[i];
		m->evidences[k] = m->evidence[i] == SIZE_MAX ? NULL
				  : m->text.data + m->evidence[i];
		m->confidences[k] = m->conf[i];
		if (k == 0 || m->conf[i] < low)
			low = m->conf[i];
	}
	/* "a|b" then "seed|rule", each NUL-terminated. */
	size_t sources_at = 0;
	for (int part = 0; part < 2 && rc == RL_OK; part++) {
		if (part == 1)
			sources_at = m->joined.len;
		for (size_t k = 0; k < n && rc == RL_OK; k++) {
			const char *t = part ? m->sources[k] : m->labels[k];
			if (k > 0)
				rc = rl_buf_putc(&m->joined, '|');
			if (rc == RL_OK)
				rc = rl_buf_append(&m->joined, t, strlen(t));
		}
		if (rc == RL_OK)
			rc = rl_buf_putc(&m->joined, '\0');
	}
	if (rc != RL_OK)
		return rc;
	sqlite3_stmt *s = m->reviews;
	m->row = (rl_labelled_row){
		.id = (const char *)sqlite3_column_text(s, 1),
		.label = n ? m->joined.data : NULL,
		.source = n ? m->joined.data + sources_at : NULL,
		.meta = (const char *)sqlite3_column_text(s, 2),
		.text = (const char *)sqlite3_column_text(s, 3),
		.confidence = low,
		.n_labels = n,
		.labels = m->labels,
		.confidences = m->confidences,
		.sources = m->sources,
		.annotations = (const char *)sqlite3_column_text(s, 4),
	};
	m->ev = m->evidences;
	return RL_OK;
}

/* Calls each(ctx, m) for every review of a multi-label store that passes
 * the filter, m->row and m->ev made. */
static int ml_each(rl_db *db, const rl_export_filter *f,
		   int (*each)(void *ctx, const ml_review *m), void *ctx)
{
	ml_review m;
	int rc = ml_open(db, f, &m), r = SQLITE_DONE;
	while (rc == RL_OK && (r = rl_sql_step(db, m.reviews)) == SQLITE_ROW) {
		int keep = 0;
		if ((rc = read_labels(db, &m, sqlite3_column_int64(m.reviews,
								  0))) ==
		    RL_OK && (rc = review_done(&m, &keep)) == RL_OK && keep)
			rc = each(ctx, &m);
	}
	if (rc == RL_OK && r != SQLITE_DONE)
		rc = RL_EDB;
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "out of memory");
	ml_free(&m);
	return rc;
}

typedef struct public_rows {
	rl_labelled_fn fn;
	void *ctx;
} public_rows;

static int on_public_row(void *ctx, const ml_review *m)
{
	const public_rows *p = ctx;
	return p->fn(p->ctx, &m->row);
}

int rl_labelled_rows(rl_db *db, const rl_export_filter *f, rl_labelled_fn fn,
		     void *ctx)
{
	rl_clear_error(db);
	if (!db->multi)
		return single_rows(db, f, fn, ctx);
	public_rows p = { fn, ctx };
	return ml_each(db, f, on_public_row, &p);
}

/* ---- the SQLite export ---- */

typedef struct ml_writer {
	rl_db *db;
	sqlite3_stmt *review, *label;
} ml_writer;

static void bind_opt(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* A row of review_labels for each of the review's labels, then its row
 * of labelled_reviews, as the views of schema.sql show them. */
static int write_review(void *ctx, const ml_review *m)
{
	ml_writer *w = ctx;
	const rl_labelled_row *r = &m->row;
	sqlite3_stmt *s = w->label;
	int64_t first = 0;
	int rc = RL_OK;
	for (size_t k = 0; k < r->n_labels && rc == RL_OK; k++) {
		bind_opt(s, 1, r->id);
		bind_opt(s, 2, r->labels[k]);
		sqlite3_bind_double(s, 3, r->confidences[k]);
		bind_opt(s, 4, r->sources[k]);
		bind_opt(s, 5, m->ev[k]);
		rc = rl_sql_exec(w->db, s);
		if (k == 0)
			first = sqlite3_last_insert_rowid(w->db->sql);
	}
	if (rc != RL_OK)
		return rc;
	s = w->review;
	bind_opt(s, 1, r->id);
	bind_opt(s, 2, r->label);
	if (r->n_labels)
		sqlite3_bind_double(s, 3, r->confidence);
	else
		sqlite3_bind_null(s, 3);
	bind_opt(s, 4, r->source);
	if (r->n_labels)
		sqlite3_bind_int64(s, 5, first);
	else
		sqlite3_bind_null(s, 5);
	bind_opt(s, 6, r->meta);
	bind_opt(s, 7, r->text);
	return rl_sql_exec(w->db, s);
}

/* Both tables of a multi-label export into the attached `export`, in
 * one transaction of the export's file. */
static int ml_export(rl_db *db, const rl_export_filter *f)
{
	ml_writer w = { .db = db };
	int rc = RL_EDB;
	if (sqlite3_exec(db->sql, "CREATE TABLE export.labelled_reviews "
			 "(id TEXT, label TEXT, confidence REAL, source TEXT, "
			 "evidence TEXT, meta TEXT, text TEXT);"
			 "CREATE TABLE export.review_labels (id TEXT, label "
			 "TEXT, confidence REAL, source TEXT, evidence TEXT);",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    /* The evidence by label, made by SQLite as the view makes it,
	     * from the review's rows of review_labels: those from ?5 on. */
	    sqlite3_prepare_v2(db->sql, "INSERT INTO export.labelled_reviews "
			       "VALUES (?1, ?2, ?3, ?4, (SELECT CASE WHEN "
			       "count(*) > 0 THEN json_group_object(label, "
			       "json(evidence)) END FROM export.review_labels "
			       "WHERE rowid >= ?5), ?6, ?7)", -1, &w.review,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->sql, "INSERT INTO export.review_labels "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &w.label,
			       NULL) != SQLITE_OK) {
		rl_sql_fail(db, "prepare");
		goto out;
	}
	rc = ml_each(db, f, write_review, &w);
out:
	sqlite3_finalize(w.review);
	sqlite3_finalize(w.label);
	return rc;
}

/* Table annotations of the export: who gave the exported reviews which
 * hand label. */
static int export_annotations(rl_db *db)
{
	if (sqlite3_exec(db->sql, "CREATE TABLE export.annotations AS SELECT "
			 "r.ext_id AS id, l.name AS label, a.annotator AS "
			 "annotator FROM annotations a JOIN reviews r ON r.id "
			 "= a.review_id JOIN labels l ON l.id = a.label_id "
			 "WHERE r.ext_id IN (SELECT id FROM "
			 "export.labelled_reviews) ORDER BY r.id, a.annotator, "
			 "l.name", NULL, NULL, NULL) != SQLITE_OK)
		return rl_sql_fail(db, "export annotations");
	return RL_OK;
}

int rl_export_sqlite(rl_db *db, const rl_export_filter *f, const char *path)
{
	sqlite3_stmt *s = NULL;
	int rc, attached = 0;
	struct stat sb;
	rl_clear_error(db);
	if (stat(path, &sb) == 0)
		return rl_fail(db, RL_EEXIST, "%s: exists; export writes a new "
			       "file", path);
	/* The store was opened without permission to create files, which
	 * ATTACH inherits: make the new file first. */
	sqlite3 *made = NULL;
	int mrc = sqlite3_open_v2(path, &made, SQLITE_OPEN_READWRITE |
				  SQLITE_OPEN_CREATE, NULL);
	sqlite3_close(made);
	if (mrc != SQLITE_OK)
		return rl_fail(db, RL_EIO, "%s: cannot create", path);
	if (sqlite3_prepare_v2(db->sql, "ATTACH DATABASE ?1 AS export", -1,
			       &s, NULL) != SQLITE_OK) {
		rc = rl_sql_fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	if ((rc = rl_sql_exec(db, s)) != RL_OK)
		goto out;
	attached = 1;
	sqlite3_finalize(s);
	s = NULL;
	if (db->multi) {
		/* One transaction, or each row would be one; it writes only
		 * the export's file, the store is read. */
		if ((rc = rl_store_read_begin(db)) == RL_OK &&
		    (rc = ml_export(db, f)) == RL_OK &&
		    (rc = export_annotations(db)) == RL_OK)
			rc = rl_store_commit(db);
		if (rc != RL_OK)
			rl_store_rollback(db);
		goto out;
	}
	if (sqlite3_prepare_v2(db->sql, "CREATE TABLE export.labelled_reviews "
			       "AS SELECT * FROM labelled_reviews" EXPORT_WHERE,
			       -1, &s, NULL) != SQLITE_OK) {
		rc = rl_sql_fail(db, "prepare");
		goto out;
	}
	bind_filter(s, f);
	rc = rl_sql_exec(db, s);
	if (rc == RL_OK)
		rc = export_annotations(db);
out:
	/* The failure is of the export's file (a full disk, say), so the
	 * message names it, not the store; running out of memory is not. */
	if (rc != RL_OK && rc != RL_ENOMEM) {
		char why[256];
		snprintf(why, sizeof why, "%s", sqlite3_errmsg(db->sql));
		rl_fail(db, rc, "%s: cannot write the export: %s", path, why);
	}
	sqlite3_finalize(s);
	if (attached)
		sqlite3_exec(db->sql, "DETACH DATABASE export", NULL, NULL,
			     NULL);
	if (rc != RL_OK)
		unlink(path);
	return rc;
}
