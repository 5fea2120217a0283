/*
 * test_forecast_ets.c - ETS (src/forecast/ets.c) and the forecast helpers
 * (fc.c): fits of simulated series with known parameters, the coverage of
 * the intervals over many simulated series, period detection, errors.
 */
#include "fc.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define MAXN 400
#define H	 12

static double *work;
static double  params[64];

/* the true model's packed fit after the first ncut points (ets.c's layout) */
static double truth[64];

/*
 * Simulate n points of an additive or multiplicative ETS model (error e
 * 1 A / 2 M, trend t 0 N / 1 A, season s 0 N / 1 A / 2 M); truth gets the
 * true parameters and the state after the first ncut points.
 */
static void
simulate_cut(uint64_t *rs, int e, int t, int s, int m, double alpha, double beta, double gamma,
			 double l, double b, double sigma, int n, double *y, int ncut)
{
	double seas[24];

	for (int j = 0; j < m; j++)
		seas[j] = s == 1   ? 10 * sin(2 * M_PI * j / m)
				  : s == 2 ? 1 + 0.3 * sin(2 * M_PI * j / m)
						   : 0;
	for (int i = 0; i < n; i++)
	{
		double q, sv;

		if (i == ncut)
		{
			double head[12] = {
				e,	  t, s,		   s ? m : 1, alpha, t ? beta : 0, s ? gamma : 0, 1, sigma * sigma,
				ncut, l, t ? b : 0};

			memcpy(truth, head, sizeof head);
			for (int j = 0; j < (s ? m : 1); j++)
				truth[12 + j] = s ? seas[(ncut + j) % m] : 0;
		}
		q = l + (t ? b : 0);
		sv = s ? seas[i % m] : 0;
		double mu = s == 1 ? q + sv : s == 2 ? q * sv : q;
		double eps = sigma * pgl_fc_normal(rs), err;

		y[i] = e == 2 ? mu * (1 + eps) : mu + eps;
		err = e == 2 ? mu * eps : eps; /* the additive-scale error */
		/* the error-correction updates (additive scale) */
		{
			double p = s == 1 ? y[i] - sv : s == 2 ? y[i] / sv : y[i];
			double lnew = q + alpha * (p - q);

			(void) err;
			if (t)
				b = b + (beta / alpha) * (lnew - l - b);
			if (s)
				seas[i % m] = sv + gamma * ((s == 1 ? y[i] - q : y[i] / q) - sv);
			l = lnew;
		}
	}
}

static void
simulate(uint64_t *rs, int e, int t, int s, int m, double alpha, double beta, double gamma,
		 double l, double b, double sigma, int n, double *y)
{
	simulate_cut(rs, e, t, s, m, alpha, beta, gamma, l, b, sigma, n, y, -1);
}

static int
fit(const double *y, int n, int m, double *aicc, double *sigma2, int32_t *np)
{
	pgl_status st;

	memset(&st, 0, sizeof(st));
	return pgl_fc_ets.fit(y, n, m, work, params, np, aicc, sigma2, &st);
}

static void
test_helpers(void)
{
	double	 y[200], w[200];
	uint64_t rs = 7;

	NEAR(pgl_fc_qnorm(0.975), 1.959963984540054, 1e-12, "qnorm(0.975)");
	NEAR(pgl_fc_qnorm(0.9), 1.2815515655446004, 1e-12, "qnorm(0.9)");
	NEAR(pgl_fc_qnorm(1e-6), -4.753424308822899, 1e-10, "qnorm(1e-6)");
	NEAR(pgl_fc_z(0.8), 1.2815515655446004, 1e-12, "z(0.8)");
	OK(pgl_fc_season_from_step(86400, 0) == 7, "daily -> 7");
	OK(pgl_fc_season_from_step(3600, 0) == 24, "hourly -> 24");
	OK(pgl_fc_season_from_step(0, 1) == 12, "monthly -> 12");
	OK(pgl_fc_season_from_step(0, 3) == 4, "quarterly -> 4");
	OK(pgl_fc_season_from_step(7 * 86400, 0) == 52, "weekly -> 52");
	OK(pgl_fc_season_from_step(60, 0) == 1, "minutely -> 1");
	for (int i = 0; i < 200; i++)
		y[i] = 50 + 0.1 * i + 5 * sin(2 * M_PI * i / 7) + pgl_fc_normal(&rs);
	OK(pgl_fc_confirm_season(y, 200, 7, w) == 7, "a weekly pattern confirms season 7");
	for (int i = 0; i < 200; i++)
		y[i] = 50 + 0.1 * i + pgl_fc_normal(&rs);
	OK(pgl_fc_confirm_season(y, 200, 7, w) == 1, "white noise refuses season 7");
	OK(pgl_fc_confirm_season(y, 15, 7, w) == 1, "too few points for two seasons refuse it");
	OK(pgl_fc_method_by_name("ets") == &pgl_fc_ets &&
		   pgl_fc_method_by_id(PGL_FC_ETS) == &pgl_fc_ets,
	   "the methods table has ets");
}

