/*-------------------------------------------------------------------------
 *
 * test_metrics.c
 *	  Unit tests of src/algo/metrics.c.
 *
 * The expected values of the fixed examples were computed with scikit-learn
 * 1.2.1 (numpy 1.24.2, /usr/bin/python3 on Debian 12): r2_score,
 * mean_squared_error(squared=False), mean_absolute_error, accuracy_score,
 * precision_recall_fscore_support(labels=range(k), zero_division=0),
 * confusion_matrix(labels=range(k)), roc_auc_score(y, proba[:, 1]) and
 * log_loss(y, proba, labels=range(k), eps=1e-15), with the predictions taken
 * as proba.argmax(axis=1).  The arrays below are the ones that were given to
 * scikit-learn.
 *
 *-------------------------------------------------------------------------
 */
#include "metrics.h"
#include "unit.h"

#include <string.h>
#include <time.h>

#define TOL 1e-12

#define LEN(a) ((int64_t) (sizeof(a) / sizeof((a)[0])))

/* ---------- an env whose allocations fail after a budget ---------- */

typedef struct budget
{
	int left; /* allocations that still succeed */
	int live; /* allocated and not yet freed */
} budget;

static void *
budget_alloc(void *arg, size_t size)
{
	budget *b = arg;
	void   *p;

	if (b->left <= 0)
		return NULL;
	b->left--;
	p = malloc(size);
	if (p)
		b->live++;
	return p;
}

static void
budget_free(void *arg, void *ptr)
{
	budget *b = arg;

	b->live--;
	free(ptr);
}

/* ---------- regression ---------- */

static void
test_regression(void)
{
	static const double	   y[] = {3, -0.5, 2, 7, 4.25};
	static const double	   pred[] = {2.5, 0.0, 2, 8, 3.5};
	double				   yo[5], po[5];
	pgl_regression_metrics m;

	pgl_regression_metrics_compute(y, pred, 5, &m);
	OK(m.n == 5, "regression: n");
	NEAR(m.r2, 0.9328175895765473, TOL, "regression: r2 matches sklearn");
	NEAR(m.rmse, 0.6422616289332564, TOL, "regression: rmse matches sklearn");
	NEAR(m.mae, 0.55, TOL, "regression: mae matches sklearn");

	/* the same data shifted by 1e9: a one-pass SST would lose everything */
	for (int i = 0; i < 5; i++)
	{
		yo[i] = y[i] + 1e9;
		po[i] = pred[i] + 1e9;
	}
	pgl_regression_metrics_compute(yo, po, 5, &m);
	NEAR(m.r2, 0.9328175895765473, TOL, "regression: r2 unchanged by a 1e9 offset (sklearn)");
	NEAR(m.rmse, 0.6422616289332564, TOL, "regression: rmse unchanged by a 1e9 offset");

	/* perfect predictions */
	pgl_regression_metrics_compute(y, y, 5, &m);
	OK(m.r2 == 1.0 && m.rmse == 0.0 && m.mae == 0.0,
	   "regression: perfect predictions give r2 1, rmse 0, mae 0");
}

static void
test_regression_edges(void)
{
	/* 0.1 * 3 / 3 is not exactly 0.1, the mean must still give SST == 0 */
	static const double	   y[] = {0.1, 0.1, 0.1};
	static const double	   pred[] = {0.2, 0.0, 0.1};
	pgl_regression_metrics m;

	pgl_regression_metrics_compute(y, pred, 3, &m);
	OK(isnan(m.r2), "regression: constant y gives r2 NaN");
	/* sklearn: rmse 0.08164965809277261, mae 0.06666666666666667 */
	NEAR(m.rmse, 0.08164965809277261, TOL, "regression: constant y rmse matches sklearn");
	NEAR(m.mae, 0.06666666666666667, TOL, "regression: constant y mae matches sklearn");

	pgl_regression_metrics_compute(NULL, NULL, 0, &m);
	OK(m.n == 0 && isnan(m.r2) && isnan(m.rmse) && isnan(m.mae),
	   "regression: n == 0 gives NaN metrics");

	pgl_regression_metrics_compute(y, pred, 1, &m);
	OK(isnan(m.r2) && fabs(m.rmse - 0.1) < 1e-15 && fabs(m.mae - 0.1) < 1e-15,
	   "regression: one row gives r2 NaN and the absolute error");
}

/* ---------- classification helpers ---------- */

