/*-------------------------------------------------------------------------
 *
 * logreg.c
 *	  Binary and multinomial logistic regression by L-BFGS.
 *
 * The columns of X are standardized once into a single n x p buffer (mean
 * 0, standard deviation 1; constant columns are only centred, which makes
 * them exactly zero).  The objective over the standardized parameters
 *
 *	 (1/n) sum_i log-loss_i + (l2 / 2) ||W||_F^2	(intercepts not penalized)
 *
 * and its gradient are computed with one DGEMM for the scores and one for
 * Xᵀ (P - Y).  The coefficients are then mapped back to the scale of X.
 *
 * Parameter layout, here as in the returned coef: row-major (p + 1) x ncol,
 * row j < p the weights of feature j, row p the intercepts.  Read as a
 * column-major ncol x (p + 1) matrix (leading dimension ncol) this is Wᵀ,
 * which is how it is handed to BLAS.
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define LOGREG_LBFGS_MEMORY 10
#define LOGREG_PREDICT_ROWS 4096
#define LOGREG_CONST_ULPS	64.0

typedef struct logreg_ctx
{
	const double  *Z;  /* standardized X, n x p column-major */
	const pgl_csr *A;  /* or the sparse X (pgl_logreg_fit_csr)... */
	const double  *Av; /* ...its values times the column scales */
	int64_t		   n;
	int32_t		   p;
	int32_t		   ncol; /* 1 (binary) or k */
	const int32_t *label;
	const double  *cw; /* class weights, or NULL */
	double		   l2;
	double		  *S; /* scores / residuals, ncol x n col-major */
} logreg_ctx;

/* log(1 + exp(z)) without overflow */
static inline double
softplus(double z)
{
	return fmax(z, 0.0) + log1p(exp(-fabs(z)));
}

/* 1 / (1 + exp(-z)) without overflow */
static inline double
sigmoid(double z)
{
	if (z >= 0.0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double e = exp(z);

		return e / (1.0 + e);
	}
}

static double logreg_residuals(const logreg_ctx *c, double *S);
static void	  logreg_intercept_grad(const logreg_ctx *c, const double *S, double *gb);

/* objective and gradient over the standardized parameters theta */
static double
logreg_fg(void *arg, const double *theta, double *grad)
{
	logreg_ctx	 *c = arg;
	int64_t		  n = c->n;
	int32_t		  p = c->p;
	int32_t		  ncol = c->ncol;
	const double *b = theta + (size_t) p * ncol;
	double		 *S = c->S;
	double		  loss = 0.0;
	double		  reg = 0.0;
	double		  inv_n = 1.0 / (double) n;

	/* S = Wᵀ Zᵀ + b (ncol x n), i.e. scores row-major n x ncol */
	for (int64_t i = 0; i < n; i++)
		memcpy(S + (size_t) i * ncol, b, sizeof(double) * (size_t) ncol);
	if (p > 0)
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, ncol, (int) n, p, 1.0, theta, ncol,
					c->Z, (int) n, 1.0, S, ncol);

	loss = logreg_residuals(c, S);

	/* weight gradient (1/n) Zᵀ R + l2 W, stored as ncol x p (= p x ncol row-major) */
	if (p > 0)
	{
		memcpy(grad, theta, sizeof(double) * (size_t) p * ncol);
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, ncol, p, (int) n, inv_n, S, ncol,
					c->Z, (int) n, c->l2, grad, ncol);
		for (size_t j = 0; j < (size_t) p * ncol; j++)
			reg += theta[j] * theta[j];
	}
	logreg_intercept_grad(c, S, grad + (size_t) p * ncol);
	return loss * inv_n + 0.5 * c->l2 * reg;
}

