/*-------------------------------------------------------------------------
 *
 * als.h
 *	  Matrix factorization by alternating least squares (als.c), with the
 *	  top-k scoring, similarity, fold-in and ranking metrics built on it.
 *
 * Users and items are dense indexes 0..n_users-1 and 0..n_items-1 (the glue
 * maps the user's ids).  Factors are float32, row-major: row u of U is
 * U[u * k .. u * k + k - 1].
 *
 * Threads: the per-user (per-item) solves, the block scoring and the
 * evaluation run on params->threads POSIX threads.  Threads never call env
 * (no allocation, no callbacks): the calling thread allocates all workspace
 * through env before starting them, and calls env->check_interrupts and
 * env->progress between chunks of work (a chunk takes well under 100 ms).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ALS_H
#define PGL_ALS_H

#include "pgl_algo.h"

/* Ratings by user and by item (compressed sparse rows). */
typedef struct pgl_ratings
{
	int32_t	 n_users;
	int32_t	 n_items;
	int64_t	 nnz;
	int64_t *user_ptr;	 /* n_users + 1 */
	int32_t *user_items; /* nnz, ascending within a user */
	float	*user_vals;	 /* nnz */
	int64_t *item_ptr;	 /* n_items + 1 */
	int32_t *item_users; /* nnz, ascending within an item */
	float	*item_vals;	 /* nnz */
} pgl_ratings;

/*
 * Build both orientations from coordinate triples (counting sort, O(nnz)).
 * Duplicate (user, item) pairs must already be resolved by the caller.
 */
extern pgl_rc pgl_ratings_build(const pgl_env *env, int32_t n_users, int32_t n_items, int64_t nnz,
								const int32_t *users, const int32_t *items, const float *vals,
								pgl_ratings *out, pgl_status *st);
extern void	  pgl_ratings_free(const pgl_env *env, pgl_ratings *r);

/* the largest number of factors ("factors" option; checked again when a model is read) */
#define PGL_ALS_MAX_FACTORS 1024

typedef struct pgl_als_params
{
	int32_t	 factors;	 /* k >= 1 */
	double	 l2;		 /* > 0; weighted-lambda: times the row's count (explicit) */
	int32_t	 iterations; /* >= 1; one iteration = users then items */
	double	 alpha;		 /* implicit: confidence 1 + alpha * r */
	uint64_t seed;		 /* initial factors */
	bool	 implicit;
	int32_t	 cg_steps; /* implicit: conjugate-gradient steps per solve (e.g. 3) */
	int32_t	 threads;  /* >= 1 */
	/*
	 * explicit: the penalty on each user's and item's bias, a fixed
	 * pseudo-count (not times the row's count); < 0: l2 times the count like
	 * the factors (models trained before 0.3.0)
	 */
	double bias_l2;
	/*
	 * Early stopping (NULL: none): after each iteration the model is scored
	 * on val (ratings not in R; RMSE for explicit, NDCG@rank_k for implicit,
	 * ranking all items but the user's training items); the fit stops after
	 * patience iterations (>= 1) without a better score.  val_scores, when
	 * not NULL, receives the score of each iteration run (iterations values).
	 */
	const struct pgl_ratings *val;
	int32_t					  patience;
	int32_t					  rank_k;
	double					 *val_scores;
} pgl_als_params;

typedef struct pgl_als_model
{
	int32_t n_users;
	int32_t n_items;
	int32_t k;
	float  *U;		   /* n_users x k */
	float  *V;		   /* n_items x k */
	float  *user_bias; /* n_users (0 for implicit) */
	float  *item_bias; /* n_items (0 for implicit) */
	double	mu;		   /* global mean (0 for implicit) */
} pgl_als_model;

typedef struct pgl_als_info
{
	int32_t iterations;
	double	loss; /* objective after the last iteration */
	double	seconds_per_iteration;
	/* with params->val: the best iteration (1-based) and its score */
	int32_t best_iteration;
	double	best_score;
} pgl_als_info;

