/*
 * multi.c - the ways of labelling in a multi-label store, where a review
 * carries any number of labels: each (review, label) gets a probability
 * of its own, and a review gets every label whose probability reaches the
 * label's threshold (its likeliest when none does). Kernel: the
 * evidence's arrays in, probabilities [n][L] out; the functions of
 * propagate.c, methods.c and eval.c turn here when ev->multi is set.
 *
 * Choices, deliberately:
 * - Every label is its own question, label against its absence (one
 *   against the rest), so a hand-labelled review without l is evidence
 *   against l: in propagation (it clamps l's "against" column), in the
 *   classifiers (a negative example) and in rule precision (a rule for l
 *   hitting it is wrong).
 * - Propagation spreads 2L columns at once, for and against each label,
 *   through the same graph and kernel as a single-label store; each
 *   label's share of "for" is left as the spreading gives it
 *   (class_prior none, the default) or rescaled to its share among the
 *   hand labels (seeds; uniform: their mean), class mass normalisation
 *   per label; then P = for / (for + against).
 * - The classifiers are the single-label ones trained on two classes per
 *   label; the difference of the two weight columns is the label's logit
 *   weights, so prediction is one pass over a review's features for all
 *   labels.
 * - Thresholds are chosen per label on out-of-fold probabilities, to
 *   maximise that label's F1 (rare labels need thresholds far below 0.5);
 *   a fold is scored with thresholds chosen on the other folds only.
 *   The F1 is weighted to the label's share in the corpus as the method
 *   itself estimates it (its mean probability over the reviews without
 *   hand labels): hand-labelled reviews are picked for their labels, so
 *   the rare ones are over-represented among them, and a threshold
 *   fitted to them as they are gives those labels to most reviews.
 * - Propagation keeps the shares the spreading gives unless told to
 *   normalise (class_prior seeds or uniform), for the same reason.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

/* ---- small pieces ---- */

static double sigmoid(double z)
{
	return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

static double logit(double p)
{
	const double e = 1e-6;
	p = p < e ? e : p > 1 - e ? 1 - e : p;
	return log(p / (1 - p));
}

static int row_zero(const double *p, uint32_t L)
{
	for (uint32_t l = 0; l < L; l++)
		if (p[l] > 0)
			return 0;
	return 1;
}

void rl_temper_multi(double *p, size_t m, double t)
{
	if (t == 1)
		return;
	for (size_t i = 0; i < m; i++)
		if (p[i] > 0)
			p[i] = sigmoid(logit(p[i]) / t);
}

uint32_t rl_decide_multi(const double *p, uint32_t L, const double *thr,
			 uint8_t *on)
{
	uint32_t k = 0, best = 0;
	for (uint32_t l = 0; l < L; l++) {
		on[l] = p[l] > 0 && p[l] >= (thr ? thr[l] : 0.5);
		k += on[l];
		if (p[l] > p[best])
			best = l;
	}
	if (k == 0 && L > 0 && p[best] > 0) {
		on[best] = 1;
		k = 1;
	}
	return k;
}

typedef struct py {
	double p;
	uint8_t y;
} py;

static int by_p_desc(const void *a, const void *b)
{
	const py *x = a, *z = b;
	return x->p > z->p ? -1 : x->p < z->p;
}

double rl_fit_threshold(const double *p, const uint8_t *y, size_t m,
			double share)
{
	py *v = malloc((m ? m : 1) * sizeof *v);
	uint64_t pos = 0;
	if (!v)
		return 0.5;
	for (size_t i = 0; i < m; i++) {
		v[i] = (py){ p[i], y[i] };
		pos += y[i] != 0;
	}
	if (pos == 0) {
		free(v);
		return 0.5;
	}
	qsort(v, m, sizeof *v, by_p_desc);
	/* Cut after each run of equal probabilities: everything above the
	 * cut is given the label. The threshold sits halfway to the next
	 * probability below. */
	/* Weights that give the label the share `share` among these rows:
	 * F1 as it would be on a corpus where the label is that common. */
	double wp = 1, wn = 1;
	if (share > 0 && share < 1 && pos < m) {
		double ps = (double)pos / (double)m;
		wp = share / ps;
		wn = (1 - share) / (1 - ps);
	}
	double best_f = -1, best_t = 0.5;
	uint64_t tp = 0, fp = 0;
	for (size_t a = 0; a < m;) {
		size_t b = a;
		while (b < m && v[b].p == v[a].p) {
			tp += v[b].y != 0;
			fp += v[b].y == 0;
			b++;
		}
		if (!(v[a].p > 0))
			break;
		double f = 2 * wp * (double)tp /
			   (2 * wp * (double)tp + wn * (double)fp +
			    wp * (double)(pos - tp));
		double t = b < m ? (v[a].p + v[b].p) / 2 : v[a].p;
		if (f > best_f + 1e-12 ||
		    (f > best_f - 1e-12 && fabs(t - 0.5) < fabs(best_t - 0.5))) {
			best_f = f;
			best_t = t;
		}
		a = b;
	}
	free(v);
	return best_t > 1e-9 ? best_t : 1e-9;
}

/* ---- rules ---- */

int rl_rules_multi(const rl_evidence *ev, const uint8_t *use_seed,
		   double *P)
{
	uint32_t L = ev->L;
	double *quality = malloc((ev->n_rules + 1) * sizeof *quality);
	double *against = malloc(((size_t)L + 1) * sizeof *against);
	int rc = quality && against ? rl_rule_quality(ev, use_seed, quality)
				    : RL_ENOMEM;
	for (uint32_t i = 0; rc == RL_OK && i < ev->n; i++) {
		double *p = P + (size_t)i * L;
		/* p holds, per label, the chance that every rule for it is
		 * wrong, then the noisy-or. */
		for (uint32_t l = 0; l < L; l++) {
			p[l] = 2;	/* no rule for l matched */
			against[l] = 1;
		}
		for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
			uint32_t r = ev->hit_rule[h], l = ev->rule_label[r];
			double miss = pow(1 - quality[r], ev->rule_weight[r]);
			if (ev->rule_negate[r])
				against[l] *= miss;
			else
				p[l] = (p[l] > 1 ? 1 : p[l]) * miss;
		}
		for (uint32_t l = 0; l < L; l++)
			p[l] = p[l] > 1 ? 0 : (1 - p[l]) * against[l];
	}
	free(quality);
	free(against);
	return rc;
}

