/*
 * stage_propagate.c - the propagate stage: neighbours, seeds, rule hits
 * -> label_scores, assignments.
 *
 * The evidence is loaded by stage.c, spread by propagate.c (whose comment
 * says how hand labels, rule votes and cluster-named labels count), and
 * each review's scores and label written back here: a review with a hand
 * label keeps it (source 'seed'), one with a cluster-named label keeps
 * that (source 'cluster'), the others take propagation's best unless it
 * is below min_confidence or nothing reached them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

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

/* What becomes of review i, whose distribution is p: it keeps its
 * cluster-named label (TALLY_CLUSTER), nothing reached it or it is too
 * unsure (TALLY_ABSTAIN), or it takes its hand label or p's best
 * (TALLY_LABEL). Counted in st, as the stage reports it. */
enum { TALLY_ABSTAIN, TALLY_CLUSTER, TALLY_LABEL };
static int tally_row(const rl_evidence *ev, uint32_t i, const double *p,
		     const rl_propagate_opts *o, rl_propagate_stats *st,
		     uint32_t *best_out, double *margin_out)
{
	uint32_t L = ev->L, best = 0, second = UINT32_MAX;
	for (uint32_t l = 1; l < L; l++)
		if (p[l] > p[best])
			best = l;
	for (uint32_t l = 0; l < L; l++)
		if (l != best && (second == UINT32_MAX || p[l] > p[second]))
			second = l;
	double conf = p[best];
	*best_out = best;
	*margin_out = conf - (second == UINT32_MAX ? 0 : p[second]);
	int is_seed = ev->seed[i] >= 0;
	if (!is_seed && ev->cseed[i] >= 0) {
		st->labelled++;
		return TALLY_CLUSTER;
	}
	if (!is_seed && (conf <= 0 || conf < o->min_confidence)) {
		st->abstained++;
		return TALLY_ABSTAIN;
	}
	if (!is_seed && ev->hit_ptr[i + 1] > ev->hit_ptr[i])
		st->rule_only++;
	st->labelled++;
	return TALLY_LABEL;
}

void rl_propagate_tally(const rl_evidence *ev, const double *P,
			const rl_propagate_opts *o, uint32_t iterations,
			rl_propagate_stats *st)
{
	memset(st, 0, sizeof *st);
	st->reviews = ev->n;
	st->seeds = ev->n_seeds;
	st->cluster_seeds = ev->n_cseeds;
	st->iterations = iterations;
	for (uint32_t i = 0; i < ev->n; i++) {
		uint32_t best;
		double margin;
		tally_row(ev, i, P + (size_t)i * ev->L, o, st, &best, &margin);
	}
}

