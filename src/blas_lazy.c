/*-------------------------------------------------------------------------
 *
 * blas_lazy.c
 *	  OpenBLAS opened on first use, one thread unless a training asks more.
 *
 * pg_learn.so does not link libopenblas: it defines, hidden, the BLAS and
 * LAPACK functions it calls (src/algo, src/onnx and the glue call them by
 * their usual names), and the first call opens the library and forwards.
 *
 * Why: loading OpenBLAS costs every process that loads pg_learn 6-8 ms of
 * relocations, and OpenBLAS's constructor starts its thread pool, whose
 * threads spin (sched_yield) for a while before they sleep.  A parallel
 * worker of a training pass is a new process that loads pg_learn: on a
 * 2-core machine the spinning thread took CPU from the leader and the other
 * worker, and a kmeans pass, which calls no BLAS at all, paid the load on
 * every pass (docs/scale-out.md, "Parallel passes").  Now a process that
 * calls no BLAS never maps the library, and one that does opens it with
 * OPENBLAS_NUM_THREADS=1 (unless the server's environment sets a count):
 * no pool thread until pg_learn.threads asks for more, through
 * pgl_set_blas_threads_n, which OpenBLAS grows on demand.
 *
 * The unit tests and the tools built outside the extension link
 * libopenblas directly and do not use this file.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"

#include <dlfcn.h>
#include <stdlib.h>

/* the definitions below are pg_learn.so's own, never exported */
#pragma GCC visibility push(hidden)
#include <cblas.h>
#include "lapack.h"
#pragma GCC visibility pop

#define PGL_OPENBLAS_SONAME "libopenblas.so.0"

static struct
{
	void (*daxpy)(blasint, double, const double *, blasint, double *, blasint);
	double (*ddot)(blasint, const double *, blasint, const double *, blasint);
	void (*dgemm)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
				  blasint, double, const double *, blasint, const double *, blasint, double,
				  double *, blasint);
	void (*dgemv)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, double, const double *,
				  blasint, const double *, blasint, double, double *, blasint);
	void (*dscal)(blasint, double, double *, blasint);
	void (*dsyrk)(enum CBLAS_ORDER, enum CBLAS_UPLO, enum CBLAS_TRANSPOSE, blasint, blasint, double,
				  const double *, blasint, double, double *, blasint);
	void (*saxpy)(blasint, float, const float *, blasint, float *, blasint);
	float (*sdot)(blasint, const float *, blasint, const float *, blasint);
	void (*sgemm)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
				  blasint, float, const float *, blasint, const float *, blasint, float, float *,
				  blasint);
	void (*sgemv)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, float, const float *,
				  blasint, const float *, blasint, float, float *, blasint);
	float (*snrm2)(blasint, const float *, blasint);
	void (*sscal)(blasint, float, float *, blasint);
	void (*ssyrk)(enum CBLAS_ORDER, enum CBLAS_UPLO, enum CBLAS_TRANSPOSE, blasint, blasint, float,
				  const float *, blasint, float, float *, blasint);
	void (*dpotrf)(const char *, const int *, double *, const int *, int *, size_t);
	void (*dpotrs)(const char *, const int *, const int *, const double *, const int *, double *,
				   const int *, int *, size_t);
	void (*dpocon)(const char *, const int *, const double *, const int *, const double *, double *,
				   double *, int *, int *, size_t);
	double (*dlansy)(const char *, const char *, const int *, const double *, const int *, double *,
					 size_t, size_t);
	void (*dsyevd)(const char *, const char *, const int *, double *, const int *, double *,
				   double *, const int *, int *, const int *, int *, size_t, size_t);
	void (*set_num_threads)(int);
} B;

static bool blas_open = false;
static int	threads_wanted = 1;	  /* the count asked before the library was open */
static int	threads_applied = -1; /* what OpenBLAS was last told (-1: its own default) */

static void *
blas_symbol(void *h, const char *name)
{
	void *f = dlsym(h, name);

	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("the BLAS library %s has no function %s", PGL_OPENBLAS_SONAME, name),
				 errhint("pg_learn needs OpenBLAS (Debian's libopenblas0); see README.md.")));
	return f;
}

static void
open_blas(void)
{
	/* one pool thread at load only if the server's environment chose no count */
	bool set_env = getenv("OPENBLAS_NUM_THREADS") == NULL && getenv("GOTO_NUM_THREADS") == NULL &&
				   getenv("OMP_NUM_THREADS") == NULL;
	void *h;

	if (set_env)
		setenv("OPENBLAS_NUM_THREADS", "1", 0);
	h = dlopen(PGL_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (set_env)
		unsetenv("OPENBLAS_NUM_THREADS");
	if (h == NULL)
	{
		const char *why = dlerror();

		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not open the BLAS library %s: %s", PGL_OPENBLAS_SONAME,
						why ? why : "unknown reason"),
				 errhint("pg_learn needs OpenBLAS (Debian's libopenblas0); see README.md.")));
	}
#define SYM(field, name) B.field = (__typeof__(B.field)) blas_symbol(h, name)
	SYM(daxpy, "cblas_daxpy");
	SYM(ddot, "cblas_ddot");
	SYM(dgemm, "cblas_dgemm");
	SYM(dgemv, "cblas_dgemv");
	SYM(dscal, "cblas_dscal");
	SYM(dsyrk, "cblas_dsyrk");
	SYM(saxpy, "cblas_saxpy");
	SYM(sdot, "cblas_sdot");
	SYM(sgemm, "cblas_sgemm");
	SYM(sgemv, "cblas_sgemv");
	SYM(snrm2, "cblas_snrm2");
	SYM(sscal, "cblas_sscal");
	SYM(ssyrk, "cblas_ssyrk");
	SYM(dpotrf, "dpotrf_");
	SYM(dpotrs, "dpotrs_");
	SYM(dpocon, "dpocon_");
	SYM(dlansy, "dlansy_");
	SYM(dsyevd, "dsyevd_");
	SYM(set_num_threads, "openblas_set_num_threads");
