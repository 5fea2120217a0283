/*
 * test_iforest.c - isolation forest (src/algo/iforest.c): c(n), planted
 * anomalies found in generated data, determinism with a seed, the
 * contamination threshold, the blob's round trip and its validation, and
 * the errors of bad parameters.
 */
#include "iforest.h"
#include "model_format.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

/* a model of p numeric inputs, no tensors */
static pgl_model *
new_model(int32_t p)
{
	pgl_model *m = pgl_alloc0(env, sizeof(pgl_model));

	m->algorithm = PGL_ALGO_ISOLATION_FOREST;
	m->task = PGL_TASK_ANOMALY;
	m->n_features = p;
	m->n_inputs = p;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * (size_t) p);
	for (int32_t j = 0; j < p; j++)
	{
		m->features[j].name = pgl_alloc(env, 16);
		m->features[j].type_name = pgl_alloc(env, 20);
		snprintf(m->features[j].name, 16, "x%d", (int) j);
		strcpy(m->features[j].type_name, "double precision");
		m->features[j].kind = PGL_FEATURE_NUMERIC;
	}
	return m;
}

/*
 * n rows of p inputs, column-major: normal rows N(0, 1); the first
 * n_out rows are anomalies, every input at +-6.
 */
static double *
gen(int64_t n, int32_t p, int64_t n_out)
{
	double *X = malloc(sizeof(double) * (size_t) (n * p));

	for (int64_t i = 0; i < n; i++)
		for (int32_t j = 0; j < p; j++)
			X[i + j * n] = i < n_out ? ((i + j) % 2 ? 6.0 : -6.0) + 0.3 * nrand() : nrand();
	return X;
}

static pgl_iforest_params
defaults(void)
{
	pgl_iforest_params pr = {100, -1, 1.0, 0, 42};

	return pr;
}

static void
test_c(void)
{
	NEAR(pgl_iforest_c(1), 0.0, 1e-12, "c(1) = 0");
	NEAR(pgl_iforest_c(2), 1.0, 1e-12, "c(2) = 1");
	/* 2 (ln 255 + gamma) - 2 * 255 / 256 */
	NEAR(pgl_iforest_c(256), 2.0 * (log(255.0) + 0.5772156649015329) - 2.0 * 255.0 / 256.0, 1e-12,
		 "c(256) as the paper's formula");
	OK(pgl_iforest_c(256) > 10 && pgl_iforest_c(256) < 10.3, "c(256) is about 10.24");
}

static void
test_planted(void)
{
	int64_t			   n = 2000, n_out = 40;
	int32_t			   p = 4;
	double			  *X = gen(n, p, n_out);
	pgl_model		  *m = new_model(p);
	pgl_iforest_params pr = defaults();
	double			  *s = malloc(sizeof(double) * (size_t) n);
	pgl_status		   st = {0};
	int64_t			   tp = 0, fp = 0;
	double			   in_mean = 0, out_min = 1;

	pr.contamination = (double) n_out / (double) n;
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, m, s, &st) == PGL_OK, "fit: %s", st.msg);
	OK(pgl_iforest_validate(m, &st) == PGL_OK, "the fitted model validates: %s", st.msg);
	for (int64_t i = 0; i < n; i++)
	{
		bool flagged = s[i] > pgl_iforest_threshold(m);

		tp += flagged && i < n_out;
		fp += flagged && i >= n_out;
		if (i < n_out && s[i] < out_min)
			out_min = s[i];
		if (i >= n_out)
			in_mean += s[i] / (double) (n - n_out);
	}
	OK(tp >= 38, "recall at the contamination rate: %lld of 40 planted anomalies", (long long) tp);
	OK(fp <= 2, "precision: %lld normal rows flagged", (long long) fp);
	OK(out_min > 0.6, "every planted anomaly scores above 0.6 (least %.3f)", out_min);
	OK(in_mean < 0.5, "normal rows score below 0.5 on average (%.3f)", in_mean);
	{
		double	thr = pgl_iforest_threshold(m);
		int64_t above = 0;

		for (int64_t i = 0; i < n; i++)
			above += s[i] > thr;
		OK(above >= 38 && above <= 41, "the threshold leaves the contamination share above (%lld)",
		   (long long) above);
	}
	pgl_model_free(env, m);
	/* "auto": the paper's 0.5 */
	m = new_model(p);
	pr.contamination = 0;
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, m, s, &st) == PGL_OK, "fit auto");
	NEAR(pgl_iforest_threshold(m), 0.5, 1e-15, "contamination auto: threshold 0.5");
	{
		int64_t found = 0;

		for (int64_t i = 0; i < n_out; i++)
			found += s[i] > 0.5;
		OK(found == n_out, "auto flags every planted anomaly (%lld)", (long long) found);
	}
	pgl_model_free(env, m);
	free(s);
	free(X);
}

