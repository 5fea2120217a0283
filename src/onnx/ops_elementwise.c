/*-------------------------------------------------------------------------
 *
 * ops_elementwise.c
 *	  Element-wise kernels: Add, Sub, Mul, Div, Pow, Equal (broadcasting),
 *	  the unary maths and activations, LeakyRelu, Where, Cast.
 *
 * Integer arithmetic wraps (as numpy's does) rather than overflowing;
 * integer division truncates toward zero and refuses a zero divisor.  A
 * float converted to an integer saturates, NaN giving 0.
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"
#include "ox_kernels.h"

#include <math.h>
#include <string.h>

static const char *
label(const pgl_ox_node *n)
{
	return n->name[0] ? n->name : n->op_type;
}

static pgl_rc
bad_type(const pgl_ox_node *n, const pgl_ox_tensor *t, const char *valid, pgl_status *st)
{
	return pgl_ox_fail(st, PGL_ERR_INVALID, valid, "ONNX node %s (%s) does not take %s input %s",
					   label(n), n->op_type, pgl_ox_dtype_name(t->dtype), t->name ? t->name : "");
}

static bool
is_float(int32_t dt)
{
	return dt == PGL_OX_FLOAT || dt == PGL_OX_DOUBLE;
}

static bool
is_number(int32_t dt)
{
	return is_float(dt) || dt == PGL_OX_INT32 || dt == PGL_OX_INT64;
}

/* ---------- binary ---------- */

enum
{
	B_ADD,
	B_SUB,
	B_MUL,
	B_DIV,
	B_POW,
	B_EQUAL
};

static int
binop(const char *op)
{
	static const char *const names[] = {"Add", "Sub", "Mul", "Div", "Pow", "Equal"};

	for (int i = 0; i < 6; i++)
		if (strcmp(op, names[i]) == 0)
			return i;
	return -1;
}

#define BCAST_LOOP(TA, TB, TO, BODY)                                                               \
	do                                                                                             \
	{                                                                                              \
		const TA	*pa = a->data;                                                                 \
		const TB	*pb = b->data;                                                                 \
		TO			*po = o->data;                                                                 \
		pgl_ox_bcast it;                                                                           \
		pgl_ox_bcast_init(&it, o->ndim, o->dims, 2, ins);                                          \
		while (pgl_ox_bcast_next(&it))                                                             \
		{                                                                                          \
			const TA *ra = pa + it.off[0];                                                         \
			const TB *rb = pb + it.off[1];                                                         \
			TO		 *ro = po + it.out;                                                            \
			int64_t	  sa = it.step[0], sb = it.step[1];                                            \
			/* the three usual runs as their own loops, which vectorize */                         \
			if (sa == 1 && sb == 1)                                                                \
				for (int64_t k = 0; k < it.len; k++)                                               \
				{                                                                                  \
					TA va = ra[k];                                                                 \
					TB vb = rb[k];                                                                 \
					BODY;                                                                          \
				}                                                                                  \
			else if (sa == 1 && sb == 0)                                                           \
				for (int64_t k = 0; k < it.len; k++)                                               \
				{                                                                                  \
					TA va = ra[k];                                                                 \
					TB vb = rb[0];                                                                 \
					BODY;                                                                          \
				}                                                                                  \
			else                                                                                   \
				for (int64_t k = 0; k < it.len; k++)                                               \
				{                                                                                  \
					TA va = ra[k * sa];                                                            \
					TB vb = rb[k * sb];                                                            \
					BODY;                                                                          \
				}                                                                                  \
		}                                                                                          \
	} while (0)

#define ARITH_FLOAT(T)                                                                             \
	do                                                                                             \
	{                                                                                              \
		switch (op)                                                                                \
		{                                                                                          \
			case B_ADD:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = va + vb);                                              \
				break;                                                                             \
			case B_SUB:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = va - vb);                                              \
				break;                                                                             \
			case B_MUL:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = va * vb);                                              \
				break;                                                                             \
			case B_DIV:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = va / vb);                                              \
				break;                                                                             \
			case B_EQUAL:                                                                          \
				BCAST_LOOP(T, T, uint8_t, ro[k] = va == vb);                                       \
				break;                                                                             \
		}                                                                                          \
	} while (0)

