/*-------------------------------------------------------------------------
 *
 * test_chart.c
 *	  Unit tests of src/chart: ticks, XML escaping, the charts' elements,
 *	  non-finite and empty data, stable output, ROC and PR curves.
 *
 * The curves' expected values were computed with scikit-learn 1.2.1
 * (/usr/bin/python3 on Debian 12): roc_curve(y, s, drop_intermediate=False),
 * roc_auc_score, precision_recall_curve (read backwards) and
 * average_precision_score on the arrays below.
 *
 *-------------------------------------------------------------------------
 */
#include "chart.h"
#include "curves.h"
#include "prep.h"
#include "unit.h"

#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

/* occurrences of needle in hay */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_ticks(void)
{
	pgl_ticks  t;
	pgl_status st;
	char	   buf[64];

	OK(pgl_ticks_nice(0, 1, 5, &t, &st) == PGL_OK && t.n == 6 && t.step == 0.2 && t.lo == 0 &&
		   t.hi == 1,
	   "ticks of [0, 1]: 0, 0.2, ..., 1 (n %d, step %g)", t.n, t.step);
	pgl_tick_label(&t, t.v[3], buf, sizeof(buf));
	OK(strcmp(buf, "0.6") == 0, "the fourth tick of [0, 1] is written 0.6 (%s)", buf);
	OK(pgl_ticks_nice(0.3, 97.2, 5, &t, &st) == PGL_OK && t.step == 20 && t.lo == 0 &&
		   t.hi == 100 && t.n == 6,
	   "ticks of [0.3, 97.2] widen to [0, 100] by 20 (step %g, [%g, %g])", t.step, t.lo, t.hi);
	pgl_tick_label(&t, t.v[2], buf, sizeof(buf));
	OK(strcmp(buf, "40") == 0, "integer steps have no decimals (%s)", buf);
	OK(pgl_ticks_nice(-0.7, 0.25, 5, &t, &st) == PGL_OK && t.step == 0.2 && t.lo < -0.7 + 1e-12,
	   "a range across zero: step %g from %g", t.step, t.lo);
	{
		bool zero = false;

		for (int i = 0; i < t.n; i++)
		{
			pgl_tick_label(&t, t.v[i], buf, sizeof(buf));
			zero |= strcmp(buf, "0.0") == 0;
			OK(strcmp(buf, "-0.0") != 0, "no negative zero among the labels (%s)", buf);
		}
		OK(zero, "the ticks across zero include 0.0");
	}
	OK(pgl_ticks_nice(5, 5, 5, &t, &st) == PGL_OK && t.lo < 5 && t.hi > 5 && t.n >= 2,
	   "a single value widens around it ([%g, %g])", t.lo, t.hi);
	OK(pgl_ticks_nice(0, 3e7, 5, &t, &st) == PGL_OK && t.step == 5e6, "large steps (%g)", t.step);
	pgl_tick_label(&t, t.v[1], buf, sizeof(buf));
	OK(strcmp(buf, "5e+06") == 0, "large ticks in exponent form (%s)", buf);
	OK(pgl_ticks_nice(0, 1, 1000, &t, &st) == PGL_OK && t.n <= PGL_MAX_TICKS,
	   "many ticks asked for: at most %d (%d)", PGL_MAX_TICKS, t.n);
	OK(pgl_ticks_nice(NAN, 1, 5, &t, &st) == PGL_ERR_INVALID && strstr(st.msg, "not finite"),
	   "a NaN range is refused: %s", st.msg);
	OK(pgl_ticks_nice(0, INFINITY, 5, &t, &st) == PGL_ERR_INVALID, "an infinite range is refused");
	OK(pgl_ticks_nice(-1e308, 1e308, 5, &t, &st) == PGL_ERR_INVALID,
	   "a range wider than a double is refused: %s", st.msg);
}

