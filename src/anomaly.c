/*-------------------------------------------------------------------------
 *
 * anomaly.c
 *	  ai_detect_anomalies(name, row, threshold => NULL, version => NULL)
 *	  -> (is_anomaly, score), and the anomaly task's hooks in ai_train.
 *
 * The function dispatches on the model's family through the families[]
 * table below.  A family whose algorithm has the anomaly_score op
 * (algorithms.h: isolation_forest) needs no entry: the row is encoded as
 * for ai_predict and scored by the op; a row is an anomaly when its score
 * is above the threshold (the one given, else the model's stored
 * "anomaly_threshold").  A family that scores rows another way adds one
 * line with its score function: the forecast family (a point outside the
 * prediction interval, through pgl_forecast_interval_cached: one forecast
 * per series and call site, not one per row).  neural_net
 * autoencoders ("task": "autoencoder", nn_train.c) use the op: their
 * predict is the reconstruction error.
 *
 *-------------------------------------------------------------------------
 */
#include "anomaly.h"
#include "predict.h"
#include "train_glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "forecast/family.h"
#include "forecast/fc.h"
#include "forecast_glue.h"
#include "iforest.h"

PG_FUNCTION_INFO_V1(ai_detect_anomalies_record);

/* the arguments of ai_detect_anomalies */
#define ARG_THRESHOLD 2
#define ARG_VERSION	  3

/*
 * A family that scores rows other than by its anomaly_score op.  score
 * sets *score and *threshold (the stored one) for the row argument; NULL
 * means not supported yet, with the detail given.
 */
typedef struct PglAnomalyFamily
{
	int32		algorithm;
	const char *what; /* the family, in messages */
	void (*score)(FunctionCallInfo fcinfo, PglPredictState *st, double *score, double *threshold,
				  double *max);
	const char *missing; /* score NULL: why, as errdetail */
	const char *hint;
} PglAnomalyFamily;

static void forecast_score(FunctionCallInfo fcinfo, PglPredictState *st, double *score,
						   double *threshold, double *max);

static const PglAnomalyFamily families[] = {
	{PGL_ALGO_FORECAST, "forecast", forecast_score, NULL, NULL},
};

static const PglAnomalyFamily *
family_of(const pgl_model *m)
{
	for (size_t i = 0; i < lengthof(families); i++)
		if (families[i].algorithm == m->algorithm)
			return &families[i];
	return NULL;
}

void
pgl_anomaly_check_model(const char *name, const pgl_model *m)
{
	const pgl_algo_ops	   *ops = pgl_algo_by_id(m->algorithm);
	const PglAnomalyFamily *fam = family_of(m);

	if (fam != NULL && fam->score == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_detect_anomalies does not support %s models yet, such as \"%s\"",
							   fam->what, name),
						errdetail("%s", fam->missing), errhint("%s", fam->hint)));
	/* a family with the op may also train other tasks (a neural_net: autoencoders only) */
	if (fam == NULL && (ops == NULL || ops->anomaly_score == NULL || m->task != PGL_TASK_ANOMALY))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" (%s) does not detect anomalies", name,
						ops ? ops->name : "unknown"),
				 errhint("Train an anomaly model, e.g. ai_train(name, 'isolation_forest', data) "
						 "or a neural_net with \"task\": \"autoencoder\", and pass it to "
						 "ai_detect_anomalies().")));
}

/* the rows families: the row encoded as for ai_predict, scored by the op */
static void
rows_score(FunctionCallInfo fcinfo, PglPredictState *st, double *score, double *threshold,
		   double *max)
{
	pgl_env			  env = pgl_backend_env(CurrentMemoryContext);
	const pgl_tensor *t;
	pgl_status		  s;

	st = pgl_encode_input(fcinfo, PGL_WANT_ANOMALY, ARG_VERSION, false, false);
	t = pgl_model_tensor(st->model, "anomaly_threshold");
	memset(&s, 0, sizeof(s));
	if (st->ops->anomaly_score(&env, st->model, st->x, 1, 1, score, &s) != PGL_OK)
		pgl_report(&s, "anomaly scoring failed");
	if (t == NULL || t->dtype != PGL_F64 || pgl_tensor_count(t) != 1)
		elog(ERROR, "pg_learn: anomaly model \"%s\" has no threshold", st->name);
	*threshold = *(const double *) t->data;
	*max = st->ops->anomaly_score_max;
}

