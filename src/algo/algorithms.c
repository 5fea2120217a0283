/*-------------------------------------------------------------------------
 *
 * algorithms.c
 *	  The registry of algorithms and the operations of the linear models.
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "als.h"
#include "iforest.h"
#include "kmeans.h"
#include "linear.h"
#include "nn.h"
#include "xgboost.h"

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
	info->iterations = 1;
	info->loss = NAN;
	if (d->csr)
		return pgl_linreg_fit_csr(env, d->csr, d->y, params->l2, params->max_iter, params->tol,
								  coef, &info->rank, &info->iterations, st);
	rc = pgl_linreg_fit(env, d->X, d->ld, d->n, d->p, d->y, params->l2, coef, &info->rank, st);
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
	pgl_linreg_predict(pgl_model_tensor(m, "coef")->data, m->n_inputs, X, ld, n, out);
	/* overflow (inf, or inf - inf): an ERROR, never a silent NaN */
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(out[i]))
			return pgl_fail(st, PGL_ERR_NUMERIC,
							"the prediction of row %lld is not finite: its feature values are "
							"too large for the model's coefficients",
							(long long) (i + 1));
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
	pgl_logreg_params lp = {params->l2, params->max_iter, params->tol, params->class_weight};
	int32_t			  ncol = d->n_classes == 2 ? 1 : d->n_classes;
	double			 *coef;
	pgl_rc			  rc;

	rc = add_coef_tensor(env, m, d->p + 1, ncol, &coef, st);
	if (rc != PGL_OK)
		return rc;
	info->rank = d->p;
	if (d->csr)
	{
		bool   *raw = pgl_alloc0(env, sizeof(bool) * ((size_t) d->p + 1));
		int32_t col = 0;

		if (raw == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		for (int32_t f = 0; f < m->n_features; f++)
		{
			int32_t w = pgl_feature_width(&m->features[f]);

			for (int32_t j = 0; j < w && m->features[f].kind == PGL_FEATURE_TEXT; j++)
				raw[col + j] = true;
			col += w;
		}
		rc = pgl_logreg_fit_csr(env, d->csr, raw, d->label, d->n_classes, &lp, coef,
								&info->iterations, &info->loss, st);
		pgl_free(env, raw);
		return rc;
	}
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

/* ---------- als ---------- */

/* a 1- or 2-d tensor with this dtype and these dims (d1 < 0: 1-d) */
static const pgl_tensor *
want_tensor(const pgl_model *m, const char *name, int32_t dtype, int64_t d0, int64_t d1,
			pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	if (t == NULL || t->dtype != dtype || t->ndim != (d1 == -1 ? 1 : 2) ||
		(d0 >= 0 && t->dims[0] != d0) || (d1 >= 0 && t->dims[1] != d1))
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "als model has no valid \"%s\" tensor", name);
		return NULL;
	}
	return t;
}

/* the ids of users or items: I64 or STR, strictly ascending; returns count or -1 */
static int64_t
als_ids(const pgl_model *m, const char *int_name, const char *text_name, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, int_name);

	if (t != NULL && pgl_model_tensor(m, text_name) != NULL)
		return pgl_fail(st, PGL_ERR_CORRUPT, "als model has both \"%s\" and \"%s\"", int_name,
						text_name),
			   -1;
	if (t != NULL)
	{
		const int64_t *ids;

		if (t->dtype != PGL_I64 || t->ndim != 1)
			return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"%s\" tensor is malformed", int_name),
				   -1;
		ids = t->data;
		for (int64_t i = 1; i < t->dims[0]; i++)
			if (ids[i - 1] >= ids[i])
				return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"%s\" are not ascending",
								int_name),
					   -1;
		return t->dims[0];
	}
	t = pgl_model_tensor(m, text_name);
	if (t != NULL && t->dtype == PGL_STR && t->ndim == 1)
	{
		char **keys = t->data;

		for (int64_t i = 1; i < t->dims[0]; i++)
			if (strcmp(keys[i - 1], keys[i]) >= 0)
				return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"%s\" are not ascending",
								text_name),
					   -1;
		return t->dims[0];
	}
	pgl_fail(st, PGL_ERR_CORRUPT, "als model has neither \"%s\" nor \"%s\"", int_name, text_name);
	return -1;
}

