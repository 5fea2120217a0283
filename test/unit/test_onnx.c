/*
 * test_onnx.c - the ONNX runtime's core (src/onnx): the protobuf decoder on
 * hand-built bytes (varints at their limits, truncation, lying lengths),
 * the validator's errors, the executor on a small graph (dynamic batch,
 * buffer reuse, interrupts), broadcasting, limits and failed allocations.
 */
#include "ox_internal.h"
#include "testenv.h"
#include "unit.h"

#include <string.h>

/* ---------- a tiny protobuf writer ---------- */

typedef struct buf
{
	uint8_t *p;
	size_t	 n, cap;
} buf;

static void
put(buf *b, const void *v, size_t n)
{
	if (b->n + n > b->cap)
	{
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, v, n);
	b->n += n;
}

static void
varint(buf *b, uint64_t v)
{
	do
	{
		uint8_t c = (uint8_t) (v & 0x7f);

		v >>= 7;
		if (v)
			c |= 0x80;
		put(b, &c, 1);
	} while (v);
}

static void
f_varint(buf *b, int field, uint64_t v)
{
	varint(b, (uint64_t) field << 3);
	varint(b, v);
}

static void
f_bytes(buf *b, int field, const void *v, size_t n)
{
	varint(b, ((uint64_t) field << 3) | 2);
	varint(b, n);
	put(b, v, n);
}

static void
f_str(buf *b, int field, const char *s)
{
	f_bytes(b, field, s, strlen(s));
}

/* append sub as a field and free it */
static void
f_msg(buf *b, int field, buf *sub)
{
	f_bytes(b, field, sub->p ? sub->p : (uint8_t *) "", sub->n);
	free(sub->p);
	memset(sub, 0, sizeof(*sub));
}

static buf
tensor(const char *name, int dtype, int ndim, const int64_t *dims, const void *raw, size_t len)
{
	buf t = {0};

	for (int i = 0; i < ndim; i++)
		f_varint(&t, 1, (uint64_t) dims[i]);
	f_varint(&t, 2, (uint64_t) dtype);
	if (name)
		f_str(&t, 8, name);
	if (raw)
		f_bytes(&t, 9, raw, len);
	return t;
}

/* a tensor value_info; dims[i] < 0: the symbol "N" */
static buf
value_info(const char *name, int dtype, int ndim, const int64_t *dims)
{
	buf vi = {0}, type = {0}, tt = {0}, shape = {0};

	f_str(&vi, 1, name);
	f_varint(&tt, 1, (uint64_t) dtype);
	for (int i = 0; i < ndim; i++)
	{
		buf d = {0};

		if (dims[i] < 0)
			f_str(&d, 2, "N");
		else
			f_varint(&d, 1, (uint64_t) dims[i]);
		f_msg(&shape, 1, &d);
	}
	if (ndim >= 0)
		f_msg(&tt, 2, &shape);
	f_msg(&type, 1, &tt);
	f_msg(&vi, 2, &type);
	return vi;
}

static buf
node(const char *op, const char *in0, const char *in1, const char *out, buf *attr)
{
	buf n = {0};

	if (in0)
		f_str(&n, 1, in0);
	if (in1)
		f_str(&n, 1, in1);
	f_str(&n, 2, out);
	f_str(&n, 3, out); /* name it after its output */
	f_str(&n, 4, op);
	if (attr)
		f_msg(&n, 5, attr);
	return n;
}

static buf
model(int64_t ir, int64_t opset, const char *domain, buf *graph)
{
	buf m = {0}, os = {0};

	f_varint(&m, 1, (uint64_t) ir);
	f_str(&m, 2, "test_onnx");
	if (domain)
		f_str(&os, 1, domain);
	f_varint(&os, 2, (uint64_t) opset);
	f_msg(&m, 8, &os);
	f_msg(&m, 7, graph);
	return m;
}

/*
 * Y = Relu(X * W + B), X [N, 3] float, W and B [3]; variant changes one
 * thing for the validator tests.
 */
enum
{
	V_OK,
	V_UNSUPPORTED,
	V_CYCLE,
	V_UNDEFINED,
	V_DUPLICATE,
	V_BAD_RAW,
	V_EXTERNAL,
	V_NO_OUTPUT,
	V_STRING_INPUT,
	V_BAD_COUNT,
	V_CUSTOM_DOMAIN,
	V_NINE_DIMS,
	V_NEG_DIM,
	V_VALUE_INFO
};

