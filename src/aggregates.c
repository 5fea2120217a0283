/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *	  Parallel-safe aggregates over float8[] states: ai_stats_agg,
 *	  ai_linreg_agg and ai_linreg_solve.
 *
 * The states are plain float8[] (layouts in src/algo/moments.h), a type with
 * text input and output, so PostgreSQL parallel query and Citus can ship
 * partial states between processes and nodes.  Every aggregate starts from
 * the empty array '{}' (its INITCOND) and its transition function is STRICT,
 * so rows with a NULL argument are skipped by the executor.
 *
 * The transition and combine functions keep nothing in fn_extra.  Called as
 * part of an aggregate they update their first argument in place (as
 * PostgreSQL's own float8_accum does): the state is one they returned
 * earlier, so a row costs the arithmetic and an O(1) check of the array's
 * shape.  Called directly they work on a copy.  States that come from
 * outside (the second argument of a combine, the argument of a final
 * function or of ai_linreg_solve, any state of a direct call) are checked
 * in full before use.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "moments.h"

PG_FUNCTION_INFO_V1(ai_stats_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_stats_agg_combine);
PG_FUNCTION_INFO_V1(ai_stats_agg_final);
PG_FUNCTION_INFO_V1(ai_linreg_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_linreg_agg_combine);
PG_FUNCTION_INFO_V1(ai_linreg_agg_final);
PG_FUNCTION_INFO_V1(ai_linreg_solve);

/*
 * The element data of an array (ARR_DATA_PTR, without its mixed-signedness
 * conditional that -Wextra flags).
 */
static inline double *
array_data(ArrayType *a)
{
	Size off = ARR_HASNULL(a) ? (Size) a->dataoffset : (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a));

	return (double *) ((char *) a + off);
}

typedef bool (*state_checker)(const double *s, size_t len, char *why, size_t whylen);

/* a float8[] of len zeros (callers fill it) */
static ArrayType *
new_state(size_t len)
{
	Size	   bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * len;
	ArrayType *a = (ArrayType *) palloc0(bytes);
	int		  *dims;

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	dims = ARR_DIMS(a);
	dims[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

static ArrayType *
copy_state(ArrayType *a)
{
	ArrayType *c = (ArrayType *) palloc(VARSIZE(a));

	memcpy(c, a, VARSIZE(a));
	return c;
}

static int
array_length1(ArrayType *a)
{
	return ARR_NDIM(a) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
}

static pg_attribute_noreturn() void not_a_state(const char *agg, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("argument is not a state of %s", agg),
			 errdetail("%s", why), errhint("Pass the value %s returned, unchanged.", agg)));
}

/*
 * The state of a call: NULL for the empty state '{}' (no rows yet), else its
 * values, with *p and *len.  full: check the values too, not only the shape.
 */
static double *
state_values(ArrayType *a, const char *agg, state_checker check, bool full, int32 *p, size_t *len)
{
	char	why[256];
	double *s;

	if (ARR_NDIM(a) == 0)
	{
		*p = 0;
		*len = 0;
		return NULL;
	}
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		not_a_state(agg, "It is not a one-dimensional float8[] without NULLs.");
	*len = (size_t) ARR_DIMS(a)[0];
	s = array_data(a);
	if (full)
	{
		if (!check(s, *len, why, sizeof(why)))
			not_a_state(agg, why);
	}
	else
	{
		/* a state this aggregate returned: its shape is enough */
		int32  q = *len >= 1 && s[0] >= 1 && s[0] <= PGL_MOMENTS_MAX_P ? (int32) s[0] : 0;
		size_t want = check == pgl_stats_check ? PGL_STATS_LEN(q) : PGL_LINREG_STATE_LEN(q);

		if (q == 0 || *len != want)
		{
			if (!check(s, *len, why, sizeof(why)))
				not_a_state(agg, why);
		}
	}
	*p = (int32) s[0];
	return s;
}

/*
 * The transition state to update: the first argument itself inside an
 * aggregate (it is ours to modify), else a copy.
 */
static ArrayType *
writable_state(FunctionCallInfo fcinfo, bool *in_agg)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(0);

	*in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	return *in_agg ? a : copy_state(a);
}

/* the values of a feature array; *hasnull when some element is NULL */
static void
input_array(ArrayType *x, const char *agg, int *n)
{
	if (ARR_NDIM(x) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s takes a one-dimensional array, not one of %d dimensions", agg,
							   ARR_NDIM(x))));
	*n = array_length1(x);
	if (*n == 0)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s takes arrays of at least one element, not an empty array", agg),
						errhint("Pass NULL to skip a row.")));
	if (*n > PGL_MOMENTS_MAX_P)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%s takes arrays of at most %d elements, not %d", agg,
							   PGL_MOMENTS_MAX_P, *n)));
}

