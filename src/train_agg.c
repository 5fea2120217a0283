/*-------------------------------------------------------------------------
 *
 * train_agg.c
 *	  ai_train with "method": "aggregate": training as passes of
 *	  parallel-safe aggregates over the data query, so that no row is kept
 *	  in the backend and PostgreSQL's parallel query (or Citus) can split
 *	  every pass.
 *
 * The passes, each one SQL statement run through SPI as the caller:
 *
 *	1. preprocessing: row counts, NULL counts and the sums behind the
 *	   numeric imputation (one ai_count_fit_agg, grouped by a classifier's
 *	   label, which gives its labels' training counts in the same scan),
 *	   and per categorical column the values of the training rows with
 *	   their counts (GROUP BY);
 *	2. the fit: linear_regression one ai_linreg_fit_agg pass;
 *	   logistic_regression one ai_stats_fit_agg pass for the standardization,
 *	   then L-BFGS with one ai_logreg_fit_agg pass per objective evaluation;
 *	   kmeans one ai_kmeans_fit_agg pass per Lloyd step;
 *	3. the hold-out rows, encoded, for the test metrics (the hold-out is a
 *	   fraction of the data and is kept in memory, as in-memory training
 *	   does).
 *
 * Rows are split by the hash of the row's values that the reader uses
 * (ai_holdout, and inside the fused aggregates of fused_agg.c), encoded by
 * the encoder of ai_features and labelled as ai_label does, with the model
 * and its learned preprocessing: in-memory and aggregate training see the
 * same rows on each side of the split, encoded the same way, and store
 * models of the same form.  A pass names its row ROW(q.c1, ..., q.cN) of
 * every column of the data, with their names (row_clause), so that it means
 * the same when an engine such as Citus ships it as SQL to other nodes.
 *
 *-------------------------------------------------------------------------
 */
#include "train_glue.h"
#include "options.h"
#include "vocab.h"
#include "data_reader.h"
#include "catalog.h"
#include "evaluate.h"
#include "train_agg.h"
#include "row_encode.h"

#include "classes.h"
#include "preprocess.h"
#include "store.h"

#include <math.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/guc.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "aggsteps.h"
#include "kmeans.h"
#include "linear.h"
#include "model_format.h"
#include "moments.h"
#include "prep.h"

/* the doubles of a float8[] without NULLs (ARR_DATA_PTR warns under -Wextra) */
static inline double *
arr_doubles(ArrayType *a)
{
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

typedef struct AggTrain
{
	const char	 *schema;	/* quoted schema of the extension */
	const char	 *from;		/* FROM ... WHERE <target not null> (no split) */
	const char	 *from_all; /* FROM ...: every row */
	const char	 *split;	/* boolean expression: the row is in the hold-out */
	const char	 *row;		/* ROW(q.c1, ..., q.cN): every column of the data, in order */
	const char	 *rowargs;	/* the row arguments of ai_features / ai_label: row, names */
	const char	 *colnames; /* fused: the names of row, a text[] literal */
	const char	 *fields;	/* the fields form of the fused aggregates: q.c1, ..., q.cN; or NULL */
	bool		  fused;	/* the database's SQL has the fused aggregates (0.3.0) */
	ArrayType	 *names;	/* fused: the column names of row, a text[] */
	PglDataSet	 *ds;		/* the columns (no rows) */
	double		  fraction; /* test_size in use */
	uint64		  seed;
	int			  passes;
	int			  max_workers; /* the largest Gather of a pass's plan */
	int			  worker_cap;  /* the workers per pass it was capped to, or -1 */
	int			  guc_level;   /* of the cap, to undo at the end; 0: none */
	MemoryContext cxt;		   /* the training's */
} AggTrain;

/* the largest number of workers a Gather (Merge) in the plan asks for */
static int
plan_workers(Plan *plan)
{
	int w = 0;

	if (plan == NULL)
		return 0;
	if (IsA(plan, Gather))
		w = ((Gather *) plan)->num_workers;
	else if (IsA(plan, GatherMerge))
		w = ((GatherMerge *) plan)->num_workers;
	return Max(w, Max(plan_workers(plan->lefttree), plan_workers(plan->righttree)));
}

/* prepare a pass (run once, or once per step); notes the workers its plan asks for */
static SPIPlanPtr
prepare_pass(AggTrain *at, const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_PARALLEL_OK);
	CachedPlan *cplan;

	if (plan == NULL)
		elog(ERROR, "pg_learn: could not prepare an aggregate pass: %s",
			 SPI_result_code_string(SPI_result));
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan)
	{
		ListCell *lc;

		foreach (lc, cplan->stmt_list)
		{
			PlannedStmt *ps = lfirst_node(PlannedStmt, lc);

			at->max_workers = Max(at->max_workers, plan_workers(ps->planTree));
		}
		ReleaseCachedPlan(cplan, NULL);
	}
	return plan;
}

/* run a prepared pass: its result rows (*rows of them, when rows is given) */
static SPITupleTable *
exec_pass(AggTrain *at, SPIPlanPtr plan, Datum *values, int64 *rows)
{
	int rc = SPI_execute_plan(plan, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: an aggregate pass failed: %s", SPI_result_code_string(rc));
	at->passes++;
	if (rows)
		*rows = (int64) SPI_processed;
	return SPI_tuptable;
}

/* prepare, run and forget a pass that runs once */
static SPITupleTable *
run_pass(AggTrain *at, const char *sql, int nargs, Oid *types, Datum *values, int64 *rows)
{
	SPIPlanPtr	   plan = prepare_pass(at, sql, nargs, types);
	SPITupleTable *t = exec_pass(at, plan, values, rows);

	SPI_freeplan(plan);
	return t;
}

static double
get_double(SPITupleTable *t, int row, int col, double if_null)
{
	bool  isnull;
	Datum d = SPI_getbinval(t->vals[row], t->tupdesc, col, &isnull);

	if (isnull)
		return if_null;
	return pgl_datum_to_double(d, SPI_gettypeid(t->tupdesc, col));
}

/* the float8[] in column col of the first row, or NULL; *n its length */
static double *
get_array(AggTrain *at, SPITupleTable *t, int col, int *n)
{
	bool		  isnull;
	Datum		  d = SPI_getbinval(t->vals[0], t->tupdesc, col, &isnull);
	ArrayType	 *a;
	double		 *out;
	MemoryContext old;

	*n = 0;
	if (isnull)
		return NULL;
	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) > 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "pg_learn: unexpected state from an aggregate pass");
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	old = MemoryContextSwitchTo(at->cxt);
	out = palloc(sizeof(double) * (*n + 1));
	memcpy(out, arr_doubles(a), sizeof(double) * *n);
	MemoryContextSwitchTo(old);
	return out;
}

/* run a prepared aggregate pass: its float8[] result (NULL: no rows), *n its length */
static double *
array_pass(AggTrain *at, SPIPlanPtr plan, Datum *values, int *n)
{
	SPITupleTable *t = exec_pass(at, plan, values, NULL);
	double		  *s = get_array(at, t, 1, n);

	SPI_freetuptable(t);
	return s;
}

