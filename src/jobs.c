/*-------------------------------------------------------------------------
 *
 * jobs.c
 *	  Background training: ai_train_async, ai_cancel, ai_wait, ai_schedule,
 *	  ai_unschedule, ai_resume_schedule, and the two background worker entry
 *	  points that pg_learn_launcher starts (src/launcher/launcher.c):
 *
 *	  pgl_dispatcher_main: connected to one database as the bootstrap
 *	  superuser for a moment; records the end of orphaned jobs, fails jobs
 *	  left "running" by a crash or restart, counts the failed runs of
 *	  schedules in a row and pauses those with too many, turns due active
 *	  schedules into jobs, and claims queued jobs into free job slots after re-checking that
 *	  their role may still log in and connect.
 *
 *	  pgl_job_worker_main: connected as the role that submitted the job (by
 *	  OID); runs ai_train through SPI with that role's privileges, row level
 *	  security and statement_timeout, and records the end of the job in the
 *	  same transaction as the new model version.
 *
 * The job tables are writable by no ordinary role: the functions here
 * check the caller and write as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>
#include <signal.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "algorithms.h"
#include "launcher/pgl_shmem.h"

PG_FUNCTION_INFO_V1(ai_train_async);
PG_FUNCTION_INFO_V1(ai_cancel);
PG_FUNCTION_INFO_V1(ai_wait);
PG_FUNCTION_INFO_V1(ai_schedule);
PG_FUNCTION_INFO_V1(ai_unschedule);
PG_FUNCTION_INFO_V1(ai_resume_schedule);
PG_FUNCTION_INFO_V1(ai_cron_next);

PGDLLEXPORT void pgl_dispatcher_main(Datum arg);
PGDLLEXPORT void pgl_job_worker_main(Datum arg);

/* ---------- the extension, and writing as its owner ---------- */

/*
 * The schema lookup and the switch to the extension's owner are catalog.c's
 * (pgl_catalog_schema, pgl_catalog_become_owner, pgl_catalog_restore_user).
 */
typedef struct ExtInfo
{
	char *schema; /* quoted */
} ExtInfo;

/* inside SPI; false if the extension is not installed */
static bool
ext_info(ExtInfo *ei)
{
	if (!pgl_extension_installed())
		return false;
	ei->schema = pstrdup(pgl_catalog_schema());
	return true;
}

typedef PglOwnerSwitch AsOwner;

static int
spi_run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int nest = NewGUCNestLevel();
	int rc;

	/*
	 * Our own statements resolve nothing through the caller's search_path
	 * (where a hostile role may have planted an operator =); only the
	 * training call itself (spi_run_as_caller) runs with it.
	 */
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	AtEOXact_GUC(true, nest);
	if (rc != expect)
		elog(ERROR, "pg_learn: job statement failed (%s): %s", SPI_result_code_string(rc), sql);
	return rc;
}

/* a statement that must see the caller's search_path: the ai_train call of a job */
static int
spi_run_as_caller(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
				  int expect)
{
	int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "pg_learn: job statement failed (%s): %s", SPI_result_code_string(rc), sql);
	return rc;
}

static char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static Datum
spi_datum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

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

/* ---------- job options ---------- */

typedef struct JobOptions
{
	Jsonb	   *train_options; /* passed to ai_train as they are */
	const char *deploy;		   /* "always" or "if_better", shown in ai_jobs */
	char	   *metric;		   /* NULL: the algorithm's default */
} JobOptions;

/*
 * Read the options as ai_train will (the algorithm's schema, options.c):
 * ERROR now, not when the job runs.  "deploy" and "metric" are ai_train's
 * options like the others; the job keeps a copy for ai_jobs.
 */
static void
split_job_options(const char *algorithm, Jsonb *options, JobOptions *jo)
{
	const pgl_algo_ops *ops = pgl_algo_by_name(algorithm);
	PglTrainOptions		opts;

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
	split_job_options(text_to_cstring(PG_GETARG_TEXT_PP(1)), options, &jo);
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
	spi_run(psprintf("INSERT INTO %s.ai_catalog_jobs (model_name, algorithm, data, target, "
					 "options, deploy, metric, owner, search_path) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
					 ei.schema),
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

/* ---------- cron expressions ---------- */

typedef struct Cron
{
	bool minute[60];
	bool hour[24];
	bool dom[32];
	bool month[13];
	bool dow[8];
	bool dom_star, dow_star;
} Cron;

static bool
cron_field(const char *f, bool *set, int lo, int hi, bool *star)
{
	char *copy = pstrdup(f), *save = NULL, *part;

	*star = strcmp(f, "*") == 0;
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save))
	{
		int	  a, b, step = 1;
		char *slash = strchr(part, '/'), *end;

		if (slash)
		{
			*slash = '\0';
			step = (int) strtol(slash + 1, &end, 10);
			if (*end || step < 1 || slash[1] == '\0')
				return false;
		}
		if (strcmp(part, "*") == 0)
			a = lo, b = hi;
		else
		{
			char *dash = strchr(part, '-');

			if (dash)
				*dash = '\0';
			a = (int) strtol(part, &end, 10);
			if (*end || part[0] == '\0')
				return false;
			b = a;
			if (dash)
			{
				b = (int) strtol(dash + 1, &end, 10);
				if (*end || dash[1] == '\0')
					return false;
			}
			else if (slash)
				b = hi;
		}
		if (a < lo || b > hi || a > b)
			return false;
		for (int v = a; v <= b; v += step)
			set[v] = true;
	}
	return true;
}

