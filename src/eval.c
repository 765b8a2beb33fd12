/*
 * eval.c - honest evaluation, and labelling with the method it picks.
 *
 * The trap this file exists for: seeds that propagate labels cannot also
 * score the result. Cross-validation splits the hand labels into folds;
 * for each fold, the held-out seeds are hidden from everything that is
 * scored - rule precision estimates, propagation (they are unlabelled
 * nodes), class shares, and the classifier's training rows - and only
 * then are they predicted. Three ways of combining evidence are scored
 * alike, so `revlab run` can pick the best for this corpus instead of
 * trusting any stage blindly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "store.h"

const char *rl_method_name(rl_method m)
{
	switch (m) {
	case RL_METHOD_RULES: return "rules";
	case RL_METHOD_PROPAGATION: return "propagation";
	case RL_METHOD_MODEL: return "model";
	case RL_METHOD_BLEND: return "blend";
	default: return "unknown";
	}
}

void rl_eval_opts_init(rl_eval_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_train_params, rl_train_nparams, o);
	o->temperature = 1;
	o->save = 1;
	rl_propagate_opts_init(&o->prop);
}

/* Static text, so a report may keep it. */
static const char *model_kind(const rl_eval_opts *o)
{
	if (o->model && !strcmp(o->model, "nb"))
		return "nb";
	if (o->model && !strcmp(o->model, "cnb"))
		return "cnb";
	return "logreg";
}

/* ---- features: TF-IDF columns, then LSA columns ---- */

int rl_features_load(rl_db *db, const rl_evidence *ev, rl_csr *X)
{
	rl_vector_set tf = { 0 }, ls = { 0 };
	int rc;
	memset(X, 0, sizeof *X);
	if ((rc = rl_store_vectors_load(db, "tfidf", &tf)) != RL_OK ||
	    (rc = rl_store_vectors_load(db, "lsa", &ls)) != RL_OK)
		goto out;
	uint64_t nnz = (tf.csr.indptr ? tf.csr.indptr[tf.n] : 0) +
		       (uint64_t)ls.n * ls.dim;
	uint32_t nf = 0;
	rc = rl_store_features_count(db, &nf);
	if (rc != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	X->n_rows = ev->n;
	X->n_cols = nf + ls.dim;
	X->indptr = calloc((size_t)ev->n + 1, sizeof *X->indptr);
	X->indices = malloc((nnz + 1) * sizeof *X->indices);
	X->values = malloc((nnz + 1) * sizeof *X->values);
	if (!X->indptr || !X->indices || !X->values)
		goto out;
	uint32_t a = 0, b = 0;
	uint64_t at = 0;
	for (uint32_t i = 0; i < ev->n; i++) {
		int64_t id = ev->review_ids[i];
		while (a < tf.n && tf.review_ids[a] < id)
			a++;
		while (b < ls.n && ls.review_ids[b] < id)
			b++;
		if (a < tf.n && tf.review_ids[a] == id)
			for (uint64_t p = tf.csr.indptr[a];
			     p < tf.csr.indptr[a + 1]; p++) {
				X->indices[at] = tf.csr.indices[p];
				X->values[at++] = tf.csr.values[p];
			}
		if (b < ls.n && ls.review_ids[b] == id)
			for (uint32_t c = 0; c < ls.dim; c++) {
				X->indices[at] = nf + c;
				X->values[at++] = ls.dense[(size_t)b * ls.dim + c];
			}
		X->indptr[i + 1] = at;
	}
	rc = RL_OK;
out:
	if (rc != RL_OK) {
		rl_csr_free(X);
		if (rc == RL_ENOMEM)
			rl_fail(db, rc, "out of memory");
	}
	rl_vector_set_free(&tf);
	rl_vector_set_free(&ls);
	return rc;
}

/* ---- the three methods; each fills P [n][L] (zero rows abstain) ---- */

static int by_rules(const rl_evidence *ev, const uint8_t *use_seed,
		    double *P)
{
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

/* Trains on the propagated distributions Pprop of every row that is not
 * a hidden seed, and predicts every row into P. theta, if not NULL, gets
 * the model. */
static int by_model(const rl_evidence *ev, const rl_csr *X,
		    const uint8_t *use_seed, const double *Pprop,
		    const rl_eval_opts *o, double *P, double *theta_out)
{
	uint32_t n = ev->n, L = ev->L;
	size_t sz = (size_t)(X->n_cols + 1) * L;
	float *T = malloc(((size_t)n * L + 1) * sizeof *T);
	float *w = malloc(((size_t)n + 1) * sizeof *w);
	double *theta = theta_out ? theta_out : malloc(sz * sizeof *theta);
	double *mass = calloc((size_t)L + 1, sizeof *mass);
	int rc = RL_ENOMEM;
	if (!T || !w || !theta || !mass)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const double *pp = Pprop + (size_t)i * L;
		double best = 0;
		for (uint32_t l = 0; l < L; l++) {
			T[(size_t)i * L + l] = (float)pp[l];
			if (pp[l] > best)
				best = pp[l];
		}
		int hidden = ev->seed[i] >= 0 && !use_seed[i];
		/* A propagated label counts as much as it is sure; a hand
		 * label fully. */
		w[i] = hidden ? 0 : ev->seed[i] >= 0 ? 1 : (float)best;
		for (uint32_t l = 0; l < L; l++)
			mass[l] += w[i] * pp[l];
	}
	/* Balanced class weights, so a big class does not drown the rest. */
	double total = 0;
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
	const char *kind = model_kind(o);
	rc = !strcmp(kind, "nb") ? rl_nb_train(X, T, w, L, o->smoothing, theta)
	   : !strcmp(kind, "cnb") ? rl_cnb_train(X, T, w, L, o->smoothing,
						 theta)
	   : rl_logreg_train(X, T, w, L, o->l2, (uint32_t)o->max_iter, o->tol,
			     o->threads, theta, NULL, o->progress, o->ctx);
	if (rc != RL_OK)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		double *p = P + (size_t)i * L;
		rl_logreg_predict(X, i, theta, L, p);
		if (o->temperature != 1)
			rl_temper(p, L, o->temperature);
	}
	rc = RL_OK;
out:
	free(T);
	free(w);
	if (!theta_out)
		free(theta);
	free(mass);
	return rc;
}

