/*-------------------------------------------------------------------------
 *
 * gram.c
 *	  Streaming sufficient statistics of linear regression.
 *
 * Each batch of rows becomes the columns
 *	 [1, x_1 - s_1, ..., x_p - s_p, y - s_y, u_a, u_b, ...]
 * where s is the first value seen in each column, a NULL x_j contributes 0,
 * and u_j is 1 where x_j is NULL (only for columns that have had a NULL).
 * DSYRK adds the batch's Gram matrix to G.  At the end, with x_j imputed by
 * m_j where NULL, the shifted imputed column is (x_j - s_j) + (m_j - s_j) u_j,
 * a linear combination of accumulated columns, so its sums and products
 * follow exactly from G: S = T G Tᵀ for a small matrix T.  Centring S gives
 * the Gram matrix pgl_linreg_solve takes.
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

typedef struct gram_worker
{
	pthread_t		thread;
	pthread_mutex_t mu;
	pthread_cond_t	cv;
	double		   *buf;  /* the batch the worker owns */
	int32_t			rows; /* > 0: a batch to add */
	int32_t			dim;
	bool			quit;
	pgl_gram	   *g;
} gram_worker;

static void *
gram_worker_main(void *arg)
{
	gram_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;)
	{
		while (w->rows == 0 && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->rows == 0 && w->quit)
			break;
		pthread_mutex_unlock(&w->mu);
		cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, w->dim, w->rows, 1.0, w->buf,
					PGL_GRAM_BATCH, 1.0, w->g->G, w->g->cap);
		pthread_mutex_lock(&w->mu);
		w->rows = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* wait until the worker has added the batch it holds */
static void
gram_worker_wait(gram_worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->rows > 0)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* grow G (and B) to hold at least dim columns, keeping what is accumulated */
static pgl_rc
gram_reserve(const pgl_env *env, pgl_gram *g, int32_t dim, pgl_status *st)
{
	int32_t cap = g->cap;
	double *G, *B;

	if (dim <= g->cap)
		return PGL_OK;
	if (g->worker)
		gram_worker_wait(g->worker);
	while (cap < dim)
		cap = cap < 8 ? 8 : cap * 2;
	G = pgl_alloc0(env, sizeof(double) * (size_t) cap * (size_t) cap);
	B = pgl_alloc(env, sizeof(double) * (size_t) PGL_GRAM_BATCH * (size_t) cap);
	if (G == NULL || B == NULL)
	{
		pgl_free(env, G);
		pgl_free(env, B);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	if (g->G)
	{
		for (int32_t j = 0; j < g->dim; j++)
			memcpy(G + (size_t) j * cap, g->G + (size_t) j * g->cap,
				   sizeof(double) * (size_t) (j + 1));
		for (int32_t j = 0; j < g->dim; j++)
			memcpy(B + (size_t) j * PGL_GRAM_BATCH, g->B + (size_t) j * PGL_GRAM_BATCH,
				   sizeof(double) * (size_t) g->brows);
	}
	pgl_free(env, g->G);
	pgl_free(env, g->B);
	g->G = G;
	g->B = B;
	g->cap = cap;
	if (g->worker)
	{
		gram_worker *w = g->worker;
		double		*wb = pgl_alloc(env, sizeof(double) * (size_t) PGL_GRAM_BATCH * (size_t) cap);

		if (wb == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		pgl_free(env, w->buf);
		w->buf = wb;
	}
	return PGL_OK;
}

pgl_rc
pgl_gram_init(const pgl_env *env, pgl_gram *g, int32_t p, bool use_thread, pgl_status *st)
{
	pgl_rc rc;

	memset(g, 0, sizeof(*g));
	g->p = p;
	g->dim = p + 2;
	g->shift = pgl_alloc0(env, sizeof(double) * ((size_t) p + 1));
	g->shifted = pgl_alloc0(env, sizeof(bool) * ((size_t) p + 1));
	g->indicator = pgl_alloc(env, sizeof(int32_t) * ((size_t) p + 1));
	g->varies = pgl_alloc0(env, sizeof(bool) * ((size_t) p + 1));
	if (!g->shift || !g->shifted || !g->indicator || !g->varies)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t j = 0; j < p; j++)
	{
		g->indicator[j] = -1;
	}
	rc = gram_reserve(env, g, g->dim, st);
	if (rc != PGL_OK || !use_thread)
		return rc;

	{
		gram_worker *w = pgl_alloc0(env, sizeof(gram_worker));

		if (w == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		w->g = g;
		w->buf = pgl_alloc(env, sizeof(double) * (size_t) PGL_GRAM_BATCH * (size_t) g->cap);
		if (w->buf == NULL)
		{
			pgl_free(env, w);
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		}
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->thread, NULL, gram_worker_main, w) != 0)
		{
			/* no thread: carry on without one */
			pthread_mutex_destroy(&w->mu);
			pthread_cond_destroy(&w->cv);
			pgl_free(env, w->buf);
			pgl_free(env, w);
			return PGL_OK;
		}
		g->worker = w;
	}
	return PGL_OK;
}

