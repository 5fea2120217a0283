/*-------------------------------------------------------------------------
 *
 * nn.c
 *	  The neural-network layer engine: shape inference, forward and
 *	  backward passes in float32 over SGEMM, losses, Adam and SGD with
 *	  momentum, the training loop, and the model tensors.
 *
 * Layout: a batch is row-major, one sample per row, each sample in NHWC
 * order (channels last); a flat sample of d values has shape 1 x 1 x d.
 * Activations are applied in place on a layer's output, and the backward
 * pass derives each activation's derivative from that output, so no
 * pre-activation is kept.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prep.h"

#define NN_BN_MOMENTUM 0.99f
#define NN_BN_EPS	   1e-3f
#define NN_ARCH_COLS   8  /* as written when columns 8 and up are all 0 */
#define NN_ARCH_WIDE   12 /* with the attention columns */

/* ---------- names ---------- */

const char *
pgl_nn_layer_name(int32_t type)
{
	switch (type)
	{
		case PGL_NN_DENSE:
			return "dense";
		case PGL_NN_DROPOUT:
			return "dropout";
		case PGL_NN_CONV2D:
			return "conv2d";
		case PGL_NN_MAXPOOL2D:
			return "maxpool2d";
		case PGL_NN_AVGPOOL2D:
			return "avgpool2d";
		case PGL_NN_FLATTEN:
			return "flatten";
		case PGL_NN_BATCHNORM:
			return "batchnorm";
		case PGL_NN_ACTIVATION:
			return "activation";
		case PGL_NN_EMBEDDING:
			return "embedding";
		case PGL_NN_LSTM:
			return "lstm";
		case PGL_NN_GRU:
			return "gru";
		case PGL_NN_CONV1D:
			return "conv1d";
		case PGL_NN_GLOBAL_AVG_POOL1D:
			return "global_avg_pool1d";
		case PGL_NN_GLOBAL_MAX_POOL1D:
			return "global_max_pool1d";
		case PGL_NN_MULTI_HEAD_ATTENTION:
			return "multi_head_attention";
		case PGL_NN_LAYER_NORM:
			return "layer_norm";
		case PGL_NN_POSITIONAL_EMBEDDING:
			return "positional_embedding";
		case PGL_NN_TRANSFORMER_ENCODER:
			return "transformer_encoder";
		case PGL_NN_SAMPLE:
			return "sample";
		default:
			return "unknown";
	}
}

const char *
pgl_nn_activation_name(int32_t act)
{
	static const char *const names[] = {"linear", "relu",	 "leaky_relu",
										"tanh",	  "sigmoid", "softmax"};

	return act >= 0 && act <= PGL_NN_ACT_MAX ? names[act] : "unknown";
}

void
pgl_nn_spec_defaults(pgl_nn_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->optimizer = PGL_NN_ADAM;
	spec->init = PGL_NN_INIT_AUTO;
	spec->learning_rate = 0.001;
	spec->momentum = 0.9;
	spec->beta1 = 0.9;
	spec->beta2 = 0.999;
	spec->epsilon = 1e-7;
	spec->batch_size = 32;
	spec->epochs = 10;
	spec->seed = 42;
	spec->temperature = 2.0;
	spec->distill_weight = 0.5;
	spec->vae_beta = 1.0;
}

static void
shape_str(char *buf, size_t len, int32_t ndim, int32_t h, int32_t w, int32_t c)
{
	if (ndim == 1)
		snprintf(buf, len, "(%d)", (int) c);
	else if (ndim == 2)
		snprintf(buf, len, "(%d, %d)", (int) h, (int) c);
	else
		snprintf(buf, len, "(%d, %d, %d)", (int) h, (int) w, (int) c);
}

/* ---------- shape inference ---------- */

pgl_rc
nn_layer_fail(pgl_status *st, pgl_rc rc, int i, const nn_layer *l, const char *what)
{
	char in[64];

	shape_str(in, sizeof(in), l->in_ndim, l->in_h, l->in_w, l->in_c);
	return pgl_fail(st, rc, "layer %d (%s) with input shape %s: %s", i + 1,
					pgl_nn_layer_name(l->s.type), in, what);
}

static bool
has_activation(int32_t type)
{
	return type == PGL_NN_DENSE || type == PGL_NN_CONV2D || type == PGL_NN_ACTIVATION ||
		   type == PGL_NN_CONV1D;
}

/*
 * Shapes and parameter offsets of every layer of spec into layers[]
 * (spec->n_layers entries); rc is the code for a mismatch.
 */
pgl_rc
nn_infer(const pgl_nn_spec *spec, nn_layer *layers, int64_t *P, int64_t *S, pgl_rc rc,
		 pgl_status *st)
{
	int32_t ndim = spec->in_ndim, h = spec->in_h, w = spec->in_w, c = spec->in_c;
	int64_t p = 0, s = 0;
	char	buf[160];

	if (spec->n_layers < 1 || spec->n_layers > NN_MAX_LAYERS)
		return pgl_fail(st, rc, "a network needs between 1 and %d layers, not %d", NN_MAX_LAYERS,
						(int) spec->n_layers);
	if (ndim == 1)
		h = w = 1;
	if (ndim == 2)
		w = 1;
	if ((ndim < 1 || ndim > 3) || h < 1 || w < 1 || c < 1 || (int64_t) h * w * c > NN_MAX_DIM)
		return pgl_fail(st, rc, "invalid input shape (%d, %d, %d)", (int) h, (int) w, (int) c);

	for (int i = 0; i < spec->n_layers; i++)
	{
		nn_layer *l = &layers[i];
		int64_t	  out;

		memset(l, 0, sizeof(*l));
		l->s = spec->layers[i];
		l->in_ndim = ndim;
		l->in_h = h;
		l->in_w = w;
		l->in_c = c;
		l->in_size = (int64_t) h * w * c;
		if (l->s.activation < 0 || l->s.activation > PGL_NN_ACT_MAX ||
			(!has_activation(l->s.type) && l->s.activation != PGL_NN_LINEAR))
			return nn_layer_fail(st, rc, i, l, "invalid activation");
		if ((l->s.activation == PGL_NN_LEAKY_RELU) && !(l->s.alpha >= 0 && l->s.alpha < 1))
			return nn_layer_fail(st, rc, i, l, "the leaky_relu slope \"alpha\" must be in [0, 1)");
		if (l->s.vocab != 0 && l->s.type != PGL_NN_EMBEDDING)
			return nn_layer_fail(st, rc, i, l, "\"vocab\" applies to an embedding only");
		if ((l->s.return_sequences != 0 || l->s.bidirectional != 0) && l->s.type != PGL_NN_LSTM &&
			l->s.type != PGL_NN_GRU)
			return nn_layer_fail(st, rc, i, l,
								 "\"return_sequences\" and \"bidirectional\" apply to lstm "
								 "and gru only");
		if (!nn_attn_owns(l->s.type) &&
			(l->s.heads != 0 || l->s.key_dim != 0 || l->s.ff_units != 0 || l->s.pos_kind != 0 ||
			 l->s.max_len != 0))
			return nn_layer_fail(st, rc, i, l,
								 "\"heads\", \"key_dim\", \"ff_units\", \"kind\" and "
								 "\"max_len\" apply to the attention layers only");
		switch (l->s.type)
		{
			case PGL_NN_DENSE:
				if (ndim != 1)
					return nn_layer_fail(
						st, rc, i, l, "dense needs a flat input; add {\"flatten\": {}} before it");
				if (l->s.units < 1 || l->s.units > NN_MAX_DIM)
					return nn_layer_fail(st, rc, i, l, "\"units\" must be a positive integer");
				if (l->in_size * l->s.units > (int64_t) 1 << 28)
					return nn_layer_fail(st, rc, i, l, "too many weights (more than 2^28)");
				c = l->s.units;
				l->n_w = l->in_size * l->s.units;
				l->n_b = l->s.units;
				break;
			case PGL_NN_CONV2D:
			{
				int32_t k = l->s.kernel, str = l->s.stride, ho, wo;

				if (ndim != 3)
					return nn_layer_fail(
						st, rc, i, l,
						"conv2d needs an input of shape (height, width, channels); "
						"give \"input_shape\" as [height, width, channels]");
				if (l->s.units < 1 || l->s.units > 65536)
					return nn_layer_fail(st, rc, i, l, "\"filters\" must be a positive integer");
				if (k < 1 || k > 64)
					return nn_layer_fail(st, rc, i, l, "\"kernel\" must be between 1 and 64");
				if (str < 1 || str > 64)
					return nn_layer_fail(st, rc, i, l, "\"stride\" must be between 1 and 64");
				if (l->s.padding == 1)
				{
					int32_t ph, pw;

					ho = (h + str - 1) / str;
					wo = (w + str - 1) / str;
					ph = (ho - 1) * str + k - h;
					pw = (wo - 1) * str + k - w;
					l->pad_t = ph > 0 ? ph / 2 : 0;
					l->pad_l = pw > 0 ? pw / 2 : 0;
				}
				else if (l->s.padding == 0)
				{
					if (k > h || k > w)
					{
						snprintf(buf, sizeof(buf),
								 "kernel %d does not fit with \"padding\": \"valid\"; use a "
								 "smaller kernel or \"padding\": \"same\"",
								 (int) k);
						return nn_layer_fail(st, rc, i, l, buf);
					}
					ho = (h - k) / str + 1;
					wo = (w - k) / str + 1;
				}
				else
					return nn_layer_fail(st, rc, i, l, "\"padding\" must be \"same\" or \"valid\"");
				l->kkc = (int64_t) k * k * c;
				l->n_w = l->kkc * l->s.units;
				l->n_b = l->s.units;
				if (l->n_w > (int64_t) 1 << 28)
					return nn_layer_fail(st, rc, i, l, "too many weights (more than 2^28)");
				h = ho;
				w = wo;
				c = l->s.units;
				break;
			}
			case PGL_NN_MAXPOOL2D:
			case PGL_NN_AVGPOOL2D:
			{
				int32_t k = l->s.kernel, str = l->s.stride ? l->s.stride : l->s.kernel;

				if (ndim != 3)
					return nn_layer_fail(
						st, rc, i, l, "pooling needs an input of shape (height, width, channels)");
				if (k < 1 || k > 64 || str < 1 || str > 64)
					return nn_layer_fail(st, rc, i, l,
										 "the pool size and stride must be between 1 and 64");
				if (k > h || k > w)
				{
					snprintf(buf, sizeof(buf), "pool size %d is larger than the input", (int) k);
					return nn_layer_fail(st, rc, i, l, buf);
				}
				l->s.stride = str;
				h = (h - k) / str + 1;
				w = (w - k) / str + 1;
				break;
			}
			case PGL_NN_FLATTEN:
				c = h * w * c;
				h = w = 1;
				ndim = 1;
				break;
			case PGL_NN_DROPOUT:
				if (!(l->s.rate >= 0 && l->s.rate < 1))
					return nn_layer_fail(st, rc, i, l, "the dropout rate must be in [0, 1)");
				break;
			case PGL_NN_BATCHNORM:
				l->n_w = c;
				l->n_b = c;
				l->s_off = s;
				s += 2 * (int64_t) c;
				break;
			case PGL_NN_ACTIVATION:
				break;
			default:
				if (!nn_seq_owns(l->s.type) && !nn_attn_owns(l->s.type) && !nn_vae_owns(l->s.type))
					return pgl_fail(st, rc, "layer %d has an unknown type %d", i + 1,
									(int) l->s.type);
				if ((nn_seq_owns(l->s.type)	   ? nn_seq_infer(l, i, rc, st)
					 : nn_attn_owns(l->s.type) ? nn_attn_infer(l, i, rc, st)
											   : nn_vae_infer(l, i, rc, st)) != PGL_OK)
					return rc;
				ndim = l->out_ndim;
				h = l->out_h;
				w = l->out_w;
				c = l->out_c;
				break;
		}
		l->out_ndim = ndim;
		l->out_h = h;
		l->out_w = w;
		l->out_c = c;
		out = (int64_t) h * w * c;
		if (out > NN_MAX_DIM)
			return nn_layer_fail(st, rc, i, l, "the output has more than 2^24 values");
		l->out_size = out;
		l->p_off = p;
		p += l->n_w + l->n_b;
	}

	/* the last layer must match the loss */
	{
		nn_layer *l = &layers[spec->n_layers - 1];
		char	  shp[64];
		int32_t	  want_act = spec->loss == PGL_NN_LOSS_SOFTMAX_CE	? PGL_NN_SOFTMAX
							 : spec->loss == PGL_NN_LOSS_SIGMOID_CE ? PGL_NN_SIGMOID
																	: -1;

		shape_str(shp, sizeof(shp), l->out_ndim, l->out_h, l->out_w, l->out_c);
		if (l->out_ndim != 1 || l->out_size != spec->n_out)
			return pgl_fail(
				st, rc, "the last layer (%d, %s) outputs shape %s, but the %s needs (%d)",
				(int) spec->n_layers, pgl_nn_layer_name(l->s.type), shp,
				spec->loss == PGL_NN_LOSS_MSE ? "regression target" : "number of classes",
				(int) spec->n_out);
		if (want_act >= 0 && (!has_activation(l->s.type) || l->s.activation != want_act))
			return pgl_fail(st, rc,
							"the last layer (%d, %s) must have \"activation\": \"%s\" for %s, "
							"not \"%s\"",
							(int) spec->n_layers, pgl_nn_layer_name(l->s.type),
							pgl_nn_activation_name(want_act),
							want_act == PGL_NN_SOFTMAX ? "classification"
													   : "a binary sigmoid output",
							pgl_nn_activation_name(l->s.activation));
		if (spec->loss == PGL_NN_LOSS_MSE && l->s.activation == PGL_NN_SOFTMAX && l->out_size == 1)
			return pgl_fail(st, rc,
							"the last layer (%d) of a regression has a softmax over one output, "
							"which is always 1",
							(int) spec->n_layers);
	}
	*P = p;
	*S = s;
	return PGL_OK;
}

