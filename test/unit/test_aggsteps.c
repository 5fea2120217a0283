/*
 * Tests of the one-step aggregate states (aggsteps.c): the logistic
 * log-loss and gradient against central finite differences and at extreme
 * margins, k-means assignment (ties to the lower index), new centroids,
 * merges in any grouping, and malformed states refused.
 */
#include "aggsteps.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define N 2000
#define P 3

static double X[N * P]; /* row-major */
static double Y[N];

static double
rel(double a, double b)
{
	return fabs(a - b) / fmax(1e-300, fmax(fabs(a), fabs(b)));
}

static void
logreg_rows(double *s, const double *w, int lo, int hi)
{
	pgl_logreg_grad_init(s, P);
	for (int i = lo; i < hi; i++)
		pgl_logreg_grad_add(s, P, w, X + (size_t) i * P, Y[i]);
}

static void
test_logreg(void)
{
	double s[PGL_LOGREG_GRAD_LEN(P)], m[PGL_LOGREG_GRAD_LEN(P)], part[PGL_LOGREG_GRAD_LEN(P)];
	double w[P + 1] = {0.4, -0.3, 0.2, 0.1};
	char   why[256];
	double worst = 0;

	logreg_rows(s, w, 0, N);
	OK(pgl_logreg_grad_check(s, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "state is valid");
	OK(s[1] == N, "n exact");

	/* the gradient is the derivative of the summed loss */
	for (int j = 0; j <= P; j++)
	{
		double wp[P + 1], wm[P + 1], sp[PGL_LOGREG_GRAD_LEN(P)], sm[PGL_LOGREG_GRAD_LEN(P)];
		double h = 1e-6;

		memcpy(wp, w, sizeof(w));
		memcpy(wm, w, sizeof(w));
		wp[j] += h;
		wm[j] -= h;
		logreg_rows(sp, wp, 0, N);
		logreg_rows(sm, wm, 0, N);
		worst = fmax(worst, fabs((sp[2] - sm[2]) / (2 * h) - s[3 + j]) / N);
	}
	OK(worst < 1e-7, "gradient = finite differences of the loss (worst %.3g per row)", worst);

	/* extreme margins: no overflow, loss = |z| on the wrong side, 0 on the right one */
	{
		double e[PGL_LOGREG_GRAD_LEN(1)], w1[2] = {1, 0}, x;

		pgl_logreg_grad_init(e, 1);
		x = 800;
		pgl_logreg_grad_add(e, 1, w1, &x, 0);
		OK(e[2] == 800 && e[3] == 800 && e[4] == 1, "z = 800, y = 0: loss 800, gradient x");
		x = -800;
		pgl_logreg_grad_add(e, 1, w1, &x, 1);
		OK(e[2] == 1600 && e[3] == 1600 && e[4] == 0, "z = -800, y = 1: loss 800");
		x = 800;
		pgl_logreg_grad_add(e, 1, w1, &x, 1);
		x = -800;
		pgl_logreg_grad_add(e, 1, w1, &x, 0);
		OK(e[2] == 1600 && e[3] == 1600 && e[4] == 0, "right side at |z| = 800: loss 0");
		x = 0;
		pgl_logreg_grad_add(e, 1, w1, &x, 1);
		NEAR(e[2] - 1600, log(2.0), 1e-12, "z = 0: loss log 2 (to the rounding of 1600)");
	}

	/* groupings */
	{
		int	   cuts[][5] = {{0, 1, 2, 1000, N}, {0, 700, 701, 1999, N}, {0, 0, 0, 10, N}};
		double wm2 = 0;

		for (int g = 0; g < 3; g++)
		{
			pgl_logreg_grad_init(m, P);
			for (int k = 3; k >= 0; k--)
			{
				logreg_rows(part, w, cuts[g][k], cuts[g][k + 1]);
				pgl_logreg_grad_merge(m, part, P);
			}
			for (size_t i = 1; i < PGL_LOGREG_GRAD_LEN(P); i++)
				wm2 = fmax(wm2, rel(m[i], s[i]));
		}
		OK(wm2 < 1e-11, "merged in three groupings: same sums (worst %.3g)", wm2);
	}

	/* malformed states */
	memcpy(m, s, sizeof(s));
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P) - 1, why, sizeof(why)), "short: %s", why);
	OK(!pgl_logreg_grad_check(m, 0, why, sizeof(why)), "empty: %s", why);
	m[0] = 0.5;
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "p: %s", why);
	m[0] = P;
	m[2] = -1;
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "loss < 0: %s", why);
	m[2] = s[2];
	m[3 + P] = N + 1;
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "intercept: %s", why);
	m[3 + P] = NAN;
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "NaN: %s", why);
	pgl_logreg_grad_init(m, P);
	OK(pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "empty state valid");
	m[4] = 1;
	OK(!pgl_logreg_grad_check(m, PGL_LOGREG_GRAD_LEN(P), why, sizeof(why)), "0 rows: %s", why);
}

#define K 4

static void
kmeans_rows(double *s, const double *c, int lo, int hi)
{
	pgl_kmeans_init(s, K, P, c);
	for (int i = lo; i < hi; i++)
		(void) pgl_kmeans_add(s, X + (size_t) i * P);
}

