/*
 * cmd_eval.c - `revlab eval DB [--folds K] [--json]`: cross-validation on
 * the hand labels of every way of combining evidence, and of two
 * baselines beside them, seeds held out of every step that is scored.
 * The report is kept in the store's evals table, which `revlab report`
 * draws from.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A multi-label store's scores: per method micro-F1, exact match,
 * Hamming loss and labels per review given against hand-labelled; then
 * each label's F1 and threshold under the chosen method. */
static void print_multi(const rl_eval_report *r, FILE *out)
{
	fprintf(out, "  %-12s %9s %9s %9s %9s %9s\n", "method", "macro-F1",
		"micro-F1", "exact", "hamming", "labels");
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		const rl_multi_score *s = &r->multi_scores[m];
		if (m == RL_METHOD_CANDIDATES)
			fprintf(out, "  %.62s\n", "- - - - - - - - - - - - - - "
				"- - - - - - - - - - - - - - - - - - - - - - -");
		fprintf(out, "  %-12s %9.3f %9.3f %9.3f %9.3f %4.2f/%-4.2f%s\n",
			rl_method_name((rl_method)m), r->methods[m].macro_f1,
			s->micro_f1, r->methods[m].accuracy, s->hamming,
			s->cardinality, s->gold_cardinality,
			(rl_method)m == r->best ? "  <- chosen"
			: m >= RL_METHOD_CANDIDATES ? "  (baseline)" : "");
	}
	fprintf(out, "  (labels: per held-out review, given/hand-labelled; "
		"exact: all of a review's\n  labels right; each fold decided "
		"with thresholds chosen on the other folds)\n");
	fprintf(out, "  per label under %s:\n    %-40s %6s %6s %6s %9s\n",
		rl_method_name(r->best), "label", "prec.", "recall", "F1",
		"threshold");
	for (uint32_t l = 0; l < r->n_labels; l++)
		fprintf(out, "    %-40.40s %6.3f %6.3f %6.3f %9.3f\n",
			r->labels[l], r->methods[r->best].precision[l],
			r->methods[r->best].recall[l],
			r->methods[r->best].f1[l],
			r->multi_scores[r->best].threshold[l]);
}

void cli_print_eval(const rl_eval_report *r, FILE *out)
{
	fprintf(out, "cross-validation on %llu %shand labels, %u folds; each "
		"fold's seeds hidden from rule\nquality, propagation and "
		"training before they are predicted:\n",
		(unsigned long long)r->seeds,
		r->multi ? "reviews with " : "", r->folds);
	if (r->sampled < r->reviews)
		fprintf(out, "(on %llu of the corpus's %llu reviews: the "
			"hand-labelled ones, their neighbourhood\nin the graph "
			"and an even draw of the rest)\n",
			(unsigned long long)r->sampled,
			(unsigned long long)r->reviews);
	if (r->multi) {
		print_multi(r, out);
		if (r->best != r->top)
			fprintf(out, "  (%s has the top macro-F1, but %s is "
				"within one standard error (%.3f) of it,\n  the "
				"first of those in the order model, blend, "
				"propagation, rules)\n",
				rl_method_name(r->top),
				rl_method_name(r->best), r->se);
		return;
	}
	fprintf(out, "  %-12s %9s %9s %9s %12s\n", "method", "macro-F1",
		"accuracy", "coverage", "calib. err.");
	/* The candidates, then under a line the baselines, never chosen. */
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		if (m == RL_METHOD_CANDIDATES)
			fprintf(out, "  %.55s\n", "- - - - - - - - - - - - - - "
				"- - - - - - - - - - - - - - - - - - - -");
		fprintf(out, "  %-12s %9.3f %9.3f %8.1f%% %12.3f%s\n",
			rl_method_name((rl_method)m),
			r->methods[m].macro_f1, r->methods[m].accuracy,
			100 * r->methods[m].coverage, r->methods[m].ece,
			(rl_method)m == r->best ? "  <- chosen"
			: m >= RL_METHOD_CANDIDATES ? "  (baseline)" : "");
	}
	/* What the pipeline adds: the chosen method against the better
	 * baseline. */
	int base = r->methods[RL_METHOD_SEEDS].macro_f1 >
		   r->methods[RL_METHOD_MAJORITY].macro_f1
		   ? RL_METHOD_SEEDS : RL_METHOD_MAJORITY;
	double gain = r->methods[r->best].macro_f1 -
		      r->methods[base].macro_f1;
	fprintf(out, "  baselines, never chosen: majority is one vote per "
		"matching rule, nothing\n  learned; seeds-only is the %s "
		"classifier trained on the hand labels alone\n",
		rl_classifier_name(r->model));
	fprintf(out, "  what the pipeline adds: %s's macro-F1 minus the better "
		"baseline's\n  (%s) is %+.3f; one standard error is %.3f\n",
		rl_method_name(r->best), rl_method_name((rl_method)base),
		gain, r->se);
	fprintf(out, "  model calibrated by temperature %.3g, fitted on its "
		"held-out predictions:\n  calibration error %.3f -> %.3f "
		"(the second on the same predictions, so optimistic)\n",
		r->temperature, r->methods[RL_METHOD_MODEL].ece,
		r->model_ece_calibrated);
	if (r->best != r->top)
		fprintf(out, "  (%s has the top macro-F1, but %s is within one "
			"standard error (%.3f) of it,\n  the first of those in "
			"the order model, blend, propagation, rules: with these "
			"few hand labels the difference is noise)\n",
			rl_method_name(r->top),
			rl_method_name(r->best), r->se);
	if (r->min_per_label < 5)
		fprintf(out, "warning: a label has only %u hand labels; with "
			"fewer than 5 per label these\nnumbers say little\n",
			r->min_per_label);
}