static Datum
float8_array(const double *v, int n)
{
	Datum *d = palloc(sizeof(Datum) * (n + 1));

	for (int i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(
		construct_array(d, n, FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The row of the passes: ROW(q.c1, ..., q.cN) of every column of the data in
 * its order, and *rowargs, the arguments of the row functions: that row and
 * the names of its columns as a text[] literal.  The row functions and fused
 * aggregates read it positionally, so the pass means the same wherever its
 * SQL is shipped (Citus deparses a whole-row reference q into ROW(c1, ...,
 * cN), an anonymous record).  A database whose SQL predates them (0.2.0
 * with this library, before ALTER EXTENSION UPDATE) gets the whole-row
 * reference q; returns whether the SQL has them.  SPI is connected.
 */
static bool
row_clause(const char *query, const char *schema, const char **row, const char **rowargs,
		   ArrayType **names, const char **colnames, const char **fields)
{
	Datum		  *nd;
	SPITupleTable *t;
	StringInfoData r, c, f;
	int			   n = 0;
	int			   rc;
	bool		   isnull;

	rc = SPI_execute(
		psprintf("SELECT pg_catalog.to_regprocedure(%s) IS NOT NULL",
				 quote_literal_cstr(psprintf("%s.ai_fit_agg_final(pg_catalog.float8[])", schema))),
		true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_learn: could not look up ai_fit_agg_final");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
	{
		*row = *rowargs = "q";
		if (fields)
			*fields = NULL;
		return false;
	}
	rc = SPI_execute(psprintf("SELECT * FROM (%s) q LIMIT 0", query), true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: could not read the columns of the data: %s",
			 SPI_result_code_string(rc));
	t = SPI_tuptable;
	nd = palloc(sizeof(Datum) * (t->tupdesc->natts + 1));
	initStringInfo(&r);
	initStringInfo(&c);
	initStringInfo(&f);
	appendStringInfoString(&r, "ROW(");
	appendStringInfoString(&c, "ARRAY[");
	for (int i = 0; i < t->tupdesc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(t->tupdesc, i);

		if (a->attisdropped)
			continue;
		appendStringInfo(&r, "%sq.%s", n ? ", " : "", quote_identifier(NameStr(a->attname)));
		appendStringInfo(&f, "%sq.%s", n ? ", " : "", quote_identifier(NameStr(a->attname)));
		appendStringInfo(&c, "%s%s", n ? ", " : "", quote_literal_cstr(NameStr(a->attname)));
		nd[n] = CStringGetTextDatum(NameStr(a->attname));
		n++;
	}
	appendStringInfoString(&r, ")");
	appendStringInfoString(&c, "]::pg_catalog.text[]");
	SPI_freetuptable(t);
	*row = r.data;
	*rowargs = psprintf("%s, %s", r.data, c.data);
	if (names)
		*names = construct_array(nd, n, TEXTOID, -1, false, TYPALIGN_INT);
	if (colnames)
		*colnames = c.data;
	/*
	 * The fields form passes the columns themselves (no record per row),
	 * within FUNC_MAX_ARGS; not with Citus, whose worker_partial_agg calls
	 * the transition function without the arguments' types.
	 */
	if (fields)
		*fields = n <= PGL_FUSED_MAX_FIELDS && !OidIsValid(get_extension_oid("citus", true))
					  ? f.data
					  : NULL;
	return true;
}

/*
 * A call of fused aggregate agg over the data's rows: model $1, then the
 * aggregate's own arguments args, in whichever form the row takes.
 */
static char *
fused_call(const AggTrain *at, const char *agg, const char *args)
{
	if (at->fields)
		return psprintf("%s.%s($1, %s, %s, %s)", at->schema, agg, at->colnames, args, at->fields);
	return psprintf("%s.%s($1, %s, %s)", at->schema, agg, at->rowargs, args);
}

/* ---------- pass 1: the preprocessing ---------- */

typedef struct AggCounts
{
	int64	n_train, n_test, n_skipped;
	int64  *n_nulls; /* per feature, kept rows */
	double *sum;	 /* numeric features: training sum */
	int64  *count;	 /* numeric features: training non-NULL values */
	/* a classifier's labels in the training rows, counted by the fused pass */
	PglValueCount *labels;
	int64		   n_labels;
} AggCounts;

/* field[f]: the field of the row that holds feature f (the row has every column, by name) */
static void
feature_fields(const AggTrain *at, int *field)
{
	Datum *d;
	int	   n;

	deconstruct_array(at->names, TEXTOID, -1, false, TYPALIGN_INT, &d, NULL, &n);
	for (int f = 0; f < at->ds->n_features; f++)
	{
		field[f] = -1;
		for (int i = 0; i < n && field[f] < 0; i++)
			if (strcmp(TextDatumGetCString(d[i]), at->ds->features[f].name) == 0)
				field[f] = i;
		if (field[f] < 0)
			elog(ERROR, "pg_learn: column \"%s\" is not in the data's row",
				 at->ds->features[f].name);
	}
}

/* the training rows of a categorical column may hold at most 100,000 values */
static void
check_distinct(const PglColumn *c, int64 n)
{
	if (n > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column \"%s\" has " INT64_FORMAT " distinct values in the training rows",
						c->name, n),
				 errhint("One-hot encoding needs few categories; exclude the column or map it "
						 "to fewer values in a SELECT.")));
}

static void
check_sum(const PglColumn *fc, double sum)
{
	if (!isfinite(sum))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
						errmsg("feature column \"%s\" holds NaN or Infinity, or its sum "
							   "overflows",
							   fc->name),
						errhint("Filter such rows out or replace the value in a SELECT, "
								"e.g. NULLIF(%s, 'NaN').",
								quote_identifier(fc->name))));
}

/*
 * The fused first pass (ai_count_fit_agg): the counts and sums of every
 * column, and for a classifier, grouped by its label, the labels of the
 * training rows with their counts (the vocabulary_pass of the target, in
 * the same scan).  Integer and boolean labels are grouped by value (their
 * text is one per value), others by their text, as vocabulary_pass does.
 */
static void
count_pass_fused(AggTrain *at, AggCounts *c)
{
	PglDataSet	  *ds = at->ds;
	PglColumn	  *tc = ds->target;
	bool		   by_label = tc && tc->kind == PGL_COL_CATEGORICAL;
	const char	  *args = psprintf("%s, %s, %llu::pg_catalog.int8, %.17g::pg_catalog.float8",
								   at->colnames, tc ? quote_literal_cstr(tc->name) : "NULL",
								   (unsigned long long) at->seed, at->fraction);
	const char	  *agg = at->fields
							 ? psprintf("%s.ai_count_fit_agg(%s, %s)", at->schema, args, at->fields)
							 : psprintf("%s.ai_count_fit_agg(%s, %s)", at->schema, at->row, args);
	SPITupleTable *t;
	int64		   nrows;
	int			  *field = palloc(sizeof(int) * (ds->n_features + 1));

	if (by_label)
	{
		const char *qt = psprintf("q.%s", quote_identifier(tc->name));
		Oid			base = getBaseType(tc->typid);
		bool		by_value = pgl_type_is_integer(tc->typid) || base == BOOLOID;

		t = run_pass(at,
					 psprintf("SELECT pg_catalog.format('%%s', %s), %s %s GROUP BY %s", qt, agg,
							  at->from_all, by_value ? qt : "1"),
					 0, NULL, NULL, &nrows);
	}
	else
		t = run_pass(at, psprintf("SELECT NULL::pg_catalog.text, %s %s", agg, at->from_all), 0,
					 NULL, NULL, &nrows);
	feature_fields(at, field);
	memset(c, 0, sizeof(*c));
	c->n_nulls = MemoryContextAllocZero(at->cxt, sizeof(int64) * (ds->n_features + 1));
	c->sum = MemoryContextAllocZero(at->cxt, sizeof(double) * (ds->n_features + 1));
	c->count = MemoryContextAllocZero(at->cxt, sizeof(int64) * (ds->n_features + 1));
	if (by_label)
		c->labels = MemoryContextAlloc(at->cxt, sizeof(PglValueCount) * (nrows + 1));
	for (int64 r = 0; r < nrows; r++)
	{
		bool		  isnull;
		Datum		  d = SPI_getbinval(t->vals[r], t->tupdesc, 2, &isnull);
		const double *v;
		int64		  n_train, n_test;

		if (isnull)
			continue; /* no rows */
		v = arr_doubles(DatumGetArrayTypeP(d));
		n_train = (int64) v[0];
		n_test = (int64) v[1];
		c->n_train += n_train;
		c->n_test += n_test;
		c->n_skipped += (int64) v[2];
		for (int f = 0; f < ds->n_features; f++)
		{
			PglColumn	 *fc = &ds->features[f];
			const double *cf = v + 3 + 4 * (size_t) field[f];

			c->n_nulls[f] += (n_train - (int64) cf[0]) + (n_test - (int64) cf[2]);
			if (fc->kind == PGL_COL_NUMERIC)
			{
				check_sum(fc, cf[1]);
				check_sum(fc, cf[3]);
				c->sum[f] += cf[1];
				c->count[f] += (int64) cf[0];
			}
		}
		if (by_label && n_train > 0)
		{
			PglValueCount *vc = &c->labels[c->n_labels++];

			vc->str = MemoryContextStrdup(at->cxt, SPI_getvalue(t->vals[r], t->tupdesc, 1));
			vc->count = n_train;
		}
	}
	SPI_freetuptable(t);
	if (by_label)
		check_distinct(tc, c->n_labels);
}

static void
count_pass(AggTrain *at, AggCounts *c)
{
	PglDataSet	  *ds = at->ds;
	StringInfoData sql;
	SPITupleTable *t;
	const char	  *tgt =
		   ds->target ? psprintf("q.%s IS NOT NULL", quote_identifier(ds->target->name)) : "true";
	int64 nrows;

	if (at->fused)
	{
		count_pass_fused(at, c);
		return;
	}

	/*
	 * One row per side of the split and presence of the target: grouping
	 * evaluates the split once per row, and the aggregates need no FILTER
	 * (a feature's NULLs are count(*) - count(column)).
	 */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s, %s, pg_catalog.count(*)", at->split, tgt);
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn  *fc = &ds->features[f];
		const char *qc = quote_identifier(fc->name);

		appendStringInfo(&sql, ", pg_catalog.count(q.%s)", qc);
		if (fc->kind == PGL_COL_NUMERIC)
			appendStringInfo(&sql, ", pg_catalog.sum(q.%s::pg_catalog.float8)", qc);
	}
	appendStringInfo(&sql, " %s GROUP BY 1, 2", at->from);
	t = run_pass(at, sql.data, 0, NULL, NULL, &nrows);
	memset(c, 0, sizeof(*c));
	c->n_nulls = MemoryContextAllocZero(at->cxt, sizeof(int64) * (ds->n_features + 1));
	c->sum = MemoryContextAllocZero(at->cxt, sizeof(double) * (ds->n_features + 1));
	c->count = MemoryContextAllocZero(at->cxt, sizeof(int64) * (ds->n_features + 1));
	for (int64 r = 0; r < nrows; r++)
	{
		bool  isnull;
		bool  test = DatumGetBool(SPI_getbinval(t->vals[r], t->tupdesc, 1, &isnull));
		bool  kept = DatumGetBool(SPI_getbinval(t->vals[r], t->tupdesc, 2, &isnull));
		int64 rows = (int64) get_double(t, (int) r, 3, 0);
		int	  col = 4;

		if (!kept)
		{
			c->n_skipped += rows;
			continue;
		}
		if (test)
			c->n_test += rows;
		else
			c->n_train += rows;
		for (int f = 0; f < ds->n_features; f++)
		{
			PglColumn *fc = &ds->features[f];
			int64	   cnt = (int64) get_double(t, (int) r, col++, 0);

			c->n_nulls[f] += rows - cnt;
			if (fc->kind == PGL_COL_NUMERIC)
			{
				double sum = get_double(t, (int) r, col++, 0);

				check_sum(fc, sum);
				if (!test)
				{
					c->sum[f] = sum;
					c->count[f] = cnt;
				}
			}
		}
	}
	SPI_freetuptable(t);
}

