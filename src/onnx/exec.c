/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  The executor: value slots and an arena of buffers.
 *
 * Each node output gets a buffer from the arena when its kernel asks
 * (pgl_ox_output) and gives it back after its last use (plan.c).  A slot
 * asks first for the buffer it had in the previous run, so a run with the
 * same shapes as the one before takes every buffer it took then, and
 * allocates nothing; otherwise the smallest free buffer that fits, else a
 * free one grown, else a new one.  At most one buffer per slot is ever
 * held, so the arena never has more buffers than slots.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <stdio.h>
#include <string.h>

#define OX_MAX_SCRATCH 16

typedef struct ox_buf
{
	void  *p;
	size_t cap;
	bool   busy;
} ox_buf;

struct pgl_ox_exec
{
	const pgl_ox_model *m;
	const pgl_ox_plan  *plan;
	const pgl_env	   *env;
	pgl_ox_tensor	   *vals; /* n_slots */
	int32_t			   *pref; /* n_slots: buffer of the previous run, -1 */
	ox_buf			   *bufs; /* n_slots */
	int32_t				n_bufs;
	ox_buf				scratch[OX_MAX_SCRATCH];
	int32_t				scratch_used;
	int64_t				bytes, allocs;
	pgl_ox_tensor	  **in, **out;
	bool				have_results;
};

pgl_ox_exec *
pgl_ox_exec_new(const pgl_ox_model *m, pgl_status *st)
{
	const pgl_ox_plan *p = m->plan;
	pgl_ox_exec		  *x;
	int32_t			   n;

	if (!p || !p->release_at)
	{
		pgl_fail(st, PGL_ERR_INVALID, "ONNX model has no plan");
		return NULL;
	}
	n = p->n_slots + 1;
	x = pgl_alloc0(m->env, sizeof(pgl_ox_exec));
	if (!x)
		goto nomem;
	x->m = m;
	x->plan = p;
	x->env = m->env;
	x->vals = pgl_alloc0(m->env, sizeof(pgl_ox_tensor) * (size_t) n);
	x->pref = pgl_alloc0(m->env, sizeof(int32_t) * (size_t) n);
	x->bufs = pgl_alloc0(m->env, sizeof(ox_buf) * (size_t) n);
	x->in = pgl_alloc0(m->env, sizeof(pgl_ox_tensor *) * (size_t) (p->max_in + 1));
	x->out = pgl_alloc0(m->env, sizeof(pgl_ox_tensor *) * (size_t) (p->max_out + 1));
	if (!x->vals || !x->pref || !x->bufs || !x->in || !x->out)
		goto nomem;
	for (int32_t s = 0; s < p->n_slots; s++)
	{
		x->pref[s] = -1;
		x->vals[s].buf = -1;
		x->vals[s].name = p->slots[s].name;
		if (p->slots[s].kind == OX_SLOT_CONST)
		{
			x->vals[s] = *p->slots[s].constant;
			x->vals[s].buf = -1;
			x->vals[s].name = p->slots[s].name;
		}
	}
	return x;
nomem:
	pgl_ox_exec_free(x);
	pgl_fail(st, PGL_ERR_NOMEM, "out of memory creating an ONNX executor");
	return NULL;
}

void
pgl_ox_exec_free(pgl_ox_exec *x)
{
	const pgl_env *env;

	if (!x)
		return;
	env = x->env ? x->env : x->m->env;
	for (int32_t i = 0; i < x->n_bufs; i++)
		pgl_free(env, x->bufs[i].p);
	for (int32_t i = 0; i < OX_MAX_SCRATCH; i++)
		pgl_free(env, x->scratch[i].p);
	pgl_free(env, x->vals);
	pgl_free(env, x->pref);
	pgl_free(env, x->bufs);
	pgl_free(env, x->in);
	pgl_free(env, x->out);
	pgl_free(env, x);
}

static void
release(pgl_ox_exec *x, int32_t s)
{
	pgl_ox_tensor *v = &x->vals[s];

	if (v->buf >= 0)
		x->bufs[v->buf].busy = false;
	v->buf = -1;
	v->data = NULL;
}

