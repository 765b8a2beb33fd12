/*
 * stage_tokenize.c - the tokenize stage: reviews -> review_tokens, terms.
 *
 * Incremental: only reviews without tokens are read, in batches by id, and
 * their lists of term ids are written back. When the
 * tokenizer's fingerprint (options, lexicon contents, version) differs from
 * the one stored with the tokens, every review is tokenized again, since
 * old and new tokens could not be mixed. One transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

#define BATCH 2048
/* Text held before it is tokenized: a batch of long reviews is cut into
 * pieces of about this many bytes. */
#define PENDING_BYTES (4u << 20)
#define FINGERPRINT_KEY "tokenizer"

/* One thread's share of the pending reviews: each token as a varint
 * length and its bytes. */
typedef struct tok_part {
	rl_tokenizer *tk;
	rl_buf toks;
	int rc;
} tok_part;

typedef struct tok_state {
	rl_db *db;
	int threads;
	tok_part *part;		/* [threads] */
	rl_strmap *terms;
	int64_t next_term;
	rl_tokenize_stats st;

	/* the batch: review i's term ids are term[off[i]..off[i+1]) */
	uint32_t *term;
	size_t cap_term;
	int64_t ids[BATCH];
	size_t off[BATCH + 1];
	size_t n;

	/* reviews first..n - 1 are read but not yet tokenized: their text
	 * and user ids, NUL-terminated, at toff[] and eoff[] */
	size_t first;
	rl_buf text, ext;
	size_t toff[BATCH + 1], eoff[BATCH];
	/* review i's tokens: part[owner[i]].toks[tok_begin[i]..tok_end[i]) */
	size_t tok_begin[BATCH], tok_end[BATCH];
	int owner[BATCH];
	int err[BATCH];
} tok_state;

static void on_part_token(void *ctx, const char *tok, size_t len)
{
	tok_part *p = ctx;
	if (p->rc == RL_OK &&
	    (p->rc = rl_buf_put_varint(&p->toks, len)) == RL_OK)
		p->rc = rl_buf_append(&p->toks, tok, len);
}

/* Thread t tokenizes its share of the pending reviews into its part. */
static void tokenize_part(void *ctx, int t, int nt)
{
	tok_state *ts = ctx;
	tok_part *p = &ts->part[t];
	size_t m = ts->n - ts->first;
	size_t lo = ts->first + m * (size_t)t / (size_t)nt;
	size_t hi = ts->first + m * (size_t)(t + 1) / (size_t)nt;
	p->toks.len = 0;
	for (size_t i = lo; i < hi && p->rc == RL_OK; i++) {
		ts->owner[i] = t;
		ts->tok_begin[i] = p->toks.len;
		ts->err[i] = rl_tokenize_text(p->tk, ts->text.data + ts->toff[i],
					      ts->toff[i + 1] - ts->toff[i] - 1,
					      on_part_token, p);
		ts->tok_end[i] = p->toks.len;
	}
}

/* Appends review i's term ids to the batch's, giving new terms the next
 * ids (and storing them). */
static int give_ids(tok_state *ts, size_t i)
{
	/* No token: its part may have no buffer (NULL), and NULL + 0 is
	 * undefined. */
	if (ts->tok_begin[i] == ts->tok_end[i]) {
		ts->off[i + 1] = ts->off[i];
		return RL_OK;
	}
	const unsigned char *p =
		(const unsigned char *)ts->part[ts->owner[i]].toks.data;
	const unsigned char *end = p + ts->tok_end[i];
	size_t at = ts->off[i];
	int rc = RL_OK;
	for (p += ts->tok_begin[i]; p < end && rc == RL_OK; at++) {
		uint64_t len;
		size_t used = rl_varint_get(p, end, &len);
		if (used == 0)
			return RL_EDB;	/* cannot happen: we wrote it */
		const char *tok = (const char *)p + used;
		p += used + len;
		int64_t id = rl_strmap_get(ts->terms, tok, len);
		if (id < 0) {
			id = ts->next_term++;
			/* terms is not the table being read, so this is
			 * safe while the batch's SELECT is open. */
			if ((rc = rl_strmap_put(ts->terms, tok, len, id)) !=
				    RL_OK ||
			    (rc = rl_store_term_add(ts->db, id, tok, len)) !=
				    RL_OK)
				return rc;
			ts->st.new_terms++;
		}
		if (at == ts->cap_term) {
			size_t cap = ts->cap_term ? 2 * ts->cap_term : 4096;
			uint32_t *t = realloc(ts->term, cap * sizeof *t);
			if (!t)
				return RL_ENOMEM;
			ts->term = t;
			ts->cap_term = cap;
		}
		ts->term[at] = (uint32_t)id;
	}
	ts->off[i + 1] = at;
	ts->st.tokens += (uint64_t)(at - ts->off[i]);
	return rc;
}

/* Tokenizes the pending reviews on the threads, then, in review order
 * (so term ids are the same for any thread count), gives new terms their
 * ids and appends each review's id list to the blob. */
static int flush_pending(tok_state *ts)
{
	if (ts->first == ts->n)
		return RL_OK;
	int threads = ts->threads;
	if ((size_t)threads > ts->n - ts->first)
		threads = (int)(ts->n - ts->first);
	int rc = rl_parallel(threads, tokenize_part, ts);
	for (int t = 0; rc == RL_OK && t < threads; t++)
		rc = ts->part[t].rc;
	for (size_t i = ts->first; i < ts->n && rc == RL_OK; i++) {
		if (ts->err[i] == RL_EINPUT)
			return rl_fail(ts->db, RL_EINPUT, "review '%s': text is "
				       "not valid UTF-8",
				       ts->ext.data + ts->eoff[i]);
		if ((rc = ts->err[i]) == RL_OK)
			rc = give_ids(ts, i);
	}
	ts->first = ts->n;
	ts->text.len = 0;
	ts->ext.len = 0;
	return rc;
}