static buf
mlp(int variant, int64_t opset)
{
	static const float w[3] = {1, -2, 3}, b[3] = {0.5f, 0.5f, -10};
	int64_t			   d3[1] = {3}, dx[2] = {-1, 3}, d9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	buf				   g = {0}, t;

	t = node("Mul", "X", "W", "t1", NULL);
	f_msg(&g, 1, &t);
	t = node(variant == V_UNSUPPORTED ? "Foo" : "Add", variant == V_CYCLE ? "Y" : "t1",
			 variant == V_UNDEFINED ? "nowhere" : "B", variant == V_DUPLICATE ? "t1" : "t2", NULL);
	f_msg(&g, 1, &t);
	t = node(variant == V_UNSUPPORTED ? "Zed" : "Relu", variant == V_DUPLICATE ? "t1" : "t2",
			 variant == V_BAD_COUNT ? "t1" : NULL, "Y", NULL);
	if (variant == V_CUSTOM_DOMAIN)
		f_str(&t, 7, "com.example");
	f_msg(&g, 1, &t);
	if (variant == V_UNSUPPORTED)
	{
		t = node("Foo", "Y", NULL, "Y2", NULL);
		f_msg(&g, 1, &t);
	}
	f_str(&g, 2, "mlp");
	t = tensor("W", 1, variant == V_NINE_DIMS ? 9 : 1, variant == V_NINE_DIMS ? d9 : d3, w,
			   variant == V_BAD_RAW		? 8
			   : variant == V_NINE_DIMS ? 4
										: 12);
	if (variant == V_EXTERNAL)
		f_varint(&t, 14, 1);
	f_msg(&g, 5, &t);
	if (variant == V_NEG_DIM)
	{
		int64_t neg[1] = {-3};

		t = tensor("B", 1, 1, neg, b, 12);
	}
	else
		t = tensor("B", 1, 1, d3, b, 12);
	f_msg(&g, 5, &t);
	t = value_info("X", variant == V_STRING_INPUT ? 8 : 1, 2, dx);
	f_msg(&g, 11, &t);
	t = value_info(variant == V_NO_OUTPUT ? "Q" : "Y", 1, 2, dx);
	f_msg(&g, 12, &t);
	/* 20 value_info entries (field 13, intermediate shapes), one of a string type */
	for (int i = 0; variant == V_VALUE_INFO && i < 20; i++)
	{
		t = value_info(i == 0 ? "t1" : "t2", i == 0 ? 8 : 1, 2, dx);
		f_msg(&g, 13, &t);
	}
	return model(8, opset, variant == V_OK ? "" : NULL, &g);
}

static pgl_rc
load(const buf *b, pgl_ox_model **m, pgl_status *st)
{
	return pgl_ox_load(&pgl_malloc_env, b->p, b->n, NULL, m, st);
}

/* ---------- tests ---------- */