/* make b hold at least bytes (its contents are not kept) */
static pgl_rc
grow(pgl_ox_exec *x, ox_buf *b, size_t bytes, pgl_status *st)
{
	void *p;

	if ((int64_t) bytes > x->m->limits.max_arena - (x->bytes - (int64_t) b->cap))
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "Raise the limit (pg_learn.max_train_memory) or run smaller batches.",
						   "ONNX run needs more than %lld bytes of buffers",
						   (long long) x->m->limits.max_arena);
	p = pgl_alloc(x->env, bytes);
	if (!p)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory running an ONNX model");
	pgl_free(x->env, b->p);
	x->bytes += (int64_t) bytes - (int64_t) b->cap;
	b->p = p;
	b->cap = bytes;
	x->allocs++;
	return PGL_OK;
}

static pgl_rc
take_buffer(pgl_ox_exec *x, int32_t slot, size_t bytes, int32_t *out, pgl_status *st)
{
	int32_t pr = x->pref[slot], best = -1, small = -1;
	pgl_rc	rc;

	if (pr >= 0 && !x->bufs[pr].busy && x->bufs[pr].cap >= bytes)
		best = pr;
	for (int32_t i = 0; best < 0 && i < x->n_bufs; i++)
	{
		if (x->bufs[i].busy)
			continue;
		if (x->bufs[i].cap >= bytes)
		{
			if (best < 0 || x->bufs[i].cap < x->bufs[best].cap)
				best = i;
		}
		else if (small < 0 || x->bufs[i].cap > x->bufs[small].cap)
			small = i;
	}
	/* keep scanning for the best fit once one fits */
	for (int32_t i = 0; best >= 0 && best != pr && i < x->n_bufs; i++)
		if (!x->bufs[i].busy && x->bufs[i].cap >= bytes && x->bufs[i].cap < x->bufs[best].cap)
			best = i;
	if (best < 0)
	{
		if (small < 0)
		{
			if (x->n_bufs > x->plan->n_slots)
				return pgl_fail(st, PGL_ERR_INVALID, "ONNX executor ran out of buffer slots");
			small = x->n_bufs++;
			memset(&x->bufs[small], 0, sizeof(ox_buf));
		}
		if ((rc = grow(x, &x->bufs[small], bytes, st)) != PGL_OK)
			return rc;
		best = small;
	}
	x->bufs[best].busy = true;
	x->pref[slot] = best;
	*out = best;
	return PGL_OK;
}

pgl_rc
pgl_ox_output(pgl_ox_exec *x, pgl_ox_tensor *out, int32_t dtype, int32_t ndim, const int64_t *dims,
			  pgl_status *st)
{
	size_t	es = pgl_ox_dtype_size(dtype);
	int64_t count;
	int32_t slot = (int32_t) (out - x->vals), b = -1;
	pgl_rc	rc;

	if (slot < 0 || slot >= x->plan->n_slots || x->plan->slots[slot].kind != OX_SLOT_VALUE)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX kernel asked a buffer for a value it may not "
						"write");
	if (es == 0)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX kernel output type %d is not supported", dtype);
	if ((rc = pgl_ox_shape_count(ndim, dims, x->m->limits.max_elements, &count, st)) != PGL_OK)
		return pgl_ox_fail(st, rc, "Dims are computed from the inputs at run time.",
						   "ONNX output %s has an invalid shape: %s", x->vals[slot].name, st->msg);
	release(x, slot);
	if ((rc = take_buffer(x, slot, count ? (size_t) count * es : 16, &b, st)) != PGL_OK)
		return rc;
	out->dtype = dtype;
	out->ndim = ndim;
	for (int32_t i = 0; i < ndim; i++)
		out->dims[i] = dims[i];
	out->count = count;
	out->buf = b;
	out->data = x->bufs[b].p;
	return PGL_OK;
}

void *
pgl_ox_scratch(pgl_ox_exec *x, size_t bytes, pgl_status *st)
{
	ox_buf *b;

	if (x->scratch_used >= OX_MAX_SCRATCH)
	{
		pgl_fail(st, PGL_ERR_INVALID, "ONNX kernel asked for more than %d scratch buffers",
				 OX_MAX_SCRATCH);
		return NULL;
	}
	b = &x->scratch[x->scratch_used];
	if (b->cap < bytes && grow(x, b, bytes, st) != PGL_OK)
		return NULL;
	x->scratch_used++;
	return b->p;
}

int64_t
pgl_ox_exec_bytes(const pgl_ox_exec *x)
{
	return x->bytes;
}

int64_t
pgl_ox_exec_allocs(const pgl_ox_exec *x)
{
	return x->allocs;
}

