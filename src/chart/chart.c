/*-------------------------------------------------------------------------
 *
 * chart.c
 *	  The pieces every chart has (frame, title, axes, legend) and the x-y
 *	  chart; bars and heat maps are in chart_bars.c.
 *
 *-------------------------------------------------------------------------
 */
#include "chart_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const pgl_chart_palette[PGL_CHART_PALETTE_SIZE] = {
	"#0072B2", /* blue */
	"#D55E00", /* vermillion */
	"#009E73", /* bluish green */
	"#E69F00", /* orange */
	"#CC79A7", /* reddish purple */
	"#56B4E9", /* sky blue */
	"#000000", /* black */
	"#F0E442"  /* yellow (last: weak on white) */
};

void
pgl_chart_defaults(pgl_chart *c, const char *title)
{
	memset(c, 0, sizeof(*c));
	c->title = title;
	c->x_lo = c->x_hi = c->y_lo = c->y_hi = NAN;
}

const char *
pgl_chart_color(int i)
{
	if (i < 0)
		i = 0;
	return pgl_chart_palette[i % PGL_CHART_PALETTE_SIZE];
}

void
pgl_attr(pgl_svg *s, const char *name, double v)
{
	pgl_svg_printf(s, " %s=\"", name);
	pgl_svg_num(s, v);
	pgl_svg_raw(s, "\"");
}

pgl_rc
pgl_chart_size(const pgl_chart *c, int dflt_w, int dflt_h, int *w, int *h, pgl_status *st)
{
	/* by default wide enough for the title (16px bold: about 9 px a character) */
	int title_w = 9 * pgl_utf8_length(c->title ? c->title : "") + 40;

	if (title_w > 1000)
		title_w = 1000;
	*w = c->width ? c->width : (dflt_w > title_w ? dflt_w : title_w);
	*h = c->height ? c->height : dflt_h;
	if (*w < PGL_CHART_MIN_SIZE || *w > PGL_CHART_MAX_SIZE || *h < PGL_CHART_MIN_SIZE ||
		*h > PGL_CHART_MAX_SIZE)
		return pgl_fail(st, PGL_ERR_INVALID,
						"chart size %d x %d is out of range: width and height must be between %d "
						"and %d pixels",
						*w, *h, PGL_CHART_MIN_SIZE, PGL_CHART_MAX_SIZE);
	return PGL_OK;
}

void
pgl_chart_begin(pgl_svg *s, const pgl_chart *c, int w, int h, const char *generic_desc,
				int64_t skipped)
{
	pgl_svg_printf(s,
				   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
				   "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"pgl-title pgl-desc\" "
				   "font-family=\"sans-serif\" font-size=\"12\" fill=\"#222222\">\n",
				   w, h, w, h);
	pgl_svg_raw(s, "<title id=\"pgl-title\">");
	pgl_svg_text(s, c->title, 0);
	pgl_svg_raw(s, "</title>\n<desc id=\"pgl-desc\">");
	pgl_svg_text(s, c->desc ? c->desc : generic_desc, 0);
	if (skipped > 0)
		pgl_svg_printf(s, " %lld point%s with a missing or infinite value %s left out.",
					   (long long) skipped, skipped == 1 ? "" : "s", skipped == 1 ? "was" : "were");
	pgl_svg_raw(s, "</desc>\n");
	pgl_svg_printf(s, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
	pgl_svg_printf(s,
				   "<text class=\"pgl-title-text\" x=\"%d\" y=\"24\" text-anchor=\"middle\" "
				   "font-size=\"16\" font-weight=\"bold\">",
				   w / 2);
	pgl_svg_text(s, c->title, (w - 20) / 9);
	pgl_svg_raw(s, "</text>\n");
}

pgl_rc
pgl_chart_end(pgl_svg *s, pgl_status *st)
{
	pgl_svg_raw(s, "</svg>\n");
	if (s->oom)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory writing a chart (at most %zu bytes)",
						(size_t) PGL_SVG_MAX_BYTES);
	return PGL_OK;
}

