/*-------------------------------------------------------------------------
 *
 * ops_ml_trees.c
 *	  ai.onnx.ml TreeEnsembleRegressor and TreeEnsembleClassifier (opsets
 *	  1 to 3): what pg_learn's tree models export as, and what skl2onnx and
 *	  onnxmltools write for tree ensembles.
 *
 * The static check reads the node arrays once (nodes_*, and target_* or
 * class_*, each of the same length as its kind), sorts the nodes by (tree
 * id, node id), resolves every branch's two children to node indexes,
 * finds each tree's root (the one node nobody points to), requires every
 * weight on a leaf and every target or class id in range, and keeps the
 * result in n->state.  A node has at most one parent, so a walk from a
 * root cannot loop.  The kernels walk each row through each tree: a NaN
 * follows nodes_missing_value_tracks_true, else the node's mode
 * (BRANCH_LEQ, LT, GTE, GT, EQ, NEQ) compares the value, in the input's
 * precision, with the float threshold.  Leaves' weights are aggregated in
 * double per target (regressor: SUM, AVERAGE, MIN, MAX; classifier: SUM),
 * base_values added, then post_transform (NONE, LOGISTIC, SOFTMAX).  The
 * classifier's label is the class of the highest score among the classes
 * that got a weight or a base value (the first on a tie), as ONNX Runtime
 * gives it.  Refused: the *_as_tensor attributes (opset 3's double
 * variants), SOFTMAX_ZERO and PROBIT, string class labels (no string
 * tensors), and two-class classifiers (runtimes differ on them).
 *
 *-------------------------------------------------------------------------
 */
#include "ox_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum
{
	M_LEAF = 0,
	M_LEQ,
	M_LT,
	M_GTE,
	M_GT,
	M_EQ,
	M_NEQ
};

enum
{
	AGG_SUM = 0,
	AGG_AVERAGE,
	AGG_MIN,
	AGG_MAX
};

enum
{
	POST_NONE = 0,
	POST_LOGISTIC,
	POST_SOFTMAX
};

typedef struct tr_node
{
	int64_t feat;
	float	value;
	int32_t mode;
	int32_t yes, no; /* node indexes (sorted order) */
	int32_t miss_yes;
	int32_t w0, nw; /* weights w0 .. w0 + nw - 1 */
	int32_t parents;
} tr_node;

typedef struct tr_state
{
	int32_t		   n_nodes, n_trees, n_targets, n_weights;
	tr_node		  *nodes;
	int32_t		  *roots;
	int32_t		  *w_target;
	double		  *w_value;
	double		  *base;
	int64_t		   max_feat; /* the highest feature index used, -1 if none */
	int32_t		   agg, post;
	bool		   has_base; /* base_values given */
	const int64_t *labels;	 /* classifier: classlabels_int64s (n_targets), owned by the node */
} tr_state;

typedef struct tr_key
{
	int64_t tree, node;
	int32_t orig;
} tr_key;

static int
key_cmp(const void *a, const void *b)
{
	const tr_key *x = a, *y = b;

	if (x->tree != y->tree)
		return x->tree < y->tree ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return 0;
}

/* the sorted index of (tree, node), or -1 */
static int32_t
find(const tr_key *keys, int32_t n, int64_t tree, int64_t node)
{
	tr_key	k = {tree, node, 0};
	tr_key *f = bsearch(&k, keys, (size_t) n, sizeof(tr_key), key_cmp);

	return f ? (int32_t) (f - keys) : -1;
}

