/*-------------------------------------------------------------------------
 *
 * distill.h
 *	  Distillation: a teacher classifier scoring each row a neural_net
 *	  trains on, through ai_predict_proba's own path (distill.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_DISTILL_H
#define PGL_DISTILL_H

#include "glue.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"

typedef struct PglTeacher PglTeacher;

/*
 * The teacher "name" of the student "student" for one training: its
 * deployed version, looked up now with the caller's predict privilege and
 * pinned for every row; ERROR when it does not exist or is not a
 * classifier.  Lives in cxt.
 */
extern PglTeacher *pgl_teacher_open(const char *name, const char *student, MemoryContext cxt);

/* score a row of the data (desc, tuple) that went to part (PGL_TRAIN, PGL_TEST) */
extern void pgl_teacher_score(PglTeacher *t, HeapTuple tuple, TupleDesc desc, int part);

/* the same as a PglRowHook of the data reader (arg: the teacher) */
extern void pgl_teacher_row_hook(void *arg, TupleTableSlot *slot, int part);

/*
 * The rows scored must be the student's n_train and n_test rows; when the
 * student moved its hold-out into the training rows (too few rows), do the
 * same.  ERROR (internal) otherwise.
 */
extern void pgl_teacher_align(PglTeacher *t, int64 n_train, int64 n_test);

/*
 * The soft targets of the n training rows for the student m (its classes,
 * k outputs: m->n_classes, or 1 for one sigmoid unit): the teacher's
 * probabilities in the student's class order, softened by temperature
 * (float n x k, palloc'd).  ERROR when the classes differ (both named).
 */
extern float *pgl_teacher_soft_targets(PglTeacher *t, const pgl_model *m, int32 k, int64 n,
									   double temperature);

/*
 * The metrics' "teacher" object: name, version, temperature, weight, and
 * the share of training rows whose most probable class the student
 * (proba: n x m->n_classes) and the teacher agree on.
 */
extern void pgl_teacher_metrics(StringInfo buf, PglTeacher *t, const pgl_model *m, int64 n,
								const double *proba, double temperature, double weight);

#endif /* PGL_DISTILL_H */
