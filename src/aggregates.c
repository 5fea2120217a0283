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
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "aggsteps.h"
#include "moments.h"

PG_FUNCTION_INFO_V1(ai_stats_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_stats_agg_combine);
PG_FUNCTION_INFO_V1(ai_stats_agg_final);
PG_FUNCTION_INFO_V1(ai_linreg_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_linreg_agg_combine);
PG_FUNCTION_INFO_V1(ai_linreg_agg_final);
PG_FUNCTION_INFO_V1(ai_linreg_solve);
PG_FUNCTION_INFO_V1(ai_logreg_grad_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_logreg_grad_agg_combine);
PG_FUNCTION_INFO_V1(ai_logreg_grad_agg_final);
PG_FUNCTION_INFO_V1(ai_softmax_grad_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_softmax_grad_agg_combine);
PG_FUNCTION_INFO_V1(ai_softmax_grad_agg_final);
PG_FUNCTION_INFO_V1(ai_kmeans_step_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_kmeans_step_agg_combine);
PG_FUNCTION_INFO_V1(ai_kmeans_step_agg_final);
PG_FUNCTION_INFO_V1(ai_kmeans_inertia_final);

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

/*
 * An aggregate's state: its name (in messages), its full check and its
 * length from the header (0 when the header itself is not plausible).
 */
typedef struct agg_kind
{
	const char	 *name;
	state_checker check;
	size_t (*shape)(const double *s, size_t len);
} agg_kind;

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
 * values, with *p (its first element) and *len.  full: check the values
 * too, not only the shape.
 */
static double *
state_values(ArrayType *a, const agg_kind *kind, bool full, int32 *p, size_t *len)
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
		not_a_state(kind->name, "It is not a one-dimensional float8[] without NULLs.");
	*len = (size_t) ARR_DIMS(a)[0];
	s = array_data(a);
	/* a state this aggregate returned: its shape is enough */
	if (full || kind->shape(s, *len) != *len)
	{
		if (!kind->check(s, *len, why, sizeof(why)))
			not_a_state(kind->name, why);
	}
	*p = (int32) s[0];
	return s;
}

static size_t
stats_shape(const double *s, size_t len)
{
	return len >= 1 && s[0] >= 1 && s[0] <= PGL_MOMENTS_MAX_P ? PGL_STATS_LEN((int32) s[0]) : 0;
}

static size_t
linreg_shape(const double *s, size_t len)
{
	return len >= 1 && s[0] >= 1 && s[0] <= PGL_MOMENTS_MAX_P ? PGL_LINREG_STATE_LEN((int32) s[0])
															  : 0;
}

static size_t
logreg_grad_shape(const double *s, size_t len)
{
	return len >= 1 && s[0] >= 1 && s[0] <= PGL_LOGREG_GRAD_MAX_P
			   ? PGL_LOGREG_GRAD_LEN((int32) s[0])
			   : 0;
}

static size_t
kmeans_shape(const double *s, size_t len)
{
	return len >= 2 && s[0] >= 1 && s[0] <= PGL_KMEANS_MAX_K && s[1] >= 1 &&
				   s[1] <= PGL_KMEANS_MAX_D && s[0] * s[1] <= PGL_KMEANS_MAX_KD
			   ? PGL_KMEANS_LEN((int32) s[0], (int32) s[1])
			   : 0;
}

#define STATS_AGG		"ai_stats_agg"
#define LINREG_AGG		"ai_linreg_agg"
#define LOGREG_GRAD_AGG "ai_logreg_grad_agg"
#define KMEANS_AGG		"ai_kmeans_step_agg"
#define SOFTMAX_AGG		"ai_softmax_grad_agg"

static const agg_kind stats_kind = {STATS_AGG, pgl_stats_check, stats_shape};
static const agg_kind linreg_kind = {LINREG_AGG, pgl_linreg_state_check, linreg_shape};
static const agg_kind logreg_grad_kind = {LOGREG_GRAD_AGG, pgl_logreg_grad_check,
										  logreg_grad_shape};
