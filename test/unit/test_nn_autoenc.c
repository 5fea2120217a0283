/*
 * Tests of neural_net autoencoders (nn.c, "task": "autoencoder"): a tiny
 * network learns the identity on rank-2 data in 6 dimensions (the
 * reconstruction error drops), a row off the plane scores far above the
 * rows on it, and the anomaly model (its "anomaly_threshold") validates,
 * round-trips through the model format and scores through the algorithm
 * table's anomaly_score op as through pgl_nn_predict_rows; a damaged
 * threshold is refused.  Variational ones (nn_vae.c): the gradient of the
 * sample layer and its KL term against central differences (the noise
 * fixed by reseeding), the KL term finite and positive, and a VAE trained
 * on the same data generates rows with about the data's means and
 * standard deviations.
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn.h"
#include "nn_spec.h"
#include "nn_internal.h"
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
	nn_spec(&spec, l, 3, 1, 0, 0, D, PGL_NN_LOSS_MSE, D);
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
	OK(pgl_nn_latent_size(m2) == 0 && pgl_nn_generate(&env, m2, 3, 1, out2, &st) == PGL_ERR_INVALID,
	   "a plain autoencoder does not generate: %s", st.msg);
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

#define LAYER(t, u, a)                                                                             \
	{                                                                                              \
		t, a, u, 0, 0, 0, 0, 0.01                                                                  \
	}

static double
vae_loss_at(pgl_nn *net, const float *X, int n)
{
	pgl_nn_reseed(net, 777);
	return pgl_nn_loss_grad(net, X, n, NULL, X, NULL);
}

/* the gradient of a network with a sample layer against central differences */
static void
test_vae_gradient(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[5] = {LAYER(PGL_NN_DENSE, 6, PGL_NN_TANH),
							  LAYER(PGL_NN_DENSE, 4, PGL_NN_LINEAR), LAYER(PGL_NN_SAMPLE, 0, 0),
							  LAYER(PGL_NN_DENSE, 5, PGL_NN_TANH),
							  LAYER(PGL_NN_DENSE, 3, PGL_NN_LINEAR)};
	enum
	{
		n = 4
	};
	float	   X[n * 3], *p, *ga;
	pgl_nn	  *net;
	pgl_status st;
	int64_t	   P;
	double	   num2 = 0, diff2 = 0, ana2 = 0, kl;

	memset(&st, 0, sizeof(st));
	nn_spec(&spec, l, 5, 1, 0, 0, 3, PGL_NN_LOSS_MSE, 3);
	spec.vae_beta = 0.7;
	spec.seed = 3;
	if (pgl_nn_create(&env, &spec, n, &net, &st) != PGL_OK)
	{
		OK(0, "vae gradient: create failed: %s", st.msg);
		return;
	}
	for (int i = 0; i < n * 3; i++)
		X[i] = (float) nrand();
	P = pgl_nn_param_count(net);
	p = pgl_nn_params(net);
	for (int64_t j = 0; j < P; j++)
		p[j] += (float) (0.2 * nrand());
	vae_loss_at(net, X, n);
	kl = nn_vae_kl(net, n);
	OK(isfinite(kl) && kl > 0, "vae: the KL term is finite and positive (%.4f)", kl);
	ga = malloc(sizeof(float) * P);
	memcpy(ga, pgl_nn_grads(net), sizeof(float) * P);
	for (int64_t j = 0; j < P; j++)
	{
		float  save = p[j];
		double h = 2e-3, lp, lm, num;

		p[j] = save + (float) h;
		lp = vae_loss_at(net, X, n);
		p[j] = save - (float) h;
		lm = vae_loss_at(net, X, n);
		p[j] = save;
		num = (lp - lm) / (2 * h);
		num2 += num * num;
		ana2 += (double) ga[j] * ga[j];
		diff2 += (num - ga[j]) * (num - ga[j]);
	}
	{
		double rel = sqrt(diff2) / fmax(sqrt(num2) + sqrt(ana2), 1e-12);

		OK(rel < 2e-3 && ana2 > 0, "vae gradient check: %lld parameters, relative error %.2e",
		   (long long) P, rel);
	}
	free(ga);
	pgl_nn_destroy(&env, net);
}

