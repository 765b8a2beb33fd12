/*
 * stage_label.c - labelling with a chosen method (`revlab run` picks it
 * by cross-validation, stage_eval.c), and training the classifier alone
 * for `predict`: the evidence loaded from the store (stage.c), the
 * method's kernels run on it (propagate.c, methods.c), and scores,
 * assignments, the model and its predictions written back in one
 * transaction. What labelling chose for propagation (neighbours, class
 * shares) is recorded for the stages after it.
 *
 * In bounded memory: propagation's distributions are the one array held
 * for every review; the classifier trains on a sample of at most about
 * RL_LABEL_TRAIN_REVIEWS reviews (rl_train_sample, only their features
 * read), and prediction, the blend and the writes go a batch of reviews
 * at a time, each batch's features read as it comes.
 *
 * Also run's choice, kept in the store with a fingerprint of what it
 * rests on, and the labellings of only what changed that a reused
 * choice makes: the new reviews by the stored model (rl_label_new), or
 * propagation started from the stored spread and the reviews that moved
 * (rl_label_changed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lexicon.h"
#include "rules.h"
#include "stage.h"
#include "store.h"

/* Models kept side by side; older ones (and their predictions) go. */
#define KEEP_MODELS 5
/* The setting with the gains of the last blend's labelling. */
#define GAINS_KEY "blend_gains"
/* A review whose propagated distribution moved by more than this in any
 * label since the last labelling is labelled again by
 * rl_label_changed. */
#define MOVED 1e-3

/* The rules a multi-label model carries: each rule for a label (not
 * against one) that needs only the text, as "rule_labels":[label
 * index...] and "rule_patterns":[pattern...] for the params. A rule's
 * word lists are written into its pattern, so the model needs no file;
 * rules that test metadata are left out, as new texts have none.
 * carried[l] says whether label l keeps any rule. */
typedef struct rules_json {
	rl_db *db;
	const rl_evidence *ev;
	rl_buf labels, patterns;
	uint8_t *carried;	/* [L] */
	int rc;
} rules_json;

static int on_rule_json(void *ctx, const rl_rule_row *r)
{
	rules_json *j = ctx;
	uint32_t l = 0;
	while (l < j->ev->L && j->ev->label_ids[l] != r->label_id)
		l++;
	int needs = rl_pattern_needs(r->pattern);
	if (needs == RL_ENOMEM)
		return needs;
	if (r->negate || l == j->ev->L || needs < 0 || (needs & RL_PAT_META))
		return RL_OK;
	rl_buf emb = { 0 };
	const char *pat = r->pattern;
	int rc = RL_OK;
	if (needs & RL_PAT_WORDS) {
		char err[512];
		const char *src = r->source ? r->source : "rules";
		rc = rl_pattern_embed(r->pattern, src, &emb, err, sizeof err);
		if (rc != RL_OK && rc != RL_ENOMEM)
			rc = rl_fail(j->db, rc, "%s:%d: %s (the model carries "
				     "the rule's word lists)", src, r->line,
				     err);
		pat = emb.data;
	}
	if (rc == RL_OK)
		rc = rl_buf_printf(&j->labels, "%s%u", j->labels.len ? "," : "",
				   l);
	if (rc == RL_OK && j->patterns.len)
		rc = rl_buf_putc(&j->patterns, ',');
	if (rc == RL_OK)
		rc = rl_json_string(&j->patterns, pat, strlen(pat));
	if (rc == RL_OK)
		j->carried[l] = 1;
	rl_buf_free(&emb);
	return rc;
}

static int rules_to_json(rl_db *db, const rl_evidence *ev, rl_buf *out,
			 uint8_t *carried)
{
	rules_json j = { .db = db, .ev = ev, .carried = carried };
	int rc = rl_store_rules_each(db, on_rule_json, &j);
	if (rc == RL_OK)
		rc = rl_buf_printf(out, ",\"rule_labels\":[%s],"
				   "\"rule_patterns\":[%s]",
				   j.labels.len ? j.labels.data : "",
				   j.patterns.len ? j.patterns.data : "");
	rl_buf_free(&j.labels);
	rl_buf_free(&j.patterns);
	return rc;
}

/* Stores the model with what predict needs to use it: its labels in
 * order, its weights, and the vectorizer fit its columns belong to. */
static int save_model(rl_db *db, const rl_evidence *ev, const rl_csr *X,
		      const double *theta, const rl_eval_opts *o,
		      const double *llr, int64_t run_id, int64_t *id)
{
	rl_buf fit = { 0 }, params = { 0 }, labels = { 0 }, rules = { 0 };
	uint8_t *carried = NULL;
	const char *kind = rl_classifier_name(rl_classifier_of(o));
	int rc = rl_store_setting_get(db, "vectorize_fit", &fit);
	if (rc != RL_OK)
		goto out;
	char head[384];
	snprintf(head, sizeof head, "{\"model\":\"%s\",\"l2\":%.17g,"
		 "\"max_iter\":%d,\"tol\":%.17g,\"smoothing\":%.17g,"
		 "\"temperature\":%.17g,\"self_train\":%.17g,"
		 "\"n_cols\":%u,\"features\":\"tfidf+lsa\",\"fit\":",
		 kind, o->l2, o->max_iter, o->tol, o->smoothing,
		 o->temperature, ev->multi ? 0 : o->self_train, X->n_cols);
	if ((rc = rl_buf_append(&params, head, strlen(head))) != RL_OK ||
	    (rc = rl_json_string(&params, fit.data, fit.len)) != RL_OK)
		goto out;
	/* A multi-label model keeps its thresholds for predict. */
	for (uint32_t l = 0; ev->multi && l < ev->L && rc == RL_OK; l++)
		rc = rl_buf_printf(&params, "%s%.17g", l ? ","
				   : ",\"multi\":true,\"thresholds\":[",
				   o->thresholds ? o->thresholds[l] : 0.5);
	if (rc == RL_OK && ev->multi)
		rc = rl_buf_putc(&params, ']');
	/* and the rules' evidence it adds, by label: fired, silent; none
	 * for a label whose rules all stay behind */
	if (rc == RL_OK && ev->multi && !(carried = calloc(ev->L + 1, 1)))
		rc = RL_ENOMEM;
	if (rc == RL_OK && ev->multi)
		rc = rules_to_json(db, ev, &rules, carried);
	if (rc == RL_OK && ev->multi)
		rc = rl_buf_printf(&params, ",\"rule_weight\":%.17g,"
				   "\"rule_llr\":[", o->rule_weight);
	for (uint32_t l = 0; ev->multi && l < 2 * ev->L && rc == RL_OK; l++)
		rc = rl_buf_printf(&params, "%s%.17g", l ? "," : "",
				   carried[l / 2] ? llr[l] : 0.0);
	if (rc == RL_OK && ev->multi)
		rc = rl_buf_putc(&params, ']');
	if (rc == RL_OK && ev->multi)
		rc = rl_buf_append(&params, rules.data, rules.len);
	if (rc != RL_OK ||
	    (rc = rl_buf_putc(&params, '}')) != RL_OK ||
	    (rc = rl_buf_putc(&labels, '[')) != RL_OK)
		goto out;
	for (uint32_t l = 0; l < ev->L && rc == RL_OK; l++) {
		if (l)
			rc = rl_buf_putc(&labels, ',');
		if (rc == RL_OK)
			rc = rl_json_string(&labels, ev->label_names[l],
					    strlen(ev->label_names[l]));
	}
	if (rc == RL_OK)
		rc = rl_buf_putc(&labels, ']');
	if (rc == RL_OK)
		rc = rl_store_model_put(db, kind,
					params.data, labels.data,
					theta, (size_t)(X->n_cols + 1) *
					ev->L * sizeof *theta, "{}", run_id,
					id);
	if (rc == RL_OK)
		rc = rl_store_models_prune(db, KEEP_MODELS);
out:
	rl_buf_free(&fit);
	rl_buf_free(&params);
	rl_buf_free(&labels);
	rl_buf_free(&rules);
	free(carried);
	return rc;
}

