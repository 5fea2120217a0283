/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  ai_predict, ai_classify, ai_predict_proba, ai_cluster and model
 *	  introspection (ai_centroids among it).
 *
 * Per call site (fn_extra) we keep, for one statement: the model name, the
 * deployed version found by one catalog lookup, the cached model, and the
 * mapping from the model's features to the columns of the row type we are
 * given.  Per row we only deform the row, encode it and multiply.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "algorithms.h"
#include "nn_glue.h"
#include "prep.h"

PG_FUNCTION_INFO_V1(ai_predict_record);
PG_FUNCTION_INFO_V1(ai_predict_array);
PG_FUNCTION_INFO_V1(ai_classify_record);
PG_FUNCTION_INFO_V1(ai_classify_array);
PG_FUNCTION_INFO_V1(ai_predict_proba_record);
PG_FUNCTION_INFO_V1(ai_predict_proba_array);
PG_FUNCTION_INFO_V1(ai_cluster_record);
PG_FUNCTION_INFO_V1(ai_cluster_array);
PG_FUNCTION_INFO_V1(ai_centroids);
PG_FUNCTION_INFO_V1(ai_model_classes);
PG_FUNCTION_INFO_V1(ai_explain);
PG_FUNCTION_INFO_V1(ai_model_features);
PG_FUNCTION_INFO_V1(ai_model_coefficients);

typedef enum Want
{
	WANT_EXPLAIN, /* ai_explain: any model with coefficients */
	WANT_VALUE,	  /* ai_predict: regression output */
	WANT_CLASS,	  /* ai_classify */
	WANT_PROBA,	  /* ai_predict_proba */
	WANT_CLUSTER  /* ai_cluster */
} Want;

typedef struct PredictState
{
	PglCallModel		cm;
	char			   *name;
	const pgl_model	   *model;
	const pgl_algo_ops *ops;
	int					n_out;
	bool				ready; /* set up for cm's model */
	const char		   *fname; /* the SQL function, for hints */

	/* row type mapping, valid while tuptype/tuptypmod match */
	Oid		  tuptype;
	int32	  tuptypmod;
	TupleDesc tupdesc;
	int		 *attno; /* per feature: 0-based column */
	Oid		 *atttype;
	FmgrInfo *outfn;
	Datum	 *values;
	bool	 *nulls;

	double *raw;
	bool   *isnull;
	double *x;
	double *out;
} PredictState;

static const char *
feature_list(const pgl_model *m)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int f = 0; f < m->n_features; f++)
		appendStringInfo(&s, "%s%s", f ? ", " : "", quote_identifier(m->features[f].name));
	return s.data;
}

static void
check_task(const char *name, const pgl_model *m, Want want)
{
	if (want == WANT_EXPLAIN)
	{
		if (m->task == PGL_TASK_RECOMMENDATION)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("ai_explain does not support model \"%s\" (%s)", name,
							pgl_algo_by_id(m->algorithm)->name),
					 errdetail("A recommender has no feature row: its score is the dot product of "
							   "a user's and an item's learned factors."),
					 errhint("ai_similar_items() and ai_similar_users() show which items and users "
							 "a model places near each other.")));
		if (pgl_nn_reads_array(m))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("ai_explain does not support model \"%s\": its network reads the "
							"tensor column \"%s\"",
							name, m->features[0].name),
					 errdetail("ai_explain explains neural_net models over ordinary feature "
							   "columns, one contribution per column."),
					 errhint("Per-element attributions of a tensor (such as the 784 pixels of an "
							 "image) are out of scope; compare ai_predict_proba() on edited "
							 "tensors instead.")));
		if (pgl_model_tensor(m, "coef") == NULL && m->algorithm != PGL_ALGO_NEURAL_NET &&
			m->algorithm != PGL_ALGO_KMEANS)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("ai_explain does not support model \"%s\" (%s)", name,
								   pgl_algo_by_id(m->algorithm)->name),
							errhint("ai_explain explains linear_regression, logistic_regression, "
									"neural_net and kmeans models.")));
		return;
	}
	if (m->task == PGL_TASK_RECOMMENDATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("model \"%s\" is a recommender", name),
				 errhint("Use ai_predict(name, user_id, item_id), ai_recommend() or "
						 "ai_recommend_all() with it.")));
	if (m->task == PGL_TASK_CLUSTERING && want != WANT_CLUSTER)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is a clustering model", name),
						errhint("Use ai_cluster() for the cluster number of a row, or "
								"ai_centroids() for the cluster centres.")));
	if (want == WANT_CLUSTER && m->task != PGL_TASK_CLUSTERING)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is not a clustering model", name),
						errhint(m->task == PGL_TASK_CLASSIFICATION
									? "Use ai_classify() or ai_predict_proba() with a classifier."
									: "Use ai_predict() with a regression model.")));
	if (want == WANT_CLUSTER)
		return;
	if (want == WANT_VALUE && m->task == PGL_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("model \"%s\" is a classifier", name),
				 errhint("Use ai_classify() for the predicted label, or ai_predict_proba() for "
						 "class probabilities.")));
	if (want != WANT_VALUE && m->task != PGL_TASK_CLASSIFICATION)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is a regression model, not a classifier", name),
						errhint("Use ai_predict() for its numeric prediction.")));
}

