/*
 * Tests of trees.c: prediction against a naive recursive walker (NaN
 * default directions, XGBoost's binary32 comparison, output groups, links),
 * one refusal per validator rule with its message, exact TreeSHAP against
 * brute-force Shapley values of the path-dependent value function on
 * random trees, contributions summing to the margin, the deepest allowed
 * tree, allocation failures, and a write/read round trip of the tensors.
 */
#include "model_format.h"
#include "testenv.h"
#include "trees.h"
#include "unit.h"

#include <string.h>

#define MAXN 8192
#define MAXT 128
#define MAXG 4

static const pgl_env *env = &pgl_malloc_env;

/* an ensemble being built: the arrays of the tensors */
typedef struct ens
{
	int32_t n_trees, n_groups, link, p;
	int64_t n;
	int64_t off[MAXT + 1];
	int32_t group[MAXT];
	double	base[MAXG];
	int32_t feat[MAXN], dl[MAXN], lc[MAXN], rc[MAXN];
	float	thr[MAXN];
	double	leaf[MAXN], cover[MAXN];
} ens;

static ens E;

static void
ens_init(ens *e, int p, int groups, int link)
{
	memset(e, 0, sizeof(*e));
	e->p = p;
	e->n_groups = groups;
	e->link = link;
}

/* append a hand-written tree of n nodes (children within the tree) */
static void
add_tree(ens *e, int group, int n, const int32_t *feat, const float *thr, const int32_t *dl,
		 const int32_t *lc, const int32_t *rc, const double *leaf)
{
	for (int i = 0; i < n; i++)
	{
		int64_t g = e->n + i;

		e->feat[g] = feat[i];
		e->thr[g] = thr ? thr[i] : 0;
		e->dl[g] = dl ? dl[i] : 0;
		e->lc[g] = lc[i];
		e->rc[g] = rc[i];
		e->leaf[g] = leaf[i];
		e->cover[g] = 1.0;
	}
	e->group[e->n_trees] = group;
	e->n += n;
	e->off[++e->n_trees] = e->n;
}

/* cover 0 for node i (within the tree at base) and all below it */
static void
zero_covers(ens *e, int64_t base, int32_t i)
{
	e->cover[base + i] = 0;
	if (e->lc[base + i] >= 0)
	{
		zero_covers(e, base, e->lc[base + i]);
		zero_covers(e, base, e->rc[base + i]);
	}
}

/* a random subtree in preorder; returns its root's index within the tree */
static int32_t
gen_node(ens *e, int64_t base, int depth, int max_depth)
{
	int64_t g = e->n++;

	if (depth == max_depth || (depth > 0 && urand() < 0.25))
	{
		e->feat[g] = -1;
		e->lc[g] = e->rc[g] = -1;
		e->leaf[g] = nrand();
		e->cover[g] = urand() < 0.1 ? 0.0 : 10 * urand();
		e->dl[g] = urand() < 0.5;
		return (int32_t) (g - base);
	}
	e->feat[g] = (int32_t) (urand() * e->p);
	e->thr[g] = (float) nrand();
	e->dl[g] = urand() < 0.5;
	e->leaf[g] = 0;
	e->lc[g] = gen_node(e, base, depth + 1, max_depth);
	e->rc[g] = gen_node(e, base, depth + 1, max_depth);
	/*
	 * covers at least the sum of the children (a child sees a subset of its
	 * parent's rows, which the validator requires), and sometimes a whole
	 * subtree of cover 0 (TreeSHAP then sends half of the weight each way)
	 */
	e->cover[g] =
		(e->cover[base + e->lc[g]] + e->cover[base + e->rc[g]]) * (1 + 0.1 * urand()) + 0.01;
	if (urand() < 0.05)
		zero_covers(e, base, (int32_t) (g - base));
	return (int32_t) (g - base);
}

static void
gen_tree(ens *e, int group, int max_depth)
{
	gen_node(e, e->n, 0, max_depth);
	e->group[e->n_trees] = group;
	e->off[++e->n_trees] = e->n;
}

