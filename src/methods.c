/*
 * methods.c - the ways of turning evidence into labels besides
 * propagation (propagate.c): rules alone, the classifier trained on
 * propagation's labels, and the blend of the classifier and propagation;
 * and the two baselines they are measured against, a plain majority vote
 * of the rules and the classifier trained on the hand labels alone.
 * Kernel: the evidence's arrays and the features in, label distributions
 * out. Cross-validation (eval.c) scores them all alike; labelling
 * (stage_label.c) applies the method it picks, never a baseline.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

const char *rl_method_name(rl_method m)
{
	switch (m) {
	case RL_METHOD_RULES: return "rules";
	case RL_METHOD_PROPAGATION: return "propagation";
	case RL_METHOD_MODEL: return "model";
	case RL_METHOD_BLEND: return "blend";
	case RL_METHOD_MAJORITY: return "majority";
	case RL_METHOD_SEEDS: return "seeds-only";
	default: return "unknown";
	}
}

rl_classifier rl_classifier_of(const rl_eval_opts *o)
{
	return o->model == RL_CLASSIFIER_NB || o->model == RL_CLASSIFIER_CNB ||
	       o->model == RL_CLASSIFIER_POOL ? o->model
					      : RL_CLASSIFIER_LOGREG;
}

/* The mean absolute distance of theta's logits from their mean over
 * labels, on up to 4,096 of X's rows spread evenly; 0 if all are flat.
 * z needs L slots. */
static double logit_scale(const rl_csr *X, const double *theta, uint32_t L,
			  double *z)
{
	uint32_t step = X->n_rows / 4096 + 1;
	double sum = 0, cnt = 0;
	for (uint32_t i = 0; i < X->n_rows; i += step) {
		double mean = 0;
		rl_linear_logits(X, i, theta, L, z);
		for (uint32_t l = 0; l < L; l++)
			mean += z[l] / L;
		for (uint32_t l = 0; l < L; l++, cnt++)
			sum += fabs(z[l] - mean);
	}
	return cnt > 0 ? sum / cnt : 0;
}

/* The classifier of o trained on T and w into theta. With lr (NULL:
 * none), the logistic regression among them (alone, or the pool's) keeps
 * its own weights there [n_cols + 1][L], and with warm starts from them:
 * self-training's second fit begins where the first ended. */
static int train_from(const rl_eval_opts *o, const rl_csr *X,
		      const float *T, const float *w, uint32_t L,
		      double *theta, double *lr, int warm);

static int train_pool(const rl_eval_opts *o, const rl_csr *X,
		      const float *T, const float *w, uint32_t L,
		      double *theta, double *lr, int warm)
{
	static const rl_classifier parts[] = {
		RL_CLASSIFIER_LOGREG, RL_CLASSIFIER_NB, RL_CLASSIFIER_CNB
	};
	size_t sz = (size_t)(X->n_cols + 1) * L;
	double *part = malloc(sz * sizeof *part);
	double *z = malloc(((size_t)L + 1) * sizeof *z);
	int rc = RL_ENOMEM;
	if (!part || !z)
		goto out;
	memset(theta, 0, sz * sizeof *theta);
	for (size_t k = 0; k < sizeof parts / sizeof *parts; k++) {
		rl_eval_opts po = *o;
		po.model = parts[k];
		if ((rc = train_from(&po, X, T, w, L, part, lr, warm)) !=
		    RL_OK)
			goto out;
		double s = logit_scale(X, part, L, z);
		for (size_t j = 0; s > 0 && j < sz; j++)
			theta[j] += part[j] / s;
	}
	rc = RL_OK;
out:
	free(part);
	free(z);
	return rc;
}

static int train_from(const rl_eval_opts *o, const rl_csr *X,
		      const float *T, const float *w, uint32_t L,
		      double *theta, double *lr, int warm)
{
	int rc;
	switch (rl_classifier_of(o)) {
	case RL_CLASSIFIER_NB:
		return rl_nb_train(X, T, w, L, o->smoothing, theta);
	case RL_CLASSIFIER_CNB:
		return rl_cnb_train(X, T, w, L, o->smoothing, theta);
	case RL_CLASSIFIER_POOL:
		return train_pool(o, X, T, w, L, theta, lr, warm);
	default:
		rc = rl_logreg_train_from(X, T, w, L, o->l2,
					  (uint32_t)o->max_iter, o->tol,
					  o->threads, lr && warm ? lr : NULL,
					  theta, NULL, o->progress, o->ctx);
		if (rc == RL_OK && lr)
			memcpy(lr, theta, (size_t)(X->n_cols + 1) * L *
			       sizeof *lr);
		return rc;
	}
}

