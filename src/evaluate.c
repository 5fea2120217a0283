/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  ai_evaluate() and the metrics JSON shared with ai_train().
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "vocab.h"
#include "data_reader.h"
#include "model_cache.h"
#include "evaluate.h"
#include "forecast_glue.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "classifier.h"
#include "nn_glue.h"
#include "metrics.h"
#include "prep.h"
#include "recommend.h"
#include "text_glue.h"

PG_FUNCTION_INFO_V1(ai_evaluate);

static void
append_number(StringInfo buf, const char *key, double v, bool comma)
{
	if (comma)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	if (isfinite(v))
		appendStringInfo(buf, ": %.10g", v);
	else
		appendStringInfoString(buf, ": null");
}

void
pgl_metrics_json(StringInfo buf, const pgl_model *m, int64 n, const double *y, const int32 *label,
				 const double *pred)
{
	if (m->task == PGL_TASK_REGRESSION)
	{
		pgl_regression_metrics rm;

		pgl_regression_metrics_compute(y, pred, n, &rm);
		appendStringInfo(buf, "{\"n\": " INT64_FORMAT, n);
		append_number(buf, "r2", rm.r2, true);
		append_number(buf, "rmse", rm.rmse, true);
		append_number(buf, "mae", rm.mae, true);
		appendStringInfoChar(buf, '}');
	}
	else
	{
		pgl_class_metrics cm;
		pgl_status		  st;
		pgl_env			  env = pgl_backend_env(CurrentMemoryContext);
		int				  k = m->n_classes;

		memset(&st, 0, sizeof(st));
		if (pgl_class_metrics_threshold(&env, label, pred, n, k, pgl_model_threshold(m), &cm,
										&st) != PGL_OK)
			pgl_report(&st, "computing metrics failed");
		appendStringInfo(buf, "{\"n\": " INT64_FORMAT, n);
		append_number(buf, "accuracy", cm.accuracy, true);
		append_number(buf, "precision_macro", cm.precision_macro, true);
		append_number(buf, "recall_macro", cm.recall_macro, true);
		append_number(buf, "f1_macro", cm.f1_macro, true);
		append_number(buf, "log_loss", cm.log_loss, true);
		if (k == 2)
			append_number(buf, "roc_auc", cm.roc_auc, true);
		appendStringInfoString(buf, ", \"per_class\": {");
		for (int c = 0; c < k; c++)
		{
			if (c)
				appendStringInfoString(buf, ", ");
			escape_json(buf, m->classes[c]);
			appendStringInfoString(buf, ": {");
			append_number(buf, "precision", cm.precision[c], false);
			append_number(buf, "recall", cm.recall[c], true);
			append_number(buf, "f1", cm.f1[c], true);
			appendStringInfo(buf, ", \"support\": " INT64_FORMAT "}", cm.support[c]);
		}
		appendStringInfoString(buf, "}, \"confusion\": {\"labels\": [");
		for (int c = 0; c < k; c++)
		{
			if (c)
				appendStringInfoString(buf, ", ");
			escape_json(buf, m->classes[c]);
		}
		appendStringInfoString(buf, "], \"matrix\": [");
		for (int a = 0; a < k; a++)
		{
			appendStringInfo(buf, "%s[", a ? ", " : "");
			for (int p = 0; p < k; p++)
				appendStringInfo(buf, "%s" INT64_FORMAT, p ? ", " : "", cm.confusion[a * k + p]);
			appendStringInfoChar(buf, ']');
		}
		appendStringInfoString(buf, "]}}");
		pgl_class_metrics_free(&env, &cm);
	}
}

int32 *
pgl_class_map(PglVocab *vocab, const pgl_model *m)
{
	int32  nv = pgl_vocab_size(vocab);
	int32 *map = palloc(sizeof(int32) * (nv + 1));

	for (int32 i = 0; i < nv; i++)
	{
		const char *s = pgl_vocab_string(vocab, i);

		map[i] = -1;
		for (int32 c = 0; c < m->n_classes; c++)
			if (strcmp(m->classes[c], s) == 0)
				map[i] = c;
	}
	return map;
}

/* the target's labels as class numbers of model m; ERROR on a label it does not know */
static int32 *
class_labels(PglDataSet *ds, const pgl_model *m, const char *name)
{
	int64	n = ds->n_rows;
	int32	nv = pgl_vocab_size(ds->target->vocab);
	int32  *map = pgl_class_map(ds->target->vocab, m);
	int32  *label;
	double *t;

	for (int32 i = 0; i < nv; i++)
	{
		const char *s = pgl_vocab_string(ds->target->vocab, i);

		if (map[i] < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("label \"%s\" of target \"%s\" is not a class of model \"%s\"",
								   s, m->target_name, name),
							errhint("The model knows the classes listed by ai_model_classes('%s'); "
									"filter the other rows out.",
									name)));
	}
	label = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	t = pgl_column_values(ds, ds->target, PGL_TRAIN);
	for (int64 r = 0; r < n; r++)
		label[r] = map[(int32) t[r]];
	return label;
}

/*
 * Predictions of model version version_id on data (a table, view or
 * SELECT holding the features and the target), into *out: rows with a
 * NULL target are skipped.  Allocations in the current memory context;
 * *m is set to the model as found again after reading the data (the data's
 * query may have used other models and evicted this one).  ERROR on data
 * without the target, a feature column of another type, no rows, or a
 * label the model does not know.
 */
