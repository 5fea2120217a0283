/*-------------------------------------------------------------------------
 *
 * xgboost.c
 *	  The tree-ensemble algorithms: "xgboost" (gradient boosting, hist) and
 *	  "random_forest" (XGBoost's random-forest mode), trained by libxgboost
 *	  and stored as our own tree tensors (see xgboost.h).
 *
 * Everything XGBoost allocates lives in three handles released on every
 * path, including a cancel that longjmps out of check_interrupts (through
 * pgl_defer).  XGBoost's log goes to a buffer that is handed to
 * env->notice after each C-API call returns, on the calling thread, never
 * to stderr.
 *
 *-------------------------------------------------------------------------
 */
#include "xgboost.h"
#include "schema.h"
#include "trees.h"
#include "xgb_json.h"

#include "xgb_lib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- objectives ---------- */

typedef struct xgb_objective
{
	const char *name;
	int32_t		task;	/* 0: auto */
	const char *eval;	/* XGBoost's metric of the hold-out (progress, early stopping) */
	bool		nonneg; /* the target must be >= 0 */
} xgb_objective;

/* in the order of PGL_XGB_OBJECTIVES */
static const xgb_objective objectives[] = {
	{"auto", 0, NULL, false},
	{"reg:squarederror", PGL_TASK_REGRESSION, "rmse", false},
	{"reg:absoluteerror", PGL_TASK_REGRESSION, "mae", false},
	{"count:poisson", PGL_TASK_REGRESSION, "poisson-nloglik", true},
	{"reg:tweedie", PGL_TASK_REGRESSION, "tweedie-nloglik@1.5", true},
	{"binary:logistic", PGL_TASK_CLASSIFICATION, "logloss", false},
	{"multi:softprob", PGL_TASK_CLASSIFICATION, "mlogloss", false},
};

#define N_OBJECTIVES ((int32_t) (sizeof(objectives) / sizeof(objectives[0])))
/* the defaults of "auto", by index */
#define OBJ_SQUARED 1
#define OBJ_BINARY	5
#define OBJ_MULTI	6

int32_t
pgl_xgb_objective_task(int32_t objective)
{
	return objective > 0 && objective < N_OBJECTIVES ? objectives[objective].task : 0;
}

/* ---------- options ---------- */

#define OPT_TREE_COMMON(depth_default)                                                             \
	{"max_depth", PGL_OPT_INTEGER, PGL_SLOT_MAX_DEPTH,		  1,  PGL_TREES_MAX_DEPTH, 0,          \
	 NULL,		  depth_default,   "deepest split of a tree", "3"},                                \
		{"min_child_weight",                                                                       \
		 PGL_OPT_NUMBER,                                                                           \
		 PGL_SLOT_MIN_CHILD_WEIGHT,                                                                \
		 0,                                                                                        \
		 1e308,                                                                                    \
		 0,                                                                                        \
		 NULL,                                                                                     \
		 "1",                                                                                      \
		 "least sum of hessians (rows, for squared error) in a child of a split",                  \
		 "2"},                                                                                     \
		{"max_bin", PGL_OPT_INTEGER, PGL_SLOT_MAX_BIN,                                             \
		 2,			65536,			 0,                                                            \
		 NULL,		"256",			 "most histogram bins per input",                              \
		 "64"},                                                                                    \
		{"colsample_bytree",                                                                       \
		 PGL_OPT_NUMBER,                                                                           \
		 PGL_SLOT_COLSAMPLE_BYTREE,                                                                \
		 0,                                                                                        \
		 1,                                                                                        \
		 PGL_OPT_LO_OPEN,                                                                          \
		 NULL,                                                                                     \
		 "1",                                                                                      \
		 "fraction of the inputs each tree may split on",                                          \
		 "0.8"},                                                                                   \
		{"objective",                                                                              \
		 PGL_OPT_CHOICE,                                                                           \
		 PGL_SLOT_OBJECTIVE,                                                                       \
		 0,                                                                                        \
		 0,                                                                                        \
		 0,                                                                                        \
		 PGL_XGB_OBJECTIVES,                                                                       \
		 "auto",                                                                                   \
		 "the loss (auto: reg:squarederror for a numeric target, binary:logistic or "              \
		 "multi:softprob for labels)",                                                             \
		 "\"multi:softprob\""},                                                                    \
		{"l1",                                                                                     \
		 PGL_OPT_NUMBER,                                                                           \
		 PGL_SLOT_L1,                                                                              \
		 0,                                                                                        \
		 1e308,                                                                                    \
		 0,                                                                                        \
		 NULL,                                                                                     \
		 "0",                                                                                      \
		 "L1 penalty on the leaf values (XGBoost's alpha)",                                        \
		 "0.5"},                                                                                   \
		OPT_CLASSIFIER, OPT_TEST_SIZE, OPT_EXCLUDE, OPT_TEXT,                                      \
	{                                                                                              \
		"nulls", PGL_OPT_CHOICE, PGL_SLOT_NULLS, 0, 0, 0, "missing|error", "missing",              \
			"NULL numeric features: missing (each split learns where they go), or refuse them",    \
			"\"error\""                                                                            \
	}

