/*
 * cmd_stats.c - `revlab stats DB [--json]`: counts and the stages' last
 * runs. The runs' params and counts are stored as JSON already, so the
 * JSON form embeds them as they are.
 */
#include <string.h>

#include "cli.h"

static int json_run(void *ctx, const rl_run_info *r)
{
	int *first = ctx;
	printf("%s{\"stage\":\"%s\",\"id\":%lld,\"started\":\"%s\","
	       "\"seconds\":%.6f,\"params\":%s,\"counts\":%s}",
	       *first ? "" : ",", r->stage, (long long)r->id, r->started,
	       r->seconds, r->params ? r->params : "{}",
	       r->counts ? r->counts : "{}");
	*first = 0;
	return 0;
}

static int print_json(rl_db *db)
{
	rl_stats st;
	int rc = rl_stats_get(db, &st);
	if (rc != RL_OK)
		return rc;
	printf("{\"multi_label\":%s,\"reviews\":%llu,\"tokenized\":%llu,\"tokens\":%llu,"
	       "\"terms\":%llu,\"labels\":%llu,\"seeds\":%llu,\"rules\":%llu,"
	       "\"last_runs\":[", rl_db_multi_label(db) ? "true" : "false",
	       (unsigned long long)st.reviews,
	       (unsigned long long)st.tokenized, (unsigned long long)st.tokens,
	       (unsigned long long)st.terms, (unsigned long long)st.labels,
	       (unsigned long long)st.seeds, (unsigned long long)st.rules);
	int first = 1;
	rc = rl_runs_last(db, json_run, &first);
	printf("]}\n");
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[2], "--json");
	if (argc != 2 && !json)
		return cli_usage("stats", argc < 2 ? "missing DB"
						   : "unexpected arguments");
	rl_db *db = cli_open_as(argv[1], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc = json ? print_json(db) : cli_print_stats(db, stdout);
	if (rc != RL_OK)
		rc = cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
