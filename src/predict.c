/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  Scoring: ai_predict, ai_classify, ai_predict_proba and ai_cluster
 *	  over a row or a float8[] (the bytea forms: nn_predict.c).
 *
 * Per call site (fn_extra) we keep, for one statement: the model name, the
 * version found by one catalog lookup (the deployed one, or the one pinned
 * by "version => N"), the cached model, and the mapping from the model's
 * features to the columns of the row type we are given.  Per row we only
 * deform the row, encode it and multiply.
 *
 * The functions are not STRICT (a NULL version means the deployed one), so
 * a NULL name or features gives NULL here.  Model introspection is in
 * introspect.c, ai_explain in explain.c.
 *
 *-------------------------------------------------------------------------
 */
#include "predict.h"
#include "drift_glue.h"
#include "data_reader.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "classifier.h"
#include "nn_glue.h"
#include "prep.h"
#include "text_glue.h"
#include "anomaly.h"

PG_FUNCTION_INFO_V1(ai_predict_record);
PG_FUNCTION_INFO_V1(ai_predict_array);
PG_FUNCTION_INFO_V1(ai_classify_record);
PG_FUNCTION_INFO_V1(ai_classify_array);
PG_FUNCTION_INFO_V1(ai_predict_proba_record);
PG_FUNCTION_INFO_V1(ai_predict_proba_array);
PG_FUNCTION_INFO_V1(ai_cluster_record);
PG_FUNCTION_INFO_V1(ai_cluster_array);
PG_FUNCTION_INFO_V1(ai_classify_proba_record);
PG_FUNCTION_INFO_V1(ai_classify_proba_array);

/*
 * The optional version argument of every scoring function; ai_classify and
 * ai_classify_proba have a threshold before it.
 */
#define VERSION_ARG			   2
#define CLASSIFY_THRESHOLD_ARG 2
#define CLASSIFY_VERSION_ARG   3

/* not STRICT: NULL name or features, NULL result */
#define RETURN_NULL_IF_NULL_ARGS()                                                                 \
	do                                                                                             \
	{                                                                                              \
		if (PG_ARGISNULL(0) || PG_ARGISNULL(1))                                                    \
			PG_RETURN_NULL();                                                                      \
	} while (0)

static const char *
feature_list(const pgl_model *m)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int f = 0; f < m->n_features; f++)
		appendStringInfo(&s, "%s%s", f ? ", " : "",
						 m->features[f].kind == PGL_FEATURE_ELEMENT
							 ? psprintf("%s[%d]", quote_identifier(m->features[f].name),
										m->features[f].element + 1)
							 : quote_identifier(m->features[f].name));
	return s.data;
}

