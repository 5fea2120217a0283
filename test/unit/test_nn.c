/*
 * Tests of nn.c: numeric gradient checks for every layer type and
 * activation and each loss (central differences in float32 over the
 * training-mode loss, dropout masks fixed by reseeding), shape errors that
 * name the layer and the shapes, XOR and a small regression learned,
 * determinism for a seed, early stopping keeping the best weights, the
 * model tensors round-tripping through the model format (also with
 * quantized storage of the parameters), and allocation failures.
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn.h"
#include "nn_spec.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

/* the layer macros below leave the sequence fields of the specs 0 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAXL 8

typedef struct case_def
{
	const char		 *name;
	int				  ndim, h, w, c;
	int				  loss, n_out;
	double			  l2;
	int				  n_layers;
	pgl_nn_layer_spec layers[MAXL];
} case_def;

#define DENSE(u, a)                                                                                \
	{                                                                                              \
		PGL_NN_DENSE, a, u, 0, 0, 0, 0, 0.1                                                        \
	}
#define CONV(f, k, s, pad, a)                                                                      \
	{                                                                                              \
		PGL_NN_CONV2D, a, f, k, s, pad, 0, 0.1                                                     \
	}
#define POOL(t, k, s)                                                                              \
	{                                                                                              \
		t, 0, 0, k, s, 0, 0, 0                                                                     \
	}
#define FLAT                                                                                       \
	{                                                                                              \
		PGL_NN_FLATTEN, 0, 0, 0, 0, 0, 0, 0                                                        \
	}
#define DROP(r)                                                                                    \
	{                                                                                              \
		PGL_NN_DROPOUT, 0, 0, 0, 0, 0, r, 0                                                        \
	}
#define BN                                                                                         \
	{                                                                                              \
		PGL_NN_BATCHNORM, 0, 0, 0, 0, 0, 0, 0                                                      \
	}
#define ACT(a)                                                                                     \
	{                                                                                              \
		PGL_NN_ACTIVATION, a, 0, 0, 0, 0, 0, 0.1                                                   \
	}

enum
{
	CE = PGL_NN_LOSS_SOFTMAX_CE,
	MSE = PGL_NN_LOSS_MSE
};

static const case_def cases[] = {
	{"dense tanh + softmax cross-entropy",
	 1,
	 1,
	 1,
	 5,
	 CE,
	 3,
	 0,
	 2,
	 {DENSE(6, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)}},
	{"dense relu + mse",
	 1,
	 1,
	 1,
	 5,
	 MSE,
	 1,
	 0,
	 2,
	 {DENSE(7, PGL_NN_RELU), DENSE(1, PGL_NN_LINEAR)}},
	{"dense leaky_relu + mse",
	 1,
	 1,
	 1,
	 5,
	 MSE,
	 1,
	 0,
	 2,
	 {DENSE(7, PGL_NN_LEAKY_RELU), DENSE(1, PGL_NN_LINEAR)}},
	{"dense sigmoid + mse with 2 outputs",
	 1,
	 1,
	 1,
	 4,
	 MSE,
	 2,
	 0,
	 2,
	 {DENSE(5, PGL_NN_SIGMOID), DENSE(2, PGL_NN_TANH)}},
	{"hidden softmax",
	 1,
	 1,
	 1,
	 4,
	 MSE,
	 1,
	 0,
	 2,
	 {DENSE(5, PGL_NN_SOFTMAX), DENSE(1, PGL_NN_LINEAR)}},
	{"binary sigmoid cross-entropy",
	 1,
	 1,
	 1,
	 4,
	 CE,
	 2,
	 0,
	 2,
	 {DENSE(5, PGL_NN_TANH), DENSE(1, PGL_NN_SIGMOID)}},
	{"activation layers (relu, tanh, sigmoid, leaky_relu, softmax)",
	 1,
	 1,
	 1,
	 4,
	 CE,
	 3,
	 0,
	 6,
	 {DENSE(6, PGL_NN_LINEAR), ACT(PGL_NN_TANH), ACT(PGL_NN_SIGMOID), ACT(PGL_NN_LEAKY_RELU),
	  DENSE(3, PGL_NN_LINEAR), ACT(PGL_NN_SOFTMAX)}},
	{"l2 weight decay",
	 1,
	 1,
	 1,
	 4,
	 CE,
	 3,
	 0.1,
	 2,
	 {DENSE(5, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)}},
	{"dropout 0.5",
	 1,
	 1,
	 1,
	 5,
	 CE,
	 3,
	 0,
	 3,
	 {DENSE(8, PGL_NN_TANH), DROP(0.5), DENSE(3, PGL_NN_SOFTMAX)}},
	{"batchnorm on a flat input",
	 1,
	 1,
	 1,
	 5,
	 CE,
	 3,
	 0,
	 3,
	 {DENSE(6, PGL_NN_LINEAR), BN, DENSE(3, PGL_NN_SOFTMAX)}},
	{"conv2d valid stride 1 after conv2d",
	 3,
	 6,
	 6,
	 2,
	 CE,
	 3,
	 0,
	 4,
	 {CONV(3, 3, 1, 0, PGL_NN_TANH), CONV(2, 2, 1, 0, PGL_NN_RELU), FLAT,
	  DENSE(3, PGL_NN_SOFTMAX)}},
	{"conv2d same stride 2",
	 3,
	 7,
	 7,
	 2,
	 CE,
	 3,
	 0,
	 4,
	 {CONV(3, 3, 1, 1, PGL_NN_TANH), CONV(4, 3, 2, 1, PGL_NN_SIGMOID), FLAT,
	  DENSE(3, PGL_NN_SOFTMAX)}},
	{"maxpool2d",
	 3,
	 6,
	 6,
	 1,
	 CE,
	 3,
	 0,
	 4,
	 {CONV(3, 3, 1, 1, PGL_NN_TANH), POOL(PGL_NN_MAXPOOL2D, 2, 0), FLAT, DENSE(3, PGL_NN_SOFTMAX)}},
	{"avgpool2d stride 1",
	 3,
	 6,
	 6,
	 1,
	 MSE,
	 1,
	 0,
	 4,
	 {CONV(2, 3, 1, 0, PGL_NN_TANH), POOL(PGL_NN_AVGPOOL2D, 2, 1), FLAT, DENSE(1, PGL_NN_LINEAR)}},
	{"batchnorm on channels",
	 3,
	 5,
	 5,
	 2,
	 CE,
	 3,
	 0,
	 4,
	 {CONV(3, 3, 1, 1, PGL_NN_LINEAR), BN, FLAT, DENSE(3, PGL_NN_SOFTMAX)}},
	{"flatten of a flat input, dense after pooling",
	 3,
	 4,
	 4,
	 1,
	 MSE,
	 1,
	 0,
	 5,
	 {CONV(2, 2, 1, 0, PGL_NN_RELU), POOL(PGL_NN_MAXPOOL2D, 3, 0), FLAT, FLAT,
	  DENSE(1, PGL_NN_LINEAR)}},
};

static void
make_spec(const case_def *cd, pgl_nn_spec *spec, pgl_nn_layer_spec *layers)
{
	pgl_nn_spec_defaults(spec);
	memcpy(layers, cd->layers, sizeof(pgl_nn_layer_spec) * cd->n_layers);
	spec->n_layers = cd->n_layers;
	spec->layers = layers;
	spec->in_ndim = cd->ndim;
	spec->in_h = cd->h;
	spec->in_w = cd->w;
	spec->in_c = cd->c;
	spec->loss = cd->loss;
	spec->n_out = cd->n_out;
	spec->l2 = cd->l2;
	spec->seed = 7;
}

static double
loss_at(pgl_nn *net, const float *X, int n, const int32_t *label, const float *y)
{
	pgl_nn_reseed(net, 12345);
	return pgl_nn_loss_grad(net, X, n, label, y, NULL);
}

static void
grad_check(const case_def *cd)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec layers[MAXL];
	pgl_nn			 *net;
	pgl_status		  st;
	int				  n = 4;
	float			  X[4 * 256];
	int32_t			  label[4];
	float			  y[8];
	float			 *p, *g, *ga;
	int64_t			  P;
	double			  num2 = 0, diff2 = 0, ana2 = 0;
	int				  in;

	memset(&st, 0, sizeof(st));
	make_spec(cd, &spec, layers);
	if (pgl_nn_create(&env, &spec, n, &net, &st) != PGL_OK)
	{
		OK(0, "gradient check %s: create failed: %s", cd->name, st.msg);
		return;
	}
	in = pgl_nn_input_size(net);
	for (int i = 0; i < n * in; i++)
		X[i] = (float) nrand();
	for (int i = 0; i < n; i++)
		label[i] = i % (cd->n_out == 2 && cd->loss == CE ? 2 : cd->n_out);
	for (int i = 0; i < 8; i++)
		y[i] = (float) nrand();
	/* batchnorm gamma / beta away from 1 / 0, so their gradients matter */
	P = pgl_nn_param_count(net);
	p = pgl_nn_params(net);
	for (int64_t j = 0; j < P; j++)
		p[j] += (float) (0.1 * nrand());

	loss_at(net, X, n, label, y);
	ga = malloc(sizeof(float) * P);
	g = pgl_nn_grads(net);
	memcpy(ga, g, sizeof(float) * P);
	for (int64_t j = 0; j < P; j++)
	{
		float  save = p[j];
		double h = 2e-3, lp, lm, num;

		p[j] = save + (float) h;
		lp = loss_at(net, X, n, label, y);
		p[j] = save - (float) h;
		lm = loss_at(net, X, n, label, y);
		p[j] = save;
		num = (lp - lm) / (2 * h);
		num2 += num * num;
		ana2 += (double) ga[j] * ga[j];
		diff2 += (num - ga[j]) * (num - ga[j]);
	}
	{
		double rel = sqrt(diff2) / fmax(sqrt(num2) + sqrt(ana2), 1e-12);

		OK(rel < 1e-3 && ana2 > 0, "gradient check %s: %lld parameters, relative error %.2e",
		   cd->name, (long long) P, rel);
	}
	free(ga);
	pgl_nn_destroy(&env, net);
}

