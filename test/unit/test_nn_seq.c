/*
 * Tests of nn_seq.c: every sequence layer's forward pass and gradients
 * (input and parameters) against PyTorch 1.13 with the same weights
 * (fixtures of gen_nn_seq_fixtures.py: full and masked rows, bidirectional,
 * return_sequences), numeric gradient checks of whole sequence networks
 * with padded rows, the masking rules (padded steps change nothing), shape
 * errors, the lengths read from padded inputs, learning a sequence task,
 * and the model tensors of a sequence network round-tripping (also a
 * hostile vocabulary or flags refused).
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn_internal.h"
#include "nn_spec.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct seq_fixture
{
	const char		 *name;
	pgl_nn_layer_spec layer;
	int				  n, T, F, out_per_row;
	const double	 *x;
	const int		 *len;
	const double	 *out, *r, *dx, *p, *dp;
	int				  n_params;
} seq_fixture;

#include "data/nn_seq_fixtures.h"

#define NFIX ((int) (sizeof(fixtures) / sizeof(fixtures[0])))

/* the largest |a - b| / max(|b|, floor), floor = 1e-2 of the largest |b| */
static double
max_rel(const float *a, const double *b, int64_t count)
{
	double big = 0, worst = 0;

	for (int64_t i = 0; i < count; i++)
		big = fmax(big, fabs(b[i]));
	for (int64_t i = 0; i < count; i++)
	{
		double e = fabs((double) a[i] - b[i]) / fmax(fabs(b[i]), fmax(1e-2 * big, 1e-12));

		worst = fmax(worst, e);
	}
	return worst;
}

static void
fixture_spec(const seq_fixture *fx, pgl_nn_spec *spec, pgl_nn_layer_spec *layers)
{
	bool seq_out = fx->layer.type == PGL_NN_EMBEDDING || fx->layer.type == PGL_NN_CONV1D ||
				   ((fx->layer.type == PGL_NN_LSTM || fx->layer.type == PGL_NN_GRU) &&
					fx->layer.return_sequences);

	pgl_nn_spec_defaults(spec);
	layers[0] = fx->layer;
	memset(&layers[1], 0, sizeof(layers[1]));
	layers[1].type = PGL_NN_FLATTEN;
	spec->layers = layers;
	spec->n_layers = seq_out ? 2 : 1;
	if (fx->layer.type == PGL_NN_EMBEDDING)
	{
		spec->in_ndim = 1;
		spec->in_h = spec->in_w = 1;
		spec->in_c = fx->T;
	}
	else
	{
		spec->in_ndim = 2;
		spec->in_h = fx->T;
		spec->in_w = 1;
		spec->in_c = fx->F;
	}
	spec->loss = PGL_NN_LOSS_MSE;
	spec->n_out = fx->out_per_row;
}

static void
to_float(float *dst, const double *src, int64_t count)
{
	for (int64_t i = 0; i < count; i++)
		dst[i] = (float) src[i];
}

static void
check_fixture(const seq_fixture *fx)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec layers[2];
	pgl_nn			 *net;
	pgl_status		  st;
	int64_t			  in = (int64_t) fx->T * (fx->layer.type == PGL_NN_EMBEDDING ? 1 : fx->F);
	int64_t			  nout = (int64_t) fx->n * fx->out_per_row;
	float			 *X = malloc(sizeof(float) * fx->n * in);
	float			 *d = malloc(sizeof(float) * nout);
	float			 *din = calloc((size_t) (fx->n * in), sizeof(float));
	int32_t			  len[8];
	double			  e_out, e_dp = 0, e_dx = 0;

	memset(&st, 0, sizeof(st));
	fixture_spec(fx, &spec, layers);
	if (pgl_nn_create(&env, &spec, fx->n, &net, &st) != PGL_OK)
	{
		OK(0, "%s: create failed: %s", fx->name, st.msg);
		return;
	}
	OK(pgl_nn_param_count(net) == fx->n_params, "%s: %lld parameters as torch's %d", fx->name,
	   (long long) pgl_nn_param_count(net), fx->n_params);
	to_float(pgl_nn_params(net), fx->p, fx->n_params);
	to_float(X, fx->x, fx->n * in);
	to_float(d, fx->r, nout);
	for (int b = 0; b < fx->n; b++)
		len[b] = fx->len[b];
	pgl_nn_set_lengths(net, len);
	pgl_nn_forward(net, X, fx->n, true);
	e_out = max_rel(net->layer[0].out, fx->out, nout);
	nn_seq_backward(net, &net->layer[0], 0, X, fx->n, d, din, false);
	if (fx->n_params > 0)
		e_dp = max_rel(pgl_nn_grads(net), fx->dp, fx->n_params);
	if (fx->layer.type != PGL_NN_EMBEDDING)
		e_dx = max_rel(din, fx->dx, fx->n * in);
	OK(e_out < 1e-5 && e_dp < 1e-5 && e_dx < 1e-5,
	   "%s: as torch 1.13, relative errors output %.1e, parameter gradients %.1e, input "
	   "gradients %.1e",
	   fx->name, e_out, e_dp, e_dx);
	pgl_nn_destroy(&env, net);
	free(X);
	free(d);
	free(din);
}

