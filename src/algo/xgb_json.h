/*-------------------------------------------------------------------------
 *
 * xgb_json.h
 *	  XGBoost JSON models (the 1.7 schema) to and from the tree tensors of
 *	  trees.h.
 *
 * The reader walks a parsed document (json.h) and builds the tensors in
 * our depth-first preorder; the writer emits the JSON that XGBoost's
 * Booster.load_model and XGBoosterLoadModelFromBuffer read.  See
 * docs/model-format.md, "XGBoost JSON interchange".
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_XGB_JSON_H
#define PGL_XGB_JSON_H

#include "pgl_algo.h"

/* what an XGBoost JSON model says besides its trees */
typedef struct pgl_xgb_info
{
	char	objective[48];	 /* e.g. "binary:logistic" */
	int32_t num_feature;	 /* learner_model_param.num_feature */
	int32_t num_class;		 /* learner_model_param.num_class (0 = one group) */
	int32_t n_feature_names; /* 0 when the model has none */
	char  **feature_names;	 /* through env, or NULL */
} pgl_xgb_info;

/*
 * Read an XGBoost JSON model (the 1.7 schema: Booster.save_model("x.json"),
 * or the C API's XGBoosterSaveModelToBuffer with {"format": "json"}) of len
 * bytes (not NUL-terminated).  Sets m->tensors/n_tensors (m must have no
 * tensors yet; m->n_inputs must already be set and >= num_feature, else
 * PGL_ERR_INVALID) to the tree tensors of trees.h plus
 *	 split_gain  f64 [N]	  loss_changes of each split (0 for leaves)
 *	 objective   PGL_STR [1]  the objective name
 * and fills *info.  The reader checks structure as it walks but does not
 * call pgl_trees_validate: the caller sets m->task/n_classes from the
 * objective and validates.  On failure m has no tensors and *info owns
 * nothing.  PGL_ERR_INVALID with a message naming the field, tree and
 * node; PGL_ERR_NOMEM.
 */
extern pgl_rc pgl_xgb_json_read(const pgl_env *env, const char *text, size_t len, pgl_model *m,
								pgl_xgb_info *info, pgl_status *st);

/* free what *info owns (the feature names) */
extern void pgl_xgb_info_free(const pgl_env *env, pgl_xgb_info *info);

/*
 * Write the tree tensors of m (validated) as XGBoost 1.7 JSON that
 * xgboost.Booster().load_model() and XGBoosterLoadModelFromBuffer read;
 * *out via env, NUL terminated, *len without the NUL.
 */
extern pgl_rc pgl_xgb_json_write(const pgl_env *env, const pgl_model *m, char **out, size_t *len,
								 pgl_status *st);

#endif /* PGL_XGB_JSON_H */
