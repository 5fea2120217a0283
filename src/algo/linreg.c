/*-------------------------------------------------------------------------
 *
 * linreg.c
 *	  Ridge regression by the normal equations.
 *
 * The centred Gram matrix [X - mu, y - ybar]ᵀ [X - mu, y - ybar] is
 * accumulated with DSYRK over batches of rows, which yields XᵀX, Xᵀy and yᵀy
 * in one pass and bounds the temporary memory.  The system is Jacobi scaled
 * (unit diagonal), regularized, and solved by Cholesky; when it is singular
 * or badly conditioned, a truncated symmetric eigendecomposition gives the
 * minimum-norm solution instead and the user is told.
 *
 * All memory comes from env->alloc, LAPACK workspace included (the _work
 * entry points are used so that LAPACKE does not malloc).
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <cblas.h>
#include <float.h>
#include "lapack.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* rows per DSYRK batch, and the target size of the batch buffer (doubles) */
#define LINREG_BATCH_ROWS	 4096
#define LINREG_MIN_BATCH	 256
#define LINREG_BATCH_DOUBLES (1 << 20)

/* a condition number worse than this sends the solve to the eigen path */
#define LINREG_RCOND_MIN 1e-12

/*
 * A column whose centred sum of squares is at the level of rounding noise
 * (relative to its largest magnitude) is constant: it gets weight 0.
 */
#define LINREG_CONST_ULPS 64.0

/*
 * Build the Jacobi-scaled, regularized system into W (p x p, upper triangle,
 * column-major) and rhs from the Gram matrix G ((p + 1) x (p + 1), upper).
 * d[j] receives the scale of column j; constant columns get d = 1 and a zero
 * row and column (so their weight is 0 on every path).
 */
static void
build_system(const double *G, int32_t p, const bool *constant, double l2, const double *d,
			 double *W, double *rhs)
{
	size_t ldg = (size_t) p + 1;

	for (int32_t j = 0; j < p; j++)
	{
		for (int32_t i = 0; i <= j; i++)
		{
			double v;

			if (constant[i] || constant[j])
				v = 0.0;
			else
				v = G[i + j * ldg] / (d[i] * d[j]);
			W[i + (size_t) j * p] = v;
		}
		W[j + (size_t) j * p] += l2 / (d[j] * d[j]);
		rhs[j] = constant[j] ? 0.0 : G[j + (size_t) p * ldg] / d[j];
	}
}

/*
 * Minimum-norm solve of the (scaled) system W z = rhs by DSYEVD, truncating
 * eigenvalues below p * eps * max eigenvalue.  W is overwritten by the
 * eigenvectors; z receives the solution.  Returns the rank, or -1 on
 * failure (st set).
 */
