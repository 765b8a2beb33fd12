/*
 * rules.c - keyword rules: parsing a rules file and matching its PCRE2
 * patterns. The only user of PCRE2.
 *
 * A rules file has one rule a line, `label<TAB>pattern[<TAB>weight]`;
 * `!label` votes against the label; `#` starts a comment line; blank lines
 * are ignored. Patterns are compiled once, UTF-8 with Unicode properties,
 * case-insensitive unless the pattern says otherwise ((?-i)), and JIT-
 * compiled where the platform allows. Every match runs under a match
 * limit, so a catastrophic pattern fails with an error instead of hanging.
 *
 * PCRE2's limits count backtracking per start position, so a pattern that
 * does a lot of plain work at every position of a long review (a{1000}
 * repeated, against a review of a million a's) stays under them and runs
 * for minutes. Long reviews are therefore matched by a second compile of
 * the pattern with automatic callouts, which count every step of the
 * whole match against a budget: deterministic, and only paid where the
 * risk is (short reviews cannot multiply the work much).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "internal.h"
#include "rules.h"

#define MATCH_LIMIT 1000000u	/* backtracking steps per match */
#define DEPTH_LIMIT 10000u	/* for the interpreter, if JIT is absent */
#define LONG_TEXT 16384u	/* bytes from which the budget applies */
/* Work per long review: a step of the pattern costs CALL_COST (a callout
 * is about a hundred times dearer than a character compared), and the
 * characters the match moved over between two steps one each; about a
 * second of CPU. */
#define CALL_COST 64u
#define WORK_BUDGET 1000000000u

struct rl_matcher {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
	char *pattern;		/* for the counted compile, made lazily */
	pcre2_code *counted;	/* with PCRE2_AUTO_CALLOUT */
	pcre2_match_data *cmd;
	pcre2_match_context *cmc;
	pcre2_jit_stack *cstack;
	uint64_t work;		/* of the current counted match */
	size_t pos;		/* where its last step was */
};

void rl_rule_defs_free(rl_rule_def *defs, size_t n)
{
	for (size_t i = 0; defs && i < n; i++) {
		free(defs[i].label);
		free(defs[i].pattern);
	}
	free(defs);
}

static int push_def(rl_rule_def **defs, size_t *n, size_t *cap,
		    const rl_rule_def *d)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		rl_rule_def *p = realloc(*defs, c * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		*defs = p;
		*cap = c;
	}
	(*defs)[(*n)++] = *d;
	return RL_OK;
}

/* Parses one non-comment line into d; RL_EINPUT with "COL: message"
 * context in err. */
static int parse_line(char *s, size_t len, int line, rl_rule_def *d,
		      size_t *col, char *err, size_t errlen)
{
	char *tab1 = memchr(s, '\t', len);
	memset(d, 0, sizeof *d);
	d->line = line;
	d->weight = 1.0;
	*col = 1;
	if (!tab1) {
		snprintf(err, errlen, "expected label<TAB>pattern[<TAB>weight]");
		return RL_EINPUT;
	}
	char *label = s;
	size_t label_len = (size_t)(tab1 - s);
	if (label_len && label[0] == '!') {
		d->negate = 1;
		label++;
		label_len--;
	}
	if (label_len == 0) {
		snprintf(err, errlen, "empty label");
		return RL_EINPUT;
	}
	char *pat = tab1 + 1;
	char *end = s + len;
	char *tab2 = memchr(pat, '\t', (size_t)(end - pat));
	size_t pat_len = (size_t)((tab2 ? tab2 : end) - pat);
	if (pat_len == 0) {
		*col = (size_t)(pat - s) + 1;
		snprintf(err, errlen, "empty pattern");
		return RL_EINPUT;
	}
	if (tab2) {
		char *w = tab2 + 1;
		char *tab3 = memchr(w, '\t', (size_t)(end - w));
		*col = (size_t)(w - s) + 1;
		if (tab3) {
			*col = (size_t)(tab3 - s) + 2;
			snprintf(err, errlen, "unexpected fourth column; a rule "
				 "is label<TAB>pattern[<TAB>weight]");
			return RL_EINPUT;
		}
		char tmp[64], *stop;
		size_t wl = (size_t)(end - w);
		if (wl == 0 || wl >= sizeof tmp) {
			snprintf(err, errlen, "bad weight");
			return RL_EINPUT;
		}
		memcpy(tmp, w, wl);
		tmp[wl] = '\0';
		errno = 0;
		d->weight = strtod(tmp, &stop);
		if (errno || *stop || !isfinite(d->weight) ||
		    d->weight <= 0) {
			snprintf(err, errlen, "bad weight '%s': a positive "
				 "number is needed", tmp);
			return RL_EINPUT;
		}
	}
	d->label = strndup(label, label_len);
	d->pattern = strndup(pat, pat_len);
	if (!d->label || !d->pattern) {
		free(d->label);
		free(d->pattern);
		return RL_ENOMEM;
	}
	/* Where the pattern starts, for PCRE2's error offsets. */
	*col = (size_t)(pat - s) + 1;
	return RL_OK;
}

