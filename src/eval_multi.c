/*
 * eval_multi.c - cross-validation in a multi-label store: the same folds
 * and the same rule as eval.c (held-out hand labels hidden from rule
 * precision, propagation, class shares and training), with what several
 * labels per review need on top: each method's temperature fitted on its
 * out-of-fold probabilities, per-label thresholds, and the multi-label
 * scores (micro- and macro-F1, exact match, Hamming loss, cardinality).
 *
 * Thresholds are where a leak would hide: chosen on the answers they are
 * scored with, they flatter every method. So each fold's answers are
 * decided with thresholds chosen on the other folds' answers only; the
 * thresholds kept for labelling are then chosen on all of them. The F1
 * they maximise is weighted to the share each label has in the corpus by
 * the method's own answers there (multi.c), which no held-out hand
 * label reaches: a fold's method is fitted without them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

static double threshold_for(const double *A, const uint8_t *G,
			    const uint32_t *fold, size_t m, uint32_t L,
			    uint32_t l, uint32_t skip, double share,
			    double *col, uint8_t *ycol);

static double sig(double z)
{
	return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

/* Binary negative log-likelihood of truths y under p [m] tempered by t;
 * entries of rows that abstained (marked by skip) left out. */
static double nll(const double *p, const uint8_t *y, size_t m, double t)
{
	double s = 0;
	for (size_t i = 0; i < m; i++) {
		if (!(p[i] > 0))
			continue;
		double q = p[i] < 1e-6 ? 1e-6 : p[i] > 1 - 1e-6 ? 1 - 1e-6
								 : p[i];
		double z = sig(log(q / (1 - q)) / t);
		z = z < 1e-12 ? 1e-12 : z > 1 - 1e-12 ? 1 - 1e-12 : z;
		s -= y[i] ? log(z) : log(1 - z);
	}
	return s;
}

typedef struct nll_args {
	const double *p;
	const uint8_t *y;
	size_t m;
} nll_args;

static double nll_at(double t, void *ctx)
{
	const nll_args *a = ctx;
	return nll(a->p, a->y, a->m, t);
}

/* The temperature minimising nll (rl_temperature_search). */
static double fit_temperature(const double *p, const uint8_t *y, size_t m)
{
	nll_args a = { p, y, m };
	return rl_temperature_search(nll_at, &a);
}

void rl_multi_fold_thresholds(const double *A, const uint8_t *G,
			      const uint32_t *fold, size_t m, uint32_t L,
			      uint32_t f, const double *share, double *thr)
{
	double *col = malloc((m + 1) * sizeof *col);
	uint8_t *y = malloc(m + 1);
	for (uint32_t l = 0; l < L; l++)
		thr[l] = col && y ? threshold_for(A, G, fold, m, L, l, f,
						  share ? share[l] : -1, col,
						  y)
				  : 0.5;
	free(col);
	free(y);
}

/* Label l's thresholds fitted on the answers A [m][L] (truths G) of the
 * rows whose fold is not `skip` (UINT32_MAX: all rows), at the label's
 * share `share` (rl_fit_threshold). */
static double threshold_for(const double *A, const uint8_t *G,
			    const uint32_t *fold, size_t m, uint32_t L,
			    uint32_t l, uint32_t skip, double share,
			    double *col, uint8_t *ycol)
{
	size_t c = 0;
	for (size_t i = 0; i < m; i++) {
		if (fold[i] == skip)
			continue;
		col[c] = A[i * L + l];
		ycol[c++] = G[i * L + l];
	}
	return rl_fit_threshold(col, ycol, c, share);
}

static int report_new(const rl_evidence *ev, const rl_eval_opts *o,
		      rl_eval_report **out)
{
	uint32_t L = ev->L;
	rl_eval_report *r = calloc(1, sizeof *r);
	if (!r)
		return RL_ENOMEM;
	*out = r;
	r->n_labels = L;
	r->multi = 1;
	r->temperature = 1;
	r->model = rl_classifier_of(o);
	if (!(r->labels = calloc((size_t)L + 1, sizeof *r->labels)))
		return RL_ENOMEM;
	for (uint32_t l = 0; l < L; l++)
		if (!(r->labels[l] = strdup(ev->label_names[l])))
			return RL_ENOMEM;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		rl_method_score *s = &r->methods[m];
		s->precision = calloc((size_t)L + 1, sizeof *s->precision);
		s->recall = calloc((size_t)L + 1, sizeof *s->recall);
		s->f1 = calloc((size_t)L + 1, sizeof *s->f1);
		s->confusion = calloc((size_t)L * L + 1, sizeof *s->confusion);
		r->multi_scores[m].threshold =
			malloc(((size_t)L + 1) * sizeof(double));
		if (!s->precision || !s->recall || !s->f1 || !s->confusion ||
		    !r->multi_scores[m].threshold)
			return RL_ENOMEM;
		r->method_temperature[m] = 1;
	}
	return RL_OK;
}

