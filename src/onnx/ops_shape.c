/*-------------------------------------------------------------------------
 *
 * ops_shape.c
 *	  Kernels that move data without arithmetic: Identity, Dropout
 *	  (inference), Constant, Shape, Reshape, Flatten, Transpose, Concat,
 *	  Split, Slice, Gather, Squeeze, Unsqueeze, ConstantOfShape, Expand.
 *
 * Opset differences: Split, Squeeze and Unsqueeze take their split sizes
 * or axes as an attribute before opset 13 and as an input from 13; Slice
 * takes starts/ends/axes as attributes before opset 10 and as inputs
 * (with steps) from 10.  Every index and shape coming from a tensor is
 * checked against the data before use.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_kernels.h"

#include <string.h>

static const char *
label(const pgl_ox_node *n)
{
	return n->name[0] ? n->name : n->op_type;
}

static pgl_rc
node_fail(const pgl_ox_node *n, pgl_status *st, const char *what)
{
	return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (%s): %s", label(n), n->op_type, what);
}

/* an int32/int64 tensor of rank <= 1 as at most max int64 values */
static pgl_rc
int_list(const pgl_ox_node *n, const pgl_ox_tensor *t, int32_t max, int64_t *v, int32_t *count,
		 pgl_status *st)
{
	if (t->dtype != PGL_OX_INT64 && t->dtype != PGL_OX_INT32)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (%s) takes int64 %s, not %s", label(n),
						n->op_type, t->name ? t->name : "indices", pgl_ox_dtype_name(t->dtype));
	if (t->ndim > 1 || t->count > max)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX node %s (%s): %s must be a list of at most %d values", label(n),
						n->op_type, t->name ? t->name : "input", max);
	for (int64_t i = 0; i < t->count; i++)
		v[i] = pgl_ox_get_i64(t, i);
	*count = (int32_t) t->count;
	return PGL_OK;
}

/*
 * Copy src into dst (dims, row-major), reading element i at
 * base + sum(idx_d * strides[d]): a transpose, a slice, a broadcast.
 */
static void
strided_copy(void *dst, const void *src, size_t es, int32_t nd, const int64_t *dims, int64_t base,
			 const int64_t *strides)
{
	int64_t idx[PGL_OX_MAX_DIMS] = {0};
	int64_t total = 1, inner, step, o = 0;
	int64_t md[PGL_OX_MAX_DIMS], ms[PGL_OX_MAX_DIMS];
	int32_t m = 0;

	for (int32_t i = 0; i < nd; i++)
		total *= dims[i];
	if (total == 0)
		return;

	/*
	 * Dims of size 1 dropped, and a dim merged into the next where the
	 * source walks them as one (the destination is contiguous): a
	 * Transpose that keeps the innermost dims in place then copies long
	 * contiguous runs (attention's head split and merge).
	 */
	for (int32_t i = 0; i < nd; i++)
	{
		if (dims[i] == 1)
			continue;
		if (m > 0 && ms[m - 1] == strides[i] * dims[i])
		{
			md[m - 1] *= dims[i];
			ms[m - 1] = strides[i];
			continue;
		}
		md[m] = dims[i];
		ms[m] = strides[i];
		m++;
	}
	if (m == 0)
	{
		md[0] = 1;
		ms[0] = 1;
		m = 1;
	}
	nd = m;
	dims = md;
	strides = ms;
	inner = dims[nd - 1];
	step = strides[nd - 1];
	while (o < total)
	{
		int64_t off = base;

		for (int32_t i = 0; i < nd - 1; i++)
			off += idx[i] * strides[i];
		if (step == 1)
			memcpy((char *) dst + o * es, (const char *) src + off * es, inner * es);
		else
			switch (es)
			{
				case 1:
					for (int64_t k = 0; k < inner; k++)
						((uint8_t *) dst)[o + k] = ((const uint8_t *) src)[off + k * step];
					break;
				case 4:
					for (int64_t k = 0; k < inner; k++)
						((uint32_t *) dst)[o + k] = ((const uint32_t *) src)[off + k * step];
					break;
				default:
					for (int64_t k = 0; k < inner; k++)
						((uint64_t *) dst)[o + k] = ((const uint64_t *) src)[off + k * step];
					break;
			}
		o += inner;
		for (int32_t i = nd - 2; i >= 0; i--)
		{
			if (++idx[i] < dims[i])
				break;
			idx[i] = 0;
		}
	}
}