static const agg_kind kmeans_kind = {KMEANS_AGG, pgl_kmeans_check, kmeans_shape};

static size_t
softmax_shape(const double *s, size_t len)
{
	return len >= 2 && s[0] >= 1 && s[0] <= PGL_LOGREG_GRAD_MAX_P && s[1] >= 2 &&
				   s[1] <= PGL_SOFTMAX_MAX_K && s[0] * s[1] <= PGL_SOFTMAX_MAX_PK
			   ? PGL_SOFTMAX_GRAD_LEN((int32) s[0], (int32) s[1])
			   : 0;
}

static const agg_kind softmax_kind = {SOFTMAX_AGG, pgl_softmax_grad_check, softmax_shape};

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

/*
 * A row with a NULL feature element is skipped, like a NULL argument of the
 * strict transition function: the state goes on unchanged (checked first
 * when the function is called outside an aggregate).
 */
static Datum
skip_row(FunctionCallInfo fcinfo, const agg_kind *kind)
{
	ArrayType *st;
	int32	   p;
	size_t	   len;

	if (AggCheckCallContext(fcinfo, NULL))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	st = PG_GETARG_ARRAYTYPE_P_COPY(0);
	(void) state_values(st, kind, true, &p, &len);
	PG_RETURN_ARRAYTYPE_P(st);
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

static pg_attribute_noreturn() void overflowed(const char *agg, const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					errmsg("%s: the %s overflowed", agg, what), errhint("Scale the values down.")));
}

/* ---------- ai_stats_agg ---------- */

Datum
ai_stats_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(1);
	bool		  in_agg;
	ArrayType	 *st = writable_state(fcinfo, &in_agg);
	int32		  p;
	size_t		  len;
	double		 *s = state_values(st, &stats_kind, !in_agg, &p, &len);
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
			overflowed(STATS_AGG, "sums of squares");
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

/* shared by the two combine functions */
static Datum
combine(FunctionCallInfo fcinfo, const agg_kind *kind,
		void (*merge)(double *, const double *, int32))
{
	bool		  in_agg;
	ArrayType	 *a = writable_state(fcinfo, &in_agg);
	ArrayType	 *b = PG_GETARG_ARRAYTYPE_P(1);
	int32		  pa, pb;
	size_t		  la, lb;
	double		 *sa = state_values(a, kind, !in_agg, &pa, &la);
	const double *sb = state_values(b, kind, true, &pb, &lb);

	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(copy_state(b));
	if (pa != pb)
		length_mismatch(kind->name, pa, pb);
	/* same features, other shape (the softmax state's classes): the state lengths differ */
	if (la != lb)
		length_mismatch(kind->name, (int32) la, (int) lb);
	merge(sa, sb, pa);
	PG_RETURN_ARRAYTYPE_P(a);
}

Datum
ai_stats_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, &stats_kind, pgl_stats_merge);
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
	const double  *s = state_values(st, &stats_kind, true, &p, &len);
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
		return skip_row(fcinfo, &linreg_kind);
	st = writable_state(fcinfo, &in_agg);
	s = state_values(st, &linreg_kind, !in_agg, &p, &len);
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
				overflowed(LINREG_AGG, "sums of squares");
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_linreg_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, &linreg_kind, pgl_linreg_state_merge);
}

/* the state itself (a copy: the executor may go on updating the original) */
Datum
ai_linreg_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType *st = PG_GETARG_ARRAYTYPE_P(0);
	int32	   p;
	size_t	   len;

	if (state_values(st, &linreg_kind, true, &p, &len) == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(copy_state(st));
}

/*
 * What ai_linreg_fit_agg returns is the training rows' state followed by
 * the hold-out's state and counts (fused_agg.c): its first part, once the
 * rest is checked; any other array as it is.
 */
