/*
 * src/forecast/arima.c: seasonal ARIMA(p,d,q)(P,D,Q)[m] with a mean or drift,
 * and its automatic selection (Hyndman & Khandakar 2008, R's auto.arima):
 *
 * - D from the seasonal strength of a classical decomposition (D = 1 above
 *   0.64, auto.arima's "seas" test), d from repeated KPSS tests at 5% on the
 *   seasonally differenced series (at most 2);
 * - the stepwise search over p, q <= 5, P, Q <= 2, p + q + P + Q <= 5 from
 *   (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1), moving to
 *   the first neighbour with a lower AICc, at most 94 models;
 * - each model fitted by conditional sum of squares (CSS, R's method "CSS")
 *   with Levenberg-Marquardt on the residuals, from zero coefficients and
 *   from the fitted neighbour's (the better of both: CSS has local minima);
 *   sigma2 on nres - k degrees of freedom, in the AICc and the intervals.
 *   The AR and MA polynomials are parametrised by their partial
 *   autocorrelations (tanh, Durbin-Levinson), so every fit is stationary and
 *   invertible.  CSS rather than the exact likelihood: the Kalman filter of
 *   a seasonal model has a state of p + mP + 1 (25 for m = 12, P = 2) and
 *   its initial covariance costs O(r^4), which does not fit 10 ms per series
 *   for the whole search; CSS is what auto.arima uses itself while searching
 *   on long or high-frequency series ("approximation").  The benchmark
 *   (docs/benchmarks.md) measures it against R's CSS-ML: no less accurate (mean
 *   MASE 0.903 vs 0.929), and refitting the chosen model by the exact
 *   likelihood of its MA part did not help (tried, dropped).
 * - forecasts by the ARMA recursion on the differenced series, integrated
 *   back; intervals from the psi weights of the full (differenced) model.
 *
 * The packed fit (doubles):
 *   [0] 2 (PGL_FC_ARIMA)   [1] m   [2..7] p d q P D Q   [8] constant flag
 *   [9] constant   [10] sigma2   [11] Ly   [12] Le
 *   phi[p] theta[q] Phi[P] Theta[Q]   y[Ly] (the last observations)
 *   e[Le] (the last residuals)
 * with Ly = d + mD + p + mP and Le = q + mQ.
 */
#include "arima.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define AR_HDR		  13
#define AR_MAXK		  16 /* estimated parameters of one model */
#define AR_MAXT		  40 /* nonzero lags of a product polynomial */
#define AR_MAX_MODELS 94
#define AR_PACF_MAX	  0.9999
#define AR_KPSS_CRIT  0.463 /* 5% */
#define AR_SEAS_CRIT  0.64
#ifndef AR_START
#define AR_START 2 /* starting values: 0 zeros, 1 the neighbour, 2 the better of both */
#endif

/* a product polynomial 1 - sum c[i] B^lag[i] (AR) or 1 + sum c[i] B^lag[i] (MA) */
typedef struct ar_poly
{
	int	   n;
	int	   lag[AR_MAXT];
	double c[AR_MAXT];
} ar_poly;

/* one fitted model */
typedef struct ar_model
{
	pgl_arima_order o;
	int				k;			   /* estimated parameters (without sigma2) */
	double			x[AR_MAXK];	   /* unconstrained parameters (pacf in tanh space, constant) */
	double			coef[AR_MAXK]; /* phi, theta, Phi, Theta, constant */
	double			ssr, sigma2, aicc;
	int				ok;
} ar_model;

/* the differenced series and its scratch, shared by the fits of a search */
typedef struct ar_ctx
{
	const double *w; /* differenced series */
	int			  nw;
	int			  m;
	double		  scale;		/* sd of w (step of the constant), > 0 */
	double		 *e, *e2, *jac; /* nw, nw, AR_MAXK * nw */
} ar_ctx;

static size_t
arima_work_doubles(int32_t n, int32_t m)
{
	size_t nn = (size_t) (n > 0 ? n : 1);
	size_t mm = (size_t) (m > 0 ? m : 1);

	/* fit: w, e, e2, jacobian, decomposition scratch; forecast: 4h + the polynomials */
	return nn * (AR_MAXK + 8) + 16 * mm + 256;
}

static size_t
arima_work_size(int32_t n, int32_t m)
{
	return arima_work_doubles(n, m) * sizeof(double);
}

static int32_t
arima_max_params(int32_t m)
{
	int32_t mm = m > 1 ? m : 1;

	return AR_HDR + PGL_ARIMA_MAX_P + PGL_ARIMA_MAX_Q + PGL_ARIMA_MAX_SP + PGL_ARIMA_MAX_SQ +
		   (2 + mm + PGL_ARIMA_MAX_P + PGL_ARIMA_MAX_SP * mm) +
		   (PGL_ARIMA_MAX_Q + PGL_ARIMA_MAX_SQ * mm);
}

/* ---------- polynomials ---------- */

/* partial autocorrelations r[k] -> coefficients a of a stationary 1 - sum a_i B^i */
static void
pacf_to_ar(const double *r, int k, double *a)
{
	double tmp[PGL_ARIMA_MAX_P + 1];

	for (int j = 0; j < k; j++)
	{
		a[j] = r[j];
		for (int i = 0; i < j; i++)
			tmp[i] = a[i] - r[j] * a[j - 1 - i];
		for (int i = 0; i < j; i++)
			a[i] = tmp[i];
	}
}

