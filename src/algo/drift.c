/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Training summaries of the features (histograms, top values), their
 *	  tensors in the model with the reader's checks, and the drift
 *	  statistics (PSI, KS, Jensen-Shannon) against new data.  See drift.h
 *	  and docs/model-format.md, "Drift summaries".
 *
 *-------------------------------------------------------------------------
 */
#include "drift.h"
#include "prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T_INDEX	   "drift_index"
#define T_EDGES	   "drift_edges"
#define T_COUNTS   "drift_counts"
#define T_VALUES   "drift_values"
#define INDEX_COLS 5 /* kind, rows, nulls, n, other */

/* ---------- the sketch of a number column ---------- */

void
pgl_drift_sketch_init(pgl_drift_sketch *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->min = INFINITY;
	s->max = -INFINITY;
	s->rng = seed ^ UINT64_C(0x6472696674); /* "drift" */
}

/* uniform in (0, 1): never 0, so its logarithm is finite */
static double
open_uniform(uint64_t *rng)
{
	return ((double) (pgl_rng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* the next value the reservoir takes (Li's algorithm L: skips, not a draw per value) */
static void
reservoir_skip(pgl_drift_sketch *s)
{
	s->w *= exp(log(open_uniform(&s->rng)) / PGL_DRIFT_SAMPLE);
	s->next += (int64_t) floor(log(open_uniform(&s->rng)) / log1p(-s->w)) + 1;
}

/* take the non-NULL value x, number s->seen */
static inline void
reservoir_take(pgl_drift_sketch *s, double x)
{
	if (s->seen < PGL_DRIFT_SAMPLE)
	{
		s->sample[s->seen] = x;
		if (s->seen == PGL_DRIFT_SAMPLE - 1)
		{
			s->w = 1.0;
			s->next = s->seen;
			reservoir_skip(s);
		}
	}
	else if (s->seen == s->next)
	{
		s->sample[pgl_rng_next(&s->rng) % PGL_DRIFT_SAMPLE] = x;
		reservoir_skip(s);
	}
	s->seen++;
}

pgl_rc
pgl_drift_sketch_add(const pgl_env *env, pgl_drift_sketch *s, const double *v, const bool *nulls,
					 int64_t n, pgl_status *st)
{
	double lo = s->min, hi = s->max;

	if (s->sample == NULL && n > 0)
	{
		s->sample = pgl_alloc(env, sizeof(double) * PGL_DRIFT_SAMPLE);
		if (s->sample == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	s->rows += n;
	if (nulls == NULL && s->seen >= PGL_DRIFT_SAMPLE)
	{
		/* the common case: a tight loop for the range, then straight to the values taken */
		int64_t first = s->seen;

		for (int64_t i = 0; i < n; i++)
		{
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		while (s->next < first + n)
		{
			s->seen = s->next;
			reservoir_take(s, v[s->next - first]);
		}
		s->seen = first + n;
	}
	else
		for (int64_t i = 0; i < n; i++)
		{
			if (nulls && nulls[i])
			{
				s->nulls++;
				continue;
			}
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
			reservoir_take(s, v[i]);
		}
	s->min = lo;
	s->max = hi;
	return PGL_OK;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

pgl_rc
pgl_drift_sketch_finish(const pgl_env *env, pgl_drift_sketch *s, int32_t bins,
						pgl_drift_feature *out, pgl_status *st)
{
	int64_t k = s->seen < PGL_DRIFT_SAMPLE ? s->seen : PGL_DRIFT_SAMPLE;
	int32_t nb = 0;
	int64_t i = 0;

	memset(out, 0, sizeof(*out));
	out->kind = PGL_DRIFT_NUMERIC;
	out->rows = s->rows;
	out->nulls = s->nulls;
	if (k == 0)
		return PGL_OK;
	if (bins < 1 || bins > PGL_DRIFT_MAX_BINS)
		return pgl_fail(st, PGL_ERR_INVALID, "drift bins %d is not in 1 to %d", (int) bins,
						PGL_DRIFT_MAX_BINS);
	if (bins > k)
		bins = (int32_t) k;
	qsort(s->sample, (size_t) k, sizeof(double), cmp_double);
	out->edges = pgl_alloc(env, sizeof(double) * (size_t) (bins + 1));
	out->counts = pgl_alloc0(env, sizeof(int64_t) * (size_t) bins);
	if (out->edges == NULL || out->counts == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");

	/*
	 * edges: the minimum, the distinct sample quantiles above it, the
	 * maximum; a quantile equal to the maximum makes the last bin [max, max]
	 * (a value repeated at the top keeps a bin of its own)
	 */
	out->edges[nb++] = s->min;
	for (int32_t j = 1; j < bins; j++)
	{
		double q = s->sample[(int64_t) ((double) j * (double) k / bins)];

		if (q > out->edges[nb - 1] && q <= s->max)
			out->edges[nb++] = q;
	}
	out->edges[nb] = s->max;
	out->n = nb;

	/* counts: bin j is [edges[j], edges[j + 1]), the last one closed */
	for (int32_t j = 0; j < nb; j++)
	{
		while (i < k && (j == nb - 1 || s->sample[i] < out->edges[j + 1]))
		{
			out->counts[j]++;
			i++;
		}
	}
	return PGL_OK;
}

/* ---------- the top values of a categorical column ---------- */

typedef struct ranked
{
	int64_t count;
	int32_t index;
} ranked;

static int
cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

pgl_rc
pgl_drift_top_values(const pgl_env *env, const int64_t *counts, const char *const *names,
					 int32_t n_values, int64_t nulls, int32_t top, pgl_drift_feature *out,
					 pgl_status *st)
{
	ranked *r;
	int32_t nr = 0;

	memset(out, 0, sizeof(*out));
	out->kind = PGL_DRIFT_CATEGORICAL;
	out->nulls = out->rows = nulls;
	r = pgl_alloc(env, sizeof(ranked) * (size_t) (n_values > 0 ? n_values : 1));
	if (r == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t i = 0; i < n_values; i++)
		if (counts[i] > 0)
		{
			r[nr].count = counts[i];
			r[nr++].index = i;
			out->rows += counts[i];
		}
	qsort(r, (size_t) nr, sizeof(ranked), cmp_ranked);
	out->n = nr < top ? nr : top;
	out->counts = pgl_alloc(env, sizeof(int64_t) * (size_t) (out->n > 0 ? out->n : 1));
	out->values = pgl_alloc0(env, sizeof(char *) * (size_t) (out->n > 0 ? out->n : 1));
	if (out->counts == NULL || out->values == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t j = 0; j < out->n; j++)
	{
		size_t len = strlen(names[r[j].index]);

		out->counts[j] = r[j].count;
		out->values[j] = pgl_alloc(env, len + 1);
		if (out->values[j] == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		memcpy(out->values[j], names[r[j].index], len + 1);
	}
	for (int32_t j = out->n; j < nr; j++)
		out->other += r[j].count;
	pgl_free(env, r);
	return PGL_OK;
}

/* ---------- tensors ---------- */

static pgl_tensor *
new_tensor(pgl_tensor *t, const char *name, int32_t dtype, int32_t ndim, int64_t d0, int64_t d1)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	return t;
}

static size_t
nonzero(size_t n)
{
	return n > 0 ? n : 1;
}

pgl_rc
pgl_drift_store(const pgl_env *env, pgl_model *m, const pgl_drift_feature *feats, pgl_status *st)
{
	int64_t		n_edges = 0, n_counts = 0, n_values = 0;
	int64_t		e = 0, c = 0, v = 0;
	pgl_tensor *ts;
	int64_t	   *index, *counts;
	double	   *edges;
	char	  **values;

	if (pgl_drift_present(m))
		return pgl_fail(st, PGL_ERR_INVALID, "model already holds drift summaries");
	for (int32_t f = 0; f < m->n_features; f++)
	{
		n_counts += feats[f].n;
		if (feats[f].kind == PGL_DRIFT_NUMERIC && feats[f].n > 0)
			n_edges += feats[f].n + 1;
		if (feats[f].kind == PGL_DRIFT_CATEGORICAL)
			n_values += feats[f].n;
	}
	ts = pgl_alloc0(env, sizeof(pgl_tensor) * (size_t) (m->n_tensors + 4));
	index = pgl_alloc0(env, sizeof(int64_t) * nonzero((size_t) m->n_features * INDEX_COLS));
	edges = pgl_alloc(env, sizeof(double) * nonzero((size_t) n_edges));
	counts = pgl_alloc(env, sizeof(int64_t) * nonzero((size_t) n_counts));
	values = pgl_alloc0(env, sizeof(char *) * nonzero((size_t) n_values));
	if (!ts || !index || !edges || !counts || !values)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t f = 0; f < m->n_features; f++)
	{
		const pgl_drift_feature *d = &feats[f];
		int64_t					*row = index + (size_t) f * INDEX_COLS;

		row[0] = d->kind;
		row[1] = d->rows;
		row[2] = d->nulls;
		row[3] = d->n;
		row[4] = d->other;
		if (d->n > 0)
			memcpy(counts + c, d->counts, sizeof(int64_t) * (size_t) d->n);
		c += d->n;
		if (d->kind == PGL_DRIFT_NUMERIC && d->n > 0)
		{
			memcpy(edges + e, d->edges, sizeof(double) * (size_t) (d->n + 1));
			e += d->n + 1;
		}
		if (d->kind == PGL_DRIFT_CATEGORICAL)
			for (int32_t j = 0; j < d->n; j++)
			{
				size_t len = strlen(d->values[j]);

				values[v] = pgl_alloc(env, len + 1);
				if (values[v] == NULL)
					return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
				memcpy(values[v++], d->values[j], len + 1);
			}
	}
	if (m->n_tensors > 0)
		memcpy(ts, m->tensors, sizeof(pgl_tensor) * (size_t) m->n_tensors);
	new_tensor(&ts[m->n_tensors], T_INDEX, PGL_I64, 2, m->n_features, INDEX_COLS)->data = index;
	new_tensor(&ts[m->n_tensors + 1], T_EDGES, PGL_F64, 1, n_edges, 0)->data = edges;
	new_tensor(&ts[m->n_tensors + 2], T_COUNTS, PGL_I64, 1, n_counts, 0)->data = counts;
	new_tensor(&ts[m->n_tensors + 3], T_VALUES, PGL_STR, 1, n_values, 0)->data = values;
	pgl_free(env, m->tensors);
	m->tensors = ts;
	m->n_tensors += 4;
	return PGL_OK;
}

bool
pgl_drift_present(const pgl_model *m)
{
	return pgl_model_tensor(m, T_INDEX) != NULL || pgl_model_tensor(m, T_EDGES) != NULL ||
		   pgl_model_tensor(m, T_COUNTS) != NULL || pgl_model_tensor(m, T_VALUES) != NULL;
}

/* ---------- reading back ---------- */

static bool
tensor_ok(const pgl_tensor *t, int32_t dtype, int32_t ndim)
{
	return t != NULL && t->dtype == dtype && t->ndim == ndim && t->storage == PGL_STORE_NATIVE;
}

/* the rules of a number feature's summary d (its edges and counts set) */
static pgl_rc
check_numeric(const pgl_feature *feat, const pgl_drift_feature *d, int32_t f, pgl_rc bad,
			  pgl_status *st)
{
	int64_t sum = 0;

	if (!pgl_feature_is_number(feat))
		return pgl_fail(st, bad, "drift summary of feature %d is numeric, the feature is not",
						(int) f);
	if (d->other != 0 || (d->n == 0) != (d->nulls == d->rows))
		return pgl_fail(st, bad, "drift summary of feature %d has inconsistent counts", (int) f);
	for (int32_t j = 0; j <= d->n && d->n > 0; j++)
	{
		if (!isfinite(d->edges[j]))
			return pgl_fail(st, bad, "drift edge %d of feature %d is not finite", (int) j, (int) f);
		if (j > 0 &&
			!(d->edges[j] > d->edges[j - 1] || (j == d->n && d->edges[j] == d->edges[j - 1])))
			return pgl_fail(st, bad, "drift edges of feature %d are not increasing", (int) f);
	}
	for (int32_t j = 0; j < d->n; j++)
	{
		if (d->counts[j] < 0 || d->counts[j] > d->rows - d->nulls - sum)
			return pgl_fail(st, bad, "drift count %d of feature %d is out of range", (int) j,
							(int) f);
		sum += d->counts[j];
	}
	if (d->n > 0 && sum == 0)
		return pgl_fail(st, bad, "drift histogram of feature %d is empty", (int) f);
	return PGL_OK;
}

/* the rules of a categorical feature's summary d (its counts and values set) */
static pgl_rc
check_categorical(const pgl_feature *feat, const pgl_drift_feature *d, int32_t f, pgl_rc bad,
				  pgl_status *st)
{
	int64_t left = d->rows - d->nulls;

	if (feat->kind != PGL_FEATURE_CATEGORICAL)
		return pgl_fail(st, bad, "drift summary of feature %d is categorical, the feature is not",
						(int) f);
	if (d->n > feat->n_categories)
		return pgl_fail(st, bad, "drift summary of feature %d has more values than categories",
						(int) f);
	for (int32_t j = 0; j < d->n; j++)
	{
		int32_t k = pgl_category_find(feat, d->values[j], strlen(d->values[j]));

		if (k < 0)
			return pgl_fail(st, bad, "drift value %d of feature %d is not a category", (int) j,
							(int) f);
		for (int32_t i = 0; i < j; i++)
			if (strcmp(d->values[i], d->values[j]) == 0)
				return pgl_fail(st, bad, "drift value %d of feature %d is repeated", (int) j,
								(int) f);
		if (d->counts[j] < 1 || d->counts[j] > left || (j > 0 && d->counts[j] > d->counts[j - 1]))
			return pgl_fail(st, bad, "drift count %d of feature %d is out of order or range",
							(int) j, (int) f);
		left -= d->counts[j];
	}
	if (d->other != left)
		return pgl_fail(st, bad, "drift counts of feature %d do not add up to its rows", (int) f);
	return PGL_OK;
}

/*
 * Walk the summaries of m, checking every rule; fill out[] (m->n_features)
 * when given.  m has them (pgl_drift_present).
 */
static pgl_rc
drift_walk(const pgl_model *m, pgl_drift_feature *out, pgl_rc bad, pgl_status *st)
{
	const pgl_tensor *ti = pgl_model_tensor(m, T_INDEX), *te = pgl_model_tensor(m, T_EDGES),
					 *tc = pgl_model_tensor(m, T_COUNTS), *tv = pgl_model_tensor(m, T_VALUES);
	int64_t e = 0, c = 0, v = 0;

	if (!tensor_ok(ti, PGL_I64, 2) || !tensor_ok(te, PGL_F64, 1) || !tensor_ok(tc, PGL_I64, 1) ||
		!tensor_ok(tv, PGL_STR, 1))
		return pgl_fail(st, bad, "model drift summaries are incomplete or of the wrong types");
	if (ti->dims[0] != m->n_features || ti->dims[1] != INDEX_COLS)
		return pgl_fail(st, bad, "model drift index is not [%d, %d]", (int) m->n_features,
						INDEX_COLS);
	for (int32_t f = 0; f < m->n_features; f++)
	{
		const int64_t	 *row = (const int64_t *) ti->data + (size_t) f * INDEX_COLS;
		pgl_drift_feature d;
		pgl_rc			  rc = PGL_OK;

		memset(&d, 0, sizeof(d));
		d.kind = (int32_t) row[0];
		d.rows = row[1];
		d.nulls = row[2];
		d.other = row[4];
		if (row[0] < PGL_DRIFT_NONE || row[0] > PGL_DRIFT_CATEGORICAL || row[1] < 0 || row[2] < 0 ||
			row[2] > row[1] || row[3] < 0 || row[3] > PGL_DRIFT_MAX_BINS || row[4] < 0)
			return pgl_fail(st, bad, "model drift index row %d is out of range", (int) f);
		d.n = (int32_t) row[3];
		if (d.kind == PGL_DRIFT_NONE)
		{
			if (d.rows != 0 || d.nulls != 0 || d.n != 0 || d.other != 0)
				return pgl_fail(st, bad, "model drift index row %d has counts but no kind",
								(int) f);
			if (out)
				out[f] = d;
			continue;
		}
		if (c + d.n > tc->dims[0])
			return pgl_fail(st, bad, "model drift counts are fewer than the index says");
		d.counts = (int64_t *) tc->data + c;
		c += d.n;
		if (d.kind == PGL_DRIFT_NUMERIC)
		{
			if (d.n > 0 && e + d.n + 1 > te->dims[0])
				return pgl_fail(st, bad, "model drift edges are fewer than the index says");
			d.edges = d.n > 0 ? (double *) te->data + e : NULL;
			e += d.n > 0 ? d.n + 1 : 0;
			rc = check_numeric(&m->features[f], &d, f, bad, st);
		}
		else
		{
			if (v + d.n > tv->dims[0])
				return pgl_fail(st, bad, "model drift values are fewer than the index says");
			d.values = (char **) tv->data + v;
			v += d.n;
			rc = check_categorical(&m->features[f], &d, f, bad, st);
		}
		if (rc != PGL_OK)
			return rc;
		if (out)
			out[f] = d;
	}
	if (e != te->dims[0] || c != tc->dims[0] || v != tv->dims[0])
		return pgl_fail(st, bad, "model drift tensors hold more than the index says");
	return PGL_OK;
}

pgl_rc
pgl_drift_check(const pgl_model *m, pgl_rc bad, pgl_status *st)
{
	if (!pgl_drift_present(m))
		return PGL_OK;
	return drift_walk(m, NULL, bad, st);
}

pgl_rc
pgl_drift_load(const pgl_env *env, const pgl_model *m, pgl_drift_feature **out, pgl_rc bad,
			   pgl_status *st)
{
	pgl_drift_feature *feats;
	pgl_rc			   rc;

	*out = NULL;
	if (!pgl_drift_present(m))
		return PGL_OK;
	feats = pgl_alloc0(env, sizeof(pgl_drift_feature) * nonzero((size_t) m->n_features));
	if (feats == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rc = drift_walk(m, feats, bad, st);
	if (rc != PGL_OK)
	{
		pgl_free(env, feats);
		return rc;
	}
	*out = feats;
	return PGL_OK;
}

/* ---------- statistics ---------- */

double
pgl_drift_ks_threshold(int64_t n_train, int64_t n_new)
{
	double crit;

	if (n_train <= 0 || n_new <= 0)
		return PGL_DRIFT_KS_FLOOR;
	crit = PGL_DRIFT_KS_C_ALPHA *
		   sqrt(((double) n_train + (double) n_new) / ((double) n_train * (double) n_new));
	return crit > PGL_DRIFT_KS_FLOOR ? crit : PGL_DRIFT_KS_FLOOR;
}

/*
 * PSI of k bins: expected (training) and actual (new) counts, each share
 * smoothed as (count + 0.5) / (total + 0.5 k).
 */
static double
psi(const double *expected, double e_total, const double *actual, double a_total, int32_t k)
{
	double s = 0;

	for (int32_t i = 0; i < k; i++)
	{
		double e = (expected[i] + 0.5) / (e_total + 0.5 * k);
		double a = (actual[i] + 0.5) / (a_total + 0.5 * k);

		s += (a - e) * log(a / e);
	}
	return s;
}

/* bin of x among the n bins of edges (below the first: 0, above the last: n - 1) */
static int32_t
bin_of(const double *edges, int32_t n, double x)
{
	int32_t lo = 1, hi = n; /* the first interior edge above x, in [1, n] */

	while (lo < hi)
	{
		int32_t mid = lo + (hi - lo) / 2;

		if (edges[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* KS over the edges: the training sample's and the new values' CDFs */
static double
ks_at_edges(const pgl_drift_feature *f, const double *newc, int64_t below, int64_t above,
			int64_t seen)
{
	double n_train = 0, ct = 0, cn = 0, ks;

	for (int32_t j = 0; j < f->n; j++)
		n_train += (double) f->counts[j];
	/* at the minimum: no training value below it */
	ks = (double) below / (double) seen;
	for (int32_t j = 0; j + 1 < f->n; j++)
	{
		double d;

		/* at edge j + 1: the values below it (newc[0] holds those below the minimum) */
		ct += (double) f->counts[j];
		cn += newc[j];
		d = fabs(ct / n_train - cn / (double) seen);
		if (d > ks)
			ks = d;
	}
	/* at the maximum: every training value at or below it */
	if ((double) above / (double) seen > ks)
		ks = (double) above / (double) seen;
	return ks;
}

pgl_rc
pgl_drift_numeric(const pgl_env *env, const pgl_drift_feature *f, const double *v,
				  const bool *nulls, int64_t n, pgl_drift_result *r, pgl_status *st)
{
	int32_t k = f->n + 1; /* the bins and a NULL bin */
	double *newc = pgl_alloc0(env, sizeof(double) * (size_t) k);
	double *trc = pgl_alloc0(env, sizeof(double) * (size_t) k);
	int64_t nn = 0, below = 0, above = 0, seen, n_train = 0;

	if (newc == NULL || trc == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	memset(r, 0, sizeof(*r));
	r->rows = n;
	r->psi.threshold = PGL_DRIFT_PSI_THRESHOLD;
	r->js.value = r->js.threshold = NAN;
	for (int64_t i = 0; i < n; i++)
	{
		if (nulls && nulls[i])
		{
			nn++;
			continue;
		}
		if (f->n == 0)
			continue;
		if (v[i] < f->edges[0])
			below++;
		else if (v[i] > f->edges[f->n])
			above++;
		newc[bin_of(f->edges, f->n, v[i])] += 1;
	}
	seen = n - nn;
	newc[f->n] = (double) nn;
	for (int32_t j = 0; j < f->n; j++)
		n_train += f->counts[j];
	/* the training rows in each bin: the sample's shares of the non-NULL rows */
	for (int32_t j = 0; j < f->n; j++)
		trc[j] = (double) (f->rows - f->nulls) * (double) f->counts[j] / (double) n_train;
	trc[f->n] = (double) f->nulls;
	r->null_share = n > 0 ? (double) nn / (double) n : NAN;
	r->unseen_share = seen > 0 ? (double) (below + above) / (double) seen : NAN;
	/* the NULL bin counts only when a side has NULLs */
	r->psi.value = (f->nulls > 0 || nn > 0)
					   ? psi(trc, (double) f->rows, newc, (double) n, k)
					   : psi(trc, (double) (f->rows - f->nulls), newc, (double) seen, f->n);
	if (f->n == 0 || n == 0)
		r->psi.value = NAN;
	r->ks.threshold = pgl_drift_ks_threshold(n_train, seen);
	r->ks.value = (f->n > 0 && seen > 0) ? ks_at_edges(f, newc, below, above, seen) : NAN;
	pgl_free(env, newc);
	pgl_free(env, trc);
	return PGL_OK;
}

int32_t
pgl_drift_find_value(const pgl_drift_feature *f, const char *value)
{
	for (int32_t j = 0; j < f->n; j++)
		if (strcmp(f->values[j], value) == 0)
			return j;
	return -1;
}

/* p log2(p / m), 0 when p is 0 */
static double
plog(double p, double m)
{
	return p > 0 ? p * log2(p / m) : 0;
}

void
pgl_drift_categorical(const pgl_drift_feature *f, const int64_t *counts, int64_t nulls,
					  int64_t unseen, pgl_drift_result *r)
{
	double	n_new = (double) nulls, jsd = 0;
	int64_t seen = 0;

	memset(r, 0, sizeof(*r));
	r->psi.value = r->psi.threshold = r->ks.value = r->ks.threshold = NAN;
	r->js.threshold = PGL_DRIFT_JS_THRESHOLD;
	for (int32_t j = 0; j <= f->n; j++)
		seen += counts[j];
	n_new += (double) seen;
	r->rows = (int64_t) n_new;
	r->null_share = n_new > 0 ? (double) nulls / n_new : NAN;
	r->unseen_share = seen > 0 ? (double) unseen / (double) seen : NAN;
	if (n_new == 0 || f->rows == 0)
	{
		r->js.value = NAN;
		return;
	}
	/* bins: the top values, other, NULL */
	for (int32_t j = 0; j < f->n + 2; j++)
	{
		double p = (double) (j < f->n	 ? f->counts[j]
							 : j == f->n ? f->other
										 : f->nulls) /
				   (double) f->rows;
		double q = (double) (j <= f->n ? counts[j] : nulls) / n_new;
		double m = (p + q) / 2;

		jsd += 0.5 * plog(p, m) + 0.5 * plog(q, m);
	}
	r->js.value = sqrt(jsd > 0 ? (jsd < 1 ? jsd : 1) : 0);
}
