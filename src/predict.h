/*-------------------------------------------------------------------------
 *
 * predict.h
 *	  Scoring one row with a stored model: the per-call-site state shared
 *	  by the scoring functions (predict.c), ai_explain (explain.c) and the
 *	  task checks of introspection (introspect.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_PREDICT_H
#define PGL_PREDICT_H

#include "glue.h"

#include "catalog.h"
#include "model_cache.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#include "algorithms.h"

/* what a function wants of a model: the checks and the error hints follow it */
typedef enum PglWant
{
	PGL_WANT_EXPLAIN, /* ai_explain: any model with coefficients */
	PGL_WANT_VALUE,	  /* ai_predict: regression output */
	PGL_WANT_CLASS,	  /* ai_classify */
	PGL_WANT_PROBA,	  /* ai_predict_proba */
	PGL_WANT_CLUSTER, /* ai_cluster */
	PGL_WANT_TENSOR,  /* ai_predict_tensor: a classifier or a regression */
	PGL_WANT_ANOMALY  /* ai_detect_anomalies: a family with an anomaly score (anomaly.c) */
} PglWant;

/*
 * Per call site (fn_extra), for one statement: the model (the requested
 * version, looked up once), the mapping of its features to the columns of
 * the row type given, and the buffers of one row.
 */
typedef struct PglPredictState
{
	PglCallModel		cm;
	char			   *name;
	const pgl_model	   *model;
	const pgl_algo_ops *ops;
	int					n_out;
	bool				ready; /* set up for cm's model */
	const char		   *fname; /* the SQL function, for hints */

	/* row type mapping, valid while tuptype/tuptypmod match */
	Oid		  tuptype;
	int32	  tuptypmod;
	TupleDesc tupdesc;
	int		 *attno; /* per feature: 0-based column */
	Oid		 *atttype;
	FmgrInfo *outfn;
	Datum	 *values;
	bool	 *nulls;

	/* the row: raw features, their NULLs, encoded inputs, the model's outputs */
	double *raw;
	bool   *isnull;
	double *x;
	double *out;

	/* text features: their encoders, and the row's documents (NULL: none) */
	struct PglTextEncoders *text;
	const char			  **doc;
	size_t				   *doc_len;

	/* a family's own cache for this call site, in fn_mcxt (forecast: the last series' band) */
	void *family_cache;
} PglPredictState;

/* ERROR unless model m (called name) can do what want asks */
extern void pgl_check_task(const char *name, const pgl_model *m, PglWant want);

/*
 * Score the row argument (argument 1, a record) with the model named by
 * argument 0, in the version of argument version_argno (NULL or absent: the
 * deployed one); the outputs are in the returned state's out.  The caller
 * has checked that arguments 0 and 1 are not NULL.
 */
extern PglPredictState *pgl_predict_record(FunctionCallInfo fcinfo, PglWant want,
										   int version_argno);

/*
 * The same up to the model's inputs: the row (argument 1, a record, or
 * with is_array a float8[]) encoded into st->x (m->n_inputs values), not
 * predicted.  A network over a tensor column (pgl_nn_reads_array), or any
 * model with is_bytea, is left to the caller: st->x is then not set.
 */
extern PglPredictState *pgl_encode_input(FunctionCallInfo fcinfo, PglWant want, int version_argno,
										 bool is_array, bool is_bytea);

/*
 * The call site's state for the model of argument 0 (version argument
 * version_argno), checked against want, without reading the row: for a
 * caller that dispatches on the model's family first (ai_detect_anomalies).
 */
extern PglPredictState *pgl_predict_state(FunctionCallInfo fcinfo, PglWant want, int version_argno);

/* the class index ai_classify says for proba (m->n_classes values); threshold argument at argno */
extern int pgl_classify_index(FunctionCallInfo fcinfo, const char *name, const pgl_model *m,
							  const double *proba, int threshold_argno);

/* ai_classify_proba's (label, probability) row for class c */
extern Datum pgl_classification_row(const pgl_model *m, const double *proba, int c);

#endif /* PGL_PREDICT_H */
