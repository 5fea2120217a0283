/*-------------------------------------------------------------------------
 *
 * als.c
 *	  Matrix factorization by alternating least squares: the ratings in
 *	  both CSR orientations, the explicit (biased, weighted-lambda) and
 *	  implicit (Hu, Koren, Volinsky) fits, and fold-in.
 *
 * A half-iteration solves every row of one side (users, then items) against
 * the fixed factors of the other side.  Rows are independent, so they are
 * split over params->threads POSIX threads that take small batches of rows
 * from an atomic counter; the result of a row does not depend on which
 * thread solved it, so the fit is identical for any thread count.  The rows
 * are processed in chunks of a bounded amount of work: the calling thread
 * starts the threads on a chunk, joins them, and only then calls
 * env->check_interrupts (which may longjmp), so no thread is ever running
 * while env is used.  All workspace is allocated before the first chunk.
 *
 * Explicit row (user u with items I, n = |I|): with A = [V_I, 1] (n x k+1,
 * gathered in float64) and t = r - mu - c_I, solve
 *	 (AᵀA + l2 n I) [U_u, b_u] = Aᵀt
 * in float64: the Gram matrix accumulated eight rows at a time, then a
 * Cholesky factorization (both plain loops; see below why not DSYRK and
 * DPOTRF).  The row's share of the objective follows from the normal
 * equations without another pass over the ratings: for the item side,
 * tᵀt - xᵀAᵀt is the row's squared error plus its regularization; for the
 * user side l2 n |x|^2 is its regularization.  (info->loss is therefore the
 * objective at the float64 solutions; storing them as float32 moves it by
 * rounding only.)  Negative ratings are allowed.
 *
 * Implicit loss: the weighted objective over all user-item pairs, from
 * sum_i V_iᵀ(UᵀU)V_i plus corrections over the observed pairs, computed
 * during the item step (one extra SGEMV per item).  A negative rating
 * counts as an observed 0 preference with confidence 1 + alpha |r|.
 *
 * Implicit row: with c = 1 + alpha |r| and p = (r > 0), the system
 *	 (YᵀY + l2 I + Y_Iᵀ (C_I - I) Y_I) x = Y_Iᵀ C_I p_I
 * is solved by cg_steps conjugate-gradient steps warm-started from the
 * current x (the method of the "implicit" library): each product is
 * (YᵀY + l2 I) v + Y_Iᵀ ((c - 1) .* (Y_I v)), with Y_I gathered once per row
 * (two SGEMVs), never a per-row Gram matrix.  YᵀY comes from one SSYRK per
 * half-iteration, on the calling thread.
 *
 *-------------------------------------------------------------------------
 */
#include "als.h"
#include "als_internal.h"

#include <cblas.h>
#include "lapack.h"
#include <math.h>
#include <string.h>
#include <time.h>

/* rows of a row's gathered block; longer rows are gathered in segments */
#define ALS_SEG_ROWS 2048

/* rows a thread takes from the shared counter at a time */
#define ALS_GRAIN 8

/* work of one chunk between interrupt checks, in multiply-adds per thread */
#define ALS_CHUNK_FMA (1 << 26)

/* rows of Y per SSYRK call for YᵀY (interrupts are checked in between) */
#define ALS_SYRK_ROWS 65536

/* CG stops early once |r|^2 is below this (as the implicit library does) */
#define ALS_CG_EPS 1e-20f

/* ---------- threads ---------- */

typedef struct als_thread_arg
{
	als_task_fn fn;
	void	   *ctx;
	int32_t		tid;
} als_thread_arg;

static void *
als_thread_main(void *arg)
{
	als_thread_arg *a = arg;

	a->fn(a->ctx, a->tid);
	return NULL;
}

