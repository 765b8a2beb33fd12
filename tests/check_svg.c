/*
 * check_svg.c - the report's chart toolkit alone, on small arrays with
 * known answers: bars and histogram bins sized in proportion to their
 * counts, a log axis that spaces 1, 10, 100 evenly, series and bins left
 * out when they have nothing to draw, matrix cells shaded and counted,
 * names shortened and every text escaped, and empty data drawn as an
 * empty chart without NaN. Every chart must be well nested.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "testutil.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define HAS(s, x) ck_assert_msg(strstr(s, x) != NULL, "'%s' not in:\n%s", \
				x, s)

/* Whether s is well nested: each element closed in order, and no '<' or
 * '>' outside markup, which unescaped text would leave. */
static int well_nested(const char *s)
{
	const char *name[64];
	size_t len[64];
	int top = 0;
	for (const char *p = s; *p;) {
		if (*p == '>')
			return 0;
		if (*p != '<') {
			p++;
			continue;
		}
		const char *e = strchr(p, '>');
		if (!e || memchr(p + 1, '<', (size_t)(e - p - 1)))
			return 0;
		if (p[1] == '/') {
			size_t n = (size_t)(e - p - 2);
			if (!top || len[top - 1] != n ||
			    strncmp(name[top - 1], p + 2, n))
				return 0;
			top--;
		} else if (e[-1] != '/') {
			if (top == 64)
				return 0;
			name[top] = p + 1;
			len[top++] = strcspn(p + 1, " >");
		}
		p = e + 1;
	}
	return top == 0;
}

/* One chart, checked for what every chart must be. */
static void check_chart(const char *s)
{
	ck_assert_msg(well_nested(s), "not well nested:\n%s", s);
	ck_assert_int_eq(count(s, "<svg "), 1);
	ck_assert_int_eq(count(s, "</svg>\n"), 1);
	ck_assert_ptr_null(strstr(s, "nan"));
	ck_assert_ptr_null(strstr(s, "inf"));
}

/* The value of attribute `name` in the tag starting at tag. */
static double attr(const char *tag, const char *name)
{
	char key[32];
	snprintf(key, sizeof key, " %s=\"", name);
	const char *end = strchr(tag, '>'), *a = strstr(tag, key);
	ck_assert_msg(a && a < end, "no %s in %.60s", name, tag);
	return strtod(a + strlen(key), NULL);
}

/* The data rectangles (those with a tooltip, not the legend's) of s:
 * their widths and heights, up to max; returns how many. */
static int data_rects(const char *s, double *w, double *h, int max)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, "<rect ")); p++) {
		if (strncmp(strchr(p, '>'), "><title>", 8))
			continue;
		ck_assert_int_lt(n, max);
		w[n] = attr(p, "width");
		h[n++] = attr(p, "height");
	}
	return n;
}

static const char *const one_colour[] = { "#111111" };

START_TEST(bars_in_proportion)
{
	static const char *const rows[] = { "a", "b", "c" };
	static const char *const series[] = { "s" };
	static const uint64_t n[] = { 10, 20, 40 };
	rl_svg_bars c = {
		.title = "t", .unit = "things", .rows = rows,
		.series = series, .colours = one_colour, .count = n,
		.n_rows = 3, .n_series = 1,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_bars(&b, &c), RL_OK);
	check_chart(b.data);
	double w[8], h[8];
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 3);
	ck_assert(w[0] > 0);
	ck_assert_double_eq_tol(w[1] / w[0], 2, 0.01);
	ck_assert_double_eq_tol(w[2] / w[0], 4, 0.01);
	ck_assert_double_eq_tol(h[0], h[2], 1e-9);
	HAS(b.data, "<title>b, s: 20 things</title>");
	HAS(b.data, "class=\"val\">40</text>");
	rl_buf_free(&b);
}
END_TEST

