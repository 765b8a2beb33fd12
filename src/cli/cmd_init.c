/*
 * cmd_init.c - `revlab init DB`: create a store.
 */
#include <sys/stat.h>

#include "cli.h"

int cmd_init(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage("init", argc < 2 ? "missing DB"
						  : "too many arguments");
	if (!*argv[1])
		return cli_usage("init", "empty DB path");
	/* An empty file becomes a store; only a non-empty one may be one. */
	struct stat sb;
	int existed = stat(argv[1], &sb) == 0 && sb.st_size > 0;
	rl_db *db = NULL;
	int rc = rl_db_open(argv[1], RL_OPEN_CREATE, &db);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		rl_db_close(db);
		return rc;
	}
	rl_db_close(db);
	printf(existed ? "%s: already a revlab store\n"
		       : "%s: created a revlab store\n", argv[1]);
	return EXIT_OK;
}
