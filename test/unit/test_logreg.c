/*
 * test_logreg.c - unit tests of logistic regression (src/algo/logreg.c) and
 * the L-BFGS minimizer (src/algo/lbfgs.c).
 */
#include "linear.h"
#include "unit.h"
#define TESTENV_SEED 0x9E3779B97F4A7C15ULL
#include "testenv.h"

#include <stdint.h>
#include <string.h>

/* ---------- helpers (testenv.h) ---------- */

/* fraction of rows whose most probable class is the label */
static double
accuracy(const double *proba, const int32_t *label, int n, int k)
{
	int right = 0;

	for (int i = 0; i < n; i++)
	{
		int best = 0;

		for (int c = 1; c < k; c++)
			if (proba[i * k + c] > proba[i * k + best])
				best = c;
		right += best == label[i];
	}
	return (double) right / n;
}

/* rows sum to 1 and every entry is in [0, 1] */
static bool
proba_valid(const double *proba, int n, int k, double *worst)
{
	bool ok = true;

	*worst = 0;
	for (int i = 0; i < n; i++)
	{
		double s = 0;

		for (int c = 0; c < k; c++)
		{
			double v = proba[i * k + c];

			if (!(v >= 0.0 && v <= 1.0))
				ok = false;
			s += v;
		}
		*worst = fmax(*worst, fabs(s - 1.0));
	}
	return ok && *worst <= 1e-12;
}

/*
 * The objective evaluated independently on the original scale:
 * (1/n) sum log-loss + (l2/2) sum (w_j * sd_j)^2, sd the population
 * standard deviation of column j (the weights on standardized columns).
 */
static double
objective(const double *coef, const double *X, int n, int p, const int32_t *label, int k, double l2)
{
	int	   ncol = k == 2 ? 1 : k;
	double loss = 0;
	double reg = 0;

	for (int i = 0; i < n; i++)
	{
		double z[16];
		double m = -INFINITY, s = 0;

		for (int c = 0; c < ncol; c++)
		{
			z[c] = coef[p * ncol + c];
			for (int j = 0; j < p; j++)
				z[c] += coef[j * ncol + c] * X[i + j * n];
		}
		if (ncol == 1)
		{
			/* log(1 + e^z) - y z, computed plainly (z is moderate here) */
			loss += log(1.0 + exp(z[0])) - (label[i] == 1 ? z[0] : 0.0);
			continue;
		}
		for (int c = 0; c < ncol; c++)
			m = fmax(m, z[c]);
		for (int c = 0; c < ncol; c++)
			s += exp(z[c] - m);
		loss += m + log(s) - z[label[i]];
	}
	for (int j = 0; j < p; j++)
	{
		double mu = 0, var = 0;

		for (int i = 0; i < n; i++)
			mu += X[i + j * n];
		mu /= n;
		for (int i = 0; i < n; i++)
			var += (X[i + j * n] - mu) * (X[i + j * n] - mu);
		var /= n;
		for (int c = 0; c < ncol; c++)
			reg += coef[j * ncol + c] * coef[j * ncol + c] * var;
	}
	return loss / n + 0.5 * l2 * reg;
}

/* ---------- logistic regression ---------- */

