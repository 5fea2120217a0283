/*-------------------------------------------------------------------------
 *
 * trials.c
 *	  The trials of a background job's "search", in parallel over the job
 *	  slots (pg_learn.max_workers).
 *
 * The job's worker, in ai_train's pgl_search_run, puts the call (name,
 * algorithm, data, target, options, search_path) and one result per trial
 * in a dynamic shared memory segment, and claims free job slots for
 * helpers straight into READY (trial = true, no job row of their own); the
 * launcher starts a worker for each like any job's.  The job's worker and
 * its helpers then take trials from one counter in the segment until none
 * is left: each runs the trial exactly as the serial search does
 * (pgl_search_trial: the same settings, data, seeds and folds) and
 * publishes its result.  So the job's worker never waits holding the only
 * slot: with no free slot it runs the search itself, serially.  After its
 * own trials (and after each one it looks again for slots freed since),
 * it waits on its latch for the helpers' results, failing the trial of a
 * helper that stopped, then picks the best like the serial search.
 *
 * An ERROR of the job's worker (ai_cancel, statement_timeout, a trial's
 * error no setting avoids) sets the segment's stop flag, frees the slots
 * of helpers not started yet and cancels the others.  ai_cancel signals
 * every slot of the job, helpers included.  A helper's trial that a
 * setting causes to fail is recorded like the serial search's; one that
 * no setting avoids (a missing table) is raised by the job's worker; a
 * helper cancelled alone fails its trial.
 *
 *-------------------------------------------------------------------------
 */
#include "jobs_internal.h"

#include "search.h"
#include "train_glue.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "algorithms.h"

typedef struct TrialsShared
{
	int64			 job_id;
	pid_t			 parent_pid;
	int				 n;
	pg_atomic_uint32 next; /* the next trial to take */
	volatile bool	 stop; /* the search ended or failed: take no more */
	Size			 name, algorithm, data, target, options, search_path; /* offsets, 0: NULL */
	PglTrialResult	 trials[FLEXIBLE_ARRAY_MEMBER];						  /* n */
} TrialsShared;

/* ---------- the segment ---------- */

static Size
put_string(TrialsShared *ts, Size *at, const char *s)
{
	Size off = *at;

	if (s == NULL)
		return 0;
	memcpy((char *) ts + off, s, strlen(s) + 1);
	*at += strlen(s) + 1;
	return off;
}

static char *
get_string(TrialsShared *ts, Size off)
{
	return off == 0 ? NULL : pstrdup((char *) ts + off);
}

/* a segment holding c and n empty results */
static dsm_segment *
create_segment(PglTrainCall *c, int n, TrialsShared **out)
{
	const char	 *options = JsonbToCString(NULL, &c->options->root, VARSIZE(c->options));
	const char	 *path = GetConfigOption("search_path", false, false);
	const char	 *strings[6] = {c->name, c->algorithm, c->data, c->target, options, path};
	Size		  at = offsetof(TrialsShared, trials) + sizeof(PglTrialResult) * n;
	Size		  size = at;
	dsm_segment	 *seg;
	TrialsShared *ts;

	for (int i = 0; i < 6; i++)
		size += strings[i] ? strlen(strings[i]) + 1 : 0;
	seg = dsm_create(size, 0);
	ts = dsm_segment_address(seg);
	memset(ts, 0, at);
	ts->job_id = pgl_current_job_id;
	ts->parent_pid = MyProcPid;
	ts->n = n;
	pg_atomic_init_u32(&ts->next, 0);
	ts->name = put_string(ts, &at, c->name);
	ts->algorithm = put_string(ts, &at, c->algorithm);
	ts->data = put_string(ts, &at, c->data);
	ts->target = put_string(ts, &at, c->target);
	ts->options = put_string(ts, &at, options);
	ts->search_path = put_string(ts, &at, path);
	*out = ts;
	return seg;
}

/* trial i's result r, done last */
static void
publish(TrialsShared *ts, int i, PglTrialResult *r)
{
	r->done = false;
	memcpy((void *) &ts->trials[i], r, sizeof(*r));
	pg_write_barrier();
	ts->trials[i].done = true;
}

/* a helper's trial that a failure ended before its result */
static void
publish_error(TrialsShared *ts, int i, const char *msg, int fatal)
{
	PglTrialResult r;

	memset(&r, 0, sizeof(r));
	r.pid = MyProcPid;
	r.fatal = fatal;
	strlcpy(r.error, msg, sizeof(r.error));
	publish(ts, i, &r);
}

/* ---------- the job's worker: slots for helpers ---------- */

