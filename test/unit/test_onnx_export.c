/*
 * test_onnx_export.c - ONNX export (src/onnx/pb_write.c, export*.c) and the
 * ai.onnx.ml TreeEnsembleRegressor kernel (ops_ml_trees.c): the protobuf
 * writer read back by the reader; linear, logistic, tree and CNN models
 * exported, loaded by the runtime and run against our own predictions
 * (NaN inputs through the trees' default directions); the tree kernel's
 * modes, aggregates and post transforms on hand-built graphs, and its
 * refusals; failed allocations.
 */
#include "export.h"
#include "nn.h"
#include "nn_internal.h"
#include "ox_internal.h"
#include "testenv.h"
#include "trees.h"
#include "unit.h"

#include <string.h>

static counters cnt;
static pgl_env	env_s;
static pgl_env *env = &env_s;

/* ---------- the writer, read back ---------- */

static void
test_writer(void)
{
	static const uint64_t vs[] = {0, 1, 127, 128, 300, (uint64_t) 1 << 63, UINT64_MAX};
	static const int64_t  packed[] = {0, -1, 5, INT64_MAX};
	static const float	  fl[] = {1.5f, -0.0f, 3e38f};
	ox_pbw				  w, sub;
	ox_pb				  c;
	ox_field			  f;
	pgl_status			  st;
	int					  i = 0;
	bool				  ok = true;

	memset(&st, 0, sizeof(st));
	ox_pbw_init(&w, env);
	for (size_t k = 0; k < sizeof(vs) / sizeof(vs[0]); k++)
		ox_pbw_uint(&w, 1 + (uint32_t) k, vs[k]);
	ox_pbw_float(&w, 536870911, 2.25f); /* the largest field number */
	ox_pbw_string(&w, 20, "hello");
	ox_pbw_init(&sub, env);
	ox_pbw_uint(&sub, 1, 42);
	ox_pbw_message(&w, 21, &sub);
	ox_pbw_packed_i64(&w, 22, packed, 4);
	ox_pbw_packed_f32(&w, 23, fl, 3);
	ox_pbw_bytes(&w, 24, NULL, 0);
	OK(!w.failed, "writer: no failure");

	c.p = w.buf;
	c.end = w.buf + w.len;
	while (ox_pb_next(&c, &f, "test", &st) == 1)
	{
		if (i < 7)
			ok &= f.num == (uint32_t) i + 1 && f.wt == OX_WT_VARINT && f.v == vs[i];
		else if (i == 7)
		{
			float	 v;
			uint32_t u = (uint32_t) f.v;

			memcpy(&v, &u, 4);
			ok &= f.num == 536870911 && f.wt == OX_WT_I32 && v == 2.25f;
		}
		else if (i == 8)
			ok &= f.num == 20 && f.sub.end - f.sub.p == 5 && memcmp(f.sub.p, "hello", 5) == 0;
		else if (i == 9)
		{
			ox_field g;

			ok &= f.num == 21 && ox_pb_next(&f.sub, &g, "sub", &st) == 1 && g.num == 1 &&
				  g.v == 42 && ox_pb_next(&f.sub, &g, "sub", &st) == 0;
		}
		else if (i == 10)
		{
			uint64_t v;

			ok &= f.num == 22;
			for (int k = 0; k < 4; k++)
				ok &= ox_pb_varint(&f.sub, &v) && (int64_t) v == packed[k];
			ok &= f.sub.p == f.sub.end;
		}
		else if (i == 11)
		{
			ok &= f.num == 23 && f.sub.end - f.sub.p == 12;
			for (int k = 0; k < 3 && ok; k++)
			{
				float v;

				memcpy(&v, f.sub.p + 4 * k, 4);
				ok &= memcmp(&v, &fl[k], 4) == 0;
			}
		}
		else if (i == 12)
			ok &= f.num == 24 && f.sub.p == f.sub.end;
		i++;
	}
	OK(ok && i == 13 && st.rc == PGL_OK, "writer: every field reads back (%d fields) %s", i,
	   st.msg);
	ox_pbw_free(&w);

	/* a failed allocation marks the buffer and drops what follows */
	cnt.allocs = 0;
	cnt.fail_at = 0;
	ox_pbw_init(&w, env);
	ox_pbw_uint(&w, 1, 1);
	ox_pbw_string(&w, 2, "x");
	OK(w.failed && w.len == 0, "writer: a failed allocation is sticky");
	cnt.fail_at = -1;
	ox_pbw_free(&w);
}