pgl_rc
pgl_als_team_init(const pgl_env *env, als_team *team, int32_t threads, pgl_status *st)
{
	team->n = threads < 1 ? 1 : threads;
	team->th = pgl_alloc(env, sizeof(pthread_t) * (size_t) team->n);
	team->args = pgl_alloc(env, sizeof(als_thread_arg) * (size_t) team->n);
	team->started = pgl_alloc(env, sizeof(bool) * (size_t) team->n);
	if (!team->th || !team->args || !team->started)
	{
		pgl_als_team_free(env, team);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	return PGL_OK;
}

void
pgl_als_team_free(const pgl_env *env, als_team *team)
{
	pgl_free(env, team->th);
	pgl_free(env, team->args);
	pgl_free(env, team->started);
	memset(team, 0, sizeof(*team));
}

/*
 * Run fn(ctx, tid) for tid = 0..n-1, tid 0 on the calling thread, and wait
 * for all.  A thread that cannot be started has its share run here: the
 * tasks take their work from shared counters, so any split is correct.
 */
void
pgl_als_team_run(als_team *team, als_task_fn fn, void *ctx)
{
	als_thread_arg *args = team->args;

	for (int32_t t = 1; t < team->n; t++)
	{
		args[t].fn = fn;
		args[t].ctx = ctx;
		args[t].tid = t;
		team->started[t] = pthread_create(&team->th[t], NULL, als_thread_main, &args[t]) == 0;
	}
	fn(ctx, 0);
	for (int32_t t = 1; t < team->n; t++)
	{
		if (team->started[t])
			pthread_join(team->th[t], NULL);
		else
			fn(ctx, t);
	}
}

/* ---------- ratings ---------- */

void
pgl_ratings_free(const pgl_env *env, pgl_ratings *r)
{
	if (r == NULL)
		return;
	pgl_free(env, r->user_ptr);
	pgl_free(env, r->user_items);
	pgl_free(env, r->user_vals);
	pgl_free(env, r->item_ptr);
	pgl_free(env, r->item_users);
	pgl_free(env, r->item_vals);
	memset(r, 0, sizeof(*r));
}

/* after a scatter that advanced ptr[x] to the end of x's range, restore it */
static void
unshift(int64_t *ptr, int32_t n)
{
	memmove(ptr + 1, ptr, sizeof(int64_t) * (size_t) n);
	ptr[0] = 0;
}

pgl_rc
pgl_ratings_build(const pgl_env *env, int32_t n_users, int32_t n_items, int64_t nnz,
				  const int32_t *users, const int32_t *items, const float *vals, pgl_ratings *out,
				  pgl_status *st)
{
	memset(out, 0, sizeof(*out));
	if (n_users < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "number of users must not be negative, got %d",
						n_users);
	if (n_items < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "number of items must not be negative, got %d",
						n_items);
	if (nnz < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "number of ratings must not be negative, got %lld",
						(long long) nnz);
	for (int64_t j = 0; j < nnz; j++)
	{
		if (users[j] < 0 || users[j] >= n_users)
			return pgl_fail(st, PGL_ERR_INVALID, "user index %d is out of range [0, %d)", users[j],
							n_users);
		if (items[j] < 0 || items[j] >= n_items)
			return pgl_fail(st, PGL_ERR_INVALID, "item index %d is out of range [0, %d)", items[j],
							n_items);
		if (!isfinite(vals[j]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"rating of user %d and item %d is not a finite number (%g)", users[j],
							items[j], (double) vals[j]);
	}

	out->n_users = n_users;
	out->n_items = n_items;
	out->nnz = nnz;
	out->user_ptr = pgl_alloc0(env, sizeof(int64_t) * ((size_t) n_users + 1));
	out->item_ptr = pgl_alloc0(env, sizeof(int64_t) * ((size_t) n_items + 1));
	out->user_items = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	out->user_vals = pgl_alloc(env, sizeof(float) * (size_t) nnz);
	out->item_users = pgl_alloc(env, sizeof(int32_t) * (size_t) nnz);
	out->item_vals = pgl_alloc(env, sizeof(float) * (size_t) nnz);
	if (!out->user_ptr || !out->item_ptr || !out->user_items || !out->user_vals ||
		!out->item_users || !out->item_vals)
	{
		pgl_ratings_free(env, out);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}

	/* counts, then start offsets */
	for (int64_t j = 0; j < nnz; j++)
	{
		out->user_ptr[users[j] + 1]++;
		out->item_ptr[items[j] + 1]++;
	}
	for (int32_t u = 0; u < n_users; u++)
		out->user_ptr[u + 1] += out->user_ptr[u];
	for (int32_t i = 0; i < n_items; i++)
		out->item_ptr[i + 1] += out->item_ptr[i];

	/* by item, in input order */
	for (int64_t j = 0; j < nnz; j++)
	{
		int64_t q = out->item_ptr[items[j]]++;

		out->item_users[q] = users[j];
		out->item_vals[q] = vals[j];
	}
	unshift(out->item_ptr, n_items);

	/* by user, walking the items in order: items ascend within a user */
	for (int32_t i = 0; i < n_items; i++)
		for (int64_t q = out->item_ptr[i]; q < out->item_ptr[i + 1]; q++)
		{
			int64_t d = out->user_ptr[out->item_users[q]]++;

			out->user_items[d] = i;
			out->user_vals[d] = out->item_vals[q];
		}
	unshift(out->user_ptr, n_users);

	/* by item again, walking the users in order: users ascend within an item */
	for (int32_t u = 0; u < n_users; u++)
		for (int64_t q = out->user_ptr[u]; q < out->user_ptr[u + 1]; q++)
		{
			int64_t d = out->item_ptr[out->user_items[q]]++;

			if (q > out->user_ptr[u] && out->user_items[q] == out->user_items[q - 1])
			{
				int32_t i = out->user_items[q];

				pgl_ratings_free(env, out);
				return pgl_fail(st, PGL_ERR_INVALID, "duplicate rating of user %d and item %d", u,
								i);
			}
			out->item_users[d] = u;
			out->item_vals[d] = out->user_vals[q];
		}
	unshift(out->item_ptr, n_items);
	return PGL_OK;
}

/* ---------- row solves ---------- */

/* one side of a half-iteration: the rows solved and the fixed factors */
typedef struct als_ctx
{
	int32_t			 k;
	bool			 implicit;
	int32_t			 cg_steps;	/* implicit: > 0 CG steps, 0 a direct solve */
	int32_t			 loss_mode; /* 0 none, 1 regularization only, 2 full */
	double			 l2, alpha, mu;
	double			 bias_l2; /* explicit: < 0: l2 times the row's count */
	int64_t			 seg;	  /* ALS_SEG_ROWS, or less when no row is longer */
	const int64_t	*ptr;
	const int32_t	*idx;
	const float		*val;
	float			*X;		   /* rows solved (n_rows x k) */
	float			*xb;	   /* their biases (explicit) */
	const float		*Y;		   /* fixed factors */
	const float		*yb;	   /* their biases (explicit) */
	const float		*YtY;	   /* implicit: YᵀY + l2 I, k x k, full */
	double			*row_loss; /* NULL, or the loss share of each row */
	struct als_work *work;	   /* per thread */
	_Atomic int64_t	 next;
	int64_t			 end;
	_Atomic int		 failed; /* a row's Cholesky failed */
} als_ctx;

/* per-thread workspace, carved from one allocation */
typedef struct als_work
{
	void   *block;
	double *A;			/* gathered rows: 8 x (k + 1) explicit, seg x k direct */
	double *t;			/* seg */
	double *G;			/* (k + 1)^2 */
	double *b;			/* k + 1 */
	double *sol;		/* k + 1 */
	float  *B;			/* seg x k: gathered rows (implicit) */
	float  *s;			/* seg */
	float  *r, *p, *Ap; /* k */
} als_work;

static size_t
round64(size_t n)
{
	return (n + 63) & ~(size_t) 63;
}

static pgl_rc
work_alloc(const pgl_env *env, als_work *w, int32_t k, int64_t seg, bool dbl, bool flt,
		   pgl_status *st)
{
	size_t k1 = (size_t) k + 1;
	size_t sz[10] = {0};
	size_t total = 0;
	char  *base;

	memset(w, 0, sizeof(*w));
	if (dbl)
	{
		/* explicit rows use 4 rows of A and k + 1 of t */
		sz[0] = sizeof(double) * (size_t) (seg > 8 ? seg : 8) * k1;
		sz[1] = sizeof(double) * ((size_t) seg > k1 ? (size_t) seg : k1);
		sz[2] = sizeof(double) * k1 * k1;
		sz[3] = sizeof(double) * k1;
		sz[4] = sizeof(double) * k1;
	}
	if (flt)
	{
		sz[5] = sizeof(float) * (size_t) seg * (size_t) k;
		sz[6] = sizeof(float) * (size_t) seg;
		sz[7] = sz[8] = sz[9] = sizeof(float) * (size_t) k;
	}
	for (int j = 0; j < 10; j++)
		total += round64(sz[j]);
	w->block = pgl_alloc(env, total + 64);
	if (w->block == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	base = (char *) round64((size_t) (uintptr_t) w->block);
#define CARVE(field, j)                                                                            \
	do                                                                                             \
	{                                                                                              \
		if (sz[j])                                                                                 \
			w->field = (void *) base;                                                              \
		base += round64(sz[j]);                                                                    \
	} while (0)
	CARVE(A, 0);
	CARVE(t, 1);
	CARVE(G, 2);
	CARVE(b, 3);
	CARVE(sol, 4);
	CARVE(B, 5);
	CARVE(s, 6);
	CARVE(r, 7);
	CARVE(p, 8);
	CARVE(Ap, 9);
#undef CARVE
	return PGL_OK;
}

static inline int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * The per-row kernels below run on the team's threads.  OpenBLAS may have a
 * thread pool of its own, and a call it decides to parallelize, made from
 * several threads at once, spins and serializes: 20x slower on two cores.
 * So the rows' BLAS calls are kept below OpenBLAS's threading thresholds
 * (SGEMV splits into pieces of under ALS_BLAS_SMALL elements; OpenBLAS
 * threads GEMV from 9216), and the explicit rows' Gram matrices and
 * Cholesky factors, which OpenBLAS threads from small sizes on (DSYRK from
 * n = 129, DPOTRF always), are plain loops written to vectorize.
 */
#define ALS_BLAS_SMALL 8192

/* the two hot loops get an AVX2 clone, picked at load time where supported */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define ALS_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef ALS_CLONES
#define ALS_CLONES
#endif

/* y = alpha A x + beta y for A (m x n, row-major), in small pieces */
static void
gemv_n(int64_t m, int32_t n, float alpha, const float *A, const float *x, float beta, float *y)
{
	int64_t rows = ALS_BLAS_SMALL / n > 0 ? ALS_BLAS_SMALL / n : 1;

	for (int64_t r0 = 0; r0 < m; r0 += rows)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) min64(rows, m - r0), n, alpha,
					A + (size_t) r0 * n, n, x, 1, beta, y + r0, 1);
}

/* y = alpha Aᵀ x + beta y for A (m x n, row-major), in small pieces */
static void
gemv_t(int64_t m, int32_t n, float alpha, const float *A, const float *x, float beta, float *y)
{
	int64_t rows = ALS_BLAS_SMALL / n > 0 ? ALS_BLAS_SMALL / n : 1;

	if (m == 0 && beta != 1.0f)
		cblas_sscal(n, beta, y, 1);
	for (int64_t r0 = 0; r0 < m; r0 += rows)
		cblas_sgemv(CblasRowMajor, CblasTrans, (int) min64(rows, m - r0), n, alpha,
					A + (size_t) r0 * n, n, x + r0, 1, r0 == 0 ? beta : 1.0f, y, 1);
}

/*
 * G += sum of a_j a_jᵀ over four rows (upper triangle of the n x n
 * column-major G); the inner loop runs down a column and vectorizes.
 */
ALS_CLONES static void
gram_rank8(double *restrict G, int32_t n, const double *restrict a)
{
	for (int32_t l = 0; l < n; l++)
	{
		double *restrict g = G + (size_t) l * n;
		double c[8];

		for (int32_t r = 0; r < 8; r++)
			c[r] = a[(size_t) r * n + l];
		for (int32_t i = 0; i <= l; i++)
			g[i] += c[0] * a[i] + c[1] * a[n + i] + c[2] * a[2 * n + i] + c[3] * a[3 * n + i] +
					c[4] * a[4 * n + i] + c[5] * a[5 * n + i] + c[6] * a[6 * n + i] +
					c[7] * a[7 * n + i];
	}
}

/*
 * Solve G x = b for the symmetric positive definite n x n G (upper
 * triangle, column-major; overwritten by its Cholesky factor U, G = UᵀU).
 * x holds b on entry.  u: n doubles of workspace.  False if G is not
 * positive definite.
 */
ALS_CLONES static bool
cholesky_solve(double *restrict G, int32_t n, double *restrict x, double *restrict u)
{
	for (int32_t j = 0; j < n; j++)
	{
		double d = G[j + (size_t) j * n];

		if (!(d > 0.0) || !isfinite(d))
			return false;
		d = sqrt(d);
		G[j + (size_t) j * n] = d;
		for (int32_t l = j + 1; l < n; l++)
			u[l] = G[j + (size_t) l * n] /= d;
		/* trailing update, column by column */
		for (int32_t l = j + 1; l < n; l++)
		{
			double *restrict g = G + (size_t) l * n;
			double ul = u[l];

			for (int32_t i = j + 1; i <= l; i++)
				g[i] -= u[i] * ul;
		}
	}
	/* Uᵀ y = b */
	for (int32_t j = 0; j < n; j++)
	{
		const double *g = G + (size_t) j * n;
		double		  s = x[j];

		for (int32_t i = 0; i < j; i++)
			s -= g[i] * x[i];
		x[j] = s / g[j];
	}
	/* U x = y, by columns */
	for (int32_t j = n - 1; j >= 0; j--)
	{
		const double *g = G + (size_t) j * n;

		x[j] /= g[j];
		for (int32_t i = 0; i < j; i++)
			x[i] -= g[i] * x[j];
	}
	return true;
}

/* explicit: [U_u, b_u] for one row, and its share of the objective */
static void
solve_explicit(als_ctx *c, als_work *w, int64_t row)
{
	int32_t k = c->k;
	int32_t k1 = k + 1;
	int64_t beg = c->ptr[row];
	int64_t n = c->ptr[row + 1] - beg;
	float  *x = c->X + (size_t) row * k;
	double	tt = 0.0, reg, breg, xb = 0.0, xx = 0.0;

	if (n == 0)
	{
		memset(x, 0, sizeof(float) * (size_t) k);
		c->xb[row] = 0.0f;
		if (c->row_loss)
			c->row_loss[row] = 0.0;
		return;
	}
	memset(w->G, 0, sizeof(double) * (size_t) k1 * k1);
	memset(w->b, 0, sizeof(double) * (size_t) k1);
	/* rows [V_i, 1] four at a time (the last group padded with zero rows) */
	for (int64_t j0 = 0; j0 < n; j0 += 8)
	{
		for (int64_t j = 0; j < 8; j++)
		{
			double *a = w->A + (size_t) j * k1;

			if (j0 + j < n)
			{
				int32_t		 i = c->idx[beg + j0 + j];
				const float *y = c->Y + (size_t) i * k;
				double		 t = (double) c->val[beg + j0 + j] - c->mu - c->yb[i];

				for (int32_t d = 0; d < k; d++)
					a[d] = y[d];
				a[k] = 1.0;
				for (int32_t d = 0; d < k1; d++)
					w->b[d] += t * a[d];
				tt += t * t;
			}
			else
				memset(a, 0, sizeof(double) * (size_t) k1);
		}
		gram_rank8(w->G, k1, w->A);
	}
	reg = c->l2 * (double) n;
	breg = c->bias_l2 >= 0.0 ? c->bias_l2 : reg;
	for (int32_t d = 0; d < k; d++)
		w->G[d + (size_t) d * k1] += reg;
	w->G[k + (size_t) k * k1] += breg;
	memcpy(w->sol, w->b, sizeof(double) * (size_t) k1);
	if (!cholesky_solve(w->G, k1, w->sol, w->t))
	{
		c->failed = 1;
		return;
	}
	for (int32_t d = 0; d < k1; d++)
		xb += w->sol[d] * w->b[d];
	for (int32_t d = 0; d < k; d++)
		xx += w->sol[d] * w->sol[d];
	for (int32_t d = 0; d < k; d++)
		x[d] = (float) w->sol[d];
	c->xb[row] = (float) w->sol[k];
	if (c->row_loss)
		c->row_loss[row] = c->loss_mode == 2   ? tt - xb
						   : c->loss_mode == 1 ? reg * xx + breg * w->sol[k] * w->sol[k]
											   : 0.0;
}

/* implicit: gather rows [beg, beg + m) of Y into w->B */
static const float *
gather_float(const als_ctx *c, als_work *w, int64_t beg, int64_t m)
{
	int32_t k = c->k;

	for (int64_t j = 0; j < m; j++)
		memcpy(w->B + (size_t) j * k, c->Y + (size_t) c->idx[beg + j] * k,
			   sizeof(float) * (size_t) k);
	return w->B;
}

/*
 * implicit: out = A v for the row's system matrix A, or, with residual,
 * out = b - A v (b = Y_Iᵀ C_I p_I).  whole: the row is already in w->B.
 */
static void
implicit_product(const als_ctx *c, als_work *w, int64_t beg, int64_t n, bool whole, const float *v,
				 float *out, bool residual)
{
	int32_t k = c->k;
	float	alpha = (float) c->alpha;

	gemv_n(k, k, residual ? -1.0f : 1.0f, c->YtY, v, 0.0f, out);
	for (int64_t off = 0; off < n; off += c->seg)
	{
		int64_t		 m = min64(c->seg, n - off);
		const float *B = whole ? w->B : gather_float(c, w, beg + off, m);
		const float *val = c->val + beg + off;

		gemv_n(m, k, 1.0f, B, v, 0.0f, w->s);
		if (residual)
			for (int64_t j = 0; j < m; j++)
			{
				float conf = 1.0f + alpha * fabsf(val[j]);

				w->s[j] = (val[j] > 0.0f ? conf : 0.0f) - (conf - 1.0f) * w->s[j];
			}
		else
			for (int64_t j = 0; j < m; j++)
				w->s[j] *= alpha * fabsf(val[j]);
		gemv_t(m, k, 1.0f, B, w->s, 1.0f, out);
	}
}

/*
 * implicit: the row's share of the objective,
 *	 xᵀ(YᵀY + l2 I)x + sum_I [c (p - s)^2 - s^2],  s = Y_I x
 * (summed over the rows of one side, plus l2 |Y|^2, it is the objective)
 */
static double
implicit_loss(const als_ctx *c, als_work *w, int64_t beg, int64_t n, bool whole, const float *x)
{
	int32_t k = c->k;
	double	loss = 0.0;

	gemv_n(k, k, 1.0f, c->YtY, x, 0.0f, w->Ap);
	for (int32_t d = 0; d < k; d++)
		loss += (double) x[d] * w->Ap[d];
	for (int64_t off = 0; off < n; off += c->seg)
	{
		int64_t		 m = min64(c->seg, n - off);
		const float *B = whole ? w->B : gather_float(c, w, beg + off, m);
		const float *val = c->val + beg + off;

		gemv_n(m, k, 1.0f, B, x, 0.0f, w->s);
		for (int64_t j = 0; j < m; j++)
		{
			double conf = 1.0 + c->alpha * fabs((double) val[j]);
			double s = w->s[j];
			double e = (val[j] > 0.0f ? 1.0 : 0.0) - s;

			loss += conf * e * e - s * s;
		}
	}
	return loss;
}

/* implicit: cg_steps conjugate-gradient steps from the current x */
static void
solve_implicit_cg(als_ctx *c, als_work *w, int64_t row)
{
	int32_t k = c->k;
	int64_t beg = c->ptr[row];
	int64_t n = c->ptr[row + 1] - beg;
	float  *x = c->X + (size_t) row * k;
	bool	whole = n <= c->seg;
	float	rsold;

	if (n == 0)
	{
		memset(x, 0, sizeof(float) * (size_t) k);
		if (c->row_loss)
			c->row_loss[row] = 0.0;
		return;
	}
	if (whole)
		gather_float(c, w, beg, n);

	implicit_product(c, w, beg, n, whole, x, w->r, true);
	memcpy(w->p, w->r, sizeof(float) * (size_t) k);
	rsold = cblas_sdot(k, w->r, 1, w->r, 1);
	for (int32_t it = 0; it < c->cg_steps && rsold >= ALS_CG_EPS; it++)
	{
		float pap, a, rsnew;

		implicit_product(c, w, beg, n, whole, w->p, w->Ap, false);
		pap = cblas_sdot(k, w->p, 1, w->Ap, 1);
		if (!(pap > 0.0f))
			break;
		a = rsold / pap;
		cblas_saxpy(k, a, w->p, 1, x, 1);
		cblas_saxpy(k, -a, w->Ap, 1, w->r, 1);
		rsnew = cblas_sdot(k, w->r, 1, w->r, 1);
		/* p = r + (rsnew / rsold) p */
		cblas_sscal(k, rsnew / rsold, w->p, 1);
		cblas_saxpy(k, 1.0f, w->r, 1, w->p, 1);
		rsold = rsnew;
	}
	if (c->row_loss)
		c->row_loss[row] = c->loss_mode == 2 ? implicit_loss(c, w, beg, n, whole, x) : 0.0;
}

/*
 * implicit: the exact solution by Cholesky in float64 (fold-in; it runs on
 * the calling thread only, so it may use any BLAS call)
 */
static void
solve_implicit_direct(als_ctx *c, als_work *w, int64_t row)
{
	int32_t k = c->k;
	int64_t beg = c->ptr[row];
	int64_t n = c->ptr[row + 1] - beg;
	float  *x = c->X + (size_t) row * k;
	int		info;

	for (int32_t a = 0; a < k; a++)
		for (int32_t b = 0; b < k; b++)
			w->G[a + (size_t) b * k] = c->YtY[(size_t) a * k + b];
	memset(w->sol, 0, sizeof(double) * (size_t) k);
	for (int64_t off = 0; off < n; off += c->seg)
	{
		int64_t m = min64(c->seg, n - off);

		for (int64_t j = 0; j < m; j++)
		{
			float		 r = c->val[beg + off + j];
			double		 conf = 1.0 + c->alpha * fabs((double) r);
			const float *y = c->Y + (size_t) c->idx[beg + off + j] * k;
			double		*a = w->A + (size_t) j * k;

			for (int32_t d = 0; d < k; d++)
				a[d] = y[d];
			w->t[j] = r > 0.0f ? conf : 0.0;
		}
		/* rhs: Y_Iᵀ C p; then scale rows by sqrt(c - 1) for Y_Iᵀ (C - I) Y_I */
		cblas_dgemv(CblasColMajor, CblasNoTrans, k, (int) m, 1.0, w->A, k, w->t, 1, 1.0, w->sol, 1);
		for (int64_t j = 0; j < m; j++)
		{
			double f = sqrt(c->alpha * fabs((double) c->val[beg + off + j]));

			cblas_dscal(k, f, w->A + (size_t) j * k, 1);
		}
		cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, k, (int) m, 1.0, w->A, k, 1.0, w->G,
					k);
	}
	info = pgl_dpotrf('U', k, w->G, k);
	if (info == 0)
		info = pgl_dpotrs('U', k, 1, w->G, k, w->sol, k);
	if (info != 0)
	{
		c->failed = 1;
		return;
	}
	for (int32_t d = 0; d < k; d++)
		x[d] = (float) w->sol[d];
}

