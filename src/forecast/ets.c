/*-------------------------------------------------------------------------
 *
 * ets.c
 *	  Exponential smoothing state-space models (Hyndman, Koehler, Ord and
 *	  Snyder 2008): error A or M, trend N, A or Ad (damped), season N, A or
 *	  M, as R's forecast::ets (its default model space: additive error with
 *	  multiplicative season is left out, as ets's restrict = TRUE does).
 *
 * Each candidate form is fitted by maximum likelihood: a Nelder-Mead search
 * over the smoothing parameters (mapped to their "usual" bounds by logistic
 * transforms, so the search is unconstrained), the initial level and the
 * initial slope; the initial seasonal states come from a classical
 * decomposition of the first seasons (as ets's initstate).  The form with
 * the smallest AICc is kept.
 *
 * Intervals: analytic for the additive-error forms (the variance of class
 * 1, Hyndman et al. 2008 ch. 6); simulated (1000 paths, a fixed seed: the
 * same answer every call) for the multiplicative ones, around the point
 * forecast.
 *
 * Packed fit (doubles): [0] error (1 A, 2 M), [1] trend (0 N, 1 A, 2 Ad),
 * [2] season (0 N, 1 A, 2 M), [3] m, [4] alpha, [5] beta, [6] gamma,
 * [7] phi, [8] sigma2, [9] n fitted, [10] level, [11] slope, [12 .. 12 + m)
 * the seasonal states, element j applying to step j + 1 (mod m) ahead.
 *
 *-------------------------------------------------------------------------
 */
#include "fc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ETS_HEAD	12
#define ETS_NSIM	1000
#define ETS_MAX_M	1000
#define ETS_MAX_DIM 6
#define ETS_SEED	0x9E3779B97F4A7C15ULL

enum
{
	E_A = 1,
	E_M = 2
};
enum
{
	T_N = 0,
	T_A = 1,
	T_AD = 2
};
enum
{
	S_N = 0,
	S_A = 1,
	S_M = 2
};

/* one candidate form and its parameters */
typedef struct ets_form
{
	int32_t		  e, t, s, m;
	double		  alpha, beta, gamma, phi, l0, b0;
	const double *s0; /* m initial seasonal states (phase order), or NULL */
} ets_form;

/* what the objective needs besides theta */
typedef struct ets_problem
{
	ets_form	  f; /* the form; parameters set from theta */
	const double *y;
	int32_t		  n;
	double		  l0i, b0i, lscale, bscale;
	double		 *seas; /* m doubles: the running seasonal states */
	int32_t		  dim;
} ets_problem;

static double
sigm(double u)
{
	return 1.0 / (1.0 + exp(-u));
}

static double
logit(double p)
{
	p = fmin(fmax(p, 1e-6), 1 - 1e-6);
	return log(p / (1 - p));
}

/* the number of free parameters (smoothing, phi, initial states), without sigma */
static int32_t
ets_nparams(const ets_form *f)
{
	int32_t k = 2; /* alpha, l0 */

	if (f->t != T_N)
		k += 2; /* beta, b0 */
	if (f->t == T_AD)
		k += 1;
	if (f->s != S_N)
		k += 1 + (f->m - 1); /* gamma and m - 1 initial seasonal states */
	return k;
}

/* theta -> the form's parameters */
static void
ets_decode(ets_problem *p, const double *th)
{
	ets_form *f = &p->f;
	int		  i = 0;

	f->alpha = 1e-4 + (0.9999 - 1e-4) * sigm(th[i++]);
	f->beta = 0;
	f->gamma = 0;
	f->phi = 1;
	if (f->t != T_N)
		f->beta = f->alpha * sigm(th[i++]);
	if (f->s != S_N)
		f->gamma = (1 - f->alpha) * sigm(th[i++]);
	if (f->t == T_AD)
		f->phi = 0.8 + 0.18 * sigm(th[i++]);
	f->l0 = p->l0i + p->lscale * th[i++];
	f->b0 = f->t != T_N ? p->b0i + p->bscale * th[i++] : 0;
}

