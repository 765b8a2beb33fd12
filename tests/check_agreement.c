/*
 * check_agreement.c - labelling as a team: the resolving policy and the
 * agreement statistics of agreement.c on tables small enough to compute
 * by hand (the arithmetic is in the comments), a larger one against
 * reference implementations (scikit-learn's cohen_kappa_score, and
 * Krippendorff's alpha by his coincidence-matrix formulation, which also
 * gives the 0.743 of his own worked example), rl_agreement on single-
 * and multi-label stores, and the CLI: annotators from --as, the
 * environment and a seeds file's third column, `unlabel --as/--all`,
 * `agreement --json`.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "kernels.h"
#include "revlab.h"
#include "testutil.h"

#define NEAR(x, want) ck_assert_msg(fabs((x) - (want)) < 1e-12, \
				    "%.17g, not %.17g", (double)(x), \
				    (double)(want))

/* A table from strings, one per coder: a digit is a category, '.' no
 * answer. v gets [n][coders]. */
static int32_t *table(const char *const *rows, uint32_t coders, size_t *n)
{
	*n = strlen(rows[0]);
	int32_t *v = malloc(*n * coders * sizeof *v);
	ck_assert_ptr_nonnull(v);
	for (uint32_t c = 0; c < coders; c++) {
		ck_assert_uint_eq(strlen(rows[c]), *n);
		for (size_t i = 0; i < *n; i++)
			v[i * coders + c] = rows[c][i] == '.'
					    ? -1 : rows[c][i] - '0';
	}
	return v;
}

START_TEST(kappa_by_hand)
{
	/* Ten items both coded, the eleventh by a only (not counted):
	 *   a: 0 0 0 0 1 1 1 2 2 2 1
	 *   b: 0 0 0 1 1 1 2 2 2 0 .
	 * agree on 7 of 10: p_o = 0.7; a and b each gave 0 four times, 1
	 * and 2 three times: p_e = (4*4 + 3*3 + 3*3) / 100 = 0.34;
	 * kappa = (0.7 - 0.34) / (1 - 0.34) = 0.36 / 0.66 = 6 / 11. */
	const char *rows[] = { "00001112221", "0001112220." };
	size_t n;
	int32_t *v = table(rows, 2, &n);
	rl_coded d = { v, n, 2, 2, 3, -1 };
	double k;
	uint64_t items, agree;
	ck_assert_int_eq(rl_cohen_kappa(&d, 0, 1, &k, &items, &agree), RL_OK);
	ck_assert_uint_eq(items, 10);
	ck_assert_uint_eq(agree, 7);
	NEAR(k, 6.0 / 11);
	/* Category 2 as yes/no: a 0000000111, b 0000001110 (the 1 of a's
	 * eleventh item is no answer of b's); agree 8 of 10, p_o = 0.8;
	 * each says yes 3 times: p_e = (3*3 + 7*7) / 100 = 0.58;
	 * kappa = 0.22 / 0.42 = 11 / 21. */
	d.pos = 2;
	ck_assert_int_eq(rl_cohen_kappa(&d, 0, 1, &k, &items, &agree), RL_OK);
	ck_assert_uint_eq(agree, 8);
	NEAR(k, 11.0 / 21);
	free(v);
	/* Undefined: both always the same one category (p_e = 1), and no
	 * item coded by both. */
	const char *same[] = { "111", "111" }, *apart[] = { "12..", "..12" };
	v = table(same, 2, &n);
	d = (rl_coded){ v, n, 2, 2, 3, -1 };
	ck_assert_int_eq(rl_cohen_kappa(&d, 0, 1, &k, &items, &agree), RL_OK);
	ck_assert(isnan(k));
	ck_assert_uint_eq(agree, 3);
	free(v);
	v = table(apart, 2, &n);
	d = (rl_coded){ v, n, 2, 2, 3, -1 };
	ck_assert_int_eq(rl_cohen_kappa(&d, 0, 1, &k, &items, &agree), RL_OK);
	ck_assert(isnan(k));
	ck_assert_uint_eq(items, 0);
	free(v);
}
END_TEST

