/*-------------------------------------------------------------------------
 *
 * export.c
 *	  pg_learn models as ONNX files: the graph builder (NodeProto,
 *	  TensorProto initializers, ValueInfoProto, ModelProto), the dispatch
 *	  by family, and the linear models.
 *
 * linear_regression: variable = Gemm(input, W [F, 1], b [1]).
 * logistic_regression: Gemm(input, W [F, k'], b [k']), then Sigmoid (one
 * column: the probability of classes[1]) or Softmax (k classes), then
 * "probabilities" [N, k] in the order of the model's classes.
 *
 *-------------------------------------------------------------------------
 */
#include "export.h"
#include "algorithms.h"

#include <stdio.h>
#include <string.h>

/* protobuf field numbers of onnx.proto (IR 8) */
enum
{
	MODEL_IR_VERSION = 1,
	MODEL_PRODUCER_NAME = 2,
	MODEL_PRODUCER_VERSION = 3,
	MODEL_GRAPH = 7,
	MODEL_OPSET_IMPORT = 8,
	OPSET_DOMAIN = 1,
	OPSET_VERSION = 2,
	GRAPH_NODE = 1,
	GRAPH_NAME = 2,
	GRAPH_INITIALIZER = 5,
	GRAPH_INPUT = 11,
	GRAPH_OUTPUT = 12,
	NODE_INPUT = 1,
	NODE_OUTPUT = 2,
	NODE_NAME = 3,
	NODE_OP_TYPE = 4,
	NODE_ATTRIBUTE = 5,
	NODE_DOMAIN = 7,
	ATTR_NAME = 1,
	ATTR_F = 2,
	ATTR_I = 3,
	ATTR_S = 4,
	ATTR_FLOATS = 7,
	ATTR_INTS = 8,
	ATTR_STRINGS = 9,
	ATTR_TYPE = 20,
	TENSOR_DIMS = 1,
	TENSOR_DATA_TYPE = 2,
	TENSOR_NAME = 8,
	TENSOR_RAW_DATA = 9,
	VI_NAME = 1,
	VI_TYPE = 2,
	TYPE_TENSOR = 1,
	TT_ELEM_TYPE = 1,
	TT_SHAPE = 2,
	SHAPE_DIM = 1,
	DIM_VALUE = 1,
	DIM_PARAM = 2
};

/* AttributeProto.AttributeType, TensorProto.DataType */
enum
{
	A_FLOAT = 1,
	A_INT = 2,
	A_STRING = 3,
	A_FLOATS = 6,
	A_INTS = 7,
	A_STRINGS = 8,
	T_FLOAT = 1,
	T_INT64 = 7
};

void
ox_b_init(ox_builder *b, const pgl_env *env)
{
	memset(b, 0, sizeof(*b));
	b->env = env;
	ox_pbw_init(&b->graph, env);
	ox_pbw_init(&b->node, env);
	ox_pbw_init(&b->attr, env);
}

void
ox_b_free(ox_builder *b)
{
	ox_pbw_free(&b->graph);
	ox_pbw_free(&b->node);
	ox_pbw_free(&b->attr);
}

const char *
ox_b_name(ox_builder *b, char *name, const char *prefix)
{
	snprintf(name, OX_NAME_LEN, "%s%d", prefix, (int) ++b->n_names);
	return name;
}

void
ox_b_begin(ox_builder *b, const char *op_type, const char *domain)
{
	char name[OX_NAME_LEN];

	ox_pbw_free(&b->node);
	ox_pbw_init(&b->node, b->env);
	ox_pbw_string(&b->node, NODE_OP_TYPE, op_type);
	ox_pbw_string(&b->node, NODE_NAME, ox_b_name(b, name, op_type));
	if (domain && domain[0])
	{
		ox_pbw_string(&b->node, NODE_DOMAIN, domain);
		b->uses_ml = true;
	}
}

void
ox_b_in(ox_builder *b, const char *name)
{
	ox_pbw_string(&b->node, NODE_INPUT, name);
}

void
ox_b_out(ox_builder *b, const char *name)
{
	ox_pbw_string(&b->node, NODE_OUTPUT, name);
}