/* P (the classifier's probabilities, untempered) with the rules'
 * evidence mixed in at o->rule_weight, then tempered by o->temperature;
 * llr [L][2] gets the rules' log-odds, from every hand label. */
static int mix_rules(const rl_evidence *ev, const rl_eval_opts *o,
		     double *P, double *llr)
{
	uint8_t *fired = malloc((size_t)ev->L + 1);
	int rc = fired ? rl_rules_llr(ev, NULL, llr) : RL_ENOMEM;
	if (rc == RL_OK) {
		rl_rules_mix(ev, llr, o->rule_weight, P, P, fired);
		rl_temper_multi(P, (size_t)ev->n * ev->L, o->temperature);
	}
	free(fired);
	return rc;
}

/* Where a label of method m came from; a blend's from whichever of the
 * model (p, its row of probabilities) and propagation (q) gave its label
 * the larger share. */
static const char *label_source(rl_method m, const double *p,
				const double *q, uint32_t L, int best)
{
	if (m == RL_METHOD_RULES)
		return "rule";
	if (m == RL_METHOD_PROPAGATION)
		return "propagation";
	if (m == RL_METHOD_MODEL || best < 0)
		return "model";
	double sa = 0, sb = 0;
	for (uint32_t l = 0; l < L; l++) {
		sa += p[l];
		sb += q[l];
	}
	return sb > 0 && q[best] / sb > (sa > 0 ? p[best] / sa : 0)
	       ? "propagation" : "model";
}

/* Row i of a multi-label store: its hand labels ('seed') or cluster-named
 * label, else every label the decision on its row p gives (thresholds
 * thr, source by label_source per label, from the model's row pm and
 * propagation's pp), and the model's labels by its own thresholds (mthr)
 * as its predictions. Counts a labelled review. */
static int write_multi_row(rl_db *db, const rl_evidence *ev, uint32_t i,
			   rl_method m, const double *p, const double *pm,
			   const double *pp, const double *thr,
			   const double *mthr, int64_t model_id,
			   int64_t run_id, int only_model, uint8_t *on,
			   uint64_t *labelled)
{
	uint32_t L = ev->L;
	int64_t id = ev->review_ids[i];
	int rc = RL_OK;
	if (model_id && rl_decide_multi(pm, L, mthr, on))
		for (uint32_t l = 0; l < L && rc == RL_OK; l++)
			if (on[l])
				rc = rl_store_prediction_put(db, id, model_id,
					ev->label_ids[l], pm[l]);
	if (only_model || rc != RL_OK)
		return rc;
	for (uint32_t l = 0; l < L && rc == RL_OK; l++)
		if (p[l] > 0)
			rc = rl_store_score_put(db, id, ev->label_ids[l], p[l]);
	if (rc != RL_OK)
		return rc;
	if (ev->seed[i] >= 0) {
		for (uint32_t l = 0; l < L && rc == RL_OK; l++)
			if (ev->Y[(size_t)i * L + l])
				rc = rl_store_assignment_put(db, id,
					ev->label_ids[l], 1, 1, "seed", "{}",
					run_id);
	} else if (ev->cseed[i] >= 0) {
		rc = rl_store_assignment_put(db, id,
			ev->label_ids[ev->cseed[i]], 1, 1, "cluster",
			"{\"cluster\":true}", run_id);
	} else if (rl_decide_multi(p, L, thr, on)) {
		for (uint32_t l = 0; l < L && rc == RL_OK; l++) {
			if (!on[l])
				continue;
			const char *src = m == RL_METHOD_RULES ? "rule"
				: m == RL_METHOD_PROPAGATION ? "propagation"
				: m == RL_METHOD_MODEL ? "model"
				: pp[l] > pm[l] ? "propagation"
				: "model";
			rc = rl_store_assignment_put(db, id, ev->label_ids[l],
				p[l], p[l] - (thr ? thr[l] : 0.5), src,
				m == RL_METHOD_BLEND ? "{\"blend\":true}"
				: model_id ? "{\"model\":true}" : "{}",
				run_id);
		}
	} else {
		return RL_OK;
	}
	if (rc == RL_OK)
		(*labelled)++;
	return rc;
}

/* Row i of a single-label store, p its row of the labelling's
 * distribution, pm the model's (NULL without one), pp propagation's:
 * its scores and assignment (or, with only_model, the model's
 * prediction alone), the model's prediction. Counts a labelled review. */
