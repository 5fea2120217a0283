/*-------------------------------------------------------------------------
 *
 * count_agg.c
 *	  ai_count_fit_agg: the first pass of the "aggregate" training method,
 *	  in one C call per row.  Before there is a model to encode with, the
 *	  training needs the rows on each side of the hold-out split, the rows
 *	  without a target, and for each column its non-NULL values and their
 *	  sum on each side (the NULL checks and the imputation means).  In SQL
 *	  that was a GROUP BY over ai_holdout(ROW(...)) with two aggregates per
 *	  column: about 3.5 times a scan of the data; this is one aggregate.
 *
 * Two forms, as the fused aggregates (fused_agg.c): the fields form
 * ai_count_fit_agg(columns, target, seed, test_size, VARIADIC fields "any")
 * and the row form ai_count_fit_agg(data_row, columns, target, seed,
 * test_size), what Citus's worker_partial_agg can call.  The hold-out is
 * ai_holdout's hash of all the fields in order.
 *
 * The state is a float8[] (text I/O: parallel query and Citus ship it):
 *
 *	 [-5, n, rows train, rows test, rows skipped,
 *	  per field: non-NULL train, sum train, non-NULL test, sum test]
 *
 * where n is the number of fields and a row is skipped when its target is
 * NULL (its fields are not counted).  Sums are of the fields of a numeric
 * type (integers, floats, numeric; read as ai_features reads them), 0 for
 * the others; a NaN or infinite value makes its sum so, which the training
 * reports for the columns it uses.  The final function returns the state
 * without its first two elements.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "data_reader.h"
#include "row_encode.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "prep.h"

PG_FUNCTION_INFO_V1(ai_count_fit_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_count_fit_agg_fields_sfunc);
PG_FUNCTION_INFO_V1(ai_count_fit_agg_combine);
PG_FUNCTION_INFO_V1(ai_count_fit_agg_final);

#define COUNT_TAG	 (-5)
#define COUNT_HDR	 5
#define COUNT_LEN(n) (COUNT_HDR + 4 * (size_t) (n))
/* fields a state may have: the columns of a table */
#define COUNT_MAX_FIELDS MaxHeapAttributeNumber

static const char *const AGG = "ai_count_fit_agg";

/* where a form has its arguments (0 is the state) */
typedef struct CountForm
{
	int row, columns, target, seed, test_size, fields;
} CountForm;

static const CountForm count_row = {1, 2, 3, 4, 5, -1};
static const CountForm count_fields = {-1, 1, 2, 3, 4, 5};

/*
 * What the column names, the target and the row's types give.  Kept for
 * the backend (one entry), as the fused aggregates keep their encoder: an
 * engine that calls the transition function with a new FmgrInfo for every
 * row (Citus's worker_partial_agg does, which empties fn_extra) would
 * otherwise read the names and look up the types on every row.
 */
typedef struct CountShape
{
	MemoryContext	cxt;	 /* everything below */
	struct varlena *columns; /* the names' bytes, to recognise them */
	char		   *target;	 /* or NULL */
	int				ncolumns;
	int				target_field; /* or -1 */
	PglRow			row;
	Oid			   *numeric;	 /* per field: its base type when numeric, else InvalidOid */
	Oid				numeric_for; /* the row type numeric was made for */
	int32			numeric_typmod;
	uint64			numeric_id;
} CountShape;

static CountShape *shared_shape = NULL;
static uint64	   shared_gen = 0;

/* what a call site keeps between rows (fn_extra) */
typedef struct CountSite
{
	const CountForm *form;
	TupleDesc		 fields; /* the fields form: the types of the fields */
	uint64			 fields_id;
	uint64			 shape_gen;				   /* the shared shape last seen */
	void			*columns_ptr, *target_ptr; /* the arguments it was made of */
	bool			 target_null;
	PglSplit		 split;
} CountSite;

static inline double *
state_values(ArrayType *a)
{
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

static pg_attribute_noreturn() void not_a_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("argument is not a state of %s", AGG),
			 errdetail("%s", why), errhint("Pass the value %s returned, unchanged.", AGG)));
}

/*
 * The number of fields of state s (len doubles); full: also that every
 * count is a whole number >= 0 (a state from outside).
 */
static int
state_fields(const double *s, size_t len, bool full)
{
	int n;

	if (len < COUNT_HDR || s[0] != COUNT_TAG)
		not_a_state("Its first element is not -5.");
	if (!(s[1] >= 1 && s[1] <= COUNT_MAX_FIELDS && s[1] == floor(s[1])))
		not_a_state("Its number of fields is not a whole number from 1 to 1600.");
	n = (int) s[1];
	if (len != COUNT_LEN(n))
		not_a_state("Its length does not match its number of fields.");
	if (full)
		for (size_t i = 2; i < len; i++)
		{
			/* the sums (odd offsets in a field's four values) may be anything */
			if (i >= COUNT_HDR && (i - COUNT_HDR) % 2 == 1)
				continue;
			if (!(s[i] >= 0 && s[i] <= 1e18 && s[i] == floor(s[i])))
				not_a_state("Its counts are not whole numbers >= 0.");
		}
	return n;
}

