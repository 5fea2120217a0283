/*-------------------------------------------------------------------------
 *
 * forecast_glue.h
 *	  The forecast family's glue (forecast_glue.c: training;
 *	  forecast_glue_predict.c: ai_forecast, ai_evaluate, intervals).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_FORECAST_GLUE_H
#define PGL_FORECAST_GLUE_H

#include "glue.h"

#include "datatype/timestamp.h"

#include "tcop/dest.h"

#include "vocab.h"

/* one row read: series code, time (microseconds since 2000, local), value (NaN: NULL) */
typedef struct FcRow
{
	int32  s;
	int64  t;
	double v;
} FcRow;

/* the reader of (time, series, value) rows */
typedef struct FcReceiver
{
	DestReceiver  pub;
	const char	 *col[3]; /* time, series (NULL: none), value */
	int			  att[3];
	Oid			  typ[3];
	FmgrInfo	  out; /* the series column's output function */
	MemoryContext cxt, row_cxt;
	PglVocab	 *keys;
	FcRow		 *rows;
	int64		  n, cap;
} FcReceiver;

/* read the rows of data (col and cxt set): keys interned in r->keys ("" without series) */
extern void pgl_fc_read_rows(FcReceiver *r, const char *data);

/* a grid time (microseconds since 2000-01-01) as text of the time column's type */
extern char *pgl_fc_time_text(int32 time_type, int64 t);

/* "series \"a\"", or "the series" (a model without a series column) */
extern char *pgl_fc_series_name(const char *key);

/* the first instant of month number year * 12 + month - 1 */
extern int64 pgl_fc_month_start(int64 month);

/* ai_evaluate of a forecast model on data with later periods (forecast_glue_predict.c) */
extern Datum pgl_forecast_evaluate(const char *name, int64 version_id, const char *data);

/*
 * The prediction interval of series (NULL: the model's only series) of a
 * forecast model at time ts (timestamptz) and level: for ai_detect_anomalies.
 * ts must be on the series' grid after its last period (ERROR otherwise);
 * *forecast, *lo, *hi get the mean and the band.  *cache (NULL at first,
 * allocated in cxt) keeps the last series' band, so that rows of one series
 * at one level reuse its forecast instead of recomputing it per row;
 * version_id keys it to the model version.
 */
extern void pgl_forecast_interval_cached(const pgl_model *m, int64 version_id, const char *name,
										 const char *series, TimestampTz ts, double level,
										 double *forecast, double *lo, double *hi, void **cache,
										 MemoryContext cxt);

/* what ai_chart's forecast kind draws of one series */
typedef struct PglForecastChart
{
	char   *series; /* its key ("" for a model without a series column) */
	int64	n_hist; /* the stored last values */
	double *hist_t; /* their times: seconds since 1970-01-01 UTC */
	double *hist_y;
	int32	h; /* forecast periods */
	double *t; /* their times, likewise */
	double *mean, *lo, *hi;
} PglForecastChart;

/*
 * The history the model keeps of series key (NULL: the model's only
 * series; ERROR when it has several) and its next h periods at level.
 */
extern void pgl_forecast_chart_data(const pgl_model *m, const char *name, const char *key, int32 h,
									double level, PglForecastChart *out);

#endif /* PGL_FORECAST_GLUE_H */