static void
test_binary(void)
{
	enum
	{
		N = 1000,
		P = 3
	};
	double			 *X = malloc(sizeof(double) * N * P);
	int32_t			  label[N];
	double			  coef[P + 1];
	double			 *proba = malloc(sizeof(double) * N * 2);
	pgl_logreg_params lp = {1e-4, 200, 1e-6, NULL};
	int32_t			  iters = -1;
	double			  loss = NAN;
	double			  worst;
	double			  acc;
	double			  cosine;
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_status		  st = {0};
	pgl_rc			  rc;

	for (int i = 0; i < N; i++)
	{
		for (int j = 0; j < P; j++)
			X[i + j * N] = nrand() * (j + 1) + 5.0 * j;
		label[i] = 6.0 * X[i] - 2.0 * (X[i + N] - 5.0) + 0.3 * nrand() + 1.0 > 0;
	}
	rc = pgl_logreg_fit(&env, X, N, N, P, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK, "binary fit succeeds (%s)", st.msg);
	OK(all_finite(coef, P + 1), "binary coefficients finite");
	OK(coef[0] > 0 && coef[1] < 0, "binary signs recovered (%g, %g, %g)", coef[0], coef[1],
	   coef[2]);
	cosine = (6.0 * coef[0] - 2.0 * coef[1]) /
			 (sqrt(40.0) * sqrt(coef[0] * coef[0] + coef[1] * coef[1] + coef[2] * coef[2]));
	OK(cosine > 0.98, "binary direction recovered (cosine %.4f)", cosine);
	OK(iters > 0 && iters <= 200, "iterations reported (%d)", iters);
	OK(c.progress == iters && c.last_iter == iters,
	   "progress called every iteration (%d calls, %d iterations)", c.progress, iters);
	OK(c.interrupts >= iters, "interrupts checked every iteration (%d)", c.interrupts);
	NEAR(loss, objective(coef, X, N, P, label, 2, lp.l2), 1e-9,
		 "reported loss is the objective at the returned coefficients (%g)", loss);

	rc = pgl_logreg_predict_proba(&env, coef, P, 2, X, N, N, proba, &st);
	OK(rc == PGL_OK, "binary predict succeeds");
	acc = accuracy(proba, label, N, 2);
	OK(acc > 0.95, "binary training accuracy %.3f > 0.95", acc);
	OK(proba_valid(proba, N, 2, &worst), "binary probabilities valid (row sum error %g)", worst);
	{
		double z = coef[P];

		for (int j = 0; j < P; j++)
			z += coef[j] * X[7 + j * N];
		NEAR(proba[7 * 2 + 1], 1.0 / (1.0 + exp(-z)), 1e-12,
			 "binary proba is the sigmoid of x w + b");
	}
	free(X);
	free(proba);
}

static void
test_multiclass(void)
{
	enum
	{
		N = 900,
		P = 2,
		K = 3
	};
	double			  X[N * P];
	int32_t			  label[N];
	double			  coef[(P + 1) * K];
	double			  proba[N * K];
	double			  centers[K][P] = {{0, 0}, {4, 0}, {0, 4}};
	pgl_logreg_params lp = {1e-3, 300, 1e-7, NULL};
	int32_t			  iters;
	double			  loss;
	double			  worst;
	double			  acc;
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_status		  st = {0};
	pgl_rc			  rc;

	for (int i = 0; i < N; i++)
	{
		label[i] = i % K;
		for (int j = 0; j < P; j++)
			X[i + j * N] = centers[label[i]][j] + nrand();
	}
	rc = pgl_logreg_fit(&env, X, N, N, P, label, K, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK, "multiclass fit succeeds (%s)", st.msg);
	OK(all_finite(coef, (P + 1) * K), "multiclass coefficients finite");
	OK(c.notices == 0, "multiclass converged without notice (%d iterations)", iters);
	rc = pgl_logreg_predict_proba(&env, coef, P, K, X, N, N, proba, &st);
	OK(rc == PGL_OK, "multiclass predict succeeds");
	acc = accuracy(proba, label, N, K);
	OK(acc > 0.9, "multiclass accuracy %.3f > 0.9", acc);
	OK(proba_valid(proba, N, K, &worst), "multiclass probabilities valid (row sum error %g)",
	   worst);
	NEAR(loss, objective(coef, X, N, P, label, K, lp.l2), 1e-9,
		 "multiclass loss is the objective at the coefficients");

	/* extreme inputs: still valid probabilities, no NaN */
	{
		double Xe[4 * P] = {1e6, -1e6, 1e300, 0, -1e6, 1e6, 0, -1e300};
		double pe[4 * K];

		rc = pgl_logreg_predict_proba(&env, coef, P, K, Xe, 4, 4, pe, &st);
		OK(rc == PGL_OK && proba_valid(pe, 4, K, &worst),
		   "multiclass probabilities valid for extreme inputs");
	}
}

