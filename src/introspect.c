/*-------------------------------------------------------------------------
 *
 * introspect.c
 *	  What the deployed version of a model holds: ai_model_features,
 *	  ai_model_classes, ai_model_coefficients and ai_centroids.
 *
 *-------------------------------------------------------------------------
 */
#include "predict.h"
#include "data_reader.h"
#include "prep.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(ai_centroids);
PG_FUNCTION_INFO_V1(ai_model_classes);
PG_FUNCTION_INFO_V1(ai_model_features);
PG_FUNCTION_INFO_V1(ai_model_coefficients);

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

	pgl_check_task(name, m, PGL_WANT_CLASS);
	d = palloc(sizeof(Datum) * m->n_classes);
	for (int i = 0; i < m->n_classes; i++)
		d[i] = CStringGetTextDatum(m->classes[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m->n_classes, TEXTOID, -1, false, TYPALIGN_INT));
}

static const char *
feature_kind_name(const pgl_feature *feat)
{
	switch (feat->kind)
	{
		case PGL_FEATURE_NUMERIC:
			return "numeric";
		case PGL_FEATURE_DATE:
			return "date";
		case PGL_FEATURE_TIMESTAMP:
			return "timestamp";
		case PGL_FEATURE_ELEMENT:
			return "array element";
		case PGL_FEATURE_TEXT:
			return "text";
		case PGL_FEATURE_TOKENS:
			return "tokens";
		default:
			return "categorical";
	}
}

/*
 * How a feature becomes its inputs, as ai_model_features shows it
 * (docs/user-guide.md, "Column types").
 */
static char *
feature_encoding(const pgl_feature *feat)
{
	StringInfoData s;

	if (feat->kind == PGL_FEATURE_NUMERIC)
		return strcmp(feat->type_name, "interval") == 0 ? "seconds (extract(epoch from ...))"
														: "value";
	if (feat->kind == PGL_FEATURE_CATEGORICAL)
		return psprintf("one-hot over %d values", feat->n_categories);
	if (feat->kind == PGL_FEATURE_ELEMENT)
		return psprintf("element %d of %d", feat->element + 1, feat->length);
	if (feat->kind == PGL_FEATURE_TEXT)
		return psprintf("tf-idf over %d terms (1-%d grams%s)", feat->n_categories, feat->ngram_max,
						feat->sublinear ? ", sublinear tf" : "");
	if (feat->kind == PGL_FEATURE_TOKENS)
		return psprintf("%d token ids of a %s vocabulary of %d (0 padding, 1 unknown%s)",
						feat->length, feat->tokenizer == PGL_TOKENIZER_WORD ? "word" : "bpe",
						feat->n_categories + 2,
						feat->n_merges > 0 ? psprintf(", %d merges", feat->n_merges) : "");
	initStringInfo(&s);
	for (int k = 0; k < pgl_feature_width(feat) - 1; k++)
		appendStringInfo(&s, "%s, ", pgl_time_input_name(feat->kind, k));
	appendStringInfo(&s, "days since %s", pgl_time_text(PGL_FEATURE_DATE, feat->origin));
	if (strcmp(feat->type_name, "timestamp with time zone") == 0)
		appendStringInfoString(&s, " (in UTC)");
	return s.data;
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
		Datum			   values[6];
		bool			   nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(f + 1);
		values[1] = CStringGetTextDatum(pgl_feature_display_name(feat));
		values[2] = CStringGetTextDatum(feat->type_name);
		values[3] = CStringGetTextDatum(feature_kind_name(feat));
		values[4] = Int32GetDatum(pgl_feature_width(feat));
		values[5] = CStringGetTextDatum(feature_encoding(feat));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* the name of input k of a feature: "x", "color=red", "day_month_sin" */
static char *
input_name(const pgl_feature *feat, int k)
{
	if (feat->kind == PGL_FEATURE_NUMERIC || feat->kind == PGL_FEATURE_ELEMENT ||
		feat->kind == PGL_FEATURE_TOKENS)
		return pgl_feature_display_name(feat);
	if (feat->kind == PGL_FEATURE_CATEGORICAL)
		return psprintf("%s=%s", feat->name, feat->categories[k]);
	if (feat->kind == PGL_FEATURE_TEXT)
		return psprintf("%s:%s", feat->name, feat->categories[k]);
	return psprintf("%s_%s", feat->name, pgl_time_input_name(feat->kind, k));
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

	/* "column" for numbers, "column=value" for one-hot inputs, "column_part" for dates */
	input_names = palloc(sizeof(char *) * (m->n_inputs + 1));
	for (int f = 0; f < m->n_features; f++)
		for (int k = 0; k < pgl_feature_width(&m->features[f]); k++)
			input_names[col++] = input_name(&m->features[f], k);
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