/* a chain: depth d, each split's left child a leaf, features cycling over p */
static void
chain_tree(ens *e, int d)
{
	int64_t base = e->n;

	for (int l = 0; l < d; l++)
	{
		int64_t s = base + 2 * l, f = s + 1;

		e->feat[s] = l % e->p;
		e->thr[s] = (float) (0.1 * (l % 7) - 0.3);
		e->dl[s] = l % 2;
		e->lc[s] = 2 * l + 1;
		e->rc[s] = 2 * l + 2;
		e->leaf[s] = 0;
		e->cover[s] = 2.0 * (d - l) + 1;
		e->feat[f] = -1;
		e->lc[f] = e->rc[f] = -1;
		e->leaf[f] = 0.01 * l - 0.2;
		e->cover[f] = 1;
	}
	e->feat[base + 2 * d] = -1;
	e->lc[base + 2 * d] = e->rc[base + 2 * d] = -1;
	e->leaf[base + 2 * d] = 1.5;
	e->cover[base + 2 * d] = 1;
	e->n = base + 2 * d + 1;
	e->group[e->n_trees] = 0;
	e->off[++e->n_trees] = e->n;
}

/* ---------- models ---------- */

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char  *p = pgl_alloc(env, n);

	memcpy(p, s, n);
	return p;
}

static void
put(pgl_model *m, const char *name, int32_t dtype, int64_t count, const void *data)
{
	pgl_tensor *t = &m->tensors[m->n_tensors++];
	size_t		sz = dtype == PGL_F32 || dtype == PGL_I32 ? 4 : 8;

	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = 1;
	t->dims[0] = count;
	t->data = pgl_alloc(env, sz * (size_t) (count > 0 ? count : 1));
	if (count > 0)
		memcpy(t->data, data, sz * (size_t) count);
}

/*
 * A model over e: p numeric features x0.., the given task (a
 * linear_regression id with a zero coef for regression, so the format's
 * reader accepts it; the tree tensors ride along as extra tensors).
 */
static pgl_model *
to_model(const ens *e, int task, int n_classes)
{
	pgl_model *m = pgl_alloc0(env, sizeof(pgl_model));
	int32_t	   params[2] = {e->n_groups, e->link};
	double	  *coef = pgl_alloc0(env, sizeof(double) * (size_t) (e->p + 1));
	char	   buf[16];

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = task;
	m->n_features = e->p;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * (size_t) e->p);
	for (int j = 0; j < e->p; j++)
	{
		snprintf(buf, sizeof(buf), "x%d", j);
		m->features[j].name = xstrdup(buf);
		m->features[j].type_name = xstrdup("double precision");
		m->features[j].kind = PGL_FEATURE_NUMERIC;
	}
	m->n_inputs = e->p;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup(task == PGL_TASK_REGRESSION ? "double precision" : "text");
	m->n_classes = n_classes;
	if (n_classes > 0)
	{
		m->classes = pgl_alloc0(env, sizeof(char *) * (size_t) n_classes);
		for (int c = 0; c < n_classes; c++)
		{
			snprintf(buf, sizeof(buf), "c%d", c);
			m->classes[c] = xstrdup(buf);
		}
	}
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor) * 12);
	put(m, "tree_params", PGL_I32, 2, params);
	put(m, "tree_offsets", PGL_I64, e->n_trees + 1, e->off);
	put(m, "tree_group", PGL_I32, e->n_trees, e->group);
	put(m, "base_score", PGL_F64, e->n_groups, e->base);
	put(m, "split_feature", PGL_I32, e->n, e->feat);
	put(m, "split_threshold", PGL_F32, e->n, e->thr);
	put(m, "default_left", PGL_I32, e->n, e->dl);
	put(m, "left_child", PGL_I32, e->n, e->lc);
	put(m, "right_child", PGL_I32, e->n, e->rc);
	put(m, "leaf_value", PGL_F64, e->n, e->leaf);
	put(m, "cover", PGL_F64, e->n, e->cover);
	put(m, "coef", PGL_F64, e->p + 1, coef);
	m->tensors[m->n_tensors - 1].ndim = 2;
	m->tensors[m->n_tensors - 1].dims[1] = 1;
	pgl_free(env, coef);
	return m;
}

static void *
tdata(pgl_model *m, const char *name)
{
	return (void *) pgl_model_tensor(m, name)->data;
}

/* ---------- references ---------- */

