/*-------------------------------------------------------------------------
 *
 * row_encode.c
 *	  ai_holdout, ai_features and ai_label: what the training reader does
 *	  to one row, as functions of a record, so that aggregate passes over
 *	  the data (the "aggregate" training method, or a user's own query) see
 *	  the rows exactly as in-memory training does.  The encoder (a decoded
 *	  model and where each of its columns sits in the record, row_encode.h)
 *	  is shared with the fused aggregates (fused_agg.c).
 *
 * A record is read by name (a whole-row reference), or positionally when
 * the data's column names are given (ai_features(model, row, columns)):
 * the passes write ROW(q.c1, ..., q.cN), which survives being shipped as
 * SQL (Citus turns a whole-row reference into such an anonymous record).
 *
 * They are PARALLEL SAFE and keep only a per-call-site cache in fn_extra,
 * which is rebuilt when the model bytes, the column names or the record
 * type change.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "data_reader.h"
#include "row_encode.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "model_format.h"
#include "prep.h"
#include "text_glue.h"

PG_FUNCTION_INFO_V1(ai_holdout);
PG_FUNCTION_INFO_V1(ai_holdout_support);
PG_FUNCTION_INFO_V1(ai_holdout_fields);
PG_FUNCTION_INFO_V1(ai_features);
PG_FUNCTION_INFO_V1(ai_label);

/* the doubles of a float8[] without NULLs (ARR_DATA_PTR warns under -Wextra) */
static inline double *
arr_doubles(ArrayType *a)
{
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

#define LABEL_CACHE 64

/* the typmod a PglRow of separate values (pgl_row_load_fields) notes */
#define FIELDS_TYPMOD (-2)

/* ROW(a, b) has fields named f1, f2: no names of the data's */
static bool
anonymous_record(TupleDesc d)
{
	char name[NAMEDATALEN];

	if (d->tdtypeid != RECORDOID)
		return false;
	for (int i = 0; i < d->natts; i++)
	{
		snprintf(name, sizeof(name), "f%d", i + 1);
		if (strcmp(NameStr(TupleDescAttr(d, i)->attname), name) != 0)
			return false;
	}
	return true;
}

/*
 * Free what rc holds for its last row type: a loader shared by call sites
 * of other types (the fused aggregates' encoder, ai_count_fit_agg's shape)
 * sets itself up again at each switch, and must not grow while doing so.
 */
static void
row_forget(PglRow *rc)
{
	if (rc->desc == NULL)
		return;
	FreeTupleDesc(rc->desc);
	pfree(rc->values);
	pfree(rc->nulls);
	pfree(rc->atts);
	rc->desc = NULL;
}

void
pgl_row_load(MemoryContext cxt, PglRow *rc, HeapTupleHeader rec)
{
	Oid			  type = HeapTupleHeaderGetTypeId(rec);
	int32		  typmod = HeapTupleHeaderGetTypMod(rec);
	HeapTupleData tuple;

	if (rc->desc == NULL || rc->tuptype != type || rc->tuptypmod != typmod)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		TupleDesc	  d = lookup_rowtype_tupdesc(type, typmod);

		row_forget(rc);
		rc->desc = CreateTupleDescCopy(d);
		ReleaseTupleDesc(d);
		rc->values = palloc(sizeof(Datum) * (rc->desc->natts + 1));
		rc->nulls = palloc(sizeof(bool) * (rc->desc->natts + 1));
		rc->atts = palloc(sizeof(int) * (rc->desc->natts + 1));
		rc->natts = 0;
		for (int i = 0; i < rc->desc->natts; i++)
			if (!TupleDescAttr(rc->desc, i)->attisdropped)
				rc->atts[rc->natts++] = i;
		rc->anonymous = anonymous_record(rc->desc);
		rc->fields_id = 0;
		rc->tuptype = type;
		rc->tuptypmod = typmod;
		MemoryContextSwitchTo(old);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, rc->desc, rc->values, rc->nulls);
	rc->any_null = HeapTupleHasNulls(&tuple);
}

/* ---------- ai_holdout(row, seed, test_size) and its fields form ---------- */