static void
attr_begin(ox_builder *b, const char *name, int type)
{
	ox_pbw_init(&b->attr, b->env);
	ox_pbw_string(&b->attr, ATTR_NAME, name);
	ox_pbw_uint(&b->attr, ATTR_TYPE, (uint64_t) type);
}

static void
attr_end(ox_builder *b)
{
	ox_pbw_message(&b->node, NODE_ATTRIBUTE, &b->attr);
}

void
ox_b_attr_int(ox_builder *b, const char *name, int64_t v)
{
	attr_begin(b, name, A_INT);
	ox_pbw_uint(&b->attr, ATTR_I, (uint64_t) v);
	attr_end(b);
}

void
ox_b_attr_float(ox_builder *b, const char *name, float v)
{
	attr_begin(b, name, A_FLOAT);
	ox_pbw_float(&b->attr, ATTR_F, v);
	attr_end(b);
}

void
ox_b_attr_string(ox_builder *b, const char *name, const char *v)
{
	attr_begin(b, name, A_STRING);
	ox_pbw_string(&b->attr, ATTR_S, v);
	attr_end(b);
}

void
ox_b_attr_ints(ox_builder *b, const char *name, const int64_t *v, int64_t n)
{
	attr_begin(b, name, A_INTS);
	ox_pbw_packed_i64(&b->attr, ATTR_INTS, v, n);
	attr_end(b);
}

void
ox_b_attr_floats(ox_builder *b, const char *name, const float *v, int64_t n)
{
	attr_begin(b, name, A_FLOATS);
	ox_pbw_packed_f32(&b->attr, ATTR_FLOATS, v, n);
	attr_end(b);
}

void
ox_b_attr_strings(ox_builder *b, const char *name, const char *const *v, int64_t n)
{
	attr_begin(b, name, A_STRINGS);
	for (int64_t i = 0; i < n; i++)
		ox_pbw_string(&b->attr, ATTR_STRINGS, v[i]);
	attr_end(b);
}

void
ox_b_end(ox_builder *b)
{
	ox_pbw_message(&b->graph, GRAPH_NODE, &b->node);
}

void
ox_b_op1(ox_builder *b, const char *op, const char *in, const char *out)
{
	ox_b_begin(b, op, "");
	ox_b_in(b, in);
	ox_b_out(b, out);
	ox_b_end(b);
}

void
ox_b_op2(ox_builder *b, const char *op, const char *a, const char *c, const char *out)
{
	ox_b_begin(b, op, "");
	ox_b_in(b, a);
	ox_b_in(b, c);
	ox_b_out(b, out);
	ox_b_end(b);
}

/* a TensorProto with raw (little-endian) data */
static void
init_raw(ox_builder *b, const char *name, int dtype, int32_t ndim, const int64_t *dims,
		 const void *raw, size_t bytes)
{
	ox_pbw t;

	ox_pbw_init(&t, b->env);
	for (int32_t i = 0; i < ndim; i++)
		ox_pbw_uint(&t, TENSOR_DIMS, (uint64_t) dims[i]);
	ox_pbw_uint(&t, TENSOR_DATA_TYPE, (uint64_t) dtype);
	ox_pbw_string(&t, TENSOR_NAME, name);
	ox_pbw_bytes(&t, TENSOR_RAW_DATA, raw, bytes);
	ox_pbw_message(&b->graph, GRAPH_INITIALIZER, &t);
}

static int64_t
count_of(int32_t ndim, const int64_t *dims)
{
	int64_t n = 1;

	for (int32_t i = 0; i < ndim; i++)
		n *= dims[i];
	return n;
}

/*
 * The raw data is little-endian; the hosts pg_learn builds on are (the
 * model format's own reader makes the same assumption for its tensors).
 */
void
ox_b_init_f32(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims, const float *v)
{
	init_raw(b, name, T_FLOAT, ndim, dims, v, sizeof(float) * (size_t) count_of(ndim, dims));
}