/* the inverse (step-down): 0 when 1 - sum a_i B^i is not strictly stationary */
static int
ar_to_pacf(const double *a0, int k, double *r)
{
	double a[PGL_ARIMA_MAX_P + 1], tmp[PGL_ARIMA_MAX_P + 1];

	for (int i = 0; i < k; i++)
		a[i] = a0[i];
	for (int j = k - 1; j >= 0; j--)
	{
		double rj = a[j], den = 1.0 - rj * rj;

		if (!(fabs(rj) < 1.0) || den <= 0.0)
			return 0;
		r[j] = rj;
		for (int i = 0; i < j; i++)
			tmp[i] = (a[i] + rj * a[j - 1 - i]) / den;
		for (int i = 0; i < j; i++)
			a[i] = tmp[i];
	}
	return 1;
}

/* unconstrained u[k] -> stationary coefficients (sign -1: an invertible MA 1 + sum) */
static void
u_to_coef(const double *u, int k, double sign, double *coef)
{
	double r[PGL_ARIMA_MAX_P + 1];

	for (int i = 0; i < k; i++)
		r[i] = AR_PACF_MAX * tanh(u[i]);
	pacf_to_ar(r, k, coef);
	for (int i = 0; i < k; i++)
		coef[i] *= sign;
}

/* add c B^lag to a sparse polynomial (merging equal lags) */
static void
poly_add(ar_poly *pl, int lag, double c)
{
	for (int i = 0; i < pl->n; i++)
		if (pl->lag[i] == lag)
		{
			pl->c[i] += c;
			return;
		}
	pl->lag[pl->n] = lag;
	pl->c[pl->n] = c;
	pl->n++;
}

/*
 * The product (1 + s sum a_i B^i)(1 + s sum A_j B^{jm}) as 1 + s sum c B^lag:
 * s = -1 for AR polynomials, +1 for MA.
 */
static void
poly_product(const double *a, int k, const double *A, int K, int m, double s, ar_poly *pl)
{
	pl->n = 0;
	for (int j = 0; j <= K; j++)
		for (int i = 0; i <= k; i++)
		{
			double ai = i == 0 ? 1.0 : s * a[i - 1];
			double Aj = j == 0 ? 1.0 : s * A[j - 1];

			if (i + j == 0)
				continue;
			/* the product's term is ai * Aj = s * c */
			poly_add(pl, i + j * m, s * ai * Aj);
		}
}

/* dense coefficients of 1 - sum ar B^lag (the full AR side with differencing) */
static void
poly_dense(const ar_poly *pl, double *out, int len)
{
	memset(out, 0, sizeof(double) * len);
	for (int i = 0; i < pl->n; i++)
		out[pl->lag[i]] += pl->c[i];
}

/* ---------- the model's parameters ---------- */

static int
order_k(const pgl_arima_order *o)
{
	return o->p + o->q + o->P + o->Q + (o->cst ? 1 : 0);
}

/* unconstrained x -> coef (phi, theta, Phi, Theta, constant) */
static void
x_to_coef(const pgl_arima_order *o, const double *x, double *coef)
{
	int at = 0;

	u_to_coef(x + at, o->p, 1.0, coef + at);
	at += o->p;
	u_to_coef(x + at, o->q, -1.0, coef + at);
	at += o->q;
	u_to_coef(x + at, o->P, 1.0, coef + at);
	at += o->P;
	u_to_coef(x + at, o->Q, -1.0, coef + at);
	at += o->Q;
	if (o->cst)
		coef[at] = x[at];
}

static void
coef_polys(const pgl_arima_order *o, const double *coef, ar_poly *ar, ar_poly *ma)
{
	poly_product(coef, o->p, coef + o->p + o->q, o->P, o->m, -1.0, ar);
	poly_product(coef + o->p, o->q, coef + o->p + o->q + o->P, o->Q, o->m, 1.0, ma);
}

/* ---------- conditional sum of squares ---------- */

/*
 * Residuals e[0 .. nw) of the model with coefficients coef on w (zero before
 * ncond = p + mP); returns their sum of squares.
 */
static double
css_coef(const ar_ctx *cx, const pgl_arima_order *o, const double *coef, double *e)
{
	ar_poly		  ar, ma;
	int			  ncond = o->p + o->m * o->P;
	double		  c = o->cst ? coef[o->p + o->q + o->P + o->Q] : 0.0;
	double		  ssr = 0.0;
	const double *w = cx->w;

	coef_polys(o, coef, &ar, &ma);
	for (int t = 0; t < ncond && t < cx->nw; t++)
		e[t] = 0.0;
	for (int t = ncond; t < cx->nw; t++)
	{
		double v = w[t] - c;

		for (int i = 0; i < ar.n; i++)
			v -= ar.c[i] * (w[t - ar.lag[i]] - c);
		for (int i = 0; i < ma.n; i++)
			if (t - ma.lag[i] >= 0)
				v -= ma.c[i] * e[t - ma.lag[i]];
		e[t] = v;
		ssr += v * v;
	}
	return ssr;
}

static double
css_x(const ar_ctx *cx, const pgl_arima_order *o, const double *x, double *e)
{
	double coef[AR_MAXK];

	x_to_coef(o, x, coef);
	return css_coef(cx, o, coef, e);
}