static int write_row(rl_db *db, const rl_evidence *ev, uint32_t i,
		     rl_method m, const double *p, const double *pm,
		     const double *pp, int64_t model_id, int64_t run_id,
		     int only_model, uint64_t *labelled)
{
	uint32_t L = ev->L;
	int best = rl_argmax(p, L);
	int is_seed = ev->seed[i] >= 0;
	int rc = RL_OK;
	if (only_model)
		return best >= 0 ? rl_store_prediction_put(db,
				ev->review_ids[i], model_id,
				ev->label_ids[best], p[best]) : RL_OK;
	for (uint32_t l = 0; l < L; l++)
		if (p[l] > 0 && (rc = rl_store_score_put(db, ev->review_ids[i],
				ev->label_ids[l], p[l])) != RL_OK)
			return rc;
	if (!is_seed && ev->cseed[i] < 0 && best < 0)
		return RL_OK;
	double second = 0;
	for (uint32_t l = 0; best >= 0 && l < L; l++)
		if ((int)l != best && p[l] > second)
			second = p[l];
	/* A named cluster's label stands, like a hand label, but keeps its
	 * own source. */
	int is_named = !is_seed && ev->cseed[i] >= 0;
	uint32_t lab = is_seed ? (uint32_t)ev->seed[i]
		     : is_named ? (uint32_t)ev->cseed[i] : (uint32_t)best;
	double conf = is_seed || is_named ? 1 : p[best];
	if ((rc = rl_store_assignment_put(db, ev->review_ids[i],
			ev->label_ids[lab], conf,
			is_seed || is_named ? 1 : conf - second,
			is_seed ? "seed" : is_named ? "cluster"
				: label_source(m, pm, pp, L, best),
			is_named ? "{\"cluster\":true}"
			: m == RL_METHOD_BLEND ? "{\"blend\":true}"
			: model_id ? "{\"model\":true}" : "{}",
			run_id)) != RL_OK)
		return rc;
	int mb = model_id ? rl_argmax(pm, L) : -1;
	if (mb >= 0 && (rc = rl_store_prediction_put(db, ev->review_ids[i],
			model_id, ev->label_ids[mb], pm[mb])) != RL_OK)
		return rc;
	(*labelled)++;
	return RL_OK;
}

/* Rows s .. s + b - 1 of ev as evidence of their own, for the kernels
 * that work row by row (prediction, the rules' mix, the blend's rows):
 * its arrays point into ev's (hit_ptr's offsets still index ev's
 * hit_rule), no graph, counts not recounted. Borrowed: never freed. */
static rl_evidence rows_of(const rl_evidence *ev, uint32_t s, uint32_t b)
{
	rl_evidence w = *ev;
	memset(&w.S, 0, sizeof w.S);
	w.n = b;
	w.review_ids += s;
	w.seed += s;
	w.cseed += s;
	w.hit_ptr += s;
	if (w.Y)
		w.Y += (size_t)s * ev->L;
	return w;
}

/* The classifier trained on the sample of rl_train_sample (all of ev
 * when n <= cap): its weights into *theta [n_cols + 1][L] (malloc'd),
 * stored as a model (*model_id); in a multi-label store the rules'
 * log-odds into llr [L][2]; for a blend, the gains rl_blend_rows uses,
 * measured on the sample. Only the sample's features are read. F [n][L]
 * is propagation's distribution over ev. */
static int train_on_sample(rl_db *db, const rl_evidence *ev, rl_method m,
			   const rl_eval_opts *run, const double *F,
			   uint32_t cap, uint32_t nf, uint32_t dim,
			   int64_t run_id, double **theta, double *llr,
			   double *gain, int64_t *model_id)
{
	uint32_t n = ev->n, L = ev->L, kept = 0;
	rl_evidence sub;
	const rl_evidence *tr = ev;
	rl_csr X = { 0 };
	const double *Pt = F;
	double *Pg = NULL, *Ps = NULL, *g = NULL;
	uint8_t *keep = malloc((size_t)n + 1), *use = NULL;
	int rc = RL_ENOMEM;
	memset(&sub, 0, sizeof sub);
	*theta = NULL;
	if (!keep)
		goto out;
	if ((rc = rl_train_sample(ev, cap, (uint64_t)run->seed, keep,
				  &kept)) != RL_OK)
		goto out;
	if (kept < n) {
		if ((rc = rl_evidence_subset(ev, keep, &sub)) != RL_OK)
			goto out;
		tr = &sub;
		rc = RL_ENOMEM;
		if (!(Pg = malloc(((size_t)kept * L + 1) * sizeof *Pg)))
			goto out;
		for (uint32_t i = 0, a = 0; i < n; i++)
			if (keep[i])
				memcpy(Pg + (size_t)a++ * L, F + (size_t)i * L,
				       L * sizeof *Pg);
		Pt = Pg;
	}
	rc = RL_ENOMEM;
	use = malloc((size_t)tr->n + 1);
	Ps = malloc(((size_t)tr->n * L + 1) * sizeof *Ps);
	g = malloc((2 * (size_t)L + 1) * sizeof *g);
	if (!use || !Ps || !g)
		goto out;
	memset(use, 1, tr->n);
	if ((rc = rl_store_features_rows(db, tr->review_ids, tr->n, nf, dim,
					 &X)) != RL_OK)
		goto out;
	if (!(*theta = malloc((size_t)(X.n_cols + 1) * L * sizeof **theta))) {
		rc = RL_ENOMEM;
		goto out;
	}
	/* In a multi-label store the rules' evidence joins the
	 * classifier's before the temperature, as in the cross-validation
	 * that chose its weight. */
	rl_eval_opts clf = *run;
	if (ev->multi)
		clf.temperature = 1;
	if ((rc = rl_method_model(tr, &X, use, Pt, &clf, Ps, *theta)) !=
	    RL_OK ||
	    (ev->multi && (rc = mix_rules(tr, run, Ps, llr)) != RL_OK) ||
	    (rc = save_model(db, ev, &X, *theta, run, llr, run_id,
			     model_id)) != RL_OK)
		goto out;
	if (m == RL_METHOD_BLEND)
		rl_blend_gains(tr, NULL, Ps, Pt, gain, g);
out:
	if (rc != RL_OK) {
		free(*theta);
		*theta = NULL;
	}
	rl_evidence_free(&sub);
	rl_csr_free(&X);
	free(keep);
	free(use);
	free(Pg);
	free(Ps);
	free(g);
	return rc;
}

/* Labels with method m; with only_model, trains and stores the model
 * (and its predictions) without touching the assignments. The
 * classifier trains on at most about cap reviews (rl_train_sample);
 * prediction, the blend and the writes go `batch` reviews at a time. */