/*
 * At the optimum the gradient of the objective vanishes: check by central
 * finite differences of the independently computed objective.
 */
static void
test_optimality(void)
{
	enum
	{
		N = 60,
		P = 2
	};
	double			  X[N * P];
	int32_t			  label2[N];
	int32_t			  label3[N];
	double			  coef[(P + 1) * 3];
	pgl_logreg_params lp = {0.05, 500, 1e-10, NULL};
	int32_t			  iters;
	double			  loss;
	pgl_status		  st = {0};
	pgl_rc			  rc;

	for (int i = 0; i < N; i++)
	{
		X[i] = 3.0 * nrand() + 10.0;
		X[i + N] = 0.01 * nrand();
		label2[i] = urand() < 1.0 / (1.0 + exp(-(X[i] - 10.0)));
		label3[i] = (int) (urand() * 3);
	}
	for (int k = 2; k <= 3; k++)
	{
		const int32_t *label = k == 2 ? label2 : label3;
		int			   dim = (P + 1) * (k == 2 ? 1 : k);
		double		   maxg = 0;

		rc = pgl_logreg_fit(&pgl_malloc_env, X, N, N, P, label, k, &lp, coef, &iters, &loss, &st);
		OK(rc == PGL_OK, "k=%d small fit succeeds", k);
		for (int t = 0; t < dim; t++)
		{
			double save = coef[t];
			double h = 1e-6 * fmax(1.0, fabs(save));
			double fp, fm;

			coef[t] = save + h;
			fp = objective(coef, X, N, P, label, k, lp.l2);
			coef[t] = save - h;
			fm = objective(coef, X, N, P, label, k, lp.l2);
			coef[t] = save;
			maxg = fmax(maxg, fabs((fp - fm) / (2 * h)));
		}
		OK(maxg < 1e-6, "k=%d gradient at the optimum ~ 0 (%g)", k, maxg);
	}
}

/* scaling a feature by 1000 scales its weight by 1/1000 */
static void
test_scale_invariance(void)
{
	enum
	{
		N = 400,
		P = 2
	};
	double			  X[N * P];
	double			  Xs[N * P];
	int32_t			  label[N];
	double			  c1[P + 1];
	double			  c2[P + 1];
	pgl_logreg_params lp = {0.0, 500, 1e-9, NULL};
	int32_t			  iters;
	double			  loss;
	pgl_status		  st = {0};
	pgl_rc			  rc1, rc2;

	for (int i = 0; i < N; i++)
	{
		X[i] = nrand();
		X[i + N] = nrand() + 1.0;
		/* noisy labels: not separable, so the l2 = 0 optimum exists */
		label[i] = urand() < 1.0 / (1.0 + exp(-(X[i] - 0.5 * X[i + N])));
		Xs[i] = X[i] * 1000.0;
		Xs[i + N] = X[i + N];
	}
	rc1 = pgl_logreg_fit(&pgl_malloc_env, X, N, N, P, label, 2, &lp, c1, &iters, &loss, &st);
	rc2 = pgl_logreg_fit(&pgl_malloc_env, Xs, N, N, P, label, 2, &lp, c2, &iters, &loss, &st);
	OK(rc1 == PGL_OK && rc2 == PGL_OK, "scale invariance fits succeed");
	NEAR(c2[0] * 1000.0, c1[0], 1e-6, "scaled feature's weight is 1/1000 (%.10g vs %.10g)",
		 c2[0] * 1000.0, c1[0]);
	NEAR(c2[1], c1[1], 1e-6, "other weight unchanged");
	NEAR(c2[2], c1[2], 1e-6, "intercept unchanged");
}

