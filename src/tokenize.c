/*
 * tokenize.c - review text -> normalised tokens; the only user of utf8proc.
 *
 * The first kernel of the pipeline: the stage layer (stage_tokenize.c)
 * hands it one review's text and turns the tokens it calls back with into
 * term ids. A text goes through three steps:
 *   1. check it is UTF-8, then normalise it into an array of codepoints:
 *      NFKC with case folding, typographic apostrophes made ASCII;
 *   2. cut that array into tokens by Unicode category: words (letters,
 *      marks, digits, inner apostrophes), numbers and prices, single CJK
 *      ideographs and kana, emoji as grapheme clusters, URLs as "<url>";
 *   3. filter words: negation words open a "not_" scope that runs to the
 *      next clause punctuation, stop words are dropped, the rest stemmed.
 *      In a scope a word becomes "not_word" (negation 1), or stays as it
 *      is and its "not_word" follows once the scope closes (negation 2),
 *      so the scope's words keep their own bigrams and its marked words
 *      theirs.
 * All buffers belong to the tokenizer and are reused from text to text:
 * tokenizing allocates only for a text longer than any before it, to
 * remember a word it has not met yet, or (negation 2) to hold a scope
 * longer than any before it.
 */
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "internal.h"
#include "lexicon.h"

/* Bump whenever a change here may change any token: stored tokens made
 * under another version are then redone (see the fingerprint). */
#define TOKENIZER_VERSION "revlab-tokenizer-1"

#define NORM_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | \
		   UTF8PROC_CASEFOLD)

/* Room kept in front of every token for the negation prefix, so marking a
 * word costs a 4-byte copy instead of moving the word. */
#define NOT_PREFIX "not_"
#define NOT_LEN 4

/* What the filters make of a word (negation? stop word? stem?) is
 * remembered per tokenizer: Snowball costs more than the rest of the
 * pipeline per word, review vocabularies repeat a lot, and one lookup
 * replaces three. The cache is dropped when it grows past these bounds,
 * so memory stays flat however many reviews go through. */
#define CACHE_MAX_WORDS 200000
#define CACHE_MAX_BYTES (8u << 20)

/* Longer "words" (hex strings, runs of one letter) are neither stemmed
 * nor cached: no language has such words to stem, and keeping them out
 * bounds the cache's keys too. */
#define STEM_MAX_BYTES 128

/* Flags in the low bits of a cache value; the stem's offset is above. */
enum { W_NEG = 1, W_STOP = 2, W_SHIFT = 2 };

typedef struct cpbuf {
	int32_t *v;		/* [len] codepoints */
	size_t len, cap;
} cpbuf;

struct rl_tokenizer {
	rl_lexicon lex;
	/* lex's word sets belong to another tokenizer (a clone's); only the
	 * stemmer, which keeps state while it works, is this one's own. */
	int borrowed;
	int stopwords, stem, negation;
	size_t min_len;		/* in codepoints */
	cpbuf text;		/* the current text, normalised */
	rl_buf tok;		/* token being built, after NOT_LEN bytes */
	rl_strmap *cache;	/* word -> stem offset << W_SHIFT | W_* */
	rl_buf stems;		/* the cache's stems, each NUL-terminated */
	rl_buf marked;		/* negation 2: the open scope's "not_" words,
				   each NUL-terminated */
	char fingerprint[17];
};

/* What a codepoint is to the segmenter. */
enum {
	C_SEP,			/* dropped: punctuation, controls, Sm, ... */
	C_SPACE,
	C_BREAK,		/* line and paragraph breaks */
	C_LETTER,
	C_DIGIT,
	C_MARK,
	C_APOS,
	C_NUMSEP,		/* '.' ',': inside numbers, else clause ends */
	C_CLAUSE,		/* other clause punctuation */
	C_CURRENCY,
	C_PERCENT,
	C_SYMBOL,		/* emoji and other So/Sk */
	C_IDEO,			/* Han ideographs and kana, one per token */
	C_FORMAT		/* Cf: soft hyphens, zero-width joiners */
};

/* Token kinds: words and ideographs go through the filters, the others
 * are passed on as they are. */
enum { K_WORD, K_IDEO, K_NUM, K_SYMBOL };

