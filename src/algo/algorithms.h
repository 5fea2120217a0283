/*-------------------------------------------------------------------------
 *
 * algorithms.h
 *	  The table of operations every algorithm plugs into.
 *
 * Adding an algorithm that trains on rows (a design matrix):
 *   1. one new file src/algo/NAME.c with its train, predict and validate
 *	    operations and its option list (pgl_option_spec NAME_options[], built
 *	    from PGL_OPTIONS_COMMON, PGL_OPTION_METRIC and PGL_OPTION_END; every
 *	    entry needs a default, a description and an example that trains
 *	    quickly: sql/options.sql trains with each), declared at the end of
 *	    this header, and an id in pgl_algo.h;
 *   2. one line in the algorithms[] table of algorithms.c naming them.
 * ai_train (src/train.c) then runs it through the one pipeline, options ->
 * read -> preprocess -> fit -> metrics -> store, with the rows family's
 * glue (src/train_rows.c: reads the columns, learns the preprocessing in
 * src/preprocess.c, splits, calls train and predict, stores with
 * src/store.c) like linear_regression; the option reader (src/options.c),
 * ai_train_async, ai_schedule and ai_algorithm_options need nothing more.
 *
 * Adding a family with another reader shape (as als reads (user, item,
 * rating) triples and neural_net tensors), besides 1. and 2.:
 *   3. one new glue file src/NAME_train.c defining a const PglTrainGlue
 *	    pgl_glue_NAME (src/train_glue.h: its check, read, preprocess, fit
 *	    and metrics hooks, each filling the PglTrainCall; a classifier
 *	    calls src/classes.h's pgl_classes_prepare before its fit and
 *	    pgl_classes_finish after it, as train_rows.c and nn_train.c do);
 *   4. one line F(PGL_ALGO_NAME, pgl_glue_NAME) in PGL_TRAIN_FAMILIES of
 *	    src/train.c, which declares it and makes ai_train use it.
 * The store step, the deployment ("deploy", "keep_versions"), progress and
 * the result row stay the pipeline's.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ALGORITHMS_H
#define PGL_ALGORITHMS_H

#include "pgl_algo.h"
#include "linear.h"

/*
 * Training data after preprocessing: dense, column-major n x p, leading
 * dimension ld; or, for an algorithm whose ops have takes_csr, sparse
 * (csr, n x p; X is then NULL) when the model has text features.
 */
typedef struct pgl_dataset
{
	const double  *X;
	int64_t		   ld;
	int64_t		   n;
	int32_t		   p;
	const double  *y;	  /* regression target, or NULL */
	const int32_t *label; /* class index in [0, n_classes), or NULL */
	int32_t		   n_classes;
	const pgl_csr *csr; /* or NULL (last: positional initializers need not name it) */
} pgl_dataset;

/* Hyperparameters shared by the supervised algorithms (and kmeans). */
typedef struct pgl_train_params
{
	double	 l2;
	int32_t	 max_iter;
	double	 tol;
	uint64_t seed;
	int32_t	 k; /* kmeans: number of clusters */
	/* kmeans: the seeding sample (row-major, sample_rows x p), or NULL */
	const double *sample;
	int64_t		  sample_rows;
	/* classifiers: one weight per class (> 0), or NULL for all 1 */
	const double *class_weight;
	/* threads the algorithm may start (0: one) */
	int32_t threads;
	/* rows held out: early stopping and progress (NULL or n = 0: none) */
	const pgl_dataset *holdout;
	/* tree ensembles (xgboost.c): < 0 means the algorithm's default */
	int32_t n_estimators;
	int32_t max_depth;
	int32_t max_bin;
	int32_t early_stopping_rounds; /* 0: none */
	int32_t objective;			   /* index in PGL_XGB_OBJECTIVES; 0: "auto" */
	double	learning_rate;
	double	subsample;
	double	colsample_bytree;
	double	colsample_bynode;
	double	min_child_weight;
	double	l1;
	/* isolation_forest: the expected share of anomalies (<= 0: "auto") */
	double contamination;
} pgl_train_params;

typedef struct pgl_train_info
{
	int32_t iterations;
	double	loss;
	int32_t rank; /* linear models: numerical rank used */
} pgl_train_info;

/* ---------- the option schema ---------- */

