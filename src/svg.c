/*
 * svg.c - the report's chart toolkit (svg.h): inline SVG for bars, a
 * histogram, lines, a reliability diagram, bars with intervals and a
 * matrix, with their axes and legends.
 *
 * It knows nothing of revlab's data or the store, so each chart is tested
 * alone on small arrays (check_svg.c); report.c lays the charts out on its
 * page. rl_html_escape() lives here because every text a chart writes goes
 * through it; the page uses it for its HTML as well.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

int rl_html_escape(rl_buf *b, const char *s, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e;
		switch (c) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default:
			/* XML (the SVG) forbids these outright. */
			e = (c < 0x20 && c != '\t' && c != '\n' &&
			     c != '\r') || c == 0x7f ? "\xef\xbf\xbd" : NULL;
		}
		if (!e)
			continue;
		if (rl_buf_append(b, s + start, i - start) != RL_OK ||
		    rl_buf_append(b, e, strlen(e)) != RL_OK)
			return RL_ENOMEM;
		start = i + 1;
	}
	return rl_buf_append(b, s + start, len - start);
}

/* ---- writing ---- */

typedef struct pen {
	rl_buf *b;
	int rc;			/* first failure; later writes are skipped */
} pen;

static void put(pen *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(pen *p, const char *fmt, ...)
{
	if (p->rc != RL_OK)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->rc = rl_buf_vprintf(p->b, fmt, ap);
	va_end(ap);
}

static void text(pen *p, const char *s)
{
	if (p->rc == RL_OK)
		p->rc = rl_html_escape(p->b, s ? s : "", s ? strlen(s) : 0);
}

/* Bytes of s's first `max` characters. */
static size_t prefix(const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	return i;
}

static size_t chars(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		c += ((unsigned char)*s & 0xc0) != 0x80;
	return c;
}

/* At most `max` characters of s, escaped, with an ellipsis if cut: long
 * names must not run over the charts. */
static void text_short(pen *p, const char *s, size_t max)
{
	size_t i = prefix(s, max);
	if (p->rc == RL_OK)
		p->rc = rl_html_escape(p->b, s, i);
	if (s[i])
		put(p, "\xe2\x80\xa6");
}

int rl_svg_shorten(rl_buf *b, const char *s, size_t max)
{
	size_t i = prefix(s, max);
	int rc = rl_buf_append(b, s, i);
	if (rc == RL_OK && s[i])
		rc = rl_buf_append(b, "\xe2\x80\xa6", 3);
	return rc;
}

/* ---- axes and legends ---- */

/* A round axis step giving about `ticks` ticks up to max. */
static double nice_step(double max, int ticks)
{
	if (max <= 0)
		return 1;
	double raw = max / ticks, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	double step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	step *= mag;
	return step < 1 ? 1 : step;
}

static void svg_open(pen *p, int w, int h, const char *title)
{
	put(p, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
	    "%d %d\" role=\"img\" aria-label=\"", w, h, w, h);
	text(p, title);
	put(p, "\"><title>");
	text(p, title);
	put(p, "</title>\n");
}

static int legend_width(const char *name)
{
	size_t c = chars(name);
	return 30 + 8 * (int)(c < 18 ? c : 18);
}

/* Rows a legend of these names takes from x0 up to x1. */
static int legend_rows(const char *const *names, size_t n, int x0, int x1)
{
	int rows = 1, x = x0;
	for (size_t i = 0; i < n; i++) {
		int w = legend_width(names[i]);
		if (x > x0 && x + w > x1) {
			rows++;
			x = x0;
		}
		x += w;
	}
	return rows;
}

/* Legend entries from (x0, y), wrapping at x1 into rows 18 apart. */
static void legend(pen *p, int x0, int x1, int y, const char *const *names,
		   const char *const *colours, size_t n)
{
	int x = x0;
	for (size_t i = 0; i < n; i++) {
		int w = legend_width(names[i]);
		if (x > x0 && x + w > x1) {
			y += 18;
			x = x0;
		}
		put(p, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
		    "rx=\"2\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
		    "class=\"lg\">", x, y - 10, colours[i], x + 17, y);
		text_short(p, names[i], 18);
		put(p, "</text>\n");
		x += w;
	}
}

/* A horizontal count axis at y over [x0, x1] for 0..max. */
static void count_axis(pen *p, int x0, int x1, int y, int top, double max,
		       const char *title)
{
	double step = nice_step(max, 6);
	for (double v = 0; v <= max + 1e-9; v += step) {
		double x = x0 + (x1 - x0) * v / max;
		put(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.0f</text>\n", x, top, x, y, x,
		    y + 16, v);
	}
	put(p, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">",
	    (x0 + x1) / 2, y + 36);
	text(p, title);
	put(p, "</text>\n");
}

/* Y axis 0..1 on [y0 (value 1), y1 (value 0)] at x0, gridlines to x1. */
static void unit_axis_y(pen *p, int x0, int x1, int y0, int y1,
			const char *title)
{
	for (int k = 0; k <= 5; k++) {
		double y = y1 - (y1 - y0) * k / 5.0;
		put(p, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" class=\"tick\" "
		    "text-anchor=\"end\">%.1f</text>\n", x0, y, x1, y, x0 - 6,
		    y + 4, k / 5.0);
	}
	put(p, "<text x=\"16\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "16 %d)\" text-anchor=\"middle\">", (y0 + y1) / 2, (y0 + y1) / 2);
	text(p, title);
	put(p, "</text>\n");
}

