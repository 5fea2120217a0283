/*-------------------------------------------------------------------------
 *
 * train_agg.h
 *	  "method": "aggregate" helpers shared with in-memory training
 *	  (train_agg.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TRAIN_AGG_H
#define PGL_TRAIN_AGG_H

#include "options.h"

/*
 * The most columns a pass gives the fused aggregates as separate arguments
 * (their fields form): FUNC_MAX_ARGS less the state and the fixed
 * arguments of ai_logreg_fit_agg.  Wider data goes as a record.
 */
#define PGL_FUSED_MAX_FIELDS 94

/* "method": "auto": would training in memory exceed pg_learn.max_train_memory? */
extern bool pgl_aggregate_wanted(const struct pgl_algo_ops *ops, const char *data,
								 const char *target, const PglTrainOptions *opts);

/*
 * The k-means seeding sample (row-major rows x p), the same for both
 * methods: about max(10000, 4k) of the n rows, drawn by row hash, encoded
 * by the model prep (its preprocessing), sorted by value.  *passes is
 * incremented when not NULL.
 */
extern double *pgl_kmeans_sample(const char *query, bytea *prep, int32 p, int32 k, int64 n,
								 uint64 seed, int64 *rows, int *passes);

/*
 * The model's preprocessing as a model blob (zero parameters of the right
 * shape; k: kmeans clusters), for ai_features / ai_label in SQL passes.
 */
extern bytea *pgl_prep_blob(const pgl_env *env, pgl_model *m, int32 k);

#endif /* PGL_TRAIN_AGG_H */
