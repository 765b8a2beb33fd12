/*
 * cmd_run.c - `revlab run DB`: the whole pipeline that exists, each stage
 * redoing only what its changed inputs need.
 */
#include <string.h>

#include "cli.h"

/* The best cross-validated macro-F1 of the ways that use the graph, and
 * its standard error. */
static double graph_f1(const rl_eval_report *r, double *se)
{
	int best = RL_METHOD_PROPAGATION;
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		if (m != RL_METHOD_RULES && r->methods[m].macro_f1 >
					    r->methods[best].macro_f1)
			best = m;
	*se = rl_eval_se(r->methods[best].accuracy, r->seeds);
	return r->methods[best].macro_f1;
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
 * it normalises to (uniform or the hand labels'; both only when the hand
 * labels are not balanced already), by cross-validation on the hand
 * labels, with naive Bayes as the classifier (the cheapest) when run is
 * to pick that too. The one-standard-error rule decides, in the order
 * uniform shares first (a skewed handful of hand labels says little of
 * the corpus), then the graph's count. RL_EEMPTY when the hand labels are
 * too few to cross-validate. *nb gets the evaluation of the settings
 * taken when it was one with naive Bayes that run would redo, else NULL.
 */
static int choose_propagation(rl_db *db, rl_eval_opts *eo, int quiet,
			      rl_eval_report **nb)
{
	*nb = NULL;
	static const char *const priors[] = { "uniform", "seeds" };
	uint32_t ks[8];
	size_t n_ks = 0, n_priors = 2;
	int rc = rl_neighbour_choices(db, ks, 8, &n_ks);
	if (rc != RL_OK)
		return rc;
	/* A count given is used, up to what the graph has; one choice is
	 * taken, so that no count recorded earlier stays in force. */
	if (n_ks > 0 && eo->prop.neighbours > 0 &&
	    (uint32_t)eo->prop.neighbours < ks[0])
		ks[0] = (uint32_t)eo->prop.neighbours;
	if (eo->prop.neighbours > 0)
		n_ks = n_ks > 0;
	if (n_ks == 1)
		eo->prop.neighbours = (int)ks[0];
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
	double fs[16], ses[16];
	rl_eval_report *rs[16] = { NULL };
	for (size_t p = 0; p < n_priors; p++)
		for (size_t i = 0; i < n_ks; i++) {
			rl_eval_report *r = NULL;
			o.prop.neighbours = (int)ks[i];
			if (open_prior)
				o.prop.class_prior = priors[p];
			if ((rc = rl_eval(db, &o, &r)) != RL_OK) {
				for (size_t q = 0; q < 16; q++)
					rl_eval_report_free(rs[q]);
				return rc;
			}
			/* (after the first evaluation, which fails when
			 * the hand labels are too few) */
			if (!quiet && p + i == 0)
				printf("choose:    propagation's settings, "
				       "each scored by the best "
				       "cross-validated\n           macro-F1 "
				       "of propagation, the %s model and the "
				       "blend:\n", o.model);
			size_t c = p * n_ks + i;
			fs[c] = graph_f1(r, &ses[c]);
			if (!quiet)
				printf("           %3u neighbours, %-7s class "
				       "shares: %.3f (+-%.3f)\n", ks[i],
				       o.prop.class_prior, fs[c], ses[c]);
			rs[c] = r;
		}
	size_t c = rl_one_se(fs, ses, n_priors * n_ks);
	if (!strcmp(eo->model, "auto")) {
		*nb = rs[c];
		rs[c] = NULL;
	}
	for (size_t q = 0; q < 16; q++)
		rl_eval_report_free(rs[q]);
	eo->prop.neighbours = (int)ks[c % n_ks];
	if (open_prior)
		eo->prop.class_prior = priors[c / n_ks];
	if (!quiet)
		printf("           taking %d neighbours, %s class shares: the "
		       "first within one\n           standard error of the "
		       "top\n", eo->prop.neighbours, eo->prop.class_prior);
	return RL_OK;
}

/* Picks the classifier, by the one-standard-error rule in the order of
 * preference for few hand labels: complement NB (made for skewed,
 * short-text training sets), NB (generative models learn faster from few
 * examples), logistic regression (best given many). nb_done, if not NULL,
 * is naive Bayes's evaluation on these settings already (taken over).
 * *er gets the evaluation of the one taken, eo->model its name. */
static int choose_classifier(rl_db *db, rl_eval_opts *eo, int quiet,
			     rl_eval_report *nb_done, rl_eval_report **er)
{
	static const char *const kinds[] = { "cnb", "nb", "logreg" };
	rl_eval_report *rs[3] = { NULL, NULL, NULL };
	double f[3], se[3];
	int rc = RL_OK;
	for (size_t k = 0; rc == RL_OK && k < 3; k++) {
		eo->model = kinds[k];
		if (nb_done && !strcmp(kinds[k], "nb")) {
			rs[k] = nb_done;
			nb_done = NULL;
		} else if ((rc = rl_eval(db, eo, &rs[k])) != RL_OK) {
			break;
		}
		const rl_method_score *m = &rs[k]->methods[RL_METHOD_MODEL];
		if (!quiet)
			printf("classify:  %-6s model macro-F1 %.3f "
			       "(cross-validated)\n", kinds[k], m->macro_f1);
		f[k] = m->macro_f1;
		se[k] = rl_eval_se(m->accuracy, rs[k]->seeds);
	}
	rl_eval_report_free(nb_done);
	size_t best = rc == RL_OK ? rl_one_se(f, se, 3) : 0;
	eo->model = kinds[best];
	*er = rc == RL_OK ? rs[best] : NULL;
	for (size_t k = 0; k < 3; k++)
		if (rs[k] != *er)
			rl_eval_report_free(rs[k]);
	return rc;
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
		rl_eval_report *nb_done = NULL;
		int erc = choose_propagation(db, &eo, quiet, &nb_done);
		if (erc != RL_OK && erc != RL_EEMPTY) {
			rc = cli_fail(db, erc);
			goto out;
		}
		if (erc == RL_EEMPTY) {
			/* reported below, by the evaluation */
		} else if (!strcmp(eo.model, "auto")) {
			erc = choose_classifier(db, &eo, quiet, nb_done, &er);
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
				printf("choose:    %s%s%s (cross-validated "
				       "macro-F1 %.3f%s); labelling with it",
				       rl_method_name(er->best),
				       with_model ? " " : "",
				       with_model ? eo.model : "",
				       er->methods[er->best].macro_f1,
				       er->best == er->top ? ", the top"
				       : ", within one standard error of the "
					 "top");
				if (er->best != RL_METHOD_RULES &&
				    eo.prop.neighbours > 0)
					printf("\n           (%d neighbours "
					       "per review, %s class shares)",
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