/* ---------- numeric gradients of whole networks ---------- */

typedef struct net_def
{
	const char		 *name;
	int				  ndim, T, F; /* ndim 1: token ids (T), vocab in the embedding */
	int				  loss, n_out;
	int				  n_layers;
	pgl_nn_layer_spec layers[6];
} net_def;

#define EMB(v, dim)                                                                                \
	{                                                                                              \
		.type = PGL_NN_EMBEDDING, .units = dim, .vocab = v                                         \
	}
#define RNN(t, u, rs, bi)                                                                          \
	{                                                                                              \
		.type = t, .units = u, .return_sequences = rs, .bidirectional = bi                         \
	}
#define C1D(f, k, s, pad, a)                                                                       \
	{                                                                                              \
		.type = PGL_NN_CONV1D, .activation = a, .units = f, .kernel = k, .stride = s,              \
		.padding = pad                                                                             \
	}
#define GPOOL(t)                                                                                   \
	{                                                                                              \
		.type = t                                                                                  \
	}
#define DNS(u, a)                                                                                  \
	{                                                                                              \
		.type = PGL_NN_DENSE, .activation = a, .units = u                                          \
	}

static const net_def nets[] = {
	{"bidirectional lstm sequences + masked average + softmax",
	 2,
	 6,
	 3,
	 PGL_NN_LOSS_SOFTMAX_CE,
	 3,
	 3,
	 {RNN(PGL_NN_LSTM, 4, 1, 1), GPOOL(PGL_NN_GLOBAL_AVG_POOL1D), DNS(3, PGL_NN_SOFTMAX)}},
	{"embedding + gru sequences + conv1d same tanh + masked max + softmax",
	 1,
	 7,
	 0,
	 PGL_NN_LOSS_SOFTMAX_CE,
	 2,
	 5,
	 {EMB(9, 3), RNN(PGL_NN_GRU, 4, 1, 0), C1D(3, 3, 1, 1, PGL_NN_TANH),
	  GPOOL(PGL_NN_GLOBAL_MAX_POOL1D), DNS(2, PGL_NN_SOFTMAX)}},
	{"conv1d valid stride 2 tanh + lstm last + linear (mse)",
	 2,
	 8,
	 2,
	 PGL_NN_LOSS_MSE,
	 1,
	 3,
	 {C1D(3, 2, 2, 0, PGL_NN_TANH), RNN(PGL_NN_LSTM, 3, 0, 0), DNS(1, PGL_NN_LINEAR)}},
	{"embedding + bidirectional gru last + softmax",
	 1,
	 6,
	 0,
	 PGL_NN_LOSS_SOFTMAX_CE,
	 3,
	 3,
	 {EMB(8, 4), RNN(PGL_NN_GRU, 3, 0, 1), DNS(3, PGL_NN_SOFTMAX)}},
	{"embedding + bidirectional lstm last + flatten-free softmax",
	 1,
	 5,
	 0,
	 PGL_NN_LOSS_SOFTMAX_CE,
	 2,
	 3,
	 {EMB(6, 3), RNN(PGL_NN_LSTM, 2, 0, 1), DNS(2, PGL_NN_SOFTMAX)}},
};

#define NNETS ((int) (sizeof(nets) / sizeof(nets[0])))