/* the one-step forecast of the state (l, b, season state sv) */
static inline double
ets_mu(const ets_form *f, double l, double b, double sv)
{
	double q = l + (f->t == T_N ? 0 : f->phi * b);

	return f->s == S_A ? q + sv : f->s == S_M ? q * sv : q;
}

/*
 * One observation y: update (l, b, *sv) (R's etscalc update; the same for
 * either error type).  false when a multiplicative form leaves the
 * positive range.
 */
static inline bool
ets_update(const ets_form *f, double y, double *l, double *b, double *sv)
{
	double phib = f->t == T_N ? 0 : f->phi * *b;
	double q = *l + phib;
	double p, lnew;

	if (f->s == S_M && !(q > 0 && *sv > 0))
		return false;
	p = f->s == S_A ? y - *sv : f->s == S_M ? y / *sv : y;
	lnew = q + f->alpha * (p - q);
	if (f->t != T_N)
		*b = phib + (f->beta / f->alpha) * (lnew - *l - phib);
	if (f->s != S_N)
	{
		double t = f->s == S_A ? y - q : y / q;

		*sv += f->gamma * (t - *sv);
	}
	*l = lnew;
	return isfinite(lnew);
}

/*
 * -2 log-likelihood (Gaussian, the variance concentrated out) of the form
 * (E, T, S) with its current parameters; the final state in *l, *b and
 * p->seas.  Always inlined with constant E, T, S (ets_m2ll), so each form
 * gets a loop without the other forms' branches: this loop is where the
 * fitting time goes.
 */
static inline __attribute__((always_inline)) double
ets_m2ll_form(ets_problem *p, double *lout, double *bout, const int32_t E, const int32_t T,
			  const int32_t S)
{
	const ets_form *f = &p->f;
	const double   *y = p->y;
	int32_t			m = f->m, n = p->n, ph = 0, c = 0;
	double			l = f->l0, b = f->b0, sse = 0, slog = 0, prod = 1;
	double			alpha = f->alpha, bfac = f->beta / f->alpha, gamma = f->gamma;
	double			phi = T == T_AD ? f->phi : 1, *seas = p->seas;

	if (S != S_N)
		memcpy(seas, f->s0, sizeof(double) * m);
	for (int32_t t = 0; t < n; t++)
	{
		double phib = T == T_N ? 0 : phi * b, q = l + phib;
		double sv = S != S_N ? seas[ph] : 0;
		double mu = S == S_A ? q + sv : S == S_M ? q * sv : q;
		double e, pv, lnew;

		if (E == E_M || S == S_M)
		{
			if (!(mu > 0) || (S == S_M && !(q > 0)))
				return INFINITY;
		}
		if (E == E_M)
		{
			e = (y[t] - mu) / mu;
			/* the logs of 4 one-step means at a time */
			prod *= mu;
			if (++c == 4)
			{
				slog += log(prod);
				prod = 1;
				c = 0;
			}
		}
		else
			e = y[t] - mu;
		sse += e * e;
		pv = S == S_A ? y[t] - sv : S == S_M ? y[t] / sv : y[t];
		lnew = q + alpha * (pv - q);
		if (T != T_N)
			b = phib + bfac * (lnew - l - phib);
		if (S != S_N)
		{
			seas[ph] = sv + gamma * ((S == S_A ? y[t] - q : y[t] / q) - sv);
			if (++ph == m)
				ph = 0;
		}
		l = lnew;
	}
	if (E == E_M)
		slog += log(prod);
	if (lout)
	{
		*lout = l;
		*bout = b;
	}
	if (!isfinite(sse) || !isfinite(slog) || !isfinite(l) || !isfinite(b))
		return INFINITY;
	if (!(sse > 0))
		return -1e300;
	return n * log(sse / n) + 2 * slog;
}

