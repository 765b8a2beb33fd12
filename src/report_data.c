/*
 * report_data.c - loading what `revlab report` shows (report.h) from the
 * store into plain structs, through store.h, in one read transaction.
 *
 * Counts, labels by source (in a multi-label store also which labels go
 * together and how many a review carries), the rule report of
 * stage_rules.c (so precision and its Wilson interval are computed in one
 * place), which labels' rules fire together, the confidence of the
 * assignments, the least confident reviews, and the last evaluation,
 * which eval.c stored as JSON: a damaged or foreign one is read as far
 * as it makes sense and clamped, so that the page never draws NaN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "store.h"

const char *const rl_report_sources[RL_REPORT_SOURCES] = {
	"seed", "rule", "propagation", "model", "cluster",
};

void rl_report_data_free(rl_report_data *d)
{
	for (uint32_t l = 0; d->labels && l < d->L; l++)
		free(d->labels[l]);
	free(d->labels);
	free(d->label_ids);
	free(d->by_source);
	free(d->together);
	free(d->cardinality);
	free(d->cur_labels);
	rl_rules_report_free(d->rules);
	free(d->rule_labels);
	free(d->hist);
	for (size_t i = 0; i < d->n_samples; i++) {
		free(d->samples[i].label);
		free(d->samples[i].id);
		free(d->samples[i].source);
		free(d->samples[i].text);
	}
	free(d->samples);
	rl_buf_free(&d->run_started);
	rl_buf_free(&d->run_method);
	rl_buf_free(&d->run_model);
	rl_buf_free(&d->eval_created);
	rl_buf_free(&d->eval_json);
	for (uint32_t l = 0; d->elabels && l < d->EL; l++)
		free(d->elabels[l]);
	free(d->elabels);
	free(d->confusion);
	free(d->bins);
	free(d->curve);
}

int rl_report_label(const rl_report_data *d, const char *name)
{
	for (uint32_t l = 0; name && l < d->L; l++)
		if (!strcmp(d->labels[l], name))
			return (int)l;
	return -1;
}

static int on_label(void *ctx, const rl_label_info *li)
{
	rl_report_data *d = ctx;
	char **p = realloc(d->labels, (d->L + 1) * sizeof *p);
	if (!p)
		return RL_ENOMEM;
	d->labels = p;
	int64_t *ids = realloc(d->label_ids, (d->L + 1) * sizeof *ids);
	if (!ids)
		return RL_ENOMEM;
	d->label_ids = ids;
	ids[d->L] = li->id;
	if (!(p[d->L] = strdup(li->name)))
		return RL_ENOMEM;
	d->L++;
	return RL_OK;
}

static int on_source(void *ctx, int ncol, const char *const *t,
		     const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	int l = rl_report_label(d, t[0]);
	if (!t[0]) {
		d->abstained += (uint64_t)num[2];
		return RL_OK;
	}
	for (int s = 0; l >= 0 && t[1] && s < RL_REPORT_SOURCES; s++)
		if (!strcmp(t[1], rl_report_sources[s]))
			d->by_source[(size_t)l * RL_REPORT_SOURCES + s] +=
				(uint64_t)num[2];
	return RL_OK;
}

/* The review read so far (a multi-label store's) goes into the counts:
 * how many labels it carries, and each pair of them. */
static void review_counted(rl_report_data *d)
{
	size_t n = d->cur_n, L = d->L;
	if (n == 0)
		return;
	int kind = d->cur_hand ? 0 : 1;
	size_t k = n < RL_REPORT_CARD ? n : RL_REPORT_CARD - 1;
	d->cardinality[k * RL_REPORT_CARD_KINDS + (size_t)kind]++;
	uint64_t *t = d->together + (size_t)kind * L * L;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			t[(size_t)d->cur_labels[i] * L + d->cur_labels[j]]++;
	d->cur_n = 0;
}