/* ---- UTF-8 ---------------------------------------------------------- */

size_t rl_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		/* Most review text is ASCII: skip it 8 bytes at a time. */
		while (len - i >= 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t c;
		utf8proc_ssize_t r = utf8proc_iterate(p + i,
						      (utf8proc_ssize_t)(len - i),
						      &c);
		if (r < 0)
			return i;
		i += (size_t)r;
	}
	return len;
}

static inline size_t put_cp(char *dst, int32_t c)
{
	if (c < 0x80) {
		*dst = (char)c;
		return 1;
	}
	return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)dst);
}

/* ---- normalisation -------------------------------------------------- */

static int cp_reserve(cpbuf *b, size_t need)
{
	if (need <= b->cap)
		return RL_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / sizeof *b->v)
			return RL_ENOMEM;
		cap *= 2;
	}
	int32_t *v = realloc(b->v, cap * sizeof *v);
	if (!v)
		return RL_ENOMEM;
	b->v = v;
	b->cap = cap;
	return RL_OK;
}

/* Appends the normalised codepoints of the valid UTF-8 s[0..n). */
static int normalize_segment(cpbuf *b, const unsigned char *s, size_t n)
{
	utf8proc_ssize_t r;
	for (;;) {
		size_t room = b->cap - b->len;
		r = utf8proc_decompose(s, (utf8proc_ssize_t)n, b->v + b->len,
				       (utf8proc_ssize_t)room, NORM_OPTS);
		if (r < 0)
			return r == UTF8PROC_ERROR_NOMEM ? RL_ENOMEM
							 : RL_EINPUT;
		if ((size_t)r <= room)
			break;
		if (cp_reserve(b, b->len + (size_t)r) != RL_OK)
			return RL_ENOMEM;
	}
	r = utf8proc_normalize_utf32(b->v + b->len, r, NORM_OPTS);
	if (r < 0)
		return RL_EINPUT;
	/* Typographic apostrophes and the modifier letter apostrophe are
	 * how most keyboards and phones write "don't"; NFKC keeps them. */
	int32_t *v = b->v + b->len;
	for (utf8proc_ssize_t i = 0; i < r; i++)
		if (v[i] == 0x2019 || v[i] == 0x2018 || v[i] == 0x02BC)
			v[i] = '\'';
	b->len += (size_t)r;
	return RL_OK;
}

/*
 * Normalises valid UTF-8 s[0..len) into b. ASCII takes a fast path: a byte
 * followed by another ASCII byte cannot take part in composition, canonical
 * reordering or any case folding but its own, so it is only lower-cased.
 * Each stretch of non-ASCII bytes goes to utf8proc together with the ASCII
 * byte before it, which a combining mark may compose with ("e" U+0301).
 */
static int normalize_text(cpbuf *b, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t p = 0;
	b->len = 0;
	if (cp_reserve(b, len + 1) != RL_OK)
		return RL_ENOMEM;
	while (p < len) {
		int32_t *v = b->v;
		size_t o = b->len;
		while (p < len && s[p] < 0x80 &&
		       (p + 1 == len || s[p + 1] < 0x80)) {
			unsigned char c = s[p++];
			v[o++] = (unsigned)(c - 'A') < 26 ? c + 32 : c;
		}
		b->len = o;
		if (p >= len)
			break;
		size_t end = p + 1;
		while (end < len && s[end] >= 0x80)
			end++;
		int rc = normalize_segment(b, s + p, end - p);
		if (rc != RL_OK)
			return rc;
		p = end;
		/* Keep room for the rest at one codepoint per byte. */
		if (cp_reserve(b, b->len + (len - p) + 1) != RL_OK)
			return RL_ENOMEM;
	}
	return RL_OK;
}

int rl_normalize(const char *s, size_t len, rl_buf *out)
{
	cpbuf b = { 0 };
	int rc;
	if (rl_utf8_check(s, len) != len)
		return RL_EINPUT;
	if ((rc = normalize_text(&b, s, len)) != RL_OK)
		goto out;
	if ((rc = rl_buf_reserve(out, b.len * 4 + 1)) != RL_OK)
		goto out;
	for (size_t i = 0; i < b.len; i++)
		out->len += put_cp(out->data + out->len, b.v[i]);
	out->data[out->len] = '\0';
out:
	free(b.v);
	return rc;
}

