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
#include "glue.h"
#include "vocab.h"
#include "data_reader.h"
#include "progress.h"

#include <math.h>
#include <sys/mman.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "prep.h"
#include "drift_glue.h"

#define PGL_MAX_CATEGORIES 10000
#define PGL_MAX_CLASSES	   1000

typedef struct PglReceiver
{
	DestReceiver  pub;
	PglDataSet	 *ds;
	const char	 *target;
	PglColumnKind target_kind;
	const char	 *algorithm;
	List		 *exclude;
	List		 *only;			 /* if set: exactly these features, in order */
	MemoryContext data_cxt;		 /* buffers */
	MemoryContext row_cxt;		 /* reset per row */
	double		  rows_estimate; /* the planner's, for the first allocation */

	/*
	 * Rows are first written to a small column-major staging buffer per part
	 * (PGL_STAGE_ROWS rows, a few KB, cache-resident) and copied to the
	 * blocks a batch at a time, so the blocks see sequential writes.
	 */
	double		*stage[2];
	bool		*stage_nulls[2];  /* ncols x PGL_STAGE_ROWS */
	int64		*stage_rownum[2]; /* position in the data, for messages */
	bool		 stage_has_null[2];
	int			 staged[2]; /* rows in the stage: the part's last ones */
	PglBatchHook hook;
	void		*hook_arg;
	PglRowHook	 row_hook; /* PglReadExtra's */
	void		*row_hook_arg;

	/* per feature, compact for the per-row loop: attribute and how to read it */
	int *feat_att;
	/* the columns the hold-out split hashes: all of the data's */
	int	   *hash_att;
	int		n_hash_att;
	bool	hash_detoasts; /* some are varlena: hashing may allocate */
	char   *feat_how;	   /* 'd' float8, 'i' int4, 'l' int8, 'n' other number, 'c' category,
						  * 'e' array element */
	List   *text;		   /* the columns read as free text (PglReadExtra) */
	int32  *array_len;	   /* per attribute: the length of a number array's first value */
	double *elem_vals;	   /* the elements of the row's array being read (row context) */
	bool   *elem_nulls;

	/* pgl_drift_collect_next: summarizes the training rows */
	PglDriftCollect *drift;
} PglReceiver;

#define PGL_STAGE_ROWS 128

uint64
pgl_row_hash(TupleDesc desc, const Datum *values, const bool *isnull, const int *atts, int natts)
{
	uint64 h = UINT64CONST(0x706c5f6c6561726e);

	for (int i = 0; i < natts; i++)
	{
		int				  a = atts[i];
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (isnull[a])
			h = pgl_hash_value(h, PGL_HASH_NULL);
		else if (att->attbyval)
			h = pgl_hash_value(h, (uint64) values[a]);
		else if (att->attlen == -1)
		{
			struct varlena *v =
				pg_detoast_datum_packed((struct varlena *) DatumGetPointer(values[a]));

			h = pgl_hash_bytes(h, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
		}
		else if (att->attlen == -2)
			h = pgl_hash_bytes(h, DatumGetCString(values[a]), strlen(DatumGetCString(values[a])));
		else
			h = pgl_hash_bytes(h, DatumGetPointer(values[a]), att->attlen);
	}
	return h;
}

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
pgl_type_is_number_array(Oid typid)
{
	Oid elem = get_element_type(getBaseType(typid));

	return OidIsValid(elem) && pgl_type_is_numeric(elem);
}

int
pgl_array_numbers(Datum d, const char *name, int32 length, double **vals, bool **nulls)
{
	ArrayType *arr = DatumGetArrayTypeP(d);
	Oid		   elemtype = ARR_ELEMTYPE(arr);
	int16	   typlen;
	bool	   typbyval;
	char	   typalign;
	Datum	  *elems;
	int		   n;

	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (length > 0 && n != length)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array column \"%s\" has a value with %d element%s, not %d", name, n,
						n == 1 ? "" : "s", length),
				 errdetail("An array column is one feature per element, of the fixed length its "
						   "first value had in training."),
				 errhint("Pad or cut the array in a SELECT, e.g. %s[1:%d].", quote_identifier(name),
						 length)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, nulls, &n);
	*vals = palloc(sizeof(double) * (n + 1));
	for (int i = 0; i < n; i++)
		(*vals)[i] = (*nulls)[i] ? 0 : pgl_datum_to_double(elems[i], elemtype);
	return n;
}

char *
pgl_feature_display_name(const pgl_feature *f)
{
	if (f->kind == PGL_FEATURE_ELEMENT)
		return psprintf("%s[%d]", f->name, f->element + 1);
	return f->name;
}

void
pgl_check_feature_columns(const PglDataSet *ds, const pgl_model *m, const char *name)
{
	for (int f = 0; f < m->n_features && f < ds->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		const PglColumn	  *c = &ds->features[f];

		if (feat->kind == PGL_FEATURE_ELEMENT && feat->element == 0 && c->length != feat->length)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("column \"%s\" has %s, but model \"%s\" was trained on arrays of %d "
							"elements",
							feat->name,
							c->length > 0 ? psprintf("arrays of %d elements", c->length)
										  : psprintf("type %s", c->type_name),
							name, feat->length),
					 errhint("Pad or cut the array in a SELECT, e.g. %s[1:%d].",
							 quote_identifier(feat->name), feat->length)));
	}
	if (ds->n_features != m->n_features)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("the data's columns give %d features, but model \"%s\" has %d",
							   ds->n_features, name, m->n_features),
						errhint("An array column is one feature per element.")));
}

bool
pgl_type_is_time(Oid typid)
{
	Oid base = getBaseType(typid);

	return base == DATEOID || base == TIMESTAMPOID || base == TIMESTAMPTZOID;
}

bool
pgl_type_is_number_feature(Oid typid)
{
	return pgl_type_is_numeric(typid) || pgl_type_is_time(typid) ||
		   getBaseType(typid) == INTERVALOID;
}

