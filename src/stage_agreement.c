/*
 * stage_agreement.c - `revlab agreement`: loads every annotation from the
 * store (store_labels.c), lays them out as reliability tables (reviews by
 * annotators, flat arrays) and has agreement.c measure them: Cohen's
 * kappa for each pair of annotators, Krippendorff's alpha for all, both
 * overall and label by label, and the reviews they answered differently.
 * Reads the store, changes nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "stage.h"
#include "store.h"

/* The report and everything it points at, which this file owns. */
typedef struct report {
	rl_agreement_report pub;
	void **owned;		/* every block below, freed one by one */
	size_t n_owned, cap_owned;
} report;

/* Hands block p to the report (or frees it, RL_ENOMEM, when there is no
 * room to keep it); p NULL is RL_ENOMEM. */
static int keep(report *r, void *p)
{
	if (!p)
		return RL_ENOMEM;
	if (r->n_owned == r->cap_owned) {
		size_t cap = r->cap_owned ? 2 * r->cap_owned : 16;
		void **o = realloc(r->owned, cap * sizeof *o);
		if (!o) {
			free(p);
			return RL_ENOMEM;
		}
		r->owned = o;
		r->cap_owned = cap;
	}
	r->owned[r->n_owned++] = p;
	return RL_OK;
}

void rl_agreement_free(rl_agreement_report *a)
{
	report *r = (report *)a;
	if (!r)
		return;
	for (size_t i = 0; i < r->n_owned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r);
}

/* The annotations as loaded: row k is review rev[k] (an index into ids),
 * label lab[k] and annotator cod[k] (indices into the name lists, in
 * order of first appearance until sorted), given at ord[k]. */
typedef struct loaded {
	size_t n, cap;
	uint32_t *rev, *lab, *cod;
	int64_t *ord;
	uint32_t n_rev, cap_rev;
	int64_t last_review;
	char **ids;		/* [n_rev] ext ids */
	rl_strmap *lab_map, *cod_map;
	char **lab_names, **cod_names;
	uint32_t n_lab, n_cod, cap_lab, cap_cod;
} loaded;

static void loaded_free(loaded *l)
{
	free(l->rev);
	free(l->lab);
	free(l->cod);
	free(l->ord);
	for (uint32_t i = 0; i < l->n_rev; i++)
		free(l->ids[i]);
	free(l->ids);
	for (uint32_t i = 0; i < l->n_lab; i++)
		free(l->lab_names[i]);
	for (uint32_t i = 0; i < l->n_cod; i++)
		free(l->cod_names[i]);
	free(l->lab_names);
	free(l->cod_names);
	rl_strmap_free(l->lab_map);
	rl_strmap_free(l->cod_map);
}

/* The index of name in map/names, added if new. */
static int intern(rl_strmap *map, char ***names, uint32_t *n, uint32_t *cap,
		  const char *name, uint32_t *out)
{
	size_t len = strlen(name);
	int64_t at = rl_strmap_get(map, name, len);
	if (at >= 0) {
		*out = (uint32_t)at;
		return RL_OK;
	}
	if (*n == *cap) {
		uint32_t c = *cap ? 2 * *cap : 8;
		char **g = realloc(*names, c * sizeof *g);
		if (!g)
			return RL_ENOMEM;
		*names = g;
		*cap = c;
	}
	if (!((*names)[*n] = strdup(name)))
		return RL_ENOMEM;
	*out = (*n)++;
	return rl_strmap_put(map, name, len, *out);
}