static void
test_varints(void)
{
	uint8_t	 max[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	uint8_t	 over[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	uint8_t	 eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	uint8_t	 cut[2] = {0x80, 0x80};
	uint64_t v = 0;
	ox_pb	 c;

	c = (ox_pb){max, max + 10};
	OK(ox_pb_varint(&c, &v) == 1 && v == UINT64_MAX && c.p == max + 10,
	   "a 10-byte varint decodes to 2^64 - 1");
	c = (ox_pb){over, over + 10};
	OK(ox_pb_varint(&c, &v) == 0, "a varint over 64 bits is refused");
	c = (ox_pb){eleven, eleven + 11};
	OK(ox_pb_varint(&c, &v) == 0, "an 11-byte varint is refused");
	c = (ox_pb){cut, cut + 2};
	OK(ox_pb_varint(&c, &v) == 0, "a truncated varint is refused");
	c = (ox_pb){(uint8_t *) "\x00", (uint8_t *) "\x00" + 1};
	OK(ox_pb_varint(&c, &v) == 1 && v == 0, "a one-byte 0 decodes");
}

static void
test_fields(void)
{
	pgl_status st;
	ox_field   f;
	ox_pb	   c;
	uint8_t	   len_lies[] = {0x0a, 0x05, 'a', 'b'};				  /* field 1, length 5, 2 bytes */
	uint8_t	   group[] = {0x0b, 0x0c};							  /* wire type 3 */
	uint8_t	   zero[] = {0x00, 0x01};							  /* field number 0 */
	uint8_t	   fixed_cut[] = {0x0d, 0x01, 0x02};				  /* 32-bit with 2 bytes */
	uint8_t	   huge_len[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}; /* length 2^32 - 1 */
	uint8_t	   good[] = {0x08, 0x96, 0x01, 0x12, 0x01, 'x'};

	c = (ox_pb){len_lies, len_lies + sizeof(len_lies)};
	OK(ox_pb_next(&c, &f, "M", &st) == -1 && strstr(st.msg, "malformed in M"),
	   "a length past the end is refused: %s", st.msg);
	c = (ox_pb){group, group + sizeof(group)};
	OK(ox_pb_next(&c, &f, "M", &st) == -1, "a group (wire type 3) is refused");
	c = (ox_pb){zero, zero + sizeof(zero)};
	OK(ox_pb_next(&c, &f, "M", &st) == -1, "field number 0 is refused");
	c = (ox_pb){fixed_cut, fixed_cut + sizeof(fixed_cut)};
	OK(ox_pb_next(&c, &f, "M", &st) == -1, "a cut 32-bit field is refused");
	c = (ox_pb){huge_len, huge_len + sizeof(huge_len)};
	OK(ox_pb_next(&c, &f, "M", &st) == -1, "a 4 GB length in 6 bytes is refused");
	c = (ox_pb){good, good + sizeof(good)};
	OK(ox_pb_next(&c, &f, "M", &st) == 1 && f.num == 1 && f.v == 150 &&
		   ox_pb_next(&c, &f, "M", &st) == 1 && f.num == 2 && f.sub.end - f.sub.p == 1 &&
		   ox_pb_next(&c, &f, "M", &st) == 0,
	   "a varint and a string field decode, then the end");
}

static void
test_run(void)
{
	counters			 cnt;
	pgl_env				 env = make_env(&cnt);
	buf					 b = mlp(V_OK, 13);
	pgl_ox_model		*m = NULL;
	pgl_ox_exec			*x;
	pgl_status			 st;
	float				 in[6] = {1, 1, 1, 2, -1, 4}, in2[3] = {0, 0, 4};
	pgl_ox_tensor		 t = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {2, 3}, .data = in};
	const pgl_ox_tensor *y;
	int64_t				 allocs;
	pgl_rc				 rc;

	rc = pgl_ox_load(&env, b.p, b.n, NULL, &m, &st);
	OK(rc == PGL_OK, "a small graph loads: %s", rc ? st.msg : "");
	if (rc != PGL_OK)
		return;
	OK(m->n_inputs == 1 && strcmp(m->inputs[0].name, "X") == 0 && m->inputs[0].dims[0] == -1 &&
		   strcmp(m->inputs[0].dim_params[0], "N") == 0 && m->n_outputs == 1 &&
		   m->n_initializers == 2 && m->opset == 13 && strcmp(m->producer_name, "test_onnx") == 0,
	   "inputs, symbolic dims, outputs, initializers and opset are read");
	x = pgl_ox_exec_new(m, &st);
	OK(x != NULL, "an executor is made");
	rc = pgl_ox_run(x, &t, 1, &st);
	y = pgl_ox_result(x, 0);
	OK(rc == PGL_OK && y && y->ndim == 2 && y->dims[0] == 2 && y->dims[1] == 3,
	   "it runs on a batch of 2: %s", rc ? st.msg : "");
	if (rc == PGL_OK)
	{
		const float *o = y->data;

		/* relu(x * [1,-2,3] + [0.5,0.5,-10]) */
		OK(o[0] == 1.5f && o[1] == 0 && o[2] == 0 && o[3] == 2.5f && o[4] == 2.5f && o[5] == 2,
		   "the outputs are Relu(X * W + B)");
	}
	OK(cnt.interrupts >= 3, "interrupts are checked between nodes (%d)", cnt.interrupts);
	allocs = pgl_ox_exec_allocs(x);
	rc = pgl_ox_run(x, &t, 1, &st);
	OK(rc == PGL_OK && pgl_ox_exec_allocs(x) == allocs,
	   "a second run with the same shapes allocates nothing (%lld buffers, %lld bytes)",
	   (long long) allocs, (long long) pgl_ox_exec_bytes(x));
	t.dims[0] = 1;
	t.data = in2;
	rc = pgl_ox_run(x, &t, 1, &st);
	y = pgl_ox_result(x, 0);
	OK(rc == PGL_OK && y->dims[0] == 1 && ((float *) y->data)[2] == 2,
	   "a batch of 1 runs on the same executor");
	t.dims[1] = 4;
	rc = pgl_ox_run(x, &t, 1, &st);
	OK(rc != PGL_OK && strstr(st.msg, "has 4 in dim 1 where the model wants 3"),
	   "a wrong fixed dim is refused: %s", st.msg);
	OK(pgl_ox_result(x, 0) == NULL, "a failed run leaves no result");
	t.dims[1] = 3;
	t.dtype = PGL_OX_DOUBLE;
	rc = pgl_ox_run(x, &t, 1, &st);
	OK(rc != PGL_OK && strstr(st.msg, "is float, not double"), "a wrong dtype is refused: %s",
	   st.msg);
	pgl_ox_exec_free(x);
	pgl_ox_model_free(m);
	free(b.p);
}

/*
 * Products by constant weights: Y = X Identity(W) (torch's shared weights
 * arrive through an Identity), Z = Gemm(X, V, transB) with V [70, 3]; W is
 * [3, 70]: a panel of 64 columns and a tail.  The Identity is folded into a
 * constant (no step), and both products equal the sums written out.
 */
static void
test_const_products(void)
{
	static float  w[3 * 70], v[70 * 3];
	float		  in[5 * 3];
	int64_t		  dw[2] = {3, 70}, dv[2] = {70, 3}, dx[2] = {-1, 3}, dy[2] = {-1, 70};
	buf			  g = {0}, t, attr = {0}, b;
	pgl_ox_model *m = NULL;
	pgl_ox_exec	 *x;
	pgl_status	  st;
	pgl_rc		  rc;
	pgl_ox_tensor it = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {5, 3}, .data = in};

	for (int i = 0; i < 3 * 70; i++)
	{
		w[i] = (float) ((i * 13) % 29) / 7.0f - 2.0f;
		v[(i % 70) * 3 + i / 70] = w[i] * 0.5f; /* V = W^T / 2 */
	}
	for (int i = 0; i < 15; i++)
		in[i] = (float) (i % 7) - 3.0f;
	t = node("Identity", "W", NULL, "Wid", NULL);
	f_msg(&g, 1, &t);
	t = node("MatMul", "X", "Wid", "Y", NULL);
	f_msg(&g, 1, &t);
	f_str(&attr, 1, "transB");
	f_varint(&attr, 3, 1);
	f_varint(&attr, 20, 2); /* INT */
	t = node("Gemm", "X", "V", "Z", &attr);
	f_msg(&g, 1, &t);
	f_str(&g, 2, "products");
	t = tensor("W", 1, 2, dw, w, sizeof(w));
	f_msg(&g, 5, &t);
	t = tensor("V", 1, 2, dv, v, sizeof(v));
	f_msg(&g, 5, &t);
	t = value_info("X", 1, 2, dx);
	f_msg(&g, 11, &t);
	t = value_info("Y", 1, 2, dy);
	f_msg(&g, 12, &t);
	t = value_info("Z", 1, 2, dy);
	f_msg(&g, 12, &t);
	b = model(8, 13, "", &g);
	rc = load(&b, &m, &st);
	OK(rc == PGL_OK, "a graph of products by constants loads: %s", rc ? st.msg : "");
	if (rc != PGL_OK)
		return;
	OK(m->plan->n_steps == 2, "the Identity of an initializer is folded (%d steps)",
	   m->plan->n_steps);
	x = pgl_ox_exec_new(m, &st);
	rc = x ? pgl_ox_run(x, &it, 1, &st) : PGL_ERR_NOMEM;
	if (rc == PGL_OK)
	{
		const float *y = pgl_ox_result(x, 0)->data, *z = pgl_ox_result(x, 1)->data;
		bool		 ok = true;

		for (int r = 0; r < 5; r++)
			for (int j = 0; j < 70; j++)
			{
				float want = 0;

				for (int q = 0; q < 3; q++)
					want += in[r * 3 + q] * w[q * 70 + j];
				ok = ok && fabsf(y[r * 70 + j] - want) <= 1e-5f * fmaxf(1, fabsf(want)) &&
					 fabsf(z[r * 70 + j] - want / 2) <= 1e-5f * fmaxf(1, fabsf(want));
			}
		OK(ok, "X Identity(W) and Gemm(X, W^T / 2, transB) are the sums written out");
	}
	else
		OK(false, "the products run: %s", st.msg);
	pgl_ox_exec_free(x);
	pgl_ox_model_free(m);
	free(b.p);
}

