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
 * patterns. The caller frees *defs with rl_rule_defs_free. */
int rl_rules_parse(const char *name, FILE *in, rl_rule_def **defs,
		   size_t *n, char *err, size_t errlen);
void rl_rule_defs_free(rl_rule_def *defs, size_t n);

/* A compiled pattern with its match data: one per thread. */
typedef struct rl_matcher rl_matcher;

/* RL_EINPUT with PCRE2's message in err and the byte offset of the
 * error in *offset for a bad pattern. */
int rl_matcher_new(const char *pattern, rl_matcher **out, char *err,
		   size_t errlen, size_t *offset);
void rl_matcher_free(rl_matcher *m);

/* 1 with the first match's byte range, 0 for no match, or a negative
 * status with a message in err (e.g. the match limit was hit). */
int rl_matcher_find(rl_matcher *m, const char *text, size_t len,
		    size_t *start, size_t *end, char *err, size_t errlen);

#endif /* RL_RULES_H */