static PredictState *
get_state(FunctionCallInfo fcinfo, Want want)
{
	PredictState	*st = fcinfo->flinfo->fn_extra;
	MemoryContext	 mcxt = fcinfo->flinfo->fn_mcxt;
	const pgl_model *m;
	bool			 changed;

	if (st == NULL)
		st = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(mcxt, sizeof(PredictState));
	m = pgl_call_model(&st->cm, PG_GETARG_TEXT_PP(0), mcxt, &changed);
	if (!changed && st->ready)
		return st;

	/* another model or version: rebuild what depends on it */
	{
		PglCallModel cm = st->cm;

		memset(st, 0, sizeof(PredictState));
		st->cm = cm;
	}
	st->name = st->cm.name;
	st->fname = want == WANT_VALUE	   ? "ai_predict"
				: want == WANT_CLASS   ? "ai_classify"
				: want == WANT_CLUSTER ? "ai_cluster"
									   : "ai_predict_proba";
	st->model = m;
	st->ops = pgl_algo_by_id(m->algorithm);
	check_task(st->name, m, want);
	st->n_out = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
	st->raw = MemoryContextAlloc(mcxt, sizeof(double) * (m->n_features + 1));
	st->isnull = MemoryContextAlloc(mcxt, sizeof(bool) * (m->n_features + 1));
	st->x = MemoryContextAlloc(mcxt, sizeof(double) * (m->n_inputs + 1));
	st->out = MemoryContextAlloc(mcxt, sizeof(double) * st->n_out);
	st->ready = true; /* not before: an ERROR above leaves it to be redone */
	return st;
}

static void
reject_nonfinite(const char *feature, double v)
{
	ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
					errmsg("feature \"%s\" is %s", feature,
						   isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")),
					errhint("Pass a finite number, or NULL to use the training mean.")));
}