/* the loss over the scores S (ncol x n), and the residuals P - Y in their place */
static double
logreg_residuals(const logreg_ctx *c, double *S)
{
	int64_t n = c->n;
	int32_t ncol = c->ncol;
	double	loss = 0.0;

	if (ncol == 1)
	{
		for (int64_t i = 0; i < n; i++)
		{
			double z = S[i];
			double yi = c->label[i] == 1 ? 1.0 : 0.0;
			double w = c->cw ? c->cw[c->label[i]] : 1.0;

			loss += w * (softplus(z) - yi * z);
			S[i] = w * (sigmoid(z) - yi);
		}
	}
	else
	{
		for (int64_t i = 0; i < n; i++)
		{
			double *s = S + (size_t) i * ncol;
			double	m = s[0];
			double	sum = 0.0;
			double	lse;
			double	w = c->cw ? c->cw[c->label[i]] : 1.0;

			for (int32_t k = 1; k < ncol; k++)
				if (s[k] > m)
					m = s[k];
			for (int32_t k = 0; k < ncol; k++)
				sum += exp(s[k] - m);
			lse = m + log(sum);
			loss += w * (lse - s[c->label[i]]);
			for (int32_t k = 0; k < ncol; k++)
				s[k] = w * exp(s[k] - lse);
			s[c->label[i]] -= w;
		}
	}
	return loss;
}

/* intercept gradient: the column means of the residuals R */
static void
logreg_intercept_grad(const logreg_ctx *c, const double *S, double *gb)
{
	for (int32_t k = 0; k < c->ncol; k++)
		gb[k] = 0.0;
	for (int64_t i = 0; i < c->n; i++)
		for (int32_t k = 0; k < c->ncol; k++)
			gb[k] += S[(size_t) i * c->ncol + k];
	for (int32_t k = 0; k < c->ncol; k++)
		gb[k] *= 1.0 / (double) c->n;
}

/*
 * The objective and gradient over a sparse X (pgl_logreg_fit_csr): the
 * same as logreg_fg with Z = X diag(scale), uncentred, as the CSR values
 * Av: the scores are Z theta + b, the weight gradient Zᵀ R / n + l2 theta.
 */
static double
logreg_fg_csr(void *arg, const double *theta, double *grad)
{
	logreg_ctx	  *c = arg;
	const pgl_csr *A = c->A;
	int32_t		   p = c->p, ncol = c->ncol;
	const double  *b = theta + (size_t) p * ncol;
	double		  *S = c->S;
	double		   loss, reg = 0.0, inv_n = 1.0 / (double) c->n;

	for (int64_t i = 0; i < c->n; i++)
	{
		double *s = S + (size_t) i * ncol;

		memcpy(s, b, sizeof(double) * (size_t) ncol);
		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
		{
			const double *t = theta + (size_t) A->indices[e] * ncol;

			for (int32_t k = 0; k < ncol; k++)
				s[k] += c->Av[e] * t[k];
		}
	}
	loss = logreg_residuals(c, S);
	memset(grad, 0, sizeof(double) * (size_t) p * ncol);
	for (int64_t i = 0; i < c->n; i++)
	{
		const double *r = S + (size_t) i * ncol;

		for (int64_t e = A->indptr[i]; e < A->indptr[i + 1]; e++)
		{
			double *g = grad + (size_t) A->indices[e] * ncol;

			for (int32_t k = 0; k < ncol; k++)
				g[k] += c->Av[e] * r[k];
		}
	}
	for (size_t j = 0; j < (size_t) p * ncol; j++)
	{
		grad[j] = grad[j] * inv_n + c->l2 * theta[j];
		reg += theta[j] * theta[j];
	}
	logreg_intercept_grad(c, S, grad + (size_t) p * ncol);
	return loss * inv_n + 0.5 * c->l2 * reg;
}

/*
 * The end of a fit: map the standardized parameters theta back to the scale
 * of X, check them, and say through env->notice when L-BFGS did not converge.
 */
