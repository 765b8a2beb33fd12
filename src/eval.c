/*
 * eval.c - honest evaluation, as kernels on the evidence's arrays:
 * cross-validation (stratified folds, the out-of-fold loop, the scores),
 * calibration (temperature scaling, reliability bins), the standard
 * error and the one-standard-error rule the choices rest on, and the
 * report as JSON. The stage that loads and saves is stage_eval.c.
 *
 * The trap this file exists for: seeds that propagate labels cannot also
 * score the result. Cross-validation splits the hand labels into folds;
 * for each fold, the held-out seeds are hidden from everything that is
 * scored - rule precision estimates, propagation (they are unlabelled
 * nodes), class shares, and the classifier's training rows - and only
 * then are they predicted. The ways of combining evidence are scored
 * alike, so `revlab run` can pick the best for this corpus instead of
 * trusting any stage blindly; two baselines (a plain majority vote of the
 * rules, the classifier on the hand labels alone) are scored in the same
 * folds beside them, to show what the pipeline adds, and never picked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

/* ---- calibration ---- */

void rl_softmax(double *z, uint32_t L)
{
	double top = -INFINITY, s = 0;
	for (uint32_t l = 0; l < L; l++)
		if (z[l] > top)
			top = z[l];
	for (uint32_t l = 0; l < L; l++)
		s += z[l] = exp(z[l] - top);
	for (uint32_t l = 0; l < L; l++)
		z[l] /= s;
}

void rl_temper(double *p, uint32_t L, double t)
{
	/* softmax(z / t) from p = softmax(z): log p differs from z by a
	 * constant, which the softmax removes. */
	for (uint32_t l = 0; l < L; l++)
		p[l] = log(p[l] > 1e-300 ? p[l] : 1e-300) / t;
	rl_softmax(p, L);
}

/* Negative log-likelihood of the gold labels under tempered held-out
 * probabilities ho [m][L]. */
static double temper_nll(const double *ho, const uint32_t *gold, size_t m,
			 uint32_t L, double t, double *tmp)
{
	double nll = 0;
	for (size_t i = 0; i < m; i++) {
		memcpy(tmp, ho + i * L, L * sizeof *tmp);
		rl_temper(tmp, L, t);
		nll -= log(tmp[gold[i]] > 1e-300 ? tmp[gold[i]] : 1e-300);
	}
	return nll;
}

/* (The range reaches 1/10000: complement NB's scores are small, its
 * probabilities all near 1/L, and need a low temperature; at 1/100 it
 * stopped at the bound and predict gave 0.51 for every review.) */
double rl_temperature_search(double (*f)(double t, void *ctx), void *ctx)
{
	const double g = 0.6180339887498949;
	double a = log(1e-4), b = log(100);
	double c = b - g * (b - a), d = a + g * (b - a);
	double fc = f(exp(c), ctx), fd = f(exp(d), ctx);
	for (int it = 0; it < 60; it++) {
		if (fc < fd) {
			b = d;
			d = c;
			fd = fc;
			c = b - g * (b - a);
			fc = f(exp(c), ctx);
		} else {
			a = c;
			c = d;
			fc = fd;
			d = a + g * (b - a);
			fd = f(exp(d), ctx);
		}
	}
	return exp((a + b) / 2);
}

typedef struct temper_args {
	const double *ho;
	const uint32_t *gold;
	size_t m;
	uint32_t L;
	double *tmp;
} temper_args;

static double temper_at(double t, void *ctx)
{
	const temper_args *a = ctx;
	return temper_nll(a->ho, a->gold, a->m, a->L, t, a->tmp);
}

double rl_fit_temperature(const double *ho, const uint32_t *gold,
			  size_t m, uint32_t L, double *tmp)
{
	temper_args a = { ho, gold, m, L, tmp };
	return rl_temperature_search(temper_at, &a);
}

void rl_calib_add(rl_calib *c, double confidence, int right)
{
	int b = confidence >= 1 ? RL_CALIB_BINS - 1
				: (int)(confidence * RL_CALIB_BINS);
	c->n[b] += 1;
	c->conf[b] += confidence;
	c->right[b] += right;
}

