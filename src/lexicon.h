/*
 * lexicon.h - a language's word lists for the tokenizer, read from
 * <lexicon_dir>/<language>/: stop words, negation words and the name of
 * its Snowball stemmer. tokenize.c parses them; model.c keeps the files'
 * bytes, so a saved model tokenizes without the lexicon folder.
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

/* The files of a language's folder, in this order. */
enum { RL_LEX_STOPWORDS, RL_LEX_NEGATIONS, RL_LEX_STEMMER, RL_LEX_FILES };
extern const char *const rl_lexicon_file_names[RL_LEX_FILES];

/* The files' bytes as read, present[i] 0 for an absent optional one. */
typedef struct rl_lexicon_files {
	rl_buf data[RL_LEX_FILES];
	int present[RL_LEX_FILES];
} rl_lexicon_files;

/* Reads <dir>/<language>/: stopwords.txt (required), negations.txt and
 * stemmer (both optional) into f. On failure writes a message naming the
 * file into err (errlen bytes, err may be NULL) and returns RL_EIO
 * (unreadable file), RL_EINVAL (bad language name) or RL_ENOMEM; f is
 * then empty. */
int rl_lexicon_read(rl_lexicon_files *f, const char *dir,
		    const char *language, char *err, size_t errlen);
void rl_lexicon_files_free(rl_lexicon_files *f);

/* Builds the lexicon from the files' bytes. Word files hold one entry a
 * line; '#' starts a comment; blank lines are ignored; entries are
 * normalised as tokens are. Messages name a file as origin followed by
 * its name ("lexicons/en/stopwords.txt:3: not valid UTF-8"). RL_EINPUT
 * for bad content or a missing stopwords.txt, RL_ENOMEM; lx is then left
 * empty. The hash depends on the bytes only, wherever they came from. */
int rl_lexicon_parse(rl_lexicon *lx, const rl_lexicon_files *f,
		     const char *origin, char *err, size_t errlen);

/* Frees what the lexicon holds and empties it; safe on an empty one. */
void rl_lexicon_free(rl_lexicon *lx);

/* Appends the normalised form of UTF-8 s[0..len) to out: NFKC, case
 * folding, typographic apostrophes made ASCII, the same as for tokens.
 * RL_EINPUT if s is not valid UTF-8. Lives in tokenize.c, the only user
 * of utf8proc. */
int rl_normalize(const char *s, size_t len, rl_buf *out);

#endif /* RL_LEXICON_H */
