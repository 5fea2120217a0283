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
	{"embedding + gru sequences + conv1d same relu + masked max + softmax",
	 1,
	 7,
	 0,
	 PGL_NN_LOSS_SOFTMAX_CE,
	 2,
	 5,
	 {EMB(9, 3), RNN(PGL_NN_GRU, 4, 1, 0), C1D(3, 3, 1, 1, PGL_NN_RELU),
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

int
main(void)
{
	for (int i = 0; i < NFIX; i++)
		check_fixture(&fixtures[i]);
	for (int i = 0; i < NNETS; i++)
		net_grad_check(&nets[i]);
	return unit_done();
}
