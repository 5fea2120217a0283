/*
 * Tests of nn_attn.c: forward outputs and input and parameter gradients of
 * multi_head_attention, layer_norm, positional_embedding and
 * transformer_encoder against PyTorch 1.13 (fixtures written by
 * gen_nn_attn_fixtures.py: no torch at run time) to 1e-5 relative;
 * central finite differences of the same loss (also for a key_dim that is
 * not features / heads); masks: padded rows output 0 and take no gradient,
 * the values in padded rows change nothing, a sample of length 0 gives 0,
 * NULL lengths equal full lengths; shape errors.  Through the engine: a
 * transformer network's gradients by finite differences with padded rows,
 * learning "is the first vector repeated later in the sequence", the model
 * tensors round-tripping (predictions equal) and hostile architectures
 * refused.
 */
#include "algorithms.h"
#include "model_format.h"
#include "nn_attn.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "data/nn_attn_fixtures.txt"

/* ---------- fixtures ---------- */

typedef struct arr
{
	char	name[64];
	int		n;
	double *v;
} arr;

static arr fx[256];
static int n_fx;

static void
load_fixtures(void)
{
	FILE *f = fopen(FIXTURES, "r");
	char  name[64];
	int	  cnt;

	if (f == NULL)
	{
		printf("Bail out! cannot open %s\n", FIXTURES);
		exit(1);
	}
	while (fscanf(f, "%63s", name) == 1)
	{
		if (name[0] == '#')
		{
			int c;

			while ((c = fgetc(f)) != '\n' && c != EOF)
				;
			continue;
		}
		if (fscanf(f, "%d", &cnt) != 1 || n_fx >= 256)
			break;
		snprintf(fx[n_fx].name, sizeof(fx[n_fx].name), "%s", name);
		fx[n_fx].n = cnt;
		fx[n_fx].v = malloc(sizeof(double) * (size_t) (cnt + 1));
		for (int i = 0; i < cnt; i++)
			if (fscanf(f, "%lf", &fx[n_fx].v[i]) != 1)
				break;
		n_fx++;
	}
	fclose(f);
}

static const arr *
get(const char *cas, const char *what)
{
	char key[128];

	snprintf(key, sizeof(key), "%s.%s", cas, what);
	for (int i = 0; i < n_fx; i++)
		if (strcmp(fx[i].name, key) == 0)
			return &fx[i];
	printf("Bail out! no fixture %s\n", key);
	exit(1);
}

static float *
to_float(const arr *a)
{
	float *f = malloc(sizeof(float) * (size_t) (a->n + 1));

	for (int i = 0; i < a->n; i++)
		f[i] = (float) a->v[i];
	return f;
}

/*
 * largest |got - want| / (|want| + 0.1 max |want|): relative, with a floor
 * at a tenth of the tensor's scale (float32 arithmetic against PyTorch's
 * float64: a value that cancels to near 0 keeps float32's absolute error)
 */
static double
rel_err(const float *got, const arr *want, int64_t count)
{
	double mx = 0, worst = 0;

	if (count != want->n)
		return INFINITY;
	for (int64_t i = 0; i < count; i++)
		mx = fmax(mx, fabs(want->v[i]));
	for (int64_t i = 0; i < count; i++)
	{
		double e = fabs((double) got[i] - want->v[i]) / (fabs(want->v[i]) + 0.1 * mx + 1e-30);

		worst = fmax(worst, e);
	}
	return worst;
}

static void
dims_of(const arr *a, pgl_attn_dims *d, int32_t *n)
{
	memset(d, 0, sizeof(*d));
	d->type = (int32_t) a->v[0];
	*n = (int32_t) a->v[1];
	d->T = (int32_t) a->v[2];
	d->F = (int32_t) a->v[3];
	d->heads = (int32_t) a->v[4];
	d->key_dim = (int32_t) a->v[5];
	d->ff = (int32_t) a->v[6];
	d->pos_kind = (int32_t) a->v[7];
	d->max_len = (int32_t) a->v[8];
	d->masked = a->v[9] != 0;
}

