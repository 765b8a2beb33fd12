/*
 * propagate.c - label spreading (Zhou, Bousquet, Lal, Weston & Schoelkopf
 * 2004) over the k-nearest-neighbour graph. Kernel: flat arrays only.
 *
 * Choices, deliberately:
 * - The kNN graph is made symmetric (an edge either way counts, with the
 *   larger similarity) and has no self-loops, as in the paper: W_ii = 0.
 *   scikit-learn's knn kernel keeps self-loops, which lets a node's own
 *   start values echo back and slows the flow of labels; here a node's
 *   own evidence enters only through Y.
 * - S = D^-1/2 W D^-1/2, the symmetric normalisation, so the iteration
 *   F <- alpha S F + Y converges (the spectral radius of alpha S is below
 *   1) to F* = (I - alpha S)^-1 Y, which tests check in closed form.
 * - Seeds are clamped: after every step a seed's row is reset to its Y.
 * - Nodes with no path to any evidence keep an all-zero row: they abstain
 *   rather than take the first class.
 * - Class mass normalisation (Zhu, Ghahramani & Lafferty 2003) rescales
 *   each class's column so its total over the unlabelled nodes matches a
 *   prior, so a class with many seeds or dense neighbourhoods does not
 *   flood the graph.
 *
 * rl_propagate_run puts these together on the evidence (evidence.h):
 * hand labels are clamped one-hot rows; each rule that matches a review
 * adds rule_strength * weight * quality to its label (votes.c), where
 * quality is the rule's smoothed precision on the hand labels in use, or
 * 1 with rule_vote=majority. A rule vote never overrides a hand label. A
 * cluster-named label adds cluster_strength to its label, unclamped: the
 * graph may outweigh it, as it was named wholesale with its cluster.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

typedef struct edge {
	uint32_t to;
	float w;
} edge;

static int by_to(const void *a, const void *b)
{
	const edge *x = a, *y = b;
	return x->to < y->to ? -1 : x->to > y->to;
}

int rl_graph_normalize(uint32_t n, uint32_t k, const int32_t *nbr,
		       const float *sim, rl_sgraph *out)
{
	uint64_t *cnt = calloc((size_t)n + 1, sizeof *cnt);
	edge *e = NULL;
	int rc = RL_ENOMEM;
	memset(out, 0, sizeof *out);
	if (!cnt)
		return RL_ENOMEM;
	/* Count each row's edges both ways, then place them (a counting
	 * sort by row), then sort and merge each row's short list. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < k; j++) {
			int32_t b = nbr[(size_t)i * k + j];
			float w = sim[(size_t)i * k + j];
			if (b < 0 || (uint32_t)b == i || !(w > 0))
				continue;
			cnt[i + 1]++;
			cnt[(uint32_t)b + 1]++;
		}
	for (uint32_t i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	e = malloc((cnt[n] ? cnt[n] : 1) * sizeof *e);
	uint64_t *fill = malloc(((size_t)n + 1) * sizeof *fill);
	if (!e || !fill) {
		free(fill);
		goto out;
	}
	memcpy(fill, cnt, ((size_t)n + 1) * sizeof *fill);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < k; j++) {
			int32_t b = nbr[(size_t)i * k + j];
			float w = sim[(size_t)i * k + j];
			if (b < 0 || (uint32_t)b == i || !(w > 0))
				continue;
			e[fill[i]++] = (edge){ (uint32_t)b, w };
			e[fill[b]++] = (edge){ i, w };
		}
	free(fill);
	out->n = n;
	out->indptr = calloc((size_t)n + 1, sizeof *out->indptr);
	out->to = malloc((cnt[n] ? cnt[n] : 1) * sizeof *out->to);
	out->w = malloc((cnt[n] ? cnt[n] : 1) * sizeof *out->w);
	double *deg = calloc((size_t)n + 1, sizeof *deg);
	if (!out->indptr || !out->to || !out->w || !deg) {
		free(deg);
		goto out;
	}
	uint64_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		edge *row = e + cnt[i];
		size_t len = (size_t)(cnt[i + 1] - cnt[i]);
		qsort(row, len, sizeof *row, by_to);
		for (size_t a = 0; a < len;) {
			size_t b = a;
			float w = 0;
			while (b < len && row[b].to == row[a].to) {
				if (row[b].w > w)
					w = row[b].w;
				b++;
			}
			out->to[at] = row[a].to;
			out->w[at] = w;
			deg[i] += w;
			at++;
			a = b;
		}
		out->indptr[i + 1] = at;
	}
	for (uint32_t i = 0; i < n; i++)
		for (uint64_t p = out->indptr[i]; p < out->indptr[i + 1]; p++)
			out->w[p] = (double)out->w[p] /
				    sqrt(deg[i] * deg[out->to[p]]);
	free(deg);
	rc = RL_OK;
out:
	if (rc != RL_OK)
		rl_sgraph_free(out);
	free(cnt);
	free(e);
	return rc;
}

void rl_sgraph_free(rl_sgraph *g)
{
	if (!g)
		return;
	free(g->indptr);
	free(g->to);
	free(g->w);
	memset(g, 0, sizeof *g);
}

int rl_yrows_init(rl_yrows *y, uint32_t n, uint32_t L)
{
	memset(y, 0, sizeof *y);
	y->n = n;
	y->L = L;
	y->ptr = calloc((size_t)n + 1, sizeof *y->ptr);
	return y->ptr ? RL_OK : RL_ENOMEM;
}

int rl_yrows_add(rl_yrows *y, uint32_t i, const double *row)
{
	uint64_t at = y->ptr[i];
	for (uint32_t l = 0; l < y->L; l++) {
		if (row[l] == 0)
			continue;
		if (at == y->cap) {
			uint64_t cap = y->cap ? 2 * y->cap : 1024;
			uint32_t *col = realloc(y->col, cap * sizeof *col);
			if (!col)
				return RL_ENOMEM;
			y->col = col;
			double *val = realloc(y->val, cap * sizeof *val);
			if (!val)
				return RL_ENOMEM;
			y->val = val;
			y->cap = cap;
		}
		y->col[at] = l;
		y->val[at] = row[l];
		at++;
	}
	y->ptr[i + 1] = at;
	return RL_OK;
}

void rl_yrows_free(rl_yrows *y)
{
	free(y->ptr);
	free(y->col);
	free(y->val);
	memset(y, 0, sizeof *y);
}

/* Row i of Y into y[L], dense. */
static void yrow(const rl_yrows *Y, uint32_t i, double *y)
{
	for (uint32_t l = 0; l < Y->L; l++)
		y[l] = 0;
	for (uint64_t p = Y->ptr[i]; p < Y->ptr[i + 1]; p++)
		y[Y->col[p]] = Y->val[p];
}

