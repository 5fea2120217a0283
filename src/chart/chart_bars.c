/*-------------------------------------------------------------------------
 *
 * chart_bars.c
 *	  Bar charts (vertical and horizontal) and heat-map grids.
 *
 *-------------------------------------------------------------------------
 */
#include "chart_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_LABEL 28 /* characters of a category label shown (the <title> has all) */

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

static int
longest_label(int n, const char *const *labels)
{
	int best = 1;

	for (int i = 0; i < n; i++)
		best = imax(best, imin(MAX_LABEL, pgl_utf8_length(labels[i] ? labels[i] : "")));
	return best;
}

/* "%.4g" without a "-0" */
static void
format_value(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.4g", v == 0 ? 0.0 : v);
}

/* the category label groups (class cls) of a bar or heat-map axis */
static void
category_label(pgl_svg *s, const char *cls, double x, double y, const char *anchor,
			   const char *label, int max_chars, const char *transform)
{
	pgl_svg_printf(s, "<g class=\"%s\"><text", cls);
	pgl_attr(s, "x", x);
	pgl_attr(s, "y", y);
	pgl_svg_printf(s, " text-anchor=\"%s\"", anchor);
	if (transform)
		pgl_svg_raw(s, transform);
	pgl_svg_raw(s, ">");
	pgl_svg_text(s, label, imax(1, max_chars));
	pgl_svg_raw(s, "</text></g>\n");
}

static pgl_rc
check_bars(int n, const char *const *labels, const double *values, const double *err, double *lo,
		   double *hi, pgl_status *st)
{
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "nothing to chart: there are no bars");
	if (n > PGL_CHART_MAX_BARS)
		return pgl_fail(st, PGL_ERR_INVALID, "a bar chart has at most %d bars, not %d",
						PGL_CHART_MAX_BARS, n);
	*lo = *hi = 0; /* bars start at zero */
	for (int i = 0; i < n; i++)
	{
		double e = err && isfinite(err[i]) ? fabs(err[i]) : 0;

		if (!isfinite(values[i]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"bar %d (\"%.60s\") has a value that is not finite", i + 1,
							labels[i] ? labels[i] : "");
		*lo = fmin(*lo, values[i] - e);
		*hi = fmax(*hi, values[i] + e);
	}
	return PGL_OK;
}

/* one bar: a rect from (x0, y0) to (x1, y1) with its label and value as <title> */
static void
bar(pgl_svg *s, double x0, double y0, double x1, double y1, int color, const char *label, double v,
	double e)
{
	char buf[64];

	pgl_svg_raw(s, "<rect class=\"pgl-bar\"");
	pgl_attr(s, "x", fmin(x0, x1));
	pgl_attr(s, "y", fmin(y0, y1));
	pgl_attr(s, "width", fmax(fabs(x1 - x0), 0.5));
	pgl_attr(s, "height", fmax(fabs(y1 - y0), 0.5));
	pgl_svg_printf(s, " fill=\"%s\"><title>", pgl_chart_color(color));
	pgl_svg_text(s, label, 0);
	format_value(v, buf, sizeof(buf));
	pgl_svg_printf(s, ": %s", buf);
	if (isfinite(e) && e != 0)
	{
		format_value(fabs(e), buf, sizeof(buf));
		pgl_svg_printf(s, " \xC2\xB1 %s", buf);
	}
	pgl_svg_raw(s, "</title></rect>\n");
}

static void
whisker(pgl_svg *s, double x0, double y0, double x1, double y1)
{
	pgl_svg_raw(s, "<line class=\"pgl-err\"");
	pgl_attr(s, "x1", x0);
	pgl_attr(s, "y1", y0);
	pgl_attr(s, "x2", x1);
	pgl_attr(s, "y2", y1);
	pgl_svg_raw(s, " stroke=\"#222222\" stroke-width=\"1.5\"/>\n");
}