/* ---------- models ---------- */

static void
put(pgl_model *m, const char *name, int32_t dtype, int32_t ndim, int64_t d0, int64_t d1,
	const void *data)
{
	pgl_tensor *t = &m->tensors[m->n_tensors++];
	size_t		sz = dtype == PGL_F32 || dtype == PGL_I32 ? 4 : 8;
	int64_t		n = ndim == 2 ? d0 * d1 : d0;

	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	t->data = malloc(sz * (size_t) (n > 0 ? n : 1));
	memcpy(t->data, data, sz * (size_t) n);
}

static pgl_model *
new_model(int32_t algorithm, int32_t task, int32_t n_inputs, int32_t n_classes)
{
	static char *names[] = {"a", "b", "c"};
	pgl_model	*m = calloc(1, sizeof(pgl_model));

	m->algorithm = algorithm;
	m->task = task;
	m->n_inputs = n_inputs;
	m->n_classes = n_classes;
	m->classes = n_classes ? names : NULL;
	m->tensors = calloc(16, sizeof(pgl_tensor));
	return m;
}

static void
free_model(pgl_model *m)
{
	for (int i = 0; i < m->n_tensors; i++)
		free(m->tensors[i].data);
	free(m->tensors);
	free(m);
}

/* export m, load it, run it on X (n x F, float): the first output into out */
static bool
run_exported(const pgl_model *m, const float *X, int64_t n, int64_t F, float *out, int64_t width,
			 const char *output_name)
{
	pgl_ox_limits lim;
	pgl_ox_model *om = NULL;
	pgl_ox_exec	 *x = NULL;
	pgl_ox_tensor in;
	pgl_status	  st;
	uint8_t		 *buf = NULL;
	size_t		  len;
	bool		  ok = false;

	memset(&st, 0, sizeof(st));
	pgl_ox_limits_default(&lim);
	if (pgl_ox_export(env, m, &buf, &len, &st) != PGL_OK)
	{
		printf("# export: %s\n", st.msg);
		return false;
	}
	if (pgl_ox_load(env, buf, len, &lim, &om, &st) != PGL_OK || !(x = pgl_ox_exec_new(om, &st)))
	{
		printf("# load: %s (%s)\n", st.msg, st.detail);
		goto done;
	}
	memset(&in, 0, sizeof(in));
	in.dtype = PGL_OX_FLOAT;
	in.ndim = 2;
	in.dims[0] = n;
	in.dims[1] = F;
	in.count = n * F;
	in.data = (void *) X;
	in.buf = -1;
	if (om->n_inputs != 1 || strcmp(om->inputs[0].name, "input") != 0 || om->n_outputs != 1 ||
		strcmp(om->outputs[0].name, output_name) != 0)
	{
		printf("# graph inputs or outputs are not input -> %s\n", output_name);
		goto done;
	}
	if (pgl_ox_run(x, &in, 1, &st) != PGL_OK)
	{
		printf("# run: %s (%s)\n", st.msg, st.detail);
		goto done;
	}
	{
		const pgl_ox_tensor *r = pgl_ox_result(x, 0);

		ok = r->dtype == PGL_OX_FLOAT && r->count == n * width;
		if (ok)
			memcpy(out, r->data, sizeof(float) * (size_t) (n * width));
	}
done:
	if (x)
		pgl_ox_exec_free(x);
	if (om)
		pgl_ox_model_free(om);
	pgl_free(env, buf);
	return ok;
}

static bool
close_to(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(1.0, fabs(b));
}