static pg_attribute_noreturn() void length_mismatch(const char *agg, int32 p, int n)
{
	ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					errmsg("%s got arrays of different lengths: %d and %d", agg, (int) p, n),
					errhint("Every row of one aggregate must have the same number of elements.")));
}

/* element: 1-based, or 0 for a scalar argument */
static pg_attribute_noreturn() void reject_nonfinite(const char *agg, const char *what, int element,
													 double v, const char *hint)
{
	const char *name = isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");

	if (element > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: %s element %d is %s", agg, what, element, name), errhint("%s", hint)));
	ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s: %s is %s", agg, what, name),
					errhint("%s", hint)));
}

static pg_attribute_noreturn() void overflowed(const char *agg)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: the sums of squares overflowed", agg), errhint("Scale the values down.")));
}

/* ---------- ai_stats_agg ---------- */

#define STATS_AGG "ai_stats_agg"

Datum
ai_stats_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(1);
	bool		  in_agg;
	ArrayType	 *st = writable_state(fcinfo, &in_agg);
	int32		  p;
	size_t		  len;
	double		 *s = state_values(st, STATS_AGG, pgl_stats_check, !in_agg, &p, &len);
	int			  n;
	const double *v = array_data(x);
	bits8		 *bitmap = ARR_NULLBITMAP(x);

	input_array(x, STATS_AGG, &n);
	if (s == NULL)
	{
		st = new_state(PGL_STATS_LEN(n));
		s = array_data(st);
		pgl_stats_init(s, n);
		p = n;
	}
	else if (p != n)
		length_mismatch(STATS_AGG, p, n);

	for (int j = 0; j < n; j++)
	{
		double d;

		if (bitmap && !(bitmap[j / 8] & (1 << (j % 8))))
			continue;
		d = *v++;
		if (!isfinite(d))
			reject_nonfinite(STATS_AGG, "array", j + 1, d,
							 "Filter such values out, e.g. with NULLIF(x, 'NaN'): NULL elements "
							 "are skipped.");
		pgl_stats_add1(s, j, d);
		if (!isfinite(s[1 + 5 * (size_t) j + 2]))
			overflowed(STATS_AGG);
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

/* shared by the two combine functions */
static Datum
combine(FunctionCallInfo fcinfo, const char *agg, state_checker check,
		void (*merge)(double *, const double *, int32))
{
	bool		  in_agg;
	ArrayType	 *a = writable_state(fcinfo, &in_agg);
	ArrayType	 *b = PG_GETARG_ARRAYTYPE_P(1);
	int32		  pa, pb;
	size_t		  la, lb;
	double		 *sa = state_values(a, agg, check, !in_agg, &pa, &la);
	const double *sb = state_values(b, agg, check, true, &pb, &lb);

	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(copy_state(b));
	if (pa != pb)
		length_mismatch(agg, pa, pb);
	merge(sa, sb, pa);
	PG_RETURN_ARRAYTYPE_P(a);
}

Datum
ai_stats_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, STATS_AGG, pgl_stats_check, pgl_stats_merge);
}

static void
json_double(StringInfo buf, double v)
{
	char s[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, s);
	appendStringInfoString(buf, s);
}

/*
 * A jsonb array with one object per column: count, mean, variance and
 * stddev (population, M2 / n), variance_samp and stddev_samp (M2 / (n - 1)),
 * min, max; NULL where a column has too few values.  No rows: NULL.
 */
