/*
 * stage_eval.c - the eval stage: the evidence and the classifier's
 * features loaded once from the store (stage.c), cross-validated by the
 * kernels of eval.c (and again per point of a learning curve), and the
 * report added to the evals table. Labels, rules, models and assignments
 * stay as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

/* The options an evaluation runs with: o (defaults for NULL), checked,
 * with what labelling chose put in for what propagation leaves open, and
 * without progress, since folds train many small models. */
static int eval_opts(rl_db *db, const rl_eval_opts *o, rl_eval_opts *use)
{
	if (o)
		*use = *o;
	else
		rl_eval_opts_init(use);
	use->progress = NULL;
	int rc = rl_eval_check(db, use);
	if (rc != RL_OK)
		return rc;
	use->model = rl_classifier_default(db, use->model);
	return rl_propagate_prepare(db, &use->prop, &use->prop);
}

/* What cross-validation works on: the evidence of at most about cap
 * reviews of the corpus (rl_cv_sample; 0: all) and, unless the hand
 * labels are too few to make two folds (RL_EEMPTY, said in the detail),
 * the features of its rows; *reviews gets the corpus's count. On failure
 * both are empty. */
static int cv_load(rl_db *db, const rl_eval_opts *o, uint32_t cap,
		   rl_evidence *ev, rl_csr *X, uint64_t *reviews)
{
	uint32_t k, least;
	memset(X, 0, sizeof *X);
	int rc = rl_evidence_load(db, ev, (uint32_t)o->prop.neighbours);
	if (rc != RL_OK)
		return rc;
	*reviews = ev->n;
	if (cap > 0 && ev->n > cap) {
		uint8_t *keep = malloc((size_t)ev->n + 1);
		uint32_t kept = 0;
		rl_evidence sub;
		rc = keep ? rl_cv_sample(ev, cap, (uint64_t)o->seed, keep,
					 &kept)
			  : RL_ENOMEM;
		if (rc == RL_OK)
			rc = rl_evidence_subset(ev, keep, &sub);
		free(keep);
		if (rc != RL_OK) {
			rl_evidence_free(ev);
			return rl_fail(db, rc, "out of memory");
		}
		rl_evidence_free(ev);
		*ev = sub;
	}
	uint32_t want = (uint32_t)(o->folds < 2 ? 2 : o->folds);
	rc = ev->multi ? rl_cv_fold_count_multi(ev, want, &k, &least)
		       : rl_cv_fold_count(ev->n, ev->L, ev->seed, want, &k,
					  &least);
	if (rc == RL_EEMPTY)
		rc = rl_fail(db, RL_EEMPTY, "too few hand labels to evaluate: "
			     "need at least 2 labels with 2 seeds each");
	if (rc == RL_OK)
		rc = rl_features_load(db, ev->review_ids, ev->n, X);
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	if (rc != RL_OK)
		rl_evidence_free(ev);
	return rc;
}

/* Macro-F1 of every method against the seeds per label each fold trains
 * on; the held-out seeds stay the same for every size. */
static int eval_curve(rl_db *db, const rl_evidence *ev, const rl_csr *X,
		      const rl_eval_opts *o, rl_eval_report *r)
{
	static const uint32_t sizes[] = { 1, 2, 3, 5, 8, 10, 15, 20, 30, 50,
					  100, 200, 500, 1000 };
	const size_t n_sizes = sizeof sizes / sizeof sizes[0];
	rl_eval_opts co = *o;
	int rc = RL_OK;
	r->curve = calloc(n_sizes, sizeof *r->curve);
	if (!r->curve)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	/* Past the seeds there are, more sizes repeat the last point. */
	uint32_t have = r->min_per_label - r->min_per_label / r->folds;
	for (size_t i = 0; i < n_sizes && rc == RL_OK; i++) {
		rl_eval_report *p = NULL;
		co.max_per_label = (int)sizes[i];
		if ((rc = rl_cv(ev, X, &co, &p, NULL)) != RL_OK)
			break;
		rl_curve_point *c = &r->curve[r->n_curve++];
		c->per_label = sizes[i];
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			c->macro_f1[m] = p->methods[m].macro_f1;
		rl_eval_report_free(p);
		if (sizes[i] >= have)
			break;
	}
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	return rc;
}

