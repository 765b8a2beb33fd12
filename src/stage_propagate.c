/*
 * stage_propagate.c - the propagate stage: neighbours, seeds, rule hits
 * -> label_scores, assignments.
 *
 * Evidence per review (the Y of label spreading): a hand label is a
 * clamped one-hot row; each rule that matches a review adds
 * rule_strength * weight * quality to its label (a `!label` rule spreads
 * that over the other labels), where quality is the rule's smoothed
 * precision on the hand labels in use ((correct + 1) / (matched + 2)), or
 * 1 with rule_vote=majority. A rule vote never overrides a hand label:
 * hand-labelled rows are clamped. A cluster-named label (`revlab
 * clusters name`) adds cluster_strength to its label, unclamped: in the
 * scores the graph may outweigh it, as it was named wholesale with its
 * cluster, but the review's own label stays the named one (source
 * 'cluster').
 */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "store.h"

void rl_evidence_free(rl_evidence *ev)
{
	if (!ev)
		return;
	free(ev->review_ids);
	free(ev->label_ids);
	for (uint32_t l = 0; ev->label_names && l < ev->L; l++)
		free(ev->label_names[l]);
	free(ev->label_names);
	rl_sgraph_free(&ev->S);
	free(ev->seed);
	free(ev->cseed);
	free(ev->rule_ids);
	free(ev->rule_label);
	free(ev->rule_negate);
	free(ev->rule_weight);
	free(ev->hit_ptr);
	free(ev->hit_rule);
	memset(ev, 0, sizeof *ev);
}

static uint32_t label_index(const rl_evidence *ev, int64_t id)
{
	for (uint32_t l = 0; l < ev->L; l++)
		if (ev->label_ids[l] == id)
			return l;
	return UINT32_MAX;
}