START_TEST(stacked_bars)
{
	static const char *const rows[] = { "a", "b" };
	static const char *const series[] = { "x", "y" };
	static const char *const colours[] = { "#000001", "#000002" };
	static const uint64_t n[] = { 3, 1, 0, 2 };	/* [2][2] */
	rl_svg_bars c = {
		.title = "t", .unit = "u", .rows = rows, .series = series,
		.colours = colours, .count = n, .n_rows = 2, .n_series = 2,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_bars(&b, &c), RL_OK);
	check_chart(b.data);
	double w[8], h[8];
	/* A zero count draws no segment. */
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 3);
	ck_assert_double_eq_tol(w[0] / w[1], 3, 0.01);
	ck_assert_double_eq_tol(w[2] / w[1], 2, 0.01);
	HAS(b.data, "class=\"val\">4</text>");
	HAS(b.data, "class=\"val\">2</text>");
	/* The legend names both series. */
	HAS(b.data, "class=\"lg\">x</text>");
	HAS(b.data, "class=\"lg\">y</text>");
	rl_buf_free(&b);
}
END_TEST

START_TEST(histogram_heights)
{
	static const char *const series[] = { "s" };
	static const uint64_t n[] = { 1, 2, 3 };	/* [3 bins][1] */
	rl_svg_hist c = {
		.title = "t", .x_title = "score", .unit = "things",
		.series = series, .colours = one_colour, .count = n,
		.n_bins = 3, .n_series = 1, .n_colours = 1,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_hist(&b, &c), RL_OK);
	check_chart(b.data);
	double w[8], h[8];
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 3);
	ck_assert(h[0] > 0);
	ck_assert_double_eq_tol(h[1] / h[0], 2, 0.01);
	ck_assert_double_eq_tol(h[2] / h[0], 3, 0.01);
	ck_assert_double_eq_tol(w[0], w[2], 1e-9);
	HAS(b.data, "<title>s, score 0.33&#8211;0.67: 2 things</title>");
	/* Without colours there is nothing to draw the series in. */
	c.n_colours = 0;
	ck_assert_int_eq(rl_svg_draw_hist(&b, &c), RL_EINVAL);
	rl_buf_free(&b);
}
END_TEST

START_TEST(histogram_colours_repeat)
{
	static const char *const series[] = { "a", "b", "c" };
	static const char *const colours[] = { "#0000aa", "#0000bb" };
	static const uint64_t n[] = { 1, 1, 1 };	/* [1 bin][3] */
	rl_svg_hist c = {
		.title = "t", .x_title = "x", .unit = "u", .series = series,
		.colours = colours, .count = n, .n_bins = 1, .n_series = 3,
		.n_colours = 2,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_hist(&b, &c), RL_OK);
	check_chart(b.data);
	/* Two in the bars (a, c), one in the legend of the first two. */
	ck_assert_int_eq(count(b.data, "fill=\"#0000aa\""), 3);
	ck_assert_int_eq(count(b.data, "class=\"lg\""), 2);
	rl_buf_free(&b);
}
END_TEST