/* ---- classes -------------------------------------------------------- */

static inline int ascii_class(int32_t c)
{
	if ((uint32_t)((c | 0x20) - 'a') < 26)
		return C_LETTER;
	if ((uint32_t)(c - '0') < 10)
		return C_DIGIT;
	switch (c) {
	case ' ':
	case '\t':
		return C_SPACE;
	case '\n':
	case '\v':
	case '\f':
	case '\r':
		return C_BREAK;
	case '\'':
		return C_APOS;
	case '.':
	case ',':
		return C_NUMSEP;
	case '!':
	case '?':
	case ';':
	case ':':
		return C_CLAUSE;
	case '$':
		return C_CURRENCY;
	case '%':
		return C_PERCENT;
	default:
		return C_SEP;
	}
}

/* Po characters that end a clause in some script and that NFKC does not
 * already turn into ASCII . , ! ? ; : (ascending). */
static const int32_t clause_marks[] = {
	0x00A1, 0x00BF,			/* Spanish ¡ ¿ */
	0x055C, 0x055D, 0x055E, 0x0589,	/* Armenian */
	0x060C, 0x061B, 0x061F, 0x06D4,	/* Arabic comma ... full stop */
	0x0964, 0x0965,			/* Devanagari danda */
	0x104A, 0x104B,			/* Myanmar */
	0x1362, 0x1363, 0x1364, 0x1365, 0x1367, 0x1368,	/* Ethiopic */
	0x166E,				/* Canadian syllabics */
	0x1802, 0x1803, 0x1808, 0x1809,	/* Mongolian */
	0x203D,				/* interrobang */
	0x3001, 0x3002,			/* ideographic comma, full stop */
	0xA4FE, 0xA4FF,			/* Lisu */
	0xA60D, 0xA60E, 0xA60F,		/* Vai */
};