/* Scores method m's tempered answers A [ns][L] against G: fold f decided
 * with thresholds from the other folds, at the shares share [k][L] the
 * method gave the labels in fold f; then the thresholds for labelling
 * from all, at the folds' mean share. */
static void score_method(rl_eval_report *r, int m, const double *A,
			 const uint8_t *G, const uint32_t *fold, size_t ns,
			 uint32_t k, const uint64_t *per, const double *share,
			 double *col, uint8_t *ycol, double *thr, uint8_t *on)
{
	uint32_t L = r->n_labels;
	rl_method_score *s = &r->methods[m];
	rl_multi_score *ms = &r->multi_scores[m];
	uint64_t *tp = calloc((size_t)L + 1, sizeof *tp);
	uint64_t *fp = calloc((size_t)L + 1, sizeof *fp);
	uint64_t *fn = calloc((size_t)L + 1, sizeof *fn);
	rl_calib cal;
	memset(&cal, 0, sizeof cal);
	if (!tp || !fp || !fn)
		goto out;
	uint64_t exact = 0, wrong = 0, given = 0, gold = 0, answered = 0;
	for (uint32_t f = 0; f < k; f++) {
		/* rl_multi_fold_thresholds, with this call's scratch */
		for (uint32_t l = 0; l < L; l++)
			thr[l] = threshold_for(A, G, fold, ns, L, l, f,
					       share[(size_t)f * L + l], col,
					       ycol);
		for (size_t i = 0; i < ns; i++) {
			if (fold[i] != f)
				continue;
			const double *p = A + i * L;
			const uint8_t *g = G + i * L;
			uint32_t got = rl_decide_multi(p, L, thr, on);
			int all = 1;
			answered += got > 0;
			for (uint32_t l = 0; l < L; l++) {
				tp[l] += on[l] && g[l];
				fp[l] += on[l] && !g[l];
				fn[l] += !on[l] && g[l];
				all &= on[l] == g[l];
				wrong += on[l] != g[l];
				given += on[l];
				gold += g[l];
				if (got)
					rl_calib_add(&cal, p[l], g[l]);
				for (uint32_t q = 0; g[l] && q < L; q++)
					s->confusion[(size_t)l * L + q] +=
						on[q];
			}
			exact += all;
		}
	}
	uint64_t TP = 0, FP = 0, FN = 0;
	double f1 = 0;
	uint32_t labelled = 0;
	for (uint32_t l = 0; l < L; l++) {
		TP += tp[l];
		FP += fp[l];
		FN += fn[l];
		s->precision[l] = tp[l] + fp[l]
				  ? (double)tp[l] / (double)(tp[l] + fp[l]) : 0;
		s->recall[l] = tp[l] + fn[l]
			       ? (double)tp[l] / (double)(tp[l] + fn[l]) : 0;
		double pr = s->precision[l], rc = s->recall[l];
		s->f1[l] = pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0;
		if (per[l]) {
			f1 += s->f1[l];
			labelled++;
		}
	}
	double nsd = ns ? (double)ns : 1;
	s->macro_f1 = labelled ? f1 / labelled : 0;
	s->accuracy = (double)exact / nsd;
	s->coverage = (double)answered / nsd;
	s->ece = rl_calib_finish(&cal, s->bins);
	ms->micro_f1 = 2 * TP + FP + FN
		       ? 2.0 * (double)TP / (double)(2 * TP + FP + FN) : 0;
	ms->hamming = ns && L ? (double)wrong / (nsd * L) : 0;
	ms->cardinality = (double)given / nsd;
	ms->gold_cardinality = (double)gold / nsd;
	for (uint32_t l = 0; l < L; l++) {
		double mean = 0;
		for (uint32_t f = 0; f < k; f++)
			mean += share[(size_t)f * L + l] / k;
		ms->threshold[l] = threshold_for(A, G, fold, ns, L, l,
						 UINT32_MAX, mean, col, ycol);
	}
out:
	free(tp);
	free(fp);
	free(fn);
}

/* Per label, the mean of P [n][L] over the rows without hand labels
 * (abstentions as 0): the share the method gives it in the corpus,
 * out [L]; -1 each when every row has hand labels. */
