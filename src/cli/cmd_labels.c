/*
 * cmd_labels.c - `revlab labels DB [--add NAME...]`: declare labels and
 * list them with their counts by source.
 */
#include <string.h>

#include "cli.h"

static int print_label(void *ctx, const rl_label_info *l)
{
	(void)ctx;
	printf("%-20s %8llu %8llu %8llu %8llu %8llu\n", l->name,
	       (unsigned long long)l->seeds,
	       (unsigned long long)l->rule_votes,
	       (unsigned long long)l->propagated,
	       (unsigned long long)l->model,
	       (unsigned long long)l->cluster);
	return 0;
}

int cmd_labels(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("labels", "missing DB");
	int adding = argc > 2 && !strcmp(argv[2], "--add");
	if (argc > 2 && !adding)
		return cli_usage("labels", "unknown argument '%s'", argv[2]);
	if (adding && argc < 4)
		return cli_usage("labels", "--add needs label names");
	rl_db *db = cli_open_as(argv[1], adding ? 0 : RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc = RL_OK;
	for (int i = 3; adding && i < argc && rc == RL_OK; i++)
		rc = rl_label_add(db, argv[i]);
	if (rc == RL_OK && !adding) {
		printf("%-20s %8s %8s %8s %8s %8s\n", "label", "seeds",
		       "rules", "propag.", "model", "cluster");
		rc = rl_labels(db, print_label, NULL);
	}
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
