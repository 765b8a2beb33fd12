/*
 * cmd_rules.c - `revlab rules DB FILE` (replace the rule set),
 * `revlab rules stats DB [--json]`, `revlab rules lint DB [--strict]
 * [--json]` (both with the lint thresholds), `revlab rules show DB LINE
 * [--wrong] [--limit N]` and `revlab rules apply DB`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int load(int argc, char **argv)
{
	rl_rules_opts o = { 0 };
	const char *args[2];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--create-labels"))
			o.create_labels = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage("rules", "unknown option '%s'",
					 argv[i]);
		else if (n < 2)
			args[n++] = argv[i];
		else
			return cli_usage("rules", "too many arguments");
	}
	if (n != 2)
		return cli_usage("rules", "expected DB FILE");
	rl_db *db = cli_open(args[0]);
	if (!db)
		return EXIT_FAIL;
	rl_rules_stats st;
	double t0 = cli_now();
	int rc = rl_rules_load(db, args[1], &o, &st);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		fprintf(stderr, "revlab: rules not loaded; the previous rule "
			"set stays\n");
	} else {
		printf("%s: %llu rules (%llu unchanged, %llu matched anew: "
		       "%llu hits) in %.2f s\n", args[1],
		       (unsigned long long)st.rules,
		       (unsigned long long)st.kept,
		       (unsigned long long)st.matched,
		       (unsigned long long)st.hits, cli_now() - t0);
		rc = EXIT_OK;
	}
	rl_db_close(db);
	return rc;
}

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static double share(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

/* "lint":[finding...],"subset_of":LINE|null */
static void print_lint_json(const rl_rule_report *x)
{
	printf("\"lint\":[%s%s%s%s%s],\"subset_of\":",
	       x->lint & RL_LINT_NEVER ? "\"never\"" : "",
	       x->lint & RL_LINT_NEVER && x->lint & ~RL_LINT_NEVER ? "," : "",
	       x->lint & RL_LINT_REDUNDANT ? "\"redundant\"" : "",
	       x->lint & RL_LINT_REDUNDANT && x->lint & RL_LINT_BROAD ? ","
								      : "",
	       x->lint & RL_LINT_BROAD ? "\"broad\"" : "");
	if (x->subset_of)
		printf("%d", x->subset_of);
	else
		printf("null");
}

static void print_json(const rl_rules_report *r)
{
	printf("{\"reviews\":%llu,\"covered\":%llu,\"coverage\":%.6f,"
	       "\"conflicted\":%llu,\"conflict_rate\":%.6f,\"rules\":[",
	       (unsigned long long)r->reviews, (unsigned long long)r->covered,
	       share(r->covered, r->reviews),
	       (unsigned long long)r->conflicted,
	       share(r->conflicted, r->covered));
	for (size_t i = 0; i < r->n; i++) {
		const rl_rule_report *x = &r->rules[i];
		printf("%s{\"line\":%d,\"label\":", i ? "," : "", x->line);
		json_str(x->label);
		printf(",\"negate\":%s,\"pattern\":", x->negate ? "true"
								: "false");
		json_str(x->pattern);
		printf(",\"weight\":%g,\"hits\":%llu,\"coverage\":%.6f,"
		       "\"overlaps\":%llu,\"conflicts\":%llu,\"seed_hits\":%llu,",
		       x->weight, (unsigned long long)x->hits,
		       share(x->hits, r->reviews),
		       (unsigned long long)x->overlaps,
		       (unsigned long long)x->conflicts,
		       (unsigned long long)x->seed_hits);
		if (x->precision < 0)
			printf("\"precision\":null,\"precision_ci\":null,");
		else
			printf("\"precision\":%.6f,\"precision_ci\":"
			       "[%.6f,%.6f],", x->precision, x->ci_low,
			       x->ci_high);
		print_lint_json(x);
		printf("}");
	}
	printf("],\"overlap\":[");
	for (size_t i = 0; i < r->n; i++) {
		printf("%s[", i ? "," : "");
		for (size_t j = 0; j < r->n; j++)
			printf("%s%llu", j ? "," : "",
			       (unsigned long long)r->overlap[i * r->n + j]);
		printf("]");
	}
	printf("],\"conflict\":[");
	for (size_t i = 0; i < r->n; i++) {
		printf("%s[", i ? "," : "");
		for (size_t j = 0; j < r->n; j++)
			printf("%s%llu", j ? "," : "",
			       (unsigned long long)r->conflict[i * r->n + j]);
		printf("]");
	}
	printf("]}\n");
}