double rl_calib_finish(const rl_calib *c, rl_calib_bin *bins)
{
	double answered = 0, e = 0;
	for (int b = 0; b < RL_CALIB_BINS; b++)
		answered += c->n[b];
	for (int b = 0; b < RL_CALIB_BINS; b++) {
		double n = c->n[b];
		bins[b].n = (uint64_t)n;
		bins[b].confidence = n > 0 ? c->conf[b] / n : 0;
		bins[b].accuracy = n > 0 ? c->right[b] / n : 0;
		if (n > 0)
			e += n / answered * fabs(bins[b].confidence -
						 bins[b].accuracy);
	}
	return e;
}

/* ---- the choice ---- */

double rl_eval_se(double accuracy, uint64_t n)
{
	if (n == 0 || !(accuracy > 0 && accuracy < 1))
		return 0;
	return sqrt(accuracy * (1 - accuracy) / (double)n);
}

double rl_eval_report_se(const rl_eval_report *r, int m)
{
	if (!r->multi)
		return rl_eval_se(r->methods[m].accuracy, r->seeds);
	double gold = r->multi_scores[m].gold_cardinality * (double)r->seeds;
	return rl_eval_se(r->multi_scores[m].micro_f1,
			  (uint64_t)(gold + 0.5));
}

size_t rl_one_se(const double *score, const double *se, size_t n)
{
	size_t top = 0;
	for (size_t i = 1; i < n; i++)
		if (score[i] > score[top] + 1e-12)
			top = i;
	for (size_t i = 0; i < n; i++)
		if (score[i] >= score[top] - se[top] - 1e-12)
			return i;
	return top;
}

void rl_eval_choose(rl_eval_report *r)
{
	static const rl_method pref[RL_METHOD_CANDIDATES] = {
		RL_METHOD_MODEL, RL_METHOD_BLEND, RL_METHOD_PROPAGATION,
		RL_METHOD_RULES,
	};
	double f[RL_METHOD_CANDIDATES], se[RL_METHOD_CANDIDATES];
	/* Among the candidates only: the baselines are shown, never
	 * chosen. */
	r->top = RL_METHOD_RULES;
	for (int m = 1; m < RL_METHOD_CANDIDATES; m++)
		if (r->methods[m].macro_f1 > r->methods[r->top].macro_f1 +
					     1e-12)
			r->top = (rl_method)m;
	r->se = rl_eval_report_se(r, r->top);
	for (int q = 0; q < RL_METHOD_CANDIDATES; q++) {
		f[q] = r->methods[pref[q]].macro_f1;
		se[q] = r->se;
	}
	r->best = pref[rl_one_se(f, se, RL_METHOD_CANDIDATES)];
}

/* ---- folds ---- */

int rl_cv_fold_count(uint32_t n, uint32_t L, const int32_t *seed,
		     uint32_t want, uint32_t *k, uint32_t *min_per_label)
{
	uint32_t *per = calloc((size_t)L + 1, sizeof *per);
	if (!per)
		return RL_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (seed[i] >= 0)
			per[seed[i]]++;
	uint32_t labelled = 0, least = UINT32_MAX;
	for (uint32_t l = 0; l < L; l++)
		if (per[l]) {
			labelled++;
			if (per[l] < least)
				least = per[l];
		}
	free(per);
	*k = want < 2 ? 2 : want;
	if (least < *k)
		*k = least;
	*min_per_label = least;
	return labelled < 2 || *k < 2 ? RL_EEMPTY : RL_OK;
}