static void
test_edge_cases(void)
{
	enum
	{
		N = 40
	};
	double			  X[N * 2];
	int32_t			  label[N];
	int32_t			  label3[N];
	double			  coef[3 * 3];
	double			  proba[N * 3];
	pgl_logreg_params lp = {1e-4, 100, 1e-10, NULL};
	int32_t			  iters;
	double			  loss;
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_status		  st = {0};
	pgl_rc			  rc;
	int				  n1 = 0;

	for (int i = 0; i < N; i++)
	{
		X[i] = nrand();
		X[i + N] = 2.5; /* constant column */
		label[i] = i % 4 == 0;
		n1 += label[i];
		label3[i] = i % 5 == 0 ? 2 : i % 2;
	}

	/* intercept only: b = logit of the class frequency */
	rc = pgl_logreg_fit(&env, X, N, N, 0, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK, "p = 0 binary fit succeeds");
	NEAR(coef[0], log((double) n1 / (N - n1)), 1e-8, "p = 0 intercept is the logit (%g)", coef[0]);
	rc = pgl_logreg_fit(&env, X, N, N, 0, label3, 3, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK, "p = 0 multiclass fit succeeds");
	rc = pgl_logreg_predict_proba(&env, coef, 0, 3, X, N, N, proba, &st);
	NEAR(proba[0], 16.0 / 40, 1e-8, "p = 0 multiclass proba = frequency of class 0 (%g)", proba[0]);
	NEAR(proba[2], 8.0 / 40, 1e-8, "p = 0 multiclass proba = frequency of class 2 (%g)", proba[2]);

	/* a constant column gets weight 0 */
	rc = pgl_logreg_fit(&env, X, N, N, 2, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK && all_finite(coef, 3) && coef[1] == 0.0,
	   "constant column: finite coefficients, weight 0 (%g)", coef[1]);

	/* separable with l2 = 0 and few iterations: notice, not an error */
	for (int i = 0; i < N; i++)
		label[i] = X[i] > 0;
	lp.l2 = 0.0;
	lp.max_iter = 5;
	c.notices = 0;
	rc = pgl_logreg_fit(&env, X, N, N, 1, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_OK, "max_iter reached is not an error");
	OK(iters == 5, "stopped at max_iter (%d)", iters);
	OK(c.notices == 1 && strstr(c.msg, "did not converge in 5 iterations") != NULL,
	   "notice about non-convergence: %s", c.msg);

	/* invalid arguments */
	label[3] = 2;
	rc = pgl_logreg_fit(&env, X, N, N, 1, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_ERR_INVALID, "label out of range is invalid: %s", st.msg);
	label[3] = 0;
	rc = pgl_logreg_fit(&env, X, N, N, 1, label, 1, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_ERR_INVALID, "k = 1 is invalid");
	rc = pgl_logreg_fit(&env, X, 0, 0, 1, label, 2, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_ERR_INVALID, "n = 0 is invalid");
}

static void
test_alloc_failures(void)
{
	enum
	{
		N = 30
	};
	double			  X[N * 2];
	int32_t			  label[N];
	double			  coef[3 * 3];
	pgl_logreg_params lp = {1e-2, 50, 1e-6, NULL};
	int32_t			  iters;
	double			  loss;
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_status		  st = {0};
	bool			  all_nomem = true;
	int				  k;

	for (int i = 0; i < N; i++)
	{
		X[i] = nrand();
		X[i + N] = nrand();
		label[i] = i % 3;
	}
	for (k = 0; k < 100; k++)
	{
		pgl_rc rc;

		c.fail_at = k;
		c.allocs = 0;
		rc = pgl_logreg_fit(&env, X, N, N, 2, label, 3, &lp, coef, &iters, &loss, &st);
		if (rc == PGL_OK)
			break;
		if (rc != PGL_ERR_NOMEM)
			all_nomem = false;
	}
	OK(k > 0 && k < 100 && all_nomem, "allocation failures give NOMEM (%d allocation points)", k);
}

/* ---------- L-BFGS ---------- */

static int fg_calls;

