/*-------------------------------------------------------------------------
 *
 * reader.c
 *	  Decode an ONNX ModelProto (onnx.proto, ONNX 1.12) into a pgl_ox_model.
 *
 * Each message is read twice: a first pass counts the repeated fields
 * (checking every length), a second fills arrays of exactly that size, so
 * nothing grows.  Unknown fields are skipped; fields that would change the
 * meaning and that the runtime does not have (external data, segments,
 * sparse initializers, reference attributes) are refused.  The limits
 * (nodes, tensors, elements, bytes, attributes) are checked before each
 * allocation, and every allocation comes from the model's pool, which is
 * itself bounded.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <string.h>

typedef struct rd
{
	ox_pool				*pool;
	const pgl_ox_limits *lim;
	pgl_status			*st;
	int64_t				 tensor_bytes; /* tensor data decoded so far */
} rd;

#define NEXT(c, f, what)                                                                           \
	for (int rc_; (rc_ = ox_pb_next((c), (f), (what), r->st)) != 0;)                               \
		if (rc_ < 0)                                                                               \
			return r->st->rc;                                                                      \
		else

static pgl_rc
bad_wire(rd *r, const char *what, uint32_t num)
{
	return pgl_ox_fail(
		r->st, PGL_ERR_INVALID, "The field has a wire type that onnx.proto does not give it.",
		"ONNX model is malformed: field %u of %s has the wrong wire type", num, what);
}

static pgl_rc
get_string(rd *r, const ox_field *f, const char *what, char **out)
{
	if (f->wt != OX_WT_LEN)
		return bad_wire(r, what, f->num);
	*out = ox_pstrndup(r->pool, f->sub.p, (size_t) (f->sub.end - f->sub.p), r->st);
	return *out ? PGL_OK : r->st->rc;
}

static pgl_rc
get_varint(rd *r, const ox_field *f, const char *what, int64_t *out)
{
	if (f->wt != OX_WT_VARINT)
		return bad_wire(r, what, f->num);
	*out = (int64_t) f->v;
	return PGL_OK;
}

/* number of varints in a packed field; -1 if the last one is cut */
static int64_t
count_varints(const ox_pb *sub)
{
	int64_t n = 0;

	for (const uint8_t *p = sub->p; p < sub->end; p++)
		if (!(*p & 0x80))
			n++;
	if (sub->p < sub->end && (sub->end[-1] & 0x80))
		return -1;
	return n;
}

/*
 * Count the elements of a repeated scalar field occurrence: wt_one is the
 * wire type of one unpacked element, width its fixed width (0: varint).
 */
static pgl_rc
count_repeated(rd *r, const ox_field *f, int wt_one, int width, const char *what, int64_t *n)
{
	if (f->wt == wt_one)
		(*n)++;
	else if (f->wt == OX_WT_LEN)
	{
		int64_t len = f->sub.end - f->sub.p;

		if (width == 0)
		{
			int64_t k = count_varints(&f->sub);

			if (k < 0)
				return pgl_ox_fail(r->st, PGL_ERR_INVALID, "A packed varint is cut short.",
								   "ONNX model is malformed: field %u of %s is truncated", f->num,
								   what);
			*n += k;
		}
		else
		{
			if (len % width != 0)
				return pgl_ox_fail(r->st, PGL_ERR_INVALID,
								   "A packed fixed-width field's length is not a multiple of its "
								   "element size.",
								   "ONNX model is malformed: field %u of %s has %lld bytes", f->num,
								   what, (long long) len);
			*n += len / width;
		}
	}
	else
		return bad_wire(r, what, f->num);
	if (*n > (int64_t) 1 << 40)
		return pgl_fail(r->st, PGL_ERR_INVALID, "ONNX model has an absurd field in %s", what);
	return PGL_OK;
}

/* append the elements of one occurrence to dst (element width out bytes) at *k, up to cap */
static void
fill_repeated(const ox_field *f, int width, int out, void *dst, int64_t *k, int64_t cap)
{
	ox_pb c = f->sub;

	if (f->wt != OX_WT_LEN)
	{
		if (*k < cap)
		{
			if (out == 4)
			{
				uint32_t v = (uint32_t) f->v;

				memcpy((char *) dst + 4 * *k, &v, 4);
			}
			else
				memcpy((char *) dst + 8 * *k, &f->v, 8);
		}
		(*k)++;
		return;
	}
	while (c.p < c.end && *k < cap)
	{
		uint64_t v = 0;

		if (width == 0)
			(void) ox_pb_varint(&c, &v); /* counted before: cannot fail */
		else
		{
			memcpy(&v, c.p, (size_t) width);
			c.p += width;
		}
		if (out == 4)
		{
			uint32_t v32 = (uint32_t) v;

			memcpy((char *) dst + 4 * *k, &v32, 4);
		}
		else
			memcpy((char *) dst + 8 * *k, &v, 8);
		(*k)++;
	}
}

