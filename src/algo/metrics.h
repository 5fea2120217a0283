/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Evaluation metrics for regression and classification (metrics.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_METRICS_H
#define PGL_METRICS_H

#include "pgl_algo.h"

typedef struct pgl_regression_metrics
{
	int64_t n;
	double	r2; /* 1 - SSE/SST; NaN when SST == 0 and n > 0 */
	double	rmse;
	double	mae;
} pgl_regression_metrics;

/* y and pred have n elements; n may be 0 (then all metrics NaN) */
extern void pgl_regression_metrics_compute(const double *y, const double *pred, int64_t n,
										   pgl_regression_metrics *out);

typedef struct pgl_class_metrics
{
	int64_t n;
	int32_t k;
	double	accuracy;
	double	precision_macro; /* unweighted mean over classes */
	double	recall_macro;
	double	f1_macro;
	double	log_loss; /* mean, probabilities clipped to [1e-15, 1-1e-15] */
	double	roc_auc;  /* binary only (score = proba of class 1); NaN
								 * otherwise or when one class is absent */
	/* per class, k elements each (allocated through env) */
	double	*precision; /* 0 when the class is never predicted */
	double	*recall;	/* 0 when the class has no support */
	double	*f1;
	int64_t *support;
	int64_t *confusion; /* k x k row-major: [actual * k + predicted] */
} pgl_class_metrics;

/*
 * label[i] in [0, k); proba is n x k row-major; the predicted class is the
 * argmax (lowest index wins ties).  ROC AUC is computed from the ranks of the
 * class-1 scores with ties averaged (the Mann-Whitney statistic), O(n log n).
 */
extern pgl_rc pgl_class_metrics_compute(const pgl_env *env, const int32_t *label,
										const double *proba, int64_t n, int32_t k,
										pgl_class_metrics *out, pgl_status *st);

/* the same, the predicted class decided by a threshold as pgl_decide_class does (< 0: argmax) */
extern pgl_rc pgl_class_metrics_threshold(const pgl_env *env, const int32_t *label,
										  const double *proba, int64_t n, int32_t k,
										  double threshold, pgl_class_metrics *out,
										  pgl_status *st);

extern void pgl_class_metrics_free(const pgl_env *env, pgl_class_metrics *m);

#endif /* PGL_METRICS_H */