/* the shape of these column names and target: the shared one, made anew when they change */
static CountShape *
site_shape(FunctionCallInfo fcinfo, CountSite *site)
{
	const CountForm *form = site->form;
	struct varlena	*columns;
	ArrayType		*arr;
	Datum			*names;
	bool			*nulls;
	int				 n, target_field = -1;
	char			*target;
	MemoryContext	 cxt, old;
	CountShape		*shape;

	if (PG_ARGISNULL(form->columns))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: columns is NULL", AGG),
				 errhint("Pass the names of the row's fields, in the order they are given.")));
	/* the same Datums as the last row (constants): nothing to compare */
	if (shared_shape && site->shape_gen == shared_gen &&
		DatumGetPointer(PG_GETARG_DATUM(form->columns)) == site->columns_ptr &&
		(PG_ARGISNULL(form->target) ? site->target_null
									: !site->target_null && DatumGetPointer(PG_GETARG_DATUM(
																form->target)) == site->target_ptr))
		return shared_shape;
	columns = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(form->columns));
	target = PG_ARGISNULL(form->target) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(form->target));
	if (shared_shape && VARSIZE_ANY(columns) == VARSIZE_ANY(shared_shape->columns) &&
		memcmp(columns, shared_shape->columns, VARSIZE_ANY(columns)) == 0 &&
		(target ? shared_shape->target && strcmp(target, shared_shape->target) == 0
				: shared_shape->target == NULL))
		goto same;

	arr = DatumGetArrayTypeP(PointerGetDatum(columns));
	if (ARR_NDIM(arr) != 1 || ARR_ELEMTYPE(arr) != TEXTOID)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: columns must be a one-dimensional text[] of the row's field "
							   "names, not one of %d dimensions",
							   AGG, ARR_NDIM(arr)),
						errhint("Pass one name per field of the row, in order: ARRAY['c1', ..., "
								"'cN'].")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s: column name %d is NULL", AGG, i + 1)));
		if (target && target_field < 0 && strcmp(TextDatumGetCString(names[i]), target) == 0)
			target_field = i;
	}
	if (target && target_field < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s: the target \"%s\" is not one of the column names", AGG, target),
				 errhint("Pass the name of one of the row's fields, or NULL for no target.")));
	if (shared_shape)
		MemoryContextDelete(shared_shape->cxt);
	shared_shape = NULL;
	shared_gen++;
	cxt =
		AllocSetContextCreate(TopMemoryContext, "pg_learn ai_count_fit_agg", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	shape = palloc0(sizeof(CountShape));
	shape->cxt = cxt;
	shape->columns = palloc(VARSIZE_ANY(columns));
	memcpy(shape->columns, columns, VARSIZE_ANY(columns));
	shape->target = target ? pstrdup(target) : NULL;
	shape->ncolumns = n;
	shape->target_field = target_field;
	MemoryContextSwitchTo(old);
	shared_shape = shape;
same:
	site->shape_gen = shared_gen;
	site->columns_ptr = DatumGetPointer(PG_GETARG_DATUM(form->columns));
	site->target_null = target == NULL;
	site->target_ptr = target ? DatumGetPointer(PG_GETARG_DATUM(form->target)) : NULL;
	return shared_shape;
}

/* which fields of the loaded row are numbers: once per row type */
static void
shape_numeric(CountShape *shape)
{
	PglRow *r = &shape->row;

	if (shape->numeric && shape->numeric_for == r->tuptype &&
		shape->numeric_typmod == r->tuptypmod && shape->numeric_id == r->fields_id)
		return;
	if (r->natts != shape->ncolumns)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("%s: the row has %d fields, but %d column names are given", AGG,
							   r->natts, shape->ncolumns),
						errhint("Pass one name per field of the row, in order.")));
	if (shape->numeric)
		pfree(shape->numeric);
	shape->numeric = MemoryContextAlloc(shape->cxt, sizeof(Oid) * (r->natts + 1));
	for (int i = 0; i < r->natts; i++)
	{
		Oid type = TupleDescAttr(r->desc, r->atts[i])->atttypid;

		shape->numeric[i] = pgl_type_is_numeric(type) ? getBaseType(type) : InvalidOid;
	}
	shape->numeric_for = r->tuptype;
	shape->numeric_typmod = r->tuptypmod;
	shape->numeric_id = r->fields_id;
}

