/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  k-means clustering: greedy k-means++ seeding on a seeded sample, Lloyd
 *	  iterations with BLAS distances, and the silhouette on a sample.
 *
 * The nearest centroid of a row x minimizes ||x - c||² = ||x||² - 2 x·c +
 * ||c||²; ||x||² is the same for every c, so a block of rows is assigned
 * from ||c||² - 2 X_blk Cᵀ, one DGEMM per block of rows.  The squared
 * distance to the chosen centroid is then recomputed directly (no
 * cancellation), so the inertia is exact whatever the scale of the data.
 * A new centroid is its old position plus the mean offset of its rows
 * (like ai_kmeans_step_agg), which avoids the cancellation of raw sums far
 * from the origin.
 *
 *-------------------------------------------------------------------------
 */
#include "kmeans.h"
#include "prep.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* the DGEMM block holds at most this many distances */
#define BLOCK_CELLS (1 << 17)

static double
sqdist(const double *a, const double *b, int32_t p)
{
	double s = 0.0;

	for (int32_t j = 0; j < p; j++)
	{
		double t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/* row i of column-major X into out (p values) */
static void
get_row(const double *X, int64_t ld, int32_t p, int64_t i, double *out)
{
	for (int32_t j = 0; j < p; j++)
		out[j] = X[i + ld * j];
}

/* squared distance of row i of X to c */
static double
row_sqdist(const double *X, int64_t ld, int32_t p, int64_t i, const double *c)
{
	double s = 0.0;

	for (int32_t j = 0; j < p; j++)
	{
		double t = X[i + ld * j] - c[j];

		s += t * t;
	}
	return s;
}

/*
 * Selection sampling (Knuth's algorithm S): m of the n row numbers,
 * ascending, each subset equally likely; all rows when m >= n.
 */
static int64_t
sample_rows(uint64_t *rng, int64_t n, int64_t m, int64_t *idx)
{
	int64_t got = 0;

	if (m >= n)
	{
		for (int64_t i = 0; i < n; i++)
			idx[i] = i;
		return n;
	}
	for (int64_t i = 0; i < n && got < m; i++)
		if ((double) (n - i) * pgl_rng_uniform(rng) < (double) (m - got))
			idx[got++] = i;
	return got;
}

pgl_rc
pgl_kmeans_assign(const pgl_env *env, const double *C, int32_t k, int32_t p, const double *X,
				  int64_t ld, int64_t n, int32_t *label, double *dist2, pgl_status *st)
{
	int64_t block = BLOCK_CELLS / (k > 0 ? k : 1);
	double *cc, *D;

	if (block < 1)
		block = 1;
	if (block > n)
		block = n;
	if (n <= 0)
		return PGL_OK;
	cc = pgl_alloc(env, sizeof(double) * (size_t) k);
	D = pgl_alloc(env, sizeof(double) * (size_t) block * (size_t) k);
	if (cc == NULL || D == NULL)
	{
		pgl_free(env, cc);
		pgl_free(env, D);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int32_t c = 0; c < k; c++)
	{
		const double *ci = C + (size_t) c * (size_t) p;
		double		  s = 0.0;

		for (int32_t j = 0; j < p; j++)
			s += ci[j] * ci[j];
		cc[c] = s;
	}
	for (int64_t i0 = 0; i0 < n; i0 += block)
	{
		int64_t b = n - i0 < block ? n - i0 : block;

		/* D (b x k, column-major) = X_blk (b x p) · Cᵀ, Cᵀ being C read column-major */
		if (p > 0)
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int) b, (int) k, (int) p, 1.0,
						X + i0, (int) ld, C, (int) p, 0.0, D, (int) b);
		else
			memset(D, 0, sizeof(double) * (size_t) b * (size_t) k);
		for (int64_t r = 0; r < b; r++)
		{
			double	best = INFINITY;
			int32_t bc = 0;

			for (int32_t c = 0; c < k; c++)
			{
				double v = cc[c] - 2.0 * D[r + b * c];

				/* strict: the lowest index wins a tie */
				if (v < best)
				{
					best = v;
					bc = c;
				}
			}
			label[i0 + r] = bc;
			if (dist2)
				dist2[i0 + r] = row_sqdist(X, ld, p, i0 + r, C + (size_t) bc * (size_t) p);
		}
	}
	pgl_free(env, cc);
	pgl_free(env, D);
	return PGL_OK;
}