static void
check_fixture(const char *cas)
{
	pgl_attn_dims d;
	int32_t		  n, len[16];
	const arr	 *lens = get(cas, "lengths");
	float		 *x = to_float(get(cas, "x")), *P = to_float(get(cas, "params"));
	float		 *R = to_float(get(cas, "R"));
	int64_t		  TF, np;
	float		 *out, *din, *dP, *work;

	dims_of(get(cas, "dims"), &d, &n);
	TF = (int64_t) d.T * d.F;
	np = pgl_attn_n_params(&d);
	for (int i = 0; i < lens->n; i++)
		len[i] = (int32_t) lens->v[i];
	OK(np == get(cas, "params")->n, "%s: %lld parameters in the layout", cas, (long long) np);
	out = calloc((size_t) (n * TF), sizeof(float));
	din = calloc((size_t) (n * TF), sizeof(float));
	dP = calloc((size_t) np + 1, sizeof(float));
	work = calloc((size_t) pgl_attn_work_size(&d, n, true), sizeof(float));
	pgl_attn_forward(&d, P, x, n, len, out, work);
	{
		double e = rel_err(out, get(cas, "out"), n * TF);

		OK(e <= 1e-5, "%s: forward equals PyTorch's (relative error %.2g)", cas, e);
	}
	pgl_attn_backward(&d, P, x, n, len, R, din, dP, work);
	{
		double e = rel_err(din, get(cas, "din"), n * TF);

		OK(e <= 1e-5, "%s: input gradient equals PyTorch's (relative error %.2g)", cas, e);
		if (np > 0)
		{
			e = rel_err(dP, get(cas, "dparams"), np);
			OK(e <= 1e-5, "%s: parameter gradients equal PyTorch's (relative error %.2g)", cas, e);
		}
	}
	free(x);
	free(P);
	free(R);
	free(out);
	free(din);
	free(dP);
	free(work);
}

/* ---------- finite differences ---------- */

static uint64_t rs = 88172645463325252ULL;

