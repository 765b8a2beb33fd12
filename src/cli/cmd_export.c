/*
 * cmd_export.c - `revlab export DB [--format csv|tsv|jsonl|sqlite]
 * [--text] [--long] [--annotators] [--label L] [--source S]
 * [--min-confidence X] [-o FILE]`: the labelled table, streamed row by
 * row (memory does not grow with the store). CSV quoting is libcsv's
 * (RFC 4180).
 *
 * A multi-label store's row holds a review's labels: joined by '|' in the
 * fields labels, confidences and sources (CSV, TSV), as arrays (JSONL);
 * --long writes a row per label instead, in the single-label columns.
 * --annotators adds who gave the hand labels: a column (field in JSONL)
 * annotations, a JSON object of each annotator's labels.
 */
#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct exporter {
	FILE *out;
	int fmt;	/* 0 csv, 1 tsv, 2 jsonl */
	int text;
	int ann;	/* --annotators */
	int joined;	/* a multi-label store's row per review */
	unsigned long long rows;
} exporter;

static void csv_field(FILE *f, const char *s, int last)
{
	csv_fwrite(f, s ? s : "", s ? strlen(s) : 0);
	fputc(last ? '\n' : ',', f);
}

static void tsv_field(FILE *f, const char *s, int last)
{
	/* TSV cannot quote: tabs and line breaks inside become spaces. */
	for (; s && *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
	fputc(last ? '\n' : '\t', f);
}

/* One row of the single-label columns: a review's label, or one label
 * of a multi-label review (--long). */
static int write_one(exporter *e, const rl_labelled_row *r, const char *label,
		     double confidence, const char *source)
{
	char conf[32] = "";
	if (label)
		snprintf(conf, sizeof conf, "%.4f", confidence);
	e->rows++;
	if (e->fmt == 2) {
		fputs("{\"id\":", e->out);
		cli_json_str(e->out, r->id);
		fputs(",\"label\":", e->out);
		cli_json_str(e->out, label);
		fprintf(e->out, ",\"confidence\":%s,\"source\":",
			label ? conf : "null");
		cli_json_str(e->out, source);
		fprintf(e->out, ",\"meta\":%s", r->meta ? r->meta : "{}");
		if (e->ann)
			fprintf(e->out, ",\"annotations\":%s",
				r->annotations ? r->annotations : "null");
		if (e->text) {
			fputs(",\"text\":", e->out);
			cli_json_str(e->out, r->text);
		}
		fputs("}\n", e->out);
		return ferror(e->out) ? RL_EIO : 0;
	}
	void (*field)(FILE *, const char *, int) = e->fmt ? tsv_field
							  : csv_field;
	field(e->out, r->id, 0);
	field(e->out, label, 0);
	field(e->out, conf, 0);
	field(e->out, source, !e->text && !e->ann);
	if (e->ann)
		field(e->out, r->annotations, !e->text);
	if (e->text)
		field(e->out, r->text, 1);
	return ferror(e->out) ? RL_EIO : 0;
}

/* A multi-label review in one row: the labels, their confidences and
 * sources, joined by '|' (CSV, TSV) or as arrays (JSONL). */
static int write_joined(exporter *e, const rl_labelled_row *r)
{
	size_t n = r->n_labels;
	e->rows++;
	if (e->fmt == 2) {
		fputs("{\"id\":", e->out);
		cli_json_str(e->out, r->id);
		fputs(",\"labels\":[", e->out);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? "," : "", e->out);
			cli_json_str(e->out, r->labels[i]);
		}
		fputs("],\"confidences\":[", e->out);
		for (size_t i = 0; i < n; i++)
			fprintf(e->out, "%s%.4f", i ? "," : "",
				r->confidences[i]);
		fputs("],\"sources\":[", e->out);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? "," : "", e->out);
			cli_json_str(e->out, r->sources[i]);
		}
		fprintf(e->out, "],\"meta\":%s", r->meta ? r->meta : "{}");
		if (e->ann)
			fprintf(e->out, ",\"annotations\":%s",
				r->annotations ? r->annotations : "null");
		if (e->text) {
			fputs(",\"text\":", e->out);
			cli_json_str(e->out, r->text);
		}
		fputs("}\n", e->out);
		return ferror(e->out) ? RL_EIO : 0;
	}
	/* The confidences joined; the labels and sources come joined. */
	const size_t per = 32;	/* "|0.1234", or a stranger number */
	char *conf = malloc(n * per + 1);
	if (!conf)
		return RL_ENOMEM;
	conf[0] = '\0';
	for (size_t i = 0, at = 0; i < n; i++) {
		int w = snprintf(conf + at, per, "%s%.4f", i ? "|" : "",
				 r->confidences[i]);
		at += w > 0 && (size_t)w < per ? (size_t)w : per - 1;
	}
	void (*field)(FILE *, const char *, int) = e->fmt ? tsv_field
							  : csv_field;
	field(e->out, r->id, 0);
	field(e->out, r->label, 0);
	field(e->out, conf, 0);
	field(e->out, r->source, !e->text && !e->ann);
	if (e->ann)
		field(e->out, r->annotations, !e->text);
	if (e->text)
		field(e->out, r->text, 1);
	free(conf);
	return ferror(e->out) ? RL_EIO : 0;
}

