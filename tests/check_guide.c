/*
 * check_guide.c - what to label next and which hand labels look wrong:
 * the ranking kernels on hand-made arrays (uncertain before certain,
 * disagreement counts, near-duplicates not offered together, outliers
 * demoted, thresholds of confident learning), and the stages on a tiny
 * store (a flipped seed found, nothing written, clear errors before
 * `revlab run`).
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "internal.h"
#include "kernels.h"
#include "store.h"
#include "testutil.h"

/* Three rows, two labels, no neighbours unless a test adds them. */
static double Pm[6], Pp[6], R[6];
static uint8_t cand[3] = { 1, 1, 1 };
static int32_t nbr[3] = { -1, -1, -1 };
static float sim[3];

static rl_next_in three(void)
{
	rl_next_in in = { 3, 2, 1, Pm, Pp, R, cand, nbr, sim, NULL, 0.5, 0.5,
			  1, 0, 0, NULL };
	return in;
}

static void rows(const double *m, const double *p)
{
	memcpy(Pm, m, sizeof Pm);
	memcpy(Pp, p, sizeof Pp);
	memset(R, 0, sizeof R);
	for (int i = 0; i < 3; i++) {
		cand[i] = 1;
		nbr[i] = -1;
		sim[i] = 0;
	}
}

START_TEST(uncertain_first)
{
	static const double m[6] = { 0.5, 0.5, 0.95, 0.05, 0.6, 0.4 };
	rows(m, m);
	rl_next_in in = three();
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 2);
	ck_assert_uint_eq(out[2].row, 1);
	ck_assert_double_eq_tol(out[0].uncertainty, 1, 1e-12);
	ck_assert_double_eq_tol(out[2].uncertainty, 0.1, 1e-12);
	ck_assert_int_eq(out[0].m1, 0);
	/* A hand-labelled row is never offered; the limit holds. */
	cand[0] = 0;
	ck_assert_int_eq(rl_next_rank(&in, 1, out, &n), RL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].row, 2);
}
END_TEST

START_TEST(disagreement_counts)
{
	/* Rows 0 and 1 equally unsure, model and propagation together;
	 * propagation and a rule contradict the model on row 1 only. */
	static const double m[6] = { 0.7, 0.3, 1.0, 0.0, 0.9, 0.1 };
	static const double p[6] = { 0.7, 0.3, 0.4, 0.6, 0.9, 0.1 };
	rows(m, p);
	R[3] = 1;
	rl_next_in in = three();
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 1);
	/* model vs propagation, model vs rules differ; propagation and
	 * rules agree: 2 of 3 pairs. */
	ck_assert_double_eq_tol(out[0].disagreement, 2.0 / 3, 1e-12);
	ck_assert_int_eq(out[0].prop, 1);
	ck_assert_int_eq(out[0].rule, 1);
	ck_assert_int_eq(out[0].model, 0);
	ck_assert_uint_eq(out[1].row, 0);
	ck_assert_double_eq_tol(out[1].disagreement, 0, 1e-12);
	ck_assert_double_eq_tol(out[0].uncertainty, out[1].uncertainty,
				1e-12);
	/* Without its weight, the two score alike. */
	in.w_disagree = 0;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_double_eq_tol(out[0].score, out[1].score, 1e-12);
	/* A review no evidence reaches is explored first. */
	memset(Pp + 4, 0, 2 * sizeof *Pp);
	in.w_explore = 5;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 2);
	ck_assert_int_eq(out[0].prop, -1);
}
END_TEST

START_TEST(near_duplicates_apart)
{
	/* Rows 0 and 1, the two most unsure, are each other's neighbour. */
	static const double m[6] = { 0.5, 0.5, 0.52, 0.48, 0.8, 0.2 };
	rows(m, m);
	nbr[0] = 1;
	nbr[1] = 0;
	nbr[2] = 1;
	sim[0] = sim[1] = sim[2] = 0.9f;
	rl_next_in in = three();
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 2, out, &n), RL_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 2);
	/* With nothing else left, the skipped ones come last, in score
	 * order. */
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[2].row, 1);
}
END_TEST

