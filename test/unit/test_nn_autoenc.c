/*
 * Tests of neural_net autoencoders (nn.c, "task": "autoencoder"): a tiny
 * network learns the identity on rank-2 data in 6 dimensions (the
 * reconstruction error drops), a row off the plane scores far above the
 * rows on it, and the anomaly model (its "anomaly_threshold") validates,
 * round-trips through the model format and scores through the algorithm
 * table's anomaly_score op as through pgl_nn_predict_rows; a damaged
 * threshold is refused.
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum
{
	N = 400,
	D = 6
};

static void
test_autoencoder(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[3] = {{PGL_NN_DENSE, PGL_NN_TANH, 8, 0, 0, 0, 0, 0.01},
							  {PGL_NN_DENSE, PGL_NN_LINEAR, 2, 0, 0, 0, 0, 0.01},
							  {PGL_NN_DENSE, PGL_NN_LINEAR, D, 0, 0, 0, 0, 0.01}};
	static float	  X[(N + 1) * D];
	static double	  Xd[(N + 1) * D], out[N + 1], out2[N + 1];
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_nn_result	  res;
	pgl_model		 *m = calloc(1, sizeof(pgl_model)), *m2 = NULL;
	double			  config[PGL_NN_CONFIG_LEN] = {0}, mu[D], sd[D], on = 0;
	uint8_t			 *blob;
	size_t			  len;
	bool			  same = true;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i <= N; i++)
	{
		double a = nrand(), b = nrand();

		for (int j = 0; j < D; j++)
		{
			/* row N is off the plane: each column its own draw */
			double v = i < N
						   ? (j % 3 - 1) * a + (1 - j % 2) * b + 0.5 * a * (j % 2) + 0.02 * nrand()
						   : 1.5 * (j % 2 ? 1 : -1);

			X[i * D + j] = (float) v;
			Xd[i + j * (N + 1)] = v;
		}
	}
	pgl_nn_spec_defaults(&spec);
	spec.layers = l;
	spec.n_layers = 3;
	spec.in_ndim = 1;
	spec.in_c = D;
	spec.loss = PGL_NN_LOSS_MSE;
	spec.n_out = D;
	spec.learning_rate = 0.01;
	spec.epochs = 40;
	{
		/* the inputs are the targets */
		pgl_nn_data tr = {X, N, NULL, X};

		OK(pgl_nn_create(&env, &spec, 32, &net, &st) == PGL_OK &&
			   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
		   "autoencoder: train %s", st.msg);
	}
	OK(isfinite(res.history[res.epochs_run - 1].train_loss) &&
		   res.history[0].train_loss > 5 * res.history[res.epochs_run - 1].train_loss,
	   "autoencoder: the reconstruction error drops (%.4f -> %.4f)", res.history[0].train_loss,
	   res.history[res.epochs_run - 1].train_loss);

	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_ANOMALY;
	m->n_features = D;
	m->features = calloc(D, sizeof(pgl_feature));
	for (int f = 0; f < D; f++)
	{
		char name[16];

		snprintf(name, sizeof(name), "x%d", f);
		m->features[f].name = strdup(name);
		m->features[f].type_name = strdup("float8");
		m->features[f].kind = PGL_FEATURE_NUMERIC;
		mu[f] = 0;
		sd[f] = 1;
	}
	m->n_inputs = D;
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(&env, net, config, mu, sd, &res, m, &st) == PGL_OK, "autoencoder: to model");
	OK(pgl_nn_predict_rows(&env, net, m, X, N + 1, out, &st) == PGL_OK, "autoencoder: scores");
	for (int i = 0; i < N; i++)
		on += out[i] / N;
	OK(out[N] > 20 * on, "autoencoder: the row off the plane scores %.4f, the rows on it %.4f",
	   out[N], on);
	*(double *) ((pgl_tensor *) pgl_model_tensor(m, "anomaly_threshold"))->data = 3 * on;
	OK(pgl_algo_validate(m, &st) == PGL_OK, "autoencoder: validates %s", st.msg);
	OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK &&
		   pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK,
	   "autoencoder: model format round trip %s", st.msg);
	OK(pgl_algo_by_id(PGL_ALGO_NEURAL_NET)->anomaly_score(&env, m2, Xd, N + 1, N + 1, out2, &st) ==
		   PGL_OK,
	   "autoencoder: anomaly_score op %s", st.msg);
	for (int i = 0; i <= N; i++)
		if (fabs(out[i] - out2[i]) > 1e-6 * (1 + out[i]))
			same = false;
	OK(same, "autoencoder: the op scores as the trained network");
	*(double *) ((pgl_tensor *) pgl_model_tensor(m2, "anomaly_threshold"))->data = NAN;
	OK(pgl_algo_validate(m2, &st) == PGL_ERR_CORRUPT, "a NaN threshold is refused: %s", st.msg);
	*(double *) ((pgl_tensor *) pgl_model_tensor(m2, "anomaly_threshold"))->data = 1;
	m2->task = PGL_TASK_FORECAST;
	OK(pgl_algo_validate(m2, &st) == PGL_ERR_CORRUPT, "a forecast task is refused: %s", st.msg);
	free(blob);
	pgl_model_free(&env, m2);
	pgl_model_free(&env, m);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

int
main(void)
{
	test_autoencoder();
	return unit_done();
}
