/*-------------------------------------------------------------------------
 *
 * core.c
 *	  Small shared pieces of the ONNX runtime: data types, shapes, attribute
 *	  getters, limits, failures, the model's memory.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t
pgl_ox_dtype_size(int32_t dtype)
{
	switch (dtype)
	{
		case PGL_OX_FLOAT:
		case PGL_OX_INT32:
			return 4;
		case PGL_OX_INT64:
		case PGL_OX_DOUBLE:
			return 8;
		case PGL_OX_BOOL:
			return 1;
		default:
			return 0;
	}
}

const char *
pgl_ox_dtype_name(int32_t dtype)
{
	switch (dtype)
	{
		case PGL_OX_FLOAT:
			return "float";
		case PGL_OX_INT32:
			return "int32";
		case PGL_OX_INT64:
			return "int64";
		case PGL_OX_BOOL:
			return "bool";
		case PGL_OX_DOUBLE:
			return "double";
		case 2:
			return "uint8 (unsupported)";
		case 3:
			return "int8 (unsupported)";
		case 8:
			return "string (unsupported)";
		case 10:
			return "float16 (unsupported)";
		case 16:
			return "bfloat16 (unsupported)";
		default:
			return "unsupported";
	}
}

pgl_rc
pgl_ox_shape_count(int32_t ndim, const int64_t *dims, int64_t max_count, int64_t *count,
				   pgl_status *st)
{
	int64_t n = 1;

	if (max_count <= 0)
		max_count = INT64_MAX / 16;
	if (ndim < 0 || ndim > PGL_OX_MAX_DIMS)
		return pgl_fail(st, PGL_ERR_INVALID, "tensor rank %d is outside 0 to %d", ndim,
						PGL_OX_MAX_DIMS);
	for (int32_t i = 0; i < ndim; i++)
		if (dims[i] < 0)
			return pgl_fail(st, PGL_ERR_INVALID, "tensor dim %d is negative (%lld)", i,
							(long long) dims[i]);
	for (int32_t i = 0; i < ndim; i++)
	{
		if (dims[i] == 0)
		{
			*count = 0;
			return PGL_OK;
		}
		if (n > max_count / dims[i])
			return pgl_ox_fail(st, PGL_ERR_INVALID,
							   "Raise the limit (pg_learn.max_train_memory) or use smaller inputs.",
							   "tensor of more than %lld elements exceeds the limit",
							   (long long) max_count);
		n *= dims[i];
	}
	*count = n;
	return PGL_OK;
}

void
pgl_ox_limits_default(pgl_ox_limits *lim)
{
	lim->max_bytes = (int64_t) 1 << 30;
	lim->max_nodes = 100000;
	lim->max_tensors = 1000000;
	lim->max_attrs = 1 << 20;
	lim->max_elements = (int64_t) 1 << 28;
	lim->max_arena = (int64_t) 4 << 30;
}

void
pgl_ox_limits_env(const pgl_env *env, pgl_ox_limits *lim)
{
	int64_t bytes = env->max_memory;

	pgl_ox_limits_default(lim);
	if (bytes <= 0)
		return;
	lim->max_bytes = bytes < lim->max_bytes ? bytes : lim->max_bytes;
	lim->max_arena = bytes < lim->max_arena ? bytes : lim->max_arena;
	lim->max_elements = bytes / 4 < lim->max_elements ? bytes / 4 : lim->max_elements;
}

pgl_rc
pgl_ox_fail(pgl_status *st, pgl_rc rc, const char *detail, const char *fmt, ...)
{
	va_list ap;
	char	msg[sizeof(st->msg)], det[sizeof(st->detail)];

	/* through local copies: the arguments may be st->msg or st->detail themselves */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(det, sizeof(det), "%s", detail ? detail : "");
	st->rc = rc;
	memcpy(st->msg, msg, sizeof(msg));
	memcpy(st->detail, det, sizeof(det));
	return rc;
}

/* ---------- attributes ---------- */

