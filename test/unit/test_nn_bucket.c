/*
 * Tests of the length buckets (nn.c): a batch whose rows are all shorter
 * than T runs its sequence layers on its longest row only, and gives the
 * same loss, outputs and parameter gradients as the full-T computation
 * ("buckets": false) to float rounding, for every layer on the time axis
 * (embedding, lstm, gru, conv1d same and valid with strides, the pools,
 * multi_head_attention, layer_norm, positional_embedding learned and
 * sinusoidal, transformer_encoder, activation and dropout between them);
 * the work done shrinks; a network with batchnorm or flatten on the time
 * axis is not cut; lengths out of range are clamped; training with buckets
 * is deterministic by the seed and learns.
 */
#include "nn_internal.h"
#include "nn_spec.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define L_(t, ...)                                                                                 \
	{                                                                                              \
		.type = t, __VA_ARGS__                                                                     \
	}

typedef struct bucket_net
{
	const char		 *name;
	int				  ndim, T, F; /* ndim 1: token ids (T), the embedding's vocab 20 */
	int				  n_layers;
	pgl_nn_layer_spec layers[8];
} bucket_net;

static const bucket_net nets[] = {
	{"embedding + bidirectional lstm sequences + average pool",
	 1,
	 12,
	 0,
	 4,
	 {L_(PGL_NN_EMBEDDING, .units = 4, .vocab = 20),
	  L_(PGL_NN_LSTM, .units = 5, .return_sequences = 1, .bidirectional = 1),
	  L_(PGL_NN_GLOBAL_AVG_POOL1D), L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"embedding + bidirectional gru last state",
	 1,
	 12,
	 0,
	 3,
	 {L_(PGL_NN_EMBEDDING, .units = 3, .vocab = 20), L_(PGL_NN_GRU, .units = 4, .bidirectional = 1),
	  L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"conv1d same stride 2 relu + max pool",
	 2,
	 11,
	 3,
	 3,
	 {L_(PGL_NN_CONV1D, .units = 4, .kernel = 3, .stride = 2, .padding = 1,
		 .activation = PGL_NN_RELU),
	  L_(PGL_NN_GLOBAL_MAX_POOL1D), L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"conv1d valid kernel 4 tanh + lstm last",
	 2,
	 12,
	 2,
	 3,
	 {L_(PGL_NN_CONV1D, .units = 3, .kernel = 4, .stride = 1, .activation = PGL_NN_TANH),
	  L_(PGL_NN_LSTM, .units = 3), L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"gru sequences + conv1d same + activation tanh + dropout 0 + average pool",
	 2,
	 10,
	 2,
	 6,
	 {L_(PGL_NN_GRU, .units = 3, .return_sequences = 1),
	  L_(PGL_NN_CONV1D, .units = 3, .kernel = 2, .stride = 1, .padding = 1),
	  L_(PGL_NN_ACTIVATION, .activation = PGL_NN_TANH), L_(PGL_NN_DROPOUT, .rate = 0.0),
	  L_(PGL_NN_GLOBAL_AVG_POOL1D), L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"embedding + learned positions + transformer_encoder + layer_norm + average pool",
	 1,
	 12,
	 0,
	 6,
	 {L_(PGL_NN_EMBEDDING, .units = 4, .vocab = 20), L_(PGL_NN_POSITIONAL_EMBEDDING),
	  L_(PGL_NN_TRANSFORMER_ENCODER, .heads = 2, .ff_units = 6), L_(PGL_NN_LAYER_NORM),
	  L_(PGL_NN_GLOBAL_AVG_POOL1D), L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
	{"sinusoidal positions + multi_head_attention + max pool",
	 2,
	 9,
	 4,
	 4,
	 {L_(PGL_NN_POSITIONAL_EMBEDDING, .pos_kind = 1),
	  L_(PGL_NN_MULTI_HEAD_ATTENTION, .heads = 2, .key_dim = 3), L_(PGL_NN_GLOBAL_MAX_POOL1D),
	  L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)}},
};

#define NNETS ((int) (sizeof(nets) / sizeof(nets[0])))

static void
net_spec(const bucket_net *nd, pgl_nn_spec *spec, bool no_buckets)
{
	pgl_nn_spec_defaults(spec);
	spec->n_layers = nd->n_layers;
	spec->layers = (pgl_nn_layer_spec *) nd->layers;
	spec->in_ndim = nd->ndim;
	spec->in_h = nd->ndim == 2 ? nd->T : 1;
	spec->in_w = 1;
	spec->in_c = nd->ndim == 2 ? nd->F : nd->T;
	spec->loss = PGL_NN_LOSS_SOFTMAX_CE;
	spec->n_out = 3;
	spec->no_buckets = no_buckets;
}

/* n rows of the given lengths, zeros past them */
static void
inputs(const bucket_net *nd, int n, const int32_t *len, float *X)
{
	int F = nd->ndim == 2 ? nd->F : 1;

	for (int b = 0; b < n; b++)
		for (int t = 0; t < nd->T; t++)
			for (int f = 0; f < F; f++)
			{
				float *x = &X[((int64_t) b * nd->T + t) * F + f];

				if (t >= len[b])
					*x = 0;
				else if (nd->ndim == 1)
					*x = (float) (1 + (b * 7 + t * 3 + (int) (3 * urand())) % 19);
				else
					*x = (float) nrand();
			}
}

/* the largest |a - b| / max(|b|, 1e-3 of the largest |b|) */
static double
max_rel(const float *a, const float *b, int64_t count)
{
	double big = 0, worst = 0;

	for (int64_t i = 0; i < count; i++)
		big = fmax(big, fabs((double) b[i]));
	for (int64_t i = 0; i < count; i++)
		worst = fmax(worst, fabs((double) a[i] - b[i]) /
								fmax(fabs((double) b[i]), fmax(1e-3 * big, 1e-20)));
	return worst;
}

/*
 * One batch through two networks of the same weights, cut (buckets) and
 * full: the loss, the parameter gradients and the inference outputs agree.
 */
static void
compare_batch(const bucket_net *nd, const char *what, int n, const int32_t *len)
{
	const pgl_env env = pgl_malloc_env;
	pgl_nn_spec	  sa, sb;
	pgl_nn		 *a = NULL, *b = NULL;
	pgl_status	  st;
	int			  F = nd->ndim == 2 ? nd->F : 1;
	float		 *X = malloc(sizeof(float) * (size_t) n * nd->T * F);
	int32_t		  label[8], la[8], lb[8];
	float		 *ga, oa[8 * 3];
	double		  loss_a, loss_b, e_grad, e_out, fa, fb;
	int64_t		  P;

	memset(&st, 0, sizeof(st));
	net_spec(nd, &sa, false);
	net_spec(nd, &sb, true);
	if (pgl_nn_create(&env, &sa, n, &a, &st) != PGL_OK ||
		pgl_nn_create(&env, &sb, n, &b, &st) != PGL_OK)
	{
		OK(0, "%s: create failed: %s", nd->name, st.msg);
		pgl_nn_destroy(&env, a);
		free(X);
		return;
	}
	inputs(nd, n, len, X);
	for (int i = 0; i < n; i++)
	{
		label[i] = i % 3;
		la[i] = lb[i] = len[i];
	}
	P = pgl_nn_param_count(a);
	/* away from the initial weights, the same in both */
	for (int64_t j = 0; j < P; j++)
		pgl_nn_params(a)[j] += (float) (0.2 * nrand());
	memcpy(pgl_nn_params(b), pgl_nn_params(a), sizeof(float) * (size_t) P);
	pgl_nn_set_lengths(a, la);
	pgl_nn_set_lengths(b, lb);
	/*
	 * gradients left by an earlier batch (NaN here): a batch writes every
	 * one of them, also those of the steps past its own (a learned
	 * position table's rows T_b .. T-1: 0)
	 */
	for (int64_t j = 0; j < P; j++)
		pgl_nn_grads(a)[j] = pgl_nn_grads(b)[j] = NAN;
	fa = a->flops;
	fb = b->flops;
	loss_a = pgl_nn_loss_grad(a, X, n, label, NULL, NULL);
	loss_b = pgl_nn_loss_grad(b, X, n, label, NULL, NULL);
	fa = a->flops - fa;
	fb = b->flops - fb;
	ga = malloc(sizeof(float) * (size_t) P);
	memcpy(ga, pgl_nn_grads(a), sizeof(float) * (size_t) P);
	e_grad = max_rel(ga, pgl_nn_grads(b), P);
	for (int64_t j = 0; j < P; j++)
		if (!isfinite(ga[j]) || !isfinite(pgl_nn_grads(b)[j]))
			e_grad = INFINITY;
	memcpy(oa, pgl_nn_forward(a, X, n, false), sizeof(float) * (size_t) n * 3);
	e_out = max_rel(oa, pgl_nn_forward(b, X, n, false), (int64_t) n * 3);
	/* every layer's output rows, full length again (ai_predict_tensor) */
	for (int i = 0; i < nd->n_layers; i++)
		for (int r = 0; r < n; r++)
		{
			int64_t		 sa_, sb_;
			const float *va = pgl_nn_layer_output(a, i, r, &sa_);
			const float *vb = pgl_nn_layer_output(b, i, r, &sb_);

			e_out = fmax(e_out, sa_ == sb_ ? max_rel(va, vb, sa_) : 1.0);
		}
	/*
	 * float32 through SGEMM: a cut batch multiplies matrices of other
	 * shapes, so OpenBLAS may block and sum in another order; its kernels
	 * differ by CPU (Prescott's gave 4.2e-6 where AVX2's give 0).  A stale
	 * or missing step is off by far more than 1e-5.
	 */
	OK(fabs(loss_a - loss_b) <= 1e-5 * fmax(fabs(loss_b), 1e-6) && e_grad <= 1e-5 && e_out <= 1e-5,
	   "%s, %s: cut as full, loss %.8g vs %.8g, relative errors gradients %.1e, outputs of "
	   "every layer %.1e",
	   nd->name, what, loss_a, loss_b, e_grad, e_out);
	{
		int32_t tb = 1;

		for (int i = 0; i < n; i++)
			tb = len[i] > tb ? (len[i] < nd->T ? len[i] : nd->T) : tb;
		OK(fa < fb && a->trims && pgl_nn_batch_steps(a) == tb && pgl_nn_batch_steps(b) == nd->T,
		   "%s, %s: less work on %d steps (%.0f vs %.0f flops)", nd->name, what,
		   (int) pgl_nn_batch_steps(a), fa, fb);
	}
	/* the shapes are the full ones again */
	OK(a->layer[0].in_size == b->layer[0].in_size &&
		   a->layer[nd->n_layers - 2].out_size == b->layer[nd->n_layers - 2].out_size &&
		   a->layer[0].out_size == b->layer[0].out_size,
	   "%s, %s: full shapes after the batch", nd->name, what);
	free(ga);
	free(X);
	pgl_nn_destroy(&env, a);
	pgl_nn_destroy(&env, b);
}

/* batchnorm or flatten on the time axis: never cut, and it still runs */
static void
test_not_cut(void)
{
	const pgl_env			 env = pgl_malloc_env;
	const pgl_nn_layer_spec	 bn[4] = {L_(PGL_NN_EMBEDDING, .units = 3, .vocab = 20),
									  L_(PGL_NN_BATCHNORM), L_(PGL_NN_GLOBAL_AVG_POOL1D),
									  L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)};
	const pgl_nn_layer_spec	 fl[3] = {L_(PGL_NN_EMBEDDING, .units = 3, .vocab = 20),
									  L_(PGL_NN_FLATTEN),
									  L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)};
	const pgl_nn_layer_spec	 fd[2] = {L_(PGL_NN_DENSE, .units = 4, .activation = PGL_NN_RELU),
									  L_(PGL_NN_DENSE, .units = 3, .activation = PGL_NN_SOFTMAX)};
	const pgl_nn_layer_spec *specs[3] = {bn, fl, fd};
	const int				 nl[3] = {4, 3, 2};
	const char *const		 names[3] = {"batchnorm on the steps", "flatten of the steps",
										 "a dense network"};

	for (int k = 0; k < 3; k++)
	{
		pgl_nn_spec spec;
		pgl_nn	   *net;
		pgl_status	st;
		float		X[2 * 8] = {3, 4, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0};
		int32_t		len[2] = {2, 1}, label[2] = {0, 1};
		double		loss;

		memset(&st, 0, sizeof(st));
		nn_spec(&spec, (pgl_nn_layer_spec *) specs[k], nl[k], 1, 1, 1, 8, PGL_NN_LOSS_SOFTMAX_CE,
				3);
		if (pgl_nn_create(&env, &spec, 2, &net, &st) != PGL_OK)
		{
			OK(0, "not cut, %s: create failed: %s", names[k], st.msg);
			continue;
		}
		pgl_nn_set_lengths(net, k < 2 ? len : NULL);
		loss = pgl_nn_loss_grad(net, X, 2, label, NULL, NULL);
		OK(!net->trims && net->layer[0].steps_in == 0 && isfinite(loss),
		   "not cut, %s: the network runs on every step (loss %.4f)", names[k], loss);
		pgl_nn_destroy(&env, net);
	}
}

/*
 * Training with buckets: the same seed gives the same weights; it learns a
 * task that depends on the length; it does less work than "buckets": false.
 */
static double
train_once(bool no_buckets, uint64_t seed, float *params_out, double *acc, double *flops)
{
	const pgl_env			env = pgl_malloc_env;
	const pgl_nn_layer_spec l[4] = {L_(PGL_NN_EMBEDDING, .units = 4, .vocab = 20),
									L_(PGL_NN_GRU, .units = 6),
									L_(PGL_NN_DENSE, .units = 2, .activation = PGL_NN_SOFTMAX)};
	pgl_nn_spec				spec;
	pgl_nn				   *net;
	pgl_status				st;
	pgl_nn_result			res;
	int						n = 600, T = 24;
	float				   *X = calloc((size_t) n * T, sizeof(float));
	int32_t				   *y = malloc(sizeof(int32_t) * n), *len = malloc(sizeof(int32_t) * n);
	pgl_nn_data				tr = {.X = X, .n = n};
	double					loss = NAN;
	int32_t					right = 0;
	uint64_t				r = 99;

	memset(&st, 0, sizeof(st));
	nn_spec(&spec, (pgl_nn_layer_spec *) l, 3, 1, 1, 1, T, PGL_NN_LOSS_SOFTMAX_CE, 2);
	spec.epochs = 12;
	spec.batch_size = 8;
	spec.learning_rate = 0.01;
	spec.seed = seed;
	spec.no_buckets = no_buckets;
	/* class 1: the row holds token 7; lengths 2 .. T */
	for (int i = 0; i < n; i++)
	{
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		len[i] = 2 + (int) ((r >> 33) % (uint64_t) (T - 1));
		y[i] = i % 2;
		for (int t = 0; t < len[i]; t++)
		{
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			X[(int64_t) i * T + t] = (float) (1 + (r >> 33) % 19 == 7 ? 8 : 1 + (r >> 33) % 19);
		}
		if (y[i])
			X[(int64_t) i * T + (int) ((r >> 40) % (uint64_t) len[i])] = 7.0f;
	}
	tr.label = y;
	if (pgl_nn_create(&env, &spec, 8, &net, &st) != PGL_OK ||
		pgl_nn_train(&env, net, &tr, NULL, &res, &st) != PGL_OK)
	{
		OK(0, "training with buckets failed: %s", st.msg);
		goto out;
	}
	loss = res.loss;
	*flops = res.flops;
	memcpy(params_out, pgl_nn_params(net), sizeof(float) * (size_t) pgl_nn_param_count(net));
	for (int r0 = 0; r0 < n; r0 += 8)
	{
		int32_t c = 0;

		pgl_nn_sequence_lengths(net, X + (int64_t) r0 * T, 8, len);
		pgl_nn_set_lengths(net, len);
		pgl_nn_eval_loss(net, X + (int64_t) r0 * T, 8, y + r0, NULL, &c);
		right += c;
	}
	*acc = (double) right / n;
	free(res.history);
	pgl_nn_destroy(&env, net);
out:
	free(X);
	free(y);
	free(len);
	return loss;
}

static void
test_training(void)
{
	float  p1[512], p2[512], p3[512];
	double a1, a2, a3, f1, f2, f3;
	double l1 = train_once(false, 7, p1, &a1, &f1);
	double l2 = train_once(false, 7, p2, &a2, &f2);
	double l3 = train_once(true, 7, p3, &a3, &f3);

	OK(l1 == l2 && memcmp(p1, p2, sizeof(float) * 200) == 0,
	   "training with buckets: the same seed gives the same weights (loss %.6f)", l1);
	OK(a1 > 0.9 && a3 > 0.9 && isfinite(l3),
	   "training: learned with buckets (accuracy %.3f) and without (%.3f)", a1, a3);
	OK(f1 < 0.75 * f3, "training: buckets do %.0f%% of the work of full batches", 100.0 * f1 / f3);
}

/* lengths out of range are clamped; all rows empty run one step */
static void
test_clamped(void)
{
	int32_t over[3] = {-4, 1000, 3}, empty[3] = {0, 0, 0}, some[3] = {-1, 3, 2};

	compare_batch(&nets[0], "all rows empty", 3, empty);
	compare_batch(&nets[3], "a negative length and rows of 3", 3, some);
	{
		const pgl_env env = pgl_malloc_env;
		pgl_nn_spec	  spec;
		pgl_nn		 *net;
		pgl_status	  st;
		float		  X[3 * 12];
		int32_t		  label[3] = {0, 1, 2};
		double		  f0, loss;

		memset(&st, 0, sizeof(st));
		net_spec(&nets[0], &spec, false);
		if (pgl_nn_create(&env, &spec, 3, &net, &st) != PGL_OK)
			return;
		inputs(&nets[0], 3, (const int32_t[]){0, 12, 3}, X);
		pgl_nn_set_lengths(net, over);
		f0 = net->flops;
		loss = pgl_nn_loss_grad(net, X, 3, label, NULL, NULL);
		OK(isfinite(loss) && net->flops > f0 && net->layer[0].out_h == 12,
		   "a length past T runs the full steps (loss %.4f)", loss);
		pgl_nn_destroy(&env, net);
	}
}

int
main(void)
{
	static const int32_t mixed[5] = {7, 3, 0, 5, 1}, shorts[4] = {2, 1, 2, 1};

	for (int i = 0; i < NNETS; i++)
	{
		compare_batch(&nets[i], "rows of 7, 3, 0, 5, 1 steps", 5, mixed);
		compare_batch(&nets[i], "rows of at most 2 steps", 4, shorts);
	}
	test_clamped();
	test_not_cut();
	test_training();
	return unit_done();
}
