/*-------------------------------------------------------------------------
 *
 * api.c
 *	  The SQL functions of background training: ai_train_async, ai_cancel,
 *	  ai_wait, ai_schedule, ai_unschedule, ai_resume_schedule; the job
 *	  options they check; waking the launcher when one commits.
 *
 * The job tables are writable by no ordinary role: the functions here
 * check the caller and write as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "jobs_internal.h"
#include "train_glue.h"

#include <math.h>
#include <signal.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "drift_glue.h"

PG_FUNCTION_INFO_V1(ai_train_async);
PG_FUNCTION_INFO_V1(ai_cancel);
PG_FUNCTION_INFO_V1(ai_wait);
PG_FUNCTION_INFO_V1(ai_schedule);
PG_FUNCTION_INFO_V1(ai_unschedule);
PG_FUNCTION_INFO_V1(ai_resume_schedule);

/* ---------- preload and wake-up ---------- */

static PglShared *
require_launcher(const char *what)
{
	PglShared  *sh = pgl_shared();
	const char *db = get_database_name(MyDatabaseId);
	bool		served = false;

	if (sh == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs the pg_learn launcher, which is not running", what),
				 errhint("Add pg_learn_launcher to shared_preload_libraries in "
						 "postgresql.conf and restart the server; see docs/background.md.")));
	for (int d = 0; d < sh->n_databases; d++)
		if (strcmp(sh->databases[d].name, db) == 0)
			served = true;
	if (!served)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: database \"%s\" is not served by the pg_learn launcher", what, db),
				 errhint("Add \"%s\" to pg_learn.databases in postgresql.conf and restart "
						 "the server.",
						 db)));
	return sh;
}

static bool wake_registered = false;
static bool wake_pending = false;
static char wake_db[NAMEDATALEN]; /* looked up before commit */

static void
wake_launcher(void)
{
	PglShared  *sh = pgl_shared();
	const char *name = wake_db;

	if (sh == NULL || name[0] == '\0')
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	for (int d = 0; d < sh->n_databases; d++)
		if (strcmp(sh->databases[d].name, name) == 0)
			sh->databases[d].scan_requested = true;
	if (sh->launcher_latch)
		SetLatch(sh->launcher_latch);
	LWLockRelease(sh->lock);
}

static void
wake_at_commit(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && wake_pending)
		wake_launcher();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT)
		wake_pending = false;
}

static void
wake_after_commit(void)
{
	if (!wake_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_registered = true;
	}
	strlcpy(wake_db, get_database_name(MyDatabaseId), NAMEDATALEN);
	wake_pending = true;
}

/*
 * A queued job or a schedule is a promise to the DBA: its transaction
 * commits synchronously even when synchronous_commit is off, so a crash
 * right after the submission cannot lose it.
 */
static void
durable_commit(void)
{
	(void) set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* ---------- job options ---------- */

typedef struct JobOptions
{
	Jsonb	   *train_options; /* passed to ai_train as they are */
	const char *deploy;		   /* "always" or "if_better", shown in ai_jobs */
	char	   *metric;		   /* NULL: the algorithm's default */
} JobOptions;

/*
 * Read the options as ai_train will (the algorithm's schema, options.c),
 * and make ai_train's checks of the arguments (pgl_train_check): ERROR now,
 * not when the job runs.  "deploy" and "metric" are ai_train's options like
 * the others; the job keeps a copy for ai_jobs.
 */
static void
split_job_options(const char *name, const char *algorithm, const char *data, const char *target,
				  Jsonb *options, JobOptions *jo)
{
	const pgl_algo_ops *ops = pgl_algo_by_name(algorithm);
	PglTrainOptions		opts;

	pgl_train_check(name, algorithm, data, target, options);
	pgl_parse_options(ops, options, &opts);
	jo->train_options = options;
	jo->deploy = opts.deploy_if_better ? "if_better" : "always";
	jo->metric = opts.metric;
}

static void
check_train_args(FunctionCallInfo fcinfo, int first, const char *fn)
{
	char *algorithm;

	if (PG_ARGISNULL(first) || PG_ARGISNULL(first + 1) || PG_ARGISNULL(first + 2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("name, algorithm and data of %s must not be NULL", fn)));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(first + 1));
	if (pgl_algo_by_name(algorithm) == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown algorithm \"%s\"", algorithm),
						errhint("Valid algorithms are: %s.", pgl_algo_names())));
	pgl_check_trainable(pgl_algo_by_name(algorithm));
}

