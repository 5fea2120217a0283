/*-------------------------------------------------------------------------
 *
 * ops_math.h
 *	  The math of the ONNX operator kernels on raw row-major arrays: the
 *	  linear algebra (ops_matmul.c), softmax and reductions
 *	  (ops_softmax.c), convolution, pooling and padding (ops_conv.c), and
 *	  the recurrent layers and layer normalization (ops_rnn.c).
 *
 * These functions know nothing of graphs or tensors: the kernels in the
 * same files check the attributes and shapes, compute the output shape
 * and call them.  They do not allocate: a caller passes any scratch they
 * need (its size comes from the *_scratch functions), and every size
 * they are given has been checked to fit.  The unit tests call them on
 * small hand-checked cases.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ONNX_OPS_MATH_H
#define PGL_ONNX_OPS_MATH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pgl_algo.h"

/* most dimensions a shape has in these functions */
#define OX_MATH_MAX_DIMS 8

/* ---------- float activations (ops_rnn.c, ops_elementwise.c) ---------- */

/*
 * e^x without a libm call or a branch, so that loops over it vectorize
 * (Cephes expf: x = n ln 2 + r, a degree-6 polynomial in r, 2^n put in the
 * exponent bits; within 2 ulp of expf).  x is clamped to [-87.3, 88] (the
 * normal floats), NaN passes through.
 */
static inline float
ox_expf(float x)
{
	float	orig = x, y, t, fx, z, p;
	int32_t bits;

	x = x == x ? x : 0.0f;
	x = x < -87.3f ? -87.3f : x > 88.0f ? 88.0f : x;
	y = x * 1.44269504088896341f + 0.5f;
	t = (float) (int32_t) y;
	fx = t > y ? t - 1.0f : t; /* floor(y) */
	x -= fx * 0.693359375f;
	x -= fx * -2.12194440e-4f;
	z = x * x;
	p = (((((1.9875691500E-4f * x + 1.3981999507E-3f) * x + 8.3334519073E-3f) * x +
		   4.1665795894E-2f) *
			  x +
		  1.6666665459E-1f) *
			 x +
		 5.0000001201E-1f) *
			z +
		x + 1.0f;
	bits = ((int32_t) fx + 127) << 23;
	memcpy(&y, &bits, sizeof(y));
	return orig == orig ? p * y : orig;
}

/* 1 / (1 + e^-v), branch-free (within about 3e-7 of the exact value) */
static inline float
ox_sigmoidf(float v)
{
	return 1.0f / (1.0f + ox_expf(-v));
}

/*
 * tanh, branch-free (Cephes tanhf: an odd polynomial below 0.625, else
 * 1 - 2 / (e^2|v| + 1) with v's sign; relative error about 2e-7)
 */
static inline float
ox_tanhf(float v)
{
	float a = v < 0 ? -v : v, s = v * v, small, large;

	small = ((((-5.70498872745E-3f * s + 2.06390887954E-2f) * s - 5.37397155531E-2f) * s +
			  1.33314422036E-1f) *
				 s -
			 3.33332819422E-1f) *
				s * v +
			v;
	large = 1.0f - 2.0f / (ox_expf(2.0f * a) + 1.0f);
	large = v < 0 ? -large : large;
	return a < 0.625f ? small : large;
}

/* ---------- vec.c: the same over arrays, in AVX2 + FMA where the CPU has them ---------- */

/* y = e^(x - shift), n values (y may be x) */
extern void ox_vec_exp(const float *x, float shift, float *y, int64_t n);
extern void ox_vec_sigmoid(const float *x, float *y, int64_t n);
extern void ox_vec_tanh(const float *x, float *y, int64_t n);

/* one row of LayerNormalization (n > 0; b may be NULL); its mean and 1 / std */
extern void ox_vec_layernorm_row(const float *x, float *y, int64_t n, const float *scale,
								 const float *b, float eps, float *mean, float *inv_std);

/* softmax of one contiguous row (y may be x) */
extern void ox_vec_softmax_row(const float *x, float *y, int64_t n);

/*
 * one row of a plain LSTM step: gates [i, o, f, c~] (4H, pre-activation) ->
 * c = sigmoid(f) c + sigmoid(i) tanh(c~), h = sigmoid(o) tanh(c)
 */
extern void ox_vec_lstm_cell(float *gates, float *c, float *h, int64_t H);