static int
pick(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static pgl_rc
bad(pgl_status *st, const pgl_ox_node *n, const char *what)
{
	return pgl_ox_fail(st, PGL_ERR_INVALID,
					   "Each nodes_* attribute has one entry per node, each target_* one per "
					   "leaf weight; children and weights name (tree id, node id) pairs of the "
					   "node arrays.",
					   "%s node \"%s\": %s", n->op_type, n->name, what);
}

/* the attributes that are the same length as nodes_nodeids, and the sort */
static pgl_rc
read_nodes(const pgl_ox_model *m, const pgl_ox_node *n, tr_state *s, tr_key **keys_out,
		   pgl_status *st)
{
	static const char *const modes[] = {"LEAF",		 "BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE",
										"BRANCH_GT", "BRANCH_EQ",  "BRANCH_NEQ"};
	const int64_t			*tid, *nid, *fid, *tn, *fn, *miss = NULL;
	const float				*vals;
	const pgl_ox_attr		*ma = pgl_ox_attr_find(n, "nodes_modes");
	int32_t					 N = pgl_ox_attr_ints(n, "nodes_nodeids", &nid);
	tr_key					*keys;

	if (N < 1 || pgl_ox_attr_ints(n, "nodes_treeids", &tid) != N ||
		pgl_ox_attr_ints(n, "nodes_featureids", &fid) != N ||
		pgl_ox_attr_ints(n, "nodes_truenodeids", &tn) != N ||
		pgl_ox_attr_ints(n, "nodes_falsenodeids", &fn) != N ||
		pgl_ox_attr_floats(n, "nodes_values", &vals) != N || !ma ||
		ma->type != PGL_OX_ATTR_STRINGS || ma->n != N)
		return bad(st, n, "the nodes_* attributes are missing or of different lengths");
	if (pgl_ox_attr_find(n, "nodes_missing_value_tracks_true") &&
		pgl_ox_attr_ints(n, "nodes_missing_value_tracks_true", &miss) != N)
		return bad(st, n, "nodes_missing_value_tracks_true does not have one entry per node");
	s->n_nodes = N;
	s->nodes = pgl_ox_state_alloc(m, sizeof(tr_node) * (size_t) N, st);
	keys = pgl_alloc(m->env, sizeof(tr_key) * (size_t) N);
	if (!s->nodes || !keys)
	{
		if (keys)
			pgl_free(m->env, keys);
		return pgl_ox_fail(st, PGL_ERR_NOMEM, "", "out of memory for a tree ensemble");
	}
	for (int32_t i = 0; i < N; i++)
		keys[i] = (tr_key){tid[i], nid[i], i};
	qsort(keys, (size_t) N, sizeof(tr_key), key_cmp);
	for (int32_t i = 0; i < N; i++)
	{
		int32_t	 o = keys[i].orig;
		tr_node *d = &s->nodes[i];

		if (i > 0 && key_cmp(&keys[i - 1], &keys[i]) == 0)
		{
			pgl_free(m->env, keys);
			return bad(st, n, "a (tree id, node id) pair is given twice");
		}
		d->mode = pick(ma->strings[o], modes, 7);
		if (d->mode < 0)
		{
			pgl_free(m->env, keys);
			return bad(st, n, "a nodes_modes entry is not LEAF or BRANCH_LEQ/LT/GTE/GT/EQ/NEQ");
		}
		d->feat = fid[o];
		d->value = vals[o];
		d->miss_yes = miss ? miss[o] != 0 : 0;
		d->yes = (int32_t) tn[o]; /* the ids for now: resolved below */
		d->no = (int32_t) fn[o];
		if (d->mode != M_LEAF &&
			(fid[o] < 0 || tn[o] < 0 || fn[o] < 0 || tn[o] > INT32_MAX || fn[o] > INT32_MAX))
		{
			pgl_free(m->env, keys);
			return bad(st, n, "a branch has a negative feature or child id");
		}
	}
	*keys_out = keys;
	return PGL_OK;
}

/* children to indexes, parents counted, roots found */
static pgl_rc
link_nodes(const pgl_ox_model *m, const pgl_ox_node *n, tr_state *s, const tr_key *keys,
		   pgl_status *st)
{
	int32_t N = s->n_nodes, t = 0;

	s->max_feat = -1;
	for (int32_t i = 0; i < N; i++)
	{
		tr_node *d = &s->nodes[i];

		if (i == 0 || keys[i].tree != keys[i - 1].tree)
			s->n_trees++;
		if (d->mode == M_LEAF)
			continue;
		d->yes = find(keys, N, keys[i].tree, d->yes);
		d->no = find(keys, N, keys[i].tree, d->no);
		if (d->yes < 0 || d->no < 0)
			return bad(st, n, "a branch's child is not a node of its tree");
		if (++s->nodes[d->yes].parents > 1 || ++s->nodes[d->no].parents > 1 || d->yes == i ||
			d->no == i)
			return bad(st, n, "a node has more than one parent: the trees are not trees");
		if (d->feat > s->max_feat)
			s->max_feat = d->feat;
	}
	s->roots = pgl_ox_state_alloc(m, sizeof(int32_t) * (size_t) s->n_trees, st);
	if (!s->roots)
		return st->rc;
	/* the trees are runs of the sorted nodes: one root each */
	for (int32_t a = 0, b; a < N; a = b, t++)
	{
		int32_t roots = 0;

		for (b = a; b < N && keys[b].tree == keys[a].tree; b++)
			if (s->nodes[b].parents == 0)
			{
				s->roots[t] = b;
				roots++;
			}
		if (roots != 1)
			return bad(st, n, "a tree does not have exactly one root");
	}
	return PGL_OK;
}

/* the target_* (class_*) weights, on leaves, grouped by leaf */
static pgl_rc
read_weights(const pgl_ox_model *m, const pgl_ox_node *n, tr_state *s, const tr_key *keys, bool cls,
			 pgl_status *st)
{
	const int64_t *tt, *tnode, *tid;
	const float	  *tw;
	int32_t		   W = pgl_ox_attr_ints(n, cls ? "class_nodeids" : "target_nodeids", &tnode);
	int32_t		  *leaf_of, pos = 0;

	if (W < 1 || pgl_ox_attr_ints(n, cls ? "class_treeids" : "target_treeids", &tt) != W ||
		pgl_ox_attr_ints(n, cls ? "class_ids" : "target_ids", &tid) != W ||
		pgl_ox_attr_floats(n, cls ? "class_weights" : "target_weights", &tw) != W)
		return bad(st, n,
				   cls ? "the class_* attributes are missing or of different lengths"
					   : "the target_* attributes are missing or of different lengths");
	s->n_weights = W;
	s->w_target = pgl_ox_state_alloc(m, sizeof(int32_t) * (size_t) W, st);
	s->w_value = pgl_ox_state_alloc(m, sizeof(double) * (size_t) W, st);
	leaf_of = pgl_ox_state_alloc(m, sizeof(int32_t) * (size_t) W, st);
	if (!s->w_target || !s->w_value || !leaf_of)
		return st->rc;
	for (int32_t j = 0; j < W; j++)
	{
		int32_t i = find(keys, s->n_nodes, tt[j], tnode[j]);

		if (i < 0 || s->nodes[i].mode != M_LEAF)
			return bad(st, n, "a target weight is not on a leaf of the node arrays");
		if (tid[j] < 0 || tid[j] >= s->n_targets)
			return bad(st, n,
					   cls ? "a class id is outside the class labels"
						   : "a target id is outside [0, n_targets)");
		leaf_of[j] = i;
		s->nodes[i].nw++;
	}
	for (int32_t i = 0; i < s->n_nodes; i++)
	{
		s->nodes[i].w0 = pos;
		pos += s->nodes[i].nw;
		s->nodes[i].nw = 0;
	}
	for (int32_t j = 0; j < W; j++)
	{
		tr_node *d = &s->nodes[leaf_of[j]];
		int32_t	 at = d->w0 + d->nw++;

		s->w_target[at] = (int32_t) tid[j];
		s->w_value[at] = tw[j];
	}
	return PGL_OK;
}

/* what both ops share: the refused attributes, post_transform, base_values, nodes, weights */
static pgl_rc
check_common(const pgl_ox_model *m, pgl_ox_node *n, tr_state *s, bool cls, pgl_status *st)
{
	static const char *const posts[] = {"NONE", "LOGISTIC", "SOFTMAX"};
	static const char *const tensors[] = {"base_values_as_tensor", "nodes_hitrates_as_tensor",
										  "nodes_values_as_tensor", "target_weights_as_tensor",
										  "class_weights_as_tensor"};
	tr_key					*keys = NULL;
	const float				*base;
	int32_t					 nb;
	pgl_rc					 rc;

	for (int i = 0; i < 5; i++)
		if (pgl_ox_attr_find(n, tensors[i]))
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Give the float attributes instead.",
							   "unsupported %s attribute %s (node \"%s\")", n->op_type, tensors[i],
							   n->name);
	s->post = pick(pgl_ox_attr_string(n, "post_transform", "NONE"), posts, 3);
	if (s->post < 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "post_transform NONE, LOGISTIC or SOFTMAX.",
						   "unsupported %s post_transform %s (node \"%s\")", n->op_type,
						   pgl_ox_attr_string(n, "post_transform", "NONE"), n->name);
	nb = pgl_ox_attr_floats(n, "base_values", &base);
	if (nb >= 0 && nb != s->n_targets)
		return bad(st, n, "base_values does not have one entry per target or class");
	s->has_base = nb > 0;
	s->base = pgl_ox_state_alloc(m, sizeof(double) * (size_t) s->n_targets, st);
	if (!s->base)
		return st->rc;
	for (int32_t j = 0; j < s->n_targets && nb > 0; j++)
		s->base[j] = base[j];
	rc = read_nodes(m, n, s, &keys, st);
	if (rc == PGL_OK)
		rc = link_nodes(m, n, s, keys, st);
	if (rc == PGL_OK)
		rc = read_weights(m, n, s, keys, cls, st);
	if (keys)
		pgl_free(m->env, keys);
	if (rc == PGL_OK)
		n->state = s;
	return rc;
}

