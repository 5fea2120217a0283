/*
 * Tests of the aggregate states (moments.c): Welford updates and Chan
 * merges in any grouping give the two-pass statistics, a large offset does
 * not cancel, the linear-regression state solves to pgl_linreg_fit's
 * coefficients, and malformed states are refused.
 */
#include "linear.h"
#include "moments.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define N 3000
#define P 3

static double X[P * N]; /* column-major */
static double Y[N];

static double
rel(double a, double b)
{
	return fabs(a - b) / fmax(1e-300, fmax(fabs(a), fabs(b)));
}

/* stats of rows [lo, hi) into s */
static void
stats_rows(double *s, int lo, int hi)
{
	pgl_stats_init(s, P);
	for (int i = lo; i < hi; i++)
		for (int j = 0; j < P; j++)
			pgl_stats_add1(s, j, X[i + j * N]);
}

static void
linreg_rows(double *s, int lo, int hi)
{
	pgl_linreg_state_init(s, P);
	for (int i = lo; i < hi; i++)
	{
		double x[P];

		for (int j = 0; j < P; j++)
			x[j] = X[i + j * N];
		pgl_linreg_state_add(s, P, x, Y[i]);
	}
}

static void
test_stats(void)
{
	double s[PGL_STATS_LEN(P)], part[PGL_STATS_LEN(P)], m[PGL_STATS_LEN(P)];
	char   why[256];
	double worst = 0, worst_merge = 0;

	stats_rows(s, 0, N);
	OK(pgl_stats_check(s, PGL_STATS_LEN(P), why, sizeof(why)), "stats state is valid");
	for (int j = 0; j < P; j++)
	{
		double sum = 0, m2 = 0, mn = X[j * N], mx = X[j * N];

		for (int i = 0; i < N; i++)
			sum += X[i + j * N];
		for (int i = 0; i < N; i++)
		{
			double d = X[i + j * N] - sum / N;

			m2 += d * d;
			mn = fmin(mn, X[i + j * N]);
			mx = fmax(mx, X[i + j * N]);
		}
		OK(s[1 + 5 * j] == N && s[4 + 5 * j] == mn && s[5 + 5 * j] == mx,
		   "column %d: count, min, max exact", j);
		worst = fmax(worst, fmax(rel(s[2 + 5 * j], sum / N), rel(s[3 + 5 * j], m2)));
	}
	OK(worst < 1e-12, "mean and M2 match the two-pass values (worst %.3g)", worst);

	/* groupings: pieces of several sizes, merged left to right and right to left */
	{
		int cuts[][5] = {{0, 1, 2, 1500, N}, {0, 700, 701, 2999, N}, {0, N, N, N, N}};

		for (int g = 0; g < 3; g++)
		{
			pgl_stats_init(m, P);
			for (int k = 3; k >= 0; k--)
			{
				stats_rows(part, cuts[g][k], cuts[g][k + 1]);
				pgl_stats_merge(m, part, P);
			}
			for (size_t i = 1; i < PGL_STATS_LEN(P); i++)
				worst_merge = fmax(worst_merge, rel(m[i], s[i]));
		}
	}
	OK(worst_merge < 1e-12, "merged in three groupings: same stats (worst %.3g)", worst_merge);

	/* a large offset does not cancel: variance of 1e9 + {0, 1, 2} is 2/3 */
	{
		double o[PGL_STATS_LEN(1)], o2[PGL_STATS_LEN(1)];

		pgl_stats_init(o, 1);
		pgl_stats_init(o2, 1);
		pgl_stats_add1(o, 0, 1e9);
		pgl_stats_add1(o2, 0, 1e9 + 1);
		pgl_stats_add1(o2, 0, 1e9 + 2);
		pgl_stats_merge(o, o2, 1);
		NEAR(o[3] / o[1], 2.0 / 3.0, 1e-12, "offset 1e9: variance exact");
	}

	/* constant column: variance exactly 0 */
	{
		double c[PGL_STATS_LEN(1)];

		pgl_stats_init(c, 1);
		for (int i = 0; i < 100; i++)
			pgl_stats_add1(c, 0, 0.1);
		OK(c[3] == 0.0 && c[2] == 0.1, "constant column: M2 0, mean exact");
	}

	/* malformed states */
	{
		double bad[PGL_STATS_LEN(P)];

		memcpy(bad, s, sizeof(bad));
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P) - 1, why, sizeof(why)), "short: %s", why);
		OK(!pgl_stats_check(bad, 0, why, sizeof(why)), "empty: %s", why);
		bad[0] = 2.5;
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P), why, sizeof(why)), "p not whole: %s", why);
		bad[0] = 1e9;
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P), why, sizeof(why)), "p huge: %s", why);
		bad[0] = P;
		bad[3] = NAN;
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P), why, sizeof(why)), "NaN: %s", why);
		bad[3] = -1;
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P), why, sizeof(why)), "M2 < 0: %s", why);
		bad[3] = s[3];
		bad[1] = 1.5;
		OK(!pgl_stats_check(bad, PGL_STATS_LEN(P), why, sizeof(why)), "count not whole: %s", why);
	}
}