static bool
ref_left(double x, float thr, int32_t dl)
{
	return isnan(x) ? dl != 0 : (float) x < thr;
}

static double
ref_walk(const ens *e, int t, int32_t node, const double *x)
{
	int64_t g = e->off[t] + node;

	if (e->feat[g] < 0)
		return e->leaf[g];
	return ref_walk(e, t, ref_left(x[e->feat[g]], e->thr[g], e->dl[g]) ? e->lc[g] : e->rc[g], x);
}

/* v(S): follow splits on features in S, else the cover-weighted mean */
static double
ref_v(const ens *e, int t, int32_t node, const double *x, unsigned S)
{
	int64_t g = e->off[t] + node;
	double	c = e->cover[g], fl = 0.5, fr = 0.5;

	if (e->feat[g] < 0)
		return e->leaf[g];
	if (S & (1u << e->feat[g]))
		return ref_v(e, t, ref_left(x[e->feat[g]], e->thr[g], e->dl[g]) ? e->lc[g] : e->rc[g], x,
					 S);
	if (c > 0)
	{
		fl = e->cover[e->off[t] + e->lc[g]] / c;
		fr = e->cover[e->off[t] + e->rc[g]] / c;
	}
	return fl * ref_v(e, t, e->lc[g], x, S) + fr * ref_v(e, t, e->rc[g], x, S);
}

/* brute-force Shapley values of row x: phi[g * (p + 1) + j], bias last */
static void
ref_shap(const ens *e, const double *x, double *phi)
{
	int	   p = e->p;
	double fact[16];

	fact[0] = 1;
	for (int i = 1; i < 16; i++)
		fact[i] = fact[i - 1] * i;
	memset(phi, 0, sizeof(double) * (size_t) (e->n_groups * (p + 1)));
	for (int g = 0; g < e->n_groups; g++)
		phi[g * (p + 1) + p] = e->base[g];
	for (int t = 0; t < e->n_trees; t++)
	{
		double *ph = phi + e->group[t] * (p + 1);

		ph[p] += ref_v(e, t, 0, x, 0);
		for (int j = 0; j < p; j++)
			for (unsigned S = 0; S < (1u << p); S++)
			{
				int s = __builtin_popcount(S);

				if (S & (1u << j))
					continue;
				ph[j] += fact[s] * fact[p - s - 1] / fact[p] *
						 (ref_v(e, t, 0, x, S | (1u << j)) - ref_v(e, t, 0, x, S));
			}
	}
}

/* ---------- tests ---------- */

static void
test_hand_built(void)
{
	/* tree 0: x0 < 0.5 (NaN left) ? 1 : (x1 < 2 (NaN right) ? -2 : 3) */
	static const int32_t f0[] = {0, -1, 1, -1, -1}, l0[] = {1, -1, 3, -1, -1},
						 r0[] = {2, -1, 4, -1, -1}, d0[] = {1, 0, 0, 0, 0};
	static const float	 t0[] = {0.5f, 0, 2.0f, 0, 0};
	static const double	 v0[] = {0, 1.0, 0, -2.0, 3.0};
	static const int32_t f1[] = {-1}, l1[] = {-1};
	static const double	 v1[] = {0.25};
	/* tree 2: x2 < -1 (NaN right) ? 10 : 20 */
	static const int32_t f2[] = {2, -1, -1}, l2[] = {1, -1, -1}, r2[] = {2, -1, -1};
	static const float	 t2[] = {-1.0f, 0, 0};
	static const double	 v2[] = {0, 10, 20};
	/* rows, column-major 5 x 3 */
	double X[15] = {0.2, NAN, 1, 0.5 - 1e-12, 0.5, 5, 1, NAN, 0, 1e300, 0, NAN, -5, 0, -1};
	static const double want[5] = {21.75, 21.75, 13.75, 18.75, 23.75};
	double				out[5];
	pgl_trees			t;
	pgl_status			st = {0};
	pgl_model		   *m;
	pgl_rc				rc;

	ens_init(&E, 3, 1, PGL_TREES_LINK_IDENTITY);
	E.base[0] = 0.5;
	add_tree(&E, 0, 5, f0, t0, d0, l0, r0, v0);
	add_tree(&E, 0, 1, f1, NULL, NULL, l1, l1, v1);
	add_tree(&E, 0, 3, f2, t2, NULL, l2, r2, v2);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	rc = pgl_trees_validate(m, &t, &st);
	OK(rc == PGL_OK, "hand-built ensemble validates: %s", st.msg);
	OK(t.n_trees == 3 && t.n_nodes == 9 && t.max_depth == 2,
	   "shape: %d trees, %lld nodes, depth %d", t.n_trees, (long long) t.n_nodes, t.max_depth);
	pgl_trees_predict_margin(&t, X, 5, 5, out);
	for (int i = 0; i < 5; i++)
		OK(out[i] == want[i], "hand-built row %d: %g (want %g)%s", i, out[i], want[i],
		   i == 1	? ", NaN left and NaN right"
		   : i == 2 ? ", NaN default right"
		   : i == 3 ? ", x rounded to binary32 before comparing"
		   : i == 4 ? ", 1e300 rounds to infinity"
					: "");
	pgl_model_free(env, m);
}

