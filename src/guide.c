/*
 * guide.c - kernels that guide a person's hand labelling: which
 * unlabelled reviews a label would help most (active learning), and which
 * hand labels look wrong next to out-of-fold predictions (confident
 * learning). Flat arrays in, flat arrays out; stage_guide.c feeds them
 * from the store.
 *
 * In a multi-label store every label is its own yes-or-no question, so
 * both work per label: a review is as unsure as its most unsure label
 * (the largest, not the mean: with twenty labels most are plainly absent
 * and would drown the one a hand label settles), sources disagree on the
 * share of the labels either gives that only one gives (for one label
 * each, as in a single-label store, 0 or 1), and a hand label is judged
 * against the label's presence and its absence separately.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "kernels.h"

typedef struct scored {
	double score;
	uint32_t row;
} scored;

static int by_score(const void *a, const void *b)
{
	const scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Does row i have an already chosen row among its neighbours, or is it a
 * neighbour of one? The second is marked in `near` as picks are made. */
static int crowded(const rl_next_in *in, uint32_t i, const uint8_t *taken,
		   const uint8_t *near)
{
	if (near[i])
		return 1;
	for (uint32_t j = 0; j < in->k; j++) {
		int32_t v = in->nbr[(size_t)i * in->k + j];
		if (v >= 0 && taken[v])
			return 1;
	}
	return 0;
}

/* p on a scale where the threshold t falls at 0.5, 0 and 1 staying. */
static double centred(double p, double t)
{
	if (p >= t)
		return t < 1 ? 0.5 + 0.5 * (p - t) / (1 - t) : 1;
	return 0.5 * p / t;
}

int rl_next_row_multi(const rl_next_in *in, uint32_t i, double *q,
		      uint8_t *on)
{
	uint32_t L = in->L;
	const double *pm = in->Pm + (size_t)i * L;
	const double *pp = in->Pp + (size_t)i * L;
	int hm = rl_argmax(pm, L) >= 0, hp = rl_argmax(pp, L) >= 0;
	for (uint32_t l = 0; l < L; l++) {
		double a = hm ? centred(pm[l], in->thr ? in->thr[l] : 0.5) : 0;
		double b = hp ? pp[l] : 0;
		q[l] = hm && hp ? (a + b) / 2 : a + b;
	}
	rl_decide_multi(q, L, NULL, on);
	rl_decide_multi(pm, L, in->thr, on + L);
	rl_decide_multi(pp, L, NULL, on + 2 * (size_t)L);
	rl_decide_multi(in->R + (size_t)i * L, L, NULL, on + 3 * (size_t)L);
	return hm + hp;
}

/* The multi-label half of score_row: q [L] and on [4][L] scratch. */
static void score_multi(const rl_next_in *in, uint32_t i, rl_next_pick *p,
			double *q, uint8_t *on)
{
	uint32_t L = in->L;
	double u1 = 0, u2 = 0;
	p->m1 = p->m2 = -1;
	if (rl_next_row_multi(in, i, q, on)) {
		for (uint32_t l = 0; l < L; l++) {
			double u = 1 - fabs(2 * q[l] - 1);
			if (p->m1 < 0 || u > u1) {
				p->m2 = p->m1;
				u2 = u1;
				p->m1 = (int32_t)l;
				u1 = u;
			} else if (p->m2 < 0 || u > u2) {
				p->m2 = (int32_t)l;
				u2 = u;
			}
		}
		p->p1 = q[p->m1];
		p->p2 = p->m2 >= 0 ? q[p->m2] : 0;
	}
	p->uncertainty = p->m1 < 0 ? 1 : u1;
	p->model = rl_argmax(in->Pm + (size_t)i * L, L);
	p->prop = rl_argmax(in->Pp + (size_t)i * L, L);
	p->rule = rl_argmax(in->R + (size_t)i * L, L);
	int32_t src[3] = { p->model, p->prop, p->rule };
	int pairs = 0;
	double differ = 0;
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++) {
			if (src[a] < 0 || src[b] < 0)
				continue;
			const uint8_t *x = on + (size_t)(a + 1) * L;
			const uint8_t *y = on + (size_t)(b + 1) * L;
			uint32_t either = 0, one = 0;
			for (uint32_t l = 0; l < L; l++) {
				either += x[l] || y[l];
				one += x[l] != y[l];
			}
			pairs++;
			differ += either ? (double)one / either : 0;
		}
	p->disagreement = pairs ? differ / pairs : 0;
}