static pgl_rc
bars_horizontal(pgl_svg *s, const pgl_chart *c, int n, const char *const *labels,
				const double *values, const double *err, double lo, double hi, pgl_status *st)
{
	int		  chars = longest_label(n, labels), w, h;
	pgl_frame f;
	pgl_rc	  rc;
	double	  slot;
	char	  desc[128];

	if ((rc = pgl_chart_size(c, 640, imin(PGL_CHART_MAX_SIZE, imax(240, 92 + 24 * n)), &w, &h,
							 st)) != PGL_OK)
		return rc;
	memset(&f, 0, sizeof(f));
	f.W = w;
	f.H = h;
	f.top = 40;
	f.left = pgl_text_width(chars) + 14 + (c->y_label ? 22 : 0);
	f.pw = w - f.left - 28;
	f.ph = h - f.top - (c->x_label ? 52 : 32);
	if (f.pw < 50 || f.ph < 20)
		return pgl_fail(st, PGL_ERR_INVALID, "chart size %d x %d leaves no room for the bars", w,
						h);
	if ((rc = pgl_ticks_nice(lo, hi, w / 90, &f.xt, st)) != PGL_OK)
		return rc;
	f.yt.lo = 0;
	f.yt.hi = 1;
	snprintf(desc, sizeof(desc), "A horizontal bar chart of %d bars.", n);
	pgl_chart_begin(s, c, w, h, desc, 0);
	pgl_chart_axes(s, c, &f, true, false);
	slot = f.ph / n;
	for (int i = 0; i < n; i++)
	{
		double y = f.top + i * slot, yc = y + slot / 2;
		double e = err && isfinite(err[i]) ? fabs(err[i]) : 0;

		category_label(s, "pgl-ytick", f.left - 8, yc + 4, "end", labels[i], MAX_LABEL, NULL);
		bar(s, pgl_px(&f, 0), y + slot * 0.15, pgl_px(&f, values[i]), y + slot * 0.85, 0, labels[i],
			values[i], e);
		if (e > 0)
			whisker(s, pgl_px(&f, values[i] - e), yc, pgl_px(&f, values[i] + e), yc);
	}
	return pgl_chart_end(s, st);
}

static pgl_rc
bars_vertical(pgl_svg *s, const pgl_chart *c, int n, const char *const *labels,
			  const double *values, const double *err, double lo, double hi, pgl_status *st)
{
	int			chars = longest_label(n, labels), w, h, fit;
	pgl_frame	f;
	pgl_rc		rc;
	double		slot;
	bool		rotate;
	char		desc[128];
	const char *turn = " transform=\"rotate(-40 %.1f %.1f)\"";

	if ((rc = pgl_chart_size(c, imin(PGL_CHART_MAX_SIZE, imax(640, 120 + 28 * n)), 400, &w, &h,
							 st)) != PGL_OK)
		return rc;
	memset(&f, 0, sizeof(f));
	f.W = w;
	f.H = h;
	f.xt.lo = 0;
	f.xt.hi = 1;
	if ((rc = pgl_ticks_nice(lo, hi, h / 60, &f.yt, st)) != PGL_OK)
		return rc;
	f.top = 40;
	f.left = pgl_text_width(pgl_max_label(&f.yt)) + 14 + (c->y_label ? 22 : 0);
	f.pw = w - f.left - 28;
	slot = f.pw / n;
	fit = (int) (slot / 7);
	rotate = chars > fit;
	f.ph =
		h - f.top - (c->x_label ? 52 : 32) - (rotate ? pgl_text_width(imin(chars, 16)) * 0.65 : 0);
	if (f.pw < 50 || f.ph < 50)
		return pgl_fail(st, PGL_ERR_INVALID, "chart size %d x %d leaves no room for the bars", w,
						h);
	snprintf(desc, sizeof(desc), "A bar chart of %d bars.", n);
	pgl_chart_begin(s, c, w, h, desc, 0);
	pgl_chart_axes(s, c, &f, false, true);
	for (int i = 0; i < n; i++)
	{
		double x = f.left + i * slot, xc = x + slot / 2, yl = f.top + f.ph + 18;
		double e = err && isfinite(err[i]) ? fabs(err[i]) : 0;
		char   tr[96];

		snprintf(tr, sizeof(tr), turn, xc, yl);
		category_label(s, "pgl-xtick", xc, yl, rotate ? "end" : "middle", labels[i],
					   rotate ? 16 : fit, rotate ? tr : NULL);
		bar(s, x + slot * 0.15, pgl_py(&f, 0), x + slot * 0.85, pgl_py(&f, values[i]), 0, labels[i],
			values[i], e);
		if (e > 0)
			whisker(s, xc, pgl_py(&f, values[i] - e), xc, pgl_py(&f, values[i] + e));
	}
	return pgl_chart_end(s, st);
}

pgl_rc
pgl_chart_bars(pgl_svg *s, const pgl_chart *c, int n, const char *const *labels,
			   const double *values, const double *err, bool horizontal, pgl_status *st)
{
	double lo = 0, hi = 0;
	pgl_rc rc;

	if ((rc = check_bars(n, labels, values, err, &lo, &hi, st)) != PGL_OK)
		return rc;
	if (horizontal)
		return bars_horizontal(s, c, n, labels, values, err, lo, hi, st);
	return bars_vertical(s, c, n, labels, values, err, lo, hi, st);
}

/* ---------- heat maps ---------- */

