/*
 * cmd_stats.c - `revlab stats DB`: counts and the stages' last runs.
 */
#include "cli.h"

int cmd_stats(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage("stats", argc < 2 ? "missing DB"
						   : "too many arguments");
	rl_db *db = cli_open(argv[1]);
	if (!db)
		return EXIT_FAIL;
	int rc = cli_print_stats(db, stdout);
	if (rc != RL_OK)
		rc = cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
