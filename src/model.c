/*
 * model.c - the trained labeller as an object of its own (rl_model): made
 * from one of the store's models, saved to and loaded from one binary
 * file, and used to label texts with no store and no lexicon folder.
 * Prediction through the store (predict.c) comes here too, so there is
 * one way a text becomes labels:
 *   tokens (the model's lexicons) -> term indexes -> a TF-IDF row (the
 *   model's features and idf) -> its LSA projection -> softmax of the
 *   linear classifier over both -> temperature -> the top labels.
 * Rules take no part: store prediction never used them (the classifier
 * learned from labels that rule votes had already shaped), so the model
 * carries none.
 *
 * The model file, format version 1. Numbers are little-endian and fixed
 * width: u8, u32, u64, i64, and f32, f64 as IEEE 754 bit patterns; a str
 * is a u32 byte count then the bytes (no NUL).
 *
 *   offset  size  field
 *   0       8     magic: 89 'R' 'L' 'M' 0D 0A 1A 0A (a high byte and
 *                 line ends, so a text-mode copy shows as damage)
 *   8       4     format version: 1
 *   12      4     number of sections
 *   16      8     file size in bytes, the trailer included
 *   24      4     reserved: 0
 *   28      4     CRC-32 of bytes 0..27
 *   32            the sections, each a u32 tag (four ASCII letters), a
 *                 u64 payload size and the payload
 *   size-4  4     CRC-32 (IEEE 802.3, as zlib's crc32) of every byte
 *                 before it
 *
 * Those 32 bytes keep their layout in every version, so a reader tells a
 * file of another version from a damaged one. Version 1 has the sections
 * below, each once, in any order; a reader skips sections it does not
 * know (a later change that old readers must not skip bumps the version):
 *
 *   INFO  made_by str (revlab version that wrote the file), created str
 *         (when the store trained the model, UTC), store_id i64
 *   TOKN  tokenizer str (its rules' version: tokens made under another
 *         may differ), language str, stopwords u8, stem u8, negation u8
 *         (0 none, 1 not_ marks; 2 in version 3 only),
 *         min_len u32, then for stopwords.txt, negations.txt and stemmer
 *         in turn: present u8, content str (the file's bytes)
 *   LABL  n u32, n label names str
 *   VOCA  n_terms u32, n_terms terms str; a term's place is its index
 *   FEAT  n_features u32, ngram_max u32, sublinear u8, then per feature
 *         term_a u32, term_b u32 (FFFFFFFF for a unigram), idf f32, in
 *         ascending (term_a, term_b) order
 *   CLSF  kind str ("logreg", "nb", "cnb", "pool"), temperature f64, n_cols u32
 *         (n_features + dim), n_labels u32, weights f64[n_cols + 1]
 *         [n_labels] row-major, the last row the biases
 *   PROJ  dim u32, n_rows u32, the features with a non-zero LSA row
 *         u32[n_rows] ascending, those rows f32[n_rows][dim]
 *
 * A text's probabilities are softmax(x W + b) over x = its TF-IDF row
 * then its LSA row, tempered as softmax(log p / temperature).
 *
 * Format version 2 is version 1 and one more section, for a model of a
 * multi-label store (a file of a single-label one stays version 1, so
 * older readers read it; they refuse a version-2 file, which they would
 * misread):
 *
 *   MULT  n_labels u32, thresholds f64[n_labels]
 *   RULE  (only when the rules count) rule_weight f64, then per label
 *         the rules' log-odds f64 where one fires and f64 where none
 *         does, n_rules u32, per rule label u32 and pattern str (a
 *         PCRE2 pattern, or a '?' expression of regexes and word lists
 *         written in, rules.h; rules that test metadata stay out)
 *
 * Its probabilities are per label, independent: sigmoid((z +
 * rule_weight llr) / temperature) with z = x W + b (capped at
 * logit(1 - 1e-6) either way) and llr the label's rules' log-odds as
 * they fire on the text or not; a text is given each label whose
 * probability reaches the label's threshold, and its likeliest when none
 * does.
 *
 * Format version 3 is either of those whose TOKN says negation 2 (a word
 * in a negation's scope kept as it is, its not_ form after the clause);
 * 0 and 1 are the only values below version 3. Only such a model is
 * written as version 3, so older readers refuse it by its version where
 * they would call the value damaged.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "lexicon.h"
#include "model.h"
#include "rules.h"
#include "store.h"

#define FORMAT_VERSION 3u	/* the newest this library reads */
#define FORMAT_SINGLE 1u	/* what a single-label model is written as */
#define FORMAT_MULTI 2u		/* ... a multi-label one */
#define FORMAT_NEGATION 3u	/* ... either, keeping negated words */
#define HEADER 32
static const unsigned char magic[8] = {
	0x89, 'R', 'L', 'M', 0x0d, 0x0a, 0x1a, 0x0a
};

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | \
			 (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
enum { S_INFO, S_TOKN, S_LABL, S_VOCA, S_FEAT, S_CLSF, S_PROJ, S_MULT,
       S_RULE, N_SECTIONS };
/* The sections every file has; S_MULT only a multi-label model's. */
#define N_REQUIRED S_MULT
static const uint32_t section_tags[N_SECTIONS] = {
	[S_INFO] = TAG('I', 'N', 'F', 'O'),
	[S_TOKN] = TAG('T', 'O', 'K', 'N'),
	[S_LABL] = TAG('L', 'A', 'B', 'L'),
	[S_VOCA] = TAG('V', 'O', 'C', 'A'),
	[S_FEAT] = TAG('F', 'E', 'A', 'T'),
	[S_CLSF] = TAG('C', 'L', 'S', 'F'),
	[S_PROJ] = TAG('P', 'R', 'O', 'J'),
	[S_MULT] = TAG('M', 'U', 'L', 'T'),
	[S_RULE] = TAG('R', 'U', 'L', 'E'),
};

/* The projection is held dense, [n_features][dim]; the vectorizer never
 * makes more than 1000 dimensions, and the bound keeps a hostile file
 * from asking for more memory than about 300 times its size. */
#define MAX_DIM 1000

/* Texts labelled together: TF-IDF and LSA run on a chunk at a time. */
#define CHUNK 256

struct rl_model {
	char *kind;		/* "logreg", "nb", "cnb" or "pool" */
	char *made_by;		/* revlab version that made it */
	char *created;		/* when the store trained it */
	int64_t store_id;
	/* tokenizer */
	char *language;
	int stopwords, stem, negation, min_len;
	rl_lexicon_files lex;	/* the lexicon files' bytes */
	rl_tokenizer *tk;	/* made from them; predictors clone it */
	/* vocabulary */
	uint32_t n_terms;
	rl_buf term_bytes;	/* the terms one after another */
	uint64_t *term_off;	/* [n_terms + 1] into term_bytes */
	rl_strmap *terms;	/* term -> its index */
	rl_tfidf tf;		/* features over term indexes */
	rl_tfidf_index *ix;
	int ngram_max;
	rl_lsa lsa;		/* [n_features][dim], live set */
	/* classifier */
	uint32_t n_labels;
	char **labels;		/* [n_labels] */
	double temperature;
	uint32_t n_cols;	/* n_features + dim */
	double *weights;	/* [n_cols + 1][n_labels] */
	/* a multi-label model's per-label thresholds [n_labels]; NULL for
	 * a single-label one */
	double *thresholds;
	/* and the rules it adds (rule_weight > 0 and n_rules > 0) */
	double rule_weight;
	double *llr;		/* [n_labels][2]: fired, silent */
	uint32_t n_rules;
	uint32_t *rule_label;	/* [n_rules] */
	char **rule_pattern;	/* [n_rules] */
};

/* Whether the model adds its rules' evidence. */
static int has_rules(const rl_model *m)
{
	return m->thresholds && m->rule_weight > 0 && m->n_rules > 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint32_t rl_crc32(uint32_t crc, const void *p, size_t n)
{
	/* A table per call: 2 KiB of work, nothing global to share, and a
	 * lookup a byte over the whole file. */
	uint32_t t[256];
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		t[i] = c;
	}
	const unsigned char *s = p;
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = t[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void rl_model_free(rl_model *m)
{
	if (!m)
		return;
	free(m->kind);
	free(m->made_by);
	free(m->created);
	free(m->language);
	rl_lexicon_files_free(&m->lex);
	rl_tokenizer_free(m->tk);
	rl_buf_free(&m->term_bytes);
	free(m->term_off);
	rl_strmap_free(m->terms);
	rl_tfidf_free(&m->tf);
	rl_tfidf_index_free(m->ix);
	rl_lsa_free(&m->lsa);
	for (uint32_t l = 0; m->labels && l < m->n_labels; l++)
		free(m->labels[l]);
	free(m->labels);
	free(m->weights);
	free(m->thresholds);
	free(m->llr);
	free(m->rule_label);
	for (uint32_t r = 0; m->rule_pattern && r < m->n_rules; r++)
		free(m->rule_pattern[r]);
	free(m->rule_pattern);
	free(m);
}

const double *rl_model_thresholds(const rl_model *m)
{
	return m ? m->thresholds : NULL;
}

size_t rl_model_rules(const rl_model *m, double *weight)
{
	int on = m && has_rules(m);
	if (weight)
		*weight = on ? m->rule_weight : 0;
	return on ? m->n_rules : 0;
}

/* What both ways of making a model share once its parts are in place:
 * the term map, the feature index and the tokenizer. Messages about the
 * lexicons name them by origin. */
static int finish(rl_model *m, const char *origin, const char *damaged,
		  char *err, size_t errlen)
{
	int rc = rl_strmap_new(&m->terms);
	for (uint32_t t = 0; rc == RL_OK && t < m->n_terms; t++) {
		const char *s = m->term_bytes.data + m->term_off[t];
		size_t len = (size_t)(m->term_off[t + 1] - m->term_off[t]);
		if (rl_strmap_get(m->terms, s, len) >= 0) {
			set_err(err, errlen, "%s: damaged: term %u repeats",
				damaged, t);
			return RL_EINPUT;
		}
		rc = rl_strmap_put(m->terms, s, len, t);
	}
	if (rc == RL_OK)
		rc = rl_tfidf_index_new(&m->tf, &m->ix);
	if (rc != RL_OK) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	to.language = m->language;
	to.stopwords = m->stopwords;
	to.stem = m->stem;
	to.negation = m->negation;
	to.min_len = m->min_len;
	return rl_tokenizer_new_files(&to, &m->lex, origin, &m->tk, err,
				      errlen);
}

/* ---- from the store ---- */

/* The terms features use, renumbered in id order (so features stay
 * sorted by their terms). */
typedef struct term_pass {
	rl_model *m;
	const uint8_t *used;	/* [n_used] */
	size_t n_used;
	uint32_t *remap;	/* [n_used] store id -> index */
} term_pass;

static int on_term(void *ctx, int64_t id, const char *t)
{
	term_pass *tp = ctx;
	rl_model *m = tp->m;
	if (id < 0 || (uint64_t)id >= tp->n_used || !tp->used[id])
		return RL_OK;
	if (rl_buf_append(&m->term_bytes, t, strlen(t)) != RL_OK)
		return RL_ENOMEM;
	tp->remap[id] = m->n_terms;
	m->term_off[++m->n_terms] = m->term_bytes.len;
	return RL_OK;
}

/* The vocabulary of the store's features: m->tf's term ids become
 * indexes into m's own term list. */
static int take_terms(rl_db *db, rl_model *m)
{
	uint8_t *used = NULL;
	uint32_t *remap = NULL;
	uint32_t top = 0, n_used = 0;
	int rc = RL_ENOMEM;
	rl_tfidf *tf = &m->tf;
	for (uint32_t f = 0; f < tf->n_features; f++) {
		if (tf->term_a[f] > top)
			top = tf->term_a[f];
		if (tf->term_b[f] != RL_NO_TERM && tf->term_b[f] > top)
			top = tf->term_b[f];
	}
	if (!(used = calloc((size_t)top + 1, 1)) ||
	    !(remap = malloc(((size_t)top + 1) * sizeof *remap)))
		goto out;
	memset(remap, 0xff, ((size_t)top + 1) * sizeof *remap);
	for (uint32_t f = 0; f < tf->n_features; f++) {
		n_used += !used[tf->term_a[f]];
		used[tf->term_a[f]] = 1;
		if (tf->term_b[f] != RL_NO_TERM) {
			n_used += !used[tf->term_b[f]];
			used[tf->term_b[f]] = 1;
		}
	}
	if (!(m->term_off = calloc((size_t)n_used + 1, sizeof *m->term_off)))
		goto out;
	term_pass tp = { m, used, (size_t)top + 1, remap };
	if ((rc = rl_store_terms_each(db, on_term, &tp)) != RL_OK)
		goto out;
	for (uint32_t f = 0; f < tf->n_features; f++) {
		uint32_t a = remap[tf->term_a[f]];
		uint32_t b = tf->term_b[f] == RL_NO_TERM ? RL_NO_TERM
							 : remap[tf->term_b[f]];
		if (a == UINT32_MAX || (b == UINT32_MAX &&
					tf->term_b[f] != RL_NO_TERM)) {
			rc = rl_fail(db, RL_EDB, "feature %u names a term the "
				     "store does not have", f);
			goto out;
		}
		tf->term_a[f] = a;
		tf->term_b[f] = b;
	}
out:
	free(used);
	free(remap);
	return rc;
}

/* A store made by revlab 1 keeps every row of the projection: mark the
 * rows that are not zero, as the file keeps only those. */
static int mark_live(rl_lsa *l)
{
	if (l->live)
		return RL_OK;
	if (!(l->live = calloc((size_t)l->n_cols + 1, 1)))
		return RL_ENOMEM;
	for (uint32_t c = 0; c < l->n_cols; c++) {
		const float *row = l->components + (size_t)c * l->dim;
		for (uint32_t k = 0; k < l->dim && !l->live[c]; k++)
			l->live[c] = row[k] != 0;
	}
	return RL_OK;
}

/* The tokenizer fingerprint the model's fit was made with ("... tok=
 * <16 hex digits> run=N"), or NULL if the fit does not say. */
static const char *fit_tokenizer(const char *fit)
{
	const char *t = strstr(fit, " tok=");
	if (!t || strspn(t + 5, "0123456789abcdef") != 16)
		return NULL;
	return t + 5;
}

typedef struct pattern_fill {
	rl_model *m;
	uint32_t n;
} pattern_fill;

static int on_pattern(void *ctx, int64_t i, const char *pattern)
{
	pattern_fill *f = ctx;
	if ((uint64_t)i >= f->m->n_rules)
		return RL_EDB;
	if (!(f->m->rule_pattern[i] = strdup(pattern)))
		return RL_ENOMEM;
	f->n++;
	return RL_OK;
}

/* A multi-label model's rules from its stored params (stage_label.c
 * writes them): the weight, the log-odds and the rules themselves. */
static int stored_rules(rl_db *db, rl_model *m, const char *params)
{
	double *w = NULL, *lab = NULL;
	size_t nw = 0, nl = 0, nlab = 0;
	uint32_t L = m->n_labels;
	int rc = rl_store_json_numbers(db, params, "$.rule_weight", &w, &nw);
	if (rc == RL_OK)
		rc = rl_store_json_numbers(db, params, "$.rule_llr", &m->llr,
					   &nl);
	if (rc == RL_OK)
		rc = rl_store_json_numbers(db, params, "$.rule_labels", &lab,
					   &nlab);
	if (rc != RL_OK)
		goto out;
	m->rule_weight = nw == 1 ? w[0] : 0;
	if (nl != 2 * (size_t)L) {
		/* a model made before the rules joined it: none */
		m->rule_weight = 0;
		goto out;
	}
	rc = RL_ENOMEM;
	m->rule_label = calloc(nlab + 1, sizeof *m->rule_label);
	m->rule_pattern = calloc(nlab + 1, sizeof *m->rule_pattern);
	if (!m->rule_label || !m->rule_pattern)
		goto out;
	m->n_rules = (uint32_t)nlab;
	for (size_t r = 0; r < nlab; r++)
		m->rule_label[r] = lab[r] >= 0 && lab[r] < L ? (uint32_t)lab[r]
							     : 0;
	pattern_fill f = { m, 0 };
	rc = rl_store_json_strings(db, params, "$.rule_patterns", on_pattern,
				   &f);
	if (rc == RL_OK && f.n != nlab)
		rc = rl_fail(db, RL_EDB, "model %lld: %u rule patterns for "
			     "%zu rules", (long long)m->store_id, f.n, nlab);
out:
	free(w);
	free(lab);
	return rc;
}

int rl_model_get(rl_db *db, int64_t id, rl_model **out)
{
	rl_stored_model sm;
	rl_buf fit = { 0 }, lang = { 0 }, dir = { 0 }, origin = { 0 };
	rl_model *m = NULL;
	char err[1024] = "";
	int rc;

	memset(&sm, 0, sizeof sm);
	if (!db)
		return RL_EINVAL;
	rl_clear_error(db);
	if (!out)
		return rl_fail(db, RL_EINVAL, "no place for the model");
	*out = NULL;
	if ((rc = rl_store_model_get(db, id, &sm)) != RL_OK)
		goto out;
	if ((rc = rl_store_setting_get(db, "vectorize_fit", &fit)) != RL_OK ||
	    strcmp(fit.data, sm.fit.data)) {
		rc = rl_fail_need(db, RL_EINPUT, RL_NEED_MODEL, "model %lld "
				  "was trained on vectors the store no longer "
				  "has", (long long)sm.id);
		goto out;
	}
	if (!(m = calloc(1, sizeof *m))) {
		rc = RL_ENOMEM;
		goto out;
	}
	/* The fit's identity records its settings: TF-IDF rows are made as
	 * they were for training. */
	const char *sl = strstr(fit.data, "sublinear=");
	const char *ng = strstr(fit.data, "ngram_max=");
	int sublinear = sl ? atoi(sl + 10) : 1;
	m->ngram_max = ng ? atoi(ng + 10) : 2;
	if ((rc = rl_store_vectorizer_load(db, 0, sublinear, &m->tf,
					   &m->lsa)) != RL_OK)
		goto out;
	if (m->tf.n_features + m->lsa.dim != sm.n_cols || sm.n_labels < 1 ||
	    sm.n_weights != (size_t)(sm.n_cols + 1) * sm.n_labels) {
		rc = rl_fail(db, RL_EDB, "model %lld does not match the "
			     "stored vocabulary", (long long)sm.id);
		goto out;
	}
	if (sm.thresholds && sm.n_thresholds != sm.n_labels) {
		rc = rl_fail(db, RL_EDB, "model %lld has %u thresholds for %u "
			     "labels", (long long)sm.id, sm.n_thresholds,
			     sm.n_labels);
		goto out;
	}
	m->thresholds = sm.thresholds;
	sm.thresholds = NULL;
	m->store_id = sm.id;
	m->temperature = sm.temperature;
	m->n_cols = sm.n_cols;
	m->n_labels = sm.n_labels;
	if (m->thresholds && (rc = stored_rules(db, m, sm.params.data)) !=
	    RL_OK)
		goto out;
	m->labels = sm.labels;
	m->weights = sm.weights;
	sm.labels = NULL;
	sm.weights = NULL;
	sm.n_labels = 0;
	rc = RL_ENOMEM;
	if (!(m->kind = strdup(sm.kind.data)) ||
	    !(m->created = strdup(sm.created.data ? sm.created.data : "")) ||
	    !(m->made_by = strdup(RL_VERSION)) ||
	    (rc = mark_live(&m->lsa)) != RL_OK ||
	    (rc = take_terms(db, m)) != RL_OK)
		goto out;

	rl_tokenize_opts to;
	rl_tokenize_opts_init(&to);
	if ((rc = rl_store_tokenizer_opts(db, &to, &lang, &dir)) != RL_OK)
		goto out;
	m->stopwords = to.stopwords != 0;
	m->stem = to.stem != 0;
	m->negation = rl_negation_mode(to.negation);
	m->min_len = to.min_len > 1 ? to.min_len : 1;
	if (!(m->language = strdup(to.language))) {
		rc = RL_ENOMEM;
		goto out;
	}
	if ((rc = rl_lexicon_read(&m->lex, to.lexicon_dir, to.language, err,
				  sizeof err)) != RL_OK ||
	    (rc = rl_buf_printf(&origin, "%s/%s/", to.lexicon_dir,
				to.language)) != RL_OK ||
	    (rc = finish(m, origin.data, "store", err, sizeof err)) !=
		    RL_OK) {
		rl_fail(db, rc, "%s", *err ? err : rl_strerror(rc));
		goto out;
	}
	/* Lexicons edited (or settings changed) since the fit would tokenize
	 * new text otherwise than the training text was, and the file would
	 * carry them. */
	const char *fp = fit_tokenizer(fit.data);
	if (fp && strncmp(fp, rl_tokenizer_fingerprint(m->tk), 16)) {
		rc = rl_fail_need(db, RL_EINPUT, RL_NEED_MODEL, "the "
				  "tokenizer's settings or its lexicons in %s "
				  "changed since model %lld was trained",
				  origin.data, (long long)m->store_id);
		goto out;
	}
	*out = m;
	m = NULL;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_model_free(m);
	rl_stored_model_free(&sm);
	rl_buf_free(&fit);
	rl_buf_free(&lang);
	rl_buf_free(&dir);
	rl_buf_free(&origin);
	return rc;
}

/* ---- writing ---- */

/* A growing file image; the first failure sticks. */
typedef struct wr {
	rl_buf b;
	int rc;
} wr;

static void w_bytes(wr *w, const void *p, size_t n)
{
	if (w->rc == RL_OK)
		w->rc = rl_buf_append(&w->b, p, n);
}

static void put32(unsigned char *q, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		q[i] = (unsigned char)(v >> 8 * i);
}

static void put64(unsigned char *q, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		q[i] = (unsigned char)(v >> 8 * i);
}

static void w_u8(wr *w, unsigned v)
{
	unsigned char q = (unsigned char)v;
	w_bytes(w, &q, 1);
}

static void w_u32(wr *w, uint32_t v)
{
	unsigned char q[4];
	put32(q, v);
	w_bytes(w, q, 4);
}

static void w_u64(wr *w, uint64_t v)
{
	unsigned char q[8];
	put64(q, v);
	w_bytes(w, q, 8);
}

static void w_f32(wr *w, float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	w_u32(w, u);
}

static void w_f64(wr *w, double f)
{
	uint64_t u;
	memcpy(&u, &f, sizeof u);
	w_u64(w, u);
}

static void w_str(wr *w, const char *s, size_t len)
{
	if (len > UINT32_MAX && w->rc == RL_OK)
		w->rc = RL_EINVAL;
	w_u32(w, (uint32_t)len);
	w_bytes(w, s, len);
}

static void w_cstr(wr *w, const char *s)
{
	w_str(w, s, strlen(s));
}

/* Starts a section; returns where its size goes. */
static size_t w_begin(wr *w, int sec)
{
	w_u32(w, section_tags[sec]);
	size_t at = w->b.len;
	w_u64(w, 0);
	return at;
}

static void w_end(wr *w, size_t at)
{
	if (w->rc == RL_OK)
		put64((unsigned char *)w->b.data + at, w->b.len - at - 8);
}

static void encode(const rl_model *m, wr *w)
{
	const rl_tfidf *tf = &m->tf;
	const rl_lsa *l = &m->lsa;
	size_t at;

	w_bytes(w, magic, sizeof magic);
	w_u32(w, m->negation == 2 ? FORMAT_NEGATION
		 : m->thresholds ? FORMAT_MULTI : FORMAT_SINGLE);
	w_u32(w, !m->thresholds ? N_REQUIRED : has_rules(m) ? N_SECTIONS
							     : N_SECTIONS - 1);
	w_u64(w, 0);		/* size, below */
	w_u32(w, 0);
	w_u32(w, 0);		/* header checksum, below */

	at = w_begin(w, S_INFO);
	w_cstr(w, m->made_by);
	w_cstr(w, m->created);
	w_u64(w, (uint64_t)m->store_id);
	w_end(w, at);

	at = w_begin(w, S_TOKN);
	w_cstr(w, rl_tokenizer_version());
	w_cstr(w, m->language);
	w_u8(w, (unsigned)m->stopwords);
	w_u8(w, (unsigned)m->stem);
	w_u8(w, (unsigned)m->negation);
	w_u32(w, (uint32_t)m->min_len);
	for (int i = 0; i < RL_LEX_FILES; i++) {
		w_u8(w, m->lex.present[i] != 0);
		w_str(w, m->lex.data[i].data, m->lex.data[i].len);
	}
	w_end(w, at);

	at = w_begin(w, S_LABL);
	w_u32(w, m->n_labels);
	for (uint32_t i = 0; i < m->n_labels; i++)
		w_cstr(w, m->labels[i]);
	w_end(w, at);

	at = w_begin(w, S_VOCA);
	w_u32(w, m->n_terms);
	for (uint32_t t = 0; t < m->n_terms; t++)
		w_str(w, m->term_bytes.data + m->term_off[t],
		      (size_t)(m->term_off[t + 1] - m->term_off[t]));
	w_end(w, at);

	at = w_begin(w, S_FEAT);
	w_u32(w, tf->n_features);
	w_u32(w, (uint32_t)m->ngram_max);
	w_u8(w, tf->sublinear != 0);
	for (uint32_t f = 0; f < tf->n_features; f++) {
		w_u32(w, tf->term_a[f]);
		w_u32(w, tf->term_b[f]);
		w_f32(w, tf->idf[f]);
	}
	w_end(w, at);

	at = w_begin(w, S_CLSF);
	w_cstr(w, m->kind);
	w_f64(w, m->temperature);
	w_u32(w, m->n_cols);
	w_u32(w, m->n_labels);
	for (size_t i = 0; i < (size_t)(m->n_cols + 1) * m->n_labels; i++)
		w_f64(w, m->weights[i]);
	w_end(w, at);

	at = w_begin(w, S_PROJ);
	uint32_t n_rows = 0;
	for (uint32_t c = 0; c < l->n_cols; c++)
		n_rows += l->live[c] != 0;
	w_u32(w, l->dim);
	w_u32(w, n_rows);
	for (uint32_t c = 0; c < l->n_cols; c++)
		if (l->live[c])
			w_u32(w, c);
	for (uint32_t c = 0; c < l->n_cols; c++)
		for (uint32_t k = 0; l->live[c] && k < l->dim; k++)
			w_f32(w, l->components[(size_t)c * l->dim + k]);
	w_end(w, at);

	if (m->thresholds) {
		at = w_begin(w, S_MULT);
		w_u32(w, m->n_labels);
		for (uint32_t k = 0; k < m->n_labels; k++)
			w_f64(w, m->thresholds[k]);
		w_end(w, at);
	}
	if (has_rules(m)) {
		at = w_begin(w, S_RULE);
		w_f64(w, m->rule_weight);
		for (uint32_t k = 0; k < 2 * m->n_labels; k++)
			w_f64(w, m->llr[k]);
		w_u32(w, m->n_rules);
		for (uint32_t r = 0; r < m->n_rules; r++) {
			w_u32(w, m->rule_label[r]);
			w_cstr(w, m->rule_pattern[r]);
		}
		w_end(w, at);
	}

	if (w->rc != RL_OK)
		return;
	unsigned char *h = (unsigned char *)w->b.data;
	put64(h + 16, (uint64_t)w->b.len + 4);
	put32(h + 28, rl_crc32(0, h, 28));
	w_u32(w, rl_crc32(0, w->b.data, w->b.len));
}

int rl_model_save(const rl_model *m, const char *path, char *err,
		  size_t errlen)
{
	wr w = { { 0 }, RL_OK };
	rl_outfile *o = NULL;
	int rc;

	if (!m || !path || !*path) {
		set_err(err, errlen, "no model or no path");
		return RL_EINVAL;
	}
	encode(m, &w);
	if ((rc = w.rc) != RL_OK) {
		set_err(err, errlen, "%s", rc == RL_ENOMEM ? "out of memory"
							   : rl_strerror(rc));
		goto out;
	}
	if ((rc = rl_outfile_open(path, &o, err, errlen)) != RL_OK)
		goto out;
	/* A short write shows in the stream's error state at commit. */
	(void)fwrite(w.b.data, 1, w.b.len, rl_outfile_stream(o));
	rc = rl_outfile_commit(o, err, errlen);
out:
	rl_buf_free(&w.b);
	return rc;
}

/* ---- reading ---- */

static uint32_t get32(const unsigned char *q)
{
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
	       (uint32_t)q[3] << 24;
}

static uint64_t get64(const unsigned char *q)
{
	return (uint64_t)get32(q) | (uint64_t)get32(q + 4) << 32;
}

/* Reads the file whole into b once its header says it is a model file
 * of this version and its size; checks the size and both checksums. */
static int read_model_file(const char *path, rl_buf *b, char *err,
			   size_t errlen)
{
	unsigned char head[HEADER];
	int rc = RL_EIO;
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return RL_EIO;
	}
	size_t got = fread(head, 1, HEADER, f);
	if (ferror(f)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = RL_EINPUT;
	if (memcmp(head, magic, got < sizeof magic ? got : sizeof magic)) {
		set_err(err, errlen, "%s: not a revlab model file", path);
		goto out;
	}
	if (got < HEADER) {
		set_err(err, errlen, "%s: truncated", path);
		goto out;
	}
	if (get32(head + 28) != rl_crc32(0, head, 28)) {
		set_err(err, errlen, "%s: damaged: checksum mismatch", path);
		goto out;
	}
	uint32_t version = get32(head + 8);
	if (version < FORMAT_SINGLE || version > FORMAT_VERSION) {
		set_err(err, errlen, "%s: model file format version %u; this "
			"library reads versions %u to %u", path, version,
			FORMAT_SINGLE, FORMAT_VERSION);
		rc = RL_EVERSION;
		goto out;
	}
	uint64_t size = get64(head + 16);
	if (size < HEADER + 4) {
		set_err(err, errlen, "%s: damaged: bad size", path);
		goto out;
	}
	/* In steps, not one allocation of what the header claims: memory
	 * follows the bytes really there. One byte past the size is read to
	 * see whether the file is longer. */
	uint64_t limit = size + 1;
	rc = rl_buf_append(b, head, HEADER);
	while (rc == RL_OK && b->len < limit) {
		uint64_t want = limit - b->len;
		if (want > (1u << 20))
			want = 1u << 20;
		if ((rc = rl_buf_reserve(b, (size_t)want)) != RL_OK)
			break;
		size_t k = fread(b->data + b->len, 1, (size_t)want, f);
		b->len += k;
		if (k < want)
			break;
	}
	if (rc != RL_OK) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	rc = RL_EIO;
	if (ferror(f)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = RL_EINPUT;
	if (b->len < size) {
		set_err(err, errlen, "%s: truncated", path);
		goto out;
	}
	if (b->len > size) {
		set_err(err, errlen, "%s: damaged: longer than its header "
			"says", path);
		goto out;
	}
	const unsigned char *d = (const unsigned char *)b->data;
	if (get32(d + size - 4) != rl_crc32(0, d, (size_t)size - 4)) {
		set_err(err, errlen, "%s: damaged: checksum mismatch", path);
		goto out;
	}
	rc = RL_OK;
out:
	fclose(f);
	return rc;
}

/* A bounded reader: taking more than is left marks it bad and yields
 * zeros, so a parser checks once at the end of a section. */
typedef struct rd {
	const unsigned char *p, *end;
	int bad;
} rd;

static uint64_t rd_left(const rd *r)
{
	return (uint64_t)(r->end - r->p);
}

static const unsigned char *rd_take(rd *r, uint64_t n)
{
	if (r->bad || n > rd_left(r)) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *q = r->p;
	r->p += n;
	return q;
}

static uint32_t rd_u8(rd *r)
{
	const unsigned char *q = rd_take(r, 1);
	return q ? *q : 0;
}

static uint32_t rd_u32(rd *r)
{
	const unsigned char *q = rd_take(r, 4);
	return q ? get32(q) : 0;
}

static uint64_t rd_u64(rd *r)
{
	const unsigned char *q = rd_take(r, 8);
	return q ? get64(q) : 0;
}

static float rd_f32(rd *r)
{
	uint32_t u = rd_u32(r);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static double rd_f64(rd *r)
{
	uint64_t u = rd_u64(r);
	double f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* A str's bytes (borrowed from the file) and length. */
static const unsigned char *rd_str(rd *r, size_t *len)
{
	uint32_t n = rd_u32(r);
	const unsigned char *q = rd_take(r, n);
	*len = q ? n : 0;
	return q;
}

/* A str as a new C string: RL_EINPUT if it holds a NUL or is not UTF-8
 * (or is empty, unless may_be_empty), RL_ENOMEM. */
static int rd_cstr(rd *r, int may_be_empty, char **out)
{
	size_t n;
	const unsigned char *q = rd_str(r, &n);
	if (!q || (!n && !may_be_empty) || memchr(q, 0, n) ||
	    rl_utf8_check((const char *)q, n) != n) {
		r->bad = 1;
		return RL_EINPUT;
	}
	return (*out = strndup((const char *)q, n)) ? RL_OK : RL_ENOMEM;
}

/* Each parser reads one section's payload and checks what it can; the
 * caller turns RL_EINPUT into "damaged: bad <tag> section". */

static int parse_info(rl_model *m, rd *r)
{
	int rc;
	if ((rc = rd_cstr(r, 1, &m->made_by)) != RL_OK ||
	    (rc = rd_cstr(r, 1, &m->created)) != RL_OK)
		return rc;
	m->store_id = (int64_t)rd_u64(r);
	return RL_OK;
}

static int parse_tokn(rl_model *m, rd *r, uint32_t version,
		      const char *path, char *err, size_t errlen)
{
	size_t n;
	const unsigned char *v = rd_str(r, &n);
	const char *mine = rl_tokenizer_version();
	if (v && (n != strlen(mine) || memcmp(v, mine, n))) {
		set_err(err, errlen, "%s: made for tokenizer %.*s; this "
			"library's is %s", path, (int)(n > 64 ? 64 : n),
			(const char *)v, mine);
		return RL_EVERSION;
	}
	int rc = rd_cstr(r, 0, &m->language);
	if (rc != RL_OK)
		return rc;
	uint32_t sw = rd_u8(r), st = rd_u8(r), ng = rd_u8(r);
	uint32_t min_len = rd_u32(r);
	if (sw > 1 || st > 1 || ng > 2 || (ng == 2 && version <
					     FORMAT_NEGATION) ||
	    min_len > 1000000)
		return RL_EINPUT;
	m->stopwords = (int)sw;
	m->stem = (int)st;
	m->negation = (int)ng;
	m->min_len = (int)min_len;
	for (int i = 0; i < RL_LEX_FILES; i++) {
		uint32_t present = rd_u8(r);
		const unsigned char *q = rd_str(r, &n);
		if (present > 1 || !q || (!present && n))
			return RL_EINPUT;
		m->lex.present[i] = (int)present;
		if (rl_buf_append(&m->lex.data[i], q, n) != RL_OK)
			return RL_ENOMEM;
	}
	return RL_OK;
}

static int parse_labl(rl_model *m, rd *r)
{
	uint32_t n = rd_u32(r);
	/* Every name takes at least its 4-byte length. */
	if (n < 1 || n > rd_left(r) / 4)
		return RL_EINPUT;
	if (!(m->labels = calloc(n, sizeof *m->labels)))
		return RL_ENOMEM;
	m->n_labels = n;
	for (uint32_t i = 0; i < n; i++) {
		int rc = rd_cstr(r, 0, &m->labels[i]);
		if (rc != RL_OK)
			return rc;
	}
	return RL_OK;
}

static int parse_voca(rl_model *m, rd *r)
{
	uint32_t n = rd_u32(r);
	/* n, one past the last index, is what an unknown word gets: it
	 * must not be RL_NO_TERM. */
	if (n > rd_left(r) / 4 || n >= RL_NO_TERM)
		return RL_EINPUT;
	if (!(m->term_off = calloc((size_t)n + 1, sizeof *m->term_off)))
		return RL_ENOMEM;
	for (uint32_t t = 0; t < n; t++) {
		size_t len;
		const unsigned char *q = rd_str(r, &len);
		if (!q || !len)
			return RL_EINPUT;
		if (rl_buf_append(&m->term_bytes, q, len) != RL_OK)
			return RL_ENOMEM;
		m->term_off[t + 1] = m->term_bytes.len;
	}
	m->n_terms = n;
	return RL_OK;
}

static int parse_feat(rl_model *m, rd *r)
{
	rl_tfidf *tf = &m->tf;
	uint32_t n = rd_u32(r);
	uint32_t ng = rd_u32(r), sub = rd_u8(r);
	if (n > rd_left(r) / 12 || ng < 1 || ng > 2 || sub > 1)
		return RL_EINPUT;
	m->ngram_max = (int)ng;
	tf->sublinear = (int)sub;
	size_t k = n ? n : 1;
	if (!(tf->term_a = malloc(k * sizeof *tf->term_a)) ||
	    !(tf->term_b = malloc(k * sizeof *tf->term_b)) ||
	    !(tf->idf = malloc(k * sizeof *tf->idf)))
		return RL_ENOMEM;
	uint64_t prev = 0;
	for (uint32_t f = 0; f < n; f++) {
		uint32_t a = rd_u32(r), b = rd_u32(r);
		float idf = rd_f32(r);
		/* Keys as the vectorizer sorts them, a unigram after its
		 * bigrams. */
		uint64_t key = (uint64_t)a << 32 | b;
		if (a >= m->n_terms || (b >= m->n_terms && b != RL_NO_TERM) ||
		    (f && key <= prev) || !isfinite(idf))
			return RL_EINPUT;
		prev = key;
		tf->term_a[f] = a;
		tf->term_b[f] = b;
		tf->idf[f] = idf;
	}
	tf->n_features = n;
	return RL_OK;
}

static int parse_clsf(rl_model *m, rd *r, const char *path, char *err,
		      size_t errlen)
{
	static const char *const kinds[] = { "logreg", "nb", "cnb", "pool" };
	const size_t n_kinds = sizeof kinds / sizeof *kinds;
	int rc = rd_cstr(r, 0, &m->kind);
	if (rc != RL_OK)
		return rc;
	size_t k = 0;
	while (k < n_kinds && strcmp(m->kind, kinds[k]))
		k++;
	if (k == n_kinds) {
		set_err(err, errlen, "%s: a \"%.32s\" model, which this "
			"library does not know", path, m->kind);
		return RL_EVERSION;
	}
	m->temperature = rd_f64(r);
	m->n_cols = rd_u32(r);
	uint32_t L = rd_u32(r);
	uint64_t n_w = ((uint64_t)m->n_cols + 1) * L;
	if (!isfinite(m->temperature) || !(m->temperature > 0) ||
	    L != m->n_labels || m->n_cols < m->tf.n_features ||
	    n_w != rd_left(r) / 8 || rd_left(r) % 8)
		return RL_EINPUT;
	if (!(m->weights = malloc((size_t)n_w * sizeof *m->weights)))
		return RL_ENOMEM;
	for (uint64_t i = 0; i < n_w; i++)
		if (!isfinite(m->weights[i] = rd_f64(r)))
			return RL_EINPUT;
	return RL_OK;
}

/* A multi-label model's thresholds, one per label, each in (0, 1]. */
static int parse_mult(rl_model *m, rd *r)
{
	if (rd_u32(r) != m->n_labels || rd_left(r) != (uint64_t)m->n_labels * 8)
		return RL_EINPUT;
	if (!(m->thresholds = malloc(((size_t)m->n_labels + 1) *
				     sizeof *m->thresholds)))
		return RL_ENOMEM;
	for (uint32_t l = 0; l < m->n_labels; l++) {
		double t = rd_f64(r);
		if (!(t > 0 && t <= 1))
			return RL_EINPUT;
		m->thresholds[l] = t;
	}
	return RL_OK;
}

/* The rules a multi-label model adds: every number finite, every label
 * one of the model's, every pattern one this PCRE2 compiles. */
static int parse_rule(rl_model *m, rd *r)
{
	uint32_t L = m->n_labels;
	if (!m->thresholds)
		return RL_EINPUT;
	m->rule_weight = rd_f64(r);
	if (!isfinite(m->rule_weight) || m->rule_weight < 0 ||
	    rd_left(r) < (uint64_t)L * 16 + 4)
		return RL_EINPUT;
	if (!(m->llr = malloc((2 * (size_t)L + 1) * sizeof *m->llr)))
		return RL_ENOMEM;
	for (uint32_t k = 0; k < 2 * L; k++)
		if (!isfinite(m->llr[k] = rd_f64(r)))
			return RL_EINPUT;
	uint32_t n = rd_u32(r);
	/* each rule takes 8 bytes at least */
	if (n > rd_left(r) / 8)
		return RL_EINPUT;
	m->rule_label = calloc((size_t)n + 1, sizeof *m->rule_label);
	m->rule_pattern = calloc((size_t)n + 1, sizeof *m->rule_pattern);
	if (!m->rule_label || !m->rule_pattern)
		return RL_ENOMEM;
	for (; m->n_rules < n; m->n_rules++) {
		uint32_t l = rd_u32(r);
		char **pat = &m->rule_pattern[m->n_rules];
		int rc = rd_cstr(r, 0, pat);
		if (rc != RL_OK)
			return rc;
		if (l >= L)
			return RL_EINPUT;
		m->rule_label[m->n_rules] = l;
		rl_matcher *x = NULL;
		char err[8];
		size_t off;
		rc = rl_matcher_new(*pat, &x, err, sizeof err, &off);
		rl_matcher_free(x);
		if (rc != RL_OK)
			return rc == RL_ENOMEM ? rc : RL_EINPUT;
	}
	return RL_OK;
}

static int parse_proj(rl_model *m, rd *r)
{
	rl_lsa *l = &m->lsa;
	uint32_t F = m->tf.n_features;
	uint32_t dim = rd_u32(r), n_rows = rd_u32(r);
	if (dim > MAX_DIM || m->n_cols - F != dim || n_rows > F ||
	    rd_left(r) != (uint64_t)n_rows * (4 + (uint64_t)dim * 4))
		return RL_EINPUT;
	l->dim = dim;
	l->n_cols = F;
	size_t cells = (size_t)F * dim;
	if (!(l->components = calloc(cells ? cells : 1, sizeof(float))) ||
	    !(l->live = calloc((size_t)F + 1, 1)))
		return RL_ENOMEM;
	rd cols = { r->p, r->p + (size_t)n_rows * 4, 0 };
	rd rows = { cols.end, r->end, 0 };
	uint32_t prev = 0;
	for (uint32_t i = 0; i < n_rows; i++) {
		uint32_t c = rd_u32(&cols);
		if (c >= F || (i && c <= prev))
			return RL_EINPUT;
		prev = c;
		l->live[c] = 1;
		float *row = l->components + (size_t)c * dim;
		for (uint32_t k = 0; k < dim; k++)
			if (!isfinite(row[k] = rd_f32(&rows)))
				return RL_EINPUT;
	}
	r->p = r->end;
	return RL_OK;
}

/* Parses the sections of a checked file image d[0..size). */
static int parse(rl_model *m, const char *path, const unsigned char *d,
		 uint64_t size, char *err, size_t errlen)
{
	rd sec[N_SECTIONS];
	int seen[N_SECTIONS] = { 0 };
	uint32_t n = get32(d + 12);
	rd r = { d + HEADER, d + size - 4, 0 };

	for (uint32_t i = 0; i < n && !r.bad; i++) {
		uint32_t tag = rd_u32(&r);
		uint64_t len = rd_u64(&r);
		const unsigned char *q = rd_take(&r, len);
		int s = 0;
		while (s < N_SECTIONS && section_tags[s] != tag)
			s++;
		if (!q || s == N_SECTIONS)
			continue;
		if (seen[s]++) {
			set_err(err, errlen, "%s: damaged: two %.4s sections",
				path, (const char *)q - 12);
			return RL_EINPUT;
		}
		sec[s] = (rd){ q, q + len, 0 };
	}
	if (r.bad || r.p != r.end) {
		set_err(err, errlen, "%s: damaged: bad section table", path);
		return RL_EINPUT;
	}
	for (int s = 0; s < N_REQUIRED; s++) {
		if (seen[s])
			continue;
		unsigned char t[4];
		put32(t, section_tags[s]);
		set_err(err, errlen, "%s: damaged: no %.4s section", path,
			(const char *)t);
		return RL_EINPUT;
	}
	/* In order of need: features name terms, the classifier's columns
	 * count features, the projection fills the rest. */
	for (int s = 0; s < N_SECTIONS; s++) {
		int rc;
		rd *q = &sec[s];
		if (!seen[s])
			continue;
		switch (s) {
		case S_INFO: rc = parse_info(m, q); break;
		case S_TOKN:
			rc = parse_tokn(m, q, get32(d + 8), path, err, errlen);
			break;
		case S_LABL: rc = parse_labl(m, q); break;
		case S_VOCA: rc = parse_voca(m, q); break;
		case S_FEAT: rc = parse_feat(m, q); break;
		case S_CLSF: rc = parse_clsf(m, q, path, err, errlen); break;
		case S_MULT: rc = parse_mult(m, q); break;
		case S_RULE: rc = parse_rule(m, q); break;
		default: rc = parse_proj(m, q); break;
		}
		if (rc == RL_OK && (q->bad || q->p != q->end))
			rc = RL_EINPUT;
		if (rc == RL_EINPUT) {
			unsigned char t[4];
			put32(t, section_tags[s]);
			set_err(err, errlen, "%s: damaged: bad %.4s section",
				path, (const char *)t);
		} else if (rc == RL_ENOMEM) {
			set_err(err, errlen, "out of memory");
		}
		if (rc != RL_OK)
			return rc;
	}
	return RL_OK;
}

int rl_model_load(const char *path, rl_model **out, char *err, size_t errlen)
{
	rl_buf file = { 0 }, origin = { 0 };
	rl_model *m = NULL;
	int rc;

	if (!out || !path) {
		set_err(err, errlen, "no path or no place for the model");
		return RL_EINVAL;
	}
	*out = NULL;
	if ((rc = read_model_file(path, &file, err, errlen)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	if (!(m = calloc(1, sizeof *m))) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = parse(m, path, (const unsigned char *)file.data, file.len,
			err, errlen)) != RL_OK)
		goto out;
	if ((rc = rl_buf_printf(&origin, "%s: lexicon %s/", path,
				m->language)) != RL_OK) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = finish(m, origin.data, path, err, errlen)) != RL_OK)
		goto out;
	*out = m;
	m = NULL;
out:
	rl_model_free(m);
	rl_buf_free(&file);
	rl_buf_free(&origin);
	return rc;
}

/* ---- what it is ---- */

size_t rl_model_n_labels(const rl_model *m)
{
	return m ? m->n_labels : 0;
}

const char *rl_model_label(const rl_model *m, size_t i)
{
	return m && i < m->n_labels ? m->labels[i] : NULL;
}

const char *rl_model_kind(const rl_model *m)
{
	return m ? m->kind : NULL;
}

void rl_model_describe(const rl_model *m, rl_model_info *info)
{
	memset(info, 0, sizeof *info);
	if (!m)
		return;
	info->kind = m->kind;
	info->made_by = m->made_by;
	info->created = m->created;
	info->store_id = m->store_id;
	info->language = m->language;
	info->stopwords = m->stopwords;
	info->stem = m->stem;
	info->negation = m->negation;
	info->min_len = m->min_len;
	info->n_labels = m->n_labels;
	info->n_terms = m->n_terms;
	info->n_features = m->tf.n_features;
	info->ngram_max = m->ngram_max;
	info->sublinear = m->tf.sublinear;
	info->dim = m->lsa.dim;
	info->temperature = m->temperature;
}

/* ---- prediction ---- */

typedef struct ranked {
	double p;
	uint32_t l;
} ranked;

struct rl_predictor {
	const rl_model *m;
	rl_tokenizer *tk;	/* a clone of the model's */
	uint32_t *tok;		/* the chunk's term indexes */
	size_t n_tok, cap_tok;
	int rc;			/* of the token callback */
	uint64_t off[CHUNK + 1];	/* text i: tok[off[i] .. off[i+1]) */
	float *z;		/* [CHUNK][dim] LSA rows */
	rl_csr row;		/* one text's row: TF-IDF then LSA */
	uint64_t cap_row;
	double *prob;		/* [n_labels] */
	ranked *rk;		/* [n_labels] */
	rl_matcher **rules;	/* [n_rules], when the model adds them */
	uint8_t *fired;		/* [n_labels] */
};

void rl_predictor_free(rl_predictor *p)
{
	if (!p)
		return;
	rl_tokenizer_free(p->tk);
	free(p->tok);
	free(p->z);
	rl_csr_free(&p->row);
	free(p->prob);
	free(p->rk);
	for (uint32_t r = 0; p->rules && r < p->m->n_rules; r++)
		rl_matcher_free(p->rules[r]);
	free(p->rules);
	free(p->fired);
	free(p);
}

int rl_predictor_new(const rl_model *m, rl_predictor **out)
{
	rl_predictor *p = calloc(1, sizeof *p);
	int rc = RL_ENOMEM;
	*out = NULL;
	if (!p)
		return rc;
	p->m = m;
	p->row.n_rows = 1;
	p->row.n_cols = m->n_cols;
	if (!(p->row.indptr = calloc(2, sizeof *p->row.indptr)) ||
	    !(p->z = malloc(((size_t)CHUNK * m->lsa.dim + 1) *
			    sizeof *p->z)) ||
	    !(p->prob = malloc(((size_t)m->n_labels + 1) *
			       sizeof *p->prob)) ||
	    !(p->rk = malloc(((size_t)m->n_labels + 1) * sizeof *p->rk)) ||
	    (rc = rl_tokenizer_clone(m->tk, &p->tk)) != RL_OK) {
		rl_predictor_free(p);
		return RL_ENOMEM;
	}
	/* Each predictor its own matchers: PCRE2's match data is per
	 * thread. The patterns compiled when the model was made. */
	if (has_rules(m)) {
		if (!(p->rules = calloc(m->n_rules, sizeof *p->rules)) ||
		    !(p->fired = malloc((size_t)m->n_labels + 1))) {
			rl_predictor_free(p);
			return RL_ENOMEM;
		}
		for (uint32_t r = 0; r < m->n_rules; r++) {
			char err[8];
			size_t off;
			if ((rc = rl_matcher_new(m->rule_pattern[r],
						 &p->rules[r], err, sizeof err,
						 &off)) != RL_OK) {
				rl_predictor_free(p);
				return rc == RL_ENOMEM ? rc : RL_EINPUT;
			}
		}
	}
	*out = p;
	return RL_OK;
}

static void on_token(void *ctx, const char *t, size_t len)
{
	rl_predictor *p = ctx;
	if (p->rc != RL_OK)
		return;
	if (p->n_tok == p->cap_tok) {
		size_t cap = p->cap_tok ? p->cap_tok * 2 : 1024;
		uint32_t *a = realloc(p->tok, cap * sizeof *a);
		if (!a) {
			p->rc = RL_ENOMEM;
			return;
		}
		p->tok = a;
		p->cap_tok = cap;
	}
	int64_t id = rl_strmap_get(p->m->terms, t, len);
	/* An unknown word still separates its neighbours: it gets an index
	 * no feature uses, so it forms no bigram with them. */
	p->tok[p->n_tok++] = id >= 0 ? (uint32_t)id : p->m->n_terms;
}

/* Sorts rk[L] by probability, highest first, ties by label: insertion
 * sort, as L is a handful of labels. */
static void rank_labels(ranked *rk, uint32_t L)
{
	for (uint32_t i = 1; i < L; i++) {
		ranked x = rk[i];
		uint32_t j = i;
		for (; j > 0 && (rk[j - 1].p < x.p ||
				 (rk[j - 1].p == x.p && rk[j - 1].l > x.l));
		     j--)
			rk[j] = rk[j - 1];
		rk[j] = x;
	}
}

/* Which labels' rules match the text, into p->fired. A match that
 * fails (a limit hit) counts as none, as the stage does not store it. */
static void rules_fired(rl_predictor *p, const char *text, size_t len)
{
	const rl_model *m = p->m;
	/* predict_chunk's texts are checked UTF-8 already */
	int valid = 1;
	memset(p->fired, 0, m->n_labels);
	for (uint32_t r = 0; r < m->n_rules; r++) {
		size_t a, b;
		char err[8];
		if (!p->fired[m->rule_label[r]] &&
		    rl_matcher_find_in(p->rules[r], text, len, &valid, NULL,
				       &a, &b, err, sizeof err) > 0)
			p->fired[m->rule_label[r]] = 1;
	}
}

/* Labels texts[0..n), n <= CHUNK, all valid UTF-8. */
static int predict_chunk(rl_predictor *p, const char *const *texts,
			 const size_t *lens, size_t n, int top,
			 int32_t *labels, double *conf)
{
	const rl_model *m = p->m;
	uint32_t L = m->n_labels, dim = m->lsa.dim;
	rl_csr x = { 0 };
	int rc = RL_OK;

	p->n_tok = 0;
	p->rc = RL_OK;
	for (size_t i = 0; i < n && rc == RL_OK; i++) {
		p->off[i] = p->n_tok;
		rc = rl_tokenize_text(p->tk, texts[i], lens[i], on_token, p);
		if (rc == RL_OK)
			rc = p->rc;
	}
	if (rc != RL_OK)
		goto out;
	p->off[n] = p->n_tok;
	rl_docs d = { p->tok, p->off, (uint32_t)n };
	if ((rc = rl_tfidf_transform(&m->tf, m->ix, &d, m->ngram_max, &x,
				     NULL)) != RL_OK ||
	    (rc = rl_lsa_transform(&m->lsa, &x, 1, p->z, NULL)) != RL_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = x.indptr[i], k = x.indptr[i + 1] - a;
		uint64_t nnz = k + dim;
		if (nnz > p->cap_row) {
			uint64_t cap = nnz * 2;
			uint32_t *ind = realloc(p->row.indices,
						cap * sizeof *ind);
			if (ind)
				p->row.indices = ind;
			float *val = realloc(p->row.values, cap * sizeof *val);
			if (val)
				p->row.values = val;
			rc = RL_ENOMEM;
			if (!ind || !val)
				goto out;
			rc = RL_OK;
			p->cap_row = cap;
		}
		/* A text of unknown words has an empty TF-IDF row. */
		if (k) {
			memcpy(p->row.indices, x.indices + a,
			       k * sizeof *p->row.indices);
			memcpy(p->row.values, x.values + a,
			       k * sizeof *p->row.values);
		}
		const float *z = p->z + i * dim;
		for (uint32_t c = 0; c < dim; c++) {
			p->row.indices[k + c] = m->tf.n_features + c;
			p->row.values[k + c] = z[c];
		}
		p->row.indptr[1] = nnz;
		if (m->thresholds) {
			rl_linear_logits(&p->row, 0, m->weights, L, p->prob);
			if (has_rules(m))
				rules_fired(p, texts[i], lens[i]);
			for (uint32_t l = 0; l < L; l++) {
				double z = p->prob[l];
				if (has_rules(m))
					z = rl_rules_mix_logit(z,
						m->rule_weight, m->llr + 2 * l,
						p->fired[l]);
				z /= m->temperature;
				p->prob[l] = z >= 0 ? 1 / (1 + exp(-z))
					     : exp(z) / (1 + exp(z));
			}
		} else {
			rl_logreg_predict(&p->row, 0, m->weights, L, p->prob);
			if (m->temperature != 1)
				rl_temper(p->prob, L, m->temperature);
		}
		for (uint32_t l = 0; l < L; l++)
			p->rk[l] = (ranked){ p->prob[l], l };
		rank_labels(p->rk, L);
		int32_t *lab = labels + i * (size_t)top;
		double *cf = conf + i * (size_t)top;
		for (int j = 0; j < top; j++) {
			lab[j] = (int32_t)p->rk[j].l;
			cf[j] = p->rk[j].p;
		}
	}
out:
	rl_csr_free(&x);
	return rc;
}

int rl_predictor_run(rl_predictor *p, const char *const *texts,
		     const size_t *lens, size_t n, int top, int32_t *labels,
		     double *conf, char *err, size_t errlen)
{
	const rl_model *m = p->m;
	size_t len[CHUNK];
	if (n && (!texts || !labels || !conf)) {
		set_err(err, errlen, "no texts or no room for the labels");
		return RL_EINVAL;
	}
	if (top < 1 || (uint32_t)top > m->n_labels) {
		set_err(err, errlen, "top is 1 to %u, not %d", m->n_labels,
			top);
		return RL_EINVAL;
	}
	/* Every text first, so a bad one labels nothing. */
	for (size_t i = 0; i < n; i++) {
		size_t k = lens ? lens[i] : texts[i] ? strlen(texts[i]) : 0;
		if (!texts[i] && k) {
			set_err(err, errlen, "text %zu: NULL", i);
			return RL_EINVAL;
		}
		if (rl_utf8_check(texts[i], k) != k) {
			set_err(err, errlen, "text %zu: not valid UTF-8", i);
			return RL_EINPUT;
		}
	}
	for (size_t i = 0; i < n; i += CHUNK) {
		size_t c = n - i < CHUNK ? n - i : CHUNK;
		for (size_t j = 0; j < c; j++)
			len[j] = lens ? lens[i + j]
				      : texts[i + j] ? strlen(texts[i + j]) : 0;
		int rc = predict_chunk(p, texts + i, len, c, top,
				       labels + i * (size_t)top,
				       conf + i * (size_t)top);
		if (rc != RL_OK) {
			set_err(err, errlen, "%s", rc == RL_ENOMEM
				? "out of memory" : rl_strerror(rc));
			return rc;
		}
	}
	return RL_OK;
}

int rl_model_predict(const rl_model *m, const char *const *texts,
		     const size_t *lens, size_t n, int top, int32_t *labels,
		     double *conf, char *err, size_t errlen)
{
	rl_predictor *p = NULL;
	if (!m) {
		set_err(err, errlen, "no model");
		return RL_EINVAL;
	}
	int rc = rl_predictor_new(m, &p);
	if (rc != RL_OK) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	rc = rl_predictor_run(p, texts, lens, n, top, labels, conf, err,
			      errlen);
	rl_predictor_free(p);
	return rc;
}
