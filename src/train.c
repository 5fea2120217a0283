/*-------------------------------------------------------------------------
 *
 * train.c
 *	  ai_train(): the one training pipeline of every algorithm.
 *
 *	  options -> check -> [method] -> read -> preprocess -> fit -> metrics
 *	  -> store
 *
 * The options are read by the algorithm's schema (options.c); the steps
 * from check to metrics are the glue hooks of the algorithm's family
 * (train_glue.h), found in PGL_TRAIN_FAMILIES below; the store step is
 * store.c's.  Everything a training allocates lives in one memory context,
 * deleted at the end; an ERROR or a cancel anywhere (the algorithms check
 * interrupts through pgl_env) aborts the transaction, so no partial
 * version is left.
 *
 *-------------------------------------------------------------------------
 */
#include "train_glue.h"
#include "options.h"
#include "catalog.h"
#include "progress.h"
#include "search.h"
#include "drift_glue.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "store.h"

PG_FUNCTION_INFO_V1(ai_train);

/*
 * The families with a reader shape of their own, one line each:
 * F(algorithm id, its glue).  Every other algorithm trains on rows
 * (pgl_glue_rows, train_rows.c).
 */
#define PGL_TRAIN_FAMILIES(F)                                                                      \
	F(PGL_ALGO_ALS, pgl_glue_recommender)		/* (user, item, rating): recommend_train.c */      \
	F(PGL_ALGO_NEURAL_NET, pgl_glue_neural_net) /* tensors: nn_train.c */                          \
	F(PGL_ALGO_FORECAST, pgl_glue_forecast)		/* (time, series, value): forecast_glue.c */

#define PGL_GLUE_DECLARE(id, glue) extern const PglTrainGlue glue;
#define PGL_GLUE_ENTRY(id, glue)   {id, &glue},

PGL_TRAIN_FAMILIES(PGL_GLUE_DECLARE)

static const struct
{
	int32				algorithm;
	const PglTrainGlue *glue;
} train_families[] = {PGL_TRAIN_FAMILIES(PGL_GLUE_ENTRY)};

void
pgl_check_trainable(const pgl_algo_ops *ops)
{
	if (ops != NULL && ops->id == PGL_ALGO_ONNX)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("algorithm \"onnx\" cannot be trained in the database"),
						errdetail("An onnx model is a graph trained elsewhere and imported."),
						errhint("Import the model file with ai_import_model(name, bytes, format => "
								"'onnx'); see docs/onnx.md.")));
}

const PglTrainGlue *
pgl_train_glue(int32 algorithm)
{
	for (size_t i = 0; i < lengthof(train_families); i++)
		if (train_families[i].algorithm == algorithm)
			return train_families[i].glue;
	return &pgl_glue_rows;
}

void
pgl_train_phase(const char *name, const char *what)
{
	static instr_time last;
	static bool		  started = false;
	instr_time		  now;

	pgl_progress_phase(what);
	if (!pgl_verbose)
		return;
	INSTR_TIME_SET_CURRENT(now);
	if (started && what != NULL)
	{
		instr_time d = now;

		INSTR_TIME_SUBTRACT(d, last);
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\": %s (previous phase %.1f ms)", name,
								what, INSTR_TIME_GET_MILLISEC(d))));
	}
	else if (what != NULL)
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\": %s", name, what)));
	last = now;
	started = what != NULL;
}

/* ai_train's arguments: ERROR on a NULL, a bad name, an unknown algorithm */
static void
train_arguments(FunctionCallInfo fcinfo, PglTrainCall *c)
{
	char *name;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("name, algorithm and data of ai_train must not be NULL")));
	memset(c, 0, sizeof(*c));
	c->fcinfo = fcinfo;
	c->name = name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c->algorithm = text_to_cstring(PG_GETARG_TEXT_PP(1));
	c->data = text_to_cstring(PG_GETARG_TEXT_PP(2));
	c->target = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	c->options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);

	if (strlen(name) > 200)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG),
						errmsg("model name is %zu bytes long, more than 200", strlen(name)),
						errhint("Choose a shorter name.")));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty")));
	c->ops = pgl_algo_by_name(c->algorithm);
	if (c->ops == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown algorithm \"%s\"", c->algorithm),
						errhint("Valid algorithms are: %s.", pgl_algo_names())));
	pgl_check_trainable(c->ops);
}

/* a phase of c: the progress and NOTICE of pgl_train_phase, the trial's number in a trial */
static void
train_phase(PglTrainCall *c, const char *what)
{
	if (c->trial == NULL)
		pgl_train_phase(c->name, what);
	else if (pgl_verbose && what)
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\", %s: %s", c->name, c->trial, what)));
}

/*
 * [method] -> read -> preprocess -> fit -> metrics, in a new c->cxt (the
 * caller deletes it, switching back to the context this returns); the
 * glue that trained.
 */
