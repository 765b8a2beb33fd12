/*
 * cmd_propagate.c - `revlab propagate DB`: label spreading.
 */
#include "cli.h"

int cmd_propagate(int argc, char **argv)
{
	cli_stages st;
	int quiet = 0;
	const char *path;
	int rc = cli_stage_args("propagate", argc, argv, &st, &quiet, &path);
	if (rc != EXIT_OK)
		return rc;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	rc = cli_propagate(db, &st, &prog);
	rl_db_close(db);
	return rc;
}
