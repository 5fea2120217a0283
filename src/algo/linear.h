/*-------------------------------------------------------------------------
 *
 * linear.h
 *	  Linear and logistic regression kernels (linreg.c, logreg.c, lbfgs.c).
 *
 * Data is a dense design matrix X, n rows by p columns, column-major with
 * leading dimension ld >= n (X[i + j * ld] is row i, column j), so a matrix
 * can be a block of a larger one.  Coefficients are
 * returned on the scale of X (any internal standardization is undone), as a
 * row-major (p + 1) x k matrix: row j < p holds feature j's weights, row p
 * the intercepts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_LINEAR_H
#define PGL_LINEAR_H

#include "pgl_algo.h"

/*
 * Ridge regression: minimize ||y - X w - b||^2 + l2 * ||w||^2 (sum of
 * squares, intercept not penalized; the same objective as scikit-learn's
 * Ridge(alpha = l2)).
 *
 * Centred XᵀX and Xᵀy are accumulated with DSYRK over batches of rows and the
 * system solved by Cholesky (DPOTRF/DPOTRS) after Jacobi scaling.  When the
 * system is singular or its reciprocal condition number (DPOCON) is below
 * 1e-12, it falls back to a rank-revealing minimum-norm solve (symmetric
 * eigendecomposition, DSYEVD, truncating eigenvalues below
 * p * eps * max eigenvalue) and says so through env->notice, naming the rank.
 *
 * coef: (p + 1) doubles, written.  *rank: the numerical rank used (p when the
 * Cholesky path succeeded).  Calls env->check_interrupts between batches.
 */
extern pgl_rc pgl_linreg_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
							 const double *y, double l2, double *coef, int32_t *rank,
							 pgl_status *st);

/*
 * The same ridge over a sparse X (linreg_csr.c, for text features): the
 * dense solve above when X has at most PGL_LINREG_DENSE_WIDTH columns,
 * else preconditioned conjugate gradient on the centred normal equations,
 * matrix-free (XᵀX is never formed), at most max_iter steps until the
 * residual is below tol times its start (env->notice when it is not).
 * *iterations: the CG steps (1 for the dense solve).
 */
#define PGL_LINREG_DENSE_WIDTH 2000

extern pgl_rc pgl_linreg_fit_csr(const pgl_env *env, const pgl_csr *A, const double *y, double l2,
								 int32_t max_iter, double tol, double *coef, int32_t *rank,
								 int32_t *iterations, pgl_status *st);

/*
 * The solve of pgl_linreg_fit from sufficient statistics: G is the centred
 * Gram matrix of [X, y] over n rows ((p + 1) x (p + 1), column-major, upper
 * triangle used; row/column p is y), mu the column means, ybar the mean of
 * y, maxabs the largest |x| of each column and constant[j] whether column j
 * is exactly constant (it may be set for columns found constant up to
 * rounding).  Shared by the in-memory path and the streaming one.
 */
extern pgl_rc pgl_linreg_solve(const pgl_env *env, const double *G, int64_t n, int32_t p,
							   const double *mu, double ybar, const double *maxabs, bool *constant,
							   double l2, double *coef, int32_t *rank, pgl_status *st);

/*
 * Streaming sufficient statistics for linear regression (gram.c): rows are
 * added in batches as they are read and never stored.  Values are shifted
 * by the first value seen in each column (so the sums stay well conditioned
 * without knowing the means in advance).  A NULL feature is imputed with a
 * value only known at the end (the training mean): each column that has
 * NULLs gets an indicator column in the accumulated Gram matrix, added when
 * its first NULL arrives, from which the imputed statistics are exact.
 */
typedef struct pgl_gram
{
	int32_t	 p;			/* features; column p of a batch is y */
	int32_t	 dim;		/* accumulated columns: 1, p features, y, indicators */
	int32_t	 cap;		/* allocated dimension of G */
	double	*G;			/* cap x cap column-major, upper triangle */
	double	*B;			/* batch buffer, PGL_GRAM_BATCH x cap */
	int32_t	 brows;		/* rows in B */
	double	*shift;		/* p + 1 */
	bool	*shifted;	/* shift set (a value was seen) */
	int32_t *indicator; /* per feature: its indicator column, or -1 */
	bool	*varies;	/* a value differs from the first one */
	int64_t	 n;

	/*
	 * With a worker thread, full batches are handed to it (double buffering)
	 * and the reader goes on filling the other buffer while DSYRK runs.  The
	 * thread touches only G and the buffer it was given; it never calls back
	 * into the caller.
	 */
	void *worker; /* struct gram_worker, or NULL */
} pgl_gram;

#define PGL_GRAM_BATCH 1024

extern pgl_rc pgl_gram_init(const pgl_env *env, pgl_gram *g, int32_t p, bool use_thread,
							pgl_status *st);

/*
 * Add rows: cols[j] (j < p) are the feature columns, cols[p] the target,
 * each with ld >= rows values; nulls[j] flags NULL features (nulls[j] may
 * be NULL; the target is never NULL).
 */
extern pgl_rc pgl_gram_add(const pgl_env *env, pgl_gram *g, const double *const *cols,
						   const bool *const *nulls, int64_t ld, int64_t rows, pgl_status *st);

