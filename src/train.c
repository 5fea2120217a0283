/*-------------------------------------------------------------------------
 *
 * train.c
 *	  ai_train(): read the data, learn the preprocessing, split, fit,
 *	  evaluate, serialize and store a new model version.
 *
 * Everything a training allocates lives in one memory context, deleted at
 * the end; an ERROR or a cancel anywhere (the algorithms check interrupts
 * through pgl_env) aborts the transaction, so no partial version is left.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "model_format.h"
#include "prep.h"

PG_FUNCTION_INFO_V1(ai_train);

/* ---------- learning the preprocessing ---------- */

typedef struct CodeCount
{
	const char *str;
	int32		code;			/* code in the reader's vocabulary */
	int64		count;			/* rows in the training split */
	double		num;			/* numeric labels: value, for ordering */
} CodeCount;

static int
cmp_code_str(const void *a, const void *b)
{
	return strcmp(((const CodeCount *) a)->str, ((const CodeCount *) b)->str);
}

static int
cmp_code_num(const void *a, const void *b)
{
	double		x = ((const CodeCount *) a)->num,
				y = ((const CodeCount *) b)->num;

	if (x != y)
		return x < y ? -1 : 1;
	return cmp_code_str(a, b);
}

/*
 * Build the sorted vocabulary of a categorical column from the rows in
 * rows[0..n) (the training split) and recode every row of the column to the
 * new index (-1 for a value seen only outside the training split).
 * Returns the number of categories; *cats and *mode are set.
 */
static int32
learn_vocabulary(PglColumn *c, int64 total_rows, const int64 *rows, int64 n,
				 bool numeric_order, char ***cats, int32 *mode)
{
	int32		nv = pgl_vocab_size(c->vocab);
	CodeCount  *cc = palloc0(sizeof(CodeCount) * (nv > 0 ? nv : 1));
	int32	   *remap = palloc(sizeof(int32) * (nv > 0 ? nv : 1));
	int32		nk = 0;
	int64		best = -1;

	for (int32 i = 0; i < nv; i++)
	{
		cc[i].str = pgl_vocab_string(c->vocab, i);
		cc[i].code = i;
		if (numeric_order)
			cc[i].num = strtod(cc[i].str, NULL);
	}
	for (int64 i = 0; i < n; i++)
		if (!c->nulls[rows[i]])
			cc[(int32) c->values[rows[i]]].count++;

	/* keep the values seen in training, in order */
	for (int32 i = 0; i < nv; i++)
		if (cc[i].count > 0)
			cc[nk++] = cc[i];
	qsort(cc, nk, sizeof(CodeCount), numeric_order ? cmp_code_num : cmp_code_str);

	for (int32 i = 0; i < nv; i++)
		remap[i] = -1;
	*cats = palloc(sizeof(char *) * (nk > 0 ? nk : 1));
	*mode = 0;
	for (int32 i = 0; i < nk; i++)
	{
		remap[cc[i].code] = i;
		(*cats)[i] = pstrdup(cc[i].str);
		if (cc[i].count > best)
		{
			best = cc[i].count;
			*mode = i;
		}
	}
	for (int64 r = 0; r < total_rows; r++)
		if (!c->nulls[r])
			c->values[r] = remap[(int32) c->values[r]];
	return nk;
}

static double
column_mean(PglColumn *c, const int64 *rows, int64 n, int64 *count)
{
	double		sum = 0;
	int64		k = 0;

	for (int64 i = 0; i < n; i++)
		if (!c->nulls[rows[i]])
		{
			sum += c->values[rows[i]];
			k++;
		}
	*count = k;
	return k > 0 ? sum / k : 0.0;
}

/* ---------- result row ---------- */

static Datum
result_tuple(FunctionCallInfo fcinfo, const char *name, int32 version,
			 const char *algorithm, int64 rows, const char *metrics, double seconds)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	values[2] = CStringGetTextDatum(algorithm);
	values[3] = Int64GetDatum(rows);
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics));
	values[5] = Float8GetDatum(seconds);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

static void
phase(const char *name, const char *what)
{
	if (pgl_verbose)
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\": %s", name, what)));
}

/* ---------- ai_train ---------- */