#define ETS_FORM(E, T, S) (((E) *3 + (T)) * 3 + (S))

static double
ets_m2ll(ets_problem *p, double *lout, double *bout)
{
	switch (ETS_FORM(p->f.e, p->f.t, p->f.s))
	{
#define ETS_CASE(E, T, S)                                                                          \
	case ETS_FORM(E, T, S):                                                                        \
		return ets_m2ll_form(p, lout, bout, E, T, S)
		ETS_CASE(E_A, T_N, S_N);
		ETS_CASE(E_A, T_A, S_N);
		ETS_CASE(E_A, T_AD, S_N);
		ETS_CASE(E_A, T_N, S_A);
		ETS_CASE(E_A, T_A, S_A);
		ETS_CASE(E_A, T_AD, S_A);
		ETS_CASE(E_M, T_N, S_N);
		ETS_CASE(E_M, T_A, S_N);
		ETS_CASE(E_M, T_AD, S_N);
		ETS_CASE(E_M, T_N, S_A);
		ETS_CASE(E_M, T_A, S_A);
		ETS_CASE(E_M, T_AD, S_A);
		ETS_CASE(E_M, T_N, S_M);
		ETS_CASE(E_M, T_A, S_M);
		ETS_CASE(E_M, T_AD, S_M);
#undef ETS_CASE
	}
	return INFINITY;
}

static double
ets_objective(ets_problem *p, const double *th)
{
	ets_decode(p, th);
	return ets_m2ll(p, NULL, NULL);
}

/*
 * Nelder-Mead over dim <= ETS_MAX_DIM unconstrained coordinates, starting
 * at x (the best point on return), at most max_eval evaluations.
 */
static double
ets_nelder_mead(ets_problem *p, double *x, int32_t dim, int32_t max_eval)
{
	double	S[ETS_MAX_DIM + 1][ETS_MAX_DIM], F[ETS_MAX_DIM + 1];
	double	c[ETS_MAX_DIM], xr[ETS_MAX_DIM], xe[ETS_MAX_DIM];
	int32_t evals = 0;

	for (int i = 0; i <= dim; i++)
	{
		memcpy(S[i], x, sizeof(double) * dim);
		if (i > 0)
			S[i][i - 1] += 0.6;
		F[i] = ets_objective(p, S[i]);
		evals++;
	}
	while (evals < max_eval)
	{
		int	   hi = 0, lo = 0, nh = 0;
		double fr, fe;

		for (int i = 1; i <= dim; i++)
		{
			if (F[i] > F[hi])
				hi = i;
			if (F[i] < F[lo])
				lo = i;
		}
		nh = lo;
		for (int i = 0; i <= dim; i++)
			if (i != hi && F[i] > F[nh])
				nh = i;
		/* converged: the simplex's -2 log L spread is below 0.01 (AICc units) */
		if (F[hi] - F[lo] <= 1e-2)
			break;
		for (int j = 0; j < dim; j++)
		{
			c[j] = 0;
			for (int i = 0; i <= dim; i++)
				if (i != hi)
					c[j] += S[i][j];
			c[j] /= dim;
			xr[j] = c[j] + (c[j] - S[hi][j]);
		}
		fr = ets_objective(p, xr);
		evals++;
		if (fr < F[lo])
		{
			for (int j = 0; j < dim; j++)
				xe[j] = c[j] + 2 * (c[j] - S[hi][j]);
			fe = ets_objective(p, xe);
			evals++;
			if (fe < fr)
			{
				memcpy(S[hi], xe, sizeof(double) * dim);
				F[hi] = fe;
			}
			else
			{
				memcpy(S[hi], xr, sizeof(double) * dim);
				F[hi] = fr;
			}
			continue;
		}
		if (fr < F[nh])
		{
			memcpy(S[hi], xr, sizeof(double) * dim);
			F[hi] = fr;
			continue;
		}
		/* contraction (outside when the reflection helped, else inside) */
		for (int j = 0; j < dim; j++)
			xe[j] = fr < F[hi] ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (S[hi][j] - c[j]);
		fe = ets_objective(p, xe);
		evals++;
		if (fe < fmin(fr, F[hi]))
		{
			memcpy(S[hi], xe, sizeof(double) * dim);
			F[hi] = fe;
			continue;
		}
		/* shrink towards the best */
		for (int i = 0; i <= dim; i++)
		{
			if (i == lo)
				continue;
			for (int j = 0; j < dim; j++)
				S[i][j] = S[lo][j] + 0.5 * (S[i][j] - S[lo][j]);
			F[i] = ets_objective(p, S[i]);
			evals++;
		}
	}
	{
		int lo = 0;

		for (int i = 1; i <= dim; i++)
			if (F[i] < F[lo])
				lo = i;
		memcpy(x, S[lo], sizeof(double) * dim);
		return F[lo];
	}
}