START_TEST(balanced_picks)
{
	/* Rows 0 and 1 most likely label 0, row 2 label 1 but surer. */
	static const double m[6] = { 0.5, 0.5, 0.55, 0.45, 0.3, 0.7 };
	rows(m, m);
	rl_next_in in = three();
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 2, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 1);
	/* Shared out: one pick per label while both have candidates. */
	in.balance = 1;
	ck_assert_int_eq(rl_next_rank(&in, 2, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 2);
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(outliers_demoted)
{
	/* Row 0 is the most unsure but far from everything. */
	static const double m[6] = { 0.5, 0.5, 0.55, 0.45, 0.95, 0.05 };
	rows(m, m);
	nbr[0] = 2;
	nbr[1] = 2;
	nbr[2] = 1;
	sim[0] = 0.05f;
	sim[1] = 0.9f;
	sim[2] = 0.9f;
	rl_next_in in = three();
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 1, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 1);
	ck_assert_double_eq_tol(out[0].density, 1, 1e-6);
	in.density_power = 0;
	ck_assert_int_eq(rl_next_rank(&in, 1, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 0);
}
END_TEST

START_TEST(confident_learning)
{
	/* Row 3 is given label 1 but looks like label 0; row 1 is unsure of
	 * its label 0 yet nothing else is confident; row 4 has no label. */
	static const double P[10] = { 0.9, 0.1, 0.8, 0.2, 0.2, 0.8,
				      0.88, 0.12, 0.01, 0.99 };
	static const int32_t given[5] = { 0, 0, 1, 1, -1 };
	rl_suspect_pick out[5];
	size_t n;
	ck_assert_int_eq(rl_suspect_rank(5, 2, P, given, out, &n), RL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].row, 3);
	ck_assert_uint_eq(out[0].given, 1);
	ck_assert_uint_eq(out[0].suggested, 0);
	ck_assert_double_eq_tol(out[0].margin, 0.76, 1e-12);
	/* Two flips: the one the predictions contradict more comes first;
	 * label 0's bar is its seeds' mean 0.925, which row 6 misses. */
	static const double Q[14] = { 0.9, 0.1, 0.95, 0.05, 0.1, 0.9,
				      0.2, 0.8, 0.93, 0.07, 0.97, 0.03,
				      0.92, 0.08 };
	static const int32_t given2[7] = { 0, 0, 1, 1, 1, 1, 1 };
	rl_suspect_pick out2[7];
	ck_assert_int_eq(rl_suspect_rank(7, 2, Q, given2, out2, &n), RL_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out2[0].row, 5);
	ck_assert_uint_eq(out2[1].row, 4);
}
END_TEST

/* ---- multi-label kernels ---- */

/* Three rows, two labels, each label its own probability. */
static rl_next_in three_multi(const double *thr)
{
	rl_next_in in = three();
	in.multi = 1;
	in.thr = thr;
	return in;
}

START_TEST(multi_evidence_centred)
{
	/* Label 0's threshold 0.2: the model's 0.3 sits a quarter of the
	 * way up from it, 0.1 halfway down; propagation (threshold 0.5)
	 * is averaged in where it answers. */
	static const double thr[2] = { 0.2, 0.5 };
	static const double m[6] = { 0.3, 0.9, 0.1, 0.5, 0.2, 0.6 };
	static const double p[6] = { 0.8, 0.9, 0, 0, 0.5, 0.1 };
	rows(m, p);
	rl_next_in in = three_multi(thr);
	double q[2];
	uint8_t on[8];
	ck_assert_int_eq(rl_next_row_multi(&in, 0, q, on), 2);
	ck_assert_double_eq_tol(q[0], (0.5 + 0.5 * 0.1 / 0.8 + 0.8) / 2, 1e-12);
	ck_assert_double_eq_tol(q[1], 0.9, 1e-12);
	/* Propagation abstains on row 1: the model's alone. */
	ck_assert_int_eq(rl_next_row_multi(&in, 1, q, on), 1);
	ck_assert_double_eq_tol(q[0], 0.25, 1e-12);
	ck_assert_double_eq_tol(q[1], 0.5, 1e-12);
	/* Decisions: together {1} (0.5 is on the line), the model {1} by
	 * its thresholds, propagation none, rules none. */
	ck_assert(!on[0] && on[1]);
	ck_assert(!on[2] && on[3]);
	ck_assert(!on[4] && !on[5] && !on[6] && !on[7]);
	/* Row 2: the model gives {0, 1} (0.2 reaches label 0's 0.2),
	 * propagation {0}, together {0}: label 1's 0.6 is 0.6 centred,
	 * averaged with 0.1. */
	ck_assert_int_eq(rl_next_row_multi(&in, 2, q, on), 2);
	ck_assert_double_eq_tol(q[0], 0.5, 1e-12);
	ck_assert_double_eq_tol(q[1], 0.35, 1e-12);
	ck_assert(on[0] && !on[1] && on[2] && on[3] && on[4] && !on[5]);
}
END_TEST

