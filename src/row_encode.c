/*-------------------------------------------------------------------------
 *
 * row_encode.c
 *	  ai_holdout, ai_features and ai_label: what the training reader does
 *	  to one row, as functions of a whole-row record, so that aggregate
 *	  passes over the data (the "aggregate" training method, or a user's
 *	  own query) see the rows exactly as in-memory training does.
 *
 * They are PARALLEL SAFE and keep only a per-call-site cache in fn_extra
 * (the decoded model and where each of its columns sits in the record),
 * which is rebuilt when the model bytes or the record type change.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "data_reader.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "model_format.h"
#include "prep.h"

PG_FUNCTION_INFO_V1(ai_holdout);
PG_FUNCTION_INFO_V1(ai_features);
PG_FUNCTION_INFO_V1(ai_label);

/* the doubles of a float8[] without NULLs (ARR_DATA_PTR warns under -Wextra) */
static inline double *
arr_doubles(ArrayType *a)
{
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/* a record's columns, deformed; the type is remembered between calls */
typedef struct RowCache
{
	Oid		  tuptype;
	int32	  tuptypmod;
	TupleDesc desc; /* a copy in fn_mcxt */
	Datum	 *values;
	bool	 *nulls;
	int		 *atts; /* non-dropped attributes, in order */
	int		  natts;
} RowCache;

static void
row_deform(FunctionCallInfo fcinfo, RowCache *rc, HeapTupleHeader rec)
{
	Oid			  type = HeapTupleHeaderGetTypeId(rec);
	int32		  typmod = HeapTupleHeaderGetTypMod(rec);
	HeapTupleData tuple;

	if (rc->desc == NULL || rc->tuptype != type || rc->tuptypmod != typmod)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	  d = lookup_rowtype_tupdesc(type, typmod);

		rc->desc = CreateTupleDescCopy(d);
		ReleaseTupleDesc(d);
		rc->values = palloc(sizeof(Datum) * (rc->desc->natts + 1));
		rc->nulls = palloc(sizeof(bool) * (rc->desc->natts + 1));
		rc->atts = palloc(sizeof(int) * (rc->desc->natts + 1));
		rc->natts = 0;
		for (int i = 0; i < rc->desc->natts; i++)
			if (!TupleDescAttr(rc->desc, i)->attisdropped)
				rc->atts[rc->natts++] = i;
		rc->tuptype = type;
		rc->tuptypmod = typmod;
		MemoryContextSwitchTo(old);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, rc->desc, rc->values, rc->nulls);
}

/* ---------- ai_holdout(row, seed, test_size) ---------- */

Datum
ai_holdout(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	int64			seed = PG_GETARG_INT64(1);
	double			test_size = PG_GETARG_FLOAT8(2);
	RowCache	   *rc = fcinfo->flinfo->fn_extra;
	uint64			h;

	if (seed < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("seed must be >= 0, not " INT64_FORMAT, seed)));
	if (!(test_size >= 0 && test_size < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), not %g", test_size),
				 errhint("It is the share of rows in the hold-out, as the \"test_size\" option of "
						 "ai_train.")));
	if (test_size == 0)
		PG_RETURN_BOOL(false);
	if (rc == NULL)
		rc = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RowCache));
	row_deform(fcinfo, rc, rec);
	h = pgl_row_hash(rc->desc, rc->values, rc->nulls, rc->atts, rc->natts);
	PG_RETURN_BOOL(pgl_hash_in_test((uint64) seed, h, test_size));
}

/* ---------- the model of ai_features / ai_label ---------- */

typedef struct ModelCache
{
	RowCache	  row;
	MemoryContext cxt;		  /* everything below */
	bool		  arg_stable; /* the model argument is a Const or Param */
	bytea		 *blob;		  /* copy of the model bytes, to recognise them */
	pgl_model	 *m;
	/* per feature (and the target at index n_features): */
	int		 *att;		/* attribute in the record, by name */
	Oid		 *typid;	/* of that attribute */
	FmgrInfo *outfunc;	/* categorical: the type's text output */
	bool	  map_done; /* att/typid filled for the cached record type */
	Oid		  map_type;
	int32	  map_typmod;
	double	 *raw;
	bool	 *isnull;
	int32	 *class_order; /* classes sorted by strcmp (they may be in numeric order) */
} ModelCache;