typedef struct spread_job {
	const rl_sgraph *S;
	const rl_yrows *Y;
	const double *F;
	double *G;
	const uint8_t *clamp;
	double alpha;
	double *delta;		/* [threads] largest change */
	rl_tick *tick;
	uint32_t it, max_iter;	/* for the tick */
} spread_job;

static void spread_part(void *ctx, int t, int nt)
{
	spread_job *j = ctx;
	const rl_yrows *Y = j->Y;
	uint32_t n = j->S->n, L = Y->L;
	uint32_t lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)nt);
	uint32_t hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) /
				 (uint64_t)nt);
	double worst = 0;
	for (uint32_t i = lo; i < hi; i++) {
		/* An iteration over millions of rows is a second: step the
		 * tick within it too. */
		if (i > lo && ((i - lo) & 4095) == 0 &&
		    rl_tick_part(j->tick, t, j->it, j->max_iter))
			break;
		double *g = j->G + (size_t)i * L;
		if (j->clamp && j->clamp[i]) {
			yrow(Y, i, g);
			continue;
		}
		for (uint32_t l = 0; l < L; l++)
			g[l] = 0;
		for (uint64_t p = j->S->indptr[i]; p < j->S->indptr[i + 1];
		     p++) {
			const double *f = j->F + (size_t)j->S->to[p] * L;
			double w = j->S->w[p];
			for (uint32_t l = 0; l < L; l++)
				g[l] += w * f[l];
		}
		/* alpha g + y, y's zeros skipped: the same bits. */
		for (uint32_t l = 0; l < L; l++)
			g[l] = j->alpha * g[l];
		for (uint64_t p = Y->ptr[i]; p < Y->ptr[i + 1]; p++)
			g[Y->col[p]] += Y->val[p];
		const double *old = j->F + (size_t)i * L;
		for (uint32_t l = 0; l < L; l++) {
			double d = fabs(g[l] - old[l]);
			if (d > worst)
				worst = d;
		}
	}
	j->delta[t] = worst;
}

/* Y [n][L] by rows. */
static int dense_rows(uint32_t n, uint32_t L, const double *Y, rl_yrows *y)
{
	int rc = rl_yrows_init(y, n, L);
	for (uint32_t i = 0; rc == RL_OK && i < n; i++)
		rc = rl_yrows_add(y, i, Y + (size_t)i * L);
	if (rc != RL_OK)
		rl_yrows_free(y);
	return rc;
}

int rl_spread(const rl_sgraph *S, uint32_t L, const double *Y,
	      const uint8_t *clamp, double alpha, double tol,
	      uint32_t max_iter, int threads, double *F, uint32_t *iters,
	      rl_tick *tick)
{
	memcpy(F, Y, (size_t)S->n * L * sizeof *F);
	return rl_spread_from(S, L, Y, clamp, alpha, tol, max_iter, threads,
			      F, iters, tick);
}