/* solve (A + lambda diag A) d = -g by Cholesky; 0 when not positive definite */
static int
lm_solve(const double *A, const double *g, int k, double lambda, double *d)
{
	double L[AR_MAXK * AR_MAXK];

	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			L[i * k + j] = A[i * k + j] + (i == j ? lambda * A[i * k + i] + 1e-12 : 0.0);
	for (int j = 0; j < k; j++)
	{
		double s = L[j * k + j];

		for (int l = 0; l < j; l++)
			s -= L[j * k + l] * L[j * k + l];
		if (!(s > 0.0))
			return 0;
		L[j * k + j] = sqrt(s);
		for (int i = j + 1; i < k; i++)
		{
			double v = L[i * k + j];

			for (int l = 0; l < j; l++)
				v -= L[i * k + l] * L[j * k + l];
			L[i * k + j] = v / L[j * k + j];
		}
	}
	for (int i = 0; i < k; i++)
	{
		double v = -g[i];

		for (int l = 0; l < i; l++)
			v -= L[i * k + l] * d[l];
		d[i] = v / L[i * k + i];
	}
	for (int i = k - 1; i >= 0; i--)
	{
		double v = d[i];

		for (int l = i + 1; l < k; l++)
			v -= L[l * k + i] * d[l];
		d[i] = v / L[i * k + i];
	}
	return 1;
}

/* J^T J and J^T e over the residuals t >= ncond; the jacobian by forward differences */
static void
lm_normal(const ar_ctx *cx, const pgl_arima_order *o, double *x, int k, double *A, double *g)
{
	int ncond = o->p + o->m * o->P, nw = cx->nw;

	for (int j = 0; j < k; j++)
	{
		int		is_c = o->cst && j == k - 1;
		double	h = is_c ? 1e-6 * (cx->scale + fabs(x[j])) : 1e-6 * (1.0 + fabs(x[j]));
		double	xj = x[j];
		double *Jj = cx->jac + (size_t) j * nw;

		x[j] = xj + h;
		css_x(cx, o, x, cx->e2);
		x[j] = xj;
		for (int t = ncond; t < nw; t++)
			Jj[t] = (cx->e2[t] - cx->e[t]) / h;
	}
	for (int i = 0; i < k; i++)
	{
		const double *Ji = cx->jac + (size_t) i * nw;
		double		  s = 0.0;

		for (int t = ncond; t < nw; t++)
			s += Ji[t] * cx->e[t];
		g[i] = s;
		for (int j = 0; j <= i; j++)
		{
			const double *Jj = cx->jac + (size_t) j * nw;
			double		  v = 0.0;

			for (int t = ncond; t < nw; t++)
				v += Ji[t] * Jj[t];
			A[i * k + j] = A[j * k + i] = v;
		}
	}
}

/* Levenberg-Marquardt on the CSS residuals from x; returns the final sum of squares */
static double
lm_fit(const ar_ctx *cx, const pgl_arima_order *o, double *x, int k)
{
	double A[AR_MAXK * AR_MAXK], g[AR_MAXK], d[AR_MAXK], xt[AR_MAXK];
	double S = css_x(cx, o, x, cx->e), lambda = 1e-3;

	if (k == 0 || !isfinite(S))
		return S;
	for (int it = 0; it < 50; it++)
	{
		int	   accepted = 0;
		double St = S;

		lm_normal(cx, o, x, k, A, g);
		for (int tries = 0; tries < 8 && !accepted; tries++)
		{
			if (lm_solve(A, g, k, lambda, d))
			{
				for (int j = 0; j < k; j++)
					xt[j] = x[j] + d[j];
				St = css_x(cx, o, xt, cx->e2);
				if (isfinite(St) && St < S)
				{
					accepted = 1;
					break;
				}
			}
			lambda *= 10.0;
		}
		if (!accepted)
			break;
		lambda = fmax(lambda * 0.1, 1e-10);
		memcpy(x, xt, sizeof(double) * k);
		/* e2 holds the residuals of xt */
		memcpy(cx->e, cx->e2, sizeof(double) * cx->nw);
		if (S - St <= 1e-5 * S)
		{
			S = St;
			break;
		}
		S = St;
	}
	return S;
}

/* ---------- one model ---------- */

/*
 * Starting values of order o from a fitted neighbour: the leading partial
 * autocorrelations of each polynomial it shares, zero for the new ones.
 */
static void
warm_start(const pgl_arima_order *o, const ar_model *from, double *x)
{
	const pgl_arima_order *f = &from->o;
	int					   n_new[4] = {o->p, o->q, o->P, o->Q}, n_old[4] = {f->p, f->q, f->P, f->Q};
	int					   at_new = 0, at_old = 0;

	for (int b = 0; b < 4; b++)
	{
		for (int i = 0; i < n_new[b]; i++)
			x[at_new + i] = i < n_old[b] ? from->x[at_old + i] : 0.0;
		at_new += n_new[b];
		at_old += n_old[b];
	}
	if (o->cst && f->cst)
		x[at_new] = from->x[at_old];
}

/*
 * Fit order o on cx->w, from zero coefficients and the mean, and also from
 * the neighbour warm (if any) when AR_START says so; fills *md with the
 * better fit (ok = 0 if unusable).
 */