static int on_label(void *ctx, int64_t id, const char *name)
{
	rl_evidence *ev = ctx;
	uint32_t L = ev->L + 1;
	int64_t *ids = realloc(ev->label_ids, L * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	ev->label_ids = ids;
	char **names = realloc(ev->label_names, L * sizeof *names);
	if (!names)
		return RL_ENOMEM;
	ev->label_names = names;
	names[ev->L] = strdup(name ? name : "");
	if (!names[ev->L])
		return RL_ENOMEM;
	ids[ev->L] = id;
	ev->L = L;
	return RL_OK;
}

static int on_seed(void *ctx, int64_t review, int64_t label)
{
	rl_evidence *ev = ctx;
	int64_t row = rl_find_id(ev->review_ids, ev->n, review);
	uint32_t l = label_index(ev, label);
	if (row < 0 || l == UINT32_MAX)
		return RL_OK;
	if (ev->seed[row] < 0)
		ev->n_seeds++;
	ev->seed[row] = (int32_t)l;
	return RL_OK;
}

static int on_cluster_seed(void *ctx, int64_t review, int64_t label)
{
	rl_evidence *ev = ctx;
	int64_t row = rl_find_id(ev->review_ids, ev->n, review);
	uint32_t l = label_index(ev, label);
	/* The store leaves out reviews with a hand label. */
	if (row < 0 || l == UINT32_MAX || ev->seed[row] >= 0)
		return RL_OK;
	if (ev->cseed[row] < 0)
		ev->n_cseeds++;
	ev->cseed[row] = (int32_t)l;
	return RL_OK;
}

static int on_rule(void *ctx, const rl_rule_row *r)
{
	rl_evidence *ev = ctx;
	uint32_t m = ev->n_rules + 1;
	int64_t *ids = realloc(ev->rule_ids, m * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	ev->rule_ids = ids;
	uint32_t *lab = realloc(ev->rule_label, m * sizeof *lab);
	if (!lab)
		return RL_ENOMEM;
	ev->rule_label = lab;
	uint8_t *neg = realloc(ev->rule_negate, m * sizeof *neg);
	if (!neg)
		return RL_ENOMEM;
	ev->rule_negate = neg;
	double *w = realloc(ev->rule_weight, m * sizeof *w);
	if (!w)
		return RL_ENOMEM;
	ev->rule_weight = w;
	ids[ev->n_rules] = r->id;
	lab[ev->n_rules] = label_index(ev, r->label_id);
	neg[ev->n_rules] = (uint8_t)r->negate;
	w[ev->n_rules] = r->weight;
	ev->n_rules = m;
	return RL_OK;
}

typedef struct hit_fill {
	rl_evidence *ev;
	int count;		/* first pass counts, second places */
	uint64_t *at;
} hit_fill;

static int on_hit(void *ctx, int64_t review, int64_t rule)
{
	hit_fill *h = ctx;
	rl_evidence *ev = h->ev;
	int64_t row = rl_find_id(ev->review_ids, ev->n, review);
	uint32_t r = 0;
	while (r < ev->n_rules && ev->rule_ids[r] != rule)
		r++;
	if (row < 0 || r == ev->n_rules || ev->rule_label[r] == UINT32_MAX)
		return RL_OK;
	if (h->count)
		ev->hit_ptr[row + 1]++;
	else
		ev->hit_rule[h->at[row]++] = r;
	return RL_OK;
}

int rl_propagate_check(rl_db *db, const rl_propagate_opts *o)
{
	if (!o->rule_vote || (strcmp(o->rule_vote, "weighted") &&
			      strcmp(o->rule_vote, "majority")))
		return rl_fail(db, RL_EINVAL, "rule_vote is weighted or "
			       "majority, not '%s'", o->rule_vote ? o->rule_vote
								  : "");
	if (!o->class_prior || (strcmp(o->class_prior, "seeds") &&
				strcmp(o->class_prior, "uniform") &&
				strcmp(o->class_prior, "auto")))
		return rl_fail(db, RL_EINVAL, "class_prior is seeds, uniform "
			       "or auto, not '%s'", o->class_prior ?
			       o->class_prior : "");
	return RL_OK;
}

int rl_neighbour_choices(rl_db *db, uint32_t *ks, size_t max, size_t *n)
{
	uint64_t k_stored = 0;
	*n = 0;
	rl_clear_error(db);
	int rc = rl_store_max_rank(db, &k_stored);
	if (rc != RL_OK)
		return rc;
	if (k_stored > 0 && *n < max)
		ks[(*n)++] = (uint32_t)k_stored;
	for (uint64_t k = 5; k < k_stored && *n < max; k *= 2)
		ks[(*n)++] = (uint32_t)k;
	return RL_OK;
}

int rl_evidence_load(rl_db *db, rl_evidence *ev, uint32_t k_use)
{
	int32_t *nbr = NULL;
	float *sim = NULL;
	uint64_t k = 0, found = 0;
	hit_fill h = { .ev = ev };
	int rc;
	memset(ev, 0, sizeof *ev);
	if ((rc = rl_store_max_rank(db, &k)) != RL_OK)
		return rc;
	/* Without a count of its own, the one labelling used last; the
	 * same for the class shares. */
	rl_buf b = { 0 };
	if (k_use == 0) {
		rc = rl_store_setting_get(db, RL_NEIGHBOURS_KEY, &b);
		if (rc == RL_OK)
			k_use = (uint32_t)strtoul(b.data, NULL, 10);
		if (rc != RL_OK && rc != RL_ENOTFOUND) {
			rl_buf_free(&b);
			return rc;
		}
	}
	rc = rl_store_setting_get(db, RL_CLASS_PRIOR_KEY, &b);
	if (rc == RL_OK)
		ev->uniform_prior = !strcmp(b.data, "uniform");
	rl_buf_free(&b);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		return rc;
	/* Ranks run from the nearest, so the first k_use are its nearest
	 * k_use. */
	if (k_use > 0 && k_use < k)
		k = k_use;
	ev->k = (uint32_t)k;
	if ((rc = rl_store_review_ids(db, &ev->review_ids, &ev->n)) != RL_OK)
		goto fail;
	if (k == 0 || ev->n == 0) {
		rc = rl_fail(db, RL_EEMPTY, "no neighbour graph; run `revlab "
			     "graph` (or `revlab run`) first");
		goto fail;
	}
	rc = RL_ENOMEM;
	nbr = malloc((size_t)ev->n * k * sizeof *nbr);
	sim = malloc((size_t)ev->n * k * sizeof *sim);
	ev->seed = malloc((size_t)ev->n * sizeof *ev->seed);
	ev->cseed = malloc((size_t)ev->n * sizeof *ev->cseed);
	ev->hit_ptr = calloc((size_t)ev->n + 1, sizeof *ev->hit_ptr);
	if (!nbr || !sim || !ev->seed || !ev->cseed || !ev->hit_ptr)
		goto fail;
	for (uint32_t i = 0; i < ev->n; i++)
		ev->seed[i] = ev->cseed[i] = -1;
	if ((rc = rl_store_neighbours_load(db, ev->review_ids, ev->n,
					   (uint32_t)k, nbr, sim, &found)) !=
	    RL_OK)
		goto fail;
	if ((rc = rl_graph_normalize(ev->n, (uint32_t)k, nbr, sim, &ev->S)) !=
	    RL_OK)
		goto fail;
	if ((rc = rl_store_labels_each(db, on_label, ev)) != RL_OK ||
	    (rc = rl_store_seeds_each(db, on_seed, ev)) != RL_OK ||
	    (rc = rl_store_cluster_seeds_each(db, on_cluster_seed, ev)) !=
	    RL_OK ||
	    (rc = rl_store_rules_each(db, on_rule, ev)) != RL_OK)
		goto fail;
	/* Hits in CSR by review: count, prefix sums, place. */
	h.count = 1;
	if ((rc = rl_store_hits_each(db, on_hit, &h)) != RL_OK)
		goto fail;
	for (uint32_t i = 0; i < ev->n; i++)
		ev->hit_ptr[i + 1] += ev->hit_ptr[i];
	rc = RL_ENOMEM;
	ev->hit_rule = malloc((ev->hit_ptr[ev->n] + 1) * sizeof *ev->hit_rule);
	h.at = malloc(((size_t)ev->n + 1) * sizeof *h.at);
	if (!ev->hit_rule || !h.at)
		goto fail;
	memcpy(h.at, ev->hit_ptr, ((size_t)ev->n + 1) * sizeof *h.at);
	h.count = 0;
	if ((rc = rl_store_hits_each(db, on_hit, &h)) != RL_OK)
		goto fail;
	rc = RL_OK;
	goto out;
fail:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_evidence_free(ev);
out:
	free(nbr);
	free(sim);
	free(h.at);
	return rc;
}

int rl_rule_quality(const rl_evidence *ev, const uint8_t *use_seed,
		    double *quality)
{
	uint64_t *hits = calloc(ev->n_rules + 1, sizeof *hits);
	uint64_t *right = calloc(ev->n_rules + 1, sizeof *right);
	if (!hits || !right) {
		free(hits);
		free(right);
		return RL_ENOMEM;
	}
	for (uint32_t i = 0; i < ev->n; i++) {
		int32_t s = ev->seed[i];
		if (s < 0 || (use_seed && !use_seed[i]))
			continue;
		for (uint64_t p = ev->hit_ptr[i]; p < ev->hit_ptr[i + 1]; p++) {
			uint32_t r = ev->hit_rule[p];
			hits[r]++;
			right[r] += ((uint32_t)s == ev->rule_label[r]) !=
				    ev->rule_negate[r];
		}
	}
	for (uint32_t r = 0; r < ev->n_rules; r++)
		quality[r] = ((double)right[r] + 1) / ((double)hits[r] + 2);
	free(hits);
	free(right);
	return RL_OK;
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

int rl_propagate_run(const rl_evidence *ev, const uint8_t *use_seed,
		     const rl_propagate_opts *o, double *P, uint32_t *iters)
{
	uint32_t n = ev->n, L = ev->L;
	double *Y = calloc((size_t)n * L + 1, sizeof *Y);
	uint8_t *clamp = calloc((size_t)n + 1, 1);
	double *quality = malloc((ev->n_rules + 1) * sizeof *quality);
	double *prior = calloc((size_t)L + 1, sizeof *prior);
	int rc = RL_ENOMEM;
	if (!Y || !clamp || !quality || !prior)
		goto out;
	int majority = o->rule_vote && !strcmp(o->rule_vote, "majority");
	int uniform = o->class_prior && (!strcmp(o->class_prior, "uniform") ||
					 (!strcmp(o->class_prior, "auto") &&
					  ev->uniform_prior));
	/* Rule quality and class shares on the hand labels in use. */
	if (!majority && (rc = rl_rule_quality(ev, use_seed, quality)) !=
	    RL_OK)
		goto out;
	double n_used = 0;
	for (uint32_t i = 0; i < n; i++) {
		int32_t s = ev->seed[i];
		if (s < 0 || (use_seed && !use_seed[i]))
			continue;
		prior[s] += 1;
		n_used += 1;
	}
	/* Cluster-named labels shape the class shares too: for a corpus
	 * labelled only by naming clusters they are all there is. */
	for (uint32_t i = 0; i < n; i++)
		if (ev->cseed[i] >= 0) {
			prior[ev->cseed[i]] += 1;
			n_used += 1;
		}
	for (uint32_t l = 0; l < L; l++)
		prior[l] = uniform || n_used == 0 ? 1.0 / L : prior[l] / n_used;

	for (uint32_t i = 0; i < n; i++) {
		double *y = Y + (size_t)i * L;
		int32_t s = ev->seed[i];
		if (s >= 0 && (!use_seed || use_seed[i])) {
			y[s] = 1;
			clamp[i] = 1;
			continue;
		}
		rl_rule_votes(ev, i, majority ? NULL : quality,
			      o->rule_strength, y);
		if (ev->cseed[i] >= 0)
			y[ev->cseed[i]] += o->cluster_strength;
	}
	if ((rc = rl_spread(&ev->S, L, Y, clamp, o->alpha, o->tol,
			    (uint32_t)o->max_iter, o->threads, P, iters)) !=
	    RL_OK)
		goto out;
	if ((rc = rl_class_mass_normalize(n, L, clamp, prior, P)) != RL_OK)
		goto out;
	/* Rows to distributions; all-zero rows stay zero (abstain). */
	for (uint32_t i = 0; i < n; i++) {
		double *p = P + (size_t)i * L, s = 0;
		for (uint32_t l = 0; l < L; l++) {
			if (p[l] < 0)
				p[l] = 0;
			s += p[l];
		}
		for (uint32_t l = 0; s > 0 && l < L; l++)
			p[l] /= s;
	}
	rc = RL_OK;
out:
	free(Y);
	free(clamp);
	free(quality);
	free(prior);
	return rc;
}

/* Writes scores and assignments of every review. */
static int save(rl_db *db, const rl_evidence *ev, const double *P,
		const rl_propagate_opts *o, int64_t run_id,
		rl_propagate_stats *st)
{
	uint32_t L = ev->L;
	rl_buf evid = { 0 };
	int rc = rl_store_scores_clear(db);
	for (uint32_t i = 0; i < ev->n && rc == RL_OK; i++) {
		const double *p = P + (size_t)i * L;
		uint32_t best = 0, second = UINT32_MAX;
		for (uint32_t l = 0; l < L; l++) {
			if (p[l] > 0 && (rc = rl_store_score_put(db,
					ev->review_ids[i], ev->label_ids[l],
					p[l])) != RL_OK)
				goto out;
			if (p[l] > p[best])
				best = l;
		}
		for (uint32_t l = 0; l < L; l++)
			if (l != best && (second == UINT32_MAX ||
					  p[l] > p[second]))
				second = l;
		double conf = p[best];
		double margin = conf - (second == UINT32_MAX ? 0 : p[second]);
		int is_seed = ev->seed[i] >= 0;
		if (!is_seed && ev->cseed[i] >= 0) {
			/* A named cluster's label stands, as it was written
			 * (the store keeps the existing row). */
			rc = rl_store_assignment_put(db, ev->review_ids[i],
					ev->label_ids[ev->cseed[i]], 1, 1,
					"cluster", "{\"cluster\":true}",
					run_id);
			if (rc != RL_OK)
				goto out;
			st->labelled++;
			continue;
		}
		if (!is_seed && (conf <= 0 || conf < o->min_confidence)) {
			st->abstained++;
			continue;
		}
		/* Evidence: the review's own rule hits. */
		evid.len = 0;
		rc = rl_buf_append(&evid, "{\"rules\":[", 10);
		for (uint64_t h = ev->hit_ptr[i]; rc == RL_OK &&
		     h < ev->hit_ptr[i + 1]; h++) {
			char num[32];
			int len = snprintf(num, sizeof num, "%s%lld",
					   h > ev->hit_ptr[i] ? "," : "",
					   (long long)ev->rule_ids[
						   ev->hit_rule[h]]);
			rc = rl_buf_append(&evid, num, (size_t)len);
		}
		/* and the neighbours that weigh most on it (up to 3) */
		if (rc == RL_OK)
			rc = rl_buf_append(&evid, "],\"neighbours\":[", 16);
		uint64_t lo = ev->S.indptr[i], hi = ev->S.indptr[i + 1];
		uint64_t taken[3];
		int nt = 0;
		for (int pick = 0; rc == RL_OK && pick < 3; pick++) {
			uint64_t best_p = hi;
			for (uint64_t p = lo; p < hi; p++) {
				int used = 0;
				for (int t = 0; t < nt; t++)
					used |= taken[t] == p;
				if (!used && (best_p == hi ||
					      ev->S.w[p] > ev->S.w[best_p]))
					best_p = p;
			}
			if (best_p == hi)
				break;
			taken[nt++] = best_p;
			char num[32];
			int len = snprintf(num, sizeof num, "%s%lld",
					   pick ? "," : "",
					   (long long)ev->review_ids[
						   ev->S.to[best_p]]);
			rc = rl_buf_append(&evid, num, (size_t)len);
		}
		if (rc == RL_OK)
			rc = rl_buf_append(&evid, "]}", 2);
		if (rc != RL_OK)
			goto out;
		if (!is_seed && ev->hit_ptr[i + 1] > ev->hit_ptr[i])
			st->rule_only++;
		rc = rl_store_assignment_put(db, ev->review_ids[i],
					     ev->label_ids[is_seed
						? (uint32_t)ev->seed[i] : best],
					     is_seed ? 1.0 : conf,
					     is_seed ? 1.0 : margin,
					     is_seed ? "seed" : "propagation",
					     evid.data, run_id);
		st->labelled++;
	}
out:
	rl_buf_free(&evid);
	return rc;
}

int rl_propagate(rl_db *db, const rl_propagate_opts *o,
		 rl_propagate_stats *st)
{
	rl_propagate_opts defaults;
	if (!o) {
		rl_propagate_opts_init(&defaults);
		o = &defaults;
	}
	rl_propagate_stats s = { 0 };
	rl_evidence ev;
	rl_buf params = { 0 };
	double *P = NULL;
	int64_t run_id = 0;
	double t0 = rl_now();
	int rc;
	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if ((rc = rl_propagate_check(db, o)) != RL_OK)
		return rc;
	if ((rc = rl_params_json(rl_propagate_params, rl_propagate_nparams, o,
				 &params)) != RL_OK) {
		rl_buf_free(&params);
		return rl_fail(db, rc, "out of memory");
	}
	if ((rc = rl_store_begin(db)) != RL_OK)
		goto out_nobegin;
	if ((rc = rl_store_run_start(db, "propagate", params.data,
				     &run_id)) != RL_OK ||
	    (rc = rl_evidence_load(db, &ev, (uint32_t)o->neighbours)) !=
	    RL_OK)
		goto fail_noev;
	if (ev.n_seeds == 0 && ev.n_cseeds == 0) {
		rc = rl_fail(db, RL_EEMPTY, "no hand labels to propagate; add "
			     "some with `revlab seed` or `revlab label`, or "
			     "name clusters with `revlab clusters name`");
		goto fail;
	}
	P = malloc(((size_t)ev.n * ev.L + 1) * sizeof *P);
	if (!P) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto fail;
	}
	if (o->progress)
		o->progress(o->ctx, "propagate", 0, ev.n);
	if ((rc = rl_propagate_run(&ev, NULL, o, P, &s.iterations)) !=
	    RL_OK)
		goto fail;
	s.reviews = ev.n;
	s.seeds = ev.n_seeds;
	s.cluster_seeds = ev.n_cseeds;
	if ((rc = save(db, &ev, P, o, run_id, &s)) != RL_OK)
		goto fail;
	char counts[256];
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"seeds\":%llu,\"cluster_seeds\":%llu,"
		 "\"labelled\":%llu,\"abstained\":%llu,\"iterations\":%u}",
		 (unsigned long long)s.reviews, (unsigned long long)s.seeds,
		 (unsigned long long)s.cluster_seeds,
		 (unsigned long long)s.labelled,
		 (unsigned long long)s.abstained, s.iterations);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK || (rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	if (st)
		*st = s;
	rl_evidence_free(&ev);
	goto out;
fail:
	rl_evidence_free(&ev);
fail_noev:
	rl_store_rollback(db);
out_nobegin:
out:
	free(P);
	rl_buf_free(&params);
	return rc;
}