static void polyline_open(pen *p, const char *colour, int dashed)
{
	put(p, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s "
	    "points=\"", colour, dashed ? " stroke-dasharray=\"6 4\"" : "");
}

/* ---- the charts ---- */

int rl_svg_draw_bars(rl_buf *b, const rl_svg_bars *c)
{
	pen p = { b, RL_OK };
	const size_t S = c->n_series;
	uint64_t max = 0;
	for (size_t r = 0; r < c->n_rows; r++) {
		uint64_t t = 0;
		for (size_t s = 0; s < S; s++)
			t += c->count[r * S + s];
		if (t > max)
			max = t;
	}
	double amax = (double)(max ? max : 1);
	amax = ceil(amax / nice_step(amax, 6)) * nice_step(amax, 6);
	const int x0 = 180, x1 = 900, row = 28, top = 40;
	int h = top + (int)c->n_rows * row + 50;
	svg_open(&p, 960, h, c->title);
	legend(&p, x0, x1, 20, c->series, c->colours, S);
	count_axis(&p, x0, x1, top + (int)c->n_rows * row, top - 6, amax,
		   c->unit);
	for (size_t r = 0; r < c->n_rows; r++) {
		int y = top + (int)r * row;
		double x = x0;
		uint64_t t = 0;
		put(&p, "<text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "text-anchor=\"end\">", x0 - 8, y + 18);
		text_short(&p, c->rows[r], 22);
		put(&p, "</text>\n");
		for (size_t s = 0; s < S; s++) {
			uint64_t n = c->count[r * S + s];
			if (!n)
				continue;
			double w = (x1 - x0) * (double)n / amax;
			put(&p, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\" fill=\"%s\"><title>", x, y + 4, w,
			    row - 8, c->colours[s]);
			text(&p, c->rows[r]);
			put(&p, ", ");
			text(&p, c->series[s]);
			put(&p, ": %llu ", (unsigned long long)n);
			text(&p, c->unit);
			put(&p, "</title></rect>\n");
			x += w;
			t += n;
		}
		put(&p, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%llu</text>\n",
		    x + 6, y + 18, (unsigned long long)t);
	}
	put(&p, "</svg>\n");
	return p.rc;
}