/* estimated width in pixels of n characters of 12px sans-serif */
double
pgl_text_width(int n)
{
	return 7.0 * n;
}

int
pgl_max_label(const pgl_ticks *t)
{
	int best = 0;

	for (int i = 0; i < t->n; i++)
	{
		char buf[64];
		int	 n;

		pgl_tick_label(t, t->v[i], buf, sizeof(buf));
		n = (int) strlen(buf);
		if (n > best)
			best = n;
	}
	return best;
}

double
pgl_px(const pgl_frame *f, double x)
{
	double r = f->left + (x - f->xt.lo) / (f->xt.hi - f->xt.lo) * f->pw;

	return fmin(fmax(r, f->left), f->left + f->pw);
}

double
pgl_py(const pgl_frame *f, double y)
{
	double r = f->top + f->ph - (y - f->yt.lo) / (f->yt.hi - f->yt.lo) * f->ph;

	return fmin(fmax(r, f->top), f->top + f->ph);
}

static void
tick_x(pgl_svg *s, const pgl_frame *f, double v, const char *label)
{
	double x = pgl_px(f, v), y0 = f->top + f->ph;

	pgl_svg_raw(s, "<g class=\"pgl-xtick\"><line");
	pgl_attr(s, "x1", x);
	pgl_attr(s, "y1", f->top);
	pgl_attr(s, "x2", x);
	pgl_attr(s, "y2", y0);
	pgl_svg_raw(s, " stroke=\"#e6e6e6\"/><line");
	pgl_attr(s, "x1", x);
	pgl_attr(s, "y1", y0);
	pgl_attr(s, "x2", x);
	pgl_attr(s, "y2", y0 + 5);
	pgl_svg_raw(s, " stroke=\"#333333\"/><text");
	pgl_attr(s, "x", x);
	pgl_attr(s, "y", y0 + 18);
	pgl_svg_raw(s, " text-anchor=\"middle\">");
	pgl_svg_text(s, label, 0);
	pgl_svg_raw(s, "</text></g>\n");
}

static void
tick_y(pgl_svg *s, const pgl_frame *f, double v, const char *label)
{
	double y = pgl_py(f, v);

	pgl_svg_raw(s, "<g class=\"pgl-ytick\"><line");
	pgl_attr(s, "x1", f->left);
	pgl_attr(s, "y1", y);
	pgl_attr(s, "x2", f->left + f->pw);
	pgl_attr(s, "y2", y);
	pgl_svg_raw(s, " stroke=\"#e6e6e6\"/><line");
	pgl_attr(s, "x1", f->left - 5);
	pgl_attr(s, "y1", y);
	pgl_attr(s, "x2", f->left);
	pgl_attr(s, "y2", y);
	pgl_svg_raw(s, " stroke=\"#333333\"/><text");
	pgl_attr(s, "x", f->left - 8);
	pgl_attr(s, "y", y + 4);
	pgl_svg_raw(s, " text-anchor=\"end\">");
	pgl_svg_text(s, label, 0);
	pgl_svg_raw(s, "</text></g>\n");
}

void
pgl_chart_axis_labels(pgl_svg *s, const pgl_chart *c, const pgl_frame *f)
{
	pgl_svg_raw(s, "<path class=\"pgl-axis\" d=\"M");
	pgl_svg_num(s, f->left);
	pgl_svg_raw(s, " ");
	pgl_svg_num(s, f->top);
	pgl_svg_raw(s, " V");
	pgl_svg_num(s, f->top + f->ph);
	pgl_svg_raw(s, " H");
	pgl_svg_num(s, f->left + f->pw);
	pgl_svg_raw(s, "\" fill=\"none\" stroke=\"#333333\"/>\n");
	if (c->x_label && c->x_label[0])
	{
		pgl_svg_raw(s, "<text class=\"pgl-xlabel\"");
		pgl_attr(s, "x", f->left + f->pw / 2);
		pgl_attr(s, "y", f->H - 10);
		pgl_svg_raw(s, " text-anchor=\"middle\" font-size=\"13\">");
		pgl_svg_text(s, c->x_label, (int) (f->pw / 7.5));
		pgl_svg_raw(s, "</text>\n");
	}
	if (c->y_label && c->y_label[0])
	{
		pgl_svg_raw(s, "<text class=\"pgl-ylabel\" transform=\"rotate(-90)\"");
		pgl_attr(s, "x", -(f->top + f->ph / 2));
		pgl_attr(s, "y", 16);
		pgl_svg_raw(s, " text-anchor=\"middle\" font-size=\"13\">");
		pgl_svg_text(s, c->y_label, (int) (f->ph / 7.5));
		pgl_svg_raw(s, "</text>\n");
	}
}