static void
test_linear(void)
{
	static const double lin[] = {2, -1, 0.5};					 /* [3, 1]: F = 2 */
	static const double bin[] = {1, -2, 0.1};					 /* [3, 1] */
	static const double mul[] = {1, 0, -1, 0.5, 2, -1, 0, 0, 1}; /* [3, 3] */
	float				X[] = {1, 2, 3, -1, -0.5f, 0.25f}, out[9];
	pgl_model		   *m = new_model(PGL_ALGO_LINEAR_REGRESSION, PGL_TASK_REGRESSION, 2, 0);
	bool				ok = true;

	put(m, "coef", PGL_F64, 2, 3, 1, lin);
	OK(run_exported(m, X, 3, 2, out, 1, "variable") && close_to(out[0], 0.5, 1e-6) &&
		   close_to(out[1], 7.5, 1e-6) && close_to(out[2], -0.75, 1e-6),
	   "linear: Gemm gives x W + b (%g %g %g)", out[0], out[1], out[2]);
	free_model(m);

	m = new_model(PGL_ALGO_LOGISTIC_REGRESSION, PGL_TASK_CLASSIFICATION, 2, 2);
	put(m, "coef", PGL_F64, 2, 3, 1, bin);
	ok = run_exported(m, X, 3, 2, out, 2, "probabilities");
	for (int i = 0; i < 3 && ok; i++)
	{
		double z = X[2 * i] - 2 * X[2 * i + 1] + 0.1, p = 1 / (1 + exp(-z));

		ok = close_to(out[2 * i], 1 - p, 1e-6) && close_to(out[2 * i + 1], p, 1e-6);
	}
	OK(ok, "logistic binary: [1 - p, p], p the sigmoid of the score");
	free_model(m);

	m = new_model(PGL_ALGO_LOGISTIC_REGRESSION, PGL_TASK_CLASSIFICATION, 2, 3);
	put(m, "coef", PGL_F64, 2, 3, 3, mul);
	ok = run_exported(m, X, 3, 2, out, 3, "probabilities");
	for (int i = 0; i < 3 && ok; i++)
	{
		double z[3], s = 0;

		for (int k = 0; k < 3; k++)
			s += exp(z[k] = X[2 * i] * mul[k] + X[2 * i + 1] * mul[3 + k] + mul[6 + k]);
		for (int k = 0; k < 3; k++)
			ok &= close_to(out[3 * i + k], exp(z[k]) / s, 1e-6);
	}
	OK(ok, "logistic multinomial: the softmax of the scores");

	/* every allocation failing in turn: NOMEM, nothing leaked (LeakSanitizer) */
	ok = true;
	for (int k = 0; k < 200; k++)
	{
		uint8_t	  *buf = NULL;
		size_t	   len;
		pgl_status st;
		pgl_rc	   rc;

		memset(&st, 0, sizeof(st));
		cnt.allocs = 0;
		cnt.fail_at = k;
		rc = pgl_ox_export(env, m, &buf, &len, &st);
		cnt.fail_at = -1;
		if (rc == PGL_OK)
		{
			pgl_free(env, buf);
			break;
		}
		ok &= rc == PGL_ERR_NOMEM && buf == NULL;
	}
	OK(ok, "export: a failed allocation anywhere gives NOMEM");
	free_model(m);

	m = new_model(PGL_ALGO_KMEANS, 4, 2, 0);
	{
		uint8_t	  *buf;
		size_t	   len;
		pgl_status st;

		memset(&st, 0, sizeof(st));
		OK(pgl_ox_export(env, m, &buf, &len, &st) == PGL_ERR_INVALID &&
			   strcmp(st.msg, "unsupported: kmeans has no ONNX export") == 0,
		   "kmeans: refused (%s)", st.msg);
	}
	free_model(m);
}

/*
 * Trees in preorder (left child = next node): tree 0 splits x0 < 0.5
 * (missing left), then x1 < 0 (missing right); tree 1 splits x1 < 1
 * (missing right); tree 2 is a single leaf.
 */
