/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Validation of a decoded ONNX model at import: IR version and opsets,
 *	  domains, op types (one error listing every unsupported one), input and
 *	  output counts, names (defined once, defined before use), types of the
 *	  graph inputs and outputs, a topological order (no cycle), and each
 *	  op's static check.  It fills the value slots and the node order of the
 *	  plan; plan.c finishes it.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OX_IR_MIN 3
#define OX_IR_MAX 9

static const char *
node_label(const pgl_ox_node *n)
{
	return n->name[0] ? n->name : n->op_type;
}

/* "" for ai.onnx, the domain otherwise */
static const char *
norm_domain(const char *d)
{
	return strcmp(d, "ai.onnx") == 0 ? "" : d;
}

static const pgl_ox_op *
lookup(const pgl_ox_model *m, const pgl_ox_node *n, int32_t *opset)
{
	const char *d = norm_domain(n->domain);

	if (d[0] == '\0')
		*opset = (int32_t) m->opset;
	else if (strcmp(d, "ai.onnx.ml") == 0 && m->opset_ml > 0)
		*opset = (int32_t) m->opset_ml;
	else
		return NULL;
	return pgl_ox_find_op(d, n->op_type, *opset);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The op types check_ops found no table line for (n->op NULL), as "A, B, C"
 * (sorted, each once) in buf; returns how many, -1 out of memory.  Only
 * when some node lacks one does it sort their names.
 */
static int
unsupported_ops(const pgl_ox_model *m, int32_t n_missing, char *buf, size_t size)
{
	const char **names;
	int			 n = 0, k = 0;
	size_t		 used = 0;
	pgl_status	 st;

	buf[0] = '\0';
	if (n_missing == 0)
		return 0;
	names = pgl_ox_state_alloc(m, sizeof(char *) * (size_t) n_missing, &st);
	if (!names)
		return -1;
	for (int32_t i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].op == NULL)
			names[n++] = m->nodes[i].op_type;
	qsort(names, (size_t) n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
	{
		int w;

		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		k++;
		if (used < size)
		{
			w = snprintf(buf + used, size - used, "%s%s", k > 1 ? ", " : "", names[i]);
			used += w > 0 ? (size_t) w : 0;
		}
	}
	return k;
}

static pgl_rc
check_header(pgl_ox_model *m, pgl_status *st)
{
	if (m->ir_version < OX_IR_MIN || m->ir_version > OX_IR_MAX)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "pg_learn reads ONNX IR versions 3 to 9 (ONNX 1.0 to 1.14).",
						   "unsupported ONNX IR version %lld", (long long) m->ir_version);
	if (m->opset < PGL_OX_OPSET_MIN || m->opset > PGL_OX_OPSET_MAX)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "pg_learn runs opsets 6 to 17 of the default domain; export with "
						   "one of those (torch.onnx.export(..., opset_version=17)).",
						   "unsupported ONNX opset %lld", (long long) m->opset);
	return PGL_OK;
}

/*
 * An empty name marks an absent optional input or an unused optional
 * output: the first op->min_in inputs and op->min_out outputs are required,
 * so the kernels never see a NULL there.
 */
static pgl_rc
check_required(const pgl_ox_node *n, pgl_status *st)
{
	for (int32_t j = 0; j < n->op->min_in; j++)
		if (!n->inputs[j][0])
			return pgl_ox_fail(st, PGL_ERR_INVALID,
							   "An empty name marks an absent optional input; the first inputs "
							   "of an op are required.",
							   "ONNX node %s (%s) has an empty name for input %d, and %s needs "
							   "its first %d",
							   node_label(n), n->op_type, (int) j, n->op_type, (int) n->op->min_in);
	for (int32_t j = 0; j < n->op->min_out; j++)
		if (!n->outputs[j][0])
			return pgl_ox_fail(st, PGL_ERR_INVALID,
							   "An empty name marks an unused optional output; the first outputs "
							   "of an op are required.",
							   "ONNX node %s (%s) has an empty name for output %d, and %s gives "
							   "its first %d",
							   node_label(n), n->op_type, (int) j, n->op_type,
							   (int) n->op->min_out);
	return PGL_OK;
}