#define TREE_METRICS REGRESSION_METRICS "|" CLASSIFICATION_METRICS

const pgl_option_spec pgl_xgboost_options[] = {
	{"n_estimators", PGL_OPT_INTEGER, PGL_SLOT_N_ESTIMATORS, 1, 100000, 0, NULL, "100",
	 "boosting rounds (trees per output)", "5"},
	{"learning_rate", PGL_OPT_NUMBER, PGL_SLOT_LEARNING_RATE, 0, 1, PGL_OPT_LO_OPEN, NULL, "0.3",
	 "shrinkage of each tree (XGBoost's eta)", "0.1"},
	OPT_TREE_COMMON("6"),
	{"subsample", PGL_OPT_NUMBER, PGL_SLOT_SUBSAMPLE, 0, 1, PGL_OPT_LO_OPEN, NULL, "1",
	 "fraction of the rows each tree sees", "0.8"},
	{"colsample_bynode", PGL_OPT_NUMBER, PGL_SLOT_COLSAMPLE_BYNODE, 0, 1, PGL_OPT_LO_OPEN, NULL,
	 "1", "fraction of the inputs each split may use", "0.8"},
	{"early_stopping_rounds", PGL_OPT_INTEGER, PGL_SLOT_EARLY_STOPPING, 1, 100000, 0, NULL, "none",
	 "stop after this many rounds without a better hold-out metric, keeping the best round", "2"},
	OPT_L2("1", "L2 penalty on the leaf values (XGBoost's lambda)"),
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC(TREE_METRICS, "rmse (regression), accuracy (classifier)", "\"log_loss\""),
	PGL_OPTION_END};

const pgl_option_spec pgl_random_forest_options[] = {
	{"n_estimators", PGL_OPT_INTEGER, PGL_SLOT_N_ESTIMATORS, 1, 100000, 0, NULL, "100",
	 "trees of the forest (per output)", "5"},
	OPT_TREE_COMMON("6"),
	{"subsample", PGL_OPT_NUMBER, PGL_SLOT_SUBSAMPLE, 0, 1, PGL_OPT_LO_OPEN, NULL, "0.8",
	 "fraction of the rows each tree sees (drawn without replacement)", "0.5"},
	{"colsample_bynode", PGL_OPT_NUMBER, PGL_SLOT_COLSAMPLE_BYNODE, 0, 1, PGL_OPT_LO_OPEN, NULL,
	 "0.8", "fraction of the inputs each split may use", "0.5"},
	OPT_L2("1e-5", "L2 penalty on the leaf values (XGBoost's lambda)"),
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC(TREE_METRICS, "rmse (regression), accuracy (classifier)", "\"log_loss\""),
	PGL_OPTION_END};

