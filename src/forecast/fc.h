/*
 * src/forecast/fc.h: the interface of the forecasting methods (ETS, ARIMA).
 *
 * Pure C (no postgres.h).  Fitting runs on worker threads, so a method never
 * allocates, never calls pgl_env, and keeps no static state: the caller gives
 * a scratch buffer and output arrays.
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

#endif
