/*
 * test_nn_prune.c - gradual magnitude pruning and sparse layers
 * (src/algo/nn_prune.c): the schedule, the SpMM kernel against the dense
 * product, masks that keep pruned weights at 0 through Adam, the sparsity
 * reached, the CSR tensors (round trip through a blob, predictions equal
 * to the dense network's, int8 values), and hostile CSR tensors refused.
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn_internal.h"
#include "nn_spec.h"
#include "testenv.h"
#include "unit.h"

#define CE PGL_NN_LOSS_SOFTMAX_CE

/* ---------- the schedule ---------- */

static void
test_schedule(void)
{
	NEAR(pgl_nn_prune_schedule(0.8, 4, 0), 0, 1e-12, "schedule: 0 at the start");
	NEAR(pgl_nn_prune_schedule(0.8, 4, 2), 0.8 * (1 - 0.125), 1e-12, "schedule: half way 7/8 s_f");
	NEAR(pgl_nn_prune_schedule(0.8, 4, 1), 0.8 * (1 - 27.0 / 64), 1e-12, "schedule: a quarter");
	NEAR(pgl_nn_prune_schedule(0.8, 4, 4), 0.8, 1e-12, "schedule: s_f at the end");
	NEAR(pgl_nn_prune_schedule(0.8, 4, 9), 0.8, 1e-12, "schedule: s_f after the end");
	NEAR(pgl_nn_prune_schedule(0.5, 1, 0.5), 0.5 * (1 - 0.125), 1e-12, "schedule: one epoch");
}

/* ---------- the kernel ---------- */

/* a random K x rows W with about density nonzeros, and its CSR (of W^T) */
static int64_t
random_csr(int32_t K, int32_t rows, double density, float *W, int32_t *ptr, uint16_t *idx,
		   float *val)
{
	int64_t nnz = 0;

	for (int64_t i = 0; i < (int64_t) K * rows; i++)
		W[i] = urand() < density ? (float) nrand() : 0.0f;
	for (int32_t u = 0; u < rows; u++)
	{
		ptr[u] = (int32_t) nnz;
		for (int32_t k = 0; k < K; k++)
			if (W[(int64_t) k * rows + u] != 0.0f)
			{
				idx[nnz] = (uint16_t) k;
				val[nnz++] = W[(int64_t) k * rows + u];
			}
	}
	ptr[rows] = (int32_t) nnz;
	return nnz;
}

static void
test_spmm(void)
{
	static const int64_t ns[] = {1, 2, 3, 4, 7, 8, 9, 31, 32, 33, 64, 65, 100, 130};
	const int32_t		 K = 77, rows = 29;
	float				*W = malloc(sizeof(float) * K * rows);
	int32_t				 ptr[30];
	uint16_t			*idx = malloc(sizeof(uint16_t) * K * rows);
	float				*val = malloc(sizeof(float) * K * rows);
	float				*X = malloc(sizeof(float) * 130 * K);
	float				*Y = malloc(sizeof(float) * 130 * rows);
	float				*work = malloc(sizeof(float) * (K + rows) * PGL_NN_SPMM_BLOCK);

	for (int d = 0; d < 3; d++)
	{
		double density = d == 0 ? 0.0 : d == 1 ? 0.15 : 1.0;

		random_csr(K, rows, density, W, ptr, idx, val);
		for (size_t c = 0; c < sizeof(ns) / sizeof(ns[0]); c++)
		{
			int64_t n = ns[c];
			double	worst = 0;

			for (int64_t i = 0; i < n * K; i++)
				X[i] = i % 5 == 0 ? 0.0f : (float) nrand();
			for (int64_t i = 0; i < n * rows; i++)
				Y[i] = NAN;
			pgl_nn_spmm(rows, ptr, idx, val, X, n, K, Y, work);
			for (int64_t b = 0; b < n; b++)
				for (int32_t u = 0; u < rows; u++)
				{
					double s = 0;

					for (int32_t k = 0; k < K; k++)
						s += (double) X[b * K + k] * W[(int64_t) k * rows + u];
					if (!(fabs(Y[b * rows + u] - s) <= worst))
						worst = isnan(Y[b * rows + u]) ? INFINITY : fabs(Y[b * rows + u] - s);
				}
			OK(worst < 1e-4, "spmm equals the dense product: density %.2f, %lld rows (error %g)",
			   density, (long long) n, worst);
		}
	}
	free(W);
	free(idx);
	free(val);
	free(X);
	free(Y);
	free(work);
}

