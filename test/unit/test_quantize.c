/*-------------------------------------------------------------------------
 *
 * test_quantize.c
 *	  Unit tests of quantized storage (encoded tensors, model_format.c).
 *
 * binary16 conversion (every half value, rounding to nearest even, random
 * floats against their error bound), round trips of models whose weights
 * are stored as float32, float16 and int8 (per tensor, per row) with the
 * error bounds the docs promise, canonical re-encoding (read then write
 * gives the same bytes, also for f32 tensors), what pgl_model_set_storage
 * chooses, and the reader's refusals: the header flag, invalid scales and
 * codes, non-finite values, every truncation, and random byte flips (which
 * must either be refused or re-encode identically).
 *
 *-------------------------------------------------------------------------
 */
#include "model_format.h"
#include "algorithms.h"
#include "unit.h"

#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char  *p = pgl_alloc(env, n);

	memcpy(p, s, n);
	return p;
}

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint64_t
next_u64(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
uniform(void)
{
	return (next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * A linear_regression model with p numeric inputs, coef [p + 1, 1] (f64),
 * plus an extra f32 tensor "extra" [rows, cols] (the format allows extra
 * tensors; it stands in for ALS factors) filled with values of magnitude
 * about mag (row r scaled by 2^(r % 5), so per-row scales differ).
 */
static pgl_model *
make_model(int p, int rows, int cols, double mag)
{
	pgl_model *m = pgl_alloc0(env, sizeof(pgl_model));
	double	  *coef;
	float	  *extra;

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = p;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * p);
	for (int i = 0; i < p; i++)
	{
		char name[16];

		snprintf(name, sizeof(name), "x%d", i);
		m->features[i].name = xstrdup(name);
		m->features[i].type_name = xstrdup("double precision");
		m->features[i].kind = PGL_FEATURE_NUMERIC;
	}
	m->n_inputs = p;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("double precision");
	m->n_tensors = 2;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor) * 2);
	coef = pgl_alloc(env, sizeof(double) * (p + 1));
	for (int i = 0; i <= p; i++)
		coef[i] = mag * (2 * uniform() - 1);
	strcpy(m->tensors[0].name, "coef");
	m->tensors[0].dtype = PGL_F64;
	m->tensors[0].ndim = 2;
	m->tensors[0].dims[0] = p + 1;
	m->tensors[0].dims[1] = 1;
	m->tensors[0].data = coef;
	extra = pgl_alloc(env, sizeof(float) * rows * cols + 1);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			extra[r * cols + c] = (float) (mag * (1 << (r % 5)) * (2 * uniform() - 1));
	strcpy(m->tensors[1].name, "extra");
	m->tensors[1].dtype = PGL_F32;
	m->tensors[1].ndim = 2;
	m->tensors[1].dims[0] = rows;
	m->tensors[1].dims[1] = cols;
	m->tensors[1].data = extra;
	return m;
}

static double
tget(const pgl_tensor *t, int64_t i)
{
	return t->dtype == PGL_F64 ? ((double *) t->data)[i] : ((float *) t->data)[i];
}

/* largest |a - b| / bound over the tensor; bound(i) per storage */
static double
worst_ratio(const pgl_tensor *orig, const pgl_tensor *got, int32_t storage)
{
	int64_t count = pgl_tensor_count(orig);
	int64_t rows = orig->ndim == 2 ? orig->dims[0] : 1;
	int64_t per = rows > 0 ? count / rows : 0;
	double	worst = 0;

	for (int64_t r = 0; r < rows; r++)
	{
		double maxabs_row = 0, maxabs_all = 0;

		for (int64_t i = r * per; i < (r + 1) * per; i++)
			maxabs_row = fmax(maxabs_row, fabs(tget(orig, i)));
		for (int64_t i = 0; i < count; i++)
			maxabs_all = fmax(maxabs_all, fabs(tget(orig, i)));
		for (int64_t i = r * per; i < (r + 1) * per; i++)
		{
			double a = tget(orig, i), b = tget(got, i), bound;

			switch (storage)
			{
				case PGL_STORE_F32:
					bound = fabs(a) * ldexp(1, -24);
					break;
				case PGL_STORE_F16:
					/* relative 2^-11 for normals, 2^-25 absolute below 2^-14 */
					bound = fmax(fabs(a) * ldexp(1, -11), ldexp(1, -25));
					break;
				case PGL_STORE_I8_ROW:
					/* half a step of the row's scale (+ the scale's float rounding) */
					bound = maxabs_row / 254 * (1 + 1e-6);
					break;
				default:
					bound = maxabs_all / 254 * (1 + 1e-6);
			}
			/* an f32 tensor's decoded value is rounded to float once more */
			if (got->dtype == PGL_F32)
				bound += fabs(a) * ldexp(1, -24);
			if (bound == 0)
				bound = 1e-300;
			worst = fmax(worst, fabs(a - b) / bound);
		}
	}
	return worst;
}

