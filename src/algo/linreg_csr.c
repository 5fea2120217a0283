/*-------------------------------------------------------------------------
 *
 * linreg_csr.c
 *	  Ridge regression over a sparse design matrix (text features):
 *	  preconditioned conjugate gradient on the normal equations, matrix-free
 *	  (XᵀX is never formed), or the dense solve when the matrix is narrow.
 *
 * The objective is pgl_linreg_fit's, ||y - X w - b||^2 + l2 ||w||^2 with
 * the intercept not penalized.  Eliminating b centres X and y; with mu the
 * column means and c = mu·v, the centred product is Xcᵀ Xc v = Xᵀ (X v - c),
 * so each step costs two sparse products.  The preconditioner is the
 * diagonal of Xcᵀ Xc + l2 I.  CG starts from 0, so with l2 = 0 and more
 * columns than rows it converges to the minimum-norm solution.
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* out = Xcᵀ Xc v + l2 v (t: n scratch) */
static void
normal_product(const pgl_csr *A, const double *mu, double l2, const double *v, double *t,
			   double *out)
{
	int32_t p = A->n_cols;
	double	c = 0;

	for (int32_t j = 0; j < p; j++)
		c += mu[j] * v[j];
	for (int64_t i = 0; i < A->n_rows; i++)
	{
		double s = -c;

		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
			s += A->values[e] * v[A->indices[e]];
		t[i] = s;
	}
	for (int32_t j = 0; j < p; j++)
		out[j] = l2 * v[j];
	for (int64_t i = 0; i < A->n_rows; i++)
		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
			out[A->indices[e]] += A->values[e] * t[i];
}

static double
dot(const double *a, const double *b, int32_t n)
{
	double s = 0;

	for (int32_t j = 0; j < n; j++)
		s += a[j] * b[j];
	return s;
}

/* narrow: the rows densified and pgl_linreg_fit's exact solve */
static pgl_rc
fit_dense(const pgl_env *env, const pgl_csr *A, const double *y, double l2, double *coef,
		  int32_t *rank, pgl_status *st)
{
	double *X = pgl_alloc0(env, sizeof(double) * (size_t) A->n_rows * (size_t) A->n_cols + 1);
	pgl_rc	rc;

	if (X == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < A->n_rows; i++)
		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
			X[(size_t) A->indices[e] * (size_t) A->n_rows + (size_t) i] = A->values[e];
	rc = pgl_linreg_fit(env, X, A->n_rows, A->n_rows, A->n_cols, y, l2, coef, rank, st);
	pgl_free(env, X);
	return rc;
}

