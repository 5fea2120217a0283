/*
 * Tests of the ONNX operator math (src/onnx/ops_math.h) on small
 * hand-checked cases: GEMM and batched MatMul with broadcasting and 1-D
 * promotion, softmax and log-softmax on a strided axis, reductions over
 * kept and reduced runs, Conv (padding, strides, dilation, groups, the
 * 1 x 1 path), MaxPool with indices, AveragePool with and without the
 * padding counted, BatchNormalization, Pad in its three modes and
 * cropping, RNN, GRU (both reset orders) and LSTM (peepholes, reverse,
 * sequence lengths, layout 1) against their cell equations written out
 * step by step, LayerNormalization, and the AVX2 kernels of vec.c against
 * the scalar ones.
 */
#include "ops_math.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define N_(a) ((int) (sizeof(a) / sizeof((a)[0])))

static bool
close_all(const float *a, const float *b, int n, float tol)
{
	for (int i = 0; i < n; i++)
		if (!(fabsf(a[i] - b[i]) <= tol * fmaxf(1.0f, fabsf(b[i]))))
		{
			printf("#   [%d] got %.7g want %.7g\n", i, a[i], b[i]);
			return false;
		}
	return true;
}

static void
test_gemm_matmul(void)
{
	float	a[6] = {1, 2, 3, 4, 5, 6}; /* 2 x 3 */
	float	b[6] = {1, 0, 0, 1, 1, 1}; /* 3 x 2 */
	float	y[8], want[4] = {4, 5, 10, 11};
	float	bt[6] = {1, 0, 1, 0, 1, 1}; /* b transposed, 2 x 3 */
	int64_t ad[3] = {2, 2, 3}, bd[2] = {3, 2}, yd[8];
	int		yn;
	float	a3[12], y3[8];

	ox_gemm_f32(false, false, 2, 2, 3, 1, a, b, 0, y);
	OK(close_all(y, want, 4, 1e-6f), "gemm 2x3 by 3x2");
	ox_gemm_f32(false, true, 2, 2, 3, 1, a, bt, 0, y);
	OK(close_all(y, want, 4, 1e-6f), "gemm with transB");
	y[0] = y[1] = y[2] = y[3] = 1;
	ox_gemm_f32(false, false, 2, 2, 3, 2, a, b, 1, y);
	OK(y[0] == 9 && y[3] == 23, "gemm alpha 2, beta 1 accumulates");
	/* one row (the GEMV path): row 2 of a, b plain and transposed, beta 0 over NaN, beta 1 */
	y[0] = y[1] = NAN;
	ox_gemm_f32(false, false, 1, 2, 3, 1, a + 3, b, 0, y);
	OK(y[0] == 10 && y[1] == 11, "gemm of one row: %g %g", y[0], y[1]);
	y[0] = y[1] = NAN;
	ox_gemm_f32(false, true, 1, 2, 3, 1, a + 3, bt, 0, y);
	OK(y[0] == 10 && y[1] == 11, "gemm of one row, transB: %g %g", y[0], y[1]);
	y[0] = y[1] = 1;
	ox_gemm_f32(true, true, 1, 2, 3, 2, a + 3, bt, 1, y);
	OK(y[0] == 21 && y[1] == 23, "gemm of one row, transA (a column), alpha 2, beta 1");

	/* A [2, 2, 3] @ B [3, 2]: the batch folds onto the rows */
	for (int i = 0; i < 12; i++)
		a3[i] = i < 6 ? a[i] : -a[i - 6];
	OK(ox_matmul_shape(3, ad, 2, bd, &yn, yd, NULL) && yn == 3 && yd[0] == 2 && yd[1] == 2 &&
		   yd[2] == 2,
	   "matmul [2,2,3] @ [3,2] is [2,2,2]");
	ox_matmul_f32(3, ad, a3, 2, bd, b, y3);
	OK(close_all(y3, want, 4, 1e-6f) && y3[4] == -4 && y3[7] == -11, "matmul batch folded");

	/* B batched [2, 3, 2] with A [2, 3] broadcast over it */
	{
		int64_t a2[2] = {2, 3}, b3d[3] = {2, 3, 2};
		float	bb[12];

		for (int i = 0; i < 12; i++)
			bb[i] = i < 6 ? b[i] : 2 * b[i - 6];
		OK(ox_matmul_shape(2, a2, 3, b3d, &yn, yd, NULL) && yn == 3 && yd[0] == 2,
		   "matmul [2,3] @ [2,3,2] is [2,2,2]");
		ox_matmul_f32(2, a2, a, 3, b3d, bb, y3);
		OK(close_all(y3, want, 4, 1e-6f) && y3[4] == 8 && y3[7] == 22, "matmul A broadcast");
	}
	/* 1-D promotion: [3] @ [3, 2] is [2]; [2, 3] @ [3] is [2]; [3] @ [3] is a scalar */
	{
		int64_t v3[1] = {3}, m23[2] = {2, 3};
		float	v[3] = {1, 1, 1};

		OK(ox_matmul_shape(1, v3, 2, bd, &yn, yd, NULL) && yn == 1 && yd[0] == 2,
		   "matmul [3] @ [3,2] is [2]");
		ox_matmul_f32(1, v3, v, 2, bd, b, y);
		OK(y[0] == 2 && y[1] == 2, "matmul vector by matrix");
		OK(ox_matmul_shape(2, m23, 1, v3, &yn, yd, NULL) && yn == 1 && yd[0] == 2,
		   "matmul [2,3] @ [3] is [2]");
		ox_matmul_f32(2, m23, a, 1, v3, v, y);
		OK(y[0] == 6 && y[1] == 15, "matmul matrix by vector");
		OK(ox_matmul_shape(1, v3, 1, v3, &yn, yd, NULL) && yn == 0, "matmul [3] @ [3] is a scalar");
	}
	{
		int64_t	   x1[2] = {2, 4}, x2[3] = {3, 4, 2}, x3[3] = {2, 3, 4}, x4[3] = {3, 4, 5};
		pgl_status st = {0};

		OK(!ox_matmul_shape(2, x1, 2, bd, &yn, yd, &st) && strstr(st.msg, "inner"),
		   "matmul inner mismatch refused: %s", st.msg);
		OK(!ox_matmul_shape(3, x3, 3, x4, &yn, yd, &st) && strstr(st.msg, "broadcast"),
		   "matmul batch 2 vs 3 refused: %s", st.msg);
		(void) x2;
	}
}

