/*-------------------------------------------------------------------------
 *
 * algorithms.c
 *	  The registry of algorithms and the operations of the linear models.
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "linear.h"

#include <math.h>
#include <string.h>

/* ---------- shared checks ---------- */

/* the "coef" tensor must be (n_inputs + 1) x ncol, float64, all finite */
static pgl_rc
validate_coef(const pgl_model *m, int32_t ncol, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, "coef");
	int32_t			  width = pgl_model_input_width(m);
	int64_t			  count;
	const double	 *w;

	if (t == NULL)
		return pgl_fail(st, PGL_ERR_CORRUPT, "model has no \"coef\" tensor");
	if (width < 0 || t->dtype != PGL_F64 || t->ndim != 2 || t->dims[0] != (int64_t) width + 1 ||
		t->dims[1] != ncol)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"model \"coef\" tensor has the wrong shape for %d inputs and %d outputs",
						(int) width, (int) ncol);
	count = pgl_tensor_count(t);
	w = t->data;
	for (int64_t i = 0; i < count; i++)
		if (!isfinite(w[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "model coefficient %lld is not finite",
							(long long) i);
	return PGL_OK;
}

static pgl_rc
add_coef_tensor(const pgl_env *env, pgl_model *m, int32_t rows, int32_t cols, double **data,
				pgl_status *st)
{
	pgl_tensor *t;

	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	*data = pgl_alloc(env, sizeof(double) * (size_t) rows * (size_t) cols);
	if (m->tensors == NULL || *data == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	m->n_tensors = 1;
	t = &m->tensors[0];
	strcpy(t->name, "coef");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = rows;
	t->dims[1] = cols;
	t->data = *data;
	return PGL_OK;
}

/* ---------- linear_regression ---------- */

static pgl_rc
linreg_train(const pgl_env *env, const pgl_dataset *d, const pgl_train_params *params, pgl_model *m,
			 pgl_train_info *info, pgl_status *st)
{
	double *coef;
	pgl_rc	rc;

	rc = add_coef_tensor(env, m, d->p + 1, 1, &coef, st);
	if (rc != PGL_OK)
		return rc;
	rc = pgl_linreg_fit(env, d->X, d->ld, d->n, d->p, d->y, params->l2, coef, &info->rank, st);
	info->iterations = 1;
	info->loss = NAN;
	return rc;
}

/*
 * Fit from the streamed Gram matrix; also return the training sums of
 * squares (residual and total), exact from the same statistics.
 */
static pgl_rc
linreg_train_gram(const pgl_env *env, pgl_gram *g, const double *impute,
				  const pgl_train_params *params, pgl_model *m, pgl_train_info *info, double *sse,
				  double *sst, pgl_status *st)
{
	int32_t p = g->p;
	size_t	ldc = (size_t) p + 1;
	double *coef, *C, *mu, *maxabs;
	bool   *constant;
	double	ybar, s;
	pgl_rc	rc;

	rc = add_coef_tensor(env, m, p + 1, 1, &coef, st);
	if (rc != PGL_OK)
		return rc;
	C = pgl_alloc(env, sizeof(double) * ldc * ldc);
	mu = pgl_alloc(env, sizeof(double) * ldc);
	maxabs = pgl_alloc(env, sizeof(double) * ldc);
	constant = pgl_alloc(env, sizeof(bool) * ldc);
	if (!C || !mu || !maxabs || !constant)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rc = pgl_gram_finish(env, g, impute, C, mu, &ybar, maxabs, constant, st);
	if (rc == PGL_OK)
		rc = pgl_linreg_solve(env, C, g->n, p, mu, ybar, maxabs, constant, params->l2, coef,
							  &info->rank, st);
	if (rc == PGL_OK)
	{
		/* SSE = Cyy - 2 wᵀ Cxy + wᵀ Cxx w, over the centred data */
		s = C[p + ldc * p];
		*sst = s;
		for (int32_t j = 0; j < p; j++)
		{
			double cw = 0;

			for (int32_t k = 0; k < p; k++)
				cw += (j <= k ? C[j + ldc * k] : C[k + ldc * j]) * coef[k];
			s += coef[j] * (cw - 2.0 * C[j + ldc * p]);
		}
		*sse = s > 0 ? s : 0;
	}
	info->iterations = 1;
	info->loss = NAN;
	pgl_free(env, C);
	pgl_free(env, mu);
	pgl_free(env, maxabs);
	pgl_free(env, constant);
	return rc;
}

static pgl_rc
linreg_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld, int64_t n,
			   double *out, pgl_status *st)
{
	(void) env;
	(void) st;
	pgl_linreg_predict(pgl_model_tensor(m, "coef")->data, m->n_inputs, X, ld, n, out);
	return PGL_OK;
}

static pgl_rc
linreg_validate(const pgl_model *m, pgl_status *st)
{
	if (m->task != PGL_TASK_REGRESSION || m->n_classes != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "linear_regression model is not a regression model");
	return validate_coef(m, 1, st);
}

/* ---------- logistic_regression ---------- */

static pgl_rc
logreg_train(const pgl_env *env, const pgl_dataset *d, const pgl_train_params *params, pgl_model *m,
			 pgl_train_info *info, pgl_status *st)
{
	pgl_logreg_params lp = {params->l2, params->max_iter, params->tol};
	int32_t			  ncol = d->n_classes == 2 ? 1 : d->n_classes;
	double			 *coef;
	pgl_rc			  rc;

	rc = add_coef_tensor(env, m, d->p + 1, ncol, &coef, st);
	if (rc != PGL_OK)
		return rc;
	info->rank = d->p;
	return pgl_logreg_fit(env, d->X, d->ld, d->n, d->p, d->label, d->n_classes, &lp, coef,
						  &info->iterations, &info->loss, st);
}

static pgl_rc
logreg_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld, int64_t n,
			   double *out, pgl_status *st)
{
	return pgl_logreg_predict_proba(env, pgl_model_tensor(m, "coef")->data, m->n_inputs,
									m->n_classes, X, ld, n, out, st);
}

