/*-------------------------------------------------------------------------
 *
 * test_drift.c
 *	  Unit tests of the drift summaries and statistics (src/algo/drift.c):
 *	  histograms (exact and sampled), top values, PSI / KS / Jensen-Shannon
 *	  on generated data with a known answer (no drift, a shifted mean, a new
 *	  category), the tensors' round trip through the model format, and the
 *	  reader's refusal of damaged summaries (negative counts, unsorted or
 *	  non-finite edges, a value outside the vocabulary, missing tensors).
 *
 *-------------------------------------------------------------------------
 */
#include "drift.h"
#include "model_format.h"
#include "unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;
static pgl_rc		  frc;
static uint64_t		  rng = 42;

static double
uniform(void)
{
	rng += UINT64_C(0x9E3779B97F4A7C15);
	{
		uint64_t z = rng;

		z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
		z ^= z >> 31;
		return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	}
}

static double
normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char  *p = pgl_alloc(env, n);

	memcpy(p, s, n);
	return p;
}

static void
free_feature(pgl_drift_feature *d)
{
	pgl_free(env, d->edges);
	pgl_free(env, d->counts);
	if (d->values)
		for (int32_t j = 0; j < d->n; j++)
			pgl_free(env, d->values[j]);
	pgl_free(env, d->values);
}

static void
numeric_summary(pgl_drift_feature *out, double shift, int64_t n, double null_share)
{
	pgl_drift_sketch s;
	pgl_status		 st;
	double			*v = malloc(sizeof(double) * n);
	bool			*nl = malloc(n);

	for (int64_t i = 0; i < n; i++)
	{
		v[i] = normal() + shift;
		nl[i] = uniform() < null_share;
	}
	pgl_drift_sketch_init(&s, 7);
	/* in two batches, as the reader feeds it */
	pgl_drift_sketch_add(env, &s, v, nl, n / 2, &st);
	pgl_drift_sketch_add(env, &s, v + n / 2, nl + n / 2, n - n / 2, &st);
	frc = pgl_drift_sketch_finish(env, &s, PGL_DRIFT_BINS, out, &st);
	pgl_free(env, s.sample);
	free(v);
	free(nl);
}

static void
test_histograms(void)
{
	pgl_drift_sketch  s;
	pgl_drift_feature d;
	pgl_status		  st;
	double			  v[1000];
	int64_t			  sum = 0;
	bool			  sorted = true;

	for (int i = 0; i < 1000; i++)
		v[i] = (i * 7919) % 1000; /* 0..999, shuffled */
	pgl_drift_sketch_init(&s, 1);
	pgl_drift_sketch_add(env, &s, v, NULL, 1000, &st);
	frc = pgl_drift_sketch_finish(env, &s, 20, &d, &st);
	OK(frc == PGL_OK && d.n == 20, "1000 distinct values: 20 bins (%d)", (int) d.n);
	OK(d.edges[0] == 0 && d.edges[20] == 999, "edges run from the minimum to the maximum");
	for (int j = 0; j < d.n; j++)
	{
		sum += d.counts[j];
		sorted &= d.edges[j] < d.edges[j + 1];
	}
	OK(sum == 1000 && d.counts[0] == 50 && d.counts[19] == 50 && sorted,
	   "equal-frequency bins of 50, edges increasing");
	free_feature(&d);
	pgl_free(env, s.sample);

	/* a constant column: one bin */
	for (int i = 0; i < 1000; i++)
		v[i] = 3.5;
	pgl_drift_sketch_init(&s, 1);
	pgl_drift_sketch_add(env, &s, v, NULL, 1000, &st);
	frc = pgl_drift_sketch_finish(env, &s, 20, &d, &st);
	OK(frc == PGL_OK && d.n == 1 && d.edges[0] == 3.5 && d.edges[1] == 3.5 && d.counts[0] == 1000,
	   "a constant column is one bin");
	free_feature(&d);
	pgl_free(env, s.sample);

	/* few distinct values: distinct edges, fewer bins */
	for (int i = 0; i < 1000; i++)
		v[i] = i % 3;
	pgl_drift_sketch_init(&s, 1);
	pgl_drift_sketch_add(env, &s, v, NULL, 1000, &st);
	frc = pgl_drift_sketch_finish(env, &s, 20, &d, &st);
	OK(frc == PGL_OK && d.n == 3 && d.counts[0] == 334 && d.counts[1] == 333 && d.counts[2] == 333,
	   "three values: a bin each, the top one [2, 2] (%d)", (int) d.n);
	free_feature(&d);
	pgl_free(env, s.sample);

	/* beyond the reservoir: the sample's counts, exact rows and NULLs */
	numeric_summary(&d, 0, 200000, 0.1);
	sum = 0;
	for (int j = 0; j < d.n; j++)
		sum += d.counts[j];
	OK(frc == PGL_OK && d.n == 20 && sum == PGL_DRIFT_SAMPLE && d.rows == 200000,
	   "200000 rows: 20 bins over a sample of %d", PGL_DRIFT_SAMPLE);
	NEAR((double) d.nulls / d.rows, 0.1, 0.01, "NULL count exact (share %.3f)",
		 (double) d.nulls / d.rows);
	NEAR(d.edges[10], 0.0, 0.05, "the median edge of N(0, 1) is near 0 (%.3f)", d.edges[10]);
	free_feature(&d);

	/* no value at all */
	pgl_drift_sketch_init(&s, 1);
	frc = pgl_drift_sketch_finish(env, &s, 20, &d, &st);
	OK(frc == PGL_OK && d.n == 0 && d.rows == 0, "an empty sketch has no bins");
}