int rl_cv_folds(uint32_t n, uint32_t L, const int32_t *seed,
		const int64_t *ids, uint32_t k, uint64_t rng_seed,
		uint32_t *fold, uint32_t *order, uint32_t *n_order)
{
	uint64_t *key = malloc(((size_t)n + 1) * sizeof *key);
	uint32_t *per = calloc((size_t)L + 1, sizeof *per);
	uint32_t cnt = 0;
	if (!key || !per) {
		free(key);
		free(per);
		return RL_ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t st = rng_seed * 0x9e3779b97f4a7c15ull ^
			      (uint64_t)ids[i];
		key[i] = rl_rand_next(&st);
		if (seed[i] >= 0)
			order[cnt++] = i;
	}
	/* Insertion sort by key: seeds are few. */
	for (uint32_t a = 1; a < cnt; a++) {
		uint32_t x = order[a], b = a;
		while (b > 0 && key[order[b - 1]] > key[x]) {
			order[b] = order[b - 1];
			b--;
		}
		order[b] = x;
	}
	for (uint32_t a = 0; a < cnt; a++) {
		uint32_t i = order[a];
		fold[i] = per[seed[i]]++ % k;
	}
	*n_order = cnt;
	free(key);
	free(per);
	return RL_OK;
}

void rl_cv_fold_use(const rl_evidence *ev, const uint32_t *fold,
		    const uint32_t *order, uint32_t n_order, uint32_t f,
		    int max_per_label, uint32_t *taken, uint8_t *use)
{
	for (uint32_t i = 0; i < ev->n; i++)
		use[i] = ev->seed[i] < 0 || fold[i] != f;
	if (max_per_label <= 0)
		return;
	memset(taken, 0, ((size_t)ev->L + 1) * sizeof *taken);
	for (uint32_t a = 0; a < n_order; a++) {
		uint32_t i = order[a];
		if (fold[i] == f)
			continue;
		if (taken[ev->seed[i]] >= (uint32_t)max_per_label)
			use[i] = 0;
		else
			taken[ev->seed[i]]++;
	}
}

/* ---- scoring ---- */

static int score_alloc(rl_method_score *s, uint32_t L)
{
	s->precision = calloc(L, sizeof *s->precision);
	s->recall = calloc(L, sizeof *s->recall);
	s->f1 = calloc(L, sizeof *s->f1);
	s->confusion = calloc((size_t)L * L, sizeof *s->confusion);
	return s->precision && s->recall && s->f1 && s->confusion
		? RL_OK : RL_ENOMEM;
}

static void score_finish(rl_method_score *s, uint32_t L, uint64_t abstain)
{
	uint64_t total = abstain, right = 0;
	double f1 = 0;
	for (uint32_t g = 0; g < L; g++)
		for (uint32_t p = 0; p < L; p++)
			total += s->confusion[g * L + p];
	for (uint32_t l = 0; l < L; l++) {
		uint64_t tp = s->confusion[l * L + l], col = 0, row = 0;
		for (uint32_t m = 0; m < L; m++) {
			col += s->confusion[m * L + l];
			row += s->confusion[l * L + m];
		}
		right += tp;
		s->precision[l] = col ? (double)tp / (double)col : 0;
		/* Abstentions were counted in no row: recall uses the true
		 * number of seeds of the label, kept apart below. */
		s->recall[l] = row ? (double)tp / (double)row : 0;
		(void)row;
	}
	for (uint32_t l = 0; l < L; l++) {
		double p = s->precision[l], r = s->recall[l];
		s->f1[l] = p + r > 0 ? 2 * p * r / (p + r) : 0;
		f1 += s->f1[l];
	}
	s->accuracy = total ? (double)right / (double)total : 0;
	s->macro_f1 = L ? f1 / L : 0;
	s->coverage = total ? 1 - (double)abstain / (double)total : 0;
}

void rl_eval_report_free(rl_eval_report *r)
{
	if (!r)
		return;
	for (uint32_t l = 0; r->labels && l < r->n_labels; l++)
		free(r->labels[l]);
	free(r->labels);
	free(r->curve);
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		free(r->methods[m].precision);
		free(r->methods[m].recall);
		free(r->methods[m].f1);
		free(r->methods[m].confusion);
		free(r->multi_scores[m].threshold);
	}
	free(r);
}

/* ---- the out-of-fold loop ---- */

