/*
 * Tests of xgboost.c against libxgboost itself: the trainer's model, read
 * back through our JSON converter into tree tensors, predicts what the
 * library's own booster (trained here with the same parameters on the same
 * data) predicts, to float32 rounding; our exact TreeSHAP equals the
 * library's pred_contribs to 1e-5; regression, binary and multiclass, with
 * missing values.  Also: progress and interrupt callbacks once per round,
 * early stopping keeps the best round, random_forest's one round of
 * parallel trees, class weights, the refusals of resolve_objective, and
 * opening the library (xgb_lib.c: found, absent, lacking a function).
 */
#include "algorithms.h"
#include "testenv.h"
#include "trees.h"
#include "unit.h"
#include "xgb_lib.h"
#include "xgboost.h"

#include <string.h>
#include <xgboost/c_api.h>

#define N 400
#define P 5

static double  X[P * N]; /* column-major, NaN for missing */
static float   Xrow[N * P];
static double  y[N];
static int32_t bin[N], multi[N];
static char	  *class_names[3] = {"a", "b", "c"};

static void
make_data(void)
{
	for (int i = 0; i < N; i++)
	{
		for (int j = 0; j < P; j++)
		{
			double v = urand() < 0.1 ? NAN : 2 * urand() - 1;

			X[j * N + i] = v;
			Xrow[i * P + j] = (float) v;
		}
		double x0 = isnan(X[i]) ? 0 : X[i], x1 = isnan(X[N + i]) ? 0.5 : X[N + i];
		double x2 = isnan(X[2 * N + i]) ? 0 : X[2 * N + i];

		y[i] = sin(3 * x0) + x1 * x2 + (isnan(X[3 * N + i]) ? 2 : 0) + 0.1 * nrand();
		bin[i] = x0 + x1 > 0.2;
		multi[i] = x0 < -0.3 ? 0 : x2 < 0 ? 1 : 2;
	}
}

/* free what the trainer allocated (pgl_model_free frees the struct too) */
static void
free_model(const pgl_env *env, pgl_model *m)
{
	pgl_model *h = malloc(sizeof(pgl_model));

	*h = *m;
	h->classes = NULL; /* static names */
	h->n_classes = 0;
	pgl_model_free(env, h);
	memset(m, 0, sizeof(*m));
}

static void
init_model(pgl_model *m, int32_t task, int32_t n_classes)
{
	memset(m, 0, sizeof(*m));
	m->algorithm = PGL_ALGO_XGBOOST;
	m->task = task;
	m->n_inputs = P;
	m->n_classes = n_classes;
	m->classes = n_classes ? class_names : NULL;
}

static void
init_params(pgl_train_params *p)
{
	memset(p, 0, sizeof(*p));
	p->l2 = 1;
	p->seed = 7;
	p->threads = 1;
	p->n_estimators = 20;
	p->max_depth = 4;
	p->max_bin = p->early_stopping_rounds = -1;
	p->early_stopping_rounds = 0;
	p->learning_rate = p->subsample = p->colsample_bytree = p->colsample_bynode = -1;
	p->min_child_weight = p->l1 = -1;
}

/* the library's booster, trained here with the parameters xgboost.c sets */
static BoosterHandle
reference_booster(const char *objective, const int32_t *label, int n_class, int rounds)
{
	DMatrixHandle d;
	BoosterHandle b;
	float		  lab[N];
	char		  nc[16];

	for (int i = 0; i < N; i++)
		lab[i] = label ? (float) label[i] : (float) y[i];
	XGDMatrixCreateFromMat(Xrow, N, P, NAN, &d);
	XGDMatrixSetFloatInfo(d, "label", lab, N);
	XGBoosterCreate(&d, 1, &b);
	XGBoosterSetParam(b, "verbosity", "1");
	XGBoosterSetParam(b, "tree_method", "hist");
	XGBoosterSetParam(b, "objective", objective);
	if (n_class > 2)
	{
		snprintf(nc, sizeof(nc), "%d", n_class);
		XGBoosterSetParam(b, "num_class", nc);
	}
	XGBoosterSetParam(b, "nthread", "1");
	XGBoosterSetParam(b, "seed", "7");
	XGBoosterSetParam(b, "max_depth", "4");
	XGBoosterSetParam(b, "eta", "0.3");
	XGBoosterSetParam(b, "lambda", "1");
	for (int it = 0; it < rounds; it++)
		XGBoosterUpdateOneIter(b, it, d);
	XGDMatrixFree(d);
	return b;
}