static void
new_values(double *v, bool *nl, int64_t n, double shift, double null_share)
{
	for (int64_t i = 0; i < n; i++)
	{
		v[i] = normal() + shift;
		nl[i] = uniform() < null_share;
	}
}

static void
test_numeric_stats(void)
{
	pgl_drift_feature d;
	pgl_drift_result  r;
	pgl_status		  st;
	int64_t			  n = 5000;
	double			 *v = malloc(sizeof(double) * n);
	bool			 *nl = malloc(n);

	numeric_summary(&d, 0, 100000, 0.0);

	new_values(v, nl, n, 0, 0);
	frc = pgl_drift_numeric(env, &d, v, nl, n, &r, &st);
	OK(frc == PGL_OK && r.psi.value < 0.05 && r.psi.value < r.psi.threshold,
	   "same distribution: PSI %.4f below 0.2", r.psi.value);
	OK(r.ks.value < r.ks.threshold && r.ks.threshold == PGL_DRIFT_KS_FLOOR,
	   "same distribution: KS %.4f below %.3f", r.ks.value, r.ks.threshold);
	OK(r.null_share == 0 && r.unseen_share < 0.01, "no NULLs, hardly any value out of range");

	new_values(v, nl, n, 1.0, 0);
	frc = pgl_drift_numeric(env, &d, v, nl, n, &r, &st);
	OK(frc == PGL_OK && r.psi.value > 0.2, "mean shifted by one sd: PSI %.3f above 0.2",
	   r.psi.value);
	NEAR(r.ks.value, 0.3829, 0.05, "mean shifted by one sd: KS %.3f near 0.383 (2 Phi(0.5) - 1)",
		 r.ks.value);

	new_values(v, nl, n, 0, 0.3);
	frc = pgl_drift_numeric(env, &d, v, nl, n, &r, &st);
	OK(r.psi.value > 0.2 && r.ks.value < r.ks.threshold,
	   "30%% NULLs: PSI %.3f flags it (NULL bin), KS %.3f does not", r.psi.value, r.ks.value);
	NEAR(r.null_share, 0.3, 0.03, "null_share %.3f", r.null_share);

	/* everything above the training maximum */
	for (int64_t i = 0; i < n; i++)
	{
		v[i] = 100 + i;
		nl[i] = false;
	}
	frc = pgl_drift_numeric(env, &d, v, nl, n, &r, &st);
	OK(r.unseen_share == 1.0 && r.ks.value == 1.0, "all above the maximum: unseen 1, KS 1");

	/* few new rows: the KS threshold is the sample-size critical value */
	frc = pgl_drift_numeric(env, &d, v, nl, 50, &r, &st);
	NEAR(r.ks.threshold, 1.358 * sqrt((16384.0 + 50) / (16384.0 * 50)), 1e-9,
		 "50 new rows: KS threshold %.3f", r.ks.threshold);
	free_feature(&d);
	free(v);
	free(nl);
}