static void
gram_stop_worker(const pgl_env *env, pgl_gram *g)
{
	gram_worker *w = g->worker;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pgl_free(env, w->buf);
	pgl_free(env, w);
	g->worker = NULL;
}

void
pgl_gram_free(const pgl_env *env, pgl_gram *g)
{
	gram_stop_worker(env, g);
	pgl_free(env, g->G);
	pgl_free(env, g->B);
	pgl_free(env, g->shift);
	pgl_free(env, g->shifted);
	pgl_free(env, g->indicator);
	pgl_free(env, g->varies);
	memset(g, 0, sizeof(*g));
}

/* add the rows in B to G: directly, or by handing B to the worker */
static void
gram_flush(pgl_gram *g)
{
	gram_worker *w = g->worker;

	if (g->brows == 0)
		return;
	if (w == NULL)
	{
		cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, g->dim, g->brows, 1.0, g->B,
					PGL_GRAM_BATCH, 1.0, g->G, g->cap);
		g->brows = 0;
		return;
	}
	pthread_mutex_lock(&w->mu);
	while (w->rows > 0)
		pthread_cond_wait(&w->cv, &w->mu);
	{
		double *t = w->buf;

		w->buf = g->B;
		g->B = t;
	}
	w->dim = g->dim;
	w->rows = g->brows;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	g->brows = 0;
}

pgl_rc
pgl_gram_add(const pgl_env *env, pgl_gram *g, const double *const *cols, const bool *const *nulls,
			 int64_t ld, int64_t rows, pgl_status *st)
{
	int32_t p = g->p;
	int64_t done = 0;

	(void) ld;

	/* indicator columns for features with their first NULLs in these rows */
	for (int32_t j = 0; j < p; j++)
	{
		if (nulls[j] == NULL || g->indicator[j] >= 0)
			continue;
		for (int64_t i = 0; i < rows; i++)
			if (nulls[j][i])
			{
				pgl_rc rc;

				gram_flush(g);
				rc = gram_reserve(env, g, g->dim + 1, st);
				if (rc != PGL_OK)
					return rc;
				g->indicator[j] = g->dim++;
				break;
			}
	}

	/* shifts: the first value seen in each column */
	for (int32_t j = 0; j <= p; j++)
	{
		if (g->shifted[j])
			continue;
		for (int64_t i = 0; i < rows; i++)
			if (j == p || nulls[j] == NULL || !nulls[j][i])
			{
				g->shift[j] = cols[j][i];
				g->shifted[j] = true;
				break;
			}
	}

	while (done < rows)
	{
		int64_t k = rows - done;
		int32_t at = g->brows;

		if (k > PGL_GRAM_BATCH - at)
			k = PGL_GRAM_BATCH - at;

		for (int64_t i = 0; i < k; i++)
			g->B[at + i] = 1.0;
		for (int32_t j = 0; j <= p; j++)
		{
			const double *src = cols[j] + done;
			/* rows of a column without an indicator hold no NULL (see above) */
			const bool *nl = j < p && nulls[j] && g->indicator[j] >= 0 ? nulls[j] + done : NULL;
			double	   *dst = g->B + (size_t) (j + 1) * PGL_GRAM_BATCH + at;
			double		s = g->shift[j];
			int			differs = 0;

			/* plain loops over contiguous values: the compiler vectorizes them */
			if (nl == NULL)
			{
				for (int64_t i = 0; i < k; i++)
				{
					dst[i] = src[i] - s;
					differs |= dst[i] != 0.0;
				}
			}
			else
			{
				double *ind = g->B + (size_t) g->indicator[j] * PGL_GRAM_BATCH + at;

				for (int64_t i = 0; i < k; i++)
				{
					dst[i] = nl[i] ? 0.0 : src[i] - s;
					ind[i] = nl[i] ? 1.0 : 0.0;
					differs |= dst[i] != 0.0;
				}
			}
			if (j < p && differs)
				g->varies[j] = true;
		}
		/* indicator columns of features without NULLs in this batch */
		for (int32_t j = 0; j < p; j++)
			if (g->indicator[j] >= 0 && nulls[j] == NULL)
				memset(g->B + (size_t) g->indicator[j] * PGL_GRAM_BATCH + at, 0,
					   sizeof(double) * (size_t) k);

		g->brows += (int32_t) k;
		done += k;
		if (g->brows == PGL_GRAM_BATCH)
		{
			gram_flush(g);
			pgl_interrupts(env);
		}
	}
	g->n += rows;
	return PGL_OK;
}