/* the field named col of the row argument: its value, type and NULL flag */
static Datum
row_field(HeapTupleHeader row, TupleDesc d, const char *col, const char *name, Oid *type,
		  bool *isnull)
{
	for (int i = 0; i < d->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(d, i);
		HeapTupleData	  t;

		if (a->attisdropped || strcmp(NameStr(a->attname), col) != 0)
			continue;
		t.t_len = HeapTupleHeaderGetDatumLength(row);
		t.t_data = row;
		*type = a->atttypid;
		return heap_getattr(&t, i + 1, d, isnull);
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("the row has no column \"%s\", which forecast model \"%s\" reads", col, name),
			 errhint("Pass a row with the training's time, series and value columns.")));
	return (Datum) 0; /* not reached */
}

/*
 * A forecast model: the row's (time, series, value) against the band of
 * its series at that time.  The score is the two-sided probability of the
 * band whose edge the value sits on (erf(|value - forecast| / (sigma
 * sqrt 2)), sigma from the model's band on the value's side), so a row is
 * an anomaly at threshold p when it lies outside the band at level p; the
 * default threshold is the model's "level".  A NULL value scores NULL.
 */
static void
forecast_score(FunctionCallInfo fcinfo, PglPredictState *st, double *score, double *threshold,
			   double *max)
{
	const pgl_model *m = st->model;
	char		   **cols = pgl_model_tensor(m, "fc_columns")->data;
	double			 level = ((const double *) pgl_model_tensor(m, "fc_meta")->data)[PGL_FCM_LEVEL];
	HeapTupleHeader	 row = PG_GETARG_HEAPTUPLEHEADER(1);
	TupleDesc		 d =
		lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row), HeapTupleHeaderGetTypMod(row));
	Oid			type;
	bool		isnull;
	Datum		x;
	TimestampTz ts;
	char	   *series = NULL;
	double		v, f, lo, hi, z, side;

	*threshold = level;
	*max = 1;
	*score = NAN;
	x = row_field(row, d, cols[0], st->name, &type, &isnull);
	if (isnull)
	{
		ReleaseTupleDesc(d);
		return;
	}
	if (type == DATEOID)
		ts = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, x));
	else if (type == TIMESTAMPOID)
		ts = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz, x));
	else if (type == TIMESTAMPTZOID)
		ts = DatumGetTimestampTz(x);
	else
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("column \"%s\" of the row is %s, not a date or timestamp", cols[0],
							   format_type_be(type))));
	if (cols[1][0])
	{
		Oid	 out;
		bool varlena;

		x = row_field(row, d, cols[1], st->name, &type, &isnull);
		if (isnull)
		{
			ReleaseTupleDesc(d);
			return;
		}
		getTypeOutputInfo(type, &out, &varlena);
		series = OidOutputFunctionCall(out, x);
	}
	x = row_field(row, d, m->target_name, st->name, &type, &isnull);
	ReleaseTupleDesc(d);
	if (isnull)
		return;
	switch (type)
	{
		case FLOAT8OID:
			v = DatumGetFloat8(x);
			break;
		case FLOAT4OID:
			v = DatumGetFloat4(x);
			break;
		case INT2OID:
			v = DatumGetInt16(x);
			break;
		case INT4OID:
			v = DatumGetInt32(x);
			break;
		case INT8OID:
			v = (double) DatumGetInt64(x);
			break;
		case NUMERICOID:
			v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, x));
			break;
		default:
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
							errmsg("column \"%s\" of the row is %s, not a number", m->target_name,
								   format_type_be(type))));
	}
	pgl_forecast_interval_cached(m, st->cm.version_id, st->name, series, ts, level, &f, &lo, &hi,
								 &st->family_cache, fcinfo->flinfo->fn_mcxt);
	/* the band's half-width on the value's side, in standard deviations at level */
	z = pgl_fc_z(level);
	side = v >= f ? hi - f : f - lo;
	if (!(side > 0) || !isfinite(v))
		*score = v == f ? 0 : 1;
	else
		*score = erf(fabs(v - f) * z / (side * sqrt(2.0)));
}