/* known parameters: level only, trend, additive season, multiplicative season */
static void
test_known(void)
{
	double	   y[MAXN], mean[H], lo[H], hi[H], aicc, sigma2;
	int32_t	   np;
	uint64_t   rs = 11;
	char	   desc[64];
	pgl_status st;

	simulate(&rs, 1, 0, 0, 1, 0.3, 0, 0, 100, 0, 2, 300, y);
	OK(fit(y, 300, 1, &aicc, &sigma2, &np) == PGL_OK, "ANN series fits");
	pgl_fc_ets.describe(params, np, desc, sizeof desc);
	printf("# ANN(alpha 0.3, sigma 2) -> %s alpha %.3f sigma2 %.3f\n", desc, params[4], sigma2);
	NEAR(params[4], 0.3, 0.15, "alpha near 0.3");
	NEAR(sqrt(sigma2), 2, 0.25, "sigma near 2");

	simulate(&rs, 1, 1, 1, 12, 0.2, 0.02, 0.1, 100, 1, 1, 144, y);
	OK(fit(y, 144, 12, &aicc, &sigma2, &np) == PGL_OK, "AAA series fits");
	pgl_fc_ets.describe(params, np, desc, sizeof desc);
	printf("# AAA(m 12, sigma 1) -> %s sigma2 %.3f\n", desc, sigma2);
	OK(params[2] != 0 && params[1] != 0, "a trend and a season are chosen (%s)", desc);
	NEAR(sqrt(sigma2), 1, 0.3, "sigma near 1");
	memset(&st, 0, sizeof st);
	OK(pgl_fc_ets.forecast(params, np, H, 0.95, work, mean, lo, hi, &st) == PGL_OK, "AAA forecast");
	OK(mean[11] - mean[0] > -15 && hi[11] - lo[11] > hi[0] - lo[0],
	   "the band widens with the horizon");

	simulate(&rs, 2, 0, 2, 12, 0.2, 0, 0.05, 200, 0, 0.03, 144, y);
	OK(fit(y, 144, 12, &aicc, &sigma2, &np) == PGL_OK, "MNM series fits");
	pgl_fc_ets.describe(params, np, desc, sizeof desc);
	printf("# MNM(m 12, sigma 0.03) -> %s sigma2 %.5f\n", desc, sigma2);
	OK(params[2] != 0, "a season is chosen (%s)", desc);
	OK(pgl_fc_ets.check(params, np, &st) == PGL_OK, "the fit passes its check");
	OK(pgl_fc_ets.forecast(params, np, H, 0.95, work, mean, lo, hi, &st) == PGL_OK,
	   "MNM forecast (simulated band)");
	OK(lo[0] < mean[0] && mean[0] < hi[0] && fabs(mean[0] - 200 * (1 + 0.3 * sin(0))) < 40,
	   "the band holds the mean");
}

/*
 * Coverage: simulate n + H points, fit the first n, count how often the
 * last H fall in the 80% and 95% bands.  Estimated parameters make the
 * bands a little narrow in small samples: tolerance 80% in [0.74, 0.86],
 * 95% in [0.91, 0.98].
 */
static void
coverage(const char *name, int e, int t, int s, int m, double sigma, int n, int reps)
{
	double	   y[MAXN], mean[H], lo[H], hi[H], aicc, sigma2;
	int32_t	   np, ntrue = 12 + (s ? m : 1);
	int		   in80 = 0, in95 = 0, t80 = 0, t95 = 0, total = 0;
	uint64_t   rs = 1234;
	pgl_status st;

	for (int r = 0; r < reps; r++)
	{
		simulate_cut(&rs, e, t, s, m, 0.3, 0.03, 0.1, 100, 0.5, sigma, n + H, y, n);
		memset(&st, 0, sizeof st);
		pgl_fc_ets.forecast(truth, ntrue, H, 0.8, work, mean, lo, hi, &st);
		for (int k = 0; k < H; k++)
			t80 += y[n + k] >= lo[k] && y[n + k] <= hi[k];
		pgl_fc_ets.forecast(truth, ntrue, H, 0.95, work, mean, lo, hi, &st);
		for (int k = 0; k < H; k++)
			t95 += y[n + k] >= lo[k] && y[n + k] <= hi[k];
		if (fit(y, n, m, &aicc, &sigma2, &np) != PGL_OK)
			continue;
		pgl_fc_ets.forecast(params, np, H, 0.8, work, mean, lo, hi, &st);
		for (int k = 0; k < H; k++)
			in80 += y[n + k] >= lo[k] && y[n + k] <= hi[k];
		pgl_fc_ets.forecast(params, np, H, 0.95, work, mean, lo, hi, &st);
		for (int k = 0; k < H; k++)
			in95 += y[n + k] >= lo[k] && y[n + k] <= hi[k];
		total += H;
	}
	printf("# coverage %s, true parameters: 80%% -> %.3f, 95%% -> %.3f; fitted: 80%% -> %.3f, "
		   "95%% -> %.3f over %d points\n",
		   name, (double) t80 / (reps * H), (double) t95 / (reps * H), (double) in80 / total,
		   (double) in95 / total, total);
	OK(total == reps * H, "%s: the fits succeed", name);
	/* the variance formulas (and the simulation) with the true model: +-0.03 */
	OK(fabs((double) t80 / (reps * H) - 0.8) <= 0.03, "%s, true parameters: 80%% coverage", name);
	OK(fabs((double) t95 / (reps * H) - 0.95) <= 0.03, "%s, true parameters: 95%% coverage", name);
	/*
	 * Fitted: the bands ignore the parameters' estimation error (as ets's),
	 * so they cover a little less in short series: 80% in [0.68, 0.86], 95%
	 * in [0.87, 0.98]
	 */
	OK(in80 >= 0.68 * total && in80 <= 0.86 * total, "%s: 80%% coverage %.3f", name,
	   (double) in80 / total);
	OK(in95 >= 0.87 * total && in95 <= 0.98 * total, "%s: 95%% coverage %.3f", name,
	   (double) in95 / total);
}