/* ---------- XGBoost's log and errors ---------- */

/* XGBoost logs on the calling thread; other threads' lines are dropped */
static __thread char   log_buf[1024];
static __thread size_t log_len;

static void
xgb_log(const char *msg)
{
	size_t n = strlen(msg);

	if (log_len + n + 2 >= sizeof(log_buf))
		return;
	memcpy(log_buf + log_len, msg, n);
	log_len += n;
	log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
}

/* hand what XGBoost logged since the last call to the user, as a notice */
static void
flush_log(const pgl_env *env)
{
	if (log_len == 0)
		return;
	while (log_len > 0 && log_buf[log_len - 1] == '\n')
		log_buf[--log_len] = '\0';
	pgl_notice(env, log_buf, NULL);
	log_len = 0;
	log_buf[0] = '\0';
}

/* the library, opened by the first training that needs it (xgb_lib.h) */
static const pgl_xgb_api *xgb;

static pgl_rc
setup_library(pgl_status *st)
{
	static __thread int done;

	if (xgb == NULL && (xgb = pgl_xgb_lib(st)) == NULL)
		return st->rc;
	if (!done)
	{
		xgb->RegisterLogCallback(xgb_log);
		xgb->SetGlobalConfig("{\"verbosity\": 1}");
		done = 1;
	}
	return PGL_OK;
}

static pgl_rc
xgb_fail(pgl_status *st, const char *what)
{
	const char *err = xgb->GetLastError();

	/* XGBoost's messages start with "[time] file:line: ": keep what follows */
	const char *colon = err ? strstr(err, ": ") : NULL;

	if (colon && err[0] == '[')
		err = colon + 2;
	pgl_fail(st, PGL_ERR_INVALID, "xgboost could not %s", what);
	snprintf(st->detail, sizeof(st->detail), "XGBoost said: %s", err && err[0] ? err : "nothing");
	return PGL_ERR_INVALID;
}

/* ---------- handles ---------- */

typedef struct xgb_handles
{
	DMatrixHandle train;
	DMatrixHandle test;
	BoosterHandle booster;
} xgb_handles;

static void
release_handles(void *ptr)
{
	xgb_handles *h = ptr;

	if (h->booster)
		xgb->BoosterFree(h->booster);
	if (h->train)
		xgb->DMatrixFree(h->train);
	if (h->test)
		xgb->DMatrixFree(h->test);
	h->booster = h->train = h->test = NULL;
}

int64_t
pgl_xgb_train_memory(int64_t n, int32_t p, int32_t k)
{
	/*
	 * The DMatrix keeps (index, value) entries of 8 bytes, the hist index
	 * up to 4 bytes a value; gradients, predictions and labels per row.
	 */
	return n * (int64_t) p * 12 + n * (int64_t) (k > 0 ? k : 1) * 16 + n * 16;
}

/* a DMatrix over the column-major design matrix, NaN for missing */
static pgl_rc
make_dmatrix(const pgl_env *env, const pgl_dataset *d, int32_t threads, const double *class_weight,
			 DMatrixHandle *out, pgl_status *st)
{
	char   iface[256], config[96];
	float *buf;
	int	   rc;

	snprintf(iface, sizeof(iface),
			 "{\"data\": [%llu, true], \"shape\": [%lld, %d], \"strides\": [8, %lld], "
			 "\"typestr\": \"<f8\", \"version\": 3}",
			 (unsigned long long) (uintptr_t) d->X, (long long) d->n, (int) d->p,
			 (long long) (8 * d->ld));
	snprintf(config, sizeof(config), "{\"missing\": NaN, \"nthread\": %d}",
			 threads > 0 ? threads : 1);
	rc = xgb->DMatrixCreateFromDense(iface, config, out);
	flush_log(env);
	if (rc != 0)
		return xgb_fail(st, "read the training rows");

	buf = pgl_alloc(env, sizeof(float) * (size_t) (d->n > 0 ? d->n : 1));
	if (buf == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < d->n; i++)
		buf[i] = d->label ? (float) d->label[i] : (float) d->y[i];
	rc = xgb->DMatrixSetFloatInfo(*out, "label", buf, (bst_ulong) d->n);
	if (rc == 0 && d->label && class_weight)
	{
		for (int64_t i = 0; i < d->n; i++)
			buf[i] = (float) class_weight[d->label[i]];
		rc = xgb->DMatrixSetFloatInfo(*out, "weight", buf, (bst_ulong) d->n);
	}
	pgl_free(env, buf);
	flush_log(env);
	return rc == 0 ? PGL_OK : xgb_fail(st, "set the training labels");
}

