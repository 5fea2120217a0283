/*-------------------------------------------------------------------------
 *
 * export_trees.c
 *	  An xgboost or random_forest model as an ONNX graph: one
 *	  ai.onnx.ml TreeEnsembleRegressor giving the k margins (base_score
 *	  as base_values, aggregate SUM, post_transform NONE), then the link in
 *	  the default domain: Sigmoid (binary: the probability of classes[1]),
 *	  Softmax (k classes), Exp (count:poisson, reg:tweedie), or nothing.
 *
 * A node splits with BRANCH_LT (x < threshold goes to the true branch,
 * the left child, as XGBoost compares in binary32); a missing value (NaN)
 * follows default_left through nodes_missing_value_tracks_true.  Leaves
 * carry one target weight each, the leaf value, on their tree's group.
 *
 * The margins go through the regressor and the link is a plain ONNX op,
 * rather than a TreeEnsembleClassifier, whose binary case runtimes treat
 * differently (and whose labels need string or int64 outputs): the
 * probabilities are those pg_learn computes, under any runtime.
 *
 *-------------------------------------------------------------------------
 */
#include "export.h"
#include "trees.h"

#include <string.h>

typedef struct tree_arrays
{
	int64_t		*treeids, *nodeids, *feats, *truen, *falsen, *missing;
	float		*values;
	const char **modes;
	int64_t		*t_tree, *t_node, *t_id;
	float		*t_w;
} tree_arrays;

static void
arrays_free(const pgl_env *env, tree_arrays *a)
{
	void *all[] = {a->treeids, a->nodeids, a->feats,  a->truen,	 a->falsen, a->missing,
				   a->values,  a->modes,   a->t_tree, a->t_node, a->t_id,	a->t_w};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			pgl_free(env, all[i]);
}

static pgl_rc
arrays_alloc(const pgl_env *env, tree_arrays *a, int64_t N, pgl_status *st)
{
	size_t n = (size_t) (N > 0 ? N : 1);

	memset(a, 0, sizeof(*a));
	a->treeids = pgl_alloc(env, sizeof(int64_t) * n);
	a->nodeids = pgl_alloc(env, sizeof(int64_t) * n);
	a->feats = pgl_alloc(env, sizeof(int64_t) * n);
	a->truen = pgl_alloc(env, sizeof(int64_t) * n);
	a->falsen = pgl_alloc(env, sizeof(int64_t) * n);
	a->missing = pgl_alloc(env, sizeof(int64_t) * n);
	a->values = pgl_alloc(env, sizeof(float) * n);
	a->modes = pgl_alloc(env, sizeof(char *) * n);
	a->t_tree = pgl_alloc(env, sizeof(int64_t) * n);
	a->t_node = pgl_alloc(env, sizeof(int64_t) * n);
	a->t_id = pgl_alloc(env, sizeof(int64_t) * n);
	a->t_w = pgl_alloc(env, sizeof(float) * n);
	if (!a->treeids || !a->nodeids || !a->feats || !a->truen || !a->falsen || !a->missing ||
		!a->values || !a->modes || !a->t_tree || !a->t_node || !a->t_id || !a->t_w)
	{
		arrays_free(env, a);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory exporting the trees");
	}
	return PGL_OK;
}

/* the node and leaf arrays of every tree; returns the number of leaves */
static int64_t
fill_arrays(const pgl_trees *t, tree_arrays *a)
{
	int64_t n_leaves = 0;

	for (int32_t tr = 0; tr < t->n_trees; tr++)
		for (int64_t g = t->tree_offsets[tr]; g < t->tree_offsets[tr + 1]; g++)
		{
			bool leaf = t->split_feature[g] < 0;

			a->treeids[g] = tr;
			a->nodeids[g] = g - t->tree_offsets[tr];
			a->feats[g] = leaf ? 0 : t->split_feature[g];
			a->truen[g] = leaf ? 0 : t->left_child[g];
			a->falsen[g] = leaf ? 0 : t->right_child[g];
			a->missing[g] = leaf ? 0 : t->default_left[g] != 0;
			a->values[g] = leaf ? 0.0f : t->split_threshold[g];
			a->modes[g] = leaf ? "LEAF" : "BRANCH_LT";
			if (leaf)
			{
				a->t_tree[n_leaves] = tr;
				a->t_node[n_leaves] = a->nodeids[g];
				a->t_id[n_leaves] = t->tree_group[tr];
				a->t_w[n_leaves] = (float) t->leaf_value[g];
				n_leaves++;
			}
		}
	return n_leaves;
}