/* map the model's features to the columns of this row type */
static void
map_row_type(PredictState *st, HeapTupleHeader rec, MemoryContext mcxt)
{
	Oid				 tuptype = HeapTupleHeaderGetTypeId(rec);
	int32			 tuptypmod = HeapTupleHeaderGetTypMod(rec);
	const pgl_model *m = st->model;
	TupleDesc		 desc;
	MemoryContext	 old;

	if (st->tupdesc && st->tuptype == tuptype && st->tuptypmod == tuptypmod)
		return;

	/* the mapping counts only once complete: an ERROR below leaves none */
	st->tupdesc = NULL;
	desc = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	old = MemoryContextSwitchTo(mcxt);
	{
		TupleDesc copy = CreateTupleDescCopy(desc);

		ReleaseTupleDesc(desc);
		desc = copy;
	}
	st->attno = palloc(sizeof(int) * (m->n_features + 1));
	st->atttype = palloc(sizeof(Oid) * (m->n_features + 1));
	st->outfn = palloc0(sizeof(FmgrInfo) * (m->n_features + 1));
	st->values = palloc(sizeof(Datum) * (desc->natts + 1));
	st->nulls = palloc(sizeof(bool) * (desc->natts + 1));

	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		int				   found = -1;

		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), feat->name) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
							errmsg("the row has no column \"%s\", a feature of model \"%s\"",
								   feat->name, st->name),
							errdetail("The model's features are %s.", feature_list(m)),
							errhint("Features are matched to the row's columns by name; "
									"rename a column with AS in a subquery.")));
		st->attno[f] = found;
		st->atttype[f] = TupleDescAttr(desc, found)->atttypid;
		if (feat->kind == PGL_FEATURE_NUMERIC)
		{
			if (!pgl_type_is_numeric(st->atttype[f]))
				ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
								errmsg("column \"%s\" has type %s, but model \"%s\" was trained on "
									   "it as a number (%s)",
									   feat->name, format_type_be(st->atttype[f]), st->name,
									   feat->type_name),
								errhint("Cast the column to a numeric type in a subquery.")));
		}
		else
		{
			Oid	 outfn;
			bool varlena;

			if (pgl_type_is_numeric(st->atttype[f]))
				ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
								errmsg("column \"%s\" has type %s, but model \"%s\" was trained on "
									   "it as a category (%s)",
									   feat->name, format_type_be(st->atttype[f]), st->name,
									   feat->type_name),
								errhint("Cast the column to %s in a subquery.", feat->type_name)));
			getTypeOutputInfo(st->atttype[f], &outfn, &varlena);
			fmgr_info_cxt(outfn, &st->outfn[f], mcxt);
		}
	}
	st->tuptype = tuptype;
	st->tuptypmod = tuptypmod;
	st->tupdesc = desc;
	MemoryContextSwitchTo(old);
}

/* encode the record's features into st->raw / st->isnull */
static void
read_record(PredictState *st, HeapTupleHeader rec)
{
	const pgl_model *m = st->model;
	HeapTupleData	 tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, st->tupdesc, st->values, st->nulls);

	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		int				   a = st->attno[f];

		st->isnull[f] = st->nulls[a];
		if (st->nulls[a])
			continue;
		if (feat->kind == PGL_FEATURE_NUMERIC)
		{
			double v = pgl_datum_to_double(st->values[a], st->atttype[f]);

			if (!isfinite(v))
				reject_nonfinite(feat->name, v);
			st->raw[f] = v;
		}
		else
		{
			Oid base = getBaseType(st->atttype[f]);

			if (base == TEXTOID || base == VARCHAROID)
			{
				text *t = DatumGetTextPP(st->values[a]);

				st->raw[f] = pgl_category_find(feat, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
			else
			{
				char *s = OutputFunctionCall(&st->outfn[f], st->values[a]);

				st->raw[f] = pgl_category_find(feat, s, strlen(s));
			}
		}
	}
}

/* encode the float8[] features into st->raw / st->isnull */
static void
read_array(PredictState *st, ArrayType *arr)
{
	const pgl_model *m = st->model;
	Datum			*elems;
	bool			*nulls;
	int				 n;

	for (int f = 0; f < m->n_features; f++)
		if (m->features[f].kind != PGL_FEATURE_NUMERIC)
			ereport(
				ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg(
					 "model \"%s\" has a categorical feature \"%s\", which a float8[] cannot carry",
					 st->name, m->features[f].name),
				 errhint("Pass a row instead, e.g. SELECT %s('%s', t) FROM t.", st->fname,
						 st->name)));
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("feature array must have one dimension, not %d", ARR_NDIM(arr))));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != m->n_features)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("model \"%s\" expects %d features, but the array has %d", st->name,
							   m->n_features, n),
						errdetail("The features in training order are %s.", feature_list(m))));
	for (int f = 0; f < n; f++)
	{
		st->isnull[f] = nulls[f];
		if (!nulls[f])
		{
			double v = DatumGetFloat8(elems[f]);

			if (!isfinite(v))
				reject_nonfinite(m->features[f].name, v);
			st->raw[f] = v;
		}
	}
}

/* predict the encoded row into st->out */
static void
predict_one(PredictState *st)
{
	pgl_env	   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status s;

	pgl_encode_row(st->model, st->raw, st->isnull, st->x);
	memset(&s, 0, sizeof(s));
	if (st->ops->predict(&env, st->model, st->x, 1, 1, st->out, &s) != PGL_OK)
		pgl_report(&s, "prediction failed");
}