static void
test_random_predict(void)
{
	static double X[200 * 6], out[200 * 3], row[6];
	double		  err = 0, sum_err = 0;
	pgl_trees	  t;
	pgl_status	  st = {0};
	pgl_model	 *m;

	ens_init(&E, 6, 3, PGL_TREES_LINK_SOFTMAX);
	for (int g = 0; g < 3; g++)
		E.base[g] = nrand();
	for (int k = 0; k < 30; k++)
		gen_tree(&E, k % 3, 1 + k % 6);
	m = to_model(&E, PGL_TASK_CLASSIFICATION, 3);
	OK(pgl_trees_validate(m, &t, &st) == PGL_OK, "random multiclass ensemble validates: %s",
	   st.msg);
	for (int i = 0; i < 200 * 6; i++)
		X[i] = urand() < 0.15 ? NAN : nrand();
	pgl_trees_predict_margin(&t, X, 200, 200, out);
	for (int i = 0; i < 200; i++)
	{
		double want[3] = {E.base[0], E.base[1], E.base[2]};

		for (int j = 0; j < 6; j++)
			row[j] = X[j * 200 + i];
		for (int k = 0; k < E.n_trees; k++)
			want[E.group[k]] += ref_walk(&E, k, 0, row);
		for (int g = 0; g < 3; g++)
			err = fmax(err, fabs(out[i * 3 + g] - want[g]));
	}
	OK(err == 0, "margins equal the recursive walker on 200 rows x 3 groups (max error %g)", err);
	pgl_trees_predict(&t, X, 200, 200, out);
	for (int i = 0; i < 200; i++)
		sum_err = fmax(sum_err, fabs(out[i * 3] + out[i * 3 + 1] + out[i * 3 + 2] - 1));
	OK(sum_err < 1e-12, "softmax probabilities sum to 1 (max error %g)", sum_err);
	pgl_model_free(env, m);
}

static void
test_links(void)
{
	double v[6] = {0, 800, -800, 1, 2, 3};

	pgl_trees_apply_link(PGL_TREES_LINK_SIGMOID, 3, 1, v);
	OK(v[0] == 0.5 && v[1] == 1.0 && v[2] >= 0 && v[2] < 1e-300, "sigmoid: %g %g %g", v[0], v[1],
	   v[2]);
	v[0] = 0, v[1] = log(3.0);
	pgl_trees_apply_link(PGL_TREES_LINK_EXP, 2, 1, v);
	NEAR(v[1], 3.0, 1e-15, "exp link: %g", v[1]);
	v[0] = 1000, v[1] = 1000, v[2] = 0;
	pgl_trees_apply_link(PGL_TREES_LINK_SOFTMAX, 1, 3, v);
	OK(v[0] == 0.5 && v[1] == 0.5 && v[2] == 0, "softmax of large margins: %g %g %g", v[0], v[1],
	   v[2]);
	v[3] = 7;
	pgl_trees_apply_link(PGL_TREES_LINK_IDENTITY, 1, 1, v + 3);
	OK(v[3] == 7, "identity link");
}