/*
 * Initial states as ets's initstate: seasonal indices from the first (up
 * to three) full seasons around their means (differences or ratios), then
 * a line through the first max(10, 2m) deseasonalised points: its value
 * before the first point (level) and its slope.
 */
static void
ets_init_states(const double *y, int32_t n, int32_t m, int32_t season, double *s0, double *l0,
				double *b0, double *lbase)
{
	int32_t k = 0, nl;
	double	sx = 0, sy = 0, sxx = 0, sxy = 0, slope, icept, mean;

	if (season != S_N)
	{
		double cm0 = 0, cmk = 0, slope_c = 0;

		k = n / m < 3 ? n / m : 3;
		for (int32_t j = 0; j < m; j++)
		{
			s0[j] = 0;
			cm0 += y[j] / m;
			cmk += y[(k - 1) * m + j] / m;
		}
		/* the trend within a cycle, from the first and last cycle means */
		if (k > 1)
			slope_c = (cmk - cm0) / ((k - 1) * m);
		for (int32_t c = 0; c < k; c++)
		{
			double cm = 0;

			for (int32_t j = 0; j < m; j++)
				cm += y[c * m + j];
			cm /= m;
			for (int32_t j = 0; j < m; j++)
			{
				double tr = cm + slope_c * (j - (m - 1) / 2.0);

				s0[j] += season == S_A ? y[c * m + j] - tr : y[c * m + j] / tr;
			}
		}
		mean = 0;
		for (int32_t j = 0; j < m; j++)
			mean += (s0[j] /= k);
		mean /= m;
		for (int32_t j = 0; j < m; j++)
			s0[j] = season == S_A ? s0[j] - mean : s0[j] / mean;
	}
	nl = m > 5 ? 2 * m : 10;
	if (nl > n)
		nl = n;
	for (int32_t t = 0; t < nl; t++)
	{
		double v = season == S_A ? y[t] - s0[t % m] : season == S_M ? y[t] / s0[t % m] : y[t];

		sx += t + 1;
		sy += v;
		sxx += (double) (t + 1) * (t + 1);
		sxy += (t + 1) * v;
	}
	slope = (nl * sxy - sx * sy) / (nl * sxx - sx * sx);
	if (!isfinite(slope))
		slope = 0;
	icept = (sy - slope * sx) / nl;
	*l0 = icept;
	*b0 = slope;
	*lbase = sy / nl;
}

/* work layout of the fit, in doubles */
static size_t
ets_work_size(int32_t n, int32_t m)
{
	size_t fit = (size_t) n + 4 * (size_t) m + 64;
	size_t sim = (size_t) ETS_NSIM * ((size_t) m + 3) + 64;

	(void) n;
	return sizeof(double) * (fit > sim ? fit : sim);
}

static int32_t
ets_max_params(int32_t m)
{
	return ETS_HEAD + (m > 1 ? m : 1);
}

