/*
 * cmd_unlabel.c - `revlab unlabel DB ID [LABEL]`: remove one hand label
 * of a review, or all of them.
 */
#include "cli.h"

int cmd_unlabel(int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		return cli_usage("unlabel", argc < 3 ? "missing DB or ID"
						     : "too many arguments");
	rl_db *db = cli_open(argv[1]);
	if (!db)
		return EXIT_FAIL;
	int rc = argc == 4 ? rl_seed_unset_label(db, argv[2], argv[3])
			   : rl_seed_unset(db, argv[2]);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
