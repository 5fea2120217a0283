/*-------------------------------------------------------------------------
 *
 * data_reader.c
 *	  Stream the rows of a table or query into column-major buffers.
 *
 * The query runs through SPI with our own DestReceiver, so each row goes
 * straight from the executor's slot into the buffers: no tuple is copied
 * and nothing allocated for a row outlives it (a per-row context is reset
 * after each row that needed one).  The buffers grow by doubling and are
 * bounded by pg_learn.max_train_memory.  The query runs as the current user,
 * so table and column privileges and row-level security apply.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#define PGL_MAX_CATEGORIES 10000
#define PGL_MAX_CLASSES 1000

typedef struct PglReceiver
{
	DestReceiver pub;
	PglDataSet *ds;
	const char *target;
	PglColumnKind target_kind;
	const char *algorithm;
	List	   *exclude;
	List	   *only;			/* if set: exactly these features, in order */
	MemoryContext data_cxt;		/* buffers */
	MemoryContext row_cxt;		/* reset per row */
	int64		capacity;
	Size		bytes_per_row;
} PglReceiver;

bool
pgl_type_is_numeric(Oid typid)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return true;
		default:
			return false;
	}
}

bool
pgl_type_is_integer(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

/* types read as categories through their text form */
static bool
type_is_categorical(Oid typid)
{
	Oid			base = getBaseType(typid);

	switch (base)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
		case BOOLOID:
			return true;
		default:
			return type_is_enum(base);
	}
}

double
pgl_datum_to_double(Datum d, Oid typid)
{
	switch (typid)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case INT2OID:
			return (double) DatumGetInt16(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
		default:
			return pgl_datum_to_double(d, getBaseType(typid));
	}
}

char *
pgl_data_query(const char *data)
{
	const char *p = data;
	List	   *names;
	RangeVar   *rv;
	Oid			relid;

	while (*p && isspace((unsigned char) *p))
		p++;
	if (*p == '(' ||
		pg_strncasecmp(p, "select", 6) == 0 || pg_strncasecmp(p, "with", 4) == 0 ||
		pg_strncasecmp(p, "values", 6) == 0 || pg_strncasecmp(p, "table", 5) == 0)
	{
		if (p[0] != '(' && !isspace((unsigned char) p[pg_strncasecmp(p, "with", 4) == 0 ? 4 :
														  pg_strncasecmp(p, "table", 5) == 0 ? 5 : 6]))
			goto relation;		/* a relation named like "selections" */
		return pstrdup(p);
	}

relation:
	names = stringToQualifiedNameList(data);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", data),
				 errhint("data must name a table or view (schema-qualified if it is not on the search_path), "
						 "or be a query starting with SELECT, WITH, VALUES or TABLE.")));
	return psprintf("SELECT * FROM %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

/* the data must be exactly one statement, and one that returns rows */
void
pgl_check_single_select(const char *query)
{
	List	   *stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	RawStmt    *rs;

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("data must be a single query, not %d statements", list_length(stmts)),
				 errhint("Remove the semicolons between statements.")));
	rs = linitial_node(RawStmt, stmts);
	if (!IsA(rs->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("data must be a query that returns rows"),
				 errhint("Use a SELECT, WITH, VALUES or TABLE query, or a table or view name.")));
	/* data-modifying WITH is only allowed at the top level: look there */
	if (((SelectStmt *) rs->stmt)->withClause)
	{
		ListCell   *lc;

		foreach(lc, ((SelectStmt *) rs->stmt)->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("data must not modify the database"),
						 errdetail("The WITH query \"%s\" is an INSERT, UPDATE, DELETE or MERGE.",
								   cte->ctename),
						 errhint("Run the modification separately, then train on a plain query.")));
		}
	}
}

static void
init_column(PglColumn *c, Form_pg_attribute att, int attnum, PglColumnKind kind,
			MemoryContext cxt)
{
	c->name = pstrdup(NameStr(att->attname));
	c->typid = att->atttypid;
	c->type_name = format_type_be(att->atttypid);
	c->attnum = attnum;
	c->kind = kind;
	if (kind == PGL_COL_CATEGORICAL)
	{
		Oid			outfn;
		bool		varlena;

		getTypeOutputInfo(att->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &c->outfunc, cxt);
		c->vocab = pgl_vocab_create(cxt);
	}
}

