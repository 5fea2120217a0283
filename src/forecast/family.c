/*-------------------------------------------------------------------------
 *
 * family.c
 *	  The forecast family's options, the validation of its model tensors
 *	  (family.h), and the forecast of one stored series.
 *
 *-------------------------------------------------------------------------
 */
#include "family.h"
#include "algorithms.h"

#include <math.h>
#include <string.h>

const pgl_option_spec pgl_forecast_options[] = {
	{"time", PGL_OPT_COLUMN, PGL_SLOT_TIME_COL, 0, 0, 0, NULL, "(required)",
	 "column of the timestamps (date, timestamp or timestamptz) on a regular grid", "\"day\""},
	{"series", PGL_OPT_COLUMN, PGL_SLOT_SERIES_COL, 0, 0, 0, NULL, "one series",
	 "column naming the series (any type, as text): one forecast per value", "\"store\""},
	{"horizon", PGL_OPT_INTEGER, PGL_SLOT_HORIZON, 1, 100000, 0, NULL, "10",
	 "periods ai_forecast returns by default and the charts show", "4"},
	{"season", PGL_OPT_INTEGER, PGL_SLOT_SEASON, 1, PGL_FC_MAX_SEASON, PGL_OPT_AUTO, NULL,
	 "\"auto\"",
	 "periods per season (1: none); \"auto\": from the spacing (hourly 24, daily 7, weekly 52, "
	 "monthly 12, quarterly 4), kept per series when the autocorrelation confirms it",
	 "1"},
	{"method", PGL_OPT_CHOICE, PGL_SLOT_METHOD, 0, 0, 0, "combination|ets|arima|auto",
	 "\"combination\"",
	 "combination: the mean of the ETS and the ARIMA forecast (the most accurate on "
	 "bench/forecast); ets; arima; or auto: per series the one of smaller AICc",
	 "\"ets\""},
	{"missing", PGL_OPT_CHOICE, PGL_SLOT_MISSING, 0, 0, 0, "interpolate|error", "\"interpolate\"",
	 "a period missing from a series (or a NULL value): interpolated linearly, or an error",
	 "\"error\""},
	{"level", PGL_OPT_NUMBER, PGL_SLOT_LEVEL, 0, 1, PGL_OPT_LO_OPEN | PGL_OPT_HI_OPEN, NULL, "0.95",
	 "probability of the prediction interval of the test metrics", "0.8"},
	{"test_size", PGL_OPT_INTEGER, PGL_SLOT_TEST_SIZE, 0, 100000, 0, NULL, "0",
	 "the last periods of each series held out for MASE, sMAPE and coverage (0: none); the "
	 "stored fit then uses every period",
	 "2"},
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC("mase|smape|coverage", "mase", "\"smape\""),
	PGL_OPTION_END};

static const pgl_tensor *
tensor_of(const pgl_model *m, const char *name, int32_t dtype, int32_t ndim, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	if (t == NULL || t->dtype != dtype || t->ndim != ndim)
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "forecast model tensor \"%s\" is missing or malformed", name);
		return NULL;
	}
	return t;
}

/* the fits of one series: n_fits, then (id, n_params, params) each */
static pgl_rc
check_fits(const double *F, int64_t len, int64_t s, pgl_status *st)
{
	int64_t pos = 1;
	double	nf = len > 0 ? F[0] : 0;

	if (!(nf >= 1 && nf <= PGL_FC_MAX_FITS && nf == floor(nf)))
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld has %g fits", (long long) s, nf);
	for (int32_t f = 0; f < (int32_t) nf; f++)
	{
		const pgl_fc_method *meth;
		double				 np;

		if (pos + 2 > len)
			return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld: its fits are truncated",
							(long long) s);
		meth = F[pos] == floor(F[pos]) && fabs(F[pos]) < 1000
				   ? pgl_fc_method_by_id((int32_t) F[pos])
				   : NULL;
		np = F[pos + 1];
		if (meth == NULL)
			return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld: unknown method id %g",
							(long long) s, F[pos]);
		if (!(np >= 1 && np == floor(np) && np <= (double) (len - pos - 2)))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"forecast series %lld: a fit of %g values does not fit", (long long) s,
							np);
		if (meth->check(F + pos + 2, (int32_t) np, st) != PGL_OK)
			return st->rc;
		pos += 2 + (int64_t) np;
	}
	if (pos != len)
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld: %lld values after its fits",
						(long long) s, (long long) (len - pos));
	return PGL_OK;
}

