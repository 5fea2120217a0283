/*-------------------------------------------------------------------------
 *
 * xgb_json.c
 *	  XGBoost JSON models (the 1.7 schema) to and from the tree tensors of
 *	  trees.h; see xgb_json.h and docs/model-format.md.
 *
 * XGBoost stores each tree as parallel arrays indexed by its node ids, in
 * expansion order (a node's children anywhere after it, deleted nodes left
 * in place).  The reader renumbers every tree into our depth-first
 * preorder by walking it from the root with an explicit stack, refusing
 * cycles, shared children, out-of-range ids and trees deeper than
 * PGL_TREES_MAX_DEPTH as it goes; nodes the root does not reach are
 * dropped.
 *
 *-------------------------------------------------------------------------
 */
#include "xgb_json.h"

#include "json.h"
#include "trees.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* how XGBoost's base_score (a prediction) becomes a margin */
typedef enum base_map
{
	BASE_IDENTITY = 0,
	BASE_LOGIT = 1,
	BASE_LOG = 2
} base_map;

typedef struct objective_def
{
	const char *name;
	int32_t		link;  /* pgl_trees_link */
	int32_t		base;  /* base_map */
	const char *param; /* the parameter members the writer emits ("" for none) */
} objective_def;

#define REG_LOSS "\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}"

static const objective_def objectives[] = {
	{"reg:squarederror", PGL_TREES_LINK_IDENTITY, BASE_IDENTITY, REG_LOSS},
	{"reg:absoluteerror", PGL_TREES_LINK_IDENTITY, BASE_IDENTITY, ""},
	{"reg:pseudohubererror", PGL_TREES_LINK_IDENTITY, BASE_IDENTITY,
	 "\"pseudo_huber_param\":{\"huber_slope\":\"1\"}"},
	{"binary:logitraw", PGL_TREES_LINK_IDENTITY, BASE_IDENTITY, REG_LOSS},
	{"binary:logistic", PGL_TREES_LINK_SIGMOID, BASE_LOGIT, REG_LOSS},
	{"reg:logistic", PGL_TREES_LINK_SIGMOID, BASE_LOGIT, REG_LOSS},
	{"multi:softprob", PGL_TREES_LINK_SOFTMAX, BASE_IDENTITY, NULL},
	{"multi:softmax", PGL_TREES_LINK_SOFTMAX, BASE_IDENTITY, NULL},
	{"count:poisson", PGL_TREES_LINK_EXP, BASE_LOG,
	 "\"poisson_regression_param\":{\"max_delta_step\":\"0.699999988\"}"},
	{"reg:tweedie", PGL_TREES_LINK_EXP, BASE_LOG,
	 "\"tweedie_regression_param\":{\"tweedie_variance_power\":\"1.5\"}"},
	{"reg:gamma", PGL_TREES_LINK_EXP, BASE_LOG, ""},
};

#define N_OBJECTIVES ((int) (sizeof(objectives) / sizeof(objectives[0])))
#define OBJECTIVE_LIST                                                                             \
	"reg:squarederror, reg:absoluteerror, reg:pseudohubererror, binary:logitraw, "                 \
	"binary:logistic, reg:logistic, multi:softprob, multi:softmax, count:poisson, reg:tweedie, "   \
	"reg:gamma"

static const objective_def *
find_objective(const char *name)
{
	for (int i = 0; i < N_OBJECTIVES; i++)
		if (strcmp(objectives[i].name, name) == 0)
			return &objectives[i];
	return NULL;
}

/* the tensors, in the order the reader creates them */
enum
{
	T_PARAMS,
	T_OFFSETS,
	T_GROUP,
	T_BASE,
	T_FEATURE,
	T_THRESHOLD,
	T_DEFAULT_LEFT,
	T_LEFT,
	T_RIGHT,
	T_LEAF,
	T_COVER,
	T_GAIN,
	T_OBJECTIVE,
	N_TENSORS
};

static const struct
{
	const char *name;
	int32_t		dtype;
} tensor_defs[N_TENSORS] = {
	{"tree_params", PGL_I32},  {"tree_offsets", PGL_I64},  {"tree_group", PGL_I32},
	{"base_score", PGL_F64},   {"split_feature", PGL_I32}, {"split_threshold", PGL_F32},
	{"default_left", PGL_I32}, {"left_child", PGL_I32},	   {"right_child", PGL_I32},
	{"leaf_value", PGL_F64},   {"cover", PGL_F64},		   {"split_gain", PGL_F64},
	{"objective", PGL_STR},
};

/* ---------- reading ---------- */

typedef struct reader
{
	const pgl_env *env;
	pgl_status	  *st;
	int32_t		   num_feature;
	int32_t		   k;
	pgl_tensor	  *t;		/* N_TENSORS, being filled */
	int64_t		   n_nodes; /* nodes written so far */
	char		  *visited; /* per xgboost node id of the current tree */
} reader;

static pgl_rc bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static pgl_rc
bad(reader *r, const char *fmt, ...)
{
	char	msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pgl_fail(r->st, PGL_ERR_INVALID, "invalid XGBoost JSON model: %s", msg);
}

static pgl_rc
nomem(reader *r)
{
	return pgl_fail(r->st, PGL_ERR_NOMEM, "out of memory while reading an XGBoost JSON model");
}

