/*
 * Tests of the streaming Gram accumulator (gram.c): fed in batches of any
 * size, with NULLs imputed by values known only at the end, it must give
 * the same ridge coefficients as pgl_linreg_fit on the imputed dense matrix.
 */
#include "linear.h"
#include "prep.h"
#include "unit.h"

#include <string.h>

#define N 5000
#define P 4

static double X[P * N];
static bool	  XN[P * N];
static double Y[N];

/* fit through the streaming path, feeding batches of the given sizes */
static bool use_thread = false;

static pgl_rc
stream_fit(const int *sizes, int nsizes, double l2, double *coef, int32_t *rank,
		   const double *impute)
{
	pgl_gram   g;
	pgl_status st;
	double	   C[(P + 1) * (P + 1)], mu[P], maxabs[P], ybar;
	bool	   constant[P];
	int64_t	   at = 0;
	int		   k = 0;
	pgl_rc	   rc;

	memset(&st, 0, sizeof(st));
	rc = pgl_gram_init(&pgl_malloc_env, &g, P, use_thread, &st);
	while (rc == PGL_OK && at < N)
	{
		int64_t		  rows = sizes[k++ % nsizes];
		const double *cols[P + 1];
		const bool	 *nulls[P + 1];

		if (rows > N - at)
			rows = N - at;
		for (int j = 0; j < P; j++)
		{
			cols[j] = X + (size_t) j * N + at;
			nulls[j] = XN + (size_t) j * N + at;
		}
		cols[P] = Y + at;
		nulls[P] = NULL;
		rc = pgl_gram_add(&pgl_malloc_env, &g, cols, nulls, rows, rows, &st);
		at += rows;
	}
	if (rc == PGL_OK)
		rc = pgl_gram_finish(&pgl_malloc_env, &g, impute, C, mu, &ybar, maxabs, constant, &st);
	if (rc == PGL_OK)
		rc = pgl_linreg_solve(&pgl_malloc_env, C, N, P, mu, ybar, maxabs, constant, l2, coef, rank,
							  &st);
	pgl_gram_free(&pgl_malloc_env, &g);
	return rc;
}

int
main(void)
{
	uint64_t   rng = 12345;
	double	   impute[P];
	double	   dense[P * N];
	double	   ref[P + 1], got[P + 1];
	int32_t	   rank_ref, rank_got;
	pgl_status st;
	int		   sizes_a[] = {1, 7, 128, 1000, 3};
	int		   sizes_b[] = {N};
	double	   maxdiff;

	/* features with offsets far from zero; column 2 gets NULLs from row 1500 on */
	for (int64_t i = 0; i < N; i++)
	{
		double y = 1.5;

		for (int j = 0; j < P; j++)
		{
			double v = 1e4 * j + (pgl_rng_uniform(&rng) - 0.5) * (j + 1);

			X[(size_t) j * N + i] = v;
			XN[(size_t) j * N + i] = (j == 2 && i >= 1500 && i % 3 == 0) || (j == 0 && i % 11 == 5);
			y += (j % 2 ? -1.0 : 2.0) * v;
		}
		Y[i] = y + pgl_rng_uniform(&rng) - 0.5;
	}
	for (int j = 0; j < P; j++)
	{
		double	sum = 0;
		int64_t cnt = 0;

		for (int64_t i = 0; i < N; i++)
			if (!XN[(size_t) j * N + i])
			{
				sum += X[(size_t) j * N + i];
				cnt++;
			}
		impute[j] = sum / cnt;
		for (int64_t i = 0; i < N; i++)
			dense[(size_t) j * N + i] = XN[(size_t) j * N + i] ? impute[j] : X[(size_t) j * N + i];
	}

	for (int pass = 0; pass < 4; pass++)
	{
		double l2 = pass % 2 == 0 ? 0.0 : 10.0;

		use_thread = pass >= 2;
		printf("# %s worker thread\n", use_thread ? "with a" : "without a");

		memset(&st, 0, sizeof(st));
		OK(pgl_linreg_fit(&pgl_malloc_env, dense, N, N, P, Y, l2, ref, &rank_ref, &st) == PGL_OK,
		   "dense fit (l2 = %g)", l2);
		OK(stream_fit(sizes_a, 5, l2, got, &rank_got, impute) == PGL_OK,
		   "streamed fit in uneven batches (l2 = %g)", l2);
		maxdiff = 0;
		for (int j = 0; j <= P; j++)
			maxdiff = fmax(maxdiff, fabs(got[j] - ref[j]) / fmax(1.0, fabs(ref[j])));
		OK(maxdiff < 1e-9, "streamed coefficients equal the dense ones (max rel diff %g, l2 = %g)",
		   maxdiff, l2);
		OK(rank_got == rank_ref, "same rank (%d)", (int) rank_got);
		OK(stream_fit(sizes_b, 1, l2, got, &rank_got, impute) == PGL_OK, "one batch");
		maxdiff = 0;
		for (int j = 0; j <= P; j++)
			maxdiff = fmax(maxdiff, fabs(got[j] - ref[j]) / fmax(1.0, fabs(ref[j])));
		OK(maxdiff < 1e-9, "one batch gives the same coefficients (max rel diff %g)", maxdiff);
	}

	/* freeing while the worker may still hold a batch stops it cleanly */
	{
		pgl_gram	  g;
		const double *cols[P + 1];
		const bool	 *nulls[P + 1];

		memset(&st, 0, sizeof(st));
		OK(pgl_gram_init(&pgl_malloc_env, &g, P, true, &st) == PGL_OK, "init with a worker");
		for (int j = 0; j < P; j++)
		{
			cols[j] = X + (size_t) j * N;
			nulls[j] = XN + (size_t) j * N;
		}
		cols[P] = Y;
		nulls[P] = NULL;
		OK(pgl_gram_add(&pgl_malloc_env, &g, cols, nulls, N, N, &st) == PGL_OK, "add rows");
		pgl_gram_free(&pgl_malloc_env, &g);
		pgl_gram_free(&pgl_malloc_env, &g);
		OK(g.worker == NULL && g.G == NULL, "free stops the worker (twice is harmless)");
	}

	/* a constant column is found constant and gets weight 0 */
	for (int64_t i = 0; i < N; i++)
	{
		X[(size_t) 3 * N + i] = 7.25;
		XN[(size_t) 3 * N + i] = false;
	}
	impute[3] = 7.25;
	OK(stream_fit(sizes_a, 5, 0.0, got, &rank_got, impute) == PGL_OK, "fit with a constant column");
	OK(got[3] == 0.0, "the constant column gets weight 0 (%g)", got[3]);
	OK(isfinite(got[P]), "finite intercept");

	return unit_done();
}