int rl_svg_draw_hist(rl_buf *b, const rl_svg_hist *c)
{
	if (c->n_colours == 0)
		return RL_EINVAL;
	pen p = { b, RL_OK };
	const size_t S = c->n_series, B = c->n_bins;
	uint64_t max = 0;
	for (size_t i = 0; i < B; i++) {
		uint64_t t = 0;
		for (size_t s = 0; s < S; s++)
			t += c->count[i * S + s];
		if (t > max)
			max = t;
	}
	double step = nice_step((double)max, 5);
	double ymax = ceil((double)max / step) * step;
	if (ymax <= 0)
		ymax = step;	/* nothing counted: an axis, not a NaN */
	size_t n = S < c->n_colours ? S : c->n_colours;
	const int x0 = 80, x1 = 920;
	const int y0 = 32 + 18 * legend_rows(c->series, n, x0, x1);
	const int y1 = y0 + 250;
	svg_open(&p, 960, y1 + 60, c->title);
	for (double v = 0; v <= ymax + 1e-9; v += step) {
		double y = y1 - (y1 - y0) * v / ymax;
		put(&p, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" class=\"tick\" "
		    "text-anchor=\"end\">%.0f</text>\n", x0, y, x1, y, x0 - 6,
		    y + 4, v);
	}
	put(&p, "<text x=\"18\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "18 %d)\" text-anchor=\"middle\">", (y0 + y1) / 2, (y0 + y1) / 2);
	text(&p, c->unit);
	put(&p, "</text>\n");
	for (int k = 0; k <= 10; k++) {
		double x = x0 + (x1 - x0) * k / 10.0;
		put(&p, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.1f</text>\n", x, y1 + 16,
		    k / 10.0);
	}
	put(&p, "<text x=\"%d\" y=\"%d\" class=\"axis\" "
	    "text-anchor=\"middle\">", (x0 + x1) / 2, y1 + 40);
	text(&p, c->x_title);
	put(&p, "</text>\n");
	double bw = B ? (x1 - x0) / (double)B : 0;
	for (size_t i = 0; i < B; i++) {
		double y = y1;
		for (size_t s = 0; s < S; s++) {
			uint64_t k = c->count[i * S + s];
			if (!k)
				continue;
			double hgt = (y1 - y0) * (double)k / ymax;
			y -= hgt;
			put(&p, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>",
			    x0 + (double)i * bw + 1, y, bw - 2, hgt,
			    c->colours[s % c->n_colours]);
			text(&p, c->series[s]);
			put(&p, ", ");
			text(&p, c->x_title);
			put(&p, " %.2f&#8211;%.2f: %llu ",
			    (double)i / (double)B, (double)(i + 1) / (double)B,
			    (unsigned long long)k);
			text(&p, c->unit);
			put(&p, "</title></rect>\n");
		}
	}
	put(&p, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#555\"/>\n", x0, y1, x1, y1);
	legend(&p, x0, x1, 24, c->series, c->colours, n);
	put(&p, "</svg>\n");
	return p.rc;
}

/* Where point i of a lines chart sits: x on the log axis lo..hi. */
static double log_x(const rl_svg_lines *c, size_t i, int x0, int x1,
		    double lo, double hi)
{
	return x0 + (x1 - x0) * (log(c->table[i * (1 + c->n_series)]) - lo) /
	       (hi - lo);
}

