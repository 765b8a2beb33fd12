/*
 * cmd_unlabel.c - `revlab unlabel DB ID [LABEL] [--as NAME | --all]`:
 * remove one hand label of a review, or all of them, that one annotator
 * gave (NAME, default the CLI's annotator, cli_annotator), or with --all
 * that anyone gave.
 */
#include <string.h>

#include "cli.h"

int cmd_unlabel(int argc, char **argv)
{
	const char *args[3], *as = NULL;
	int n = 0, all = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--as") && i + 1 < argc)
			as = argv[++i];
		else if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage("unlabel", "unknown option '%s'",
					 argv[i]);
		else if (n < 3)
			args[n++] = argv[i];
		else
			return cli_usage("unlabel", "too many arguments");
	}
	if (n < 2)
		return cli_usage("unlabel", "missing DB or ID");
	if (all && as)
		return cli_usage("unlabel", "--all and --as exclude each "
				 "other");
	rl_db *db = cli_open(args[0]);
	if (!db)
		return EXIT_FAIL;
	const char *who = all ? NULL : cli_annotator(as);
	int rc = n == 3 ? rl_seed_unset_label_as(db, args[1], args[2], who)
			: rl_seed_unset_as(db, args[1], who);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
