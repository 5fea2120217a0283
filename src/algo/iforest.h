/*-------------------------------------------------------------------------
 *
 * iforest.h
 *	  Isolation forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008):
 *	  the isolation_forest algorithm's training, scoring and read-back
 *	  validation (iforest.c).
 *
 * Each of n_estimators trees is grown on a sample of psi rows drawn
 * without replacement, over a random subset of the inputs (max_features),
 * to the height limit ceil(log2 psi): a node splits on one of the tree's
 * inputs that is not constant on its rows (drawn in random order), at a
 * value drawn uniformly between that input's minimum and maximum there
 * (left: x <= value).  A row's path length h(x) is the depth of the leaf it
 * reaches plus c(size), the leaf's adjustment for the rows it still holds,
 * and its score s(x) = 2^(-E[h(x)] / c(psi)), where
 *	c(n) = 2 H(n - 1) - 2 (n - 1) / n (n > 2), c(2) = 1, c(1) = c(0) = 0,
 *	H(i) ~ ln i + 0.5772156649 (Euler's constant),
 * is the average path length of an unsuccessful search in a binary search
 * tree of n keys.  A score near 1 is an anomaly, well below 0.5 a normal
 * row.  A row is an anomaly when its score is above the model's threshold:
 * 0.5 with "contamination": "auto" (the paper's rule), else the training
 * score that the given fraction of the training rows exceed (the
 * quantile at 1 - contamination, interpolated linearly as numpy does).
 *
 * Tensors (docs/model-format.md): the nodes of all trees, each tree's in
 * preorder (children after their parent), "iforest_offsets" delimiting them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_IFOREST_H
#define PGL_IFOREST_H

#include "algorithms.h"

/* bounds of the options */
#define PGL_IFOREST_MAX_TREES	10000
#define PGL_IFOREST_MAX_SAMPLES 10000000

typedef struct pgl_iforest_params
{
	int32_t	 n_estimators;	/* trees, 1 .. PGL_IFOREST_MAX_TREES */
	double	 max_samples;	/* < 0: "auto" (min(256, n)); <= 1: a fraction of n; else rows */
	double	 max_features;	/* fraction (0, 1] of the inputs each tree draws */
	double	 contamination; /* 0: "auto" (threshold 0.5); else in (0, 0.5] */
	uint64_t seed;
} pgl_iforest_params;

/* c(n): average path length of an unsuccessful search among n keys */
extern double pgl_iforest_c(double n);

/*
 * Grow the forest on the n rows of X (column-major n x p, leading
 * dimension ld; finite values) and add its tensors to m, the threshold
 * included (training scores computed over all n rows).  When train_score
 * is not NULL it receives the n training scores.
 */
extern pgl_rc pgl_iforest_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
							  const pgl_iforest_params *params, pgl_model *m, double *train_score,
							  pgl_status *st);

/* the scores of n rows (X column-major, leading dimension ld) */
extern pgl_rc pgl_iforest_score(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
								int64_t n, double *out, pgl_status *st);

/* the stored threshold (a validated model) */
extern double pgl_iforest_threshold(const pgl_model *m);

/* the operations of the algorithm table */
extern pgl_rc				 pgl_iforest_train(const pgl_env *env, const pgl_dataset *d,
											   const pgl_train_params *params, pgl_model *m, pgl_train_info *info,
											   pgl_status *st);
extern pgl_rc				 pgl_iforest_validate(const pgl_model *m, pgl_status *st);
extern const pgl_option_spec pgl_isolation_forest_options[];

#endif /* PGL_IFOREST_H */