static void
test_f16(void)
{
	int	   bad = 0, nan_bad = 0;
	double worst = 0;

	/* every binary16 value decodes and encodes back to itself */
	for (uint32_t h = 0; h < 65536; h++)
	{
		float f = pgl_f16_to_f32((uint16_t) h);

		if (((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF))
			nan_bad += !isnan(f);
		else
			bad += pgl_f32_to_f16(f) != h;
	}
	OK(bad == 0, "every non-NaN binary16 value round-trips through binary32 (%d differ)", bad);
	OK(nan_bad == 0, "binary16 NaNs decode to NaN");
	OK(pgl_f16_to_f32(0x3C00) == 1.0f && pgl_f16_to_f32(0xC000) == -2.0f &&
		   pgl_f16_to_f32(0x7BFF) == 65504.0f && pgl_f16_to_f32(0x0001) == ldexpf(1, -24) &&
		   pgl_f16_to_f32(0x0400) == ldexpf(1, -14),
	   "known values: 1, -2, 65504, the smallest subnormal and normal");
	OK(pgl_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3C00 &&
		   pgl_f32_to_f16(1.0f + 3 * ldexpf(1, -11)) == 0x3C02 &&
		   pgl_f32_to_f16(ldexpf(1, -25)) == 0x0000 && pgl_f32_to_f16(3 * ldexpf(1, -25)) == 0x0002,
	   "ties round to even (normal and subnormal)");
	OK(pgl_f32_to_f16(65504.0f) == 0x7BFF && pgl_f32_to_f16(65520.0f) == 0x7C00 &&
		   pgl_f32_to_f16(-1e9f) == 0xFC00,
	   "65504 is the largest; 65520 and beyond overflow to infinity");
	OK(pgl_f32_to_f16(-0.0f) == 0x8000, "-0 keeps its sign");

	/* random floats: within half an ulp of binary16 */
	for (int i = 0; i < 200000; i++)
	{
		float  f = (float) ldexp(2 * uniform() - 1, (int) (uniform() * 40) - 24);
		double g = pgl_f16_to_f32(pgl_f32_to_f16(f));
		double bound = fmax(fabs(f) * ldexp(1, -11), ldexp(1, -25));

		worst = fmax(worst, fabs(f - g) / bound);
	}
	OK(worst <= 1.0,
	   "200000 random floats in [2^-24, 2^16): error <= half a binary16 ulp (worst %.3f of the "
	   "bound)",
	   worst);
}

/* write m with a storage on every f64/f32 tensor, read it back; NULL on failure */
static pgl_model *
round_trip(pgl_model *m, int32_t coef_storage, int32_t extra_storage, uint8_t **blob, size_t *len)
{
	pgl_status st;
	pgl_model *r = NULL;

	memset(&st, 0, sizeof(st));
	m->tensors[0].storage = coef_storage;
	m->tensors[1].storage = extra_storage;
	if (pgl_model_write(env, m, blob, len, &st) != PGL_OK)
	{
		printf("# write failed: %s\n", st.msg);
		return NULL;
	}
	if (pgl_model_read(env, *blob, *len, &r, &st) != PGL_OK)
	{
		printf("# read failed: %s\n", st.msg);
		return NULL;
	}
	return r;
}

static void
test_round_trips(void)
{
	static const struct
	{
		int32_t		coef, extra;
		const char *name;
		size_t		coef_bytes, extra_bytes; /* per element, plus scales */
	} cases[] = {
		{PGL_STORE_F32, PGL_STORE_NATIVE, "float32", 4, 4},
		{PGL_STORE_F16, PGL_STORE_F16, "float16", 2, 2},
		{PGL_STORE_I8_TENSOR, PGL_STORE_I8_ROW, "int8 (tensor / row scales)", 1, 1},
		{PGL_STORE_I8_TENSOR, PGL_STORE_I8_TENSOR, "int8 (tensor scales)", 1, 1},
	};
	const int p = 40, rows = 64, cols = 16;
	uint8_t	 *native_blob = NULL;
	size_t	  native_len = 0;

	{
		pgl_model *m = make_model(p, rows, cols, 3.0);
		pgl_model *r = round_trip(m, PGL_STORE_NATIVE, PGL_STORE_NATIVE, &native_blob, &native_len);

		OK(r != NULL && native_blob[6] == 0, "native: flags 0 (a blob older readers read)");
		pgl_model_free(env, r);
		pgl_model_free(env, m);
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		for (int magnitude = 0; magnitude < 3; magnitude++)
		{
			double	   mag = magnitude == 0 ? 3.0 : magnitude == 1 ? 1e-3 : 1000.0;
			pgl_model *m = make_model(p, rows, cols, mag);
			uint8_t	  *blob = NULL, *blob2 = NULL;
			size_t	   len = 0, len2 = 0;
			pgl_model *r = round_trip(m, cases[c].coef, cases[c].extra, &blob, &len);
			pgl_status st;
			size_t	   expect;

			OK(r != NULL, "%s, magnitude %g: written and read back", cases[c].name, mag);
			if (r == NULL)
			{
				pgl_model_free(env, m);
				pgl_free(env, blob);
				continue;
			}
			OK(blob[6] == 1 && r->tensors[0].dtype == PGL_F64 && r->tensors[1].dtype == PGL_F32 &&
				   r->tensors[0].storage == cases[c].coef &&
				   r->tensors[1].storage == cases[c].extra,
			   "%s: flag set, decoded into the logical dtypes, storage remembered", cases[c].name);
			{
				double w0 = worst_ratio(&m->tensors[0], &r->tensors[0], cases[c].coef);
				double w1 = cases[c].extra == PGL_STORE_NATIVE
								? 0
								: worst_ratio(&m->tensors[1], &r->tensors[1], cases[c].extra);

				OK(w0 <= 1.0 && w1 <= 1.0,
				   "%s, magnitude %g: every value within its error bound (worst %.3f, %.3f of it)",
				   cases[c].name, mag, w0, w1);
			}
			/* the size: native minus what the encoding saves */
			expect = native_len - (size_t) (p + 1) * (8 - cases[c].coef_bytes) + 8 +
					 (cases[c].coef == PGL_STORE_I8_TENSOR ? 4 : 0);
			if (cases[c].extra != PGL_STORE_NATIVE)
				expect = expect - (size_t) rows * cols * (4 - cases[c].extra_bytes) + 8 +
						 (cases[c].extra == PGL_STORE_I8_ROW	  ? 4 * rows
						  : cases[c].extra == PGL_STORE_I8_TENSOR ? 4
																  : 0);
			OK(len == expect, "%s: %zu bytes (native %zu), as the layout says (%zu)", cases[c].name,
			   len, native_len, expect);

			/* canonical: writing what was read gives the same bytes */
			memset(&st, 0, sizeof(st));
			OK(pgl_model_write(env, r, &blob2, &len2, &st) == PGL_OK && len2 == len &&
				   memcmp(blob, blob2, len) == 0,
			   "%s, magnitude %g: read then written again gives identical bytes", cases[c].name,
			   mag);
			pgl_free(env, blob2);
			pgl_free(env, blob);
			pgl_model_free(env, r);
			pgl_model_free(env, m);
		}
	}
	pgl_free(env, native_blob);

	/* zero rows, a zero tensor, values below the smallest normal scale */
	{
		pgl_model *m = make_model(3, 4, 3, 1.0);
		float	  *e = m->tensors[1].data;
		double	  *w = m->tensors[0].data;
		uint8_t	  *blob = NULL, *blob2 = NULL;
		size_t	   len = 0, len2 = 0;
		pgl_model *r;
		pgl_status st;

		for (int i = 0; i < 3; i++)
			e[3 + i] = 0; /* row 1 all zero */
		e[6] = 1e-40f;	  /* row 2 tiny: scale below FLT_MIN, stored as 0 */
		e[7] = e[8] = 0;
		for (int i = 0; i < 4; i++)
			w[i] = 0;
		r = round_trip(m, PGL_STORE_I8_TENSOR, PGL_STORE_I8_ROW, &blob, &len);
		OK(r != NULL && ((float *) r->tensors[1].data)[4] == 0 &&
			   ((float *) r->tensors[1].data)[6] == 0 && r->tensors[1].scales[1] == 0 &&
			   ((double *) r->tensors[0].data)[2] == 0,
		   "int8: an all-zero row or tensor has scale 0; values below 127 * FLT_MIN become 0");
		memset(&st, 0, sizeof(st));
		OK(r != NULL && pgl_model_write(env, r, &blob2, &len2, &st) == PGL_OK && len2 == len &&
			   memcmp(blob, blob2, len) == 0,
		   "and re-encode identically");
		pgl_free(env, blob);
		pgl_free(env, blob2);
		pgl_model_free(env, r);
		pgl_model_free(env, m);
	}

	/* what cannot be stored is refused by the writer */
	{
		pgl_model *m = make_model(3, 2, 2, 1.0);
		uint8_t	  *blob = NULL;
		size_t	   len = 0;
		pgl_status st;
		pgl_rc	   rc;

		((double *) m->tensors[0].data)[1] = 70000;
		m->tensors[0].storage = PGL_STORE_F16;
		memset(&st, 0, sizeof(st));
		rc = pgl_model_write(env, m, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "beyond the float16 range") && blob == NULL,
		   "float16: 70000 is refused: %s", st.msg);
		((double *) m->tensors[0].data)[1] = 1e300;
		m->tensors[0].storage = PGL_STORE_F32;
		rc = pgl_model_write(env, m, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "beyond the float32 range"),
		   "float32: 1e300 is refused: %s", st.msg);
		m->tensors[0].storage = PGL_STORE_I8_TENSOR;
		rc = pgl_model_write(env, m, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "too large for int8 storage"),
		   "int8: 1e300 needs a scale beyond float32, refused: %s", st.msg);
		m->tensors[0].storage = PGL_STORE_F32;
		((double *) m->tensors[0].data)[1] = 1;
		m->tensors[1].storage = PGL_STORE_F32;
		rc = pgl_model_write(env, m, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "float32 already"),
		   "float32 storage of an f32 tensor is refused: %s", st.msg);
		m->tensors[1].storage = PGL_STORE_NATIVE;
		m->tensors[0].storage = 9;
		rc = pgl_model_write(env, m, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "unknown storage 9"), "unknown storage: %s",
		   st.msg);
		pgl_model_free(env, m);
	}
}

