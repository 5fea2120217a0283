/*-------------------------------------------------------------------------
 *
 * corpus_tool.c
 *	  The seed corpus of the model-reader fuzzer (test/fuzz/corpus/).
 *
 *	corpus_tool gen DIR		write the seeds: a valid blob of every algorithm
 *							(built through pgl_model_write), and damaged
 *							variants of them
 *	corpus_tool check DIR	read every file of DIR: those named valid-*
 *							must be accepted and write back identically,
 *							every other one must be rejected as corrupt
 *							with a message
 *	corpus_tool verdict DIR	print "NAME ok" or "NAME refused" for every
 *							file of DIR (test/fuzz/pyreader.py --agree
 *							compares these with its own)
 *
 * The damaged variants are the kinds of malformed input issue 7 lists:
 * truncated, bit-flipped (with and without a re-stamped CRC, so that the
 * structure and not only the checksum is tested), lying counts and
 * lengths, absurd dimensions, a wrong algorithm id, a later format
 * version; for tree models also hand-made damage to the trees (tree-*:
 * cycles, bad children, depth 65, groups, links, offsets, missing
 * tensors), and NaN impute values where the algorithm does not allow them
 * (nan-impute-*).  Files named regress-* are inputs the fuzzer found; they
 * are rejected too (valid-regress-* are accepted ones).
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "iforest.h"
#include "drift.h"
#include "model_format.h"
#include "nn.h"
#include "../unit/nn_spec.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

static char *
dup(const char *s)
{
	char *p = malloc(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

static pgl_tensor *
add_tensor(pgl_model *m, const char *name, int32_t dtype, int32_t ndim, int64_t d0, int64_t d1)
{
	pgl_tensor *t;
	int64_t		count;
	size_t		esize = dtype == PGL_F64 || dtype == PGL_I64 || dtype == PGL_STR ? 8 : 4;

	m->tensors = realloc(m->tensors, sizeof(pgl_tensor) * (size_t) (m->n_tensors + 1));
	t = &m->tensors[m->n_tensors++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	count = pgl_tensor_count(t);
	t->data = calloc((size_t) (count > 0 ? count : 1), esize);
	return t;
}

static pgl_model *
new_model(int32_t algorithm, int32_t task)
{
	pgl_model *m = calloc(1, sizeof(pgl_model));

	m->algorithm = algorithm;
	m->task = task;
	return m;
}

static void
add_numeric(pgl_model *m, const char *name, double impute)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup("double precision");
	f->kind = PGL_FEATURE_NUMERIC;
	f->impute = impute;
	m->n_inputs++;
}

static void
add_categorical(pgl_model *m, const char *name, int n, const char *const *cats, int mode)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup("text");
	f->kind = PGL_FEATURE_CATEGORICAL;
	f->n_categories = n;
	f->impute_category = mode;
	f->categories = calloc((size_t) n, sizeof(char *));
	for (int i = 0; i < n; i++)
		f->categories[i] = dup(cats[i]);
	m->n_inputs += n;
}

static void
set_target(pgl_model *m, const char *name, const char *type)
{
	m->target_name = dup(name);
	m->target_type = dup(type);
}

static void
fill_f64(pgl_tensor *t, double base)
{
	for (int64_t i = 0; i < pgl_tensor_count(t); i++)
		((double *) t->data)[i] = base + 0.25 * (double) i - 0.125 * (double) (i % 3);
}

static void
fill_f32(pgl_tensor *t, double base)
{
	for (int64_t i = 0; i < pgl_tensor_count(t); i++)
		((float *) t->data)[i] = (float) (base + 0.1 * (double) (i % 7) - 0.05 * (double) i);
}

static const char *const colors[] = {"blue", "green", "red"};

/*
 * neural_net over a [4, 4] sequence column: learned positions, a
 * transformer_encoder block (2 heads, ff 4), masked max pooling, a softmax
 * over 2 classes; initial weights.  (pyreader.py does not implement
 * neural_net: run.sh compares the readers on the other algorithms only.)
 */
static pgl_model *
transformer_nn(void)
{
	pgl_nn_layer_spec l[4];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_model		 *m = new_model(PGL_ALGO_NEURAL_NET, PGL_TASK_CLASSIFICATION);
	double			  config[PGL_NN_CONFIG_LEN] = {0};

	memset(l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	l[0].type = PGL_NN_POSITIONAL_EMBEDDING;
	l[1].type = PGL_NN_TRANSFORMER_ENCODER;
	l[1].heads = 2;
	l[1].ff_units = 4;
	l[2].type = PGL_NN_GLOBAL_MAX_POOL1D;
	l[3].type = PGL_NN_DENSE;
	l[3].units = 2;
	l[3].activation = PGL_NN_SOFTMAX;
	nn_spec(&spec, l, 4, 2, 4, 1, 4, PGL_NN_LOSS_SOFTMAX_CE, 2);
	add_numeric(m, "seq", 0);
	set_target(m, "y", "text");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = dup("no");
	m->classes[1] = dup("yes");
	config[PGL_NN_CFG_SCALE] = 1;
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_INPUT_KIND] = PGL_NN_INPUT_ARRAY;
	if (pgl_nn_create(env, &spec, 1, &net, &st) != PGL_OK ||
		pgl_nn_to_model(env, net, config, NULL, NULL, NULL, m, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: nn-transformer: %s\n", st.msg);
		exit(1);
	}
	pgl_nn_destroy(env, net);
	return m;
}

/*
 * neural_net over three columns, 3 -> dense 8 (relu) -> dense 2 (softmax),
 * both weight matrices pruned and stored sparse (CSR: 6 and 5 nonzeros,
 * so the packed column indexes end in a padding half).
 */
static pgl_model *
sparse_nn(void)
{
	pgl_nn_layer_spec l[2];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_model		 *m = new_model(PGL_ALGO_NEURAL_NET, PGL_TASK_CLASSIFICATION);
	double			  config[PGL_NN_CONFIG_LEN] = {0};
	double			  mu[3] = {0.5, -1, 2}, sd[3] = {1, 2, 0.5};
	float			 *w;

	memset(l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	l[0].type = l[1].type = PGL_NN_DENSE;
	l[0].units = 8;
	l[0].activation = PGL_NN_RELU;
	l[1].units = 2;
	l[1].activation = PGL_NN_SOFTMAX;
	nn_spec(&spec, l, 2, 1, 1, 1, 3, PGL_NN_LOSS_SOFTMAX_CE, 2);
	spec.prune_sparsity = 0.7;
	spec.prune_epochs = 1;
	for (int i = 0; i < 3; i++)
		add_numeric(m, i == 0 ? "a" : i == 1 ? "b" : "c", 0);
	set_target(m, "y", "text");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = dup("no");
	m->classes[1] = dup("yes");
	config[PGL_NN_CFG_SCALE] = 1;
	config[PGL_NN_CFG_Y_SD] = 1;
	if (pgl_nn_create(env, &spec, 1, &net, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: nn-sparse: %s\n", st.msg);
		exit(1);
	}
	/* W0 [3, 8] keeps j % 4 == 0, W1 [8, 2] (after b0) keeps j % 3 == 1 */
	w = pgl_nn_params(net);
	for (int j = 0; j < 24; j++)
		w[j] = j % 4 == 0 ? 0.25f * (float) (j + 1) : 0.0f;
	for (int j = 0; j < 16; j++)
		w[32 + j] = j % 3 == 1 ? -0.55f + 0.125f * (float) j : 0.0f;
	if (pgl_nn_to_model(env, net, config, mu, sd, NULL, m, &st) != PGL_OK ||
		pgl_nn_store_sparse(env, net, m, 4, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: nn-sparse: %s\n", st.msg);
		exit(1);
	}
	pgl_nn_destroy(env, net);
	return m;
}

/* a variational autoencoder: dense, sample, dense; the anomaly task and its threshold */
static pgl_model *
vae_nn(void)
{
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_model		 *m = new_model(PGL_ALGO_NEURAL_NET, PGL_TASK_ANOMALY);
	double			  config[PGL_NN_CONFIG_LEN] = {0};
	double			  mu[3] = {0.5, -1, 2}, sd[3] = {1, 2, 0.5};

	memset(l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	l[0].type = l[2].type = PGL_NN_DENSE;
	l[0].units = 4; /* the mean and log-variance of 2 latent values */
	l[1].type = PGL_NN_SAMPLE;
	l[2].units = 3;
	nn_spec(&spec, l, 3, 1, 1, 1, 3, PGL_NN_LOSS_MSE, 3);
	for (int i = 0; i < 3; i++)
		add_numeric(m, i == 0 ? "a" : i == 1 ? "b" : "c", 0);
	config[PGL_NN_CFG_SCALE] = 1;
	config[PGL_NN_CFG_Y_SD] = 1;
	if (pgl_nn_create(env, &spec, 1, &net, &st) != PGL_OK ||
		pgl_nn_to_model(env, net, config, mu, sd, NULL, m, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: nn-vae: %s\n", st.msg);
		exit(1);
	}
	*(double *) pgl_model_tensor(m, "anomaly_threshold")->data = 0.75;
	pgl_nn_destroy(env, net);
	return m;
}

static pgl_model *
linear(void)
{
	pgl_model *m = new_model(PGL_ALGO_LINEAR_REGRESSION, PGL_TASK_REGRESSION);

	add_numeric(m, "sqft", 1234.5);
	add_numeric(m, "rooms", 3);
	add_categorical(m, "color", 3, colors, 1);
	set_target(m, "price", "numeric");
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, 1), -1.5);
	return m;
}

/* a date feature (format version 2): origin 2024-01-01, impute 2024-07-01 */
static void
add_time(pgl_model *m, const char *name, int32_t kind)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup(kind == PGL_FEATURE_DATE ? "date" : "timestamp with time zone");
	f->kind = kind;
	f->origin = 1704067200.0;
	f->impute = 1719792000.0 + (kind == PGL_FEATURE_DATE ? 0 : 3600.5);
	m->n_inputs += pgl_feature_width(f);
}

/* an array column of length n: n element features */
static void
add_array(pgl_model *m, const char *name, int32_t n)
{
	for (int32_t k = 0; k < n; k++)
	{
		pgl_feature *f;

		m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
		f = &m->features[m->n_features++];
		memset(f, 0, sizeof(*f));
		f->name = dup(name);
		f->type_name = dup("double precision[]");
		f->kind = PGL_FEATURE_ELEMENT;
		f->impute = 0.5 * k;
		f->element = k;
		f->length = n;
		m->n_inputs++;
	}
}

/* a text feature: terms (sorted), idf, 1-2 grams, sublinear tf */
static const char *const terms[] = {"awful", "good", "very good", "zebra"};

static void
add_text(pgl_model *m, const char *name)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup("text");
	f->kind = PGL_FEATURE_TEXT;
	f->n_categories = 4;
	f->categories = calloc(4, sizeof(char *));
	f->idf = calloc(4, sizeof(double));
	for (int i = 0; i < 4; i++)
	{
		f->categories[i] = dup(terms[i]);
		f->idf[i] = 1.0 + 0.5 * i;
	}
	f->ngram_max = 2;
	f->sublinear = 1;
	m->n_inputs += 4;
}

/* logistic regression over a text column and a number */
static pgl_model *
logistic_text(void)
{
	pgl_model *m = new_model(PGL_ALGO_LOGISTIC_REGRESSION, PGL_TASK_CLASSIFICATION);

	add_text(m, "body");
	add_numeric(m, "stars", 3.5);
	set_target(m, "label", "text");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = dup("neg");
	m->classes[1] = dup("pos");
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, 1), 0.5);
	return m;
}