static void
expect_error(const char *what, pgl_nn_spec *spec, const char *needle1, const char *needle2)
{
	pgl_nn	  *net = NULL;
	pgl_status st;
	pgl_rc	   rc;

	memset(&st, 0, sizeof(st));
	rc = pgl_nn_create(&pgl_malloc_env, spec, 4, &net, &st);
	OK(rc == PGL_ERR_INVALID && net == NULL && strstr(st.msg, needle1) &&
		   (needle2 == NULL || strstr(st.msg, needle2)),
	   "%s: %s", what, st.msg);
	pgl_nn_destroy(&pgl_malloc_env, net);
}

static void
test_shape_errors(void)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[4];

	nn_spec(&spec, l, 2, 3, 28, 28, 1, CE, 10);
	l[0] = (pgl_nn_layer_spec) CONV(4, 3, 1, 0, PGL_NN_RELU);
	l[1] = (pgl_nn_layer_spec) DENSE(10, PGL_NN_SOFTMAX);
	expect_error("dense after conv2d", &spec, "layer 2 (dense) with input shape (26, 26, 4)",
				 "flatten");
	l[1] = (pgl_nn_layer_spec) FLAT;
	spec.n_layers = 3;
	l[2] = (pgl_nn_layer_spec) DENSE(9, PGL_NN_SOFTMAX);
	expect_error("wrong number of outputs", &spec, "last layer (3, dense) outputs shape (9)",
				 "(10)");
	l[2] = (pgl_nn_layer_spec) DENSE(10, PGL_NN_RELU);
	expect_error("classification without softmax", &spec, "\"activation\": \"softmax\"", "relu");
	l[0] = (pgl_nn_layer_spec) CONV(4, 30, 1, 0, PGL_NN_RELU);
	l[2] = (pgl_nn_layer_spec) DENSE(10, PGL_NN_SOFTMAX);
	expect_error("kernel larger than the input", &spec,
				 "layer 1 (conv2d) with input shape (28, 28, 1)", "kernel 30");
	l[0] = (pgl_nn_layer_spec) DENSE(-3, PGL_NN_RELU);
	spec.in_ndim = 1;
	spec.in_c = 5;
	expect_error("negative units", &spec, "layer 1 (dense) with input shape (5)", "units");
	l[0] = (pgl_nn_layer_spec) CONV(4, 3, 1, 0, PGL_NN_RELU);
	expect_error("conv2d on a flat input", &spec, "layer 1 (conv2d) with input shape (5)",
				 "input_shape");
	l[0] = (pgl_nn_layer_spec) POOL(PGL_NN_MAXPOOL2D, 2, 0);
	expect_error("pool on a flat input", &spec, "layer 1 (maxpool2d)", NULL);
	l[0] = (pgl_nn_layer_spec) DROP(1.0);
	expect_error("dropout rate 1", &spec, "layer 1 (dropout)", "[0, 1)");
	l[0].type = 99;
	expect_error("unknown layer type", &spec, "layer 1 has an unknown type 99", NULL);
	spec.n_layers = 0;
	expect_error("no layers", &spec, "between 1 and", NULL);
}