static int on_row(void *ctx, const rl_ann_row *row)
{
	loaded *l = ctx;
	int rc;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		uint32_t *a = realloc(l->rev, cap * sizeof *a);
		if (a)
			l->rev = a;
		uint32_t *b = realloc(l->lab, cap * sizeof *b);
		if (b)
			l->lab = b;
		uint32_t *c = realloc(l->cod, cap * sizeof *c);
		if (c)
			l->cod = c;
		int64_t *d = realloc(l->ord, cap * sizeof *d);
		if (d)
			l->ord = d;
		if (!a || !b || !c || !d)
			return RL_ENOMEM;
		l->cap = cap;
	}
	/* Rows come by review: a new review id is a new review. */
	if (l->n == 0 || row->review_id != l->last_review) {
		if (l->n_rev == l->cap_rev) {
			uint32_t cap = l->cap_rev ? 2 * l->cap_rev : 64;
			char **g = realloc(l->ids, cap * sizeof *g);
			if (!g)
				return RL_ENOMEM;
			l->ids = g;
			l->cap_rev = cap;
		}
		if (!(l->ids[l->n_rev] = strdup(row->ext_id)))
			return RL_ENOMEM;
		l->n_rev++;
		l->last_review = row->review_id;
	}
	size_t k = l->n;
	l->rev[k] = l->n_rev - 1;
	l->ord[k] = row->order;
	if ((rc = intern(l->lab_map, &l->lab_names, &l->n_lab, &l->cap_lab,
			 row->label, &l->lab[k])) != RL_OK ||
	    (rc = intern(l->cod_map, &l->cod_names, &l->n_cod, &l->cap_cod,
			 row->annotator, &l->cod[k])) != RL_OK)
		return rc;
	l->n++;
	return RL_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Sorts names [n] by byte order, and map [n] gets each old index's new
 * one. */