START_TEST(alpha_by_hand)
{
	/* Four units, three coders, categories 0 and 1:
	 *   u1: 0 0 .   u2: 0 1 .   u3: 1 1 .   u4: 1 1 1   u5: 0 . .
	 * u5 has one value and does not count. Per unit (m_u^2 - sum_c
	 * n_uc^2) / (m_u - 1): u1 (4 - 4) / 1 = 0, u2 (4 - 2) / 1 = 2,
	 * u3 0, u4 (9 - 9) / 2 = 0: 2 in all. n_0 = 2 + 1 = 3, n_1 = 1 + 2
	 * + 3 = 6, n = 9: alpha = 1 - (9 - 1) * 2 / (81 - 9 - 36) = 1 -
	 * 16 / 36 = 5 / 9. */
	const char *rows[] = { "00110", "0111.", "...1." };
	size_t n;
	int32_t *v = table(rows, 3, &n);
	rl_coded d = { v, n, 3, 3, 2, -1 };
	double a;
	uint64_t pairable;
	ck_assert_int_eq(rl_kripp_alpha(&d, &a, &pairable), RL_OK);
	ck_assert_uint_eq(pairable, 4);
	NEAR(a, 5.0 / 9);
	free(v);
	/* Krippendorff's worked nominal example ("Computing Krippendorff's
	 * alpha-reliability", 2011): 4 observers, 12 units, alpha 0.743;
	 * exactly 1 - 39 / 152 by the coincidence matrix (0.7434210...). */
	const char *k11[] = { "123321412...", "1233224125.3", ".3332342251.",
			      "12332441251." };
	v = table(k11, 4, &n);
	d = (rl_coded){ v, n, 4, 4, 6, -1 };
	ck_assert_int_eq(rl_kripp_alpha(&d, &a, &pairable), RL_OK);
	ck_assert_uint_eq(pairable, 11);
	NEAR(a, 0.743421052631579);
	ck_assert_msg(fabs(a - 0.743) < 5e-4, "%g", a);
	free(v);
	/* One category throughout: undefined. */
	const char *one[] = { "22", "22" };
	v = table(one, 2, &n);
	d = (rl_coded){ v, n, 2, 2, 3, -1 };
	ck_assert_int_eq(rl_kripp_alpha(&d, &a, &pairable), RL_OK);
	ck_assert(isnan(a));
	free(v);
}
END_TEST

/* 300 items, 3 coders, 4 categories, about 15% missing per coder: drawn
 * by Python's random.Random(17) (an answer is the item's true category,
 * with 25% chance a random one). The reference values: scikit-learn
 * 1.2.1's cohen_kappa_score on the items both coders coded (per category
 * on x == k against y == k), and Krippendorff's alpha from the
 * coincidence matrix o_ck = sum_u (pairs c-k in u) / (m_u - 1) as his
 * 2011 paper computes it. */
static const char *const big[] = {
	"33221300133223012.10.20230.13002202.32031.1.2.0.01122221.02.22203."
	"201.2030.330112101022.0130223300122120033133002.220203.21112212"
	"32...011..3.1302330321122020.3110...2103001222233..302222211333"
	"0210321.2.10.033.131232101111022121320203032.0.21020...2.122322"
	"30.2.113.2023.20002333121131.0121.03121.301.3",
	"0.1102001130.3301111230230212202312032031110.001013222232132.02"
	"03330122.30.3300122..022210302.330..121303311.30.1.2012.3021222"
	".12123000113331130.032.2210200303.102.12.03.1222103302032.3020."
	"32321103233.1112233.1112323.11213.21213212002.2.0..132...3.3.22"
	"3210030110.3.0232201021032231312..2130012133011.",
	"32.2320.133.23101111..033031.201.0.03202100.20.3321..2212.22132"
	"0.23032.0201.3321200102010120221320112110033133.3213211020113.2"
	"112313000.11331332221032220300..320303.120300132223002002.2.221"
	"32301..22.3211010.13.1123.311111.230213.12002303031100032.211.2"
	"3..30.1122332023..0.32.332.3131312113.31.11.0.13",
};

START_TEST(large_table_against_references)
{
	size_t n;
	int32_t *v = table((const char *const *)big, 3, &n);
	ck_assert_uint_eq(n, 300);
	static const struct {
		uint32_t a, b;
		uint64_t items, agree;
		double kappa, bin[4];
	} want[] = {
		{ 0, 1, 220, 145, 0.5440603498300589,
		  { 0.4802949988476608, 0.5093666369313113,
		    0.5947022505476998, 0.585931066933302 } },
		{ 0, 2, 215, 136, 0.5089905180388529,
		  { 0.6351957338504424, 0.43128234617596317,
		    0.42788717402873866, 0.5570233911041085 } },
		{ 1, 2, 213, 125, 0.4490299823633156,
		  { 0.48438634713144524, 0.4853296513634794,
		    0.412008281573499, 0.4149050519527051 } },
	};
	for (size_t p = 0; p < 3; p++) {
		rl_coded d = { v, n, 3, 3, 4, -1 };
		double k;
		uint64_t items, agree;
		ck_assert_int_eq(rl_cohen_kappa(&d, want[p].a, want[p].b, &k,
						&items, &agree), RL_OK);
		ck_assert_uint_eq(items, want[p].items);
		ck_assert_uint_eq(agree, want[p].agree);
		NEAR(k, want[p].kappa);
		for (int32_t c = 0; c < 4; c++) {
			d.pos = c;
			ck_assert_int_eq(rl_cohen_kappa(&d, want[p].a,
							want[p].b, &k, &items,
							&agree), RL_OK);
			NEAR(k, want[p].bin[c]);
		}
	}
	static const double alpha[5] = { 0.5069956324821663,
		0.5533913043478261, 0.4664279404640913, 0.4906716417910447,
		0.5217113665389528 };
	for (int32_t c = -1; c < 4; c++) {
		rl_coded d = { v, n, 3, 3, 4, c };
		double a;
		uint64_t pairable;
		ck_assert_int_eq(rl_kripp_alpha(&d, &a, &pairable), RL_OK);
		NEAR(a, alpha[c + 1]);
	}
	free(v);
}
END_TEST

