/*
 * parallel.c - fan a kernel out over pthreads and wait.
 *
 * Kernels split their work by thread number into fixed contiguous ranges,
 * never by who finishes first, so output depends on the thread count
 * only: same input, seed and threads, same bytes out.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"
#include "kernels.h"

typedef struct worker {
	void (*fn)(void *ctx, int t, int nt);
	void *ctx;
	int t, nt;
} worker;

static void *run_worker(void *arg)
{
	worker *w = arg;
	w->fn(w->ctx, w->t, w->nt);
	return NULL;
}

int rl_parallel(int threads, void (*fn)(void *ctx, int t, int nt),
		void *ctx)
{
	if (threads <= 1) {
		fn(ctx, 0, 1);
		return RL_OK;
	}
	worker *w = calloc((size_t)threads, sizeof *w);
	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	int rc = RL_OK, started = 0;
	if (!w || !tid) {
		rc = RL_ENOMEM;
		goto out;
	}
	for (int t = 0; t < threads; t++)
		w[t] = (worker){ fn, ctx, t, threads };
	for (started = 1; started < threads; started++)
		if (pthread_create(&tid[started], NULL, run_worker,
				   &w[started]) != 0)
			break;
	if (started < threads) {
		/* Could not start them all: the caller's thread does the
		 * missing parts itself, in the same ranges. */
		for (int t = started; t < threads; t++)
			fn(ctx, t, threads);
	}
	fn(ctx, 0, threads);
	for (int t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
out:
	free(w);
	free(tid);
	return rc;
}