/* the slot of this job's worker, and the job's role; -1 if this is not one */
static int
my_job_slot(PglShared *sh, Oid *roleid)
{
	int mine = -1;

	LWLockAcquire(sh->lock, LW_SHARED);
	for (int i = 0; i < sh->max_workers; i++)
	{
		PglJobSlot *s = &sh->slots[i];

		if (s->state == PGL_SLOT_STARTED && !s->trial && s->pid == MyProcPid &&
			s->job_id == pgl_current_job_id)
		{
			mine = i;
			*roleid = s->roleid;
		}
	}
	LWLockRelease(sh->lock);
	return mine;
}

/*
 * Claim free slots for helpers of the search in segment h: as many as the
 * trials left to take beyond the one this process takes next, less the
 * helpers already there.  The launcher starts them.  Returns how many.
 */
static int
claim_helpers(PglShared *sh, TrialsShared *ts, dsm_handle h, Oid roleid)
{
	int left = ts->n - (int) Min(pg_atomic_read_u32(&ts->next), (uint32) ts->n);
	int want = left - 1;
	int got = 0;

	if (want <= 0)
		return 0;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	for (int i = 0; i < sh->max_workers; i++)
		if (sh->slots[i].trial && sh->slots[i].trials_dsm == h &&
			(sh->slots[i].state == PGL_SLOT_READY || sh->slots[i].state == PGL_SLOT_STARTED))
			want--;
	for (int i = 0; i < sh->max_workers && got < want; i++)
	{
		PglJobSlot *s = &sh->slots[i];

		if (s->state != PGL_SLOT_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->dboid = MyDatabaseId;
		s->roleid = roleid;
		s->job_id = ts->job_id;
		s->trial = true;
		s->trials_dsm = h;
		s->state = PGL_SLOT_READY;
		got++;
	}
	if (got > 0 && sh->launcher_latch)
		SetLatch(sh->launcher_latch);
	LWLockRelease(sh->lock);
	return got;
}

/*
 * The search ends: no more trials are taken, the slots of helpers not
 * started yet are freed, and with cancel the running helpers cancelled.
 */
static void
release_helpers(PglShared *sh, TrialsShared *ts, dsm_handle h, bool cancel)
{
	ts->stop = true;
	pg_write_barrier();
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	for (int i = 0; i < sh->max_workers; i++)
	{
		PglJobSlot *s = &sh->slots[i];

		if (!s->trial || s->trials_dsm != h || s->job_id != ts->job_id)
			continue;
		if (s->state == PGL_SLOT_READY)
			s->state = PGL_SLOT_FREE;
		else if (s->state == PGL_SLOT_STARTED && cancel && s->pid != 0)
			kill(s->pid, SIGINT);
	}
	if (sh->launcher_latch)
		SetLatch(sh->launcher_latch);
	LWLockRelease(sh->lock);
}

/* a helper's trial ended in an error no setting avoids: raise it here */
static void
raise_fatal(TrialsShared *ts)
{
	for (int i = 0; i < ts->n; i++)
		if (ts->trials[i].done)
		{
			pg_read_barrier();
			if (ts->trials[i].fatal != 0)
				ereport(ERROR, (errcode(ts->trials[i].fatal), errmsg("%s", ts->trials[i].error),
								errcontext("trial %d of %d, in process %d", i + 1, ts->n,
										   (int) ts->trials[i].pid)));
		}
}

/* the trials this process takes, until none is left */
static void
take_trials(PglTrainCall *c, PglShared *sh, TrialsShared *ts, dsm_handle h, Oid roleid)
{
	for (;;)
	{
		uint32		   i;
		PglTrialResult r;

		CHECK_FOR_INTERRUPTS();
		raise_fatal(ts);
		i = pg_atomic_fetch_add_u32(&ts->next, 1);
		if (i >= (uint32) ts->n)
			return;
		ts->trials[i].pid = MyProcPid;
		pgl_search_progress(i + 1, ts->n, ts->trials);
		pgl_search_trial(c, i, &r);
		publish(ts, i, &r);
		/* slots freed since the last look */
		(void) claim_helpers(sh, ts, h, roleid);
	}
}

/* wait for the helpers' trials; a trial whose helper stopped fails */
static void
wait_for_helpers(TrialsShared *ts)
{
	for (;;)
	{
		int pending = 0;

		raise_fatal(ts);
		for (int i = 0; i < ts->n; i++)
		{
			pid_t pid = ts->trials[i].pid;

			if (ts->trials[i].done)
				continue;
			if (pid != 0 && pid != MyProcPid && kill(pid, 0) != 0 && !ts->trials[i].done)
				publish_error(ts, i,
							  psprintf("the worker of the trial (pid %d) stopped before its "
									   "end; see the server log",
									   (int) pid),
							  0);
			else
				pending++;
		}
		if (pending == 0)
			return;
		pgl_search_progress(ts->n, ts->n, ts->trials);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

bool
pgl_trials_parallel(PglTrainCall *c, int n, PglTrialResult *r)
{
	PglShared	 *sh = pgl_shared();
	Oid			  roleid = InvalidOid;
	dsm_segment	 *seg;
	TrialsShared *ts;
	dsm_handle	  h;

	if (sh == NULL || pgl_current_job_id == 0 || n < 2 || !IsBackgroundWorker ||
		my_job_slot(sh, &roleid) < 0)
		return false;
	seg = create_segment(c, n, &ts);
	h = dsm_segment_handle(seg);
	if (claim_helpers(sh, ts, h, roleid) == 0)
	{
		/* no free slot: the serial search, in this process */
		dsm_detach(seg);
		return false;
	}
	PG_TRY();
	{
		take_trials(c, sh, ts, h, roleid);
		wait_for_helpers(ts);
	}
	PG_CATCH();
	{
		release_helpers(sh, ts, h, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	release_helpers(sh, ts, h, false);
	memcpy(r, ts->trials, sizeof(PglTrialResult) * n);
	dsm_detach(seg);
	return true;
}

/* ---------- a helper ---------- */

/* the call of the search, as ai_train parsed it */
static void
helper_call(TrialsShared *ts, PglTrainCall *c)
{
	char *options = get_string(ts, ts->options);

	memset(c, 0, sizeof(*c));
	c->name = get_string(ts, ts->name);
	c->algorithm = get_string(ts, ts->algorithm);
	c->data = get_string(ts, ts->data);
	c->target = get_string(ts, ts->target);
	c->options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options)));
	c->ops = pgl_algo_by_name(c->algorithm);
	if (c->ops == NULL)
		elog(ERROR, "pg_learn: unknown algorithm \"%s\" in a search's trials", c->algorithm);
	pgl_parse_options(c->ops, c->options, &c->opts);
	if (c->opts.search == NULL)
		elog(ERROR, "pg_learn: the options of a search's trials have no \"search\"");
}

/* is the search's own worker still there, and still taking results? */
static bool
search_goes_on(TrialsShared *ts)
{
	return !ts->stop && kill(ts->parent_pid, 0) == 0;
}

/* wake the job's worker: a result is in */
static void
wake_parent(TrialsShared *ts)
{
	PGPROC *p = BackendPidGetProc(ts->parent_pid);

	if (p != NULL)
		SetLatch(&p->procLatch);
}

/* take trials of ts until none is left, in one transaction; the trial taken, or -1 */
static void
help(TrialsShared *ts, volatile int *taken)
{
	PglTrainCall c;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) set_config_option("search_path", get_string(ts, ts->search_path), PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	helper_call(ts, &c);
	pgl_progress_begin(c.name, c.algorithm);
	while (search_goes_on(ts))
	{
		uint32		   i = pg_atomic_fetch_add_u32(&ts->next, 1);
		PglTrialResult r;

		if (i >= (uint32) ts->n)
			break;
		*taken = (int) i;
		ts->trials[i].pid = MyProcPid;
		pgl_search_progress(i + 1, ts->n, ts->trials);
		pgl_search_trial(&c, i, &r);
		publish(ts, i, &r);
		*taken = -1;
		wake_parent(ts);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

void
pgl_trials_help(int64 job_id, uint32 trials_dsm, volatile PglJobSlot *slot)
{
	MemoryContext top = CurrentMemoryContext;
	dsm_segment	 *seg = dsm_attach((dsm_handle) trials_dsm);
	TrialsShared *ts;
	volatile int  taken = -1;

	if (seg == NULL)
		return; /* the search is over */
	ts = dsm_segment_address(seg);
	if (ts->job_id != job_id || !search_goes_on(ts))
	{
		dsm_detach(seg);
		return;
	}
	pgl_current_job_id = job_id;
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pg_learn job " INT64_FORMAT ": trials of a search", job_id));
	PG_TRY();
	{
		help(ts, &taken);
	}
	PG_CATCH();
	{
		ErrorData *ed;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(top);
		ed = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		QueryCancelPending = false;
		RESUME_INTERRUPTS();
		ereport(LOG, (errmsg("pg_learn job " INT64_FORMAT ": a helper of its search stopped: %s",
							 job_id, ed->message ? ed->message : "unknown error")));
		if (taken >= 0)
		{
			if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED)
				publish_error(ts, taken,
							  slot->got_sigterm ? "the trial's worker was terminated"
												: "the trial's worker was cancelled",
							  0);
			else
				publish_error(ts, taken, ed->message ? ed->message : "unknown error",
							  ed->sqlerrcode ? ed->sqlerrcode : ERRCODE_INTERNAL_ERROR);
		}
		wake_parent(ts);
	}
	PG_END_TRY();
	pgl_current_job_id = 0;
	pgstat_report_activity(STATE_IDLE, NULL);
	dsm_detach(seg);
}
