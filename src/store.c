/*-------------------------------------------------------------------------
 *
 * store.c
 *	  The store step of the training pipeline, shared by every family and
 *	  by the background jobs (which call ai_train): quantized storage,
 *	  serialization, "deploy" (true, false or "if_better" by "metric"),
 *	  the catalog insert, "keep_versions", and ai_train's result row.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "options.h"
#include "catalog.h"
#include "distribute.h"
#include "progress.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "algorithms.h"
#include "model_format.h"
#include "store.h"

/*
 * Quantized storage: encode the weights and factors as the "storage" option
 * asks, replacing them by the values the stored model will have (so the
 * metrics computed after it are the stored model's).
 */
void
pgl_apply_storage(const pgl_env *env, pgl_model *m, int kind)
{
	pgl_status st;

	memset(&st, 0, sizeof(st));
	if (pgl_model_set_storage(env, m, kind, &st) != PGL_OK)
		ereport(ERROR,
				(errcode(st.rc == PGL_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY
												: ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the model cannot be stored as the \"storage\" option asks: %s", st.msg),
				 errhint("Use \"storage\": \"float32\" or \"int8\", or leave the option out "
						 "(float64).")));
}

/* ---------- "deploy": "if_better" ---------- */

/* a number of a metrics object: its hold-out ("test"), else training, else top level */
static bool
metric_value(Jsonb *metrics, const char *metric, double *out)
{
	static const char *const parts[] = {"test", "train", NULL};

	for (int i = 0; i <= 2; i++)
	{
		JsonbContainer *c = &metrics->root;
		JsonbValue		pv, v;

		if (parts[i])
		{
			if (!getKeyJsonValueFromContainer(c, parts[i], strlen(parts[i]), &pv) ||
				pv.type != jbvBinary || JsonContainerIsArray(pv.val.binary.data))
				continue;
			c = pv.val.binary.data;
		}
		if (getKeyJsonValueFromContainer(c, metric, strlen(metric), &v) && v.type == jbvNumeric)
		{
			*out =
				DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
			return isfinite(*out);
		}
	}
	return false;
}

/* "a, b" of the numeric metrics of the hold-out (else training) object */
static char *
metric_names(Jsonb *metrics)
{
	StringInfoData s;
	JsonbValue	   pv, v;
	JsonbIterator *it;
	int			   tok;
	char		  *key = NULL;

	initStringInfo(&s);
	if ((!getKeyJsonValueFromContainer(&metrics->root, "test", 4, &pv) &&
		 !getKeyJsonValueFromContainer(&metrics->root, "train", 5, &pv)) ||
		pv.type != jbvBinary)
		return "none";
	it = JsonbIteratorInit(pv.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE && v.type == jbvNumeric && strcmp(key, "n") != 0)
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", key);
	}
	return s.len ? s.data : "none";
}

/* "ndcg@k" -> "ndcg@10" with the model's ranking cutoff (metrics "k") */
static char *
metric_name(const char *pattern, Jsonb *metrics)
{
	size_t	   n = strlen(pattern);
	JsonbValue v;

	if (n > 2 && strcmp(pattern + n - 2, "@k") == 0 &&
		getKeyJsonValueFromContainer(&metrics->root, "k", 1, &v) && v.type == jbvNumeric)
		return psprintf(
			"%.*s@%s", (int) (n - 1) - 1, pattern,
			DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))));
	return pstrdup(pattern);
}

/* the metric to compare: the one named, else the first of the defaults the version has */
static char *
choose_metric(const PglTrainOptions *opts, int32 task, Jsonb *metrics, double *value)
{
	const char *list = opts->metric ? opts->metric : pgl_algo_default_metric(opts->ops, task);
	char	   *copy = pstrdup(list);
	char	   *save = NULL;

	for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save))
	{
		char *name = opts->metric ? pstrdup(w) : metric_name(w, metrics);

		if (metric_value(metrics, name, value))
			return name;
	}
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the new version has no metric \"%s\" to compare", list),
					errdetail("Its metrics are: %s.", metric_names(metrics)),
					errhint("Name one of its metrics with the option \"metric\", or deploy with "
							"\"deploy\": true.")));
	return NULL;
}

/*
 * "if_better": compare the new version's metric with the live version's
 * (lower or higher is better by the metric).  Appends the decision to
 * metrics as "if_better": {metric, new, live, live_version, deployed}.
 */
