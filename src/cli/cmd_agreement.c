/*
 * cmd_agreement.c - `revlab agreement DB [--json] [-n N]`: how far the
 * annotators of the hand labels agree: Krippendorff's alpha over all of
 * them and Cohen's kappa for each pair, overall and label by label, and
 * the reviews they answered differently (the first N, 20 by default, in
 * the table; all of them in --json).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An annotator's name as shown: the unnamed one is "(unnamed)". */
static const char *who(const rl_agreement_report *a, uint32_t c)
{
	return *a->annotators[c] ? a->annotators[c] : "(unnamed)";
}

/* A statistic: "-" when undefined. */
static void stat(double x)
{
	if (isnan(x))
		printf("  %6s", "-");
	else
		printf("  %6.3f", x);
}

static void json_num(double x)
{
	if (isnan(x))
		printf("null");
	else
		printf("%.6f", x);
}

static void print_json(const rl_agreement_report *a)
{
	printf("{\"mode\":\"%s\",\"reviews\":%llu,\"shared\":%llu,"
	       "\"answers\":%llu,\"alpha\":", a->multi ? "multi" : "single",
	       (unsigned long long)a->reviews,
	       (unsigned long long)a->shared,
	       (unsigned long long)a->n_answers);
	json_num(a->alpha);
	printf(",\"annotators\":[");
	for (uint32_t c = 0; c < a->n_annotators; c++) {
		printf("%s{\"name\":", c ? "," : "");
		cli_json_str(stdout, a->annotators[c]);
		printf(",\"reviews\":%llu}",
		       (unsigned long long)a->labelled[c]);
	}
	printf("],\"pairs\":[");
	for (uint32_t p = 0; p < a->n_pairs; p++) {
		const rl_agreement_pair *q = &a->pairs[p];
		printf("%s{\"a\":", p ? "," : "");
		cli_json_str(stdout, a->annotators[q->a]);
		printf(",\"b\":");
		cli_json_str(stdout, a->annotators[q->b]);
		printf(",\"reviews\":%llu,\"agree\":%llu,\"kappa\":",
		       (unsigned long long)q->reviews,
		       (unsigned long long)q->agree);
		json_num(q->kappa);
		printf("}");
	}
	printf("],\"labels\":[");
	for (uint32_t j = 0; j < a->n_labels; j++) {
		printf("%s{\"label\":", j ? "," : "");
		cli_json_str(stdout, a->labels[j]);
		printf(",\"alpha\":");
		json_num(a->label_alpha[j]);
		printf(",\"kappa\":[");
		for (uint32_t p = 0; p < a->n_pairs; p++) {
			printf("%s", p ? "," : "");
			json_num(a->label_kappa[(size_t)j * a->n_pairs + p]);
		}
		printf("]}");
	}
	printf("],\"disagreements\":[");
	for (size_t i = 0; i < a->n_disagreements; i++) {
		const rl_disagreement *d = &a->disagreements[i];
		printf("%s{\"id\":", i ? "," : "");
		cli_json_str(stdout, d->id);
		printf(",\"resolved\":");
		cli_json_str(stdout, d->resolved);
		printf(",\"answers\":{");
		for (uint32_t k = 0; k < d->n; k++) {
			printf("%s", k ? "," : "");
			cli_json_str(stdout, a->annotators[d->annotators[k]]);
			printf(":");
			cli_json_str(stdout, d->answers[k]);
		}
		printf("}}");
	}
	printf("]}\n");
}

static void print_table(const rl_agreement_report *a, long n)
{
	printf("%llu hand-labelled reviews, %llu labelled by two or more "
	       "of %u annotators (%s-label)\n",
	       (unsigned long long)a->reviews,
	       (unsigned long long)a->shared, a->n_annotators,
	       a->multi ? "multi" : "single");
	printf("Krippendorff's alpha (nominal):");
	stat(a->alpha);
	printf("\n");
	if (a->n_pairs) {
		printf("\npairs (Cohen's kappa on the reviews both "
		       "labelled)\n");
		for (uint32_t p = 0; p < a->n_pairs; p++) {
			const rl_agreement_pair *q = &a->pairs[p];
			printf("  %-12s %-12s %6llu reviews %6llu agree",
			       who(a, q->a), who(a, q->b),
			       (unsigned long long)q->reviews,
			       (unsigned long long)q->agree);
			stat(q->kappa);
			printf("\n");
		}
	}
	printf("\nper label (yes/no)   alpha");
	for (uint32_t p = 0; p < a->n_pairs && p < 6; p++)
		printf("  kappa%u", p + 1);
	printf("\n");
	for (uint32_t j = 0; j < a->n_labels; j++) {
		printf("  %-18s", a->labels[j]);
		stat(a->label_alpha[j]);
		for (uint32_t p = 0; p < a->n_pairs && p < 6; p++)
			stat(a->label_kappa[(size_t)j * a->n_pairs + p]);
		printf("\n");
	}
	if (a->n_pairs > 1)
		printf("  (kappaN is pair N above)\n");
	printf("\n%zu reviews answered differently%s\n",
	       a->n_disagreements, a->n_disagreements ? ":" : "");
	for (size_t i = 0; i < a->n_disagreements && i < (size_t)n; i++) {
		const rl_disagreement *d = &a->disagreements[i];
		printf("  %s -> %s:", d->id, *d->resolved ? d->resolved
							  : "(none)");
		for (uint32_t k = 0; k < d->n; k++)
			printf(" %s=%s", who(a, d->annotators[k]),
			       d->answers[k]);
		printf("\n");
	}
	if (a->n_disagreements > (size_t)n)
		printf("  ... -n shows more\n");
}

int cmd_agreement(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	long n = 20;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			if (cli_parse_count("agreement", argv[++i], 0, &n) !=
			    EXIT_OK)
				return EXIT_USAGE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage("agreement", "unknown option '%s'",
					 argv[i]);
		} else if (!path) {
			path = argv[i];
		} else {
			return cli_usage("agreement", "too many arguments");
		}
	}
	if (!path)
		return cli_usage("agreement", "missing DB");
	rl_db *db = cli_open_as(path, RL_OPEN_READONLY);
	if (!db)
		return EXIT_FAIL;
	rl_agreement_report *a = NULL;
	int rc = rl_agreement(db, &a);
	if (rc == RL_OK && json)
		print_json(a);
	else if (rc == RL_OK)
		print_table(a, n);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_agreement_free(a);
	rl_db_close(db);
	return rc;
}