static int
cmp_class(const void *a, const void *b, void *arg)
{
	char **classes = arg;

	return strcmp(classes[*(const int32 *) a], classes[*(const int32 *) b]);
}

static ModelCache *
model_cache(FunctionCallInfo fcinfo, bytea *blob, const char *fn)
{
	ModelCache *mc = fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE_ANY_EXHDR(blob);

	/*
	 * A model given as a constant or a parameter (the aggregate passes) is
	 * the same for the whole statement: decoded once, never compared again.
	 * Otherwise (a model from a column, say) its bytes are compared per row.
	 */
	if (mc != NULL &&
		(mc->arg_stable || (VARSIZE_ANY_EXHDR(mc->blob) == len &&
							memcmp(VARDATA_ANY(mc->blob), VARDATA_ANY(blob), len) == 0)))
		return mc;

	{
		MemoryContext cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "pg_learn row encoder",
												  ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		pgl_env		  env = pgl_backend_env(cxt);
		pgl_status	  st;
		ModelCache	 *n = palloc0(sizeof(ModelCache));
		int			  nf;

		memset(&st, 0, sizeof(st));
		if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), len, &n->m, &st) != PGL_OK)
			ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
							errmsg("%s: the model is not valid: %s", fn, st.msg),
							st.detail[0] ? errdetail("%s", st.detail) : 0,
							errhint("Pass a model as ai_export_model returns it.")));
		if (n->m->n_features == 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s: the model has no feature columns", fn),
							errhint("Recommender models encode (user, item) pairs, not rows.")));
		n->blob = palloc(VARHDRSZ + len);
		SET_VARSIZE(n->blob, VARHDRSZ + len);
		memcpy(VARDATA(n->blob), VARDATA_ANY(blob), len);
		nf = n->m->n_features;
		n->att = palloc(sizeof(int) * (nf + 1));
		n->typid = palloc(sizeof(Oid) * (nf + 1));
		n->outfunc = palloc0(sizeof(FmgrInfo) * (nf + 1));
		n->raw = palloc(sizeof(double) * (nf + 1));
		n->isnull = palloc(sizeof(bool) * (nf + 1));
		if (n->m->n_classes > 0)
		{
			n->class_order = palloc(sizeof(int32) * n->m->n_classes);
			for (int32 i = 0; i < n->m->n_classes; i++)
				n->class_order[i] = i;
			qsort_arg(n->class_order, n->m->n_classes, sizeof(int32), cmp_class, n->m->classes);
		}
		MemoryContextSwitchTo(old);
		n->cxt = cxt;
		n->arg_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
		if (mc != NULL)
		{
			n->row = mc->row; /* the record type cache stays valid */
			MemoryContextDelete(mc->cxt);
		}
		fcinfo->flinfo->fn_extra = n;
		return n;
	}
}

/* the attribute of column name in the record, or -1 */
static int
find_att(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	return -1;
}

/* where the model's columns sit in this record type; checks their types */
static void
map_columns(FunctionCallInfo fcinfo, ModelCache *mc, bool with_target, const char *fn)
{
	TupleDesc		 desc = mc->row.desc;
	const pgl_model *m = mc->m;

	if (mc->map_done && mc->map_type == mc->row.tuptype && mc->map_typmod == mc->row.tuptypmod)
		return;
	for (int f = 0; f <= m->n_features; f++)
	{
		const char *name;
		int			a;
		Oid			typid;
		bool		numeric;

		if (f == m->n_features)
		{
			if (!with_target)
				break;
			if (m->target_name == NULL)
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("%s: the model has no target column", fn)));
			name = m->target_name;
			numeric = m->task != PGL_TASK_CLASSIFICATION;
		}
		else
		{
			name = m->features[f].name;
			numeric = m->features[f].kind == PGL_FEATURE_NUMERIC;
		}
		a = find_att(desc, name);
		if (a < 0)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
							errmsg("%s: the row has no column \"%s\"", fn, name),
							errhint("The model reads the columns it was trained on, by name.")));
		typid = TupleDescAttr(desc, a)->atttypid;
		if (numeric && !pgl_type_is_numeric(typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: column \"%s\" has type %s, but the model reads it as a number", fn,
							name, format_type_be(typid)),
					 errhint("Cast the column to a number in a SELECT.")));
		mc->att[f] = a;
		mc->typid[f] = typid;
		if (!numeric)
		{
			Oid	 out;
			bool varlena;

			getTypeOutputInfo(typid, &out, &varlena);
			fmgr_info_cxt(out, &mc->outfunc[f], fcinfo->flinfo->fn_mcxt);
		}
	}
	mc->map_done = true;
	mc->map_type = mc->row.tuptype;
	mc->map_typmod = mc->row.tuptypmod;
}