/*
 * Conv then Relu: the Relu is applied by the Conv (fused at planning, one
 * step) when only the Relu reads the Conv's output; not when that output is
 * also a graph output (two steps, both results right).  X [1, 1, 3, 3] of
 * -4..4, W a 2 x 2 of ones, no padding: the sums of 2 x 2 blocks, -8 -4 4 8.
 */
static void
test_conv_relu(void)
{
	for (int expose = 0; expose < 2; expose++)
	{
		static float  w[4] = {1, 1, 1, 1};
		float		  in[9];
		int64_t		  dw[4] = {1, 1, 2, 2}, dx[4] = {1, 1, 3, 3}, dy[4] = {1, 1, 2, 2};
		buf			  g = {0}, t, b;
		pgl_ox_model *m = NULL;
		pgl_ox_exec	 *x;
		pgl_status	  st;
		pgl_rc		  rc;
		pgl_ox_tensor it = {.dtype = PGL_OX_FLOAT, .ndim = 4, .dims = {1, 1, 3, 3}, .data = in};

		for (int i = 0; i < 9; i++)
			in[i] = (float) i - 4.0f;
		t = node("Conv", "X", "W", "C", NULL);
		f_msg(&g, 1, &t);
		t = node("Relu", "C", NULL, "Y", NULL);
		f_msg(&g, 1, &t);
		f_str(&g, 2, "conv_relu");
		t = tensor("W", 1, 4, dw, w, sizeof(w));
		f_msg(&g, 5, &t);
		t = value_info("X", 1, 4, dx);
		f_msg(&g, 11, &t);
		t = value_info("Y", 1, 4, dy);
		f_msg(&g, 12, &t);
		if (expose)
		{
			t = value_info("C", 1, 4, dy);
			f_msg(&g, 12, &t);
		}
		b = model(8, 13, "", &g);
		rc = load(&b, &m, &st);
		OK(rc == PGL_OK, "Conv then Relu loads: %s", rc ? st.msg : "");
		if (rc != PGL_OK)
			continue;
		OK(m->plan->n_steps == (expose ? 2 : 1), "%s (%d steps)",
		   expose ? "a Conv whose output is a graph output keeps its Relu apart"
				  : "the Relu is fused into the Conv",
		   m->plan->n_steps);
		x = pgl_ox_exec_new(m, &st);
		rc = x ? pgl_ox_run(x, &it, 1, &st) : PGL_ERR_NOMEM;
		if (rc == PGL_OK)
		{
			const float *y = pgl_ox_result(x, 0)->data;
			const float *c = expose ? pgl_ox_result(x, 1)->data : NULL;

			/* blocks of -4 -3 -1 0, -3 -2 0 1, -1 0 2 3, 0 1 3 4 */
			OK(y[0] == 0 && y[1] == 0 && y[2] == 4 && y[3] == 8 &&
				   (!c || (c[0] == -8 && c[1] == -4 && c[2] == 4 && c[3] == 8)),
			   "Relu(Conv) is 0 0 4 8%s (%g %g %g %g)", expose ? ", Conv -8 -4 4 8" : "", y[0],
			   y[1], y[2], y[3]);
		}
		else
			OK(false, "Conv then Relu runs: %s", st.msg);
		pgl_ox_exec_free(x);
		pgl_ox_model_free(m);
		free(b.p);
	}
}