/* Macro-F1 of every method against the number of seeds per label each
 * fold trained on (the held-out seeds were the same for every size). */
static void print_curve(const rl_eval_report *r)
{
	printf("learning curve: macro-F1 on held-out seeds against the seeds "
	       "per label trained on\n%8s", "seeds");
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		char name[24];
		snprintf(name, sizeof name, "%s%s", rl_method_name((rl_method)m),
			 m >= RL_METHOD_CANDIDATES ? "*" : "");
		printf(" %12s", name);
	}
	printf("\n");
	for (size_t i = 0; i < r->n_curve; i++) {
		printf("%8u", r->curve[i].per_label);
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			printf(" %12.3f", r->curve[i].macro_f1[m]);
		printf("\n");
	}
	printf("(* a baseline, never chosen)\n");
}

int cmd_eval(int argc, char **argv)
{
	rl_eval_opts o;
	rl_eval_opts_init(&o);
	int json = 0, want_curve = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--curve")) {
			want_curve = 1;
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			const char *a = argv[++i];
			if (!strncmp(a, "train.", 6))
				a += 6;
			if (!strncmp(a, "propagate.", 10)) {
				if (rl_propagate_opts_set(&o.prop, a + 10) !=
				    RL_OK)
					return cli_usage("eval", "bad parameter "
							 "'%s'", argv[i]);
			} else if (rl_eval_opts_set(&o, a) != RL_OK) {
				return cli_usage("eval", "bad parameter '%s'",
						 argv[i]);
			}
		} else if (!strcmp(argv[i], "--folds") && i + 1 < argc) {
			char *end;
			o.folds = (int)strtol(argv[++i], &end, 10);
			if (*end || o.folds < 2)
				return cli_usage("eval", "--folds needs a "
						 "number >= 2");
		} else if (argv[i][0] == '-' || path) {
			return cli_usage("eval", "unexpected '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cli_usage("eval", "missing DB");
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_eval_report *r = NULL;
	char *text = NULL;
	o.curve = want_curve;
	int rc = rl_eval(db, &o, &r);
	if (rc == RL_OK && json)
		rc = rl_eval_report_json(r, &text);
	if (rc == RL_OK) {
		if (json) {
			printf("%s\n", text);
		} else {
			if (r->n_curve) {
				print_curve(r);
				printf("\n");
			}
			cli_print_eval(r, stdout);
			const rl_method_score *b = &r->methods[r->best];
			if (!r->multi)
				printf("\nper label (%s):\n",
				       rl_method_name(r->best));
			for (uint32_t l = 0; !r->multi && l < r->n_labels; l++)
				printf("  %-24s P %.3f  R %.3f  F1 %.3f\n",
				       r->labels[l], b->precision[l],
				       b->recall[l], b->f1[l]);
		}
	}
	free(text);
	rl_eval_report_free(r);
	rc = rc == RL_OK ? EXIT_OK : cli_fail(db, rc);
	rl_db_close(db);
	return rc;
}
