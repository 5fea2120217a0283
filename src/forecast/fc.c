/*-------------------------------------------------------------------------
 *
 * fc.c
 *	  The table of forecasting methods and the helpers they share: normal
 *	  quantiles, period detection, a seeded random source for simulations.
 *
 *-------------------------------------------------------------------------
 */
#include "fc.h"

#include <math.h>
#include <string.h>

const pgl_fc_method *const pgl_fc_methods[] = {&pgl_fc_ets, &pgl_fc_arima, NULL};

const pgl_fc_method *
pgl_fc_method_by_id(int32_t id)
{
	for (int i = 0; pgl_fc_methods[i] != NULL; i++)
		if (pgl_fc_methods[i]->id == id)
			return pgl_fc_methods[i];
	return NULL;
}

const pgl_fc_method *
pgl_fc_method_by_name(const char *name)
{
	for (int i = 0; pgl_fc_methods[i] != NULL; i++)
		if (strcmp(pgl_fc_methods[i]->name, name) == 0)
			return pgl_fc_methods[i];
	return NULL;
}

/*
 * Acklam's rational approximation of the normal quantile (relative error
 * 1.15e-9), then one Halley step on erfc for full double precision.
 */
double
pgl_fc_qnorm(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
							   -2.759285104469687e+02, 1.383577518672690e+02,
							   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
							   -1.556989798598866e+02, 6.680131188771972e+01,
							   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
							   -2.400758277161838e+00, -2.549732539343734e+00,
							   4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
							   3.754408661907416e+00};
	double				q, r, x, e, u;

	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p < 0.02425)
	{
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else if (p > 1 - 0.02425)
	{
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	e = 0.5 * erfc(-x / sqrt(2)) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

double
pgl_fc_z(double level)
{
	return pgl_fc_qnorm(0.5 + level / 2);
}

int32_t
pgl_fc_season_from_step(double step_seconds, int32_t month_step)
{
	if (month_step == 1)
		return 12;
	if (month_step == 3)
		return 4;
	if (month_step > 0)
		return 1;
	if (step_seconds == 3600)
		return 24;
	if (step_seconds == 86400)
		return 7;
	if (step_seconds == 7 * 86400)
		return 52;
	return 1;
}

int32_t
pgl_fc_confirm_season(const double *y, int32_t n, int32_t m, double *work)
{
	double	mean = 0, c0 = 0, cm = 0, band;
	int32_t nd = n - 1;

	if (m < 2 || n < 2 * m + 2)
		return 1;
	for (int32_t t = 0; t < nd; t++)
	{
		work[t] = y[t + 1] - y[t];
		mean += work[t];
	}
	mean /= nd;
	for (int32_t t = 0; t < nd; t++)
	{
		work[t] -= mean;
		c0 += work[t] * work[t];
	}
	if (!(c0 > 0))
		return 1;
	for (int32_t t = m; t < nd; t++)
		cm += work[t] * work[t - m];
	band = 1.645 / sqrt((double) nd);
	return cm / c0 > fmax(0.1, band) ? m : 1;
}

double
pgl_fc_uniform(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double) ((x * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

double
pgl_fc_normal(uint64_t *state)
{
	double u1, u2;

	do
		u1 = pgl_fc_uniform(state);
	while (u1 <= 0);
	u2 = pgl_fc_uniform(state);
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}
