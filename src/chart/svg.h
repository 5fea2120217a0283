/*-------------------------------------------------------------------------
 *
 * svg.h
 *	  A growing text buffer for SVG, XML escaping, and axis ticks.
 *
 * Plain C11 like src/algo: memory through pgl_env, no postgres.h, no
 * global state.  Numbers go through snprintf, whose decimal point is '.'
 * under LC_NUMERIC "C" (PostgreSQL keeps a backend's LC_NUMERIC at "C").
 * The same input gives the same bytes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_SVG_H
#define PGL_SVG_H

#include "pgl_algo.h"

/* ---------- the buffer ---------- */

typedef struct pgl_svg
{
	const pgl_env *env;
	char		  *data; /* NUL-terminated; NULL before the first write */
	size_t		   len;
	size_t		   cap;
	bool		   oom; /* an allocation failed: the text is incomplete */
} pgl_svg;

/* largest SVG text a chart may grow to (bytes) */
#define PGL_SVG_MAX_BYTES ((size_t) 256 * 1024 * 1024)

extern void pgl_svg_init(pgl_svg *s, const pgl_env *env);
extern void pgl_svg_free(pgl_svg *s);
/* markup written as is: never user text */
extern void pgl_svg_raw(pgl_svg *s, const char *str);
extern void pgl_svg_printf(pgl_svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * User text, XML-escaped: & < > " ' become entities; control characters
 * (other than tab) and bytes of invalid UTF-8 become U+FFFD, so the result
 * is always well-formed XML.  At most max_chars code points are written
 * (0: no limit), an ellipsis marking a cut.
 */
extern void pgl_svg_text(pgl_svg *s, const char *str, int max_chars);
/* a coordinate or length: one decimal, "-0.0" written as "0" */
extern void pgl_svg_num(pgl_svg *s, double v);

/* code points of a UTF-8 string (an invalid byte counts as one) */
extern int pgl_utf8_length(const char *str);

/* ---------- ticks ---------- */

#define PGL_MAX_TICKS 32

/* units of a time axis (the unit of its step) */
typedef enum pgl_time_unit
{
	PGL_TIME_SECOND = 1,
	PGL_TIME_DAY,
	PGL_TIME_MONTH,
	PGL_TIME_YEAR
} pgl_time_unit;

typedef struct pgl_ticks
{
	int	   n;
	double v[PGL_MAX_TICKS];
	double lo, hi;	 /* the axis range, covering every tick */
	double step;	 /* numbers: the tick step; time: the step in unit */
	int	   decimals; /* numbers: digits after the point of the labels */
	int	   unit;	 /* 0: a number axis; else a pgl_time_unit */
} pgl_ticks;

/*
 * Ticks of a number axis over [lo, hi]: about target ticks at a step of
 * 1, 2 or 5 times a power of ten, the range widened to whole steps.  lo ==
 * hi widens around the value.  PGL_ERR_INVALID if lo or hi is not finite.
 */
extern pgl_rc pgl_ticks_nice(double lo, double hi, int target, pgl_ticks *t, pgl_status *st);

/*
 * Ticks of a time axis over [lo, hi] in seconds since 1970-01-01 00:00 UTC:
 * steps of seconds, minutes, hours, days, weeks, months or years, at round
 * calendar points.  The range stays [lo, hi].
 */
extern pgl_rc pgl_ticks_time(double lo, double hi, int target, pgl_ticks *t, pgl_status *st);

/* the label of tick value v: "2.5", "1e+06", "2026-03-01", "2026-03", "14:30" */
extern void pgl_tick_label(const pgl_ticks *t, double v, char *buf, size_t size);

/* days since 1970-01-01 of a proleptic Gregorian date (the inverse: prep.h) */
extern int64_t pgl_days_from_civil(int64_t y, int m, int d);

#endif /* PGL_SVG_H */