void rl_majority_multi(const rl_evidence *ev, double *P)
{
	uint32_t L = ev->L;
	for (uint32_t i = 0; i < ev->n; i++) {
		double *p = P + (size_t)i * L;
		memset(p, 0, L * sizeof *p);
		for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
			uint32_t r = ev->hit_rule[h];
			p[ev->rule_label[r]] += ev->rule_negate[r] ? -1 : 1;
		}
		for (uint32_t l = 0; l < L; l++)
			p[l] = p[l] > 0;
	}
}

/* ---- propagation ---- */

/* Per label, the smoothed share (c + 1) / (n + 2) of the n hand-labelled
 * reviews in use that carry it where a rule for it fires (c), its rules'
 * recall; 0 for a label no rule votes for. seen needs L bytes. */
static void rules_recall(const rl_evidence *ev, const uint8_t *use_seed,
			 double *recall, uint8_t *seen)
{
	uint32_t L = ev->L;
	uint64_t *n = calloc(2 * (size_t)L + 1, sizeof *n);
	if (!n)
		return;
	uint64_t *c = n + L;
	memset(recall, 0, L * sizeof *recall);
	for (uint32_t r = 0; r < ev->n_rules; r++)
		if (!ev->rule_negate[r] && ev->rule_label[r] < L)
			recall[ev->rule_label[r]] = -1;	/* has a rule */
	for (uint32_t i = 0; i < ev->n; i++) {
		if (ev->seed[i] < 0 || (use_seed && !use_seed[i]))
			continue;
		memset(seen, 0, L);
		for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
			uint32_t r = ev->hit_rule[h];
			if (!ev->rule_negate[r])
				seen[ev->rule_label[r]] = 1;
		}
		for (uint32_t l = 0; l < L; l++)
			if (ev->Y[(size_t)i * L + l]) {
				n[l]++;
				c[l] += seen[l];
			}
	}
	for (uint32_t l = 0; l < L; l++)
		recall[l] = recall[l] < 0 ? ((double)c[l] + 1) /
					    ((double)n[l] + 2) : 0;
	free(n);
}