static void
test_errors(void)
{
	double	   y[40], mean[H], lo[H], hi[H], aicc, sigma2;
	int32_t	   np;
	pgl_status st;

	memset(&st, 0, sizeof st);
	for (int i = 0; i < 40; i++)
		y[i] = i % 3;
	OK(pgl_fc_ets.fit(y, 2, 1, work, params, &np, &aicc, &sigma2, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "too short") != NULL,
	   "2 points: too short (%s)", st.msg);
	memset(&st, 0, sizeof st);
	OK(pgl_fc_ets.fit(y, 5, 1, work, params, &np, &aicc, &sigma2, &st) == PGL_ERR_INVALID,
	   "5 points: too short for any form (%s)", st.msg);
	y[3] = NAN;
	memset(&st, 0, sizeof st);
	OK(pgl_fc_ets.fit(y, 40, 1, work, params, &np, &aicc, &sigma2, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "value 3") != NULL,
	   "a NaN is refused (%s)", st.msg);
	y[3] = INFINITY;
	OK(pgl_fc_ets.fit(y, 40, 1, work, params, &np, &aicc, &sigma2, &st) == PGL_ERR_INVALID,
	   "an infinity is refused");
	for (int i = 0; i < 40; i++)
		y[i] = 7;
	OK(pgl_fc_ets.fit(y, 40, 12, work, params, &np, &aicc, &sigma2, &st) == PGL_OK && sigma2 == 0,
	   "a constant series fits a flat model (as ets)");
	OK(pgl_fc_ets.forecast(params, np, H, 0.95, work, mean, lo, hi, &st) == PGL_OK &&
		   mean[5] == 7 && lo[5] == 7 && hi[5] == 7,
	   "its forecast is flat with no width");
	OK(pgl_fc_ets.forecast(params, np, H, 1.0, work, mean, lo, hi, &st) == PGL_ERR_INVALID,
	   "level 1 is refused (%s)", st.msg);
	OK(pgl_fc_ets.forecast(params, np, 0, 0.9, work, mean, lo, hi, &st) == PGL_ERR_INVALID,
	   "horizon 0 is refused");
	for (int i = 0; i < 40; i++)
		y[i] = 10 + (i % 4) + 0.1 * i;
	OK(pgl_fc_ets.fit(y, 20, 12, work, params, &np, &aicc, &sigma2, &st) == PGL_OK &&
		   params[2] == 0,
	   "20 points of season 12: a non-seasonal form");
	params[4] = 1.5;
	OK(pgl_fc_ets.check(params, np, &st) == PGL_ERR_CORRUPT, "check: alpha 1.5 (%s)", st.msg);
	params[4] = 0.5;
	OK(pgl_fc_ets.check(params, np - 1, &st) == PGL_ERR_CORRUPT, "check: wrong length (%s)",
	   st.msg);
	params[0] = 3;
	OK(pgl_fc_ets.check(params, np, &st) == PGL_ERR_CORRUPT, "check: unknown form");
	params[0] = 1;
	params[10] = NAN;
	OK(pgl_fc_ets.check(params, np, &st) == PGL_ERR_CORRUPT, "check: a NaN state");
}

int
main(void)
{
	work = malloc(pgl_fc_ets.work_size(MAXN, 24));
	test_helpers();
	test_known();
	coverage("ANN", 1, 0, 0, 1, 2, 80, 300);
	coverage("AAN", 1, 1, 0, 1, 1, 100, 300);
	coverage("AAA", 1, 1, 1, 4, 1, 100, 300);
	coverage("MNN", 2, 0, 0, 1, 0.05, 100, 200);
	coverage("MNM", 2, 0, 2, 4, 0.05, 100, 200);
	test_errors();
	free(work);
	return unit_done();
}
