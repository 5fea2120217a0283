/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Five-field cron expressions (minute hour day-of-month month
 *	  day-of-week) for ai_schedule: parsing, the next matching minute in a
 *	  time zone, and the SQL function ai_cron_next.
 *
 *-------------------------------------------------------------------------
 */
#include "jobs_internal.h"

#include "utils/builtins.h"
#include "utils/datetime.h"

PG_FUNCTION_INFO_V1(ai_cron_next);

static bool
cron_field(const char *f, bool *set, int lo, int hi, bool *star)
{
	char *copy = pstrdup(f), *save = NULL, *part;

	*star = strcmp(f, "*") == 0;
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save))
	{
		int	  a, b, step = 1;
		char *slash = strchr(part, '/'), *end;

		if (slash)
		{
			*slash = '\0';
			step = (int) strtol(slash + 1, &end, 10);
			if (*end || step < 1 || slash[1] == '\0')
				return false;
		}
		if (strcmp(part, "*") == 0)
			a = lo, b = hi;
		else
		{
			char *dash = strchr(part, '-');

			if (dash)
				*dash = '\0';
			a = (int) strtol(part, &end, 10);
			if (*end || part[0] == '\0')
				return false;
			b = a;
			if (dash)
			{
				b = (int) strtol(dash + 1, &end, 10);
				if (*end || dash[1] == '\0')
					return false;
			}
			else if (slash)
				b = hi;
		}
		if (a < lo || b > hi || a > b)
			return false;
		for (int v = a; v <= b; v += step)
			set[v] = true;
	}
	return true;
}

bool
pgl_cron_parse(const char *expr, Cron *c)
{
	char *copy = pstrdup(expr), *save = NULL, *f[6];
	int	  n = 0;
	bool  star;

	memset(c, 0, sizeof(*c));
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
	{
		if (n == 5)
			return false;
		f[n++] = t;
	}
	if (n != 5)
		return false;
	if (!cron_field(f[0], c->minute, 0, 59, &star) || !cron_field(f[1], c->hour, 0, 23, &star) ||
		!cron_field(f[2], c->dom, 1, 31, &c->dom_star) ||
		!cron_field(f[3], c->month, 1, 12, &star) || !cron_field(f[4], c->dow, 0, 7, &c->dow_star))
		return false;
	if (c->dow[7])
		c->dow[0] = true;
	return true;
}

bool
pgl_cron_looks_like(const char *expr)
{
	for (const char *p = expr; *p; p++)
		if (!strchr("0123456789*,-/ \t", *p))
			return false;
	return strchr(expr, ' ') != NULL || strchr(expr, '*') != NULL;
}

TimestampTz
pgl_cron_next(const Cron *c, TimestampTz after, pg_tz *tzp)
{
	struct pg_tm tm;
	fsec_t		 fsec;
	int			 tz;
	int			 jd;

	if (timestamp2tm(after, &tz, &tm, &fsec, NULL, tzp) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	for (int day = 0; day < 366 * 5; day++, jd++)
	{
		int	 y, mo, d, wd;
		bool dom_ok, dow_ok, day_ok;

		j2date(jd, &y, &mo, &d);
		wd = j2day(jd);
		if (!c->month[mo])
			continue;
		dom_ok = c->dom[d];
		dow_ok = c->dow[wd];
		/* cron: with both restricted, either matches */
		day_ok = (c->dom_star || c->dow_star) ? (dom_ok && dow_ok) : (dom_ok || dow_ok);
		if (!day_ok)
			continue;
		for (int h = 0; h < 24; h++)
		{
			if (!c->hour[h])
				continue;
			for (int mi = 0; mi < 60; mi++)
			{
				struct pg_tm t;
				TimestampTz	 ts;
				int			 off;

				if (!c->minute[mi])
					continue;
				memset(&t, 0, sizeof(t));
				t.tm_year = y;
				t.tm_mon = mo;
				t.tm_mday = d;
				t.tm_hour = h;
				t.tm_min = mi;
				off = DetermineTimeZoneOffset(&t, tzp);
				if (tm2timestamp(&t, 0, &off, &ts) != 0)
					continue;
				if (ts > after)
					return ts;
			}
		}
	}
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the cron expression matches no time in the next five years")));
	return 0;
}

void
pgl_schedule_invalid(const char *every)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid schedule \"%s\"", every),
			 errhint("Give an interval such as '1 day' or '15 minutes' (at least 1 second), or a "
					 "cron expression of five fields, minute hour day-of-month month day-of-week, "
					 "such as '30 2 * * *' or '*/10 * * * 1-5'.")));
}

Datum
ai_cron_next(PG_FUNCTION_ARGS)
{
	char  *expr;
	Cron   c;
	pg_tz *tzp = session_timezone;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(2))
	{
		char *name = text_to_cstring(PG_GETARG_TEXT_PP(2));

		tzp = pg_tzset(name);
		if (tzp == NULL)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("time zone \"%s\" not recognized", name),
							errhint("Use a name of pg_timezone_names, such as 'UTC' or "
									"'Europe/Paris'.")));
	}
	if (!pgl_cron_parse(expr, &c))
		pgl_schedule_invalid(expr);
	PG_RETURN_TIMESTAMPTZ(pgl_cron_next(&c, PG_GETARG_TIMESTAMPTZ(1), tzp));
}
