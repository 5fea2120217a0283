/*-------------------------------------------------------------------------
 *
 * test_format.c
 *	  Unit tests of the model binary format (src/algo/model_format.c).
 *
 * Round trips of hand-built models, CRC-32C, a golden blob pinning the
 * byte layout of docs/model-format.md, and the reader's robustness:
 * every truncation, every single-bit flip, patched fields with a re-stamped
 * checksum (so that structural validation, not the CRC, must catch them),
 * allocation failures, and a fixed-seed fuzz loop.  Leaks are caught by
 * AddressSanitizer at exit, and every rejected read is also checked to
 * have freed all it allocated.  The i64 and str tensor dtypes are tested on
 * a linear_regression model carrying extra tensors of those dtypes; the
 * rules for the recommendation task through pgl_model_check_structure.
 *
 *-------------------------------------------------------------------------
 */
#include "model_format.h"
#include "classifier.h"
#include "algorithms.h"
#include "unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

/* OK() evaluates its condition twice: call first, then check frc */
static pgl_rc frc;

/* ---------- building models by hand ---------- */

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char  *p = pgl_alloc(env, n);

	memcpy(p, s, n);
	return p;
}

static void
set_numeric(pgl_feature *f, const char *name, const char *type, double impute)
{
	f->name = xstrdup(name);
	f->type_name = xstrdup(type);
	f->kind = PGL_FEATURE_NUMERIC;
	f->impute = impute;
}

static void
set_categorical(pgl_feature *f, const char *name, const char *type, int n, const char *const *cats,
				int impute_category)
{
	f->name = xstrdup(name);
	f->type_name = xstrdup(type);
	f->kind = PGL_FEATURE_CATEGORICAL;
	f->n_categories = n;
	f->categories = pgl_alloc0(env, sizeof(char *) * n);
	for (int i = 0; i < n; i++)
		f->categories[i] = xstrdup(cats[i]);
	f->impute_category = impute_category;
}

static void
set_coef(pgl_model *m, int64_t rows, int64_t cols, const double *values)
{
	pgl_tensor *t;

	m->n_tensors = 1;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	t = &m->tensors[0];
	strcpy(t->name, "coef");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = rows;
	t->dims[1] = cols;
	t->data = pgl_alloc(env, sizeof(double) * rows * cols);
	memcpy(t->data, values, sizeof(double) * rows * cols);
}

/* numeric x1, categorical color {blue, green, red}, numeric x2: 5 inputs */
static pgl_model *
make_linreg(void)
{
	static const char *const colors[] = {"blue", "green", "red"};
	static const double		 coef[] = {0.5, -1.5, 2.0, 3.25, -0.0, 1e-300};
	pgl_model				*m = pgl_alloc0(env, sizeof(pgl_model));

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 3;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 3);
	set_numeric(&m->features[0], "x1", "double precision", 2.5);
	set_categorical(&m->features[1], "color", "text", 3, colors, 1);
	set_numeric(&m->features[2], "x2", "integer", -1.25);
	m->n_inputs = 5;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("double precision");
	set_coef(m, 6, 1, coef);
	return m;
}

/* numeric a, categorical b {"", "x"}: 3 inputs; classes cat, dog, fish */
static pgl_model *
make_logreg(void)
{
	static const char *const bs[] = {"", "x"};
	static const char *const classes[] = {"cat", "dog", "fish"};
	double					 coef[12];
	pgl_model				*m = pgl_alloc0(env, sizeof(pgl_model));

	for (int i = 0; i < 12; i++)
		coef[i] = (i - 5) * 0.375;
	m->algorithm = PGL_ALGO_LOGISTIC_REGRESSION;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 2;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 2);
	set_numeric(&m->features[0], "a", "real", 0.1);
	set_categorical(&m->features[1], "b", "text", 2, bs, 0);
	m->n_inputs = 3;
	m->target_name = xstrdup("label");
	m->target_type = xstrdup("text");
	m->n_classes = 3;
	m->classes = pgl_alloc0(env, sizeof(char *) * 3);
	for (int i = 0; i < 3; i++)
		m->classes[i] = xstrdup(classes[i]);
	set_coef(m, 4, 3, coef);
	return m;
}

/* the smallest useful model: y = 2 x + 1 (the example of the docs) */
static pgl_model *
make_tiny(void)
{
	static const double coef[] = {2.0, 1.0};
	pgl_model		   *m = pgl_alloc0(env, sizeof(pgl_model));

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 1;
	m->features = pgl_alloc0(env, sizeof(pgl_feature));
	set_numeric(&m->features[0], "x", "float8", 0.5);
	m->n_inputs = 1;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("float8");
	set_coef(m, 2, 1, coef);
	return m;
}

/* append a tensor (name, dtype, 1 or 2 dims) with data taken over */
static void
add_tensor(pgl_model *m, const char *name, int32_t dtype, int ndim, int64_t d0, int64_t d1,
		   void *data)
{
	pgl_tensor *t;

	m->tensors = realloc(m->tensors, sizeof(pgl_tensor) * (m->n_tensors + 1));
	t = &m->tensors[m->n_tensors++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	t->data = data;
}

/* a str tensor's data: n copies of the given strings */
static char **
str_array(int n, const char *const *v)
{
	char **a = pgl_alloc0(env, sizeof(char *) * (n ? n : 1));

	for (int i = 0; i < n; i++)
		a[i] = xstrdup(v[i]);
	return a;
}

/* make_linreg plus an i64 tensor "ids" [6] and a str tensor "keys" [2, 3] */
static const int64_t	 ext_ids[] = {INT64_MIN, -1, 0, 1, 4294967296LL, INT64_MAX};
static const char *const ext_keys[] = {
	"", "a", "h\xC3\xA9llo", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "a b", "\xF0\x9F\x98\x80"};

static pgl_model *
make_ext(void)
{
	pgl_model *m = make_linreg();
	int64_t	  *ids = pgl_alloc(env, sizeof(ext_ids));

	memcpy(ids, ext_ids, sizeof(ext_ids));
	add_tensor(m, "ids", PGL_I64, 1, 6, 0, ids);
	add_tensor(m, "keys", PGL_STR, 2, 2, 3, str_array(6, ext_keys));
	return m;
}

/* make_tiny plus 1000 strings and 1000 int64 */
static pgl_model *
make_many(void)
{
	pgl_model *m = make_tiny();
	char	 **keys = pgl_alloc0(env, sizeof(char *) * 1000);
	int64_t	  *ids = pgl_alloc(env, sizeof(int64_t) * 1000);

	for (int i = 0; i < 1000; i++)
	{
		char buf[32];

		snprintf(buf, sizeof(buf), "user-%04d-\xC3\xBC", i);
		keys[i] = xstrdup(i % 100 == 0 ? "" : buf);
		ids[i] = (int64_t) i * 9007199254740993LL - 4503599627370496LL;
	}
	add_tensor(m, "user_keys", PGL_STR, 1, 1000, 0, keys);
	add_tensor(m, "user_ids", PGL_I64, 1, 1000, 0, ids);
	return m;
}

/* ---------- comparing models ---------- */

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	return strcmp(a, b) == 0;
}