/* SHAP of random ensembles against brute force, and the sum to the margin */
static void
test_shap_random(void)
{
	double		  max_err = 0, max_sum = 0;
	int			  rows = 0;
	static double X[40 * 6], out[40 * 3 * 7], margin[40 * 3], phi[3 * 7], x[6];

	for (int trial = 0; trial < 25; trial++)
	{
		int		   p = 1 + trial % 6, groups = trial % 3 == 2 ? 3 : 1, n = 40;
		pgl_trees  t;
		pgl_status st = {0};
		pgl_model *m;

		ens_init(&E, p, groups, groups == 3 ? PGL_TREES_LINK_SOFTMAX : PGL_TREES_LINK_IDENTITY);
		for (int g = 0; g < groups; g++)
			E.base[g] = nrand();
		for (int k = 0; k < 4 + trial % 3; k++)
			gen_tree(&E, k % groups, 1 + (trial + k) % 4);
		m = to_model(&E, groups == 3 ? PGL_TASK_CLASSIFICATION : PGL_TASK_REGRESSION,
					 groups == 3 ? 3 : 0);
		if (pgl_trees_validate(m, &t, &st) != PGL_OK)
		{
			OK(false, "random ensemble %d validates: %s", trial, st.msg);
			pgl_model_free(env, m);
			continue;
		}
		for (int i = 0; i < n * p; i++)
			X[i] = urand() < 0.2 ? NAN : nrand();
		if (pgl_trees_shap(env, &t, X, n, n, out, &st) != PGL_OK)
			OK(false, "shap: %s", st.msg);
		pgl_trees_predict_margin(&t, X, n, n, margin);
		for (int i = 0; i < n; i++)
		{
			for (int j = 0; j < p; j++)
				x[j] = X[j * n + i];
			ref_shap(&E, x, phi);
			for (int g = 0; g < groups; g++)
			{
				double s = 0;

				for (int j = 0; j <= p; j++)
				{
					double a = out[(i * groups + g) * (p + 1) + j];

					max_err = fmax(max_err, fabs(a - phi[g * (p + 1) + j]));
					s += a;
				}
				max_sum = fmax(max_sum, fabs(s - margin[i * groups + g]));
			}
			rows++;
		}
		pgl_model_free(env, m);
	}
	OK(max_err <= 1e-9, "TreeSHAP equals brute-force Shapley values on %d rows (max error %g)",
	   rows, max_err);
	OK(max_sum <= 1e-9, "contributions plus bias sum to the margin (max error %g)", max_sum);
}

/* the deepest allowed tree: validates, predicts, explains; one deeper is refused */
static void
test_depth_limit(void)
{
	static double X[3 * 6], out[3 * 7], margin[3];
	pgl_trees	  t;
	pgl_status	  st = {0};
	pgl_model	 *m;
	double		  worst = 0;

	ens_init(&E, 6, 1, PGL_TREES_LINK_IDENTITY);
	chain_tree(&E, PGL_TREES_MAX_DEPTH);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	OK(pgl_trees_validate(m, &t, &st) == PGL_OK && t.max_depth == PGL_TREES_MAX_DEPTH,
	   "a tree of depth %d validates: %s", PGL_TREES_MAX_DEPTH, st.msg);
	for (int i = 0; i < 18; i++)
		X[i] = i % 5 == 0 ? NAN : 0.9 * nrand();
	OK(pgl_trees_shap(env, &t, X, 3, 3, out, &st) == PGL_OK, "shap of the deepest tree: %s",
	   st.msg);
	pgl_trees_predict_margin(&t, X, 3, 3, margin);
	for (int i = 0; i < 3; i++)
	{
		double s = 0;

		for (int j = 0; j < 7; j++)
			s += out[i * 7 + j];
		worst = fmax(worst, fabs(s - margin[i]));
	}
	OK(worst < 1e-9, "deepest tree: contributions sum to the margin (max error %g)", worst);
	pgl_model_free(env, m);

	ens_init(&E, 6, 1, PGL_TREES_LINK_IDENTITY);
	chain_tree(&E, PGL_TREES_MAX_DEPTH + 1);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	OK(pgl_trees_validate(m, NULL, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "deeper than 64"),
	   "depth %d refused: %s", PGL_TREES_MAX_DEPTH + 1, st.msg);
	pgl_model_free(env, m);
}

