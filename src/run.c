/*
 * run.c - the labelling layer: the whole job in one call (rl_run), above
 * the stages. It owns the order of the stages and every choice `revlab
 * run` makes: propagation's neighbours and class shares, the classifier
 * and the way of combining evidence, each by cross-validation on the hand
 * labels (the one-standard-error rule, but the classifier by the top
 * score). After reviews are added it reuses the stored choice while
 * what the choice rests on is unchanged, and labels only what changed.
 * It speaks to the stages only
 * through their public entry points, and reports what it did and why in
 * an rl_run_report for the caller (the CLI, the Python package) to show.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage.h"

void rl_run_opts_init(rl_run_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_tokenize_opts_init(&o->tok);
	rl_vectorize_opts_init(&o->vec);
	rl_graph_opts_init(&o->graph);
	rl_propagate_opts_init(&o->prop);
	rl_eval_opts_init(&o->train);
}

/* The stages whose parameters run takes, and where each one's options
 * live in rl_run_opts. */
static const char *const run_stages[] = {
	"tokenize", "vectorize", "graph", "propagate", "train"
};

static int set_in(rl_run_opts *o, size_t stage, const char *a)
{
	switch (stage) {
	case 0: return rl_tokenize_opts_set(&o->tok, a);
	case 1: return rl_vectorize_opts_set(&o->vec, a);
	case 2: return rl_graph_opts_set(&o->graph, a);
	case 3: return rl_propagate_opts_set(&o->prop, a);
	default: return rl_eval_opts_set(&o->train, a);
	}
}