static bool
models_equal(const pgl_model *a, const pgl_model *b, const char **why)
{
#define DIFF(cond, what)                                                                           \
	do                                                                                             \
	{                                                                                              \
		if (cond)                                                                                  \
		{                                                                                          \
			*why = what;                                                                           \
			return false;                                                                          \
		}                                                                                          \
	} while (0)
	DIFF(a->algorithm != b->algorithm, "algorithm");
	DIFF(a->task != b->task, "task");
	DIFF(a->n_inputs != b->n_inputs, "n_inputs");
	DIFF(a->n_features != b->n_features, "n_features");
	for (int i = 0; i < a->n_features; i++)
	{
		const pgl_feature *fa = &a->features[i];
		const pgl_feature *fb = &b->features[i];

		DIFF(!str_eq(fa->name, fb->name), "feature name");
		DIFF(!str_eq(fa->type_name, fb->type_name), "feature type_name");
		DIFF(fa->kind != fb->kind, "feature kind");
		DIFF(memcmp(&fa->impute, &fb->impute, sizeof(double)) != 0, "feature impute");
		DIFF(fa->impute_category != fb->impute_category, "feature impute_category");
		DIFF(fa->n_categories != fb->n_categories, "feature n_categories");
		for (int c = 0; c < fa->n_categories; c++)
			DIFF(!str_eq(fa->categories[c], fb->categories[c]), "category");
	}
	DIFF(!str_eq(a->target_name, b->target_name), "target_name");
	DIFF(!str_eq(a->target_type, b->target_type), "target_type");
	DIFF(a->n_classes != b->n_classes, "n_classes");
	for (int c = 0; c < a->n_classes; c++)
		DIFF(!str_eq(a->classes[c], b->classes[c]), "class");
	DIFF(a->n_tensors != b->n_tensors, "n_tensors");
	for (int i = 0; i < a->n_tensors; i++)
	{
		const pgl_tensor *ta = &a->tensors[i];
		const pgl_tensor *tb = &b->tensors[i];
		size_t			  es = ta->dtype == PGL_F64 || ta->dtype == PGL_I64 ? 8 : 4;

		DIFF(strcmp(ta->name, tb->name) != 0, "tensor name");
		DIFF(ta->dtype != tb->dtype, "tensor dtype");
		DIFF(ta->ndim != tb->ndim, "tensor ndim");
		for (int d = 0; d < ta->ndim; d++)
			DIFF(ta->dims[d] != tb->dims[d], "tensor dims");
		if (ta->dtype == PGL_STR)
		{
			for (int64_t j = 0; j < pgl_tensor_count(ta); j++)
				DIFF(strcmp(((char **) ta->data)[j], ((char **) tb->data)[j]) != 0,
					 "tensor string");
		}
		else
			DIFF(pgl_tensor_count(ta) > 0 &&
					 memcmp(ta->data, tb->data, es * pgl_tensor_count(ta)) != 0,
				 "tensor data");
	}
	*why = "";
	return true;
#undef DIFF
}

/* ---------- an independent walker over the documented layout ---------- */

#define MAXF 8
#define MAXC 8
#define MAXT 4
#define MAXS 8 /* string elements of a str tensor whose offsets are recorded */

typedef struct layout
{
	size_t algorithm, task, n_inputs, n_features;
	int	   nf;
	struct
	{
		size_t name, type_name, kind, impute, impute_category, n_categories;
		int	   nc;
		size_t cat[MAXC];
	} f[MAXF];
	size_t target_name, target_type, n_classes;
	int	   nc;
	size_t cls[MAXC];
	size_t n_tensors;
	int	   nt;
	struct
	{
		size_t name, dtype, ndim, dims[4], data;
		size_t str[MAXS]; /* str tensors: offsets of the first elements */
	} t[MAXT];
	size_t crc;
} layout;

static uint32_t
le32(const uint8_t *p)
{
	return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
le64(const uint8_t *p)
{
	return le32(p) | ((uint64_t) le32(p + 4) << 32);
}

static void
set_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void
set_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* walk a valid blob (as written by us) and record the offset of each field */
static void
walk(const uint8_t *b, size_t len, layout *L)
{
	size_t p = 16;

	memset(L, 0, sizeof(*L));
#define STR(off)                                                                                   \
	do                                                                                             \
	{                                                                                              \
		(off) = p;                                                                                 \
		p += 4 + le32(b + p);                                                                      \
	} while (0)
	L->algorithm = p;
	p += 4;
	L->task = p;
	p += 4;
	L->n_inputs = p;
	p += 4;
	L->n_features = p;
	L->nf = (int) le32(b + p);
	p += 4;
	for (int i = 0; i < L->nf; i++)
	{
		STR(L->f[i].name);
		STR(L->f[i].type_name);
		L->f[i].kind = p;
		p += 4;
		L->f[i].impute = p;
		p += 8;
		L->f[i].impute_category = p;
		p += 4;
		L->f[i].n_categories = p;
		L->f[i].nc = (int) le32(b + p);
		p += 4;
		for (int c = 0; c < L->f[i].nc; c++)
			STR(L->f[i].cat[c]);
	}
	STR(L->target_name);
	STR(L->target_type);
	L->n_classes = p;
	L->nc = (int) le32(b + p);
	p += 4;
	for (int c = 0; c < L->nc; c++)
		STR(L->cls[c]);
	L->n_tensors = p;
	L->nt = (int) le32(b + p);
	p += 4;
	for (int i = 0; i < L->nt; i++)
	{
		int		 nd;
		uint64_t count = 1;

		STR(L->t[i].name);
		L->t[i].dtype = p;
		p += 4;
		L->t[i].ndim = p;
		nd = (int) le32(b + p);
		p += 4;
		for (int d = 0; d < nd; d++)
		{
			L->t[i].dims[d] = p;
			count *= le64(b + p);
			p += 8;
		}
		L->t[i].data = p;
		switch (le32(b + L->t[i].dtype))
		{
			case PGL_STR:
				for (uint64_t j = 0; j < count; j++)
				{
					size_t at;

					STR(at);
					if (j < MAXS)
						L->t[i].str[j] = at;
				}
				break;
			case PGL_F64:
			case PGL_I64:
				p += count * 8;
				break;
			default:
				p += count * 4;
				break;
		}
	}
	L->crc = p;
	OK(p + 4 == len, "layout walker agrees with the documented layout (%zu + 4 == %zu)", p, len);
#undef STR
}

/* re-stamp the length field and the CRC after a patch */
static void
restamp(uint8_t *b, size_t len)
{
	set_le64(b + 8, len);
	set_le32(b + len - 4, pgl_crc32c(0, b, len - 4));
}

static uint8_t *
dup_blob(const uint8_t *b, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	memcpy(c, b, len);
	return c;
}

/*
 * An allocator that can fail its n-th call (fail_at < 0: never), to test
 * cleanup on out-of-memory, and counts the blocks still live, to check that
 * a rejected read freed everything it allocated.
 */
typedef struct failing
{
	int calls;
	int fail_at;
	int live;
} failing;

static void *
failing_alloc(void *arg, size_t size)
{
	failing *f = arg;
	void	*p;

	if (f->calls++ == f->fail_at)
		return NULL;
	p = malloc(size);
	if (p != NULL)
		f->live++;
	return p;
}

static void
failing_free(void *arg, void *ptr)
{
	failing *f = arg;

	f->live--;
	free(ptr);
}

/* b must be rejected as corrupt, with a message containing expect, leaking nothing */
static void
expect_corrupt(const uint8_t *b, size_t len, const char *expect, const char *what)
{
	pgl_model *m = (pgl_model *) 0x1;
	pgl_status st;
	pgl_rc	   rc;
	failing	   f = {0, -1, 0};
	pgl_env	   fenv = {.arg = &f, .alloc = failing_alloc, .free = failing_free};

	memset(&st, 0, sizeof(st));
	rc = pgl_model_read(&fenv, b, len, &m, &st);
	OK(rc == PGL_ERR_CORRUPT && m == NULL && st.rc == PGL_ERR_CORRUPT &&
		   strstr(st.msg, expect) != NULL && f.live == 0,
	   "rejects %s: \"%s\"%s", what, st.msg, f.live ? " (leaks)" : "");
	if (rc == PGL_OK)
		pgl_model_free(&fenv, m);
}

/* patch a 32-bit field of a copy of blob, re-stamp, expect rejection */
static void
patch32(const uint8_t *blob, size_t len, size_t off, uint32_t v, const char *expect,
		const char *what)
{
	uint8_t *b = dup_blob(blob, len);

	set_le32(b + off, v);
	restamp(b, len);
	expect_corrupt(b, len, expect, what);
	free(b);
}

static void
patch64(const uint8_t *blob, size_t len, size_t off, uint64_t v, const char *expect,
		const char *what)
{
	uint8_t *b = dup_blob(blob, len);

	set_le64(b + off, v);
	restamp(b, len);
	expect_corrupt(b, len, expect, what);
	free(b);
}

static void
patchbytes(const uint8_t *blob, size_t len, size_t off, const char *bytes, const char *expect,
		   const char *what)
{
	uint8_t *b = dup_blob(blob, len);

	memcpy(b + off, bytes, strlen(bytes));
	restamp(b, len);
	expect_corrupt(b, len, expect, what);
	free(b);
}

/* ---------- tests ---------- */

static uint32_t
crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFF;

	for (size_t i = 0; i < n; i++)
	{
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78 : c >> 1;
	}
	return ~c;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void
test_crc(void)
{
	uint8_t data[1000];
	bool	same = true;

	OK(pgl_crc32c(0, "123456789", 9) == 0xE3069283,
	   "crc32c(\"123456789\") == 0xE3069283 (got 0x%08X)", pgl_crc32c(0, "123456789", 9));
	OK(pgl_crc32c(0, "", 0) == 0, "crc32c of nothing is 0");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t) rng();
	for (size_t n = 0; n <= sizeof(data); n += 37)
		if (pgl_crc32c(0, data, n) != crc32c_bitwise(data, n))
			same = false;
	OK(same, "table-driven crc32c matches a bitwise implementation");
	OK(pgl_crc32c(pgl_crc32c(0, data, 400), data + 400, 600) == pgl_crc32c(0, data, 1000),
	   "crc32c chains over split input");
}