START_TEST(multi_unsure_label)
{
	/* Row 0 is sure of label 1 and right on label 0's threshold; row 1
	 * sure of both; row 2 at 0.5 on label 0, 0.3 above its threshold
	 * 0.2 (0.6875 centred). Without propagation, the model alone. */
	static const double thr[2] = { 0.2, 0.5 };
	static const double m[6] = { 0.2, 0.97, 0.95, 0.02, 0.5, 0.1 };
	static const double zero[6] = { 0 };
	rows(m, zero);
	rl_next_in in = three_multi(thr);
	in.w_disagree = 0;
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_int_eq(out[0].m1, 0);
	/* The largest of its labels' uncertainties, not their mean. */
	ck_assert_double_eq_tol(out[0].uncertainty, 1, 1e-12);
	ck_assert_double_eq_tol(out[0].p1, 0.5, 1e-12);
	ck_assert_int_eq(out[0].m2, 1);
	ck_assert_uint_eq(out[1].row, 2);
	ck_assert_int_eq(out[1].m1, 0);
	ck_assert_double_eq_tol(out[1].uncertainty, 0.625, 1e-12);
	ck_assert_int_eq(out[1].m2, 1);	/* 0.1 under 0.5: 0.2 */
	ck_assert_uint_eq(out[2].row, 1);
	/* With 0.5 for every label, row 2's label 0 is the unsure one. */
	in.thr = NULL;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 2);
	ck_assert_int_eq(out[0].m1, 0);
	ck_assert_double_eq_tol(out[0].uncertainty, 1, 1e-12);
}
END_TEST

START_TEST(multi_disagreement)
{
	/* Row 0: the model gives {0, 1}, propagation {0}, the rules {1}:
	 * model-propagation differ on 1 of the 2 labels either gives,
	 * model-rules on 1 of 2, propagation-rules on 2 of 2. Row 1: all
	 * give {0}. Row 2: only the model answers. */
	static const double m[6] = { 0.9, 0.8, 0.9, 0.1, 0.6, 0.4 };
	static const double p[6] = { 0.7, 0.2, 0.8, 0.3, 0, 0 };
	rows(m, p);
	R[1] = 0.9;
	R[2] = 0.7;
	rl_next_in in = three_multi(NULL);
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	for (size_t a = 0; a < n; a++) {
		double want = out[a].row == 0 ? (0.5 + 0.5 + 1) / 3 : 0;
		ck_assert_double_eq_tol(out[a].disagreement, want, 1e-12);
	}
	/* One label each, as in a single-label store: 0 or 1. */
	static const double m1[6] = { 0.9, 0.1, 0.9, 0.1, 0.9, 0.1 };
	static const double p1[6] = { 0.2, 0.8, 0.8, 0.2, 0, 0 };
	rows(m1, p1);
	ck_assert_int_eq(rl_next_rank(&in, 3, out, &n), RL_OK);
	for (size_t a = 0; a < n; a++)
		ck_assert_double_eq_tol(out[a].disagreement,
					out[a].row == 0 ? 1 : 0, 1e-12);
}
END_TEST

START_TEST(multi_balanced_by_unsure_label)
{
	/* Rows 0 and 1 unsure of label 0, row 2 of label 1 but less. */
	static const double m[6] = { 0.5, 0.9, 0.55, 0.95, 0.9, 0.35 };
	rows(m, m);
	rl_next_in in = three_multi(NULL);
	rl_next_pick out[3];
	size_t n;
	ck_assert_int_eq(rl_next_rank(&in, 2, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 1);
	in.balance = 1;
	ck_assert_int_eq(rl_next_rank(&in, 2, out, &n), RL_OK);
	ck_assert_uint_eq(out[0].row, 0);
	ck_assert_uint_eq(out[1].row, 2);
	ck_assert_int_eq(out[1].m1, 1);
}
END_TEST

START_TEST(multi_confident_learning)
{
	/* Label 0: the rows with it average 0.6, those without 1/3; row 2
	 * carries it at 0.1 (drop?), row 5 lacks it at 0.7 (add?). Label
	 * 1: with 0.8167, without 0.2, nothing past either. Label 2's
	 * predictions rank it backwards (with 0.3, without 0.5): not
	 * judged, though row 0 and row 3 would cross its bars. Row 6 has
	 * no hand label. */
	static const double P[21] = {
		0.9, 0.7, 0.3,	0.8, 0.2, 0.3,	0.1, 0.3, 0.5,
		0.2, 0.9, 0.6,	0.1, 0.85, 0.4,	0.7, 0.1, 0.5,
		0.99, 0.99, 0.99 };
	static const uint8_t Y[21] = {
		1, 1, 1,	1, 0, 1,	1, 0, 0,
		0, 1, 0,	0, 1, 0,	0, 0, 0,
		0, 0, 0 };
	static const int32_t given[7] = { 0, 0, 0, 1, 1, 2, -1 };
	rl_suspect_pick out[21];
	double bars[6];
	size_t n;
	ck_assert_int_eq(rl_suspect_rank_multi(7, 3, P, Y, given, out, &n,
					       bars), RL_OK);
	ck_assert_double_eq_tol(bars[0], 0.6, 1e-12);
	ck_assert_double_eq_tol(bars[3], 1.0 / 3, 1e-12);
	ck_assert_double_eq_tol(bars[1], 2.45 / 3, 1e-12);
	ck_assert_double_eq_tol(bars[4], 0.2, 1e-12);
	ck_assert_uint_eq(n, 2);
	/* The least self-confident first: row 2's hand label (0.1), then
	 * row 5's missing one (1 - 0.7). */
	ck_assert_uint_eq(out[0].row, 2);
	ck_assert_uint_eq(out[0].given, 0);
	ck_assert_uint_eq(out[0].suggested, RL_NO_LABEL);
	ck_assert_double_eq_tol(out[0].margin, 1.0 / 3 - 0.1, 1e-12);
	ck_assert_uint_eq(out[1].row, 5);
	ck_assert_uint_eq(out[1].given, RL_NO_LABEL);
	ck_assert_uint_eq(out[1].suggested, 0);
	ck_assert_double_eq_tol(out[1].margin, 0.1, 1e-12);
}
END_TEST

/* ---- the stages ---- */

static rl_db *db;
static char db_path[512];

static void setup(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("t.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv",
		"id\ttext\n"
		"p1\tcheap price good value\n"
		"p2\tcheap price low cost\n"
		"p3\tgood value low cost cheap\n"
		"p4\tlow price cheap deal\n"
		"p5\tvalue for the price, cheap\n"
		"p6\tcost was low, a cheap deal\n"
		"p7\tgreat price and low cost\n"
		"s1\tfast shipping quick delivery\n"
		"s2\tquick delivery fast courier\n"
		"s3\tcourier shipping fast\n"
		"s4\tdelivery was quick shipping\n"
		"s5\tthe courier was fast, quick delivery\n"
		"s6\tshipping was quick and fast\n"
		"s7\tfast delivery by courier\n"
		"m1\tcheap price, fast shipping\n"
		"m2\tlow cost delivery\n", 0), NULL, NULL), RL_OK);
}