/* what an option's value must be */
typedef enum pgl_opt_type
{
	PGL_OPT_NUMBER = 1,	  /* a number in [lo, hi] (an end is open with the flags below) */
	PGL_OPT_INTEGER,	  /* an integer in [lo, hi] */
	PGL_OPT_BOOLEAN,	  /* true or false */
	PGL_OPT_CHOICE,		  /* one of the words of choices ("impute|error"): its index */
	PGL_OPT_COLUMN,		  /* a column name */
	PGL_OPT_COLUMNS,	  /* a column name or an array of them */
	PGL_OPT_METRIC,		  /* a metric name */
	PGL_OPT_DEPLOY,		  /* true, false or "if_better" */
	PGL_OPT_JSON,		  /* structured: checked by the family's own parser (layers, shapes) */
	PGL_OPT_LABEL,		  /* a class label: a string, number or boolean, kept as its text */
	PGL_OPT_CLASS_WEIGHT, /* "balanced", or an object from class label to a weight > 0 */
	PGL_OPT_MODEL		  /* a model name (choices: its description) */
} pgl_opt_type;

#define PGL_OPT_LO_OPEN 1 /* lo itself is not allowed */
#define PGL_OPT_HI_OPEN 2 /* hi itself is not allowed */
#define PGL_OPT_NONZERO 4 /* 0 is not allowed */
#define PGL_OPT_AUTO	8 /* NUMBER: the string "auto" is also allowed (PGL_OPT_AUTO_VALUE) */

/* what the reader stores for "auto" (a value not given is -1) */
#define PGL_OPT_AUTO_VALUE (-2.0)

/* where the reader (src/options.c) stores a value: a field of PglTrainOptions */
typedef enum pgl_opt_slot
{
	PGL_SLOT_TEST_SIZE = 1,
	PGL_SLOT_SEED,
	PGL_SLOT_L2,
	PGL_SLOT_MAX_ITER,
	PGL_SLOT_TOL,
	PGL_SLOT_EXCLUDE,
	PGL_SLOT_NULLS,
	PGL_SLOT_METHOD,
	PGL_SLOT_DEPLOY,
	PGL_SLOT_METRIC,
	PGL_SLOT_KEEP_VERSIONS,
	PGL_SLOT_STORAGE,
	PGL_SLOT_K,
	PGL_SLOT_FEEDBACK,
	PGL_SLOT_FACTORS,
	PGL_SLOT_ALPHA,
	PGL_SLOT_CG_STEPS,
	PGL_SLOT_USER_COL,
	PGL_SLOT_ITEM_COL,
	PGL_SLOT_RATING_COL,
	PGL_SLOT_DUPLICATES,
	PGL_SLOT_COLD_START,
	PGL_SLOT_LAYERS,
	PGL_SLOT_INPUT_SHAPE,
	PGL_SLOT_SCALE,
	PGL_SLOT_OPTIMIZER,
	PGL_SLOT_INIT,
	PGL_SLOT_LEARNING_RATE,
	PGL_SLOT_MOMENTUM,
	PGL_SLOT_BATCH_SIZE,
	PGL_SLOT_EPOCHS,
	PGL_SLOT_PATIENCE,
	PGL_SLOT_POSITIVE_CLASS,
	PGL_SLOT_THRESHOLD,
	PGL_SLOT_CLASS_WEIGHT,
	PGL_SLOT_N_ESTIMATORS,
	PGL_SLOT_MAX_DEPTH,
	PGL_SLOT_MAX_BIN,
	PGL_SLOT_EARLY_STOPPING,
	PGL_SLOT_OBJECTIVE,
	PGL_SLOT_SUBSAMPLE,
	PGL_SLOT_COLSAMPLE_BYTREE,
	PGL_SLOT_COLSAMPLE_BYNODE,
	PGL_SLOT_MIN_CHILD_WEIGHT,
	PGL_SLOT_L1,
	PGL_SLOT_SEARCH,
	PGL_SLOT_BIAS_L2,
	PGL_SLOT_TEXT,
	PGL_SLOT_MIN_DF,
	PGL_SLOT_MAX_FEATURES,
	PGL_SLOT_TEACHER,
	PGL_SLOT_TEMPERATURE,
	PGL_SLOT_DISTILL_WEIGHT,
	PGL_SLOT_BUCKETS,
	PGL_SLOT_TOKENIZER,
	PGL_SLOT_VOCAB_SIZE,
	PGL_SLOT_MAX_LEN,
	PGL_SLOT_PRUNE,
	PGL_SLOT_CONTAMINATION,
	/* forecast */
	PGL_SLOT_TIME_COL,
	PGL_SLOT_SERIES_COL,
	PGL_SLOT_HORIZON,
	PGL_SLOT_SEASON,
	PGL_SLOT_MISSING,
	PGL_SLOT_LEVEL,
	/* neural_net autoencoders */
	PGL_SLOT_NN_TASK,
	PGL_SLOT_VARIATIONAL,
	PGL_SLOT_BETA
} pgl_opt_slot;