static void
roundtrip(pgl_model *m, const char *name)
{
	uint8_t	   *blob = NULL, *blob2 = NULL;
	size_t		len = 0, len2 = 0;
	pgl_model  *r = NULL;
	pgl_status	st;
	pgl_rc		rc;
	const char *why = "";

	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_OK && blob != NULL, "%s: write (%s)", name, rc ? st.msg : "ok");
	if (rc != PGL_OK)
		return;
	OK(memcmp(blob, "PGLM\1\0\0\0", 8) == 0, "%s: header magic, version 1, flags 0", name);
	OK(le64(blob + 8) == len, "%s: header length %zu", name, len);
	OK(le32(blob + len - 4) == pgl_crc32c(0, blob, len - 4), "%s: trailing crc", name);
	OK((int32_t) le32(blob + 16) == m->algorithm, "%s: algorithm at offset 16", name);

	rc = pgl_model_read(env, blob, len, &r, &st);
	OK(rc == PGL_OK && r != NULL, "%s: read back (%s)", name, rc ? st.msg : "ok");
	if (rc == PGL_OK)
	{
		OK(models_equal(m, r, &why), "%s: every field round-trips%s%s", name,
		   *why ? ", differs in " : "", why);
		rc = pgl_model_write(env, r, &blob2, &len2, &st);
		OK(rc == PGL_OK && len2 == len && memcmp(blob, blob2, len) == 0,
		   "%s: re-writing the read model gives the same bytes", name);
		free(blob2);
		pgl_model_free(env, r);
	}
	free(blob);
}

static void
test_golden(void)
{
	/* docs/model-format.md, "Worked example" */
	static const uint8_t golden[] = {
		0x50, 0x47, 0x4C, 0x4D, 0x01, 0x00, 0x00, 0x00, 0x8E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x78, 0x06, 0x00, 0x00, 0x00, 0x66, 0x6C, 0x6F, 0x61,
		0x74, 0x38, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x79, 0x06, 0x00, 0x00,
		0x00, 0x66, 0x6C, 0x6F, 0x61, 0x74, 0x38, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x63, 0x6F, 0x65, 0x66, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
		0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0xF0, 0x3F, 0x6A, 0x8B, 0x9E, 0x26};
	pgl_model *m = make_tiny();
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;

	frc = pgl_model_write(env, m, &blob, &len, &st);
	OK(frc == PGL_OK, "tiny: write");
	OK(len == sizeof(golden) && memcmp(blob, golden, len) == 0,
	   "tiny model encodes to the bytes of the documented example (%zu bytes)", len);
	if (getenv("PGL_DUMP_GOLDEN"))
	{
		for (size_t i = 0; i < len; i++)
			printf("%s0x%02X,%s", i % 8 == 0 ? "# " : " ", blob[i], i % 8 == 7 ? "\n" : "");
		printf("\n");
	}
	free(blob);
	pgl_model_free(env, m);
}

static void
test_truncations_and_flips(pgl_model *m, const char *name, bool flips)
{
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	int		   accepted = 0, leaked = 0, wrong_rc = 0;

	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		OK(false, "%s: write for truncation tests: %s", name, st.msg);
		return;
	}
	for (size_t n = 0; n < len; n++)
	{
		pgl_model *r = (pgl_model *) 0x1;
		uint8_t	  *b = dup_blob(blob, n); /* exact-size buffer for ASan */
		pgl_rc	   rc = pgl_model_read(env, b, n, &r, &st);

		if (rc == PGL_OK)
		{
			accepted++;
			pgl_model_free(env, r);
		}
		else if (r != NULL)
			leaked++;
		else if (rc != PGL_ERR_CORRUPT)
			wrong_rc++;
		free(b);
	}
	OK(accepted == 0 && leaked == 0 && wrong_rc == 0,
	   "%s: all %zu truncations rejected as corrupt (%d accepted)", name, len, accepted);

	if (!flips)
	{
		free(blob);
		return;
	}
	accepted = leaked = wrong_rc = 0;
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			pgl_model *r = (pgl_model *) 0x1;
			pgl_rc	   rc;

			blob[i] ^= (uint8_t) (1 << bit);
			rc = pgl_model_read(env, blob, len, &r, &st);
			blob[i] ^= (uint8_t) (1 << bit);
			if (rc == PGL_OK)
			{
				accepted++;
				pgl_model_free(env, r);
			}
			else if (r != NULL)
				leaked++;
			else if (rc != PGL_ERR_CORRUPT)
				wrong_rc++;
		}
	OK(accepted == 0 && leaked == 0 && wrong_rc == 0,
	   "%s: all %zu single-bit flips rejected as corrupt (%d accepted)", name, len * 8, accepted);
	free(blob);
}