static pgl_model *
linear_date(void)
{
	pgl_model *m = new_model(PGL_ALGO_LINEAR_REGRESSION, PGL_TASK_REGRESSION);

	add_numeric(m, "sqft", 1234.5);
	add_time(m, "sold_on", PGL_FEATURE_DATE);
	add_categorical(m, "color", 3, colors, 1);
	add_time(m, "listed_at", PGL_FEATURE_TIMESTAMP);
	add_array(m, "rooms", 3);
	set_target(m, "price", "numeric");
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, 1), -1.5);
	return m;
}

static pgl_model *
logistic(int k)
{
	static const char *const labels[] = {"churned", "active", "paused", "gone"};
	pgl_model				*m = new_model(PGL_ALGO_LOGISTIC_REGRESSION, PGL_TASK_CLASSIFICATION);
	const char				*sorted[4];

	add_numeric(m, "age", 41.5);
	add_categorical(m, "color", 2, colors, 0);
	set_target(m, "status", "text");
	for (int i = 0; i < k; i++)
		sorted[i] = labels[i];
	/* labels sorted, as ai_train stores them */
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(sorted[j], sorted[i]) < 0)
			{
				const char *s = sorted[i];

				sorted[i] = sorted[j];
				sorted[j] = s;
			}
	m->n_classes = k;
	m->classes = calloc((size_t) k, sizeof(char *));
	for (int i = 0; i < k; i++)
		m->classes[i] = dup(sorted[i]);
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, k == 2 ? 1 : k), 0.5);
	return m;
}

static pgl_model *
kmeans(void)
{
	pgl_model *m = new_model(PGL_ALGO_KMEANS, PGL_TASK_CLUSTERING);

	add_numeric(m, "x", 0);
	add_numeric(m, "y", 1);
	add_categorical(m, "color", 3, colors, 2);
	fill_f64(add_tensor(m, "centroids", PGL_F64, 2, 3, m->n_inputs), 2.0);
	*(double *) add_tensor(m, "inertia", PGL_F64, 1, 1, 0)->data = 12.75;
	return m;
}

