/*
 * cmd_vectorize.c - `revlab vectorize DB`: TF-IDF and LSA vectors.
 */
#include "cli.h"

int cmd_vectorize(int argc, char **argv)
{
	cli_stages st;
	int quiet = 0;
	const char *path;
	int rc = cli_stage_args("vectorize", argc, argv, &st, &quiet, &path);
	if (rc != EXIT_OK)
		return rc;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	rc = cli_vectorize(db, &st, &prog);
	rl_db_close(db);
	return rc;
}
