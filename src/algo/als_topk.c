/*-------------------------------------------------------------------------
 *
 * als_topk.c
 *	  Scoring with a factorization model: top-k selection, recommendations
 *	  for one vector and for blocks of users, item similarity, and ranking
 *	  metrics on held-out ratings.
 *
 * Block scoring multiplies a block of user rows by all item factors with
 * one SGEMM on the calling thread (the block is sized so its score matrix
 * stays within ALS_SCORE_FLOATS), then the threads of a team run the
 * per-user heap passes over the block's rows; interrupts are checked
 * between blocks, with no thread running.
 *
 *-------------------------------------------------------------------------
 */
#include "als.h"
#include "als_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* users per SGEMM block, and the bound of a block's score matrix */
#define ALS_BLOCK_USERS	 256
#define ALS_SCORE_FLOATS (4 << 20)

/* users per recommendation chunk of pgl_als_evaluate */
#define ALS_EVAL_USERS 1024

/* ---------- top-k ---------- */

/* entry (sa, ia) ranks below (sb, ib): lower score, or equal and higher index */
static inline bool
worse(float sa, int32_t ia, float sb, int32_t ib)
{
	return sa < sb || (sa == sb && ia > ib);
}

/* restore the min-heap (worst at the root) below position at, size n */
static void
sift_down(int32_t *idx, float *val, int32_t n, int32_t at)
{
	int32_t i = idx[at];
	float	v = val[at];

	for (;;)
	{
		int32_t c = 2 * at + 1;

		if (c >= n)
			break;
		if (c + 1 < n && worse(val[c + 1], idx[c + 1], val[c], idx[c]))
			c++;
		if (!worse(val[c], idx[c], v, i))
			break;
		idx[at] = idx[c];
		val[at] = val[c];
		at = c;
	}
	idx[at] = i;
	val[at] = v;
}

/*
 * The k best of scores[0..n) (NaN scores are skipped), best first.  The
 * heap lives in the output arrays.  Since indexes arrive in increasing
 * order, a newcomer that ties the root loses to it, so only strictly
 * greater scores replace the root.
 */
int32_t
pgl_topk(const float *scores, int32_t n, const bool *skip, int32_t k, int32_t *idx, float *val)
{
	int32_t h = 0;

	if (k <= 0 || n <= 0)
		return 0;
	for (int32_t i = 0; i < n; i++)
	{
		float s = scores[i];

		if ((skip && skip[i]) || isnan(s))
			continue;
		if (h < k)
		{
			int32_t at = h++;

			/* sift up */
			while (at > 0)
			{
				int32_t parent = (at - 1) / 2;

				if (!worse(s, i, val[parent], idx[parent]))
					break;
				idx[at] = idx[parent];
				val[at] = val[parent];
				at = parent;
			}
			idx[at] = i;
			val[at] = s;
		}
		else if (s > val[0])
		{
			idx[0] = i;
			val[0] = s;
			sift_down(idx, val, h, 0);
		}
	}
	/* heap sort: the worst goes to the end, leaving the best first */
	for (int32_t end = h - 1; end > 0; end--)
	{
		int32_t ti = idx[0];
		float	tv = val[0];

		idx[0] = idx[end];
		val[0] = val[end];
		idx[end] = ti;
		val[end] = tv;
		sift_down(idx, val, end, 0);
	}
	return h;
}

/* ---------- one vector ---------- */