/* builds an n x 2 proba array from class-1 scores */
static double *
binary_proba(const double *score, int64_t n)
{
	double *p = malloc(sizeof(double) * 2 * (size_t) (n > 0 ? n : 1));

	for (int64_t i = 0; i < n; i++)
	{
		p[2 * i] = 1.0 - score[i];
		p[2 * i + 1] = score[i];
	}
	return p;
}

static double
auc_of(const int32_t *label, const double *score, int64_t n)
{
	double			 *p = binary_proba(score, n);
	pgl_class_metrics m;
	pgl_status		  st = {0};
	double			  auc = -1;

	if (pgl_class_metrics_compute(&pgl_malloc_env, label, p, n, 2, &m, &st) == PGL_OK)
		auc = m.roc_auc;
	pgl_class_metrics_free(&pgl_malloc_env, &m);
	free(p);
	return auc;
}

/* ---------- binary ---------- */

static void
test_binary(void)
{
	static const int32_t label[] = {0, 0, 1, 1, 0, 1, 0, 1, 1, 0};
	/* ties: 0.4 three times (two classes), 0.1 twice (two classes) */
	static const double	 score[] = {0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.1, 0.55};
	static const int64_t confusion[] = {4, 1, 3, 2};
	double				*p = binary_proba(score, LEN(label));
	pgl_class_metrics	 m;
	pgl_status			 st = {0};
	pgl_rc				 rc;

	rc = pgl_class_metrics_compute(&pgl_malloc_env, label, p, LEN(label), 2, &m, &st);
	OK(rc == PGL_OK, "binary: compute succeeds");
	OK(m.n == 10 && m.k == 2, "binary: n and k");
	NEAR(m.roc_auc, 0.62, TOL, "binary: AUC with tied scores matches sklearn (0.62)");
	NEAR(m.log_loss, 0.6745865027060705, TOL, "binary: log-loss matches sklearn");
	NEAR(m.accuracy, 0.6, TOL, "binary: accuracy matches sklearn");
	NEAR(m.precision[0], 0.5714285714285714, TOL, "binary: precision[0]");
	NEAR(m.precision[1], 0.6666666666666666, TOL, "binary: precision[1]");
	NEAR(m.recall[0], 0.8, TOL, "binary: recall[0]");
	NEAR(m.recall[1], 0.4, TOL, "binary: recall[1]");
	NEAR(m.f1[0], 0.6666666666666666, TOL, "binary: f1[0]");
	NEAR(m.f1[1], 0.5, TOL, "binary: f1[1]");
	OK(m.support[0] == 5 && m.support[1] == 5, "binary: support");
	OK(memcmp(m.confusion, confusion, sizeof(confusion)) == 0,
	   "binary: confusion matrix matches sklearn");
	pgl_class_metrics_free(&pgl_malloc_env, &m);
	OK(m.precision == NULL && m.confusion == NULL, "binary: free clears the pointers");
	pgl_class_metrics_free(&pgl_malloc_env, &m); /* twice is harmless */
	free(p);
}

static void
test_auc_edges(void)
{
	static const int32_t label[] = {0, 1, 0, 1, 1, 0};
	static const double	 perfect[] = {0.1, 0.9, 0.2, 0.8, 0.7, 0.3};
	static const double	 reversed[] = {0.9, 0.1, 0.8, 0.2, 0.3, 0.7};
	static const double	 tied[] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
	static const int32_t one_class[] = {1, 1, 1};
	static const double	 some[] = {0.2, 0.5, 0.9};

	OK(auc_of(label, perfect, 6) == 1.0, "AUC: perfect ranking gives 1");
	OK(auc_of(label, reversed, 6) == 0.0, "AUC: reversed ranking gives 0");
	OK(auc_of(label, tied, 6) == 0.5, "AUC: all scores tied gives 0.5");
	OK(isnan(auc_of(one_class, some, 3)), "AUC: one class absent gives NaN");
}

