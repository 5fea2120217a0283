/*-------------------------------------------------------------------------
 *
 * chart_internal.h
 *	  The frame and drawing helpers shared by chart.c and chart_bars.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CHART_INTERNAL_H
#define PGL_CHART_INTERNAL_H

#include "chart.h"

/* the plot area inside a w x h chart, and the ticks of its axes */
typedef struct pgl_frame
{
	int		  W, H;
	double	  left, top, pw, ph;
	pgl_ticks xt, yt;
} pgl_frame;

extern const char *pgl_chart_color(int i);
/* writes ' name="v"' */
extern void	  pgl_attr(pgl_svg *s, const char *name, double v);
extern pgl_rc pgl_chart_size(const pgl_chart *c, int dflt_w, int dflt_h, int *w, int *h,
							 pgl_status *st);
/* <svg>, <title>, <desc> (c->desc or generic_desc, and the skipped count), background, title */
extern void pgl_chart_begin(pgl_svg *s, const pgl_chart *c, int w, int h, const char *generic_desc,
							int64_t skipped);
extern pgl_rc pgl_chart_end(pgl_svg *s, pgl_status *st);
extern double pgl_text_width(int n);
extern int	  pgl_max_label(const pgl_ticks *t);
/* data to pixels, clamped to the plot area */
extern double pgl_px(const pgl_frame *f, double x);
extern double pgl_py(const pgl_frame *f, double y);
/* grid, ticks and tick labels of the axes asked for, the axis lines, the axis labels */
extern void pgl_chart_axes(pgl_svg *s, const pgl_chart *c, const pgl_frame *f, bool x_ticks,
						   bool y_ticks);
extern void pgl_chart_axis_labels(pgl_svg *s, const pgl_chart *c, const pgl_frame *f);

#endif /* PGL_CHART_INTERNAL_H */
