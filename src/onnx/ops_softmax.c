/*-------------------------------------------------------------------------
 *
 * ops_softmax.c
 *	  ONNX Softmax and LogSoftmax (before opset 13 the input is coerced to
 *	  2-D at axis; from 13 one axis), and ReduceMean, ReduceSum, ReduceMax
 *	  (axes as an attribute, or ReduceSum's input from opset 13; keepdims;
 *	  noop_with_empty_axes).
 *
 * A reduction merges adjacent dims of the same kind (kept or reduced) and
 * drops dims of size 1 first, so the usual cases (the last axis, a
 * spatial block) run as contiguous loops.
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"
#include "ox_kernels.h"

#include <math.h>
#include <string.h>

/* ---------- softmax ---------- */

#define SOFTMAX_BODY(T, EXP, LOG)                                                                  \
	for (int64_t o = 0; o < outer; o++)                                                            \
		for (int64_t j = 0; j < inner; j++)                                                        \
		{                                                                                          \
			const T *xl = x + o * n * inner + j;                                                   \
			T		*yl = y + o * n * inner + j;                                                   \
			T		 mx = -INFINITY, sum = 0;                                                      \
                                                                                                   \
			for (int64_t i = 0; i < n; i++)                                                        \
				if (xl[i * inner] > mx)                                                            \
					mx = xl[i * inner];                                                            \
			for (int64_t i = 0; i < n; i++)                                                        \
			{                                                                                      \
				T e = EXP(xl[i * inner] - mx);                                                     \
                                                                                                   \
				if (!lg)                                                                           \
					yl[i * inner] = e;                                                             \
				sum += e;                                                                          \
			}                                                                                      \
			if (lg)                                                                                \
			{                                                                                      \
				T ls = LOG(sum) + mx;                                                              \
                                                                                                   \
				for (int64_t i = 0; i < n; i++)                                                    \
					yl[i * inner] = xl[i * inner] - ls;                                            \
			}                                                                                      \
			else                                                                                   \
			{                                                                                      \
				T inv = 1 / sum;                                                                   \
                                                                                                   \
				for (int64_t i = 0; i < n; i++)                                                    \
					yl[i * inner] *= inv;                                                          \
			}                                                                                      \
		}

/* one contiguous row (the last axis, as attention has it): 8 lanes at a time (vec.c) */
static void
softmax_row_f32(const float *x, float *y, int64_t n, bool lg)
{
	float mx = -INFINITY, part[8] = {0}, sum = 0, ls;

	if (!lg)
	{
		ox_vec_softmax_row(x, y, n);
		return;
	}
	for (int64_t i = 0; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	ox_vec_exp(x, mx, y, n);
	for (int64_t i = 0; i < n; i++) /* 8 partial sums: the reduction vectorizes too */
		part[i & 7] += y[i];
	for (int k = 0; k < 8; k++)
		sum += part[k];
	ls = logf(sum) + mx;
	for (int64_t i = 0; i < n; i++)
		y[i] = x[i] - ls;
}

void
ox_softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, bool lg)
{
	if (inner == 1)
	{
		for (int64_t o = 0; o < outer; o++)
			softmax_row_f32(x + o * n, y + o * n, n, lg);
		return;
	}
	SOFTMAX_BODY(float, ox_expf, logf)
}

void
ox_softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner, bool lg)
{
	SOFTMAX_BODY(double, exp, log)
}

/* ---------- reductions ---------- */

/* dims merged into runs of one kind, size-1 dims dropped */
typedef struct red_view
{
	int		nd;
	int64_t dims[OX_MATH_MAX_DIMS];
	bool	red[OX_MATH_MAX_DIMS];
	int64_t ostride[OX_MATH_MAX_DIMS]; /* output stride of each kept dim, 0 if reduced */
	int64_t out_count, red_count;
} red_view;

static void
red_view_make(int ndim, const int64_t *dims, const bool *reduce, red_view *v)
{
	int64_t s = 1;

	v->nd = 0;
	v->out_count = 1;
	v->red_count = 1;
	for (int i = 0; i < ndim; i++)
	{
		if (reduce[i])
			v->red_count *= dims[i];
		else
			v->out_count *= dims[i];
		if (dims[i] == 1)
			continue;
		if (v->nd > 0 && v->red[v->nd - 1] == reduce[i])
			v->dims[v->nd - 1] *= dims[i];
		else
		{
			v->dims[v->nd] = dims[i];
			v->red[v->nd] = reduce[i];
			v->nd++;
		}
	}
	for (int i = v->nd - 1; i >= 0; i--)
	{
		v->ostride[i] = v->red[i] ? 0 : s;
		if (!v->red[i])
			s *= v->dims[i];
	}
}