static bool
decide_if_better(const char *name, const PglTrainOptions *opts, int32 task, StringInfo metrics)
{
	Jsonb *mine = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics->data)));
	double a, b = 0;
	char  *metric = choose_metric(opts, task, mine, &a);
	PglOwnerSwitch sw;
	Oid			   types[1] = {TEXTOID};
	Datum		   values[1] = {CStringGetTextDatum(name)};
	int32		   live = 0;
	bool		   have_live = false, deploy;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgl_catalog_become_owner(&sw);
	if (SPI_execute_with_args(
			psprintf("SELECT v.version, v.metrics FROM %s.ai_catalog_models m "
					 "JOIN %s.ai_catalog_versions v ON v.%s OPERATOR(pg_catalog.=) m.name "
					 "AND v.version OPERATOR(pg_catalog.=) m.deployed_version "
					 "WHERE m.name OPERATOR(pg_catalog.=) $1",
					 pgl_catalog_schema(), pgl_catalog_schema(), pgl_catalog_col("name")),
			1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: could not read the live version");
	if (SPI_processed == 1)
	{
		bool  isnull;
		Datum j = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		live =
			DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		have_live = metric_value(DatumGetJsonbP(j), metric, &b);
	}
	pgl_catalog_restore_user(&sw);
	SPI_finish();

	/* no live version, or one without this metric: nothing to beat */
	deploy = !have_live || (pgl_metric_lower_is_better(metric) ? a <= b : a >= b);
	Assert(metrics->data[metrics->len - 1] == '}');
	metrics->data[--metrics->len] = '\0';
	appendStringInfo(metrics, ", \"if_better\": {\"metric\": \"%s\", \"new\": %.10g", metric, a);
	if (have_live)
		appendStringInfo(metrics, ", \"live\": %.10g, \"live_version\": %d", b, live);
	appendStringInfo(metrics, ", \"deployed\": %s}}", deploy ? "true" : "false");
	return deploy;
}

/* ---------- "keep_versions" ---------- */

/* drop the versions beyond the newest keep, never the deployed one */
static void
prune_versions(const char *name, int keep)
{
	PglOwnerSwitch sw;
	Oid			   types[2] = {TEXTOID, INT4OID};
	Datum		   values[2] = {CStringGetTextDatum(name), Int32GetDatum(keep)};
	const char	  *s;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgl_catalog_become_owner(&sw);
	s = pgl_catalog_schema();
	if (SPI_execute_with_args(
			psprintf("DELETE FROM %s.ai_catalog_versions v "
					 "WHERE v.%s OPERATOR(pg_catalog.=) $1 "
					 "AND v.version IS DISTINCT FROM (SELECT m.deployed_version "
					 "FROM %s.ai_catalog_models m WHERE m.name OPERATOR(pg_catalog.=) $1) "
					 "AND v.version OPERATOR(pg_catalog.<=) (SELECT w.version "
					 "FROM %s.ai_catalog_versions w WHERE w.%s OPERATOR(pg_catalog.=) $1 "
					 "ORDER BY w.version DESC OFFSET $2 LIMIT 1)",
					 s, pgl_catalog_col("name"), s, s, pgl_catalog_col("name")),
			2, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pg_learn: could not prune the versions of \"%s\"", name);
	if (SPI_processed > 0)
		pgl_distribute_changed(name, 0);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
}

/* ---------- the store step ---------- */

static bytea *
serialize(const pgl_env *env, const pgl_model *m)
{
	pgl_status st;
	uint8_t	  *buf;
	size_t	   buflen;
	bytea	  *blob;

	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &buf, &buflen, &st) != PGL_OK)
		pgl_report(&st, "could not serialize the model");
	blob = palloc_extended(VARHDRSZ + buflen, MCXT_ALLOC_HUGE);
	SET_VARSIZE(blob, VARHDRSZ + buflen);
	memcpy(VARDATA(blob), buf, buflen);
	return blob;
}

/*
 * The common end of every training: serialize the model, decide whether it
 * goes live, store it as a new version, prune, and build ai_train's result
 * row in out_cxt.  Runs in the training's memory context.
 */
Datum
pgl_store_trained(FunctionCallInfo fcinfo, MemoryContext out_cxt, const pgl_env *env,
				  const pgl_model *m, const PglTrained *t)
{
	instr_time	   elapsed;
	PglNewVersion  nv;
	TupleDesc	   desc;
	Datum		   values[7];
	bool		   nulls[7] = {false, false, false, false, false, false, false};
	StringInfoData metrics;
	MemoryContext  old;
	int32		   version;

	pgl_progress_phase("saving");
	/* quantized storage (applied before the metrics already: then the identity) */
	pgl_apply_storage(env, (pgl_model *) m, t->opts->storage);

	memset(&nv, 0, sizeof(nv));
	initStringInfo(&metrics);
	appendStringInfoString(&metrics, t->metrics);
	nv.deploy = t->opts->deploy_if_better ? decide_if_better(t->name, t->opts, m->task, &metrics)
										  : t->opts->deploy;
	nv.blob = serialize(env, m);
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, t->start);

	nv.name = t->name;
	nv.algorithm = t->algorithm;
	nv.options = t->options ? t->options
							: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	nv.model = m;
	nv.data_source = t->data;
	nv.rows_used = t->rows;
	nv.metrics_json = metrics.data;
	nv.seconds = INSTR_TIME_GET_DOUBLE(elapsed);
	version = pgl_catalog_store(&nv);
	if (t->opts->keep_versions > 0)
		prune_versions(t->name, t->opts->keep_versions);

	old = MemoryContextSwitchTo(out_cxt);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);
	values[0] = CStringGetTextDatum(t->name);
	values[1] = Int32GetDatum(version);
	values[2] = CStringGetTextDatum(t->algorithm);
	values[3] = Int64GetDatum(t->rows);
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics.data));
	values[5] = Float8GetDatum(nv.seconds);
	values[6] = BoolGetDatum(nv.deploy);
	{
		Datum result = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));

		MemoryContextSwitchTo(old);
		return result;
	}
}