static pgl_model *
tree_model(int32_t task, int32_t k, int32_t link, int32_t n_classes)
{
	static const int64_t off[] = {0, 5, 8, 9};
	static const int32_t feat[] = {0, -1, 1, -1, -1, 1, -1, -1, -1};
	static const float	 thr[] = {0.5f, 0, 0, 0, 0, 1, 0, 0, 0};
	static const int32_t dl[] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
	static const int32_t lc[] = {1, -1, 3, -1, -1, 1, -1, -1, -1};
	static const int32_t rc[] = {2, -1, 4, -1, -1, 2, -1, -1, -1};
	static const double	 leaf[] = {0, 1.5, 0, -2, 0.25, 0, 0.75, -0.5, 0.125};
	static const double	 cover[] = {9, 3, 6, 2, 4, 9, 5, 4, 9};
	int32_t				 params[2] = {k, link}, group[3] = {0, k > 1, k > 2 ? 2 : 0};
	double				 base[3] = {0.5, -0.25, 0.1};
	pgl_model			*m = new_model(PGL_ALGO_XGBOOST, task, 2, n_classes);

	put(m, "tree_params", PGL_I32, 1, 2, 0, params);
	put(m, "tree_offsets", PGL_I64, 1, 4, 0, off);
	put(m, "tree_group", PGL_I32, 1, 3, 0, group);
	put(m, "base_score", PGL_F64, 1, k, 0, base);
	put(m, "split_feature", PGL_I32, 1, 9, 0, feat);
	put(m, "split_threshold", PGL_F32, 1, 9, 0, thr);
	put(m, "default_left", PGL_I32, 1, 9, 0, dl);
	put(m, "left_child", PGL_I32, 1, 9, 0, lc);
	put(m, "right_child", PGL_I32, 1, 9, 0, rc);
	put(m, "leaf_value", PGL_F64, 1, 9, 0, leaf);
	put(m, "cover", PGL_F64, 1, 9, 0, cover);
	return m;
}

static void
check_trees(const char *what, int32_t task, int32_t k, int32_t link, int32_t n_classes)
{
	pgl_model *m = tree_model(task, k, link, n_classes);
	int32_t	   width = task == PGL_TASK_CLASSIFICATION ? n_classes : 1;
	float	   X[2 * 40], out[3 * 40];
	double	   Xd[2 * 40], ref[3 * 40];
	pgl_trees  t;
	pgl_status st;
	bool	   ok;

	for (int i = 0; i < 40; i++)
	{
		/* a grid around the thresholds, with NaN in either column */
		X[2 * i] = i % 7 == 3 ? NAN : (float) ((i % 5) * 0.25);
		X[2 * i + 1] = i % 6 == 2 ? NAN : (float) ((i % 8) * 0.4 - 1.2);
		Xd[i] = X[2 * i];
		Xd[40 + i] = X[2 * i + 1];
	}
	memset(&st, 0, sizeof(st));
	ok = pgl_trees_get(m, &t, &st) == PGL_OK;
	pgl_trees_predict(&t, Xd, 40, 40, ref);
	ok = ok && run_exported(m, X, 40, 2, out, width,
							task == PGL_TASK_CLASSIFICATION ? "probabilities" : "variable");
	for (int i = 0; i < 40 && ok; i++)
		for (int j = 0; j < width && ok; j++)
		{
			double r = width == 2 && k == 1 ? (j ? ref[i] : 1 - ref[i]) : ref[i * k + j];

			ok = close_to(out[i * width + j], r, 1e-6);
			if (!ok)
				printf("# row %d col %d: %g, expected %g\n", i, j, out[i * width + j], r);
		}
	OK(ok, "trees %s: TreeEnsembleRegressor and the link match pgl_trees_predict (NaN too)", what);
	free_model(m);
}

static void
test_trees(void)
{
	check_trees("regression", PGL_TASK_REGRESSION, 1, PGL_TREES_LINK_IDENTITY, 0);
	check_trees("poisson (exp)", PGL_TASK_REGRESSION, 1, PGL_TREES_LINK_EXP, 0);
	check_trees("binary (sigmoid)", PGL_TASK_CLASSIFICATION, 1, PGL_TREES_LINK_SIGMOID, 2);
	check_trees("three classes (softmax)", PGL_TASK_CLASSIFICATION, 3, PGL_TREES_LINK_SOFTMAX, 3);
}

/* ---------- the TreeEnsembleRegressor kernel on hand-built graphs ---------- */

typedef struct tens
{
	int			   n, w, nv; /* nv: nodes_values entries (0: n) */
	int64_t		   tree[8], node[8], feat[8], yes[8], no[8], miss[8];
	float		   val[8];
	const char	  *mode[8];
	int64_t		   wt[8], wn[8], wid[8];
	float		   ww[8];
	const char	  *agg, *post;
	int64_t		   n_targets;
	const float	  *base;
	const char	  *extra;  /* an extra attribute name (refused ones) */
	const int64_t *labels; /* TreeEnsembleClassifier with these n_targets labels */
} tens;

