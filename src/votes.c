/*
 * votes.c - rules as evidence: how often each rule is right on the hand
 * labels, its smoothed precision (the weight of its votes) and Wilson
 * interval (what `revlab rules stats` and the report show), each row's
 * votes, and how the rules fire together. Kernel: the evidence's arrays
 * in, counts out.
 *
 * Every measure of a rule is taken on the hand labels in use only, so
 * cross-validation can hide a fold's seeds from it; cluster-named labels
 * were made from the same data and never count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

void rl_rule_seed_counts(const rl_evidence *ev, const uint8_t *use_seed,
			 uint64_t *hits, uint64_t *right)
{
	memset(hits, 0, ev->n_rules * sizeof *hits);
	memset(right, 0, ev->n_rules * sizeof *right);
	for (uint32_t i = 0; i < ev->n; i++) {
		int32_t s = ev->seed[i];
		if (s < 0 || (use_seed && !use_seed[i]))
			continue;
		for (uint64_t p = ev->hit_ptr[i]; p < ev->hit_ptr[i + 1]; p++) {
			uint32_t r = ev->hit_rule[p];
			hits[r]++;
			right[r] += rl_has_label(ev, i, ev->rule_label[r]) !=
				    ev->rule_negate[r];
		}
	}
}

int rl_rule_quality(const rl_evidence *ev, const uint8_t *use_seed,
		    double *quality)
{
	uint64_t *hits = malloc((ev->n_rules + 1) * sizeof *hits);
	uint64_t *right = malloc((ev->n_rules + 1) * sizeof *right);
	if (!hits || !right) {
		free(hits);
		free(right);
		return RL_ENOMEM;
	}
	rl_rule_seed_counts(ev, use_seed, hits, right);
	for (uint32_t r = 0; r < ev->n_rules; r++)
		quality[r] = ((double)right[r] + 1) / ((double)hits[r] + 2);
	free(hits);
	free(right);
	return RL_OK;
}

void rl_wilson(uint64_t c, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p = (double)c / (double)n, nn = (double)n;
	double den = 1 + z * z / nn;
	double mid = (p + z * z / (2 * nn)) / den;
	double half = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) /
		      den;
	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
}

void rl_rule_votes(const rl_evidence *ev, uint32_t i, const double *quality,
		   double strength, double *y)
{
	uint32_t L = ev->L;
	for (uint64_t p = ev->hit_ptr[i]; p < ev->hit_ptr[i + 1]; p++) {
		uint32_t r = ev->hit_rule[p];
		double v = strength * ev->rule_weight[r] *
			   (quality ? quality[r] : 1);
		if (!ev->rule_negate[r]) {
			y[ev->rule_label[r]] += v;
		} else if (L > 1) {
			for (uint32_t l = 0; l < L; l++)
				if (l != ev->rule_label[r])
					y[l] += v / (L - 1);
		}
	}
}

/* In a multi-label store a review may carry both labels, so only a rule
 * for a label and one against it disagree. */
static int disagree(const rl_evidence *ev, uint32_t a, uint32_t b)
{
	int same = ev->rule_label[a] == ev->rule_label[b];
	if (!ev->rule_negate[a] && !ev->rule_negate[b])
		return !same && !ev->multi;
	return ev->rule_negate[a] != ev->rule_negate[b] && same;
}

void rl_rule_overlaps(const rl_evidence *ev, uint64_t *hits,
		      uint64_t *overlaps, uint64_t *conflicts,
		      uint64_t *overlap, uint64_t *conflict,
		      uint64_t *covered, uint64_t *conflicted)
{
	size_t n = ev->n_rules;
	memset(hits, 0, n * sizeof *hits);
	memset(overlaps, 0, n * sizeof *overlaps);
	memset(conflicts, 0, n * sizeof *conflicts);
	memset(overlap, 0, n * n * sizeof *overlap);
	memset(conflict, 0, n * n * sizeof *conflict);
	*covered = *conflicted = 0;
	for (uint32_t i = 0; i < ev->n; i++) {
		uint64_t lo = ev->hit_ptr[i], hi = ev->hit_ptr[i + 1];
		int any_conflict = 0;
		if (lo == hi)
			continue;
		(*covered)++;
		for (uint64_t a = lo; a < hi; a++) {
			uint32_t r = ev->hit_rule[a];
			int overlapped = 0, conflicted_r = 0;
			hits[r]++;
			for (uint64_t b = lo; b < hi; b++) {
				uint32_t q = ev->hit_rule[b];
				if (q == r)
					continue;
				overlapped = 1;
				overlap[r * n + q]++;
				if (disagree(ev, r, q)) {
					conflicted_r = 1;
					conflict[r * n + q]++;
				}
			}
			overlaps[r] += (uint64_t)overlapped;
			conflicts[r] += (uint64_t)conflicted_r;
			any_conflict |= conflicted_r;
		}
		*conflicted += (uint64_t)any_conflict;
	}
}