int rl_cv(const rl_evidence *ev, const rl_csr *X, const rl_eval_opts *o,
	  rl_eval_report **out, double *const *oof)
{
	rl_eval_report *r = NULL;
	uint32_t *fold = NULL, *per = NULL, *ho_gold = NULL, *order = NULL;
	uint32_t *taken = NULL, n_order = 0, k = 0, min_per_label = 0;
	double *ho = NULL, *tmp = NULL;
	size_t n_ho = 0;
	/* Each method's held-out answers, [m][n_seeds][L], and their gold
	 * labels, for its temperature. */
	double *hom = NULL;
	uint32_t *homg = NULL;
	size_t n_hom[RL_METHOD_COUNT] = { 0 }, cap_hom = ev->n_seeds + 1;
	uint8_t *use = NULL;
	double *Pp = NULL, *Pm = NULL, *Pr = NULL, *Pb = NULL, *Pj = NULL;
	double *Ps = NULL;
	uint64_t *votes = NULL;
	uint64_t abstain[RL_METHOD_COUNT] = { 0 };
	/* the reliability diagram of each method's held-out answers */
	rl_calib calib[RL_METHOD_COUNT];
	/* Abstentions per gold label, so recall counts them as misses. */
	uint64_t *missed[RL_METHOD_COUNT] = { 0 };
	uint32_t n = ev->n, L = ev->L;
	*out = NULL;
	if (ev->multi)
		return rl_cv_multi(ev, X, o, out, oof);
	memset(calib, 0, sizeof calib);
	int rc = rl_cv_fold_count(n, L, ev->seed, (uint32_t)(o->folds < 2 ? 2
							      : o->folds),
				  &k, &min_per_label);
	if (rc != RL_OK)
		return rc;
	rc = RL_ENOMEM;
	r = calloc(1, sizeof *r);
	fold = malloc(((size_t)n + 1) * sizeof *fold);
	per = calloc((size_t)L + 1, sizeof *per);
	use = malloc((size_t)n + 1);
	Pp = malloc(((size_t)n * L + 1) * sizeof *Pp);
	Pm = malloc(((size_t)n * L + 1) * sizeof *Pm);
	Pr = malloc(((size_t)n * L + 1) * sizeof *Pr);
	Pb = malloc(((size_t)n * L + 1) * sizeof *Pb);
	Pj = malloc(((size_t)n * L + 1) * sizeof *Pj);
	Ps = malloc(((size_t)n * L + 1) * sizeof *Ps);
	votes = malloc(((size_t)L + 1) * sizeof *votes);
	ho = malloc(((size_t)n * L + 1) * sizeof *ho);
	ho_gold = malloc(((size_t)n + 1) * sizeof *ho_gold);
	hom = malloc(RL_METHOD_COUNT * cap_hom * L * sizeof *hom);
	homg = malloc(RL_METHOD_COUNT * cap_hom * sizeof *homg);
	tmp = malloc((2 * (size_t)L + 1) * sizeof *tmp);
	order = malloc(((size_t)n + 1) * sizeof *order);
	taken = calloc((size_t)L + 1, sizeof *taken);
	if (!r || !fold || !per || !use || !Pp || !Pm || !Pr || !Pb || !Pj ||
	    !Ps || !votes || !ho || !ho_gold || !hom || !homg || !tmp ||
	    !order || !taken)
		goto out;
	r->n_labels = L;
	r->temperature = 1;
	r->model = rl_classifier_of(o);
	r->labels = calloc((size_t)L + 1, sizeof *r->labels);
	if (!r->labels)
		goto out;
	for (uint32_t l = 0; l < L; l++)
		if (!(r->labels[l] = strdup(ev->label_names[l])))
			goto out;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		if (score_alloc(&r->methods[m], L) != RL_OK)
			goto out;
		if (!(missed[m] = calloc((size_t)L + 1, sizeof *missed[m])))
			goto out;
	}
	r->min_per_label = min_per_label;
	r->seeds = ev->n_seeds;
	r->reviews = r->sampled = ev->n;
	r->folds = k;
	if ((rc = rl_cv_folds(n, L, ev->seed, ev->review_ids, k,
			      (uint64_t)o->seed, fold, order, &n_order)) !=
	    RL_OK)
		goto out;
	/* The majority baseline learns nothing, so it is the same in every
	 * fold; it is still scored on each fold's held-out seeds only. */
	rl_method_majority(ev, Pj, votes);
	double *P[RL_METHOD_COUNT] = {
		[RL_METHOD_RULES] = Pr, [RL_METHOD_PROPAGATION] = Pp,
		[RL_METHOD_MODEL] = Pm, [RL_METHOD_BLEND] = Pb,
		[RL_METHOD_MAJORITY] = Pj, [RL_METHOD_SEEDS] = Ps,
	};
	for (uint32_t f = 0; f < k; f++) {
		rl_cv_fold_use(ev, fold, order, n_order, f, o->max_per_label,
			       taken, use);
		if ((rc = rl_method_rules(ev, use, Pr)) != RL_OK ||
		    (rc = rl_propagate_run(ev, use, &o->prop, Pp, NULL,
					   NULL)) != RL_OK ||
		    (rc = rl_method_model(ev, X, use, Pp, o, Pm, NULL)) !=
		    RL_OK ||
		    (rc = rl_method_seeds(ev, X, use, o, Ps)) != RL_OK)
			goto out;
		rl_blend(ev, use, Pm, Pp, Pb, tmp);
		for (uint32_t i = 0; i < n; i++) {
			if (ev->seed[i] < 0 || fold[i] != f)
				continue;
			uint32_t g = (uint32_t)ev->seed[i];
			memcpy(ho + n_ho * L, Pm + (size_t)i * L,
			       L * sizeof *ho);
			ho_gold[n_ho++] = g;
			for (int m = 0; m < RL_METHOD_COUNT; m++) {
				int p = rl_argmax(P[m] + (size_t)i * L, L);
				if (p >= 0 && n_hom[m] < cap_hom) {
					size_t at = (size_t)m * cap_hom +
						    n_hom[m]++;
					memcpy(hom + at * L,
					       P[m] + (size_t)i * L,
					       L * sizeof *hom);
					homg[at] = g;
				}
				if (oof)
					memcpy(oof[m] + (size_t)i * L,
					       P[m] + (size_t)i * L,
					       L * sizeof *oof[m]);
				if (p < 0) {
					abstain[m]++;
					missed[m][g]++;
				} else {
					rl_calib_add(&calib[m],
						     P[m][(size_t)i * L +
							  (uint32_t)p],
						     (uint32_t)p == g);
					r->methods[m].confusion[g * L +
						(uint32_t)p]++;
				}
			}
		}
	}
	/* Labels without hand labels cannot be scored; macro-F1 averages
	 * over those that have some. */
	uint32_t labelled = 0;
	for (uint32_t i = 0; i < n; i++)
		if (ev->seed[i] >= 0)
			per[ev->seed[i]]++;
	for (uint32_t l = 0; l < L; l++)
		labelled += per[l] > 0;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		rl_method_score *s = &r->methods[m];
		score_finish(s, L, abstain[m]);
		/* Recall and F1 with abstentions as misses. */
		double f1 = 0;
		for (uint32_t l = 0; l < L; l++) {
			uint64_t row = missed[m][l];
			for (uint32_t p = 0; p < L; p++)
				row += s->confusion[l * L + p];
			s->recall[l] = row ? (double)s->confusion[l * L + l] /
					     (double)row : 0;
			double p = s->precision[l], rr = s->recall[l];
			s->f1[l] = p + rr > 0 ? 2 * p * rr / (p + rr) : 0;
			if (per[l])
				f1 += s->f1[l];
		}
		s->macro_f1 = labelled ? f1 / labelled : 0;
		/* ECE: bins weighted by their share of answers. */
		s->ece = rl_calib_finish(&calib[m], s->bins);
	}
	/* Calibrate the model on its own held-out predictions: every
	 * prediction here was made without its seed. */
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		r->method_temperature[m] = n_hom[m] == 0 ? 1 :
			rl_fit_temperature(hom + (size_t)m * cap_hom * L,
					   homg + (size_t)m * cap_hom, n_hom[m],
					   L, tmp);
	if (n_ho > 0) {
		rl_calib c;
		memset(&c, 0, sizeof c);
		r->temperature = rl_fit_temperature(ho, ho_gold, n_ho, L,
						    tmp);
		for (size_t i = 0; i < n_ho; i++) {
			double *p = ho + i * L;
			rl_temper(p, L, r->temperature);
			uint32_t best = 0;
			for (uint32_t l = 1; l < L; l++)
				if (p[l] > p[best])
					best = l;
			rl_calib_add(&c, p[best], best == ho_gold[i]);
		}
		r->model_ece_calibrated = rl_calib_finish(&c,
							  r->model_calibrated);
	}
	rl_eval_choose(r);
	*out = r;
	r = NULL;
	rc = RL_OK;