static pgl_rc
load_tens(const tens *e, pgl_ox_model **om, pgl_status *st)
{
	ox_builder	  b;
	uint8_t		 *buf;
	size_t		  len;
	pgl_ox_limits lim;
	pgl_rc		  rc;

	const char *w = e->labels ? "class" : "target";
	char		an[4][32];

	pgl_ox_limits_default(&lim);
	ox_b_init(&b, env);
	ox_b_begin(&b, e->labels ? "TreeEnsembleClassifier" : "TreeEnsembleRegressor", "ai.onnx.ml");
	ox_b_in(&b, "input");
	if (e->labels)
	{
		ox_b_out(&b, "label");
		ox_b_attr_ints(&b, "classlabels_int64s", e->labels, e->n_targets);
	}
	else
	{
		ox_b_attr_int(&b, "n_targets", e->n_targets);
		ox_b_attr_string(&b, "aggregate_function", e->agg);
	}
	ox_b_out(&b, "variable");
	ox_b_attr_string(&b, "post_transform", e->post);
	if (e->base)
		ox_b_attr_floats(&b, "base_values", e->base, e->n_targets);
	ox_b_attr_ints(&b, "nodes_treeids", e->tree, e->n);
	ox_b_attr_ints(&b, "nodes_nodeids", e->node, e->n);
	ox_b_attr_ints(&b, "nodes_featureids", e->feat, e->n);
	ox_b_attr_strings(&b, "nodes_modes", e->mode, e->n);
	ox_b_attr_floats(&b, "nodes_values", e->val, e->nv ? e->nv : e->n);
	ox_b_attr_ints(&b, "nodes_truenodeids", e->yes, e->n);
	ox_b_attr_ints(&b, "nodes_falsenodeids", e->no, e->n);
	ox_b_attr_ints(&b, "nodes_missing_value_tracks_true", e->miss, e->n);
	snprintf(an[0], 32, "%s_treeids", w);
	snprintf(an[1], 32, "%s_nodeids", w);
	snprintf(an[2], 32, "%s_ids", w);
	snprintf(an[3], 32, "%s_weights", w);
	ox_b_attr_ints(&b, an[0], e->wt, e->w);
	ox_b_attr_ints(&b, an[1], e->wn, e->w);
	ox_b_attr_ints(&b, an[2], e->wid, e->w);
	ox_b_attr_floats(&b, an[3], e->ww, e->w);
	if (e->extra)
		ox_b_attr_floats(&b, e->extra, e->ww, 1);
	ox_b_end(&b);
	if (e->labels)
	{
		/* the labels as float, a second output */
		ox_b_begin(&b, "Cast", "");
		ox_b_in(&b, "label");
		ox_b_out(&b, "labelf");
		ox_b_attr_int(&b, "to", PGL_OX_FLOAT);
		ox_b_end(&b);
	}
	ox_b_input(&b, "input", 2);
	ox_b_output(&b, "variable", e->n_targets);
	if (e->labels)
		ox_b_output(&b, "labelf", 1);
	if (ox_b_finish(&b, "t", &buf, &len, st) != PGL_OK)
		return st->rc;
	rc = pgl_ox_load(env, buf, len, &lim, om, st);
	pgl_free(env, buf);
	return rc;
}

/*
 * Two trees with ids 7 and 3, node ids not in order: tree 7 is
 * node 10: x0 <= 1 ? node 4 : node 2 (missing: true); tree 3 is node 5:
 * x1 > 0 ? node 1 : node 0.  Leaves 4, 2 (tree 7) and 1, 0 (tree 3) carry
 * weights on targets 0 and 1.
 */
static tens
base_tens(void)
{
	tens e = {.n = 6,
			  .w = 5,
			  .tree = {7, 3, 7, 3, 7, 3},
			  .node = {10, 5, 2, 1, 4, 0},
			  .feat = {0, 1, 0, 0, 0, 0},
			  .yes = {4, 1, 0, 0, 0, 0},
			  .no = {2, 0, 0, 0, 0, 0},
			  .miss = {1, 0, 0, 0, 0, 0},
			  .val = {1, 0, 0, 0, 0, 0},
			  .mode = {"BRANCH_LEQ", "BRANCH_GT", "LEAF", "LEAF", "LEAF", "LEAF"},
			  .wt = {7, 7, 3, 3, 7},
			  .wn = {4, 2, 1, 0, 4},
			  .wid = {0, 0, 0, 1, 1},
			  .ww = {1, 2, 10, 20, 5},
			  .agg = "SUM",
			  .post = "NONE",
			  .n_targets = 2};

	return e;
}

