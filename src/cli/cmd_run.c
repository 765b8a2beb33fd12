/*
 * cmd_run.c - `revlab run DB`: the whole pipeline that exists, each stage
 * redoing only what its changed inputs need.
 */
#include <string.h>

#include "cli.h"

/* The best cross-validated macro-F1 of the ways that use the graph. */
static double graph_f1(const rl_eval_report *r)
{
	double best = 0;
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		if (m != RL_METHOD_RULES && r->methods[m].macro_f1 > best)
			best = r->methods[m].macro_f1;
	return best;
}

/* The fewest and most hand and cluster-named labels of any label. */
typedef struct label_span {
	uint64_t lo, hi;
	int any;
} label_span;

static int on_label_span(void *ctx, const rl_label_info *l)
{
	label_span *s = ctx;
	uint64_t c = l->seeds + l->cluster;
	if (!s->any || c < s->lo)
		s->lo = c;
	if (!s->any || c > s->hi)
		s->hi = c;
	s->any = 1;
	return 0;
}

/* Picks what propagation uses and the user left open: the neighbours
 * per review (the graph's, or 5, 10, ... below it) and the class shares
 * it normalises to (the hand labels' or uniform), by cross-validation on
 * the hand labels (the two shares only when the hand labels are not
 * balanced already), with naive Bayes as the classifier (the cheapest) when
 * run is to pick that too. Ties keep the earlier candidate: the graph's
 * count, the seeds' shares. RL_EEMPTY when the hand labels are too few
 * to cross-validate. */
static int choose_propagation(rl_db *db, rl_eval_opts *eo, int quiet)
{
	static const char *const priors[] = { "seeds", "uniform" };
	uint32_t ks[8];
	size_t n_ks = 0, n_priors = 2;
	int rc = rl_neighbour_choices(db, ks, 8, &n_ks);
	if (rc != RL_OK)
		return rc;
	if (eo->prop.neighbours > 0) {
		ks[0] = (uint32_t)eo->prop.neighbours;
		n_ks = 1;
	}
	int open_prior = !strcmp(eo->prop.class_prior, "auto");
	/* With as many hand labels for every label, the two are one. */
	label_span span = { 0 };
	if ((rc = rl_labels(db, on_label_span, &span)) != RL_OK)
		return rc;
	if (!open_prior || span.lo == span.hi)
		n_priors = 1;
	if (n_ks * n_priors < 2) {
		if (open_prior)
			eo->prop.class_prior = priors[0];
		return RL_OK;
	}
	rl_eval_opts o = *eo;
	if (!strcmp(o.model, "auto"))
		o.model = "nb";
	double best = -1;
	size_t best_k = 0, best_p = 0;
	if (!quiet)
		printf("choose:    propagation's settings, by the best "
		       "cross-validated macro-F1\n           of propagation, "
		       "the %s model and the blend:\n", o.model);
	for (size_t p = 0; p < n_priors; p++)
		for (size_t i = 0; i < n_ks; i++) {
			rl_eval_report *r = NULL;
			o.prop.neighbours = (int)ks[i];
			if (open_prior)
				o.prop.class_prior = priors[p];
			if ((rc = rl_eval(db, &o, &r)) != RL_OK)
				return rc;
			double f = graph_f1(r);
			if (!quiet)
				printf("           %3u neighbours, %-7s class "
				       "shares: %.3f\n", ks[i],
				       o.prop.class_prior, f);
			rl_eval_report_free(r);
			if (f > best + 1e-12) {
				best = f;
				best_k = i;
				best_p = p;
			}
		}
	eo->prop.neighbours = (int)ks[best_k];
	if (open_prior)
		eo->prop.class_prior = priors[best_p];
	return RL_OK;
}

