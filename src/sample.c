/*
 * sample.c - the part of a large corpus cross-validation works on, so
 * that its cost stops growing with the corpus: every review with a hand
 * label or a cluster-named label, the reviews near them in the graph
 * (through which propagation reaches a held-out hand label), and an even
 * share of the rest (the rows the classifier trains on), up to a cap.
 * Labelling trains its classifier on a sample of the same kind
 * (rl_train_sample), without the neighbourhood: propagation has already
 * reached every review, and the classifier learns best from an even
 * draw. Kernel: evidence in, smaller evidence out.
 *
 * Choices, deliberately:
 * - Half of the room left after the labelled reviews goes to their
 *   neighbourhood, hop by hop (at most three hops: at alpha 0.5 a review
 *   four hops away weighs 1/16 or less), the other half to a uniform
 *   draw by a hash of the review id, so the same store gives the same
 *   sample and a review's membership does not depend on the others.
 * - The graph of the sample keeps the weights of the whole corpus's
 *   normalised graph, dropping edges that leave the sample: propagation
 *   inside the sample is the whole corpus's with what lies outside
 *   silent.
 * - Row order stays the corpus's (ascending review id), so the folds,
 *   drawn from the hand-labelled rows and their ids, are the ones the
 *   whole corpus gives.
 */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

#define HOPS 3

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* keep [n] and *kept: every labelled row, up to `hops` hops of their
 * neighbourhood until half the room left is taken, then the draw of the
 * rest (rl_cv_sample; hops 0: all the room to the draw). */
static int sample(const rl_evidence *ev, uint32_t cap, uint64_t seed,
		  int hops, uint8_t *keep, uint32_t *kept)
{
	uint32_t n = ev->n, c;
	if (cap == 0 || n <= cap) {
		memset(keep, 1, n);
		*kept = n;
		return RL_OK;
	}
	memset(keep, 0, n);
	uint32_t *front = malloc(((size_t)n + 1) * sizeof *front);
	uint32_t *next = malloc(((size_t)n + 1) * sizeof *next);
	if (!front || !next) {
		free(front);
		free(next);
		return RL_ENOMEM;
	}
	uint32_t nf = 0;
	for (uint32_t i = 0; i < n; i++)
		if (ev->seed[i] >= 0 || ev->cseed[i] >= 0) {
			keep[i] = 1;
			front[nf++] = i;
		}
	c = nf;
	uint32_t near = c < cap ? c + (cap - c) / 2 : c;
	for (int hop = 0; hop < hops && c < near && ev->S.indptr; hop++) {
		uint32_t nn = 0;
		for (uint32_t a = 0; a < nf && c < near; a++) {
			uint32_t i = front[a];
			for (uint64_t e = ev->S.indptr[i];
			     e < ev->S.indptr[i + 1] && c < near; e++) {
				uint32_t j = ev->S.to[e];
				if (keep[j])
					continue;
				keep[j] = 1;
				next[nn++] = j;
				c++;
			}
		}
		uint32_t *t = front;
		front = next;
		next = t;
		nf = nn;
	}
	free(front);
	free(next);
	/* The rest by a hash of the id: each left-out row in with the
	 * chance that fills the cap on average. */
	if (c < cap) {
		double p = (double)(cap - c) / (double)(n - c);
		uint64_t cut = p >= 1 ? UINT64_MAX
				      : (uint64_t)(p * 18446744073709551615.0);
		uint64_t salt = mix(seed);
		for (uint32_t i = 0; i < n; i++)
			if (!keep[i] &&
			    mix((uint64_t)ev->review_ids[i] ^ salt) <= cut) {
				keep[i] = 1;
				c++;
			}
	}
	*kept = c;
	return RL_OK;
}

int rl_cv_sample(const rl_evidence *ev, uint32_t cap, uint64_t seed,
		 uint8_t *keep, uint32_t *kept)
{
	return sample(ev, cap, seed, HOPS, keep, kept);
}

int rl_train_sample(const rl_evidence *ev, uint32_t cap, uint64_t seed,
		    uint8_t *keep, uint32_t *kept)
{
	return sample(ev, cap, seed, 0, keep, kept);
}

/* A copy of n items of size sz from src, or NULL (also for n == 0 with a
 * NULL src). */
static void *dup_of(const void *src, size_t n, size_t sz)
{
	void *d = malloc(n * sz + 1);
	if (d && n)
		memcpy(d, src, n * sz);
	return d;
}