static void
solve_row(als_ctx *c, als_work *w, int64_t row)
{
	if (!c->implicit)
		solve_explicit(c, w, row);
	else if (c->cg_steps > 0)
		solve_implicit_cg(c, w, row);
	else
		solve_implicit_direct(c, w, row);
}

static void
solve_task(void *arg, int32_t tid)
{
	als_ctx	 *c = arg;
	als_work *w = &c->work[tid];

	for (;;)
	{
		int64_t r0 = atomic_fetch_add(&c->next, ALS_GRAIN);

		if (r0 >= c->end)
			break;
		for (int64_t r = r0; r < min64(r0 + ALS_GRAIN, c->end); r++)
			solve_row(c, w, r);
	}
}

/*
 * G = YᵀY (k x k, full, row-major) over the n rows of Y, by SSYRK in blocks
 * of rows with an interrupt check between them; *trace receives trace(G)
 * (= |Y|^2); then l2 is added to the diagonal.
 */
static void
compute_yty(const pgl_env *env, const float *Y, int64_t n, int32_t k, double l2, float *G,
			double *trace)
{
	memset(G, 0, sizeof(float) * (size_t) k * k);
	for (int64_t r0 = 0; r0 < n; r0 += ALS_SYRK_ROWS)
	{
		int64_t m = min64(ALS_SYRK_ROWS, n - r0);

		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, (int) m, 1.0f, Y + (size_t) r0 * k, k,
					1.0f, G, k);
		pgl_interrupts(env);
	}
	*trace = 0.0;
	for (int32_t a = 0; a < k; a++)
	{
		for (int32_t b = a + 1; b < k; b++)
			G[(size_t) b * k + a] = G[(size_t) a * k + b];
		*trace += G[(size_t) a * k + a];
		G[(size_t) a * k + a] += (float) l2;
	}
}