static void
row_strides(int32_t nd, const int64_t *dims, int64_t *s)
{
	int64_t acc = 1;

	for (int32_t i = nd - 1; i >= 0; i--)
	{
		s[i] = acc;
		acc *= dims[i];
	}
}

/* out = in's data under a new shape */
static pgl_rc
copy_as(pgl_ox_exec *x, const pgl_ox_tensor *in, pgl_ox_tensor *out, int32_t nd,
		const int64_t *dims, pgl_status *st)
{
	pgl_rc rc;

	if (!out)
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out, in->dtype, nd, dims, st)) != PGL_OK)
		return rc;
	if (out->count != in->count)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX reshape of %lld elements into %lld",
						(long long) in->count, (long long) out->count);
	if (in->count > 0)
		memcpy(out->data, in->data, (size_t) in->count * pgl_ox_dtype_size(in->dtype));
	return PGL_OK;
}

/* ---------- Identity, Dropout, Constant, Shape ---------- */

pgl_rc
pgl_ox_k_identity(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	pgl_rc rc;

	/* training mode draws a random mask: only a ratio of 0 (keep all) is deterministic */
	if (n_in > 2 && in[2] && in[2]->count > 0 && pgl_ox_get_i64(in[2], 0) != 0 &&
		!(in[1] && in[1]->count > 0 && pgl_ox_get_f64(in[1], 0) == 0))
		return node_fail(n, st, "unsupported Dropout in training mode with a ratio above 0");
	if ((rc = copy_as(x, in[0], out[0], in[0]->ndim, in[0]->dims, st)) != PGL_OK)
		return rc;
	if (n_out > 1 && out[1])
	{
		/* Dropout's mask: everything kept */
		if ((rc = pgl_ox_output(x, out[1], PGL_OX_BOOL, in[0]->ndim, in[0]->dims, st)) != PGL_OK)
			return rc;
		memset(out[1]->data, 1, (size_t) out[1]->count);
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_c_dropout(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const pgl_ox_tensor *tm = pgl_ox_const_input(m, n, 2), *ratio = pgl_ox_const_input(m, n, 1);

	if (tm && tm->count > 0 && pgl_ox_get_i64(tm, 0) != 0 &&
		!(ratio && ratio->count > 0 && pgl_ox_get_f64(ratio, 0) == 0))
		return pgl_fail(st, PGL_ERR_INVALID, "unsupported ONNX Dropout in training mode (node %s)",
						label(n));
	if (n->opset < 7 && pgl_ox_attr_int(n, "is_test", 0) == 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"unsupported ONNX Dropout in training mode (node %s: is_test is 0)",
						label(n));
	return PGL_OK;
}

pgl_rc
pgl_ox_c_constant(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const pgl_ox_attr *a;
	pgl_ox_tensor	  *t;

	if (n->n_attrs != 1)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Constant) must have one attribute",
						label(n));
	a = &n->attrs[0];
	if (strcmp(a->name, "value") == 0 && a->type == PGL_OX_ATTR_TENSOR)
	{
		n->state = a->t;
		return PGL_OK;
	}
	t = pgl_ox_state_alloc(m, sizeof(pgl_ox_tensor), st);
	if (!t)
		return st->rc;
	t->buf = -1;
	if (strcmp(a->name, "value_float") == 0 && a->type == PGL_OX_ATTR_FLOAT)
	{
		t->dtype = PGL_OX_FLOAT;
		t->data = (void *) &a->f;
	}
	else if (strcmp(a->name, "value_int") == 0 && a->type == PGL_OX_ATTR_INT)
	{
		t->dtype = PGL_OX_INT64;
		t->data = (void *) &a->i;
	}
	else if (strcmp(a->name, "value_floats") == 0 && a->type == PGL_OX_ATTR_FLOATS)
	{
		t->dtype = PGL_OX_FLOAT;
		t->ndim = 1;
		t->dims[0] = a->n;
		t->data = a->floats;
	}
	else if (strcmp(a->name, "value_ints") == 0 && a->type == PGL_OX_ATTR_INTS)
	{
		t->dtype = PGL_OX_INT64;
		t->ndim = 1;
		t->dims[0] = a->n;
		t->data = a->ints;
	}
	else
		return pgl_fail(st, PGL_ERR_INVALID, "unsupported ONNX Constant attribute %s in node %s",
						a->name, label(n));
	t->count = t->ndim ? t->dims[0] : 1;
	n->state = t;
	return PGL_OK;
}