START_TEST(resolve_policy)
{
	int32_t w;
	/* No answer: no label. */
	ck_assert_int_eq(rl_resolve_single(0, NULL, NULL, 3, 1, &w), RL_OK);
	ck_assert_int_eq(w, -1);
	/* Coder 0 says 1 then changes to 2 (their vote: 2); coder 1 says
	 * 1: a tie of 1 against 1, and coder 0's 2 came last. */
	uint32_t l1[] = { 1, 1, 2 }, c1[] = { 0, 1, 0 };
	ck_assert_int_eq(rl_resolve_single(3, l1, c1, 3, 2, &w), RL_OK);
	ck_assert_int_eq(w, 2);
	/* Votes 0, 2, 2, 0, 1: 0 and 2 tie at 2, 0's last vote (answer 3)
	 * after 2's (answer 2); 1 was the last answer but has one vote. */
	uint32_t l2[] = { 0, 2, 2, 0, 1 }, c2[] = { 0, 1, 2, 3, 4 };
	ck_assert_int_eq(rl_resolve_single(5, l2, c2, 3, 5, &w), RL_OK);
	ck_assert_int_eq(w, 0);
	/* A majority beats a later answer. */
	uint32_t l3[] = { 1, 1, 0 }, c3[] = { 0, 1, 2 };
	ck_assert_int_eq(rl_resolve_single(3, l3, c3, 2, 3, &w), RL_OK);
	ck_assert_int_eq(w, 1);
	/* Multi-label, 3 annotators: label 0 by all, 1 by two (> 1.5), 2
	 * by one: 1 1 0. */
	uint8_t on[3];
	uint32_t l4[] = { 0, 1, 0, 2, 0, 1 }, c4[] = { 0, 0, 1, 1, 2, 2 };
	ck_assert_int_eq(rl_resolve_multi(6, l4, c4, 3, 3, on), RL_OK);
	ck_assert(on[0] == 1 && on[1] == 1 && on[2] == 0);
	/* 2 annotators: 1 and 2 each by one (exactly half): as the last
	 * answer's annotator (1, who gave 2) has them. */
	uint32_t l5[] = { 0, 1, 0, 2 }, c5[] = { 0, 0, 1, 1 };
	ck_assert_int_eq(rl_resolve_multi(4, l5, c5, 3, 2, on), RL_OK);
	ck_assert(on[0] == 1 && on[1] == 0 && on[2] == 1);
}
END_TEST

/* ---- the store and the CLI ---- */

static char out_buf[1 << 16], err_buf[1 << 14];

static int run(const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)RL_REVLAB_EXE;
	argv[argc++] = (char *)a0;
	va_start(ap, a0);
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	argv[argc] = NULL;
	va_end(ap);
	return tu_exec(argv, NULL, out_buf, sizeof out_buf, err_buf,
		       sizeof err_buf);
}

/* The same with the file `in` on standard input. */
static int run_in(const char *in, const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)RL_REVLAB_EXE;
	argv[argc++] = (char *)a0;
	va_start(ap, a0);
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	argv[argc] = NULL;
	va_end(ap);
	return tu_exec(argv, in, out_buf, sizeof out_buf, err_buf,
		       sizeof err_buf);
}

#define HAS(buf, s) ck_assert_msg(strstr(buf, s) != NULL, \
				  "'%s' not in: %.600s", s, buf)

static const char corpus[] =
	"id\ttext\n"
	"r1\tgreat price\n"
	"r2\tslow shipping\n"
	"r3\tcheap\n"
	"r4\tlate box\n"
	"r5\tfine\n";

/* Three annotators on r1-r4 (hand-checked in single_store below). */
static const char team_seeds[] =
	"id\tlabel\tannotator\n"
	"r1\tprice\talice\n"
	"r1\tprice\tbob\n"
	"r2\tshipping\talice\n"
	"r2\tprice\tbob\n"
	"r3\tprice\talice\n"
	"r3\tshipping\tbob\n"
	"r3\tshipping\tcarol\n"
	"r4\tshipping\tbob\n";

