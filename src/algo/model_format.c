/*-------------------------------------------------------------------------
 *
 * model_format.c
 *	  The pg_learn model binary format: write, read and validate models,
 *	  and CRC-32C.
 *
 * A model blob is
 *
 *		header (16 bytes) | body | CRC-32C (4 bytes)
 *
 * with every integer and float little-endian and encoded byte by byte, so
 * the layout depends neither on the host's byte order nor on its struct
 * padding.  docs/model-format.md describes the layout field by field.
 *
 * The reader treats its input as hostile: every count is checked against
 * the bytes that remain before anything is allocated for it, every length
 * and tensor shape is checked for overflow, and the decoded model must pass
 * the same structural rules the writer enforces plus the algorithm's own
 * invariants (pgl_algo_validate).  On failure everything allocated so far
 * is released through pgl_model_free.
 *
 * Tensor dtypes: f64, f32, i32, i64 (fixed-size little-endian elements) and
 * str (each element a string, read into a NUL-terminated allocation; the
 * tensor's data is then a char *[count] array).
 *
 * Encoded tensors (on-disk dtype 6, only in blobs whose header has flag
 * PGL_FORMAT_FLAG_ENCODED) hold f64 or f32 data as float32, float16 or int8
 * with scales; the reader decodes them once into their dtype and keeps the
 * int8 scales, so that writing the model again gives the same bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "model_format.h"
#include "classifier.h"
#include "drift.h"
#include "algorithms.h"
#include "prep.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a date or timestamp feature (format version 2) */
static inline bool
is_time(const pgl_feature *f)
{
	return f->kind == PGL_FEATURE_DATE || f->kind == PGL_FEATURE_TIMESTAMP;
}

/* a kind of format version 2: date, timestamp, array element, text, tokens */
static inline bool
is_v2(const pgl_feature *f)
{
	return is_time(f) || f->kind == PGL_FEATURE_ELEMENT || f->kind == PGL_FEATURE_TEXT ||
		   f->kind == PGL_FEATURE_TOKENS;
}

/* on-disk dtype of an encoded tensor (in memory it has its logical dtype) */
#define DTYPE_ENCODED 6

/* fixed sizes of the encoding */
#define HEADER_SIZE	   16 /* magic, version, flags, total length */
#define CRC_SIZE	   4
#define MAX_STRING_LEN 65535 /* bytes per string, excluding the NUL */

/* minimum encoded size of repeated elements, for checking counts */
#define MIN_STRING_SIZE 4 /* u32 length, no bytes */
#define MIN_FEATURE_SIZE                                                                           \
	28					   /* 2 empty strings, kind, impute, impute
								 * category, n_categories */
#define MIN_TENSOR_SIZE 12 /* empty name, dtype, ndim */

/* smallest valid-looking blob: header, fixed body fields, CRC */
#define MIN_BODY_SIZE                                                                              \
	32 /* algorithm, task, n_inputs, n_features,
								 * 2 empty strings, n_classes, n_tensors */

/* ---------- CRC-32C ---------- */

/*
 * CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78,
 * initial value and final xor 0xFFFFFFFF.  Table-driven, one byte at a time.
 */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xF26B8303, 0xE13B70F7, 0x1350F3F4, 0xC79A971F, 0x35F1141C, 0x26A1E7E8, 0xD4CA64EB,
	0x8AD958CF, 0x78B2DBCC, 0x6BE22838, 0x9989AB3B, 0x4D43CFD0, 0xBF284CD3, 0xAC78BF27, 0x5E133C24,
	0x105EC76F, 0xE235446C, 0xF165B798, 0x030E349B, 0xD7C45070, 0x25AFD373, 0x36FF2087, 0xC494A384,
	0x9A879FA0, 0x68EC1CA3, 0x7BBCEF57, 0x89D76C54, 0x5D1D08BF, 0xAF768BBC, 0xBC267848, 0x4E4DFB4B,
	0x20BD8EDE, 0xD2D60DDD, 0xC186FE29, 0x33ED7D2A, 0xE72719C1, 0x154C9AC2, 0x061C6936, 0xF477EA35,
	0xAA64D611, 0x580F5512, 0x4B5FA6E6, 0xB93425E5, 0x6DFE410E, 0x9F95C20D, 0x8CC531F9, 0x7EAEB2FA,
	0x30E349B1, 0xC288CAB2, 0xD1D83946, 0x23B3BA45, 0xF779DEAE, 0x05125DAD, 0x1642AE59, 0xE4292D5A,
	0xBA3A117E, 0x4851927D, 0x5B016189, 0xA96AE28A, 0x7DA08661, 0x8FCB0562, 0x9C9BF696, 0x6EF07595,
	0x417B1DBC, 0xB3109EBF, 0xA0406D4B, 0x522BEE48, 0x86E18AA3, 0x748A09A0, 0x67DAFA54, 0x95B17957,
	0xCBA24573, 0x39C9C670, 0x2A993584, 0xD8F2B687, 0x0C38D26C, 0xFE53516F, 0xED03A29B, 0x1F682198,
	0x5125DAD3, 0xA34E59D0, 0xB01EAA24, 0x42752927, 0x96BF4DCC, 0x64D4CECF, 0x77843D3B, 0x85EFBE38,
	0xDBFC821C, 0x2997011F, 0x3AC7F2EB, 0xC8AC71E8, 0x1C661503, 0xEE0D9600, 0xFD5D65F4, 0x0F36E6F7,
	0x61C69362, 0x93AD1061, 0x80FDE395, 0x72966096, 0xA65C047D, 0x5437877E, 0x4767748A, 0xB50CF789,
	0xEB1FCBAD, 0x197448AE, 0x0A24BB5A, 0xF84F3859, 0x2C855CB2, 0xDEEEDFB1, 0xCDBE2C45, 0x3FD5AF46,
	0x7198540D, 0x83F3D70E, 0x90A324FA, 0x62C8A7F9, 0xB602C312, 0x44694011, 0x5739B3E5, 0xA55230E6,
	0xFB410CC2, 0x092A8FC1, 0x1A7A7C35, 0xE811FF36, 0x3CDB9BDD, 0xCEB018DE, 0xDDE0EB2A, 0x2F8B6829,
	0x82F63B78, 0x709DB87B, 0x63CD4B8F, 0x91A6C88C, 0x456CAC67, 0xB7072F64, 0xA457DC90, 0x563C5F93,
	0x082F63B7, 0xFA44E0B4, 0xE9141340, 0x1B7F9043, 0xCFB5F4A8, 0x3DDE77AB, 0x2E8E845F, 0xDCE5075C,
	0x92A8FC17, 0x60C37F14, 0x73938CE0, 0x81F80FE3, 0x55326B08, 0xA759E80B, 0xB4091BFF, 0x466298FC,
	0x1871A4D8, 0xEA1A27DB, 0xF94AD42F, 0x0B21572C, 0xDFEB33C7, 0x2D80B0C4, 0x3ED04330, 0xCCBBC033,
	0xA24BB5A6, 0x502036A5, 0x4370C551, 0xB11B4652, 0x65D122B9, 0x97BAA1BA, 0x84EA524E, 0x7681D14D,
	0x2892ED69, 0xDAF96E6A, 0xC9A99D9E, 0x3BC21E9D, 0xEF087A76, 0x1D63F975, 0x0E330A81, 0xFC588982,
	0xB21572C9, 0x407EF1CA, 0x532E023E, 0xA145813D, 0x758FE5D6, 0x87E466D5, 0x94B49521, 0x66DF1622,
	0x38CC2A06, 0xCAA7A905, 0xD9F75AF1, 0x2B9CD9F2, 0xFF56BD19, 0x0D3D3E1A, 0x1E6DCDEE, 0xEC064EED,
	0xC38D26C4, 0x31E6A5C7, 0x22B65633, 0xD0DDD530, 0x0417B1DB, 0xF67C32D8, 0xE52CC12C, 0x1747422F,
	0x49547E0B, 0xBB3FFD08, 0xA86F0EFC, 0x5A048DFF, 0x8ECEE914, 0x7CA56A17, 0x6FF599E3, 0x9D9E1AE0,
	0xD3D3E1AB, 0x21B862A8, 0x32E8915C, 0xC083125F, 0x144976B4, 0xE622F5B7, 0xF5720643, 0x07198540,
	0x590AB964, 0xAB613A67, 0xB831C993, 0x4A5A4A90, 0x9E902E7B, 0x6CFBAD78, 0x7FAB5E8C, 0x8DC0DD8F,
	0xE330A81A, 0x115B2B19, 0x020BD8ED, 0xF0605BEE, 0x24AA3F05, 0xD6C1BC06, 0xC5914FF2, 0x37FACCF1,
	0x69E9F0D5, 0x9B8273D6, 0x88D28022, 0x7AB90321, 0xAE7367CA, 0x5C18E4C9, 0x4F48173D, 0xBD23943E,
	0xF36E6F75, 0x0105EC76, 0x12551F82, 0xE03E9C81, 0x34F4F86A, 0xC69F7B69, 0xD5CF889D, 0x27A40B9E,
	0x79B737BA, 0x8BDCB4B9, 0x988C474D, 0x6AE7C44E, 0xBE2DA0A5, 0x4C4623A6, 0x5F16D052, 0xAD7D5351,
};