/* member key of obj, which must exist and have the given type */
static const pgl_json *
member(reader *r, const pgl_json *obj, const char *objname, const char *key, int32_t type)
{
	const pgl_json *v = pgl_json_get(obj, key);

	if (v == NULL)
	{
		bad(r, "%s has no \"%s\"", objname, key);
		return NULL;
	}
	if (v->type != type)
	{
		bad(r, "%s.%s is a %s, expected a %s", objname, key, pgl_json_type_name(v->type),
			pgl_json_type_name(type));
		return NULL;
	}
	return v;
}

/*
 * A number that XGBoost may write as a JSON number, as a string holding
 * one ("5E-1"), or (2.x) as a string holding a one-element array ("[5E-1]").
 */
static bool
number_value(reader *r, const pgl_json *v, double *out)
{
	pgl_json_doc   *doc;
	pgl_status		ignore;
	const pgl_json *x;
	bool			ok = false;

	if (v->type == PGL_JSON_NUMBER)
	{
		*out = v->u.num;
		return true;
	}
	if (v->type != PGL_JSON_STRING || v->n == 0 || v->n > 64)
		return false;
	if (pgl_json_parse(r->env, v->u.str, (size_t) v->n, &doc, &ignore) != PGL_OK)
		return false;
	x = &doc->root;
	if (x->type == PGL_JSON_ARRAY && x->n == 1)
		x = &x->u.items[0];
	if (x->type == PGL_JSON_NUMBER)
	{
		*out = x->u.num;
		ok = true;
	}
	pgl_json_free(doc);
	return ok;
}

/* an integer parameter in [lo, hi]: absent gives dflt when dflt >= lo */
static pgl_rc
int_param(reader *r, const pgl_json *obj, const char *objname, const char *key, int64_t lo,
		  int64_t hi, int64_t dflt, int32_t *out)
{
	const pgl_json *v = pgl_json_get(obj, key);
	double			d;

	if (v == NULL)
	{
		if (dflt < lo)
			return bad(r, "%s has no \"%s\"", objname, key);
		*out = (int32_t) dflt;
		return PGL_OK;
	}
	if (!number_value(r, v, &d) || d != floor(d))
		return bad(r, "%s.%s is not an integer", objname, key);
	if (d < (double) lo || d > (double) hi)
		return bad(r, "%s.%s is %.17g, expected %lld to %lld", objname, key, d, (long long) lo,
				   (long long) hi);
	*out = (int32_t) d;
	return PGL_OK;
}

/* integer element i of an array of numbers (already checked to be an array) */
static bool
int_at(const pgl_json *a, int32_t i, int64_t *out)
{
	const pgl_json *v = &a->u.items[i];

	if (v->type == PGL_JSON_TRUE || v->type == PGL_JSON_FALSE)
	{
		*out = v->type == PGL_JSON_TRUE;
		return true;
	}
	if (v->type != PGL_JSON_NUMBER || v->u.num != floor(v->u.num) || fabs(v->u.num) > 4e18)
		return false;
	*out = (int64_t) v->u.num;
	return true;
}

static bool
num_at(const pgl_json *a, int32_t i, double *out)
{
	if (a->u.items[i].type != PGL_JSON_NUMBER)
		return false;
	*out = a->u.items[i].u.num;
	return true;
}

/* the arrays of one xgboost tree */
typedef struct tree_in
{
	int32_t			id;
	int32_t			n;
	const pgl_json *left, *right, *feat, *cond, *dl, *hess, *gain, *stype;
} tree_in;

static pgl_rc
tree_array(reader *r, const pgl_json *tree, int32_t id, const char *key, bool required, int32_t n,
		   const pgl_json **out)
{
	const pgl_json *v = pgl_json_get(tree, key);

	*out = NULL;
	if (v == NULL)
		return required ? bad(r, "tree %d has no \"%s\"", (int) id, key) : PGL_OK;
	if (v->type != PGL_JSON_ARRAY)
		return bad(r, "tree %d: \"%s\" is a %s, expected an array", (int) id, key,
				   pgl_json_type_name(v->type));
	if (n >= 0 && v->n != n)
		return bad(r, "tree %d: \"%s\" has %d elements, expected %d (one per node)", (int) id, key,
				   (int) v->n, (int) n);
	*out = v;
	return PGL_OK;
}

/* look up and size-check the arrays of a tree; refuse what we cannot represent */
static pgl_rc
tree_open(reader *r, const pgl_json *tree, int32_t id, tree_in *ti)
{
	const pgl_json *param, *cats;
	int32_t			slv;
	pgl_rc			rc;

	memset(ti, 0, sizeof(*ti));
	ti->id = id;
	if (tree->type != PGL_JSON_OBJECT)
		return bad(r, "tree %d is a %s, expected an object", (int) id,
				   pgl_json_type_name(tree->type));
	if ((param = pgl_json_get(tree, "tree_param")) != NULL &&
		(rc = int_param(r, param, "tree_param", "size_leaf_vector", 0, INT32_MAX, 0, &slv)) !=
			PGL_OK)
		return rc;
	if (param != NULL && slv != 0)
		return bad(r, "tree %d has vector leaves (size_leaf_vector %d), which are not supported",
				   (int) id, (int) slv);
	if ((cats = pgl_json_get(tree, "categories_nodes")) != NULL && cats->type == PGL_JSON_ARRAY &&
		cats->n > 0)
		return bad(r, "tree %d has categorical splits, which are not supported", (int) id);
	if ((rc = tree_array(r, tree, id, "left_children", true, -1, &ti->left)) != PGL_OK)
		return rc;
	ti->n = ti->left->n;
	if (ti->n < 1)
		return bad(r, "tree %d has no nodes", (int) id);
	if ((rc = tree_array(r, tree, id, "right_children", true, ti->n, &ti->right)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "split_indices", true, ti->n, &ti->feat)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "split_conditions", true, ti->n, &ti->cond)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "default_left", true, ti->n, &ti->dl)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "sum_hessian", true, ti->n, &ti->hess)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "loss_changes", true, ti->n, &ti->gain)) != PGL_OK ||
		(rc = tree_array(r, tree, id, "split_type", false, ti->n, &ti->stype)) != PGL_OK)
		return rc;
	return PGL_OK;
}

