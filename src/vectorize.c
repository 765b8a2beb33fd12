/*
 * vectorize.c - the TF-IDF kernel: a vocabulary of unigrams and bigrams
 * of token ids with document frequencies, and L2-normalised TF-IDF rows.
 *
 * Features are keyed by (term_a << 32 | term_b) in an open-addressing
 * table while counting, a batch of documents at a time if the caller
 * streams them; the fitted vocabulary is sorted by key so feature
 * numbers do not depend on hash order. Also the draw of a sample from a
 * stream of known length (the reviews LSA learns from).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

void rl_csr_free(rl_csr *m)
{
	if (!m)
		return;
	free(m->indptr);
	free(m->indices);
	free(m->values);
	memset(m, 0, sizeof *m);
}

void rl_token_set_free(rl_token_set *t)
{
	if (!t)
		return;
	free(t->review_ids);
	free(t->tokens);
	free(t->doc_off);
	memset(t, 0, sizeof *t);
}

void rl_vector_set_free(rl_vector_set *v)
{
	if (!v)
		return;
	free(v->review_ids);
	free(v->dense);
	rl_csr_free(&v->csr);
	memset(v, 0, sizeof *v);
}

void rl_tfidf_free(rl_tfidf *m)
{
	if (!m)
		return;
	free(m->term_a);
	free(m->term_b);
	free(m->df);
	free(m->idf);
	memset(m, 0, sizeof *m);
}

/* ---- a uint64 -> uint32 table ---- */

typedef struct keymap {
	uint64_t *keys;		/* UINT64_MAX marks an empty slot */
	uint32_t *vals;
	size_t cap, n;
} keymap;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int keymap_init(keymap *m, size_t cap)
{
	m->cap = 1024;
	while (m->cap < cap * 2)
		m->cap *= 2;
	m->n = 0;
	m->keys = malloc(m->cap * sizeof *m->keys);
	m->vals = malloc(m->cap * sizeof *m->vals);
	if (!m->keys || !m->vals)
		return RL_ENOMEM;
	memset(m->keys, 0xff, m->cap * sizeof *m->keys);
	return RL_OK;
}

static void keymap_free(keymap *m)
{
	free(m->keys);
	free(m->vals);
}

static size_t keymap_slot(const keymap *m, uint64_t key)
{
	size_t i = mix(key) & (m->cap - 1);
	while (m->keys[i] != UINT64_MAX && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int keymap_grow(keymap *m)
{
	keymap bigger;
	if (keymap_init(&bigger, m->cap) != RL_OK) {
		keymap_free(&bigger);
		return RL_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == UINT64_MAX)
			continue;
		size_t j = keymap_slot(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
	}
	bigger.n = m->n;
	keymap_free(m);
	*m = bigger;
	return RL_OK;
}

/* ---- fit ---- */

#define KEY(a, b) (((uint64_t)(a) << 32) | (uint32_t)(b))

struct rl_df_count {
	keymap map;		/* key -> candidate index */
	uint64_t *key;		/* [n] */
	uint32_t *df, *last;	/* [n]; last: 1 + last doc counted */
	size_t n, cap;
	uint32_t n_docs;	/* documents counted so far */
	int ngram_max;
};

static int count_key(rl_df_count *c, uint64_t key, uint32_t doc)
{
	if ((c->map.n + 1) * 2 > c->map.cap && keymap_grow(&c->map) != RL_OK)
		return RL_ENOMEM;
	size_t s = keymap_slot(&c->map, key);
	if (c->map.keys[s] == UINT64_MAX) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			uint64_t *k = realloc(c->key, cap * sizeof *k);
			if (!k)
				return RL_ENOMEM;
			c->key = k;
			uint32_t *d = realloc(c->df, cap * sizeof *d);
			if (!d)
				return RL_ENOMEM;
			c->df = d;
			uint32_t *l = realloc(c->last, cap * sizeof *l);
			if (!l)
				return RL_ENOMEM;
			c->last = l;
			c->cap = cap;
		}
		c->map.keys[s] = key;
		c->map.vals[s] = (uint32_t)c->n;
		c->map.n++;
		c->key[c->n] = key;
		c->df[c->n] = 0;
		c->last[c->n] = 0;
		c->n++;
	}
	uint32_t idx = c->map.vals[s];
	if (c->last[idx] != doc + 1) {
		c->last[idx] = doc + 1;
		c->df[idx]++;
	}
	return RL_OK;
}

int rl_df_count_new(int ngram_max, rl_df_count **out)
{
	rl_df_count *c = calloc(1, sizeof *c);
	*out = NULL;
	if (!c)
		return RL_ENOMEM;
	c->ngram_max = ngram_max;
	if (keymap_init(&c->map, 1 << 16) != RL_OK) {
		rl_df_count_free(c);
		return RL_ENOMEM;
	}
	*out = c;
	return RL_OK;
}

