/*
 * cmd_suggest.c - `revlab suggest DB [LABEL] [-n N]`: words and word
 * pairs that separate a label from the rest, as ready rule lines.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int print_one(void *ctx, const rl_suggestion *s)
{
	const char **last = ctx;
	if (!*last || strcmp(*last, s->label)) {
		printf("# %s: term, z-score, reviews matched, precision on "
		       "hand labels\n", s->label);
		free((void *)*last);
		*last = strdup(s->label);
	}
	char prec[48] = "-";
	if (s->seed_hits)
		snprintf(prec, sizeof prec, "%.2f (%llu/%llu)",
			 (double)s->seed_correct / (double)s->seed_hits,
			 (unsigned long long)s->seed_correct,
			 (unsigned long long)s->seed_hits);
	printf("%s\t%s\t# %s  z %.2f  covers %llu  precision %s\n", s->label,
	       s->pattern, s->term, s->score,
	       (unsigned long long)s->coverage, prec);
	return 0;
}

int cmd_suggest(int argc, char **argv)
{
	rl_suggest_opts o;
	rl_suggest_opts_init(&o);
	const char *args[2];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			char *end;
			o.per_label = (int)strtol(argv[++i], &end, 10);
			if (*end || o.per_label < 1)
				return cli_usage("suggest", "bad -n '%s'",
						 argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage("suggest", "unknown option '%s'",
					 argv[i]);
		} else if (n < 2) {
			args[n++] = argv[i];
		} else {
			return cli_usage("suggest", "too many arguments");
		}
	}
	if (n < 1)
		return cli_usage("suggest", "missing DB");
	rl_db *db = cli_open(args[0]);
	if (!db)
		return EXIT_FAIL;
	const char *last = NULL;
	int rc = rl_suggest(db, n == 2 ? args[1] : NULL, &o, print_one,
			    &last);
	free((void *)last);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