/* a categorical-looking input (one-hot, 0/1) and a rare combination */
static void
test_rare_category(void)
{
	int64_t			   n = 1000;
	int32_t			   p = 3;
	double			  *X = malloc(sizeof(double) * (size_t) (n * p));
	double			  *s = malloc(sizeof(double) * (size_t) n);
	pgl_model		  *m = new_model(p);
	pgl_iforest_params pr = defaults();
	pgl_status		   st = {0};
	double			   rest = 0;

	for (int64_t i = 0; i < n; i++)
	{
		int c = i < 3 ? 2 : (int) (i % 2);

		X[i] = nrand();
		X[i + n] = c == 1;
		X[i + 2 * n] = c == 2;
	}
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, m, s, &st) == PGL_OK, "fit one-hot: %s", st.msg);
	for (int64_t i = 3; i < n; i++)
		rest += s[i] / (double) (n - 3);
	OK(s[0] > rest + 0.1 && s[1] > rest + 0.1 && s[2] > rest + 0.1,
	   "a rare category scores higher (%.3f %.3f %.3f vs %.3f)", s[0], s[1], s[2], rest);
	pgl_model_free(env, m);
	free(s);
	free(X);
}

static void
test_determinism_and_roundtrip(void)
{
	int64_t			   n = 500;
	int32_t			   p = 3;
	double			  *X = gen(n, p, 5);
	pgl_model		  *a = new_model(p), *b = new_model(p), *c = new_model(p), *r = NULL;
	pgl_iforest_params pr = defaults();
	double			  *sa = malloc(sizeof(double) * (size_t) n);
	double			  *sb = malloc(sizeof(double) * (size_t) n);
	double			  *sr = malloc(sizeof(double) * (size_t) n);
	pgl_status		   st = {0};
	uint8_t			  *blob = NULL, *blob2 = NULL;
	size_t			   len = 0, len2 = 0;
	bool			   same = true, differ = false;

	pr.max_samples = 0.5;
	pr.max_features = 0.67;
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, a, sa, &st) == PGL_OK, "fit a");
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, b, sb, &st) == PGL_OK, "fit b");
	for (int64_t i = 0; i < n; i++)
		same = same && sa[i] == sb[i];
	OK(same, "the same seed gives the same scores");
	OK(pgl_model_write(env, a, &blob, &len, &st) == PGL_OK &&
		   pgl_model_write(env, b, &blob2, &len2, &st) == PGL_OK && len == len2 &&
		   memcmp(blob, blob2, len) == 0,
	   "and the same blob");
	pr.seed = 43;
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, c, sb, &st) == PGL_OK, "fit seed 43");
	for (int64_t i = 0; i < n; i++)
		differ = differ || sa[i] != sb[i];
	OK(differ, "another seed gives other scores");
	OK(((const double *) pgl_model_tensor(a, "config")->data)[1] == 250,
	   "max_samples 0.5: 250 rows");
	OK(((const double *) pgl_model_tensor(a, "config")->data)[2] == 2, "max_features 0.67 of 3: 2");
	OK(pgl_model_read(env, blob, len, &r, &st) == PGL_OK, "read back: %s", st.msg);
	OK(r && pgl_iforest_score(env, r, X, n, n, sr, &st) == PGL_OK, "score read back");
	same = true;
	for (int64_t i = 0; r && i < n; i++)
		same = same && sr[i] == sa[i];
	OK(same, "the read-back model scores the same");
	if (r)
		pgl_model_free(env, r);
	pgl_free(env, blob);
	pgl_free(env, blob2);
	pgl_model_free(env, a);
	pgl_model_free(env, b);
	pgl_model_free(env, c);
	free(sa);
	free(sb);
	free(sr);
	free(X);
}