/* a two-class softmax spec whose last layer is one sigmoid unit: sigmoid cross-entropy */
static void
adjust_binary(pgl_nn_spec *spec)
{
	const pgl_nn_layer_spec *last = &spec->layers[spec->n_layers - 1];

	if (spec->loss == PGL_NN_LOSS_SOFTMAX_CE && spec->n_out == 2 && spec->n_layers > 0 &&
		last->activation == PGL_NN_SIGMOID && last->type == PGL_NN_DENSE && last->units == 1)
	{
		spec->loss = PGL_NN_LOSS_SIGMOID_CE;
		spec->n_out = 1;
	}
}

/* ---------- random numbers ---------- */

double
nn_rng_normal(uint64_t *s)
{
	double u1 = (pgl_rng_next(s) >> 11) * (1.0 / 9007199254740992.0) + 1e-300;
	double u2 = pgl_rng_uniform(s);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static void
init_params(pgl_nn *net)
{
	uint64_t rng = net->spec.seed ^ 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < net->L; i++)
	{
		nn_layer *l = &net->layer[i];
		float	 *W = net->params + l->p_off;
		float	 *b = W + l->n_w;
		double	  fan_in, fan_out;
		bool	  he;

		if (l->s.type == PGL_NN_BATCHNORM)
		{
			float *st = net->stats + l->s_off;

			for (int64_t j = 0; j < l->n_w; j++)
			{
				W[j] = 1.0f;
				b[j] = 0.0f;
				st[j] = 0.0f;
				st[l->n_w + j] = 1.0f;
			}
			continue;
		}
		if (nn_seq_owns(l->s.type))
		{
			nn_seq_init(l, W, &rng);
			continue;
		}
		if (nn_attn_owns(l->s.type))
		{
			nn_attn_init(l, W, &rng);
			continue;
		}
		if (l->n_w == 0)
			continue;
		if (l->s.type == PGL_NN_DENSE)
		{
			fan_in = (double) l->in_size;
			fan_out = l->s.units;
		}
		else
		{
			fan_in = (double) l->kkc;
			fan_out = (double) l->s.kernel * l->s.kernel * l->s.units;
		}
		he = net->spec.init == PGL_NN_INIT_HE ||
			 (net->spec.init == PGL_NN_INIT_AUTO &&
			  (l->s.activation == PGL_NN_RELU || l->s.activation == PGL_NN_LEAKY_RELU));
		if (he)
		{
			double sd = sqrt(2.0 / fan_in);

			for (int64_t j = 0; j < l->n_w; j++)
				W[j] = (float) (sd * nn_rng_normal(&rng));
		}
		else
		{
			double lim = sqrt(6.0 / (fan_in + fan_out));

			for (int64_t j = 0; j < l->n_w; j++)
				W[j] = (float) (lim * (2.0 * pgl_rng_uniform(&rng) - 1.0));
		}
		memset(b, 0, sizeof(float) * (size_t) l->n_b);
	}
}

/* ---------- length buckets ---------- */

/*
 * Can layer l, reading a (T, F) sequence (or token ids), run on the first
 * T_b steps of a batch whose rows are at most T_b long, with the same
 * results on those steps?  The sequence layers mask the steps past each
 * row's length (so the steps past T_b change nothing they output), and
 * dropout and activation work step by step.  batchnorm (statistics over
 * every step) and flatten (the steps become features) cannot.
 */
static bool
cuts_steps(const nn_layer *l)
{
	switch (l->s.type)
	{
		case PGL_NN_DROPOUT:
		case PGL_NN_ACTIVATION:
			return true;
		default:
			return nn_seq_owns(l->s.type) || nn_attn_owns(l->s.type);
	}
}

/*
 * The layers on the time axis, from the input to the first layer whose
 * output has none: their full steps (steps_in, steps_out), and net->trims
 * when each of them can run on a batch's steps.
 */
static void
nn_mark_steps(pgl_nn *net)
{
	net->trims = pgl_nn_takes_sequences(net);
	for (int i = 0; i < net->L && net->trims; i++)
	{
		nn_layer *l = &net->layer[i];

		if (!cuts_steps(l))
			net->trims = false;
		l->steps_in = l->in_ndim == 2 ? l->in_h : l->in_c;
		l->steps_out = l->out_ndim == 2 ? l->out_h : 0;
		if (l->steps_out == 0)
			break;
	}
	if (!net->trims)
		for (int i = 0; i < net->L; i++)
			net->layer[i].steps_in = net->layer[i].steps_out = 0;
	net->steps = net->layer[0].steps_in;
}

/* run the layers on the time axis on the first steps steps (their full steps: restore) */
static void
nn_set_steps(pgl_nn *net, int32_t steps)
{
	int32_t t = steps;

	net->steps = steps;
	for (int i = 0; i < net->L && net->layer[i].steps_in > 0; i++)
	{
		nn_layer *l = &net->layer[i];

		if (l->in_ndim == 2)
			l->in_h = t;
		else
			l->in_c = t;
		l->in_size = (int64_t) l->in_h * l->in_w * l->in_c;
		if (l->steps_out == 0)
			break;
		l->out_h = l->steps_out;
		if (t < l->steps_in)
			l->out_h = l->s.type == PGL_NN_CONV1D ? nn_seq_out_steps(l, t) : t;
		l->out_size = (int64_t) l->out_h * l->out_w * l->out_c;
		t = l->out_h;
	}
}

/*
 * Before a batch of n rows: the layers on the time axis cut to the batch's
 * longest row (pgl_nn_set_lengths), and X cut likewise into net->xpack;
 * returns the input to run (X when nothing is cut).
 */
static const float *
nn_begin_batch(pgl_nn *net, const float *X, int32_t n)
{
	int32_t T = net->layer[0].steps_in, Tb = 1;
	int64_t step;

	net->last_steps = T;
	for (int i = 0; i < net->L; i++)
		net->layer[i].packed_row = 0;
	if (!net->trims || net->lengths == NULL || net->spec.no_buckets)
		return X;
	for (int32_t b = 0; b < n && Tb < T; b++)
		if (net->lengths[b] > Tb)
			Tb = net->lengths[b] < T ? net->lengths[b] : T;
	if (Tb >= T)
		return X;
	nn_set_steps(net, Tb);
	net->last_steps = Tb;
	step = net->in_size / T;
	for (int32_t b = 0; b < n; b++)
		memcpy(net->xpack + (int64_t) b * Tb * step, X + (int64_t) b * net->in_size,
			   sizeof(float) * (size_t) (Tb * step));
	return net->xpack;
}

int32_t
pgl_nn_batch_steps(const pgl_nn *net)
{
	return net->last_steps;
}

/*
 * After pgl_nn_forward of a cut batch of n rows: the layers on the time
 * axis hold their outputs packed n x T_b x C; remember it, and
 * pgl_nn_layer_output spreads a layer's back to n x T x C when asked
 * (nn_spread_output), not every prediction batch.
 */
static void
nn_mark_packed(pgl_nn *net, int32_t n)
{
	net->packed_n = n;
	for (int i = 0; i < net->L && net->layer[i].steps_out > 0; i++)
	{
		nn_layer *l = &net->layer[i];
		int64_t	  row = (int64_t) l->out_h * l->out_w * l->out_c;
		int64_t	  full = (int64_t) l->steps_out * l->out_w * l->out_c;

		l->packed_row = row == full ? 0 : row;
	}
}

void
nn_spread_output(pgl_nn *net, nn_layer *l)
{
	int64_t row = l->packed_row, full = l->out_size;

	if (row <= 0)
		return;
	for (int32_t b = net->packed_n - 1; b >= 0; b--)
	{
		memmove(l->out + b * full, l->out + b * row, sizeof(float) * (size_t) row);
		memset(l->out + b * full + row, 0, sizeof(float) * (size_t) (full - row));
	}
	l->packed_row = 0;
}

/* after a batch: the full shapes again */
static void
nn_end_batch(pgl_nn *net)
{
	if (net->trims && net->steps != net->layer[0].steps_in)
		nn_set_steps(net, net->layer[0].steps_in);
}

/* ---------- construction ---------- */