static double
number_of(ModelCache *mc, int f, const char *name, bool is_target)
{
	double v = pgl_datum_to_double(mc->row.values[mc->att[f]], mc->typid[f]);

	if (!isfinite(v))
		ereport(
			ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s column \"%s\" holds %s", is_target ? "target" : "feature", name,
					isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")),
			 errhint(
				 "Filter such rows out or replace the value in a SELECT, e.g. NULLIF(%s, 'NaN').",
				 quote_identifier(name))));
	return v;
}

/* ---------- ai_features(model, row) ---------- */

Datum
ai_features(PG_FUNCTION_ARGS)
{
	bytea			*blob = PG_GETARG_BYTEA_PP(0);
	HeapTupleHeader	 rec = PG_GETARG_HEAPTUPLEHEADER(1);
	ModelCache		*mc = model_cache(fcinfo, blob, "ai_features");
	const pgl_model *m = mc->m;
	ArrayType		*result;
	double			*x;
	int				 p = m->n_inputs;

	row_deform(fcinfo, &mc->row, rec);
	map_columns(fcinfo, mc, false, "ai_features");
	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		int				   a = mc->att[f];

		mc->isnull[f] = mc->row.nulls[a];
		mc->raw[f] = 0;
		if (mc->isnull[f])
			continue;
		if (feat->kind == PGL_FEATURE_NUMERIC)
			mc->raw[f] = number_of(mc, f, feat->name, false);
		else
		{
			char *s = OutputFunctionCall(&mc->outfunc[f], mc->row.values[a]);

			mc->raw[f] = pgl_category_find(feat, s, strlen(s));
			pfree(s);
		}
	}
	result = palloc0(ARR_OVERHEAD_NONULLS(1) + sizeof(double) * (p > 0 ? p : 1));
	SET_VARSIZE(result, ARR_OVERHEAD_NONULLS(1) + sizeof(double) * p);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = FLOAT8OID;
	ARR_DIMS(result)[0] = p;
	ARR_LBOUND(result)[0] = 1;
	x = (double *) arr_doubles(result);
	pgl_encode_row(m, mc->raw, mc->isnull, x);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- ai_label(model, row) ---------- */

/*
 * The target of a row as training uses it: the number for a regression
 * model, the 0-based class index for a classifier; NULL when the target is
 * NULL or a class the model does not know.
 */
Datum
ai_label(PG_FUNCTION_ARGS)
{
	bytea			*blob = PG_GETARG_BYTEA_PP(0);
	HeapTupleHeader	 rec = PG_GETARG_HEAPTUPLEHEADER(1);
	ModelCache		*mc = model_cache(fcinfo, blob, "ai_label");
	const pgl_model *m = mc->m;
	int				 t = m->n_features;
	int				 a;

	row_deform(fcinfo, &mc->row, rec);
	map_columns(fcinfo, mc, true, "ai_label");
	a = mc->att[t];
	if (mc->row.nulls[a])
		PG_RETURN_NULL();
	if (m->task != PGL_TASK_CLASSIFICATION)
		PG_RETURN_FLOAT8(number_of(mc, t, m->target_name, true));
	{
		char *s = OutputFunctionCall(&mc->outfunc[t], mc->row.values[a]);
		int32 lo = 0, hi = m->n_classes - 1;

		while (lo <= hi)
		{
			int32 mid = lo + (hi - lo) / 2;
			int32 k = mc->class_order[mid];
			int	  c = strcmp(s, m->classes[k]);

			if (c == 0)
				PG_RETURN_FLOAT8((double) k);
			if (c < 0)
				hi = mid - 1;
			else
				lo = mid + 1;
		}
		PG_RETURN_NULL();
	}
}