static void
test_softmax_reduce(void)
{
	float x[3] = {1, 2, 3}, y[6];
	float e = expf(1) + expf(2) + expf(3);
	float want[3] = {expf(1) / e, expf(2) / e, expf(3) / e};
	float wlog[3] = {1 - logf(e), 2 - logf(e), 3 - logf(e)};
	float x2[4] = {0, 1000, 0, 1000}; /* [2][2], softmax over axis 0 (stride 2) */

	ox_softmax_f32(x, y, 1, 3, 1, false);
	OK(close_all(y, want, 3, 1e-6f), "softmax [1,2,3]");
	ox_softmax_f32(x, y, 1, 3, 1, true);
	OK(close_all(y, wlog, 3, 1e-6f), "log_softmax [1,2,3]");
	ox_softmax_f32(x2, y, 1, 2, 2, false);
	OK(y[0] == 0.5f && y[1] == 0.5f && y[2] == 0.5f && y[3] == 0.5f,
	   "softmax over a strided axis, large numbers");

	/* the contiguous-row path: 2 rows of 37 (not a multiple of the 8 partial sums) */
	{
		float  xr[74], yr[74], yl[74];
		double err = 0, errl = 0;

		for (int i = 0; i < 74; i++)
			xr[i] = (float) ((i * 37) % 23) * 0.7f - (i < 37 ? 5.0f : -300.0f);
		ox_softmax_f32(xr, yr, 2, 37, 1, false);
		ox_softmax_f32(xr, yl, 2, 37, 1, true);
		for (int r = 0; r < 2; r++)
		{
			double mx = -INFINITY, sum = 0;

			for (int i = 0; i < 37; i++)
				mx = fmax(mx, xr[r * 37 + i]);
			for (int i = 0; i < 37; i++)
				sum += exp(xr[r * 37 + i] - mx);
			for (int i = 0; i < 37; i++)
			{
				double p = exp(xr[r * 37 + i] - mx) / sum;

				err = fmax(err, fabs(yr[r * 37 + i] - p) / p);
				errl = fmax(errl, fabs(yl[r * 37 + i] - log(p)));
			}
		}
		OK(err < 1e-6 && errl < 1e-5, "softmax rows of 37: relative error %.2g, log %.2g", err,
		   errl);
	}

	{
		float	r[12], out[12];
		int64_t d2[2] = {2, 3}, d3[3] = {2, 3, 2};
		bool	ax1[2] = {false, true}, ax0[2] = {true, false}, all[3] = {true, true, true};
		bool	mid[3] = {false, true, false};

		for (int i = 0; i < 12; i++)
			r[i] = (float) i;
		ox_reduce_f32(r, 2, d2, ax1, OX_REDUCE_SUM, out);
		OK(out[0] == 3 && out[1] == 12, "reduce sum over the last axis");
		ox_reduce_f32(r, 2, d2, ax0, OX_REDUCE_MEAN, out);
		OK(out[0] == 1.5f && out[1] == 2.5f && out[2] == 3.5f, "reduce mean over the first axis");
		ox_reduce_f32(r, 3, d3, all, OX_REDUCE_MAX, out);
		OK(out[0] == 11, "reduce max over all");
		/* [2][3][2] over the middle: out[a][c] = sum_b r[a][b][c] */
		ox_reduce_f32(r, 3, d3, mid, OX_REDUCE_SUM, out);
		OK(out[0] == 6 && out[1] == 9 && out[2] == 24 && out[3] == 27, "reduce over a middle axis");
		ox_reduce_f32(r, 3, d3, mid, OX_REDUCE_MAX, out);
		OK(out[0] == 4 && out[1] == 5 && out[2] == 10 && out[3] == 11, "reduce max, middle axis");
	}
}

static void
window_init(ox_window *w, int nsp, int64_t n, int64_t c, int64_t m, int64_t group)
{
	memset(w, 0, sizeof(*w));
	w->nsp = nsp;
	w->n = n;
	w->c = c;
	w->m = m;
	w->group = group;
	for (int i = 0; i < 3; i++)
		w->stride[i] = w->dilation[i] = 1;
}