static pgl_rc
nn_build(const pgl_env *env, const pgl_nn_spec *spec_in, int32_t max_batch, bool alloc_params,
		 pgl_nn **out, pgl_status *st)
{
	pgl_nn	   *net;
	pgl_nn_spec spec = *spec_in;
	nn_layer	tmp[NN_MAX_LAYERS];
	int64_t		P, S, widest;
	pgl_rc		rc;

	*out = NULL;
	if (spec.n_layers < 1 || spec.n_layers > NN_MAX_LAYERS)
		return pgl_fail(st, PGL_ERR_INVALID, "a network needs between 1 and %d layers, not %d",
						NN_MAX_LAYERS, (int) spec.n_layers);
	adjust_binary(&spec);
	rc = nn_infer(&spec, tmp, &P, &S, PGL_ERR_INVALID, st);
	if (rc != PGL_OK)
		return rc;
	if (max_batch < 1)
		max_batch = 1;

	net = pgl_alloc0(env, sizeof(pgl_nn));
	if (net == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	net->env = *env;
	net->spec = spec;
	net->spec.layers = pgl_alloc(env, sizeof(pgl_nn_layer_spec) * spec.n_layers);
	net->layer = pgl_alloc0(env, sizeof(nn_layer) * spec.n_layers);
	if (net->spec.layers == NULL || net->layer == NULL)
		goto nomem;
	memcpy(net->spec.layers, spec.layers, sizeof(pgl_nn_layer_spec) * spec.n_layers);
	memcpy(net->layer, tmp, sizeof(nn_layer) * spec.n_layers);
	net->L = spec.n_layers;
	net->max_batch = max_batch;
	net->in_size = net->layer[0].in_size;
	net->P = P;
	net->S = S;
	net->rng = spec.seed ^ 0xD1B54A32D192ED03ULL;
	net->owns_params = alloc_params;
	if (alloc_params)
	{
		net->params = pgl_alloc(env, sizeof(float) * (size_t) (P + 1));
		net->stats = pgl_alloc(env, sizeof(float) * (size_t) (S + 1));
		if (net->params == NULL || net->stats == NULL)
			goto nomem;
	}
	/* a network built from a model only predicts: no gradients */
	if (alloc_params)
	{
		net->grads = pgl_alloc0(env, sizeof(float) * (size_t) (P + 1));
		if (net->grads == NULL)
			goto nomem;
	}

	widest = net->in_size;
	for (int i = 0; i < net->L; i++)
	{
		nn_layer *l = &net->layer[i];
		size_t	  rows = (size_t) max_batch;

		if (l->out_size > widest)
			widest = l->out_size;
		l->out = pgl_alloc(env, sizeof(float) * rows * (size_t) l->out_size);
		if (l->out == NULL)
			goto nomem;
		switch (l->s.type)
		{
			case PGL_NN_CONV2D:
				l->cols = pgl_alloc(env, sizeof(float) * rows * (size_t) l->out_h *
											 (size_t) l->out_w * (size_t) l->kkc);
				if (l->cols == NULL)
					goto nomem;
				break;
			case PGL_NN_MAXPOOL2D:
				l->idx = pgl_alloc(env, sizeof(int32_t) * rows * (size_t) l->out_size);
				if (l->idx == NULL)
					goto nomem;
				break;
			case PGL_NN_DROPOUT:
				l->mask = pgl_alloc(env, sizeof(float) * rows * (size_t) l->out_size);
				if (l->mask == NULL)
					goto nomem;
				break;
			case PGL_NN_BATCHNORM:
				l->xhat = pgl_alloc(env, sizeof(float) * rows * (size_t) l->out_size);
				l->bmean = pgl_alloc(env, sizeof(float) * (size_t) l->out_c);
				l->bistd = pgl_alloc(env, sizeof(float) * (size_t) l->out_c);
				if (l->xhat == NULL || l->bmean == NULL || l->bistd == NULL)
					goto nomem;
				break;
			default:
				break;
		}
		if (l->work_per_row > 0)
		{
			l->work = pgl_alloc(env, sizeof(float) * rows * (size_t) l->work_per_row);
			if (l->work == NULL)
				goto nomem;
		}
		if (nn_seq_owns(l->s.type))
		{
			l->len = pgl_alloc(env, sizeof(int32_t) * rows);
			if (l->len == NULL)
				goto nomem;
		}
	}
	net->lenbuf = pgl_alloc(env, sizeof(int32_t) * (size_t) max_batch);
	if (net->lenbuf == NULL)
		goto nomem;
	nn_mark_steps(net);
	if (net->trims)
	{
		net->xpack = pgl_alloc(env, sizeof(float) * (size_t) max_batch * (size_t) net->in_size);
		if (net->xpack == NULL)
			goto nomem;
	}
	if (alloc_params)
	{
		net->g0 = pgl_alloc(env, sizeof(float) * (size_t) max_batch * (size_t) widest);
		net->g1 = pgl_alloc(env, sizeof(float) * (size_t) max_batch * (size_t) widest);
		if (net->g0 == NULL || net->g1 == NULL)
			goto nomem;
		init_params(net);
	}
	*out = net;
	return PGL_OK;

nomem:
	pgl_nn_destroy(env, net);
	return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for the network");
}

pgl_rc
pgl_nn_memory(const pgl_nn_spec *spec_in, int32_t max_batch, int64_t *bytes, pgl_status *st)
{
	pgl_nn_spec spec = *spec_in;
	nn_layer	tmp[NN_MAX_LAYERS];
	int64_t		P, S, widest, total;
	double		b = max_batch < 1 ? 1 : max_batch;

	if (spec.n_layers < 1 || spec.n_layers > NN_MAX_LAYERS)
		return pgl_fail(st, PGL_ERR_INVALID, "a network needs between 1 and %d layers, not %d",
						NN_MAX_LAYERS, (int) spec.n_layers);
	adjust_binary(&spec);
	if (nn_infer(&spec, tmp, &P, &S, PGL_ERR_INVALID, st) != PGL_OK)
		return st->rc;
	/* parameters, gradients, two optimizer moments, the best weights */
	total = (int64_t) sizeof(float) * (5 * P + 2 * S);
	widest = tmp[0].in_size;
	for (int i = 0; i < spec.n_layers; i++)
	{
		const nn_layer *l = &tmp[i];
		double			per_row = (double) l->out_size;

		if (l->out_size > widest)
			widest = l->out_size;
		if (l->s.type == PGL_NN_CONV2D)
			per_row += (double) l->out_h * l->out_w * l->kkc;
		else if (l->s.type == PGL_NN_MAXPOOL2D || l->s.type == PGL_NN_DROPOUT ||
				 l->s.type == PGL_NN_BATCHNORM)
			per_row += (double) l->out_size;
		per_row += (double) l->work_per_row;
		total += (int64_t) (4.0 * b * per_row);
	}
	total += (int64_t) (4.0 * b * (2.0 * widest + tmp[0].in_size));
	*bytes = total;
	return PGL_OK;
}

pgl_rc
pgl_nn_create(const pgl_env *env, const pgl_nn_spec *spec, int32_t max_batch, pgl_nn **out,
			  pgl_status *st)
{
	return nn_build(env, spec, max_batch, true, out, st);
}

void
pgl_nn_destroy(const pgl_env *env, pgl_nn *net)
{
	if (net == NULL)
		return;
	if (net->layer)
		for (int i = 0; i < net->L; i++)
		{
			nn_layer *l = &net->layer[i];

			pgl_free(env, l->out);
			pgl_free(env, l->cols);
			pgl_free(env, l->idx);
			pgl_free(env, l->mask);
			pgl_free(env, l->xhat);
			pgl_free(env, l->bmean);
			pgl_free(env, l->bistd);
			pgl_free(env, l->work);
			pgl_free(env, l->len);
		}
	pgl_free(env, net->lenbuf);
	pgl_free(env, net->logits);
	pgl_free(env, net->xpack);
	if (net->csr)
		for (int i = 0; i < net->n_csr; i++)
			pgl_free(env, net->csr[i].idx_own);
	pgl_free(env, net->csr);
	pgl_free(env, net->spmm_work);
	pgl_free(env, net->layer);
	pgl_free(env, net->spec.layers);
	if (net->owns_params)
	{
		pgl_free(env, net->params);
		pgl_free(env, net->stats);
	}
	pgl_free(env, net->grads);
	pgl_free(env, net->g0);
	pgl_free(env, net->g1);
	pgl_free(env, net);
}

int32_t
pgl_nn_input_size(const pgl_nn *net)
{
	return (int32_t) net->in_size;
}

int64_t
pgl_nn_param_count(const pgl_nn *net)
{
	return net->P;
}

float *
pgl_nn_params(pgl_nn *net)
{
	return net->params;
}

float *
pgl_nn_grads(pgl_nn *net)
{
	return net->grads;
}

void
pgl_nn_reseed(pgl_nn *net, uint64_t seed)
{
	net->rng = seed;
}

void
pgl_nn_set_lengths(pgl_nn *net, const int32_t *lengths)
{
	net->lengths = lengths;
}

bool
pgl_nn_takes_sequences(const pgl_nn *net)
{
	return net->layer[0].in_ndim == 2 || net->layer[0].s.type == PGL_NN_EMBEDDING;
}

int32_t
pgl_nn_step_size(const pgl_nn *net)
{
	if (!pgl_nn_takes_sequences(net))
		return 0;
	return net->layer[0].in_ndim == 2 ? net->layer[0].in_c : 1;
}

void
pgl_nn_sequence_lengths(const pgl_nn *net, const float *X, int64_t n, int32_t *lengths)
{
	const nn_layer *l = &net->layer[0];
	int32_t			T = l->in_ndim == 2 ? l->in_h : l->in_c;
	int64_t			F = l->in_ndim == 2 ? l->in_c : 1;

	for (int64_t r = 0; r < n; r++)
	{
		const float *x = X + r * net->in_size;
		int32_t		 len = T;

		while (len > 0)
		{
			bool zero = true;

			for (int64_t f = 0; f < F && zero; f++)
				zero = x[(int64_t) (len - 1) * F + f] == 0.0f;
			if (!zero)
				break;
			len--;
		}
		lengths[r] = len;
	}
}

const int32_t *
nn_input_lengths(const pgl_nn *net, int i)
{
	for (int j = i - 1; j >= 0; j--)
	{
		const nn_layer *p = &net->layer[j];

		if (p->has_len)
			return p->len;
		/* a layer of nn.c keeps the time axis only from (T, F) to (T, F) */
		if (p->in_ndim != 2 || p->out_ndim != 2 || p->in_h != p->out_h)
			return NULL;
	}
	return net->lengths;
}

void
pgl_nn_describe(const pgl_nn *net, char *buf, size_t len)
{
	size_t pos = 0;
	char   shp[64];

	shape_str(shp, sizeof(shp), net->layer[0].in_ndim, net->layer[0].in_h, net->layer[0].in_w,
			  net->layer[0].in_c);
	pos += snprintf(buf + pos, len - pos, "input %s", shp);
	for (int i = 0; i < net->L && pos < len; i++)
	{
		const nn_layer *l = &net->layer[i];

		shape_str(shp, sizeof(shp), l->out_ndim, l->out_h, l->out_w, l->out_c);
		pos += snprintf(buf + pos, len - pos, " -> %s %s", pgl_nn_layer_name(l->s.type), shp);
	}
}

/* ---------- GEMM ---------- */

void
nn_gemm(pgl_nn *net, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
		const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
				(int) M, (int) N, (int) K, 1.0f, A, (int) lda, B, (int) ldb, beta, C, (int) ldc);
	net->flops += 2.0 * (double) M * (double) N * (double) K;
}

/* ---------- activations ---------- */

void
nn_act_forward(int32_t act, float alpha, float *a, int64_t rows, int64_t group)
{
	int64_t count = rows * group;

	switch (act)
	{
		case PGL_NN_RELU:
			/* max(v, 0) as (v + |v|) / 2: exact, branch-free, vectorizes */
			for (int64_t i = 0; i < count; i++)
				a[i] = 0.5f * (a[i] + fabsf(a[i]));
			break;
		case PGL_NN_LEAKY_RELU:
			for (int64_t i = 0; i < count; i++)
				a[i] = a[i] > 0 ? a[i] : alpha * a[i];
			break;
		case PGL_NN_TANH:
			for (int64_t i = 0; i < count; i++)
				a[i] = tanhf(a[i]);
			break;
		case PGL_NN_SIGMOID:
			for (int64_t i = 0; i < count; i++)
			{
				float z = a[i];

				if (z >= 0)
					a[i] = 1.0f / (1.0f + expf(-z));
				else
				{
					float e = expf(z);

					a[i] = e / (1.0f + e);
				}
			}
			break;
		case PGL_NN_SOFTMAX:
			for (int64_t r = 0; r < rows; r++)
			{
				float *v = a + r * group;
				float  m = v[0];
				float  sum = 0;

				for (int64_t j = 1; j < group; j++)
					if (v[j] > m)
						m = v[j];
				for (int64_t j = 0; j < group; j++)
				{
					v[j] = expf(v[j] - m);
					sum += v[j];
				}
				for (int64_t j = 0; j < group; j++)
					v[j] /= sum;
			}
			break;
		default:
			break;
	}
}

/* d (gradient w.r.t. the output a) becomes the gradient w.r.t. the pre-activation */
void
nn_act_backward(int32_t act, float alpha, const float *restrict a, float *restrict d, int64_t rows,
				int64_t group)
{
	int64_t count = rows * group;

	switch (act)
	{
		case PGL_NN_RELU:
			for (int64_t i = 0; i < count; i++)
				d[i] *= (float) (a[i] > 0);
			break;
		case PGL_NN_LEAKY_RELU:
			for (int64_t i = 0; i < count; i++)
				d[i] *= a[i] > 0 ? 1.0f : alpha;
			break;
		case PGL_NN_TANH:
			for (int64_t i = 0; i < count; i++)
				d[i] *= 1.0f - a[i] * a[i];
			break;
		case PGL_NN_SIGMOID:
			for (int64_t i = 0; i < count; i++)
				d[i] *= a[i] * (1.0f - a[i]);
			break;
		case PGL_NN_SOFTMAX:
			for (int64_t r = 0; r < rows; r++)
			{
				const float *o = a + r * group;
				float		*g = d + r * group;
				float		 s = 0;

				for (int64_t j = 0; j < group; j++)
					s += g[j] * o[j];
				for (int64_t j = 0; j < group; j++)
					g[j] = o[j] * (g[j] - s);
			}
			break;
		default:
			break;
	}
}

/* ---------- conv helpers ---------- */

/*
 * The k * C values of one kernel row are contiguous in the input (NHWC):
 * copied with one memcpy when the row lies inside the image.
 */
