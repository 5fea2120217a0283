/*-------------------------------------------------------------------------
 *
 * jobs_internal.h
 *	  Shared by the files of src/jobs/ (see README.md there): the SPI
 *	  helpers every side uses, the cron parser's interface, and the two
 *	  background worker entry points.  Not for the rest of pg_learn.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_JOBS_INTERNAL_H
#define PGL_JOBS_INTERNAL_H

#include "glue.h"

#include "catalog.h"
#include "options.h"
#include "progress.h"

#include "executor/spi.h"
#include "pgtime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "launcher/pgl_shmem.h"

/*
 * The helpers below are static inline so that their short, generic names
 * are not exported from pg_learn.so (a library loaded earlier with the same
 * global symbol would take their calls).
 */

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
static inline bool
ext_info(ExtInfo *ei)
{
	if (!pgl_extension_installed())
		return false;
	ei->schema = pstrdup(pgl_catalog_schema());
	return true;
}

typedef PglOwnerSwitch AsOwner;

static inline int
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
static inline int
spi_run_as_caller(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
				  int expect)
{
	int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "pg_learn: job statement failed (%s): %s", SPI_result_code_string(rc), sql);
	return rc;
}

static inline char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static inline Datum
spi_datum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* the launcher's shared memory, in a dispatcher or a job worker */
static inline PglShared *
worker_shared(void)
{
	PglShared *sh = pgl_shared();

	if (sh == NULL)
		ereport(FATAL, (errmsg("pg_learn: the launcher's shared memory is missing")));
	return sh;
}

/* ---------- cron.c: five-field cron expressions ---------- */

typedef struct Cron
{
	bool minute[60];
	bool hour[24];
	bool dom[32];
	bool month[13];
	bool dow[8];
	bool dom_star, dow_star;
} Cron;

/* true if expr is a 5-field cron expression; fills c */
extern bool pgl_cron_parse(const char *expr, Cron *c);

/* does expr look like it was meant as cron (digits, '*', ',', '-', '/')? */
extern bool pgl_cron_looks_like(const char *expr);

/* the first minute strictly after `after` matching c, in time zone tzp */
extern TimestampTz pgl_cron_next(const Cron *c, TimestampTz after, pg_tz *tzp);

/* ERROR: every is neither an interval of at least 1 second nor cron */
extern void pgl_schedule_invalid(const char *every) pg_attribute_noreturn();

/* ---------- dispatcher.c, worker.c: started by pg_learn_launcher ---------- */

PGDLLEXPORT void pgl_dispatcher_main(Datum arg);
PGDLLEXPORT void pgl_job_worker_main(Datum arg);

/* trials.c: a trial slot's worker, connected, runs trials of job_id's search */
extern void pgl_trials_help(int64 job_id, uint32 trials_dsm, volatile PglJobSlot *slot);

#endif /* PGL_JOBS_INTERNAL_H */