#define ARITH_INT(T, U, MIN)                                                                       \
	do                                                                                             \
	{                                                                                              \
		switch (op)                                                                                \
		{                                                                                          \
			case B_ADD:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = (T) ((U) va + (U) vb));                                \
				break;                                                                             \
			case B_SUB:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = (T) ((U) va - (U) vb));                                \
				break;                                                                             \
			case B_MUL:                                                                            \
				BCAST_LOOP(T, T, T, ro[k] = (T) ((U) va * (U) vb));                                \
				break;                                                                             \
			case B_DIV:                                                                            \
				BCAST_LOOP(T, T, T, if (vb == 0) div0 = true;                                      \
						   else ro[k] = (vb == -1) ? (T) (0 - (U) va) : va / vb);                  \
				break;                                                                             \
			case B_EQUAL:                                                                          \
				BCAST_LOOP(T, T, uint8_t, ro[k] = va == vb);                                       \
				break;                                                                             \
		}                                                                                          \
	} while (0)

/* a double as an integer type, saturating, NaN as 0 */
static int64_t
to_i64(double v, int64_t lo, int64_t hi)
{
	if (v != v)
		return 0;
	if (v <= (double) lo)
		return lo;
	if (v >= (double) hi)
		return hi;
	return (int64_t) v;
}

static void
pow_generic(const pgl_ox_tensor *a, const pgl_ox_tensor *b, pgl_ox_tensor *o,
			const pgl_ox_tensor *const *ins)
{
	pgl_ox_bcast it;

	pgl_ox_bcast_init(&it, o->ndim, o->dims, 2, ins);
	while (pgl_ox_bcast_next(&it))
		for (int64_t k = 0; k < it.len; k++)
		{
			double	v = pow(pgl_ox_get_f64(a, it.off[0] + k * it.step[0]),
							pgl_ox_get_f64(b, it.off[1] + k * it.step[1]));
			int64_t i = it.out + k;

			switch (o->dtype)
			{
				case PGL_OX_FLOAT:
					((float *) o->data)[i] = (float) v;
					break;
				case PGL_OX_DOUBLE:
					((double *) o->data)[i] = v;
					break;
				case PGL_OX_INT32:
					((int32_t *) o->data)[i] = (int32_t) to_i64(v, INT32_MIN, INT32_MAX);
					break;
				case PGL_OX_INT64:
					((int64_t *) o->data)[i] = to_i64(v, INT64_MIN, INT64_MAX);
					break;
			}
		}
}

/*
 * Before opset 7, B broadcasts to A only when the attribute broadcast is 1,
 * its dims matching A's from axis on (default: A's last dims); else the
 * shapes are equal.  bview is b with trailing 1s, so numpy rules apply.
 */
static pgl_rc
legacy_broadcast(const pgl_ox_node *n, const pgl_ox_tensor *a, const pgl_ox_tensor *b,
				 pgl_ox_tensor *bview, pgl_status *st)
{
	int64_t axis;

	*bview = *b;
	if (pgl_ox_attr_int(n, "broadcast", 0) == 0)
	{
		if (a->ndim != b->ndim || memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t) a->ndim))
			return pgl_fail(st, PGL_ERR_INVALID,
							"ONNX node %s (%s): shapes differ and broadcast is not set", label(n),
							n->op_type);
		return PGL_OK;
	}
	axis = pgl_ox_attr_int(n, "axis", a->ndim - b->ndim);
	if (axis < 0 || b->ndim > a->ndim || axis > a->ndim - b->ndim)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (%s): broadcast axis %lld is invalid",
						label(n), n->op_type, (long long) axis);
	bview->ndim = (int32_t) (a->ndim - axis);
	for (int32_t i = b->ndim; i < bview->ndim; i++)
		bview->dims[i] = 1;
	return PGL_OK;
}