/* ---------- training ---------- */

static float	 X[240 * 4];
static double	 Xd[240 * 4];
static int32_t	 label[240];
static const int N = 240;

static void
make_data(void)
{
	for (int i = 0; i < N; i++)
	{
		label[i] = i % 3;
		for (int j = 0; j < 4; j++)
		{
			X[i * 4 + j] = (float) ((j == label[i] ? 1.5 : 0.0) + 0.5 * nrand());
			Xd[i + j * N] = X[i * 4 + j];
		}
	}
}

static void
mlp_spec(pgl_nn_spec *spec, pgl_nn_layer_spec *l)
{
	memset(l, 0, sizeof(pgl_nn_layer_spec) * 3);
	l[0].type = l[1].type = l[2].type = PGL_NN_DENSE;
	l[0].units = 48;
	l[1].units = 32;
	l[2].units = 3;
	l[0].activation = l[1].activation = PGL_NN_RELU;
	l[2].activation = PGL_NN_SOFTMAX;
	pgl_nn_spec_defaults(spec);
	spec->layers = l;
	spec->n_layers = 3;
	spec->in_ndim = 1;
	spec->in_h = spec->in_w = 1;
	spec->in_c = 4;
	spec->loss = CE;
	spec->n_out = 3;
	spec->batch_size = 16;
	spec->learning_rate = 0.01;
}

static void
count_layer_zeros(const pgl_nn *net, int i, int64_t *zeros, int64_t *weights)
{
	const nn_layer *l = &net->layer[i];
	const float	   *W = net->params + l->p_off;

	*zeros = 0;
	*weights = l->n_w;
	for (int64_t j = 0; j < l->n_w; j++)
		*zeros += W[j] == 0.0f;
}

/* pruned weights stay exactly 0 through Adam steps whose moments were not 0 */
static void
test_masks(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	nn_pruner		  pr;
	float			 *m1, *m2;
	uint8_t			 *was_zero;
	bool			  kept = true, moved = false;
	int64_t			  zeros, weights;

	memset(&st, 0, sizeof(st));
	mlp_spec(&spec, l);
	spec.prune_sparsity = 0.6;
	spec.prune_epochs = 1;
	spec.epochs = 1;
	OK(pgl_nn_create(&env, &spec, 16, &net, &st) == PGL_OK, "masks: create");
	m1 = calloc(net->P, sizeof(float));
	m2 = calloc(net->P, sizeof(float));
	was_zero = calloc(net->P, 1);
	OK(nn_prune_begin(&env, net, 1, m1, m2, &pr, &st) == PGL_OK, "masks: begin %s", st.msg);
	for (int step = 0; step < 20; step++)
	{
		pgl_nn_loss_grad(net, X + (step % 15) * 16 * 4, 16, label + (step % 15) * 16, NULL, NULL);
		nn_prune_grads(net, &pr);
		for (int64_t j = 0; j < net->P; j++)
		{
			float g = net->grads[j];

			m1[j] = 0.9f * m1[j] + 0.1f * g;
			m2[j] = 0.999f * m2[j] + 0.001f * g * g;
			net->params[j] -= 0.01f * m1[j] / (sqrtf(m2[j]) + 1e-7f);
		}
		if (step == 9)
		{
			/* the last step of the only pruning epoch: s_f */
			nn_prune_step(net, &pr, 1, true);
			for (int64_t j = 0; j < net->P; j++)
				was_zero[j] = net->params[j] == 0.0f;
		}
		if (step > 9)
			for (int i = 0; i < 3; i++)
				for (int64_t j = net->layer[i].p_off; j < net->layer[i].p_off + net->layer[i].n_w;
					 j++)
				{
					if (was_zero[j] && net->params[j] != 0.0f)
						kept = false;
					if (!was_zero[j] && j < net->layer[0].n_w && m1[j] != 0.0f)
						moved = true;
				}
	}
	OK(kept, "masks: pruned weights stay 0 through 10 Adam steps");
	OK(moved, "masks: the other weights keep training");
	for (int i = 0; i < 3; i++)
	{
		count_layer_zeros(net, i, &zeros, &weights);
		OK(zeros == llround(0.6 * weights), "masks: layer %d has %lld zeros of %lld", i + 1,
		   (long long) zeros, (long long) weights);
	}
	nn_prune_end(&env, &pr);
	free(m1);
	free(m2);
	free(was_zero);
	pgl_nn_destroy(&env, net);
}