pgl_rc
pgl_als_recommend(const pgl_env *env, const pgl_als_model *m, const float *x, float bias,
				  const int32_t *exclude, int64_t n_exclude, int32_t k, int32_t *items,
				  float *scores, int32_t *n_out, pgl_status *st)
{
	int32_t ni = m->n_items;
	float  *s;
	bool   *skip;
	float	base = (float) m->mu + bias;

	*n_out = 0;
	if (k < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "k must not be negative, got %d", k);
	if (k == 0 || ni == 0)
		return PGL_OK;
	s = pgl_alloc(env, sizeof(float) * (size_t) ni);
	skip = pgl_alloc0(env, sizeof(bool) * (size_t) ni);
	if (!s || !skip)
	{
		pgl_free(env, s);
		pgl_free(env, skip);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	cblas_sgemv(CblasRowMajor, CblasNoTrans, ni, m->k, 1.0f, m->V, m->k, x, 1, 0.0f, s, 1);
	for (int32_t i = 0; i < ni; i++)
		s[i] += base + (m->item_bias ? m->item_bias[i] : 0.0f);
	for (int64_t j = 0; j < n_exclude; j++)
		if (exclude[j] >= 0 && exclude[j] < ni)
			skip[exclude[j]] = true;
	*n_out = pgl_topk(s, ni, skip, k, items, scores);
	pgl_free(env, s);
	pgl_free(env, skip);
	return PGL_OK;
}

/* ---------- blocks of users ---------- */

typedef struct rec_ctx
{
	const pgl_als_model *m;
	const pgl_ratings	*seen;
	const int32_t		*users; /* the block's users */
	float				*S;		/* nb x n_items scores */
	int32_t				 nb;
	int32_t				 k;
	int32_t				*items; /* nb x k */
	float				*scores;
	int32_t				*counts;
	bool				*skip; /* n_items per thread */
	_Atomic int32_t		 next;
} rec_ctx;

static void
rec_task(void *arg, int32_t tid)
{
	rec_ctx				*c = arg;
	const pgl_als_model *m = c->m;
	int32_t				 ni = m->n_items;
	bool				*skip = c->skip + (size_t) tid * ni;

	for (;;)
	{
		int32_t j = atomic_fetch_add(&c->next, 1);
		int32_t u;
		float  *row;
		float	base;
		int64_t q0 = 0, q1 = 0;

		if (j >= c->nb)
			break;
		u = c->users[j];
		row = c->S + (size_t) j * ni;
		base = (float) m->mu + (m->user_bias ? m->user_bias[u] : 0.0f);
		if (m->item_bias)
			for (int32_t i = 0; i < ni; i++)
				row[i] += base + m->item_bias[i];
		else if (base != 0.0f)
			for (int32_t i = 0; i < ni; i++)
				row[i] += base;
		if (c->seen && u < c->seen->n_users)
		{
			q0 = c->seen->user_ptr[u];
			q1 = c->seen->user_ptr[u + 1];
		}
		for (int64_t q = q0; q < q1; q++)
			if (c->seen->user_items[q] >= 0 && c->seen->user_items[q] < ni)
				skip[c->seen->user_items[q]] = true;
		c->counts[j] = pgl_topk(row, ni, skip, c->k, c->items + (size_t) j * c->k,
								c->scores + (size_t) j * c->k);
		for (int64_t q = q0; q < q1; q++)
			if (c->seen->user_items[q] >= 0 && c->seen->user_items[q] < ni)
				skip[c->seen->user_items[q]] = false;
	}
}

/* top-k of the n users in users[] (ascending or not), output row j for users[j] */
static pgl_rc
recommend_users(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *seen,
				const int32_t *users, int32_t n, int32_t k, int32_t threads, int32_t *items,
				float *scores, int32_t *counts, pgl_status *st)
{
	int32_t	 ni = m->n_items, dim = m->k;
	int32_t	 bs;
	float	*S = NULL, *Ub = NULL;
	bool	*skip = NULL;
	als_team team = {0};
	pgl_rc	 rc = PGL_OK;
	rec_ctx	 c;

	if (n == 0)
		return PGL_OK;
	if (k == 0 || ni == 0)
	{
		memset(counts, 0, sizeof(int32_t) * (size_t) n);
		return PGL_OK;
	}
	bs = ALS_SCORE_FLOATS / ni;
	bs = bs < 1 ? 1 : bs > ALS_BLOCK_USERS ? ALS_BLOCK_USERS : bs;
	if (bs > n)
		bs = n;
	if (threads > bs)
		threads = bs;
	S = pgl_alloc(env, sizeof(float) * (size_t) bs * ni);
	Ub = pgl_alloc(env, sizeof(float) * (size_t) bs * dim);
	skip = pgl_alloc0(env, sizeof(bool) * (size_t) threads * ni);
	if (!S || !Ub || !skip)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = pgl_als_team_init(env, &team, threads, st)) != PGL_OK)
		goto done;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.seen = seen;
	c.S = S;
	c.k = k;
	c.skip = skip;
	for (int32_t b0 = 0; b0 < n; b0 += bs)
	{
		int32_t nb = n - b0 < bs ? n - b0 : bs;

		for (int32_t j = 0; j < nb; j++)
			memcpy(Ub + (size_t) j * dim, m->U + (size_t) users[b0 + j] * dim,
				   sizeof(float) * (size_t) dim);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, ni, dim, 1.0f, Ub, dim, m->V, dim,
					0.0f, S, ni);
		c.users = users + b0;
		c.nb = nb;
		c.items = items + (size_t) b0 * k;
		c.scores = scores + (size_t) b0 * k;
		c.counts = counts + b0;
		c.next = 0;
		pgl_als_team_run(&team, rec_task, &c);
		pgl_interrupts(env);
	}