static void
test_log_loss_clip(void)
{
	static const int32_t label[] = {1, 0};
	static const double	 wrong[] = {1.0, 0.0, 0.0, 1.0};
	static const double	 right[] = {0.0, 1.0, 1.0, 0.0};
	pgl_class_metrics	 m;
	pgl_status			 st = {0};

	/* sklearn log_loss(..., eps=1e-15): 34.538776394910684 */
	OK(pgl_class_metrics_compute(&pgl_malloc_env, label, wrong, 2, 2, &m, &st) == PGL_OK,
	   "log-loss: certain and wrong accepted");
	NEAR(m.log_loss, 34.538776394910684, TOL, "log-loss: probability 0 clipped to 1e-15 (sklearn)");
	OK(m.accuracy == 0.0 && m.roc_auc == 0.0, "log-loss: certain and wrong has accuracy 0, AUC 0");
	pgl_class_metrics_free(&pgl_malloc_env, &m);

	/* sklearn log_loss(..., eps=1e-15): 9.992007221626415e-16 */
	OK(pgl_class_metrics_compute(&pgl_malloc_env, label, right, 2, 2, &m, &st) == PGL_OK,
	   "log-loss: certain and right accepted");
	OK(fabs(m.log_loss - 9.992007221626415e-16) < 1e-20,
	   "log-loss: probability 1 clipped to 1 - 1e-15 (sklearn)");
	pgl_class_metrics_free(&pgl_malloc_env, &m);
}

/* ---------- multiclass ---------- */

static void
test_multiclass(void)
{
	static const int32_t label[] = {0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 1};
	/* row 4 ties classes 0 and 1: the lowest index (0) is predicted */
	static const double proba[] = {
		0.7,  0.2, 0.1, 0.1, 0.6,  0.3, 0.2,  0.2, 0.6, 0.3, 0.5,  0.2,	 0.4,  0.4, 0.2, 0.5, 0.25,
		0.25, 0.1, 0.1, 0.8, 0.05, 0.9, 0.05, 0.2, 0.3, 0.5, 0.33, 0.33, 0.34, 0.6, 0.3, 0.1,
	};
	static const double	 precision[] = {0.5, 0.6666666666666666, 0.75};
	static const double	 recall[] = {0.6666666666666666, 0.5, 0.75};
	static const double	 f1[] = {0.5714285714285715, 0.5714285714285715, 0.75};
	static const int64_t support[] = {3, 4, 4};
	static const int64_t confusion[] = {2, 0, 1, 2, 2, 0, 0, 1, 3};
	pgl_class_metrics	 m;
	pgl_status			 st = {0};

	OK(pgl_class_metrics_compute(&pgl_malloc_env, label, proba, LEN(label), 3, &m, &st) == PGL_OK,
	   "3-class: compute succeeds");
	NEAR(m.accuracy, 0.6363636363636364, TOL, "3-class: accuracy matches sklearn");
	NEAR(m.log_loss, 0.8016296783129924, TOL, "3-class: log-loss matches sklearn");
	NEAR(m.precision_macro, 0.6388888888888888, TOL, "3-class: macro precision matches sklearn");
	NEAR(m.recall_macro, 0.6388888888888888, TOL, "3-class: macro recall matches sklearn");
	NEAR(m.f1_macro, 0.630952380952381, TOL, "3-class: macro f1 matches sklearn");
	for (int c = 0; c < 3; c++)
	{
		NEAR(m.precision[c], precision[c], TOL, "3-class: precision[%d] matches sklearn", c);
		NEAR(m.recall[c], recall[c], TOL, "3-class: recall[%d] matches sklearn", c);
		NEAR(m.f1[c], f1[c], TOL, "3-class: f1[%d] matches sklearn", c);
		OK(m.support[c] == support[c], "3-class: support[%d] matches sklearn", c);
	}
	OK(memcmp(m.confusion, confusion, sizeof(confusion)) == 0,
	   "3-class: confusion matrix matches sklearn (argmax ties to lowest index)");
	OK(isnan(m.roc_auc), "3-class: AUC is NaN");
	pgl_class_metrics_free(&pgl_malloc_env, &m);
}

