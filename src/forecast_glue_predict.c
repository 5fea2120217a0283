/*-------------------------------------------------------------------------
 *
 * forecast_glue_predict.c
 *	  Using a forecast model: ai_forecast(name, horizon, series, level),
 *	  ai_evaluate on later periods, and pgl_forecast_interval_cached (the band at
 *	  one time, for ai_detect_anomalies).
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "model_cache.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "family.h"

#include "forecast_glue.h"

PG_FUNCTION_INFO_V1(ai_forecast);

static const double *
fc_meta(const pgl_model *m)
{
	return pgl_model_tensor(m, "fc_meta")->data;
}

static const double *
fc_row(const pgl_model *m, int64 s)
{
	return (const double *) pgl_model_tensor(m, "fc_series")->data + s * PGL_FCS_N;
}

static int64
fc_month_index(int64 t)
{
	int y, mo, d;

	j2date((int) (t / USECS_PER_DAY) + POSTGRES_EPOCH_JDATE, &y, &mo, &d);
	return (int64) y * 12 + mo - 1;
}

/* the time of grid point i of series s (local clock, microseconds since 2000) */
static int64
fc_time_at(const pgl_model *m, int64 s, int64 i)
{
	const double *M = fc_meta(m);
	int64		  start = (int64) fc_row(m, s)[PGL_FCS_START];

	if (M[PGL_FCM_STEP_MONTHS] > 0)
		return pgl_fc_month_start(fc_month_index(start) + i * (int64) M[PGL_FCM_STEP_MONTHS]);
	return start + i * (int64) M[PGL_FCM_STEP_US];
}

/* a grid time as timestamptz (a date's midnight and a timestamp on the local clock) */
static TimestampTz
fc_timestamptz(int64 t)
{
	return DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz, TimestampGetDatum(t)));
}

/* the series of a key, or ERROR naming it; NULL: the model's only series */
static int64
fc_series_of(const pgl_model *m, const char *name, const char *key)
{
	int64 s;

	if (key == NULL)
	{
		if (pgl_model_tensor(m, "fc_keys")->dims[0] == 1)
			return 0;
		return -1; /* all */
	}
	s = pgl_fc_find_series(m, fc_meta(m)[PGL_FCM_HAS_SERIES] ? key : "");
	if (s < 0 || (fc_meta(m)[PGL_FCM_HAS_SERIES] == 0 && key[0] != '\0'))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
						errmsg("forecast model \"%s\" has no series \"%s\"", name, key),
						fc_meta(m)[PGL_FCM_HAS_SERIES]
							? errhint("Its series are the values of the series column at training.")
							: errhint("The model has one series: give series => NULL.")));
	return s;
}

static void
fc_check_level(double level)
{
	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("level %g is out of range: it must be between 0 and 1, exclusive", level),
				 errhint("For a 95%% interval give level => 0.95.")));
}

/* the forecast of series s for h steps: mean, lo, hi (palloc'd) */
static void
fc_forecast_series(const pgl_model *m, int64 s, int32 h, double level, double **mean, double **lo,
				   double **hi)
{
	void	  *work = palloc(pgl_fc_forecast_work(m, h));
	double	  *tmp = palloc(sizeof(double) * 3 * h);
	pgl_status st;

	memset(&st, 0, sizeof(st));
	*mean = palloc(sizeof(double) * h);
	*lo = palloc(sizeof(double) * h);
	*hi = palloc(sizeof(double) * h);
	if (pgl_fc_series_forecast(m, s, h, level, work, tmp, *mean, *lo, *hi, &st) != PGL_OK)
		pgl_report(&st, "forecasting failed");
	pfree(work);
	pfree(tmp);
}

/*
 * ai_forecast(name, horizon, series, level): per series (one or all), the
 * next horizon periods after its last one: (series, ts, forecast, lower, upper).
 */
Datum
ai_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	char			*name;
	const pgl_model *m;
	int64			 version_id, s0, s1;
	int32			 h;
	double			 level;
	const char		*key;
	char		   **keys;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("the model name of ai_forecast must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	m = pgl_model_get(name, &version_id);
	if (m->algorithm != PGL_ALGO_FORECAST)
		ereport(
			ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("model \"%s\" is not a forecast model", name),
			 errhint(
				 "Train one with ai_train(name, 'forecast', data, target, '{\"time\": ...}').")));
	h = PG_ARGISNULL(1) ? (int32) fc_meta(m)[PGL_FCM_HORIZON] : PG_GETARG_INT32(1);
	if (h < 1 || h > 100000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("horizon %d is out of range: it must be 1 to 100000", h)));
	key = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	level = PG_ARGISNULL(3) ? 0.95 : PG_GETARG_FLOAT8(3);
	fc_check_level(level);
	s0 = fc_series_of(m, name, key);
	s1 = s0 < 0 ? pgl_model_tensor(m, "fc_keys")->dims[0] : s0 + 1;
	s0 = Max(s0, 0);
	keys = pgl_model_tensor(m, "fc_keys")->data;

	InitMaterializedSRF(fcinfo, 0);
	for (int64 s = s0; s < s1; s++)
	{
		double *mean, *lo, *hi;
		int64	n = (int64) fc_row(m, s)[PGL_FCS_N_POINTS];

		CHECK_FOR_INTERRUPTS();
		fc_forecast_series(m, s, h, level, &mean, &lo, &hi);
		for (int32 k = 0; k < h; k++)
		{
			Datum values[5];
			bool  nulls[5] = {false, false, false, false, false};

			if (fc_meta(m)[PGL_FCM_HAS_SERIES])
				values[0] = CStringGetTextDatum(keys[s]);
			else
				nulls[0] = true;
			values[1] = TimestampTzGetDatum(fc_timestamptz(fc_time_at(m, s, n + k)));
			values[2] = Float8GetDatum(mean[k]);
			values[3] = Float8GetDatum(lo[k]);
			values[4] = Float8GetDatum(hi[k]);
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, values, nulls);
		}
		pfree(mean);
		pfree(lo);
		pfree(hi);
	}
	return (Datum) 0;
}