pgl_rc
pgl_ox_k_constant(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	(void) in;
	(void) n_in;
	(void) n_out;
	if (!n->state)
		return node_fail(n, st, "has no value");
	return copy_as(x, n->state, out[0], ((pgl_ox_tensor *) n->state)->ndim,
				   ((pgl_ox_tensor *) n->state)->dims, st);
}

pgl_rc
pgl_ox_k_shape(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int32_t r;
	int64_t start, end, len;
	pgl_rc	rc;

	(void) n_in;
	(void) n_out;
	r = in[0]->ndim;
	start = pgl_ox_attr_int(n, "start", 0);
	end = pgl_ox_attr_int(n, "end", r);
	if (start < 0)
		start += r;
	if (end < 0)
		end += r;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	len = end > start ? end - start : 0;
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], PGL_OX_INT64, 1, &len, st)) != PGL_OK)
		return rc;
	for (int64_t i = 0; i < len; i++)
		((int64_t *) out[0]->data)[i] = in[0]->dims[start + i];
	return PGL_OK;
}

/* ---------- Reshape, Flatten, Squeeze, Unsqueeze ---------- */

pgl_rc
pgl_ox_k_reshape(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int64_t shape[PGL_OX_MAX_DIMS], known = 1;
	int32_t nd, infer = -1;
	bool	allowzero = pgl_ox_attr_int(n, "allowzero", 0) != 0;
	pgl_rc	rc;

	(void) n_in;
	(void) n_out;
	if ((rc = int_list(n, in[1], PGL_OX_MAX_DIMS, shape, &nd, st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < nd; i++)
	{
		if (shape[i] == 0 && !allowzero)
		{
			if (i >= in[0]->ndim)
				return node_fail(n, st, "shape copies a dim (0) beyond the input's rank");
			shape[i] = in[0]->dims[i];
		}
		if (shape[i] == -1)
		{
			if (infer >= 0)
				return node_fail(n, st, "shape has more than one -1");
			infer = i;
			continue;
		}
		if (shape[i] < 0)
			return node_fail(n, st, "shape has a negative dim other than -1");
		if (shape[i] > 0 && known > INT64_MAX / shape[i])
			return node_fail(n, st, "shape is too large");
		known *= shape[i];
	}
	if (infer >= 0)
	{
		if (known == 0 || in[0]->count % known != 0)
			return node_fail(n, st, "shape's -1 cannot be inferred from the input's size");
		shape[infer] = in[0]->count / known;
	}
	else if (known != in[0]->count)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX node %s (Reshape): shape has %lld elements, the input %lld", label(n),
						(long long) known, (long long) in[0]->count);
	return copy_as(x, in[0], out[0], nd, shape, st);
}

pgl_rc
pgl_ox_k_flatten(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int64_t axis = pgl_ox_attr_int(n, "axis", 1), dims[2] = {1, 1};
	int32_t r;

	(void) n_in;
	(void) n_out;
	r = in[0]->ndim;
	if (axis < -(int64_t) r || axis > r)
		return node_fail(n, st, "axis is out of range [-rank, rank]");
	if (axis < 0)
		axis += r;
	for (int32_t i = 0; i < r; i++)
		dims[i < axis ? 0 : 1] *= in[0]->dims[i];
	return copy_as(x, in[0], out[0], 2, dims, st);
}

/* the axes of Squeeze / Unsqueeze: an attribute before opset 13, an input from 13 */
static pgl_rc
get_axes(const pgl_ox_node *n, pgl_ox_tensor **in, int n_in, int64_t *axes, int32_t *k,
		 pgl_status *st)
{
	if (n->opset < 13)
	{
		const int64_t *v;
		int32_t		   c = pgl_ox_attr_ints(n, "axes", &v);

		if (c > PGL_OX_MAX_DIMS)
			return node_fail(n, st, "has too many axes");
		*k = c;
		for (int32_t i = 0; i < c; i++)
			axes[i] = v[i];
		return PGL_OK;
	}
	if (n_in < 2 || !in[1])
	{
		*k = -1;
		return PGL_OK;
	}
	return int_list(n, in[1], PGL_OX_MAX_DIMS, axes, k, st);
}

pgl_rc
pgl_ox_k_squeeze(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int64_t axes[PGL_OX_MAX_DIMS], dims[PGL_OX_MAX_DIMS];
	bool	drop[PGL_OX_MAX_DIMS] = {false};
	int32_t k, r, nd = 0;
	pgl_rc	rc;

	(void) n_out;
	if ((rc = get_axes(n, in, n_in, axes, &k, st)) != PGL_OK)
		return rc;
	r = in[0]->ndim;
	if (k < 0)
		for (int32_t i = 0; i < r; i++)
			drop[i] = in[0]->dims[i] == 1;
	for (int32_t i = 0; i < k; i++)
	{
		int32_t a;

		if ((rc = pgl_ox_axis(n, axes[i], r, &a, st)) != PGL_OK)
			return rc;
		if (in[0]->dims[a] != 1)
			return node_fail(n, st, "squeezes a dim that is not 1");
		drop[a] = true;
	}
	for (int32_t i = 0; i < r; i++)
		if (!drop[i])
			dims[nd++] = in[0]->dims[i];
	return copy_as(x, in[0], out[0], nd, dims, st);
}

pgl_rc
pgl_ox_k_unsqueeze(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int64_t axes[PGL_OX_MAX_DIMS], dims[PGL_OX_MAX_DIMS];
	bool	ins[PGL_OX_MAX_DIMS] = {false};
	int32_t k, r, j = 0;
	pgl_rc	rc;

	(void) n_out;
	if ((rc = get_axes(n, in, n_in, axes, &k, st)) != PGL_OK)
		return rc;
	if (k < 0)
		return node_fail(n, st, "has no axes");
	r = in[0]->ndim + k;
	if (r > PGL_OX_MAX_DIMS)
		return node_fail(n, st, "would give more than 8 dims");
	for (int32_t i = 0; i < k; i++)
	{
		int32_t a;

		if ((rc = pgl_ox_axis(n, axes[i], r, &a, st)) != PGL_OK)
			return rc;
		if (ins[a])
			return node_fail(n, st, "has a repeated axis");
		ins[a] = true;
	}
	for (int32_t i = 0; i < r; i++)
		dims[i] = ins[i] ? 1 : in[0]->dims[j++];
	return copy_as(x, in[0], out[0], r, dims, st);
}

/* ---------- Transpose ---------- */

pgl_rc
pgl_ox_k_transpose(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const int64_t *perm;
	int64_t p[PGL_OX_MAX_DIMS], dims[PGL_OX_MAX_DIMS], s[PGL_OX_MAX_DIMS], ps[PGL_OX_MAX_DIMS];
	bool	seen[PGL_OX_MAX_DIMS] = {false};
	int32_t r, k;
	pgl_rc	rc;

	(void) n_in;
	(void) n_out;
	r = in[0]->ndim;
	k = pgl_ox_attr_ints(n, "perm", &perm);
	if (k >= 0 && k != r)
		return node_fail(n, st, "perm does not have one entry per dim");
	for (int32_t i = 0; i < r; i++)
	{
		p[i] = k >= 0 ? perm[i] : r - 1 - i;
		if (p[i] < 0 || p[i] >= r || seen[p[i]])
			return node_fail(n, st, "perm is not a permutation of the dims");
		seen[p[i]] = true;
	}
	row_strides(r, in[0]->dims, s);
	for (int32_t i = 0; i < r; i++)
	{
		dims[i] = in[0]->dims[p[i]];
		ps[i] = s[p[i]];
	}
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], in[0]->dtype, r, dims, st)) != PGL_OK)
		return rc;
	strided_copy(out[0]->data, in[0]->data, pgl_ox_dtype_size(in[0]->dtype), r, dims, 0, ps);
	return PGL_OK;
}

