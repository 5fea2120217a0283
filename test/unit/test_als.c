/*
 * test_als.c - unit tests of matrix factorization (src/algo/als.c, als_topk.c).
 */
#include "als.h"
#include "unit.h"
#include "testenv.h"

#include <stdint.h>
#include <string.h>

/* ---------- helpers ---------- */

typedef struct triples
{
	int64_t	 n;
	int32_t *u;
	int32_t *i;
	float	*r;
} triples;

static void
triples_alloc(triples *t, int64_t cap)
{
	t->n = 0;
	t->u = malloc(sizeof(int32_t) * (size_t) cap);
	t->i = malloc(sizeof(int32_t) * (size_t) cap);
	t->r = malloc(sizeof(float) * (size_t) cap);
}

static void
triples_free(triples *t)
{
	free(t->u);
	free(t->i);
	free(t->r);
}

static void
triples_add(triples *t, int32_t u, int32_t i, float r)
{
	t->u[t->n] = u;
	t->i[t->n] = i;
	t->r[t->n++] = r;
}

static pgl_ratings
build(const triples *t, int32_t nu, int32_t ni)
{
	pgl_ratings R;
	pgl_status	st = {0};
	pgl_rc		rc = pgl_ratings_build(&pgl_malloc_env, nu, ni, t->n, t->u, t->i, t->r, &R, &st);

	if (rc != PGL_OK)
	{
		printf("# ratings_build failed: %s\n", st.msg);
		exit(1);
	}
	return R;
}

static pgl_als_params
params_default(bool implicit, int32_t k)
{
	pgl_als_params p;

	memset(&p, 0, sizeof(p));
	p.factors = k;
	p.l2 = implicit ? 0.1 : 0.02;
	p.bias_l2 = -1; /* the biases penalized like the factors */
	p.iterations = 15;
	p.alpha = implicit ? 10.0 : 0.0;
	p.seed = 42;
	p.implicit = implicit;
	p.cg_steps = 3;
	p.threads = 1;
	return p;
}

static double
vec_rel_diff(const float *a, const float *b, int n)
{
	double d = 0, nb = 0;

	for (int j = 0; j < n; j++)
	{
		d += ((double) a[j] - b[j]) * ((double) a[j] - b[j]);
		nb += (double) b[j] * b[j];
	}
	return sqrt(d) / fmax(sqrt(nb), 1e-12);
}

static bool
is_lower_msg(const pgl_status *st)
{
	return st->msg[0] >= 'a' && st->msg[0] <= 'z';
}

/*
 * Explicit data from planted factors: r = 3 + U·V + noise, on a random
 * subset of the pairs; every (1 / hold)-th rating goes to test.
 */
static void
planted_explicit(int32_t nu, int32_t ni, int32_t k, double density, double noise, int hold,
				 triples *train, triples *test)
{
	double *U = malloc(sizeof(double) * nu * k);
	double *V = malloc(sizeof(double) * ni * k);
	int64_t c = 0;

	for (int j = 0; j < nu * k; j++)
		U[j] = nrand() * 0.6;
	for (int j = 0; j < ni * k; j++)
		V[j] = nrand() * 0.6;
	triples_alloc(train, (int64_t) nu * ni);
	triples_alloc(test, (int64_t) nu * ni);
	for (int32_t u = 0; u < nu; u++)
		for (int32_t i = 0; i < ni; i++)
		{
			double r = 3.0;

			if (urand() >= density)
				continue;
			for (int d = 0; d < k; d++)
				r += U[u * k + d] * V[i * k + d];
			r += noise * nrand();
			if (hold > 0 && c++ % hold == 0)
				triples_add(test, u, i, (float) r);
			else
				triples_add(train, u, i, (float) r);
		}
	free(U);
	free(V);
}

/*
 * Implicit data from planted clusters: user u and item i belong to cluster
 * u % C and i % C; a user interacts with ~per_user items, 90% of them in
 * its cluster; items of lower index within a cluster are more popular.
 * Each user's last `hold` interactions go to test.
 */
static void
planted_implicit(int32_t nu, int32_t ni, int32_t C, int per_user, int hold, triples *train,
				 triples *test)
{
	char *used = calloc((size_t) nu * ni, 1);

	triples_alloc(train, (int64_t) nu * per_user);
	triples_alloc(test, (int64_t) nu * per_user);
	for (int32_t u = 0; u < nu; u++)
	{
		int got = 0;

		while (got < per_user)
		{
			int32_t i;

			if (urand() < 0.9)
			{
				/* in cluster: skewed towards lower indexes */
				int32_t per = ni / C;
				double	x = urand();

				i = (int32_t) (x * x * per) * C + u % C;
			}
			else
				i = (int32_t) (urand() * ni);
			if (i >= ni || used[(size_t) u * ni + i])
				continue;
			used[(size_t) u * ni + i] = 1;
			if (got >= per_user - hold)
				triples_add(test, u, i, 1.0f + (float) (urand() * 2));
			else
				triples_add(train, u, i, 1.0f + (float) (urand() * 2));
			got++;
		}
	}
	free(used);
}

/* ---------- ratings ---------- */

