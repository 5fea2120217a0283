/*-------------------------------------------------------------------------
 *
 * trees.c
 *	  Tree ensembles: validation, prediction and exact TreeSHAP over the
 *	  tree tensors of a model (layout in trees.h and docs/model-format.md).
 *
 *-------------------------------------------------------------------------
 */
#include "trees.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---------- tensor lookup ---------- */

/*
 * The data of tensor name, which must be 1-d of dtype; count < 0 accepts
 * any length (returned in *got).
 */
static const void *
tensor_1d(const pgl_model *m, const char *name, int32_t dtype, int64_t count, int64_t *got,
		  pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	if (t == NULL)
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "tree model has no tensor \"%s\"", name);
		return NULL;
	}
	if (t->dtype != dtype || t->ndim != 1)
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "tree tensor \"%s\" has the wrong dtype or dimensions", name);
		return NULL;
	}
	if (count >= 0 && t->dims[0] != count)
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "tree tensor \"%s\" has %lld elements, expected %lld", name,
				 (long long) t->dims[0], (long long) count);
		return NULL;
	}
	if (got)
		*got = t->dims[0];
	return t->data;
}

#define GET(field, name, dtype, count, got)                                                        \
	do                                                                                             \
	{                                                                                              \
		if ((t->field = tensor_1d(m, name, dtype, count, got, st)) == NULL)                        \
			return PGL_ERR_CORRUPT;                                                                \
	} while (0)

pgl_rc
pgl_trees_get(const pgl_model *m, pgl_trees *t, pgl_status *st)
{
	const int32_t *params;
	int64_t		   n_off, n_nodes;

	memset(t, 0, sizeof(*t));
	if ((params = tensor_1d(m, "tree_params", PGL_I32, 2, NULL, st)) == NULL)
		return PGL_ERR_CORRUPT;
	if (params[0] < 1 || params[0] > 1000000)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"tree model has %d output groups, expected 1 to 1000000", (int) params[0]);
	if (params[1] < 0 || params[1] > PGL_TREES_LINK_MAX)
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree model has unknown link %d", (int) params[1]);
	t->n_groups = params[0];
	t->link = params[1];
	t->n_inputs = m->n_inputs;

	GET(tree_offsets, "tree_offsets", PGL_I64, -1, &n_off);
	if (n_off < 1 || n_off - 1 > INT32_MAX)
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree tensor \"tree_offsets\" has %lld elements",
						(long long) n_off);
	t->n_trees = (int32_t) (n_off - 1);
	GET(tree_group, "tree_group", PGL_I32, t->n_trees, NULL);
	GET(base_score, "base_score", PGL_F64, t->n_groups, NULL);
	GET(split_feature, "split_feature", PGL_I32, -1, &n_nodes);
	t->n_nodes = n_nodes;
	GET(split_threshold, "split_threshold", PGL_F32, n_nodes, NULL);
	GET(default_left, "default_left", PGL_I32, n_nodes, NULL);
	GET(left_child, "left_child", PGL_I32, n_nodes, NULL);
	GET(right_child, "right_child", PGL_I32, n_nodes, NULL);
	GET(leaf_value, "leaf_value", PGL_F64, n_nodes, NULL);
	GET(cover, "cover", PGL_F64, n_nodes, NULL);
	if (t->tree_offsets[0] != 0 || t->tree_offsets[t->n_trees] != n_nodes)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"tree offsets must start at 0 and end at the %lld nodes",
						(long long) n_nodes);
	return PGL_OK;
}

/* ---------- validation ---------- */