void
pgl_check_task(const char *name, const pgl_model *m, PglWant want)
{
	if (want == PGL_WANT_ANOMALY)
	{
		pgl_anomaly_check_model(name, m);
		return;
	}
	if (m->task == PGL_TASK_ANOMALY && want != PGL_WANT_VALUE)
		ereport(ERROR, (errcode(want == PGL_WANT_EXPLAIN || want == PGL_WANT_TENSOR
									? ERRCODE_FEATURE_NOT_SUPPORTED
									: ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is an anomaly model (%s)", name,
							   pgl_algo_by_id(m->algorithm)->name),
						errhint("Use ai_detect_anomalies() for (is_anomaly, score), or "
								"ai_predict() for the score alone.")));
	if (want == PGL_WANT_EXPLAIN)
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
			m->algorithm != PGL_ALGO_KMEANS && pgl_model_tensor(m, "tree_offsets") == NULL)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("ai_explain does not support model \"%s\" (%s)", name,
								   pgl_algo_by_id(m->algorithm)->name),
							errhint("ai_explain explains linear_regression, logistic_regression, "
									"xgboost, random_forest, neural_net and kmeans models.")));
		return;
	}
	if (m->task == PGL_TASK_RECOMMENDATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("model \"%s\" is a recommender", name),
				 errhint("Use ai_predict(name, user_id, item_id), ai_recommend() or "
						 "ai_recommend_all() with it.")));
	if (m->task == PGL_TASK_CLUSTERING && want != PGL_WANT_CLUSTER)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is a clustering model", name),
						errhint("Use ai_cluster() for the cluster number of a row, or "
								"ai_centroids() for the cluster centres.")));
	if (want == PGL_WANT_CLUSTER && m->task != PGL_TASK_CLUSTERING)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is not a clustering model", name),
						errhint(m->task == PGL_TASK_CLASSIFICATION
									? "Use ai_classify() or ai_predict_proba() with a classifier."
									: "Use ai_predict() with a regression model.")));
	if (want == PGL_WANT_CLUSTER || want == PGL_WANT_TENSOR)
		return;
	if (want == PGL_WANT_VALUE && m->task == PGL_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("model \"%s\" is a classifier", name),
				 errhint("Use ai_classify() for the predicted label, or ai_predict_proba() for "
						 "class probabilities.")));
	if (want != PGL_WANT_VALUE && m->task != PGL_TASK_CLASSIFICATION)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is a regression model, not a classifier", name),
						errhint("Use ai_predict() for its numeric prediction.")));
}

static PglPredictState *get_state(FunctionCallInfo fcinfo, PglWant want, int version_argno);

PglPredictState *
pgl_predict_state(FunctionCallInfo fcinfo, PglWant want, int version_argno)
{
	return get_state(fcinfo, want, version_argno);
}

static PglPredictState *
get_state(FunctionCallInfo fcinfo, PglWant want, int version_argno)
{
	PglPredictState *st = fcinfo->flinfo->fn_extra;
	MemoryContext	 mcxt = fcinfo->flinfo->fn_mcxt;
	int32			 version = pgl_version_arg(fcinfo, version_argno);
	const pgl_model *m;
	bool			 changed;

	if (st == NULL)
		st = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(mcxt, sizeof(PglPredictState));
	m = pgl_call_model_version(&st->cm, PG_GETARG_TEXT_PP(0), version, mcxt, &changed);
	if (!changed && st->ready)
		return st;

	/* another model or version: rebuild what depends on it */
	{
		PglCallModel cm = st->cm;

		memset(st, 0, sizeof(PglPredictState));
		st->cm = cm;
	}
	st->name = st->cm.name;
	st->fname = want == PGL_WANT_VALUE	   ? "ai_predict"
				: want == PGL_WANT_CLASS   ? "ai_classify"
				: want == PGL_WANT_CLUSTER ? "ai_cluster"
				: want == PGL_WANT_PROBA   ? "ai_predict_proba"
				: want == PGL_WANT_TENSOR  ? "ai_predict_tensor"
				: want == PGL_WANT_ANOMALY ? "ai_detect_anomalies"
										   : "ai_explain";
	st->model = m;
	st->ops = pgl_algo_by_id(m->algorithm);
	pgl_check_task(st->name, m, want);
	st->n_out = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
	st->raw = MemoryContextAlloc(mcxt, sizeof(double) * (m->n_features + 1));
	st->isnull = MemoryContextAlloc(mcxt, sizeof(bool) * (m->n_features + 1));
	st->x = MemoryContextAlloc(mcxt, sizeof(double) * (m->n_inputs + 1));
	st->out = MemoryContextAlloc(mcxt, sizeof(double) * st->n_out);
	if (pgl_model_has_text(m))
	{
		MemoryContext old = MemoryContextSwitchTo(mcxt);

		st->text = pgl_text_encoders(m);
		st->doc = palloc0(sizeof(char *) * m->n_features);
		st->doc_len = palloc0(sizeof(size_t) * m->n_features);
		MemoryContextSwitchTo(old);
	}
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
map_row_type(PglPredictState *st, HeapTupleHeader rec, MemoryContext mcxt)
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
		if (pgl_feature_is_number(feat))
		{
			if (!pgl_type_fits_feature(feat->kind, st->atttype[f]))
				ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
								errmsg("column \"%s\" has type %s, but model \"%s\" was trained on "
									   "it as %s (%s)",
									   feat->name, format_type_be(st->atttype[f]), st->name,
									   pgl_feature_kind_noun(feat), feat->type_name),
								errhint("Cast the column to %s in a subquery.",
										feat->kind == PGL_FEATURE_NUMERIC ? "a numeric type"
																		  : feat->type_name)));
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