/*
 * Greedy k-means++ on the m rows of S (row-major m x p): the first centre
 * uniformly, each next one the best (lowest potential) of 2 + ln k
 * candidates drawn with probability proportional to the squared distance
 * to the nearest centre chosen so far.
 */
static pgl_rc
seed_plusplus(const pgl_env *env, const double *S, int64_t m, int32_t p, int32_t k, uint64_t *rng,
			  double *C, pgl_status *st)
{
	double *D2 = pgl_alloc(env, sizeof(double) * (size_t) m);
	double *cand = pgl_alloc(env, sizeof(double) * (size_t) m);
	double *best_d = pgl_alloc(env, sizeof(double) * (size_t) m);
	int		trials = 2 + (int) log((double) k);
	double	pot = 0.0;
	int64_t first;

	if (D2 == NULL || cand == NULL || best_d == NULL)
	{
		pgl_free(env, D2);
		pgl_free(env, cand);
		pgl_free(env, best_d);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	first = (int64_t) (pgl_rng_uniform(rng) * (double) m);
	if (first >= m)
		first = m - 1;
	memcpy(C, S + (size_t) first * (size_t) p, sizeof(double) * (size_t) p);
	for (int64_t i = 0; i < m; i++)
	{
		D2[i] = sqdist(S + (size_t) i * (size_t) p, C, p);
		pot += D2[i];
	}
	for (int32_t c = 1; c < k; c++)
	{
		double	best_pot = INFINITY;
		int64_t best = 0;

		pgl_interrupts(env);
		for (int t = 0; t < trials; t++)
		{
			int64_t		  pick = m - 1;
			double		  cpot = 0.0;
			const double *x;

			if (pot > 0.0)
			{
				double r = pgl_rng_uniform(rng) * pot, cum = 0.0;

				/* the last row of positive weight if rounding runs past the end */
				for (int64_t i = m - 1; i >= 0; i--)
					if (D2[i] > 0.0)
					{
						pick = i;
						break;
					}
				for (int64_t i = 0; i < m; i++)
				{
					cum += D2[i];
					if (cum > r && D2[i] > 0.0)
					{
						pick = i;
						break;
					}
				}
			}
			else
			{
				/* every row sits on a centre: any row will do */
				pick = (int64_t) (pgl_rng_uniform(rng) * (double) m);
				if (pick >= m)
					pick = m - 1;
			}
			x = S + (size_t) pick * (size_t) p;
			for (int64_t i = 0; i < m; i++)
			{
				double d = sqdist(S + (size_t) i * (size_t) p, x, p);

				cand[i] = d < D2[i] ? d : D2[i];
				cpot += cand[i];
			}
			if (cpot < best_pot)
			{
				double *tmp = best_d;

				best_pot = cpot;
				best = pick;
				best_d = cand;
				cand = tmp;
			}
		}
		memcpy(C + (size_t) c * (size_t) p, S + (size_t) best * (size_t) p,
			   sizeof(double) * (size_t) p);
		{
			double *tmp = D2;

			D2 = best_d;
			best_d = tmp;
		}
		pot = best_pot;
	}
	pgl_free(env, D2);
	pgl_free(env, cand);
	pgl_free(env, best_d);
	return PGL_OK;
}

/*
 * New centroids from the assignment: old position plus mean offset.  An
 * empty cluster takes the row farthest from its centroid among clusters
 * of two rows or more (that row's dist2 becomes 0, its label the empty
 * cluster).
 */
static void
update_centroids(const double *X, int64_t ld, int64_t n, int32_t p, int32_t k, int32_t *label,
				 double *dist2, double *C, double *off, int64_t *cnt)
{
	memset(off, 0, sizeof(double) * (size_t) k * (size_t) p);
	memset(cnt, 0, sizeof(int64_t) * (size_t) k);
	for (int64_t i = 0; i < n; i++)
	{
		int32_t c = label[i];
		double *o = off + (size_t) c * (size_t) p;
		double *ci = C + (size_t) c * (size_t) p;

		cnt[c]++;
		for (int32_t j = 0; j < p; j++)
			o[j] += X[i + ld * j] - ci[j];
	}
	for (int32_t c = 0; c < k; c++)
	{
		int64_t far = -1;
		int32_t from;

		if (cnt[c] > 0)
			continue;
		for (int64_t i = 0; i < n; i++)
			if (cnt[label[i]] > 1 && (far < 0 || dist2[i] > dist2[far]))
				far = i;
		if (far < 0)
			continue; /* k > n: cannot happen when 1 <= k <= n */
		from = label[far];
		for (int32_t j = 0; j < p; j++)
			off[(size_t) from * (size_t) p + j] -=
				X[far + ld * j] - C[(size_t) from * (size_t) p + j];
		cnt[from]--;
		get_row(X, ld, p, far, C + (size_t) c * (size_t) p);
		cnt[c] = 1;
		label[far] = c;
		dist2[far] = 0.0;
	}
	for (int32_t c = 0; c < k; c++)
		if (cnt[c] > 0)
			for (int32_t j = 0; j < p; j++)
				C[(size_t) c * (size_t) p + j] +=
					off[(size_t) c * (size_t) p + j] / (double) cnt[c];
}

pgl_rc
pgl_kmeans_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
			   const pgl_kmeans_params *params, double *C, int32_t *iterations, double *inertia,
			   pgl_status *st)
{
	int32_t	 k = params->k;
	int64_t	 m = n < PGL_KMEANS_SEED_SAMPLE ? n : PGL_KMEANS_SEED_SAMPLE;
	uint64_t rng = params->seed ^ UINT64_C(0x6B6D65616E73); /* "kmeans" */
	int64_t *idx = NULL, *cnt = NULL;
	double	*S = NULL, *dist2 = NULL, *off = NULL;
	int32_t *label = NULL, *prev = NULL;
	double	 prev_inertia = INFINITY, cur = INFINITY;
	pgl_rc	 rc = PGL_OK;

	*iterations = 0;
	*inertia = NAN;
	if (k < 1 || n < 1 || (int64_t) k > n || p < 0 || ld < n || params->max_iter < 1 ||
		!(params->tol >= 0))
		return pgl_fail(st, PGL_ERR_INVALID,
						"kmeans needs 1 <= k <= rows, max_iter >= 1 and tol >= 0 (k %d, rows %lld)",
						(int) k, (long long) n);

	/* seeding on a sample */
	if (params->sample != NULL)
	{
		if (params->sample_rows < k)
			return pgl_fail(st, PGL_ERR_INVALID,
							"kmeans cannot seed %d clusters from a sample of %lld rows", (int) k,
							(long long) params->sample_rows);
		rc = seed_plusplus(env, params->sample, params->sample_rows, p, k, &rng, C, st);
		if (rc != PGL_OK)
			goto done;
		goto lloyd;
	}
	idx = pgl_alloc(env, sizeof(int64_t) * (size_t) m);
	S = pgl_alloc(env, sizeof(double) * (size_t) m * (size_t) (p > 0 ? p : 1));
	if (idx == NULL || S == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	m = sample_rows(&rng, n, m, idx);
	for (int64_t i = 0; i < m; i++)
		get_row(X, ld, p, idx[i], S + (size_t) i * (size_t) p);
	rc = seed_plusplus(env, S, m, p, k, &rng, C, st);
	pgl_free(env, S);
	pgl_free(env, idx);
	S = NULL;
	idx = NULL;
	if (rc != PGL_OK)
		goto done;

lloyd:
	label = pgl_alloc(env, sizeof(int32_t) * (size_t) n);
	prev = pgl_alloc(env, sizeof(int32_t) * (size_t) n);
	dist2 = pgl_alloc(env, sizeof(double) * (size_t) n);
	off = pgl_alloc(env, sizeof(double) * (size_t) k * (size_t) (p > 0 ? p : 1));
	cnt = pgl_alloc(env, sizeof(int64_t) * (size_t) k);
	if (label == NULL || prev == NULL || dist2 == NULL || off == NULL || cnt == NULL)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (int32_t it = 1; it <= params->max_iter; it++)
	{
		int64_t changed = 0;

		pgl_interrupts(env);
		rc = pgl_kmeans_assign(env, C, k, p, X, ld, n, label, dist2, st);
		if (rc != PGL_OK)
			goto done;
		cur = 0.0;
		for (int64_t i = 0; i < n; i++)
		{
			cur += dist2[i];
			changed += it == 1 || label[i] != prev[i];
		}
		if (!isfinite(cur))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC, "kmeans distances overflowed");
			goto done;
		}
		*iterations = it;
		pgl_progress(env, it, params->max_iter, cur);
		if (changed == 0 || fabs(prev_inertia - cur) <= params->tol * cur)
			break;
		if (it == params->max_iter)
			break;
		prev_inertia = cur;
		memcpy(prev, label, sizeof(int32_t) * (size_t) n);
		update_centroids(X, ld, n, p, k, label, dist2, C, off, cnt);
	}
	*inertia = cur;