/* The single-label half of score_row. */
static void score_single(const rl_next_in *in, uint32_t i, rl_next_pick *p)
{
	uint32_t L = in->L;
	const double *pm = in->Pm + (size_t)i * L;
	const double *pp = in->Pp + (size_t)i * L;
	int answered = rl_argmax(pp, L) >= 0;
	/* The model and propagation together (their mean where propagation
	 * answers): either alone is sure of things the other is not. */
	for (uint32_t l = 0; l < L; l++) {
		double q = answered ? (pm[l] + pp[l]) / 2 : pm[l];
		if (q <= 0)
			continue;
		if (p->m1 < 0 || q > p->p1) {
			p->m2 = p->m1;
			p->p2 = p->p1;
			p->m1 = (int32_t)l;
			p->p1 = q;
		} else if (p->m2 < 0 || q > p->p2) {
			p->m2 = (int32_t)l;
			p->p2 = q;
		}
	}
	/* Margin sampling: evidence torn between two labels learns most from
	 * being told which. No answer at all is the most unsure. */
	p->uncertainty = p->m1 < 0 ? 1 : 1 - (p->p1 - p->p2);
	p->model = rl_argmax(pm, L);
	p->prop = rl_argmax(in->Pp + (size_t)i * L, L);
	p->rule = rl_argmax(in->R + (size_t)i * L, L);
	/* Disagreement: the share of pairs of sources that answer and differ
	 * (a committee of three; query by committee). */
	int32_t src[3] = { p->model, p->prop, p->rule };
	int pairs = 0, differ = 0;
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++)
			if (src[a] >= 0 && src[b] >= 0) {
				pairs++;
				differ += src[a] != src[b];
			}
	p->disagreement = pairs ? (double)differ / pairs : 0;
}

/* Scores row i into p; q [L] and on [4][L] are scratch for a multi-label
 * store. */
static void score_row(const rl_next_in *in, uint32_t i, rl_next_pick *p,
		      double *q, uint8_t *on)
{
	memset(p, 0, sizeof *p);
	p->row = i;
	p->m1 = p->m2 = -1;
	if (in->multi)
		score_multi(in, i, p, q, on);
	else
		score_single(in, i, p);
	double s = 0;
	uint32_t cnt = 0;
	for (uint32_t j = 0; j < in->k; j++)
		if (in->nbr[(size_t)i * in->k + j] >= 0) {
			float v = in->sim[(size_t)i * in->k + j];
			s += v > 0 ? v : 0;
			cnt++;
		}
	p->density = cnt ? s / cnt : 0;
}

static void take(const rl_next_in *in, const rl_next_pick *all, uint32_t i,
		 uint8_t *taken, uint8_t *near, size_t *per,
		 rl_next_pick *out, size_t *n_out)
{
	if (all[i].m1 >= 0)
		per[all[i].m1]++;
	taken[i] = 1;
	for (uint32_t j = 0; j < in->k; j++) {
		int32_t v = in->nbr[(size_t)i * in->k + j];
		if (v >= 0)
			near[v] = 1;
	}
	out[(*n_out)++] = all[i];
}

