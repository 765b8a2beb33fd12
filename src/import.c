/*
 * import.c - the import stage: CSV, TSV and JSONL files into `reviews`.
 *
 * The file is read line by line through a fixed buffer, so memory stays
 * flat whatever the file's size; a record may not exceed max_record bytes.
 * CSV quoting is libcsv's (strict RFC 4180), JSON parsing is SQLite's (via
 * store.c), UTF-8 validation is utf8proc's (via tokenize.c). TSV is plain:
 * one record a line, fields split on tabs, no quoting. The whole import is
 * one transaction: the first bad record (FILE:LINE: what) rolls it back,
 * unless skip_bad asks to report bad records and import the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <csv.h>

#include "stage.h"
#include "store.h"

#define READ_CHUNK (64 * 1024)
#define SHOW_ID 40		/* longest id quoted in a message */

typedef struct importer {
	rl_db *db;
	const rl_import_opts *o;
	rl_import_stats st;
	const char *name;
	FILE *in;
	rl_format fmt;
	int64_t run_id;
	uint64_t changed;	/* reviews replaced with another text */
	uint64_t file_size;	/* 0 if unknown (a pipe) */
	double next_progress;

	/* line reader: rbuf[rpos..rlen) is unread input */
	char *rbuf;
	size_t rpos, rlen;
	int eof;
	rl_buf line;
	int64_t lineno;

	/* the record being assembled: fields at foff/flen within rec */
	rl_buf rec;
	size_t *foff, *flen, nf, fcap;
	int64_t rec_line;	/* line the open record started on; 0: none */
	size_t rec_bytes;
	int rec_bad;		/* already reported; drop at its end */

	/* CSV/TSV header */
	char **cols;
	size_t ncols, id_idx, text_idx;
	int have_header;

	struct csv_parser csv;
	int csv_live;
	/* CSV under skip_bad: is a quoted field open in the record so far
	 * (odd number of quotes), and are we skipping the rest of a bad
	 * record until that field closes? */
	int quotes_odd, skip_quoted;
	rl_buf meta;
	rl_json_record jr;
	int rc;			/* a hard error stops the import */
} importer;

void rl_import_opts_init(rl_import_opts *o)
{
	memset(o, 0, sizeof *o);
	o->id_col = "id";
	o->text_col = "text";
	o->max_record = 1u << 20;
}

