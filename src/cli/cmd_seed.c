/*
 * cmd_seed.c - `revlab seed DB FILE [--as NAME]`: hand labels from a
 * file, given by NAME (default: the CLI's annotator, cli_annotator) unless
 * a line names its annotator in a third column.
 */
#include <string.h>

#include "cli.h"

int cmd_seed(int argc, char **argv)
{
	const char *args[2], *as = NULL;
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--as") && i + 1 < argc)
			as = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage("seed", "unknown option '%s'",
					 argv[i]);
		else if (n < 2)
			args[n++] = argv[i];
		else
			return cli_usage("seed", "too many arguments");
	}
	if (n < 2)
		return cli_usage("seed", "missing DB or FILE");
	rl_db *db = cli_open(args[0]);
	if (!db)
		return EXIT_FAIL;
	rl_seed_stats st;
	int rc = rl_seed_file_as(db, args[1], cli_annotator(as), &st);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		fprintf(stderr, "revlab: no hand label set; the store is "
			"unchanged\n");
	} else {
		printf("%s: %llu hand labels set, %llu new labels\n", args[1],
		       (unsigned long long)st.set,
		       (unsigned long long)st.labels_created);
		rc = EXIT_OK;
	}
	rl_db_close(db);
	return rc;
}