int rl_rules_parse(const char *name, FILE *in, rl_rule_def **defs,
		   size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t got;
	int lineno = 0, rc = RL_OK;
	char msg[384];
	*defs = NULL;
	*n = 0;
	while ((got = getline(&line, &lcap, in)) >= 0) {
		lineno++;
		size_t len = (size_t)got;
		if (len && line[len - 1] == '\n')
			len--;
		if (len && line[len - 1] == '\r')
			len--;
		if (memchr(line, '\0', len)) {
			snprintf(err, errlen, "%s:%d: NUL byte", name, lineno);
			rc = RL_EINPUT;
			goto out;
		}
		size_t bad = rl_utf8_check(line, len);
		if (bad < len) {
			snprintf(err, errlen, "%s:%d:%zu: invalid UTF-8", name,
				 lineno, bad + 1);
			rc = RL_EINPUT;
			goto out;
		}
		size_t lead = 0;
		while (lead < len && (line[lead] == ' ' || line[lead] == '\t'))
			lead++;
		if (lead == len || line[lead] == '#')
			continue;
		line[len] = '\0';
		rl_rule_def d;
		size_t col;
		rc = parse_line(line, len, lineno, &d, &col, msg, sizeof msg);
		if (rc == RL_EINPUT) {
			snprintf(err, errlen, "%s:%d:%zu: %s", name, lineno, col,
				 msg);
			goto out;
		}
		if (rc != RL_OK)
			goto out;
		/* Compile now, so a bad pattern is reported at its place. */
		rl_matcher *m = NULL;
		size_t off = 0;
		rc = rl_matcher_new(d.pattern, &m, msg, sizeof msg, &off);
		rl_matcher_free(m);
		if (rc != RL_OK) {
			if (rc == RL_EINPUT)
				snprintf(err, errlen, "%s:%d:%zu: %s", name,
					 lineno, col + off, msg);
			free(d.label);
			free(d.pattern);
			goto out;
		}
		if ((rc = push_def(defs, n, &cap, &d)) != RL_OK) {
			free(d.label);
			free(d.pattern);
			goto out;
		}
	}
	if (ferror(in)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		rc = RL_EIO;
	}
out:
	free(line);
	if (rc != RL_OK) {
		rl_rule_defs_free(*defs, *n);
		*defs = NULL;
		*n = 0;
	}
	return rc;
}

/* A match context with the limits, and the JIT stack if `code` could be
 * JIT-compiled (*stack, which the caller frees); NULL if out of memory. */
static pcre2_match_context *limited_context(pcre2_code *code,
					    pcre2_jit_stack **stack)
{
	int jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	if (!mc)
		return NULL;
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);
	if (jit) {
		*stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
		if (!*stack) {
			pcre2_match_context_free(mc);
			return NULL;
		}
		pcre2_jit_stack_assign(mc, NULL, *stack);
	}
	return mc;
}

/* Counts a step of the counted match, and the text it moved over since
 * the last (a repeat such as a{1000} is one step); a negative return ends
 * the match with that code. */
static int count_step(pcre2_callout_block *cb, void *ctx)
{
	rl_matcher *m = ctx;
	size_t at = cb->current_position;
	m->work += CALL_COST + (at > m->pos ? at - m->pos : m->pos - at);
	m->pos = at;
	return m->work > WORK_BUDGET ? PCRE2_ERROR_CALLOUT : 0;
}