static int sort_names(char **names, uint32_t n, uint32_t *map)
{
	char ***p = malloc(((size_t)n + 1) * sizeof *p);
	char **sorted = malloc(((size_t)n + 1) * sizeof *sorted);
	if (!p || !sorted) {
		free(p);
		free(sorted);
		return RL_ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		p[i] = &names[i];
	qsort(p, n, sizeof *p, by_name);
	for (uint32_t i = 0; i < n; i++) {
		map[p[i] - names] = i;
		sorted[i] = *p[i];
	}
	memcpy(names, sorted, n * sizeof *names);
	free(p);
	free(sorted);
	return RL_OK;
}

/* Moves the names [n] (and their array) to the report, *out pointing at
 * them; the loader keeps none of them, even on failure. */
static int adopt_names(report *r, char ***names, uint32_t *n,
		       const char *const **out)
{
	char **v = *names;
	uint32_t cnt = *n;
	int rc = RL_OK;
	*names = NULL;
	*n = 0;
	for (uint32_t i = 0; i < cnt; i++)
		if (rc == RL_OK)
			rc = keep(r, v[i]);
		else
			free(v[i]);
	if (rc == RL_OK)
		rc = keep(r, v);
	else
		free(v);
	if (rc == RL_OK)
		*out = (const char *const *)v;
	return rc;
}

/* Labels l of row [L] that are 1, by name, joined by '|', kept by r. */
static int join_labels(report *r, const int32_t *row, size_t step,
		       uint32_t L, const char *const *names, const char **out)
{
	rl_buf b = { 0 };
	int rc = RL_OK;
	for (uint32_t l = 0; l < L && rc == RL_OK; l++) {
		if (row[l * step] != 1)
			continue;
		if (b.len)
			rc = rl_buf_putc(&b, '|');
		if (rc == RL_OK)
			rc = rl_buf_append(&b, names[l], strlen(names[l]));
	}
	if (rc == RL_OK)
		rc = rl_buf_putc(&b, '\0');
	if (rc != RL_OK) {
		rl_buf_free(&b);
		return rc;
	}
	*out = b.data;
	return keep(r, b.data);
}

/* The disagreements: reviews whose annotators (two or more) answered
 * differently. Y [n_rev][L][C] holds each answer as 0/1 per label (-1:
 * no answer); rows k of l are by review. The resolved labels come from
 * agreement.c's policy, on the review's answers in the order given. */
static int find_disagreements(report *r, const loaded *l, const int32_t *Y,
			      int multi)
{
	rl_agreement_report *a = &r->pub;
	uint32_t L = a->n_labels, C = a->n_annotators;
	size_t cap = 0, n = 0, k = 0;
	rl_disagreement *dis = NULL;
	uint32_t *lab = malloc((l->n + 1) * sizeof *lab);
	uint32_t *cod = malloc((l->n + 1) * sizeof *cod);
	int64_t *ord = malloc((l->n + 1) * sizeof *ord);
	int32_t *res = malloc(((size_t)L + 1) * sizeof *res);
	uint8_t *on = malloc((size_t)L + 1);
	int rc = RL_ENOMEM;
	if (!lab || !cod || !ord || !res || !on)
		goto out;
	rc = RL_OK;
	for (uint32_t i = 0; i < l->n_rev && rc == RL_OK; i++) {
		const int32_t *y = Y + (size_t)i * L * C;
		size_t start = k;
		while (k < l->n && l->rev[k] == i)
			k++;
		/* Who answered, and whether any two differ. */
		uint32_t m = 0, first = 0;
		int differ = 0;
		for (uint32_t c = 0; c < C; c++) {
			if (y[c] < 0)
				continue;
			if (m++ == 0) {
				first = c;
				continue;
			}
			for (uint32_t j = 0; j < L && !differ; j++)
				differ = y[(size_t)j * C + c] !=
					 y[(size_t)j * C + first];
		}
		if (m < 2 || !differ)
			continue;
		/* The review's answers oldest first, for the policy. */
		size_t na = k - start;
		for (size_t x = 0; x < na; x++) {
			size_t at = x;
			while (at > 0 && ord[at - 1] > l->ord[start + x]) {
				lab[at] = lab[at - 1];
				cod[at] = cod[at - 1];
				ord[at] = ord[at - 1];
				at--;
			}
			lab[at] = l->lab[start + x];
			cod[at] = l->cod[start + x];
			ord[at] = l->ord[start + x];
		}
		if (multi) {
			rc = rl_resolve_multi(na, lab, cod, L, C, on);
		} else {
			int32_t w;
			rc = rl_resolve_single(na, lab, cod, L, C, &w);
			memset(on, 0, L);
			if (w >= 0)
				on[w] = 1;
		}
		if (rc != RL_OK)
			break;
		for (uint32_t j = 0; j < L; j++)
			res[j] = on[j];
		if (n == cap) {
			size_t c2 = cap ? 2 * cap : 16;
			rl_disagreement *g = realloc(dis, c2 * sizeof *g);
			if (!g) {
				rc = RL_ENOMEM;
				break;
			}
			dis = g;
			cap = c2;
		}
		rl_disagreement *d = &dis[n];
		uint32_t *who = malloc(m * sizeof *who);
		const char **ans = calloc(m, sizeof *ans);
		if ((rc = keep(r, who)) != RL_OK) {
			free(ans);
			break;
		}
		if ((rc = keep(r, (void *)ans)) != RL_OK)
			break;
		char *id = strdup(l->ids[i]);
		if ((rc = keep(r, id)) != RL_OK ||
		    (rc = join_labels(r, res, 1, L, a->labels,
				      &d->resolved)) != RL_OK)
			break;
		d->id = id;
		d->n = m;
		d->annotators = who;
		d->answers = ans;
		m = 0;
		for (uint32_t c = 0; c < C && rc == RL_OK; c++) {
			if (y[c] < 0)
				continue;
			who[m] = c;
			rc = join_labels(r, y + c, C, L, a->labels,
					 &ans[m]);
			m++;
		}
		n++;
	}
	if (rc == RL_OK && n > 0)
		rc = keep(r, dis);
	else
		free(dis);
	if (rc == RL_OK) {
		a->disagreements = n ? dis : NULL;
		a->n_disagreements = n;
	}
out:
	free(lab);
	free(cod);
	free(ord);
	free(res);
	free(on);
	return rc;
}

int rl_agreement(rl_db *db, rl_agreement_report **out)
{
	loaded l = { 0 };
	report *r = NULL;
	int32_t *V = NULL, *Y = NULL;
	uint32_t *lmap = NULL, *cmap = NULL;
	int64_t *when = NULL;
	int multi = rl_db_multi_label(db), rc;
	rl_clear_error(db);
	*out = NULL;
	if ((rc = rl_strmap_new(&l.lab_map)) != RL_OK ||
	    (rc = rl_strmap_new(&l.cod_map)) != RL_OK)
		goto out;
	if ((rc = rl_store_read_begin(db)) != RL_OK)
		goto out;
	rc = rl_store_annotations_each(db, on_row, &l);
	rl_store_rollback(db);
	if (rc != RL_OK)
		goto out;
	if (l.n == 0) {
		rc = rl_fail(db, RL_EEMPTY, "%s: no hand label has an "
			     "annotator yet", rl_db_path(db));
		goto out;
	}
	uint32_t L = l.n_lab, C = l.n_cod, N = l.n_rev;
	rc = RL_ENOMEM;
	lmap = malloc(((size_t)L + 1) * sizeof *lmap);
	cmap = malloc(((size_t)C + 1) * sizeof *cmap);
	r = calloc(1, sizeof *r);
	/* Y [N][L][C]: 1 where annotator c gave review i label l, 0 where
	 * c answered i otherwise, -1 where c did not answer i. V [N][C]:
	 * a single-label answer, the label of c's latest (when[]) row. */
	Y = malloc(((size_t)N * L * C + 1) * sizeof *Y);
	V = malloc(((size_t)N * C + 1) * sizeof *V);
	when = malloc(((size_t)N * C + 1) * sizeof *when);
	if (!lmap || !cmap || !r || !Y || !V || !when)
		goto out;
	rl_agreement_report *a = &r->pub;
	if ((rc = sort_names(l.lab_names, L, lmap)) != RL_OK ||
	    (rc = sort_names(l.cod_names, C, cmap)) != RL_OK)
		goto out;
	for (size_t k = 0; k < l.n; k++) {
		l.lab[k] = lmap[l.lab[k]];
		l.cod[k] = cmap[l.cod[k]];
	}
	for (size_t x = 0; x < (size_t)N * L * C; x++)
		Y[x] = -1;
	for (size_t x = 0; x < (size_t)N * C; x++)
		V[x] = -1;
	for (size_t k = 0; k < l.n; k++) {
		size_t i = l.rev[k], c = l.cod[k];
		if (V[i * C + c] < 0) {
			for (uint32_t j = 0; j < L; j++)
				Y[(i * L + j) * C + c] = 0;
		}
		Y[(i * L + l.lab[k]) * C + c] = 1;
		if (V[i * C + c] < 0 || l.ord[k] > when[i * C + c]) {
			V[i * C + c] = (int32_t)l.lab[k];
			when[i * C + c] = l.ord[k];
		}
	}

	/* The names and counts. */
	uint64_t *labelled = calloc((size_t)C + 1, sizeof *labelled);
	if ((rc = keep(r, labelled)) != RL_OK)
		goto out;
	a->multi = multi;
	a->n_annotators = C;
	a->n_labels = L;
	a->labelled = labelled;
	a->reviews = N;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t m = 0;
		for (uint32_t c = 0; c < C; c++)
			if (V[(size_t)i * C + c] >= 0) {
				labelled[c]++;
				m++;
			}
		a->shared += m >= 2;
		a->n_answers += m;
	}
	if ((rc = adopt_names(r, &l.cod_names, &l.n_cod,
			      &a->annotators)) != RL_OK ||
	    (rc = adopt_names(r, &l.lab_names, &l.n_lab, &a->labels)) != RL_OK)
		goto out;

	/* Overall and per label: the tables read as agreement.h says. In
	 * a single-label store the answers V with L categories, and label
	 * j as V == j; in a multi-label one every (review, label) of Y a
	 * unit, and label j its slice of Y. */
	rl_coded all = multi ? (rl_coded){ Y, (size_t)N * L, C, C, 2, -1 }
			     : (rl_coded){ V, N, C, C, L, -1 };
	uint64_t pairable;
	if ((rc = rl_kripp_alpha(&all, &a->alpha, &pairable)) != RL_OK)
		goto out;
	uint32_t P = C * (C - 1) / 2;
	rl_agreement_pair *pairs = calloc((size_t)P + 1, sizeof *pairs);
	double *lalpha = calloc((size_t)L + 1, sizeof *lalpha);
	double *lkappa = calloc((size_t)L * P + 1, sizeof *lkappa);
	if ((rc = keep(r, pairs)) != RL_OK) {
		free(lalpha);
		free(lkappa);
		goto out;
	}
	if ((rc = keep(r, lalpha)) != RL_OK) {
		free(lkappa);
		goto out;
	}
	if ((rc = keep(r, lkappa)) != RL_OK)
		goto out;
	a->n_pairs = P;
	a->pairs = pairs;
	a->label_alpha = lalpha;
	a->label_kappa = lkappa;
	for (uint32_t j = 0; j < L; j++) {
		rl_coded d = multi ? (rl_coded){ Y + (size_t)j * C, N,
						 (size_t)L * C, C, 2, -1 }
				   : (rl_coded){ V, N, C, C, L, (int32_t)j };
		if ((rc = rl_kripp_alpha(&d, &lalpha[j], &pairable)) != RL_OK)
			goto out;
	}
	uint32_t p = 0;
	for (uint32_t x = 0; x < C; x++)
		for (uint32_t z = x + 1; z < C; z++, p++) {
			rl_agreement_pair *q = &pairs[p];
			uint64_t items, agree;
			q->a = x;
			q->b = z;
			if ((rc = rl_cohen_kappa(&all, x, z, &q->kappa, &items,
						 &agree)) != RL_OK)
				goto out;
			/* Reviews (not units) both answered, and those
			 * with the same answer. */
			for (uint32_t i = 0; i < N; i++) {
				const int32_t *v = V + (size_t)i * C;
				if (v[x] < 0 || v[z] < 0)
					continue;
				q->reviews++;
				int same = 1;
				const int32_t *y = Y + (size_t)i * L * C;
				for (uint32_t j = 0; j < L && same; j++)
					same = y[(size_t)j * C + x] ==
					       y[(size_t)j * C + z];
				q->agree += same;
			}
			for (uint32_t j = 0; j < L; j++) {
				rl_coded d = multi
					? (rl_coded){ Y + (size_t)j * C, N,
						      (size_t)L * C, C, 2, -1 }
					: (rl_coded){ V, N, C, C, L,
						      (int32_t)j };
				if ((rc = rl_cohen_kappa(&d, x, z,
							 &lkappa[(size_t)j * P +
								 p], &items,
							 &agree)) != RL_OK)
					goto out;
			}
		}
	if ((rc = find_disagreements(r, &l, Y, multi)) != RL_OK)
		goto out;
	*out = a;
	r = NULL;
out:
	if (rc == RL_ENOMEM)
		rl_fail(db, rc, "out of memory");
	rl_agreement_free(r ? &r->pub : NULL);
	loaded_free(&l);
	free(lmap);
	free(cmap);
	free(V);
	free(Y);
	free(when);
	return rc;
}