/*
 * Update a finished CRC-32C with more data.  Start with crc = 0; chaining
 * works: pgl_crc32c(pgl_crc32c(0, a, na), b, nb) is the CRC of a || b.
 */
uint32_t
pgl_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/* ---------- little-endian encoding ---------- */

static inline uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) |
		   ((uint32_t) p[3] << 24);
}

static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) ((uint16_t) p[0] | ((uint16_t) p[1] << 8));
}

static inline uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t) get_u32(p) | ((uint64_t) get_u32(p + 4) << 32);
}

static inline void
put_u32_at(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

static inline void
put_u64_at(uint8_t *p, uint64_t v)
{
	put_u32_at(p, (uint32_t) v);
	put_u32_at(p + 4, (uint32_t) (v >> 32));
}

/*
 * Encoded size of one element of a tensor of this dtype, or for PGL_STR the
 * minimum (an empty string: its u32 length); 0 for an unknown dtype.
 */
static size_t
dtype_size(int32_t dtype)
{
	switch (dtype)
	{
		case PGL_F64:
		case PGL_I64:
			return 8;
		case PGL_F32:
		case PGL_I32:
			return 4;
		case PGL_STR:
			return MIN_STRING_SIZE;
		case PGL_U8:
			return 1;
		default:
			return 0;
	}
}

/*
 * Number of elements of a tensor whose dims are all >= 0, or -1 if the
 * product of its non-zero dims times 8 would overflow int64 (such a shape is
 * invalid even when another dim is zero, so that pgl_tensor_count can never
 * overflow).
 */
static int64_t
checked_count(int32_t ndim, const int64_t *dims)
{
	int64_t nonzero = 1;
	bool	empty = false;

	for (int32_t d = 0; d < ndim; d++)
	{
		if (dims[d] == 0)
		{
			empty = true;
			continue;
		}
		if (dims[d] < 0 || nonzero > (INT64_MAX / 8) / dims[d])
			return -1;
		nonzero *= dims[d];
	}
	return empty ? 0 : nonzero;
}

/* ---------- encoded (quantized) tensors ---------- */

uint16_t
pgl_f32_to_f16(float f)
{
	uint32_t x, sign, exp, mant, half, rem;
	int32_t	 e;

	memcpy(&x, &f, sizeof(x));
	sign = (x >> 16) & 0x8000;
	exp = (x >> 23) & 0xFF;
	mant = x & 0x7FFFFF;
	if (exp == 0xFF) /* infinity, NaN (quiet) */
		return (uint16_t) (sign | 0x7C00 | (mant ? 0x200 : 0));
	e = (int32_t) exp - 127 + 15;
	if (e >= 31)
		return (uint16_t) (sign | 0x7C00); /* overflow */
	if (e <= 0)
	{
		/* a binary16 subnormal: m * 2^-24 */
		uint32_t shift, halfway;

		if (e < -10)
			return (uint16_t) sign; /* below half the smallest subnormal */
		mant |= 0x800000;
		shift = (uint32_t) (14 - e);
		half = mant >> shift;
		rem = mant & ((1u << shift) - 1);
		halfway = 1u << (shift - 1);
		if (rem > halfway || (rem == halfway && (half & 1)))
			half++;
		return (uint16_t) (sign | half);
	}
	half = ((uint32_t) e << 10) | (mant >> 13);
	rem = mant & 0x1FFF;
	/* a carry into the exponent is right, up to infinity */
	if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
		half++;
	return (uint16_t) (sign | half);
}

float
pgl_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1F;
	uint32_t mant = h & 0x3FF;
	uint32_t x;
	float	 f;

	if (exp == 0)
	{
		if (mant == 0)
			x = sign;
		else
		{
			/* subnormal: normalize */
			uint32_t e = 0;

			while (!(mant & 0x400))
			{
				mant <<= 1;
				e++;
			}
			mant &= 0x3FF;
			x = sign | ((127 - 15 + 1 - e) << 23) | (mant << 13);
		}
	}
	else if (exp == 31)
		x = sign | 0x7F800000 | (mant << 13);
	else
		x = sign | ((exp + 112) << 23) | (mant << 13);
	memcpy(&f, &x, sizeof(f));
	return f;
}

/* element i of a f64 or f32 tensor, as double */
static inline double
elem(const pgl_tensor *t, int64_t i)
{
	return t->dtype == PGL_F64 ? ((const double *) t->data)[i] : ((const float *) t->data)[i];
}

/* bytes per element of an encoding */
static size_t
storage_esize(int32_t storage)
{
	switch (storage)
	{
		case PGL_STORE_F32:
			return 4;
		case PGL_STORE_F16:
			return 2;
		case PGL_STORE_I8_TENSOR:
		case PGL_STORE_I8_ROW:
			return 1;
		default:
			return 0;
	}
}

/* number of int8 scales: one per tensor, or per row (dims[0]) */
static int64_t
storage_scales(const pgl_tensor *t)
{
	if (t->storage == PGL_STORE_I8_TENSOR)
		return 1;
	if (t->storage == PGL_STORE_I8_ROW)
		return t->dims[0];
	return 0;
}

/*
 * The int8 scale of elements [start, start + n): their largest magnitude
 * over 127, as float; 0 when that is 0 or below the smallest normal float
 * (the values then store as 0), so the largest element always stores as
 * +-127.  -1 when it does not fit a float.
 */
static float
int8_scale(const pgl_tensor *t, int64_t start, int64_t n)
{
	double maxabs = 0, s;

	for (int64_t i = start; i < start + n; i++)
		if (fabs(elem(t, i)) > maxabs)
			maxabs = fabs(elem(t, i));
	s = maxabs / 127.0;
	if (s > FLT_MAX)
		return -1;
	if ((float) s < FLT_MIN)
		return 0;
	return (float) s;
}

static inline int32_t
int8_code(double x, float scale)
{
	double q;

	if (scale == 0)
		return 0;
	q = nearbyint(x / scale);
	return q > 127 ? 127 : q < -127 ? -127 : (int32_t) q;
}

/*
 * Can the tensor's values be stored as its storage says?  (The writer
 * checks before it writes, so that it never writes what the reader would
 * refuse.)
 */
static pgl_rc
check_encodable(const pgl_tensor *t, int32_t index, pgl_rc bad, pgl_status *st)
{
	int64_t count = pgl_tensor_count(t);

	for (int64_t i = 0; i < count; i++)
	{
		double x = elem(t, i);

		if (!isfinite(x))
			return pgl_fail(
				st, bad, "model tensor %d holds a non-finite value, which %s storage cannot hold",
				(int) index,
				t->storage == PGL_STORE_F32	  ? "float32"
				: t->storage == PGL_STORE_F16 ? "float16"
											  : "int8");
		if (t->storage == PGL_STORE_F32 && !isfinite((float) x))
			return pgl_fail(st, bad, "model tensor \"%s\" holds %g, beyond the float32 range",
							t->name, x);
		if (t->storage == PGL_STORE_F16 && (pgl_f32_to_f16((float) x) & 0x7C00) == 0x7C00)
			return pgl_fail(st, bad,
							"model tensor \"%s\" holds %g, beyond the float16 range (65504)",
							t->name, x);
	}
	if (t->scales == NULL && (t->storage == PGL_STORE_I8_TENSOR || t->storage == PGL_STORE_I8_ROW))
	{
		int64_t rows = storage_scales(t);
		int64_t per = rows > 0 ? count / rows : 0;

		for (int64_t r = 0; r < rows; r++)
			if (int8_scale(t, r * per, per) < 0)
				return pgl_fail(st, bad,
								"model tensor \"%s\" holds values too large for int8 storage",
								t->name);
	}
	return PGL_OK;
}

static bool
learns_missing(int32_t algorithm)
{
	const pgl_algo_ops *ops = pgl_algo_by_id(algorithm);

	return ops != NULL && ops->learns_missing;
}

/*
 * The tensors "storage" encodes.  A tree's split thresholds stay binary32:
 * a coarser threshold would send rows down the other branch.
 */
static bool
quantizable(const pgl_tensor *t)
{
	static const char *const names[] = {"coef",			"centroids",  "user_factors",
										"item_factors", "nn_params",  "leaf_value",
										"cover",		"split_gain", "nn_csr_val"};

	if (t->dtype != PGL_F64 && t->dtype != PGL_F32)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(t->name, names[i]) == 0)
			return true;
	return false;
}

/*
 * Replace t's values by what storing them as t->storage gives back, keeping
 * the int8 scales (so that the writer uses the same ones): afterwards the
 * model in memory is exactly the model a read of its blob gives.
 */
