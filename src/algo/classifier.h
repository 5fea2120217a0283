/*-------------------------------------------------------------------------
 *
 * classifier.h
 *	  What a binary classifier keeps besides its weights: the decision
 *	  threshold (classifier.c).
 *
 * The threshold is an optional tensor "threshold" (f64, one value in
 * (0, 1)) of a classification model with exactly two classes; without it
 * the threshold is 0.5.  ai_classify says classes[1] (the positive class)
 * when P(classes[1]) >= threshold.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CLASSIFIER_H
#define PGL_CLASSIFIER_H

#include "pgl_algo.h"

#define PGL_DEFAULT_THRESHOLD 0.5

/* the model's decision threshold (0.5 when it has none) */
extern double pgl_model_threshold(const pgl_model *m);

/* add (or replace) the threshold of a two-class classifier */
extern pgl_rc pgl_model_set_threshold(const pgl_env *env, pgl_model *m, double threshold,
									  pgl_status *st);

/* the rules of a "threshold" tensor, for the model reader and writer; failures use rc bad */
extern pgl_rc pgl_check_threshold(const pgl_model *m, pgl_rc bad, pgl_status *st);

#endif /* PGL_CLASSIFIER_H */
