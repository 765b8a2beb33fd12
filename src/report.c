/*
 * report.c - `revlab report`: the store as one HTML page people would
 * rather look at than a terminal.
 *
 * report_data.c loads what the page shows from the store into plain
 * structs (report.h); this file (render) turns that plain data into HTML
 * with inline CSS and SVG charts drawn here: no script and no outside
 * reference, so the file opens anywhere, offline, and can be mailed.
 * Everything user-supplied (review text, labels, ids, patterns) goes
 * through rl_html_escape().
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

enum { MAX_RULE_ROWS = 60, MAX_MATRIX = 30 };

/* Sources and methods share colours (rules = rule votes, and so on);
 * labels have their own, the same on every chart. */
static const char *const source_colour[RL_REPORT_SOURCES] = {
	"#3f3f46", "#e69f00", "#0072b2", "#009e73", "#cc79a7",
};
static const char *const method_colour[RL_METHOD_COUNT] = {
	"#e69f00", "#0072b2", "#009e73", "#d55e00",
};
static const char *const label_colour[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
#define N_LABEL_COLOURS (sizeof label_colour / sizeof label_colour[0])

void rl_report_opts_init(rl_report_opts *o)
{
	memset(o, 0, sizeof *o);
	o->title = "revlab report";
	o->samples = 5;
	o->text_chars = 300;
}

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

/* ---- the page ---- */

typedef struct page {
	rl_buf b;
	int rc;			/* first failure; later writes are skipped */
} page;

static void out(page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(page *p, const char *fmt, ...)
{
	if (p->rc != RL_OK)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->rc = rl_buf_vprintf(&p->b, fmt, ap);
	va_end(ap);
}

static void esc(page *p, const char *s)
{
	if (p->rc == RL_OK)
		p->rc = rl_html_escape(&p->b, s ? s : "", s ? strlen(s) : 0);
}

/* At most `max` characters of s, escaped, with an ellipsis if cut: long
 * label names must not run over the charts. */
static void esc_short(page *p, const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	if (p->rc == RL_OK)
		p->rc = rl_html_escape(&p->b, s, i);
	if (s[i])
		out(p, "\xe2\x80\xa6");
}

static const char *lcolour(size_t l)
{
	return label_colour[l % N_LABEL_COLOURS];
}

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

static void note(page *p, const char *html)
{
	out(p, "<p class=\"note\">%s</p>\n", html);
}

static void svg_open(page *p, int w, int h, const char *title)
{
	out(p, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
	    "%d %d\" role=\"img\" aria-label=\"", w, h, w, h);
	esc(p, title);
	out(p, "\"><title>");
	esc(p, title);
	out(p, "</title>\n");
}

static int legend_width(const char *name)
{
	size_t c = 0;
	for (const char *s = name; *s; s++)
		c += ((unsigned char)*s & 0xc0) != 0x80;
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
static void legend(page *p, int x0, int x1, int y, const char *const *names,
		   const char *const *colours, size_t n)
{
	int x = x0;
	for (size_t i = 0; i < n; i++) {
		int w = legend_width(names[i]);
		if (x > x0 && x + w > x1) {
			y += 18;
			x = x0;
		}
		out(p, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
		    "rx=\"2\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
		    "class=\"lg\">", x, y - 10, colours[i], x + 17, y);
		esc_short(p, names[i], 18);
		out(p, "</text>\n");
		x += w;
	}
}

/* A horizontal count axis at y over [x0, x1] for 0..max. */
static void count_axis(page *p, int x0, int x1, int y, int top, double max,
		       const char *title)
{
	double step = nice_step(max, 6);
	for (double v = 0; v <= max + 1e-9; v += step) {
		double x = x0 + (x1 - x0) * v / max;
		out(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.0f</text>\n", x, top, x, y, x,
		    y + 16, v);
	}
	out(p, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">"
	    "%s</text>\n", (x0 + x1) / 2, y + 36, title);
}

/* (a) Each label's reviews, stacked by where the label came from. */
static void chart_sources(page *p, const rl_report_data *d)
{
	out(p, "<section><h2>Labels by source</h2>\n");
	if (d->L == 0) {
		note(p, "No labels yet. Declare some with <code>revlab labels "
		     "DB --add NAME</code> or hand-label reviews with "
		     "<code>revlab seed</code> / <code>revlab label</code>.");
		out(p, "</section>\n");
		return;
	}
	uint64_t max = 0, total = 0;
	for (uint32_t l = 0; l < d->L; l++) {
		uint64_t t = 0;
		for (int s = 0; s < RL_REPORT_SOURCES; s++)
			t += d->by_source[(size_t)l * RL_REPORT_SOURCES + s];
		if (t > max)
			max = t;
		total += t;
	}
	out(p, "<p>Each review's final label (a hand label always wins) and "
	    "where it came from. %llu reviews labelled, %llu abstained "
	    "(no evidence reached them, or too unsure).</p>\n",
	    (unsigned long long)total, (unsigned long long)d->abstained);
	double amax = (double)(max ? max : 1);
	amax = ceil(amax / nice_step(amax, 6)) * nice_step(amax, 6);
	const int x0 = 180, x1 = 900, row = 28, top = 40;
	int h = top + (int)d->L * row + 50;
	svg_open(p, 960, h, "Reviews per label, by source");
	legend(p, x0, x1, 20, rl_report_sources, source_colour,
	       RL_REPORT_SOURCES);
	count_axis(p, x0, x1, top + (int)d->L * row, top - 6, amax,
		   "reviews");
	for (uint32_t l = 0; l < d->L; l++) {
		int y = top + (int)l * row;
		double x = x0;
		uint64_t t = 0;
		out(p, "<text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "text-anchor=\"end\">", x0 - 8, y + 18);
		esc_short(p, d->labels[l], 22);
		out(p, "</text>\n");
		for (int s = 0; s < RL_REPORT_SOURCES; s++) {
			uint64_t c = d->by_source[(size_t)l *
						  RL_REPORT_SOURCES + s];
			if (!c)
				continue;
			double w = (x1 - x0) * (double)c / amax;
			out(p, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\" fill=\"%s\"><title>", x, y + 4, w,
			    row - 8, source_colour[s]);
			esc(p, d->labels[l]);
			out(p, ", %s: %llu reviews</title></rect>\n",
			    rl_report_sources[s], (unsigned long long)c);
			x += w;
			t += c;
		}
		out(p, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%llu</text>\n",
		    x + 6, y + 18, (unsigned long long)t);
	}
	out(p, "</svg>\n</section>\n");
}

/* (b) Per rule: how much it covers, and how often it is right on the
 * hand labels it matches, with the 95% Wilson interval. */
static void chart_rules(page *p, const rl_report_data *d)
{
	const rl_rules_report *r = d->rules;
	out(p, "<section><h2>Rules: coverage and precision</h2>\n");
	if (!r || r->n == 0) {
		note(p, "No rules yet. Write a rules file (<code>label"
		     "&lt;TAB&gt;pattern</code> a line) and load it with "
		     "<code>revlab rules DB FILE</code>; <code>revlab suggest "
		     "DB</code> proposes some.");
		out(p, "</section>\n");
		return;
	}
	out(p, "<p>%zu rules cover %llu of %llu reviews (%.1f%%); %llu of "
	    "those get conflicting votes. Precision is measured on the hand "
	    "labels a rule matches; the whisker is its 95%% Wilson interval, "
	    "wide when few hand labels say anything about the rule.</p>\n",
	    r->n, (unsigned long long)r->covered,
	    (unsigned long long)r->reviews,
	    r->reviews ? 100.0 * (double)r->covered / (double)r->reviews : 0,
	    (unsigned long long)r->conflicted);
	size_t n = r->n < MAX_RULE_ROWS ? r->n : MAX_RULE_ROWS;
	double maxcov = 0;
	for (size_t i = 0; i < n; i++) {
		double c = r->reviews ? (double)r->rules[i].hits /
					(double)r->reviews : 0;
		if (c > maxcov)
			maxcov = c;
	}
	/* Coverage axis in percent, rounded up. */
	double cmax = maxcov * 100, cstep = nice_step(cmax > 0 ? cmax : 1, 4);
	cmax = ceil((cmax > 0 ? cmax : 1) / cstep) * cstep;
	const int row = 24, top = 44, cx0 = 300, cx1 = 560, px0 = 620,
		  px1 = 920;
	int h = top + (int)n * row + 50;
	svg_open(p, 960, h, "Rule coverage and precision on the hand labels");
	out(p, "<text x=\"%d\" y=\"16\" class=\"axis\">coverage (%% of "
	    "reviews)</text><text x=\"%d\" y=\"16\" class=\"axis\">precision "
	    "on hand labels, 95%% interval</text>\n", cx0, px0);
	int bottom = top + (int)n * row;
	for (double v = 0; v <= cmax + 1e-9; v += cstep) {
		double x = cx0 + (cx1 - cx0) * v / cmax;
		out(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%g%%</text>\n", x, top - 8, x,
		    bottom, x, bottom + 16, v);
	}
	for (int k = 0; k <= 4; k++) {
		double x = px0 + (px1 - px0) * k / 4.0;
		out(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.2f</text>\n", x, top - 8, x,
		    bottom, x, bottom + 16, k / 4.0);
	}
	for (size_t i = 0; i < n; i++) {
		const rl_rule_report *x = &r->rules[i];
		int y = top + (int)i * row, l = rl_report_label(d, x->label);
		const char *col = l >= 0 ? lcolour((size_t)l) : "#888";
		double cov = r->reviews ? 100.0 * (double)x->hits /
					  (double)r->reviews : 0;
		out(p, "<text x=\"10\" y=\"%d\" class=\"tick\">line %d</text>"
		    "<text x=\"%d\" y=\"%d\" class=\"lab\" text-anchor=\"end\">"
		    "%s", y + 16, x->line, cx0 - 8, y + 16,
		    x->negate ? "not " : "");
		esc_short(p, x->label, 12);
		out(p, ": ");
		esc_short(p, x->pattern, 16);
		out(p, "<title>line %d: ", x->line);
		esc(p, x->negate ? "!" : "");
		esc(p, x->label);
		out(p, "\t");
		esc(p, x->pattern);
		out(p, "</title></text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\" fill=\"%s\"><title>line %d: %llu reviews, "
		    "%.1f%%</title></rect>\n", cx0, y + 5,
		    (cx1 - cx0) * cov / cmax, row - 10, col, x->line,
		    (unsigned long long)x->hits, cov);
		if (x->precision < 0) {
			out(p, "<text x=\"%d\" y=\"%d\" class=\"tick\">no hand "
			    "label matched</text>\n", px0 + 4, y + 16);
			continue;
		}
		double xl = px0 + (px1 - px0) * x->ci_low;
		double xh = px0 + (px1 - px0) * x->ci_high;
		double xp = px0 + (px1 - px0) * x->precision;
		out(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "stroke=\"%s\" stroke-width=\"2\"/><circle cx=\"%.1f\" "
		    "cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\"><title>line "
		    "%d: precision %.2f [%.2f, %.2f], %llu of %llu hand labels"
		    "</title></circle>\n", xl, y + 12, xh, y + 12, col, xp,
		    y + 12, col, x->line, x->precision, x->ci_low, x->ci_high,
		    (unsigned long long)x->seed_correct,
		    (unsigned long long)x->seed_hits);
	}
	out(p, "</svg>\n");
	if (n < r->n)
		out(p, "<p class=\"note\">The chart shows the first %d rules "
		    "of %zu; the table lists them all.</p>\n", MAX_RULE_ROWS,
		    r->n);
	out(p, "<table class=\"num\"><thead><tr><th>line</th><th>label</th>"
	    "<th>pattern</th><th>weight</th><th>hits</th><th>coverage</th>"
	    "<th>overlaps</th><th>conflicts</th><th>precision</th>"
	    "<th>95%% interval</th><th>hand labels</th></tr></thead>"
	    "<tbody>\n");
	for (size_t i = 0; i < r->n; i++) {
		const rl_rule_report *x = &r->rules[i];
		out(p, "<tr><td>%d</td><td>%s", x->line, x->negate ? "!" : "");
		esc(p, x->label);
		out(p, "</td><td class=\"pat\">");
		esc(p, x->pattern);
		out(p, "</td><td>%g</td><td>%llu</td><td>%.1f%%</td><td>%llu"
		    "</td><td>%llu</td>", x->weight,
		    (unsigned long long)x->hits, r->reviews ? 100.0 *
		    (double)x->hits / (double)r->reviews : 0,
		    (unsigned long long)x->overlaps,
		    (unsigned long long)x->conflicts);
		if (x->precision < 0)
			out(p, "<td>&#8211;</td><td>&#8211;</td><td>0</td>"
			    "</tr>\n");
		else
			out(p, "<td>%.2f</td><td>%.2f&#8211;%.2f</td><td>%llu"
			    "</td></tr>\n", x->precision, x->ci_low,
			    x->ci_high, (unsigned long long)x->seed_hits);
	}
	out(p, "</tbody></table>\n</section>\n");
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

/* A square matrix heatmap with row and column names and counts. `scale`
 * [n][n] in [0, 1] sets each cell's shade; diag_hue, if not NULL, shades
 * the diagonal apart. */
/* A heatmap's geometry: room for the longest name, at most 18
 * characters (rotated 45 degrees above). */
typedef struct grid {
	int cell, left, top, w, h;
} grid;

static grid grid_of(char *const *names, size_t n)
{
	size_t longest = 1;
	for (size_t i = 0; i < n; i++) {
		size_t c = 0;
		for (const char *s = names[i]; *s; s++)
			c += ((unsigned char)*s & 0xc0) != 0x80;
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

static void heatmap(page *p, char *const *names, const int *colour_of,
		    size_t n, const uint64_t *count, const double *scale,
		    const int hue[3], const int *diag_hue, const char *rows,
		    const char *cols, const char *title)
{
	grid g = grid_of(names, n);
	const int cell = g.cell, left = g.left, top = g.top;
	svg_open(p, g.w, g.h, title);
	out(p, "<text x=\"%d\" y=\"16\" class=\"axis\">%s &#8594;</text>\n",
	    left, cols);
	out(p, "<text x=\"14\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "14 %d)\" text-anchor=\"middle\">%s &#8594;</text>\n", top +
	    (int)n * cell / 2, top + (int)n * cell / 2, rows);
	for (size_t i = 0; i < n; i++) {
		const char *c = colour_of && colour_of[i] >= 0
			? lcolour((size_t)colour_of[i]) : "#555";
		int cy = top + (int)i * cell + cell / 2 + 4;
		int cx = left + (int)i * cell + cell / 2;
		/* Names stay dark to be read; a swatch gives the colour. */
		out(p, "<rect x=\"%d\" y=\"%d\" width=\"9\" height=\"9\" "
		    "rx=\"2\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
		    "class=\"lab\" text-anchor=\"end\">", left - 14, cy - 8, c,
		    left - 19, cy);
		esc_short(p, names[i], 18);
		out(p, "</text><text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "transform=\"rotate(-45 %d %d)\">", cx, top - 8, cx,
		    top - 8);
		esc_short(p, names[i], 14);
		out(p, "</text>\n");
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			char fill[8];
			double t = scale[i * n + j];
			shade(fill, sizeof fill, t, i == j && diag_hue
			      ? diag_hue : hue);
			/* Empty cells recede. */
			if (count[i * n + j] == 0)
				snprintf(fill, sizeof fill, "#f6f7f9");
			int x = left + (int)j * cell, y = top + (int)i * cell;
			out(p, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>",
			    x, y, cell, cell, fill);
			esc(p, names[i]);
			out(p, " / ");
			esc(p, names[j]);
			out(p, ": %llu</title></rect><text x=\"%d\" y=\"%d\" "
			    "class=\"cell\" text-anchor=\"middle\" fill=\"%s\">"
			    "%llu</text>\n", (unsigned long long)
			    count[i * n + j], x + cell / 2, y + cell / 2 + 4,
			    count[i * n + j] == 0 ? "#b0b4ba"
			    : t > 0.55 ? "#fff" : "#222",
			    (unsigned long long)count[i * n + j]);
		}
	out(p, "</svg>\n");
}

/* (c) Reviews where rules for two labels both fire. */
static void chart_conflicts(page *p, const rl_report_data *d)
{
	static const int red[3] = { 0xb2, 0x18, 0x2b };
	static const int grey[3] = { 0x73, 0x73, 0x73 };
	out(p, "<section><h2>Rule conflicts between labels</h2>\n");
	if (!d->rules || d->rules->n == 0 || d->L < 2) {
		note(p, d->L < 2 ? "Conflicts need at least two labels."
				 : "No rules, so no conflicts.");
		out(p, "</section>\n");
		return;
	}
	/* Only labels some rule fires for: the others' rows are empty. */
	size_t n = 0, L = d->L;
	uint64_t *count = malloc((L * L + 1) * sizeof *count);
	double *scale = malloc((L * L + 1) * sizeof *scale);
	int *colour = malloc((L + 1) * sizeof *colour);
	char **names = malloc((L + 1) * sizeof *names);
	if (!count || !scale || !colour || !names) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	for (size_t l = 0; l < L && n < MAX_MATRIX; l++)
		if (d->rule_labels[l * L + l]) {
			colour[n] = (int)l;
			names[n++] = d->labels[l];
		}
	if (n < 2) {
		note(p, "Rules fire for fewer than two labels, so they cannot "
		     "disagree.");
		goto out;
	}
	uint64_t off = 0, diag = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			uint64_t c = d->rule_labels[(size_t)colour[i] * L +
						    (size_t)colour[j]];
			count[i * n + j] = c;
			if (i != j && c > off)
				off = c;
			if (i == j && c > diag)
				diag = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			scale[i * n + j] = (double)count[i * n + j] /
					   (double)((i == j ? diag : off)
						    ? (i == j ? diag : off) : 1);
	out(p, "<p>Off the diagonal: reviews on which rules voting for both "
	    "labels fire, so the rules disagree. On the diagonal (grey): "
	    "reviews any rule for the label fires on. Labels no rule fires "
	    "for, and rules that vote against a label (<code>!label</code>), "
	    "are left out.</p>\n");
	heatmap(p, names, colour, n, count, scale, red, grey,
		"rules for this label", "and rules for this label fire",
		"Reviews where rules for two labels fire");
	if (n == MAX_MATRIX)
		out(p, "<p class=\"note\">The first %d labels whose rules "
		    "fire.</p>\n", MAX_MATRIX);
out:
	free(count);
	free(scale);
	free(colour);
	free(names);
	out(p, "</section>\n");
}

static void eval_table(page *p, const rl_report_data *d)
{
	out(p, "<table class=\"num\"><thead><tr><th>method</th><th>macro-F1"
	    "</th><th>accuracy</th><th>coverage</th><th>calibration error"
	    "</th></tr></thead><tbody>\n");
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		const char *name = rl_method_name((rl_method)m);
		int best = !strcmp(name, d->best);
		out(p, "<tr%s><td><span class=\"sw\" style=\"background:%s\">"
		    "</span>%s%s</td>", best ? " class=\"best\"" : "",
		    method_colour[m], name, best ? " (chosen)" : "");
		for (int k = 0; k < 4; k++)
			if (d->scores[m][k] < 0)
				out(p, "<td>&#8211;</td>");
			else if (k == 2)
				out(p, "<td>%.1f%%</td>",
				    100 * d->scores[m][k]);
			else
				out(p, "<td>%.3f</td>", d->scores[m][k]);
		out(p, "</tr>\n");
	}
	out(p, "</tbody></table>\n");
}

/* (d) The confusion matrix of the chosen method: rows are hand labels,
 * shaded by the row's share (recall). */
static void chart_confusion(page *p, const rl_report_data *d)
{
	static const int blue[3] = { 0x08, 0x51, 0x9c };
	/* As wide as the matrix needs, so a big one gets its own row. */
	size_t n = d->EL < MAX_MATRIX ? d->EL : MAX_MATRIX;
	out(p, "<figure style=\"flex-basis:%dpx\"><figcaption>Confusion "
	    "matrix of %s, held-out hand labels</figcaption>\n",
	    grid_of(d->elabels, d->confusion ? n : 0).w, d->best);
	if (!d->confusion) {
		note(p, "This evaluation has no confusion matrix.");
		out(p, "</figure>\n");
		return;
	}
	uint64_t *count = malloc(n * n * sizeof *count);
	double *scale = malloc(n * n * sizeof *scale);
	int *colour = malloc(n * sizeof *colour);
	if (!count || !scale || !colour) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double row = 0;
		colour[i] = rl_report_label(d, d->elabels[i]);
		for (size_t j = 0; j < d->EL; j++)
			row += d->confusion[i * d->EL + j];
		for (size_t j = 0; j < n; j++) {
			double c = d->confusion[i * d->EL + j];
			count[i * n + j] = (uint64_t)c;
			scale[i * n + j] = row > 0 ? c / row : 0;
		}
	}
	heatmap(p, d->elabels, colour, n, count, scale, blue, NULL,
		"hand label", "predicted", "Confusion matrix");
out:
	free(count);
	free(scale);
	free(colour);
	out(p, "</figure>\n");
}

/* A polyline of points (x, y) in plot coordinates. */
static void polyline(page *p, const double *xy, size_t n, const char *c,
		     int dashed)
{
	if (n == 0)
		return;
	out(p, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s "
	    "points=\"", c, dashed ? " stroke-dasharray=\"6 4\"" : "");
	for (size_t i = 0; i < n; i++)
		out(p, "%s%.1f,%.1f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
	out(p, "\"/>\n");
}

/* Y axis 0..1 on [y0 (value 1), y1 (value 0)] at x0, gridlines to x1. */
static void unit_axis_y(page *p, int x0, int x1, int y0, int y1,
			const char *title)
{
	for (int k = 0; k <= 5; k++) {
		double y = y1 - (y1 - y0) * k / 5.0;
		out(p, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" class=\"tick\" "
		    "text-anchor=\"end\">%.1f</text>\n", x0, y, x1, y, x0 - 6,
		    y + 4, k / 5.0);
	}
	out(p, "<text x=\"16\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "16 %d)\" text-anchor=\"middle\">%s</text>\n", (y0 + y1) / 2,
	    (y0 + y1) / 2, title);
}

/* (d) Learning curve: macro-F1 against seeds per label, log scale. */
static void chart_curve(page *p, const rl_report_data *d)
{
	out(p, "<figure><figcaption>Learning curve</figcaption>\n");
	if (d->n_curve == 0) {
		note(p, "This evaluation has no learning curve: run "
		     "<code>revlab eval DB --curve</code>.");
		out(p, "</figure>\n");
		return;
	}
	const int x0 = 70, x1 = 440, y0 = 40, y1 = 300;
	const size_t k = 1 + RL_METHOD_COUNT;
	double lo = log(d->curve[0]), hi = log(d->curve[(d->n_curve - 1) * k]);
	if (hi <= lo)
		hi = lo + 1;
	double *xy = malloc(2 * d->n_curve * sizeof *xy);
	if (!xy) {
		p->rc = RL_ENOMEM;
		out(p, "</figure>\n");
		return;
	}
	svg_open(p, 470, 370, "Learning curve: macro-F1 against hand labels "
		 "per label");
	unit_axis_y(p, x0, x1, y0, y1, "macro-F1 (held-out)");
	for (size_t i = 0; i < d->n_curve; i++) {
		double x = x0 + (x1 - x0) * (log(d->curve[i * k]) - lo) /
			   (hi - lo);
		out(p, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.0f</text>\n", x, y1 + 16,
		    d->curve[i * k]);
	}
	out(p, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">"
	    "hand labels per label trained on (log scale)</text>\n",
	    (x0 + x1) / 2, y1 + 36);
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		int whole = 1;
		for (size_t i = 0; i < d->n_curve; i++)
			whole &= d->curve[i * k + 1 + (size_t)m] >= 0;
		if (!whole)
			continue;
		for (size_t i = 0; i < d->n_curve; i++) {
			xy[2 * i] = x0 + (x1 - x0) * (log(d->curve[i * k]) -
						      lo) / (hi - lo);
			xy[2 * i + 1] = y1 - (y1 - y0) * d->curve[i * k + 1 +
								  (size_t)m];
		}
		polyline(p, xy, d->n_curve, method_colour[m], 0);
		for (size_t i = 0; i < d->n_curve; i++)
			out(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			    "fill=\"%s\"><title>%s, %.0f per label: %.3f"
			    "</title></circle>\n", xy[2 * i], xy[2 * i + 1],
			    method_colour[m], rl_method_name((rl_method)m),
			    d->curve[i * k], d->curve[i * k + 1 + (size_t)m]);
	}
	const char *names[RL_METHOD_COUNT];
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		names[m] = rl_method_name((rl_method)m);
	legend(p, x0, x1, 20, names, method_colour, RL_METHOD_COUNT);
	out(p, "</svg>\n</figure>\n");
	free(xy);
}

/* (f) Reliability: in each confidence bin, mean confidence against the
 * share that was right. On the diagonal is calibrated. */
static void chart_reliability(page *p, const rl_report_data *d)
{
	const char *names[RL_METHOD_COUNT + 1];
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		names[m] = rl_method_name((rl_method)m);
	names[RL_METHOD_COUNT] = "model, calibrated";
	const int x0 = 70, x1 = 400;
	const int y0 = 30 + 18 * legend_rows(names, RL_METHOD_COUNT + 1, 20,
					     430);
	const int y1 = y0 + 330;
	const size_t per = (size_t)RL_CALIB_BINS * 5;
	out(p, "<figure><figcaption>Reliability of the confidence"
	    "</figcaption>\n");
	svg_open(p, 440, y1 + 70, "Reliability diagram: accuracy against "
		 "confidence");
	unit_axis_y(p, x0, x1, y0, y1, "share right (held-out)");
	for (int k = 0; k <= 5; k++) {
		double x = x0 + (x1 - x0) * k / 5.0;
		out(p, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/><text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.1f</text>\n", x, y0, x, y1, x,
		    y1 + 16, k / 5.0);
	}
	out(p, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">"
	    "mean confidence in the bin</text>\n<line x1=\"%d\" y1=\"%d\" "
	    "x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n",
	    (x0 + x1) / 2, y1 + 36, x0, y1, x1, y0);
	double total = 0;
	for (int m = 0; m <= RL_METHOD_COUNT; m++)
		for (int b = 0; b < RL_CALIB_BINS; b++)
			total += d->bins[(size_t)m * per + (size_t)b * 5 + 2];
	for (int m = 0; m <= RL_METHOD_COUNT; m++) {
		double xy[2 * RL_CALIB_BINS];
		size_t n = 0;
		const char *c = method_colour[m < RL_METHOD_COUNT ? m :
					      RL_METHOD_MODEL];
		const char *name = m < RL_METHOD_COUNT
			? rl_method_name((rl_method)m) : "model, calibrated";
		for (int b = 0; b < RL_CALIB_BINS; b++) {
			const double *v = d->bins + (size_t)m * per +
					  (size_t)b * 5;
			if (v[2] <= 0)
				continue;
			xy[2 * n] = x0 + (x1 - x0) * v[3];
			xy[2 * n + 1] = y1 - (y1 - y0) * v[4];
			n++;
		}
		polyline(p, xy, n, c, m == RL_METHOD_COUNT);
		for (int b = 0, i = 0; b < RL_CALIB_BINS; b++) {
			const double *v = d->bins + (size_t)m * per +
					  (size_t)b * 5;
			if (v[2] <= 0)
				continue;
			/* Area shows how many answers the bin holds. */
			double r = 2.5 + 9 * sqrt(v[2] / (total > 0 ? total
								   : 1));
			out(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
			    "fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\">"
			    "<title>%s, confidence %.1f&#8211;%.1f: %.0f "
			    "answers, mean confidence %.2f, %.2f right"
			    "</title></circle>\n", xy[2 * i], xy[2 * i + 1],
			    r, c, m == RL_METHOD_COUNT ? "0.15" : "0.6", c,
			    name, v[0], v[1], v[2], v[3], v[4]);
			i++;
		}
	}
	const char *cols[RL_METHOD_COUNT + 1];
	for (int m = 0; m < RL_METHOD_COUNT; m++)
		cols[m] = method_colour[m];
	cols[RL_METHOD_COUNT] = method_colour[RL_METHOD_MODEL];
	legend(p, 20, 430, 20, names, cols, RL_METHOD_COUNT + 1);
	out(p, "</svg>\n</figure>\n");
}

static void section_eval(page *p, const rl_report_data *d)
{
	out(p, "<section><h2>Evaluation</h2>\n");
	if (!d->has_eval) {
		note(p, "No evaluation stored yet: run <code>revlab eval DB "
		     "[--curve]</code> (or <code>revlab run DB</code>, which "
		     "keeps the one it chooses its method by) for the scores, "
		     "confusion matrix, learning curve and reliability "
		     "diagram.");
		out(p, "</section>\n");
		return;
	}
	out(p, "<p>Evaluation #%lld of ", (long long)d->eval_id);
	esc(p, d->eval_created.data);
	out(p, ": %.0f-fold cross-validation on %.0f hand labels; each "
	    "fold's hand labels were hidden from rule quality, propagation and "
	    "training before they were predicted. Classifier: ", d->folds,
	    d->seeds);
	esc(p, *d->model ? d->model : "logreg");
	out(p, ".</p>\n");
	eval_table(p, d);
	out(p, "<div class=\"pair\">\n");
	chart_confusion(p, d);
	chart_curve(p, d);
	out(p, "</div>\n<div class=\"pair\">\n");
	chart_reliability(p, d);
	out(p, "<div class=\"aside\"><p>Each point is one confidence bin of "
	    "the held-out answers: how sure the method was on average, "
	    "against how often it was right. Points under the dashed "
	    "diagonal are overconfident. The circle's area shows how many "
	    "answers the bin holds. The calibrated model (faint) has the "
	    "temperature <code>revlab run</code> applies, fitted on these "
	    "same predictions, so it is optimistic.</p>\n");
	out(p, "<p>Calibration error (ECE): ");
	/* (a method an older evaluation did not have is left out) */
	for (int m = 0, k = 0; m < RL_METHOD_COUNT; m++)
		if (d->scores[m][3] >= 0)
			out(p, "%s%s %.3f", k++ ? ", " : "",
			    rl_method_name((rl_method)m), d->scores[m][3]);
	out(p, ".</p></div>\n</div>\n</section>\n");
}

/* (e) How sure the labelling is: assignments that are no hand label,
 * by confidence, stacked by label. */
static void chart_hist(page *p, const rl_report_data *d)
{
	out(p, "<section><h2>Confidence of the labels</h2>\n");
	uint64_t max = 0, total = 0;
	for (int b = 0; b < RL_REPORT_HIST_BINS; b++) {
		uint64_t t = 0;
		for (uint32_t l = 0; l < d->L; l++)
			t += d->hist[(size_t)b * d->L + l];
		if (t > max)
			max = t;
		total += t;
	}
	if (total == 0) {
		note(p, "No labels were inferred yet (hand labels are not "
		     "counted here): add hand labels and run <code>revlab run "
		     "DB</code>.");
		out(p, "</section>\n");
		return;
	}
	out(p, "<p>The confidence of the %llu labels revlab inferred (hand "
	    "labels excluded), in bins of 0.05, stacked by label%s.</p>\n",
	    (unsigned long long)total, d->L > N_LABEL_COLOURS
	    ? " (colours repeat after the tenth label)" : "");
	double step = nice_step((double)max, 5);
	double ymax = ceil((double)max / step) * step;
	size_t n = d->L < N_LABEL_COLOURS ? d->L : N_LABEL_COLOURS;
	const char *const *names = (const char *const *)d->labels;
	const int x0 = 80, x1 = 920;
	const int y0 = 32 + 18 * legend_rows(names, n, x0, x1), y1 = y0 + 250;
	svg_open(p, 960, y1 + 60, "Confidence of the inferred labels");
	for (double v = 0; v <= ymax + 1e-9; v += step) {
		double y = y1 - (y1 - y0) * v / ymax;
		out(p, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" class=\"tick\" "
		    "text-anchor=\"end\">%.0f</text>\n", x0, y, x1, y, x0 - 6,
		    y + 4, v);
	}
	out(p, "<text x=\"18\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 "
	    "18 %d)\" text-anchor=\"middle\">reviews</text>\n", (y0 + y1) / 2,
	    (y0 + y1) / 2);
	for (int k = 0; k <= 10; k++) {
		double x = x0 + (x1 - x0) * k / 10.0;
		out(p, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%.1f</text>\n", x, y1 + 16,
		    k / 10.0);
	}
	out(p, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">"
	    "confidence</text>\n", (x0 + x1) / 2, y1 + 40);
	double bw = (x1 - x0) / (double)RL_REPORT_HIST_BINS;
	for (int b = 0; b < RL_REPORT_HIST_BINS; b++) {
		double y = y1;
		for (uint32_t l = 0; l < d->L; l++) {
			uint64_t c = d->hist[(size_t)b * d->L + l];
			if (!c)
				continue;
			double hgt = (y1 - y0) * (double)c / ymax;
			y -= hgt;
			out(p, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>", x0 + b * bw +
			    1, y, bw - 2, hgt, lcolour(l));
			esc(p, d->labels[l]);
			out(p, ", confidence %.2f&#8211;%.2f: %llu reviews"
			    "</title></rect>\n",
			    b / (double)RL_REPORT_HIST_BINS,
			    (b + 1) / (double)RL_REPORT_HIST_BINS,
			    (unsigned long long)c);
		}
	}
	out(p, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#555\"/>\n", x0, y1, x1, y1);
	legend(p, x0, x1, 24, names, label_colour, n);
	out(p, "</svg>\n</section>\n");
}

/* (g) The reviews to look at first: each label's least confident. */
static void section_samples(page *p, const rl_report_data *d)
{
	out(p, "<section><h2>Least confident reviews per label</h2>\n");
	if (d->n_samples == 0) {
		note(p, "No inferred labels to show yet.");
		out(p, "</section>\n");
		return;
	}
	out(p, "<p>Up to %d reviews per label that revlab labelled with the "
	    "least confidence: the first to check, and good candidates for "
	    "hand labels.</p>\n", d->o->samples);
	const char *cur = NULL;
	for (size_t i = 0; i < d->n_samples; i++) {
		const rl_report_sample *s = &d->samples[i];
		if (!cur || strcmp(cur, s->label)) {
			if (cur)
				out(p, "</tbody></table>\n");
			int l = rl_report_label(d, s->label);
			out(p, "<h3><span class=\"sw\" style=\"background:%s\">"
			    "</span>", l >= 0 ? lcolour((size_t)l) : "#888");
			esc(p, s->label);
			out(p, "</h3>\n<table class=\"rev\"><thead><tr>"
			    "<th>id</th><th>confidence</th><th>source</th>"
			    "<th>text</th></tr></thead><tbody>\n");
			cur = s->label;
		}
		out(p, "<tr><td>");
		esc(p, s->id);
		out(p, "</td><td>%.3f</td><td>", s->confidence);
		esc(p, s->source);
		out(p, "</td><td dir=\"auto\">");
		esc(p, s->text);
		out(p, "%s</td></tr>\n", s->cut ? "\xe2\x80\xa6" : "");
	}
	out(p, "</tbody></table>\n</section>\n");
}

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'Helvetica Neue',Arial,sans-serif;color:#1f2328;background:#f6f7f9;"
	"margin:0}\n"
	"main{max-width:1000px;margin:0 auto;padding:24px}\n"
	"header{background:#fff;border:1px solid #d8dde3;border-radius:8px;"
	"padding:18px 22px;margin-bottom:18px}\n"
	"h1{margin:0 0 4px;font-size:24px}\n"
	"h2{margin:0 0 8px;font-size:19px}\nh3{font-size:15px;margin:16px 0 "
	"6px}\n"
	"section{background:#fff;border:1px solid #d8dde3;border-radius:8px;"
	"padding:16px 22px;margin-bottom:18px}\n"
	".meta{color:#57606a;margin:0 0 12px}\n"
	".counts{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0}\n"
	".counts div{background:#f6f8fa;border:1px solid #e1e4e8;"
	"border-radius:6px;padding:6px 12px;min-width:90px}\n"
	".counts dt{font-size:12px;color:#57606a}\n"
	".counts dd{margin:0;font-size:20px;font-weight:600;"
	"font-variant-numeric:tabular-nums}\n"
	".note{color:#6e4b00;background:#fff8e1;border-left:4px solid "
	"#e69f00;padding:8px 12px;border-radius:4px}\n"
	"svg.chart{max-width:100%;height:auto;display:block;margin:8px 0}\n"
	"svg text{font-family:inherit}\n"
	".tick{font-size:11px;fill:#57606a}.axis{font-size:12px;fill:#24292f;"
	"font-weight:600}.lab{font-size:12px;fill:#24292f}\n"
	".lg{font-size:12px;fill:#24292f}.val{font-size:11px;fill:#24292f}\n"
	".cell{font-size:12px;font-variant-numeric:tabular-nums}\n"
	".grid{stroke:#e6e8eb;stroke-width:1}\n"
	"table{border-collapse:collapse;margin:10px 0;font-size:13px;"
	"width:100%}\n"
	"th,td{border-bottom:1px solid #e6e8eb;padding:4px 8px;"
	"text-align:left;vertical-align:top}\n"
	"th{background:#f6f8fa;font-weight:600}\n"
	"table.num td{font-variant-numeric:tabular-nums}\n"
	"tr.best td{font-weight:600}\n"
	"td.pat{font-family:ui-monospace,Menlo,Consolas,monospace;"
	"word-break:break-all}\n"
	"table.rev td:last-child{white-space:pre-wrap;overflow-wrap:anywhere;"
	"width:70%}\n"
	".sw{display:inline-block;width:11px;height:11px;border-radius:2px;"
	"margin-right:6px;vertical-align:-1px}\n"
	".pair{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}\n"
	".pair figure{margin:0;flex:1 1 430px}\n"
	".aside{flex:1 1 300px;color:#3d444d;font-size:14px}\n"
	"figcaption{font-weight:600;margin-top:8px}\n"
	"code{background:#f0f2f4;padding:1px 4px;border-radius:3px;"
	"font-size:90%}\n"
	"footer{color:#6e7781;font-size:12px;text-align:center;"
	"padding-bottom:24px}\n";

static void header(page *p, const rl_report_data *d)
{
	const rl_stats *s = &d->st;
	out(p, "<header><h1>");
	esc(p, d->o->title);
	out(p, "</h1>\n<p class=\"meta\">Made %s by revlab %s. ", d->made,
	    RL_VERSION);
	if (d->has_run) {
		out(p, "Last labelling: ");
		esc(p, d->run_started.data);
		out(p, ", method <strong>");
		esc(p, d->run_method.data);
		out(p, "</strong>");
		if (d->run_model.len) {
			out(p, " (classifier ");
			esc(p, d->run_model.data);
			out(p, ")");
		}
		out(p, ", chosen by cross-validated macro-F1; %llu reviews "
		    "labelled.", (unsigned long long)d->run_labelled);
	} else {
		out(p, "Nothing labelled yet: <code>revlab run DB</code> "
		    "labels the reviews.");
	}
	out(p, "</p>\n<dl class=\"counts\">\n");
	struct {
		const char *name;
		uint64_t v;
	} c[] = {
		{ "reviews", s->reviews }, { "tokenized", s->tokenized },
		{ "terms", s->terms }, { "labels", s->labels },
		{ "hand labels", s->seeds }, { "rules", s->rules },
		{ "abstained", d->abstained },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		out(p, "<div><dt>%s</dt><dd>%llu</dd></div>\n", c[i].name,
		    (unsigned long long)c[i].v);
	out(p, "</dl>\n</header>\n");
}

static int render(const rl_report_data *d, rl_buf *b)
{
	page p = { { 0 }, RL_OK };
	out(&p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	    "charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width="
	    "device-width, initial-scale=1\">\n<title>");
	esc(&p, d->o->title);
	out(&p, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n",
	    css);
	header(&p, d);
	chart_sources(&p, d);
	chart_rules(&p, d);
	chart_conflicts(&p, d);
	section_eval(&p, d);
	chart_hist(&p, d);
	section_samples(&p, d);
	out(&p, "</main>\n<footer>revlab %s &#183; one file, no scripts, "
	    "nothing fetched</footer>\n</body>\n</html>\n", RL_VERSION);
	if (p.rc != RL_OK) {
		rl_buf_free(&p.b);
		return p.rc;
	}
	*b = p.b;
	return RL_OK;
}

/* ---- the public calls ---- */

static int build(rl_db *db, const rl_report_opts *o, rl_buf *html)
{
	rl_report_opts defaults;
	rl_report_data d;
	memset(&d, 0, sizeof d);
	if (!o) {
		rl_report_opts_init(&defaults);
		o = &defaults;
	}
	rl_clear_error(db);
	if (o->samples < 0 || o->text_chars < 1)
		return rl_fail(db, RL_EINVAL, "report: samples must be >= 0 "
			       "and text_chars >= 1");
	if (!o->title)
		return rl_fail(db, RL_EINVAL, "report: no title");
	int rc = rl_report_load(db, o, &d);
	if (rc == RL_OK)
		rc = render(&d, html);
	rl_report_data_free(&d);
	if (rc == RL_ENOMEM && !*rl_db_errmsg(db))
		rl_fail(db, rc, "out of memory");
	return rc;
}

int rl_report_write(rl_db *db, const rl_report_opts *o, FILE *f)
{
	rl_buf html = { 0 };
	int rc = build(db, o, &html);
	if (rc != RL_OK)
		return rc;
	if (fwrite(html.data, 1, html.len, f) != html.len || fflush(f) != 0)
		rc = rl_fail(db, RL_EIO, "report: write error: %s",
			     strerror(errno));
	rl_buf_free(&html);
	return rc;
}

int rl_report_file(rl_db *db, const rl_report_opts *o, const char *path)
{
	rl_buf html = { 0 };
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1;
	int rc = build(db, o, &html);
	if (rc != RL_OK)
		return rc;
	size_t n = strlen(path);
	if (!(tmp = malloc(n + 64))) {
		rc = rl_fail(db, RL_ENOMEM, "out of memory");
		goto out;
	}
	/* Beside the target, so the rename stays on one file system; the
	 * name is new (O_EXCL) and the mode follows the umask. */
	for (int i = 0; fd < 0 && i < 100; i++) {
		snprintf(tmp, n + 64, "%s.tmp-%ld-%lx-%d", path, (long)getpid(),
			 (unsigned long)(uintptr_t)&html & 0xffffff, i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		rc = rl_fail(db, RL_EIO, "%s: cannot create: %s", path,
			     strerror(errno));
		goto out;
	}
	if (!(f = fdopen(fd, "w"))) {
		rc = rl_fail(db, RL_EIO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (fwrite(html.data, 1, html.len, f) != html.len ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = rl_fail(db, RL_EIO, "%s: write error: %s", path,
			     strerror(errno));
		goto fail;
	}
	int closed = fclose(f);
	f = NULL;
	if (closed != 0) {
		rc = rl_fail(db, RL_EIO, "%s: write error: %s", path,
			     strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = rl_fail(db, RL_EIO, "%s: cannot replace: %s", path,
			     strerror(errno));
		goto fail;
	}
	goto out;
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	rl_buf_free(&html);
	return rc;
}