static void
fit_model(const ar_ctx *cx, const pgl_arima_order *o, const ar_model *warm, ar_model *md)
{
	int	   k = order_k(o), npar = k + 1;
	int	   ncond = o->p + o->m * o->P, nres = cx->nw - ncond;
	double mean = 0.0, ll, s2;

	memset(md, 0, sizeof(*md));
	md->o = *o;
	md->k = k;
	md->aicc = INFINITY;
	if (k > AR_MAXK || nres < k + 3 || cx->nw - npar - 1 <= 0)
		return;
	for (int t = 0; t < cx->nw; t++)
		mean += cx->w[t];
	mean /= cx->nw;
	if (o->cst)
		md->x[k - 1] = mean;
	if (warm && AR_START == 1)
		warm_start(o, warm, md->x);
	md->ssr = lm_fit(cx, o, md->x, k);
	if (warm && AR_START == 2)
	{
		double x2[AR_MAXK], s2w;

		memcpy(x2, md->x, sizeof(x2));
		if (o->cst)
			x2[k - 1] = mean;
		warm_start(o, warm, x2);
		s2w = lm_fit(cx, o, x2, k);
		if (isfinite(s2w) && !(s2w >= md->ssr))
		{
			md->ssr = s2w;
			memcpy(md->x, x2, sizeof(x2));
		}
	}
	if (!isfinite(md->ssr))
		return;
	x_to_coef(o, md->x, md->coef);
	/*
	 * the residual variance on nres - k degrees of freedom (R's CSS divides by
	 * nres): the intervals widen by the estimation's share, and in the AICc it
	 * charges each coefficient about one more unit, which picks smaller models
	 * on bench/forecast (mean MASE 0.916 -> 0.903, coverage 0.902 -> 0.914)
	 */
	md->sigma2 = md->ssr / (nres - k);
	/* a floor so that an exact fit still has a finite likelihood */
	s2 = fmax(md->sigma2, 1e-20 * (cx->scale * cx->scale + mean * mean) + 1e-300);
	ll = -0.5 * cx->nw * (log(2.0 * M_PI * s2) + 1.0);
	md->aicc = -2.0 * ll + 2.0 * npar + 2.0 * npar * (npar + 1.0) / (cx->nw - npar - 1.0);
	md->ok = isfinite(md->aicc);
}

/* ---------- differencing ---------- */

/* w = (1 - B)^d (1 - B^m)^D x, in place over a copy; returns the new length */
static int
difference(const double *x, int n, int d, int D, int m, double *w)
{
	int len = n;

	memcpy(w, x, sizeof(double) * n);
	for (int k = 0; k < D; k++)
	{
		for (int t = 0; t + m < len; t++)
			w[t] = w[t + m] - w[t];
		len -= m;
	}
	for (int k = 0; k < d; k++)
	{
		for (int t = 0; t + 1 < len; t++)
			w[t] = w[t + 1] - w[t];
		len -= 1;
	}
	return len;
}

static int
is_constant(const double *x, int n)
{
	for (int i = 1; i < n; i++)
		if (x[i] != x[0])
			return 0;
	return 1;
}

/* the KPSS level-stationarity statistic, Newey-West lag trunc(3 sqrt(n) / 13) as R's ndiffs */
static double
kpss_stat(const double *x, int n)
{
	double mean = 0.0, S = 0.0, eta = 0.0, s2 = 0.0;
	int	   L = (int) (3.0 * sqrt((double) n) / 13.0);

	for (int t = 0; t < n; t++)
		mean += x[t];
	mean /= n;
	for (int t = 0; t < n; t++)
	{
		double e = x[t] - mean;

		S += e;
		eta += S * S;
		s2 += e * e;
	}
	for (int l = 1; l <= L && l < n; l++)
	{
		double c = 0.0;

		for (int t = l; t < n; t++)
			c += (x[t] - mean) * (x[t - l] - mean);
		s2 += 2.0 * (1.0 - l / (L + 1.0)) * c;
	}
	s2 /= n;
	if (!(s2 > 0.0))
		return 0.0;
	return eta / ((double) n * n * s2);
}

int
pgl_arima_ndiffs(const double *x, int32_t n, double *work)
{
	int d = 0, len = n;

	memcpy(work, x, sizeof(double) * n);
	while (d < 2 && len >= 4 && !is_constant(work, len) && kpss_stat(work, len) > AR_KPSS_CRIT)
	{
		for (int t = 0; t + 1 < len; t++)
			work[t] = work[t + 1] - work[t];
		len--;
		d++;
	}
	return d;
}

double
pgl_arima_seas_strength(const double *x, int32_t n, int32_t m, double *work)
{
	int		h = m / 2, lo = h, hi = n - h;
	double *detr = work, *seas = work + n;
	double	vd = 0.0, vr = 0.0, md = 0.0, mr = 0.0, cnt = 0.0;

	if (m < 2 || n < 2 * m || hi <= lo)
		return 0.0;
	/* the trend: a centred moving average of order m (2 x m when m is even) */
	for (int t = lo; t < hi; t++)
	{
		double tr = 0.0;

		if (m % 2 == 0)
		{
			tr = 0.5 * (x[t - h] + x[t + h]);
			for (int j = -h + 1; j < h; j++)
				tr += x[t + j];
		}
		else
			for (int j = -h; j <= h; j++)
				tr += x[t + j];
		detr[t] = x[t] - tr / m;
	}
	/*
	 * the season: per phase, a tricube-weighted mean over the 11 nearest
	 * cycles, so that it may evolve, as STL's (s.window 11) does in R's test
	 */
	for (int t = lo; t < hi; t++)
	{
		double s = 0.0, wsum = 0.0;

		for (int c = -5; c <= 5; c++)
		{
			int	   u = t + c * m;
			double d = abs(c) / 6.0, wt = 1.0 - d * d * d;

			if (u < lo || u >= hi)
				continue;
			wt = wt * wt * wt;
			s += wt * detr[u];
			wsum += wt;
		}
		seas[t] = s / wsum;
	}
	for (int t = lo; t < hi; t++)
	{
		md += detr[t];
		mr += detr[t] - seas[t];
		cnt += 1.0;
	}
	md /= cnt;
	mr /= cnt;
	for (int t = lo; t < hi; t++)
	{
		double r = detr[t] - seas[t] - mr;

		vd += (detr[t] - md) * (detr[t] - md);
		vr += r * r;
	}
	if (!(vd > 0.0))
		return 0.0;
	return fmax(0.0, 1.0 - vr / vd);
}