static void
test_shap_nomem(void)
{
	counters   c;
	pgl_env	   cenv = make_env(&c);
	pgl_trees  t;
	pgl_status st = {0};
	pgl_model *m;
	double	   X[4] = {0.1, 0.2, 0.3, 0.4}, out[2 * 3];

	ens_init(&E, 2, 1, PGL_TREES_LINK_IDENTITY);
	gen_tree(&E, 0, 3);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	pgl_trees_validate(m, &t, &st);
	for (int k = 0; k < 2; k++)
	{
		c.fail_at = k;
		c.allocs = 0;
		OK(pgl_trees_shap(&cenv, &t, X, 2, 2, out, &st) == PGL_ERR_NOMEM,
		   "shap: allocation %d failing gives out of memory", k);
	}
	c.fail_at = -1;
	OK(pgl_trees_shap(&cenv, &t, X, 2, 2, out, &st) == PGL_OK && c.interrupts == 2,
	   "shap checks interrupts once per row (%d)", c.interrupts);
	pgl_model_free(env, m);
}

/* ---------- the validator: one corruption per rule ---------- */

typedef void (*corrupt_fn)(pgl_model *m);

/* the base: tree 0 of 5 nodes (split, leaf, split, leaf, leaf), tree 1 of 3 */
static pgl_model *
valid_model(void)
{
	static const int32_t f0[] = {0, -1, 1, -1, -1}, l0[] = {1, -1, 3, -1, -1},
						 r0[] = {2, -1, 4, -1, -1};
	static const int32_t f1[] = {2, -1, -1}, l1[] = {1, -1, -1}, r1[] = {2, -1, -1};
	static const double	 v0[] = {0, 1, 0, 2, 3}, v1[] = {0, 4, 5};

	ens_init(&E, 3, 1, PGL_TREES_LINK_IDENTITY);
	add_tree(&E, 0, 5, f0, NULL, NULL, l0, r0, v0);
	add_tree(&E, 0, 3, f1, NULL, NULL, l1, r1, v1);
	return to_model(&E, PGL_TASK_REGRESSION, 0);
}

#define I32(m, name) ((int32_t *) tdata(m, name))
#define I64(m, name) ((int64_t *) tdata(m, name))
#define F64(m, name) ((double *) tdata(m, name))
#define F32(m, name) ((float *) tdata(m, name))

static void
c_no_tensor(pgl_model *m)
{
	strcpy(m->tensors[5].name, "split_thresh");
}
static void
c_dtype(pgl_model *m)
{
	m->tensors[7].dtype = PGL_F32;
}
static void
c_length(pgl_model *m)
{
	m->tensors[9].dims[0] = 7;
}
static void
c_groups(pgl_model *m)
{
	I32(m, "tree_params")[0] = 0;
}
static void
c_link(pgl_model *m)
{
	I32(m, "tree_params")[1] = 9;
}
static void
c_off_start(pgl_model *m)
{
	I64(m, "tree_offsets")[0] = 1;
}
static void
c_off_end(pgl_model *m)
{
	I64(m, "tree_offsets")[2] = 7;
}
static void
c_off_order(pgl_model *m)
{
	I64(m, "tree_offsets")[1] = 9;
}
static void
c_off_empty(pgl_model *m)
{
	I64(m, "tree_offsets")[1] = 0;
}
static void
c_group(pgl_model *m)
{
	I32(m, "tree_group")[1] = 1;
}
static void
c_base(pgl_model *m)
{
	F64(m, "base_score")[0] = NAN;
}
static void
c_feature_hi(pgl_model *m)
{
	I32(m, "split_feature")[2] = 3;
}
static void
c_feature_lo(pgl_model *m)
{
	I32(m, "split_feature")[1] = -2;
}
static void
c_threshold(pgl_model *m)
{
	F32(m, "split_threshold")[6] = NAN;
}
static void
c_threshold_inf(pgl_model *m)
{
	F32(m, "split_threshold")[0] = INFINITY;
}
static void
c_leaf(pgl_model *m)
{
	F64(m, "leaf_value")[4] = INFINITY;
}
static void
c_cover_neg(pgl_model *m)
{
	F64(m, "cover")[3] = -1;
}
static void
c_cover_nan(pgl_model *m)
{
	F64(m, "cover")[0] = NAN;
}
static void
c_default(pgl_model *m)
{
	I32(m, "default_left")[2] = 2;
}
static void
c_leaf_kids(pgl_model *m)
{
	I32(m, "left_child")[3] = 4;
}
static void
c_no_left(pgl_model *m)
{
	I32(m, "left_child")[0] = -1;
}
static void
c_no_right(pgl_model *m)
{
	I32(m, "right_child")[2] = -1;
}
static void
c_self(pgl_model *m)
{
	I32(m, "right_child")[2] = 2;
}
static void
c_back(pgl_model *m)
{
	I32(m, "left_child")[2] = 1;
}
static void
c_range(pgl_model *m)
{
	I32(m, "right_child")[2] = 5;
}
static void
c_range_big(pgl_model *m)
{
	I32(m, "right_child")[5] = 1000000;
}
static void
c_preorder(pgl_model *m)
{
	I32(m, "left_child")[0] = 2;
	I32(m, "right_child")[0] = 1;
}
static void
c_shared(pgl_model *m)
{
	I32(m, "right_child")[0] = 1;
}
static void
c_unreached(pgl_model *m)
{
	/* tree 1's root becomes a leaf: nodes 1 and 2 hang unreached */
	I32(m, "split_feature")[5] = -1;
	I32(m, "left_child")[5] = -1;
	I32(m, "right_child")[5] = -1;
}
static void
c_task_reg(pgl_model *m)
{
	I32(m, "tree_params")[1] = PGL_TREES_LINK_SOFTMAX;
}
static void
c_task_multi(pgl_model *m)
{
	/* a 3-class classifier with one group */
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_classes = 3;
}
static void
c_task_binary(pgl_model *m)
{
	/* two classes, one group, but softmax */
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_classes = 2;
	I32(m, "tree_params")[1] = PGL_TREES_LINK_SOFTMAX;
}
static void
c_task_other(pgl_model *m)
{
	m->task = PGL_TASK_CLUSTERING;
}