static bool
all_finite_f32(const pgl_tensor *t)
{
	const float *v = t->data;
	int64_t		 n = pgl_tensor_count(t);

	for (int64_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

static pgl_rc
als_validate(const pgl_model *m, pgl_status *st)
{
	int64_t			  nu, ni, k, nnz;
	const pgl_tensor *uf, *vf, *ub, *ib, *mu, *pop, *sp, *si, *cfg, *cols;
	const int64_t	 *ptr;
	const int32_t	 *items;

	if (m->n_features != 0 || m->n_classes != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "als model must have no features and no classes");
	if ((nu = als_ids(m, "user_ids", "user_keys", st)) < 0 ||
		(ni = als_ids(m, "item_ids", "item_keys", st)) < 0)
		return st->rc;
	if ((pgl_model_tensor(m, "user_ids") != NULL) != (pgl_model_tensor(m, "item_ids") != NULL))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"als model user and item ids are of different families");
	if (!(uf = want_tensor(m, "user_factors", PGL_F32, nu, -2, st)))
		return st->rc;
	k = uf->dims[1];
	/* the glue holds counts and k in int32 and sizes work arrays by k */
	if (nu >= INT32_MAX || ni >= INT32_MAX || k > PGL_ALS_MAX_FACTORS)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"als model has %lld users, %lld items and %lld factors; at most %d "
						"factors and %d users or items are allowed",
						(long long) nu, (long long) ni, (long long) k, PGL_ALS_MAX_FACTORS,
						INT32_MAX - 1);
	if (k < 1 || !(vf = want_tensor(m, "item_factors", PGL_F32, ni, k, st)) ||
		!(ub = want_tensor(m, "user_bias", PGL_F32, nu, -1, st)) ||
		!(ib = want_tensor(m, "item_bias", PGL_F32, ni, -1, st)) ||
		!(mu = want_tensor(m, "global_mean", PGL_F64, 1, -1, st)) ||
		!(pop = want_tensor(m, "item_popularity", PGL_F32, ni, -1, st)) ||
		!(sp = want_tensor(m, "seen_ptr", PGL_I64, nu + 1, -1, st)) ||
		!(si = want_tensor(m, "seen_items", PGL_I32, -1, -1, st)) ||
		!(cfg = want_tensor(m, "config", PGL_F64, 8, -1, st)))
		return st->rc == PGL_OK ? pgl_fail(st, PGL_ERR_CORRUPT, "als model has no factors")
								: st->rc;
	/* optional: the user, item and rating column names ai_evaluate reads again */
	cols = pgl_model_tensor(m, "columns");
	if (cols != NULL && (cols->dtype != PGL_STR || cols->ndim != 1 || cols->dims[0] != 3))
		return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"columns\" tensor is not 3 strings");
	/* optional (0.3.0 on): the penalty of the biases, for fold-in */
	if (pgl_model_tensor(m, "bias_l2") != NULL)
	{
		const pgl_tensor *bl = want_tensor(m, "bias_l2", PGL_F64, 1, -1, st);

		if (bl == NULL)
			return st->rc;
		if (!(*(const double *) bl->data >= 0) || !isfinite(*(const double *) bl->data))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"als model \"bias_l2\" is not a finite number >= 0");
	}
	if (!all_finite_f32(uf) || !all_finite_f32(vf) || !all_finite_f32(ub) || !all_finite_f32(ib) ||
		!all_finite_f32(pop) || !isfinite(*(const double *) mu->data))
		return pgl_fail(st, PGL_ERR_CORRUPT, "als model has non-finite parameters");
	{
		const double *c = cfg->data;

		/* implicit, l2, alpha, cg_steps, cold_start_error, iterations, k, duplicates */
		if (!(c[0] == 0 || c[0] == 1) || !(c[1] >= 0 && isfinite(c[1])) ||
			!(c[2] >= 0 && isfinite(c[2])) || !(c[3] >= 1 && c[3] <= 100) ||
			!(c[4] == 0 || c[4] == 1) || !(c[5] >= 1 && c[5] <= 1000) ||
			!(c[6] >= 1 && c[6] <= 1000) || !(c[7] == 0 || c[7] == 1))
			return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"config\" holds invalid values");
	}
	ptr = sp->data;
	items = si->data;
	nnz = si->dims[0];
	if (ptr[0] != 0 || ptr[nu] != nnz)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"als model \"seen_ptr\" does not match \"seen_items\"");
	for (int64_t u = 0; u < nu; u++)
	{
		if (ptr[u + 1] < ptr[u])
			return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"seen_ptr\" is not ascending");
		for (int64_t q = ptr[u]; q < ptr[u + 1]; q++)
			if (items[q] < 0 || items[q] >= ni || (q > ptr[u] && items[q - 1] >= items[q]))
				return pgl_fail(st, PGL_ERR_CORRUPT, "als model \"seen_items\" is malformed");
	}
	return PGL_OK;
}

/* ---------- kmeans ---------- */