static int has_param(const char *stage, const char *name, size_t len)
{
	const rl_param *p;
	for (size_t i = 0; (p = rl_param_at(stage, i)); i++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return 1;
	return 0;
}

int rl_run_opts_set(rl_run_opts *o, const char *a)
{
	const char *eq = a ? strchr(a, '=') : NULL;
	if (!eq)
		return RL_EINVAL;
	const char *dot = memchr(a, '.', (size_t)(eq - a));
	const char *name = dot ? dot + 1 : a;
	size_t len = (size_t)(eq - name);
	int matched = 0;
	for (size_t s = 0; s < sizeof run_stages / sizeof *run_stages; s++) {
		const char *st = run_stages[s];
		if (dot && (strlen(st) != (size_t)(dot - a) ||
			    strncmp(st, a, (size_t)(dot - a))))
			continue;
		if (!has_param(st, name, len))
			continue;
		matched = 1;
		int rc = set_in(o, s, name);
		if (rc != RL_OK)
			return rc;
	}
	return matched ? RL_OK : RL_EINVAL;
}

void rl_run_report_free(rl_run_report *r)
{
	if (!r)
		return;
	rl_eval_report_free(r->eval);
	free(r);
}

/* The best cross-validated macro-F1 of the ways that use the graph, and
 * its standard error. */
static double graph_f1(const rl_eval_report *r, double *se)
{
	int best = RL_METHOD_PROPAGATION;
	for (int m = 0; m < RL_METHOD_CANDIDATES; m++)
		if (m != RL_METHOD_RULES && r->methods[m].macro_f1 >
					    r->methods[best].macro_f1)
			best = m;
	*se = rl_eval_report_se(r, best);
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

/* Picks what propagation uses and the caller left open: the neighbours
 * per review (the graph's, or 5, 10, ... below it) and the class shares
 * it normalises to (uniform or the hand labels'; both only when the hand
 * labels are not balanced already; none in a multi-label store), by
 * cross-validation on the hand labels, with naive Bayes as the classifier
 * (the cheapest) when run is to pick that too or trains the pool. The one-standard-error rule decides, in the order
 * uniform shares first (a skewed handful of hand labels says little of
 * the corpus), then the graph's count. RL_EEMPTY when the hand labels are
 * too few to cross-validate. *nb gets the evaluation of the settings
 * taken when it was one with naive Bayes that run would redo, else NULL.
 */
static int choose_propagation(rl_db *db, rl_eval_opts *eo,
			      rl_run_report *rep, rl_eval_report **nb)
{
	*nb = NULL;
	static const rl_prior priors[] = { RL_PRIOR_UNIFORM, RL_PRIOR_SEEDS };
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
	int open_prior = eo->prop.class_prior == RL_PRIOR_AUTO;
	/* A multi-label store's hand labels are label-rich (a reviewer
	 * picks reviews that show a label): normalising each label to their
	 * share gave the rare labels to most reviews. It keeps the shares
	 * the spreading gives (docs/measurements.md, multi-label files). */
	if (open_prior && rl_db_multi_label(db)) {
		eo->prop.class_prior = RL_PRIOR_NONE;
		open_prior = 0;
	}
	if (!open_prior) {
		n_priors = 1;
	} else {
		/* With as many hand labels for every label, the two are
		 * one. */
		label_span span = { 0 };
		if ((rc = rl_labels(db, on_label_span, &span)) != RL_OK)
			return rc;
		if (span.lo == span.hi)
			n_priors = 1;
	}
	if (n_ks * n_priors < 2) {
		if (open_prior)
			eo->prop.class_prior = priors[0];
		return RL_OK;
	}
	rl_eval_opts o = *eo;
	/* Settings are scored with naive Bayes, the cheapest fit, when the
	 * classifier is chosen, is the pool, or is one logistic regression
	 * per label of a multi-label store: the others' logistic
	 * regressions would double run's time for the same choice (on
	 * every draw of the development suite's multi-label files). */
	if (o.model == RL_CLASSIFIER_CHOOSE || o.model == RL_CLASSIFIER_POOL ||
	    rl_db_multi_label(db))
		o.model = RL_CLASSIFIER_NB;
	rep->settings_model = o.model;
	double fs[RL_RUN_MAX_SETTINGS], ses[RL_RUN_MAX_SETTINGS];
	rl_eval_report *rs[RL_RUN_MAX_SETTINGS] = { NULL };
	for (size_t p = 0; p < n_priors; p++)
		for (size_t i = 0; i < n_ks; i++) {
			rl_eval_report *r = NULL;
			o.prop.neighbours = (int)ks[i];
			if (open_prior)
				o.prop.class_prior = priors[p];
			if ((rc = rl_eval(db, &o, &r)) != RL_OK) {
				for (size_t q = 0; q < RL_RUN_MAX_SETTINGS;
				     q++)
					rl_eval_report_free(rs[q]);
				rep->n_settings = 0;
				return rc;
			}
			size_t c = p * n_ks + i;
			fs[c] = graph_f1(r, &ses[c]);
			rep->settings[c] = (rl_run_setting){
				.neighbours = (int)ks[i],
				.class_prior = o.prop.class_prior,
				.macro_f1 = fs[c], .se = ses[c] };
			rep->n_settings = c + 1;
			rs[c] = r;
		}
	size_t c = rl_one_se(fs, ses, n_priors * n_ks);
	rep->setting_chosen = c;
	if (eo->model == RL_CLASSIFIER_CHOOSE) {
		*nb = rs[c];
		rs[c] = NULL;
	}
	for (size_t q = 0; q < RL_RUN_MAX_SETTINGS; q++)
		rl_eval_report_free(rs[q]);
	eo->prop.neighbours = (int)ks[c % n_ks];
	if (open_prior)
		eo->prop.class_prior = priors[c / n_ks];
	return RL_OK;
}

/* Picks the classifier with the top cross-validated macro-F1 of its
 * model (ties to the first of complement NB, NB, logistic regression).
 * Not by the one-standard-error rule: with a few hand labels its band
 * covers all three, so a fixed order of preference decided, and on the
 * development suite (docs/measurements.md) the top score gained on five
 * files of eight and lost no more than 0.008 on any. nb_done, if not
 * NULL, is naive Bayes's evaluation on these settings already (taken
 * over). *er gets the evaluation of the one taken, eo->model its name. */
static int choose_classifier(rl_db *db, rl_eval_opts *eo,
			     rl_run_report *rep, rl_eval_report *nb_done,
			     rl_eval_report **er)
{
	static const rl_classifier kinds[RL_RUN_MAX_CLASSIFIERS] = {
		RL_CLASSIFIER_CNB, RL_CLASSIFIER_NB, RL_CLASSIFIER_LOGREG
	};
	rl_eval_report *rs[RL_RUN_MAX_CLASSIFIERS] = { NULL };
	double f[RL_RUN_MAX_CLASSIFIERS], se[RL_RUN_MAX_CLASSIFIERS];
	int rc = RL_OK;
	for (size_t k = 0; rc == RL_OK && k < RL_RUN_MAX_CLASSIFIERS; k++) {
		eo->model = kinds[k];
		if (nb_done && kinds[k] == RL_CLASSIFIER_NB) {
			rs[k] = nb_done;
			nb_done = NULL;
		} else if ((rc = rl_eval(db, eo, &rs[k])) != RL_OK) {
			break;
		}
		const rl_method_score *m = &rs[k]->methods[RL_METHOD_MODEL];
		f[k] = m->macro_f1;
		se[k] = rl_eval_report_se(rs[k], RL_METHOD_MODEL);
		rep->classifiers[k] = (rl_run_classifier){
			.kind = kinds[k], .macro_f1 = f[k], .se = se[k] };
		rep->n_classifiers = k + 1;
	}
	rl_eval_report_free(nb_done);
	size_t best = 0;
	for (size_t k = 1; rc == RL_OK && k < RL_RUN_MAX_CLASSIFIERS; k++)
		if (f[k] > f[best] + 1e-12)
			best = k;
	rep->classifier_chosen = best;
	eo->model = kinds[best];
	*er = rc == RL_OK ? rs[best] : NULL;
	for (size_t k = 0; k < RL_RUN_MAX_CLASSIFIERS; k++)
		if (rs[k] != *er)
			rl_eval_report_free(rs[k]);
	return rc;
}

/* Marks step s done after t0 and tells the caller. */
static void step_took(const rl_run_opts *o, rl_run_report *r,
		      rl_run_step s, double seconds)
{
	r->ran[s] = 1;
	r->seconds[s] = seconds;
	if (o->step)
		o->step(o->ctx, s, r);
}

static void step_done(const rl_run_opts *o, rl_run_report *r, rl_run_step s,
		      double t0)
{
	step_took(o, r, s, rl_now() - t0);
}

/* What the labelling's spreading reached, when it spreads: the propagate
 * step, told as soon as the spreading is done (after the choosing that
 * set its neighbours and class shares, before the training and the
 * writes). */
typedef struct told {
	const rl_run_opts *o;
	rl_run_report *r;
} told;

static void on_spread(void *ctx, const rl_propagate_stats *st,
		      double seconds)
{
	told *tl = ctx;
	tl->r->propagate = *st;
	step_took(tl->o, tl->r, RL_STEP_PROPAGATE, seconds);
}

/* A choice is reused while the corpus grows by at most a
 * 1 / REUSE_GROWTH share of what it was when the choice was made. */
#define REUSE_GROWTH 4

/* Labels with the stored choice c, taken as it is: only the reviews
 * without a label with the stored model when it labels with the model,
 * else every review as chosen. */
static int reuse_choice(rl_db *db, const rl_run_opts *o, rl_run_report *r,
			const rl_choice *c)
{
	rl_eval_opts eo = o->train;
	eo.prop = o->prop;
	eo.model = c->model;
	eo.prop.neighbours = c->neighbours;
	eo.prop.class_prior = c->class_prior;
	eo.prop.progress = NULL;
	eo.temperature = c->temperature;
	eo.label_temperature = c->label_temperature;
	eo.save = 0;
	eo.progress = o->progress;
	eo.ctx = o->ctx;
	r->reused = 1;
	snprintf(r->reused_when, sizeof r->reused_when, "%s", c->when);
	r->method = c->method;
	r->model = c->model;
	r->neighbours = c->neighbours;
	r->class_prior = c->class_prior;
	r->temperature = c->temperature;
	double t0 = rl_now();
	int rc = RL_OK, done = 0;
	if (c->method == RL_METHOD_MODEL &&
	    (rc = rl_label_new(db, &eo, &r->labelled, &done)) != RL_OK)
		return rc;
	if ((c->method == RL_METHOD_PROPAGATION ||
	     c->method == RL_METHOD_BLEND) &&
	    (rc = rl_label_changed(db, c->method, &eo, &r->labelled,
				   &done)) != RL_OK)
		return rc;
	r->new_only = done;
	if (!done &&
	    (rc = rl_label_with(db, c->method, &eo, &r->labelled)) != RL_OK)
		return rc;
	r->model_stored = !done && (c->method == RL_METHOD_MODEL ||
				    c->method == RL_METHOD_BLEND);
	step_done(o, r, RL_STEP_LABEL, t0);
	return RL_OK;
}

/* Chooses how to label by cross-validation and labels with it, or, when
 * the hand labels are too few to cross-validate, keeps propagation's
 * labels and stores a model for predict. The choice is stored, with
 * inputs (rl_choice_inputs), for the runs after. */
static int choose_and_label(rl_db *db, const rl_run_opts *o,
			    rl_run_report *r, const char *inputs,
			    uint64_t reviews)
{
	rl_eval_opts eo = o->train;
	eo.prop = o->prop;
	/* Unless told otherwise, a single-label store trains the pool and
	 * a multi-label store logistic regression: choosing one of the
	 * classifiers by cross-validation on a few hand labels lost to
	 * these on the development suite (docs/measurements.md). */
	if (eo.model != RL_CLASSIFIER_CHOOSE)
		eo.model = rl_classifier_default(db, eo.model);
	eo.prop.progress = NULL;
	/* Only the evaluation the choice rests on is kept. */
	eo.save = 0;
	rl_eval_report *er = NULL, *nb_done = NULL;
	double t0 = rl_now();
	/* The cross-validations below each load the evidence, and so does
	 * labelling: the graph is read once for all of them, and labelling
	 * lets it go. */
	int rc = rl_graph_hold(db);
	if (rc == RL_OK)
		rc = choose_propagation(db, &eo, r, &nb_done);
	if (rc != RL_OK && rc != RL_EEMPTY) {
		rl_graph_release(db);
		return rc;
	}
	r->neighbours = eo.prop.neighbours;
	r->class_prior = eo.prop.class_prior;
	if (rc == RL_OK && r->n_settings > 0)
		step_done(o, r, RL_STEP_SETTINGS, t0);
	t0 = rl_now();
	if (rc == RL_EEMPTY) {
		/* reported below */
	} else if (eo.model == RL_CLASSIFIER_CHOOSE) {
		rc = choose_classifier(db, &eo, r, nb_done, &er);
		if (rc == RL_OK)
			step_done(o, r, RL_STEP_CLASSIFIER, t0);
	} else {
		rc = rl_eval(db, &eo, &er);
	}
	/* Labelling lets the graph go; anything else is done with it. */
	if (rc != RL_OK)
		rl_graph_release(db);
	r->model = eo.model;
	t0 = rl_now();
	if (rc == RL_EEMPTY) {
		/* The reason, before training may overwrite it. */
		snprintf(r->why_not, sizeof r->why_not, "%s",
			 rl_db_errmsg(db));
		r->method = RL_METHOD_PROPAGATION;
		eo.progress = o->progress;
		eo.ctx = o->ctx;
		/* The reviews are labelled by propagation, and predict
		 * still gets a model. */
		rl_propagate_opts po = eo.prop;
		po.progress = o->progress;
		po.ctx = o->ctx;
		if ((rc = rl_propagate(db, &po, &r->propagate)) != RL_OK)
			return rc;
		step_done(o, r, RL_STEP_PROPAGATE, t0);
		t0 = rl_now();
		if ((rc = rl_train(db, &eo)) != RL_OK)
			return rc;
		r->model_stored = 1;
		r->model = eo.model;
		step_done(o, r, RL_STEP_LABEL, t0);
		return RL_OK;
	}
	if (rc != RL_OK || (rc = rl_eval_save(db, er)) != RL_OK) {
		rl_graph_release(db);
		rl_eval_report_free(er);
		return rc;
	}
	r->eval = er;
	r->method = er->best;
	r->model = eo.model;
	/* The model's probabilities are calibrated by the temperature
	 * fitted on its held-out predictions. */
	eo.temperature = er->temperature;
	r->temperature = er->temperature;
	eo.label_temperature = er->method_temperature[er->best];
	/* A multi-label store's thresholds, chosen by the same folds. */
	if (er->multi) {
		eo.thresholds = er->multi_scores[RL_METHOD_MODEL].threshold;
		eo.label_thresholds = er->multi_scores[er->best].threshold;
	}
	eo.progress = o->progress;
	eo.ctx = o->ctx;
	t0 = rl_now();
	told tl = { o, r };
	rc = rl_label_told(db, er->best, &eo, &r->labelled, on_spread, &tl);
	rl_graph_release(db);	/* labelling did, unless it failed first */
	if (rc != RL_OK) {
		/* the spreading told was rolled back with the rest */
		r->ran[RL_STEP_PROPAGATE] = 0;
		return rc;
	}
	/* predict needs a model even when it did not win */
	if (er->best != RL_METHOD_MODEL && er->best != RL_METHOD_BLEND &&
	    (rc = rl_train(db, &eo)) != RL_OK)
		return rc;
	r->model_stored = 1;
	step_done(o, r, RL_STEP_LABEL, t0);
	if (rl_db_multi_label(db))
		return RL_OK;
	rl_choice c = {
		.method = er->best, .model = eo.model,
		.neighbours = eo.prop.neighbours,
		.class_prior = eo.prop.class_prior,
		.temperature = er->temperature,
		.label_temperature = er->method_temperature[er->best],
		.reviews = reviews,
	};
	snprintf(c.inputs, sizeof c.inputs, "%s", inputs);
	return rl_choice_save(db, &c);
}

int rl_run(rl_db *db, const rl_run_opts *o, rl_run_report **out)
{
	*out = NULL;
	rl_run_opts def;
	if (!o) {
		rl_run_opts_init(&def);
		o = &def;
	}
	rl_run_report *r = calloc(1, sizeof *r);
	if (!r)
		return RL_ENOMEM;
	*out = r;
	r->dim = o->vec.dim;
	r->graph_k = o->graph.k;
	r->model = o->train.model;
	r->neighbours = o->prop.neighbours;
	r->class_prior = o->prop.class_prior;
	/* Every option checked before any stage commits (the parameter
	 * table checks what is set by name; a caller may set fields). */
	int rc = rl_eval_check(db, &o->train);
	if (rc == RL_OK)
		rc = rl_propagate_check(db, &o->prop);
	if (rc != RL_OK)
		return rc;
	rl_stats stats;
	if ((rc = rl_stats_get(db, &stats)) != RL_OK)
		return rc;
	if (stats.reviews == 0)
		return rl_fail(db, RL_EEMPTY, "no reviews");
	/* A store labelled by a revlab that kept no choice, as it was
	 * labelled but for reviews imported since: the choice that
	 * labelling made is taken up. */
	char inputs[17], digest[17];
	rl_choice c;
	int same = 0, adopted;
	if (!rl_db_multi_label(db) &&
	    (rc = rl_choice_load(db, &c)) == RL_ENOTFOUND) {
		if ((rc = rl_labelled_as_now(db, &o->prop, &o->train,
					     &same)) != RL_OK ||
		    (same && ((rc = rl_choice_inputs(db, &o->prop, &o->train,
						     inputs)) != RL_OK ||
			      (rc = rl_choice_adopt(db, inputs, &adopted)) !=
			      RL_OK)))
			return rc;
	} else if (rc != RL_OK && !rl_db_multi_label(db)) {
		return rc;
	}
	rl_tokenize_opts tok = o->tok;
	rl_vectorize_opts vec = o->vec;
	rl_graph_opts graph = o->graph;
	tok.progress = vec.progress = graph.progress = o->progress;
	tok.ctx = vec.ctx = graph.ctx = o->ctx;
	double t0 = rl_now();
	if ((rc = rl_tokenize(db, &tok, &r->tokenize)) != RL_OK)
		return rc;
	step_done(o, r, RL_STEP_TOKENIZE, t0);
	t0 = rl_now();
	if ((rc = rl_vectorize(db, &vec, &r->vectorize)) != RL_OK)
		return rc;
	step_done(o, r, RL_STEP_VECTORIZE, t0);
	t0 = rl_now();
	if ((rc = rl_graph(db, &graph, &r->graph)) != RL_OK)
		return rc;
	step_done(o, r, RL_STEP_GRAPH, t0);
	t0 = rl_now();
	rl_rules_opts ro = { .threads = o->tok.threads };
	if ((rc = rl_rules_apply(db, &ro, &r->rules)) != RL_OK)
		return rc;
	step_done(o, r, RL_STEP_RULES, t0);
	if ((rc = rl_stats_get(db, &stats)) != RL_OK)
		return rc;
	if (stats.seeds == 0 && stats.cluster_seeds == 0)
		return RL_OK;
	/* Nothing changed since the last labelling: nothing to do (a run
	 * repeated propagation, the cross-validation and the labelling, and
	 * stored one more model, every time). */
	same = 0;
	if ((rc = rl_labelling_digest(db, &o->prop, &o->train, digest)) !=
	    RL_OK ||
	    (rc = rl_labelling_digest_same(db, digest, &same)) != RL_OK ||
	    (rc = rl_choice_inputs(db, &o->prop, &o->train, inputs)) != RL_OK)
		return rc;
	if (same) {
		r->up_to_date = 1;
		return RL_OK;
	}
	/* Hand labels, rules, fits and options as when the stored choice
	 * was made, on a corpus not grown too far: the choice stands (a
	 * cross-validation on the same hand labels would score nearly the
	 * same), and propagation runs only inside labelling, if at all. */
	int reuse = 0;
	if (!rl_db_multi_label(db)) {
		rc = rl_choice_load(db, &c);
		if (rc != RL_OK && rc != RL_ENOTFOUND)
			return rc;
		reuse = rc == RL_OK && !strcmp(c.inputs, inputs) &&
			stats.reviews <= c.reviews + c.reviews / REUSE_GROWTH;
	}
	if (reuse) {
		if ((rc = reuse_choice(db, o, r, &c)) != RL_OK)
			return rc;
		return rl_labelling_digest_save(db, digest);
	}
	if ((rc = choose_and_label(db, o, r, inputs, stats.reviews)) != RL_OK)
		return rc;
	return rl_labelling_digest_save(db, digest);
}