/* the checks of one node that do not depend on the tree's shape */
static pgl_rc
check_node(const pgl_trees *t, int32_t tree, int64_t base, int32_t i, int32_t size, pgl_status *st)
{
	int64_t g = base + i;
	int32_t f = t->split_feature[g];

	if (f < -1 || f >= t->n_inputs)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"tree %d node %d splits on input %d, but the model has %d inputs",
						(int) tree, (int) i, (int) f, (int) t->n_inputs);
	if (!isfinite(t->split_threshold[g]))
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree %d node %d has a non-finite threshold",
						(int) tree, (int) i);
	/* XGBoost's leaves are binary32: a larger one is not a tree model's */
	if (!(fabs(t->leaf_value[g]) <= FLT_MAX))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"tree %d node %d has leaf value %g, outside the binary32 range", (int) tree,
						(int) i, t->leaf_value[g]);
	if (!(t->cover[g] >= 0.0) || !isfinite(t->cover[g]))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"tree %d node %d has cover %g, expected a finite value >= 0", (int) tree,
						(int) i, t->cover[g]);
	if (t->default_left[g] != 0 && t->default_left[g] != 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree %d node %d has default_left %d, expected 0 or 1",
						(int) tree, (int) i, (int) t->default_left[g]);
	if (f == -1)
	{
		if (t->left_child[g] != -1 || t->right_child[g] != -1)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree %d node %d is a leaf but has children (%d, %d)", (int) tree,
							(int) i, (int) t->left_child[g], (int) t->right_child[g]);
		return PGL_OK;
	}
	for (int side = 0; side < 2; side++)
	{
		int32_t c = side == 0 ? t->left_child[g] : t->right_child[g];

		if (c == -1)
			return pgl_fail(st, PGL_ERR_CORRUPT, "tree %d node %d is internal but has no %s child",
							(int) tree, (int) i, side == 0 ? "left" : "right");
		if (c <= i)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree %d node %d has %s child %d, which does not come after it",
							(int) tree, (int) i, side == 0 ? "left" : "right", (int) c);
		if (c >= size)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree %d node %d has %s child %d, outside the tree's %d nodes",
							(int) tree, (int) i, side == 0 ? "left" : "right", (int) c, (int) size);
	}
	return PGL_OK;
}

/*
 * Check one tree: every node, and that the nodes are exactly a depth-first
 * preorder walk of a binary tree no deeper than PGL_TREES_MAX_DEPTH (a
 * stack of pending right children, on the C stack).
 */
/*
 * The most a child's cover may be: its parent's, plus a relative slack for
 * the binary32 rounding of XGBoost's sums.  It bounds TreeSHAP's fractions
 * (child cover / parent cover) by 1 + PGL_TREES_COVER_SLACK.
 */
static inline double
cover_limit(double parent)
{
	return parent + parent * PGL_TREES_COVER_SLACK;
}

static pgl_rc
check_tree(const pgl_trees *t, int32_t tree, int32_t *max_depth, pgl_status *st)
{
	int64_t base = t->tree_offsets[tree];
	int32_t size = (int32_t) (t->tree_offsets[tree + 1] - base);
	int32_t pend[PGL_TREES_MAX_DEPTH], pend_parent[PGL_TREES_MAX_DEPTH],
		pend_depth[PGL_TREES_MAX_DEPTH];
	int		sp = 0;
	int32_t i = 0, depth = 0;

	for (;;)
	{
		pgl_rc rc = check_node(t, tree, base, i, size, st);

		if (rc != PGL_OK)
			return rc;
		if (depth > *max_depth)
			*max_depth = depth;
		if (t->split_feature[base + i] >= 0)
		{
			if (depth >= PGL_TREES_MAX_DEPTH)
				return pgl_fail(st, PGL_ERR_CORRUPT, "tree %d is deeper than %d at node %d",
								(int) tree, PGL_TREES_MAX_DEPTH, (int) i);
			if (t->left_child[base + i] != i + 1)
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"tree %d node %d has left child %d, expected %d (depth-first "
								"preorder)",
								(int) tree, (int) i, (int) t->left_child[base + i], (int) i + 1);
			if (t->cover[base + i + 1] > cover_limit(t->cover[base + i]) ||
				t->cover[base + t->right_child[base + i]] > cover_limit(t->cover[base + i]))
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"tree %d node %d has cover %g, below a child's (%g, %g): a child "
								"sees a subset of its parent's rows",
								(int) tree, (int) i, t->cover[base + i], t->cover[base + i + 1],
								t->cover[base + t->right_child[base + i]]);
			pend[sp] = t->right_child[base + i];
			pend_parent[sp] = i;
			pend_depth[sp] = depth + 1;
			sp++;
			i++;
			depth++;
			continue;
		}
		if (sp == 0)
		{
			if (i != size - 1)
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"tree %d has %d nodes, but its root reaches only %d", (int) tree,
								(int) size, (int) i + 1);
			return PGL_OK;
		}
		sp--;
		if (pend[sp] != i + 1)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree %d node %d has right child %d, expected %d (depth-first "
							"preorder: a node with two parents or out of order)",
							(int) tree, (int) pend_parent[sp], (int) pend[sp], (int) i + 1);
		i = pend[sp];
		depth = pend_depth[sp];
	}
}

