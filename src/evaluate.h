/*-------------------------------------------------------------------------
 *
 * evaluate.h
 *	  Metrics as JSON (evaluate.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_EVALUATE_H
#define PGL_EVALUATE_H

#include "glue.h"

#include "lib/stringinfo.h"

/*
 * Append metrics of predictions to buf as a JSON object.  Regression: y and
 * pred (n each).  Classification: label and proba (n x k).
 */
extern void pgl_metrics_json(StringInfo buf, const pgl_model *m, int64 n, const double *y,
							 const int32 *label, const double *pred);

/*
 * For each value of a target vocabulary (its code), the class number of
 * model m with that label, or -1 for a label the model does not know.
 */
struct PglVocab;
extern int32 *pgl_class_map(struct PglVocab *vocab, const pgl_model *m);

/* the rows of some data and a model's predictions of them (pgl_predict_on_data) */
typedef struct PglPredictions
{
	int64	n;
	double *y;	   /* the target (regression) */
	int32  *label; /* classification: the target as class numbers of the model; else NULL */
	double *pred;  /* n values (regression) or n x n_classes probabilities */
} PglPredictions;

extern void pgl_predict_on_data(const char *name, int64 version_id, const char *data,
								const pgl_model **m, PglPredictions *out);

#endif /* PGL_EVALUATE_H */