static int write_row(void *ctx, const rl_labelled_row *r)
{
	exporter *e = ctx;
	if (e->joined)
		return write_joined(e, r);
	if (r->n_labels <= 1)
		return write_one(e, r, r->n_labels ? r->labels[0] : NULL,
				 r->n_labels ? r->confidences[0] : 0,
				 r->n_labels ? r->sources[0] : NULL);
	for (size_t i = 0; i < r->n_labels; i++) {
		int rc = write_one(e, r, r->labels[i], r->confidences[i],
				   r->sources[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The joined labels field cannot tell "a|b" from a and b: a store with
 * such a label is exported per label or as JSONL instead. */
static int find_piped(void *ctx, const rl_label_info *li)
{
	char **name = ctx;
	if (!strchr(li->name, '|') || *name)
		return 0;
	*name = strdup(li->name);
	return *name ? 0 : RL_ENOMEM;
}

int cmd_export(int argc, char **argv)
{
	exporter e = { .out = stdout };
	rl_export_filter flt = { NULL, NULL, -1 };
	const char *path = NULL, *out = NULL;
	int lng = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--text")) {
			e.text = 1;
		} else if (!strcmp(argv[i], "--annotators")) {
			e.ann = 1;
		} else if (!strcmp(argv[i], "--long")) {
			lng = 1;
		} else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
			flt.label = argv[++i];
		} else if (!strcmp(argv[i], "--source") && i + 1 < argc) {
			flt.source = argv[++i];
			if (strcmp(flt.source, "seed") &&
			    strcmp(flt.source, "rule") &&
			    strcmp(flt.source, "propagation") &&
			    strcmp(flt.source, "model") &&
			    strcmp(flt.source, "cluster"))
				return cli_usage("export", "--source is seed, "
						 "rule, propagation, model or "
						 "cluster");
		} else if (!strcmp(argv[i], "--min-confidence") &&
			   i + 1 < argc) {
			char *end;
			flt.min_confidence = strtod(argv[++i], &end);
			if (*end || flt.min_confidence < 0 ||
			    flt.min_confidence > 1)
				return cli_usage("export", "--min-confidence "
						 "takes 0 to 1");
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			const char *f = argv[++i];
			e.fmt = !strcmp(f, "csv") ? 0 : !strcmp(f, "tsv") ? 1
				: !strcmp(f, "jsonl") ? 2
				: !strcmp(f, "sqlite") ? 3 : -1;
			if (e.fmt < 0)
				return cli_usage("export", "unknown format "
						 "'%s' (csv, tsv, jsonl, sqlite)",
						 f);
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (argv[i][0] == '-' || path) {
			return cli_usage("export", "unexpected '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cli_usage("export", "missing DB");
	/* A sqlite export attaches its output to the store's connection,
	 * which must then be writable. */
	if (e.fmt == 3 && !out)
		return cli_usage("export", "--format sqlite needs -o FILE");
	rl_db *db = cli_open_as(path, e.fmt == 3 ? 0 : RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	e.joined = rl_db_multi_label(db) && !lng;
	if (e.joined && e.fmt < 2) {
		char *piped = NULL;
		int rc = rl_labels(db, find_piped, &piped);
		if (rc != RL_OK || piped) {
			if (piped)
				cli_error("label '%s' holds '|', which joins a "
					  "review's labels in the labels "
					  "field; export with --long, or "
					  "--format jsonl or sqlite", piped);
			free(piped);
			rc = rc != RL_OK ? cli_fail(db, rc) : EXIT_FAIL;
			rl_db_close(db);
			return rc;
		}
	}
	if (e.fmt == 3) {
		int rc = rl_export_sqlite(db, &flt, out);
		rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
		rl_db_close(db);
		return rc;
	}
	/* -o FILE is written whole or not at all: a full disk leaves the
	 * old FILE, not a partial one. */
	rl_outfile *of = NULL;
	char err[512];
	if (out && rl_outfile_open(out, &of, err, sizeof err) != RL_OK) {
		cli_error("%s", err);
		rl_db_close(db);
		return EXIT_FAIL;
	}
	if (of)
		e.out = rl_outfile_stream(of);
	if (e.fmt != 2) {
		void (*field)(FILE *, const char *, int) = e.fmt ? tsv_field
								 : csv_field;
		field(e.out, "id", 0);
		field(e.out, e.joined ? "labels" : "label", 0);
		field(e.out, e.joined ? "confidences" : "confidence", 0);
		field(e.out, e.joined ? "sources" : "source",
		      !e.text && !e.ann);
		if (e.ann)
			field(e.out, "annotations", !e.text);
		if (e.text)
			field(e.out, "text", 1);
	}
	int rc = rl_labelled_rows(db, &flt, write_row, &e);
	if (of) {
		err[0] = '\0';
		if (rc == RL_OK)
			rc = rl_outfile_commit(of, err, sizeof err);
		else
			rl_outfile_abort(of);
		if (rc == RL_EIO && *err)
			cli_error("%s", err);
		else if (rc == RL_EIO)
			cli_error("%s: write error", out);
	} else if ((fflush(stdout) != 0 || ferror(stdout)) && rc == RL_OK) {
		rc = RL_EIO;
		cli_error("stdout: write error");
	}
	rc = rc == RL_OK ? EXIT_OK : rc == RL_EIO ? EXIT_FAIL
						  : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