/* the number of groups and the link against the model's task */
static pgl_rc
check_task(const pgl_model *m, const pgl_trees *t, pgl_status *st)
{
	int32_t k = t->n_groups, link = t->link;

	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		bool ok = m->n_classes == 2 ? (k == 1 && link == PGL_TREES_LINK_SIGMOID) ||
										  (k == 2 && link == PGL_TREES_LINK_SOFTMAX)
									: (k == m->n_classes && link == PGL_TREES_LINK_SOFTMAX);

		if (!ok)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree classifier of %d classes has %d output groups and link %d",
							(int) m->n_classes, (int) k, (int) link);
	}
	else if (m->task == PGL_TASK_REGRESSION)
	{
		if (k != 1 || link == PGL_TREES_LINK_SOFTMAX)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree regression model has %d output groups and link %d, expected 1 "
							"group and link 0, 1 or 3",
							(int) k, (int) link);
	}
	else
		return pgl_fail(st, PGL_ERR_CORRUPT, "tree model has task %d, expected 1 or 2",
						(int) m->task);
	return PGL_OK;
}

pgl_rc
pgl_trees_validate(const pgl_model *m, pgl_trees *out, pgl_status *st)
{
	pgl_trees t;
	pgl_rc	  rc;
	int32_t	  max_depth = 0;

	if ((rc = pgl_trees_get(m, &t, st)) != PGL_OK)
		return rc;
	if ((rc = check_task(m, &t, st)) != PGL_OK)
		return rc;
	for (int32_t g = 0; g < t.n_groups; g++)
		if (!isfinite(t.base_score[g]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "tree model has a non-finite base score");
	for (int32_t k = 0; k < t.n_trees; k++)
	{
		int64_t size = t.tree_offsets[k + 1] - t.tree_offsets[k];

		/* offsets[0] == 0 and offsets[T] == N were checked: monotone keeps us inside */
		if (size < 1 || size > INT32_MAX)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"tree %d has %lld nodes (tree offsets must increase, by at most "
							"2147483647)",
							(int) k, (long long) size);
		if (t.tree_group[k] < 0 || t.tree_group[k] >= t.n_groups)
			return pgl_fail(st, PGL_ERR_CORRUPT, "tree %d is in output group %d, expected 0 to %d",
							(int) k, (int) t.tree_group[k], (int) t.n_groups - 1);
	}
	/* every tree lies inside the node arrays now: walk them */
	for (int32_t k = 0; k < t.n_trees; k++)
		if ((rc = check_tree(&t, k, &max_depth, st)) != PGL_OK)
			return rc;
	t.max_depth = max_depth;
	if (out)
		*out = t;
	return PGL_OK;
}

/* ---------- prediction ---------- */

