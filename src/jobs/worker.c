/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  pgl_job_worker_main, started by pg_learn_launcher for a claimed job
 *	  slot: connected as the role that submitted the job (by OID), it runs
 *	  ai_train through SPI with that role's privileges, row level security
 *	  and statement_timeout, and records the end of the job in the same
 *	  transaction as the new model version (or, after an ERROR, in a
 *	  transaction of its own).  A trial slot's worker helps a running job
 *	  with the trials of its search instead (trials.c).
 *
 *-------------------------------------------------------------------------
 */
#include "jobs_internal.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "algorithms.h"
#include "drift_glue.h"

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
 * A drift check (drift_job.c) instead of a training: ai_drift's rows into
 * the table of the option "into" as the job's role; the version checked.
 */
static int32
run_drift_check(const ExtInfo *ei, const JobRow *j, char **note)
{
	Oid	  types[2] = {TEXTOID, TEXTOID};
	Datum values[2];
	char *create, *model;
	char *insert = pgl_drift_job_sql(ei->schema, j->options, &create, &model);
	bool  isnull;
	Datum version;

	values[0] = CStringGetTextDatum(model ? model : j->name);
	values[1] = CStringGetTextDatum(j->data);
	spi_run_as_caller(create, 0, NULL, NULL, NULL, SPI_OK_UTILITY);
	spi_run_as_caller(insert, 2, types, values, NULL, SPI_OK_INSERT);
	*note = psprintf("drift check of \"%s\": " UINT64_FORMAT " rows written",
					 TextDatumGetCString(values[0]), SPI_processed);
	spi_run_as_caller(psprintf("SELECT version FROM %s.ai_models WHERE name "
							   "OPERATOR(pg_catalog.=) $1 AND deployed",
							   ei->schema),
					  1, types, values, NULL, SPI_OK_SELECT);
	version = SPI_processed == 1 ? spi_datum(0, 1, &isnull) : Int32GetDatum(0);
	return DatumGetInt32(version);
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
	*deployed = false;
	if (strcmp(j->algorithm, PGL_DRIFT_JOB) == 0)
		return run_drift_check(ei, j, note);
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

/*
 * Read the job of the slot (still "running", as the dispatcher left it) and
 * record the worker's pid, in a transaction of its own; the job and the
 * schema are copied into top.  False if the job is gone (cancelled,
 * extension dropped).
 */
static bool
read_job(int64 job_id, MemoryContext top, ExtInfo *ei, JobRow *j)
{
	bool runnable = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	if (ext_info(ei))
	{
		AsOwner sw;
		Oid		types[1] = {INT8OID};
		Datum	values[1] = {Int64GetDatum(job_id)};

		pgl_catalog_become_owner(&sw);
		spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET worker_pid = %d "
						 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) "
						 "'running' RETURNING %s, algorithm, data, target, options::text, "
						 "deploy, metric, search_path",
						 ei->schema, MyProcPid, pgl_catalog_col("name")),
				1, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		if (SPI_processed == 1)
		{
			MemoryContext old = MemoryContextSwitchTo(top);

			runnable = true;
			ei->schema = pstrdup(ei->schema);
			j->name = pstrdup(spi_text(0, 1));
			j->algorithm = pstrdup(spi_text(0, 2));
			j->data = pstrdup(spi_text(0, 3));
			j->target = spi_text(0, 4) ? pstrdup(spi_text(0, 4)) : NULL;
			j->options = pstrdup(spi_text(0, 5));
			j->deploy = pstrdup(spi_text(0, 6));
			j->metric = spi_text(0, 7) ? pstrdup(spi_text(0, 7)) : NULL;
			j->search_path = pstrdup(spi_text(0, 8));
			MemoryContextSwitchTo(old);
		}
		pgl_catalog_restore_user(&sw);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return runnable;
}

/*
 * The training ERRORed (or was cancelled): say why in the server log and
 * record the end of the job in a transaction of its own.
 */
static void
record_failure(const ExtInfo *ei, int64 job_id, const JobRow *j, volatile PglJobSlot *slot,
			   ErrorData *edata)
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
	ereport(LOG, (errmsg("pg_learn job " INT64_FORMAT " (model \"%s\") %s: %s", job_id, j->name,
						 state, msg)));

	HOLD_INTERRUPTS();
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	record_end(ei, job_id, state, msg, 0, false);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	RESUME_INTERRUPTS();
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
	bool		  trial;
	uint32		  trials_dsm;

	memcpy(&job_id, MyBgworkerEntry->bgw_extra, sizeof(int64));
	LWLockAcquire(sh->lock, LW_SHARED);
	if (slot->state != PGL_SLOT_STARTED || slot->job_id != job_id)
	{
		LWLockRelease(sh->lock);
		proc_exit(0);
	}
	dboid = slot->dboid;
	roleid = slot->roleid;
	trial = slot->trial;
	trials_dsm = slot->trials_dsm;
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
	pgstat_report_appname(psprintf(
		trial ? "pg_learn trials of job " INT64_FORMAT : "pg_learn job " INT64_FORMAT, job_id));
	if (trial)
	{
		/* a helper of a search (trials.c): no job row of its own */
		pgl_trials_help(job_id, trials_dsm, slot);
		free_my_slot();
		proc_exit(0);
	}

	/* read the job */
	runnable = read_job(job_id, top, &ei, &j);
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
		record_failure(&ei, job_id, &j, slot, edata);
	pgstat_report_activity(STATE_IDLE, NULL);
	free_my_slot();
	proc_exit(0);
}