/* a model of a trained network, features a..d, classes 0..2 */
static pgl_model *
to_model(const pgl_env *env, pgl_nn *net, const pgl_nn_result *res)
{
	pgl_model *m = calloc(1, sizeof(pgl_model));
	double	   config[PGL_NN_CONFIG_LEN] = {0};
	double	   mu[4] = {0, 0, 0, 0}, sd[4] = {1, 1, 1, 1};
	pgl_status st;

	memset(&st, 0, sizeof(st));
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 4;
	m->features = calloc(4, sizeof(pgl_feature));
	for (int f = 0; f < 4; f++)
	{
		char name[2] = {(char) ('a' + f), 0};

		m->features[f].name = strdup(name);
		m->features[f].type_name = strdup("real");
		m->features[f].kind = PGL_FEATURE_NUMERIC;
	}
	m->n_inputs = 4;
	m->target_name = strdup("y");
	m->target_type = strdup("integer");
	m->n_classes = 3;
	m->classes = calloc(3, sizeof(char *));
	for (int c = 0; c < 3; c++)
		m->classes[c] = strdup(c == 0 ? "0" : c == 1 ? "1" : "2");
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_SCALE] = 1;
	OK(pgl_nn_to_model(env, net, config, mu, sd, res, m, &st) == PGL_OK, "to model %s", st.msg);
	return m;
}

static double
max_diff(const double *a, const double *b, int64_t n)
{
	double w = 0;

	for (int64_t i = 0; i < n; i++)
		w = fmax(w, fabs(a[i] - b[i]));
	return w;
}

/*
 * A network trained with pruning reaches its sparsity per layer, stores
 * its layers sparse, round-trips through a blob, and predicts as the
 * dense network with both kernels; int8 values likewise.
 */