/* ---------- a schedule's own option ---------- */

/*
 * "max_failures": N (failed runs in a row after which a schedule is paused,
 * 0 for never) belongs to ai_schedule; it is taken out of *options before
 * they go to ai_train.  Returns N, or pg_learn.schedule_max_failures when
 * absent.  for_schedule false (ai_train_async): the option is refused.
 */
static int
take_max_failures(Jsonb **options, bool for_schedule)
{
	JsonbValue	k;
	JsonbValue *v;
	double		n;

	if (*options == NULL || !JB_ROOT_IS_OBJECT(*options))
		return pgl_schedule_max_failures;
	k.type = jbvString;
	k.val.string.val = "max_failures";
	k.val.string.len = strlen("max_failures");
	v = findJsonbValueFromContainer(&(*options)->root, JB_FOBJECT, &k);
	if (v == NULL)
		return pgl_schedule_max_failures;
	if (!for_schedule)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"max_failures\" applies to schedules only"),
						errhint("Give it to ai_schedule; a job of ai_train_async runs once.")));
	n = v->type == jbvNumeric
			? DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)))
			: -1;
	if (!(n >= 0 && n <= PGL_MAX_FAILURES_LIMIT && n == floor(n)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value of option \"max_failures\""),
				 errdetail("It must be a whole number from 0 to %d.", PGL_MAX_FAILURES_LIMIT),
				 errhint("Give the number of failed runs in a row after which the schedule is "
						 "paused, or 0 to never pause it (default: "
						 "pg_learn.schedule_max_failures, now %d).",
						 pgl_schedule_max_failures)));
	*options = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(*options),
												  CStringGetTextDatum("max_failures")));
	return (int) n;
}

/* ---------- ai_train_async ---------- */

Datum
ai_train_async(PG_FUNCTION_ARGS)
{
	JobOptions jo;
	ExtInfo	   ei;
	AsOwner	   sw;
	Oid		   types[9] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID,
						   TEXTOID, TEXTOID, OIDOID,  TEXTOID};
	Datum	   values[9];
	char	   nulls[9] = "         ";
	Oid		   caller = GetUserId();
	char	  *name;
	Jsonb	  *options;
	bool	   isnull;
	int64	   id;

	durable_commit();

	require_launcher("ai_train_async");
	check_train_args(fcinfo, 0, "ai_train_async");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	(void) take_max_failures(&options, false);
	split_job_options(name, text_to_cstring(PG_GETARG_TEXT_PP(1)),
					  text_to_cstring(PG_GETARG_TEXT_PP(2)),
					  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)), options, &jo);
	pgl_check_model_writable(name);

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	values[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	values[4] = jo.train_options ? JsonbPGetDatum(jo.train_options)
								 : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	values[5] = CStringGetTextDatum(jo.deploy);
	values[6] = jo.metric ? CStringGetTextDatum(jo.metric) : (Datum) 0;
	nulls[6] = jo.metric ? ' ' : 'n';
	values[7] = ObjectIdGetDatum(caller);
	values[8] = CStringGetTextDatum(GetConfigOption("search_path", false, false));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	spi_run(psprintf("INSERT INTO %s.ai_catalog_jobs (%s, algorithm, data, target, "
					 "options, deploy, metric, owner, search_path) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
					 ei.schema, pgl_catalog_col("name")),
			9, types, values, nulls, SPI_OK_INSERT_RETURNING);
	id = DatumGetInt64(spi_datum(0, 1, &isnull));
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	wake_after_commit();
	PG_RETURN_INT64(id);
}

/* ---------- ai_cancel, ai_wait ---------- */

/*
 * Inside SPI as the owner: the state and owner of a job, locked with
 * FOR UPDATE if lock.  ERROR if it does not exist or is not the caller's.
 */