int rl_train_classifier(const rl_eval_opts *o, const rl_csr *X,
			const float *T, const float *w, uint32_t L,
			double *theta)
{
	return train_from(o, X, T, w, L, theta, NULL, 0);
}

int rl_method_rules(const rl_evidence *ev, const uint8_t *use_seed,
		    double *P)
{
	if (ev->multi)
		return rl_rules_multi(ev, use_seed, P);
	uint32_t L = ev->L;
	double *quality = malloc((ev->n_rules + 1) * sizeof *quality);
	int rc = quality ? rl_rule_quality(ev, use_seed, quality) : RL_ENOMEM;
	for (uint32_t i = 0; rc == RL_OK && i < ev->n; i++) {
		double *p = P + (size_t)i * L, sum = 0;
		memset(p, 0, L * sizeof *p);
		rl_rule_votes(ev, i, quality, 1, p);
		for (uint32_t l = 0; l < L; l++)
			sum += p[l];
		for (uint32_t l = 0; sum > 0 && l < L; l++)
			p[l] /= sum;
	}
	free(quality);
	return rc;
}

void rl_method_majority(const rl_evidence *ev, double *P, uint64_t *votes)
{
	if (ev->multi) {
		rl_majority_multi(ev, P);
		return;
	}
	uint32_t L = ev->L;
	/* Counted in units of 1 / (L - 1) vote, so that `!label` votes
	 * add up exactly and a tie is a tie. */
	uint64_t whole = L > 1 ? L - 1 : 1;
	for (uint32_t i = 0; i < ev->n; i++) {
		double *p = P + (size_t)i * L;
		uint64_t sum = 0, top = 0;
		uint32_t at_top = 0;
		memset(votes, 0, L * sizeof *votes);
		for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
			uint32_t r = ev->hit_rule[h];
			if (!ev->rule_negate[r])
				votes[ev->rule_label[r]] += whole;
			else if (L > 1)
				for (uint32_t l = 0; l < L; l++)
					votes[l] += l != ev->rule_label[r];
		}
		for (uint32_t l = 0; l < L; l++) {
			sum += votes[l];
			if (votes[l] > top) {
				top = votes[l];
				at_top = 1;
			} else if (votes[l] == top && top > 0) {
				at_top++;
			}
		}
		for (uint32_t l = 0; l < L; l++)
			p[l] = at_top == 1 ? (double)votes[l] / (double)sum : 0;
	}
}

int rl_method_seeds(const rl_evidence *ev, const rl_csr *X,
		    const uint8_t *use_seed, const rl_eval_opts *o, double *P)
{
	uint32_t n = ev->n, L = ev->L;
	double *T = calloc((size_t)n * L + 1, sizeof *T);
	if (!T)
		return RL_ENOMEM;
	/* One-hot rows for the hand labels in use, zero rows (weight 0 in
	 * rl_method_model, so left out of training) for the rest. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t l = 0; ev->seed[i] >= 0 && use_seed[i] && l < L;
		     l++)
			T[(size_t)i * L + l] = rl_has_label(ev, i, l);
	int rc = rl_method_model(ev, X, use_seed, T, o, P, NULL);
	free(T);
	return rc;
}

/* Balanced class weights, so a big class does not drown the rest:
 * row i's weight w[i] times sum over labels of its target's share times
 * total / (L mass[l]), mass[l] the weighted target mass of label l. */
static void balance(const float *T, float *w, uint32_t n, uint32_t L,
		    double *mass)
{
	double total = 0;
	memset(mass, 0, L * sizeof *mass);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t l = 0; w[i] > 0 && l < L; l++)
			mass[l] += w[i] * T[(size_t)i * L + l];
	for (uint32_t l = 0; l < L; l++)
		total += mass[l];
	for (uint32_t i = 0; i < n; i++) {
		if (w[i] <= 0)
			continue;
		double cw = 0;
		for (uint32_t l = 0; l < L; l++)
			if (mass[l] > 0)
				cw += T[(size_t)i * L + l] * total /
				      (L * mass[l]);
		w[i] *= (float)cw;
	}
}