/* the text of a text or category column (valid for the row) */
static const char *
text_value(PglPredictState *st, int f, Datum d, size_t *len)
{
	Oid base = getBaseType(st->atttype[f]);

	if (base == TEXTOID || base == VARCHAROID)
	{
		text *t = DatumGetTextPP(d);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
	else
	{
		char *s = OutputFunctionCall(&st->outfn[f], d);

		*len = strlen(s);
		return s;
	}
}

/* encode the record's features into st->raw / st->isnull */
static void
read_record(PglPredictState *st, HeapTupleHeader rec)
{
	const pgl_model *m = st->model;
	HeapTupleData	 tuple;
	double			*elems = NULL; /* the array whose elements are being read */
	bool			*elem_nulls = NULL;
	int				 unseen = 0; /* categories not in the vocabulary (drift_counters.c) */

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
		if (feat->kind == PGL_FEATURE_TEXT)
		{
			/* the document, added to the inputs by predict_one */
			st->raw[f] = 0;
			st->doc[f] = NULL;
			st->doc_len[f] = 0;
			if (!st->nulls[a])
				st->doc[f] = text_value(st, f, st->values[a], &st->doc_len[f]);
			continue;
		}
		if (st->nulls[a])
			continue;
		if (feat->kind == PGL_FEATURE_ELEMENT)
		{
			if (feat->element == 0)
				(void) pgl_array_numbers(st->values[a], feat->name, feat->length, &elems,
										 &elem_nulls);
			st->isnull[f] = elem_nulls[feat->element];
			st->raw[f] = elems[feat->element];
			if (!isfinite(st->raw[f]))
				reject_nonfinite(pgl_feature_display_name(feat), st->raw[f]);
		}
		else if (pgl_feature_is_number(feat))
		{
			double v = pgl_datum_to_double(st->values[a], st->atttype[f]);

			if (!isfinite(v))
			{
				if (pgl_type_is_time(st->atttype[f]))
					pgl_reject_nonfinite(feat->name, st->atttype[f], v, -1, false);
				reject_nonfinite(feat->name, v);
			}
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
			unseen += st->raw[f] < 0;
		}
	}
	if (unlikely(unseen > 0))
		pgl_drift_count_unseen(st->cm.version_id, unseen);
}

/* encode the float8[] features into st->raw / st->isnull */
static void
read_array(PglPredictState *st, ArrayType *arr)
{
	const pgl_model *m = st->model;
	Datum			*elems;
	bool			*nulls;
	int				 n;

	for (int f = 0; f < m->n_features; f++)
		if (!pgl_feature_is_number(&m->features[f]))
			ereport(
				ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("model \"%s\" has a %s feature \"%s\", which a float8[] cannot carry",
						st->name, m->features[f].kind == PGL_FEATURE_TEXT ? "text" : "categorical",
						m->features[f].name),
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
			if ((m->features[f].kind == PGL_FEATURE_DATE ||
				 m->features[f].kind == PGL_FEATURE_TIMESTAMP) &&
				!(fabs(v) <= PGL_TIME_MAX_SECONDS))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("feature \"%s\" is %g seconds since 1970, beyond the %g a date "
								"may have",
								m->features[f].name, v, PGL_TIME_MAX_SECONDS),
						 errhint("In a float8[], a %s feature is its seconds since 1970-01-01 "
								 "UTC, as extract(epoch from ...) gives them.",
								 m->features[f].type_name)));
			st->raw[f] = v;
		}
	}
}