/*
 * Tensors: "centroids" f64 [k, n_inputs] (row-major, in the encoded input
 * space on its raw scale) and "inertia" f64 [1] (training sum of squared
 * distances to the nearest centroid).
 */
static pgl_rc
kmeans_train(const pgl_env *env, const pgl_dataset *d, const pgl_train_params *params, pgl_model *m,
			 pgl_train_info *info, pgl_status *st)
{
	pgl_kmeans_params kp = {params->k,	  params->max_iter, params->tol,
							params->seed, params->sample,	params->sample_rows};
	pgl_tensor		 *t;
	double			 *C, *inertia;
	pgl_rc			  rc;

	if (params->k < 1 || (int64_t) params->k > d->n)
		return pgl_fail(st, PGL_ERR_INVALID,
						"k must be between 1 and the %lld training rows, not %d", (long long) d->n,
						(int) params->k);
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor) * 2);
	C = pgl_alloc(env, sizeof(double) * (size_t) params->k * (size_t) (d->p > 0 ? d->p : 1));
	inertia = pgl_alloc(env, sizeof(double));
	if (m->tensors == NULL || C == NULL || inertia == NULL)
	{
		pgl_free(env, m->tensors);
		pgl_free(env, C);
		pgl_free(env, inertia);
		m->tensors = NULL;
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	m->n_tensors = 2;
	t = &m->tensors[0];
	strcpy(t->name, "centroids");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = params->k;
	t->dims[1] = d->p;
	t->data = C;
	t = &m->tensors[1];
	strcpy(t->name, "inertia");
	t->dtype = PGL_F64;
	t->ndim = 1;
	t->dims[0] = 1;
	t->data = inertia;
	rc = pgl_kmeans_fit(env, d->X, d->ld, d->n, d->p, &kp, C, &info->iterations, inertia, st);
	info->loss = *inertia;
	info->rank = 0;
	return rc;
}

static pgl_rc
kmeans_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld, int64_t n,
			   double *out, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, "centroids");
	int32_t			 *label;
	double			 *dist2;
	pgl_rc			  rc;

	if (n <= 0)
		return PGL_OK;
	label = pgl_alloc(env, sizeof(int32_t) * (size_t) n);
	dist2 = pgl_alloc(env, sizeof(double) * (size_t) n);
	if (label == NULL || dist2 == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rc = pgl_kmeans_assign(env, t->data, (int32_t) t->dims[0], m->n_inputs, X, ld, n, label, dist2,
						   st);
	for (int64_t i = 0; rc == PGL_OK && i < n; i++)
	{
		/* overflowed distances compare as equal (or NaN): no nearest centroid */
		if (!isfinite(dist2[i]))
			rc = pgl_fail(st, PGL_ERR_NUMERIC,
						  "the distances of row %lld to the centroids are not finite: its feature "
						  "values are too large",
						  (long long) (i + 1));
		out[i] = label[i];
	}
	pgl_free(env, label);
	pgl_free(env, dist2);
	return rc;
}