static void
test_ratings_build(void)
{
	enum
	{
		NU = 37,
		NI = 23
	};
	triples		t;
	pgl_ratings R;
	pgl_status	st = {0};
	pgl_rc		rc;
	bool		sorted = true, found = true, counts = true;
	int64_t		total = 0;

	triples_alloc(&t, NU * NI);
	for (int32_t u = 0; u < NU; u++)
		for (int32_t i = 0; i < NI; i++)
			if (urand() < 0.3)
				triples_add(&t, u, i, (float) (u * 100 + i));
	/* shuffle the input order */
	for (int64_t j = t.n - 1; j > 0; j--)
	{
		int64_t q = (int64_t) (urand() * (j + 1));
		int32_t tu = t.u[j], ti = t.i[j];
		float	tr = t.r[j];

		t.u[j] = t.u[q];
		t.i[j] = t.i[q];
		t.r[j] = t.r[q];
		t.u[q] = tu;
		t.i[q] = ti;
		t.r[q] = tr;
	}
	rc = pgl_ratings_build(&pgl_malloc_env, NU, NI, t.n, t.u, t.i, t.r, &R, &st);
	OK(rc == PGL_OK, "ratings_build succeeds");
	OK(R.nnz == t.n && R.user_ptr[NU] == t.n && R.item_ptr[NI] == t.n, "nnz in both orientations");
	for (int32_t u = 0; u < NU; u++)
		for (int64_t q = R.user_ptr[u]; q < R.user_ptr[u + 1]; q++)
		{
			if (q > R.user_ptr[u] && R.user_items[q] <= R.user_items[q - 1])
				sorted = false;
			if (R.user_vals[q] != (float) (u * 100 + R.user_items[q]))
				found = false;
			total++;
		}
	for (int32_t i = 0; i < NI; i++)
		for (int64_t q = R.item_ptr[i]; q < R.item_ptr[i + 1]; q++)
		{
			if (q > R.item_ptr[i] && R.item_users[q] <= R.item_users[q - 1])
				sorted = false;
			if (R.item_vals[q] != (float) (R.item_users[q] * 100 + i))
				found = false;
		}
	/* per-user counts equal the input's */
	for (int32_t u = 0; u < NU; u++)
	{
		int64_t n = 0;

		for (int64_t j = 0; j < t.n; j++)
			n += t.u[j] == u;
		if (n != R.user_ptr[u + 1] - R.user_ptr[u])
			counts = false;
	}
	OK(sorted, "items ascend within users and users within items");
	OK(found && total == t.n, "every rating is where it belongs with its value");
	OK(counts, "per-user counts match the input");
	pgl_ratings_free(&pgl_malloc_env, &R);
	OK(R.user_ptr == NULL && R.nnz == 0, "ratings_free clears the struct");

	/* invalid input */
	t.i[3] = NI + 5;
	rc = pgl_ratings_build(&pgl_malloc_env, NU, NI, t.n, t.u, t.i, t.r, &R, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, "28") && is_lower_msg(&st),
	   "an item index out of range is rejected, named (%s)", st.msg);
	t.i[3] = 0;
	t.u[5] = -1;
	rc = pgl_ratings_build(&pgl_malloc_env, NU, NI, t.n, t.u, t.i, t.r, &R, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, "-1"), "a negative user index is rejected (%s)",
	   st.msg);
	rc = pgl_ratings_build(&pgl_malloc_env, NU, NI, -1, t.u, t.i, t.r, &R, &st);
	OK(rc == PGL_ERR_INVALID, "a negative nnz is rejected (%s)", st.msg);
	{
		int32_t u2[2] = {1, 1}, i2[2] = {2, 2};
		float	r2[2] = {1, 2};
		float	rn[1] = {NAN};

		rc = pgl_ratings_build(&pgl_malloc_env, 3, 3, 2, u2, i2, r2, &R, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "duplicate"),
		   "a duplicate pair is rejected (%s)", st.msg);
		rc = pgl_ratings_build(&pgl_malloc_env, 3, 3, 1, u2, i2, rn, &R, &st);
		OK(rc == PGL_ERR_INVALID && is_lower_msg(&st), "a NaN rating is rejected (%s)", st.msg);
		rc = pgl_ratings_build(&pgl_malloc_env, 3, 3, 0, u2, i2, r2, &R, &st);
		OK(rc == PGL_OK && R.user_ptr[3] == 0 && R.item_ptr[3] == 0, "no ratings build fine");
		pgl_ratings_free(&pgl_malloc_env, &R);
	}
	triples_free(&t);
}

/* ---------- top-k ---------- */

static const float *cmp_scores;

