/*-------------------------------------------------------------------------
 *
 * dispatcher.c
 *	  pgl_dispatcher_main, started by pg_learn_launcher for one database
 *	  when there is something to do there: connected as the bootstrap
 *	  superuser for a moment, in one transaction it records the end of
 *	  orphaned jobs, fails jobs left "running" by a crash or restart, counts
 *	  the failed runs of schedules in a row and pauses those with too many,
 *	  turns due active schedules into jobs, and claims queued jobs into free
 *	  job slots after re-checking that their role may still log in and
 *	  connect.  The launcher starts a job worker (worker.c) per claimed slot.
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
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

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
	spi_run(psprintf("WITH e AS (SELECT c.name, c.last_job, j.state, j.error, "
					 "coalesce(j.state = 'failed' AND c.max_failures > 0 "
					 "AND c.consecutive_failures + 1 >= c.max_failures, false) AS pause "
					 "FROM %s.ai_catalog_schedules c LEFT JOIN %s.ai_catalog_jobs j "
					 "ON j.id = c.last_job AND j.schedule_name = c.name "
					 "WHERE c.last_job IS NOT NULL AND c.counted_job IS DISTINCT FROM c.last_job "
					 "AND (j.id IS NULL OR j.state NOT IN ('queued', 'running')) "
					 "FOR UPDATE OF c SKIP LOCKED) "
					 "UPDATE %s.ai_catalog_schedules c SET counted_job = e.last_job, "
					 "consecutive_failures = CASE e.state WHEN 'failed' "
					 "THEN c.consecutive_failures + 1 WHEN 'succeeded' THEN 0 "
					 "ELSE c.consecutive_failures END, "
					 "last_error = CASE e.state WHEN 'failed' THEN e.error "
					 "WHEN 'succeeded' THEN NULL ELSE c.last_error END, "
					 "state = CASE WHEN e.pause THEN 'paused' ELSE c.state END, "
					 "paused_at = CASE WHEN e.pause THEN now() ELSE c.paused_at END "
					 "FROM e WHERE c.name = e.name "
					 "RETURNING c.name, c.consecutive_failures, c.last_error, e.pause",
					 s, s, s),
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
 * 1. Orphaned slots (their worker stopped without recording the end of its
 * job): record how their job ended; the slots are copied under the lock,
 * the rows written without it.  Returns the ids (as text) of the active
 * jobs of this database, the other slots.
 */
static List *
record_orphans(PglShared *sh, const char *s)
{
	List	   *active = NIL;
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

		/* a trial helper's job is its searching worker's to record */
		if (copy[k].trial)
			continue;
		copy[k].message[PGL_MSG_LEN - 1] = '\0';
		values[0] = Int64GetDatum(copy[k].job_id);
		values[1] = CStringGetTextDatum(cancelled ? "cancelled" : "failed");
		values[2] = CStringGetTextDatum(copy[k].cancel_requested ? "cancelled by ai_cancel()"
																 : copy[k].message);
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
	return active;
}

/* 2. jobs left running by a crash or a restart: those of no active slot */
static void
fail_left_running(const char *s, List *active, const char *dbname)
{
	ListCell	  *lc;
	StringInfoData ids;
	Oid			   types[1] = {TEXTOID};
	Datum		   values[1];

	initStringInfo(&ids);
	appendStringInfoString(&ids, "{");
	foreach (lc, active)
		appendStringInfo(&ids, "%s%s", foreach_current_index(lc) ? "," : "", (char *) lfirst(lc));
	appendStringInfoString(&ids, "}");
	values[0] = CStringGetTextDatum(ids.data);
	spi_run(psprintf("UPDATE %s.ai_catalog_jobs SET state = 'failed', finished_at = now(), "
					 "error = 'the job''s worker stopped without recording the end of the "
					 "job (server crash or restart); see the server log' "
					 "WHERE state = 'running' AND id <> ALL ($1::text::int8[])",
					 s),
			1, types, values, NULL, SPI_OK_UPDATE);
	if (SPI_processed > 0)
		ereport(LOG, (errmsg("pg_learn: marked " UINT64_FORMAT
							 " job(s) left running in database \"%s\" as failed",
							 SPI_processed, dbname)));
}