static pgl_rc
logreg_finish(const pgl_env *env, const double *theta, const double *mu, const double *sd,
			  int32_t p, int32_t ncol, const pgl_lbfgs_result *r, const pgl_logreg_params *params,
			  double *coef, int32_t *iterations, double *loss, pgl_status *st)
{
	size_t					dim = ((size_t) p + 1) * (size_t) ncol;
	const pgl_lbfgs_result *resp = r;

	/* back to the scale of X */
	for (int32_t c = 0; c < ncol; c++)
	{
		double b = theta[(size_t) p * ncol + c];

		for (int32_t j = 0; j < p; j++)
		{
			double w = theta[(size_t) j * ncol + c] / sd[j];

			coef[(size_t) j * ncol + c] = w;
			b -= w * mu[j];
		}
		coef[(size_t) p * ncol + c] = b;
	}
	for (size_t j = 0; j < dim; j++)
		if (!isfinite(coef[j]))
		{
			return pgl_fail(st, PGL_ERR_NUMERIC,
							"logistic_regression produced non-finite coefficients");
		}

	*iterations = resp->iterations;
	*loss = resp->f;

	if (!resp->converged)
	{
		char msg[256];

		if (resp->iterations >= params->max_iter)
		{
			snprintf(msg, sizeof(msg), "logistic_regression did not converge in %d iterations",
					 (int) resp->iterations);
			pgl_notice(
				env, msg,
				"Raise \"max_iter\", or raise \"l2\" if the classes are (nearly) separable.");
		}
		else
		{
			snprintf(msg, sizeof(msg),
					 "logistic_regression stopped after %d iterations without reaching tol "
					 "(gradient norm %g)",
					 (int) resp->iterations, resp->gnorm_inf);
			pgl_notice(env, msg,
					   "The loss could not be reduced further in floating point; raise \"tol\", or "
					   "raise \"l2\" if the classes are (nearly) separable.");
		}
	}

	return PGL_OK;
}

/* the arguments of a fit */
static pgl_rc
logreg_check(int64_t n, int32_t p, const int32_t *label, int32_t k, const pgl_logreg_params *params,
			 pgl_status *st)
{
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression needs at least one training row");
	if (n > INT_MAX)
		return pgl_fail(st, PGL_ERR_INVALID,
						"logistic_regression supports at most %d training rows", INT_MAX);
	if (p < 0 || k < 2)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression needs at least two classes");
	if (!isfinite(params->l2) || params->l2 < 0.0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"logistic_regression: \"l2\" must be a finite number >= 0");
	if (params->max_iter <= 0)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: \"max_iter\" must be positive");
	if (!isfinite(params->tol) || params->tol <= 0.0)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: \"tol\" must be positive");
	for (int64_t i = 0; i < n; i++)
		if (label[i] < 0 || label[i] >= k)
			return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: class index %d out of range",
							(int) label[i]);
	if (params->class_weight)
		for (int32_t c = 0; c < k; c++)
			if (!(isfinite(params->class_weight[c]) && params->class_weight[c] > 0.0))
				return pgl_fail(st, PGL_ERR_INVALID,
								"logistic_regression: the weight of class %d is %g; class weights "
								"must be finite and > 0",
								(int) c, params->class_weight[c]);

	return PGL_OK;
}