static inline bool
goes_left(double x, float threshold, int32_t default_left)
{
	if (isnan(x))
		return default_left != 0;
	/* XGBoost compares in binary32 */
	return (float) x < threshold;
}

/*
 * The walkers.  A node's work is a chain of dependent loads (feature, the
 * value, threshold, child) behind a branch the CPU cannot predict, so one
 * row through one tree at a time leaves the core idle.  Both walkers keep
 * several independent chains in flight: a block of rows through one tree
 * (batches), or one row through several trees at once (a single row).  In
 * the preorder layout the left child of node i is i + 1.  The values are
 * rounded to binary32 once, as XGBoost compares them.
 */
#define WALK_BLOCK	64	  /* rows walked together through a tree */
#define WALK_TREES	8	  /* trees walked together by one row */
#define WALK_FLOATS 16384 /* the block's binary32 copy of its rows (64 kB) */

/* the child of global node g that binary32 value x goes to (node: its index in the tree) */
static inline int32_t
next_node(const pgl_trees *t, int64_t g, int32_t node, float x)
{
	/* without branches: which way a row goes is unpredictable */
	int32_t left = (x < t->split_threshold[g]) | ((x != x) & (t->default_left[g] != 0));
	int32_t right = t->right_child[g];

	return right + ((node + 1 - right) & -left);
}

/* nb rows (xb: row-major nb x p, binary32) through tree tr: add each leaf to out (nb x k) */
static void
walk_block(const pgl_trees *t, int32_t tr, const float *xb, int32_t p, int32_t nb, double *out)
{
	const int64_t base = t->tree_offsets[tr];
	const int32_t k = t->n_groups, group = t->tree_group[tr];
	int32_t		  node[WALK_BLOCK];
	bool		  active = true;

	memset(node, 0, sizeof(int32_t) * (size_t) nb);
	while (active)
	{
		active = false;
		for (int32_t r = 0; r < nb; r++)
		{
			int64_t g = base + node[r];
			int32_t f = t->split_feature[g];

			if (f < 0)
				continue;
			node[r] = next_node(t, g, node[r], xb[(int64_t) r * p + f]);
			active = true;
		}
	}
	for (int32_t r = 0; r < nb; r++)
		out[(int64_t) r * k + group] += t->leaf_value[base + node[r]];
}

/* one row (x: p values, binary32) through every tree, WALK_TREES at a time: its k margins */
static void
walk_row(const pgl_trees *t, const float *x, double *row)
{
	for (int32_t t0 = 0; t0 < t->n_trees; t0 += WALK_TREES)
	{
		int32_t nt = t->n_trees - t0 < WALK_TREES ? t->n_trees - t0 : WALK_TREES;
		int32_t node[WALK_TREES] = {0};
		bool	active = true;

		while (active)
		{
			active = false;
			for (int32_t j = 0; j < nt; j++)
			{
				int64_t g = t->tree_offsets[t0 + j] + node[j];
				int32_t f = t->split_feature[g];

				if (f < 0)
					continue;
				node[j] = next_node(t, g, node[j], x[f]);
				active = true;
			}
		}
		for (int32_t j = 0; j < nt; j++)
			row[t->tree_group[t0 + j]] += t->leaf_value[t->tree_offsets[t0 + j] + node[j]];
	}
}