void
pgl_check_split(const char *fn, int64 seed, double test_size)
{
	const char *prefix = fn ? psprintf("%s: ", fn) : "";

	if (seed < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%sseed must be >= 0, not " INT64_FORMAT, prefix, seed)));
	if (!(test_size >= 0 && test_size < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%stest_size must be in [0, 1), not %g", prefix, test_size),
				 errhint("It is the share of rows in the hold-out, as the \"test_size\" option of "
						 "ai_train.")));
}

void
pgl_split_args(FunctionCallInfo fcinfo, int seed_arg, int size_arg, const char *fn, PglSplit *s)
{
	int64  seed;
	double ts;

	if (PG_ARGISNULL(seed_arg) || PG_ARGISNULL(size_arg))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: seed and test_size must not be NULL", fn),
						errhint("Pass test_size 0 for no hold-out.")));
	seed = PG_GETARG_INT64(seed_arg);
	ts = PG_GETARG_FLOAT8(size_arg);
	if (s->set && seed == s->seed && ts == s->test_size)
		return;
	pgl_check_split(fn, seed, ts);
	if (s->set)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: seed and test_size differ between rows", fn),
						errhint("Pass the same seed and test_size to every row.")));
	s->set = true;
	s->seed = seed;
	s->test_size = ts;
}

uint64
pgl_row_split_hash(const PglRow *r)
{
	return pgl_row_hash(r->desc, r->values, r->nulls, r->atts, r->natts);
}

Datum
ai_holdout(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	int64			seed = PG_GETARG_INT64(1);
	double			test_size = PG_GETARG_FLOAT8(2);
	PglRow		   *rc = fcinfo->flinfo->fn_extra;

	pgl_check_split(NULL, seed, test_size);
	if (test_size == 0)
		PG_RETURN_BOOL(false);
	if (rc == NULL)
		rc = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PglRow));
	pgl_row_load(fcinfo->flinfo->fn_mcxt, rc, rec);
	PG_RETURN_BOOL(pgl_hash_in_test((uint64) seed, pgl_row_split_hash(rc), test_size));
}

/*
 * ai_holdout(seed, test_size, VARIADIC fields "any"): the same test of a
 * row given as its fields (no record built per row).  Not STRICT, since a
 * field may be NULL: a NULL seed or test_size gives NULL.
 */
typedef struct HoldoutFields
{
	PglRow	  row;
	TupleDesc desc;
	uint64	  id;
} HoldoutFields;

Datum
ai_holdout_fields(PG_FUNCTION_ARGS)
{
	HoldoutFields *hf = fcinfo->flinfo->fn_extra;
	int64		   seed;
	double		   test_size;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	seed = PG_GETARG_INT64(0);
	test_size = PG_GETARG_FLOAT8(1);
	pgl_check_split(NULL, seed, test_size);
	if (hf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		hf = palloc0(sizeof(HoldoutFields));
		hf->desc = pgl_fields_desc(fcinfo, 2, "ai_holdout", "ai_holdout(ROW(...), seed, test_size)",
								   &hf->id);
		fcinfo->flinfo->fn_extra = hf;
		MemoryContextSwitchTo(old);
	}
	if (test_size == 0)
		PG_RETURN_BOOL(false);
	pgl_row_load_fields(fcinfo->flinfo->fn_mcxt, &hf->row, hf->desc, hf->id, &fcinfo->args[2]);
	PG_RETURN_BOOL(pgl_hash_in_test((uint64) seed, pgl_row_split_hash(&hf->row), test_size));
}

/*
 * The planner's support of ai_holdout: the share of rows it keeps is its
 * test_size, when that is a constant.  Without it the planner takes a
 * boolean function to keep a third of the rows; a pass that draws a small
 * sample (the kmeans seeding) then looked too costly to gather from
 * parallel workers and ran serially.  NOT ai_holdout(...) is 1 - test_size,
 * by the planner's own rule for NOT.
 */