static void
im2col(const nn_layer *l, const float *in, int32_t n, float *cols)
{
	int32_t k = l->s.kernel, str = l->s.stride, C = l->in_c;
	int64_t kc = (int64_t) k * C;

	for (int32_t b = 0; b < n; b++)
	{
		const float *x = in + (int64_t) b * l->in_size;

		for (int32_t oh = 0; oh < l->out_h; oh++)
			for (int32_t ow = 0; ow < l->out_w; ow++)
			{
				float  *row = cols + (((int64_t) b * l->out_h + oh) * l->out_w + ow) * l->kkc;
				int32_t iw0 = ow * str - l->pad_l;

				for (int32_t kh = 0; kh < k; kh++)
				{
					int32_t ih = oh * str - l->pad_t + kh;
					float  *dst = row + kh * kc;

					if (ih < 0 || ih >= l->in_h)
						memset(dst, 0, sizeof(float) * (size_t) kc);
					else if (iw0 >= 0 && iw0 + k <= l->in_w)
						memcpy(dst, x + ((int64_t) ih * l->in_w + iw0) * C,
							   sizeof(float) * (size_t) kc);
					else
						for (int32_t kw = 0; kw < k; kw++)
						{
							int32_t		 iw = iw0 + kw;
							const float *src = x + ((int64_t) ih * l->in_w + iw) * C;

							for (int32_t c = 0; c < C; c++)
								dst[kw * C + c] = iw >= 0 && iw < l->in_w ? src[c] : 0.0f;
						}
				}
			}
	}
}

static void
col2im(const nn_layer *l, const float *cols, int32_t n, float *din)
{
	int32_t k = l->s.kernel, str = l->s.stride, C = l->in_c;
	int64_t kc = (int64_t) k * C;

	memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
	for (int32_t b = 0; b < n; b++)
	{
		float *x = din + (int64_t) b * l->in_size;

		for (int32_t oh = 0; oh < l->out_h; oh++)
			for (int32_t ow = 0; ow < l->out_w; ow++)
			{
				const float *row = cols + (((int64_t) b * l->out_h + oh) * l->out_w + ow) * l->kkc;
				int32_t		 iw0 = ow * str - l->pad_l;
				int32_t		 kw0 = iw0 < 0 ? -iw0 : 0;
				int32_t		 kw1 = iw0 + k > l->in_w ? l->in_w - iw0 : k;

				for (int32_t kh = 0; kh < k; kh++)
				{
					int32_t		 ih = oh * str - l->pad_t + kh;
					const float *src;
					float		*dst;

					if (ih < 0 || ih >= l->in_h || kw1 <= kw0)
						continue;
					src = row + kh * kc + (int64_t) kw0 * C;
					dst = x + ((int64_t) ih * l->in_w + iw0 + kw0) * C;
					for (int64_t j = 0; j < (int64_t) (kw1 - kw0) * C; j++)
						dst[j] += src[j];
				}
			}
	}
}

/* running max over a window, channel by channel, with the argmax (vectorizes) */
static void
max_update(float *restrict o, int32_t *restrict ix, const float *restrict v, int32_t pos, int32_t C)
{
	for (int32_t c = 0; c < C; c++)
	{
		float	cur = o[c], nv = v[c];
		int32_t gt = -(int32_t) (nv > cur); /* all ones when the new value wins */

		o[c] = nv > cur ? nv : cur;
		ix[c] = (ix[c] & ~gt) | ((pos + c) & gt);
	}
}

static void
add_bias(float *out, const float *b, int64_t rows, int64_t width)
{
	for (int64_t r = 0; r < rows; r++)
	{
		float *o = out + r * width;

		for (int64_t j = 0; j < width; j++)
			o[j] += b[j];
	}
}

static void
bias_grad(const float *d, float *db, int64_t rows, int64_t width)
{
	memset(db, 0, sizeof(float) * (size_t) width);
	for (int64_t r = 0; r < rows; r++)
	{
		const float *g = d + r * width;

		for (int64_t j = 0; j < width; j++)
			db[j] += g[j];
	}
}

/* ---------- forward ---------- */

/*
 * The activation of layer l on its output (rows of group values); while
 * distilling (training with soft targets) the last layer's pre-activation
 * is kept in net->logits first.
 */
static void
layer_act(pgl_nn *net, nn_layer *l, int64_t rows, int64_t group, bool training)
{
	if (training && net->soft && l == &net->layer[net->L - 1])
		memcpy(net->logits, l->out, sizeof(float) * (size_t) (rows * group));
	nn_act_forward(l->s.activation, (float) l->s.alpha, l->out, rows, group);
}

static void
layer_forward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, bool training)
{
	const float *W = net->params + l->p_off;
	const float *b = W + l->n_w;

	switch (l->s.type)
	{
		case PGL_NN_DENSE:
			if (l->csr)
				nn_sparse_forward(net, l, in, n, l->in_size, l->out);
			else
				nn_gemm(net, false, false, n, l->s.units, l->in_size, in, l->in_size, W, l->s.units,
						0.0f, l->out, l->s.units);
			add_bias(l->out, b, n, l->s.units);
			layer_act(net, l, n, l->out_size, training);
			break;
		case PGL_NN_CONV2D:
		{
			int64_t rows = (int64_t) n * l->out_h * l->out_w;

			im2col(l, in, n, l->cols);
			if (l->csr)
				nn_sparse_forward(net, l, l->cols, rows, l->kkc, l->out);
			else
				nn_gemm(net, false, false, rows, l->s.units, l->kkc, l->cols, l->kkc, W, l->s.units,
						0.0f, l->out, l->s.units);
			add_bias(l->out, b, rows, l->s.units);
			if (l->s.activation == PGL_NN_SOFTMAX)
				layer_act(net, l, rows, l->out_c, training);
			else
				layer_act(net, l, n, l->out_size, training);
			break;
		}
		case PGL_NN_MAXPOOL2D:
		case PGL_NN_AVGPOOL2D:
		{
			int32_t k = l->s.kernel, str = l->s.stride, C = l->in_c;
			bool	is_max = l->s.type == PGL_NN_MAXPOOL2D;
			float	inv = 1.0f / (float) (k * k);

			/* channels innermost: contiguous in NHWC */
			for (int32_t bi = 0; bi < n; bi++)
			{
				const float *x = in + (int64_t) bi * l->in_size;
				float		*o = l->out + (int64_t) bi * l->out_size;
				int32_t		*ix = is_max ? l->idx + (int64_t) bi * l->out_size : NULL;

				for (int32_t oh = 0; oh < l->out_h; oh++)
					for (int32_t ow = 0; ow < l->out_w; ow++)
					{
						int64_t oi = ((int64_t) oh * l->out_w + ow) * C;
						int32_t p0 = ((oh * str) * l->in_w + ow * str) * C;

						for (int32_t c = 0; c < C; c++)
						{
							o[oi + c] = is_max ? x[p0 + c] : 0.0f;
							if (is_max)
								ix[oi + c] = p0 + c;
						}
						for (int32_t kh = 0; kh < k; kh++)
							for (int32_t kw = 0; kw < k; kw++)
							{
								int32_t		 pos = ((oh * str + kh) * l->in_w + ow * str + kw) * C;
								const float *v = x + pos;

								if (is_max)
								{
									if (kh == 0 && kw == 0)
										continue;
									max_update(o + oi, ix + oi, v, pos, C);
								}
								else
									for (int32_t c = 0; c < C; c++)
										o[oi + c] += v[c];
							}
						if (!is_max)
							for (int32_t c = 0; c < C; c++)
								o[oi + c] *= inv;
					}
			}
			break;
		}
		case PGL_NN_FLATTEN:
			memcpy(l->out, in, sizeof(float) * (size_t) n * (size_t) l->out_size);
			break;
		case PGL_NN_DROPOUT:
		{
			int64_t count = (int64_t) n * l->out_size;

			if (!training || l->s.rate == 0)
			{
				memcpy(l->out, in, sizeof(float) * (size_t) count);
				if (l->mask)
					for (int64_t i = 0; i < count; i++)
						l->mask[i] = 1.0f;
				break;
			}
			{
				float keep = (float) (1.0 / (1.0 - l->s.rate));

				for (int64_t i = 0; i < count; i++)
				{
					l->mask[i] = pgl_rng_uniform(&net->rng) < l->s.rate ? 0.0f : keep;
					l->out[i] = in[i] * l->mask[i];
				}
			}
			break;
		}
		case PGL_NN_BATCHNORM:
		{
			int64_t C = l->out_c, m = (int64_t) n * (l->out_size / C);
			float  *gamma = net->params + l->p_off, *beta = gamma + C;
			float  *rmean = net->stats + l->s_off, *rvar = rmean + C;

			if (training)
			{
				for (int64_t c = 0; c < C; c++)
				{
					l->bmean[c] = 0;
					l->bistd[c] = 0;
				}
				for (int64_t r = 0; r < m; r++)
					for (int64_t c = 0; c < C; c++)
						l->bmean[c] += in[r * C + c];
				for (int64_t c = 0; c < C; c++)
					l->bmean[c] /= (float) m;
				for (int64_t r = 0; r < m; r++)
					for (int64_t c = 0; c < C; c++)
					{
						float dv = in[r * C + c] - l->bmean[c];

						l->bistd[c] += dv * dv;
					}
				for (int64_t c = 0; c < C; c++)
				{
					float var = l->bistd[c] / (float) m;

					rmean[c] = NN_BN_MOMENTUM * rmean[c] + (1 - NN_BN_MOMENTUM) * l->bmean[c];
					rvar[c] = NN_BN_MOMENTUM * rvar[c] + (1 - NN_BN_MOMENTUM) * var;
					l->bistd[c] = 1.0f / sqrtf(var + NN_BN_EPS);
				}
			}
			else
				for (int64_t c = 0; c < C; c++)
				{
					l->bmean[c] = rmean[c];
					l->bistd[c] = 1.0f / sqrtf(rvar[c] + NN_BN_EPS);
				}
			for (int64_t r = 0; r < m; r++)
				for (int64_t c = 0; c < C; c++)
				{
					float xh = (in[r * C + c] - l->bmean[c]) * l->bistd[c];

					l->xhat[r * C + c] = xh;
					l->out[r * C + c] = gamma[c] * xh + beta[c];
				}
			break;
		}
		default:
			if (nn_vae_owns(l->s.type))
				nn_vae_forward(net, l, in, n, training);
			else if (nn_attn_owns(l->s.type))
				nn_attn_forward(net, l, (int) (l - net->layer), in, n);
			else
				nn_seq_forward(net, l, (int) (l - net->layer), in, n, training);
			break;
		case PGL_NN_ACTIVATION:
			memcpy(l->out, in, sizeof(float) * (size_t) n * (size_t) l->out_size);
			if (l->s.activation == PGL_NN_SOFTMAX)
				layer_act(net, l, (int64_t) n * (l->out_size / l->out_c), l->out_c, training);
			else
				layer_act(net, l, n, l->out_size, training);
			break;
	}
}

const float *
nn_forward_from(pgl_nn *net, int32_t first, const float *in, int32_t n)
{
	for (int32_t i = first; i < net->L; i++)
	{
		layer_forward(net, &net->layer[i], in, n, false);
		in = net->layer[i].out;
	}
	return in;
}

static const float *
forward_layers(pgl_nn *net, const float *X, int32_t n, bool training)
{
	const float *in = X;

	for (int i = 0; i < net->L; i++)
	{
		layer_forward(net, &net->layer[i], in, n, training);
		in = net->layer[i].out;
	}
	return in;
}

const float *
pgl_nn_forward(pgl_nn *net, const float *X, int32_t n, bool training)
{
	const float *out = forward_layers(net, nn_begin_batch(net, X, n), n, training);

	if (net->trims && net->steps != net->layer[0].steps_in)
	{
		nn_mark_packed(net, n);
		nn_spread_output(net, &net->layer[net->L - 1]); /* the returned output: full rows */
	}
	nn_end_batch(net);
	return out;
}

/* ---------- backward ---------- */

/*
 * d: gradient w.r.t. the layer's output (overwritten); din: gradient
 * w.r.t. its input, or NULL for the first layer.  fused: d is already the
 * gradient w.r.t. the pre-activation (softmax / sigmoid with cross-entropy).
 */
