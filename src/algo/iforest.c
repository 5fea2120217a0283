/*-------------------------------------------------------------------------
 *
 * iforest.c
 *	  Isolation forest (iforest.h): growing the trees, scoring, the
 *	  threshold, and the validation of the tensors read back.
 *
 * Tensors, all trees' nodes concatenated (T trees, N nodes):
 *	"iforest_offsets"		i64 [T + 1]: tree t has the nodes offsets[t] .. offsets[t + 1] - 1
 *	"node_feature"		i32 [N]: the input a node splits on, or -1 for a leaf
 *	"node_threshold"	f64 [N]: its split value (x <= value goes left); 0 at a leaf
 *	"node_left"			i32 [N]: the left child, an index within the tree; -1 at a leaf
 *	"node_right"		i32 [N]: the right child, likewise
 *	"node_size"			i32 [N]: the sample rows that reached the node (>= 1)
 *	"config"			f64 [4]: n_estimators, max_samples (rows per tree), features per
 *						tree, contamination (0: "auto")
 *	"anomaly_threshold"	f64 [1]: a row whose score is above it is an anomaly
 * Children come after their parent within a tree (preorder), which the
 * reader checks: a walk from the root always ends.
 *
 *-------------------------------------------------------------------------
 */
#include "iforest.h"
#include "schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EULER_GAMMA 0.5772156649015329

/* ---------- random numbers (splitmix64: seeded, the same on every machine) ---------- */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) */
static int64_t
rng_below(uint64_t *s, int64_t n)
{
	return (int64_t) (rng_next(s) % (uint64_t) n);
}

