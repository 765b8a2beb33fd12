/*
 * cmd_vacuum.c - `revlab vacuum DB [--derived]`: SQLite's VACUUM and a
 * checkpoint of the -wal file, with --derived after deleting what the
 * next `revlab run` makes again; prints the size before and after.
 */
#include <string.h>

#include "cli.h"

static void print_size(const char *what, const rl_db_size *z)
{
	char a[32], b[32], w[32];
	cli_bytes(a, sizeof a, z->file_bytes + z->wal_bytes);
	cli_bytes(b, sizeof b, z->file_bytes);
	cli_bytes(w, sizeof w, z->wal_bytes);
	printf("%-7s%s (file %s, -wal %s; %llu free pages of %llu)\n", what,
	       a, b, w, (unsigned long long)z->free_pages,
	       (unsigned long long)z->page_count);
}

int cmd_vacuum(int argc, char **argv)
{
	int derived = argc == 3 && !strcmp(argv[2], "--derived");
	if (argc != 2 && !derived)
		return cli_usage("vacuum", argc < 2 ? "missing DB"
				 : "unexpected argument '%s'", argv[argc - 1]);
	rl_db *db = cli_open(argv[1]);
	if (!db)
		return EXIT_FAIL;
	rl_vacuum_stats st;
	int rc = rl_vacuum(db, derived, &st);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (derived)
		printf("dropped %llu rows of tokens, vectors and rule hits; "
		       "`revlab run` makes them again\n",
		       (unsigned long long)st.rows_dropped);
	print_size("before", &st.before);
	print_size("after", &st.after);
	rc = EXIT_OK;
out:
	rl_db_close(db);
	return rc;
}
