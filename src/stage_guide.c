/*
 * stage_guide.c - `next` and `suspects`: what the last run left in the
 * store (the newest model, the graph, seeds and rule hits) turned into
 * advice for the person labelling. Both only read the store.
 *
 * next scores the unlabelled reviews with the stored model's full
 * probability vectors (recomputed from its weights: the predictions
 * table keeps only the top label), propagation redone with the current
 * seeds, the rule votes and the raw neighbour similarities, and lets
 * guide.c rank them. suspects takes the out-of-fold predictions of the
 * same cross-validation as `revlab eval`, so every hand label is judged by
 * fits that never saw it. In a multi-label store both go label by label
 * (guide.c says how): next with the model's per-label probabilities and
 * thresholds, suspects with a hand label to drop or a missing one to add.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "store.h"

void rl_next_opts_init(rl_next_opts *o)
{
	memset(o, 0, sizeof *o);
	rl_params_defaults(rl_next_params, rl_next_nparams, o);
	rl_propagate_opts_init(&o->prop);
}

int rl_next_opts_set(rl_next_opts *o, const char *assignment)
{
	return rl_params_set(rl_next_params, rl_next_nparams, o, assignment);
}

/* Hands one review's id and text to a callback, by revlab's id. */
typedef struct text_call {
	int (*fn)(void *ctx, const char *ext_id, const char *text);
	void *ctx;
} text_call;

static int on_text(void *ctx, int64_t id, const char *ext_id,
		   const char *text, size_t len)
{
	text_call *t = ctx;
	(void)id;
	(void)len;
	return t->fn(t->ctx, ext_id, text);
}

static int with_text(rl_db *db, int64_t id, text_call *t)
{
	int64_t last = 0;
	return rl_store_reviews_batch(db, 0, id - 1, 1, on_text, t, &last);
}

/* The newest model's probabilities for every row of ev, in ev's label
 * order (a label the model never knew gets 0), into Pm [n][L]; in a
 * multi-label store each label's own, sigmoid(logit / temperature), and
 * the model's thresholds into thr [L] (0.5 where it has none). */
static int model_probs(rl_db *db, const rl_evidence *ev, double *Pm,
		       double *thr)
{
	rl_stored_model m;
	rl_buf fit = { 0 };
	rl_csr X = { 0 };
	int32_t *map = NULL;
	double *p = NULL;
	uint32_t L = ev->L;
	int rc = rl_store_model_get(db, 0, &m);
	if (rc == RL_ENOTFOUND) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_MODEL,
				  "no model yet");
		goto out;
	}
	if (rc != RL_OK)
		goto out;
	if ((rc = rl_store_setting_get(db, "vectorize_fit", &fit)) != RL_OK ||
	    strcmp(fit.data, m.fit.data)) {
		rc = rl_fail_need(db, RL_EINPUT, RL_NEED_MODEL, "model %lld "
				  "was trained on vectors the store no longer "
				  "has", (long long)m.id);
		goto out;
	}
	if ((rc = rl_features_load(db, ev->review_ids, ev->n, &X)) != RL_OK)
		goto out;
	if (X.n_cols != m.n_cols ||
	    m.n_weights != (size_t)(m.n_cols + 1) * m.n_labels) {
		rc = rl_fail_need(db, RL_EDB, RL_NEED_MODEL, "model %lld does "
				  "not match the stored vocabulary",
				  (long long)m.id);
		goto out;
	}
	rc = RL_ENOMEM;
	map = malloc(((size_t)m.n_labels + 1) * sizeof *map);
	p = malloc(((size_t)m.n_labels + 1) * sizeof *p);
	if (!map || !p)
		goto out;
	for (uint32_t j = 0; j < m.n_labels; j++) {
		map[j] = -1;
		for (uint32_t l = 0; l < L; l++)
			if (!strcmp(m.labels[j], ev->label_names[l]))
				map[j] = (int32_t)l;
	}
	for (uint32_t l = 0; l < L; l++)
		thr[l] = 0.5;
	for (uint32_t j = 0; ev->multi && j < m.n_labels; j++)
		if (map[j] >= 0 && m.thresholds && j < m.n_thresholds)
			thr[map[j]] = m.thresholds[j];
	for (uint32_t i = 0; i < ev->n; i++) {
		double *row = Pm + (size_t)i * L;
		memset(row, 0, L * sizeof *row);
		if (ev->multi) {
			rl_linear_logits(&X, i, m.weights, m.n_labels, p);
			for (uint32_t j = 0; j < m.n_labels; j++) {
				double z = p[j] / m.temperature;
				p[j] = z >= 0 ? 1 / (1 + exp(-z))
					      : exp(z) / (1 + exp(z));
			}
		} else {
			rl_logreg_predict(&X, i, m.weights, m.n_labels, p);
			if (m.temperature != 1)
				rl_temper(p, m.n_labels, m.temperature);
		}
		for (uint32_t j = 0; j < m.n_labels; j++)
			if (map[j] >= 0)
				row[map[j]] = p[j];
	}
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_stored_model_free(&m);
	rl_buf_free(&fit);
	rl_csr_free(&X);
	free(map);
	free(p);
	return rc;
}