static double
rosenbrock(void *arg, const double *x, double *g)
{
	int	   dim = *(int *) arg;
	double f = 0;

	fg_calls++;
	for (int i = 0; i < dim; i++)
		g[i] = 0;
	for (int i = 0; i + 1 < dim; i++)
	{
		double a = x[i + 1] - x[i] * x[i];
		double b = 1.0 - x[i];

		f += 100.0 * a * a + b * b;
		g[i] += -400.0 * x[i] * a - 2.0 * b;
		g[i + 1] += 200.0 * a;
	}
	return f;
}

/* -sum log(x_i) + log(1 - x_i): NaN outside (0, 1), minimum at 0.5 */
static double
barrier(void *arg, const double *x, double *g)
{
	int	   dim = *(int *) arg;
	double f = 0;

	for (int i = 0; i < dim; i++)
	{
		if (!(x[i] > 0.0 && x[i] < 1.0))
			return NAN;
		f -= log(x[i]) + log(1.0 - x[i]);
		g[i] = -1.0 / x[i] + 1.0 / (1.0 - x[i]);
	}
	return f;
}

static double
nan_fg(void *arg, const double *x, double *g)
{
	(void) arg;
	(void) x;
	g[0] = 0;
	return NAN;
}

static void
test_lbfgs(void)
{
	pgl_lbfgs_result res;
	pgl_status		 st = {0};
	counters		 c;
	pgl_env			 env = make_env(&c);
	pgl_rc			 rc;

	{
		int	   dim = 2;
		double x[2] = {-1.2, 1.0};

		fg_calls = 0;
		rc = pgl_lbfgs(&env, dim, x, rosenbrock, &dim, 1000, 1e-10, 10, &res, &st);
		OK(rc == PGL_OK && res.converged,
		   "Rosenbrock 2-d converges (%d iterations, %d evaluations)", res.iterations, fg_calls);
		OK(fabs(x[0] - 1.0) < 1e-6 && fabs(x[1] - 1.0) < 1e-6,
		   "Rosenbrock 2-d minimum found (%.10g, %.10g)", x[0], x[1]);
		OK(res.f < 1e-12 && res.gnorm_inf <= 1e-10, "Rosenbrock f %g, |g| %g", res.f,
		   res.gnorm_inf);
		OK(c.progress == res.iterations, "progress once per iteration");
	}
	{
		int	   dim = 20;
		double x[20];
		double err = 0;

		for (int i = 0; i < dim; i++)
			x[i] = i % 2 ? 1.0 : -1.2;
		rc = pgl_lbfgs(&env, dim, x, rosenbrock, &dim, 5000, 1e-9, 10, &res, &st);
		for (int i = 0; i < dim; i++)
			err = fmax(err, fabs(x[i] - 1.0));
		OK(rc == PGL_OK && res.converged && err < 1e-6,
		   "Rosenbrock 20-d converges (%d iterations, error %g)", res.iterations, err);
	}
	{
		int	   dim = 3;
		double x[3] = {0.9, 0.05, 0.999};

		rc = pgl_lbfgs(&env, dim, x, barrier, &dim, 200, 1e-10, 5, &res, &st);
		OK(rc == PGL_OK && res.converged && fabs(x[0] - 0.5) < 1e-8 && fabs(x[1] - 0.5) < 1e-8 &&
			   fabs(x[2] - 0.5) < 1e-8,
		   "NaN outside the domain: steps shrink and it converges (%g %g %g)", x[0], x[1], x[2]);
	}
	{
		int	   dim = 1;
		double x[1] = {0};

		rc = pgl_lbfgs(&env, dim, x, nan_fg, &dim, 10, 1e-6, 5, &res, &st);
		OK(rc == PGL_ERR_NUMERIC, "NaN at the start is PGL_ERR_NUMERIC: %s", st.msg);
	}
	{
		int	   dim = 2;
		double x[2] = {-1.2, 1.0};

		rc = pgl_lbfgs(&env, dim, x, rosenbrock, &dim, 3, 1e-10, 10, &res, &st);
		OK(rc == PGL_OK && !res.converged && res.iterations == 3,
		   "max_iter reached: not converged, not an error");
	}
}