/* Targets T and weights w from label distributions P: row i's target is
 * P's row, its weight how sure the row is (its top share); a hand label
 * in use weighs 1, one held out 0, and so does a row nothing reached
 * (a zero row: the seeds-only baseline's unlabelled reviews). Returns
 * how many rows that are not hand labels have a weight. */
static uint32_t targets(const rl_evidence *ev, const uint8_t *use_seed,
			const double *P, float *T, float *w)
{
	uint32_t n = ev->n, L = ev->L, soft = 0;
	for (uint32_t i = 0; i < n; i++) {
		const double *p = P + (size_t)i * L;
		double best = 0;
		for (uint32_t l = 0; l < L; l++) {
			T[(size_t)i * L + l] = (float)p[l];
			if (p[l] > best)
				best = p[l];
		}
		int hidden = ev->seed[i] >= 0 && !use_seed[i];
		w[i] = hidden ? 0 : ev->seed[i] >= 0 ? 1 : (float)best;
		soft += ev->seed[i] < 0 && w[i] > 0;
	}
	return soft;
}

/* Progress of a classifier trained twice (self-training): each
 * training's iterations as half of one count, so what the caller hears
 * only grows. */
typedef struct twice {
	rl_progress_fn progress;
	void *ctx;
	uint64_t base;
} twice;

static int twice_progress(void *ctx, const char *stage, uint64_t done,
			  uint64_t total)
{
	const twice *t = ctx;
	return t->progress(t->ctx, stage, t->base + done, 2 * total);
}

int rl_method_model(const rl_evidence *ev, const rl_csr *X,
		    const uint8_t *use_seed, const double *Pprop,
		    const rl_eval_opts *o, double *P, double *theta_out)
{
	if (ev->multi)
		return rl_model_multi(ev, X, use_seed, Pprop, o, P, theta_out);
	uint32_t n = ev->n, L = ev->L;
	size_t sz = (size_t)(X->n_cols + 1) * L;
	float *T = malloc(((size_t)n * L + 1) * sizeof *T);
	float *w = malloc(((size_t)n + 1) * sizeof *w);
	double *theta = theta_out ? theta_out : malloc(sz * sizeof *theta);
	double *mass = calloc((size_t)L + 1, sizeof *mass);
	double s = o->self_train, *lr = NULL;
	int rc = RL_ENOMEM;
	if (!T || !w || !theta || !mass)
		goto out;
	/* A propagated label counts as much as it is sure; a hand label
	 * fully. */
	uint32_t soft = targets(ev, use_seed, Pprop, T, w);
	int again = s > 0 && soft > 0;
	rl_eval_opts first = *o;
	twice tw = { o->progress, o->ctx, 0 };
	if (again && o->progress) {
		first.progress = twice_progress;
		first.ctx = &tw;
	}
	/* Only logistic regression (alone or in the pool) starts warm. */
	rl_classifier c = rl_classifier_of(o);
	if (again && (c == RL_CLASSIFIER_LOGREG || c == RL_CLASSIFIER_POOL) &&
	    !(lr = malloc(sz * sizeof *lr)))
		goto out;
	balance(T, w, n, L, mass);
	if ((rc = train_from(&first, X, T, w, L, theta, lr, 0)) != RL_OK)
		goto out;
	if (again) {
		/* Self-training: the reviews it trained on, other than the
		 * hand labels, take the mix of its own labels (untempered)
		 * and propagation's as targets, and it trains again, its
		 * logistic regression from where the first fit ended. */
		rl_eval_opts once = *o;
		once.temperature = 1;
		rl_method_predict(ev, X, theta, &once, P);
		for (uint32_t i = 0; i < n; i++) {
			double *p = P + (size_t)i * L;
			const double *q = Pprop + (size_t)i * L;
			for (uint32_t l = 0; l < L; l++)
				p[l] = ev->seed[i] >= 0 || w[i] <= 0 ? q[l]
					: s * p[l] + (1 - s) * q[l];
		}
		targets(ev, use_seed, P, T, w);
		balance(T, w, n, L, mass);
		tw.base = (uint64_t)(o->max_iter > 0 ? o->max_iter : 0);
		if ((rc = train_from(&first, X, T, w, L, theta, lr, 1)) !=
		    RL_OK)
			goto out;
	}
	rl_method_predict(ev, X, theta, o, P);
	rc = RL_OK;
out:
	free(T);
	free(w);
	if (!theta_out)
		free(theta);
	free(mass);
	free(lr);
	return rc;
}