static int
cmp_desc(const void *a, const void *b)
{
	int32_t ia = *(const int32_t *) a, ib = *(const int32_t *) b;

	if (cmp_scores[ia] != cmp_scores[ib])
		return cmp_scores[ia] > cmp_scores[ib] ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

static void
test_topk(void)
{
	enum
	{
		N = 500
	};
	float	s[N];
	bool	skip[N];
	int32_t ref[N], idx[N + 10];
	float	val[N + 10];
	int		ks[] = {1, 2, 7, 50, N - 3, N, N + 10};
	bool	all = true;

	for (int rep = 0; rep < 20; rep++)
	{
		int nref = 0;

		for (int i = 0; i < N; i++)
		{
			/* few distinct values: many ties */
			s[i] = (float) floor(urand() * 20) - 10;
			if (rep % 3 == 0 && urand() < 0.05)
				s[i] = INFINITY;
			if (rep % 4 == 1 && urand() < 0.05)
				s[i] = NAN;
			skip[i] = rep % 2 == 1 && urand() < 0.3;
			if (!skip[i] && !isnan(s[i]))
				ref[nref++] = i;
		}
		cmp_scores = s;
		qsort(ref, nref, sizeof(int32_t), cmp_desc);
		for (size_t q = 0; q < sizeof(ks) / sizeof(ks[0]); q++)
		{
			int32_t k = ks[q];
			int32_t n = pgl_topk(s, N, rep % 2 == 1 ? skip : NULL, k, idx, val);
			int32_t want = k < nref ? k : nref;

			if (n != want)
				all = false;
			for (int j = 0; j < n && j < want; j++)
				if (idx[j] != ref[j] || val[j] != s[ref[j]])
					all = false;
		}
	}
	OK(all, "top-k equals a full sort (ties by index, skips, NaN, k > n)");
	OK(pgl_topk(s, N, NULL, 0, idx, val) == 0, "k = 0 selects nothing");
	OK(pgl_topk(s, 0, NULL, 5, idx, val) == 0, "n = 0 selects nothing");
	{
		float	t[5] = {1, 3, 3, 2, 3};
		int32_t n = pgl_topk(t, 5, NULL, 2, idx, val);

		OK(n == 2 && idx[0] == 1 && idx[1] == 2, "ties go to the lower index first");
	}
}

/* ---------- the implicit row solve ---------- */

/* solve A x = b (n x n, row-major, overwritten) by Gaussian elimination */
static void
dense_solve(double *A, double *b, int n)
{
	for (int c = 0; c < n; c++)
	{
		int p = c;

		for (int r = c + 1; r < n; r++)
			if (fabs(A[r * n + c]) > fabs(A[p * n + c]))
				p = r;
		for (int j = 0; j < n; j++)
		{
			double t = A[c * n + j];

			A[c * n + j] = A[p * n + j];
			A[p * n + j] = t;
		}
		{
			double t = b[c];

			b[c] = b[p];
			b[p] = t;
		}
		for (int r = c + 1; r < n; r++)
		{
			double f = A[r * n + c] / A[c * n + c];

			for (int j = c; j < n; j++)
				A[r * n + j] -= f * A[c * n + j];
			b[r] -= f * b[c];
		}
	}
	for (int c = n - 1; c >= 0; c--)
	{
		for (int j = c + 1; j < n; j++)
			b[c] -= A[c * n + j] * b[j];
		b[c] /= A[c * n + c];
	}
}

static void
test_implicit_solve(void)
{
	enum
	{
		NY = 60,
		K = 8,
		N = 12
	};
	float	   Y[NY * K];
	int32_t	   items[N];
	float	   r[N];
	double	   A[K * K], b[K];
	float	   xd[K], x3[K], x50[K], ref[K];
	double	   l2 = 0.5, alpha = 5.0;
	pgl_status st = {0};
	pgl_rc	   rc;
	double	   res0 = 0, res3 = 0;

	for (int j = 0; j < NY * K; j++)
		Y[j] = (float) (nrand() * 0.5);
	for (int j = 0; j < N; j++)
	{
		items[j] = j * 5 + 1;
		r[j] = j % 4 == 3 ? -1.0f : (float) (0.5 + urand() * 3);
	}
	/* the dense system in the test */
	for (int a = 0; a < K; a++)
	{
		b[a] = 0;
		for (int c = 0; c < K; c++)
		{
			double s = a == c ? l2 : 0.0;

			for (int y = 0; y < NY; y++)
				s += (double) Y[y * K + a] * Y[y * K + c];
			for (int j = 0; j < N; j++)
				s += alpha * fabs(r[j]) * Y[items[j] * K + a] * Y[items[j] * K + c];
			A[a * K + c] = s;
		}
		for (int j = 0; j < N; j++)
			if (r[j] > 0)
				b[a] += (1 + alpha * r[j]) * Y[items[j] * K + a];
	}
	{
		double Ac[K * K], bc[K];

		memcpy(Ac, A, sizeof(A));
		memcpy(bc, b, sizeof(b));
		dense_solve(Ac, bc, K);
		for (int a = 0; a < K; a++)
			ref[a] = (float) bc[a];
	}

	rc = pgl_als_implicit_solve(&pgl_malloc_env, Y, NY, K, items, r, N, l2, alpha, 0, xd, &st);
	OK(rc == PGL_OK && vec_rel_diff(xd, ref, K) < 1e-5,
	   "direct implicit solve matches a dense solve (rel %g)", vec_rel_diff(xd, ref, K));
	for (int a = 0; a < K; a++)
		x50[a] = x3[a] = (float) (nrand() * 0.1);
	for (int a = 0; a < K; a++)
	{
		double s = -b[a];

		for (int c = 0; c < K; c++)
			s += A[a * K + c] * x3[c];
		res0 += s * s;
	}
	rc = pgl_als_implicit_solve(&pgl_malloc_env, Y, NY, K, items, r, N, l2, alpha, 50, x50, &st);
	OK(rc == PGL_OK && vec_rel_diff(x50, ref, K) < 1e-3,
	   "50 warm-started CG steps converge to the dense solution (rel %g)",
	   vec_rel_diff(x50, ref, K));
	rc = pgl_als_implicit_solve(&pgl_malloc_env, Y, NY, K, items, r, N, l2, alpha, 3, x3, &st);
	for (int a = 0; a < K; a++)
	{
		double s = -b[a];

		for (int c = 0; c < K; c++)
			s += A[a * K + c] * x3[c];
		res3 += s * s;
	}
	OK(rc == PGL_OK && res3 < 0.1 * res0, "3 CG steps cut the residual (%g -> %g)", sqrt(res0),
	   sqrt(res3));
	items[2] = NY;
	rc = pgl_als_implicit_solve(&pgl_malloc_env, Y, NY, K, items, r, N, l2, alpha, 3, x3, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, "60"), "an item out of range is named (%s)", st.msg);
}

/* ---------- explicit ---------- */

/* the explicit objective of als.h, computed directly */
static double
explicit_objective(const pgl_als_model *m, const pgl_ratings *R, double l2)
{
	double loss = 0;

	for (int32_t u = 0; u < R->n_users; u++)
	{
		double n = (double) (R->user_ptr[u + 1] - R->user_ptr[u]);
		double sq = (double) m->user_bias[u] * m->user_bias[u];

		for (int d = 0; d < m->k; d++)
			sq += (double) m->U[u * m->k + d] * m->U[u * m->k + d];
		loss += l2 * n * sq;
		for (int64_t q = R->user_ptr[u]; q < R->user_ptr[u + 1]; q++)
		{
			double e = R->user_vals[q] - pgl_als_predict(m, u, R->user_items[q]);

			loss += e * e;
		}
	}
	for (int32_t i = 0; i < R->n_items; i++)
	{
		double n = (double) (R->item_ptr[i + 1] - R->item_ptr[i]);
		double sq = (double) m->item_bias[i] * m->item_bias[i];

		for (int d = 0; d < m->k; d++)
			sq += (double) m->V[i * m->k + d] * m->V[i * m->k + d];
		loss += l2 * n * sq;
	}
	return loss;
}

