/*-------------------------------------------------------------------------
 *
 * classifier.h
 *	  What a binary classifier keeps besides its weights: the decision
 *	  threshold (classifier.c).
 *
 * The threshold is an optional tensor "threshold" (f64, one value in
 * (0, 1)) of a classification model with exactly two classes; without it
 * the class is the most probable one (which for two classes is the same as
 * a threshold of 0.5 but for an exact tie).  With it ai_classify says
 * classes[1] (the positive class) when P(classes[1]) >= threshold.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CLASSIFIER_H
#define PGL_CLASSIFIER_H

#include "pgl_algo.h"

/* the model's decision threshold, or -1 when it has none (then: the most probable class) */
extern double pgl_model_threshold(const pgl_model *m);

/*
 * The class a classifier says for probabilities proba[0..k): with a
 * threshold in (0, 1) and two classes, class 1 when proba[1] >= threshold;
 * otherwise the most probable class (the lowest index wins a tie).
 */
extern int32_t pgl_decide_class(const double *proba, int32_t k, double threshold);

/* add (or replace) the threshold of a two-class classifier */
extern pgl_rc pgl_model_set_threshold(const pgl_env *env, pgl_model *m, double threshold,
									  pgl_status *st);

/* the rules of a "threshold" tensor, for the model reader and writer; failures use rc bad */
extern pgl_rc pgl_check_threshold(const pgl_model *m, pgl_rc bad, pgl_status *st);

#endif /* PGL_CLASSIFIER_H */