/* ---------- Concat, Split ---------- */

pgl_rc
pgl_ox_c_concat(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	(void) m;
	if (!pgl_ox_attr_find(n, "axis"))
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Concat) has no axis", label(n));
	for (int32_t i = 0; i < n->n_inputs; i++)
		if (!n->inputs[i][0])
			return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Concat) has an empty input",
							label(n));
	return PGL_OK;
}

pgl_rc
pgl_ox_k_concat(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *a;
	int64_t				 dims[PGL_OX_MAX_DIMS], outer = 1, inner = 1, off = 0;
	int32_t				 axis, r;
	size_t				 es;
	pgl_rc				 rc;

	(void) n_out;
	a = in[0];
	r = a->ndim;
	if ((rc = pgl_ox_axis(n, pgl_ox_attr_int(n, "axis", 0), r, &axis, st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < r; i++)
		dims[i] = a->dims[i];
	dims[axis] = 0;
	for (int i = 0; i < n_in; i++)
	{
		if (in[i]->dtype != a->dtype || in[i]->ndim != r)
			return node_fail(n, st, "inputs differ in type or rank");
		for (int32_t d = 0; d < r; d++)
			if (d != axis && in[i]->dims[d] != a->dims[d])
				return node_fail(n, st, "inputs differ in a dim other than the axis");
		dims[axis] += in[i]->dims[axis];
	}
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], a->dtype, r, dims, st)) != PGL_OK)
		return rc;
	es = pgl_ox_dtype_size(a->dtype);
	for (int32_t d = 0; d < axis; d++)
		outer *= dims[d];
	for (int32_t d = axis + 1; d < r; d++)
		inner *= dims[d];
	for (int i = 0; i < n_in; i++)
	{
		size_t chunk = (size_t) (in[i]->dims[axis] * inner) * es;
		size_t row = (size_t) (dims[axis] * inner) * es;

		for (int64_t o = 0; o < outer && chunk > 0; o++)
			memcpy((char *) out[0]->data + (size_t) o * row + (size_t) off,
				   (const char *) in[i]->data + (size_t) o * chunk, chunk);
		off += (int64_t) chunk;
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_k_split(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *a;
	int64_t				 outer = 1, inner = 1, total = 0, off = 0, d;
	int32_t				 axis, k = -1;
	size_t				 es;
	int64_t				*split;
	pgl_rc				 rc;

	a = in[0];
	if ((rc = pgl_ox_axis(n, pgl_ox_attr_int(n, "axis", 0), a->ndim, &axis, st)) != PGL_OK)
		return rc;
	split = pgl_ox_scratch(x, sizeof(int64_t) * (size_t) n_out, st);
	if (!split)
		return st->rc;
	if (n->opset < 13)
	{
		const int64_t *v;

		k = pgl_ox_attr_ints(n, "split", &v);
		for (int32_t i = 0; i < k && i < n_out; i++)
			split[i] = v[i];
	}
	else if (n_in > 1 && in[1])
	{
		if (in[1]->count != n_out || in[1]->ndim != 1 ||
			(in[1]->dtype != PGL_OX_INT64 && in[1]->dtype != PGL_OX_INT32))
			return node_fail(n, st, "split must be one int64 size per output");
		k = (int32_t) in[1]->count;
		for (int32_t i = 0; i < k; i++)
			split[i] = pgl_ox_get_i64(in[1], i);
	}
	d = a->dims[axis];
	if (k < 0)
	{
		if (d % n_out != 0)
			return node_fail(n, st, "the axis does not split into equal parts");
		for (int i = 0; i < n_out; i++)
			split[i] = d / n_out;
	}
	else if (k != n_out)
		return node_fail(n, st, "split must have one size per output");
	for (int i = 0; i < n_out; i++)
	{
		if (split[i] < 0 || split[i] > d - total)
			return node_fail(n, st, "split sizes are negative or exceed the axis");
		total += split[i];
	}
	if (total != d)
		return node_fail(n, st, "split sizes do not add up to the axis");
	es = pgl_ox_dtype_size(a->dtype);
	for (int32_t i = 0; i < axis; i++)
		outer *= a->dims[i];
	for (int32_t i = axis + 1; i < a->ndim; i++)
		inner *= a->dims[i];
	for (int i = 0; i < n_out; i++)
	{
		int64_t dims[PGL_OX_MAX_DIMS];
		size_t	chunk = (size_t) (split[i] * inner) * es, row = (size_t) (d * inner) * es;

		memcpy(dims, a->dims, sizeof(dims));
		dims[axis] = split[i];
		if (out[i])
		{
			if ((rc = pgl_ox_output(x, out[i], a->dtype, a->ndim, dims, st)) != PGL_OK)
				return rc;
			for (int64_t o = 0; o < outer && chunk > 0; o++)
				memcpy((char *) out[i]->data + (size_t) o * chunk,
					   (const char *) a->data + (size_t) o * row + (size_t) off, chunk);
		}
		off += (int64_t) chunk;
	}
	return PGL_OK;
}

/* ---------- Slice ---------- */

typedef struct slice_args
{
	int64_t starts[PGL_OX_MAX_DIMS], ends[PGL_OX_MAX_DIMS], axes[PGL_OX_MAX_DIMS],
		steps[PGL_OX_MAX_DIMS];
	int32_t k;
} slice_args;

static pgl_rc
slice_args_get(const pgl_ox_node *n, pgl_ox_tensor **in, int n_in, int32_t r, slice_args *s,
			   pgl_status *st)
{
	int32_t ke = 0, ka = -1, ks = -1;
	pgl_rc	rc;

	if (n->opset < 10)
	{
		const int64_t *v, *e, *a;

		s->k = pgl_ox_attr_ints(n, "starts", &v);
		ke = pgl_ox_attr_ints(n, "ends", &e);
		ka = pgl_ox_attr_ints(n, "axes", &a);
		if (s->k < 0 || s->k > PGL_OX_MAX_DIMS || ka > PGL_OX_MAX_DIMS)
			return node_fail(n, st, "starts must list at most 8 values");
		for (int32_t i = 0; i < s->k && i < ke; i++)
		{
			s->starts[i] = v[i];
			s->ends[i] = e[i];
		}
		for (int32_t i = 0; i < ka; i++)
			s->axes[i] = a[i];
	}
	else
	{
		if ((rc = int_list(n, in[1], PGL_OX_MAX_DIMS, s->starts, &s->k, st)) != PGL_OK ||
			(rc = int_list(n, in[2], PGL_OX_MAX_DIMS, s->ends, &ke, st)) != PGL_OK)
			return rc;
		if (n_in > 3 && in[3] &&
			(rc = int_list(n, in[3], PGL_OX_MAX_DIMS, s->axes, &ka, st)) != PGL_OK)
			return rc;
		if (n_in > 4 && in[4] &&
			(rc = int_list(n, in[4], PGL_OX_MAX_DIMS, s->steps, &ks, st)) != PGL_OK)
			return rc;
	}
	if (ke != s->k || (ka >= 0 && ka != s->k) || (ks >= 0 && ks != s->k))
		return node_fail(n, st, "starts, ends, axes and steps differ in length");
	for (int32_t i = 0; i < s->k; i++)
	{
		if (ka < 0)
			s->axes[i] = i;
		if (ks < 0)
			s->steps[i] = 1;
		if (s->steps[i] == 0)
			return node_fail(n, st, "a step is 0");
		if (s->axes[i] < -(int64_t) r || s->axes[i] >= r)
			return node_fail(n, st, "an axis is out of range");
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_k_slice(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	slice_args s;
	int64_t	   dims[PGL_OX_MAX_DIMS], start[PGL_OX_MAX_DIMS], step[PGL_OX_MAX_DIMS],
		str[PGL_OX_MAX_DIMS], base = 0;
	bool	seen[PGL_OX_MAX_DIMS] = {false};
	int32_t r;
	pgl_rc	rc;

	(void) n_out;
	r = in[0]->ndim;
	if ((rc = slice_args_get(n, in, n_in, r, &s, st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < r; i++)
	{
		dims[i] = in[0]->dims[i];
		start[i] = 0;
		step[i] = 1;
	}
	for (int32_t i = 0; i < s.k; i++)
	{
		int32_t a = (int32_t) (s.axes[i] < 0 ? s.axes[i] + r : s.axes[i]);
		int64_t d = in[0]->dims[a], b = s.starts[i], e = s.ends[i], p = s.steps[i];

		if (seen[a])
			return node_fail(n, st, "an axis is repeated");
		seen[a] = true;
		/* a step past the dim takes one element as the dim itself does: no stride overflows */
		if (p > d || p < -d)
			p = p > 0 ? (d > 0 ? d : 1) : (d > 0 ? -d : -1);
		if (b < 0)
			b = b < -d ? 0 : b + d;
		if (e < 0)
			e = e < -d ? -1 : e + d;
		if (p > 0)
		{
			b = b > d ? d : b;
			e = e < 0 ? 0 : e > d ? d : e;
			dims[a] = e > b ? (e - b - 1) / p + 1 : 0;
		}
		else
		{
			b = b > d - 1 ? d - 1 : b;
			e = e > d - 1 ? d - 1 : e;
			dims[a] = b > e ? (b - e - 1) / -p + 1 : 0;
		}
		start[a] = b;
		step[a] = p;
	}
	row_strides(r, in[0]->dims, str);
	for (int32_t i = 0; i < r; i++)
	{
		if (dims[i] > 0)
			base += start[i] * str[i];
		str[i] *= step[i];
	}
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], in[0]->dtype, r, dims, st)) != PGL_OK)
		return rc;
	strided_copy(out[0]->data, in[0]->data, pgl_ox_dtype_size(in[0]->dtype), r, dims, base, str);
	return PGL_OK;
}

/* ---------- Gather ---------- */

pgl_rc
pgl_ox_k_gather(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *a, *ix;
	int64_t				 dims[PGL_OX_MAX_DIMS], outer = 1, inner = 1, d;
	int32_t				 axis, nd = 0;
	size_t				 es;
	pgl_rc				 rc;

	(void) n_in;
	(void) n_out;
	a = in[0];
	ix = in[1];
	if (ix->dtype != PGL_OX_INT64 && ix->dtype != PGL_OX_INT32)
		return node_fail(n, st, "indices must be int32 or int64");
	if ((rc = pgl_ox_axis(n, pgl_ox_attr_int(n, "axis", 0), a->ndim, &axis, st)) != PGL_OK)
		return rc;
	if (a->ndim - 1 + ix->ndim > PGL_OX_MAX_DIMS)
		return node_fail(n, st, "would give more than 8 dims");
	for (int32_t i = 0; i < axis; i++)
		outer *= (dims[nd++] = a->dims[i]);
	for (int32_t i = 0; i < ix->ndim; i++)
		dims[nd++] = ix->dims[i];
	for (int32_t i = axis + 1; i < a->ndim; i++)
		inner *= (dims[nd++] = a->dims[i]);
	d = a->dims[axis];
	for (int64_t j = 0; j < ix->count; j++)
	{
		int64_t v = pgl_ox_get_i64(ix, j);

		if (v < -d || v >= d)
			return pgl_fail(st, PGL_ERR_INVALID,
							"ONNX node %s (Gather): index %lld is out of range for a dim of %lld",
							label(n), (long long) v, (long long) d);
	}
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], a->dtype, nd, dims, st)) != PGL_OK)
		return rc;
	es = pgl_ox_dtype_size(a->dtype);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < ix->count; j++)
		{
			int64_t v = pgl_ox_get_i64(ix, j);

			if (v < 0)
				v += d;
			if (inner > 0)
				memcpy((char *) out[0]->data + (size_t) ((o * ix->count + j) * inner) * es,
					   (const char *) a->data + (size_t) ((o * d + v) * inner) * es,
					   (size_t) inner * es);
		}
	return PGL_OK;
}