static void teardown(void)
{
	rl_db_close(db);
	tu_teardown();
}

static void build(void)
{
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 4;
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
}

static void seed_all(const char *flip)
{
	static const char *ids[] = { "p1", "p2", "p3", "p4", "p5", "p6",
				     "s1", "s2", "s3", "s4", "s5", "s6" };
	for (int i = 0; i < 12; i++) {
		const char *l = ids[i][0] == 'p' ? "price" : "shipping";
		if (flip && !strcmp(flip, ids[i]))
			l = ids[i][0] == 'p' ? "shipping" : "price";
		ck_assert_int_eq(rl_seed_set(db, ids[i], l), RL_OK);
	}
}

typedef struct seen {
	char ids[16][8];
	char reasons[16][256];
	int n, stop_at;
} seen;

static int on_next(void *ctx, const rl_next_item *it)
{
	seen *s = ctx;
	snprintf(s->ids[s->n], sizeof s->ids[0], "%s", it->ext_id);
	snprintf(s->reasons[s->n], sizeof s->reasons[0], "%s", it->reason);
	ck_assert_ptr_nonnull(it->text);
	ck_assert(it->density >= 0 && it->density <= 1);
	return ++s->n == s->stop_at ? 42 : 0;
}

static int on_suspect(void *ctx, const rl_suspect *x)
{
	seen *s = ctx;
	snprintf(s->ids[s->n], sizeof s->ids[0], "%s", x->ext_id);
	snprintf(s->reasons[s->n], sizeof s->reasons[0], "%s>%s", x->given,
		 x->suggested);
	ck_assert(x->p_suggested > x->p_given);
	double sum = 0;
	for (uint32_t l = 0; l < x->n_labels; l++)
		sum += x->p[l];
	ck_assert_double_eq_tol(sum, 1, 1e-9);
	s->n++;
	return 0;
}

