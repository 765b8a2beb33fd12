/*
 * report.h - what `revlab report` shows, as plain structs: loaded from the
 * store by report_data.c, laid out as HTML by report.c.
 *
 * Loading is the page's only contact with the store, so the page and its
 * charts (svg.c) are plain formatting over these arrays.
 */
#ifndef RL_REPORT_H
#define RL_REPORT_H

#include "internal.h"

enum {
	RL_REPORT_SOURCES = 5,		/* where a label came from */
	RL_REPORT_HIST_BINS = 20,	/* confidence bins of 0.05 */
	RL_REPORT_CARD = 9,		/* labels per review: 0 to 7, 8 or
					   more */
	RL_REPORT_CARD_KINDS = 3,	/* hand-labelled, labelled by revlab,
					   abstained */
};

/* The sources' names, as the store writes them. */
extern const char *const rl_report_sources[RL_REPORT_SOURCES];

/* One of the least confident reviews. */
typedef struct rl_report_sample {
	char *label, *id, *source, *text;
	double confidence;
	int cut;		/* text was longer */
} rl_report_sample;

typedef struct rl_report_data {
	const rl_report_opts *o;
	char made[32];		/* UTC */
	rl_stats st;
	uint32_t L;
	char **labels;		/* [L], name order */
	int64_t *label_ids;	/* [L] their labels.id */
	uint64_t *by_source;	/* [L][RL_REPORT_SOURCES] reviews by final
				   label */
	uint64_t abstained;
	/* A multi-label store (multi 1): by_source counts each label of a
	 * review; the labels that go together, as [2][L][L] counts of
	 * reviews carrying both labels (the diagonal: the label), among
	 * the hand-labelled reviews and among those revlab labelled; and
	 * [RL_REPORT_CARD][RL_REPORT_CARD_KINDS] reviews by how many labels
	 * they carry (the last row: at least RL_REPORT_CARD - 1). */
	int multi;
	uint64_t *together;
	uint64_t *cardinality;
	int64_t cur_review;	/* while loading: the review being read */
	size_t cur_n;		/* its labels so far, in cur_labels [L] */
	int cur_hand;
	uint32_t *cur_labels;
	rl_rules_report *rules;
	uint64_t *rule_labels;	/* [L][L] */
	uint64_t *hist;		/* [RL_REPORT_HIST_BINS][L] */
	rl_report_sample *samples;
	size_t n_samples, cap_samples;
	int has_run;
	rl_buf run_started, run_method, run_model;
	uint64_t run_labelled;
	/* The last evaluation; has_eval 0 without one. */
	int has_eval;
	int64_t eval_id;
	rl_buf eval_created, eval_json;
	char **elabels;		/* [EL] its labels, in its order */
	uint32_t EL;
	size_t cap_elabels;
	char best[16], model[16];
	double seeds, folds;
	/* macro-F1, accuracy, coverage, calibration error; -1 where the
	 * evaluation lacks the method (one stored before the baselines) */
	double scores[RL_METHOD_COUNT][4];
	double *confusion;	/* [EL][EL] of the best method, or NULL */
	/* [RL_METHOD_COUNT + 1][RL_CALIB_BINS][5]: low, high, n, mean
	 * confidence, accuracy; the last is the calibrated model. */
	double *bins;
	double *curve;		/* [n_curve][1 + RL_METHOD_COUNT] */
	size_t n_curve;
} rl_report_data;

/* Fills *d (zeroed by the caller) from the store in one read
 * transaction; d keeps `o`, borrowed. Free d with rl_report_data_free,
 * also after a failure. */
int rl_report_load(rl_db *db, const rl_report_opts *o, rl_report_data *d);
void rl_report_data_free(rl_report_data *d);

/* The index of label `name` in d->labels, or -1. */
int rl_report_label(const rl_report_data *d, const char *name);

#endif /* RL_REPORT_H */