/*
 * c[n x m] += a[n x k] r^T, r [m x k] (or r^T given, [k x m], r_is_km), all
 * row-major: a product by constant weights (a recurrent layer's, a Gemm's or
 * MatMul's initializer).  r is packed once (m * k floats) by ox_vec_gemm_pack,
 * in the layout of the kernel chosen (do not switch ox_vec_use_simd between).
 */
extern void ox_vec_gemm_pack(int64_t m, int64_t k, const float *r, bool r_is_km, float *packed);

/*
 * Is the packed product faster than OpenBLAS here?  With AVX-512 F (16
 * lanes, where Debian's OpenBLAS 0.3.21 runs AVX2 kernels) it is; with
 * AVX2 only it is not (an LSTM step: 2.6 ms against OpenBLAS's 2.2 ms), and
 * callers keep SGEMM.
 */
extern bool ox_vec_gemm_packed_wins(void);

/*
 * One output row of a 2 x 2, stride 2 max pool: y[j] the max of r0[2j],
 * r0[2j + 1], r1[2j], r1[2j + 1], in that order (a NaN first tap stays, a
 * later one is passed over), for j < n
 */
extern void ox_vec_maxpool2x2_row(const float *r0, const float *r1, float *y, int64_t n);

/* y[0..n) = v; y = x, or max(x, 0) (NaN to 0, as Relu) with relu; AVX-512 where the CPU has it */
extern void ox_vec_fill(float *y, float v, int64_t n);
extern void ox_vec_copy_relu(const float *x, float *y, int64_t n, bool relu);

/*
 * Pack for ox_vec_gemm_acc where the packed kernel wins: the product's
 * [k x m] right-hand side given as k rows of m contiguous floats each, in
 * the AVX-512 kernel's panels (the scalar kernel's layout without SIMD; not
 * for the AVX2 kernel, where the packed kernel does not win).
 */
extern void ox_vec_gemm_pack_rows(int64_t m, int64_t k, const float *const *rows, float *packed);
extern void ox_vec_gemm_acc(int64_t n, int64_t m, int64_t k, const float *a, const float *packed,
							float *c);

/* the AVX2 kernels when on and the CPU has them, else the scalar ones: true if AVX2 */
extern bool ox_vec_use_simd(bool on);

/* ---------- ops_matmul.c ---------- */

/* y = alpha * op(a) op(b) + beta * y, row-major, op = transpose when t* */
extern void ox_gemm_f32(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
						const float *a, const float *b, float beta, float *y);
extern void ox_gemm_f64(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
						const double *a, const double *b, double beta, double *y);

/*
 * numpy matmul: the output shape of a (an dims ad) @ b (bn dims bd), with
 * 1-D promotion and batch broadcasting; false (and st set) when they do not
 * match.
 */
extern bool ox_matmul_shape(int an, const int64_t *ad, int bn, const int64_t *bd, int *yn,
							int64_t *yd, pgl_status *st);

/* y = a @ b for shapes that passed ox_matmul_shape */
extern void ox_matmul_f32(int an, const int64_t *ad, const float *a, int bn, const int64_t *bd,
						  const float *b, float *y);
extern void ox_matmul_f64(int an, const int64_t *ad, const double *a, int bn, const int64_t *bd,
						  const double *b, double *y);

/* ---------- ops_softmax.c ---------- */

/*
 * softmax (log_softmax when log) over n elements at stride inner, for each
 * of outer x inner lines: x and y are [outer][n][inner]
 */
extern void ox_softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner,
						   bool log);
extern void ox_softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner,
						   bool log);

typedef enum ox_reduce_kind
{
	OX_REDUCE_SUM,
	OX_REDUCE_MEAN,
	OX_REDUCE_MAX
} ox_reduce_kind;

/*
 * reduce x (ndim dims) over the axes flagged in reduce[]; y has the kept
 * dims' elements in order.  A reduction over no element gives 0 (sum),
 * NaN (mean) or -inf (max), like numpy's identity elements.
 */
extern void ox_reduce_f32(const float *x, int ndim, const int64_t *dims, const bool *reduce,
						  ox_reduce_kind kind, float *y);
extern void ox_reduce_f64(const double *x, int ndim, const int64_t *dims, const bool *reduce,
						  ox_reduce_kind kind, double *y);

/* ---------- ops_conv.c ---------- */

/*
 * The geometry of a convolution or a pool over nsp spatial dims (1 to 3):
 * input [n][c][in...], output [n][m][out...], kernel, strides, dilations,
 * begin pads (the end pads only matter to the output size).
 */
