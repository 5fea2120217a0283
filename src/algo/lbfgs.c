/*-------------------------------------------------------------------------
 *
 * lbfgs.c
 *	  Limited-memory BFGS with a strong Wolfe line search.
 *
 * The search direction comes from the two-loop recursion over the last m
 * curvature pairs (s, y), with the initial inverse Hessian gamma * I where
 * gamma = sᵀy / yᵀy.  The line search is the bracketing and zoom procedure
 * of Nocedal & Wright, Numerical Optimization (2nd ed.), algorithms 3.5 and
 * 3.6, with safeguarded cubic interpolation.  A non-finite objective or
 * gradient at a trial point (overflow, or a point outside the domain) is
 * treated as "too far" and the step shrinks.
 *
 *-------------------------------------------------------------------------
 */
#include "linear.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#define LS_C1		   1e-4 /* sufficient decrease */
#define LS_C2		   0.9	/* curvature (strong Wolfe) */
#define LS_MAX_BRACKET 40	/* evaluations while bracketing */
#define LS_MAX_ZOOM	   40	/* evaluations while zooming */
#define LS_STEP_MAX	   1e20
#define STALL_RELTOL   (10.0 * DBL_EPSILON)
#define STALL_ITERS	   5

/* one evaluated point of the line search */
typedef struct ls_point
{
	double *x;
	double *g;
	double	a; /* step */
	double	f;
	double	dg; /* directional derivative gᵀd */
} ls_point;

typedef struct ls_state
{
	int32_t		  dim;
	pgl_lbfgs_fg  fg;
	void		 *arg;
	const double *x0;
	const double *d;
	double		  f0;
	double		  dg0;
} ls_state;