/* One pick's reason, e.g. "unsure: price 0.41 vs quality 0.38; rules
 * say shipping; dense region (density 0.83)". */
static int reason_of(const rl_evidence *ev, const rl_next_pick *p,
		     rl_buf *b)
{
	char part[512];
	int len;
	b->len = 0;
	if (p->m1 < 0)
		len = snprintf(part, sizeof part, "no answer yet");
	else if (p->m2 < 0)
		len = snprintf(part, sizeof part, "%s %.2f",
			       ev->label_names[p->m1], p->p1);
	else
		len = snprintf(part, sizeof part, "%s: %s %.2f vs %s %.2f",
			       p->uncertainty > 0.5 ? "unsure" : "leans",
			       ev->label_names[p->m1], p->p1,
			       ev->label_names[p->m2], p->p2);
	int rc = rl_buf_append(b, part, (size_t)len);
	static const char *const who[3] = { "model says", "propagation says",
					    "rules say" };
	int32_t says[3] = { p->model, p->prop, p->rule };
	for (int w = 0; rc == RL_OK && w < 3; w++) {
		if (says[w] < 0 || says[w] == p->m1)
			continue;
		len = snprintf(part, sizeof part, "; %s %s", who[w],
			       ev->label_names[says[w]]);
		rc = rl_buf_append(b, part, (size_t)len);
	}
	if (rc == RL_OK && p->prop < 0)
		rc = rl_buf_append(b, "; no seed or rule reaches it", 28);
	if (rc == RL_OK) {
		len = snprintf(part, sizeof part, "; %s (density %.2f)",
			       p->density >= 0.5 ? "dense region"
						 : "sparse region", p->density);
		rc = rl_buf_append(b, part, (size_t)len + 1);
	}
	return rc;
}

/* Appends the names of the labels on [L] marks, joined by '|'. */
static int append_labels(rl_buf *b, const rl_evidence *ev, const uint8_t *on)
{
	int rc = RL_OK, first = 1;
	for (uint32_t l = 0; rc == RL_OK && l < ev->L; l++) {
		if (!on[l])
			continue;
		if (!first)
			rc = rl_buf_putc(b, '|');
		if (rc == RL_OK)
			rc = rl_buf_append(b, ev->label_names[l],
					   strlen(ev->label_names[l]));
		first = 0;
	}
	return rc;
}

/* A pick's reason in a multi-label store, e.g. "unsure: shipping 0.47,
 * price 0.58; likely price; model says price|shipping; rules say
 * shipping; dense region (density 0.83)", and into unsure [3] the labels
 * it is unsure of, most unsure first (those of uncertainty above 0.5, at
 * least the most unsure; up to three). q [L] and on [4][L] scratch. */