int rl_propagate_multi(const rl_evidence *ev, const uint8_t *use_seed,
		       const rl_propagate_opts *o, double *P,
		       uint32_t *iters, rl_tick *tick)
{
	uint32_t n = ev->n, L = ev->L, L2 = 2 * ev->L;
	double *Y = calloc((size_t)n * L2 + 1, sizeof *Y);
	double *F = malloc(((size_t)n * L2 + 1) * sizeof *F);
	uint8_t *clamp = calloc((size_t)n + 1, 1);
	double *quality = malloc((ev->n_rules + 1) * sizeof *quality);
	double *prior = calloc((size_t)L + 1, sizeof *prior);
	double *mass = calloc(2 * (size_t)L + 1, sizeof *mass);
	/* per label: its rules' recall on the hand labels in use (0: no
	 * rule for it), and the rules for it that hit the row at hand */
	double *recall = calloc((size_t)L + 1, sizeof *recall);
	uint8_t *fired = calloc((size_t)L + 1, 1);
	int rc = RL_ENOMEM;
	if (!Y || !F || !clamp || !quality || !prior || !mass || !recall ||
	    !fired)
		goto out;
	rules_recall(ev, use_seed, recall, fired);
	int majority = o->rule_vote == RL_VOTE_MAJORITY;
	if (!majority && (rc = rl_rule_quality(ev, use_seed, quality)) !=
	    RL_OK)
		goto out;
	/* Each label's share among the hand-labelled (and cluster-named)
	 * reviews in use. */
	double n_used = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (ev->seed[i] >= 0 && (!use_seed || use_seed[i])) {
			for (uint32_t l = 0; l < L; l++)
				prior[l] += ev->Y[(size_t)i * L + l];
			n_used += 1;
		} else if (ev->seed[i] < 0 && ev->cseed[i] >= 0) {
			prior[ev->cseed[i]] += 1;
			n_used += 1;
		}
	}
	double mean = 0;
	for (uint32_t l = 0; l < L; l++)
		mean += prior[l] = n_used > 0 ? prior[l] / n_used : 1.0 / L;
	for (uint32_t l = 0; l < L && o->class_prior == RL_PRIOR_UNIFORM; l++)
		prior[l] = mean / L;

	for (uint32_t i = 0; i < n; i++) {
		double *y = Y + (size_t)i * L2;
		if (ev->seed[i] >= 0 && (!use_seed || use_seed[i])) {
			for (uint32_t l = 0; l < L; l++) {
				y[l] = ev->Y[(size_t)i * L + l];
				y[L + l] = 1 - y[l];
			}
			clamp[i] = 1;
			continue;
		}
		memset(fired, 0, L);
		for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
			uint32_t r = ev->hit_rule[h];
			double v = o->rule_strength * ev->rule_weight[r] *
				   (majority ? 1 : quality[r]);
			y[(ev->rule_negate[r] ? L : 0) + ev->rule_label[r]] += v;
			if (!ev->rule_negate[r])
				fired[ev->rule_label[r]] = 1;
		}
		/* A label's rules keeping silent is evidence against it, as
		 * strong as they are likely to speak when it is there. */
		for (uint32_t l = 0; !majority && l < L; l++)
			if (!fired[l])
				y[L + l] += o->rule_strength * recall[l];
		if (ev->seed[i] < 0 && ev->cseed[i] >= 0)
			y[ev->cseed[i]] += o->cluster_strength;
	}
	if ((rc = rl_spread(&ev->S, L2, Y, clamp, o->alpha, o->tol,
			    (uint32_t)o->max_iter, o->threads, F, iters,
			    tick)) != RL_OK)
		goto out;
	/* Class mass per label: "for" and "against" as a distribution per
	 * row, summed over the rows not clamped. */
	for (uint32_t i = 0; i < n; i++) {
		if (clamp[i])
			continue;
		const double *f = F + (size_t)i * L2;
		for (uint32_t l = 0; l < L; l++) {
			double a = f[l] > 0 ? f[l] : 0;
			double b = f[L + l] > 0 ? f[L + l] : 0;
			if (a + b > 0) {
				mass[l] += a / (a + b);
				mass[L + l] += b / (a + b);
			}
		}
	}
	for (uint32_t l = 0; l < L; l++) {
		if (o->class_prior == RL_PRIOR_NONE) {
			/* the spreading's own shares, for the rows it
			 * reached and the labels it did not */
			double a = mass[l], b = mass[L + l];
			if (a + b > 0)
				prior[l] = a / (a + b);
			mass[l] = mass[L + l] = 1;
			continue;
		}
		mass[l] = mass[l] > 0 ? prior[l] / mass[l] : 0;
		mass[L + l] = mass[L + l] > 0 ? (1 - prior[l]) / mass[L + l]
					      : 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		double *p = P + (size_t)i * L;
		const double *f = F + (size_t)i * L2;
		if (clamp[i]) {
			for (uint32_t l = 0; l < L; l++)
				p[l] = ev->Y[(size_t)i * L + l];
			continue;
		}
		int any = 0;
		for (uint32_t l = 0; l < L; l++) {
			double a = (f[l] > 0 ? f[l] : 0) * mass[l];
			double b = (f[L + l] > 0 ? f[L + l] : 0) * mass[L + l];
			any |= f[l] > 0 || f[L + l] > 0;
			p[l] = a + b > 0 ? a / (a + b) : -1;
		}
		/* A label no evidence reached gets its share; a row none
		 * reached abstains. A row with evidence is never all zero
		 * (which would read as abstaining). */
		int pos = 0;
		for (uint32_t l = 0; l < L; l++) {
			p[l] = !any ? 0 : p[l] < 0 ? prior[l] : p[l];
			pos |= p[l] > 0;
		}
		for (uint32_t l = 0; any && !pos && l < L; l++)
			p[l] = 1e-9 * (prior[l] + 1e-3);
	}
	rc = RL_OK;