void
pgl_trees_predict_margin(const pgl_trees *t, const double *X, int64_t ld, int64_t n, double *out)
{
	const int32_t k = t->n_groups, p = t->n_inputs > 0 ? t->n_inputs : 1;
	const int32_t block = WALK_FLOATS / p < 1			 ? 1
						  : WALK_FLOATS / p > WALK_BLOCK ? WALK_BLOCK
														 : WALK_FLOATS / p;
	float		  xb[WALK_FLOATS];
	float		 *xrow = p <= WALK_FLOATS ? xb : NULL;

	for (int64_t i = 0; i < n * k; i++)
		out[i] = t->base_score[i % k];
	for (int64_t i0 = 0; i0 < n; i0 += block)
	{
		int32_t nb = n - i0 < block ? (int32_t) (n - i0) : block;

		if (xrow == NULL)
		{
			/* more inputs than the buffer holds: one row, read in place */
			for (int32_t tr = 0; tr < t->n_trees; tr++)
			{
				int64_t base = t->tree_offsets[tr];
				int32_t node = 0, f;

				while ((f = t->split_feature[base + node]) >= 0)
					node = next_node(t, base + node, node, (float) X[(int64_t) f * ld + i0]);
				out[i0 * k + t->tree_group[tr]] += t->leaf_value[base + node];
			}
			continue;
		}
		for (int32_t f = 0; f < t->n_inputs; f++)
			for (int32_t r = 0; r < nb; r++)
				xb[(int64_t) r * p + f] = (float) X[(int64_t) f * ld + i0 + r];
		if (nb < WALK_TREES)
			for (int32_t r = 0; r < nb; r++)
				walk_row(t, xb + (int64_t) r * p, out + (i0 + r) * k);
		else
			for (int32_t tr = 0; tr < t->n_trees; tr++)
				walk_block(t, tr, xb, p, nb, out + i0 * k);
	}
}

void
pgl_trees_apply_link(int32_t link, int64_t n, int32_t n_groups, double *v)
{
	int64_t total = n * n_groups;

	switch (link)
	{
		case PGL_TREES_LINK_SIGMOID:
			for (int64_t j = 0; j < total; j++)
				v[j] = v[j] >= 0 ? 1.0 / (1.0 + exp(-v[j])) : exp(v[j]) / (1.0 + exp(v[j]));
			break;
		case PGL_TREES_LINK_EXP:
			for (int64_t j = 0; j < total; j++)
				v[j] = exp(v[j]);
			break;
		case PGL_TREES_LINK_SOFTMAX:
			for (int64_t i = 0; i < n; i++)
			{
				double *row = v + i * n_groups, mx = row[0], sum = 0;

				for (int32_t g = 1; g < n_groups; g++)
					mx = row[g] > mx ? row[g] : mx;
				for (int32_t g = 0; g < n_groups; g++)
					sum += (row[g] = exp(row[g] - mx));
				for (int32_t g = 0; g < n_groups; g++)
					row[g] /= sum;
			}
			break;
		default:
			break;
	}
}

void
pgl_trees_predict(const pgl_trees *t, const double *X, int64_t ld, int64_t n, double *out)
{
	pgl_trees_predict_margin(t, X, ld, n, out);
	pgl_trees_apply_link(t->link, n, t->n_groups, out);
}

/* ---------- TreeSHAP ---------- */

typedef struct path_elem
{
	int32_t feature; /* -1 for the root's dummy element */
	double	zero_fraction;
	double	one_fraction;
	double	pweight;
} path_elem;

typedef struct shap_ctx
{
	const pgl_trees *t;
	int64_t			 base; /* the tree's first global node */
	const double	*X;
	int64_t			 ld;
	int64_t			 row;
	double			*phi; /* n_inputs contributions of the current row and group */
} shap_ctx;

/*
 * Fractions below SHAP_MIN_FRACTION count as 0, and a path's weight below
 * SHAP_MIN_WEIGHT ends it: the path's weights are products of fractions,
 * and unwinding divides by them, so weights near the bottom of the double
 * range (a crafted cover 1e-300 of its parent's) would lose every digit.
 * A real model's fractions are at least one row in the rows of its
 * training (about 1e-10 at the most rows), and its path weights above
 * 0.5^64; the same fractions give the base value (tree_mean), so the
 * contributions still add up to the margin.
 */
#define SHAP_MIN_FRACTION 1e-12
#define SHAP_MIN_WEIGHT	  1e-150