static double
rmse_on(const pgl_als_model *m, const triples *t)
{
	double s = 0;

	for (int64_t j = 0; j < t->n; j++)
	{
		double e = pgl_als_predict(m, t->u[j], t->i[j]) - t->r[j];

		s += e * e;
	}
	return sqrt(s / t->n);
}

static void
test_explicit(void)
{
	enum
	{
		NU = 300,
		NI = 200,
		K = 5
	};
	double			 noise = 0.1;
	triples			 tr, te;
	pgl_ratings		 R, T;
	pgl_als_params	 p = params_default(false, K);
	pgl_als_model	 m, m2, m3;
	pgl_als_info	 info;
	pgl_status		 st = {0};
	counters		 c;
	pgl_env			 env = make_env(&c);
	pgl_rc			 rc;
	double			 rmse_tr, rmse_te, obj;
	pgl_rank_metrics rm;

	planted_explicit(NU, NI, K, 0.3, noise, 10, &tr, &te);
	R = build(&tr, NU, NI);
	T = build(&te, NU, NI);
	p.iterations = 25;
	p.l2 = 0.005;
	rc = pgl_als_fit(&env, &R, &p, &m, &info, &st);
	OK(rc == PGL_OK, "explicit fit succeeds (%s)", st.msg);
	OK(c.progress == p.iterations && c.last_iter == p.iterations && info.iterations == 25,
	   "progress after every iteration (%d)", c.progress);
	OK(c.interrupts >= 2 * p.iterations, "interrupts checked (%d)", c.interrupts);
	rmse_tr = rmse_on(&m, &tr);
	rmse_te = rmse_on(&m, &te);
	OK(rmse_tr < noise * 1.0, "train RMSE near the noise (%.4f, noise %.2f)", rmse_tr, noise);
	OK(rmse_te < noise * 1.1, "held-out RMSE within 10%% of the noise (%.4f)", rmse_te);
	obj = explicit_objective(&m, &R, p.l2);
	NEAR(info.loss, obj, 1e-3, "info->loss is the objective (%.6g vs %.6g)", info.loss, obj);
	{
		double sum = 0;

		for (int64_t j = 0; j < tr.n; j++)
			sum += tr.r[j];
		NEAR(m.mu, sum / tr.n, 1e-9, "mu is the mean training rating");
	}

	/* evaluate: RMSE and MAE on the test ratings */
	rc = pgl_als_evaluate(&env, &m, &R, &T, 10, false, 2, &rm, &st);
	OK(rc == PGL_OK && fabs(rm.rmse - rmse_te) < 1e-4 && rm.mae > 0 && rm.mae <= rm.rmse,
	   "evaluate reports the test RMSE (%.4f) and MAE (%.4f)", rm.rmse, rm.mae);
	OK(rm.users > 0 && rm.users <= NU && rm.coverage > 0 && rm.coverage <= 1,
	   "evaluate counts users (%lld) and coverage (%.3f)", (long long) rm.users, rm.coverage);

	/* determinism: same seed, 1 thread twice; 2 threads the same */
	rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m2, &info, &st);
	p.threads = 2;
	rc |= pgl_als_fit(&pgl_malloc_env, &R, &p, &m3, &info, &st);
	OK(rc == PGL_OK && memcmp(m.U, m2.U, sizeof(float) * NU * K) == 0 &&
		   memcmp(m.V, m2.V, sizeof(float) * NI * K) == 0 &&
		   memcmp(m.user_bias, m2.user_bias, sizeof(float) * NU) == 0,
	   "explicit: the same seed gives identical factors");
	OK(memcmp(m.U, m3.U, sizeof(float) * NU * K) == 0 &&
		   memcmp(m.V, m3.V, sizeof(float) * NI * K) == 0 &&
		   memcmp(m.item_bias, m3.item_bias, sizeof(float) * NI) == 0,
	   "explicit: 2 threads give the factors of 1 thread");
	pgl_als_model_free(&pgl_malloc_env, &m2);
	pgl_als_model_free(&pgl_malloc_env, &m3);
	p.threads = 1;

	/* fold-in of a trained user */
	{
		double worst = 0, bias_err = 0;

		for (int32_t u = 0; u < 5; u++)
		{
			int64_t q0 = R.user_ptr[u];
			int32_t n = (int32_t) (R.user_ptr[u + 1] - q0);
			float	x[K], b;

			rc = pgl_als_fold_in(&env, &m, &p, R.user_items + q0, R.user_vals + q0, n, x, &b, &st);
			if (rc != PGL_OK)
				worst = INFINITY;
			worst = fmax(worst, vec_rel_diff(x, m.U + u * K, K));
			bias_err = fmax(bias_err, fabs(b - m.user_bias[u]));
		}
		OK(worst < 0.01 && bias_err < 0.01,
		   "explicit fold-in reproduces trained users (rel %.2g, bias %.2g)", worst, bias_err);
	}
	{
		int32_t bad[2] = {3, NI};
		float	rr[2] = {1, 2};
		float	x[K], b;

		rc = pgl_als_fold_in(&env, &m, &p, bad, rr, 2, x, &b, &st);
		OK(rc == PGL_ERR_INVALID && strstr(st.msg, "200"), "fold-in names a bad item (%s)", st.msg);
		rc = pgl_als_fold_in(&env, &m, &p, bad, rr, 0, x, &b, &st);
		OK(rc == PGL_OK && b == 0 && x[0] == 0, "fold-in of no ratings is zero");
	}

	/* recommend excludes seen items; scores are predictions */
	{
		int32_t u = 7;
		int64_t q0 = R.user_ptr[u], n = R.user_ptr[u + 1] - q0;
		int32_t items[20];
		float	scores[20];
		int32_t n_out;
		bool	ok = true;

		rc = pgl_als_recommend(&env, &m, m.U + u * K, m.user_bias[u], R.user_items + q0, n, 20,
							   items, scores, &n_out, &st);
		OK(rc == PGL_OK && n_out == 20, "recommend returns k items");
		for (int j = 0; j < n_out; j++)
		{
			for (int64_t q = q0; q < q0 + n; q++)
				if (R.user_items[q] == items[j])
					ok = false;
			if (j > 0 && scores[j] > scores[j - 1])
				ok = false;
			if (fabs(scores[j] - pgl_als_predict(&m, u, items[j])) > 1e-4)
				ok = false;
		}
		OK(ok, "recommend skips seen items, best first, scores are predictions");
	}

	/* recommend_block equals per-user recommend */
	{
		enum
		{
			U0 = 10,
			U1 = 75,
			KK = 8
		};
		int32_t items[(U1 - U0) * KK], counts[U1 - U0];
		float	scores[(U1 - U0) * KK];
		bool	same = true;

		rc = pgl_als_recommend_block(&env, &m, &R, U0, U1, KK, 2, items, scores, counts, &st);
		OK(rc == PGL_OK, "recommend_block succeeds");
		for (int32_t u = U0; u < U1; u++)
		{
			int64_t q0 = R.user_ptr[u], n = R.user_ptr[u + 1] - q0;
			int32_t it1[KK], n1;
			float	sc1[KK];

			pgl_als_recommend(&env, &m, m.U + u * K, m.user_bias[u], R.user_items + q0, n, KK, it1,
							  sc1, &n1, &st);
			if (n1 != counts[u - U0])
				same = false;
			for (int j = 0; j < n1 && same; j++)
				if (fabs(sc1[j] - scores[(u - U0) * KK + j]) > 1e-4 ||
					(it1[j] != items[(u - U0) * KK + j] &&
					 (j + 1 >= n1 || fabs(sc1[j] - sc1[j + 1]) > 1e-4)))
					same = false;
		}
		OK(same, "recommend_block equals per-user recommend");
		rc = pgl_als_recommend_block(&env, &m, &R, 5, NU + 1, KK, 1, items, scores, counts, &st);
		OK(rc == PGL_ERR_INVALID, "recommend_block rejects a bad range (%s)", st.msg);
	}
	pgl_als_model_free(&pgl_malloc_env, &m);
	pgl_ratings_free(&pgl_malloc_env, &R);
	pgl_ratings_free(&pgl_malloc_env, &T);
	triples_free(&tr);
	triples_free(&te);
}

