/*-------------------------------------------------------------------------
 *
 * fuzz_model.c
 *	  libFuzzer harness over the model reader (src/algo/model_format.c).
 *
 * Each input is read twice by pgl_model_read:
 *
 *	1. as it is, which exercises the envelope (magic, version, flags,
 *	   declared length, CRC-32C);
 *	2. with the declared length and the CRC re-stamped to match the bytes,
 *	   so that mutations reach the body parser and the structural and
 *	   algorithm validation instead of dying at the checksum.
 *
 * For every read it checks that:
 *
 *	- a rejected blob gives PGL_ERR_CORRUPT, a message, *out == NULL, and
 *	  frees everything it allocated;
 *	- the reader never holds more than a small multiple of the blob's size
 *	  (MEM_FACTOR) in allocations, so an absurd count or dimension is
 *	  refused before anything is allocated for it (libFuzzer's
 *	  -malloc_limit_mb and -rss_limit_mb are the second line);
 *	- an accepted blob is canonical: writing the model back gives the
 *	  identical bytes;
 *	- an accepted model is usable the way the glue uses it: the
 *	  algorithm's predict on a few rows, and for als the view the glue
 *	  builds (pgl_rec_view), a top-k for user 0 excluding its seen items
 *	  and the items similar to item 0.  Outputs are in range (labels in
 *	  [0, k), probabilities in [0, 1] and summing to 1, no NaN); for tree
 *	  ensembles also what ai_explain, ai_feature_importance and
 *	  ai_export_model do: TreeSHAP (each row's contributions sum to its
 *	  margin), the split statistics and the XGBoost JSON writer.
 *
 * Any violation aborts, which libFuzzer reports as a crash with the input.
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "als.h"
#include "family.h"
#include "model_format.h"
#include "subword.h"
#include "trees.h"
#include "xgb_json.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FACTOR 16
#define MEM_SLACK  4096

static size_t live_bytes;
static size_t mem_budget;

static void *
budget_alloc(void *arg, size_t size)
{
	void *p;

	(void) arg;
	if (size > mem_budget || live_bytes + size > mem_budget)
	{
		fprintf(stderr,
				"fuzz_model: reader asked for %zu bytes with %zu live; budget for this blob is "
				"%zu\n",
				size, live_bytes, mem_budget);
		abort();
	}
	p = malloc(size);
	if (p != NULL)
		live_bytes += malloc_usable_size(p);
	return p;
}

static void
budget_free(void *arg, void *ptr)
{
	(void) arg;
	if (ptr != NULL)
	{
		live_bytes -= malloc_usable_size(ptr);
		free(ptr);
	}
}

static const pgl_env budget_env = {
	.arg = NULL,
	.alloc = budget_alloc,
	.free = budget_free,
};

static const pgl_env *heap = &pgl_malloc_env;

#define CHECK(cond, ...)                                                                           \
	do                                                                                             \
	{                                                                                              \
		if (!(cond))                                                                               \
		{                                                                                          \
			fprintf(stderr, "fuzz_model: check failed: %s: ", #cond);                              \
			fprintf(stderr, __VA_ARGS__);                                                          \
			fputc('\n', stderr);                                                                   \
			abort();                                                                               \
		}                                                                                          \
	} while (0)

static const void *
tensor_data(const pgl_model *m, const char *name)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	return t ? t->data : NULL;
}

/* a few rows through the algorithm's predict */
/* a forecast model read back: every series forecast 3 steps, the values finite and banded */
static void
use_forecast(const pgl_model *m)
{
	const pgl_tensor *keys = pgl_model_tensor(m, "fc_keys");
	const int32_t	  h = 3;
	size_t			  wb = pgl_fc_forecast_work(m, h);
	void			 *work = malloc(wb > 0 ? wb : 1);
	double			  tmp[9], mean[3], lo[3], hi[3];
	pgl_status		  st;

	CHECK(keys != NULL && work != NULL, "forecast model without fc_keys read back");
	for (int64_t s = 0; s < keys->dims[0] && s < 64; s++)
	{
		memset(&st, 0, sizeof(st));
		if (pgl_fc_series_forecast(m, s, h, 0.9, work, tmp, mean, lo, hi, &st) != PGL_OK)
			continue;
		for (int32_t i = 0; i < h; i++)
			CHECK(!(lo[i] > mean[i]) && !(mean[i] > hi[i]),
				  "series %lld step %d: band [%g, %g] does not hold the forecast %g", (long long) s,
				  (int) i, lo[i], hi[i], mean[i]);
	}
	free(work);
}

