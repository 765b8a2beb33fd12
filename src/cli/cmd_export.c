/*
 * cmd_export.c - `revlab export DB [--format csv|tsv|jsonl|sqlite]
 * [--text] [--label L] [--source S] [--min-confidence X] [-o FILE]`: the
 * labelled table, streamed row by row (memory does not grow with the
 * store). CSV quoting is libcsv's (RFC 4180).
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

static int write_row(void *ctx, const rl_labelled_row *r)
{
	exporter *e = ctx;
	char conf[32] = "";
	if (r->label)
		snprintf(conf, sizeof conf, "%.4f", r->confidence);
	e->rows++;
	if (e->fmt == 2) {
		fputs("{\"id\":", e->out);
		cli_json_str(e->out, r->id);
		fputs(",\"label\":", e->out);
		cli_json_str(e->out, r->label);
		fprintf(e->out, ",\"confidence\":%s,\"source\":",
			r->label ? conf : "null");
		cli_json_str(e->out, r->source);
		fprintf(e->out, ",\"meta\":%s", r->meta ? r->meta : "{}");
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
	field(e->out, r->label, 0);
	field(e->out, conf, 0);
	field(e->out, r->source, !e->text);
	if (e->text)
		field(e->out, r->text, 1);
	return ferror(e->out) ? RL_EIO : 0;
}

int cmd_export(int argc, char **argv)
{
	exporter e = { .out = stdout };
	rl_export_filter flt = { NULL, NULL, -1 };
	const char *path = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--text")) {
			e.text = 1;
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
		field(e.out, "label", 0);
		field(e.out, "confidence", 0);
		field(e.out, "source", !e.text);
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