/* XOR: not linearly separable; a small tanh network learns it exactly */
static void
test_xor(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[2] = {DENSE(8, PGL_NN_TANH), DENSE(2, PGL_NN_SOFTMAX)};
	float			  X[400 * 2];
	int32_t			  label[400];
	pgl_nn			 *net, *net2;
	pgl_status		  st;
	pgl_nn_data		  tr = {X, 400, label, NULL}, va = {X, 0, NULL, NULL};
	pgl_nn_result	  res, res2;
	int32_t			  correct = 0;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 400; i++)
	{
		int a = i & 1, b = (i >> 1) & 1;

		X[2 * i] = (float) (a + 0.1 * nrand());
		X[2 * i + 1] = (float) (b + 0.1 * nrand());
		label[i] = a ^ b;
	}
	nn_spec(&spec, l, 2, 1, 0, 0, 2, CE, 2);
	spec.learning_rate = 0.05;
	spec.batch_size = 16;
	spec.epochs = 40;
	OK(pgl_nn_create(&env, &spec, 16, &net, &st) == PGL_OK, "xor: create");
	OK(pgl_nn_train(&env, net, &tr, &va, &res, &st) == PGL_OK, "xor: train %s", st.msg);
	pgl_nn_eval_loss(net, X, 16, label, NULL, &correct);
	OK(correct == 16, "xor: first 16 rows all right (%d)", correct);
	OK(res.history[res.epochs_run - 1].train_acc >= 0.99, "xor: training accuracy %.3f",
	   res.history[res.epochs_run - 1].train_acc);
	OK(cnt.progress == 40 && cnt.interrupts >= 40 * 25, "xor: progress %d, interrupts %d",
	   cnt.progress, cnt.interrupts);
	OK(res.flops > 0, "xor: flops counted");

	/* the same seed gives the same weights, bit for bit */
	OK(pgl_nn_create(&env, &spec, 16, &net2, &st) == PGL_OK &&
		   pgl_nn_train(&env, net2, &tr, &va, &res2, &st) == PGL_OK,
	   "xor: second run");
	OK(memcmp(pgl_nn_params(net), pgl_nn_params(net2), sizeof(float) * pgl_nn_param_count(net)) ==
		   0,
	   "xor: deterministic for a seed");
	free(res.history);
	free(res2.history);
	pgl_nn_destroy(&env, net2);

	/* sgd with momentum learns it too */
	spec.optimizer = PGL_NN_SGD;
	spec.learning_rate = 0.1;
	OK(pgl_nn_create(&env, &spec, 16, &net2, &st) == PGL_OK &&
		   pgl_nn_train(&env, net2, &tr, &va, &res2, &st) == PGL_OK,
	   "xor sgd: train");
	OK(res2.history[res2.epochs_run - 1].train_acc >= 0.99, "xor sgd: training accuracy %.3f",
	   res2.history[res2.epochs_run - 1].train_acc);
	free(res2.history);
	pgl_nn_destroy(&env, net2);
	pgl_nn_destroy(&env, net);
}