static void
expect_refusal(int variant, int64_t opset, const char *want, const char *what)
{
	buf			  b = mlp(variant, opset);
	pgl_ox_model *m = NULL;
	pgl_status	  st;
	pgl_rc		  rc = load(&b, &m, &st);

	OK(rc == PGL_ERR_INVALID && m == NULL && strstr(st.msg, want), "%s: %s", what, st.msg);
	if (m)
		pgl_ox_model_free(m);
	free(b.p);
}

static void
test_validation(void)
{
	expect_refusal(V_UNSUPPORTED, 13, "unsupported ONNX operators at opset 13: Foo, Zed",
				   "unsupported ops are listed once each, sorted, in one error");
	expect_refusal(V_CYCLE, 13, "cycle through node", "a cycle is refused");
	expect_refusal(V_UNDEFINED, 13, "uses nowhere, which nothing defines",
				   "an undefined input is refused");
	expect_refusal(V_DUPLICATE, 13, "t1 is defined more than once",
				   "a value defined twice is refused");
	expect_refusal(V_BAD_RAW, 13, "has 8 bytes of raw data for 3 elements of float",
				   "raw data of the wrong size is refused");
	expect_refusal(V_EXTERNAL, 13, "tensor W has external data", "external data is refused");
	expect_refusal(V_NO_OUTPUT, 13, "output Q is not computed",
				   "an output nothing computes is refused");
	expect_refusal(V_STRING_INPUT, 13, "unsupported ONNX type string", "a string input is refused");
	expect_refusal(V_BAD_COUNT, 13, "has 2 inputs and 1 outputs; Relu takes 1 to 1 inputs",
				   "a wrong input count is refused");
	expect_refusal(V_CUSTOM_DOMAIN, 13, "unsupported ONNX operator at opset 13: Relu",
				   "an op of a custom domain is refused");
	expect_refusal(V_NINE_DIMS, 13, "has 9 dims, more than 8", "a 9-d tensor is refused");
	expect_refusal(V_NEG_DIM, 13, "dim 0 is negative", "a negative dim is refused");
	expect_refusal(V_OK, 18, "unsupported ONNX opset 18", "opset 18 is refused");
	expect_refusal(V_OK, 5, "unsupported ONNX opset 5", "opset 5 is refused");
}