/* true if expr is a 5-field cron expression; fills c */
static bool
cron_parse(const char *expr, Cron *c)
{
	char *copy = pstrdup(expr), *save = NULL, *f[6];
	int	  n = 0;
	bool  star;

	memset(c, 0, sizeof(*c));
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
	{
		if (n == 5)
			return false;
		f[n++] = t;
	}
	if (n != 5)
		return false;
	if (!cron_field(f[0], c->minute, 0, 59, &star) || !cron_field(f[1], c->hour, 0, 23, &star) ||
		!cron_field(f[2], c->dom, 1, 31, &c->dom_star) ||
		!cron_field(f[3], c->month, 1, 12, &star) || !cron_field(f[4], c->dow, 0, 7, &c->dow_star))
		return false;
	if (c->dow[7])
		c->dow[0] = true;
	return true;
}

/* does expr look like it was meant as cron (digits, '*', ',', '-', '/')? */
static bool
looks_like_cron(const char *expr)
{
	for (const char *p = expr; *p; p++)
		if (!strchr("0123456789*,-/ \t", *p))
			return false;
	return strchr(expr, ' ') != NULL || strchr(expr, '*') != NULL;
}

/* the first minute strictly after `after` matching c, in time zone tzp */
static TimestampTz
cron_next(const Cron *c, TimestampTz after, pg_tz *tzp)
{
	struct pg_tm tm;
	fsec_t		 fsec;
	int			 tz;
	int			 jd;

	if (timestamp2tm(after, &tz, &tm, &fsec, NULL, tzp) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	jd = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	for (int day = 0; day < 366 * 5; day++, jd++)
	{
		int	 y, mo, d, wd;
		bool dom_ok, dow_ok, day_ok;

		j2date(jd, &y, &mo, &d);
		wd = j2day(jd);
		if (!c->month[mo])
			continue;
		dom_ok = c->dom[d];
		dow_ok = c->dow[wd];
		/* cron: with both restricted, either matches */
		day_ok = (c->dom_star || c->dow_star) ? (dom_ok && dow_ok) : (dom_ok || dow_ok);
		if (!day_ok)
			continue;
		for (int h = 0; h < 24; h++)
		{
			if (!c->hour[h])
				continue;
			for (int mi = 0; mi < 60; mi++)
			{
				struct pg_tm t;
				TimestampTz	 ts;
				int			 off;

				if (!c->minute[mi])
					continue;
				memset(&t, 0, sizeof(t));
				t.tm_year = y;
				t.tm_mon = mo;
				t.tm_mday = d;
				t.tm_hour = h;
				t.tm_min = mi;
				off = DetermineTimeZoneOffset(&t, tzp);
				if (tm2timestamp(&t, 0, &off, &ts) != 0)
					continue;
				if (ts > after)
					return ts;
			}
		}
	}
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the cron expression matches no time in the next five years")));
	return 0;
}

static void
bad_schedule(const char *every)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid schedule \"%s\"", every),
			 errhint("Give an interval such as '1 day' or '15 minutes' (at least 1 second), or a "
					 "cron expression of five fields, minute hour day-of-month month day-of-week, "
					 "such as '30 2 * * *' or '*/10 * * * 1-5'.")));
}

Datum
ai_cron_next(PG_FUNCTION_ARGS)
{
	char  *expr;
	Cron   c;
	pg_tz *tzp = session_timezone;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(2))
	{
		char *name = text_to_cstring(PG_GETARG_TEXT_PP(2));

		tzp = pg_tzset(name);
		if (tzp == NULL)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("time zone \"%s\" not recognized", name),
							errhint("Use a name of pg_timezone_names, such as 'UTC' or "
									"'Europe/Paris'.")));
	}
	if (!cron_parse(expr, &c))
		bad_schedule(expr);
	PG_RETURN_TIMESTAMPTZ(cron_next(&c, PG_GETARG_TIMESTAMPTZ(1), tzp));
}

