/*
 * cmd_next.c - `revlab next DB [-n N] [--json]`: the unlabelled reviews a
 * hand label would help most, with the reason for each (in a multi-label
 * store the JSON adds "unsure", the labels it is unsure of).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct printer {
	int json;
	int rank;
	int multi;
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
		for (uint32_t l = 0; p->multi && l < it->n_unsure; l++) {
			printf(l ? "," : ",\"unsure\":[");
			cli_json_str(stdout, it->unsure[l]);
		}
		if (p->multi)
			printf(it->n_unsure ? "]" : ",\"unsure\":[]");
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

int cmd_next(int argc, char **argv)
{
	cli_stages st;
	printer pr = { 0, 0, 0 };
	long n = 20;
	const char *path = NULL;
	if (cli_list_args("next", argc, argv, &st, &n, &pr.json, &path) !=
	    EXIT_OK)
		return EXIT_USAGE;
	st.next.prop = st.prop;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	pr.multi = rl_db_multi_label(db) == 1;
	int rc = rl_next(db, &st.next, (size_t)n, print_one, &pr);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