START_TEST(errors_before_run)
{
	seen s = { .n = 0 };
	ck_assert_int_eq(rl_next(db, NULL, 5, on_next, &s), RL_EEMPTY);
	ck_assert_int_eq(rl_db_need(db), RL_NEED_GRAPH);
	ck_assert_int_eq(rl_suspects(db, NULL, 5, on_suspect, &s, NULL),
			 RL_EEMPTY);
	build();
	ck_assert_int_eq(rl_next(db, NULL, 5, on_next, &s), RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "no hand labels"));
	ck_assert_int_eq(rl_db_need(db), RL_NEED_HAND_LABELS);
	seed_all(NULL);
	/* Seeds but no model yet. */
	ck_assert_int_eq(rl_next(db, NULL, 5, on_next, &s), RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "no model yet"));
	ck_assert_int_eq(rl_db_need(db), RL_NEED_MODEL);
	/* One seed per label is too few to cross-validate. */
	for (int i = 2; i <= 6; i++) {
		char id[4] = { 'p', (char)('0' + i), 0 };
		ck_assert_int_eq(rl_seed_unset(db, id), RL_OK);
	}
	ck_assert_int_eq(rl_suspects(db, NULL, 5, on_suspect, &s, NULL),
			 RL_EEMPTY);
	ck_assert_ptr_nonnull(strstr(rl_db_errmsg(db), "too few"));
	ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(next_reads_only)
{
	uint64_t n;
	build();
	seed_all(NULL);
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	char *before = tu_digest(db_path);
	seen a = { .n = 0 }, b = { .n = 0 };
	ck_assert_int_eq(rl_next(db, NULL, 10, on_next, &a), RL_OK);
	/* Only the four reviews without a hand label, each once. */
	ck_assert_int_eq(a.n, 4);
	for (int i = 0; i < a.n; i++) {
		ck_assert(!strcmp(a.ids[i], "p7") || !strcmp(a.ids[i], "s7") ||
			  !strcmp(a.ids[i], "m1") || !strcmp(a.ids[i], "m2"));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a.ids[i], a.ids[j]);
		ck_assert(strstr(a.reasons[i], "unsure") ||
			  strstr(a.reasons[i], "leans"));
		ck_assert_ptr_nonnull(strstr(a.reasons[i], "density"));
	}
	/* The mixed reviews are the ones a label would settle. */
	ck_assert(!strcmp(a.ids[0], "m1") || !strcmp(a.ids[0], "m2"));
	/* Deterministic. */
	ck_assert_int_eq(rl_next(db, NULL, 10, on_next, &b), RL_OK);
	ck_assert_int_eq(b.n, a.n);
	for (int i = 0; i < a.n; i++)
		ck_assert_str_eq(a.ids[i], b.ids[i]);
	/* The callback can stop it. */
	seen c = { .stop_at = 2 };
	ck_assert_int_eq(rl_next(db, NULL, 10, on_next, &c), 42);
	ck_assert_int_eq(c.n, 2);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Options by name. */
	rl_next_opts o;
	rl_next_opts_init(&o);
	ck_assert_double_eq_tol(o.disagreement, 0.5, 1e-12);
	ck_assert_int_eq(rl_next_opts_set(&o, "density=0"), RL_OK);
	ck_assert_int_eq(rl_next_opts_set(&o, "nosuch=1"), RL_EINVAL);
	ck_assert_int_eq(rl_next_opts_set(&o, "explore=-1"), RL_EINVAL);
}
END_TEST

START_TEST(suspects_find_a_flip)
{
	uint64_t n;
	build();
	seed_all("s4");
	ck_assert_int_eq(rl_label_with(db, RL_METHOD_MODEL, NULL, &n), RL_OK);
	char *before = tu_digest(db_path);
	seen s = { .n = 0 };
	rl_suspects_stats st;
	ck_assert_int_eq(rl_suspects(db, NULL, 10, on_suspect, &s, &st),
			 RL_OK);
	ck_assert_uint_eq(st.seeds, 12);
	ck_assert_uint_ge(st.folds, 2);
	ck_assert_int_ge(s.n, 1);
	ck_assert_uint_eq(st.suspects, (uint64_t)s.n);
	ck_assert_str_eq(s.ids[0], "s4");
	ck_assert_str_eq(s.reasons[0], "price>shipping");
	/* The limit holds, and nothing was written. */
	seen t = { .n = 0 };
	ck_assert_int_eq(rl_suspects(db, NULL, 1, on_suspect, &t, NULL),
			 RL_OK);
	ck_assert_int_eq(t.n, 1);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Without the flip, the clean seeds raise no suspicion. */
	ck_assert_int_eq(rl_seed_set(db, "s4", "shipping"), RL_OK);
	seen u = { .n = 0 };
	ck_assert_int_eq(rl_suspects(db, NULL, 10, on_suspect, &u, &st),
			 RL_OK);
	ck_assert_int_eq(u.n, 0);
}
END_TEST

/* ---- the stages in a multi-label store ---- */

static void setup_multi(void)
{
	tu_setup();
	snprintf(db_path, sizeof db_path, "%s", tu_path("m.db"));
	ck_assert_int_eq(rl_db_open(db_path, RL_OPEN_CREATE |
				    RL_OPEN_MULTI_LABEL, &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv",
		"id\ttext\n"
		"p1\tcheap price good value\n"
		"p2\tcheap price low cost\n"
		"p3\tgood value low cost cheap\n"
		"p4\tlow price cheap deal\n"
		"p5\tvalue for the price, cheap\n"
		"p6\tcost was low, a cheap deal\n"
		"p7\tgreat price and low cost\n"
		"s1\tfast shipping quick delivery\n"
		"s2\tquick delivery fast courier\n"
		"s3\tcourier shipping fast\n"
		"s4\tdelivery was quick shipping\n"
		"s5\tthe courier was fast, quick delivery\n"
		"s6\tshipping was quick and fast\n"
		"s7\tfast delivery by courier\n"
		"b1\tcheap price and fast shipping\n"
		"b2\tlow cost, quick delivery\n"
		"b3\tgood value, the courier was fast\n"
		"b4\tgreat price, shipping was quick\n"
		"b5\tcheap deal and fast delivery by courier\n"
		"b6\tlow price, fast courier\n"
		"x1\tit was fine\n", 0), NULL, NULL), RL_OK);
}