/* regression of y = sin(2x) + noise, with a hold-out and early stopping */
static void
test_regression_early_stopping(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[3] = {DENSE(32, PGL_NN_TANH), DENSE(16, PGL_NN_RELU),
							  DENSE(1, PGL_NN_LINEAR)};
	enum
	{
		N = 600,
		NV = 200
	};
	static float  X[N], y[N], Xv[NV], yv[NV];
	pgl_nn		 *net;
	pgl_status	  st;
	pgl_nn_result res;
	double		  vl;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < N; i++)
	{
		X[i] = (float) (3 * urand() - 1.5);
		y[i] = (float) (sin(2 * X[i]) + 0.05 * nrand());
	}
	for (int i = 0; i < NV; i++)
	{
		Xv[i] = (float) (3 * urand() - 1.5);
		yv[i] = (float) sin(2 * Xv[i]);
	}
	nn_spec(&spec, l, 3, 1, 0, 0, 1, MSE, 1);
	spec.learning_rate = 0.01;
	spec.batch_size = 32;
	spec.epochs = 60;
	spec.patience = 5;
	{
		pgl_nn_data tr = {X, N, NULL, y}, va = {Xv, NV, NULL, yv};

		OK(pgl_nn_create(&env, &spec, 32, &net, &st) == PGL_OK &&
			   pgl_nn_train(&env, net, &tr, &va, &res, &st) == PGL_OK,
		   "regression: train %s", st.msg);
	}
	vl = 0;
	for (int r0 = 0; r0 < NV; r0 += 32)
	{
		int nb = NV - r0 < 32 ? NV - r0 : 32;

		vl += nb * pgl_nn_eval_loss(net, Xv + r0, nb, NULL, yv + r0, NULL);
	}
	vl /= NV;
	OK(vl < 0.02, "regression: validation mse %.4f < 0.02", vl);
	OK(res.best_epoch >= 1 && res.best_epoch <= res.epochs_run &&
		   vl == res.history[res.best_epoch - 1].val_loss && vl == res.loss,
	   "early stopping kept the weights of the best epoch %d of %d (%.6f)", res.best_epoch,
	   res.epochs_run, res.history[res.best_epoch - 1].val_loss);
	for (int e = res.best_epoch; e < res.epochs_run; e++)
		if (!(res.history[e].val_loss >= res.loss))
			OK(0, "a later epoch was better than the kept one");
	OK(res.epochs_run == spec.epochs || res.epochs_run - res.best_epoch == spec.patience,
	   "stopped after patience epochs without improvement (%d, best %d)", res.epochs_run,
	   res.best_epoch);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