/* ---------- ai_schedule, ai_unschedule ---------- */

Datum
ai_schedule(PG_FUNCTION_ARGS)
{
	char	  *name, *every;
	JobOptions jo;
	ExtInfo	   ei;
	AsOwner	   sw;
	Cron	   c;
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
	{
		char *algorithm = text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (pgl_algo_by_name(algorithm) == NULL)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown algorithm \"%s\"", algorithm),
							errhint("Valid algorithms are: %s.", pgl_algo_names())));
	}
	options = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	max_failures = take_max_failures(&options, true);
	split_job_options(text_to_cstring(PG_GETARG_TEXT_PP(2)), options, &jo);

	is_cron = looks_like_cron(every);
	if (is_cron)
	{
		if (!cron_parse(every, &c))
			bad_schedule(every);
		next = cron_next(&c, GetCurrentTimestamp(), session_timezone);
	}
	else
	{
		Interval *i;
		Interval  one_second = {.time = USECS_PER_SEC};

		/* an interval, or the error above */
		{
			MemoryContext cxt = CurrentMemoryContext;

			PG_TRY();
			{
				iv = DirectFunctionCall3(interval_in, CStringGetDatum(every),
										 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(cxt);
				FlushErrorState();
				bad_schedule(every);
			}
			PG_END_TRY();
		}
		i = DatumGetIntervalP(iv);
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, iv, IntervalPGetDatum(&one_second))) <
			0)
			bad_schedule(every);
		(void) i;
		next = DatumGetTimestampTz(DirectFunctionCall2(
			timestamptz_pl_interval, TimestampTzGetDatum(GetCurrentTimestamp()), iv));
	}
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

Datum
ai_unschedule(PG_FUNCTION_ARGS)
{
	char   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ExtInfo ei;
	AsOwner sw;
	Oid		types[1] = {TEXTOID};
	Datum	values[1] = {PG_GETARG_DATUM(0)};
	bool	isnull;
	Oid		caller = GetUserId();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!ext_info(&ei))
		elog(ERROR, "pg_learn: extension not found");
	pgl_catalog_become_owner(&sw);
	spi_run(psprintf("SELECT owner::pg_catalog.oid FROM %s.ai_catalog_schedules WHERE name "
					 "OPERATOR(pg_catalog.=) $1 FOR UPDATE",
					 ei.schema),
			1, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0 ||
		!has_privs_of_role(caller, DatumGetObjectId(spi_datum(0, 1, &isnull))))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" has no schedule", name),
				 errhint("SELECT name FROM ai_schedules lists your schedules.")));
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
	spi_run(psprintf("SELECT owner::pg_catalog.oid, state, next_run FROM %s.ai_catalog_schedules "
					 "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
					 ei.schema),
			1, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0 ||
		!has_privs_of_role(caller, DatumGetObjectId(spi_datum(0, 1, &isnull))))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" has no schedule", name),
				 errhint("SELECT name FROM ai_schedules lists your schedules.")));
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

/* ---------- the dispatcher ---------- */

static PglShared *
worker_shared(void)
{
	PglShared *sh = pgl_shared();

	if (sh == NULL)
		ereport(FATAL, (errmsg("pg_learn: the launcher's shared memory is missing")));
	return sh;
}

/*
 * Count the end of each schedule's last job, once (counted_job): a failure
 * adds one to consecutive_failures and records the error, a success resets
 * both, a cancellation or a vanished job changes nothing.  A schedule with
 * max_failures (> 0) failures in a row is paused, with a LOG line.  Until
 * its last job is counted a schedule does not fire again, so no run goes
 * uncounted.  Inside SPI, search_path pinned.
 */