static pgl_rc
kmeans_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *c = pgl_model_tensor(m, "centroids");
	const pgl_tensor *in = pgl_model_tensor(m, "inertia");
	int64_t			  count;

	if (m->task != PGL_TASK_CLUSTERING || m->n_classes != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "kmeans model is not a clustering model");
	if (c == NULL || c->dtype != PGL_F64 || c->ndim != 2 || c->dims[0] < 1 || c->dims[0] > 100000 ||
		c->dims[1] != m->n_inputs)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"kmeans model has no valid \"centroids\" tensor of %d inputs",
						(int) m->n_inputs);
	if (in == NULL || in->dtype != PGL_F64 || in->ndim != 1 || in->dims[0] != 1 ||
		!(*(const double *) in->data >= 0) || !isfinite(*(const double *) in->data))
		return pgl_fail(st, PGL_ERR_CORRUPT, "kmeans model has no valid \"inertia\" tensor");
	count = pgl_tensor_count(c);
	for (int64_t i = 0; i < count; i++)
		if (!isfinite(((const double *) c->data)[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "kmeans model centroid value %lld is not finite",
							(long long) i);
	return PGL_OK;
}

/* ---------- registry ---------- */

static const pgl_algo_ops algorithms[] = {
	{PGL_ALGO_LINEAR_REGRESSION, "linear_regression", PGL_TASK_REGRESSION, 0.0, linreg_train,
	 linreg_predict, linreg_validate, linreg_train_gram, pgl_linear_regression_options, NULL, false,
	 NULL, true, NULL, NULL, 0},
	{PGL_ALGO_LOGISTIC_REGRESSION, "logistic_regression", PGL_TASK_CLASSIFICATION, 1e-4,
	 logreg_train, logreg_predict, logreg_validate, NULL, pgl_logistic_regression_options, NULL,
	 false, NULL, true, NULL, NULL, 0},
	/* trained and used through its own glue (recommend*.c): no dense-matrix ops */
	{PGL_ALGO_ALS, "als", PGL_TASK_RECOMMENDATION, 0.05, NULL, NULL, als_validate, NULL,
	 pgl_als_options, "ndcg@k|rmse", false, NULL, false, NULL, NULL, 0},
	{PGL_ALGO_KMEANS, "kmeans", PGL_TASK_CLUSTERING, 0.0, kmeans_train, kmeans_predict,
	 kmeans_validate, NULL, pgl_kmeans_options, NULL, false, NULL, false, NULL, NULL, 0},
	/* trained through its own glue (nn_train.c); the task is the model's; an autoencoder's
	 * predict is its anomaly score, the reconstruction error */
	{PGL_ALGO_NEURAL_NET, "neural_net", 0, 0.0, NULL, pgl_nn_predict_encoded, pgl_nn_validate, NULL,
	 pgl_neural_net_options, NULL, false, NULL, false, NULL, pgl_nn_predict_encoded, 0},
	/* tree ensembles trained by libxgboost (xgboost.c); the task is the model's */
	{PGL_ALGO_XGBOOST, "xgboost", 0, 1.0, pgl_xgboost_train, pgl_trees_model_predict,
	 pgl_trees_model_validate, NULL, pgl_xgboost_options, NULL, true, pgl_xgb_train_memory, false,
	 NULL, NULL, 0},
	{PGL_ALGO_RANDOM_FOREST, "random_forest", 0, 1e-5, pgl_random_forest_train,
	 pgl_trees_model_predict, pgl_trees_model_validate, NULL, pgl_random_forest_options, NULL, true,
	 pgl_xgb_train_memory, false, NULL, NULL, 0},
	/* imported with ai_import_model(format => 'onnx'), never trained; the task is the
	 * model's; a NULL feature encodes as NaN, which predict refuses (no imputation) */
	{PGL_ALGO_ONNX, "onnx", 0, 0.0, NULL, pgl_onnx_predict, pgl_onnx_validate, NULL,
	 pgl_onnx_options, NULL, true, NULL, false, pgl_onnx_prepare, NULL, 0},
	/* anomaly scores (iforest.c): predict is the score */
	{PGL_ALGO_ISOLATION_FOREST, "isolation_forest", PGL_TASK_ANOMALY, 0.0, pgl_iforest_train,
	 pgl_iforest_score, pgl_iforest_validate, NULL, pgl_isolation_forest_options, NULL, false, NULL,
	 false, NULL, pgl_iforest_score, 1.0},
	/* time series, trained and used through its own glue (forecast_glue*.c) */
	{PGL_ALGO_FORECAST, "forecast", PGL_TASK_FORECAST, 0.0, NULL, NULL, pgl_forecast_validate, NULL,
	 pgl_forecast_options, "mase", false, NULL, false, NULL, NULL, 0},
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
	return "linear_regression, logistic_regression, als, kmeans, neural_net, xgboost, "
		   "random_forest, isolation_forest, forecast";
}

pgl_rc
pgl_algo_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_algo_ops *ops = pgl_algo_by_id(m->algorithm);

	if (ops == NULL)
		return pgl_fail(st, PGL_ERR_CORRUPT, "unknown algorithm id %d", (int) m->algorithm);
	/* task 0: the model's; an anomaly task where the family has the anomaly_score op */
	if (ops->task == 0 ? (m->task != PGL_TASK_REGRESSION && m->task != PGL_TASK_CLASSIFICATION &&
						  (m->task != PGL_TASK_ANOMALY || ops->anomaly_score == NULL))
					   : m->task != ops->task)
		return pgl_fail(st, PGL_ERR_CORRUPT, "task %d does not match algorithm %s", (int) m->task,
						ops->name);
	if (m->n_inputs != pgl_model_input_width(m))
		return pgl_fail(st, PGL_ERR_CORRUPT, "input width %d does not match the features",
						(int) m->n_inputs);
	return ops->validate(m, st);
}

pgl_rc
pgl_algo_prepare(const pgl_env *env, pgl_model *m, pgl_status *st)
{
	const pgl_algo_ops *ops = pgl_algo_by_id(m->algorithm);

	if (ops == NULL || ops->prepare == NULL)
		return PGL_OK;
	return ops->prepare(env, m, st);
}