/* ---------- training ---------- */

#define DEFAULT(v, d) ((v) >= 0 ? (v) : (d))

/* the objective of this model: "auto" resolved, checked against the task */
static pgl_rc
resolve_objective(const pgl_dataset *d, const pgl_train_params *params, const pgl_model *m,
				  int32_t *obj, pgl_status *st)
{
	int32_t o = params->objective;

	if (o <= 0 || o >= N_OBJECTIVES)
		o = m->task == PGL_TASK_REGRESSION ? OBJ_SQUARED
			: m->n_classes == 2			   ? OBJ_BINARY
										   : OBJ_MULTI;
	if (objectives[o].task != m->task)
		return pgl_fail(st, PGL_ERR_INVALID, "objective \"%s\" needs a %s target",
						objectives[o].name,
						objectives[o].task == PGL_TASK_REGRESSION ? "numeric" : "class-label");
	if (o == OBJ_BINARY && m->n_classes != 2)
		return pgl_fail(st, PGL_ERR_INVALID,
						"objective \"binary:logistic\" needs 2 classes, but the target has %d",
						(int) m->n_classes);
	if (objectives[o].nonneg)
		for (int64_t i = 0; i < d->n; i++)
			if (!(d->y[i] >= 0))
				return pgl_fail(st, PGL_ERR_INVALID,
								"objective \"%s\" needs a target >= 0, but row %lld has %g",
								objectives[o].name, (long long) (i + 1), d->y[i]);
	*obj = o;
	return PGL_OK;
}

typedef struct xgb_setting
{
	const char *key;
	char		value[32];
} xgb_setting;

/* XGBoost's parameters of this training, by its names */
static int
settings(const pgl_train_params *p, int32_t obj, const pgl_model *m, bool forest, xgb_setting *s)
{
	int n = 0;

#define SET(k, ...) (s[n].key = (k), snprintf(s[n].value, sizeof(s[n].value), __VA_ARGS__), n++)
	SET("verbosity", "1");
	SET("booster", "gbtree");
	SET("tree_method", "hist");
	SET("objective", "%s", objectives[obj].name);
	if (obj == OBJ_MULTI)
		SET("num_class", "%d", (int) m->n_classes);
	SET("eval_metric", "%s", objectives[obj].eval);
	SET("nthread", "%d", p->threads > 0 ? p->threads : 1);
	SET("seed", "%llu", (unsigned long long) (p->seed % 2147483647ULL));
	SET("max_depth", "%d", (int) DEFAULT(p->max_depth, 6));
	SET("min_child_weight", "%.17g", DEFAULT(p->min_child_weight, 1.0));
	SET("max_bin", "%d", (int) DEFAULT(p->max_bin, 256));
	SET("colsample_bytree", "%.17g", DEFAULT(p->colsample_bytree, 1.0));
	SET("lambda", "%.17g", p->l2);
	SET("alpha", "%.17g", DEFAULT(p->l1, 0.0));
	if (forest)
	{
		SET("eta", "1");
		SET("num_parallel_tree", "%d", (int) DEFAULT(p->n_estimators, 100));
		SET("subsample", "%.17g", DEFAULT(p->subsample, 0.8));
		SET("colsample_bynode", "%.17g", DEFAULT(p->colsample_bynode, 0.8));
	}
	else
	{
		SET("eta", "%.17g", DEFAULT(p->learning_rate, 0.3));
		SET("subsample", "%.17g", DEFAULT(p->subsample, 1.0));
		SET("colsample_bynode", "%.17g", DEFAULT(p->colsample_bynode, 1.0));
	}
#undef SET
	return n;
}