int cmd_run(int argc, char **argv)
{
	cli_stages st;
	int quiet = 0;
	const char *path;
	int rc = cli_stage_args("run", argc, argv, &st, &quiet, &path);
	if (rc != EXIT_OK)
		return rc;
	rl_db *db = cli_open(path);
	if (!db)
		return EXIT_FAIL;
	rl_stats stats;
	if ((rc = rl_stats_get(db, &stats)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (stats.reviews == 0) {
		cli_error("%s: no reviews; import some with `revlab import "
			  "%s FILE`", path, path);
		rc = EXIT_FAIL;
		goto out;
	}
	cli_progress prog;
	cli_progress_init(&prog, quiet);
	if ((rc = cli_tokenize(db, &st, &prog)) != EXIT_OK ||
	    (rc = cli_vectorize(db, &st, &prog)) != EXIT_OK ||
	    (rc = cli_graph(db, &st, &prog)) != EXIT_OK)
		goto out;
	rl_rules_stats rs;
	if ((rc = rl_rules_apply(db, NULL, &rs)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (!quiet)
		printf("rules:     %llu new reviews matched against %llu rules, "
		       "%llu hits\n", (unsigned long long)rs.reviews,
		       (unsigned long long)rs.rules,
		       (unsigned long long)rs.hits);
	if ((rc = rl_stats_get(db, &stats)) != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (stats.seeds == 0 && stats.cluster_seeds == 0) {
		if (!quiet)
			printf("propagate: skipped: no hand labels yet (revlab "
			       "seed / label)\n");
	} else if ((rc = cli_propagate(db, &st, &prog)) != EXIT_OK) {
		goto out;
	} else {
		/* Pick the way of combining evidence by cross-validation on
		 * the hand labels, and label with it. */
		rl_eval_opts eo = st.train;
		eo.prop = st.prop;
		eo.prop.progress = NULL;
		/* Only the evaluation the choice rests on is kept. */
		eo.save = 0;
		rl_eval_report *er = NULL;
		int erc = choose_propagation(db, &eo, quiet);
		if (erc != RL_OK && erc != RL_EEMPTY) {
			rc = cli_fail(db, erc);
			goto out;
		}
		if (erc == RL_EEMPTY) {
			/* reported below, by the evaluation */
		} else if (!strcmp(eo.model, "auto")) {
			/* The classifier is chosen like the method: by
			 * cross-validated macro-F1, on the same folds. */
			static const char *const kinds[] = { "logreg", "nb",
							     "cnb" };
			size_t best_k = 0;
			erc = RL_OK;
			for (size_t k = 0; erc == RL_OK && k < 3; k++) {
				rl_eval_report *r = NULL;
				eo.model = kinds[k];
				erc = rl_eval(db, &eo, &r);
				if (erc != RL_OK)
					break;
				if (!quiet)
					printf("classify:  %-6s model macro-F1 "
					       "%.3f (cross-validated)\n",
					       kinds[k], r->methods[
					       RL_METHOD_MODEL].macro_f1);
				if (!er || r->methods[RL_METHOD_MODEL].macro_f1 >
					   er->methods[RL_METHOD_MODEL].macro_f1 +
					   1e-12) {
					rl_eval_report_free(er);
					er = r;
					best_k = k;
				} else {
					rl_eval_report_free(r);
				}
			}
			eo.model = kinds[best_k];
			if (erc != RL_OK) {
				rl_eval_report_free(er);
				er = NULL;
			}
		} else {
			erc = rl_eval(db, &eo, &er);
		}
		if (erc == RL_EEMPTY) {
			if (!quiet)
				printf("choose:    too few hand labels to "
				       "cross-validate; keeping propagation "
				       "(%s)\n", rl_db_errmsg(db));
			/* predict still gets a model. */
			if ((erc = rl_train(db, &eo)) != RL_OK) {
				rc = cli_fail(db, erc);
				goto out;
			}
		} else if (erc != RL_OK ||
			   (erc = rl_eval_save(db, er)) != RL_OK) {
			rl_eval_report_free(er);
			rc = cli_fail(db, erc);
			goto out;
		} else {
			uint64_t n = 0;
			if (!quiet) {
				printf("\n");
				cli_print_eval(er, stdout);
				int with_model = er->best == RL_METHOD_MODEL ||
						 er->best == RL_METHOD_BLEND;
				printf("choose:    %s%s%s has the best "
				       "cross-validated macro-F1 (%.3f); "
				       "labelling with it", rl_method_name(
				       er->best), with_model ? " " : "",
				       with_model ? eo.model : "",
				       er->methods[er->best].macro_f1);
				if (er->best != RL_METHOD_RULES &&
				    eo.prop.neighbours > 0)
					printf("\n           (%d neighbours per "
					       "review, %s class shares)",
					       eo.prop.neighbours,
					       eo.prop.class_prior);
				printf("\n");
			}
			rl_method best = er->best;
			/* The model's probabilities are calibrated by the
			 * temperature fitted on its held-out predictions. */
			eo.temperature = er->temperature;
			eo.progress = cli_progress_cb;
			eo.ctx = &prog;
			double t0 = cli_now();
			erc = rl_label_with(db, best, &eo, &n);
			rl_eval_report_free(er);
			/* predict needs a model even when it did not win. */
			if (erc == RL_OK && best != RL_METHOD_MODEL &&
			    best != RL_METHOD_BLEND)
				erc = rl_train(db, &eo);
			cli_progress_end(&prog);
			if (erc != RL_OK) {
				rc = cli_fail(db, erc);
				goto out;
			}
			if (!quiet)
				printf("label:     %llu reviews labelled, model "
				       "stored (%.2f s)\n",
				       (unsigned long long)n, cli_now() - t0);
		}
	}
	if (!quiet) {
		printf("\n");
		if ((rc = cli_print_stats(db, stdout)) != RL_OK) {
			rc = cli_fail(db, rc);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	rl_db_close(db);
	return rc;
}