static bool
all_finite(const double *v, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

static double
norm_inf(const double *v, int32_t n)
{
	double m = 0.0;

	for (int32_t i = 0; i < n; i++)
		if (fabs(v[i]) > m)
			m = fabs(v[i]);
	return m;
}

static double
dot(const double *a, const double *b, int32_t n)
{
	return n > 0 ? cblas_ddot(n, a, 1, b, 1) : 0.0;
}

/* evaluate phi(a) = f(x0 + a d) into pt; non-finite values become +inf */
static void
ls_eval(const ls_state *ls, ls_point *pt, double a)
{
	const double *x0 = ls->x0;
	const double *d = ls->d;

	for (int32_t i = 0; i < ls->dim; i++)
		pt->x[i] = x0[i] + a * d[i];
	pt->a = a;
	pt->f = ls->fg(ls->arg, pt->x, pt->g);
	if (!isfinite(pt->f) || !all_finite(pt->g, ls->dim))
	{
		pt->f = INFINITY;
		pt->dg = NAN;
	}
	else
		pt->dg = dot(pt->g, d, ls->dim);
}

static void
swap_points(ls_point *a, ls_point *b)
{
	ls_point t = *a;

	*a = *b;
	*b = t;
}

/*
 * A trial step in the interval between lo and hi: the minimizer of the
 * cubic through both ends when it is defined and safely inside, else of the
 * quadratic through f_lo, dg_lo and f_hi, else the midpoint.
 */
static double
ls_interpolate(const ls_point *lo, double hi_a, double hi_f, double hi_dg)
{
	double a_lo = lo->a;
	double width = hi_a - a_lo;
	double left = fmin(a_lo, hi_a) + 0.1 * fabs(width);
	double right = fmax(a_lo, hi_a) - 0.1 * fabs(width);
	double t = NAN;

	if (isfinite(hi_f) && isfinite(hi_dg))
	{
		double d1 = lo->dg + hi_dg - 3.0 * (lo->f - hi_f) / (a_lo - hi_a);
		double disc = d1 * d1 - lo->dg * hi_dg;

		if (disc >= 0.0)
		{
			double d2 = copysign(sqrt(disc), hi_a - a_lo);
			double den = hi_dg - lo->dg + 2.0 * d2;

			if (den != 0.0)
				t = hi_a - (hi_a - a_lo) * (hi_dg + d2 - d1) / den;
		}
	}
	if (!(t >= left && t <= right) && isfinite(hi_f))
	{
		/* quadratic: f_lo + dg_lo s + c s^2 through f_hi */
		double c = (hi_f - lo->f - lo->dg * width) / (width * width);

		if (c > 0.0)
			t = a_lo - lo->dg / (2.0 * c);
	}
	if (!(t >= left && t <= right))
		t = a_lo + 0.5 * width;
	return t;
}

/*
 * Nocedal & Wright algorithm 3.6.  lo satisfies sufficient decrease and has
 * the lowest value seen; hi is the other end of an interval containing
 * strong Wolfe points.  On success the accepted point is left in *lo and
 * true returned; on failure *lo is still the best point found.
 */
static bool
ls_zoom(const ls_state *ls, ls_point *lo, ls_point *trial, double hi_a, double hi_f, double hi_dg)
{
	for (int it = 0; it < LS_MAX_ZOOM; it++)
	{
		double a;

		if (fabs(hi_a - lo->a) <= DBL_EPSILON * fmax(fabs(hi_a), fabs(lo->a)))
			return false;
		a = ls_interpolate(lo, hi_a, hi_f, hi_dg);
		ls_eval(ls, trial, a);
		if (trial->f > ls->f0 + LS_C1 * a * ls->dg0 || trial->f >= lo->f)
		{
			hi_a = a;
			hi_f = trial->f;
			hi_dg = trial->dg;
		}
		else
		{
			if (fabs(trial->dg) <= -LS_C2 * ls->dg0)
			{
				swap_points(lo, trial);
				return true;
			}
			if (trial->dg * (hi_a - lo->a) >= 0.0)
			{
				hi_a = lo->a;
				hi_f = lo->f;
				hi_dg = lo->dg;
			}
			swap_points(lo, trial);
		}
	}
	return false;
}

/*
 * Nocedal & Wright algorithm 3.5 from step a_init.  Returns true when a
 * point with strictly lower f was found (a strong Wolfe point, or failing
 * that the best sufficient-decrease point), left in *best.
 */
static bool
line_search(const ls_state *ls, double a_init, ls_point *best, ls_point *trial)
{
	double a = a_init;

	/* best starts as the point a = 0 */
	best->a = 0.0;
	best->f = ls->f0;
	best->dg = ls->dg0;

	for (int it = 0; it < LS_MAX_BRACKET; it++)
	{
		ls_eval(ls, trial, a);
		if (trial->f > ls->f0 + LS_C1 * a * ls->dg0 || (it > 0 && trial->f >= best->f))
		{
			/* [best, trial] brackets a Wolfe point (or trial is too far) */
			ls_zoom(ls, best, trial, trial->a, trial->f, trial->dg);
			return best->a > 0.0 && best->f < ls->f0;
		}
		if (fabs(trial->dg) <= -LS_C2 * ls->dg0)
		{
			swap_points(best, trial);
			return true;
		}
		if (trial->dg >= 0.0)
		{
			double hi_a = best->a;
			double hi_f = best->f;
			double hi_dg = best->dg;

			swap_points(best, trial);
			ls_zoom(ls, best, trial, hi_a, hi_f, hi_dg);
			return best->f < ls->f0;
		}
		/* still descending: extrapolate */
		swap_points(best, trial);
		if (a >= LS_STEP_MAX)
			return best->f < ls->f0;
		a = fmin(4.0 * a, LS_STEP_MAX);
	}
	return best->a > 0.0 && best->f < ls->f0;
}

pgl_rc
pgl_lbfgs(const pgl_env *env, int32_t dim, double *x, pgl_lbfgs_fg fg, void *arg, int32_t max_iter,
		  double tol, int32_t memory, pgl_lbfgs_result *res, pgl_status *st)
{
	double	*g = NULL;
	double	*d = NULL;
	double	*S = NULL;
	double	*Y = NULL;
	double	*rho = NULL;
	double	*alpha = NULL;
	double	*buf = NULL;
	ls_point best;
	ls_point trial;
	ls_state ls;
	double	 f;
	double	 gnorm;
	int32_t	 npairs = 0;
	int32_t	 head = 0; /* slot of the next pair */
	int32_t	 iter = 0;
	int32_t	 stall = 0;
	bool	 converged = false;
	pgl_rc	 rc = PGL_OK;

	if (dim < 0 || max_iter < 0 || !(tol >= 0.0))
		return pgl_fail(st, PGL_ERR_INVALID, "lbfgs: invalid arguments");
	if (memory < 1)
		memory = 1;

	g = pgl_alloc(env, sizeof(double) * (size_t) dim);
	d = pgl_alloc(env, sizeof(double) * (size_t) dim);
	S = pgl_alloc(env, sizeof(double) * (size_t) dim * (size_t) memory);
	Y = pgl_alloc(env, sizeof(double) * (size_t) dim * (size_t) memory);
	rho = pgl_alloc(env, sizeof(double) * (size_t) memory);
	alpha = pgl_alloc(env, sizeof(double) * (size_t) memory);
	buf = pgl_alloc(env, sizeof(double) * 4 * (size_t) dim);
	if (g == NULL || d == NULL || S == NULL || Y == NULL || rho == NULL || alpha == NULL ||
		buf == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	best.x = buf;
	best.g = buf + dim;
	trial.x = buf + 2 * (size_t) dim;
	trial.g = buf + 3 * (size_t) dim;

	f = fg(arg, x, g);
	if (!isfinite(f) || !all_finite(g, dim))
	{
		rc = pgl_fail(st, PGL_ERR_NUMERIC, "the objective is not finite at the starting point");
		goto done;
	}
	gnorm = norm_inf(g, dim);
	converged = gnorm <= tol;

	ls.dim = dim;
	ls.fg = fg;
	ls.arg = arg;
	ls.x0 = x;
	ls.d = d;

	while (!converged && iter < max_iter)
	{
		double dg;
		double a_init;
		bool   ok;

		pgl_interrupts(env);

		/* two-loop recursion: d = -H g */
		for (int32_t i = 0; i < dim; i++)
			d[i] = -g[i];
		for (int32_t k = 0; k < npairs; k++)
		{
			int32_t s = (head - 1 - k + memory) % memory;

			alpha[s] = rho[s] * dot(S + (size_t) s * dim, d, dim);
			cblas_daxpy(dim, -alpha[s], Y + (size_t) s * dim, 1, d, 1);
		}
		if (npairs > 0)
		{
			int32_t		  s = (head - 1 + memory) % memory;
			const double *ys = Y + (size_t) s * dim;
			double		  gamma = 1.0 / (rho[s] * dot(ys, ys, dim));

			cblas_dscal(dim, gamma, d, 1);
		}
		for (int32_t k = npairs - 1; k >= 0; k--)
		{
			int32_t s = (head - 1 - k + memory) % memory;
			double	beta = rho[s] * dot(Y + (size_t) s * dim, d, dim);

			cblas_daxpy(dim, alpha[s] - beta, S + (size_t) s * dim, 1, d, 1);
		}

		dg = dot(g, d, dim);
		if (!(dg < 0.0) || !all_finite(d, dim))
		{
			/* not a descent direction: restart from steepest descent */
			npairs = 0;
			for (int32_t i = 0; i < dim; i++)
				d[i] = -g[i];
			dg = -dot(g, g, dim);
		}
		a_init = npairs > 0 ? 1.0 : fmin(1.0, 1.0 / sqrt(-dg));

		ls.f0 = f;
		ls.dg0 = dg;
		ok = line_search(&ls, a_init, &best, &trial);
		if (!ok && npairs > 0)
		{
			/* the quasi-Newton direction failed: retry steepest descent */
			npairs = 0;
			for (int32_t i = 0; i < dim; i++)
				d[i] = -g[i];
			dg = -dot(g, g, dim);
			ls.dg0 = dg;
			ok = line_search(&ls, fmin(1.0, 1.0 / sqrt(-dg)), &best, &trial);
		}
		if (!ok)
			break; /* no progress possible; keep x */

		iter++;

		/* store the pair s = x+ - x, y = g+ - g when the curvature is positive */
		{
			double *sv = S + (size_t) head * dim;
			double *yv = Y + (size_t) head * dim;
			double	sy;
			double	yy;

			for (int32_t i = 0; i < dim; i++)
			{
				sv[i] = best.x[i] - x[i];
				yv[i] = best.g[i] - g[i];
			}
			sy = dot(sv, yv, dim);
			yy = dot(yv, yv, dim);
			if (sy > DBL_EPSILON * yy && yy > 0.0)
			{
				rho[head] = 1.0 / sy;
				head = (head + 1) % memory;
				if (npairs < memory)
					npairs++;
			}
		}

		if (fabs(f - best.f) <= STALL_RELTOL * fmax(fabs(f), fabs(best.f)))
			stall++;
		else
			stall = 0;

		memcpy(x, best.x, sizeof(double) * (size_t) dim);
		memcpy(g, best.g, sizeof(double) * (size_t) dim);
		f = best.f;
		gnorm = norm_inf(g, dim);
		converged = gnorm <= tol;

		pgl_progress(env, iter, max_iter, f);

		if (stall >= STALL_ITERS)
			break;
	}

	res->iterations = iter;
	res->f = f;
	res->gnorm_inf = gnorm;
	res->converged = converged;

done:
	pgl_free(env, g);
	pgl_free(env, d);
	pgl_free(env, S);
	pgl_free(env, Y);
	pgl_free(env, rho);
	pgl_free(env, alpha);
	pgl_free(env, buf);
	return rc;
}