static pgl_rc
quantize_in_place(const pgl_env *env, pgl_tensor *t, pgl_status *st)
{
	int64_t count = pgl_tensor_count(t);
	int64_t n_scales = storage_scales(t);
	int64_t per = n_scales > 0 ? count / n_scales : 0;

	if (n_scales > 0)
	{
		t->scales = pgl_alloc(env, sizeof(float) * (size_t) n_scales);
		if (t->scales == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		for (int64_t r = 0; r < n_scales; r++)
			t->scales[r] = int8_scale(t, r * per, per);
	}
	for (int64_t i = 0; i < count; i++)
	{
		double x = elem(t, i);

		if (t->storage == PGL_STORE_F32)
			x = (float) x;
		else if (t->storage == PGL_STORE_F16)
			x = pgl_f16_to_f32(pgl_f32_to_f16((float) x));
		else
		{
			float s = t->scales[per > 0 ? i / per : 0];

			x = (double) int8_code(x, s) * s;
		}
		if (t->dtype == PGL_F64)
			((double *) t->data)[i] = x;
		else
			((float *) t->data)[i] = (float) x;
	}
	return PGL_OK;
}

pgl_rc
pgl_model_set_storage(const pgl_env *env, pgl_model *m, int32_t kind, pgl_status *st)
{
	if (kind != PGL_STORE_NATIVE && kind != PGL_STORE_F32 && kind != PGL_STORE_F16 &&
		kind != PGL_STORE_I8_ROW)
		return pgl_fail(st, PGL_ERR_INVALID, "unknown storage kind %d", (int) kind);

	/* first check every tensor, so that a refusal changes nothing */
	for (int pass = 0; pass < 2; pass++)
		for (int32_t i = 0; i < m->n_tensors; i++)
		{
			pgl_tensor *t = &m->tensors[i];
			pgl_tensor	probe;
			int32_t		storage = PGL_STORE_NATIVE;
			pgl_rc		rc;

			if (!quantizable(t))
				continue;
			if (kind == PGL_STORE_F32)
				storage = t->dtype == PGL_F64 ? PGL_STORE_F32 : PGL_STORE_NATIVE;
			else if (kind == PGL_STORE_F16)
				storage = PGL_STORE_F16;
			else if (kind == PGL_STORE_I8_ROW)
				storage = t->ndim == 2 && t->dims[1] >= 2 ? PGL_STORE_I8_ROW : PGL_STORE_I8_TENSOR;
			if (pass == 0)
			{
				probe = *t;
				probe.storage = storage;
				probe.scales = NULL;
				rc = check_encodable(&probe, i, PGL_ERR_INVALID, st);
				if (rc != PGL_OK)
					return rc;
				continue;
			}
			/* scales kept from a read belong to the old storage */
			pgl_free(env, t->scales);
			t->scales = NULL;
			t->storage = storage;
			if (storage != PGL_STORE_NATIVE)
			{
				rc = quantize_in_place(env, t, st);
				if (rc != PGL_OK)
					return rc;
			}
		}
	return PGL_OK;
}

/* ---------- structural rules shared by the writer and the reader ---------- */

static int
cmp_strptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Sort v (a scratch array of n strings) and report whether any string
 * occurs twice.
 */
static bool
has_duplicate(const char **v, int32_t n)
{
	qsort(v, (size_t) n, sizeof(char *), cmp_strptr);
	for (int32_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			return true;
	return false;
}

static bool
string_ok(const char *s)
{
	return s != NULL && strlen(s) <= MAX_STRING_LEN;
}

/*
 * Check everything the format itself requires of a model (the algorithm's
 * own rules are pgl_algo_validate's).  bad is the code to fail with:
 * PGL_ERR_INVALID when writing, PGL_ERR_CORRUPT when reading.  Messages name
 * features, classes and tensors by index, never by their (possibly
 * garbage) text.
 *
 * Declared in model_format.h so that the unit tests can check a model's
 * structure apart from its algorithm's invariants.
 */
/*
 * Array element i: 0 <= element < length <= PGL_MAX_ARRAY_LENGTH, and the
 * elements of one array are consecutive features of one name, in order, all
 * of them.
 */
static pgl_rc
check_element(const pgl_model *m, int32_t i, pgl_rc bad, pgl_status *st)
{
	const pgl_feature *f = &m->features[i];
	const pgl_feature *g;

	if (f->length < 1 || f->length > PGL_MAX_ARRAY_LENGTH || f->element < 0 ||
		f->element >= f->length)
		return pgl_fail(st, bad,
						"model feature %d is element %d of an array of length %d, out of range",
						(int) i, (int) f->element, (int) f->length);
	if (f->element > 0)
	{
		g = i > 0 ? &m->features[i - 1] : NULL;
		if (g == NULL || g->kind != PGL_FEATURE_ELEMENT || g->element != f->element - 1 ||
			g->length != f->length || strcmp(g->name, f->name) != 0)
			return pgl_fail(st, bad, "model feature %d does not follow element %d of array \"%s\"",
							(int) i, (int) f->element - 1, f->name);
	}
	g = i + 1 < m->n_features ? &m->features[i + 1] : NULL;
	if (f->element < f->length - 1 &&
		(g == NULL || g->kind != PGL_FEATURE_ELEMENT || g->element != f->element + 1))
		return pgl_fail(st, bad, "model feature %d: array \"%s\" ends before its %d elements",
						(int) i, f->name, (int) f->length);
	return PGL_OK;
}

/*
 * Text feature i: 1 <= n_categories <= PGL_MAX_TEXT_TERMS terms, valid,
 * non-empty, strictly sorted; finite idf >= 1 each; ngram_max 1 or 2;
 * sublinear 0 or 1; no impute value or category, origin or length.
 */
static pgl_rc
check_text(const pgl_feature *f, int32_t i, pgl_rc bad, pgl_status *st)
{
	if (f->n_categories < 1 || f->n_categories > PGL_MAX_TEXT_TERMS || f->categories == NULL ||
		f->idf == NULL)
		return pgl_fail(st, bad, "model feature %d is text but has %d terms, not 1 to %d", (int) i,
						(int) f->n_categories, PGL_MAX_TEXT_TERMS);
	if (f->impute != 0 || f->impute_category != 0 || f->origin != 0 || f->element != 0 ||
		f->length != 0)
		return pgl_fail(
			st, bad, "model feature %d is text but has an impute value, origin or length", (int) i);
	if ((f->ngram_max != 1 && f->ngram_max != 2) || (f->sublinear != 0 && f->sublinear != 1))
		return pgl_fail(st, bad, "model feature %d is text with n-grams up to %d and sublinear %d",
						(int) i, (int) f->ngram_max, (int) f->sublinear);
	for (int32_t c = 0; c < f->n_categories; c++)
	{
		if (!string_ok(f->categories[c]) || f->categories[c][0] == '\0')
			return pgl_fail(st, bad, "model feature %d term %d is not a valid non-empty string",
							(int) i, (int) c);
		if (c > 0 && strcmp(f->categories[c - 1], f->categories[c]) >= 0)
			return pgl_fail(st, bad, "model feature %d terms are not strictly sorted at term %d",
							(int) i, (int) c);
		if (!(isfinite(f->idf[c]) && f->idf[c] >= 1.0))
			return pgl_fail(st, bad, "model feature %d term %d has idf %g, not a finite value >= 1",
							(int) i, (int) c, f->idf[c]);
	}
	return PGL_OK;
}

/* BPE merge k of tokens feature i: ids of tokens, the result the two joined */
static pgl_rc
check_merge(const pgl_feature *f, int32_t i, int32_t k, pgl_rc bad, pgl_status *st)
{
	const int32_t *g = f->merges + 3 * (size_t) k;
	const int32_t  hi = 2 + f->n_categories;
	const char	  *l, *r, *res;
	size_t		   ll, rl;

	for (int j = 0; j < 3; j++)
		if (g[j] < 2 || g[j] >= hi)
			return pgl_fail(st, bad, "model feature %d merge %d has id %d, not 2 to %d", (int) i,
							(int) k, (int) g[j], (int) hi - 1);
	l = f->categories[g[0] - 2];
	r = f->categories[g[1] - 2];
	res = f->categories[g[2] - 2];
	ll = strlen(l);
	rl = strlen(r);
	if (strlen(res) != ll + rl || memcmp(res, l, ll) != 0 || memcmp(res + ll, r, rl) != 0)
		return pgl_fail(st, bad, "model feature %d merge %d does not join its two tokens", (int) i,
						(int) k);
	return PGL_OK;
}

static int
cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *) pa, b = *(const uint64_t *) pb;

	return (a > b) - (a < b);
}

/* no two merges of tokens feature i have the same (left, right) pair (ids checked) */
static pgl_rc
check_merge_pairs(const pgl_env *env, const pgl_feature *f, int32_t i, pgl_rc bad, pgl_status *st)
{
	uint64_t *pairs;
	int32_t	  n = f->n_merges;

	if (n < 2)
		return PGL_OK;
	pairs = pgl_alloc(env, sizeof(uint64_t) * (size_t) n);
	if (pairs == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t k = 0; k < n; k++)
		pairs[k] = ((uint64_t) (uint32_t) f->merges[3 * (size_t) k] << 32) |
				   (uint32_t) f->merges[3 * (size_t) k + 1];
	qsort(pairs, (size_t) n, sizeof(uint64_t), cmp_u64);
	for (int32_t k = 1; k < n; k++)
		if (pairs[k] == pairs[k - 1])
		{
			int a = (int) (pairs[k] >> 32), b = (int) (uint32_t) pairs[k];

			pgl_free(env, pairs);
			return pgl_fail(st, bad, "model feature %d has two merges of the pair of ids %d and %d",
							(int) i, a, b);
		}
	pgl_free(env, pairs);
	return PGL_OK;
}

