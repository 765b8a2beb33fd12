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
	/* [n] label index of the hand label, -1. In a multi-label store
	 * (multi) a review's hand labels are the row of Y, and seed[i] is
	 * the rarest of them (folds are stratified by it), -1 for none. */
	int32_t *seed;
	uint64_t n_seeds;	/* reviews with hand labels */
	int multi;		/* a multi-label store */
	uint8_t *Y;		/* multi: [n][L] 1 where row i carries hand
				   label l; NULL in a single-label store */
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

/* ---- the sample cross-validation works on (sample.c) ---- */

/* keep [n]: 1 for the rows cross-validation keeps, *kept of them. All
 * rows when cap is 0 or n <= cap; else every row with a hand or
 * cluster-named label, then their neighbours in ev->S up to three hops
 * until half the room left is taken, then a draw of the rest by a hash
 * of the review id and seed, about cap rows in all (more when the
 * labelled rows alone are more). */
int rl_cv_sample(const rl_evidence *ev, uint32_t cap, uint64_t seed,
		 uint8_t *keep, uint32_t *kept);
/* The rows labelling trains its classifier on, keep [n], *kept of them:
 * all when cap is 0 or n <= cap; else every row with a hand or
 * cluster-named label and a draw of the rest by a hash of the review id
 * and seed (rl_cv_sample's, given all the room left), about cap rows in
 * all (more when the labelled rows alone are more). */
int rl_train_sample(const rl_evidence *ev, uint32_t cap, uint64_t seed,
		    uint8_t *keep, uint32_t *kept);
/* out: the rows of ev where keep is set, in their order, with the graph
 * among them (the weights as they are) and copies of the labels and
 * rules. On failure out is empty. */
int rl_evidence_subset(const rl_evidence *ev, const uint8_t *keep,
		       rl_evidence *out);

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
/* The same (single-label), with warm: P holds on entry an earlier
 * spread [n][L] before normalising, as raw gave it (rows all zero, and
 * the clamped ones, start from their own evidence), which the spreading
 * starts from: the same limit in fewer iterations. raw (or NULL) gets
 * the spread before normalising, [n][L], for the next warm start. */
int rl_propagate_from(const rl_evidence *ev, const uint8_t *use_seed,
		      const rl_propagate_opts *o, int warm, float *raw,
		      double *P, uint32_t *iters, rl_tick *tick);
/* What rl_propagate_from does to a spread P [n][L] of ev after
 * spreading (single-label): class mass normalisation and each row made
 * a distribution. */
int rl_propagate_normalize(const rl_evidence *ev, const uint8_t *use_seed,
			   const rl_propagate_opts *o, double *P);

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

/* Trains rl_classifier_of(o) on X's rows with soft targets T [n][L] and
 * row weights w [n] (rows with w <= 0 left out) into theta
 * [X->n_cols + 1][L], a linear model for rl_logreg_predict. The pool
 * trains logistic regression, naive Bayes and complement NB and sums
 * their weights, each divided by the mean absolute spread of its
 * logits around their mean over labels on up to 4,096 rows spread
 * evenly over X: a scale read from the features alone, no label, so
 * that the three count alike whatever their calibration. RL_ENOMEM, or
 * the classifier's error. */
int rl_train_classifier(const rl_eval_opts *o, const rl_csr *X,
			const float *T, const float *w, uint32_t L,
			double *theta);

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

/* rl_blend in two steps, so that labelling can fit it on a sample and
 * apply it a batch at a time: gain [2] gets the model's and
 * propagation's scales (their mean absolute centred log-probability in a
 * single-label store, mean absolute logit in a multi-label one) over the
 * rows of ev that are not hand labels in use (and, multi-label, do not
 * abstain); rl_blend_rows then blends every row of ev with them, as
 * rl_blend (single-label) and rl_blend_multi do with the scales of their
 * own rows. g needs 2 L doubles. */
void rl_blend_gains(const rl_evidence *ev, const uint8_t *use_seed,
		    const double *Pm, const double *Pp, double *gain,
		    double *g);
