/*
 * cmd_import.c - `revlab import DB FILE`: reviews into the store.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void report_bad(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "skipped %s\n", msg);
}

int cmd_import(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_ID, O_TEXT, O_REPLACE, O_SKIP_EXISTING,
	       O_SKIP_BAD, O_MAX };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "id-col", required_argument, NULL, O_ID },
		{ "text-col", required_argument, NULL, O_TEXT },
		{ "replace", no_argument, NULL, O_REPLACE },
		{ "skip-existing", no_argument, NULL, O_SKIP_EXISTING },
		{ "skip-bad", no_argument, NULL, O_SKIP_BAD },
		{ "max-record", required_argument, NULL, O_MAX },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	rl_import_opts o;
	rl_import_opts_init(&o);
	int quiet = 0, replace = 0, skip = 0, c;
	char *end;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (rl_format_parse(optarg, &o.format) != RL_OK)
				return cli_usage("import", "unknown format "
						 "'%s' (csv, tsv or jsonl)",
						 optarg);
			break;
		case O_ID: o.id_col = optarg; break;
		case O_TEXT: o.text_col = optarg; break;
		case O_REPLACE: replace = 1; break;
		case O_SKIP_EXISTING: skip = 1; break;
		case O_SKIP_BAD: o.skip_bad = 1; break;
		case O_MAX:
			errno = 0;
			/* strtoull takes "-1" as its maximum */
			o.max_record = strtoull(optarg, &end, 10);
			if (errno || *end || o.max_record < 16 ||
			    strchr(optarg, '-'))
				return cli_usage("import", "bad --max-record "
						 "'%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		default:
			return cli_usage("import", "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (replace && skip)
		return cli_usage("import", "--replace and --skip-existing "
				 "exclude each other");
	o.existing = replace ? RL_EXISTING_REPLACE
			     : skip ? RL_EXISTING_SKIP : RL_EXISTING_ERROR;
	if (argc - optind != 2)
		return cli_usage("import", argc - optind < 2
				 ? "missing DB or FILE" : "too many arguments");
	const char *path = argv[optind], *file = argv[optind + 1];
	int is_stdin = !strcmp(file, "-");
	if (is_stdin && o.format == RL_FORMAT_AUTO)
		return cli_usage("import", "reading stdin needs --format");
	if (o.format == RL_FORMAT_AUTO &&
	    rl_format_from_name(file) == RL_FORMAT_AUTO)
		return cli_usage("import", "%s: cannot tell the format from "
				 "the name; give --format csv, tsv or jsonl",
				 file);

	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	o.progress = cli_progress_cb;
	o.report = report_bad;
	o.ctx = &prog;
	rl_import_stats st;
	int rc = is_stdin ? rl_import_stream(db, stdin, "stdin", &o, &st)
			  : rl_import_file(db, file, &o, &st);
	cli_progress_end(&prog);
	if (rc != RL_OK) {
		/* The library names what to do in its own terms; say it
		 * with this command's options. */
		const char *msg = rl_db_errmsg(db);
		rc = cli_fail(db, rc);
		if (strstr(msg, "already in the store"))
			fprintf(stderr, "revlab: --replace or --skip-existing "
				"to go on\n");
		else if (strstr(msg, "name the id column"))
			fprintf(stderr, "revlab: name it with --id-col\n");
		else if (strstr(msg, "name the text column"))
			fprintf(stderr, "revlab: name it with --text-col\n");
		fprintf(stderr, "revlab: nothing imported; the store is "
			"unchanged\n");
		rl_db_close(db);
		return rc;
	}
	if (!quiet)
		printf("%s: %llu rows read, %llu imported, %llu replaced, "
		       "%llu skipped (existing), %llu bad\n",
		       is_stdin ? "stdin" : file,
		       (unsigned long long)st.rows,
		       (unsigned long long)st.imported,
		       (unsigned long long)st.replaced,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.bad);
	rl_db_close(db);
	return EXIT_OK;
}