int rl_next_rank(const rl_next_in *in, size_t limit, rl_next_pick *out,
		 size_t *n_out)
{
	uint32_t n = in->n;
	rl_next_pick *all = malloc(((size_t)n + 1) * sizeof *all);
	scored *order = malloc(((size_t)n + 1) * sizeof *order);
	uint8_t *near = calloc((size_t)n + 1, 1);
	uint8_t *taken = calloc((size_t)n + 1, 1);
	size_t *per = calloc((size_t)in->L + 1, sizeof *per);
	double *q = malloc(((size_t)in->L + 1) * sizeof *q);
	uint8_t *on = malloc(4 * (size_t)in->L + 1);
	uint32_t m = 0;
	double dmax = 0;
	*n_out = 0;
	if (!all || !order || !near || !taken || !per || !q || !on) {
		free(q);
		free(on);
		free(per);
		free(all);
		free(order);
		free(near);
		free(taken);
		return RL_ENOMEM;
	}
	double rmax = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!in->cand[i])
			continue;
		score_row(in, i, &all[i], q, on);
		if (all[i].density > dmax)
			dmax = all[i].density;
		if (in->reach && in->reach[i] > rmax)
			rmax = in->reach[i];
	}
	double wsum = 1 + in->w_disagree + in->w_explore;
	for (uint32_t i = 0; i < n; i++) {
		if (!in->cand[i])
			continue;
		rl_next_pick *p = &all[i];
		/* Density relative to the densest candidate: an outlier's label
		 * teaches little about the rest. */
		p->density = dmax > 0 ? p->density / dmax : 1;
		/* Far from every hand label: where the labels so far say
		 * least, and where a label of a class without seeds hides. */
		p->novelty = in->reach ? (rmax > 0 ? 1 - in->reach[i] / rmax
						   : 1)
				       : p->prop < 0;
		double base = (p->uncertainty +
			       in->w_disagree * p->disagreement +
			       in->w_explore * p->novelty) / wsum;
		p->score = base * (in->density_power > 0
				   ? pow(p->density, in->density_power) : 1);
		order[m++] = (scored){ p->score, i };
	}
	qsort(order, m, sizeof *order, by_score);
	/* Greedy: skip a review next to an earlier pick (a near-duplicate
	 * teaches nothing new) and, with balance, one whose likeliest label
	 * already has its share (so a big class does not take every hand
	 * label); when too few remain, relax the first, then the second. */
	size_t quota = in->balance && in->L ? (limit + in->L - 1) / in->L
					    : limit;
	for (int pass = 0; pass < 3 && *n_out < limit; pass++)
		for (uint32_t a = 0; a < m && *n_out < limit; a++) {
			uint32_t i = order[a].row;
			int32_t c = all[i].m1;
			if (taken[i] || (pass < 2 && crowded(in, i, taken,
							     near)) ||
			    (pass < 1 && c >= 0 && per[c] >= quota))
				continue;
			take(in, all, i, taken, near, per, out, n_out);
		}
	free(all);
	free(order);
	free(near);
	free(taken);
	free(per);
	free(q);
	free(on);
	return RL_OK;
}

int rl_suspect_rank(uint32_t n, uint32_t L, const double *P,
		    const int32_t *given, rl_suspect_pick *out, size_t *n_out)
{
	double *thr = calloc((size_t)L + 1, sizeof *thr);
	uint32_t *cnt = calloc((size_t)L + 1, sizeof *cnt);
	scored *order = malloc(((size_t)n + 1) * sizeof *order);
	rl_suspect_pick *all = malloc(((size_t)n + 1) * sizeof *all);
	uint32_t m = 0;
	*n_out = 0;
	if (!thr || !cnt || !order || !all) {
		free(thr);
		free(cnt);
		free(order);
		free(all);
		return RL_ENOMEM;
	}
	/* Per-label thresholds: the mean probability the predictions give a
	 * label on the rows that carry it (its self-confidence), so a label
	 * the model is always unsure of is not held to a high bar. */
	for (uint32_t i = 0; i < n; i++) {
		int32_t g = given[i];
		if (g < 0 || rl_argmax(P + (size_t)i * L, L) < 0)
			continue;
		thr[g] += P[(size_t)i * L + (uint32_t)g];
		cnt[g]++;
	}
	for (uint32_t l = 0; l < L; l++)
		thr[l] = cnt[l] ? thr[l] / cnt[l] : 1;
	/* A row is suspect when the likeliest label among those above their
	 * threshold is not the given one (the off-diagonal of the
	 * confident joint). */
	for (uint32_t i = 0; i < n; i++) {
		int32_t g = given[i], s = -1;
		const double *p = P + (size_t)i * L;
		if (g < 0)
			continue;
		for (uint32_t l = 0; l < L; l++)
			if (p[l] > 0 && p[l] >= thr[l] &&
			    (s < 0 || p[l] > p[s]))
				s = (int32_t)l;
		if (s < 0 || s == g)
			continue;
		all[i] = (rl_suspect_pick){ i, (uint32_t)g, (uint32_t)s,
					    p[s] - p[g] };
		/* Most suspect: the given label least likely (self-confidence
		 * ranking; it found more flips than the margin did). */
		order[m++] = (scored){ -p[g], i };
	}
	qsort(order, m, sizeof *order, by_score);
	for (uint32_t a = 0; a < m; a++)
		out[(*n_out)++] = all[order[a].row];
	free(thr);
	free(cnt);
	free(order);
	free(all);
	return RL_OK;
}

