/*
 * strmap.c - an open-addressing hash map from byte strings to int64.
 *
 * The tokenizer's vocabulary (term -> id) and the lexicons' word sets live
 * here. Keys are copied into one arena so a map of a million terms costs
 * two allocations that grow, not a million.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct slot {
	uint64_t hash;		/* 0 marks an empty slot */
	size_t off, len;	/* key in the arena */
	int64_t val;
} slot;

struct rl_strmap {
	slot *slots;
	size_t cap, n;		/* cap is a power of two */
	rl_buf arena;
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	return h ? h : 1;
}

int rl_strmap_new(rl_strmap **out)
{
	*out = NULL;
	rl_strmap *m = calloc(1, sizeof *m);
	if (!m)
		return RL_ENOMEM;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		return RL_ENOMEM;
	}
	*out = m;
	return RL_OK;
}

void rl_strmap_free(rl_strmap *m)
{
	if (!m)
		return;
	free(m->slots);
	rl_buf_free(&m->arena);
	free(m);
}

static slot *find(const rl_strmap *m, const char *key, size_t len,
		  uint64_t h)
{
	size_t i = h & (m->cap - 1);
	for (;;) {
		slot *s = &m->slots[i];
		if (!s->hash)
			return s;
		if (s->hash == h && s->len == len &&
		    memcmp(m->arena.data + s->off, key, len) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

int64_t rl_strmap_get(const rl_strmap *m, const char *key, size_t len)
{
	slot *s = find(m, key, len, hash_bytes(key, len));
	return s->hash ? s->val : -1;
}

static int grow(rl_strmap *m)
{
	size_t cap = m->cap * 2;
	slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return RL_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		slot *s = &m->slots[i];
		if (!s->hash)
			continue;
		size_t j = s->hash & (cap - 1);
		while (slots[j].hash)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return RL_OK;
}

int rl_strmap_put(rl_strmap *m, const char *key, size_t len, int64_t val)
{
	uint64_t h = hash_bytes(key, len);
	slot *s = find(m, key, len, h);
	if (s->hash) {
		s->val = val;
		return RL_OK;
	}
	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap) {
		if (grow(m) != RL_OK)
			return RL_ENOMEM;
		s = find(m, key, len, h);
	}
	size_t off = m->arena.len;
	if (rl_buf_append(&m->arena, key, len) != RL_OK)
		return RL_ENOMEM;
	s->hash = h;
	s->off = off;
	s->len = len;
	s->val = val;
	m->n++;
	return RL_OK;
}

size_t rl_strmap_size(const rl_strmap *m)
{
	return m->n;
}
