/*-------------------------------------------------------------------------
 *
 * aggsteps.c
 *	  Mergeable states of one optimizer step: the logistic-regression loss
 *	  and gradient (ai_logreg_grad_agg) and one Lloyd step of k-means
 *	  (ai_kmeans_step_agg).  Layouts in aggsteps.h.
 *
 *-------------------------------------------------------------------------
 */
#include "aggsteps.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool
whole_count(double n)
{
	return n >= 0.0 && n <= 9007199254740992.0 && n == floor(n);
}

static bool
all_finite(const double *s, size_t from, size_t len, char *why, size_t whylen)
{
	for (size_t i = from; i < len; i++)
		if (!isfinite(s[i]))
		{
			snprintf(why, whylen, "Element %zu is not a finite number.", i + 1);
			return false;
		}
	return true;
}

/* ---------- ai_logreg_grad_agg ---------- */

void
pgl_logreg_grad_init(double *s, int32_t p)
{
	s[0] = p;
	memset(s + 1, 0, sizeof(double) * (PGL_LOGREG_GRAD_LEN(p) - 1));
}

void
pgl_logreg_grad_add(double *s, int32_t p, const double *w, const double *x, double y)
{
	double *g = s + 3;
	double	z = w[p];
	double	e, sig, r;

	for (int32_t j = 0; j < p; j++)
		z += w[j] * x[j];
	/* log(1 + e^z) - y z, with log(1 + e^z) = max(z, 0) + log1p(e^-|z|) */
	e = exp(-fabs(z));
	s[1] += 1.0;
	s[2] += (z > 0.0 ? z : 0.0) + log1p(e) - y * z;
	sig = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
	r = sig - y;
	for (int32_t j = 0; j < p; j++)
		g[j] += r * x[j];
	g[p] += r;
}

void
pgl_logreg_grad_merge(double *a, const double *b, int32_t p)
{
	for (size_t i = 1; i < PGL_LOGREG_GRAD_LEN(p); i++)
		a[i] += b[i];
}

bool
pgl_logreg_grad_check(const double *s, size_t len, char *why, size_t whylen)
{
	int32_t p;

	if (len < 1 || !(s[0] >= 1.0 && s[0] <= PGL_LOGREG_GRAD_MAX_P) || s[0] != floor(s[0]))
	{
		snprintf(why, whylen,
				 len < 1 ? "It is empty."
						 : "Its first element, the number of features, is not a whole number "
						   "from 1 to 10000.");
		return false;
	}
	p = (int32_t) s[0];
	if (len != PGL_LOGREG_GRAD_LEN(p))
	{
		snprintf(why, whylen, "With %d features, a state has %zu elements, not %zu.", (int) p,
				 PGL_LOGREG_GRAD_LEN(p), len);
		return false;
	}
	if (!all_finite(s, 1, len, why, whylen))
		return false;
	if (!whole_count(s[1]))
	{
		snprintf(why, whylen, "Its row count, %g, is not a whole number >= 0.", s[1]);
		return false;
	}
	if (s[2] < 0.0)
	{
		snprintf(why, whylen, "Its loss, %g, is negative.", s[2]);
		return false;
	}
	/* each row adds sigmoid(z) - y, in (-1, 1), to the intercept's gradient */
	if (fabs(s[3 + p]) > s[1])
	{
		snprintf(why, whylen, "Its intercept gradient, %g, is not possible for %.0f rows.",
				 s[3 + p], s[1]);
		return false;
	}
	if (s[1] == 0.0)
		for (size_t i = 2; i < len; i++)
			if (s[i] != 0.0)
			{
				snprintf(why, whylen, "With 0 rows, element %zu must be 0.", i + 1);
				return false;
			}
	return true;
}

/* ---------- ai_softmax_grad_agg ---------- */

void
pgl_softmax_grad_init(double *s, int32_t p, int32_t k)
{
	s[0] = p;
	s[1] = k;
	memset(s + 2, 0, sizeof(double) * (PGL_SOFTMAX_GRAD_LEN(p, k) - 2));
}