#undef SYM
	/* the library stays open for the life of the process */
	blas_open = true;
	threads_applied = set_env ? 1 : -1;
	pgl_set_blas_threads_n(threads_wanted);
}

#define OPEN()                                                                                     \
	do                                                                                             \
	{                                                                                              \
		if (unlikely(!blas_open))                                                                  \
			open_blas();                                                                           \
	} while (0)

void
pgl_set_blas_threads_n(int n)
{
	if (!blas_open)
	{
		threads_wanted = n; /* applied by open_blas, if this process ever calls BLAS */
		return;
	}
	if (n != threads_applied)
	{
		B.set_num_threads(n);
		threads_applied = n;
	}
}

/* ---------- the forwarding definitions ---------- */

void
cblas_daxpy(const blasint n, const double alpha, const double *x, const blasint incx, double *y,
			const blasint incy)
{
	OPEN();
	B.daxpy(n, alpha, x, incx, y, incy);
}

double
cblas_ddot(const blasint n, const double *x, const blasint incx, const double *y,
		   const blasint incy)
{
	OPEN();
	return B.ddot(n, x, incx, y, incy);
}

void
cblas_dgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
			const enum CBLAS_TRANSPOSE TransB, const blasint M, const blasint N, const blasint K,
			const double alpha, const double *A, const blasint lda, const double *Bm,
			const blasint ldb, const double beta, double *C, const blasint ldc)
{
	OPEN();
	B.dgemm(Order, TransA, TransB, M, N, K, alpha, A, lda, Bm, ldb, beta, C, ldc);
}

void
cblas_dgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
			const blasint n, const double alpha, const double *a, const blasint lda,
			const double *x, const blasint incx, const double beta, double *y, const blasint incy)
{
	OPEN();
	B.dgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void
cblas_dscal(const blasint N, const double alpha, double *X, const blasint incX)
{
	OPEN();
	B.dscal(N, alpha, X, incX);
}

void
cblas_dsyrk(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo,
			const enum CBLAS_TRANSPOSE Trans, const blasint N, const blasint K, const double alpha,
			const double *A, const blasint lda, const double beta, double *C, const blasint ldc)
{
	OPEN();
	B.dsyrk(Order, Uplo, Trans, N, K, alpha, A, lda, beta, C, ldc);
}

void
cblas_saxpy(const blasint n, const float alpha, const float *x, const blasint incx, float *y,
			const blasint incy)
{
	OPEN();
	B.saxpy(n, alpha, x, incx, y, incy);
}

float
cblas_sdot(const blasint n, const float *x, const blasint incx, const float *y, const blasint incy)
{
	OPEN();
	return B.sdot(n, x, incx, y, incy);
}

void
cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
			const enum CBLAS_TRANSPOSE TransB, const blasint M, const blasint N, const blasint K,
			const float alpha, const float *A, const blasint lda, const float *Bm,
			const blasint ldb, const float beta, float *C, const blasint ldc)
{
	OPEN();
	B.sgemm(Order, TransA, TransB, M, N, K, alpha, A, lda, Bm, ldb, beta, C, ldc);
}

void
cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
			const blasint n, const float alpha, const float *a, const blasint lda, const float *x,
			const blasint incx, const float beta, float *y, const blasint incy)
{
	OPEN();
	B.sgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

float
cblas_snrm2(const blasint N, const float *X, const blasint incX)
{
	OPEN();
	return B.snrm2(N, X, incX);
}

void
cblas_sscal(const blasint N, const float alpha, float *X, const blasint incX)
{
	OPEN();
	B.sscal(N, alpha, X, incX);
}

void
cblas_ssyrk(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo,
			const enum CBLAS_TRANSPOSE Trans, const blasint N, const blasint K, const float alpha,
			const float *A, const blasint lda, const float beta, float *C, const blasint ldc)
{
	OPEN();
	B.ssyrk(Order, Uplo, Trans, N, K, alpha, A, lda, beta, C, ldc);
}

void
dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len)
{
	OPEN();
	B.dpotrf(uplo, n, a, lda, info, uplo_len);
}

void
dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
		const int *ldb, int *info, size_t uplo_len)
{
	OPEN();
	B.dpotrs(uplo, n, nrhs, a, lda, b, ldb, info, uplo_len);
}

void
dpocon_(const char *uplo, const int *n, const double *a, const int *lda, const double *anorm,
		double *rcond, double *work, int *iwork, int *info, size_t uplo_len)
{
	OPEN();
	B.dpocon(uplo, n, a, lda, anorm, rcond, work, iwork, info, uplo_len);
}

double
dlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *lda,
		double *work, size_t norm_len, size_t uplo_len)
{
	OPEN();
	return B.dlansy(norm, uplo, n, a, lda, work, norm_len, uplo_len);
}

void
dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
		double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len,
		size_t uplo_len)
{
	OPEN();
	B.dsyevd(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, jobz_len, uplo_len);
}

void
openblas_set_num_threads(int num_threads)
{
	pgl_set_blas_threads_n(num_threads);
}