pgl_rc
pgl_ox_k_binary(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *a, *b;
	const pgl_ox_tensor *ins[2];
	pgl_ox_tensor		 bview;
	pgl_ox_tensor		*o = out[0];
	int					 op = binop(n->op_type);
	int64_t				 dims[PGL_OX_MAX_DIMS];
	int32_t				 nd;
	bool				 div0 = false;
	pgl_rc				 rc;

	(void) n_in;
	(void) n_out;
	a = ins[0] = in[0];
	b = ins[1] = in[1];
	if (n->opset < 7 && (rc = legacy_broadcast(n, a, b, &bview, st)) != PGL_OK)
		return rc;
	if (n->opset < 7)
		b = ins[1] = &bview;
	if (op == B_POW		? !is_number(a->dtype)
		: op == B_EQUAL ? pgl_ox_dtype_size(a->dtype) == 0
						: !is_number(a->dtype))
		return bad_type(n, a, "It takes float, double, int32 or int64 (Equal: bool too).", st);
	if (op == B_POW ? !is_number(b->dtype) : b->dtype != a->dtype)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Both inputs must have the same type.",
						   "ONNX node %s (%s) has inputs of types %s and %s", label(n), n->op_type,
						   pgl_ox_dtype_name(a->dtype), pgl_ox_dtype_name(b->dtype));
	if ((rc = pgl_ox_broadcast_shape(a->ndim, a->dims, b->ndim, b->dims, &nd, dims, st)) != PGL_OK)
		return pgl_ox_fail(st, rc, st->detail, "ONNX node %s (%s): %s", label(n), n->op_type,
						   st->msg);
	if (!o)
		return PGL_OK;
	if ((rc = pgl_ox_output(x, o, op == B_EQUAL ? PGL_OX_BOOL : a->dtype, nd, dims, st)) != PGL_OK)
		return rc;
	if (op == B_POW)
	{
		if (a->dtype == PGL_OX_FLOAT && b->dtype == PGL_OX_FLOAT)
			BCAST_LOOP(float, float, float, ro[k] = powf(va, vb));
		else
			pow_generic(a, b, o, ins);
		return PGL_OK;
	}
	switch (a->dtype)
	{
		case PGL_OX_FLOAT:
			ARITH_FLOAT(float);
			break;
		case PGL_OX_DOUBLE:
			ARITH_FLOAT(double);
			break;
		case PGL_OX_INT32:
			ARITH_INT(int32_t, uint32_t, INT32_MIN);
			break;
		case PGL_OX_INT64:
			ARITH_INT(int64_t, uint64_t, INT64_MIN);
			break;
		case PGL_OX_BOOL:
			BCAST_LOOP(uint8_t, uint8_t, uint8_t, ro[k] = va == vb);
			break;
	}
	if (div0)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Div) divides an integer by zero",
						label(n));
	return PGL_OK;
}

/* ---------- unary ---------- */

static double
sigmoid(double v)
{
	if (v >= 0)
		return 1.0 / (1.0 + exp(-v));
	else
	{
		double e = exp(v);

		return e / (1.0 + e);
	}
}

#define UNARY_F(T, F, SIG, EXPF, LOGF, SQRTF, ERFF, TANHF, FABSF)                                  \
	do                                                                                             \
	{                                                                                              \
		const T *a = in[0]->data;                                                                  \
		T		*o = out[0]->data;                                                                 \
		int64_t	 cnt = in[0]->count;                                                               \
		switch (F)                                                                                 \
		{                                                                                          \
			case 0:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = SQRTF(a[i]);                                                            \
				break;                                                                             \
			case 1:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = EXPF(a[i]);                                                             \
				break;                                                                             \
			case 2:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = LOGF(a[i]);                                                             \
				break;                                                                             \
			case 3:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = ERFF(a[i]);                                                             \
				break;                                                                             \
			case 4:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = -a[i];                                                                  \
				break;                                                                             \
			case 5:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = 1 / a[i];                                                               \
				break;                                                                             \
			case 6:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = FABSF(a[i]);                                                            \
				break;                                                                             \
			case 7:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = a[i] > 0 ? a[i] : 0;                                                    \
				break;                                                                             \
			case 8:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = SIG(a[i]);                                                              \
				break;                                                                             \
			case 9:                                                                                \
				for (int64_t i = 0; i < cnt; i++)                                                  \
					o[i] = TANHF(a[i]);                                                            \
				break;                                                                             \
		}                                                                                          \
	} while (0)