/* ---------- packing ---------- */

static int
order_ly(const pgl_arima_order *o)
{
	return o->d + o->m * o->D + o->p + o->m * o->P;
}

static int
order_le(const pgl_arima_order *o)
{
	return o->q + o->m * o->Q;
}

/* write the packed fit of md (residuals e of w, nw long) for series y */
static void
pack(const ar_model *md, const double *y, int n, const double *e, int nw, double *params,
	 int32_t *n_params)
{
	const pgl_arima_order *o = &md->o;
	int					   ly = order_ly(o), le = order_le(o), nc = o->p + o->q + o->P + o->Q;
	double				  *at;

	params[0] = PGL_FC_ARIMA;
	params[1] = o->m;
	params[2] = o->p;
	params[3] = o->d;
	params[4] = o->q;
	params[5] = o->P;
	params[6] = o->D;
	params[7] = o->Q;
	params[8] = o->cst;
	params[9] = o->cst ? md->coef[nc] : 0.0;
	params[10] = md->sigma2;
	params[11] = ly;
	params[12] = le;
	at = params + AR_HDR;
	memcpy(at, md->coef, sizeof(double) * nc);
	at += nc;
	memcpy(at, y + n - ly, sizeof(double) * ly);
	at += ly;
	memcpy(at, e + nw - le, sizeof(double) * le);
	at += le;
	*n_params = (int32_t) (at - params);
}

static pgl_rc
check_finite(const double *y, int32_t n, pgl_status *st)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"arima: observation %d of the series is not finite", i + 1);
	return PGL_OK;
}

pgl_rc
pgl_arima_fit_order(const double *y, int32_t n, const pgl_arima_order *o, void *work,
					double *params, int32_t *n_params, double *aicc, double *sigma2, pgl_status *st)
{
	double	*wk = work, *w = wk;
	ar_ctx	 cx;
	ar_model md;
	double	 mean = 0.0, var = 0.0;

	if (check_finite(y, n, st) != PGL_OK)
		return st->rc;
	if (o->m < 1 || o->m > PGL_ARIMA_MAX_M || o->p < 0 || o->p > PGL_ARIMA_MAX_P || o->q < 0 ||
		o->q > PGL_ARIMA_MAX_Q || o->P < 0 || o->P > PGL_ARIMA_MAX_SP || o->Q < 0 ||
		o->Q > PGL_ARIMA_MAX_SQ || o->d < 0 || o->d > 2 || o->D < 0 || o->D > 1 ||
		(o->m == 1 && (o->P || o->Q || o->D)))
		return pgl_fail(st, PGL_ERR_INVALID,
						"arima: order (%d,%d,%d)(%d,%d,%d)[%d] is out of range", o->p, o->d, o->q,
						o->P, o->D, o->Q, o->m);
	if (n <= o->d + o->m * o->D + 1)
		return pgl_fail(st, PGL_ERR_INVALID,
						"arima: a series of %d points is too short for differencing of order %d", n,
						o->d + o->m * o->D);
	cx.nw = difference(y, n, o->d, o->D, o->m, w);
	cx.w = w;
	cx.m = o->m;
	cx.e = wk + n;
	cx.e2 = cx.e + n;
	cx.jac = cx.e2 + n;
	for (int t = 0; t < cx.nw; t++)
		mean += w[t] / cx.nw;
	for (int t = 0; t < cx.nw; t++)
		var += (w[t] - mean) * (w[t] - mean) / cx.nw;
	cx.scale = sqrt(var) + 1e-12 * (fabs(mean) + 1.0);
	fit_model(&cx, o, NULL, &md);
	if (!md.ok)
		return pgl_fail(
			st, PGL_ERR_INVALID,
			"arima: a series of %d points is too short for order (%d,%d,%d)(%d,%d,%d)[%d]", n, o->p,
			o->d, o->q, o->P, o->D, o->Q, o->m);
	css_coef(&cx, o, md.coef, cx.e);
	pack(&md, y, n, cx.e, cx.nw, params, n_params);
	*aicc = md.aicc;
	*sigma2 = md.sigma2;
	return PGL_OK;
}

/*
 * The AICc reported to the caller, who compares it with ETS's: ETS's
 * likelihood covers all n points, ARIMA's the nw = n - d - mD differenced
 * ones (it conditions on the first d + mD), so the search's AICc is smaller
 * by about (d + mD) (1 + log 2 pi sigma2) and would win every comparison.
 * Rescaled here to n points: n (1 + log 2 pi sigma2) + the penalty with n.
 * The search itself ranks by the AICc of the differenced series, as R does.
 */
