/*
 * evidence.h - everything propagation and training work from, as flat
 * arrays: the normalised graph, the hand labels, the cluster-named
 * labels, the rules and their hits; and the kernels that take it. No
 * SQLite here: the stage layer fills it (rl_evidence_load, stage.h),
 * tests build it by hand.
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
	rl_sgraph S;		/* empty when loaded without the graph */
	int32_t *seed;		/* [n] label index of the hand label, -1 */
	uint64_t n_seeds;
	/* [n] label index of a cluster-named label, -1; only on rows
	 * without a hand label. Evidence everywhere, gold nowhere: never
	 * held out, scored or used to measure rule precision. */
	int32_t *cseed;
	uint64_t n_cseeds;
	/* rules, in line order */
	uint32_t n_rules;
	int64_t *rule_ids;	/* [n_rules] */
	uint32_t *rule_label;	/* [n_rules] label index */
	uint8_t *rule_negate;
	double *rule_weight;
	/* hits by review: rules of row i are hit_rule[hit_ptr[i] ..
	 * hit_ptr[i+1]), by rule id */
	uint64_t *hit_ptr;
	uint32_t *hit_rule;
} rl_evidence;

/* Frees every array and empties ev (propagate.c). */
void rl_evidence_free(rl_evidence *ev);

/* ---- propagation (propagate.c) ---- */

/* Label spreading with the hand labels of rows where use_seed[i] is set
 * (all when NULL): rule qualities and class shares are measured on those
 * rows only, so a hidden hand label influences nothing. Cluster-named
 * labels always add o->cluster_strength to their row's evidence,
 * unclamped. o->class_prior is seeds or uniform (the stage layer turns
 * auto into one of them; here auto is seeds). P gets [n][L] label
 * distributions (all-zero rows abstained); iters the iterations. The
 * spreading steps tick (or NULL; o->progress is the stage's to use) and
 * returns RL_ECANCELED if it stops. */
int rl_propagate_run(const rl_evidence *ev, const uint8_t *use_seed,
		     const rl_propagate_opts *o, double *P,
		     uint32_t *iters, rl_tick *tick);

/* ---- rules as evidence (votes.c) ---- */

/* Per rule, the hand-labelled rows where use_seed is set (all when
 * NULL) that it matches, hits [n_rules], and of those the ones it is
 * right on, right [n_rules]: a rule `label` where the hand label is
 * label, a rule `!label` where it is another. */
void rl_rule_seed_counts(const rl_evidence *ev, const uint8_t *use_seed,
			 uint64_t *hits, uint64_t *right);

/* Each rule's smoothed precision (right + 1) / (hits + 2) on the hand
 * labels of rows where use_seed is set (all when NULL), into quality
 * [n_rules]: the one place rule quality is estimated, so evaluation can
 * hide held-out seeds from it. */
int rl_rule_quality(const rl_evidence *ev, const uint8_t *use_seed,
		    double *quality);

/* The 95% Wilson score interval of c successes in n > 0 trials. */
void rl_wilson(uint64_t c, uint64_t n, double *lo, double *hi);

/* Adds row i's rule votes to y [L], each strength * weight * quality
 * (quality NULL: 1, a plain majority vote); a `!label` vote is spread
 * over the other labels. */
void rl_rule_votes(const rl_evidence *ev, uint32_t i, const double *quality,
		   double strength, double *y);

/* How the rules fire together, per rule r: hits[r] rows matched,
 * overlaps[r] of those matched by another rule too, conflicts[r] of
 * those where another rule votes otherwise; overlap and conflict
 * [n_rules][n_rules] the same per pair; *covered the rows some rule
 * matches, *conflicted those with votes that disagree. Two rules
 * disagree when both vote for different labels, or one votes for and
 * one against the same label. */
void rl_rule_overlaps(const rl_evidence *ev, uint64_t *hits,
		      uint64_t *overlaps, uint64_t *conflicts,
		      uint64_t *overlap, uint64_t *conflict,
		      uint64_t *covered, uint64_t *conflicted);

/* ---- the other ways of labelling (methods.c) ---- */

/* The classifier o->model means: auto is logistic regression. */
rl_classifier rl_classifier_of(const rl_eval_opts *o);

/* Rules alone: each row's votes weighted by the rules' quality on the
 * hand labels in use (use_seed, NULL: all), as a distribution into P
 * [n][L]; rows no rule matches stay zero (abstain). */
int rl_method_rules(const rl_evidence *ev, const uint8_t *use_seed,
		    double *P);

/* The classifier rl_classifier_of(o), trained on X's rows with the
 * propagated distributions Pprop [n][L] as soft targets: every row but
 * the hidden hand labels (use_seed[i] 0), a hand label with weight 1,
 * another row with its top probability, all times balanced class
 * weights. P [n][L] gets its (tempered by o->temperature) prediction of
 * every row; theta, if not NULL, the weights [X->n_cols + 1][L]. */
int rl_method_model(const rl_evidence *ev, const rl_csr *X,
		    const uint8_t *use_seed, const double *Pprop,
		    const rl_eval_opts *o, double *P, double *theta);

/* Baseline: per row, one vote for the label of each rule it matches (a
 * `!label` rule's vote split evenly over the other labels), rule weights
 * and precision ignored, as a distribution into P [n][L]; a row with no
 * match, or with two labels tied for the most votes, stays zero
 * (abstains). Uses no hand label. votes needs L slots. */
void rl_method_majority(const rl_evidence *ev, double *P, uint64_t *votes);

/* Baseline: the classifier rl_classifier_of(o), as rl_method_model, but
 * trained on the hand labels where use_seed is set alone, each a one-hot
 * row of weight 1 (balanced by class, as there): no rule votes, no
 * propagation, no cluster-named labels. P [n][L] gets its prediction of
 * every row. */
int rl_method_seeds(const rl_evidence *ev, const rl_csr *X,
		    const uint8_t *use_seed, const rl_eval_opts *o, double *P);

/* The blend of a model's (Pm) and propagation's (Pp) label distributions
 * [n][L] into P: per row, each one's log-probabilities (centred), divided
 * by their mean absolute value over the rows that are not hand labels in
 * use (use_seed NULL: all hand labels), summed and turned back into a
 * distribution (a product of experts, neither winning by being
 * overconfident). A row one abstains on (all zero) keeps the other's; a
 * row both abstain on stays zero. g needs 2 L doubles. */
void rl_blend(const rl_evidence *ev, const uint8_t *use_seed,
	      const double *Pm, const double *Pp, double *P, double *g);

/* ---- cross-validation (eval.c) ---- */

/* Cross-validates every method and baseline on the hand labels of ev, k
 * = rl_cv_fold_count folds (RL_EEMPTY when too few): in each fold the
 * held-out seeds are hidden from rule quality, propagation, class shares
 * and training, then predicted. X holds the classifier's features of
 * ev's rows; o->prop.class_prior is resolved (not auto). *out gets the
 * report (scores, calibration, the choice), free with
 * rl_eval_report_free; oof, if not NULL, gets in oof[m] [n][L] what
 * method m predicted for each hand-labelled row in the fold that hid it
 * (untempered; other rows are left alone). */
int rl_cv(const rl_evidence *ev, const rl_csr *X, const rl_eval_opts *o,
	  rl_eval_report **out, double *const *oof);

/* The choice from r's scores (methods, seeds): r->top, the candidate
 * with the highest macro-F1, its standard error r->se, and r->best by
 * the one-standard-error rule (see rl_eval_report). Baselines are never
 * top or best, however they score. */
void rl_eval_choose(rl_eval_report *r);

#endif /* RL_EVIDENCE_H */