static int reason_multi(const rl_evidence *ev, const rl_next_in *in,
			const rl_next_pick *p, double *q, uint8_t *on,
			const char **unsure, uint32_t *n_unsure, rl_buf *b)
{
	uint32_t L = ev->L;
	char part[512];
	int len, rc = RL_OK;
	b->len = 0;
	*n_unsure = 0;
	if (!rl_next_row_multi(in, p->row, q, on) || p->m1 < 0)
		return rl_buf_append(b, "no answer yet", 14);
	int32_t pick[3] = { p->m1, -1, -1 };
	int np = 1;
	for (; np < 3; np++) {
		double best = 0.5;
		for (uint32_t l = 0; l < L; l++) {
			double u = 1 - fabs(2 * q[l] - 1);
			int taken = 0;
			for (int a = 0; a < np; a++)
				taken |= pick[a] == (int32_t)l;
			if (!taken && u > best) {
				best = u;
				pick[np] = (int32_t)l;
			}
		}
		if (pick[np] < 0)
			break;
	}
	const char *head = p->uncertainty > 0.5 ? "unsure: " : "leans: ";
	rc = rl_buf_append(b, head, strlen(head));
	for (int a = 0; rc == RL_OK && a < np; a++) {
		const char *name = ev->label_names[pick[a]];
		unsure[(*n_unsure)++] = name;
		if (a)
			rc = rl_buf_append(b, ", ", 2);
		if (rc == RL_OK)
			rc = rl_buf_append(b, name, strlen(name));
		len = snprintf(part, sizeof part, " %.2f", q[pick[a]]);
		if (rc == RL_OK)
			rc = rl_buf_append(b, part, (size_t)len);
	}
	if (rc == RL_OK)
		rc = rl_buf_append(b, "; likely ", 9);
	if (rc == RL_OK)
		rc = append_labels(b, ev, on);
	static const char *const who[3] = { "model says", "propagation says",
					    "rules say" };
	int32_t says[3] = { p->model, p->prop, p->rule };
	for (int w = 0; rc == RL_OK && w < 3; w++) {
		const uint8_t *o = on + (size_t)(w + 1) * L;
		if (says[w] < 0 || !memcmp(o, on, L))
			continue;
		len = snprintf(part, sizeof part, "; %s ", who[w]);
		rc = rl_buf_append(b, part, (size_t)len);
		if (rc == RL_OK)
			rc = append_labels(b, ev, o);
	}
	if (rc == RL_OK && p->prop < 0)
		rc = rl_buf_append(b, "; no seed or rule reaches it", 28);
	if (rc == RL_OK) {
		len = snprintf(part, sizeof part, "; %s (density %.2f)",
			       p->density >= 0.5 ? "dense region"
						 : "sparse region", p->density);
		rc = rl_buf_append(b, part, (size_t)len + 1);
	}
	return rc;
}

typedef struct next_call {
	rl_next_item it;
	rl_next_fn fn;
	void *ctx;
} next_call;

static int next_emit(void *ctx, const char *ext_id, const char *text)
{
	next_call *c = ctx;
	c->it.ext_id = ext_id;
	c->it.text = text;
	return c->fn(c->ctx, &c->it);
}