static const char *const colors[] = {"blue", "green", "red", "teal"};

static void
test_categorical(void)
{
	int64_t			  tc[] = {500, 300, 150, 50};
	pgl_drift_feature d;
	pgl_drift_result  r;
	pgl_status		  st;
	int64_t			  same[3], shifted[3];

	frc = pgl_drift_top_values(env, tc, colors, 4, 25, 2, &d, &st);
	OK(frc == PGL_OK && d.n == 2 && strcmp(d.values[0], "blue") == 0 &&
		   strcmp(d.values[1], "green") == 0 && d.other == 200 && d.rows == 1025 && d.nulls == 25,
	   "top 2 of 4 values, other 200, 25 NULLs");
	OK(pgl_drift_find_value(&d, "green") == 1 && pgl_drift_find_value(&d, "red") == -1,
	   "find a top value");

	same[0] = 250, same[1] = 150, same[2] = 100; /* other */
	pgl_drift_categorical(&d, same, 12, 0, &r);
	OK(r.js.value < 0.05 && r.unseen_share == 0, "same shares: JS %.4f", r.js.value);

	shifted[0] = 250, shifted[1] = 150, shifted[2] = 400;
	pgl_drift_categorical(&d, shifted, 12, 300, &r);
	OK(r.js.value > 0.1, "a new category in 300 of 800 rows: JS %.3f", r.js.value);
	NEAR(r.unseen_share, 300.0 / 800, 1e-12, "unseen share %.3f", r.unseen_share);
	free_feature(&d);
}

/* a linear model over x (numeric) and color (categorical), with summaries */
static pgl_model *
make_model(void)
{
	pgl_model		 *m = pgl_alloc0(env, sizeof(pgl_model));
	pgl_drift_feature feats[3];
	int64_t			  tc[] = {500, 300, 150, 50};
	pgl_status		  st;

	m->algorithm = PGL_ALGO_LINEAR_REGRESSION;
	m->task = PGL_TASK_REGRESSION;
	m->n_features = 3;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 3);
	m->features[0].name = xstrdup("x");
	m->features[0].type_name = xstrdup("double precision");
	m->features[0].kind = PGL_FEATURE_NUMERIC;
	m->features[1].name = xstrdup("color");
	m->features[1].type_name = xstrdup("text");
	m->features[1].kind = PGL_FEATURE_CATEGORICAL;
	m->features[1].n_categories = 4;
	m->features[1].categories = pgl_alloc0(env, sizeof(char *) * 4);
	for (int i = 0; i < 4; i++)
		m->features[1].categories[i] = xstrdup(colors[i]);
	m->features[2].name = xstrdup("z");
	m->features[2].type_name = xstrdup("double precision");
	m->features[2].kind = PGL_FEATURE_NUMERIC;
	m->n_inputs = 6;
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("double precision");
	m->n_tensors = 1;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor));
	strcpy(m->tensors[0].name, "coef");
	m->tensors[0].dtype = PGL_F64;
	m->tensors[0].ndim = 2;
	m->tensors[0].dims[0] = 7;
	m->tensors[0].dims[1] = 1;
	m->tensors[0].data = pgl_alloc0(env, sizeof(double) * 7);

	numeric_summary(&feats[0], 0, 3000, 0.05);
	pgl_drift_top_values(env, tc, colors, 4, 0, 3, &feats[1], &st);
	memset(&feats[2], 0, sizeof(feats[2])); /* no summary */
	frc = pgl_drift_store(env, m, feats, &st);
	free_feature(&feats[0]);
	free_feature(&feats[1]);
	return m;
}

static pgl_tensor *
tensor(pgl_model *m, const char *name)
{
	return (pgl_tensor *) pgl_model_tensor(m, name);
}

/* write m, read it back: the rc */
static pgl_rc
round_trip(pgl_model *m, pgl_model **back, pgl_status *st)
{
	uint8_t *blob;
	size_t	 len;
	pgl_rc	 rc;

	*back = NULL;
	rc = pgl_model_write(env, m, &blob, &len, st);
	if (rc != PGL_OK)
		return rc;
	rc = pgl_model_read(env, blob, len, back, st);
	pgl_free(env, blob);
	return rc;
}