done:
	pgl_als_team_free(env, &team);
	pgl_free(env, S);
	pgl_free(env, Ub);
	pgl_free(env, skip);
	return rc;
}

pgl_rc
pgl_als_recommend_block(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *seen,
						int32_t u0, int32_t u1, int32_t k, int32_t threads, int32_t *items,
						float *scores, int32_t *counts, pgl_status *st)
{
	int32_t *users;
	pgl_rc	 rc;

	if (u0 < 0 || u1 < u0 || u1 > m->n_users)
		return pgl_fail(st, PGL_ERR_INVALID, "user range [%d, %d) is out of range [0, %d)", u0, u1,
						m->n_users);
	if (k < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "k must not be negative, got %d", k);
	if (threads < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "threads must be at least 1, got %d", threads);
	if (u1 == u0)
		return PGL_OK;
	users = pgl_alloc(env, sizeof(int32_t) * (size_t) (u1 - u0));
	if (users == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t u = u0; u < u1; u++)
		users[u - u0] = u;
	rc = recommend_users(env, m, seen, users, u1 - u0, k, threads, items, scores, counts, st);
	pgl_free(env, users);
	return rc;
}

/* ---------- similarity ---------- */

pgl_rc
pgl_als_similar(const pgl_env *env, const float *F, int32_t n, int32_t dim, int32_t idx, int32_t k,
				int32_t *out, float *scores, int32_t *n_out, pgl_status *st)
{
	float *s, *norms;
	bool  *skip;
	float  nx;

	*n_out = 0;
	if (n < 0 || dim < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "invalid factor matrix (%d x %d)", n, dim);
	if (idx < 0 || idx >= n)
		return pgl_fail(st, PGL_ERR_INVALID, "index %d is out of range [0, %d)", idx, n);
	if (k < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "k must not be negative, got %d", k);
	if (k == 0)
		return PGL_OK;
	s = pgl_alloc(env, sizeof(float) * (size_t) n);
	norms = pgl_alloc(env, sizeof(float) * (size_t) n);
	skip = pgl_alloc0(env, sizeof(bool) * (size_t) n);
	if (!s || !norms || !skip)
	{
		pgl_free(env, s);
		pgl_free(env, norms);
		pgl_free(env, skip);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int32_t i = 0; i < n; i++)
		norms[i] = cblas_snrm2(dim, F + (size_t) i * dim, 1);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, n, dim, 1.0f, F, dim, F + (size_t) idx * dim, 1, 0.0f,
				s, 1);
	nx = norms[idx];
	for (int32_t i = 0; i < n; i++)
		s[i] = nx > 0.0f && norms[i] > 0.0f ? s[i] / (nx * norms[i]) : 0.0f;
	skip[idx] = true;
	*n_out = pgl_topk(s, n, skip, k, out, scores);
	pgl_free(env, s);
	pgl_free(env, norms);
	pgl_free(env, skip);
	return PGL_OK;
}

/* ---------- evaluation ---------- */

static bool
relevant(float r, bool implicit)
{
	return !implicit || r > 0.0f;
}