/* ---------- implicit ---------- */

/* the implicit objective of als.h, over all pairs */
static double
implicit_objective(const pgl_als_model *m, const pgl_ratings *R, double l2, double alpha)
{
	double loss = 0;

	for (int32_t u = 0; u < m->n_users; u++)
	{
		int64_t q = R->user_ptr[u];

		for (int32_t i = 0; i < m->n_items; i++)
		{
			double s = pgl_als_predict(m, u, i), c = 1, p = 0;

			if (q < R->user_ptr[u + 1] && R->user_items[q] == i)
			{
				c = 1 + alpha * fabs(R->user_vals[q]);
				p = R->user_vals[q] > 0;
				q++;
			}
			loss += c * (p - s) * (p - s);
		}
	}
	for (int64_t j = 0; j < (int64_t) m->n_users * m->k; j++)
		loss += l2 * m->U[j] * m->U[j];
	for (int64_t j = 0; j < (int64_t) m->n_items * m->k; j++)
		loss += l2 * m->V[j] * m->V[j];
	return loss;
}

static void
test_implicit(void)
{
	enum
	{
		NU = 400,
		NI = 300,
		C = 10,
		K = 10,
		TOP = 10
	};
	triples			 tr, te;
	pgl_ratings		 R, T;
	pgl_als_params	 p = params_default(true, K);
	pgl_als_model	 m, m2;
	pgl_als_info	 info;
	pgl_status		 st = {0};
	pgl_rc			 rc;
	pgl_rank_metrics rm;
	double			 pop_recall = 0, obj;
	int32_t			 pop_users = 0;

	planted_implicit(NU, NI, C, 20, 4, &tr, &te);
	R = build(&tr, NU, NI);
	T = build(&te, NU, NI);
	p.iterations = 12;
	rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st);
	OK(rc == PGL_OK, "implicit fit succeeds (%s)", st.msg);
	OK(m.mu == 0 && m.user_bias[3] == 0 && m.item_bias[5] == 0, "implicit: no biases");
	obj = implicit_objective(&m, &R, p.l2, p.alpha);
	NEAR(info.loss, obj, 1e-3, "info->loss is the implicit objective (%.6g vs %.6g)", info.loss,
		 obj);

	rc = pgl_als_evaluate(&pgl_malloc_env, &m, &R, &T, TOP, true, 2, &rm, &st);
	OK(rc == PGL_OK && rm.users == NU && isnan(rm.rmse) && isnan(rm.mae),
	   "implicit evaluate: every user counted, no RMSE");

	/* popularity baseline: the most popular unseen training items */
	{
		int32_t pop[NI], order[NI], top[TOP + 64];
		float	popf[NI];

		for (int32_t i = 0; i < NI; i++)
			popf[i] = (float) (R.item_ptr[i + 1] - R.item_ptr[i]);
		(void) pop;
		(void) order;
		for (int32_t u = 0; u < NU; u++)
		{
			bool	skip[NI];
			float	v[TOP];
			int32_t n, hits = 0, rel = 0;

			memset(skip, 0, sizeof(skip));
			for (int64_t q = R.user_ptr[u]; q < R.user_ptr[u + 1]; q++)
				skip[R.user_items[q]] = true;
			n = pgl_topk(popf, NI, skip, TOP, top, v);
			for (int64_t q = T.user_ptr[u]; q < T.user_ptr[u + 1]; q++)
			{
				rel++;
				for (int j = 0; j < n; j++)
					hits += top[j] == T.user_items[q];
			}
			if (rel > 0)
			{
				pop_recall += (double) hits / (rel < TOP ? rel : TOP);
				pop_users++;
			}
		}
		pop_recall /= pop_users;
	}
	OK(rm.recall > 2 * pop_recall && rm.recall > 0.3,
	   "implicit recall@10 %.3f beats popularity %.3f", rm.recall, pop_recall);
	OK(rm.precision > 0 && rm.ndcg > 0 && rm.map > 0 && rm.ndcg <= 1 && rm.map <= 1,
	   "precision %.3f, ndcg %.3f, map %.3f", rm.precision, rm.ndcg, rm.map);

	/* determinism */
	p.threads = 2;
	rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m2, &info, &st);
	OK(rc == PGL_OK && memcmp(m.U, m2.U, sizeof(float) * NU * K) == 0 &&
		   memcmp(m.V, m2.V, sizeof(float) * NI * K) == 0,
	   "implicit: 2 threads give the factors of 1 thread");
	pgl_als_model_free(&pgl_malloc_env, &m2);
	p.threads = 1;
	p.seed = 43;
	rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m2, &info, &st);
	OK(rc == PGL_OK && memcmp(m.U, m2.U, sizeof(float) * NU * K) != 0,
	   "another seed gives other factors");
	pgl_als_model_free(&pgl_malloc_env, &m2);
	p.seed = 42;

	/* fold-in (a direct solve) against trained users (CG, warm-started) */
	{
		pgl_als_params p2 = p;
		double		   worst = 0;

		p2.iterations = 30;
		rc = pgl_als_fit(&pgl_malloc_env, &R, &p2, &m2, &info, &st);
		for (int32_t u = 0; u < 5; u++)
		{
			int64_t q0 = R.user_ptr[u];
			float	x[K], b = 1;

			rc |= pgl_als_fold_in(&pgl_malloc_env, &m2, &p2, R.user_items + q0, R.user_vals + q0,
								  (int32_t) (R.user_ptr[u + 1] - q0), x, &b, &st);
			worst = fmax(worst, vec_rel_diff(x, m2.U + u * K, K));
			if (b != 0)
				worst = INFINITY;
		}
		OK(rc == PGL_OK && worst < 0.05, "implicit fold-in reproduces trained users (rel %.3g)",
		   worst);
		pgl_als_model_free(&pgl_malloc_env, &m2);
	}

	/* similar items: nearest neighbours are in the item's cluster */
	{
		int32_t same = 0, tried = 0;

		for (int32_t i = 0; i < 40; i++)
		{
			int32_t nn[3], n;
			float	sc[3];

			rc = pgl_als_similar(&pgl_malloc_env, m.V, NI, K, i, 3, nn, sc, &n, &st);
			if (rc != PGL_OK || n != 3 || nn[0] == i || nn[1] == i || sc[0] < sc[1] ||
				sc[0] > 1.0001f)
				continue;
			tried++;
			same += nn[0] % C == i % C;
		}
		OK(tried == 40 && same >= 38, "nearest items share the cluster (%d of %d)", same, tried);
	}
	pgl_als_model_free(&pgl_malloc_env, &m);
	pgl_ratings_free(&pgl_malloc_env, &R);
	pgl_ratings_free(&pgl_malloc_env, &T);
	triples_free(&tr);
	triples_free(&te);
}

