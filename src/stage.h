/*
 * stage.h - what the stage layer shares (stage.c): the envelope every
 * stage that writes runs in, the one loader of the evidence and of the
 * classifier's features, and the propagation options with the store's
 * remembered choices filled in. Stage files use these and store.h; the
 * kernels never see either.
 */
#ifndef RL_STAGE_H
#define RL_STAGE_H

#include "evidence.h"

/* ---- the envelope ---- */

/* A stage run in progress: its row in `runs`, when it began, and its
 * name (or NULL). */
typedef struct rl_stage {
	int64_t run_id;		/* 0 when no run is recorded */
	double t0;
	const char *name;
	int derived;		/* foreign-key checks off until the end */
} rl_stage;

/* Begins the stage's transaction and, unless stage is NULL, records its
 * run with the parameters params_json ("{}" for NULL). On failure
 * nothing is left open and the store is unchanged. */
int rl_stage_begin(rl_db *db, const char *stage, const char *params_json,
		   rl_stage *s);

/* rl_stage_begin for a stage whose writes are derived rows keyed by ids
 * it read from `reviews` inside this same transaction (the write lock is
 * taken before it reads), so they cannot name a missing review: the
 * foreign-key checks are off until rl_stage_end, which turns them on
 * again whatever the outcome. At ten million reviews the check on the
 * graph's 100 million neighbour rows is a random lookup each in the
 * reviews table and most of the graph stage's writing time. The stage
 * must not rely on a cascade while they are off. */
int rl_stage_begin_derived(rl_db *db, const char *stage,
			   const char *params_json, rl_stage *s);

/* Ends what rl_stage_begin began: with rc RL_OK, finishes the run with
 * counts_json and its time and commits; otherwise, or if that fails,
 * rolls back, so the store is as it was. Returns the outcome (rc, or the
 * failure to finish), with "out of memory" as the detail of an
 * RL_ENOMEM that has none and "<stage> cancelled" of an RL_ECANCELED
 * that has none (a kernel's, stopped by its tick). */
int rl_stage_end(rl_db *db, rl_stage *s, int rc, const char *counts_json);

/* ---- loading ---- */

/* Loads the evidence with the k nearest stored neighbours of each review
 * (all stored when k is 0 or more than the graph has); RL_EEMPTY without
 * a neighbour graph. On failure ev is empty. */
int rl_evidence_load(rl_db *db, rl_evidence *ev, uint32_t k);
/* While held (rl_graph_hold until rl_graph_release, or the handle's
 * close), rl_evidence_load reads the stored graph once, whole, and
 * builds every later evidence, of any k, from it: `run` holds it over
 * its cross-validations, which each loaded it again (four reads of 100
 * million rows at ten million reviews, for a sample of 100,000), and
 * labelling (rl_label_with, rl_train) lets it go once its own evidence
 * is built. The graph and vectorize stages let it go; a commit by
 * another connection since the read (PRAGMA data_version) makes the
 * next load read the store again, so a held graph is never older than
 * the store. */
int rl_graph_hold(rl_db *db);
void rl_graph_release(rl_db *db);

/* The same without the graph (ev->S empty, ev->k 0), for stages that
 * need only the labels, the hand and cluster-named labels and the rules'
 * hits; works on a store without vectors. */
int rl_evidence_load_no_graph(rl_db *db, rl_evidence *ev);

/* The classifier's features of the reviews ids [n] (ascending): TF-IDF
 * columns, then the LSA columns (n_features + c). Reads only those
 * reviews' vectors. */
int rl_features_load(rl_db *db, const int64_t *ids, uint32_t n, rl_csr *X);
/* The columns rl_features_load gives: *nf TF-IDF features, then *dim LSA
 * ones; with rl_store_features_rows, the features a batch at a time. */
int rl_features_shape(rl_db *db, uint32_t *nf, uint32_t *dim);

/* The counts rl_propagate reports (st, whole) of distributions P [n][L]
 * that spreading over ev gave in `iterations`: what `run` shows of the
 * spreading its labelling did, which writes every review's scores and
 * label anyway, rather than spreading once more before its
 * cross-validation only to count (347 s of the job at ten million
 * reviews). */
void rl_propagate_tally(const rl_evidence *ev, const double *P,
			const rl_propagate_opts *o, uint32_t iterations,
			rl_propagate_stats *st);

/* RL_EINVAL, with the detail set, for a rule_vote or class_prior outside
 * its enum; every stage that propagates checks before it begins. */