done:
	pgl_free(env, idx);
	pgl_free(env, S);
	pgl_free(env, label);
	pgl_free(env, prev);
	pgl_free(env, dist2);
	pgl_free(env, off);
	pgl_free(env, cnt);
	return rc;
}

pgl_rc
pgl_kmeans_seed(const pgl_env *env, const double *S, int64_t m, int32_t p, int32_t k, uint64_t seed,
				double *C, pgl_status *st)
{
	uint64_t rng = seed ^ UINT64_C(0x6B6D65616E73); /* as pgl_kmeans_fit */

	if (k < 1 || (int64_t) k > m || p < 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"kmeans cannot seed %d clusters from a sample of %lld rows", (int) k,
						(long long) m);
	return seed_plusplus(env, S, m, p, k, &rng, C, st);
}

pgl_rc
pgl_kmeans_silhouette(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
					  const int32_t *label, int32_t k, uint64_t seed, double *out, pgl_status *st)
{
	int64_t	 m = n < PGL_KMEANS_SILHOUETTE_SAMPLE ? n : PGL_KMEANS_SILHOUETTE_SAMPLE;
	uint64_t rng = seed ^ UINT64_C(0x73696C686F75); /* "silhou" */
	int64_t *idx = pgl_alloc(env, sizeof(int64_t) * (size_t) (m > 0 ? m : 1));
	double	*S =
		pgl_alloc(env, sizeof(double) * (size_t) (m > 0 ? m : 1) * (size_t) (p > 0 ? p : 1));
	double	*sum = pgl_alloc(env, sizeof(double) * (size_t) k);
	int64_t *cnt = pgl_alloc(env, sizeof(int64_t) * (size_t) k);
	int32_t	 present = 0;
	double	 total = 0.0;

	*out = NAN;
	if (idx == NULL || S == NULL || sum == NULL || cnt == NULL)
	{
		pgl_free(env, idx);
		pgl_free(env, S);
		pgl_free(env, sum);
		pgl_free(env, cnt);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	m = sample_rows(&rng, n, m, idx);
	memset(cnt, 0, sizeof(int64_t) * (size_t) k);
	for (int64_t i = 0; i < m; i++)
	{
		get_row(X, ld, p, idx[i], S + (size_t) i * (size_t) p);
		present += cnt[label[idx[i]]]++ == 0;
	}
	if (present >= 2)
	{
		for (int64_t i = 0; i < m; i++)
		{
			int32_t li = label[idx[i]];
			double	a, b = INFINITY;

			if ((i & 63) == 0)
				pgl_interrupts(env);
			if (cnt[li] < 2)
				continue; /* alone in its cluster: 0 */
			memset(sum, 0, sizeof(double) * (size_t) k);
			for (int64_t j = 0; j < m; j++)
				if (j != i)
					sum[label[idx[j]]] +=
						sqrt(sqdist(S + (size_t) i * (size_t) p, S + (size_t) j * (size_t) p, p));
			a = sum[li] / (double) (cnt[li] - 1);
			for (int32_t c = 0; c < k; c++)
				if (c != li && cnt[c] > 0 && sum[c] / (double) cnt[c] < b)
					b = sum[c] / (double) cnt[c];
			if (fmax(a, b) > 0.0)
				total += (b - a) / fmax(a, b);
		}
		*out = total / (double) m;
	}
	pgl_free(env, idx);
	pgl_free(env, S);
	pgl_free(env, sum);
	pgl_free(env, cnt);
	return PGL_OK;
}
