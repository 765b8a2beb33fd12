/*
 * svg.h - a small chart toolkit for the HTML report (svg.c): stacked
 * bars, a stacked histogram, lines on a logarithmic axis, a reliability
 * diagram, a row chart of bars and intervals, and a matrix heatmap, each
 * with its axes and legend.
 *
 * It knows nothing of revlab's data or the store: names, colours and
 * plain arrays in, inline SVG appended to an rl_buf out. Every call
 * returns RL_OK, RL_ENOMEM (the buffer then holds part of a chart: throw
 * it away) or RL_EINVAL; none allocates beyond the buffer's growth.
 *
 * Text (titles, names, tooltips, units) is plain UTF-8, escaped here, and
 * names are shortened with an ellipsis where room is short. Colours are
 * trusted CSS colours ("#0072b2") written as they are. Styling is left to
 * the page's style sheet through the classes chart, grid, tick, axis, lab,
 * lg, val and cell. Sizes are fixed per chart (960 wide, or 470 and 440
 * for the two that pair up), as the page lays them out.
 */
#ifndef RL_SVG_H
#define RL_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Appends at most `max` characters of s, and an ellipsis if s was longer:
 * for names built from several parts before they are drawn. */
int rl_svg_shorten(rl_buf *b, const char *s, size_t max);

/* Horizontal bars, one per row, each stacked from its series' counts,
 * with a legend of the series above and a count axis below. The tooltip
 * of a segment reads "ROW, SERIES: COUNT UNIT". */
typedef struct rl_svg_bars {
	const char *title;		/* the chart's accessible name */
	const char *unit;		/* what is counted; the axis title */
	const char *const *rows;	/* [n_rows] */
	const char *const *series;	/* [n_series] */
	const char *const *colours;	/* [n_series] */
	const uint64_t *count;		/* [n_rows][n_series], row-major */
	size_t n_rows, n_series;
} rl_svg_bars;

int rl_svg_draw_bars(rl_buf *b, const rl_svg_bars *c);

/* A histogram of values in [0, 1]: n_bins equal bins, each stacked from
 * its series' counts. Series s is drawn in colours[s % n_colours] and the
 * legend shows the first n_colours series. The tooltip of a segment reads
 * "SERIES, X_TITLE LOW-HIGH: COUNT UNIT". */
typedef struct rl_svg_hist {
	const char *title;
	const char *x_title;		/* what the [0, 1] axis measures */
	const char *unit;		/* what is counted; the y axis title */
	const char *const *series;	/* [n_series] */
	const char *const *colours;	/* [n_colours], n_colours >= 1 */
	const uint64_t *count;		/* [n_bins][n_series], row-major */
	size_t n_bins, n_series, n_colours;
} rl_svg_hist;

int rl_svg_draw_hist(rl_buf *b, const rl_svg_hist *c);

/* Lines over a logarithmic x axis, y in [0, 1], a point at each x and a
 * legend of every series (in as many rows as it needs). A series with a
 * negative y anywhere (a value it does not have) is left out. The tooltip
 * of a point reads "SERIES, X X_UNIT: Y". */
typedef struct rl_svg_lines {
	const char *title, *x_title, *y_title;
	const char *x_unit;
	const char *const *series;	/* [n_series] */
	const char *const *colours;	/* [n_series] */
	/* [n_series] nonzero: a dashed line and pale points, for a series
	 * to compare against; or NULL */
	const int *faint;
	/* [n_points][1 + n_series]: x (> 0, ascending), then each series'
	 * y at that x */
	const double *table;
	size_t n_points, n_series;
} rl_svg_lines;

int rl_svg_draw_lines(rl_buf *b, const rl_svg_lines *c);

/* A reliability diagram: per confidence bin, the mean confidence (x)
 * against the share right (y), one line per series, each point's area
 * showing its share of all answers; on the dashed diagonal is calibrated.
 * Empty bins are skipped. */
typedef struct rl_svg_reliability {
	const char *title, *x_title, *y_title;
	const char *const *series;	/* [n_series] */
	const char *const *colours;	/* [n_series] */
	/* [n_series] nonzero: a dashed line and pale points, for a variant
	 * of another series; or NULL */
	const int *faint;
	/* [n_series][n_bins][5]: low and high edge, answers, mean
	 * confidence, share right */
	const double *bins;
	size_t n_series, n_bins;
} rl_svg_reliability;

int rl_svg_draw_reliability(rl_buf *b, const rl_svg_reliability *c);

/* One row of rl_svg_ranges: a bar for count of total, in percent, and a
 * point with its interval, in [0, 1]. The caller words the row. */
typedef struct rl_svg_range {
	const char *tag;	/* small, at the far left ("line 3") */
	const char *name;	/* before the bar; short (rl_svg_shorten) */
	const char *name_tip;	/* the name's tooltip */
	const char *point_tip;	/* the point's tooltip */
	const char *colour;
	uint64_t count;		/* the bar: count of the chart's total */
	double point, lo, hi;	/* point < 0: none, `none` is written */
} rl_svg_range;

/* Rows with a bar on a percent axis rounded up from the longest, and
 * beside it a point with its interval on [0, 1]. A bar's tooltip reads
 * "TAG: COUNT UNIT, PERCENT%". */
typedef struct rl_svg_ranges {
	const char *title;
	const char *bar_title, *point_title;	/* above the two panels */
	const char *unit;
	const char *none;
	const rl_svg_range *rows;		/* [n] */
	size_t n;
	uint64_t total;
} rl_svg_ranges;

int rl_svg_draw_ranges(rl_buf *b, const rl_svg_ranges *c);

/* A square matrix heatmap: names down the left (with a colour swatch)
 * and rotated across the top, a count in every cell, each cell shaded
 * from white to `hue` by its scale; empty cells recede. The tooltip of a
 * cell reads "ROW / COLUMN: COUNT". */
typedef struct rl_svg_matrix {
	const char *title;
	const char *rows_title, *cols_title;	/* what rows, columns are */
	const char *const *names;	/* [n] */
	/* [n] a swatch colour per name (NULL: grey); or NULL: all grey */
	const char *const *swatch;
	const uint64_t *count;		/* [n][n], row-major */
	const double *scale;		/* [n][n], shade in [0, 1] */
	const int *hue;			/* [3] RGB the shade goes to */
	const int *diag_hue;		/* [3] for the diagonal, or NULL */
	size_t n;
} rl_svg_matrix;

int rl_svg_draw_matrix(rl_buf *b, const rl_svg_matrix *c);
/* The width rl_svg_draw_matrix gives a matrix of these names (at least
 * 300), so the page can make room before drawing it. */
int rl_svg_matrix_width(const char *const *names, size_t n);

#endif /* RL_SVG_H */