static int label_with(rl_db *db, rl_method m, const rl_eval_opts *o,
		      uint64_t *labelled, int only_model, uint32_t cap,
		      uint32_t batch, rl_spread_fn spread_fn,
		      void *spread_ctx)
{
	rl_eval_opts defaults, run;
	if (!o) {
		rl_eval_opts_init(&defaults);
		o = &defaults;
	}
	rl_evidence ev;
	rl_csr Xb = { 0 };
	/* F [n][L]: propagation's distributions (the rules' for the rules
	 * alone), the one array kept for every review; the rest is per
	 * batch [batch][L] or per label. */
	double *F = NULL, *Pm = NULL, *Pb = NULL, *theta = NULL;
	double *llr = NULL, *g = NULL, gain[2] = { 1, 1 };
	uint8_t *use = NULL, *on = NULL;
	/* raw [n][L]: the spread before normalising, kept for a warm
	 * start (a single-label labelling with propagation or the blend) */
	float *raw = NULL;
	rl_stage st;
	rl_tick tick;
	int64_t model_id = 0;
	char counts[96] = "{}";
	int rc;
	/* Spreading over millions of reviews takes a while too; it is
	 * heard as "propagate", like training as "train". */
	rl_tick_init(&tick, o->progress, o->ctx, "propagate");
	memset(&ev, 0, sizeof ev);
	*labelled = 0;
	rl_clear_error(db);
	if ((unsigned)m >= RL_METHOD_COUNT)
		return rl_fail(db, RL_EINVAL, "unknown method %d", (int)m);
	if (m >= RL_METHOD_CANDIDATES)
		return rl_fail(db, RL_EINVAL, "%s is a baseline that eval "
			       "scores for comparison, not a way to label",
			       rl_method_name(m));
	if ((rc = rl_eval_check(db, o)) != RL_OK)
		return rc;
	if (batch == 0)
		batch = RL_LABEL_BATCH;
	rl_eval_opts given = *o;
	given.model = rl_classifier_default(db, given.model);
	o = &given;
	char pj[160];
	snprintf(pj, sizeof pj, "{\"method\":\"%s\",\"model\":\"%s\","
		 "\"l2\":%g,\"neighbours\":%d}", rl_method_name(m),
		 rl_classifier_name(rl_classifier_of(o)), o->l2,
		 o->prop.neighbours);
	if ((rc = rl_stage_begin(db, only_model ? "train" : "label", pj,
				 &st)) != RL_OK)
		goto out;
	run = *o;
	rc = rl_propagate_prepare(db, &o->prop, &run.prop);
	if (rc == RL_OK)
		rc = rl_evidence_load(db, &ev, (uint32_t)run.prop.neighbours);
	/* A graph run's cross-validations held is let go once the evidence
	 * is built from it: the lists and the labelling's arrays are not
	 * held at once. */
	rl_graph_release(db);
	if (rc != RL_OK)
		goto end;
	uint32_t n = ev.n, L = ev.L, nf = 0, dim = 0;
	int with_model = m == RL_METHOD_MODEL || m == RL_METHOD_BLEND;
	rc = RL_ENOMEM;
	F = malloc(((size_t)n * L + 1) * sizeof *F);
	use = malloc((size_t)n + 1);
	on = malloc((size_t)L + 1);
	llr = calloc(2 * (size_t)L + 1, sizeof *llr);
	g = malloc((2 * (size_t)L + 1) * sizeof *g);
	if (!F || !use || !on || !llr || !g)
		goto end;
	memset(use, 1, n);
	int keep_raw = !only_model && !ev.multi &&
		       (m == RL_METHOD_PROPAGATION || m == RL_METHOD_BLEND);
	if (keep_raw && !(raw = malloc(((size_t)n * L + 1) * sizeof *raw)))
		goto end;
	double t_spread = rl_now();
	uint32_t iters = 0;
	if (m == RL_METHOD_RULES)
		rc = rl_method_rules(&ev, use, F);
	else
		rc = rl_propagate_from(&ev, NULL, &run.prop, 0, raw, F, &iters,
				       &tick);
	if (rc != RL_OK)
		goto end;
	/* What the spreading reached, as the propagate stage counts it,
	 * told as soon as it is known */
	if (m != RL_METHOD_RULES && spread_fn) {
		rl_propagate_stats ps;
		rl_propagate_tally(&ev, F, &run.prop, iters, &ps);
		spread_fn(spread_ctx, &ps, rl_now() - t_spread);
	}
	/* The graph has done its work: what stays for every review is F
	 * and the labels. */
	rl_sgraph_free(&ev.S);
	if (with_model &&
	    ((rc = rl_features_shape(db, &nf, &dim)) != RL_OK ||
	     (rc = train_on_sample(db, &ev, m, &run, F, cap, nf, dim,
				   st.run_id, &theta, llr, gain,
				   &model_id)) != RL_OK))
		goto end;
	rc = RL_ENOMEM;
	if (with_model &&
	    (!(Pm = malloc(((size_t)batch * L + 1) * sizeof *Pm)) ||
	     !(Pb = malloc(((size_t)batch * L + 1) * sizeof *Pb))))
		goto end;
	/* Every review labelled: the graph's changes are all taken in. */
	if (!only_model && ((rc = rl_store_scores_clear(db)) != RL_OK ||
			    (rc = rl_store_graph_changes_clear(db, "tracked"))
			    != RL_OK))
		goto end;
	/* The neighbour count and class shares labelling used stay the
	 * defaults of the stages after it (propagate, next, suspects,
	 * train), when they were chosen rather than left open. */
	if (!only_model && o->prop.neighbours > 0 &&
	    (rc = rl_store_neighbours_set(db, ev.k)) != RL_OK)
		goto end;
	if (!only_model && o->prop.class_prior != RL_PRIOR_AUTO &&
	    (rc = rl_store_prior_set(db, o->prop.class_prior)) != RL_OK)
		goto end;
	rl_eval_opts clf = run;
	if (ev.multi)
		clf.temperature = 1;
	rc = RL_OK;
	for (uint32_t s = 0; s < n && rc == RL_OK; s += batch) {
		uint32_t b = n - s < batch ? n - s : batch;
		rl_evidence w = rows_of(&ev, s, b);
		double *Fb = F + (size_t)s * L, *A = Fb;
		/* The model's probabilities of the batch, as it gave them
		 * in training (the rules mixed in, multi-label). */
		if (with_model) {
			if ((rc = rl_store_features_rows(db, w.review_ids, b,
					nf, dim, &Xb)) != RL_OK)
				goto end;
			rl_method_predict(&w, &Xb, theta, &clf, Pm);
			rl_csr_free(&Xb);
			if (ev.multi) {
				rl_rules_mix(&w, llr, run.rule_weight, Pm, Pm,
					     on);
				rl_temper_multi(Pm, (size_t)b * L,
						run.temperature);
			}
			A = Pm;
		}
		/* Pm stays the model's, for its stored predictions; the
		 * labels come from A. */
		if (m == RL_METHOD_BLEND) {
			rl_blend_rows(&w, gain, Pm, Fb, Pb, g);
			A = Pb;
		}
		/* The way of labelling's own calibration (the model has
		 * its own temperature, applied inside it), on every row
		 * it did not clamp: a stored confidence then means the
		 * share that is right. */
		double t = o->label_temperature;
		for (uint32_t r = 0; !only_model && m != RL_METHOD_MODEL &&
		     t > 0 && t != 1 && r < b; r++) {
			double *p = A + (size_t)r * L;
			if (w.seed[r] >= 0 || w.cseed[r] >= 0 ||
			    rl_argmax(p, L) < 0)
				continue;
			if (ev.multi)
				rl_temper_multi(p, L, t);
			else
				rl_temper(p, L, t);
		}
		for (uint32_t r = 0; r < b && rc == RL_OK; r++) {
			uint32_t i = s + r;
			const double *a = A + (size_t)r * L;
			const double *pm = with_model ? Pm + (size_t)r * L
						      : NULL;
			/* Heard at every batch and every 4,096 reviews, so
			 * a front end shows the rate and what is left. */
			if ((r == 0 || i % 4096 == 0) &&
			    (rc = rl_progress_call(db,
					o->progress, o->ctx, "write", i, n)) !=
			    RL_OK)
				goto end;
			if (ev.multi)
				rc = write_multi_row(db, &ev, i, m, a, pm,
					Fb + (size_t)r * L,
					m == RL_METHOD_MODEL ? o->thresholds
					: o->label_thresholds, o->thresholds,
					model_id, st.run_id, only_model, on,
					labelled);
			else
				rc = write_row(db, &ev, i, m, a, pm,
					       Fb + (size_t)r * L, model_id,
					       st.run_id, only_model,
					       labelled);
		}
	}
	if (rc != RL_OK)
		goto end;
	/* What a labelling of what changed starts from next time: the
	 * spread, and the blend's gains. */
	if (!only_model)
		rc = rl_store_spread_clear(db);
	for (uint32_t i = 0; raw && rc == RL_OK && i < n; i++)
		rc = rl_store_spread_put(db, ev.review_ids[i],
					 raw + (size_t)i * L, L);
	if (rc == RL_OK && !only_model && m == RL_METHOD_BLEND) {
		char gains[80];
		snprintf(gains, sizeof gains, "%.17g %.17g", gain[0], gain[1]);
		rc = rl_store_setting_set(db, GAINS_KEY, gains);
	}
	if (rc != RL_OK)
		goto end;
	snprintf(counts, sizeof counts, "{\"labelled\":%llu,\"model\":%lld}",
		 (unsigned long long)*labelled, (long long)model_id);
	/* Each labelling stores a model with a prediction per review; the
	 * history is kept to a bound (store.h), so the store does not grow
	 * with every run. */
	rc = rl_store_history_prune(db, RL_KEEP_MODELS, RL_KEEP_EVALS,
				    RL_KEEP_RUNS);
end:
	rc = rl_stage_end(db, &st, rc, counts);
	if (rc != RL_OK)
		*labelled = 0;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_evidence_free(&ev);
	rl_csr_free(&Xb);
	free(F);
	free(Pm);
	free(Pb);
	free(theta);
	free(use);
	free(on);
	free(llr);
	free(g);
	free(raw);
	return rc;
}