static void
net_spec(const net_def *nd, pgl_nn_spec *spec)
{
	pgl_nn_spec_defaults(spec);
	spec->n_layers = nd->n_layers;
	spec->layers = (pgl_nn_layer_spec *) nd->layers;
	spec->in_ndim = nd->ndim;
	spec->in_h = nd->ndim == 2 ? nd->T : 1;
	spec->in_w = 1;
	spec->in_c = nd->ndim == 2 ? nd->F : nd->T;
	spec->loss = nd->loss;
	spec->n_out = nd->n_out;
}

/* n rows with trailing padding: lengths T, T - 2, 1, 0 ... */
static void
net_inputs(const net_def *nd, int n, float *X, int32_t *len)
{
	int F = nd->ndim == 2 ? nd->F : 1;

	for (int b = 0; b < n; b++)
	{
		len[b] = b == 0 ? nd->T : b == 1 ? nd->T - 2 : b == 2 ? 1 : 0;
		for (int t = 0; t < nd->T; t++)
			for (int f = 0; f < F; f++)
			{
				float *x = &X[((int64_t) b * nd->T + t) * F + f];

				if (t >= len[b])
					*x = 0;
				else if (nd->ndim == 1)
					*x = (float) (1 + (b * 7 + t * 3) % (nd->layers[0].vocab - 1));
				else
					*x = (float) nrand();
			}
	}
}

static void
net_grad_check(const net_def *nd)
{
	const pgl_env env = pgl_malloc_env;
	pgl_nn_spec	  spec;
	pgl_nn		 *net;
	pgl_status	  st;
	int			  n = 4;
	float		  X[4 * 64], y[4] = {0.5f, -1.0f, 0.25f, 2.0f};
	int32_t		  label[4] = {0, 1, 1, 0}, len[4];
	float		 *p, *ga;
	int64_t		  P;
	double		  num2 = 0, diff2 = 0, ana2 = 0, rel;

	memset(&st, 0, sizeof(st));
	net_spec(nd, &spec);
	if (pgl_nn_create(&env, &spec, n, &net, &st) != PGL_OK)
	{
		OK(0, "gradient check %s: create failed: %s", nd->name, st.msg);
		return;
	}
	net_inputs(nd, n, X, len);
	pgl_nn_set_lengths(net, len);
	P = pgl_nn_param_count(net);
	p = pgl_nn_params(net);
	for (int64_t j = 0; j < P; j++)
		p[j] += (float) (0.1 * nrand());
	pgl_nn_loss_grad(net, X, n, label, y, NULL);
	ga = malloc(sizeof(float) * P);
	memcpy(ga, pgl_nn_grads(net), sizeof(float) * P);
	for (int64_t j = 0; j < P; j++)
	{
		float  save = p[j];
		double h = 2e-3, lp, lm, num;

		p[j] = save + (float) h;
		lp = pgl_nn_loss_grad(net, X, n, label, y, NULL);
		p[j] = save - (float) h;
		lm = pgl_nn_loss_grad(net, X, n, label, y, NULL);
		p[j] = save;
		num = (lp - lm) / (2 * h);
		num2 += num * num;
		ana2 += (double) ga[j] * ga[j];
		diff2 += (num - ga[j]) * (num - ga[j]);
	}
	rel = sqrt(diff2) / fmax(sqrt(num2) + sqrt(ana2), 1e-12);
	OK(rel < 1e-3 && ana2 > 0, "gradient check %s: %lld parameters, relative error %.2e", nd->name,
	   (long long) P, rel);
	free(ga);
	pgl_nn_destroy(&env, net);
}

/* ---------- masking, lengths, shape errors ---------- */

/*
 * Steps past a row's length change nothing: the output of a network over
 * every sequence layer is the same with garbage or zeros there; the lengths
 * read from the zeros are the real ones.
 */