out:
	free(Y);
	free(F);
	free(clamp);
	free(quality);
	free(prior);
	free(mass);
	free(recall);
	free(fired);
	return rc;
}

/* ---- classifiers, one against the rest ---- */

/* Label l's targets and weights (rl_model_multi's contract) into T2
 * [n][ts] and w [n][ws] at column l (and 1 - T2 in the column after,
 * with pair): T clipped to [0, 1]; a
 * hand label in use weighs 1, one not in use 0, another row its
 * target's distance from the middle plus a half (0 when it abstains);
 * then presence and absence weigh the same in all. */
static void label_weights(const rl_evidence *ev, const uint8_t *use_seed,
			  const double *T, uint32_t l, int pair, size_t ts,
			  float *T2, size_t ws, float *w)
{
	uint32_t n = ev->n, L = ev->L;
	double mp = 0, mn = 0;
	for (uint32_t i = 0; i < n; i++) {
		const double *t = T + (size_t)i * L;
		double tl = t[l] < 0 ? 0 : t[l] > 1 ? 1 : t[l];
		float wi;
		if (ev->seed[i] >= 0)
			wi = use_seed[i] ? 1 : 0;
		else
			wi = row_zero(t, L) ? 0
			     : (float)(tl > 0.5 ? tl : 1 - tl);
		T2[(size_t)i * ts] = (float)tl;
		if (pair)
			T2[(size_t)i * ts + 1] = (float)(1 - tl);
		w[(size_t)i * ws] = wi;
		mp += wi * tl;
		mn += wi * (1 - tl);
	}
	/* Balanced per label: its presence and its absence weigh the
	 * same in all. */
	double tot = mp + mn;
	for (uint32_t i = 0; i < n; i++) {
		float *wi = w + (size_t)i * ws;
		if (*wi <= 0)
			continue;
		double tl = T2[(size_t)i * ts];
		double cw = (mp > 0 ? tl * tot / (2 * mp) : 0) +
			    (mn > 0 ? (1 - tl) * tot / (2 * mn) : 0);
		*wi *= (float)cw;
	}
}

/* The pool's scale of one label's two-class part (train_pool in
 * methods.c): the mean distance of its two logits from their mean, on
 * the same up to 4,096 rows, which is half the mean |logit| of the
 * difference of its columns. col 0..L-1 of theta [d + 1][L]; out [L],
 * z [L] scratch. */
static void pool_scales(const rl_csr *X, const double *theta, uint32_t L,
			double *out, double *z)
{
	uint32_t step = X->n_rows / 4096 + 1;
	double cnt = 0;
	memset(out, 0, L * sizeof *out);
	for (uint32_t i = 0; i < X->n_rows; i += step, cnt += 2) {
		rl_linear_logits(X, i, theta, L, z);
		for (uint32_t l = 0; l < L; l++)
			out[l] += fabs(z[l]);
	}
	for (uint32_t l = 0; l < L; l++)
		out[l] = cnt > 0 ? out[l] / cnt : 0;
}