pgl_rc
pgl_gram_finish(const pgl_env *env, pgl_gram *g, const double *impute, double *C, double *mu,
				double *ybar, double *maxabs, bool *constant, pgl_status *st)
{
	int32_t p = g->p;
	int32_t q = p + 2; /* rows of T: 1, x_1..x_p, y */
	int32_t dim = g->dim;
	double *A = NULL, *T = NULL, *TA = NULL, *S = NULL;
	double	n;
	pgl_rc	rc = PGL_OK;

	gram_flush(g);
	if (g->worker)
		gram_worker_wait(g->worker);
	if (g->n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "linear_regression needs at least one training row");
	A = pgl_alloc(env, sizeof(double) * (size_t) dim * dim);
	T = pgl_alloc0(env, sizeof(double) * (size_t) q * dim);
	TA = pgl_alloc(env, sizeof(double) * (size_t) q * dim);
	S = pgl_alloc(env, sizeof(double) * (size_t) q * q);
	if (!A || !T || !TA || !S)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}

	/* the full symmetric G */
	for (int32_t j = 0; j < dim; j++)
		for (int32_t i = 0; i <= j; i++)
			A[i + (size_t) j * dim] = A[j + (size_t) i * dim] = g->G[i + (size_t) j * g->cap];

	/* T (q x dim, column-major): rows are 1, imputed shifted x_j, shifted y */
	T[0] = 1.0;
	for (int32_t j = 0; j <= p; j++)
	{
		T[(j + 1) + (size_t) (j + 1) * q] = 1.0;
		if (j < p && g->indicator[j] >= 0)
			T[(j + 1) + (size_t) g->indicator[j] * q] = impute[j] - g->shift[j];
	}
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, dim, dim, 1.0, T, q, A, dim, 0.0, TA,
				q);
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, q, q, dim, 1.0, TA, q, T, q, 0.0, S, q);

	/* centre: C = S[1.., 1..] - sum sumᵀ / n */
	n = S[0];
	for (int32_t b = 0; b <= p; b++)
		for (int32_t a = 0; a <= p; a++)
			C[a + (size_t) b * (p + 1)] =
				S[(a + 1) + (size_t) (b + 1) * q] - S[a + 1] * S[b + 1] / n;
	for (int32_t j = 0; j < p; j++)
	{
		double cjj = C[j + (size_t) j * (p + 1)];

		mu[j] = S[j + 1] / n + g->shift[j];

		/*
		 * Exactly constant: every value equals the first one (and so does
		 * the mean that imputes NULLs).  The magnitude that sets the level
		 * of rounding noise: the mean plus one standard deviation.
		 */
		constant[j] = !g->varies[j];
		if (constant[j])
			mu[j] = g->shift[j];
		maxabs[j] = fabs(mu[j]) + sqrt(fmax(cjj, 0.0) / n);
		if (!isfinite(mu[j]) || !isfinite(cjj))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC, "linear_regression: the sums of squares overflowed");
			goto done;
		}
	}
	*ybar = S[p + 1] / n + g->shift[p];

done:
	pgl_free(env, A);
	pgl_free(env, T);
	pgl_free(env, TA);
	pgl_free(env, S);
	return rc;
}
