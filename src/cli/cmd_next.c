/*
 * cmd_next.c - `revlab next DB [-n N] [--json]`: the unlabelled reviews a
 * hand label would help most, with the reason for each.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct printer {
	int json;
	int rank;
} printer;

static int print_one(void *ctx, const rl_next_item *it)
{
	printer *p = ctx;
	p->rank++;
	if (p->json) {
		printf("{\"rank\":%d,\"id\":", p->rank);
		cli_json_str(stdout, it->ext_id);
		printf(",\"score\":%.6f,\"uncertainty\":%.6f,"
		       "\"disagreement\":%.6f,\"density\":%.6f,\"reason\":",
		       it->score, it->uncertainty, it->disagreement,
		       it->density);
		cli_json_str(stdout, it->reason);
		printf(",\"text\":");
		cli_json_str(stdout, it->text);
		printf("}\n");
		return 0;
	}
	printf("%3d  %s  score %.3f\n     %s\n     ", p->rank, it->ext_id,
	       it->score, it->reason);
	cli_snippet(stdout, it->text, 100);
	printf("\n");
	return 0;
}

/* -p name=value: a "next" parameter, or propagate.name=value. */
static int set_param(rl_next_opts *o, const char *a)
{
	if (!strncmp(a, "propagate.", 10))
		return rl_propagate_opts_set(&o->prop, a + 10);
	if (!strncmp(a, "next.", 5))
		a += 5;
	return rl_next_opts_set(o, a);
}

int cmd_next(int argc, char **argv)
{
	rl_next_opts o;
	rl_next_opts_init(&o);
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
				return cli_usage("next", "-n needs a number "
						 ">= 1, not '%s'", argv[i]);
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			if (set_param(&o, argv[++i]) != RL_OK)
				return cli_usage("next", "bad parameter '%s'",
						 argv[i]);
		} else if ((argv[i][0] == '-' && argv[i][1]) || path) {
			return cli_usage("next", "unexpected '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cli_usage("next", "missing DB");
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	int rc = rl_next(db, &o, (size_t)n, print_one, &pr);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