static float
frand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (float) ((rs >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static double
loss_of(const pgl_attn_dims *d, const float *P, const float *x, int32_t n, const int32_t *len,
		const float *R, float *out, float *work)
{
	double s = 0;

	pgl_attn_forward(d, P, x, n, len, out, work);
	for (int64_t i = 0; i < (int64_t) n * d->T * d->F; i++)
		s += (double) R[i] * out[i];
	return s;
}

/*
 * The central difference at one coordinate; NAN when the one-sided ones
 * disagree (a relu kink within the step), which the check skips.
 */
static double
central(const pgl_attn_dims *d, const float *P, const float *x, int32_t n, const int32_t *len,
		const float *R, float *out, float *work, float *v, float h, double l0)
{
	float  keep = *v;
	double lp, lm, fwd, bwd;

	*v = keep + h;
	lp = loss_of(d, P, x, n, len, R, out, work);
	*v = keep - h;
	lm = loss_of(d, P, x, n, len, R, out, work);
	*v = keep;
	fwd = (lp - l0) / h;
	bwd = (l0 - lm) / h;
	if (fabs(fwd - bwd) > 0.2 * fmax(fabs(fwd + bwd) / 2, 0.05))
		return NAN;
	return (lp - lm) / (2 * h);
}

/*
 * Central differences in float32 over a sample of the inputs and
 * parameters; the worst error relative to max(|analytic|, 0.05).
 */
static void
finite_diff(const char *name, const pgl_attn_dims *d, int32_t n, const int32_t *len)
{
	int64_t TF = (int64_t) d->T * d->F, np = pgl_attn_n_params(d);
	float  *x = malloc(sizeof(float) * (size_t) (n * TF)), *R = malloc(sizeof(float) * (n * TF));
	float  *P = malloc(sizeof(float) * (size_t) (np + 1)), *dP = malloc(sizeof(float) * (np + 1));
	float *out = malloc(sizeof(float) * (size_t) (n * TF)), *din = malloc(sizeof(float) * (n * TF));
	float *dout = malloc(sizeof(float) * (size_t) (n * TF));
	float *work = malloc(sizeof(float) * (size_t) pgl_attn_work_size(d, n, true));
	uint64_t rng = 7;
	double	 worst_x = 0, worst_p = 0, l0;
	float	 h = 3e-3f;
	int		 skipped = 0;

	pgl_attn_init(d, P, &rng);
	/* move the biases, gammas and betas off their initial values */
	for (int64_t j = 0; j < np; j++)
		P[j] += 0.2f * frand();
	for (int64_t i = 0; i < n * TF; i++)
	{
		x[i] = frand();
		R[i] = frand();
	}
	pgl_attn_forward(d, P, x, n, len, out, work);
	memcpy(dout, R, sizeof(float) * (size_t) (n * TF));
	pgl_attn_backward(d, P, x, n, len, dout, din, dP, work);
	l0 = loss_of(d, P, x, n, len, R, out, work);
	for (int64_t i = 0; i < n * TF; i += 1 + n * TF / 40)
	{
		double num = central(d, P, x, n, len, R, out, work, &x[i], h, l0);

		if (isnan(num))
			skipped++;
		else
			worst_x = fmax(worst_x, fabs(num - din[i]) / fmax(fabs(din[i]), 0.05));
	}
	for (int64_t j = 0; j < np; j += 1 + np / 60)
	{
		double num = central(d, P, x, n, len, R, out, work, &P[j], h, l0);

		if (isnan(num))
			skipped++;
		else
			worst_p = fmax(worst_p, fabs(num - dP[j]) / fmax(fabs(dP[j]), 0.05));
	}
	OK(skipped <= 5, "%s: %d coordinates skipped at a relu kink", name, skipped);
	OK(worst_x < 2e-2, "%s: input gradient by finite differences (worst %.2g)", name, worst_x);
	if (np > 0)
		OK(worst_p < 2e-2, "%s: parameter gradients by finite differences (worst %.2g)", name,
		   worst_p);
	free(x);
	free(R);
	free(P);
	free(dP);
	free(out);
	free(din);
	free(dout);
	free(work);
}

static pgl_attn_dims
mk(int32_t type, int32_t T, int32_t F, int32_t heads, int32_t key_dim, int32_t ff, int32_t kind,
   int32_t max_len)
{
	pgl_attn_dims d = {type, T, F, true, heads, key_dim, ff, kind, max_len};

	return d;
}

static void
test_finite_differences(void)
{
	int32_t		  len[3] = {5, 3, 1};
	pgl_attn_dims d;

	d = mk(PGL_NN_MULTI_HEAD_ATTENTION, 5, 6, 2, 3, 0, 0, 0);
	finite_diff("multi_head_attention", &d, 3, len);
	d = mk(PGL_NN_MULTI_HEAD_ATTENTION, 5, 6, 3, 4, 0, 0, 0);
	finite_diff("multi_head_attention, key_dim 4 with 6 features and 3 heads", &d, 3, len);
	d = mk(PGL_NN_LAYER_NORM, 5, 6, 0, 0, 0, 0, 0);
	finite_diff("layer_norm", &d, 3, len);
	d = mk(PGL_NN_POSITIONAL_EMBEDDING, 5, 4, 0, 0, 0, PGL_NN_POS_LEARNED, 6);
	finite_diff("positional_embedding learned", &d, 3, len);
	d = mk(PGL_NN_TRANSFORMER_ENCODER, 5, 6, 2, 3, 7, 0, 0);
	finite_diff("transformer_encoder", &d, 3, len);
	d = mk(PGL_NN_TRANSFORMER_ENCODER, 5, 4, 2, 5, 6, 0, 0);
	finite_diff("transformer_encoder, key_dim 5", &d, 3, NULL);
}

/* ---------- masks ---------- */

static void
test_masks(int32_t type)
{
	pgl_attn_dims d = mk(type, 6, 4, 2, 2, 5, PGL_NN_POS_SINUSOIDAL, 0);
	int32_t		  n = 3, len[3] = {6, 2, 0}, full[3] = {6, 6, 6};
	int64_t		  TF = 24, np = pgl_attn_n_params(&d);
	float		  x[72], x2[72], o1[72], o2[72], o3[72], din[72], dout[72];
	float		 *P = malloc(sizeof(float) * (size_t) (np + 1));
	float		 *dP = malloc(sizeof(float) * (size_t) (np + 1));
	float		 *work = malloc(sizeof(float) * (size_t) pgl_attn_work_size(&d, n, true));
	uint64_t	  rng = 3;
	bool		  pad_zero = true, same = true, no_grad = true, null_full = true;
	const char	 *name = pgl_nn_layer_name(type);

	pgl_attn_init(&d, P, &rng);
	for (int64_t j = 0; j < np; j++)
		P[j] += 0.1f * frand();
	for (int i = 0; i < n * TF; i++)
		x[i] = x2[i] = frand();
	/* other values in the padded rows */
	for (int b = 0; b < n; b++)
		for (int t = len[b]; t < d.T; t++)
			for (int j = 0; j < d.F; j++)
				x2[(b * d.T + t) * d.F + j] = 5.0f + frand();
	pgl_attn_forward(&d, P, x2, n, len, o2, work);
	pgl_attn_forward(&d, P, x, n, len, o1, work);
	for (int i = 0; i < n * TF; i++)
		dout[i] = frand();
	pgl_attn_backward(&d, P, x, n, len, dout, din, dP, work);
	for (int b = 0; b < n; b++)
		for (int t = 0; t < d.T; t++)
			for (int j = 0; j < d.F; j++)
			{
				int i = (b * d.T + t) * d.F + j;

				if (t >= len[b])
				{
					pad_zero &= o1[i] == 0.0f;
					no_grad &= din[i] == 0.0f;
				}
				same &= o1[i] == o2[i] && isfinite(o1[i]);
			}
	OK(pad_zero, "%s: padded rows (and a sample of length 0) output 0", name);
	OK(same, "%s: the values in padded rows change nothing", name);
	OK(no_grad, "%s: padded rows take no gradient", name);
	pgl_attn_forward(&d, P, x, n, NULL, o1, work);
	pgl_attn_forward(&d, P, x, n, full, o3, work);
	for (int i = 0; i < n * TF; i++)
		null_full &= o1[i] == o3[i];
	OK(null_full, "%s: NULL lengths are full lengths", name);
	free(P);
	free(dP);
	free(work);
}

/* ---------- shapes ---------- */

static void
test_shapes(void)
{
	pgl_nn_layer_spec s;
	pgl_attn_dims	  d;
	const char		 *msg;

	memset(&s, 0, sizeof(s));
	s.type = PGL_NN_MULTI_HEAD_ATTENTION;
	s.heads = 3;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg && strstr(msg, "multiple of \"heads\""), "8 features over 3 heads: %s", msg);
	s.key_dim = 4;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg == NULL && d.key_dim == 4 && pgl_attn_n_params(&d) == 8 * 36 + 36 + 12 * 8 + 8,
	   "key_dim 4 with 3 heads fits");
	msg = pgl_attn_dims_from_spec(&s, 1, 1, 1, 8, &d);
	OK(msg && strstr(msg, "sequence input"), "attention on a flat input: %s", msg);
	s.heads = 0;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg && strstr(msg, "\"heads\""), "0 heads: %s", msg);
	s.heads = 2;
	s.key_dim = 1;
	msg = pgl_attn_dims_from_spec(&s, 2, 4096, 1, 1, &d);
	OK(msg && strstr(msg, "2^24"), "2 heads over 4096 steps: %s", msg);
	s.key_dim = 0;
	s.type = PGL_NN_TRANSFORMER_ENCODER;
	s.ff_units = 0;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg && strstr(msg, "\"ff_units\""), "transformer without ff_units: %s", msg);
	s.type = PGL_NN_POSITIONAL_EMBEDDING;
	s.pos_kind = PGL_NN_POS_LEARNED;
	s.max_len = 5;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg && strstr(msg, "\"max_len\""), "max_len below the length: %s", msg);
	s.max_len = 0;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg == NULL && d.max_len == 10 && pgl_attn_n_params(&d) == 80, "max_len defaults to T");
	s.pos_kind = 7;
	msg = pgl_attn_dims_from_spec(&s, 2, 10, 1, 8, &d);
	OK(msg && strstr(msg, "sinusoidal"), "unknown kind: %s", msg);
	s.type = PGL_NN_LAYER_NORM;
	msg = pgl_attn_dims_from_spec(&s, 1, 1, 1, 8, &d);
	OK(msg == NULL && d.T == 1 && !d.masked, "layer_norm on a flat input");
}