static void
test_patched_linreg(void)
{
	pgl_model *m = make_linreg();
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	layout	   L;
	double	   nan = NAN;
	uint64_t   nanbits;

	memcpy(&nanbits, &nan, 8);
	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		OK(false, "linreg: write: %s", st.msg);
		pgl_model_free(env, m);
		return;
	}
	walk(blob, len, &L);

	/* envelope */
	{
		uint8_t *b = dup_blob(blob, len);

		b[len - 1] ^= 0xFF;
		expect_corrupt(b, len, "checksum mismatch: stored 0x", "a wrong checksum");
		free(b);
	}
	patchbytes(blob, len, 0, "PGLX", "magic", "a wrong magic");
	{
		uint8_t *b = dup_blob(blob, len);

		b[4] = 4;
		restamp(b, len);
		expect_corrupt(b, len, "model format version 4 is newer than this pg_learn supports (3)",
					   "a newer format version");
		b[4] = 0;
		restamp(b, len);
		expect_corrupt(b, len, "version 0 is invalid", "format version 0");
		b[4] = 1;
		b[6] = 2; /* bit 0 is the encoded-tensors flag (test_quantize.c) */
		restamp(b, len);
		expect_corrupt(b, len, "unknown flags", "nonzero flags");
		b[6] = 0;
		set_le32(b + len - 4, pgl_crc32c(0, b, len - 4));
		set_le64(b + 8, len + 1);
		expect_corrupt(b, len, "length mismatch", "a declared length one too long");
		set_le64(b + 8, UINT64_MAX);
		expect_corrupt(b, len, "length mismatch", "a declared length of 2^64-1");
		free(b);
	}
	{
		/* one extra byte before the CRC, with length and CRC fixed up */
		uint8_t *b = malloc(len + 1);

		memcpy(b, blob, len - 4);
		b[len - 4] = 0;
		restamp(b, len + 1);
		expect_corrupt(b, len + 1, "1 unexpected bytes", "a trailing byte before the crc");
		free(b);
	}

	/* counts and lengths that lie */
	patch32(blob, len, L.algorithm, 99, "unknown algorithm id 99", "an unknown algorithm id");
	patch32(blob, len, L.task, PGL_TASK_CLASSIFICATION, "",
			"a classification task for linear_regression");
	patch32(blob, len, L.task, 77, "unknown task", "an unknown task");
	patch32(blob, len, L.n_inputs, 6, "input width 6", "a wrong n_inputs");
	patch32(blob, len, L.n_features, INT32_MAX, "2147483647 features", "n_features = 2^31-1");
	patch32(blob, len, L.n_features, (uint32_t) -1, "negative features count", "n_features = -1");
	patch32(blob, len, L.n_features, 2, "", "n_features one too small");
	patch32(blob, len, L.f[0].name, UINT32_MAX, "the limit is 65535", "a 4 GiB string length");
	patch32(blob, len, L.f[0].name, 65535, "truncated", "a string longer than the blob");
	patch32(blob, len, L.f[0].name, 0, "", "an empty feature name");
	patch32(blob, len, L.f[1].kind, PGL_FEATURE_KIND_MAX + 1, "unknown kind 8",
			"an unknown feature kind");
	patch32(blob, len, L.f[1].kind, PGL_FEATURE_DATE, "which format version 1 does not have",
			"a date feature kind in a version 1 blob");
	patch32(blob, len, L.f[1].kind, PGL_FEATURE_NUMERIC, "is numeric but has categories",
			"a numeric feature with categories");
	patch32(blob, len, L.f[0].kind, PGL_FEATURE_CATEGORICAL, "no categories",
			"a categorical feature without categories");
	patch64(blob, len, L.f[0].impute, nanbits, "non-finite impute", "a NaN impute value");
	patch32(blob, len, L.f[1].impute_category, 3, "out of range", "impute_category = n_categories");
	patch32(blob, len, L.f[1].impute_category, (uint32_t) -1, "out of range",
			"impute_category = -1");
	patch32(blob, len, L.f[1].n_categories, INT32_MAX, "2147483647 categories",
			"n_categories = 2^31-1");
	patch32(blob, len, L.f[1].n_categories, (uint32_t) -5, "negative categories",
			"n_categories = -5");
	patchbytes(blob, len, L.f[1].cat[0] + 4, "zzzz", "not strictly sorted", "unsorted categories");
	patchbytes(blob, len, L.f[1].cat[2] + 4, "gre", "not strictly sorted",
			   "out-of-order categories");
	{
		uint8_t *b = dup_blob(blob, len);

		b[L.f[1].name + 5] = 0;
		restamp(b, len);
		expect_corrupt(b, len, "zero byte", "a zero byte inside a string");
		free(b);
	}
	patch32(blob, len, L.target_type, 1u << 20, "the limit is 65535", "a 1 MiB target type");
	patch32(blob, len, L.n_classes, 1, "", "classes on a regression model");
	patch32(blob, len, L.n_classes, INT32_MAX, "2147483647 classes", "n_classes = 2^31-1");
	patch32(blob, len, L.n_tensors, INT32_MAX, "2147483647 tensors", "n_tensors = 2^31-1");
	patch32(blob, len, L.n_tensors, 0, "", "no tensors");

	/* tensors */
	patch32(blob, len, L.t[0].name, 32, "the limit is 31", "a 32-byte tensor name");
	patch32(blob, len, L.t[0].name, 0, "empty name", "an empty tensor name");
	patchbytes(blob, len, L.t[0].name + 4, "cofe", "no \"coef\" tensor", "a misnamed coef tensor");
	patch32(blob, len, L.t[0].dtype, 7, "unknown dtype 7", "an unknown dtype");
	patch32(blob, len, L.t[0].dtype, 0, "unknown dtype 0", "dtype 0");
	patch32(blob, len, L.t[0].dtype, PGL_F32, "", "a float32 coef");
	patch32(blob, len, L.t[0].ndim, 9, "9 dimensions", "ndim = 9");
	patch32(blob, len, L.t[0].ndim, (uint32_t) -1, "-1 dimensions", "ndim = -1");
	patch32(blob, len, L.t[0].ndim, 1, "", "ndim = 1");
	patch64(blob, len, L.t[0].dims[0], (uint64_t) 1 << 62, "overflows", "dims[0] = 2^62");
	patch64(blob, len, L.t[0].dims[0], (uint64_t) 1 << 40, "truncated", "dims[0] = 2^40");
	patch64(blob, len, L.t[0].dims[0], INT64_MAX, "overflows", "dims[0] = 2^63-1");
	patch64(blob, len, L.t[0].dims[0], 7, "truncated", "one row too many");
	patch64(blob, len, L.t[0].dims[0], 5, "unexpected bytes", "one row too few");
	patch64(blob, len, L.t[0].dims[1], (uint64_t) -1, "is negative", "dims[1] = -1");
	patch64(blob, len, L.t[0].dims[0], (uint64_t) INT64_MIN, "is negative", "dims[0] = -2^63");
	{
		/* the same 6 coefficients as [3, 2]: parses, but the shape is wrong */
		uint8_t *b = dup_blob(blob, len);

		set_le64(b + L.t[0].dims[0], 3);
		set_le64(b + L.t[0].dims[1], 2);
		restamp(b, len);
		expect_corrupt(b, len, "wrong shape", "a coef tensor of shape [3, 2]");
		/* [2^40, 2^40] would overflow int64 element counts even times 8 */
		set_le64(b + L.t[0].dims[0], (uint64_t) 1 << 40);
		set_le64(b + L.t[0].dims[1], (uint64_t) 1 << 40);
		restamp(b, len);
		expect_corrupt(b, len, "overflows", "dims [2^40, 2^40]");
		free(b);
	}
	patch64(blob, len, L.t[0].data + 16, nanbits, "coefficient 2 is not finite",
			"a NaN coefficient");
	patch64(blob, len, L.t[0].data + 40, 0x7FF0000000000000ULL, "coefficient 5 is not finite",
			"an infinite coefficient");

	free(blob);
	pgl_model_free(env, m);
}