static void
test_time_ticks(void)
{
	pgl_ticks  t;
	pgl_status st;
	char	   buf[64];
	double	   jan1 = pgl_days_from_civil(2026, 1, 1) * 86400.0;
	int64_t	   y;
	int		   m, d;

	OK(pgl_days_from_civil(1970, 1, 1) == 0 && pgl_days_from_civil(2000, 3, 1) == 11017,
	   "days_from_civil: 1970-01-01 is 0, 2000-03-01 is 11017");
	pgl_civil_from_days(-1, &y, &m, &d);
	OK(y == 1969 && m == 12 && d == 31, "civil_from_days(-1) is 1969-12-31");
	pgl_civil_from_days(pgl_days_from_civil(2024, 2, 29), &y, &m, &d);
	OK(y == 2024 && m == 2 && d == 29, "a leap day round-trips");

	/* three months of days: month ticks */
	OK(pgl_ticks_time(jan1, jan1 + 89 * 86400.0, 6, &t, &st) == PGL_OK &&
		   t.unit == PGL_TIME_MONTH && t.n == 3,
	   "a quarter of daily data: ticks on month starts (unit %d, n %d)", t.unit, t.n);
	pgl_tick_label(&t, t.v[1], buf, sizeof(buf));
	OK(strcmp(buf, "2026-02") == 0, "month ticks are labelled 2026-02 (%s)", buf);
	/* four weeks: week ticks on Mondays, dated */
	OK(pgl_ticks_time(jan1, jan1 + 28 * 86400.0, 6, &t, &st) == PGL_OK && t.unit == PGL_TIME_DAY,
	   "four weeks: day-based ticks");
	pgl_tick_label(&t, t.v[0], buf, sizeof(buf));
	OK(strcmp(buf, "2026-01-05") == 0, "weekly ticks start on Monday 2026-01-05 (%s)", buf);
	/* one day: hour ticks */
	OK(pgl_ticks_time(jan1, jan1 + 86400.0, 6, &t, &st) == PGL_OK && t.unit == PGL_TIME_SECOND &&
		   t.step == 21600,
	   "one day: every 6 hours (step %g)", t.step);
	pgl_tick_label(&t, t.v[1], buf, sizeof(buf));
	OK(strcmp(buf, "06:00") == 0, "hour ticks are labelled 06:00 (%s)", buf);
	/* twenty years: year ticks */
	OK(pgl_ticks_time(jan1, jan1 + 20 * 365.25 * 86400.0, 6, &t, &st) == PGL_OK &&
		   t.unit == PGL_TIME_YEAR && t.step == 5,
	   "twenty years: every 5 years (step %g)", t.step);
	pgl_tick_label(&t, t.v[0], buf, sizeof(buf));
	OK(strcmp(buf, "2030") == 0, "year ticks are labelled 2030 (%s)", buf);
	OK(pgl_ticks_time(1e14, 2e14, 6, &t, &st) == PGL_ERR_INVALID,
	   "times beyond labelled years are refused: %s", st.msg);
}

