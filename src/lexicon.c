/*
 * lexicon.c - reads a language's word lists for the tokenizer.
 *
 * A language is a folder, <lexicon_dir>/<language>/, so adding one needs
 * no code: stopwords.txt, negations.txt and stemmer (the Snowball
 * algorithm's name). The files' bytes are hashed as they are read, so the
 * tokenizer's fingerprint changes whenever a list is edited and the stage
 * layer knows to tokenize again.
 */
#include <errno.h>
#include <libstemmer.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lexicon.h"

uint64_t rl_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads the whole file at path into b (NUL-terminated). Returns 0, or the
 * errno of the failure. */
static int read_file(const char *path, rl_buf *b)
{
	b->len = 0;
	if (rl_buf_reserve(b, 0) != RL_OK)
		return ENOMEM;
	b->data[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno;
	char chunk[4096];
	size_t n;
	int e = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (rl_buf_append(b, chunk, n) != RL_OK) {
			e = ENOMEM;
			break;
		}
	if (!e && ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	return e;
}

/* Folds one file into the lexicon's hash: its name, then either its
 * length and bytes or a mark that it is absent, so that removing a file
 * and emptying it hash differently. */
static void hash_file(rl_lexicon *lx, const char *name, const rl_buf *b,
		      int present)
{
	uint64_t n = present ? (uint64_t)b->len : UINT64_MAX;
	lx->hash = rl_fnv1a64(lx->hash, name, strlen(name) + 1);
	lx->hash = rl_fnv1a64(lx->hash, &n, sizeof n);
	if (present)
		lx->hash = rl_fnv1a64(lx->hash, b->data, b->len);
}

/* The next line of text[*pos..len) with its comment and surrounding blanks
 * cut off; NULL at the end. *line_no counts lines from 1. */
static const char *next_entry(const char *text, size_t len, size_t *pos,
			      size_t *n, size_t *line_no)
{
	while (*pos < len) {
		const char *s = text + *pos;
		const char *nl = memchr(s, '\n', len - *pos);
		size_t l = nl ? (size_t)(nl - s) : len - *pos;
		*pos += l + (nl ? 1 : 0);
		++*line_no;
		const char *hash = memchr(s, '#', l);
		if (hash)
			l = (size_t)(hash - s);
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' ||
			     s[l - 1] == '\r'))
			l--;
		while (l && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		if (l) {
			*n = l;
			return s;
		}
	}
	return NULL;
}

/* Puts every entry of the word file in b into set, normalised. */
static int parse_words(const char *path, const rl_buf *b, rl_strmap *set,
		       rl_buf *scratch, char *err, size_t errlen)
{
	size_t pos = 0, n = 0, line_no = 0;
	const char *s;
	while ((s = next_entry(b->data, b->len, &pos, &n, &line_no))) {
		scratch->len = 0;
		int rc = rl_normalize(s, n, scratch);
		if (rc == RL_EINPUT) {
			set_err(err, errlen, "%s:%zu: not valid UTF-8", path,
				line_no);
			return rc;
		}
		if (rc == RL_OK && scratch->len)
			rc = rl_strmap_put(set, scratch->data, scratch->len,
					   1);
		if (rc != RL_OK) {
			set_err(err, errlen, "out of memory");
			return rc;
		}
	}
	return RL_OK;
}

const char *const rl_lexicon_file_names[RL_LEX_FILES] = {
	[RL_LEX_STOPWORDS] = "stopwords.txt",
	[RL_LEX_NEGATIONS] = "negations.txt",
	[RL_LEX_STEMMER] = "stemmer",
};

/* Reads <base>/<name> into b. An absent file is fine when optional: then
 * *present is 0 and RL_OK is returned. */
static int load_file(rl_buf *path, size_t base_len, const char *name,
		     int optional, rl_buf *b, int *present, char *err,
		     size_t errlen)
{
	path->len = base_len;
	if (rl_buf_append(path, name, strlen(name)) != RL_OK) {
		set_err(err, errlen, "out of memory");
		return RL_ENOMEM;
	}
	int e = read_file(path->data, b);
	*present = e == 0;
	if (e == ENOENT && optional) {
		b->len = 0;
		return RL_OK;
	}
	if (e == ENOMEM) {
		set_err(err, errlen, "out of memory");
		return RL_ENOMEM;
	}
	if (e) {
		set_err(err, errlen, "%s: %s", path->data, strerror(e));
		return RL_EIO;
	}
	return RL_OK;
}

static int load_stemmer(rl_lexicon *lx, const char *path, const rl_buf *b,
			char *err, size_t errlen)
{
	size_t pos = 0, n = 0, line_no = 0;
	const char *s = next_entry(b->data, b->len, &pos, &n, &line_no);
	if (!s)
		return RL_OK;	/* an empty file: no stemming */
	if (n >= sizeof lx->stemmer_name) {
		set_err(err, errlen, "%s:%zu: stemmer name too long", path,
			line_no);
		return RL_EINPUT;
	}
	memcpy(lx->stemmer_name, s, n);
	lx->stemmer_name[n] = '\0';
	lx->stemmer = sb_stemmer_new(lx->stemmer_name, "UTF_8");
	if (!lx->stemmer) {
		set_err(err, errlen, "%s:%zu: unknown Snowball algorithm "
			"\"%s\"", path, line_no, lx->stemmer_name);
		return RL_EINPUT;
	}
	return RL_OK;
}

int rl_lexicon_read(rl_lexicon_files *f, const char *dir,
		    const char *language, char *err, size_t errlen)
{
	rl_buf path = { 0 };
	int rc;

	memset(f, 0, sizeof *f);
	if (!dir || !*dir) {
		set_err(err, errlen, "no lexicon folder given");
		return RL_EINVAL;
	}
	/* The language names a folder inside dir, never one elsewhere. */
	if (!language || !*language || strchr(language, '/') ||
	    !strcmp(language, ".") || !strcmp(language, "..")) {
		set_err(err, errlen, "bad language name \"%s\"",
			language ? language : "");
		return RL_EINVAL;
	}
	if ((rc = rl_buf_append(&path, dir, strlen(dir))) != RL_OK ||
	    (rc = rl_buf_putc(&path, '/')) != RL_OK ||
	    (rc = rl_buf_append(&path, language, strlen(language))) !=
		    RL_OK ||
	    (rc = rl_buf_putc(&path, '/')) != RL_OK) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	size_t base_len = path.len;
	/* Stop words are required, the rest optional. */
	for (int i = 0; i < RL_LEX_FILES && rc == RL_OK; i++)
		rc = load_file(&path, base_len, rl_lexicon_file_names[i],
			       i != RL_LEX_STOPWORDS, &f->data[i],
			       &f->present[i], err, errlen);
out:
	if (rc != RL_OK)
		rl_lexicon_files_free(f);
	rl_buf_free(&path);
	return rc;
}

void rl_lexicon_files_free(rl_lexicon_files *f)
{
	for (int i = 0; i < RL_LEX_FILES; i++)
		rl_buf_free(&f->data[i]);
	memset(f, 0, sizeof *f);
}

int rl_lexicon_parse(rl_lexicon *lx, const rl_lexicon_files *f,
		     const char *origin, char *err, size_t errlen)
{
	rl_buf name = { 0 }, scratch = { 0 };
	int rc;

	memset(lx, 0, sizeof *lx);
	lx->hash = RL_FNV_OFFSET;
	if ((rc = rl_strmap_new(&lx->stopwords)) != RL_OK ||
	    (rc = rl_strmap_new(&lx->negations)) != RL_OK) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; i < RL_LEX_FILES; i++) {
		const char *file = rl_lexicon_file_names[i];
		const rl_buf *b = &f->data[i];
		hash_file(lx, file, b, f->present[i]);
		name.len = 0;
		if ((rc = rl_buf_printf(&name, "%s%s", origin, file)) !=
		    RL_OK) {
			set_err(err, errlen, "out of memory");
			goto out;
		}
		if (!f->present[i] && i == RL_LEX_STOPWORDS) {
			set_err(err, errlen, "%s: missing", name.data);
			rc = RL_EINPUT;
			goto out;
		}
		if (!f->present[i])
			continue;
		/* An empty buffer may have no bytes at all. */
		rl_buf text = { b->data ? b->data : "", b->len, 0 };
		if (i == RL_LEX_STEMMER)
			rc = load_stemmer(lx, name.data, &text, err, errlen);
		else
			rc = parse_words(name.data, &text,
					 i == RL_LEX_STOPWORDS ? lx->stopwords
							       : lx->negations,
					 &scratch, err, errlen);
		if (rc != RL_OK)
			goto out;
	}
out:
	if (rc != RL_OK)
		rl_lexicon_free(lx);
	rl_buf_free(&name);
	rl_buf_free(&scratch);
	return rc;
}

void rl_lexicon_free(rl_lexicon *lx)
{
	rl_strmap_free(lx->stopwords);
	rl_strmap_free(lx->negations);
	sb_stemmer_delete(lx->stemmer);
	memset(lx, 0, sizeof *lx);
}