static int on_review(void *ctx, int64_t id, const char *ext_id,
		     const char *text, size_t len)
{
	tok_state *ts = ctx;
	size_t i = ts->n;
	ts->ids[i] = id;
	ts->toff[i] = ts->text.len;
	ts->eoff[i] = ts->ext.len;
	int rc = rl_buf_append(&ts->text, text, len);
	if (rc == RL_OK)
		rc = rl_buf_putc(&ts->text, 0);
	if (rc == RL_OK)
		rc = rl_buf_append(&ts->ext, ext_id, strlen(ext_id) + 1);
	if (rc != RL_OK)
		return rc;
	ts->st.bytes += len;
	ts->n++;
	ts->toff[ts->n] = ts->text.len;
	return ts->text.len >= PENDING_BYTES ? flush_pending(ts) : RL_OK;
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
	rl_stage stg;
	char counts[256] = "{}";
	uint64_t todo = 0, done = 0;

	rl_clear_error(db);
	if (st)
		memset(st, 0, sizeof *st);
	if (!ts)
		return rl_fail(db, RL_ENOMEM, "out of memory");
	ts->db = db;
	ts->threads = o->threads < 1 ? 1 : o->threads;
	if (!(ts->part = calloc((size_t)ts->threads, sizeof *ts->part))) {
		rc = RL_ENOMEM;
		goto out;
	}
	/* A tokenizer each: each keeps its own cache of words. */
	for (int t = 0; t < ts->threads; t++)
		if ((rc = rl_tokenizer_new(o, &ts->part[t].tk, err,
					   sizeof err)) != RL_OK) {
			rl_fail(db, rc, "%s", err);
			goto out;
		}
	if ((rc = rl_strmap_new(&ts->terms)) != RL_OK)
		goto out;
	const char *fp = rl_tokenizer_fingerprint(ts->part[0].tk);
	if ((rc = params_json(o, fp, &params)) != RL_OK)
		goto out;

	if ((rc = rl_stage_begin(db, "tokenize", params.data, &stg)) != RL_OK)
		goto out;
	rc = rl_store_setting_get(db, FINGERPRINT_KEY, &stored);
	if (rc != RL_OK && rc != RL_ENOTFOUND)
		goto end;
	if (rc == RL_ENOTFOUND || strcmp(stored.data, fp) != 0) {
		if (rc == RL_OK)
			ts->st.retokenized_all = 1;
		if ((rc = rl_store_tokens_clear(db)) != RL_OK ||
		    (rc = rl_store_setting_set(db, FINGERPRINT_KEY, fp)) !=
			    RL_OK)
			goto end;
	}
	/* The options go along, so `predict` can tokenize new text exactly
	 * as the stored tokens were made. */
	if ((rc = rl_store_setting_set(db, "tokenizer_params", params.data)) !=
	    RL_OK)
		goto end;
	if ((rc = rl_store_terms_load(db, NULL, 0, ts->terms,
				       &ts->next_term)) != RL_OK)
		goto end;
	ts->next_term++;
	if ((rc = rl_store_untokenized_count(db, &todo)) != RL_OK)
		goto end;

	int64_t after = 0;
	double next_progress = 0;
	for (;;) {
		ts->n = 0;
		ts->first = 0;
		ts->off[0] = 0;
		ts->text.len = 0;
		ts->ext.len = 0;
		rc = rl_store_untokenized(db, after, BATCH, on_review, ts,
					  &after);
		if (rc == RL_OK)
			rc = flush_pending(ts);
		if (rc != RL_OK)
			goto end;
		if (ts->n == 0)
			break;
		for (size_t i = 0; i < ts->n; i++) {
			/* A batch of reviews with no token has no term
			 * array. */
			rc = rl_store_tokens_put(db, ts->ids[i], ts->term ?
						 ts->term + ts->off[i] : NULL,
						 (uint32_t)(ts->off[i + 1] -
							    ts->off[i]));
			if (rc != RL_OK)
				goto end;
		}
		done += ts->n;
		ts->st.reviews += ts->n;
		if (o->progress && rl_now() >= next_progress) {
			next_progress = rl_now() + 0.25;
			if ((rc = rl_progress_call(db, o->progress, o->ctx,
					"tokenize", done, todo)) != RL_OK)
				goto end;
		}
	}
	if ((rc = rl_progress_call(db, o->progress, o->ctx, "tokenize", done,
				   todo)) != RL_OK)
		goto end;

	snprintf(counts, sizeof counts,
		 "{\"reviews\":%llu,\"tokens\":%llu,\"new_terms\":%llu,"
		 "\"bytes\":%llu,\"retokenized_all\":%d}",
		 (unsigned long long)ts->st.reviews,
		 (unsigned long long)ts->st.tokens,
		 (unsigned long long)ts->st.new_terms,
		 (unsigned long long)ts->st.bytes, ts->st.retokenized_all);
end:
	if ((rc = rl_stage_end(db, &stg, rc, counts)) == RL_OK && st)
		*st = ts->st;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_buf_free(&stored);
	rl_buf_free(&params);
	free(ts->term);
	rl_buf_free(&ts->text);
	rl_buf_free(&ts->ext);
	rl_strmap_free(ts->terms);
	for (int t = 0; ts->part && t < ts->threads; t++) {
		rl_tokenizer_free(ts->part[t].tk);
		rl_buf_free(&ts->part[t].toks);
	}
	free(ts->part);
	free(ts);
	return rc;
}