/* the conjugate gradient iterations; w: p, written */
static pgl_rc
pcg(const pgl_env *env, const pgl_csr *A, const double *mu, const double *yc, double l2,
	int32_t max_iter, double tol, double *w, int32_t *iterations, pgl_status *st)
{
	int32_t p = A->n_cols;
	size_t	pb = sizeof(double) * ((size_t) p + 1);
	double *r = pgl_alloc0(env, pb), *z = pgl_alloc0(env, pb), *d = pgl_alloc0(env, pb);
	double *q = pgl_alloc0(env, pb), *diag = pgl_alloc0(env, pb);
	double *t = pgl_alloc(env, sizeof(double) * ((size_t) A->n_rows + 1));
	double	rz, bnorm;
	pgl_rc	rc = PGL_OK;
	int32_t it = 0;

	if (!r || !z || !d || !q || !diag || !t)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* r = b = Xcᵀ yc (w = 0); the diagonal of Xcᵀ Xc + l2 */
	memset(w, 0, sizeof(double) * (size_t) p);
	for (int64_t i = 0; i < A->n_rows; i++)
		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
		{
			r[A->indices[e]] += A->values[e] * yc[i];
			diag[A->indices[e]] += A->values[e] * A->values[e];
		}
	for (int32_t j = 0; j < p; j++)
	{
		diag[j] += l2 - (double) A->n_rows * mu[j] * mu[j];
		diag[j] = diag[j] > 1e-300 ? diag[j] : 1.0;
		z[j] = r[j] / diag[j];
	}
	memcpy(d, z, pb);
	rz = dot(r, z, p);
	bnorm = sqrt(dot(r, r, p));
	for (it = 0; it < max_iter && bnorm > 0; it++)
	{
		double alpha, beta, rz_new, rnorm;

		normal_product(A, mu, l2, d, t, q);
		alpha = dot(d, q, p);
		if (!(alpha > 0))
			break; /* no curvature left along d: converged as far as it goes */
		alpha = rz / alpha;
		for (int32_t j = 0; j < p; j++)
		{
			w[j] += alpha * d[j];
			r[j] -= alpha * q[j];
		}
		rnorm = sqrt(dot(r, r, p));
		pgl_progress(env, it + 1, max_iter, rnorm / bnorm);
		pgl_interrupts(env);
		if (rnorm <= tol * bnorm)
		{
			it++;
			break;
		}
		for (int32_t j = 0; j < p; j++)
			z[j] = r[j] / diag[j];
		rz_new = dot(r, z, p);
		beta = rz_new / rz;
		rz = rz_new;
		for (int32_t j = 0; j < p; j++)
			d[j] = z[j] + beta * d[j];
	}
	*iterations = it;
	if (it >= max_iter && bnorm > 0 && sqrt(dot(r, r, p)) > tol * bnorm)
	{
		char msg[160];

		snprintf(msg, sizeof(msg),
				 "linear_regression (conjugate gradient) did not converge in %d iterations",
				 (int) max_iter);
		pgl_notice(env, msg, "Raise \"max_iter\", or raise \"l2\".");
	}
done:
	pgl_free(env, r);
	pgl_free(env, z);
	pgl_free(env, d);
	pgl_free(env, q);
	pgl_free(env, diag);
	pgl_free(env, t);
	return rc;
}

pgl_rc
pgl_linreg_fit_csr(const pgl_env *env, const pgl_csr *A, const double *y, double l2,
				   int32_t max_iter, double tol, double *coef, int32_t *rank, int32_t *iterations,
				   pgl_status *st)
{
	int64_t n = A->n_rows;
	int32_t p = A->n_cols;
	double *mu, *yc, ybar = 0, b;
	pgl_rc	rc;

	*iterations = 1;
	*rank = p;
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "linear_regression needs at least one training row");
	if (!isfinite(l2) || l2 < 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"linear_regression: \"l2\" must be a finite number >= 0");
	for (int64_t e = 0; e < A->indptr[n]; e++)
		if (!isfinite(A->values[e]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"linear_regression: input column %d contains non-finite values",
							(int) A->indices[e] + 1);
	if (p <= PGL_LINREG_DENSE_WIDTH)
		return fit_dense(env, A, y, l2, coef, rank, st);

	mu = pgl_alloc0(env, sizeof(double) * ((size_t) p + 1));
	yc = pgl_alloc(env, sizeof(double) * ((size_t) n + 1));
	if (mu == NULL || yc == NULL)
	{
		pgl_free(env, mu);
		pgl_free(env, yc);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int64_t i = 0; i < n; i++)
	{
		ybar += y[i];
		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
			mu[A->indices[e]] += A->values[e];
	}
	ybar /= (double) n;
	for (int32_t j = 0; j < p; j++)
		mu[j] /= (double) n;
	for (int64_t i = 0; i < n; i++)
		yc[i] = y[i] - ybar;
	rc = pcg(env, A, mu, yc, l2, max_iter, tol, coef, iterations, st);
	if (rc == PGL_OK)
	{
		b = ybar;
		for (int32_t j = 0; j < p; j++)
			b -= mu[j] * coef[j];
		coef[p] = b;
		for (int32_t j = 0; j <= p; j++)
			if (!isfinite(coef[j]))
				rc = pgl_fail(st, PGL_ERR_NUMERIC,
							  "linear_regression produced non-finite coefficients");
	}
	pgl_free(env, mu);
	pgl_free(env, yc);
	return rc;
}