int rl_svg_draw_lines(rl_buf *b, const rl_svg_lines *c)
{
	pen p = { b, RL_OK };
	/* A legend of more rows moves the plot down. */
	const int x0 = 70, x1 = 440;
	const int y0 = 22 + 18 * legend_rows(c->series, c->n_series, x0, x1);
	const int y1 = y0 + 260;
	const size_t k = 1 + c->n_series, n = c->n_points;
	const double *t = c->table;
	double lo = n ? log(t[0]) : 0, hi = n ? log(t[(n - 1) * k]) : 1;
	if (hi <= lo)
		hi = lo + 1;
	svg_open(&p, 470, y1 + 70, c->title);
	unit_axis_y(&p, x0, x1, y0, y1, c->y_title);
	for (size_t i = 0; i < n; i++)
		put(&p, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.0f</text>\n",
		    log_x(c, i, x0, x1, lo, hi), y1 + 16, t[i * k]);
	put(&p, "<text x=\"%d\" y=\"%d\" class=\"axis\" "
	    "text-anchor=\"middle\">", (x0 + x1) / 2, y1 + 36);
	text(&p, c->x_title);
	put(&p, "</text>\n");
	for (size_t m = 0; n && m < c->n_series; m++) {
		int whole = 1;
		for (size_t i = 0; i < n; i++)
			whole &= t[i * k + 1 + m] >= 0;
		if (!whole)
			continue;
		int faint = c->faint && c->faint[m];
		polyline_open(&p, c->colours[m], faint);
		for (size_t i = 0; i < n; i++)
			put(&p, "%s%.1f,%.1f", i ? " " : "",
			    log_x(c, i, x0, x1, lo, hi),
			    y1 - (y1 - y0) * t[i * k + 1 + m]);
		put(&p, "\"/>\n");
		for (size_t i = 0; i < n; i++) {
			put(&p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			    "fill=\"%s\"%s><title>",
			    log_x(c, i, x0, x1, lo, hi),
			    y1 - (y1 - y0) * t[i * k + 1 + m], c->colours[m],
			    faint ? " fill-opacity=\"0.4\"" : "");
			text(&p, c->series[m]);
			put(&p, ", %.0f ", t[i * k]);
			text(&p, c->x_unit);
			put(&p, ": %.3f</title></circle>\n", t[i * k + 1 + m]);
		}
	}
	legend(&p, x0, x1, 20, c->series, c->colours, c->n_series);
	put(&p, "</svg>\n");
	return p.rc;
}

int rl_svg_draw_reliability(rl_buf *b, const rl_svg_reliability *c)
{
	pen p = { b, RL_OK };
	const int x0 = 70, x1 = 400;
	const int y0 = 30 + 18 * legend_rows(c->series, c->n_series, 20, 430);
	const int y1 = y0 + 330;
	const size_t per = c->n_bins * 5;
	svg_open(&p, 440, y1 + 70, c->title);
	unit_axis_y(&p, x0, x1, y0, y1, c->y_title);
	for (int k = 0; k <= 5; k++) {
		double x = x0 + (x1 - x0) * k / 5.0;
		put(&p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.1f</text>\n", x, y0, x, y1, x,
		    y1 + 16, k / 5.0);
	}
	put(&p, "<text x=\"%d\" y=\"%d\" class=\"axis\" "
	    "text-anchor=\"middle\">", (x0 + x1) / 2, y1 + 36);
	text(&p, c->x_title);
	put(&p, "</text>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n", x0, y1, x1, y0);
	double total = 0;
	for (size_t m = 0; m < c->n_series; m++)
		for (size_t i = 0; i < c->n_bins; i++)
			total += c->bins[m * per + i * 5 + 2];
	for (size_t m = 0; m < c->n_series; m++) {
		const double *v = c->bins + m * per;
		const char *col = c->colours[m];
		int faint = c->faint && c->faint[m], any = 0;
		for (size_t i = 0; i < c->n_bins; i++) {
			if (v[i * 5 + 2] <= 0)
				continue;
			if (!any)
				polyline_open(&p, col, faint);
			put(&p, "%s%.1f,%.1f", any++ ? " " : "",
			    x0 + (x1 - x0) * v[i * 5 + 3],
			    y1 - (y1 - y0) * v[i * 5 + 4]);
		}
		if (any)
			put(&p, "\"/>\n");
		for (size_t i = 0; i < c->n_bins; i++) {
			const double *e = v + i * 5;
			if (e[2] <= 0)
				continue;
			/* Area shows how many answers the bin holds. */
			double r = 2.5 + 9 * sqrt(e[2] / (total > 0 ? total
								   : 1));
			put(&p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
			    "fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\">"
			    "<title>", x0 + (x1 - x0) * e[3],
			    y1 - (y1 - y0) * e[4], r, col,
			    faint ? "0.15" : "0.6", col);
			text(&p, c->series[m]);
			put(&p, ", confidence %.1f&#8211;%.1f: %.0f answers, "
			    "mean confidence %.2f, %.2f right</title>"
			    "</circle>\n", e[0], e[1], e[2], e[3], e[4]);
		}
	}
	legend(&p, 20, 430, 20, c->series, c->colours, c->n_series);
	put(&p, "</svg>\n");
	return p.rc;
}