void
pgl_chart_axes(pgl_svg *s, const pgl_chart *c, const pgl_frame *f, bool x_ticks, bool y_ticks)
{
	char buf[64];

	if (x_ticks)
		for (int i = 0; i < f->xt.n; i++)
		{
			pgl_tick_label(&f->xt, f->xt.v[i], buf, sizeof(buf));
			tick_x(s, f, f->xt.v[i], buf);
		}
	if (y_ticks)
		for (int i = 0; i < f->yt.n; i++)
		{
			pgl_tick_label(&f->yt, f->yt.v[i], buf, sizeof(buf));
			tick_y(s, f, f->yt.v[i], buf);
		}
	pgl_chart_axis_labels(s, c, f);
}

/* ---------- legend ---------- */

/* rows the legend of the named series takes in width w, laid out from x0 */
static int
legend_rows(int n_series, const pgl_series *series, double x0, double w, bool draw, pgl_svg *s,
			double y0)
{
	double x = x0;
	int	   rows = 0, named = 0;

	for (int i = 0; i < n_series; i++)
		named += series[i].name != NULL;
	if (named < 2)
		return 0;
	rows = 1;
	for (int i = 0; i < n_series; i++)
	{
		const pgl_series *se = &series[i];
		int				  len = se->name ? pgl_utf8_length(se->name) : 0;
		double			  item;

		if (se->name == NULL)
			continue;
		if (len > 40)
			len = 40;
		item = 24 + pgl_text_width(len) + 16;
		if (x > x0 && x + item > w)
		{
			x = x0;
			rows++;
		}
		if (draw)
		{
			double		y = y0 + (rows - 1) * 18;
			const char *col = pgl_chart_color(se->color);

			pgl_svg_raw(s, "<g class=\"pgl-legend-item\">");
			if (se->kind == PGL_SERIES_BAND)
				pgl_svg_printf(s,
							   "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" "
							   "fill=\"%s\" fill-opacity=\"0.25\"/>",
							   x, y - 9, col);
			else if (se->kind == PGL_SERIES_POINTS)
				pgl_svg_printf(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", x + 9,
							   y - 4, col);
			else
				pgl_svg_printf(
					s,
					"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
					"stroke-width=\"%s\"%s/>",
					x, y - 4, x + 18, y - 4, se->kind == PGL_SERIES_REFERENCE ? "#666666" : col,
					se->kind == PGL_SERIES_REFERENCE ? "1.5" : "2.5",
					se->kind == PGL_SERIES_REFERENCE ? " stroke-dasharray=\"4 3\"" : "");
			pgl_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\">", x + 24, y);
			pgl_svg_text(s, se->name, 40);
			pgl_svg_raw(s, "</text></g>\n");
		}
		x += item;
	}
	return rows;
}

/* ---------- x-y charts ---------- */

static bool
point_ok(const pgl_series *se, int64_t i)
{
	return isfinite(se->x[i]) && isfinite(se->y[i]) && (se->y2 == NULL || isfinite(se->y2[i]));
}

