/*-------------------------------------------------------------------------
 *
 * export_nn.c
 *	  A neural_net model as an ONNX graph.
 *
 * The input: for a network over columns, the encoded row [N, F],
 * standardized in the graph by nn_mu / nn_sd (Sub, Div); for a network
 * over an array or bytea column, its values [N, H * W * C] (row-major,
 * channels last) times the model's scale (Mul), reshaped to [N, H, W, C]
 * when the network takes images.
 *
 * Our layers keep images channels last (NHWC); ONNX's Conv and pools take
 * NCHW, so the graph transposes where the layout must change (before a
 * conv2d or pool, and back before flatten, dense or batchnorm), and no
 * more.  Layers: dense (Gemm), conv2d (Conv, weights HWIO -> OIHW, our
 * padding as explicit pads), maxpool2d / avgpool2d (MaxPool /
 * AveragePool), flatten, dropout (nothing: inference), batchnorm
 * (inference: (x - mean) * gamma / sqrt(var + eps) + beta as Sub, Mul,
 * Add), activation and the layers' activations (Relu, LeakyRelu, Tanh,
 * Sigmoid, Softmax over the channels).  Sequence and attention layers are
 * refused, naming the layer.
 *
 *-------------------------------------------------------------------------
 */
#include "export.h"
#include "nn.h"
#include "nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* the engine's batchnorm epsilon (nn.c: NN_BN_EPS) */
#define BN_EPS 1e-3f

typedef struct nn_cursor
{
	ox_builder *b;
	char		cur[OX_NAME_LEN]; /* the current value */
	int32_t		ndim;			  /* 2: [N, C]; 4: an image */
	bool		nchw;			  /* an image's layout */
} nn_cursor;

static void
transpose_to(nn_cursor *c, bool nchw)
{
	static const int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
	char				 out[OX_NAME_LEN];

	if (c->ndim != 4 || c->nchw == nchw)
		return;
	ox_b_begin(c->b, "Transpose", "");
	ox_b_in(c->b, c->cur);
	ox_b_out(c->b, ox_b_name(c->b, out, "t"));
	ox_b_attr_ints(c->b, "perm", nchw ? to_nchw : to_nhwc, 4);
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
	c->nchw = nchw;
}

static void
activation(nn_cursor *c, int32_t act, double alpha)
{
	static const char *ops[] = {NULL, "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softmax"};
	char			   out[OX_NAME_LEN];

	if (act <= PGL_NN_LINEAR || act > PGL_NN_SOFTMAX)
		return;
	ox_b_begin(c->b, ops[act], "");
	ox_b_in(c->b, c->cur);
	ox_b_out(c->b, ox_b_name(c->b, out, "a"));
	if (act == PGL_NN_LEAKY_RELU)
		ox_b_attr_float(c->b, "alpha", (float) alpha);
	if (act == PGL_NN_SOFTMAX)
		ox_b_attr_int(c->b, "axis", c->ndim == 4 && c->nchw ? 1 : c->ndim - 1);
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
}

/* cur = op(cur, a constant [n] (or [n, 1, 1] for an NCHW image)) */
static void
channel_op(nn_cursor *c, const char *op, const float *v, int64_t n)
{
	int64_t dims[3] = {n, 1, 1};
	char	k[OX_NAME_LEN], out[OX_NAME_LEN];

	ox_b_name(c->b, k, "k");
	ox_b_init_f32(c->b, k, c->ndim == 4 && c->nchw ? 3 : 1, dims, v);
	ox_b_op2(c->b, op, c->cur, k, ox_b_name(c->b, out, "v"));
	memcpy(c->cur, out, OX_NAME_LEN);
}

static void
dense(nn_cursor *c, const nn_layer *l, const float *W)
{
	int64_t wd[2] = {l->in_size, l->s.units};
	char	w[OX_NAME_LEN], bias[OX_NAME_LEN], out[OX_NAME_LEN];

	ox_b_init_f32(c->b, ox_b_name(c->b, w, "W"), 2, wd, W);
	ox_b_init_f32(c->b, ox_b_name(c->b, bias, "b"), 1, wd + 1, W + l->n_w);
	ox_b_begin(c->b, "Gemm", "");
	ox_b_in(c->b, c->cur);
	ox_b_in(c->b, w);
	ox_b_in(c->b, bias);
	ox_b_out(c->b, ox_b_name(c->b, out, "d"));
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
	activation(c, l->s.activation, l->s.alpha);
}