static pgl_rc
check_meta(const double *M, pgl_status *st)
{
	for (int i = 0; i < PGL_FCM_N; i++)
		if (!isfinite(M[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "forecast meta value %d is not finite", i);
	if (M[PGL_FCM_VERSION] != 1 || !(M[PGL_FCM_HORIZON] >= 1 && M[PGL_FCM_HORIZON] <= 100000) ||
		!(M[PGL_FCM_LEVEL] > 0 && M[PGL_FCM_LEVEL] < 1) || M[PGL_FCM_TIME_TYPE] < 1 ||
		M[PGL_FCM_TIME_TYPE] > 3 || M[PGL_FCM_STEP_US] < 0 || M[PGL_FCM_STEP_MONTHS] < 0 ||
		M[PGL_FCM_STEP_MONTHS] > 1200 || (M[PGL_FCM_STEP_US] > 0) == (M[PGL_FCM_STEP_MONTHS] > 0) ||
		M[PGL_FCM_STEP_US] != floor(M[PGL_FCM_STEP_US]) ||
		M[PGL_FCM_STEP_MONTHS] != floor(M[PGL_FCM_STEP_MONTHS]) || M[PGL_FCM_METHOD] < 0 ||
		M[PGL_FCM_METHOD] > 3 || (M[PGL_FCM_HAS_SERIES] != 0 && M[PGL_FCM_HAS_SERIES] != 1))
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast meta values are out of range");
	return PGL_OK;
}

pgl_rc
pgl_forecast_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *meta, *keys, *ser, *fits, *last;
	int64_t			  S;
	const double	 *R;
	char			**K;

	if ((meta = tensor_of(m, "fc_meta", PGL_F64, 1, st)) == NULL ||
		(keys = tensor_of(m, "fc_keys", PGL_STR, 1, st)) == NULL ||
		(ser = tensor_of(m, "fc_series", PGL_F64, 2, st)) == NULL ||
		(fits = tensor_of(m, "fc_fits", PGL_F64, 1, st)) == NULL ||
		(last = tensor_of(m, "fc_last", PGL_F64, 1, st)) == NULL ||
		tensor_of(m, "fc_columns", PGL_STR, 1, st) == NULL)
		return st->rc;
	if (pgl_model_tensor(m, "fc_columns")->dims[0] != 2 ||
		((char **) pgl_model_tensor(m, "fc_columns")->data)[0][0] == '\0')
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast model tensor \"fc_columns\" is malformed");
	if (meta->dims[0] != PGL_FCM_N)
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast meta has %lld values, not %d",
						(long long) meta->dims[0], PGL_FCM_N);
	if (check_meta(meta->data, st) != PGL_OK)
		return st->rc;
	S = keys->dims[0];
	if (S < 1 || ser->dims[0] != S || ser->dims[1] != PGL_FCS_N)
		return pgl_fail(st, PGL_ERR_CORRUPT, "forecast model has %lld keys and %lld x %lld series",
						(long long) S, (long long) ser->dims[0], (long long) ser->dims[1]);
	K = keys->data;
	R = ser->data;
	if (((const double *) meta->data)[PGL_FCM_HAS_SERIES] == 0 && (S != 1 || K[0][0] != '\0'))
		return pgl_fail(st, PGL_ERR_CORRUPT, "a forecast model of one series has other keys");
	for (int64_t s = 0; s < S; s++)
	{
		const double *r = R + s * PGL_FCS_N;
		const double *L = last->data;

		if (s > 0 && strcmp(K[s - 1], K[s]) >= 0)
			return pgl_fail(st, PGL_ERR_CORRUPT, "forecast keys are not strictly sorted at %lld",
							(long long) s);
		for (int j = 0; j < PGL_FCS_N; j++)
			if (!isfinite(r[j]) && j != PGL_FCS_AICC)
				return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld value %d is not finite",
								(long long) s, j);
		if (r[PGL_FCS_START] != floor(r[PGL_FCS_START]) || fabs(r[PGL_FCS_START]) > 1e16 ||
			!(r[PGL_FCS_N_POINTS] >= 1 && r[PGL_FCS_N_POINTS] <= PGL_FC_MAX_POINTS) ||
			!(r[PGL_FCS_SEASON] >= 1 && r[PGL_FCS_SEASON] <= PGL_FC_MAX_SEASON) ||
			!(r[PGL_FCS_SCALE] >= 0) || r[PGL_FCS_FIT_OFF] < 0 || r[PGL_FCS_FIT_LEN] < 1 ||
			r[PGL_FCS_FIT_OFF] + r[PGL_FCS_FIT_LEN] > (double) fits->dims[0] ||
			r[PGL_FCS_LAST_OFF] < 0 || r[PGL_FCS_LAST_LEN] < 1 ||
			r[PGL_FCS_LAST_LEN] > PGL_FC_MAX_LAST ||
			r[PGL_FCS_LAST_OFF] + r[PGL_FCS_LAST_LEN] > (double) last->dims[0] ||
			r[PGL_FCS_FIT_OFF] != floor(r[PGL_FCS_FIT_OFF]) ||
			r[PGL_FCS_FIT_LEN] != floor(r[PGL_FCS_FIT_LEN]) ||
			r[PGL_FCS_LAST_OFF] != floor(r[PGL_FCS_LAST_OFF]) ||
			r[PGL_FCS_LAST_LEN] != floor(r[PGL_FCS_LAST_LEN]) || r[PGL_FCS_SIGMA2] < 0)
			return pgl_fail(st, PGL_ERR_CORRUPT, "forecast series %lld has values out of range",
							(long long) s);
		for (int64_t i = 0; i < (int64_t) r[PGL_FCS_LAST_LEN]; i++)
			if (!isfinite(L[(int64_t) r[PGL_FCS_LAST_OFF] + i]))
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"forecast series %lld: a last value is not finite", (long long) s);
		if (check_fits((const double *) fits->data + (int64_t) r[PGL_FCS_FIT_OFF],
					   (int64_t) r[PGL_FCS_FIT_LEN], s, st) != PGL_OK)
			return st->rc;
	}
	return PGL_OK;
}