int rl_svg_draw_ranges(rl_buf *b, const rl_svg_ranges *c)
{
	pen p = { b, RL_OK };
	const size_t n = c->n;
	double maxcov = 0;
	for (size_t i = 0; i < n; i++) {
		double s = c->total ? (double)c->rows[i].count /
				      (double)c->total : 0;
		if (s > maxcov)
			maxcov = s;
	}
	/* The bars' axis in percent, rounded up. */
	double cmax = maxcov * 100, cstep = nice_step(cmax > 0 ? cmax : 1, 4);
	cmax = ceil((cmax > 0 ? cmax : 1) / cstep) * cstep;
	const int row = 24, top = 44, cx0 = 300, cx1 = 560, px0 = 620,
		  px1 = 920;
	int h = top + (int)n * row + 50;
	svg_open(&p, 960, h, c->title);
	put(&p, "<text x=\"%d\" y=\"16\" class=\"axis\">", cx0);
	text(&p, c->bar_title);
	put(&p, "</text><text x=\"%d\" y=\"16\" class=\"axis\">", px0);
	text(&p, c->point_title);
	put(&p, "</text>\n");
	int bottom = top + (int)n * row;
	for (double v = 0; v <= cmax + 1e-9; v += cstep) {
		double x = cx0 + (cx1 - cx0) * v / cmax;
		put(&p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%g%%</text>\n", x, top - 8, x,
		    bottom, x, bottom + 16, v);
	}
	for (int k = 0; k <= 4; k++) {
		double x = px0 + (px1 - px0) * k / 4.0;
		put(&p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.2f</text>\n", x, top - 8, x,
		    bottom, x, bottom + 16, k / 4.0);
	}
	for (size_t i = 0; i < n; i++) {
		const rl_svg_range *x = &c->rows[i];
		int y = top + (int)i * row;
		double cov = c->total ? 100.0 * (double)x->count /
					(double)c->total : 0;
		put(&p, "<text x=\"10\" y=\"%d\" class=\"tick\">", y + 16);
		text(&p, x->tag);
		put(&p, "</text><text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "text-anchor=\"end\">", cx0 - 8, y + 16);
		text(&p, x->name);
		put(&p, "<title>");
		text(&p, x->name_tip);
		put(&p, "</title></text>\n<rect x=\"%d\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>", cx0,
		    y + 5, (cx1 - cx0) * cov / cmax, row - 10, x->colour);
		text(&p, x->tag);
		put(&p, ": %llu ", (unsigned long long)x->count);
		text(&p, c->unit);
		put(&p, ", %.1f%%</title></rect>\n", cov);
		if (x->point < 0) {
			put(&p, "<text x=\"%d\" y=\"%d\" class=\"tick\">",
			    px0 + 4, y + 16);
			text(&p, c->none);
			put(&p, "</text>\n");
			continue;
		}
		double xl = px0 + (px1 - px0) * x->lo;
		double xh = px0 + (px1 - px0) * x->hi;
		double xp = px0 + (px1 - px0) * x->point;
		put(&p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "stroke=\"%s\" stroke-width=\"2\"/><circle cx=\"%.1f\" "
		    "cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\"><title>", xl,
		    y + 12, xh, y + 12, x->colour, xp, y + 12, x->colour);
		text(&p, x->point_tip);
		put(&p, "</title></circle>\n");
	}
	put(&p, "</svg>\n");
	return p.rc;
}