/* z [L] <- softmax(z), shifted by its largest entry so exp cannot
 * overflow. */
static void softmax_inplace(double *z, uint32_t L)
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

void rl_blend(const rl_evidence *ev, const uint8_t *use_seed,
	      const double *Pm, const double *Pp, double *P, double *g)
{
	uint32_t n = ev->n, L = ev->L;
	double sm = logit_spread(ev, use_seed, Pm, g);
	double sp = logit_spread(ev, use_seed, Pp, g);
	for (size_t i = 0; i < n; i++) {
		double *p = P + i * L, *h = g + L;
		int hm = centred_logits(Pm + i * L, L, g);
		int hp = centred_logits(Pp + i * L, L, h);
		if (!hm && !hp) {
			memset(p, 0, L * sizeof *p);
			continue;
		}
		for (uint32_t l = 0; l < L; l++)
			p[l] = (hm ? g[l] / sm : 0) + (hp ? h[l] / sp : 0);
		softmax_inplace(p, L);
	}
}

double rl_eval_se(double accuracy, uint64_t n)
{
	if (n == 0 || !(accuracy > 0 && accuracy < 1))
		return 0;
	return sqrt(accuracy * (1 - accuracy) / (double)n);
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

void rl_temper(double *p, uint32_t L, double t)
{
	/* softmax(z / t) from p = softmax(z): log p differs from z by a
	 * constant, which the softmax removes. */
	for (uint32_t l = 0; l < L; l++)
		p[l] = log(p[l] > 1e-300 ? p[l] : 1e-300) / t;
	softmax_inplace(p, L);
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

/* The temperature that minimises the held-out NLL: golden-section
 * search on log t in [1/100, 100] (complement NB's scores are small and
 * need a low one). */
static double fit_temperature(const double *ho, const uint32_t *gold,
			      size_t m, uint32_t L, double *tmp)
{
	const double g = 0.6180339887498949;
	double a = log(0.01), b = log(100);
	double c = b - g * (b - a), d = a + g * (b - a);
	double fc = temper_nll(ho, gold, m, L, exp(c), tmp);
	double fd = temper_nll(ho, gold, m, L, exp(d), tmp);
	for (int it = 0; it < 60; it++) {
		if (fc < fd) {
			b = d;
			d = c;
			fd = fc;
			c = b - g * (b - a);
			fc = temper_nll(ho, gold, m, L, exp(c), tmp);
		} else {
			a = c;
			c = d;
			fc = fd;
			d = a + g * (b - a);
			fd = temper_nll(ho, gold, m, L, exp(d), tmp);
		}
	}
	return exp((a + b) / 2);
}

/* Sums (count, confidence, right) per bin into the mean confidence and
 * accuracy of each, and returns the expected calibration error. */
static double bins_finish(const double *bn, const double *bc,
			  const double *br, rl_calib_bin *bins)
{
	double answered = 0, e = 0;
	for (int b = 0; b < RL_CALIB_BINS; b++)
		answered += bn[b];
	for (int b = 0; b < RL_CALIB_BINS; b++) {
		bins[b].n = (uint64_t)bn[b];
		bins[b].confidence = bn[b] > 0 ? bc[b] / bn[b] : 0;
		bins[b].accuracy = bn[b] > 0 ? br[b] / bn[b] : 0;
		if (bn[b] > 0)
			e += bn[b] / answered * fabs(bins[b].confidence -
						     bins[b].accuracy);
	}
	return e;
}

static double ece_of(const double *ho, const uint32_t *gold, size_t m,
		     uint32_t L, rl_calib_bin *bins)
{
	double bn[RL_CALIB_BINS] = { 0 }, bc[RL_CALIB_BINS] = { 0 };
	double br[RL_CALIB_BINS] = { 0 };
	for (size_t i = 0; i < m; i++) {
		const double *p = ho + i * L;
		uint32_t best = 0;
		for (uint32_t l = 1; l < L; l++)
			if (p[l] > p[best])
				best = l;
		int b = p[best] >= 1 ? 9 : (int)(p[best] * 10);
		bn[b] += 1;
		bc[b] += p[best];
		br[b] += best == gold[i];
	}
	return bins_finish(bn, bc, br, bins);
}

int rl_argmax(const double *p, uint32_t L)
{
	int best = -1;
	double bv = 0;
	for (uint32_t l = 0; l < L; l++)
		if (p[l] > bv) {
			bv = p[l];
			best = (int)l;
		}
	return best;
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
	}
	free(r);
}

/* RL_EINVAL, with the error set, for a classifier or propagation option
 * that does not exist. */
static int check_opts(rl_db *db, const rl_eval_opts *o)
{
	if (o->model && strcmp(o->model, "logreg") && strcmp(o->model, "nb") &&
	    strcmp(o->model, "cnb") && strcmp(o->model, "auto"))
		return rl_fail(db, RL_EINVAL, "model is logreg, nb, cnb or auto, "
			       "not '%s'", o->model);
	return rl_propagate_check(db, &o->prop);
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

/* One cross-validation, without curve or saving; oof (if not NULL) gets
 * the out-of-fold predictions. */
static int eval_once(rl_db *db, const rl_eval_opts *o, rl_eval_report **out,
		     rl_oof *oof)
{
	rl_evidence ev;
	rl_csr X = { 0 };
	rl_eval_report *r = NULL;
	uint32_t *fold = NULL, *per = NULL, *ho_gold = NULL, *order = NULL;
	uint32_t *taken = NULL, n_order = 0;
	double *ho = NULL, *tmp = NULL;
	size_t n_ho = 0;
	uint8_t *use = NULL;
	double *Pp = NULL, *Pm = NULL, *Pr = NULL, *Pb = NULL;
	uint64_t abstain[RL_METHOD_COUNT] = { 0 };
	/* calibration bins per method: count, confidence sum, right */
	double bin_n[RL_METHOD_COUNT][RL_CALIB_BINS] = { { 0 } };
	double bin_conf[RL_METHOD_COUNT][RL_CALIB_BINS] = { { 0 } };
	double bin_right[RL_METHOD_COUNT][RL_CALIB_BINS] = { { 0 } };
	/* Abstentions per gold label, so recall counts them as misses. */
	uint64_t *missed[RL_METHOD_COUNT] = { 0 };
	int rc;
	*out = NULL;
	if (oof)
		memset(oof, 0, sizeof *oof);
	rl_clear_error(db);
	if ((rc = rl_evidence_load(db, &ev, (uint32_t)o->prop.neighbours)) !=
	    RL_OK)
		return rc;
	uint32_t n = ev.n, L = ev.L;
	rc = RL_ENOMEM;
	for (int m = 0; oof && m < RL_METHOD_COUNT; m++)
		if (!(oof->P[m] = calloc((size_t)n * L + 1, sizeof *oof->P[m])))
			goto out;
	r = calloc(1, sizeof *r);
	fold = malloc(((size_t)n + 1) * sizeof *fold);
	per = calloc((size_t)L + 1, sizeof *per);
	use = malloc((size_t)n + 1);
	Pp = malloc(((size_t)n * L + 1) * sizeof *Pp);
	Pm = malloc(((size_t)n * L + 1) * sizeof *Pm);
	Pr = malloc(((size_t)n * L + 1) * sizeof *Pr);
	Pb = malloc(((size_t)n * L + 1) * sizeof *Pb);
	ho = malloc(((size_t)n * L + 1) * sizeof *ho);
	ho_gold = malloc(((size_t)n + 1) * sizeof *ho_gold);
	tmp = malloc((2 * (size_t)L + 1) * sizeof *tmp);
	if (!r || !fold || !per || !use || !Pp || !Pm || !Pr || !Pb || !ho ||
	    !ho_gold || !tmp)
		goto out;
	r->n_labels = L;
	r->temperature = 1;
	r->model = model_kind(o);
	r->labels = calloc((size_t)L + 1, sizeof *r->labels);
	if (!r->labels)
		goto out;
	for (uint32_t l = 0; l < L; l++)
		if (!(r->labels[l] = strdup(ev.label_names[l])))
			goto out;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		if (score_alloc(&r->methods[m], L) != RL_OK)
			goto out;
		if (!(missed[m] = calloc((size_t)L + 1, sizeof *missed[m])))
			goto out;
	}
	/* Stratified folds: each label's seeds dealt round-robin in a seeded
	 * shuffle order. */
	r->min_per_label = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++)
		if (ev.seed[i] >= 0)
			per[ev.seed[i]]++;
	uint32_t labelled = 0;
	for (uint32_t l = 0; l < L; l++)
		if (per[l]) {
			labelled++;
			if (per[l] < r->min_per_label)
				r->min_per_label = per[l];
		}
	r->seeds = ev.n_seeds;
	uint32_t k = (uint32_t)(o->folds < 2 ? 2 : o->folds);
	if (r->min_per_label < k)
		k = r->min_per_label;
	if (labelled < 2 || k < 2) {
		rc = rl_fail(db, RL_EEMPTY, "too few hand labels to evaluate: "
			     "need at least 2 labels with 2 seeds each");
		goto out;
	}
	r->folds = k;
	{
		uint64_t *key = malloc(((size_t)n + 1) * sizeof *key);
		order = malloc(((size_t)n + 1) * sizeof *order);
		taken = calloc((size_t)L + 1, sizeof *taken);
		uint32_t cnt = 0;
		if (!key || !order || !taken) {
			free(key);
			rc = RL_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint64_t st = (uint64_t)o->seed * 0x9e3779b97f4a7c15ull ^
				      (uint64_t)ev.review_ids[i];
			key[i] = rl_rand_next(&st);
			if (ev.seed[i] >= 0)
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
		memset(per, 0, ((size_t)L + 1) * sizeof *per);
		for (uint32_t a = 0; a < cnt; a++) {
			uint32_t i = order[a];
			fold[i] = per[ev.seed[i]]++ % k;
		}
		n_order = cnt;
		free(key);
	}
	if ((rc = rl_features_load(db, &ev, &X)) != RL_OK)
		goto out;
	for (uint32_t f = 0; f < k; f++) {
		for (uint32_t i = 0; i < n; i++)
			use[i] = ev.seed[i] < 0 || fold[i] != f;
		/* A learning curve trains on at most max_per_label seeds of
		 * each label; the others are neither trained on nor scored. */
		if (o->max_per_label > 0) {
			memset(taken, 0, ((size_t)L + 1) * sizeof *taken);
			for (uint32_t a = 0; a < n_order; a++) {
				uint32_t i = order[a];
				if (fold[i] == f)
					continue;
				if (taken[ev.seed[i]] >= (uint32_t)o->max_per_label)
					use[i] = 0;
				else
					taken[ev.seed[i]]++;
			}
		}
		if ((rc = by_rules(&ev, use, Pr)) != RL_OK ||
		    (rc = rl_propagate_run(&ev, use, &o->prop, Pp, NULL)) !=
		    RL_OK)
			goto out;
		if ((rc = by_model(&ev, &X, use, Pp, o, Pm, NULL)) != RL_OK)
			goto out;
		rl_blend(&ev, use, Pm, Pp, Pb, tmp);
		double *P[RL_METHOD_COUNT] = { Pr, Pp, Pm, Pb };
		for (uint32_t i = 0; i < n; i++) {
			if (ev.seed[i] < 0 || fold[i] != f)
				continue;
			uint32_t g = (uint32_t)ev.seed[i];
			memcpy(ho + n_ho * L, Pm + (size_t)i * L,
			       L * sizeof *ho);
			ho_gold[n_ho++] = g;
			for (int m = 0; m < RL_METHOD_COUNT; m++) {
				int p = rl_argmax(P[m] + (size_t)i * L, L);
				if (oof)
					memcpy(oof->P[m] + (size_t)i * L,
					       P[m] + (size_t)i * L,
					       L * sizeof *oof->P[m]);
				if (p < 0) {
					abstain[m]++;
					missed[m][g]++;
				} else {
					double c = P[m][(size_t)i * L +
							(uint32_t)p];
					int b = c >= 1 ? 9 : (int)(c * 10);
					bin_n[m][b] += 1;
					bin_conf[m][b] += c;
					bin_right[m][b] += (uint32_t)p == g;
					r->methods[m].confusion[g * L +
						(uint32_t)p]++;
				}
			}
		}
	}
	/* Labels without hand labels cannot be scored; macro-F1 averages
	 * over those that have some. */
	memset(per, 0, ((size_t)L + 1) * sizeof *per);
	for (uint32_t i = 0; i < n; i++)
		if (ev.seed[i] >= 0)
			per[ev.seed[i]]++;
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
		s->ece = bins_finish(bin_n[m], bin_conf[m], bin_right[m],
				     s->bins);
	}
	/* Calibrate the model on its own held-out predictions: every
	 * prediction here was made without its seed. */
	if (n_ho > 0) {
		r->temperature = fit_temperature(ho, ho_gold, n_ho, L, tmp);
		for (size_t i = 0; i < n_ho; i++)
			rl_temper(ho + i * L, L, r->temperature);
		r->model_ece_calibrated = ece_of(ho, ho_gold, n_ho, L,
						 r->model_calibrated);
	}
	r->top = RL_METHOD_RULES;
	for (int m = 1; m < RL_METHOD_COUNT; m++)
		if (r->methods[m].macro_f1 > r->methods[r->top].macro_f1 +
					     1e-12)
			r->top = (rl_method)m;
	r->se = rl_eval_se(r->methods[r->top].accuracy, r->seeds);
	{
		static const rl_method pref[RL_METHOD_COUNT] = {
			RL_METHOD_BLEND, RL_METHOD_MODEL,
			RL_METHOD_PROPAGATION, RL_METHOD_RULES,
		};
		double f[RL_METHOD_COUNT], se[RL_METHOD_COUNT];
		for (int q = 0; q < RL_METHOD_COUNT; q++) {
			f[q] = r->methods[pref[q]].macro_f1;
			se[q] = r->se;
		}
		r->best = pref[rl_one_se(f, se, RL_METHOD_COUNT)];
	}
	*out = r;
	r = NULL;
	if (oof) {
		/* The caller gets the rows the predictions belong to. */
		oof->ev = ev;
		memset(&ev, 0, sizeof ev);
	}
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_oof_free(oof);
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		free(missed[m]);
	rl_eval_report_free(r);
	rl_evidence_free(&ev);
	rl_csr_free(&X);
	free(fold);
	free(per);
	free(use);
	free(Pp);
	free(Pm);
	free(Pr);
	free(Pb);
	free(ho);
	free(ho_gold);
	free(tmp);
	free(order);
	free(taken);
	return rc;
}

