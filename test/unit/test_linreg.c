/*
 * test_linreg.c - unit tests of ridge regression (src/algo/linreg.c).
 */
#include "linear.h"
#include "unit.h"
#include "testenv.h"

#include <stdint.h>
#include <string.h>

/* ---------- helpers (testenv.h) ---------- */

/* ---------- tests ---------- */

static void
test_exact_recovery(void)
{
	enum
	{
		N = 200,
		P = 4
	};
	double	   w[P] = {1.5, -2.0, 0.25, 3.0};
	double	   b = -0.75;
	double	  *X = malloc(sizeof(double) * N * P);
	double	   y[N];
	double	   pred[N];
	double	   coef[P + 1];
	int32_t	   rank = -1;
	counters   c;
	pgl_env	   env = make_env(&c);
	pgl_status st = {0};
	pgl_rc	   rc;
	double	   maxerr = 0.0;

	for (int i = 0; i < N; i++)
	{
		y[i] = b;
		for (int j = 0; j < P; j++)
		{
			X[i + j * N] = nrand() * (j + 1) + j;
			y[i] += w[j] * X[i + j * N];
		}
	}
	rc = pgl_linreg_fit(&env, X, N, N, P, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "noiseless fit succeeds");
	for (int j = 0; j < P; j++)
		NEAR(coef[j], w[j], 1e-10, "noiseless weight %d recovered (%.15g)", j, coef[j]);
	NEAR(coef[P], b, 1e-10, "noiseless intercept recovered (%.15g)", coef[P]);
	OK(rank == P, "full rank reported (%d)", rank);
	OK(c.notices == 0, "no notice for a well-posed system");

	pgl_linreg_predict(coef, P, X, N, N, pred);
	for (int i = 0; i < N; i++)
		maxerr = fmax(maxerr, fabs(pred[i] - y[i]));
	OK(maxerr < 1e-9, "predictions reproduce y (max error %g)", maxerr);
	free(X);
}

/* a large common offset must not cost precision (the data are centred) */
static void
test_offset(void)
{
	pgl_rc rc;
	enum
	{
		N = 500
	};
	double	   X[N];
	double	   y[N];
	double	   coef[2];
	int32_t	   rank;
	pgl_status st = {0};

	for (int i = 0; i < N; i++)
	{
		X[i] = 1e6 + urand();
		y[i] = 2.0 * X[i] + 3.0;
	}
	rc = pgl_linreg_fit(&pgl_malloc_env, X, N, N, 1, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "fit with a large offset succeeds");
	NEAR(coef[0], 2.0, 1e-7, "slope exact despite offset 1e6 (%.15g)", coef[0]);
	NEAR(coef[1], 3.0, 1e-2, "intercept close despite offset (%.15g)", coef[1]);
}

/* ridge against the closed form computed here with plain loops (p = 2) */
static void
test_ridge_reference(void)
{
	pgl_rc rc;
	enum
	{
		N = 60
	};
	double	   X[N * 2];
	double	   y[N];
	double	   coef[3];
	int32_t	   rank;
	pgl_status st = {0};
	double	   l2s[] = {0.0, 0.5, 3.0, 1000.0};

	for (int i = 0; i < N; i++)
	{
		X[i] = nrand() + 2.0;
		X[i + N] = 0.6 * X[i] + nrand() * 3.0;
		y[i] = 1.0 + 0.5 * X[i] - 2.0 * X[i + N] + nrand();
	}

	for (int t = 0; t < 4; t++)
	{
		double l2 = l2s[t];
		double m0 = 0, m1 = 0, my = 0;
		double s00 = 0, s01 = 0, s11 = 0, s0y = 0, s1y = 0;
		double a, bb, dd, det, w0, w1, b;

		for (int i = 0; i < N; i++)
		{
			m0 += X[i];
			m1 += X[i + N];
			my += y[i];
		}
		m0 /= N;
		m1 /= N;
		my /= N;
		for (int i = 0; i < N; i++)
		{
			double u = X[i] - m0, v = X[i + N] - m1, r = y[i] - my;

			s00 += u * u;
			s01 += u * v;
			s11 += v * v;
			s0y += u * r;
			s1y += v * r;
		}
		/* (S + l2 I) w = s, by Cramer's rule */
		a = s00 + l2;
		bb = s01;
		dd = s11 + l2;
		det = a * dd - bb * bb;
		w0 = (dd * s0y - bb * s1y) / det;
		w1 = (a * s1y - bb * s0y) / det;
		b = my - m0 * w0 - m1 * w1;

		rc = pgl_linreg_fit(&pgl_malloc_env, X, N, N, 2, y, l2, coef, &rank, &st);
		OK(rc == PGL_OK, "ridge fit l2=%g succeeds", l2);
		NEAR(coef[0], w0, 1e-10, "ridge l2=%g w0 matches closed form (%.12g vs %.12g)", l2, coef[0],
			 w0);
		NEAR(coef[1], w1, 1e-10, "ridge l2=%g w1 matches closed form (%.12g vs %.12g)", l2, coef[1],
			 w1);
		NEAR(coef[2], b, 1e-10, "ridge l2=%g intercept matches closed form (%.12g vs %.12g)", l2,
			 coef[2], b);
	}
}