int rl_suspect_rank_multi(uint32_t n, uint32_t L, const double *P,
			  const uint8_t *Y, const int32_t *given,
			  rl_suspect_pick *out, size_t *n_out, double *bars)
{
	size_t nL = 0;
	for (uint32_t i = 0; i < n; i++)
		nL += given[i] >= 0 ? L : 0;
	double *bar = calloc(2 * (size_t)L + 1, sizeof *bar);
	uint64_t *cnt = calloc(2 * (size_t)L + 1, sizeof *cnt);
	scored *order = malloc((nL + 1) * sizeof *order);
	rl_suspect_pick *all = malloc((nL + 1) * sizeof *all);
	size_t m = 0;
	*n_out = 0;
	if (!bar || !cnt || !order || !all) {
		free(bar);
		free(cnt);
		free(order);
		free(all);
		return RL_ENOMEM;
	}
	/* Label l against its absence, as two classes of confident
	 * learning: the bar of "l" is the mean P[.][l] over the rows given
	 * l (bar[l]); that of "not l", in terms of P[.][l], the mean over
	 * the rows without l (bar[L + l]). */
	for (uint32_t i = 0; i < n; i++) {
		const double *p = P + (size_t)i * L;
		if (given[i] < 0 || rl_argmax(p, L) < 0)
			continue;
		for (uint32_t l = 0; l < L; l++) {
			size_t at = Y[(size_t)i * L + l] ? l : (size_t)L + l;
			bar[at] += p[l];
			cnt[at]++;
		}
	}
	for (size_t a = 0; a < 2 * (size_t)L; a++)
		bar[a] = cnt[a] ? bar[a] / (double)cnt[a] : 0;
	for (uint32_t i = 0; i < n; i++) {
		const double *p = P + (size_t)i * L;
		if (given[i] < 0 || rl_argmax(p, L) < 0)
			continue;
		for (uint32_t l = 0; l < L; l++) {
			/* Predictions that do not tell l from its absence
			 * judge nothing. */
			if (!cnt[l] || !cnt[L + l] || !(bar[l] > bar[L + l]))
				continue;
			rl_suspect_pick s = { i, RL_NO_LABEL, RL_NO_LABEL, 0 };
			double self;
			if (Y[(size_t)i * L + l]) {
				if (!(p[l] <= bar[L + l]))
					continue;
				s.given = l;
				s.margin = bar[L + l] - p[l];
				self = p[l];
			} else {
				if (!(p[l] >= bar[l]))
					continue;
				s.suggested = l;
				s.margin = p[l] - bar[l];
				self = 1 - p[l];
			}
			/* Least self-confident first; the index keeps ties
			 * in (row, label) order. */
			all[m] = s;
			order[m] = (scored){ -self, (uint32_t)m };
			m++;
		}
	}
	qsort(order, m, sizeof *order, by_score);
	for (size_t a = 0; a < m; a++)
		out[(*n_out)++] = all[order[a].row];
	if (bars)
		memcpy(bars, bar, 2 * (size_t)L * sizeof *bars);
	free(bar);
	free(cnt);
	free(order);
	free(all);
	return RL_OK;
}