/* isolation_forest: 3 trees of up to 8 rows, grown on 16 rows of 5 inputs */
static pgl_model *
iforest(void)
{
	pgl_model		  *m = new_model(PGL_ALGO_ISOLATION_FOREST, PGL_TASK_ANOMALY);
	pgl_iforest_params pr = {3, 8, 1.0, 0.1, 5};
	double			   X[16 * 5];
	pgl_status		   st;

	add_numeric(m, "x", 0);
	add_numeric(m, "y", 1);
	add_categorical(m, "color", 3, colors, 2);
	for (int i = 0; i < 16; i++)
	{
		X[i] = (double) ((i * 7) % 16) - 8.0;
		X[i + 16] = 0.5 * (double) ((i * 5) % 16);
		for (int c = 0; c < 3; c++)
			X[i + 16 * (2 + c)] = i % 3 == c;
	}
	memset(&st, 0, sizeof(st));
	if (pgl_iforest_fit(env, X, 16, 16, 5, &pr, m, NULL, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: iforest: %s\n", st.msg);
		exit(1);
	}
	return m;
}

static pgl_model *
als(bool text)
{
	pgl_model *m = new_model(PGL_ALGO_ALS, PGL_TASK_RECOMMENDATION);
	const int  nu = 4, ni = 5, k = 3;
	/* user u saw items u and u + 1 (CSR) */
	pgl_tensor *t;

	if (text)
	{
		static const char *const users[] = {"ann", "bob", "cy", "dee"};
		static const char *const items[] = {"apple", "fig", "kiwi", "lime", "plum"};

		t = add_tensor(m, "user_keys", PGL_STR, 1, nu, 0);
		for (int i = 0; i < nu; i++)
			((char **) t->data)[i] = dup(users[i]);
		t = add_tensor(m, "item_keys", PGL_STR, 1, ni, 0);
		for (int i = 0; i < ni; i++)
			((char **) t->data)[i] = dup(items[i]);
	}
	else
	{
		t = add_tensor(m, "user_ids", PGL_I64, 1, nu, 0);
		for (int i = 0; i < nu; i++)
			((int64_t *) t->data)[i] = 10 * i + 7;
		t = add_tensor(m, "item_ids", PGL_I64, 1, ni, 0);
		for (int i = 0; i < ni; i++)
			((int64_t *) t->data)[i] = -5 + 100 * i;
	}
	fill_f32(add_tensor(m, "user_factors", PGL_F32, 2, nu, k), 0.3);
	fill_f32(add_tensor(m, "item_factors", PGL_F32, 2, ni, k), -0.2);
	fill_f32(add_tensor(m, "user_bias", PGL_F32, 1, nu, 0), 0.01);
	fill_f32(add_tensor(m, "item_bias", PGL_F32, 1, ni, 0), -0.02);
	*(double *) add_tensor(m, "global_mean", PGL_F64, 1, 1, 0)->data = 3.5;
	t = add_tensor(m, "item_popularity", PGL_F32, 1, ni, 0);
	for (int i = 0; i < ni; i++)
		((float *) t->data)[i] = (float) (i + 1);
	t = add_tensor(m, "seen_ptr", PGL_I64, 1, nu + 1, 0);
	for (int i = 0; i <= nu; i++)
		((int64_t *) t->data)[i] = 2 * i;
	t = add_tensor(m, "seen_items", PGL_I32, 1, 2 * nu, 0);
	for (int u = 0; u < nu; u++)
	{
		((int32_t *) t->data)[2 * u] = u;
		((int32_t *) t->data)[2 * u + 1] = u + 1;
	}
	t = add_tensor(m, "config", PGL_F64, 1, 8, 0);
	{
		/* implicit, l2, alpha, cg_steps, cold_start_error, iterations, k, duplicates */
		const double c[8] = {text ? 1 : 0, 0.05, 5, 3, 0, 10, 10, 0};

		memcpy(t->data, c, sizeof(c));
	}
	t = add_tensor(m, "columns", PGL_STR, 1, 3, 0);
	((char **) t->data)[0] = dup(text ? "customer" : "");
	((char **) t->data)[1] = dup("");
	((char **) t->data)[2] = dup(text ? "" : "stars");
	return m;
}

/*
 * Tree ensembles (xgboost, random_forest): a numeric feature whose impute is
 * NaN (a missing value follows each split's default direction) and a
 * categorical one, so inputs 0 "height", 1..3 "color" = blue, green, red.
 * Trees are given in depth-first preorder (trees.h).
 */
typedef struct seed_node
{
	int32_t feature; /* -1: leaf */
	float	threshold;
	int32_t left, right;
} seed_node;

typedef struct seed_tree
{
	const seed_node *nodes;
	int32_t			 n;
} seed_tree;

#define LEAF                                                                                       \
	{                                                                                              \
		-1, 0.0f, -1, -1                                                                           \
	}

/* depth 2, 5 nodes */
static const seed_node tree_a[] = {{0, 0.5f, 1, 4}, {2, 0.5f, 2, 3}, LEAF, LEAF, LEAF};

/* depth 3, 7 nodes */
static const seed_node tree_b[] = {
	{1, 0.5f, 1, 6}, {0, 2.5f, 2, 5}, {3, 0.5f, 3, 4}, LEAF, LEAF, LEAF, LEAF};

/* a lone leaf */
static const seed_node tree_c[] = {LEAF};

static const seed_tree seed_trees[] = {{tree_a, 5}, {tree_b, 7}, {tree_c, 1}};

static pgl_model *
tree_base(int32_t algorithm, int32_t task, int n_classes)
{
	static const char *const labels[] = {"bird", "cat", "dog"};
	pgl_model				*m = new_model(algorithm, task);

	add_numeric(m, "height", NAN);
	add_categorical(m, "color", 3, colors, 1);
	if (task == PGL_TASK_REGRESSION)
		set_target(m, "price", "numeric");
	else
	{
		set_target(m, "kind", "text");
		m->n_classes = n_classes;
		m->classes = calloc((size_t) n_classes, sizeof(char *));
		for (int i = 0; i < n_classes; i++)
			m->classes[i] = dup(n_classes == 2 ? (i == 0 ? "no" : "yes") : labels[i]);
	}
	return m;
}

/* the tree tensors of n_trees trees (tree t in group t % k) */
static void
add_trees(pgl_model *m, int32_t k, int32_t link, const char *objective, const seed_tree *trees,
		  int32_t n_trees)
{
	int64_t	 n = 0, at = 0;
	int64_t *off;
	int32_t *grp;
	int32_t *params, *sf, *dl, *lc, *rc;
	float	*thr;
	double	*base, *leaf, *cover, *gain;

	for (int32_t t = 0; t < n_trees; t++)
		n += trees[t].n;
	params = add_tensor(m, "tree_params", PGL_I32, 1, 2, 0)->data;
	params[0] = k;
	params[1] = link;
	off = add_tensor(m, "tree_offsets", PGL_I64, 1, n_trees + 1, 0)->data;
	grp = add_tensor(m, "tree_group", PGL_I32, 1, n_trees, 0)->data;
	/* one base score for every group, as XGBoost has (and its JSON export needs) */
	base = add_tensor(m, "base_score", PGL_F64, 1, k, 0)->data;
	for (int32_t g = 0; g < k; g++)
		base[g] = -0.25;
	sf = add_tensor(m, "split_feature", PGL_I32, 1, n, 0)->data;
	thr = add_tensor(m, "split_threshold", PGL_F32, 1, n, 0)->data;
	dl = add_tensor(m, "default_left", PGL_I32, 1, n, 0)->data;
	lc = add_tensor(m, "left_child", PGL_I32, 1, n, 0)->data;
	rc = add_tensor(m, "right_child", PGL_I32, 1, n, 0)->data;
	leaf = add_tensor(m, "leaf_value", PGL_F64, 1, n, 0)->data;
	cover = add_tensor(m, "cover", PGL_F64, 1, n, 0)->data;
	gain = add_tensor(m, "split_gain", PGL_F64, 1, n, 0)->data;
	((char **) add_tensor(m, "objective", PGL_STR, 1, 1, 0)->data)[0] = dup(objective);
	for (int32_t t = 0; t < n_trees; t++)
	{
		off[t] = at;
		grp[t] = t % k;
		for (int32_t i = 0; i < trees[t].n; i++)
		{
			const seed_node *s = &trees[t].nodes[i];
			int64_t			 g = at + i;

			sf[g] = s->feature;
			thr[g] = s->threshold;
			lc[g] = s->left;
			rc[g] = s->right;
			dl[g] = (int32_t) (g % 2);
			leaf[g] = s->feature < 0 ? 0.125 * (double) (g % 5) - 0.25 * (t % 3) : 0;
			gain[g] = s->feature < 0 ? 0 : 1.5 + (double) g;
		}
		/* children come after their parent: covers add up bottom-up */
		for (int32_t i = trees[t].n - 1; i >= 0; i--)
			cover[at + i] = trees[t].nodes[i].feature < 0
								? 1.0 + (double) ((at + i) % 3)
								: cover[at + lc[at + i]] + cover[at + rc[at + i]];
		at += trees[t].n;
	}
	off[n_trees] = at;
}

/* xgboost or random_forest: regression, or classification of 2 or 3 classes */
static pgl_model *
trees(int32_t algorithm, int32_t task, int n_classes, int32_t k, int32_t link,
	  const char *objective, int32_t n_trees)
{
	pgl_model *m = tree_base(algorithm, task, n_classes);
	seed_tree  ts[9];

	for (int32_t t = 0; t < n_trees; t++)
		ts[t] = seed_trees[t % 3];
	add_trees(m, k, link, objective, ts, n_trees);
	return m;
}

/*
 * Regression whose tree 0 is a chain of depth 64, the deepest allowed:
 * internal node 2j at depth j (j < 64) has the leaf 2j + 1 on its left and
 * node 2j + 2 on its right; node 128 is the leaf at depth 64.  Tree 1 has a
 * split and two leaves.
 */
static pgl_model *
trees_deep(void)
{
	pgl_model			  *m = tree_base(PGL_ALGO_XGBOOST, PGL_TASK_REGRESSION, 0);
	static const seed_node small[] = {{2, 0.5f, 1, 2}, LEAF, LEAF};
	seed_node			   chain[129];
	seed_tree			   ts[2] = {{chain, 129}, {small, 3}};

	for (int32_t i = 0; i < 129; i++)
	{
		seed_node n = LEAF;

		if (i % 2 == 0 && i < 128)
		{
			n.feature = (i / 2) % 4;
			n.threshold = 0.5f + (float) i;
			n.left = i + 1;
			n.right = i + 2;
		}
		chain[i] = n;
	}
	add_trees(m, 1, 0, "reg:squarederror", ts, 2);
	return m;
}

/* ---------- writing files ---------- */

static const char *outdir;

static void
put_file(const char *name, const uint8_t *buf, size_t len)
{
	char  path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

static void
restamp(uint8_t *b, size_t len)
{
	uint32_t crc;

	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t) ((uint64_t) len >> (8 * i));
	crc = pgl_crc32c(0, b, len - 4);
	for (int i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t) (crc >> (8 * i));
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* a copy of blob with n bytes at off replaced; restamp: fix length and CRC */
static void
variant(const char *name, const uint8_t *blob, size_t len, size_t off, uint64_t v, int n, bool fix)
{
	uint8_t *b = malloc(len);

	memcpy(b, blob, len);
	put_le(b + off, v, n);
	if (fix)
		restamp(b, len);
	put_file(name, b, len);
	free(b);
}

static void
seeds(const char *tag, pgl_model *m)
{
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;
	char	   name[256];
	uint8_t	  *b;

	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: %s: %s\n", tag, st.msg);
		exit(1);
	}
	snprintf(name, sizeof(name), "valid-%s", tag);
	put_file(name, blob, len);

	/* truncations: inside the header, inside the body, the CRC cut off */
	{
		size_t cuts[] = {3, 15, 40, len / 2, len - 4, len - 1};

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		{
			snprintf(name, sizeof(name), "trunc-%s-%zu", tag, cuts[i]);
			put_file(name, blob, cuts[i]);
			/* and with the length and CRC made to match the shorter blob */
			if (cuts[i] >= 20)
			{
				b = malloc(cuts[i]);
				memcpy(b, blob, cuts[i]);
				restamp(b, cuts[i]);
				snprintf(name, sizeof(name), "trunc-restamped-%s-%zu", tag, cuts[i]);
				put_file(name, b, cuts[i]);
				free(b);
			}
		}
	}
	/* bit flips: raw (the CRC catches them) and re-stamped (the structure must) */
	{
		size_t offs[] = {0, 5, 7, 16, 20, 24, 28, 33, len / 3, len / 2, 2 * len / 3, len - 6};

		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		{
			uint8_t byte = blob[offs[i]] ^ (uint8_t) (1u << (i % 8));

			snprintf(name, sizeof(name), "flip-%s-%zu", tag, offs[i]);
			variant(name, blob, len, offs[i], byte, 1, false);
			if (offs[i] >= 16)
			{
				/* a flipped parameter can still be a valid model: name it so */
				pgl_model *fm = NULL;

				b = malloc(len);
				memcpy(b, blob, len);
				b[offs[i]] = byte;
				restamp(b, len);
				memset(&st, 0, sizeof(st));
				snprintf(name, sizeof(name), "%sflip-restamped-%s-%zu",
						 pgl_model_read(env, b, len, &fm, &st) == PGL_OK ? "valid-" : "", tag,
						 offs[i]);
				pgl_model_free(env, fm);
				put_file(name, b, len);
				free(b);
			}
		}
	}
	/* lying counts and lengths, absurd sizes, ids, versions (re-stamped) */
#define TAGGED(what, off, v, n, fix)                                                               \
	do                                                                                             \
	{                                                                                              \
		snprintf(name, sizeof(name), "%s-%s", what, tag);                                          \
		variant(name, blob, len, off, v, n, fix);                                                  \
	} while (0)
	TAGGED("lie-n_features-max", 28, 0x7fffffff, 4, true);
	TAGGED("lie-n_features-negative", 28, 0xffffffff, 4, true);
	TAGGED("lie-string-length", 32, 0xfffffff0, 4, true);
	TAGGED("future-version", 4, PGL_FORMAT_VERSION + 1, 2, true);
	TAGGED("flags-set", 6, 1, 2, true);
	TAGGED("lie-total-length", 8, (uint64_t) len + 1000, 8, false);
	snprintf(name, sizeof(name), "wrong-algorithm-%s", tag);
	variant(name, blob, len, 16, 99, 4, true);
	snprintf(name, sizeof(name), "wrong-task-%s", tag);
	variant(name, blob, len, 20, m->task == 1 ? 2 : 1, 4, true);
	snprintf(name, sizeof(name), "trailing-byte-%s", tag);
	b = malloc(len + 1);
	memcpy(b, blob, len - 4);
	b[len - 4] = 0;
	restamp(b, len + 1);
	put_file(name, b, len + 1);
	free(b);
	free(blob);
}

/* set dims[d] of the tensor called name in a written blob; false if absent */
static bool
patch_dim(uint8_t *blob, size_t len, const char *name, int d, uint64_t v)
{
	size_t	 n = strlen(name);
	uint8_t	 key[64];
	uint8_t *p;

	put_le(key, n, 4);
	memcpy(key + 4, name, n);
	p = memmem(blob, len, key, n + 4);
	if (p == NULL)
		return false;
	put_le(p + 4 + n + 8 + 8 * (size_t) d, v, 8);
	return true;
}

/*
 * An als model with no users and no items but 5000 factors: no data bytes,
 * so the shape alone must be refused (the glue keeps k in an int32 and
 * sizes work arrays by it).
 */
static void
als_absurd_k(void)
{
	pgl_model *m = als(false);
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;

	/* shrink to 0 users and 0 items while keeping the writer happy */
	for (int i = 0; i < m->n_tensors; i++)
	{
		pgl_tensor *t = &m->tensors[i];

		if (strcmp(t->name, "config") == 0 || strcmp(t->name, "global_mean") == 0 ||
			strcmp(t->name, "columns") == 0)
			continue;
		if (strcmp(t->name, "seen_ptr") == 0)
			t->dims[0] = 1;
		else
			t->dims[0] = 0;
	}
	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: empty als: %s\n", st.msg);
		exit(1);
	}
	put_file("valid-als-empty", blob, len);
	patch_dim(blob, len, "user_factors", 1, 5000);
	patch_dim(blob, len, "item_factors", 1, 5000);
	restamp(blob, len);
	put_file("regress-als-empty-5000-factors", blob, len);
	patch_dim(blob, len, "user_factors", 1, (uint64_t) 1 << 33);
	patch_dim(blob, len, "item_factors", 1, (uint64_t) 1 << 33);
	restamp(blob, len);
	put_file("regress-als-empty-2^33-factors", blob, len);
	free(blob);
	pgl_model_free(env, m);
}