/* ---------- through the engine ---------- */

#define ET 8
#define EF 8
#define EN 2000

/*
 * Sequences of 4 to ET codebook vectors (nonzero, so that the zero tail is
 * the padding); label 1 when the first vector appears again later.
 */
static void
repeat_task(float *X, int32_t *label, int32_t *len, int n)
{
	static float book[12][EF];
	static bool	 made = false;

	if (!made)
	{
		for (int k = 0; k < 12; k++)
			for (int j = 0; j < EF; j++)
				book[k][j] = frand() + (frand() > 0 ? 0.5f : -0.5f);
		made = true;
	}
	memset(X, 0, sizeof(float) * (size_t) n * ET * EF);
	for (int i = 0; i < n; i++)
	{
		int L = 4 + (int) ((frand() + 1) * 0.5f * (ET - 3)), first = (int) ((frand() + 1) * 6) % 12;
		int idx[ET];

		L = L > ET ? ET : L;
		label[i] = i % 2;
		idx[0] = first;
		for (int t = 1; t < L; t++)
		{
			int k = (int) ((frand() + 1) * 6) % 12;

			idx[t] = k == first ? (k + 1) % 12 : k;
		}
		if (label[i])
			idx[1 + (int) ((frand() + 1) * 0.5f * (L - 1)) % (L - 1)] = first;
		for (int t = 0; t < L; t++)
			memcpy(X + ((int64_t) i * ET + t) * EF, book[idx[t]], sizeof(float) * EF);
		len[i] = L;
	}
}