/* ---------- the gradient-oracle fit (the aggregate method) ---------- */

typedef struct mem_oracle
{
	const double  *X;
	const int32_t *label;
	int			   n, p;
	int			   calls;
} mem_oracle;

/* sums over the rows of log-loss and gradient at raw-scale weights w */
static void
mem_oracle_fn(void *arg, const double *w, double *out)
{
	mem_oracle *o = arg;
	int			p = o->p;

	o->calls++;
	memset(out, 0, sizeof(double) * (p + 3));
	out[0] = o->n;
	for (int i = 0; i < o->n; i++)
	{
		double z = w[p], y = o->label[i];
		double r;

		for (int j = 0; j < p; j++)
			z += w[j] * o->X[i + j * o->n];
		out[1] += fmax(z, 0.0) + log1p(exp(-fabs(z))) - y * z;
		r = 1.0 / (1.0 + exp(-z)) - y;
		for (int j = 0; j < p; j++)
			out[2 + j] += r * o->X[i + j * o->n];
		out[2 + p] += r;
	}
}

static void
test_oracle(void)
{
	enum
	{
		N = 600,
		P = 4
	};
	double			 *X = malloc(sizeof(double) * N * P);
	int32_t			 *label = malloc(sizeof(int32_t) * N);
	double			  stats[1 + 5 * P];
	double			  c1[P + 1], c2[P + 1];
	int32_t			  it1, it2;
	double			  l1, l2;
	pgl_status		  st;
	pgl_logreg_params lp = {0.01, 200, 1e-8, NULL};
	mem_oracle		  o = {X, label, N, P, 0};
	pgl_env			  env = pgl_malloc_env;
	double			  worst = 0;

	for (int i = 0; i < N; i++)
	{
		double z = 0;

		for (int j = 0; j < P; j++)
		{
			/* column 3 is constant: no weight, on both paths */
			X[i + j * N] = j == 3 ? 5.0 : 100.0 * j + (1 + j) * nrand();
			z += j == 3 ? 0 : (j % 2 ? 1.0 : -1.0) * (X[i + j * N] - 100.0 * j) / (1 + j);
		}
		label[i] = z + 0.5 * nrand() > 0;
	}
	/* the column statistics, as ai_stats_agg keeps them */
	stats[0] = P;
	for (int j = 0; j < P; j++)
	{
		double *c = stats + 1 + 5 * j, mean = 0, m2 = 0, lo = X[j * N], hi = X[j * N];

		for (int i = 0; i < N; i++)
			mean += X[i + j * N];
		mean /= N;
		for (int i = 0; i < N; i++)
		{
			m2 += (X[i + j * N] - mean) * (X[i + j * N] - mean);
			lo = fmin(lo, X[i + j * N]);
			hi = fmax(hi, X[i + j * N]);
		}
		c[0] = N;
		c[1] = mean;
		c[2] = m2;
		c[3] = lo;
		c[4] = hi;
	}
	memset(&st, 0, sizeof(st));
	OK(pgl_logreg_fit(&env, X, N, N, P, label, 2, &lp, c1, &it1, &l1, &st) == PGL_OK,
	   "in-memory fit");
	OK(pgl_logreg_fit_oracle(&env, P, 2, stats, &lp, mem_oracle_fn, &o, c2, &it2, &l2, &st) ==
		   PGL_OK,
	   "oracle fit");
	for (int j = 0; j <= P; j++)
		worst = fmax(worst, fabs(c1[j] - c2[j]) / fmax(1.0, fabs(c1[j])));
	OK(worst < 1e-9, "oracle and in-memory coefficients agree (worst relative %g)", worst);
	OK(it1 == it2 && fabs(l1 - l2) < 1e-12, "same iterations (%d, %d) and loss", it1, it2);
	OK(c2[3] == 0.0, "a constant column gets no weight");
	OK(o.calls >= it2, "one oracle call per objective evaluation (%d calls)", o.calls);
	free(X);
	free(label);
}