int rl_label_sized(rl_db *db, rl_method m, const rl_eval_opts *o,
		   int only_model, uint32_t cap, uint32_t batch,
		   uint64_t *labelled)
{
	uint64_t n;
	return label_with(db, m, o, labelled ? labelled : &n, only_model, cap,
			  batch, NULL, NULL);
}

int rl_label_told(rl_db *db, rl_method m, const rl_eval_opts *o,
		  uint64_t *labelled, rl_spread_fn spread_fn, void *ctx)
{
	return label_with(db, m, o, labelled, 0, RL_LABEL_TRAIN_REVIEWS,
			  RL_LABEL_BATCH, spread_fn, ctx);
}

int rl_label_with(rl_db *db, rl_method m, const rl_eval_opts *o,
		  uint64_t *labelled)
{
	return rl_label_told(db, m, o, labelled, NULL, NULL);
}

int rl_train(rl_db *db, const rl_eval_opts *o)
{
	uint64_t n;
	return label_with(db, RL_METHOD_MODEL, o, &n, 1,
			  RL_LABEL_TRAIN_REVIEWS, RL_LABEL_BATCH, NULL, NULL);
}

/* ---- run's choice, kept for the next run ---- */

#define CHOICE_KEY "run_choice"

/* rl_labelling_digest (stage.c) of inputs text b (the corpus part up to
 * the first ';', then the rest) and the options, into out[17]. */
static int inputs_digest(rl_buf *b, const rl_propagate_opts *prop,
			 const rl_eval_opts *train, size_t skip, char *out)
{
	int rc = rl_params_json(rl_propagate_params, rl_propagate_nparams,
				prop, b);
	if (rc == RL_OK)
		rc = rl_params_json(rl_train_params, rl_train_nparams, train, b);
	if (rc == RL_OK)
		rc = rl_buf_append(b, RL_VERSION, strlen(RL_VERSION));
	if (rc == RL_OK)
		snprintf(out, 17, "%016llx", (unsigned long long)
			 rl_fnv1a64(RL_FNV_OFFSET, b->data + skip,
				    b->len - skip));
	return rc;
}

int rl_labelled_as_now(rl_db *db, const rl_propagate_opts *prop,
		       const rl_eval_opts *train, int *same)
{
	rl_buf b = { 0 }, now = { 0 }, stored = { 0 };
	char digest[17];
	*same = 0;
	int rc = rl_store_corpus_before_label(db, &b);
	if (rc == RL_OK)
		rc = rl_store_labelling_inputs(db, &now);
	const char *semi = rc == RL_OK ? memchr(now.data, ';', now.len) : NULL;
	if (rc == RL_OK && semi)
		rc = rl_buf_append(&b, semi, now.len - (size_t)(semi -
								now.data));
	if (rc == RL_OK && semi)
		rc = inputs_digest(&b, prop, train, 0, digest);
	/* (stage.c's key) */
	if (rc == RL_OK && semi)
		rc = rl_store_setting_get(db, "labelled_inputs", &stored);
	if (rc == RL_OK && semi)
		*same = !strcmp(stored.data, digest);
	if (rc == RL_ENOTFOUND)
		rc = RL_OK;
	rl_buf_free(&b);
	rl_buf_free(&now);
	rl_buf_free(&stored);
	return rc;
}