Datum
ai_train(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *algorithm;
	char	   *data;
	char	   *target;
	Jsonb	   *options;
	const pgl_algo_ops *ops;
	PglTrainOptions opts;
	MemoryContext train_cxt,
				old;
	instr_time	start,
				elapsed;
	PglDataSet *ds;
	pgl_model  *m;
	int64		n,
				n_test,
				n_train;
	int64	   *perm;
	int32		p;
	double	   *X_train,
			   *X_test = NULL;
	double	   *y_train = NULL,
			   *y_test = NULL;
	int32	   *lab_train = NULL,
			   *lab_test = NULL;
	const double **raw;
	const bool **rnull;
	pgl_env		env;
	pgl_status	st;
	pgl_dataset dset;
	pgl_train_params params;
	pgl_train_info info;
	StringInfoData metrics;
	uint8_t    *buf;
	size_t		buflen;
	bytea	   *blob;
	PglNewVersion nv;
	int32		version;
	double		seconds;
	Datum		result;
	bool		classification;
	int32		class_mode;
	int64		n_test_unknown = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, algorithm and data of ai_train must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(1));
	data = text_to_cstring(PG_GETARG_TEXT_PP(2));
	target = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	ops = pgl_algo_by_name(algorithm);
	if (ops == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Valid algorithms are: %s.", pgl_algo_names())));
	pgl_parse_train_options(options, &opts);
	classification = ops->task == PGL_TASK_CLASSIFICATION;
	if (target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a target column", algorithm),
				 errhint("Name the column to predict: ai_train(name, '%s', data, target => 'column').",
						 algorithm)));
	pgl_check_model_writable(name);

	INSTR_TIME_SET_CURRENT(start);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn training",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/* read */
	phase(name, "reading data");
	ds = pgl_read_data(data, target, classification ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC,
					   opts.exclude, NIL, algorithm);
	n = ds->n_rows;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to train on"),
				 ds->n_skipped > 0 ?
				 errdetail(INT64_FORMAT " rows were skipped because their target \"%s\" is NULL.",
						   ds->n_skipped, target) :
				 errdetail("The data \"%s\" returned no rows.", data)));
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn  *c = &ds->features[f];

		if (c->n_nulls == n)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column \"%s\" is NULL in every row", c->name),
					 errhint("Leave it out with \"exclude\": [\"%s\"].", c->name)));
		if (c->n_nulls > 0 && opts.nulls_error)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column \"%s\" has " INT64_FORMAT " NULL values", c->name, c->n_nulls),
					 errdetail("The option \"nulls\" is \"error\"."),
					 errhint("Filter the rows out, or set \"nulls\": \"impute\" to use the "
							 "training mean (numbers) or most frequent value (categories).")));
	}

	/* split */
	phase(name, "preprocessing");
	if (opts.test_size < 0)
		opts.test_size = n >= 50 ? 0.2 : 0.0;
	n_test = (int64) floor(n * opts.test_size + 0.5);
	if (n_test >= n)
		n_test = n - 1;
	n_train = n - n_test;
	perm = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	pgl_split(opts.seed, n, n_test, perm);

	/* the model's preprocessing, learned on the training split */
	m = palloc0(sizeof(pgl_model));
	m->algorithm = ops->id;
	m->task = ops->task;
	m->n_features = ds->n_features;
	m->features = palloc0(sizeof(pgl_feature) * ds->n_features);
	raw = palloc(sizeof(double *) * ds->n_features);
	rnull = palloc(sizeof(bool *) * ds->n_features);
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn  *c = &ds->features[f];
		pgl_feature *feat = &m->features[f];

		feat->name = c->name;
		feat->type_name = c->type_name;
		if (c->kind == PGL_COL_NUMERIC)
		{
			int64		count;

			feat->kind = PGL_FEATURE_NUMERIC;
			feat->impute = column_mean(c, perm + n_test, n_train, &count);
			if (count == 0)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("column \"%s\" is NULL in every training row", c->name),
						 errhint("Leave it out with \"exclude\", or use a smaller \"test_size\".")));
		}
		else
		{
			feat->kind = PGL_FEATURE_CATEGORICAL;
			feat->n_categories = learn_vocabulary(c, n, perm + n_test, n_train, false,
												  &feat->categories, &feat->impute_category);
			if (feat->n_categories == 0)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("column \"%s\" is NULL in every training row", c->name),
						 errhint("Leave it out with \"exclude\", or use a smaller \"test_size\".")));
		}
		raw[f] = c->values;
		rnull[f] = c->nulls;
	}
	m->n_inputs = p = pgl_model_input_width(m);
	m->target_name = ds->target->name;
	m->target_type = ds->target->type_name;

	if (classification)
	{
		m->n_classes = learn_vocabulary(ds->target, n, perm + n_test, n_train,
										pgl_type_is_integer(ds->target->typid),
										&m->classes, &class_mode);
		if (m->n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target column \"%s\" has only one class (%s) in the training rows",
							target, m->n_classes ? m->classes[0] : "none"),
					 errhint("A classifier needs at least two distinct labels.")));
	}

	/* design matrices */
	pgl_check_memory(ds->bytes + (Size) n * p * sizeof(double) * (classification ? 2 : 1) +
					 (Size) n * sizeof(int64),
					 psprintf("training %s on " INT64_FORMAT " rows of %d inputs",
							  algorithm, n, p));
	X_train = palloc_extended(sizeof(double) * n_train * (p > 0 ? p : 1), MCXT_ALLOC_HUGE);
	pgl_encode_rows(m, raw, rnull, perm + n_test, n_train, X_train);
	if (classification)
	{
		lab_train = palloc_extended(sizeof(int32) * n_train, MCXT_ALLOC_HUGE);
		lab_test = palloc_extended(sizeof(int32) * (n_test + 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < n_train; i++)
			lab_train[i] = (int32) ds->target->values[perm[n_test + i]];
		/*
		 * A label seen only in the hold-out is no class of the model: such
		 * rows cannot be scored, so they are left out of the test metrics
		 * (and counted).
		 */
		for (int64 i = 0; i < n_test; i++)
		{
			int32		label = (int32) ds->target->values[perm[i]];

			if (label < 0)
			{
				n_test_unknown++;
				continue;
			}
			perm[i - n_test_unknown] = perm[i];
			lab_test[i - n_test_unknown] = label;
		}
	}
	else
	{
		y_train = palloc_extended(sizeof(double) * n_train, MCXT_ALLOC_HUGE);
		y_test = palloc_extended(sizeof(double) * (n_test + 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < n_train; i++)
			y_train[i] = ds->target->values[perm[n_test + i]];
		for (int64 i = 0; i < n_test; i++)
			y_test[i] = ds->target->values[perm[i]];
	}

	n_test -= n_test_unknown;
	if (n_test > 0)
	{
		X_test = palloc_extended(sizeof(double) * n_test * (p > 0 ? p : 1), MCXT_ALLOC_HUGE);
		pgl_encode_rows(m, raw, rnull, perm, n_test, X_test);
	}

	/* fit */
	phase(name, "training");
	pgl_set_blas_threads();
	env = pgl_backend_env(train_cxt);
	memset(&st, 0, sizeof(st));
	memset(&info, 0, sizeof(info));
	dset.X = X_train;
	dset.n = n_train;
	dset.p = p;
	dset.y = y_train;
	dset.label = lab_train;
	dset.n_classes = m->n_classes;
	params.l2 = opts.l2 >= 0 ? opts.l2 : ops->default_l2;
	params.max_iter = opts.max_iter;
	params.tol = opts.tol;
	params.seed = opts.seed;
	if (ops->train(&env, &dset, &params, m, &info, &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", name));

	/* evaluate */
	phase(name, "evaluating");
	initStringInfo(&metrics);
	appendStringInfoChar(&metrics, '{');
	for (int part = 0; part < 2; part++)
	{
		int64		rows = part == 0 ? n_train : n_test;
		double	   *X = part == 0 ? X_train : X_test;
		double	   *pred;

		if (rows == 0)
			continue;
		pred = palloc_extended(sizeof(double) * rows * (classification ? m->n_classes : 1),
							   MCXT_ALLOC_HUGE);
		if (ops->predict(&env, m, X, rows, pred, &st) != PGL_OK)
			pgl_report(&st, "evaluating the model failed");
		appendStringInfo(&metrics, "%s\"%s\": ", part ? ", " : "", part == 0 ? "train" : "test");
		pgl_metrics_json(&metrics, m, rows, part == 0 ? y_train : y_test,
						 part == 0 ? lab_train : lab_test, pred);
		pfree(pred);
	}
	appendStringInfo(&metrics, ", \"rows_train\": " INT64_FORMAT ", \"rows_test\": " INT64_FORMAT,
					 n_train, n_test);
	if (ds->n_skipped > 0)
		appendStringInfo(&metrics, ", \"rows_skipped_null_target\": " INT64_FORMAT, ds->n_skipped);
	if (n_test_unknown > 0)
		appendStringInfo(&metrics, ", \"rows_test_unknown_class\": " INT64_FORMAT, n_test_unknown);
	if (ops->id == PGL_ALGO_LINEAR_REGRESSION)
		appendStringInfo(&metrics, ", \"rank\": %d", info.rank);
	else
		appendStringInfo(&metrics, ", \"iterations\": %d, \"loss\": %.10g",
						 info.iterations, info.loss);
	appendStringInfoChar(&metrics, '}');

	/* save */
	phase(name, "saving");
	if (pgl_model_write(&env, m, &buf, &buflen, &st) != PGL_OK)
		pgl_report(&st, "could not serialize the model");
	blob = palloc_extended(VARHDRSZ + buflen, MCXT_ALLOC_HUGE);
	SET_VARSIZE(blob, VARHDRSZ + buflen);
	memcpy(VARDATA(blob), buf, buflen);

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	seconds = INSTR_TIME_GET_DOUBLE(elapsed);

	nv.name = name;
	nv.algorithm = algorithm;
	nv.options = options ? options :
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	nv.model = m;
	nv.data_source = data;
	nv.rows_used = n;
	nv.metrics_json = metrics.data;
	nv.blob = blob;
	nv.seconds = seconds;
	nv.deploy = opts.deploy;
	version = pgl_catalog_store(&nv);

	MemoryContextSwitchTo(old);
	result = result_tuple(fcinfo, name, version, algorithm, n, metrics.data, seconds);
	MemoryContextDelete(train_cxt);
	PG_RETURN_DATUM(result);
}