static void
test_train_store(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net, *net2;
	pgl_status		  st;
	pgl_nn_result	  res;
	pgl_nn_data		  tr = {X, N, label, NULL, NULL, NULL};
	pgl_model		 *m, *m2 = NULL;
	uint8_t			 *blob;
	size_t			  len;
	static double	  dense_out[240 * 3], out[240 * 3];
	int64_t			  zeros, weights, right = 0;

	memset(&st, 0, sizeof(st));
	mlp_spec(&spec, l);
	spec.epochs = 6;
	spec.prune_sparsity = 0.8;
	spec.prune_epochs = 3;
	OK(pgl_nn_create(&env, &spec, 64, &net, &st) == PGL_OK &&
		   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
	   "train pruned: %s", st.msg);
	for (int i = 0; i < 3; i++)
	{
		count_layer_zeros(net, i, &zeros, &weights);
		OK(zeros == llround(0.8 * weights), "train: layer %d reaches 80%%: %lld zeros of %lld",
		   i + 1, (long long) zeros, (long long) weights);
	}
	pgl_nn_weight_zeros(net, &zeros, &weights);
	NEAR((double) zeros / weights, 0.8, 0.01, "train: weight sparsity 0.8");
	m = to_model(&env, net, &res);
	OK(pgl_nn_predict_rows(&env, net, m, X, N, dense_out, &st) == PGL_OK, "dense predict");
	for (int i = 0; i < N; i++)
	{
		int best = 0;

		for (int c = 1; c < 3; c++)
			if (dense_out[i * 3 + c] > dense_out[i * 3 + best])
				best = c;
		right += best == label[i];
	}
	OK(right > N * 0.8, "train: a pruned network still learns (%lld of %d)", (long long) right, N);

	/* every allocation of storing sparse failing in turn: NOMEM, the model as it was, no leak */
	{
		int	 total, bad = -1;
		bool all = true;

		for (int f = 0; f < 1000; f++)
		{
			pgl_model *mf = to_model(&env, net, &res);
			pgl_rc	   rc;

			cnt.allocs = 0;
			cnt.fail_at = f;
			rc = pgl_nn_store_sparse(&env, net, mf, 4, &st);
			cnt.fail_at = -1;
			total = f;
			if (rc == PGL_OK)
			{
				pgl_model_free(&env, mf);
				break;
			}
			if (rc != PGL_ERR_NOMEM || pgl_model_tensor(mf, "nn_sparse") != NULL ||
				pgl_algo_validate(mf, &st) != PGL_OK)
			{
				all = false;
				bad = f;
			}
			pgl_model_free(&env, mf);
		}
		OK(total > 0 && all, "store sparse: each of %d allocation failures is NOMEM (bad %d)",
		   total, bad);
	}
	OK(pgl_nn_store_sparse(&env, net, m, 4, &st) == PGL_OK, "store sparse %s", st.msg);
	OK(pgl_model_tensor(m, "nn_sparse") != NULL && pgl_model_tensor(m, "nn_sparse")->dims[0] == 3,
	   "the three layers stored sparse (each CSR smaller)");
	OK(pgl_model_tensor(m, "nn_params")->dims[0] == net->P - 4 * 48 - 48 * 32 - 32 * 3,
	   "nn_params without the sparse weights");
	OK(pgl_algo_validate(m, &st) == PGL_OK, "sparse model validates %s", st.msg);
	OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK &&
		   pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK,
	   "sparse model round trip %s", st.msg);
	free(blob);
	for (int mode = 0; mode < 3; mode++)
	{
		OK(pgl_nn_from_model(&env, m2, 64, &net2, &st) == PGL_OK, "from model %s", st.msg);
		pgl_nn_sparse_mode(net2, mode);
		OK(pgl_nn_sparse_layers(net2) == (mode == PGL_NN_SPARSE_NEVER ? 0 : 3),
		   "mode %d: %d layers run the SpMM", mode, pgl_nn_sparse_layers(net2));
		OK(pgl_nn_predict_rows(&env, net2, m2, X, N, out, &st) == PGL_OK, "sparse predict");
		OK(max_diff(out, dense_out, N * 3) < 1e-5, "mode %d: predicts as the dense net (%g)", mode,
		   max_diff(out, dense_out, N * 3));
		pgl_nn_destroy(&env, net2);
	}
	/* one row at a time (ai_predict): the gathered dot product */
	OK(pgl_nn_from_model(&env, m2, 1, &net2, &st) == PGL_OK, "from model, batch 1");
	for (int i = 0; i < N; i++)
		pgl_nn_predict_rows(&env, net2, m2, X + i * 4, 1, out + i * 3, &st);
	OK(max_diff(out, dense_out, N * 3) < 1e-5, "row by row: predicts as the dense net");
	pgl_nn_destroy(&env, net2);
	OK(pgl_algo_by_id(PGL_ALGO_NEURAL_NET)->predict(&env, m2, Xd, N, N, out, &st) == PGL_OK &&
		   max_diff(out, dense_out, N * 3) < 1e-5,
	   "the algorithm's predict (encoded columns) as the dense net");

	/* int8 values: blocked, quantized, loaded back into the training net */
	OK(pgl_nn_block_params(&env, m, PGL_NN_PARAM_BLOCK, &st) == PGL_OK &&
		   pgl_model_tensor(m, "nn_csr_val")->ndim == 2,
	   "int8: nn_csr_val in blocks");
	OK(pgl_model_set_storage(&env, m, PGL_STORE_I8_ROW, &st) == PGL_OK, "int8 storage %s", st.msg);
	OK(pgl_model_tensor(m, "nn_csr_val")->storage == PGL_STORE_I8_ROW, "int8: values as int8");
	OK(pgl_nn_load_params(net, m, &st) == PGL_OK, "int8: load params %s", st.msg);
	OK(pgl_nn_predict_rows(&env, net, m, X, N, dense_out, &st) == PGL_OK, "int8 dense");
	pgl_model_free(&env, m2);
	m2 = NULL;
	OK(pgl_model_write(&env, m, &blob, &len, &st) == PGL_OK &&
		   pgl_model_read(&env, blob, len, &m2, &st) == PGL_OK,
	   "int8 sparse model round trip %s", st.msg);
	free(blob);
	OK(pgl_nn_from_model(&env, m2, 64, &net2, &st) == PGL_OK &&
		   pgl_nn_predict_rows(&env, net2, m2, X, N, out, &st) == PGL_OK,
	   "int8: predict");
	OK(max_diff(out, dense_out, N * 3) < 1e-5, "int8: the sparse kernel predicts as the dense net");
	pgl_nn_weight_zeros(net2, &zeros, &weights);
	OK(zeros >= llround(0.8 * 48 * 4) + llround(0.8 * 48 * 32), "int8: zeros stay zeros");
	pgl_nn_destroy(&env, net2);
	pgl_model_free(&env, m2);
	pgl_model_free(&env, m);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