static void
test_escaping(void)
{
	pgl_svg s;

	pgl_svg_init(&s, env);
	pgl_svg_text(&s, "<a href=\"x\">&'</a>", 0);
	OK(strcmp(s.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;") == 0,
	   "markup characters become entities: %s", s.data);
	pgl_svg_free(&s);

	pgl_svg_init(&s, env);
	pgl_svg_text(&s,
				 "a\x01"
				 "b\xff"
				 "c\tcaf\xc3\xa9",
				 0);
	OK(strcmp(s.data, "a\xEF\xBF\xBD"
					  "b\xEF\xBF\xBD"
					  "c\tcaf\xc3\xa9") == 0,
	   "control characters and invalid UTF-8 become U+FFFD, valid UTF-8 stays");
	pgl_svg_free(&s);

	pgl_svg_init(&s, env);
	pgl_svg_text(&s, "\xc3\xa9t\xc3\xa9 long", 4);
	OK(strcmp(s.data, "\xc3\xa9t\xc3\xa9\xE2\x80\xA6") == 0,
	   "a cut at 4 code points keeps 3 and an ellipsis: %s", s.data);
	pgl_svg_free(&s);

	pgl_svg_init(&s, env);
	pgl_svg_text(&s, "abcd", 4);
	OK(strcmp(s.data, "abcd") == 0, "a text of exactly the limit is not cut");
	pgl_svg_num(&s, -0.01);
	pgl_svg_num(&s, NAN);
	OK(strcmp(s.data, "abcd00") == 0, "-0.01 is written 0, NaN never reaches the markup (%s)",
	   s.data);
	pgl_svg_free(&s);
	OK(pgl_utf8_length("caf\xc3\xa9") == 4, "UTF-8 length counts code points");
}

/* common checks of a finished chart */
static void
well_formed(const char *svg, const char *what)
{
	OK(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0 &&
		   strcmp(svg + strlen(svg) - 7, "</svg>\n") == 0,
	   "%s: one <svg> element", what);
	OK(count(svg, "<text") == count(svg, "</text>") && count(svg, "<g") == count(svg, "</g>"),
	   "%s: text and group elements are closed", what);
	OK(count(svg, "<title id=\"pgl-title\">") == 1 && count(svg, "<desc id=\"pgl-desc\">") == 1,
	   "%s: a <title> and a <desc> for screen readers", what);
	OK(!strstr(svg, "<script") && !strstr(svg, "href") && !strstr(svg, "url(") &&
		   !strstr(svg, "\"nan") && !strstr(svg, "\"-nan") && !strstr(svg, "\"inf") &&
		   !strstr(svg, "\"-inf"),
	   "%s: no script, no reference, no nan or inf", what);
	OK(strstr(svg, "font-family=\"sans-serif\" font-size=\"12\""), "%s: 12px sans-serif", what);
}

static void
test_xy(void)
{
	double	   x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {1, 3, NAN, 2, 5, 4};
	double	   lo[6] = {0, 2, 1, 1, 4, 3}, hi[6] = {2, 4, 3, 3, 6, 5};
	pgl_series se[3] = {{PGL_SERIES_BAND, "interval <95%>", 6, x, lo, hi, 0},
						{PGL_SERIES_LINE_POINTS, "A & B", 6, x, y, NULL, 1},
						{PGL_SERIES_REFERENCE, NULL, 2, x, x, NULL, 0}};
	pgl_chart  c;
	pgl_svg	   s, s2;
	pgl_status st;

	pgl_chart_defaults(&c, "Sales <by day>");
	c.x_label = "day";
	c.y_label = "sales";
	pgl_svg_init(&s, env);
	OK(pgl_chart_xy(&s, &c, 3, se, &st) == PGL_OK,
	   "an x-y chart with a band, a line and a diagonal");
	well_formed(s.data, "x-y");
	OK(count(s.data, "class=\"pgl-point\"") == 5, "5 points drawn, the NaN one left out (%d)",
	   count(s.data, "class=\"pgl-point\""));
	OK(strstr(s.data, "1 point with a missing or infinite value was left out"),
	   "the <desc> says one point was left out");
	OK(count(s.data, "class=\"pgl-line\"") == 1 && count(s.data, "class=\"pgl-band\"") == 1 &&
		   count(s.data, "class=\"pgl-ref\"") == 1,
	   "one line, one band, one reference line");
	OK(count(strstr(s.data, "class=\"pgl-line\""), " M") == 1, "the line breaks at the NaN");
	OK(count(s.data, "class=\"pgl-legend-item\"") == 2, "a legend of the two named series");
	OK(strstr(s.data, "Sales &lt;by day&gt;") && strstr(s.data, "A &amp; B") &&
		   strstr(s.data, "interval &lt;95%&gt;"),
	   "title and series names are escaped");
	OK(count(s.data, "class=\"pgl-xtick\"") >= 3 && count(s.data, "class=\"pgl-ytick\"") >= 3,
	   "ticks on both axes (%d, %d)", count(s.data, "class=\"pgl-xtick\""),
	   count(s.data, "class=\"pgl-ytick\""));
	OK(strstr(s.data, "class=\"pgl-xlabel\"") && strstr(s.data, "class=\"pgl-ylabel\""),
	   "axis labels");
	pgl_svg_init(&s2, env);
	pgl_chart_xy(&s2, &c, 3, se, &st);
	OK(s.len == s2.len && memcmp(s.data, s2.data, s.len) == 0,
	   "the same input gives the same bytes");
	pgl_svg_free(&s2);
	pgl_svg_free(&s);

	/* a time axis */
	{
		double	   t[3] = {1767225600, 1767225600 + 40 * 86400.0, 1767225600 + 80 * 86400.0};
		double	   v[3] = {1, 2, 3};
		pgl_series ts = {PGL_SERIES_LINE, NULL, 3, t, v, NULL, 0};

		c.x_time = true;
		pgl_svg_init(&s, env);
		OK(pgl_chart_xy(&s, &c, 1, &ts, &st) == PGL_OK && strstr(s.data, ">2026-02<"),
		   "a time axis has dated ticks");
		pgl_svg_free(&s);
		c.x_time = false;
	}
}

static void
test_xy_refused(void)
{
	double	   nan2[2] = {NAN, INFINITY}, x[2] = {0, 1};
	pgl_series empty = {PGL_SERIES_POINTS, NULL, 0, NULL, NULL, NULL, 0};
	pgl_series bad = {PGL_SERIES_POINTS, NULL, 2, x, nan2, NULL, 0};
	pgl_chart  c;
	pgl_svg	   s;
	pgl_status st;

	pgl_chart_defaults(&c, "t");
	pgl_svg_init(&s, env);
	OK(pgl_chart_xy(&s, &c, 1, &empty, &st) == PGL_ERR_INVALID && strstr(st.msg, "no points"),
	   "empty data is refused: %s", st.msg);
	OK(pgl_chart_xy(&s, &c, 1, &bad, &st) == PGL_ERR_INVALID && strstr(st.msg, "infinite"),
	   "data with nothing finite is refused: %s", st.msg);
	OK(pgl_chart_xy(&s, &c, 0, NULL, &st) == PGL_ERR_INVALID, "no series is refused");
	c.width = 100;
	OK(pgl_chart_xy(&s, &c, 1, &bad, &st) == PGL_ERR_INVALID && strstr(st.msg, "between 200"),
	   "a chart 100 px wide is refused: %s", st.msg);
	OK(s.len == 0, "nothing was written for a refused chart");
	pgl_svg_free(&s);
}

static void
test_bars(void)
{
	const char *labels[4] = {"age", "income <k$>", "a very long feature name that will be cut",
							 "z"};
	double		v[4] = {0.3, 0.12, -0.05, 0}, e[4] = {0.02, NAN, 0.01, 0};
	pgl_chart	c;
	pgl_svg		s;
	pgl_status	st;

	pgl_chart_defaults(&c, "Importance");
	c.x_label = "drop in accuracy";
	pgl_svg_init(&s, env);
	OK(pgl_chart_bars(&s, &c, 4, labels, v, e, true, &st) == PGL_OK, "horizontal bars");
	well_formed(s.data, "horizontal bars");
	OK(count(s.data, "class=\"pgl-bar\"") == 4 && count(s.data, "class=\"pgl-ytick\"") == 4,
	   "4 bars, 4 category labels");
	OK(count(s.data, "class=\"pgl-err\"") == 2, "whiskers where the error is finite and non-zero");
	OK(strstr(s.data, "income &lt;k$&gt;") && strstr(s.data, "\xE2\x80\xA6"),
	   "labels escaped, a long one cut with an ellipsis");
	OK(strstr(s.data,
			  "<title>a very long feature name that will be cut: -0.05 \xC2\xB1 0.01</title>"),
	   "the full label and value in the bar's <title>");
	OK(count(s.data, "class=\"pgl-xtick\"") >= 3, "value ticks");
	pgl_svg_free(&s);

	pgl_svg_init(&s, env);
	OK(pgl_chart_bars(&s, &c, 4, labels, v, NULL, false, &st) == PGL_OK, "vertical bars");
	well_formed(s.data, "vertical bars");
	OK(count(s.data, "class=\"pgl-bar\"") == 4 && count(s.data, "class=\"pgl-xtick\"") == 4,
	   "4 bars, 4 category labels along the bottom");
	v[1] = INFINITY;
	OK(pgl_chart_bars(&s, &c, 4, labels, v, NULL, false, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "bar 2 (\"income <k$>\")"),
	   "an infinite bar is refused: %s", st.msg);
	OK(pgl_chart_bars(&s, &c, 0, labels, v, NULL, true, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "no bars"),
	   "no bars is refused: %s", st.msg);
	pgl_svg_free(&s);
}

static void
test_heatmap(void)
{
	const char *labels[3] = {"cat", "dog", "<bird>"};
	double		m[9] = {50, 2, 1, 3, 40, 0, 0, 5, 30};
	pgl_chart	c;
	pgl_svg		s;
	pgl_status	st;

	pgl_chart_defaults(&c, "Confusion");
	c.x_label = "predicted";
	c.y_label = "actual";
	pgl_svg_init(&s, env);
	OK(pgl_chart_heatmap(&s, &c, 3, labels, m, &st) == PGL_OK, "a 3 x 3 heat map");
	well_formed(s.data, "heat map");
	OK(count(s.data, "class=\"pgl-cell\"") == 9 && count(s.data, "class=\"pgl-cell-value\"") == 9,
	   "9 cells, each numbered");
	OK(strstr(s.data, ">50</text>") && strstr(s.data, "&lt;bird&gt; \xE2\x86\x92 dog: 5</title>"),
	   "counts written as integers, cell titles name actual and predicted");
	OK(strstr(s.data, "fill=\"#0072B2\"") && strstr(s.data, "fill=\"#FFFFFF\""),
	   "the largest cell is the palette's blue, zero is white");
	m[4] = NAN;
	OK(pgl_chart_heatmap(&s, &c, 3, labels, m, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "cell (2, 2)"),
	   "a NaN cell is refused: %s", st.msg);
	OK(pgl_chart_heatmap(&s, &c, 0, labels, m, &st) == PGL_ERR_INVALID, "an empty grid is refused");
	pgl_svg_free(&s);
}

static void
test_curves(void)
{
	int32_t	   y[10] = {0, 0, 1, 1, 0, 1, 1, 0, 1, 0};
	double	   sc[10] = {0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.65, 0.2, 0.4, 0.05};
	double	   fpr[9] = {0, 0, 0, 0, 0.4, 0.4, 0.6, 0.8, 1};
	double	   tpr[9] = {0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1};
	double	   prec[9] = {1, 1, 1, 1, 2.0 / 3, 5.0 / 7, 0.625, 5.0 / 9, 0.5};
	pgl_curve  c;
	pgl_status st;
	bool	   same = true;

	OK(pgl_roc_curve(env, 10, y, sc, 1000, &c, &st) == PGL_OK && c.m == 9, "ROC: 9 points (%lld)",
	   (long long) c.m);
	for (int i = 0; i < 9 && c.m == 9; i++)
		same &= fabs(c.x[i] - fpr[i]) < 1e-12 && fabs(c.y[i] - tpr[i]) < 1e-12;
	OK(same, "ROC points as scikit-learn's roc_curve");
	NEAR(c.area, 0.88, 1e-12, "ROC AUC as roc_auc_score (%g)", c.area);
	pgl_curve_free(env, &c);

	same = true;
	OK(pgl_pr_curve(env, 10, y, sc, 1000, &c, &st) == PGL_OK && c.m == 9, "PR: 9 points");
	for (int i = 0; i < 9 && c.m == 9; i++)
		same &= fabs(c.x[i] - tpr[i]) < 1e-12 && fabs(c.y[i] - prec[i]) < 1e-12;
	OK(same, "PR points as scikit-learn's precision_recall_curve");
	NEAR(c.area, 0.8761904761904762, 1e-12, "average precision as scikit-learn (%g)", c.area);
	pgl_curve_free(env, &c);

	OK(pgl_roc_curve(env, 10, y, sc, 3, &c, &st) == PGL_OK && c.m <= 5 && c.x[c.m - 1] == 1 &&
		   c.y[c.m - 1] == 1,
	   "thinned to a few points, the last kept (%lld)", (long long) c.m);
	pgl_curve_free(env, &c);

	sc[3] = NAN;
	OK(pgl_roc_curve(env, 10, y, sc, 100, &c, &st) == PGL_ERR_INVALID && strstr(st.msg, "row 4"),
	   "a NaN score is refused: %s", st.msg);
	sc[3] = 0.8;
	for (int i = 0; i < 10; i++)
		y[i] = 1;
	OK(pgl_pr_curve(env, 10, y, sc, 100, &c, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "both classes"),
	   "one class only is refused: %s", st.msg);
	OK(pgl_roc_curve(env, 0, y, sc, 100, &c, &st) == PGL_ERR_INVALID, "no rows is refused");
}

/* an env whose allocations fail after a budget */
static void *
budget_alloc(void *arg, size_t size)
{
	int *left = arg;

	if (*left <= 0)
		return NULL;
	(*left)--;
	return malloc(size);
}

static void
budget_free(void *arg __attribute__((unused)), void *ptr)
{
	free(ptr);
}

static void
test_out_of_memory(void)
{
	int		   left = 1;
	pgl_env	   e = {.arg = &left, .alloc = budget_alloc, .free = budget_free};
	double	   x[2000], y[2000];
	pgl_series se = {PGL_SERIES_POINTS, NULL, 2000, x, y, NULL, 0};
	pgl_chart  c;
	pgl_svg	   s;
	pgl_status st;

	for (int i = 0; i < 2000; i++)
		x[i] = i, y[i] = i % 7;
	pgl_chart_defaults(&c, "t");
	pgl_svg_init(&s, &e);
	OK(pgl_chart_xy(&s, &c, 1, &se, &st) == PGL_ERR_NOMEM && strstr(st.msg, "out of memory"),
	   "a buffer that cannot grow is an error: %s", st.msg);
	pgl_svg_free(&s);
}

int
main(void)
{
	test_ticks();
	test_time_ticks();
	test_escaping();
	test_xy();
	test_xy_refused();
	test_bars();
	test_heatmap();
	test_curves();
	test_out_of_memory();
	return unit_done();
}
