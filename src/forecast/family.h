/*-------------------------------------------------------------------------
 *
 * family.h
 *	  The forecast family's model tensors (docs/model-format.md, "forecast"),
 *	  shared by its validation (family.c) and its glue (src/forecast_glue*.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_FC_FAMILY_H
#define PGL_FC_FAMILY_H

#include "fc.h"

/* "fc_meta": f64 [PGL_FCM_N] */
enum
{
	PGL_FCM_VERSION = 0, /* 1 */
	PGL_FCM_HORIZON,	 /* the "horizon" option */
	PGL_FCM_LEVEL,		 /* the "level" option */
	PGL_FCM_TIME_TYPE,	 /* PGL_FC_TIME_* */
	PGL_FCM_STEP_US,	 /* the grid's step in microseconds (0 on a month grid) */
	PGL_FCM_STEP_MONTHS, /* the grid's step in months (0 on a fixed grid) */
	PGL_FCM_METHOD,		 /* PGL_FC_CHOOSE_* */
	PGL_FCM_HAS_SERIES,	 /* 1: a series column; 0: one series (key "") */
	PGL_FCM_SEASON,		 /* the "season" option (0: detected) */
	PGL_FCM_TEST_SIZE,	 /* the "test_size" option (periods) */
	PGL_FCM_N
};

/* "fc_series": f64 [n_series, PGL_FCS_N], one row per key of "fc_keys" */
enum
{
	PGL_FCS_START = 0, /* the first timestamp: microseconds since 2000-01-01 (month grid too) */
	PGL_FCS_N_POINTS,  /* points on the grid, gaps interpolated */
	PGL_FCS_SEASON,	   /* m used (1: none) */
	PGL_FCS_SCALE,	   /* MASE scale: mean |y_t - y_{t-m}| in sample (m 1: lag 1); >= 0 */
	PGL_FCS_FIT_OFF,   /* offset of the series' fits in "fc_fits" */
	PGL_FCS_FIT_LEN,   /* doubles of them */
	PGL_FCS_LAST_OFF,  /* offset of its last values in "fc_last" */
	PGL_FCS_LAST_LEN,  /* how many */
	PGL_FCS_AICC,	   /* the chosen fit's AICc (NaN for a combination) */
	PGL_FCS_SIGMA2,	   /* its innovation variance */
	PGL_FCS_N
};

/* "fc_columns": str [2], the time column and the series column ("" for none) */

/* fc_meta's time types: the time column's SQL type */
#define PGL_FC_TIME_DATE		1
#define PGL_FC_TIME_TIMESTAMP	2
#define PGL_FC_TIME_TIMESTAMPTZ 3

/* fc_meta's "method" choice (the option's order) */
#define PGL_FC_CHOOSE_COMBINATION 0 /* the default: bench/forecast's most accurate */
#define PGL_FC_CHOOSE_ETS		  1
#define PGL_FC_CHOOSE_ARIMA		  2
#define PGL_FC_CHOOSE_AUTO		  3

/* most fits a series combines; most points a series may have; most last values kept */
#define PGL_FC_MAX_FITS	  4
#define PGL_FC_MAX_POINTS 1000000
#define PGL_FC_MAX_LAST	  400
#define PGL_FC_MAX_SEASON 1000

/*
 * A series' fits in "fc_fits": n_fits, then n_fits times (method id,
 * n_params, the method's packed fit).  The forecast is their mean, and the
 * band the mean of their bands (one fit: its own).
 */

/*
 * The forecast of series s (row of fc_series) h steps ahead at level:
 * work of pgl_fc_forecast_work bytes; mean, lo, hi of h; tmp of 3 h.
 */
extern size_t pgl_fc_forecast_work(const pgl_model *m, int32_t h);
extern pgl_rc pgl_fc_series_forecast(const pgl_model *m, int64_t s, int32_t h, double level,
									 void *work, double *tmp, double *mean, double *lo, double *hi,
									 pgl_status *st);

/* the index of key among the sorted keys of m, or -1 */
extern int64_t pgl_fc_find_series(const pgl_model *m, const char *key);

#endif /* PGL_FC_FAMILY_H */