static const PglTrainGlue *
train_steps(PglTrainCall *c, const PglTrainGlue *glue, StringInfo metrics, MemoryContext *old)
{
	PglDriftCollect *drift;

	if (glue->method)
	{
		const PglTrainGlue *other = glue->method(c);

		if (other)
			glue = other;
	}
	c->cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn training", ALLOCSET_DEFAULT_SIZES);
	*old = MemoryContextSwitchTo(c->cxt);
	c->env = pgl_backend_env(c->cxt);

	/* the training rows' summaries for ai_drift, taken by the data reader (drift_glue.c) */
	drift = c->opts.trial ? NULL : pgl_drift_collect_next(c->cxt, c->opts.seed);
	train_phase(c, "reading data");
	glue->read(c);
	(void) pgl_drift_collect_take(); /* unused: a family that does not read columns */
	train_phase(c, "preprocessing");
	glue->preprocess(c);
	train_phase(c, "training");
	glue->fit(c);
	pgl_drift_attach(drift, c->m, &c->env);
	train_phase(c, "evaluating");
	initStringInfo(metrics);
	glue->metrics(c, metrics);
	return glue;
}

char *
pgl_train_dry_run(PglTrainCall *c)
{
	const PglTrainGlue *glue = pgl_train_glue(c->ops->id);
	MemoryContext		old;
	StringInfoData		metrics;
	char			   *result;

	c->opts.trial = true;
	if (glue->check)
		glue->check(c);
	INSTR_TIME_SET_CURRENT(c->start);
	glue = train_steps(c, glue, &metrics, &old);
	result = MemoryContextStrdup(old, metrics.data);
	if (glue->finish)
		glue->finish(c);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(c->cxt);
	c->cxt = NULL;
	return result;
}

/*
 * The checks ai_train makes before it reads anything, for a job that will
 * call it later (ai_train_async, ai_schedule): the options as the
 * algorithm reads them and the family's own check of its arguments (an
 * autoencoder's options on a network that is not one, a target where none
 * is taken, ...), so that a mistake is an ERROR now, not a failed run.
 * With "search", every setting is checked when the job runs, as ai_train
 * does.
 */
void
pgl_train_check(const char *name, const char *algorithm, const char *data, const char *target,
				Jsonb *options)
{
	PglTrainCall		c;
	const PglTrainGlue *glue;
	MemoryContext		cxt, old;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn job check", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.algorithm = algorithm;
	c.data = data;
	c.target = target;
	c.options = options;
	c.ops = pgl_algo_by_name(algorithm);
	c.cxt = cxt;
	c.env = pgl_backend_env(cxt);
	pgl_parse_options(c.ops, options, &c.opts);
	glue = pgl_train_glue(c.ops->id);
	if (glue->check && !c.opts.search)
		glue->check(&c);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* the metrics with "search": {...} of the trials added (a JSON object's members) */
static void
append_search(StringInfo metrics, const char *record)
{
	Assert(metrics->data[metrics->len - 1] == '}');
	metrics->data[--metrics->len] = '\0';
	appendStringInfo(metrics, ", %s}", record);
}

Datum
ai_train(PG_FUNCTION_ARGS)
{
	PglTrainCall		c;
	const PglTrainGlue *glue;
	MemoryContext		old;
	StringInfoData		metrics;
	StringInfoData		search;
	Datum				result;

	train_arguments(fcinfo, &c);
	pgl_parse_options(c.ops, c.options, &c.opts);
	pgl_progress_begin(c.name, c.algorithm);
	glue = pgl_train_glue(c.ops->id);
	/* with "search", every setting is checked instead (pgl_search_run) */
	if (glue->check && !c.opts.search)
		glue->check(&c);
	pgl_check_model_writable(c.name);

	INSTR_TIME_SET_CURRENT(c.start);
	initStringInfo(&search);
	if (c.opts.search)
	{
		/* the trials, then the best setting through the same pipeline */
		c.options = pgl_search_run(&c, &search);
		pgl_parse_options(c.ops, c.options, &c.opts);
		if (glue->check)
			glue->check(&c);
	}
	glue = train_steps(&c, glue, &metrics, &old);
	if (search.len > 0)
		append_search(&metrics, search.data);

	train_phase(&c, "saving");
	{
		PglTrained t = {c.name,	 c.algorithm, c.data,		c.options,
						&c.opts, c.rows_used, metrics.data, c.start};

		result = pgl_store_trained(fcinfo, old, &c.env, c.m, &t);
	}
	if (glue->finish)
		glue->finish(&c);
	pgl_train_phase(c.name, "done");
	pgl_train_phase(c.name, NULL);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(c.cxt);
	PG_RETURN_DATUM(result);
}