static int is_clause_mark(int32_t c)
{
	size_t lo = 0, hi = sizeof clause_marks / sizeof clause_marks[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (clause_marks[mid] == c)
			return 1;
		if (clause_marks[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Han ideographs and kana. utf8proc has no script property, so these are
 * the blocks: kana, CJK symbols' iteration marks and ideographic zero,
 * Extension A, the unified and compatibility ideographs, the small kana
 * and the supplementary ideographic planes. */
static int is_ideo(int32_t c)
{
	return (c >= 0x3005 && c <= 0x3007) ||
	       (c >= 0x3040 && c <= 0x30FF) ||
	       (c >= 0x31F0 && c <= 0x31FF) ||
	       (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x4E00 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFF66 && c <= 0xFF9F) ||
	       (c >= 0x1B000 && c <= 0x1B16F) ||
	       (c >= 0x20000 && c <= 0x3FFFF);
}

static int unicode_class(int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return is_ideo(c) ? C_IDEO : C_LETTER;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return C_MARK;
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return is_ideo(c) ? C_IDEO : C_DIGIT;
	case UTF8PROC_CATEGORY_SC:
		return C_CURRENCY;
	case UTF8PROC_CATEGORY_SO:
	case UTF8PROC_CATEGORY_SK:
		return C_SYMBOL;
	case UTF8PROC_CATEGORY_PO:
		return is_clause_mark(c) ? C_CLAUSE : C_SEP;
	case UTF8PROC_CATEGORY_ZS:
		return C_SPACE;
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return C_BREAK;
	case UTF8PROC_CATEGORY_CF:
		return C_FORMAT;
	case UTF8PROC_CATEGORY_CC:
		return c == 0x85 ? C_BREAK : C_SEP;	/* NEL */
	default:
		return C_SEP;
	}
}

static inline int cls(int32_t c)
{
	return c < 0x80 ? ascii_class(c) : unicode_class(c);
}

/* ---- segmentation --------------------------------------------------- */

/* One text being tokenized. */
typedef struct run {
	rl_tokenizer *tk;
	const int32_t *cp;	/* [n] normalised codepoints */
	size_t n;
	rl_token_fn fn;
	void *ctx;
	int scope;		/* inside a negation's scope */
} run;

static int match_lit(const run *r, size_t i, const char *lit)
{
	for (; *lit; lit++, i++)
		if (i >= r->n || r->cp[i] != (unsigned char)*lit)
			return 0;
	return 1;
}

static int url_stop(int32_t c)
{
	if (c < 0x80)
		return c <= ' ' || c == 0x7f || c == '"' || c == '<' ||
		       c == '>';
	int k = unicode_class(c);
	return k == C_SPACE || k == C_BREAK || (c >= 0x80 && c < 0xA0);
}

/* If a URL starts at i, the index just past it, else 0. A URL runs to
 * whitespace, less the sentence punctuation it is usually followed by
 * (and a closing parenthesis unless it opened one itself). */
static size_t url_end(const run *r, size_t i)
{
	size_t p;
	if (match_lit(r, i, "https://"))
		p = i + 8;
	else if (match_lit(r, i, "http://"))
		p = i + 7;
	else if (match_lit(r, i, "www."))
		p = i + 4;
	else
		return 0;
	size_t j = p;
	int paren = 0;
	while (j < r->n && !url_stop(r->cp[j]))
		paren |= r->cp[j++] == '(';
	while (j > p) {
		int32_t c = r->cp[j - 1];
		int k = cls(c);
		if (k == C_NUMSEP || k == C_CLAUSE || k == C_APOS ||
		    c == ']' || c == '}' || (c == ')' && !paren))
			j--;
		else
			break;
	}
	return j > p ? j : 0;
}

typedef struct word {
	size_t end;		/* index past the token */
	size_t len;		/* bytes, at tok.data + NOT_LEN */
	size_t ncp;		/* codepoints */
	int kind;
} word;

/*
 * Scans the word or number starting at i into tok, after the `len` bytes
 * already there (a currency sign). Letters, digits and marks run on;
 * an apostrophe stays between two letters ("don't", "l'homme"); '.' or ','
 * between digits of a number stays ("4.5", "1,000"), and a number may end
 * in '%'. A number with such a separator stops at a letter ("4.5stars"),
 * and with number_only set any letter ends it ("$20k"). Format characters
 * inside a word (soft hyphen, ZWNJ) are dropped rather than split on.
 */
static void scan_word(const run *r, size_t i, int number_only, word *w)
{
	char *out = r->tk->tok.data + NOT_LEN;
	const int32_t *cp = r->cp;
	size_t n = r->n, len = w->len, ncp = w->ncp;
	int last = C_SEP, letters = 0, seps = 0;

	while (i < n) {
		int32_t c = cp[i];
		int k = cls(c);
		if (k == C_LETTER) {
			if (number_only || seps)
				break;
			letters = 1;
		} else if (k == C_DIGIT) {
			/* taken */
		} else if (k == C_MARK) {
			len += put_cp(out + len, c);
			ncp++;
			i++;
			continue;	/* marks belong to the last base */
		} else if (k == C_APOS) {
			if (last != C_LETTER || i + 1 >= n ||
			    cls(cp[i + 1]) != C_LETTER)
				break;
		} else if (k == C_NUMSEP) {
			if (letters || last != C_DIGIT || i + 1 >= n ||
			    cls(cp[i + 1]) != C_DIGIT)
				break;
			seps = 1;
		} else if (k == C_PERCENT) {
			if (!letters && last == C_DIGIT) {
				out[len++] = '%';
				ncp++;
				i++;
			}
			break;
		} else if (k == C_FORMAT) {
			int nk = i + 1 < n ? cls(cp[i + 1]) : C_SEP;
			if (nk != C_LETTER && nk != C_DIGIT && nk != C_MARK)
				break;
			i++;
			continue;
		} else {
			break;
		}
		len += put_cp(out + len, c);
		ncp++;
		last = k;
		i++;
	}
	out[len] = '\0';
	w->end = i;
	w->len = len;
	w->ncp = ncp;
	w->kind = letters ? K_WORD : K_NUM;
}

static int is_negation(const rl_tokenizer *tk, const char *s, size_t len)
{
	if (len >= 3 && !memcmp(s + len - 3, "n't", 3))
		return 1;
	return rl_strmap_get(tk->lex.negations, s, len) >= 0;
}

/* The facts about word s[0..len): W_* flags, and its stem (itself if not
 * stemmed), NUL-terminated. Words and ideographs share the cache without
 * clashing, as a word never holds an ideograph. */
static int word_facts(rl_tokenizer *tk, const char *s, size_t len,
		      int may_stem, int *flags, const char **stem,
		      size_t *stem_len)
{
	int cacheable = len <= STEM_MAX_BYTES;
	int64_t v = cacheable ? rl_strmap_get(tk->cache, s, len) : -1;
	if (v >= 0) {
		*flags = (int)(v & ((1 << W_SHIFT) - 1));
		*stem = tk->stems.data + (v >> W_SHIFT);
		*stem_len = strlen(*stem);
		return RL_OK;
	}
	/* Negation first, so a language may list "no" as both. */
	int f = 0;
	if (tk->negation && is_negation(tk, s, len))
		f = W_NEG;
	else if (tk->stopwords &&
		 rl_strmap_get(tk->lex.stopwords, s, len) >= 0)
		f = W_STOP;
	const char *st = s;
	size_t sl = len;
	if (!f && may_stem && cacheable && tk->stem && tk->lex.stemmer) {
		st = (const char *)sb_stemmer_stem(tk->lex.stemmer,
						   (const sb_symbol *)s,
						   (int)len);
		if (!st)
			return RL_ENOMEM;
		sl = (size_t)sb_stemmer_length(tk->lex.stemmer);
	}
	*flags = f;
	if (!cacheable) {
		*stem = s;
		*stem_len = len;
		return RL_OK;
	}
	if (rl_strmap_size(tk->cache) >= CACHE_MAX_WORDS ||
	    tk->stems.len >= CACHE_MAX_BYTES) {
		rl_strmap *fresh;
		if (rl_strmap_new(&fresh) != RL_OK)
			return RL_ENOMEM;
		rl_strmap_free(tk->cache);
		tk->cache = fresh;
		tk->stems.len = 0;
	}
	size_t off = tk->stems.len;
	if (rl_buf_append(&tk->stems, st, sl) != RL_OK ||
	    rl_buf_putc(&tk->stems, '\0') != RL_OK ||
	    rl_strmap_put(tk->cache, s, len,
			  (int64_t)off << W_SHIFT | f) != RL_OK)
		return RL_ENOMEM;
	*stem = tk->stems.data + off;
	*stem_len = sl;
	return RL_OK;
}

/* Passes the word in tok through negation, stop words, min_len and
 * stemming, then on to the caller. */
static int emit_word(run *r, const word *w)
{
	rl_tokenizer *tk = r->tk;
	char *s = tk->tok.data + NOT_LEN;
	const char *st;
	size_t sl;
	int flags;
	int rc = word_facts(tk, s, w->len, w->kind == K_WORD, &flags, &st,
			    &sl);
	if (rc != RL_OK)
		return rc;
	if (flags & W_NEG) {
		r->fn(r->ctx, s, w->len);
		r->scope = 1;
		return RL_OK;
	}
	if ((flags & W_STOP) || (w->kind == K_WORD && w->ncp < tk->min_len))
		return RL_OK;
	if (st != s) {
		/* A stem may in principle be longer than its word. */
		if (sl > w->len &&
		    rl_buf_reserve(&tk->tok, NOT_LEN + sl + 1) != RL_OK)
			return RL_ENOMEM;
		s = tk->tok.data + NOT_LEN;
		memcpy(s, st, sl + 1);
	}
	if (r->scope && tk->negation == 2) {
		r->fn(r->ctx, s, sl);
		if (rl_buf_append(&tk->marked, NOT_PREFIX, NOT_LEN) != RL_OK ||
		    rl_buf_append(&tk->marked, s, sl) != RL_OK ||
		    rl_buf_putc(&tk->marked, '\0') != RL_OK)
			return RL_ENOMEM;
	} else if (r->scope) {
		memcpy(s - NOT_LEN, NOT_PREFIX, NOT_LEN);
		r->fn(r->ctx, s - NOT_LEN, sl + NOT_LEN);
	} else {
		r->fn(r->ctx, s, sl);
	}
	return RL_OK;
}

/* Closes a negation scope: with negation 2, its marked words follow. */
static void close_scope(run *r)
{
	rl_buf *m = &r->tk->marked;
	for (size_t i = 0; i < m->len;) {
		size_t len = strlen(m->data + i);
		r->fn(r->ctx, m->data + i, len);
		i += len + 1;
	}
	m->len = 0;
	r->scope = 0;
}

static void emit_raw(run *r, size_t len)
{
	r->fn(r->ctx, r->tk->tok.data + NOT_LEN, len);
}

/* Cuts the normalised text into tokens and hands each on. Clause
 * punctuation (and line breaks, which end a title or a list item) close
 * a negation scope; other punctuation and spaces only separate. */
static int segment(run *r)
{
	const int32_t *cp = r->cp;
	size_t n = r->n, i = 0, j;
	int rc;

	while (i < n) {
		int32_t c = cp[i];
		int k = cls(c);
		word w = { 0 };
		switch (k) {
		case C_LETTER:
			if ((c == 'h' || c == 'w') && (j = url_end(r, i))) {
				r->fn(r->ctx, "<url>", 5);
				i = j;
				break;
			}
			/* fall through */
		case C_DIGIT:
			scan_word(r, i, 0, &w);
			i = w.end;
			if (w.kind == K_WORD) {
				if ((rc = emit_word(r, &w)) != RL_OK)
					return rc;
			} else {
				emit_raw(r, w.len);
			}
			break;
		case C_CURRENCY:
			if (i + 1 >= n || cls(cp[i + 1]) != C_DIGIT) {
				i++;
				break;
			}
			w.len = put_cp(r->tk->tok.data + NOT_LEN, c);
			w.ncp = 1;
			scan_word(r, i + 1, 1, &w);
			i = w.end;
			emit_raw(r, w.len);
			break;
		case C_IDEO:
			/* UAX #29 makes each ideograph a word: without a
			 * dictionary, characters are the honest unit. */
			w.len = put_cp(r->tk->tok.data + NOT_LEN, c);
			w.ncp = 1;
			for (i++; i < n && cls(cp[i]) == C_MARK; i++) {
				w.len += put_cp(r->tk->tok.data + NOT_LEN +
						w.len, cp[i]);
				w.ncp++;
			}
			r->tk->tok.data[NOT_LEN + w.len] = '\0';
			w.kind = K_IDEO;
			if ((rc = emit_word(r, &w)) != RL_OK)
				return rc;
			break;
		case C_SYMBOL: {
			/* One grapheme cluster: keeps ZWJ sequences, flags,
			 * skin tones and variation selectors together. */
			utf8proc_int32_t state = 0;
			char *out = r->tk->tok.data + NOT_LEN;
			w.len = put_cp(out, c);
			for (i++; i < n && !utf8proc_grapheme_break_stateful(
					       cp[i - 1], cp[i], &state);
			     i++)
				w.len += put_cp(out + w.len, cp[i]);
			out[w.len] = '\0';
			emit_raw(r, w.len);
			break;
		}
		case C_NUMSEP:
		case C_CLAUSE:
		case C_BREAK:
			close_scope(r);
			i++;
			break;
		default:
			i++;
			break;
		}
	}
	close_scope(r);
	return RL_OK;
}

int rl_tokenize_text(rl_tokenizer *tk, const char *text, size_t len,
		     rl_token_fn fn, void *ctx)
{
	int rc;
	if (!tk || !fn || (!text && len))
		return RL_EINVAL;
	if (rl_utf8_check(text, len) != len)
		return RL_EINPUT;
	if ((rc = normalize_text(&tk->text, text, len)) != RL_OK)
		return rc;
	/* A token is a subsequence of the text's codepoints, each at most 4
	 * bytes: reserving that once spares a check per character. */
	tk->tok.len = 0;
	if (rl_buf_reserve(&tk->tok, NOT_LEN + tk->text.len * 4 + 8) != RL_OK)
		return RL_ENOMEM;
	tk->marked.len = 0;	/* a failed text may have left a scope */
	run r = { tk, tk->text.v, tk->text.len, fn, ctx, 0 };
	return segment(&r);
}

/* ---- words, for word lists ----------------------------------------- */

static int is_apostrophe(int32_t c)
{
	return c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02BC;
}

/* A word character of the original text: what the tokenizer's words are
 * made of (letters, marks, digits), format characters (soft hyphens,
 * joiners), which the normalised word drops, and 0 for the rest; 2 for an
 * ideograph, a word by itself. */
static int word_char(int32_t c)
{
	int k = cls(c);
	if (k == C_IDEO)
		return 2;
	return k == C_LETTER || k == C_DIGIT || k == C_MARK ||
	       k == C_FORMAT;
}

/* Normalises the word s[0..n) into b->out, without its format
 * characters. */
static int word_norm(rl_wordbuf *b, const char *s, size_t n)
{
	cpbuf cb = { b->v, 0, b->cap };
	int rc = RL_OK;
	b->out.len = 0;
	if ((rc = normalize_text(&cb, s, n)) != RL_OK)
		goto out;
	if ((rc = rl_buf_reserve(&b->out, cb.len * 4 + 1)) != RL_OK)
		goto out;
	for (size_t i = 0; i < cb.len; i++)
		if (cls(cb.v[i]) != C_FORMAT)
			b->out.len += put_cp(b->out.data + b->out.len,
					     cb.v[i]);
	b->out.data[b->out.len] = '\0';
out:
	b->v = cb.v;
	b->cap = cb.cap;
	return rc;
}

/* The codepoint at s[i], and its length in *n; s is valid UTF-8. */
static int32_t cp_at(const char *s, size_t len, size_t i, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[i] < 0x80) {
		*n = 1;
		return p[i];
	}
	utf8proc_int32_t c;
	utf8proc_ssize_t r = utf8proc_iterate(p + i,
					      (utf8proc_ssize_t)(len - i), &c);
	*n = r > 0 ? (size_t)r : 1;
	return r > 0 ? c : 0xFFFD;
}

int rl_words_each(const char *text, size_t len, rl_wordbuf *b,
		  rl_word_fn fn, void *ctx)
{
	if (rl_utf8_check(text, len) != len)
		return RL_EINPUT;
	size_t i = 0;
	while (i < len) {
		size_t n, start = i;
		int32_t c = cp_at(text, len, i, &n);
		int k = word_char(c);
		if (!k || cls(c) == C_FORMAT) {
			i += n;
			continue;
		}
		i += n;
		/* A run of word characters; an apostrophe joins two. */
		while (k == 1 && i < len) {
			size_t m;
			int32_t d = cp_at(text, len, i, &m);
			if (word_char(d) == 1) {
				i += m;
				continue;
			}
			if (is_apostrophe(d) && i + m < len) {
				size_t m2;
				int32_t e = cp_at(text, len, i + m, &m2);
				if (word_char(e) == 1) {
					i += m + m2;
					continue;
				}
			}
			break;
		}
		int rc = word_norm(b, text + start, i - start);
		if (rc != RL_OK)
			return rc;
		if (b->out.len == 0)
			continue;
		if ((rc = fn(ctx, b->out.data, b->out.len, start, i)) != 0)
			return rc;
	}
	return RL_OK;
}

void rl_wordbuf_free(rl_wordbuf *b)
{
	if (!b)
		return;
	free(b->v);
	rl_buf_free(&b->out);
	memset(b, 0, sizeof *b);
}

/* ---- the handle ----------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static void make_fingerprint(rl_tokenizer *tk, const char *language)
{
	char opts[128];
	uint64_t h = RL_FNV_OFFSET;
	const char *uv = utf8proc_unicode_version();

	h = rl_fnv1a64(h, TOKENIZER_VERSION, sizeof TOKENIZER_VERSION);
	/* A new Unicode version may change normalisation and categories. */
	h = rl_fnv1a64(h, uv, strlen(uv) + 1);
	h = rl_fnv1a64(h, language, strlen(language) + 1);
	int n = snprintf(opts, sizeof opts, "stopwords=%d stem=%d "
			 "negation=%d min_len=%zu", tk->stopwords, tk->stem,
			 tk->negation, tk->min_len);
	h = rl_fnv1a64(h, opts, (size_t)n);
	h = rl_fnv1a64(h, &tk->lex.hash, sizeof tk->lex.hash);
	snprintf(tk->fingerprint, sizeof tk->fingerprint, "%016llx",
		 (unsigned long long)h);
}

/* A tokenizer with o's settings around a lexicon: parsed from files
 * (origin naming them in messages), or, with proto, borrowing proto's
 * word sets. */
static int make(const rl_tokenize_opts *o, const rl_lexicon_files *files,
		const char *origin, const rl_tokenizer *proto,
		rl_tokenizer **out, char *err, size_t errlen)
{
	rl_tokenizer *tk = calloc(1, sizeof *tk);
	int rc = RL_ENOMEM;
	if (!tk) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	if (proto) {
		tk->stopwords = proto->stopwords;
		tk->stem = proto->stem;
		tk->negation = proto->negation;
		tk->min_len = proto->min_len;
		tk->lex = proto->lex;
		tk->lex.stemmer = NULL;
		tk->borrowed = 1;
		memcpy(tk->fingerprint, proto->fingerprint,
		       sizeof tk->fingerprint);
		if (*tk->lex.stemmer_name &&
		    !(tk->lex.stemmer = sb_stemmer_new(tk->lex.stemmer_name,
							"UTF_8"))) {
			set_err(err, errlen, "out of memory");
			goto out;
		}
	} else {
		tk->stopwords = o->stopwords != 0;
		tk->stem = o->stem != 0;
		tk->negation = rl_negation_mode(o->negation);
		tk->min_len = o->min_len > 1 ? (size_t)o->min_len : 1;
		if ((rc = rl_lexicon_parse(&tk->lex, files, origin, err,
					   errlen)) != RL_OK)
			goto out;
		make_fingerprint(tk, o->language);
	}
	if ((rc = rl_strmap_new(&tk->cache)) != RL_OK) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	*out = tk;
	tk = NULL;
out:
	rl_tokenizer_free(tk);
	return rc;
}

int rl_tokenizer_new(const rl_tokenize_opts *o, rl_tokenizer **out,
		     char *err, size_t errlen)
{
	rl_tokenize_opts defaults;
	rl_lexicon_files files;
	rl_buf origin = { 0 };
	int rc;

	if (!out) {
		set_err(err, errlen, "no place for the tokenizer");
		return RL_EINVAL;
	}
	*out = NULL;
	if (!o) {
		rl_tokenize_opts_init(&defaults);
		o = &defaults;
	}
	if ((rc = rl_lexicon_read(&files, o->lexicon_dir, o->language, err,
				  errlen)) != RL_OK)
		return rc;
	if ((rc = rl_buf_printf(&origin, "%s/%s/", o->lexicon_dir,
				o->language)) != RL_OK)
		set_err(err, errlen, "out of memory");
	else
		rc = make(o, &files, origin.data, NULL, out, err, errlen);
	rl_lexicon_files_free(&files);
	rl_buf_free(&origin);
	return rc;
}

int rl_tokenizer_new_files(const rl_tokenize_opts *o,
			   const rl_lexicon_files *files, const char *origin,
			   rl_tokenizer **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!o->language || !*o->language) {
		set_err(err, errlen, "no language given");
		return RL_EINVAL;
	}
	return make(o, files, origin, NULL, out, err, errlen);
}

int rl_tokenizer_clone(const rl_tokenizer *proto, rl_tokenizer **out)
{
	*out = NULL;
	return make(NULL, NULL, NULL, proto, out, NULL, 0);
}

const char *rl_tokenizer_version(void)
{
	return TOKENIZER_VERSION;
}

void rl_tokenizer_free(rl_tokenizer *tk)
{
	if (!tk)
		return;
	if (tk->borrowed)
		sb_stemmer_delete(tk->lex.stemmer);
	else
		rl_lexicon_free(&tk->lex);
	free(tk->text.v);
	rl_buf_free(&tk->tok);
	rl_strmap_free(tk->cache);
	rl_buf_free(&tk->stems);
	rl_buf_free(&tk->marked);
	free(tk);
}

const char *rl_tokenizer_fingerprint(const rl_tokenizer *tk)
{
	return tk ? tk->fingerprint : "";
}