/* the model tensors survive the model format, and predictions agree */
static void
test_model_roundtrip(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[4] = {DENSE(6, PGL_NN_RELU), BN, DROP(0.2), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn			 *net, *net2;
	pgl_status		  st;
	pgl_model		 *m = calloc(1, sizeof(pgl_model)), *m2 = NULL;
	static float	  X[60 * 2];
	static int32_t	  label[60];
	double			  config[PGL_NN_CONFIG_LEN] = {0};
	double			  mu[2] = {0, 0}, sd[2] = {1, 1};
	double			  Xd[60 * 2], out[60 * 3], out2[60 * 3];
	pgl_nn_result	  res;
	uint8_t			 *blob;
	size_t			  len;
	bool			  same = true;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 60; i++)
	{
		label[i] = i % 3;
		X[2 * i] = (float) (label[i] + 0.3 * nrand());
		X[2 * i + 1] = (float) (-label[i] + 0.3 * nrand());
		Xd[i] = X[2 * i];
		Xd[i + 60] = X[2 * i + 1];
	}
	nn_spec(&spec, l, 4, 1, 0, 0, 2, CE, 3);
	spec.epochs = 3;
	spec.batch_size = 8;
	{
		pgl_nn_data tr = {X, 60, label, NULL};

		OK(pgl_nn_create(&env, &spec, 16, &net, &st) == PGL_OK &&
			   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
		   "roundtrip: train");
	}
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 2;
	m->features = calloc(2, sizeof(pgl_feature));
	for (int f = 0; f < 2; f++)
	{
		m->features[f].name = strdup(f ? "b" : "a");
		m->features[f].type_name = strdup("real");
		m->features[f].kind = PGL_FEATURE_NUMERIC;
	}
	m->n_inputs = 2;
	m->target_name = strdup("y");
	m->target_type = strdup("integer");
	m->n_classes = 3;
	m->classes = calloc(3, sizeof(char *));
	for (int c = 0; c < 3; c++)
		m->classes[c] = strdup(c == 0 ? "0" : c == 1 ? "1" : "2");
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(&env, net, config, mu, sd, &res, m, &st) == PGL_OK, "roundtrip: to model");
	OK(pgl_algo_validate(m, &st) == PGL_OK, "roundtrip: validates %s", st.msg);
	OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK, "roundtrip: write %s", st.msg);
	OK(pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK, "roundtrip: read %s", st.msg);
	OK(pgl_nn_predict_rows(&env, net, m, X, 60, out, &st) == PGL_OK &&
		   pgl_algo_by_id(PGL_ALGO_NEURAL_NET)->predict(&env, m2, Xd, 60, 60, out2, &st) == PGL_OK,
	   "roundtrip: predict");
	for (int i = 0; i < 180; i++)
		if (out[i] != out2[i])
			same = false;
	OK(same, "roundtrip: the read model predicts exactly as the trained network");
	OK(pgl_nn_from_model(&env, m2, 4, &net2, &st) == PGL_OK, "roundtrip: from model");
	pgl_nn_destroy(&env, net2);

	/* a corrupted architecture is refused */
	((int32_t *) ((pgl_tensor *) pgl_model_tensor(m2, "nn_arch"))->data)[2] = 7;
	OK(pgl_algo_validate(m2, &st) == PGL_ERR_CORRUPT, "corrupt units refused: %s", st.msg);
	((int32_t *) ((pgl_tensor *) pgl_model_tensor(m2, "nn_arch"))->data)[2] = 6;
	((float *) ((pgl_tensor *) pgl_model_tensor(m2, "nn_params"))->data)[0] = NAN;
	OK(pgl_algo_validate(m2, &st) == PGL_ERR_CORRUPT, "non-finite parameter refused: %s", st.msg);

	/* finite weights whose products overflow float32: an error, not NaN probabilities */
	{
		pgl_tensor *pt = (pgl_tensor *) pgl_model_tensor(m2, "nn_params");

		for (int64_t i = 0; i < pgl_tensor_count(pt); i++)
			((float *) pt->data)[i] = 3e38f;
		memset(&st, 0, sizeof(st));
		OK(pgl_algo_validate(m2, &st) == PGL_OK, "huge finite weights validate: %s", st.msg);
		OK(pgl_algo_by_id(PGL_ALGO_NEURAL_NET)->predict(&env, m2, Xd, 60, 60, out2, &st) ==
				   PGL_ERR_NUMERIC &&
			   strstr(st.msg, "is not finite") != NULL && st.detail[0] != '\0',
		   "an overflowing forward pass is refused: %s", st.msg);
	}

	free(blob);
	free(res.history);
	pgl_model_free(&env, m);
	pgl_model_free(&env, m2);
	pgl_nn_destroy(&env, net);
}

/* a trained 2-16-3 network with batchnorm as a model, for the storage tests */
static pgl_model *
quant_model(const pgl_env *env, pgl_nn **net, double *Xd, float *X)
{
	static pgl_nn_layer_spec l[3] = {DENSE(16, PGL_NN_RELU), BN, DENSE(3, PGL_NN_SOFTMAX)};
	static int32_t			 label[60];
	pgl_nn_spec				 spec;
	pgl_status				 st;
	pgl_model				*m = calloc(1, sizeof(pgl_model));
	double					 config[PGL_NN_CONFIG_LEN] = {0};
	double					 mu[2] = {0, 0}, sd[2] = {1, 1};
	pgl_nn_result			 res;
	pgl_nn_data				 tr = {X, 60, label, NULL};

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 60; i++)
	{
		label[i] = i % 3;
		X[2 * i] = (float) (label[i] + 0.3 * nrand());
		X[2 * i + 1] = (float) (-label[i] + 0.3 * nrand());
		Xd[i] = X[2 * i];
		Xd[i + 60] = X[2 * i + 1];
	}
	nn_spec(&spec, l, 3, 1, 0, 0, 2, CE, 3);
	spec.epochs = 5;
	spec.batch_size = 8;
	OK(pgl_nn_create(env, &spec, 60, net, &st) == PGL_OK &&
		   pgl_nn_train(env, *net, &tr, NULL, &res, &st) == PGL_OK,
	   "quantized: train %s", st.msg);
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 2;
	m->features = calloc(2, sizeof(pgl_feature));
	for (int f = 0; f < 2; f++)
	{
		m->features[f].name = strdup(f ? "b" : "a");
		m->features[f].type_name = strdup("real");
		m->features[f].kind = PGL_FEATURE_NUMERIC;
	}
	m->n_inputs = 2;
	m->target_name = strdup("y");
	m->target_type = strdup("integer");
	m->n_classes = 3;
	m->classes = calloc(3, sizeof(char *));
	for (int c = 0; c < 3; c++)
		m->classes[c] = strdup(c == 0 ? "0" : c == 1 ? "1" : "2");
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(env, *net, config, mu, sd, &res, m, &st) == PGL_OK, "quantized: to model");
	free(res.history);
	return m;
}

/*
 * Quantized storage of "nn_params": float16 within half an ulp of binary16,
 * int8 within half a step of its block's scale (one scale per block of
 * parameters), padding zero, batchnorm statistics untouched; the blob reads
 * back to exactly the values in memory, validates, predicts as the
 * quantized model and close to the float32 network; a blocked tensor with
 * non-zero padding is refused.
 */
