/*
 * evidence.h - everything propagation works from, loaded once from the
 * store into flat arrays: the normalised graph, the hand labels, the
 * rules and their hits. Shared by the propagate stage and evaluation,
 * which runs propagation again with some hand labels hidden.
 */
#ifndef RL_EVIDENCE_H
#define RL_EVIDENCE_H

#include "internal.h"
#include "kernels.h"

typedef struct rl_evidence {
	uint32_t n, L;
	uint32_t k;		/* neighbours per review in S's source */
	int64_t *review_ids;	/* [n], ascending: row i is this review */
	int64_t *label_ids;	/* [L], ascending */
	char **label_names;	/* [L] */
	rl_sgraph S;
	int32_t *seed;		/* [n] label index of the hand label, -1 */
	uint64_t n_seeds;
	/* [n] label index of a cluster-named label, -1; only on rows
	 * without a hand label. Evidence everywhere, gold nowhere: never
	 * held out, scored or used to measure rule precision. */
	int32_t *cseed;
	uint64_t n_cseeds;
	/* rules */
	uint32_t n_rules;
	int64_t *rule_ids;	/* [n_rules] */
	uint32_t *rule_label;	/* [n_rules] label index */
	uint8_t *rule_negate;
	double *rule_weight;
	/* hits by review: rules of row i are hit_rule[hit_ptr[i] ..
	 * hit_ptr[i+1]) */
	uint64_t *hit_ptr;
	uint32_t *hit_rule;
	/* the class shares labelling last used were uniform (what
	 * class_prior "auto" means outside `run`) */
	int uniform_prior;
} rl_evidence;

/* The blend of a model's (Pm) and propagation's (Pp) label distributions
 * [n][L] into P: per row, each one's log-probabilities (centred), divided
 * by their mean absolute value over the rows that are not hand labels in
 * use (use_seed NULL: all hand labels), summed and turned back into a
 * distribution (a product of experts, neither winning by being
 * overconfident). A row one abstains on (all zero) keeps the other's; a
 * row both abstain on stays zero. g needs 2 L doubles. */
void rl_blend(const rl_evidence *ev, const uint8_t *use_seed,
	      const double *Pm, const double *Pp, double *P, double *g);

/* Loads the evidence with the k nearest stored neighbours of each review
 * (all stored when k is 0 or more than the graph has); RL_EEMPTY without
 * a neighbour graph. */
int rl_evidence_load(rl_db *db, rl_evidence *ev, uint32_t k);
void rl_evidence_free(rl_evidence *ev);

/* RL_EINVAL, with the error set, for a rule_vote or class_prior that
 * propagation does not know; every caller of rl_propagate_run checks. */
int rl_propagate_check(rl_db *db, const rl_propagate_opts *o);

/* Label spreading with the hand labels of rows where use_seed[i] is set
 * (all when NULL): rule qualities are measured on those rows only, so a
 * hidden hand label influences nothing. Cluster-named labels always add
 * o->cluster_strength to their row's evidence, unclamped. P gets [n][L]
 * label distributions (all-zero rows abstained); iters the iterations. */
int rl_propagate_run(const rl_evidence *ev, const uint8_t *use_seed,
		     const rl_propagate_opts *o, double *P,
		     uint32_t *iters);

/* Each rule's smoothed precision (right + 1) / (matched + 2) on the hand
 * labels of rows where use_seed is set (all when NULL), into quality
 * [n_rules]: the one place rule quality is estimated, so evaluation can
 * hide held-out seeds from it. */
int rl_rule_quality(const rl_evidence *ev, const uint8_t *use_seed,
		    double *quality);

/* Adds row i's rule votes to y [L], each strength * weight * quality
 * (quality NULL: 1, a plain majority vote); a `!label` vote is spread over
 * the other labels. */
void rl_rule_votes(const rl_evidence *ev, uint32_t i, const double *quality,
		   double strength, double *y);

/* The classifier's features of every evidence row: TF-IDF columns, then
 * the LSA columns (n_features + c). */
int rl_features_load(rl_db *db, const rl_evidence *ev, rl_csr *X);

/* Out-of-fold predictions of the cross-validation: for every hand-labelled
 * row i of ev, P[m][i*L ..] is what method m predicted for it in the fold
 * that hid it (untempered; zero rows abstained or are not seeds). */
typedef struct rl_oof {
	rl_evidence ev;
	double *P[RL_METHOD_COUNT];	/* [n][L] each */
} rl_oof;

/* rl_eval, also handing back the out-of-fold predictions in *oof (NULL:
 * not wanted), which the caller frees with rl_oof_free, on success only;
 * on failure *oof is empty. */
int rl_eval_oof(rl_db *db, const rl_eval_opts *o, rl_eval_report **out,
		rl_oof *oof);
void rl_oof_free(rl_oof *oof);

/* p [L] <- softmax(log p / t): temperature scaling of a distribution. */
void rl_temper(double *p, uint32_t L, double t);

#endif /* RL_EVIDENCE_H */