pgl_rc
pgl_ox_c_tree_regressor(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	static const char *const aggs[] = {"SUM", "AVERAGE", "MIN", "MAX"};
	tr_state				*s = pgl_ox_state_alloc(m, sizeof(tr_state), st);
	int64_t					 k = pgl_ox_attr_int(n, "n_targets", 1);

	if (!s)
		return st->rc;
	s->agg = pick(pgl_ox_attr_string(n, "aggregate_function", "SUM"), aggs, 4);
	if (s->agg < 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "aggregate_function SUM, AVERAGE, MIN or MAX.",
						   "unsupported TreeEnsembleRegressor aggregate_function %s (node \"%s\")",
						   pgl_ox_attr_string(n, "aggregate_function", "SUM"), n->name);
	if (k < 1 || k > 1000000)
		return bad(st, n, "n_targets is not between 1 and 1000000");
	s->n_targets = (int32_t) k;
	return check_common(m, n, s, false, st);
}

/*
 * TreeEnsembleClassifier: classes by classlabels_int64s, three or more.
 * Two classes are refused: runtimes read a two-class ensemble each in
 * their own way (one class's weights as the margin of both, base values
 * used or not), and string labels need string tensors.
 */
pgl_rc
pgl_ox_c_tree_classifier(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	tr_state *s = pgl_ox_state_alloc(m, sizeof(tr_state), st);
	int32_t	  k;

	if (!s)
		return st->rc;
	if (pgl_ox_attr_find(n, "classlabels_strings"))
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "String tensors are not supported: give classlabels_int64s (skl2onnx: "
						   "train on integer labels).",
						   "unsupported TreeEnsembleClassifier with string labels (node \"%s\")",
						   n->name);
	k = pgl_ox_attr_ints(n, "classlabels_int64s", &s->labels);
	if (k < 0 || k > 1000000)
		return bad(st, n, "classlabels_int64s is missing");
	if (k < 3)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "Runtimes differ on a two-class tree ensemble; export its margin with "
						   "TreeEnsembleRegressor and a Sigmoid.",
						   "unsupported TreeEnsembleClassifier with %d classes (node \"%s\")",
						   (int) k, n->name);
	s->n_targets = k;
	s->agg = AGG_SUM;
	return check_common(m, n, s, true, st);
}