static void
test_conv(void)
{
	float	  x[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8}; /* [1][1][3][3] */
	float	  ones[4] = {1, 1, 1, 1};
	float	  y[32], scratch[256];
	ox_window w;

	/* 2 x 2 ones, no pad: sums of 2 x 2 blocks */
	window_init(&w, 2, 1, 1, 1, 1);
	w.in[0] = w.in[1] = 3;
	w.kernel[0] = w.kernel[1] = 2;
	w.out[0] = w.out[1] = 2;
	/*
	 * the column matrix, twice where the packed kernel runs (its packed
	 * copy); there a 2-D stride-1 conv takes the wide layout instead
	 */
	OK(ox_vec_gemm_packed_wins() ? ox_conv_scratch(&w) > 0 && ox_conv_scratch(&w) < 256
								 : ox_conv_scratch(&w) == 4 * 4,
	   "conv scratch: c k x out, or the wide layout's (%lld floats)",
	   (long long) ox_conv_scratch(&w));
	ox_conv_f32(&w, x, ones, NULL, y, scratch);
	OK(y[0] == 8 && y[1] == 12 && y[2] == 20 && y[3] == 24, "conv 2x2 valid");

	/* pad 1 each side, stride 2: out 2 x 2, corners of a 4 x 4 padded grid */
	w.pad[0] = w.pad[1] = w.pad_end[0] = w.pad_end[1] = 1;
	w.stride[0] = w.stride[1] = 2;
	{
		float b = 0.5f;

		ox_conv_f32(&w, x, ones, &b, y, scratch);
		OK(y[0] == 0.5f && y[1] == 3.5f && y[2] == 9.5f && y[3] == 24.5f,
		   "conv pad 1 stride 2 with bias (%g %g %g %g)", y[0], y[1], y[2], y[3]);
	}

	/* 1-D, dilation 2, kernel 2: y[i] = x[i] + x[i + 2] over x = 0..8 */
	window_init(&w, 1, 1, 1, 1, 1);
	w.in[0] = 9;
	w.kernel[0] = 2;
	w.dilation[0] = 2;
	w.out[0] = 7;
	ox_conv_f32(&w, x, ones, NULL, y, scratch);
	OK(y[0] == 2 && y[6] == 14, "conv 1-D dilation 2");

	/* groups: 2 channels, 2 filters, group 2, 1 x 1: each filter scales its channel */
	{
		float x2[8] = {1, 2, 3, 4, 10, 20, 30, 40}, wt[2] = {2, -1};

		window_init(&w, 2, 1, 2, 2, 2);
		w.in[0] = w.in[1] = 2;
		w.kernel[0] = w.kernel[1] = 1;
		w.out[0] = w.out[1] = 2;
		OK(ox_conv_scratch(&w) == 0, "conv 1x1 needs no scratch");
		ox_conv_f32(&w, x2, wt, NULL, y, NULL);
		OK(y[0] == 2 && y[3] == 8 && y[4] == -10 && y[7] == -40, "conv grouped 1x1");
	}
	/* two images, two input channels summed by one 1 x 1 filter of ones */
	{
		float x2[8] = {1, 2, 3, 4, 5, 6, 7, 8};

		window_init(&w, 1, 2, 2, 1, 1);
		w.in[0] = 2;
		w.kernel[0] = 1;
		w.out[0] = 2;
		ox_conv_f32(&w, x2, ones, NULL, y, NULL);
		OK(y[0] == 4 && y[1] == 6 && y[2] == 12 && y[3] == 14, "conv batch of 2, channels summed");
	}
}

/* ox_vec_fill and ox_vec_copy_relu against the scalar loops: odd lengths, NaN, -0, infinities */
static void
test_vec_fill_relu(void)
{
	float x[37], ys[37], yv[37];

	for (int i = 0; i < 37; i++)
		x[i] = (float) ((i * 7) % 11) - 5.5f;
	x[3] = NAN;
	x[4] = -0.0f;
	x[5] = INFINITY;
	x[6] = -INFINITY;
	x[20] = NAN;
	for (int n = 0; n <= 37; n += 9)
	{
		bool simd, same = true;

		for (int relu = 0; relu < 2; relu++)
		{
			ox_vec_use_simd(false);
			memset(ys, 0x55, sizeof(ys));
			ox_vec_copy_relu(x, ys, n, relu);
			simd = ox_vec_use_simd(true);
			memset(yv, 0x55, sizeof(yv));
			ox_vec_copy_relu(x, yv, n, relu);
			/* bit for bit, and nothing written past n */
			same = same && memcmp(ys, yv, sizeof(ys)) == 0;
			if (relu)
				same = same && (n <= 3 || ys[3] == 0.0f) && (n <= 4 || !signbit(ys[4]));
		}
		ox_vec_use_simd(false);
		memset(ys, 0, sizeof(ys));
		ox_vec_fill(ys, 2.5f, n);
		simd = ox_vec_use_simd(true);
		memset(yv, 0, sizeof(yv));
		ox_vec_fill(yv, 2.5f, n);
		same = same && memcmp(ys, yv, sizeof(ys)) == 0;
		OK(same, "vec fill and copy (plain, Relu: NaN and -0 to +0), %d values (%s)", n,
		   simd ? "SIMD vs scalar" : "scalar only");
	}
}

/*
 * ox_vec_maxpool2x2_row against the scalar loop: 1 to 40 outputs (the
 * masked tails of 16 lanes), NaN in every tap position, -0 against +0
 */
static void
test_vec_maxpool2x2(void)
{
	float r0[80], r1[80], ys[41], yv[41];
	bool  all = true, simd = false;

	for (int i = 0; i < 80; i++)
	{
		r0[i] = (float) ((i * 5) % 13) - 6.0f;
		r1[i] = (float) ((i * 11) % 17) - 8.0f;
	}
	r0[0] = NAN; /* first tap of output 0: stays */
	r0[3] = NAN; /* second tap of output 1: passed over */
	r1[4] = NAN; /* third tap of output 2 */
	r1[7] = NAN; /* fourth tap of output 3 */
	r0[8] = -0.0f;
	r0[9] = 0.0f; /* output 4: -0 first, then +0 not greater: -0 */
	r1[8] = r1[9] = -1.0f;
	for (int n = 1; n <= 40; n++)
	{
		ox_vec_use_simd(false);
		memset(ys, 0x55, sizeof(ys));
		ox_vec_maxpool2x2_row(r0, r1, ys, n);
		simd = ox_vec_use_simd(true);
		memset(yv, 0x55, sizeof(yv));
		ox_vec_maxpool2x2_row(r0, r1, yv, n);
		all = all && memcmp(ys, yv, sizeof(ys)) == 0;
	}
	OK(all && isnan(yv[0]) && !isnan(yv[1]) && !isnan(yv[2]) && !isnan(yv[3]) && signbit(yv[4]),
	   "vec max pool 2x2 rows of 1 to 40 outputs, bit for bit, NaN and -0 as the scalar loop (%s)",
	   simd ? "SIMD vs scalar" : "scalar only");
}

/*
 * The wide convolution (2-D, stride 1, no dilation, where the packed kernel
 * runs) against im2col and SGEMM (the scalar path), on shapes with
 * asymmetric padding, non-square kernels, groups, a batch, and one with
 * stride 2 that stays on im2col; pseudo-random values, a fixed seed.
 */