rl_format rl_format_from_name(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	if (!dot || strchr(dot, '/'))
		return RL_FORMAT_AUTO;
	if (!strcasecmp(dot, ".csv"))
		return RL_FORMAT_CSV;
	if (!strcasecmp(dot, ".tsv") || !strcasecmp(dot, ".tab"))
		return RL_FORMAT_TSV;
	if (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson"))
		return RL_FORMAT_JSONL;
	return RL_FORMAT_AUTO;
}

int rl_format_parse(const char *name, rl_format *out)
{
	static const struct {
		const char *name;
		rl_format f;
	} t[] = {
		{ "csv", RL_FORMAT_CSV }, { "tsv", RL_FORMAT_TSV },
		{ "jsonl", RL_FORMAT_JSONL }, { "ndjson", RL_FORMAT_JSONL },
	};
	for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
		if (!strcasecmp(name, t[i].name)) {
			*out = t[i].f;
			return RL_OK;
		}
	return RL_EINVAL;
}

static const char *format_name(rl_format f)
{
	switch (f) {
	case RL_FORMAT_CSV: return "csv";
	case RL_FORMAT_TSV: return "tsv";
	case RL_FORMAT_JSONL: return "jsonl";
	default: return "auto";
	}
}

/* A bad record: under skip_bad it is reported and skipped (RL_OK), else it
 * ends the import with FILE:LINE: message. */
static int bad(importer *im, int64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(importer *im, int64_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!im->o->skip_bad) {
		im->rc = rl_fail(im->db, RL_EINPUT, "%s:%lld: %s", im->name,
				 (long long)line, msg);
		return im->rc;
	}
	im->st.bad++;
	if (im->o->report) {
		char full[700];
		snprintf(full, sizeof full, "%s:%lld: %s", im->name,
			 (long long)line, msg);
		im->o->report(im->o->ctx, full);
	}
	return RL_OK;
}

static int hard(importer *im, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int hard(importer *im, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	im->rc = rl_fail(im->db, code, "%s", msg);
	return im->rc;
}

static int progress(importer *im)
{
	if (!im->o->progress || (im->st.rows & 1023))
		return RL_OK;
	double now = rl_now();
	if (now < im->next_progress)
		return RL_OK;
	im->next_progress = now + 0.25;
	if (rl_progress_call(im->db, im->o->progress, im->o->ctx, "import",
			     im->st.bytes, im->file_size) != RL_OK)
		im->rc = RL_ECANCELED;
	return im->rc;
}

/* Reads the next line, newline included, into im->line. Returns 1 for a
 * line, 0 at the end, or an error. A line longer than max_record is
 * consumed and flagged with *too_long and an empty im->line. */
static int read_line(importer *im, int *too_long)
{
	im->line.len = 0;
	*too_long = 0;
	int got = 0;
	for (;;) {
		if (im->rpos == im->rlen) {
			if (im->eof)
				break;
			im->rlen = fread(im->rbuf, 1, READ_CHUNK, im->in);
			im->rpos = 0;
			if (im->rlen == 0) {
				if (ferror(im->in))
					return hard(im, RL_EIO,
						    "%s:%lld: read error: %s",
						    im->name,
						    (long long)im->lineno + 1,
						    strerror(errno));
				im->eof = 1;
				continue;
			}
			im->st.bytes += im->rlen;
		}
		char *start = im->rbuf + im->rpos;
		size_t avail = im->rlen - im->rpos;
		char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) + 1 : avail;
		got = 1;
		if (!*too_long) {
			if (im->line.len + take > im->o->max_record) {
				*too_long = 1;
				im->line.len = 0;
			} else if (rl_buf_append(&im->line, start, take) !=
				   RL_OK) {
				return hard(im, RL_ENOMEM, "out of memory");
			}
		}
		im->rpos += take;
		if (nl)
			break;
	}
	if (!got)
		return 0;
	im->lineno++;
	if (im->line.data == NULL && rl_buf_append(&im->line, "", 0) != RL_OK)
		return hard(im, RL_ENOMEM, "out of memory");
	return 1;
}

/* Line-level checks every format shares: size, NUL bytes, UTF-8.
 * Returns 1 if the line is good. */
static int line_ok(importer *im, int too_long, int *rc)
{
	*rc = RL_OK;
	if (too_long) {
		*rc = bad(im, im->lineno, "line longer than %zu bytes",
			  im->o->max_record);
		return 0;
	}
	const char *nul = memchr(im->line.data, '\0', im->line.len);
	if (nul) {
		*rc = bad(im, im->lineno, "NUL byte at column %zu",
			  (size_t)(nul - im->line.data) + 1);
		return 0;
	}
	size_t at = rl_utf8_check(im->line.data, im->line.len);
	if (at < im->line.len) {
		*rc = bad(im, im->lineno, "invalid UTF-8 at byte %zu",
			  at + 1);
		return 0;
	}
	return 1;
}

/* ---- records ---- */

static int push_field(importer *im, const char *s, size_t n)
{
	if (im->nf == im->fcap) {
		size_t cap = im->fcap ? im->fcap * 2 : 16;
		size_t *a = realloc(im->foff, cap * sizeof *a);
		if (!a)
			return RL_ENOMEM;
		im->foff = a;
		size_t *b = realloc(im->flen, cap * sizeof *b);
		if (!b)
			return RL_ENOMEM;
		im->flen = b;
		im->fcap = cap;
	}
	im->foff[im->nf] = im->rec.len;
	im->flen[im->nf] = n;
	im->nf++;
	return rl_buf_append(&im->rec, s, n);
}

static void reset_record(importer *im)
{
	im->rec.len = 0;
	im->nf = 0;
	im->rec_line = 0;
	im->rec_bytes = 0;
	im->rec_bad = 0;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

static void show_id(char *dst, size_t cap, const char *id, size_t n)
{
	if (n > SHOW_ID) {
		/* Cut at a character boundary: skip UTF-8 continuation. */
		size_t cut = SHOW_ID;
		while (cut > 0 && ((unsigned char)id[cut] & 0xc0) == 0x80)
			cut--;
		snprintf(dst, cap, "%.*s...", (int)cut, id);
	} else {
		snprintf(dst, cap, "%.*s", (int)n, id);
	}
}

/* Validates one record and stores it. */
static int add_review(importer *im, int64_t line, const char *id,
		      size_t id_len, const char *text, size_t text_len,
		      const char *meta)
{
	char shown[SHOW_ID + 8];
	if (id_len == 0 || blank(id, id_len))
		return bad(im, line, "empty id");
	if (text_len == 0 || blank(text, text_len))
		return bad(im, line, "empty text");
	if (memchr(id, '\0', id_len) || memchr(text, '\0', text_len))
		return bad(im, line, "NUL character in a field");
	/* An id is written back in TSV exports and read from seeds files,
	 * one a line: a tab or line break in it would not survive. */
	for (size_t i = 0; i < id_len; i++)
		if (id[i] == '\t' || id[i] == '\n' || id[i] == '\r')
			return bad(im, line, "id contains a tab or line break");

	rl_review_in r = {
		.ext_id = id, .id_len = id_len, .text = text,
		.text_len = text_len, .meta = meta, .source = im->name,
		.line = line,
	};
	int64_t rid = 0, run = 0, first_line = 0;
	int rc = rl_store_review_insert(im->db, &r, im->run_id, &rid, &run,
					&first_line);
	if (rc == RL_OK) {
		im->st.imported++;
		return RL_OK;
	}
	if (rc != RL_EEXIST)
		return im->rc = rc;
	show_id(shown, sizeof shown, id, id_len);
	if (run == im->run_id)
		return bad(im, line, "duplicate id '%s' (first on line %lld)",
			   shown, (long long)first_line);
	switch (im->o->existing) {
	case RL_EXISTING_SKIP:
		im->st.skipped++;
		return RL_OK;
	case RL_EXISTING_REPLACE: {
		int changed;
		rc = rl_store_review_replace(im->db, rid, &r, im->run_id,
					     &changed);
		if (rc != RL_OK)
			return im->rc = rc;
		im->st.replaced++;
		im->changed += changed;
		return RL_OK;
	}
	default:
		return bad(im, line,
			   "id '%s' is already in the store (replace or "
			   "skip existing ids to go on)", shown);
	}
}

static int header(importer *im)
{
	im->ncols = im->nf;
	im->cols = calloc(im->nf, sizeof *im->cols);
	if (!im->cols)
		return hard(im, RL_ENOMEM, "out of memory");
	int have_id = 0, have_text = 0;
	for (size_t i = 0; i < im->nf; i++) {
		const char *f = im->rec.data + im->foff[i];
		size_t n = im->flen[i];
		/* A UTF-8 byte-order mark is not part of the first name. */
		if (i == 0 && n >= 3 && !memcmp(f, "\xef\xbb\xbf", 3)) {
			f += 3;
			n -= 3;
		}
		im->cols[i] = strndup(f, n);
		if (!im->cols[i])
			return hard(im, RL_ENOMEM, "out of memory");
		if (n == 0)
			return hard(im, RL_EINPUT,
				    "%s:%lld: column %zu of the header has "
				    "no name", im->name,
				    (long long)im->rec_line, i + 1);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(im->cols[j], im->cols[i]))
				return hard(im, RL_EINPUT,
					    "%s:%lld: column '%s' appears "
					    "twice in the header", im->name,
					    (long long)im->rec_line,
					    im->cols[i]);
		if (!strcmp(im->cols[i], im->o->id_col)) {
			im->id_idx = i;
			have_id = 1;
		}
		if (!strcmp(im->cols[i], im->o->text_col)) {
			im->text_idx = i;
			have_text = 1;
		}
	}
	if (!have_id || !have_text) {
		rl_buf all = { 0 };
		for (size_t i = 0; i < im->ncols; i++) {
			if (i)
				rl_buf_append(&all, ", ", 2);
			rl_buf_append(&all, im->cols[i], strlen(im->cols[i]));
		}
		hard(im, RL_EINPUT,
		     "%s:%lld: no column named '%s' (columns: %s); name "
		     "the %s column", im->name, (long long)im->rec_line,
		     have_id ? im->o->text_col : im->o->id_col,
		     all.data ? all.data : "",
		     have_id ? "text" : "id");
		rl_buf_free(&all);
		return im->rc;
	}
	if (im->id_idx == im->text_idx)
		return hard(im, RL_EINVAL, "the id and text columns are the "
			    "same column ('%s')", im->o->id_col);
	im->have_header = 1;
	return RL_OK;
}

/* A complete CSV/TSV record is in im->rec: the header, or a review. */
static int end_record(importer *im)
{
	int rc = RL_OK;
	int64_t line = im->rec_line ? im->rec_line : im->lineno;
	im->rec_line = line;
	if (im->rec_bad)
		goto out;
	if (!im->have_header) {
		rc = header(im);
		goto out;
	}
	im->st.rows++;
	if (im->nf != im->ncols) {
		rc = bad(im, line, "expected %zu fields, found %zu", im->ncols,
			 im->nf);
		goto out;
	}
	im->meta.len = 0;
	rc = rl_buf_putc(&im->meta, '{');
	int first = 1;
	for (size_t i = 0; i < im->nf && rc == RL_OK; i++) {
		if (i == im->id_idx || i == im->text_idx)
			continue;
		if (!first)
			rc = rl_buf_putc(&im->meta, ',');
		first = 0;
		if (rc == RL_OK)
			rc = rl_json_string(&im->meta, im->cols[i],
					    strlen(im->cols[i]));
		if (rc == RL_OK)
			rc = rl_buf_putc(&im->meta, ':');
		if (rc == RL_OK)
			rc = rl_json_string(&im->meta,
					    im->rec.data + im->foff[i],
					    im->flen[i]);
	}
	if (rc == RL_OK)
		rc = rl_buf_putc(&im->meta, '}');
	if (rc != RL_OK) {
		rc = hard(im, RL_ENOMEM, "out of memory");
		goto out;
	}
	rc = add_review(im, line, im->rec.data + im->foff[im->id_idx],
			im->flen[im->id_idx],
			im->rec.data + im->foff[im->text_idx],
			im->flen[im->text_idx], im->meta.data);
	if (rc >= 0 && progress(im) != RL_OK)
		rc = im->rc;
out:
	reset_record(im);
	return rc;
}

/* ---- CSV through libcsv ---- */

static void csv_field(void *s, size_t n, void *data)
{
	importer *im = data;
	if (im->rc == RL_OK && push_field(im, s ? s : "", s ? n : 0) != RL_OK)
		hard(im, RL_ENOMEM, "out of memory");
}

static void csv_row(int c, void *data)
{
	(void)c;
	importer *im = data;
	if (im->rc == RL_OK)
		end_record(im);
	else
		reset_record(im);
}

/* Unquoted fields keep their spaces: the text is stored as given. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int csv_start(importer *im)
{
	if (im->csv_live)
		csv_free(&im->csv);
	im->csv_live = 0;
	if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return hard(im, RL_ENOMEM, "out of memory");
	csv_set_space_func(&im->csv, no_space);
	im->csv_live = 1;
	return RL_OK;
}

/* After a parse error the open record is lost; start afresh on the next
 * line (only reached under skip_bad). */
static int csv_recover(importer *im)
{
	reset_record(im);
	return csv_start(im);
}

static int count_quotes(const char *s, size_t n)
{
	int q = 0;
	for (const char *p = s; (p = memchr(p, '"', (size_t)(s + n - p)));
	     p++)
		q++;
	return q;
}

/* After a bad line of a CSV record (skip_bad): when a quoted field is
 * still open, the next lines are the rest of that record, not records of
 * their own; skip them until the field closes. */
static int csv_skip_rest(importer *im)
{
	im->skip_quoted = im->quotes_odd;
	return csv_recover(im);
}

static int import_csv(importer *im)
{
	int rc = csv_start(im), too_long;
	while (rc == RL_OK && (rc = read_line(im, &too_long)) == 1) {
		rc = RL_OK;
		int odd = count_quotes(im->line.data, im->line.len) & 1;
		if (im->skip_quoted) {
			if (odd)
				im->skip_quoted = 0;
			continue;
		}
		if (im->rec_line == 0)
			im->quotes_odd = 0;
		im->quotes_odd ^= odd;
		if (!line_ok(im, too_long, &rc)) {
			if (rc == RL_OK)
				rc = csv_skip_rest(im);
			continue;
		}
		if (im->rec_line == 0) {
			if (blank(im->line.data, im->line.len))
				continue;
			im->rec_line = im->lineno;
		}
		im->rec_bytes += im->line.len;
		if (im->rec_bytes > im->o->max_record) {
			rc = bad(im, im->rec_line, "record longer than %zu "
				 "bytes", im->o->max_record);
			if (rc == RL_OK)
				rc = csv_skip_rest(im);
			continue;
		}
		size_t used = csv_parse(&im->csv, im->line.data, im->line.len,
					csv_field, csv_row, im);
		if (im->rc != RL_OK)
			return im->rc;
		if (used < im->line.len) {
			rc = bad(im, im->lineno, "malformed quoting near "
				 "column %zu: %s", used + 1,
				 csv_strerror(csv_error(&im->csv)));
			if (rc == RL_OK)
				rc = csv_recover(im);
		}
	}
	if (rc < 0)
		return rc;
	int64_t open_line = im->rec_line;
	if (csv_fini(&im->csv, csv_field, csv_row, im) != 0) {
		rc = bad(im, open_line, "unterminated quoted field (the record "
			 "starting here never ends)");
		if (rc != RL_OK)
			return rc;
	}
	return im->rc;
}

/* ---- TSV ---- */

static size_t chomp(const char *s, size_t n)
{
	if (n && s[n - 1] == '\n')
		n--;
	if (n && s[n - 1] == '\r')
		n--;
	return n;
}

static int import_tsv(importer *im)
{
	int rc = RL_OK, too_long;
	while (rc == RL_OK && (rc = read_line(im, &too_long)) == 1) {
		rc = RL_OK;
		if (!line_ok(im, too_long, &rc))
			continue;
		size_t n = chomp(im->line.data, im->line.len);
		if (n == 0)
			continue;
		im->rec_line = im->lineno;
		const char *p = im->line.data, *end = p + n;
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));
			const char *fe = tab ? tab : end;
			if (push_field(im, p, (size_t)(fe - p)) != RL_OK)
				return hard(im, RL_ENOMEM, "out of memory");
			if (!tab)
				break;
			p = tab + 1;
		}
		rc = end_record(im);
	}
	return rc < 0 ? rc : im->rc;
}

