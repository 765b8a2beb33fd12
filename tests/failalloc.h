/*
 * failalloc.h - the malloc family failing on demand, for tests linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (failalloc.c).
 */
#ifndef REVLAB_TESTS_FAILALLOC_H
#define REVLAB_TESTS_FAILALLOC_H

/* Counts allocations down from a positive value and fails the one that
 * takes it to 0 (then stays 0: nothing else fails); 0 fails none. */
extern int fa_countdown;
/* Set when an injected failure happened; the test clears it. */
extern int fa_failed;

#endif