/*
 * Solve every row of one side in chunks; *loss receives the sum of the
 * rows' shares.
 */
static pgl_rc
solve_side(const pgl_env *env, als_ctx *c, als_team *team, int32_t n_rows, double *loss,
		   pgl_status *st)
{
	int32_t k = c->k;
	double	per_row = c->implicit ? (double) k * k * (c->cg_steps + 2) : (double) k * k * k / 3.0;
	double	per_rating = c->implicit ? 2.0 * k * (c->cg_steps + 2) : (double) (k + 1) * (k + 2) / 2;
	double	budget = (double) ALS_CHUNK_FMA * team->n;
	int32_t r1;

	for (int32_t r0 = 0; r0 < n_rows; r0 = r1)
	{
		double work = 0.0;

		for (r1 = r0; r1 < n_rows && work < budget; r1++)
			work += per_row + per_rating * (double) (c->ptr[r1 + 1] - c->ptr[r1]);
		c->next = r0;
		c->end = r1;
		pgl_als_team_run(team, solve_task, c);
		if (c->failed)
			return pgl_fail(st, PGL_ERR_NUMERIC,
							"als: a row's normal equations are not positive definite");
		pgl_interrupts(env);
	}
	*loss = 0.0;
	if (c->row_loss)
		for (int32_t r = 0; r < n_rows; r++)
			*loss += c->row_loss[r];
	return PGL_OK;
}