/* ---- learning curve, the report as JSON, saving it ---- */

/* Macro-F1 of every method against the seeds per label each fold trains
 * on; the held-out seeds stay the same for every size. */
static int eval_curve(rl_db *db, const rl_eval_opts *o, rl_eval_report *r)
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
		if ((rc = eval_once(db, &co, &p, NULL)) != RL_OK)
			break;
		rl_curve_point *c = &r->curve[r->n_curve++];
		c->per_label = sizes[i];
		for (int m = 0; m < RL_METHOD_COUNT; m++)
			c->macro_f1[m] = p->methods[m].macro_f1;
		rl_eval_report_free(p);
		if (sizes[i] >= have)
			break;
	}
	return rc;
}

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
	int rc = rl_buf_printf(b, "%s\"%s\":{\"accuracy\":%.6f,\"macro_f1\":"
			       "%.6f,\"coverage\":%.6f,\"calibration_error\":"
			       "%.6f,\"per_label\":{", m ? "," : "",
			       rl_method_name((rl_method)m), s->accuracy,
			       s->macro_f1, s->coverage, s->ece);
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
	return rc == RL_OK ? rl_buf_putc(b, '}') : rc;
}

int rl_eval_report_json(const rl_eval_report *r, char **out)
{
	rl_buf b = { 0 };
	*out = NULL;
	int rc = rl_buf_printf(&b, "{\"seeds\":%llu,\"folds\":%u,"
			       "\"min_per_label\":%u,\"model\":\"%s\","
			       "\"best\":\"%s\",\"top\":\"%s\",\"se\":%.6f,"
			       "\"model_temperature\":%.6f,"
			       "\"model_calibration_error_calibrated\":%.6f,"
			       "\"labels\":[", (unsigned long long)r->seeds,
			       r->folds, r->min_per_label,
			       r->model ? r->model : "logreg",
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

int rl_eval_save(rl_db *db, rl_eval_report *r)
{
	char *json = NULL;
	int64_t run_id = 0, id = 0;
	double t0 = rl_now();
	char params[96], counts[96];
	rl_clear_error(db);
	int rc = rl_eval_report_json(r, &json);
	if (rc != RL_OK)
		return rl_fail(db, rc, "out of memory");
	snprintf(params, sizeof params, "{\"model\":\"%s\",\"folds\":%u,"
		 "\"curve\":%s}", r->model ? r->model : "logreg", r->folds,
		 r->n_curve ? "true" : "false");
	if ((rc = rl_store_begin(db)) != RL_OK)
		goto out;
	if ((rc = rl_store_run_start(db, "eval", params, &run_id)) != RL_OK ||
	    (rc = rl_store_eval_put(db, run_id, json, &id)) != RL_OK)
		goto fail;
	snprintf(counts, sizeof counts, "{\"seeds\":%llu,\"eval\":%lld}",
		 (unsigned long long)r->seeds, (long long)id);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK || (rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	r->id = id;
	goto out;
fail:
	rl_store_rollback(db);
out:
	free(json);
	return rc;
}

/* The options an evaluation runs with: o (defaults for NULL), checked,
 * and without progress, since folds train many small models. */
static int eval_opts(rl_db *db, const rl_eval_opts *o, rl_eval_opts *use)
{
	if (o)
		*use = *o;
	else
		rl_eval_opts_init(use);
	use->progress = NULL;
	return check_opts(db, use) == RL_OK ? RL_OK : RL_EINVAL;
}

int rl_eval(rl_db *db, const rl_eval_opts *opts, rl_eval_report **out)
{
	rl_eval_opts use, *o = &use;
	*out = NULL;
	if (eval_opts(db, opts, &use) != RL_OK)
		return RL_EINVAL;
	rl_eval_report *r = NULL;
	int rc = eval_once(db, o, &r, NULL);
	if (rc == RL_OK && o->curve)
		rc = eval_curve(db, o, r);
	if (rc == RL_OK && o->save)
		rc = rl_eval_save(db, r);
	if (rc != RL_OK) {
		rl_eval_report_free(r);
		return rc;
	}
	*out = r;
	return RL_OK;
}

int rl_eval_oof(rl_db *db, const rl_eval_opts *o, rl_eval_report **out,
		rl_oof *oof)
{
	rl_eval_opts use;
	*out = NULL;
	if (oof)
		memset(oof, 0, sizeof *oof);
	if (eval_opts(db, o, &use) != RL_OK)
		return RL_EINVAL;
	return eval_once(db, &use, out, oof);
}

/* ---- labelling with a chosen method ---- */

/* Models kept side by side; older ones (and their predictions) go. */
#define KEEP_MODELS 5

/* Stores the model with what predict needs to use it: its labels in
 * order, its weights, and the vectorizer fit its columns belong to. */
static int save_model(rl_db *db, const rl_evidence *ev, const rl_csr *X,
		      const double *theta, const rl_eval_opts *o,
		      int64_t run_id, int64_t *id)
{
	rl_buf fit = { 0 }, params = { 0 }, labels = { 0 };
	int rc = rl_store_setting_get(db, "vectorize_fit", &fit);
	if (rc != RL_OK)
		goto out;
	char head[256];
	snprintf(head, sizeof head, "{\"model\":\"%s\",\"l2\":%.17g,"
		 "\"max_iter\":%d,\"tol\":%.17g,\"smoothing\":%.17g,"
		 "\"temperature\":%.17g,"
		 "\"n_cols\":%u,\"features\":\"tfidf+lsa\",\"fit\":",
		 model_kind(o), o->l2, o->max_iter, o->tol, o->smoothing,
		 o->temperature, X->n_cols);
	if ((rc = rl_buf_append(&params, head, strlen(head))) != RL_OK ||
	    (rc = rl_json_string(&params, fit.data, fit.len)) != RL_OK ||
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
		rc = rl_store_model_put(db, model_kind(o),
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
	return rc;
}

/* Where a label of method m came from; a blend's from whichever of the
 * model (P) and propagation (Pp) gave its label the larger share. */
static const char *label_source(rl_method m, const double *P,
				const double *Pp, uint32_t i, uint32_t L,
				int best)
{
	if (m == RL_METHOD_RULES)
		return "rule";
	if (m == RL_METHOD_PROPAGATION)
		return "propagation";
	if (m == RL_METHOD_MODEL || best < 0)
		return "model";
	const double *a = P + (size_t)i * L, *b = Pp + (size_t)i * L;
	double sa = 0, sb = 0;
	for (uint32_t l = 0; l < L; l++) {
		sa += a[l];
		sb += b[l];
	}
	return sb > 0 && b[best] / sb > (sa > 0 ? a[best] / sa : 0)
	       ? "propagation" : "model";
}

/* Labels with method m; with only_model, trains and stores the model
 * (and its predictions) without touching the assignments. */
static int label_with(rl_db *db, rl_method m, const rl_eval_opts *o,
		      uint64_t *labelled, int only_model)
{
	rl_eval_opts defaults;
	if (!o) {
		rl_eval_opts_init(&defaults);
		o = &defaults;
	}
	rl_evidence ev;
	rl_csr X = { 0 };
	double *P = NULL, *Pp = NULL, *Pb = NULL, *theta = NULL;
	uint8_t *use = NULL;
	rl_buf params = { 0 };
	int64_t run_id = 0, model_id = 0;
	double t0 = rl_now();
	int rc;
	*labelled = 0;
	rl_clear_error(db);
	if ((unsigned)m >= RL_METHOD_COUNT)
		return rl_fail(db, RL_EINVAL, "unknown method %d", (int)m);
	if (check_opts(db, o) != RL_OK)
		return RL_EINVAL;
	if ((rc = rl_store_begin(db)) != RL_OK)
		return rc;
	char pj[160];
	snprintf(pj, sizeof pj, "{\"method\":\"%s\",\"model\":\"%s\","
		 "\"l2\":%g,\"neighbours\":%d}", rl_method_name(m),
		 model_kind(o), o->l2, o->prop.neighbours);
	if ((rc = rl_store_run_start(db, only_model ? "train" : "label", pj,
				     &run_id)) != RL_OK ||
	    (rc = rl_evidence_load(db, &ev, (uint32_t)o->prop.neighbours)) !=
	    RL_OK)
		goto fail_noev;
	uint32_t n = ev.n, L = ev.L;
	rc = RL_ENOMEM;
	P = malloc(((size_t)n * L + 1) * sizeof *P);
	Pp = malloc(((size_t)n * L + 1) * sizeof *Pp);
	use = malloc((size_t)n + 1);
	if (!P || !Pp || !use)
		goto fail;
	memset(use, 1, n);
	if (m == RL_METHOD_RULES) {
		if ((rc = by_rules(&ev, use, P)) != RL_OK)
			goto fail;
	} else {
		if ((rc = rl_propagate_run(&ev, NULL, &o->prop, Pp, NULL)) !=
		    RL_OK)
			goto fail;
		if (m == RL_METHOD_PROPAGATION) {
			memcpy(P, Pp, (size_t)n * L * sizeof *P);
		} else {
			size_t sz;
			if ((rc = rl_features_load(db, &ev, &X)) != RL_OK)
				goto fail;
			sz = (size_t)(X.n_cols + 1) * L;
			if (!(theta = malloc(sz * sizeof *theta))) {
				rc = RL_ENOMEM;
				goto fail;
			}
			if ((rc = by_model(&ev, &X, use, Pp, o, P, theta)) !=
			    RL_OK ||
			    (rc = save_model(db, &ev, &X, theta, o, run_id,
					     &model_id)) != RL_OK)
				goto fail;
		}
	}
	/* P stays the model's, for its stored predictions; the labels come
	 * from A. */
	const double *A = P;
	if (m == RL_METHOD_BLEND) {
		double *g = malloc((2 * (size_t)L + 1) * sizeof *g);
		if (!g || !(Pb = malloc(((size_t)n * L + 1) * sizeof *Pb))) {
			free(g);
			rc = RL_ENOMEM;
			goto fail;
		}
		rl_blend(&ev, NULL, P, Pp, Pb, g);
		free(g);
		A = Pb;
	}
	if (!only_model && (rc = rl_store_scores_clear(db)) != RL_OK)
		goto fail;
	/* The neighbour count labelling used stays the default of the
	 * stages after it (propagate, next, suspects, train). */
	if (!only_model && o->prop.neighbours > 0) {
		char kbuf[16];
		snprintf(kbuf, sizeof kbuf, "%u", ev.k);
		if ((rc = rl_store_setting_set(db, RL_NEIGHBOURS_KEY, kbuf)) !=
		    RL_OK)
			goto fail;
	}
	if (!only_model && o->prop.class_prior &&
	    (!strcmp(o->prop.class_prior, "seeds") ||
	     !strcmp(o->prop.class_prior, "uniform")) &&
	    (rc = rl_store_setting_set(db, RL_CLASS_PRIOR_KEY,
				       o->prop.class_prior)) != RL_OK)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		const double *p = A + (size_t)i * L;
		int best = rl_argmax(p, L);
		int is_seed = ev.seed[i] >= 0;
		if (o->progress && i % 4096 == 0)
			o->progress(o->ctx, "write", i, n);
		if (only_model) {
			if (best >= 0 && (rc = rl_store_prediction_put(db,
					ev.review_ids[i], model_id,
					ev.label_ids[best], p[best])) != RL_OK)
				goto fail;
			continue;
		}
		for (uint32_t l = 0; l < L; l++)
			if (p[l] > 0 && (rc = rl_store_score_put(db,
					ev.review_ids[i], ev.label_ids[l],
					p[l])) != RL_OK)
				goto fail;
		if (!is_seed && ev.cseed[i] < 0 && best < 0)
			continue;
		double second = 0;
		for (uint32_t l = 0; best >= 0 && l < L; l++)
			if ((int)l != best && p[l] > second)
				second = p[l];
		/* A named cluster's label stands, like a hand label, but
		 * keeps its own source. */
		int is_named = !is_seed && ev.cseed[i] >= 0;
		uint32_t lab = is_seed ? (uint32_t)ev.seed[i]
			     : is_named ? (uint32_t)ev.cseed[i]
			     : (uint32_t)best;
		double conf = is_seed || is_named ? 1 : p[best];
		if ((rc = rl_store_assignment_put(db, ev.review_ids[i],
				ev.label_ids[lab], conf,
				is_seed || is_named ? 1 : conf - second,
				is_seed ? "seed" : is_named ? "cluster"
					: label_source(m, P, Pp, i, L, best),
				is_named ? "{\"cluster\":true}"
				: m == RL_METHOD_BLEND ? "{\"blend\":true}"
				: model_id ? "{\"model\":true}" : "{}",
				run_id)) != RL_OK)
			goto fail;
		int mb = model_id ? rl_argmax(P + (size_t)i * L, L) : -1;
		if (mb >= 0 && (rc = rl_store_prediction_put(db,
				ev.review_ids[i], model_id, ev.label_ids[mb],
				P[(size_t)i * L + (uint32_t)mb])) != RL_OK)
			goto fail;
		(*labelled)++;
	}
	char counts[96];
	snprintf(counts, sizeof counts, "{\"labelled\":%llu,\"model\":%lld}",
		 (unsigned long long)*labelled, (long long)model_id);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK || (rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	rl_evidence_free(&ev);
	goto out;
fail:
	rl_evidence_free(&ev);
fail_noev:
	rl_store_rollback(db);
	*labelled = 0;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_csr_free(&X);
	free(P);
	free(Pp);
	free(Pb);
	free(theta);
	free(use);
	rl_buf_free(&params);
	return rc;
}

int rl_label_with(rl_db *db, rl_method m, const rl_eval_opts *o,
		  uint64_t *labelled)
{
	return label_with(db, m, o, labelled, 0);
}

int rl_train(rl_db *db, const rl_eval_opts *o)
{
	uint64_t n;
	return label_with(db, RL_METHOD_MODEL, o, &n, 1);
}