static void print_text(const rl_rules_report *r)
{
	printf("%5s %-14s %7s %7s %8s %9s %-22s %s\n", "line", "label", "hits",
	       "cover", "overlap", "conflict", "precision on seeds", "pattern");
	for (size_t i = 0; i < r->n; i++) {
		const rl_rule_report *x = &r->rules[i];
		char lab[64], prec[48];
		snprintf(lab, sizeof lab, "%s%s", x->negate ? "!" : "",
			 x->label);
		if (x->precision < 0)
			snprintf(prec, sizeof prec, "- (no seed)");
		else
			snprintf(prec, sizeof prec, "%.2f [%.2f-%.2f] n=%llu",
				 x->precision, x->ci_low, x->ci_high,
				 (unsigned long long)x->seed_hits);
		printf("%5d %-14s %7llu %6.1f%% %8llu %9llu %-22s %s\n",
		       x->line, lab, (unsigned long long)x->hits,
		       100 * share(x->hits, r->reviews),
		       (unsigned long long)x->overlaps,
		       (unsigned long long)x->conflicts, prec, x->pattern);
	}
	printf("\n%zu rules cover %llu of %llu reviews (%.1f%%); %llu of "
	       "those (%.1f%%) get conflicting votes\n", r->n,
	       (unsigned long long)r->covered, (unsigned long long)r->reviews,
	       100 * share(r->covered, r->reviews),
	       (unsigned long long)r->conflicted,
	       100 * share(r->conflicted, r->covered));
	if (r->n < 2 || r->n > 30)
		return;
	printf("\nreviews shared / in conflict, by line:\n%5s", "");
	for (size_t j = 0; j < r->n; j++)
		printf(" %11d", r->rules[j].line);
	printf("\n");
	for (size_t i = 0; i < r->n; i++) {
		printf("%5d", r->rules[i].line);
		for (size_t j = 0; j < r->n; j++) {
			char cell[32] = "-";
			if (i != j)
				snprintf(cell, sizeof cell, "%llu/%llu",
					 (unsigned long long)
					 r->overlap[i * r->n + j],
					 (unsigned long long)
					 r->conflict[i * r->n + j]);
			printf(" %11s", cell);
		}
		printf("\n");
	}
}

/* One finding a line, FILE:LINE: what and why, for editors and CI. */
static void print_lint(const rl_rules_report *r, const rl_lint_opts *o,
		       FILE *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const rl_rule_report *x = &r->rules[i];
		const char *src = x->source[0] ? x->source : "rules";
		char lab[300];
		snprintf(lab, sizeof lab, "%s%s", x->negate ? "!" : "",
			 x->label);
		if (x->lint & RL_LINT_NEVER)
			fprintf(out, "%s:%d: never hits: rule for '%s' "
				"matches none of the %llu reviews\n", src,
				x->line, lab, (unsigned long long)r->reviews);
		if (x->lint & RL_LINT_REDUNDANT)
			fprintf(out, "%s:%d: redundant: %s %llu review%s it "
				"matches %s matched by line %d, for '%s' "
				"too\n", src, x->line,
				x->hits == 1 ? "the" : "all",
				(unsigned long long)x->hits,
				x->hits == 1 ? "" : "s",
				x->hits == 1 ? "is" : "are", x->subset_of,
				lab);
		if (!(x->lint & RL_LINT_BROAD))
			continue;
		fprintf(out, "%s:%d: too broad: matches %.1f%% of the "
			"reviews (over %.1f%%) and ", src, x->line,
			100 * share(x->hits, r->reviews),
			100 * o->max_coverage);
		if (x->seed_hits == 0)
			fprintf(out, "no hand-labelled review, so its "
				"precision is unknown\n");
		else
			fprintf(out, "its precision on the hand labels, %.2f "
				"[%.2f-%.2f] n=%llu, may be under %.2f\n",
				x->precision, x->ci_low, x->ci_high,
				(unsigned long long)x->seed_hits,
				o->min_precision);
	}
}

/* A lint threshold option at argv[*i]; 1 if it was one, -1 if bad. */
static int lint_option(int argc, char **argv, int *i, rl_lint_opts *o)
{
	double *v;
	if (!strcmp(argv[*i], "--max-coverage"))
		v = &o->max_coverage;
	else if (!strcmp(argv[*i], "--min-precision"))
		v = &o->min_precision;
	else
		return 0;
	if (*i + 1 >= argc)
		return -1;
	char *end;
	*v = strtod(argv[++*i], &end);
	return *end || end == argv[*i] || !(*v >= 0 && *v <= 1) ? -1 : 1;
}

