/*
 * lstm_step.c - training step time of an LSTM text classifier in pg_learn's
 * C engine (src/algo), outside PostgreSQL: bench/run_lstm_torch builds and
 * runs it beside lstm_torch.py, which times the same network in PyTorch.
 *
 *	lstm_step VOCAB EMBED UNITS BATCH T STEPS [MIN_LEN [NO_BUCKETS]]
 *
 * The network: embedding (VOCAB x EMBED), lstm UNITS (the last state),
 * dense 2 softmax; Adam 0.001.  Token ids uniform in 1 .. VOCAB - 1; every
 * row T long, or (MIN_LEN < T) of a length uniform in MIN_LEN .. T, padded
 * with 0.  One step is pgl_nn_train's work for one batch: the forward and
 * backward passes, the loss, and the Adam update.  Two warm-up batches,
 * then STEPS batches timed as one epoch (with length buckets unless
 * NO_BUCKETS is 1); prints "ms_per_step GFLOP/s".
 */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t r = 12345;

static uint64_t
next(void)
{
	r ^= r << 13, r ^= r >> 7, r ^= r << 17;
	return r;
}

int
main(int argc, char **argv)
{
	int				  V, E, H, B, T, S, minlen, no_buckets;
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_nn_result	  res;
	const pgl_env	  env = pgl_malloc_env;
	float			 *X;
	int32_t			 *y;
	double			  t0, t1;

	if (argc < 7 || argc > 9)
	{
		fprintf(stderr,
				"usage: lstm_step VOCAB EMBED UNITS BATCH T STEPS [MIN_LEN [NO_BUCKETS]]\n");
		return 2;
	}
	V = atoi(argv[1]);
	E = atoi(argv[2]);
	H = atoi(argv[3]);
	B = atoi(argv[4]);
	T = atoi(argv[5]);
	S = atoi(argv[6]);
	minlen = argc > 7 ? atoi(argv[7]) : T;
	no_buckets = argc > 8 ? atoi(argv[8]) : 0;
	if (V < 2 || T < 1 || minlen < 1 || minlen > T || B < 1 || S < 1)
		return 2;
	memset(l, 0, sizeof(l));
	l[0].type = PGL_NN_EMBEDDING;
	l[0].vocab = V;
	l[0].units = E;
	l[1].type = PGL_NN_LSTM;
	l[1].units = H;
	l[2].type = PGL_NN_DENSE;
	l[2].units = 2;
	l[2].activation = PGL_NN_SOFTMAX;
	pgl_nn_spec_defaults(&spec);
	spec.layers = l;
	spec.n_layers = 3;
	spec.in_ndim = 1;
	spec.in_h = spec.in_w = 1;
	spec.in_c = T;
	spec.loss = PGL_NN_LOSS_SOFTMAX_CE;
	spec.n_out = 2;
	spec.batch_size = B;
	spec.epochs = 1;
	spec.no_buckets = no_buckets;
	memset(&st, 0, sizeof(st));
	X = calloc((size_t) B * (S + 2) * T, sizeof(float));
	y = malloc(sizeof(int32_t) * (size_t) B * (S + 2));
	for (size_t i = 0; i < (size_t) B * (S + 2); i++)
	{
		int len = minlen + (int) (next() % (uint64_t) (T - minlen + 1));

		for (int t = 0; t < len; t++)
			X[i * T + t] = (float) (1 + next() % (uint64_t) (V - 1));
		y[i] = (int32_t) (i % 2);
	}
	if (pgl_nn_create(&env, &spec, B, &net, &st) != PGL_OK)
	{
		fprintf(stderr, "lstm_step: %s\n", st.msg);
		return 1;
	}
	{
		pgl_nn_data warm = {.X = X, .n = 2 * B, .label = y};

		if (pgl_nn_train(&env, net, &warm, NULL, &res, &st) != PGL_OK)
			return 1;
		free(res.history);
	}
	{
		pgl_nn_data tr = {.X = X + (size_t) 2 * B * T, .n = (int64_t) S * B, .label = y + 2 * B};
		double		f0 = res.flops;

		t0 = now();
		if (pgl_nn_train(&env, net, &tr, NULL, &res, &st) != PGL_OK)
			return 1;
		t1 = now();
		printf("%.2f %.1f\n", (t1 - t0) * 1000 / S, (res.flops - f0) / (t1 - t0) / 1e9);
		free(res.history);
	}
	pgl_nn_destroy(&env, net);
	free(X);
	free(y);
	return 0;
}