/* fit one form; its AICc (INFINITY when it fails) and the packed fit */
static double
ets_fit_form(const double *y, int32_t n, int32_t m, int32_t e, int32_t t, int32_t s, double *work,
			 double *params, double *sigma2)
{
	ets_problem p;
	double		th[ETS_MAX_DIM], l0, b0, lbase, m2ll, lN, bN, sse_n;
	double	   *s0 = work, *seas = work + m;
	int32_t		k, dim = 0, mm = s == S_N ? 1 : m;

	memset(&p, 0, sizeof(p));
	p.f.e = e;
	p.f.t = t;
	p.f.s = s;
	p.f.m = mm;
	p.y = y;
	p.n = n;
	p.seas = seas;
	k = ets_nparams(&p.f);
	if (n <= k + 4 || (s != S_N && n < 2 * m))
		return INFINITY;
	ets_init_states(y, n, mm, s, s0, &l0, &b0, &lbase);
	if (s == S_M)
		for (int32_t j = 0; j < m; j++)
			if (!(s0[j] > 0))
				return INFINITY;
	p.f.s0 = s != S_N ? s0 : NULL;
	p.l0i = t == T_N ? lbase : l0;
	p.b0i = b0;
	p.lscale = 0.05 * (fabs(lbase) + 1e-3);
	{
		double dev = 0;

		for (int32_t i = 1; i < n && i < 50; i++)
			dev += fabs(y[i] - y[i - 1]);
		dev /= (n < 50 ? n - 1 : 49);
		p.lscale = fmax(0.5 * dev, 1e-6 * (fabs(lbase) + 1));
		p.bscale = 0.1 * p.lscale;
	}
	/* starting values as ets's initparam */
	th[dim++] = logit((s != S_N ? 0.2 / mm : 0.2) + 0.05);
	if (t != T_N)
		th[dim++] = logit(0.1);
	if (s != S_N)
		th[dim++] = logit(0.05);
	if (t == T_AD)
		th[dim++] = logit(0.97);
	th[dim++] = 0;
	if (t != T_N)
		th[dim++] = 0;
	p.dim = dim;
	m2ll = ets_nelder_mead(&p, th, dim, 40 + 25 * dim);
	if (!isfinite(m2ll))
		return INFINITY;
	ets_decode(&p, th);
	m2ll = ets_m2ll(&p, &lN, &bN);
	if (m2ll == INFINITY)
		return INFINITY;
	/* sigma2: the residuals' sum of squares over n - k */
	{
		ets_form *f = &p.f;
		double	  l = f->l0, b = f->b0, sse = 0;
		int32_t	  ph = 0;

		if (s != S_N)
			memcpy(seas, s0, sizeof(double) * mm);
		for (int32_t i = 0; i < n; i++)
		{
			double dummy = 0, *sv = s != S_N ? &seas[ph] : &dummy;
			double mu = ets_mu(f, l, b, *sv);
			double r = e == E_M ? (y[i] - mu) / mu : y[i] - mu;

			sse += r * r;
			ets_update(f, y[i], &l, &b, sv);
			if (s != S_N && ++ph == mm)
				ph = 0;
		}
		sse_n = sse;
	}
	*sigma2 = sse_n / (n - k > 1 ? n - k : 1);
	params[0] = e;
	params[1] = t;
	params[2] = s;
	params[3] = mm;
	params[4] = p.f.alpha;
	params[5] = p.f.beta;
	params[6] = p.f.gamma;
	params[7] = p.f.phi;
	params[8] = *sigma2;
	params[9] = n;
	params[10] = lN;
	params[11] = bN;
	for (int32_t j = 0; j < mm; j++)
		params[ETS_HEAD + j] = s != S_N ? seas[(n + j) % mm] : 0;
	/*
	 * AICc with sigma counted, from the full Gaussian -2 log L (the
	 * constant n (1 + log 2 pi) included, unlike ets's, so that it is on
	 * the scale of ARIMA's); a perfect fit gets a very small value
	 */
	k += 1;
	if (m2ll <= -1e299)
		m2ll = -1e12;
	m2ll += n * (1 + log(2 * M_PI));
	return m2ll + 2.0 * k + 2.0 * k * (k + 1) / fmax(n - k - 1, 1);
}