static void
test_masking(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_layer_spec l[5] = {C1D(3, 2, 1, 1, PGL_NN_TANH), RNN(PGL_NN_GRU, 3, 1, 1),
							  RNN(PGL_NN_LSTM, 2, 1, 1), GPOOL(PGL_NN_GLOBAL_AVG_POOL1D),
							  DNS(2, PGL_NN_SOFTMAX)};
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	float			  X[3 * 6 * 2], Xg[3 * 6 * 2], o1[6];
	int32_t			  len[3] = {6, 4, 1}, got[3];
	const float		 *o;
	bool			  same = true;

	memset(&st, 0, sizeof(st));
	nn_spec(&spec, l, 5, 2, 6, 1, 2, PGL_NN_LOSS_SOFTMAX_CE, 2);
	if (pgl_nn_create(&env, &spec, 3, &net, &st) != PGL_OK)
	{
		OK(0, "masking: create failed: %s", st.msg);
		return;
	}
	for (int b = 0; b < 3; b++)
		for (int t = 0; t < 6; t++)
			for (int f = 0; f < 2; f++)
			{
				int i = (b * 6 + t) * 2 + f;

				X[i] = t < len[b] ? (float) nrand() + 2.0f : 0.0f;
				Xg[i] = t < len[b] ? X[i] : (float) (5 * nrand());
			}
	OK(pgl_nn_takes_sequences(net) && pgl_nn_step_size(net) == 2,
	   "masking: a (T, F) network takes sequences of steps of 2 values");
	pgl_nn_sequence_lengths(net, X, 3, got);
	OK(got[0] == 6 && got[1] == 4 && got[2] == 1, "masking: lengths from trailing zeros %d %d %d",
	   got[0], got[1], got[2]);
	pgl_nn_set_lengths(net, len);
	o = pgl_nn_forward(net, X, 3, false);
	memcpy(o1, o, sizeof(o1));
	o = pgl_nn_forward(net, Xg, 3, false);
	for (int i = 0; i < 6; i++)
		same = same && o[i] == o1[i];
	OK(same, "masking: padded steps holding garbage give the same outputs");
	pgl_nn_set_lengths(net, NULL);
	o = pgl_nn_forward(net, Xg, 3, false);
	OK(o[2] != o1[2], "masking: without lengths the garbage counts (%g vs %g)", o[2], o1[2]);
	pgl_nn_destroy(&env, net);
}

static void
expect_shape_error(const char *what, const pgl_nn_layer_spec *l, int nl, int ndim, int T, int F,
				   const char *needle)
{
	const pgl_env env = pgl_malloc_env;
	pgl_nn_spec	  spec;
	pgl_nn		 *net = NULL;
	pgl_status	  st;
	pgl_rc		  rc;

	memset(&st, 0, sizeof(st));
	pgl_nn_spec_defaults(&spec);
	spec.layers = (pgl_nn_layer_spec *) l;
	spec.n_layers = nl;
	spec.in_ndim = ndim;
	spec.in_h = ndim == 2 ? T : 1;
	spec.in_w = 1;
	spec.in_c = ndim == 2 ? F : T;
	spec.loss = PGL_NN_LOSS_MSE;
	spec.n_out = 1;
	rc = pgl_nn_create(&env, &spec, 2, &net, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, needle) != NULL, "shape error, %s: %s", what,
	   st.msg);
	pgl_nn_destroy(&env, net);
}

/*
 * A NaN reaching the LSTM / GRU gates (a NaN input value) passes through
 * as NaN: fast_exp must not convert it to an integer (undefined behaviour,
 * caught by UBSan's float-cast-overflow); the other row stays finite.
 */
static void
test_nan_gates(void)
{
	const pgl_env env = pgl_malloc_env;

	for (int k = 0; k < 2; k++)
	{
		pgl_nn_layer_spec l[2] = {RNN(k == 0 ? PGL_NN_LSTM : PGL_NN_GRU, 3, 0, 1),
								  DNS(2, PGL_NN_SOFTMAX)};
		pgl_nn_spec		  spec;
		pgl_nn			 *net;
		pgl_status		  st;
		float			  X[2 * 4 * 2];
		const float		 *o;

		memset(&st, 0, sizeof(st));
		nn_spec(&spec, l, 2, 2, 4, 1, 2, PGL_NN_LOSS_SOFTMAX_CE, 2);
		if (pgl_nn_create(&env, &spec, 2, &net, &st) != PGL_OK)
		{
			OK(0, "NaN gates: create failed: %s", st.msg);
			continue;
		}
		for (int i = 0; i < 16; i++)
			X[i] = (float) nrand();
		X[3] = NAN;
		o = pgl_nn_forward(net, X, 2, false);
		OK(isnan(o[0]) && isnan(o[1]) && isfinite(o[2]) && isfinite(o[3]),
		   "NaN gates, %s: a NaN input gives NaN outputs (%g %g), the other row finite (%g %g)",
		   k == 0 ? "lstm" : "gru", o[0], o[1], o[2], o[3]);
		pgl_nn_destroy(&env, net);
	}
}

