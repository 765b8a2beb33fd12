/*
 * cmd_report.c - `revlab report DB [-o FILE] [--title T] [--samples N]`:
 * the store as one self-contained HTML page, written atomically.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_report(int argc, char **argv)
{
	rl_report_opts o;
	rl_report_opts_init(&o);
	const char *path = NULL, *out = NULL;
	int quiet = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--title") && i + 1 < argc) {
			o.title = argv[++i];
		} else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || n < 0 || n > 1000)
				return cli_usage("report", "--samples takes "
						 "0 to 1000");
			o.samples = (int)n;
		} else if (!strcmp(argv[i], "-q") ||
			   !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (argv[i][0] == '-' || path) {
			return cli_usage("report", "unexpected '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cli_usage("report", "missing DB");
	if (!out)
		return cli_usage("report", "missing -o FILE ('-' for stdout)");
	rl_db *db = cli_open_as(path, RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	int rc = !strcmp(out, "-") ? rl_report_write(db, &o, stdout)
				   : rl_report_file(db, &o, out);
	if (rc == RL_OK && !quiet && strcmp(out, "-"))
		fprintf(stderr, "report written to %s\n", out);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