/*
 * Fit.  Explicit feedback: biased MF, minimize
 *	 sum_(u,i) (r_ui - mu - b_u - c_i - U_u·V_i)^2
 *	   + l2 * (sum_u n_u (|U_u|^2 + b_u^2) + sum_i n_i (|V_i|^2 + c_i^2))
 * (weighted-lambda regularization) where each half-iteration solves every
 * user's (item's) (k+1) x (k+1) system for factors and bias exactly with
 * Cholesky (LAPACK SPOTRF/SPOTRS or a small inline Cholesky in float64).
 * Implicit feedback (Hu, Koren, Volinsky 2008): confidence c = 1 + alpha r,
 * preference 1 for r > 0, minimize
 *	 sum_(u,i) c_ui (p_ui - U_u·V_i)^2 + l2 (|U|^2 + |V|^2)
 * with YᵀY computed once per half-iteration by SSYRK and each row solved by
 * cg_steps warm-started conjugate-gradient steps (no per-user dense Gram
 * matrices).  m's arrays are allocated through env.  Calls env->progress
 * with (iteration, iterations, loss) after each iteration.
 */
extern pgl_rc pgl_als_fit(const pgl_env *env, const pgl_ratings *R, const pgl_als_params *params,
						  pgl_als_model *m, pgl_als_info *info, pgl_status *st);
extern void	  pgl_als_model_free(const pgl_env *env, pgl_als_model *m);

/* the most (l2, bias_l2) trials of one pgl_als_fit_auto */
#define PGL_ALS_MAX_TRIALS 16

/* one trial of pgl_als_fit_auto: its setting, validation score and best iteration */
typedef struct pgl_als_trial
{
	double	l2;
	double	bias_l2;
	double	score;		/* validation RMSE (explicit) or NDCG@rank_k (implicit) */
	int32_t iterations; /* the best iteration of the trial */
	double	seconds;
} pgl_als_trial;

/*
 * pgl_als_fit_auto's settings and report.  A grid of n values (n >= 1, at
 * most 8) searches that parameter; n = 0 takes it from params.  The search
 * is coordinate-wise: every l2 with the first bias_l2 of its grid, then
 * every other bias_l2 with the best l2.
 */
typedef struct pgl_als_auto
{
	const double *l2_grid;
	int32_t		  n_l2;
	const double *bias_grid;
	int32_t		  n_bias;
	double		  val_fraction;	  /* of each chosen user's ratings, e.g. 0.1 */
	int32_t		  max_val_users;  /* users whose ratings are drawn from (implicit: bounds the
								 * ranking's cost); 0: all */
	int64_t		  min_ratings;	  /* fewer training ratings: no validation split */
	bool		  all_iterations; /* the final fit runs params->iterations, not the best
								 * trial's (no early stopping) */
	/* report */
	int64_t		  n_val; /* validation ratings (0: none carved) */
	int32_t		  n_trials;
	pgl_als_trial trials[PGL_ALS_MAX_TRIALS];
	int32_t		  chosen; /* index in trials, -1: none */
} pgl_als_auto;

/*
 * Fit with a validation split carved out of R (per user, with params->seed)
 * when R has at least a->min_ratings ratings: each trial fits the rest with
 * early stopping (params->patience, params->rank_k) and is scored on the
 * split; then the best setting is fitted on all of R for the best trial's
 * number of iterations.  Without a split, a grid's first value is used and
 * every iteration runs.  params->val and val_scores are ignored.
 */
extern pgl_rc pgl_als_fit_auto(const pgl_env *env, const pgl_ratings *R,
							   const pgl_als_params *params, pgl_als_auto *a, pgl_als_model *m,
							   pgl_als_info *info, pgl_status *st);

/* predicted rating (explicit) or score (implicit) */
extern double pgl_als_predict(const pgl_als_model *m, int32_t u, int32_t i);

/*
 * Top-k items for one user vector (a row of U or a folded-in vector) and
 * bias, skipping the items in exclude (ascending, may be NULL).  Scores are
 * mu + b + c_i + x·V_i.  Results best first; *n_out <= k.
 */