void
pgl_check_aggregate_features(const PglDataSet *ds)
{
	for (int f = 0; f < ds->n_features; f++)
	{
		const PglColumn *c = &ds->features[f];

		if (c->kind == PGL_COL_NUMERIC && !pgl_type_is_numeric(c->typid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("\"method\": \"aggregate\" cannot train on column \"%s\" of type %s",
							c->source ? c->source : c->name, c->type_name),
					 errdetail("Date, time, interval and array features are learned by training in "
							   "memory only."),
					 c->source
						 ? errhint("Train with \"method\": \"memory\", or select the elements as "
								   "columns, e.g. %s[1] AS %s.",
								   quote_identifier(c->source),
								   quote_identifier(psprintf("%s_1", c->source)))
						 : errhint("Train with \"method\": \"memory\", or convert the column in a "
								   "SELECT, e.g. extract(epoch from %s) AS %s.",
								   quote_identifier(c->name), quote_identifier(c->name))));
	}
}

char *
pgl_time_text(int32 kind, double seconds)
{
	double day, rest;
	int64  year;
	int	   month, mday, h, mi;

	if (!(fabs(seconds) <= PGL_TIME_MAX_SECONDS))
		return psprintf("%g", seconds);
	day = floor(seconds / SECS_PER_DAY);
	rest = seconds - day * SECS_PER_DAY;
	pgl_civil_from_days((int64) day, &year, &month, &mday);
	if (kind == PGL_FEATURE_DATE)
		return psprintf("%04lld-%02d-%02d", (long long) year, month, mday);
	h = (int) (rest / 3600);
	mi = (int) ((rest - h * 3600) / 60);
	rest -= h * 3600 + mi * 60;
	if (rest == floor(rest))
		return psprintf("%04lld-%02d-%02d %02d:%02d:%02d", (long long) year, month, mday, h, mi,
						(int) rest);
	return psprintf("%04lld-%02d-%02d %02d:%02d:%09.6f", (long long) year, month, mday, h, mi,
					rest);
}

const char *
pgl_feature_kind_noun(const pgl_feature *f)
{
	switch (f->kind)
	{
		case PGL_FEATURE_NUMERIC:
			return "a number";
		case PGL_FEATURE_DATE:
			return "a date";
		case PGL_FEATURE_TIMESTAMP:
			return "a timestamp";
		case PGL_FEATURE_ELEMENT:
			return psprintf("an array of %d numbers", f->length);
		default:
			return "a category";
	}
}

bool
pgl_column_fits_feature(const PglColumn *c, const pgl_feature *f)
{
	if (c->kind == PGL_COL_NUMERIC)
		return pgl_feature_is_number(f) && pgl_type_fits_feature(f->kind, c->typid) &&
			   c->length == f->length && c->element == f->element;
	return f->kind == PGL_FEATURE_CATEGORICAL;
}

bool
pgl_type_fits_feature(int32 kind, Oid typid)
{
	if (kind == PGL_FEATURE_DATE || kind == PGL_FEATURE_TIMESTAMP)
		return pgl_type_is_time(typid);
	if (kind == PGL_FEATURE_ELEMENT)
		return pgl_type_is_number_array(typid);
	return pgl_type_is_numeric(typid) || getBaseType(typid) == INTERVALOID;
}

void
pgl_reject_nonfinite(const char *name, Oid typid, double v, int64 row, bool is_target)
{
	const char *what = isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
	const char *hint_value = "NaN";
	char	   *where = row >= 0 ? psprintf(" in row " INT64_FORMAT, row + 1) : "";

	if (pgl_type_is_time(typid))
	{
		what = v > 0 ? "infinity" : "-infinity";
		hint_value = what;
	}
	ereport(
		ERROR,
		(errcode(ERRCODE_DATA_EXCEPTION),
		 errmsg("%s column \"%s\" holds %s%s", is_target ? "target" : "feature", name, what, where),
		 pgl_type_is_time(typid)
			 ? errdetail("A %s feature becomes its year, month, day of the week and days "
						 "elapsed, which an infinite value does not have.",
						 format_type_be(typid))
			 : 0,
		 errhint("Filter such rows out or replace the value in a SELECT, e.g. "
				 "NULLIF(%s, '%s').",
				 quote_identifier(name), hint_value)));
}

bool
pgl_type_is_integer(Oid typid)
{
	Oid base = getBaseType(typid);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

/* types read as categories through their text form */
static bool
type_is_categorical(Oid typid)
{
	Oid base = getBaseType(typid);

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
		case DATEOID:
		{
			DateADT v = DatumGetDateADT(d);

			if (DATE_NOT_FINITE(v))
				return DATE_IS_NOBEGIN(v) ? -INFINITY : INFINITY;
			return ((double) v + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)) * SECS_PER_DAY;
		}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		{
			Timestamp v = DatumGetTimestamp(d);

			if (TIMESTAMP_NOT_FINITE(v))
				return TIMESTAMP_IS_NOBEGIN(v) ? -INFINITY : INFINITY;
			/* whole seconds and the fraction apart: exact to the microsecond */
			return (double) (v / USECS_PER_SEC +
							 (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) +
				   (double) (v % USECS_PER_SEC) / USECS_PER_SEC;
		}
		case INTERVALOID:
		{
			/* as extract(epoch from ...): a year is 365.25 days, a month 30 */
			Interval *iv = DatumGetIntervalP(d);

			return (double) iv->time / USECS_PER_SEC +
				   (double) DAYS_PER_YEAR * SECS_PER_DAY * (iv->month / MONTHS_PER_YEAR) +
				   (double) DAYS_PER_MONTH * SECS_PER_DAY * (iv->month % MONTHS_PER_YEAR) +
				   (double) iv->day * SECS_PER_DAY;
		}
		default:
			return pgl_datum_to_double(d, getBaseType(typid));
	}
}