/* white to the palette's blue, t in [0, 1] */
static void
shade(double t, char *buf, size_t size)
{
	int r = (int) lround(255 + (0 - 255) * t), g = (int) lround(255 + (114 - 255) * t),
		b = (int) lround(255 + (178 - 255) * t);

	snprintf(buf, size, "#%02X%02X%02X", r, g, b);
}

static void
cell(pgl_svg *s, double x, double y, double size, double v, double t, const char *row,
	 const char *col)
{
	char fill[16], num[64];

	shade(t, fill, sizeof(fill));
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(num, sizeof(num), "%.0f", v == 0 ? 0.0 : v);
	else
		format_value(v, num, sizeof(num));
	pgl_svg_raw(s, "<rect class=\"pgl-cell\"");
	pgl_attr(s, "x", x);
	pgl_attr(s, "y", y);
	pgl_attr(s, "width", size);
	pgl_attr(s, "height", size);
	pgl_svg_printf(s, " fill=\"%s\" stroke=\"#ffffff\"><title>", fill);
	pgl_svg_text(s, row, 0);
	pgl_svg_raw(s, " \xE2\x86\x92 "); /* U+2192 rightwards arrow */
	pgl_svg_text(s, col, 0);
	pgl_svg_printf(s, ": %s</title></rect>\n", num);
	if (size >= 22)
	{
		pgl_svg_raw(s, "<text class=\"pgl-cell-value\"");
		pgl_attr(s, "x", x + size / 2);
		pgl_attr(s, "y", y + size / 2 + 4);
		pgl_svg_printf(s, " text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
					   t > 0.55 ? "#ffffff" : "#222222", num);
	}
}

pgl_rc
pgl_chart_heatmap(pgl_svg *s, const pgl_chart *c, int k, const char *const *labels,
				  const double *cells, pgl_status *st)
{
	int		  chars = longest_label(k, labels), w, h;
	double	  lo = 0, hi = 0, size, bottom;
	pgl_frame f;
	pgl_rc	  rc;
	char	  desc[128];

	if (k < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "nothing to chart: the grid has no rows");
	if (k > PGL_CHART_MAX_CELLS)
		return pgl_fail(st, PGL_ERR_INVALID, "a heat map has at most %d rows, not %d",
						PGL_CHART_MAX_CELLS, k);
	for (int i = 0; i < k * k; i++)
	{
		if (!isfinite(cells[i]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"cell (%d, %d) of the heat map has a value that is not finite",
							i / k + 1, i % k + 1);
		lo = fmin(lo, cells[i]);
		hi = fmax(hi, cells[i]);
	}
	memset(&f, 0, sizeof(f));
	f.top = 40;
	f.left = pgl_text_width(chars) + 14 + (c->y_label ? 22 : 0);
	bottom = 28 + (c->x_label ? 24 : 0);
	{
		/* cells of 28 to 90 px unless a size is given */
		int need = (int) ceil(fmin(90.0, fmax(28.0, 360.0 / k)) * k);

		rc = pgl_chart_size(
			c, imin(PGL_CHART_MAX_SIZE, imax(320, (int) f.left + 20 + need)),
			imin(PGL_CHART_MAX_SIZE, imax(PGL_CHART_MIN_SIZE, (int) (f.top + bottom) + need)), &w,
			&h, st);
		if (rc != PGL_OK)
			return rc;
	}
	size = fmin((w - f.left - 20) / k, (h - f.top - bottom) / k);
	if (size < 2)
		return pgl_fail(st, PGL_ERR_INVALID, "chart size %d x %d is too small for %d x %d cells", w,
						h, k, k);
	f.W = w;
	f.H = h;
	f.pw = f.ph = size * k;
	if (w - f.left - 20 - f.pw > 0) /* a wide title: centre the grid under it */
		f.left += (w - f.left - 20 - f.pw) / 2;
	snprintf(desc, sizeof(desc), "A heat map of %d x %d cells.", k, k);
	pgl_chart_begin(s, c, w, h, desc, 0);
	for (int i = 0; i < k; i++)
	{
		category_label(s, "pgl-ytick", f.left - 8, f.top + (i + 0.5) * size + 4, "end", labels[i],
					   MAX_LABEL, NULL);
		category_label(s, "pgl-xtick", f.left + (i + 0.5) * size, f.top + f.ph + 18, "middle",
					   labels[i], (int) (size / 7), NULL);
	}
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
		{
			double v = cells[i * k + j];

			cell(s, f.left + j * size, f.top + i * size, size, v,
				 hi > lo ? (v - lo) / (hi - lo) : 0, labels[i], labels[j]);
		}
	/* the axis labels sit under and beside the grid, not the whole chart */
	f.H = (int) (f.top + f.ph + bottom);
	pgl_chart_axis_labels(s, c, &f);
	return pgl_chart_end(s, st);
}