int rl_propagate_check(rl_db *db, const rl_propagate_opts *o);
/* The same for a classifier's options, its propagation's included. */
int rl_eval_check(rl_db *db, const rl_eval_opts *o);

/* The classifier a stage trains when given m: m itself, but for auto
 * (and choose, which only `run` acts on) the store's default, the pool in a single-label store and logistic
 * regression in a multi-label one. Decided on the development suite
 * (docs/measurements.md). */
rl_classifier rl_classifier_default(const rl_db *db, rl_classifier m);

/* What a labelling with these options would depend on, as 16 hex digits
 * (out[17]): the store's labelling inputs (rl_store_labelling_inputs),
 * the options' parameters and the library's version. The same digest as
 * the one stored by rl_labelling_digest_save means nothing changed. */
int rl_labelling_digest(rl_db *db, const rl_propagate_opts *prop,
			const rl_eval_opts *train, char *out);
/* Whether `digest` is the one stored, and storing it (its own short
 * transaction: stored after the labelling committed, so a crash between
 * the two only makes the next run redo the work). */
int rl_labelling_digest_same(rl_db *db, const char *digest, int *same);
int rl_labelling_digest_save(rl_db *db, const char *digest);
/* Sets the setting key to value in a transaction of its own. */
int rl_setting_save(rl_db *db, const char *key, const char *value);

/* The propagation options a stage runs with (use may be o): o checked,
 * then what labelling last chose put in for what o leaves open:
 * neighbours 0 becomes the count it used (still 0, all, if none),
 * class_prior auto the class shares it used (seeds if none). */
int rl_propagate_prepare(rl_db *db, const rl_propagate_opts *o,
			 rl_propagate_opts *use);

/* ---- evaluation (stage_eval.c) ---- */

/* The reviews of the corpus cross-validation works on at most (about):
 * past it, the hand-labelled ones, their neighbourhood and a draw of the
 * rest (rl_cv_sample), so that choosing costs about the same at 10^7
 * reviews as at 10^5. Every file of the development suite is smaller. */
#define RL_CV_REVIEWS 100000

/* Labelling (rl_label_with, rl_train) trains its classifier on at most
 * about this many reviews: past it, every hand-labelled review and an
 * even draw of the rest (rl_train_sample). Half a million, as the LSA
 * fit's sample: at 10^6 generated reviews a sample of 100,000 cost 1.6
 * points of accuracy against training on all of them, this one 0.2
 * (docs/measurements.md, "Labelling in bounded memory"). Prediction and the writes go
 * RL_LABEL_BATCH reviews at a time, their features read a batch at a
 * time, so that only propagation's distributions are held for every
 * review. Every file of the development suite is below the cap, and
 * labels as it did before either. */
#define RL_LABEL_TRAIN_REVIEWS 500000
#define RL_LABEL_BATCH 8192

/* rl_label_with (only_model 0) or rl_train (1) with the classifier
 * trained on at most about cap reviews (0: all) and `batch` reviews
 * predicted and written at a time (0: RL_LABEL_BATCH); labelled may be
 * NULL. */
int rl_label_sized(rl_db *db, rl_method m, const rl_eval_opts *o,
		   int only_model, uint32_t cap, uint32_t batch,
		   uint64_t *labelled);
/* rl_label_with, telling what its spreading reached as soon as it is
 * done: spread_fn (unless NULL) gets the counts rl_propagate would
 * report of it (rl_propagate_tally) and its seconds; it is not called
 * when the way labels without spreading (the rules alone). */
typedef void (*rl_spread_fn)(void *ctx, const rl_propagate_stats *st,
			     double seconds);
int rl_label_told(rl_db *db, rl_method m, const rl_eval_opts *o,
		  uint64_t *labelled, rl_spread_fn spread_fn, void *ctx);

/* ---- run's choice, kept for the next run (stage_label.c) ---- */

/* What `run` chose by cross-validation, and what it rests on. */
typedef struct rl_choice {
	char inputs[17];	/* rl_choice_inputs when it was made */
	rl_method method;	/* the way of labelling */
	rl_classifier model;	/* the classifier (never auto or choose) */
	int neighbours;		/* propagation's, as used */
	rl_prior class_prior;	/* as used */
	double temperature;	/* the model's calibration */
	double label_temperature;	/* the way of labelling's */
	uint64_t reviews;	/* the corpus's size then */
	char when[32];		/* UTC, ISO 8601 */
} rl_choice;