/* the data's ranges (finite values only) and how many points are left out */
static pgl_rc
xy_ranges(int n_series, const pgl_series *series, double r[4], int64_t *skipped, pgl_status *st)
{
	int64_t drawn = 0, total = 0;

	r[0] = r[2] = INFINITY;
	r[1] = r[3] = -INFINITY;
	*skipped = 0;
	for (int k = 0; k < n_series; k++)
	{
		const pgl_series *se = &series[k];

		if (se->n < 0 || (se->n > 0 && (se->x == NULL || se->y == NULL)) ||
			(se->kind == PGL_SERIES_BAND && se->n > 0 && se->y2 == NULL) ||
			se->kind < PGL_SERIES_LINE || se->kind > PGL_SERIES_REFERENCE)
			return pgl_fail(st, PGL_ERR_INVALID, "series %d of the chart is malformed", k + 1);
		total += se->n;
		for (int64_t i = 0; i < se->n; i++)
		{
			if (!point_ok(se, i))
			{
				(*skipped)++;
				continue;
			}
			drawn += se->kind != PGL_SERIES_REFERENCE;
			r[0] = fmin(r[0], se->x[i]);
			r[1] = fmax(r[1], se->x[i]);
			r[2] = fmin(r[2], se->y[i]);
			r[3] = fmax(r[3], se->y[i]);
			if (se->y2)
			{
				r[2] = fmin(r[2], se->y2[i]);
				r[3] = fmax(r[3], se->y2[i]);
			}
		}
	}
	if (total == 0)
		return pgl_fail(st, PGL_ERR_INVALID, "nothing to chart: the data has no points");
	if (drawn == 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"nothing to chart: every one of the %lld points has a missing or infinite "
						"value",
						(long long) total);
	return PGL_OK;
}

static void
draw_path(pgl_svg *s, const pgl_frame *f, const pgl_series *se)
{
	bool pen = false, started = false;
	bool ref = se->kind == PGL_SERIES_REFERENCE;

	pgl_svg_printf(s, "<path class=\"%s\" d=\"", ref ? "pgl-ref" : "pgl-line");
	for (int64_t i = 0; i < se->n; i++)
	{
		if (!point_ok(se, i))
		{
			pen = false;
			continue;
		}
		pgl_svg_raw(s, pen ? " L" : (started ? " M" : "M"));
		started = true;
		pgl_svg_num(s, pgl_px(f, se->x[i]));
		pgl_svg_raw(s, " ");
		pgl_svg_num(s, pgl_py(f, se->y[i]));
		pen = true;
	}
	if (ref)
		pgl_svg_raw(s, "\" fill=\"none\" stroke=\"#666666\" stroke-width=\"1.5\" "
					   "stroke-dasharray=\"4 3\"/>\n");
	else
		pgl_svg_printf(s,
					   "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
					   "stroke-linejoin=\"round\"/>\n",
					   pgl_chart_color(se->color));
}

static void
draw_band(pgl_svg *s, const pgl_frame *f, const pgl_series *se)
{
	bool first = true;

	pgl_svg_raw(s, "<path class=\"pgl-band\" d=\"");
	for (int64_t i = 0; i < se->n; i++)
		if (point_ok(se, i))
		{
			pgl_svg_raw(s, first ? "M" : " L");
			pgl_svg_num(s, pgl_px(f, se->x[i]));
			pgl_svg_raw(s, " ");
			pgl_svg_num(s, pgl_py(f, se->y2[i]));
			first = false;
		}
	for (int64_t i = se->n - 1; i >= 0; i--)
		if (point_ok(se, i))
		{
			pgl_svg_raw(s, " L");
			pgl_svg_num(s, pgl_px(f, se->x[i]));
			pgl_svg_raw(s, " ");
			pgl_svg_num(s, pgl_py(f, se->y[i]));
		}
	pgl_svg_printf(s, " Z\" fill=\"%s\" fill-opacity=\"0.25\" stroke=\"none\"/>\n",
				   pgl_chart_color(se->color));
}