void rl_blend_rows(const rl_evidence *ev, const double *gain,
		   const double *Pm, const double *Pp, double *P, double *g);

/* What rl_method_model (rl_model_multi in a multi-label store) predicts
 * for X's rows with the weights theta it trained: P [X->n_rows][L],
 * tempered by o->temperature. ev says only L and multi. */
void rl_method_predict(const rl_evidence *ev, const rl_csr *X,
		       const double *theta, const rl_eval_opts *o, double *P);

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

/* The rows fold f may use, use [n]: every row but the fold's hand
 * labels; with max_per_label > 0 (a learning curve) also at most that
 * many hand labels of each label (seed[i], in `order`, the shuffled
 * hand-labelled rows of rl_cv_folds), the others neither trained on nor
 * scored. taken needs L + 1 slots. */
void rl_cv_fold_use(const rl_evidence *ev, const uint32_t *fold,
		    const uint32_t *order, uint32_t n_order, uint32_t f,
		    int max_per_label, uint32_t *taken, uint8_t *use);

/* The choice from r's scores (methods, seeds): r->top, the candidate
 * with the highest macro-F1, its standard error r->se, and r->best by
 * the one-standard-error rule (see rl_eval_report). Baselines are never
 * top or best, however they score. */
void rl_eval_choose(rl_eval_report *r);

/* ---- multi-label stores (multi.c) ----
 *
 * In a multi-label store every way of labelling gives each (row, label)
 * an independent probability, P [n][L] (not a distribution: a row may
 * have several labels near 1); an all-zero row abstains. The functions
 * above turn to these when ev->multi is set; they share their
 * arguments' meaning. */

/* Whether row i carries hand label l. */
static inline int rl_has_label(const rl_evidence *ev, uint32_t i, uint32_t l)
{
	return ev->multi ? ev->Y[(size_t)i * ev->L + l] != 0
			 : ev->seed[i] == (int32_t)l;
}

/* Label spreading per label, label against its absence: hand labels
 * clamp both (a hand-labelled review without l is evidence against l),
 * rule votes for l and against it (`!l`) are soft evidence, each label's
 * share rescaled to its share among the hand labels in use (uniform:
 * the mean share), and P[i][l] = for / (for + against). */
int rl_propagate_multi(const rl_evidence *ev, const uint8_t *use_seed,
		       const rl_propagate_opts *o, double *P,
		       uint32_t *iters, rl_tick *tick);

/* Rules alone: P[i][l] is the noisy-or of the qualities of the rules for
 * l that match row i, times (1 - quality) of each `!l` rule matching;
 * rows no rule matches abstain. */
int rl_rules_multi(const rl_evidence *ev, const uint8_t *use_seed,
		   double *P);

/* Baseline: a label is on where more of the rules that match vote for
 * it than against it (probability 1), off elsewhere; rows no rule
 * matches abstain. */
void rl_majority_multi(const rl_evidence *ev, double *P);

/* One-vs-rest: the classifier trained per label on targets T [n][L]
 * (the probability of l: 1 or 0 on hand labels in use, propagation's on
 * the rest), row weights as in rl_method_model (a propagated row counts
 * as sure as it is, max(t, 1 - t) averaged over labels; a row with
 * all-zero T and no hand label is left out), balanced per label. theta
 * gets the logit weights [X->n_cols + 1][L] (bias last), P the
 * probabilities sigmoid(logit / o->temperature). */
int rl_model_multi(const rl_evidence *ev, const rl_csr *X,
		   const uint8_t *use_seed, const double *T,
		   const rl_eval_opts *o, double *P, double *theta);

/* The blend per label: each method's logit scaled by its mean absolute
 * logit over the rows that are not hand labels in use, summed. */
void rl_blend_multi(const rl_evidence *ev, const uint8_t *use_seed,
		    const double *Pm, const double *Pp, double *P);

/* The blend's scale of one method's probabilities P [n][L]: their mean
 * absolute logit over the rows that are not hand labels in use (all
 * hand-labelled rows when use_seed is NULL) and do not abstain; 1 when
 * there are none. */
