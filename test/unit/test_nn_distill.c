/*
 * Tests of nn_distill.c and nn_tensor.c: the distillation loss against a
 * direct computation of its formula, its gradient by central differences
 * (softmax and sigmoid outputs, with class weights, over a network with
 * dropout and batchnorm), the weight 0 giving the plain loss bit for bit,
 * softening (p^(1/T) renormalised equals softmax(z / T)), a student that
 * learns from soft targets alone (labels that say nothing), the errors of
 * pgl_nn_train, and the layer outputs of a forward pass.
 */
#include "nn.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define DENSE(u, a)                                                                                \
	{                                                                                              \
		PGL_NN_DENSE, a, u, 0, 0, 0, 0, 0.1                                                        \
	}
#define DROP(r)                                                                                    \
	{                                                                                              \
		PGL_NN_DROPOUT, 0, 0, 0, 0, 0, r, 0                                                        \
	}
#define BN                                                                                         \
	{                                                                                              \
		PGL_NN_BATCHNORM, 0, 0, 0, 0, 0, 0, 0                                                      \
	}

enum
{
	N = 6,
	D = 5
};

static void
spec_for(pgl_nn_spec *spec, pgl_nn_layer_spec *l, int nl, int n_out, int loss)
{
	pgl_nn_spec_defaults(spec);
	spec->layers = l;
	spec->n_layers = nl;
	spec->in_ndim = 1;
	spec->in_c = D;
	spec->n_out = n_out;
	spec->loss = loss;
	spec->seed = 3;
}

/* a random distribution over k classes (k == 1: a probability) per row */
static void
random_soft(float *s, int n, int k)
{
	for (int i = 0; i < n; i++)
	{
		double sum = 0;

		for (int j = 0; j < k; j++)
			sum += s[i * k + j] = (float) (0.05 + drand48());
		for (int j = 0; j < k; j++)
			s[i * k + j] = k == 1 ? (float) drand48() : (float) (s[i * k + j] / sum);
	}
}

static double
loss_at(pgl_nn *net, const float *X, const int32_t *label, const float *soft)
{
	pgl_status st;

	memset(&st, 0, sizeof(st));
	pgl_nn_reseed(net, 99);
	if (pgl_nn_set_soft_targets(net, soft, &st) != PGL_OK)
		return NAN;
	return pgl_nn_loss_grad(net, X, N, label, NULL, NULL);
}

/* central differences of the mixed loss against its analytic gradient */
static void
grad_check(const char *what, pgl_nn_layer_spec *l, int nl, int n_out, int loss, double T, double w,
		   const double *cw)
{
	const pgl_env env = pgl_malloc_env;
	pgl_nn_spec	  spec;
	pgl_nn		 *net;
	pgl_status	  st;
	float		  X[N * D], soft[N * 3];
	int32_t		  label[N];
	float		 *p, *ga;
	int64_t		  P;
	double		  num2 = 0, ana2 = 0, diff2 = 0;

	memset(&st, 0, sizeof(st));
	spec_for(&spec, l, nl, n_out, loss);
	spec.temperature = T;
	spec.distill_weight = w;
	spec.class_weight = cw;
	if (pgl_nn_create(&env, &spec, N, &net, &st) != PGL_OK)
	{
		OK(0, "%s: create failed: %s", what, st.msg);
		return;
	}
	for (int i = 0; i < N * D; i++)
		X[i] = (float) nrand();
	for (int i = 0; i < N; i++)
		label[i] = i % (n_out == 1 ? 2 : n_out);
	random_soft(soft, N, n_out);
	P = pgl_nn_param_count(net);
	p = pgl_nn_params(net);
	for (int64_t j = 0; j < P; j++)
		p[j] += (float) (0.3 * nrand());
	loss_at(net, X, label, soft);
	ga = malloc(sizeof(float) * P);
	memcpy(ga, pgl_nn_grads(net), sizeof(float) * P);
	for (int64_t j = 0; j < P; j++)
	{
		float  save = p[j];
		double h = 2e-3, lp, lm, num;

		p[j] = save + (float) h;
		lp = loss_at(net, X, label, soft);
		p[j] = save - (float) h;
		lm = loss_at(net, X, label, soft);
		p[j] = save;
		num = (lp - lm) / (2 * h);
		num2 += num * num;
		ana2 += (double) ga[j] * ga[j];
		diff2 += (num - ga[j]) * (num - ga[j]);
	}
	{
		double rel = sqrt(diff2) / fmax(sqrt(num2) + sqrt(ana2), 1e-12);

		OK(rel < 1e-3 && ana2 > 0,
		   "gradient check %s (T %g, w %g): %lld parameters, relative error %.2e", what, T, w,
		   (long long) P, rel);
	}
	free(ga);
	pgl_nn_destroy(&env, net);
}