#define REDUCE_BODY(T)                                                                             \
	red_view v;                                                                                    \
	int64_t	 idx[OX_MATH_MAX_DIMS] = {0};                                                          \
	int64_t	 inner, outer_count = 1, xo = 0;                                                       \
	T		 init = kind == OX_REDUCE_MAX ? -INFINITY : 0;                                         \
                                                                                                   \
	red_view_make(ndim, dims, reduce, &v);                                                         \
	for (int64_t i = 0; i < v.out_count; i++)                                                      \
		y[i] = init;                                                                               \
	if (v.out_count == 0 || v.red_count == 0)                                                      \
	{                                                                                              \
		if (kind == OX_REDUCE_MEAN)                                                                \
			for (int64_t i = 0; i < v.out_count; i++)                                              \
				y[i] = NAN;                                                                        \
		return;                                                                                    \
	}                                                                                              \
	if (v.nd == 0)                                                                                 \
	{                                                                                              \
		y[0] = x[0];                                                                               \
		return;                                                                                    \
	}                                                                                              \
	inner = v.dims[v.nd - 1];                                                                      \
	for (int i = 0; i < v.nd - 1; i++)                                                             \
		outer_count *= v.dims[i];                                                                  \
	for (int64_t e = 0; e < outer_count; e++, xo += inner)                                         \
	{                                                                                              \
		int64_t	 yo = 0;                                                                           \
		const T *xl = x + xo;                                                                      \
                                                                                                   \
		for (int i = 0; i < v.nd - 1; i++)                                                         \
			yo += idx[i] * v.ostride[i];                                                           \
		if (v.red[v.nd - 1])                                                                       \
		{                                                                                          \
			T acc = y[yo];                                                                         \
                                                                                                   \
			if (kind == OX_REDUCE_MAX)                                                             \
			{                                                                                      \
				for (int64_t k = 0; k < inner; k++)                                                \
					acc = xl[k] > acc || isnan(xl[k]) ? xl[k] : acc;                               \
			}                                                                                      \
			else                                                                                   \
				for (int64_t k = 0; k < inner; k++)                                                \
					acc += xl[k];                                                                  \
			y[yo] = acc;                                                                           \
		}                                                                                          \
		else if (kind == OX_REDUCE_MAX)                                                            \
		{                                                                                          \
			for (int64_t k = 0; k < inner; k++)                                                    \
				y[yo + k] = xl[k] > y[yo + k] || isnan(xl[k]) ? xl[k] : y[yo + k];                 \
		}                                                                                          \
		else                                                                                       \
			for (int64_t k = 0; k < inner; k++)                                                    \
				y[yo + k] += xl[k];                                                                \
		for (int i = v.nd - 2; i >= 0; i--)                                                        \
		{                                                                                          \
			if (++idx[i] < v.dims[i])                                                              \
				break;                                                                             \
			idx[i] = 0;                                                                            \
		}                                                                                          \
	}                                                                                              \
	if (kind == OX_REDUCE_MEAN)                                                                    \
	{                                                                                              \
		T inv = (T) 1 / (T) v.red_count;                                                           \
                                                                                                   \
		for (int64_t i = 0; i < v.out_count; i++)                                                  \
			y[i] *= inv;                                                                           \
	}

void
ox_reduce_f32(const float *x, int ndim, const int64_t *dims, const bool *reduce,
			  ox_reduce_kind kind, float *y)
{
	REDUCE_BODY(float)
}

void
ox_reduce_f64(const double *x, int ndim, const int64_t *dims, const bool *reduce,
			  ox_reduce_kind kind, double *y)
{
	REDUCE_BODY(double)
}

/* ---------- kernels ---------- */

static pgl_rc
float_input(const pgl_ox_node *n, const pgl_ox_tensor *t, pgl_status *st)
{
	if (t->dtype != PGL_OX_FLOAT && t->dtype != PGL_OX_DOUBLE)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float or double tensor.",
						   "%s node \"%s\" got a %s input", n->op_type, n->name,
						   pgl_ox_dtype_name(t->dtype));
	return PGL_OK;
}

pgl_rc
pgl_ox_k_softmax(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *t = in[0];
	bool				 log = strcmp(n->op_type, "LogSoftmax") == 0;
	bool				 one_axis = n->opset >= 13;
	int32_t				 axis;
	int64_t				 outer = 1, len = 1, inner = 1;

	(void) n_in;
	(void) n_out;
	if (float_input(n, t, st) != PGL_OK)
		return st->rc;
	if (t->ndim == 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a tensor of rank 1 or more.",
						   "%s node \"%s\" got a scalar", n->op_type, n->name);
	if (pgl_ox_axis(n, pgl_ox_attr_int(n, "axis", one_axis ? -1 : 1), t->ndim, &axis, st) != PGL_OK)
		return st->rc;
	for (int i = 0; i < t->ndim; i++)
	{
		if (i < axis)
			outer *= t->dims[i];
		else if (i == axis || !one_axis)
			len *= t->dims[i];
		else
			inner *= t->dims[i];
	}
	if (pgl_ox_output(x, out[0], t->dtype, t->ndim, t->dims, st) != PGL_OK)
		return st->rc;
	if (t->dtype == PGL_OX_FLOAT)
		ox_softmax_f32(t->data, out[0]->data, outer, len, inner, log);
	else
		ox_softmax_f64(t->data, out[0]->data, outer, len, inner, log);
	return PGL_OK;
}

/* do the axes come from the second input (ReduceSum from opset 13)? */
static bool
axes_from_input(const pgl_ox_node *n)
{
	return strcmp(n->op_type, "ReduceSum") == 0 && n->opset >= 13;
}