static bool
run_tens(const tens *e, const float *X, int n, float *out)
{
	pgl_ox_model *om = NULL;
	pgl_ox_exec	 *x;
	pgl_ox_tensor in;
	pgl_status	  st;
	bool		  ok;

	memset(&st, 0, sizeof(st));
	if (load_tens(e, &om, &st) != PGL_OK)
	{
		printf("# %s (%s)\n", st.msg, st.detail);
		return false;
	}
	x = pgl_ox_exec_new(om, &st);
	memset(&in, 0, sizeof(in));
	in.dtype = PGL_OX_FLOAT;
	in.ndim = 2;
	in.dims[0] = n;
	in.dims[1] = 2;
	in.count = 2 * n;
	in.data = (void *) X;
	in.buf = -1;
	ok = x && pgl_ox_run(x, &in, 1, &st) == PGL_OK;
	if (!ok)
		printf("# run: %s\n", st.msg);
	if (ok)
		memcpy(out, pgl_ox_result(x, 0)->data, sizeof(float) * (size_t) (e->n_targets * n));
	if (ok && e->labels)
		memcpy(out + e->n_targets * n, pgl_ox_result(x, 1)->data, sizeof(float) * (size_t) n);
	if (x)
		pgl_ox_exec_free(x);
	pgl_ox_model_free(om);
	return ok;
}