static void
test_set_storage(void)
{
	pgl_model *m = make_model(3, 4, 3, 1.0);
	pgl_status st;
	pgl_rc	   rc;

	/* make "extra" look like ALS factors and add centroids-like f64 matrix */
	strcpy(m->tensors[1].name, "item_factors");
	memset(&st, 0, sizeof(st));
	rc = pgl_model_set_storage(env, m, PGL_STORE_F32, &st);
	OK(rc == PGL_OK && m->tensors[0].storage == PGL_STORE_F32 &&
		   m->tensors[1].storage == PGL_STORE_NATIVE,
	   "float32: f64 coef is encoded, f32 factors stay native");
	rc = pgl_model_set_storage(env, m, PGL_STORE_F16, &st);
	OK(rc == PGL_OK && m->tensors[0].storage == PGL_STORE_F16 &&
		   m->tensors[1].storage == PGL_STORE_F16,
	   "float16: both");
	rc = pgl_model_set_storage(env, m, PGL_STORE_I8_ROW, &st);
	OK(rc == PGL_OK && m->tensors[0].storage == PGL_STORE_I8_TENSOR &&
		   m->tensors[1].storage == PGL_STORE_I8_ROW,
	   "int8: a [p+1, 1] coef gets one scale, a [rows, k] matrix one per row");
	rc = pgl_model_set_storage(env, m, PGL_STORE_NATIVE, &st);
	OK(rc == PGL_OK && m->tensors[0].storage == 0 && m->tensors[1].storage == 0, "native: none");
	strcpy(m->tensors[1].name, "extra");
	rc = pgl_model_set_storage(env, m, PGL_STORE_F16, &st);
	OK(rc == PGL_OK && m->tensors[1].storage == PGL_STORE_NATIVE,
	   "a tensor that is not a weight or factor is never encoded");
	((double *) m->tensors[0].data)[0] = 1e6;
	rc = pgl_model_set_storage(env, m, PGL_STORE_F16, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, "\"coef\" holds 1e+06, beyond the float16 range"),
	   "a value beyond float16 is refused, naming the tensor: %s", st.msg);
	rc = pgl_model_set_storage(env, m, 7, &st);
	OK(rc == PGL_ERR_INVALID, "an unknown kind is refused");
	pgl_model_free(env, m);

	/* the values in memory become exactly what a write and a read give back */
	{
		static const int32_t	 kinds[] = {PGL_STORE_F32, PGL_STORE_F16, PGL_STORE_I8_ROW};
		static const char *const names[] = {"float32", "float16", "int8"};

		for (int k = 0; k < 3; k++)
		{
			pgl_model *q = make_model(10, 50, 8, 2.0);
			pgl_model *r = NULL;
			uint8_t	  *blob = NULL;
			size_t	   len = 0;
			bool	   same = true;

			strcpy(q->tensors[1].name, "user_factors");
			memset(&st, 0, sizeof(st));
			rc = pgl_model_set_storage(env, q, kinds[k], &st);
			if (rc == PGL_OK)
				rc = pgl_model_write(env, q, &blob, &len, &st);
			if (rc == PGL_OK)
				rc = pgl_model_read(env, blob, len, &r, &st);
			for (int t = 0; rc == PGL_OK && t < 2; t++)
				same &= memcmp(q->tensors[t].data, r->tensors[t].data,
							   pgl_tensor_count(&q->tensors[t]) *
								   (q->tensors[t].dtype == PGL_F64 ? 8 : 4)) == 0;
			OK(rc == PGL_OK && same,
			   "%s: after pgl_model_set_storage the model in memory is bit for bit the stored one",
			   names[k]);
			/* setting it again changes nothing (f64: bit for bit) */
			if (rc == PGL_OK)
			{
				double before = ((double *) q->tensors[0].data)[3];

				rc = pgl_model_set_storage(env, q, kinds[k], &st);
				OK(rc == PGL_OK && ((double *) q->tensors[0].data)[3] == before,
				   "%s: storing a stored model again is the identity", names[k]);
			}
			pgl_free(env, blob);
			pgl_model_free(env, r);
			pgl_model_free(env, q);
		}
	}
}