static void corpus_shares(const rl_evidence *ev, const double *P,
			  double *out)
{
	uint32_t L = ev->L;
	double rows = 0;
	for (uint32_t l = 0; l < L; l++)
		out[l] = 0;
	for (uint32_t i = 0; i < ev->n; i++) {
		if (ev->seed[i] >= 0)
			continue;
		rows += 1;
		for (uint32_t l = 0; l < L; l++) {
			double v = P[(size_t)i * L + l];
			out[l] += v > 0 ? v : 0;
		}
	}
	for (uint32_t l = 0; l < L; l++)
		out[l] = rows > 0 ? out[l] / rows : -1;
}

int rl_cv_fold_count_multi(const rl_evidence *ev, uint32_t want,
			   uint32_t *k, uint32_t *min_per_label)
{
	uint32_t L = ev->L, labelled = 0;
	uint64_t least = UINT64_MAX;
	uint64_t *per = calloc((size_t)L + 1, sizeof *per);
	if (!per)
		return RL_ENOMEM;
	for (uint32_t i = 0; i < ev->n; i++)
		for (uint32_t l = 0; ev->seed[i] >= 0 && l < L; l++)
			per[l] += ev->Y[(size_t)i * L + l];
	for (uint32_t l = 0; l < L; l++)
		if (per[l]) {
			labelled++;
			if (per[l] < least)
				least = per[l];
		}
	free(per);
	*k = want < 2 ? 2 : want;
	if (labelled > 0 && least < *k)
		*k = (uint32_t)least;
	*min_per_label = labelled ? (uint32_t)least : 0;
	return labelled < 2 || *k < 2 || ev->n_seeds < 2 ? RL_EEMPTY : RL_OK;
}

