/*-------------------------------------------------------------------------
 *
 * moments.h
 *	  Streaming, mergeable moments (moments.c): the states of the
 *	  ai_stats_agg and ai_linreg_agg aggregates.
 *
 * Both states are flat arrays of doubles, so the glue stores them as a
 * float8[] (a real SQL type with text input and output: parallel query and
 * Citus ship partial states between processes and nodes as such).  Rows are
 * added with Welford's update and partial states merged with Chan et al.'s
 * pairwise formula, so any order or grouping of the rows gives the same
 * result up to rounding.
 *
 * ai_stats_agg, p columns, PGL_STATS_LEN(p) doubles:
 *	 [p, then per column j: n, mean, M2, min, max]
 * (M2 = sum of squared deviations from the mean; min = max = 0 while n = 0).
 *
 * ai_linreg_agg, p features, PGL_LINREG_STATE_LEN(p) doubles:
 *	 [p, n, mean of x_1 .. x_p and of y (p + 1), C]
 * where C is the centred co-moment matrix of z = [x, y] (sum over rows of
 * (z - mean)(z - mean)ᵀ), upper triangle packed column by column: element
 * (a, b), a <= b, at PGL_PACKED(a, b).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_MOMENTS_H
#define PGL_MOMENTS_H

#include "pgl_algo.h"

/* columns / features a state may have */
#define PGL_MOMENTS_MAX_P 10000

#define PGL_STATS_LEN(p) (1 + 5 * (size_t) (p))

#define PGL_PACKED(a, b) ((size_t) (b) * ((size_t) (b) + 1) / 2 + (size_t) (a))
#define PGL_LINREG_STATE_LEN(p)                                                                    \
	(2 + ((size_t) (p) + 1) + ((size_t) (p) + 1) * ((size_t) (p) + 2) / 2)

/* ---------- ai_stats_agg ---------- */

/* an empty state of p columns */
extern void pgl_stats_init(double *s, int32_t p);

/* add value v to column j (0-based) */
static inline void
pgl_stats_add1(double *s, int32_t j, double v)
{
	double *c = s + 1 + 5 * (size_t) j;
	double	n = c[0] + 1.0;
	double	delta = v - c[1];

	c[0] = n;
	c[1] += delta / n;
	c[2] += delta * (v - c[1]);
	if (n == 1.0)
		c[3] = c[4] = v;
	else
	{
		if (v < c[3])
			c[3] = v;
		if (v > c[4])
			c[4] = v;
	}
}

/* a += b (same p) */
extern void pgl_stats_merge(double *a, const double *b, int32_t p);

/*
 * Is s (len doubles) a state of ai_stats_agg?  Checks the length against
 * p, 1 <= p <= PGL_MOMENTS_MAX_P, counts whole and >= 0, every value finite,
 * M2 >= 0 and min <= max; otherwise false, with the reason in why.
 */
extern bool pgl_stats_check(const double *s, size_t len, char *why, size_t whylen);

/* ---------- ai_linreg_agg ---------- */

/* an empty state of p features */
extern void pgl_linreg_state_init(double *s, int32_t p);

/* add one row: x (p values) and y, all finite */
extern void pgl_linreg_state_add(double *s, int32_t p, const double *x, double y);

/* a += b (same p) */
extern void pgl_linreg_state_merge(double *a, const double *b, int32_t p);

/*
 * Is s (len doubles) a state of ai_linreg_agg?  Checks the length against
 * p, 1 <= p <= PGL_MOMENTS_MAX_P, n whole and >= 0, every value finite and
 * the diagonal of C >= 0; otherwise false, with the reason in why.
 */
extern bool pgl_linreg_state_check(const double *s, size_t len, char *why, size_t whylen);

/*
 * Ridge coefficients from a (checked) state, through pgl_linreg_solve:
 * coef gets p weights then the intercept; *rank as pgl_linreg_solve.  A
 * column is constant when its variance is exactly 0; its magnitude (for the
 * rounding-noise test) is |mean| + standard deviation.  Fails on n < 1.
 */
extern pgl_rc pgl_linreg_state_solve(const pgl_env *env, const double *s, double l2, double *coef,
									 int32_t *rank, pgl_status *st);

#endif /* PGL_MOMENTS_H */