/* the row's raw features into the model's inputs st->x */
static void
encode_one(PglPredictState *st)
{
	pgl_encode_row(st->model, st->raw, st->isnull, st->x);
	if (st->text)
	{
		for (int f = 0; f < st->model->n_features; f++)
			if (st->model->features[f].kind == PGL_FEATURE_TEXT)
				pgl_text_encode_into(st->text, f, st->doc[f], st->doc_len[f], st->x);
	}
}

/* predict the encoded row into st->out */
static void
predict_one(PglPredictState *st)
{
	pgl_env	   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status s;

	encode_one(st);
	if (st->model->algorithm == PGL_ALGO_NEURAL_NET) /* the cached network, not one per row */
	{
		pgl_nn_predict_columns(st->model, st->x, st->out);
		return;
	}
	memset(&s, 0, sizeof(s));
	if (st->ops->predict(&env, st->model, st->x, 1, 1, st->out, &s) != PGL_OK)
		pgl_report(&s, "prediction failed");
}

PglPredictState *
pgl_predict_record(FunctionCallInfo fcinfo, PglWant want, int version_argno)
{
	PglPredictState *st = get_state(fcinfo, want, version_argno);
	HeapTupleHeader	 rec = PG_GETARG_HEAPTUPLEHEADER(1);

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

PglPredictState *
pgl_encode_input(FunctionCallInfo fcinfo, PglWant want, int version_argno, bool is_array,
				 bool is_bytea)
{
	PglPredictState *st = get_state(fcinfo, want, version_argno);

	if (is_bytea || pgl_nn_reads_array(st->model))
		return st;
	if (is_array)
		read_array(st, PG_GETARG_ARRAYTYPE_P(1));
	else
	{
		HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);

		map_row_type(st, rec, fcinfo->flinfo->fn_mcxt);
		read_record(st, rec);
	}
	encode_one(st);
	return st;
}

static PglPredictState *
predict_array(FunctionCallInfo fcinfo, PglWant want, int version_argno)
{
	PglPredictState *st = get_state(fcinfo, want, version_argno);

	if (pgl_nn_reads_array(st->model))
	{
		pgl_nn_predict_array(st->model, st->name, PG_GETARG_DATUM(1), FLOAT8ARRAYOID, st->out);
		return st;
	}
	read_array(st, PG_GETARG_ARRAYTYPE_P(1));
	predict_one(st);
	return st;
}

/*
 * The class ai_classify says (pgl_decide_class): for two classes by the
 * threshold argument when given, else by the model's threshold (or the most
 * probable class when it has none); the most probable for more classes.
 */
int
pgl_classify_index(FunctionCallInfo fcinfo, const char *name, const pgl_model *m,
				   const double *proba, int threshold_argno)
{
	double t = pgl_model_threshold(m);

	if (PG_NARGS() > threshold_argno && !PG_ARGISNULL(threshold_argno))
	{
		t = PG_GETARG_FLOAT8(threshold_argno);
		if (!(t > 0.0 && t < 1.0))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("threshold %g is not in (0, 1)", t),
							errhint("Give the probability of the positive class from which it is "
									"said, for example threshold => 0.3.")));
		if (m->n_classes != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a threshold needs a binary classifier, but model \"%s\" has %d "
							"classes",
							name, m->n_classes),
					 errhint("Leave threshold out: with more than two classes the most probable "
							 "class is said.")));
	}
	return pgl_decide_class(proba, m->n_classes, t);
}

/*
 * ai_classify_proba's result: the label and its probability, as a row of
 * the (label text, probability double precision) type every form returns
 * (its descriptor built and blessed once per backend).
 */