/*
 * The sorted vocabulary of a categorical column over the training rows and
 * its most frequent value, as in-memory training learns it: text by the
 * type's output function, sorted by strcmp (numerically for integer labels),
 * the mode the first of the largest counts in that order.
 */
static int32
vocabulary_pass(AggTrain *at, PglColumn *c, bool numeric_order, char ***cats, int32 *mode)
{
	PglDataSet	  *ds = at->ds;
	const char	  *qc = quote_identifier(c->name);
	SPITupleTable *t;
	int64		   nrows;
	PglValueCount *vc;
	char		  *sql;

	sql = psprintf("SELECT pg_catalog.format('%%s', q.%s), pg_catalog.count(*) %s AND q.%s IS NOT "
				   "NULL AND NOT "
				   "(%s) GROUP BY 1",
				   qc, at->from, qc, at->split);
	(void) ds;
	t = run_pass(at, sql, 0, NULL, NULL, &nrows);
	check_distinct(c, nrows);
	vc = MemoryContextAlloc(at->cxt, sizeof(PglValueCount) * (nrows + 1));
	for (int64 i = 0; i < nrows; i++)
	{
		vc[i].str = MemoryContextStrdup(at->cxt, SPI_getvalue(t->vals[i], t->tupdesc, 1));
		vc[i].count = (int64) get_double(t, (int) i, 2, 0);
	}
	SPI_freetuptable(t);
	return pgl_learn_vocabulary(vc, nrows, numeric_order, cats, mode, NULL);
}

/* ---------- the model with its preprocessing ---------- */

/* a zero parameter tensor of the algorithm, so that the model can be written */
static void
placeholder_tensors(pgl_model *m, int32 k)
{
	if (m->task == PGL_TASK_CLUSTERING)
	{
		pgl_tensor *t = palloc0(sizeof(pgl_tensor) * 2);

		strcpy(t[0].name, "centroids");
		t[0].dtype = PGL_F64;
		t[0].ndim = 2;
		t[0].dims[0] = k;
		t[0].dims[1] = m->n_inputs;
		t[0].data = palloc0(sizeof(double) * k * (m->n_inputs > 0 ? m->n_inputs : 1));
		strcpy(t[1].name, "inertia");
		t[1].dtype = PGL_F64;
		t[1].ndim = 1;
		t[1].dims[0] = 1;
		t[1].data = palloc0(sizeof(double));
		m->tensors = t;
		m->n_tensors = 2;
		return;
	}
	{
		int32 ncol = m->task == PGL_TASK_CLASSIFICATION && m->n_classes > 2 ? m->n_classes : 1;
		pgl_tensor *t = palloc0(sizeof(pgl_tensor));

		strcpy(t->name, "coef");
		t->dtype = PGL_F64;
		t->ndim = 2;
		t->dims[0] = m->n_inputs + 1;
		t->dims[1] = ncol;
		t->data = palloc0(sizeof(double) * (m->n_inputs + 1) * ncol);
		m->tensors = t;
		m->n_tensors = 1;
	}
}

static bytea *
model_bytes(const pgl_env *env, const pgl_model *m)
{
	pgl_status st;
	uint8_t	  *buf;
	size_t	   len;
	bytea	  *b;

	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &buf, &len, &st) != PGL_OK)
		pgl_report(&st, "could not serialize the model");
	b = palloc(VARHDRSZ + len);
	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), buf, len);
	return b;
}

/* ---------- logistic regression: one pass per objective evaluation ---------- */

typedef struct GradOracle
{
	AggTrain  *at;
	SPIPlanPtr plan;
	Datum	   blob;
	int32	   p;
	int32	   ncol; /* 1: ai_logreg_grad_agg; k > 2: ai_softmax_grad_agg */
} GradOracle;

static void
grad_oracle(void *arg, const double *w, double *out)
{
	GradOracle *g = arg;
	Datum		values[2];
	double	   *s;
	int			n;

	CHECK_FOR_INTERRUPTS();
	values[0] = g->blob;
	values[1] = float8_array(w, (g->p + 1) * g->ncol);
	s = array_pass(g->at, g->plan, values, &n);
	pfree(DatumGetPointer(values[1]));
	if (s == NULL)
	{
		memset(out, 0, sizeof(double) * ((g->p + 1) * g->ncol + 2));
		return;
	}
	if (n != (g->p + 1) * g->ncol + 2)
		elog(ERROR, "pg_learn: unexpected gradient state of length %d", n);
	/* the aggregates return [n, mean loss, mean gradient]: back to sums */
	out[0] = s[0];
	for (int i = 1; i < n; i++)
		out[i] = s[i] * s[0];
	pfree(s);
}