/* Row i of P as centred log-probabilities into g; 0 if it abstains. */
static int centred_logits(const double *p, uint32_t L, double *g)
{
	double s = 0, mean = 0;
	for (uint32_t l = 0; l < L; l++)
		s += p[l];
	if (!(s > 0))
		return 0;
	for (uint32_t l = 0; l < L; l++)
		mean += g[l] = log(p[l] / s + 1e-6);
	for (uint32_t l = 0; l < L; l++)
		g[l] -= mean / L;
	return 1;
}

/* The mean absolute centred log-probability over the rows of P that are
 * not clamped hand labels (whose certainty says nothing of the method):
 * how sure a method is overall, whatever its calibration. */
static double logit_spread(const rl_evidence *ev, const uint8_t *use_seed,
			   const double *P, double *g)
{
	uint32_t L = ev->L;
	double sa = 0, cnt = 0;
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->seed[i] >= 0 && (!use_seed || use_seed[i]))
			continue;
		if (centred_logits(P + i * L, L, g))
			for (uint32_t l = 0; l < L; l++, cnt++)
				sa += fabs(g[l]);
	}
	return cnt > 0 && sa > 0 ? sa / cnt : 1;
}

/* ---- the pieces of labelling a batch at a time (stage_label.c) ----
 * The blend and prediction split into what is fitted once and what
 * applies per row; a multi-label row is multi.c's (rl_blend_row_multi,
 * rl_predict_row_multi), the same rl_blend_multi and rl_model_multi
 * use; check_label.c holds them to those. */

void rl_method_predict(const rl_evidence *ev, const rl_csr *X,
		       const double *theta, const rl_eval_opts *o, double *P)
{
	uint32_t L = ev->L;
	for (uint32_t i = 0; i < X->n_rows; i++) {
		double *p = P + (size_t)i * L;
		if (ev->multi) {
			rl_predict_row_multi(X, i, theta, L, o->temperature,
					     p);
			continue;
		}
		rl_logreg_predict(X, i, theta, L, p);
		if (o->temperature != 1)
			rl_temper(p, L, o->temperature);
	}
}

void rl_blend_gains(const rl_evidence *ev, const uint8_t *use_seed,
		    const double *Pm, const double *Pp, double *gain,
		    double *g)
{
	if (ev->multi) {
		gain[0] = rl_logit_scale_multi(ev, use_seed, Pm);
		gain[1] = rl_logit_scale_multi(ev, use_seed, Pp);
	} else {
		gain[0] = logit_spread(ev, use_seed, Pm, g);
		gain[1] = logit_spread(ev, use_seed, Pp, g);
	}
}

void rl_blend_rows(const rl_evidence *ev, const double *gain,
		   const double *Pm, const double *Pp, double *P, double *g)
{
	uint32_t n = ev->n, L = ev->L;
	double sm = gain[0], sp = gain[1];
	for (size_t i = 0; i < n; i++) {
		double *p = P + i * L, *h = g + L;
		if (ev->multi) {
			rl_blend_row_multi(Pm + i * L, Pp + i * L, L, sm, sp,
					   p);
			continue;
		}
		int hm = centred_logits(Pm + i * L, L, g);
		int hp = centred_logits(Pp + i * L, L, h);
		if (!hm && !hp) {
			memset(p, 0, L * sizeof *p);
			continue;
		}
		for (uint32_t l = 0; l < L; l++)
			p[l] = (hm ? g[l] / sm : 0) + (hp ? h[l] / sp : 0);
		rl_softmax(p, L);
	}
}

void rl_blend(const rl_evidence *ev, const uint8_t *use_seed,
	      const double *Pm, const double *Pp, double *P, double *g)
{
	if (ev->multi) {
		rl_blend_multi(ev, use_seed, Pm, Pp, P);
		return;
	}
	double gain[2];
	rl_blend_gains(ev, use_seed, Pm, Pp, gain, g);
	rl_blend_rows(ev, gain, Pm, Pp, P, g);
}