static int32_t
eigen_solve(const pgl_env *env, double *W, int32_t p, const double *rhs, double *z, pgl_status *st)
{
	double *eig = NULL;
	double *t = NULL;
	double *work = NULL;
	int	   *iwork = NULL;
	double	wq;
	int		iwq;
	int		info;
	double	maxeig;
	double	thr;
	int32_t rank = -1;

	info = pgl_dsyevd('V', 'U', p, W, p, NULL, &wq, -1, &iwq, -1);
	if (info != 0)
	{
		pgl_fail(st, PGL_ERR_NUMERIC,
				 "linear_regression: eigendecomposition workspace query failed (info %d)",
				 (int) info);
		goto done;
	}
	eig = pgl_alloc(env, sizeof(double) * (size_t) p);
	t = pgl_alloc(env, sizeof(double) * (size_t) p);
	work = pgl_alloc(env, sizeof(double) * (size_t) wq);
	iwork = pgl_alloc(env, sizeof(int) * (size_t) iwq);
	if (eig == NULL || t == NULL || work == NULL || iwork == NULL)
	{
		pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	info = pgl_dsyevd('V', 'U', p, W, p, eig, work, (int) wq, iwork, iwq);
	if (info != 0)
	{
		pgl_fail(st, PGL_ERR_NUMERIC, "linear_regression: eigendecomposition failed (info %d)",
				 (int) info);
		goto done;
	}

	/* eigenvalues come in ascending order */
	maxeig = eig[p - 1];
	/*
	 * Directions weaker than the Cholesky path's condition limit are noise:
	 * e.g. centred one-hot columns of one feature sum to zero only up to
	 * rounding, which leaves an eigenvalue near 1e-16 * max.
	 */
	thr = fmax((double) p * DBL_EPSILON, LINREG_RCOND_MIN) * maxeig;

	/* z = V diag(1 / lambda, truncated) Vᵀ rhs */
	cblas_dgemv(CblasColMajor, CblasTrans, p, p, 1.0, W, p, rhs, 1, 0.0, t, 1);
	rank = 0;
	for (int32_t i = 0; i < p; i++)
	{
		if (eig[i] > thr && eig[i] > 0.0)
		{
			t[i] /= eig[i];
			rank++;
		}
		else
			t[i] = 0.0;
	}
	cblas_dgemv(CblasColMajor, CblasNoTrans, p, p, 1.0, W, p, t, 1, 0.0, z, 1);

done:
	pgl_free(env, eig);
	pgl_free(env, t);
	pgl_free(env, work);
	pgl_free(env, iwork);
	return rank;
}

pgl_rc
pgl_linreg_solve(const pgl_env *env, const double *G, int64_t n, int32_t p, const double *mu,
				 double ybar, const double *maxabs, bool *constant, double l2, double *coef,
				 int32_t *rank, pgl_status *st)
{
	size_t	ldg = (size_t) p + 1;
	double *W = NULL;
	double *d = NULL;
	double *rhs = NULL;
	double *work = NULL;
	int	   *iwork = NULL;
	bool	use_eigen = false;
	pgl_rc	rc = PGL_OK;

	if (p == 0)
	{
		coef[0] = ybar;
		*rank = 0;
		return PGL_OK;
	}
	d = pgl_alloc(env, sizeof(double) * (size_t) p);
	rhs = pgl_alloc(env, sizeof(double) * (size_t) p);
	W = pgl_alloc(env, sizeof(double) * (size_t) p * (size_t) p);
	if (d == NULL || rhs == NULL || W == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}

	/* Jacobi scaling; rounding-noise columns count as constant */
	for (int32_t j = 0; j < p; j++)
	{
		double gjj = G[j + j * ldg];
		double noise = LINREG_CONST_ULPS * DBL_EPSILON * maxabs[j];

		if (!isfinite(gjj))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC, "linear_regression: the sums of squares overflowed");
			goto done;
		}
		if (!constant[j] && (gjj <= 0.0 || gjj <= (double) n * noise * noise))
			constant[j] = true;
		d[j] = constant[j] ? 1.0 : sqrt(gjj);
	}
	for (int32_t j = 0; j < p; j++)
		if (!isfinite(G[j + (size_t) p * ldg]))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC, "linear_regression: the sums of squares overflowed");
			goto done;
		}

	/* Cholesky, with a condition estimate */
	build_system(G, p, constant, l2, d, W, rhs);
	{
		double anorm;
		double rcond = 0.0;
		int	   info;

		work = pgl_alloc(env, sizeof(double) * 3 * (size_t) p);
		iwork = pgl_alloc(env, sizeof(int) * (size_t) p);
		if (work == NULL || iwork == NULL)
		{
			rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
			goto done;
		}
		anorm = pgl_dlansy('1', 'U', p, W, p, work);
		info = pgl_dpotrf('U', p, W, p);
		if (info == 0)
			info = pgl_dpocon('U', p, W, p, anorm, &rcond, work, iwork);
		if (info != 0 || !(rcond >= LINREG_RCOND_MIN))
			use_eigen = true;
		else
		{
			info = pgl_dpotrs('U', p, 1, W, p, rhs, p);
			if (info != 0)
				use_eigen = true;
			else
			{
				for (int32_t j = 0; j < p; j++)
					if (!isfinite(rhs[j]))
						use_eigen = true;
			}
			*rank = p;
		}
	}

	if (use_eigen)
	{
		char	msg[256];
		int32_t r;

		/* W was destroyed by the factorization: rebuild it */
		build_system(G, p, constant, l2, d, W, rhs);
		r = eigen_solve(env, W, p, rhs, coef, st);
		if (r < 0)
		{
			rc = st->rc;
			goto done;
		}
		*rank = r;
		snprintf(msg, sizeof(msg),
				 "linear_regression: the system is singular or ill-conditioned (rank %d of %d "
				 "columns); used a minimum-norm least-squares solve",
				 (int) r, (int) p);
		pgl_notice(
			env, msg,
			"Collinear or constant columns cause this, such as all one-hot columns of a "
			"categorical feature when l2 is 0; set \"l2\" above 0 or drop the redundant columns.");
	}
	else
		memcpy(coef, rhs, sizeof(double) * (size_t) p);

	/* undo the scaling; intercept from the means */
	{
		double b = ybar;

		for (int32_t j = 0; j < p; j++)
		{
			coef[j] = constant[j] ? 0.0 : coef[j] / d[j];
			b -= mu[j] * coef[j];
		}
		coef[p] = b;
	}
	for (int32_t j = 0; j <= p; j++)
		if (!isfinite(coef[j]))
		{
			rc =
				pgl_fail(st, PGL_ERR_NUMERIC, "linear_regression produced non-finite coefficients");
			goto done;
		}

done:
	pgl_free(env, W);
	pgl_free(env, d);
	pgl_free(env, rhs);
	pgl_free(env, work);
	pgl_free(env, iwork);
	return rc;
}

