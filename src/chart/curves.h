/*-------------------------------------------------------------------------
 *
 * curves.h
 *	  ROC and precision-recall curves of a binary classifier's scores.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CURVES_H
#define PGL_CURVES_H

#include "pgl_algo.h"

/* a curve: m points (x[i], y[i]), allocated through env */
typedef struct pgl_curve
{
	int64_t m;
	double *x;
	double *y;
	double	area; /* ROC: the area under the curve; PR: average precision */
} pgl_curve;

/*
 * The ROC curve of n rows with labels y (1 positive, 0 negative) and scores
 * (higher: more likely positive): x the false positive rate, y the true
 * positive rate, one point per distinct score from (0, 0) to (1, 1), as
 * scikit-learn's roc_curve(drop_intermediate=False).  area: the trapezoidal
 * AUC.  The points are thinned to at most about max_points (>= 2) by
 * dropping those closer than 1 / max_points to the last kept one; the area
 * is computed before.  Errors: a score that is not finite, a label other
 * than 0 or 1, no rows of one of the classes.
 */
extern pgl_rc pgl_roc_curve(const pgl_env *env, int64_t n, const int32_t *y, const double *score,
							int64_t max_points, pgl_curve *out, pgl_status *st);

/*
 * The precision-recall curve: x the recall, y the precision at each
 * distinct score, from recall 0 (precision 1) up, as scikit-learn's
 * precision_recall_curve read backwards.  area: the average precision
 * (sum of recall steps times precision, scikit-learn's
 * average_precision_score).  Thinned and refused like pgl_roc_curve.
 */
extern pgl_rc pgl_pr_curve(const pgl_env *env, int64_t n, const int32_t *y, const double *score,
						   int64_t max_points, pgl_curve *out, pgl_status *st);

extern void pgl_curve_free(const pgl_env *env, pgl_curve *c);

#endif /* PGL_CURVES_H */