/* Hand labels: p1-p6 price, s1-s6 shipping, b1-b4 both; with `plant`,
 * s4 also price (a hand label to drop) and b4 price alone (shipping
 * missing). */
static void seed_multi(int plant)
{
	static const char *ids[] = { "p1", "p2", "p3", "p4", "p5", "p6",
				     "s1", "s2", "s3", "s4", "s5", "s6",
				     "b1", "b2", "b3", "b4" };
	for (int i = 0; i < 16; i++) {
		int both = ids[i][0] == 'b';
		int s4 = plant && !strcmp(ids[i], "s4");
		if (ids[i][0] == 'p' || both || s4)
			ck_assert_int_eq(rl_seed_set(db, ids[i], "price"),
					 RL_OK);
		if (ids[i][0] == 's' ||
		    (both && !(plant && !strcmp(ids[i], "b4"))))
			ck_assert_int_eq(rl_seed_set(db, ids[i], "shipping"),
					 RL_OK);
	}
}

typedef struct mseen {
	char what[32][64];	/* "drop s4 price", "add b4 shipping" */
	double p[32], bar[32];
	int n;
} mseen;

static int on_multi_suspect(void *ctx, const rl_suspect *x)
{
	mseen *s = ctx;
	int drop = x->given != NULL;
	/* One label a suspect: to drop or to add. */
	ck_assert((x->given == NULL) != (x->suggested == NULL));
	const char *l = drop ? x->given : x->suggested;
	double p = drop ? x->p_given : x->p_suggested;
	ck_assert_double_eq(drop ? x->p_suggested : x->p_given, 0);
	/* Past the label's bar, on the side it says. */
	ck_assert(drop ? p <= x->bar : p >= x->bar);
	int has = 0;
	for (uint32_t h = 0; h < x->n_hand; h++)
		has |= !strcmp(x->hand[h], l);
	ck_assert_int_eq(has, drop);
	for (uint32_t k = 0; k < x->n_labels; k++)
		if (!strcmp(x->labels[k], l))
			ck_assert_double_eq(x->p[k], p);
	if (s->n < 32) {
		snprintf(s->what[s->n], sizeof s->what[0], "%s %s %s",
			 drop ? "drop" : "add", x->ext_id, l);
		s->p[s->n] = p;
		s->bar[s->n] = x->bar;
	}
	s->n++;
	return 0;
}

static int seen_at(const mseen *s, const char *what)
{
	for (int i = 0; i < s->n && i < 32; i++)
		if (!strcmp(s->what[i], what))
			return i;
	return -1;
}

START_TEST(multi_suspects_drop_and_add)
{
	build();
	seed_multi(1);
	char *before = tu_digest(db_path);
	mseen s = { .n = 0 };
	rl_suspects_stats st;
	ck_assert_int_eq(rl_suspects(db, NULL, 32, on_multi_suspect, &s, &st),
			 RL_OK);
	ck_assert_uint_eq(st.seeds, 16);
	ck_assert_uint_eq(st.suspects, (uint64_t)s.n);
	/* The planted price on a shipping review, and the shipping
	 * missing from a review about both. */
	ck_assert_int_ge(seen_at(&s, "drop s4 price"), 0);
	ck_assert_int_ge(seen_at(&s, "add b4 shipping"), 0);
	/* The command says which, with the probability. */
	static char out[16384], err[4096];
	char *argv[] = { (char *)RL_REVLAB_EXE, "suspects", db_path, NULL };
	ck_assert_int_eq(tu_exec(argv, NULL, out, sizeof out, err,
				 sizeof err), 0);
	char line[128];
	int at = seen_at(&s, "drop s4 price");
	snprintf(line, sizeof line, "  s4  drop price? p %.2f (reviews without "
		 "it: %.2f); has price|shipping\n", s.p[at], s.bar[at]);
	ck_assert_msg(strstr(out, line) != NULL, "%s", out);
	at = seen_at(&s, "add b4 shipping");
	snprintf(line, sizeof line, "  b4  add shipping? p %.2f (reviews with "
		 "it: %.2f); has price\n", s.p[at], s.bar[at]);
	ck_assert_msg(strstr(out, line) != NULL, "%s", out);
	snprintf(line, sizeof line, "%d suspect labels in 16 hand-labelled "
		 "reviews", s.n);
	ck_assert_msg(strstr(out, line) != NULL, "%s", out);
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Mended, neither is suspect. */
	ck_assert_int_eq(rl_seed_unset_label(db, "s4", "price"), RL_OK);
	ck_assert_int_eq(rl_seed_set(db, "b4", "shipping"), RL_OK);
	mseen t = { .n = 0 };
	ck_assert_int_eq(rl_suspects(db, NULL, 32, on_multi_suspect, &t, &st),
			 RL_OK);
	ck_assert_int_lt(seen_at(&t, "drop s4 price"), 0);
	ck_assert_int_lt(seen_at(&t, "add b4 shipping"), 0);
}
END_TEST