/* past whitespace and SQL comments */
static const char *
skip_blank(const char *p)
{
	for (;;)
	{
		while (*p && isspace((unsigned char) *p))
			p++;
		if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		}
		else
			return p;
	}
}

/* does p start with the word w (case-insensitive, then a non-identifier character)? */
static bool
starts_with_word(const char *p, const char *w)
{
	size_t n = strlen(w);

	return pg_strncasecmp(p, w, n) == 0 && !isalnum((unsigned char) p[n]) && p[n] != '_' &&
		   p[n] != '$';
}

char *
pgl_data_query(const char *data)
{
	static const char *const statements[] = {
		"select", "with",  "values", "table", "explain", "create", "insert", "update",
		"delete", "merge", "copy",	 "call",  "do",		 "show",   "set",	 NULL};
	const char *p = skip_blank(data);
	List	   *names;
	RangeVar   *rv;
	Oid			relid;

	/*
	 * A query (possibly after comments), or a statement that is not one,
	 * which pgl_check_single_select then refuses with a clear message;
	 * anything else names a relation.
	 */
	if (*p == '(')
		return pstrdup(data);
	for (int i = 0; statements[i]; i++)
		if (starts_with_word(p, statements[i]))
			return pstrdup(data);

	names = stringToQualifiedNameList(data);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation \"%s\" does not exist", data),
				 errhint("data must name a table or view (schema-qualified if it is not on the "
						 "search_path), "
						 "or be a query starting with SELECT, WITH, VALUES or TABLE.")));
	return psprintf("SELECT * FROM %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

static void
query_error_callback(void *arg)
{
	const char *query = arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(query);
	}
	else
		errcontext("pg_learn data query \"%s\"", query);
}

int
pgl_column_index(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	return -1;
}

char *
pgl_column_list(TupleDesc desc)
{
	StringInfoData cols;

	initStringInfo(&cols);
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(desc, i)->attname)));
	return cols.data;
}

void
pgl_run_data_into(const char *data, DestReceiver *dest)
{
	char			 *query = pgl_data_query(data);
	SPIExecuteOptions opts;
	int				  rc;

	pgl_check_single_select(query);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&opts, 0, sizeof(opts));
	opts.dest = dest;
	rc = SPI_execute_extended(query, &opts);
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("data must be a query that returns rows")));
	SPI_finish();
}

