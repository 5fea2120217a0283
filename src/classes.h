/*-------------------------------------------------------------------------
 *
 * classes.h
 *	  The classes of a classifier as the training options ask: which class
 *	  is positive, the weight of each class, the decision threshold
 *	  (classes.c).  One implementation for every classifier family.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CLASSES_H
#define PGL_CLASSES_H

#include "options.h"

/*
 * After the classes of m are learned and label[part][i] (class index, or
 * < 0 for a hold-out label unseen in training) are set for the n[part] rows
 * of both parts: check "positive_class", "threshold" and "class_weight"
 * against the classes (ERROR naming the classes when they do not fit), put
 * the positive class at index 1 (swapping the labels too), and return the
 * class weights (m->n_classes, palloc'd) or NULL when "class_weight" is not
 * given.  Before the fit.
 */
extern const double *pgl_classes_prepare(const PglTrainOptions *o, const pgl_env *env, pgl_model *m,
										 int32 *const label[2], const int64 n[2]);

/*
 * After the fit (which sets the model's tensors) and before the metrics:
 * store the "threshold" in m, so that the metrics and ai_classify use it.
 */
extern void pgl_classes_finish(const PglTrainOptions *o, const pgl_env *env, pgl_model *m);

/* ERROR if a classifier's option is given to a model that is not one (why: the detail) */
extern void pgl_classes_refuse(const PglTrainOptions *o, const char *algorithm, const char *why);

#endif /* PGL_CLASSES_H */