pgl_rc
pgl_als_evaluate(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *train,
				 const pgl_ratings *test, int32_t k, bool implicit, int32_t threads,
				 pgl_rank_metrics *out, pgl_status *st)
{
	int32_t	 ni = m->n_items;
	int32_t	 n_eval = 0;
	int32_t *users = NULL, *items = NULL, *counts = NULL;
	float	*scores = NULL;
	bool	*rel = NULL, *covered = NULL;
	double	*disc = NULL;
	double	 sp = 0, sr = 0, sn = 0, sm = 0;
	int64_t	 n_covered = 0;
	pgl_rc	 rc = PGL_OK;

	out->users = 0;
	out->precision = out->recall = out->ndcg = out->map = out->coverage = NAN;
	out->rmse = out->mae = NAN;
	if (k < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "k must be at least 1, got %d", k);
	if (threads < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "threads must be at least 1, got %d", threads);
	if (test->n_users > m->n_users || test->n_items > ni)
		return pgl_fail(st, PGL_ERR_INVALID,
						"the test ratings have more users or items than the model");
	if (train && (train->n_users > m->n_users || train->n_items > ni))
		return pgl_fail(st, PGL_ERR_INVALID,
						"the training ratings have more users or items than the model");

	/* rating errors over all test ratings */
	if (!implicit && test->nnz > 0)
	{
		double sse = 0.0, sae = 0.0;

		for (int32_t u = 0; u < test->n_users; u++)
			for (int64_t q = test->user_ptr[u]; q < test->user_ptr[u + 1]; q++)
			{
				double e = pgl_als_predict(m, u, test->user_items[q]) - test->user_vals[q];

				sse += e * e;
				sae += fabs(e);
			}
		out->rmse = sqrt(sse / (double) test->nnz);
		out->mae = sae / (double) test->nnz;
	}

	/* users with a relevant test item */
	users = pgl_alloc(env, sizeof(int32_t) * ((size_t) test->n_users + 1));
	if (users == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t u = 0; u < test->n_users; u++)
		for (int64_t q = test->user_ptr[u]; q < test->user_ptr[u + 1]; q++)
			if (relevant(test->user_vals[q], implicit))
			{
				users[n_eval++] = u;
				break;
			}
	if (n_eval == 0)
		goto done;

	items = pgl_alloc(env, sizeof(int32_t) * (size_t) ALS_EVAL_USERS * k);
	scores = pgl_alloc(env, sizeof(float) * (size_t) ALS_EVAL_USERS * k);
	counts = pgl_alloc(env, sizeof(int32_t) * ALS_EVAL_USERS);
	rel = pgl_alloc0(env, sizeof(bool) * ((size_t) ni + 1));
	covered = pgl_alloc0(env, sizeof(bool) * ((size_t) ni + 1));
	disc = pgl_alloc(env, sizeof(double) * ((size_t) k + 1));
	if (!items || !scores || !counts || !rel || !covered || !disc)
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (int32_t r = 0; r < k; r++)
		disc[r] = 1.0 / log2((double) r + 2.0);

	for (int32_t e0 = 0; e0 < n_eval; e0 += ALS_EVAL_USERS)
	{
		int32_t ne = n_eval - e0 < ALS_EVAL_USERS ? n_eval - e0 : ALS_EVAL_USERS;

		rc = recommend_users(env, m, train, users + e0, ne, k, threads, items, scores, counts, st);
		if (rc != PGL_OK)
			goto done;
		for (int32_t j = 0; j < ne; j++)
		{
			int32_t		   u = users[e0 + j];
			int64_t		   q0 = test->user_ptr[u], q1 = test->user_ptr[u + 1];
			const int32_t *rec = items + (size_t) j * k;
			int32_t		   n_rel = 0, hits = 0, lim;
			double		   dcg = 0.0, idcg = 0.0, ap = 0.0;

			for (int64_t q = q0; q < q1; q++)
				if (relevant(test->user_vals[q], implicit))
				{
					rel[test->user_items[q]] = true;
					n_rel++;
				}
			for (int32_t r = 0; r < counts[j]; r++)
			{
				if (!covered[rec[r]])
				{
					covered[rec[r]] = true;
					n_covered++;
				}
				if (rel[rec[r]])
				{
					hits++;
					dcg += disc[r];
					ap += (double) hits / (r + 1);
				}
			}
			lim = n_rel < k ? n_rel : k;
			for (int32_t r = 0; r < lim; r++)
				idcg += disc[r];
			sp += (double) hits / k;
			sr += (double) hits / lim;
			sn += dcg / idcg;
			sm += ap / lim;
			for (int64_t q = q0; q < q1; q++)
				rel[test->user_items[q]] = false;
		}
	}
	out->users = n_eval;
	out->precision = sp / n_eval;
	out->recall = sr / n_eval;
	out->ndcg = sn / n_eval;
	out->map = sm / n_eval;
	out->coverage = ni > 0 ? (double) n_covered / ni : NAN;

done:
	pgl_free(env, users);
	pgl_free(env, items);
	pgl_free(env, scores);
	pgl_free(env, counts);
	pgl_free(env, rel);
	pgl_free(env, covered);
	pgl_free(env, disc);
	return rc;
}