static void
use_dense(const pgl_model *m, const pgl_algo_ops *ops)
{
	const int64_t n = 3;
	int32_t		  p = m->n_inputs;
	int32_t		  ncol = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
	double		 *X = calloc((size_t) n * (size_t) (p > 0 ? p : 1), sizeof(double));
	double		 *out = calloc((size_t) n * (size_t) ncol, sizeof(double));
	pgl_status	  st;

	CHECK(X != NULL && out != NULL, "out of memory for %d inputs", (int) p);
	/* row 0 zeros, row 1 ones, row 2 the impute values / first categories */
	for (int32_t j = 0, col = 0; j < m->n_features; j++)
	{
		const pgl_feature *f = &m->features[j];

		if (f->kind == PGL_FEATURE_NUMERIC || f->kind == PGL_FEATURE_TOKENS)
		{
			X[n * col + 1] = 1.0;
			X[n * col + 2] = f->impute;
			col++;
		}
		else
		{
			X[n * (col + f->impute_category) + 2] = 1.0;
			for (int32_t c = 0; c < f->n_categories; c++)
				X[n * (col + c) + 1] = 1.0;
			col += f->n_categories;
		}
	}
	memset(&st, 0, sizeof(st));
	if (ops->predict(heap, m, X, n, n, out, &st) == PGL_OK)
	{
		if (m->task == PGL_TASK_CLASSIFICATION)
			for (int64_t i = 0; i < n; i++)
			{
				double s = 0;

				for (int32_t c = 0; c < ncol; c++)
				{
					double v = out[i * ncol + c];

					CHECK(v >= 0 && v <= 1, "probability %g of class %d", v, (int) c);
					s += v;
				}
				CHECK(fabs(s - 1) < 1e-6, "probabilities sum to %g", s);
			}
		else if (m->task == PGL_TASK_CLUSTERING)
		{
			int64_t k = pgl_model_tensor(m, "centroids")->dims[0];

			for (int64_t i = 0; i < n; i++)
				CHECK(out[i] >= 0 && out[i] < k, "cluster %g of %lld", out[i], (long long) k);
		}
		else
			for (int64_t i = 0; i < n; i++)
				CHECK(!isnan(out[i]), "prediction %lld is NaN", (long long) i);
	}
	else
		CHECK(st.msg[0] != '\0', "predict failed without a message");
	free(X);
	free(out);
}

/*
 * Does every child cover at most its parent's cover?  The validator does not
 * require it (an XGBoost parent's cover is the sum of its children's, up to
 * binary32 rounding); where it fails, TreeSHAP's cover fractions exceed 1
 * and can grow to 1e308, so its sums are compared only where it holds.
 */
static bool
covers_nested(const pgl_trees *t)
{
	for (int32_t k = 0; k < t->n_trees; k++)
	{
		int64_t base = t->tree_offsets[k];

		for (int64_t g = base; g < t->tree_offsets[k + 1]; g++)
			if (t->split_feature[g] >= 0 && (t->cover[base + t->left_child[g]] > t->cover[g] ||
											 t->cover[base + t->right_child[g]] > t->cover[g]))
				return false;
	}
	return true;
}

/*
 * What the glue does with a tree model beyond predict (explain.c,
 * importance.c, transfer.c), on the rows use_dense predicts: zeros, ones,
 * the impute values (NaN for a numeric feature: the default directions).
 */
