/*
 * cmd_seed.c - `revlab seed DB FILE`: hand labels from a file.
 */
#include "cli.h"

int cmd_seed(int argc, char **argv)
{
	if (argc != 3)
		return cli_usage("seed", argc < 3 ? "missing DB or FILE"
						  : "too many arguments");
	rl_db *db = cli_open(argv[1]);
	if (!db)
		return EXIT_FAIL;
	rl_seed_stats st;
	int rc = rl_seed_file(db, argv[2], &st);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		fprintf(stderr, "revlab: no hand label set; the store is "
			"unchanged\n");
	} else {
		printf("%s: %llu hand labels set, %llu new labels\n", argv[2],
		       (unsigned long long)st.set,
		       (unsigned long long)st.labels_created);
		rc = EXIT_OK;
	}
	rl_db_close(db);
	return rc;
}