pgl_rc
ox_export_trees(ox_builder *b, const pgl_model *m, pgl_status *st)
{
	pgl_trees	t;
	tree_arrays a;
	int64_t		N, n_leaves;
	float	   *base;
	char		margin[OX_NAME_LEN], p[OX_NAME_LEN];
	bool		cls = m->task == PGL_TASK_CLASSIFICATION;

	if (pgl_trees_get(m, &t, st) != PGL_OK)
		return st->rc;
	N = t.n_nodes;
	if (arrays_alloc(b->env, &a, N, st) != PGL_OK)
		return st->rc;
	base = pgl_alloc(b->env, sizeof(float) * (size_t) t.n_groups);
	if (base == NULL)
	{
		arrays_free(b->env, &a);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory exporting the trees");
	}
	for (int32_t g = 0; g < t.n_groups; g++)
		base[g] = (float) t.base_score[g];
	n_leaves = fill_arrays(&t, &a);

	ox_b_begin(b, "TreeEnsembleRegressor", "ai.onnx.ml");
	ox_b_in(b, "input");
	ox_b_out(b, t.link == PGL_TREES_LINK_IDENTITY && !cls ? "variable"
														  : ox_b_name(b, margin, "margin"));
	ox_b_attr_int(b, "n_targets", t.n_groups);
	ox_b_attr_string(b, "aggregate_function", "SUM");
	ox_b_attr_string(b, "post_transform", "NONE");
	ox_b_attr_floats(b, "base_values", base, t.n_groups);
	ox_b_attr_ints(b, "nodes_treeids", a.treeids, N);
	ox_b_attr_ints(b, "nodes_nodeids", a.nodeids, N);
	ox_b_attr_ints(b, "nodes_featureids", a.feats, N);
	ox_b_attr_strings(b, "nodes_modes", a.modes, N);
	ox_b_attr_floats(b, "nodes_values", a.values, N);
	ox_b_attr_ints(b, "nodes_truenodeids", a.truen, N);
	ox_b_attr_ints(b, "nodes_falsenodeids", a.falsen, N);
	ox_b_attr_ints(b, "nodes_missing_value_tracks_true", a.missing, N);
	ox_b_attr_ints(b, "target_treeids", a.t_tree, n_leaves);
	ox_b_attr_ints(b, "target_nodeids", a.t_node, n_leaves);
	ox_b_attr_ints(b, "target_ids", a.t_id, n_leaves);
	ox_b_attr_floats(b, "target_weights", a.t_w, n_leaves);
	ox_b_end(b);
	arrays_free(b->env, &a);
	pgl_free(b->env, base);

	if (t.link == PGL_TREES_LINK_EXP)
		ox_b_op1(b, "Exp", margin, "variable");
	else if (cls)
	{
		ox_b_begin(b, t.link == PGL_TREES_LINK_SOFTMAX ? "Softmax" : "Sigmoid", "");
		ox_b_in(b, margin);
		ox_b_out(b, ox_b_name(b, p, "p"));
		if (t.link == PGL_TREES_LINK_SOFTMAX)
			ox_b_attr_int(b, "axis", 1);
		ox_b_end(b);
		/* two classes by softmax over two groups: already [N, 2] */
		if (t.n_groups == 2)
			ox_b_op1(b, "Identity", p, "probabilities");
		else
			ox_export_probabilities(b, m, p);
	}
	else if (t.link == PGL_TREES_LINK_SIGMOID)
		ox_b_op1(b, "Sigmoid", margin, "variable");
	return PGL_OK;
}