static void
layer_backward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, float *d, float *din,
			   bool fused)
{
	const float *W = net->params + l->p_off;
	float		*dW = net->grads + l->p_off;
	float		*db = dW + l->n_w;
	int64_t		 group = l->s.activation == PGL_NN_SOFTMAX ? l->out_c : l->out_size;
	int64_t		 arows = (int64_t) n * (l->out_size / group);

	switch (l->s.type)
	{
		case PGL_NN_DENSE:
			if (!fused)
				nn_act_backward(l->s.activation, (float) l->s.alpha, l->out, d, arows, group);
			nn_gemm(net, true, false, l->in_size, l->s.units, n, in, l->in_size, d, l->s.units,
					0.0f, dW, l->s.units);
			bias_grad(d, db, n, l->s.units);
			if (din)
				nn_gemm(net, false, true, n, l->in_size, l->s.units, d, l->s.units, W, l->s.units,
						0.0f, din, l->in_size);
			break;
		case PGL_NN_CONV2D:
		{
			int64_t rows = (int64_t) n * l->out_h * l->out_w;

			if (!fused)
				nn_act_backward(l->s.activation, (float) l->s.alpha, l->out, d, arows, group);
			nn_gemm(net, true, false, l->kkc, l->s.units, rows, l->cols, l->kkc, d, l->s.units,
					0.0f, dW, l->s.units);
			bias_grad(d, db, rows, l->s.units);
			if (din)
			{
				/* the im2col matrix is no longer needed: it takes the column gradients */
				nn_gemm(net, false, true, rows, l->kkc, l->s.units, d, l->s.units, W, l->s.units,
						0.0f, l->cols, l->kkc);
				col2im(l, l->cols, n, din);
			}
			break;
		}
		case PGL_NN_MAXPOOL2D:
			if (din)
			{
				memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
				for (int32_t b = 0; b < n; b++)
				{
					float		  *x = din + (int64_t) b * l->in_size;
					const float	  *g = d + (int64_t) b * l->out_size;
					const int32_t *ix = l->idx + (int64_t) b * l->out_size;

					for (int64_t j = 0; j < l->out_size; j++)
						x[ix[j]] += g[j];
				}
			}
			break;
		case PGL_NN_AVGPOOL2D:
			if (din)
			{
				int32_t k = l->s.kernel, str = l->s.stride, C = l->in_c;
				float	inv = 1.0f / (float) (k * k);

				memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
				for (int32_t b = 0; b < n; b++)
				{
					float		*x = din + (int64_t) b * l->in_size;
					const float *g = d + (int64_t) b * l->out_size;

					for (int32_t oh = 0; oh < l->out_h; oh++)
						for (int32_t ow = 0; ow < l->out_w; ow++)
							for (int32_t c = 0; c < C; c++)
							{
								float v = g[((int64_t) oh * l->out_w + ow) * C + c] * inv;

								for (int32_t kh = 0; kh < k; kh++)
									for (int32_t kw = 0; kw < k; kw++)
										x[((oh * str + kh) * l->in_w + ow * str + kw) * C + c] += v;
							}
				}
			}
			break;
		case PGL_NN_FLATTEN:
			if (din)
				memcpy(din, d, sizeof(float) * (size_t) n * (size_t) l->in_size);
			break;
		case PGL_NN_DROPOUT:
			if (din)
				for (int64_t i = 0; i < (int64_t) n * l->in_size; i++)
					din[i] = d[i] * l->mask[i];
			break;
		case PGL_NN_BATCHNORM:
		{
			int64_t C = l->out_c, m = (int64_t) n * (l->out_size / C);
			float  *gamma = net->params + l->p_off;
			float  *dgamma = dW, *dbeta = db;

			for (int64_t c = 0; c < C; c++)
				dgamma[c] = dbeta[c] = 0;
			for (int64_t r = 0; r < m; r++)
				for (int64_t c = 0; c < C; c++)
				{
					dgamma[c] += d[r * C + c] * l->xhat[r * C + c];
					dbeta[c] += d[r * C + c];
				}
			if (din)
				for (int64_t r = 0; r < m; r++)
					for (int64_t c = 0; c < C; c++)
					{
						float dxh = d[r * C + c] * gamma[c];

						/* (1/m) istd (m dxhat - sum dxhat - xhat sum dxhat xhat) */
						din[r * C + c] = l->bistd[c] / (float) m *
										 ((float) m * dxh - gamma[c] * dbeta[c] -
										  l->xhat[r * C + c] * gamma[c] * dgamma[c]);
					}
			break;
		}
		case PGL_NN_ACTIVATION:
			if (!fused)
				nn_act_backward(l->s.activation, (float) l->s.alpha, l->out, d, arows, group);
			if (din)
				memcpy(din, d, sizeof(float) * (size_t) n * (size_t) l->in_size);
			break;
		default:
			if (nn_vae_owns(l->s.type))
				nn_vae_backward(net, l, in, n, d, din);
			else if (nn_attn_owns(l->s.type))
				nn_attn_backward(net, l, (int) (l - net->layer), in, n, d, din);
			else
				nn_seq_backward(net, l, (int) (l - net->layer), in, n, d, din, fused);
			break;
	}
}

/* ---------- losses ---------- */

/*
 * Loss of the outputs (mean over rows); when grad is not NULL its gradient
 * w.r.t. the pre-activation of the last layer (cross-entropy: fused with
 * softmax / sigmoid) or w.r.t. the outputs (mean squared error).
 */
static double
compute_loss(const pgl_nn *net, const float *out, int32_t n, const int32_t *label, const float *y,
			 int32_t *correct, float *grad)
{
	int32_t		  k = net->spec.n_out;
	double		  loss = 0;
	int32_t		  right = 0;
	float		  inv = 1.0f / (float) n;
	const double *cw = net->spec.class_weight;

	switch (net->spec.loss)
	{
		case PGL_NN_LOSS_SOFTMAX_CE:
			for (int32_t i = 0; i < n; i++)
			{
				const float *p = out + (int64_t) i * k;
				int32_t		 best = 0;
				double		 w = cw ? cw[label[i]] : 1.0;

				loss -= w * log(fmax((double) p[label[i]], 1e-30));
				for (int32_t j = 1; j < k; j++)
					if (p[j] > p[best])
						best = j;
				right += best == label[i];
				if (grad)
				{
					float *g = grad + (int64_t) i * k;
					float  wi = (float) w * inv;

					for (int32_t j = 0; j < k; j++)
						g[j] = p[j] * wi;
					g[label[i]] -= wi;
				}
			}
			break;
		case PGL_NN_LOSS_SIGMOID_CE:
			for (int32_t i = 0; i < n; i++)
			{
				double a = out[i];
				int	   t = label[i] == 1;
				double w = cw ? cw[label[i]] : 1.0;

				loss -= w * (t ? log(fmax(a, 1e-30)) : log(fmax(1.0 - a, 1e-30)));
				right += (a >= 0.5) == t;
				if (grad)
					grad[i] = (float) (w * (a - t)) * inv;
			}
			break;
		case PGL_NN_LOSS_MSE:
		{
			float s = 2.0f / ((float) n * (float) k);

			for (int64_t i = 0; i < (int64_t) n * k; i++)
			{
				double e = (double) out[i] - (double) y[i];

				loss += e * e / k;
				if (grad)
					grad[i] = (float) e * s;
			}
			break;
		}
	}
	if (correct)
		*correct = right;
	return loss / n;
}

static bool
loss_is_fused(const pgl_nn *net)
{
	return net->spec.loss != PGL_NN_LOSS_MSE;
}

double
pgl_nn_loss_grad(pgl_nn *net, const float *X, int32_t n, const int32_t *label, const float *y,
				 int32_t *correct)
{
	const float *Xb = nn_begin_batch(net, X, n);
	const float *out = forward_layers(net, Xb, n, true);
	float		*d = net->g0, *dn = net->g1;
	double		 loss = compute_loss(net, out, n, label, y, correct, d) + nn_vae_kl(net, n);
	double		 reg = 0;

	if (net->soft)
		loss = nn_distill_loss(net, n, loss, d);
	float l2 = (float) net->spec.l2;

	for (int i = net->L - 1; i >= 0; i--)
	{
		nn_layer	*l = &net->layer[i];
		const float *in = i > 0 ? net->layer[i - 1].out : Xb;
		float		*t;

		layer_backward(net, l, in, n, d, i > 0 ? dn : NULL, i == net->L - 1 && loss_is_fused(net));
		t = d;
		d = dn;
		dn = t;
	}
	nn_end_batch(net);
	if (l2 > 0)
		for (int i = 0; i < net->L; i++)
		{
			nn_layer	*l = &net->layer[i];
			const float *W = net->params + l->p_off;
			float		*dW = net->grads + l->p_off;

			if (l->s.type != PGL_NN_DENSE && l->s.type != PGL_NN_CONV2D &&
				l->s.type != PGL_NN_CONV1D)
				continue;
			for (int64_t j = 0; j < l->n_w; j++)
			{
				reg += (double) W[j] * W[j];
				dW[j] += l2 * W[j];
			}
		}
	return loss + 0.5 * net->spec.l2 * reg;
}

double
pgl_nn_eval_loss(pgl_nn *net, const float *X, int32_t n, const int32_t *label, const float *y,
				 int32_t *correct)
{
	const float *out = pgl_nn_forward(net, X, n, false);

	return compute_loss(net, out, n, label, y, correct, NULL) + nn_vae_kl(net, n);
}

/* ---------- training ---------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * The lengths of the nb rows of d from r0 (perm: the rows' indexes, or
 * NULL: consecutive) into net->lenbuf, set for the next batch; nothing
 * when the network does not take sequences.
 */
static void
batch_lengths(pgl_nn *net, const pgl_nn_data *d, int64_t r0, int32_t nb, const int64_t *perm)
{
	if (!pgl_nn_takes_sequences(net))
	{
		pgl_nn_set_lengths(net, NULL);
		return;
	}
	for (int32_t i = 0; i < nb; i++)
	{
		int64_t src = perm ? perm[r0 + i] : r0 + i;

		if (d->lengths)
			net->lenbuf[i] = d->lengths[src];
		else
			pgl_nn_sequence_lengths(net, d->X + src * net->in_size, 1, &net->lenbuf[i]);
	}
	pgl_nn_set_lengths(net, net->lenbuf);
}

/* loss and correct count over all rows of d, in chunks of max_batch */
static double
eval_all(const pgl_env *env, pgl_nn *net, const pgl_nn_data *d, int64_t *correct)
{
	double sum = 0;

	*correct = 0;
	for (int64_t r0 = 0; r0 < d->n; r0 += net->max_batch)
	{
		int32_t nb = (int32_t) (d->n - r0 < net->max_batch ? d->n - r0 : net->max_batch);
		int32_t c = 0;

		pgl_interrupts(env);
		batch_lengths(net, d, r0, nb, NULL);
		sum += nb * pgl_nn_eval_loss(net, d->X + r0 * net->in_size, nb,
									 d->label ? d->label + r0 : NULL,
									 d->y ? d->y + r0 * net->spec.n_out : NULL, &c);
		*correct += c;
	}
	return sum / (double) d->n;
}

/*
 * The batches of an epoch: the rows of batch k are perm[order[k]] ..
 * perm[order[k] + B - 1] (the last one may be short).  Without buckets
 * they run in turn.  With buckets (a network on sequences, not
 * "buckets": false) the shuffled rows are cut into chunks of
 * NN_BUCKET_BATCHES batches, each chunk is sorted by row length (ties keep
 * the shuffled order), and the batches then run in an order shuffled by
 * the seed: each batch holds rows of similar length, and a batch of short
 * rows runs on its longest row only (nn_begin_batch).
 */
#define NN_BUCKET_BATCHES 64

typedef struct nn_batches
{
	int64_t	 *order; /* count: the first row (in perm) of each batch, in running order */
	int64_t	  count;
	int32_t	 *len;	/* buckets: every training row's length; else NULL */
	uint64_t *keys; /* buckets: the sort keys of a chunk */
	int64_t	 *rows; /* buckets: the rows of a chunk */
	bool	  owns_len;
} nn_batches;

static void
batches_free(const pgl_env *env, nn_batches *bt)
{
	pgl_free(env, bt->order);
	pgl_free(env, bt->keys);
	pgl_free(env, bt->rows);
	if (bt->owns_len)
		pgl_free(env, bt->len);
	memset(bt, 0, sizeof(*bt));
}

