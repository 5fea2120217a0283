/*
 * src/forecast/arima.h: seasonal ARIMA(p,d,q)(P,D,Q)[m] with automatic order
 * selection (the stepwise search of Hyndman and Khandakar, as R's auto.arima),
 * fitted by conditional sum of squares.  The method table entry is pgl_fc_arima
 * (fc.h); the functions below are the parts the unit tests reach directly.
 *
 * Pure C, no allocation, no static state: every function works in the scratch
 * the caller gives (pgl_fc_arima.work_size bytes).
 */
#ifndef PGL_ARIMA_H
#define PGL_ARIMA_H

#include "fc.h"

/* auto.arima's default bounds */
#define PGL_ARIMA_MAX_P		5
#define PGL_ARIMA_MAX_Q		5
#define PGL_ARIMA_MAX_SP	2 /* seasonal P */
#define PGL_ARIMA_MAX_SQ	2 /* seasonal Q */
#define PGL_ARIMA_MAX_ORDER 5 /* p + q + P + Q in the stepwise search */
#define PGL_ARIMA_MAX_M		1000

typedef struct pgl_arima_order
{
	int32_t p, d, q;
	int32_t P, D, Q;
	int32_t m;
	int32_t cst; /* a mean (d + D = 0) or drift (d + D = 1) */
} pgl_arima_order;

/* the number of differences KPSS asks for (0 .. 2, 5% level) */
extern int pgl_arima_ndiffs(const double *x, int32_t n, double *work);

/* the strength of seasonality (0 .. 1) of a decomposition with period m; work: 2 n doubles */
extern double pgl_arima_seas_strength(const double *x, int32_t n, int32_t m, double *work);

/* fit one given order (CSS); the packed params as pgl_fc_arima.fit writes them */
extern pgl_rc pgl_arima_fit_order(const double *y, int32_t n, const pgl_arima_order *o, void *work,
								  double *params, int32_t *n_params, double *aicc, double *sigma2,
								  pgl_status *st);

/* read the order out of a packed fit (checked) */
extern pgl_rc pgl_arima_order_of(const double *params, int32_t n_params, pgl_arima_order *o,
								 pgl_status *st);

/* the coefficients of a packed fit: phi[p], theta[q], Phi[P], Theta[Q] (the constant is params[9]) */
extern const double *pgl_arima_coefs(const double *params);

#endif