/* the data must be exactly one statement, and one that returns rows */
void
pgl_check_single_select(const char *query)
{
	ErrorContextCallback cb;
	List				*stmts;
	RawStmt				*rs;

	/* a syntax error points into the data, not into the calling statement */
	cb.callback = query_error_callback;
	cb.arg = (void *) query;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;

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
		ListCell *lc;

		foreach (lc, ((SelectStmt *) rs->stmt)->withClause->ctes)
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
init_column(PglColumn *c, Form_pg_attribute att, int attnum, PglColumnKind kind, MemoryContext cxt)
{
	c->name = pstrdup(NameStr(att->attname));
	c->typid = att->atttypid;
	c->basetype = getBaseType(att->atttypid);
	c->type_name = format_type_be(att->atttypid);
	c->attnum = attnum;
	c->kind = kind;
	c->is_time = kind == PGL_COL_NUMERIC && pgl_type_is_time(att->atttypid);
	c->min[0] = c->min[1] = INFINITY;
	if (kind == PGL_COL_CATEGORICAL)
	{
		Oid	 outfn;
		bool varlena;

		getTypeOutputInfo(att->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &c->outfunc, cxt);
		c->vocab = pgl_vocab_create(cxt);
	}
}

static bool
name_in(List *names, const char *name)
{
	ListCell *lc;

	foreach (lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

bool
pgl_type_is_text(Oid typid)
{
	Oid base = getBaseType(typid);

	return base == TEXTOID || base == VARCHAROID || base == BPCHAROID;
}

void
pgl_check_text_column(const char *column, Oid typid, const char *hint)
{
	if (!pgl_type_is_text(typid))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("column \"%s\" listed in \"text\" has type %s, not a text type",
							   column, format_type_be(typid)),
						errdetail("A text feature is free text: text, varchar or char."),
						errhint("%s", hint)));
}

/* a column named in "text": a text feature, or an ERROR */
static void
add_text_feature(PglReceiver *r, Form_pg_attribute att, int i)
{
	PglDataSet *ds = r->ds;
	PglColumn  *c;

	pgl_check_text_column(NameStr(att->attname), att->atttypid,
						  "Remove it from \"text\", or cast it to text in a SELECT.");
	c = &ds->features[ds->n_features++];
	init_column(c, att, i, PGL_COL_CATEGORICAL, r->data_cxt);
	c->is_text = true;
}

static void
add_feature(PglReceiver *r, Form_pg_attribute att, int i)
{
	PglDataSet *ds = r->ds;

	if (name_in(r->text, NameStr(att->attname)))
		add_text_feature(r, att, i);
	else if (pgl_type_is_number_feature(att->atttypid))
		init_column(&ds->features[ds->n_features++], att, i, PGL_COL_NUMERIC, r->data_cxt);
	else if (pgl_type_is_number_array(att->atttypid) && r->array_len && r->array_len[i] > 0)
	{
		/* one feature per element */
		for (int32 k = 0; k < r->array_len[i]; k++)
		{
			PglColumn *c = &ds->features[ds->n_features++];

			init_column(c, att, i, PGL_COL_NUMERIC, r->data_cxt);
			c->source = c->name;
			c->name = psprintf("%s[%d]", c->source, k + 1);
			c->element = k;
			c->length = r->array_len[i];
		}
	}
	else if (pgl_type_is_number_array(att->atttypid))
	{
		/* no value to learn the length from: an error once rows were read */
		PglColumn *c = &ds->features[ds->n_features++];

		init_column(c, att, i, PGL_COL_NUMERIC, r->data_cxt);
		c->source = c->name;
	}
	else if (type_is_categorical(att->atttypid))
		init_column(&ds->features[ds->n_features++], att, i, PGL_COL_CATEGORICAL, r->data_cxt);
	else
		pgl_refuse_feature_type(NameStr(att->attname), att->atttypid);
}

void
pgl_refuse_feature_type(const char *name, Oid typid)
{
	Oid base = getBaseType(typid);

	if (base == JSONBOID || base == JSONOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" has type %s, which pg_learn cannot use as a feature", name,
						format_type_be(typid)),
				 errdetail("A JSON document has no fixed set of values to learn from."),
				 errhint("Extract the fields you need as columns in a SELECT, e.g. "
						 "(%s->>'price')::float8 AS price, %s->>'color' AS color, and leave "
						 "%s out with \"exclude\" or the SELECT list.",
						 quote_identifier(name), quote_identifier(name), quote_identifier(name))));
	if (OidIsValid(get_element_type(base)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" has type %s, which pg_learn cannot use as a feature", name,
						format_type_be(typid)),
				 errdetail("Only an array of numbers is a feature (one per element); neural_net "
						   "also reads any numeric array or bytea as its one tensor column."),
				 errhint("Select its elements as columns, e.g. %s[1] AS %s, %s[2] AS %s.",
						 quote_identifier(name), quote_identifier(psprintf("%s_1", name)),
						 quote_identifier(name), quote_identifier(psprintf("%s_2", name)))));
	ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
					errmsg("column \"%s\" has type %s, which pg_learn cannot use as a feature",
						   name, format_type_be(typid)),
					errdetail("Features must be numeric (smallint, integer, bigint, real, "
							  "double precision, numeric, interval), dates and times (date, "
							  "timestamp, timestamptz) "
							  "or categorical (text, varchar, char, boolean, an enum)."),
					errhint("Leave it out with \"exclude\", or convert it in a SELECT.")));
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	PglReceiver	  *r = (PglReceiver *) self;
	PglDataSet	  *ds = r->ds;
	MemoryContext  old = MemoryContextSwitchTo(r->data_cxt);
	ListCell	  *lc;
	int			   target_att = -1;
	StringInfoData cols;

	initStringInfo(&cols);
	{
		int64 cap = desc->natts;

		for (int i = 0; r->array_len && i < desc->natts; i++)
			cap += Max(r->array_len[i], 0);
		ds->features = palloc0(sizeof(PglColumn) * cap);
	}
	ds->n_features = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char		 *name = NameStr(att->attname);
		bool			  excluded = false;

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
		foreach (lc, r->exclude)
			if (strcmp((char *) lfirst(lc), name) == 0)
				excluded = true;
		if (excluded)
			continue;

		if (r->only == NIL)
			add_feature(r, att, i);
	}

	/* evaluation: the model's features, in the model's order (an array's once) */
	foreach (lc, r->only)
	{
		int found = -1;

		if (foreach_current_index(lc) > 0 &&
			strcmp((char *) lfirst(lc),
				   (char *) list_nth(r->only, foreach_current_index(lc) - 1)) == 0)
			continue;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, i)->attname), (char *) lfirst(lc)) == 0)
				found = i;
		if (found < 0)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
							errmsg("the data has no column \"%s\", a feature of the model",
								   (char *) lfirst(lc)),
							errhint("The data has the columns %s.", cols.data)));
		add_feature(r, TupleDescAttr(desc, found), found);
	}

	/* every "text" name must be a feature of the data */
	foreach (lc, r->text)
	{
		const char *name = lfirst(lc);
		bool		found = false;

		for (int f = 0; f < ds->n_features; f++)
			if (ds->features[f].is_text && strcmp(ds->features[f].name, name) == 0)
				found = true;
		if (!found && r->only == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" listed in \"text\" is not a feature of the data", name),
					 errdetail("%s", r->target && strcmp(r->target, name) == 0 ? "It is the target."
									 : name_in(r->exclude, name)
										 ? "It is listed in \"exclude\"."
										 : psprintf("The data has the columns %s.", cols.data)),
					 errhint("\"text\" names feature columns that hold free text.")));
	}

	/* every excluded name must exist: a typo should not go unnoticed */
	foreach (lc, r->exclude)
	{
		bool found = false;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, i)->attname), (char *) lfirst(lc)) == 0)
				found = true;
		if (!found)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
							errmsg("column \"%s\" listed in \"exclude\" is not in the data",
								   (char *) lfirst(lc)),
							errhint("The data has the columns %s.", cols.data)));
	}

	if (r->target)
	{
		Form_pg_attribute att;

		if (target_att < 0)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
							errmsg("target column \"%s\" is not in the data", r->target),
							errhint("The data has the columns %s.", cols.data)));
		att = TupleDescAttr(desc, target_att);
		if (r->target_kind == PGL_COL_AUTO)
			r->target_kind =
				pgl_type_is_numeric(att->atttypid) ? PGL_COL_NUMERIC : PGL_COL_CATEGORICAL;
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
							 "cast the target in a SELECT, or use linear_regression for a "
							 "continuous target.")));
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

	/* block columns: the features in order, then the target */
	for (int f = 0; f < ds->n_features; f++)
		ds->features[f].col = f;
	ds->ncols = ds->n_features;
	if (ds->target)
		ds->target->col = ds->ncols++;

	r->feat_att = MemoryContextAlloc(r->data_cxt, sizeof(int) * (ds->n_features + 1));
	r->feat_how = MemoryContextAlloc(r->data_cxt, ds->n_features + 1);
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn *c = &ds->features[f];

		r->feat_att[f] = c->attnum;
		r->feat_how[f] = c->kind == PGL_COL_CATEGORICAL ? 'c'
						 : c->length > 0				? 'e'
						 : c->source					? 'z'
						 : c->basetype == FLOAT8OID		? 'd'
						 : c->basetype == INT4OID		? 'i'
						 : c->basetype == INT8OID		? 'l'
														: 'n';
	}

	r->hash_att = MemoryContextAlloc(r->data_cxt, sizeof(int) * (desc->natts + 1));
	r->n_hash_att = 0;
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			r->hash_att[r->n_hash_att++] = i;
	for (int i = 0; i < r->n_hash_att; i++)
		if (!TupleDescAttr(desc, r->hash_att[i])->attbyval)
			r->hash_detoasts = true;

	/* numbers only: the training rows can go straight to the hook */
	ds->streamed = r->hook != NULL;
	for (int f = 0; f < ds->n_features; f++)
		if (ds->features[f].kind != PGL_COL_NUMERIC || ds->features[f].is_time)
			ds->streamed = false;
	MemoryContextSwitchTo(old);
}

