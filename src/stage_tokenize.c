/*
 * stage_tokenize.c - the tokenize stage: reviews -> review_tokens, terms.
 *
 * Incremental: only reviews without tokens are read, in batches by id, and
 * their token lists are written back as varint blobs of term ids. When the
 * tokenizer's fingerprint (options, lexicon contents, version) differs from
 * the one stored with the tokens, every review is tokenized again, since
 * old and new tokens could not be mixed. One transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store.h"

#define BATCH 2048
#define FINGERPRINT_KEY "tokenizer"

typedef struct tok_state {
	rl_db *db;
	rl_tokenizer *tk;
	rl_strmap *terms;
	int64_t next_term;
	rl_tokenize_stats st;
	int rc;

	/* the batch: review i's tokens are blob[off[i]..off[i+1]) */
	rl_buf blob;
	int64_t ids[BATCH];
	int64_t ntok[BATCH];
	size_t off[BATCH + 1];
	size_t n;
} tok_state;

static void on_token(void *ctx, const char *tok, size_t len)
{
	tok_state *ts = ctx;
	if (ts->rc != RL_OK)
		return;
	int64_t id = rl_strmap_get(ts->terms, tok, len);
	if (id < 0) {
		id = ts->next_term++;
		if ((ts->rc = rl_strmap_put(ts->terms, tok, len, id)) != RL_OK)
			return;
		/* terms is not the table being read, so this is safe while
		 * the batch's SELECT is open. */
		if ((ts->rc = rl_store_term_add(ts->db, id, tok, len)) != RL_OK)
			return;
		ts->st.new_terms++;
	}
	if ((ts->rc = rl_buf_put_varint(&ts->blob, (uint64_t)id)) != RL_OK)
		return;
	ts->ntok[ts->n]++;
}

static int on_review(void *ctx, int64_t id, const char *ext_id,
		     const char *text, size_t len)
{
	tok_state *ts = ctx;
	ts->ids[ts->n] = id;
	ts->ntok[ts->n] = 0;
	ts->off[ts->n] = ts->blob.len;
	int rc = rl_tokenize_text(ts->tk, text, len, on_token, ts);
	if (rc == RL_EINPUT)
		return rl_fail(ts->db, rc, "review '%s': text is not valid "
			       "UTF-8", ext_id);
	if (rc != RL_OK)
		return rc;
	if (ts->rc != RL_OK)
		return ts->rc;
	ts->st.tokens += (uint64_t)ts->ntok[ts->n];
	ts->st.bytes += len;
	ts->n++;
	ts->off[ts->n] = ts->blob.len;
	return RL_OK;
}

static int params_json(const rl_tokenize_opts *o, const char *fp,
		       rl_buf *b)
{
	int rc = rl_params_json(rl_tokenize_params, rl_tokenize_nparams, o, b);
	if (rc != RL_OK)
		return rc;
	/* Add the fingerprint inside the object. */
	b->len--;
	rc = rl_buf_append(b, ",\"fingerprint\":", 15);
	if (rc == RL_OK)
		rc = rl_json_string(b, fp, strlen(fp));
	if (rc == RL_OK)
		rc = rl_buf_putc(b, '}');
	return rc;
}

int rl_tokenize(rl_db *db, const rl_tokenize_opts *o, rl_tokenize_stats *st)
{
	rl_tokenize_opts defaults;
	if (!o) {
		rl_tokenize_opts_init(&defaults);
		o = &defaults;
	}
	tok_state *ts = calloc(1, sizeof *ts);
	rl_buf stored = { 0 }, params = { 0 };
	char err[512];
	int rc;
	double t0 = rl_now();
	int64_t run_id = 0;
	uint64_t todo = 0, done = 0;

	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if (!ts)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	ts->db = db;
	if ((rc = rl_tokenizer_new(o, &ts->tk, err, sizeof err)) != RL_OK) {
		rl_fail(db, rc, "%s", err);
		goto out;
	}
	if ((rc = rl_strmap_new(&ts->terms)) != RL_OK)
		goto out;
	const char *fp = rl_tokenizer_fingerprint(ts->tk);
	if ((rc = params_json(o, fp, &params)) != RL_OK)
		goto out;

	if ((rc = rl_store_begin(db)) != RL_OK)
		goto out;
	if ((rc = rl_store_run_start(db, "tokenize", params.data, &run_id)) !=
	    RL_OK)
		goto fail;
	rc = rl_store_setting_get(db, FINGERPRINT_KEY, &stored);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		goto fail;
	if (rc == RL_ENOTFOUND || strcmp(stored.data, fp) != 0) {
		if (rc == RL_OK)
			ts->st.retokenized_all = 1;
		if ((rc = rl_store_tokens_clear(db)) != RL_OK ||
		    (rc = rl_store_setting_set(db, FINGERPRINT_KEY, fp)) !=
			    RL_OK)
			goto fail;
	}
	/* The options go along, so `predict` can tokenize new text exactly
	 * as the stored tokens were made. */
	if ((rc = rl_store_setting_set(db, "tokenizer_params", params.data)) !=
	    RL_OK)
		goto fail;
	if ((rc = rl_store_terms_load(db, NULL, 0, ts->terms,
				       &ts->next_term)) != RL_OK)
		goto fail;
	ts->next_term++;
	if ((rc = rl_store_untokenized_count(db, &todo)) != RL_OK)
		goto fail;

	int64_t after = 0;
	double next_progress = 0;
	for (;;) {
		ts->n = 0;
		ts->blob.len = 0;
		ts->off[0] = 0;
		rc = rl_store_untokenized(db, after, BATCH, on_review, ts,
					  &after);
		if (rc != RL_OK)
			goto fail;
		if (ts->n == 0)
			break;
		for (size_t i = 0; i < ts->n; i++) {
			rc = rl_store_tokens_put(db, ts->ids[i], ts->ntok[i],
						 ts->blob.data + ts->off[i],
						 ts->off[i + 1] - ts->off[i]);
			if (rc != RL_OK)
				goto fail;
		}
		done += ts->n;
		ts->st.reviews += ts->n;
		if (o->progress && rl_now() >= next_progress) {
			next_progress = rl_now() + 0.25;
			o->progress(o->ctx, "tokenize", done, todo);
		}
	}
	if (o->progress)
		o->progress(o->ctx, "tokenize", done, todo);

	char counts[256];
	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"tokens\":%llu,\"new_terms\":%llu,"
		 "\"bytes\":%llu,\"retokenized_all\":%d}",
		 (unsigned long long)ts->st.reviews,
		 (unsigned long long)ts->st.tokens,
		 (unsigned long long)ts->st.new_terms,
		 (unsigned long long)ts->st.bytes, ts->st.retokenized_all);
	if ((rc = rl_store_run_finish(db, run_id, rl_now() - t0, counts)) !=
	    RL_OK)
		goto fail;
	if ((rc = rl_store_commit(db)) != RL_OK)
		goto fail;
	if (st)
		*st = ts->st;
	goto out;
fail:
	rl_store_rollback(db);
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&stored);
	rl_buf_free(&params);
	rl_buf_free(&ts->blob);
	rl_strmap_free(ts->terms);
	rl_tokenizer_free(ts->tk);
	free(ts);
	return rc;
}