static void
test_patched_logreg(void)
{
	pgl_model *m = make_logreg();
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	layout	   L;

	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		OK(false, "logreg: write: %s", st.msg);
		pgl_model_free(env, m);
		return;
	}
	walk(blob, len, &L);
	patchbytes(blob, len, L.cls[1] + 4, "cat", "duplicate class", "a duplicate class label");
	patch32(blob, len, L.cls[2], 1u << 30, "the limit is 65535", "a 1 GiB class label");
	patch32(blob, len, L.n_classes, 0, "", "a classifier without classes");
	patch32(blob, len, L.task, PGL_TASK_REGRESSION, "", "a regression logistic model");
	patch64(blob, len, L.t[0].dims[1], 2, "", "coef with 2 columns for 3 classes");
	patch32(blob, len, L.f[1].impute_category, 2, "out of range", "impute_category out of range");
	patch32(blob, len, L.f[1].cat[1], 0, "", "a category length that is one too short");
	free(blob);
	pgl_model_free(env, m);
}

static void
test_ext_values(void)
{
	pgl_model *m = make_ext();
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_model *r = NULL;
	pgl_status st;
	bool	   same = true;

	frc = pgl_model_write(env, m, &blob, &len, &st);
	OK(frc == PGL_OK, "ext: write (%s)", frc ? st.msg : "ok");
	frc = pgl_model_read(env, blob, len, &r, &st);
	OK(frc == PGL_OK && r != NULL, "ext: read (%s)", frc ? st.msg : "ok");
	if (r != NULL)
	{
		const pgl_tensor *ids = pgl_model_tensor(r, "ids");
		const pgl_tensor *keys = pgl_model_tensor(r, "keys");

		OK(ids != NULL && ids->dtype == PGL_I64 && ((int64_t *) ids->data)[0] == INT64_MIN &&
			   ((int64_t *) ids->data)[5] == INT64_MAX && ((int64_t *) ids->data)[1] == -1 &&
			   ((int64_t *) ids->data)[4] == 4294967296LL,
		   "ext: i64 values including INT64_MIN and INT64_MAX");
		for (int i = 0; i < 6 && keys != NULL; i++)
			if (strcmp(((char **) keys->data)[i], ext_keys[i]) != 0)
				same = false;
		OK(keys != NULL && keys->dtype == PGL_STR && keys->ndim == 2 && same &&
			   ((char **) keys->data)[0][0] == '\0',
		   "ext: str values, empty and multi-byte UTF-8 strings, shape [2, 3]");
		pgl_model_free(env, r);
	}
	free(blob);
	pgl_model_free(env, m);
}

static void
test_patched_ext(void)
{
	pgl_model *m = make_ext();
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	layout	   L;
	size_t	   ids, keys, last;

	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		OK(false, "ext: write: %s", st.msg);
		pgl_model_free(env, m);
		return;
	}
	walk(blob, len, &L);
	OK(L.nt == 3, "ext: 3 tensors");
	ids = 1;
	keys = 2;
	last = L.t[keys].str[5];

	/* the i64 tensor */
	patch32(blob, len, L.t[ids].dtype, 7, "unknown dtype 7", "dtype 7");
	patch32(blob, len, L.t[ids].dtype, 6, "does not have the encoded-tensors flag",
			"dtype 6 (encoded) without the header flag");
	patch32(blob, len, L.t[ids].dtype, PGL_I32, "", "an i64 tensor read as i32");
	patch32(blob, len, L.t[ids].dtype, PGL_STR, "", "an i64 tensor read as str");
	patch64(blob, len, L.t[ids].dims[0], 7, "", "an i64 tensor one element too long");
	patch64(blob, len, L.t[ids].dims[0], (uint64_t) 1 << 40, "truncated",
			"an i64 tensor of 2^40 elements");
	patch64(blob, len, L.t[ids].dims[0], (uint64_t) 1 << 61, "overflows",
			"an i64 tensor of 2^61 elements");

	/* the str tensor: counts that lie */
	patch32(blob, len, L.t[keys].dtype, PGL_I32, "", "a str tensor read as i32");
	patch32(blob, len, L.t[keys].dtype, PGL_I64, "", "a str tensor read as i64");
	patch64(blob, len, L.t[keys].dims[0], 3, "", "a str tensor one row too long");
	patch64(blob, len, L.t[keys].dims[0], 1, "unexpected bytes", "a str tensor one row too short");
	patch64(blob, len, L.t[keys].dims[0], INT32_MAX, "truncated",
			"a str tensor of 2^31-1 rows (before allocating)");
	patch64(blob, len, L.t[keys].dims[0], (uint64_t) 1 << 40, "needs 3298534883328 elements",
			"a str tensor of 3 x 2^40 elements (before allocating)");
	patch64(blob, len, L.t[keys].dims[1], (uint64_t) 1 << 62, "overflows",
			"a str tensor of 2 x 2^62 elements");
	patch64(blob, len, L.t[keys].dims[1], (uint64_t) -3, "is negative", "a str tensor dim of -3");

	/* the str tensor: string lengths that lie */
	patch32(blob, len, L.t[keys].str[1], 65536, "the limit is 65535", "a 65536-byte str element");
	patch32(blob, len, L.t[keys].str[1], UINT32_MAX, "the limit is 65535",
			"a str element of 4 GiB");
	patch32(blob, len, L.t[keys].str[1], 65535, "truncated", "a str element longer than the blob");
	patch32(blob, len, L.t[keys].str[1], 0, "", "a str element length one too short");
	patch32(blob, len, L.t[keys].str[0], 1, "", "a str element length one too long");
	patch32(blob, len, last, 5, "truncated", "the last str element one byte too long");
	patch32(blob, len, last, 3, "1 unexpected bytes", "the last str element one byte too short");
	{
		uint8_t *b = dup_blob(blob, len);

		/* "a b" -> "a\0b" */
		b[L.t[keys].str[4] + 5] = 0;
		restamp(b, len);
		expect_corrupt(b, len, "tensor string element at offset",
					   "a zero byte inside a str element");
		free(b);
		b = dup_blob(blob, len);
		/* the last byte of the last element */
		b[last + 4 + 3] = 0;
		restamp(b, len);
		expect_corrupt(b, len, "contains a zero byte", "a zero byte ending the last str element");
		free(b);
	}
	patchbytes(blob, len, L.t[keys].name + 4, "coef", "duplicate tensor name",
			   "a str tensor named like another");

	free(blob);
	pgl_model_free(env, m);
}

