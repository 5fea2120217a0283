/*-------------------------------------------------------------------------
 *
 * xgboost.h
 *	  Tree ensembles trained by libxgboost (xgboost.c): gradient boosting
 *	  ("xgboost") and XGBoost's random-forest mode ("random_forest").
 *
 * Training goes through XGBoost's C API: a DMatrix over our design matrix
 * (column-major, NaN for a missing value), one XGBoosterUpdateOneIter per
 * round, the hold-out evaluated between rounds for progress and early
 * stopping.  The booster is then saved as JSON and converted by
 * xgb_json.c into our own tree tensors (trees.h); prediction and
 * explanation run on trees.c, never on XGBoost, so a stored model never
 * reaches a third-party parser.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_XGBOOST_H
#define PGL_XGBOOST_H

#include "algorithms.h"

/* the words of the "objective" option; its index is pgl_train_params.objective */
#define PGL_XGB_OBJECTIVES                                                                         \
	"auto|reg:squarederror|reg:absoluteerror|count:poisson|reg:tweedie|binary:logistic|"           \
	"multi:softprob"

/*
 * The task an objective index trains for: PGL_TASK_REGRESSION,
 * PGL_TASK_CLASSIFICATION, or 0 for "auto" (by the target's type).
 */
extern int32_t pgl_xgb_objective_task(int32_t objective);

/* the operations of the two algorithms (algorithms.c tables them) */
extern pgl_rc  pgl_xgboost_train(const pgl_env *env, const pgl_dataset *data,
								 const pgl_train_params *params, pgl_model *m, pgl_train_info *info,
								 pgl_status *st);
extern pgl_rc  pgl_random_forest_train(const pgl_env *env, const pgl_dataset *data,
									   const pgl_train_params *params, pgl_model *m,
									   pgl_train_info *info, pgl_status *st);
extern pgl_rc  pgl_trees_model_predict(const pgl_env *env, const pgl_model *m, const double *X,
									   int64_t ld, int64_t n, double *out, pgl_status *st);
extern pgl_rc  pgl_trees_model_validate(const pgl_model *m, pgl_status *st);
extern int64_t pgl_xgb_train_memory(int64_t n, int32_t p, int32_t k);

#endif /* PGL_XGBOOST_H */