static void
test_conv_wide(void)
{
	/* n, c, m, group, h, w, k1, k2, pad top, left, bottom, right, stride */
	static const int shapes[][13] = {
		{2, 3, 4, 1, 7, 9, 3, 3, 1, 1, 1, 1, 1},	 {1, 4, 6, 2, 5, 6, 3, 2, 0, 1, 2, 0, 1},
		{3, 1, 16, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1},	 {1, 2, 5, 1, 6, 6, 5, 5, 2, 2, 2, 2, 1},
		{2, 16, 32, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1}, {1, 3, 2, 1, 5, 5, 3, 3, 0, 0, 0, 0, 1},
		{1, 2, 3, 1, 4, 9, 1, 3, 0, 1, 0, 1, 1},	 {1, 3, 4, 1, 8, 8, 3, 3, 1, 1, 1, 1, 2},
	};
	uint32_t seed = 12345;

	for (size_t t = 0; t < sizeof(shapes) / sizeof(shapes[0]); t++)
	{
		const int *sh = shapes[t];
		ox_window  w;
		int64_t	   nx, nw, ny, ns;
		float	  *x, *wt, *bias, *ys, *yv, *scratch;
		bool	   simd;

		window_init(&w, 2, sh[0], sh[1], sh[2], sh[3]);
		w.in[0] = sh[4];
		w.in[1] = sh[5];
		w.kernel[0] = sh[6];
		w.kernel[1] = sh[7];
		w.pad[0] = sh[8];
		w.pad[1] = sh[9];
		w.pad_end[0] = sh[10];
		w.pad_end[1] = sh[11];
		w.stride[0] = w.stride[1] = sh[12];
		for (int i = 0; i < 2; i++)
			w.out[i] = (w.in[i] + w.pad[i] + w.pad_end[i] - w.kernel[i]) / w.stride[i] + 1;
		nx = w.n * w.c * w.in[0] * w.in[1];
		nw = w.m * (w.c / w.group) * w.kernel[0] * w.kernel[1];
		ny = w.n * w.m * w.out[0] * w.out[1];
		x = malloc(sizeof(float) * nx);
		wt = malloc(sizeof(float) * nw);
		bias = malloc(sizeof(float) * w.m);
		ys = malloc(sizeof(float) * ny);
		yv = malloc(sizeof(float) * ny);
		for (int64_t i = 0; i < nx; i++)
			x[i] = (float) ((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
		for (int64_t i = 0; i < nw; i++)
			wt[i] = (float) ((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
		for (int64_t i = 0; i < w.m; i++)
			bias[i] = (float) i * 0.25f - 1.0f;
		ox_vec_use_simd(false);
		ns = ox_conv_scratch(&w);
		scratch = malloc(sizeof(float) * (ns + 1));
		ox_conv_f32(&w, x, wt, bias, ys, scratch);
		free(scratch);
		simd = ox_vec_use_simd(true);
		ns = ox_conv_scratch(&w);
		scratch = malloc(sizeof(float) * (ns + 1));
		ox_conv_f32(&w, x, wt, bias, yv, scratch);
		OK(close_all(yv, ys, (int) ny, 2e-5f),
		   "conv %dx%d of %dx%d, c %d m %d group %d, pads %d %d %d %d, stride %d, batch %d (%s)",
		   sh[6], sh[7], sh[4], sh[5], sh[1], sh[2], sh[3], sh[8], sh[9], sh[10], sh[11], sh[12],
		   sh[0],
		   ox_vec_gemm_packed_wins() && sh[12] == 1 ? "wide vs im2col"
		   : simd									? "SIMD vs scalar"
													: "scalar only");
		/* a fused Relu: max(0, the same output), on whichever path the shape takes */
		w.relu = true;
		ox_conv_f32(&w, x, wt, bias, yv, scratch);
		w.relu = false;
		{
			bool relu_ok = true;

			for (int64_t i = 0; i < ny; i++)
				relu_ok = relu_ok && yv[i] >= 0.0f &&
						  fabsf(yv[i] - (ys[i] > 0.0f ? ys[i] : 0.0f)) <=
							  2e-5f * fmaxf(1.0f, fabsf(ys[i]));
			OK(relu_ok, "conv %dx%d stride %d with the Relu fused: max(0, conv)", sh[6], sh[7],
			   sh[12]);
		}
		free(scratch);
		free(x);
		free(wt);
		free(bias);
		free(ys);
		free(yv);
	}
}

/*
 * The max pool's plain 1-D/2-D path (no indices, no padding, no dilation,
 * every window inside) against the general path (with indices) on the same
 * input: kernels 2 x 2 / 3 x 3 / 1 x 3, strides 1 to 3, odd sizes, 1-D,
 * and a NaN kept where the first tap is.
 */
/* the branch-free activations against libm in double, over [-100, 100] and the specials */
static void
test_fast_activations(void)
{
	double e_exp = 0, e_sig = 0, e_tanh = 0;

	for (int i = -200000; i <= 200000; i++)
	{
		float  v = (float) i * 5e-4f;
		double ex = exp((double) v), sg = 1.0 / (1.0 + exp(-(double) v)), th = tanh((double) v);

		if (v > -87.0f && v < 88.0f)
			e_exp = fmax(e_exp, fabs(ox_expf(v) - ex) / ex);
		e_sig = fmax(e_sig, fabs(ox_sigmoidf(v) - sg) / fmax(sg, 1e-30));
		if (v != 0)
			e_tanh = fmax(e_tanh, fabs(ox_tanhf(v) - th) / fabs(th));
	}
	OK(e_exp < 5e-7 && e_sig < 1e-6 && e_tanh < 1e-6,
	   "relative errors: exp %.2g, sigmoid %.2g, tanh %.2g", e_exp, e_sig, e_tanh);
	OK(ox_tanhf(0.0f) == 0.0f && ox_tanhf(1e-30f) == 1e-30f && ox_tanhf(INFINITY) == 1.0f &&
		   ox_tanhf(-INFINITY) == -1.0f && isnan(ox_tanhf(NAN)),
	   "tanh of 0, tiny, infinities, NaN");
	OK(ox_sigmoidf(INFINITY) == 1.0f && ox_sigmoidf(-INFINITY) < 1e-37f && ox_sigmoidf(0) == 0.5f &&
		   isnan(ox_sigmoidf(NAN)) && ox_expf(200.0f) == ox_expf(88.0f) &&
		   isfinite(ox_expf(200.0f)),
	   "sigmoid of infinities, 0, NaN; exp clamped");
}

static void
test_maxpool_plain(void)
{
	static const int64_t geo[][6] = {/* in0 in1 k0 k1 s0 s1 */
									 {28, 28, 2, 2, 2, 2}, {7, 9, 3, 3, 1, 1}, {8, 11, 3, 3, 2, 3},
									 {5, 6, 1, 3, 1, 2},   {9, 9, 2, 2, 3, 3}, {1, 17, 1, 4, 1, 1}};
	float				 x[2 * 3 * 28 * 28], y1[2 * 3 * 28 * 28], y2[2 * 3 * 28 * 28];
	int64_t				 idx[2 * 3 * 28 * 28];
	uint64_t			 r = 12345;

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
	{
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		x[i] = (float) ((int64_t) (r >> 40) % 1000) / 10.0f;
	}
	for (size_t t = 0; t < sizeof(geo) / sizeof(geo[0]); t++)
	{
		ox_window w;
		int		  bad = 0;
		int64_t	  n_out;

		window_init(&w, 2, 2, 3, 3, 1);
		for (int i = 0; i < 2; i++)
		{
			w.in[i] = geo[t][i];
			w.kernel[i] = geo[t][2 + i];
			w.stride[i] = geo[t][4 + i];
			w.out[i] = (w.in[i] - w.kernel[i]) / w.stride[i] + 1;
		}
		n_out = 2 * 3 * w.out[0] * w.out[1];
		if (t == 1)
			x[3 * 9 + 4] = NAN; /* plane 0, a window's first tap: both paths keep it */
		ox_maxpool_f32(&w, x, y1, idx, false);
		ox_maxpool_f32(&w, x, y2, NULL, false);
		for (int64_t i = 0; i < n_out; i++)
			bad += !(y1[i] == y2[i] || (isnan(y1[i]) && isnan(y2[i])));
		OK(bad == 0, "maxpool plain path = general path, geometry %d (%d differ)", (int) t, bad);
		x[3 * 9 + 4] = 1.0f;
	}
}

static void
test_pool_norm_pad(void)
{
	float	  x[16], y[16];
	int64_t	  idx[16];
	ox_window w;

	for (int i = 0; i < 16; i++)
		x[i] = (float) ((i * 7) % 16); /* [1][1][4][4] */
	window_init(&w, 2, 1, 1, 1, 1);
	w.in[0] = w.in[1] = 4;
	w.kernel[0] = w.kernel[1] = 2;
	w.stride[0] = w.stride[1] = 2;
	w.out[0] = w.out[1] = 2;
	ox_maxpool_f32(&w, x, y, idx, false);
	/* rows: 0 7 14 5 | 12 3 10 1 | 8 15 6 13 | 4 11 2 9 */
	OK(y[0] == 12 && y[1] == 14 && y[2] == 15 && y[3] == 13, "maxpool 2x2 stride 2");
	OK(idx[0] == 4 && idx[1] == 2 && idx[2] == 9 && idx[3] == 11, "maxpool indices");
	ox_maxpool_f32(&w, x, y, idx, true);
	OK(idx[0] == 1 && idx[1] == 8 && idx[2] == 6 && idx[3] == 14, "maxpool indices, column-major");

	/* 3 x 3 average, pad 1, stride 1 on a 2 x 2 of ones: 4 valid of 9 */
	{
		float o[4] = {1, 1, 1, 1};

		window_init(&w, 2, 1, 1, 1, 1);
		w.in[0] = w.in[1] = 2;
		w.kernel[0] = w.kernel[1] = 3;
		w.pad[0] = w.pad[1] = w.pad_end[0] = w.pad_end[1] = 1;
		w.out[0] = w.out[1] = 2;
		ox_avgpool_f32(&w, o, y, false);
		OK(y[0] == 1 && y[3] == 1, "avgpool without the padding counted");
		ox_avgpool_f32(&w, o, y, true);
		OK(fabsf(y[0] - 4.0f / 9.0f) < 1e-6f, "avgpool counting the padding");
	}
	/* batchnorm: (x - 1) * 2 / sqrt(4) + 3 */
	{
		float xb[2] = {1, 3}, sc = 2, b = 3, mean = 1, var = 4;

		ox_batchnorm_f32(xb, y, 1, 1, 2, &sc, &b, &mean, &var, 0);
		OK(y[0] == 3 && y[1] == 5, "batchnorm");
	}
	/* pads of [1, 2, 3] by 2 and 2 */
	{
		float	p[3] = {1, 2, 3}, v = -1;
		int64_t in[1] = {3}, two[1] = {2}, crop[1] = {-1}, zero[1] = {0};
		float	wc[7] = {-1, -1, 1, 2, 3, -1, -1}, wr[7] = {3, 2, 1, 2, 3, 2, 1};
		float	we[7] = {1, 1, 1, 2, 3, 3, 3};

		ox_pad(p, y, sizeof(float), 1, in, two, two, OX_PAD_CONSTANT, &v);
		OK(close_all(y, wc, 7, 0), "pad constant");
		ox_pad(p, y, sizeof(float), 1, in, two, two, OX_PAD_REFLECT, &v);
		OK(close_all(y, wr, 7, 0), "pad reflect");
		ox_pad(p, y, sizeof(float), 1, in, two, two, OX_PAD_EDGE, &v);
		OK(close_all(y, we, 7, 0), "pad edge");
		ox_pad(p, y, sizeof(float), 1, in, crop, zero, OX_PAD_CONSTANT, &v);
		OK(y[0] == 2 && y[1] == 3, "pad negative crops");
	}
	/* 2-D: [[1, 2], [3, 4]] padded by one row on top, one column on the right */
	{
		float	p[4] = {1, 2, 3, 4}, v = 0, want[9] = {0, 0, 0, 1, 2, 0, 3, 4, 0};
		int64_t in[2] = {2, 2}, b[2] = {1, 0}, e[2] = {0, 1};

		ox_pad(p, y, sizeof(float), 2, in, b, e, OX_PAD_CONSTANT, &v);
		OK(close_all(y, want, 9, 0), "pad 2-D constant");
	}
}

static float
sg(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

static void
rnn_init(ox_rnn *r, ox_rnn_cell cell, int64_t t, int64_t n)
{
	memset(r, 0, sizeof(*r));
	r->cell = cell;
	r->t = t;
	r->n = n;
	r->in = 1;
	r->h = 1;
	r->dirs = 1;
	r->f = r->f2 = cell == OX_RNN_SIMPLE ? OX_ACT_TANH : OX_ACT_SIGMOID;
	r->g = r->g2 = r->hact = r->hact2 = OX_ACT_TANH;
}

static void
test_rnn(void)
{
	float  x[3] = {0.5f, -1.0f, 2.0f}, y[12], yh[4], yc[4], scratch[256];
	ox_rnn r;

	/* simple RNN: h_t = tanh(w x_t + r h_{t-1} + wb + rb) */
	{
		float w = 0.7f, rr = -0.3f, b[2] = {0.1f, 0.2f}, h = 0, want[3];

		rnn_init(&r, OX_RNN_SIMPLE, 3, 1);
		r.x = x;
		r.w = &w;
		r.r = &rr;
		r.b = b;
		r.y = y;
		r.y_h = yh;
		for (int t = 0; t < 3; t++)
			want[t] = h = tanhf(w * x[t] + rr * h + 0.3f);
		OK(ox_rnn_scratch(&r) > 0, "rnn scratch");
		ox_rnn_run(&r, scratch);
		OK(close_all(y, want, 3, 1e-6f) && yh[0] == y[2], "rnn forward");
		r.reverse = true;
		ox_rnn_run(&r, scratch);
		h = 0;
		for (int t = 2; t >= 0; t--)
			want[t] = h = tanhf(w * x[t] + rr * h + 0.3f);
		OK(close_all(y, want, 3, 1e-6f) && yh[0] == y[0], "rnn reverse");
	}
	/* GRU: z, r, h gates, both reset orders */
	for (int lbr = 0; lbr < 2; lbr++)
	{
		float w[3] = {0.5f, -0.4f, 0.9f}, rr[3] = {0.3f, 0.8f, -0.6f};
		float b[6] = {0.1f, 0.0f, -0.2f, 0.05f, 0.1f, 0.3f}, h = 0.25f, h0 = 0.25f, want[3];

		rnn_init(&r, OX_RNN_GRU, 3, 1);
		r.linear_before_reset = lbr;
		r.x = x;
		r.w = w;
		r.r = rr;
		r.b = b;
		r.h0 = &h0;
		r.y = y;
		for (int t = 0; t < 3; t++)
		{
			float z = sg(w[0] * x[t] + rr[0] * h + b[0] + b[3]);
			float rs = sg(w[1] * x[t] + rr[1] * h + b[1] + b[4]);
			float hc = lbr ? tanhf(w[2] * x[t] + b[2] + rs * (rr[2] * h + b[5]))
						   : tanhf(w[2] * x[t] + b[2] + rr[2] * (rs * h) + b[5]);

			want[t] = h = (1 - z) * hc + z * h;
		}
		ox_rnn_run(&r, scratch);
		OK(close_all(y, want, 3, 1e-6f), "gru linear_before_reset %d", lbr);
	}
	/* LSTM with peepholes, two rows, the second of length 2, layout 1 */
	{
		float	w[4] = {0.5f, -0.4f, 0.9f, 0.2f}, rr[4] = {0.3f, 0.8f, -0.6f, 0.1f};
		float	p[3] = {0.1f, -0.2f, 0.3f};					   /* i, o, f */
		float	x2[6] = {0.5f, -1.0f, 2.0f, 1.0f, 0.3f, 0.0f}; /* [N=2][T=3][1] */
		int32_t lens[2] = {3, 2};
		float	want[6] = {0};

		rnn_init(&r, OX_RNN_LSTM, 3, 2);
		r.layout = 1;
		r.x = x2;
		r.w = w;
		r.r = rr;
		r.p = p;
		r.seq_lens = lens;
		r.y = y;
		r.y_h = yh;
		r.y_c = yc;
		ox_rnn_run(&r, scratch);
		for (int b = 0; b < 2; b++)
		{
			float h = 0, c = 0;

			for (int t = 0; t < lens[b]; t++)
			{
				float xt = x2[b * 3 + t];
				float i = sg(w[0] * xt + rr[0] * h + p[0] * c);
				float f = sg(w[2] * xt + rr[2] * h + p[2] * c);
				float cc = tanhf(w[3] * xt + rr[3] * h);
				float o;

				c = f * c + i * cc;
				o = sg(w[1] * xt + rr[1] * h + p[1] * c);
				want[b * 3 + t] = h = o * tanhf(c);
			}
			OK(fabsf(yh[b] - h) < 1e-6f && fabsf(yc[b] - c) < 1e-6f, "lstm final state row %d", b);
		}
		OK(close_all(y, want, 6, 1e-6f), "lstm peepholes, layout 1, sequence lengths");
	}
	/* bidirectional RNN, Y [T][2][N][H] and Y_h [2][N][H] */
	{
		float w[2] = {1.0f, -1.0f}, rr[2] = {0.5f, 0.5f}, hf = 0, hb = 0, wf[3], wb[3];

		rnn_init(&r, OX_RNN_SIMPLE, 3, 1);
		r.dirs = 2;
		r.x = x;
		r.w = w;
		r.r = rr;
		r.y = y;
		r.y_h = yh;
		for (int t = 0; t < 3; t++)
			wf[t] = hf = tanhf(x[t] + 0.5f * hf);
		for (int t = 2; t >= 0; t--)
			wb[t] = hb = tanhf(-x[t] + 0.5f * hb);
		ox_rnn_run(&r, scratch);
		OK(fabsf(y[0] - wf[0]) < 1e-6f && fabsf(y[1] - wb[0]) < 1e-6f &&
			   fabsf(y[4] - wf[2]) < 1e-6f && fabsf(y[5] - wb[2]) < 1e-6f,
		   "bidirectional outputs interleave by direction");
		OK(fabsf(yh[0] - wf[2]) < 1e-6f && fabsf(yh[1] - wb[0]) < 1e-6f,
		   "bidirectional final states");
	}
}

static void
test_layernorm(void)
{
	float x[6] = {1, 2, 3, 10, 10, 10}, sc[3] = {1, 2, 1}, b[3] = {0, 0, 1}, y[6], mean[2], inv[2];
	float is = 1.0f / sqrtf(2.0f / 3.0f + 1e-5f);

	ox_layernorm_f32(x, y, 2, 3, sc, b, 1e-5f, mean, inv);
	OK(fabsf(y[0] + is) < 1e-5f && y[1] == 0 && fabsf(y[2] - (is + 1)) < 1e-5f, "layernorm row 1");
	OK(y[3] == 0 && y[4] == 0 && y[5] == 1, "layernorm constant row");
	OK(mean[0] == 2 && mean[1] == 10 && fabsf(inv[0] - is) < 1e-4f, "layernorm mean, inv std");
}

/*
 * vec.c: the AVX2 kernels (where this CPU has them) against the scalar ones,
 * on lengths around the 8 lanes and values across the range, the clamps,
 * infinities and NaN
 */
static void
test_vec_kernels(void)
{
	enum
	{
		NV = 203
	};
	float	 x[NV], ys[NV], yv[NV], gs[4 * 37], gv[4 * 37], cs[37], cv[37], hs[37], hv[37];
	bool	 simd;
	uint32_t r = 12345;

	for (int i = 0; i < NV; i++)
	{
		r = r * 1664525u + 1013904223u;
		x[i] = ((float) (r >> 8) / 16777216.0f - 0.5f) * (i < 100 ? 20.0f : 240.0f);
	}
	x[5] = NAN;
	x[17] = INFINITY;
	x[18] = -INFINITY;
	x[40] = 0.6249f;
	x[41] = -0.6251f;
	x[42] = 88.5f;
	x[43] = -90.0f;
	for (int n = 0; n <= 19; n++)
	{
		bool same = true;

		ox_vec_use_simd(false);
		ox_vec_exp(x + 20, 0.5f, ys, n);
		simd = ox_vec_use_simd(true);
		ox_vec_exp(x + 20, 0.5f, yv, n);
		same = close_all(yv, ys, n, 3e-7f);
		OK(same, "vec exp, %d values (%s)", n, simd ? "SIMD vs scalar" : "scalar only");
	}
	for (int f = 0; f < 3; f++)
	{
		const char *name = f == 0 ? "exp" : f == 1 ? "sigmoid" : "tanh";
		bool		nan_ok, close;

		ox_vec_use_simd(false);
		if (f == 0)
			ox_vec_exp(x, 0.0f, ys, NV);
		else if (f == 1)
			ox_vec_sigmoid(x, ys, NV);
		else
			ox_vec_tanh(x, ys, NV);
		simd = ox_vec_use_simd(true);
		if (f == 0)
			ox_vec_exp(x, 0.0f, yv, NV);
		else if (f == 1)
			ox_vec_sigmoid(x, yv, NV);
		else
			ox_vec_tanh(x, yv, NV);
		nan_ok = isnan(ys[5]) && isnan(yv[5]);
		ys[5] = yv[5] = 0;
		close = close_all(yv, ys, NV, 4e-7f);
		OK(close && nan_ok, "vec %s over %d values, NaN kept (%s)", name, NV,
		   simd ? "SIMD vs scalar" : "scalar only");
	}
	/* the extremes against libm */
	ox_vec_use_simd(true);
	ox_vec_exp(x, 0.0f, yv, NV);
	OK(yv[17] > 1e38f && yv[18] < 1e-37f && yv[18] >= 0 &&
		   fabsf(yv[40] / expf(0.6249f) - 1) < 3e-7f,
	   "vec exp: +inf and -inf clamp to the normal range, %g", (double) yv[40]);
	ox_vec_tanh(x, yv, NV);
	OK(yv[17] == 1 && yv[18] == -1 && fabsf(yv[41] - tanhf(-0.6251f)) < 3e-7f &&
		   fabsf(yv[40] - tanhf(0.6249f)) < 3e-7f,
	   "vec tanh: the limits and both sides of 0.625");
	/* softmax rows */
	for (int n = 1; n <= 27; n += 13)
	{
		float sum = 0;

		ox_vec_use_simd(false);
		ox_vec_softmax_row(x + 50, ys, n);
		simd = ox_vec_use_simd(true);
		ox_vec_softmax_row(x + 50, yv, n);
		for (int i = 0; i < n; i++)
			sum += yv[i];
		OK(close_all(yv, ys, n, 1e-6f) && fabsf(sum - 1) < 1e-5f, "vec softmax row of %d (%s)", n,
		   simd ? "SIMD vs scalar" : "scalar only");
	}
	ox_vec_softmax_row(x, yv, 10); /* x[5] is NaN: the row is NaN, as the scalar row */
	OK(isnan(yv[0]) && isnan(yv[9]), "vec softmax: a NaN in the row makes it NaN");
	/* the LSTM cell, H = 37 (four blocks of 8 and a tail) */
	for (int i = 0; i < 4 * 37; i++)
		gs[i] = gv[i] = x[i] / 4;
	for (int j = 0; j < 37; j++)
		cs[j] = cv[j] = x[150 + j] / 10;
	ox_vec_use_simd(false);
	ox_vec_lstm_cell(gs, cs, hs, 37);
	simd = ox_vec_use_simd(true);
	ox_vec_lstm_cell(gv, cv, hv, 37);
	cs[5 % 37] = cv[5 % 37] = hs[5] = hv[5] = 0; /* gates[5] is NaN */
	OK(close_all(cv, cs, 37, 1e-6f) && close_all(hv, hs, 37, 1e-6f), "vec lstm cell, H 37 (%s)",
	   simd ? "SIMD vs scalar" : "scalar only");
	/* the packed product of the recurrent steps, odd shapes: rows past a block of 4, columns past a panel */
	{
		enum
		{
			GN = 7,
			GM = 70,
			GK = 13
		};
		static float a[GN * GK], rw[GM * GK], packed[GM * GK], cs2[GN * GM], cv2[GN * GM],
			want[GN * GM];

		for (int i = 0; i < GN * GK; i++)
			a[i] = (float) ((i * 53) % 97) / 40.0f - 1.2f;
		for (int i = 0; i < GM * GK; i++)
			rw[i] = (float) ((i * 37) % 101) / 50.0f - 1.0f;
		for (int i = 0; i < GN * GM; i++)
			cs2[i] = cv2[i] = want[i] = (float) (i % 9) - 4.0f;
		for (int b = 0; b < GN; b++)
			for (int j = 0; j < GM; j++)
				for (int q = 0; q < GK; q++)
					want[b * GM + j] += a[b * GK + q] * rw[j * GK + q];
		static float rt[GK * GM], ct[GN * GM];

		for (int j = 0; j < GM; j++)
			for (int q = 0; q < GK; q++)
				rt[q * GM + j] = rw[j * GK + q];
		memcpy(ct, cs2, sizeof(ct));
		ox_vec_use_simd(false);
		ox_vec_gemm_pack(GM, GK, rw, false, packed);
		ox_vec_gemm_acc(GN, GM, GK, a, packed, cs2);
		simd = ox_vec_use_simd(true);
		ox_vec_gemm_pack(GM, GK, rw, false, packed);
		ox_vec_gemm_acc(GN, GM, GK, a, packed, cv2);
		OK(close_all(cs2, want, GN * GM, 1e-5f) && close_all(cv2, want, GN * GM, 1e-5f),
		   "vec packed product 7 x 13 by 13 x 70, accumulated (%s)",
		   simd ? "SIMD and scalar" : "scalar only");
		ox_vec_gemm_pack(GM, GK, rt, true, packed); /* from r^T, [k x m] */
		ox_vec_gemm_acc(GN, GM, GK, a, packed, ct);
		OK(close_all(ct, want, GN * GM, 1e-5f), "vec packed product, weights given as [k x m]");
	}
	/* 40 columns: panels of 16 and a tail of 8 (AVX-512), 32 + 8 (AVX2) */
	{
		static float a[9 * 21], rw[40 * 21], packed[40 * 21], c1[9 * 40], c2[9 * 40], want[9 * 40];

		for (int i = 0; i < 9 * 21; i++)
			a[i] = (float) ((i * 29) % 61) / 30.0f - 1.0f;
		for (int i = 0; i < 40 * 21; i++)
			rw[i] = (float) ((i * 17) % 43) / 20.0f - 1.0f;
		for (int b = 0; b < 9; b++)
			for (int j = 0; j < 40; j++)
			{
				want[b * 40 + j] = c1[b * 40 + j] = c2[b * 40 + j] = 0.5f;
				for (int q = 0; q < 21; q++)
					want[b * 40 + j] += a[b * 21 + q] * rw[j * 21 + q];
			}
		ox_vec_use_simd(false);
		ox_vec_gemm_pack(40, 21, rw, false, packed);
		ox_vec_gemm_acc(9, 40, 21, a, packed, c1);
		simd = ox_vec_use_simd(true);
		ox_vec_gemm_pack(40, 21, rw, false, packed);
		ox_vec_gemm_acc(9, 40, 21, a, packed, c2);
		OK(close_all(c1, want, 9 * 40, 1e-5f) && close_all(c2, want, 9 * 40, 1e-5f),
		   "vec packed product 9 x 21 by 21 x 40 (%s)", simd ? "SIMD and scalar" : "scalar only");
	}
	/* LayerNormalization rows: 37 values (blocks of 8 and a tail), with and without bias */
	{
		float scale[37], bias[37], y1[37], y2[37], m1, m2, i1, i2;

		for (int j = 0; j < 37; j++)
		{
			scale[j] = 0.5f + (float) j / 37.0f;
			bias[j] = (float) (j % 5) - 2.0f;
		}
		for (int withb = 0; withb < 2; withb++)
		{
			ox_vec_use_simd(false);
			ox_vec_layernorm_row(x + 60, y1, 37, scale, withb ? bias : NULL, 1e-5f, &m1, &i1);
			simd = ox_vec_use_simd(true);
			ox_vec_layernorm_row(x + 60, y2, 37, scale, withb ? bias : NULL, 1e-5f, &m2, &i2);
			OK(close_all(y2, y1, 37, 2e-6f) && fabsf(m1 - m2) < 1e-5f * fmaxf(1, fabsf(m1)) &&
				   fabsf(i1 - i2) < 1e-5f * i1,
			   "vec layernorm row of 37, %s bias (%s)", withb ? "with" : "without",
			   simd ? "SIMD vs scalar" : "scalar only");
		}
	}
	{
		/* one unit by its equations */
		float g[4] = {0.3f, -1.2f, 2.0f, 0.7f}, c = 0.25f, h, want_c, want_h;

		want_c = 1 / (1 + expf(-2.0f)) * 0.25f + 1 / (1 + expf(-0.3f)) * tanhf(0.7f);
		want_h = 1 / (1 + expf(1.2f)) * tanhf(want_c);
		ox_vec_lstm_cell(g, &c, &h, 1);
		OK(fabsf(c - want_c) < 1e-6f && fabsf(h - want_h) < 1e-6f,
		   "vec lstm cell by its equations");
	}
}

int
main(void)
{
	test_gemm_matmul();
	test_softmax_reduce();
	test_conv();
	test_conv_wide();
	test_vec_fill_relu();
	test_vec_maxpool2x2();
	test_pool_norm_pad();
	test_maxpool_plain();
	test_fast_activations();
	test_rnn();
	test_layernorm();
	test_vec_kernels();
	return unit_done();
}
