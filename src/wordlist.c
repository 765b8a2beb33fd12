/*
 * wordlist.c - word lists for rules: a file of words and phrases, one a
 * line, matched as whole words after the tokenizer's normalisation
 * (rl_words_each in tokenize.c, the only user of utf8proc).
 *
 * A regex alternation of tens of thousands of words is slow to compile
 * and large; here every distinct word gets an id (one string map), every
 * entry is its sequence of word ids, and the entries sit in one open-
 * addressing hash table keyed by that sequence. A text is split into
 * words once; at each word the sequences of 1 to max_words words that
 * start there are looked up, the hash extended word by word, and a word
 * the list does not know ends the search at that start. The work is
 * linear in the text's words times the longest entry's length, whatever
 * the number of entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordlist.h"

#define NO_WORD UINT32_MAX

struct rl_wordlist {
	rl_strmap *vocab;	/* normalised word -> id */
	rl_buf words;		/* the words by id, each NUL-terminated */
	size_t *word_at;	/* [V] where word id starts in words */
	size_t cap_words;
	uint32_t *ids;		/* the entries' words, back to back */
	size_t n_ids, cap_ids;
	uint32_t *off;		/* [n + 1] entry e is ids[off[e]..off[e+1]) */
	size_t n, cap;		/* entries */
	uint32_t *table;	/* [mask + 1] entry + 1, 0 for empty */
	size_t mask;
	size_t max_words;
	size_t dups;
	/* scratch for parsing an entry and for finding */
	rl_wordbuf wb;
	uint32_t *tw;		/* a text's words: id, start, end */
	size_t *ts, *te;
	size_t n_tw, cap_tw;
	int oom;
};

static uint64_t seq_step(uint64_t h, uint32_t id)
{
	h ^= id;
	h *= 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 31);
}

#define SEQ_SEED 0xcbf29ce484222325ull

static uint64_t seq_hash(const uint32_t *v, size_t n)
{
	uint64_t h = SEQ_SEED;
	for (size_t i = 0; i < n; i++)
		h = seq_step(h, v[i]);
	return h;
}

/* The slot holding the entry v[0..n) with hash h, or the empty slot
 * where it would go. */
static size_t slot_of(const rl_wordlist *w, const uint32_t *v, size_t n,
		      uint64_t h)
{
	size_t i = (size_t)h & w->mask;
	for (;;) {
		uint32_t e = w->table[i];
		if (e == 0)
			return i;
		e--;
		if (w->off[e + 1] - w->off[e] == n &&
		    !memcmp(w->ids + w->off[e], v, n * sizeof *v))
			return i;
		i = (i + 1) & w->mask;
	}
}

static int grow_table(rl_wordlist *w)
{
	size_t cap = w->table ? (w->mask + 1) * 2 : 1024;
	uint32_t *t = calloc(cap, sizeof *t);
	if (!t)
		return RL_ENOMEM;
	free(w->table);
	w->table = t;
	w->mask = cap - 1;
	for (size_t e = 0; e < w->n; e++) {
		const uint32_t *v = w->ids + w->off[e];
		size_t n = w->off[e + 1] - w->off[e];
		t[slot_of(w, v, n, seq_hash(v, n))] = (uint32_t)e + 1;
	}
	return RL_OK;
}

/* Adds one word of the entry being read to ids (not yet an entry). */
static int on_entry_word(void *ctx, const char *s, size_t n, size_t a,
			 size_t b)
{
	rl_wordlist *w = ctx;
	(void)a;
	(void)b;
	int64_t id = rl_strmap_get(w->vocab, s, n);
	if (id < 0) {
		id = (int64_t)rl_strmap_size(w->vocab);
		if ((size_t)id == w->cap_words) {
			size_t cap = w->cap_words ? w->cap_words * 2 : 1024;
			size_t *p = realloc(w->word_at, cap * sizeof *p);
			if (!p)
				return RL_ENOMEM;
			w->word_at = p;
			w->cap_words = cap;
		}
		w->word_at[id] = w->words.len;
		if (id >= (int64_t)NO_WORD ||
		    rl_buf_append(&w->words, s, n + 1) != RL_OK ||
		    rl_strmap_put(w->vocab, s, n, id) != RL_OK)
			return RL_ENOMEM;
	}
	if (w->n_ids == w->cap_ids) {
		size_t cap = w->cap_ids ? w->cap_ids * 2 : 1024;
		uint32_t *p = realloc(w->ids, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		w->ids = p;
		w->cap_ids = cap;
	}
	w->ids[w->n_ids++] = (uint32_t)id;
	return RL_OK;
}

/* Reads one entry line; 0 when it had no word. */
static int add_entry(rl_wordlist *w, const char *s, size_t len, int *words)
{
	size_t first = w->n_ids;
	int rc = rl_words_each(s, len, &w->wb, on_entry_word, w);
	if (rc != RL_OK)
		return rc;
	size_t n = w->n_ids - first;
	*words = n > 0;
	if (n == 0)
		return RL_OK;
	if ((w->n + 1) * 2 > w->mask + 1 || !w->table)
		if ((rc = grow_table(w)) != RL_OK)
			return rc;
	const uint32_t *v = w->ids + first;
	size_t at = slot_of(w, v, n, seq_hash(v, n));
	if (w->table[at]) {
		w->n_ids = first;	/* the same entry again */
		w->dups++;
		return RL_OK;
	}
	if (w->n + 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		uint32_t *p = realloc(w->off, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		w->off = p;
		w->cap = cap;
	}
	if (w->n == 0)
		w->off[0] = 0;
	w->off[w->n + 1] = (uint32_t)w->n_ids;
	w->table[at] = (uint32_t)++w->n;
	if (n > w->max_words)
		w->max_words = n;
	return RL_OK;
}

int rl_wordlist_parse(const char *name, const char *data, size_t len,
		      rl_wordlist **out, char *err, size_t errlen)
{
	rl_wordlist *w = calloc(1, sizeof *w);
	int rc = RL_ENOMEM, lineno = 0;
	*out = NULL;
	if (!w || rl_strmap_new(&w->vocab) != RL_OK)
		goto out;
	size_t p = 0;
	while (p < len) {
		const char *s = data + p;
		const char *nl = memchr(s, '\n', len - p);
		size_t n = nl ? (size_t)(nl - s) : len - p;
		p += n + (nl != NULL);
		lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n)) {
			snprintf(err, errlen, "%s:%d: NUL byte", name, lineno);
			rc = RL_EINPUT;
			goto out;
		}
		size_t bad = rl_utf8_check(s, n);
		if (bad < n) {
			snprintf(err, errlen, "%s:%d:%zu: invalid UTF-8", name,
				 lineno, bad + 1);
			rc = RL_EINPUT;
			goto out;
		}
		size_t lead = 0;
		while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		if (lead == n || s[lead] == '#')
			continue;
		/* A UTF-8 byte-order mark on the first line is not a word. */
		if (lineno == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			n -= 3;
		}
		int words;
		if ((rc = add_entry(w, s, n, &words)) != RL_OK)
			goto out;
		if (!words) {
			snprintf(err, errlen, "%s:%d:%zu: no word in this "
				 "entry (only punctuation or symbols)", name,
				 lineno, lead + 1);
			rc = RL_EINPUT;
			goto out;
		}
	}
	*out = w;
	w = NULL;
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	rl_wordlist_free(w);
	return rc;
}