/* ---- JSONL ---- */

/* Does the JSON text hold the escape \u0000? SQLite would cut a string
 * there, silently, so the record is refused instead. */
static const char *json_nul(const char *s, size_t n)
{
	for (const char *p = s; (p = memchr(p, '\\', (size_t)(s + n - p)));) {
		const char *q = p;
		while (q < s + n && *q == '\\')
			q++;
		/* An odd run of backslashes escapes the next character. */
		if (((q - p) & 1) && s + n - q >= 5 && !memcmp(q, "u0000", 5))
			return p;
		p = q;
	}
	return NULL;
}

static int import_jsonl(importer *im)
{
	int rc = RL_OK, too_long;
	char err[128];
	while (rc == RL_OK && (rc = read_line(im, &too_long)) == 1) {
		rc = RL_OK;
		if (!line_ok(im, too_long, &rc))
			continue;
		size_t n = chomp(im->line.data, im->line.len);
		if (blank(im->line.data, n))
			continue;
		im->st.rows++;
		const char *p = im->line.data;
		/* A byte-order mark before the first record is not JSON. */
		if (im->lineno == 1 && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
			p += 3;
			n -= 3;
		}
		if (json_nul(p, n)) {
			rc = bad(im, im->lineno, "NUL character (\\u0000) in "
				 "a string");
			continue;
		}
		rc = rl_store_json_record(im->db, p, n, im->o->id_col,
					  im->o->text_col, &im->jr, err,
					  sizeof err);
		if (rc == RL_EINPUT) {
			rc = bad(im, im->lineno, "%s", err);
			continue;
		}
		if (rc != RL_OK)
			return im->rc = rc;
		rl_json_record *j = &im->jr;
		if (!j->has_id) {
			rc = bad(im, im->lineno, "no \"%s\" key", im->o->id_col);
		} else if (!j->has_text) {
			rc = bad(im, im->lineno, "no \"%s\" key",
				 im->o->text_col);
		} else if (strcmp(j->id_type, "text") &&
			   strcmp(j->id_type, "integer")) {
			rc = bad(im, im->lineno, "\"%s\" is %s, not a string "
				 "or integer", im->o->id_col, j->id_type);
		} else if (strcmp(j->text_type, "text")) {
			rc = bad(im, im->lineno, "\"%s\" is %s, not a string",
				 im->o->text_col, j->text_type);
		} else if (rl_utf8_check(j->text.data, j->text.len) <
			   j->text.len) {
			/* \ud800 escapes decode to invalid sequences. */
			rc = bad(im, im->lineno, "\"%s\" is not valid UTF-8 "
				 "once unescaped", im->o->text_col);
		} else {
			rc = add_review(im, im->lineno, j->id.data, j->id.len,
					j->text.data, j->text.len,
					j->meta.data);
			if (rc >= 0 && progress(im) != RL_OK)
				rc = im->rc;
		}
	}
	return rc < 0 ? rc : im->rc;
}