START_TEST(lines_on_a_log_axis)
{
	static const char *const series[] = { "whole", "gap" };
	static const char *const colours[] = { "#0000aa", "#0000bb" };
	/* [3 points][x, whole, gap]: gap has no value at x = 1 */
	static const double t[] = { 1, 0.5, -1, 10, 0.6, 0.7, 100, 0.7, 0.8 };
	rl_svg_lines c = {
		.title = "t", .x_title = "x", .y_title = "y", .x_unit = "per",
		.series = series, .colours = colours, .table = t,
		.n_points = 3, .n_series = 2,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_lines(&b, &c), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(count(b.data, "<polyline"), 1);
	ck_assert_int_eq(count(b.data, "<circle"), 3);
	ck_assert_int_eq(count(b.data, "<title>gap"), 0);
	HAS(b.data, "<title>whole, 10 per: 0.600</title>");
	double cx[3];
	const char *p = b.data;
	for (int i = 0; i < 3; i++) {
		p = strstr(p, "<circle");
		cx[i] = attr(p++, "cx");
	}
	ck_assert_double_eq_tol(cx[1] - cx[0], cx[2] - cx[1], 0.11);
	/* Higher is better: 0.7 sits above 0.5. */
	ck_assert(attr(strstr(b.data, "<circle"), "cy") >
		  attr(p - 1, "cy"));
	/* The legend lists the series left out too. */
	HAS(b.data, "class=\"lg\">gap</text>");
	ck_assert_ptr_null(strstr(b.data, "stroke-dasharray=\"6 4\""));
	rl_buf_free(&b);
	/* A faint series: dashed, pale points. A legend of two rows moves
	 * the plot down and makes the chart taller. */
	static const char *const many[] = { "whole", "gap", "a long name",
					    "another long name", "more" };
	static const char *const five[] = { "#0000aa", "#0000bb", "#0000cc",
					    "#0000dd", "#0000ee" };
	static const int faint[] = { 1, 0, 0, 0, 0 };
	static const double t5[] = { 1, 0.5, 0.5, 0.5, 0.5, 0.5,
				     10, 0.6, 0.6, 0.6, 0.6, 0.6 };
	rl_svg_lines d = {
		.title = "t", .x_title = "x", .y_title = "y", .x_unit = "per",
		.series = many, .colours = five, .faint = faint, .table = t5,
		.n_points = 2, .n_series = 5,
	};
	ck_assert_int_eq(rl_svg_draw_lines(&b, &d), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(count(b.data, "<polyline"), 5);
	ck_assert_int_eq(count(b.data, "stroke-dasharray=\"6 4\""), 1);
	HAS(b.data, "stroke=\"#0000aa\" stroke-width=\"2.5\" "
		    "stroke-dasharray=\"6 4\"");
	ck_assert_int_eq(count(b.data, "fill-opacity=\"0.4\""), 2);
	ck_assert_double_eq(attr(b.data, "height"), 370 + 18);
	rl_buf_free(&b);
}
END_TEST

START_TEST(reliability_skips_empty_bins)
{
	static const char *const series[] = { "m", "m, scaled" };
	static const char *const colours[] = { "#0000aa", "#0000aa" };
	static const int faint[] = { 0, 1 };
	/* [2 series][3 bins][low, high, n, confidence, right] */
	static const double bins[] = {
		0, 0.4, 10, 0.2, 0.1,	0.4, 0.7, 0, 0, 0,
		0.7, 1, 30, 0.8, 0.9,	0, 0.4, 0, 0, 0,
		0.4, 0.7, 5, 0.5, 0.5,	0.7, 1, 0, 0, 0,
	};
	rl_svg_reliability c = {
		.title = "t", .x_title = "x", .y_title = "y",
		.series = series, .colours = colours, .faint = faint,
		.bins = bins, .n_series = 2, .n_bins = 3,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_reliability(&b, &c), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(count(b.data, "<polyline"), 2);
	ck_assert_int_eq(count(b.data, "<circle"), 3);
	ck_assert_int_eq(count(b.data, "stroke-dasharray=\"6 4\""), 1);
	ck_assert_int_eq(count(b.data, "fill-opacity=\"0.15\""), 1);
	HAS(b.data, "<title>m, confidence 0.7&#8211;1.0: 30 answers, mean "
		    "confidence 0.80, 0.90 right</title>");
	/* The bin of 30 answers is drawn larger than the one of 10. */
	const char *small = strstr(b.data, "<circle");
	ck_assert(attr(strstr(small + 1, "<circle"), "r") > attr(small, "r"));
	rl_buf_free(&b);
}
END_TEST

START_TEST(ranges_rows)
{
	rl_svg_range rows[] = {
		{ .tag = "r1", .name = "first", .name_tip = "first row",
		  .point_tip = "p1", .colour = "#0000aa", .count = 5,
		  .point = 0.5, .lo = 0.25, .hi = 0.75 },
		{ .tag = "r2", .name = "second", .name_tip = "second row",
		  .point_tip = "", .colour = "#0000bb", .count = 2,
		  .point = -1 },
	};
	rl_svg_ranges c = {
		.title = "t", .bar_title = "share", .point_title = "rate",
		.unit = "things", .none = "nothing here", .rows = rows,
		.n = 2, .total = 10,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_ranges(&b, &c), RL_OK);
	check_chart(b.data);
	double w[8], h[8];
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 2);
	ck_assert_double_eq_tol(w[0] / w[1], 2.5, 0.01);
	HAS(b.data, "<title>r1: 5 things, 50.0%</title>");
	HAS(b.data, "first<title>first row</title>");
	ck_assert_int_eq(count(b.data, "<circle"), 1);
	ck_assert_int_eq(count(b.data, ">nothing here</text>"), 1);
	/* The interval's ends are at 0.25 and 0.75 of the panel. */
	const char *line = strstr(b.data, "stroke-width=\"2\"");
	while (line[0] != '<')
		line--;
	double x1 = attr(line, "x1"), x2 = attr(line, "x2");
	double cx = attr(strstr(b.data, "<circle"), "cx");
	ck_assert_double_eq_tol(cx - x1, x2 - cx, 0.11);
	rl_buf_free(&b);
}
END_TEST

START_TEST(matrix_cells)
{
	static const char *const names[] = { "x<y", "z" };
	static const char *const swatch[] = { "#0000aa", NULL };
	static const uint64_t n[] = { 3, 0, 1, 2 };
	static const double scale[] = { 1, 0, 0.5, 1 };
	static const int hue[3] = { 0x08, 0x51, 0x9c };
	rl_svg_matrix c = {
		.title = "t", .rows_title = "truth", .cols_title = "guess",
		.names = names, .swatch = swatch, .count = n,
		.scale = scale, .hue = hue, .n = 2,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_matrix(&b, &c), RL_OK);
	check_chart(b.data);
	double w[8], h[8];
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 4);
	ck_assert_double_eq_tol(w[0], h[0], 1e-9);
	/* Full scale is the hue itself, an empty cell recedes, a cell
	 * halfway is between white and the hue. */
	ck_assert_int_eq(count(b.data, "fill=\"#08519c\""), 2);
	ck_assert_int_eq(count(b.data, "fill=\"#f6f7f9\""), 1);
	HAS(b.data, "fill=\"#84a8ce\"");
	HAS(b.data, "<title>x&lt;y / z: 0</title>");
	HAS(b.data, "fill=\"#555\"");
	char want[64];
	snprintf(want, sizeof want, "width=\"%d\"",
		 rl_svg_matrix_width(names, 2));
	HAS(b.data, want);
	ck_assert_int_ge(rl_svg_matrix_width(names, 2), 300);
	rl_buf_free(&b);
}
END_TEST

START_TEST(text_escaped_and_shortened)
{
	static const char *const rows[] = {
		"a&b \"q\" 'x'\x01", "a name far longer than twenty-two",
	};
	static const char *const series[] = { "<i>s</i>" };
	static const uint64_t n[] = { 1, 2 };
	rl_svg_bars c = {
		.title = "<script>t</script>", .unit = "u>", .rows = rows,
		.series = series, .colours = one_colour, .count = n,
		.n_rows = 2, .n_series = 1,
	};
	rl_buf b = { 0 };
	ck_assert_int_eq(rl_svg_draw_bars(&b, &c), RL_OK);
	check_chart(b.data);
	ck_assert_ptr_null(strstr(b.data, "<script"));
	ck_assert_ptr_null(strstr(b.data, "<i>"));
	HAS(b.data, "aria-label=\"&lt;script&gt;t&lt;/script&gt;\"");
	HAS(b.data, "<title>a&amp;b &quot;q&quot; &#39;x&#39;\xef\xbf\xbd, "
		    "&lt;i&gt;s&lt;/i&gt;: 1 u&gt;</title>");
	/* Cut to 22 characters on the axis, whole in the tooltip. */
	HAS(b.data, ">a name far longer than\xe2\x80\xa6</text>");
	HAS(b.data, "<title>a name far longer than twenty-two, ");
	rl_buf_free(&b);

	ck_assert_int_eq(rl_svg_shorten(&b, "abcdef", 3), RL_OK);
	ck_assert_str_eq(b.data, "abc\xe2\x80\xa6");
	b.len = 0;
	ck_assert_int_eq(rl_svg_shorten(&b, "\xc3\xa9\xc3\xa9\xc3\xa9", 2),
			 RL_OK);
	ck_assert_str_eq(b.data, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	b.len = 0;
	ck_assert_int_eq(rl_svg_shorten(&b, "abc", 3), RL_OK);
	ck_assert_str_eq(b.data, "abc");
	rl_buf_free(&b);
}
END_TEST

START_TEST(empty_data)
{
	static const char *const series[] = { "s" };
	static const uint64_t zero[] = { 0, 0, 0 };
	static const double nothing[15] = { 0 };
	double w[8], h[8];
	rl_buf b = { 0 };

	rl_svg_bars bars = {
		.title = "t", .unit = "u", .series = series,
		.colours = one_colour, .n_series = 1,
	};
	ck_assert_int_eq(rl_svg_draw_bars(&b, &bars), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 0);
	rl_buf_free(&b);

	rl_svg_hist hist = {
		.title = "t", .x_title = "x", .unit = "u", .series = series,
		.colours = one_colour, .count = zero, .n_bins = 3,
		.n_series = 1, .n_colours = 1,
	};
	ck_assert_int_eq(rl_svg_draw_hist(&b, &hist), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 0);
	rl_buf_free(&b);
	hist.n_bins = 0;
	ck_assert_int_eq(rl_svg_draw_hist(&b, &hist), RL_OK);
	check_chart(b.data);
	rl_buf_free(&b);

	rl_svg_lines lines = {
		.title = "t", .x_title = "x", .y_title = "y", .x_unit = "u",
		.series = series, .colours = one_colour, .n_series = 1,
	};
	ck_assert_int_eq(rl_svg_draw_lines(&b, &lines), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(count(b.data, "<polyline"), 0);
	ck_assert_int_eq(count(b.data, "<circle"), 0);
	rl_buf_free(&b);

	rl_svg_reliability rel = {
		.title = "t", .x_title = "x", .y_title = "y",
		.series = series, .colours = one_colour, .bins = nothing,
		.n_series = 1, .n_bins = 3,
	};
	ck_assert_int_eq(rl_svg_draw_reliability(&b, &rel), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(count(b.data, "<polyline"), 0);
	ck_assert_int_eq(count(b.data, "<circle"), 0);
	rl_buf_free(&b);

	rl_svg_ranges ranges = {
		.title = "t", .bar_title = "b", .point_title = "p",
		.unit = "u", .none = "-",
	};
	ck_assert_int_eq(rl_svg_draw_ranges(&b, &ranges), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 0);
	rl_buf_free(&b);

	static const int hue[3] = { 0, 0, 0 };
	rl_svg_matrix m = {
		.title = "t", .rows_title = "r", .cols_title = "c",
		.hue = hue,
	};
	ck_assert_int_eq(rl_svg_draw_matrix(&b, &m), RL_OK);
	check_chart(b.data);
	ck_assert_int_eq(data_rects(b.data, w, h, 8), 0);
	ck_assert_int_eq(rl_svg_matrix_width(NULL, 0), 300);
	rl_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("svg");
	TCase *tc = tcase_create("svg");
	tcase_add_test(tc, bars_in_proportion);
	tcase_add_test(tc, stacked_bars);
	tcase_add_test(tc, histogram_heights);
	tcase_add_test(tc, histogram_colours_repeat);
	tcase_add_test(tc, lines_on_a_log_axis);
	tcase_add_test(tc, reliability_skips_empty_bins);
	tcase_add_test(tc, ranges_rows);
	tcase_add_test(tc, matrix_cells);
	tcase_add_test(tc, text_escaped_and_shortened);
	tcase_add_test(tc, empty_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