/* the library's output of type (1 margin, 2 contributions) for all rows */
static const float *
library_output(BoosterHandle b, int type, bst_ulong *count)
{
	DMatrixHandle	 d;
	const bst_ulong *shape;
	bst_ulong		 dim;
	const float		*out;
	char			 config[160];

	XGDMatrixCreateFromMat(Xrow, N, P, NAN, &d);
	snprintf(config, sizeof(config),
			 "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
			 "\"strict_shape\": false}",
			 type);
	if (XGBoosterPredictFromDMatrix(b, d, config, &shape, &dim, &out) != 0)
		return NULL;
	*count = 1;
	for (bst_ulong i = 0; i < dim; i++)
		*count *= shape[i];
	XGDMatrixFree(d); /* the result lives in the booster */
	return out;
}

static void
compare(const char *what, const char *objective, int32_t task, int32_t n_classes,
		const int32_t *label)
{
	counters		 c;
	pgl_env			 env = make_env(&c);
	pgl_model		 m;
	pgl_train_params params;
	pgl_train_info	 info;
	pgl_status		 st;
	pgl_dataset		 d = {X, N, N, P, label ? NULL : y, label, n_classes, NULL};
	pgl_trees		 t;
	int				 k = n_classes > 2 ? n_classes : 1;
	double			*ours = malloc(sizeof(double) * N * k);
	double			*phi = malloc(sizeof(double) * N * k * (P + 1));
	double			 worst = 0, worst_phi = 0;
	bst_ulong		 count;
	const float		*ref;
	BoosterHandle	 b;

	init_model(&m, task, n_classes);
	init_params(&params);
	memset(&st, 0, sizeof(st));
	OK(pgl_xgboost_train(&env, &d, &params, &m, &info, &st) == PGL_OK, "%s: trains (%s)", what,
	   st.msg);
	OK(info.iterations == 20 && c.progress == 20 && c.interrupts >= 20,
	   "%s: 20 rounds, one progress call and interrupt check each (%d, %d, %d)", what,
	   info.iterations, c.progress, c.interrupts);
	OK(pgl_trees_validate(&m, &t, &st) == PGL_OK && t.n_trees == 20 * k && t.n_groups == k,
	   "%s: %d trees in %d groups", what, (int) t.n_trees, (int) t.n_groups);

	b = reference_booster(objective, label, n_classes, 20);
	pgl_trees_predict_margin(&t, X, N, N, ours);
	ref = library_output(b, 1, &count);
	OK(ref != NULL && count == (bst_ulong) N * k, "%s: library margins (%llu)", what,
	   (unsigned long long) count);
	for (bst_ulong i = 0; ref && i < count; i++)
		worst = fmax(worst, fabs(ours[i] - ref[i]) / fmax(1.0, fabs(ref[i])));
	OK(ref && worst <= 1e-6 * 20,
	   "%s: margins equal the library's to float32 rounding (worst %.2g)", what, worst);

	OK(pgl_trees_shap(&env, &t, X, N, N, phi, &st) == PGL_OK, "%s: TreeSHAP", what);
	ref = library_output(b, 2, &count);
	OK(ref != NULL && count == (bst_ulong) N * k * (P + 1), "%s: library pred_contribs (%llu)",
	   what, (unsigned long long) count);
	for (bst_ulong i = 0; ref && i < count; i++)
		worst_phi = fmax(worst_phi, fabs(phi[i] - ref[i]));
	OK(ref && worst_phi <= 1e-5, "%s: TreeSHAP equals pred_contribs to 1e-5 (worst %.2g)", what,
	   worst_phi);
	XGBoosterFree(b);
	free_model(&env, &m);
	free(ours);
	free(phi);
}