#define UNARY_I(T, U)                                                                              \
	do                                                                                             \
	{                                                                                              \
		const T *a = in[0]->data;                                                                  \
		T		*o = out[0]->data;                                                                 \
		for (int64_t i = 0; i < in[0]->count; i++)                                                 \
			o[i] = f == 4	? (T) (0 - (U) a[i])                                                   \
				   : f == 6 ? (a[i] < 0 ? (T) (0 - (U) a[i]) : a[i])                               \
							: (a[i] > 0 ? a[i] : 0);                                               \
	} while (0)

pgl_rc
pgl_ox_k_unary(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	static const char *const names[] = {"Sqrt",		  "Exp", "Log",	 "Erf",		"Neg",
										"Reciprocal", "Abs", "Relu", "Sigmoid", "Tanh"};
	int						 f = -1;
	pgl_rc					 rc;
	int32_t					 dt;

	(void) n_in;
	(void) n_out;
	for (int i = 0; i < 10; i++)
		if (strcmp(n->op_type, names[i]) == 0)
			f = i;
	dt = in[0]->dtype;
	if (!(is_float(dt) || ((f == 4 || f == 6 || f == 7) && is_number(dt))))
		return bad_type(n, in[0], "It takes float or double (Neg, Abs, Relu: int32, int64 too).",
						st);
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], dt, in[0]->ndim, in[0]->dims, st)) != PGL_OK)
		return rc;
	switch (dt)
	{
		case PGL_OX_FLOAT:
			/* Sigmoid and Tanh 8 lanes at a time where the CPU can (vec.c) */
			if (f == 8)
				ox_vec_sigmoid(in[0]->data, out[0]->data, in[0]->count);
			else if (f == 9)
				ox_vec_tanh(in[0]->data, out[0]->data, in[0]->count);
			else
				UNARY_F(float, f, ox_sigmoidf, expf, logf, sqrtf, erff, ox_tanhf, fabsf);
			break;
		case PGL_OX_DOUBLE:
			UNARY_F(double, f, sigmoid, exp, log, sqrt, erf, tanh, fabs);
			break;
		case PGL_OX_INT32:
			UNARY_I(int32_t, uint32_t);
			break;
		case PGL_OX_INT64:
			UNARY_I(int64_t, uint64_t);
			break;
	}
	return PGL_OK;
}

pgl_rc
pgl_ox_k_leaky_relu(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
					pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	float  alpha = pgl_ox_attr_float(n, "alpha", 0.01f);
	pgl_rc rc;

	(void) n_in;
	(void) n_out;
	if (!is_float(in[0]->dtype))
		return bad_type(n, in[0], "It takes float or double.", st);
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], in[0]->dtype, in[0]->ndim, in[0]->dims, st)) != PGL_OK)
		return rc;
	if (in[0]->dtype == PGL_OX_FLOAT)
	{
		const float *a = in[0]->data;
		float		*o = out[0]->data;

		for (int64_t i = 0; i < in[0]->count; i++)
			o[i] = a[i] >= 0 ? a[i] : alpha * a[i];
	}
	else
	{
		const double *a = in[0]->data;
		double		 *o = out[0]->data;

		for (int64_t i = 0; i < in[0]->count; i++)
			o[i] = a[i] >= 0 ? a[i] : (double) alpha * a[i];
	}
	return PGL_OK;
}

/* ---------- Where ---------- */

#define WHERE_LOOP(T)                                                                              \
	do                                                                                             \
	{                                                                                              \
		const uint8_t *pc = c->data;                                                               \
		const T		  *pa = a->data, *pb = b->data;                                                \
		T			  *po = o->data;                                                               \
		while (pgl_ox_bcast_next(&it))                                                             \
			for (int64_t k = 0; k < it.len; k++)                                                   \
				po[it.out + k] = pc[it.off[0] + k * it.step[0]] ? pa[it.off[1] + k * it.step[1]]   \
																: pb[it.off[2] + k * it.step[2]];  \
	} while (0)

