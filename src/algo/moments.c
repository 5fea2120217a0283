/*-------------------------------------------------------------------------
 *
 * moments.c
 *	  Streaming, mergeable moments: the states of ai_stats_agg and
 *	  ai_linreg_agg (see moments.h for the layouts).
 *
 * Rows are added with Welford's update (the mean moves by delta / n, the
 * co-moments by (n - 1) / n * delta deltaᵀ with delta taken from the old
 * mean) and partial states merged with Chan, Golub and LeVeque's pairwise
 * formula
 *	 C = C_a + C_b + (n_a n_b / n) (mean_b - mean_a)(mean_b - mean_a)ᵀ,
 * which never forms raw sums of squares, so a large offset does not cancel.
 * A column that is constant stays exactly constant: its deltas are exactly
 * 0, so its variance is exactly 0 and its mean exactly the value.
 *
 *-------------------------------------------------------------------------
 */
#include "moments.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linear.h"

/* ---------- shared checks ---------- */

/* p from s[0]: a whole number in 1 .. PGL_MOMENTS_MAX_P, else -1 */
static int32_t
state_p(const double *s, size_t len)
{
	if (len < 1 || !(s[0] >= 1.0 && s[0] <= PGL_MOMENTS_MAX_P) || s[0] != floor(s[0]))
		return -1;
	return (int32_t) s[0];
}

static bool
whole_count(double n)
{
	return n >= 0.0 && n <= 9007199254740992.0 && n == floor(n);
}

/* ---------- ai_stats_agg ---------- */

void
pgl_stats_init(double *s, int32_t p)
{
	s[0] = p;
	memset(s + 1, 0, sizeof(double) * 5 * (size_t) p);
}

void
pgl_stats_merge(double *a, const double *b, int32_t p)
{
	for (int32_t j = 0; j < p; j++)
	{
		double		 *ca = a + 1 + 5 * (size_t) j;
		const double *cb = b + 1 + 5 * (size_t) j;
		double		  na = ca[0], nb = cb[0], n, delta;

		if (nb == 0.0)
			continue;
		if (na == 0.0)
		{
			memcpy(ca, cb, sizeof(double) * 5);
			continue;
		}
		n = na + nb;
		delta = cb[1] - ca[1];
		ca[0] = n;
		ca[1] += delta * (nb / n);
		ca[2] += cb[2] + delta * delta * (na / n) * nb;
		if (cb[3] < ca[3])
			ca[3] = cb[3];
		if (cb[4] > ca[4])
			ca[4] = cb[4];
	}
}

bool
pgl_stats_check(const double *s, size_t len, char *why, size_t whylen)
{
	int32_t p = state_p(s, len);

	if (p < 0)
	{
		snprintf(why, whylen,
				 len < 1 ? "It is empty."
						 : "Its first element, the number of columns, is not a whole number "
						   "from 1 to 10000.");
		return false;
	}
	if (len != PGL_STATS_LEN(p))
	{
		snprintf(why, whylen, "With %d columns, a state has %zu elements, not %zu.", (int) p,
				 PGL_STATS_LEN(p), len);
		return false;
	}
	for (size_t i = 1; i < len; i++)
		if (!isfinite(s[i]))
		{
			snprintf(why, whylen, "Element %zu is not a finite number.", i + 1);
			return false;
		}
	for (int32_t j = 0; j < p; j++)
	{
		const double *c = s + 1 + 5 * (size_t) j;

		if (!whole_count(c[0]) || c[2] < 0.0 || c[3] > c[4])
		{
			snprintf(why, whylen, "The moments of column %d are inconsistent.", (int) j + 1);
			return false;
		}
	}
	return true;
}

/* ---------- ai_linreg_agg ---------- */

void
pgl_linreg_state_init(double *s, int32_t p)
{
	s[0] = p;
	memset(s + 1, 0, sizeof(double) * (PGL_LINREG_STATE_LEN(p) - 1));
}

void
pgl_linreg_state_add(double *s, int32_t p, const double *x, double y)
{
	double *mean = s + 2;
	double *C = s + 2 + (size_t) p + 1;
	double	n = s[1] + 1.0;
	double	f = (n - 1.0) / n;
	double	dy = y - mean[p];

	s[1] = n;
	if (n > 1.0)
	{
		/* C += f delta deltaᵀ, delta = z - old mean, column by column */
		for (int32_t b = 0; b <= p; b++)
		{
			double *cb = C + PGL_PACKED(0, b);
			double	fdb = f * (b < p ? x[b] - mean[b] : dy);
			int32_t top = b < p ? b : p - 1;

			for (int32_t a = 0; a <= top; a++)
				cb[a] += fdb * (x[a] - mean[a]);
			if (b == p)
				cb[p] += fdb * dy;
		}
	}
	for (int32_t a = 0; a < p; a++)
		mean[a] += (x[a] - mean[a]) / n;
	mean[p] += dy / n;
}