static pgl_rc
ets_fit(const double *y, int32_t n, int32_t m, void *work, double *params, int32_t *n_params,
		double *aicc, double *sigma2, pgl_status *st)
{
	double *w = work, *cand, best = INFINITY, bsig = 0;
	bool	positive = true, constant = true;
	int32_t mm = m > 1 ? m : 1, np = ETS_HEAD + mm;

	if (m < 1 || m > ETS_MAX_M)
		return pgl_fail(st, PGL_ERR_INVALID, "season %d is out of range: it must be 1 to %d",
						(int) m, ETS_MAX_M);
	if (n < 3)
		return pgl_fail(st, PGL_ERR_INVALID,
						"a series of %d points is too short for exponential smoothing: it needs "
						"at least 3",
						(int) n);
	for (int32_t i = 0; i < n; i++)
	{
		if (!isfinite(y[i]))
			return pgl_fail(st, PGL_ERR_INVALID, "value %d of the series is not finite", (int) i);
		positive = positive && y[i] > 0;
		constant = constant && y[i] == y[0];
	}
	if (constant)
	{
		/* as ets: a flat forecast, ETS(A,N,N), zero variance */
		memset(params, 0, sizeof(double) * np);
		params[0] = E_A;
		params[3] = mm;
		params[4] = 0.9999;
		params[7] = 1;
		params[9] = n;
		params[10] = y[0];
		*n_params = np;
		*aicc = -1e300;
		*sigma2 = 0;
		return PGL_OK;
	}
	cand = w + 2 * (size_t) mm + 16; /* after the seasonal buffers */
	for (int32_t e = E_A; e <= E_M; e++)
		for (int32_t t = T_N; t <= T_AD; t++)
			for (int32_t s = S_N; s <= S_M; s++)
			{
				double a, sig = 0;

				if ((e == E_M || s == S_M) && !positive)
					continue;
				if (e == E_A && s == S_M)
					continue;
				if (s != S_N && mm < 2)
					continue;
				a = ets_fit_form(y, n, mm, e, t, s, w, cand, &sig);
				if (a < best)
				{
					best = a;
					bsig = sig;
					memcpy(params, cand, sizeof(double) * np);
				}
			}
	if (!isfinite(best))
		return pgl_fail(st, PGL_ERR_INVALID,
						"a series of %d points is too short for exponential smoothing with "
						"season %d",
						(int) n, (int) m);
	params[3] = mm;
	for (int32_t j = (int32_t) params[2] == S_N ? 0 : mm; j < mm; j++)
		params[ETS_HEAD + j] = 0;
	*n_params = np;
	*aicc = best;
	*sigma2 = bsig;
	return PGL_OK;
}

/* the point forecast h steps ahead of the packed state */
static double
ets_point(const double *P, int32_t h, double l, double b, const double *s)
{
	int32_t t = (int32_t) P[1], sn = (int32_t) P[2], m = (int32_t) P[3];
	double	phi = P[7], damp = 0, q;

	if (t == T_A)
		damp = h;
	else if (t == T_AD)
	{
		double pk = 1;

		for (int32_t i = 1; i <= h; i++)
			damp += (pk *= phi);
	}
	q = l + damp * b;
	if (sn == S_A)
		return q + s[(h - 1) % m];
	if (sn == S_M)
		return q * s[(h - 1) % m];
	return q;
}