static void
test_shrinkage(void)
{
	enum
	{
		N = 100,
		P = 3
	};
	double	   X[N * P];
	double	   y[N];
	double	   coef[P + 1];
	int32_t	   rank;
	pgl_status st = {0};
	double	   prev = INFINITY;
	bool	   monotone = true;
	double	   norm_big = 0;

	for (int i = 0; i < N; i++)
	{
		y[i] = 4.0;
		for (int j = 0; j < P; j++)
		{
			X[i + j * N] = nrand();
			y[i] += (j + 1) * X[i + j * N];
		}
		y[i] += 0.1 * nrand();
	}
	for (double l2 = 0.0; l2 <= 1e4; l2 = l2 == 0.0 ? 0.1 : l2 * 10)
	{
		double norm = 0;

		pgl_linreg_fit(&pgl_malloc_env, X, N, N, P, y, l2, coef, &rank, &st);
		for (int j = 0; j < P; j++)
			norm += coef[j] * coef[j];
		norm = sqrt(norm);
		if (!(norm < prev))
			monotone = false;
		prev = norm;
		norm_big = norm;
	}
	OK(monotone, "||w|| decreases strictly as l2 grows");
	OK(norm_big < 0.1 * sqrt(14.0), "l2 = 1e4 shrinks ||w|| a lot (%g)", norm_big);
}

/* a duplicated column and a constant column: min-norm fallback */
static void
test_singular(void)
{
	enum
	{
		N = 80,
		P = 5
	};
	double	   X[N * P];
	double	   y[N];
	double	   pred[N];
	double	   coef[P + 1];
	int32_t	   rank = -1;
	counters   c;
	pgl_env	   env = make_env(&c);
	pgl_status st = {0};
	pgl_rc	   rc;
	double	   maxerr = 0;

	for (int i = 0; i < N; i++)
	{
		X[i] = nrand();
		X[i + N] = nrand();
		X[i + 2 * N] = X[i]; /* duplicate of column 0 */
		X[i + 3 * N] = 0.1;	 /* constant, not exactly representable */
		X[i + 4 * N] = nrand();
		y[i] = 2.0 * X[i] - X[i + N] + 0.5 * X[i + 4 * N] + 7.0;
	}
	rc = pgl_linreg_fit(&env, X, N, N, P, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "singular fit succeeds (%s)", st.msg);
	OK(all_finite(coef, P + 1), "singular fit gives finite coefficients");
	OK(c.notices == 1, "singular fit sends one notice (%d)", c.notices);
	OK(strstr(c.msg, "rank 3 of 5 columns") != NULL, "notice names the rank: %s", c.msg);
	OK(strstr(c.hint, "l2") != NULL, "notice has a hint");
	OK(rank == 3, "rank 3 reported (%d)", rank);
	OK(coef[3] == 0.0, "constant column gets weight 0 (%g)", coef[3]);
	NEAR(coef[0], 1.0, 1e-8, "duplicated columns split the weight (%.12g)", coef[0]);
	NEAR(coef[2], 1.0, 1e-8, "duplicated columns split the weight (%.12g)", coef[2]);
	NEAR(coef[1], -1.0, 1e-8, "other weights unaffected (%.12g)", coef[1]);
	NEAR(coef[P], 7.0, 1e-8, "intercept correct (%.12g)", coef[P]);
	pgl_linreg_predict(coef, P, X, N, N, pred);
	for (int i = 0; i < N; i++)
		maxerr = fmax(maxerr, fabs(pred[i] - y[i]));
	OK(maxerr < 1e-8, "singular fit still predicts y (max error %g)", maxerr);

	/* with l2 > 0 the system is regular: no notice, constant still 0 */
	c.notices = 0;
	rc = pgl_linreg_fit(&env, X, N, N, P, y, 1e-3, coef, &rank, &st);
	OK(rc == PGL_OK && c.notices == 0 && rank == P,
	   "l2 > 0 makes it regular (rc %d, notices %d, rank %d)", rc, c.notices, rank);
	OK(coef[3] == 0.0 && all_finite(coef, P + 1), "constant column weight 0 with l2 > 0");
	NEAR(coef[0], coef[2], 1e-8, "duplicates equal with l2 > 0 (%.15g, %.15g)", coef[0], coef[2]);
}

