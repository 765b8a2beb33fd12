/*
 * agreement.c - labelling as a team, the arithmetic: the policy that
 * turns several annotators' answers on a review into the review's hand
 * labels (majority, ties to the latest answer), and the agreement
 * statistics `revlab agreement` reports (Cohen's kappa for a pair of
 * annotators, Krippendorff's alpha for all of them). Flat arrays only;
 * the contracts are in agreement.h, the choices argued in docs/design.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "internal.h"
#include "kernels.h"

int rl_resolve_single(size_t n, const uint32_t *label, const uint32_t *coder,
		      uint32_t n_labels, uint32_t n_coders, int32_t *out)
{
	uint32_t *votes = calloc((size_t)n_labels + 1, sizeof *votes);
	size_t *last = calloc((size_t)n_labels + 1, sizeof *last);
	uint8_t *voted = calloc((size_t)n_coders + 1, 1);
	*out = -1;
	if (!votes || !last || !voted) {
		free(votes);
		free(last);
		free(voted);
		return RL_ENOMEM;
	}
	/* Newest first: an annotator's first answer met is their vote. The
	 * first vote met for a label is its latest (last[] holds k + 1). */
	for (size_t k = n; k-- > 0;) {
		if (voted[coder[k]])
			continue;
		voted[coder[k]] = 1;
		votes[label[k]]++;
		if (!last[label[k]])
			last[label[k]] = k + 1;
	}
	for (uint32_t l = 0; l < n_labels; l++) {
		if (!votes[l])
			continue;
		if (*out < 0 || votes[l] > votes[*out] ||
		    (votes[l] == votes[*out] && last[l] > last[*out]))
			*out = (int32_t)l;
	}
	free(votes);
	free(last);
	free(voted);
	return RL_OK;
}

int rl_resolve_multi(size_t n, const uint32_t *label, const uint32_t *coder,
		     uint32_t n_labels, uint32_t n_coders, uint8_t *on)
{
	uint32_t *votes = calloc((size_t)n_labels + 1, sizeof *votes);
	/* [n_coders][n_labels]: whether coder c gave label l */
	uint8_t *gave = calloc((size_t)n_coders * n_labels + 1, 1);
	uint8_t *any = calloc((size_t)n_coders + 1, 1);
	memset(on, 0, n_labels);
	if (!votes || !gave || !any) {
		free(votes);
		free(gave);
		free(any);
		return RL_ENOMEM;
	}
	uint32_t m = 0;
	for (size_t k = 0; k < n; k++) {
		uint8_t *g = gave + (size_t)coder[k] * n_labels + label[k];
		if (!*g)
			votes[label[k]]++;
		*g = 1;
		if (!any[coder[k]])
			m++;
		any[coder[k]] = 1;
	}
	for (uint32_t l = 0; l < n_labels && n > 0; l++) {
		uint64_t twice = 2 * (uint64_t)votes[l];
		if (twice > m)
			on[l] = 1;
		else if (twice == m && votes[l] > 0)
			on[l] = gave[(size_t)coder[n - 1] * n_labels + l];
	}
	free(votes);
	free(gave);
	free(any);
	return RL_OK;
}

/* The category coder c gave item i, -1 for none. */
static int32_t code(const rl_coded *d, size_t i, uint32_t c)
{
	int32_t v = d->v[i * d->stride + c];
	if (v < 0 || d->pos < 0)
		return v;
	return v == d->pos;
}

int rl_cohen_kappa(const rl_coded *d, uint32_t a, uint32_t b, double *kappa,
		   uint64_t *items, uint64_t *agree)
{
	/* [2][cats]: how often a, then b, gave each category */
	uint64_t *cnt = calloc(2 * (size_t)d->cats + 1, sizeof *cnt);
	*kappa = NAN;
	*items = *agree = 0;
	if (!cnt)
		return RL_ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		int32_t x = code(d, i, a), y = code(d, i, b);
		if (x < 0 || y < 0)
			continue;
		(*items)++;
		*agree += x == y;
		cnt[x]++;
		cnt[d->cats + (uint32_t)y]++;
	}
	if (*items > 0) {
		double nn = (double)*items, pe = 0;
		for (uint32_t c = 0; c < d->cats; c++)
			pe += (double)cnt[c] * (double)cnt[d->cats + c];
		pe /= nn * nn;
		double po = (double)*agree / nn;
		if (pe < 1)
			*kappa = (po - pe) / (1 - pe);
	}
	free(cnt);
	return RL_OK;
}

