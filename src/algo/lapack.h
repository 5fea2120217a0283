/*-------------------------------------------------------------------------
 *
 * lapack.h
 *	  The few LAPACK routines pg_learn calls, straight from libopenblas.
 *
 * OpenBLAS carries LAPACK (Fortran calling convention: every argument by
 * reference, column-major matrices, a hidden length per character argument,
 * 32-bit integers in Debian's libopenblas0).  Calling it directly rather
 * than through LAPACKE spares every process that loads pg_learn mapping
 * liblapacke, the reference liblapack and libtmglib.  Each wrapper returns
 * LAPACK's info (0 on success).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_LAPACK_H
#define PGL_LAPACK_H

#include <stddef.h>

extern void	  dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
					  size_t uplo_len);
extern void	  dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					  const int *lda, double *b, const int *ldb, int *info, size_t uplo_len);
extern void	  dpocon_(const char *uplo, const int *n, const double *a, const int *lda,
					  const double *anorm, double *rcond, double *work, int *iwork, int *info,
					  size_t uplo_len);
extern double dlansy_(const char *norm, const char *uplo, const int *n, const double *a,
					  const int *lda, double *work, size_t norm_len, size_t uplo_len);
extern void	  dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
					  double *w, double *work, const int *lwork, int *iwork, const int *liwork,
					  int *info, size_t jobz_len, size_t uplo_len);

/* Cholesky of the upper triangle of the n x n a (leading dimension lda) */
static inline int
pgl_dpotrf(char uplo, int n, double *a, int lda)
{
	int info = 0;

	dpotrf_(&uplo, &n, a, &lda, &info, 1);
	return info;
}

/* solves with the factor of pgl_dpotrf for nrhs right-hand sides in b */
static inline int
pgl_dpotrs(char uplo, int n, int nrhs, const double *a, int lda, double *b, int ldb)
{
	int info = 0;

	dpotrs_(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info, 1);
	return info;
}

/* the reciprocal condition number of a factored matrix; work 3n, iwork n */
static inline int
pgl_dpocon(char uplo, int n, const double *a, int lda, double anorm, double *rcond, double *work,
		   int *iwork)
{
	int info = 0;

	dpocon_(&uplo, &n, a, &lda, &anorm, rcond, work, iwork, &info, 1);
	return info;
}

/* a norm of a symmetric matrix; work n for the 1- and infinity norms */
static inline double
pgl_dlansy(char norm, char uplo, int n, const double *a, int lda, double *work)
{
	return dlansy_(&norm, &uplo, &n, a, &lda, work, 1, 1);
}

/* eigenvalues (and vectors, jobz 'V') of a symmetric matrix; lwork -1 asks the sizes */
static inline int
pgl_dsyevd(char jobz, char uplo, int n, double *a, int lda, double *w, double *work, int lwork,
		   int *iwork, int liwork)
{
	int info = 0;

	dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
	return info;
}

#endif