typedef struct ox_window
{
	int		nsp;
	int64_t n, c, m, group;
	int64_t in[3], out[3], kernel[3], stride[3], dilation[3], pad[3], pad_end[3];
	bool	relu; /* Conv: y = max(conv, 0) (a Relu fused at planning) */
} ox_window;

/* floats of im2col scratch one Conv of geometry w needs (0: none) */
extern int64_t ox_conv_scratch(const ox_window *w);

/* y = conv(x, wt) + bias (bias may be NULL); wt [m][c / group][kernel...] */
extern void ox_conv_f32(const ox_window *w, const float *x, const float *wt, const float *bias,
						float *y, float *scratch);

/*
 * pools: y [n][c][out...]; indices (may be NULL) get the flat index of each
 * maximum in x, its spatial dims in column-major order when col_major;
 * count_include_pad for the average
 */
extern void ox_maxpool_f32(const ox_window *w, const float *x, float *y, int64_t *indices,
						   bool col_major);
extern void ox_avgpool_f32(const ox_window *w, const float *x, float *y, bool count_include_pad);

/* y[n][c][...] = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + b[c] */
extern void ox_batchnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t inner,
							 const float *scale, const float *b, const float *mean,
							 const float *var, float eps);

typedef enum ox_pad_mode
{
	OX_PAD_CONSTANT,
	OX_PAD_REFLECT,
	OX_PAD_EDGE
} ox_pad_mode;

/*
 * y = pad(x): begin[i] and end[i] may be negative (cropping); reflect needs
 * every in dim > 1 where it pads, edge every in dim >= 1
 */
extern void ox_pad(const void *x, void *y, size_t elem, int ndim, const int64_t *in,
				   const int64_t *begin, const int64_t *end, ox_pad_mode mode, const void *value);

/* ---------- ops_rnn.c ---------- */

typedef enum ox_rnn_cell
{
	OX_RNN_SIMPLE,
	OX_RNN_GRU,
	OX_RNN_LSTM
} ox_rnn_cell;

typedef enum ox_act
{
	OX_ACT_SIGMOID,
	OX_ACT_TANH,
	OX_ACT_RELU
} ox_act;

/*
 * One recurrent layer in ONNX's layouts.  x [T][N][I] (layout 0) or
 * [N][T][I] (layout 1); per direction d: w [G H][I], r [G H][H], b [2 G H]
 * (may be NULL), p [3 H] (LSTM peepholes i, o, f; may be NULL), initial h
 * and c [D][N][H] (layout 1: [N][D][H]; may be NULL), seq_lens [N] (may be
 * NULL).  Outputs, each may be NULL: y [T][D][N][H] (layout 1:
 * [N][T][D][H]), y_h and y_c like initial h.
 */
typedef struct ox_rnn
{
	ox_rnn_cell	   cell;
	int64_t		   t, n, in, h, dirs; /* dirs: 1 or 2 */
	bool		   reverse;			  /* with dirs 1: the reverse direction */
	int			   layout;
	bool		   linear_before_reset; /* GRU */
	bool		   input_forget;		/* LSTM */
	float		   clip;				/* > 0: clip pre-activations to [-clip, clip] */
	ox_act		   f, g, hact;			/* per ONNX: f gates, g candidate, h output */
	ox_act		   f2, g2, hact2;		/* the reverse direction's when dirs 2 */
	const float	  *x, *w, *r, *b, *p, *h0, *c0;
	const int32_t *seq_lens;
	float		  *y, *y_h, *y_c;
	/* W and R already packed by ox_vec_gemm_pack, per direction (NULL: packed per run) */
	const float *w_packed, *r_packed;
} ox_rnn;

/* number of gates of a cell */
extern int ox_rnn_gates(ox_rnn_cell cell);

/* floats of scratch ox_rnn_run needs */
extern int64_t ox_rnn_scratch(const ox_rnn *r);

/* run it; seq_lens have been checked to be in [0, t] */
extern void ox_rnn_run(const ox_rnn *r, float *scratch);

/*
 * layer normalization of outer rows of n elements: y = (x - mean) *
 * inv_std * scale + b, where scale and b (b may be NULL) have n elements;
 * mean and inv_std (may be NULL) get outer each
 */
extern void ox_layernorm_f32(const float *x, float *y, int64_t outer, int64_t n, const float *scale,
							 const float *b, float eps, float *mean, float *inv_std);

#endif /* PGL_ONNX_OPS_MATH_H */