/* the fractions of the cover of node that go to its two children */
static inline void
child_fractions(const pgl_trees *t, int64_t g, int64_t base, double *left, double *right)
{
	double c = t->cover[g];

	if (c > 0)
	{
		*left = t->cover[base + t->left_child[g]] / c;
		*right = t->cover[base + t->right_child[g]] / c;
		if (*left < SHAP_MIN_FRACTION)
			*left = 0;
		if (*right < SHAP_MIN_FRACTION)
			*right = 0;
	}
	else
		*left = *right = 0.5;
}

static void
extend_path(path_elem *p, int d, double zero, double one, int32_t feature)
{
	p[d].feature = feature;
	p[d].zero_fraction = zero;
	p[d].one_fraction = one;
	p[d].pweight = d == 0 ? 1.0 : 0.0;
	for (int i = d - 1; i >= 0; i--)
	{
		p[i + 1].pweight += one * p[i].pweight * (i + 1) / (double) (d + 1);
		p[i].pweight = zero * p[i].pweight * (d - i) / (double) (d + 1);
	}
}

static void
unwind_path(path_elem *p, int d, int idx)
{
	double one = p[idx].one_fraction, zero = p[idx].zero_fraction;
	double next = p[d].pweight;

	for (int i = d - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double tmp = p[i].pweight;

			p[i].pweight = next * (d + 1) / ((double) (i + 1) * one);
			next = tmp - p[i].pweight * zero * (d - i) / (double) (d + 1);
		}
		else
			p[i].pweight = p[i].pweight * (d + 1) / (zero * (double) (d - i));
	}
	for (int i = idx; i < d; i++)
	{
		p[i].feature = p[i + 1].feature;
		p[i].zero_fraction = p[i + 1].zero_fraction;
		p[i].one_fraction = p[i + 1].one_fraction;
	}
}

/* the total permutation weight if element idx were unwound from the path */
static double
unwound_sum(const path_elem *p, int d, int idx)
{
	double one = p[idx].one_fraction, zero = p[idx].zero_fraction;
	double next = p[d].pweight, total = 0;

	for (int i = d - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double tmp = next * (d + 1) / ((double) (i + 1) * one);

			total += tmp;
			next = p[i].pweight - tmp * zero * (d - i) / (double) (d + 1);
		}
		else if (zero != 0)
			total += p[i].pweight / zero / ((d - i) / (double) (d + 1));
	}
	return total;
}

/*
 * Algorithm 2's RECURSE.  parent is the path so far (d elements used); this
 * call's path starts right after it, so the scratch holds one path per
 * depth.  A child whose zero and one fractions are both 0 contributes to no
 * v(S) and is skipped (this also avoids dividing by a zero fraction).
 */
static void
shap_recurse(const shap_ctx *c, int32_t node, const path_elem *parent, int d, double zero,
			 double one, int32_t feature)
{
	const pgl_trees *t = c->t;
	int64_t			 g = c->base + node;
	path_elem		*p = (path_elem *) parent + d + 1;
	int32_t			 f = t->split_feature[g];
	int32_t			 hot, cold;
	double			 fl, fr, in_zero = 1, in_one = 1;
	int				 idx;

	if (d > 0)
		memcpy(p, parent, sizeof(path_elem) * d);
	extend_path(p, d, zero, one, feature);
	if (f < 0)
	{
		for (int i = 1; i <= d; i++)
		{
			double w = unwound_sum(p, d, i);

			c->phi[p[i].feature] += w * (p[i].one_fraction - p[i].zero_fraction) * t->leaf_value[g];
		}
		return;
	}
	child_fractions(t, g, c->base, &fl, &fr);
	if (goes_left(c->X[(int64_t) f * c->ld + c->row], t->split_threshold[g], t->default_left[g]))
		hot = t->left_child[g], cold = t->right_child[g];
	else
	{
		hot = t->right_child[g], cold = t->left_child[g];
		double tmp = fl;
		fl = fr;
		fr = tmp;
	}
	/* fl is now the hot child's fraction, fr the cold one's */
	for (idx = 1; idx <= d; idx++)
		if (p[idx].feature == f)
			break;
	if (idx <= d)
	{
		in_zero = p[idx].zero_fraction;
		in_one = p[idx].one_fraction;
		unwind_path(p, d, idx);
		d--;
	}
	if (fl * in_zero >= SHAP_MIN_WEIGHT || in_one != 0)
		shap_recurse(c, hot, p, d + 1, fl * in_zero < SHAP_MIN_WEIGHT ? 0 : fl * in_zero, in_one,
					 f);
	if (fr * in_zero >= SHAP_MIN_WEIGHT)
		shap_recurse(c, cold, p, d + 1, fr * in_zero, 0, f);
}

