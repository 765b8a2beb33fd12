/*
 * lexicon.h - a language's word lists for the tokenizer, read from
 * <lexicon_dir>/<language>/: stop words, negation words and the name of
 * its Snowball stemmer. Only tokenize.c uses this.
 */
#ifndef RL_LEXICON_H
#define RL_LEXICON_H

#include <stdint.h>

#include "internal.h"

struct sb_stemmer;

typedef struct rl_lexicon {
	rl_strmap *stopwords;	/* normalised word -> 1 */
	rl_strmap *negations;	/* normalised word -> 1; empty if no file */
	struct sb_stemmer *stemmer;	/* NULL if the language has none */
	char stemmer_name[64];	/* "" if none */
	uint64_t hash;		/* FNV-1a 64 of every file read, by name */
} rl_lexicon;

/* FNV-1a 64: folds p[0..n) into h. Start from RL_FNV_OFFSET. */
#define RL_FNV_OFFSET 14695981039346656037ull
uint64_t rl_fnv1a64(uint64_t h, const void *p, size_t n);

/* Loads <dir>/<language>/: stopwords.txt (required), negations.txt and
 * stemmer (both optional). Word files hold one entry a line; '#' starts a
 * comment; blank lines are ignored; entries are normalised as tokens are.
 * On failure writes a message naming the file into err (errlen bytes,
 * err may be NULL) and returns RL_EIO (unreadable file), RL_EINPUT (bad
 * content), RL_EINVAL (bad language name) or RL_ENOMEM; lx is then left
 * empty. Free with rl_lexicon_free() either way. */
int rl_lexicon_load(rl_lexicon *lx, const char *dir, const char *language,
		    char *err, size_t errlen);

/* Frees what the lexicon holds and empties it; safe on an empty one. */
void rl_lexicon_free(rl_lexicon *lx);

/* Appends the normalised form of UTF-8 s[0..len) to out: NFKC, case
 * folding, typographic apostrophes made ASCII, the same as for tokens.
 * RL_EINPUT if s is not valid UTF-8. Lives in tokenize.c, the only user
 * of utf8proc. */
int rl_normalize(const char *s, size_t len, rl_buf *out);

#endif /* RL_LEXICON_H */