static double
comparable_aicc(const ar_model *md, int n, int nw)
{
	double npar = md->k + 1.0;
	double m2ll = md->aicc - 2.0 * npar - 2.0 * npar * (npar + 1.0) / (nw - npar - 1.0);

	return m2ll * n / nw + 2.0 * npar + 2.0 * npar * (npar + 1.0) / fmax(n - npar - 1.0, 1.0);
}

/* ---------- the stepwise search ---------- */

typedef struct ar_search
{
	const ar_ctx   *cx;
	pgl_arima_order base; /* d, D, m */
	int				maxp, maxq, maxP, maxQ, allow_cst;
	int				nvis;
	int				vis[AR_MAX_MODELS][5];
	ar_model		best, cand;
} ar_search;

/* fit (p,q,P,Q,cst) unless out of bounds or seen; 1 when it is the new best */
static int
try_model(ar_search *s, int p, int q, int P, int Q, int cst, int check_order)
{
	pgl_arima_order o = s->base;

	if (p < 0 || q < 0 || P < 0 || Q < 0 || p > s->maxp || q > s->maxq || P > s->maxP ||
		Q > s->maxQ || (cst && !s->allow_cst))
		return 0;
	if (check_order && p + q + P + Q > PGL_ARIMA_MAX_ORDER)
		return 0;
	for (int i = 0; i < s->nvis; i++)
		if (s->vis[i][0] == p && s->vis[i][1] == q && s->vis[i][2] == P && s->vis[i][3] == Q &&
			s->vis[i][4] == cst)
			return 0;
	if (s->nvis >= AR_MAX_MODELS)
		return 0;
	s->vis[s->nvis][0] = p;
	s->vis[s->nvis][1] = q;
	s->vis[s->nvis][2] = P;
	s->vis[s->nvis][3] = Q;
	s->vis[s->nvis][4] = cst;
	s->nvis++;
	o.p = p;
	o.q = q;
	o.P = P;
	o.Q = Q;
	o.cst = cst;
	fit_model(s->cx, &o, s->best.ok ? &s->best : NULL, &s->cand);
	if (s->cand.ok && s->cand.aicc < s->best.aicc)
	{
		s->best = s->cand;
		return 1;
	}
	return 0;
}

/* the neighbours of auto.arima's stepwise search, in its order */
static const int ar_moves[16][4] = {
	/* dp, dq, dP, dQ */
	{0, 0, -1, 0},	{0, 0, 0, -1}, {0, 0, 1, 0},  {0, 0, 0, 1},	 {0, 0, -1, -1}, {0, 0, -1, 1},
	{0, 0, 1, -1},	{0, 0, 1, 1},  {-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0},	 {0, 1, 0, 0},
	{-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0}};

static void
stepwise(ar_search *s)
{
	int seas = s->base.m > 1, c = s->allow_cst;

	s->best.ok = 0;
	s->best.aicc = INFINITY;
	try_model(s, 2, 2, seas, seas, c, 0);
	try_model(s, 0, 0, 0, 0, c, 0);
	try_model(s, 1, 0, seas, 0, c, 0);
	try_model(s, 0, 1, 0, seas, c, 0);
	if (c)
		try_model(s, 0, 0, 0, 0, 0, 0);
	for (int moved = 1; moved && s->best.ok && s->nvis < AR_MAX_MODELS;)
	{
		const pgl_arima_order *b = &s->best.o;
		int					   p = b->p, q = b->q, P = b->P, Q = b->Q, bc = b->cst;

		moved = 0;
		for (int i = 0; i < 16 && !moved; i++)
			moved = try_model(s, p + ar_moves[i][0], q + ar_moves[i][1], P + ar_moves[i][2],
							  Q + ar_moves[i][3], bc, 1);
		if (!moved)
			moved = try_model(s, p, q, P, Q, !bc, 1);
	}
}

/* the constant series: ARIMA(0,0,0) with its mean, sigma2 0 */
static void
fit_constant(const double *y, int32_t n, int32_t m, double *params, int32_t *n_params, double *aicc,
			 double *sigma2)
{
	ar_model md;

	memset(&md, 0, sizeof(md));
	md.o.m = m;
	md.o.cst = 1;
	md.coef[0] = y[0];
	pack(&md, y, n, y, n, params, n_params);
	*sigma2 = 0.0;
	/* the floor of fit_model's likelihood: any non-constant fit is worse */
	*aicc = -1e300;
}