pgl_rc
pgl_ox_c_reduce(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	int64_t		   kd = pgl_ox_attr_int(n, "keepdims", 1);
	int64_t		   noop = pgl_ox_attr_int(n, "noop_with_empty_axes", 0);
	const int64_t *axes;

	(void) m;
	if (kd != 0 && kd != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "keepdims is 0 or 1.",
						   "%s node \"%s\" has keepdims %lld", n->op_type, n->name, (long long) kd);
	if (noop != 0 && noop != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "noop_with_empty_axes is 0 or 1.",
						   "%s node \"%s\" has noop_with_empty_axes %lld", n->op_type, n->name,
						   (long long) noop);
	if (axes_from_input(n) && pgl_ox_attr_ints(n, "axes", &axes) >= 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "From opset 13 ReduceSum takes its axes as its second input.",
						   "ReduceSum node \"%s\" has an axes attribute", n->name);
	if (!axes_from_input(n) && n->n_inputs > 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Its axes are an attribute at this opset.",
						   "%s node \"%s\" has %d inputs", n->op_type, n->name, n->n_inputs);
	if (pgl_ox_attr_ints(n, "axes", &axes) > PGL_OX_MAX_DIMS)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "A tensor has at most 8 dimensions.",
						   "%s node \"%s\" lists %d axes", n->op_type, n->name,
						   pgl_ox_attr_ints(n, "axes", &axes));
	return PGL_OK;
}

/* flag the reduced axes of t in red[]; false (st set) on a bad axis */
static pgl_rc
reduce_axes(const pgl_ox_node *n, const pgl_ox_tensor *t, const pgl_ox_tensor *axes_t, bool *red,
			bool *noop, pgl_status *st)
{
	const int64_t *axes = NULL;
	int64_t		   count;

	*noop = false;
	if (axes_from_input(n))
	{
		count = axes_t ? axes_t->count : 0;
		if (axes_t && axes_t->dtype != PGL_OX_INT64)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "The axes are an int64 tensor.",
							   "ReduceSum node \"%s\" got %s axes", n->name,
							   pgl_ox_dtype_name(axes_t->dtype));
		if (axes_t && axes_t->ndim > 1)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "The axes are a 1-D tensor.",
							   "ReduceSum node \"%s\" got axes of rank %d", n->name, axes_t->ndim);
		axes = axes_t ? axes_t->data : NULL;
	}
	else
		count = pgl_ox_attr_ints(n, "axes", &axes);
	if (count <= 0)
	{
		*noop = count == 0 && pgl_ox_attr_int(n, "noop_with_empty_axes", 0) == 1;
		for (int i = 0; i < t->ndim; i++)
			red[i] = !*noop;
		return PGL_OK;
	}
	memset(red, 0, sizeof(bool) * PGL_OX_MAX_DIMS);
	for (int64_t i = 0; i < count; i++)
	{
		int32_t a;

		if (pgl_ox_axis(n, axes[i], t->ndim, &a, st) != PGL_OK)
			return st->rc;
		if (red[a])
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Each axis is listed once.",
							   "%s node \"%s\" lists axis %lld twice", n->op_type, n->name,
							   (long long) axes[i]);
		red[a] = true;
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_k_reduce(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *t = in[0];
	bool				 red[PGL_OX_MAX_DIMS] = {0}, noop;
	bool				 keep = pgl_ox_attr_int(n, "keepdims", 1) == 1;
	int64_t				 yd[PGL_OX_MAX_DIMS];
	int					 yn = 0;
	ox_reduce_kind		 kind = strcmp(n->op_type, "ReduceSum") == 0	? OX_REDUCE_SUM
								: strcmp(n->op_type, "ReduceMean") == 0 ? OX_REDUCE_MEAN
																		: OX_REDUCE_MAX;

	(void) n_out;
	if (float_input(n, t, st) != PGL_OK ||
		reduce_axes(n, t, n_in > 1 ? in[1] : NULL, red, &noop, st) != PGL_OK)
		return st->rc;
	if (kind == OX_REDUCE_MAX)
		for (int i = 0; i < t->ndim; i++)
			if (red[i] && t->dims[i] == 0)
				return pgl_ox_fail(st, PGL_ERR_INVALID, "ReduceMax needs an element.",
								   "ReduceMax node \"%s\" reduces an empty axis %d", n->name, i);
	for (int i = 0; i < t->ndim; i++)
		if (!red[i] || keep)
			yd[yn++] = red[i] ? 1 : t->dims[i];
	if (pgl_ox_output(x, out[0], t->dtype, yn, yd, st) != PGL_OK)
		return st->rc;
	if (noop)
		memcpy(out[0]->data, t->data, (size_t) t->count * pgl_ox_dtype_size(t->dtype));
	else if (t->dtype == PGL_OX_FLOAT)
		ox_reduce_f32(t->data, t->ndim, t->dims, red, kind, out[0]->data);
	else
		ox_reduce_f64(t->data, t->ndim, t->dims, red, kind, out[0]->data);
	return PGL_OK;
}