static void
test_quantized(void)
{
	counters			 cnt;
	pgl_env				 env = make_env(&cnt);
	static const int32_t kinds[] = {PGL_STORE_F32, PGL_STORE_F16, PGL_STORE_I8_ROW};

	for (int k = 0; k < 3; k++)
	{
		int32_t			  kind = kinds[k];
		const int32_t	  B = 8;
		pgl_nn			 *net;
		pgl_model		 *m, *m2 = NULL;
		pgl_status		  st;
		static float	  X[120];
		double			  Xd[120], out[180], out2[180], out3[180];
		const pgl_tensor *t, *t2, *stats;
		float			 *orig, *ostats;
		int64_t			  P, S;
		uint8_t			 *blob;
		size_t			  len;
		bool			  within = true, same = true, close = true, pad0 = true, stats_same;
		pgl_nn			 *qnet;

		memset(&st, 0, sizeof(st));
		m = quant_model(&env, &net, Xd, X);
		P = pgl_nn_param_count(net);
		orig = malloc(sizeof(float) * P);
		memcpy(orig, pgl_model_tensor(m, "nn_params")->data, sizeof(float) * P);
		stats = pgl_model_tensor(m, "nn_stats");
		S = stats->dims[0];
		ostats = malloc(sizeof(float) * (S + 1));
		memcpy(ostats, stats->data, sizeof(float) * S);
		OK(pgl_nn_predict_rows(&env, net, m, X, 60, out, &st) == PGL_OK, "quantized: predict");

		if (kind == PGL_STORE_I8_ROW)
		{
			OK(pgl_nn_block_params(&env, m, B, &st) == PGL_OK, "int8: blocks %s", st.msg);
			OK(pgl_nn_block_params(&env, m, B, &st) == PGL_ERR_INVALID,
			   "int8: blocks of blocks refused");
		}
		OK(pgl_model_set_storage(&env, m, kind, &st) == PGL_OK, "storage %d: set %s", kind, st.msg);
		t = pgl_model_tensor(m, "nn_params");
		OK(kind == PGL_STORE_I8_ROW
			   ? t->ndim == 2 && t->dims[0] == (P + B - 1) / B && t->dims[1] == B &&
					 t->storage == PGL_STORE_I8_ROW
			   : t->ndim == 1 && t->dims[0] == P &&
					 t->storage == (kind == PGL_STORE_F32 ? PGL_STORE_NATIVE : kind),
		   "storage %d: nn_params shape and storage", kind);
		for (int64_t i = 0; i < P; i++)
		{
			float  q = ((const float *) t->data)[i];
			double bound;

			if (kind == PGL_STORE_F32)
				bound = 0;
			else if (kind == PGL_STORE_F16)
				bound = fabs(orig[i]) * 0x1p-11 + 0x1p-25;
			else
			{
				int64_t r = i / B;
				double	mx = 0;

				for (int64_t j = r * B; j < (r + 1) * B && j < P; j++)
					mx = fmax(mx, fabs(orig[j]));
				bound = mx / 127 / 2 * (1 + 1e-6) + 1e-30;
			}
			if (fabs(q - orig[i]) > bound)
				within = false;
		}
		OK(within, "storage %d: every parameter within its bound", kind);
		if (kind == PGL_STORE_I8_ROW)
			for (int64_t i = P; i < t->dims[0] * B; i++)
				if (((const float *) t->data)[i] != 0)
					pad0 = false;
		OK(pad0, "storage %d: padding stays zero", kind);
		stats = pgl_model_tensor(m, "nn_stats");
		stats_same = stats->storage == PGL_STORE_NATIVE &&
					 memcmp(stats->data, ostats, sizeof(float) * S) == 0;
		OK(stats_same, "storage %d: batchnorm statistics stay float32", kind);

		OK(pgl_algo_validate(m, &st) == PGL_OK, "storage %d: validates %s", kind, st.msg);
		OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK, "storage %d: write %s", kind,
		   st.msg);
		OK(pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK, "storage %d: read %s", kind,
		   st.msg);
		t2 = pgl_model_tensor(m2, "nn_params");
		OK(t2->ndim == t->ndim && t2->dims[0] == t->dims[0] &&
			   memcmp(t2->data, t->data, sizeof(float) * pgl_tensor_count(t)) == 0,
		   "storage %d: the blob reads back to the values in memory", kind);
		OK(pgl_algo_validate(m2, &st) == PGL_OK, "storage %d: read model validates", kind);
		OK(pgl_nn_from_model(&env, m, 60, &qnet, &st) == PGL_OK &&
			   pgl_nn_predict_rows(&env, qnet, m, X, 60, out2, &st) == PGL_OK,
		   "storage %d: quantized network predicts", kind);
		pgl_nn_destroy(&env, qnet);
		OK(pgl_algo_by_id(PGL_ALGO_NEURAL_NET)->predict(&env, m2, Xd, 60, 60, out3, &st) == PGL_OK,
		   "storage %d: read model predicts", kind);
		for (int i = 0; i < 180; i++)
		{
			if (out2[i] != out3[i])
				same = false;
			if (fabs(out2[i] - out[i]) > (kind == PGL_STORE_I8_ROW ? 0.05 : 0.005))
				close = false;
			if (kind == PGL_STORE_F32 && out2[i] != out[i])
				close = false;
		}
		OK(same, "storage %d: the read model predicts exactly as the quantized one", kind);
		OK(close, "storage %d: probabilities close to the float32 network's", kind);

		if (kind == PGL_STORE_I8_ROW && t2->dims[0] * B > P)
		{
			((float *) ((pgl_tensor *) t2)->data)[t2->dims[0] * B - 1] = 1;
			OK(pgl_algo_validate(m2, &st) == PGL_ERR_CORRUPT, "int8: non-zero padding refused: %s",
			   st.msg);
		}
		free(blob);
		free(orig);
		free(ostats);
		pgl_model_free(&env, m);
		pgl_model_free(&env, m2);
		pgl_nn_destroy(&env, net);
	}
}

