/*
 * seq_step.c - training step time of a transformer encoder in pg_learn's C
 * engine (src/algo), outside PostgreSQL: bench/run_seq_torch builds and runs
 * it beside seq_torch.py, which times the same network in PyTorch.
 *
 *	seq_step T F HEADS FF LAYERS BATCH STEPS
 *
 * The network: LAYERS transformer_encoder blocks (F features, HEADS heads,
 * FF feed-forward units), global_avg_pool1d, dense 2 softmax; Adam 0.001.
 * The inputs are uniform in [-1, 1), every row full length (T steps).  One
 * step is pgl_nn_train's work for one batch: the forward and backward
 * passes, the loss, and the Adam update.  Two warm-up steps, then STEPS
 * steps timed as one epoch; prints "ms_per_step GFLOP/s".
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

int
main(int argc, char **argv)
{
	int				  T, F, H, FF, NL, B, S;
	pgl_nn_layer_spec l[16];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_nn_result	  res;
	const pgl_env	  env = pgl_malloc_env;
	float			 *X;
	int32_t			 *y;
	uint64_t		  r = 12345;
	double			  t0, t1;

	if (argc != 8)
	{
		fprintf(stderr, "usage: seq_step T F HEADS FF LAYERS BATCH STEPS\n");
		return 2;
	}
	T = atoi(argv[1]);
	F = atoi(argv[2]);
	H = atoi(argv[3]);
	FF = atoi(argv[4]);
	NL = atoi(argv[5]);
	B = atoi(argv[6]);
	S = atoi(argv[7]);
	if (NL < 1 || NL > 12)
		return 2;
	memset(l, 0, sizeof(l));
	for (int i = 0; i < NL; i++)
	{
		l[i].type = PGL_NN_TRANSFORMER_ENCODER;
		l[i].heads = H;
		l[i].ff_units = FF;
	}
	l[NL].type = PGL_NN_GLOBAL_AVG_POOL1D;
	l[NL + 1].type = PGL_NN_DENSE;
	l[NL + 1].units = 2;
	l[NL + 1].activation = PGL_NN_SOFTMAX;
	pgl_nn_spec_defaults(&spec);
	spec.layers = l;
	spec.n_layers = NL + 2;
	spec.in_ndim = 2;
	spec.in_h = T;
	spec.in_w = 1;
	spec.in_c = F;
	spec.loss = PGL_NN_LOSS_SOFTMAX_CE;
	spec.n_out = 2;
	spec.batch_size = B;
	spec.epochs = 1;
	memset(&st, 0, sizeof(st));
	X = malloc(sizeof(float) * (size_t) B * (S + 2) * T * F);
	y = malloc(sizeof(int32_t) * (size_t) B * (S + 2));
	for (size_t i = 0; i < (size_t) B * (S + 2) * T * F; i++)
	{
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		X[i] = (float) ((r >> 11) * (1.0 / 9007199254740992.0) * 2 - 1);
	}
	for (int i = 0; i < B * (S + 2); i++)
		y[i] = i % 2;
	if (pgl_nn_create(&env, &spec, B, &net, &st) != PGL_OK)
	{
		fprintf(stderr, "seq_step: %s\n", st.msg);
		return 1;
	}
	{
		pgl_nn_data warm = {.X = X, .n = 2 * B, .label = y};

		if (pgl_nn_train(&env, net, &warm, NULL, &res, &st) != PGL_OK)
			return 1;
		free(res.history);
	}
	{
		pgl_nn_data tr = {.X = X + (size_t) 2 * B * T * F, .n = (int64_t) S * B, .label = y};
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