/* conv2d stored sparse runs the SpMM over its im2col rows */
static void
test_conv(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net, *net2;
	pgl_status		  st;
	pgl_nn_result	  res;
	static float	  img[60 * 36];
	static int32_t	  lab[60];
	pgl_nn_data		  tr = {img, 60, lab, NULL, NULL, NULL};
	pgl_model		 *m;
	static double	  a[60 * 2], b[60 * 2];
	double			  config[PGL_NN_CONFIG_LEN] = {0};

	memset(&st, 0, sizeof(st));
	memset(l, 0, sizeof(l));
	for (int i = 0; i < 60 * 36; i++)
		img[i] = (float) urand();
	for (int i = 0; i < 60; i++)
		lab[i] = img[i * 36 + 14] > 0.5f;
	l[0].type = PGL_NN_CONV2D;
	l[0].units = 16;
	l[0].kernel = 3;
	l[0].stride = 1;
	l[0].activation = PGL_NN_RELU;
	l[1].type = PGL_NN_FLATTEN;
	l[2].type = PGL_NN_DENSE;
	l[2].units = 2;
	l[2].activation = PGL_NN_SOFTMAX;
	nn_spec(&spec, l, 3, 3, 6, 6, 1, CE, 2);
	spec.epochs = 2;
	spec.prune_sparsity = 0.9;
	spec.prune_epochs = 1;
	OK(pgl_nn_create(&env, &spec, 60, &net, &st) == PGL_OK &&
		   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
	   "conv: train %s", st.msg);
	m = calloc(1, sizeof(pgl_model));
	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 1;
	m->features = calloc(1, sizeof(pgl_feature));
	m->features[0].name = strdup("img");
	m->features[0].type_name = strdup("real[]");
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
	OK(pgl_nn_to_model(&env, net, config, NULL, NULL, &res, m, &st) == PGL_OK &&
		   pgl_nn_store_sparse(&env, net, m, 4, &st) == PGL_OK,
	   "conv: to model, sparse %s", st.msg);
	OK(pgl_model_tensor(m, "nn_sparse") && pgl_model_tensor(m, "nn_sparse")->dims[0] == 2 &&
		   ((int32_t *) pgl_model_tensor(m, "nn_sparse")->data)[2] == 9,
	   "conv: conv2d stored sparse with 9 columns (k * k * c)");
	OK(pgl_algo_validate(m, &st) == PGL_OK, "conv: validates %s", st.msg);
	pgl_nn_predict_rows(&env, net, m, img, 60, a, &st);
	OK(pgl_nn_from_model(&env, m, 60, &net2, &st) == PGL_OK, "conv: from model");
	pgl_nn_sparse_mode(net2, PGL_NN_SPARSE_ALWAYS);
	OK(pgl_nn_sparse_layers(net2) == 2, "conv: both layers run the SpMM");
	pgl_nn_predict_rows(&env, net2, m, img, 60, b, &st);
	OK(max_diff(a, b, 120) < 1e-5, "conv: the sparse conv2d predicts as the dense one (%g)",
	   max_diff(a, b, 120));
	pgl_nn_destroy(&env, net2);
	pgl_model_free(&env, m);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

/* ---------- hostile tensors ---------- */

static int32_t *
i32(pgl_model *m, const char *name)
{
	return (int32_t *) ((pgl_tensor *) pgl_model_tensor(m, name))->data;
}

static void
test_hostile(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_nn_result	  res;
	pgl_nn_data		  tr = {X, N, label, NULL, NULL, NULL};
	pgl_model		 *m;
	int32_t			 *t, *p, *ix, save;
	int32_t			  r0; /* the first nonzero row of matrix 1 with 2 nonzeros */

	memset(&st, 0, sizeof(st));
	mlp_spec(&spec, l);
	spec.epochs = 2;
	spec.prune_sparsity = 0.5;
	spec.prune_epochs = 1;
	OK(pgl_nn_create(&env, &spec, 64, &net, &st) == PGL_OK &&
		   pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_OK,
	   "hostile: train");
	m = to_model(&env, net, &res);
	OK(pgl_nn_store_sparse(&env, net, m, 4, &st) == PGL_OK && pgl_algo_validate(m, &st) == PGL_OK,
	   "hostile: a valid sparse model %s", st.msg);
	t = i32(m, "nn_sparse");
	p = i32(m, "nn_csr_ptr");
	ix = i32(m, "nn_csr_idx");

#define REFUSED(what)                                                                              \
	OK(pgl_algo_validate(m, &st) == PGL_ERR_CORRUPT, "hostile: %s refused: %s", what, st.msg)

	save = t[0];
	t[0] = 2;
	REFUSED("a layer out of order");
	t[0] = save;
	save = t[0];
	t[0] = 64;
	REFUSED("a layer out of range");
	t[0] = save;
	save = t[4];
	t[4] = 0;
	REFUSED("a layer twice");
	t[4] = save;
	save = t[1];
	t[1] = 47;
	REFUSED("rows not the units");
	t[1] = save;
	save = t[2];
	t[2] = 5;
	REFUSED("columns not the inputs");
	t[2] = save;
	save = t[3];
	t[3] = t[3] + 1;
	REFUSED("a count of nonzeros not the row pointers'");
	t[3] = save;
	save = t[3];
	t[3] = -1;
	REFUSED("a negative count");
	t[3] = save;
	save = p[0];
	p[0] = 1;
	REFUSED("row pointers not from 0");
	p[0] = save;
	for (r0 = 0; r0 < 48 && p[r0 + 1] - p[r0] < 2; r0++)
		;
	OK(r0 < 48, "hostile: a row with two nonzeros");
	save = p[r0 + 1];
	p[r0 + 1] = p[r0 + 2] + 1;
	REFUSED("row pointers decreasing");
	p[r0 + 1] = save;
	save = ix[p[r0] / 2];
	/* the first index of row r0 -> 4 (out of range: 4 inputs) */
	ix[p[r0] / 2] = (int32_t) (((uint32_t) save & ~(0xFFFFu << ((p[r0] & 1) * 16))) |
							   (4u << ((p[r0] & 1) * 16)));
	REFUSED("a column index out of range");
	/* -> 3, then the next (at most 3) does not increase */
	ix[p[r0] / 2] = (int32_t) (((uint32_t) save & ~(0xFFFFu << ((p[r0] & 1) * 16))) |
							   (3u << ((p[r0] & 1) * 16)));
	REFUSED("column indexes not increasing");
	ix[p[r0] / 2] = save;
	((float *) pgl_model_tensor(m, "nn_csr_val")->data)[3] = NAN;
	REFUSED("a non-finite value");
	((float *) pgl_model_tensor(m, "nn_csr_val")->data)[3] = 1;
	OK(pgl_algo_validate(m, &st) == PGL_OK, "hostile: restored validates %s", st.msg);
	((pgl_tensor *) pgl_model_tensor(m, "nn_csr_idx"))->dims[0]--;
	REFUSED("an index tensor too short");
	((pgl_tensor *) pgl_model_tensor(m, "nn_csr_idx"))->dims[0]++;
	snprintf(((pgl_tensor *) pgl_model_tensor(m, "nn_sparse"))->name, PGL_TENSOR_NAME_LEN, "x");
	REFUSED("CSR tensors without nn_sparse");
#undef REFUSED
	pgl_model_free(&env, m);
	free(res.history);
	pgl_nn_destroy(&env, net);
}

/* option checks of the training */
static void
test_errors(void)
{
	counters		  cnt;
	pgl_env			  env = make_env(&cnt);
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_nn_result	  res;
	pgl_nn_data		  tr = {X, N, label, NULL, NULL, NULL};

	memset(&st, 0, sizeof(st));
	mlp_spec(&spec, l);
	spec.epochs = 2;
	OK(pgl_nn_create(&env, &spec, 64, &net, &st) == PGL_OK, "errors: create");
	net->spec.prune_sparsity = 1.0;
	net->spec.prune_epochs = 1;
	OK(pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_ERR_INVALID, "sparsity 1: %s", st.msg);
	net->spec.prune_sparsity = 0.5;
	net->spec.prune_epochs = 3;
	OK(pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_ERR_INVALID, "3 of 2 epochs: %s",
	   st.msg);
	net->spec.prune_epochs = 1;
	net->spec.patience = 1;
	OK(pgl_nn_train(&env, net, &tr, NULL, &res, &st) == PGL_ERR_INVALID, "with patience: %s",
	   st.msg);
	pgl_nn_destroy(&env, net);
}

int
main(void)
{
	make_data();
	test_schedule();
	test_spmm();
	test_masks();
	test_train_store();
	test_conv();
	test_hostile();
	test_errors();
	return unit_done();
}