static void
engine_spec(pgl_nn_spec *spec, pgl_nn_layer_spec *l)
{
	memset(l, 0, sizeof(pgl_nn_layer_spec) * 4);
	l[0].type = PGL_NN_POSITIONAL_EMBEDDING;
	l[0].pos_kind = PGL_NN_POS_LEARNED;
	l[1].type = PGL_NN_TRANSFORMER_ENCODER;
	l[1].heads = 2;
	l[1].ff_units = 16;
	l[2].type = PGL_NN_GLOBAL_MAX_POOL1D;
	l[3].type = PGL_NN_DENSE;
	l[3].units = 2;
	l[3].activation = PGL_NN_SOFTMAX;
	pgl_nn_spec_defaults(spec);
	spec->layers = l;
	spec->n_layers = 4;
	spec->in_ndim = 2;
	spec->in_h = ET;
	spec->in_w = 1;
	spec->in_c = EF;
	spec->loss = PGL_NN_LOSS_SOFTMAX_CE;
	spec->n_out = 2;
	spec->learning_rate = 0.01;
	spec->batch_size = 32;
	spec->epochs = 20;
}

/* the whole network's gradients by central differences, rows padded */
static void
test_engine_gradients(const pgl_env *env)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[4];
	pgl_nn			 *net;
	pgl_status		  st;
	static float	  X[6 * ET * EF];
	int32_t			  label[6], len[6];
	double			  worst = 0;
	float			 *P, *G;

	memset(&st, 0, sizeof(st));
	engine_spec(&spec, l);
	l[2].type = PGL_NN_GLOBAL_AVG_POOL1D;
	repeat_task(X, label, len, 6);
	OK(pgl_nn_create(env, &spec, 6, &net, &st) == PGL_OK, "engine: create %s", st.msg);
	P = pgl_nn_params(net);
	G = pgl_nn_grads(net);
	pgl_nn_set_lengths(net, len);
	pgl_nn_loss_grad(net, X, 6, label, NULL, NULL);
	for (int64_t j = 0; j < pgl_nn_param_count(net); j += 1 + pgl_nn_param_count(net) / 80)
	{
		float  keep = P[j], h = 3e-3f, g = G[j];
		double lp, lm;

		P[j] = keep + h;
		lp = pgl_nn_eval_loss(net, X, 6, label, NULL, NULL);
		P[j] = keep - h;
		lm = pgl_nn_eval_loss(net, X, 6, label, NULL, NULL);
		P[j] = keep;
		worst = fmax(worst, fabs((lp - lm) / (2 * h) - g) / fmax(fabs(g), 0.01));
	}
	OK(worst < 3e-2,
	   "engine: positional + transformer + pool + dense gradients by finite "
	   "differences with padded rows (worst %.2g)",
	   worst);
	pgl_nn_destroy(env, net);
}

static pgl_model *
engine_model(const pgl_env *env, pgl_nn *net, const pgl_nn_result *res)
{
	pgl_model *m = calloc(1, sizeof(pgl_model));
	double	   config[PGL_NN_CONFIG_LEN] = {0};
	pgl_status st;

	m->algorithm = PGL_ALGO_NEURAL_NET;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 1;
	m->features = calloc(1, sizeof(pgl_feature));
	m->features[0].name = strdup("seq");
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
	if (pgl_nn_to_model(env, net, config, NULL, NULL, res, m, &st) != PGL_OK)
		printf("# to model: %s\n", st.msg);
	return m;
}

