/*-------------------------------------------------------------------------
 *
 * pgl_shmem.h
 *	  The shared memory of pg_learn's launcher library (pg_learn_launcher,
 *	  loaded through shared_preload_libraries), used by it and by pg_learn.so.
 *
 * pg_learn.so finds the area through the rendezvous variable
 * PGL_SHMEM_RENDEZVOUS, which the preloaded library sets in the postmaster
 * (so every backend inherits it); without the preload the variable is NULL
 * and the background features say so.
 *
 * Job slots: one per concurrently running job (pg_learn.max_workers).  A
 * dispatcher claims a slot for a queued job (CLAIMED), marks it READY after
 * committing the job's state; the launcher starts the job's worker
 * (STARTED); the worker frees the slot after recording how the job ended.
 * A worker that stops without doing so leaves the slot ORPHANED, and the
 * next dispatcher of its database records the job as failed or cancelled.
 *
 * A trial slot (trial = true) helps the running job job_id with the trials
 * of its "search" (jobs/trials.c): that job's worker claims it straight
 * into READY, with no job row of its own; the helper takes trials from the
 * dynamic shared memory segment trials_dsm until none is left.  An
 * orphaned trial slot is only freed: the job's own worker records its end.
 *
 * Progress slots: one per backend (index MyBackendId - 1), written only by
 * their backend; readers copy them under the changecount protocol of
 * pgstat's activity entries (even = stable).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_SHMEM_H
#define PGL_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#define PGL_SHMEM_RENDEZVOUS "pg_learn_shared"
#define PGL_SHMEM_VERSION	 3

#define PGL_MAX_DATABASES 16
#define PGL_NAME_LEN	  128 /* model names longer than this are cut in progress */
#define PGL_MSG_LEN		  256

typedef enum PglSlotState
{
	PGL_SLOT_FREE = 0,
	PGL_SLOT_CLAIMED,  /* by a dispatcher, job row not yet committed */
	PGL_SLOT_READY,	   /* job committed as running: start its worker */
	PGL_SLOT_STARTED,  /* worker registered (pid once it runs) */
	PGL_SLOT_ORPHANED, /* worker stopped without recording the end */
} PglSlotState;

typedef struct PglJobSlot
{
	PglSlotState state;
	Oid			 dboid;
	Oid			 roleid;
	int64		 job_id;
	pid_t		 pid;				   /* of the worker, once running */
	bool		 cancel_requested;	   /* by ai_cancel */
	bool		 got_sigterm;		   /* the worker received SIGTERM */
	bool		 trial;				   /* a helper running trials of job_id */
	uint32		 trials_dsm;		   /* trial: the search's dsm_handle */
	char		 message[PGL_MSG_LEN]; /* ORPHANED: why */
} PglJobSlot;

typedef struct PglDatabase
{
	char		name[NAMEDATALEN];
	Oid			oid; /* set by its dispatcher */
	bool		has_extension;
	TimestampTz next_scan; /* launcher: when to dispatch next */
	TimestampTz next_due;  /* dispatcher: earliest schedule, or 0 */
	bool		scan_requested;
	bool		connected; /* its last dispatcher connected (the database exists) */
} PglDatabase;

typedef struct PglProgress
{
	volatile uint32 changecount; /* odd while being written */
	pid_t			pid;		 /* 0: slot unused */
	Oid				dboid;
	Oid				roleid;
	int64			job_id; /* 0: not a job */
	char			model[PGL_NAME_LEN];
	char			algorithm[32];
	char			phase[64]; /* "trial 3 of 8, best rmse 0.5" */
	int64			rows_read;
	int32			iteration;
	int32			max_iterations;
	double			loss;
	TimestampTz		started_at;
} PglProgress;

/*
 * A model version's count of categorical values not in its vocabulary at
 * prediction (src/drift_counters.c, the view ai_drift_counters): claimed
 * under the lock (dboid, then version_id written last), counted without it.
 */
#define PGL_UNSEEN_SLOTS 1024
typedef struct PglUnseen
{
	pg_atomic_uint64 version_id; /* 0: free */
	Oid				 dboid;
	pg_atomic_uint64 unseen;
} PglUnseen;

typedef struct PglShared
{
	int			 version;
	LWLock		*lock; /* job slots and databases */
	Latch		*launcher_latch;
	pid_t		 launcher_pid;
	int			 max_workers;
	int			 n_progress;
	int			 n_databases;
	PglDatabase	 databases[PGL_MAX_DATABASES];
	PglProgress *progress;					   /* n_progress */
	PglUnseen	*unseen;					   /* PGL_UNSEEN_SLOTS */
	PglJobSlot	 slots[FLEXIBLE_ARRAY_MEMBER]; /* max_workers */
} PglShared;

/* what the rendezvous variable points at */
typedef struct PglSharedHandle
{
	PglShared *shared;
} PglSharedHandle;

#endif /* PGL_SHMEM_H */