void
ox_b_init_f64(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims, const double *v)
{
	int64_t n = count_of(ndim, dims);
	float  *f = pgl_alloc(b->env, sizeof(float) * (size_t) (n > 0 ? n : 1));

	if (f == NULL)
	{
		b->graph.failed = true;
		return;
	}
	for (int64_t i = 0; i < n; i++)
		f[i] = (float) v[i];
	ox_b_init_f32(b, name, ndim, dims, f);
	pgl_free(b->env, f);
}

void
ox_b_init_i64(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims, const int64_t *v)
{
	init_raw(b, name, T_INT64, ndim, dims, v, sizeof(int64_t) * (size_t) count_of(ndim, dims));
}

/* ValueInfoProto of a float [N, width] */
static void
value_info(ox_builder *b, uint32_t field, const char *name, int64_t width)
{
	ox_pbw vi, type, tt, shape, dim;

	ox_pbw_init(&vi, b->env);
	ox_pbw_init(&type, b->env);
	ox_pbw_init(&tt, b->env);
	ox_pbw_init(&shape, b->env);
	ox_pbw_init(&dim, b->env);
	ox_pbw_string(&dim, DIM_PARAM, "N");
	ox_pbw_message(&shape, SHAPE_DIM, &dim);
	ox_pbw_init(&dim, b->env);
	ox_pbw_uint(&dim, DIM_VALUE, (uint64_t) width);
	ox_pbw_message(&shape, SHAPE_DIM, &dim);
	ox_pbw_uint(&tt, TT_ELEM_TYPE, T_FLOAT);
	ox_pbw_message(&tt, TT_SHAPE, &shape);
	ox_pbw_message(&type, TYPE_TENSOR, &tt);
	ox_pbw_string(&vi, VI_NAME, name);
	ox_pbw_message(&vi, VI_TYPE, &type);
	ox_pbw_message(&b->graph, field, &vi);
}

void
ox_b_input(ox_builder *b, const char *name, int64_t width)
{
	value_info(b, GRAPH_INPUT, name, width);
}

void
ox_b_output(ox_builder *b, const char *name, int64_t width)
{
	value_info(b, GRAPH_OUTPUT, name, width);
}

static void
opset_import(ox_pbw *model, const pgl_env *env, const char *domain, int64_t version)
{
	ox_pbw o;

	ox_pbw_init(&o, env);
	ox_pbw_string(&o, OPSET_DOMAIN, domain);
	ox_pbw_uint(&o, OPSET_VERSION, (uint64_t) version);
	ox_pbw_message(model, MODEL_OPSET_IMPORT, &o);
}

pgl_rc
ox_b_finish(ox_builder *b, const char *graph_name, uint8_t **out, size_t *len, pgl_status *st)
{
	ox_pbw model;

	*out = NULL;
	*len = 0;
	ox_pbw_init(&model, b->env);
	ox_pbw_uint(&model, MODEL_IR_VERSION, OX_EXPORT_IR);
	ox_pbw_string(&model, MODEL_PRODUCER_NAME, "pg_learn");
	ox_pbw_string(&model, MODEL_PRODUCER_VERSION, "0.3.0");
	opset_import(&model, b->env, "", OX_EXPORT_OPSET);
	if (b->uses_ml)
		opset_import(&model, b->env, "ai.onnx.ml", OX_EXPORT_OPSET_ML);
	ox_pbw_string(&b->graph, GRAPH_NAME, graph_name);
	ox_pbw_message(&model, MODEL_GRAPH, &b->graph);
	if (b->node.failed || b->attr.failed)
		model.failed = true;
	ox_b_free(b);
	if (model.failed)
	{
		ox_pbw_free(&model);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory writing the ONNX model");
	}
	*out = model.buf;
	*len = model.len;
	return PGL_OK;
}

void
ox_export_probabilities(ox_builder *b, const pgl_model *m, const char *scores)
{
	static const int64_t one = 1;
	char				 t1[OX_NAME_LEN], t2[OX_NAME_LEN];

	if (m->n_classes > 2)
	{
		ox_b_op1(b, "Identity", scores, "probabilities");
		return;
	}
	/* [1 - p, p]: p the probability of classes[1] */
	ox_b_name(b, t1, "one");
	ox_b_init_f32(b, t1, 1, &one, &(float){1.0f});
	ox_b_op2(b, "Sub", t1, scores, ox_b_name(b, t2, "p0_"));
	ox_b_begin(b, "Concat", "");
	ox_b_in(b, t2);
	ox_b_in(b, scores);
	ox_b_out(b, "probabilities");
	ox_b_attr_int(b, "axis", 1);
	ox_b_end(b);
}

