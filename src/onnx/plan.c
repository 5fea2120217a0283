/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  The execution plan of a validated model: the steps (nodes in
 *	  topological order, folded Constants left out), and for each step the
 *	  values whose last use it is, so the executor returns their buffers to
 *	  the arena right after it.  Graph outputs are never released during a
 *	  run; a node output nobody reads is released after the node.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <string.h>

/*
 * A Conv whose output only the next step's Relu reads applies the Relu
 * itself as it writes its output (ox_window.relu), into the Relu's output:
 * one pass over the activations fewer (torch writes a Relu after every
 * convolution of a CNN).  readers[s]: the steps that read slot s, plus one
 * if it is a graph output.
 */
static pgl_rc
fuse_conv_relu(pgl_ox_model *m, pgl_ox_plan *p, pgl_status *st)
{
	int32_t *readers =
		ox_palloc(&OX_PRIV(m)->pool, sizeof(int32_t) * (size_t) (p->n_slots + 1), st);
	int32_t k = 0;

	if (!readers)
		return st->rc;
	memset(readers, 0, sizeof(int32_t) * (size_t) (p->n_slots + 1));
	for (int32_t i = 0; i < m->n_outputs; i++)
		readers[p->output_slots[i]]++;
	for (int32_t i = 0; i < p->n_steps; i++)
	{
		const pgl_ox_node *n = &m->nodes[p->steps[i]];

		for (int32_t j = 0; j < n->n_inputs; j++)
			if (n->in_slots[j] >= 0)
				readers[n->in_slots[j]]++;
	}
	for (int32_t i = 0; i < p->n_steps; i++)
	{
		pgl_ox_node *c = &m->nodes[p->steps[i]];
		pgl_ox_node *r = i + 1 < p->n_steps ? &m->nodes[p->steps[i + 1]] : NULL;

		p->steps[k++] = p->steps[i];
		if (r == NULL || strcmp(c->op_type, "Conv") != 0 || c->domain[0] != '\0' ||
			strcmp(r->op_type, "Relu") != 0 || r->domain[0] != '\0' || c->n_outputs != 1 ||
			r->n_inputs != 1 || r->n_outputs != 1 || c->out_slots[0] < 0 || r->out_slots[0] < 0 ||
			r->in_slots[0] != c->out_slots[0] || readers[c->out_slots[0]] != 1)
			continue;
		c->fused_relu = true;
		c->out_slots[0] = r->out_slots[0];
		p->slots[r->out_slots[0]].producer = p->steps[i];
		i++; /* the Relu's step goes */
	}
	p->n_steps = k;
	return PGL_OK;
}

pgl_rc
pgl_ox_plan_build(pgl_ox_model *m, pgl_status *st)
{
	ox_pool		*pool = &OX_PRIV(m)->pool;
	pgl_ox_plan *p = m->plan;
	int32_t		 k = 0;

	if (!p)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX model was not validated before planning");
	/* drop folded Constants from the steps */
	for (int32_t i = 0; i < p->n_steps; i++)
	{
		pgl_ox_node *n = &m->nodes[p->steps[i]];
		bool		 folded = n->n_outputs == 1 && n->out_slots[0] >= 0 &&
					  p->slots[n->out_slots[0]].kind == OX_SLOT_CONST;

		if (!folded)
			p->steps[k++] = p->steps[i];
	}
	p->n_steps = k;
	if (fuse_conv_relu(m, p, st) != PGL_OK)
		return st->rc;
	k = p->n_steps;
	p->max_in = p->max_out = 1;
	for (int32_t s = 0; s < k; s++)
	{
		pgl_ox_node *n = &m->nodes[p->steps[s]];

		if (n->n_inputs > p->max_in)
			p->max_in = n->n_inputs;
		if (n->n_outputs > p->max_out)
			p->max_out = n->n_outputs;
		for (int32_t j = 0; j < n->n_inputs; j++)
			if (n->in_slots[j] >= 0)
				p->slots[n->in_slots[j]].last_use = s;
		for (int32_t j = 0; j < n->n_outputs; j++)
			if (n->out_slots[j] >= 0 && p->slots[n->out_slots[j]].last_use < s)
				p->slots[n->out_slots[j]].last_use = s; /* nobody reads it (yet) */
	}
	for (int32_t i = 0; i < m->n_outputs; i++)
		p->slots[p->output_slots[i]].last_use = INT32_MAX;
	/* release lists, CSR by step */
	p->release_at = ox_palloc(pool, sizeof(int32_t) * (size_t) (k + 2), st);
	if (!p->release_at)
		return st->rc;
	for (int32_t s = 0; s < p->n_slots; s++)
		if (p->slots[s].kind == OX_SLOT_VALUE && p->slots[s].last_use >= 0 &&
			p->slots[s].last_use < k)
			p->release_at[p->slots[s].last_use + 1]++;
	for (int32_t i = 0; i < k; i++)
		p->release_at[i + 1] += p->release_at[i];
	p->release = ox_palloc(pool, sizeof(int32_t) * (size_t) (p->release_at[k] + 1), st);
	if (!p->release)
		return st->rc;
	{
		int32_t *fill = ox_palloc(pool, sizeof(int32_t) * (size_t) (k + 1), st);

		if (!fill)
			return st->rc;
		for (int32_t s = 0; s < p->n_slots; s++)
			if (p->slots[s].kind == OX_SLOT_VALUE && p->slots[s].last_use >= 0 &&
				p->slots[s].last_use < k)
			{
				int32_t u = p->slots[s].last_use;

				p->release[p->release_at[u] + fill[u]++] = s;
			}
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_load(const pgl_env *env, const uint8_t *buf, size_t len, const pgl_ox_limits *lim,
			pgl_ox_model **out, pgl_status *st)
{
	pgl_ox_model *m;
	pgl_rc		  rc;

	*out = NULL;
	if ((rc = pgl_ox_decode(env, buf, len, lim, &m, st)) != PGL_OK)
		return rc;
	if ((rc = pgl_ox_validate(m, st)) != PGL_OK || (rc = pgl_ox_plan_build(m, st)) != PGL_OK)
	{
		pgl_ox_model_free(m);
		return rc;
	}
	*out = m;
	return PGL_OK;
}