static void
test_validator(void)
{
	static const struct
	{
		corrupt_fn	fn;
		const char *want;
	} cases[] = {
		{c_no_tensor, "no tensor \"split_threshold\""},
		{c_dtype, "\"left_child\" has the wrong dtype"},
		{c_length, "\"leaf_value\" has 7 elements, expected 8"},
		{c_groups, "0 output groups"},
		{c_link, "unknown link 9"},
		{c_off_start, "must start at 0"},
		{c_off_end, "end at the 8 nodes"},
		{c_off_order, "tree 1 has -1 nodes"},
		{c_off_empty, "tree 0 has 0 nodes"},
		{c_group, "tree 1 is in output group 1"},
		{c_base, "non-finite base score"},
		{c_feature_hi, "tree 0 node 2 splits on input 3, but the model has 3 inputs"},
		{c_feature_lo, "tree 0 node 1 splits on input -2"},
		{c_threshold, "tree 1 node 1 has a non-finite threshold"},
		{c_threshold_inf, "tree 0 node 0 has a non-finite threshold"},
		{c_leaf, "tree 0 node 4 has leaf value inf, outside the binary32 range"},
		{c_cover_neg, "tree 0 node 3 has cover -1"},
		{c_cover_nan, "tree 0 node 0 has cover nan"},
		{c_default, "tree 0 node 2 has default_left 2"},
		{c_leaf_kids, "tree 0 node 3 is a leaf but has children"},
		{c_no_left, "tree 0 node 0 is internal but has no left child"},
		{c_no_right, "tree 0 node 2 is internal but has no right child"},
		{c_self, "tree 0 node 2 has right child 2, which does not come after it"},
		{c_back, "tree 0 node 2 has left child 1, which does not come after it"},
		{c_range, "tree 0 node 2 has right child 5, outside the tree's 5 nodes"},
		{c_range_big, "tree 1 node 0 has right child 1000000, outside"},
		{c_preorder, "tree 0 node 0 has left child 2, expected 1"},
		{c_shared, "tree 0 node 0 has right child 1, expected 2"},
		{c_unreached, "tree 1 has 3 nodes, but its root reaches only 1"},
		{c_task_reg, "tree regression model has 1 output groups and link 2"},
		{c_task_multi, "tree classifier of 3 classes has 1 output groups"},
		{c_task_binary, "tree classifier of 2 classes has 1 output groups and link 2"},
		{c_task_other, "task 4"},
	};
	pgl_model *m = valid_model();
	pgl_status st = {0};

	OK(pgl_trees_validate(m, NULL, &st) == PGL_OK, "the base model validates: %s", st.msg);
	pgl_model_free(env, m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		pgl_rc rc;

		m = valid_model();
		cases[i].fn(m);
		memset(&st, 0, sizeof(st));
		rc = pgl_trees_validate(m, NULL, &st);
		OK(rc == PGL_ERR_CORRUPT && strstr(st.msg, cases[i].want) != NULL, "refused: %s", st.msg);
		pgl_model_free(env, m);
	}
}