/* write node x (an xgboost id) of ti at output position o */
static pgl_rc
convert_node(reader *r, const tree_in *ti, int32_t x, int64_t o, bool *leaf)
{
	int64_t left, right, f, dl = 0, stype = 0;
	double	cond, hess, gain;
	float	c32;

	if (!int_at(ti->left, x, &left) || !int_at(ti->right, x, &right))
		return bad(r, "tree %d node %d: children are not integers", (int) ti->id, (int) x);
	if (!int_at(ti->feat, x, &f) || !num_at(ti->cond, x, &cond) || !int_at(ti->dl, x, &dl) ||
		!num_at(ti->hess, x, &hess) || !num_at(ti->gain, x, &gain) ||
		(ti->stype && !int_at(ti->stype, x, &stype)))
		return bad(r,
				   "tree %d node %d: split_indices, split_conditions, default_left, sum_hessian, "
				   "loss_changes or split_type is not a number",
				   (int) ti->id, (int) x);
	if (stype != 0)
		return bad(r,
				   "tree %d node %d is a categorical split (split_type %lld), which is not "
				   "supported",
				   (int) ti->id, (int) x, (long long) stype);
	/* XGBoost keeps these in binary32: so do we, which makes them round-trip */
	hess = (double) (float) hess;
	gain = (double) (float) gain;
	if (!(hess >= 0.0) || !isfinite(hess))
		return bad(r, "tree %d node %d has sum_hessian %g, expected a finite value >= 0",
				   (int) ti->id, (int) x, hess);
	if (!isfinite(gain))
		return bad(r, "tree %d node %d has loss_change %g, outside the float range", (int) ti->id,
				   (int) x, gain);
	c32 = (float) cond;
	if (!isfinite(c32))
		return bad(r, "tree %d node %d has split condition %g, outside the float range",
				   (int) ti->id, (int) x, cond);
	*leaf = left == -1;
	((double *) r->t[T_COVER].data)[o] = hess;
	if (*leaf)
	{
		if (right != -1)
			return bad(r, "tree %d node %d has a right child (%lld) but no left child",
					   (int) ti->id, (int) x, (long long) right);
		((int32_t *) r->t[T_FEATURE].data)[o] = -1;
		((float *) r->t[T_THRESHOLD].data)[o] = 0.0f;
		((int32_t *) r->t[T_DEFAULT_LEFT].data)[o] = 0;
		((int32_t *) r->t[T_LEFT].data)[o] = -1;
		((int32_t *) r->t[T_RIGHT].data)[o] = -1;
		((double *) r->t[T_LEAF].data)[o] = (double) c32;
		((double *) r->t[T_GAIN].data)[o] = 0.0;
		return PGL_OK;
	}
	if (left < 0 || left >= ti->n || right < 0 || right >= ti->n)
		return bad(r, "tree %d node %d has children (%lld, %lld), expected node ids 0 to %d",
				   (int) ti->id, (int) x, (long long) left, (long long) right, (int) ti->n - 1);
	if (f < 0 || f >= r->num_feature)
		return bad(r, "tree %d node %d splits on feature %lld, but the model has %d features",
				   (int) ti->id, (int) x, (long long) f, (int) r->num_feature);
	if (dl != 0 && dl != 1)
		return bad(r, "tree %d node %d has default_left %lld, expected 0 or 1", (int) ti->id,
				   (int) x, (long long) dl);
	((int32_t *) r->t[T_FEATURE].data)[o] = (int32_t) f;
	((float *) r->t[T_THRESHOLD].data)[o] = c32;
	((int32_t *) r->t[T_DEFAULT_LEFT].data)[o] = (int32_t) dl;
	((double *) r->t[T_LEAF].data)[o] = 0.0;
	((double *) r->t[T_GAIN].data)[o] = gain;
	return PGL_OK;
}

/*
 * Walk tree ti from its root in depth-first preorder and append its nodes.
 * The stack holds the nodes still to visit, each with its depth and the
 * output position of its parent (whose child index it fills in).
 */
