/*-------------------------------------------------------------------------
 *
 * train_glue.h
 *	  The one training pipeline of ai_train (train.c) and the glue hooks
 *	  each family hangs off it.
 *
 * ai_train reads the options by the algorithm's schema (options.c), then
 * runs, for every algorithm:
 *
 *	check -> [method] -> read -> preprocess -> fit -> metrics -> store
 *
 * where each step but the last is a hook of the algorithm's family glue
 * (PglTrainGlue) and store is store.c's pgl_store_trained.  A family is
 * one reader shape:
 *
 *	rows (train_rows.c): a design matrix from the columns of the data
 *	  (linear_regression, logistic_regression, kmeans and any algorithm
 *	  without a glue of its own), with "method": "aggregate" as a second
 *	  glue of the same shape (train_agg.c);
 *	(user, item, rating) triples (recommend_train.c): als;
 *	tensors (nn_train.c): neural_net.
 *
 * Adding a family with a new reader shape: one new glue file defining a
 * const PglTrainGlue, and one line in PGL_TRAIN_FAMILIES of train.c
 * (which declares it and tables it).  See src/algo/algorithms.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TRAIN_GLUE_H
#define PGL_TRAIN_GLUE_H

#include "glue.h"
#include "options.h"

#include "lib/stringinfo.h"
#include "portability/instr_time.h"

#include "algorithms.h"

/* one ai_train call as it goes down the pipeline */
typedef struct PglTrainCall
{
	FunctionCallInfo	fcinfo;
	const char		   *name;
	const char		   *algorithm;
	const char		   *data;
	const char		   *target; /* NULL: none given */
	Jsonb			   *options;
	const pgl_algo_ops *ops;
	PglTrainOptions		opts; /* as read; check may complete them */
	instr_time			start;
	MemoryContext		cxt; /* the training's: deleted at the end */
	pgl_env				env;
	/* set by the family's steps */
	pgl_model *m;
	int64	   rows_used; /* the rows read and used (ai_train's rows_used) */
	void	  *state;	  /* the family's own */
	/* a search trial or a cross-validation fold ("trial 2 of 9"): no store */
	const char *trial;
} PglTrainCall;

typedef struct PglTrainGlue
{
	/*
	 * Optional: arguments and family options, before anything is read
	 * (ERRORs).  A method glue's is not called: its family's was.
	 */
	void (*check)(PglTrainCall *c);

	/* optional: the glue that trains this call instead (a "method") */
	const struct PglTrainGlue *(*method)(PglTrainCall *c);

	/* read the data in its shape, split it into training and hold-out */
	void (*read)(PglTrainCall *c);

	/* learn the preprocessing on the training rows: builds c->m */
	void (*preprocess)(PglTrainCall *c);

	/* fit, then encode the model as "storage" asks */
	void (*fit)(PglTrainCall *c);

	/* the metrics as one JSON object appended to buf; sets c->rows_used */
	void (*metrics)(PglTrainCall *c, StringInfo buf);

	/* optional: after the version is stored (SPI_finish...) */
	void (*finish)(PglTrainCall *c);
} PglTrainGlue;

/*
 * A dry run of the pipeline for a search trial or a cross-validation fold:
 * check -> [method] -> read -> preprocess -> fit -> metrics, and nothing
 * stored.  c has its arguments, ops and read options; returns the metrics
 * (in the caller's memory context) and frees what the training allocated.
 */
extern char *pgl_train_dry_run(PglTrainCall *c);

/* the design-matrix family, the default (train_rows.c), and its "method": "aggregate" */
extern const PglTrainGlue pgl_glue_rows;
extern const PglTrainGlue pgl_glue_aggregate;

/* the glue of an algorithm id: its family's, else the rows glue */
extern const PglTrainGlue *pgl_train_glue(int32 algorithm);

/*
 * For a job that will train later: the checks ai_train makes before reading
 * (options, the family's check), ERROR now.
 */
extern void pgl_train_check(const char *name, const char *algorithm, const char *data,
							const char *target, Jsonb *options);

/* ERROR for an algorithm that is imported, never trained (onnx); ops may be NULL */
extern void pgl_check_trainable(const pgl_algo_ops *ops);

/* the hyperparameters of a rows algorithm: the options, else the defaults */
extern void pgl_train_params_from(pgl_train_params *params, const pgl_algo_ops *ops,
								  const PglTrainOptions *opts);

/* kmeans: "train": {"n", "inertia", "silhouette", "cluster_sizes"}, "iterations" */
extern void pgl_kmeans_metrics_json(StringInfo buf, int64 n, double inertia, double silhouette,
									const int64 *sizes, int32 k, int32 iterations);

/* with pg_learn.verbose: a NOTICE per phase, with the time the last one took */
extern void pgl_train_phase(const char *name, const char *what);

#endif /* PGL_TRAIN_GLUE_H */