static void
test_similar_zero(void)
{
	float	   F[4 * 2] = {1, 0, 0, 0, 2, 0.1f, -1, 0};
	int32_t	   out[4], n;
	float	   sc[4];
	pgl_status st = {0};
	pgl_rc	   rc = pgl_als_similar(&pgl_malloc_env, F, 4, 2, 0, 10, out, sc, &n, &st);

	OK(rc == PGL_OK && n == 3 && out[0] == 2 && out[1] == 1 && sc[1] == 0.0f && out[2] == 3 &&
		   fabsf(sc[2] + 1) < 1e-6,
	   "similar: cosine order, a zero row scores 0, itself excluded");
	rc = pgl_als_similar(&pgl_malloc_env, F, 4, 2, 1, 10, out, sc, &n, &st);
	OK(rc == PGL_OK && n == 3 && sc[0] == 0 && sc[1] == 0 && sc[2] == 0,
	   "similar to a zero row: all scores 0");
	rc = pgl_als_similar(&pgl_malloc_env, F, 4, 2, 4, 10, out, sc, &n, &st);
	OK(rc == PGL_ERR_INVALID, "similar rejects an index out of range");
}

/* ---------- evaluate metrics by hand ---------- */

static void
test_evaluate_metrics(void)
{
	/* 1-d factors: item scores 5, 4, 3, 2, 1 for every user (U = 1) */
	float		  U[2] = {1, 1}, V[5] = {5, 4, 3, 2, 1}, ub[2] = {0, 0}, ib[5] = {0};
	pgl_als_model m = {.n_users = 2,
					   .n_items = 5,
					   .k = 1,
					   .U = U,
					   .V = V,
					   .user_bias = ub,
					   .item_bias = ib,
					   .mu = 0};
	/* train: user 0 saw item 0; test: user 0 -> items 2, 4; user 1 -> item 1 (r <= 0) */
	triples			 tr, te;
	pgl_ratings		 R, T;
	pgl_rank_metrics rm;
	pgl_status		 st = {0};
	pgl_rc			 rc;

	triples_alloc(&tr, 4);
	triples_alloc(&te, 4);
	triples_add(&tr, 0, 0, 1);
	triples_add(&te, 0, 2, 1);
	triples_add(&te, 0, 4, 1);
	triples_add(&te, 1, 1, 0);
	R = build(&tr, 2, 5);
	T = build(&te, 2, 5);
	rc = pgl_als_evaluate(&pgl_malloc_env, &m, &R, &T, 2, true, 1, &rm, &st);
	/* user 0 gets items 1, 2: one hit at rank 2 */
	OK(rc == PGL_OK && rm.users == 1, "only users with a relevant item count");
	NEAR(rm.precision, 0.5, 1e-12, "precision@2 = 1/2");
	NEAR(rm.recall, 0.5, 1e-12, "recall@2 = 1/min(2, 2)");
	NEAR(rm.ndcg, (1 / log2(3.0)) / (1 + 1 / log2(3.0)), 1e-12, "ndcg@2");
	NEAR(rm.map, 0.5 / 2, 1e-12, "map@2");
	NEAR(rm.coverage, 2.0 / 5, 1e-12, "coverage");

	/* explicit: the r <= 0 rating is relevant too, and errors are reported */
	rc = pgl_als_evaluate(&pgl_malloc_env, &m, &R, &T, 2, false, 1, &rm, &st);
	OK(rc == PGL_OK && rm.users == 2, "explicit: every test user counts");
	NEAR(rm.rmse, sqrt((4.0 + 0.0 + 16.0) / 3), 1e-6, "rmse on the test ratings");
	NEAR(rm.mae, (2.0 + 0.0 + 4.0) / 3, 1e-6, "mae on the test ratings");

	/* nobody relevant: NaN */
	pgl_ratings_free(&pgl_malloc_env, &T);
	te.n = 0;
	triples_add(&te, 1, 3, -1);
	T = build(&te, 2, 5);
	rc = pgl_als_evaluate(&pgl_malloc_env, &m, &R, &T, 2, true, 1, &rm, &st);
	OK(rc == PGL_OK && rm.users == 0 && isnan(rm.precision) && isnan(rm.ndcg) && isnan(rm.rmse),
	   "no relevant test item: metrics NaN");
	pgl_ratings_free(&pgl_malloc_env, &R);
	pgl_ratings_free(&pgl_malloc_env, &T);
	triples_free(&tr);
	triples_free(&te);
}

