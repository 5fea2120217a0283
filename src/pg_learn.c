/*-------------------------------------------------------------------------
 *
 * pg_learn.c
 *	  Module entry: GUCs, the algorithm environment, error reporting.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "progress.h"

#include <limits.h>
#include <math.h>
#include <unistd.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

int	 pgl_max_train_memory_kb = 1024 * 1024; /* 1GB */
int	 pgl_threads = 0;
bool pgl_verbose = false;
int	 pgl_explain_permutations = 64;
int	 pgl_schedule_max_failures = 5;

void _PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("pg_learn.max_train_memory", "Memory a training may use for its data.",
							"Training reads the data into memory up to this size; "
							"exceeding it is an error.",
							&pgl_max_train_memory_kb, 1024 * 1024, 1024, MAX_KILOBYTES, PGC_USERSET,
							GUC_UNIT_KB, NULL, NULL, NULL);

	DefineCustomIntVariable(
		"pg_learn.threads", "Threads the math kernels (BLAS) may use in a backend.",
		"0 means one per CPU core.", &pgl_threads, 0, 0, 1024, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("pg_learn.verbose", "Report each training phase as a NOTICE.", NULL,
							 &pgl_verbose, false, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable(
		"pg_learn.explain_permutations", "Permutations ai_explain samples for a neural_net model.",
		"More permutations give steadier contributions; they always add up.",
		&pgl_explain_permutations, 64, 1, 100000, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("pg_learn.schedule_max_failures",
							"Failed runs in a row after which a new schedule is paused (0: never).",
							"ai_schedule stores the value in effect with the schedule; its option "
							"\"max_failures\" overrides it.",
							&pgl_schedule_max_failures, 5, 0, PGL_MAX_FAILURES_LIMIT, PGC_USERSET,
							0, NULL, NULL, NULL);

	MarkGUCPrefixReserved("pg_learn");
}

int
pgl_thread_count(void)
{
	long cores;

	if (pgl_threads > 0)
		return pgl_threads;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (int) cores : 1;
}

void
pgl_set_blas_threads(void)
{
	pgl_set_blas_threads_n(pgl_thread_count());
}

/* ---------- the algo environment over palloc ---------- */

static void *
env_alloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) arg, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
env_free(void *arg, void *ptr)
{
	pfree(ptr);
}

static void
env_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
env_notice(void *arg, const char *msg, const char *hint)
{
	ereport(NOTICE, (errmsg("%s", msg), hint && hint[0] ? errhint("%s", hint) : 0));
}

static void
env_progress(void *arg, int iter, int max_iter, double loss)
{
	pgl_progress_iter(iter, max_iter, loss);
	if (pgl_verbose && (iter % 10 == 0 || iter == max_iter))
	{
		/* no loss to report (a tree ensemble without hold-out rows) */
		if (isnan(loss))
			ereport(NOTICE, (errmsg("pg_learn: iteration %d of %d", iter, max_iter)));
		else
			ereport(NOTICE,
					(errmsg("pg_learn: iteration %d of %d, loss %.6g", iter, max_iter, loss)));
	}
}

/* fn(ptr) when the context is reset or deleted: on success, ERROR and cancel alike */
static void
env_defer(void *arg, void (*fn)(void *ptr), void *ptr)
{
	MemoryContextCallback *cb = MemoryContextAlloc((MemoryContext) arg, sizeof(*cb));

	cb->func = fn;
	cb->arg = ptr;
	MemoryContextRegisterResetCallback((MemoryContext) arg, cb);
}

pgl_env
pgl_backend_env(MemoryContext cxt)
{
	pgl_env env = {
		.arg = cxt,
		.alloc = env_alloc,
		.free = env_free,
		.check_interrupts = env_interrupts,
		.progress = env_progress,
		.notice = env_notice,
		.defer = env_defer,
		.max_memory = (int64_t) pgl_max_train_memory_kb * 1024,
	};

	return env;
}

void
pgl_report(const pgl_status *st, const char *what)
{
	int code;

	switch (st->rc)
	{
		case PGL_ERR_NOMEM:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		case PGL_ERR_INVALID:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case PGL_ERR_NUMERIC:
			code = ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
			break;
		case PGL_ERR_CORRUPT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR, (errcode(code), errmsg("%s: %s", what, st->msg),
					st->detail[0] ? errdetail("%s", st->detail) : 0,
					st->rc == PGL_ERR_CORRUPT
						? errhint("Retrain the model, or deploy another version with ai_deploy().")
						: 0));
	pg_unreachable();
}

static char *
pretty_size(double bytes)
{
	if (bytes < 10.0 * 1024 * 1024)
		return psprintf("%.0f kB", ceil(bytes / 1024.0));
	return psprintf("%.0f MB", ceil(bytes / (1024.0 * 1024.0)));
}

void
pgl_check_memory(Size bytes, const char *what)
{
	Size limit = (Size) pgl_max_train_memory_kb * 1024;

	if (bytes > limit)
		ereport(
			ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s needs %s, more than pg_learn.max_train_memory (%s)", what,
					pretty_size((double) bytes), pretty_size(pgl_max_train_memory_kb * 1024.0)),
			 errhint("Raise pg_learn.max_train_memory, e.g. SET pg_learn.max_train_memory = '4GB', "
					 "train on a sample of the rows, or (linear_regression, logistic_regression, "
					 "kmeans) train with \"method\": \"aggregate\", which keeps no rows.")));
}