int rl_eval_save(rl_db *db, rl_eval_report *r)
{
	char *json = NULL;
	int64_t id = 0;
	rl_stage st;
	char params[96], counts[96];
	rl_clear_error(db);
	int rc = rl_eval_report_json(r, &json);
	if (rc != RL_OK)
		return rl_fail(db, rc, "out of memory");
	snprintf(params, sizeof params, "{\"model\":\"%s\",\"folds\":%u,"
		 "\"curve\":%s}", rl_classifier_name(r->model), r->folds,
		 r->n_curve ? "true" : "false");
	if ((rc = rl_stage_begin(db, "eval", params, &st)) != RL_OK)
		goto out;
	rc = rl_store_eval_put(db, st.run_id, json, &id);
	snprintf(counts, sizeof counts, "{\"seeds\":%llu,\"eval\":%lld}",
		 (unsigned long long)r->seeds, (long long)id);
	if ((rc = rl_stage_end(db, &st, rc, counts)) == RL_OK)
		r->id = id;
out:
	free(json);
	return rc;
}

int rl_eval(rl_db *db, const rl_eval_opts *opts, rl_eval_report **out)
{
	return rl_eval_sampled(db, opts, RL_CV_REVIEWS, out);
}

int rl_eval_sampled(rl_db *db, const rl_eval_opts *opts, uint32_t cap,
		    rl_eval_report **out)
{
	rl_eval_opts o;
	rl_evidence ev;
	rl_csr X;
	rl_eval_report *r = NULL;
	*out = NULL;
	rl_clear_error(db);
	int rc = eval_opts(db, opts, &o);
	uint64_t reviews = 0;
	if (rc != RL_OK ||
	    (rc = cv_load(db, &o, cap, &ev, &X, &reviews)) != RL_OK)
		return rc;
	rc = rl_cv(&ev, &X, &o, &r, NULL);
	if (rc == RL_OK)
		r->reviews = reviews;
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	if (rc == RL_OK && o.curve)
		rc = eval_curve(db, &ev, &X, &o, r);
	rl_evidence_free(&ev);
	rl_csr_free(&X);
	if (rc == RL_OK && o.save)
		rc = rl_eval_save(db, r);
	if (rc != RL_OK) {
		rl_eval_report_free(r);
		return rc;
	}
	*out = r;
	return RL_OK;
}

void rl_oof_free(rl_oof *oof)
{
	if (!oof)
		return;
	rl_evidence_free(&oof->ev);
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		free(oof->P[m]);
	memset(oof, 0, sizeof *oof);
}

int rl_eval_oof(rl_db *db, const rl_eval_opts *opts, rl_eval_report **out,
		rl_oof *oof)
{
	rl_eval_opts o;
	rl_csr X;
	rl_oof got;
	*out = NULL;
	memset(&got, 0, sizeof got);
	if (oof)
		memset(oof, 0, sizeof *oof);
	rl_clear_error(db);
	int rc = eval_opts(db, opts, &o);
	uint64_t reviews = 0;
	if (rc != RL_OK || (rc = cv_load(db, &o, RL_CV_REVIEWS, &got.ev, &X,
					 &reviews)) != RL_OK)
		return rc;
	uint32_t n = got.ev.n, L = got.ev.L;
	rc = RL_ENOMEM;
	for (int m = 0; oof && m < RL_METHOD_COUNT; m++)
		if (!(got.P[m] = calloc((size_t)n * L + 1, sizeof *got.P[m])))
			goto out;
	rc = rl_cv(&got.ev, &X, &o, out, oof ? got.P : NULL);
	if (rc == RL_OK)
		(*out)->reviews = reviews;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_csr_free(&X);
	if (rc == RL_OK && oof)
		*oof = got;
	else
		rl_oof_free(&got);
	return rc;
}