/*
 * Class weights: weighting the rows of one class by 2 is the same objective
 * as listing those rows twice, up to the factor n'/n on the mean loss.
 * Without l2 (the penalty is on standardized weights, and listing rows twice
 * changes the standardization) and on overlapping classes, both fits reach
 * the same maximum-likelihood coefficients.  Binary and multiclass; then bad weights are refused.
 */
static void
test_class_weight_k(int K)
{
	enum
	{
		N = 600,
		P = 2
	};
	double			 *X = malloc(sizeof(double) * N * P);
	double			 *X2 = malloc(sizeof(double) * 2 * N * P);
	int32_t			 *label = malloc(sizeof(int32_t) * N);
	int32_t			 *label2 = malloc(sizeof(int32_t) * 2 * N);
	int				  ncol = K == 2 ? 1 : K;
	double			 *coef = malloc(sizeof(double) * (P + 1) * ncol);
	double			 *coef2 = malloc(sizeof(double) * (P + 1) * ncol);
	double			 *coef0 = malloc(sizeof(double) * (P + 1) * ncol);
	double			  cw[4] = {1.0, 2.0, 1.0, 1.0};
	pgl_logreg_params lp = {0, 500, 1e-10, cw};
	pgl_logreg_params lp2 = {0, 500, 1e-10, NULL};
	int32_t			  iters;
	double			  loss, worst = 0;
	int				  n2 = 0;
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_status		  st = {0};
	pgl_rc			  rc, rc2;

	for (int i = 0; i < N; i++)
	{
		label[i] = i % K;
		for (int j = 0; j < P; j++)
			X[i + j * N] = (label[i] == j ? 1.0 : 0.0) + 1.5 * nrand();
	}
	/* the rows, with each row of class 1 twice */
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < N; i++)
			if (rep == 0 || label[i] == 1)
			{
				for (int j = 0; j < P; j++)
					X2[n2 + j * 2 * N] = X[i + j * N];
				label2[n2++] = label[i];
			}
	rc = pgl_logreg_fit(&env, X, N, N, P, label, K, &lp, coef, &iters, &loss, &st);
	rc2 = pgl_logreg_fit(&env, X2, 2 * N, n2, P, label2, K, &lp2, coef2, &iters, &loss, &st);
	OK(rc == PGL_OK && rc2 == PGL_OK, "%d classes: weighted and duplicated fits succeed (%s)", K,
	   st.msg);
	for (int j = 0; j < (P + 1) * ncol; j++)
		worst = fmax(worst, fabs(coef[j] - coef2[j]));
	OK(worst < 1e-6, "%d classes: class weight 2 = the rows of the class twice (max diff %g)", K,
	   worst);
	lp.class_weight = NULL;
	rc = pgl_logreg_fit(&env, X, N, N, P, label, K, &lp, coef0, &iters, &loss, &st);
	OK(rc == PGL_OK && (K == 2 ? coef[P] > coef0[P] : coef[P * ncol + 1] > coef0[P * ncol + 1]),
	   "%d classes: weighting class 1 raises its intercept", K);
	cw[0] = 0.0;
	lp.class_weight = cw;
	rc = pgl_logreg_fit(&env, X, N, N, P, label, K, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, "weight of class 0") != NULL,
	   "%d classes: a zero class weight is refused (%s)", K, st.msg);
	cw[0] = NAN;
	rc = pgl_logreg_fit(&env, X, N, N, P, label, K, &lp, coef, &iters, &loss, &st);
	OK(rc == PGL_ERR_INVALID, "%d classes: a NaN class weight is refused", K);
	free(X);
	free(X2);
	free(label);
	free(label2);
	free(coef);
	free(coef2);
	free(coef0);
}

static void
test_class_weight(void)
{
	test_class_weight_k(2);
	test_class_weight_k(3);
}

int
main(void)
{
	test_binary();
	test_multiclass();
	test_optimality();
	test_scale_invariance();
	test_edge_cases();
	test_alloc_failures();
	test_lbfgs();
	test_oracle();
	test_class_weight();
	return unit_done();
}