static pgl_rc
logreg_validate(const pgl_model *m, pgl_status *st)
{
	if (m->task != PGL_TASK_CLASSIFICATION || m->n_classes < 2)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"logistic_regression model must be a classifier with at least two classes");
	return validate_coef(m, m->n_classes == 2 ? 1 : m->n_classes, st);
}

/* ---------- registry ---------- */

static const pgl_algo_ops algorithms[] = {
	{PGL_ALGO_LINEAR_REGRESSION, "linear_regression", PGL_TASK_REGRESSION, 0.0, linreg_train,
	 linreg_predict, linreg_validate, linreg_train_gram},
	{PGL_ALGO_LOGISTIC_REGRESSION, "logistic_regression", PGL_TASK_CLASSIFICATION, 1e-4,
	 logreg_train, logreg_predict, logreg_validate, NULL},
};

#define N_ALGORITHMS ((int) (sizeof(algorithms) / sizeof(algorithms[0])))

const pgl_algo_ops *
pgl_algo_by_id(int32_t id)
{
	for (int i = 0; i < N_ALGORITHMS; i++)
		if (algorithms[i].id == id)
			return &algorithms[i];
	return NULL;
}

const pgl_algo_ops *
pgl_algo_by_name(const char *name)
{
	for (int i = 0; i < N_ALGORITHMS; i++)
		if (strcmp(algorithms[i].name, name) == 0)
			return &algorithms[i];
	return NULL;
}

const char *
pgl_algo_names(void)
{
	return "linear_regression, logistic_regression";
}

pgl_rc
pgl_algo_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_algo_ops *ops = pgl_algo_by_id(m->algorithm);

	if (ops == NULL)
		return pgl_fail(st, PGL_ERR_CORRUPT, "unknown algorithm id %d", (int) m->algorithm);
	if (m->task != ops->task)
		return pgl_fail(st, PGL_ERR_CORRUPT, "task %d does not match algorithm %s", (int) m->task,
						ops->name);
	if (m->n_inputs != pgl_model_input_width(m))
		return pgl_fail(st, PGL_ERR_CORRUPT, "input width %d does not match the features",
						(int) m->n_inputs);
	return ops->validate(m, st);
}
