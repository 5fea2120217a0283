/*-------------------------------------------------------------------------
 *
 * ticks.c
 *	  Axis ticks: 1-2-5 steps for numbers, calendar steps for time.
 *
 *-------------------------------------------------------------------------
 */
#include "svg.h"
#include "prep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400.0

/* 1, 2 or 5 times a power of ten, near raw (> 0) */
static double
nice_step(double raw)
{
	double mag = pow(10.0, floor(log10(raw)));
	double f = raw / mag;

	if (f < 1.5)
		return mag;
	if (f < 3.0)
		return 2 * mag;
	if (f < 7.0)
		return 5 * mag;
	return 10 * mag;
}

pgl_rc
pgl_ticks_nice(double lo, double hi, int target, pgl_ticks *t, pgl_status *st)
{
	double step;

	memset(t, 0, sizeof(*t));
	if (!isfinite(lo) || !isfinite(hi))
		return pgl_fail(st, PGL_ERR_INVALID, "axis range [%g, %g] is not finite", lo, hi);
	if (hi < lo)
	{
		double x = lo;

		lo = hi;
		hi = x;
	}
	if (hi == lo)
	{
		double d = lo != 0 ? fabs(lo) * 0.1 : 1.0;

		lo -= d;
		hi += d;
	}
	if (!isfinite(hi - lo) || fabs(lo) > 1e300 || fabs(hi) > 1e300)
		return pgl_fail(st, PGL_ERR_INVALID, "axis range [%g, %g] is too wide to draw", lo, hi);
	if (target < 2)
		target = 2;
	if (target > PGL_MAX_TICKS - 2)
		target = PGL_MAX_TICKS - 2;
	step = nice_step((hi - lo) / target);
	for (;;)
	{
		double a = floor(lo / step) * step, b = ceil(hi / step) * step;
		double n = floor((b - a) / step + 0.5) + 1;

		if (n <= PGL_MAX_TICKS)
		{
			t->lo = a;
			t->hi = b;
			t->n = (int) n;
			break;
		}
		step = nice_step(step * 2.5);
	}
	t->step = step;
	for (int i = 0; i < t->n; i++)
	{
		/* multiples of step, so 0.1 * 3 is written as 0.3 */
		double v = (floor(t->lo / step + 0.5) + i) * step;

		t->v[i] = fabs(v) < step * 1e-9 ? 0.0 : v;
	}
	t->decimals = (int) fmax(0.0, -floor(log10(step) + 1e-9));
	if (t->decimals > 12)
		t->decimals = 12;
	return PGL_OK;
}

/* ---------- calendar ---------- */

/* H. Hinnant's days_from_civil (public domain); its inverse is in src/algo/prep.c */
int64_t
pgl_days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

/* seconds-based steps (up to two weeks) */
static const double time_steps[] = {1,	   2,	  5,	 10,  15,	   30,		60,
									120,   300,	  600,	 900, 1800,	   3600,	7200,
									10800, 21600, 43200, DAY, 2 * DAY, 7 * DAY, 14 * DAY};
static const int	month_steps[] = {1, 2, 3, 6};

/* ticks every step months from the first month start >= lo */
static void
month_ticks(double lo, double hi, int step, pgl_ticks *t)
{
	int64_t y;
	int		m, d;
	int64_t mi;

	pgl_civil_from_days((int64_t) floor(lo / DAY), &y, &m, &d);
	mi = y * 12 + (m - 1);
	for (; t->n < PGL_MAX_TICKS; mi++)
	{
		int64_t yy = (mi >= 0 ? mi : mi - 11) / 12;
		int		mm = (int) (mi - yy * 12) + 1;
		double	v = pgl_days_from_civil(yy, mm, 1) * DAY;

		if (v > hi)
			break;
		if (v >= lo && ((mi % step) + step) % step == 0)
			t->v[t->n++] = v;
	}
}