/* ---- the stage ---- */

static int params_json(const importer *im, rl_buf *b)
{
	static const char *const existing[] = { "error", "replace", "skip" };
	char tmp[160];
	int rc = rl_buf_append(b, "{\"file\":", 8);
	if (rc == RL_OK)
		rc = rl_json_string(b, im->name, strlen(im->name));
	if (rc == RL_OK)
		rc = rl_buf_append(b, ",\"format\":\"", 11);
	if (rc == RL_OK)
		rc = rl_buf_append(b, format_name(im->fmt),
				   strlen(format_name(im->fmt)));
	if (rc == RL_OK)
		rc = rl_buf_append(b, "\",\"id_col\":", 11);
	if (rc == RL_OK)
		rc = rl_json_string(b, im->o->id_col, strlen(im->o->id_col));
	if (rc == RL_OK)
		rc = rl_buf_append(b, ",\"text_col\":", 12);
	if (rc == RL_OK)
		rc = rl_json_string(b, im->o->text_col,
				    strlen(im->o->text_col));
	snprintf(tmp, sizeof tmp,
		 ",\"existing\":\"%s\",\"skip_bad\":%d,\"max_record\":%zu}",
		 existing[im->o->existing], im->o->skip_bad ? 1 : 0,
		 im->o->max_record);
	if (rc == RL_OK)
		rc = rl_buf_append(b, tmp, strlen(tmp));
	return rc;
}