static void
draw_points(pgl_svg *s, const pgl_frame *f, const pgl_series *se)
{
	const char *col = pgl_chart_color(se->color);

	pgl_svg_printf(s, "<g fill=\"%s\" fill-opacity=\"0.75\">\n", col);
	for (int64_t i = 0; i < se->n; i++)
		if (point_ok(se, i))
		{
			pgl_svg_raw(s, "<circle class=\"pgl-point\"");
			pgl_attr(s, "cx", pgl_px(f, se->x[i]));
			pgl_attr(s, "cy", pgl_py(f, se->y[i]));
			pgl_svg_raw(s, " r=\"3.5\"/>\n");
		}
	pgl_svg_raw(s, "</g>\n");
}

/* the frame of an x-y chart: ticks over the ranges, margins around them */
static pgl_rc
xy_frame(const pgl_chart *c, int w, int h, const double r[4], int legend, pgl_frame *f,
		 pgl_status *st)
{
	double xlo = isfinite(c->x_lo) ? c->x_lo : r[0], xhi = isfinite(c->x_hi) ? c->x_hi : r[1];
	double ylo = isfinite(c->y_lo) ? c->y_lo : r[2], yhi = isfinite(c->y_hi) ? c->y_hi : r[3];
	pgl_rc rc;

	memset(f, 0, sizeof(*f));
	f->W = w;
	f->H = h;
	rc = c->x_time ? pgl_ticks_time(xlo, xhi, w / 110, &f->xt, st)
				   : pgl_ticks_nice(xlo, xhi, w / 90, &f->xt, st);
	if (rc == PGL_OK)
		rc = pgl_ticks_nice(ylo, yhi, h / 60, &f->yt, st);
	if (rc != PGL_OK)
		return rc;
	f->top = 40 + legend * 18;
	f->left = pgl_text_width(pgl_max_label(&f->yt)) + 14 + (c->y_label ? 22 : 0);
	f->pw = w - f->left - 28;
	f->ph = h - f->top - (c->x_label ? 52 : 32);
	if (f->pw < 50 || f->ph < 50)
		return pgl_fail(st, PGL_ERR_INVALID, "chart size %d x %d leaves no room for the plot", w,
						h);
	return PGL_OK;
}

pgl_rc
pgl_chart_xy(pgl_svg *s, const pgl_chart *c, int n_series, const pgl_series *series, pgl_status *st)
{
	double	  r[4];
	int64_t	  skipped, points = 0;
	int		  w, h, legend;
	pgl_frame f;
	pgl_rc	  rc;
	char	  desc[160];

	if ((rc = pgl_chart_size(c, 640, 400, &w, &h, st)) != PGL_OK)
		return rc;
	if (n_series < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "nothing to chart: no series");
	if ((rc = xy_ranges(n_series, series, r, &skipped, st)) != PGL_OK)
		return rc;
	legend = legend_rows(n_series, series, 40, w - 20, false, NULL, 0);
	if ((rc = xy_frame(c, w, h, r, legend, &f, st)) != PGL_OK)
		return rc;
	for (int k = 0; k < n_series; k++)
		points += series[k].kind != PGL_SERIES_REFERENCE ? series[k].n : 0;
	snprintf(desc, sizeof(desc), "A chart of %d series, %lld points.", n_series,
			 (long long) points);
	pgl_chart_begin(s, c, w, h, desc, skipped);
	legend_rows(n_series, series, 40, w - 20, true, s, 46);
	pgl_chart_axes(s, c, &f, true, true);
	/* bands under lines under points */
	for (int k = 0; k < n_series; k++)
		if (series[k].kind == PGL_SERIES_BAND)
			draw_band(s, &f, &series[k]);
	for (int k = 0; k < n_series; k++)
		if (series[k].kind == PGL_SERIES_REFERENCE || series[k].kind == PGL_SERIES_LINE ||
			series[k].kind == PGL_SERIES_LINE_POINTS)
			draw_path(s, &f, &series[k]);
	for (int k = 0; k < n_series; k++)
		if (series[k].kind == PGL_SERIES_POINTS || series[k].kind == PGL_SERIES_LINE_POINTS)
			draw_points(s, &f, &series[k]);
	return pgl_chart_end(s, st);
}