void
pgl_softmax_grad_add(double *s, int32_t p, int32_t k, const double *w, const double *x, int32_t y,
					 double *z)
{
	double *g = s + 4;
	double	m, sum = 0.0, lse;

	for (int32_t c = 0; c < k; c++)
		z[c] = w[(size_t) p * k + c];
	for (int32_t j = 0; j < p; j++)
		if (x[j] != 0.0)
			for (int32_t c = 0; c < k; c++)
				z[c] += w[(size_t) j * k + c] * x[j];
	m = z[0];
	for (int32_t c = 1; c < k; c++)
		if (z[c] > m)
			m = z[c];
	for (int32_t c = 0; c < k; c++)
		sum += exp(z[c] - m);
	lse = m + log(sum);
	s[2] += 1.0;
	s[3] += lse - z[y];
	for (int32_t c = 0; c < k; c++)
	{
		double r = exp(z[c] - lse) - (c == y ? 1.0 : 0.0);

		if (r == 0.0)
			continue;
		for (int32_t j = 0; j < p; j++)
			g[(size_t) j * k + c] += r * x[j];
		g[(size_t) p * k + c] += r;
	}
}

void
pgl_softmax_grad_merge(double *a, const double *b)
{
	size_t len = PGL_SOFTMAX_GRAD_LEN((int32_t) a[0], (int32_t) a[1]);

	for (size_t i = 2; i < len; i++)
		a[i] += b[i];
}

bool
pgl_softmax_grad_check(const double *s, size_t len, char *why, size_t whylen)
{
	int32_t p, k;

	if (len < 2 || !(s[0] >= 1.0 && s[0] <= PGL_LOGREG_GRAD_MAX_P) || s[0] != floor(s[0]) ||
		!(s[1] >= 2.0 && s[1] <= PGL_SOFTMAX_MAX_K) || s[1] != floor(s[1]) ||
		s[0] * s[1] > PGL_SOFTMAX_MAX_PK)
	{
		snprintf(why, whylen,
				 "Its first two elements, the numbers of features and classes, are not whole "
				 "numbers from 1 to %d and from 2 to %d with a product of at most %d.",
				 PGL_LOGREG_GRAD_MAX_P, PGL_SOFTMAX_MAX_K, PGL_SOFTMAX_MAX_PK);
		return false;
	}
	p = (int32_t) s[0];
	k = (int32_t) s[1];
	if (len != PGL_SOFTMAX_GRAD_LEN(p, k))
	{
		snprintf(why, whylen, "With %d features and %d classes, a state has %zu elements, not %zu.",
				 (int) p, (int) k, PGL_SOFTMAX_GRAD_LEN(p, k), len);
		return false;
	}
	if (!all_finite(s, 2, len, why, whylen))
		return false;
	if (!whole_count(s[2]))
	{
		snprintf(why, whylen, "Its row count, %g, is not a whole number >= 0.", s[2]);
		return false;
	}
	if (s[3] < 0.0)
	{
		snprintf(why, whylen, "Its loss, %g, is negative.", s[3]);
		return false;
	}
	/* each row adds softmax - onehot, in (-1, 1), to each intercept's gradient */
	for (int32_t c = 0; c < k; c++)
		if (fabs(s[4 + (size_t) p * k + c]) > s[2])
		{
			snprintf(why, whylen, "Its intercept gradient %d, %g, is not possible for %.0f rows.",
					 (int) c + 1, s[4 + (size_t) p * k + c], s[2]);
			return false;
		}
	if (s[2] == 0.0)
		for (size_t i = 3; i < len; i++)
			if (s[i] != 0.0)
			{
				snprintf(why, whylen, "With 0 rows, element %zu must be 0.", i + 1);
				return false;
			}
	return true;
}

/* ---------- ai_kmeans_step_agg ---------- */

void
pgl_kmeans_init(double *s, int32_t k, int32_t d, const double *c)
{
	size_t kd = (size_t) k * (size_t) d;

	s[0] = k;
	s[1] = d;
	s[2] = 0.0;
	memcpy(s + 3, c, sizeof(double) * kd);
	memset(s + 3 + kd, 0, sizeof(double) * (kd + (size_t) k));
}