int rl_choice_inputs(rl_db *db, const rl_propagate_opts *prop,
		     const rl_eval_opts *train, char *out)
{
	rl_buf b = { 0 };
	/* The thread counts change no result. */
	rl_propagate_opts p = *prop;
	rl_eval_opts t = *train;
	p.threads = t.threads = 1;
	int rc = rl_store_labelling_inputs(db, &b);
	/* The corpus comes first, up to the first ';': left out, so that
	 * reviews added keep the choice. */
	const char *semi = rc == RL_OK ? memchr(b.data, ';', b.len) : NULL;
	size_t skip = semi ? (size_t)(semi - b.data) + 1 : 0;
	if (rc == RL_OK)
		rc = inputs_digest(&b, &p, &t, skip, out);
	rl_buf_free(&b);
	return rc;
}

int rl_choice_save(rl_db *db, rl_choice *c)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	if (!c->when[0] || strchr(c->when, ' '))
		strftime(c->when, sizeof c->when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char text[256];
	snprintf(text, sizeof text, "1 %s %d %d %d %d %.17g %.17g %llu %s",
		 c->inputs, (int)c->method, (int)c->model, c->neighbours,
		 (int)c->class_prior, c->temperature, c->label_temperature,
		 (unsigned long long)c->reviews, c->when);
	return rl_setting_save(db, CHOICE_KEY, text);
}

int rl_choice_load(rl_db *db, rl_choice *c)
{
	rl_buf b = { 0 };
	memset(c, 0, sizeof *c);
	int rc = rl_store_setting_get(db, CHOICE_KEY, &b);
	if (rc == RL_OK) {
		int method, model, prior;
		unsigned long long reviews;
		if (sscanf(b.data, "1 %16s %d %d %d %d %lg %lg %llu %31s",
			   c->inputs, &method, &model, &c->neighbours, &prior,
			   &c->temperature, &c->label_temperature, &reviews,
			   c->when) != 9 ||
		    method < 0 || method >= RL_METHOD_CANDIDATES ||
		    model < 0 || model > RL_CLASSIFIER_POOL ||
		    model == RL_CLASSIFIER_AUTO ||
		    prior < 0 || prior > RL_PRIOR_NONE) {
			/* Not one this revlab wrote: none. */
			rc = RL_ENOTFOUND;
		} else {
			c->method = (rl_method)method;
			c->model = (rl_classifier)model;
			c->class_prior = (rl_prior)prior;
			c->reviews = reviews;
		}
	}
	rl_buf_free(&b);
	return rc;
}

/* The text after "key": in the JSON object text (a flat look-up: the
 * keys read here occur once, at the top level), or NULL. */
static const char *json_after(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(text, pat);
	return p ? p + strlen(pat) : NULL;
}

int rl_choice_adopt(rl_db *db, const char *inputs, int *adopted)
{
	rl_buf created = { 0 }, result = { 0 };
	int64_t id = 0;
	rl_choice c;
	uint32_t k = 0;
	rl_prior prior = RL_PRIOR_AUTO;
	*adopted = 0;
	memset(&c, 0, sizeof c);
	int rc = rl_store_eval_last(db, &id, &created, &result);
	if (rc == RL_ENOTFOUND) {
		rc = RL_OK;
		goto out;
	}
	if (rc != RL_OK)
		goto out;
	const char *best = json_after(result.data, "best");
	const char *model = json_after(result.data, "model");
	const char *temp = json_after(result.data, "model_temperature");
	const char *n = json_after(result.data, "reviews");
	/* Only a choice of the model: the eval holds its calibration, not
	 * the other ways'. */
	if (!best || strncmp(best, "\"model\"", 7) || !model || !temp ||
	    json_after(result.data, "multi"))
		goto out;
	c.method = RL_METHOD_MODEL;
	c.model = RL_CLASSIFIER_AUTO;
	for (int m = 0; m <= RL_CLASSIFIER_POOL; m++) {
		const char *name = rl_classifier_name((rl_classifier)m);
		size_t len = strlen(name);
		if (m != RL_CLASSIFIER_AUTO && model[0] == '"' &&
		    !strncmp(model + 1, name, len) && model[len + 1] == '"')
			c.model = (rl_classifier)m;
	}
	c.temperature = strtod(temp, NULL);
	c.label_temperature = 1;
	c.reviews = n ? strtoull(n, NULL, 10) : 0;
	if (c.model == RL_CLASSIFIER_AUTO || !(c.temperature > 0))
		goto out;
	if ((rc = rl_store_neighbours_get(db, &k)) != RL_OK &&
	    rc != RL_ENOTFOUND)
		goto out;
	if ((rc = rl_store_prior_get(db, &prior)) != RL_OK &&
	    rc != RL_ENOTFOUND)
		goto out;
	rc = RL_OK;
	c.neighbours = (int)k;
	c.class_prior = prior == RL_PRIOR_AUTO ? RL_PRIOR_SEEDS : prior;
	snprintf(c.inputs, sizeof c.inputs, "%s", inputs);
	/* made when that evaluation was */
	snprintf(c.when, sizeof c.when, "%s", created.data);
	if ((rc = rl_choice_save(db, &c)) == RL_OK)
		*adopted = 1;
out:
	rl_buf_free(&created);
	rl_buf_free(&result);
	return rc;
}

/* Whether the stored model sm is a single-label one of classifier
 * model, made on the vectorizer's fit and n_cols feature columns, for
 * ev's labels in ev's order: the model the last labelling stored, which
 * labelling only what changed may use as it is. */
static int model_fits(const rl_stored_model *sm, rl_classifier model,
		      const char *fit, uint32_t n_cols, const rl_evidence *ev)
{
	int fits = !sm->thresholds && sm->n_cols == n_cols &&
		   !strcmp(sm->kind.data, rl_classifier_name(model)) &&
		   !strcmp(sm->fit.data, fit) && sm->n_labels == ev->L &&
		   sm->n_weights == ((size_t)sm->n_cols + 1) * ev->L;
	for (uint32_t l = 0; fits && l < ev->L; l++)
		fits = !strcmp(sm->labels[l], ev->label_names[l]);
	return fits;
}