static void
test_nomem(void)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[5] = {CONV(2, 3, 1, 1, PGL_NN_RELU), POOL(PGL_NN_MAXPOOL2D, 2, 0), BN, FLAT,
							  DENSE(3, PGL_NN_SOFTMAX)};
	bool			  all = true;
	int				  i;

	nn_spec(&spec, l, 5, 3, 6, 6, 1, CE, 3);
	for (i = 0; i < 40; i++)
	{
		counters   cnt;
		pgl_env	   env = make_env(&cnt);
		pgl_nn	  *net = NULL;
		pgl_status st;
		pgl_rc	   rc;

		cnt.fail_at = i;
		rc = pgl_nn_create(&env, &spec, 4, &net, &st);
		if (rc == PGL_OK)
		{
			pgl_nn_destroy(&env, net);
			break;
		}
		if (rc != PGL_ERR_NOMEM || net != NULL)
			all = false;
	}
	OK(all && i > 5, "every allocation failure in create returns PGL_ERR_NOMEM (%d tried)", i);
}

/* the memory estimate grows with the batch and covers the parameters */
static void
test_memory(void)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[4] = {CONV(8, 3, 1, 1, PGL_NN_RELU), POOL(PGL_NN_MAXPOOL2D, 2, 0), FLAT,
							  DENSE(10, PGL_NN_SOFTMAX)};
	int64_t			  b1 = 0, b64 = 0;
	pgl_status		  st;
	pgl_nn			 *net;

	nn_spec(&spec, l, 4, 3, 28, 28, 1, CE, 10);
	OK(pgl_nn_memory(&spec, 1, &b1, &st) == PGL_OK && pgl_nn_memory(&spec, 64, &b64, &st) == PGL_OK,
	   "memory estimate");
	OK(pgl_nn_create(&pgl_malloc_env, &spec, 1, &net, &st) == PGL_OK, "create for the estimate");
	OK(b1 >= 5 * 4 * pgl_nn_param_count(net) && b64 > 32 * b1 / 2,
	   "memory estimate: %lld bytes at batch 1, %lld at batch 64", (long long) b1, (long long) b64);
	pgl_nn_destroy(&pgl_malloc_env, net);
	l[3].units = 9;
	OK(pgl_nn_memory(&spec, 1, &b1, &st) == PGL_ERR_INVALID, "memory estimate of a bad spec fails");
}

/*
 * Class weights: all 1 is the unweighted training, bit for bit; a weight of
 * 4 on the rare class raises its predicted probability; the loss is the
 * weighted mean cross-entropy; bad weights are refused.  For a softmax over
 * two units and for one sigmoid unit.
 */
static void
test_class_weight_last(pgl_nn_layer_spec last, const char *what)
{
	enum
	{
		N = 500
	};
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[2] = {DENSE(4, PGL_NN_TANH), last};
	float			  X[N * 2];
	int32_t			  label[N];
	pgl_nn			 *net[3];
	pgl_status		  st;
	pgl_nn_data		  tr = {X, N, label, NULL};
	pgl_nn_result	  res;
	double			  ones[2] = {1, 1}, heavy[2] = {1, 4}, bad[2] = {1, -1};
	double			 *weights[3] = {NULL, ones, heavy};
	double			  mean1[3] = {0, 0, 0};
	double			  want = 0;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < N; i++)
	{
		label[i] = i % 5 == 0;
		X[2 * i] = (float) (label[i] + nrand());
		X[2 * i + 1] = (float) nrand();
	}
	nn_spec(&spec, l, 2, 1, 0, 0, 2, CE, 2);
	spec.learning_rate = 0.02;
	spec.epochs = 5;
	for (int w = 0; w < 3; w++)
	{
		spec.class_weight = weights[w];
		OK(pgl_nn_create(&env, &spec, N, &net[w], &st) == PGL_OK &&
			   pgl_nn_train(&env, net[w], &tr, NULL, &res, &st) == PGL_OK,
		   "%s: trains with class weights %d (%s)", what, w, st.msg);
		free(res.history);
		{
			const float *out = pgl_nn_forward(net[w], X, N, false);
			int			 k = last.units;

			for (int i = 0; i < N; i++)
				mean1[w] += (k == 1 ? out[i] : out[2 * i + 1]) / N;
			if (w == 2)
				for (int i = 0; i < N; i++)
				{
					double p1 = k == 1 ? out[i] : out[2 * i + 1];

					want -= heavy[label[i]] * log(label[i] ? p1 : 1 - p1) / N;
				}
		}
	}
	OK(memcmp(pgl_nn_params(net[0]), pgl_nn_params(net[1]),
			  sizeof(float) * pgl_nn_param_count(net[0])) == 0,
	   "%s: class weights of 1 train the same network, bit for bit", what);
	OK(mean1[2] > mean1[0] + 0.05,
	   "%s: weight 4 on the rare class raises its mean probability "
	   "(%.3f -> %.3f)",
	   what, mean1[0], mean1[2]);
	NEAR(pgl_nn_eval_loss(net[2], X, N, label, NULL, NULL), want, 1e-5,
		 "%s: the loss is the weighted mean cross-entropy (%g)", what, want);
	for (int w = 0; w < 3; w++)
		pgl_nn_destroy(&env, net[w]);

	spec.class_weight = bad;
	OK(pgl_nn_create(&env, &spec, N, &net[0], &st) == PGL_OK &&
		   pgl_nn_train(&env, net[0], &tr, NULL, &res, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "weight of class 1") != NULL,
	   "%s: a negative class weight is refused (%s)", what, st.msg);
	pgl_nn_destroy(&env, net[0]);
}