static void
test_degenerate_shapes(void)
{
	pgl_rc	   rc;
	double	   y[5] = {1, 2, 3, 4, 10};
	double	   X[5] = {3, 3, 3, 3, 3};
	double	   coef[3];
	double	   pred[5];
	int32_t	   rank = -1;
	pgl_status st = {0};
	counters   c;
	pgl_env	   env = make_env(&c);

	rc = pgl_linreg_fit(&env, NULL, 5, 5, 0, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "p = 0 fit succeeds");
	NEAR(coef[0], 4.0, 1e-15, "p = 0 intercept is the mean of y");
	OK(rank == 0, "p = 0 rank 0");
	pgl_linreg_predict(coef, 0, NULL, 5, 5, pred);
	OK(pred[0] == 4.0 && pred[4] == 4.0, "p = 0 predicts the mean");

	rc = pgl_linreg_fit(&env, X, 5, 5, 1, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "all-constant column fit succeeds");
	OK(coef[0] == 0.0 && coef[1] == 4.0, "constant column: w 0, b mean (%g, %g)", coef[0], coef[1]);

	rc = pgl_linreg_fit(&env, X, 1, 1, 1, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "n = 1 fit succeeds");
	OK(all_finite(coef, 2) && coef[1] == 1.0, "n = 1 gives finite coef, b = y");

	rc = pgl_linreg_fit(&env, X, 0, 0, 1, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_ERR_INVALID, "n = 0 is invalid");
	OK(st.msg[0] != '\0', "n = 0 has a message: %s", st.msg);
	rc = pgl_linreg_fit(&env, X, 5, 5, 1, y, -1.0, coef, &rank, &st);
	OK(rc == PGL_ERR_INVALID, "negative l2 is invalid");
	{
		double Xn[5] = {1, 2, NAN, 4, 5};

		rc = pgl_linreg_fit(&env, Xn, 5, 5, 1, y, 0.0, coef, &rank, &st);
		OK(rc == PGL_ERR_INVALID, "NaN input is rejected: %s", st.msg);
	}
}

static void
test_interrupts_and_batches(void)
{
	pgl_rc rc;
	enum
	{
		N = 20000,
		P = 3
	};
	double	  *X = malloc(sizeof(double) * N * P);
	double	  *y = malloc(sizeof(double) * N);
	double	   coef[P + 1];
	int32_t	   rank;
	counters   c;
	pgl_env	   env = make_env(&c);
	pgl_status st = {0};

	for (int i = 0; i < N; i++)
	{
		y[i] = 1.0;
		for (int j = 0; j < P; j++)
		{
			X[i + j * N] = nrand();
			y[i] += (j - 1.0) * X[i + j * N];
		}
	}
	rc = pgl_linreg_fit(&env, X, N, N, P, y, 0.0, coef, &rank, &st);
	OK(rc == PGL_OK, "n = 20000 fit succeeds");
	OK(c.interrupts >= 1, "interrupts checked during the fit (%d times)", c.interrupts);
	NEAR(coef[0], -1.0, 1e-10, "multi-batch weight 0 exact");
	NEAR(coef[2], 1.0, 1e-10, "multi-batch weight 2 exact");
	NEAR(coef[3], 1.0, 1e-10, "multi-batch intercept exact");
	free(X);
	free(y);
}

/* every allocation failure is reported as NOMEM, and nothing leaks */
static void
test_alloc_failures(void)
{
	enum
	{
		N = 30,
		P = 3
	};
	double	   X[N * P];
	double	   y[N];
	double	   coef[P + 1];
	int32_t	   rank;
	counters   c;
	pgl_env	   env = make_env(&c);
	pgl_status st = {0};
	bool	   all_nomem = true;
	int		   k;

	for (int i = 0; i < N * P; i++)
		X[i] = nrand();
	for (int i = 0; i < N; i++)
	{
		y[i] = nrand();
		X[i + 2 * N] = X[i]; /* singular: exercise the eigen path too */
	}
	for (k = 0; k < 100; k++)
	{
		pgl_rc rc;

		c.fail_at = k;
		c.allocs = 0;
		rc = pgl_linreg_fit(&env, X, N, N, P, y, 0.0, coef, &rank, &st);
		if (rc == PGL_OK)
			break;
		if (rc != PGL_ERR_NOMEM)
			all_nomem = false;
	}
	OK(k > 0 && k < 100 && all_nomem, "allocation failures give NOMEM (%d allocation points)", k);
}

int
main(void)
{
	test_exact_recovery();
	test_offset();
	test_ridge_reference();
	test_shrinkage();
	test_singular();
	test_degenerate_shapes();
	test_interrupts_and_batches();
	test_alloc_failures();
	return unit_done();
}