int rl_next(rl_db *db, const rl_next_opts *o, size_t limit, rl_next_fn fn,
	    void *ctx)
{
	rl_next_opts defaults;
	if (!o) {
		rl_next_opts_init(&defaults);
		o = &defaults;
	}
	rl_propagate_opts prop;
	rl_evidence ev;
	double *Pm = NULL, *Pp = NULL, *R = NULL, *quality = NULL;
	double *Y = NULL, *reach = NULL, *thr = NULL, *q = NULL;
	const char **unsure = NULL;
	uint8_t *on = NULL;
	int32_t *nbr = NULL;
	float *sim = NULL;
	uint8_t *cand = NULL;
	rl_next_pick *picks = NULL;
	rl_buf reason = { 0 };
	uint64_t k = 0, found = 0;
	size_t n_picks = 0;
	int rc;
	rl_clear_error(db);
	if ((rc = rl_propagate_prepare(db, &o->prop, &prop)) != RL_OK ||
	    (rc = rl_evidence_load(db, &ev, (uint32_t)prop.neighbours)) !=
	    RL_OK)
		return rc;
	uint32_t n = ev.n, L = ev.L;
	if (ev.n_seeds == 0) {
		rc = rl_fail_need(db, RL_EEMPTY, RL_NEED_HAND_LABELS,
				  "no hand labels yet");
		goto out;
	}
	if ((rc = rl_store_max_rank(db, &k)) != RL_OK)
		goto out;
	rc = RL_ENOMEM;
	Pm = malloc(((size_t)n * L + 1) * sizeof *Pm);
	Pp = malloc(((size_t)n * L + 1) * sizeof *Pp);
	R = calloc((size_t)n * L + 1, sizeof *R);
	quality = malloc((ev.n_rules + 1) * sizeof *quality);
	nbr = malloc(((size_t)n * k + 1) * sizeof *nbr);
	sim = malloc(((size_t)n * k + 1) * sizeof *sim);
	cand = malloc((size_t)n + 1);
	Y = malloc(((size_t)n + 1) * sizeof *Y);
	reach = malloc(((size_t)n + 1) * sizeof *reach);
	thr = malloc(((size_t)L + 1) * sizeof *thr);
	q = malloc(((size_t)L + 1) * sizeof *q);
	on = malloc(4 * (size_t)L + 1);
	unsure = malloc(((size_t)L + 3) * sizeof *unsure);
	if (!Pm || !Pp || !R || !quality || !nbr || !sim || !cand || !Y ||
	    !reach || !thr || !q || !on || !unsure)
		goto out;
	if ((rc = model_probs(db, &ev, Pm, thr)) != RL_OK ||
	    (rc = rl_propagate_run(&ev, NULL, &prop, Pp, NULL, NULL)) !=
	    RL_OK ||
	    (rc = rl_rule_quality(&ev, NULL, quality)) != RL_OK ||
	    (rc = rl_store_neighbours_load(db, ev.review_ids, n, (uint32_t)k,
					   nbr, sim, &found)) != RL_OK)
		goto out;
	/* The rules as labelling would use them: votes in a single-label
	 * store, each label's noisy-or in a multi-label one. */
	if (ev.multi && (rc = rl_method_rules(&ev, NULL, R)) != RL_OK)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (!ev.multi)
			rl_rule_votes(&ev, i, quality, 1, R + (size_t)i * L);
		cand[i] = ev.seed[i] < 0;
	}
	/* Reach: the hand labels spread over the graph as one class. */
	for (uint32_t i = 0; i < n; i++)
		Y[i] = !cand[i];
	if ((rc = rl_spread(&ev.S, 1, Y, NULL, o->prop.alpha, o->prop.tol,
			    (uint32_t)o->prop.max_iter, o->prop.threads, reach,
			    NULL, NULL)) != RL_OK)
		goto out;
	rl_next_in in = { n, L, (uint32_t)k, Pm, Pp, R, cand, nbr, sim, reach,
			  o->disagreement, o->explore, o->density,
			  o->balance, ev.multi, ev.multi ? thr : NULL };
	if (limit > n)
		limit = n;
	if (!(picks = malloc((limit + 1) * sizeof *picks))) {
		rc = RL_ENOMEM;
		goto out;
	}
	if ((rc = rl_next_rank(&in, limit, picks, &n_picks)) != RL_OK)
		goto out;
	for (size_t a = 0; a < n_picks; a++) {
		const rl_next_pick *p = &picks[a];
		uint32_t n_unsure = 0;
		if (ev.multi)
			rc = reason_multi(&ev, &in, p, q, on, unsure,
					  &n_unsure, &reason);
		else
			rc = reason_of(&ev, p, &reason);
		if (rc != RL_OK)
			goto out;
		for (int w = 0; !ev.multi && w < 2; w++) {
			int32_t l = w ? p->m2 : p->m1;
			if (l >= 0)
				unsure[n_unsure++] = ev.label_names[l];
		}
		next_call c = { { NULL, NULL, p->score, p->uncertainty,
				  p->disagreement, p->density, reason.data,
				  n_unsure, unsure }, fn, ctx };
		text_call t = { next_emit, &c };
		if ((rc = with_text(db, ev.review_ids[p->row], &t)) != RL_OK)
			goto out;
	}
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_evidence_free(&ev);
	free(Pm);
	free(Pp);
	free(R);
	free(quality);
	free(nbr);
	free(sim);
	free(cand);
	free(Y);
	free(reach);
	free(thr);
	free(q);
	free(on);
	free(unsure);
	free(picks);
	rl_buf_free(&reason);
	return rc;
}

typedef struct suspect_call {
	rl_suspect s;
	rl_suspect_fn fn;
	void *ctx;
} suspect_call;

static int suspect_emit(void *ctx, const char *ext_id, const char *text)
{
	suspect_call *c = ctx;
	c->s.ext_id = ext_id;
	c->s.text = text;
	return c->fn(c->ctx, &c->s);
}