/*
 * Tokens feature i: the one feature of a neural_net; tokenizer word (no
 * merges) or BPE; 1 to PGL_MAX_TOKENS_VOCAB - PGL_TOKENS_RESERVED valid, non-empty, strictly
 * sorted tokens; 1 <= length (max_len) <= PGL_MAX_TOKENS_LEN; each merge
 * joins two tokens into a third, and no two merges have the same pair;
 * nothing of the other kinds.
 */
static pgl_rc
check_tokens(const pgl_env *env, const pgl_model *m, const pgl_feature *f, int32_t i, pgl_rc bad,
			 pgl_status *st)
{
	if (m->algorithm != PGL_ALGO_NEURAL_NET || m->n_features != 1)
		return pgl_fail(st, bad,
						"model feature %d is tokens, but not the one feature of a "
						"neural_net",
						(int) i);
	if (f->tokenizer != PGL_TOKENIZER_WORD && f->tokenizer != PGL_TOKENIZER_BPE)
		return pgl_fail(st, bad, "model feature %d has tokenizer %d, not 1 (word) or 2 (BPE)",
						(int) i, (int) f->tokenizer);
	if (f->n_categories < 1 || f->n_categories > PGL_MAX_TOKENS_VOCAB - PGL_TOKENS_RESERVED ||
		f->categories == NULL)
		return pgl_fail(st, bad, "model feature %d is tokens but has %d tokens, not 1 to %d",
						(int) i, (int) f->n_categories, PGL_MAX_TOKENS_VOCAB - PGL_TOKENS_RESERVED);
	if (f->length < 1 || f->length > PGL_MAX_TOKENS_LEN)
		return pgl_fail(st, bad, "model feature %d has max_len %d, not 1 to %d", (int) i,
						(int) f->length, PGL_MAX_TOKENS_LEN);
	if (f->impute != 0 || f->impute_category != 0 || f->origin != 0 || f->element != 0 ||
		f->idf != NULL || f->ngram_max != 0 || f->sublinear != 0)
		return pgl_fail(
			st, bad, "model feature %d is tokens but has an impute value, origin or idf", (int) i);
	if (f->n_merges < 0 || (f->n_merges > 0 && f->merges == NULL) ||
		(f->tokenizer == PGL_TOKENIZER_WORD && f->n_merges != 0))
		return pgl_fail(st, bad, "model feature %d has %d merges, which its tokenizer cannot have",
						(int) i, (int) f->n_merges);
	for (int32_t c = 0; c < f->n_categories; c++)
	{
		if (!string_ok(f->categories[c]) || f->categories[c][0] == '\0')
			return pgl_fail(st, bad, "model feature %d token %d is not a valid non-empty string",
							(int) i, (int) c);
		if (c > 0 && strcmp(f->categories[c - 1], f->categories[c]) >= 0)
			return pgl_fail(st, bad, "model feature %d tokens are not strictly sorted at token %d",
							(int) i, (int) c);
	}
	for (int32_t k = 0; k < f->n_merges; k++)
		if (check_merge(f, i, k, bad, st) != PGL_OK)
			return st->rc;
	return check_merge_pairs(env, f, i, bad, st);
}

/* the structural rules of feature i (pgl_model_check_structure) */
static pgl_rc
check_feature(const pgl_env *env, const pgl_model *m, int32_t i, pgl_rc bad, pgl_status *st)
{
	const pgl_feature *f = &m->features[i];

	if (!string_ok(f->name) || f->name[0] == '\0')
		return pgl_fail(st, bad, "model feature %d has no valid name", (int) i);
	if (!string_ok(f->type_name))
		return pgl_fail(st, bad, "model feature %d has no valid type name", (int) i);
	if (f->kind < PGL_FEATURE_NUMERIC || f->kind > PGL_FEATURE_KIND_MAX)
		return pgl_fail(st, bad, "model feature %d has unknown kind %d", (int) i, (int) f->kind);
	/* NaN: a missing value stays missing, for an algorithm that learns where it goes */
	if (!isfinite(f->impute) &&
		!(isnan(f->impute) && f->kind != PGL_FEATURE_CATEGORICAL && learns_missing(m->algorithm)))
		return pgl_fail(st, bad, "model feature %d has a non-finite impute value", (int) i);
	if (f->kind == PGL_FEATURE_TOKENS)
		return check_tokens(env, m, f, i, bad, st);
	if (f->tokenizer != 0 || f->n_merges != 0 || f->merges != NULL)
		return pgl_fail(st, bad, "model feature %d is not tokens but has a tokenizer", (int) i);
	if (f->kind == PGL_FEATURE_TEXT)
		return check_text(f, i, bad, st);
	if (f->idf != NULL || f->ngram_max != 0 || f->sublinear != 0)
		return pgl_fail(st, bad, "model feature %d is not text but has a vocabulary", (int) i);
	if (f->kind != PGL_FEATURE_CATEGORICAL)
	{
		if (f->n_categories != 0 || f->impute_category != 0)
			return pgl_fail(
				st, bad, "model feature %d is %s but has categories or an impute category", (int) i,
				is_time(f)						 ? "a date or timestamp"
				: f->kind == PGL_FEATURE_ELEMENT ? "an array element"
												 : "numeric");
	}
	if (!is_time(f) && f->origin != 0)
		return pgl_fail(st, bad, "model feature %d is not a date but has an origin", (int) i);
	if (f->kind != PGL_FEATURE_ELEMENT && (f->element != 0 || f->length != 0))
		return pgl_fail(st, bad, "model feature %d is not an array element but has a length",
						(int) i);
	if (f->kind == PGL_FEATURE_ELEMENT)
		return check_element(m, i, bad, st);
	if (is_time(f))
	{
		if (!(fabs(f->origin) <= PGL_TIME_MAX_SECONDS) ||
			f->origin != pgl_time_day_start(f->origin))
			return pgl_fail(st, bad,
							"model feature %d has an origin that is not the start of a day "
							"within %g seconds of 1970",
							(int) i, PGL_TIME_MAX_SECONDS);
		if (!(fabs(f->impute) <= PGL_TIME_MAX_SECONDS) && !isnan(f->impute))
			return pgl_fail(st, bad,
							"model feature %d has an impute value beyond %g seconds of 1970",
							(int) i, PGL_TIME_MAX_SECONDS);
	}
	else if (f->kind == PGL_FEATURE_CATEGORICAL)
	{
		if (f->n_categories < 1 || f->categories == NULL)
			return pgl_fail(st, bad, "model feature %d is categorical but has no categories",
							(int) i);
		if (f->impute_category < 0 || f->impute_category >= f->n_categories)
			return pgl_fail(st, bad, "model feature %d impute category %d is out of range [0, %d)",
							(int) i, (int) f->impute_category, (int) f->n_categories);
		for (int32_t c = 0; c < f->n_categories; c++)
		{
			if (!string_ok(f->categories[c]))
				return pgl_fail(st, bad, "model feature %d category %d is not a valid string",
								(int) i, (int) c);
			if (c > 0 && strcmp(f->categories[c - 1], f->categories[c]) >= 0)
				return pgl_fail(
					st, bad, "model feature %d categories are not strictly sorted at category %d",
					(int) i, (int) c);
		}
	}
	else if (f->kind != PGL_FEATURE_NUMERIC)
		return pgl_fail(st, bad, "model feature %d has unknown kind %d", (int) i, (int) f->kind);
	return PGL_OK;
}