/*
 * w times the cover-weighted mean leaf value of the subtree at node (v of no
 * feature), leaving out the paths TreeSHAP leaves out (weight below
 * SHAP_MIN_WEIGHT)
 */
static double
tree_mean(const pgl_trees *t, int64_t base, int32_t node, double w)
{
	int64_t g = base + node;
	double	fl, fr;

	if (w < SHAP_MIN_WEIGHT)
		return 0;
	if (t->split_feature[g] < 0)
		return w * t->leaf_value[g];
	child_fractions(t, g, base, &fl, &fr);
	return tree_mean(t, base, t->left_child[g], w * fl) +
		   tree_mean(t, base, t->right_child[g], w * fr);
}

pgl_rc
pgl_trees_shap(const pgl_env *env, const pgl_trees *t, const double *X, int64_t ld, int64_t n,
			   double *out, pgl_status *st)
{
	const int	 D = PGL_TREES_MAX_DEPTH + 2;
	const size_t width = (size_t) t->n_inputs + 1;
	const size_t per_row = width * (size_t) t->n_groups;
	path_elem	*scratch = pgl_alloc(env, sizeof(path_elem) * (size_t) (D * (D + 1) / 2 + D));
	double	*means = pgl_alloc(env, sizeof(double) * (size_t) (t->n_trees > 0 ? t->n_trees : 1));
	shap_ctx c;

	if (scratch == NULL || means == NULL)
	{
		pgl_free(env, scratch);
		pgl_free(env, means);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int32_t k = 0; k < t->n_trees; k++)
		means[k] = tree_mean(t, t->tree_offsets[k], 0, 1.0);
	c.t = t;
	c.X = X;
	c.ld = ld;
	for (int64_t i = 0; i < n; i++)
	{
		double *row = out + (size_t) i * per_row;

		pgl_interrupts(env);
		memset(row, 0, sizeof(double) * per_row);
		for (int32_t g = 0; g < t->n_groups; g++)
			row[g * width + t->n_inputs] = t->base_score[g];
		c.row = i;
		for (int32_t k = 0; k < t->n_trees; k++)
		{
			c.base = t->tree_offsets[k];
			c.phi = row + (size_t) t->tree_group[k] * width;
			c.phi[t->n_inputs] += means[k];
			/* the root's path is scratch + 1 (parent = scratch, d = 0) */
			shap_recurse(&c, 0, scratch, 0, 1.0, 1.0, -1);
		}
	}
	pgl_free(env, scratch);
	pgl_free(env, means);
	return PGL_OK;
}

void
pgl_trees_split_stats(const pgl_trees *t, const double *gain, double *weight, double *total_gain,
					  double *total_cover)
{
	for (int32_t j = 0; j < t->n_inputs; j++)
		weight[j] = total_gain[j] = total_cover[j] = 0;
	for (int64_t i = 0; i < t->n_nodes; i++)
	{
		int32_t f = t->split_feature[i];

		if (f < 0)
			continue;
		weight[f] += 1;
		total_gain[f] += gain[i];
		total_cover[f] += t->cover[i];
	}
}