static Datum
count_fit(FunctionCallInfo fcinfo, const CountForm *form)
{
	CountSite	 *site = fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	CountShape	 *shape;
	bool		  in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType	 *st;
	PglRow		 *r;
	double		 *s, *c;
	int			  n;
	bool		  test;

	if (site == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		site = fcinfo->flinfo->fn_extra = palloc0(sizeof(CountSite));
		site->form = form;
		if (form->fields >= 0)
			site->fields = pgl_fields_desc(fcinfo, form->fields, AGG,
										   "ai_count_fit_agg(ROW(...), columns, target, seed, "
										   "test_size)",
										   &site->fields_id);
		MemoryContextSwitchTo(old);
	}
	shape = site_shape(fcinfo, site);
	pgl_split_args(fcinfo, form->seed, form->test_size, AGG, &site->split);
	st = in_agg ? PG_GETARG_ARRAYTYPE_P(0) : PG_GETARG_ARRAYTYPE_P_COPY(0);
	r = &shape->row;
	if (form->fields >= 0)
		pgl_row_load_fields(shape->cxt, r, site->fields, site->fields_id,
							&fcinfo->args[form->fields]);
	else if (PG_ARGISNULL(form->row))
		PG_RETURN_ARRAYTYPE_P(st);
	else
		pgl_row_load(shape->cxt, r, PG_GETARG_HEAPTUPLEHEADER(form->row));
	shape_numeric(shape);
	n = r->natts;
	if (ARR_NDIM(st) == 0)
	{
		Size bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * COUNT_LEN(n);

		st = (ArrayType *) palloc0(bytes);
		SET_VARSIZE(st, bytes);
		st->ndim = 1;
		st->elemtype = FLOAT8OID;
		ARR_DIMS(st)[0] = (int) COUNT_LEN(n);
		ARR_LBOUND(st)[0] = 1;
		state_values(st)[0] = COUNT_TAG;
		state_values(st)[1] = n;
	}
	else if (ARR_NDIM(st) != 1 || ARR_HASNULL(st) || ARR_ELEMTYPE(st) != FLOAT8OID)
		not_a_state("It is not a one-dimensional float8[] without NULLs.");
	else if (state_fields(state_values(st), (size_t) ARR_DIMS(st)[0], !in_agg) != n)
		not_a_state("It is the state of a row of another number of fields.");
	s = state_values(st);
	if (shape->target_field >= 0 && r->nulls[r->atts[shape->target_field]])
	{
		s[4] += 1;
		PG_RETURN_ARRAYTYPE_P(st);
	}
	test = pgl_split_test(&site->split, r);
	s[test ? 3 : 2] += 1;
	c = s + COUNT_HDR + (test ? 2 : 0);
	for (int i = 0; i < n; i++, c += 4)
	{
		int a = r->atts[i];

		if (r->nulls[a])
			continue;
		c[0] += 1;
		if (OidIsValid(shape->numeric[i]))
			c[1] += pgl_datum_to_double(r->values[a], shape->numeric[i]);
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_count_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit(fcinfo, &count_row);
}

Datum
ai_count_fit_agg_fields_sfunc(PG_FUNCTION_ARGS)
{
	return count_fit(fcinfo, &count_fields);
}

/* a state argument: NULL for the empty state '{}' */
static double *
state_arg(ArrayType *a, int *n, bool full)
{
	if (ARR_NDIM(a) == 0)
		return NULL;
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		not_a_state("It is not a one-dimensional float8[] without NULLs.");
	*n = state_fields(state_values(a), (size_t) ARR_DIMS(a)[0], full);
	return state_values(a);
}

Datum
ai_count_fit_agg_combine(PG_FUNCTION_ARGS)
{
	bool	   in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType *a = in_agg ? PG_GETARG_ARRAYTYPE_P(0) : PG_GETARG_ARRAYTYPE_P_COPY(0);
	ArrayType *b = PG_GETARG_ARRAYTYPE_P(1);
	int		   na = 0, nb = 0;
	double	  *sa, *sb;

	sb = state_arg(b, &nb, true);
	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	sa = state_arg(a, &na, !in_agg);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(PG_GETARG_ARRAYTYPE_P_COPY(1));
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the partial states are of rows of %d and %d fields", AGG, na, nb),
				 errhint("Merge only states of one aggregate over one query.")));
	for (size_t i = 2; i < COUNT_LEN(na); i++)
		sa[i] += sb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * [rows train, rows test, rows skipped, per field: non-NULL train, sum
 * train, non-NULL test, sum test]; NULL when no row was seen.
 */
Datum
ai_count_fit_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType *st = PG_GETARG_ARRAYTYPE_P(0);
	int		   n = 0;
	double	  *s = state_arg(st, &n, true);
	Datum	  *d;

	if (s == NULL)
		PG_RETURN_NULL();
	d = palloc(sizeof(Datum) * COUNT_LEN(n));
	for (size_t i = 2; i < COUNT_LEN(n); i++)
		d[i - 2] = Float8GetDatum(s[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, (int) COUNT_LEN(n) - 2, FLOAT8OID, sizeof(double),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