static char *
job_state_checked(const char *schema, int64 id, Oid caller, bool lock)
{
	Oid	  types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(id)};
	bool  isnull;
	Oid	  owner;

	spi_run(psprintf("SELECT state, owner::pg_catalog.oid, xmin FROM %s.ai_catalog_jobs WHERE id "
					 "OPERATOR(pg_catalog.=) $1%s",
					 schema, lock ? " FOR UPDATE" : ""),
			1, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		owner = DatumGetObjectId(spi_datum(0, 2, &isnull));
		if (has_privs_of_role(caller, owner))
		{
			TransactionId xmin = DatumGetTransactionId(spi_datum(0, 3, &isnull));

			if (!lock && TransactionIdIsCurrentTransactionId(xmin))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("job " INT64_FORMAT " was submitted in this transaction", id),
						 errdetail("A job starts after the transaction that submitted it commits."),
						 errhint("COMMIT first, then call ai_wait.")));
			return spi_text(0, 1);
		}
	}
	/* another role's job is reported as missing: its existence is not shown */
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("job " INT64_FORMAT " does not exist", id),
			 errhint("SELECT * FROM ai_jobs lists your jobs.")));
	return NULL;
}

Datum
ai_cancel(PG_FUNCTION_ARGS)
{
	int64	   id = PG_GETARG_INT64(0);
	ExtInfo	   ei;
	AsOwner	   sw;
	Oid		   caller = GetUserId();
	char	  *state;
	bool	   done = false;
	PglShared *sh = pgl_shared();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	state = job_state_checked(ei.schema, id, caller, true);
	if (strcmp(state, "queued") == 0)
	{
		Oid	  types[1] = {INT8OID};
		Datum values[1] = {Int64GetDatum(id)};

		spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = 'cancelled', "
						 "finished_at = pg_catalog.now(), error = 'cancelled by ai_cancel()' "
						 "WHERE id OPERATOR(pg_catalog.=) $1",
						 ei.schema),
				1, types, values, NULL, SPI_OK_UPDATE);
		done = true;
	}
	else if (strcmp(state, "running") == 0 && sh != NULL)
	{
		/* the worker sees the flag when the signal makes its training ERROR */
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		for (int i = 0; i < sh->max_workers; i++)
		{
			PglJobSlot *s = &sh->slots[i];

			if (s->state != PGL_SLOT_FREE && s->dboid == MyDatabaseId && s->job_id == id)
			{
				s->cancel_requested = true;
				if (s->pid != 0)
					kill(s->pid, SIGINT);
				done = true;
			}
		}
		LWLockRelease(sh->lock);
	}
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_BOOL(done);
}

Datum
ai_wait(PG_FUNCTION_ARGS)
{
	int64		  id = PG_GETARG_INT64(0);
	TimestampTz	  deadline = 0;
	Oid			  caller = GetUserId();
	char		 *state = NULL;
	MemoryContext outer = CurrentMemoryContext;

	if (!PG_ARGISNULL(1))
	{
		Interval *iv = PG_GETARG_INTERVAL_P(1);

		deadline = DatumGetTimestampTz(
			DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(GetCurrentTimestamp()),
								IntervalPGetDatum(iv)));
	}
	if (IsolationUsesXactSnapshot())
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_wait cannot see a job end in a REPEATABLE READ or SERIALIZABLE "
							   "transaction"),
						errhint("Call it in READ COMMITTED, the default.")));
	for (;;)
	{
		ExtInfo ei;
		AsOwner sw;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (!ext_info(&ei))
			elog(ERROR, "pg_learn: extension not found");
		pgl_catalog_become_owner(&sw);
		state = job_state_checked(ei.schema, id, caller, false);
		state = MemoryContextStrdup(outer, state);
		pgl_catalog_restore_user(&sw);
		SPI_finish();
		if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0)
			break;
		if (deadline != 0 && GetCurrentTimestamp() >= deadline)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_TEXT_P(cstring_to_text(state));
}

/* ---------- ai_schedule, ai_unschedule ---------- */

/*
 * The first run of a schedule given as `every`: the next match of a cron
 * expression (*is_cron), or now plus an interval of at least one second
 * (*iv); ERROR for anything else.
 */