int rl_kripp_alpha(const rl_coded *d, double *alpha, uint64_t *pairable)
{
	/* per item n_uc, and over the pairable items n_c */
	uint64_t *nu = calloc((size_t)d->cats + 1, sizeof *nu);
	uint64_t *nc = calloc((size_t)d->cats + 1, sizeof *nc);
	*alpha = NAN;
	*pairable = 0;
	if (!nu || !nc) {
		free(nu);
		free(nc);
		return RL_ENOMEM;
	}
	/* the sum of (m_u^2 - sum_c n_uc^2) / (m_u - 1) */
	double obs = 0;
	for (size_t i = 0; i < d->n; i++) {
		uint64_t m = 0, sq = 0;
		for (uint32_t c = 0; c < d->coders; c++) {
			int32_t x = code(d, i, c);
			if (x >= 0) {
				nu[x]++;
				m++;
			}
		}
		/* Each coder's category once more: sum n_uc^2 and reset. */
		for (uint32_t c = 0; c < d->coders; c++) {
			int32_t x = code(d, i, c);
			if (x < 0 || !nu[x])
				continue;
			sq += nu[x] * nu[x];
			if (m >= 2)
				nc[x] += nu[x];
			nu[x] = 0;
		}
		if (m < 2)
			continue;
		(*pairable)++;
		obs += (double)(m * m - sq) / (double)(m - 1);
	}
	double n = 0, sqc = 0;
	for (uint32_t c = 0; c < d->cats; c++) {
		n += (double)nc[c];
		sqc += (double)nc[c] * (double)nc[c];
	}
	if (n >= 2 && n * n > sqc)
		*alpha = 1 - (n - 1) * obs / (n * n - sqc);
	free(nu);
	free(nc);
	return RL_OK;
}

/* Whether row p [L] holds a prediction (not all zero, as rl_argmax
 * says). */
static int predicted(const double *p, uint32_t L)
{
	return rl_argmax(p, L) >= 0;
}

int rl_confident_labels(uint32_t n, uint32_t L, const double *P,
			const int32_t *given, int32_t *conf)
{
	double *thr = calloc((size_t)L + 1, sizeof *thr);
	uint32_t *cnt = calloc((size_t)L + 1, sizeof *cnt);
	if (!thr || !cnt) {
		free(thr);
		free(cnt);
		return RL_ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		int32_t g = given[i];
		if (g < 0 || !predicted(P + (size_t)i * L, L))
			continue;
		thr[g] += P[(size_t)i * L + (uint32_t)g];
		cnt[g]++;
	}
	for (uint32_t l = 0; l < L; l++)
		thr[l] = cnt[l] ? thr[l] / cnt[l] : 1;
	for (uint32_t i = 0; i < n; i++) {
		const double *p = P + (size_t)i * L;
		int32_t s = -1;
		if (predicted(p, L))
			for (uint32_t l = 0; l < L; l++)
				if (p[l] > 0 && p[l] >= thr[l] &&
				    (s < 0 || p[l] > p[s]))
					s = (int32_t)l;
		conf[i] = s;
	}
	free(thr);
	free(cnt);
	return RL_OK;
}

int rl_label_bars(uint32_t n, uint32_t L, const double *P, const uint8_t *Y,
		  const int32_t *given, double *bar, uint8_t *judged)
{
	uint64_t *cnt = calloc(2 * (size_t)L + 1, sizeof *cnt);
	if (!cnt)
		return RL_ENOMEM;
	memset(bar, 0, 2 * (size_t)L * sizeof *bar);
	for (uint32_t i = 0; i < n; i++) {
		const double *p = P + (size_t)i * L;
		if (given[i] < 0 || !predicted(p, L))
			continue;
		for (uint32_t l = 0; l < L; l++) {
			size_t at = Y[(size_t)i * L + l] ? l : (size_t)L + l;
			bar[at] += p[l];
			cnt[at]++;
		}
	}
	for (size_t a = 0; a < 2 * (size_t)L; a++)
		bar[a] = cnt[a] ? bar[a] / (double)cnt[a] : 0;
	for (uint32_t l = 0; l < L; l++)
		judged[l] = cnt[l] && cnt[L + l] && bar[l] > bar[L + l];
	free(cnt);
	return RL_OK;
}