static void
test_kernel(void)
{
	/* rows: (x0 <= 1, x1 > 0), (x0 > 1, x1 <= 0), (NaN, NaN) */
	static const float X[] = {1, 2, 3, -1, NAN, NAN};
	static const float base[] = {100, 200};
	tens			   e = base_tens();
	float			   out[6];
	pgl_ox_model	  *om;
	pgl_status		   st;

	/* SUM: row 0 leaves 4 (t0 1, t1 5) and 1 (t0 10); row 1 leaves 2 (t0 2) and 0 (t1 20) */
	OK(run_tens(&e, X, 3, out) && out[0] == 11 && out[1] == 5 && out[2] == 2 && out[3] == 20 &&
		   out[4] == 1 && out[5] == 25,
	   "tree kernel: SUM, LEQ / GT, missing tracks true or false (%g %g %g %g %g %g)", out[0],
	   out[1], out[2], out[3], out[4], out[5]);
	e.agg = "AVERAGE";
	e.base = base;
	OK(run_tens(&e, X, 3, out) && out[0] == 105.5f && out[1] == 202.5f && out[3] == 210,
	   "tree kernel: AVERAGE over the trees, then base_values");
	e.agg = "MAX";
	e.base = NULL;
	OK(run_tens(&e, X, 3, out) && out[0] == 10 && out[1] == 5 && out[2] == 2 && out[3] == 20,
	   "tree kernel: MAX (%g %g %g %g)", out[0], out[1], out[2], out[3]);
	e.agg = "MIN";
	OK(run_tens(&e, X, 3, out) && out[0] == 1 && out[1] == 5, "tree kernel: MIN");
	e.agg = "SUM";
	e.post = "LOGISTIC";
	OK(run_tens(&e, X, 3, out) && close_to(out[2], 1 / (1 + exp(-2.0)), 1e-6),
	   "tree kernel: LOGISTIC");
	e.post = "SOFTMAX";
	OK(run_tens(&e, X, 3, out) && close_to(out[0], 1 / (1 + exp(-6.0)), 1e-6) &&
		   close_to(out[0] + out[1], 1, 1e-6),
	   "tree kernel: SOFTMAX");

	/* TreeEnsembleClassifier, 3 classes labelled 10, 20, 30 (class 2 gets no weight) */
	{
		static const int64_t labels[] = {10, 20, 30};
		static const float	 base3[] = {0, 0, 0.5f};
		tens				 c = base_tens();
		float				 o[12];

		c.labels = labels;
		c.n_targets = 3;
		OK(run_tens(&c, X, 3, o) && o[0] == 11 && o[1] == 5 && o[2] == 0 && o[9] == 10 &&
			   o[10] == 20 && o[11] == 20,
		   "tree classifier: scores per class, the label of the best scored class (%g %g %g)", o[9],
		   o[10], o[11]);
		c.post = "SOFTMAX";
		c.base = base3;
		OK(run_tens(&c, X, 3, o) &&
			   fabs(o[1] / (exp(5.0) / (exp(11.0) + exp(5.0) + exp(0.5))) - 1) < 1e-5 &&
			   o[10] == 20,
		   "tree classifier: base_values, SOFTMAX");
		c.base = NULL;
		c.post = "NONE";
		c.n_targets = 2;
		memset(&st, 0, sizeof(st));
		om = NULL;
		OK(load_tens(&c, &om, &st) == PGL_ERR_INVALID && strstr(st.msg, "2 classes"),
		   "tree classifier: two classes refused (%s)", st.msg);
	}

	/* refusals, each at load */
#define REFUSED(edit, what)                                                                        \
	do                                                                                             \
	{                                                                                              \
		tens f = base_tens();                                                                      \
		edit;                                                                                      \
		memset(&st, 0, sizeof(st));                                                                \
		om = NULL;                                                                                 \
		OK(load_tens(&f, &om, &st) == PGL_ERR_INVALID && om == NULL &&                             \
			   strstr(st.msg, what) != NULL,                                                       \
		   "tree kernel refuses: %s (%s)", what, st.msg);                                          \
		if (om)                                                                                    \
			pgl_ox_model_free(om);                                                                 \
	} while (0)

	REFUSED(f.node[4] = 2, "given twice");
	REFUSED(f.yes[0] = 99, "child is not a node of its tree");
	REFUSED(f.yes[1] = 0; f.no[1] = 0, "more than one parent");
	REFUSED(f.yes[0] = 10, "more than one parent");
	REFUSED(f.wn[0] = 10, "not on a leaf");
	REFUSED(f.wid[0] = 2, "outside [0, n_targets)");
	REFUSED(f.mode[3] = "BRANCH_XX", "nodes_modes");
	REFUSED(f.nv = 5, "missing or of different lengths");
	REFUSED(f.post = "PROBIT", "post_transform PROBIT");
	REFUSED(f.agg = "MEDIAN", "aggregate_function MEDIAN");
	REFUSED(f.extra = "target_weights_as_tensor", "target_weights_as_tensor");
	REFUSED(f.n_targets = 0, "n_targets");
	/* a tree with two roots: node 5's children are no longer referenced */
	REFUSED(f.mode[1] = "LEAF", "exactly one root");

	/* an input narrower than the features the trees use: refused at run time */
	{
		pgl_ox_exec	 *x;
		pgl_ox_tensor in;
		float		  one[1] = {0};

		memset(&st, 0, sizeof(st));
		om = NULL;
		OK(load_tens(&e, &om, &st) == PGL_OK, "tree kernel: loads");
		x = pgl_ox_exec_new(om, &st);
		memset(&in, 0, sizeof(in));
		in.dtype = PGL_OX_FLOAT;
		in.ndim = 2;
		in.dims[0] = 1;
		in.dims[1] = 1;
		in.count = 1;
		in.data = one;
		in.buf = -1;
		/* the graph declares [N, 2]: the executor refuses first; either way, an error */
		OK(pgl_ox_run(x, &in, 1, &st) == PGL_ERR_INVALID,
		   "tree kernel: a narrow input is refused (%s)", st.msg);
		pgl_ox_exec_free(x);
		pgl_ox_model_free(om);
	}
}

/* ---------- a CNN ---------- */

