/*
 * wordlist.h - word lists for rules (wordlist.c): files of words and
 * phrases, one a line, matched as whole words after the tokenizer's
 * normalisation. No SQLite and no PCRE2 here.
 */
#ifndef RL_WORDLIST_H
#define RL_WORDLIST_H

#include "internal.h"

typedef struct rl_wordlist rl_wordlist;

/* Reads the word list at path: UTF-8, one word or phrase a line, blank
 * lines and lines starting with '#' (after blanks) skipped. Entries are
 * split into words and normalised by rl_words_each, so entries that
 * differ only by case, NFKC form or punctuation between words are one.
 * RL_EINPUT with "PATH:LINE[:COLUMN]: message" in err for a bad entry,
 * RL_EIO with the reason for a file that cannot be read, RL_ENOMEM. The
 * caller frees *out with rl_wordlist_free. */
int rl_wordlist_load(const char *path, rl_wordlist **out, char *err,
		     size_t errlen);

/* The same from data[0..len) in memory; name stands for the file in
 * messages. */
int rl_wordlist_parse(const char *name, const char *data, size_t len,
		      rl_wordlist **out, char *err, size_t errlen);
void rl_wordlist_free(rl_wordlist *w);

/* Distinct entries, and lines that gave an entry already there. */
size_t rl_wordlist_size(const rl_wordlist *w);
size_t rl_wordlist_duplicates(const rl_wordlist *w);

/* Finds the first entry in text[0..len): the one starting at the
 * earliest word, the longest of those; 1 with its byte range, 0 for
 * none, RL_EINPUT for invalid UTF-8, RL_ENOMEM. The list keeps scratch
 * space for this, so a list is used by one thread at a time. */
int rl_wordlist_find(rl_wordlist *w, const char *text, size_t len,
		     size_t *start, size_t *end);

/* Writes the list's distinct entries, normalised, one a line (words
 * separated by a space), in the order first met, to out: a list that
 * rl_wordlist_parse reads back as the same list. */
int rl_wordlist_dump(const rl_wordlist *w, rl_buf *out);

#endif /* RL_WORDLIST_H */