static pgl_rc
conv2d(nn_cursor *c, const nn_layer *l, const float *W, pgl_status *st)
{
	int32_t k = l->s.kernel, s = l->s.stride, cin = l->in_c, f = l->s.units;
	int64_t wd[4] = {f, cin, k, k}, ks[2] = {k, k}, strides[2] = {s, s}, pads[4];
	int64_t pb = (int64_t) (l->out_h - 1) * s + k - l->in_h - l->pad_t;
	int64_t pr = (int64_t) (l->out_w - 1) * s + k - l->in_w - l->pad_l;
	float  *oihw = pgl_alloc(c->b->env, sizeof(float) * (size_t) l->n_w);
	char	w[OX_NAME_LEN], bias[OX_NAME_LEN], out[OX_NAME_LEN];

	if (oihw == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory exporting a conv2d layer");
	/* ours: W[kh][kw][c][o]; ONNX: W[o][c][kh][kw] */
	for (int32_t o = 0; o < f; o++)
		for (int32_t ci = 0; ci < cin; ci++)
			for (int32_t i = 0; i < k; i++)
				for (int32_t j = 0; j < k; j++)
					oihw[((int64_t) (o * cin + ci) * k + i) * k + j] =
						W[(((int64_t) i * k + j) * cin + ci) * f + o];
	pads[0] = l->pad_t;
	pads[1] = l->pad_l;
	pads[2] = pb > 0 ? pb : 0;
	pads[3] = pr > 0 ? pr : 0;
	transpose_to(c, true);
	ox_b_init_f32(c->b, ox_b_name(c->b, w, "W"), 4, wd, oihw);
	ox_b_init_f32(c->b, ox_b_name(c->b, bias, "b"), 1, wd, W + l->n_w);
	pgl_free(c->b->env, oihw);
	ox_b_begin(c->b, "Conv", "");
	ox_b_in(c->b, c->cur);
	ox_b_in(c->b, w);
	ox_b_in(c->b, bias);
	ox_b_out(c->b, ox_b_name(c->b, out, "c"));
	ox_b_attr_ints(c->b, "kernel_shape", ks, 2);
	ox_b_attr_ints(c->b, "strides", strides, 2);
	ox_b_attr_ints(c->b, "pads", pads, 4);
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
	activation(c, l->s.activation, l->s.alpha);
	return PGL_OK;
}

static void
pool(nn_cursor *c, const nn_layer *l)
{
	int64_t ks[2] = {l->s.kernel, l->s.kernel}, strides[2] = {l->s.stride, l->s.stride};
	char	out[OX_NAME_LEN];

	transpose_to(c, true);
	ox_b_begin(c->b, l->s.type == PGL_NN_MAXPOOL2D ? "MaxPool" : "AveragePool", "");
	ox_b_in(c->b, c->cur);
	ox_b_out(c->b, ox_b_name(c->b, out, "p"));
	ox_b_attr_ints(c->b, "kernel_shape", ks, 2);
	ox_b_attr_ints(c->b, "strides", strides, 2);
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
}

static pgl_rc
batchnorm(nn_cursor *c, const nn_layer *l, const float *params, const float *stats, pgl_status *st)
{
	int64_t		 C = l->out_c;
	const float *gamma = params + l->p_off, *beta = gamma + C;
	const float *mean = stats + l->s_off, *var = mean + C;
	float		*scale = pgl_alloc(c->b->env, sizeof(float) * (size_t) C);

	if (scale == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory exporting a batchnorm layer");
	for (int64_t i = 0; i < C; i++)
		scale[i] = gamma[i] * (1.0f / sqrtf(var[i] + BN_EPS));
	channel_op(c, "Sub", mean, C);
	channel_op(c, "Mul", scale, C);
	channel_op(c, "Add", beta, C);
	pgl_free(c->b->env, scale);
	return PGL_OK;
}

static void
flatten(nn_cursor *c)
{
	char out[OX_NAME_LEN];

	if (c->ndim != 4)
		return;
	transpose_to(c, false);
	ox_b_begin(c->b, "Flatten", "");
	ox_b_in(c->b, c->cur);
	ox_b_out(c->b, ox_b_name(c->b, out, "f"));
	ox_b_attr_int(c->b, "axis", 1);
	ox_b_end(c->b);
	memcpy(c->cur, out, OX_NAME_LEN);
	c->ndim = 2;
}

static pgl_rc
layer(nn_cursor *c, const pgl_nn *net, int i, pgl_status *st)
{
	const nn_layer *l = &net->layer[i];
	const float	   *W = net->params + l->p_off;

	switch (l->s.type)
	{
		case PGL_NN_DENSE:
			dense(c, l, W);
			return PGL_OK;
		case PGL_NN_CONV2D:
			return conv2d(c, l, W, st);
		case PGL_NN_MAXPOOL2D:
		case PGL_NN_AVGPOOL2D:
			pool(c, l);
			return PGL_OK;
		case PGL_NN_FLATTEN:
			flatten(c);
			return PGL_OK;
		case PGL_NN_DROPOUT:
			return PGL_OK;
		case PGL_NN_BATCHNORM:
			return batchnorm(c, l, net->params, net->stats, st);
		case PGL_NN_ACTIVATION:
			activation(c, l->s.activation, l->s.alpha);
			return PGL_OK;
		default:
			pgl_fail(st, PGL_ERR_INVALID, "unsupported: layer %d (%s) has no ONNX export", i + 1,
					 pgl_nn_layer_name(l->s.type));
			snprintf(st->detail, sizeof(st->detail),
					 "ONNX export covers dense, conv2d, maxpool2d, avgpool2d, flatten, dropout, "
					 "batchnorm and activation layers.");
			return PGL_ERR_INVALID;
	}
}

/* the input, scaled or standardized, as cur */
static void
input(nn_cursor *c, const pgl_model *m, const pgl_nn *net, const double *cfg)
{
	int64_t width = net->in_size, shape[4] = {-1, net->spec.in_h, net->spec.in_w, net->spec.in_c};
	char	k[OX_NAME_LEN], out[OX_NAME_LEN];

	ox_b_input(c->b, "input", width);
	memcpy(c->cur, "input", 6);
	c->ndim = 2;
	if ((int32_t) cfg[PGL_NN_CFG_INPUT_KIND] == 0)
	{
		const pgl_tensor *mu = pgl_model_tensor(m, "nn_mu"), *sd = pgl_model_tensor(m, "nn_sd");
		int64_t			  d = m->n_inputs;

		ox_b_init_f64(c->b, ox_b_name(c->b, k, "mu"), 1, &d, mu->data);
		ox_b_op2(c->b, "Sub", c->cur, k, ox_b_name(c->b, out, "x"));
		ox_b_init_f64(c->b, ox_b_name(c->b, k, "sd"), 1, &d, sd->data);
		ox_b_op2(c->b, "Div", out, k, ox_b_name(c->b, c->cur, "x"));
		return;
	}
	if (cfg[PGL_NN_CFG_SCALE] != 1.0)
	{
		int64_t one = 1;

		ox_b_init_f64(c->b, ox_b_name(c->b, k, "scale"), 1, &one, &cfg[PGL_NN_CFG_SCALE]);
		ox_b_op2(c->b, "Mul", c->cur, k, ox_b_name(c->b, out, "x"));
		memcpy(c->cur, out, OX_NAME_LEN);
	}
	if (net->spec.in_ndim == 3)
	{
		ox_b_init_i64(c->b, ox_b_name(c->b, k, "shape"), 1, (int64_t[]){4}, shape);
		ox_b_op2(c->b, "Reshape", c->cur, k, ox_b_name(c->b, out, "x"));
		memcpy(c->cur, out, OX_NAME_LEN);
		c->ndim = 4;
		c->nchw = false;
	}
}

/* the outputs: probabilities, or the regression value unstandardized */
static void
output(nn_cursor *c, const pgl_model *m, const pgl_nn *net, const double *cfg)
{
	int64_t one = 1;
	char	k[OX_NAME_LEN], out[OX_NAME_LEN];

	flatten(c);
	if (net->spec.loss != PGL_NN_LOSS_MSE)
	{
		ox_export_probabilities(c->b, m, c->cur);
		return;
	}
	ox_b_init_f64(c->b, ox_b_name(c->b, k, "ysd"), 1, &one, &cfg[PGL_NN_CFG_Y_SD]);
	ox_b_op2(c->b, "Mul", c->cur, k, ox_b_name(c->b, out, "y"));
	ox_b_init_f64(c->b, ox_b_name(c->b, k, "ymu"), 1, &one, &cfg[PGL_NN_CFG_Y_MU]);
	ox_b_op2(c->b, "Add", out, k, "variable");
}

pgl_rc
ox_export_nn(ox_builder *b, const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *cfgt = pgl_model_tensor(m, "nn_config");
	const double	 *cfg;
	pgl_nn			 *net;
	nn_cursor		  c;
	pgl_rc			  rc = PGL_OK;

	if (cfgt == NULL || cfgt->dtype != PGL_F64 || pgl_tensor_count(cfgt) < PGL_NN_CONFIG_LEN)
		return pgl_fail(st, PGL_ERR_CORRUPT, "the neural_net model has no nn_config");
	cfg = cfgt->data;
	if (pgl_nn_from_model(b->env, m, 1, &net, st) != PGL_OK)
		return st->rc;
	/* a pruned layer stored sparse: its weights back into the dense matrix */
	pgl_nn_sparse_mode(net, PGL_NN_SPARSE_NEVER);
	memset(&c, 0, sizeof(c));
	c.b = b;
	if ((int32_t) cfg[PGL_NN_CFG_INPUT_KIND] == 0 &&
		(pgl_model_tensor(m, "nn_mu") == NULL || pgl_model_tensor(m, "nn_sd") == NULL))
		rc = pgl_fail(st, PGL_ERR_CORRUPT, "the neural_net model has no nn_mu or nn_sd");
	else if (m->n_features == 1 && m->features[0].kind == PGL_FEATURE_TOKENS)
	{
		rc = pgl_fail(st, PGL_ERR_INVALID, "unsupported: a network over text has no ONNX export");
		snprintf(st->detail, sizeof(st->detail),
				 "Its tokenizer runs in pg_learn; the ONNX graph would take token ids.");
	}
	if (rc == PGL_OK)
	{
		input(&c, m, net, cfg);
		for (int i = 0; i < net->L && rc == PGL_OK; i++)
			rc = layer(&c, net, i, st);
		if (rc == PGL_OK)
			output(&c, m, net, cfg);
	}
	pgl_nn_destroy(b->env, net);
	return rc;
}