Datum
ai_holdout_support(PG_FUNCTION_ARGS)
{
	Node *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;
		Node					  *arg = NULL;

		/* ai_holdout(row, seed, test_size), or ai_holdout(seed, test_size, fields ...) */
		if (list_length(req->args) >= 3 && exprType(linitial(req->args)) == INT8OID)
			arg = lsecond(req->args);
		else if (list_length(req->args) == 3)
			arg = lthird(req->args);

		if (arg != NULL && IsA(arg, Const) && !((Const *) arg)->constisnull &&
			((Const *) arg)->consttype == FLOAT8OID)
		{
			double test_size = DatumGetFloat8(((Const *) arg)->constvalue);

			/* out of [0, 1) the call fails; any estimate will do until then */
			req->selectivity = test_size >= 0 && test_size < 1 ? test_size : 0.5;
			PG_RETURN_POINTER(req);
		}
	}
	PG_RETURN_POINTER(NULL);
}

/* ---------- the encoder of a model (row_encode.h) ---------- */

struct PglRowEnc
{
	PglRow		  row;
	MemoryContext cxt;	 /* everything below */
	const char	 *fn;	 /* the caller, in messages */
	bytea		 *blob;	 /* copy of the model bytes, to recognise them */
	ArrayType	 *names; /* copy of the column names given, or NULL */
	char		**colnames;
	int			  ncolnames;
	pgl_model	 *m;
	/* per feature (and the target at index n_features): */
	int		 *att;		  /* attribute in the record */
	Oid		 *typid;	  /* of that attribute */
	FmgrInfo *outfunc;	  /* categorical: the type's text output */
	bool	  map_done;	  /* att/typid filled for the cached record type */
	bool	  all_float8; /* every feature a number read from a float8 */
	bool	  map_target;
	Oid		  map_type;
	int32	  map_typmod;
	int32	 *class_order; /* classes sorted by strcmp (they may be in numeric order) */
	/*
	 * A classifier's labels of a pass-by-value type (integers, booleans):
	 * the class of the last labels seen, by Datum (direct-mapped), so that
	 * a row's label costs no text conversion.  -1: not a class.
	 */
	bool  label_byval;
	bool  label_cached[LABEL_CACHE];
	Datum label_key[LABEL_CACHE];
	int32 label_class[LABEL_CACHE];
};

static int
cmp_class(const void *a, const void *b, void *arg)
{
	char **classes = arg;

	return strcmp(classes[*(const int32 *) a], classes[*(const int32 *) b]);
}

/* the column names of a text[] (1-D, no NULLs, no empty name) */
static void
column_names(PglRowEnc *e, ArrayType *columns)
{
	Datum *d;
	bool  *nulls;
	int	   n;

	if (ARR_NDIM(columns) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: columns must be a one-dimensional text[], not one of %d "
							   "dimensions",
							   e->fn, ARR_NDIM(columns))));
	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s: columns is empty", e->fn),
				 errhint("Pass the names of the row's fields, in their order.")));
	e->colnames = palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s: column name %d is NULL", e->fn, i + 1),
							errhint("Pass the names of the row's fields, in their order.")));
		e->colnames[i] = TextDatumGetCString(d[i]);
	}
	e->ncolnames = n;
	e->names = palloc(VARSIZE(columns));
	memcpy(e->names, columns, VARSIZE(columns));
}

PglRowEnc *
pgl_rowenc_create(MemoryContext parent, bytea *blob, ArrayType *columns, const char *fn)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "pg_learn row encoder", ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	pgl_env		  env = pgl_backend_env(cxt);
	pgl_status	  st;
	PglRowEnc	 *n = palloc0(sizeof(PglRowEnc));
	Size		  len = VARSIZE_ANY_EXHDR(blob);
	int			  nf;

	n->cxt = cxt;
	n->fn = fn;
	memset(&st, 0, sizeof(st));
	if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), len, &n->m, &st) != PGL_OK)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
						errmsg("%s: the model is not valid: %s", fn, st.msg),
						st.detail[0] ? errdetail("%s", st.detail) : 0,
						errhint("Pass a model as ai_export_model returns it.")));
	pgl_text_refuse(n->m, "(given)", fn);
	if (n->m->n_features == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the model has no feature columns", fn),
						errhint("Recommender models encode (user, item) pairs, not rows.")));
	if (columns)
		column_names(n, columns);
	n->blob = palloc(VARHDRSZ + len);
	SET_VARSIZE(n->blob, VARHDRSZ + len);
	memcpy(VARDATA(n->blob), VARDATA_ANY(blob), len);
	nf = n->m->n_features;
	n->att = palloc(sizeof(int) * (nf + 1));
	n->typid = palloc(sizeof(Oid) * (nf + 1));
	n->outfunc = palloc0(sizeof(FmgrInfo) * (nf + 1));
	if (n->m->n_classes > 0)
	{
		n->class_order = palloc(sizeof(int32) * n->m->n_classes);
		for (int32 i = 0; i < n->m->n_classes; i++)
			n->class_order[i] = i;
		qsort_arg(n->class_order, n->m->n_classes, sizeof(int32), cmp_class, n->m->classes);
	}
	MemoryContextSwitchTo(old);
	return n;
}