pgl_rc
pgl_model_check_structure(const pgl_env *env, const pgl_model *m, pgl_rc bad, pgl_status *st)
{
	const char **scratch;
	int32_t		 n_scratch;
	int32_t		 width;
	bool		 found;

	if (pgl_algo_by_id(m->algorithm) == NULL)
		return pgl_fail(st, bad, "unknown algorithm id %d", (int) m->algorithm);
	if (m->task != PGL_TASK_REGRESSION && m->task != PGL_TASK_CLASSIFICATION &&
		m->task != PGL_TASK_RECOMMENDATION && m->task != PGL_TASK_CLUSTERING &&
		m->task != PGL_TASK_ANOMALY && m->task != PGL_TASK_FORECAST)
		return pgl_fail(st, bad, "unknown task id %d", (int) m->task);

	/* a recommender scores (user, item) pairs, a forecast extends series: no features, no classes */
	if ((m->task == PGL_TASK_RECOMMENDATION || m->task == PGL_TASK_FORECAST) &&
		(m->n_features != 0 || m->n_inputs != 0 || m->n_classes != 0))
		return pgl_fail(st, bad, "%s model has %d features, %d inputs and %d classes, needs none",
						m->task == PGL_TASK_FORECAST ? "forecast" : "recommendation",
						(int) m->n_features, (int) m->n_inputs, (int) m->n_classes);

	/* features */
	if (m->n_features < 0 || (m->n_features > 0 && m->features == NULL))
		return pgl_fail(st, bad, "model has an invalid feature count %d", (int) m->n_features);
	for (int32_t i = 0; i < m->n_features; i++)
	{
		pgl_rc rc = check_feature(env, m, i, bad, st);

		if (rc != PGL_OK)
			return rc;
	}
	width = pgl_model_input_width(m);
	if (width < 0 || m->n_inputs != width)
		return pgl_fail(st, bad,
						"model input width %d does not match the %d inputs its features encode to",
						(int) m->n_inputs, (int) width);

	/* target */
	if ((m->target_name != NULL && !string_ok(m->target_name)) ||
		(m->target_type != NULL && !string_ok(m->target_type)))
		return pgl_fail(st, bad, "model target name or type is too long");

	/* classes */
	if (m->n_classes < 0 || (m->n_classes > 0 && m->classes == NULL))
		return pgl_fail(st, bad, "model has an invalid class count %d", (int) m->n_classes);
	if (m->task == PGL_TASK_CLASSIFICATION && m->n_classes < 2)
		return pgl_fail(st, bad, "classification model has %d classes, needs at least 2",
						(int) m->n_classes);
	if (m->task == PGL_TASK_REGRESSION && m->n_classes != 0)
		return pgl_fail(st, bad, "regression model has %d classes", (int) m->n_classes);
	if (m->task == PGL_TASK_CLUSTERING && m->n_classes != 0)
		return pgl_fail(st, bad, "clustering model has %d classes, needs none", (int) m->n_classes);
	if (m->task == PGL_TASK_ANOMALY && m->n_classes != 0)
		return pgl_fail(st, bad, "anomaly model has %d classes, needs none", (int) m->n_classes);
	for (int32_t c = 0; c < m->n_classes; c++)
		if (!string_ok(m->classes[c]))
			return pgl_fail(st, bad, "model class %d is not a valid string", (int) c);

	/* tensors */
	if (m->n_tensors < 0 || (m->n_tensors > 0 && m->tensors == NULL))
		return pgl_fail(st, bad, "model has an invalid tensor count %d", (int) m->n_tensors);
	for (int32_t i = 0; i < m->n_tensors; i++)
	{
		const pgl_tensor *t = &m->tensors[i];
		size_t			  nlen = strnlen(t->name, PGL_TENSOR_NAME_LEN);
		int64_t			  count;

		if (nlen == 0 || nlen >= PGL_TENSOR_NAME_LEN)
			return pgl_fail(st, bad, "model tensor %d name is empty or longer than %d bytes",
							(int) i, PGL_TENSOR_NAME_LEN - 1);
		if (dtype_size(t->dtype) == 0)
			return pgl_fail(st, bad, "model tensor %d has unknown dtype %d", (int) i,
							(int) t->dtype);
		if (t->ndim < 0 || t->ndim > PGL_TENSOR_MAX_DIMS)
			return pgl_fail(st, bad, "model tensor %d has %d dimensions, at most %d are allowed",
							(int) i, (int) t->ndim, PGL_TENSOR_MAX_DIMS);
		count = checked_count(t->ndim, t->dims);
		if (count < 0)
			return pgl_fail(st, bad, "model tensor %d has invalid dimensions", (int) i);
		if (count > 0 && t->data == NULL)
			return pgl_fail(st, bad, "model tensor %d has no data", (int) i);
		if (t->storage < PGL_STORE_NATIVE || t->storage > PGL_STORE_MAX)
			return pgl_fail(st, bad, "model tensor %d has unknown storage %d", (int) i,
							(int) t->storage);
		if (t->storage != PGL_STORE_NATIVE && t->dtype != PGL_F64 && t->dtype != PGL_F32)
			return pgl_fail(st, bad, "model tensor %d of dtype %d cannot be stored encoded",
							(int) i, (int) t->dtype);
		if (t->storage == PGL_STORE_F32 && t->dtype != PGL_F64)
			return pgl_fail(st, bad, "model tensor %d is float32 already: storage 1 is for f64",
							(int) i);
		if (t->storage == PGL_STORE_I8_ROW && t->ndim != 2)
			return pgl_fail(st, bad, "model tensor %d has per-row int8 storage but %d dimensions",
							(int) i, (int) t->ndim);
		if (t->dtype == PGL_STR)
		{
			char *const *strs = t->data;

			for (int64_t j = 0; j < count; j++)
				if (!string_ok(strs[j]))
					return pgl_fail(st, bad, "model tensor %d element %lld is not a valid string",
									(int) i, (long long) j);
		}
	}

	if (pgl_check_threshold(m, bad, st) != PGL_OK)
		return st->rc;
	if (pgl_drift_check(m, bad, st) != PGL_OK)
		return st->rc;

	/*
	 * Class labels and tensor names must be distinct; sort a scratch array
	 * of pointers rather than compare all pairs.
	 */
	n_scratch = m->n_classes > m->n_tensors ? m->n_classes : m->n_tensors;
	if (n_scratch < 2)
		return PGL_OK;
	scratch = pgl_alloc(env, sizeof(char *) * (size_t) n_scratch);
	if (scratch == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t c = 0; c < m->n_classes; c++)
		scratch[c] = m->classes[c];
	found = has_duplicate(scratch, m->n_classes);
	if (found)
	{
		pgl_free(env, scratch);
		return pgl_fail(st, bad, "model has a duplicate class label");
	}
	for (int32_t i = 0; i < m->n_tensors; i++)
		scratch[i] = m->tensors[i].name;
	found = has_duplicate(scratch, m->n_tensors);
	pgl_free(env, scratch);
	if (found)
		return pgl_fail(st, bad, "model has a duplicate tensor name");
	return PGL_OK;
}

/* ---------- writer ---------- */

/*
 * The writer runs twice over the model: first with buf == NULL to count the
 * bytes, then into a buffer of exactly that size.
 */
typedef struct writer
{
	uint8_t *buf;
	uint64_t pos;
} writer;

static void
put_bytes(writer *w, const void *p, size_t n)
{
	if (w->buf != NULL && n > 0)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void
put_u16(writer *w, uint16_t v)
{
	if (w->buf != NULL)
	{
		w->buf[w->pos] = (uint8_t) v;
		w->buf[w->pos + 1] = (uint8_t) (v >> 8);
	}
	w->pos += 2;
}

static void
put_u32(writer *w, uint32_t v)
{
	if (w->buf != NULL)
		put_u32_at(w->buf + w->pos, v);
	w->pos += 4;
}

static void
put_i32(writer *w, int32_t v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof(u));
	put_u32(w, u);
}

static void
put_u64(writer *w, uint64_t v)
{
	if (w->buf != NULL)
		put_u64_at(w->buf + w->pos, v);
	w->pos += 8;
}

static void
put_i64(writer *w, int64_t v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	put_u64(w, u);
}

static void
put_f64(writer *w, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	put_u64(w, u);
}

/* a string: u32 byte length, then the bytes (no NUL); NULL is written as "" */
static void
put_string(writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u32(w, (uint32_t) n);
	put_bytes(w, s, n);
}

static void
put_tensor_data(writer *w, const pgl_tensor *t)
{
	int64_t count = pgl_tensor_count(t);
	size_t	esize = dtype_size(t->dtype);

	if (t->dtype == PGL_STR)
	{
		/* each element a string; the sizing pass must see their lengths */
		for (int64_t i = 0; i < count; i++)
			put_string(w, ((char *const *) t->data)[i]);
		return;
	}
	if (w->buf == NULL)
	{
		w->pos += (uint64_t) count * esize;
		return;
	}
	if (t->dtype == PGL_U8)
	{
		put_bytes(w, t->data, (size_t) count);
		return;
	}
	for (int64_t i = 0; i < count; i++)
	{
		if (t->dtype == PGL_F64)
			put_f64(w, ((const double *) t->data)[i]);
		else if (t->dtype == PGL_I64)
			put_i64(w, ((const int64_t *) t->data)[i]);
		else if (t->dtype == PGL_F32)
		{
			uint32_t u;

			memcpy(&u, &((const float *) t->data)[i], sizeof(u));
			put_u32(w, u);
		}
		else
			put_i32(w, ((const int32_t *) t->data)[i]);
	}
}

/* the data of an encoded tensor: logical dtype, storage, scales, codes */
static void
put_encoded_data(writer *w, const pgl_tensor *t)
{
	int64_t count = pgl_tensor_count(t);
	int64_t n_scales = storage_scales(t);
	int64_t per = n_scales > 0 ? count / (n_scales > 0 ? n_scales : 1) : 0;

	put_i32(w, t->dtype);
	put_i32(w, t->storage);
	if (w->buf == NULL)
	{
		w->pos += (uint64_t) n_scales * 4 + (uint64_t) count * storage_esize(t->storage);
		return;
	}
	if (n_scales > 0)
	{
		/* dims[0] == 0 with a row storage: no scale, no data */
		uint64_t codes = w->pos + (uint64_t) n_scales * 4;

		for (int64_t r = 0; r < n_scales; r++)
		{
			float	 s = t->scales ? t->scales[r] : int8_scale(t, r * per, per);
			uint32_t u;

			memcpy(&u, &s, sizeof(u));
			put_u32(w, u);
			for (int64_t i = r * per; i < (r + 1) * per; i++)
				w->buf[codes + (uint64_t) i] = (uint8_t) (int8_t) int8_code(elem(t, i), s);
		}
		w->pos += (uint64_t) count;
		return;
	}
	for (int64_t i = 0; i < count; i++)
	{
		if (t->storage == PGL_STORE_F32)
		{
			float	 f = (float) elem(t, i);
			uint32_t u;

			memcpy(&u, &f, sizeof(u));
			put_u32(w, u);
		}
		else
			put_u16(w, pgl_f32_to_f16((float) elem(t, i)));
	}
}