/* A label of a review, the rows of a review in a run. */
static int on_label_pair(void *ctx, int ncol, const char *const *t,
			 const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	int64_t review = (int64_t)num[0], label = (int64_t)num[1];
	if (review != d->cur_review)
		review_counted(d);
	d->cur_review = review;
	d->cur_hand = num[3] != 0;
	uint32_t l = 0;
	while (l < d->L && d->label_ids[l] != label)
		l++;
	/* (a label made since the labels were read is not drawn) */
	if (l == d->L || d->cur_n == d->L)
		return RL_OK;
	d->cur_labels[d->cur_n++] = l;
	for (int s = 0; t[2] && s < RL_REPORT_SOURCES; s++)
		if (!strcmp(t[2], rl_report_sources[s]))
			d->by_source[(size_t)l * RL_REPORT_SOURCES + s]++;
	return RL_OK;
}

/* A multi-label store's labels of every review: by source, together,
 * and how many per review. */
static int load_label_pairs(rl_db *db, rl_report_data *d)
{
	size_t L = d->L;
	d->together = calloc(2 * L * L + 1, sizeof *d->together);
	d->cardinality = calloc(RL_REPORT_CARD * RL_REPORT_CARD_KINDS,
				sizeof *d->cardinality);
	d->cur_labels = calloc(L + 1, sizeof *d->cur_labels);
	if (!d->together || !d->cardinality || !d->cur_labels)
		return RL_ENOMEM;
	d->cur_review = -1;
	int rc = rl_store_report_rows(db, RL_Q_LABEL_PAIRS, 0, 0,
				      on_label_pair, d);
	if (rc != RL_OK)
		return rc;
	review_counted(d);
	uint64_t labelled = 0;
	for (size_t k = 1; k < RL_REPORT_CARD; k++)
		for (size_t c = 0; c < RL_REPORT_CARD_KINDS; c++)
			labelled += d->cardinality[k * RL_REPORT_CARD_KINDS +
						   c];
	d->abstained = d->st.reviews > labelled ? d->st.reviews - labelled
						: 0;
	d->cardinality[2] = d->abstained;
	return RL_OK;
}

static int on_rule_labels(void *ctx, int ncol, const char *const *t,
			  const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	int a = rl_report_label(d, t[0]), b = rl_report_label(d, t[1]);
	if (a >= 0 && b >= 0)
		d->rule_labels[(size_t)a * d->L + (size_t)b] = (uint64_t)num[2];
	return RL_OK;
}