static inline bool
goes_yes(int32_t mode, double x, double v)
{
	switch (mode)
	{
		case M_LEQ:
			return x <= v;
		case M_LT:
			return x < v;
		case M_GTE:
			return x >= v;
		case M_GT:
			return x > v;
		case M_EQ:
			return x == v;
		default:
			return x != v;
	}
}

/* one row's scores (acc: n_targets values, seen: flags for MIN / MAX) */
static void
walk_row(const tr_state *s, const float *xf, const double *xd, double *acc, uint8_t *seen)
{
	for (int32_t t = 0; t < s->n_trees; t++)
	{
		const tr_node *d = &s->nodes[s->roots[t]];

		while (d->mode != M_LEAF)
		{
			double x = xf ? (double) xf[d->feat] : xd[d->feat];
			bool   yes = isnan(x) ? d->miss_yes != 0
								  : (xf ? goes_yes(d->mode, (float) x, d->value)
										: goes_yes(d->mode, x, (double) d->value));

			d = &s->nodes[yes ? d->yes : d->no];
		}
		for (int32_t w = d->w0; w < d->w0 + d->nw; w++)
		{
			int32_t j = s->w_target[w];
			double	v = s->w_value[w];

			if (s->agg == AGG_MIN)
				acc[j] = seen[j] && acc[j] < v ? acc[j] : v;
			else if (s->agg == AGG_MAX)
				acc[j] = seen[j] && acc[j] > v ? acc[j] : v;
			else
				acc[j] += v;
			seen[j] = 1;
		}
	}
}

/* post_transform over a row's k scores, into out */
static void
transform_row(const tr_state *s, double *acc, float *out)
{
	int32_t k = s->n_targets;
	double	mx = -INFINITY, sum = 0;

	for (int32_t j = 0; j < k; j++)
	{
		if (s->post == POST_LOGISTIC)
			acc[j] = 1.0 / (1.0 + exp(-acc[j]));
		mx = acc[j] > mx ? acc[j] : mx;
	}
	if (s->post == POST_SOFTMAX)
	{
		for (int32_t j = 0; j < k; j++)
			sum += (acc[j] = exp(acc[j] - mx));
		for (int32_t j = 0; j < k; j++)
			acc[j] /= sum;
	}
	for (int32_t j = 0; j < k; j++)
		out[j] = (float) acc[j];
}

