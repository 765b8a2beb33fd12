/*
 * cmd_suspects.c - `revlab suspects DB [-n N] [--json]`: hand labels that
 * out-of-fold predictions confidently disagree with, most suspect first;
 * in a multi-label store a hand label to drop or a missing one to add
 * ("drop price?", "add shipping?").
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct printer {
	int json;
	int rank;
} printer;

/* A multi-label store's suspect: one label, to drop or to add. */
static void print_multi(const printer *p, const rl_suspect *s)
{
	int drop = s->given != NULL;
	const char *label = drop ? s->given : s->suggested;
	double pl = drop ? s->p_given : s->p_suggested;
	if (p->json) {
		printf("{\"rank\":%d,\"id\":", p->rank);
		cli_json_str(stdout, s->ext_id);
		printf(",\"action\":\"%s\",\"label\":", drop ? "drop" : "add");
		cli_json_str(stdout, label);
		printf(",\"p\":%.6f,\"bar\":%.6f,\"hand\":[", pl, s->bar);
		for (uint32_t l = 0; l < s->n_hand; l++) {
			if (l)
				putchar(',');
			cli_json_str(stdout, s->hand[l]);
		}
		printf("],\"probabilities\":{");
		for (uint32_t l = 0; l < s->n_labels; l++) {
			if (l)
				putchar(',');
			cli_json_str(stdout, s->labels[l]);
			printf(":%.6f", s->p[l]);
		}
		printf("},\"text\":");
		cli_json_str(stdout, s->text);
		printf("}\n");
		return;
	}
	printf("%3d  %s  %s %s? p %.2f (reviews %s it: %.2f); has ", p->rank,
	       s->ext_id, drop ? "drop" : "add", label, pl,
	       drop ? "without" : "with", s->bar);
	for (uint32_t l = 0; l < s->n_hand; l++)
		printf("%s%s", l ? "|" : "", s->hand[l]);
	printf("\n     ");
	cli_snippet(stdout, s->text, 100);
	printf("\n");
}

static int print_one(void *ctx, const rl_suspect *s)
{
	printer *p = ctx;
	p->rank++;
	if (!s->given || !s->suggested) {
		print_multi(p, s);
		return 0;
	}
	if (p->json) {
		printf("{\"rank\":%d,\"id\":", p->rank);
		cli_json_str(stdout, s->ext_id);
		printf(",\"given\":");
		cli_json_str(stdout, s->given);
		printf(",\"suggested\":");
		cli_json_str(stdout, s->suggested);
		printf(",\"p_given\":%.6f,\"p_suggested\":%.6f,"
		       "\"probabilities\":{", s->p_given, s->p_suggested);
		for (uint32_t l = 0; l < s->n_labels; l++) {
			if (l)
				putchar(',');
			cli_json_str(stdout, s->labels[l]);
			printf(":%.6f", s->p[l]);
		}
		printf("},\"text\":");
		cli_json_str(stdout, s->text);
		printf("}\n");
		return 0;
	}
	printf("%3d  %s  given %s (%.2f), suggested %s (%.2f)\n     ",
	       p->rank, s->ext_id, s->given, s->p_given, s->suggested,
	       s->p_suggested);
	cli_snippet(stdout, s->text, 100);
	printf("\n");
	return 0;
}

int cmd_suspects(int argc, char **argv)
{
	cli_stages st;
	printer pr = { 0, 0 };
	long n = 20;
	const char *path = NULL;
	if (cli_list_args("suspects", argc, argv, &st, &n, &pr.json, &path) !=
	    EXIT_OK)
		return EXIT_USAGE;
	rl_eval_opts o = st.train;
	o.prop = st.prop;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_suspects_stats ss;
	int rc = rl_suspects(db, &o, (size_t)n, print_one, &pr, &ss);
	if (rc == RL_OK && !pr.json && rl_db_multi_label(db) == 1)
		printf("%llu suspect labels in %llu hand-labelled reviews "
		       "(%u-fold cross-validation)%s\n",
		       (unsigned long long)ss.suspects,
		       (unsigned long long)ss.seeds, ss.folds,
		       ss.suspects > (uint64_t)n ? "; -n shows more" : "");
	else if (rc == RL_OK && !pr.json)
		printf("%llu of %llu hand labels suspect (%u-fold "
		       "cross-validation)%s\n",
		       (unsigned long long)ss.suspects,
		       (unsigned long long)ss.seeds, ss.folds,
		       ss.suspects > (uint64_t)n ? "; -n shows more" : "");
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