static ArrayType *
training_part(ArrayType *st)
{
	const double *s = array_data(st);
	size_t		  len = ARR_NDIM(st) == 1 ? (size_t) ARR_DIMS(st)[0] : 0;
	size_t		  L = linreg_shape(s, len);
	size_t		  rest;
	char		  why[256];
	ArrayType	 *a;

	if (L == 0 || len <= L || ARR_HASNULL(st) || ARR_ELEMTYPE(st) != FLOAT8OID)
		return st;
	rest = len - L;
	if (rest < L + 3 || (rest - L - 1) % 2 != 0)
		not_a_state(linreg_kind.name, "It is longer than a state of its inputs, and not as long "
									  "as a result of ai_linreg_fit_agg.");
	if (!pgl_linreg_state_check(s + L, L, why, sizeof(why)) || s[L] != s[0])
		not_a_state("ai_linreg_fit_agg", "Its hold-out part is not a state of its inputs.");
	for (size_t i = 2 * L; i < len; i++)
		if (!(s[i] >= 0 && s[i] == floor(s[i]) && s[i] < 1e18))
			not_a_state("ai_linreg_fit_agg", "Its counts are not whole numbers >= 0.");
	a = new_state(L);
	memcpy(array_data(a), s, sizeof(double) * L);
	return a;
}

/* ai_linreg_solve(state, l2): p weights then the intercept */
Datum
ai_linreg_solve(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = training_part(PG_GETARG_ARRAYTYPE_P(0));
	double		  l2 = PG_GETARG_FLOAT8(1);
	int32		  p;
	size_t		  len;
	const double *s = state_values(st, &linreg_kind, true, &p, &len);
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

/* ---------- ai_logreg_grad_agg ---------- */

#define LOGREG_NONFINITE_HINT                                                                      \
	"Filter such rows out, e.g. with NULLIF(x, 'NaN'): rows with a NULL feature or label are "     \
	"skipped."

/* the weights of a row: p + 1 finite values, no NULLs */
static const double *
logreg_weights(ArrayType *w, int p)
{
	int			  n = ARR_NDIM(w) == 1 ? ARR_DIMS(w)[0] : array_length1(w);
	const double *v;

	if (ARR_NDIM(w) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s takes one-dimensional weights, not an array of %d dimensions",
							   LOGREG_GRAD_AGG, ARR_NDIM(w))));
	if (n != p + 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: weights has %d elements, not %d for %d features",
							   LOGREG_GRAD_AGG, n, p + 1, p),
						errhint("Pass one weight per feature, then the intercept.")));
	if (ARR_HASNULL(w))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: weights has a NULL element", LOGREG_GRAD_AGG)));
	v = array_data(w);
	for (int j = 0; j <= p; j++)
		if (!isfinite(v[j]))
			reject_nonfinite(LOGREG_GRAD_AGG, "weights", j + 1, v[j],
							 "The weights must be finite numbers.");
	return v;
}

