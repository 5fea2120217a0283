/*-------------------------------------------------------------------------
 *
 * drift_sql.c
 *	  ai_drift(name, data, version): the data compared, feature by feature,
 *	  with the training summaries stored in the model (src/algo/drift.h):
 *	  PSI and Kolmogorov-Smirnov for numbers, Jensen-Shannon distance for
 *	  categories, each against its documented threshold (docs/drift.md).
 *
 *-------------------------------------------------------------------------
 */
#include "drift_glue.h"

#include <math.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "drift.h"
#include "model_cache.h"
#include "prep.h"
#include "vocab.h"

PG_FUNCTION_INFO_V1(ai_drift);

#define DRIFT_COLS 8

/* the validated summaries of m, or an ERROR saying there are none */
static pgl_drift_feature *
model_summaries(const pgl_model *m, const char *name, pgl_env *env)
{
	pgl_drift_feature *feats;
	pgl_status		   st;

	memset(&st, 0, sizeof(st));
	if (m->n_features == 0)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("model \"%s\" has no features to check for drift", name),
						errdetail("A recommender scores (user, item) pairs from its factors."),
						errhint("ai_drift compares the feature columns of a model trained on "
								"rows.")));
	if (pgl_drift_load(env, m, &feats, PGL_ERR_CORRUPT, &st) != PGL_OK)
		pgl_report(&st, psprintf("model \"%s\" is corrupt", name));
	if (feats == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" has no training summaries to compare with", name),
				 errdetail("Summaries are stored by trainings from pg_learn 0.3.0 on that read "
						   "the rows (not \"method\": \"aggregate\", not an imported model)."),
				 errhint("Retrain the model with ai_train() to store them.")));
	return feats;
}

static void
put_row(ReturnSetInfo *rsinfo, const pgl_feature *feat, const char *kind, const char *statistic,
		const pgl_drift_stat *s, const pgl_drift_result *r)
{
	Datum values[DRIFT_COLS];
	bool  nulls[DRIFT_COLS] = {false};

	values[0] = CStringGetTextDatum(pgl_feature_display_name(feat));
	values[1] = CStringGetTextDatum(kind);
	values[2] = CStringGetTextDatum(statistic);
	values[3] = Float8GetDatum(s->value);
	values[4] = Float8GetDatum(s->threshold);
	values[5] = BoolGetDatum(s->value > s->threshold);
	values[6] = Float8GetDatum(r->unseen_share);
	values[7] = Float8GetDatum(r->null_share);
	nulls[3] = nulls[5] = isnan(s->value);
	nulls[6] = isnan(r->unseen_share);
	nulls[7] = isnan(r->null_share);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* a categorical column against its summary: counts by top value, other, unseen */
static void
categorical(PglDataSet *ds, PglColumn *c, const pgl_feature *feat, const pgl_drift_feature *d,
			pgl_drift_result *r)
{
	int32	nv = pgl_vocab_size(c->vocab);
	int32  *top = palloc(sizeof(int32) * Max(nv, 1));
	bool   *unseen = palloc(sizeof(bool) * Max(nv, 1));
	int64  *counts = palloc0(sizeof(int64) * (d->n + 1));
	int64	nulls = 0, n_unseen = 0;
	double *v = pgl_column_values(ds, c, PGL_TRAIN);
	bool   *nl = c->nulls[PGL_TRAIN];

	/* once per distinct value */
	for (int32 i = 0; i < nv; i++)
	{
		const char *s = pgl_vocab_string(c->vocab, i);

		top[i] = pgl_drift_find_value(d, s);
		if (top[i] < 0)
			top[i] = d->n;
		unseen[i] = pgl_category_find(feat, s, strlen(s)) < 0;
	}
	for (int64 i = 0; i < ds->part[PGL_TRAIN].n; i++)
	{
		int32 code;

		if (nl && nl[i])
		{
			nulls++;
			continue;
		}
		code = (int32) v[i];
		counts[top[code]]++;
		n_unseen += unseen[code];
	}
	pgl_drift_categorical(d, counts, nulls, n_unseen, r);
}

/* the rows of one feature */
static void
feature_rows(ReturnSetInfo *rsinfo, PglDataSet *ds, const pgl_model *m, int f,
			 const pgl_drift_feature *d, const char *name, pgl_env *env)
{
	const pgl_feature *feat = &m->features[f];
	PglColumn		  *c = pgl_drift_column(ds, feat);
	pgl_drift_result   r;
	pgl_status		   st;

	if (c == NULL || !pgl_column_fits_feature(c, feat))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of the data cannot be compared with feature \"%s\" of model "
						"\"%s\" (%s, %s)",
						c ? c->name : feat->name, pgl_feature_display_name(feat), name,
						pgl_feature_kind_noun(feat), feat->type_name),
				 errhint("Cast the column in a SELECT to the type used in training.")));
	memset(&st, 0, sizeof(st));
	if (d->kind == PGL_DRIFT_NUMERIC)
	{
		if (pgl_drift_numeric(env, d, pgl_column_values(ds, c, PGL_TRAIN), c->nulls[PGL_TRAIN],
							  ds->part[PGL_TRAIN].n, &r, &st) != PGL_OK)
			pgl_report(&st, "drift check failed");
		put_row(rsinfo, feat, "numeric", "psi", &r.psi, &r);
		put_row(rsinfo, feat, "numeric", "ks", &r.ks, &r);
	}
	else
	{
		categorical(ds, c, feat, d, &r);
		put_row(rsinfo, feat, "categorical", "js", &r.js, &r);
	}
}

Datum
ai_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	  *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			  *name;
	char			  *data;
	int64			   version_id;
	const pgl_model	  *m;
	pgl_drift_feature *feats;
	MemoryContext	   cxt, old;
	PglDataSet		  *ds;
	List			  *only = NIL;
	pgl_env			   env;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("name and data of ai_drift must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	data = text_to_cstring(PG_GETARG_TEXT_PP(1));
	m = pgl_model_get_version(name, pgl_version_arg(fcinfo, 2), &version_id);
	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn drift", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	env = pgl_backend_env(cxt);
	feats = model_summaries(m, name, &env);

	/* the columns of the summarized features (copies: the query may evict the model) */
	for (int f = 0; f < m->n_features; f++)
		if (feats[f].kind != PGL_DRIFT_NONE)
			only = lappend(only, pstrdup(m->features[f].name));
	ds = pgl_read_data(data, NULL, PGL_COL_AUTO, NIL, only, pgl_algo_by_id(m->algorithm)->name, 0.0,
					   0, NULL, NULL);
	m = pgl_model_by_version(version_id, name);
	feats = model_summaries(m, name, &env);
	if (ds->n_rows == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to check for drift"),
						errdetail("The data returned no rows.")));
	for (int f = 0; f < m->n_features; f++)
		if (feats[f].kind != PGL_DRIFT_NONE)
			feature_rows(rsinfo, ds, m, f, &feats[f], name, &env);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