extern pgl_rc pgl_als_recommend(const pgl_env *env, const pgl_als_model *m, const float *x,
								float bias, const int32_t *exclude, int64_t n_exclude, int32_t k,
								int32_t *items, float *scores, int32_t *n_out, pgl_status *st);

/*
 * Top-k for users [u0, u1): item factors scored in blocks with SGEMM, a
 * per-user heap, on params->threads threads; seen (may be NULL) excludes
 * each user's rated items.  items/scores are (u1 - u0) x k row-major,
 * counts[u - u0] the number filled.
 */
extern pgl_rc pgl_als_recommend_block(const pgl_env *env, const pgl_als_model *m,
									  const pgl_ratings *seen, int32_t u0, int32_t u1, int32_t k,
									  int32_t threads, int32_t *items, float *scores,
									  int32_t *counts, pgl_status *st);

/* top-k rows of F (n x dim) by cosine similarity to row idx (itself excluded) */
extern pgl_rc pgl_als_similar(const pgl_env *env, const float *F, int32_t n, int32_t dim,
							  int32_t idx, int32_t k, int32_t *out, float *scores, int32_t *n_out,
							  pgl_status *st);

/*
 * Fold-in: solve one new user's factors (and bias, explicit) from ratings
 * of known items against the fixed item factors, exactly as one user step
 * of the fit.  x has k floats.
 */
extern pgl_rc pgl_als_fold_in(const pgl_env *env, const pgl_als_model *m,
							  const pgl_als_params *params, const int32_t *items,
							  const float *ratings, int32_t n, float *x, float *bias,
							  pgl_status *st);

/*
 * One implicit-feedback row solve against fixed factors Y (n_y x k): the
 * user step of the fit for ratings of items (with YᵀY computed here).  With
 * cg_steps > 0, that many conjugate-gradient steps warm-started from x,
 * exactly as pgl_als_fit does; with cg_steps = 0, the exact solution by a
 * float64 Cholesky (what fold-in uses).  Exposed for fold-in and the unit
 * tests.
 */
extern pgl_rc pgl_als_implicit_solve(const pgl_env *env, const float *Y, int32_t n_y, int32_t k,
									 const int32_t *items, const float *ratings, int32_t n,
									 double l2, double alpha, int32_t cg_steps, float *x,
									 pgl_status *st);

/* Ranking (and rating) metrics on held-out ratings. */
typedef struct pgl_rank_metrics
{
	int64_t users;	   /* users with at least one relevant test item */
	double	precision; /* @k, mean over those users */
	double	recall;
	double	ndcg;
	double	map;
	double	coverage; /* distinct items recommended / n_items */
	double	rmse;	  /* explicit: on the test ratings; NaN for implicit */
	double	mae;
} pgl_rank_metrics;

/*
 * Recommend top-k for every user with test ratings, excluding the user's
 * training items.  The relevant items of a user are its test items (for
 * implicit feedback those with rating > 0).  precision@k = hits / k,
 * recall@k = hits / min(k, relevant), NDCG@k with binary gains and log2
 * discounts, MAP@k = mean over users of sum_(hits at rank r) precision@r /
 * min(k, relevant); coverage = distinct items recommended / n_items.  For
 * explicit feedback also RMSE and MAE of the predicted test ratings.
 */
extern pgl_rc pgl_als_evaluate(const pgl_env *env, const pgl_als_model *m, const pgl_ratings *train,
							   const pgl_ratings *test, int32_t k, bool implicit, int32_t threads,
							   pgl_rank_metrics *out, pgl_status *st);

/*
 * Top-k selection (a bounded min-heap): the k largest of scores[0..n), best
 * first, skipping indexes where skip (may be NULL) is true.  Ties: lower
 * index first.  Exposed for the unit tests.
 */
extern int32_t pgl_topk(const float *scores, int32_t n, const bool *skip, int32_t k, int32_t *idx,
						float *val);

#endif /* PGL_ALS_H */
