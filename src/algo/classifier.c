/*-------------------------------------------------------------------------
 *
 * classifier.c
 *	  The decision threshold of a binary classifier (classifier.h).
 *
 *-------------------------------------------------------------------------
 */
#include "classifier.h"

#include <math.h>
#include <string.h>

double
pgl_model_threshold(const pgl_model *m)
{
	const pgl_tensor *t = pgl_model_tensor(m, "threshold");

	return t ? *(const double *) t->data : -1.0;
}

int32_t
pgl_decide_class(const double *proba, int32_t k, double threshold)
{
	int32_t best = 0;

	if (k == 2 && threshold > 0.0 && threshold < 1.0)
		return proba[1] >= threshold ? 1 : 0;
	for (int32_t c = 1; c < k; c++)
		if (proba[c] > proba[best])
			best = c;
	return best;
}

pgl_rc
pgl_model_set_threshold(const pgl_env *env, pgl_model *m, double threshold, pgl_status *st)
{
	pgl_tensor *tensors;
	pgl_tensor *t;
	double	   *v;

	if (m->task != PGL_TASK_CLASSIFICATION || m->n_classes != 2)
		return pgl_fail(st, PGL_ERR_INVALID,
						"a decision threshold needs a classifier of two classes, not %d",
						(int) m->n_classes);
	if (!(threshold > 0.0 && threshold < 1.0))
		return pgl_fail(st, PGL_ERR_INVALID, "the decision threshold %g is not in (0, 1)",
						threshold);
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, "threshold") == 0)
		{
			*(double *) m->tensors[i].data = threshold;
			return PGL_OK;
		}
	tensors = pgl_alloc0(env, sizeof(pgl_tensor) * ((size_t) m->n_tensors + 1));
	v = pgl_alloc(env, sizeof(double));
	if (tensors == NULL || v == NULL)
	{
		pgl_free(env, tensors);
		pgl_free(env, v);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	if (m->n_tensors > 0)
		memcpy(tensors, m->tensors, sizeof(pgl_tensor) * (size_t) m->n_tensors);
	t = &tensors[m->n_tensors];
	strcpy(t->name, "threshold");
	t->dtype = PGL_F64;
	t->ndim = 1;
	t->dims[0] = 1;
	*v = threshold;
	t->data = v;
	pgl_free(env, m->tensors);
	m->tensors = tensors;
	m->n_tensors++;
	return PGL_OK;
}

pgl_rc
pgl_check_threshold(const pgl_model *m, pgl_rc bad, pgl_status *st)
{
	const pgl_tensor *t = pgl_model_tensor(m, "threshold");
	double			  v;

	if (t == NULL)
		return PGL_OK;
	if (t->dtype != PGL_F64 || t->ndim != 1 || t->dims[0] != 1 || t->storage != PGL_STORE_NATIVE ||
		t->data == NULL)
		return pgl_fail(st, bad, "model tensor \"threshold\" must be one native f64 value");
	if (m->task != PGL_TASK_CLASSIFICATION || m->n_classes != 2)
		return pgl_fail(st, bad,
						"model has a decision threshold but is not a two-class classifier");
	v = *(const double *) t->data;
	if (!(v > 0.0 && v < 1.0))
		return pgl_fail(st, bad, "model decision threshold %g is not in (0, 1)", v);
	return PGL_OK;
}
