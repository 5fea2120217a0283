/*-------------------------------------------------------------------------
 *
 * als_auto.c
 *	  The regularization chosen on a validation split, and early stopping:
 *	  pgl_als_fit_auto.
 *
 * The validation split is carved out of the training ratings per user, as
 * the hold-out is: each rating of a chosen user is drawn with probability
 * val_fraction from a hash of (seed, position), and a user keeps at least
 * one rating.  Each trial fits the rest with early stopping on the split;
 * the best trial's setting and number of iterations are then fitted on all
 * the training ratings, so no rating is lost to the search.
 *
 *-------------------------------------------------------------------------
 */
#include "als.h"
#include "prep.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* a seed of its own, so the split differs from the hold-out's */
#define ALS_VAL_SALT UINT64_C(0x76616C6964617465)

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t
mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* is user u one of those whose ratings are drawn from? */
static bool
val_user(uint64_t seed, int32_t u, int32_t n_users, int32_t max_users)
{
	if (max_users <= 0 || n_users <= max_users)
		return true;
	return (double) (mix64(seed ^ ((uint64_t) u << 1)) >> 11) * (1.0 / 9007199254740992.0) <
		   (double) max_users / n_users;
}

/* R split into fit (the rest) and val; false when val would be empty */
static pgl_rc
carve(const pgl_env *env, const pgl_ratings *R, uint64_t seed, const pgl_als_auto *a,
	  pgl_ratings *fit, pgl_ratings *val, pgl_status *st)
{
	int64_t	 nnz = R->nnz, nf = 0, nv = 0;
	int32_t *fu = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	int32_t *fi = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	float	*fr = pgl_alloc(env, sizeof(float) * (size_t) nnz);
	int32_t *vu = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	int32_t *vi = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	float	*vr = pgl_alloc(env, sizeof(float) * (size_t) nnz);
	pgl_rc	 rc = PGL_OK;

	memset(fit, 0, sizeof(*fit));
	memset(val, 0, sizeof(*val));
	if (!fu || !fi || !fr || !vu || !vi || !vr)
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t u = 0; rc == PGL_OK && u < R->n_users; u++)
	{
		bool	chosen = val_user(seed, u, R->n_users, a->max_val_users);
		int64_t beg = R->user_ptr[u], end = R->user_ptr[u + 1], kept = 0;

		for (int64_t q = beg; q < end; q++)
		{
			bool held = chosen && pgl_row_in_test(seed ^ ALS_VAL_SALT, q, a->val_fraction) &&
						!(q == end - 1 && kept == 0);

			if (held)
			{
				vu[nv] = u;
				vi[nv] = R->user_items[q];
				vr[nv++] = R->user_vals[q];
			}
			else
			{
				fu[nf] = u;
				fi[nf] = R->user_items[q];
				fr[nf++] = R->user_vals[q];
				kept++;
			}
		}
	}
	if (rc == PGL_OK && nv > 0)
		rc = pgl_ratings_build(env, R->n_users, R->n_items, nf, fu, fi, fr, fit, st);
	if (rc == PGL_OK && nv > 0)
		rc = pgl_ratings_build(env, R->n_users, R->n_items, nv, vu, vi, vr, val, st);
	pgl_free(env, fu);
	pgl_free(env, fi);
	pgl_free(env, fr);
	pgl_free(env, vu);
	pgl_free(env, vi);
	pgl_free(env, vr);
	return rc;
}

/* fit one setting on fit with early stopping on val; the trial records it */
static pgl_rc
run_trial(const pgl_env *env, const pgl_ratings *fit, const pgl_ratings *val,
		  const pgl_als_params *base, double l2, double bias_l2, pgl_als_trial *t, pgl_status *st)
{
	pgl_als_params p = *base;
	pgl_als_model  m;
	pgl_als_info   info;
	double		   t0 = seconds_now();
	pgl_rc		   rc;

	p.l2 = l2;
	p.bias_l2 = bias_l2;
	p.val = val;
	p.val_scores = NULL;
	rc = pgl_als_fit(env, fit, &p, &m, &info, st);
	if (rc != PGL_OK)
		return rc;
	pgl_als_model_free(env, &m);
	t->l2 = l2;
	t->bias_l2 = bias_l2;
	t->score = info.best_score;
	t->iterations = info.best_iteration;
	t->seconds = seconds_now() - t0;
	return PGL_OK;
}