static void
test_gradients(void)
{
	pgl_nn_layer_spec mlp[2] = {DENSE(4, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_layer_spec deep[4] = {DENSE(6, PGL_NN_RELU), BN, DROP(0.3), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_layer_spec bin[2] = {DENSE(4, PGL_NN_TANH), DENSE(1, PGL_NN_SIGMOID)};
	pgl_nn_layer_spec act[3] = {DENSE(4, PGL_NN_TANH),
								DENSE(3, PGL_NN_LINEAR),
								{PGL_NN_ACTIVATION, PGL_NN_SOFTMAX, 0, 0, 0, 0, 0, 0}};
	double			  cw[3] = {1.0, 3.0, 0.5};

	grad_check("softmax", mlp, 2, 3, PGL_NN_LOSS_SOFTMAX_CE, 2.0, 0.5, NULL);
	grad_check("softmax", mlp, 2, 3, PGL_NN_LOSS_SOFTMAX_CE, 0.5, 0.8, NULL);
	grad_check("softmax", mlp, 2, 3, PGL_NN_LOSS_SOFTMAX_CE, 7.0, 1.0, NULL);
	grad_check("softmax, class weights", mlp, 2, 3, PGL_NN_LOSS_SOFTMAX_CE, 3.0, 0.3, cw);
	grad_check("batchnorm and dropout", deep, 4, 3, PGL_NN_LOSS_SOFTMAX_CE, 2.0, 0.5, NULL);
	grad_check("softmax as an activation layer", act, 3, 3, PGL_NN_LOSS_SOFTMAX_CE, 4.0, 0.6, NULL);
	grad_check("sigmoid", bin, 2, 1, PGL_NN_LOSS_SIGMOID_CE, 2.0, 0.5, NULL);
	grad_check("sigmoid", bin, 2, 1, PGL_NN_LOSS_SIGMOID_CE, 0.7, 1.0, cw);
}

/* the loss value against the formula in double, and weight 0 against the plain loss */
static void
test_loss_value(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_layer_spec l[2] = {DENSE(4, PGL_NN_TANH), DENSE(3, PGL_NN_LINEAR)};
	pgl_nn_layer_spec ls[2] = {DENSE(4, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_spec		  spec;
	pgl_nn			 *lin, *net;
	pgl_status		  st;
	float			  X[N * D], soft[N * 3];
	int32_t			  label[N];
	double			  T = 3.0, w = 0.4, want = 0, plain, got;
	float			 *g0;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < N * D; i++)
		X[i] = (float) nrand();
	for (int i = 0; i < N; i++)
		label[i] = i % 3;
	random_soft(soft, N, 3);
	/* the same weights with a linear last layer give the logits */
	spec_for(&spec, l, 2, 3, PGL_NN_LOSS_MSE);
	pgl_nn_create(&env, &spec, N, &lin, &st);
	spec_for(&spec, ls, 2, 3, PGL_NN_LOSS_SOFTMAX_CE);
	spec.temperature = T;
	spec.distill_weight = w;
	pgl_nn_create(&env, &spec, N, &net, &st);
	memcpy(pgl_nn_params(lin), pgl_nn_params(net), sizeof(float) * pgl_nn_param_count(net));
	{
		const float *z = pgl_nn_forward(lin, X, N, false);

		for (int i = 0; i < N; i++)
		{
			double m = fmax(fmax(z[3 * i], z[3 * i + 1]), z[3 * i + 2]), s1 = 0, sT = 0;

			for (int j = 0; j < 3; j++)
			{
				s1 += exp(z[3 * i + j] - m);
				sT += exp((z[3 * i + j] - m) / T);
			}
			want += (1 - w) * -(z[3 * i + label[i]] - m - log(s1));
			for (int j = 0; j < 3; j++)
				want += w * T * T * -soft[3 * i + j] * ((z[3 * i + j] - m) / T - log(sT));
		}
		want /= N;
	}
	got = loss_at(net, X, label, soft);
	NEAR(got, want, 1e-5,
		 "the mixed loss is (1 - w) CE(y, softmax(z)) + w T^2 CE(p_T, "
		 "softmax(z / T)) (%.6f, formula %.6f)",
		 got, want);

	pgl_nn_set_soft_targets(net, NULL, &st);
	plain = pgl_nn_loss_grad(net, X, N, label, NULL, NULL);
	g0 = malloc(sizeof(float) * pgl_nn_param_count(net));
	memcpy(g0, pgl_nn_grads(net), sizeof(float) * pgl_nn_param_count(net));
	pgl_nn_destroy(&env, net);
	spec.distill_weight = 0;
	pgl_nn_create(&env, &spec, N, &net, &st);
	got = loss_at(net, X, label, soft);
	OK(got == plain && memcmp(g0, pgl_nn_grads(net), sizeof(float) * pgl_nn_param_count(net)) == 0,
	   "weight 0: the plain loss and gradient, bit for bit (%.6f)", got);
	pgl_nn_set_soft_targets(net, soft, &st);
	OK(pgl_nn_eval_loss(net, X, N, label, NULL, NULL) ==
		   (pgl_nn_set_soft_targets(net, NULL, &st),
			pgl_nn_eval_loss(net, X, N, label, NULL, NULL)),
	   "pgl_nn_eval_loss ignores the soft targets");
	free(g0);
	pgl_nn_destroy(&env, net);
	pgl_nn_destroy(&env, lin);
}

static void
test_soften(void)
{
	double	   z[4] = {2.0, -1.0, 0.5, 7.0}, p[4], q[4], want[4], s = 0, sT = 0;
	double	   zero[3] = {0.0, 0.25, 0.75}, bad[2] = {0.5, NAN}, none[2] = {0, 0};
	double	   T = 3.0, err = 0;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	for (int j = 0; j < 4; j++)
	{
		s += exp(z[j]);
		sT += exp(z[j] / T);
	}
	for (int j = 0; j < 4; j++)
	{
		p[j] = exp(z[j]) / s;
		want[j] = exp(z[j] / T) / sT;
	}
	OK(pgl_nn_soften(p, 4, T, q, &st) == PGL_OK, "soften a distribution");
	for (int j = 0; j < 4; j++)
		err = fmax(err, fabs(q[j] - want[j]));
	OK(err < 1e-12, "p^(1/T) renormalised is softmax(z / T) (largest error %.1e)", err);
	OK(pgl_nn_soften(p, 4, 1.0, q, &st) == PGL_OK && fabs(q[3] - p[3]) < 1e-15,
	   "temperature 1 leaves the distribution");
	OK(pgl_nn_soften(zero, 3, 2.0, q, &st) == PGL_OK && q[0] == 0 &&
		   fabs(q[1] - 1 / (1 + sqrt(3))) < 1e-12,
	   "a probability 0 stays 0; the others are softened (%.6f)", q[1]);
	OK(pgl_nn_soften(bad, 2, 2.0, q, &st) == PGL_ERR_INVALID && strstr(st.msg, "class 1") != NULL,
	   "a NaN probability is refused (%s)", st.msg);
	OK(pgl_nn_soften(none, 2, 2.0, q, &st) == PGL_ERR_INVALID, "all zero is refused (%s)", st.msg);
	OK(pgl_nn_soften(p, 4, 0.0, q, &st) == PGL_ERR_INVALID && strstr(st.msg, "temperature") != NULL,
	   "temperature 0 is refused (%s)", st.msg);
}

/*
 * Labels that say nothing (random), soft targets from the true rule: with
 * weight 1 the student learns the rule, with weight 0 it cannot.
 */
static void
test_learns_from_teacher(void)
{
	enum
	{
		M = 600
	};
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[2] = {DENSE(16, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_spec		  spec;
	static float	  X[M * D], soft[M * 3];
	static int32_t	  label[M], truth[M];
	double			  acc[2];
	pgl_status		  st;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < M; i++)
	{
		double z[3], s = 0, p[3];

		for (int j = 0; j < D; j++)
			X[i * D + j] = (float) nrand();
		z[0] = 2 * X[i * D];
		z[1] = 2 * X[i * D + 1];
		z[2] = -z[0] - z[1];
		truth[i] = z[0] >= z[1] && z[0] >= z[2] ? 0 : z[1] >= z[2] ? 1 : 2;
		label[i] = (int32_t) (drand48() * 3) % 3;
		for (int j = 0; j < 3; j++)
			s += exp(z[j]);
		for (int j = 0; j < 3; j++)
			p[j] = exp(z[j]) / s;
		pgl_nn_soften(p, 3, 2.0, p, &st);
		for (int j = 0; j < 3; j++)
			soft[i * 3 + j] = (float) p[j];
	}
	for (int w = 0; w < 2; w++)
	{
		pgl_nn		 *net;
		pgl_nn_result res;
		pgl_nn_data	  tr = {X, M, label, NULL, NULL, soft};
		const float	 *out;
		int			  right = 0;

		spec_for(&spec, l, 2, 3, PGL_NN_LOSS_SOFTMAX_CE);
		spec.epochs = 30;
		spec.learning_rate = 0.01;
		spec.distill_weight = w;
		OK(pgl_nn_create(&env, &spec, M, &net, &st) == PGL_OK &&
			   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
		   "trains with soft targets, weight %d (%s)", w, st.msg);
		free(res.history);
		out = pgl_nn_forward(net, X, M, false);
		for (int i = 0; i < M; i++)
		{
			int best = 0;

			for (int j = 1; j < 3; j++)
				if (out[i * 3 + j] > out[i * 3 + best])
					best = j;
			right += best == truth[i];
		}
		acc[w] = (double) right / M;
		pgl_nn_destroy(&env, net);
	}
	OK(acc[1] > 0.9 && acc[0] < 0.6,
	   "random labels: the student learns the teacher's rule from its soft targets alone "
	   "(accuracy %.3f with weight 1, %.3f with weight 0)",
	   acc[1], acc[0]);
}

static void
expect_train_error(const char *what, pgl_nn_spec *spec, const float *soft, const char *needle)
{
	const pgl_env env = pgl_malloc_env;
	float		  X[N * D] = {0};
	int32_t		  label[N] = {0, 1, 2, 0, 1, 2};
	float		  y[N] = {0};
	pgl_nn_data	  tr = {X, N, label, y, NULL, soft};
	pgl_nn		 *net;
	pgl_nn_result res;
	pgl_status	  st;
	pgl_rc		  rc;

	memset(&st, 0, sizeof(st));
	rc = pgl_nn_create(&env, spec, N, &net, &st);
	if (rc == PGL_OK)
		rc = pgl_nn_train(&env, net, &tr, NULL, &res, &st);
	OK(rc == PGL_ERR_INVALID && strstr(st.msg, needle) != NULL, "%s is refused (%s)", what, st.msg);
	pgl_nn_destroy(&env, net);
}

static void
test_errors(void)
{
	pgl_nn_layer_spec l[2] = {DENSE(4, PGL_NN_TANH), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_layer_spec r[2] = {DENSE(4, PGL_NN_TANH), DENSE(1, PGL_NN_LINEAR)};
	pgl_nn_spec		  spec;
	float			  soft[N * 3];

	random_soft(soft, N, 3);
	spec_for(&spec, l, 2, 3, PGL_NN_LOSS_SOFTMAX_CE);
	spec.temperature = 0;
	expect_train_error("temperature 0", &spec, soft, "temperature");
	spec.temperature = -1;
	expect_train_error("a negative temperature", &spec, soft, "temperature");
	spec.temperature = 2;
	spec.distill_weight = 1.5;
	expect_train_error("weight 1.5", &spec, soft, "[0, 1]");
	spec.distill_weight = NAN;
	expect_train_error("weight NaN", &spec, soft, "[0, 1]");
	spec.distill_weight = 0.5;
	soft[4] = 1.5f;
	expect_train_error("a soft target above 1", &spec, soft, "row 1, class 1");
	random_soft(soft, N, 3);
	soft[3] = 0.9f;
	expect_train_error("soft targets that do not add up to 1", &spec, soft, "add up");
	spec_for(&spec, r, 2, 1, PGL_NN_LOSS_MSE);
	expect_train_error("a regression", &spec, soft, "classifier");
}

/* layer outputs after a forward: the last is the network's output */
static void
test_layer_outputs(void)
{
	const pgl_env	  env = pgl_malloc_env;
	pgl_nn_layer_spec l[3] = {DENSE(4, PGL_NN_RELU), DROP(0.5), DENSE(3, PGL_NN_SOFTMAX)};
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	float			  X[N * D];
	const float		 *out, *o, *h;
	int64_t			  size, size1;
	bool			  same = true, relu = true;

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < N * D; i++)
		X[i] = (float) nrand();
	spec_for(&spec, l, 3, 3, PGL_NN_LOSS_SOFTMAX_CE);
	pgl_nn_create(&env, &spec, N, &net, &st);
	out = pgl_nn_forward(net, X, N, false);
	OK(pgl_nn_layer_count(net) == 3 && pgl_nn_layer_type_of(net, 1) == PGL_NN_DROPOUT &&
		   pgl_nn_layer_type_of(net, 3) == 0,
	   "layer count and types");
	for (int r = 0; r < N; r++)
	{
		o = pgl_nn_layer_output(net, 2, r, &size);
		h = pgl_nn_layer_output(net, 0, r, &size1);
		same &= size == 3 && memcmp(o, out + r * 3, sizeof(float) * 3) == 0;
		for (int j = 0; j < size1; j++)
			relu &= h[j] >= 0;
	}
	OK(same, "the last layer's output of each row is the forward's");
	OK(size1 == 4 && relu, "the first layer's output: 4 relu values");
	OK(pgl_nn_layer_output(net, 3, 0, &size) == NULL && size == 0 &&
		   pgl_nn_layer_output(net, 0, N, &size) == NULL,
	   "no layer 4, no row past the batch");
	pgl_nn_destroy(&env, net);
}

int
main(void)
{
	srand48(11);
	test_gradients();
	test_loss_value();
	test_soften();
	test_learns_from_teacher();
	test_errors();
	test_layer_outputs();
	return unit_done();
}
