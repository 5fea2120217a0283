/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  pg_learn_launcher: the small library named in shared_preload_libraries.
 *
 * It links no BLAS (the postmaster must stay single-threaded), requests the
 * shared memory of pgl_shmem.h, and registers the launcher: a background
 * worker connected to no database.  The launcher
 *	- starts, one at a time, a short-lived dispatcher per database of
 *	  pg_learn.databases (when a job was submitted, a worker stopped, a
 *	  schedule is due, or every pg_learn.naptime); the dispatcher, in
 *	  pg_learn.so, records orphaned jobs, turns due schedules into jobs and
 *	  claims queued jobs into free job slots;
 *	- starts one dynamic background worker per claimed job (pg_learn.so's
 *	  pgl_job_worker_main), at most pg_learn.max_workers at once;
 *	- watches them, and marks the slot of a worker that stopped without
 *	  recording its end as orphaned.
 * Because no process stays connected to a database between dispatches,
 * DROP DATABASE is never blocked by the launcher.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <unistd.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "pgl_shmem.h"

PG_MODULE_MAGIC;

void			 _PG_init(void);
PGDLLEXPORT void pgl_launcher_main(Datum arg);

static int	 pgl_max_workers = 2;
static char *pgl_databases = NULL;
static int	 pgl_naptime = 60;

static PglSharedHandle		  *handle;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static volatile sig_atomic_t   got_sigterm = false;

static Size
pgl_shmem_size(void)
{
	Size size = offsetof(PglShared, slots);

	size = add_size(size, mul_size(sizeof(PglJobSlot), pgl_max_workers));
	size = MAXALIGN(size);
	size = add_size(size, mul_size(sizeof(PglProgress), MaxBackends));
	size = MAXALIGN(size);
	size = add_size(size, mul_size(sizeof(PglUnseen), PGL_UNSEEN_SLOTS));
	return size;
}

static void
pgl_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(pgl_shmem_size());
	RequestNamedLWLockTranche("pg_learn", 1);
}

static void
pgl_shmem_startup(void)
{
	bool	   found;
	PglShared *sh;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sh = ShmemInitStruct("pg_learn", pgl_shmem_size(), &found);
	if (!found)
	{
		char *raw = pstrdup(pgl_databases ? pgl_databases : "");
		List *names = NIL;

		memset(sh, 0, pgl_shmem_size());
		sh->version = PGL_SHMEM_VERSION;
		sh->lock = &(GetNamedLWLockTranche("pg_learn"))->lock;
		sh->max_workers = pgl_max_workers;
		sh->n_progress = MaxBackends;
		sh->progress =
			(PglProgress *) ((char *) sh + MAXALIGN(offsetof(PglShared, slots) +
													sizeof(PglJobSlot) * pgl_max_workers));
		sh->unseen =
			(PglUnseen *) ((char *) sh->progress + MAXALIGN(sizeof(PglProgress) * MaxBackends));
		for (int i = 0; i < PGL_UNSEEN_SLOTS; i++)
		{
			pg_atomic_init_u64(&sh->unseen[i].version_id, 0);
			pg_atomic_init_u64(&sh->unseen[i].unseen, 0);
		}
		if (!SplitIdentifierString(raw, ',', &names))
			elog(WARNING, "pg_learn.databases is not a valid list of database names");
		else
		{
			ListCell *lc;

			foreach (lc, names)
			{
				if (sh->n_databases == PGL_MAX_DATABASES)
				{
					elog(WARNING, "pg_learn.databases: only the first %d databases are served",
						 PGL_MAX_DATABASES);
					break;
				}
				strlcpy(sh->databases[sh->n_databases++].name, lfirst(lc), NAMEDATALEN);
			}
		}
	}
	LWLockRelease(AddinShmemInitLock);
	handle->shared = sh;
}

void
_PG_init(void)
{
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("pg_learn_launcher must be loaded at server start"),
						errhint("Add pg_learn_launcher to shared_preload_libraries and restart "
								"the server.")));

	DefineCustomIntVariable("pg_learn.max_workers", "Background trainings that may run at once.",
							"Each running job uses one background worker process "
							"(see max_worker_processes).",
							&pgl_max_workers, 2, 1, 64, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pg_learn.databases",
							   "Databases whose jobs and schedules the launcher serves.",
							   "A comma-separated list of database names.", &pgl_databases,
							   "postgres", PGC_POSTMASTER, GUC_LIST_INPUT, NULL, NULL, NULL);
	DefineCustomIntVariable(
		"pg_learn.naptime", "How often the launcher looks at each database without being woken.",
		NULL, &pgl_naptime, 60, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);

	handle = (PglSharedHandle *) MemoryContextAllocZero(TopMemoryContext, sizeof(PglSharedHandle));
	*find_rendezvous_variable(PGL_SHMEM_RENDEZVOUS) = handle;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pgl_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pgl_shmem_startup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strcpy(worker.bgw_library_name, "pg_learn_launcher");
	strcpy(worker.bgw_function_name, "pgl_launcher_main");
	strcpy(worker.bgw_name, "pg_learn launcher");
	strcpy(worker.bgw_type, "pg_learn launcher");
	RegisterBackgroundWorker(&worker);
}