void
pgl_predict_on_data(const char *name, int64 version_id, const char *data, const pgl_model **mp,
					PglPredictions *out)
{
	const pgl_model	   *m = *mp;
	const pgl_algo_ops *ops = pgl_algo_by_id(m->algorithm);
	bool				classification = m->task == PGL_TASK_CLASSIFICATION;
	PglDataSet		   *ds;
	List			   *only = NIL;
	const double	  **raw;
	const bool		  **rnull;
	int64				n;
	double			   *X;
	pgl_env				env;
	pgl_status			st;

	memset(out, 0, sizeof(*out));
	/* copies: the data's query may empty the model cache (eviction, a changed blob) */
	for (int f = 0; f < m->n_features; f++)
		only = lappend(only, pstrdup(m->features[f].name));
	ds = pgl_read_data(data, pstrdup(m->target_name),
					   classification ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC, NIL, only,
					   pgl_algo_by_id(m->algorithm)->name, 0.0, 0, NULL, NULL);
	/* the data's query may have used other models and evicted this one */
	m = *mp = pgl_model_by_version(version_id, name);
	pgl_check_feature_columns(ds, m, name);
	n = ds->n_rows;
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to evaluate on"),
						errdetail("The data returned no rows with a non-NULL target \"%s\".",
								  m->target_name)));

	/* map the data's categories onto the model's vocabularies */
	raw = palloc(sizeof(double *) * (m->n_features + 1));
	rnull = palloc(sizeof(bool *) * (m->n_features + 1));
	for (int f = 0; f < m->n_features; f++)
	{
		PglColumn		  *c = &ds->features[f];
		const pgl_feature *feat = &m->features[f];

		if (!pgl_column_fits_feature(c, feat))
			ereport(
				ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s, but model \"%s\" was trained on it as %s (%s)",
						c->name, c->type_name, name, pgl_feature_kind_noun(feat), feat->type_name),
				 errhint("Cast the column in a SELECT to the type used in training.")));
		if (c->kind == PGL_COL_CATEGORICAL)
		{
			int32  nv = pgl_vocab_size(c->vocab);
			int32 *map = palloc(sizeof(int32) * (nv + 1));

			for (int32 i = 0; i < nv; i++)
			{
				const char *s = pgl_vocab_string(c->vocab, i);

				map[i] = pgl_category_find(feat, s, strlen(s));
			}
			{
				double *v = pgl_column_values(ds, c, PGL_TRAIN);
				bool   *nl = c->nulls[PGL_TRAIN];

				for (int64 r = 0; r < n; r++)
					if (!(nl && nl[r]))
						v[r] = map[(int32) v[r]];
			}
		}
		raw[f] = pgl_column_values(ds, c, PGL_TRAIN);
		rnull[f] = c->nulls[PGL_TRAIN];
	}
	if (classification)
		out->label = class_labels(ds, m, name);

	pgl_check_memory(ds->bytes + (Size) n * (m->n_inputs + (classification ? m->n_classes : 1)) *
									 sizeof(double),
					 psprintf("evaluating on " INT64_FORMAT " rows", n));
	X = palloc_extended(sizeof(double) * n * (m->n_inputs > 0 ? m->n_inputs : 1), MCXT_ALLOC_HUGE);
	pgl_encode_rows(m, raw, rnull, NULL, n, X);
	out->pred =
		palloc_extended(sizeof(double) * n * (classification ? m->n_classes : 1), MCXT_ALLOC_HUGE);

	pgl_set_blas_threads();
	env = pgl_backend_env(CurrentMemoryContext);
	memset(&st, 0, sizeof(st));
	if (ops->predict(&env, m, X, n, n, out->pred, &st) != PGL_OK)
		pgl_report(&st, "prediction failed");
	pfree(X);
	out->n = n;
	out->y = pgl_column_values(ds, ds->target, PGL_TRAIN);
}

/*
 * ai_evaluate(name, data, version): metrics of a version (the deployed one
 * when version is NULL) on data holding the target.
 */
Datum
ai_evaluate(PG_FUNCTION_ARGS)
{
	char			*name;
	char			*data;
	int64			 version_id;
	const pgl_model *m;
	MemoryContext	 cxt, old;
	PglPredictions	 p;
	StringInfoData	 buf;
	Datum			 result;

	/* not STRICT: a NULL version means the deployed one */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	data = text_to_cstring(PG_GETARG_TEXT_PP(1));
	m = pgl_model_get_version(name, pgl_version_arg(fcinfo, 2), &version_id);
	if (m->task == PGL_TASK_RECOMMENDATION)
		PG_RETURN_DATUM(pgl_evaluate_recommender(name, version_id, data));
	if (m->task == PGL_TASK_FORECAST) /* later periods of its series: forecast_glue_predict.c */
		PG_RETURN_DATUM(pgl_forecast_evaluate(name, version_id, data));
	if (m->task == PGL_TASK_CLUSTERING)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_evaluate does not evaluate clustering model \"%s\"", name),
						errdetail("A clustering model has no target to compare with; its training "
								  "metrics hold the inertia and the silhouette."),
						errhint("Assign rows to clusters with ai_cluster().")));
	if (m->task == PGL_TASK_ANOMALY)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_evaluate does not evaluate anomaly model \"%s\"", name),
						errdetail("An anomaly model has no target to compare with; its training "
								  "metrics hold the share of training rows above its threshold."),
						errhint("Score rows with ai_detect_anomalies(), and compare the flags "
								"with known labels in SQL.")));

	if (pgl_nn_reads_array(m)) /* a network over a tensor column: nn_predict.c */
		PG_RETURN_DATUM(pgl_nn_evaluate(name, version_id, data));

	pgl_text_refuse(m, name, "ai_evaluate");
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn evaluate", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	pgl_predict_on_data(name, version_id, data, &m, &p);
	initStringInfo(&buf);
	pgl_metrics_json(&buf, m, p.n, p.y, p.label, p.pred);

	MemoryContextSwitchTo(old);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	MemoryContextDelete(cxt);
	PG_RETURN_DATUM(result);
}