/* ---------- the reader's refusals ---------- */

static void
restamp(uint8_t *b, size_t len)
{
	uint32_t crc;

	b[8] = (uint8_t) len;
	b[9] = (uint8_t) (len >> 8);
	b[10] = (uint8_t) (len >> 16);
	b[11] = (uint8_t) (len >> 24);
	memset(b + 12, 0, 4);
	crc = pgl_crc32c(0, b, len - 4);
	for (int i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t) (crc >> (8 * i));
}

static size_t
find(const uint8_t *b, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(b + i, s, n) == 0)
			return i;
	return 0;
}

static void
expect_corrupt(const uint8_t *b, size_t len, const char *msg, const char *what)
{
	pgl_model *m = NULL;
	pgl_status st;
	pgl_rc	   rc;

	memset(&st, 0, sizeof(st));
	rc = pgl_model_read(env, b, len, &m, &st);
	OK(rc == PGL_ERR_CORRUPT && m == NULL && strstr(st.msg, msg) != NULL, "refuses %s: \"%s\"",
	   what, st.msg);
	pgl_model_free(env, m);
}

/* random byte changes from start on: refused, or re-encoded identically */
static void
flip_test(const uint8_t *blob, size_t len, size_t start, const char *what)
{
	uint8_t *b = malloc(len);
	int		 flips_ok = 0, flips_bad = 0;

	for (int i = 0; i < 20000; i++)
	{
		pgl_model *x = NULL;
		pgl_status st;
		size_t	   at = start + next_u64() % (len - 4 - start);

		memcpy(b, blob, len);
		b[at] = (uint8_t) next_u64();
		restamp(b, len);
		memset(&st, 0, sizeof(st));
		if (pgl_model_read(env, b, len, &x, &st) == PGL_OK)
		{
			uint8_t *w = NULL;
			size_t	 wl = 0;

			if (pgl_model_write(env, x, &w, &wl, &st) == PGL_OK && wl == len &&
				memcmp(w, b, len) == 0)
				flips_ok++;
			else
			{
				if (flips_bad++ == 0)
					printf("# offset %zu -> %u: %s\n", at, b[at], st.msg);
			}
			pgl_free(env, w);
			pgl_model_free(env, x);
		}
	}
	OK(flips_bad == 0,
	   "%s: 20000 random byte changes: every blob the reader accepts (%d) re-encodes to the same "
	   "bytes",
	   what, flips_ok);
	free(b);
}