/* Makes the counted compile of m's pattern (once). */
static int counted_new(rl_matcher *m)
{
	int code;
	PCRE2_SIZE off;
	m->counted = pcre2_compile((PCRE2_SPTR)m->pattern,
				   PCRE2_ZERO_TERMINATED, PCRE2_UTF |
				   PCRE2_UCP | PCRE2_CASELESS |
				   PCRE2_AUTO_CALLOUT, &code, &off, NULL);
	/* The pattern compiled once already: only memory can fail. */
	if (!m->counted)
		return RL_ENOMEM;
	if (!(m->cmc = limited_context(m->counted, &m->cstack)))
		return RL_ENOMEM;
	pcre2_set_callout(m->cmc, count_step, m);
	if (!(m->cmd = pcre2_match_data_create_from_pattern(m->counted,
							    NULL)))
		return RL_ENOMEM;
	return RL_OK;
}

int rl_matcher_new(const char *pattern, rl_matcher **out, char *err,
		   size_t errlen, size_t *offset)
{
	int code;
	PCRE2_SIZE off = 0;
	*out = NULL;
	*offset = 0;
	rl_matcher *m = calloc(1, sizeof *m);
	if (!m)
		return RL_ENOMEM;
	m->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &code,
				&off, NULL);
	if (!m->code) {
		PCRE2_UCHAR buf[256];
		pcre2_get_error_message(code, buf, sizeof buf);
		snprintf(err, errlen, "%s", (char *)buf);
		*offset = off;
		rl_matcher_free(m);
		return code == PCRE2_ERROR_NOMEMORY ? RL_ENOMEM : RL_EINPUT;
	}
	if (!(m->pattern = strdup(pattern)))
		goto nomem;
	/* JIT is an optimisation: where it is unavailable the interpreter
	 * runs, under the depth limit as well. */
	if (!(m->mc = limited_context(m->code, &m->stack)) ||
	    !(m->md = pcre2_match_data_create_from_pattern(m->code, NULL)))
		goto nomem;
	*out = m;
	return RL_OK;
nomem:
	rl_matcher_free(m);
	return RL_ENOMEM;
}

void rl_matcher_free(rl_matcher *m)
{
	if (!m)
		return;
	pcre2_jit_stack_free(m->stack);
	pcre2_match_context_free(m->mc);
	pcre2_match_data_free(m->md);
	pcre2_code_free(m->code);
	pcre2_jit_stack_free(m->cstack);
	pcre2_match_context_free(m->cmc);
	pcre2_match_data_free(m->cmd);
	pcre2_code_free(m->counted);
	free(m->pattern);
	free(m);
}

int rl_matcher_find(rl_matcher *m, const char *text, size_t len,
		    size_t *start, size_t *end, char *err, size_t errlen)
{
	int counted = len >= LONG_TEXT;
	if (counted && !m->counted && counted_new(m) != RL_OK)
		return RL_ENOMEM;
	m->work = 0;
	m->pos = 0;
	pcre2_match_data *md = counted ? m->cmd : m->md;
	int rc = pcre2_match(counted ? m->counted : m->code,
			     (PCRE2_SPTR)text, len, 0, 0, md,
			     counted ? m->cmc : m->mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_CALLOUT) {
		snprintf(err, errlen, "the pattern needs too much work on a "
			 "review of %zu bytes (it scans the text again from "
			 "every position; make it more specific)", len);
		return RL_EINPUT;
	}
	if (rc < 0) {
		PCRE2_UCHAR buf[256];
		pcre2_get_error_message(rc, buf, sizeof buf);
		snprintf(err, errlen, "%s%s", (char *)buf,
			 rc == PCRE2_ERROR_MATCHLIMIT ||
			 rc == PCRE2_ERROR_DEPTHLIMIT ||
			 rc == PCRE2_ERROR_JIT_STACKLIMIT
			 ? " (the pattern backtracks catastrophically; "
			   "make it more specific)" : "");
		return rc == PCRE2_ERROR_NOMEMORY ? RL_ENOMEM : RL_EINPUT;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	*start = ov[0];
	*end = ov[1];
	return 1;
}