/* ---- whom the out-of-fold predictions dispute ---- */

/* Index of x in the ascending a [n], or -1. */
static int64_t find_id(const int64_t *a, uint32_t n, int64_t x)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == x ? (int64_t)lo : -1;
}

/* The verdicts, gathered annotator by annotator from the annotations
 * (which come by review, then annotator). */
typedef struct judge {
	const rl_evidence *ev;
	const double *P;	/* [n][L] out of fold */
	const int32_t *conf;	/* single-label: [n] rl_confident_labels */
	const double *bar;	/* multi-label: [2 L] rl_label_bars */
	const uint8_t *judged;	/* multi-label: [L] */
	rl_strmap *map;		/* annotator -> index */
	char **names;
	rl_annotator_disputes *acc;
	uint32_t n, cap;
	/* the (review, annotator) being read */
	int open;
	int64_t review;
	uint32_t who;
	uint8_t *gave;		/* [L] */
	int32_t last;		/* single-label: their latest label */
	int64_t last_order;
} judge;

/* Judges the answers of the (review, annotator) read. */
static void judge_flush(judge *j)
{
	const rl_evidence *ev = j->ev;
	uint32_t L = ev->L;
	if (!j->open)
		return;
	j->open = 0;
	int64_t i = find_id(ev->review_ids, ev->n, j->review);
	if (i < 0 || ev->seed[i] < 0)
		return;
	const double *p = j->P + (size_t)i * L;
	if (rl_argmax(p, L) < 0)
		return;
	rl_annotator_disputes *a = &j->acc[j->who];
	if (!ev->multi) {
		if (j->last < 0)
			return;
		a->reviews++;
		a->labels++;
		a->disputed += j->conf[i] >= 0 && j->conf[i] != j->last;
		return;
	}
	a->reviews++;
	for (uint32_t l = 0; l < L; l++) {
		if (!j->judged[l])
			continue;
		if (j->gave[l]) {
			a->labels++;
			a->disputed += p[l] <= j->bar[L + l];
		} else {
			a->missed += p[l] >= j->bar[l];
		}
	}
}