/*
 * Ask for transparent huge pages on a big buffer: first-touch page faults
 * are a visible part of reading a large table into memory.
 */
static void
advise_huge_pages(void *p, Size bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t start = TYPEALIGN(2 * 1024 * 1024, (uintptr_t) p);
	uintptr_t end = TYPEALIGN_DOWN(2 * 1024 * 1024, (uintptr_t) p + bytes);

	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

static Size
blocks_bytes(PglDataSet *ds, int64 cap0, int64 cap1)
{
	return (Size) (cap0 + cap1) * ds->ncols * sizeof(double);
}

/* (re)allocate a part's block for cap rows, keeping its n rows */
static void
resize_part(PglReceiver *r, int part, int64 cap)
{
	PglDataSet *ds = r->ds;
	PglPart	   *pt = &ds->part[part];
	Size		bytes = (Size) cap * ds->ncols * sizeof(double);
	double	   *block = MemoryContextAllocHuge(r->data_cxt, bytes);

	advise_huge_pages(block, bytes);

	for (int c = 0; c < ds->ncols; c++)
		if (pt->n > 0)
			memcpy(block + (Size) c * cap, pt->block + (Size) c * pt->cap, sizeof(double) * pt->n);
	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn *col = f < 0 ? ds->target : &ds->features[f];

		if (col && col->nulls[part])
			col->nulls[part] = repalloc_huge(col->nulls[part], sizeof(bool) * cap);
	}
	if (pt->block)
		pfree(pt->block);
	pt->block = block;
	pt->cap = cap;
	ds->bytes = blocks_bytes(ds, ds->part[0].cap, ds->part[1].cap);
}

/*
 * Room for one more row in a part: double it, within pg_learn.max_train_memory.
 * The first allocation follows the planner's row estimate, so a table whose
 * statistics are current is read without any reallocation.
 */
static void
grow_part(PglReceiver *r, int part)
{
	PglDataSet *ds = r->ds;
	PglPart	   *pt = &ds->part[part];
	Size		limit = (Size) pgl_max_train_memory_kb * 1024;
	int64		other = ds->part[1 - part].cap;
	int64		cap;

	if (pt->cap == 0)
	{
		double share = part == PGL_TEST ? ds->test_fraction : 1.0 - ds->test_fraction;
		double want = r->rows_estimate * share * 1.05 + 1024;

		cap = want > (double) (limit / (ds->ncols * sizeof(double)))
				  ? (int64) (limit / (ds->ncols * sizeof(double)) / 2)
				  : (int64) want;
		if (cap < 1024)
			cap = 1024;
	}
	else
		cap = pt->cap * 2;

	if (blocks_bytes(ds, cap, other) > limit)
	{
		/* a last step up to exactly the limit before giving up */
		cap = (int64) (limit / (ds->ncols * sizeof(double))) - other;
		if (cap <= pt->cap)
			pgl_check_memory(blocks_bytes(ds, pt->cap + 1, other),
							 psprintf("reading more than " INT64_FORMAT " rows", ds->n_rows));
	}
	resize_part(r, part, cap);
}

/* text form of a categorical datum (valid until the row context resets) */
static const char *
category_string(PglColumn *c, Datum d, Size *len)
{
	if (c->basetype == TEXTOID || c->basetype == VARCHAROID)
	{
		text *t = DatumGetTextPP(d);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
	else
	{
		char *s = OutputFunctionCall(&c->outfunc, d);

		*len = strlen(s);
		return s;
	}
}

static void
set_null(PglReceiver *r, PglColumn *c, int part)
{
	r->stage_nulls[part][c->col * PGL_STAGE_ROWS + r->staged[part]] = true;
	r->stage_has_null[part] = true;
	c->n_nulls++;
}

static void
read_value(PglReceiver *r, PglColumn *c, TupleTableSlot *slot, int part, int64 row, bool is_target)
{
	Datum	d = slot->tts_values[c->attnum];
	double *dst = r->stage[part] + c->col * PGL_STAGE_ROWS + r->staged[part];

	if (slot->tts_isnull[c->attnum])
	{
		*dst = 0;
		set_null(r, c, part);
		return;
	}
	if (c->kind == PGL_COL_NUMERIC)
		*dst = pgl_datum_to_double(d, c->basetype); /* checked, summed in flush_stage */
	else
	{
		Size		len;
		const char *s = category_string(c, d, &len);
		int32		code = pgl_vocab_intern(c->vocab, s, len);
		int32		limit = is_target ? PGL_MAX_CLASSES : PGL_MAX_CATEGORIES;

		if (code >= limit && !c->is_text)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s column \"%s\" has more than %d distinct values",
							is_target ? "target" : "categorical", c->name, limit),
					 errhint(is_target ? "A classifier needs a label with few distinct values; "
										 "for a continuous target use linear_regression."
									   : "Leave the column out with \"exclude\" (e.g. an id), "
										 "or group its values in a SELECT.")));
		*dst = code;
	}
}

/*
 * An array element: the first element of an array column deconstructs the
 * row's array (in the row context), the others read it.
 */