static void
count_schedule_runs(const char *s)
{
	spi_run(psprintf(
				"WITH ended AS (SELECT c.name, c.last_job, j.state, j.error "
				"FROM %s.ai_catalog_schedules c LEFT JOIN %s.ai_catalog_jobs j "
				"ON j.id = c.last_job AND j.schedule_name = c.name "
				"WHERE c.last_job IS NOT NULL AND c.counted_job IS DISTINCT FROM c.last_job "
				"AND (j.id IS NULL OR j.state NOT IN ('queued', 'running')) "
				"FOR UPDATE OF c SKIP LOCKED), "
				"counted AS (SELECT e.*, e.state = 'failed' AND c.max_failures > 0 "
				"AND c.consecutive_failures + 1 >= c.max_failures AS pause "
				"FROM ended e JOIN %s.ai_catalog_schedules c ON c.name = e.name) "
				"UPDATE %s.ai_catalog_schedules c SET counted_job = e.last_job, "
				"consecutive_failures = CASE e.state WHEN 'failed' THEN c.consecutive_failures + 1 "
				"WHEN 'succeeded' THEN 0 ELSE c.consecutive_failures END, "
				"last_error = CASE e.state WHEN 'failed' THEN e.error WHEN 'succeeded' THEN NULL "
				"ELSE c.last_error END, "
				"state = CASE WHEN e.pause THEN 'paused' ELSE c.state END, "
				"paused_at = CASE WHEN e.pause THEN now() ELSE c.paused_at END "
				"FROM counted e WHERE c.name = e.name "
				"RETURNING c.name, c.consecutive_failures, c.last_error, e.pause",
				s, s, s, s),
			0, NULL, NULL, NULL, SPI_OK_UPDATE_RETURNING);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool isnull;

		if (DatumGetBool(spi_datum(r, 4, &isnull)))
			ereport(
				LOG,
				(errmsg("pg_learn: the schedule of model \"%s\" is paused after %s failed "
						"runs in a row",
						spi_text(r, 1), spi_text(r, 2)),
				 errdetail("The last error was: %s", spi_text(r, 3) ? spi_text(r, 3) : "?"),
				 errhint("Fix the cause, then SELECT ai_resume_schedule('%s').", spi_text(r, 1))));
	}
}

/*
 * One pass over a database: see the header comment.  Runs in one
 * transaction; the claimed slots become READY after it commits.
 */