/* Each seed's out-of-fold distribution into P [n][L]: the calibrated
 * model and propagation averaged, so neither's blind spots decide alone.
 * In a multi-label store each label's probability, the same way. */
void rl_oof_probs(const rl_oof *oof, double temperature, double *P)
{
	uint32_t n = oof->ev.n, L = oof->ev.L;
	for (uint32_t i = 0; i < n; i++) {
		if (oof->ev.seed[i] < 0)
			continue;
		double *p = P + (size_t)i * L, sp = 0;
		const double *pm = oof->P[RL_METHOD_MODEL] + (size_t)i * L;
		const double *pp = oof->P[RL_METHOD_PROPAGATION] +
				   (size_t)i * L;
		memcpy(p, pm, L * sizeof *p);
		if (temperature != 1 && oof->ev.multi)
			rl_temper_multi(p, L, temperature);
		else if (temperature != 1)
			rl_temper(p, L, temperature);
		for (uint32_t l = 0; l < L; l++)
			sp += pp[l];
		for (uint32_t l = 0; sp > 0 && l < L; l++)
			p[l] = (p[l] + pp[l]) / 2;
	}
}

int rl_suspects(rl_db *db, const rl_eval_opts *o, size_t limit,
		rl_suspect_fn fn, void *ctx, rl_suspects_stats *st)
{
	rl_eval_report *r = NULL;
	rl_oof oof;
	double *P = NULL, *bars = NULL;
	int32_t *given = NULL;
	const char **hand = NULL;
	rl_suspect_pick *picks = NULL;
	size_t n_picks = 0;
	if (st)
		memset(st, 0, sizeof *st);
	int rc = rl_eval_oof(db, o, &r, &oof);
	if (rc != RL_OK)
		return rc;
	const rl_evidence *ev = &oof.ev;
	uint32_t n = ev->n, L = ev->L;
	/* A multi-label store's suspects are (review, label) pairs. */
	size_t room = ev->multi ? (size_t)ev->n_seeds * L : n;
	rc = RL_ENOMEM;
	P = calloc((size_t)n * L + 1, sizeof *P);
	given = malloc(((size_t)n + 1) * sizeof *given);
	picks = malloc((room + 1) * sizeof *picks);
	bars = malloc((2 * (size_t)L + 1) * sizeof *bars);
	hand = malloc(((size_t)L + 1) * sizeof *hand);
	if (!P || !given || !picks || !bars || !hand)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		given[i] = ev->seed[i];
	rl_oof_probs(&oof, r->temperature, P);
	if (ev->multi)
		rc = rl_suspect_rank_multi(n, L, P, ev->Y, given, picks,
					   &n_picks, bars);
	else
		rc = rl_suspect_rank(n, L, P, given, picks, &n_picks);
	if (rc != RL_OK)
		goto out;
	if (st) {
		st->seeds = ev->n_seeds;
		st->suspects = n_picks;
		st->folds = r->folds;
	}
	for (size_t a = 0; a < n_picks && a < limit; a++) {
		const rl_suspect_pick *p = &picks[a];
		const double *row = P + (size_t)p->row * L;
		int has_g = p->given != RL_NO_LABEL;
		int has_s = p->suggested != RL_NO_LABEL;
		uint32_t n_hand = 0;
		double bar = 0;
		for (uint32_t l = 0; l < L; l++)
			if (rl_has_label(ev, p->row, l))
				hand[n_hand++] = ev->label_names[l];
		if (ev->multi)
			bar = has_g ? bars[L + p->given] : bars[p->suggested];
		suspect_call c = { { NULL, NULL,
				     has_g ? ev->label_names[p->given] : NULL,
				     has_s ? ev->label_names[p->suggested]
					   : NULL,
				     has_g ? row[p->given] : 0,
				     has_s ? row[p->suggested] : 0, L,
				     (const char *const *)ev->label_names,
				     row, bar, n_hand, hand }, fn, ctx };
		text_call t = { suspect_emit, &c };
		if ((rc = with_text(db, ev->review_ids[p->row], &t)) != RL_OK)
			goto out;
	}
	rc = RL_OK;
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_eval_report_free(r);
	rl_oof_free(&oof);
	free(P);
	free(bars);
	free(given);
	free(hand);
	free(picks);
	return rc;
}