static void
read_element(PglReceiver *r, PglColumn *c, Datum d, int part, double *dst)
{
	if (c->element == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(r->row_cxt);

		(void) pgl_array_numbers(d, c->source, c->length, &r->elem_vals, &r->elem_nulls);
		MemoryContextSwitchTo(old);
	}
	if (r->elem_nulls[c->element])
	{
		*dst = 0;
		set_null(r, c, part);
	}
	else
		*dst = r->elem_vals[c->element];
}

/* the 1-based position in the data of a part's row still in the stage */
static int64
row_number(PglReceiver *r, int part, int64 part_row)
{
	int64 i = part_row - (r->ds->part[part].n - r->staged[part]);

	return r->stage_rownum[part][i];
}

/* hand the staged rows of a part to the hook, or copy them to the block */
static void
flush_stage(PglReceiver *r, int part)
{
	PglDataSet *ds = r->ds;
	PglPart	   *pt = &ds->part[part];
	int			k = r->staged[part];
	int64		first = pt->n - k;

	/* numbers: refuse NaN and infinities, and sum them (for the means) */
	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn	 *col = f < 0 ? ds->target : &ds->features[f];
		const double *v;
		const bool	 *nl;
		double		  sum = 0;
		int			  count = 0;

		if (col == NULL || col->kind != PGL_COL_NUMERIC)
			continue;
		v = r->stage[part] + col->col * PGL_STAGE_ROWS;
		nl = r->stage_nulls[part] + col->col * PGL_STAGE_ROWS;
		if (r->stage_has_null[part])
		{
			for (int i = 0; i < k; i++)
				if (!nl[i])
				{
					sum += v[i];
					count++;
				}
		}
		else
		{
			for (int i = 0; i < k; i++)
				sum += v[i];
			count = k;
		}
		if (unlikely(!isfinite(sum)))
		{
			/* find the row, in arrival order, for the message */
			for (int i = 0; i < k; i++)
				if (!nl[i] && !isfinite(v[i]))
					pgl_reject_nonfinite(col->name, col->typid, v[i],
										 row_number(r, part, first + i), f < 0);
		}
		col->sum[part] += sum;
		col->count[part] += count;
		if (col->is_time)
			for (int i = 0; i < k; i++)
				if (!nl[i] && v[i] < col->min[part])
					col->min[part] = v[i];
	}

	if (part == PGL_TRAIN && r->drift)
		pgl_drift_feed(r->drift, ds, r->stage[part],
					   r->stage_has_null[part] ? r->stage_nulls[part] : NULL, PGL_STAGE_ROWS, k);
	if (part == PGL_TRAIN && ds->streamed)
	{
		const double **cols = palloc(sizeof(double *) * ds->ncols);
		const bool	 **nulls = palloc(sizeof(bool *) * ds->ncols);

		for (int c = 0; c < ds->ncols; c++)
		{
			cols[c] = r->stage[part] + c * PGL_STAGE_ROWS;
			nulls[c] = r->stage_has_null[part] ? r->stage_nulls[part] + c * PGL_STAGE_ROWS : NULL;
		}
		r->hook(r->hook_arg, ds, cols, nulls, k);
		pfree(cols);
		pfree(nulls);
	}
	else
	{
		for (int c = 0; c < ds->ncols; c++)
			memcpy(pt->block + (Size) c * pt->cap + first, r->stage[part] + c * PGL_STAGE_ROWS,
				   sizeof(double) * k);
		/* NULL flags: columns that have any get the flags of every row */
		for (int f = -1; f < ds->n_features; f++)
		{
			PglColumn *col = f < 0 ? ds->target : &ds->features[f];
			bool	  *src;
			bool	   any = false;

			if (col == NULL || (col->nulls[part] == NULL && !r->stage_has_null[part]))
				continue;
			src = r->stage_nulls[part] + col->col * PGL_STAGE_ROWS;
			for (int i = 0; i < k; i++)
				any |= src[i];
			if (!any && col->nulls[part] == NULL)
				continue;
			if (col->nulls[part] == NULL)
				col->nulls[part] = MemoryContextAllocZero(r->data_cxt, sizeof(bool) * pt->cap);
			memcpy(col->nulls[part] + first, src, sizeof(bool) * k);
		}
	}
	if (r->stage_has_null[part])
		memset(r->stage_nulls[part], 0, sizeof(bool) * ds->ncols * PGL_STAGE_ROWS);
	r->stage_has_null[part] = false;
	r->staged[part] = 0;
}