static rl_db *open_with(unsigned mode)
{
	rl_db *db = NULL;
	ck_assert_int_eq(rl_db_open(tu_path("t.db"), RL_OPEN_CREATE | mode,
				    &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
	return db;
}

START_TEST(single_store)
{
	tu_setup();
	rl_db *db = open_with(0);
	rl_agreement_report *a = NULL;
	ck_assert_int_eq(rl_agreement(db, &a), RL_EEMPTY);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(rl_seed_file_as(db, tu_write("s.tsv", team_seeds, 0),
					 NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_agreement(db, &a), RL_OK);
	ck_assert_int_eq(a->multi, 0);
	ck_assert_uint_eq(a->n_annotators, 3);
	ck_assert_str_eq(a->annotators[0], "alice");
	ck_assert_str_eq(a->annotators[2], "carol");
	ck_assert_uint_eq(a->labelled[0], 3);
	ck_assert_uint_eq(a->labelled[1], 4);
	ck_assert_uint_eq(a->labelled[2], 1);
	ck_assert_uint_eq(a->reviews, 4);
	ck_assert_uint_eq(a->shared, 3);
	ck_assert_uint_eq(a->n_answers, 8);
	/* alice/bob on r1-r3: P/P, S/P, P/S: p_o = 1/3; each gave P twice,
	 * S once: p_e = (2*2 + 1*1) / 9 = 5/9; kappa = (1/3 - 5/9) / (4/9)
	 * = -1/2. alice/carol, r3 only (P/S): p_o = 0, p_e = 0, kappa 0.
	 * bob/carol, r3 only (S/S): p_e = 1, undefined. */
	ck_assert_uint_eq(a->n_pairs, 3);
	ck_assert_uint_eq(a->pairs[0].reviews, 3);
	ck_assert_uint_eq(a->pairs[0].agree, 1);
	NEAR(a->pairs[0].kappa, -0.5);
	NEAR(a->pairs[1].kappa, 0);
	ck_assert(isnan(a->pairs[2].kappa));
	/* alpha: r1 (P P) 0; r2 (S P) (4 - 2) / 1 = 2; r3 (P S S) (9 - 5)
	 * / 2 = 2; r4 has one answer. n_P = 2 + 1 + 1 = 4, n_S = 1 + 2 =
	 * 3, n = 7: alpha = 1 - 6 * 4 / (49 - 16 - 9) = 0. With two labels
	 * "price?" as yes/no is the same table: 0 too. */
	NEAR(a->alpha, 0);
	ck_assert_uint_eq(a->n_labels, 2);
	ck_assert_str_eq(a->labels[0], "price");
	NEAR(a->label_alpha[0], 0);
	NEAR(a->label_kappa[0], -0.5);
	/* r2: 1 against 1, bob's price later; r3: shipping 2 to 1. */
	ck_assert_uint_eq(a->n_disagreements, 2);
	const rl_disagreement *d = &a->disagreements[0];
	ck_assert_str_eq(d->id, "r2");
	ck_assert_str_eq(d->resolved, "price");
	ck_assert_uint_eq(d->n, 2);
	ck_assert_str_eq(d->answers[0], "shipping");
	ck_assert_str_eq(d->answers[1], "price");
	d = &a->disagreements[1];
	ck_assert_str_eq(d->id, "r3");
	ck_assert_str_eq(d->resolved, "shipping");
	ck_assert_uint_eq(d->n, 3);
	ck_assert_uint_eq(d->annotators[2], 2);
	rl_agreement_free(a);
	rl_agreement_free(NULL);
	rl_db_close(db);
	tu_teardown();
}
END_TEST

START_TEST(multi_store)
{
	tu_setup();
	rl_db *db = open_with(RL_OPEN_MULTI_LABEL);
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "ann"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "shipping", "ann"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r3", "price", "ann"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "price", "bob"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r1", "shipping", "bob"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "shipping", "bob"), RL_OK);
	rl_agreement_report *a = NULL;
	ck_assert_int_eq(rl_agreement(db, &a), RL_OK);
	ck_assert_int_eq(a->multi, 1);
	ck_assert_uint_eq(a->reviews, 3);
	ck_assert_uint_eq(a->shared, 2);
	ck_assert_uint_eq(a->n_answers, 5);
	/* Units (review, label) both answered: r1 price 1/1, r1 shipping
	 * 0/1, r2 price 0/0, r2 shipping 1/1. kappa: p_o = 3/4; ann said
	 * yes twice of 4, bob 3 times: p_e = (2*3 + 2*1) / 16 = 1/2;
	 * kappa = (3/4 - 1/2) / (1/2) = 1/2. alpha: only r1 shipping
	 * disagrees, (4 - 2) / 1 = 2; yes 5, no 3, n = 8: alpha = 1 - 7 *
	 * 2 / (64 - 25 - 9) = 1 - 14/30 = 8/15. */
	ck_assert_uint_eq(a->n_pairs, 1);
	ck_assert_uint_eq(a->pairs[0].reviews, 2);
	ck_assert_uint_eq(a->pairs[0].agree, 1);
	NEAR(a->pairs[0].kappa, 0.5);
	NEAR(a->alpha, 8.0 / 15);
	/* price: r1 1/1, r2 0/0: kappa (1 - 1/2) / (1/2) = 1, alpha 1.
	 * shipping: r1 0/1, r2 1/1: p_o = 1/2, p_e = (1*2 + 1*0) / 4 = 1/2,
	 * kappa 0; alpha 1 - 3 * 2 / (16 - 9 - 1) = 0. */
	NEAR(a->label_kappa[0], 1);
	NEAR(a->label_alpha[0], 1);
	NEAR(a->label_kappa[1], 0);
	NEAR(a->label_alpha[1], 0);
	/* r1: shipping by one of two; bob answered last and gave it. */
	ck_assert_uint_eq(a->n_disagreements, 1);
	ck_assert_str_eq(a->disagreements[0].id, "r1");
	ck_assert_str_eq(a->disagreements[0].answers[0], "price");
	ck_assert_str_eq(a->disagreements[0].answers[1], "price|shipping");
	ck_assert_str_eq(a->disagreements[0].resolved, "price|shipping");
	rl_agreement_free(a);
	rl_db_close(db);
	tu_teardown();
}
END_TEST

START_TEST(cli_team)
{
	tu_setup();
	char db[600];
	snprintf(db, sizeof db, "%s", tu_path("c.db"));
	ck_assert_int_eq(run("init", db, NULL), 0);
	ck_assert_int_eq(run("import", db, tu_write("c.tsv", corpus, 0),
			     NULL), 0);
	ck_assert_int_eq(run("agreement", db, NULL), 1);
	HAS(err_buf, "no hand label has an annotator yet");
	/* The file names three annotators; lines without one would be
	 * REVLAB_ANNOTATOR's. */
	setenv("REVLAB_ANNOTATOR", "envy", 1);
	ck_assert_int_eq(run("seed", db, tu_write("s.tsv", team_seeds, 0),
			     NULL), 0);
	HAS(out_buf, "8 hand labels set");
	ck_assert_int_eq(run("agreement", db, "--json", NULL), 0);
	ck_assert_str_eq(out_buf, "{\"mode\":\"single\",\"reviews\":4,"
		"\"shared\":3,\"answers\":8,\"alpha\":0.000000,\"annotators\":"
		"[{\"name\":\"alice\",\"reviews\":3},{\"name\":\"bob\","
		"\"reviews\":4},{\"name\":\"carol\",\"reviews\":1}],\"pairs\":"
		"[{\"a\":\"alice\",\"b\":\"bob\",\"reviews\":3,\"agree\":1,"
		"\"kappa\":-0.500000},{\"a\":\"alice\",\"b\":\"carol\","
		"\"reviews\":1,\"agree\":0,\"kappa\":0.000000},{\"a\":\"bob\","
		"\"b\":\"carol\",\"reviews\":1,\"agree\":1,\"kappa\":null}],"
		"\"labels\":[{\"label\":\"price\",\"alpha\":0.000000,\"kappa\":"
		"[-0.500000,0.000000,null]},{\"label\":\"shipping\",\"alpha\":"
		"0.000000,\"kappa\":[-0.500000,0.000000,null]}],"
		"\"disagreements\":[{\"id\":\"r2\",\"resolved\":\"price\","
		"\"answers\":{\"alice\":\"shipping\",\"bob\":\"price\"}},"
		"{\"id\":\"r3\",\"resolved\":\"shipping\",\"answers\":"
		"{\"alice\":\"price\",\"bob\":\"shipping\",\"carol\":"
		"\"shipping\"}}]}\n");
	ck_assert_int_eq(run("agreement", db, NULL), 0);
	HAS(out_buf, "4 hand-labelled reviews, 3 labelled by two or more of "
	    "3 annotators (single-label)");
	HAS(out_buf, "  r2 -> price: alice=shipping bob=price\n");
	/* envy (from the environment) sides with alice on r2: 2 to 1. */
	ck_assert_int_eq(run("label", db, "r2", "shipping", NULL), 0);
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM seeds s JOIN "
				"reviews r ON r.id = s.review_id JOIN labels l "
				"ON l.id = s.label_id WHERE r.ext_id = 'r2' "
				"AND l.name = 'shipping'"), 1);
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM annotations WHERE "
				"annotator = 'envy'"), 1);
	/* --as names someone else; bob's answer on r2 goes, then carol's
	 * on r3 is the only one that is not there. */
	ck_assert_int_eq(run("unlabel", db, "r2", "--as", "bob", NULL), 0);
	ck_assert_int_eq(run("unlabel", db, "r2", "price", "--as", "carol",
			     NULL), 1);
	HAS(err_buf, "review 'r2' has no hand label 'price' by carol "
	    "(given: alice: shipping; envy: shipping)");
	ck_assert_int_eq(run("unlabel", db, "r3", "--all", "--as", "x", NULL),
			 2);
	ck_assert_int_eq(run("unlabel", db, "r3", "--all", NULL), 0);
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM annotations a JOIN "
				"reviews r ON r.id = a.review_id WHERE "
				"r.ext_id = 'r3'"), 0);
	ck_assert_int_eq(run("label", db, "r5", "price", "--as", "dave",
			     NULL), 0);
	ck_assert_int_eq(run("label", db, "r5", "price", "--as", "a\tb",
			     NULL), 2);
	HAS(err_buf, "bad annotator name");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM annotations WHERE "
				"annotator = 'dave'"), 1);
	/* A blind second opinion: carol (whose one answer went with r3's)
	 * is offered r1, r2, r4 and r5, which others labelled, and calls
	 * them all price (key 1; labels are numbered by name). */
	ck_assert_int_eq(run_in(tu_write("keys", "1\n1\n1\n1\n", 0), "label",
				db, "--interactive", "--second", "--as",
				"carol", NULL), 0);
	HAS(out_buf, "no review left that another annotator labelled and "
	    "carol has not\n4 hand labels saved this session");
	HAS(out_buf, "r4 -> price\n");
	ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM annotations WHERE "
				"annotator = 'carol' AND label_id = (SELECT id "
				"FROM labels WHERE name = 'price')"), 4);
	ck_assert_int_eq(run("label", db, "--second", NULL), 2);
	unsetenv("REVLAB_ANNOTATOR");
	tu_teardown();
}
END_TEST