static void
test_class_weight(void)
{
	test_class_weight_last((pgl_nn_layer_spec) DENSE(2, PGL_NN_SOFTMAX), "softmax");
	test_class_weight_last((pgl_nn_layer_spec) DENSE(1, PGL_NN_SIGMOID), "sigmoid");
}

/*
 * pgl_nn_validate of a network over a text column (one tokens feature of
 * n_tokens tokens, max_len 4, into an embedding of vocab ids): the
 * embedding must hold every id, the reserved ones included.
 */
static pgl_rc
text_model_rc(int32_t vocab, int32_t n_tokens, pgl_status *st)
{
	const pgl_env	   env = pgl_malloc_env;
	pgl_nn_layer_spec  l[3];
	pgl_nn_spec		   spec;
	pgl_nn			  *net;
	pgl_model		  *m = calloc(1, sizeof(pgl_model));
	double			   config[PGL_NN_CONFIG_LEN] = {0};
	pgl_nn_result	   res;
	static float	   X[40 * 4];
	static int32_t	   label[40];
	pgl_nn_data		   tr = {X, 40, label, NULL};
	static const char *words[] = {"bad", "fine", "good", "ok", "so"};
	pgl_rc			   rc;

	memset(st, 0, sizeof(*st));
	memset(l, 0, sizeof(l));
	l[0].type = PGL_NN_EMBEDDING;
	l[0].units = 3;
	l[0].vocab = vocab;
	l[1].type = PGL_NN_GLOBAL_AVG_POOL1D;
	l[2].type = PGL_NN_DENSE;
	l[2].units = 2;
	l[2].activation = PGL_NN_SOFTMAX;
	nn_spec(&spec, l, 3, 1, 1, 1, 4, CE, 2);
	spec.epochs = 1;
	spec.batch_size = 8;
	for (int i = 0; i < 40; i++)
	{
		label[i] = i % 2;
		for (int k = 0; k < 4; k++)
			X[i * 4 + k] = k < 2 ? (float) (PGL_TOKENS_RESERVED + (i + k) % (vocab - 2)) : 0.0f;
	}
	OK(pgl_nn_create(&env, &spec, 8, &net, st) == PGL_OK &&
		   pgl_nn_train(&env, net, &tr, NULL, &res, st) == PGL_OK,
	   "text model: train (vocab %d): %s", (int) vocab, st->msg);
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 1;
	m->features = calloc(1, sizeof(pgl_feature));
	m->features[0].name = strdup("review");
	m->features[0].type_name = strdup("text");
	m->features[0].kind = PGL_FEATURE_TOKENS;
	m->features[0].tokenizer = PGL_TOKENIZER_WORD;
	m->features[0].length = 4;
	m->features[0].n_categories = n_tokens;
	m->features[0].categories = calloc((size_t) n_tokens, sizeof(char *));
	for (int32_t i = 0; i < n_tokens; i++)
		m->features[0].categories[i] = strdup(words[i]);
	m->n_inputs = 1; /* one feature, the tensor (as the glue sets it) */
	m->target_name = strdup("y");
	m->target_type = strdup("integer");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = strdup("0");
	m->classes[1] = strdup("1");
	config[PGL_NN_CFG_INPUT_KIND] = PGL_NN_INPUT_ARRAY;
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(&env, net, config, NULL, NULL, &res, m, st) == PGL_OK,
	   "text model: to model: %s", st->msg);
	memset(st, 0, sizeof(*st));
	rc = pgl_algo_validate(m, st);
	pgl_nn_destroy(&env, net);
	pgl_model_free(&env, m);
	free(res.history);
	return rc;
}

static void
test_text_model(void)
{
	pgl_status st;

	OK(text_model_rc(5, 3, &st) == PGL_OK, "text model: 3 tokens into an embedding of 5 ids: %s",
	   st.msg);
	OK(text_model_rc(5, 4, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "embedding") != NULL,
	   "text model: 4 tokens do not fit an embedding of 5 ids (the 2 reserved): %s", st.msg);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		grad_check(&cases[i]);
	test_shape_errors();
	test_xor();
	test_regression_early_stopping();
	test_model_roundtrip();
	test_quantized();
	test_nomem();
	test_memory();
	test_class_weight();
	test_text_model();
	return unit_done();
}
