/*
 * predict.c - labelling the reviews of a file that are not in the corpus,
 * with a model object (model.c): one made from the store's model, or one
 * loaded from a model file.
 *
 * The file is read by the import code into a scratch in-memory store, so
 * it gets the same formats and the same checks, and a bad file is
 * refused before a single prediction is made. Its reviews then go to the
 * model a chunk at a time, through the one predictor model.c has.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model.h"
#include "store.h"

/* Reviews labelled together. */
#define BATCH 256

typedef struct batch {
	rl_buf ids, texts;	/* each NUL-terminated, one after another */
	size_t id_off[BATCH], text_off[BATCH], len[BATCH];
	size_t n;
	int rc;
} batch;

static int on_review(void *ctx, int64_t id, const char *ext_id,
		     const char *text, size_t len)
{
	batch *b = ctx;
	(void)id;
	b->id_off[b->n] = b->ids.len;
	b->text_off[b->n] = b->texts.len;
	b->len[b->n] = len;
	if (rl_buf_append(&b->ids, ext_id, strlen(ext_id) + 1) != RL_OK ||
	    rl_buf_append(&b->texts, text, len) != RL_OK ||
	    rl_buf_putc(&b->texts, '\0') != RL_OK)
		return RL_ENOMEM;
	b->n++;
	return RL_OK;
}

int rl_predict_file_model(const rl_model *m, const char *path,
			  const rl_import_opts *io, int top,
			  rl_prediction_fn fn, void *ctx, uint64_t *n,
			  char *err, size_t errlen)
{
	rl_db *scratch = NULL;
	rl_predictor *p = NULL;
	batch b = { 0 };
	const char *texts[BATCH];
	const char **names = NULL;
	int32_t *labels = NULL;
	double *conf = NULL;
	int64_t last = 0;
	uint64_t done = 0;
	int rc;

	if (n)
		*n = 0;
	if (err && errlen)
		*err = '\0';
	if (!m || !path || !fn) {
		if (err && errlen)
			snprintf(err, errlen, "no model, file or callback");
		return RL_EINVAL;
	}
	uint32_t L = (uint32_t)rl_model_n_labels(m);
	/* A multi-label model gives each text the labels its thresholds
	 * give: all are ranked, then those kept. */
	const double *thr = rl_model_thresholds(m);
	if (top < 1 || thr)
		top = thr ? (int)L : 1;
	if ((uint32_t)top > L)
		top = (int)L;
	rc = RL_ENOMEM;
	if (!(names = malloc((size_t)top * sizeof *names)) ||
	    !(labels = malloc((size_t)BATCH * top * sizeof *labels)) ||
	    !(conf = malloc((size_t)BATCH * top * sizeof *conf)) ||
	    rl_predictor_new(m, &p) != RL_OK)
		goto out;

	/* The whole file into a scratch store first: a bad record stops
	 * everything before any prediction is made. */
	if ((rc = rl_db_open(":memory:", RL_OPEN_CREATE, &scratch)) != RL_OK ||
	    (rc = rl_import_file(scratch, path, io, NULL)) != RL_OK) {
		if (err && errlen)
			snprintf(err, errlen, "%s", *rl_db_errmsg(scratch)
				 ? rl_db_errmsg(scratch) : rl_strerror(rc));
		goto out;
	}
	for (;;) {
		b.n = 0;
		b.ids.len = 0;
		b.texts.len = 0;
		if ((rc = rl_store_reviews_batch(scratch, 0, last, BATCH,
						 on_review, &b, &last)) !=
		    RL_OK) {
			if (err && errlen)
				snprintf(err, errlen, "%s",
					 *rl_db_errmsg(scratch)
					 ? rl_db_errmsg(scratch)
					 : rl_strerror(rc));
			goto out;
		}
		if (b.n == 0)
			break;
		for (size_t i = 0; i < b.n; i++)
			texts[i] = b.texts.data + b.text_off[i];
		if ((rc = rl_predictor_run(p, texts, b.len, b.n, top, labels,
					   conf, err, errlen)) != RL_OK)
			goto out;
		for (size_t i = 0; i < b.n; i++) {
			int kept = 0;
			double *cf = conf + i * top;
			/* Ranked best first; with thresholds, those that
			 * reach theirs, or the first when none does. */
			for (int j = 0; j < top; j++) {
				int32_t l = labels[i * top + j];
				if (thr && !(cf[j] >= thr[l]))
					continue;
				names[kept] = rl_model_label(m, (size_t)l);
				cf[kept++] = cf[j];
			}
			if (kept == 0) {
				names[0] = rl_model_label(m,
						(size_t)labels[i * top]);
				kept = 1;
			}
			rl_prediction pr = { b.ids.data + b.id_off[i], names,
					     cf, kept };
			if ((rc = fn(ctx, &pr)) != 0)
				goto out;
			done++;
		}
	}
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && err && errlen && !*err)
		snprintf(err, errlen, "out of memory");
	if (n)
		*n = done;
	rl_db_close(scratch);
	rl_predictor_free(p);
	rl_buf_free(&b.ids);
	rl_buf_free(&b.texts);
	free(names);
	free(labels);
	free(conf);
	return rc;
}

int rl_predict_file(rl_db *db, const char *path, const rl_import_opts *io,
		    int64_t model, int top, rl_prediction_fn fn, void *ctx,
		    uint64_t *n)
{
	rl_model *m = NULL;
	char err[1024];
	if (n)
		*n = 0;
	int rc = rl_model_get(db, model, &m);
	if (rc == RL_OK) {
		rc = rl_predict_file_model(m, path, io, top, fn, ctx, n, err,
					   sizeof err);
		if (rc != RL_OK && *err)
			rl_fail(db, rc, "%s", err);
	}
	rl_model_free(m);
	return rc;
}