/* hostile values in a row of "nn_arch" are refused */
static void
hostile_arch(const pgl_env *env, pgl_model *m, int layer, int col, int32_t v, const char *what)
{
	pgl_tensor *t = (pgl_tensor *) pgl_model_tensor(m, "nn_arch");
	int32_t	   *a = (int32_t *) t->data + layer * t->dims[1] + col;
	int32_t		keep = *a;
	pgl_status	st;
	pgl_nn	   *net = NULL;

	memset(&st, 0, sizeof(st));
	*a = v;
	OK(pgl_algo_validate(m, &st) == PGL_ERR_CORRUPT &&
		   pgl_nn_from_model(env, m, 4, &net, &st) == PGL_ERR_CORRUPT,
	   "hostile %s refused: %s", what, st.msg);
	*a = keep;
}

static void
test_engine_learns(const pgl_env *env)
{
	pgl_nn_spec		  spec;
	pgl_nn_layer_spec l[4];
	pgl_nn			 *net, *net2;
	pgl_status		  st;
	static float	  X[EN * ET * EF], Xt[200 * ET * EF];
	static int32_t	  label[EN], len[EN], lt[200], lent[200];
	static double	  out[400], out2[400];
	pgl_nn_result	  res;
	pgl_model		 *m, *m2 = NULL;
	uint8_t			 *blob;
	size_t			  blen;
	int				  right = 0;
	bool			  same = true;

	memset(&st, 0, sizeof(st));
	engine_spec(&spec, l);
	repeat_task(X, label, len, EN);
	repeat_task(Xt, lt, lent, 200);
	{
		pgl_nn_data tr = {.X = X, .n = EN, .label = label};

		OK(pgl_nn_create(env, &spec, 64, &net, &st) == PGL_OK &&
			   pgl_nn_train(env, net, &tr, NULL, &res, &st) == PGL_OK,
		   "engine: trains %s", st.msg);
	}
	m = engine_model(env, net, &res);
	OK(pgl_algo_validate(m, &st) == PGL_OK, "engine: the model validates %s", st.msg);
	OK(pgl_nn_predict_rows(env, net, m, Xt, 200, out, &st) == PGL_OK, "engine: predicts");
	for (int i = 0; i < 200; i++)
		right += (out[2 * i + 1] > 0.5) == (lt[i] == 1);
	OK(right >= 180,
	   "engine: \"is the first vector repeated\" learned, %d of 200 held-out rows "
	   "right",
	   right);
	OK(pgl_model_write(env, m, &blob, &blen, &st) == PGL_OK &&
		   pgl_model_read(env, blob, blen, &m2, &st) == PGL_OK,
	   "engine: the model writes and reads %s", st.msg);
	OK(pgl_nn_from_model(env, m2, 64, &net2, &st) == PGL_OK &&
		   pgl_nn_predict_rows(env, net2, m2, Xt, 200, out2, &st) == PGL_OK,
	   "engine: the read model predicts %s", st.msg);
	for (int i = 0; i < 400; i++)
	{
		same &= out[i] == out2[i];
	}
	OK(same, "engine: the read model predicts exactly as the trained network");
	pgl_nn_destroy(env, net2);
	hostile_arch(env, m2, 1, 8, -3, "heads -3");
	hostile_arch(env, m2, 1, 8, 3, "heads 3 over 8 features");
	hostile_arch(env, m2, 1, 10, 0, "ff_units 0");
	hostile_arch(env, m2, 1, 9, 1 << 30, "key_dim 2^30");
	hostile_arch(env, m2, 0, 8, 9, "positional kind 9");
	hostile_arch(env, m2, 0, 11, 3, "max_len 3 below the length");
	hostile_arch(env, m2, 3, 8, 2, "heads on a dense layer");
	free(blob);
	free(res.history);
	pgl_model_free(env, m);
	pgl_model_free(env, m2);
	pgl_nn_destroy(env, net);
}

int
main(void)
{
	static const char *const cases[] = {"mha_masked",	  "mha_one_head", "mha_four_heads",
										"ln_seq",		  "ln_flat",	  "pos_learned",
										"pos_sinusoidal", "enc_masked",	  "enc_full"};

	load_fixtures();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_fixture(cases[i]);
	test_finite_differences();
	test_masks(PGL_NN_MULTI_HEAD_ATTENTION);
	test_masks(PGL_NN_LAYER_NORM);
	test_masks(PGL_NN_POSITIONAL_EMBEDDING);
	test_masks(PGL_NN_TRANSFORMER_ENCODER);
	test_shapes();
	{
		const pgl_env env = pgl_malloc_env;

		test_engine_gradients(&env);
		test_engine_learns(&env);
	}
	for (int i = 0; i < n_fx; i++)
		free(fx[i].v);
	return unit_done();
}