static void
test_never_predicted(void)
{
	/* k = 4: class 2 is never predicted, class 3 neither occurs nor is predicted */
	static const int32_t label[] = {0, 1, 2, 0, 1, 2};
	static const double	 proba[] = {
		 0.6, 0.3,	0.1,  0.0, 0.2,	 0.7,  0.1, 0.0, 0.5, 0.4, 0.1, 0.0,
		 0.9, 0.05, 0.05, 0.0, 0.45, 0.45, 0.1, 0.0, 0.1, 0.6, 0.3, 0.0,
	 };
	static const double	 precision[] = {0.5, 0.5, 0.0, 0.0};
	static const double	 recall[] = {1.0, 0.5, 0.0, 0.0};
	static const double	 f1[] = {0.6666666666666666, 0.5, 0.0, 0.0};
	static const int64_t support[] = {2, 2, 2, 0};
	pgl_class_metrics	 m;
	pgl_status			 st = {0};
	bool				 same = true;

	OK(pgl_class_metrics_compute(&pgl_malloc_env, label, proba, LEN(label), 4, &m, &st) == PGL_OK,
	   "never predicted: compute succeeds");
	for (int c = 0; c < 4; c++)
		same = same && fabs(m.precision[c] - precision[c]) <= TOL &&
			   fabs(m.recall[c] - recall[c]) <= TOL && fabs(m.f1[c] - f1[c]) <= TOL &&
			   m.support[c] == support[c];
	OK(same, "never predicted: per-class scores are 0 like sklearn zero_division=0");
	NEAR(m.precision_macro, 0.25, TOL,
		 "never predicted: macro precision over all 4 classes (sklearn)");
	NEAR(m.recall_macro, 0.375, TOL, "never predicted: macro recall (sklearn)");
	NEAR(m.f1_macro, 0.29166666666666663, TOL, "never predicted: macro f1 (sklearn)");
	NEAR(m.accuracy, 0.5, TOL, "never predicted: accuracy (sklearn)");
	NEAR(m.log_loss, 0.8796544461500505, TOL, "never predicted: log-loss (sklearn)");
	pgl_class_metrics_free(&pgl_malloc_env, &m);
}

/* ---------- edge cases and errors ---------- */

static void
test_class_empty(void)
{
	pgl_class_metrics m;
	pgl_class_metrics zero = {0};
	pgl_status		  st = {0};
	bool			  zeros = true;

	OK(pgl_class_metrics_compute(&pgl_malloc_env, NULL, NULL, 0, 3, &m, &st) == PGL_OK,
	   "n == 0: compute succeeds");
	OK(m.n == 0 && m.k == 3, "n == 0: n and k");
	OK(isnan(m.accuracy) && isnan(m.precision_macro) && isnan(m.recall_macro) &&
		   isnan(m.f1_macro) && isnan(m.log_loss) && isnan(m.roc_auc),
	   "n == 0: summary metrics are NaN");
	OK(m.precision && m.recall && m.f1 && m.support && m.confusion,
	   "n == 0: per-class arrays allocated");
	for (int c = 0; c < 3; c++)
		zeros =
			zeros && m.precision[c] == 0 && m.recall[c] == 0 && m.f1[c] == 0 && m.support[c] == 0;
	for (int c = 0; c < 9; c++)
		zeros = zeros && m.confusion[c] == 0;
	OK(zeros, "n == 0: per-class arrays are zero");
	pgl_class_metrics_free(&pgl_malloc_env, &m);

	pgl_class_metrics_free(&pgl_malloc_env, &zero);
	OK(true, "free of a zeroed struct is safe");
}

