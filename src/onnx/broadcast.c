/*-------------------------------------------------------------------------
 *
 * broadcast.c
 *	  numpy-style (multidirectional) broadcasting for the kernels: the
 *	  output shape, per-input strides, and a walk over the output in runs of
 *	  its innermost dim.
 *
 *-------------------------------------------------------------------------
 */
#include "onnx.h"

#include <string.h>

pgl_rc
pgl_ox_broadcast_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b, int32_t *nout,
					   int64_t *out, pgl_status *st)
{
	int32_t n = na > nb ? na : nb;

	for (int32_t i = 0; i < n; i++)
	{
		/* right-aligned: dim i of the output is dim i - (n - na) of a */
		int32_t ia = i - (n - na), ib = i - (n - nb);
		int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;

		if (da == db || db == 1)
			out[i] = da;
		else if (da == 1)
			out[i] = db;
		else
			return pgl_ox_fail(st, PGL_ERR_INVALID,
							   "Broadcast dims must be equal, or one of them 1 (numpy rules).",
							   "ONNX shapes do not broadcast: dim %lld against dim %lld",
							   (long long) da, (long long) db);
	}
	*nout = n;
	return PGL_OK;
}

void
pgl_ox_broadcast_strides(int32_t nt, const int64_t *tdims, int32_t ndim, const int64_t *dims,
						 int64_t *strides)
{
	int64_t s = 1;

	for (int32_t i = ndim - 1; i >= 0; i--)
	{
		int32_t it = i - (ndim - nt);
		int64_t d = it >= 0 ? tdims[it] : 1;

		strides[i] = (d == 1 && dims[i] != 1) ? 0 : s;
		s *= d;
	}
}

void
pgl_ox_bcast_init(pgl_ox_bcast *it, int32_t ndim, const int64_t *dims, int32_t n,
				  const pgl_ox_tensor *const *ins)
{
	memset(it, 0, sizeof(*it));
	it->ndim = ndim;
	it->n = n;
	it->total = 1;
	for (int32_t i = 0; i < ndim; i++)
	{
		it->dims[i] = dims[i];
		it->total *= dims[i];
	}
	for (int32_t k = 0; k < n; k++)
		pgl_ox_broadcast_strides(ins[k]->ndim, ins[k]->dims, ndim, dims, it->strides[k]);
	it->done = 0;
	it->len = 0;
}

/*
 * Advance to the next run: a stretch of the innermost dim.  The run starts
 * at output offset it->out; input k starts at it->off[k] and moves by
 * it->step[k] per element.  A scalar (0-d) output is one run of 1.
 */
bool
pgl_ox_bcast_next(pgl_ox_bcast *it)
{
	int32_t last = it->ndim - 1;

	if (it->done >= it->total)
		return false;
	if (it->done > 0)
	{
		/* carry into the outer dims */
		for (int32_t i = last - 1; i >= 0; i--)
		{
			if (++it->idx[i] < it->dims[i])
				break;
			it->idx[i] = 0;
		}
	}
	it->out = it->done;
	it->len = it->ndim > 0 ? it->dims[last] : 1;
	for (int32_t k = 0; k < it->n; k++)
	{
		int64_t off = 0;

		for (int32_t i = 0; i < last; i++)
			off += it->idx[i] * it->strides[k][i];
		it->off[k] = off;
		it->step[k] = it->ndim > 0 ? it->strides[k][last] : 0;
	}
	it->done += it->len;
	return true;
}
