/*
 * cmd_init.c - `revlab init DB`: create a store.
 */
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cmd_init(int argc, char **argv)
{
	unsigned flags = RL_OPEN_CREATE;
	if (argc == 3 && !strcmp(argv[2], "--multi-label")) {
		flags |= RL_OPEN_MULTI_LABEL;
		argc--;
	}
	if (argc != 2)
		return cli_usage("init", argc < 2 ? "missing DB"
						  : "unexpected arguments");
	if (!*argv[1])
		return cli_usage("init", "empty DB path");
	/* An empty file becomes a store; only a non-empty one may be one. */
	struct stat sb;
	int existed = stat(argv[1], &sb) == 0 && sb.st_size > 0;
	rl_db *db = NULL;
	int rc = rl_db_open(argv[1], flags, &db);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		rl_db_close(db);
		return rc;
	}
	rl_db_close(db);
	const char *mode = flags & RL_OPEN_MULTI_LABEL ? "multi-label "
						       : "";
	if (existed)
		printf("%s: already a revlab %sstore\n", argv[1], mode);
	else
		printf("%s: created a revlab %sstore\n", argv[1], mode);
	return EXIT_OK;
}
