/*
 * test_coltypes.c - dates and timestamps as features (prep.c): the calendar,
 * the expansion into inputs, the encoders, and the stored origin in the
 * model format (version 2 only for models that have such a feature).
 */
#include "model_format.h"
#include "prep.h"
#include "unit.h"

#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

#define DAY 86400.0
#define PI	3.14159265358979323846

/* seconds since 1970 of a date (via the inverse the tests trust: a day count) */
static double
secs(int64_t days, double hour)
{
	return (double) days * DAY + hour * 3600.0;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char  *p = pgl_alloc(env, n);

	memcpy(p, s, n);
	return p;
}

/* linear_regression over a date, a number and a timestamp */
static pgl_model *
date_model(void)
{
	pgl_model	 *m = pgl_alloc0(env, sizeof(pgl_model));
	pgl_tensor	 *t;
	const char	 *names[3] = {"day", "x", "ts"};
	const int32_t kinds[3] = {PGL_FEATURE_DATE, PGL_FEATURE_NUMERIC, PGL_FEATURE_TIMESTAMP};

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 3;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 3);
	for (int f = 0; f < 3; f++)
	{
		m->features[f].name = xstrdup(names[f]);
		m->features[f].type_name = xstrdup(f == 0 ? "date" : f == 1 ? "float8" : "timestamp");
		m->features[f].kind = kinds[f];
	}
	m->features[0].origin = secs(19723, 0); /* 2024-01-01 */
	m->features[0].impute = secs(19723 + 10, 0);
	m->features[1].impute = 2.5;
	m->features[2].origin = secs(19000, 0);
	m->features[2].impute = secs(19000, 12);
	m->n_inputs = pgl_model_input_width(m);
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("float8");
	m->n_tensors = 1;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	t = &m->tensors[0];
	strcpy(t->name, "coef");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = m->n_inputs + 1;
	t->dims[1] = 1;
	t->data = pgl_alloc0(env, sizeof(double) * (size_t) (m->n_inputs + 1));
	return m;
}

static void
test_calendar(void)
{
	int64_t y;
	int		mo, d;

	pgl_civil_from_days(0, &y, &mo, &d);
	OK(y == 1970 && mo == 1 && d == 1, "day 0 is 1970-01-01");
	pgl_civil_from_days(19723, &y, &mo, &d);
	OK(y == 2024 && mo == 1 && d == 1, "day 19723 is 2024-01-01");
	pgl_civil_from_days(19723 + 59, &y, &mo, &d);
	OK(y == 2024 && mo == 2 && d == 29, "2024 is a leap year: 2024-02-29");
	pgl_civil_from_days(-1, &y, &mo, &d);
	OK(y == 1969 && mo == 12 && d == 31, "day -1 is 1969-12-31");
	pgl_civil_from_days(-719528, &y, &mo, &d);
	OK(y == 0 && mo == 1 && d == 1, "day -719528 is 0000-01-01 (1 BC)");
	pgl_civil_from_days(2932896, &y, &mo, &d);
	OK(y == 9999 && mo == 12 && d == 31, "day 2932896 is 9999-12-31");
	OK(pgl_time_day_start(secs(5, 13.5)) == secs(5, 0), "start of a day after 1970");
	OK(pgl_time_day_start(secs(-5, 13.5)) == secs(-5, 0), "start of a day before 1970");
}

static void
test_expand(void)
{
	double x[PGL_TIMESTAMP_INPUTS];
	/* 2024-03-05 is a Tuesday (dow 2) */
	double t = secs(19723 + 31 + 29 + 4, 18.0);

	pgl_time_expand(PGL_FEATURE_DATE, secs(19723, 0), secs(19723 + 64, 0), x);
	OK(x[0] == 2024, "date: year");
	NEAR(x[1], sin(2 * PI * 2 / 12), 1e-12, "date: month_sin of March");
	NEAR(x[2], cos(2 * PI * 2 / 12), 1e-12, "date: month_cos of March");
	NEAR(x[3], sin(2 * PI * 2 / 7), 1e-12, "date: dow_sin of a Tuesday");
	NEAR(x[4], cos(2 * PI * 2 / 7), 1e-12, "date: dow_cos of a Tuesday");
	OK(x[5] == 64, "date: days since the origin");

	pgl_time_expand(PGL_FEATURE_TIMESTAMP, secs(19723, 0), t, x);
	OK(x[0] == 2024, "timestamp: year");
	NEAR(x[5], sin(2 * PI * 18 / 24), 1e-12, "timestamp: hour_sin of 18:00");
	NEAR(x[6], cos(2 * PI * 18 / 24), 1e-12, "timestamp: hour_cos of 18:00");
	NEAR(x[7], 64.75, 1e-12, "timestamp: days with their fraction");

	pgl_time_expand(PGL_FEATURE_TIMESTAMP, 0, secs(-1, 23.5), x);
	OK(x[0] == 1969, "before 1970: year");
	NEAR(x[3], sin(2 * PI * 3 / 7), 1e-12, "1969-12-31 was a Wednesday");
	NEAR(x[5], sin(2 * PI * 23.5 / 24), 1e-12, "before 1970: the hour counts forward");
	NEAR(x[7], -1.0 / 48, 1e-12, "before the origin: negative days");

	pgl_time_expand(PGL_FEATURE_DATE, 0, NAN, x);
	OK(isnan(x[0]) && isnan(x[5]), "NaN (missing) gives NaN inputs");
	pgl_time_expand(PGL_FEATURE_TIMESTAMP, 0, 1e300, x);
	OK(isnan(x[0]) && isnan(x[7]), "a value beyond the range gives NaN, not undefined behaviour");
	pgl_time_expand(PGL_FEATURE_DATE, INFINITY, 0, x);
	OK(isnan(x[5]), "an infinite origin gives NaN");

	OK(strcmp(pgl_time_input_name(PGL_FEATURE_DATE, 5), "days") == 0, "date input 5 is days");
	OK(strcmp(pgl_time_input_name(PGL_FEATURE_TIMESTAMP, 5), "hour_sin") == 0,
	   "timestamp input 5 is hour_sin");
	OK(strcmp(pgl_time_input_name(PGL_FEATURE_DATE, 6), "?") == 0, "out of range name");
}