/* the k-th smallest of x[0 .. n) (Hoare's quickselect; reorders x) */
static double
select_kth(double *x, int32_t n, int32_t k)
{
	int32_t lo = 0, hi = n - 1;

	while (lo < hi)
	{
		double	piv = x[lo + (hi - lo) / 2];
		int32_t i = lo, j = hi;

		while (i <= j)
		{
			while (x[i] < piv)
				i++;
			while (x[j] > piv)
				j--;
			if (i <= j)
			{
				double tmp = x[i];

				x[i++] = x[j];
				x[j--] = tmp;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return x[k];
}

/* simulated intervals of a multiplicative form: ETS_NSIM paths in lock-step */
static void
ets_simulate(const double *P, int32_t h, double level, double *work, double *lo, double *hi)
{
	ets_form f;
	int32_t	 m = (int32_t) P[3];
	double	*L = work, *B = L + ETS_NSIM, *V = B + ETS_NSIM, *S = V + ETS_NSIM;
	double	 sd = sqrt(P[8]);
	uint64_t rs = ETS_SEED;
	int32_t	 klo = (int32_t) floor((1 - level) / 2 * (ETS_NSIM - 1) + 0.5);
	int32_t	 khi = ETS_NSIM - 1 - klo;

	memset(&f, 0, sizeof(f));
	f.e = (int32_t) P[0];
	f.t = (int32_t) P[1];
	f.s = (int32_t) P[2];
	f.m = m;
	f.alpha = P[4];
	f.beta = P[5];
	f.gamma = P[6];
	f.phi = P[7];
	for (int32_t i = 0; i < ETS_NSIM; i++)
	{
		L[i] = P[10];
		B[i] = P[11];
		memcpy(S + (size_t) i * m, P + ETS_HEAD, sizeof(double) * m);
	}
	for (int32_t k = 0; k < h; k++)
	{
		for (int32_t i = 0; i < ETS_NSIM; i++)
		{
			double dummy = 0, *sv = f.s != S_N ? &S[(size_t) i * m + k % m] : &dummy;
			double mu = ets_mu(&f, L[i], B[i], *sv);
			double eps = sd * pgl_fc_normal(&rs);
			double yv = f.e == E_M ? mu * (1 + eps) : mu + eps;

			V[i] = yv;
			if (!ets_update(&f, yv, &L[i], &B[i], sv))
			{
				/* a path that left the positive range stays where it is */
				L[i] = fmax(L[i], 1e-12);
				if (f.s == S_M)
					*sv = fmax(*sv, 1e-12);
			}
		}
		lo[k] = select_kth(V, ETS_NSIM, klo);
		hi[k] = select_kth(V, ETS_NSIM, khi);
	}
}

static pgl_rc
ets_forecast(const double *P, int32_t n_params, int32_t h, double level, void *work, double *mean,
			 double *lo, double *hi, pgl_status *st)
{
	int32_t e, t, s, m;
	double	alpha, beta, gamma, phi, sigma2, z, var, cj, phisum = 0, pk = 1;

	if (!(level > 0 && level < 1))
		return pgl_fail(st, PGL_ERR_INVALID, "level %g is out of range: it must be in (0, 1)",
						level);
	if (h < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "horizon %d is out of range: it must be at least 1",
						(int) h);
	if (pgl_fc_ets.check(P, n_params, st) != PGL_OK)
		return st->rc;
	e = (int32_t) P[0];
	t = (int32_t) P[1];
	s = (int32_t) P[2];
	m = (int32_t) P[3];
	alpha = P[4];
	beta = P[5];
	gamma = P[6];
	phi = P[7];
	sigma2 = P[8];
	for (int32_t k = 1; k <= h; k++)
		mean[k - 1] = ets_point(P, k, P[10], P[11], P + ETS_HEAD);
	if (e == E_M || s == S_M)
	{
		if (sigma2 > 0)
			ets_simulate(P, h, level, work, lo, hi);
		else
			for (int32_t k = 0; k < h; k++)
				lo[k] = hi[k] = mean[k];
		for (int32_t k = 0; k < h; k++)
		{
			lo[k] = fmin(lo[k], mean[k]);
			hi[k] = fmax(hi[k], mean[k]);
		}
		return PGL_OK;
	}
	/* class 1: var_h = sigma2 (1 + sum_{j < h} c_j^2) */
	z = pgl_fc_z(level);
	var = 0;
	for (int32_t k = 1; k <= h; k++)
	{
		double sdk = sqrt(sigma2 * (1 + var));

		lo[k - 1] = mean[k - 1] - z * sdk;
		hi[k - 1] = mean[k - 1] + z * sdk;
		/* c_k for the next step */
		pk *= phi;
		phisum += pk;
		cj = alpha + (t == T_N ? 0 : t == T_A ? beta * k : beta * phisum);
		if (s == S_A && k % m == 0)
			cj += gamma;
		var += cj * cj;
	}
	return PGL_OK;
}

static pgl_rc
ets_check(const double *P, int32_t n_params, pgl_status *st)
{
	int32_t m;

	if (n_params < ETS_HEAD + 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "an ets fit of %d values is too short",
						(int) n_params);
	for (int32_t i = 0; i < n_params; i++)
		if (!isfinite(P[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "value %d of an ets fit is not finite", (int) i);
	if ((P[0] != E_A && P[0] != E_M) || (P[1] != T_N && P[1] != T_A && P[1] != T_AD) ||
		(P[2] != S_N && P[2] != S_A && P[2] != S_M) || (P[0] == E_A && P[2] == S_M))
		return pgl_fail(st, PGL_ERR_CORRUPT, "an ets fit has an unknown form (%g, %g, %g)", P[0],
						P[1], P[2]);
	if (P[3] != floor(P[3]) || P[3] < 1 || P[3] > ETS_MAX_M)
		return pgl_fail(st, PGL_ERR_CORRUPT, "an ets fit has season %g: it must be 1 to %d", P[3],
						ETS_MAX_M);
	m = (int32_t) P[3];
	if (n_params != ETS_HEAD + m || (P[2] != S_N && m < 2))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"an ets fit of season %d has %d values: it must have %d", (int) m,
						(int) n_params, ETS_HEAD + m);
	if (!(P[4] > 0 && P[4] < 1) || P[5] < 0 || P[5] > P[4] || P[6] < 0 || P[6] > 1 - P[4] ||
		P[7] < 0.8 || P[7] > 1 || P[8] < 0 || P[9] < 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "an ets fit has parameters out of their bounds");
	if (P[2] == S_M)
		for (int32_t j = 0; j < m; j++)
			if (!(P[ETS_HEAD + j] > 0))
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"an ets fit has a multiplicative seasonal state that is not "
								"positive");
	return PGL_OK;
}

static void
ets_describe(const double *P, int32_t n_params, char *buf, size_t len)
{
	static const char *const E[] = {"?", "A", "M"}, *const T[] = {"N", "A", "Ad"},
							 *const S[] = {"N", "A", "M"};
	int32_t							e = (int32_t) P[0], t = (int32_t) P[1], s = (int32_t) P[2];

	if (n_params < ETS_HEAD || e < 1 || e > 2 || t < 0 || t > 2 || s < 0 || s > 2)
	{
		snprintf(buf, len, "ETS(?)");
		return;
	}
	if (s != S_N)
		snprintf(buf, len, "ETS(%s,%s,%s)[%d]", E[e], T[t], S[s], (int) P[3]);
	else
		snprintf(buf, len, "ETS(%s,%s,%s)", E[e], T[t], S[s]);
}

const pgl_fc_method pgl_fc_ets = {
	.name = "ets",
	.id = PGL_FC_ETS,
	.work_size = ets_work_size,
	.max_params = ets_max_params,
	.fit = ets_fit,
	.forecast = ets_forecast,
	.check = ets_check,
	.describe = ets_describe,
};