/* the value of the last "name-metric:value" of an evaluation line */
static double
eval_value(const char *line)
{
	const char *colon = line ? strrchr(line, ':') : NULL;

	return colon ? strtod(colon + 1, NULL) : NAN;
}

/* the boosting rounds, with progress and early stopping; *rounds: those kept */
static pgl_rc
boost(const pgl_env *env, xgb_handles *h, int32_t max_rounds, int32_t patience,
	  pgl_train_info *info, int32_t *rounds, pgl_status *st)
{
	const char *names[1] = {"test"};
	int32_t		best = -1;
	double		best_value = INFINITY;

	for (int32_t it = 0; it < max_rounds; it++)
	{
		double		value = NAN;
		const char *line = NULL;
		int			rc;

		pgl_interrupts(env);
		rc = xgb->BoosterUpdateOneIter(h->booster, it, h->train);
		flush_log(env);
		if (rc != 0)
			return xgb_fail(st, "fit a boosting round");
		if (h->test)
		{
			rc = xgb->BoosterEvalOneIter(h->booster, it, &h->test, names, 1, &line);
			flush_log(env);
			if (rc != 0)
				return xgb_fail(st, "evaluate the hold-out");
			value = eval_value(line);
		}
		pgl_progress(env, it + 1, max_rounds, value);
		info->iterations = it + 1;
		info->loss = value;
		if (value < best_value)
		{
			best_value = value;
			best = it;
		}
		else if (patience > 0 && best >= 0 && it - best >= patience)
		{
			info->iterations = best + 1;
			info->loss = best_value;
			break;
		}
	}
	*rounds = info->iterations;
	return PGL_OK;
}

/* the booster as JSON, converted into m's tree tensors */
static pgl_rc
convert(const pgl_env *env, BoosterHandle booster, pgl_model *m, pgl_status *st)
{
	bst_ulong	 len = 0;
	const char	*json = NULL;
	pgl_xgb_info xi;
	int			 rc;

	rc = xgb->BoosterSaveModelToBuffer(booster, "{\"format\": \"json\"}", &len, &json);
	flush_log(env);
	if (rc != 0)
		return xgb_fail(st, "save the trained model");
	memset(&xi, 0, sizeof(xi));
	if (pgl_xgb_json_read(env, json, (size_t) len, m, &xi, st) != PGL_OK)
		return st->rc;
	return pgl_trees_validate(m, NULL, st);
}

