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
 *
 * A pattern part that starts with '?' is an expression instead (rules.h
 * has the grammar): a tree of regexes, word lists (wordlist.c) and
 * comparisons on the review's metadata, parsed by recursive descent into
 * an array of nodes and evaluated with short cuts in three-valued logic.
 * No PCRE2 pattern can start with '?' (a quantifier needs something to
 * repeat), so every rules file written before keeps its meaning.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "internal.h"
#include "rules.h"
#include "wordlist.h"

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
	struct expr *x;		/* an expression's, else NULL */
};

static void expr_free(struct expr *x);

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
		rc = rl_matcher_new_at(d.pattern, name, &m, msg, sizeof msg,
				       &off);
		rl_matcher_free(m);
		if (rc != RL_OK) {
			if (rc == RL_EINPUT || rc == RL_EIO)
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

/* Compiles a PCRE2 pattern (the whole of a plain rule, or one regex of
 * an expression). */
static int re_new(const char *pattern, rl_matcher **out, char *err,
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
	expr_free(m->x);
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

/* Matches a PCRE2 pattern: rl_matcher_find's contract. With valid and
 * *valid set, text is known to be UTF-8 and PCRE2 does not check it
 * again; a match that checked it and found no fault in it sets *valid. */
static int re_find(rl_matcher *m, const char *text, size_t len,
		   int *valid, size_t *start, size_t *end, char *err,
		   size_t errlen)
{
	int counted = len >= LONG_TEXT;
	if (counted && !m->counted && counted_new(m) != RL_OK)
		return RL_ENOMEM;
	m->work = 0;
	m->pos = 0;
	pcre2_match_data *md = counted ? m->cmd : m->md;
	int rc = pcre2_match(counted ? m->counted : m->code,
			     (PCRE2_SPTR)text, len, 0,
			     valid && *valid ? PCRE2_NO_UTF_CHECK : 0, md,
			     counted ? m->cmc : m->mc);
	/* PCRE2 checks the whole subject before it matches: anything but
	 * a UTF-8 error means it passed. */
	if (valid && (rc >= 0 || rc == PCRE2_ERROR_NOMATCH ||
		      rc == PCRE2_ERROR_MATCHLIMIT ||
		      rc == PCRE2_ERROR_DEPTHLIMIT ||
		      rc == PCRE2_ERROR_JIT_STACKLIMIT ||
		      rc == PCRE2_ERROR_CALLOUT))
		*valid = 1;
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

/* ---- expressions ---- */

enum { N_RE, N_WORDS, N_CMP, N_TILDE, N_NOT, N_AND, N_OR };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
/* Three-valued results: false, true, unknown. */
enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

#define MAX_DEPTH 64
/* Conditions and operators in one expression: evaluation recurses down
 * a chain of & or |, so its length is bounded too. */
#define MAX_NODES 1000

typedef struct node {
	int kind;
	int a, b;		/* children: N_NOT a; N_AND, N_OR a and b */
	rl_matcher *re;		/* N_RE, N_TILDE */
	rl_wordlist *wl;	/* N_WORDS */
	char *field;		/* N_CMP, N_TILDE */
	int op;
	char *value;		/* N_CMP: the literal */
	double num;
	int is_num;		/* the literal is a number */
	size_t from, to;	/* N_WORDS: its place in the pattern */
} node;

struct expr {
	node *v;
	size_t n, cap;
	int root;
	int needs;
};

static void expr_free(struct expr *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		rl_matcher_free(x->v[i].re);
		rl_wordlist_free(x->v[i].wl);
		free(x->v[i].field);
		free(x->v[i].value);
	}
	free(x->v);
	free(x);
}

typedef struct parser {
	const char *s;		/* the whole pattern */
	size_t p;		/* where the parser is */
	const char *dir;	/* word lists' folder, NULL for none */
	int dry;		/* syntax only: no file read, no regex
				   compiled */
	struct expr *x;
	char *err;
	size_t errlen;
	size_t err_at;
	int depth;
} parser;

static int perr(parser *ps, int rc, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(parser *ps, int rc, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	ps->err_at = at;
	return rc;
}

static void skip_space(parser *ps)
{
	while (ps->s[ps->p] == ' ')
		ps->p++;
}

/* A new node; its index in *at. */
static int node_new(parser *ps, int kind, int *at)
{
	struct expr *x = ps->x;
	if (x->n == MAX_NODES)
		return perr(ps, RL_EINPUT, ps->p, "expression too long (over "
			    "%d conditions and operators)", MAX_NODES);
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 8;
		node *v = realloc(x->v, cap * sizeof *v);
		if (!v)
			return RL_ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	memset(&x->v[x->n], 0, sizeof x->v[x->n]);
	x->v[x->n].kind = kind;
	*at = (int)x->n++;
	return RL_OK;
}

/* Characters that end a bare word (a field, value or path). */
static int bare_stop(char c)
{
	return !c || strchr(" ()&|!<>=~\"/@{}", c) != NULL;
}

/* A bare word or a "quoted" one (\" and \\ escape) at ps->p, into a new
 * string *out; what names it in messages. */
static int word(parser *ps, const char *what, char **out)
{
	const char *s = ps->s;
	size_t at = ps->p;
	rl_buf b = { 0 };
	if (s[at] == '"') {
		size_t i = at + 1;
		for (;; i++) {
			if (!s[i]) {
				rl_buf_free(&b);
				return perr(ps, RL_EINPUT, at, "missing "
					    "closing \" of the %s", what);
			}
			if (s[i] == '"')
				break;
			if (s[i] == '\\' && (s[i + 1] == '"' ||
					     s[i + 1] == '\\'))
				i++;
			if (rl_buf_putc(&b, s[i]) != RL_OK) {
				rl_buf_free(&b);
				return RL_ENOMEM;
			}
		}
		ps->p = i + 1;
	} else {
		size_t i = at;
		while (!bare_stop(s[i]))
			i++;
		if (i == at)
			return perr(ps, RL_EINPUT, at, "expected a %s", what);
		if (rl_buf_append(&b, s + at, i - at) != RL_OK) {
			rl_buf_free(&b);
			return RL_ENOMEM;
		}
		ps->p = i;
	}
	if (!b.data && rl_buf_reserve(&b, 1) != RL_OK)
		return RL_ENOMEM;
	b.data[b.len] = '\0';
	*out = b.data;
	return RL_OK;
}

/* A number, all of s but surrounding spaces; 1 if it is one. */
static int as_number(const char *s, double *v)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	return !*end && !errno && isfinite(*v);
}

/* '/' regex '/' at ps->p, compiled into node `at`. */
static int regex(parser *ps, int at)
{
	const char *s = ps->s;
	size_t open = ps->p, i = open + 1;
	for (; s[i] && s[i] != '/'; i++)
		if (s[i] == '\\' && s[i + 1])
			i++;
	if (!s[i])
		return perr(ps, RL_EINPUT, open, "missing closing / of the "
			    "regex");
	if (i == open + 1)
		return perr(ps, RL_EINPUT, open, "empty regex");
	ps->p = i + 1;
	if (ps->dry)
		return RL_OK;
	/* PCRE2 reads \/ as a slash: the text between goes as it is. */
	char *pat = strndup(s + open + 1, i - open - 1);
	if (!pat)
		return RL_ENOMEM;
	size_t off = 0;
	int rc = re_new(pat, &ps->x->v[at].re, ps->err, ps->errlen, &off);
	free(pat);
	if (rc != RL_OK)
		ps->err_at = open + 1 + off;
	return rc;
}

/* '@' path at ps->p, loaded into node `at`. */
static int words(parser *ps, int at)
{
	size_t open = ps->p;
	char *path = NULL, *full = NULL;
	ps->p++;
	int rc = word(ps, "word list file after @", &path);
	if (rc != RL_OK)
		return rc;
	ps->x->v[at].from = open;
	ps->x->v[at].to = ps->p;
	ps->x->needs |= RL_PAT_WORDS;
	if (ps->dry)
		goto out;
	if (!ps->dir) {
		rc = perr(ps, RL_EINPUT, open, "word lists need a rules file "
			  "to be read from");
		goto out;
	}
	size_t dl = strlen(ps->dir), pl = strlen(path);
	if (path[0] == '/' || dl == 0) {
		full = strdup(path);
	} else if ((full = malloc(dl + pl + 2))) {
		memcpy(full, ps->dir, dl);
		full[dl] = '/';
		memcpy(full + dl + 1, path, pl + 1);
	}
	if (!full) {
		rc = RL_ENOMEM;
		goto out;
	}
	char msg[384];
	rc = rl_wordlist_load(full, &ps->x->v[at].wl, msg, sizeof msg);
	if (rc == RL_EINPUT || rc == RL_EIO)
		perr(ps, rc, open, "word list: %s", msg);
out:
	free(path);
	free(full);
	return rc;
}

/* '{' entry, entry, ... '}' at ps->p, into node `at`: a word list
 * written in the rule. */
static int inline_words(parser *ps, int at)
{
	const char *s = ps->s;
	size_t open = ps->p;
	const char *close = strchr(s + open, '}');
	node *nd = &ps->x->v[at];
	if (!close)
		return perr(ps, RL_EINPUT, open, "missing } of the word list");
	nd->from = open;
	nd->to = ps->p = (size_t)(close - s) + 1;
	size_t n = (size_t)(close - s) - open - 1;
	size_t i = 0;
	while (i < n && (s[open + 1 + i] == ' ' || s[open + 1 + i] == ','))
		i++;
	if (i == n)
		return perr(ps, RL_EINPUT, open, "empty word list");
	if (ps->dry)
		return RL_OK;
	/* One entry a line, as in a file. */
	char *data = strndup(s + open + 1, n);
	if (!data)
		return RL_ENOMEM;
	for (char *p = data; *p; p++)
		if (*p == ',')
			*p = '\n';
	char msg[384];
	int rc = rl_wordlist_parse("entry", data, n, &nd->wl, msg,
				   sizeof msg);
	free(data);
	if (rc == RL_EINPUT)
		perr(ps, rc, open, "word list: %s", msg);
	return rc;
}

/* field op value, or field ~ /regex/, into node `at`. */
static int comparison(parser *ps, int at)
{
	const char *s = ps->s;
	node *nd = &ps->x->v[at];
	int rc = word(ps, "condition: /regex/, @wordlist, (, ! or a "
		      "comparison FIELD OP VALUE", &nd->field);
	if (rc != RL_OK)
		return rc;
	ps->x->needs |= RL_PAT_META;
	skip_space(ps);
	size_t op_at = ps->p;
	const char *o = s + ps->p;
	if (o[0] == '~') {
		nd->kind = N_TILDE;
		ps->p++;
		skip_space(ps);
		if (s[ps->p] != '/')
			return perr(ps, RL_EINPUT, ps->p, "expected /regex/ "
				    "after ~");
		return regex(ps, at);
	}
	if (o[0] == '!' && o[1] == '=')
		nd->op = OP_NE, ps->p += 2;
	else if (o[0] == '<' && o[1] == '=')
		nd->op = OP_LE, ps->p += 2;
	else if (o[0] == '>' && o[1] == '=')
		nd->op = OP_GE, ps->p += 2;
	else if (o[0] == '<')
		nd->op = OP_LT, ps->p++;
	else if (o[0] == '>')
		nd->op = OP_GT, ps->p++;
	else if (o[0] == '=')
		nd->op = OP_EQ, ps->p += 1 + (o[1] == '=');
	else
		return perr(ps, RL_EINPUT, op_at, "expected an operator (= != "
			    "< <= > >= ~) after the field '%s'", nd->field);
	skip_space(ps);
	if ((rc = word(ps, "value to compare with", &nd->value)) != RL_OK)
		return rc;
	nd->is_num = as_number(nd->value, &nd->num);
	return RL_OK;
}

static int parse_or(parser *ps, int *at);

static int parse_unary(parser *ps, int *at)
{
	const char *s = ps->s;
	int rc;
	skip_space(ps);
	char c = s[ps->p];
	if (c == '!' && s[ps->p + 1] != '=') {
		ps->p++;
		int a;
		if (++ps->depth > MAX_DEPTH)
			return perr(ps, RL_EINPUT, ps->p, "expression nested "
				    "too deeply");
		if ((rc = parse_unary(ps, &a)) != RL_OK)
			return rc;
		ps->depth--;
		if ((rc = node_new(ps, N_NOT, at)) != RL_OK)
			return rc;
		ps->x->v[*at].a = a;
		return RL_OK;
	}
	if (c == '(') {
		size_t open = ps->p++;
		if (++ps->depth > MAX_DEPTH)
			return perr(ps, RL_EINPUT, open, "expression nested "
				    "too deeply");
		if ((rc = parse_or(ps, at)) != RL_OK)
			return rc;
		ps->depth--;
		skip_space(ps);
		if (s[ps->p] != ')')
			return s[ps->p] ? perr(ps, RL_EINPUT, ps->p,
					       "expected ) or & or |")
					: perr(ps, RL_EINPUT, open,
					       "this ( is never closed");
		ps->p++;
		return RL_OK;
	}
	if (c == '/') {
		if ((rc = node_new(ps, N_RE, at)) != RL_OK)
			return rc;
		return regex(ps, *at);
	}
	if (c == '@') {
		if ((rc = node_new(ps, N_WORDS, at)) != RL_OK)
			return rc;
		return words(ps, *at);
	}
	if (c == '{') {
		if ((rc = node_new(ps, N_WORDS, at)) != RL_OK)
			return rc;
		return inline_words(ps, *at);
	}
	if (!c)
		return perr(ps, RL_EINPUT, ps->p, "expected a condition at the "
			    "end of the expression");
	if ((rc = node_new(ps, N_CMP, at)) != RL_OK)
		return rc;
	return comparison(ps, *at);
}

static int parse_and(parser *ps, int *at)
{
	int rc = parse_unary(ps, at);
	for (;;) {
		if (rc != RL_OK)
			return rc;
		skip_space(ps);
		if (ps->s[ps->p] != '&')
			return RL_OK;
		ps->p++;
		int b, n;
		if ((rc = parse_unary(ps, &b)) != RL_OK ||
		    (rc = node_new(ps, N_AND, &n)) != RL_OK)
			return rc;
		ps->x->v[n].a = *at;
		ps->x->v[n].b = b;
		*at = n;
	}
}

static int parse_or(parser *ps, int *at)
{
	int rc = parse_and(ps, at);
	for (;;) {
		if (rc != RL_OK)
			return rc;
		skip_space(ps);
		if (ps->s[ps->p] != '|')
			return RL_OK;
		ps->p++;
		int b, n;
		if ((rc = parse_and(ps, &b)) != RL_OK ||
		    (rc = node_new(ps, N_OR, &n)) != RL_OK)
			return rc;
		ps->x->v[n].a = *at;
		ps->x->v[n].b = b;
		*at = n;
	}
}

/* Parses the expression pattern (its '?' included) into *out. */
static int expr_new(const char *pattern, const char *dir, int dry,
		    struct expr **out, char *err, size_t errlen,
		    size_t *offset)
{
	parser ps = { .s = pattern, .p = 1, .dir = dir, .dry = dry,
		      .err = err, .errlen = errlen };
	int rc = RL_ENOMEM;
	*out = NULL;
	if (!(ps.x = calloc(1, sizeof *ps.x)))
		goto out;
	ps.x->needs = RL_PAT_EXPR;
	skip_space(&ps);
	if (!pattern[ps.p]) {
		rc = perr(&ps, RL_EINPUT, ps.p, "empty expression after ?");
		goto out;
	}
	if ((rc = parse_or(&ps, &ps.x->root)) != RL_OK)
		goto out;
	skip_space(&ps);
	if (pattern[ps.p]) {
		rc = perr(&ps, RL_EINPUT, ps.p, pattern[ps.p] == ')' ?
			  "unmatched )" : "unexpected '%c'; conditions "
			  "combine with & and |", pattern[ps.p]);
		goto out;
	}
	*out = ps.x;
	ps.x = NULL;
out:
	if (rc == RL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	*offset = ps.err_at;
	expr_free(ps.x);
	return rc;
}

int rl_pattern_needs(const char *pattern)
{
	if (pattern[0] != '?')
		return 0;
	struct expr *x;
	char err[8];
	size_t off;
	int rc = expr_new(pattern, NULL, 1, &x, err, sizeof err, &off);
	if (rc != RL_OK)
		return rc == RL_ENOMEM ? rc : RL_EINPUT;
	int needs = x->needs;
	expr_free(x);
	return needs;
}

/* The folder of the file at path, "" for the current one; NULL if out
 * of memory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path) + (slash == path))
		     : strdup("");
}

int rl_matcher_new_at(const char *pattern, const char *rules_path,
		      rl_matcher **out, char *err, size_t errlen,
		      size_t *offset)
{
	*out = NULL;
	*offset = 0;
	if (pattern[0] != '?')
		return re_new(pattern, out, err, errlen, offset);
	char *dir = NULL;
	if (rules_path && !(dir = dir_of(rules_path)))
		return RL_ENOMEM;
	rl_matcher *m = calloc(1, sizeof *m);
	int rc = RL_ENOMEM;
	if (m)
		rc = expr_new(pattern, dir, 0, &m->x, err, errlen, offset);
	free(dir);
	if (rc != RL_OK) {
		rl_matcher_free(m);
		return rc;
	}
	*out = m;
	return RL_OK;
}

int rl_matcher_new(const char *pattern, rl_matcher **out, char *err,
		   size_t errlen, size_t *offset)
{
	return rl_matcher_new_at(pattern, NULL, out, err, errlen, offset);
}

int rl_matcher_needs(const rl_matcher *m)
{
	return m && m->x ? m->x->needs : 0;
}

/* The value of field in meta, or NULL if the review has none. An empty
 * value counts as none: a CSV file has no other way to leave a field
 * out, and "" would otherwise sort before every number. */
static const char *meta_get(const rl_meta *meta, const char *field)
{
	for (size_t i = 0; meta && i < meta->n; i++)
		if (!strcmp(meta->key[i], field))
			return meta->value[i][0] ? meta->value[i] : NULL;
	return NULL;
}

static int compare(const node *nd, const char *v)
{
	double x;
	int c;
	if (nd->is_num && as_number(v, &x))
		c = x < nd->num ? -1 : x > nd->num;
	else
		c = strcmp(v, nd->value);
	switch (nd->op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

typedef struct evaluation {
	const char *text;
	size_t len;
	int *valid;		/* re_find's, for text; NULL */
	const rl_meta *meta;
	char *err;
	size_t errlen;
} evaluation;

/* V_* of node i, or a negative status; where it is true because of a
 * regex or word list, *has is set with that match's range. */
static int eval(struct expr *x, int i, evaluation *e, int *has,
		size_t *a, size_t *b)
{
	node *nd = &x->v[i];
	int r, s, h2 = 0;
	size_t a2, b2;
	const char *v;
	switch (nd->kind) {
	case N_RE:
		r = re_find(nd->re, e->text, e->len, e->valid, a, b, e->err,
			    e->errlen);
		*has = r == 1;
		return r;
	case N_WORDS:
		r = rl_wordlist_find(nd->wl, e->text, e->len, a, b);
		if (r == RL_EINPUT)
			snprintf(e->err, e->errlen, "text is not UTF-8");
		*has = r == 1;
		return r;
	case N_CMP:
		v = meta_get(e->meta, nd->field);
		return v ? compare(nd, v) : V_UNKNOWN;
	case N_TILDE:
		if (!(v = meta_get(e->meta, nd->field)))
			return V_UNKNOWN;
		r = re_find(nd->re, v, strlen(v), NULL, &a2, &b2, e->err,
			    e->errlen);
		return r;
	case N_NOT:
		r = eval(x, nd->a, e, &h2, &a2, &b2);
		return r < 0 || r == V_UNKNOWN ? r : !r;
	case N_AND:
		if ((r = eval(x, nd->a, e, has, a, b)) <= 0)
			return r;
		if ((s = eval(x, nd->b, e, &h2, &a2, &b2)) < 0)
			return s;
		if (r == V_TRUE && s == V_TRUE) {
			if (!*has && h2) {
				*has = 1;
				*a = a2;
				*b = b2;
			}
			return V_TRUE;
		}
		*has = 0;
		return s == V_FALSE ? V_FALSE : V_UNKNOWN;
	default:
		if ((r = eval(x, nd->a, e, has, a, b)) < 0 || r == V_TRUE)
			return r;
		*has = 0;
		if ((s = eval(x, nd->b, e, has, a, b)) < 0 || s == V_TRUE)
			return s;
		*has = 0;
		return r == V_FALSE && s == V_FALSE ? V_FALSE : V_UNKNOWN;
	}
}

int rl_matcher_find_in(rl_matcher *m, const char *text, size_t len,
		       int *valid, const rl_meta *meta, size_t *start,
		       size_t *end, char *err, size_t errlen)
{
	if (!m->x)
		return re_find(m, text, len, valid, start, end, err, errlen);
	evaluation e = { text, len, valid, meta, err, errlen };
	int has = 0;
	size_t a = 0, b = 0;
	int r = eval(m->x, m->x->root, &e, &has, &a, &b);
	if (r < 0)
		return r;
	if (r != V_TRUE)
		return 0;
	*start = has ? a : 0;
	*end = has ? b : 0;
	return 1;
}

int rl_matcher_find_meta(rl_matcher *m, const char *text, size_t len,
			 const rl_meta *meta, size_t *start, size_t *end,
			 char *err, size_t errlen)
{
	return rl_matcher_find_in(m, text, len, NULL, meta, start, end, err,
				  errlen);
}

int rl_matcher_find(rl_matcher *m, const char *text, size_t len,
		    size_t *start, size_t *end, char *err, size_t errlen)
{
	return rl_matcher_find_meta(m, text, len, NULL, start, end, err,
				    errlen);
}

int rl_pattern_embed(const char *pattern, const char *rules_path,
		     rl_buf *out, char *err, size_t errlen)
{
	rl_matcher *m = NULL;
	size_t off;
	int rc = rl_matcher_new_at(pattern, rules_path, &m, err, errlen, &off);
	if (rc == RL_OK)
		rc = rl_matcher_embed(m, pattern, out, err, errlen);
	rl_matcher_free(m);
	return rc;
}

int rl_matcher_embed(const rl_matcher *m, const char *pattern, rl_buf *out,
		     char *err, size_t errlen)
{
	rl_buf list = { 0 };
	size_t at = 0;
	int rc = RL_OK;
	/* Nodes are made in the order the parser meets them, left to
	 * right. */
	for (size_t i = 0; m->x && i < m->x->n && rc == RL_OK; i++) {
		const node *nd = &m->x->v[i];
		if (nd->kind != N_WORDS)
			continue;
		list.len = 0;
		if ((rc = rl_buf_append(out, pattern + at, nd->from - at)) !=
		    RL_OK || (rc = rl_buf_putc(out, '{')) != RL_OK ||
		    (rc = rl_wordlist_dump(nd->wl, &list)) != RL_OK)
			break;
		for (size_t k = 0; k < list.len && rc == RL_OK; k++)
			rc = list.data[k] != '\n'
			     ? rl_buf_putc(out, list.data[k])
			     : k + 1 < list.len ? rl_buf_append(out, ", ", 2)
			     : RL_OK;
		if (rc == RL_OK)
			rc = rl_buf_putc(out, '}');
		at = nd->to;
	}
	if (rc == RL_OK)
		rc = rl_buf_append(out, pattern + at, strlen(pattern + at));
	if (rc == RL_OK)
		rc = rl_buf_putc(out, '\0');
	if (rc == RL_OK)
		out->len--;
	if (rc == RL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	rl_buf_free(&list);
	return rc;
}