/* Writes scores and assignments of every review, stepping tick. */
static int save(rl_db *db, const rl_evidence *ev, const double *P,
		const rl_propagate_opts *o, int64_t run_id,
		rl_propagate_stats *st, rl_tick *tick)
{
	uint32_t L = ev->L;
	rl_buf evid = { 0 };
	uint8_t *on = malloc((size_t)L + 1);
	if (!on)
		return RL_ENOMEM;
	int rc = rl_store_scores_clear(db);
	for (uint32_t i = 0; i < ev->n && rc == RL_OK; i++) {
		const double *p = P + (size_t)i * L;
		if ((i & 1023) == 1023 &&
		    (rc = rl_tick_step(tick, i, ev->n)) != RL_OK)
			goto out;
		for (uint32_t l = 0; l < L; l++)
			if (p[l] > 0 && (rc = rl_store_score_put(db,
					ev->review_ids[i], ev->label_ids[l],
					p[l])) != RL_OK)
				goto out;
		uint32_t best;
		double margin;
		int is_seed = ev->seed[i] >= 0;
		int fate = tally_row(ev, i, p, o, st, &best, &margin);
		if (fate == TALLY_CLUSTER) {
			/* A named cluster's label stands, as it was written
			 * (the store keeps the existing row). */
			rc = rl_store_assignment_put(db, ev->review_ids[i],
					ev->label_ids[ev->cseed[i]], 1, 1,
					"cluster", "{\"cluster\":true}",
					run_id);
			if (rc != RL_OK)
				goto out;
			continue;
		}
		if (fate == TALLY_ABSTAIN)
			continue;
		double conf = p[best];
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
		if (ev->multi) {
			/* Every hand label, or every label propagation
			 * gives (0.5 each: thresholds are chosen by run's
			 * cross-validation, which this stage does not do). */
			if (is_seed)
				memcpy(on, ev->Y + (size_t)i * L, L);
			else
				rl_decide_multi(p, L, NULL, on);
			for (uint32_t l = 0; l < L && rc == RL_OK; l++)
				if (on[l])
					rc = rl_store_assignment_put(db,
						ev->review_ids[i],
						ev->label_ids[l],
						is_seed ? 1.0 : p[l],
						is_seed ? 1.0 : p[l] - 0.5,
						is_seed ? "seed"
						: "propagation", evid.data,
						run_id);
			continue;
		}
		rc = rl_store_assignment_put(db, ev->review_ids[i],
					     ev->label_ids[is_seed
						? (uint32_t)ev->seed[i] : best],
					     is_seed ? 1.0 : conf,
					     is_seed ? 1.0 : margin,
					     is_seed ? "seed" : "propagation",
					     evid.data, run_id);
	}
out:
	rl_buf_free(&evid);
	free(on);
	return rc;
}

int rl_propagate(rl_db *db, const rl_propagate_opts *o,
		 rl_propagate_stats *st)
{
	rl_propagate_opts defaults, use;
	if (!o) {
		rl_propagate_opts_init(&defaults);
		o = &defaults;
	}
	rl_propagate_stats s = { 0 };
	rl_evidence ev;
	rl_buf params = { 0 };
	rl_stage stg;
	rl_tick tick;
	double *P = NULL;
	char counts[256] = "{}";
	int rc;
	rl_tick_init(&tick, o->progress, o->ctx, "propagate");
	memset(&ev, 0, sizeof ev);
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
	/* Every id written is the evidence's, loaded under this stage's
	 * write lock, and nothing written here cascades: the foreign-key
	 * lookups are off. */
	if ((rc = rl_stage_begin_derived(db, "propagate", params.data,
					 &stg)) != RL_OK)
		goto out;
	if ((rc = rl_propagate_prepare(db, o, &use)) != RL_OK ||
	    (rc = rl_evidence_load(db, &ev, (uint32_t)use.neighbours)) !=
	    RL_OK)
		goto end;
	if (ev.n_seeds == 0 && ev.n_cseeds == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_HAND_LABELS,
				  "no hand labels (or named clusters) to "
				  "propagate");
		goto end;
	}
	P = malloc(((size_t)ev.n * ev.L + 1) * sizeof *P);
	if (!P) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto end;
	}
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "propagate", 0,
				   ev.n)) != RL_OK)
		goto end;
	if ((rc = rl_propagate_run(&ev, NULL, &use, P, &s.iterations,
				   &tick)) != RL_OK)
		goto end;
	s.reviews = ev.n;
	s.seeds = ev.n_seeds;
	s.cluster_seeds = ev.n_cseeds;
	if ((rc = save(db, &ev, P, o, stg.run_id, &s, &tick)) != RL_OK)
		goto end;
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"seeds\":%llu,\"cluster_seeds\":%llu,"
		 "\"labelled\":%llu,\"abstained\":%llu,\"iterations\":%u}",
		 (unsigned long long)s.reviews, (unsigned long long)s.seeds,
		 (unsigned long long)s.cluster_seeds,
		 (unsigned long long)s.labelled,
		 (unsigned long long)s.abstained, s.iterations);
end:
	rc = rl_stage_end(db, &stg, rc, counts);
	if (rc == RL_OK && st)
		*st = s;
out:
	rl_evidence_free(&ev);
	free(P);
	rl_buf_free(&params);
	return rc;
}

