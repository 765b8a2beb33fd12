/*
 * failalloc.c - wrappers of the malloc family that fail the allocation
 * fa_countdown reaches 0 at (failalloc.h); linked into the tests that
 * fail each allocation in turn.
 */
#include <stddef.h>

#include "failalloc.h"

int fa_countdown;
int fa_failed;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static int fail_now(void)
{
	if (fa_countdown > 0 && --fa_countdown == 0) {
		fa_failed = 1;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return fail_now() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}