static void
use_trees(const pgl_model *m)
{
	const int64_t	  n = 3;
	const pgl_tensor *gain = pgl_model_tensor(m, "split_gain");
	pgl_trees		  t;
	pgl_status		  st;
	int32_t			  p = m->n_inputs, k;
	double			 *X, *margin, *phi, *w, *g, *c;
	char			 *json = NULL;
	size_t			  len = 0;

	memset(&st, 0, sizeof(st));
	CHECK(pgl_trees_get(m, &t, &st) == PGL_OK, "accepted tree model: %s", st.msg);
	CHECK(gain != NULL, "accepted tree model without split_gain");
	k = t.n_groups;
	X = calloc((size_t) n * (size_t) (p > 0 ? p : 1), sizeof(double));
	margin = calloc((size_t) (n * k), sizeof(double));
	phi = calloc((size_t) (n * k) * (size_t) (p + 1), sizeof(double));
	w = calloc((size_t) p + 1, sizeof(double));
	g = calloc((size_t) p + 1, sizeof(double));
	c = calloc((size_t) p + 1, sizeof(double));
	CHECK(X && margin && phi && w && g && c, "out of memory for %d inputs, %d groups", (int) p,
		  (int) k);
	for (int32_t j = 0, col = 0; j < m->n_features; j++)
	{
		const pgl_feature *f = &m->features[j];
		int32_t			   width = f->kind == PGL_FEATURE_NUMERIC ? 1 : f->n_categories;

		for (int32_t i = 0; i < width; i++)
			X[n * (col + i) + 1] = 1.0;
		if (f->kind == PGL_FEATURE_NUMERIC)
			X[n * col + 2] = f->impute;
		else
			X[n * (col + f->impute_category) + 2] = 1.0;
		col += width;
	}
	pgl_trees_predict_margin(&t, X, n, n, margin);
	if (pgl_trees_shap(heap, &t, X, n, n, phi, &st) != PGL_OK)
		CHECK(st.msg[0] != '\0', "TreeSHAP failed without a message");
	else if (covers_nested(&t))
		for (int64_t r = 0; r < n * k; r++)
		{
			const double *v = phi + r * (p + 1);
			double		  sum = 0, scale = fabs(margin[r]);

			for (int32_t j = 0; j <= p; j++)
			{
				sum += v[j];
				scale += fabs(v[j]);
			}
			/* compare only where nothing overflowed */
			if (isfinite(scale))
				CHECK(fabs(sum - margin[r]) <= 1e-9 * (1 + scale),
					  "row %lld group %lld: contributions sum to %.17g, margin %.17g",
					  (long long) (r / k), (long long) (r % k), sum, margin[r]);
		}
	pgl_trees_split_stats(&t, gain->data, w, g, c);
	for (int32_t j = 0; j < p; j++)
		CHECK(w[j] >= 0 && w[j] == (double) (int64_t) w[j], "input %d has %g splits", (int) j,
			  w[j]);
	memset(&st, 0, sizeof(st));
	if (pgl_xgb_json_write(heap, m, &json, &len, &st) == PGL_OK)
		CHECK(json != NULL && strlen(json) == len, "XGBoost JSON of %zu bytes", len);
	else
		CHECK(st.msg[0] != '\0', "XGBoost JSON export failed without a message");
	free(json);
	free(X);
	free(margin);
	free(phi);
	free(w);
	free(g);
	free(c);
}

/* what the recommender glue does with a model (src/recommend.c) */
static void
use_als(const pgl_model *m)
{
	const pgl_tensor *uf = pgl_model_tensor(m, "user_factors");
	const pgl_tensor *vf = pgl_model_tensor(m, "item_factors");
	const int64_t	 *seen_ptr = tensor_data(m, "seen_ptr");
	const int32_t	 *seen_items = tensor_data(m, "seen_items");
	pgl_als_model	  als;
	int32_t			  items[5];
	float			  scores[5];
	int32_t			  n_out = 0;
	pgl_status		  st;

	/* the glue's int32 view: validation must guarantee these fit */
	CHECK(uf->dims[0] <= INT32_MAX && vf->dims[0] <= INT32_MAX && uf->dims[1] >= 1 &&
			  uf->dims[1] <= 1024,
		  "als shape %lld x %lld, %lld items", (long long) uf->dims[0], (long long) uf->dims[1],
		  (long long) vf->dims[0]);
	memset(&als, 0, sizeof(als));
	als.n_users = (int32_t) uf->dims[0];
	als.n_items = (int32_t) vf->dims[0];
	als.k = (int32_t) uf->dims[1];
	als.U = uf->data;
	als.V = vf->data;
	als.user_bias = (float *) tensor_data(m, "user_bias");
	als.item_bias = (float *) tensor_data(m, "item_bias");
	als.mu = *(const double *) tensor_data(m, "global_mean");

	/* ai_evaluate's column_option (src/recommend_train.c) */
	{
		const pgl_tensor *t = pgl_model_tensor(m, "columns");

		if (t != NULL && t->dtype == PGL_STR && t->dims[0] == 3)
			for (int c = 0; c < 3; c++)
				CHECK(((char *const *) t->data)[c] != NULL, "column name %d", c);
	}
	/* the config values the glue branches on */
	{
		const double *cfg = tensor_data(m, "config");

		CHECK(cfg[6] >= 1 && cfg[6] <= 1000 && (cfg[0] == 0 || cfg[0] == 1), "config k %g", cfg[6]);
	}

	if (als.n_users > 0)
	{
		memset(&st, 0, sizeof(st));
		if (pgl_als_recommend(heap, &als, als.U, als.user_bias[0], seen_items + seen_ptr[0],
							  seen_ptr[1] - seen_ptr[0], 5, items, scores, &n_out, &st) == PGL_OK)
		{
			CHECK(n_out >= 0 && n_out <= 5, "%d recommendations", (int) n_out);
			for (int32_t i = 0; i < n_out; i++)
				CHECK(items[i] >= 0 && items[i] < als.n_items && !isnan(scores[i]),
					  "recommended item %d score %g", (int) items[i], scores[i]);
		}
	}
	if (als.n_items > 0)
	{
		memset(&st, 0, sizeof(st));
		if (pgl_als_similar(heap, als.V, als.n_items, als.k, 0, 5, items, scores, &n_out, &st) ==
			PGL_OK)
		{
			CHECK(n_out >= 0 && n_out <= 5, "%d similar items", (int) n_out);
			for (int32_t i = 0; i < n_out; i++)
				CHECK(items[i] > 0 && items[i] < als.n_items, "similar item %d", (int) items[i]);
		}
	}
}