int rl_evidence_subset(const rl_evidence *ev, const uint8_t *keep,
		       rl_evidence *out)
{
	uint32_t n = ev->n, L = ev->L, m = 0;
	memset(out, 0, sizeof *out);
	uint32_t *to_new = malloc(((size_t)n + 1) * sizeof *to_new);
	int rc = RL_ENOMEM;
	if (!to_new)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		to_new[i] = keep[i] ? m++ : UINT32_MAX;
	out->n = m;
	out->L = L;
	out->k = ev->k;
	out->multi = ev->multi;
	out->n_rules = ev->n_rules;
	out->review_ids = malloc(((size_t)m + 1) * sizeof *out->review_ids);
	out->seed = malloc(((size_t)m + 1) * sizeof *out->seed);
	out->cseed = malloc(((size_t)m + 1) * sizeof *out->cseed);
	out->hit_ptr = calloc((size_t)m + 1, sizeof *out->hit_ptr);
	out->label_ids = dup_of(ev->label_ids, L, sizeof *ev->label_ids);
	out->label_names = calloc((size_t)L + 1, sizeof *out->label_names);
	out->rule_ids = dup_of(ev->rule_ids, ev->n_rules,
			       sizeof *ev->rule_ids);
	out->rule_label = dup_of(ev->rule_label, ev->n_rules,
				 sizeof *ev->rule_label);
	out->rule_negate = dup_of(ev->rule_negate, ev->n_rules,
				  sizeof *ev->rule_negate);
	out->rule_weight = dup_of(ev->rule_weight, ev->n_rules,
				  sizeof *ev->rule_weight);
	if (!out->review_ids || !out->seed || !out->cseed || !out->hit_ptr ||
	    !out->label_ids || !out->label_names || !out->rule_ids ||
	    !out->rule_label || !out->rule_negate || !out->rule_weight)
		goto out;
	for (uint32_t l = 0; l < L; l++)
		if (!(out->label_names[l] = strdup(ev->label_names[l])))
			goto out;
	if (ev->multi && !(out->Y = malloc((size_t)m * L + 1)))
		goto out;
	uint64_t hits = 0, edges = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		uint32_t a = to_new[i];
		out->review_ids[a] = ev->review_ids[i];
		out->seed[a] = ev->seed[i];
		out->cseed[a] = ev->cseed[i];
		out->n_seeds += ev->seed[i] >= 0;
		out->n_cseeds += ev->cseed[i] >= 0;
		if (ev->multi)
			memcpy(out->Y + (size_t)a * L, ev->Y + (size_t)i * L, L);
		hits += ev->hit_ptr[i + 1] - ev->hit_ptr[i];
		out->hit_ptr[a + 1] = hits;
		for (uint64_t e = ev->S.indptr ? ev->S.indptr[i] : 0;
		     ev->S.indptr && e < ev->S.indptr[i + 1]; e++)
			edges += keep[ev->S.to[e]];
	}
	out->hit_rule = malloc((hits + 1) * sizeof *out->hit_rule);
	if (!out->hit_rule)
		goto out;
	for (uint32_t i = 0, a = 0; i < n; i++)
		if (keep[i]) {
			uint64_t h0 = ev->hit_ptr[i], h1 = ev->hit_ptr[i + 1];
			memcpy(out->hit_rule + out->hit_ptr[a], ev->hit_rule + h0,
			       (h1 - h0) * sizeof *out->hit_rule);
			a++;
		}
	if (ev->S.indptr) {
		rl_sgraph *g = &out->S;
		g->n = m;
		g->indptr = calloc((size_t)m + 1, sizeof *g->indptr);
		g->to = malloc((edges + 1) * sizeof *g->to);
		g->w = malloc((edges + 1) * sizeof *g->w);
		if (!g->indptr || !g->to || !g->w)
			goto out;
		uint64_t at = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!keep[i])
				continue;
			for (uint64_t e = ev->S.indptr[i];
			     e < ev->S.indptr[i + 1]; e++) {
				uint32_t j = ev->S.to[e];
				if (!keep[j])
					continue;
				g->to[at] = to_new[j];
				g->w[at++] = ev->S.w[e];
			}
			g->indptr[to_new[i] + 1] = at;
		}
	}
	rc = RL_OK;
out:
	free(to_new);
	if (rc != RL_OK)
		rl_evidence_free(out);
	return rc;
}