/* ---------- validation and allocation failures ---------- */

static void
test_validation(void)
{
	triples		   t;
	pgl_ratings	   R;
	pgl_als_params p;
	pgl_als_model  m;
	pgl_als_info   info;
	pgl_status	   st = {0};
	pgl_rc		   rc;
	bool		   all = true;

	triples_alloc(&t, 4);
	triples_add(&t, 0, 0, 1);
	triples_add(&t, 1, 1, 2);
	R = build(&t, 2, 2);
	for (int which = 0; which < 9; which++)
	{
		p = params_default(which >= 6, 2);
		switch (which)
		{
			case 0:
				p.factors = 0;
				break;
			case 1:
				p.iterations = 0;
				break;
			case 2:
				p.l2 = -1;
				break;
			case 3:
				p.l2 = 0; /* explicit needs l2 > 0 */
				break;
			case 4:
				p.threads = 0;
				break;
			case 5:
				p.l2 = NAN;
				break;
			case 6:
				p.alpha = -1;
				break;
			case 7:
				p.cg_steps = 0;
				break;
			case 8:
				R.user_vals[1] = NAN;
				break;
		}
		rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st);
		if (rc != PGL_ERR_INVALID || !is_lower_msg(&st) || m.U != NULL)
		{
			printf("# case %d: rc %d msg %s\n", which, rc, st.msg);
			all = false;
		}
	}
	OK(all, "invalid parameters and NaN ratings are rejected with a lowercase message");
	p = params_default(true, 2);
	p.l2 = 0;
	R.user_vals[1] = 2;
	st.msg[0] = '\0';
	rc = pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st);
	OK(rc == PGL_OK, "implicit accepts l2 = 0 (%s)", st.msg);
	pgl_als_model_free(&pgl_malloc_env, &m);
	pgl_ratings_free(&pgl_malloc_env, &R);
	triples_free(&t);
}

static void
test_alloc_failures(void)
{
	triples t;
	int		fails[2] = {0, 0};
	bool	all = true;
	int32_t items[4 * 3], counts[4];
	float	scores[4 * 3];

	triples_alloc(&t, 64);
	for (int32_t u = 0; u < 6; u++)
		for (int32_t i = 0; i < 5; i++)
			if ((u + i) % 2 == 0)
				triples_add(&t, u, i, (float) (1 + (u * i) % 4));
	for (int implicit = 0; implicit < 2; implicit++)
	{
		pgl_als_params p = params_default(implicit, 3);

		p.threads = 2;
		p.iterations = 2;
		for (int at = 0; at < 200; at++)
		{
			counters	  c;
			pgl_env		  env = make_env(&c);
			pgl_ratings	  R;
			pgl_als_model m;
			pgl_als_info  info;
			pgl_status	  st = {0};
			pgl_rc		  rc;

			R = build(&t, 6, 5);
			c.fail_at = at;
			rc = pgl_als_fit(&env, &R, &p, &m, &info, &st);
			if (rc == PGL_OK)
			{
				/* and the scoring paths that allocate */
				pgl_rank_metrics rm;

				rc = pgl_als_recommend_block(&env, &m, &R, 0, 4, 3, 2, items, scores, counts, &st);
				if (rc == PGL_OK)
					rc = pgl_als_evaluate(&env, &m, &R, &R, 3, implicit, 2, &rm, &st);
				pgl_als_model_free(&pgl_malloc_env, &m);
				pgl_ratings_free(&pgl_malloc_env, &R);
				if (rc == PGL_OK)
					break;
			}
			else
				pgl_ratings_free(&pgl_malloc_env, &R);
			if (rc != PGL_ERR_NOMEM || strcmp(st.msg, "out of memory") != 0)
				all = false;
			fails[implicit]++;
		}
	}
	OK(all && fails[0] > 5 && fails[1] > 5,
	   "every failed allocation returns out of memory (%d explicit, %d implicit), no leaks",
	   fails[0], fails[1]);

	/* ratings_build */
	{
		int n = 0;

		all = true;
		for (int at = 0; at < 20; at++)
		{
			counters	c;
			pgl_env		env = make_env(&c);
			pgl_ratings R;
			pgl_status	st = {0};
			pgl_rc		rc;

			c.fail_at = at;
			rc = pgl_ratings_build(&env, 6, 5, t.n, t.u, t.i, t.r, &R, &st);
			if (rc == PGL_OK)
			{
				pgl_ratings_free(&env, &R);
				break;
			}
			n++;
			if (rc != PGL_ERR_NOMEM || R.user_ptr != NULL)
				all = false;
		}
		OK(all && n == 6, "ratings_build fails cleanly at each of its %d allocations", n);
	}
	triples_free(&t);
}