/* resolve every node's op; one error listing all that are missing */
static pgl_rc
check_ops(pgl_ox_model *m, pgl_status *st)
{
	char	list[200];
	int		n_bad;
	int32_t n_missing = 0;
	pgl_rc	rc;

	for (int32_t i = 0; i < m->n_nodes; i++)
	{
		pgl_ox_node *n = &m->nodes[i];

		n->op = lookup(m, n, &n->opset);
		n_missing += n->op == NULL;
	}
	n_bad = unsupported_ops(m, n_missing, list, sizeof(list));
	if (n_bad < 0)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory validating an ONNX model");
	if (n_bad > 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "docs/onnx.md lists the operators pg_learn runs, by opset; custom "
						   "domains are not supported.",
						   "unsupported ONNX operator%s at opset %lld: %s", n_bad > 1 ? "s" : "",
						   (long long) m->opset, list);
	for (int32_t i = 0; i < m->n_nodes; i++)
	{
		pgl_ox_node		*n = &m->nodes[i];
		const pgl_ox_op *op = n->op;

		if (n->n_inputs < op->min_in || n->n_inputs > op->max_in || n->n_outputs < op->min_out ||
			n->n_outputs > op->max_out)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "The counts include absent optional ones.",
							   "ONNX node %s (%s) has %d inputs and %d outputs; %s takes %d to %d "
							   "inputs and %d to %d outputs",
							   node_label(n), n->op_type, n->n_inputs, n->n_outputs, n->op_type,
							   op->min_in, op->max_in, op->min_out, op->max_out);
		if ((rc = check_required(n, st)) != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

static pgl_rc
check_value_info(const pgl_ox_value_info *vi, const char *what, bool need_type, pgl_status *st)
{
	if (!vi->name[0])
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX graph has an %s with no name", what);
	if (vi->dtype < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "unsupported ONNX %s %s: not a tensor", what,
						vi->name);
	if (vi->dtype == 0 && need_type)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX graph %s %s has no type", what, vi->name);
	if (vi->dtype > 0 && pgl_ox_dtype_size(vi->dtype) == 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "Supported types: float, double, int32, int64, bool.",
						   "unsupported ONNX type %s of graph %s %s", pgl_ox_dtype_name(vi->dtype),
						   what, vi->name);
	return PGL_OK;
}

static pgl_rc
add_slot(pgl_ox_plan *p, ox_names *h, const char *name, int32_t kind, int32_t index, pgl_status *st)
{
	ox_slot *s;

	if (ox_names_get(h, name) >= 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "Each value of an ONNX graph is defined once (graph input, "
						   "initializer or node output).",
						   "ONNX value %s is defined more than once", name);
	s = &p->slots[p->n_slots];
	s->name = name;
	s->kind = kind;
	s->index = index;
	s->producer = -1;
	s->last_use = -1;
	ox_names_put(h, name, p->n_slots++);
	return PGL_OK;
}

/* the value slots: graph inputs, initializers, node outputs; resolve every use */
static pgl_rc
build_slots(pgl_ox_model *m, pgl_ox_plan *p, ox_names *h, pgl_status *st)
{
	ox_pool *pool = &OX_PRIV(m)->pool;
	int64_t	 n = (int64_t) m->n_inputs + m->n_initializers;
	pgl_rc	 rc;

	for (int32_t i = 0; i < m->n_nodes; i++)
		n += m->nodes[i].n_outputs;
	if (n > m->limits.max_tensors)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX graph has %lld values, more than the limit of %lld", (long long) n,
						(long long) m->limits.max_tensors);
	p->slots = ox_palloc(pool, sizeof(ox_slot) * (size_t) (n + 1), st);
	if (!p->slots || (rc = ox_names_init(h, pool, n, st)) != PGL_OK)
		return st->rc;
	for (int32_t i = 0; i < m->n_inputs; i++)
		if ((rc = check_value_info(&m->inputs[i], "input", true, st)) != PGL_OK ||
			(rc = add_slot(p, h, m->inputs[i].name, OX_SLOT_INPUT, i, st)) != PGL_OK)
			return rc;
	for (int32_t i = 0; i < m->n_initializers; i++)
	{
		if ((rc = add_slot(p, h, m->initializers[i].name, OX_SLOT_CONST, i, st)) != PGL_OK)
			return rc;
		p->slots[p->n_slots - 1].constant = &m->initializers[i];
	}
	for (int32_t i = 0; i < m->n_nodes; i++)
	{
		pgl_ox_node *nd = &m->nodes[i];

		nd->out_slots = ox_palloc(pool, sizeof(int32_t) * (size_t) (nd->n_outputs + 1), st);
		nd->in_slots = ox_palloc(pool, sizeof(int32_t) * (size_t) (nd->n_inputs + 1), st);
		if (!nd->out_slots || !nd->in_slots)
			return st->rc;
		for (int32_t j = 0; j < nd->n_outputs; j++)
		{
			nd->out_slots[j] = -1;
			if (!nd->outputs[j][0])
				continue;
			if ((rc = add_slot(p, h, nd->outputs[j], OX_SLOT_VALUE, -1, st)) != PGL_OK)
				return rc;
			nd->out_slots[j] = p->n_slots - 1;
			p->slots[p->n_slots - 1].producer = i;
		}
	}
	for (int32_t i = 0; i < m->n_nodes; i++)
	{
		pgl_ox_node *nd = &m->nodes[i];

		for (int32_t j = 0; j < nd->n_inputs; j++)
		{
			nd->in_slots[j] = nd->inputs[j][0] ? ox_names_get(h, nd->inputs[j]) : -1;
			if (nd->inputs[j][0] && nd->in_slots[j] < 0)
				return pgl_ox_fail(st, PGL_ERR_INVALID,
								   "Every node input is a graph input, an initializer or the "
								   "output of a node.",
								   "ONNX node %s (%s) uses %s, which nothing defines",
								   node_label(nd), nd->op_type, nd->inputs[j]);
		}
	}
	p->output_slots = ox_palloc(pool, sizeof(int32_t) * (size_t) (m->n_outputs + 1), st);
	p->input_slots = ox_palloc(pool, sizeof(int32_t) * (size_t) (m->n_inputs + 1), st);
	if (!p->output_slots || !p->input_slots)
		return st->rc;
	for (int32_t i = 0; i < m->n_inputs; i++)
		p->input_slots[i] = i;
	if (m->n_outputs == 0)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX graph has no outputs");
	for (int32_t i = 0; i < m->n_outputs; i++)
	{
		if ((rc = check_value_info(&m->outputs[i], "output", false, st)) != PGL_OK)
			return rc;
		p->output_slots[i] = ox_names_get(h, m->outputs[i].name);
		if (p->output_slots[i] < 0)
			return pgl_fail(st, PGL_ERR_INVALID, "ONNX graph output %s is not computed",
							m->outputs[i].name);
	}
	return PGL_OK;
}

/* Kahn's algorithm over the node graph; stable in file order */
static pgl_rc
topo_order(pgl_ox_model *m, pgl_ox_plan *p, pgl_status *st)
{
	ox_pool *pool = &OX_PRIV(m)->pool;
	int32_t	 nn = m->n_nodes;
	int32_t *indeg = ox_palloc(pool, sizeof(int32_t) * (size_t) (nn + 1), st);
	int32_t *start = ox_palloc(pool, sizeof(int32_t) * (size_t) (nn + 2), st);
	int32_t *edges, *fill, head = 0, tail = 0;
	int64_t	 n_edges = 0;

	p->steps = ox_palloc(pool, sizeof(int32_t) * (size_t) (nn + 1), st);
	if (!indeg || !start || !p->steps)
		return st->rc;
	/* edges producer -> consumer, as CSR by producer */
	for (int32_t i = 0; i < nn; i++)
		for (int32_t j = 0; j < m->nodes[i].n_inputs; j++)
		{
			int32_t s = m->nodes[i].in_slots[j];

			if (s >= 0 && p->slots[s].producer >= 0)
			{
				start[p->slots[s].producer + 1]++;
				indeg[i]++;
				n_edges++;
			}
		}
	for (int32_t i = 0; i < nn; i++)
		start[i + 1] += start[i];
	edges = ox_palloc(pool, sizeof(int32_t) * (size_t) (n_edges + 1), st);
	fill = ox_palloc(pool, sizeof(int32_t) * (size_t) (nn + 1), st);
	if (!edges || !fill)
		return st->rc;
	for (int32_t i = 0; i < nn; i++)
		for (int32_t j = 0; j < m->nodes[i].n_inputs; j++)
		{
			int32_t s = m->nodes[i].in_slots[j];

			if (s >= 0 && p->slots[s].producer >= 0)
			{
				int32_t pr = p->slots[s].producer;

				edges[start[pr] + fill[pr]++] = i;
			}
		}
	for (int32_t i = 0; i < nn; i++)
		if (indeg[i] == 0)
			p->steps[tail++] = i;
	while (head < tail)
	{
		int32_t u = p->steps[head++];

		for (int32_t e = start[u]; e < start[u + 1]; e++)
			if (--indeg[edges[e]] == 0)
				p->steps[tail++] = edges[e];
	}
	if (tail < nn)
	{
		for (int32_t i = 0; i < nn; i++)
			if (indeg[i] > 0)
				return pgl_ox_fail(st, PGL_ERR_INVALID, "An ONNX graph must be acyclic.",
								   "ONNX graph has a cycle through node %s (%s)",
								   node_label(&m->nodes[i]), m->nodes[i].op_type);
	}
	p->n_steps = nn;
	return PGL_OK;
}

const pgl_ox_tensor *
pgl_ox_const_input(const pgl_ox_model *m, const pgl_ox_node *n, int i)
{
	const ox_slot *s;

	if (!m->plan || !n->in_slots || i < 0 || i >= n->n_inputs || n->in_slots[i] < 0)
		return NULL;
	s = &m->plan->slots[n->in_slots[i]];
	return s->kind == OX_SLOT_CONST ? s->constant : NULL;
}

pgl_rc
pgl_ox_validate(pgl_ox_model *m, pgl_status *st)
{
	ox_pool		*pool = &OX_PRIV(m)->pool;
	pgl_ox_plan *p;
	ox_names	 h;
	pgl_rc		 rc;

	if ((rc = check_header(m, st)) != PGL_OK || (rc = check_ops(m, st)) != PGL_OK)
		return rc;
	p = ox_palloc(pool, sizeof(pgl_ox_plan), st);
	if (!p)
		return st->rc;
	m->plan = p;
	if ((rc = build_slots(m, p, &h, st)) != PGL_OK || (rc = topo_order(m, p, st)) != PGL_OK)
		return rc;
	/* static checks in execution order, so a Constant is folded before its users look */
	for (int32_t k = 0; k < p->n_steps; k++)
	{
		pgl_ox_node *n = &m->nodes[p->steps[k]];

		if (n->op->check && (rc = n->op->check(m, n, st)) != PGL_OK)
		{
			if (!st->detail[0])
				snprintf(st->detail, sizeof(st->detail), "In node %s (%s).", node_label(n),
						 n->op_type);
			return rc;
		}
		if (strcmp(n->op_type, "Constant") == 0 && n->domain[0] == '\0' && n->state &&
			n->out_slots[0] >= 0)
		{
			ox_slot *s = &p->slots[n->out_slots[0]];

			s->kind = OX_SLOT_CONST;
			s->constant = n->state;
			s->producer = -1;
		}

		/*
		 * Identity of a constant is that constant (torch writes one per
		 * weight it shares between layers): folded too, so the consumers'
		 * checks see it (a MatMul packs its constant B) and no step copies it
		 */
		if (strcmp(n->op_type, "Identity") == 0 && n->domain[0] == '\0' && n->n_inputs == 1 &&
			n->n_outputs == 1 && n->in_slots[0] >= 0 && n->out_slots[0] >= 0 &&
			p->slots[n->in_slots[0]].kind == OX_SLOT_CONST)
		{
			ox_slot *s = &p->slots[n->out_slots[0]];

			s->kind = OX_SLOT_CONST;
			s->constant = p->slots[n->in_slots[0]].constant;
			s->producer = -1;
		}
	}
	return PGL_OK;
}