/* the step of time t (local clock) after the end of series s: 1, 2, ...; ERROR off the grid */
static int64
fc_steps_after(const pgl_model *m, int64 s, int64 t, const char *key)
{
	const double *M = fc_meta(m);
	int64		  last = fc_time_at(m, s, (int64) fc_row(m, s)[PGL_FCS_N_POINTS] - 1), d;
	bool		  ok;

	if (M[PGL_FCM_STEP_MONTHS] > 0)
	{
		d = fc_month_index(t) - fc_month_index(last);
		ok = t == pgl_fc_month_start(fc_month_index(t)) && d % (int64) M[PGL_FCM_STEP_MONTHS] == 0;
		d /= (int64) M[PGL_FCM_STEP_MONTHS];
	}
	else
	{
		d = t - last;
		ok = d % (int64) M[PGL_FCM_STEP_US] == 0;
		d /= (int64) M[PGL_FCM_STEP_US];
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time %s of %s is off the model's grid",
						pgl_fc_time_text((int32) M[PGL_FCM_TIME_TYPE], t), pgl_fc_series_name(key)),
				 errdetail("The series' last period is %s.",
						   pgl_fc_time_text((int32) M[PGL_FCM_TIME_TYPE], last))));
	return d;
}

/* the last series' band at one level, steps 1..h */
typedef struct FcBandCache
{
	int64	version_id, s;
	double	level;
	int32	h;
	double *mean, *lo, *hi;
} FcBandCache;

void
pgl_forecast_interval_cached(const pgl_model *m, int64 version_id, const char *name,
							 const char *series, TimestampTz ts, double level, double *forecast,
							 double *lo, double *hi, void **cache, MemoryContext cxt)
{
	int64		 s, t, h;
	FcBandCache *c = *cache;

	fc_check_level(level);
	s = fc_series_of(m, name, series);
	if (s < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the forecast model has several series: name one")));
	t = DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(ts)));
	h = fc_steps_after(m, s, t, series ? series : "");
	if (h < 1 || h > 100000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("time %s is " INT64_FORMAT " periods after the series' end: it "
							   "must be 1 to 100000",
							   pgl_fc_time_text((int32) fc_meta(m)[PGL_FCM_TIME_TYPE], t), h),
						errhint("A forecast model's band covers the periods after its training "
								"data.")));
	/*
	 * A forecast's step k does not depend on how many steps are computed
	 * (the methods recurse forward), so one band of the series serves every
	 * row up to its length; a row further out recomputes it at least twice
	 * as long.
	 */
	if (c == NULL || c->version_id != version_id || c->s != s || c->level != level || c->h < h)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		int32		  hh = (int32) Min(Max(h, c && c->s == s ? 2 * (int64) c->h : 32), 100000);

		if (c == NULL)
			c = *cache = palloc0(sizeof(FcBandCache));
		else
		{
			pfree(c->mean);
			pfree(c->lo);
			pfree(c->hi);
		}
		c->version_id = version_id;
		c->s = s;
		c->level = level;
		c->h = 0; /* until computed: an ERROR below leaves no half-made band */
		fc_forecast_series(m, s, hh, level, &c->mean, &c->lo, &c->hi);
		c->h = hh;
		MemoryContextSwitchTo(old);
	}
	*forecast = c->mean[h - 1];
	*lo = c->lo[h - 1];
	*hi = c->hi[h - 1];
}

/*
 * ai_evaluate of a forecast model: the rows of data after the end of their
 * series (on its grid) against the forecasts: MASE (by the series' in-sample
 * scale), sMAPE and the coverage of the model's level band.
 */