int rl_spread_from(const rl_sgraph *S, uint32_t L, const double *Y,
		   const uint8_t *clamp, double alpha, double tol,
		   uint32_t max_iter, int threads, double *F, uint32_t *iters,
		   rl_tick *tick)
{
	rl_yrows y;
	int rc = dense_rows(S->n, L, Y, &y);
	if (rc == RL_OK)
		rc = rl_spread_rows(S, &y, clamp, alpha, tol, max_iter,
				    threads, F, iters, tick);
	rl_yrows_free(&y);
	return rc;
}

int rl_spread_rows(const rl_sgraph *S, const rl_yrows *Y,
		   const uint8_t *clamp, double alpha, double tol,
		   uint32_t max_iter, int threads, double *F, uint32_t *iters,
		   rl_tick *tick)
{
	size_t sz = (size_t)S->n * Y->L;
	double *G = malloc((sz ? sz : 1) * sizeof *G);
	double *delta = calloc((size_t)(threads < 1 ? 1 : threads),
			       sizeof *delta);
	int rc = RL_ENOMEM;
	if (!G || !delta)
		goto out;
	if (threads < 1)
		threads = 1;
	spread_job j = { S, Y, F, G, clamp, alpha, delta, tick, 0,
			 max_iter };
	uint32_t it;
	for (it = 0; it < max_iter; it++) {
		j.F = F;
		j.G = G;
		j.it = it;
		if ((rc = rl_parallel(threads, spread_part, &j)) != RL_OK)
			goto out;
		if (rl_tick_stopped(tick)) {
			rc = RL_ECANCELED;
			goto out;
		}
		double worst = 0;
		for (int t = 0; t < threads; t++)
			if (delta[t] > worst)
				worst = delta[t];
		/* Swap by copying back: F stays the caller's buffer. */
		memcpy(F, G, sz * sizeof *F);
		if (worst < tol) {
			it++;
			break;
		}
		if ((rc = rl_tick_step(tick, it + 1, max_iter)) != RL_OK)
			goto out;
	}
	if (iters)
		*iters = it;
	rc = RL_OK;
out:
	free(G);
	free(delta);
	return rc;
}

int rl_class_mass_normalize(uint32_t n, uint32_t L, const uint8_t *clamp,
			    const double *prior, double *F)
{
	double *mass = calloc((size_t)L + 1, sizeof *mass);
	if (!mass)
		return RL_ENOMEM;
	/* Each row's evidence as a distribution first, so a node close to
	 * many seeds does not count more than one far from all. */
	for (uint32_t i = 0; i < n; i++) {
		if (clamp && clamp[i])
			continue;
		double *f = F + (size_t)i * L, s = 0;
		for (uint32_t l = 0; l < L; l++)
			s += f[l] > 0 ? f[l] : 0;
		if (s <= 0)
			continue;
		for (uint32_t l = 0; l < L; l++)
			mass[l] += (f[l] > 0 ? f[l] : 0) / s;
	}
	for (uint32_t l = 0; l < L; l++)
		mass[l] = mass[l] > 0 ? prior[l] / mass[l] : 0;
	for (uint32_t i = 0; i < n; i++) {
		if (clamp && clamp[i])
			continue;
		double *f = F + (size_t)i * L;
		for (uint32_t l = 0; l < L; l++)
			f[l] *= mass[l];
	}
	free(mass);
	return RL_OK;
}

void rl_evidence_free(rl_evidence *ev)
{
	if (!ev)
		return;
	free(ev->review_ids);
	free(ev->label_ids);
	for (uint32_t l = 0; ev->label_names && l < ev->L; l++)
		free(ev->label_names[l]);
	free(ev->label_names);
	rl_sgraph_free(&ev->S);
	free(ev->seed);
	free(ev->Y);
	free(ev->cseed);
	free(ev->rule_ids);
	free(ev->rule_label);
	free(ev->rule_negate);
	free(ev->rule_weight);
	free(ev->hit_ptr);
	free(ev->hit_rule);
	memset(ev, 0, sizeof *ev);
}

/* The spread P [n][L] of ev as propagation gives it: class mass
 * normalised towards the shares of the hand labels in use (and the
 * cluster-named ones; uniform when asked, or none), clamped rows left
 * alone, then each row a distribution (all-zero rows stay zero: they
 * abstain). prior [L] is scratch. */