/* a VAE on rank-2 data: trains, validates, generates rows like the data */
static void
test_vae_generate(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[5] = {LAYER(PGL_NN_DENSE, 16, PGL_NN_TANH),
							  LAYER(PGL_NN_DENSE, 4, PGL_NN_LINEAR), LAYER(PGL_NN_SAMPLE, 0, 0),
							  LAYER(PGL_NN_DENSE, 16, PGL_NN_TANH),
							  LAYER(PGL_NN_DENSE, D, PGL_NN_LINEAR)};
	enum
	{
		G = 3000
	};
	static float  X[N * D];
	static double gen[G * D];
	pgl_nn		 *net;
	pgl_status	  st;
	pgl_nn_result res;
	pgl_model	 *m = calloc(1, sizeof(pgl_model));
	double		  config[PGL_NN_CONFIG_LEN] = {0}, mu[D], sd[D];
	double		  worst_mean = 0, lo_ratio = 1e9, hi_ratio = 0;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < N; i++)
	{
		double a = nrand(), b = nrand();

		for (int j = 0; j < D; j++)
			X[i * D + j] =
				(float) ((j % 3 - 1) * a + (1 - j % 2) * b + 0.5 * a * (j % 2) + 0.05 * nrand());
	}
	/* standardize as the glue does */
	for (int j = 0; j < D; j++)
	{
		double s = 0, ss = 0;

		for (int i = 0; i < N; i++)
			s += X[i * D + j];
		mu[j] = s / N;
		for (int i = 0; i < N; i++)
			ss += (X[i * D + j] - mu[j]) * (X[i * D + j] - mu[j]);
		sd[j] = sqrt(ss / N);
		for (int i = 0; i < N; i++)
			X[i * D + j] = (float) ((X[i * D + j] - mu[j]) / sd[j]);
	}
	nn_spec(&spec, l, 5, 1, 0, 0, D, PGL_NN_LOSS_MSE, D);
	spec.learning_rate = 0.01;
	spec.epochs = 60;
	{
		pgl_nn_data tr = {X, N, NULL, X};

		OK(pgl_nn_create(&env, &spec, 32, &net, &st) == PGL_OK &&
			   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
		   "vae: train %s", st.msg);
	}
	OK(isfinite(res.history[res.epochs_run - 1].train_loss) &&
		   res.history[0].train_loss > res.history[res.epochs_run - 1].train_loss,
	   "vae: the loss drops (%.4f -> %.4f)", res.history[0].train_loss,
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
	}
	m->n_inputs = D;
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(&env, net, config, mu, sd, &res, m, &st) == PGL_OK &&
		   pgl_algo_validate(m, &st) == PGL_OK,
	   "vae: the model validates %s", st.msg);
	OK(pgl_nn_latent_size(m) == 2, "vae: latent size %d", pgl_nn_latent_size(m));
	OK(pgl_nn_generate(&env, m, G, 5, gen, &st) == PGL_OK, "vae: generate %s", st.msg);
	for (int j = 0; j < D; j++)
	{
		double s = 0, ss = 0, gm, gs;

		for (int i = 0; i < G; i++)
			s += gen[i * D + j];
		gm = s / G;
		for (int i = 0; i < G; i++)
			ss += (gen[i * D + j] - gm) * (gen[i * D + j] - gm);
		gs = sqrt(ss / G);
		worst_mean = fmax(worst_mean, fabs(gm - mu[j]) / sd[j]);
		lo_ratio = fmin(lo_ratio, gs / sd[j]);
		hi_ratio = fmax(hi_ratio, gs / sd[j]);
	}
	OK(worst_mean < 0.2 && lo_ratio > 0.6 && hi_ratio < 1.3,
	   "vae: generated means within %.3f sd, sd ratios %.3f .. %.3f", worst_mean, lo_ratio,
	   hi_ratio);
	/* a sample layer belongs to an autoencoder; a plain model does not generate */
	m->task = PGL_TASK_REGRESSION;
	OK(pgl_algo_validate(m, &st) == PGL_ERR_CORRUPT, "vae: a regression refused: %s", st.msg);
	m->task = PGL_TASK_ANOMALY;
	pgl_model_free(&env, m);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

int
main(void)
{
	test_autoencoder();
	test_vae_gradient();
	test_vae_generate();
	return unit_done();
}