Datum
ai_stats_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType	  *st = PG_GETARG_ARRAYTYPE_P(0);
	int32		   p;
	size_t		   len;
	const double  *s = state_values(st, STATS_AGG, pgl_stats_check, true, &p, &len);
	StringInfoData buf;

	if (s == NULL)
		PG_RETURN_NULL();
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int32 j = 0; j < p; j++)
	{
		const double *c = s + 1 + 5 * (size_t) j;
		double		  n = c[0];

		appendStringInfo(&buf, "%s{\"count\": %.0f", j ? ", " : "", n);
		if (n == 0)
			appendStringInfoString(&buf, ", \"mean\": null, \"variance\": null, \"stddev\": null, "
										 "\"variance_samp\": null, \"stddev_samp\": null, "
										 "\"min\": null, \"max\": null}");
		else
		{
			appendStringInfoString(&buf, ", \"mean\": ");
			json_double(&buf, c[1]);
			appendStringInfoString(&buf, ", \"variance\": ");
			json_double(&buf, c[2] / n);
			appendStringInfoString(&buf, ", \"stddev\": ");
			json_double(&buf, sqrt(c[2] / n));
			appendStringInfoString(&buf, ", \"variance_samp\": ");
			if (n > 1)
				json_double(&buf, c[2] / (n - 1));
			else
				appendStringInfoString(&buf, "null");
			appendStringInfoString(&buf, ", \"stddev_samp\": ");
			if (n > 1)
				json_double(&buf, sqrt(c[2] / (n - 1)));
			else
				appendStringInfoString(&buf, "null");
			appendStringInfoString(&buf, ", \"min\": ");
			json_double(&buf, c[3]);
			appendStringInfoString(&buf, ", \"max\": ");
			json_double(&buf, c[4]);
			appendStringInfoChar(&buf, '}');
		}
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* ---------- ai_linreg_agg ---------- */

#define LINREG_AGG "ai_linreg_agg"
#define LINREG_NONFINITE_HINT                                                                      \
	"Filter such rows out, e.g. with NULLIF(x, 'NaN'): rows with a NULL feature or target are "    \
	"skipped."

Datum
ai_linreg_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(1);
	double		  y = PG_GETARG_FLOAT8(2);
	bool		  in_agg;
	ArrayType	 *st;
	int32		  p;
	size_t		  len;
	double		 *s;
	const double *v = array_data(x);
	int			  n;

	input_array(x, LINREG_AGG, &n);
	if (ARR_HASNULL(x))
	{
		/* a row with a NULL feature is skipped, like a NULL target */
		if (AggCheckCallContext(fcinfo, NULL))
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		st = PG_GETARG_ARRAYTYPE_P_COPY(0);
		(void) state_values(st, LINREG_AGG, pgl_linreg_state_check, true, &p, &len);
		PG_RETURN_ARRAYTYPE_P(st);
	}
	st = writable_state(fcinfo, &in_agg);
	s = state_values(st, LINREG_AGG, pgl_linreg_state_check, !in_agg, &p, &len);
	for (int j = 0; j < n; j++)
		if (!isfinite(v[j]))
			reject_nonfinite(LINREG_AGG, "features", j + 1, v[j], LINREG_NONFINITE_HINT);
	if (!isfinite(y))
		reject_nonfinite(LINREG_AGG, "target", 0, y, LINREG_NONFINITE_HINT);
	if (s == NULL)
	{
		st = new_state(PGL_LINREG_STATE_LEN(n));
		s = array_data(st);
		pgl_linreg_state_init(s, n);
		p = n;
	}
	else if (p != n)
		length_mismatch(LINREG_AGG, p, n);

	pgl_linreg_state_add(s, p, v, y);
	{
		/* the means and the diagonal bound every value of the state */
		const double *mean = s + 2;
		const double *C = s + 2 + (size_t) p + 1;

		for (int32 j = 0; j <= p; j++)
			if (!isfinite(mean[j]) || !isfinite(C[PGL_PACKED(j, j)]))
				overflowed(LINREG_AGG);
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_linreg_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, LINREG_AGG, pgl_linreg_state_check, pgl_linreg_state_merge);
}

/* the state itself (a copy: the executor may go on updating the original) */
Datum
ai_linreg_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType *st = PG_GETARG_ARRAYTYPE_P(0);
	int32	   p;
	size_t	   len;

	if (state_values(st, LINREG_AGG, pgl_linreg_state_check, true, &p, &len) == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(copy_state(st));
}

/* ai_linreg_solve(state, l2): p weights then the intercept */
Datum
ai_linreg_solve(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = PG_GETARG_ARRAYTYPE_P(0);
	double		  l2 = PG_GETARG_FLOAT8(1);
	int32		  p;
	size_t		  len;
	const double *s = state_values(st, LINREG_AGG, pgl_linreg_state_check, true, &p, &len);
	MemoryContext cxt, old;
	pgl_env		  env;
	pgl_status	  status;
	double		 *coef;
	int32		  rank;
	ArrayType	 *result;

	if (s == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ai_linreg_solve: the state holds no rows")));
	if (!(l2 >= 0 && isfinite(l2)))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ai_linreg_solve: l2 must be a finite number >= 0, not %g", l2)));

	result = new_state((size_t) p + 1);
	coef = array_data(result);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ai_linreg_solve", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	env = pgl_backend_env(cxt);
	pgl_set_blas_threads();
	memset(&status, 0, sizeof(status));
	if (pgl_linreg_state_solve(&env, s, l2, coef, &rank, &status) != PGL_OK)
		pgl_report(&status, "ai_linreg_solve");
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_ARRAYTYPE_P(result);
}