/* structural rules of the recommendation task (no features, no classes) */
static void
test_recommendation(void)
{
	pgl_model	m;
	pgl_model  *lin;
	pgl_status	st;
	uint8_t	   *blob = NULL;
	size_t		len = 0;
	char	   *classes[2] = {"a", "b"};
	pgl_feature f;

	memset(&m, 0, sizeof(m));
	m.algorithm = PGL_ALGO_ALS;
	m.task = PGL_TASK_RECOMMENDATION;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_INVALID, &st);
	OK(frc == PGL_OK, "recommendation: no features, inputs, classes or target passes (%s)",
	   frc ? st.msg : "ok");
	m.target_name = "";
	m.target_type = "";
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_OK, "recommendation: empty target name and type pass (%s)", frc ? st.msg : "ok");

	memset(&f, 0, sizeof(f));
	f.name = "x";
	f.type_name = "";
	f.kind = PGL_FEATURE_NUMERIC;
	m.n_features = 1;
	m.features = &f;
	m.n_inputs = 1;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_ERR_CORRUPT && strstr(st.msg, "recommendation model has 1 features") != NULL,
	   "recommendation: a feature is refused: \"%s\"", st.msg);
	m.n_features = 0;
	m.features = NULL;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_INVALID, &st);
	OK(frc == PGL_ERR_INVALID && strstr(st.msg, "1 inputs") != NULL,
	   "recommendation: an input is refused: \"%s\"", st.msg);
	m.n_inputs = 0;
	m.n_classes = 2;
	m.classes = classes;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_ERR_CORRUPT && strstr(st.msg, "2 classes") != NULL,
	   "recommendation: classes are refused: \"%s\"", st.msg);
	m.task = PGL_TASK_CLUSTERING;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_ERR_CORRUPT && strstr(st.msg, "clustering model has 2 classes") != NULL,
	   "clustering: classes are refused: \"%s\"", st.msg);
	m.task = PGL_TASK_FORECAST;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_ERR_CORRUPT &&
		   strstr(st.msg, "forecast model has 0 features, 0 inputs and 2 classes") != NULL,
	   "forecast: classes are refused: \"%s\"", st.msg);
	m.n_classes = 0;
	m.classes = NULL;
	m.task = 99;
	frc = pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_ERR_CORRUPT && strstr(st.msg, "unknown task id 99") != NULL,
	   "task 99 is unknown: \"%s\"", st.msg);

	/* today's rules for the other tasks are unchanged */
	lin = make_linreg();
	frc = pgl_model_check_structure(env, lin, PGL_ERR_INVALID, &st);
	OK(frc == PGL_OK, "regression model with features passes the structural checks");
	lin->task = PGL_TASK_RECOMMENDATION;
	frc = pgl_model_check_structure(env, lin, PGL_ERR_INVALID, &st);
	OK(frc == PGL_ERR_INVALID && strstr(st.msg, "recommendation model has 3 features") != NULL,
	   "the same model with the recommendation task is refused: \"%s\"", st.msg);
	lin->task = PGL_TASK_REGRESSION;

	/*
	 * A blob whose header is a valid recommender's passes the reader's
	 * generic checks and fails only in pgl_algo_validate: an intercept-only
	 * linear regression (no features) patched to the recommendation task.
	 */
	{
		static const double coef[] = {3.0};
		pgl_model		   *z = pgl_alloc0(env, sizeof(pgl_model));
		layout				L;

		z->algorithm = PGL_ALGO_LINEAR_REGRESSION;
		z->task = PGL_TASK_REGRESSION;
		set_coef(z, 1, 1, coef);
		frc = pgl_model_write(env, z, &blob, &len, &st);
		OK(frc == PGL_OK, "an intercept-only regression model is written (%s)",
		   frc ? st.msg : "ok");
		if (frc == PGL_OK)
		{
			walk(blob, len, &L);
			patch32(blob, len, L.task, PGL_TASK_RECOMMENDATION, "does not match algorithm",
					"the recommendation task on linear_regression (after the generic checks)");
			free(blob);
		}
		/* and the writer, likewise */
		z->task = PGL_TASK_RECOMMENDATION;
		blob = (uint8_t *) 0x1;
		frc = pgl_model_write(env, z, &blob, &len, &st);
		OK(frc == PGL_ERR_INVALID && blob == NULL && strstr(st.msg, "does not match") != NULL,
		   "writer: a featureless recommendation header passes the generic checks: \"%s\"", st.msg);
		pgl_model_free(env, z);
	}
	pgl_model_free(env, lin);
}

static void
test_writer_rejects(void)
{
	pgl_model *m = make_linreg();
	uint8_t	  *blob = (uint8_t *) 0x1;
	size_t	   len = 1;
	pgl_status st;
	pgl_rc	   rc;
	char	  *tmp;

	tmp = m->features[1].categories[0];
	m->features[1].categories[0] = m->features[1].categories[2];
	m->features[1].categories[2] = tmp;
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL && len == 0,
	   "writer refuses unsorted categories: \"%s\"", st.msg);
	if (rc == PGL_OK)
		free(blob);
	m->features[1].categories[2] = m->features[1].categories[0];
	m->features[1].categories[0] = tmp;

	{
		pgl_model *x = make_ext();
		char	 **keys = x->tensors[2].data;
		char	  *k1 = keys[1];
		char	  *big = malloc(65537);

		keys[1] = NULL;
		rc = pgl_model_write(env, x, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && blob == NULL && strstr(st.msg, "element 1") != NULL,
		   "writer refuses a NULL str element: \"%s\"", st.msg);
		if (rc == PGL_OK)
			free(blob);
		memset(big, 'x', 65536);
		big[65536] = '\0';
		keys[1] = big;
		rc = pgl_model_write(env, x, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && blob == NULL && strstr(st.msg, "element 1") != NULL,
		   "writer refuses a 65536-byte str element: \"%s\"", st.msg);
		if (rc == PGL_OK)
			free(blob);
		big[65535] = '\0';
		rc = pgl_model_write(env, x, &blob, &len, &st);
		OK(rc == PGL_OK, "writer accepts a 65535-byte str element (%s)", rc ? st.msg : "ok");
		if (rc == PGL_OK)
		{
			pgl_model *r = NULL;

			frc = pgl_model_read(env, blob, len, &r, &st);
			OK(frc == PGL_OK && r != NULL &&
				   strlen(((char **) pgl_model_tensor(r, "keys")->data)[1]) == 65535,
			   "and reads it back");
			pgl_model_free(env, r);
			free(blob);
		}
		keys[1] = k1;
		free(big);
		x->tensors[2].dtype = 9;
		rc = pgl_model_write(env, x, &blob, &len, &st);
		OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses dtype 9: \"%s\"", st.msg);
		x->tensors[2].dtype = PGL_STR;
		pgl_model_free(env, x);
	}

	((double *) m->tensors[0].data)[3] = NAN;
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses a NaN coefficient: \"%s\"", st.msg);
	if (rc == PGL_OK)
		free(blob);
	((double *) m->tensors[0].data)[3] = 1.0;

	m->n_inputs = 4;
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses a wrong n_inputs: \"%s\"", st.msg);
	if (rc == PGL_OK)
		free(blob);
	m->n_inputs = 5;

	memset(m->tensors[0].name, 'c', PGL_TENSOR_NAME_LEN);
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses an unterminated tensor name: \"%s\"",
	   st.msg);
	if (rc == PGL_OK)
		free(blob);
	strcpy(m->tensors[0].name, "coef");

	m->tensors[0].ndim = 5;
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses ndim 5: \"%s\"", st.msg);
	if (rc == PGL_OK)
		free(blob);
	m->tensors[0].ndim = 2;

	m->features[0].name[0] = '\0';
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_ERR_INVALID && blob == NULL, "writer refuses an empty feature name: \"%s\"",
	   st.msg);
	if (rc == PGL_OK)
		free(blob);
	m->features[0].name[0] = 'x';

	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_OK, "writer accepts the model once repaired");
	free(rc == PGL_OK ? blob : NULL);
	pgl_model_free(env, m);
}