/* `rules stats` (lint = 0) and `rules lint`. */
static int stats(int argc, char **argv, int lint)
{
	int json = 0, strict = 0;
	const char *path = NULL;
	rl_lint_opts lo;
	rl_lint_opts_init(&lo);
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i];
		int k = lint_option(argc, argv, &i, &lo);
		if (k < 0)
			return cli_usage("rules", "%s needs a share from 0 to "
					 "1", opt);
		if (k)
			continue;
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (lint && !strcmp(argv[i], "--strict"))
			strict = 1;
		else if (argv[i][0] == '-' || path)
			return cli_usage("rules", "unexpected '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage("rules", "missing DB");
	rl_db *db = cli_open_as(path, RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	rl_rules_report *r = NULL;
	size_t found = 0;
	int rc = rl_rules_report_get(db, &r);
	if (rc == RL_OK) {
		found = rl_rules_lint(r, &lo);
		if (json)
			print_json(r);
		else if (!lint)
			print_text(r);
		if (!json && (lint || found)) {
			if (!lint)
				printf("\nfindings:\n");
			print_lint(r, &lo, stdout);
		}
		if (lint && !json)
			printf("%zu of %zu rules with findings\n", found,
			       r->n);
	}
	rl_rules_report_free(r);
	rc = rc != RL_OK ? cli_fail(db, rc)
	     : strict && found ? EXIT_FAIL : EXIT_OK;
	rl_db_close(db);
	return rc;
}

typedef struct shower {
	int colour, wrong;
	long limit, shown;
} shower;

static int show_hit(void *ctx, const rl_hit_info *h)
{
	shower *s = ctx;
	if (s->limit >= 0 && s->shown >= s->limit)
		return 1;
	s->shown++;
	size_t len = strlen(h->text);
	size_t a = h->start < len ? h->start : len;
	size_t b = h->end < len ? h->end : len;
	/* An expression decided by metadata alone marks no text. */
	int mark = b > a;
	printf("%s%s%s%s: %.*s%s%.*s%s%s\n", h->ext_id,
	       h->seed ? " (seed: " : "", h->seed ? h->seed : "",
	       h->seed ? ")" : "", (int)a, h->text,
	       !mark ? "" : s->colour ? "\033[1;31m" : "[[", (int)(b - a),
	       h->text + a, !mark ? "" : s->colour ? "\033[0m" : "]]",
	       h->text + b);
	return 0;
}

static int show(int argc, char **argv)
{
	shower s = { .colour = isatty(STDOUT_FILENO), .limit = -1 };
	const char *args[2];
	int n = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--wrong"))
			s.wrong = 1;
		else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
			s.limit = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] == '-' || n == 2)
			return cli_usage("rules", "unexpected '%s'", argv[i]);
		else
			args[n++] = argv[i];
	}
	if (n != 2)
		return cli_usage("rules", "expected `rules show DB LINE`");
	char *end;
	long line = strtol(args[1], &end, 10);
	if (*end || line <= 0)
		return cli_usage("rules", "LINE must be a rules file line "
				 "number, not '%s'", args[1]);
	rl_db *db = cli_open_as(args[0], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc = rl_rule_hits(db, (int)line, s.wrong, show_hit, &s);
	rc = rc == RL_OK || rc == 1 ? EXIT_OK : cli_fail(db, rc);
	if (rc == EXIT_OK && s.shown == 0)
		printf(s.wrong ? "no hand-labelled review is wrong for this "
				 "rule\n" : "the rule matches no review\n");
	rl_db_close(db);
	return rc;
}

static int apply(int argc, char **argv)
{
	if (argc != 3)
		return cli_usage("rules", "expected `rules apply DB`");
	rl_db *db = cli_open(argv[2]);
	if (!db)
		return EXIT_FAIL;
	rl_rules_stats st;
	int rc = rl_rules_apply(db, NULL, &st);
	if (rc == RL_OK)
		printf("rules:     %llu reviews matched against %llu rules, "
		       "%llu hits\n", (unsigned long long)st.reviews,
		       (unsigned long long)st.rules,
		       (unsigned long long)st.hits);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}

int cmd_rules(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "stats"))
		return stats(argc, argv, 0);
	if (argc >= 2 && !strcmp(argv[1], "lint"))
		return stats(argc, argv, 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return show(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "apply"))
		return apply(argc, argv);
	return load(argc, argv);
}