static pgl_rc
convert_tree(reader *r, const tree_in *ti)
{
	struct
	{
		int32_t x, depth, side;
		int64_t parent;
	} stack[2 * PGL_TREES_MAX_DEPTH + 4];
	int		sp = 0;
	int64_t base = r->n_nodes;
	pgl_rc	rc;

	memset(r->visited, 0, (size_t) ti->n);
	stack[sp].x = 0;
	stack[sp].depth = 0;
	stack[sp].parent = -1;
	stack[sp++].side = 0;
	while (sp > 0)
	{
		int32_t x = stack[--sp].x, depth = stack[sp].depth;
		int64_t o = r->n_nodes++;
		bool	leaf;

		if (r->visited[x])
			return bad(r, "tree %d node %d is reached twice (a cycle or a shared child)",
					   (int) ti->id, (int) x);
		r->visited[x] = 1;
		if (stack[sp].parent >= 0)
			((int32_t *) r->t[stack[sp].side ? T_RIGHT : T_LEFT].data)[stack[sp].parent] =
				(int32_t) (o - base);
		if ((rc = convert_node(r, ti, x, o, &leaf)) != PGL_OK)
			return rc;
		/* a child sees a subset of its parent's rows (trees.h, PGL_TREES_COVER_SLACK) */
		if (stack[sp].parent >= 0)
		{
			const double *cover = r->t[T_COVER].data;
			double		  pc = cover[stack[sp].parent];

			if (cover[o] > pc + pc * PGL_TREES_COVER_SLACK)
				return bad(r, "tree %d node %d has sum_hessian %g, above its parent's %g",
						   (int) ti->id, (int) x, cover[o], pc);
		}
		if (leaf)
			continue;
		if (depth >= PGL_TREES_MAX_DEPTH)
			return bad(r, "tree %d is deeper than %d at node %d", (int) ti->id, PGL_TREES_MAX_DEPTH,
					   (int) x);
		for (int side = 1; side >= 0; side--)
		{
			int64_t c = 0;

			int_at(side ? ti->right : ti->left, x, &c);
			stack[sp].x = (int32_t) c;
			stack[sp].depth = depth + 1;
			stack[sp].parent = o;
			stack[sp++].side = side;
		}
	}
	return PGL_OK;
}

/* learner_model_param and the objective: num_feature, k, base score, link */
static pgl_rc
read_learner_params(reader *r, const pgl_json *learner, const pgl_model *m, pgl_xgb_info *info,
					const objective_def **obj, double *base)
{
	const pgl_json *lmp, *o, *name, *bs;
	int32_t			num_target;
	pgl_rc			rc;
	double			p;

	if ((lmp = member(r, learner, "learner", "learner_model_param", PGL_JSON_OBJECT)) == NULL)
		return r->st->rc;
	if ((rc = int_param(r, lmp, "learner_model_param", "num_feature", 0, INT32_MAX, -1,
						&info->num_feature)) != PGL_OK ||
		(rc = int_param(r, lmp, "learner_model_param", "num_class", 0, 1000000, 0,
						&info->num_class)) != PGL_OK ||
		(rc = int_param(r, lmp, "learner_model_param", "num_target", 0, INT32_MAX, 1,
						&num_target)) != PGL_OK)
		return rc;
	r->num_feature = info->num_feature;
	if (num_target != 1)
		return bad(r, "the model has %d targets; only single-target models are supported",
				   (int) num_target);
	if (info->num_feature > m->n_inputs)
		return pgl_fail(r->st, PGL_ERR_INVALID,
						"the XGBoost model has %d features, but the model has only %d inputs",
						(int) info->num_feature, (int) m->n_inputs);
	if ((o = member(r, learner, "learner", "objective", PGL_JSON_OBJECT)) == NULL ||
		(name = member(r, o, "objective", "name", PGL_JSON_STRING)) == NULL)
		return r->st->rc;
	if ((*obj = find_objective(name->u.str)) == NULL || (size_t) name->n != strlen(name->u.str))
		return bad(r, "objective \"%.60s\" is not supported; supported objectives: " OBJECTIVE_LIST,
				   name->u.str);
	snprintf(info->objective, sizeof(info->objective), "%s", (*obj)->name);
	r->k = info->num_class > 1 ? info->num_class : 1;
	if (((*obj)->link == PGL_TREES_LINK_SOFTMAX) != (r->k >= 2))
		return bad(r, "objective %s with num_class %d (%s)", (*obj)->name, (int) info->num_class,
				   r->k >= 2 ? "only multi:softprob and multi:softmax have classes"
							 : "multi:* needs num_class >= 2");
	if ((bs = pgl_json_get(lmp, "base_score")) == NULL)
		return bad(r, "learner_model_param has no \"base_score\"");
	if (!number_value(r, bs, &p))
		return bad(r, "learner_model_param.base_score is not a number");
	p = (double) (float) p; /* XGBoost's base_score is binary32 */
	if ((*obj)->base == BASE_LOGIT && !(p > 0.0 && p < 1.0))
		return bad(r, "base_score %g of objective %s is not a probability in (0, 1)", p,
				   (*obj)->name);
	if ((*obj)->base == BASE_LOG && !(p > 0.0))
		return bad(r, "base_score %g of objective %s is not > 0", p, (*obj)->name);
	*base = (*obj)->base == BASE_LOGIT ? log(p / (1.0 - p)) : (*obj)->base == BASE_LOG ? log(p) : p;
	if (!isfinite(*base))
		return bad(r, "base_score %g gives a non-finite margin", p);
	return PGL_OK;
}

