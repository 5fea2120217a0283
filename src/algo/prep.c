/*-------------------------------------------------------------------------
 *
 * prep.c
 *	  Feature encoding and the seeded hold-out split.
 *
 *-------------------------------------------------------------------------
 */
#include "prep.h"

#include <string.h>

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

		if (feat->kind == PGL_FEATURE_NUMERIC)
			x[col++] = isnull[f] ? feat->impute : raw[f];
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

		if (feat->kind == PGL_FEATURE_NUMERIC)
		{
			double *dst = X + col * n;

			for (int64_t i = 0; i < n; i++)
			{
				int64_t r = rows ? rows[i] : i;

				dst[i] = nul && nul[r] ? feat->impute : src[r];
			}
			col++;
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
