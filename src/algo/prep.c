/*-------------------------------------------------------------------------
 *
 * prep.c
 *	  Feature encoding and the seeded hold-out split.
 *
 *-------------------------------------------------------------------------
 */
#include "prep.h"

#include <math.h>
#include <string.h>

#define SECS_PER_DAY 86400.0
#define TWO_PI		 6.283185307179586476925286766559

int32_t
pgl_feature_width(const pgl_feature *f)
{
	switch (f->kind)
	{
		case PGL_FEATURE_CATEGORICAL:
		case PGL_FEATURE_TEXT:
			return f->n_categories;
		case PGL_FEATURE_TOKENS:
			return 1; /* one sequence of ids: the network's only input */
		case PGL_FEATURE_DATE:
			return PGL_DATE_INPUTS;
		case PGL_FEATURE_TIMESTAMP:
			return PGL_TIMESTAMP_INPUTS;
		default:
			return 1;
	}
}

/* Howard Hinnant's days_from_civil inverse: exact for any int64 day within range */
void
pgl_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;										 /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);				 /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;									 /* [0, 11] */

	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

double
pgl_time_day_start(double seconds)
{
	return floor(seconds / SECS_PER_DAY) * SECS_PER_DAY;
}

void
pgl_time_expand(int32_t kind, double origin, double seconds, double *x)
{
	int		n = kind == PGL_FEATURE_TIMESTAMP ? PGL_TIMESTAMP_INPUTS : PGL_DATE_INPUTS;
	double	dayf, hour;
	int64_t days, year;
	int		month, mday, dow;

	if (!(fabs(seconds) <= PGL_TIME_MAX_SECONDS) || !(fabs(origin) <= PGL_TIME_MAX_SECONDS))
	{
		for (int i = 0; i < n; i++)
			x[i] = NAN;
		return;
	}
	dayf = floor(seconds / SECS_PER_DAY);
	days = (int64_t) dayf;
	hour = (seconds - dayf * SECS_PER_DAY) / 3600.0;
	if (hour < 0 || hour >= 24) /* rounding at a day boundary */
		hour = 0;
	pgl_civil_from_days(days, &year, &month, &mday);
	dow = (int) (((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	*x++ = (double) year;
	*x++ = sin(TWO_PI * (month - 1) / 12.0);
	*x++ = cos(TWO_PI * (month - 1) / 12.0);
	*x++ = sin(TWO_PI * dow / 7.0);
	*x++ = cos(TWO_PI * dow / 7.0);
	if (kind == PGL_FEATURE_TIMESTAMP)
	{
		*x++ = sin(TWO_PI * hour / 24.0);
		*x++ = cos(TWO_PI * hour / 24.0);
	}
	*x = (seconds - origin) / SECS_PER_DAY;
}

const char *
pgl_time_input_name(int32_t kind, int32_t k)
{
	static const char *const date_names[PGL_DATE_INPUTS] = {"year",	   "month_sin", "month_cos",
															"dow_sin", "dow_cos",	"days"};
	static const char *const ts_names[PGL_TIMESTAMP_INPUTS] = {
		"year", "month_sin", "month_cos", "dow_sin", "dow_cos", "hour_sin", "hour_cos", "days"};

	if (kind == PGL_FEATURE_TIMESTAMP)
		return k >= 0 && k < PGL_TIMESTAMP_INPUTS ? ts_names[k] : "?";
	return k >= 0 && k < PGL_DATE_INPUTS ? date_names[k] : "?";
}

/* compare a (ptr, len) string with a NUL-terminated one like strcmp */
static int
cmp_len(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	int	   c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

int32_t
pgl_category_find(const pgl_feature *f, const char *value, size_t len)
{
	int32_t lo = 0, hi = f->n_categories - 1;

	while (lo <= hi)
	{
		int32_t mid = lo + (hi - lo) / 2;
		int		c = cmp_len(value, len, f->categories[mid]);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

void
pgl_encode_row(const pgl_model *m, const double *raw, const bool *isnull, double *x)
{
	int32_t col = 0;

	for (int32_t f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];

		if (feat->kind == PGL_FEATURE_NUMERIC || feat->kind == PGL_FEATURE_ELEMENT)
			x[col++] = isnull[f] ? feat->impute : raw[f];
		else if (feat->kind == PGL_FEATURE_DATE || feat->kind == PGL_FEATURE_TIMESTAMP)
		{
			pgl_time_expand(feat->kind, feat->origin, isnull[f] ? feat->impute : raw[f], x + col);
			col += pgl_feature_width(feat);
		}
		else if (feat->kind == PGL_FEATURE_TEXT)
		{
			/* the caller adds the document's terms */
			memset(x + col, 0, sizeof(double) * feat->n_categories);
			col += feat->n_categories;
		}
		else
		{
			int64_t idx = isnull[f] ? feat->impute_category : (int64_t) raw[f];

			memset(x + col, 0, sizeof(double) * feat->n_categories);
			if (idx >= 0 && idx < feat->n_categories)
				x[col + idx] = 1.0;
			col += feat->n_categories;
		}
	}
}

void
pgl_encode_rows(const pgl_model *m, const double *const *raw, const bool *const *isnull,
				const int64_t *rows, int64_t n, double *X)
{
	int64_t col = 0;

	for (int32_t f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		const double	  *src = raw[f];
		const bool		  *nul = isnull[f];

		if (feat->kind == PGL_FEATURE_NUMERIC || feat->kind == PGL_FEATURE_ELEMENT)
		{
			double *dst = X + col * n;

			for (int64_t i = 0; i < n; i++)
			{
				int64_t r = rows ? rows[i] : i;

				dst[i] = nul && nul[r] ? feat->impute : src[r];
			}
			col++;
		}
		else if (feat->kind == PGL_FEATURE_DATE || feat->kind == PGL_FEATURE_TIMESTAMP)
		{
			int32_t w = pgl_feature_width(feat);
			double	x[PGL_TIMESTAMP_INPUTS];

			for (int64_t i = 0; i < n; i++)
			{
				int64_t r = rows ? rows[i] : i;

				pgl_time_expand(feat->kind, feat->origin, nul && nul[r] ? feat->impute : src[r], x);
				for (int32_t k = 0; k < w; k++)
					X[(col + k) * n + i] = x[k];
			}
			col += w;
		}
		else if (feat->kind == PGL_FEATURE_TEXT)
		{
			/* the caller adds the documents' terms */
			memset(X + col * n, 0, sizeof(double) * (size_t) n * feat->n_categories);
			col += feat->n_categories;
		}
		else
		{
			double *dst = X + col * n;

			memset(dst, 0, sizeof(double) * (size_t) n * feat->n_categories);
			for (int64_t i = 0; i < n; i++)
			{
				int64_t r = rows ? rows[i] : i;
				int64_t idx = nul && nul[r] ? feat->impute_category : (int64_t) src[r];

				if (idx >= 0 && idx < feat->n_categories)
					dst[idx * n + i] = 1.0;
			}
			col += feat->n_categories;
		}
	}
}

uint64_t
pgl_rng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

double
pgl_rng_uniform(uint64_t *state)
{
	return (pgl_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

bool
pgl_row_in_test(uint64_t seed, int64_t row, double fraction)
{
	uint64_t state = seed ^ ((uint64_t) row * UINT64_C(0xD1B54A32D192ED03));

	if (fraction <= 0.0)
		return false;
	return pgl_rng_uniform(&state) < fraction;
}

uint64_t
pgl_hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t				 i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64_t v;

		memcpy(&v, b + i, 8);
		h = pgl_hash_value(h, v);
	}
	if (i < len)
	{
		uint64_t v = 0;

		memcpy(&v, b + i, len - i);
		h = pgl_hash_value(h, v);
	}
	return pgl_hash_value(h, (uint64_t) len);
}

bool
pgl_hash_in_test(uint64_t seed, uint64_t hash, double fraction)
{
	uint64_t state = seed ^ (hash * UINT64_C(0xD1B54A32D192ED03));

	if (fraction <= 0.0)
		return false;
	return pgl_rng_uniform(&state) < fraction;
}

bool
pgl_hash_in_fold(uint64_t seed, uint64_t hash, int fold, int folds)
{
	uint64_t state = seed ^ (hash * UINT64_C(0xD1B54A32D192ED03));
	int		 f;

	if (folds <= 0)
		return false;
	f = (int) (pgl_rng_uniform(&state) * folds);
	return (f < folds ? f : folds - 1) == fold;
}
