/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Evaluation metrics for regression and classification.
 *
 * Regression: R^2, RMSE and MAE.  The mean of y is computed first and the
 * total sum of squares around it afterwards (with the usual correction term
 * of the two-pass algorithm), so a large offset in y costs no precision.
 *
 * Classification: accuracy, per-class and macro-averaged precision, recall
 * and F1 (a ratio with a zero denominator is 0, like scikit-learn's
 * zero_division=0), the confusion matrix, log-loss and, for two classes,
 * ROC AUC from the Mann-Whitney statistic with ties averaged.
 *
 * All sums go through a Neumaier (improved Kahan) accumulator.
 *
 *-------------------------------------------------------------------------
 */
#include "metrics.h"
#include "classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* probabilities are clipped to [LOGLOSS_EPS, 1 - LOGLOSS_EPS] */
#define LOGLOSS_EPS 1e-15

/* check for interrupts every this many rows */
#define INTERRUPT_EVERY 65536

/* ---------- compensated summation ---------- */

typedef struct ksum
{
	double sum;
	double comp; /* running compensation (lost low bits) */
} ksum;

static inline void
ksum_add(ksum *k, double x)
{
	double t = k->sum + x;

	if (fabs(k->sum) >= fabs(x))
		k->comp += (k->sum - t) + x;
	else
		k->comp += (x - t) + k->sum;
	k->sum = t;
}

static inline double
ksum_value(const ksum *k)
{
	return k->sum + k->comp;
}

/* ---------- regression ---------- */

void
pgl_regression_metrics_compute(const double *y, const double *pred, int64_t n,
							   pgl_regression_metrics *out)
{
	ksum   sy = {0, 0};
	ksum   sd = {0, 0};
	ksum   sst = {0, 0};
	ksum   sse = {0, 0};
	ksum   sae = {0, 0};
	double ymin, ymax, mean, dsum, total;

	out->n = n;
	if (n <= 0)
	{
		out->r2 = out->rmse = out->mae = NAN;
		return;
	}

	/* pass 1: the mean of y */
	ymin = ymax = y[0];
	for (int64_t i = 0; i < n; i++)
	{
		ksum_add(&sy, y[i]);
		if (y[i] < ymin)
			ymin = y[i];
		if (y[i] > ymax)
			ymax = y[i];
	}
	mean = ksum_value(&sy) / (double) n;
	/* rounding must not push the mean outside the data (constant y -> SST 0) */
	if (mean < ymin)
		mean = ymin;
	if (mean > ymax)
		mean = ymax;

	/* pass 2: squared deviations from the mean, and the errors */
	for (int64_t i = 0; i < n; i++)
	{
		double d = y[i] - mean;
		double e = y[i] - pred[i];

		ksum_add(&sd, d);
		ksum_add(&sst, d * d);
		ksum_add(&sse, e * e);
		ksum_add(&sae, fabs(e));
	}

	/* corrected two-pass: subtract the (tiny) residual of the mean */
	dsum = ksum_value(&sd);
	total = ksum_value(&sst) - dsum * dsum / (double) n;
	if (total < 0)
		total = 0;

	out->r2 = total == 0 ? NAN : 1.0 - ksum_value(&sse) / total;
	out->rmse = sqrt(ksum_value(&sse) / (double) n);
	out->mae = ksum_value(&sae) / (double) n;
}

/* ---------- classification ---------- */

typedef struct scored
{
	double	score;
	int32_t positive; /* 1 if the row's label is class 1 */
} scored;

static int
scored_cmp(const void *a, const void *b)
{
	double x = ((const scored *) a)->score;
	double y = ((const scored *) b)->score;

	return (x > y) - (x < y);
}

/*
 * ROC AUC of the class-1 probabilities: sort the rows by score, and count for
 * each group of tied scores the negatives ranked below it (a tie counts one
 * half).  That is U / (n1 * n0) of the Mann-Whitney test with average ranks.
 * Sets *auc to NaN when one class is absent.
 */
static pgl_rc
binary_auc(const pgl_env *env, const int32_t *label, const double *proba, int64_t n, double *auc,
		   pgl_status *st)
{
	scored *v;
	int64_t n_pos = 0, n_neg;
	int64_t neg_below = 0;
	ksum	u = {0, 0};

	for (int64_t i = 0; i < n; i++)
		n_pos += label[i] == 1;
	n_neg = n - n_pos;
	if (n_pos == 0 || n_neg == 0)
	{
		*auc = NAN;
		return PGL_OK;
	}

	if ((uint64_t) n > SIZE_MAX / sizeof(scored))
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	v = pgl_alloc(env, sizeof(scored) * (size_t) n);
	if (v == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < n; i++)
	{
		v[i].score = proba[i * 2 + 1];
		v[i].positive = label[i] == 1;
	}
	pgl_interrupts(env);
	qsort(v, (size_t) n, sizeof(scored), scored_cmp);
	pgl_interrupts(env);

	for (int64_t i = 0; i < n;)
	{
		int64_t j = i;
		int64_t pos = 0, neg = 0;

		while (j < n && v[j].score == v[i].score)
		{
			if (v[j].positive)
				pos++;
			else
				neg++;
			j++;
		}
		/* each positive beats the negatives below and ties with those here */
		ksum_add(&u, (double) pos * ((double) neg_below + 0.5 * (double) neg));
		neg_below += neg;
		i = j;
	}
	pgl_free(env, v);

	*auc = ksum_value(&u) / ((double) n_pos * (double) n_neg);
	return PGL_OK;
}