pgl_rc
pgl_ticks_time(double lo, double hi, int target, pgl_ticks *t, pgl_status *st)
{
	double range;

	memset(t, 0, sizeof(*t));
	if (!isfinite(lo) || !isfinite(hi))
		return pgl_fail(st, PGL_ERR_INVALID, "time axis range is not finite");
	if (fabs(lo) > 1e13 || fabs(hi) > 1e13)
		return pgl_fail(st, PGL_ERR_INVALID,
						"time axis range [%g, %g] is beyond the years a chart can label", lo, hi);
	if (hi < lo)
	{
		double x = lo;

		lo = hi;
		hi = x;
	}
	if (hi == lo)
	{
		lo -= DAY / 2;
		hi += DAY / 2;
	}
	if (target < 2)
		target = 2;
	if (target > PGL_MAX_TICKS - 2)
		target = PGL_MAX_TICKS - 2;
	t->lo = lo;
	t->hi = hi;
	range = hi - lo;
	for (size_t i = 0; i < sizeof(time_steps) / sizeof(time_steps[0]); i++)
	{
		double step = time_steps[i];
		/* weeks start on Mondays: 1970-01-05 */
		double origin = step == 7 * DAY || step == 14 * DAY ? 4 * DAY : 0;

		if (range / step > target)
			continue;
		t->unit = step < DAY ? PGL_TIME_SECOND : PGL_TIME_DAY;
		t->step = step;
		for (double v = ceil((lo - origin) / step) * step + origin; v <= hi && t->n < PGL_MAX_TICKS;
			 v += step)
			t->v[t->n++] = v;
		return PGL_OK;
	}
	for (size_t i = 0; i < sizeof(month_steps) / sizeof(month_steps[0]); i++)
	{
		if (range / (30.44 * DAY * month_steps[i]) > target)
			continue;
		t->unit = PGL_TIME_MONTH;
		t->step = month_steps[i];
		month_ticks(lo, hi, month_steps[i], t);
		return PGL_OK;
	}
	{
		int64_t y0, y1;
		int		m, d;
		double	ystep;

		pgl_civil_from_days((int64_t) floor(lo / DAY), &y0, &m, &d);
		pgl_civil_from_days((int64_t) floor(hi / DAY), &y1, &m, &d);
		ystep = fmax(1.0, nice_step(fmax(1.0, (double) (y1 - y0)) / target));
		t->unit = PGL_TIME_YEAR;
		t->step = ystep;
		for (int64_t y = (int64_t) (ceil(y0 / ystep) * ystep); y <= y1 && t->n < PGL_MAX_TICKS;
			 y += (int64_t) ystep)
		{
			double v = pgl_days_from_civil(y, 1, 1) * DAY;

			if (v >= lo && v <= hi)
				t->v[t->n++] = v;
		}
	}
	return PGL_OK;
}

void
pgl_tick_label(const pgl_ticks *t, double v, char *buf, size_t size)
{
	if (t->unit == 0)
	{
		double a = fabs(v);

		if (a >= 1e6 || (a > 0 && a < 1e-4))
			snprintf(buf, size, "%g", v);
		else
			snprintf(buf, size, "%.*f", t->decimals, v);
		if (strcmp(buf, "-0") == 0 || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
			memmove(buf, buf + 1, strlen(buf)); /* "-0.00" -> "0.00" */
		return;
	}
	{
		double	days = floor(v / DAY);
		double	sec = v - days * DAY;
		int64_t y;
		int		m, d;
		int		hh = (int) (sec / 3600), mm = (int) fmod(sec / 60, 60), ss = (int) fmod(sec, 60);

		pgl_civil_from_days((int64_t) days, &y, &m, &d);
		switch (t->unit)
		{
			case PGL_TIME_SECOND:
				if (t->hi - t->lo > DAY)
					snprintf(buf, size, "%02d-%02d %02d:%02d", m, d, hh, mm);
				else if (t->step < 60)
					snprintf(buf, size, "%02d:%02d:%02d", hh, mm, ss);
				else
					snprintf(buf, size, "%02d:%02d", hh, mm);
				break;
			case PGL_TIME_DAY:
				snprintf(buf, size, "%04lld-%02d-%02d", (long long) y, m, d);
				break;
			case PGL_TIME_MONTH:
				snprintf(buf, size, "%04lld-%02d", (long long) y, m);
				break;
			default:
				snprintf(buf, size, "%lld", (long long) y);
		}
	}
}