static TimestampTz
schedule_first_run(const char *every, bool *is_cron, Datum *iv)
{
	Cron		c;
	TimestampTz next;

	*is_cron = pgl_cron_looks_like(every);
	if (*is_cron)
	{
		if (!pgl_cron_parse(every, &c))
			pgl_schedule_invalid(every);
		next = pgl_cron_next(&c, GetCurrentTimestamp(), session_timezone);
	}
	else
	{
		Interval one_second = {.time = USECS_PER_SEC};

		/* an interval, or the error */
		{
			MemoryContext cxt = CurrentMemoryContext;

			PG_TRY();
			{
				*iv = DirectFunctionCall3(interval_in, CStringGetDatum(every),
										  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(cxt);
				FlushErrorState();
				pgl_schedule_invalid(every);
			}
			PG_END_TRY();
		}
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, *iv, IntervalPGetDatum(&one_second))) <
			0)
			pgl_schedule_invalid(every);
		next = DatumGetTimestampTz(DirectFunctionCall2(
			timestamptz_pl_interval, TimestampTzGetDatum(GetCurrentTimestamp()), *iv));
	}
	return next;
}

Datum
ai_schedule(PG_FUNCTION_ARGS)
{
	char	  *name, *every;
	JobOptions jo;
	ExtInfo	   ei;
	AsOwner	   sw;
	bool	   is_cron;
	Datum	   iv = (Datum) 0;
	Oid		   caller = GetUserId();
	Oid	   types[14] = {TEXTOID, INTERVALOID, TEXTOID, TEXTOID, TEXTOID,		TEXTOID, JSONBOID,
						TEXTOID, TEXTOID,	  OIDOID,  TEXTOID, TIMESTAMPTZOID, TEXTOID, INT4OID};
	Datum  values[14];
	char   nulls[14] = "              ";
	Jsonb *options;
	int	   max_failures;
	bool   isnull;
	bool   drift;
	TimestampTz next;

	durable_commit();

	require_launcher("ai_schedule");
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("the schedule of ai_schedule must not be NULL")));
	/* arguments: name, every, algorithm, data, target, options */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("name, algorithm and data of ai_schedule must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	every = text_to_cstring(PG_GETARG_TEXT_PP(1));
	options = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	max_failures = take_max_failures(&options, true);
	drift = strcmp(text_to_cstring(PG_GETARG_TEXT_PP(2)), PGL_DRIFT_JOB) == 0;
	if (drift) /* a drift check instead of a training (drift_job.c) */
	{
		pgl_drift_job_check(name, !PG_ARGISNULL(4), options);
		jo.train_options = options;
		jo.deploy = "always";
		jo.metric = NULL;
	}
	else
	{
		char *algorithm = text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (pgl_algo_by_name(algorithm) == NULL)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown algorithm \"%s\"", algorithm),
							errhint("Valid algorithms are: %s, or \"%s\" for a drift check.",
									pgl_algo_names(), PGL_DRIFT_JOB)));
		pgl_check_trainable(pgl_algo_by_name(algorithm));
		split_job_options(name, algorithm, text_to_cstring(PG_GETARG_TEXT_PP(3)),
						  PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)), options,
						  &jo);
	}

	next = schedule_first_run(every, &is_cron, &iv);
	if (!drift)
		pgl_check_model_writable(name);

	values[0] = PG_GETARG_DATUM(0);
	values[1] = iv;
	nulls[1] = is_cron ? 'n' : ' ';
	values[2] = is_cron ? CStringGetTextDatum(every) : (Datum) 0;
	nulls[2] = is_cron ? ' ' : 'n';
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_GETARG_DATUM(3);
	values[5] = PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4);
	nulls[5] = PG_ARGISNULL(4) ? 'n' : ' ';
	values[6] = jo.train_options ? JsonbPGetDatum(jo.train_options)
								 : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	values[7] = CStringGetTextDatum(jo.deploy);
	values[8] = jo.metric ? CStringGetTextDatum(jo.metric) : (Datum) 0;
	nulls[8] = jo.metric ? ' ' : 'n';
	values[9] = ObjectIdGetDatum(caller);
	values[10] = CStringGetTextDatum(GetConfigOption("search_path", false, false));
	values[11] = TimestampTzGetDatum(next);
	values[12] = CStringGetTextDatum(pg_get_timezone_name(session_timezone));
	values[13] = Int32GetDatum(max_failures);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	/* an existing schedule of the name is replaced, if it is the caller's */
	{
		Oid	  t1[1] = {TEXTOID};
		Datum v1[1] = {PG_GETARG_DATUM(0)};

		spi_run(psprintf("SELECT owner::pg_catalog.oid FROM %s.ai_catalog_schedules WHERE name "
						 "OPERATOR(pg_catalog.=) $1 FOR UPDATE",
						 ei.schema),
				1, t1, v1, NULL, SPI_OK_SELECT);
		if (SPI_processed == 1)
		{
			Oid owner = DatumGetObjectId(spi_datum(0, 1, &isnull));

			if (!has_privs_of_role(caller, owner))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to replace the schedule of model \"%s\"", name),
						 errhint("Only its owner, a member of the owning role, or a "
								 "superuser may change it.")));
			spi_run(psprintf("DELETE FROM %s.ai_catalog_schedules WHERE name "
							 "OPERATOR(pg_catalog.=) $1",
							 ei.schema),
					1, t1, v1, NULL, SPI_OK_DELETE);
		}
	}
	spi_run(
		psprintf("INSERT INTO %s.ai_catalog_schedules (name, every_interval, cron, algorithm, "
				 "data, target, options, deploy, metric, owner, search_path, next_run, time_zone, "
				 "max_failures) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
				 ei.schema),
		14, types, values, nulls, SPI_OK_INSERT);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	wake_after_commit();
	PG_RETURN_TIMESTAMPTZ(next);
}