double rl_logit_scale_multi(const rl_evidence *ev, const uint8_t *use_seed,
			    const double *P);

/* One row of the blend, the model's m [L] and propagation's q [L] with
 * their scales sm and sp (rl_logit_scale_multi): sigmoid(logit(m) / sm +
 * logit(q) / sp) per label, a side that abstains (all zero) left out,
 * all zero when both do. */
void rl_blend_row_multi(const double *m, const double *q, uint32_t L,
			double sm, double sp, double *p);

/* The multi-label model's probabilities of row i of X, p [L]: sigmoid of
 * each label's logit (theta [X->n_cols + 1][L], bias last) over the
 * temperature t. */
void rl_predict_row_multi(const rl_csr *X, uint32_t i, const double *theta,
			  uint32_t L, double t, double *p);

/* logit(p) / t through the sigmoid, for every entry of p [m]; zeros
 * (abstentions) stay zero. */
void rl_temper_multi(double *p, size_t m, double t);

/* The decision on one row of probabilities p [L]: on[l] = 1 where p[l]
 * reaches thr[l] (NULL: 0.5); when none does, the likeliest label alone
 * (ties: the lower index); an all-zero row abstains (all off). Returns
 * how many are on. */
uint32_t rl_decide_multi(const double *p, uint32_t L, const double *thr,
			 uint8_t *on);

/* The threshold maximising F1 of m probabilities p with truths y (ties:
 * the one nearest 0.5); 0.5 when no y is 1. With share in (0, 1), the
 * F1 of the rows weighted so that the positives' share is `share` (when
 * there are negatives); otherwise the rows as they are. */
double rl_fit_threshold(const double *p, const uint8_t *y, size_t m,
			double share);

/* The rules beside the classifier, for new reviews as for the corpus:
 * per label, how much more (or less) likely the label is where a rule for
 * it fires, and where none does, than it is at all, on the hand labels in
 * use (smoothed shares; log-odds): llr [L][2], fired then silent, 0 for
 * a label no rule votes for. The model's probability of l becomes
 * sigmoid(logit(p) + w llr[l][state]) (naive Bayes' way of adding
 * evidence, at w = rl_eval_opts.rule_weight, 1). */
int rl_rules_llr(const rl_evidence *ev, const uint8_t *use_seed,
		 double *llr);
/* fired [L]: 1 where a rule for the label matches row i. */
void rl_rules_fired(const rl_evidence *ev, uint32_t i, uint8_t *fired);
/* The mixed logit of one label: z (capped at logit(1 - 1e-6) either
 * way, as the probabilities are) plus w times llr[0] or llr[1]. */
double rl_rules_mix_logit(double z, double w, const double *llr,
			  int fired);
/* P [n][L] from the model's probabilities Pm with the rules mixed in at
 * weight w; rows Pm abstains on stay zero. fired needs L bytes. */
void rl_rules_mix(const rl_evidence *ev, const double *llr, double w,
		  const double *Pm, double *P, uint8_t *fired);

/* The thresholds [L] fold f's answers are decided with: per label, the
 * one rl_fit_threshold picks on the answers A [m][L] (truths G [m][L])
 * of the rows of every other fold (fold [m]), at the label's share
 * share [L] (NULL: unweighted); f = UINT32_MAX: of all rows, the
 * thresholds labelling uses. */
void rl_multi_fold_thresholds(const double *A, const uint8_t *G,
			      const uint32_t *fold, size_t m, uint32_t L,
			      uint32_t f, const double *share, double *thr);

/* rl_cv_fold_count for a multi-label store: a label's hand labels are
 * the reviews that carry it. */
int rl_cv_fold_count_multi(const rl_evidence *ev, uint32_t want,
			   uint32_t *k, uint32_t *min_per_label);

/* rl_cv for a multi-label store (rl_cv calls it). */
int rl_cv_multi(const rl_evidence *ev, const rl_csr *X,
		const rl_eval_opts *o, rl_eval_report **out,
		double *const *oof);

#endif /* RL_EVIDENCE_H */
