/*
 * cmd_run.c - `revlab run DB`: the whole pipeline that exists (rl_run),
 * each stage redoing only what its changed inputs need. This file parses
 * the options and prints what the library did and chose, as it happens.
 */
#include <string.h>

#include "cli.h"

/* The class shares as the lines below name them. */
static const char *shares(rl_prior p)
{
	return p == RL_PRIOR_NONE ? "its own" : rl_prior_name(p);
}

static void print_settings(const rl_run_report *r)
{
	printf("choose:    propagation's settings, each scored by the best "
	       "cross-validated\n           macro-F1 of propagation, the %s "
	       "model and the blend:\n", rl_classifier_name(r->settings_model));
	for (size_t c = 0; c < r->n_settings; c++)
		printf("           %3d neighbours, %-7s class shares: %.3f "
		       "(+-%.3f)\n", r->settings[c].neighbours,
		       shares(r->settings[c].class_prior),
		       r->settings[c].macro_f1,
		       r->settings[c].se);
	printf("           taking %d neighbours, %s class shares: the first "
	       "within one\n           standard error of the top\n",
	       r->neighbours, shares(r->class_prior));
}

/* What the steps' lines need besides the report: the progress line
 * (first, so the same pointer serves cli_progress_cb) and the share of
 * its own labels the classifier is trained again on
 * (rl_eval_opts.self_train), as this run was given it. */
typedef struct run_out {
	cli_progress prog;
	double self_train;
} run_out;

/* The line naming the labels no rule votes for, opened by the first,
 * wrapped at 79 columns under an 11-column indent and cut short after
 * `max` of them (the caller adds "and N more"): rl_labels_unruled's
 * callback. */
typedef struct unruled {
	size_t n, max, col;
} unruled;

static int on_unruled(void *ctx, const char *name)
{
	unruled *u = ctx;
	size_t len = strlen(name);
	if (u->n == 0) {
		printf("rules:     no rule votes for %s", name);
		u->col = 30 + len;
	} else if (u->n < u->max) {
		int wrap = u->col + 2 + len > 79;
		printf(wrap ? ",\n           %s" : ", %s", name);
		u->col = (wrap ? 11 : u->col + 2) + len;
	}
	u->n++;
	return 0;
}

/* Rules were the strongest evidence on the development suite (README,
 * "How well it labels"): after a run, a store with none is told so, and
 * one with labels no rule votes for has them named (nothing when every
 * label has a rule). Read after rl_run returns: its step callback must
 * not use the handle. */
static void print_unruled(rl_db *db, const char *path,
			  const rl_run_report *r)
{
	if (!r->ran[RL_STEP_RULES])
		return;
	if (r->rules.rules == 0) {
		printf("rules:     none: a rule for every label, even a loose "
		       "one, was the strongest\n           evidence on the "
		       "development suite; `revlab suggest %s LABEL`\n"
		       "           ranks words by its hand labels\n", path);
		return;
	}
	unruled u = { .n = 0, .max = 12, .col = 0 };
	int rc = rl_labels_unruled(db, on_unruled, &u);
	if (u.n == 0)
		return;
	if (rc == RL_OK && u.n > u.max)
		printf(" and %zu more", u.n - u.max);
	printf("\n           (a rule for every label was the strongest "
	       "evidence on the\n           development suite; `revlab "
	       "suggest %s LABEL` ranks words\n           by its hand "
	       "labels)\n", path);
}

