/*
 * rules.h - parsing rules files and matching rule patterns (rules.c, the
 * only user of PCRE2). No SQLite here: stage_rules.c stores the results.
 */
#ifndef RL_RULES_H
#define RL_RULES_H

#include <stdio.h>

#include "internal.h"

/* One parsed rule. */
typedef struct rl_rule_def {
	int line;		/* in the rules file */
	char *label;		/* without the '!' */
	int negate;		/* 1 for `!label`: a vote against */
	char *pattern;
	double weight;		/* > 0; 1 unless given */
} rl_rule_def;

/* Parses and compiles a whole rules file. On failure returns RL_EINPUT
 * (or RL_EIO, RL_ENOMEM) with "NAME:LINE:COLUMN: message" in err and
 * no rules; the column comes from PCRE2's error offset for bad
 * patterns. Word lists are read relative to the directory of name.
 * The caller frees *defs with rl_rule_defs_free. */
int rl_rules_parse(const char *name, FILE *in, rl_rule_def **defs,
		   size_t *n, char *err, size_t errlen);
void rl_rule_defs_free(rl_rule_def *defs, size_t n);

/* A compiled rule pattern with its match data: one per thread. The
 * pattern part of a rule is either a PCRE2 pattern, or, when it starts
 * with '?' (which no PCRE2 pattern can start with), an expression over
 * regexes, word lists and the review's metadata:
 *
 *   expr    := and { '|' and }
 *   and     := unary { '&' unary }
 *   unary   := '!' unary | '(' expr ')' | '/' regex '/' | '@' path
 *            | '{' entry { ',' entry } '}'
 *            | field op value | field '~' '/' regex '/'
 *   op      := '=' | '!=' | '<' | '<=' | '>' | '>='
 *
 * separated by any number of spaces. A comparison is numeric when both
 * sides are numbers, else it compares bytes (so ISO dates order right).
 * A condition on a field the review lacks (or has empty) is unknown, as
 * is its negation;
 * & and | follow Kleene's three-valued logic and a rule matches only
 * where its expression is true. */
typedef struct rl_matcher rl_matcher;

/* What an expression uses besides the text (0 for a PCRE2 pattern). */
enum { RL_PAT_EXPR = 1, RL_PAT_META = 2, RL_PAT_WORDS = 4 };

/* The review's metadata: n fields, key[i] = value[i], borrowed. */
typedef struct rl_meta {
	size_t n;
	const char *const *key;
	const char *const *value;
} rl_meta;

/* Compiles a rule pattern; word lists (@path) are read relative to the
 * directory of the rules file at rules_path, and refused when it is
 * NULL. RL_EINPUT with the message in err and the byte offset of the
 * error in the pattern in *offset for a bad pattern (PCRE2's message for
 * a bad regex, the word list's FILE:LINE for a bad entry); RL_EIO for a
 * word list that cannot be read (offset at its '@'). */
int rl_matcher_new_at(const char *pattern, const char *rules_path,
		      rl_matcher **out, char *err, size_t errlen,
		      size_t *offset);
/* rl_matcher_new_at with no rules file: no word lists. */
int rl_matcher_new(const char *pattern, rl_matcher **out, char *err,
		   size_t errlen, size_t *offset);
void rl_matcher_free(rl_matcher *m);
/* RL_PAT_* flags of a compiled pattern. */
int rl_matcher_needs(const rl_matcher *m);

/* RL_PAT_* flags of a pattern, from its syntax alone (no file read, no
 * regex compiled); RL_EINPUT if the expression does not parse,
 * RL_ENOMEM. */
int rl_pattern_needs(const char *pattern);

/* Writes pattern to out with each word list it names (@path, read
 * relative to rules_path's folder) written in as {entry, ...}, its
 * entries normalised: a pattern that needs no file, to carry in a model.
 * out stays NUL-terminated. Errors as rl_matcher_new_at's, in err. */
int rl_pattern_embed(const char *pattern, const char *rules_path,
		     rl_buf *out, char *err, size_t errlen);
/* The same from m, compiled from pattern: its word lists as they were
 * read then, with no file read again. */
int rl_matcher_embed(const rl_matcher *m, const char *pattern, rl_buf *out,
		     char *err, size_t errlen);

/* 1 with the first match's byte range, 0 for no match, or a negative
 * status with a message in err (e.g. the match limit was hit). meta may
 * be NULL: every metadata condition is then unknown. An expression's
 * range is that of the first regex or word list that made it true (one
 * under '!' never does); 0..0 when only metadata did. */
int rl_matcher_find_meta(rl_matcher *m, const char *text, size_t len,
			 const rl_meta *meta, size_t *start, size_t *end,
			 char *err, size_t errlen);
/* rl_matcher_find_meta for one text met by many rules: with valid
 * (NULL: as rl_matcher_find_meta) starting at 0 for a new text, the
 * first regex that reads the text has PCRE2 check that it is UTF-8 and
 * sets *valid when it is, and the next ones do not check it again (a
 * fifth of matching 20 rules against 370-byte reviews). Regexes on
 * metadata values check those as before. */
int rl_matcher_find_in(rl_matcher *m, const char *text, size_t len,
		       int *valid, const rl_meta *meta, size_t *start,
		       size_t *end, char *err, size_t errlen);
/* rl_matcher_find_meta without metadata. */
int rl_matcher_find(rl_matcher *m, const char *text, size_t len,
		    size_t *start, size_t *end, char *err, size_t errlen);

#endif /* RL_RULES_H */