static void
test_refusals(void)
{
	pgl_model *m = make_model(3, 4, 3, 1.0);
	uint8_t	  *blob = NULL, *b;
	size_t	   len = 0;
	pgl_model *r = round_trip(m, PGL_STORE_I8_TENSOR, PGL_STORE_I8_ROW, &blob, &len);
	size_t	   coef, extra; /* offsets of the logical dtype fields */
	int		   truncs = 0;

	pgl_model_free(env, r);
	/* name, dtype 6, ndim 2, dims: then logical dtype, storage, scales, codes */
	coef = find(blob, len, "coef") + 4 + 4 + 4 + 16;
	extra = find(blob, len, "extra") + 5 + 4 + 4 + 16;
	b = malloc(len);

	memcpy(b, blob, len);
	b[6] = 0;
	restamp(b, len);
	expect_corrupt(b, len, "does not have the encoded-tensors flag",
				   "an encoded tensor without the flag");

	memcpy(b, blob, len);
	b[coef] = 2; /* f32 logical with float32 storage is fine for int8 ... */
	b[coef + 4] = 1;
	restamp(b, len);
	expect_corrupt(b, len, "invalid storage 1", "float32 storage of an f32 tensor");

	memcpy(b, blob, len);
	b[coef] = 3;
	restamp(b, len);
	expect_corrupt(b, len, "only f64 (1) and f32 (2) can be encoded", "an encoded i32 tensor");

	memcpy(b, blob, len);
	b[coef + 4] = 4;
	b[coef - 16 - 4] = 1; /* ndim 1 ... the dims no longer line up either */
	restamp(b, len);
	expect_corrupt(b, len, "", "per-row storage of a 1-d tensor");

	memcpy(b, blob, len);
	b[coef + 4] = 9;
	restamp(b, len);
	expect_corrupt(b, len, "invalid storage 9", "an unknown storage");

	/* scales: NaN, negative, subnormal; codes: -128, a row without +-127, nonzero under scale 0 */
	memcpy(b, blob, len);
	memcpy(b + extra + 8, &(float){NAN}, 4);
	restamp(b, len);
	expect_corrupt(b, len, "invalid scale", "a NaN scale");
	memcpy(b, blob, len);
	memcpy(b + extra + 8, &(float){-0.5f}, 4);
	restamp(b, len);
	expect_corrupt(b, len, "invalid scale", "a negative scale");
	memcpy(b, blob, len);
	memcpy(b + extra + 8, &(float){1e-40f}, 4);
	restamp(b, len);
	expect_corrupt(b, len, "invalid scale", "a subnormal scale");
	memcpy(b, blob, len);
	memcpy(b + extra + 8, &(float){0.0f}, 4);
	restamp(b, len);
	expect_corrupt(b, len, "has scale 0 but largest code", "a zero scale over nonzero codes");
	{
		size_t codes = extra + 8 + 4 * 4; /* 4 rows of 3 */
		int	   at = -1;

		memcpy(b, blob, len);
		for (int i = 0; i < 3; i++)
			if (b[codes + i] == 127 || b[codes + i] == (uint8_t) -127)
				at = i;
		b[codes + at] = 0x80;
		restamp(b, len);
		expect_corrupt(b, len, "int8 code -128", "the code -128");
		b[codes + at] = 100;
		restamp(b, len);
		expect_corrupt(b, len, "(needs 127)", "a row whose largest code is not 127");
	}

	/* every truncation of the body, re-stamped: refused, nothing leaked */
	for (size_t cut = 20; cut < len - 4; cut++)
	{
		pgl_model *x = NULL;
		pgl_status st;
		uint8_t	  *t = malloc(cut + 4);

		memcpy(t, blob, cut);
		memset(t + cut, 0, 4);
		restamp(t, cut + 4);
		memset(&st, 0, sizeof(st));
		truncs += pgl_model_read(env, t, cut + 4, &x, &st) == PGL_ERR_CORRUPT && x == NULL;
		free(t);
	}
	OK(truncs == (int) (len - 4 - 20), "every truncation of a quantized blob is refused (%d)",
	   truncs);

	flip_test(blob, len, coef - 16, "int8");
	free(b);
	pgl_free(env, blob);
	pgl_model_free(env, m);

	for (int k = 0; k < 2; k++)
	{
		pgl_model *q = make_model(3, 4, 3, 1.0);
		pgl_model *x;

		x = round_trip(q, k ? PGL_STORE_F32 : PGL_STORE_F16, k ? PGL_STORE_NATIVE : PGL_STORE_F16,
					   &blob, &len);
		pgl_model_free(env, x);
		flip_test(blob, len, find(blob, len, "coef"), k ? "float32" : "float16");
		pgl_free(env, blob);
		pgl_model_free(env, q);
	}
}