void
pgl_rowenc_free(PglRowEnc *e)
{
	MemoryContextDelete(e->cxt);
}

const pgl_model *
pgl_rowenc_model(const PglRowEnc *e)
{
	return e->m;
}

bool
pgl_rowenc_same(const PglRowEnc *e, bytea *blob, ArrayType *columns)
{
	Size len = VARSIZE_ANY_EXHDR(blob);

	if (VARSIZE_ANY_EXHDR(e->blob) != len ||
		memcmp(VARDATA_ANY(e->blob), VARDATA_ANY(blob), len) != 0)
		return false;
	if ((columns == NULL) != (e->names == NULL))
		return false;
	return columns == NULL || (VARSIZE(columns) == VARSIZE(e->names) &&
							   memcmp(columns, e->names, VARSIZE(columns)) == 0);
}

/* the attribute of column name in the record, or -1 */
static int
find_att(PglRowEnc *e, const char *name)
{
	TupleDesc desc = e->row.desc;

	if (e->colnames)
	{
		for (int i = 0; i < e->ncolnames; i++)
			if (strcmp(e->colnames[i], name) == 0)
				return e->row.atts[i];
		return -1;
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	return -1;
}

static pg_attribute_noreturn() void no_column(PglRowEnc *e, const char *name)
{
	if (e->colnames)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
						errmsg("%s: the column names do not include \"%s\"", e->fn, name),
						errhint("The model reads the columns it was trained on, by name: pass the "
								"names of all the data's columns, in the order of the row's "
								"fields.")));
	if (e->row.anonymous)
		ereport(
			ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("%s: the row is an anonymous record, without the column \"%s\"", e->fn, name),
			 errdetail("Its fields are named f1 to f%d, as ROW(...) names them.",
					   e->row.desc->natts),
			 errhint("Pass the names of its fields, in order, as the argument columns.")));
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("%s: the row has no column \"%s\"", e->fn, name),
					errhint("The model reads the columns it was trained on, by name.")));
}

/* where the model's columns sit in this record type; checks their types */
static void
map_columns(PglRowEnc *e, bool with_target)
{
	TupleDesc		 desc = e->row.desc;
	const pgl_model *m = e->m;

	if (e->map_done && e->map_type == e->row.tuptype && e->map_typmod == e->row.tuptypmod &&
		(e->map_target || !with_target))
		return;
	if (e->colnames && e->row.natts != e->ncolnames)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("%s: the row has %d fields, but %d column names are given", e->fn,
							   e->row.natts, e->ncolnames),
						errhint("Pass one name per field of the row, in order.")));
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
								errmsg("%s: the model has no target column", e->fn)));
			name = m->target_name;
			numeric = m->task != PGL_TASK_CLASSIFICATION;
		}
		else
		{
			name = m->features[f].name;
			numeric = pgl_feature_is_number(&m->features[f]);
		}
		a = find_att(e, name);
		if (a < 0)
			no_column(e, name);
		typid = TupleDescAttr(desc, a)->atttypid;
		if (numeric && !(f == m->n_features ? pgl_type_is_numeric(typid)
											: pgl_type_fits_feature(m->features[f].kind, typid)))
		{
			bool number = f == m->n_features || m->features[f].kind == PGL_FEATURE_NUMERIC;

			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
							errmsg("%s: column \"%s\" has type %s, but the model reads it as %s",
								   e->fn, name, format_type_be(typid),
								   number ? "a number" : pgl_feature_kind_noun(&m->features[f])),
							number ? errhint("Cast the column to a number in a SELECT.")
								   : errhint("Cast the column to %s in a SELECT.",
											 m->features[f].type_name)));
		}
		e->att[f] = a;
		e->typid[f] = typid;
		if (!numeric)
		{
			Oid	 out;
			bool varlena;

			getTypeOutputInfo(typid, &out, &varlena);
			fmgr_info_cxt(out, &e->outfunc[f], e->cxt);
			if (f == m->n_features)
			{
				e->label_byval = get_typbyval(typid);
				memset(e->label_cached, 0, sizeof(e->label_cached));
			}
		}
	}
	e->all_float8 = true;
	for (int f = 0; f < m->n_features; f++)
		e->all_float8 &= m->features[f].kind == PGL_FEATURE_NUMERIC && e->typid[f] == FLOAT8OID;
	e->map_done = true;
	e->map_target = with_target;
	e->map_type = e->row.tuptype;
	e->map_typmod = e->row.tuptypmod;
}

