/*-------------------------------------------------------------------------
 *
 * glue.h
 *	  The base of pg_learn's PostgreSQL glue (pg_learn.c): the GUCs, the
 *	  algo environment of a backend, errors, memory and thread limits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_GLUE_H
#define PGL_GLUE_H

#include "postgres.h"

#include "fmgr.h"

#include "pgl_algo.h"

/* GUCs (pg_learn.c) */
extern int	pgl_max_train_memory_kb;
extern int	pgl_threads;
extern bool pgl_verbose;
extern int	pgl_explain_permutations;  /* pg_learn.explain_permutations */
extern int	pgl_schedule_max_failures; /* pg_learn.schedule_max_failures */
#define PGL_MAX_FAILURES_LIMIT 1000000

/* the algo environment, errors */

/* an env whose allocations live in CurrentMemoryContext at call time */
extern pgl_env pgl_backend_env(MemoryContext cxt);

/* ereport(ERROR) for a failed algo call; never returns */
extern void pgl_report(const pgl_status *st, const char *what) pg_attribute_noreturn();

/* ERROR naming pg_learn.max_train_memory if bytes exceed it */
extern void pgl_check_memory(Size bytes, const char *what);

/* threads a training may use: pg_learn.threads, or the number of cores */
extern int pgl_thread_count(void);

/* set BLAS threads from pg_learn.threads (once per backend and change) */
extern void pgl_set_blas_threads(void);
extern void pgl_set_blas_threads_n(int n);


#endif /* PGL_GLUE_H */