int64_t
pgl_fc_find_series(const pgl_model *m, const char *key)
{
	const pgl_tensor *keys = pgl_model_tensor(m, "fc_keys");
	char			**K = keys->data;
	int64_t			  lo = 0, hi = keys->dims[0] - 1;

	while (lo <= hi)
	{
		int64_t mid = lo + (hi - lo) / 2;
		int		c = strcmp(K[mid], key);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

size_t
pgl_fc_forecast_work(const pgl_model *m, int32_t h)
{
	const pgl_tensor *ser = pgl_model_tensor(m, "fc_series");
	const double	 *R = ser->data;
	int32_t			  mmax = 1;
	size_t			  w = 0;

	for (int64_t s = 0; s < ser->dims[0]; s++)
		if (R[s * PGL_FCS_N + PGL_FCS_SEASON] > mmax)
			mmax = (int32_t) R[s * PGL_FCS_N + PGL_FCS_SEASON];
	for (int i = 0; pgl_fc_methods[i]; i++)
	{
		size_t b = pgl_fc_methods[i]->work_size(h, mmax);

		if (b > w)
			w = b;
	}
	return w;
}

pgl_rc
pgl_fc_series_forecast(const pgl_model *m, int64_t s, int32_t h, double level, void *work,
					   double *tmp, double *mean, double *lo, double *hi, pgl_status *st)
{
	const double *r = (const double *) pgl_model_tensor(m, "fc_series")->data + s * PGL_FCS_N;
	const double *F =
		(const double *) pgl_model_tensor(m, "fc_fits")->data + (int64_t) r[PGL_FCS_FIT_OFF];
	int32_t nf = (int32_t) F[0];
	int64_t pos = 1;

	for (int32_t k = 0; k < h; k++)
		mean[k] = lo[k] = hi[k] = 0;
	for (int32_t f = 0; f < nf; f++)
	{
		const pgl_fc_method *meth = pgl_fc_method_by_id((int32_t) F[pos]);
		int32_t				 np = (int32_t) F[pos + 1];

		if (meth->forecast(F + pos + 2, np, h, level, work, tmp, tmp + h, tmp + 2 * h, st) !=
			PGL_OK)
			return st->rc;
		for (int32_t k = 0; k < h; k++)
		{
			mean[k] += tmp[k] / nf;
			lo[k] += tmp[h + k] / nf;
			hi[k] += tmp[2 * h + k] / nf;
		}
		pos += 2 + np;
	}
	return PGL_OK;
}