typedef void (*damage_fn)(pgl_model *m);

static void
d_negative(pgl_model *m)
{
	((int64_t *) tensor(m, "drift_counts")->data)[0] = -1;
}
static void
d_unsorted(pgl_model *m)
{
	double *e = tensor(m, "drift_edges")->data;

	e[3] = e[2] - 1;
}
static void
d_nan(pgl_model *m)
{
	((double *) tensor(m, "drift_edges")->data)[5] = NAN;
}
static void
d_value(pgl_model *m)
{
	char **v = tensor(m, "drift_values")->data;

	v[0][0] = 'X';
}
static void
d_missing(pgl_model *m)
{
	strcpy(tensor(m, "drift_values")->name, "other_values");
}
static void
d_kind(pgl_model *m)
{
	((int64_t *) tensor(m, "drift_index")->data)[0] = 2; /* x as categorical */
}
static void
d_sum(pgl_model *m)
{
	((int64_t *) tensor(m, "drift_index")->data)[5 + 4] += 1; /* color's other */
}
static void
d_rows(pgl_model *m)
{
	((int64_t *) tensor(m, "drift_index")->data)[5 * 2 + 1] = 7; /* z has no summary */
}

static void
test_model(void)
{
	pgl_model		  *m = make_model(), *back;
	pgl_drift_feature *f;
	pgl_status		   st;
	static const struct
	{
		const char *what;
		damage_fn	fn;
	} damages[] = {{"a negative count", d_negative},
				   {"unsorted edges", d_unsorted},
				   {"a NaN edge", d_nan},
				   {"a top value not in the vocabulary", d_value},
				   {"a missing tensor", d_missing},
				   {"a categorical summary of a numeric feature", d_kind},
				   {"counts that do not add up", d_sum},
				   {"counts on a feature without summary", d_rows}};

	OK(frc == PGL_OK && pgl_drift_present(m), "summaries stored as tensors");
	frc = round_trip(m, &back, &st);
	OK(frc == PGL_OK, "a model with summaries writes and reads back (%s)", st.msg);
	frc = pgl_drift_load(env, back, &f, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_OK && f != NULL && f[0].kind == PGL_DRIFT_NUMERIC && f[0].n == 20 &&
		   f[1].kind == PGL_DRIFT_CATEGORICAL && f[1].n == 3 &&
		   strcmp(f[1].values[2], "red") == 0 && f[1].other == 50 && f[2].kind == PGL_DRIFT_NONE,
	   "read back: numeric, categorical, none");
	pgl_free(env, f);
	pgl_model_free(env, back);

	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++)
	{
		pgl_model *d = make_model();

		damages[i].fn(d);
		frc = round_trip(d, &back, &st);
		OK(frc == PGL_ERR_INVALID && back == NULL, "the writer refuses %s (%s)", damages[i].what,
		   st.msg);
		frc = pgl_drift_load(env, d, &f, PGL_ERR_CORRUPT, &st);
		OK(frc == PGL_ERR_CORRUPT && f == NULL, "loading refuses %s", damages[i].what);
		pgl_model_free(env, d);
	}
	pgl_model_free(env, m);

	/* a model without summaries: none, not an error */
	m = make_model();
	for (int i = 1; i < m->n_tensors; i++)
		if (m->tensors[i].dtype == PGL_STR)
		{
			for (int64_t j = 0; j < m->tensors[i].dims[0]; j++)
				pgl_free(env, ((char **) m->tensors[i].data)[j]);
			pgl_free(env, m->tensors[i].data);
		}
		else
			pgl_free(env, m->tensors[i].data);
	m->n_tensors = 1;
	frc = round_trip(m, &back, &st);
	OK(frc == PGL_OK, "a model without summaries reads");
	frc = pgl_drift_load(env, back, &f, PGL_ERR_CORRUPT, &st);
	OK(frc == PGL_OK && f == NULL, "and has none");
	pgl_model_free(env, back);
	pgl_model_free(env, m);
}

int
main(void)
{
	test_histograms();
	test_numeric_stats();
	test_categorical();
	test_model();
	return unit_done();
}