/* the docs' example: the worked example of model-format.md stored as float16 */
static void
test_doc_example(void)
{
	static const uint8_t tail[] = {4, 0, 0, 0, 'c', 'o', 'e', 'f', 6, 0, 0,	   0,	 2,	   0,	0,
								   0, 2, 0, 0, 0,	0,	 0,	  0,   0, 1, 0,	   0,	 0,	   0,	0,
								   0, 0, 1, 0, 0,	0,	 2,	  0,   0, 0, 0x00, 0x40, 0x00, 0x3c};
	pgl_model			*m = pgl_alloc0(env, sizeof(pgl_model));
	double				*coef = pgl_alloc(env, 2 * sizeof(double));
	uint8_t				*blob = NULL;
	size_t				 len = 0;
	pgl_status			 st;

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 1;
	m->features = pgl_alloc0(env, sizeof(pgl_feature));
	m->features[0].name = xstrdup("x");
	m->features[0].type_name = xstrdup("float8");
	m->features[0].kind = PGL_FEATURE_NUMERIC;
	m->features[0].impute = 0.5;
	m->n_inputs = 1;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("float8");
	m->n_tensors = 1;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	strcpy(m->tensors[0].name, "coef");
	m->tensors[0].dtype = PGL_F64;
	m->tensors[0].ndim = 2;
	m->tensors[0].dims[0] = 2;
	m->tensors[0].dims[1] = 1;
	coef[0] = 2.0;
	coef[1] = 1.0;
	m->tensors[0].data = coef;
	m->tensors[0].storage = PGL_STORE_F16;
	memset(&st, 0, sizeof(st));
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK && len == 138 && blob[6] == 1 &&
		   blob[7] == 0 && memcmp(blob + 90, tail, sizeof(tail)) == 0,
	   "model-format.md: the worked example as float16 is 138 bytes, flag 1, coef as documented");
	pgl_free(env, blob);
	pgl_model_free(env, m);
}

int
main(void)
{
	test_doc_example();
	test_f16();
	test_round_trips();
	test_set_storage();
	test_refusals();
	return unit_done();
}