/*
 * Inside SPI as the owner: lock the schedule of model name, selecting the
 * columns cols (the owner first).  Another role's schedule is reported as
 * missing, as ai_jobs hides it.
 */
static void
lock_own_schedule(const char *schema, const char *name, Oid caller, const char *cols)
{
	Oid	  types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	bool  isnull;

	spi_run(psprintf("SELECT %s FROM %s.ai_catalog_schedules "
					 "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
					 cols, schema),
			1, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0 ||
		!has_privs_of_role(caller, DatumGetObjectId(spi_datum(0, 1, &isnull))))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" has no schedule", name),
				 errhint("SELECT name FROM ai_schedules lists your schedules.")));
}

Datum
ai_unschedule(PG_FUNCTION_ARGS)
{
	char   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ExtInfo ei;
	AsOwner sw;
	Oid		types[1] = {TEXTOID};
	Datum	values[1] = {PG_GETARG_DATUM(0)};
	Oid		caller = GetUserId();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	lock_own_schedule(ei.schema, name, caller, "owner::pg_catalog.oid");
	spi_run(psprintf("DELETE FROM %s.ai_catalog_schedules WHERE name OPERATOR(pg_catalog.=) $1",
					 ei.schema),
			1, types, values, NULL, SPI_OK_DELETE);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * A paused schedule (see the dispatcher's step 4) becomes active again with
 * no failures counted, its next run computed from now as for a new
 * schedule.  Resuming an active schedule changes nothing (a NOTICE says
 * so), so "resume all of mine" is one statement.  Returns the next run.
 */
Datum
ai_resume_schedule(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ExtInfo		ei;
	AsOwner		sw;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};
	bool		isnull;
	Oid			caller = GetUserId();
	TimestampTz next;

	durable_commit();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	lock_own_schedule(ei.schema, name, caller, "owner::pg_catalog.oid, state, next_run");
	next = DatumGetTimestampTz(spi_datum(0, 3, &isnull));
	if (strcmp(spi_text(0, 2), "paused") != 0)
		ereport(NOTICE, (errmsg("the schedule of model \"%s\" is not paused", name),
						 errdetail("It stays as it is; its next run is unchanged.")));
	else
	{
		spi_run(psprintf("UPDATE %s.ai_catalog_schedules SET state = 'active', "
						 "consecutive_failures = 0, paused_at = NULL, next_run = CASE WHEN cron "
						 "IS NULL THEN pg_catalog.now() OPERATOR(pg_catalog.+) every_interval "
						 "ELSE %s.ai_cron_next(cron, pg_catalog.now(), time_zone) END "
						 "WHERE name OPERATOR(pg_catalog.=) $1 RETURNING next_run",
						 ei.schema, ei.schema),
				1, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		next = DatumGetTimestampTz(spi_datum(0, 1, &isnull));
		wake_after_commit();
	}
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_TIMESTAMPTZ(next);
}
