/*-------------------------------------------------------------------------
 *
 * fc.h
 *	  The forecasting methods' interface (ETS, ARIMA) and the helpers the
 *	  forecast family shares: period detection, interval quantiles.
 *
 * src/forecast is pure C (no postgres.h), compiled into the unit tests like
 * src/algo.  Fitting runs on worker threads (pg_learn.threads), so a method
 * never allocates, never calls pgl_env, and keeps no static state: the
 * caller gives a scratch buffer and output arrays.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_FC_H
#define PGL_FC_H

#include "pgl_algo.h"

typedef enum pgl_fc_method_id
{
	PGL_FC_ETS = 1,
	PGL_FC_ARIMA = 2
} pgl_fc_method_id;

typedef struct pgl_fc_method
{
	const char *name; /* "ets", "arima" */
	int32_t		id;	  /* pgl_fc_method_id */
	/* bytes of scratch fit/forecast need for a series of n points (or horizon n), season m */
	size_t (*work_size)(int32_t n, int32_t m);
	/* most doubles fit writes to params for season m */
	int32_t (*max_params)(int32_t m);

	/*
	 * Fit y[0 .. n) (finite; no gaps: the caller interpolates), season m (1: none),
	 * choosing the form by AICc among the method's candidates.  params: the method's
	 * packed fit, with everything forecasting needs (coefficients, final state / last
	 * observations and residuals, sigma2); *aicc and *sigma2 the chosen form's.
	 * PGL_ERR_INVALID with a message when the series is too short for any candidate.
	 */
	pgl_rc (*fit)(const double *y, int32_t n, int32_t m, void *work, double *params,
				  int32_t *n_params, double *aicc, double *sigma2, pgl_status *st);
	/* h steps ahead: mean and the central interval at level (0 < level < 1) */
	pgl_rc (*forecast)(const double *params, int32_t n_params, int32_t h, double level, void *work,
					   double *mean, double *lo, double *hi, pgl_status *st);
	/* read-back validation of a packed fit (lengths, finiteness, orders in range) */
	pgl_rc (*check)(const double *params, int32_t n_params, pgl_status *st);
	/* a one-line description of the chosen form, e.g. "ETS(A,Ad,M)", "ARIMA(1,1,1)(0,1,1)[12]" */
	void (*describe)(const double *params, int32_t n_params, char *buf, size_t len);
} pgl_fc_method;

extern const pgl_fc_method		  pgl_fc_ets;		/* src/forecast/ets.c (fcets) */
extern const pgl_fc_method		  pgl_fc_arima;		/* src/forecast/arima.c (fcarima) */
extern const pgl_fc_method *const pgl_fc_methods[]; /* NULL-terminated, src/forecast/fc.c */

/* ---------- shared helpers (fc.c) ---------- */

/* the method with this id or name, or NULL */
extern const pgl_fc_method *pgl_fc_method_by_id(int32_t id);
extern const pgl_fc_method *pgl_fc_method_by_name(const char *name);

/* the standard normal quantile (Acklam's rational approximation, refined) */
extern double pgl_fc_qnorm(double p);

/* z of the central interval at level: qnorm((1 + level) / 2) */
extern double pgl_fc_z(double level);

/*
 * The season a series' spacing suggests: step in seconds and whether the
 * grid is calendar months (month_step > 0: 1 monthly, 3 quarterly, 12
 * yearly).  daily -> 7, hourly -> 24, monthly -> 12, quarterly -> 4,
 * weekly -> 52, else 1.
 */
extern int32_t pgl_fc_season_from_step(double step_seconds, int32_t month_step);

/*
 * Confirm a candidate season m on y[0 .. n) by the autocorrelation of the
 * detrended (first-differenced) series at lag m: returns m when there are
 * at least 2 m + 2 points and acf(m) > max(0.1, 1.645 / sqrt(n)) (the
 * one-sided 95% band), else 1.  work: n doubles.
 */
extern int32_t pgl_fc_confirm_season(const double *y, int32_t n, int32_t m, double *work);

/* xorshift64* in [0, 1) and a standard normal (Box-Muller), for simulations */
extern double pgl_fc_uniform(uint64_t *state);
extern double pgl_fc_normal(uint64_t *state);

#endif /* PGL_FC_H */