int rl_wordlist_load(const char *path, rl_wordlist **out, char *err,
		     size_t errlen)
{
	rl_buf b = { 0 };
	char chunk[65536];
	size_t got;
	int rc = RL_OK;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RL_EIO;
	}
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if ((rc = rl_buf_append(&b, chunk, got)) != RL_OK)
			break;
	if (rc == RL_OK && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = RL_EIO;
	}
	fclose(f);
	if (rc == RL_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (rc == RL_OK)
		rc = rl_wordlist_parse(path, b.data ? b.data : "", b.len, out,
				       err, errlen);
	rl_buf_free(&b);
	return rc;
}

void rl_wordlist_free(rl_wordlist *w)
{
	if (!w)
		return;
	rl_strmap_free(w->vocab);
	rl_buf_free(&w->words);
	free(w->word_at);
	free(w->ids);
	free(w->off);
	free(w->table);
	rl_wordbuf_free(&w->wb);
	free(w->tw);
	free(w->ts);
	free(w->te);
	free(w);
}

size_t rl_wordlist_size(const rl_wordlist *w)
{
	return w ? w->n : 0;
}

size_t rl_wordlist_duplicates(const rl_wordlist *w)
{
	return w ? w->dups : 0;
}

/* Notes one word of the text being searched. */
static int on_text_word(void *ctx, const char *s, size_t n, size_t a,
			size_t b)
{
	rl_wordlist *w = ctx;
	if (w->n_tw == w->cap_tw) {
		size_t cap = w->cap_tw ? w->cap_tw * 2 : 256;
		uint32_t *t = realloc(w->tw, cap * sizeof *t);
		if (t)
			w->tw = t;
		size_t *ts = realloc(w->ts, cap * sizeof *ts);
		if (ts)
			w->ts = ts;
		size_t *te = realloc(w->te, cap * sizeof *te);
		if (te)
			w->te = te;
		if (!t || !ts || !te)
			return RL_ENOMEM;
		w->cap_tw = cap;
	}
	int64_t id = rl_strmap_get(w->vocab, s, n);
	w->tw[w->n_tw] = id < 0 ? NO_WORD : (uint32_t)id;
	w->ts[w->n_tw] = a;
	w->te[w->n_tw] = b;
	w->n_tw++;
	return RL_OK;
}

int rl_wordlist_find(rl_wordlist *w, const char *text, size_t len,
		     size_t *start, size_t *end)
{
	if (w->n == 0)
		return 0;
	w->n_tw = 0;
	int rc = rl_words_each(text, len, &w->wb, on_text_word, w);
	if (rc != RL_OK)
		return rc;
	for (size_t i = 0; i < w->n_tw; i++) {
		uint64_t h = SEQ_SEED;
		size_t best = 0;
		for (size_t k = 0; k < w->max_words && i + k < w->n_tw; k++) {
			uint32_t id = w->tw[i + k];
			if (id == NO_WORD)
				break;
			h = seq_step(h, id);
			if (w->table[slot_of(w, w->tw + i, k + 1, h)])
				best = k + 1;
		}
		if (best) {
			*start = w->ts[i];
			*end = w->te[i + best - 1];
			return 1;
		}
	}
	return 0;
}

int rl_wordlist_dump(const rl_wordlist *w, rl_buf *out)
{
	int rc = RL_OK;
	for (size_t e = 0; e < w->n && rc == RL_OK; e++)
		for (uint32_t p = w->off[e]; p < w->off[e + 1] && rc == RL_OK;
		     p++) {
			const char *word = w->words.data +
					   w->word_at[w->ids[p]];
			rc = rl_buf_append(out, word, strlen(word));
			if (rc == RL_OK)
				rc = rl_buf_putc(out, p + 1 < w->off[e + 1]
						 ? ' ' : '\n');
		}
	return rc;
}