/* a graph of one node op(in0, in1) -> out over X [N, 3]; its output is Y */
static buf
one_node(const char *op, const char *in0, const char *in1, const char *out, int64_t opset)
{
	int64_t dx[2] = {-1, 3};
	buf		g = {0}, t;

	t = node(op, in0, in1, out, NULL);
	f_msg(&g, 1, &t);
	f_str(&g, 2, "one");
	t = value_info("X", 1, 2, dx);
	f_msg(&g, 11, &t);
	t = value_info("Y", 1, 2, dx);
	f_msg(&g, 12, &t);
	return model(8, opset, NULL, &g);
}

static void
expect_one_node(const char *op, const char *in0, const char *in1, const char *out, int64_t opset,
				const char *want)
{
	buf			  b = one_node(op, in0, in1, out, opset);
	pgl_ox_model *m = NULL;
	pgl_status	  st;
	pgl_rc		  rc = load(&b, &m, &st);

	OK(rc == PGL_ERR_INVALID && m == NULL && strstr(st.msg, want), "%s(%s, %s) -> %s: %s", op,
	   in0 ? in0 : "-", in1 ? in1 : "-", out, st.msg);
	pgl_ox_model_free(m);
	free(b.p);
}

/* an empty name (an absent input or output) where the op requires one is refused at import */
static void
test_required_names(void)
{
	expect_one_node("MatMul", "X", "", "Y", 13, "(MatMul) has an empty name for input 1");
	expect_one_node("Softmax", "", NULL, "Y", 13, "(Softmax) has an empty name for input 0");
	expect_one_node("Relu", "X", NULL, "", 13, "(Relu) has an empty name for output 0");
	expect_one_node("Slice", "X", NULL, "Y", 13, "Slice takes 3 to 5 inputs");
	expect_one_node("Unsqueeze", "X", NULL, "Y", 13, "Unsqueeze takes 2 to 2 inputs");
	expect_one_node("Pad", "X", NULL, "Y", 13, "Pad takes 2 to 3 inputs");
}

/* Y = Slice(X, starts, ends, axes = [0], steps) at opset 13, X [N, 3] */
static buf
slice_model(int64_t start, int64_t end, int64_t step)
{
	int64_t		d1[1] = {1}, dx[2] = {-1, 3}, axis = 0;
	const char *ins[5] = {"X", "starts", "ends", "axes", "steps"};
	int64_t		vals[4] = {start, end, axis, step};
	buf			g = {0}, t = {0};

	for (int i = 0; i < 5; i++)
		f_str(&t, 1, ins[i]);
	f_str(&t, 2, "Y");
	f_str(&t, 3, "slice");
	f_str(&t, 4, "Slice");
	f_msg(&g, 1, &t);
	f_str(&g, 2, "slice");
	for (int i = 0; i < 4; i++)
	{
		t = tensor(ins[i + 1], PGL_OX_INT64, 1, d1, &vals[i], 8);
		f_msg(&g, 5, &t);
	}
	t = value_info("X", 1, 2, dx);
	f_msg(&g, 11, &t);
	t = value_info("Y", 1, 2, dx);
	f_msg(&g, 12, &t);
	return model(8, 13, NULL, &g);
}

/* rows of X [3, 3] (0 .. 8) that Slice(start, end, step) on axis 0 keeps, or -1 */
static int64_t
slice_rows(int64_t start, int64_t end, int64_t step, float *first)
{
	buf					 b = slice_model(start, end, step);
	pgl_ox_model		*m = NULL;
	pgl_ox_exec			*x = NULL;
	pgl_status			 st;
	float				 in[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	pgl_ox_tensor		 t = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {3, 3}, .data = in};
	const pgl_ox_tensor *y = NULL;
	int64_t				 rows = -1;

	if (load(&b, &m, &st) == PGL_OK && (x = pgl_ox_exec_new(m, &st)) != NULL &&
		pgl_ox_run(x, &t, 1, &st) == PGL_OK && (y = pgl_ox_result(x, 0)) != NULL)
	{
		rows = y->dims[0];
		*first = rows > 0 ? ((float *) y->data)[0] : -1;
	}
	pgl_ox_exec_free(x);
	pgl_ox_model_free(m);
	free(b.p);
	return rows;
}