static void
add_feature(PglReceiver *r, Form_pg_attribute att, int i)
{
	PglDataSet *ds = r->ds;

	if (pgl_type_is_numeric(att->atttypid))
		init_column(&ds->features[ds->n_features++], att, i, PGL_COL_NUMERIC, r->data_cxt);
	else if (type_is_categorical(att->atttypid))
		init_column(&ds->features[ds->n_features++], att, i, PGL_COL_CATEGORICAL, r->data_cxt);
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s, which pg_learn cannot use as a feature",
						NameStr(att->attname), format_type_be(att->atttypid)),
				 errdetail("Features must be numeric (smallint, integer, bigint, real, double precision, numeric) "
						   "or categorical (text, varchar, char, boolean, an enum)."),
				 errhint("Leave it out with \"exclude\", or convert it in a SELECT.")));
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	PglReceiver *r = (PglReceiver *) self;
	PglDataSet *ds = r->ds;
	MemoryContext old = MemoryContextSwitchTo(r->data_cxt);
	ListCell   *lc;
	int			target_att = -1;
	StringInfoData cols;

	initStringInfo(&cols);
	ds->features = palloc0(sizeof(PglColumn) * desc->natts);
	ds->n_features = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		bool		excluded = false;

		if (att->attisdropped)
			continue;
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(name));

		for (int j = 0; j < i; j++)
			if (!TupleDescAttr(desc, j)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, j)->attname), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column name \"%s\" appears more than once in the data", name),
						 errhint("Give the columns distinct names with AS in the query.")));

		if (r->target && strcmp(name, r->target) == 0)
		{
			target_att = i;
			continue;
		}
		foreach(lc, r->exclude)
			if (strcmp((char *) lfirst(lc), name) == 0)
				excluded = true;
		if (excluded)
			continue;

		if (r->only == NIL)
			add_feature(r, att, i);
	}

	/* evaluation: the model's features, in the model's order */
	foreach(lc, r->only)
	{
		int			found = -1;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, i)->attname), (char *) lfirst(lc)) == 0)
				found = i;
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the data has no column \"%s\", a feature of the model",
							(char *) lfirst(lc)),
					 errhint("The data has the columns %s.", cols.data)));
		add_feature(r, TupleDescAttr(desc, found), found);
	}

	/* every excluded name must exist: a typo should not go unnoticed */
	foreach(lc, r->exclude)
	{
		bool		found = false;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, i)->attname), (char *) lfirst(lc)) == 0)
				found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" listed in \"exclude\" is not in the data",
							(char *) lfirst(lc)),
					 errhint("The data has the columns %s.", cols.data)));
	}

	if (r->target)
	{
		Form_pg_attribute att;

		if (target_att < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("target column \"%s\" is not in the data", r->target),
					 errhint("The data has the columns %s.", cols.data)));
		att = TupleDescAttr(desc, target_att);
		if (r->target_kind == PGL_COL_NUMERIC && !pgl_type_is_numeric(att->atttypid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, but %s needs a numeric target",
							r->target, format_type_be(att->atttypid), r->algorithm),
					 errhint("Use a classifier such as logistic_regression for labels, "
							 "or cast the target to a number in a SELECT.")));
		if (r->target_kind == PGL_COL_CATEGORICAL &&
			!(pgl_type_is_integer(att->atttypid) || type_is_categorical(att->atttypid)))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, which %s cannot use as class labels",
							r->target, format_type_be(att->atttypid), r->algorithm),
					 errhint("Class labels must be integers, text, boolean or an enum; "
							 "cast the target in a SELECT, or use linear_regression for a continuous target.")));
		ds->target = palloc0(sizeof(PglColumn));
		init_column(ds->target, att, target_att, r->target_kind, r->data_cxt);
	}

	if (ds->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the data has no usable feature column"),
				 errdetail("The data has the columns %s%s%s.", cols.data,
						   r->target ? "; the target is " : "",
						   r->target ? quote_identifier(r->target) : ""),
				 errhint("Features are all columns except the target and those in \"exclude\".")));

	r->bytes_per_row = (ds->n_features + (ds->target ? 1 : 0)) * (sizeof(double) + sizeof(bool));
	MemoryContextSwitchTo(old);
}

static void
grow_buffers(PglReceiver *r)
{
	PglDataSet *ds = r->ds;
	int64		cap = r->capacity == 0 ? 1024 : r->capacity * 2;
	Size		bytes = (Size) cap * r->bytes_per_row;

	if (bytes > (Size) pgl_max_train_memory_kb * 1024)
	{
		/* a last step up to exactly the limit before giving up */
		cap = ((Size) pgl_max_train_memory_kb * 1024) / r->bytes_per_row;
		if (cap <= r->capacity)
			pgl_check_memory((Size) (r->capacity + 1) * r->bytes_per_row,
							 psprintf("reading more than " INT64_FORMAT " rows", r->capacity));
		bytes = (Size) cap * r->bytes_per_row;
	}

	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn  *c = f < 0 ? ds->target : &ds->features[f];

		if (c == NULL)
			continue;
		if (c->values == NULL)
		{
			c->values = MemoryContextAllocHuge(r->data_cxt, sizeof(double) * cap);
			c->nulls = MemoryContextAllocHuge(r->data_cxt, sizeof(bool) * cap);
		}
		else
		{
			c->values = repalloc_huge(c->values, sizeof(double) * cap);
			c->nulls = repalloc_huge(c->nulls, sizeof(bool) * cap);
		}
	}
	r->capacity = cap;
	ds->bytes = bytes;
}