static bool
batches_init(const pgl_env *env, pgl_nn *net, const pgl_nn_data *train, int32_t B, nn_batches *bt)
{
	int64_t n = train->n, chunk = (int64_t) B * NN_BUCKET_BATCHES;

	memset(bt, 0, sizeof(*bt));
	bt->count = (n + B - 1) / B;
	bt->order = pgl_alloc(env, sizeof(int64_t) * (size_t) bt->count);
	if (bt->order == NULL)
		return false;
	for (int64_t k = 0; k < bt->count; k++)
		bt->order[k] = k * B;
	if (!net->trims || net->spec.no_buckets || bt->count < 2)
		return true;
	if (chunk > n)
		chunk = n;
	bt->keys = pgl_alloc(env, sizeof(uint64_t) * (size_t) chunk);
	bt->rows = pgl_alloc(env, sizeof(int64_t) * (size_t) chunk);
	bt->len = (int32_t *) train->lengths;
	if (bt->len == NULL)
	{
		bt->len = pgl_alloc(env, sizeof(int32_t) * (size_t) n);
		bt->owns_len = true;
		if (bt->len != NULL)
			pgl_nn_sequence_lengths(net, train->X, n, bt->len);
	}
	return bt->keys != NULL && bt->rows != NULL && bt->len != NULL;
}

/* the epoch's batches from the shuffled rows perm (reordered within chunks) */
static void
batches_epoch(nn_batches *bt, int64_t *perm, int64_t n, int32_t B, uint64_t *rng)
{
	int64_t chunk = (int64_t) B * NN_BUCKET_BATCHES;

	if (bt->keys == NULL)
		return;
	for (int64_t c0 = 0; c0 < n; c0 += chunk)
	{
		int64_t m = n - c0 < chunk ? n - c0 : chunk;

		/* the length in the high bits (below 2^24), the shuffled position below */
		for (int64_t i = 0; i < m; i++)
		{
			int32_t len = bt->len[perm[c0 + i]];

			bt->keys[i] = ((uint64_t) (len < 0 ? 0 : len) << 39) | (uint64_t) i;
			bt->rows[i] = perm[c0 + i];
		}
		qsort(bt->keys, (size_t) m, sizeof(uint64_t), cmp_u64);
		for (int64_t i = 0; i < m; i++)
			perm[c0 + i] = bt->rows[bt->keys[i] & (((uint64_t) 1 << 39) - 1)];
	}
	for (int64_t k = 0; k < bt->count; k++)
		bt->order[k] = k * B;
	for (int64_t k = bt->count - 1; k > 0; k--)
	{
		int64_t j = (int64_t) (pgl_rng_next(rng) % (uint64_t) (k + 1));
		int64_t tmp = bt->order[k];

		bt->order[k] = bt->order[j];
		bt->order[j] = tmp;
	}
}

/* one Adam step with bias correction over P parameters */
static void
adam_step(float *restrict p, const float *restrict g, float *restrict m1, float *restrict m2,
		  int64_t P, const pgl_nn_spec *sp, int64_t t)
{
	float b1 = (float) sp->beta1, b2 = (float) sp->beta2, eps = (float) sp->epsilon;
	float c1 = 1 - b1, c2 = 1 - b2;
	float lrt = (float) (sp->learning_rate * sqrt(1.0 - pow(sp->beta2, (double) t)) /
						 (1.0 - pow(sp->beta1, (double) t)));

	for (int64_t j = 0; j < P; j++)
	{
		float gj = g[j];

		m1[j] = b1 * m1[j] + c1 * gj;
		m2[j] = b2 * m2[j] + c2 * gj * gj;
		p[j] -= lrt * m1[j] / (sqrtf(m2[j]) + eps);
	}
}

/* one step of SGD with momentum: v = mom v - lr g; p += v */
static void
sgd_step(float *restrict p, const float *restrict g, float *restrict v, int64_t P,
		 const pgl_nn_spec *sp)
{
	float mom = (float) sp->momentum, lr = (float) sp->learning_rate;

	for (int64_t j = 0; j < P; j++)
	{
		v[j] = mom * v[j] - lr * g[j];
		p[j] += v[j];
	}
}

pgl_rc
pgl_nn_train(const pgl_env *env, pgl_nn *net, const pgl_nn_data *train, const pgl_nn_data *valid,
			 pgl_nn_result *res, pgl_status *st)
{
	const pgl_nn_spec *sp = &net->spec;
	int64_t			   n = train->n, D = net->in_size, P = net->P;
	int32_t			   B = sp->batch_size < net->max_batch ? sp->batch_size : net->max_batch;
	int32_t			   k = sp->n_out;
	bool			   classify = sp->loss != PGL_NN_LOSS_MSE;
	bool			   has_valid = valid != NULL && valid->n > 0;
	int64_t			  *perm = NULL;
	float			  *xb = NULL, *yb = NULL, *m1 = NULL, *m2 = NULL, *best = NULL, *sb = NULL;
	int32_t			  *lb = NULL;
	double			   best_loss = INFINITY;
	int64_t			   t = 0;
	uint64_t		   shuffle_rng = sp->seed ^ 0x2545F4914F6CDD1DULL;
	pgl_rc			   rc = PGL_OK;
	nn_batches		   bt;
	pgl_nn_data		   tr = *train;
	nn_pruner		   pr = {0};

	memset(res, 0, sizeof(*res));
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "neural_net needs at least one training row");
	if (sp->epochs < 1 || sp->batch_size < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "neural_net needs epochs >= 1 and batch_size >= 1");
	if (!(sp->learning_rate > 0) || !isfinite(sp->learning_rate))
		return pgl_fail(st, PGL_ERR_INVALID, "neural_net: \"learning_rate\" must be positive");
	if (classify)
		for (int64_t i = 0; i < n; i++)
			if (train->label[i] < 0 || train->label[i] >= (k == 1 ? 2 : k))
				return pgl_fail(st, PGL_ERR_INVALID, "neural_net: class index %d out of range",
								(int) train->label[i]);
	if (sp->class_weight != NULL)
	{
		if (!classify)
			return pgl_fail(st, PGL_ERR_INVALID, "neural_net: class weights need a classifier");
		for (int32_t c = 0; c < (k == 1 ? 2 : k); c++)
			if (!(isfinite(sp->class_weight[c]) && sp->class_weight[c] > 0.0))
				return pgl_fail(st, PGL_ERR_INVALID,
								"neural_net: the weight of class %d is %g; class weights must be "
								"finite and > 0",
								(int) c, sp->class_weight[c]);
	}
	if (train->soft && nn_distill_check(net, train, st) != PGL_OK)
		return st->rc;
	if (B > n)
		B = (int32_t) n;

	perm = pgl_alloc(env, sizeof(int64_t) * (size_t) n);
	xb = pgl_alloc(env, sizeof(float) * (size_t) B * (size_t) D);
	lb = pgl_alloc(env, sizeof(int32_t) * (size_t) B);
	yb = pgl_alloc(env, sizeof(float) * (size_t) B * (size_t) k);
	m1 = pgl_alloc0(env, sizeof(float) * (size_t) (P + 1));
	m2 = pgl_alloc0(env, sizeof(float) * (size_t) (P + 1));
	best = pgl_alloc(env, sizeof(float) * (size_t) (P + net->S + 1));
	res->history = pgl_alloc0(env, sizeof(pgl_nn_epoch) * (size_t) sp->epochs);
	if (train->soft)
		sb = pgl_alloc(env, sizeof(float) * (size_t) B * (size_t) k);
	if (!batches_init(env, net, train, B, &bt) || !perm || !xb || !lb || !yb || !m1 || !m2 ||
		!best || !res->history ||
		(train->soft && (!sb || pgl_nn_set_soft_targets(net, sb, st) != PGL_OK)))
	{
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory for training the network");
		goto done;
	}
	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	if (sp->prune_sparsity != 0 &&
		(rc = nn_prune_begin(env, net, (n + B - 1) / B, m1, m2, &pr, st)) != PGL_OK)
		goto done;

	for (int32_t epoch = 1; epoch <= sp->epochs; epoch++)
	{
		double		  t0 = now_seconds();
		double		  loss_sum = 0;
		int64_t		  right = 0;
		double		  monitored;
		pgl_nn_epoch *h = &res->history[epoch - 1];

		for (int64_t i = n - 1; i > 0; i--)
		{
			int64_t j = (int64_t) (pgl_rng_next(&shuffle_rng) % (uint64_t) (i + 1));
			int64_t tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
		batches_epoch(&bt, perm, n, B, &shuffle_rng);
		tr.lengths = bt.len ? bt.len : train->lengths;
		for (int64_t bk = 0; bk < bt.count; bk++)
		{
			int64_t r0 = bt.order[bk];
			int32_t nb = (int32_t) (n - r0 < B ? n - r0 : B);
			int32_t c = 0;
			double	loss;

			pgl_interrupts(env);
			for (int32_t i = 0; i < nb; i++)
			{
				int64_t src = perm[r0 + i];

				memcpy(xb + (int64_t) i * D, train->X + src * D, sizeof(float) * (size_t) D);
				if (classify)
					lb[i] = train->label[src];
				else
					memcpy(yb + (int64_t) i * k, train->y + src * k, sizeof(float) * (size_t) k);
				if (sb)
					memcpy(sb + (int64_t) i * k, train->soft + src * k, sizeof(float) * (size_t) k);
			}
			batch_lengths(net, &tr, r0, nb, perm);
			loss = pgl_nn_loss_grad(net, xb, nb, lb, yb, &c);
			if (!isfinite(loss))
			{
				rc = pgl_fail(st, PGL_ERR_NUMERIC,
							  "neural_net diverged in epoch %d: the loss is not finite",
							  (int) epoch);
				snprintf(st->detail, sizeof(st->detail),
						 "Lower \"learning_rate\" (now %g), or scale the inputs.",
						 sp->learning_rate);
				goto done;
			}
			loss_sum += loss * nb;
			right += c;
			t++;
			nn_prune_grads(net, &pr);
			if (sp->optimizer == PGL_NN_ADAM)
				adam_step(net->params, net->grads, m1, m2, P, sp, t);
			else
				sgd_step(net->params, net->grads, m1, P, sp);
			nn_prune_step(net, &pr, epoch, epoch == sp->epochs && bk == bt.count - 1);
		}
		h->train_loss = loss_sum / (double) n;
		h->train_acc = classify ? (double) right / (double) n : NAN;
		h->val_loss = h->val_acc = NAN;
		if (has_valid)
		{
			int64_t vc;

			h->val_loss = eval_all(env, net, valid, &vc);
			h->val_acc = classify ? (double) vc / (double) valid->n : NAN;
		}
		h->seconds = now_seconds() - t0;
		res->epochs_run = epoch;
		monitored = has_valid ? h->val_loss : h->train_loss;
		if (!isfinite(monitored))
		{
			rc = pgl_fail(st, PGL_ERR_NUMERIC,
						  "neural_net diverged in epoch %d: the loss is not finite", (int) epoch);
			goto done;
		}
		pgl_progress(env, epoch, sp->epochs, monitored);
		if (monitored < best_loss)
		{
			best_loss = monitored;
			res->best_epoch = epoch;
			if (sp->patience > 0)
			{
				memcpy(best, net->params, sizeof(float) * (size_t) P);
				memcpy(best + P, net->stats, sizeof(float) * (size_t) net->S);
			}
		}
		else if (sp->patience > 0 && epoch - res->best_epoch >= sp->patience)
			break;
	}
	if (sp->patience > 0)
	{
		memcpy(net->params, best, sizeof(float) * (size_t) P);
		memcpy(net->stats, best + P, sizeof(float) * (size_t) net->S);
		res->loss = best_loss;
	}
	else
	{
		res->best_epoch = res->epochs_run;
		res->loss = has_valid ? res->history[res->epochs_run - 1].val_loss
							  : res->history[res->epochs_run - 1].train_loss;
	}
	res->flops = net->flops;

done:
	net->soft = NULL;
	pgl_free(env, sb);
	batches_free(env, &bt);
	nn_prune_end(env, &pr);
	pgl_free(env, perm);
	pgl_free(env, xb);
	pgl_free(env, lb);
	pgl_free(env, yb);
	pgl_free(env, m1);
	pgl_free(env, m2);
	pgl_free(env, best);
	if (rc != PGL_OK)
	{
		pgl_free(env, res->history);
		res->history = NULL;
	}
	return rc;
}

/* ---------- model tensors ---------- */

#define NN_FLAG_RETURN_SEQUENCES 1
#define NN_FLAG_BIDIRECTIONAL	 2