static void
test_linreg(void)
{
	size_t	   len = PGL_LINREG_STATE_LEN(P);
	double	  *s = malloc(sizeof(double) * len);
	double	  *part = malloc(sizeof(double) * len);
	double	  *m = malloc(sizeof(double) * len);
	double	   coef[P + 1], ref[P + 1];
	int32_t	   rank, rank_ref;
	pgl_status st;
	char	   why[256];
	double	   worst;

	memset(&st, 0, sizeof(st));
	linreg_rows(s, 0, N);
	OK(pgl_linreg_state_check(s, len, why, sizeof(why)), "linreg state is valid");

	for (int k = 0; k < 2; k++)
	{
		double l2 = k == 0 ? 0.0 : 3.5;

		OK(pgl_linreg_state_solve(&pgl_malloc_env, s, l2, coef, &rank, &st) == PGL_OK,
		   "solve l2=%g", l2);
		OK(pgl_linreg_fit(&pgl_malloc_env, X, N, N, P, Y, l2, ref, &rank_ref, &st) == PGL_OK,
		   "fit l2=%g", l2);
		worst = 0;
		for (int j = 0; j <= P; j++)
			worst = fmax(worst, rel(coef[j], ref[j]));
		OK(worst < 1e-9 && rank == rank_ref, "l2=%g: state solve = pgl_linreg_fit (worst %.3g)", l2,
		   worst);
	}

	/* groupings */
	worst = 0;
	{
		int cuts[][5] = {{0, 1, 2, 1500, N}, {0, 700, 701, 2999, N}, {0, 0, 0, 10, N}};

		for (int g = 0; g < 3; g++)
		{
			pgl_linreg_state_init(m, P);
			for (int k = 0; k < 4; k++)
			{
				linreg_rows(part, cuts[g][k], cuts[g][k + 1]);
				if (g == 1)
				{
					/* merge into the piece instead (other order) */
					pgl_linreg_state_merge(part, m, P);
					memcpy(m, part, sizeof(double) * len);
				}
				else
					pgl_linreg_state_merge(m, part, P);
			}
			/* means relative; co-moments relative to sqrt(C_aa C_bb) */
			for (int j = 0; j <= P; j++)
				worst = fmax(worst, rel(m[2 + j], s[2 + j]));
			for (int b = 0; b <= P; b++)
				for (int a = 0; a <= b; a++)
				{
					const double *C = s + 2 + P + 1, *Cm = m + 2 + P + 1;
					double		  scale = sqrt(C[PGL_PACKED(a, a)] * C[PGL_PACKED(b, b)]);

					worst = fmax(worst, fabs(Cm[PGL_PACKED(a, b)] - C[PGL_PACKED(a, b)]) / scale);
				}
			OK(m[1] == N, "grouping %d: n exact", g);
		}
	}
	OK(worst < 1e-12, "merged in three groupings: same state (worst %.3g)", worst);

	/* a constant column: solved, weight 0 */
	{
		double x[2], c2[PGL_LINREG_STATE_LEN(2)], cf[3];

		pgl_linreg_state_init(c2, 2);
		for (int i = 0; i < 50; i++)
		{
			x[0] = i;
			x[1] = 7.25;
			pgl_linreg_state_add(c2, 2, x, 1.0 + 2.0 * i);
		}
		OK(c2[2 + 3 + PGL_PACKED(1, 1)] == 0.0 && c2[3] == 7.25, "constant column: variance 0");
		OK(pgl_linreg_state_solve(&pgl_malloc_env, c2, 0.0, cf, &rank, &st) == PGL_OK &&
			   fabs(cf[0] - 2.0) < 1e-12 && cf[1] == 0.0 && fabs(cf[2] - 1.0) < 1e-10,
		   "constant column: weight 0, others exact");
	}

	/* malformed states and arguments */
	OK(!pgl_linreg_state_check(s, len - 1, why, sizeof(why)), "short: %s", why);
	OK(!pgl_linreg_state_check(s, len + 1, why, sizeof(why)), "long: %s", why);
	s[1] = -1;
	OK(!pgl_linreg_state_check(s, len, why, sizeof(why)), "n < 0: %s", why);
	s[1] = N;
	s[len - 1] = -1;
	OK(!pgl_linreg_state_check(s, len, why, sizeof(why)), "negative variance: %s", why);
	s[len - 1] = m[len - 1];
	linreg_rows(s, 0, N);
	s[2 + P + 1 + PGL_PACKED(0, 1)] = 2 * sqrt(s[2 + P + 1] * s[2 + P + 1 + PGL_PACKED(1, 1)]);
	OK(!pgl_linreg_state_check(s, len, why, sizeof(why)), "not semi-definite: %s", why);
	linreg_rows(s, 0, 1);
	s[2 + P + 1 + PGL_PACKED(0, 1)] = 1e-300;
	OK(!pgl_linreg_state_check(s, len, why, sizeof(why)), "one row, co-moment: %s", why);
	linreg_rows(s, 0, N);
	s[len - 1] = INFINITY;
	OK(!pgl_linreg_state_check(s, len, why, sizeof(why)), "infinite: %s", why);
	pgl_linreg_state_init(m, P);
	OK(pgl_linreg_state_check(m, len, why, sizeof(why)) &&
		   pgl_linreg_state_solve(&pgl_malloc_env, m, 0.0, coef, &rank, &st) == PGL_ERR_INVALID,
	   "no rows: %s", st.msg);

	free(s);
	free(part);
	free(m);
}

int
main(void)
{
	for (int i = 0; i < N; i++)
	{
		X[i] = sin(i + 1.0) * 3 + 1e4;
		X[i + N] = cos(0.7 * i) * 100;
		X[i + 2 * N] = (i % 17) - 8.0;
		Y[i] = 1.5 * X[i] - 0.02 * X[i + N] + 0.3 * X[i + 2 * N] + 5 + sin(3.1 * i);
	}
	test_stats();
	test_linreg();
	return unit_done();
}