void rl_df_count_free(rl_df_count *c)
{
	if (!c)
		return;
	keymap_free(&c->map);
	free(c->key);
	free(c->df);
	free(c->last);
	free(c);
}

uint32_t rl_df_count_docs(const rl_df_count *c)
{
	return c->n_docs;
}

int rl_df_count_add(rl_df_count *c, const rl_docs *docs, rl_tick *tick,
		    uint64_t total)
{
	if (docs->n_docs > UINT32_MAX - 1 - c->n_docs)
		return RL_EINVAL;
	for (uint32_t d = 0; d < docs->n_docs; d++) {
		/* No token at all: tokens may be NULL, and NULL + 0 is
		 * undefined. */
		const uint32_t *t = docs->tokens ? docs->tokens +
				    docs->doc_off[d] : NULL;
		uint64_t len = docs->doc_off[d + 1] - docs->doc_off[d];
		uint32_t g = c->n_docs + d;
		/* 4096 reviews are a few milliseconds. */
		if (g > 0 && (g & 4095) == 0 &&
		    rl_tick_step(tick, g, total) != RL_OK)
			return RL_ECANCELED;
		for (uint64_t i = 0; i < len; i++) {
			if (count_key(c, KEY(t[i], RL_NO_TERM), g) != RL_OK)
				return RL_ENOMEM;
			if (c->ngram_max >= 2 && i + 1 < len &&
			    count_key(c, KEY(t[i], t[i + 1]), g) != RL_OK)
				return RL_ENOMEM;
		}
	}
	c->n_docs += docs->n_docs;
	return RL_OK;
}

typedef struct cand {
	uint64_t key;
	uint32_t df;
} cand;

static int by_df_desc(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_key(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

int rl_df_count_vocab(const rl_df_count *c, const rl_vectorize_opts *o,
		      rl_tfidf *out)
{
	uint32_t n_docs = c->n_docs;
	int rc = RL_ENOMEM;
	memset(out, 0, sizeof *out);
	double max_df = o->max_df * n_docs;
	cand *keep = malloc((c->n ? c->n : 1) * sizeof *keep);
	if (!keep)
		goto out;
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->df[i] >= (uint32_t)o->min_df && c->df[i] <= max_df)
			keep[n++] = (cand){ c->key[i], c->df[i] };
	if (o->max_features > 0 && n > (size_t)o->max_features) {
		qsort(keep, n, sizeof *keep, by_df_desc);
		n = (size_t)o->max_features;
	}
	qsort(keep, n, sizeof *keep, by_key);

	out->n_features = (uint32_t)n;
	out->n_docs = n_docs;
	out->sublinear = o->sublinear;
	out->term_a = malloc((n ? n : 1) * sizeof *out->term_a);
	out->term_b = malloc((n ? n : 1) * sizeof *out->term_b);
	out->df = malloc((n ? n : 1) * sizeof *out->df);
	out->idf = malloc((n ? n : 1) * sizeof *out->idf);
	if (!out->term_a || !out->term_b || !out->df || !out->idf)
		goto out;
	for (size_t f = 0; f < n; f++) {
		out->term_a[f] = (uint32_t)(keep[f].key >> 32);
		out->term_b[f] = (uint32_t)keep[f].key;
		out->df[f] = keep[f].df;
		out->idf[f] = (float)(log((1.0 + n_docs) /
					  (1.0 + keep[f].df)) + 1.0);
	}
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_tfidf_free(out);
	free(keep);
	return rc;
}

int rl_tfidf_fit(const rl_docs *docs, const rl_vectorize_opts *o,
		 rl_tfidf *out, rl_tick *tick)
{
	rl_df_count *c = NULL;
	memset(out, 0, sizeof *out);
	int rc = rl_df_count_new(o->ngram_max, &c);
	if (rc == RL_OK)
		rc = rl_df_count_add(c, docs, tick, docs->n_docs);
	if (rc == RL_OK)
		rc = rl_df_count_vocab(c, o, out);
	rl_df_count_free(c);
	return rc;
}

/* ---- drawing a sample ---- */

void rl_draw_init(rl_draw *d, uint64_t n, uint64_t want, uint64_t seed)
{
	d->n = n;
	d->seen = 0;
	d->left = want < n ? want : n;
	/* Its own stream of the seed, apart from LSA's test matrix. */
	d->rng = seed * 0x9e3779b97f4a7c15ull ^ 0x5bd1e9955bd1e995ull;
}

int rl_draw_next(rl_draw *d)
{
	if (d->seen >= d->n)
		return 0;
	uint64_t rest = d->n - d->seen++;
	if (d->left == 0)
		return 0;
	/* With as many left to draw as items left, no number is drawn:
	 * the draw of a sample covering everything is no draw at all. */
	if (d->left < rest &&
	    (double)rest * rl_rand_unit(&d->rng) >= (double)d->left)
		return 0;
	d->left--;
	return 1;
}

/* ---- transform ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

struct rl_tfidf_index {
	keymap map;		/* KEY(term_a, term_b) -> feature */
};