/* a tensor with absurd dimensions on the golden linear model */
static void
absurd_dims(void)
{
	pgl_model *m = linear();
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;
	uint8_t	  *p;

	memset(&st, 0, sizeof(st));
	pgl_model_write(env, m, &blob, &len, &st);
	/* the coef dims are the 16 bytes before its data, which ends at the CRC */
	p = blob + len - 4 - 8 * (size_t) pgl_tensor_count(&m->tensors[0]) - 16;
	put_le(p, (uint64_t) 1 << 40, 8);
	put_le(p + 8, (uint64_t) 1 << 40, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^40x2^40", blob, len);
	put_le(p, (uint64_t) 1 << 62, 8);
	put_le(p + 8, 0, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^62x0", blob, len);
	put_le(p, (uint64_t) 1 << 28, 8);
	put_le(p + 8, 1, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^28x1", blob, len);
	free(blob);
	pgl_model_free(env, m);
}

/* ---------- damaged tree models ---------- */

/*
 * The first occurrence of the string name (u32 length, bytes) at or after
 * from in a written blob, or exit: a generator bug.
 */
static uint8_t *
find_string(uint8_t *blob, size_t len, size_t from, const char *name)
{
	size_t	 n = strlen(name);
	uint8_t	 key[64];
	uint8_t *p;

	put_le(key, n, 4);
	memcpy(key + 4, name, n);
	p = memmem(blob + from, len - from, key, n + 4);
	if (p == NULL)
	{
		fprintf(stderr, "corpus_tool: no \"%s\" in the blob\n", name);
		exit(1);
	}
	return p;
}

typedef enum patch_kind
{
	PATCH_I32,
	PATCH_I64,
	PATCH_F32,
	PATCH_F64,
	PATCH_DTYPE,  /* the tensor's dtype field (same element size) */
	PATCH_RENAME, /* add value to the last byte of the tensor's name */
	PATCH_IMPUTE  /* "tensor" names a feature: its impute value */
} patch_kind;

typedef struct tree_patch
{
	const char *name; /* the seed is NAME-TAG */
	patch_kind	kind;
	const char *tensor; /* or feature */
	int64_t		index;
	double		value;
} tree_patch;

static void
apply_patch(uint8_t *b, size_t len, const tree_patch *p)
{
	/* the features start after the header and 4 i32 fields */
	uint8_t *s = find_string(b, len, p->kind == PATCH_IMPUTE ? 32 : 0, p->tensor);
	size_t	 n = strlen(p->tensor);
	uint8_t *after = s + 4 + n; /* tensor: dtype, ndim, dims; feature: type name */
	uint8_t *data = after + 8 + 8 * (size_t) after[4];
	uint64_t u;
	float	 f = (float) p->value;
	uint32_t u32;

	switch (p->kind)
	{
		case PATCH_I32:
			put_le(data + 4 * p->index, (uint64_t) (int64_t) p->value, 4);
			break;
		case PATCH_I64:
			put_le(data + 8 * p->index, (uint64_t) (int64_t) p->value, 8);
			break;
		case PATCH_F32:
			memcpy(&u32, &f, 4);
			put_le(data + 4 * p->index, u32, 4);
			break;
		case PATCH_F64:
			memcpy(&u, &p->value, 8);
			put_le(data + 8 * p->index, u, 8);
			break;
		case PATCH_DTYPE:
			put_le(after, (uint64_t) (int64_t) p->value, 4);
			break;
		case PATCH_RENAME:
			after[-1] = (uint8_t) (after[-1] + (int) p->value);
			break;
		case PATCH_IMPUTE:
			/* type name (u32 length, bytes), kind, then impute */
			memcpy(&u, &p->value, 8);
			put_le(after + 4 + (after[0] | (size_t) after[1] << 8) + 4, u, 8);
			break;
	}
}

/*
 * Copies of blob, each with a run of patches of the same name applied,
 * re-stamped, as NAME-TAG
 */
static void
patched(const char *tag, const uint8_t *blob, size_t len, const tree_patch *p, int n)
{
	for (int i = 0; i < n;)
	{
		uint8_t *b = malloc(len);
		char	 name[256];
		int		 j = i;

		memcpy(b, blob, len);
		for (; j < n && strcmp(p[j].name, p[i].name) == 0; j++)
			apply_patch(b, len, &p[j]);
		restamp(b, len);
		snprintf(name, sizeof(name), "%s-%s", p[i].name, tag);
		put_file(name, b, len);
		free(b);
		i = j;
	}
}

/* write m (which must be valid) and return its blob */
static uint8_t *
written(pgl_model *m, size_t *len, const char *what)
{
	uint8_t	  *blob;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &blob, len, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: %s: %s\n", what, st.msg);
		exit(1);
	}
	return blob;
}

#define NPATCH(a) ((int) (sizeof(a) / sizeof(a[0])))

/*
 * On the regression seed: tree 0 = nodes 0-4 (tree_a), tree 1 = nodes 5-11
 * (tree_b), tree 2 = node 12; child indices are within the tree.
 */
static const tree_patch regression_patches[] = {
	/* structure: cycles, shared children, out of range, preorder */
	{"tree-self-child", PATCH_I32, "right_child", 6, 1},
	{"tree-child-back-to-root", PATCH_I32, "right_child", 6, 0},
	{"tree-shared-child", PATCH_I32, "right_child", 5, 2},
	{"tree-left-child-not-next", PATCH_I32, "left_child", 5, 6},
	{"tree-child-out-of-range", PATCH_I32, "right_child", 5, 7},
	{"tree-child-far", PATCH_I32, "right_child", 0, 2147483647},
	{"tree-child-minus-2", PATCH_I32, "left_child", 0, -2},
	{"tree-internal-no-child", PATCH_I32, "right_child", 0, -1},
	{"tree-leaf-with-child", PATCH_I32, "left_child", 2, 3},
	{"tree-unreached-nodes", PATCH_I32, "split_feature", 0, -1},
	{"tree-unreached-nodes", PATCH_I32, "left_child", 0, -1},
	{"tree-unreached-nodes", PATCH_I32, "right_child", 0, -1},
	/* node values */
	{"tree-split-feature-n_inputs", PATCH_I32, "split_feature", 1, 4},
	{"tree-split-feature-minus-2", PATCH_I32, "split_feature", 1, -2},
	{"tree-split-feature-max", PATCH_I32, "split_feature", 5, 2147483647},
	{"tree-threshold-nan", PATCH_F32, "split_threshold", 0, NAN},
	{"tree-threshold-inf", PATCH_F32, "split_threshold", 6, -INFINITY},
	{"tree-threshold-nan-on-leaf", PATCH_F32, "split_threshold", 12, NAN},
	{"tree-leaf-nan", PATCH_F64, "leaf_value", 2, NAN},
	{"tree-leaf-inf-on-internal", PATCH_F64, "leaf_value", 0, INFINITY},
	{"tree-cover-negative", PATCH_F64, "cover", 3, -1},
	{"tree-cover-nan", PATCH_F64, "cover", 7, NAN},
	{"tree-default-left-2", PATCH_I32, "default_left", 4, 2},
	{"tree-base-score-inf", PATCH_F64, "base_score", 0, INFINITY},
	{"tree-split-gain-nan", PATCH_F64, "split_gain", 1, NAN},
	/* parameters and groups */
	{"tree-groups-0", PATCH_I32, "tree_params", 0, 0},
	{"tree-groups-2", PATCH_I32, "tree_params", 0, 2},
	{"tree-groups-huge", PATCH_I32, "tree_params", 0, 1000001},
	{"tree-link-4", PATCH_I32, "tree_params", 1, 4},
	{"tree-link-negative", PATCH_I32, "tree_params", 1, -1},
	{"tree-link-softmax", PATCH_I32, "tree_params", 1, 2},
	{"tree-group-out-of-range", PATCH_I32, "tree_group", 1, 1},
	{"tree-group-negative", PATCH_I32, "tree_group", 2, -1},
	/* offsets */
	{"tree-offsets-empty-tree", PATCH_I64, "tree_offsets", 1, 0},
	{"tree-offsets-decreasing", PATCH_I64, "tree_offsets", 2, 4},
	{"tree-offsets-start-1", PATCH_I64, "tree_offsets", 0, 1},
	{"tree-offsets-end-short", PATCH_I64, "tree_offsets", 3, 12},
	{"tree-offsets-huge", PATCH_I64, "tree_offsets", 1, 1099511627776.0},
	{"tree-offsets-negative", PATCH_I64, "tree_offsets", 1, -5},
	/* tensors missing or of the wrong dtype */
	{"tree-missing-split_gain", PATCH_RENAME, "split_gain", 0, 1},
	{"tree-missing-objective", PATCH_RENAME, "objective", 0, 1},
	{"tree-missing-cover", PATCH_RENAME, "cover", 0, 1},
	{"tree-missing-tree_params", PATCH_RENAME, "tree_params", 0, 1},
	{"tree-left_child-as-f32", PATCH_DTYPE, "left_child", 0, PGL_F32},
	{"tree-split_threshold-as-i32", PATCH_DTYPE, "split_threshold", 0, PGL_I32},
	{"tree-leaf_value-as-i64", PATCH_DTYPE, "leaf_value", 0, PGL_I64},
	/* impute: NaN only on a numeric feature */
	{"tree-nan-impute-categorical", PATCH_IMPUTE, "color", 0, NAN},
	{"tree-inf-impute", PATCH_IMPUTE, "height", 0, INFINITY},
};

/* the links a classifier's groups allow */
static const tree_patch binary_patches[] = {
	{"tree-link-identity", PATCH_I32, "tree_params", 1, 0},
	{"tree-link-softmax", PATCH_I32, "tree_params", 1, 2},
	{"tree-link-exp", PATCH_I32, "tree_params", 1, 3},
};
static const tree_patch binary2_patches[] = {
	{"tree-link-sigmoid", PATCH_I32, "tree_params", 1, 1},
};
static const tree_patch multi_patches[] = {
	{"tree-link-sigmoid", PATCH_I32, "tree_params", 1, 1},
	{"tree-groups-2", PATCH_I32, "tree_params", 0, 2},
	{"tree-group-out-of-range", PATCH_I32, "tree_group", 5, 3},
};

/* NaN impute: only for the algorithms that learn where a missing value goes */
static const tree_patch nan_impute_linear[] = {{"nan-impute", PATCH_IMPUTE, "sqft", 0, NAN}};
static const tree_patch nan_impute_logistic[] = {{"nan-impute", PATCH_IMPUTE, "age", 0, NAN}};
static const tree_patch nan_impute_kmeans[] = {{"nan-impute", PATCH_IMPUTE, "y", 0, NAN}};

/*
 * Depth 65: on the deep seed, the leaf 128 at depth 64 becomes a split
 * whose children are the next two nodes (tree 1's split, made a leaf, and
 * its first leaf); tree 1 keeps its last leaf.
 */
static const tree_patch depth65_patches[] = {
	{"tree-depth-65", PATCH_I32, "split_feature", 128, 0},
	{"tree-depth-65", PATCH_I32, "left_child", 128, 129},
	{"tree-depth-65", PATCH_I32, "right_child", 128, 130},
	{"tree-depth-65", PATCH_I32, "split_feature", 129, -1},
	{"tree-depth-65", PATCH_I32, "left_child", 129, -1},
	{"tree-depth-65", PATCH_I32, "right_child", 129, -1},
	{"tree-depth-65", PATCH_I64, "tree_offsets", 1, 131},
};

static void
tree_seeds(void)
{
	struct
	{
		const char		 *tag;
		pgl_model		 *m;
		const tree_patch *p;
		int				  n;
		bool			  generic; /* and the truncations, flips, lies of seeds() */
	} models[] = {
		{"xgboost-regression",
		 trees(PGL_ALGO_XGBOOST, PGL_TASK_REGRESSION, 0, 1, 0, "reg:squarederror", 3),
		 regression_patches, NPATCH(regression_patches), true},
		{"xgboost-binary",
		 trees(PGL_ALGO_XGBOOST, PGL_TASK_CLASSIFICATION, 2, 1, 1, "binary:logistic", 3),
		 binary_patches, NPATCH(binary_patches), true},
		{"xgboost-multi",
		 trees(PGL_ALGO_XGBOOST, PGL_TASK_CLASSIFICATION, 3, 3, 2, "multi:softprob", 6),
		 multi_patches, NPATCH(multi_patches), true},
		{"random-forest",
		 trees(PGL_ALGO_RANDOM_FOREST, PGL_TASK_REGRESSION, 0, 1, 0, "reg:squarederror", 4), NULL,
		 0, true},
		{"xgboost-binary-softmax",
		 trees(PGL_ALGO_XGBOOST, PGL_TASK_CLASSIFICATION, 2, 2, 2, "multi:softprob", 4),
		 binary2_patches, NPATCH(binary2_patches), false},
		{"random-forest-poisson",
		 trees(PGL_ALGO_RANDOM_FOREST, PGL_TASK_REGRESSION, 0, 1, 3, "count:poisson", 2), NULL, 0,
		 false},
		{"linear", linear(), nan_impute_linear, 1, false},
		{"logistic-binary", logistic(2), nan_impute_logistic, 1, false},
		{"kmeans", kmeans(), nan_impute_kmeans, 1, false},
	};

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
	{
		size_t	 len;
		uint8_t *blob = written(models[i].m, &len, models[i].tag);
		char	 name[256];

		if (models[i].generic)
			seeds(models[i].tag, models[i].m);
		else if (models[i].m->algorithm >= PGL_ALGO_XGBOOST)
		{
			snprintf(name, sizeof(name), "valid-%s", models[i].tag);
			put_file(name, blob, len);
		}
		patched(models[i].tag, blob, len, models[i].p, models[i].n);
		free(blob);
		pgl_model_free(env, models[i].m);
	}

	/* the deepest tree allowed, and one level more */
	{
		pgl_model *m = trees_deep();
		size_t	   len;
		uint8_t	  *blob = written(m, &len, "deep trees");

		put_file("valid-xgboost-depth-64", blob, len);
		patched("xgboost", blob, len, depth65_patches, NPATCH(depth65_patches));
		free(blob);
		pgl_model_free(env, m);
	}
}

/*
 * Hostile date and array features: an unknown kind, a non-finite or
 * unaligned origin, an impute beyond the range, a date kind in a version 1
 * blob, a version 2 blob without one (the writer writes the lowest
 * version), array elements out of range, out of order or of another array.
 */
static void
time_seeds(void)
{
	pgl_model *m = linear_date();
	size_t	   len;
	uint8_t	  *blob = written(m, &len, "linear-date");
	/* sold_on: name, type "date", kind, impute, impute_category, n_categories, origin */
	size_t	 kind = (size_t) (find_string(blob, len, 32, "sold_on") - blob) + 4 + 7 + 4 + 4;
	size_t	 impute = kind + 4, origin = kind + 4 + 8 + 4 + 4;
	double	 v;
	uint64_t u;

#define F64(x) (v = (x), memcpy(&u, &v, 8), u)
	variant("time-kind-unknown-linear-date", blob, len, kind, PGL_FEATURE_KIND_MAX + 1, 4, true);
	variant("time-kind-tokens-linear-date", blob, len, kind, PGL_FEATURE_TOKENS, 4, true);
	variant("time-kind-text-linear-date", blob, len, kind, PGL_FEATURE_TEXT, 4, true);
	variant("time-kind-numeric-with-origin-linear-date", blob, len, kind, PGL_FEATURE_NUMERIC, 4,
			true);
	variant("time-origin-nan-linear-date", blob, len, origin, F64(NAN), 8, true);
	variant("time-origin-inf-linear-date", blob, len, origin, F64(-INFINITY), 8, true);
	variant("time-origin-not-midnight-linear-date", blob, len, origin, F64(1704067200.5), 8, true);
	variant("time-origin-huge-linear-date", blob, len, origin, F64(8.64e20), 8, true);
	variant("time-impute-huge-linear-date", blob, len, impute, F64(1e300), 8, true);
	variant("time-impute-nan-linear-date", blob, len, impute, F64(NAN), 8, true);
	variant("time-in-version-1-linear-date", blob, len, 4, 1, 2, true);
	variant("valid-time-origin-1969-linear-date", blob, len, origin, F64(-86400.0), 8, true);
	/* rooms: 3 element features; each record ends with element, length */
	{
		size_t first = (size_t) (find_string(blob, len, 32, "rooms") - blob);
		size_t tail = 4 + 5 + 4 + 18 + 4 + 8 + 4 + 4; /* name, type, kind, impute, cat, n */
		size_t rec = tail + 8;						  /* + element, length */

		variant("array-element-beyond-length-linear-date", blob, len, first + tail, 3, 4, true);
		variant("array-length-0-linear-date", blob, len, first + tail + 4, 0, 4, true);
		variant("array-length-huge-linear-date", blob, len, first + tail + 4, 0x7fffffff, 4, true);
		variant("array-starts-at-1-linear-date", blob, len, first + tail, 1, 4, true);
		variant("array-skips-an-element-linear-date", blob, len, first + rec + tail, 2, 4, true);
		variant("array-other-length-linear-date", blob, len, first + rec + tail + 4, 4, 4, true);
		variant("array-ends-early-linear-date", blob, len, first + tail + 4, 4, 4, true);
		variant("array-renamed-element-linear-date", blob, len, first + rec + 4, 'R', 1, true);
		variant("array-element-negative-linear-date", blob, len, first + tail, 0xffffffff, 4, true);
	}
#undef F64
	free(blob);
	pgl_model_free(env, m);

	m = linear();
	blob = written(m, &len, "linear");
	variant("version-2-without-dates-linear", blob, len, 4, 2, 2, true);
	free(blob);
	pgl_model_free(env, m);
}

/*
 * Hostile text features: terms out of order or repeated, an idf below 1,
 * NaN or cut short, 3-grams, a sublinear flag of 2, a text kind in a
 * version 1 blob.
 */
static void
text_seeds(void)
{
	pgl_model *m = logistic_text();
	size_t	   len;
	uint8_t	  *blob = written(m, &len, "logistic-text");
	/* after the last term "zebra": i32 ngram_max, i32 sublinear, f64 idf[4] */
	size_t	 ngram = (size_t) (find_string(blob, len, 32, "zebra") - blob) + 4 + 5;
	size_t	 idf = ngram + 8;
	double	 v;
	uint64_t u;

#define F64(x) (v = (x), memcpy(&u, &v, 8), u)
	variant("text-ngram-3-logistic-text", blob, len, ngram, 3, 4, true);
	variant("text-ngram-0-logistic-text", blob, len, ngram, 0, 4, true);
	variant("text-sublinear-2-logistic-text", blob, len, ngram + 4, 2, 4, true);
	variant("text-idf-below-1-logistic-text", blob, len, idf + 8, F64(0.5), 8, true);
	variant("text-idf-nan-logistic-text", blob, len, idf, F64(NAN), 8, true);
	variant("text-idf-inf-logistic-text", blob, len, idf + 24, F64(INFINITY), 8, true);
	variant("valid-text-idf-1-logistic-text", blob, len, idf, F64(1.0), 8, true);
	/* "good" -> "aood": before "awful", out of order */
	variant("text-terms-unsorted-logistic-text", blob, len,
			(size_t) (find_string(blob, len, 32, "good") - blob) + 4, 'a', 1, true);
	variant("text-kind-numeric-logistic-text", blob, len,
			(size_t) (find_string(blob, len, 32, "body") - blob) + 4 + 4 + 4 + 4, 1, 4, true);
	variant("text-in-version-1-logistic-text", blob, len, 4, 1, 2, true);
#undef F64
	free(blob);
	pgl_model_free(env, m);
}

/*
 * A neural_net over a text column (the option "text"): a tokens feature
 * (BPE: tokens a, ab</w>, b</w>, the merge a + b</w>; max_len 4) into an
 * embedding of 5 ids, a global average pool and a softmax.
 */
static const char *const bpe_tokens[] = {"a", "ab</w>", "b</w>"};

static pgl_model *
tokens_nn(void)
{
	pgl_nn_layer_spec l[3];
	pgl_nn_spec		  spec;
	pgl_nn			 *net;
	pgl_status		  st;
	pgl_model		 *m = new_model(PGL_ALGO_NEURAL_NET, PGL_TASK_CLASSIFICATION);
	double			  config[PGL_NN_CONFIG_LEN] = {0};
	pgl_feature		 *f;

	memset(l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	l[0].type = PGL_NN_EMBEDDING;
	l[0].vocab = 5;
	l[0].units = 3;
	l[1].type = PGL_NN_GLOBAL_AVG_POOL1D;
	l[2].type = PGL_NN_DENSE;
	l[2].units = 2;
	l[2].activation = PGL_NN_SOFTMAX;
	nn_spec(&spec, l, 3, 1, 1, 1, 4, PGL_NN_LOSS_SOFTMAX_CE, 2);
	m->features = calloc(1, sizeof(pgl_feature));
	m->n_features = 1;
	m->n_inputs = 1;
	f = &m->features[0];
	f->name = dup("review");
	f->type_name = dup("text");
	f->kind = PGL_FEATURE_TOKENS;
	f->n_categories = 3;
	f->categories = calloc(3, sizeof(char *));
	for (int i = 0; i < 3; i++)
		f->categories[i] = dup(bpe_tokens[i]);
	f->tokenizer = PGL_TOKENIZER_BPE;
	f->length = 4;
	f->n_merges = 1;
	f->merges = calloc(3, sizeof(int32_t));
	f->merges[0] = 2;
	f->merges[1] = 4;
	f->merges[2] = 3;
	set_target(m, "y", "text");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = dup("negative");
	m->classes[1] = dup("positive");
	config[PGL_NN_CFG_SCALE] = 1;
	config[PGL_NN_CFG_Y_SD] = 1;
	config[PGL_NN_CFG_INPUT_KIND] = PGL_NN_INPUT_ARRAY;
	if (pgl_nn_create(env, &spec, 1, &net, &st) != PGL_OK ||
		pgl_nn_to_model(env, net, config, NULL, NULL, NULL, m, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: nn-tokens: %s\n", st.msg);
		exit(1);
	}
	pgl_nn_destroy(env, net);
	return m;
}

/*
 * Hostile tokens features: a tokenizer or max_len out of range, a max_len
 * the network does not read, tokens out of order, a merge that does not
 * join its tokens or names an id out of range, two merges of one pair, a
 * lying merge count, merges in a word vocabulary, tokens in a version 1 blob.
 */
static void
tokens_seeds(void)
{
	pgl_model *m = tokens_nn();
	size_t	   len;
	uint8_t	  *blob = written(m, &len, "nn-tokens");
	/* after the last token "b</w>": i32 tokenizer, i32 max_len, i32 n_merges, 3 i32 per merge */
	size_t tok = (size_t) (find_string(blob, len, 32, "b</w>") - blob) + 4 + 5;
	size_t merge = tok + 12;

	variant("tokens-tokenizer-3-nn-tokens", blob, len, tok, 3, 4, true);
	variant("tokens-tokenizer-word-with-merges-nn-tokens", blob, len, tok, PGL_TOKENIZER_WORD, 4,
			true);
	variant("tokens-max-len-0-nn-tokens", blob, len, tok + 4, 0, 4, true);
	variant("tokens-max-len-huge-nn-tokens", blob, len, tok + 4, 1u << 30, 4, true);
	variant("tokens-max-len-not-the-input-nn-tokens", blob, len, tok + 4, 5, 4, true);
	variant("tokens-merges-count-lies-nn-tokens", blob, len, tok + 8, 1u << 28, 4, true);
	variant("tokens-merges-negative-nn-tokens", blob, len, tok + 8, 0xffffffffu, 4, true);
	variant("tokens-merge-not-joined-nn-tokens", blob, len, merge, 4, 4, true);
	variant("tokens-merge-id-0-nn-tokens", blob, len, merge + 4, 0, 4, true);
	variant("tokens-merge-id-beyond-nn-tokens", blob, len, merge + 8, 5, 4, true);
	/* "a" -> "c": after "ab</w>", out of order */
	variant("tokens-unsorted-nn-tokens", blob, len,
			(size_t) (find_string(blob, len, 32, "a") - blob) + 4, 'c', 1, true);
	variant("tokens-kind-numeric-nn-tokens", blob, len,
			(size_t) (find_string(blob, len, 32, "review") - blob) + 4 + 6 + 4 + 4, 1, 4, true);
	variant("tokens-in-version-1-nn-tokens", blob, len, 4, 1, 2, true);
	/* the merge written twice (n_merges 2): each merge joins, but one pair has two ranks */
	{
		uint8_t *b = malloc(len + 12);

		memcpy(b, blob, merge + 12);
		memcpy(b + merge + 12, blob + merge, len - merge);
		put_le(b + tok + 8, 2, 4);
		restamp(b, len + 12);
		put_file("tokens-merge-pair-twice-nn-tokens", b, len + 12);
		free(b);
	}
	free(blob);
	pgl_model_free(env, m);
}

/*
 * Hostile sparse layers (all restamped, so only validation can refuse
 * them): column indexes out of range or not increasing, row pointers not
 * from 0 or decreasing, a count of nonzeros that is not the pointers', a
 * layer out of order, a padding half that is not 0; and the same model
 * with a valid change (another value).
 */
static void
sparse_seeds(void)
{
	pgl_model *m = sparse_nn();
	size_t	   len;
	uint8_t	  *blob = written(m, &len, "nn-sparse");
	/* data of a 1-d tensor: its name (4 + n), dtype, ndim, one dim */
	size_t table = (size_t) (find_string(blob, len, 16, "nn_sparse") - blob) + 4 + 9 + 8 + 16;
	size_t ptr = (size_t) (find_string(blob, len, 16, "nn_csr_ptr") - blob) + 4 + 10 + 8 + 8;
	size_t idx = (size_t) (find_string(blob, len, 16, "nn_csr_idx") - blob) + 4 + 10 + 8 + 8;
	size_t val = (size_t) (find_string(blob, len, 16, "nn_csr_val") - blob) + 4 + 10 + 8 + 8;

	/* matrix 1 (W0 transposed, 8 rows of 3 columns): row 0 holds columns 0, 1, 2 */
	variant("sparse-idx-out-of-range-nn-sparse", blob, len, idx, 3, 2, true);
	variant("sparse-idx-not-increasing-nn-sparse", blob, len, idx + 2, 0, 2, true);
	variant("sparse-ptr-not-from-0-nn-sparse", blob, len, ptr, 1, 4, true);
	variant("sparse-ptr-decreasing-nn-sparse", blob, len, ptr + 4, 4, 4, true);
	variant("sparse-nnz-not-ptr-nn-sparse", blob, len, table + 12, 5, 4, true);
	variant("sparse-nnz-huge-nn-sparse", blob, len, table + 12, 0x7FFFFFFF, 4, true);
	variant("sparse-layer-twice-nn-sparse", blob, len, table + 16, 0, 4, true);
	variant("sparse-layer-out-of-range-nn-sparse", blob, len, table + 16, 64, 4, true);
	variant("sparse-rows-not-units-nn-sparse", blob, len, table + 4, 9, 4, true);
	/* 11 nonzeros: the high half of the sixth element is padding */
	variant("sparse-idx-padding-nn-sparse", blob, len, idx + 5 * 4 + 2, 1, 2, true);
	variant("sparse-val-nan-nn-sparse", blob, len, val + 8, 0x7FC00000, 4, true);
	variant("valid-sparse-val-changed-nn-sparse", blob, len, val + 8, 0x3F800000, 4, true);
	free(blob);
	pgl_model_free(env, m);
}

/*
 * Drift summaries (docs/model-format.md, "Drift summaries"): linear() with a
 * 4-bin histogram of sqft, none for rooms and the top 2 values of color,
 * and damaged variants: a negative count, edges out of order, a NaN edge,
 * a top value outside the vocabulary, counts that do not add up.
 */
static void
drift_seeds(void)
{
	pgl_model		 *m = linear();
	pgl_drift_feature f[3];
	double			  edges[] = {100, 800, 1200, 1900, 5000};
	int64_t			  hist[] = {25, 25, 25, 25}, top[] = {60, 30};
	char			 *vals[] = {"red", "blue"};
	pgl_status		  st;
	uint8_t			 *blob;
	size_t			  len, e, c, v, x;
	double			  d;
	uint64_t		  u;

	memset(f, 0, sizeof(f));
	memset(&st, 0, sizeof(st));
	f[0] = (pgl_drift_feature){PGL_DRIFT_NUMERIC, 110, 10, 4, 0, edges, hist, NULL};
	f[2] = (pgl_drift_feature){PGL_DRIFT_CATEGORICAL, 100, 5, 2, 5, NULL, top, vals};
	if (pgl_drift_store(env, m, f, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: drift: %s\n", st.msg);
		exit(1);
	}
	seeds("linear-drift", m);
	blob = written(m, &len, "linear-drift");
	/* tensor data: name, dtype, ndim, one dim */
	e = (size_t) (find_string(blob, len, 16, "drift_edges") - blob) + 4 + 11 + 4 + 4 + 8;
	c = (size_t) (find_string(blob, len, 16, "drift_counts") - blob) + 4 + 12 + 4 + 4 + 8;
	v = (size_t) (find_string(blob, len, 16, "drift_values") - blob) + 4 + 12 + 4 + 4 + 8;
	x = (size_t) (find_string(blob, len, 16, "drift_index") - blob) + 4 + 11 + 4 + 4 + 16;
#define F64(x) (d = (x), memcpy(&u, &d, 8), u)
	variant("drift-count-negative-linear-drift", blob, len, c + 8, (uint64_t) -1, 8, true);
	variant("drift-edges-unsorted-linear-drift", blob, len, e + 16, F64(700), 8, true);
	variant("drift-edge-nan-linear-drift", blob, len, e + 8, F64(NAN), 8, true);
	variant("drift-value-unknown-linear-drift", blob, len, v + 4, 'x', 1, true);
	variant("drift-top-count-wrong-linear-drift", blob, len, c + 4 * 8, 61, 8, true);
	variant("drift-index-nulls-above-rows-linear-drift", blob, len, x + 16, 111, 8, true);
#undef F64
	free(blob);
	pgl_model_free(env, m);
}

static int
gen(void)
{
	struct
	{
		const char *tag;
		pgl_model  *m;
	} models[] = {
		{"linear", linear()},
		{"logistic-binary", logistic(2)},
		{"logistic-multi", logistic(4)},
		{"kmeans", kmeans()},
		{"als-int", als(false)},
		{"als-text", als(true)},
		{"linear-date", linear_date()},
		{"nn-transformer", transformer_nn()},
		{"nn-sparse", sparse_nn()},
		{"logistic-text", logistic_text()},
		{"nn-tokens", tokens_nn()},
		{"iforest", iforest()},
		{"nn-vae", vae_nn()},
	};

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
	{
		seeds(models[i].tag, models[i].m);
		pgl_model_free(env, models[i].m);
	}
	absurd_dims();
	als_absurd_k();
	tree_seeds();
	time_seeds();
	text_seeds();
	tokens_seeds();
	sparse_seeds();
	drift_seeds();
	return 0;
}

/* ---------- checking ---------- */

static bool verdict_mode = false;

static int
check(const char *dir)
{
	DIR			  *d = opendir(dir);
	struct dirent *e;
	int			   bad = 0, n = 0;

	if (d == NULL)
	{
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL)
	{
		char	   path[4096];
		FILE	  *f;
		uint8_t	  *buf;
		long	   len;
		pgl_model *m = NULL;
		pgl_status st;
		bool	   want_valid = strncmp(e->d_name, "valid-", 6) == 0;
		pgl_rc	   rc;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
		{
			perror(path);
			return 1;
		}
		rewind(f);
		buf = malloc((size_t) len + 1);
		if (fread(buf, 1, (size_t) len, f) != (size_t) len)
		{
			perror(path);
			return 1;
		}
		fclose(f);
		memset(&st, 0, sizeof(st));
		rc = pgl_model_read(env, buf, (size_t) len, &m, &st);
		n++;
		if (verdict_mode)
		{
			printf("%s %s\n", e->d_name, rc == PGL_OK ? "ok" : "refused");
			pgl_model_free(env, m);
			free(buf);
			continue;
		}
		if (want_valid && rc != PGL_OK)
		{
			printf("# %s: rejected: %s\n", e->d_name, st.msg);
			bad++;
		}
		else if (!want_valid && (rc != PGL_ERR_CORRUPT || m != NULL || st.msg[0] == '\0'))
		{
			printf("# %s: not rejected as corrupt (rc %d)\n", e->d_name, (int) rc);
			bad++;
		}
		else if (want_valid)
		{
			uint8_t *out;
			size_t	 olen;

			if (pgl_model_write(env, m, &out, &olen, &st) != PGL_OK || olen != (size_t) len ||
				memcmp(out, buf, olen) != 0)
			{
				printf("# %s: does not write back identically\n", e->d_name);
				bad++;
			}
			else
				free(out);
		}
		else if (getenv("CORPUS_VERBOSE"))
			printf("# %-40s %s\n", e->d_name, st.msg);
		pgl_model_free(env, m);
		free(buf);
	}
	closedir(d);
	if (verdict_mode)
		return 0;
	printf("# %d corpus files, %d unexpected\n", n, bad);
	return bad > 0 || n == 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
	{
		outdir = argv[2];
		return gen();
	}
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	if (argc == 3 && strcmp(argv[1], "verdict") == 0)
	{
		verdict_mode = true;
		return check(argv[2]);
	}
	fprintf(stderr, "usage: corpus_tool gen|check|verdict DIR\n");
	return 2;
}