/* a layer's row of "nn_arch" (NN_ARCH_WIDE columns) */
static void
arch_from_spec(const pgl_nn_layer_spec *s, int32_t *a)
{
	memset(a, 0, sizeof(int32_t) * NN_ARCH_WIDE);
	a[0] = s->type;
	a[1] = s->activation;
	a[2] = s->units;
	a[3] = s->kernel;
	a[4] = s->stride;
	a[5] = s->padding;
	a[6] = s->vocab;
	a[7] = (s->return_sequences ? NN_FLAG_RETURN_SEQUENCES : 0) |
		   (s->bidirectional ? NN_FLAG_BIDIRECTIONAL : 0);
	/* 8 .. 11: attention (8: the positional kind for positional_embedding) */
	a[8] = s->type == PGL_NN_POSITIONAL_EMBEDDING ? s->pos_kind : s->heads;
	a[9] = s->key_dim;
	a[10] = s->ff_units;
	a[11] = s->max_len;
}

/* a layer's spec from its row of "nn_arch" (cols columns); false for unknown flags */
static bool
spec_from_arch(const int32_t *a, int32_t cols, pgl_nn_layer_spec *s)
{
	(void) cols;
	s->type = a[0];
	s->activation = a[1];
	s->units = a[2];
	s->kernel = a[3];
	s->stride = a[4];
	s->padding = a[5];
	s->vocab = a[6];
	s->return_sequences = (a[7] & NN_FLAG_RETURN_SEQUENCES) != 0;
	s->bidirectional = (a[7] & NN_FLAG_BIDIRECTIONAL) != 0;
	/* 8 .. 11: attention (0 when the row has 8 columns) */
	if (s->type == PGL_NN_POSITIONAL_EMBEDDING)
		s->pos_kind = a[8];
	else
		s->heads = a[8];
	s->key_dim = a[9];
	s->ff_units = a[10];
	s->max_len = a[11];
	return (a[7] & ~(NN_FLAG_RETURN_SEQUENCES | NN_FLAG_BIDIRECTIONAL)) == 0;
}

static pgl_tensor *
new_tensor(pgl_model *m, const char *name, int32_t dtype, int32_t ndim, int64_t d0, int64_t d1)
{
	pgl_tensor *t = &m->tensors[m->n_tensors++];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	return t;
}

pgl_rc
pgl_nn_to_model(const pgl_env *env, pgl_nn *net, const double *config, const double *mu,
				const double *sd, const pgl_nn_result *res, pgl_model *m, pgl_status *st)
{
	int32_t		L = net->L;
	int32_t		E = res ? res->epochs_run : 0;
	bool		ae = m->task == PGL_TASK_ANOMALY;
	int			nt = 5 + (mu ? 2 : 0) + (E > 0 ? 1 : 0) + (ae ? 1 : 0);
	pgl_tensor *t;
	size_t		sizes[9];
	int			i = 0;
	int32_t		arch_cols = NN_ARCH_COLS;
	int32_t		row[NN_ARCH_WIDE];

	for (int32_t j = 0; j < L; j++)
	{
		arch_from_spec(&net->spec.layers[j], row);
		for (int k = NN_ARCH_COLS; k < NN_ARCH_WIDE; k++)
			if (row[k] != 0)
				arch_cols = NN_ARCH_WIDE;
	}
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor) * nt);
	if (m->tensors == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	m->n_tensors = 0;
	new_tensor(m, "nn_arch", PGL_I32, 2, L, arch_cols);
	sizes[i++] = sizeof(int32_t) * L * arch_cols;
	new_tensor(m, "nn_lparam", PGL_F64, 2, L, 2);
	sizes[i++] = sizeof(double) * L * 2;
	new_tensor(m, "nn_config", PGL_F64, 1, PGL_NN_CONFIG_LEN, 0);
	sizes[i++] = sizeof(double) * PGL_NN_CONFIG_LEN;
	new_tensor(m, "nn_params", PGL_F32, 1, net->P, 0);
	sizes[i++] = sizeof(float) * (size_t) net->P;
	new_tensor(m, "nn_stats", PGL_F32, 1, net->S, 0);
	sizes[i++] = sizeof(float) * (size_t) net->S;
	if (mu)
	{
		new_tensor(m, "nn_mu", PGL_F64, 1, m->n_inputs, 0);
		sizes[i++] = sizeof(double) * m->n_inputs;
		new_tensor(m, "nn_sd", PGL_F64, 1, m->n_inputs, 0);
		sizes[i++] = sizeof(double) * m->n_inputs;
	}
	if (E > 0)
	{
		new_tensor(m, "nn_history", PGL_F64, 2, E, PGL_NN_HISTORY_COLS);
		sizes[i++] = sizeof(double) * E * PGL_NN_HISTORY_COLS;
	}
	if (ae)
	{
		/* an autoencoder: set by the caller from the training rows' errors */
		new_tensor(m, "anomaly_threshold", PGL_F64, 1, 1, 0);
		sizes[i++] = sizeof(double);
	}
	for (int j = 0; j < m->n_tensors; j++)
	{
		m->tensors[j].data = pgl_alloc0(env, sizes[j]);
		if (m->tensors[j].data == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}

	t = &m->tensors[0];
	for (int32_t j = 0; j < L; j++)
	{
		int32_t					*a = (int32_t *) t->data + j * arch_cols;
		const pgl_nn_layer_spec *s = &net->spec.layers[j];
		double					*lp = (double *) m->tensors[1].data + j * 2;

		arch_from_spec(s, row);
		memcpy(a, row, sizeof(int32_t) * arch_cols);
		lp[0] = s->rate;
		lp[1] = s->alpha;
	}
	{
		double *c = m->tensors[2].data;

		memcpy(c, config, sizeof(double) * PGL_NN_CONFIG_LEN);
		c[PGL_NN_CFG_IN_NDIM] = net->spec.in_ndim;
		c[PGL_NN_CFG_IN_H] = net->layer[0].in_h;
		c[PGL_NN_CFG_IN_W] = net->layer[0].in_w;
		c[PGL_NN_CFG_IN_C] = net->layer[0].in_c;
		c[PGL_NN_CFG_LOSS] = net->spec.loss;
		c[PGL_NN_CFG_N_OUT] = net->spec.n_out;
		c[PGL_NN_CFG_BEST_EPOCH] = res ? res->best_epoch : 0;
		c[PGL_NN_CFG_EPOCHS_RUN] = E;
	}
	memcpy(m->tensors[3].data, net->params, sizeof(float) * (size_t) net->P);
	memcpy(m->tensors[4].data, net->stats, sizeof(float) * (size_t) net->S);
	i = 5;
	if (mu)
	{
		memcpy(m->tensors[i++].data, mu, sizeof(double) * m->n_inputs);
		memcpy(m->tensors[i++].data, sd, sizeof(double) * m->n_inputs);
	}
	if (E > 0)
	{
		double *h = m->tensors[i].data;

		for (int32_t e = 0; e < E; e++)
		{
			h[e * 5 + 0] = res->history[e].train_loss;
			h[e * 5 + 1] = res->history[e].train_acc;
			h[e * 5 + 2] = res->history[e].val_loss;
			h[e * 5 + 3] = res->history[e].val_acc;
			h[e * 5 + 4] = res->history[e].seconds;
		}
	}
	return PGL_OK;
}

/* the spec a model's tensors describe; layers into the caller's array */
pgl_rc
spec_from_model(const pgl_model *m, pgl_nn_spec *spec, pgl_nn_layer_spec *layers, pgl_status *st)
{
	const pgl_tensor *arch = pgl_model_tensor(m, "nn_arch");
	const pgl_tensor *lp = pgl_model_tensor(m, "nn_lparam");
	const pgl_tensor *cfg = pgl_model_tensor(m, "nn_config");
	const double	 *c;
	int32_t			  L;

	if (arch == NULL || arch->dtype != PGL_I32 || arch->ndim != 2 ||
		(arch->dims[1] != NN_ARCH_COLS && arch->dims[1] != NN_ARCH_WIDE) || arch->dims[0] < 1 ||
		arch->dims[0] > NN_MAX_LAYERS)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has no valid \"nn_arch\" tensor");
	L = (int32_t) arch->dims[0];
	if (lp == NULL || lp->dtype != PGL_F64 || lp->ndim != 2 || lp->dims[0] != L || lp->dims[1] != 2)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has no valid \"nn_lparam\" tensor");
	if (cfg == NULL || cfg->dtype != PGL_F64 || cfg->ndim != 1 || cfg->dims[0] != PGL_NN_CONFIG_LEN)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has no valid \"nn_config\" tensor");
	c = cfg->data;
	for (int i = 0; i < PGL_NN_CONFIG_LEN; i++)
		if (!isfinite(c[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model \"nn_config\" is not finite");
	pgl_nn_spec_defaults(spec);
	spec->n_layers = L;
	spec->layers = layers;
	for (int32_t j = 0; j < L; j++)
	{
		const int32_t *a = (const int32_t *) arch->data + j * arch->dims[1];
		const double  *f = (const double *) lp->data + j * 2;
		int32_t		   row[NN_ARCH_WIDE] = {0};

		memcpy(row, a, sizeof(int32_t) * (size_t) arch->dims[1]);
		memset(&layers[j], 0, sizeof(layers[j]));
		if (!spec_from_arch(row, (int32_t) arch->dims[1], &layers[j]))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model layer %d has unknown flags in \"nn_arch\"",
							(int) j + 1);
		layers[j].rate = f[0];
		layers[j].alpha = f[1];
	}
	if (!(c[PGL_NN_CFG_IN_NDIM] >= 1 && c[PGL_NN_CFG_IN_NDIM] <= 3 &&
		  c[PGL_NN_CFG_IN_NDIM] == floor(c[PGL_NN_CFG_IN_NDIM])) ||
		!(c[PGL_NN_CFG_IN_H] >= 1 && c[PGL_NN_CFG_IN_H] <= NN_MAX_DIM) ||
		!(c[PGL_NN_CFG_IN_W] >= 1 && c[PGL_NN_CFG_IN_W] <= NN_MAX_DIM) ||
		!(c[PGL_NN_CFG_IN_C] >= 1 && c[PGL_NN_CFG_IN_C] <= NN_MAX_DIM) ||
		!(c[PGL_NN_CFG_LOSS] >= 1 && c[PGL_NN_CFG_LOSS] <= 3) ||
		!(c[PGL_NN_CFG_N_OUT] >= 1 && c[PGL_NN_CFG_N_OUT] <= NN_MAX_DIM) ||
		!(c[PGL_NN_CFG_INPUT_KIND] >= 0 && c[PGL_NN_CFG_INPUT_KIND] <= 2) ||
		!(c[PGL_NN_CFG_Y_SD] > 0))
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model \"nn_config\" holds invalid values");
	spec->in_ndim = (int32_t) c[PGL_NN_CFG_IN_NDIM];
	spec->in_h = (int32_t) c[PGL_NN_CFG_IN_H];
	spec->in_w = (int32_t) c[PGL_NN_CFG_IN_W];
	spec->in_c = (int32_t) c[PGL_NN_CFG_IN_C];
	spec->loss = (int32_t) c[PGL_NN_CFG_LOSS];
	spec->n_out = (int32_t) c[PGL_NN_CFG_N_OUT];
	return PGL_OK;
}

/*
 * int8 storage: view "nn_params" as rows of "block" values (the last one
 * padded with zeros), so that int8 gets one scale per block of parameters
 * (per-row int8 of a 2-d tensor) rather than one for the whole network.
 */
static pgl_rc block_tensor(const pgl_env *env, pgl_tensor *t, int32_t block, pgl_status *st);

pgl_rc
pgl_nn_block_params(const pgl_env *env, pgl_model *m, int32_t block, pgl_status *st)
{
	pgl_tensor *t = NULL;

	for (int32_t i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, "nn_params") == 0)
			t = &m->tensors[i];
	if (t == NULL || t->dtype != PGL_F32 || t->ndim != 1 || block < 2 ||
		block > PGL_NN_MAX_PARAM_BLOCK)
		return pgl_fail(st, PGL_ERR_INVALID, "no one-dimensional \"nn_params\" to split in blocks");
	if (block_tensor(env, t, block, st) != PGL_OK)
		return st->rc;
	/* the values of the layers stored sparse likewise */
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, "nn_csr_val") == 0 && m->tensors[i].ndim == 1 &&
			block_tensor(env, &m->tensors[i], block, st) != PGL_OK)
			return st->rc;
	return PGL_OK;
}