/* bias_l2, early stopping on a validation split, and pgl_als_fit_auto */
static void
test_auto(void)
{
	enum
	{
		NU = 200,
		NI = 150,
		K = 3
	};
	triples				tr, te;
	pgl_ratings			R, T;
	pgl_als_params		p = params_default(false, K);
	pgl_als_model		m;
	pgl_als_info		info;
	pgl_status			st = {0};
	double				scores[30], maxb = 0;
	static const double l2s[] = {1e-4, 0.05, 30};
	static const double biases[] = {5, 1};
	pgl_als_auto		a;

	planted_explicit(NU, NI, K, 0.3, 1.0, 10, &tr, &te);
	R = build(&tr, NU, NI);
	T = build(&te, NU, NI);

	/* an overwhelming bias penalty leaves the biases at 0 */
	p.bias_l2 = 1e12;
	OK(pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st) == PGL_OK, "bias_l2 fit (%s)", st.msg);
	for (int32_t u = 0; u < NU; u++)
		maxb = fmax(maxb, fabs(m.user_bias[u]));
	OK(maxb < 1e-6, "bias_l2 1e12: user biases 0 (largest %g)", maxb);
	pgl_als_model_free(&pgl_malloc_env, &m);

	/* early stopping: scores recorded, the best kept, stopped after patience */
	p.bias_l2 = 1;
	p.l2 = 1e-4; /* over-fits: the validation RMSE turns up */
	p.iterations = 30;
	p.val = &T;
	p.patience = 2;
	p.val_scores = scores;
	OK(pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st) == PGL_OK, "early stopping fit (%s)",
	   st.msg);
	{
		bool best = true;

		for (int32_t j = 0; j < info.iterations; j++)
			best = best && scores[j] >= info.best_score;
		OK(info.best_iteration >= 1 && scores[info.best_iteration - 1] == info.best_score && best &&
			   (info.iterations == 30 || info.iterations == info.best_iteration + 2),
		   "early stopping: best %d of %d run, score %g", info.best_iteration, info.iterations,
		   info.best_score);
	}
	pgl_als_model_free(&pgl_malloc_env, &m);
	p.patience = 0;
	OK(pgl_als_fit(&pgl_malloc_env, &R, &p, &m, &info, &st) == PGL_ERR_INVALID,
	   "patience 0 refused");

	/* the search: every l2 with the first bias, then the other bias with the best l2 */
	p = params_default(false, K);
	memset(&a, 0, sizeof(a));
	a.l2_grid = l2s;
	a.n_l2 = 3;
	a.bias_grid = biases;
	a.n_bias = 2;
	a.val_fraction = 0.1;
	a.min_ratings = 100;
	p.patience = 2;
	OK(pgl_als_fit_auto(&pgl_malloc_env, &R, &p, &a, &m, &info, &st) == PGL_OK, "auto fit (%s)",
	   st.msg);
	for (int32_t j = 0; j < a.n_trials; j++)
		printf("# trial %d: l2 %g bias_l2 %g score %g iterations %d\n", j, a.trials[j].l2,
			   a.trials[j].bias_l2, a.trials[j].score, a.trials[j].iterations);
	OK(a.n_val > 0 && a.n_trials == 4 && a.trials[3].l2 == a.trials[1].l2 &&
		   a.trials[0].bias_l2 == 5 && a.trials[3].bias_l2 == 1,
	   "auto: 4 trials on %lld validation ratings", (long long) a.n_val);
	OK(a.trials[a.chosen].l2 == 0.05 && info.iterations == a.trials[a.chosen].iterations,
	   "auto: picks l2 0.05 (planted noise 1, between over- and under-fitting), %d iterations",
	   info.iterations);
	pgl_als_model_free(&pgl_malloc_env, &m);
	a.min_ratings = R.nnz + 1;
	OK(pgl_als_fit_auto(&pgl_malloc_env, &R, &p, &a, &m, &info, &st) == PGL_OK && a.n_val == 0 &&
		   a.chosen == -1 && info.iterations == p.iterations,
	   "auto: too few ratings, no split, the first values");
	pgl_als_model_free(&pgl_malloc_env, &m);
	pgl_ratings_free(&pgl_malloc_env, &R);
	pgl_ratings_free(&pgl_malloc_env, &T);
	triples_free(&tr);
	triples_free(&te);
}

int
main(void)
{
	test_ratings_build();
	test_topk();
	test_implicit_solve();
	test_explicit();
	test_implicit();
	test_similar_zero();
	test_evaluate_metrics();
	test_validation();
	test_alloc_failures();
	test_auto();
	return unit_done();
}