static void
test_cnn(void)
{
	pgl_nn_layer_spec l[7];
	pgl_nn_spec		  spec;
	pgl_nn			 *net = NULL;
	pgl_model		 *m = calloc(1, sizeof(pgl_model));
	double			  config[PGL_NN_CONFIG_LEN] = {0};
	pgl_status		  st;
	float			  X[4 * 7 * 7], Xs[4 * 7 * 7], out[4 * 3];
	static char		 *classes[] = {"x", "y", "z"};
	const float		 *ref;
	bool			  ok;

	memset(l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	l[0] = (pgl_nn_layer_spec){.type = PGL_NN_CONV2D,
							   .activation = PGL_NN_RELU,
							   .units = 3,
							   .kernel = 3,
							   .stride = 2,
							   .padding = 1};
	l[1] = (pgl_nn_layer_spec){.type = PGL_NN_BATCHNORM};
	l[2] = (pgl_nn_layer_spec){.type = PGL_NN_CONV2D,
							   .activation = PGL_NN_LEAKY_RELU,
							   .units = 4,
							   .kernel = 2,
							   .stride = 1,
							   .padding = 0,
							   .alpha = 0.2};
	l[3] = (pgl_nn_layer_spec){.type = PGL_NN_MAXPOOL2D, .kernel = 2, .stride = 1};
	l[4] = (pgl_nn_layer_spec){.type = PGL_NN_FLATTEN};
	l[5] = (pgl_nn_layer_spec){.type = PGL_NN_BATCHNORM};
	l[6] = (pgl_nn_layer_spec){.type = PGL_NN_DENSE, .activation = PGL_NN_SOFTMAX, .units = 3};
	pgl_nn_spec_defaults(&spec);
	spec.layers = l;
	spec.n_layers = 7;
	spec.in_ndim = 3;
	spec.in_h = 7;
	spec.in_w = 7;
	spec.in_c = 1;
	spec.loss = PGL_NN_LOSS_SOFTMAX_CE;
	spec.n_out = 3;
	spec.seed = 5;
	OK(pgl_nn_create(env, &spec, 4, &net, &st) == PGL_OK, "cnn: created %s", st.msg);
	/* batchnorm statistics that are not the identity */
	for (int i = 0; i < net->L; i++)
		if (net->layer[i].s.type == PGL_NN_BATCHNORM)
			for (int64_t c = 0; c < net->layer[i].out_c; c++)
			{
				net->stats[net->layer[i].s_off + c] = (float) nrand();
				net->stats[net->layer[i].s_off + net->layer[i].out_c + c] = (float) (0.5 + urand());
				net->params[net->layer[i].p_off + c] = (float) (0.5 + urand()); /* gamma */
				net->params[net->layer[i].p_off + net->layer[i].out_c + c] =
					(float) nrand(); /* beta */
			}
	for (int i = 0; i < 4 * 49; i++)
	{
		X[i] = (float) (urand() * 255);
		Xs[i] = X[i] * 0.5f;
	}
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_inputs = 1;
	m->n_classes = 3;
	m->classes = classes;
	config[PGL_NN_CFG_IN_NDIM] = 3;
	config[PGL_NN_CFG_IN_H] = 7;
	config[PGL_NN_CFG_IN_W] = 7;
	config[PGL_NN_CFG_IN_C] = 1;
	config[PGL_NN_CFG_LOSS] = PGL_NN_LOSS_SOFTMAX_CE;
	config[PGL_NN_CFG_N_OUT] = 3;
	config[PGL_NN_CFG_INPUT_KIND] = 1;
	config[PGL_NN_CFG_SCALE] = 0.5;
	config[PGL_NN_CFG_Y_SD] = 1;
	OK(pgl_nn_to_model(env, net, config, NULL, NULL, NULL, m, &st) == PGL_OK, "cnn: to model %s",
	   st.msg);
	ref = pgl_nn_forward(net, Xs, 4, false);
	ok = run_exported(m, X, 4, 49, out, 3, "probabilities");
	for (int i = 0; i < 12 && ok; i++)
	{
		ok = close_to(out[i], ref[i], 1e-5);
		if (!ok)
			printf("# output %d: %g, the network %g\n", i, out[i], ref[i]);
	}
	OK(ok, "cnn: conv2d same stride 2, batchnorm on channels and units, valid conv, maxpool, "
		   "flatten, dense softmax match the network");
	pgl_nn_destroy(env, net);
	for (int i = 0; i < m->n_tensors; i++)
		pgl_free(env, m->tensors[i].data);
	pgl_free(env, m->tensors);
	free(m);
}

int
main(void)
{
	env_s = make_env(&cnt);
	test_writer();
	test_linear();
	test_trees();
	test_kernel();
	test_cnn();
	return unit_done();
}