static pgl_rc
block_tensor(const pgl_env *env, pgl_tensor *t, int32_t block, pgl_status *st)
{
	int64_t P, rows;
	float  *d;

	P = t->dims[0];
	if (P == 0)
		return PGL_OK;
	rows = (P + block - 1) / block;
	d = pgl_alloc0(env, sizeof(float) * (size_t) (rows * block));
	if (d == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	memcpy(d, t->data, sizeof(float) * (size_t) P);
	pgl_free(env, t->data);
	t->data = d;
	t->ndim = 2;
	t->dims[0] = rows;
	t->dims[1] = block;
	return PGL_OK;
}

/*
 * Does "nn_params" hold P parameters: f32 [P], or f32 [ceil(P / B), B] with
 * zeros after the P-th (pgl_nn_block_params)?
 */
bool
params_fit(const pgl_tensor *t, int64_t P)
{
	int64_t B;

	if (t == NULL || t->dtype != PGL_F32)
		return false;
	if (t->ndim == 1)
		return t->dims[0] == P;
	if (t->ndim != 2 || P == 0)
		return false;
	B = t->dims[1];
	if (B < 2 || B > PGL_NN_MAX_PARAM_BLOCK || t->dims[0] != (P + B - 1) / B)
		return false;
	for (int64_t i = P; i < t->dims[0] * B; i++)
		if (((const float *) t->data)[i] != 0)
			return false;
	return true;
}

pgl_rc
pgl_nn_validate(const pgl_model *m, pgl_status *st)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec layers[NN_MAX_LAYERS];
	nn_layer		  tmp[NN_MAX_LAYERS];
	int64_t			  P, S, P_sparse;
	const pgl_tensor *t;
	const double	 *c;

	if (spec_from_model(m, &spec, layers, st) != PGL_OK)
		return st->rc;
	if (nn_infer(&spec, tmp, &P, &S, PGL_ERR_CORRUPT, st) != PGL_OK)
		return st->rc;
	c = pgl_model_tensor(m, "nn_config")->data;
	{
		/* a sample layer: one, in an autoencoder */
		int n_sample = 0;

		for (int32_t i = 0; i < spec.n_layers; i++)
			n_sample += spec.layers[i].type == PGL_NN_SAMPLE;
		if (n_sample > 1 || (n_sample == 1 && m->task != PGL_TASK_ANOMALY))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model has %d sample layers; only an autoencoder has one",
							n_sample);
	}
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		if (spec.loss == PGL_NN_LOSS_MSE ||
			(spec.loss == PGL_NN_LOSS_SOFTMAX_CE ? spec.n_out != m->n_classes
												 : (m->n_classes != 2 || spec.n_out != 1)))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model output does not match its %d classes",
							(int) m->n_classes);
	}
	else if (m->task == PGL_TASK_ANOMALY)
	{
		/* an autoencoder: its output reproduces its (column) inputs */
		t = pgl_model_tensor(m, "anomaly_threshold");
		if (spec.loss != PGL_NN_LOSS_MSE || spec.n_out != m->n_inputs || m->n_classes != 0 ||
			(int32_t) c[PGL_NN_CFG_INPUT_KIND] != PGL_NN_INPUT_COLUMNS || t == NULL ||
			t->dtype != PGL_F64 || pgl_tensor_count(t) != 1 ||
			!(*(const double *) t->data >= 0 && isfinite(*(const double *) t->data)))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net autoencoder must output its %d inputs and have a "
							"finite \"anomaly_threshold\" >= 0",
							(int) m->n_inputs);
	}
	else if (m->task != PGL_TASK_REGRESSION || spec.loss != PGL_NN_LOSS_MSE || spec.n_out != 1 ||
			 m->n_classes != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has an invalid task");
	/* the weights of layers stored sparse are not in "nn_params" */
	if (nn_sparse_validate(m, tmp, spec.n_layers, &P_sparse, st) != PGL_OK)
		return st->rc;
	P -= P_sparse;
	t = pgl_model_tensor(m, "nn_params");
	if (!params_fit(t, P))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"neural_net model \"nn_params\" does not hold the %lld parameters of "
						"its layers",
						(long long) P);
	for (int64_t i = 0; i < P; i++)
		if (!isfinite(((const float *) t->data)[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model parameter %lld is not finite",
							(long long) i);
	t = pgl_model_tensor(m, "nn_stats");
	if (t == NULL || t->dtype != PGL_F32 || t->ndim != 1 || t->dims[0] != S)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has no valid \"nn_stats\" tensor");
	for (int64_t i = 0; i < S; i++)
		if (!isfinite(((const float *) t->data)[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model statistic is not finite");
	if ((int32_t) c[PGL_NN_CFG_INPUT_KIND] == PGL_NN_INPUT_COLUMNS)
	{
		const pgl_tensor *mu = pgl_model_tensor(m, "nn_mu");
		const pgl_tensor *sd = pgl_model_tensor(m, "nn_sd");

		if (tmp[0].in_size != m->n_inputs)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model input size %lld does not match its %d inputs",
							(long long) tmp[0].in_size, (int) m->n_inputs);
		if (mu == NULL || sd == NULL || mu->dtype != PGL_F64 || sd->dtype != PGL_F64 ||
			mu->ndim != 1 || sd->ndim != 1 || mu->dims[0] != m->n_inputs ||
			sd->dims[0] != m->n_inputs)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model has no valid input standardization");
		for (int32_t i = 0; i < m->n_inputs; i++)
			if (!isfinite(((const double *) mu->data)[i]) || !(((const double *) sd->data)[i] > 0))
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"neural_net model input standardization is invalid");
	}
	else if (m->n_features != 1 || m->features[0].kind != PGL_FEATURE_NUMERIC)
	{
		/* a text column: max_len ids into an embedding that has every id of the vocabulary */
		const pgl_feature *f = &m->features[0];

		if (m->n_features != 1 || f->kind != PGL_FEATURE_TOKENS ||
			(int32_t) c[PGL_NN_CFG_INPUT_KIND] != PGL_NN_INPUT_ARRAY ||
			spec.layers[0].type != PGL_NN_EMBEDDING || tmp[0].in_size != f->length ||
			spec.layers[0].vocab < (int64_t) f->n_categories + PGL_TOKENS_RESERVED)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model over an array or text column must have one "
							"feature (a text column: max_len ids into an embedding of its "
							"vocabulary)");
	}
	t = pgl_model_tensor(m, "nn_history");
	if (t != NULL && (t->dtype != PGL_F64 || t->ndim != 2 || t->dims[1] != PGL_NN_HISTORY_COLS))
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has an invalid \"nn_history\"");
	return PGL_OK;
}

pgl_rc
pgl_nn_from_model(const pgl_env *env, const pgl_model *m, int32_t max_batch, pgl_nn **out,
				  pgl_status *st)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec layers[NN_MAX_LAYERS];
	pgl_nn			 *net;
	pgl_rc			  rc;

	*out = NULL;
	if (spec_from_model(m, &spec, layers, st) != PGL_OK)
		return st->rc;
	rc = nn_build(env, &spec, max_batch, false, &net, st);
	if (rc != PGL_OK)
		return rc == PGL_ERR_INVALID ? (st->rc = PGL_ERR_CORRUPT) : rc;
	if (pgl_model_tensor(m, "nn_sparse") != NULL)
	{
		/* pruned layers stored sparse: the network owns its parameters */
		rc = nn_sparse_load(env, m, net, st);
		if (rc != PGL_OK)
			pgl_nn_destroy(env, net);
		else
			*out = net;
		return rc;
	}
	if (!params_fit(pgl_model_tensor(m, "nn_params"), net->P) ||
		pgl_model_tensor(m, "nn_stats")->dims[0] != net->S)
	{
		pgl_nn_destroy(env, net);
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model parameters do not match its layers");
	}
	/* inference only reads them */
	net->params = (float *) pgl_model_tensor(m, "nn_params")->data;
	net->stats = (float *) pgl_model_tensor(m, "nn_stats")->data;
	*out = net;
	return PGL_OK;
}

pgl_rc
pgl_nn_predict_rows(const pgl_env *env, pgl_nn *net, const pgl_model *m, const float *X, int64_t n,
					double *out, pgl_status *st)
{
	const double *c = pgl_model_tensor(m, "nn_config")->data;
	int32_t		  k = net->spec.n_out;
	int32_t		  width = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;

	for (int64_t r0 = 0; r0 < n; r0 += net->max_batch)
	{
		int32_t		 nb = (int32_t) (n - r0 < net->max_batch ? n - r0 : net->max_batch);
		const float *o;

		if (r0 > 0)
			pgl_interrupts(env);
		if (pgl_nn_takes_sequences(net))
		{
			pgl_nn_sequence_lengths(net, X + r0 * net->in_size, nb, net->lenbuf);
			pgl_nn_set_lengths(net, net->lenbuf);
		}
		else
			pgl_nn_set_lengths(net, NULL);
		o = pgl_nn_forward(net, X + r0 * net->in_size, nb, false);
		for (int32_t i = 0; i < nb; i++)
		{
			double *dst = out + (r0 + i) * width;

			if (net->spec.loss == PGL_NN_LOSS_SIGMOID_CE)
			{
				dst[0] = 1.0 - o[i];
				dst[1] = o[i];
			}
			else if (net->spec.loss == PGL_NN_LOSS_SOFTMAX_CE)
				for (int32_t j = 0; j < k; j++)
					dst[j] = o[(int64_t) i * k + j];
			else if (m->task == PGL_TASK_ANOMALY)
			{
				/* an autoencoder: the mean squared reconstruction error */
				const float *x = X + (r0 + i) * net->in_size;
				double		 e = 0;

				for (int32_t j = 0; j < k; j++)
					e += ((double) o[(int64_t) i * k + j] - x[j]) *
						 ((double) o[(int64_t) i * k + j] - x[j]);
				dst[0] = e / k;
			}
			else
				dst[0] = o[i] * c[PGL_NN_CFG_Y_SD] + c[PGL_NN_CFG_Y_MU];
			for (int32_t j = 0; j < width; j++)
				if (!isfinite(dst[j]))
				{
					pgl_fail(st, PGL_ERR_NUMERIC, "the network's output for row %lld is not finite",
							 (long long) (r0 + i + 1));
					snprintf(st->detail, sizeof(st->detail),
							 "Its weights or the row's values overflow float32 on the way: the "
							 "model is damaged, or the row is far outside what it was trained on.");
					return PGL_ERR_NUMERIC;
				}
		}
	}
	return PGL_OK;
}

pgl_rc
pgl_nn_standardize(const pgl_model *m, const double *X, int64_t ld, int64_t n, float *xb,
				   pgl_status *st)
{
	const pgl_tensor *mu = pgl_model_tensor(m, "nn_mu");
	const pgl_tensor *sd = pgl_model_tensor(m, "nn_sd");
	int32_t			  p = m->n_inputs;

	if (mu == NULL || sd == NULL)
		return pgl_fail(st, PGL_ERR_INVALID,
						"this neural_net model reads an array column: pass the array");
	for (int64_t i = 0; i < n; i++)
		for (int32_t j = 0; j < p; j++)
			xb[i * p + j] = (float) ((X[i + j * ld] - ((const double *) mu->data)[j]) /
									 ((const double *) sd->data)[j]);
	return PGL_OK;
}

pgl_rc
pgl_nn_predict_encoded(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld,
					   int64_t n, double *out, pgl_status *st)
{
	int32_t p = m->n_inputs;
	int32_t chunk = n < 256 ? (int32_t) (n > 0 ? n : 1) : 256;
	pgl_nn *net;
	float  *xb;
	int32_t width = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
	pgl_rc	rc;

	if (n <= 0)
		return PGL_OK;
	if (pgl_model_tensor(m, "nn_mu") == NULL)
		return pgl_nn_standardize(m, X, ld, 0, NULL, st);
	rc = pgl_nn_from_model(env, m, chunk, &net, st);
	if (rc != PGL_OK)
		return rc;
	xb = pgl_alloc(env, sizeof(float) * (size_t) chunk * (size_t) (p > 0 ? p : 1));
	if (xb == NULL)
	{
		pgl_nn_destroy(env, net);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int64_t r0 = 0; r0 < n && rc == PGL_OK; r0 += chunk)
	{
		int32_t nb = (int32_t) (n - r0 < chunk ? n - r0 : chunk);

		rc = pgl_nn_standardize(m, X + r0, ld, nb, xb, st);
		if (rc == PGL_OK)
			rc = pgl_nn_predict_rows(env, net, m, xb, nb, out + r0 * width, st);
	}
	pgl_free(env, xb);
	pgl_nn_destroy(env, net);
	return rc;
}