/* text form of a categorical datum (valid until the row context resets) */
static const char *
category_string(PglColumn *c, Datum d, Size *len)
{
	Oid			base = getBaseType(c->typid);

	if (base == TEXTOID || base == VARCHAROID)
	{
		text	   *t = DatumGetTextPP(d);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
	else
	{
		char	   *s = OutputFunctionCall(&c->outfunc, d);

		*len = strlen(s);
		return s;
	}
}

static void
reject_nonfinite(PglColumn *c, double v, int64 row, bool is_target)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s column \"%s\" holds %s in row " INT64_FORMAT,
					is_target ? "target" : "feature", c->name,
					isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"), row + 1),
			 errhint("Filter such rows out or replace the value in a SELECT, e.g. NULLIF(%s, 'NaN').",
					 quote_identifier(c->name))));
}

static void
read_value(PglReceiver *r, PglColumn *c, TupleTableSlot *slot, int64 row,
		   bool is_target)
{
	Datum		d = slot->tts_values[c->attnum];
	bool		isnull = slot->tts_isnull[c->attnum];

	c->nulls[row] = isnull;
	if (isnull)
	{
		c->values[row] = 0;
		c->n_nulls++;
		return;
	}
	if (c->kind == PGL_COL_NUMERIC)
	{
		double		v = pgl_datum_to_double(d, c->typid);

		if (!isfinite(v))
			reject_nonfinite(c, v, row + r->ds->n_skipped, is_target);
		c->values[row] = v;
	}
	else
	{
		Size		len;
		const char *s = category_string(c, d, &len);
		int32		code = pgl_vocab_intern(c->vocab, s, len);
		int32		limit = is_target ? PGL_MAX_CLASSES : PGL_MAX_CATEGORIES;

		if (code >= limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s column \"%s\" has more than %d distinct values",
							is_target ? "target" : "categorical", c->name, limit),
					 errhint(is_target ? "A classifier needs a label with few distinct values; "
							 "for a continuous target use linear_regression."
							 : "Leave the column out with \"exclude\" (e.g. an id), "
							 "or group its values in a SELECT.")));
		c->values[row] = code;
	}
}

static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	PglReceiver *r = (PglReceiver *) self;
	PglDataSet *ds = r->ds;
	int64		row = ds->n_rows;
	MemoryContext old;

	slot_getallattrs(slot);

	if (ds->target && slot->tts_isnull[ds->target->attnum])
	{
		ds->n_skipped++;
		return true;
	}
	if ((row & 4095) == 0)
		CHECK_FOR_INTERRUPTS();
	if (row >= r->capacity)
		grow_buffers(r);

	old = MemoryContextSwitchTo(r->row_cxt);
	if (ds->target)
		read_value(r, ds->target, slot, row, true);
	for (int f = 0; f < ds->n_features; f++)
		read_value(r, &ds->features[f], slot, row, false);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->row_cxt);

	ds->n_rows++;
	return true;
}

static void
receiver_shutdown(DestReceiver *self)
{
}

static void
receiver_destroy(DestReceiver *self)
{
}

PglDataSet *
pgl_read_data(const char *data, const char *target, PglColumnKind target_kind,
			  List *exclude, List *only, const char *algorithm)
{
	PglReceiver r;
	PglDataSet *ds = palloc0(sizeof(PglDataSet));
	SPIExecuteOptions opts;
	int			rc;

	ds->query = pgl_data_query(data);
	pgl_check_single_select(ds->query);

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = receiver_receive;
	r.pub.rStartup = receiver_startup;
	r.pub.rShutdown = receiver_shutdown;
	r.pub.rDestroy = receiver_destroy;
	r.pub.mydest = DestNone;
	r.ds = ds;
	r.target = target;
	r.target_kind = target_kind;
	r.algorithm = algorithm;
	r.exclude = exclude;
	r.only = only;
	r.data_cxt = CurrentMemoryContext;
	r.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn row",
									  ALLOCSET_SMALL_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&opts, 0, sizeof(opts));
	opts.read_only = false;
	opts.allow_nonatomic = false;
	opts.tcount = 0;
	opts.dest = &r.pub;
	rc = SPI_execute_extended(ds->query, &opts);
	/* with our own receiver SPI reports a SELECT as SPI_OK_UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("data must be a query that returns rows"),
				 errdetail("The statement \"%s\" is not a SELECT.", ds->query)));
	SPI_finish();
	MemoryContextDelete(r.row_cxt);

	if (ds->features == NULL)
		elog(ERROR, "pg_learn: the data query did not start");
	return ds;
}