/* ---------- TensorProto ---------- */

typedef struct tensor_fields
{
	int64_t n_dims, n_float, n_i32, n_i64, n_double;
	bool	has_raw, has_other;
	ox_pb	raw;
	int64_t dtype;
} tensor_fields;

static pgl_rc
tensor_scan(rd *r, ox_pb msg, pgl_ox_tensor *t, tensor_fields *tf, const char *what)
{
	ox_field f;
	int64_t	 v;

	NEXT(&msg, &f, what)
	{
		pgl_rc rc = PGL_OK;

		switch (f.num)
		{
			case 1:
				rc = count_repeated(r, &f, OX_WT_VARINT, 0, what, &tf->n_dims);
				break;
			case 2:
				rc = get_varint(r, &f, what, &tf->dtype);
				break;
			case 3:
				return pgl_fail(r->st, PGL_ERR_INVALID,
								"unsupported ONNX feature: segmented tensor %s", what);
			case 4:
				rc = count_repeated(r, &f, OX_WT_I32, 4, what, &tf->n_float);
				break;
			case 5:
				rc = count_repeated(r, &f, OX_WT_VARINT, 0, what, &tf->n_i32);
				break;
			case 7:
				rc = count_repeated(r, &f, OX_WT_VARINT, 0, what, &tf->n_i64);
				break;
			case 10:
				rc = count_repeated(r, &f, OX_WT_I64, 8, what, &tf->n_double);
				break;
			case 6:
			case 11:
				tf->has_other = true;
				break;
			case 8:
				rc = get_string(r, &f, what, (char **) &t->name);
				break;
			case 9:
				if (f.wt != OX_WT_LEN)
					return bad_wire(r, what, f.num);
				tf->has_raw = true;
				tf->raw = f.sub;
				break;
			case 13:
				return pgl_ox_fail(r->st, PGL_ERR_INVALID,
								   "pg_learn reads a model from its bytes only: save the model "
								   "with its tensors inside (onnx.save_model(..., "
								   "save_as_external_data=False)).",
								   "unsupported ONNX feature: tensor %s has external data",
								   t->name ? t->name : what);
			case 14:
				rc = get_varint(r, &f, what, &v);
				if (rc == PGL_OK && v != 0)
					return pgl_ox_fail(r->st, PGL_ERR_INVALID,
									   "pg_learn reads a model from its bytes only.",
									   "unsupported ONNX feature: tensor %s has external data",
									   t->name ? t->name : what);
				break;
			default:
				break;
		}
		if (rc != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

/* check the typed field that holds the data and return its count in *n */
static pgl_rc
tensor_typed_count(rd *r, const tensor_fields *tf, const char *name, int64_t *n, int *field)
{
	int64_t counts[4] = {tf->n_float, tf->n_i32, tf->n_i64, tf->n_double};
	int		want;

	switch (tf->dtype)
	{
		case PGL_OX_FLOAT:
			want = 0;
			break;
		case PGL_OX_INT32:
		case PGL_OX_BOOL:
			want = 1;
			break;
		case PGL_OX_INT64:
			want = 2;
			break;
		default:
			want = 3;
			break;
	}
	for (int i = 0; i < 4; i++)
		if (i != want && counts[i] > 0)
			return pgl_ox_fail(r->st, PGL_ERR_INVALID,
							   "Each data type keeps its values in one field of TensorProto.",
							   "ONNX model is invalid: tensor %s of type %s has values in a field "
							   "of another type",
							   name, pgl_ox_dtype_name((int32_t) tf->dtype));
	if (tf->has_other)
		return pgl_fail(r->st, PGL_ERR_INVALID,
						"ONNX model is invalid: tensor %s of type %s has string or uint64 data",
						name, pgl_ox_dtype_name((int32_t) tf->dtype));
	*n = counts[want];
	*field = (int[]){4, 5, 7, 10}[want];
	return PGL_OK;
}

static pgl_rc
tensor_fill(rd *r, ox_pb msg, pgl_ox_tensor *t, const tensor_fields *tf, int field,
			const char *what)
{
	ox_field f;
	int64_t	 kd = 0, kv = 0;
	int		 width = field == 4 ? 4 : field == 10 ? 8 : 0;
	int		 out = (field == 5) ? 4 : width ? width : 8;
	void	*dst = t->data;
	int32_t *tmp = NULL;

	/* int32_data holds bools too: read into int32 then narrow */
	if (t->dtype == PGL_OX_BOOL && !tf->has_raw)
	{
		tmp = ox_palloc(r->pool, sizeof(int32_t) * (size_t) (t->count + 1), r->st);
		if (!tmp)
			return r->st->rc;
		dst = tmp;
	}
	NEXT(&msg, &f, what)
	{
		if (f.num == 1)
		{
			fill_repeated(&f, 0, 8, t->dims, &kd, tf->n_dims);
		}
		else if ((int) f.num == field && !tf->has_raw)
			fill_repeated(&f, width, out, dst, &kv, t->count);
	}
	if (tmp)
		for (int64_t i = 0; i < t->count; i++)
			((uint8_t *) t->data)[i] = tmp[i] != 0;
	return PGL_OK;
}

/* decode a TensorProto (an initializer, or an attribute's tensor) */
static pgl_rc
decode_tensor(rd *r, ox_pb msg, pgl_ox_tensor *t, const char *what)
{
	tensor_fields tf;
	const char	 *name;
	size_t		  es;
	int64_t		  n_typed = 0;
	int			  field = 0;
	pgl_rc		  rc;

	memset(&tf, 0, sizeof(tf));
	memset(t, 0, sizeof(*t));
	t->buf = -1;
	if ((rc = tensor_scan(r, msg, t, &tf, what)) != PGL_OK)
		return rc;
	name = t->name ? t->name : what;
	if (tf.n_dims > PGL_OX_MAX_DIMS)
		return pgl_fail(r->st, PGL_ERR_INVALID,
						"unsupported ONNX tensor: %s has %lld dims, more than %d", name,
						(long long) tf.n_dims, PGL_OX_MAX_DIMS);
	es = pgl_ox_dtype_size((int32_t) tf.dtype);
	if (es == 0)
		return pgl_ox_fail(
			r->st, PGL_ERR_INVALID, "Supported types: float, double, int32, int64, bool.",
			"unsupported ONNX tensor type %lld of tensor %s", (long long) tf.dtype, name);
	t->dtype = (int32_t) tf.dtype;
	t->ndim = (int32_t) tf.n_dims;
	/* dims first (a cheap pass), to size the data */
	{
		ox_pb	 c = msg;
		ox_field f;
		int64_t	 kd = 0;

		while (ox_pb_next(&c, &f, what, r->st) > 0)
			if (f.num == 1)
				fill_repeated(&f, 0, 8, t->dims, &kd, tf.n_dims);
	}
	if ((rc = pgl_ox_shape_count(t->ndim, t->dims, r->lim->max_elements, &t->count, r->st)) !=
		PGL_OK)
		return pgl_ox_fail(r->st, rc, r->st->detail[0] ? r->st->detail : NULL,
						   "ONNX tensor %s has an invalid shape: %s", name, r->st->msg);
	if ((uint64_t) t->count * es > (uint64_t) (r->lim->max_bytes - r->tensor_bytes))
		return pgl_ox_fail(r->st, PGL_ERR_INVALID,
						   "Raise the limit (pg_learn.max_train_memory) or use a smaller model.",
						   "ONNX model's tensors exceed the limit of %lld bytes",
						   (long long) r->lim->max_bytes);
	r->tensor_bytes += t->count * (int64_t) es;
	if (tf.has_raw)
	{
		if ((uint64_t) (tf.raw.end - tf.raw.p) != (uint64_t) t->count * es)
			return pgl_fail(r->st, PGL_ERR_INVALID,
							"ONNX tensor %s has %td bytes of raw data for %lld elements of %s",
							name, tf.raw.end - tf.raw.p, (long long) t->count,
							pgl_ox_dtype_name(t->dtype));
	}
	else
	{
		if ((rc = tensor_typed_count(r, &tf, name, &n_typed, &field)) != PGL_OK)
			return rc;
		if (n_typed != t->count)
			return pgl_fail(r->st, PGL_ERR_INVALID,
							"ONNX tensor %s has %lld values for %lld elements (its dims)", name,
							(long long) n_typed, (long long) t->count);
	}
	t->data = ox_palloc(r->pool, (size_t) t->count * es, r->st);
	if (!t->data)
		return r->st->rc;
	if (tf.has_raw)
	{
		memcpy(t->data, tf.raw.p, (size_t) t->count * es);
		if (t->dtype == PGL_OX_BOOL)
			for (int64_t i = 0; i < t->count; i++)
				((uint8_t *) t->data)[i] = ((uint8_t *) t->data)[i] != 0;
		return PGL_OK;
	}
	return tensor_fill(r, msg, t, &tf, field, what);
}

/* ---------- AttributeProto ---------- */

static pgl_rc
decode_attr(rd *r, ox_pb msg, pgl_ox_attr *a, const char *node)
{
	ox_field f;
	int64_t	 nf = 0, ni = 0, ns = 0, v = 0;
	bool	 has_f = false, has_i = false, has_s = false, has_t = false, has_g = false;
	pgl_rc	 rc = PGL_OK;
	ox_pb	 c = msg;

	NEXT(&c, &f, "AttributeProto")
	{
		switch (f.num)
		{
			case 1:
				rc = get_string(r, &f, "AttributeProto", &a->name);
				break;
			case 20:
				rc = get_varint(r, &f, "AttributeProto", &v);
				a->type = (v >= 0 && v <= 64) ? (int32_t) v : 64;
				break;
			case 2:
				if (f.wt != OX_WT_I32)
					return bad_wire(r, "AttributeProto", f.num);
				{
					uint32_t u = (uint32_t) f.v;

					memcpy(&a->f, &u, 4);
				}
				has_f = true;
				break;
			case 3:
				rc = get_varint(r, &f, "AttributeProto", &a->i);
				has_i = true;
				break;
			case 4:
				if (f.wt != OX_WT_LEN)
					return bad_wire(r, "AttributeProto", f.num);
				has_s = true;
				break;
			case 5:
				if (f.wt != OX_WT_LEN)
					return bad_wire(r, "AttributeProto", f.num);
				has_t = true;
				break;
			case 6:
				has_g = true;
				break;
			case 7:
				rc = count_repeated(r, &f, OX_WT_I32, 4, "AttributeProto", &nf);
				break;
			case 8:
				rc = count_repeated(r, &f, OX_WT_VARINT, 0, "AttributeProto", &ni);
				break;
			case 9:
				if (f.wt != OX_WT_LEN)
					return bad_wire(r, "AttributeProto", f.num);
				ns++;
				break;
			case 21:
				return pgl_fail(r->st, PGL_ERR_INVALID,
								"unsupported ONNX feature: attribute reference in node %s", node);
			default:
				break;
		}
		if (rc != PGL_OK)
			return rc;
	}
	if (!a->name || !a->name[0])
		return pgl_fail(r->st, PGL_ERR_INVALID, "ONNX node %s has an attribute with no name", node);
	if (nf > r->lim->max_attrs || ni > r->lim->max_attrs || ns > r->lim->max_attrs)
		return pgl_ox_fail(r->st, PGL_ERR_INVALID, "The limit applies to every list attribute.",
						   "ONNX attribute %s of node %s has more than %lld elements", a->name,
						   node, (long long) r->lim->max_attrs);
	if (a->type == 0)
		a->type = nf	  ? PGL_OX_ATTR_FLOATS
				  : ni	  ? PGL_OX_ATTR_INTS
				  : ns	  ? PGL_OX_ATTR_STRINGS
				  : has_t ? PGL_OX_ATTR_TENSOR
				  : has_g ? PGL_OX_ATTR_GRAPH
				  : has_s ? PGL_OX_ATTR_STRING
				  : has_i ? PGL_OX_ATTR_INT
				  : has_f ? PGL_OX_ATTR_FLOAT
						  : 0;
	a->s = NULL;
	a->floats = ox_palloc(r->pool, sizeof(float) * (size_t) nf, r->st);
	a->ints = ox_palloc(r->pool, sizeof(int64_t) * (size_t) ni, r->st);
	a->strings = ox_palloc(r->pool, sizeof(char *) * (size_t) ns, r->st);
	if (!a->floats || !a->ints || !a->strings)
		return r->st->rc;
	/* second pass: fill */
	{
		int64_t kf = 0, ki = 0, ks = 0;

		c = msg;
		while (ox_pb_next(&c, &f, "AttributeProto", r->st) > 0)
		{
			if (f.num == 7)
				fill_repeated(&f, 4, 4, a->floats, &kf, nf);
			else if (f.num == 8)
				fill_repeated(&f, 0, 8, a->ints, &ki, ni);
			else if (f.num == 9 && !(a->strings[ks++] = ox_pstrndup(
										 r->pool, f.sub.p, (size_t) (f.sub.end - f.sub.p), r->st)))
				return r->st->rc;
			else if (f.num == 4 && a->type == PGL_OX_ATTR_STRING &&
					 !(a->s = ox_pstrndup(r->pool, f.sub.p, (size_t) (f.sub.end - f.sub.p), r->st)))
				return r->st->rc;
			else if (f.num == 5 && a->type == PGL_OX_ATTR_TENSOR)
			{
				a->t = ox_palloc(r->pool, sizeof(pgl_ox_tensor), r->st);
				if (!a->t)
					return r->st->rc;
				if ((rc = decode_tensor(r, f.sub, a->t, a->name)) != PGL_OK)
					return rc;
			}
		}
	}
	a->n = (int32_t) (a->type == PGL_OX_ATTR_FLOATS	   ? nf
					  : a->type == PGL_OX_ATTR_INTS	   ? ni
					  : a->type == PGL_OX_ATTR_STRINGS ? ns
													   : 0);
	if (a->type == PGL_OX_ATTR_TENSOR && !a->t)
		return pgl_fail(r->st, PGL_ERR_INVALID, "ONNX attribute %s of node %s has no tensor",
						a->name, node);
	if (a->type == PGL_OX_ATTR_STRING && !a->s)
		a->s = ox_pstrndup(r->pool, (const uint8_t *) "", 0, r->st);
	return PGL_OK;
}

/* ---------- NodeProto ---------- */

static pgl_rc
decode_node(rd *r, ox_pb msg, pgl_ox_node *n)
{
	ox_field f;
	int64_t	 ni = 0, no = 0, na = 0;
	ox_pb	 c = msg;
	pgl_rc	 rc = PGL_OK;

	NEXT(&c, &f, "NodeProto")
	{
		if (f.num == 1 || f.num == 2 || f.num == 5)
		{
			if (f.wt != OX_WT_LEN)
				return bad_wire(r, "NodeProto", f.num);
			(*(f.num == 1 ? &ni : f.num == 2 ? &no : &na))++;
		}
		else if (f.num == 3)
			rc = get_string(r, &f, "NodeProto", &n->name);
		else if (f.num == 4)
			rc = get_string(r, &f, "NodeProto", &n->op_type);
		else if (f.num == 7)
			rc = get_string(r, &f, "NodeProto", &n->domain);
		if (rc != PGL_OK)
			return rc;
	}
	if (!n->name && !(n->name = ox_pstrndup(r->pool, (const uint8_t *) "", 0, r->st)))
		return r->st->rc;
	if (!n->domain && !(n->domain = ox_pstrndup(r->pool, (const uint8_t *) "", 0, r->st)))
		return r->st->rc;
	if (!n->op_type || !n->op_type[0])
		return pgl_fail(r->st, PGL_ERR_INVALID, "ONNX node \"%s\" has no op_type", n->name);
	if (na > r->lim->max_attrs || ni > 65536 || no > 65536)
		return pgl_fail(r->st, PGL_ERR_INVALID,
						"ONNX node \"%s\" (%s) has too many inputs, outputs or attributes", n->name,
						n->op_type);
	n->n_inputs = (int32_t) ni;
	n->n_outputs = (int32_t) no;
	n->n_attrs = (int32_t) na;
	n->inputs = ox_palloc(r->pool, sizeof(char *) * (size_t) ni, r->st);
	n->outputs = ox_palloc(r->pool, sizeof(char *) * (size_t) no, r->st);
	n->attrs = ox_palloc(r->pool, sizeof(pgl_ox_attr) * (size_t) na, r->st);
	if (!n->inputs || !n->outputs || !n->attrs)
		return r->st->rc;
	ni = no = na = 0;
	c = msg;
	while (ox_pb_next(&c, &f, "NodeProto", r->st) > 0)
	{
		if (f.num == 1)
			rc = get_string(r, &f, "NodeProto", &n->inputs[ni++]);
		else if (f.num == 2)
			rc = get_string(r, &f, "NodeProto", &n->outputs[no++]);
		else if (f.num == 5)
			rc = decode_attr(r, f.sub, &n->attrs[na++], n->name[0] ? n->name : n->op_type);
		if (rc != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

/* ---------- ValueInfoProto ---------- */

static pgl_rc
decode_shape(rd *r, ox_pb msg, pgl_ox_value_info *vi)
{
	ox_field f;
	int32_t	 k = 0;

	vi->ndim = 0;
	NEXT(&msg, &f, "TensorShapeProto")
	{
		ox_field d;
		ox_pb	 c;

		if (f.num != 1)
			continue;
		if (f.wt != OX_WT_LEN)
			return bad_wire(r, "TensorShapeProto", f.num);
		if (k >= PGL_OX_MAX_DIMS)
			return pgl_fail(r->st, PGL_ERR_INVALID,
							"unsupported ONNX value: %s has more than %d dims", vi->name,
							PGL_OX_MAX_DIMS);
		vi->dims[k] = -1;
		c = f.sub;
		NEXT(&c, &d, "TensorShapeProto.Dimension")
		{
			pgl_rc rc = PGL_OK;

			if (d.num == 1)
			{
				rc = get_varint(r, &d, "TensorShapeProto.Dimension", &vi->dims[k]);
				if (rc == PGL_OK && vi->dims[k] < 0)
					return pgl_fail(r->st, PGL_ERR_INVALID, "ONNX value %s has a negative dim %lld",
									vi->name, (long long) vi->dims[k]);
				vi->dim_params[k] = NULL;
			}
			else if (d.num == 2)
			{
				rc = get_string(r, &d, "TensorShapeProto.Dimension", &vi->dim_params[k]);
				vi->dims[k] = -1;
			}
			if (rc != PGL_OK)
				return rc;
		}
		k++;
	}
	vi->ndim = k;
	return PGL_OK;
}

static pgl_rc
decode_value_info(rd *r, ox_pb msg, pgl_ox_value_info *vi)
{
	ox_field f;
	ox_pb	 type = {NULL, NULL};
	bool	 has_type = false;

	vi->dtype = 0;
	vi->ndim = -1;
	NEXT(&msg, &f, "ValueInfoProto")
	{
		if (f.num == 1)
		{
			pgl_rc rc = get_string(r, &f, "ValueInfoProto", &vi->name);

			if (rc != PGL_OK)
				return rc;
		}
		else if (f.num == 2)
		{
			if (f.wt != OX_WT_LEN)
				return bad_wire(r, "ValueInfoProto", f.num);
			type = f.sub;
			has_type = true;
		}
	}
	if (!vi->name && !(vi->name = ox_pstrndup(r->pool, (const uint8_t *) "", 0, r->st)))
		return r->st->rc;
	if (!has_type)
		return PGL_OK;
	NEXT(&type, &f, "TypeProto")
	{
		ox_field g;
		ox_pb	 c;

		if (f.num == 4 || f.num == 5 || f.num == 8 || f.num == 9)
			vi->dtype = -1; /* sequence, map, sparse tensor, optional */
		if (f.num != 1)
			continue;
		if (f.wt != OX_WT_LEN)
			return bad_wire(r, "TypeProto", f.num);
		c = f.sub;
		NEXT(&c, &g, "TypeProto.Tensor")
		{
			int64_t v;
			pgl_rc	rc = PGL_OK;

			if (g.num == 1)
			{
				rc = get_varint(r, &g, "TypeProto.Tensor", &v);
				vi->dtype = (v >= 0 && v < 1000) ? (int32_t) v : 1000;
			}
			else if (g.num == 2)
			{
				if (g.wt != OX_WT_LEN)
					return bad_wire(r, "TypeProto.Tensor", g.num);
				rc = decode_shape(r, g.sub, vi);
			}
			if (rc != PGL_OK)
				return rc;
		}
	}
	return PGL_OK;
}

/* ---------- GraphProto ---------- */

static pgl_rc
decode_graph(rd *r, ox_pb msg, pgl_ox_model *m, pgl_ox_value_info **all_in, int32_t *n_all_in)
{
	ox_field f;
	int64_t	 nn = 0, nt = 0, ni = 0, no = 0;
	ox_pb	 c = msg;
	pgl_rc	 rc = PGL_OK;

	NEXT(&c, &f, "GraphProto")
	{
		switch (f.num)
		{
			case 1:
			case 5:
			case 11:
			case 12:
				if (f.wt != OX_WT_LEN)
					return bad_wire(r, "GraphProto", f.num);
				(*(f.num == 1 ? &nn : f.num == 5 ? &nt : f.num == 11 ? &ni : &no))++;
				break;
			case 2:
				rc = get_string(r, &f, "GraphProto", &m->graph_name);
				break;
			case 15:
				return pgl_fail(r->st, PGL_ERR_INVALID,
								"unsupported ONNX feature: sparse initializers");
			default:
				break;
		}
		if (rc != PGL_OK)
			return rc;
	}
	if (nn > r->lim->max_nodes)
		return pgl_ox_fail(r->st, PGL_ERR_INVALID, "Raise the limit or use a smaller model.",
						   "ONNX graph has %lld nodes, more than the limit of %lld", (long long) nn,
						   (long long) r->lim->max_nodes);
	if (nt + ni + no > r->lim->max_tensors)
		return pgl_ox_fail(r->st, PGL_ERR_INVALID, "Raise the limit or use a smaller model.",
						   "ONNX graph has %lld tensors, more than the limit of %lld",
						   (long long) (nt + ni + no), (long long) r->lim->max_tensors);
	m->nodes = ox_palloc(r->pool, sizeof(pgl_ox_node) * (size_t) nn, r->st);
	m->initializers = ox_palloc(r->pool, sizeof(pgl_ox_tensor) * (size_t) nt, r->st);
	*all_in = ox_palloc(r->pool, sizeof(pgl_ox_value_info) * (size_t) ni, r->st);
	m->outputs = ox_palloc(r->pool, sizeof(pgl_ox_value_info) * (size_t) no, r->st);
	if (!m->nodes || !m->initializers || !*all_in || !m->outputs)
		return r->st->rc;
	nn = nt = ni = no = 0;
	c = msg;
	while (ox_pb_next(&c, &f, "GraphProto", r->st) > 0)
	{
		if (f.num == 1)
			rc = decode_node(r, f.sub, &m->nodes[nn++]);
		else if (f.num == 5)
		{
			rc = decode_tensor(r, f.sub, &m->initializers[nt], "an initializer");
			if (rc == PGL_OK && (!m->initializers[nt].name || !m->initializers[nt].name[0]))
				rc = pgl_fail(r->st, PGL_ERR_INVALID, "ONNX graph has an initializer with no name");
			nt++;
		}
		else if (f.num == 11)
			rc = decode_value_info(r, f.sub, &(*all_in)[ni++]);
		else if (f.num == 12)
			rc = decode_value_info(r, f.sub, &m->outputs[no++]);
		if (rc != PGL_OK)
			return rc;
		m->n_nodes = (int32_t) nn;
		m->n_initializers = (int32_t) nt;
		m->n_outputs = (int32_t) no;
		*n_all_in = (int32_t) ni;
	}
	return PGL_OK;
}

/* ---------- ModelProto ---------- */

static pgl_rc
decode_opset(rd *r, ox_pb msg, pgl_ox_model *m)
{
	ox_field f;
	char	*domain = NULL;
	int64_t	 version = 0;

	NEXT(&msg, &f, "OperatorSetIdProto")
	{
		pgl_rc rc = PGL_OK;

		if (f.num == 1)
			rc = get_string(r, &f, "OperatorSetIdProto", &domain);
		else if (f.num == 2)
			rc = get_varint(r, &f, "OperatorSetIdProto", &version);
		if (rc != PGL_OK)
			return rc;
	}
	if (!domain || !domain[0] || strcmp(domain, "ai.onnx") == 0)
		m->opset = version;
	else if (strcmp(domain, "ai.onnx.ml") == 0)
		m->opset_ml = version;
	/* other domains: a node that uses one is refused by the validator */
	return PGL_OK;
}

/* keep the graph inputs that no initializer provides */
static pgl_rc
split_inputs(rd *r, pgl_ox_model *m, pgl_ox_value_info *all, int32_t n_all)
{
	ox_names h;
	pgl_rc	 rc;
	int32_t	 k = 0;

	if ((rc = ox_names_init(&h, r->pool, m->n_initializers, r->st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < m->n_initializers; i++)
		if (ox_names_get(&h, m->initializers[i].name) < 0)
			ox_names_put(&h, m->initializers[i].name, i);
	m->inputs = ox_palloc(r->pool, sizeof(pgl_ox_value_info) * (size_t) n_all, r->st);
	if (!m->inputs)
		return r->st->rc;
	for (int32_t i = 0; i < n_all; i++)
	{
		int32_t j = ox_names_get(&h, all[i].name);

		if (j < 0)
		{
			m->inputs[k++] = all[i];
			continue;
		}
		/* an initializer listed as an input (IR < 4): its declared type must agree */
		if (all[i].dtype > 0 && all[i].dtype != m->initializers[j].dtype)
			return pgl_fail(r->st, PGL_ERR_INVALID,
							"ONNX graph input %s is declared %s but its initializer is %s",
							all[i].name, pgl_ox_dtype_name(all[i].dtype),
							pgl_ox_dtype_name(m->initializers[j].dtype));
	}
	m->n_inputs = k;
	return PGL_OK;
}

pgl_rc
pgl_ox_decode(const pgl_env *env, const uint8_t *buf, size_t len, const pgl_ox_limits *lim,
			  pgl_ox_model **out, pgl_status *st)
{
	ox_model		  *om;
	pgl_ox_model	  *m;
	ox_pool			   pool;
	rd				   r;
	ox_pb			   c = {buf, buf + len};
	ox_field		   f;
	ox_pb			   graph = {NULL, NULL};
	bool			   has_graph = false;
	pgl_ox_value_info *all_in = NULL;
	int32_t			   n_all_in = 0;
	pgl_rc			   rc = PGL_OK;
	pgl_ox_limits	   dflt;
	size_t			   pool_limit;

	*out = NULL;
	if (!lim)
	{
		pgl_ox_limits_default(&dflt);
		lim = &dflt;
	}
	if ((uint64_t) len > (uint64_t) lim->max_bytes)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "Raise the limit (pg_learn.max_train_memory) or use a smaller model.",
						   "ONNX model of %zu bytes exceeds the limit of %lld bytes", len,
						   (long long) lim->max_bytes);
	/* decoded, varints widen to 8 bytes: bound the pool at 8 times the input, plus room */
	pool_limit = len * 8 + ((size_t) 64 << 20);
	ox_pool_init(&pool, env, pool_limit);
	om = ox_palloc(&pool, sizeof(ox_model), st);
	if (!om)
	{
		ox_pool_free(&pool);
		return st->rc;
	}
	om->priv.pool = pool;
	m = &om->pub;
	m->env = env;
	m->limits = *lim;
	r.pool = &om->priv.pool;
	r.lim = lim;
	r.st = st;
	r.tensor_bytes = 0;

	for (int k; (k = ox_pb_next(&c, &f, "ModelProto", st)) != 0;)
	{
		if (k < 0)
		{
			rc = st->rc;
			break;
		}
		if (f.num == 1)
			rc = get_varint(&r, &f, "ModelProto", &m->ir_version);
		else if (f.num == 2)
			rc = get_string(&r, &f, "ModelProto", &m->producer_name);
		else if (f.num == 3)
			rc = get_string(&r, &f, "ModelProto", &m->producer_version);
		else if (f.num == 7)
		{
			if (f.wt != OX_WT_LEN)
				rc = bad_wire(&r, "ModelProto", f.num);
			graph = f.sub;
			has_graph = true;
		}
		else if (f.num == 8)
			rc = f.wt == OX_WT_LEN ? decode_opset(&r, f.sub, m) : bad_wire(&r, "ModelProto", 8);
		if (rc != PGL_OK)
			break;
	}
	if (rc == PGL_OK && !has_graph)
		rc = pgl_fail(st, PGL_ERR_INVALID, "ONNX model has no graph");
	if (rc == PGL_OK)
		rc = decode_graph(&r, graph, m, &all_in, &n_all_in);
	if (rc == PGL_OK)
		rc = split_inputs(&r, m, all_in, n_all_in);
	if (rc != PGL_OK)
	{
		pgl_ox_model_free(m);
		return rc;
	}
	*out = m;
	return PGL_OK;
}

/* ---------- a lone TensorProto ---------- */

typedef struct ox_lone_tensor
{
	pgl_ox_tensor t; /* first: the public pointer */
	ox_pool		  pool;
} ox_lone_tensor;

pgl_rc
pgl_ox_tensor_decode(const pgl_env *env, const uint8_t *buf, size_t len, const pgl_ox_limits *lim,
					 pgl_ox_tensor **out, pgl_status *st)
{
	ox_pool			pool;
	ox_lone_tensor *lt;
	rd				r;
	pgl_ox_limits	dflt;
	pgl_rc			rc;

	*out = NULL;
	if (!lim)
	{
		pgl_ox_limits_default(&dflt);
		lim = &dflt;
	}
	if ((uint64_t) len > (uint64_t) lim->max_bytes)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX tensor of %zu bytes exceeds the limit of %lld",
						len, (long long) lim->max_bytes);
	ox_pool_init(&pool, env, len * 8 + ((size_t) 1 << 20));
	lt = ox_palloc(&pool, sizeof(ox_lone_tensor), st);
	if (!lt)
	{
		ox_pool_free(&pool);
		return st->rc;
	}
	lt->pool = pool;
	r.pool = &lt->pool;
	r.lim = lim;
	r.st = st;
	r.tensor_bytes = 0;
	rc = decode_tensor(&r, (ox_pb){buf, buf + len}, &lt->t, "a tensor");
	if (rc != PGL_OK)
	{
		pgl_ox_tensor_free(&lt->t);
		return rc;
	}
	*out = &lt->t;
	return PGL_OK;
}

void
pgl_ox_tensor_free(pgl_ox_tensor *t)
{
	ox_pool p;

	if (!t)
		return;
	p = ((ox_lone_tensor *) t)->pool;
	ox_pool_free(&p);
}