/* ---------- the glue steps (train_glue.h) ---------- */

typedef struct AggTraining
{
	AggTrain  at;
	AggCounts counts;
	char	 *query;
	bytea	 *prep; /* the model with its preprocessing, for ai_features / ai_label */
	int32	  p, k;
	int32	  rank, iterations;
	double	  loss, train_sse, train_sst;
	int64	  n_test_unknown;
	/* linear regression */
	bool	one_pass;	/* the fit pass also counts: no count pass */
	bool	imputed;	/* the one pass: the NULLs have their training means */
	double *test_state; /* the hold-out's state of ai_linreg_agg, or NULL */
	/* kmeans */
	double *sample;
	int64	sample_rows;
	int64  *sizes;
	double	silhouette, inertia;
} AggTraining;

static void
need_rows(AggTrain *at, AggCounts *c, const char *data, const char *target)
{
	int64 n = c->n_train + c->n_test;

	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to train on"),
						c->n_skipped > 0
							? errdetail(INT64_FORMAT
										" rows were skipped because their target \"%s\" is NULL.",
										c->n_skipped, target)
							: errdetail("The data \"%s\" returned no rows.", data)));
	if (c->n_train == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no training rows: all " INT64_FORMAT " rows fell in the hold-out", n),
				 errhint("Lower \"test_size\" (now %g), or train on more rows.", at->fraction)));
}

static bool
all_numeric(const PglDataSet *ds)
{
	for (int f = 0; f < ds->n_features; f++)
		if (ds->features[f].kind != PGL_COL_NUMERIC)
			return false;
	return true;
}

static void agg_preprocess(PglTrainCall *c);

/*
 * The workers of a pass: at most the cores less one when the leader scans
 * too (parallel_leader_participation), else the cores.  PostgreSQL does not
 * weigh the cores, and its default of 2 workers per Gather makes 3
 * processes on a 2-core machine, where every pass then ran slower than with
 * 1 worker (each worker also starts afresh for every pass): 1.25-1.41 x
 * against 1.45-1.83 x for the passes of docs/benchmarks.md.  The setting is
 * lowered for the passes of this training only (a GUC nest level, undone by
 * agg_finish or by the error's rollback).
 */
static void
cap_pass_workers(AggTrain *at)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int	 cap;

	at->worker_cap = -1;
	if (cores < 1)
		return;
	cap = (int) Min(cores - (parallel_leader_participation ? 1 : 0), INT_MAX);
	if (max_parallel_workers_per_gather <= cap)
		return;
	at->guc_level = NewGUCNestLevel();
	(void) set_config_option("max_parallel_workers_per_gather", psprintf("%d", cap), PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	at->worker_cap = cap;
}

/*
 * pass 1: the counts, splitting again without a hold-out when the data is
 * small; none for linear regression over numbers, whose fit pass counts.
 */
static void
agg_read(PglTrainCall *c)
{
	AggTraining		   *a = palloc0(sizeof(AggTraining));
	AggTrain		   *at = &a->at;
	const pgl_algo_ops *ops = c->ops;
	const char		   *target = c->target;
	bool				clustering = ops->task == PGL_TASK_CLUSTERING;

	c->state = a;
	if (ops->id != PGL_ALGO_LINEAR_REGRESSION && ops->id != PGL_ALGO_LOGISTIC_REGRESSION &&
		ops->id != PGL_ALGO_KMEANS)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("%s does not train with \"method\": \"aggregate\"", c->algorithm),
						errhint("linear_regression, logistic_regression and kmeans do; use "
								"\"method\": \"memory\".")));
	a->silhouette = NAN;
	a->k = c->opts.k > 0 ? c->opts.k : 8;
	at->cxt = c->cxt;
	at->seed = c->opts.seed;
	at->fraction = clustering ? 0.0 : PGL_TEST_FRACTION(c->opts.test_size);

	/* the columns, their kinds and the target's checks: the reader's, on no rows */
	a->query = pgl_data_query(c->data);
	pgl_check_single_select(a->query);
	at->ds =
		pgl_read_data(psprintf("SELECT * FROM (%s) q LIMIT 0", a->query), target,
					  ops->task == PGL_TASK_CLASSIFICATION ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC,
					  c->opts.exclude, NIL, c->algorithm, 0.0, c->opts.seed, NULL, NULL);
	pgl_check_aggregate_features(at->ds);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(c->cxt);
	cap_pass_workers(at);
	at->schema = pgl_ext_schema();
	at->fused = row_clause(a->query, at->schema, &at->row, &at->rowargs, &at->names, &at->colnames,
						   &at->fields);
	at->from =
		target ? psprintf("FROM (%s) q WHERE q.%s IS NOT NULL", a->query, quote_identifier(target))
			   : psprintf("FROM (%s) q WHERE true", a->query);
	at->from_all = psprintf("FROM (%s) q", a->query);
	/* linear regression over numbers: its one fit pass counts too (agg_fit_linear) */
	a->one_pass = at->fused && ops->id == PGL_ALGO_LINEAR_REGRESSION && all_numeric(at->ds);
	if (a->one_pass)
	{
		int nf = at->ds->n_features;

		/* NULLs read as 0 until the pass has counted them */
		a->counts.n_nulls = MemoryContextAllocZero(at->cxt, sizeof(int64) * (nf + 1));
		a->counts.sum = MemoryContextAllocZero(at->cxt, sizeof(double) * (nf + 1));
		a->counts.count = MemoryContextAlloc(at->cxt, sizeof(int64) * (nf + 1));
		for (int f = 0; f < nf; f++)
			a->counts.count[f] = 1;
		return;
	}
	for (;;)
	{
		/* the fields form where the passes use it: no record built per row */
		if (at->fraction == 0)
			at->split = "false";
		else if (at->fields)
			at->split =
				psprintf("%s.ai_holdout(%llu::pg_catalog.int8, %.17g::pg_catalog.float8, "
						 "%s)",
						 at->schema, (unsigned long long) at->seed, at->fraction, at->fields);
		else
			at->split = psprintf("%s.ai_holdout(%s, %llu::pg_catalog.int8, "
								 "%.17g::pg_catalog.float8)",
								 at->schema, at->row, (unsigned long long) at->seed, at->fraction);
		/* pass 1 counts every row, also those with a NULL target */
		{
			const char *from = at->from;

			at->from = at->from_all;
			count_pass(at, &a->counts);
			at->from = from;
		}
		need_rows(at, &a->counts, c->data, target);
		/* below 50 rows a default hold-out would be too small to tell anything */
		if (c->opts.test_size < 0 && a->counts.n_train + a->counts.n_test < 50 &&
			a->counts.n_test > 0)
		{
			at->fraction = 0;
			continue;
		}
		break;
	}
	for (int f = 0; f < at->ds->n_features; f++)
		pgl_check_column_nulls(&at->ds->features[f], a->counts.n_nulls[f],
							   a->counts.n_train + a->counts.n_test, c->opts.nulls_error, false);
}

static int32
agg_vocabulary(void *arg, PglColumn *c, bool numeric_order, char ***cats, int32 *mode)
{
	return vocabulary_pass(arg, c, numeric_order, cats, mode);
}