Datum
ai_logreg_grad_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *w = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(2);
	double		  y = PG_GETARG_FLOAT8(3);
	bool		  in_agg;
	ArrayType	 *st;
	int32		  p;
	size_t		  len;
	double		 *s;
	const double *v = array_data(x);
	const double *wv;
	int			  n;

	input_array(x, LOGREG_GRAD_AGG, &n);
	wv = logreg_weights(w, n);
	if (!isfinite(y))
		reject_nonfinite(LOGREG_GRAD_AGG, "label", 0, y, LOGREG_NONFINITE_HINT);
	if (y != 0.0 && y != 1.0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: label must be 0 or 1, not %g", LOGREG_GRAD_AGG, y),
						errhint("Map the two classes to 0 and 1, e.g. (label = 'yes')::int.")));
	if (ARR_HASNULL(x))
		return skip_row(fcinfo, &logreg_grad_kind);
	st = writable_state(fcinfo, &in_agg);
	s = state_values(st, &logreg_grad_kind, !in_agg, &p, &len);
	for (int j = 0; j < n; j++)
		if (!isfinite(v[j]))
			reject_nonfinite(LOGREG_GRAD_AGG, "features", j + 1, v[j], LOGREG_NONFINITE_HINT);
	if (s == NULL)
	{
		st = new_state(PGL_LOGREG_GRAD_LEN(n));
		s = array_data(st);
		pgl_logreg_grad_init(s, n);
		p = n;
	}
	else if (p != n)
		length_mismatch(LOGREG_GRAD_AGG, p, n);

	pgl_logreg_grad_add(s, p, wv, v, y);
	if (!isfinite(s[2]))
		overflowed(LOGREG_GRAD_AGG, "loss");
	for (int32 j = 0; j < p; j++)
		if (!isfinite(s[3 + j]))
			overflowed(LOGREG_GRAD_AGG, "gradient");
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_logreg_grad_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, &logreg_grad_kind, pgl_logreg_grad_merge);
}

/* [n, mean loss, mean gradient (p weights, then the intercept)] */
Datum
ai_logreg_grad_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = PG_GETARG_ARRAYTYPE_P(0);
	int32		  p;
	size_t		  len;
	const double *s = state_values(st, &logreg_grad_kind, true, &p, &len);
	ArrayType	 *result;
	double		 *r;

	if (s == NULL || s[1] == 0.0)
		PG_RETURN_NULL();
	result = new_state((size_t) p + 3);
	r = array_data(result);
	r[0] = s[1];
	for (int32 j = 0; j <= p + 1; j++)
		r[1 + j] = s[2 + j] / s[1];
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- ai_softmax_grad_agg ---------- */

/*
 * ai_softmax_grad_agg(weights, features, label): weights is (p + 1) x k,
 * as a two-dimensional array or flat, row after row; label a class index.
 */
Datum
ai_softmax_grad_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *w = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(2);
	double		  y = PG_GETARG_FLOAT8(3);
	bool		  in_agg;
	ArrayType	 *st;
	int32		  p;
	size_t		  len;
	double		 *s;
	const double *v = array_data(x);
	const double *wv;
	int			  n, nw, k;
	double		  zbuf[64];

	input_array(x, SOFTMAX_AGG, &n);
	nw = array_length1(w);
	if (ARR_NDIM(w) > 2 || (ARR_NDIM(w) == 2 && ARR_DIMS(w)[0] != n + 1) || nw % (n + 1) != 0 ||
		nw / (n + 1) < 2)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: weights has %d elements, not (%d + 1) x k for %d features and "
							   "k >= 2 classes",
							   SOFTMAX_AGG, nw, n, n),
						errhint("Pass the weights as a (features + 1) x classes array: one row per "
								"feature, then the intercepts.")));
	k = nw / (n + 1);
	if (k > PGL_SOFTMAX_MAX_K || (double) n * k > PGL_SOFTMAX_MAX_PK)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%s takes at most %d classes and %d weights, not %d x %d",
							   SOFTMAX_AGG, PGL_SOFTMAX_MAX_K, PGL_SOFTMAX_MAX_PK, n + 1, k)));
	if (ARR_HASNULL(w))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: weights has a NULL element", SOFTMAX_AGG)));
	wv = array_data(w);
	for (int j = 0; j < nw; j++)
		if (!isfinite(wv[j]))
			reject_nonfinite(SOFTMAX_AGG, "weights", j + 1, wv[j],
							 "The weights must be finite numbers.");
	if (!(y >= 0 && y < k && y == floor(y)))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: label must be a class index from 0 to %d, not %g", SOFTMAX_AGG,
							   k - 1, y),
						errhint("Number the classes 0 to k - 1.")));
	if (ARR_HASNULL(x))
		return skip_row(fcinfo, &softmax_kind);
	st = writable_state(fcinfo, &in_agg);
	s = state_values(st, &softmax_kind, !in_agg, &p, &len);
	for (int j = 0; j < n; j++)
		if (!isfinite(v[j]))
			reject_nonfinite(SOFTMAX_AGG, "features", j + 1, v[j], LOGREG_NONFINITE_HINT);
	if (s == NULL)
	{
		st = new_state(PGL_SOFTMAX_GRAD_LEN(n, k));
		s = array_data(st);
		pgl_softmax_grad_init(s, n, k);
		p = n;
	}
	else if (p != n || (int) s[1] != k)
		ereport(
			ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("%s got rows of different shapes: %d features and %d classes, then %d and %d",
					SOFTMAX_AGG, (int) p, (int) s[1], n, k),
			 errhint("Every row of one aggregate must have the same features and weights.")));
	pgl_softmax_grad_add(s, p, k, wv, v, (int32) y, k <= 64 ? zbuf : palloc(sizeof(double) * k));
	if (!isfinite(s[3]))
		overflowed(SOFTMAX_AGG, "loss");
	PG_RETURN_ARRAYTYPE_P(st);
}