static pgl_rc
read_feature_names(reader *r, const pgl_json *learner, pgl_xgb_info *info)
{
	const pgl_json *fn = pgl_json_get(learner, "feature_names");

	if (fn == NULL || (fn->type == PGL_JSON_ARRAY && fn->n == 0))
		return PGL_OK;
	if (fn->type != PGL_JSON_ARRAY)
		return bad(r, "learner.feature_names is a %s, expected an array",
				   pgl_json_type_name(fn->type));
	if (fn->n != info->num_feature)
		return bad(r, "learner.feature_names has %d names for %d features", (int) fn->n,
				   (int) info->num_feature);
	if ((info->feature_names = pgl_alloc0(r->env, sizeof(char *) * (size_t) fn->n)) == NULL)
		return nomem(r);
	info->n_feature_names = fn->n;
	for (int32_t i = 0; i < fn->n; i++)
	{
		const pgl_json *s = &fn->u.items[i];

		if (s->type != PGL_JSON_STRING || (size_t) s->n != strlen(s->u.str))
			return bad(r, "learner.feature_names[%d] is not a string without zero bytes", (int) i);
		if ((info->feature_names[i] = pgl_alloc(r->env, (size_t) s->n + 1)) == NULL)
			return nomem(r);
		memcpy(info->feature_names[i], s->u.str, (size_t) s->n + 1);
	}
	return PGL_OK;
}

/* the gbtree model: its trees and tree_info, checked and sized */
static pgl_rc
read_booster(reader *r, const pgl_json *learner, const pgl_json **trees, const pgl_json **info)
{
	const pgl_json *gb, *name, *model, *gmp;
	int32_t			slv;
	pgl_rc			rc;

	if ((gb = member(r, learner, "learner", "gradient_booster", PGL_JSON_OBJECT)) == NULL ||
		(name = member(r, gb, "gradient_booster", "name", PGL_JSON_STRING)) == NULL)
		return r->st->rc;
	if (strcmp(name->u.str, "gbtree") != 0)
		return bad(r,
				   "gradient booster \"%.40s\" is not supported (only gbtree; dart and "
				   "gblinear models are not)",
				   name->u.str);
	if ((model = member(r, gb, "gradient_booster", "model", PGL_JSON_OBJECT)) == NULL ||
		(*trees = member(r, model, "model", "trees", PGL_JSON_ARRAY)) == NULL ||
		(*info = member(r, model, "model", "tree_info", PGL_JSON_ARRAY)) == NULL)
		return r->st->rc;
	if ((gmp = pgl_json_get(model, "gbtree_model_param")) != NULL &&
		(rc = int_param(r, gmp, "gbtree_model_param", "size_leaf_vector", 0, INT32_MAX, 0, &slv)) !=
			PGL_OK)
		return rc;
	if (gmp != NULL && slv != 0)
		return bad(r, "the model has vector leaves (size_leaf_vector %d), which are not supported",
				   (int) slv);
	if ((*info)->n != (*trees)->n)
		return bad(r, "tree_info has %d entries for %d trees", (int) (*info)->n, (int) (*trees)->n);
	return PGL_OK;
}

static pgl_rc
alloc_tensor(reader *r, int which, int64_t count)
{
	pgl_tensor *t = &r->t[which];
	size_t		sz = t->dtype == PGL_F32 || t->dtype == PGL_I32 ? 4 : 8;

	t->ndim = 1;
	t->dims[0] = count;
	if ((t->data = pgl_alloc0(r->env, sz * (size_t) (count > 0 ? count : 1))) == NULL)
		return nomem(r);
	return PGL_OK;
}

/* allocate the tensors for T trees of at most n_max nodes in all */
static pgl_rc
alloc_tensors(reader *r, int32_t T, int64_t n_max)
{
	pgl_rc rc;

	for (int i = 0; i < N_TENSORS; i++)
	{
		snprintf(r->t[i].name, PGL_TENSOR_NAME_LEN, "%s", tensor_defs[i].name);
		r->t[i].dtype = tensor_defs[i].dtype;
	}
	if ((rc = alloc_tensor(r, T_PARAMS, 2)) != PGL_OK ||
		(rc = alloc_tensor(r, T_OFFSETS, (int64_t) T + 1)) != PGL_OK ||
		(rc = alloc_tensor(r, T_GROUP, T)) != PGL_OK ||
		(rc = alloc_tensor(r, T_BASE, r->k)) != PGL_OK ||
		(rc = alloc_tensor(r, T_OBJECTIVE, 1)) != PGL_OK)
		return rc;
	for (int i = T_FEATURE; i <= T_GAIN; i++)
		if ((rc = alloc_tensor(r, i, n_max)) != PGL_OK)
			return rc;
	return PGL_OK;
}

/* all the trees: sizes, allocation, group of each tree, conversion */
static pgl_rc
read_trees(reader *r, const pgl_json *trees, const pgl_json *tinfo)
{
	int64_t n_max = 0;
	int32_t max_tree = 0;
	tree_in ti;
	pgl_rc	rc;

	for (int32_t i = 0; i < trees->n; i++)
	{
		if ((rc = tree_open(r, &trees->u.items[i], i, &ti)) != PGL_OK)
			return rc;
		n_max += ti.n;
		if (ti.n > max_tree)
			max_tree = ti.n;
	}
	if ((rc = alloc_tensors(r, trees->n, n_max)) != PGL_OK)
		return rc;
	if ((r->visited = pgl_alloc(r->env, (size_t) max_tree + 1)) == NULL)
		return nomem(r);
	for (int32_t i = 0; i < trees->n; i++)
	{
		int64_t g;

		if (!int_at(tinfo, i, &g) || g < 0 || g >= r->k)
			return bad(r, "tree_info[%d] is not a group in 0 to %d", (int) i, (int) r->k - 1);
		((int32_t *) r->t[T_GROUP].data)[i] = (int32_t) g;
		if ((rc = tree_open(r, &trees->u.items[i], i, &ti)) != PGL_OK ||
			(rc = convert_tree(r, &ti)) != PGL_OK)
			return rc;
		((int64_t *) r->t[T_OFFSETS].data)[i + 1] = r->n_nodes;
		if (i % 64 == 63)
			pgl_interrupts(r->env);
	}
	for (int i = T_FEATURE; i <= T_GAIN; i++)
		r->t[i].dims[0] = r->n_nodes;
	return PGL_OK;
}