/* uniform in (0, 1) */
static double
rng_open01(uint64_t *s)
{
	return ((double) (rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double
pgl_iforest_c(double n)
{
	if (n > 2)
		return 2.0 * (log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n;
	return n == 2 ? 1.0 : 0.0;
}

/* ---------- growing ---------- */

/* one tree's nodes while it grows (capacity 2 psi - 1) */
typedef struct tree_build
{
	const double *X;
	int64_t		  ld;
	int64_t		 *rows;	 /* the sample, partitioned in place */
	int32_t		 *feats; /* the tree's inputs */
	int32_t		 *order; /* scratch: the tree's inputs in a random order */
	int32_t		  n_feats;
	int32_t		  height; /* the height limit */
	uint64_t	  rng;
	int32_t		  n_nodes; /* used */
	int32_t		 *feature; /* per node */
	double		 *threshold;
	int32_t		 *left;
	int32_t		 *right;
	int32_t		 *size;
} tree_build;

/* the min and max of input f over rows[0 .. cnt) */
static void
range_of(const tree_build *b, int32_t f, const int64_t *rows, int64_t cnt, double *lo, double *hi)
{
	const double *col = b->X + (size_t) f * (size_t) b->ld;

	*lo = *hi = col[rows[0]];
	for (int64_t i = 1; i < cnt; i++)
	{
		double v = col[rows[i]];

		if (v < *lo)
			*lo = v;
		if (v > *hi)
			*hi = v;
	}
}

/* grow the node of rows[0 .. cnt) at depth; returns its index */
static int32_t
grow(tree_build *b, int64_t *rows, int64_t cnt, int32_t depth)
{
	int32_t id = b->n_nodes++;
	int32_t f = -1;
	double	lo = 0, hi = 0, t;
	int64_t nl;

	b->feature[id] = -1;
	b->threshold[id] = 0;
	b->left[id] = b->right[id] = -1;
	b->size[id] = (int32_t) cnt;
	if (depth >= b->height || cnt <= 1)
		return id;
	/* the tree's inputs in a random order: the first not constant here */
	memcpy(b->order, b->feats, sizeof(int32_t) * (size_t) b->n_feats);
	for (int32_t k = 0; k < b->n_feats && f < 0; k++)
	{
		int32_t j = k + (int32_t) rng_below(&b->rng, b->n_feats - k);
		int32_t tmp = b->order[k];

		b->order[k] = b->order[j];
		b->order[j] = tmp;
		range_of(b, b->order[k], rows, cnt, &lo, &hi);
		if (lo < hi)
			f = b->order[k];
	}
	if (f < 0)
		return id; /* every input constant: a leaf */
	t = lo + rng_open01(&b->rng) * (hi - lo);
	if (!(t >= lo && t < hi))
		t = lo; /* rounding reached hi: keep both sides non-empty */
	/* partition: x <= t first */
	nl = 0;
	for (int64_t i = 0; i < cnt; i++)
		if (b->X[(size_t) f * (size_t) b->ld + rows[i]] <= t)
		{
			int64_t tmp = rows[nl];

			rows[nl++] = rows[i];
			rows[i] = tmp;
		}
	b->feature[id] = f;
	b->threshold[id] = t;
	b->left[id] = grow(b, rows, nl, depth + 1);
	b->right[id] = grow(b, rows + nl, cnt - nl, depth + 1);
	return id;
}

/* ---------- tensors ---------- */

static const char *const tensor_names[] = {"iforest_offsets", "node_feature",	  "node_threshold",
										   "node_left",		  "node_right",		  "node_size",
										   "config",		  "anomaly_threshold"};
static const int32_t	 tensor_dtypes[] = {PGL_I64, PGL_I32, PGL_F64, PGL_I32,
											PGL_I32, PGL_I32, PGL_F64, PGL_F64};
#define N_TENSORS 8

/* append the forest's tensors to m (1-d, dims given), zeroed */
static pgl_rc
add_tensors(const pgl_env *env, pgl_model *m, int64_t trees, int64_t nodes, pgl_status *st)
{
	int64_t		dims[N_TENSORS] = {trees + 1, nodes, nodes, nodes, nodes, nodes, 4, 1};
	pgl_tensor *all = pgl_alloc0(env, sizeof(pgl_tensor) * (size_t) (m->n_tensors + N_TENSORS));

	if (all == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	if (m->n_tensors > 0)
		memcpy(all, m->tensors, sizeof(pgl_tensor) * (size_t) m->n_tensors);
	pgl_free(env, m->tensors);
	m->tensors = all;
	for (int i = 0; i < N_TENSORS; i++)
	{
		pgl_tensor *t = &m->tensors[m->n_tensors];
		size_t		esize = tensor_dtypes[i] == PGL_I32 ? 4 : 8;

		strcpy(t->name, tensor_names[i]);
		t->dtype = tensor_dtypes[i];
		t->ndim = 1;
		t->dims[0] = dims[i];
		t->data = pgl_alloc0(env, esize * (size_t) (dims[i] > 0 ? dims[i] : 1));
		if (t->data == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		m->n_tensors++;
	}
	return PGL_OK;
}

#define TENSOR(m, name) ((pgl_model_tensor((m), (name)))->data)

/* ---------- training ---------- */

/* the rows per tree: "auto" min(256, n), a fraction of n, or a count (at most n) */
static pgl_rc
resolve_samples(double max_samples, int64_t n, int64_t *psi, pgl_status *st)
{
	if (max_samples < 0)
		*psi = n < 256 ? n : 256;
	else if (max_samples <= 1)
		*psi = (int64_t) floor(max_samples * (double) n);
	else if (max_samples != floor(max_samples) || max_samples > PGL_IFOREST_MAX_SAMPLES)
		return pgl_fail(st, PGL_ERR_INVALID,
						"max_samples must be a fraction in (0, 1] or a whole number of rows up to "
						"%d, not %g",
						PGL_IFOREST_MAX_SAMPLES, max_samples);
	else
		*psi = (int64_t) max_samples < n ? (int64_t) max_samples : n;
	if (*psi < 1)
		*psi = 1;
	return PGL_OK;
}

static pgl_rc
check_params(const pgl_iforest_params *pr, int64_t n, int32_t p, pgl_status *st)
{
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "isolation_forest needs at least 1 training row");
	if (p < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "isolation_forest needs at least 1 input");
	if (pr->n_estimators < 1 || pr->n_estimators > PGL_IFOREST_MAX_TREES)
		return pgl_fail(st, PGL_ERR_INVALID, "n_estimators must be between 1 and %d, not %d",
						PGL_IFOREST_MAX_TREES, (int) pr->n_estimators);
	if (!(pr->max_features > 0 && pr->max_features <= 1))
		return pgl_fail(st, PGL_ERR_INVALID, "max_features must be a fraction in (0, 1], not %g",
						pr->max_features);
	if (!(pr->contamination >= 0 && pr->contamination <= 0.5))
		return pgl_fail(st, PGL_ERR_INVALID,
						"contamination must be \"auto\" or a fraction in (0, 0.5], not %g",
						pr->contamination);
	return PGL_OK;
}

/* the q inputs of a tree: a partial shuffle of all p */
static void
draw_features(uint64_t *rng, int32_t *all, int32_t p, int32_t q)
{
	for (int32_t k = 0; k < q; k++)
	{
		int32_t j = k + (int32_t) rng_below(rng, p - k);
		int32_t tmp = all[k];

		all[k] = all[j];
		all[j] = tmp;
	}
}

/* sort helper of the threshold's quantile */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* the threshold: 0.5 ("auto") or the training scores' quantile at 1 - contamination */
static pgl_rc
set_threshold(const pgl_env *env, pgl_model *m, const double *score, int64_t n, double c,
			  pgl_status *st)
{
	double *thr = TENSOR(m, "anomaly_threshold");
	double *s, pos, frac;
	int64_t i;

	if (c == 0)
	{
		*thr = 0.5;
		return PGL_OK;
	}
	s = pgl_alloc(env, sizeof(double) * (size_t) n);
	if (s == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	memcpy(s, score, sizeof(double) * (size_t) n);
	qsort(s, (size_t) n, sizeof(double), cmp_double);
	pos = (1.0 - c) * (double) (n - 1);
	i = (int64_t) floor(pos);
	frac = pos - (double) i;
	*thr = i + 1 < n ? s[i] + frac * (s[i + 1] - s[i]) : s[n - 1];
	pgl_free(env, s);
	return PGL_OK;
}

/* grow every tree into the tensors (allocated for T trees of up to 2 psi - 1 nodes) */
static pgl_rc
grow_forest(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p, int64_t psi,
			int32_t q, const pgl_iforest_params *pr, pgl_model *m, pgl_status *st)
{
	int64_t	  *offsets = TENSOR(m, "iforest_offsets");
	int64_t	  *all_rows = pgl_alloc(env, sizeof(int64_t) * (size_t) n);
	int32_t	  *all_feats = pgl_alloc(env, sizeof(int32_t) * (size_t) p);
	int32_t	  *order = pgl_alloc(env, sizeof(int32_t) * (size_t) p);
	int64_t	  *sample = pgl_alloc(env, sizeof(int64_t) * (size_t) psi);
	uint64_t   rng = pr->seed ^ 0x6A09E667F3BCC908ULL;
	tree_build b;
	int32_t	   height = 0;

	if (!all_rows || !all_feats || !order || !sample)
	{
		pgl_free(env, all_rows);
		pgl_free(env, all_feats);
		pgl_free(env, order);
		pgl_free(env, sample);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	while (height < 62 && ((int64_t) 1 << height) < psi)
		height++;
	for (int64_t i = 0; i < n; i++)
		all_rows[i] = i;
	for (int32_t j = 0; j < p; j++)
		all_feats[j] = j;
	memset(&b, 0, sizeof(b));
	b.X = X;
	b.ld = ld;
	b.height = height;
	b.n_feats = q;
	b.order = order;
	offsets[0] = 0;
	for (int32_t t = 0; t < pr->n_estimators; t++)
	{
		int64_t base = offsets[t];

		/* the sample: a partial Fisher-Yates shuffle of the row indexes */
		for (int64_t k = 0; k < psi; k++)
		{
			int64_t j = k + rng_below(&rng, n - k);
			int64_t tmp = all_rows[k];

			all_rows[k] = all_rows[j];
			all_rows[j] = tmp;
		}
		memcpy(sample, all_rows, sizeof(int64_t) * (size_t) psi);
		draw_features(&rng, all_feats, p, q);
		b.feats = all_feats;
		b.rng = rng_next(&rng);
		b.rows = sample;
		b.n_nodes = 0;
		b.feature = (int32_t *) TENSOR(m, "node_feature") + base;
		b.threshold = (double *) TENSOR(m, "node_threshold") + base;
		b.left = (int32_t *) TENSOR(m, "node_left") + base;
		b.right = (int32_t *) TENSOR(m, "node_right") + base;
		b.size = (int32_t *) TENSOR(m, "node_size") + base;
		grow(&b, sample, psi, 0);
		offsets[t + 1] = base + b.n_nodes;
		if (t % 16 == 15)
			pgl_interrupts(env);
	}
	pgl_free(env, all_rows);
	pgl_free(env, all_feats);
	pgl_free(env, order);
	pgl_free(env, sample);
	return PGL_OK;
}

/* the node tensors cut to the nodes grown (they were sized for the most) */
static void
shrink_nodes(pgl_model *m)
{
	const pgl_tensor *off = pgl_model_tensor(m, "iforest_offsets");
	int64_t			  used = ((const int64_t *) off->data)[off->dims[0] - 1];

	for (int i = 1; i <= 5; i++)
		((pgl_tensor *) pgl_model_tensor(m, tensor_names[i]))->dims[0] = used;
}

pgl_rc
pgl_iforest_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
				const pgl_iforest_params *pr, pgl_model *m, double *train_score, pgl_status *st)
{
	int64_t psi = 0;
	int32_t q;
	double *cfg, *score;
	pgl_rc	rc;

	if ((rc = check_params(pr, n, p, st)) != PGL_OK ||
		(rc = resolve_samples(pr->max_samples, n, &psi, st)) != PGL_OK)
		return rc;
	q = (int32_t) floor(pr->max_features * (double) p);
	if (q < 1)
		q = 1;
	for (int64_t j = 0; j < p; j++)
		for (int64_t i = 0; i < n; i++)
			if (!isfinite(X[i + j * ld]))
				return pgl_fail(st, PGL_ERR_INVALID,
								"input %lld of training row %lld is not finite", (long long) j + 1,
								(long long) i + 1);
	if ((rc = add_tensors(env, m, pr->n_estimators, (int64_t) pr->n_estimators * (2 * psi - 1),
						  st)) != PGL_OK ||
		(rc = grow_forest(env, X, ld, n, p, psi, q, pr, m, st)) != PGL_OK)
		return rc;
	shrink_nodes(m);
	cfg = TENSOR(m, "config");
	cfg[0] = pr->n_estimators;
	cfg[1] = (double) psi;
	cfg[2] = q;
	cfg[3] = pr->contamination;
	score = train_score ? train_score : pgl_alloc(env, sizeof(double) * (size_t) n);
	if (score == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	/* the scorer checks the threshold's range: give it a valid one first */
	*(double *) TENSOR(m, "anomaly_threshold") = 0.5;
	rc = pgl_iforest_score(env, m, X, ld, n, score, st);
	if (rc == PGL_OK)
		rc = set_threshold(env, m, score, n, pr->contamination, st);
	if (score != train_score)
		pgl_free(env, score);
	return rc;
}

/* ---------- scoring ---------- */

/* the node arrays of a forest, looked up once per scoring call */
typedef struct forest_view
{
	const int64_t *offsets;
	int64_t		   trees;
	const int32_t *feature;
	const double  *thr;
	const int32_t *left;
	const int32_t *right;
	const int32_t *size;
} forest_view;

/* the path length of row i (X column-major, ld) in the tree of nodes base .. */
static double
path_length(const forest_view *f, int64_t base, const double *X, int64_t ld, int64_t i)
{
	const int32_t *feature = f->feature + base;
	const double  *thr = f->thr + base;
	const int32_t *left = f->left + base;
	const int32_t *right = f->right + base;
	int32_t		   node = 0, depth = 0;

	while (feature[node] >= 0)
	{
		node = X[i + (size_t) feature[node] * (size_t) ld] <= thr[node] ? left[node] : right[node];
		depth++;
	}
	return depth + pgl_iforest_c(f->size[base + node]);
}

pgl_rc
pgl_iforest_score(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld, int64_t n,
				  double *out, pgl_status *st)
{
	const pgl_tensor *off = pgl_model_tensor(m, "iforest_offsets");
	forest_view		  f = {off->data,
						   off->dims[0] - 1,
						   TENSOR(m, "node_feature"),
						   TENSOR(m, "node_threshold"),
						   TENSOR(m, "node_left"),
						   TENSOR(m, "node_right"),
						   TENSOR(m, "node_size")};
	double			  cn = pgl_iforest_c(((const double *) TENSOR(m, "config"))[1]);
	const int64_t	  block = 256;

	for (int64_t r0 = 0; r0 < n; r0 += block)
	{
		int64_t r1 = r0 + block < n ? r0 + block : n;

		for (int64_t i = r0; i < r1; i++)
		{
			for (int32_t j = 0; j < m->n_inputs; j++)
				if (isnan(X[i + (size_t) j * (size_t) ld]))
					return pgl_fail(st, PGL_ERR_INVALID, "input %d of row %lld is NaN", (int) j + 1,
									(long long) i + 1);
			out[i] = 0;
		}
		for (int64_t t = 0; t < f.trees; t++)
			for (int64_t i = r0; i < r1; i++)
				out[i] += path_length(&f, f.offsets[t], X, ld, i);
		for (int64_t i = r0; i < r1; i++)
		{
			/* c(psi) = 0 (one row per tree): every row is as isolated, score 1 */
			out[i] = cn > 0 ? exp2(-(out[i] / (double) f.trees) / cn) : 1.0;
		}
		if (r1 < n && (r1 / block) % 64 == 0)
			pgl_interrupts(env);
	}
	return PGL_OK;
}

double
pgl_iforest_threshold(const pgl_model *m)
{
	return *(const double *) TENSOR(m, "anomaly_threshold");
}

/* ---------- the algorithm table's operations ---------- */

pgl_rc
pgl_iforest_train(const pgl_env *env, const pgl_dataset *d, const pgl_train_params *params,
				  pgl_model *m, pgl_train_info *info, pgl_status *st)
{
	pgl_iforest_params pr;

	pr.n_estimators = params->n_estimators > 0 ? params->n_estimators : 100;
	pr.max_samples = params->subsample > 0 ? params->subsample : -1;
	pr.max_features = params->colsample_bytree > 0 ? params->colsample_bytree : 1.0;
	pr.contamination = params->contamination > 0 ? params->contamination : 0;
	pr.seed = params->seed;
	info->iterations = pr.n_estimators;
	info->loss = NAN;
	info->rank = 0;
	return pgl_iforest_fit(env, d->X, d->ld, d->n, d->p, &pr, m, NULL, st);
}

/* a 1-d tensor of this dtype and length (len < 0: any) */
static const pgl_tensor *
want(const pgl_model *m, int i, int64_t len, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, tensor_names[i]);

	if (t == NULL || t->dtype != tensor_dtypes[i] || t->ndim != 1 || t->dims[0] < 1 ||
		(len >= 0 && t->dims[0] != len))
	{
		pgl_fail(st, PGL_ERR_CORRUPT, "isolation_forest model has no valid \"%s\" tensor",
				 tensor_names[i]);
		return NULL;
	}
	return t;
}

/* the nodes of one tree, base .. base + count - 1 */
static pgl_rc
validate_tree(const pgl_model *m, int64_t t, int64_t base, int64_t count, int64_t psi,
			  pgl_status *st)
{
	const int32_t *feature = (const int32_t *) TENSOR(m, "node_feature") + base;
	const double  *thr = (const double *) TENSOR(m, "node_threshold") + base;
	const int32_t *left = (const int32_t *) TENSOR(m, "node_left") + base;
	const int32_t *right = (const int32_t *) TENSOR(m, "node_right") + base;
	const int32_t *size = (const int32_t *) TENSOR(m, "node_size") + base;

	for (int64_t k = 0; k < count; k++)
	{
		if (size[k] < 1 || size[k] > psi)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest tree %lld node %lld has size %d, not in [1, %lld]",
							(long long) t, (long long) k, (int) size[k], (long long) psi);
		if (feature[k] == -1)
		{
			if (left[k] != -1 || right[k] != -1)
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"isolation_forest tree %lld leaf %lld has children", (long long) t,
								(long long) k);
			continue;
		}
		if (feature[k] < 0 || feature[k] >= m->n_inputs)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest tree %lld node %lld splits on input %d of %d",
							(long long) t, (long long) k, (int) feature[k], (int) m->n_inputs);
		if (!isfinite(thr[k]))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest tree %lld node %lld has a non-finite split value",
							(long long) t, (long long) k);
		/* children after their parent: every walk from the root ends */
		if (left[k] <= k || right[k] <= k || left[k] >= count || right[k] >= count ||
			left[k] == right[k])
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest tree %lld node %lld has invalid children",
							(long long) t, (long long) k);
	}
	return PGL_OK;
}

pgl_rc
pgl_iforest_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *off, *cfg_t, *thr_t;
	const int64_t	 *offsets;
	const double	 *cfg;
	int64_t			  trees, nodes;

	if (m->task != PGL_TASK_ANOMALY || m->n_classes != 0 || m->n_inputs < 1)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"isolation_forest model is not an anomaly model with inputs");
	if (!(off = want(m, 0, -1, st)) || !(cfg_t = want(m, 6, 4, st)) || !(thr_t = want(m, 7, 1, st)))
		return st->rc;
	offsets = off->data;
	cfg = cfg_t->data;
	trees = off->dims[0] - 1;
	if (trees < 1 || trees > PGL_IFOREST_MAX_TREES || cfg[0] != (double) trees ||
		!(cfg[1] >= 1 && cfg[1] <= PGL_IFOREST_MAX_SAMPLES && cfg[1] == floor(cfg[1])) ||
		!(cfg[2] >= 1 && cfg[2] <= m->n_inputs && cfg[2] == floor(cfg[2])) ||
		!(cfg[3] >= 0 && cfg[3] <= 0.5))
		return pgl_fail(st, PGL_ERR_CORRUPT, "isolation_forest model \"config\" is invalid");
	{
		double thr = *(const double *) thr_t->data;

		if (!(thr >= 0 && thr <= 1))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest model \"anomaly_threshold\" is not in [0, 1]");
	}
	nodes = offsets[trees];
	if (offsets[0] != 0 || nodes < trees || nodes > trees * (2 * (int64_t) cfg[1] - 1))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"isolation_forest model \"tree_offsets\" do not delimit its nodes");
	for (int i = 1; i <= 5; i++)
		if (!want(m, i, nodes, st))
			return st->rc;
	for (int64_t t = 0; t < trees; t++)
	{
		pgl_rc rc;

		if (offsets[t + 1] <= offsets[t] || offsets[t + 1] > nodes)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"isolation_forest model \"tree_offsets\" are not ascending");
		rc = validate_tree(m, t, offsets[t], offsets[t + 1] - offsets[t], (int64_t) cfg[1], st);
		if (rc != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

/* ---------- options ---------- */

const pgl_option_spec pgl_isolation_forest_options[] = {
	{"n_estimators", PGL_OPT_INTEGER, PGL_SLOT_N_ESTIMATORS, 1, PGL_IFOREST_MAX_TREES, 0, NULL,
	 "100", "number of isolation trees", "10"},
	{"max_samples", PGL_OPT_NUMBER, PGL_SLOT_SUBSAMPLE, 0, PGL_IFOREST_MAX_SAMPLES,
	 PGL_OPT_LO_OPEN | PGL_OPT_AUTO, NULL, "\"auto\" (min(256, rows))",
	 "rows drawn for each tree: a fraction of the rows (<= 1) or a number of rows (at most all)",
	 "32"},
	{"max_features", PGL_OPT_NUMBER, PGL_SLOT_COLSAMPLE_BYTREE, 0, 1, PGL_OPT_LO_OPEN, NULL, "1",
	 "fraction of the inputs each tree splits on", "0.5"},
	{"contamination", PGL_OPT_NUMBER, PGL_SLOT_CONTAMINATION, 0, 0.5,
	 PGL_OPT_LO_OPEN | PGL_OPT_AUTO, NULL, "\"auto\"",
	 "expected share of anomalies: the threshold is the training score that share exceeds "
	 "(\"auto\": the score 0.5, as the paper)",
	 "0.1"},
	OPT_EXCLUDE,
	OPT_NULLS,
	{"seed", PGL_OPT_INTEGER, PGL_SLOT_SEED, 0, 9007199254740992.0, 0, NULL, "42",
	 "seed of the samples, inputs and split values", "7"},
	{"deploy", PGL_OPT_DEPLOY, PGL_SLOT_DEPLOY, 0, 0, 0, NULL, "true",
	 "make the new version live: true or false (an anomaly model has no metric for "
	 "\"if_better\")",
	 "false"},
	{"keep_versions", PGL_OPT_INTEGER, PGL_SLOT_KEEP_VERSIONS, 1, 1000000, 0, NULL, "all",
	 "keep at most this many undeployed versions: older ones are dropped", "3"},
	PGL_OPTION_END};