static void
softmax_merge(double *a, const double *b, int32 p)
{
	pgl_softmax_grad_merge(a, b);
}

Datum
ai_softmax_grad_agg_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, &softmax_kind, softmax_merge);
}

/* [n, mean loss, mean gradient ((p + 1) x k, row-major)] */
Datum
ai_softmax_grad_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = PG_GETARG_ARRAYTYPE_P(0);
	int32		  p;
	size_t		  len;
	const double *s = state_values(st, &softmax_kind, true, &p, &len);
	ArrayType	 *result;
	double		 *r;

	if (s == NULL || s[2] == 0.0)
		PG_RETURN_NULL();
	result = new_state(len - 2);
	r = array_data(result);
	r[0] = s[2];
	for (size_t i = 3; i < len; i++)
		r[i - 2] = s[i] / s[2];
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- ai_kmeans_step_agg, ai_kmeans_inertia ---------- */

#define KMEANS_NONFINITE_HINT                                                                      \
	"Filter such rows out, e.g. with NULLIF(x, 'NaN'): rows with a NULL feature are skipped."

/*
 * The centroids of a row, for points of d dimensions: a k x d array, or a
 * one-dimensional one of k*d values (row after row).  Sets *k.  Their values
 * are checked by the caller.
 */
static const double *
kmeans_centroids(ArrayType *c, int d, int32 *k)
{
	int n = array_length1(c);

	if (ARR_NDIM(c) > 2 || n == 0)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s takes centroids as a k x d or a flat array, not %s", KMEANS_AGG,
							   n == 0 ? "an empty array" : "one of more than 2 dimensions")));
	if (ARR_NDIM(c) == 2 && ARR_DIMS(c)[1] != d)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: the centroids have %d columns, the features %d elements",
							   KMEANS_AGG, ARR_DIMS(c)[1], d),
						errhint("Pass the centroids as a k x d array, one row per centroid.")));
	if (ARR_NDIM(c) == 1 && n % d != 0)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: the flat centroids have %d elements, not a multiple of the %d "
							   "features",
							   KMEANS_AGG, n, d),
						errhint("Pass the centroids as a k x d array, one row per centroid.")));
	*k = n / d;
	if (*k > PGL_KMEANS_MAX_K || (double) *k * d > PGL_KMEANS_MAX_KD)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%s takes at most %d centroids and %d values in all, not %d x %d",
							   KMEANS_AGG, PGL_KMEANS_MAX_K, PGL_KMEANS_MAX_KD, (int) *k, d)));
	if (ARR_HASNULL(c))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: the centroids have a NULL element", KMEANS_AGG)));
	return array_data(c);
}