typedef struct mnext {
	char ids[8][8];
	char reasons[8][320];
	char unsure[8][3][16];
	uint32_t n_unsure[8];
	double uncertainty[8], disagreement[8];
	int n;
} mnext;

static int on_multi_next(void *ctx, const rl_next_item *it)
{
	mnext *s = ctx;
	ck_assert_int_lt(s->n, 8);
	snprintf(s->ids[s->n], sizeof s->ids[0], "%s", it->ext_id);
	snprintf(s->reasons[s->n], sizeof s->reasons[0], "%s", it->reason);
	ck_assert_uint_ge(it->n_unsure, 1);
	ck_assert_uint_le(it->n_unsure, 3);
	for (uint32_t u = 0; u < it->n_unsure; u++)
		snprintf(s->unsure[s->n][u], sizeof s->unsure[0][0], "%s",
			 it->unsure[u]);
	s->n_unsure[s->n] = it->n_unsure;
	s->uncertainty[s->n] = it->uncertainty;
	s->disagreement[s->n] = it->disagreement;
	s->n++;
	return 0;
}

START_TEST(multi_next_per_label)
{
	build();
	seed_multi(0);
	ck_assert_int_eq(rl_train(db, NULL), RL_OK);
	char *before = tu_digest(db_path);
	mnext a = { .n = 0 };
	ck_assert_int_eq(rl_next(db, NULL, 8, on_multi_next, &a), RL_OK);
	/* The five reviews without hand labels, each once. */
	ck_assert_int_eq(a.n, 5);
	for (int i = 0; i < a.n; i++) {
		ck_assert(strchr("psbx", a.ids[i][0]) &&
			  (!strcmp(a.ids[i], "p7") || !strcmp(a.ids[i], "s7") ||
			   a.ids[i][0] == 'b' || a.ids[i][0] == 'x'));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a.ids[i], a.ids[j]);
		/* It says what it is unsure of, label by label. */
		char head[64];
		snprintf(head, sizeof head, "%s: %s ",
			 a.uncertainty[i] > 0.5 ? "unsure" : "leans",
			 a.unsure[i][0]);
		ck_assert_msg(strstr(a.reasons[i], head) == a.reasons[i],
			      "%s", a.reasons[i]);
		ck_assert_ptr_nonnull(strstr(a.reasons[i], "; likely "));
		ck_assert(a.disagreement[i] >= 0 && a.disagreement[i] <= 1);
		/* A review about one thing is sure of it, and unsure of
		 * the other; one no seed or rule reaches says so. */
		if (!strcmp(a.ids[i], "p7")) {
			ck_assert_str_eq(a.unsure[i][0], "shipping");
			ck_assert_ptr_nonnull(strstr(a.reasons[i],
						     "; likely price;"));
		}
		if (!strcmp(a.ids[i], "s7")) {
			ck_assert_str_eq(a.unsure[i][0], "price");
			ck_assert_ptr_nonnull(strstr(a.reasons[i],
						     "; likely shipping;"));
		}
		if (!strcmp(a.ids[i], "x1"))
			ck_assert_ptr_nonnull(strstr(a.reasons[i],
						     "no seed or rule"));
	}
	/* The command: the JSON names them too. */
	static char out[16384], err[4096];
	char *argv[] = { (char *)RL_REVLAB_EXE, "next", db_path, "--json",
			 NULL };
	ck_assert_int_eq(tu_exec(argv, NULL, out, sizeof out, err,
				 sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"unsure\":[\""));
	ck_assert_ptr_nonnull(strstr(out, "\"id\":\"s7\""));
	char *after = tu_digest(db_path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

typedef struct sugs {
	char what[16][48];	/* "label term" */
	double z[16];
	uint64_t hits[16], correct[16];
	int n;
} sugs;

static int on_sug(void *ctx, const rl_suggestion *x)
{
	sugs *s = ctx;
	ck_assert_int_lt(s->n, 16);
	snprintf(s->what[s->n], sizeof s->what[0], "%s %s", x->label, x->term);
	s->z[s->n] = x->score;
	s->hits[s->n] = x->seed_hits;
	s->correct[s->n] = x->seed_correct;
	s->n++;
	return 0;
}

static int sug_at(const sugs *s, const char *what)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->what[i], what))
			return i;
	return -1;
}

/* The z-score of the log-odds with the corpus prior (a0 100, n_docs 7),
 * as suggest.c computes it. */
static double zscore(double yi, double yj, double ni, double nj, double df)
{
	double aw = 100 * df / 7;
	double d = log((yi + aw) / (ni + 100 - yi - aw)) -
		   log((yj + aw) / (nj + 100 - yj - aw));
	return d / sqrt(1 / (yi + aw) + 1 / (yj + aw));
}