pgl_rc
pgl_logreg_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
			   const int32_t *label, int32_t k, const pgl_logreg_params *params, double *coef,
			   int32_t *iterations, double *loss, pgl_status *st)
{
	int32_t			 ncol;
	size_t			 dim;
	double			*Z = NULL;
	double			*S = NULL;
	double			*mu = NULL;
	double			*sd = NULL;
	double			*theta = NULL;
	logreg_ctx		 ctx;
	pgl_lbfgs_result res;
	pgl_rc			 rc = PGL_OK;

	rc = logreg_check(n, p, label, k, params, st);
	if (rc != PGL_OK)
		return rc;
	ncol = k == 2 ? 1 : k;
	dim = ((size_t) p + 1) * (size_t) ncol;

	Z = pgl_alloc(env, sizeof(double) * (size_t) n * (size_t) p);
	S = pgl_alloc(env, sizeof(double) * (size_t) n * (size_t) ncol);
	mu = pgl_alloc(env, sizeof(double) * (size_t) p);
	sd = pgl_alloc(env, sizeof(double) * (size_t) p);
	theta = pgl_alloc0(env, sizeof(double) * dim);
	if (Z == NULL || S == NULL || mu == NULL || sd == NULL || theta == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}

	/* standardize */
	for (int32_t j = 0; j < p; j++)
	{
		const double *col = X + (size_t) j * (size_t) ld;
		double		 *zc = Z + (size_t) j * (size_t) n;
		double		  first = col[0];
		double		  sum = 0.0;
		double		  ss = 0.0;
		double		  m = 0.0;
		double		  s;
		bool		  same = true;

		for (int64_t i = 0; i < n; i++)
		{
			sum += col[i];
			if (fabs(col[i]) > m)
				m = fabs(col[i]);
			if (col[i] != first)
				same = false;
		}
		if (!isfinite(sum))
		{
			rc = pgl_fail(st, PGL_ERR_INVALID,
						  "logistic_regression: input column %d contains non-finite values",
						  (int) j + 1);
			goto done;
		}
		mu[j] = same ? first : sum / (double) n;

		/*
		 * Sum squares of deviations divided by the largest magnitude, so that
		 * features around 1e+-160 neither overflow nor underflow.
		 */
		for (int64_t i = 0; i < n; i++)
		{
			double v = m > 0 ? (col[i] - mu[j]) / m : 0.0;

			ss += v * v;
		}
		s = m * sqrt(ss / (double) n);
		if (same || !isfinite(s) || s <= LOGREG_CONST_ULPS * DBL_EPSILON * m)
		{
			/* constant: centred to exactly zero, scale 1 */
			sd[j] = 1.0;
			memset(zc, 0, sizeof(double) * (size_t) n);
			continue;
		}
		sd[j] = s;
		for (int64_t i = 0; i < n; i++)
			zc[i] = (col[i] - mu[j]) / s;
	}

	ctx.Z = Z;
	ctx.n = n;
	ctx.p = p;
	ctx.ncol = ncol;
	ctx.label = label;
	ctx.cw = params->class_weight;
	ctx.l2 = params->l2;
	ctx.S = S;

	if (dim > INT32_MAX)
	{
		rc = pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: too many parameters");
		goto done;
	}
	rc = pgl_lbfgs(env, (int32_t) dim, theta, logreg_fg, &ctx, params->max_iter, params->tol,
				   LOGREG_LBFGS_MEMORY, &res, st);
	if (rc != PGL_OK)
		goto done;

	rc = logreg_finish(env, theta, mu, sd, p, ncol, &res, params, coef, iterations, loss, st);

done:
	pgl_free(env, Z);
	pgl_free(env, S);
	pgl_free(env, mu);
	pgl_free(env, sd);
	pgl_free(env, theta);
	return rc;
}