pgl_rc
pgl_ox_k_where(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *c, *a, *b;
	const pgl_ox_tensor *ins[3];
	pgl_ox_tensor		*o = out[0];
	int64_t				 d1[PGL_OX_MAX_DIMS], dims[PGL_OX_MAX_DIMS];
	int32_t				 n1, nd;
	pgl_ox_bcast		 it;
	pgl_rc				 rc;

	(void) n_in;
	(void) n_out;
	c = ins[0] = in[0];
	a = ins[1] = in[1];
	b = ins[2] = in[2];
	if (c->dtype != PGL_OX_BOOL)
		return bad_type(n, c, "The condition must be bool.", st);
	if (a->dtype != b->dtype)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Where) has inputs of types %s and %s",
						label(n), pgl_ox_dtype_name(a->dtype), pgl_ox_dtype_name(b->dtype));
	if ((rc = pgl_ox_broadcast_shape(c->ndim, c->dims, a->ndim, a->dims, &n1, d1, st)) != PGL_OK ||
		(rc = pgl_ox_broadcast_shape(n1, d1, b->ndim, b->dims, &nd, dims, st)) != PGL_OK)
		return rc;
	if (!o)
		return PGL_OK;
	if ((rc = pgl_ox_output(x, o, a->dtype, nd, dims, st)) != PGL_OK)
		return rc;
	pgl_ox_bcast_init(&it, nd, dims, 3, ins);
	switch (pgl_ox_dtype_size(a->dtype))
	{
		case 1:
			WHERE_LOOP(uint8_t);
			break;
		case 4:
			WHERE_LOOP(uint32_t);
			break;
		case 8:
			WHERE_LOOP(uint64_t);
			break;
	}
	return PGL_OK;
}

/* ---------- Cast ---------- */

pgl_rc
pgl_ox_c_cast(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const pgl_ox_attr *a = pgl_ox_attr_find(n, "to");

	(void) m;
	if (!a || a->type != PGL_OX_ATTR_INT)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX node %s (Cast) has no attribute \"to\"",
						label(n));
	if (a->i < 0 || a->i > 64 || pgl_ox_dtype_size((int32_t) a->i) == 0)
		return pgl_ox_fail(
			st, PGL_ERR_INVALID, "Supported types: float, double, int32, int64, bool.",
			"unsupported ONNX Cast to type %lld in node %s", (long long) a->i, label(n));
	return PGL_OK;
}

pgl_rc
pgl_ox_k_cast(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	int32_t				 to = (int32_t) pgl_ox_attr_int(n, "to", PGL_OX_FLOAT);
	const pgl_ox_tensor *a;
	void				*o;
	bool				 from_int;
	pgl_rc				 rc;

	(void) n_in;
	(void) n_out;
	a = in[0];
	if (!out[0])
		return PGL_OK;
	if ((rc = pgl_ox_output(x, out[0], to, a->ndim, a->dims, st)) != PGL_OK)
		return rc;
	o = out[0]->data;
	if (to == a->dtype)
	{
		memcpy(o, a->data, (size_t) a->count * pgl_ox_dtype_size(to));
		return PGL_OK;
	}
	from_int = !is_float(a->dtype);
	for (int64_t i = 0; i < a->count; i++)
		switch (to)
		{
			case PGL_OX_FLOAT:
				((float *) o)[i] = (float) pgl_ox_get_f64(a, i);
				break;
			case PGL_OX_DOUBLE:
				((double *) o)[i] = pgl_ox_get_f64(a, i);
				break;
			case PGL_OX_INT32:
				((int32_t *) o)[i] =
					from_int ? (int32_t) (uint32_t) pgl_ox_get_i64(a, i)
							 : (int32_t) to_i64(pgl_ox_get_f64(a, i), INT32_MIN, INT32_MAX);
				break;
			case PGL_OX_INT64:
				((int64_t *) o)[i] = pgl_ox_get_i64(a, i);
				break;
			case PGL_OX_BOOL:
				((uint8_t *) o)[i] =
					from_int ? pgl_ox_get_i64(a, i) != 0 : pgl_ox_get_f64(a, i) != 0;
				break;
		}
	return PGL_OK;
}