void
pgl_rowenc_load(PglRowEnc *e, HeapTupleHeader rec, bool with_target)
{
	pgl_row_load(e->cxt, &e->row, rec);
	map_columns(e, with_target);
}

bool
pgl_row_load_fields(MemoryContext cxt, PglRow *rc, TupleDesc desc, uint64 id,
					const NullableDatum *fields)
{
	bool changed = false;

	Assert(id != 0);
	if (rc->desc == NULL || rc->tuptypmod != FIELDS_TYPMOD || rc->fields_id != id)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		row_forget(rc);
		rc->desc = CreateTupleDescCopy(desc);
		rc->values = palloc(sizeof(Datum) * (desc->natts + 1));
		rc->nulls = palloc(sizeof(bool) * (desc->natts + 1));
		rc->atts = palloc(sizeof(int) * (desc->natts + 1));
		for (int i = 0; i < desc->natts; i++)
			rc->atts[i] = i;
		rc->natts = desc->natts;
		rc->anonymous = true;
		rc->tuptype = RECORDOID;
		rc->tuptypmod = FIELDS_TYPMOD;
		rc->fields_id = id;
		changed = true;
		MemoryContextSwitchTo(old);
	}
	rc->any_null = false;
	for (int i = 0; i < rc->natts; i++)
	{
		rc->values[i] = fields[i].value;
		rc->nulls[i] = fields[i].isnull;
		rc->any_null |= fields[i].isnull;
	}
	return changed;
}

uint64
pgl_fields_id(void)
{
	static uint64 last_id = 0;

	return ++last_id;
}

TupleDesc
pgl_fields_desc(FunctionCallInfo fcinfo, int first, const char *fn, const char *record_form,
				uint64 *id)
{
	int		  n = PG_NARGS() - first;
	TupleDesc d;

	/* VARIADIC "any" always has a field; VARIADIC ARRAY[...] would make it one array */
	if (get_fn_expr_variadic(fcinfo->flinfo))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the row's fields must be separate arguments, not a VARIADIC "
							   "array",
							   fn),
						errhint("Pass the fields after the fixed arguments, in the order of the "
								"column names, or the row as a record: %s.",
								record_form)));
	d = CreateTemplateTupleDesc(n);
	for (int i = 0; i < n; i++)
	{
		Oid type = get_fn_expr_argtype(fcinfo->flinfo, first + i);

		if (!OidIsValid(type))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s: the types of the row's fields are not known in this call", fn),
					 errdetail("The fields form reads them from the call, which an engine that "
							   "calls the transition function directly (as Citus's "
							   "worker_partial_agg does) does not pass."),
					 errhint("Pass the row as a record: %s.", record_form)));
		TupleDescInitEntry(d, (AttrNumber) (i + 1), psprintf("f%d", i + 1), type, -1, 0);
	}
	*id = pgl_fields_id();
	return d;
}

void
pgl_rowenc_load_fields(PglRowEnc *e, TupleDesc desc, uint64 id, const NullableDatum *fields,
					   bool with_target)
{
	Assert(e->colnames != NULL);
	if (pgl_row_load_fields(e->cxt, &e->row, desc, id, fields))
		e->map_done = false;
	map_columns(e, with_target);
}