/* Each exported row's id and annotations, "id=json" lines. */
static int on_row(void *ctx, const rl_labelled_row *r)
{
	char *b = ctx;
	size_t at = strlen(b);
	snprintf(b + at, 4096 - at, "%s=%s\n", r->id,
		 r->annotations ? r->annotations : "-");
	return 0;
}

START_TEST(exports_carry_annotators)
{
	tu_setup();
	rl_db *db = open_with(0);
	ck_assert_int_eq(rl_seed_file_as(db, tu_write("s.tsv", team_seeds, 0),
					 NULL, NULL), RL_OK);
	static char got[4096];
	got[0] = '\0';
	ck_assert_int_eq(rl_labelled_rows(db, NULL, on_row, got), RL_OK);
	ck_assert_str_eq(got, "r1={\"alice\":[\"price\"],\"bob\":[\"price\"]}\n"
			 "r2={\"alice\":[\"shipping\"],\"bob\":[\"price\"]}\n"
			 "r3={\"alice\":[\"price\"],\"bob\":[\"shipping\"],"
			 "\"carol\":[\"shipping\"]}\n"
			 "r4={\"bob\":[\"shipping\"]}\n"
			 "r5=-\n");
	/* A filter on the label keeps the rows, annotations whole. */
	rl_export_filter f = { "price", NULL, -1 };
	got[0] = '\0';
	ck_assert_int_eq(rl_labelled_rows(db, &f, on_row, got), RL_OK);
	ck_assert_str_eq(got, "r1={\"alice\":[\"price\"],\"bob\":[\"price\"]}\n"
			 "r2={\"alice\":[\"shipping\"],\"bob\":[\"price\"]}\n");
	char out[600];
	snprintf(out, sizeof out, "%s", tu_path("e.db"));
	ck_assert_int_eq(rl_export_sqlite(db, &f, out), RL_OK);
	char *t = tu_text(out, "SELECT group_concat(id || ':' || label || ':' "
			  "|| annotator, ',') FROM annotations");
	ck_assert_str_eq(t, "r1:price:alice,r1:price:bob,r2:shipping:alice,"
			 "r2:price:bob");
	free(t);
	rl_db_close(db);
	/* The CLI: a column, or a JSONL field, only when asked. */
	snprintf(out, sizeof out, "%s", tu_path("t.db"));
	ck_assert_int_eq(run("export", out, "--label", "shipping", NULL), 0);
	ck_assert_str_eq(out_buf, "\"id\",\"label\",\"confidence\",\"source\"\n"
			 "\"r3\",\"shipping\",\"1.0000\",\"seed\"\n"
			 "\"r4\",\"shipping\",\"1.0000\",\"seed\"\n");
	ck_assert_int_eq(run("export", out, "--label", "shipping",
			     "--annotators", "--format", "tsv", "--text",
			     NULL), 0);
	ck_assert_str_eq(out_buf, "id\tlabel\tconfidence\tsource\tannotations"
			 "\ttext\nr3\tshipping\t1.0000\tseed\t{\"alice\":"
			 "[\"price\"],\"bob\":[\"shipping\"],\"carol\":"
			 "[\"shipping\"]}\tcheap\nr4\tshipping\t1.0000\tseed\t"
			 "{\"bob\":[\"shipping\"]}\tlate box\n");
	ck_assert_int_eq(run("export", out, "--annotators", "--format",
			     "jsonl", NULL), 0);
	HAS(out_buf, "{\"id\":\"r4\",\"label\":\"shipping\",\"confidence\":"
	    "1.0000,\"source\":\"seed\",\"meta\":{},\"annotations\":{\"bob\":"
	    "[\"shipping\"]}}\n{\"id\":\"r5\",\"label\":null,\"confidence\":"
	    "null,\"source\":null,\"meta\":{},\"annotations\":null}\n");

	/* A multi-label store: each annotator's labels, in name order. */
	snprintf(out, sizeof out, "%s", tu_path("m.db"));
	ck_assert_int_eq(rl_db_open(out, RL_OPEN_CREATE | RL_OPEN_MULTI_LABEL,
				    &db), RL_OK);
	ck_assert_int_eq(rl_import_file(db, tu_write("c.tsv", corpus, 0),
					NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "shipping", "bob"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "late", "bob"), RL_OK);
	ck_assert_int_eq(rl_seed_set_as(db, "r2", "late", "ann"), RL_OK);
	got[0] = '\0';
	ck_assert_int_eq(rl_labelled_rows(db, NULL, on_row, got), RL_OK);
	ck_assert_str_eq(got, "r1=-\nr2={\"ann\":[\"late\"],\"bob\":[\"late\","
			 "\"shipping\"]}\nr3=-\nr4=-\nr5=-\n");
	snprintf(out, sizeof out, "%s", tu_path("m2.db"));
	ck_assert_int_eq(rl_export_sqlite(db, NULL, out), RL_OK);
	ck_assert_int_eq(tu_int(out, "SELECT count(*) FROM annotations"), 3);
	rl_db_close(db);
	tu_teardown();
}
END_TEST