const pgl_ox_tensor *
pgl_ox_result(const pgl_ox_exec *x, int i)
{
	if (!x->have_results || i < 0 || i >= x->m->n_outputs)
		return NULL;
	return &x->vals[x->plan->output_slots[i]];
}

static pgl_rc
bind_inputs(pgl_ox_exec *x, const pgl_ox_tensor *inputs, int n_inputs, pgl_status *st)
{
	const pgl_ox_model *m = x->m;

	if (n_inputs != m->n_inputs)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX model takes %d inputs, not %d", m->n_inputs,
						n_inputs);
	for (int i = 0; i < n_inputs; i++)
	{
		const pgl_ox_value_info *vi = &m->inputs[i];
		const pgl_ox_tensor		*t = &inputs[i];
		pgl_ox_tensor			*v = &x->vals[x->plan->input_slots[i]];
		int64_t					 count;

		if (t->dtype != vi->dtype)
			return pgl_fail(st, PGL_ERR_INVALID, "ONNX input %s is %s, not %s", vi->name,
							pgl_ox_dtype_name(vi->dtype), pgl_ox_dtype_name(t->dtype));
		if (vi->ndim >= 0 && t->ndim != vi->ndim)
			return pgl_fail(st, PGL_ERR_INVALID, "ONNX input %s has %d dims, not %d", vi->name,
							vi->ndim, t->ndim);
		if (pgl_ox_shape_count(t->ndim, t->dims, m->limits.max_elements, &count, st) != PGL_OK)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "", "ONNX input %s: %s", vi->name, st->msg);
		for (int32_t d = 0; vi->ndim >= 0 && d < t->ndim; d++)
			if (vi->dims[d] >= 0 && t->dims[d] != vi->dims[d])
				return pgl_fail(st, PGL_ERR_INVALID,
								"ONNX input %s has %lld in dim %d where the model wants %lld",
								vi->name, (long long) t->dims[d], d, (long long) vi->dims[d]);
		if (count > 0 && !t->data)
			return pgl_fail(st, PGL_ERR_INVALID, "ONNX input %s has no data", vi->name);
		*v = *t;
		v->count = count;
		v->buf = -1;
		v->name = vi->name;
	}
	return PGL_OK;
}

static pgl_rc
run_step(pgl_ox_exec *x, const pgl_ox_node *n, pgl_status *st)
{
	pgl_rc rc;

	for (int32_t j = 0; j < n->n_inputs; j++)
		x->in[j] = n->in_slots[j] >= 0 ? &x->vals[n->in_slots[j]] : NULL;
	for (int32_t j = 0; j < n->n_outputs; j++)
	{
		x->out[j] = n->out_slots[j] >= 0 ? &x->vals[n->out_slots[j]] : NULL;
		if (x->out[j])
		{
			release(x, n->out_slots[j]);
			x->out[j]->dtype = 0;
		}
	}
	x->scratch_used = 0;
	rc = n->op->run(x, n, x->in, n->n_inputs, x->out, n->n_outputs, st);
	if (rc == PGL_OK)
		for (int32_t j = 0; j < n->n_outputs; j++)
			if (x->out[j] && (x->out[j]->dtype == 0 || !x->out[j]->data))
				rc = pgl_fail(st, PGL_ERR_INVALID, "ONNX kernel %s did not compute output %d",
							  n->op_type, j);
	if (rc != PGL_OK && !st->detail[0])
		snprintf(st->detail, sizeof(st->detail), "In node %s (%s).",
				 n->name[0] ? n->name : n->op_type, n->op_type);
	return rc;
}

pgl_rc
pgl_ox_run(pgl_ox_exec *x, const pgl_ox_tensor *inputs, int n_inputs, pgl_status *st)
{
	const pgl_ox_plan *p = x->plan;
	pgl_rc			   rc;

	x->have_results = false;
	for (int32_t s = 0; s < p->n_slots; s++)
		if (p->slots[s].kind == OX_SLOT_VALUE)
			release(x, s);
	if ((rc = bind_inputs(x, inputs, n_inputs, st)) != PGL_OK)
		return rc;
	for (int32_t k = 0; k < p->n_steps; k++)
	{
		pgl_interrupts(x->env);
		if ((rc = run_step(x, &x->m->nodes[p->steps[k]], st)) != PGL_OK)
			return rc;
		for (int32_t r = p->release_at[k]; r < p->release_at[k + 1]; r++)
			release(x, p->release[r]);
	}
	x->have_results = true;
	return PGL_OK;
}