static int normalize(const rl_evidence *ev, const uint8_t *use_seed,
		     const rl_propagate_opts *o, const uint8_t *clamp,
		     double *prior, double *P)
{
	uint32_t n = ev->n, L = ev->L;
	int uniform = o->class_prior == RL_PRIOR_UNIFORM;
	double n_used = 0;
	memset(prior, 0, L * sizeof *prior);
	for (uint32_t i = 0; i < n; i++) {
		int32_t s = ev->seed[i];
		if (s < 0 || (use_seed && !use_seed[i]))
			continue;
		prior[s] += 1;
		n_used += 1;
	}
	/* Cluster-named labels shape the class shares too: for a corpus
	 * labelled only by naming clusters they are all there is. */
	for (uint32_t i = 0; i < n; i++)
		if (ev->cseed[i] >= 0) {
			prior[ev->cseed[i]] += 1;
			n_used += 1;
		}
	for (uint32_t l = 0; l < L; l++)
		prior[l] = uniform || n_used == 0 ? 1.0 / L : prior[l] / n_used;
	int rc;
	if (o->class_prior != RL_PRIOR_NONE &&
	    (rc = rl_class_mass_normalize(n, L, clamp, prior, P)) != RL_OK)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		double *p = P + (size_t)i * L, s = 0;
		for (uint32_t l = 0; l < L; l++) {
			if (p[l] < 0)
				p[l] = 0;
			s += p[l];
		}
		for (uint32_t l = 0; s > 0 && l < L; l++)
			p[l] /= s;
	}
	return RL_OK;
}

int rl_propagate_run(const rl_evidence *ev, const uint8_t *use_seed,
		     const rl_propagate_opts *o, double *P, uint32_t *iters,
		     rl_tick *tick)
{
	return rl_propagate_from(ev, use_seed, o, 0, NULL, P, iters, tick);
}

int rl_propagate_from(const rl_evidence *ev, const uint8_t *use_seed,
		      const rl_propagate_opts *o, int warm, float *raw,
		      double *P, uint32_t *iters, rl_tick *tick)
{
	if (ev->multi)
		return rl_propagate_multi(ev, use_seed, o, P, iters, tick);
	uint32_t n = ev->n, L = ev->L;
	rl_yrows Y;
	double *y = calloc((size_t)L + 1, sizeof *y);
	uint8_t *clamp = calloc((size_t)n + 1, 1);
	double *quality = malloc((ev->n_rules + 1) * sizeof *quality);
	double *prior = calloc((size_t)L + 1, sizeof *prior);
	int rc = rl_yrows_init(&Y, n, L);
	if (rc != RL_OK || !y || !clamp || !quality || !prior) {
		rc = RL_ENOMEM;
		goto out;
	}
	int majority = o->rule_vote == RL_VOTE_MAJORITY;
	/* Rule quality and class shares on the hand labels in use. */
	if (!majority && (rc = rl_rule_quality(ev, use_seed, quality)) !=
	    RL_OK)
		goto out;

	/* Y by rows: most rows hold one rule's vote or nothing. */
	for (uint32_t i = 0; i < n; i++) {
		memset(y, 0, L * sizeof *y);
		int32_t s = ev->seed[i];
		if (s >= 0 && (!use_seed || use_seed[i])) {
			y[s] = 1;
			clamp[i] = 1;
		} else {
			rl_rule_votes(ev, i, majority ? NULL : quality,
				      o->rule_strength, y);
			if (ev->cseed[i] >= 0)
				y[ev->cseed[i]] += o->cluster_strength;
		}
		if ((rc = rl_yrows_add(&Y, i, y)) != RL_OK)
			goto out;
	}
	/* A warm start's rows without one (all zero) start from Y. */
	for (uint32_t i = 0; i < n; i++) {
		double *p = P + (size_t)i * L, s = 0;
		for (uint32_t l = 0; warm && l < L; l++)
			s += fabs(p[l]);
		if (!warm || s == 0 || clamp[i])
			yrow(&Y, i, p);
	}
	if ((rc = rl_spread_rows(&ev->S, &Y, clamp, o->alpha, o->tol,
				 (uint32_t)o->max_iter, o->threads, P, iters,
				 tick)) != RL_OK)
		goto out;
	for (size_t e = 0; raw && e < (size_t)n * L; e++)
		raw[e] = (float)P[e];
	rc = normalize(ev, use_seed, o, clamp, prior, P);
out:
	rl_yrows_free(&Y);
	free(y);
	free(clamp);
	free(quality);
	free(prior);
	return rc;
}

int rl_propagate_normalize(const rl_evidence *ev, const uint8_t *use_seed,
			   const rl_propagate_opts *o, double *P)
{
	uint8_t *clamp = calloc((size_t)ev->n + 1, 1);
	double *prior = calloc((size_t)ev->L + 1, sizeof *prior);
	int rc = RL_ENOMEM;
	if (clamp && prior) {
		for (uint32_t i = 0; i < ev->n; i++)
			clamp[i] = ev->seed[i] >= 0 &&
				   (!use_seed || use_seed[i]);
		rc = normalize(ev, use_seed, o, clamp, prior, P);
	}
	free(clamp);
	free(prior);
	return rc;
}