/* What a choice rests on, as 16 hex digits (out[17]): the hand and
 * cluster-named labels, the labels, the rules, the fits of tokenizer,
 * vectors and graph (rl_store_labelling_inputs without the corpus), the
 * options' parameters and the library's version. */
int rl_choice_inputs(rl_db *db, const rl_propagate_opts *prop,
		     const rl_eval_opts *train, char *out);
/* Stores c (its `when` set to now unless given) in a short transaction
 * of its own. */
int rl_choice_save(rl_db *db, rl_choice *c);
/* The stored choice; RL_ENOTFOUND when there is none. */
int rl_choice_load(rl_db *db, rl_choice *c);
/* *same 1 when the last labelling was of the hand labels, rules, fits
 * and options there are now (the reviews imported since left out): its
 * stored rl_labelling_digest is the one these give over the reviews
 * imported before it began. */
int rl_labelled_as_now(rl_db *db, const rl_propagate_opts *prop,
		       const rl_eval_opts *train, int *same);
/* A store labelled by a revlab that kept no choice, as it was labelled
 * but for reviews imported since (rl_labelled_as_now): the choice read from the last evaluation (when it
 * labelled with the model, whose calibration it holds) and the
 * neighbour count and class shares labelling recorded, with `inputs`,
 * stored. *adopted 0 when that cannot be told. */
int rl_choice_adopt(rl_db *db, const char *inputs, int *adopted);

/* Labels the reviews that have no label yet (with vectors) with the
 * newest stored model, as rl_label_with labels with the model but
 * without training, at the model's own calibration (as `predict` with
 * it gives): each review's scores, assignment and the model's
 * prediction, in one transaction; the rest stay as they are, and
 * graph_changes is emptied. *done 0 (and the store untouched) when the
 * newest model is not one of o's classifier on the current fit and
 * labels (single-label only): the caller labels in full instead. */
int rl_label_new(rl_db *db, const rl_eval_opts *o, uint64_t *labelled,
		 int *done);

/* With propagation or the blend (single-label), labels again only what
 * changed since the last labelling, in one transaction: propagation
 * started from the stored spread (rl_propagate_from), then the reviews
 * without one (new), those graph_changes names and those whose
 * distribution moved by more than 0.001 in a label get their scores,
 * assignment and (the blend) the stored model's prediction, the blend
 * with the stored gains; graph_changes is emptied. *done 0 (and the
 * store untouched) when that cannot be: the graph's changes not
 * tracked, no stored spread, or (the blend) no model of o's classifier
 * on the current fit and labels, or no gains; the caller labels in
 * full. */
int rl_label_changed(rl_db *db, rl_method m, const rl_eval_opts *o,
		     uint64_t *labelled, int *done);

/* rl_eval on a sample of at most about cap reviews (0: the whole
 * corpus); rl_eval is this at RL_CV_REVIEWS. */
int rl_eval_sampled(rl_db *db, const rl_eval_opts *o, uint32_t cap,
		    rl_eval_report **out);

/* Out-of-fold predictions of the cross-validation: ev is the evidence it
 * worked on (a sample of a large corpus); for every hand-labelled row i
 * of ev, P[m][i*L ..] is what method m predicted for
 * it in the fold that hid it (untempered; zero rows abstained or are not
 * seeds). */
typedef struct rl_oof {
	rl_evidence ev;
	double *P[RL_METHOD_COUNT];	/* [n][L] each */
} rl_oof;

/* rl_eval without curve or saving, also handing back the out-of-fold
 * predictions in *oof (NULL: not wanted), which the caller frees with
 * rl_oof_free, on success only; on failure *oof is empty. */
int rl_eval_oof(rl_db *db, const rl_eval_opts *o, rl_eval_report **out,
		rl_oof *oof);
void rl_oof_free(rl_oof *oof);
/* Each hand-labelled row's out-of-fold distribution into P [n][L], as
 * rl_suspects judges them (stage_guide.c): the model's, tempered by
 * `temperature`, averaged with propagation's where that has one; other
 * rows are left alone. */
void rl_oof_probs(const rl_oof *oof, double temperature, double *P);

/* ---- vectors (stage_graph.c) ---- */

/* The kind of vectors (tfidf or lsa) that `want` means for this store:
 * auto is tfidf below auto_tfidf_below reviews. RL_EINVAL for a value
 * outside the enum. */
int rl_vectors_kind(rl_db *db, rl_vectors want, int auto_tfidf_below,
		    rl_vectors *kind);

#endif /* RL_STAGE_H */