/* ---------- ConstantOfShape, Expand ---------- */

pgl_rc
pgl_ox_c_constant_of_shape(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, "value");

	(void) m;
	if (a && (a->type != PGL_OX_ATTR_TENSOR || a->t->count != 1))
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX node %s (ConstantOfShape): value must be a one-element tensor",
						label(n));
	return PGL_OK;
}

pgl_rc
pgl_ox_k_constant_of_shape(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
						   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *v = pgl_ox_attr_tensor(n, "value");
	int64_t				 dims[PGL_OX_MAX_DIMS];
	int32_t				 nd;
	float				 zero = 0;
	const void			*val = v ? v->data : &zero;
	int32_t				 dt = v ? v->dtype : PGL_OX_FLOAT;
	size_t				 es = pgl_ox_dtype_size(dt);
	pgl_rc				 rc;

	(void) n_in;
	(void) n_out;
	if ((rc = int_list(n, in[0], PGL_OX_MAX_DIMS, dims, &nd, st)) != PGL_OK)
		return rc;
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], dt, nd, dims, st)) != PGL_OK)
		return rc;
	for (int64_t i = 0; i < out[0]->count; i++)
		memcpy((char *) out[0]->data + (size_t) i * es, val, es);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_expand(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int64_t shape[PGL_OX_MAX_DIMS], dims[PGL_OX_MAX_DIMS], str[PGL_OX_MAX_DIMS];
	int32_t k, nd;
	pgl_rc	rc;

	(void) n_in;
	(void) n_out;
	if ((rc = int_list(n, in[1], PGL_OX_MAX_DIMS, shape, &k, st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < k; i++)
		if (shape[i] < 0)
			return node_fail(n, st, "shape has a negative dim");
	if ((rc = pgl_ox_broadcast_shape(in[0]->ndim, in[0]->dims, k, shape, &nd, dims, st)) != PGL_OK)
		return rc;
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], in[0]->dtype, nd, dims, st)) != PGL_OK)
		return rc;
	pgl_ox_broadcast_strides(in[0]->ndim, in[0]->dims, nd, dims, str);
	strided_copy(out[0]->data, in[0]->data, pgl_ox_dtype_size(in[0]->dtype), nd, dims, 0, str);
	return PGL_OK;
}