static bool
has_v2(const pgl_model *m)
{
	for (int32_t i = 0; i < m->n_features; i++)
		if (is_v2(&m->features[i]))
			return true;
	return false;
}

static bool
has_u8(const pgl_model *m)
{
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (m->tensors[i].dtype == PGL_U8)
			return true;
	return false;
}

static bool
has_encoded(const pgl_model *m)
{
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (m->tensors[i].storage != PGL_STORE_NATIVE)
			return true;
	return false;
}

static void
put_model(writer *w, const pgl_model *m)
{
	/* header; the total length is known after the sizing pass */
	put_bytes(w, PGL_FORMAT_MAGIC, 4);
	put_u16(w, has_u8(m) ? PGL_FORMAT_VERSION_U8 : has_v2(m) ? PGL_FORMAT_VERSION_KINDS : 1);
	put_u16(w, has_encoded(m) ? PGL_FORMAT_FLAG_ENCODED : 0);
	put_u64(w, 0); /* patched by pgl_model_write */

	put_i32(w, m->algorithm);
	put_i32(w, m->task);
	put_i32(w, m->n_inputs);

	put_i32(w, m->n_features);
	for (int32_t i = 0; i < m->n_features; i++)
	{
		const pgl_feature *f = &m->features[i];

		put_string(w, f->name);
		put_string(w, f->type_name);
		put_i32(w, f->kind);
		put_f64(w, f->impute);
		put_i32(w, f->impute_category);
		put_i32(w, f->n_categories);
		for (int32_t c = 0; c < f->n_categories; c++)
			put_string(w, f->categories[c]);
		if (is_time(f))
			put_f64(w, f->origin);
		if (f->kind == PGL_FEATURE_ELEMENT)
		{
			put_i32(w, f->element);
			put_i32(w, f->length);
		}
		if (f->kind == PGL_FEATURE_TEXT)
		{
			put_i32(w, f->ngram_max);
			put_i32(w, f->sublinear);
			for (int32_t c = 0; c < f->n_categories; c++)
				put_f64(w, f->idf[c]);
		}
		if (f->kind == PGL_FEATURE_TOKENS)
		{
			put_i32(w, f->tokenizer);
			put_i32(w, f->length);
			put_i32(w, f->n_merges);
			for (int64_t k = 0; k < 3 * (int64_t) f->n_merges; k++)
				put_i32(w, f->merges[k]);
		}
	}

	put_string(w, m->target_name);
	put_string(w, m->target_type);
	put_i32(w, m->n_classes);
	for (int32_t c = 0; c < m->n_classes; c++)
		put_string(w, m->classes[c]);

	put_i32(w, m->n_tensors);
	for (int32_t i = 0; i < m->n_tensors; i++)
	{
		const pgl_tensor *t = &m->tensors[i];

		put_string(w, t->name);
		put_i32(w, t->storage != PGL_STORE_NATIVE ? DTYPE_ENCODED : t->dtype);
		put_i32(w, t->ndim);
		for (int32_t d = 0; d < t->ndim; d++)
			put_i64(w, t->dims[d]);
		if (t->storage != PGL_STORE_NATIVE)
			put_encoded_data(w, t);
		else
			put_tensor_data(w, t);
	}
}

/*
 * Serialize m.  The model must pass the format's structural rules and its
 * algorithm's invariants (the reader would refuse it otherwise); if it does
 * not, PGL_ERR_INVALID is returned with the reason.
 */
pgl_rc
pgl_model_write(const pgl_env *env, const pgl_model *m, uint8_t **out, size_t *len, pgl_status *st)
{
	writer	 w = {NULL, 0};
	uint64_t total;
	uint8_t *buf;
	pgl_rc	 rc;

	*out = NULL;
	*len = 0;

	rc = pgl_model_check_structure(env, m, PGL_ERR_INVALID, st);
	if (rc != PGL_OK)
		return rc;
	rc = pgl_algo_validate(m, st);
	if (rc != PGL_OK)
	{
		st->rc = PGL_ERR_INVALID;
		return PGL_ERR_INVALID;
	}
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (m->tensors[i].storage != PGL_STORE_NATIVE)
		{
			rc = check_encodable(&m->tensors[i], i, PGL_ERR_INVALID, st);
			if (rc != PGL_OK)
				return rc;
		}

	/* sizing pass */
	put_model(&w, m);
	total = w.pos + CRC_SIZE;
	if (total > SIZE_MAX)
		return pgl_fail(st, PGL_ERR_INVALID, "model is too large to serialize");

	buf = pgl_alloc(env, (size_t) total);
	if (buf == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");

	w.buf = buf;
	w.pos = 0;
	put_model(&w, m);
	put_u64_at(buf + 8, total);
	put_u32_at(buf + w.pos, pgl_crc32c(0, buf, (size_t) w.pos));

	*out = buf;
	*len = (size_t) total;
	return PGL_OK;
}

/* ---------- reader ---------- */

typedef struct reader
{
	const pgl_env *env;
	const uint8_t *buf;
	size_t		   pos;
	size_t		   end; /* offset of the CRC: the body ends here */
	pgl_status	  *st;
	uint16_t	   version;	   /* of the blob */
	bool		   encoded_ok; /* header flag: encoded tensors allowed */
	int32_t		   n_encoded;  /* encoded tensors read */
} reader;

#define TRY(expr)                                                                                  \
	do                                                                                             \
	{                                                                                              \
		pgl_rc rc_ = (expr);                                                                       \
		if (rc_ != PGL_OK)                                                                         \
			return rc_;                                                                            \
	} while (0)

static size_t
remaining(const reader *r)
{
	return r->end - r->pos;
}

static pgl_rc
need(reader *r, size_t n)
{
	if (remaining(r) < n)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob is truncated: need %zu bytes at offset %zu, %zu remain", n,
						r->pos, remaining(r));
	return PGL_OK;
}

static pgl_rc
get_i32(reader *r, int32_t *v)
{
	uint32_t u;

	TRY(need(r, 4));
	u = get_u32(r->buf + r->pos);
	memcpy(v, &u, sizeof(u));
	r->pos += 4;
	return PGL_OK;
}

static pgl_rc
get_i64(reader *r, int64_t *v)
{
	uint64_t u;

	TRY(need(r, 8));
	u = get_u64(r->buf + r->pos);
	memcpy(v, &u, sizeof(u));
	r->pos += 8;
	return PGL_OK;
}

static pgl_rc
get_f64(reader *r, double *v)
{
	int64_t bits;

	TRY(get_i64(r, &bits));
	memcpy(v, &bits, sizeof(bits));
	return PGL_OK;
}

/*
 * Read a count of elements that each take at least min_size bytes, and
 * check that many could fit in what remains (before anything is allocated
 * for them).
 */
static pgl_rc
get_count(reader *r, int32_t *n, size_t min_size, const char *what)
{
	size_t at = r->pos;

	TRY(get_i32(r, n));
	if (*n < 0)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob has a negative %s count %d at offset %zu", what, (int) *n, at);
	if ((size_t) *n > remaining(r) / min_size)
		return pgl_fail(
			r->st, PGL_ERR_CORRUPT,
			"model blob is truncated: %d %s at offset %zu need at least %zu bytes, %zu remain",
			(int) *n, what, at, (size_t) *n * min_size, remaining(r));
	return PGL_OK;
}

/*
 * Read a string of at most max_len bytes (u32 length, then the bytes) and
 * return its bytes and length without copying.
 */
static pgl_rc
get_string_ref(reader *r, const uint8_t **bytes, size_t *len, size_t max_len, const char *what)
{
	size_t	 at = r->pos;
	uint32_t n;

	TRY(need(r, 4));
	n = get_u32(r->buf + r->pos);
	r->pos += 4;
	if (n > max_len)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob %s at offset %zu has length %u, the limit is %zu bytes", what,
						at, (unsigned) n, max_len);
	TRY(need(r, n));
	if (memchr(r->buf + r->pos, '\0', n) != NULL)
		return pgl_fail(r->st, PGL_ERR_CORRUPT, "model blob %s at offset %zu contains a zero byte",
						what, at);
	*bytes = r->buf + r->pos;
	*len = n;
	r->pos += n;
	return PGL_OK;
}

/* read a string into a new NUL-terminated allocation */
static pgl_rc
get_string(reader *r, char **out, const char *what)
{
	const uint8_t *bytes = NULL;
	size_t		   len = 0;
	char		  *s;

	TRY(get_string_ref(r, &bytes, &len, MAX_STRING_LEN, what));
	s = pgl_alloc(r->env, len + 1);
	if (s == NULL)
		return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	if (len > 0)
		memcpy(s, bytes, len);
	s[len] = '\0';
	*out = s;
	return PGL_OK;
}

/* after a text feature's terms: n-gram length, sublinear flag, one idf per term */
static pgl_rc
get_text(reader *r, pgl_feature *f)
{
	TRY(get_i32(r, &f->ngram_max));
	TRY(get_i32(r, &f->sublinear));
	TRY(need(r, sizeof(double) * (size_t) f->n_categories));
	f->idf = pgl_alloc(r->env, sizeof(double) * ((size_t) f->n_categories + 1));
	if (f->idf == NULL)
		return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t c = 0; c < f->n_categories; c++)
		TRY(get_f64(r, &f->idf[c]));
	return PGL_OK;
}