/* the preprocessing, learned on the training rows */
static void
agg_preprocess(PglTrainCall *c)
{
	AggTraining *a = c->state;
	PglDataSet	*ds = a->at.ds;
	pgl_model	*m;

	m = c->m = pgl_learn_features(ds, c->ops->id, c->ops->task, a->counts.sum, a->counts.count,
								  agg_vocabulary, &a->at);
	a->p = m->n_inputs;
	if (c->ops->task == PGL_TASK_CLUSTERING)
		pgl_check_kmeans_k(c->opts.k, a->counts.n_train);
	if (c->ops->task == PGL_TASK_CLASSIFICATION)
	{
		int32 class_mode;

		bool numeric_order = pgl_type_is_integer(ds->target->typid);

		/* the fused first pass counted the labels; else a pass of their own */
		m->n_classes =
			a->counts.labels
				? pgl_learn_vocabulary(a->counts.labels, a->counts.n_labels, numeric_order,
									   &m->classes, &class_mode, NULL)
				: vocabulary_pass(&a->at, ds->target, numeric_order, &m->classes, &class_mode);
		pgl_check_classes(m, c->target);
	}
	placeholder_tensors(m, a->k);
	if (c->ops->task == PGL_TASK_CLASSIFICATION)
	{
		int32 *no_labels[2] = {NULL, NULL};

		if (c->opts.class_weight_balanced || c->opts.n_class_weights > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"class_weight\" is not supported by the aggregate method"),
					 errdetail("The aggregate passes (ai_logreg_grad_agg, ai_softmax_grad_agg) "
							   "weigh every row alike."),
					 errhint("Use \"method\": \"memory\", or leave \"class_weight\" out.")));
		/* positive_class and threshold (tensors[0] stays the coefficients) */
		(void) pgl_classes_prepare(&c->opts, &c->env, m, no_labels, (int64[2]){0, 0});
		pgl_classes_finish(&c->opts, &c->env, m);
	}
	a->prep = model_bytes(&c->env, m);
}

/* kmeans: Lloyd's iterations, one ai_kmeans_fit_agg pass each */
static void
agg_fit_kmeans(PglTrainCall *c, AggTraining *a)
{
	AggTrain  *at = &a->at;
	pgl_model *m = c->m;
	int32	   p = a->p, k = a->k;
	Oid		   types[2] = {BYTEAOID, FLOAT8ARRAYOID};
	Datum	   values[2] = {PointerGetDatum(a->prep), 0};
	double	  *C = m->tensors[0].data;
	double	   prev = INFINITY, cur = INFINITY;
	SPIPlanPtr plan;
	int		   max_iter = c->opts.max_iter > 0 ? c->opts.max_iter : 100;
	double	  *next = palloc(sizeof(double) * k * (p > 0 ? p : 1));
	double	  *s = NULL; /* the state of the last pass */
	pgl_status st;

	memset(&st, 0, sizeof(st));
	a->sample = pgl_kmeans_sample(a->query, a->prep, p, k, a->counts.n_train, c->opts.seed,
								  &a->sample_rows, &at->passes);
	if (pgl_kmeans_seed(&c->env, a->sample, a->sample_rows, p, k, c->opts.seed, C, &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", c->name));
	plan = prepare_pass(
		at,
		at->fused ? psprintf("SELECT %s %s", fused_call(at, "ai_kmeans_fit_agg", "$2"), at->from)
				  : psprintf("SELECT %s.ai_kmeans_step_state($2, %s.ai_features($1, "
							 "q)) %s",
							 at->schema, at->schema, at->from),
		2, types);
	for (int it = 1; it <= max_iter; it++)
	{
		int	   len;
		double moved = 0, scale = 0;

		CHECK_FOR_INTERRUPTS();
		values[1] = float8_array(C, k * p);
		if (s)
			pfree(s);
		s = array_pass(at, plan, values, &len);
		pfree(DatumGetPointer(values[1]));
		if (s == NULL || (size_t) len != PGL_KMEANS_LEN(k, p))
			elog(ERROR, "pg_learn: unexpected ai_kmeans_fit_agg state");
		cur = s[2];
		a->iterations = it;
		if (!isfinite(cur))
			ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							errmsg("kmeans distances overflowed")));
		/* the criteria of pgl_kmeans_fit: the inertia settles, or no row moves */
		if (fabs(prev - cur) <= c->opts.tol * cur || it == max_iter)
			break;
		pgl_kmeans_centroids(s, next);
		for (int i = 0; i < k * p; i++)
		{
			moved = Max(moved, fabs(next[i] - C[i]));
			scale = Max(scale, fabs(C[i]));
		}
		if (moved <= 1e-13 * (1 + scale) && it > 1)
			break;
		memcpy(C, next, sizeof(double) * k * p);
		prev = cur;
	}
	a->inertia = cur;
	*(double *) m->tensors[1].data = cur;
	/* the cluster sizes of the last pass, whose centroids the model keeps */
	a->sizes = palloc(sizeof(int64) * k);
	for (int j = 0; j < k; j++)
		a->sizes[j] = (int64) s[3 + (size_t) k * p + j];
	SPI_freeplan(plan);
}

/* kmeans: the silhouette on the seeding sample */
static void
agg_kmeans_silhouette(PglTrainCall *c, AggTraining *a)
{
	int32	   p = a->p, k = a->k;
	int64	   n = a->sample_rows;
	double	  *Xs = palloc(sizeof(double) * n * (p > 0 ? p : 1));
	int32	  *lab = palloc(sizeof(int32) * (n + 1));
	pgl_status st;

	memset(&st, 0, sizeof(st));
	for (int64 i = 0; i < n; i++)
		for (int j = 0; j < p; j++)
			Xs[i + j * n] = a->sample[i * p + j];
	if (pgl_kmeans_assign(&c->env, c->m->tensors[0].data, k, p, Xs, n, n, lab, NULL, &st) !=
			PGL_OK ||
		pgl_kmeans_silhouette(&c->env, Xs, n, n, p, lab, k, c->opts.seed, &a->silhouette, &st) !=
			PGL_OK)
		pgl_report(&st, "evaluating the model failed");
}

/*
 * The residuals of weights coef (p, then the intercept) over the rows of a
 * state of ai_linreg_agg, from its co-moments: C_yy - 2 wᵀC_xy + wᵀC_xx w,
 * plus n times the squared mean residual (0 on the rows the weights were
 * fitted to, with their unpenalized intercept).  *sst: C_yy.
 */
static double
moments_sse(const double *s, int32 p, const double *coef, double *sst)
{
	double		  n = s[1];
	const double *mean = s + 2;
	const double *C = mean + p + 1;
	double		  q = C[PGL_PACKED(p, p)];
	double		  r = mean[p] - coef[p];

	for (int j = 0; j < p; j++)
	{
		double cw = 0;

		for (int k = 0; k < p; k++)
			cw += C[j <= k ? PGL_PACKED(j, k) : PGL_PACKED(k, j)] * coef[k];
		q += coef[j] * (cw - 2.0 * C[PGL_PACKED(j, p)]);
		r -= coef[j] * mean[j];
	}
	*sst = C[PGL_PACKED(p, p)];
	return Max(q, 0.0) + n * r * r;
}

/*
 * The one pass of linear regression over numbers: what count_pass would
 * have counted, from the counts of ai_linreg_fit_agg's result R (its
 * training and hold-out states, L doubles each, then the rows with a NULL
 * target and the NULLs per feature on each side).  Returns false when the
 * pass must run again: with a hold-out of a small data set dropped, or with
 * the numeric NULLs imputed by the training means the pass has just
 * learned (the pass ran with 0 for them).
 */