static bool
better(const pgl_als_params *p, double a, double b)
{
	if (!isfinite(b))
		return isfinite(a);
	return p->implicit ? a > b : a < b;
}

/* the coordinate search: every l2 with the first bias, then the other biases */
static pgl_rc
search(const pgl_env *env, const pgl_ratings *fit, const pgl_ratings *val,
	   const pgl_als_params *params, pgl_als_auto *a, pgl_status *st)
{
	int32_t n_l2 = a->n_l2 > 0 ? a->n_l2 : 1;
	int32_t n_bias = a->n_bias > 0 ? a->n_bias : 1;
	double	bias0 = a->n_bias > 0 ? a->bias_grid[0] : params->bias_l2;
	double	best_l2;
	pgl_rc	rc;

	if (n_l2 + n_bias - 1 > PGL_ALS_MAX_TRIALS)
		return pgl_fail(st, PGL_ERR_INVALID, "at most %d trials, got %d", PGL_ALS_MAX_TRIALS,
						n_l2 + n_bias - 1);
	for (int32_t j = 0; j < n_l2; j++)
	{
		double l2 = a->n_l2 > 0 ? a->l2_grid[j] : params->l2;

		if ((rc = run_trial(env, fit, val, params, l2, bias0, &a->trials[a->n_trials], st)) !=
			PGL_OK)
			return rc;
		if (a->chosen < 0 ||
			better(params, a->trials[a->n_trials].score, a->trials[a->chosen].score))
			a->chosen = a->n_trials;
		a->n_trials++;
	}
	best_l2 = a->trials[a->chosen].l2;
	for (int32_t j = 1; j < n_bias; j++)
	{
		if ((rc = run_trial(env, fit, val, params, best_l2, a->bias_grid[j],
							&a->trials[a->n_trials], st)) != PGL_OK)
			return rc;
		if (better(params, a->trials[a->n_trials].score, a->trials[a->chosen].score))
			a->chosen = a->n_trials;
		a->n_trials++;
	}
	return PGL_OK;
}

pgl_rc
pgl_als_fit_auto(const pgl_env *env, const pgl_ratings *R, const pgl_als_params *params,
				 pgl_als_auto *a, pgl_als_model *m, pgl_als_info *info, pgl_status *st)
{
	pgl_als_params final = *params;
	pgl_ratings	   fit, val;
	pgl_rc		   rc = PGL_OK;

	memset(m, 0, sizeof(*m));
	memset(info, 0, sizeof(*info));
	a->n_val = 0;
	a->n_trials = 0;
	a->chosen = -1;
	final.val = NULL;
	final.val_scores = NULL;
	if (a->n_l2 < 0 || a->n_l2 > 8 || a->n_bias < 0 || a->n_bias > 8)
		return pgl_fail(st, PGL_ERR_INVALID, "a grid has 0 to 8 values");
	if (a->n_l2 > 0)
		final.l2 = a->l2_grid[0];
	if (a->n_bias > 0)
		final.bias_l2 = a->bias_grid[0];
	memset(&fit, 0, sizeof(fit));
	memset(&val, 0, sizeof(val));
	if (R->nnz >= a->min_ratings && a->val_fraction > 0.0)
		rc = carve(env, R, params->seed, a, &fit, &val, st);
	if (rc == PGL_OK && val.nnz > 0)
	{
		a->n_val = val.nnz;
		rc = search(env, &fit, &val, params, a, st);
		if (rc == PGL_OK)
		{
			final.l2 = a->trials[a->chosen].l2;
			final.bias_l2 = a->trials[a->chosen].bias_l2;
			if (!a->all_iterations)
				final.iterations = a->trials[a->chosen].iterations;
		}
	}
	pgl_ratings_free(env, &fit);
	pgl_ratings_free(env, &val);
	if (rc != PGL_OK)
		return rc;
	return pgl_als_fit(env, R, &final, m, info, st);
}