/* ---------- the launcher ---------- */

static void
launcher_sigterm(SIGNAL_ARGS)
{
	int save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* the postmaster's notice that a worker started or stopped */
static void
launcher_sigusr1(SIGNAL_ARGS)
{
	int save_errno = errno;

	SetLatch(MyLatch);
	errno = save_errno;
}

/* registration handles, known only to this launcher process */
static BackgroundWorkerHandle **job_handles;
static BackgroundWorkerHandle  *dispatcher;
static int						dispatcher_db = -1;

static void
orphan(PglShared *sh, int i, const char *msg)
{
	PglJobSlot *s = &sh->slots[i];

	s->state = PGL_SLOT_ORPHANED;
	strlcpy(s->message, msg, PGL_MSG_LEN);
	for (int d = 0; d < sh->n_databases; d++)
		if (sh->databases[d].oid == s->dboid)
			sh->databases[d].scan_requested = true;
}

static bool
start_dispatcher(PglShared *sh, int d)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	strcpy(w.bgw_library_name, "pg_learn");
	strcpy(w.bgw_function_name, "pgl_dispatcher_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "pg_learn dispatcher for %s", sh->databases[d].name);
	strcpy(w.bgw_type, "pg_learn dispatcher");
	w.bgw_main_arg = Int32GetDatum(d);
	w.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&w, &dispatcher);
}

static bool
start_job_worker(PglShared *sh, int i)
{
	BackgroundWorker w;
	PglJobSlot		*s = &sh->slots[i];

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	strcpy(w.bgw_library_name, "pg_learn");
	strcpy(w.bgw_function_name, "pgl_job_worker_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "pg_learn job " INT64_FORMAT, s->job_id);
	strcpy(w.bgw_type, "pg_learn job");
	w.bgw_main_arg = Int32GetDatum(i);
	memcpy(w.bgw_extra, &s->job_id, sizeof(int64));
	w.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&w, &job_handles[i]);
}