out:
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		free(missed[m]);
	rl_eval_report_free(r);
	free(fold);
	free(per);
	free(use);
	free(Pp);
	free(Pm);
	free(Pr);
	free(Pb);
	free(Pj);
	free(Ps);
	free(votes);
	free(hom);
	free(homg);
	free(ho);
	free(ho_gold);
	free(tmp);
	free(order);
	free(taken);
	return rc;
}

/* ---- the report as JSON ---- */

static int json_bins(rl_buf *b, const rl_calib_bin *bins)
{
	int rc = rl_buf_putc(b, '[');
	for (int i = 0; i < RL_CALIB_BINS && rc == RL_OK; i++)
		rc = rl_buf_printf(b, "%s{\"low\":%.1f,\"high\":%.1f,\"n\":%llu,"
				   "\"confidence\":%.6f,\"accuracy\":%.6f}",
				   i ? "," : "", i / 10.0, (i + 1) / 10.0,
				   (unsigned long long)bins[i].n,
				   bins[i].confidence, bins[i].accuracy);
	return rc == RL_OK ? rl_buf_putc(b, ']') : rc;
}

static int json_method(rl_buf *b, const rl_eval_report *r, int m)
{
	const rl_method_score *s = &r->methods[m];
	uint32_t L = r->n_labels;
	int rc = rl_buf_printf(b, "%s\"%s\":{%s\"accuracy\":%.6f,"
			       "\"macro_f1\":%.6f,\"coverage\":%.6f,"
			       "\"calibration_error\":%.6f,\"per_label\":{",
			       m ? "," : "", rl_method_name((rl_method)m),
			       m >= RL_METHOD_CANDIDATES ? "\"baseline\":true,"
			       : "", s->accuracy, s->macro_f1, s->coverage,
			       s->ece);
	for (uint32_t l = 0; l < L && rc == RL_OK; l++) {
		if (l)
			rc = rl_buf_putc(b, ',');
		if (rc == RL_OK)
			rc = rl_json_string(b, r->labels[l],
					    strlen(r->labels[l]));
		if (rc == RL_OK)
			rc = rl_buf_printf(b, ":{\"precision\":%.6f,\"recall\":"
					   "%.6f,\"f1\":%.6f}",
					   s->precision[l], s->recall[l],
					   s->f1[l]);
	}
	if (rc == RL_OK)
		rc = rl_buf_printf(b, "},\"confusion\":[");
	for (uint32_t g = 0; g < L && rc == RL_OK; g++) {
		rc = rl_buf_printf(b, "%s[", g ? "," : "");
		for (uint32_t p = 0; p < L && rc == RL_OK; p++)
			rc = rl_buf_printf(b, "%s%llu", p ? "," : "",
					   (unsigned long long)
					   s->confusion[g * L + p]);
		if (rc == RL_OK)
			rc = rl_buf_putc(b, ']');
	}
	if (rc == RL_OK)
		rc = rl_buf_printf(b, "],\"reliability\":");
	if (rc == RL_OK)
		rc = json_bins(b, s->bins);
	/* A multi-label store's scores besides, and the thresholds. */
	const rl_multi_score *ms = &r->multi_scores[m];
	if (rc == RL_OK && r->multi)
		rc = rl_buf_printf(b, ",\"micro_f1\":%.6f,\"exact_match\":%.6f,"
				   "\"hamming_loss\":%.6f,\"cardinality\":%.6f,"
				   "\"gold_cardinality\":%.6f,\"temperature\":"
				   "%.6f,\"thresholds\":[", ms->micro_f1,
				   s->accuracy, ms->hamming, ms->cardinality,
				   ms->gold_cardinality,
				   r->method_temperature[m]);
	for (uint32_t l = 0; r->multi && l < L && rc == RL_OK; l++)
		rc = rl_buf_printf(b, "%s%.6f", l ? "," : "",
				   ms->threshold[l]);
	if (rc == RL_OK && r->multi)
		rc = rl_buf_putc(b, ']');
	return rc == RL_OK ? rl_buf_putc(b, '}') : rc;
}

