/*
 * cmd_model.c - `revlab model save DB FILE [--id N]`: a store's model as
 * one standalone file; `revlab model show FILE`: what such a file holds.
 * `revlab predict --model FILE` labels with it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int model_save(int argc, char **argv)
{
	enum { O_ID = 256 };
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, O_ID },
		{ NULL, 0, NULL, 0 },
	};
	long id = 0;
	char *end;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != O_ID)
			return cli_usage("model", "unknown option '%s'",
					 argv[optind - 1]);
		id = strtol(optarg, &end, 10);
		if (*end || id < 1)
			return cli_usage("model", "bad --id '%s'", optarg);
	}
	if (argc - optind != 2)
		return cli_usage("model", "save expects DB FILE");
	const char *path = argv[optind + 1];
	rl_db *db = cli_open_as(argv[optind], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	rl_model *m = NULL;
	rl_model_info info;
	char err[1024];
	int rc = rl_model_get(db, id, &m);
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if ((rc = rl_model_save(m, path, err, sizeof err)) != RL_OK) {
		cli_error("%s", err);
		rc = EXIT_FAIL;
		goto out;
	}
	rl_model_describe(m, &info);
	struct stat sb;
	long long size = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
	printf("saved:     %s model %lld (%u labels, %u features) to %s, "
	       "%lld bytes\n", info.kind, (long long)info.store_id,
	       info.n_labels, info.n_features, path, size);
	rc = EXIT_OK;
out:
	rl_model_free(m);
	rl_db_close(db);
	return rc;
}

static int model_show(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage("model", "show expects FILE");
	rl_model *m = NULL;
	rl_model_info in;
	char err[1024];
	int rc = rl_model_load(argv[1], &m, err, sizeof err);
	if (rc != RL_OK) {
		cli_error("%s", err);
		return EXIT_FAIL;
	}
	rl_model_describe(m, &in);
	printf("file        %s\n", argv[1]);
	printf("kind        %s\n", in.kind);
	printf("labels      %u:", in.n_labels);
	for (uint32_t l = 0; l < in.n_labels; l++)
		printf("%s %s", l ? "," : "", rl_model_label(m, l));
	printf("\nvocabulary  %u terms, %u features (%s), %s tf\n",
	       in.n_terms, in.n_features, in.ngram_max >= 2
	       ? "words and word pairs" : "words",
	       in.sublinear ? "sublinear" : "raw");
	printf("lsa         %u dimensions\n", in.dim);
	printf("temperature %.4g\n", in.temperature);
	const double *thr = rl_model_thresholds(m);
	if (thr) {
		printf("multi-label thresholds:");
		for (uint32_t l = 0; l < in.n_labels; l++)
			printf("%s %s %.3f", l ? "," : "", rl_model_label(m, l),
			       thr[l]);
		double w = 0;
		size_t nr = rl_model_rules(m, &w);
		printf("\nrules       %zu, their log-odds added at weight %g\n",
		       nr, nr ? w : 0);
	}
	printf("tokenizer   %s: stop words %s, stemming %s, negation %s, "
	       "min_len %d\n", in.language, in.stopwords ? "on" : "off",
	       in.stem ? "on" : "off",
	       in.negation == 2 ? "on, words kept too"
	       : in.negation ? "on" : "off",
	       in.min_len);
	printf("lexicons    carried in the file\n");
	printf("trained     %s, model %lld of its store\n", in.created,
	       (long long)in.store_id);
	printf("made by     revlab %s\n", in.made_by);
	rl_model_free(m);
	return EXIT_OK;
}

int cmd_model(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("model", "expected save or show");
	if (!strcmp(argv[1], "save"))
		return model_save(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return model_show(argc - 1, argv + 1);
	return cli_usage("model", "unknown subcommand '%s'", argv[1]);
}
