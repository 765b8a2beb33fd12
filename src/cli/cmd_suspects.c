/*
 * cmd_suspects.c - `revlab suspects DB [-n N] [--json] [--annotators]`:
 * hand labels that out-of-fold predictions confidently disagree with,
 * most suspect first; in a multi-label store a hand label to drop or a
 * missing one to add ("drop price?", "add shipping?"). With --annotators,
 * the annotators instead, by how often those predictions dispute them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct printer {
	int json;
	int rank;
	int multi;
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

/* One annotator's line (or JSON object) of --annotators. */
static int print_annotator(void *ctx, const rl_annotator_disputes *a)
{
	printer *p = ctx;
	p->rank++;
	if (p->json) {
		printf("{\"rank\":%d,\"annotator\":", p->rank);
		cli_json_str(stdout, a->annotator);
		printf(",\"reviews\":%llu,\"labels\":%llu,\"disputed\":%llu,"
		       "\"rate\":%.6f,\"missed\":%llu}\n",
		       (unsigned long long)a->reviews,
		       (unsigned long long)a->labels,
		       (unsigned long long)a->disputed, a->rate,
		       (unsigned long long)a->missed);
		return 0;
	}
	printf("%3d  %-16s %6llu of %6llu labels disputed (%5.1f%%)",
	       p->rank, *a->annotator ? a->annotator : "(unnamed)",
	       (unsigned long long)a->disputed,
	       (unsigned long long)a->labels, 100 * a->rate);
	if (p->multi)
		printf(", %llu missed", (unsigned long long)a->missed);
	printf(" on %llu reviews\n", (unsigned long long)a->reviews);
	return 0;
}

int cmd_suspects(int argc, char **argv)
{
	cli_stages st;
	printer pr = { 0, 0, 0 };
	long n = 20;
	const char *path = NULL;
	int by_annotator = 0, m = 0;
	/* --annotators is this command's own; the rest are a list's. */
	char **rest = malloc(((size_t)argc + 1) * sizeof *rest);
	if (!rest)
		return EXIT_FAIL;
	for (int i = 0; i < argc; i++)
		if (i > 0 && !strcmp(argv[i], "--annotators"))
			by_annotator = 1;
		else
			rest[m++] = argv[i];
	rest[m] = NULL;
	int parsed = cli_list_args("suspects", m, rest, &st, &n, &pr.json,
				   &path);
	free(rest);
	if (parsed != EXIT_OK)
		return EXIT_USAGE;
	rl_eval_opts o = st.train;
	o.prop = st.prop;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_suspects_stats ss;
	int rc;
	if (by_annotator) {
		pr.multi = rl_db_multi_label(db);
		rc = rl_suspects_by_annotator(db, &o, print_annotator, &pr,
					      &ss);
		if (rc == RL_OK && !pr.json)
			printf("%llu disputed answers in %llu hand-labelled "
			       "reviews (%u-fold cross-validation)\n",
			       (unsigned long long)ss.suspects,
			       (unsigned long long)ss.seeds, ss.folds);
		rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
		rl_db_close(db);
		return rc;
	}
	rc = rl_suspects(db, &o, (size_t)n, print_one, &pr, &ss);
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
