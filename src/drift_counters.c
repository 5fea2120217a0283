/*-------------------------------------------------------------------------
 *
 * drift_counters.c
 *	  Unseen categories at prediction: per model version, the number of
 *	  categorical values ai_predict and friends met that are not in the
 *	  feature's vocabulary (they encode as all zeros).  The view
 *	  ai_drift_counters shows them.
 *
 *	  The simplest correct home is the launcher's shared memory (pgl_shmem.h):
 *	  a fixed table of PGL_UNSEEN_SLOTS (database, version id) slots with
 *	  atomic counts, so every backend adds to one number and the view sees
 *	  them all at once, with no lock on the counting path (a slot is claimed
 *	  once, under the lock).  The counts live until the server stops.
 *	  Without pg_learn_launcher in shared_preload_libraries the same table
 *	  is kept per backend: the view then shows this session's counts.
 *
 *-------------------------------------------------------------------------
 */
#include "drift_glue.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "launcher/pgl_shmem.h"
#include "progress.h"

PG_FUNCTION_INFO_V1(ai_drift_counters);

static PglUnseen *local_slots = NULL; /* without the launcher */

static PglUnseen *
unseen_slots(LWLock **lock)
{
	PglShared *sh = pgl_shared();

	*lock = NULL;
	if (sh != NULL)
	{
		*lock = sh->lock;
		return sh->unseen;
	}
	if (local_slots == NULL)
	{
		local_slots =
			MemoryContextAllocZero(TopMemoryContext, sizeof(PglUnseen) * PGL_UNSEEN_SLOTS);
		for (int i = 0; i < PGL_UNSEEN_SLOTS; i++)
		{
			pg_atomic_init_u64(&local_slots[i].version_id, 0);
			pg_atomic_init_u64(&local_slots[i].unseen, 0);
		}
	}
	return local_slots;
}

/* the slot of (this database, version_id), claimed if new; NULL when the table is full */
static PglUnseen *
find_slot(PglUnseen *slots, LWLock *lock, int64 version_id)
{
	uint32 h = (uint32) (version_id * 0x9E3779B1u) ^ MyDatabaseId;

	for (int probe = 0; probe < PGL_UNSEEN_SLOTS; probe++)
	{
		PglUnseen *s = &slots[(h + probe) % PGL_UNSEEN_SLOTS];
		uint64	   id = pg_atomic_read_u64(&s->version_id);

		if (id == (uint64) version_id && s->dboid == MyDatabaseId)
			return s;
		if (id != 0)
			continue;
		/* free: claim it under the lock, unless another backend just did */
		if (lock)
			LWLockAcquire(lock, LW_EXCLUSIVE);
		if (pg_atomic_read_u64(&s->version_id) == 0)
		{
			s->dboid = MyDatabaseId;
			pg_atomic_write_u64(&s->unseen, 0);
			pg_write_barrier();
			pg_atomic_write_u64(&s->version_id, (uint64) version_id);
		}
		if (lock)
			LWLockRelease(lock);
		probe--; /* look at it again */
	}
	return NULL;
}

void
pgl_drift_count_unseen(int64 version_id, int64 n)
{
	LWLock	  *lock;
	PglUnseen *slots = unseen_slots(&lock);
	PglUnseen *s;

	if (version_id <= 0 || n <= 0)
		return;
	s = find_slot(slots, lock, version_id);
	if (s != NULL)
		pg_atomic_fetch_add_u64(&s->unseen, (uint64) n);
}

/* ai_drift_counters(): (version_id, unseen) of this database's versions */
Datum
ai_drift_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LWLock		  *lock;
	PglUnseen	  *slots = unseen_slots(&lock);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < PGL_UNSEEN_SLOTS; i++)
	{
		uint64 id = pg_atomic_read_u64(&slots[i].version_id);
		Datum  values[2];
		bool   nulls[2] = {false, false};

		pg_read_barrier();
		if (id == 0 || slots[i].dboid != MyDatabaseId)
			continue;
		values[0] = Int64GetDatum((int64) id);
		values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&slots[i].unseen));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