/* rl_confident_labels and rl_label_bars state the rules of guide.c's
 * rl_suspect_rank and rl_suspect_rank_multi apart from them: on random
 * predictions, the rows the first flags are those whose confident label
 * is another, and the bars are the same. */
START_TEST(dispute_rules_match_suspects)
{
	enum { N = 200, L = 4 };
	static double P[N * L], bars[2 * L], bar[2 * L];
	static int32_t given[N], conf[N];
	static uint8_t Y[N * L], judged[L];
	static rl_suspect_pick picks[N * L];
	uint64_t x = 17;
	for (size_t i = 0; i < N; i++) {
		double sum = 0;
		for (size_t l = 0; l < L; l++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			P[i * L + l] = (double)(x >> 11) / 9007199254740992.0;
			sum += P[i * L + l];
			Y[i * L + l] = (x >> 7) % 3 == 0;
		}
		for (size_t l = 0; l < L; l++)
			P[i * L + l] = i % 17 == 3 ? 0 : P[i * L + l] / sum;
		given[i] = i % 11 == 5 ? -1 : (int32_t)((x >> 33) % L);
	}
	size_t n = 0;
	ck_assert_int_eq(rl_suspect_rank(N, L, P, given, picks, &n), RL_OK);
	ck_assert_int_eq(rl_confident_labels(N, L, P, given, conf), RL_OK);
	uint8_t flagged[N] = { 0 };
	for (size_t k = 0; k < n; k++) {
		flagged[picks[k].row] = 1;
		ck_assert_int_eq(conf[picks[k].row],
				 (int32_t)picks[k].suggested);
	}
	size_t m = 0;
	for (size_t i = 0; i < N; i++) {
		int disputed = given[i] >= 0 && conf[i] >= 0 &&
			       conf[i] != given[i];
		ck_assert_int_eq(disputed, flagged[i]);
		m += (size_t)disputed;
	}
	ck_assert_uint_eq(m, n);
	ck_assert_uint_gt(n, 10);
	ck_assert_int_eq(rl_suspect_rank_multi(N, L, P, Y, given, picks, &n,
					       bars), RL_OK);
	ck_assert_int_eq(rl_label_bars(N, L, P, Y, given, bar, judged), RL_OK);
	for (size_t a = 0; a < 2 * L; a++)
		NEAR(bar[a], bars[a]);
	size_t drops = 0, adds = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t l = 0; l < L; l++) {
			if (given[i] < 0 || !judged[l] ||
			    rl_argmax(P + i * L, L) < 0)
				continue;
			double p = P[i * L + l];
			drops += Y[i * L + l] && p <= bar[L + l];
			adds += !Y[i * L + l] && p >= bar[l];
		}
	size_t d2 = 0, a2 = 0;
	for (size_t k = 0; k < n; k++) {
		d2 += picks[k].given != RL_NO_LABEL;
		a2 += picks[k].suggested != RL_NO_LABEL;
	}
	ck_assert_uint_eq(drops, d2);
	ck_assert_uint_eq(adds, a2);
}
END_TEST

