/*
 * buf.c - small runtime helpers: a growable byte buffer, LEB128 varints
 * and a monotonic clock.
 *
 * Used wherever the library builds text or blobs of unknown length: error
 * messages, JSON parameters, the compact token lists stored per review.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int rl_buf_reserve(rl_buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return RL_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len <= extra) {
		if (cap > SIZE_MAX / 2)
			return RL_ENOMEM;
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return RL_ENOMEM;
	b->data = p;
	b->cap = cap;
	return RL_OK;
}

/* The buffer always keeps a NUL after len, so data is usable as text. */
int rl_buf_append(rl_buf *b, const void *p, size_t n)
{
	if (rl_buf_reserve(b, n) != RL_OK)
		return RL_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return RL_OK;
}

int rl_buf_putc(rl_buf *b, char c)
{
	return rl_buf_append(b, &c, 1);
}

int rl_buf_put_varint(rl_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		unsigned char byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	return rl_buf_append(b, tmp, n);
}

size_t rl_varint_get(const unsigned char *p, const unsigned char *end,
		     uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	const unsigned char *q = p;
	while (q < end && shift < 64) {
		x |= (uint64_t)(*q & 0x7f) << shift;
		if (!(*q++ & 0x80)) {
			*v = x;
			return (size_t)(q - p);
		}
		shift += 7;
	}
	return 0;
}

int rl_buf_vprintf(rl_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	int rc = n < 0 || rl_buf_reserve(b, (size_t)n + 1) != RL_OK
		 ? RL_ENOMEM : RL_OK;
	if (rc == RL_OK) {
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
	return rc;
}

int rl_buf_printf(rl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = rl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void rl_buf_free(rl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

double rl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