static void
test_encode(void)
{
	pgl_model	 *m = date_model();
	double		  raw[3] = {secs(19723 + 64, 0), 7.0, secs(19000, 6)};
	bool		  isnull[3] = {false, false, false};
	double		  x[15], X[2 * 15], e[8];
	const double *cols[3];
	const bool	 *nulls[3] = {NULL, NULL, NULL};
	double		  c0[2], c1[2], c2[2];
	bool		  n0[2] = {false, true};

	OK(m->n_inputs == 15, "a date, a number and a timestamp encode to 6 + 1 + 8 inputs");
	pgl_encode_row(m, raw, isnull, x);
	pgl_time_expand(PGL_FEATURE_DATE, m->features[0].origin, raw[0], e);
	OK(memcmp(x, e, sizeof(double) * 6) == 0, "row: the date's inputs are its expansion");
	OK(x[6] == 7.0, "row: the number follows");
	pgl_time_expand(PGL_FEATURE_TIMESTAMP, m->features[2].origin, raw[2], e);
	OK(memcmp(x + 7, e, sizeof(double) * 8) == 0, "row: then the timestamp's inputs");
	isnull[0] = true;
	pgl_encode_row(m, raw, isnull, x);
	OK(x[5] == 10.0, "row: a NULL date is its impute (10 days after the origin)");

	/* the column encoder agrees with the row encoder */
	c0[0] = raw[0];
	c0[1] = 0;
	c1[0] = 7.0;
	c1[1] = 8.0;
	c2[0] = raw[2];
	c2[1] = secs(19001, 1);
	cols[0] = c0;
	cols[1] = c1;
	cols[2] = c2;
	nulls[0] = n0;
	pgl_encode_rows(m, cols, nulls, NULL, 2, X);
	{
		double r1[3] = {0, 8.0, secs(19001, 1)}, x1[15];
		bool   i1[3] = {true, false, false};
		bool   same = true;

		pgl_encode_row(m, r1, i1, x1);
		for (int k = 0; k < 15; k++)
			same &= X[k * 2 + 1] == x1[k];
		OK(same, "rows: the second row (a NULL date) is what the row encoder gives");
	}
	pgl_model_free(env, m);
}

static void
test_format(void)
{
	pgl_model *m = date_model(), *back = NULL;
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK, "a model with dates is written");
	OK(blob[4] == 2 && blob[5] == 0, "as format version 2");
	OK(pgl_model_read(env, blob, len, &back, &st) == PGL_OK, "and read back: %s", st.msg);
	OK(back && back->features[0].origin == m->features[0].origin &&
		   back->features[2].origin == m->features[2].origin &&
		   back->features[0].kind == PGL_FEATURE_DATE &&
		   back->features[2].kind == PGL_FEATURE_TIMESTAMP,
	   "kinds and origins survive");
	pgl_model_free(env, back);
	back = NULL;
	pgl_free(env, blob);

	/* the same model with plain numbers is version 1, as before */
	for (int f = 0; f < 3; f += 2)
	{
		m->features[f].kind = PGL_FEATURE_NUMERIC;
		m->features[f].origin = 0;
	}
	m->n_inputs = pgl_model_input_width(m);
	m->tensors[0].dims[0] = m->n_inputs + 1;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK && blob[4] == 1,
	   "a model without dates is still format version 1");
	pgl_free(env, blob);

	/* the writer refuses what the reader would */
	m->features[0].kind = PGL_FEATURE_DATE;
	m->features[0].origin = NAN;
	m->n_inputs = pgl_model_input_width(m);
	m->tensors[0].dims[0] = m->n_inputs + 1;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "origin") != NULL,
	   "a NaN origin is refused: %s", st.msg);
	m->features[0].origin = 12345.0;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "start of a day") != NULL,
	   "an origin off midnight is refused: %s", st.msg);
	m->features[0].origin = 0;
	m->features[0].impute = 1e20;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "impute") != NULL,
	   "an impute beyond the range is refused: %s", st.msg);
	m->features[0].impute = 0;
	m->features[1].origin = 86400;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "not a date but has an origin") != NULL,
	   "a number with an origin is refused: %s", st.msg);
	m->features[1].origin = 0;
	m->features[1].kind = PGL_FEATURE_KIND_MAX + 1;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "unknown kind 8") != NULL,
	   "kind 8 is refused: %s", st.msg);
	m->features[1].kind = PGL_FEATURE_NUMERIC;
	pgl_model_free(env, m);
}

