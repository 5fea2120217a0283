/*-------------------------------------------------------------------------
 *
 * algorithms.h
 *	  The table of operations every algorithm plugs into.
 *
 * Adding an algorithm means one new file implementing these operations and
 * one line in algorithms.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ALGORITHMS_H
#define PGL_ALGORITHMS_H

#include "pgl_algo.h"
#include "linear.h"

/* Training data after preprocessing: dense, column-major n x p, leading dimension ld. */
typedef struct pgl_dataset
{
	const double  *X;
	int64_t		   ld;
	int64_t		   n;
	int32_t		   p;
	const double  *y;	  /* regression target, or NULL */
	const int32_t *label; /* class index in [0, n_classes), or NULL */
	int32_t		   n_classes;
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
} pgl_train_params;

typedef struct pgl_train_info
{
	int32_t iterations;
	double	loss;
	int32_t rank; /* linear models: numerical rank used */
} pgl_train_info;

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
} pgl_algo_ops;

extern const pgl_algo_ops *pgl_algo_by_id(int32_t id);
extern const pgl_algo_ops *pgl_algo_by_name(const char *name);

/* "linear_regression, logistic_regression" for hints */
extern const char *pgl_algo_names(void);

/* convenience: validate m with its algorithm's rule (unknown id fails) */
extern pgl_rc pgl_algo_validate(const pgl_model *m, pgl_status *st);

#endif /* PGL_ALGORITHMS_H */