/* a tokens feature that passed the reader encodes documents into ids 0 .. n_categories + 1 */
static void
use_tokens(const pgl_feature *f)
{
	static const char doc[] = "ab abab ba b a aab Ünïcode zz ab</w> " PGL_TOK_EOW;
	pgl_tok_vocab	  v = {f->tokenizer, f->n_categories, f->categories, f->n_merges, f->merges};
	pgl_tok_encoder	 *e;
	pgl_status		  st;
	int32_t			  ids[16];
	int64_t			  n;

	memset(&st, 0, sizeof(st));
	if (pgl_tok_encoder_create(heap, &v, &e, &st) != PGL_OK)
	{
		/* the reader checked the merges: only memory may fail */
		CHECK(st.rc == PGL_ERR_NOMEM, "tokens encoder: rc %d: %s", (int) st.rc, st.msg);
		return;
	}
	n = pgl_tok_encode(e, doc, sizeof(doc) - 1, ids, 16);
	CHECK(n >= 0, "tokens: out of memory");
	for (int64_t i = 0; i < n && i < 16; i++)
		CHECK(ids[i] >= PGL_TOK_UNK && ids[i] < PGL_TOK_FIRST + f->n_categories, "token id %d",
			  (int) ids[i]);
	pgl_tok_encoder_free(e);
}

static void
read_one(const uint8_t *data, size_t size)
{
	pgl_model *m = (pgl_model *) 1;
	pgl_status st;
	pgl_rc	   rc;

	memset(&st, 0, sizeof(st));
	live_bytes = 0;
	mem_budget = MEM_FACTOR * size + MEM_SLACK;
	rc = pgl_model_read(&budget_env, data, size, &m, &st);
	if (rc != PGL_OK)
	{
		CHECK(rc == PGL_ERR_CORRUPT, "rc %d: %s", (int) rc, st.msg);
		CHECK(m == NULL, "rejected read left a model");
		CHECK(st.msg[0] != '\0', "rejected read without a message");
		CHECK(live_bytes == 0, "rejected read leaked %zu bytes", live_bytes);
		return;
	}

	/* canonical: the model writes back to the same bytes */
	{
		uint8_t *out = NULL;
		size_t	 len = 0;

		mem_budget = SIZE_MAX / 2;
		CHECK(pgl_model_write(heap, m, &out, &len, &st) == PGL_OK, "rewrite refused: %s", st.msg);
		CHECK(len == size && memcmp(out, data, size) == 0, "rewrite differs (%zu vs %zu bytes)",
			  len, size);
		free(out);
	}

	if (m->n_features == 1 && m->features[0].kind == PGL_FEATURE_TOKENS)
		use_tokens(&m->features[0]);
	if (m->algorithm == PGL_ALGO_ALS)
		use_als(m);
	else if (m->algorithm == PGL_ALGO_FORECAST)
		use_forecast(m);
	else
		use_dense(m, pgl_algo_by_id(m->algorithm));
	if (m->algorithm == PGL_ALGO_XGBOOST || m->algorithm == PGL_ALGO_RANDOM_FOREST)
		use_trees(m);

	pgl_model_free(&budget_env, m);
	CHECK(live_bytes == 0, "model_free left %zu bytes", live_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	read_one(data, size);

	/* again with a matching length and CRC, to get past the envelope */
	if (size < 20)
		return 0;
	copy = malloc(size);
	memcpy(copy, data, size);
	for (int i = 0; i < 8; i++)
		copy[8 + i] = (uint8_t) ((uint64_t) size >> (8 * i));
	{
		uint32_t crc = pgl_crc32c(0, copy, size - 4);

		for (int i = 0; i < 4; i++)
			copy[size - 4 + i] = (uint8_t) (crc >> (8 * i));
	}
	if (memcmp(copy, data, size) != 0)
		read_one(copy, size);
	free(copy);
	return 0;
}