/*
 * Finish with the imputation values (impute[j] for features with NULLs):
 * C is the centred (p + 1) x (p + 1) Gram matrix of [X, y] as
 * pgl_linreg_solve takes it, with mu, *ybar, maxabs and constant.
 */
extern pgl_rc pgl_gram_finish(const pgl_env *env, pgl_gram *g, const double *impute, double *C,
							  double *mu, double *ybar, double *maxabs, bool *constant,
							  pgl_status *st);

/* stops the worker thread, if any, and frees everything; safe to call twice */
extern void pgl_gram_free(const pgl_env *env, pgl_gram *g);

/* out[i] = X[i,:] w + b for n rows (DGEMV) */
extern void pgl_linreg_predict(const double *coef, int32_t p, const double *X, int64_t ld,
							   int64_t n, double *out);

typedef struct pgl_logreg_params
{
	double	l2;		  /* penalty on standardized weights, >= 0 */
	int32_t max_iter; /* > 0 */
	double	tol;	  /* > 0; stop when ||grad||_inf <= tol */
	/*
	 * k weights, one per class, each finite and > 0, or NULL (all 1): row i
	 * counts class_weight[label[i]] times in the mean log-loss (which stays
	 * divided by n, as scikit-learn's class_weight does).
	 */
	const double *class_weight;
} pgl_logreg_params;

/*
 * Logistic regression.  label[i] in [0, k), k >= 2.  For k == 2 a binary
 * sigmoid model with one weight column (class 1 is the positive class); for
 * k > 2 multinomial softmax with k columns.  Minimizes
 *	 (1/n) sum_i log-loss_i + (l2 / 2) * ||W_std||_F^2
 * over standardized features (columns scaled to mean 0, standard deviation 1;
 * constant columns left unscaled), intercepts not penalized, by L-BFGS (m = 10)
 * with a line search satisfying the strong Wolfe conditions.  Scores and
 * gradients are computed with DGEMM over the whole matrix.
 *
 * coef: (p + 1) * ncol doubles where ncol = (k == 2 ? 1 : k), on the scale of
 * X.  *iterations and *loss report the last iteration.  Calls
 * env->progress(iter, max_iter, loss) and env->check_interrupts every
 * iteration.  Reaching max_iter is not an error (env->notice says so).
 */
extern pgl_rc pgl_logreg_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
							 const int32_t *label, int32_t k, const pgl_logreg_params *params,
							 double *coef, int32_t *iterations, double *loss, pgl_status *st);

/*
 * The same fit over a sparse X (n_rows x n_cols CSR), for text features:
 * the columns are scaled by their standard deviation as above but not
 * centred (which only moves the intercepts, so the optimum is the same and
 * X stays sparse); scores and gradients are sparse products.  Columns with
 * raw[j] set (TF-IDF inputs, already L2-normalised by row) are not scaled:
 * l2 penalizes their weights as they are, as scikit-learn does
 * (C = 1 / (l2 n)).  raw may be NULL.
 */
extern pgl_rc pgl_logreg_fit_csr(const pgl_env *env, const pgl_csr *A, const bool *raw,
								 const int32_t *label, int32_t k, const pgl_logreg_params *params,
								 double *coef, int32_t *iterations, double *loss, pgl_status *st);

/*
 * Logistic regression over data the caller streams itself (the aggregate
 * method): the same objective, standardization and L-BFGS as
 * pgl_logreg_fit, with every objective evaluation one call of the oracle.
 * stats holds the standardization's column statistics over the training
 * rows in ai_stats_agg's layout ([p, per column n, mean, M2, min, max]).
 * oracle(arg, w, out) gets weights on the scale of X ((p + 1) x ncol
 * row-major, intercepts last, ncol = k == 2 ? 1 : k) and writes
 * out = [n, sum of log-losses, sum of gradients ((p + 1) x ncol, same
 * layout)] over the training rows; it may not return (an ERROR).
 */
typedef void (*pgl_logreg_oracle)(void *arg, const double *w, double *out);

extern pgl_rc pgl_logreg_fit_oracle(const pgl_env *env, int32_t p, int32_t k, const double *stats,
									const pgl_logreg_params *params, pgl_logreg_oracle oracle,
									void *arg, double *coef, int32_t *iterations, double *loss,
									pgl_status *st);

/*
 * Class probabilities for n rows: proba is n x k row-major (k columns even
 * for the binary model).  Numerically stable (max-subtracted softmax).
 */
extern pgl_rc pgl_logreg_predict_proba(const pgl_env *env, const double *coef, int32_t p, int32_t k,
									   const double *X, int64_t ld, int64_t n, double *proba,
									   pgl_status *st);

/*
 * Generic L-BFGS minimizer (lbfgs.c), used by logreg and later by other
 * smooth models.  fg stores the gradient at x in g and returns f(x); a
 * non-finite return value (or gradient) marks a point the line search must
 * back away from.
 */
typedef double (*pgl_lbfgs_fg)(void *arg, const double *x, double *g);

typedef struct pgl_lbfgs_result
{
	int32_t iterations;
	double	f;
	double	gnorm_inf;
	bool	converged;
} pgl_lbfgs_result;

extern pgl_rc pgl_lbfgs(const pgl_env *env, int32_t dim, double *x, pgl_lbfgs_fg fg, void *arg,
						int32_t max_iter, double tol, int32_t memory, pgl_lbfgs_result *res,
						pgl_status *st);

#endif /* PGL_LINEAR_H */