int rl_cv_multi(const rl_evidence *ev, const rl_csr *X,
		const rl_eval_opts *o, rl_eval_report **out,
		double *const *oof)
{
	uint32_t n = ev->n, L = ev->L, k = 0, n_order = 0;
	rl_eval_report *r = NULL;
	uint32_t *fold = NULL, *order = NULL, *sfold = NULL, *taken = NULL;
	uint64_t *per = NULL;
	uint8_t *use = NULL, *G = NULL, *ycol = NULL, *on = NULL;
	double *Pr = NULL, *Pp = NULL, *Pm = NULL, *Pb = NULL, *Pj = NULL;
	double *Ps = NULL, *T = NULL, *A = NULL, *col = NULL, *thr = NULL;
	double *llr = NULL;	/* the rules' log-odds [L][2] */
	double *share = NULL;	/* [method][fold][L] */
	*out = NULL;
	uint32_t least = 0;
	int rc = rl_cv_fold_count_multi(ev, o->folds < 2 ? 2
					    : (uint32_t)o->folds, &k, &least);
	if (rc != RL_OK)
		return rc;
	rc = RL_ENOMEM;
	per = calloc((size_t)L + 1, sizeof *per);
	if (!per)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t l = 0; ev->seed[i] >= 0 && l < L; l++)
			per[l] += ev->Y[(size_t)i * L + l];
	size_t nL = (size_t)n * L + 1;
	fold = malloc(((size_t)n + 1) * sizeof *fold);
	order = malloc(((size_t)n + 1) * sizeof *order);
	use = malloc((size_t)n + 1);
	taken = calloc((size_t)L + 1, sizeof *taken);
	Pr = malloc(nL * sizeof *Pr);
	Pp = malloc(nL * sizeof *Pp);
	Pm = malloc(nL * sizeof *Pm);
	Pb = malloc(nL * sizeof *Pb);
	Pj = malloc(nL * sizeof *Pj);
	Ps = malloc(nL * sizeof *Ps);
	T = calloc(nL, sizeof *T);
	if (!fold || !order || !use || !taken || !Pr || !Pp || !Pm || !Pb ||
	    !Pj || !Ps || !T || (rc = report_new(ev, o, &r)) != RL_OK) {
		rc = rc == RL_OK ? RL_ENOMEM : rc;
		goto out;
	}
	rc = RL_ENOMEM;
	r->min_per_label = least;
	r->seeds = ev->n_seeds;
	r->reviews = r->sampled = ev->n;
	r->folds = k;
	if ((rc = rl_cv_folds(n, L, ev->seed, ev->review_ids, k,
			      (uint64_t)o->seed, fold, order, &n_order)) !=
	    RL_OK)
		goto out;
	rc = RL_ENOMEM;
	size_t ns = n_order, nsL = ns * L + 1;
	A = malloc(RL_METHOD_COUNT * nsL * sizeof *A);
	G = malloc(nsL);
	sfold = malloc((ns + 1) * sizeof *sfold);
	col = malloc((ns + 1) * sizeof *col);
	ycol = malloc(ns + 1);
	thr = malloc(((size_t)L + 1) * sizeof *thr);
	on = malloc((size_t)L + 1);
	llr = malloc((2 * (size_t)L + 1) * sizeof *llr);
	share = malloc(((size_t)RL_METHOD_COUNT * k * L + 1) * sizeof *share);
	if (!A || !G || !sfold || !col || !ycol || !thr || !on || !llr ||
	    !share)
		goto out;
	for (size_t a = 0; a < ns; a++) {
		sfold[a] = fold[order[a]];
		memcpy(G + a * L, ev->Y + (size_t)order[a] * L, L);
	}
	rl_majority_multi(ev, Pj);
	double *P[RL_METHOD_COUNT] = {
		[RL_METHOD_RULES] = Pr, [RL_METHOD_PROPAGATION] = Pp,
		[RL_METHOD_MODEL] = Pm, [RL_METHOD_BLEND] = Pb,
		[RL_METHOD_MAJORITY] = Pj, [RL_METHOD_SEEDS] = Ps,
	};
	for (uint32_t f = 0; f < k; f++) {
		/* (a learning curve's cap counts a review by its rarest
		 * label) */
		rl_cv_fold_use(ev, fold, order, n_order, f, o->max_per_label,
			       taken, use);
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t l = 0; l < L; l++)
				T[(size_t)i * L + l] =
					ev->seed[i] >= 0 && use[i]
					? ev->Y[(size_t)i * L + l] : 0;
		if ((rc = rl_rules_multi(ev, use, Pr)) != RL_OK ||
		    (rc = rl_propagate_multi(ev, use, &o->prop, Pp, NULL,
					     NULL)) != RL_OK ||
		    (rc = rl_model_multi(ev, X, use, Pp, o, Pm, NULL)) !=
		    RL_OK ||
		    (rc = rl_model_multi(ev, X, use, T, o, Ps, NULL)) !=
		    RL_OK)
			goto out;
		/* The model adds the rules' evidence, as labelling does;
		 * the blend goes through it. */
		if ((rc = rl_rules_llr(ev, use, llr)) != RL_OK)
			goto out;
		rl_rules_mix(ev, llr, o->rule_weight, Pm, Pm, on);
		rl_blend_multi(ev, use, Pm, Pp, Pb);
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			corpus_shares(ev, P[m],
				      share + ((size_t)m * k + f) * L);
		for (size_t a = 0; a < ns; a++) {
			uint32_t i = order[a];
			if (fold[i] != f)
				continue;
			for (int m = 0; m < RL_METHOD_COUNT; m++)
				memcpy(A + m * nsL + a * L,
				       P[m] + (size_t)i * L, L * sizeof *A);
		}
	}
	for (size_t a = 0; oof && a < ns; a++)
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			memcpy(oof[m] + (size_t)order[a] * L, A + m * nsL + a * L,
			       L * sizeof *oof[m]);
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		double *Am = A + m * nsL;
		/* Calibrate, then choose thresholds on the calibrated values:
		 * the temperature is one monotone map for all rows, so it
		 * moves no decision a threshold from other folds makes. A
		 * baseline that says 0 or 1 has nothing to temper. */
		if (m != RL_METHOD_MAJORITY)
			r->method_temperature[m] = fit_temperature(Am, G,
								   ns * L);
		rl_temper_multi(Am, ns * L, r->method_temperature[m]);
		score_method(r, m, Am, G, sfold, ns, k, per,
			     share + (size_t)m * k * L, col, ycol, thr, on);
	}
	r->temperature = r->method_temperature[RL_METHOD_MODEL];
	r->model_ece_calibrated = r->methods[RL_METHOD_MODEL].ece;
	memcpy(r->model_calibrated, r->methods[RL_METHOD_MODEL].bins,
	       sizeof r->model_calibrated);
	rl_eval_choose(r);
	*out = r;
	r = NULL;
	rc = RL_OK;
out:
	rl_eval_report_free(r);
	free(per);
	free(fold);
	free(order);
	free(use);
	free(taken);
	free(Pr);
	free(Pp);
	free(Pm);
	free(Pb);
	free(Pj);
	free(Ps);
	free(T);
	free(A);
	free(G);
	free(sfold);
	free(col);
	free(ycol);
	free(thr);
	free(on);
	free(llr);
	free(share);
	return rc;
}