void
pgl_rowenc_count_nulls(const PglRowEnc *e, double *nulls)
{
	if (!e->row.any_null)
		return;
	for (int f = 0; f < e->m->n_features; f++)
		nulls[f] += e->row.nulls[e->att[f]];
}

const PglRow *
pgl_rowenc_row(const PglRowEnc *e)
{
	return &e->row;
}

static double
number_of(PglRowEnc *e, int f, const char *name, bool is_target)
{
	double v = pgl_datum_to_double(e->row.values[e->att[f]], e->typid[f]);

	if (!isfinite(v) && pgl_type_is_time(e->typid[f]))
		pgl_reject_nonfinite(name, e->typid[f], v, -1, is_target);
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

/*
 * The inputs of the loaded row: pgl_encode_row of the raw values, written
 * directly (numeric columns of type float8 without a call).
 */
void
pgl_rowenc_features(PglRowEnc *e, double *x)
{
	const pgl_model *m = e->m;
	const Datum		*values = e->row.values;
	const bool		*nulls = e->row.nulls;
	int32			 col = 0;
	double			*elems = NULL; /* the array whose elements are being read */
	bool			*elem_nulls = NULL;

	/* the common case: float8 columns without a NULL, one input each */
	if (e->all_float8 && !e->row.any_null)
	{
		bool finite = true;

		for (int f = 0; f < m->n_features; f++)
		{
			x[f] = DatumGetFloat8(values[e->att[f]]);
			finite &= isfinite(x[f]);
		}
		if (likely(finite))
			return;
	}
	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		int				   a = e->att[f];

		if (feat->kind == PGL_FEATURE_ELEMENT)
		{
			double v = feat->impute;

			if (feat->element == 0 && !nulls[a])
			{
				if (elems)
				{
					pfree(elems);
					pfree(elem_nulls);
				}
				(void) pgl_array_numbers(values[a], feat->name, feat->length, &elems, &elem_nulls);
			}
			if (!nulls[a] && !elem_nulls[feat->element])
			{
				v = elems[feat->element];
				if (unlikely(!isfinite(v)))
					pgl_reject_nonfinite(pgl_feature_display_name(feat), FLOAT8OID, v, -1, false);
			}
			x[col++] = v;
		}
		else if (feat->kind == PGL_FEATURE_NUMERIC)
		{
			double v;

			if (nulls[a])
				v = feat->impute;
			else
			{
				v = e->typid[f] == FLOAT8OID ? DatumGetFloat8(values[a])
											 : pgl_datum_to_double(values[a], e->typid[f]);
				if (unlikely(!isfinite(v)))
					(void) number_of(e, f, feat->name, false);
			}
			x[col++] = v;
		}
		else if (pgl_feature_is_number(feat))
		{
			double v = nulls[a] ? feat->impute : pgl_datum_to_double(values[a], e->typid[f]);

			if (unlikely(!isfinite(v)) && !nulls[a])
				(void) number_of(e, f, feat->name, false);
			pgl_time_expand(feat->kind, feat->origin, v, x + col);
			col += pgl_feature_width(feat);
		}
		else
		{
			int64 idx;

			if (nulls[a])
				idx = feat->impute_category;
			else
			{
				char *s = OutputFunctionCall(&e->outfunc[f], values[a]);

				idx = pgl_category_find(feat, s, strlen(s));
				pfree(s);
			}
			memset(x + col, 0, sizeof(double) * feat->n_categories);
			if (idx >= 0 && idx < feat->n_categories)
				x[col + idx] = 1.0;
			col += feat->n_categories;
		}
	}
	if (elems)
	{
		pfree(elems);
		pfree(elem_nulls);
	}
}

static int32 label_class(PglRowEnc *e, Datum value);