/* the (is_anomaly, score) row */
static Datum
anomaly_row(bool is_anomaly, double score)
{
	static TupleDesc desc = NULL;
	Datum			 values[2];
	bool			 nulls[2] = {isnan(score), isnan(score)};

	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	  d = CreateTemplateTupleDesc(2);

		TupleDescInitEntry(d, 1, "is_anomaly", BOOLOID, -1, 0);
		TupleDescInitEntry(d, 2, "score", FLOAT8OID, -1, 0);
		desc = BlessTupleDesc(d);
		MemoryContextSwitchTo(old);
	}
	values[0] = BoolGetDatum(is_anomaly);
	values[1] = Float8GetDatum(score);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

Datum
ai_detect_anomalies_record(PG_FUNCTION_ARGS)
{
	PglPredictState		   *st;
	const PglAnomalyFamily *fam;
	double					score = 0, threshold = 0, max = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	st = pgl_predict_state(fcinfo, PGL_WANT_ANOMALY, ARG_VERSION);
	fam = family_of(st->model);
	if (fam != NULL)
		fam->score(fcinfo, st, &score, &threshold, &max);
	else
		rows_score(fcinfo, st, &score, &threshold, &max);
	if (!PG_ARGISNULL(ARG_THRESHOLD))
	{
		double t = PG_GETARG_FLOAT8(ARG_THRESHOLD);

		if (!(t > 0 && isfinite(t) && (max <= 0 || t < max)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("threshold must be %s for model \"%s\", not %g",
							max > 0 ? psprintf("between 0 and %g (both excluded)", max)
									: "a finite number above 0",
							st->name, t),
					 errhint("Leave it NULL for the model's own threshold, %.3f.", threshold)));
		threshold = t;
	}
	PG_RETURN_DATUM(anomaly_row(score > threshold, score));
}

/* ---------- training ---------- */

void
pgl_anomaly_check_train(PglTrainCall *c)
{
	if (c->target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes no target column, but \"%s\" was given", c->algorithm, c->target),
				 errhint("Anomaly detection learns from every column except those in \"exclude\"; "
						 "call ai_train(name, '%s', data) without a target, and leave a label "
						 "column out with \"exclude\".",
						 c->algorithm)));
	if (c->opts.deploy_if_better)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"deploy\": \"if_better\" does not apply to %s", c->algorithm),
				 errdetail("An anomaly model has no hold-out metric to compare versions by."),
				 errhint("Deploy with true (the default) or false.")));
}

void
pgl_anomaly_metrics(PglTrainCall *c, const double *X, int64 ld, int64 n, StringInfo buf)
{
	const pgl_model	 *m = c->m;
	const pgl_tensor *t = pgl_model_tensor(m, "anomaly_threshold");
	double			  thr = *(const double *) t->data, sum = 0;
	double			 *score = palloc_extended(sizeof(double) * (n + 1), MCXT_ALLOC_HUGE);
	int64			  flagged = 0;
	pgl_status		  st;

	memset(&st, 0, sizeof(st));
	if (n > 0 && c->ops->anomaly_score(&c->env, m, X, ld, n, score, &st) != PGL_OK)
		pgl_report(&st, "evaluating the model failed");
	for (int64 i = 0; i < n; i++)
	{
		flagged += score[i] > thr;
		sum += score[i];
	}
	appendStringInfo(buf,
					 "\"train\": {\"n\": " INT64_FORMAT ", \"anomalies\": " INT64_FORMAT
					 ", \"anomaly_rate\": %.10g, \"mean_score\": %.10g, \"threshold\": %.10g}",
					 n, flagged, n > 0 ? (double) flagged / n : 0.0, n > 0 ? sum / n : 0.0, thr);
	if (m->algorithm == PGL_ALGO_ISOLATION_FOREST)
	{
		const double *cfg = pgl_model_tensor(m, "config")->data;

		appendStringInfo(buf,
						 ", \"n_estimators\": %d, \"max_samples\": %d, \"max_features\": %d, "
						 "\"contamination\": %s",
						 (int) cfg[0], (int) cfg[1], (int) cfg[2],
						 cfg[3] > 0 ? psprintf("%.10g", cfg[3]) : "\"auto\"");
	}
	pfree(score);
}