void
pgl_class_metrics_free(const pgl_env *env, pgl_class_metrics *m)
{
	if (m == NULL)
		return;
	pgl_free(env, m->precision);
	pgl_free(env, m->recall);
	pgl_free(env, m->f1);
	pgl_free(env, m->support);
	pgl_free(env, m->confusion);
	m->precision = m->recall = m->f1 = NULL;
	m->support = m->confusion = NULL;
}

/* on failure: free what was allocated, leave *out zeroed, pass rc through */
static pgl_rc
class_metrics_fail(const pgl_env *env, pgl_class_metrics *out, pgl_rc rc)
{
	pgl_class_metrics_free(env, out);
	memset(out, 0, sizeof(*out));
	return rc;
}

pgl_rc
pgl_class_metrics_compute(const pgl_env *env, const int32_t *label, const double *proba, int64_t n,
						  int32_t k, pgl_class_metrics *out, pgl_status *st)
{
	return pgl_class_metrics_threshold(env, label, proba, n, k, -1.0, out, st);
}

pgl_rc
pgl_class_metrics_threshold(const pgl_env *env, const int32_t *label, const double *proba,
							int64_t n, int32_t k, double threshold, pgl_class_metrics *out,
							pgl_status *st)
{
	size_t	kk;
	int64_t correct = 0;
	ksum	ll = {0, 0};
	ksum	psum = {0, 0}, rsum = {0, 0}, fsum = {0, 0};
	pgl_rc	rc;

	memset(out, 0, sizeof(*out));
	if (k < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "number of classes must be positive, not %d", (int) k);
	if (n < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "number of rows must not be negative");
	if ((size_t) k > SIZE_MAX / sizeof(int64_t) / (size_t) k)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	kk = (size_t) k * (size_t) k;

	/* validate everything before allocating */
	for (int64_t i = 0; i < n; i++)
	{
		if (label[i] < 0 || label[i] >= k)
			return pgl_fail(st, PGL_ERR_INVALID, "label %d of row %lld is outside 0..%d",
							(int) label[i], (long long) i, (int) (k - 1));
		for (int32_t c = 0; c < k; c++)
			if (isnan(proba[i * k + c]))
				return pgl_fail(st, PGL_ERR_INVALID, "probability of class %d in row %lld is NaN",
								(int) c, (long long) i);
		if ((i + 1) % INTERRUPT_EVERY == 0)
			pgl_interrupts(env);
	}

	out->n = n;
	out->k = k;
	out->precision = pgl_alloc0(env, sizeof(double) * (size_t) k);
	out->recall = pgl_alloc0(env, sizeof(double) * (size_t) k);
	out->f1 = pgl_alloc0(env, sizeof(double) * (size_t) k);
	out->support = pgl_alloc0(env, sizeof(int64_t) * (size_t) k);
	out->confusion = pgl_alloc0(env, sizeof(int64_t) * kk);
	if (out->precision == NULL || out->recall == NULL || out->f1 == NULL || out->support == NULL ||
		out->confusion == NULL)
		return class_metrics_fail(env, out, pgl_fail(st, PGL_ERR_NOMEM, "out of memory"));

	if (n == 0)
	{
		out->accuracy = out->precision_macro = out->recall_macro = NAN;
		out->f1_macro = out->log_loss = out->roc_auc = NAN;
		return PGL_OK;
	}

	/* confusion matrix and log-loss */
	for (int64_t i = 0; i < n; i++)
	{
		const double *row = proba + i * k;
		int32_t		  actual = label[i];
		int32_t		  predicted = pgl_decide_class(row, k, threshold);
		double		  p;

		out->confusion[(size_t) actual * (size_t) k + (size_t) predicted]++;
		correct += actual == predicted;

		p = row[actual];
		if (!(p >= LOGLOSS_EPS))
			p = LOGLOSS_EPS;
		else if (p > 1.0 - LOGLOSS_EPS)
			p = 1.0 - LOGLOSS_EPS;
		ksum_add(&ll, -log(p));

		if ((i + 1) % INTERRUPT_EVERY == 0)
			pgl_interrupts(env);
	}
	out->accuracy = (double) correct / (double) n;
	out->log_loss = ksum_value(&ll) / (double) n;

	/* per-class scores from the confusion matrix */
	for (int32_t c = 0; c < k; c++)
	{
		int64_t tp = out->confusion[(size_t) c * (size_t) k + (size_t) c];
		int64_t row_sum = 0; /* actual c: support */
		int64_t col_sum = 0; /* predicted c */
		int64_t denom;

		for (int32_t j = 0; j < k; j++)
		{
			row_sum += out->confusion[(size_t) c * (size_t) k + (size_t) j];
			col_sum += out->confusion[(size_t) j * (size_t) k + (size_t) c];
		}
		out->support[c] = row_sum;
		out->precision[c] = col_sum > 0 ? (double) tp / (double) col_sum : 0.0;
		out->recall[c] = row_sum > 0 ? (double) tp / (double) row_sum : 0.0;
		/* 2PR / (P + R) = 2tp / (2tp + fp + fn) = 2tp / (support + predicted) */
		denom = row_sum + col_sum;
		out->f1[c] = tp > 0 ? 2.0 * (double) tp / (double) denom : 0.0;

		ksum_add(&psum, out->precision[c]);
		ksum_add(&rsum, out->recall[c]);
		ksum_add(&fsum, out->f1[c]);
	}
	out->precision_macro = ksum_value(&psum) / (double) k;
	out->recall_macro = ksum_value(&rsum) / (double) k;
	out->f1_macro = ksum_value(&fsum) / (double) k;

	if (k == 2)
	{
		rc = binary_auc(env, label, proba, n, &out->roc_auc, st);
		if (rc != PGL_OK)
			return class_metrics_fail(env, out, rc);
	}
	else
		out->roc_auc = NAN;

	return PGL_OK;
}