static pgl_rc
arima_fit(const double *y, int32_t n, int32_t m, void *work, double *params, int32_t *n_params,
		  double *aicc, double *sigma2, pgl_status *st)
{
	double	 *w = work;
	ar_search s;
	double	  mean = 0.0, var = 0.0;

	if (check_finite(y, n, st) != PGL_OK)
		return st->rc;
	if (m < 1 || m > PGL_ARIMA_MAX_M)
		return pgl_fail(st, PGL_ERR_INVALID, "arima: season %d is out of range 1 .. %d", m,
						PGL_ARIMA_MAX_M);
	if (n < 4)
		return pgl_fail(st, PGL_ERR_INVALID,
						"arima: a series of %d points is too short: at least 4 are needed", n);
	if (is_constant(y, n))
	{
		fit_constant(y, n, m, params, n_params, aicc, sigma2);
		return PGL_OK;
	}
	memset(&s, 0, sizeof(s));
	s.base.m = m;
	if (m > 1 && n >= 2 * m + 4 && pgl_arima_seas_strength(y, n, m, w + n) > AR_SEAS_CRIT)
		s.base.D = 1;
	s.cx = NULL;
	{
		int len = difference(y, n, 0, s.base.D, m, w);

		s.base.d = len >= 4 ? pgl_arima_ndiffs(w, len, w + n) : 0;
	}
	s.maxp = n / 3 < PGL_ARIMA_MAX_P ? n / 3 : PGL_ARIMA_MAX_P;
	s.maxq = s.maxp;
	s.maxP = m > 1 ? (n / 3 / m < PGL_ARIMA_MAX_SP ? n / 3 / m : PGL_ARIMA_MAX_SP) : 0;
	s.maxQ = s.maxP;
	s.allow_cst = s.base.d + s.base.D <= 1;
	{
		ar_ctx cx;

		cx.nw = difference(y, n, s.base.d, s.base.D, m, w);
		cx.w = w;
		cx.m = m;
		cx.e = w + n;
		cx.e2 = cx.e + n;
		cx.jac = cx.e2 + n;
		for (int t = 0; t < cx.nw; t++)
			mean += w[t] / cx.nw;
		for (int t = 0; t < cx.nw; t++)
			var += (w[t] - mean) * (w[t] - mean) / cx.nw;
		cx.scale = sqrt(var) + 1e-12 * (fabs(mean) + 1.0);
		s.cx = &cx;
		stepwise(&s);
		if (!s.best.ok)
			return pgl_fail(st, PGL_ERR_INVALID,
							"arima: a series of %d points is too short for any candidate model", n);
		css_coef(&cx, &s.best.o, s.best.coef, cx.e);
		pack(&s.best, y, n, cx.e, cx.nw, params, n_params);
		*aicc = comparable_aicc(&s.best, n, cx.nw);
	}
	*sigma2 = s.best.sigma2;
	return PGL_OK;
}

/* ---------- read-back ---------- */

static int
as_int(double v, int lo, int hi, int32_t *out)
{
	if (!(v >= lo && v <= hi) || v != floor(v))
		return 0;
	*out = (int32_t) v;
	return 1;
}

pgl_rc
pgl_arima_order_of(const double *params, int32_t n_params, pgl_arima_order *o, pgl_status *st)
{
	int32_t ly, le;

	if (n_params < AR_HDR || params[0] != PGL_FC_ARIMA)
		return pgl_fail(st, PGL_ERR_CORRUPT, "arima: the fit has %d values or is not an arima fit",
						n_params);
	if (!as_int(params[1], 1, PGL_ARIMA_MAX_M, &o->m) ||
		!as_int(params[2], 0, PGL_ARIMA_MAX_P, &o->p) || !as_int(params[3], 0, 2, &o->d) ||
		!as_int(params[4], 0, PGL_ARIMA_MAX_Q, &o->q) ||
		!as_int(params[5], 0, PGL_ARIMA_MAX_SP, &o->P) || !as_int(params[6], 0, 1, &o->D) ||
		!as_int(params[7], 0, PGL_ARIMA_MAX_SQ, &o->Q) || !as_int(params[8], 0, 1, &o->cst) ||
		!as_int(params[11], 0, 1 << 20, &ly) || !as_int(params[12], 0, 1 << 20, &le))
		return pgl_fail(st, PGL_ERR_CORRUPT, "arima: the fit's orders are out of range");
	if (ly != order_ly(o) || le != order_le(o) ||
		n_params != AR_HDR + o->p + o->q + o->P + o->Q + ly + le)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"arima: the fit has %d values where its orders need %d", n_params,
						AR_HDR + o->p + o->q + o->P + o->Q + order_ly(o) + order_le(o));
	return PGL_OK;
}

const double *
pgl_arima_coefs(const double *params)
{
	return params + AR_HDR;
}