Datum
pgl_classification_row(const pgl_model *m, const double *proba, int c)
{
	static TupleDesc desc = NULL;
	Datum			 values[2];
	bool			 nulls[2] = {false, false};

	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	  d = CreateTemplateTupleDesc(2);

		TupleDescInitEntry(d, 1, "label", TEXTOID, -1, 0);
		TupleDescInitEntry(d, 2, "probability", FLOAT8OID, -1, 0);
		desc = BlessTupleDesc(d);
		MemoryContextSwitchTo(old);
	}
	values[0] = CStringGetTextDatum(m->classes[c]);
	values[1] = Float8GetDatum(proba[c]);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

static Datum
proba_array(PglPredictState *st)
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
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_FLOAT8(pgl_predict_record(fcinfo, PGL_WANT_VALUE, VERSION_ARG)->out[0]);
}

Datum
ai_predict_array(PG_FUNCTION_ARGS)
{
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_FLOAT8(predict_array(fcinfo, PGL_WANT_VALUE, VERSION_ARG)->out[0]);
}

Datum
ai_classify_record(PG_FUNCTION_ARGS)
{
	PglPredictState *st;

	RETURN_NULL_IF_NULL_ARGS();
	st = pgl_predict_record(fcinfo, PGL_WANT_CLASS, CLASSIFY_VERSION_ARG);
	PG_RETURN_TEXT_P(cstring_to_text(st->model->classes[pgl_classify_index(
		fcinfo, st->name, st->model, st->out, CLASSIFY_THRESHOLD_ARG)]));
}

Datum
ai_classify_array(PG_FUNCTION_ARGS)
{
	PglPredictState *st;

	RETURN_NULL_IF_NULL_ARGS();
	st = predict_array(fcinfo, PGL_WANT_CLASS, CLASSIFY_VERSION_ARG);
	PG_RETURN_TEXT_P(cstring_to_text(st->model->classes[pgl_classify_index(
		fcinfo, st->name, st->model, st->out, CLASSIFY_THRESHOLD_ARG)]));
}

Datum
ai_classify_proba_record(PG_FUNCTION_ARGS)
{
	PglPredictState *st;

	RETURN_NULL_IF_NULL_ARGS();
	st = pgl_predict_record(fcinfo, PGL_WANT_CLASS, CLASSIFY_VERSION_ARG);
	PG_RETURN_DATUM(pgl_classification_row(
		st->model, st->out,
		pgl_classify_index(fcinfo, st->name, st->model, st->out, CLASSIFY_THRESHOLD_ARG)));
}

Datum
ai_classify_proba_array(PG_FUNCTION_ARGS)
{
	PglPredictState *st;

	RETURN_NULL_IF_NULL_ARGS();
	st = predict_array(fcinfo, PGL_WANT_CLASS, CLASSIFY_VERSION_ARG);
	PG_RETURN_DATUM(pgl_classification_row(
		st->model, st->out,
		pgl_classify_index(fcinfo, st->name, st->model, st->out, CLASSIFY_THRESHOLD_ARG)));
}

Datum
ai_predict_proba_record(PG_FUNCTION_ARGS)
{
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_DATUM(proba_array(pgl_predict_record(fcinfo, PGL_WANT_PROBA, VERSION_ARG)));
}

Datum
ai_predict_proba_array(PG_FUNCTION_ARGS)
{
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_DATUM(proba_array(predict_array(fcinfo, PGL_WANT_PROBA, VERSION_ARG)));
}

/* cluster numbers are 1-based in SQL (0-based in the model) */
Datum
ai_cluster_record(PG_FUNCTION_ARGS)
{
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_INT32((int32) pgl_predict_record(fcinfo, PGL_WANT_CLUSTER, VERSION_ARG)->out[0] + 1);
}

Datum
ai_cluster_array(PG_FUNCTION_ARGS)
{
	RETURN_NULL_IF_NULL_ARGS();
	PG_RETURN_INT32((int32) predict_array(fcinfo, PGL_WANT_CLUSTER, VERSION_ARG)->out[0] + 1);
}