static int judge_row(void *ctx, const rl_ann_row *row)
{
	judge *j = ctx;
	const rl_evidence *ev = j->ev;
	size_t len = strlen(row->annotator);
	int64_t who = rl_strmap_get(j->map, row->annotator, len);
	int rc;
	if (who < 0) {
		if (j->n == j->cap) {
			uint32_t cap = j->cap ? 2 * j->cap : 8;
			char **nm = realloc(j->names, cap * sizeof *nm);
			if (nm)
				j->names = nm;
			rl_annotator_disputes *ac = realloc(j->acc, cap *
							    sizeof *ac);
			if (ac)
				j->acc = ac;
			if (!nm || !ac)
				return RL_ENOMEM;
			j->cap = cap;
		}
		if (!(j->names[j->n] = strdup(row->annotator)))
			return RL_ENOMEM;
		memset(&j->acc[j->n], 0, sizeof j->acc[j->n]);
		who = j->n++;
		if ((rc = rl_strmap_put(j->map, row->annotator, len, who)) !=
		    RL_OK)
			return rc;
	}
	if (!j->open || j->review != row->review_id ||
	    j->who != (uint32_t)who) {
		judge_flush(j);
		j->open = 1;
		j->review = row->review_id;
		j->who = (uint32_t)who;
		j->last = -1;
		memset(j->gave, 0, ev->L);
	}
	int64_t l = find_id(ev->label_ids, ev->L, row->label_id);
	if (l < 0)
		return RL_OK;
	j->gave[l] = 1;
	if (j->last < 0 || row->order > j->last_order) {
		j->last = (int32_t)l;
		j->last_order = row->order;
	}
	return RL_OK;
}