static void
free_tensors(const pgl_env *env, pgl_tensor *t, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (t[i].dtype == PGL_STR && t[i].data)
			pgl_free(env, ((char **) t[i].data)[0]);
		pgl_free(env, t[i].data);
	}
	pgl_free(env, t);
}

void
pgl_xgb_info_free(const pgl_env *env, pgl_xgb_info *info)
{
	if (info->feature_names)
	{
		for (int32_t i = 0; i < info->n_feature_names; i++)
			pgl_free(env, info->feature_names[i]);
		pgl_free(env, info->feature_names);
	}
	info->feature_names = NULL;
	info->n_feature_names = 0;
}

static pgl_rc
read_doc(reader *r, const pgl_json *root, const pgl_model *m, pgl_xgb_info *info)
{
	const pgl_json		*learner, *trees = NULL, *tinfo = NULL;
	const objective_def *obj = NULL;
	double				 base = 0;
	pgl_rc				 rc;
	char				*s;

	if (root->type != PGL_JSON_OBJECT || (learner = pgl_json_get(root, "learner")) == NULL ||
		learner->type != PGL_JSON_OBJECT)
		return bad(r, "the document has no \"learner\" object");
	if ((rc = read_learner_params(r, learner, m, info, &obj, &base)) != PGL_OK ||
		(rc = read_feature_names(r, learner, info)) != PGL_OK ||
		(rc = read_booster(r, learner, &trees, &tinfo)) != PGL_OK ||
		(rc = read_trees(r, trees, tinfo)) != PGL_OK)
		return rc;
	((int32_t *) r->t[T_PARAMS].data)[0] = r->k;
	((int32_t *) r->t[T_PARAMS].data)[1] = obj->link;
	for (int32_t g = 0; g < r->k; g++)
		((double *) r->t[T_BASE].data)[g] = base;
	if ((s = pgl_alloc(r->env, strlen(obj->name) + 1)) == NULL)
		return nomem(r);
	strcpy(s, obj->name);
	((char **) r->t[T_OBJECTIVE].data)[0] = s;
	return PGL_OK;
}

pgl_rc
pgl_xgb_json_read(const pgl_env *env, const char *text, size_t len, pgl_model *m,
				  pgl_xgb_info *info, pgl_status *st)
{
	reader		  r;
	pgl_json_doc *doc;
	pgl_rc		  rc;

	memset(info, 0, sizeof(*info));
	memset(&r, 0, sizeof(r));
	r.env = env;
	r.st = st;
	if (m->n_tensors != 0 || m->tensors != NULL)
		return pgl_fail(st, PGL_ERR_INVALID, "the model already has tensors");
	if (m->n_inputs < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "the model has %d inputs", (int) m->n_inputs);
	if ((rc = pgl_json_parse(env, text, len, &doc, st)) != PGL_OK)
		return rc;
	if ((r.t = pgl_alloc0(env, sizeof(pgl_tensor) * N_TENSORS)) == NULL)
		rc = nomem(&r);
	else
		rc = read_doc(&r, &doc->root, m, info);
	pgl_json_free(doc);
	pgl_free(env, r.visited);
	if (rc != PGL_OK)
	{
		if (r.t)
			free_tensors(env, r.t, N_TENSORS);
		pgl_xgb_info_free(env, info);
		return rc;
	}
	m->tensors = r.t;
	m->n_tensors = N_TENSORS;
	return PGL_OK;
}

/* ---------- writing ---------- */

typedef struct sbuf
{
	const pgl_env *env;
	char		  *data;
	size_t		   len, cap;
	bool		   oom;
} sbuf;

static void
sb_reserve(sbuf *b, size_t more)
{
	size_t ncap;
	char  *nd;

	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	if ((nd = pgl_alloc(b->env, ncap)) == NULL)
	{
		b->oom = true;
		return;
	}
	if (b->len)
		memcpy(nd, b->data, b->len);
	pgl_free(b->env, b->data);
	b->data = nd;
	b->cap = ncap;
}

static void
sb_put(sbuf *b, const char *s)
{
	size_t n = strlen(s);

	sb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->data + b->len, s, n + 1);
	b->len += n;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *b, const char *fmt, ...)
{
	char	tmp[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_put(b, tmp);
}

/* a binary32 value (finite) that reads back as itself, always as a JSON float */
static void
sb_float(sbuf *b, double v)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%.9g", v);
	if (strpbrk(tmp, ".e") == NULL)
		strcat(tmp, ".0");
	sb_put(b, tmp);
}

/* a JSON string (s is UTF-8) */
static void
sb_string(sbuf *b, const char *s)
{
	sb_put(b, "\"");
	for (const unsigned char *u = (const unsigned char *) s; *u; u++)
	{
		if (*u == '"' || *u == '\\')
			sb_printf(b, "\\%c", *u);
		else if (*u < 0x20)
			sb_printf(b, "\\u%04x", *u);
		else
		{
			char c[2] = {(char) *u, 0};

			sb_put(b, c);
		}
	}
	sb_put(b, "\"");
}