Datum
ai_kmeans_step_agg_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType	 *c = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType	 *x = PG_GETARG_ARRAYTYPE_P(2);
	bool		  in_agg;
	ArrayType	 *st;
	int32		  k, kk;
	size_t		  len;
	double		 *s;
	const double *cv, *v = array_data(x);
	int			  d;

	input_array(x, KMEANS_AGG, &d);
	cv = kmeans_centroids(c, d, &k);
	if (ARR_HASNULL(x))
		return skip_row(fcinfo, &kmeans_kind);
	st = writable_state(fcinfo, &in_agg);
	s = state_values(st, &kmeans_kind, !in_agg, &kk, &len);
	for (int j = 0; j < d; j++)
		if (!isfinite(v[j]))
			reject_nonfinite(KMEANS_AGG, "features", j + 1, v[j], KMEANS_NONFINITE_HINT);
	if (s == NULL)
	{
		for (size_t i = 0; i < (size_t) k * (size_t) d; i++)
			if (!isfinite(cv[i]))
				reject_nonfinite(KMEANS_AGG, "centroids", (int) i + 1, cv[i],
								 "The centroids must be finite numbers.");
		st = new_state(PGL_KMEANS_LEN(k, d));
		s = array_data(st);
		pgl_kmeans_init(s, k, d, cv);
	}
	else if (s[1] != d)
		length_mismatch(KMEANS_AGG, (int32) s[1], d);
	else if (kk != k || memcmp(s + 3, cv, sizeof(double) * (size_t) k * (size_t) d) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the centroids differ between rows", KMEANS_AGG),
				 errhint("Pass the same centroids to every row of one aggregate, e.g. from a "
						 "scalar subquery.")));

	(void) pgl_kmeans_add(s, v);
	if (!isfinite(s[2]))
		overflowed(KMEANS_AGG, "sum of squared distances");
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_kmeans_step_agg_combine(PG_FUNCTION_ARGS)
{
	bool		  in_agg;
	ArrayType	 *a = writable_state(fcinfo, &in_agg);
	ArrayType	 *b = PG_GETARG_ARRAYTYPE_P(1);
	int32		  ka, kb;
	size_t		  la, lb;
	double		 *sa = state_values(a, &kmeans_kind, !in_agg, &ka, &la);
	const double *sb = state_values(b, &kmeans_kind, true, &kb, &lb);

	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(copy_state(b));
	if (!pgl_kmeans_merge(sa, sb))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the partial states have different centroids", KMEANS_AGG),
						errhint("Merge only states computed from the same centroids.")));
	if (!isfinite(sa[2]))
		overflowed(KMEANS_AGG, "sum of squared distances");
	PG_RETURN_ARRAYTYPE_P(a);
}

/* the new centroids, a k x d float8[] */
Datum
ai_kmeans_step_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = PG_GETARG_ARRAYTYPE_P(0);
	int32		  k;
	size_t		  len;
	const double *s = state_values(st, &kmeans_kind, true, &k, &len);
	int32		  d;
	size_t		  kd;
	Size		  bytes;
	ArrayType	 *a;

	if (s == NULL)
		PG_RETURN_NULL();
	d = (int32) s[1];
	kd = (size_t) k * (size_t) d;
	bytes = ARR_OVERHEAD_NONULLS(2) + sizeof(double) * kd;
	a = (ArrayType *) palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 2;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = k;
	ARR_DIMS(a)[1] = d;
	ARR_LBOUND(a)[0] = 1;
	ARR_LBOUND(a)[1] = 1;
	pgl_kmeans_centroids(s, array_data(a));
	PG_RETURN_ARRAYTYPE_P(a);
}

/* the sum of the squared distances of the points to their nearest centroid */
Datum
ai_kmeans_inertia_final(PG_FUNCTION_ARGS)
{
	ArrayType	 *st = PG_GETARG_ARRAYTYPE_P(0);
	int32		  k;
	size_t		  len;
	const double *s = state_values(st, &kmeans_kind, true, &k, &len);

	if (s == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s[2]);
}