static int by_rate(const void *x, const void *y)
{
	const rl_annotator_disputes *a = x, *b = y;
	if (a->rate != b->rate)
		return a->rate < b->rate ? 1 : -1;
	if (a->disputed != b->disputed)
		return a->disputed < b->disputed ? 1 : -1;
	return strcmp(a->annotator, b->annotator);
}

int rl_suspects_by_annotator(rl_db *db, const rl_eval_opts *o,
			     rl_annotator_fn fn, void *ctx,
			     rl_suspects_stats *st)
{
	rl_eval_report *r = NULL;
	rl_oof oof;
	judge j = { 0 };
	double *P = NULL, *bar = NULL;
	int32_t *conf = NULL;
	uint8_t *judged = NULL;
	if (st)
		memset(st, 0, sizeof *st);
	int rc = rl_eval_oof(db, o, &r, &oof);
	if (rc != RL_OK)
		return rc;
	const rl_evidence *ev = &oof.ev;
	uint32_t n = ev->n, L = ev->L;
	rc = RL_ENOMEM;
	P = calloc((size_t)n * L + 1, sizeof *P);
	conf = malloc(((size_t)n + 1) * sizeof *conf);
	bar = malloc((2 * (size_t)L + 1) * sizeof *bar);
	judged = malloc((size_t)L + 1);
	j.gave = malloc((size_t)L + 1);
	if (!P || !conf || !bar || !judged || !j.gave ||
	    rl_strmap_new(&j.map) != RL_OK)
		goto out;
	rl_oof_probs(&oof, r->temperature, P);
	rc = ev->multi ? rl_label_bars(n, L, P, ev->Y, ev->seed, bar, judged)
		       : rl_confident_labels(n, L, P, ev->seed, conf);
	if (rc != RL_OK)
		goto out;
	j.ev = ev;
	j.P = P;
	j.conf = conf;
	j.bar = bar;
	j.judged = judged;
	if ((rc = rl_store_read_begin(db)) != RL_OK)
		goto out;
	rc = rl_store_annotations_each(db, judge_row, &j);
	rl_store_rollback(db);
	if (rc != RL_OK)
		goto out;
	judge_flush(&j);
	for (uint32_t a = 0; a < j.n; a++) {
		j.acc[a].annotator = j.names[a];
		j.acc[a].rate = j.acc[a].labels ? (double)j.acc[a].disputed /
						  (double)j.acc[a].labels : 0;
	}
	qsort(j.acc, j.n, sizeof *j.acc, by_rate);
	if (st) {
		st->seeds = ev->n_seeds;
		st->folds = r->folds;
		for (uint32_t a = 0; a < j.n; a++)
			st->suspects += j.acc[a].disputed;
	}
	for (uint32_t a = 0; a < j.n && rc == RL_OK; a++)
		rc = fn(ctx, &j.acc[a]);
out:
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	rl_eval_report_free(r);
	rl_oof_free(&oof);
	for (uint32_t a = 0; a < j.n; a++)
		free(j.names[a]);
	free(j.names);
	free(j.acc);
	free(j.gave);
	rl_strmap_free(j.map);
	free(P);
	free(conf);
	free(bar);
	free(judged);
	return rc;
}
