/*
 * cmd_predict.c - `revlab predict DB FILE [--format F] [--id-col C]
 * [--text-col C] [--model ID] [--top K]`: label reviews that are not in
 * the corpus; writes id<TAB>label<TAB>confidence lines with a header.
 * `revlab predict --model MODEL FILE ...` does the same with a model file
 * (`revlab model save`) and no store.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void tsv_field(const char *s)
{
	/* TSV has no quoting: tabs and line breaks inside become spaces. */
	for (; *s; s++)
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

typedef struct printer {
	long top;
	int header_done;
	int multi;	/* a multi-label model: labels and confidences
			   joined by '|', as export writes them */
} printer;

/* The header waits for the first prediction: a bad file prints
 * nothing, and its columns match the labels the model has. */
static void header(printer *pr, long n)
{
	if (pr->header_done)
		return;
	pr->header_done = 1;
	if (pr->multi) {
		printf("id\tlabels\tconfidences\n");
		return;
	}
	printf("id");
	for (long i = 0; i < n; i++)
		printf(i ? "\tlabel%ld\tconfidence%ld" : "\tlabel\tconfidence",
		       i + 1, i + 1);
	printf("\n");
}

static int print_one(void *ctx, const rl_prediction *p)
{
	const printer *pr = ctx;
	header(ctx, p->n);
	tsv_field(p->id);
	if (pr->multi) {
		for (int i = 0; i < p->n; i++) {
			putchar(i ? '|' : '\t');
			tsv_field(p->labels[i]);
		}
		for (int i = 0; i < p->n; i++)
			printf("%c%.4f", i ? '|' : '\t', p->confidence[i]);
		putchar('\n');
		return 0;
	}
	for (int i = 0; i < p->n; i++) {
		putchar('\t');
		tsv_field(p->labels[i]);
		printf("\t%.4f", p->confidence[i]);
	}
	putchar('\n');
	return 0;
}

/* The file to read: "-" is stdin, which needs a format. NULL after
 * saying why. */
static const char *input(const char *file, const rl_import_opts *io)
{
	if (!strcmp(file, "-"))
		file = "/dev/stdin";
	if (!strcmp(file, "/dev/stdin") && io->format == RL_FORMAT_AUTO) {
		cli_usage("predict", "reading stdin needs --format");
		return NULL;
	}
	return file;
}

static int done(int rc)
{
	if (rc == RL_OK && (fflush(stdout) != 0 || ferror(stdout))) {
		cli_error("stdout: write error");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* predict --model MODEL FILE: the model file, no store. */
static int predict_with_file(const char *model_file, int argc, char **argv,
			     const rl_import_opts *io, long top)
{
	if (argc - optind != 1)
		return cli_usage("predict", "--model %s takes one FILE and no "
				 "DB", model_file);
	const char *file = input(argv[optind], io);
	if (!file)
		return EXIT_USAGE;
	rl_model *m = NULL;
	char err[1024] = "";
	int rc = rl_model_load(model_file, &m, err, sizeof err);
	if (rc == RL_OK && rl_model_thresholds(m) && top != 1) {
		rl_model_free(m);
		return cli_usage("predict", "--top does not apply to a "
				 "multi-label model: every label that reaches "
				 "its threshold is printed");
	}
	if (rc == RL_OK) {
		printer pr = { top, 0, rl_model_thresholds(m) != NULL };
		rc = rl_predict_file_model(m, file, io, (int)top, print_one,
					   &pr, NULL, err, sizeof err);
		if (rc == RL_OK)
			header(&pr, top);
	}
	rl_model_free(m);
	if (rc != RL_OK) {
		cli_error("%s", *err ? err : rl_strerror(rc));
		return rc == RL_EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	return done(rc);
}

int cmd_predict(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_ID, O_TEXT, O_MODEL, O_TOP };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "id-col", required_argument, NULL, O_ID },
		{ "text-col", required_argument, NULL, O_TEXT },
		{ "model", required_argument, NULL, O_MODEL },
		{ "top", required_argument, NULL, O_TOP },
		{ NULL, 0, NULL, 0 },
	};
	rl_import_opts io;
	rl_import_opts_init(&io);
	long model = 0, top = 1;
	const char *model_file = NULL;
	char *end;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (rl_format_parse(optarg, &io.format) != RL_OK)
				return cli_usage("predict", "unknown format "
						 "'%s'", optarg);
			break;
		case O_ID: io.id_col = optarg; break;
		case O_TEXT: io.text_col = optarg; break;
		case O_MODEL:
			/* Digits are a stored model's id; anything else
			 * names a model file (./12 for a file named 12). */
			if (optarg[strspn(optarg, "0123456789")]) {
				model_file = optarg;
				model = 0;
				break;
			}
			model_file = NULL;
			model = strtol(optarg, &end, 10);
			if (*end || model < 1)
				return cli_usage("predict", "bad --model '%s'",
						 optarg);
			break;
		case O_TOP:
			top = strtol(optarg, &end, 10);
			if (*end || top < 1 || top > 16)
				return cli_usage("predict", "--top takes 1 "
						 "to 16");
			break;
		default:
			return cli_usage("predict", "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (model_file)
		return predict_with_file(model_file, argc, argv, &io, top);
	if (argc - optind == 1) {
		/* The corpus itself: the model's stored predictions. */
		if (top != 1)
			return cli_usage("predict", "--top needs a FILE; the "
					 "store keeps the top label only");
		rl_db *db = cli_open_as(argv[optind], RL_OPEN_READONLY);
		if (!db)
			return EXIT_FAIL;
		printer pr = { 1, 0, rl_db_multi_label(db) };
		int rc = rl_predictions(db, model, print_one, &pr);
		if (rc == RL_OK)
			header(&pr, 1);
		rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
		rl_db_close(db);
		return rc;
	}
	if (argc - optind != 2)
		return cli_usage("predict", "expected DB [FILE]");
	const char *file = input(argv[optind + 1], &io);
	if (!file)
		return EXIT_USAGE;
	rl_db *db = cli_open_as(argv[optind], RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	if (rl_db_multi_label(db) && top != 1) {
		rl_db_close(db);
		return cli_usage("predict", "--top does not apply to a "
				 "multi-label store: every label that reaches "
				 "its threshold is printed");
	}
	printer pr = { top, 0, rl_db_multi_label(db) };
	uint64_t n = 0;
	int rc = rl_predict_file(db, file, &io, model, (int)top, print_one,
				 &pr, &n);
	if (rc == RL_OK)
		header(&pr, top);
	rc = rc == RL_OK ? done(rc) : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
