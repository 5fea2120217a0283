/*-------------------------------------------------------------------------
 *
 * nn_distill.c
 *	  Knowledge distillation: the soft-target term of a classifier's loss
 *	  (Hinton, Vinyals and Dean, "Distilling the knowledge in a neural
 *	  network", 2015), and the softening of a teacher's probabilities.
 *
 * With z the last layer's pre-activation of a row, y its label, p_T the
 * teacher's distribution softened by the temperature T and w the weight:
 *
 *	loss = (1 - w) CE(y, softmax(z)) + w T^2 CE(p_T, softmax(z / T))
 *	dloss/dz = (1 - w) (softmax(z) - onehot(y)) + w T (softmax(z / T) - p_T)
 *
 * (T^2 keeps the soft gradient's size independent of T).  One sigmoid
 * unit is the two-class case: sigmoid(z / T) against the softened
 * probability of class 1.  The mean over the batch's rows, as the hard
 * loss; class weights scale the hard term only.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

pgl_rc
pgl_nn_set_soft_targets(pgl_nn *net, const float *soft, pgl_status *st)
{
	if (soft == NULL)
	{
		net->soft = NULL;
		return PGL_OK;
	}
	if (net->logits == NULL) /* a classifier: nn_distill_check ran before the first batch */
	{
		net->logits = pgl_alloc(&net->env,
								sizeof(float) * (size_t) net->max_batch * (size_t) net->spec.n_out);
		if (net->logits == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for the distillation logits");
	}
	net->soft = soft;
	return PGL_OK;
}

pgl_rc
pgl_nn_soften(const double *p, int32_t k, double T, double *out, pgl_status *st)
{
	double sum = 0, lmax = -INFINITY;

	if (!(T > 0) || !isfinite(T))
		return pgl_fail(st, PGL_ERR_INVALID, "the temperature is %g; it must be above 0", T);
	for (int32_t j = 0; j < k; j++)
	{
		if (!(p[j] >= 0) || !isfinite(p[j]))
			return pgl_fail(st, PGL_ERR_INVALID,
							"the teacher's probability of class %d is %g, not a probability",
							(int) j, p[j]);
		if (p[j] > 0 && log(p[j]) > lmax)
			lmax = log(p[j]);
	}
	if (lmax == -INFINITY)
		return pgl_fail(st, PGL_ERR_INVALID, "the teacher's probabilities are all 0");
	/* in logs, relative to the largest: p^(1/T) cannot underflow for every class */
	for (int32_t j = 0; j < k; j++)
	{
		out[j] = p[j] > 0 ? exp((log(p[j]) - lmax) / T) : 0.0;
		sum += out[j];
	}
	for (int32_t j = 0; j < k; j++)
		out[j] /= sum;
	return PGL_OK;
}

pgl_rc
nn_distill_check(const pgl_nn *net, const pgl_nn_data *train, pgl_status *st)
{
	const pgl_nn_spec *sp = &net->spec;
	int32_t			   k = sp->n_out;

	if (sp->loss == PGL_NN_LOSS_MSE)
		return pgl_fail(st, PGL_ERR_INVALID, "distillation needs a classifier, not a regression");
	if (!(sp->temperature > 0) || !isfinite(sp->temperature))
		return pgl_fail(st, PGL_ERR_INVALID, "the temperature is %g; it must be above 0",
						sp->temperature);
	if (!(sp->distill_weight >= 0 && sp->distill_weight <= 1))
		return pgl_fail(st, PGL_ERR_INVALID, "the distillation weight is %g; it must be in [0, 1]",
						sp->distill_weight);
	for (int64_t i = 0; i < train->n; i++)
	{
		double sum = 0;

		for (int32_t j = 0; j < k; j++)
		{
			float v = train->soft[i * k + j];

			if (!(v >= 0 && v <= 1))
				return pgl_fail(st, PGL_ERR_INVALID,
								"the soft target of row %lld, class %d is %g, not a probability",
								(long long) i, (int) j, (double) v);
			sum += v;
		}
		if (k > 1 && fabs(sum - 1.0) > 1e-3)
			return pgl_fail(st, PGL_ERR_INVALID, "the soft targets of row %lld add up to %g, not 1",
							(long long) i, sum);
	}
	return PGL_OK;
}

/* the soft term of one softmax row: w T^2 CE(s, softmax(z / T)); its gradient into g (added) */
static double
softmax_row(const float *z, const float *s, int32_t k, double T, double wt, float scale, float *g)
{
	double zmax = -INFINITY, sum = 0, lse, ce = 0;

	for (int32_t j = 0; j < k; j++)
		if (z[j] / T > zmax)
			zmax = z[j] / T;
	for (int32_t j = 0; j < k; j++)
		sum += exp(z[j] / T - zmax);
	lse = zmax + log(sum);
	for (int32_t j = 0; j < k; j++)
	{
		double lq = z[j] / T - lse; /* log softmax(z / T)_j */

		ce -= (double) s[j] * lq;
		g[j] += (float) (wt * T * (exp(lq) - (double) s[j])) * scale;
	}
	return wt * T * T * ce;
}

/* the same for one sigmoid unit: the binary cross-entropy of sigmoid(z / T) against s */
static double
sigmoid_row(float z, float s, double T, double wt, float scale, float *g)
{
	double u = z / T;
	/* log sigmoid(u) and log(1 - sigmoid(u)), stable for large |u| */
	double ls = u >= 0 ? -log1p(exp(-u)) : u - log1p(exp(u));
	double l1s = ls - u;
	double q = exp(ls);

	*g += (float) (wt * T * (q - (double) s)) * scale;
	return -wt * T * T * ((double) s * ls + (1.0 - (double) s) * l1s);
}

double
nn_distill_loss(const pgl_nn *net, int32_t n, double hard, float *grad)
{
	int32_t k = net->spec.n_out;
	double	T = net->spec.temperature, w = net->spec.distill_weight;
	float	keep = (float) (1.0 - w), inv = 1.0f / (float) n;
	double	soft = 0;

	for (int64_t i = 0; i < (int64_t) n * k; i++)
		grad[i] *= keep;
	for (int32_t i = 0; i < n; i++)
	{
		const float *z = net->logits + (int64_t) i * k;
		const float *s = net->soft + (int64_t) i * k;
		float		*g = grad + (int64_t) i * k;

		if (net->spec.loss == PGL_NN_LOSS_SIGMOID_CE)
			soft += sigmoid_row(z[0], s[0], T, w, inv, g);
		else
			soft += softmax_row(z, s, k, T, w, inv, g);
	}
	return (1.0 - w) * hard + soft / n;
}