bool
pgl_rowenc_label(PglRowEnc *e, double *y)
{
	const pgl_model *m = e->m;
	int				 t = m->n_features;
	int				 a = e->att[t];

	if (e->row.nulls[a])
		return false;
	if (m->task != PGL_TASK_CLASSIFICATION)
	{
		*y = number_of(e, t, m->target_name, true);
		return true;
	}
	if (e->label_byval)
	{
		Datum d = e->row.values[a];
		int	  slot = (int) (pgl_hash_value(0, (uint64) d) & (LABEL_CACHE - 1));

		if (!e->label_cached[slot] || e->label_key[slot] != d)
		{
			e->label_key[slot] = d;
			e->label_class[slot] = label_class(e, d);
			e->label_cached[slot] = true;
		}
		*y = (double) e->label_class[slot];
		return e->label_class[slot] >= 0;
	}
	{
		int32 k = label_class(e, e->row.values[a]);

		*y = (double) k;
		return k >= 0;
	}
}

/* the class of a label (by its text, as training reads it), or -1 */
static int32
label_class(PglRowEnc *e, Datum value)
{
	const pgl_model *m = e->m;
	char			*s = OutputFunctionCall(&e->outfunc[m->n_features], value);
	int32			 lo = 0, hi = m->n_classes - 1;
	int32			 found = -1;

	while (lo <= hi)
	{
		int32 mid = lo + (hi - lo) / 2;
		int32 k = e->class_order[mid];
		int	  c = strcmp(s, m->classes[k]);

		if (c == 0)
		{
			found = k;
			break;
		}
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	pfree(s);
	return found;
}

/* ---------- ai_features / ai_label: the encoder of a call site ---------- */

typedef struct SiteCache
{
	PglRowEnc *enc;
	bool	   arg_stable; /* the model and columns are Consts or Params */
} SiteCache;

/*
 * A model given as a constant or a parameter (the aggregate passes) is the
 * same for the whole statement: decoded once, never compared again.
 * Otherwise (a model from a column, say) its bytes are compared per row.
 */
static PglRowEnc *
site_encoder(FunctionCallInfo fcinfo, const char *fn)
{
	SiteCache *sc = fcinfo->flinfo->fn_extra;
	bytea	  *blob = PG_GETARG_BYTEA_PP(0);
	ArrayType *columns = PG_NARGS() > 2 ? PG_GETARG_ARRAYTYPE_P(2) : NULL;

	if (sc == NULL)
		sc = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SiteCache));
	if (sc->enc != NULL && (sc->arg_stable || pgl_rowenc_same(sc->enc, blob, columns)))
		return sc->enc;
	if (sc->enc != NULL)
		pgl_rowenc_free(sc->enc);
	sc->enc = NULL;
	sc->enc = pgl_rowenc_create(fcinfo->flinfo->fn_mcxt, blob, columns, fn);
	sc->arg_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0) &&
					 (PG_NARGS() < 3 || get_fn_expr_arg_stable(fcinfo->flinfo, 2));
	return sc->enc;
}

/* ---------- ai_features(model, row [, columns]) ---------- */

Datum
ai_features(PG_FUNCTION_ARGS)
{
	HeapTupleHeader	 rec = PG_GETARG_HEAPTUPLEHEADER(1);
	PglRowEnc		*e = site_encoder(fcinfo, "ai_features");
	const pgl_model *m = pgl_rowenc_model(e);
	ArrayType		*result;
	int				 p = m->n_inputs;

	pgl_rowenc_load(e, rec, false);
	result = palloc0(ARR_OVERHEAD_NONULLS(1) + sizeof(double) * (p > 0 ? p : 1));
	SET_VARSIZE(result, ARR_OVERHEAD_NONULLS(1) + sizeof(double) * p);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = FLOAT8OID;
	ARR_DIMS(result)[0] = p;
	ARR_LBOUND(result)[0] = 1;
	pgl_rowenc_features(e, arr_doubles(result));
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------- ai_label(model, row [, columns]) ---------- */

/*
 * The target of a row as training uses it: the number for a regression
 * model, the 0-based class index for a classifier; NULL when the target is
 * NULL or a class the model does not know.
 */
Datum
ai_label(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	PglRowEnc	   *e = site_encoder(fcinfo, "ai_label");
	double			y;

	pgl_rowenc_load(e, rec, true);
	if (!pgl_rowenc_label(e, &y))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(y);
}