static PredictState *
predict_record(FunctionCallInfo fcinfo, Want want)
{
	PredictState   *st = get_state(fcinfo, want);
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);

	if (pgl_nn_reads_array(st->model)) /* a network over a tensor column: nn_predict.c */
	{
		pgl_nn_predict_record(st->model, st->name, rec, st->out);
		return st;
	}
	map_row_type(st, rec, fcinfo->flinfo->fn_mcxt);
	read_record(st, rec);
	predict_one(st);
	return st;
}

static PredictState *
predict_array(FunctionCallInfo fcinfo, Want want)
{
	PredictState *st = get_state(fcinfo, want);

	if (pgl_nn_reads_array(st->model))
	{
		pgl_nn_predict_array(st->model, st->name, PG_GETARG_DATUM(1), FLOAT8ARRAYOID, st->out);
		return st;
	}
	read_array(st, PG_GETARG_ARRAYTYPE_P(1));
	predict_one(st);
	return st;
}

static int
argmax(const double *v, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static Datum
proba_array(PredictState *st)
{
	Datum *d = palloc(sizeof(Datum) * st->n_out);

	for (int i = 0; i < st->n_out; i++)
		d[i] = Float8GetDatum(st->out[i]);
	return PointerGetDatum(
		construct_array(d, st->n_out, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum
ai_predict_record(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(predict_record(fcinfo, WANT_VALUE)->out[0]);
}

Datum
ai_predict_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(predict_array(fcinfo, WANT_VALUE)->out[0]);
}

Datum
ai_classify_record(PG_FUNCTION_ARGS)
{
	PredictState *st = predict_record(fcinfo, WANT_CLASS);

	PG_RETURN_TEXT_P(cstring_to_text(st->model->classes[argmax(st->out, st->n_out)]));
}

Datum
ai_classify_array(PG_FUNCTION_ARGS)
{
	PredictState *st = predict_array(fcinfo, WANT_CLASS);

	PG_RETURN_TEXT_P(cstring_to_text(st->model->classes[argmax(st->out, st->n_out)]));
}

Datum
ai_predict_proba_record(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(proba_array(predict_record(fcinfo, WANT_PROBA)));
}

Datum
ai_predict_proba_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(proba_array(predict_array(fcinfo, WANT_PROBA)));
}

/* cluster numbers are 1-based in SQL (0-based in the model) */
Datum
ai_cluster_record(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32((int32) predict_record(fcinfo, WANT_CLUSTER)->out[0] + 1);
}

Datum
ai_cluster_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32((int32) predict_array(fcinfo, WANT_CLUSTER)->out[0] + 1);
}

/* ---------- introspection ---------- */

/* ai_centroids(name): (cluster 1..k, centroid in encoded input order) */
Datum
ai_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	 *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			 *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const pgl_model	 *m = pgl_model_get(name, NULL);
	const pgl_tensor *t;
	const double	 *c;
	int64			  k, p;
	Datum			 *d;

	if (m->task != PGL_TASK_CLUSTERING)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is not a clustering model", name),
						errhint("Only kmeans models have centroids.")));
	t = pgl_model_tensor(m, "centroids");
	c = t->data;
	k = t->dims[0];
	p = t->dims[1];
	d = palloc(sizeof(Datum) * (p + 1));
	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < k; i++)
	{
		Datum values[2];
		bool  nulls[2] = {false, false};

		for (int64 j = 0; j < p; j++)
			d[j] = Float8GetDatum(c[i * p + j]);
		values[0] = Int32GetDatum((int32) i + 1);
		values[1] = PointerGetDatum(
			construct_array(d, (int) p, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
ai_model_classes(PG_FUNCTION_ARGS)
{
	char			*name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const pgl_model *m = pgl_model_get(name, NULL);
	Datum			*d;

	check_task(name, m, WANT_CLASS);
	d = palloc(sizeof(Datum) * m->n_classes);
	for (int i = 0; i < m->n_classes; i++)
		d[i] = CStringGetTextDatum(m->classes[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m->n_classes, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
ai_model_features(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			*name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const pgl_model *m = pgl_model_get(name, NULL);

	InitMaterializedSRF(fcinfo, 0);
	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];
		Datum			   values[5];
		bool			   nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(f + 1);
		values[1] = CStringGetTextDatum(feat->name);
		values[2] = CStringGetTextDatum(feat->type_name);
		values[3] =
			CStringGetTextDatum(feat->kind == PGL_FEATURE_NUMERIC ? "numeric" : "categorical");
		values[4] = Int32GetDatum(feat->kind == PGL_FEATURE_NUMERIC ? 1 : feat->n_categories);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
ai_model_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	 *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			 *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const pgl_model	 *m = pgl_model_get(name, NULL);
	const pgl_tensor *t = pgl_model_tensor(m, "coef");
	int64			  ncol;
	const double	 *w;
	char			**input_names;
	int				  col = 0;

	if (t == NULL || t->ndim != 2)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" has no coefficients", name),
						errhint(m->task == PGL_TASK_CLUSTERING
									? "A kmeans model has centroids: see ai_centroids()."
									: "Only linear_regression and logistic_regression models have "
									  "coefficients.")));
	ncol = t->dims[1];
	w = t->data;

	/* "column" for numbers, "column=value" for one-hot inputs */
	input_names = palloc(sizeof(char *) * (m->n_inputs + 1));
	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];

		if (feat->kind == PGL_FEATURE_NUMERIC)
			input_names[col++] = feat->name;
		else
			for (int c = 0; c < feat->n_categories; c++)
				input_names[col++] = psprintf("%s=%s", feat->name, feat->categories[c]);
	}
	input_names[m->n_inputs] = "(intercept)";

	InitMaterializedSRF(fcinfo, 0);
	for (int64 k = 0; k < ncol; k++)
		for (int i = 0; i <= m->n_inputs; i++)
		{
			Datum values[3];
			bool  nulls[3] = {false, false, false};

			values[0] = CStringGetTextDatum(input_names[i]);
			if (m->task == PGL_TASK_CLASSIFICATION)
				/* binary models have one column: the positive (second) class */
				values[1] = CStringGetTextDatum(m->classes[ncol == 1 ? 1 : k]);
			else
				nulls[1] = true;
			values[2] = Float8GetDatum(w[i * ncol + k]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

/* ---------- ai_explain ---------- */

/* the reference row, encoded: numeric features at their training mean, categorical at the mode */
static double *
explain_reference(const pgl_model *m)
{
	double *ref = palloc(sizeof(double) * (m->n_inputs + 1));
	int		col = 0;

	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];

		if (feat->kind == PGL_FEATURE_NUMERIC)
			ref[col++] = feat->impute;
		else
		{
			for (int k = 0; k < feat->n_categories; k++)
				ref[col + k] = k == feat->impute_category ? 1.0 : 0.0;
			col += feat->n_categories;
		}
	}
	return ref;
}

static int
feature_width(const pgl_feature *feat)
{
	return feat->kind == PGL_FEATURE_NUMERIC ? 1 : feat->n_categories;
}

/* one output row: feature f (f < 0: the (base) row) */
static void
explain_emit(ReturnSetInfo *rsinfo, PredictState *st, int f, double contribution, const char *cls)
{
	const pgl_model *m = st->model;
	Datum			 values[4];
	bool			 nulls[4] = {false, false, false, false};

	if (f < 0)
	{
		values[0] = CStringGetTextDatum("(base)");
		nulls[1] = true;
	}
	else
	{
		const pgl_feature *feat = &m->features[f];

		values[0] = CStringGetTextDatum(feat->name);
		if (st->isnull[f])
			nulls[1] = true; /* imputed */
		else if (feat->kind == PGL_FEATURE_NUMERIC)
			values[1] = CStringGetTextDatum(psprintf("%.15g", st->raw[f]));
		else
			values[1] = CStringGetTextDatum(st->raw[f] >= 0 ? feat->categories[(int) st->raw[f]]
															: "(unseen)");
	}
	values[2] = Float8GetDatum(contribution);
	values[3] = cls ? CStringGetTextDatum(cls) : (Datum) 0;
	nulls[3] = cls == NULL;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* a small fixed-seed generator (splitmix64) for the permutations */
static uint64
explain_next(uint64 *state)
{
	uint64 z = (*state += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

#define EXPLAIN_SEED UINT64CONST(20261124)

/*
 * Permutation k into perm: even k a fresh random one (Fisher-Yates), odd k
 * the reverse of the one before (antithetic pairs: for two features a pair
 * gives the exact Shapley values, and in general it lowers the variance).
 */
static void
explain_permutation(int k, uint64 *rng, int *perm, int p)
{
	if (k % 2 == 1)
	{
		for (int a = 0, b = p - 1; a < b; a++, b--)
		{
			int t = perm[a];

			perm[a] = perm[b];
			perm[b] = t;
		}
		return;
	}
	for (int f = 0; f < p; f++)
		perm[f] = f;
	for (int f = p - 1; f > 0; f--)
	{
		int j = (int) (explain_next(rng) % (uint64) (f + 1));
		int t = perm[f];

		perm[f] = perm[j];
		perm[j] = t;
	}
}

/*
 * neural_net over feature columns: baseline Shapley values by permutation
 * sampling.  For each of M seeded permutations (in antithetic pairs: a
 * random one, then its reverse) the features are switched
 * from the reference to the row's value one at a time, and each is credited
 * the change of every output; the credits are averaged over the
 * permutations.  The two ends of every permutation (the reference and the
 * row itself) are predicted one row at a time exactly like ai_predict, the
 * M*(p-1) rows in between in one batch, so each permutation telescopes to
 * f(x) - f(reference) and the contributions plus the base f(reference) add
 * up to ai_predict / ai_predict_proba.
 */
static void
explain_neural_net(ReturnSetInfo *rsinfo, PredictState *st)
{
	const pgl_model *m = st->model;
	int				 p = m->n_features;
	int				 q = m->n_inputs;
	int				 width = st->n_out;
	int				 M = pgl_explain_permutations;
	int64			 nrows = (int64) M * (p > 1 ? p - 1 : 0);
	double			*ref = explain_reference(m);
	double			*fref = palloc(sizeof(double) * width);
	double			*fx = palloc(sizeof(double) * width);
	double			*contrib = palloc0(sizeof(double) * p * width);
	int				*start = palloc(sizeof(int) * (p + 1));
	int				*perm = palloc(sizeof(int) * (p + 1));
	double			*row = palloc(sizeof(double) * (q + 1));
	double			*X = NULL, *out = NULL;
	uint64			 rng = EXPLAIN_SEED;
	pgl_env			 env = pgl_backend_env(CurrentMemoryContext);
	pgl_status		 s;

	memcpy(fx, st->out, sizeof(double) * width);
	start[0] = 0;
	for (int f = 0; f < p; f++)
		start[f + 1] = start[f] + feature_width(&m->features[f]);

	memset(&s, 0, sizeof(s));
	if (st->ops->predict(&env, m, ref, 1, 1, fref, &s) != PGL_OK)
		pgl_report(&s, "prediction failed");

	/* the hybrid rows, column-major (ld = nrows) */
	if (nrows > 0)
	{
		if ((Size) nrows * (Size) q > MaxAllocHugeSize / sizeof(double) / 2)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							errmsg("ai_explain would need %lld hybrid rows of %d inputs",
								   (long long) nrows, q),
							errhint("Lower pg_learn.explain_permutations (now %d).", M)));
		X = palloc_extended(sizeof(double) * nrows * q, MCXT_ALLOC_HUGE);
		out = palloc_extended(sizeof(double) * nrows * width, MCXT_ALLOC_HUGE);
	}
	for (int k = 0; k < M; k++)
	{
		explain_permutation(k, &rng, perm, p);
		memcpy(row, ref, sizeof(double) * q);
		for (int step = 0; step + 1 < p; step++)
		{
			int	  f = perm[step];
			int64 r = (int64) k * (p - 1) + step;

			for (int j = start[f]; j < start[f + 1]; j++)
				row[j] = st->x[j];
			for (int j = 0; j < q; j++)
				X[r + nrows * j] = row[j];
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (nrows > 0)
	{
		memset(&s, 0, sizeof(s));
		if (st->ops->predict(&env, m, X, nrows, nrows, out, &s) != PGL_OK)
			pgl_report(&s, "prediction failed");
	}

	/* replay the same permutations and credit each step's change */
	rng = EXPLAIN_SEED;
	for (int k = 0; k < M; k++)
	{
		explain_permutation(k, &rng, perm, p);
		for (int step = 0; step < p; step++)
		{
			int			  f = perm[step];
			const double *before =
				step == 0 ? fref : out + ((int64) k * (p - 1) + step - 1) * width;
			const double *after = step == p - 1 ? fx : out + ((int64) k * (p - 1) + step) * width;

			for (int c = 0; c < width; c++)
				contrib[f * width + c] += after[c] - before[c];
		}
	}

	for (int c = 0; c < width; c++)
	{
		const char *cls = m->task == PGL_TASK_CLASSIFICATION ? m->classes[c] : NULL;

		explain_emit(rsinfo, st, -1, fref[c], cls);
		for (int f = 0; f < p; f++)
			explain_emit(rsinfo, st, f, contrib[f * width + c] / M, cls);
	}
}

/*
 * kmeans: the squared distance of the row to its assigned centroid, split by
 * feature (the sum of (x_j - c_j)² over the feature's inputs); base 0.
 */
static void
explain_kmeans(ReturnSetInfo *rsinfo, PredictState *st)
{
	const pgl_model	 *m = st->model;
	const pgl_tensor *t = pgl_model_tensor(m, "centroids");
	int64			  cluster = (int64) st->out[0];
	const double	 *c = (const double *) t->data + cluster * t->dims[1];
	char			 *cls = psprintf("%lld", (long long) cluster + 1);
	int				  col = 0;

	explain_emit(rsinfo, st, -1, 0.0, cls);
	for (int f = 0; f < m->n_features; f++)
	{
		int	   width = feature_width(&m->features[f]);
		double d2 = 0;

		for (int j = col; j < col + width; j++)
			d2 += (st->x[j] - c[j]) * (st->x[j] - c[j]);
		col += width;
		explain_emit(rsinfo, st, f, d2, cls);
	}
}

/*
 * Exact additive explanation of a linear or logistic model, on the link
 * scale (the prediction itself, or the log-odds / softmax input of the
 * explained class), relative to a reference row: every numeric feature at its
 * training mean, every categorical one at its most frequent category.  A
 * '(base)' row carries the reference's score, so the contributions of all
 * rows add up to the row's score exactly.  neural_net and kmeans models:
 * see explain_neural_net and explain_kmeans.
 */
Datum
ai_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	 *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PredictState	 *st = predict_record(fcinfo, WANT_EXPLAIN);
	const pgl_model	 *m = st->model;
	const pgl_tensor *t;
	const double	 *w;
	int64			  ncol;
	int64			  c = 0;
	double			 *ref;
	double			  base;
	int				  col = 0;
	const char		 *cls = NULL;

	InitMaterializedSRF(fcinfo, 0);
	if (m->algorithm == PGL_ALGO_NEURAL_NET)
	{
		explain_neural_net(rsinfo, st);
		return (Datum) 0;
	}
	if (m->algorithm == PGL_ALGO_KMEANS)
	{
		explain_kmeans(rsinfo, st);
		return (Datum) 0;
	}
	t = pgl_model_tensor(m, "coef");
	w = t->data;
	ncol = t->dims[1];

	/* the class explained: the predicted one (for two classes, the second's log-odds) */
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		int best = 0;

		for (int i = 1; i < st->n_out; i++)
			if (st->out[i] > st->out[best])
				best = i;
		c = ncol == 1 ? 0 : best;
		cls = m->classes[ncol == 1 ? 1 : best];
	}

	ref = explain_reference(m);
	base = w[(Size) m->n_inputs * ncol + c];
	for (int i = 0; i < m->n_inputs; i++)
		base += w[(Size) i * ncol + c] * ref[i];
	explain_emit(rsinfo, st, -1, base, cls);

	for (int f = 0; f < m->n_features; f++)
	{
		int	   width = feature_width(&m->features[f]);
		double contribution = 0;

		for (int i = col; i < col + width; i++)
			contribution += w[(Size) i * ncol + c] * (st->x[i] - ref[i]);
		col += width;
		explain_emit(rsinfo, st, f, contribution, cls);
	}
	return (Datum) 0;
}