/* steps of INT64_MAX / INT64_MIN take one element, without overflowing a stride (UBSan) */
static void
test_slice_huge_steps(void)
{
	float first = -1;

	OK(slice_rows(0, INT64_MAX, INT64_MAX, &first) == 1 && first == 0,
	   "Slice with step INT64_MAX keeps the first row (%g)", first);
	OK(slice_rows(-1, INT64_MIN, INT64_MIN, &first) == 1 && first == 6,
	   "Slice with step INT64_MIN keeps the last row (%g)", first);
	OK(slice_rows(2, INT64_MIN, -2, &first) == 2 && first == 6,
	   "Slice with step -2 keeps rows 2 and 0 (%g)", first);
	OK(slice_rows(0, 3, 2, &first) == 2 && first == 0, "Slice with step 2 keeps rows 0 and 2");
}

static void
test_truncations(void)
{
	buf			  b = mlp(V_OK, 13);
	pgl_ox_model *m;
	pgl_status	  st;
	int			  refused = 0, crashed = 0;

	/* every proper prefix is refused (or, rarely, a smaller valid model) */
	for (size_t n = 0; n < b.n; n++)
	{
		m = NULL;
		if (pgl_ox_load(&pgl_malloc_env, b.p, n, NULL, &m, &st) != PGL_OK)
			refused++;
		else
			pgl_ox_model_free(m);
	}
	OK(refused >= (int) b.n - 1, "truncated models are refused (%d of %zu prefixes)", refused, b.n);
	/* one flipped byte at a time: never a crash (ASan watches) */
	for (size_t i = 0; i < b.n; i++)
	{
		uint8_t save = b.p[i];

		b.p[i] ^= 0xff;
		m = NULL;
		if (pgl_ox_load(&pgl_malloc_env, b.p, b.n, NULL, &m, &st) == PGL_OK)
			pgl_ox_model_free(m);
		b.p[i] = save;
	}
	OK(crashed == 0, "every one-byte corruption is refused or read without a crash");
	free(b.p);
}

static void
test_limits(void)
{
	buf			  b = mlp(V_OK, 13);
	pgl_ox_model *m = NULL;
	pgl_status	  st;
	pgl_ox_limits lim;

	pgl_ox_limits_default(&lim);
	lim.max_nodes = 2;
	OK(pgl_ox_load(&pgl_malloc_env, b.p, b.n, &lim, &m, &st) != PGL_OK &&
		   strstr(st.msg, "3 nodes, more than the limit of 2"),
	   "the node limit holds: %s", st.msg);
	pgl_ox_limits_default(&lim);
	lim.max_bytes = 100;
	OK(pgl_ox_load(&pgl_malloc_env, b.p, b.n, &lim, &m, &st) != PGL_OK &&
		   strstr(st.msg, "exceeds the limit of 100 bytes"),
	   "the byte limit holds: %s", st.msg);
	/* value_info (intermediate shapes) is skipped: not counted, not decoded */
	free(b.p);
	b = mlp(V_VALUE_INFO, 13);
	pgl_ox_limits_default(&lim);
	lim.max_tensors = 10;
	OK(pgl_ox_load(&pgl_malloc_env, b.p, b.n, &lim, &m, &st) == PGL_OK,
	   "20 value_info entries do not count against max_tensors 10: %s", st.msg);
	pgl_ox_model_free(m);
	m = NULL;
	free(b.p);
	b = mlp(V_OK, 13);
	pgl_ox_limits_default(&lim);
	lim.max_elements = 2;
	OK(pgl_ox_load(&pgl_malloc_env, b.p, b.n, &lim, &m, &st) != PGL_OK &&
		   strstr(st.msg, "invalid shape"),
	   "the element limit holds: %s", st.msg);
	free(b.p);
}