static pgl_rc
train_ensemble(const pgl_env *env, const pgl_dataset *d, const pgl_train_params *params,
			   pgl_model *m, pgl_train_info *info, bool forest, pgl_status *st)
{
	xgb_handles *h;
	xgb_setting	 s[32];
	int32_t		 obj = 0, n_set, rounds = 0;
	pgl_rc		 rc;

	if ((rc = resolve_objective(d, params, m, &obj, st)) != PGL_OK)
		return rc;
	if (!forest && params->early_stopping_rounds > 0 &&
		(params->holdout == NULL || params->holdout->n == 0))
	{
		pgl_fail(st, PGL_ERR_INVALID,
				 "early_stopping_rounds needs hold-out rows, and this training has none");
		snprintf(st->detail, sizeof(st->detail),
				 "The rounds stop when the hold-out metric stops improving: set \"test_size\" "
				 "above 0 (with fewer than 50 rows the default hold-out is empty).");
		return PGL_ERR_INVALID;
	}
	if ((rc = setup_library(st)) != PGL_OK)
		return rc;
	h = pgl_alloc0(env, sizeof(xgb_handles));
	if (h == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	pgl_defer(env, release_handles, h);

	rc = make_dmatrix(env, d, params->threads, params->class_weight, &h->train, st);
	if (rc == PGL_OK && params->holdout && params->holdout->n > 0 && !forest)
		rc =
			make_dmatrix(env, params->holdout, params->threads, params->class_weight, &h->test, st);
	if (rc == PGL_OK && xgb->BoosterCreate(&h->train, 1, &h->booster) != 0)
		rc = xgb_fail(st, "create a booster");
	n_set = settings(params, obj, m, forest, s);
	for (int i = 0; rc == PGL_OK && i < n_set; i++)
		if (xgb->BoosterSetParam(h->booster, s[i].key, s[i].value) != 0)
			rc = xgb_fail(st, "accept its parameters");
	flush_log(env);
	if (rc == PGL_OK)
		rc = boost(env, h, forest ? 1 : (int32_t) DEFAULT(params->n_estimators, 100),
				   forest ? 0 : params->early_stopping_rounds, info, &rounds, st);
	if (rc == PGL_OK && !forest)
	{
		int boosted = 0;

		xgb->BoosterBoostedRounds(h->booster, &boosted);
		if (rounds < boosted)
		{
			BoosterHandle sliced = NULL;

			if (xgb->BoosterSlice(h->booster, 0, rounds, 1, &sliced) != 0)
				rc = xgb_fail(st, "keep the best rounds");
			else
			{
				xgb->BoosterFree(h->booster);
				h->booster = sliced;
			}
		}
	}
	if (rc == PGL_OK)
		rc = convert(env, h->booster, m, st);
	release_handles(h);
	/* a deferred release still holds h: the allocator frees it with the context */
	if (env->defer == NULL)
		pgl_free(env, h);
	flush_log(env);
	return rc;
}

pgl_rc
pgl_xgboost_train(const pgl_env *env, const pgl_dataset *data, const pgl_train_params *params,
				  pgl_model *m, pgl_train_info *info, pgl_status *st)
{
	return train_ensemble(env, data, params, m, info, false, st);
}

pgl_rc
pgl_random_forest_train(const pgl_env *env, const pgl_dataset *data, const pgl_train_params *params,
						pgl_model *m, pgl_train_info *info, pgl_status *st)
{
	return train_ensemble(env, data, params, m, info, true, st);
}

/* ---------- prediction and validation ---------- */

pgl_rc
pgl_trees_model_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
						int64_t n, double *out, pgl_status *st)
{
	pgl_trees t;

	(void) env;
	if (pgl_trees_get(m, &t, st) != PGL_OK)
		return st->rc;
	pgl_trees_predict(&t, X, ld, n, out);
	/* one sigmoid output of a binary classifier: P(second class) */
	if (m->task == PGL_TASK_CLASSIFICATION && t.n_groups == 1)
		for (int64_t i = n - 1; i >= 0; i--)
		{
			double p = out[i];

			out[2 * i + 1] = p;
			out[2 * i] = 1 - p;
		}
	return PGL_OK;
}

pgl_rc
pgl_trees_model_validate(const pgl_model *m, pgl_status *st)
{
	pgl_trees		  t;
	const pgl_tensor *gain = pgl_model_tensor(m, "split_gain");
	const pgl_tensor *obj = pgl_model_tensor(m, "objective");

	if (pgl_trees_validate(m, &t, st) != PGL_OK)
		return st->rc;
	if (gain == NULL || gain->dtype != PGL_F64 || gain->ndim != 1 || gain->dims[0] != t.n_nodes)
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree model has no valid \"split_gain\" tensor");
	for (int64_t i = 0; i < t.n_nodes; i++)
		if (!isfinite(((const double *) gain->data)[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "tree model split gain %lld is not finite",
							(long long) i);
	if (obj == NULL || obj->dtype != PGL_STR || obj->ndim != 1 || obj->dims[0] != 1 ||
		strlen(((char *const *) obj->data)[0]) >= 48)
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree model has no valid \"objective\" tensor");
	return PGL_OK;
}