/* damage one thing of a valid model, expect validation to refuse it */
static void
test_validation(void)
{
	int64_t			   n = 200;
	int32_t			   p = 2;
	double			  *X = gen(n, p, 2);
	pgl_model		  *m = new_model(p);
	pgl_iforest_params pr = defaults();
	pgl_status		   st = {0};
	int32_t			  *feat, *left, *right, *size;
	double			  *thr, *cfg;
	int64_t			  *off;
	int32_t			   split = -1;

	pr.n_estimators = 3;
	OK(pgl_iforest_fit(env, X, n, n, p, &pr, m, NULL, &st) == PGL_OK, "fit");
	feat = pgl_model_tensor(m, "node_feature")->data;
	left = pgl_model_tensor(m, "node_left")->data;
	right = pgl_model_tensor(m, "node_right")->data;
	size = pgl_model_tensor(m, "node_size")->data;
	thr = pgl_model_tensor(m, "node_threshold")->data;
	cfg = pgl_model_tensor(m, "config")->data;
	off = pgl_model_tensor(m, "iforest_offsets")->data;
	split = feat[0] >= 0 ? 0 : -1;
	OK(split == 0, "the root of tree 0 splits");
#define DAMAGE(stmt, undo, what)                                                                   \
	do                                                                                             \
	{                                                                                              \
		memset(&st, 0, sizeof(st));                                                                \
		stmt;                                                                                      \
		OK(pgl_iforest_validate(m, &st) == PGL_ERR_CORRUPT, what ": %s", st.msg);                  \
		undo;                                                                                      \
	} while (0)
	{
		int32_t f = feat[0], l = left[0], r = right[0], s = size[0];
		double	t = thr[0], c0 = cfg[0], c3 = cfg[3];
		int64_t o1 = off[1];

		DAMAGE(feat[0] = p, feat[0] = f, "split input out of range");
		DAMAGE(feat[0] = -2, feat[0] = f, "negative split input");
		DAMAGE(thr[0] = NAN, thr[0] = t, "NaN split value");
		DAMAGE(thr[0] = INFINITY, thr[0] = t, "infinite split value");
		DAMAGE(left[0] = 0, left[0] = l, "a child that is its parent (a cycle)");
		DAMAGE(right[0] = (int32_t) (off[1] - off[0]), right[0] = r, "a child past the tree");
		DAMAGE(left[0] = r, left[0] = l, "both children the same");
		DAMAGE(size[0] = 0, size[0] = s, "a node of no rows");
		DAMAGE(cfg[0] = 4, cfg[0] = c0, "config tree count wrong");
		DAMAGE(cfg[3] = 0.7, cfg[3] = c3, "contamination out of range");
		DAMAGE(off[1] = off[0], off[1] = o1, "an empty tree");
		DAMAGE(*(double *) pgl_model_tensor(m, "anomaly_threshold")->data = 2,
			   *(double *) pgl_model_tensor(m, "anomaly_threshold")->data = 0.5,
			   "threshold above 1");
		DAMAGE(m->task = PGL_TASK_CLUSTERING, m->task = PGL_TASK_ANOMALY, "wrong task");
	}
	/* a leaf with a child */
	for (int64_t k = 0; k < off[1]; k++)
		if (feat[k] == -1)
		{
			DAMAGE(left[k] = (int32_t) k + 1, left[k] = -1, "a leaf with a child");
			break;
		}
	OK(pgl_iforest_validate(m, &st) == PGL_OK, "undamaged again");
	pgl_model_free(env, m);
	free(X);
}