static void
test_failed_allocations(void)
{
	buf			  b = mlp(V_OK, 13);
	int			  ok = 0, nomem = 0, n;
	float		  in[3] = {1, 2, 3};
	pgl_ox_tensor t = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {1, 3}, .data = in};

	for (n = 0; n < 200; n++)
	{
		counters	  cnt;
		pgl_env		  env = make_env(&cnt);
		pgl_ox_model *m = NULL;
		pgl_ox_exec	 *x = NULL;
		pgl_status	  st;
		pgl_rc		  rc;

		cnt.fail_at = n;
		rc = pgl_ox_load(&env, b.p, b.n, NULL, &m, &st);
		if (rc == PGL_OK && !(x = pgl_ox_exec_new(m, &st)))
			rc = st.rc;
		if (rc == PGL_OK)
			rc = pgl_ox_run(x, &t, 1, &st);
		if (rc == PGL_ERR_NOMEM)
			nomem++;
		pgl_ox_exec_free(x);
		pgl_ox_model_free(m);
		if (rc == PGL_OK && cnt.allocs <= n)
		{
			ok = 1;
			break;
		}
	}
	OK(ok && nomem == n, "each failed allocation gives out of memory and leaks nothing (%d)",
	   nomem);
	free(b.p);
}

static void
test_broadcast(void)
{
	int64_t				 a[3] = {2, 1, 3}, b[2] = {4, 1}, out[PGL_OX_MAX_DIMS];
	int32_t				 n;
	pgl_status			 st;
	int64_t				 c[1] = {2};
	float				 va[3] = {1, 2, 3}, vb[2] = {10, 20};
	pgl_ox_tensor		 ta = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {1, 3}, .data = va};
	pgl_ox_tensor		 tb = {.dtype = PGL_OX_FLOAT, .ndim = 2, .dims = {2, 1}, .data = vb};
	const pgl_ox_tensor *ins[2] = {&ta, &tb};
	int64_t				 od[2] = {2, 3};
	pgl_ox_bcast		 it;
	float				 sum[6];
	int64_t				 strides[3];

	OK(pgl_ox_broadcast_shape(3, a, 2, b, &n, out, &st) == PGL_OK && n == 3 && out[0] == 2 &&
		   out[1] == 4 && out[2] == 3,
	   "[2,1,3] and [4,1] broadcast to [2,4,3]");
	OK(pgl_ox_broadcast_shape(3, a, 1, c, &n, out, &st) != PGL_OK &&
		   strstr(st.msg, "dim 3 against dim 2"),
	   "[2,1,3] and [2] do not broadcast: %s", st.msg);
	OK(pgl_ox_broadcast_shape(0, a, 0, b, &n, out, &st) == PGL_OK && n == 0,
	   "two scalars broadcast to a scalar");
	pgl_ox_broadcast_strides(2, b, 3, out, strides);
	pgl_ox_bcast_init(&it, 2, od, 2, ins);
	while (pgl_ox_bcast_next(&it))
		for (int64_t k = 0; k < it.len; k++)
			sum[it.out + k] = va[it.off[0] + k * it.step[0]] + vb[it.off[1] + k * it.step[1]];
	OK(sum[0] == 11 && sum[2] == 13 && sum[3] == 21 && sum[5] == 23,
	   "the walk adds [1,3] and [2,1] into [2,3]");
}

static void
test_tensor_decode(void)
{
	int64_t		   d[2] = {2, 2};
	buf			   t = {0};
	pgl_ox_tensor *x = NULL;
	pgl_status	   st;

	/* int64_data packed: 1, -1, 300, 0 */
	for (int i = 0; i < 2; i++)
		f_varint(&t, 1, (uint64_t) d[i]);
	f_varint(&t, 2, PGL_OX_INT64);
	{
		buf p = {0};

		varint(&p, 1);
		varint(&p, UINT64_MAX);
		varint(&p, 300);
		varint(&p, 0);
		f_msg(&t, 7, &p);
	}
	OK(pgl_ox_tensor_decode(&pgl_malloc_env, t.p, t.n, NULL, &x, &st) == PGL_OK && x->count == 4 &&
		   ((int64_t *) x->data)[1] == -1 && ((int64_t *) x->data)[2] == 300,
	   "packed int64_data decodes, negatives included");
	pgl_ox_tensor_free(x);
	/* one value short */
	t.n -= 2;
	t.p[t.n - 1 - 3] = 3; /* the packed length: 3 varints of 1 + 10 + 2 bytes no longer */
	OK(pgl_ox_tensor_decode(&pgl_malloc_env, t.p, t.n, NULL, &x, &st) != PGL_OK,
	   "a packed field cut short is refused: %s", st.msg);
	free(t.p);
}

int
main(void)
{
	test_varints();
	test_fields();
	test_run();
	test_const_products();
	test_conv_relu();
	test_validation();
	test_required_names();
	test_slice_huge_steps();
	test_truncations();
	test_limits();
	test_failed_allocations();
	test_broadcast();
	test_tensor_decode();
	return unit_done();
}