static int on_hist(void *ctx, int ncol, const char *const *t,
		   const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	int l = rl_report_label(d, t[0]);
	int bin = (int)num[1];
	if (l >= 0 && bin >= 0 && bin < RL_REPORT_HIST_BINS)
		d->hist[(size_t)bin * d->L + (size_t)l] += (uint64_t)num[2];
	return RL_OK;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int on_lowest(void *ctx, int ncol, const char *const *t,
		     const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	if (d->n_samples == d->cap_samples) {
		size_t cap = d->cap_samples ? d->cap_samples * 2 : 16;
		rl_report_sample *p = realloc(d->samples, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		d->samples = p;
		d->cap_samples = cap;
	}
	rl_report_sample *s = &d->samples[d->n_samples++];
	memset(s, 0, sizeof *s);
	s->label = dup_or_empty(t[0]);
	s->id = dup_or_empty(t[1]);
	s->confidence = num[2];
	s->source = dup_or_empty(t[3]);
	s->text = dup_or_empty(t[4]);
	s->cut = num[5] != 0;
	return s->label && s->id && s->source && s->text ? RL_OK : RL_ENOMEM;
}

static int on_last_label(void *ctx, int ncol, const char *const *t,
			 const double *num)
{
	rl_report_data *d = ctx;
	(void)ncol;
	d->has_run = 1;
	d->run_labelled = (uint64_t)num[2];
	const char *v[3] = { t[0], t[1], t[3] };
	rl_buf *b[3] = { &d->run_started, &d->run_method, &d->run_model };
	for (int i = 0; i < 3; i++)
		if (rl_buf_append(b[i], v[i] ? v[i] : "",
				  v[i] ? strlen(v[i]) : 0) != RL_OK)
			return RL_ENOMEM;
	return RL_OK;
}

static int on_elabel(void *ctx, int64_t i, const char *name)
{
	rl_report_data *d = ctx;
	(void)i;
	if (d->EL == d->cap_elabels) {
		size_t cap = d->cap_elabels ? d->cap_elabels * 2 : 8;
		char **p = realloc(d->elabels, cap * sizeof *p);
		if (!p)
			return RL_ENOMEM;
		d->elabels = p;
		d->cap_elabels = cap;
	}
	if (!(d->elabels[d->EL] = strdup(name)))
		return RL_ENOMEM;
	d->EL++;
	return RL_OK;
}

/* Numbers at `path` of the stored evaluation into *v, which must hold
 * `want` of them (`want` 0: any count, into *n); a report missing them
 * leaves *v NULL. */
static int eval_numbers(rl_db *db, rl_report_data *d, const char *path,
			size_t want, double **v, size_t *n)
{
	size_t got = 0;
	int rc = rl_store_json_numbers(db, d->eval_json.data, path, v, &got);
	if (rc == RL_OK && want && got != want) {
		free(*v);
		*v = NULL;
		got = 0;
	}
	/* Every number an evaluation stores is a count, a size, a rate or
	 * a temperature: a damaged or foreign one is clamped to [0, 1e15],
	 * so that no chart draws NaN and no count overflows. */
	for (size_t i = 0; rc == RL_OK && *v && i < got; i++)
		if (!((*v)[i] >= 0))
			(*v)[i] = 0;
		else if ((*v)[i] > 1e15)
			(*v)[i] = 1e15;
	if (n)
		*n = got;
	return rc;
}

static int load_eval(rl_db *db, rl_report_data *d)
{
	int rc = rl_store_eval_last(db, &d->eval_id, &d->eval_created,
				    &d->eval_json);
	if (rc == RL_ENOTFOUND)
		return RL_OK;
	if (rc != RL_OK)
		return rc;
	d->has_eval = 1;
	double *v = NULL;
	char path[96];
	if ((rc = rl_store_json_strings(db, d->eval_json.data, "$.labels",
					on_elabel, d)) != RL_OK)
		return rc;
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		const char *name = rl_method_name((rl_method)m);
		for (int k = 0; k < 4; k++) {
			static const char *const key[4] = {
				"macro_f1", "accuracy", "coverage",
				"calibration_error",
			};
			snprintf(path, sizeof path, "$.methods.%s.%s", name,
				 key[k]);
			if ((rc = eval_numbers(db, d, path, 1, &v, NULL)) !=
			    RL_OK)
				return rc;
			d->scores[m][k] = v ? v[0] : -1;
			free(v);
			v = NULL;
		}
	}
	rl_buf text = { 0 };
	if ((rc = rl_store_json_text(db, d->eval_json.data, "$.best",
				     &text)) == RL_OK)
		snprintf(d->best, sizeof d->best, "%s", text.data ? text.data
								   : "");
	if (rc == RL_OK && (rc = rl_store_json_text(db, d->eval_json.data,
						    "$.model", &text)) ==
	    RL_OK)
		snprintf(d->model, sizeof d->model, "%s", text.data ? text.data
								    : "");
	rl_buf_free(&text);
	if (rc != RL_OK)
		return rc;
	/* Only a method this revlab knows names a path below, and only a
	 * candidate is ever chosen (a baseline there is a damaged report). */
	int known = 0;
	for (int m = 0; m < RL_METHOD_CANDIDATES; m++)
		known |= !strcmp(d->best, rl_method_name((rl_method)m));
	if (!known)
		snprintf(d->best, sizeof d->best, "%s", "model");
	if ((rc = eval_numbers(db, d, "$.seeds", 1, &v, NULL)) != RL_OK)
		return rc;
	d->seeds = v ? v[0] : 0;
	free(v);
	if ((rc = eval_numbers(db, d, "$.folds", 1, &v, NULL)) != RL_OK)
		return rc;
	d->folds = v ? v[0] : 0;
	free(v);
	v = NULL;
	snprintf(path, sizeof path, "$.methods.%s.confusion", d->best);
	if ((rc = eval_numbers(db, d, path, (size_t)d->EL * d->EL,
			       &d->confusion, NULL)) != RL_OK)
		return rc;
	if (d->EL == 0) {
		free(d->confusion);
		d->confusion = NULL;
	}
	const size_t per = (size_t)RL_CALIB_BINS * 5;
	d->bins = calloc((RL_METHOD_COUNT + 1) * per, sizeof *d->bins);
	if (!d->bins)
		return RL_ENOMEM;
	for (int m = 0; m <= RL_METHOD_COUNT; m++) {
		if (m < RL_METHOD_COUNT)
			snprintf(path, sizeof path,
				 "$.methods.%s.reliability",
				 rl_method_name((rl_method)m));
		else
			snprintf(path, sizeof path,
				 "$.model_calibrated_reliability");
		if ((rc = eval_numbers(db, d, path, per, &v, NULL)) != RL_OK)
			return rc;
		if (v)
			memcpy(d->bins + (size_t)m * per, v, per * sizeof *v);
		free(v);
		v = NULL;
	}
	/* The curve point by point and method by method, so one stored by
	 * a revlab with fewer methods still draws; a method missing there
	 * is -1. */
	const size_t k = 1 + RL_METHOD_COUNT, max_points = 64;
	if (!(d->curve = malloc(max_points * k * sizeof *d->curve)))
		return RL_ENOMEM;
	for (size_t i = 0; i < max_points; i++) {
		for (size_t m = 0; m < k; m++) {
			if (m == 0)
				snprintf(path, sizeof path,
					 "$.curve[%zu].seeds_per_label", i);
			else
				snprintf(path, sizeof path,
					 "$.curve[%zu].macro_f1.%s", i,
					 rl_method_name((rl_method)(m - 1)));
			if ((rc = eval_numbers(db, d, path, 1, &v, NULL)) !=
			    RL_OK)
				return rc;
			if (m == 0 && !v)
				return RL_OK;	/* past the last point */
			d->curve[i * k + m] = v ? v[0] : -1;
			free(v);
			v = NULL;
		}
		d->n_curve = i + 1;
		/* The curve's x axis is logarithmic in seeds per label. */
		if (d->curve[i * k] < 1) {
			d->n_curve = 0;
			return RL_OK;
		}
	}
	return RL_OK;
}

int rl_report_load(rl_db *db, const rl_report_opts *o, rl_report_data *d)
{
	int rc;
	d->o = o;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(d->made, sizeof d->made, "%Y-%m-%d %H:%M UTC", &tm);
	if ((rc = rl_store_read_begin(db)) != RL_OK)
		return rc;
	if ((rc = rl_stats_get(db, &d->st)) != RL_OK ||
	    (rc = rl_labels(db, on_label, d)) != RL_OK)
		goto out;
	size_t L = d->L;
	d->by_source = calloc(L * RL_REPORT_SOURCES + 1, sizeof *d->by_source);
	d->rule_labels = calloc(L * L + 1, sizeof *d->rule_labels);
	d->hist = calloc(RL_REPORT_HIST_BINS * L + 1, sizeof *d->hist);
	if (!d->by_source || !d->rule_labels || !d->hist) {
		rc = RL_ENOMEM;
		goto out;
	}
	d->multi = rl_db_multi_label(db);
	if ((rc = d->multi ? load_label_pairs(db, d)
			   : rl_store_report_rows(db, RL_Q_SOURCES, 0, 0,
						  on_source, d)) != RL_OK ||
	    (rc = rl_rules_report_get(db, &d->rules)) != RL_OK ||
	    (rc = rl_store_report_rows(db, RL_Q_RULE_LABELS, 0, 0,
				       on_rule_labels, d)) != RL_OK ||
	    (rc = rl_store_report_rows(db, d->multi ? RL_Q_ML_HIST
						    : RL_Q_HIST,
				       RL_REPORT_HIST_BINS,
				       0, on_hist, d)) != RL_OK ||
	    (rc = rl_store_report_rows(db, d->multi ? RL_Q_ML_LOWEST
						    : RL_Q_LOWEST, o->samples,
				       o->text_chars, on_lowest, d)) !=
	    RL_OK ||
	    (rc = rl_store_report_rows(db, RL_Q_LAST_LABEL, 0, 0,
				       on_last_label, d)) != RL_OK)
		goto out;
	rc = load_eval(db, d);
out:
	rl_store_rollback(db);
	return rc;
}