/* the input checks of both kernels; *rows, *F */
static pgl_rc
tree_input(const pgl_ox_node *n, const pgl_ox_tensor *X, int64_t *rows, int64_t *F, pgl_status *st)
{
	const tr_state *s = n->state;

	if ((X->dtype != PGL_OX_FLOAT && X->dtype != PGL_OX_DOUBLE) || X->ndim < 1 || X->ndim > 2)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float or double [N, F] tensor.",
						   "%s node \"%s\" got a %s input of rank %d", n->op_type, n->name,
						   pgl_ox_dtype_name(X->dtype), X->ndim);
	*rows = X->ndim == 2 ? X->dims[0] : 1;
	*F = X->dims[X->ndim - 1];
	if (s->max_feat >= *F)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Its input has fewer features than the trees use.",
						   "%s node \"%s\" splits on feature %lld of an input of %lld features",
						   n->op_type, n->name, (long long) s->max_feat, (long long) *F);
	return PGL_OK;
}

/* row r's scores into acc (seen: which targets got a weight) */
static void
walk(const tr_state *s, const pgl_ox_tensor *X, int64_t r, int64_t F, double *acc, uint8_t *seen)
{
	memset(acc, 0, sizeof(double) * (size_t) s->n_targets);
	memset(seen, 0, (size_t) s->n_targets);
	walk_row(s, X->dtype == PGL_OX_FLOAT ? (const float *) X->data + r * F : NULL,
			 X->dtype == PGL_OX_DOUBLE ? (const double *) X->data + r * F : NULL, acc, seen);
}

pgl_rc
pgl_ox_k_tree_regressor(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
						pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const tr_state *s = n->state;
	int64_t			rows, F, dims[2];
	double		   *acc;
	uint8_t		   *seen;

	(void) n_in;
	(void) n_out;
	if (tree_input(n, in[0], &rows, &F, st) != PGL_OK)
		return st->rc;
	dims[0] = rows;
	dims[1] = s->n_targets;
	acc = pgl_ox_scratch(x, sizeof(double) * (size_t) s->n_targets, st);
	seen = pgl_ox_scratch(x, (size_t) s->n_targets, st);
	if (!acc || !seen || pgl_ox_output(x, out[0], PGL_OX_FLOAT, 2, dims, st) != PGL_OK)
		return st->rc;
	for (int64_t r = 0; r < rows; r++)
	{
		walk(s, in[0], r, F, acc, seen);
		for (int32_t j = 0; j < s->n_targets; j++)
			acc[j] = (s->agg == AGG_AVERAGE ? acc[j] / s->n_trees : acc[j]) + s->base[j];
		transform_row(s, acc, (float *) out[0]->data + r * s->n_targets);
	}
	return PGL_OK;
}

/*
 * Per row: each class's summed weights plus its base value; the label is
 * the class with the highest score among those that got a weight or a
 * base value (the first on a tie); the scores go through post_transform.
 */
pgl_rc
pgl_ox_k_tree_classifier(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
						 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const tr_state *s = n->state;
	int32_t			k = s->n_targets;
	int64_t			rows, F, dims[2];
	double		   *acc;
	uint8_t		   *seen;

	(void) n_in;
	if (tree_input(n, in[0], &rows, &F, st) != PGL_OK)
		return st->rc;
	dims[0] = rows;
	dims[1] = k;
	acc = pgl_ox_scratch(x, sizeof(double) * (size_t) k, st);
	seen = pgl_ox_scratch(x, (size_t) k, st);
	if (!acc || !seen ||
		(out[0] && pgl_ox_output(x, out[0], PGL_OX_INT64, 1, dims, st) != PGL_OK) ||
		(n_out > 1 && out[1] && pgl_ox_output(x, out[1], PGL_OX_FLOAT, 2, dims, st) != PGL_OK))
		return st->rc;
	for (int64_t r = 0; r < rows; r++)
	{
		int32_t best = -1;

		walk(s, in[0], r, F, acc, seen);
		for (int32_t j = 0; j < k; j++)
		{
			if (s->has_base)
			{
				acc[j] += s->base[j];
				seen[j] = 1;
			}
			if (seen[j] && (best < 0 || acc[j] > acc[best]))
				best = j;
		}
		if (out[0])
			((int64_t *) out[0]->data)[r] = s->labels[best < 0 ? 0 : best];
		if (n_out > 1 && out[1])
			transform_row(s, acc, (float *) out[1]->data + r * k);
	}
	return PGL_OK;
}
