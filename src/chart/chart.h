/*-------------------------------------------------------------------------
 *
 * chart.h
 *	  Self-contained SVG charts: x-y plots (lines, points, bands, reference
 *	  lines), bar charts (vertical, horizontal) and heat-map grids.
 *
 * Every chart has a title, a <title>/<desc> pair for screen readers, axes
 * with ticks and labels, the Okabe-Ito palette (safe for the common colour
 * vision deficiencies), sans-serif text of at least 12px, and a legend when
 * more than one series is named.  No scripts, no external references: the
 * text is one <svg> element.  Every string from the caller is XML-escaped.
 *
 * Elements carry classes a test (or a stylesheet) can count: pgl-point
 * (one circle per drawn point), pgl-line, pgl-band, pgl-ref, pgl-bar (one
 * rect per bar), pgl-cell (one rect per heat-map cell), pgl-xtick,
 * pgl-ytick (one group per tick), pgl-legend-item.
 *
 * Non-finite values: an x-y point with a NaN or infinite coordinate is left
 * out (a line breaks there) and the <desc> says how many were; a bar or
 * cell value that is not finite is an error.  A chart with nothing finite
 * to draw is an error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CHART_H
#define PGL_CHART_H

#include "svg.h"

#define PGL_CHART_MIN_SIZE	   200
#define PGL_CHART_MAX_SIZE	   4096
#define PGL_CHART_MAX_BARS	   1000
#define PGL_CHART_MAX_CELLS	   100 /* heat map: classes per side */
#define PGL_CHART_PALETTE_SIZE 8

/* the palette (Okabe & Ito 2008), in the order series take it */
extern const char *const pgl_chart_palette[PGL_CHART_PALETTE_SIZE];

typedef enum pgl_series_kind
{
	PGL_SERIES_LINE = 1,	/* a polyline through the points in order */
	PGL_SERIES_POINTS,		/* one circle per point */
	PGL_SERIES_LINE_POINTS, /* both */
	PGL_SERIES_BAND,		/* the area between y (lower) and y2 (upper) */
	PGL_SERIES_REFERENCE	/* a dashed grey line (a diagonal, a zero line) */
} pgl_series_kind;

typedef struct pgl_series
{
	int			  kind; /* pgl_series_kind */
	const char	 *name; /* in the legend; NULL: not in it */
	int64_t		  n;
	const double *x;
	const double *y;
	const double *y2;	 /* bands: the upper edge; else NULL */
	int			  color; /* index into the palette */
} pgl_series;

typedef struct pgl_chart
{
	const char *title;	 /* shown on top and in <title> */
	const char *desc;	 /* <desc> for screen readers; NULL: a generic sentence */
	const char *x_label; /* may be NULL */
	const char *y_label;
	int			width, height; /* pixels; 0: 640 x 400 */
	bool		x_time;		   /* x is seconds since 1970-01-01 UTC: dated ticks */
	double		x_lo, x_hi;	   /* fixed ranges; NaN: from the data */
	double		y_lo, y_hi;
} pgl_chart;

/* a chart with the defaults (640 x 400, ranges from the data) */
extern void pgl_chart_defaults(pgl_chart *c, const char *title);

extern pgl_rc pgl_chart_xy(pgl_svg *s, const pgl_chart *c, int n_series, const pgl_series *series,
						   pgl_status *st);

/*
 * n bars of values (err: +- whiskers, or NULL); horizontal puts the labels
 * down the left side (long names, e.g. features), vertical along the bottom.
 */
extern pgl_rc pgl_chart_bars(pgl_svg *s, const pgl_chart *c, int n, const char *const *labels,
							 const double *values, const double *err, bool horizontal,
							 pgl_status *st);

/*
 * A k x k grid of cells (row-major, rows: y_label, e.g. the actual class;
 * columns: x_label, e.g. the predicted one), shaded by value and numbered.
 */
extern pgl_rc pgl_chart_heatmap(pgl_svg *s, const pgl_chart *c, int k, const char *const *labels,
								const double *cells, pgl_status *st);

#endif /* PGL_CHART_H */