static void
test_round_trip(void)
{
	static double X[50 * 4], a[50], b[50];
	pgl_model	 *m, *back = NULL;
	uint8_t		 *blob = NULL;
	size_t		  len = 0;
	pgl_trees	  t, t2;
	pgl_status	  st = {0};
	pgl_rc		  rc;

	ens_init(&E, 4, 1, PGL_TREES_LINK_EXP);
	E.base[0] = -0.25;
	for (int k = 0; k < 12; k++)
		gen_tree(&E, 0, 1 + k % 5);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	rc = pgl_model_write(env, m, &blob, &len, &st);
	OK(rc == PGL_OK, "write a model carrying the tree tensors: %s", st.msg);
	rc = pgl_model_read(env, blob, len, &back, &st);
	OK(rc == PGL_OK, "read it back: %s", st.msg);
	if (back == NULL)
	{
		pgl_model_free(env, m);
		pgl_free(env, blob);
		return;
	}
	OK(pgl_trees_validate(back, &t2, &st) == PGL_OK, "read-back tensors validate: %s", st.msg);
	pgl_trees_validate(m, &t, &st);
	for (int i = 0; i < 200; i++)
		X[i] = urand() < 0.1 ? NAN : nrand();
	pgl_trees_predict(&t, X, 50, 50, a);
	pgl_trees_predict(&t2, X, 50, 50, b);
	OK(memcmp(a, b, sizeof(a)) == 0 && t2.n_nodes == E.n && t2.link == PGL_TREES_LINK_EXP,
	   "the read-back model predicts identically (%lld nodes)", (long long) t2.n_nodes);
	pgl_model_free(env, back);
	pgl_model_free(env, m);
	pgl_free(env, blob);
}

/* more inputs than the walker's binary32 buffer holds: rows are read in place */
static void
test_wide_rows(void)
{
	enum
	{
		P = 20000,
		N = 3
	};
	static const int32_t f[] = {P - 1, -1, -1}, l[] = {1, -1, -1}, r[] = {2, -1, -1},
						 d[] = {0, 0, 0};
	static const float	thr[] = {0.5f, 0, 0};
	static const double v[] = {0, -1, 1};
	double			   *X = calloc((size_t) P * N, sizeof(double));
	double				out[N];
	pgl_trees			t;
	pgl_status			st = {0};
	pgl_model		   *m;

	X[(size_t) (P - 1) * N + 0] = 0.25;
	X[(size_t) (P - 1) * N + 1] = 0.75;
	X[(size_t) (P - 1) * N + 2] = NAN;
	ens_init(&E, P, 1, PGL_TREES_LINK_IDENTITY);
	add_tree(&E, 0, 3, f, thr, d, l, r, v);
	m = to_model(&E, PGL_TASK_REGRESSION, 0);
	OK(pgl_trees_validate(m, &t, &st) == PGL_OK, "a tree over %d inputs validates: %s", P, st.msg);
	pgl_trees_predict_margin(&t, X, N, N, out);
	OK(out[0] == -1 && out[1] == 1 && out[2] == 1,
	   "wide rows walk in place: %g %g %g (want -1 1 1, NaN right)", out[0], out[1], out[2]);
	pgl_model_free(env, m);
	free(X);
}

int
main(void)
{
	test_hand_built();
	test_random_predict();
	test_wide_rows();
	test_links();
	test_shap_random();
	test_depth_limit();
	test_shap_nomem();
	test_validator();
	test_round_trip();
	return unit_done();
}
