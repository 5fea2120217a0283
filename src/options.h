/*-------------------------------------------------------------------------
 *
 * options.h
 *	  The one reader of ai_train's options jsonb (options.c), by the
 *	  algorithm's schema (algorithms.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_OPTIONS_H
#define PGL_OPTIONS_H

#include "glue.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

struct pgl_algo_ops;
struct pgl_option_spec;

/* the default "test_size": the fraction of rows held out */
#define PGL_DEFAULT_TEST_SIZE 0.2

/* the hold-out fraction of a "test_size" option value (< 0: not given) */
#define PGL_TEST_FRACTION(t) ((t) >= 0 ? (t) : PGL_DEFAULT_TEST_SIZE)

typedef struct PglTrainOptions
{
	const struct pgl_algo_ops *ops;
	double					   test_size; /* < 0: not given */
	uint64					   seed;
	double					   l2;		 /* -1: not given; PGL_OPT_AUTO_VALUE: "auto" */
	int						   max_iter; /* iterations; < 0: not given */
	double					   tol;
	List					  *exclude;		 /* of char * */
	List					  *text;		 /* of char *: columns of free text */
	double					   min_df;		 /* text: 0: not given */
	int						   max_features; /* text: < 0: not given */
	int						   tokenizer;	 /* neural_net text: PGL_TOKENIZER_*; 0: not given */
	int						   vocab_size;	 /* neural_net text: 0: not given */
	int						   max_len;		 /* neural_net text: 0: not given */
	bool					   nulls_error;
	bool					   deploy;			 /* deploy when stored */
	bool					   deploy_if_better; /* "if_better": compare, then deploy */
	char					  *metric;			 /* of "if_better"; NULL: the default */
	int						   keep_versions;	 /* 0: keep all */
	int						   method;			 /* PGL_METHOD_* */
	/* recommenders */
	bool   implicit;
	int	   factors; /* 0: not given */
	double alpha;	/* < 0: not given */
	int	   cg_steps;
	double bias_l2; /* als: -1: not given; PGL_OPT_AUTO_VALUE: "auto" */
	int	   k;		/* recommenders: ranking cutoff; kmeans: clusters; 0: not given */
	char  *user_col;
	char  *item_col;
	char  *rating_col;
	bool   duplicates_sum;
	bool   cold_start_error;
	int	   storage; /* pgl_storage kind of "storage" (PGL_STORE_NATIVE: float64) */
	/* neural_net (< 0 or 0: not given); layers and input_shape point into the options */
	JsonbValue *layers;
	JsonbValue *input_shape;
	JsonbValue *prune; /* "prune": {"sparsity": s, "epochs": n} */
	double		scale;
	int			optimizer; /* index in "adam|sgd" */
	int			init;	   /* index in "auto|he|xavier" */
	double		learning_rate;
	double		momentum;
	int			batch_size;
	int			epochs;
	int			patience;
	char	   *teacher;		/* distillation: NULL: none */
	double		temperature;	/* < 0: not given */
	double		distill_weight; /* < 0: not given */
	bool		no_buckets;		/* "buckets": false */
	/* tree ensembles (< 0: not given; objective 0: "auto") */
	int	   n_estimators;
	int	   max_depth;
	int	   max_bin;
	int	   early_stopping_rounds; /* 0: none; -1: not given */
	int	   objective;			  /* index in PGL_XGB_OBJECTIVES */
	double subsample;
	double colsample_bytree;
	double colsample_bynode;
	double min_child_weight;
	double l1;
	/* isolation_forest: the share of anomalies; < 0: not given, PGL_OPT_AUTO_VALUE: "auto" */
	double contamination;
	/* classifiers (src/classes.c) */
	char   *positive_class;		   /* NULL: not given */
	double	threshold;			   /* < 0: not given (0.5) */
	bool	class_weight_balanced; /* "class_weight": "balanced" */
	int		n_class_weights;	   /* "class_weight": {label: weight, ...} */
	char  **class_weight_labels;
	double *class_weight_values;
	/* forecast (src/forecast_glue.c); 0 / NULL / < 0: not given */
	char  *time_col;
	char  *series_col;
	int	   horizon;
	int	   season; /* PGL_OPT_AUTO_VALUE: "auto" */
	bool   missing_error;
	double level;
	/* neural_net autoencoders: "task" 1 "autoencoder"; "beta" < 0: not given */
	int	   nn_task;
	bool   variational;
	double beta;
	/* "search" (src/search.c): as validated, pointing into the options; NULL: none */
	struct PglSearch *search;
	/*
	 * Not options: set by a search trial or ai_cross_validate.  With folds
	 * > 0 the hold-out is fold number fold (0-based) of folds disjoint ones
	 * drawn by the same hash as the split (pgl_hash_in_fold).
	 */
	int	 fold;
	int	 folds;
	bool trial; /* a search trial or a cross-validation fold: stores nothing */
} PglTrainOptions;

/* "method" */
#define PGL_METHOD_AUTO		 0
#define PGL_METHOD_MEMORY	 1
#define PGL_METHOD_AGGREGATE 2

/* read options (NULL: none) by the algorithm's schema; ERROR on a bad key or value */
extern void pgl_parse_options(const struct pgl_algo_ops *ops, Jsonb *options,
							  PglTrainOptions *opts);

/* "a, b, c": the keys of an algorithm, for hints */
extern const char *pgl_option_keys(const struct pgl_algo_ops *ops);

/* what a value of an option must be ("a number in [0, 1)") */
extern char *pgl_option_type_text(const struct pgl_option_spec *o);

/* the ERROR of a bad option value, with the algorithm's keys as hint */
extern void pgl_option_error(const struct pgl_algo_ops *ops, const char *key, const char *expected,
							 JsonbValue *v) pg_attribute_noreturn();

/* ERROR unless v is a valid value of option o (the check the reader does) */
extern void pgl_option_check_value(const struct pgl_algo_ops *ops, const struct pgl_option_spec *o,
								   JsonbValue *v);

/* the index of s among the words "a|b|c" ("ndcg@k" matches "ndcg@10"), or -1 */
extern int pgl_choice_index(const char *choices, const char *s);

#endif /* PGL_OPTIONS_H */