/* the objective of m: its tensor, else the usual one for its link */
static const objective_def *
writer_objective(const pgl_model *m, const pgl_trees *t, pgl_status *st)
{
	const pgl_tensor	*ot = pgl_model_tensor(m, "objective");
	const objective_def *obj = NULL;
	static const char	*by_link[] = {"reg:squarederror", "binary:logistic", "multi:softprob",
									  "count:poisson"};

	if (ot == NULL)
		return find_objective(by_link[t->link]);
	if (ot->dtype != PGL_STR || pgl_tensor_count(ot) != 1 || ot->data == NULL ||
		((char **) ot->data)[0] == NULL)
	{
		pgl_fail(st, PGL_ERR_INVALID, "tree tensor \"objective\" is not one string");
		return NULL;
	}
	if ((obj = find_objective(((char **) ot->data)[0])) == NULL)
	{
		pgl_fail(st, PGL_ERR_INVALID, "objective \"%.60s\" cannot be written as XGBoost JSON",
				 ((char **) ot->data)[0]);
		return NULL;
	}
	if (obj->link != t->link)
	{
		pgl_fail(st, PGL_ERR_INVALID, "objective %s does not match the model's link %d", obj->name,
				 (int) t->link);
		return NULL;
	}
	return obj;
}

/* feature names go out only when each feature is one numeric input */
static bool
names_writable(const pgl_model *m)
{
	if (m->n_features != m->n_inputs || m->features == NULL)
		return false;
	for (int32_t i = 0; i < m->n_features; i++)
		if (m->features[i].kind != PGL_FEATURE_NUMERIC || m->features[i].name == NULL ||
			strpbrk(m->features[i].name, "[]<") != NULL)
			return false;
	return true;
}

/*
 * XGBoost's predictor goes from a split to left_child + 1 when the value
 * is not below the threshold: its right child must directly follow its
 * left child.  So the nodes are numbered breadth-first (siblings get
 * consecutive ids, as XGBoost's own expansion gives them): map[i] is the
 * XGBoost id of our node i, inv the reverse, parent by XGBoost id.
 */
static void
bfs_ids(const pgl_trees *t, int64_t base, int32_t n, int32_t *map, int32_t *inv, int32_t *parent)
{
	int32_t next = 1;

	map[0] = 0;
	inv[0] = 0;
	parent[0] = 2147483647; /* as XGBoost writes the root's parent */
	for (int32_t q = 0; q < n; q++)
	{
		int32_t i = inv[q];

		if (t->split_feature[base + i] < 0)
			continue;
		for (int side = 0; side < 2; side++)
		{
			int32_t c = side ? t->right_child[base + i] : t->left_child[base + i];

			map[c] = next;
			inv[next] = c;
			parent[next++] = q;
		}
	}
}

/* one tree: the arrays of xgboost's schema, nodes in bfs_ids order */
static void
write_tree(sbuf *b, const pgl_trees *t, int32_t tree, const pgl_tensor *gain, int32_t *scratch)
{
	int64_t		  base = t->tree_offsets[tree];
	int32_t		  n = (int32_t) (t->tree_offsets[tree + 1] - base);
	int32_t		 *map = scratch, *inv = scratch + n, *parent = scratch + 2 * n;
	const double *g = gain ? gain->data : NULL;

	bfs_ids(t, base, n, map, inv, parent);

	/* emit key: [expr for q = 0 .. n-1], where j is our global node number of id q */
#define ARRAY(key, expr)                                                                           \
	do                                                                                             \
	{                                                                                              \
		sb_put(b, "\"" key "\":[");                                                                \
		for (int32_t q = 0; q < n; q++)                                                            \
		{                                                                                          \
			int64_t j = base + inv[q];                                                             \
			bool	leaf = t->split_feature[j] < 0;                                                \
                                                                                                   \
			(void) leaf;                                                                           \
			if (q)                                                                                 \
				sb_put(b, ",");                                                                    \
			expr;                                                                                  \
		}                                                                                          \
		sb_put(b, "],");                                                                           \
	} while (0)

	sb_put(b, "{");
	ARRAY("base_weights", sb_float(b, leaf ? (double) (float) t->leaf_value[j] : 0.0));
	sb_put(b, "\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
			  "\"categories_sizes\":[],");
	ARRAY("default_left", sb_printf(b, "%d", (int) t->default_left[j]));
	sb_printf(b, "\"id\":%d,", (int) tree);
	ARRAY("left_children", sb_printf(b, "%d", leaf ? -1 : (int) map[t->left_child[j]]));
	ARRAY("loss_changes", sb_float(b, g && !leaf ? g[j] : 0.0));
	ARRAY("parents", sb_printf(b, "%d", (int) parent[q]));
	ARRAY("right_children", sb_printf(b, "%d", leaf ? -1 : (int) map[t->right_child[j]]));
	ARRAY("split_conditions",
		  sb_float(b, leaf ? (double) (float) t->leaf_value[j] : (double) t->split_threshold[j]));
	ARRAY("split_indices", sb_printf(b, "%d", leaf ? 0 : (int) t->split_feature[j]));
	ARRAY("split_type", sb_put(b, "0"));
	ARRAY("sum_hessian", sb_float(b, t->cover[j]));
	sb_printf(b,
			  "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"%d\",\"num_nodes\":\"%d\","
			  "\"size_leaf_vector\":\"0\"}}",
			  (int) t->n_inputs, (int) n);
#undef ARRAY
}