int rl_eval_report_json(const rl_eval_report *r, char **out)
{
	rl_buf b = { 0 };
	*out = NULL;
	const char *multi = r->multi ? "\"multi_label\":true," : "";
	int rc = rl_buf_printf(&b, "{%s\"seeds\":%llu,\"folds\":%u,"
			       "\"reviews\":%llu,\"sampled\":%llu,"
			       "\"min_per_label\":%u,\"model\":\"%s\","
			       "\"best\":\"%s\",\"top\":\"%s\",\"se\":%.6f,"
			       "\"model_temperature\":%.6f,"
			       "\"model_calibration_error_calibrated\":%.6f,"
			       "\"labels\":[", multi, (unsigned long long)r->seeds,
			       r->folds, (unsigned long long)r->reviews,
			       (unsigned long long)r->sampled, r->min_per_label,
			       rl_classifier_name(r->model),
			       rl_method_name(r->best), rl_method_name(r->top),
			       r->se, r->temperature,
			       r->model_ece_calibrated);
	for (uint32_t l = 0; l < r->n_labels && rc == RL_OK; l++) {
		if (l)
			rc = rl_buf_putc(&b, ',');
		if (rc == RL_OK)
			rc = rl_json_string(&b, r->labels[l],
					    strlen(r->labels[l]));
	}
	if (rc == RL_OK)
		rc = rl_buf_printf(&b, "],\"methods\":{");
	for (int m = 0; m < RL_METHOD_COUNT && rc == RL_OK; m++)
		rc = json_method(&b, r, m);
	if (rc == RL_OK)
		rc = rl_buf_printf(&b, "},\"model_calibrated_reliability\":");
	if (rc == RL_OK)
		rc = json_bins(&b, r->model_calibrated);
	if (rc == RL_OK && r->n_curve)
		rc = rl_buf_printf(&b, ",\"curve\":[");
	for (size_t i = 0; i < r->n_curve && rc == RL_OK; i++) {
		const rl_curve_point *c = &r->curve[i];
		rc = rl_buf_printf(&b, "%s{\"seeds_per_label\":%u,\"macro_f1\":"
				   "{", i ? "," : "", c->per_label);
		for (int m = 0; m < RL_METHOD_COUNT && rc == RL_OK; m++)
			rc = rl_buf_printf(&b, "%s\"%s\":%.6f", m ? "," : "",
					   rl_method_name((rl_method)m),
					   c->macro_f1[m]);
		if (rc == RL_OK)
			rc = rl_buf_printf(&b, "}}");
	}
	if (rc == RL_OK && r->n_curve)
		rc = rl_buf_putc(&b, ']');
	if (rc == RL_OK)
		rc = rl_buf_putc(&b, '}');
	if (rc != RL_OK) {
		rl_buf_free(&b);
		return RL_ENOMEM;
	}
	*out = b.data;
	return RL_OK;
}