int rl_label_new(rl_db *db, const rl_eval_opts *o, uint64_t *labelled,
		 int *done)
{
	rl_evidence ev, sub;
	rl_stored_model sm;
	rl_buf fit = { 0 };
	rl_csr Xb = { 0 };
	int64_t *ids = NULL;
	uint8_t *keep = NULL;
	double *Pm = NULL;
	uint32_t m = 0, nf = 0, dim = 0, batch = RL_LABEL_BATCH;
	rl_stage st;
	char counts[96] = "{}";
	int rc;
	memset(&ev, 0, sizeof ev);
	memset(&sub, 0, sizeof sub);
	memset(&sm, 0, sizeof sm);
	*labelled = 0;
	*done = 0;
	rl_clear_error(db);
	if (rl_db_multi_label(db))
		return RL_OK;
	rl_eval_opts clf = *o;
	clf.model = rl_classifier_default(db, clf.model);
	char pj[160];
	snprintf(pj, sizeof pj, "{\"method\":\"model\",\"model\":\"%s\","
		 "\"new_only\":true}", rl_classifier_name(clf.model));
	if ((rc = rl_stage_begin(db, "label", pj, &st)) != RL_OK)
		goto out;
	rc = rl_store_model_get(db, 0, &sm);
	if (rc == RL_ENOTFOUND) {
		rc = RL_OK;
		goto end;
	}
	if (rc != RL_OK ||
	    (rc = rl_store_setting_get(db, "vectorize_fit", &fit)) != RL_OK ||
	    (rc = rl_features_shape(db, &nf, &dim)) != RL_OK ||
	    (rc = rl_evidence_load_no_graph(db, &ev)) != RL_OK)
		goto end;
	/* The model labelling stored with this choice. */
	if (!model_fits(&sm, clf.model, fit.data, nf + dim, &ev))
		goto end;
	/* As `predict` with the stored model gives them. */
	clf.temperature = sm.temperature;
	if ((rc = rl_store_unlabelled_ids(db, &ids, &m)) != RL_OK)
		goto end;
	rc = RL_ENOMEM;
	keep = calloc((size_t)ev.n + 1, 1);
	Pm = malloc(((size_t)batch * ev.L + 1) * sizeof *Pm);
	if (!keep || !Pm)
		goto end;
	for (uint32_t j = 0; j < m; j++) {
		int64_t i = rl_find_unique_id(ev.review_ids, ev.n, ids[j]);
		if (i >= 0)
			keep[i] = 1;
	}
	if ((rc = rl_evidence_subset(&ev, keep, &sub)) != RL_OK)
		goto end;
	uint32_t L = ev.L;
	for (uint32_t s = 0; s < sub.n && rc == RL_OK; s += batch) {
		uint32_t b = sub.n - s < batch ? sub.n - s : batch;
		rl_evidence w = rows_of(&sub, s, b);
		if ((rc = rl_store_features_rows(db, w.review_ids, b, nf, dim,
						 &Xb)) != RL_OK)
			goto end;
		rl_method_predict(&w, &Xb, sm.weights, &clf, Pm);
		rl_csr_free(&Xb);
		for (uint32_t r = 0; r < b && rc == RL_OK; r++) {
			const double *p = Pm + (size_t)r * L;
			if (r == 0 || (s + r) % 4096 == 0)
				rc = rl_progress_call(db, o->progress, o->ctx,
						      "write", s + r, sub.n);
			if (rc == RL_OK)
				rc = write_row(db, &sub, s + r,
					       RL_METHOD_MODEL, p, p, p,
					       sm.id, st.run_id, 0, labelled);
		}
	}
	if (rc == RL_OK)
		rc = rl_store_graph_changes_clear(db, "tracked");
	if (rc == RL_OK)
		*done = 1;
	snprintf(counts, sizeof counts, "{\"labelled\":%llu,\"model\":%lld,"
		 "\"new_only\":1}", (unsigned long long)*labelled,
		 (long long)sm.id);
end:
	rc = rl_stage_end(db, &st, rc, counts);
	if (rc != RL_OK) {
		*labelled = 0;
		*done = 0;
	}
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_evidence_free(&ev);
	rl_evidence_free(&sub);
	rl_stored_model_free(&sm);
	rl_buf_free(&fit);
	rl_csr_free(&Xb);
	free(ids);
	free(keep);
	free(Pm);
	return rc;
}