void
pgl_linreg_state_merge(double *a, const double *b, int32_t p)
{
	size_t		  len = PGL_LINREG_STATE_LEN(p);
	double		  na = a[1], nb = b[1], n, f, wb;
	double		 *ma = a + 2;
	const double *mb = b + 2;
	double		 *Ca = a + 2 + (size_t) p + 1;
	const double *Cb = b + 2 + (size_t) p + 1;

	if (nb == 0.0)
		return;
	if (na == 0.0)
	{
		memcpy(a, b, sizeof(double) * len);
		return;
	}
	n = na + nb;
	f = (na / n) * nb;
	wb = nb / n;
	for (int32_t j = 0; j <= p; j++)
	{
		size_t k = PGL_PACKED(0, j);
		double fdj = f * (mb[j] - ma[j]);

		for (int32_t i = 0; i <= j; i++)
			Ca[k + i] += Cb[k + i] + fdj * (mb[i] - ma[i]);
	}
	for (int32_t j = 0; j <= p; j++)
		ma[j] += (mb[j] - ma[j]) * wb;
	a[1] = n;
}

bool
pgl_linreg_state_check(const double *s, size_t len, char *why, size_t whylen)
{
	int32_t p = state_p(s, len);

	if (p < 0)
	{
		snprintf(why, whylen,
				 len < 1 ? "It is empty."
						 : "Its first element, the number of features, is not a whole number "
						   "from 1 to 10000.");
		return false;
	}
	if (len != PGL_LINREG_STATE_LEN(p))
	{
		snprintf(why, whylen, "With %d features, a state has %zu elements, not %zu.", (int) p,
				 PGL_LINREG_STATE_LEN(p), len);
		return false;
	}
	for (size_t i = 1; i < len; i++)
		if (!isfinite(s[i]))
		{
			snprintf(why, whylen, "Element %zu is not a finite number.", i + 1);
			return false;
		}
	if (!whole_count(s[1]))
	{
		snprintf(why, whylen, "Its row count, %g, is not a whole number >= 0.", s[1]);
		return false;
	}
	{
		const double *C = s + 2 + (size_t) p + 1;

		for (int32_t j = 0; j <= p; j++)
			if (C[PGL_PACKED(j, j)] < 0.0)
			{
				snprintf(why, whylen, "The variance of column %d is negative.", (int) j + 1);
				return false;
			}

		/*
		 * A co-moment matrix is positive semi-definite: |C_ab| <= sqrt(C_aa
		 * C_bb), with room for rounding (a constant column's co-moments are
		 * exactly 0); with fewer than two rows it is 0.
		 */
		for (int32_t b = 0; b <= p; b++)
			for (int32_t a = 0; a < b; a++)
			{
				double bound = sqrt(C[PGL_PACKED(a, a)] * C[PGL_PACKED(b, b)]);

				if (fabs(C[PGL_PACKED(a, b)]) > bound * (1.0 + 1e-6) ||
					(s[1] < 2.0 && C[PGL_PACKED(a, b)] != 0.0))
				{
					snprintf(why, whylen,
							 "The co-moment of columns %d and %d is not possible for its variances "
							 "and row count.",
							 (int) a + 1, (int) b + 1);
					return false;
				}
			}
		if (s[1] < 2.0)
			for (int32_t j = 0; j <= p; j++)
				if (C[PGL_PACKED(j, j)] != 0.0 || (s[1] == 0.0 && s[2 + j] != 0.0))
				{
					snprintf(why, whylen,
							 "With %.0f rows, column %d cannot have a variance or a mean.", s[1],
							 (int) j + 1);
					return false;
				}
	}
	return true;
}

pgl_rc
pgl_linreg_state_solve(const pgl_env *env, const double *s, double l2, double *coef, int32_t *rank,
					   pgl_status *st)
{
	int32_t		  p = (int32_t) s[0];
	double		  n = s[1];
	const double *mean = s + 2;
	const double *C = s + 2 + (size_t) p + 1;
	size_t		  ldg = (size_t) p + 1;
	double		 *G = NULL, *maxabs = NULL;
	bool		 *constant = NULL;
	pgl_rc		  rc;

	if (n < 1.0)
		return pgl_fail(st, PGL_ERR_INVALID, "the state holds no rows");
	if (!(l2 >= 0.0 && isfinite(l2)))
		return pgl_fail(st, PGL_ERR_INVALID, "l2 must be a finite number >= 0, not %g", l2);
	G = pgl_alloc0(env, sizeof(double) * ldg * ldg);
	maxabs = pgl_alloc(env, sizeof(double) * (size_t) p);
	constant = pgl_alloc(env, sizeof(bool) * (size_t) p);
	if (G == NULL || maxabs == NULL || constant == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t b = 0; b < ldg; b++)
		for (size_t a = 0; a <= b; a++)
			G[a + b * ldg] = C[PGL_PACKED(a, b)];
	for (int32_t j = 0; j < p; j++)
	{
		double cjj = C[PGL_PACKED(j, j)];

		constant[j] = cjj == 0.0;
		maxabs[j] = fabs(mean[j]) + sqrt(cjj / n);
	}
	rc = pgl_linreg_solve(env, G, (int64_t) n, p, mean, mean[p], maxabs, constant, l2, coef, rank,
						  st);

done:
	pgl_free(env, G);
	pgl_free(env, maxabs);
	pgl_free(env, constant);
	return rc;
}