/* after a tokens feature's tokens: tokenizer, max_len, the merges (3 ids each) */
static pgl_rc
get_tokens(reader *r, pgl_feature *f)
{
	TRY(get_i32(r, &f->tokenizer));
	TRY(get_i32(r, &f->length));
	TRY(get_count(r, &f->n_merges, 3 * sizeof(int32_t), "merges"));
	f->merges = pgl_alloc(r->env, sizeof(int32_t) * (3 * (size_t) f->n_merges + 1));
	if (f->merges == NULL)
		return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t k = 0; k < 3 * (int64_t) f->n_merges; k++)
		TRY(get_i32(r, &f->merges[k]));
	return PGL_OK;
}

static pgl_rc
get_feature(reader *r, pgl_feature *f)
{
	int32_t n;

	TRY(get_string(r, &f->name, "feature name"));
	TRY(get_string(r, &f->type_name, "feature type name"));
	TRY(get_i32(r, &f->kind));
	TRY(get_f64(r, &f->impute));
	TRY(get_i32(r, &f->impute_category));
	TRY(get_count(r, &n, MIN_STRING_SIZE, "categories"));
	if (n > 0)
	{
		f->categories = pgl_alloc0(r->env, sizeof(char *) * (size_t) n);
		if (f->categories == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
		f->n_categories = n;
		for (int32_t c = 0; c < n; c++)
			TRY(get_string(r, &f->categories[c], "category"));
	}
	if (is_v2(f))
	{
		if (r->version < PGL_FORMAT_VERSION_KINDS)
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model feature \"%s\" has kind %d, which format version %d does not "
							"have",
							f->name, (int) f->kind, (int) r->version);
		if (is_time(f))
			TRY(get_f64(r, &f->origin));
		else if (f->kind == PGL_FEATURE_TEXT)
			TRY(get_text(r, f));
		else if (f->kind == PGL_FEATURE_TOKENS)
			TRY(get_tokens(r, f));
		else
		{
			TRY(get_i32(r, &f->element));
			TRY(get_i32(r, &f->length));
		}
	}
	return PGL_OK;
}

/* the dims of a tensor, after its dtype (shared by both kinds of tensors) */
static pgl_rc
get_dims(reader *r, pgl_tensor *t, int32_t index)
{
	size_t at = r->pos;

	TRY(get_i32(r, &t->ndim));
	if (t->ndim < 0 || t->ndim > PGL_TENSOR_MAX_DIMS)
	{
		int32_t ndim = t->ndim;

		t->ndim = 0;
		return pgl_fail(
			r->st, PGL_ERR_CORRUPT,
			"model blob tensor %d has %d dimensions at offset %zu, at most %d are allowed",
			(int) index, (int) ndim, at, PGL_TENSOR_MAX_DIMS);
	}
	for (int32_t d = 0; d < t->ndim; d++)
	{
		at = r->pos;
		TRY(get_i64(r, &t->dims[d]));
		if (t->dims[d] < 0)
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model blob tensor %d dimension %d is negative (%lld) at offset %zu",
							(int) index, (int) d, (long long) t->dims[d], at);
	}
	if (checked_count(t->ndim, t->dims) < 0)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob tensor %d has dimensions whose product overflows", (int) index);
	return PGL_OK;
}

/*
 * An encoded tensor (dtype 6): dims, then its logical dtype (f64 or f32),
 * its storage, the int8 scales, and the codes; decoded into the logical
 * dtype.  Canonical: int8 codes are in [-127, 127], a row with scale 0 has
 * only zero codes and any other row a code of +-127, scales are +0 or
 * normal positive floats; float16 and float32 codes are finite.
 */
static pgl_rc
get_encoded_tensor(reader *r, pgl_tensor *t, int32_t index)
{
	size_t		   at;
	int64_t		   count, n_scales, per;
	size_t		   esize;
	const uint8_t *p;

	TRY(get_dims(r, t, index));
	count = checked_count(t->ndim, t->dims);
	at = r->pos;
	TRY(get_i32(r, &t->dtype));
	if (t->dtype != PGL_F64 && t->dtype != PGL_F32)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob encoded tensor %d has dtype %d at offset %zu, only f64 (1) "
						"and f32 (2) can be encoded",
						(int) index, (int) t->dtype, at);
	at = r->pos;
	TRY(get_i32(r, &t->storage));
	esize = storage_esize(t->storage);
	if (esize == 0 || (t->storage == PGL_STORE_F32 && t->dtype != PGL_F64) ||
		(t->storage == PGL_STORE_I8_ROW && t->ndim != 2))
	{
		int32_t storage = t->storage;

		t->storage = PGL_STORE_NATIVE;
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob encoded tensor %d has invalid storage %d at offset %zu for "
						"dtype %d and %d dimensions",
						(int) index, (int) storage, at, (int) t->dtype, (int) t->ndim);
	}
	n_scales = storage_scales(t);
	if ((uint64_t) n_scales > remaining(r) / 4 ||
		(uint64_t) count > (remaining(r) - (size_t) n_scales * 4) / esize)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob is truncated: encoded tensor %d at offset %zu needs %lld "
						"scales and %lld elements of %zu bytes, %zu bytes remain",
						(int) index, r->pos, (long long) n_scales, (long long) count, esize,
						remaining(r));
	t->data = pgl_alloc(r->env, (size_t) count * (t->dtype == PGL_F64 ? 8 : 4) + 1);
	if (t->data == NULL)
		return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	if (n_scales > 0)
	{
		t->scales = pgl_alloc(r->env, sizeof(float) * (size_t) n_scales + 1);
		if (t->scales == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	}
	per = n_scales > 0 ? count / n_scales : 0;
	p = r->buf + r->pos;
	for (int64_t s = 0; s < n_scales; s++)
	{
		uint32_t u = get_u32(p + s * 4);
		float	 scale;
		int32_t	 maxq = 0;

		memcpy(&scale, &u, sizeof(scale));
		if (!(u == 0 || (isfinite(scale) && scale >= FLT_MIN &&
						 (t->dtype == PGL_F64 || isfinite((float) (127.0 * scale))))))
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model blob encoded tensor %d has an invalid scale %g at offset %zu",
							(int) index, (double) scale, r->pos + (size_t) s * 4);
		t->scales[s] = scale;
		for (int64_t i = s * per; i < (s + 1) * per; i++)
		{
			int32_t q = (int8_t) p[n_scales * 4 + i];

			if (q == -128)
				return pgl_fail(r->st, PGL_ERR_CORRUPT,
								"model blob encoded tensor %d has the int8 code -128 at offset "
								"%zu",
								(int) index, r->pos + (size_t) (n_scales * 4 + i));
			if (abs(q) > maxq)
				maxq = abs(q);
			if (t->dtype == PGL_F64)
				((double *) t->data)[i] = (double) q * scale;
			else
				((float *) t->data)[i] = (float) ((double) q * scale);
		}
		if (scale == 0 ? maxq != 0 : maxq != 127)
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model blob encoded tensor %d row %lld has scale %g but largest code "
							"%d (needs %d)",
							(int) index, (long long) s, (double) scale, (int) maxq,
							scale == 0 ? 0 : 127);
	}
	if (n_scales == 0)
		for (int64_t i = 0; i < count; i++)
		{
			double x;

			if (t->storage == PGL_STORE_F32)
			{
				uint32_t u = get_u32(p + i * 4);
				float	 f;

				memcpy(&f, &u, sizeof(f));
				x = f;
			}
			else
				x = pgl_f16_to_f32(get_u16(p + i * 2));
			if (!isfinite(x))
				return pgl_fail(r->st, PGL_ERR_CORRUPT,
								"model blob encoded tensor %d element %lld is not finite",
								(int) index, (long long) i);
			if (t->dtype == PGL_F64)
				((double *) t->data)[i] = x;
			else
				((float *) t->data)[i] = (float) x;
		}
	r->pos += (size_t) n_scales * 4 + (size_t) count * esize;
	r->n_encoded++;
	return PGL_OK;
}

