/*
 * parallel.c - fan a kernel out over pthreads and wait, and the tick
 * through which a long kernel reports progress and hears a cancel.
 *
 * Kernels split their work by thread number into fixed contiguous ranges,
 * never by who finishes first, so output depends on the thread count
 * only: same input, seed and threads, same bytes out. Part 0 runs on the
 * caller's thread, which is what lets the tick call back on that thread
 * alone.
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

void rl_tick_init(rl_tick *t, rl_progress_fn fn, void *ctx,
		  const char *stage)
{
	t->fn = fn;
	t->ctx = ctx;
	t->stage = stage;
	t->steps = 0;
	t->next = 0;
	atomic_init(&t->stop, 0);
}

void rl_tick_pass(rl_tick *t, const char *stage)
{
	t->stage = stage;
	t->steps = 0;
	t->next = 0;
}

int rl_tick_step(rl_tick *t, uint64_t done, uint64_t total)
{
	if (!t)
		return RL_OK;
	if (atomic_load_explicit(&t->stop, memory_order_relaxed))
		return RL_ECANCELED;
	if (!t->fn)
		return RL_OK;
	uint64_t s = ++t->steps;
	double now = rl_now();
	if ((s & (s - 1)) != 0 && now < t->next)
		return RL_OK;
	t->next = now + RL_TICK_EVERY;
	if (t->fn(t->ctx, t->stage, done, total)) {
		/* Workers poll the flag; nothing else is shared. */
		atomic_store_explicit(&t->stop, 1, memory_order_relaxed);
		return RL_ECANCELED;
	}
	return RL_OK;
}