static void
test_errors(void)
{
	double			   X[6] = {1, 2, 3, 4, 5, 6};
	pgl_model		  *m;
	pgl_iforest_params pr;
	pgl_status		   st = {0};

#define BAD(field, value, text)                                                                    \
	do                                                                                             \
	{                                                                                              \
		m = new_model(2);                                                                          \
		pr = defaults();                                                                           \
		pr.field = value;                                                                          \
		memset(&st, 0, sizeof(st));                                                                \
		OK(pgl_iforest_fit(env, X, 3, 3, 2, &pr, m, NULL, &st) == PGL_ERR_INVALID &&               \
			   strstr(st.msg, text) != NULL,                                                       \
		   #field " = " #value ": %s", st.msg);                                                    \
		pgl_model_free(env, m);                                                                    \
	} while (0)
	BAD(n_estimators, 0, "n_estimators must be between 1 and 10000, not 0");
	BAD(n_estimators, 10001, "n_estimators");
	BAD(max_features, 0, "max_features must be a fraction in (0, 1], not 0");
	BAD(max_features, 1.5, "max_features");
	BAD(contamination, 0.6, "contamination must be \"auto\" or a fraction in (0, 0.5], not 0.6");
	BAD(max_samples, 2.5, "max_samples must be a fraction in (0, 1] or a whole number");
	m = new_model(2);
	pr = defaults();
	OK(pgl_iforest_fit(env, X, 3, 0, 2, &pr, m, NULL, &st) == PGL_ERR_INVALID, "no rows: %s",
	   st.msg);
	pgl_model_free(env, m);
	m = new_model(2);
	X[4] = NAN;
	OK(pgl_iforest_fit(env, X, 3, 3, 2, &pr, m, NULL, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "input 2 of training row 2 is not finite"),
	   "a NaN training value: %s", st.msg);
	pgl_model_free(env, m);
	/* max_samples above the rows: all of them; one row: c(1) = 0, every score 1 */
	{
		double one[2] = {1, 2}, s = 0;

		X[4] = 5;
		m = new_model(2);
		pr.max_samples = 1000;
		OK(pgl_iforest_fit(env, X, 3, 3, 2, &pr, m, NULL, &st) == PGL_OK &&
			   ((const double *) pgl_model_tensor(m, "config")->data)[1] == 3,
		   "max_samples above the rows takes them all");
		pgl_model_free(env, m);
		m = new_model(2);
		OK(pgl_iforest_fit(env, one, 1, 1, 2, &pr, m, &s, &st) == PGL_OK && s == 1.0,
		   "one training row scores 1");
		pgl_model_free(env, m);
	}
	/* out of memory anywhere: an error, nothing leaked */
	{
		counters c;
		pgl_env	 e = make_env(&c);
		bool	 all_fail = true;
		double	*Y = gen(100, 2, 2);

		for (int k = 0; k < 40; k++)
		{
			pgl_model *mm = new_model(2);

			c.fail_at = k;
			c.allocs = 0;
			memset(&st, 0, sizeof(st));
			if (pgl_iforest_fit(&e, Y, 100, 100, 2, &pr, mm, NULL, &st) == PGL_OK)
			{
				pgl_model_free(env, mm);
				break;
			}
			all_fail = all_fail && st.rc == PGL_ERR_NOMEM;
			pgl_model_free(env, mm);
		}
		OK(all_fail, "a failed allocation is PGL_ERR_NOMEM");
		free(Y);
	}
}

int
main(void)
{
	test_c();
	test_planted();
	test_rare_category();
	test_determinism_and_roundtrip();
	test_validation();
	test_errors();
	return unit_done();
}