static void
test_class_invalid(void)
{
	static const int32_t bad_high[] = {0, 1, 3};
	static const int32_t bad_low[] = {0, -1, 1};
	static const int32_t good[] = {0, 1, 2};
	static const double	 proba[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
	double				 nan_proba[9];
	pgl_class_metrics	 m;
	pgl_status			 st = {0};
	pgl_rc				 rc;

	rc = pgl_class_metrics_compute(&pgl_malloc_env, bad_high, proba, 3, 3, &m, &st);
	OK(rc == PGL_ERR_INVALID && st.rc == PGL_ERR_INVALID, "invalid: label >= k rejected");
	OK(strcmp(st.msg, "label 3 of row 2 is outside 0..2") == 0,
	   "invalid: message names label and row (got \"%s\")", st.msg);
	OK(m.precision == NULL && m.confusion == NULL, "invalid: nothing left allocated");
	pgl_class_metrics_free(&pgl_malloc_env, &m);

	st = (pgl_status){0};
	rc = pgl_class_metrics_compute(&pgl_malloc_env, bad_low, proba, 3, 3, &m, &st);
	OK(rc == PGL_ERR_INVALID && strcmp(st.msg, "label -1 of row 1 is outside 0..2") == 0,
	   "invalid: negative label rejected (got \"%s\")", st.msg);
	pgl_class_metrics_free(&pgl_malloc_env, &m);

	memcpy(nan_proba, proba, sizeof(proba));
	nan_proba[5] = NAN;
	st = (pgl_status){0};
	rc = pgl_class_metrics_compute(&pgl_malloc_env, good, nan_proba, 3, 3, &m, &st);
	OK(rc == PGL_ERR_INVALID, "invalid: NaN probability rejected (%s)", st.msg);
	pgl_class_metrics_free(&pgl_malloc_env, &m);

	st = (pgl_status){0};
	rc = pgl_class_metrics_compute(&pgl_malloc_env, good, proba, 3, 0, &m, &st);
	OK(rc == PGL_ERR_INVALID, "invalid: k == 0 rejected (%s)", st.msg);
	pgl_class_metrics_free(&pgl_malloc_env, &m);
}

static void
test_class_nomem(void)
{
	static const int32_t label[] = {0, 1, 1, 0};
	static const double	 proba[] = {0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.5, 0.5};
	bool				 all_nomem = true;
	bool				 no_leak = true;
	bool				 zeroed = true;
	int					 needed = -1;

	/* 5 per-class arrays + the AUC sort array: fail each in turn */
	for (int budget_n = 0; budget_n < 10; budget_n++)
	{
		budget			  b = {budget_n, 0};
		pgl_env			  env = {.arg = &b, .alloc = budget_alloc, .free = budget_free};
		pgl_class_metrics m;
		pgl_status		  st = {0};
		pgl_rc			  rc = pgl_class_metrics_compute(&env, label, proba, 4, 2, &m, &st);

		if (rc == PGL_OK)
		{
			needed = budget_n;
			pgl_class_metrics_free(&env, &m);
			no_leak = no_leak && b.live == 0;
			break;
		}
		all_nomem = all_nomem && rc == PGL_ERR_NOMEM && strcmp(st.msg, "out of memory") == 0;
		no_leak = no_leak && b.live == 0;
		zeroed = zeroed && m.precision == NULL && m.recall == NULL && m.f1 == NULL &&
				 m.support == NULL && m.confusion == NULL;
		pgl_class_metrics_free(&env, &m);
	}
	OK(needed == 6, "nomem: binary metrics need 6 allocations (got %d)", needed);
	OK(all_nomem, "nomem: every failed allocation reports PGL_ERR_NOMEM \"out of memory\"");
	OK(no_leak, "nomem: nothing leaks on failure");
	OK(zeroed, "nomem: the result is left zeroed on failure");
}

/* ---------- a million rows ---------- */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_auc_large(void)
{
	enum
	{
		N = 1000000,
		BUCKETS = 1000
	};
	int32_t			 *label = malloc(sizeof(int32_t) * N);
	double			 *proba = malloc(sizeof(double) * 2 * N);
	int64_t			 *pos = calloc(BUCKETS, sizeof(int64_t));
	int64_t			 *neg = calloc(BUCKETS, sizeof(int64_t));
	uint64_t		  s = 0x9e3779b97f4a7c15ULL;
	int64_t			  n_pos = 0, neg_below = 0;
	double			  u = 0, expected, secs;
	pgl_class_metrics m;
	pgl_status		  st = {0};
	pgl_rc			  rc;
	clock_t			  t0;

	/* random labels and scores on a grid of 1000 values (many ties) */
	for (int i = 0; i < N; i++)
	{
		int b = (int) (xorshift(&s) % BUCKETS);

		label[i] = (int32_t) (xorshift(&s) >> 63);
		proba[2 * i + 1] = (b + 0.5) / BUCKETS;
		proba[2 * i] = 1.0 - proba[2 * i + 1];
		if (label[i])
			pos[b]++;
		else
			neg[b]++;
		n_pos += label[i];
	}
	/* the exact Mann-Whitney AUC from the histogram, without sorting */
	for (int b = 0; b < BUCKETS; b++)
	{
		u += (double) pos[b] * ((double) neg_below + 0.5 * (double) neg[b]);
		neg_below += neg[b];
	}
	expected = u / ((double) n_pos * (double) (N - n_pos));

	t0 = clock();
	rc = pgl_class_metrics_compute(&pgl_malloc_env, label, proba, N, 2, &m, &st);
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;

	OK(rc == PGL_OK, "1e6 rows: compute succeeds");
	OK(fabs(m.roc_auc - 0.5) < 0.005, "1e6 rows: random scores give AUC %.5f ~ 0.5", m.roc_auc);
	NEAR(m.roc_auc, expected, 1e-12, "1e6 rows: AUC equals the histogram count %.9f", expected);
	OK(secs < 1.0, "1e6 rows: took %.3f s of CPU (O(n log n))", secs);
	pgl_class_metrics_free(&pgl_malloc_env, &m);
	free(label);
	free(proba);
	free(pos);
	free(neg);
}

int
main(void)
{
	test_regression();
	test_regression_edges();
	test_binary();
	test_auc_edges();
	test_log_loss_clip();
	test_multiclass();
	test_never_predicted();
	test_class_empty();
	test_class_invalid();
	test_class_nomem();
	test_auc_large();
	return unit_done();
}