/*
 * One option of an algorithm: ai_train, ai_train_async, ai_schedule and
 * the aggregate method validate with it (src/options.c), and
 * ai_algorithm_options() lists it; the test of every option is generated
 * from that list, so each entry needs an example that trains quickly.
 */
typedef struct pgl_option_spec
{
	const char *key;
	int32_t		type; /* pgl_opt_type */
	int32_t		slot; /* pgl_opt_slot */
	double		lo, hi;
	int32_t		flags;		   /* PGL_OPT_LO_OPEN, PGL_OPT_HI_OPEN */
	const char *choices;	   /* CHOICE, METRIC: "a|b|c"; JSON: what it must be */
	const char *default_value; /* as text, for the docs */
	const char *description;   /* one line */
	const char *example;	   /* a valid value as JSON text */
} pgl_option_spec;

/*
 * The keys every family has, for the end of a family's list (before its
 * "metric" entry, whose choices and example are the family's: see
 * PGL_OPTION_METRIC).
 */
#define PGL_OPTIONS_COMMON                                                                         \
	{"seed",                                                                                       \
	 PGL_OPT_INTEGER,                                                                              \
	 PGL_SLOT_SEED,                                                                                \
	 0,                                                                                            \
	 9007199254740992.0,                                                                           \
	 0,                                                                                            \
	 NULL,                                                                                         \
	 "42",                                                                                         \
	 "seed of the hold-out split and of every random choice",                                      \
	 "7"},                                                                                         \
		{"deploy",                                                                                 \
		 PGL_OPT_DEPLOY,                                                                           \
		 PGL_SLOT_DEPLOY,                                                                          \
		 0,                                                                                        \
		 0,                                                                                        \
		 0,                                                                                        \
		 NULL,                                                                                     \
		 "true",                                                                                   \
		 "make the new version live: true, false, or \"if_better\" than the live one by "          \
		 "\"metric\"",                                                                             \
		 "\"if_better\""},                                                                         \
		{"keep_versions",                                                                          \
		 PGL_OPT_INTEGER,                                                                          \
		 PGL_SLOT_KEEP_VERSIONS,                                                                   \
		 1,                                                                                        \
		 1000000,                                                                                  \
		 0,                                                                                        \
		 NULL,                                                                                     \
		 "all",                                                                                    \
		 "keep at most this many undeployed versions: older ones are dropped",                     \
		 "3"},                                                                                     \
		{"storage",                                                                                \
		 PGL_OPT_CHOICE,                                                                           \
		 PGL_SLOT_STORAGE,                                                                         \
		 0,                                                                                        \
		 0,                                                                                        \
		 0,                                                                                        \
		 "float64|float32|float16|int8",                                                           \
		 "float64",                                                                                \
		 "how weights and factors are stored",                                                     \
		 "\"float32\""},                                                                           \
	{                                                                                              \
		"search", PGL_OPT_JSON, PGL_SLOT_SEARCH, 0, 0, 0,                                          \
			"an object like {\"params\": {\"l2\": [0.1, 1]}}", "none",                             \
			"try settings of other options on a validation split of the training rows, and "       \
			"train the best (docs/user-guide.md)",                                                 \
			"{\"params\": {\"storage\": [\"float64\", \"float32\"]}}"                              \
	}

/*
 * "metric": one of the family's metrics ("a|b"; "ndcg@k" stands for any
 * "ndcg@N"), the first one the default of "deploy": "if_better" unless the
 * ops say otherwise.
 */
#define PGL_OPTION_METRIC(metrics, dflt, example)                                                  \
	{                                                                                              \
		"metric", PGL_OPT_METRIC, PGL_SLOT_METRIC, 0, 0, 0, metrics, dflt,                         \
			"the metric \"deploy\": \"if_better\" compares (hold-out, else training)", example     \
	}

#define PGL_OPTION_END                                                                             \
	{                                                                                              \
		NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL                                                \
	}