static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	PglReceiver *r = (PglReceiver *) self;
	PglDataSet	*ds = r->ds;
	int			 part;
	int64		 row;
	bool		 need_reset = false;

	slot_getallattrs(slot);

	if (ds->target && slot->tts_isnull[ds->target->attnum])
	{
		ds->n_skipped++;
		return true;
	}
	if ((ds->n_rows & 4095) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		pgl_progress_rows(ds->n_rows);
	}

	part = PGL_TRAIN;
	if (ds->test_fraction > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(r->row_cxt);
		uint64 h = pgl_row_hash(slot->tts_tupleDescriptor, slot->tts_values, slot->tts_isnull,
								r->hash_att, r->n_hash_att);

		MemoryContextSwitchTo(old);
		need_reset = r->hash_detoasts;
		if (ds->folds > 0 ? pgl_hash_in_fold(ds->seed, h, ds->fold, ds->folds)
						  : pgl_hash_in_test(ds->seed, h, ds->test_fraction))
			part = PGL_TEST;
	}
	row = ds->part[part].n;
	if (row >= ds->part[part].cap && !(part == PGL_TRAIN && ds->streamed))
		grow_part(r, part);
	if (r->stage[part] == NULL)
	{
		r->stage[part] =
			MemoryContextAlloc(r->data_cxt, sizeof(double) * PGL_STAGE_ROWS * ds->ncols);
		r->stage_nulls[part] =
			MemoryContextAllocZero(r->data_cxt, sizeof(bool) * PGL_STAGE_ROWS * ds->ncols);
		r->stage_rownum[part] = MemoryContextAlloc(r->data_cxt, sizeof(int64) * PGL_STAGE_ROWS);
	}
	r->stage_rownum[part][r->staged[part]] = ds->n_rows + ds->n_skipped;

	if (ds->target)
	{
		read_value(r, ds->target, slot, part, row, true);
		need_reset |= ds->target->kind == PGL_COL_CATEGORICAL;
	}
	{
		double *stage = r->stage[part] + r->staged[part];
		Datum  *values = slot->tts_values;
		bool   *isnull = slot->tts_isnull;

		for (int f = 0; f < ds->n_features; f++)
		{
			int		a = r->feat_att[f];
			double *dst = stage + f * PGL_STAGE_ROWS; /* column f is feature f */

			if (unlikely(isnull[a]))
			{
				read_value(r, &ds->features[f], slot, part, row, false);
				continue;
			}
			switch (r->feat_how[f])
			{
				case 'd':
					*dst = DatumGetFloat8(values[a]);
					break;
				case 'i':
					*dst = (double) DatumGetInt32(values[a]);
					break;
				case 'l':
					*dst = (double) DatumGetInt64(values[a]);
					break;
				case 'n':
					*dst = pgl_datum_to_double(values[a], ds->features[f].basetype);
					break;
				case 'e':
					read_element(r, &ds->features[f], values[a], part, dst);
					need_reset = true;
					break;
				case 'z': /* an array column without length (pgl_read_data_fold) */
					*dst = 0;
					set_null(r, &ds->features[f], part);
					break;
				default:
				{
					MemoryContext old = MemoryContextSwitchTo(r->row_cxt);

					read_value(r, &ds->features[f], slot, part, row, false);
					MemoryContextSwitchTo(old);
					need_reset = true;
				}
			}
		}
	}
	if (need_reset)
		MemoryContextReset(r->row_cxt);
	if (r->row_hook)
		r->row_hook(r->row_hook_arg, slot, part);

	ds->part[part].n++;
	ds->n_rows++;
	if (++r->staged[part] == PGL_STAGE_ROWS)
		flush_stage(r, part);
	return true;
}

static void
receiver_shutdown(DestReceiver *self)
{
	PglReceiver *r = (PglReceiver *) self;

	for (int part = 0; part < 2; part++)
		if (r->staged[part] > 0)
			flush_stage(r, part);
}

static void
receiver_destroy(DestReceiver *self)
{
}

/* is this result column a feature (not the target, not excluded, in "only" if given)? */
static bool
is_feature_name(PglReceiver *r, const char *name)
{
	ListCell *lc;

	if (r->target && strcmp(name, r->target) == 0)
		return false;
	foreach (lc, r->exclude)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return false;
	if (r->only == NIL)
		return true;
	foreach (lc, r->only)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * The length of each number-array feature column: the number of elements of
 * its first non-NULL value, by a query of its own (the column layout is set
 * before the first row arrives).  0 when every value is NULL or empty.
 */
static void
array_lengths(PglReceiver *r, SPIPlanPtr plan)
{
	List			 *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *ps;
	TupleDesc		  desc;

	if (list_length(sources) != 1)
		return;
	ps = linitial(sources);
	desc = ps->resultDesc;
	if (desc == NULL)
		return;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char		 *q;
		bool			  isnull;
		Datum			  d;

		if (att->attisdropped || !pgl_type_is_number_array(att->atttypid) ||
			!is_feature_name(r, NameStr(att->attname)))
			continue;
		if (r->array_len == NULL)
			r->array_len = MemoryContextAllocZero(r->data_cxt, sizeof(int32) * desc->natts);
		q = quote_identifier(NameStr(att->attname));
		if (SPI_execute(psprintf("SELECT pg_catalog.cardinality(q.%s) FROM (%s\n) q "
								 "WHERE pg_catalog.cardinality(q.%s) > 0 LIMIT 1",
								 q, r->ds->query, q),
						false, 1) != SPI_OK_SELECT)
			elog(ERROR, "pg_learn: could not read the length of array column %s", q);
		if (SPI_processed == 1)
		{
			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			if (!isnull)
				r->array_len[i] = DatumGetInt32(d);
		}
		if (r->array_len[i] > PGL_MAX_ARRAY_LENGTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array column \"%s\" has %d elements, more than the %d features an "
							"array may give",
							NameStr(att->attname), r->array_len[i], PGL_MAX_ARRAY_LENGTH),
					 errhint("Leave it out with \"exclude\", or select fewer elements.")));
		SPI_freetuptable(SPI_tuptable);
	}
}

PglDataSet *
pgl_read_data(const char *data, const char *target, PglColumnKind target_kind, List *exclude,
			  List *only, const char *algorithm, double test_fraction, uint64 seed,
			  PglBatchHook hook, void *hook_arg)
{
	return pgl_read_data_fold(data, target, target_kind, exclude, only, algorithm, test_fraction,
							  seed, 0, 0, hook, hook_arg);
}

PglDataSet *
pgl_read_data_fold(const char *data, const char *target, PglColumnKind target_kind, List *exclude,
				   List *only, const char *algorithm, double test_fraction, uint64 seed, int fold,
				   int folds, PglBatchHook hook, void *hook_arg)
{
	return pgl_read_data_extra(data, target, target_kind, exclude, only, algorithm, test_fraction,
							   seed, fold, folds, hook, hook_arg, NULL);
}