static void
test_shape_errors(void)
{
	const pgl_nn_layer_spec lstm_flat[2] = {RNN(PGL_NN_LSTM, 3, 0, 0), DNS(1, 0)};
	const pgl_nn_layer_spec emb_second[3] = {RNN(PGL_NN_LSTM, 3, 1, 0), EMB(5, 2), DNS(1, 0)};
	const pgl_nn_layer_spec emb_vocab[3] = {EMB(1, 2), GPOOL(PGL_NN_GLOBAL_AVG_POOL1D), DNS(1, 0)};
	const pgl_nn_layer_spec big_units[2] = {RNN(PGL_NN_GRU, 5000, 0, 0), DNS(1, 0)};
	const pgl_nn_layer_spec conv_long[3] = {C1D(2, 9, 1, 0, 0), GPOOL(PGL_NN_GLOBAL_MAX_POOL1D),
											DNS(1, 0)};
	const pgl_nn_layer_spec seq_dense[2] = {RNN(PGL_NN_LSTM, 3, 1, 0), DNS(1, 0)};
	pgl_nn_layer_spec		dense_flags[2] = {DNS(3, 0), DNS(1, 0)};

	expect_shape_error("lstm on a flat input", lstm_flat, 2, 1, 5, 1, "sequence input");
	expect_shape_error("embedding second", emb_second, 3, 2, 5, 2, "must be the first layer");
	expect_shape_error("vocab 1", emb_vocab, 3, 1, 5, 1, "\"vocab\" must be between 2");
	expect_shape_error("gru units 5000", big_units, 2, 2, 5, 2, "between 1 and 4096");
	expect_shape_error("conv1d kernel past the sequence", conv_long, 3, 2, 5, 2,
					   "kernel is longer than the sequence");
	expect_shape_error("dense on a sequence", seq_dense, 2, 2, 5, 2, "flatten");
	dense_flags[0].bidirectional = 1;
	expect_shape_error("bidirectional dense", dense_flags, 2, 1, 5, 1, "lstm and gru only");
	dense_flags[0].bidirectional = 0;
	dense_flags[0].vocab = 4;
	expect_shape_error("a dense with a vocab", dense_flags, 2, 1, 5, 1, "embedding only");
}

/* ---------- model tensors ---------- */

/* an embedding + bidirectional lstm + pool + softmax classifier of token ids, as a model */
static pgl_model *
seq_model(const pgl_env *env, pgl_nn **net, float *X, int32_t *label, int n)
{
	static pgl_nn_layer_spec l[4] = {EMB(6, 3), RNN(PGL_NN_LSTM, 3, 1, 1),
									 GPOOL(PGL_NN_GLOBAL_AVG_POOL1D), DNS(2, PGL_NN_SOFTMAX)};
	pgl_nn_spec				 spec;
	pgl_status				 st;
	pgl_model				*m = calloc(1, sizeof(pgl_model));
	double					 config[PGL_NN_CONFIG_LEN] = {0};
	pgl_nn_result			 res;
	pgl_nn_data				 tr = {X, n, label, NULL, NULL};

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < n; i++)
	{
		int len = 2 + i % 4;

		label[i] = i % 2;
		for (int t = 0; t < 6; t++)
			X[i * 6 + t] = t >= len ? 0.0f : (float) (t == 0 ? 1 + label[i] : 3 + (i + t) % 3);
	}
	nn_spec(&spec, l, 4, 1, 0, 0, 6, PGL_NN_LOSS_SOFTMAX_CE, 2);
	spec.epochs = 3;
	spec.batch_size = 8;
	OK(pgl_nn_create(env, &spec, 16, net, &st) == PGL_OK &&
		   pgl_nn_train(env, *net, &tr, NULL, &res, &st) == PGL_OK,
	   "sequence model: train %s", st.msg);
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 1;
	m->features = calloc(1, sizeof(pgl_feature));
	m->features[0].name = strdup("ids");
	m->features[0].type_name = strdup("integer[]");
	m->features[0].kind = PGL_FEATURE_NUMERIC;
	m->n_inputs = 1;
	m->target_name = strdup("y");
	m->target_type = strdup("integer");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = strdup("0");
	m->classes[1] = strdup("1");
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	config[PGL_NN_CFG_INPUT_KIND] = PGL_NN_INPUT_ARRAY;
	OK(pgl_nn_to_model(env, *net, config, NULL, NULL, &res, m, &st) == PGL_OK,
	   "sequence model: to model %s", st.msg);
	free(res.history);
	return m;
}