void
pgl_dispatcher_main(Datum arg)
{
	int			 d = DatumGetInt32(arg);
	PglShared	*sh = worker_shared();
	PglDatabase *db = &sh->databases[d];
	ExtInfo		 ei;
	int			 claimed[64];
	int			 n_claimed = 0;
	TimestampTz	 next_due = 0;

	/*
	 * The default SIGTERM handler of a background worker raises FATAL inside
	 * the handler, which becomes a PANIC (and a crash restart) when it lands
	 * in a critical section such as a commit; die() waits for the next
	 * interrupt check.
	 */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(db->name, NULL, 0);
	/* a claimed or ended job stays so across a crash (synchronous_commit may be off) */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_appname("pg_learn dispatcher");

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "pg_learn dispatch");

	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	db->oid = MyDatabaseId;
	db->connected = true;
	LWLockRelease(sh->lock);

	db->has_extension = ext_info(&ei);
	if (!db->has_extension)
	{
		/* jobs of a dropped extension are gone with it: free their slots */
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		for (int i = 0; i < sh->max_workers; i++)
			if (sh->slots[i].state == PGL_SLOT_ORPHANED && sh->slots[i].dboid == MyDatabaseId)
				sh->slots[i].state = PGL_SLOT_FREE;
		LWLockRelease(sh->lock);
	}
	else
	{
		const char	  *s = ei.schema;
		List		  *active = NIL;
		ListCell	  *lc;
		StringInfoData ids;

		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);

		/*
		 * 1. orphaned slots: record how their job ended (the slots are
		 * copied under the lock, the rows written without it); the other
		 * slots of this database are the active jobs
		 */
		{
			PglJobSlot *copy = palloc(sizeof(PglJobSlot) * sh->max_workers);
			int			n_orphans = 0;
			int		   *which = palloc(sizeof(int) * sh->max_workers);

			LWLockAcquire(sh->lock, LW_SHARED);
			for (int i = 0; i < sh->max_workers; i++)
			{
				PglJobSlot *sl = &sh->slots[i];

				if (sl->state == PGL_SLOT_FREE || sl->dboid != MyDatabaseId)
					continue;
				if (sl->state == PGL_SLOT_ORPHANED)
				{
					which[n_orphans] = i;
					copy[n_orphans++] = *sl;
				}
				else
					active = lappend(active, psprintf(INT64_FORMAT, sl->job_id));
			}
			LWLockRelease(sh->lock);
			for (int k = 0; k < n_orphans; k++)
			{
				Oid	  types[3] = {INT8OID, TEXTOID, TEXTOID};
				Datum values[3];
				bool  cancelled = copy[k].got_sigterm || copy[k].cancel_requested;

				copy[k].message[PGL_MSG_LEN - 1] = '\0';
				values[0] = Int64GetDatum(copy[k].job_id);
				values[1] = CStringGetTextDatum(cancelled ? "cancelled" : "failed");
				values[2] = CStringGetTextDatum(
					copy[k].cancel_requested ? "cancelled by ai_cancel()" : copy[k].message);
				spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = $2, error = $3, "
								 "finished_at = now() WHERE id = $1 AND state = 'running'",
								 s),
						3, types, values, NULL, SPI_OK_UPDATE);
			}
			/* freed after commit would be safer; a crash here fails the job in step 2 */
			LWLockAcquire(sh->lock, LW_EXCLUSIVE);
			for (int k = 0; k < n_orphans; k++)
				if (sh->slots[which[k]].state == PGL_SLOT_ORPHANED &&
					sh->slots[which[k]].job_id == copy[k].job_id)
					sh->slots[which[k]].state = PGL_SLOT_FREE;
			LWLockRelease(sh->lock);
		}

		/* 2. jobs left running by a crash or a restart */
		initStringInfo(&ids);
		appendStringInfoString(&ids, "{");
		foreach (lc, active)
			appendStringInfo(&ids, "%s%s", foreach_current_index(lc) ? "," : "",
							 (char *) lfirst(lc));
		appendStringInfoString(&ids, "}");
		{
			Oid	  types[1] = {TEXTOID};
			Datum values[1] = {CStringGetTextDatum(ids.data)};

			spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = 'failed', finished_at = now(), "
							 "error = 'the job''s worker stopped without recording the end of the "
							 "job (server crash or restart); see the server log' "
							 "WHERE state = 'running' AND id <> ALL ($1::text::int8[])",
							 s),
					1, types, values, NULL, SPI_OK_UPDATE);
			if (SPI_processed > 0)
				ereport(LOG, (errmsg("pg_learn: marked " UINT64_FORMAT
									 " job(s) left running in database \"%s\" as failed",
									 SPI_processed, db->name)));
		}

		/* 3. jobs and schedules of roles that no longer exist */
		spi_run(psprintf(
					"UPDATE %s.ai_catalog_jobs j SET state = 'failed', finished_at = now(), "
					"error = 'the role (OID ' || owner::oid || ') that submitted the job no longer "
					"exists' WHERE state = 'queued' AND NOT EXISTS (SELECT FROM pg_authid r "
					"WHERE r.oid = j.owner::oid)",
					s),
				0, NULL, NULL, NULL, SPI_OK_UPDATE);
		spi_run(psprintf("DELETE FROM %s.ai_catalog_schedules c WHERE NOT EXISTS "
						 "(SELECT FROM pg_authid r WHERE r.oid = c.owner::oid)",
						 s),
				0, NULL, NULL, NULL, SPI_OK_DELETE);

		/* 4. count the end of each schedule's last job; too many failures pause it */
		count_schedule_runs(s);

		/* 5. due schedules become jobs (once the end of their last job was counted) */
		spi_run(
			psprintf("WITH due AS (SELECT * FROM %s.ai_catalog_schedules c WHERE next_run <= now() "
					 "AND state = 'active' AND c.counted_job IS NOT DISTINCT FROM c.last_job "
					 "FOR UPDATE SKIP LOCKED), "
					 "j AS (INSERT INTO %s.ai_catalog_jobs (model_name, algorithm, data, target, "
					 "options, deploy, metric, owner, search_path, schedule_name) "
					 "SELECT name, algorithm, data, target, options, deploy, metric, owner, "
					 "search_path, name FROM due RETURNING id, schedule_name) "
					 "UPDATE %s.ai_catalog_schedules c SET last_run = now(), last_job = j.id, "
					 "next_run = CASE WHEN c.cron IS NULL "
					 "THEN CASE WHEN c.next_run + c.every_interval > now() "
					 "THEN c.next_run + c.every_interval ELSE now() + c.every_interval END "
					 "ELSE %s.ai_cron_next(c.cron, now(), c.time_zone) END "
					 "FROM j WHERE c.name = j.schedule_name",
					 s, s, s, s),
			0, NULL, NULL, NULL, SPI_OK_UPDATE);
		/* (a schedule whose last job has not ended waits for that job's end) */
		spi_run(psprintf("SELECT min(next_run) FROM %s.ai_catalog_schedules c "
						 "WHERE state = 'active' AND NOT EXISTS "
						 "(SELECT FROM %s.ai_catalog_jobs j WHERE j.id = c.last_job "
						 "AND j.state IN ('queued', 'running'))",
						 s, s),
				0, NULL, NULL, NULL, SPI_OK_SELECT);
		{
			bool  isnull;
			Datum v = spi_datum(0, 1, &isnull);

			next_due = isnull ? 0 : DatumGetTimestampTz(v);
		}

		/* 6. claim queued jobs, re-checking LOGIN and CONNECT of their role */
		spi_run(
			psprintf(
				"SELECT j.id, j.owner::oid, r.oid IS NOT NULL, coalesce(r.rolcanlogin, false), "
				"r.oid IS NOT NULL AND has_database_privilege(j.owner::oid, %u::oid, 'CONNECT'), "
				"r.rolname FROM %s.ai_catalog_jobs j "
				"LEFT JOIN pg_authid r ON r.oid = j.owner::oid "
				"WHERE j.state = 'queued' ORDER BY j.id LIMIT %d FOR UPDATE OF j SKIP LOCKED",
				MyDatabaseId, s, sh->max_workers * 4 + 16),
			0, NULL, NULL, NULL, SPI_OK_SELECT);
		{
			SPITupleTable *tt = SPI_tuptable;
			uint64		   n = SPI_processed;

			for (uint64 r = 0; r < n; r++)
			{
				bool		isnull;
				HeapTuple	tup = tt->vals[r];
				int64		id = DatumGetInt64(SPI_getbinval(tup, tt->tupdesc, 1, &isnull));
				Oid			role = DatumGetObjectId(SPI_getbinval(tup, tt->tupdesc, 2, &isnull));
				bool		exists = DatumGetBool(SPI_getbinval(tup, tt->tupdesc, 3, &isnull));
				bool		login = DatumGetBool(SPI_getbinval(tup, tt->tupdesc, 4, &isnull));
				bool		connect = DatumGetBool(SPI_getbinval(tup, tt->tupdesc, 5, &isnull));
				char	   *rolname = SPI_getvalue(tup, tt->tupdesc, 6);
				const char *why = NULL;
				Oid			types[2] = {INT8OID, TEXTOID};
				Datum		values[2];
				int			slot = -1;

				if (!exists)
					why = "the role that submitted the job no longer exists";
				else if (!login)
					why = psprintf("role \"%s\" is not permitted to log in, so its job cannot run",
								   rolname);
				else if (!connect)
					why = psprintf("role \"%s\" has no CONNECT privilege on database \"%s\", so "
								   "its job cannot run",
								   rolname, db->name);
				values[0] = Int64GetDatum(id);
				if (why)
				{
					values[1] = CStringGetTextDatum(why);
					spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = 'failed', "
									 "finished_at = now(), error = $2 WHERE id = $1",
									 s),
							2, types, values, NULL, SPI_OK_UPDATE);
					continue;
				}
				if (n_claimed == lengthof(claimed))
					break;
				LWLockAcquire(sh->lock, LW_EXCLUSIVE);
				for (int i = 0; i < sh->max_workers; i++)
					if (sh->slots[i].state == PGL_SLOT_FREE)
					{
						PglJobSlot *sl = &sh->slots[i];

						memset(sl, 0, sizeof(*sl));
						sl->state = PGL_SLOT_CLAIMED;
						sl->dboid = MyDatabaseId;
						sl->roleid = role;
						sl->job_id = id;
						slot = i;
						break;
					}
				LWLockRelease(sh->lock);
				if (slot < 0)
					break; /* all workers busy: the rest stay queued */
				claimed[n_claimed++] = slot;
				spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = 'running', "
								 "started_at = now() WHERE id = $1",
								 s),
						1, types, values, NULL, SPI_OK_UPDATE);
			}
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n_claimed; i++)
		if (sh->slots[claimed[i]].state == PGL_SLOT_CLAIMED)
			sh->slots[claimed[i]].state = PGL_SLOT_READY;
	db->next_due = next_due;
	if (sh->launcher_latch)
		SetLatch(sh->launcher_latch);
	LWLockRelease(sh->lock);
	proc_exit(0);
}