static void
test_options_and_errors(void)
{
	counters		 c;
	pgl_env			 env = make_env(&c);
	pgl_model		 m;
	pgl_train_params params;
	pgl_train_info	 info;
	pgl_status		 st;
	pgl_dataset		 d = {X, N, N, P, y, NULL, 0, NULL};
	pgl_dataset		 hold = {X + N / 2, N, N / 2, P, y + N / 2, NULL, 0, NULL};
	pgl_trees		 t;
	double			 neg[N];

	/* early stopping on a hold-out keeps the best round */
	init_model(&m, PGL_TASK_REGRESSION, 0);
	init_params(&params);
	params.n_estimators = 300;
	params.learning_rate = 0.9;
	params.max_depth = 8;
	params.early_stopping_rounds = 2;
	params.holdout = &hold;
	memset(&st, 0, sizeof(st));
	OK(pgl_xgboost_train(&env, &d, &params, &m, &info, &st) == PGL_OK && info.iterations < 300 &&
		   isfinite(info.loss),
	   "early stopping: %d of 300 rounds kept, hold-out rmse %.3g", info.iterations, info.loss);
	OK(pgl_trees_validate(&m, &t, &st) == PGL_OK && t.n_trees == info.iterations,
	   "early stopping: the model has the kept rounds' %d trees", (int) t.n_trees);
	free_model(&env, &m);

	/* random forest: one round of n_estimators parallel trees */
	init_model(&m, PGL_TASK_REGRESSION, 0);
	init_params(&params);
	params.n_estimators = 7;
	OK(pgl_random_forest_train(&env, &d, &params, &m, &info, &st) == PGL_OK &&
		   pgl_trees_validate(&m, &t, &st) == PGL_OK && t.n_trees == 7 && info.iterations == 1,
	   "random_forest: 7 trees in one round");
	free_model(&env, &m);

	/* binary:logistic on 3 classes; count:poisson on a negative target */
	init_model(&m, PGL_TASK_CLASSIFICATION, 3);
	init_params(&params);
	params.objective = 5; /* binary:logistic */
	d.y = NULL;
	d.label = multi;
	d.n_classes = 3;
	OK(pgl_xgboost_train(&env, &d, &params, &m, &info, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "needs 2 classes") != NULL,
	   "binary:logistic on 3 classes is refused: %s", st.msg);
	m.classes = NULL;
	init_model(&m, PGL_TASK_REGRESSION, 0);
	for (int i = 0; i < N; i++)
		neg[i] = y[i] - 5;
	d.y = neg;
	d.label = NULL;
	d.n_classes = 0;
	params.objective = 3; /* count:poisson */
	OK(pgl_xgboost_train(&env, &d, &params, &m, &info, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "target >= 0") != NULL,
	   "count:poisson on a negative target is refused: %s", st.msg);

	/* a parameter the library refuses comes back as its message */
	init_model(&m, PGL_TASK_REGRESSION, 0);
	init_params(&params);
	d.y = y;
	params.max_bin = 1;
	OK(pgl_xgboost_train(&env, &d, &params, &m, &info, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "xgboost could not") != NULL && st.detail[0] != '\0',
	   "a library error is reported: %s (%s)", st.msg, st.detail);
	free_model(&env, &m);
}

/* the library opened on first use: found, absent, or lacking a function */
static void
test_library(void)
{
	pgl_xgb_api api;
	pgl_status	st;

	memset(&st, 0, sizeof(st));
	OK(pgl_xgb_lib(&st) != NULL, "libxgboost opens: %s", st.msg);
	OK(pgl_xgb_lib(&st) == pgl_xgb_lib(&st), "once per process");
	memset(&st, 0, sizeof(st));
	OK(pgl_xgb_lib_open("libpgl-no-such-library.so.0", &api, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "could not be opened") && strstr(st.msg, "libpgl-no-such-library") &&
		   strstr(st.detail, PGL_XGB_SONAME),
	   "a missing library is an error naming it, the detail naming the package: %s", st.msg);
	memset(&st, 0, sizeof(st));
	OK(pgl_xgb_lib_open("libm.so.6", &api, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "has no function XGBGetLastError") != NULL,
	   "a library without XGBoost's functions is refused: %s", st.msg);
}

int
main(void)
{
	test_library();
	make_data();
	compare("regression", "reg:squarederror", PGL_TASK_REGRESSION, 0, NULL);
	compare("binary", "binary:logistic", PGL_TASK_CLASSIFICATION, 2, bin);
	compare("multiclass", "multi:softprob", PGL_TASK_CLASSIFICATION, 3, multi);
	test_options_and_errors();
	return unit_done();
}