/* ---------- fit ---------- */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* N(0, sd^2) values by Box-Muller */
static void
fill_normal(uint64_t *s, float *x, size_t n, double sd)
{
	for (size_t j = 0; j < n; j += 2)
	{
		double u1 = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
		double u2 = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
		double rad = sd * sqrt(-2.0 * log(u1));

		x[j] = (float) (rad * cos(2.0 * M_PI * u2));
		if (j + 1 < n)
			x[j + 1] = (float) (rad * sin(2.0 * M_PI * u2));
	}
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
pgl_als_model_free(const pgl_env *env, pgl_als_model *m)
{
	if (m == NULL)
		return;
	pgl_free(env, m->U);
	pgl_free(env, m->V);
	pgl_free(env, m->user_bias);
	pgl_free(env, m->item_bias);
	memset(m, 0, sizeof(*m));
}

static pgl_rc
check_params(const pgl_als_params *p, pgl_status *st)
{
	if (p->factors < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "factors must be at least 1, got %d", p->factors);
	if (p->iterations < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "iterations must be at least 1, got %d",
						p->iterations);
	if (!(p->l2 >= 0.0) || !isfinite(p->l2))
		return pgl_fail(st, PGL_ERR_INVALID, "l2 must be a finite number >= 0, got %g", p->l2);
	if (!p->implicit && !(p->l2 > 0.0))
		return pgl_fail(st, PGL_ERR_INVALID, "l2 must be greater than 0 for explicit feedback");
	if (!(p->alpha >= 0.0) || !isfinite(p->alpha))
		return pgl_fail(st, PGL_ERR_INVALID, "alpha must be a finite number >= 0, got %g",
						p->alpha);
	if (p->implicit && p->cg_steps < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "cg_steps must be at least 1, got %d", p->cg_steps);
	if (p->threads < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "threads must be at least 1, got %d", p->threads);
	if (!p->implicit && !(p->bias_l2 < 0.0 || isfinite(p->bias_l2)))
		return pgl_fail(st, PGL_ERR_INVALID, "bias_l2 must be a finite number >= 0, got %g",
						p->bias_l2);
	if (p->val && p->patience < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "patience must be at least 1, got %d", p->patience);
	if (p->val && p->implicit && p->rank_k < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "the ranking cutoff must be at least 1, got %d",
						p->rank_k);
	return PGL_OK;
}

/*
 * The score of m on params->val: RMSE (explicit), or NDCG@rank_k among all
 * items but the user's training items in R (implicit).
 */
static pgl_rc
val_score(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *R,
		  const pgl_als_params *params, double *score, pgl_status *st)
{
	const pgl_ratings *v = params->val;
	pgl_rank_metrics   rm;
	double			   sse = 0.0;
	pgl_rc			   rc;

	if (params->implicit)
	{
		rc = pgl_als_evaluate(env, m, R, v, params->rank_k, true, params->threads, &rm, st);
		*score = rm.ndcg;
		return rc;
	}
	for (int32_t u = 0; u < v->n_users; u++)
		for (int64_t q = v->user_ptr[u]; q < v->user_ptr[u + 1]; q++)
		{
			double e = pgl_als_predict(m, u, v->user_items[q]) - v->user_vals[q];

			sse += e * e;
		}
	*score = v->nnz > 0 ? sqrt(sse / (double) v->nnz) : 0.0;
	return PGL_OK;
}

/*
 * After iteration it (0-based): score m on params->val, keep the best in
 * info, and *stop once params->patience iterations brought no better score.
 */
static pgl_rc
early_stop(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *R,
		   const pgl_als_params *params, int32_t it, pgl_als_info *info, bool *stop, pgl_status *st)
{
	double score;
	pgl_rc rc;

	if ((rc = val_score(env, m, R, params, &score, st)) != PGL_OK)
		return rc;
	if (params->val_scores)
		params->val_scores[it] = score;
	if (info->best_iteration == 0 ||
		(params->implicit ? score > info->best_score : score < info->best_score))
	{
		info->best_iteration = it + 1;
		info->best_score = score;
	}
	else if (it + 1 - info->best_iteration >= params->patience)
		*stop = true;
	return PGL_OK;
}

static int64_t
longest_row(const int64_t *ptr, int32_t n)
{
	int64_t longest = 0;

	for (int32_t r = 0; r < n; r++)
		if (ptr[r + 1] - ptr[r] > longest)
			longest = ptr[r + 1] - ptr[r];
	return longest;
}

pgl_rc
pgl_als_fit(const pgl_env *env, const pgl_ratings *R, const pgl_als_params *params,
			pgl_als_model *m, pgl_als_info *info, pgl_status *st)
{
	int32_t	  k = params->factors;
	int32_t	  nu = R->n_users, ni = R->n_items;
	int32_t	  threads = params->threads;
	int64_t	  seg;
	als_team  team = {0};
	als_work *work = NULL;
	double	 *row_loss = NULL;
	float	 *YtY = NULL;
	uint64_t  rng = params->seed;
	double	  t0, loss = NAN;
	pgl_rc	  rc;
	als_ctx	  c;

	memset(m, 0, sizeof(*m));
	memset(info, 0, sizeof(*info));
	if ((rc = check_params(params, st)) != PGL_OK)
		return rc;
	if (nu < 1 || ni < 1 || R->nnz < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "als needs at least one rating");
	for (int64_t j = 0; j < R->nnz; j++)
		if (!isfinite(R->user_vals[j]))
			return pgl_fail(st, PGL_ERR_INVALID, "ratings must be finite numbers, got %g",
							(double) R->user_vals[j]);
	t0 = now_seconds();

	seg = longest_row(R->user_ptr, nu);
	if (longest_row(R->item_ptr, ni) > seg)
		seg = longest_row(R->item_ptr, ni);
	seg = min64(seg, ALS_SEG_ROWS);

	m->n_users = nu;
	m->n_items = ni;
	m->k = k;
	m->U = pgl_alloc(env, sizeof(float) * (size_t) nu * k);
	m->V = pgl_alloc(env, sizeof(float) * (size_t) ni * k);
	m->user_bias = pgl_alloc0(env, sizeof(float) * (size_t) nu);
	m->item_bias = pgl_alloc0(env, sizeof(float) * (size_t) ni);
	row_loss = pgl_alloc(env, sizeof(double) * (size_t) (nu > ni ? nu : ni));
	if (params->implicit)
		YtY = pgl_alloc(env, sizeof(float) * (size_t) k * k);
	work = pgl_alloc0(env, sizeof(als_work) * (size_t) threads);
	if (!m->U || !m->V || !m->user_bias || !m->item_bias || !row_loss || !work ||
		(params->implicit && !YtY))
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = pgl_als_team_init(env, &team, threads, st)) != PGL_OK)
		goto done;
	for (int32_t t = 0; t < threads; t++)
		if ((rc = work_alloc(env, &work[t], k, params->implicit ? seg : 8, !params->implicit,
							 params->implicit, st)) != PGL_OK)
			goto done;

	/* random start; mu */
	fill_normal(&rng, m->V, (size_t) ni * k, 0.1 / sqrt((double) k));
	fill_normal(&rng, m->U, (size_t) nu * k, 0.1 / sqrt((double) k));
	if (!params->implicit)
	{
		double sum = 0.0;

		for (int64_t j = 0; j < R->nnz; j++)
			sum += R->user_vals[j];
		m->mu = sum / (double) R->nnz;
	}

	memset(&c, 0, sizeof(c));
	c.k = k;
	c.implicit = params->implicit;
	c.cg_steps = params->cg_steps;
	c.l2 = params->l2;
	c.bias_l2 = params->bias_l2;
	c.alpha = params->alpha;
	c.mu = m->mu;
	c.seg = seg;
	c.YtY = YtY;
	c.row_loss = row_loss;
	c.work = work;

	for (int32_t it = 0; it < params->iterations; it++)
	{
		double ul, il, trace = 0.0;
		bool   stop = false;

		/* users against the items */
		c.ptr = R->user_ptr;
		c.idx = R->user_items;
		c.val = R->user_vals;
		c.X = m->U;
		c.xb = m->user_bias;
		c.Y = m->V;
		c.yb = m->item_bias;
		c.loss_mode = 1;
		if (params->implicit)
			compute_yty(env, m->V, ni, k, params->l2, YtY, &trace);
		if ((rc = solve_side(env, &c, &team, nu, &ul, st)) != PGL_OK)
			goto done;

		/* items against the users */
		c.ptr = R->item_ptr;
		c.idx = R->item_users;
		c.val = R->item_vals;
		c.X = m->V;
		c.xb = m->item_bias;
		c.Y = m->U;
		c.yb = m->user_bias;
		c.loss_mode = 2;
		if (params->implicit)
			compute_yty(env, m->U, nu, k, params->l2, YtY, &trace);
		if ((rc = solve_side(env, &c, &team, ni, &il, st)) != PGL_OK)
			goto done;

		/* explicit: user regularization + items' error and regularization */
		loss = params->implicit ? il + params->l2 * trace : ul + il;
		if (!isfinite(loss))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC, "als diverged: the loss is not finite");
			goto done;
		}
		info->iterations = it + 1;
		pgl_progress(env, it + 1, params->iterations, loss);
		if (params->val && (rc = early_stop(env, m, R, params, it, info, &stop, st)) != PGL_OK)
			goto done;
		if (stop)
			break;
	}
	info->loss = loss;
	info->seconds_per_iteration = (now_seconds() - t0) / info->iterations;
	rc = PGL_OK;