int32_t
pgl_kmeans_add(double *s, const double *x)
{
	int32_t		  k = (int32_t) s[0], d = (int32_t) s[1];
	size_t		  kd = (size_t) k * (size_t) d;
	const double *old = s + 3;
	double		 *counts = s + 3 + kd;
	double		 *off = counts + k;
	double		  best = INFINITY;
	int32_t		  c = 0;

	for (int32_t i = 0; i < k; i++)
	{
		const double *ci = old + (size_t) i * (size_t) d;
		double		  dist = 0.0;

		for (int32_t j = 0; j < d; j++)
		{
			double t = x[j] - ci[j];

			dist += t * t;
		}
		/* strict: the lowest index wins a tie */
		if (dist < best)
		{
			best = dist;
			c = i;
		}
	}
	/* every distance overflowed: centroid 0, an infinite inertia (caller checks) */
	s[2] += best;
	counts[c] += 1.0;
	for (int32_t j = 0; j < d; j++)
		off[(size_t) c * (size_t) d + j] += x[j] - old[(size_t) c * (size_t) d + j];
	return c;
}

bool
pgl_kmeans_merge(double *a, const double *b)
{
	int32_t k = (int32_t) a[0], d = (int32_t) a[1];
	size_t	kd = (size_t) k * (size_t) d;

	if (a[0] != b[0] || a[1] != b[1] || memcmp(a + 3, b + 3, sizeof(double) * kd) != 0)
		return false;
	a[2] += b[2];
	for (size_t i = 3 + kd; i < PGL_KMEANS_LEN(k, d); i++)
		a[i] += b[i];
	return true;
}

void
pgl_kmeans_centroids(const double *s, double *out)
{
	int32_t		  k = (int32_t) s[0], d = (int32_t) s[1];
	size_t		  kd = (size_t) k * (size_t) d;
	const double *old = s + 3;
	const double *counts = s + 3 + kd;
	const double *off = counts + k;

	for (int32_t c = 0; c < k; c++)
		for (int32_t j = 0; j < d; j++)
		{
			size_t i = (size_t) c * (size_t) d + j;

			out[i] = counts[c] > 0.0 ? old[i] + off[i] / counts[c] : old[i];
		}
}

bool
pgl_kmeans_check(const double *s, size_t len, char *why, size_t whylen)
{
	int32_t		  k, d;
	size_t		  kd;
	const double *counts, *off;

	if (len < 2 || !(s[0] >= 1.0 && s[0] <= PGL_KMEANS_MAX_K) || s[0] != floor(s[0]) ||
		!(s[1] >= 1.0 && s[1] <= PGL_KMEANS_MAX_D) || s[1] != floor(s[1]) ||
		s[0] * s[1] > PGL_KMEANS_MAX_KD)
	{
		snprintf(why, whylen,
				 len < 2 ? "It has fewer than 2 elements."
						 : "Its first two elements, the number of centroids and of dimensions, "
						   "are not whole numbers from 1 to 100000 and 10000 with a product of "
						   "at most 10000000.");
		return false;
	}
	k = (int32_t) s[0];
	d = (int32_t) s[1];
	kd = (size_t) k * (size_t) d;
	if (len != PGL_KMEANS_LEN(k, d))
	{
		snprintf(why, whylen,
				 "With %d centroids of %d dimensions, a state has %zu elements, not %zu.", (int) k,
				 (int) d, PGL_KMEANS_LEN(k, d), len);
		return false;
	}
	if (!all_finite(s, 2, len, why, whylen))
		return false;
	if (s[2] < 0.0)
	{
		snprintf(why, whylen, "Its inertia, %g, is negative.", s[2]);
		return false;
	}
	counts = s + 3 + kd;
	off = counts + k;
	for (int32_t c = 0; c < k; c++)
	{
		if (!whole_count(counts[c]))
		{
			snprintf(why, whylen, "The count of centroid %d, %g, is not a whole number >= 0.",
					 (int) c + 1, counts[c]);
			return false;
		}
		if (counts[c] == 0.0)
			for (int32_t j = 0; j < d; j++)
				if (off[(size_t) c * (size_t) d + j] != 0.0)
				{
					snprintf(why, whylen, "Centroid %d has no points but a nonzero sum.",
							 (int) c + 1);
					return false;
				}
	}
	return true;
}