int rl_model_multi(const rl_evidence *ev, const rl_csr *X,
		   const uint8_t *use_seed, const double *T,
		   const rl_eval_opts *o, double *P, double *theta_out)
{
	static const rl_classifier pool[] = { RL_CLASSIFIER_NB,
					      RL_CLASSIFIER_CNB };
	uint32_t n = ev->n, L = ev->L, d = X->n_cols;
	size_t sz = (size_t)(d + 1) * L;
	/* Logistic regression fits all labels at once (rl_ovr_train), on
	 * targets and weights [n][L]; naive Bayes label by label on two
	 * classes, [n][2] and [n]. The pool has both. */
	rl_classifier kind = rl_classifier_of(o);
	int joint = kind == RL_CLASSIFIER_LOGREG || kind == RL_CLASSIFIER_POOL;
	int pairs = kind != RL_CLASSIFIER_LOGREG;
	float *Tj = joint ? malloc(((size_t)n * L + 1) * sizeof *Tj) : NULL;
	float *wj = joint ? malloc(((size_t)n * L + 1) * sizeof *wj) : NULL;
	float *T2 = pairs ? malloc(((size_t)n * 2 + 1) * sizeof *T2) : NULL;
	float *w2 = pairs ? malloc(((size_t)n + 1) * sizeof *w2) : NULL;
	double *th2 = pairs ? malloc((size_t)(d + 1) * 2 * sizeof *th2)
			    : NULL;
	double *theta = theta_out ? theta_out : malloc(sz * sizeof *theta);
	double *z = malloc(((size_t)L + 1) * sizeof *z);
	double *sc = malloc(((size_t)L + 1) * sizeof *sc);
	int rc = RL_ENOMEM;
	if ((joint && (!Tj || !wj)) || (pairs && (!T2 || !w2 || !th2)) ||
	    !theta || !z || !sc)
		goto out;
	if (joint) {
		for (uint32_t l = 0; l < L; l++)
			label_weights(ev, use_seed, T, l, 0, L, Tj + l, L,
				      wj + l);
		if ((rc = rl_ovr_train(X, Tj, wj, L, o->l2,
				       (uint32_t)o->max_iter, o->tol,
				       o->threads, theta, NULL, o->progress,
				       o->ctx)) != RL_OK)
			goto out;
	}
	if (kind == RL_CLASSIFIER_POOL) {
		/* train_pool's sum, label by label: each part's difference
		 * of columns over its scale (pool_scales). */
		pool_scales(X, theta, L, sc, z);
		for (size_t q = 0; q < sz; q++)
			theta[q] = sc[q % L] > 0 ? theta[q] / sc[q % L] : 0;
	}
	for (uint32_t l = 0; pairs && l < L; l++) {
		label_weights(ev, use_seed, T, l, 1, 2, T2, 1, w2);
		size_t parts = kind == RL_CLASSIFIER_POOL ? 2 : 1;
		for (size_t k = 0; k < parts; k++) {
			rl_eval_opts po = *o;
			if (kind == RL_CLASSIFIER_POOL)
				po.model = pool[k];
			rc = rl_train_classifier(&po, X, T2, w2, 2, th2);
			if (rc != RL_OK)
				goto out;
			/* the difference of the columns, in place */
			for (uint32_t c = 0; c <= d; c++)
				th2[c] = th2[2 * (size_t)c] -
					 th2[2 * (size_t)c + 1];
			if (kind != RL_CLASSIFIER_POOL) {
				for (uint32_t c = 0; c <= d; c++)
					theta[(size_t)c * L + l] = th2[c];
				continue;
			}
			double s;
			pool_scales(X, th2, 1, &s, z);
			for (uint32_t c = 0; s > 0 && c <= d; c++)
				theta[(size_t)c * L + l] += th2[c] / s;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		rl_predict_row_multi(X, i, theta, L, o->temperature,
				     P + (size_t)i * L);
	rc = RL_OK;
out:
	free(Tj);
	free(wj);
	free(T2);
	free(w2);
	free(th2);
	if (!theta_out)
		free(theta);
	free(z);
	free(sc);
	return rc;
}

/* ---- the blend ---- */

/* Mean absolute logit of P over the rows that are not hand labels in use
 * and do not abstain. */
double rl_logit_scale_multi(const rl_evidence *ev, const uint8_t *use_seed,
			    const double *P)
{
	uint32_t L = ev->L;
	double sa = 0, cnt = 0;
	for (uint32_t i = 0; i < ev->n; i++) {
		const double *p = P + (size_t)i * L;
		if ((ev->seed[i] >= 0 && (!use_seed || use_seed[i])) ||
		    row_zero(p, L))
			continue;
		for (uint32_t l = 0; l < L; l++, cnt++)
			sa += fabs(logit(p[l]));
	}
	return cnt > 0 && sa > 0 ? sa / cnt : 1;
}

void rl_blend_multi(const rl_evidence *ev, const uint8_t *use_seed,
		    const double *Pm, const double *Pp, double *P)
{
	uint32_t L = ev->L;
	double sm = rl_logit_scale_multi(ev, use_seed, Pm);
	double sp = rl_logit_scale_multi(ev, use_seed, Pp);
	for (uint32_t i = 0; i < ev->n; i++)
		rl_blend_row_multi(Pm + (size_t)i * L, Pp + (size_t)i * L, L,
				   sm, sp, P + (size_t)i * L);
}

void rl_blend_row_multi(const double *m, const double *q, uint32_t L,
			double sm, double sp, double *p)
{
	int hm = !row_zero(m, L), hp = !row_zero(q, L);
	for (uint32_t l = 0; l < L; l++)
		p[l] = !hm && !hp ? 0
		       : sigmoid((hm ? logit(m[l]) / sm : 0) +
				 (hp ? logit(q[l]) / sp : 0));
}

void rl_predict_row_multi(const rl_csr *X, uint32_t i, const double *theta,
			  uint32_t L, double t, double *p)
{
	rl_linear_logits(X, i, theta, L, p);
	for (uint32_t l = 0; l < L; l++)
		p[l] = sigmoid(p[l] / t);
}

/* ---- the rules beside the classifier ---- */

int rl_rules_llr(const rl_evidence *ev, const uint8_t *use_seed, double *llr)
{
	uint32_t L = ev->L;
	/* per label: reviews in use [n, carrying], fired [n, carrying] */
	uint64_t *c = calloc(4 * (size_t)L + 1, sizeof *c);
	uint8_t *has = calloc((size_t)L + 1, 1), *fired = malloc((size_t)L + 1);
	if (!c || !has || !fired) {
		free(c);
		free(has);
		free(fired);
		return RL_ENOMEM;
	}
	for (uint32_t r = 0; r < ev->n_rules; r++)
		if (!ev->rule_negate[r] && ev->rule_label[r] < L)
			has[ev->rule_label[r]] = 1;
	for (uint32_t i = 0; i < ev->n; i++) {
		if (ev->seed[i] < 0 || (use_seed && !use_seed[i]))
			continue;
		rl_rules_fired(ev, i, fired);
		for (uint32_t l = 0; l < L; l++) {
			uint64_t *k = c + 4 * (size_t)l + 2 * (fired[l] != 0);
			k[0]++;
			k[1] += ev->Y[(size_t)i * L + l];
		}
	}
	for (uint32_t l = 0; l < L; l++) {
		const uint64_t *k = c + 4 * (size_t)l;
		double n = (double)(k[0] + k[2]), pos = (double)(k[1] + k[3]);
		double prior = logit((pos + 1) / (n + 2));
		llr[2 * l] = has[l] ? logit(((double)k[3] + 1) /
					    ((double)k[2] + 2)) - prior : 0;
		llr[2 * l + 1] = has[l] ? logit(((double)k[1] + 1) /
						((double)k[0] + 2)) - prior
					: 0;
	}
	free(c);
	free(has);
	free(fired);
	return RL_OK;
}

void rl_rules_fired(const rl_evidence *ev, uint32_t i, uint8_t *fired)
{
	memset(fired, 0, ev->L);
	for (uint64_t h = ev->hit_ptr[i]; h < ev->hit_ptr[i + 1]; h++) {
		uint32_t r = ev->hit_rule[h];
		if (!ev->rule_negate[r] && ev->rule_label[r] < ev->L)
			fired[ev->rule_label[r]] = 1;
	}
}

double rl_rules_mix_logit(double z, double w, const double *llr,
			  int fired)
{
	const double cap = 13.815510557964274;	/* logit(1 - 1e-6) */
	z = z > cap ? cap : z < -cap ? -cap : z;
	return z + w * llr[fired ? 0 : 1];
}

void rl_rules_mix(const rl_evidence *ev, const double *llr, double w,
		  const double *Pm, double *P, uint8_t *fired)
{
	uint32_t L = ev->L;
	for (uint32_t i = 0; i < ev->n; i++) {
		const double *m = Pm + (size_t)i * L;
		double *p = P + (size_t)i * L;
		if (row_zero(m, L)) {
			memset(p, 0, L * sizeof *p);
			continue;
		}
		rl_rules_fired(ev, i, fired);
		for (uint32_t l = 0; l < L; l++)
			p[l] = sigmoid(rl_rules_mix_logit(logit(m[l]), w,
							  llr + 2 * l,
							  fired[l]));
	}
}