static bool
one_pass_counts(PglTrainCall *c, AggTraining *a, const double *R, size_t L)
{
	AggTrain	 *at = &a->at;
	AggCounts	 *counts = &a->counts;
	PglDataSet	 *ds = at->ds;
	int			  nf = ds->n_features;
	const double *nulls = R + 2 * L + 1;
	bool		  any_null = false;

	counts->n_train = (int64) R[1];
	counts->n_test = (int64) R[L + 1];
	counts->n_skipped = (int64) R[2 * L];
	need_rows(at, counts, c->data, c->target);
	if (c->opts.test_size < 0 && counts->n_train + counts->n_test < 50 && counts->n_test > 0)
	{
		at->fraction = 0;
		return false;
	}
	for (int f = 0; f < nf; f++)
	{
		counts->n_nulls[f] = (int64) (nulls[f] + nulls[nf + f]);
		pgl_check_column_nulls(&ds->features[f], counts->n_nulls[f],
							   counts->n_train + counts->n_test, c->opts.nulls_error, false);
		any_null |= counts->n_nulls[f] > 0;
	}
	if (!any_null || a->imputed)
		return true;
	/* a NULL read as 0: the sum of feature f is the mean of its inputs times n */
	for (int f = 0; f < nf; f++)
	{
		counts->sum[f] = R[2 + f] * (double) counts->n_train;
		counts->count[f] = counts->n_train - (int64) nulls[f];
	}
	a->imputed = true;
	agg_preprocess(c);
	return false;
}

/*
 * linear_regression: one ai_linreg_fit_agg pass (the co-moments of both
 * sides of the split), solved; a second one when NULLs were imputed (the
 * one pass) or the hold-out dropped.
 */