/* linear and logistic regression: Gemm, then the link */
static pgl_rc
export_linear(ox_builder *b, const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *coef = pgl_model_tensor(m, "coef");
	int64_t			  F = m->n_inputs, k;
	int64_t			  wd[2], bd[1];
	double			 *w;
	char			  z[OX_NAME_LEN], p[OX_NAME_LEN];

	if (coef == NULL || coef->dtype != PGL_F64 || coef->ndim != 2 || coef->dims[0] != F + 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "the model has no coefficients of %lld rows",
						(long long) (F + 1));
	k = coef->dims[1];
	w = coef->data;
	wd[0] = F;
	wd[1] = k;
	bd[0] = k;
	ox_b_init_f64(b, "coef", 2, wd, w);
	ox_b_init_f64(b, "intercept", 1, bd, w + F * k);
	ox_b_begin(b, "Gemm", "");
	ox_b_in(b, "input");
	ox_b_in(b, "coef");
	ox_b_in(b, "intercept");
	ox_b_out(b, m->algorithm == PGL_ALGO_LINEAR_REGRESSION ? "variable" : ox_b_name(b, z, "z"));
	ox_b_end(b);
	if (m->algorithm == PGL_ALGO_LINEAR_REGRESSION)
		return PGL_OK;
	ox_b_begin(b, k == 1 ? "Sigmoid" : "Softmax", "");
	ox_b_in(b, z);
	ox_b_out(b, ox_b_name(b, p, "p"));
	if (k > 1)
		ox_b_attr_int(b, "axis", 1);
	ox_b_end(b);
	ox_export_probabilities(b, m, p);
	return PGL_OK;
}

pgl_rc
pgl_ox_export(const pgl_env *env, const pgl_model *m, uint8_t **out, size_t *len, pgl_status *st)
{
	ox_builder b;
	pgl_rc	   rc;
	bool	   cls = m->task == PGL_TASK_CLASSIFICATION;

	*out = NULL;
	*len = 0;
	ox_b_init(&b, env);
	switch (m->algorithm)
	{
		case PGL_ALGO_LINEAR_REGRESSION:
		case PGL_ALGO_LOGISTIC_REGRESSION:
			rc = export_linear(&b, m, st);
			break;
		case PGL_ALGO_NEURAL_NET:
			if (m->task == PGL_TASK_ANOMALY)
			{
				/* the graph would give the reconstruction, not the score */
				rc =
					pgl_fail(st, PGL_ERR_INVALID, "unsupported: an autoencoder has no ONNX export");
				snprintf(st->detail, sizeof(st->detail),
						 "Its score (the reconstruction error against the standardized "
						 "inputs) is not part of the network's graph.");
				break;
			}
			rc = ox_export_nn(&b, m, st);
			break;
		case PGL_ALGO_XGBOOST:
		case PGL_ALGO_RANDOM_FOREST:
			rc = ox_export_trees(&b, m, st);
			break;
		default:
			rc = pgl_fail(st, PGL_ERR_INVALID, "unsupported: %s has no ONNX export",
						  pgl_algo_by_id(m->algorithm) ? pgl_algo_by_id(m->algorithm)->name
													   : "this algorithm");
			snprintf(st->detail, sizeof(st->detail),
					 "ONNX export covers linear_regression, logistic_regression, neural_net, "
					 "xgboost and random_forest.");
			break;
	}
	if (rc != PGL_OK)
	{
		ox_b_free(&b);
		return rc;
	}
	/* the input is declared by the family part when it is not the encoded row */
	if (m->algorithm != PGL_ALGO_NEURAL_NET)
		ox_b_input(&b, "input", m->n_inputs);
	ox_b_output(&b, cls ? "probabilities" : "variable", cls ? m->n_classes : 1);
	return ox_b_finish(&b, "pg_learn", out, len, st);
}