static pgl_rc
arima_check(const double *params, int32_t n_params, pgl_status *st)
{
	pgl_arima_order o;
	const double   *c = params + AR_HDR;
	double			r[PGL_ARIMA_MAX_P + 1], neg[PGL_ARIMA_MAX_P + 1];

	if (pgl_arima_order_of(params, n_params, &o, st) != PGL_OK)
		return st->rc;
	for (int i = 0; i < n_params; i++)
		if (!isfinite(params[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "arima: value %d of the fit is not finite", i);
	if (params[10] < 0.0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "arima: the fit's variance %g is negative",
						params[10]);
	for (int i = 0; i < o.q; i++)
		neg[i] = -c[o.p + i];
	if (!ar_to_pacf(c, o.p, r) || !ar_to_pacf(neg, o.q, r) || !ar_to_pacf(c + o.p + o.q, o.P, r))
		return pgl_fail(st, PGL_ERR_CORRUPT, "arima: the fit is not stationary and invertible");
	for (int i = 0; i < o.Q; i++)
		neg[i] = -c[o.p + o.q + o.P + i];
	if (!ar_to_pacf(neg, o.Q, r))
		return pgl_fail(st, PGL_ERR_CORRUPT, "arima: the fit is not stationary and invertible");
	return PGL_OK;
}

static void
arima_describe(const double *params, int32_t n_params, char *buf, size_t len)
{
	pgl_arima_order o;
	pgl_status		st;
	const char	   *cst;

	if (len == 0)
		return;
	if (pgl_arima_order_of(params, n_params, &o, &st) != PGL_OK)
	{
		snprintf(buf, len, "ARIMA(invalid)");
		return;
	}
	cst = !o.cst ? "" : (o.d + o.D == 0 ? " with non-zero mean" : " with drift");
	if (o.m > 1)
		snprintf(buf, len, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", o.p, o.d, o.q, o.P, o.D, o.Q, o.m,
				 cst);
	else
		snprintf(buf, len, "ARIMA(%d,%d,%d)%s", o.p, o.d, o.q, cst);
}

/* ---------- forecasting ---------- */

/* coefficients of (1 - B)^d (1 - B^m)^D, dense, into delta[0 .. d + mD] */
static void
diff_poly(const pgl_arima_order *o, double *delta)
{
	int deg = 0, dd = o->d + o->m * o->D;

	memset(delta, 0, sizeof(double) * (dd + 1));
	delta[0] = 1.0;
	for (int k = 0; k < o->D + o->d; k++)
	{
		int lag = k < o->D ? o->m : 1;

		for (int i = deg + lag; i >= lag; i--)
			delta[i] -= delta[i - lag];
		deg += lag;
	}
}

/* psi weights psi[0 .. h) of the full model (MA over AR times differencing) */
static void
psi_weights(const pgl_arima_order *o, const ar_poly *ar, const ar_poly *ma, const double *delta,
			int h, double *scratch, double *psi)
{
	int		lz = o->p + o->m * o->P, ly = order_ly(o), le = order_le(o), dd = ly - lz;
	double *ard = scratch, *full = ard + lz + 1, *mad = full + ly + 1;

	poly_dense(ar, ard, lz + 1);
	for (int i = 0; i <= lz; i++)
		ard[i] = i == 0 ? 1.0 : -ard[i];
	memset(full, 0, sizeof(double) * (ly + 1));
	for (int i = 0; i <= lz; i++)
		for (int j = 0; j <= dd; j++)
			full[i + j] += ard[i] * delta[j];
	poly_dense(ma, mad, le + 1);
	for (int j = 0; j < h; j++)
	{
		double v = j == 0 ? 1.0 : (j <= le ? mad[j] : 0.0);

		for (int i = 1; i <= j && i <= ly; i++)
			v -= full[i] * psi[j - i];
		psi[j] = v;
	}
}

static pgl_rc
arima_forecast(const double *params, int32_t n_params, int32_t h, double level, void *work,
			   double *mean, double *lo, double *hi, pgl_status *st)
{
	pgl_arima_order o;
	ar_poly			ar, ma;
	const double   *coef = params + AR_HDR;
	int				nc, ly, le, lz, dd;
	double			c, sigma2, z, var = 0.0;
	double		   *yx, *zx, *ex, *delta, *psi;

	if (pgl_arima_order_of(params, n_params, &o, st) != PGL_OK)
		return st->rc;
	if (h < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "arima: horizon %d must be at least 1", h);
	if (!(level > 0.0 && level < 1.0))
		return pgl_fail(st, PGL_ERR_INVALID, "arima: level %g must be between 0 and 1", level);
	nc = o.p + o.q + o.P + o.Q;
	ly = order_ly(&o);
	le = order_le(&o);
	lz = o.p + o.m * o.P;
	dd = ly - lz;
	c = params[9];
	sigma2 = params[10];
	yx = work;
	zx = yx + ly + h;
	ex = zx + lz + h;
	delta = ex + le + h;
	psi = delta + dd + 1;
	memcpy(yx, coef + nc, sizeof(double) * ly);
	memcpy(ex, coef + nc + ly, sizeof(double) * le);
	memset(ex + le, 0, sizeof(double) * h);
	diff_poly(&o, delta);
	coef_polys(&o, coef, &ar, &ma);
	for (int i = 0; i < lz; i++)
	{
		double w = 0.0;

		for (int j = 0; j <= dd; j++)
			w += delta[j] * yx[dd + i - j];
		zx[i] = w - c;
	}
	for (int s = 0; s < h; s++)
	{
		double v = 0.0, y;

		for (int i = 0; i < ar.n; i++)
			v += ar.c[i] * zx[lz + s - ar.lag[i]];
		for (int i = 0; i < ma.n; i++)
			if (le + s - ma.lag[i] >= 0)
				v += ma.c[i] * ex[le + s - ma.lag[i]];
		zx[lz + s] = v;
		y = v + c;
		for (int j = 1; j <= dd; j++)
			y -= delta[j] * yx[ly + s - j];
		yx[ly + s] = y;
		mean[s] = y;
	}
	psi_weights(&o, &ar, &ma, delta, h, psi + h, psi);
	z = pgl_fc_z(level);
	for (int s = 0; s < h; s++)
	{
		double sd;

		var += psi[s] * psi[s];
		sd = sqrt(sigma2 * var);
		lo[s] = mean[s] - z * sd;
		hi[s] = mean[s] + z * sd;
	}
	return PGL_OK;
}

const pgl_fc_method pgl_fc_arima = {
	.name = "arima",
	.id = PGL_FC_ARIMA,
	.work_size = arima_work_size,
	.max_params = arima_max_params,
	.fit = arima_fit,
	.forecast = arima_forecast,
	.check = arima_check,
	.describe = arima_describe,
};