typedef struct ranked {
	char names[8][16];
	rl_annotator_disputes a[8];
	int n;
} ranked;

static int on_annotator(void *ctx, const rl_annotator_disputes *a)
{
	ranked *r = ctx;
	snprintf(r->names[r->n], sizeof r->names[0], "%s", a->annotator);
	r->a[r->n++] = *a;
	return 0;
}

/* Three annotators on twelve reviews, price and shipping words apart:
 * ann and cyd give every review its label, bob too but for s4, which he
 * calls price. s4 resolves to shipping (2 to 1); the out-of-fold
 * predictions agree with every resolved label (no suspect) and call s4
 * shipping, so bob's one answer there is the one disputed. */
START_TEST(suspects_rank_annotators)
{
	tu_setup();
	rl_db *db = NULL;
	char path[600];
	snprintf(path, sizeof path, "%s", tu_path("g.db"));
	ck_assert_int_eq(rl_db_open(path, RL_OPEN_CREATE, &db), RL_OK);
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
	rl_graph_opts go;
	rl_graph_opts_init(&go);
	go.k = 4;
	ck_assert_int_eq(rl_tokenize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_vectorize(db, NULL, NULL), RL_OK);
	ck_assert_int_eq(rl_graph(db, &go, NULL), RL_OK);
	static const char *ids[] = { "p1", "p2", "p3", "p4", "p5", "p6",
				     "s1", "s2", "s3", "s4", "s5", "s6" };
	static const char *who[] = { "ann", "bob", "cyd" };
	for (int w = 0; w < 3; w++)
		for (int i = 0; i < 12; i++) {
			const char *l = ids[i][0] == 'p' ? "price"
							 : "shipping";
			if (w == 1 && !strcmp(ids[i], "s4"))
				l = "price";
			ck_assert_int_eq(rl_seed_set_as(db, ids[i], l, who[w]),
					 RL_OK);
		}
	char *before = tu_digest(path);
	ranked r = { .n = 0 };
	rl_suspects_stats st;
	ck_assert_int_eq(rl_suspects_by_annotator(db, NULL, on_annotator, &r,
						  &st), RL_OK);
	ck_assert_int_eq(r.n, 3);
	ck_assert_str_eq(r.names[0], "bob");
	ck_assert_uint_eq(r.a[0].disputed, 1);
	ck_assert_uint_eq(r.a[0].labels, 12);
	ck_assert_uint_eq(r.a[0].reviews, 12);
	NEAR(r.a[0].rate, 1.0 / 12);
	ck_assert_str_eq(r.names[1], "ann");
	ck_assert_str_eq(r.names[2], "cyd");
	ck_assert_uint_eq(r.a[1].disputed, 0);
	ck_assert_uint_eq(r.a[2].disputed, 0);
	ck_assert_uint_eq(st.seeds, 12);
	ck_assert_uint_eq(st.suspects, 1);
	/* The resolved labels raise no suspicion, and nothing was written. */
	rl_suspects_stats s2;
	ck_assert_int_eq(rl_suspects(db, NULL, 10, NULL, NULL, &s2), RL_OK);
	ck_assert_uint_eq(s2.suspects, 0);
	char *after = tu_digest(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	rl_db_close(db);
	/* The CLI. */
	ck_assert_int_eq(run("suspects", path, "--annotators", NULL), 0);
	HAS(out_buf, "  1  bob                   1 of     12 labels disputed "
	    "(  8.3%) on 12 reviews\n");
	HAS(out_buf, "1 disputed answers in 12 hand-labelled reviews");
	ck_assert_int_eq(run("suspects", path, "--annotators", "--json",
			     NULL), 0);
	HAS(out_buf, "{\"rank\":1,\"annotator\":\"bob\",\"reviews\":12,"
	    "\"labels\":12,\"disputed\":1,\"rate\":0.083333,\"missed\":0}\n");
	tu_teardown();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agreement");
	TCase *tc = tcase_create("kernels");
	tcase_add_test(tc, kappa_by_hand);
	tcase_add_test(tc, alpha_by_hand);
	tcase_add_test(tc, large_table_against_references);
	tcase_add_test(tc, resolve_policy);
	tcase_add_test(tc, dispute_rules_match_suspects);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, single_store);
	tcase_add_test(tc, multi_store);
	tcase_add_test(tc, cli_team);
	tcase_add_test(tc, exports_carry_annotators);
	tcase_add_test(tc, suspects_rank_annotators);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