const pgl_ox_attr *
pgl_ox_attr_find(const pgl_ox_node *n, const char *name)
{
	for (int32_t i = 0; i < n->n_attrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	return NULL;
}

int64_t
pgl_ox_attr_int(const pgl_ox_node *n, const char *name, int64_t dflt)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	return a && a->type == PGL_OX_ATTR_INT ? a->i : dflt;
}

float
pgl_ox_attr_float(const pgl_ox_node *n, const char *name, float dflt)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	return a && a->type == PGL_OX_ATTR_FLOAT ? a->f : dflt;
}

const char *
pgl_ox_attr_string(const pgl_ox_node *n, const char *name, const char *dflt)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	return a && a->type == PGL_OX_ATTR_STRING ? a->s : dflt;
}

const pgl_ox_tensor *
pgl_ox_attr_tensor(const pgl_ox_node *n, const char *name)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	return a && a->type == PGL_OX_ATTR_TENSOR ? a->t : NULL;
}

int32_t
pgl_ox_attr_ints(const pgl_ox_node *n, const char *name, const int64_t **v)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	if (!a || a->type != PGL_OX_ATTR_INTS)
	{
		*v = NULL;
		return -1;
	}
	*v = a->ints;
	return a->n;
}

int32_t
pgl_ox_attr_floats(const pgl_ox_node *n, const char *name, const float **v)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, name);

	if (!a || a->type != PGL_OX_ATTR_FLOATS)
	{
		*v = NULL;
		return -1;
	}
	*v = a->floats;
	return a->n;
}

/* ---------- values ---------- */

pgl_rc
pgl_ox_axis(const pgl_ox_node *n, int64_t axis, int32_t r, int32_t *out, pgl_status *st)
{
	if (axis < -(int64_t) r || axis >= r)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "An axis must lie in [-rank, rank - 1].",
						   "ONNX node %s (%s): axis %lld is out of range for rank %d",
						   n->name[0] ? n->name : "?", n->op_type, (long long) axis, r);
	*out = (int32_t) (axis < 0 ? axis + r : axis);
	return PGL_OK;
}

double
pgl_ox_get_f64(const pgl_ox_tensor *t, int64_t i)
{
	switch (t->dtype)
	{
		case PGL_OX_FLOAT:
			return ((const float *) t->data)[i];
		case PGL_OX_DOUBLE:
			return ((const double *) t->data)[i];
		case PGL_OX_INT32:
			return ((const int32_t *) t->data)[i];
		case PGL_OX_INT64:
			return (double) ((const int64_t *) t->data)[i];
		case PGL_OX_BOOL:
			return ((const uint8_t *) t->data)[i];
		default:
			return 0;
	}
}

/* a double as int64, saturating, NaN as 0 (a C cast of those is undefined) */
static int64_t
sat_i64(double v)
{
	if (v != v)
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t) v;
}

int64_t
pgl_ox_get_i64(const pgl_ox_tensor *t, int64_t i)
{
	switch (t->dtype)
	{
		case PGL_OX_FLOAT:
			return sat_i64(((const float *) t->data)[i]);
		case PGL_OX_DOUBLE:
			return sat_i64(((const double *) t->data)[i]);
		case PGL_OX_INT32:
			return ((const int32_t *) t->data)[i];
		case PGL_OX_INT64:
			return ((const int64_t *) t->data)[i];
		case PGL_OX_BOOL:
			return ((const uint8_t *) t->data)[i];
		default:
			return 0;
	}
}

/* ---------- the model ---------- */

void
pgl_ox_model_free(pgl_ox_model *m)
{
	ox_pool p;

	if (!m)
		return;
	p = OX_PRIV(m)->pool;
	ox_pool_free(&p);
}

void *
pgl_ox_state_alloc(const pgl_ox_model *m, size_t size, pgl_status *st)
{
	return ox_palloc(&OX_PRIV((pgl_ox_model *) m)->pool, size, st);
}
