/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Live progress of trainings in shared memory, and ai_progress().
 *
 * The shared memory belongs to pg_learn_launcher (shared_preload_libraries,
 * see src/launcher/pgl_shmem.h); without it, trainings report nothing and
 * ai_progress() returns no rows.  Each backend writes only its own slot
 * (index MyBackendId - 1) with plain stores bracketed by a changecount, so
 * the training loop pays a few stores per update and takes no lock.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "progress.h"

#include <math.h>

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "launcher/pgl_shmem.h"

PG_FUNCTION_INFO_V1(ai_progress);

int64 pgl_current_job_id = 0;

static PglProgress *my_slot = NULL;

PglShared *
pgl_shared(void)
{
	PglSharedHandle *h = *(PglSharedHandle **) find_rendezvous_variable(PGL_SHMEM_RENDEZVOUS);

	if (h == NULL || h->shared == NULL || h->shared->version != PGL_SHMEM_VERSION)
		return NULL;
	return h->shared;
}

#define BEGIN_WRITE(s)                                                                             \
	do                                                                                             \
	{                                                                                              \
		(s)->changecount++;                                                                        \
		pg_write_barrier();                                                                        \
	} while (0)
#define END_WRITE(s)                                                                               \
	do                                                                                             \
	{                                                                                              \
		pg_write_barrier();                                                                        \
		(s)->changecount++;                                                                        \
	} while (0)

static void
progress_end(void *arg)
{
	PglProgress *s = my_slot;

	if (s == NULL)
		return;
	BEGIN_WRITE(s);
	s->pid = 0;
	END_WRITE(s);
	my_slot = NULL;
}

void
pgl_progress_begin(const char *model, const char *algorithm)
{
	PglShared			  *sh = pgl_shared();
	PglProgress			  *s;
	MemoryContextCallback *cb;

	if (sh == NULL || MyBackendId < 1 || MyBackendId > sh->n_progress)
		return;
	s = &sh->progress[MyBackendId - 1];
	BEGIN_WRITE(s);
	s->pid = MyProcPid;
	s->dboid = MyDatabaseId;
	s->roleid = GetUserId();
	s->job_id = pgl_current_job_id;
	strlcpy(s->model, model, PGL_NAME_LEN);
	strlcpy(s->algorithm, algorithm, sizeof(s->algorithm));
	strlcpy(s->phase, "reading", sizeof(s->phase));
	s->rows_read = 0;
	s->iteration = 0;
	s->max_iterations = 0;
	s->loss = NAN;
	s->started_at = GetCurrentTimestamp();
	END_WRITE(s);
	my_slot = s;

	/* the slot is cleared when the call's memory goes: at the end or on ERROR */
	cb = MemoryContextAlloc(CurrentMemoryContext, sizeof(MemoryContextCallback));
	cb->func = progress_end;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
}

void
pgl_progress_phase(const char *what)
{
	PglProgress *s = my_slot;
	const char	*p;

	if (s == NULL || what == NULL)
		return;
	if (strncmp(what, "reading", 7) == 0)
		p = "reading";
	else
		p = what;
	BEGIN_WRITE(s);
	strlcpy(s->phase, p, sizeof(s->phase));
	END_WRITE(s);
}

void
pgl_progress_rows(int64 rows)
{
	PglProgress *s = my_slot;

	if (s == NULL)
		return;
	BEGIN_WRITE(s);
	s->rows_read = rows;
	END_WRITE(s);
}

void
pgl_progress_iter(int iter, int max_iter, double loss)
{
	PglProgress *s = my_slot;

	if (s == NULL)
		return;
	BEGIN_WRITE(s);
	s->iteration = iter;
	s->max_iterations = max_iter;
	s->loss = loss;
	END_WRITE(s);
}

/* ---------- ai_progress ---------- */

Datum
ai_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PglShared	  *sh = pgl_shared();
	TimestampTz	   now = GetCurrentTimestamp();
	bool		   all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	InitMaterializedSRF(fcinfo, 0);
	if (sh == NULL)
		return (Datum) 0;
	for (int i = 0; i < sh->n_progress; i++)
	{
		volatile PglProgress *src = &sh->progress[i];
		PglProgress			  c;
		Datum				  values[12];
		bool				  nulls[12];
		int					  tries = 0;

		for (;;)
		{
			uint32 before = src->changecount;

			pg_read_barrier();
			memcpy(&c, (const void *) src, sizeof(c));
			pg_read_barrier();
			if (before == src->changecount && (before & 1) == 0)
				break;
			if (++tries > 1000)
			{
				c.pid = 0;
				break;
			}
			CHECK_FOR_INTERRUPTS();
		}
		if (c.pid == 0 || c.dboid != MyDatabaseId)
			continue;
		if (!all && !has_privs_of_role(GetUserId(), c.roleid))
			continue;
		memset(nulls, 0, sizeof(nulls));
		c.model[PGL_NAME_LEN - 1] = '\0';
		c.algorithm[sizeof(c.algorithm) - 1] = '\0';
		c.phase[sizeof(c.phase) - 1] = '\0';
		values[0] = Int32GetDatum(c.pid);
		values[1] = Int64GetDatum(c.job_id);
		nulls[1] = c.job_id == 0;
		values[2] = CStringGetTextDatum(c.model);
		values[3] = CStringGetTextDatum(c.algorithm);
		values[4] = ObjectIdGetDatum(c.roleid);
		values[5] = CStringGetTextDatum(c.phase);
		values[6] = Int64GetDatum(c.rows_read);
		values[7] = Int32GetDatum(c.iteration);
		values[8] = Int32GetDatum(c.max_iterations);
		nulls[7] = nulls[8] = c.max_iterations == 0;
		values[9] = Float8GetDatum(c.loss);
		nulls[9] = isnan(c.loss);
		values[10] = TimestampTzGetDatum(c.started_at);
		values[11] = Float8GetDatum((double) (now - c.started_at) / 1e6);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