/*
 * A sequence network round-trips through the model format (its layer
 * spec in "nn_arch": vocab and flags) and predicts the same; hostile
 * values in "nn_arch" are refused, never crash.
 */
static void
test_seq_model(void)
{
	const pgl_env  env = pgl_malloc_env;
	pgl_nn		  *net, *net2 = NULL;
	pgl_status	   st;
	pgl_model	  *m, *m2 = NULL;
	static float   X[40 * 6];
	static int32_t label[40];
	double		   out[80], out2[80];
	uint8_t		  *blob;
	size_t		   len;
	bool		   same = true;
	int32_t		  *arch;
	/* {layer, column, value}: each refused */
	static const int32_t bad[][3] = {{0, 6, 0},	 {0, 6, 1},
									 {0, 6, -5}, {0, 6, 1 << 30},
									 {0, 2, 0},	 {0, 2, -1},
									 {1, 2, 0},	 {1, 2, 5000},
									 {1, 7, 4},	 {1, 7, -1},
									 {1, 6, 3},	 {3, 7, 1},
									 {2, 0, 99}, {1, 0, PGL_NN_GRU + 100},
									 {2, 7, 2},	 {0, 0, PGL_NN_LSTM}};

	memset(&st, 0, sizeof(st));
	m = seq_model(&env, &net, X, label, 40);
	arch = (int32_t *) pgl_model_tensor(m, "nn_arch")->data;
	OK(pgl_model_tensor(m, "nn_arch")->dims[1] == 8 && arch[6] == 6 && arch[8 + 7] == 3,
	   "sequence model: nn_arch [L, 8] holds the vocab (%d) and the flags (%d)", arch[6],
	   arch[8 + 7]);
	OK(pgl_algo_validate(m, &st) == PGL_OK, "sequence model: validates %s", st.msg);
	OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK &&
		   pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK,
	   "sequence model: write and read %s", st.msg);
	OK(pgl_nn_from_model(&env, m2, 16, &net2, &st) == PGL_OK, "sequence model: from model %s",
	   st.msg);
	if (net2 != NULL)
	{
		pgl_nn_predict_rows(&env, net, m, X, 40, out, &st);
		pgl_nn_predict_rows(&env, net2, m2, X, 40, out2, &st);
		for (int i = 0; i < 80; i++)
			same = same && out[i] == out2[i];
		OK(same, "sequence model: the read model predicts exactly as the trained network");
		pgl_nn_destroy(&env, net2);
	}
	arch = (int32_t *) pgl_model_tensor(m2, "nn_arch")->data;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
	{
		int32_t *cell = &arch[bad[k][0] * 8 + bad[k][1]];
		int32_t	 save = *cell;
		pgl_rc	 rc;

		*cell = bad[k][2];
		rc = pgl_algo_validate(m2, &st);
		net2 = NULL;
		OK(rc == PGL_ERR_CORRUPT && pgl_nn_from_model(&env, m2, 4, &net2, &st) != PGL_OK,
		   "hostile nn_arch[%d][%d] = %d refused: %s", bad[k][0], bad[k][1], bad[k][2], st.msg);
		pgl_nn_destroy(&env, net2);
		*cell = save;
	}
	OK(pgl_algo_validate(m2, &st) == PGL_OK, "sequence model: valid again after the mutations");
	free(blob);
	pgl_model_free(&env, m);
	pgl_model_free(&env, m2);
	pgl_nn_destroy(&env, net);
}

int
main(void)
{
	test_masking();
	test_nan_gates();
	test_shape_errors();
	test_seq_model();
	for (int i = 0; i < NFIX; i++)
		check_fixture(&fixtures[i]);
	for (int i = 0; i < NNETS; i++)
		net_grad_check(&nets[i]);
	return unit_done();
}