/* a version 1 blob cannot hold a date kind; a version 2 blob must */
static void
test_versions(void)
{
	pgl_model *m = date_model(), *back = NULL;
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;
	uint32_t   crc;

	memset(&st, 0, sizeof(st));
	(void) pgl_model_write(env, m, &blob, &len, &st);
	blob[4] = 1;
	crc = pgl_crc32c(0, blob, len - 4);
	memcpy(blob + len - 4, &crc, 4);
	OK(pgl_model_read(env, blob, len, &back, &st) == PGL_ERR_CORRUPT &&
		   strstr(st.msg, "format version 1 does not have") != NULL,
	   "a date kind in a version 1 blob is corrupt: %s", st.msg);
	OK(back == NULL, "and nothing is returned");
	blob[4] = 4;
	crc = pgl_crc32c(0, blob, len - 4);
	memcpy(blob + len - 4, &crc, 4);
	OK(pgl_model_read(env, blob, len, &back, &st) == PGL_ERR_CORRUPT &&
		   strstr(st.msg, "newer than this pg_learn supports (3)") != NULL,
	   "version 4 is newer: %s", st.msg);
	pgl_free(env, blob);
	pgl_model_free(env, m);
}

/* linear_regression over an array of 3 numbers and a number */
static pgl_model *
array_model(void)
{
	pgl_model  *m = pgl_alloc0(env, sizeof(pgl_model));
	pgl_tensor *t;

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 4;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 4);
	for (int f = 0; f < 4; f++)
	{
		m->features[f].name = xstrdup(f < 3 ? "v" : "x");
		m->features[f].type_name = xstrdup(f < 3 ? "double precision[]" : "float8");
		m->features[f].kind = f < 3 ? PGL_FEATURE_ELEMENT : PGL_FEATURE_NUMERIC;
		m->features[f].element = f < 3 ? f : 0;
		m->features[f].length = f < 3 ? 3 : 0;
		m->features[f].impute = 10.0 + f;
	}
	m->n_inputs = pgl_model_input_width(m);
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("float8");
	m->n_tensors = 1;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	t = &m->tensors[0];
	strcpy(t->name, "coef");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = m->n_inputs + 1;
	t->dims[1] = 1;
	t->data = pgl_alloc0(env, sizeof(double) * (size_t) (m->n_inputs + 1));
	return m;
}

/* write m, expecting the writer to refuse it with a message containing want */
static void
refused(pgl_model *m, const char *want, const char *what)
{
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID && strstr(st.msg, want),
	   "%s: %s", what, st.msg);
	if (st.rc == PGL_OK)
		pgl_free(env, blob);
}

static void
test_arrays(void)
{
	pgl_model *m = array_model(), *back = NULL;
	double	   raw[4] = {1, 2, 3, 4}, x[4];
	bool	   isnull[4] = {false, true, false, false};
	uint8_t	  *blob = NULL;
	size_t	   len = 0;
	pgl_status st;

	OK(m->n_inputs == 4, "an array of 3 and a number: 4 inputs");
	pgl_encode_row(m, raw, isnull, x);
	OK(x[0] == 1 && x[1] == 11 && x[2] == 3 && x[3] == 4,
	   "elements encode as numbers; a NULL element is its own mean");
	memset(&st, 0, sizeof(st));
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK && blob[4] == 2,
	   "a model with an array is format version 2: %s", st.msg);
	OK(pgl_model_read(env, blob, len, &back, &st) == PGL_OK && back->features[2].element == 2 &&
		   back->features[2].length == 3 && back->features[3].length == 0,
	   "elements and lengths survive: %s", st.msg);
	pgl_model_free(env, back);
	pgl_free(env, blob);

	m->features[1].element = 2;
	refused(m, "model feature 0: array \"v\" ends before", "an element out of order");
	m->features[1].element = 1;
	m->features[2].length = 4;
	m->features[1].length = 4;
	m->features[0].length = 4;
	refused(m, "ends before its 4 elements", "an array cut short");
	for (int f = 0; f < 3; f++)
		m->features[f].length = 3;
	m->features[0].element = 3;
	refused(m, "element 3 of an array of length 3", "an element beyond the length");
	m->features[0].element = 0;
	m->features[3].length = 2;
	refused(m, "not an array element but has a length", "a number with a length");
	m->features[3].length = 0;
	m->features[1].name[0] = 'w';
	refused(m, "does not follow element 0 of array \"w\"", "an element of another array");
	pgl_model_free(env, m);
}

int
main(void)
{
	test_calendar();
	test_expand();
	test_encode();
	test_format();
	test_versions();
	test_arrays();
	return unit_done();
}