done:
	if (work)
		for (int32_t t = 0; t < threads; t++)
			pgl_free(env, work[t].block);
	pgl_free(env, work);
	pgl_als_team_free(env, &team);
	pgl_free(env, row_loss);
	pgl_free(env, YtY);
	if (rc != PGL_OK)
		pgl_als_model_free(env, m);
	return rc;
}

double
pgl_als_predict(const pgl_als_model *m, int32_t u, int32_t i)
{
	double s = m->mu;

	if (u < 0 || u >= m->n_users || i < 0 || i >= m->n_items)
		return NAN;
	if (m->user_bias)
		s += m->user_bias[u];
	if (m->item_bias)
		s += m->item_bias[i];
	return s + cblas_sdot(m->k, m->U + (size_t) u * m->k, 1, m->V + (size_t) i * m->k, 1);
}

/* ---------- one row against fixed factors ---------- */

pgl_rc
pgl_als_implicit_solve(const pgl_env *env, const float *Y, int32_t n_y, int32_t k,
					   const int32_t *items, const float *ratings, int32_t n, double l2,
					   double alpha, int32_t cg_steps, float *x, pgl_status *st)
{
	int64_t	 ptr[2] = {0, n};
	als_work w;
	als_ctx	 c;
	float	*YtY;
	double	 trace;
	pgl_rc	 rc;

	if (k < 1 || n_y < 0 || n < 0 || cg_steps < 0 || !(l2 >= 0.0) || !(alpha >= 0.0))
		return pgl_fail(st, PGL_ERR_INVALID, "invalid arguments to the implicit solve");
	for (int32_t j = 0; j < n; j++)
	{
		if (items[j] < 0 || items[j] >= n_y)
			return pgl_fail(st, PGL_ERR_INVALID, "item index %d is out of range [0, %d)", items[j],
							n_y);
		if (!isfinite(ratings[j]))
			return pgl_fail(st, PGL_ERR_INVALID, "rating of item %d is not a finite number",
							items[j]);
	}
	YtY = pgl_alloc(env, sizeof(float) * (size_t) k * k);
	if (YtY == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rc =
		work_alloc(env, &w, k, n < 1 ? 1 : min64(n, ALS_SEG_ROWS), cg_steps == 0, cg_steps > 0, st);
	if (rc != PGL_OK)
	{
		pgl_free(env, YtY);
		return rc;
	}
	compute_yty(env, Y, n_y, k, l2, YtY, &trace);

	memset(&c, 0, sizeof(c));
	c.k = k;
	c.implicit = true;
	c.cg_steps = cg_steps;
	c.l2 = l2;
	c.alpha = alpha;
	c.seg = n < 1 ? 1 : min64(n, ALS_SEG_ROWS);
	c.ptr = ptr;
	c.idx = items;
	c.val = ratings;
	c.X = x;
	c.Y = Y;
	c.YtY = YtY;
	c.work = &w;
	solve_row(&c, &w, 0);
	if (c.failed)
		rc = pgl_fail(st, PGL_ERR_NUMERIC, "the fold-in system is singular");
	pgl_free(env, w.block);
	pgl_free(env, YtY);
	return rc;
}

pgl_rc
pgl_als_fold_in(const pgl_env *env, const pgl_als_model *m, const pgl_als_params *params,
				const int32_t *items, const float *ratings, int32_t n, float *x, float *bias,
				pgl_status *st)
{
	int64_t	 ptr[2] = {0, n};
	als_work w;
	als_ctx	 c;
	pgl_rc	 rc;
	float	*zero_bias = NULL;

	*bias = 0.0f;
	if (n < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "number of ratings must not be negative, got %d", n);
	if (params->implicit)
	{
		memset(x, 0, sizeof(float) * (size_t) m->k);
		return pgl_als_implicit_solve(env, m->V, m->n_items, m->k, items, ratings, n, params->l2,
									  params->alpha, 0, x, st);
	}
	if (!(params->l2 > 0.0) || !isfinite(params->l2))
		return pgl_fail(st, PGL_ERR_INVALID, "l2 must be greater than 0 for explicit feedback");
	for (int32_t j = 0; j < n; j++)
	{
		if (items[j] < 0 || items[j] >= m->n_items)
			return pgl_fail(st, PGL_ERR_INVALID, "item index %d is out of range [0, %d)", items[j],
							m->n_items);
		if (!isfinite(ratings[j]))
			return pgl_fail(st, PGL_ERR_INVALID, "rating of item %d is not a finite number",
							items[j]);
	}
	if (m->item_bias == NULL)
	{
		zero_bias = pgl_alloc0(env, sizeof(float) * ((size_t) m->n_items + 1));
		if (zero_bias == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	rc = work_alloc(env, &w, m->k, n < 1 ? 1 : min64(n, ALS_SEG_ROWS), true, false, st);
	if (rc != PGL_OK)
	{
		pgl_free(env, zero_bias);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.k = m->k;
	c.l2 = params->l2;
	c.bias_l2 = params->bias_l2;
	c.mu = m->mu;
	c.seg = n < 1 ? 1 : min64(n, ALS_SEG_ROWS);
	c.ptr = ptr;
	c.idx = items;
	c.val = ratings;
	c.X = x;
	c.xb = bias;
	c.Y = m->V;
	c.yb = m->item_bias ? m->item_bias : zero_bias;
	c.work = &w;
	solve_row(&c, &w, 0);
	if (c.failed)
		rc = pgl_fail(st, PGL_ERR_NUMERIC, "the fold-in system is not positive definite");
	pgl_free(env, w.block);
	pgl_free(env, zero_bias);
	return rc;
}