static void
agg_fit_linear(PglTrainCall *c, AggTraining *a)
{
	AggTrain	  *at = &a->at;
	Oid			   types[1] = {BYTEAOID};
	SPITupleTable *t;
	double		  *s;
	int			   len;
	size_t		   L;
	double		  *coef;
	pgl_status	   st;

	memset(&st, 0, sizeof(st));
	for (;;)
	{
		Datum values[1] = {PointerGetDatum(a->prep)};

		L = PGL_LINREG_STATE_LEN(a->p);
		t = run_pass(
			at,
			at->fused ? psprintf("SELECT %s %s",
								 fused_call(at, "ai_linreg_fit_agg",
											psprintf("%llu::pg_catalog.int8, "
													 "%.17g::pg_catalog.float8",
													 (unsigned long long) at->seed, at->fraction)),
								 a->one_pass ? at->from_all : at->from)
					  : psprintf("SELECT %s.ai_linreg_agg(%s.ai_features($1, q), "
								 "q.%s::pg_catalog.float8) %s AND NOT (%s)",
								 at->schema, at->schema, quote_identifier(c->target), at->from,
								 at->split),
			1, types, values, NULL);
		s = get_array(at, t, 1, &len);
		SPI_freetuptable(t);
		if (!at->fused)
		{
			if (s == NULL || (size_t) len != L)
				elog(ERROR, "pg_learn: unexpected ai_linreg_agg state");
			break;
		}
		if (s == NULL && a->one_pass)
		{
			/* no row at all */
			a->counts.n_train = a->counts.n_test = a->counts.n_skipped = 0;
			need_rows(at, &a->counts, c->data, c->target);
		}
		if (s == NULL || (size_t) len != 2 * L + 1 + 2 * (size_t) at->ds->n_features)
			elog(ERROR, "pg_learn: unexpected ai_linreg_fit_agg result");
		a->test_state = s + L;
		if (!a->one_pass || one_pass_counts(c, a, s, L))
			break;
	}
	coef = (double *) c->m->tensors[0].data;
	pgl_set_blas_threads(); /* the passes' aggregates ran BLAS on one thread */
	if (pgl_linreg_state_solve(&c->env, s, c->opts.l2 >= 0 ? c->opts.l2 : c->ops->default_l2, coef,
							   &a->rank, &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", c->name));
	a->train_sse = moments_sse(s, a->p, coef, &a->train_sst);
}

/*
 * The standardization of logistic regression: the statistics of the
 * encoded training rows, by ai_stats_fit_agg (or ai_stats_agg of
 * ai_features on SQL that predates it).
 */
static double *
agg_feature_stats(AggTraining *a)
{
	AggTrain	  *at = &a->at;
	int32		   p = a->p;
	Oid			   types[1] = {BYTEAOID};
	Datum		   values[1] = {PointerGetDatum(a->prep)};
	const char	  *S = at->schema;
	SPITupleTable *t;
	double		  *stats;
	int64		   nrows;

	if (at->fused)
	{
		bool	   isnull;
		Datum	   d;
		ArrayType *arr;

		t = run_pass(at,
					 psprintf("SELECT %s %s",
							  fused_call(at, "ai_stats_fit_agg",
										 psprintf("%llu::pg_catalog.int8, %.17g::pg_catalog.float8",
												  (unsigned long long) at->seed, at->fraction)),
							  at->from),
					 1, types, values, &nrows);
		d = SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull);
		if (isnull)
			elog(ERROR, "pg_learn: ai_stats_fit_agg saw no training rows");
		arr = DatumGetArrayTypeP(d);
		if (ARR_NDIM(arr) != 1 || (size_t) ARR_DIMS(arr)[0] != PGL_STATS_LEN(p))
			elog(ERROR, "pg_learn: ai_stats_fit_agg returned another number of columns than %d", p);
		stats = palloc(sizeof(double) * PGL_STATS_LEN(p));
		memcpy(stats, arr_doubles(arr), sizeof(double) * PGL_STATS_LEN(p));
		SPI_freetuptable(t);
		return stats;
	}
	t = run_pass(at,
				 psprintf("SELECT (e OPERATOR(pg_catalog.->>) 'count')::pg_catalog.float8, "
						  "(e OPERATOR(pg_catalog.->>) 'mean')::pg_catalog.float8, (e "
						  "OPERATOR(pg_catalog.->>) 'stddev')::pg_catalog.float8, "
						  "(e OPERATOR(pg_catalog.->>) 'min')::pg_catalog.float8, (e "
						  "OPERATOR(pg_catalog.->>) 'max')::pg_catalog.float8 "
						  "FROM (SELECT %s.ai_stats_agg(%s.ai_features($1, %s)) AS s %s AND "
						  "NOT (%s)) a, "
						  "pg_catalog.jsonb_array_elements(a.s) WITH ORDINALITY AS x(e, i) ORDER "
						  "BY x.i",
						  S, S, at->rowargs, at->from, at->split),
				 1, types, values, &nrows);
	if (nrows != p)
		elog(ERROR, "pg_learn: ai_stats_agg returned " INT64_FORMAT " columns, not %d", nrows, p);
	stats = palloc0(sizeof(double) * PGL_STATS_LEN(p));
	stats[0] = p;
	for (int j = 0; j < p; j++)
	{
		double *col = stats + 1 + 5 * j;
		double	sd = get_double(t, j, 3, 0);

		col[0] = get_double(t, j, 1, 0);
		col[1] = get_double(t, j, 2, 0);
		col[2] = sd * sd * col[0];
		col[3] = get_double(t, j, 4, 0);
		col[4] = get_double(t, j, 5, 0);
	}
	SPI_freetuptable(t);
	return stats;
}

/* logistic_regression: L-BFGS with one gradient pass per objective evaluation */
static void
agg_fit_logistic(PglTrainCall *c, AggTraining *a)
{
	AggTrain		 *at = &a->at;
	pgl_model		 *m = c->m;
	Oid				  types[2] = {BYTEAOID, FLOAT8ARRAYOID};
	const char		 *S = at->schema;
	double			 *stats = agg_feature_stats(a);
	GradOracle		  g;
	pgl_logreg_params lp;
	pgl_status		  st;

	memset(&st, 0, sizeof(st));
	g.at = at;
	g.p = a->p;
	g.ncol = m->n_classes > 2 ? m->n_classes : 1;
	g.blob = PointerGetDatum(a->prep);
	g.plan = prepare_pass(
		at,
		at->fused
			? psprintf("SELECT %s %s",
					   fused_call(at, "ai_logreg_fit_agg",
								  psprintf("%llu::pg_catalog.int8, %.17g::pg_catalog.float8, $2",
										   (unsigned long long) at->seed, at->fraction)),
					   at->from)
			: psprintf("SELECT %s.%s($2, %s.ai_features($1, q), %s.ai_label($1, "
					   "q)) %s AND NOT (%s)",
					   S, g.ncol > 1 ? "ai_softmax_grad_agg" : "ai_logreg_grad_agg", S, S, at->from,
					   at->split),
		2, types);
	lp.l2 = c->opts.l2 >= 0 ? c->opts.l2 : c->ops->default_l2;
	lp.max_iter = c->opts.max_iter > 0 ? c->opts.max_iter : 200;
	lp.tol = c->opts.tol;
	if (pgl_logreg_fit_oracle(&c->env, a->p, m->n_classes, stats, &lp, grad_oracle, &g,
							  (double *) m->tensors[0].data, &a->iterations, &a->loss,
							  &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", c->name));
	SPI_freeplan(g.plan);
}

static void
agg_fit(PglTrainCall *c)
{
	AggTraining *a = c->state;

	pgl_set_blas_threads();
	if (c->ops->task == PGL_TASK_CLUSTERING)
	{
		agg_fit_kmeans(c, a);
		agg_kmeans_silhouette(c, a);
	}
	else if (c->ops->id == PGL_ALGO_LINEAR_REGRESSION)
		agg_fit_linear(c, a);
	else
		agg_fit_logistic(c, a);
	/* quantized storage: the hold-out metrics are of the model as stored */
	pgl_apply_storage(&c->env, c->m, c->opts.storage);
}

/* the hold-out, encoded, and its metrics ("test": ...); returns the rows scored */
static int64
agg_test_metrics(PglTrainCall *c, AggTraining *a, StringInfo buf)
{
	AggTrain  *at = &a->at;
	pgl_model *m = c->m;
	bool	   classification = c->ops->task == PGL_TASK_CLASSIFICATION;
	int32	   p = a->p;
	int64	   n_test = a->counts.n_test, rows = 0;
	double	  *X, *y = NULL, *pred;
	int32	  *label = NULL;
	Oid		   types[1] = {BYTEAOID};
	Datum	   values[1] = {PointerGetDatum(a->prep)};
	Portal	   cur;
	pgl_status st;
	PglRowEnc *enc = NULL;
	double	  *xrow = NULL;
	/* the fields form: a row's columns */
	uint64		   fields_id = 0;
	NullableDatum *fields = NULL;
	Datum		  *fvalues = NULL;
	bool		  *fnulls = NULL;

	memset(&st, 0, sizeof(st));
	pgl_check_memory((Size) n_test * (p + 1 + m->n_classes) * sizeof(double),
					 psprintf("keeping the " INT64_FORMAT " hold-out rows", n_test));
	X = palloc_extended(sizeof(double) * n_test * (p > 0 ? p : 1), MCXT_ALLOC_HUGE);
	if (classification)
		label = palloc_extended(sizeof(int32) * (n_test + 1), MCXT_ALLOC_HUGE);
	else
		y = palloc_extended(sizeof(double) * (n_test + 1), MCXT_ALLOC_HUGE);
	/*
	 * fused: the rows themselves, encoded here (their columns where the
	 * passes use the fields form, which forms no record per row); else
	 * ai_features / ai_label
	 */
	if (at->fused)
	{
		enc = pgl_rowenc_create(CurrentMemoryContext, a->prep, at->names, "ai_train");
		xrow = palloc(sizeof(double) * (p + 1));
		cur = SPI_cursor_open_with_args(NULL,
										psprintf("SELECT %s %s AND (%s)",
												 at->fields ? at->fields : at->row, at->from,
												 at->split),
										0, NULL, NULL, NULL, true, 0);
	}
	else
		cur = SPI_cursor_open_with_args(NULL,
										psprintf("SELECT %s.ai_features($1, q), "
												 "%s.ai_label($1, q) %s AND (%s)",
												 at->schema, at->schema, at->from, at->split),
										1, types, values, NULL, true, 0);
	at->passes++;
	for (;;)
	{
		SPITupleTable *t;
		int64		   nrows;

		SPI_cursor_fetch(cur, true, 10000);
		t = SPI_tuptable;
		nrows = (int64) SPI_processed;
		if (nrows == 0)
			break;
		for (int64 i = 0; i < nrows && rows < n_test; i++)
		{
			bool   isnull;
			Datum  fd = at->fields ? (Datum) 0 : SPI_getbinval(t->vals[i], t->tupdesc, 1, &isnull);
			double lab = NAN;
			const double *x;

			if (enc && at->fields)
			{
				/*
				 * the row's columns, as the fields form of the fused
				 * aggregates takes them; their types are those of every
				 * batch, so the encoder maps them once
				 */
				if (fields == NULL)
				{
					int natts = t->tupdesc->natts;

					fields = palloc(sizeof(NullableDatum) * natts);
					fvalues = palloc(sizeof(Datum) * natts);
					fnulls = palloc(sizeof(bool) * natts);
					fields_id = pgl_fields_id();
				}
				heap_deform_tuple(t->vals[i], t->tupdesc, fvalues, fnulls);
				for (int j = 0; j < t->tupdesc->natts; j++)
				{
					fields[j].value = fvalues[j];
					fields[j].isnull = fnulls[j];
				}
				pgl_rowenc_load_fields(enc, t->tupdesc, fields_id, fields, true);
				if (pgl_rowenc_label(enc, &lab))
					pgl_rowenc_features(enc, xrow);
				x = xrow;
			}
			else if (enc)
			{
				pgl_rowenc_load(enc, DatumGetHeapTupleHeader(fd), true);
				if (pgl_rowenc_label(enc, &lab))
					pgl_rowenc_features(enc, xrow);
				x = xrow;
			}
			else
			{
				lab = get_double(t, (int) i, 2, NAN);
				x = isnan(lab) ? NULL : arr_doubles(DatumGetArrayTypeP(fd));
			}
			if (isnan(lab))
			{
				a->n_test_unknown++;
				continue;
			}
			for (int j = 0; j < p; j++)
				X[rows + j * n_test] = x[j];
			if (classification)
				label[rows] = (int32) lab;
			else
				y[rows] = lab;
			rows++;
		}
		SPI_freetuptable(t);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cur);
	if (enc)
		pgl_rowenc_free(enc);
	if (rows > 0)
	{
		pred = palloc_extended(sizeof(double) * rows * (classification ? m->n_classes : 1),
							   MCXT_ALLOC_HUGE);
		if (c->ops->predict(&c->env, m, X, n_test, rows, pred, &st) != PGL_OK)
			pgl_report(&st, "evaluating the model failed");
		appendStringInfoString(buf, ", \"test\": ");
		pgl_metrics_json(buf, m, rows, y, label, pred);
	}
	return rows;
}

/* the end of the metrics: how the passes ran */
static void
method_json(StringInfo buf, const AggTrain *at)
{
	appendStringInfo(buf, ", \"method\": \"aggregate\", \"passes\": %d, \"parallel_workers\": %d",
					 at->passes, at->max_workers);
	if (at->worker_cap >= 0)
		appendStringInfo(buf, ", \"parallel_workers_cap\": %d", at->worker_cap);
	appendStringInfoChar(buf, '}');
}

static void
agg_metrics(PglTrainCall *c, StringInfo buf)
{
	AggTraining *a = c->state;
	AggCounts	*counts = &a->counts;

	appendStringInfoChar(buf, '{');
	if (c->ops->task == PGL_TASK_CLUSTERING)
	{
		pgl_kmeans_metrics_json(buf, counts->n_train, a->inertia, a->silhouette, a->sizes, a->k,
								a->iterations);
		method_json(buf, &a->at);
		c->rows_used = counts->n_train + counts->n_test;
		return;
	}
	appendStringInfo(buf, "\"train\": {\"n\": " INT64_FORMAT, counts->n_train);
	if (c->ops->task != PGL_TASK_CLASSIFICATION)
		appendStringInfo(buf, ", \"r2\": %s, \"rmse\": %.10g",
						 a->train_sst > 0 ? psprintf("%.10g", 1 - a->train_sse / a->train_sst)
										  : "null",
						 sqrt(a->train_sse / counts->n_train));
	appendStringInfoChar(buf, '}');
	if (counts->n_test > 0 && a->test_state)
	{
		/* linear regression: from the hold-out's co-moments, for the weights as stored */
		double sst, sse = moments_sse(a->test_state, a->p, c->m->tensors[0].data, &sst);

		appendStringInfo(buf, ", \"test\": {\"n\": " INT64_FORMAT ", \"r2\": %s, \"rmse\": %.10g}",
						 counts->n_test, sst > 0 ? psprintf("%.10g", 1 - sse / sst) : "null",
						 sqrt(sse / counts->n_test));
	}
	else if (counts->n_test > 0)
		counts->n_test = agg_test_metrics(c, a, buf);
	appendStringInfo(buf, ", \"rows_train\": " INT64_FORMAT ", \"rows_test\": " INT64_FORMAT,
					 counts->n_train, counts->n_test);
	if (counts->n_skipped > 0)
		appendStringInfo(buf, ", \"rows_skipped_null_target\": " INT64_FORMAT, counts->n_skipped);
	if (a->n_test_unknown > 0)
		appendStringInfo(buf, ", \"rows_test_unknown_class\": " INT64_FORMAT, a->n_test_unknown);
	if (c->ops->id == PGL_ALGO_LINEAR_REGRESSION)
		appendStringInfo(buf, ", \"rank\": %d", a->rank);
	else
		appendStringInfo(buf, ", \"iterations\": %d, \"loss\": %.10g", a->iterations, a->loss);
	method_json(buf, &a->at);
	c->rows_used = counts->n_train + counts->n_test + a->n_test_unknown;
}

/*
 * Every SPI call returns to SPI's procedure context, so much of the above
 * lives there: the version is stored (by the pipeline) before this frees it.
 */
static void
agg_finish(PglTrainCall *c)
{
	AggTraining *a = c->state;

	if (a && a->at.guc_level > 0)
		AtEOXact_GUC(true, a->at.guc_level);
	SPI_finish();
}

/* "method": "aggregate" of the rows family: chosen by its method hook, after its check */
const PglTrainGlue pgl_glue_aggregate = {
	.read = agg_read,
	.preprocess = agg_preprocess,
	.fit = agg_fit,
	.metrics = agg_metrics,
	.finish = agg_finish,
};
/*
 * "method": "auto": would the in-memory path exceed pg_learn.max_train_memory?
 * From the planner's row estimate and the data's columns: every column of
 * every row is kept, except that linear_regression over numbers keeps only
 * the hold-out.
 */
bool
pgl_aggregate_wanted(const pgl_algo_ops *ops, const char *data, const char *target,
					 const PglTrainOptions *opts)
{
	char	   *query = pgl_data_query(data);
	SPIPlanPtr	plan;
	CachedPlan *cplan;
	double		rows = 0;
	int			ncols = 0;
	bool		numbers = true;
	double		bytes;

	if (ops->id != PGL_ALGO_LINEAR_REGRESSION && ops->id != PGL_ALGO_LOGISTIC_REGRESSION &&
		ops->id != PGL_ALGO_KMEANS)
		return false;
	pgl_check_single_select(query);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan != NULL && (cplan = SPI_plan_get_cached_plan(plan)) != NULL)
	{
		if (list_length(cplan->stmt_list) == 1)
		{
			PlannedStmt *ps = linitial_node(PlannedStmt, cplan->stmt_list);
			ListCell	*lc;

			if (ps->planTree)
				rows = ps->planTree->plan_rows;
			foreach (lc, ps->planTree ? ps->planTree->targetlist : NIL)
			{
				TargetEntry *te = lfirst_node(TargetEntry, lc);

				if (te->resjunk)
					continue;
				ncols++;
				if (!pgl_type_is_numeric(exprType((Node *) te->expr)))
					numbers = false;
			}
		}
		ReleaseCachedPlan(cplan, NULL);
	}
	SPI_finish();
	bytes = rows * ncols * (sizeof(double) + 1);
	if (ops->id == PGL_ALGO_LINEAR_REGRESSION && numbers)
		bytes *= PGL_TEST_FRACTION(opts->test_size);
	return bytes > (double) pgl_max_train_memory_kb * 1024.0;
}

/* ---------- the k-means seeding sample ---------- */

static int
cmp_rows(const void *a, const void *b, void *arg)
{
	int			  p = *(int *) arg;
	const double *x = *(const double *const *) a, *y = *(const double *const *) b;

	for (int j = 0; j < p; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

double *
pgl_kmeans_sample(const char *query, bytea *prep, int32 p, int32 k, int64 n, uint64 seed,
				  int64 *rows, int *passes)
{
	MemoryContext out = CurrentMemoryContext;
	int64		  target = Max((int64) PGL_KMEANS_SEED_SAMPLE, 4 * (int64) k);
	double		  frac = n > target ? (double) target / (double) n : 1.0;
	Oid			  types[1] = {BYTEAOID};
	Datum		  values[1] = {PointerGetDatum(prep)};
	double		**ptr, *S;
	int64		  m = 0, cap = Min(n, target + target / 2) + 16;
	const char	 *schema, *row, *rowargs;
	char		 *sql;
	int			  pp = p;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	schema = pgl_ext_schema();
	(void) row_clause(query, schema, &row, &rowargs, NULL, NULL, NULL);
	sql = psprintf("SELECT %s.ai_features($1, %s) FROM (%s) q", schema, rowargs, query);
	if (frac < 1.0)
		sql =
			psprintf("%s WHERE %s.ai_holdout(%s, %llu::pg_catalog.int8, %.17g::pg_catalog.float8)",
					 sql, schema, row,
					 (unsigned long long) ((seed ^ UINT64CONST(0x73616d706c65)) &
										   INT64CONST(0x3fffffffffffffff)),
					 frac);
	ptr = MemoryContextAllocHuge(out, sizeof(double *) * cap);

	/*
	 * One statement run to completion, not a cursor: the planner may then
	 * scan in parallel (PostgreSQL plans cursors serially), and the sample is
	 * small (about target rows).
	 */
	if (SPI_execute_with_args(sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: the kmeans seeding sample query failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool	   isnull;
		ArrayType *a = DatumGetArrayTypeP(
			SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

		if (m == cap)
		{
			cap *= 2;
			ptr = repalloc_huge(ptr, sizeof(double *) * cap);
		}
		ptr[m] = MemoryContextAlloc(out, sizeof(double) * (p > 0 ? p : 1));
		memcpy(ptr[m], arr_doubles(a), sizeof(double) * p);
		m++;
		if (i % 10000 == 0)
			CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	if (passes)
		(*passes)++;
	if (m < k)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("kmeans drew only " INT64_FORMAT " rows to seed %d clusters", m, k),
						errhint("Choose a smaller \"k\".")));
	/* in the order of their values, so that the way the rows arrived does not matter */
	qsort_arg(ptr, m, sizeof(double *), cmp_rows, &pp);
	S = MemoryContextAllocHuge(out, sizeof(double) * m * (p > 0 ? p : 1));
	for (int64 i = 0; i < m; i++)
	{
		memcpy(S + i * p, ptr[i], sizeof(double) * p);
		pfree(ptr[i]);
	}
	pfree(ptr);
	*rows = m;
	return S;
}

bytea *
pgl_prep_blob(const pgl_env *env, pgl_model *m, int32 k)
{
	bytea *b;

	placeholder_tensors(m, k);
	b = model_bytes(env, m);
	m->tensors = NULL;
	m->n_tensors = 0;
	return b;
}