/* Cell colour: white to `hue` (an RGB triple) by t in [0, 1]. */
static void shade(char *dst, size_t cap, double t, const int hue[3])
{
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	snprintf(dst, cap, "#%02x%02x%02x",
		 (int)lround(255 - (255 - hue[0]) * t),
		 (int)lround(255 - (255 - hue[1]) * t),
		 (int)lround(255 - (255 - hue[2]) * t));
}

/* A matrix's geometry: room for the longest name, at most 18 characters
 * (rotated 45 degrees above). */
typedef struct grid {
	int cell, left, top, w, h;
} grid;

static grid grid_of(const char *const *names, size_t n)
{
	size_t longest = 1;
	for (size_t i = 0; i < n; i++) {
		size_t c = chars(names[i]);
		if (c > longest)
			longest = c;
	}
	if (longest > 18)
		longest = 18;
	grid g;
	g.cell = n > 12 ? 30 : n > 6 ? 42 : 56;
	g.left = 50 + 7 * (int)longest;
	g.top = 40 + 5 * (int)(longest < 14 ? longest : 14);
	g.w = g.left + (int)n * g.cell + 60;
	g.h = g.top + (int)n * g.cell + 16;
	if (g.w < 300)
		g.w = 300;
	return g;
}

int rl_svg_matrix_width(const char *const *names, size_t n)
{
	return grid_of(names, n).w;
}

int rl_svg_draw_matrix(rl_buf *b, const rl_svg_matrix *c)
{
	pen p = { b, RL_OK };
	const size_t n = c->n;
	grid g = grid_of(c->names, n);
	const int cell = g.cell, left = g.left, top = g.top;
	svg_open(&p, g.w, g.h, c->title);
	put(&p, "<text x=\"%d\" y=\"16\" class=\"axis\">", left);
	text(&p, c->cols_title);
	put(&p, " &#8594;</text>\n");
	put(&p, "<text x=\"14\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "14 %d)\" text-anchor=\"middle\">", top + (int)n * cell / 2,
	    top + (int)n * cell / 2);
	text(&p, c->rows_title);
	put(&p, " &#8594;</text>\n");
	for (size_t i = 0; i < n; i++) {
		const char *sw = c->swatch && c->swatch[i] ? c->swatch[i]
							   : "#555";
		int cy = top + (int)i * cell + cell / 2 + 4;
		int cx = left + (int)i * cell + cell / 2;
		/* Names stay dark to be read; a swatch gives the colour. */
		put(&p, "<rect x=\"%d\" y=\"%d\" width=\"9\" height=\"9\" "
		    "rx=\"2\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
		    "class=\"lab\" text-anchor=\"end\">", left - 14, cy - 8, sw,
		    left - 19, cy);
		text_short(&p, c->names[i], 18);
		put(&p, "</text><text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "transform=\"rotate(-45 %d %d)\">", cx, top - 8, cx,
		    top - 8);
		text_short(&p, c->names[i], 14);
		put(&p, "</text>\n");
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			char fill[8];
			double t = c->scale[i * n + j];
			uint64_t k = c->count[i * n + j];
			shade(fill, sizeof fill, t, i == j && c->diag_hue
			      ? c->diag_hue : c->hue);
			/* Empty cells recede. */
			if (k == 0)
				snprintf(fill, sizeof fill, "#f6f7f9");
			int x = left + (int)j * cell, y = top + (int)i * cell;
			put(&p, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>",
			    x, y, cell, cell, fill);
			text(&p, c->names[i]);
			put(&p, " / ");
			text(&p, c->names[j]);
			put(&p, ": %llu</title></rect><text x=\"%d\" y=\"%d\" "
			    "class=\"cell\" text-anchor=\"middle\" fill=\"%s\">"
			    "%llu</text>\n", (unsigned long long)k,
			    x + cell / 2, y + cell / 2 + 4, k == 0 ? "#b0b4ba"
			    : t > 0.55 ? "#fff" : "#222",
			    (unsigned long long)k);
		}
	put(&p, "</svg>\n");
	return p.rc;
}