static void importer_free(importer *im)
{
	if (im->csv_live)
		csv_free(&im->csv);
	for (size_t i = 0; im->cols && i < im->ncols; i++)
		free(im->cols[i]);
	free(im->cols);
	free(im->foff);
	free(im->flen);
	free(im->rbuf);
	rl_buf_free(&im->line);
	rl_buf_free(&im->rec);
	rl_buf_free(&im->meta);
	rl_buf_free(&im->jr.id);
	rl_buf_free(&im->jr.text);
	rl_buf_free(&im->jr.meta);
}

int rl_import_stream(rl_db *db, FILE *in, const char *name,
		     const rl_import_opts *o, rl_import_stats *st)
{
	rl_import_opts defaults;
	if (!o) {
		rl_import_opts_init(&defaults);
		o = &defaults;
	}
	importer im = { .db = db, .o = o, .name = name, .in = in,
			.fmt = o->format };
	rl_buf params = { 0 };
	rl_stage stg;
	char counts[256] = "{}";
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if (im.fmt == RL_FORMAT_AUTO)
		return rl_fail(db, RL_EINVAL, "%s: cannot tell the format; "
			       "give it (csv, tsv or jsonl)", name);
	if (!o->id_col || !o->text_col || !*o->id_col || !*o->text_col)
		return rl_fail(db, RL_EINVAL, "empty id or text column name");
	if (o->max_record < 16)
		return rl_fail(db, RL_EINVAL, "max_record too small");
	if ((unsigned)o->existing > RL_EXISTING_SKIP)
		return rl_fail(db, RL_EINVAL, "bad value for existing");

	struct stat sb;
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		im.file_size = (uint64_t)sb.st_size;
	im.rbuf = malloc(READ_CHUNK);
	if (!im.rbuf) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = params_json(&im, &params)) != RL_OK) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = rl_stage_begin(db, "import", params.data, &stg)) != RL_OK)
		goto out;
	im.run_id = stg.run_id;

	switch (im.fmt) {
	case RL_FORMAT_CSV: rc = import_csv(&im); break;
	case RL_FORMAT_TSV: rc = import_tsv(&im); break;
	default: rc = import_jsonl(&im); break;
	}
	if (rc != RL_OK)
		goto end;
	if (im.fmt != RL_FORMAT_JSONL && !im.have_header) {
		rc = rl_fail(db, RL_EINPUT, "%s: empty file: a header line "
			     "naming the columns is required", name);
		goto end;
	}
	/* Other reviews' edges to the reviews whose text changed. */
	if (im.changed && (rc = rl_store_neighbours_prune(db)) != RL_OK)
		goto end;
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "import",
				   im.st.bytes, im.file_size)) != RL_OK)
		goto end;

	snprintf(counts, sizeof counts,
		 "{\"rows\":%llu,\"imported\":%llu,\"replaced\":%llu,"
		 "\"skipped\":%llu,\"bad\":%llu,\"bytes\":%llu}",
		 (unsigned long long)im.st.rows,
		 (unsigned long long)im.st.imported,
		 (unsigned long long)im.st.replaced,
		 (unsigned long long)im.st.skipped,
		 (unsigned long long)im.st.bad,
		 (unsigned long long)im.st.bytes);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = im.st;
out:
	rl_buf_free(&params);
	importer_free(&im);
	return rc;
}

int rl_import_file(rl_db *db, const char *path, const rl_import_opts *o,
		   rl_import_stats *st)
{
	rl_import_opts copy;
	if (o)
		copy = *o;
	else
		rl_import_opts_init(&copy);
	if (copy.format == RL_FORMAT_AUTO) {
		copy.format = rl_format_from_name(path);
		if (copy.format == RL_FORMAT_AUTO)
			return rl_fail(db, RL_EINVAL,
				       "%s: cannot tell the format from the "
				       "name; give it (csv, tsv or jsonl)",
				       path);
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return rl_fail(db, RL_EIO, "%s: %s", path, strerror(errno));
	int rc = rl_import_stream(db, f, path, &copy, st);
	fclose(f);
	return rc;
}