/* ---------- the job worker ---------- */

static volatile PglJobSlot *my_job_slot = NULL;

/*
 * SIGTERM (pg_terminate_backend, shutdown) cancels the training like
 * SIGINT, so the worker records the job as cancelled before it exits.
 */
static void
job_sigterm(SIGNAL_ARGS)
{
	int save_errno = errno;

	if (my_job_slot)
		my_job_slot->got_sigterm = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* the end of the job is recorded: the slot is free for the next one */
static void
free_my_slot(void)
{
	PglShared *sh = pgl_shared();

	if (sh == NULL || my_job_slot == NULL)
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	if (my_job_slot->state == PGL_SLOT_STARTED)
		my_job_slot->state = PGL_SLOT_FREE;
	/* a queued job or a waiting schedule may go now */
	for (int d = 0; d < sh->n_databases; d++)
		if (sh->databases[d].oid == MyDatabaseId)
			sh->databases[d].scan_requested = true;
	if (sh->launcher_latch)
		SetLatch(sh->launcher_latch);
	LWLockRelease(sh->lock);
}

typedef struct JobRow
{
	char *name, *algorithm, *data, *target, *options, *deploy, *metric, *search_path;
} JobRow;

/* the text of a jsonb field of obj, or "?" */
static const char *
jsonb_field(JsonbContainer *obj, const char *key)
{
	JsonbValue v;

	if (!getKeyJsonValueFromContainer(obj, key, strlen(key), &v))
		return "?";
	if (v.type == jbvString)
		return pnstrdup(v.val.string.val, v.val.string.len);
	if (v.type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
	return "?";
}

/* "deployed: new version 3 has rmse 1.2, live version 2 has 1.3" of ai_train's metrics */
static char *
if_better_note(Jsonb *metrics, int32 version, bool deployed)
{
	JsonbValue		ib, live;
	JsonbContainer *c;

	if (!getKeyJsonValueFromContainer(&metrics->root, "if_better", 9, &ib) || ib.type != jbvBinary)
		return NULL;
	c = ib.val.binary.data;
	if (!getKeyJsonValueFromContainer(c, "live", 4, &live))
		return NULL;
	return psprintf("%s: new version %d has %s %s, live version %s has %s%s",
					deployed ? "deployed" : "not deployed", version, jsonb_field(c, "metric"),
					jsonb_field(c, "new"), jsonb_field(c, "live_version"), jsonb_field(c, "live"),
					deployed ? "" : " (better)");
}

/*
 * Train through ai_train, which also decides the deployment ("deploy":
 * "if_better" with "metric" are ai_train's options, store.c).  A job queued
 * before 0.3 kept "if_better" in its own columns only: they are put back
 * into the options.  Returns the version; *deployed and *note are set.
 */
static int32
run_training(const ExtInfo *ei, const JobRow *j, bool *deployed, char **note)
{
	Oid	  types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum values[5];
	char  nulls[5] = "     ";
	bool  isnull;
	int32 version;
	Datum opts = DirectFunctionCall1(jsonb_in, CStringGetDatum(j->options));

	*note = NULL;
	if (strcmp(j->deploy, "if_better") == 0)
	{
		opts = DirectFunctionCall2(
			jsonb_concat, opts,
			DirectFunctionCall1(jsonb_in,
								CStringGetDatum(j->metric ? psprintf("{\"deploy\": \"if_better\", "
																	 "\"metric\": \"%s\"}",
																	 j->metric)
														  : "{\"deploy\": \"if_better\"}")));
	}
	values[0] = CStringGetTextDatum(j->name);
	values[1] = CStringGetTextDatum(j->algorithm);
	values[2] = CStringGetTextDatum(j->data);
	values[3] = j->target ? CStringGetTextDatum(j->target) : (Datum) 0;
	nulls[3] = j->target ? ' ' : 'n';
	values[4] = opts;
	spi_run_as_caller(
		psprintf("SELECT version, deployed, metrics FROM %s.ai_train($1, $2, $3, $4, $5)",
				 ei->schema),
		5, types, values, nulls, SPI_OK_SELECT);
	version = DatumGetInt32(spi_datum(0, 1, &isnull));
	*deployed = DatumGetBool(spi_datum(0, 2, &isnull));
	*note = if_better_note(DatumGetJsonbP(spi_datum(0, 3, &isnull)), version, *deployed);
	return version;
}

static void
record_end(const ExtInfo *ei, int64 id, const char *state, const char *error, int32 version,
		   bool deployed)
{
	AsOwner sw;
	Oid		types[5] = {INT8OID, TEXTOID, TEXTOID, INT4OID, BOOLOID};
	Datum	values[5];
	char	nulls[5] = "     ";

	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(state);
	values[2] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[2] = error ? ' ' : 'n';
	values[3] = Int32GetDatum(version);
	nulls[3] = version > 0 ? ' ' : 'n';
	values[4] = BoolGetDatum(deployed);
	nulls[4] = version > 0 ? ' ' : 'n';
	pgl_catalog_become_owner(&sw);
	spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = $2, error = $3, version = $4, "
					 "deployed = $5, finished_at = pg_catalog.now() "
					 "WHERE id OPERATOR(pg_catalog.=) $1",
					 ei->schema),
			5, types, values, nulls, SPI_OK_UPDATE);
	pgl_catalog_restore_user(&sw);
}