int rl_label_changed(rl_db *db, rl_method m, const rl_eval_opts *o,
		     uint64_t *labelled, int *done)
{
	rl_evidence ev, sub;
	rl_stored_model sm;
	rl_buf fit = { 0 }, gb = { 0 };
	rl_csr Xb = { 0 };
	int64_t *ch = NULL;
	uint8_t *has = NULL, *keep = NULL;
	double *P = NULL, *Q = NULL, *Pm = NULL, *Pb = NULL, *g = NULL;
	double gain[2] = { 1, 1 };
	float *raw = NULL;
	uint32_t n_ch = 0, nf = 0, dim = 0, batch = RL_LABEL_BATCH;
	uint64_t moved = 0;
	int tracked = 0;
	rl_stage st;
	rl_tick tick;
	char counts[160] = "{}";
	int rc;
	memset(&ev, 0, sizeof ev);
	memset(&sub, 0, sizeof sub);
	memset(&sm, 0, sizeof sm);
	*labelled = 0;
	*done = 0;
	rl_clear_error(db);
	if (rl_db_multi_label(db) ||
	    (m != RL_METHOD_PROPAGATION && m != RL_METHOD_BLEND))
		return RL_OK;
	rl_tick_init(&tick, o->progress, o->ctx, "propagate");
	rl_eval_opts run = *o;
	run.model = rl_classifier_default(db, run.model);
	char pj[160];
	snprintf(pj, sizeof pj, "{\"method\":\"%s\",\"model\":\"%s\","
		 "\"neighbours\":%d,\"changed_only\":true}", rl_method_name(m),
		 rl_classifier_name(run.model), o->prop.neighbours);
	if ((rc = rl_stage_begin(db, "label", pj, &st)) != RL_OK)
		goto out;
	/* What it needs of the last labelling: the graph's changes since,
	 * the spread, and for the blend the model and gains. */
	if ((rc = rl_store_graph_changes(db, &tracked, &ch, &n_ch)) != RL_OK)
		goto end;
	if (!tracked)
		goto end;
	if (m == RL_METHOD_BLEND) {
		rc = rl_store_model_get(db, 0, &sm);
		if (rc == RL_ENOTFOUND) {
			rc = RL_OK;
			goto end;
		}
		if (rc != RL_OK)
			goto end;
		rc = rl_store_setting_get(db, GAINS_KEY, &gb);
		if (rc == RL_ENOTFOUND) {
			rc = RL_OK;
			goto end;
		}
		if (rc != RL_OK ||
		    (rc = rl_store_setting_get(db, "vectorize_fit", &fit)) !=
		    RL_OK ||
		    (rc = rl_features_shape(db, &nf, &dim)) != RL_OK)
			goto end;
		if (sscanf(gb.data, "%lg %lg", &gain[0], &gain[1]) != 2)
			goto end;
	}
	if ((rc = rl_propagate_prepare(db, &o->prop, &run.prop)) != RL_OK ||
	    (rc = rl_evidence_load(db, &ev, (uint32_t)run.prop.neighbours)) !=
	    RL_OK)
		goto end;
	uint32_t n = ev.n, L = ev.L;
	if (m == RL_METHOD_BLEND &&
	    !model_fits(&sm, run.model, fit.data, nf + dim, &ev))
		goto end;
	rc = RL_ENOMEM;
	P = malloc(((size_t)n * L + 1) * sizeof *P);
	Q = malloc(((size_t)n * L + 1) * sizeof *Q);
	raw = malloc(((size_t)n * L + 1) * sizeof *raw);
	has = malloc((size_t)n + 1);
	keep = calloc((size_t)n + 1, 1);
	Pm = malloc(((size_t)batch * L + 1) * sizeof *Pm);
	Pb = malloc(((size_t)batch * L + 1) * sizeof *Pb);
	g = malloc((2 * (size_t)L + 1) * sizeof *g);
	if (!P || !Q || !raw || !has || !keep || !Pm || !Pb || !g)
		goto end;
	if ((rc = rl_store_spread_load(db, ev.review_ids, n, L, P, has)) !=
	    RL_OK)
		goto end;
	uint32_t n_has = 0;
	for (uint32_t i = 0; i < n; i++)
		n_has += has[i];
	if (n_has == 0)
		goto end;
	/* The distributions the last labelling had: its spread over the
	 * reviews it had, normalised as propagation normalises. */
	memcpy(Q, P, (size_t)n * L * sizeof *Q);
	rl_evidence old;
	if ((rc = rl_evidence_subset(&ev, has, &old)) != RL_OK)
		goto end;
	double *Qo = malloc(((size_t)old.n * L + 1) * sizeof *Qo);
	if (!Qo) {
		rl_evidence_free(&old);
		rc = RL_ENOMEM;
		goto end;
	}
	for (uint32_t i = 0, a = 0; i < n; i++)
		if (has[i])
			memcpy(Qo + (size_t)a++ * L, Q + (size_t)i * L,
			       L * sizeof *Qo);
	rc = rl_propagate_normalize(&old, NULL, &run.prop, Qo);
	for (uint32_t i = 0, a = 0; rc == RL_OK && i < n; i++)
		if (has[i])
			memcpy(Q + (size_t)i * L, Qo + (size_t)a++ * L,
			       L * sizeof *Q);
	free(Qo);
	rl_evidence_free(&old);
	if (rc != RL_OK)
		goto end;
	if ((rc = rl_propagate_from(&ev, NULL, &run.prop, 1, raw, P, NULL,
				    &tick)) != RL_OK)
		goto end;
	rl_sgraph_free(&ev.S);
	/* Labelled again: the new reviews (no spread yet), those whose
	 * neighbours changed, and those whose distribution moved. */
	for (uint32_t i = 0; i < n; i++) {
		double d = 0;
		for (uint32_t l = 0; has[i] && l < L; l++) {
			double x = fabs(P[(size_t)i * L + l] -
					Q[(size_t)i * L + l]);
			if (x > d)
				d = x;
		}
		keep[i] = !has[i] || d > MOVED;
		moved += has[i] && d > MOVED;
	}
	for (uint32_t j = 0; j < n_ch; j++) {
		int64_t i = rl_find_unique_id(ev.review_ids, n, ch[j]);
		if (i >= 0)
			keep[i] = 1;
	}
	/* Keep the subset's spread and distribution only. */
	uint32_t ns = 0;
	for (uint32_t i = 0; i < n; i++)
		if (keep[i]) {
			memmove(P + (size_t)ns * L, P + (size_t)i * L,
				L * sizeof *P);
			memmove(raw + (size_t)ns * L, raw + (size_t)i * L,
				L * sizeof *raw);
			ns++;
		}
	if ((rc = rl_evidence_subset(&ev, keep, &sub)) != RL_OK)
		goto end;
	rl_eval_opts clf = run;
	for (uint32_t s = 0; s < ns && rc == RL_OK; s += batch) {
		uint32_t b = ns - s < batch ? ns - s : batch;
		rl_evidence w = rows_of(&sub, s, b);
		double *Fb = P + (size_t)s * L, *A = Fb;
		if (m == RL_METHOD_BLEND) {
			if ((rc = rl_store_features_rows(db, w.review_ids, b,
					nf, dim, &Xb)) != RL_OK)
				goto end;
			rl_method_predict(&w, &Xb, sm.weights, &clf, Pm);
			rl_csr_free(&Xb);
			rl_blend_rows(&w, gain, Pm, Fb, Pb, g);
			A = Pb;
		}
		double t = o->label_temperature;
		for (uint32_t r = 0; t > 0 && t != 1 && r < b; r++) {
			double *p = A + (size_t)r * L;
			if (w.seed[r] >= 0 || w.cseed[r] >= 0 ||
			    rl_argmax(p, L) < 0)
				continue;
			rl_temper(p, L, t);
		}
		for (uint32_t r = 0; r < b && rc == RL_OK; r++) {
			uint32_t i = s + r;
			if ((r == 0 || i % 4096 == 0) &&
			    (rc = rl_progress_call(db, o->progress, o->ctx,
						   "write", i, ns)) != RL_OK)
				goto end;
			if ((rc = rl_store_review_labels_del(db,
					sub.review_ids[i], sm.id)) == RL_OK)
				rc = write_row(db, &sub, i, m,
					       A + (size_t)r * L,
					       m == RL_METHOD_BLEND ?
					       Pm + (size_t)r * L : NULL,
					       Fb + (size_t)r * L,
					       m == RL_METHOD_BLEND ? sm.id : 0,
					       st.run_id, 0, labelled);
			if (rc == RL_OK)
				rc = rl_store_spread_put(db, sub.review_ids[i],
						raw + (size_t)i * L, L);
		}
	}
	if (rc == RL_OK)
		rc = rl_store_graph_changes_clear(db, "tracked");
	if (rc == RL_OK)
		*done = 1;
	snprintf(counts, sizeof counts, "{\"labelled\":%llu,\"moved\":%llu,"
		 "\"graph_changes\":%u,\"changed_only\":1}",
		 (unsigned long long)*labelled, (unsigned long long)moved,
		 n_ch);
end:
	rc = rl_stage_end(db, &st, rc, counts);
	if (rc != RL_OK) {
		*labelled = 0;
		*done = 0;
	}
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_evidence_free(&ev);
	rl_evidence_free(&sub);
	rl_stored_model_free(&sm);
	rl_buf_free(&fit);
	rl_buf_free(&gb);
	rl_csr_free(&Xb);
	free(ch);
	free(has);
	free(keep);
	free(P);
	free(Q);
	free(Pm);
	free(Pb);
	free(g);
	free(raw);
	return rc;
}