static void
test_out_of_memory(pgl_model *m, const char *name)
{
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	failing	   f = {0, -1, 0};
	pgl_env	   fenv = {.arg = &f, .alloc = failing_alloc, .free = failing_free};
	int		   n_allocs, bad = 0;

	pgl_model_write(env, m, &blob, &len, &st);

	/* count the allocations of a successful read */
	f.calls = 0;
	f.fail_at = -1;
	{
		pgl_model *r = NULL;

		frc = pgl_model_read(&fenv, blob, len, &r, &st);
		OK(frc == PGL_OK, "%s: read with a counting allocator", name);
		pgl_model_free(&fenv, r);
	}
	OK(f.live == 0, "%s: freeing the model frees all it allocated", name);
	n_allocs = f.calls;
	for (int k = 0; k < n_allocs; k++)
	{
		pgl_model *r = (pgl_model *) 0x1;
		pgl_rc	   rc;

		f.calls = 0;
		f.fail_at = k;
		f.live = 0;
		rc = pgl_model_read(&fenv, blob, len, &r, &st);
		if (rc != PGL_ERR_NOMEM || r != NULL || f.live != 0)
		{
			printf("# allocation %d: rc %d, \"%s\"\n", k, (int) rc, st.msg);
			bad++;
			if (rc == PGL_OK)
				pgl_model_free(&fenv, r);
		}
	}
	OK(bad == 0, "%s: each of the %d allocations of a read failing gives PGL_ERR_NOMEM, no leak",
	   name, n_allocs);

	f.calls = 0;
	f.fail_at = 0;
	{
		uint8_t *b2 = (uint8_t *) 0x1;
		size_t	 l2;
		pgl_rc	 rc = pgl_model_write(&fenv, m, &b2, &l2, &st);

		if (rc == PGL_ERR_NOMEM)
		{
			/* the scratch array for duplicate checks; fail the next one too */
			f.calls = 0;
			f.fail_at = 1;
			rc = pgl_model_write(&fenv, m, &b2, &l2, &st);
		}
		OK(rc == PGL_ERR_NOMEM && b2 == NULL,
		   "%s: write with a failing allocator gives PGL_ERR_NOMEM", name);
	}
	free(blob);
}

/* apply a random mutation to b (length *len, capacity cap) */
static void
mutate(uint8_t *b, size_t *len, size_t cap)
{
	static const uint32_t interesting[] = {
		0,	1,	 2,	  3,	 4,		5,			8,			31,			32,
		33, 255, 256, 65535, 65536, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE};
	size_t n = *len;

	switch (rng() % 6)
	{
		case 0:
			if (n > 0)
				b[rng() % n] ^= (uint8_t) (1 << (rng() % 8));
			break;
		case 1:
			if (n > 0)
				b[rng() % n] = (uint8_t) rng();
			break;
		case 2:
			if (n >= 4)
				set_le32(b + rng() % (n - 3),
						 interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))]);
			break;
		case 3:
			if (n >= 8)
				set_le64(b + rng() % (n - 7), rng() >> (rng() % 64));
			break;
		case 4:
			if (n > 0)
				*len = rng() % n;
			break;
		case 5:
		{
			size_t extra = rng() % 16;

			if (n + extra <= cap)
			{
				size_t at = n > 4 ? n - 4 : 0;

				memmove(b + at + extra, b + at, n - at);
				for (size_t i = 0; i < extra; i++)
					b[at + i] = (uint8_t) rng();
				*len = n + extra;
			}
		}
		break;
	}
}

/* read b; must not crash; if accepted it must re-encode to the same bytes */
static bool
fuzz_one(const uint8_t *b, size_t len, int *accepted)
{
	pgl_model *r = (pgl_model *) 0x1;
	pgl_status st;
	pgl_rc	   rc = pgl_model_read(env, b, len, &r, &st);
	bool	   ok = true;

	if (rc == PGL_OK)
	{
		uint8_t *b2 = NULL;
		size_t	 l2 = 0;

		(*accepted)++;
		ok = pgl_model_write(env, r, &b2, &l2, &st) == PGL_OK && l2 == len &&
			 memcmp(b, b2, len) == 0;
		free(b2);
		pgl_model_free(env, r);
	}
	else if (rc != PGL_ERR_CORRUPT || r != NULL)
		ok = false;
	return ok;
}

static void
test_fuzz(void)
{
	pgl_model *models[3] = {make_linreg(), make_logreg(), make_ext()};
	uint8_t	  *valid[3];
	size_t	   vlen[3];
	pgl_status st;
	int		   bad = 0, accepted = 0;
	const int  n_random = 20000, n_mutations = 40000;

	rng_state = 0x243F6A8885A308D3ULL;
	for (int i = 0; i < n_random; i++)
	{
		size_t	 len = rng() % 400;
		uint8_t *b = malloc(len ? len : 1);

		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t) rng();
		/* most get a plausible envelope so that the body parser is fuzzed */
		if (len >= 20 && rng() % 4 != 0)
		{
			memcpy(b, "PGLM\1\0\0\0", 8);
			/* small counts are more interesting than random ones */
			for (size_t k = 16; k + 4 <= len - 4; k += 4)
				if (rng() % 2)
					set_le32(b + k, (uint32_t) (rng() % 6));
			restamp(b, len);
		}
		if (!fuzz_one(b, len, &accepted))
			bad++;
		free(b);
	}
	OK(bad == 0, "%d random blobs: no crash, all rejected or re-encoded identically (%d accepted)",
	   n_random, accepted);

	for (int k = 0; k < 3; k++)
		pgl_model_write(env, models[k], &valid[k], &vlen[k], &st);
	bad = accepted = 0;
	for (int i = 0; i < n_mutations; i++)
	{
		int		 k = i % 3;
		size_t	 cap = vlen[k] + 64;
		uint8_t *b = malloc(cap);
		size_t	 len = vlen[k];
		int		 n_mut = 1 + (int) (rng() % 4);
		uint8_t *exact;

		memcpy(b, valid[k], len);
		for (int j = 0; j < n_mut; j++)
			mutate(b, &len, cap);
		if (len >= 20 && rng() % 8 != 0)
			restamp(b, len);
		exact = dup_blob(b, len); /* so ASan sees reads past the end */
		if (!fuzz_one(exact, len, &accepted))
			bad++;
		free(exact);
		free(b);
	}
	OK(bad == 0,
	   "%d mutations of valid blobs: no crash, all rejected or re-encoded identically (%d "
	   "accepted)",
	   n_mutations, accepted);

	for (int k = 0; k < 3; k++)
	{
		free(valid[k]);
		pgl_model_free(env, models[k]);
	}
}

