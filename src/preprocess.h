/*-------------------------------------------------------------------------
 *
 * preprocess.h
 *	  Learning a model's preprocessing from the training rows (preprocess.c):
 *	  one column-to-feature loop and one vocabulary learner for every way
 *	  of training (in memory, by aggregate passes, neural networks).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_PREPROCESS_H
#define PGL_PREPROCESS_H

#include "glue.h"

#include "data_reader.h"
#include "options.h"
#include "vocab.h"

/*
 * The sorted vocabulary of a categorical column (or class label) from the
 * counts of its values over the training rows (values of count 0 are left
 * out): *cats the values in vocabulary order, *mode the index of the first
 * largest count in that order.  When remap is given, remap[vc[i].code] is
 * set to the new index of each kept value (the caller sets it to -1 first).
 * vc is sorted in place.  Returns the number of values kept.
 */
extern int32 pgl_learn_vocabulary(PglValueCount *vc, int64 n, bool numeric_order, char ***cats,
								  int32 *mode, int32 *remap);

/*
 * The same from the codes (in vocab) of n training values, those with
 * nulls[i] set or a code below 0 left out; *remap (allocated) maps each
 * code to its index, or -1.
 */
extern int32 pgl_learn_code_vocabulary(PglVocab *vocab, const double *codes, const bool *nulls,
									   int64 n, bool numeric_order, char ***cats, int32 *mode,
									   int32 **remap);

/*
 * The vocabulary of a categorical column of an in-memory data set over its
 * training rows; both parts are recoded to it (-1 for a value seen only in
 * the hold-out).
 */
extern int32 pgl_learn_column_vocabulary(PglDataSet *ds, PglColumn *c, bool numeric_order,
										 char ***cats, int32 *mode);

/* how the column loop learns a categorical column: its vocabulary and mode */
typedef int32 (*PglVocabularyFn)(void *arg, PglColumn *c, bool numeric_order, char ***cats,
								 int32 *mode);

/*
 * The model of the data's columns: m->features from ds->features (numbers
 * imputed by their training mean sum[f] / count[f], categories by their
 * vocabulary), n_inputs, target name and type.  ERROR for a column NULL in
 * every training row.
 */
extern pgl_model *pgl_learn_features(PglDataSet *ds, int32 algorithm, int32 task, const double *sum,
									 const int64 *count, PglVocabularyFn vocabulary, void *arg);

/* the same for an in-memory data set (its sums, its vocabularies) */
extern pgl_model *pgl_learn_dataset_features(PglDataSet *ds, int32 algorithm, int32 task);

/* ERROR for a column NULL in every one of n rows, or with NULLs under "nulls": "error" */
/* ERROR on a column of NULLs, or on any NULL with "nulls": "error" (missing_ok: the hint) */
extern void pgl_check_column_nulls(const PglColumn *c, int64 n_nulls, int64 n, bool nulls_error,
								   bool missing_ok);

/* ERROR when the data gave no row with a target */
extern void pgl_check_rows_read(const PglDataSet *ds, const char *data, const char *target);

/* ERROR when no row is left for training, or a column's NULLs are refused */
extern void pgl_check_rows_split(const PglDataSet *ds, const PglTrainOptions *opts);

/* ERROR unless kmeans can find k clusters (opt_k: the option, 0: not given) in n rows */
extern void pgl_check_kmeans_k(int32 opt_k, int64 n);

/* ERROR unless a classifier has two classes in its training rows */
extern void pgl_check_classes(const pgl_model *m, const char *target);

/*
 * A classifier's classes, learned on an in-memory data set's training rows;
 * hold-out rows of a label unseen in training cannot be scored and are
 * removed from the data set.  Returns how many were.
 */
extern int64 pgl_learn_dataset_classes(PglDataSet *ds, pgl_model *m, const char *target);

#endif /* PGL_PREPROCESS_H */
