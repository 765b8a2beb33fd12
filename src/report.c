/*
 * report.c - `revlab report`: the store as one HTML page people would
 * rather look at than a terminal.
 *
 * The page only. report_data.c loads what it shows from the store into
 * plain structs (report.h); svg.c draws the charts from plain arrays; this
 * file picks the words and the colours (a label has one colour on every
 * chart), lays it all out as HTML with inline CSS, and writes the file.
 * No script and no outside reference, so the file opens anywhere,
 * offline, and can be mailed. Everything user-supplied (review text,
 * labels, ids, patterns) goes through rl_html_escape().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "svg.h"

enum { MAX_RULE_ROWS = 60, MAX_MATRIX = 30 };

/* Sources and methods share colours (rules = rule votes, and so on);
 * the baselines are greys, drawn faint; labels have their own, the same
 * on every chart. */
static const char *const source_colour[RL_REPORT_SOURCES] = {
	"#3f3f46", "#e69f00", "#0072b2", "#009e73", "#cc79a7",
};
static const char *const method_colour[RL_METHOD_COUNT] = {
	"#e69f00", "#0072b2", "#009e73", "#d55e00", "#8c8c8c", "#4d4d4d",
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

static const char *lcolour(size_t l)
{
	return label_colour[l % N_LABEL_COLOURS];
}

static void note(page *p, const char *html)
{
	out(p, "<p class=\"note\">%s</p>\n", html);
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
	uint64_t total = 0;
	for (size_t i = 0; i < (size_t)d->L * RL_REPORT_SOURCES; i++)
		total += d->by_source[i];
	if (d->multi)
		out(p, "<p>Each label of each review and where it came from: "
		    "a review's hand labels, if it has any, win over what "
		    "revlab inferred. %llu labels on %llu reviews, %llu "
		    "abstained (no evidence reached them, or too unsure)."
		    "</p>\n", (unsigned long long)total,
		    (unsigned long long)(d->st.reviews - d->abstained),
		    (unsigned long long)d->abstained);
	else
		out(p, "<p>Each review's final label (a hand label always "
		    "wins) and where it came from. %llu reviews labelled, "
		    "%llu abstained (no evidence reached them, or too unsure)."
		    "</p>\n", (unsigned long long)total,
		    (unsigned long long)d->abstained);
	rl_svg_bars c = {
		.title = "Reviews per label, by source",
		.unit = "reviews",
		.rows = (const char *const *)d->labels,
		.series = rl_report_sources,
		.colours = source_colour,
		.count = d->by_source,
		.n_rows = d->L,
		.n_series = RL_REPORT_SOURCES,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_bars(&p->b, &c);
	out(p, "</section>\n");
}

/* A multi-label store: how many labels each review carries, stacked by
 * whose labels they are. */
static void chart_cardinality(page *p, const rl_report_data *d)
{
	static const char *const rows[RL_REPORT_CARD] = {
		"none", "1 label", "2 labels", "3 labels", "4 labels",
		"5 labels", "6 labels", "7 labels", "8 or more",
	};
	static const char *const kinds[RL_REPORT_CARD_KINDS] = {
		"hand-labelled", "labelled by revlab", "abstained",
	};
	static const char *const colours[RL_REPORT_CARD_KINDS] = {
		"#3f3f46", "#0072b2", "#bbbbbb",
	};
	if (!d->multi)
		return;
	out(p, "<section><h2>Labels per review</h2>\n");
	if (d->st.reviews == 0) {
		note(p, "No reviews yet.");
		out(p, "</section>\n");
		return;
	}
	double sum[2] = { 0, 0 }, n[2] = { 0, 0 };
	for (size_t k = 1; k < RL_REPORT_CARD; k++)
		for (int c = 0; c < 2; c++) {
			double v = (double)d->cardinality[k *
					RL_REPORT_CARD_KINDS + (size_t)c];
			sum[c] += (double)k * v;
			n[c] += v;
		}
	out(p, "<p>How many labels each review carries (its label "
	    "cardinality): ");
	for (int c = 0; c < 2; c++) {
		if (n[c] > 0)
			out(p, "%s %.2f on average (%.0f reviews)", c
			    ? "those revlab labelled"
			    : "hand-labelled reviews carry", sum[c] / n[c],
			    n[c]);
		else
			out(p, "%s", c ? "revlab labelled none"
				       : "no review is hand-labelled");
		out(p, "%s", c ? "" : ", ");
	}
	out(p, ". A hand-labelled review counts with its hand labels "
	    "only.</p>\n");
	/* Up to the most labels a review carries, from "1 label" on. */
	size_t rows_used = 2;
	for (size_t k = 2; k < RL_REPORT_CARD; k++)
		for (size_t c = 0; c < RL_REPORT_CARD_KINDS; c++)
			if (d->cardinality[k * RL_REPORT_CARD_KINDS + c])
				rows_used = k + 1;
	rl_svg_bars c = {
		.title = "Reviews by how many labels they carry",
		.unit = "reviews",
		.rows = rows,
		.series = kinds,
		.colours = colours,
		.count = d->cardinality,
		.n_rows = rows_used,
		.n_series = RL_REPORT_CARD_KINDS,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_bars(&p->b, &c);
	out(p, "</section>\n");
}

/* One matrix of labels on the same review, of `kind` (0 hand-labelled
 * reviews, 1 those revlab labelled), over the n labels in label[]. */
static void together_matrix(page *p, const rl_report_data *d, int kind,
			    const size_t *label, const char *const *names,
			    const char *const *swatch, size_t n)
{
	static const int teal[3] = { 0x01, 0x66, 0x5e };
	static const int grey[3] = { 0x73, 0x73, 0x73 };
	const size_t L = d->L;
	const uint64_t *t = d->together + (size_t)kind * L * L;
	uint64_t reviews = 0, diag = 0;
	for (size_t k = 1; k < RL_REPORT_CARD; k++)
		reviews += d->cardinality[k * RL_REPORT_CARD_KINDS +
					  (size_t)kind];
	out(p, "<figure style=\"flex-basis:%dpx\"><figcaption>%s (%llu)"
	    "</figcaption>\n", rl_svg_matrix_width(names, n), kind
	    ? "Reviews revlab labelled" : "Hand-labelled reviews",
	    (unsigned long long)reviews);
	if (reviews == 0) {
		note(p, kind ? "revlab labelled no review yet: <code>revlab "
			       "run DB</code>." : "No review is hand-labelled "
			       "yet.");
		out(p, "</figure>\n");
		return;
	}
	uint64_t *count = malloc((n * n + 1) * sizeof *count);
	double *scale = malloc((n * n + 1) * sizeof *scale);
	if (!count || !scale) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (t[label[i] * L + label[i]] > diag)
			diag = t[label[i] * L + label[i]];
	/* Off the diagonal the share of the row label's reviews, so the
	 * two matrices compare whatever their sizes. */
	for (size_t i = 0; i < n; i++) {
		uint64_t row = t[label[i] * L + label[i]];
		for (size_t j = 0; j < n; j++) {
			uint64_t c = t[label[i] * L + label[j]];
			count[i * n + j] = c;
			scale[i * n + j] = (double)c / (double)(i == j
				? (diag ? diag : 1) : (row ? row : 1));
		}
	}
	rl_svg_matrix c = {
		.title = kind ? "Labels together on reviews revlab labelled"
			      : "Labels together on hand-labelled reviews",
		.rows_title = "reviews with label",
		.cols_title = "that also carry this label",
		.names = names,
		.swatch = swatch,
		.count = count,
		.scale = scale,
		.hue = teal,
		.diag_hue = grey,
		.n = n,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_matrix(&p->b, &c);
out:
	free(count);
	free(scale);
	out(p, "</figure>\n");
}

/* A multi-label store: which labels go on the same review, on the hand
 * labels and on revlab's, side by side over the same labels. */
static void section_together(page *p, const rl_report_data *d)
{
	if (!d->multi)
		return;
	out(p, "<section><h2>Labels on the same review</h2>\n");
	size_t L = d->L, n = 0;
	size_t *label = malloc((L + 1) * sizeof *label);
	/* [2][L + 1]: the names, then their swatches */
	const char **names = malloc(2 * (L + 1) * sizeof *names);
	if (!label || !names) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	const char **swatch = names + L + 1;
	for (size_t l = 0; l < L && n < MAX_MATRIX; l++)
		if (d->together[l * L + l] || d->together[L * L + l * L + l]) {
			label[n] = l;
			swatch[n] = lcolour(l);
			names[n++] = d->labels[l];
		}
	if (n == 0) {
		note(p, "No review carries a label yet.");
		goto out;
	}
	out(p, "<p>How often two labels are on the same review: among the "
	    "hand-labelled reviews (their hand labels) and among the "
	    "reviews revlab labelled. A cell counts the reviews with the "
	    "row's label that also carry the column's, shaded by their "
	    "share of the row's reviews; the diagonal (grey) counts each "
	    "label's reviews. Labels on no review are left out.</p>\n"
	    "<div class=\"pair\">\n");
	together_matrix(p, d, 0, label, names, swatch, n);
	together_matrix(p, d, 1, label, names, swatch, n);
	out(p, "</div>\n");
	if (n == MAX_MATRIX)
		out(p, "<p class=\"note\">The first %d labels on some review."
		    "</p>\n", MAX_MATRIX);
out:
	free(label);
	free(names);
	out(p, "</section>\n");
}

/* Ends the text being built in t; returns where the next one starts. */
static size_t next_text(rl_buf *t, int *rc)
{
	if (*rc == RL_OK)
		*rc = rl_buf_putc(t, '\0');
	return t->len;
}

/* A rule's row of the chart; its texts live in t, which must not grow
 * after this. */
static int rule_row(const rl_report_data *d, const rl_rule_report *x,
		    rl_buf *t, rl_svg_range *row)
{
	int l = rl_report_label(d, x->label);
	int rc = rl_buf_printf(t, "line %d", x->line);
	size_t name = next_text(t, &rc);
	if (rc == RL_OK && x->negate)
		rc = rl_buf_append(t, "not ", 4);
	if (rc == RL_OK)
		rc = rl_svg_shorten(t, x->label, 12);
	if (rc == RL_OK)
		rc = rl_buf_append(t, ": ", 2);
	if (rc == RL_OK)
		rc = rl_svg_shorten(t, x->pattern, 16);
	size_t name_tip = next_text(t, &rc);
	if (rc == RL_OK)
		rc = rl_buf_printf(t, "line %d: %s%s\t%s", x->line,
				   x->negate ? "!" : "", x->label, x->pattern);
	size_t point_tip = next_text(t, &rc);
	if (rc == RL_OK && x->precision >= 0)
		rc = rl_buf_printf(t, "line %d: precision %.2f [%.2f, %.2f], "
				   "%llu of %llu hand labels", x->line,
				   x->precision, x->ci_low, x->ci_high,
				   (unsigned long long)x->seed_correct,
				   (unsigned long long)x->seed_hits);
	if (rc != RL_OK)
		return rc;
	row->tag = t->data;
	row->name = t->data + name;
	row->name_tip = t->data + name_tip;
	row->point_tip = t->data + point_tip;
	row->colour = l >= 0 ? lcolour((size_t)l) : "#888";
	row->count = x->hits;
	row->point = x->precision;
	row->lo = x->ci_low;
	row->hi = x->ci_high;
	return RL_OK;
}

/* The chart of the first n rules: how much each covers, and how often it
 * is right on the hand labels it matches, with the 95% Wilson interval. */
static void rule_chart(page *p, const rl_report_data *d, size_t n)
{
	rl_svg_range *rows = calloc(n + 1, sizeof *rows);
	rl_buf *texts = calloc(n + 1, sizeof *texts);	/* one per row */
	int rc = rows && texts ? RL_OK : RL_ENOMEM;
	for (size_t i = 0; rc == RL_OK && i < n; i++)
		rc = rule_row(d, &d->rules->rules[i], &texts[i], &rows[i]);
	rl_svg_ranges c = {
		.title = "Rule coverage and precision on the hand labels",
		.bar_title = "coverage (% of reviews)",
		.point_title = "precision on hand labels, 95% interval",
		.unit = "reviews",
		.none = "no hand label matched",
		.rows = rows,
		.n = n,
		.total = d->rules->reviews,
	};
	if (rc == RL_OK)
		rc = rl_svg_draw_ranges(&p->b, &c);
	for (size_t i = 0; texts && i < n; i++)
		rl_buf_free(&texts[i]);
	free(texts);
	free(rows);
	if (p->rc == RL_OK)
		p->rc = rc;
}

/* (b) The rules, charted and listed. */
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
	if (p->rc == RL_OK)
		rule_chart(p, d, n);
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

/* (c) Reviews where rules for two labels both fire. */
static void chart_conflicts(page *p, const rl_report_data *d)
{
	static const int red[3] = { 0xb2, 0x18, 0x2b };
	static const int grey[3] = { 0x73, 0x73, 0x73 };
	out(p, "<section><h2>%s</h2>\n", d->multi ? "Rules firing together"
	    : "Rule conflicts between labels");
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
	size_t *label = malloc((L + 1) * sizeof *label);
	/* [2][L + 1]: the names, then their swatches */
	const char **names = malloc(2 * (L + 1) * sizeof *names);
	if (!count || !scale || !label || !names) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	const char **swatch = names + L + 1;
	for (size_t l = 0; l < L && n < MAX_MATRIX; l++)
		if (d->rule_labels[l * L + l]) {
			label[n] = l;
			swatch[n] = lcolour(l);
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
			uint64_t c = d->rule_labels[label[i] * L + label[j]];
			count[i * n + j] = c;
			if (i != j && c > off)
				off = c;
			if (i == j && c > diag)
				diag = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint64_t most = i == j ? diag : off;
			scale[i * n + j] = (double)count[i * n + j] /
					   (double)(most ? most : 1);
		}
	out(p, "<p>Off the diagonal: reviews on which rules voting for both "
	    "labels fire, %s. On the diagonal (grey): ", d->multi
	    ? "which in a multi-label store may well carry both: these are "
	      "the labels whose rules fire together, not only where they "
	      "disagree" : "so the rules disagree");
	out(p, "reviews any rule for the label fires on. Labels no rule "
	    "fires for, and rules that vote against a label (<code>!label"
	    "</code>), are left out.</p>\n");
	rl_svg_matrix c = {
		.title = "Reviews where rules for two labels fire",
		.rows_title = "rules for this label",
		.cols_title = "and rules for this label fire",
		.names = names,
		.swatch = swatch,
		.count = count,
		.scale = scale,
		.hue = red,
		.diag_hue = grey,
		.n = n,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_matrix(&p->b, &c);
	if (n == MAX_MATRIX)
		out(p, "<p class=\"note\">The first %d labels whose rules "
		    "fire.</p>\n", MAX_MATRIX);
out:
	free(count);
	free(scale);
	free(label);
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
		int base = m >= RL_METHOD_CANDIDATES;
		/* (an evaluation stored before the baselines has none) */
		if (base && d->scores[m][0] < 0)
			continue;
		out(p, "<tr%s><td><span class=\"sw\" style=\"background:%s\">"
		    "</span>%s%s</td>", best ? " class=\"best\""
		    : base ? " class=\"baseline\"" : "", method_colour[m],
		    name, best ? " (chosen)" : base ? " (baseline)" : "");
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
 * shaded by the row's share (recall). In a multi-label store a review
 * counts once for every pair of a hand label it carries and a label it
 * was given, so a row sums to more than its reviews. */
static void chart_confusion(page *p, const rl_report_data *d)
{
	static const int blue[3] = { 0x08, 0x51, 0x9c };
	const char *const *names = (const char *const *)d->elabels;
	/* As wide as the matrix needs, so a big one gets its own row. */
	size_t n = d->EL < MAX_MATRIX ? d->EL : MAX_MATRIX;
	out(p, "<figure style=\"flex-basis:%dpx\"><figcaption>%s of %s, "
	    "held-out hand labels</figcaption>\n",
	    rl_svg_matrix_width(names, d->confusion ? n : 0),
	    d->multi ? "Hand labels against labels given (a review counts "
	    "for each pair)" : "Confusion matrix", d->best);
	if (!d->confusion) {
		note(p, "This evaluation has no confusion matrix.");
		out(p, "</figure>\n");
		return;
	}
	uint64_t *count = malloc(n * n * sizeof *count);
	double *scale = malloc(n * n * sizeof *scale);
	const char **swatch = malloc(n * sizeof *swatch);
	if (!count || !scale || !swatch) {
		p->rc = RL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double row = 0;
		int l = rl_report_label(d, d->elabels[i]);
		swatch[i] = l >= 0 ? lcolour((size_t)l) : NULL;
		for (size_t j = 0; j < d->EL; j++)
			row += d->confusion[i * d->EL + j];
		for (size_t j = 0; j < n; j++) {
			double c = d->confusion[i * d->EL + j];
			count[i * n + j] = (uint64_t)c;
			scale[i * n + j] = row > 0 ? c / row : 0;
		}
	}
	rl_svg_matrix c = {
		.title = d->multi ? "Hand labels against labels given"
				  : "Confusion matrix",
		.rows_title = "hand label",
		.cols_title = d->multi ? "given" : "predicted",
		.names = names,
		.swatch = swatch,
		.count = count,
		.scale = scale,
		.hue = blue,
		.n = n,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_matrix(&p->b, &c);
out:
	free(count);
	free(scale);
	free(swatch);
	out(p, "</figure>\n");
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
	const char *names[RL_METHOD_COUNT];
	int faint[RL_METHOD_COUNT] = { 0 };
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		names[m] = rl_method_name((rl_method)m);
		faint[m] = m >= RL_METHOD_CANDIDATES;
	}
	rl_svg_lines c = {
		.title = "Learning curve: macro-F1 against hand labels per "
			 "label",
		.x_title = "hand labels per label trained on (log scale)",
		.y_title = "macro-F1 (held-out)",
		.x_unit = "per label",
		.series = names,
		.colours = method_colour,
		.faint = faint,
		.table = d->curve,
		.n_points = d->n_curve,
		.n_series = RL_METHOD_COUNT,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_lines(&p->b, &c);
	out(p, "</figure>\n");
}

/* (f) Reliability: in each confidence bin, mean confidence against the
 * share that was right. On the diagonal is calibrated. */
static void chart_reliability(page *p, const rl_report_data *d)
{
	const char *names[RL_METHOD_COUNT + 1], *cols[RL_METHOD_COUNT + 1];
	int faint[RL_METHOD_COUNT + 1] = { 0 };
	for (int m = 0; m < RL_METHOD_COUNT; m++) {
		names[m] = rl_method_name((rl_method)m);
		cols[m] = method_colour[m];
		faint[m] = m >= RL_METHOD_CANDIDATES;
	}
	/* The model once more, with the temperature run applies. */
	names[RL_METHOD_COUNT] = "model, calibrated";
	cols[RL_METHOD_COUNT] = method_colour[RL_METHOD_MODEL];
	faint[RL_METHOD_COUNT] = 1;
	out(p, "<figure><figcaption>Reliability of the confidence"
	    "</figcaption>\n");
	rl_svg_reliability c = {
		.title = "Reliability diagram: accuracy against confidence",
		.x_title = "mean confidence in the bin",
		.y_title = "share right (held-out)",
		.series = names,
		.colours = cols,
		.faint = faint,
		.bins = d->bins,
		.n_series = RL_METHOD_COUNT + 1,
		.n_bins = RL_CALIB_BINS,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_reliability(&p->b, &c);
	out(p, "</figure>\n");
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
	/* (an evaluation stored before the baselines has none) */
	int baselines = 0;
	for (int m = RL_METHOD_CANDIDATES; m < RL_METHOD_COUNT; m++)
		baselines |= d->scores[m][0] >= 0;
	out(p, "<p>Evaluation #%lld of ", (long long)d->eval_id);
	esc(p, d->eval_created.data);
	out(p, ": %.0f-fold cross-validation on %.0f hand labels; each "
	    "fold's hand labels were hidden from rule quality, propagation and "
	    "training before they were predicted. Classifier: ", d->folds,
	    d->seeds);
	esc(p, *d->model ? d->model : "logreg");
	out(p, ".");
	if (baselines)
		out(p, " The baselines, scored alike but never chosen, show "
		    "what the pipeline adds: majority is one vote per "
		    "matching rule, nothing learned; seeds-only is the "
		    "classifier trained on the hand labels alone.");
	out(p, "</p>\n");
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
	    "answers the bin holds.%s The calibrated model (faint) has "
	    "the temperature <code>revlab run</code> applies, fitted on "
	    "these same predictions, so it is optimistic.</p>\n",
	    baselines ? " The baselines are grey and faint." : "");
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
	uint64_t total = 0;
	for (size_t i = 0; i < (size_t)RL_REPORT_HIST_BINS * d->L; i++)
		total += d->hist[i];
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
	rl_svg_hist c = {
		.title = "Confidence of the inferred labels",
		.x_title = "confidence",
		.unit = "reviews",
		.series = (const char *const *)d->labels,
		.colours = label_colour,
		.count = d->hist,
		.n_bins = RL_REPORT_HIST_BINS,
		.n_series = d->L,
		.n_colours = N_LABEL_COLOURS,
	};
	if (p->rc == RL_OK)
		p->rc = rl_svg_draw_hist(&p->b, &c);
	out(p, "</section>\n");
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
	"tr.baseline td{color:#6e7781}\n"
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
	chart_cardinality(&p, d);
	section_together(&p, d);
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
	rl_outfile *f = NULL;
	char err[512] = "out of memory";
	int rc = build(db, o, &html);
	if (rc != RL_OK)
		goto out;	/* build said why */
	if ((rc = rl_outfile_open(path, &f, err, sizeof err)) == RL_OK) {
		/* A short write shows in the stream at commit. */
		(void)fwrite(html.data, 1, html.len, rl_outfile_stream(f));
		rc = rl_outfile_commit(f, err, sizeof err);
	}
	if (rc != RL_OK)
		rl_fail(db, rc, "%s", err);
out:
	rl_buf_free(&html);
	return rc;
}