/* 3. jobs and schedules of roles that no longer exist */
static void
drop_dead_roles(const char *s)
{
	spi_run(
		psprintf("UPDATE %s.ai_catalog_jobs j SET state = 'failed', finished_at = now(), "
				 "error = 'the role (OID ' || owner::oid || ') that submitted the job no longer "
				 "exists' WHERE state = 'queued' AND NOT EXISTS (SELECT FROM pg_authid r "
				 "WHERE r.oid = j.owner::oid)",
				 s),
		0, NULL, NULL, NULL, SPI_OK_UPDATE);
	spi_run(psprintf("DELETE FROM %s.ai_catalog_schedules c WHERE NOT EXISTS "
					 "(SELECT FROM pg_authid r WHERE r.oid = c.owner::oid)",
					 s),
			0, NULL, NULL, NULL, SPI_OK_DELETE);
}

/* 5. due active schedules (the end of their last job counted) become jobs */
static void
fire_due_schedules(const char *s)
{
	spi_run(psprintf("WITH due AS (SELECT * FROM %s.ai_catalog_schedules c WHERE next_run <= now() "
					 "AND state = 'active' AND c.counted_job IS NOT DISTINCT FROM c.last_job "
					 "FOR UPDATE SKIP LOCKED), "
					 "j AS (INSERT INTO %s.ai_catalog_jobs (%s, algorithm, data, target, "
					 "options, deploy, metric, owner, search_path, schedule_name) "
					 "SELECT name, algorithm, data, target, options, deploy, metric, owner, "
					 "search_path, name FROM due RETURNING id, schedule_name) "
					 "UPDATE %s.ai_catalog_schedules c SET last_run = now(), last_job = j.id, "
					 "next_run = CASE WHEN c.cron IS NULL "
					 "THEN CASE WHEN c.next_run + c.every_interval > now() "
					 "THEN c.next_run + c.every_interval ELSE now() + c.every_interval END "
					 "ELSE %s.ai_cron_next(c.cron, now(), c.time_zone) END "
					 "FROM j WHERE c.name = j.schedule_name",
					 s, s, pgl_catalog_col("name"), s, s),
			0, NULL, NULL, NULL, SPI_OK_UPDATE);
}

/* when the launcher should look again for a schedule (0: none waits) */
static TimestampTz
next_schedule_due(const char *s)
{
	bool  isnull;
	Datum v;

	/* (a schedule whose last job has not ended waits for that job's end) */
	spi_run(psprintf("SELECT min(next_run) FROM %s.ai_catalog_schedules c "
					 "WHERE state = 'active' AND NOT EXISTS "
					 "(SELECT FROM %s.ai_catalog_jobs j WHERE j.id = c.last_job "
					 "AND j.state IN ('queued', 'running'))",
					 s, s),
			0, NULL, NULL, NULL, SPI_OK_SELECT);
	v = spi_datum(0, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(v);
}

/*
 * 6. Claim queued jobs into free slots (at most max_claimed), re-checking
 * LOGIN and CONNECT of their role; a job whose role may not run fails.
 * Returns the number of slots claimed, their indexes in claimed[].
 */
static int
claim_queued_jobs(PglShared *sh, const char *s, const char *dbname, int *claimed, int max_claimed)
{
	int n_claimed = 0;

	spi_run(
		psprintf("SELECT j.id, j.owner::oid, r.oid IS NOT NULL, coalesce(r.rolcanlogin, false), "
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
							   rolname, dbname);
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
			if (n_claimed == max_claimed)
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
	return n_claimed;
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
		const char *s = ei.schema;

		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);
		fail_left_running(s, record_orphans(sh, s), db->name);
		drop_dead_roles(s);
		/* 4. count the end of each schedule's last job; too many failures pause it */
		count_schedule_runs(s);
		fire_due_schedules(s);
		next_due = next_schedule_due(s);
		n_claimed = claim_queued_jobs(sh, s, db->name, claimed, lengthof(claimed));
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