static void print_label(const rl_run_report *r, double self_train)
{
	const rl_eval_report *er = r->eval;
	int with_model = r->method == RL_METHOD_MODEL ||
			 r->method == RL_METHOD_BLEND;
	if (r->reused) {
		printf("choose:    reusing the choice of %s: hand labels, "
		       "rules and settings\n           unchanged: %s%s%s",
		       r->reused_when, rl_method_name(r->method),
		       with_model ? " " : "",
		       with_model ? rl_classifier_name(r->model) : "");
		if (r->method != RL_METHOD_RULES && r->neighbours > 0)
			printf(" (%d neighbours per review, %s class shares)",
			       r->neighbours, shares(r->class_prior));
		printf("\n");
		if (r->new_only && r->method == RL_METHOD_MODEL)
			printf("label:     %llu new reviews labelled by the "
			       "stored model (%.2f s)\n",
			       (unsigned long long)r->labelled,
			       r->seconds[RL_STEP_LABEL]);
		else if (r->new_only)
			printf("label:     %llu reviews labelled again (new, "
			       "neighbours changed or propagation\n"
			       "           moved), started from the stored "
			       "spread; the rest kept (%.2f s)\n",
			       (unsigned long long)r->labelled,
			       r->seconds[RL_STEP_LABEL]);
		else
			printf("label:     %llu reviews labelled%s (%.2f s)\n",
			       (unsigned long long)r->labelled,
			       r->model_stored ? ", model stored" : "",
			       r->seconds[RL_STEP_LABEL]);
		return;
	}
	if (!er) {
		printf("choose:    too few hand labels to cross-validate; "
		       "keeping propagation (%s)\n", r->why_not);
		return;
	}
	if (r->model == RL_CLASSIFIER_POOL && !er->multi)
		printf("classify:  pool: logistic regression, naive Bayes and "
		       "complement NB as one\n           model, the default "
		       "of a single-label store (picking one of them\n"
		       "           on a few hand labels lost to it on the "
		       "development suite)\n");
	if (r->model == RL_CLASSIFIER_POOL && !er->multi && self_train > 0)
		printf("           trained on propagation's labels, then again "
		       "on a mix of those\n           and its own labels of "
		       "the same reviews, %.0f%% its own (self-training;\n"
		       "           -p self_train=0 trains once)\n",
		       100 * self_train);
	if (r->model == RL_CLASSIFIER_LOGREG && er->multi &&
	    r->n_classifiers == 0)
		printf("classify:  logistic regression, one against the rest "
		       "per label, the default\n           of a multi-label "
		       "store (picking one of three on a few hand labels\n"
		       "           lost to it on the development suite); "
		       "each label's threshold\n           fitted on the hand "
		       "labels weighted to its share in the corpus\n");
	printf("\n");
	cli_print_eval(er, stdout);
	printf("choose:    %s%s%s (cross-validated macro-F1 %.3f%s); "
	       "labelling with it", rl_method_name(r->method),
	       with_model ? " " : "",
	       with_model ? rl_classifier_name(r->model) : "",
	       er->methods[r->method].macro_f1,
	       r->method == er->top ? ", the top"
	       : ", within one standard error of the top");
	if (r->method != RL_METHOD_RULES && r->neighbours > 0)
		printf("\n           (%d neighbours per review, %s class "
		       "shares)", r->neighbours, shares(r->class_prior));
	printf("\n");
	printf("label:     %llu reviews labelled, model stored (%.2f s)\n",
	       (unsigned long long)r->labelled, r->seconds[RL_STEP_LABEL]);
}

/* After each step: the progress line cleared, the step's line. */
static void on_step(void *ctx, rl_run_step step, const rl_run_report *r)
{
	run_out *out = ctx;
	cli_progress *prog = &out->prog;
	cli_progress_end(prog);
	if (prog->quiet)
		return;
	double sec = r->seconds[step];
	switch (step) {
	case RL_STEP_TOKENIZE:
		cli_print_tokenize(&r->tokenize, sec);
		break;
	case RL_STEP_VECTORIZE:
		cli_print_vectorize(&r->vectorize, r->dim, sec);
		break;
	case RL_STEP_GRAPH:
		cli_print_graph(&r->graph, r->graph_k, sec);
		break;
	case RL_STEP_RULES:
		printf("rules:     %llu new reviews matched against %llu "
		       "rules, %llu hits\n",
		       (unsigned long long)r->rules.reviews,
		       (unsigned long long)r->rules.rules,
		       (unsigned long long)r->rules.hits);
		break;
	case RL_STEP_PROPAGATE:
		cli_print_propagate(&r->propagate, sec);
		break;
	case RL_STEP_SETTINGS:
		print_settings(r);
		break;
	case RL_STEP_CLASSIFIER:
		for (size_t k = 0; k < r->n_classifiers; k++)
			printf("classify:  %-6s model macro-F1 %.3f "
			       "(cross-validated)%s\n",
			       rl_classifier_name(r->classifiers[k].kind),
			       r->classifiers[k].macro_f1,
			       k == r->classifier_chosen ? ": the top, taken"
							 : "");
		break;
	case RL_STEP_LABEL:
		print_label(r, out->self_train);
		break;
	default:
		break;
	}
	fflush(stdout);
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
	run_out ro;
	cli_progress_init(&ro.prog, quiet);
	rl_run_opts o;
	rl_run_opts_init(&o);
	o.tok = st.tok;
	o.vec = st.vec;
	o.graph = st.graph;
	o.prop = st.prop;
	o.train = st.train;
	ro.self_train = o.train.self_train;
	o.progress = cli_progress_cb;
	o.step = on_step;
	o.ctx = &ro;
	rl_run_report *r = NULL;
	rc = rl_run(db, &o, &r);
	cli_progress_end(&ro.prog);
	if (rc == RL_EEMPTY && r && !r->ran[RL_STEP_TOKENIZE]) {
		cli_error("%s: no reviews; import some with `revlab import "
			  "%s FILE`", path, path);
		rc = EXIT_FAIL;
		goto out;
	}
	if (rc != RL_OK) {
		rc = cli_fail(db, rc);
		goto out;
	}
	if (!quiet && r->up_to_date)
		printf("label:     up to date: nothing it depends on changed "
		       "since the last run\n           (reviews, hand labels, "
		       "rules, settings); labels and model kept\n");
	else if (!quiet && !r->ran[RL_STEP_LABEL] && !r->reused)
		printf("propagate: skipped: no hand labels yet (revlab seed / "
		       "label)\n");
	if (!quiet) {
		print_unruled(db, path, r);
		printf("\n");
		if ((rc = cli_print_stats(db, stdout)) != RL_OK) {
			rc = cli_fail(db, rc);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	rl_run_report_free(r);
	rl_db_close(db);
	return rc;
}