START_TEST(multi_suggest_one_against_rest)
{
	/* r1 and r2 carry price and shipping, r3 and r4 price, r5
	 * shipping; r6 has assignments (shipping 0.8, price 0.6), r7
	 * nothing. Shipping is the rarer label, so each of r1 and r2 is
	 * counted for both labels, not its rarest alone. */
	rl_db *m = NULL;
	const char *path = tu_path("sg.db");
	ck_assert_int_eq(rl_db_open(path, RL_OPEN_CREATE | RL_OPEN_MULTI_LABEL,
				    &m), RL_OK);
	ck_assert_int_eq(rl_import_file(m, tu_write("sg.tsv",
		"id\ttext\n"
		"r1\tbundle price\n"
		"r2\tbundle price\n"
		"r3\tprice cheap\n"
		"r4\tprice cheap\n"
		"r5\tfast courier\n"
		"r6\tcourier\n"
		"r7\tsomething else\n", 0), NULL, NULL), RL_OK);
	static const char *const hand[][2] = {
		{ "r1", "price" }, { "r1", "shipping" }, { "r2", "price" },
		{ "r2", "shipping" }, { "r3", "price" }, { "r4", "price" },
		{ "r5", "shipping" } };
	for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++)
		ck_assert_int_eq(rl_seed_set(m, hand[i][0], hand[i][1]),
				 RL_OK);
	sqlite3 *q = NULL;
	ck_assert_int_eq(sqlite3_open(path, &q), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(q, "INSERT INTO assignments(review_id, "
		"label_id, confidence, source) SELECT r.id, l.id, CASE "
		"l.name WHEN 'price' THEN 0.6 ELSE 0.8 END, 'propagation' "
		"FROM reviews r, labels l WHERE r.ext_id = 'r6'", NULL, NULL,
		NULL),
		SQLITE_OK);
	sqlite3_close(q);
	rl_suggest_opts o;
	rl_suggest_opts_init(&o);
	o.min_seeds = 1;
	o.lexicon_dir = RL_LEXICON_DIR;
	sugs s = { .n = 0 };
	ck_assert_int_eq(rl_suggest(m, NULL, &o, on_sug, &s), RL_OK);
	/* price: its reviews weigh 1 + 1 + 1 + 1 + 0.6 (r6) = 4.6, the
	 * rest r5 (1); "bundle" is in 2 of them and none of the rest. */
	int at = sug_at(&s, "price bundle");
	ck_assert_int_ge(at, 0);
	ck_assert_double_eq_tol(s.z[at], zscore(2, 0, 4.6, 1, 2), 1e-9);
	ck_assert_uint_eq(s.hits[at], 2);
	ck_assert_uint_eq(s.correct[at], 2);
	/* shipping: 1 + 1 + 1 + 0.8 = 3.8, the rest r3 and r4 (2). */
	at = sug_at(&s, "shipping bundle");
	ck_assert_int_ge(at, 0);
	ck_assert_double_eq_tol(s.z[at], zscore(2, 0, 3.8, 2, 2), 1e-9);
	ck_assert_uint_eq(s.correct[at], 2);
	/* "courier": r5 and r6 by its confidence 0.8, none of the rest. */
	at = sug_at(&s, "shipping courier");
	ck_assert_int_ge(at, 0);
	ck_assert_double_eq_tol(s.z[at], zscore(1.8, 0, 3.8, 2, 2), 1e-9);
	ck_assert_uint_eq(s.hits[at], 1);
	ck_assert_uint_eq(s.correct[at], 1);
	/* For price it is only r6's 0.6, under min_seeds. */
	ck_assert_int_lt(sug_at(&s, "price courier"), 0);
	/* "price" is in every price review and in r1 and r2 among the
	 * shipping ones, as often as in the rest of shipping (r3, r4): no
	 * word of shipping's. */
	ck_assert_int_ge(sug_at(&s, "price price"), 0);
	ck_assert_int_lt(sug_at(&s, "shipping price"), 0);
	rl_db_close(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("guide");
	TCase *k = tcase_create("kernels");
	tcase_add_test(k, uncertain_first);
	tcase_add_test(k, disagreement_counts);
	tcase_add_test(k, near_duplicates_apart);
	tcase_add_test(k, balanced_picks);
	tcase_add_test(k, outliers_demoted);
	tcase_add_test(k, confident_learning);
	tcase_add_test(k, multi_evidence_centred);
	tcase_add_test(k, multi_unsure_label);
	tcase_add_test(k, multi_disagreement);
	tcase_add_test(k, multi_balanced_by_unsure_label);
	tcase_add_test(k, multi_confident_learning);
	suite_add_tcase(s, k);
	TCase *tc = tcase_create("stages");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, errors_before_run);
	tcase_add_test(tc, next_reads_only);
	tcase_add_test(tc, suspects_find_a_flip);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("multi");
	tcase_add_checked_fixture(tm, setup_multi, teardown);
	tcase_add_test(tm, multi_suspects_drop_and_add);
	tcase_add_test(tm, multi_next_per_label);
	tcase_add_test(tm, multi_suggest_one_against_rest);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