PglDataSet *
pgl_read_data_extra(const char *data, const char *target, PglColumnKind target_kind, List *exclude,
					List *only, const char *algorithm, double test_fraction, uint64 seed, int fold,
					int folds, PglBatchHook hook, void *hook_arg, const PglReadExtra *extra)
{
	PglReceiver		  r;
	PglDataSet		 *ds = palloc0(sizeof(PglDataSet));
	SPIExecuteOptions opts;
	SPIPlanPtr		  plan;
	CachedPlan		 *cplan;
	int				  rc;

	ds->query = pgl_data_query(data);
	ds->test_fraction = test_fraction;
	ds->seed = seed;
	ds->fold = fold;
	ds->folds = folds;
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
	if (extra)
	{
		r.text = extra->text;
		r.row_hook = extra->row_hook;
		r.row_hook_arg = extra->row_hook_arg;
	}
	r.drift = pgl_drift_collect_take();
	r.hook = hook;
	r.hook_arg = hook_arg;
	r.data_cxt = CurrentMemoryContext;
	r.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn row", ALLOCSET_SMALL_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* plan once: the plan's row estimate sizes the first buffers */
	plan = SPI_prepare(ds->query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "pg_learn: could not prepare the data query: %s",
			 SPI_result_code_string(SPI_result));
	array_lengths(&r, plan);
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan && list_length(cplan->stmt_list) == 1)
	{
		PlannedStmt *ps = linitial_node(PlannedStmt, cplan->stmt_list);

		if (ps->planTree)
			r.rows_estimate = ps->planTree->plan_rows;
	}
	if (cplan)
		ReleaseCachedPlan(cplan, NULL);

	memset(&opts, 0, sizeof(opts));
	opts.read_only = false;
	opts.allow_nonatomic = false;
	opts.tcount = 0;
	opts.dest = &r.pub;
	rc = SPI_execute_plan_extended(plan, &opts);
	/* with our own receiver SPI reports a SELECT as SPI_OK_UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("data must be a query that returns rows"),
						errdetail("The statement \"%s\" is not a SELECT.", ds->query)));
	SPI_finish();
	MemoryContextDelete(r.row_cxt);

	if (ds->features == NULL)
		elog(ERROR, "pg_learn: the data query did not start");
	for (int f = 0; f < ds->n_features && ds->n_rows > 0; f++)
		if (ds->features[f].source && ds->features[f].length == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array column \"%s\" is NULL or empty in every row",
							ds->features[f].source),
					 errdetail("An array column is one feature per element, as many as its first "
							   "non-empty value has."),
					 errhint("Leave it out with \"exclude\".")));
	pgl_progress_rows(ds->n_rows);
	return ds;
}

/* append the hold-out rows to the training rows */
void
pgl_merge_parts(PglDataSet *ds)
{
	PglPart *tr = &ds->part[PGL_TRAIN];
	PglPart *te = &ds->part[PGL_TEST];
	int64	 n = tr->n + te->n;
	int64	 cap = n > tr->cap ? n : tr->cap;
	double	*block;

	if (te->n == 0)
		return;
	block = MemoryContextAllocHuge(GetMemoryChunkContext(tr->block ? tr->block : te->block),
								   (Size) cap * ds->ncols * sizeof(double));
	for (int c = 0; c < ds->ncols; c++)
	{
		if (tr->n > 0)
			memcpy(block + (Size) c * cap, tr->block + (Size) c * tr->cap, sizeof(double) * tr->n);
		memcpy(block + (Size) c * cap + tr->n, te->block + (Size) c * te->cap,
			   sizeof(double) * te->n);
	}
	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn *col = f < 0 ? ds->target : &ds->features[f];
		bool	  *nulls;

		if (col == NULL || (col->nulls[PGL_TRAIN] == NULL && col->nulls[PGL_TEST] == NULL))
			continue;
		nulls = MemoryContextAllocZero(GetMemoryChunkContext(block), sizeof(bool) * cap);
		if (col->nulls[PGL_TRAIN])
			memcpy(nulls, col->nulls[PGL_TRAIN], sizeof(bool) * tr->n);
		if (col->nulls[PGL_TEST])
			memcpy(nulls + tr->n, col->nulls[PGL_TEST], sizeof(bool) * te->n);
		col->nulls[PGL_TRAIN] = nulls;
		col->nulls[PGL_TEST] = NULL;
		col->sum[PGL_TRAIN] += col->sum[PGL_TEST];
		col->count[PGL_TRAIN] += col->count[PGL_TEST];
		col->sum[PGL_TEST] = 0;
		col->count[PGL_TEST] = 0;
	}
	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn *col = f < 0 ? ds->target : &ds->features[f];

		if (col == NULL)
			continue;
		if (col->min[PGL_TEST] < col->min[PGL_TRAIN])
			col->min[PGL_TRAIN] = col->min[PGL_TEST];
		col->min[PGL_TEST] = INFINITY;
		if (col->count[PGL_TEST] == 0)
			continue;
		col->sum[PGL_TRAIN] += col->sum[PGL_TEST];
		col->count[PGL_TRAIN] += col->count[PGL_TEST];
		col->sum[PGL_TEST] = 0;
		col->count[PGL_TEST] = 0;
	}
	pfree(tr->block ? tr->block : te->block);
	if (tr->block)
		pfree(te->block);
	tr->block = block;
	tr->cap = cap;
	tr->n = n;
	te->block = NULL;
	te->cap = 0;
	te->n = 0;
	ds->test_fraction = 0;
}

void
pgl_compact_part(PglDataSet *ds, int part, const bool *keep)
{
	PglPart *pt = &ds->part[part];
	int64	 k = 0;

	for (int c = 0; c < ds->ncols; c++)
	{
		double *v = pt->block + (Size) c * pt->cap;

		k = 0;
		for (int64 i = 0; i < pt->n; i++)
			if (keep[i])
				v[k++] = v[i];
	}
	for (int f = -1; f < ds->n_features; f++)
	{
		PglColumn *col = f < 0 ? ds->target : &ds->features[f];
		bool	  *nl;

		if (col == NULL || col->nulls[part] == NULL)
			continue;
		nl = col->nulls[part];
		k = 0;
		for (int64 i = 0; i < pt->n; i++)
			if (keep[i])
				nl[k++] = nl[i];
	}
	if (ds->ncols == 0)
		for (int64 i = 0; i < pt->n; i++)
			k += keep[i];
	pt->n = k;
}