static void
test_kmeans(void)
{
	size_t	len = PGL_KMEANS_LEN(K, P);
	double	c[K * P] = {0, 0, 0, 3, 3, 3, -3, 0, 1, 50, 50, 50};
	double *s = malloc(sizeof(double) * len), *m = malloc(sizeof(double) * len),
		   *part = malloc(sizeof(double) * len);
	double out[K * P], ref[K * P] = {0}, cnt[K] = {0}, inertia = 0;
	char   why[256];
	double worst = 0;

	kmeans_rows(s, c, 0, N);
	OK(pgl_kmeans_check(s, len, why, sizeof(why)), "state is valid");
	/* reference: brute force */
	for (int i = 0; i < N; i++)
	{
		int	   best = 0;
		double bd = INFINITY;

		for (int k = 0; k < K; k++)
		{
			double d = 0;

			for (int j = 0; j < P; j++)
				d += pow(X[i * P + j] - c[k * P + j], 2);
			if (d < bd)
			{
				bd = d;
				best = k;
			}
		}
		cnt[best]++;
		inertia += bd;
		for (int j = 0; j < P; j++)
			ref[best * P + j] += X[i * P + j];
	}
	for (int k = 0; k < K; k++)
		for (int j = 0; j < P; j++)
			ref[k * P + j] = cnt[k] ? ref[k * P + j] / cnt[k] : c[k * P + j];
	pgl_kmeans_centroids(s, out);
	for (int i = 0; i < K * P; i++)
		worst = fmax(worst, fabs(out[i] - ref[i]));
	OK(worst < 1e-12, "new centroids = brute force (worst %.3g)", worst);
	OK(cnt[3] == 0 && out[9] == 50 && out[11] == 50, "empty cluster keeps its centroid");
	NEAR(s[2], inertia, 1e-12, "inertia");
	for (int k = 0; k < K; k++)
		OK(s[3 + K * P + k] == cnt[k], "count %d exact", k);

	/* groupings */
	{
		int	   cuts[][5] = {{0, 1, 2, 1000, N}, {0, 700, 701, 1999, N}, {0, 0, 0, 10, N}};
		double wm = 0;

		for (int g = 0; g < 3; g++)
		{
			kmeans_rows(m, c, 0, 0);
			for (int k = 3; k >= 0; k--)
			{
				kmeans_rows(part, c, cuts[g][k], cuts[g][k + 1]);
				OK(pgl_kmeans_merge(m, part), "merge %d.%d", g, k);
			}
			for (size_t i = 2; i < len; i++)
				wm = fmax(wm, fabs(m[i] - s[i]) / fmax(1.0, fabs(s[i])));
		}
		OK(wm < 1e-11, "merged in three groupings: same state (worst %.3g)", wm);
	}

	/* a tie goes to the lower index */
	{
		double t[PGL_KMEANS_LEN(2, 1)], c2[2] = {0, 2}, x = 1;

		pgl_kmeans_init(t, 2, 1, c2);
		OK(pgl_kmeans_add(t, &x) == 0 && t[5] == 1 && t[6] == 0, "tie: lower index");
	}

	/* states of other centroids do not merge */
	{
		double c3[K * P];

		memcpy(c3, c, sizeof(c));
		c3[5] += 1e-12;
		kmeans_rows(part, c3, 0, 10);
		memcpy(m, s, sizeof(double) * len);
		OK(!pgl_kmeans_merge(m, part) && memcmp(m, s, sizeof(double) * len) == 0,
		   "other centroids: refused, unchanged");
	}

	/* malformed states */
	OK(!pgl_kmeans_check(s, len - 1, why, sizeof(why)), "short: %s", why);
	OK(!pgl_kmeans_check(s, 1, why, sizeof(why)), "tiny: %s", why);
	memcpy(m, s, sizeof(double) * len);
	m[1] = 2.5;
	OK(!pgl_kmeans_check(m, len, why, sizeof(why)), "d: %s", why);
	m[1] = P;
	m[3 + K * P] = -1;
	OK(!pgl_kmeans_check(m, len, why, sizeof(why)), "count: %s", why);
	memcpy(m, s, sizeof(double) * len);
	m[len - 1] = 1; /* the empty cluster's offset */
	OK(!pgl_kmeans_check(m, len, why, sizeof(why)), "empty with sum: %s", why);
	m[len - 1] = INFINITY;
	OK(!pgl_kmeans_check(m, len, why, sizeof(why)), "infinite: %s", why);
	m[len - 1] = 0;
	m[2] = -1;
	OK(!pgl_kmeans_check(m, len, why, sizeof(why)), "inertia: %s", why);
	free(s);
	free(m);
	free(part);
}

int
main(void)
{
	for (int i = 0; i < N; i++)
	{
		X[i * P] = sin(i + 1.0) * 3;
		X[i * P + 1] = cos(0.7 * i) * 2 + (i % 3);
		X[i * P + 2] = (i % 17) / 4.0 - 2.0;
		Y[i] = 0.4 * X[i * P] - X[i * P + 1] + sin(5.1 * i) > 0 ? 1 : 0;
	}
	test_logreg();
	test_kmeans();
	return unit_done();
}