static pgl_rc
get_tensor(reader *r, pgl_tensor *t, int32_t index)
{
	const uint8_t *name = NULL;
	size_t		   name_len = 0;
	size_t		   at;
	size_t		   esize;
	int64_t		   count;
	size_t		   bytes;
	const uint8_t *p;

	TRY(get_string_ref(r, &name, &name_len, PGL_TENSOR_NAME_LEN - 1, "tensor name"));
	if (name_len == 0)
		return pgl_fail(r->st, PGL_ERR_CORRUPT, "model blob tensor %d has an empty name",
						(int) index);
	memcpy(t->name, name, name_len);
	t->name[name_len] = '\0';

	at = r->pos;
	TRY(get_i32(r, &t->dtype));
	if (t->dtype == DTYPE_ENCODED)
	{
		if (!r->encoded_ok)
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model blob tensor %d is encoded at offset %zu, but the header does "
							"not have the encoded-tensors flag",
							(int) index, at);
		return get_encoded_tensor(r, t, index);
	}
	esize = dtype_size(t->dtype);
	if (esize == 0 || (t->dtype == PGL_U8 && r->version < PGL_FORMAT_VERSION_U8))
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob tensor %d has unknown dtype %d at offset %zu%s", (int) index,
						(int) t->dtype, at, esize ? " (u8 tensors need format version 3)" : "");
	at = r->pos;
	TRY(get_i32(r, &t->ndim));
	if (t->ndim < 0 || t->ndim > PGL_TENSOR_MAX_DIMS)
	{
		int32_t ndim = t->ndim;

		t->ndim = 0;
		return pgl_fail(
			r->st, PGL_ERR_CORRUPT,
			"model blob tensor %d has %d dimensions at offset %zu, at most %d are allowed",
			(int) index, (int) ndim, at, PGL_TENSOR_MAX_DIMS);
	}
	for (int32_t d = 0; d < t->ndim; d++)
	{
		at = r->pos;
		TRY(get_i64(r, &t->dims[d]));
		if (t->dims[d] < 0)
			return pgl_fail(r->st, PGL_ERR_CORRUPT,
							"model blob tensor %d dimension %d is negative (%lld) at offset %zu",
							(int) index, (int) d, (long long) t->dims[d], at);
	}

	/* the shape must not overflow and its data must fit what remains */
	count = checked_count(t->ndim, t->dims);
	if (count < 0)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob tensor %d has dimensions whose product overflows", (int) index);
	if ((uint64_t) count > remaining(r) / esize)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob is truncated: tensor %d data at offset %zu needs %lld elements "
						"of %s%zu bytes, %zu bytes remain",
						(int) index, r->pos, (long long) count,
						t->dtype == PGL_STR ? "at least " : "", esize, remaining(r));

	if (t->dtype == PGL_STR)
	{
		char **strs;

		/*
		 * count <= remaining / 4, so the array size cannot overflow.  Zeroed
		 * and attached to t before any string is read, so that on failure
		 * pgl_model_free frees exactly the strings read so far.
		 */
		strs = pgl_alloc0(r->env, sizeof(char *) * (size_t) count);
		if (strs == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
		t->data = strs;
		for (int64_t i = 0; i < count; i++)
			TRY(get_string(r, &strs[i], "tensor string element"));
		return PGL_OK;
	}
	bytes = (size_t) count * esize;

	t->data = pgl_alloc(r->env, bytes + 1);
	if (t->data == NULL)
		return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
	p = r->buf + r->pos;
	if (t->dtype == PGL_U8)
	{
		memcpy(t->data, p, bytes);
		r->pos += bytes;
		return PGL_OK;
	}
	for (int64_t i = 0; i < count; i++)
	{
		if (esize == 8)
		{
			uint64_t u = get_u64(p + i * 8);

			/* double and int64_t are both 8 bytes copied as bits */
			memcpy((uint8_t *) t->data + i * 8, &u, 8);
		}
		else
		{
			uint32_t u = get_u32(p + i * 4);

			/* float and int32_t are both 4 bytes copied as bits */
			memcpy((uint8_t *) t->data + i * 4, &u, 4);
		}
	}
	r->pos += bytes;
	return PGL_OK;
}

static pgl_rc
get_body(reader *r, pgl_model *m)
{
	int32_t n;

	TRY(get_i32(r, &m->algorithm));
	if (pgl_algo_by_id(m->algorithm) == NULL)
		return pgl_fail(r->st, PGL_ERR_CORRUPT, "model blob has unknown algorithm id %d",
						(int) m->algorithm);
	TRY(get_i32(r, &m->task));
	TRY(get_i32(r, &m->n_inputs));

	TRY(get_count(r, &n, MIN_FEATURE_SIZE, "features"));
	if (n > 0)
	{
		m->features = pgl_alloc0(r->env, sizeof(pgl_feature) * (size_t) n);
		if (m->features == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
		m->n_features = n;
		for (int32_t i = 0; i < n; i++)
			TRY(get_feature(r, &m->features[i]));
	}

	TRY(get_string(r, &m->target_name, "target name"));
	TRY(get_string(r, &m->target_type, "target type"));

	TRY(get_count(r, &n, MIN_STRING_SIZE, "classes"));
	if (n > 0)
	{
		m->classes = pgl_alloc0(r->env, sizeof(char *) * (size_t) n);
		if (m->classes == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
		m->n_classes = n;
		for (int32_t c = 0; c < n; c++)
			TRY(get_string(r, &m->classes[c], "class label"));
	}

	TRY(get_count(r, &n, MIN_TENSOR_SIZE, "tensors"));
	if (n > 0)
	{
		m->tensors = pgl_alloc0(r->env, sizeof(pgl_tensor) * (size_t) n);
		if (m->tensors == NULL)
			return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory");
		m->n_tensors = n;
		for (int32_t i = 0; i < n; i++)
			TRY(get_tensor(r, &m->tensors[i], i));
	}

	if (r->pos != r->end)
		return pgl_fail(r->st, PGL_ERR_CORRUPT,
						"model blob has %zu unexpected bytes after the tensors at offset %zu",
						r->end - r->pos, r->pos);
	return PGL_OK;
}

/* the cheap checks: magic, version, flags, declared length, CRC */
static pgl_rc
check_envelope(const uint8_t *buf, size_t len, pgl_status *st)
{
	uint16_t version;
	uint16_t flags;
	uint64_t total;
	uint32_t stored;
	uint32_t computed;

	if (len < 6)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model blob is truncated: need %d bytes at offset 0, %zu remain",
						HEADER_SIZE, len);
	if (memcmp(buf, PGL_FORMAT_MAGIC, 4) != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "model blob does not start with the magic \"PGLM\"");
	version = get_u16(buf + 4);
	if (version > PGL_FORMAT_VERSION)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model format version %d is newer than this pg_learn supports (%d)",
						(int) version, PGL_FORMAT_VERSION);
	if (version == 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "model format version 0 is invalid");
	if (len < HEADER_SIZE)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model blob is truncated: need %d bytes at offset 0, %zu remain",
						HEADER_SIZE, len);
	flags = get_u16(buf + 6);
	if ((flags & ~PGL_FORMAT_FLAG_ENCODED) != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "model blob has unknown flags 0x%04x",
						(unsigned) flags);
	total = get_u64(buf + 8);
	if (total != (uint64_t) len)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model blob length mismatch: header says %llu bytes, blob has %zu",
						(unsigned long long) total, len);
	if (len < HEADER_SIZE + MIN_BODY_SIZE + CRC_SIZE)
		return pgl_fail(
			st, PGL_ERR_CORRUPT,
			"model blob is truncated: %zu bytes is shorter than the smallest model (%d bytes)", len,
			HEADER_SIZE + MIN_BODY_SIZE + CRC_SIZE);
	stored = get_u32(buf + len - CRC_SIZE);
	computed = pgl_crc32c(0, buf, len - CRC_SIZE);
	if (stored != computed)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model blob checksum mismatch: stored 0x%08x, computed 0x%08x",
						(unsigned) stored, (unsigned) computed);
	return PGL_OK;
}

pgl_rc
pgl_model_read(const pgl_env *env, const uint8_t *buf, size_t len, pgl_model **out, pgl_status *st)
{
	reader	   r;
	pgl_model *m;
	pgl_rc	   rc;

	*out = NULL;
	if (buf == NULL && len > 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "model blob is missing");

	rc = check_envelope(buf, len, st);
	if (rc != PGL_OK)
		return rc;

	m = pgl_alloc0(env, sizeof(pgl_model));
	if (m == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");

	r.env = env;
	r.buf = buf;
	r.pos = HEADER_SIZE;
	r.end = len - CRC_SIZE;
	r.st = st;
	r.version = get_u16(buf + 4);
	r.encoded_ok = (get_u16(buf + 6) & PGL_FORMAT_FLAG_ENCODED) != 0;
	r.n_encoded = 0;

	rc = get_body(&r, m);
	/* the writer's rule: the lowest version that holds the model, so a blob reads back the same */
	if (rc == PGL_OK && r.version == PGL_FORMAT_VERSION_U8 && !has_u8(m))
		rc = pgl_fail(st, PGL_ERR_CORRUPT, "model blob is format version %d but has no u8 tensor",
					  (int) r.version);
	if (rc == PGL_OK && r.version == PGL_FORMAT_VERSION_KINDS && !has_v2(m))
		rc = pgl_fail(st, PGL_ERR_CORRUPT,
					  "model blob is format version %d but has no date, timestamp, array, text or "
					  "tokens feature",
					  (int) r.version);
	if (rc == PGL_OK && r.encoded_ok && r.n_encoded == 0)
		rc = pgl_fail(st, PGL_ERR_CORRUPT,
					  "model blob has the encoded-tensors flag but no encoded tensor");
	if (rc == PGL_OK)
		rc = pgl_model_check_structure(env, m, PGL_ERR_CORRUPT, st);
	if (rc == PGL_OK)
		rc = pgl_algo_validate(m, st);
	if (rc == PGL_OK)
		rc = pgl_algo_prepare(env, m, st);
	if (rc != PGL_OK)
	{
		/* a validation failure of a decoded model means a corrupt blob */
		if (rc != PGL_ERR_NOMEM)
		{
			rc = PGL_ERR_CORRUPT;
			st->rc = rc;
		}
		pgl_model_free(env, m);
		return rc;
	}

	*out = m;
	return PGL_OK;
}
