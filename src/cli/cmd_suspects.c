/*
 * cmd_suspects.c - `revlab suspects DB [-n N] [--json]`: hand labels that
 * out-of-fold predictions confidently disagree with, most suspect first.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct printer {
	int json;
	int rank;
} printer;

static int print_one(void *ctx, const rl_suspect *s)
{
	printer *p = ctx;
	p->rank++;
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
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	printer pr = { 0, 0 };
	long n = 20;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			pr.json = 1;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			char *end;
			n = strtol(argv[++i], &end, 10);
			if (*end || n < 1)
				return cli_usage("suspects", "-n needs a "
						 "number >= 1, not '%s'",
						 argv[i]);
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			const char *a = argv[++i];
			if (!strncmp(a, "train.", 6))
				a += 6;
			int r = !strncmp(a, "propagate.", 10)
				? rl_propagate_opts_set(&o.prop, a + 10)
				: rl_eval_opts_set(&o, a);
			if (r != RL_OK)
				return cli_usage("suspects", "bad parameter "
						 "'%s'", argv[i]);
		} else if ((argv[i][0] == '-' && argv[i][1]) || path) {
			return cli_usage("suspects", "unexpected '%s'",
					 argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cli_usage("suspects", "missing DB");
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_suspects_stats st;
	int rc = rl_suspects(db, &o, (size_t)n, print_one, &pr, &st);
	if (rc == RL_OK && !pr.json)
		printf("%llu of %llu hand labels suspect (%u-fold "
		       "cross-validation)%s\n",
		       (unsigned long long)st.suspects,
		       (unsigned long long)st.seeds, st.folds,
		       st.suspects > (uint64_t)n ? "; -n shows more" : "");
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