pgl_rc
pgl_linreg_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
			   const double *y, double l2, double *coef, int32_t *rank, pgl_status *st)
{
	double *mu = NULL;
	double *maxabs = NULL;
	bool   *constant = NULL;
	double *B = NULL;
	double *G = NULL;
	double	ybar;
	double	ysum;
	size_t	ldg;
	int64_t bsz;
	pgl_rc	rc = PGL_OK;

	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "linear_regression needs at least one training row");
	if (p < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "linear_regression: invalid number of columns %d",
						(int) p);
	if (!isfinite(l2) || l2 < 0.0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"linear_regression: \"l2\" must be a finite number >= 0");

	/* mean of y */
	ysum = 0.0;
	for (int64_t i = 0; i < n; i++)
		ysum += y[i];
	if (!isfinite(ysum))
		return pgl_fail(st, PGL_ERR_INVALID,
						"linear_regression: the target contains non-finite values");
	ybar = ysum / (double) n;

	if (p == 0)
	{
		coef[0] = ybar;
		*rank = 0;
		return PGL_OK;
	}

	ldg = (size_t) p + 1;
	mu = pgl_alloc(env, sizeof(double) * (size_t) p);
	maxabs = pgl_alloc(env, sizeof(double) * (size_t) p);
	constant = pgl_alloc(env, sizeof(bool) * (size_t) p);
	G = pgl_alloc0(env, sizeof(double) * ldg * ldg);
	if (mu == NULL || maxabs == NULL || constant == NULL || G == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}

	/* column means; exactly constant columns are centred exactly */
	for (int32_t j = 0; j < p; j++)
	{
		const double *col = X + (size_t) j * (size_t) ld;
		double		  first = col[0];
		double		  sum = 0.0;
		double		  m = 0.0;
		bool		  same = true;

		for (int64_t i = 0; i < n; i++)
		{
			double v = col[i];

			sum += v;
			if (fabs(v) > m)
				m = fabs(v);
			if (v != first)
				same = false;
		}
		if (!isfinite(sum))
		{
			rc = pgl_fail(st, PGL_ERR_INVALID,
						  "linear_regression: input column %d contains non-finite values",
						  (int) j + 1);
			goto done;
		}
		mu[j] = same ? first : sum / (double) n;
		maxabs[j] = m;
		constant[j] = same;
	}

	/* accumulate the centred Gram matrix over batches of rows */
	bsz = LINREG_BATCH_DOUBLES / (int64_t) ldg;
	if (bsz > LINREG_BATCH_ROWS)
		bsz = LINREG_BATCH_ROWS;
	if (bsz < LINREG_MIN_BATCH)
		bsz = LINREG_MIN_BATCH;
	if (bsz > n)
		bsz = n;
	B = pgl_alloc(env, sizeof(double) * (size_t) bsz * ldg);
	if (B == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (int64_t r0 = 0; r0 < n; r0 += bsz)
	{
		int64_t rows = n - r0 < bsz ? n - r0 : bsz;

		pgl_interrupts(env);
		for (int32_t j = 0; j < p; j++)
		{
			const double *src = X + (size_t) j * (size_t) ld + (size_t) r0;
			double		 *dst = B + (size_t) j * (size_t) bsz;
			double		  m = mu[j];

			for (int64_t i = 0; i < rows; i++)
				dst[i] = src[i] - m;
		}
		{
			const double *src = y + r0;
			double		 *dst = B + (size_t) p * (size_t) bsz;

			for (int64_t i = 0; i < rows; i++)
				dst[i] = src[i] - ybar;
		}
		cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int) ldg, (int) rows, 1.0, B, (int) bsz,
					r0 == 0 ? 0.0 : 1.0, G, (int) ldg);
	}
	pgl_free(env, B);
	B = NULL;

	rc = pgl_linreg_solve(env, G, n, p, mu, ybar, maxabs, constant, l2, coef, rank, st);

done:
	pgl_free(env, mu);
	pgl_free(env, maxabs);
	pgl_free(env, constant);
	pgl_free(env, B);
	pgl_free(env, G);
	return rc;
}

void
pgl_linreg_predict(const double *coef, int32_t p, const double *X, int64_t ld, int64_t n,
				   double *out)
{
	double b = coef[p];

	if (n <= 0)
		return;
	if (p > 0 && ld <= INT_MAX)
	{
		cblas_dgemv(CblasColMajor, CblasNoTrans, (int) n, p, 1.0, X, (int) ld, coef, 1, 0.0, out,
					1);
		for (int64_t i = 0; i < n; i++)
			out[i] += b;
		return;
	}

	/* no columns, or too many rows for a BLAS int */
	for (int64_t i = 0; i < n; i++)
		out[i] = b;
	for (int32_t j = 0; j < p; j++)
	{
		const double *col = X + (size_t) j * (size_t) ld;
		double		  w = coef[j];

		for (int64_t i = 0; i < n; i++)
			out[i] += w * col[i];
	}
}