pgl_rc
pgl_logreg_predict_proba(const pgl_env *env, const double *coef, int32_t p, int32_t k,
						 const double *X, int64_t ld, int64_t n, double *proba, pgl_status *st)
{
	int32_t		  ncol;
	const double *b;
	double		 *buf = NULL;
	int64_t		  bsz = LOGREG_PREDICT_ROWS;

	if (k < 2 || p < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: invalid model shape");
	if (n <= 0)
		return PGL_OK;
	ncol = k == 2 ? 1 : k;
	b = coef + (size_t) p * ncol;

	/* BLAS takes int leading dimensions: very tall X is copied in blocks */
	if (ld > INT_MAX && p > 0)
	{
		buf = pgl_alloc(env, sizeof(double) * (size_t) bsz * (size_t) p);
		if (buf == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}

	for (int64_t r0 = 0; r0 < n; r0 += bsz)
	{
		int64_t		  rows = n - r0 < bsz ? n - r0 : bsz;
		double		 *out = proba + (size_t) r0 * k;
		const double *xb = X + r0;
		int			  ldx = (int) ld;

		pgl_interrupts(env);

		/*
		 * Scores go straight into proba: row i's ncol scores at
		 * proba[i * k ...] (leading dimension k >= ncol).
		 */
		for (int64_t i = 0; i < rows; i++)
			memcpy(out + (size_t) i * k, b, sizeof(double) * (size_t) ncol);
		if (p > 0)
		{
			if (buf != NULL)
			{
				for (int32_t j = 0; j < p; j++)
					memcpy(buf + (size_t) j * rows, X + (size_t) j * ld + r0,
						   sizeof(double) * (size_t) rows);
				xb = buf;
				ldx = (int) rows;
			}
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, ncol, (int) rows, p, 1.0, coef,
						ncol, xb, ldx, 1.0, out, k);
		}

		if (ncol == 1)
		{
			for (int64_t i = 0; i < rows; i++)
			{
				double z = out[2 * i];

				/*
				 * An infinite score comes only from overflow (inputs and
				 * coefficients are finite), and its sign can be wrong (with
				 * FMA, inf + a larger finite negative product stays inf).
				 */
				if (!isfinite(z))
				{
					pgl_free(env, buf);
					return pgl_fail(st, PGL_ERR_NUMERIC,
									"the score of row %lld is not finite: its feature values are "
									"too large for the model's coefficients",
									(long long) (r0 + i + 1));
				}
				out[2 * i] = sigmoid(-z);
				out[2 * i + 1] = sigmoid(z);
			}
		}
		else
		{
			for (int64_t i = 0; i < rows; i++)
			{
				double *s = out + (size_t) i * k;
				double	m = s[0];
				double	sum = 0.0;

				/* an infinite score makes the softmax undefined (inf - inf) */
				for (int32_t c = 0; c < k; c++)
					if (!isfinite(s[c]))
					{
						pgl_free(env, buf);
						return pgl_fail(st, PGL_ERR_NUMERIC,
										"the score of class %d for row %lld is not finite: its "
										"feature values are too large for the model's "
										"coefficients",
										(int) (c + 1), (long long) (r0 + i + 1));
					}
				for (int32_t c = 1; c < k; c++)
					if (s[c] > m)
						m = s[c];
				for (int32_t c = 0; c < k; c++)
				{
					s[c] = exp(s[c] - m);
					sum += s[c];
				}
				for (int32_t c = 0; c < k; c++)
					s[c] /= sum;
			}
		}
	}

	pgl_free(env, buf);
	return PGL_OK;
}

/* ---------- from a gradient oracle: the aggregate method ---------- */

typedef struct oracle_ctx
{
	int32_t			  p;
	int32_t			  ncol;
	const double	 *mu;
	const double	 *sd;
	const bool		 *constant;
	double			  l2;
	pgl_logreg_oracle oracle;
	void			 *arg;
	double			 *w;   /* (p + 1) x ncol: theta on the scale of X */
	double			 *out; /* the oracle's [n, loss_sum, grad_sum] */
} oracle_ctx;

/*
 * The objective of logreg_fg over standardized parameters, from sums over
 * the raw rows: with w_j = theta_j / sd_j and b' = b - sum_j w_j mu_j the
 * scores are the same, and the standardized gradient of a weight is
 * (sum r x_j - mu_j sum r) / sd_j.  A constant column is exactly zero once
 * standardized, so it has no score and only the penalty's gradient.
 */
static double
oracle_fg(void *arg, const double *theta, double *grad)
{
	oracle_ctx	 *c = arg;
	int32_t		  p = c->p, ncol = c->ncol;
	const double *g;
	double		  n, inv_n, reg = 0.0;

	for (int32_t k = 0; k < ncol; k++)
	{
		double b = theta[(size_t) p * ncol + k];

		for (int32_t j = 0; j < p; j++)
		{
			double w = c->constant[j] ? 0.0 : theta[(size_t) j * ncol + k] / c->sd[j];

			c->w[(size_t) j * ncol + k] = w;
			b -= w * c->mu[j];
		}
		c->w[(size_t) p * ncol + k] = b;
	}
	c->oracle(c->arg, c->w, c->out);
	n = c->out[0];
	if (!(n >= 1.0))
		return NAN;
	inv_n = 1.0 / n;
	g = c->out + 2;
	for (int32_t k = 0; k < ncol; k++)
	{
		double gb = g[(size_t) p * ncol + k];

		for (int32_t j = 0; j < p; j++)
		{
			size_t i = (size_t) j * ncol + k;
			double t = theta[i];

			grad[i] =
				(c->constant[j] ? 0.0 : (g[i] - c->mu[j] * gb) / c->sd[j] * inv_n) + c->l2 * t;
			reg += t * t;
		}
		grad[(size_t) p * ncol + k] = gb * inv_n;
	}
	return c->out[1] * inv_n + 0.5 * c->l2 * reg;
}

pgl_rc
pgl_logreg_fit_oracle(const pgl_env *env, int32_t p, int32_t k, const double *stats,
					  const pgl_logreg_params *params, pgl_logreg_oracle oracle, void *arg,
					  double *coef, int32_t *iterations, double *loss, pgl_status *st)
{
	int32_t			 ncol = k == 2 ? 1 : k;
	size_t			 dim = ((size_t) p + 1) * (size_t) ncol;
	double			*mu, *sd, *theta, *w, *out;
	bool			*constant;
	oracle_ctx		 ctx;
	pgl_lbfgs_result res;
	pgl_rc			 rc;

	if (p < 0 || k < 2)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression needs at least two classes");
	if (dim > INT32_MAX / 2)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: too many parameters");
	mu = pgl_alloc(env, sizeof(double) * ((size_t) p + 1));
	sd = pgl_alloc(env, sizeof(double) * ((size_t) p + 1));
	constant = pgl_alloc(env, sizeof(bool) * ((size_t) p + 1));
	theta = pgl_alloc0(env, sizeof(double) * dim);
	w = pgl_alloc(env, sizeof(double) * dim);
	out = pgl_alloc(env, sizeof(double) * (dim + 2));
	if (!mu || !sd || !constant || !theta || !w || !out)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");

	/* the standardization of pgl_logreg_fit, from the column statistics */
	for (int32_t j = 0; j < p; j++)
	{
		const double *c = stats + 1 + 5 * (size_t) j;
		double		  n = c[0], mean = c[1], m2 = c[2], lo = c[3], hi = c[4];
		double		  m = fmax(fabs(lo), fabs(hi));
		bool		  same = lo == hi;
		double		  s = n > 0 ? sqrt(m2 / n) : 0.0;

		mu[j] = same ? lo : mean;
		constant[j] = same || !isfinite(s) || s <= LOGREG_CONST_ULPS * DBL_EPSILON * m;
		sd[j] = constant[j] ? 1.0 : s;
	}
	ctx.p = p;
	ctx.ncol = ncol;
	ctx.mu = mu;
	ctx.sd = sd;
	ctx.constant = constant;
	ctx.l2 = params->l2;
	ctx.oracle = oracle;
	ctx.arg = arg;
	ctx.w = w;
	ctx.out = out;
	rc = pgl_lbfgs(env, (int32_t) dim, theta, oracle_fg, &ctx, params->max_iter, params->tol,
				   LOGREG_LBFGS_MEMORY, &res, st);
	if (rc == PGL_OK)
	{
		/* a constant column's weight is 0 on the scale of X, as in pgl_logreg_fit */
		for (int32_t j = 0; j < p; j++)
			if (constant[j])
				for (int32_t c = 0; c < ncol; c++)
					theta[(size_t) j * ncol + c] = 0.0;
		rc = logreg_finish(env, theta, mu, sd, p, ncol, &res, params, coef, iterations, loss, st);
	}
	pgl_free(env, mu);
	pgl_free(env, sd);
	pgl_free(env, constant);
	pgl_free(env, theta);
	pgl_free(env, w);
	pgl_free(env, out);
	return rc;
}

pgl_rc
pgl_logreg_fit_csr(const pgl_env *env, const pgl_csr *A, const bool *raw, const int32_t *label,
				   int32_t k, const pgl_logreg_params *params, double *coef, int32_t *iterations,
				   double *loss, pgl_status *st)
{
	int64_t			 n = A->n_rows, nnz = A->indptr[A->n_rows];
	int32_t			 p = A->n_cols, ncol = k == 2 ? 1 : k;
	size_t			 dim = ((size_t) p + 1) * (size_t) ncol;
	double			*sum = NULL, *ss = NULL, *scale = NULL, *Av = NULL, *S = NULL, *theta = NULL;
	double			*mu = NULL;
	logreg_ctx		 ctx;
	pgl_lbfgs_result res;
	pgl_rc			 rc = logreg_check(n, p, label, k, params, st);

	if (rc != PGL_OK)
		return rc;
	if (dim > INT32_MAX)
		return pgl_fail(st, PGL_ERR_INVALID, "logistic_regression: too many parameters");
	sum = pgl_alloc0(env, sizeof(double) * ((size_t) p + 1));
	ss = pgl_alloc0(env, sizeof(double) * ((size_t) p + 1));
	scale = pgl_alloc(env, sizeof(double) * ((size_t) p + 1));
	mu = pgl_alloc0(env, sizeof(double) * ((size_t) p + 1));
	Av = pgl_alloc(env, sizeof(double) * ((size_t) nnz + 1));
	S = pgl_alloc(env, sizeof(double) * (size_t) n * (size_t) ncol);
	theta = pgl_alloc0(env, sizeof(double) * dim);
	if (!sum || !ss || !scale || !mu || !Av || !S || !theta)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}

	/*
	 * The standard deviation of each column, as the dense path standardizes
	 * (so "l2" means the same); the columns are scaled, not centred, which
	 * keeps them sparse and moves only the intercept: the optimum is the same.
	 */
	for (int64_t e = 0; e < nnz; e++)
	{
		double v = A->values[e];

		if (!isfinite(v))
		{
			rc = pgl_fail(st, PGL_ERR_INVALID,
						  "logistic_regression: input column %d contains non-finite values",
						  (int) A->indices[e] + 1);
			goto done;
		}
		sum[A->indices[e]] += v;
		ss[A->indices[e]] += v * v;
	}
	for (int32_t j = 0; j < p; j++)
	{
		double m = sum[j] / (double) n;
		double var = ss[j] / (double) n - m * m;
		double sd = var > 0 ? sqrt(var) : 0.0;

		/* constant (up to rounding): left out, its weight 0, as the dense path leaves it */
		scale[j] = sd > LOGREG_CONST_ULPS * DBL_EPSILON * sqrt(ss[j] / (double) n) ? 1.0 / sd : 0.0;
		if (raw && raw[j] && scale[j] > 0)
			scale[j] = 1.0;
	}
	for (int64_t e = 0; e < nnz; e++)
		Av[e] = A->values[e] * scale[A->indices[e]];

	memset(&ctx, 0, sizeof(ctx));
	ctx.A = A;
	ctx.Av = Av;
	ctx.n = n;
	ctx.p = p;
	ctx.ncol = ncol;
	ctx.label = label;
	ctx.cw = params->class_weight;
	ctx.l2 = params->l2;
	ctx.S = S;
	rc = pgl_lbfgs(env, (int32_t) dim, theta, logreg_fg_csr, &ctx, params->max_iter, params->tol,
				   LOGREG_LBFGS_MEMORY, &res, st);
	if (rc != PGL_OK)
		goto done;
	/* back to the scale of X: w = theta * scale (sd = 1 / scale; mu = 0, not centred) */
	for (int32_t j = 0; j < p; j++)
		scale[j] = scale[j] > 0 ? 1.0 / scale[j] : INFINITY;
	rc = logreg_finish(env, theta, mu, scale, p, ncol, &res, params, coef, iterations, loss, st);

done:
	pgl_free(env, sum);
	pgl_free(env, ss);
	pgl_free(env, scale);
	pgl_free(env, mu);
	pgl_free(env, Av);
	pgl_free(env, S);
	pgl_free(env, theta);
	return rc;
}