int rl_tfidf_index_new(const rl_tfidf *m, rl_tfidf_index **out)
{
	rl_tfidf_index *ix = calloc(1, sizeof *ix);
	*out = NULL;
	if (!ix)
		return RL_ENOMEM;
	if (keymap_init(&ix->map, m->n_features) != RL_OK) {
		rl_tfidf_index_free(ix);
		return RL_ENOMEM;
	}
	for (uint32_t f = 0; f < m->n_features; f++) {
		uint64_t key = KEY(m->term_a[f], m->term_b[f]);
		size_t s = keymap_slot(&ix->map, key);
		ix->map.keys[s] = key;
		ix->map.vals[s] = f;
	}
	*out = ix;
	return RL_OK;
}

void rl_tfidf_index_free(rl_tfidf_index *ix)
{
	if (!ix)
		return;
	keymap_free(&ix->map);
	free(ix);
}

/* Sorts a[n] ascending: insertion sort for the few dozen features of a
 * review (no call per comparison), qsort for long documents. */
static void sort_u32(uint32_t *a, size_t n)
{
	if (n > 64) {
		qsort(a, n, sizeof *a, cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = a[i];
		size_t j = i;
		for (; j > 0 && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

int rl_tfidf_transform(const rl_tfidf *m, const rl_tfidf_index *ix,
		       const rl_docs *docs, int ngram_max, rl_csr *out,
		       rl_tick *tick)
{
	rl_tfidf_index *own = NULL;
	uint32_t *feats = NULL;
	size_t feats_cap = 0;
	uint64_t nnz_cap = 0;
	int rc = RL_ENOMEM;
	memset(out, 0, sizeof *out);
	out->n_rows = docs->n_docs;
	out->n_cols = m->n_features;
	out->indptr = calloc((size_t)docs->n_docs + 1, sizeof *out->indptr);
	if (!out->indptr)
		goto out;
	if (!ix) {
		if (rl_tfidf_index_new(m, &own) != RL_OK)
			goto out;
		ix = own;
	}
	const keymap *fmap = &ix->map;
	uint64_t nnz = 0;
	for (uint32_t d = 0; d < docs->n_docs; d++) {
		/* No token at all: tokens may be NULL, and NULL + 0 is
		 * undefined. */
		const uint32_t *t = docs->tokens ? docs->tokens +
				    docs->doc_off[d] : NULL;
		uint64_t len = docs->doc_off[d + 1] - docs->doc_off[d];
		if (d > 0 && (d & 4095) == 0 &&
		    rl_tick_step(tick, d, docs->n_docs) != RL_OK) {
			rc = RL_ECANCELED;
			goto out;
		}
		/* Feature ids of the document, with repeats, then sorted so
		 * runs give term frequencies. */
		size_t nf = 0;
		if (2 * len > feats_cap) {
			feats_cap = 2 * len + 64;
			free(feats);
			feats = malloc(feats_cap * sizeof *feats);
			if (!feats)
				goto out;
		}
		for (uint64_t i = 0; i < len; i++) {
			size_t s = keymap_slot(fmap, KEY(t[i], RL_NO_TERM));
			if (fmap->keys[s] != UINT64_MAX)
				feats[nf++] = fmap->vals[s];
			if (ngram_max >= 2 && i + 1 < len) {
				s = keymap_slot(fmap, KEY(t[i], t[i + 1]));
				if (fmap->keys[s] != UINT64_MAX)
					feats[nf++] = fmap->vals[s];
			}
		}
		sort_u32(feats, nf);
		if (nnz + nf > nnz_cap) {
			uint64_t cap = nnz_cap ? nnz_cap : 256;
			while (cap < nnz + nf)
				cap *= 2;
			uint32_t *ix = realloc(out->indices, cap * sizeof *ix);
			if (!ix)
				goto out;
			out->indices = ix;
			float *v = realloc(out->values, cap * sizeof *v);
			if (!v)
				goto out;
			out->values = v;
			nnz_cap = cap;
		}
		uint64_t row = nnz;
		double norm = 0;
		for (size_t i = 0; i < nf;) {
			size_t j = i;
			while (j < nf && feats[j] == feats[i])
				j++;
			double tf = (double)(j - i);
			if (m->sublinear)
				tf = 1.0 + log(tf);
			double w = tf * m->idf[feats[i]];
			out->indices[nnz] = feats[i];
			out->values[nnz] = (float)w;
			norm += w * w;
			nnz++;
			i = j;
		}
		if (norm > 0) {
			float inv = (float)(1.0 / sqrt(norm));
			for (uint64_t i = row; i < nnz; i++)
				out->values[i] *= inv;
		}
		out->indptr[d + 1] = nnz;
	}
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_csr_free(out);
	rl_tfidf_index_free(own);
	free(feats);
	return rc;
}