void
pgl_launcher_main(Datum arg)
{
	PglShared *sh = handle->shared;
	bool	   warned_slots = false;

	pqsignal(SIGTERM, launcher_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* (a bgworker without a database connection ignores SIGUSR1 by default) */
	pqsignal(SIGUSR1, launcher_sigusr1);
	BackgroundWorkerUnblockSignals();

	job_handles = MemoryContextAllocZero(TopMemoryContext,
										 sizeof(BackgroundWorkerHandle *) * sh->max_workers);

	/*
	 * A new launcher knows none of the workers of a previous one (after a
	 * SIGTERM, shared memory is kept): a worker that is gone is orphaned, a
	 * living one is watched by its pid.  A claim of a dispatcher that died
	 * is dropped.  After a crash restart everything is empty, and the first
	 * dispatch of each database fails the jobs left "running".
	 */
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	sh->launcher_latch = MyLatch;
	sh->launcher_pid = MyProcPid;
	for (int i = 0; i < sh->max_workers; i++)
	{
		PglJobSlot *s = &sh->slots[i];

		if (s->state == PGL_SLOT_CLAIMED)
			s->state = PGL_SLOT_FREE;
		else if (s->state == PGL_SLOT_STARTED && (s->pid == 0 || kill(s->pid, 0) != 0))
			orphan(sh, i, "the job's worker stopped while the launcher was not running");
	}
	for (int d = 0; d < sh->n_databases; d++)
		sh->databases[d].scan_requested = true;
	LWLockRelease(sh->lock);
	ereport(LOG, (errmsg("pg_learn launcher started, serving %d database(s) with up to %d workers",
						 sh->n_databases, sh->max_workers)));

	while (!got_sigterm)
	{
		TimestampTz now;
		long		wait_ms = (long) pgl_naptime * 1000;
		int			rc;

		ResetLatch(MyLatch);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* the dispatcher: done? */
		if (dispatcher != NULL)
		{
			pid_t pid;

			if (GetBackgroundWorkerPid(dispatcher, &pid) == BGWH_STOPPED)
			{
				LWLockAcquire(sh->lock, LW_EXCLUSIVE);
				/* a claim it left behind (it died before marking it READY) */
				for (int i = 0; i < sh->max_workers; i++)
					if (sh->slots[i].state == PGL_SLOT_CLAIMED)
						sh->slots[i].state = PGL_SLOT_FREE;

				/*
				 * It could not connect: if the database was dropped, the
				 * jobs of its orphaned slots went with it, and nobody else
				 * would free the slots.
				 */
				if (!sh->databases[dispatcher_db].connected &&
					sh->databases[dispatcher_db].oid != InvalidOid)
					for (int i = 0; i < sh->max_workers; i++)
						if (sh->slots[i].state == PGL_SLOT_ORPHANED &&
							sh->slots[i].dboid == sh->databases[dispatcher_db].oid)
							sh->slots[i].state = PGL_SLOT_FREE;
				/*
				 * A dispatcher that could not connect (the database does
				 * not exist yet, or was dropped) is tried again in a minute,
				 * or when a job is submitted there.
				 */
				sh->databases[dispatcher_db].next_scan = TimestampTzPlusMilliseconds(
					GetCurrentTimestamp(),
					(sh->databases[dispatcher_db].connected ? pgl_naptime : Max(pgl_naptime, 60)) *
						1000L);
				LWLockRelease(sh->lock);
				pfree(dispatcher);
				dispatcher = NULL;
				dispatcher_db = -1;
			}
		}

		/* the job workers */
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		for (int i = 0; i < sh->max_workers; i++)
		{
			PglJobSlot *s = &sh->slots[i];

			if (s->state == PGL_SLOT_STARTED)
			{
				bool stopped;

				if (job_handles[i] != NULL)
				{
					pid_t pid;

					stopped = GetBackgroundWorkerPid(job_handles[i], &pid) == BGWH_STOPPED;
				}
				else
					stopped = s->pid != 0 && kill(s->pid, 0) != 0;
				if (stopped)
					orphan(sh, i,
						   s->got_sigterm ? "the job's worker was terminated"
						   : s->pid == 0
							   ? "the job's worker could not start: the role may have lost LOGIN "
								 "or CONNECT, see the server log"
							   : "the job's worker stopped without recording the end of the job, "
								 "see the server log");
			}
			else if (s->state != PGL_SLOT_STARTED && job_handles[i] != NULL)
			{
				/* ended normally (the worker freed its slot) */
				pfree(job_handles[i]);
				job_handles[i] = NULL;
			}
			if (s->state == PGL_SLOT_READY)
			{
				if (job_handles[i] != NULL)
				{
					pfree(job_handles[i]);
					job_handles[i] = NULL;
				}
				s->pid = 0;
				s->got_sigterm = false;
				if (start_job_worker(sh, i))
				{
					s->state = PGL_SLOT_STARTED;
					warned_slots = false;
				}
				else
				{
					if (!warned_slots)
						ereport(WARNING,
								(errmsg("pg_learn: no background worker slot for job " INT64_FORMAT,
										s->job_id),
								 errhint("Raise max_worker_processes; the job starts when a slot "
										 "is free.")));
					warned_slots = true;
					wait_ms = Min(wait_ms, 1000);
				}
			}
		}

		/* a dispatch, for at most one database at a time */
		now = GetCurrentTimestamp();
		if (dispatcher == NULL)
		{
			for (int d = 0; d < sh->n_databases; d++)
			{
				PglDatabase *db = &sh->databases[d];

				if (db->scan_requested || now >= db->next_scan ||
					(db->next_due != 0 && now >= db->next_due))
				{
					db->scan_requested = false;
					db->connected = false;
					if (start_dispatcher(sh, d))
						dispatcher_db = d;
					else
					{
						db->scan_requested = true;
						wait_ms = Min(wait_ms, 1000);
					}
					break;
				}
			}
		}
		for (int d = 0; d < sh->n_databases && dispatcher == NULL; d++)
		{
			PglDatabase *db = &sh->databases[d];
			TimestampTz	 next = db->next_scan;

			if (db->scan_requested)
				next = now;
			if (db->next_due != 0 && db->next_due < next)
				next = db->next_due;
			wait_ms = Min(wait_ms, Max(0, (long) ((next - now) / 1000)));
		}
		/* orphans and schedules of a database wait for its next dispatch */
		LWLockRelease(sh->lock);

		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, Max(wait_ms, 10),
					   PG_WAIT_EXTENSION);
		(void) rc;
		CHECK_FOR_INTERRUPTS();
	}

	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	if (sh->launcher_pid == MyProcPid)
	{
		sh->launcher_latch = NULL;
		sh->launcher_pid = 0;
	}
	LWLockRelease(sh->lock);
	ereport(LOG, (errmsg("pg_learn launcher shutting down"),
				  errdetail("Running jobs go on; unless the server is shutting down, the launcher "
							"starts again in 5 seconds.")));
	proc_exit(1);
}