typedef struct pgl_algo_ops
{
	int32_t		id;	  /* pgl_algorithm */
	const char *name; /* as given to ai_train */
	int32_t		task; /* pgl_task; 0: regression or classification, per model */
	double		default_l2;

	/* fit: add the algorithm's tensors to m (features/classes already set) */
	pgl_rc (*train)(const pgl_env *env, const pgl_dataset *data, const pgl_train_params *params,
					pgl_model *m, pgl_train_info *info, pgl_status *st);

	/*
	 * Predict n encoded rows (X column-major n x n_inputs, leading dimension
	 * ld >= n).  out: n values
	 * for regression, n x n_classes row-major probabilities for
	 * classification, n 0-based cluster numbers for clustering.
	 */
	pgl_rc (*predict)(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
					  int64_t n, double *out, pgl_status *st);

	/* check the tensors against features/classes (called by the reader) */
	pgl_rc (*validate)(const pgl_model *m, pgl_status *st);

	/*
	 * Optional: fit from streamed sufficient statistics (gram.c) instead of
	 * an in-memory matrix; the training rows are then never stored.
	 */
	pgl_rc (*train_gram)(const pgl_env *env, pgl_gram *g, const double *impute,
						 const pgl_train_params *params, pgl_model *m, pgl_train_info *info,
						 double *sse, double *sst, pgl_status *st);

	/* the options ai_train accepts, ended by an entry with key NULL */
	const pgl_option_spec *options;

	/* the metric of "deploy": "if_better" (NULL: by the model's task) */
	const char *default_metric;

	/*
	 * The algorithm learns where a missing value goes (tree ensembles): a
	 * NULL numeric feature encodes as NaN (impute NaN) instead of the mean.
	 */
	bool learns_missing;

	/*
	 * Optional: the bytes train() allocates outside env for n rows of p
	 * inputs and k outputs (a third-party library's copies), which the glue
	 * counts against pg_learn.max_train_memory before calling it.
	 */
	int64_t (*train_memory)(int64_t n, int32_t p, int32_t k);

	/*
	 * train takes a sparse design matrix (pgl_dataset.csr) when the model
	 * has text features; without it the pipeline densifies the matrix.
	 */
	bool takes_csr;

	/*
	 * Optional: build m->runtime (and m->runtime_free) once the blob is read
	 * and validated (pgl_model_read calls it last; a failure makes the blob
	 * corrupt).  Allocations go through a heap copy of env that the runtime
	 * keeps: env itself may be on the caller's stack.
	 */
	pgl_rc (*prepare)(const pgl_env *env, pgl_model *m, pgl_status *st);

	/*
	 * Optional (anomaly detectors): the anomaly score of n encoded rows (X
	 * as for predict), higher meaning more anomalous; a row is an anomaly
	 * when its score is above the model's f64 [1] tensor
	 * "anomaly_threshold" (ai_detect_anomalies, src/anomaly.c).
	 * anomaly_score_max is the largest score there is (0: unbounded), the
	 * upper end of the thresholds a caller may give.
	 */
	pgl_rc (*anomaly_score)(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
							int64_t n, double *score, pgl_status *st);
	double anomaly_score_max;
} pgl_algo_ops;

extern const pgl_algo_ops *pgl_algo_by_id(int32_t id);
extern const pgl_algo_ops *pgl_algo_by_name(const char *name);

/* "linear_regression, logistic_regression" for hints */
extern const char *pgl_algo_names(void);

/* the option lists of the families (schema.c) */
extern const pgl_option_spec pgl_linear_regression_options[];
extern const pgl_option_spec pgl_logistic_regression_options[];
extern const pgl_option_spec pgl_kmeans_options[];
extern const pgl_option_spec pgl_als_options[];
extern const pgl_option_spec pgl_neural_net_options[];
extern const pgl_option_spec pgl_xgboost_options[];
extern const pgl_option_spec pgl_random_forest_options[];

/* the option key of an algorithm, or NULL */
extern const pgl_option_spec *pgl_algo_option(const pgl_algo_ops *ops, const char *key);

/*
 * The metric "deploy": "if_better" compares when none is named: the
 * algorithm's, else by task (regression rmse, classification accuracy,
 * clustering silhouette).  "ndcg@k" means the model's ranking cutoff.
 */
extern const char *pgl_algo_default_metric(const pgl_algo_ops *ops, int32_t task);

/* is a lower value of this metric better (rmse, mae, log_loss, inertia...)? */
extern int pgl_metric_lower_is_better(const char *metric);

/* convenience: validate m with its algorithm's rule (unknown id fails) */
extern pgl_rc pgl_algo_validate(const pgl_model *m, pgl_status *st);

/* ops->prepare of m's algorithm when it has one (pgl_model_read) */
extern pgl_rc pgl_algo_prepare(const pgl_env *env, pgl_model *m, pgl_status *st);

/* the imported ONNX family (src/onnx/family.c): predict, validate, prepare */
extern pgl_rc pgl_onnx_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
							   int64_t n, double *out, pgl_status *st);
extern pgl_rc pgl_onnx_validate(const pgl_model *m, pgl_status *st);
extern pgl_rc pgl_onnx_prepare(const pgl_env *env, pgl_model *m, pgl_status *st);
extern const pgl_option_spec pgl_onnx_options[];

/* the forecast family (src/forecast/family.c): options and the model's validation */
extern const pgl_option_spec pgl_forecast_options[];
extern pgl_rc				 pgl_forecast_validate(const pgl_model *m, pgl_status *st);

#endif /* PGL_ALGORITHMS_H */