/* learner_model_param, objective and feature names */
static pgl_rc
write_learner_head(sbuf *b, const pgl_model *m, const pgl_trees *t, const objective_def *obj,
				   pgl_status *st)
{
	double margin = t->base_score[0], p;
	bool   names = names_writable(m);

	for (int32_t g = 1; g < t->n_groups; g++)
		if (t->base_score[g] != margin)
			return pgl_fail(st, PGL_ERR_INVALID,
							"the output groups have different base scores (%g and %g), but "
							"XGBoost has one",
							margin, t->base_score[g]);
	p = obj->base == BASE_LOGIT ? 1.0 / (1.0 + exp(-margin))
		: obj->base == BASE_LOG ? exp(margin)
								: margin;
	if (!isfinite((float) p) || (obj->base == BASE_LOGIT && !((float) p > 0 && (float) p < 1)) ||
		(obj->base == BASE_LOG && !((float) p > 0)))
		return pgl_fail(st, PGL_ERR_INVALID,
						"base score margin %g has no XGBoost base_score for objective %s", margin,
						obj->name);
	sb_put(b, "{\"learner\":{\"attributes\":{},\"feature_names\":[");
	for (int32_t i = 0; names && i < m->n_features; i++)
	{
		if (i)
			sb_put(b, ",");
		sb_string(b, m->features[i].name);
	}
	sb_put(b, "],\"feature_types\":[");
	for (int32_t i = 0; names && i < m->n_features; i++)
		sb_put(b, i ? ",\"float\"" : "\"float\"");
	sb_put(b, "],\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":"
			  "\"1\",");
	sb_printf(b, "\"num_trees\":\"%d\",\"size_leaf_vector\":\"0\"},\"tree_info\":[",
			  (int) t->n_trees);
	for (int32_t i = 0; i < t->n_trees; i++)
		sb_printf(b, i ? ",%d" : "%d", (int) t->tree_group[i]);
	sb_put(b, "],\"trees\":[");
	/* the trees follow, then write_learner_tail */
	(void) st;
	return PGL_OK;
}

static void
write_learner_tail(sbuf *b, const pgl_trees *t, const objective_def *obj, double p)
{
	sb_put(b, "]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":\"");
	sb_float(b, (double) (float) p);
	sb_printf(b,
			  "\",\"boost_from_average\":\"1\",\"num_class\":\"%d\",\"num_feature\":\"%d\","
			  "\"num_target\":\"1\"},\"objective\":{\"name\":\"%s\"",
			  t->n_groups > 1 ? (int) t->n_groups : 0, (int) t->n_inputs, obj->name);
	if (obj->param == NULL)
		sb_printf(b, ",\"softmax_multiclass_param\":{\"num_class\":\"%d\"}", (int) t->n_groups);
	else if (obj->param[0])
		sb_printf(b, ",%s", obj->param);
	sb_put(b, "}},\"version\":[1,7,4]}");
}

pgl_rc
pgl_xgb_json_write(const pgl_env *env, const pgl_model *m, char **out, size_t *len, pgl_status *st)
{
	pgl_trees			 t;
	const objective_def *obj = NULL;
	const pgl_tensor	*gain = pgl_model_tensor(m, "split_gain");
	sbuf				 b = {.env = env};
	pgl_rc				 rc;
	double				 margin;
	int64_t				 max_tree = 0;
	int32_t				*scratch;

	*out = NULL;
	*len = 0;
	if ((rc = pgl_trees_get(m, &t, st)) != PGL_OK)
		return rc;
	if (gain && (gain->dtype != PGL_F64 || pgl_tensor_count(gain) != t.n_nodes))
		return pgl_fail(st, PGL_ERR_INVALID, "tree tensor \"split_gain\" has the wrong shape");
	if ((obj = writer_objective(m, &t, st)) == NULL)
		return st->rc;
	for (int32_t i = 0; i < t.n_trees; i++)
		if (t.tree_offsets[i + 1] - t.tree_offsets[i] > max_tree)
			max_tree = t.tree_offsets[i + 1] - t.tree_offsets[i];
	if ((scratch = pgl_alloc(env, sizeof(int32_t) * 3 * (size_t) (max_tree + 1))) == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory while writing an XGBoost JSON model");
	if ((rc = write_learner_head(&b, m, &t, obj, st)) != PGL_OK)
	{
		pgl_free(env, scratch);
		pgl_free(env, b.data);
		return rc;
	}
	for (int32_t i = 0; i < t.n_trees && !b.oom; i++)
	{
		if (i)
			sb_put(&b, ",");
		write_tree(&b, &t, i, gain, scratch);
		if (i % 64 == 63)
			pgl_interrupts(env);
	}
	margin = t.base_score[0];
	write_learner_tail(&b, &t, obj,
					   obj->base == BASE_LOGIT ? 1.0 / (1.0 + exp(-margin))
					   : obj->base == BASE_LOG ? exp(margin)
											   : margin);
	pgl_free(env, scratch);
	if (b.oom)
	{
		pgl_free(env, b.data);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory while writing an XGBoost JSON model");
	}
	*out = b.data;
	*len = b.len;
	return PGL_OK;
}