Datum
pgl_forecast_evaluate(const char *name, int64 version_id, const char *data)
{
	const pgl_model *m = pgl_model_by_version(version_id, name);
	const double	*M = fc_meta(m);
	char		   **cols = pgl_model_tensor(m, "fc_columns")->data;
	FcReceiver		 r;
	int64			 S = pgl_model_tensor(m, "fc_keys")->dims[0], n = 0, skipped = 0, n_mase = 0;
	int64			*hmax = palloc0(sizeof(int64) * S);
	int64			*row_series, *row_h;
	double			 ae_scaled = 0, smape = 0, cover = 0, level = M[PGL_FCM_LEVEL];
	StringInfoData	 buf;

	memset(&r, 0, sizeof(r));
	r.col[0] = pstrdup(cols[0]);
	r.col[1] = cols[1][0] ? pstrdup(cols[1]) : NULL;
	r.col[2] = pstrdup(m->target_name);
	r.cxt = CurrentMemoryContext;
	pgl_fc_read_rows(&r, data);
	m = pgl_model_by_version(version_id, name); /* the query may have emptied the cache */
	row_series = palloc(sizeof(int64) * Max(r.n, 1));
	row_h = palloc(sizeof(int64) * Max(r.n, 1));
	for (int64 i = 0; i < r.n; i++)
	{
		const char *key = pgl_vocab_string(r.keys, r.rows[i].s);
		int64		s = pgl_fc_find_series(m, key);

		row_series[i] = s;
		row_h[i] = 0;
		if (s < 0 || isnan(r.rows[i].v))
			continue;
		row_h[i] = fc_steps_after(m, s, r.rows[i].t, key);
		if (row_h[i] >= 1 && row_h[i] <= 100000)
			hmax[s] = Max(hmax[s], row_h[i]);
	}
	for (int64 s = 0; s < S; s++)
	{
		double *mean, *lo, *hi, scale = fc_row(m, s)[PGL_FCS_SCALE];

		if (hmax[s] == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		fc_forecast_series(m, s, (int32) hmax[s], level, &mean, &lo, &hi);
		for (int64 i = 0; i < r.n; i++)
		{
			double a, f, d;

			if (row_series[i] != s || row_h[i] < 1 || row_h[i] > hmax[s])
				continue;
			a = r.rows[i].v;
			f = mean[row_h[i] - 1];
			d = fabs(a) + fabs(f);
			if (scale > 0)
			{
				ae_scaled += fabs(a - f) / scale;
				n_mase++;
			}
			smape += d > 0 ? 2 * fabs(a - f) / d : 0;
			cover += a >= lo[row_h[i] - 1] && a <= hi[row_h[i] - 1];
			n++;
		}
	}
	skipped = r.n - n;
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("no row of the data is after the end of its series"),
						errdetail("ai_evaluate compares a forecast model with the periods after "
								  "its training data; " INT64_FORMAT " rows were before, of an "
								  "unknown series or NULL.",
								  skipped)));
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"n\": " INT64_FORMAT, n);
	if (n_mase > 0)
		appendStringInfo(&buf, ", \"mase\": %.10g", ae_scaled / n_mase);
	appendStringInfo(&buf, ", \"smape\": %.10g, \"coverage\": %.10g, \"level\": %g", smape / n,
					 cover / n, level);
	appendStringInfo(&buf, ", \"skipped\": " INT64_FORMAT "}", skipped);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* a grid time as seconds since 1970-01-01 UTC */
static double
fc_unix_seconds(int64 t)
{
	return (double) fc_timestamptz(t) / USECS_PER_SEC +
		   (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

void
pgl_forecast_chart_data(const pgl_model *m, const char *name, const char *key, int32 h,
						double level, PglForecastChart *out)
{
	int64		  s, n;
	const double *row, *last;
	char		**keys = pgl_model_tensor(m, "fc_keys")->data;

	fc_check_level(level);
	s = fc_series_of(m, name, key);
	if (s < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("forecast model \"%s\" has " INT64_FORMAT " series: name one", name,
							   pgl_model_tensor(m, "fc_keys")->dims[0]),
						errhint("Pass options => '{\"series\": \"...\"}' with one of them, e.g. "
								"\"%s\".",
								keys[0])));
	row = fc_row(m, s);
	n = (int64) row[PGL_FCS_N_POINTS];
	out->series = pstrdup(keys[s]);
	out->n_hist = (int64) row[PGL_FCS_LAST_LEN];
	last = (const double *) pgl_model_tensor(m, "fc_last")->data + (int64) row[PGL_FCS_LAST_OFF];
	out->hist_t = palloc(sizeof(double) * Max(out->n_hist, 1));
	out->hist_y = palloc(sizeof(double) * Max(out->n_hist, 1));
	for (int64 i = 0; i < out->n_hist; i++)
	{
		out->hist_t[i] = fc_unix_seconds(fc_time_at(m, s, n - out->n_hist + i));
		out->hist_y[i] = last[i];
	}
	out->h = h;
	fc_forecast_series(m, s, h, level, &out->mean, &out->lo, &out->hi);
	out->t = palloc(sizeof(double) * h);
	for (int32 i = 0; i < h; i++)
		out->t[i] = fc_unix_seconds(fc_time_at(m, s, n + i));
}
