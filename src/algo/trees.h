/*-------------------------------------------------------------------------
 *
 * trees.h
 *	  Ensembles of binary regression trees (gradient boosting, random
 *	  forests): validation, prediction and exact TreeSHAP over the tree
 *	  tensors of a pg_learn model (trees.c).
 *
 * Training is done elsewhere (libxgboost); this file only reads trees, so a
 * damaged or hostile model is refused by our own validator and never
 * reaches a third-party parser.
 *
 * Layout (docs/model-format.md, "trees").  T trees, N nodes in all, k
 * output groups.  Node arrays are indexed by the global node number
 * tree_offsets[t] + i, where i is the node's index within tree t; child
 * indices are within the tree.
 *
 *	tree_offsets	i64 [T + 1]	 0 = off[0] < off[1] < ... < off[T] = N
 *	tree_group		i32 [T]		 output group of each tree, 0 <= g < k
 *	tree_params		i32 [2]		 k (output groups), link (pgl_trees_link)
 *	base_score		f64 [k]		 margin of each group before any tree
 *	split_feature	i32 [N]		 encoded input of the split, -1 for a leaf
 *	split_threshold f32 [N]		 x < threshold goes left (leaves: any finite)
 *	default_left	i32 [N]		 1: a missing (NaN) x goes left, 0: right
 *	left_child		i32 [N]		 index within the tree, -1 for a leaf
 *	right_child		i32 [N]		 index within the tree, -1 for a leaf
 *	leaf_value		f64 [N]		 a leaf's value, within the binary32 range (internal
 *								 nodes: unused)
 *	cover			f64 [N]		 sum of hessians of the node's training rows (a
 *								 child's at most its parent's, to PGL_TREES_COVER_SLACK)
 *
 * Each tree is stored in depth-first preorder: node 0 is the root, an
 * internal node i has left child i + 1, and its right child starts right
 * after the left subtree.  So every child comes after its parent, every
 * node but the root has exactly one parent, and the validator checks the
 * whole structure in one pass without allocating.  Depth (edges from the
 * root to the deepest leaf) is at most PGL_TREES_MAX_DEPTH.
 *
 * The split compares as XGBoost does: the input is rounded to binary32 and
 * goes left when (float) x < threshold; NaN follows default_left.  The
 * margin of group g is base_score[g] plus the leaf values reached in the
 * trees of group g.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TREES_H
#define PGL_TREES_H

#include "pgl_algo.h"

#define PGL_TREES_MAX_DEPTH 64

/* a child's cover is at most its parent's times 1 + this (validator) */
#define PGL_TREES_COVER_SLACK 1e-3

/* the inverse link from margin to prediction */
typedef enum pgl_trees_link
{
	PGL_TREES_LINK_IDENTITY = 0, /* reg:squarederror, reg:absoluteerror */
	PGL_TREES_LINK_SIGMOID = 1,	 /* binary:logistic (k = 1) */
	PGL_TREES_LINK_SOFTMAX = 2,	 /* multi:softprob (k >= 2) */
	PGL_TREES_LINK_EXP = 3		 /* count:poisson, reg:tweedie */
} pgl_trees_link;

#define PGL_TREES_LINK_MAX 3

/* A read-only view of the tree tensors of a model (pointers into it). */
typedef struct pgl_trees
{
	int32_t n_trees;
	int32_t n_groups;
	int32_t link;
	int32_t n_inputs;
	int64_t n_nodes;
	int32_t max_depth; /* filled by pgl_trees_validate, else 0 */

	const int64_t *tree_offsets;
	const int32_t *tree_group;
	const double  *base_score;
	const int32_t *split_feature;
	const float	  *split_threshold;
	const int32_t *default_left;
	const int32_t *left_child;
	const int32_t *right_child;
	const double  *leaf_value;
	const double  *cover;
} pgl_trees;

/*
 * Look up the tree tensors and check their dtypes, shapes and the
 * parameters (O(1) work, no per-node checks): for a model the reader has
 * already validated.  PGL_ERR_CORRUPT naming the tensor on failure.
 */
extern pgl_rc pgl_trees_get(const pgl_model *m, pgl_trees *t, pgl_status *st);

/*
 * Fully validate the tree tensors of m (pgl_trees_get plus every node; the
 * number of groups and the link against the task and classes), and fill *t
 * (may be NULL).  PGL_ERR_CORRUPT with a message naming the tree and node.
 * Never reads outside the tensors; allocates nothing.
 */
extern pgl_rc pgl_trees_validate(const pgl_model *m, pgl_trees *t, pgl_status *st);

/*
 * Raw margins of n rows (X column-major n x n_inputs, leading dimension
 * ld >= n): out is n x n_groups row-major.  t must come from a validated
 * model.
 */
extern void pgl_trees_predict_margin(const pgl_trees *t, const double *X, int64_t ld, int64_t n,
									 double *out);

/*
 * Apply the link in place to n x n_groups margins: identity, sigmoid
 * (each value), softmax (over each row's groups, max-subtracted), exp.
 */
extern void pgl_trees_apply_link(int32_t link, int64_t n, int32_t n_groups, double *inout);

/*
 * XGBoost's split statistics per input (arrays of n_inputs, zeroed here):
 * weight, the number of splits on the input; total_gain, the sum of their
 * gains (gain: the split_gain tensor's data, N values); total_cover, the
 * sum of their covers.  get_score's "gain" and "cover" are the totals
 * divided by the weight.
 */
extern void pgl_trees_split_stats(const pgl_trees *t, const double *gain, double *weight,
								  double *total_gain, double *total_cover);

/* margins then the link: n x n_groups predictions */
extern void pgl_trees_predict(const pgl_trees *t, const double *X, int64_t ld, int64_t n,
							  double *out);

/*
 * Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm
 * 2) of n rows.  out is n x n_groups x (n_inputs + 1) row-major: per row
 * and group the contribution of each input, then the bias (base_score plus
 * each tree's cover-weighted mean leaf value); each row's values sum to
 * its margin.  Missing (NaN) inputs follow the default direction, as in
 * prediction.  An internal node of cover 0 sends half of the weight each
 * way.  Checks interrupts between rows; t must come from a validated
 * model (recursion depth is bounded by PGL_TREES_MAX_DEPTH).  Scratch
 * memory (about 70 kB per call) through env: PGL_ERR_NOMEM on failure.
 */
extern pgl_rc pgl_trees_shap(const pgl_env *env, const pgl_trees *t, const double *X, int64_t ld,
							 int64_t n, double *out, pgl_status *st);

#endif /* PGL_TREES_H */