void
pgl_job_worker_main(Datum arg)
{
	int			  i = DatumGetInt32(arg);
	PglShared	 *sh = worker_shared();
	PglJobSlot	 *slot = &sh->slots[i];
	int64		  job_id;
	Oid			  dboid, roleid;
	ExtInfo		  ei;
	JobRow		  j;
	bool		  runnable = false;
	MemoryContext top = CurrentMemoryContext;
	ErrorData	 *edata = NULL;
	int32		  version = 0;
	bool		  deployed = false;
	char		 *note = NULL;

	memcpy(&job_id, MyBgworkerEntry->bgw_extra, sizeof(int64));
	LWLockAcquire(sh->lock, LW_SHARED);
	if (slot->state != PGL_SLOT_STARTED || slot->job_id != job_id)
	{
		LWLockRelease(sh->lock);
		proc_exit(0);
	}
	dboid = slot->dboid;
	roleid = slot->roleid;
	LWLockRelease(sh->lock);
	my_job_slot = slot;

	pqsignal(SIGTERM, job_sigterm);
	BackgroundWorkerUnblockSignals();
	/* the submitting role, by OID: a renamed role keeps its jobs */
	BackgroundWorkerInitializeConnectionByOid(dboid, roleid, 0);
	/* the job's end and its model version stay recorded across a crash */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	slot->pid = MyProcPid;
	/* a worker that exits before recording leaves the slot for the launcher */
	pgstat_report_appname(psprintf("pg_learn job " INT64_FORMAT, job_id));

	/* read the job */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ext_info(&ei))
	{
		AsOwner sw;
		Oid		types[1] = {INT8OID};
		Datum	values[1] = {Int64GetDatum(job_id)};

		pgl_catalog_become_owner(&sw);
		spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET worker_pid = %d "
						 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) "
						 "'running' RETURNING model_name, algorithm, data, target, options::text, "
						 "deploy, metric, search_path",
						 ei.schema, MyProcPid),
				1, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		if (SPI_processed == 1)
		{
			MemoryContext old = MemoryContextSwitchTo(top);

			runnable = true;
			ei.schema = pstrdup(ei.schema);
			j.name = pstrdup(spi_text(0, 1));
			j.algorithm = pstrdup(spi_text(0, 2));
			j.data = pstrdup(spi_text(0, 3));
			j.target = spi_text(0, 4) ? pstrdup(spi_text(0, 4)) : NULL;
			j.options = pstrdup(spi_text(0, 5));
			j.deploy = pstrdup(spi_text(0, 6));
			j.metric = spi_text(0, 7) ? pstrdup(spi_text(0, 7)) : NULL;
			j.search_path = pstrdup(spi_text(0, 8));
			MemoryContextSwitchTo(old);
		}
		pgl_catalog_restore_user(&sw);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (!runnable)
	{
		free_my_slot();
		proc_exit(0);
	}
	pgstat_report_activity(
		STATE_RUNNING, psprintf("pg_learn job " INT64_FORMAT ": training \"%s\"", job_id, j.name));

	/* train, and record success in the same transaction */
	pgl_current_job_id = job_id;
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (StatementTimeout > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		if (slot->cancel_requested)
			ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("cancelled by ai_cancel()")));
		(void) set_config_option("search_path", j.search_path, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		version = run_training(&ei, &j, &deployed, &note);
		CHECK_FOR_INTERRUPTS();
		record_end(&ei, job_id, "succeeded", note, version, deployed);
		disable_timeout(STATEMENT_TIMEOUT, false);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		disable_all_timeouts(false);
		MemoryContextSwitchTo(top);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		QueryCancelPending = false;
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	pgl_current_job_id = 0;

	if (edata != NULL)
	{
		const char *state = "failed";
		char	   *msg = edata->message ? edata->message : "unknown error";

		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			if (slot->cancel_requested)
			{
				state = "cancelled";
				msg = "cancelled by ai_cancel()";
			}
			else if (slot->got_sigterm)
			{
				state = "cancelled";
				msg = "terminated by SIGTERM (pg_terminate_backend() or server shutdown)";
			}
			else if (strstr(msg, "statement timeout") != NULL)
				msg = psprintf("%s (statement_timeout = %d ms)", msg, StatementTimeout);
			else
				state = "cancelled"; /* pg_cancel_backend() */
		}
		else if (edata->detail)
			msg = psprintf("%s (%s)", msg, edata->detail);
		ereport(LOG, (errmsg("pg_learn job " INT64_FORMAT " (model \"%s\") %s: %s", job_id, j.name,
							 state, msg)));

		HOLD_INTERRUPTS();
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		record_end(&ei, job_id, state, msg, 0, false);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		RESUME_INTERRUPTS();
	}
	pgstat_report_activity(STATE_IDLE, NULL);
	free_my_slot();
	proc_exit(0);
}