static void
test_misc(void)
{
	pgl_model *r = (pgl_model *) 0x1;
	pgl_status st;

	frc = pgl_model_read(env, NULL, 0, &r, &st);
	OK(frc == PGL_ERR_CORRUPT && r == NULL, "an empty blob is rejected: \"%s\"", st.msg);

	/* model with target name/type NULL: written as empty, read back as "" */
	{
		pgl_model *m = make_tiny();
		uint8_t	  *blob = NULL;
		size_t	   len = 0;

		pgl_free(env, m->target_name);
		pgl_free(env, m->target_type);
		m->target_name = NULL;
		m->target_type = NULL;
		frc = pgl_model_write(env, m, &blob, &len, &st);
		OK(frc == PGL_OK, "NULL target name and type are written");
		r = NULL;
		frc = pgl_model_read(env, blob, len, &r, &st);
		OK(frc == PGL_OK && r != NULL && r->target_name != NULL && r->target_name[0] == '\0' &&
			   r->target_type != NULL && r->target_type[0] == '\0',
		   "and read back as empty strings");
		pgl_model_free(env, r);
		free(blob);
		pgl_model_free(env, m);
	}

	/* a second, scalar int32 and an empty f32 tensor round-trip too */
	{
		pgl_model  *m = make_tiny();
		pgl_model  *r2 = NULL;
		pgl_tensor *t;
		uint8_t	   *blob = NULL;
		size_t		len = 0;
		const char *why = "";

		m->tensors = realloc(m->tensors, 3 * sizeof(pgl_tensor));
		m->n_tensors = 3;
		t = &m->tensors[1];
		memset(t, 0, sizeof(*t));
		strcpy(t->name, "n_iter");
		t->dtype = PGL_I32;
		t->ndim = 0;
		t->data = malloc(4);
		*(int32_t *) t->data = -42;
		t = &m->tensors[2];
		memset(t, 0, sizeof(*t));
		strcpy(t->name, "a_very_long_tensor_name_31_byte");
		t->dtype = PGL_F32;
		t->ndim = 4;
		t->dims[0] = 1000000;
		t->dims[1] = 0;
		t->dims[2] = 3;
		t->dims[3] = 1;
		t->data = NULL;
		frc = pgl_model_write(env, m, &blob, &len, &st);
		OK(frc == PGL_OK, "write extra tensors (%s)", st.msg);
		frc = pgl_model_read(env, blob, len, &r2, &st);
		OK(frc == PGL_OK && r2 != NULL, "read extra tensors (%s)", st.msg);
		if (r2)
		{
			OK(models_equal(m, r2, &why), "extra tensors round-trip%s%s",
			   *why ? ", differs in " : "", why);
			OK(*(int32_t *) r2->tensors[1].data == -42, "scalar int32 tensor value");
			pgl_model_free(env, r2);
		}
		/* the same tensor name twice is refused */
		{
			uint8_t *b = (uint8_t *) 0x1;
			size_t	 l2;

			strcpy(m->tensors[1].name, "coef");
			frc = pgl_model_write(env, m, &b, &l2, &st);
			OK(frc == PGL_ERR_INVALID && b == NULL, "writer refuses duplicate tensor names: \"%s\"",
			   st.msg);
			strcpy(m->tensors[1].name, "n_iter");
		}
		free(blob);
		pgl_model_free(env, m);
	}
}

/*
 * The decision threshold of a binary classifier (classifier.c): set, kept
 * through a blob, used by pgl_decide_class; a threshold outside (0, 1) or on
 * a model of three classes is refused by the writer and by the reader.
 */
static void
test_threshold(void)
{
	static const char *const classes[] = {"no", "yes"};
	static const double		 coef[] = {1.0, -2.0, 0.5, 0.25};
	pgl_model				*m = make_logreg();
	pgl_model				*r = NULL;
	uint8_t					*blob = NULL;
	size_t					 len = 0;
	pgl_status				 st;
	double					 p[2] = {0.7, 0.3};

	OK(pgl_model_set_threshold(env, m, 0.3, &st) == PGL_ERR_INVALID,
	   "threshold: refused on a model of three classes (%s)", st.msg);
	pgl_free(env, m->classes[2]);
	m->n_classes = 2;
	for (int i = 0; i < 2; i++)
	{
		pgl_free(env, m->classes[i]);
		m->classes[i] = xstrdup(classes[i]);
	}
	pgl_free(env, m->tensors[0].data);
	pgl_free(env, m->tensors);
	set_coef(m, 4, 1, coef);
	OK(pgl_model_threshold(m) < 0, "threshold: none by default");
	OK(pgl_decide_class(p, 2, pgl_model_threshold(m)) == 0, "threshold: none: the most probable");
	OK(pgl_model_set_threshold(env, m, 1.0, &st) == PGL_ERR_INVALID, "threshold: 1 refused");
	OK(pgl_model_set_threshold(env, m, 0.25, &st) == PGL_OK &&
		   pgl_model_set_threshold(env, m, 0.3, &st) == PGL_OK && m->n_tensors == 2,
	   "threshold: set, and set again in place");
	OK(pgl_decide_class(p, 2, pgl_model_threshold(m)) == 1, "threshold: 0.3 says class 1 at 0.3");
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK &&
		   pgl_model_read(env, blob, len, &r, &st) == PGL_OK && pgl_model_threshold(r) == 0.3,
	   "threshold: kept through a blob");
	if (r)
		pgl_model_free(env, r);
	r = NULL;
	free(blob);
	blob = NULL;
	*(double *) pgl_model_tensor(m, "threshold")->data = 1.5;
	OK(pgl_model_write(env, m, &blob, &len, &st) != PGL_OK && strstr(st.msg, "threshold"),
	   "threshold: the writer refuses 1.5 (%s)", st.msg);
	*(double *) pgl_model_tensor(m, "threshold")->data = 0.3;
	m->task = PGL_TASK_REGRESSION;
	m->n_classes = 0;
	OK(pgl_model_write(env, m, &blob, &len, &st) != PGL_OK, "threshold: refused on a regression");
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_classes = 2;
	/* a blob whose threshold byte pattern is patched to NaN is refused by the reader */
	if (pgl_model_write(env, m, &blob, &len, &st) == PGL_OK)
	{
		double	 t = 0.3, nan = NAN;
		uint8_t *at = NULL;

		for (size_t i = 0; i + 8 <= len; i++)
			if (memcmp(blob + i, &t, 8) == 0)
				at = blob + i;
		if (at)
		{
			pgl_status st2;

			/* re-stamp the CRC so that only the value is wrong */
			memcpy(at, &nan, 8);
			restamp(blob, len);
			OK(pgl_model_read(env, blob, len, &r, &st2) == PGL_ERR_CORRUPT &&
				   strstr(st2.msg, "threshold") != NULL,
			   "threshold: the reader refuses a NaN threshold (%s)", st2.msg);
		}
		else
			OK(false, "threshold: value found in the blob");
		free(blob);
	}
	pgl_model_free(env, m);
}

int
main(void)
{
	pgl_model *lin = make_linreg();
	pgl_model *log = make_logreg();
	pgl_model *tiny = make_tiny();
	pgl_model *ext = make_ext();
	pgl_model *many = make_many();

	test_crc();
	roundtrip(lin, "linear_regression");
	roundtrip(log, "logistic_regression");
	roundtrip(tiny, "tiny");
	roundtrip(ext, "i64 and str tensors");
	roundtrip(many, "1000 strings");
	test_golden();
	test_truncations_and_flips(tiny, "tiny", true);
	test_truncations_and_flips(lin, "linear_regression", true);
	test_truncations_and_flips(log, "logistic_regression", true);
	test_truncations_and_flips(ext, "i64 and str tensors", true);
	test_truncations_and_flips(many, "1000 strings", false);
	test_ext_values();
	test_patched_linreg();
	test_patched_logreg();
	test_patched_ext();
	test_recommendation();
	test_writer_rejects();
	test_out_of_memory(log, "logistic_regression");
	test_out_of_memory(ext, "i64 and str tensors");
	test_out_of_memory(many, "1000 strings");
	test_misc();
	test_fuzz();
	test_threshold();

	pgl_model_free(env, lin);
	pgl_model_free(env, log);
	pgl_model_free(env, tiny);
	pgl_model_free(env, ext);
	pgl_model_free(env, many);
	return unit_done();
}
