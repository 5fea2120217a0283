/*-------------------------------------------------------------------------
 *
 * vec.c
 *	  e^x, sigmoid and tanh over arrays of floats, in AVX2 + FMA where the
 *	  CPU has them (chosen once per process), else the scalar functions of
 *	  ops_math.h, which the compiler vectorizes with SSE.
 *
 * The extension is compiled for x86-64's baseline (SSE2), and GCC 12 does
 * not vectorize ox_expf for AVX2 at all ("control flow in loop": compiled
 * with -march=x86-64-v3 the softmax and LSTM loops ran scalar, 15-90 %
 * slower).  These are the same Cephes polynomials written with AVX2
 * intrinsics: 8 lanes and fused multiply-adds, so a result may differ from
 * the scalar one in the last bit (both are within 2 ulp of expf).
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define OX_HAVE_AVX2 1
#include <immintrin.h>
#endif

/* ---------- scalar (any CPU) ---------- */

static void
exp_scalar(const float *x, float shift, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = ox_expf(x[i] - shift);
}

static void
sigmoid_scalar(const float *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = ox_sigmoidf(x[i]);
}

static void
tanh_scalar(const float *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] = ox_tanhf(x[i]);
}

/* one row: e^(x - max) / sum, NaN-ignoring max as ox_softmax_f32 had it */
static void
softmax_scalar(const float *x, float *y, int64_t n)
{
	float mx = -INFINITY, part[8] = {0}, sum = 0;

	for (int64_t i = 0; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	exp_scalar(x, mx, y, n);
	for (int64_t i = 0; i < n; i++) /* 8 partial sums */
		part[i & 7] += y[i];
	for (int k = 0; k < 8; k++)
		sum += part[k];
	sum = 1 / sum;
	for (int64_t i = 0; i < n; i++)
		y[i] *= sum;
}

/*
 * The recurrent product c[n x m] += a[n x k] r^T, with r [m x k] (ONNX's
 * layout of recurrent weights) packed once per run: the scalar kernel wants
 * r^T row-major [k x m], the AVX2 one panels of 32 columns (below).
 */
static void
pack_scalar(int64_t m, int64_t k, const float *r, int64_t sj, int64_t sq, float *packed)
{
	for (int64_t j = 0; j < m; j++)
		for (int64_t q = 0; q < k; q++)
			packed[q * m + j] = r[j * sj + q * sq];
}

static void
gemm_acc_scalar(int64_t n, int64_t m, int64_t k, const float *a, const float *packed, float *c)
{
	ox_gemm_f32(false, false, n, m, k, 1.0f, a, packed, 1.0f, c);
}

/* one row of LayerNormalization, sums in double */
static void
layernorm_scalar(const float *xr, float *yr, int64_t n, const float *scale, const float *b,
				 float eps, float *mean, float *inv_std)
{
	double sum = 0, ss = 0;
	float  mu, is;

	for (int64_t i = 0; i < n; i++)
		sum += xr[i];
	mu = (float) (sum / (double) n);
	for (int64_t i = 0; i < n; i++)
		ss += (double) (xr[i] - mu) * (double) (xr[i] - mu);
	is = (float) (1.0 / sqrt(ss / (double) n + (double) eps));
	for (int64_t i = 0; i < n; i++)
		yr[i] = (xr[i] - mu) * is * scale[i] + (b ? b[i] : 0.0f);
	*mean = mu;
	*inv_std = is;
}

#ifdef OX_HAVE_AVX2

#define AVX2 __attribute__((target("avx2,fma")))

/* ox_expf on 8 lanes: clamp, n = floor(x log2 e + 1/2), the polynomial, 2^n */
AVX2 static inline __m256
exp8(__m256 x)
{
	__m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
	__m256 c = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
	__m256 fx = _mm256_floor_ps(
		_mm256_fmadd_ps(c, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
	__m256	r, z, p;
	__m256i bits;

	c = _mm256_andnot_ps(nan, c); /* NaN lanes computed on 0, restored below */
	fx = _mm256_andnot_ps(nan, fx);
	r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), c);
	r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
	z = _mm256_mul_ps(r, r);
	p = _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500E-4f), r, _mm256_set1_ps(1.3981999507E-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
	p = _mm256_add_ps(_mm256_fmadd_ps(p, z, r), _mm256_set1_ps(1.0f));
	bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
	p = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
	return _mm256_blendv_ps(p, x, nan);
}

AVX2 static inline __m256
sigmoid8(__m256 x)
{
	__m256 one = _mm256_set1_ps(1.0f);

	return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* ox_tanhf on 8 lanes: the odd polynomial below 0.625, else 1 - 2 / (e^2|x| + 1) */
AVX2 static inline __m256
tanh8(__m256 v)
{
	__m256 sign = _mm256_set1_ps(-0.0f);
	__m256 a = _mm256_andnot_ps(sign, v), s = _mm256_mul_ps(v, v), small, large;

	small =
		_mm256_fmadd_ps(_mm256_set1_ps(-5.70498872745E-3f), s, _mm256_set1_ps(2.06390887954E-2f));
	small = _mm256_fmadd_ps(small, s, _mm256_set1_ps(-5.37397155531E-2f));
	small = _mm256_fmadd_ps(small, s, _mm256_set1_ps(1.33314422036E-1f));
	small = _mm256_fmadd_ps(small, s, _mm256_set1_ps(-3.33332819422E-1f));
	small = _mm256_fmadd_ps(_mm256_mul_ps(small, s), v, v);
	large =
		_mm256_sub_ps(_mm256_set1_ps(1.0f),
					  _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(exp8(_mm256_add_ps(a, a)),
																		_mm256_set1_ps(1.0f))));
	large = _mm256_or_ps(large, _mm256_and_ps(sign, v)); /* large >= 0: v's sign */
	return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

AVX2 static void
exp_avx2(const float *x, float shift, float *y, int64_t n)
{
	__m256	sh = _mm256_set1_ps(shift);
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)));
	exp_scalar(x + i, shift, y + i, n - i);
}

AVX2 static void
sigmoid_avx2(const float *x, float *y, int64_t n)
{
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, sigmoid8(_mm256_loadu_ps(x + i)));
	sigmoid_scalar(x + i, y + i, n - i);
}

AVX2 static void
tanh_avx2(const float *x, float *y, int64_t n)
{
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, tanh8(_mm256_loadu_ps(x + i)));
	tanh_scalar(x + i, y + i, n - i);
}

AVX2 static void
softmax_avx2(const float *x, float *y, int64_t n)
{
	__m256	m8 = _mm256_set1_ps(-INFINITY), s8 = _mm256_setzero_ps(), inv;
	float	mx, sum, lanes[8];
	int64_t i = 0, n8 = n & ~(int64_t) 7;

	for (; i < n8; i += 8) /* max(x, m): a NaN x leaves m, as the scalar loop does */
		m8 = _mm256_max_ps(_mm256_loadu_ps(x + i), m8);
	_mm256_storeu_ps(lanes, m8);
	mx = lanes[0];
	for (int k = 1; k < 8; k++)
		mx = lanes[k] > mx ? lanes[k] : mx;
	for (; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (i = 0; i < n8; i += 8)
	{
		__m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(mx)));

		_mm256_storeu_ps(y + i, e);
		s8 = _mm256_add_ps(s8, e);
	}
	_mm256_storeu_ps(lanes, s8);
	sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
		  ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
	for (; i < n; i++)
	{
		y[i] = ox_expf(x[i] - mx);
		sum += y[i];
	}
	inv = _mm256_set1_ps(1 / sum);
	for (i = 0; i < n8; i += 8)
		_mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
	for (; i < n; i++)
		y[i] *= 1 / sum;
}

/*
 * The AVX2 layout: panels of 32 columns, each [k][32] contiguous (8 kB for
 * k = 64: it stays in L1 while every row of a passes over it), then the
 * columns past the last panel as [k][rest].
 */
static void
pack_avx2(int64_t m, int64_t k, const float *r, int64_t sj, int64_t sq, float *packed)
{
	int64_t m32 = m & ~(int64_t) 31, rest = m - m32;

	for (int64_t p = 0; p < m32; p += 32)
		for (int64_t q = 0; q < k; q++)
			for (int64_t jj = 0; jj < 32; jj++)
				packed[(p * k) + q * 32 + jj] = r[(p + jj) * sj + q * sq];
	for (int64_t q = 0; q < k; q++)
		for (int64_t jj = 0; jj < rest; jj++)
			packed[m32 * k + q * rest + jj] = r[(m32 + jj) * sj + q * sq];
}

/*
 * c += a r^T for the small products of a recurrent step (32 x 64 by 64 x
 * 256 for torch's LSTM): two rows of a by one panel, 8 accumulators, the
 * panel's four vectors loaded once per k for both rows.  OpenBLAS repacks
 * the weights on every call, which was most of an LSTM step.
 */
AVX2 static void
gemm_acc_avx2(int64_t n, int64_t m, int64_t k, const float *a, const float *packed, float *c)
{
	int64_t m32 = m & ~(int64_t) 31, rest = m - m32;

	for (int64_t p = 0; p < m32; p += 32)
	{
		const float *panel = packed + p * k;

		for (int64_t b = 0; b < n; b += 2)
		{
			const float *a0 = a + b * k, *a1 = b + 1 < n ? a0 + k : a0;
			float		*c0 = c + b * m + p, *c1 = b + 1 < n ? c0 + m : NULL;
			__m256		 x0 = _mm256_loadu_ps(c0), x1 = _mm256_loadu_ps(c0 + 8);
			__m256		 x2 = _mm256_loadu_ps(c0 + 16), x3 = _mm256_loadu_ps(c0 + 24);
			__m256		 y0 = _mm256_setzero_ps(), y1 = y0, y2 = y0, y3 = y0;

			if (c1)
			{
				y0 = _mm256_loadu_ps(c1);
				y1 = _mm256_loadu_ps(c1 + 8);
				y2 = _mm256_loadu_ps(c1 + 16);
				y3 = _mm256_loadu_ps(c1 + 24);
			}
			for (int64_t q = 0; q < k; q++)
			{
				const float *w = panel + q * 32;
				__m256		 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
				__m256		 w2 = _mm256_loadu_ps(w + 16), w3 = _mm256_loadu_ps(w + 24);
				__m256		 u = _mm256_set1_ps(a0[q]), v = _mm256_set1_ps(a1[q]);

				x0 = _mm256_fmadd_ps(u, w0, x0);
				x1 = _mm256_fmadd_ps(u, w1, x1);
				x2 = _mm256_fmadd_ps(u, w2, x2);
				x3 = _mm256_fmadd_ps(u, w3, x3);
				y0 = _mm256_fmadd_ps(v, w0, y0);
				y1 = _mm256_fmadd_ps(v, w1, y1);
				y2 = _mm256_fmadd_ps(v, w2, y2);
				y3 = _mm256_fmadd_ps(v, w3, y3);
			}
			_mm256_storeu_ps(c0, x0);
			_mm256_storeu_ps(c0 + 8, x1);
			_mm256_storeu_ps(c0 + 16, x2);
			_mm256_storeu_ps(c0 + 24, x3);
			if (c1)
			{
				_mm256_storeu_ps(c1, y0);
				_mm256_storeu_ps(c1 + 8, y1);
				_mm256_storeu_ps(c1 + 16, y2);
				_mm256_storeu_ps(c1 + 24, y3);
			}
		}
	}
	if (rest > 0) /* the columns past the last panel */
		for (int64_t b = 0; b < n; b++)
			for (int64_t jj = 0; jj < rest; jj++)
			{
				float s = c[b * m + m32 + jj];

				for (int64_t q = 0; q < k; q++)
					s += a[b * k + q] * packed[m32 * k + q * rest + jj];
				c[b * m + m32 + jj] = s;
			}
}

#define AVX512 __attribute__((target("avx512f,fma")))

/*
 * The AVX-512 layout: panels of 64 columns, [k][64] each, then panels of 16
 * ([k][16]), then the last columns as [k][rest].
 */
static void
pack_avx512(int64_t m, int64_t k, const float *r, int64_t sj, int64_t sq, float *packed)
{
	int64_t m64 = m & ~(int64_t) 63, m16 = m & ~(int64_t) 15, rest = m - m16;

	for (int64_t p = 0; p < m64; p += 64)
		for (int64_t q = 0; q < k; q++)
			for (int64_t jj = 0; jj < 64; jj++)
				packed[(p * k) + q * 64 + jj] = r[(p + jj) * sj + q * sq];
	for (int64_t p = m64; p < m16; p += 16)
		for (int64_t q = 0; q < k; q++)
			for (int64_t jj = 0; jj < 16; jj++)
				packed[(p * k) + q * 16 + jj] = r[(p + jj) * sj + q * sq];
	for (int64_t q = 0; q < k; q++)
		for (int64_t jj = 0; jj < rest; jj++)
			packed[m16 * k + q * rest + jj] = r[(m16 + jj) * sj + q * sq];
}

/* up to four rows of a by one panel of 64 columns: 16 accumulators */
AVX512 static inline void
panel_rows_avx512(int rows, int64_t m, int64_t k, const float *a, const float *panel, float *c)
{
	__m512 acc[4][4];

	for (int i = 0; i < 4; i++)
		for (int v = 0; v < 4; v++)
			acc[i][v] = i < rows ? _mm512_loadu_ps(c + i * m + v * 16) : _mm512_setzero_ps();
	for (int64_t q = 0; q < k; q++)
	{
		const float *w = panel + q * 64;
		__m512		 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
		__m512		 w2 = _mm512_loadu_ps(w + 32), w3 = _mm512_loadu_ps(w + 48);

		for (int i = 0; i < 4; i++)
		{
			__m512 u = _mm512_set1_ps(a[(i < rows ? i : 0) * k + q]);

			acc[i][0] = _mm512_fmadd_ps(u, w0, acc[i][0]);
			acc[i][1] = _mm512_fmadd_ps(u, w1, acc[i][1]);
			acc[i][2] = _mm512_fmadd_ps(u, w2, acc[i][2]);
			acc[i][3] = _mm512_fmadd_ps(u, w3, acc[i][3]);
		}
	}
	for (int i = 0; i < rows; i++)
		for (int v = 0; v < 4; v++)
			_mm512_storeu_ps(c + i * m + v * 16, acc[i][v]);
}

/* up to eight rows of a by one panel of 16 columns: 8 accumulators */
AVX512 static inline void
panel16_rows_avx512(int rows, int64_t m, int64_t k, const float *a, const float *panel, float *c)
{
	__m512 acc[8];

	for (int i = 0; i < 8; i++)
		acc[i] = i < rows ? _mm512_loadu_ps(c + i * m) : _mm512_setzero_ps();
	for (int64_t q = 0; q < k; q++)
	{
		__m512 w = _mm512_loadu_ps(panel + q * 16);

		for (int i = 0; i < 8; i++)
			acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[(i < rows ? i : 0) * k + q]), w, acc[i]);
	}
	for (int i = 0; i < rows; i++)
		_mm512_storeu_ps(c + i * m, acc[i]);
}

/* up to eight rows of a by the last rest (< 16) columns, [k][rest]: masked loads and stores */
AVX512 static inline void
panel_rest_avx512(int rows, int rest, int64_t m, int64_t k, const float *a, const float *panel,
				  float *c)
{
	__mmask16 mask = (__mmask16) ((1u << rest) - 1);
	__m512	  acc[8];

	for (int i = 0; i < 8; i++)
		acc[i] = i < rows ? _mm512_maskz_loadu_ps(mask, c + i * m) : _mm512_setzero_ps();
	for (int64_t q = 0; q < k; q++)
	{
		__m512 w = _mm512_maskz_loadu_ps(mask, panel + q * rest);

		for (int i = 0; i < 8; i++)
			acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[(i < rows ? i : 0) * k + q]), w, acc[i]);
	}
	for (int i = 0; i < rows; i++)
		_mm512_mask_storeu_ps(c + i * m, mask, acc[i]);
}

AVX512 static void
gemm_acc_avx512(int64_t n, int64_t m, int64_t k, const float *a, const float *packed, float *c)
{
	int64_t m64 = m & ~(int64_t) 63, m16 = m & ~(int64_t) 15, rest = m - m16;

	for (int64_t p = 0; p < m64; p += 64)
		for (int64_t b = 0; b < n; b += 4)
			panel_rows_avx512(n - b < 4 ? (int) (n - b) : 4, m, k, a + b * k, packed + p * k,
							  c + b * m + p);
	for (int64_t p = m64; p < m16; p += 16)
		for (int64_t b = 0; b < n; b += 8)
			panel16_rows_avx512(n - b < 8 ? (int) (n - b) : 8, m, k, a + b * k, packed + p * k,
								c + b * m + p);
	if (rest > 0)
		for (int64_t b = 0; b < n; b += 8)
			panel_rest_avx512(n - b < 8 ? (int) (n - b) : 8, (int) rest, m, k, a + b * k,
							  packed + m16 * k, c + b * m + m16);
}

/* the 8 lanes' sum, in double */
AVX2 static inline double
hsum8(__m256 v)
{
	float  l[8];
	double s = 0;

	_mm256_storeu_ps(l, v);
	for (int i = 0; i < 8; i++)
		s += l[i];
	return s;
}

/* one row of LayerNormalization: 8 lanes of float partial sums, each row's total in double */
AVX2 static void
layernorm_avx2(const float *xr, float *yr, int64_t n, const float *scale, const float *b, float eps,
			   float *mean, float *inv_std)
{
	int64_t n8 = n & ~(int64_t) 7, i;
	__m256	s8 = _mm256_setzero_ps(), mu8, is8;
	double	sum, ss;
	float	mu, is;

	for (i = 0; i < n8; i += 8)
		s8 = _mm256_add_ps(s8, _mm256_loadu_ps(xr + i));
	sum = hsum8(s8);
	for (; i < n; i++)
		sum += xr[i];
	mu = (float) (sum / (double) n);
	mu8 = _mm256_set1_ps(mu);
	s8 = _mm256_setzero_ps();
	for (i = 0; i < n8; i += 8)
	{
		__m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + i), mu8);

		s8 = _mm256_fmadd_ps(d, d, s8);
	}
	ss = hsum8(s8);
	for (; i < n; i++)
		ss += (double) (xr[i] - mu) * (double) (xr[i] - mu);
	is = (float) (1.0 / sqrt(ss / (double) n + (double) eps));
	is8 = _mm256_set1_ps(is);
	for (i = 0; i < n8; i += 8)
	{
		__m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + i), mu8), is8),
								 _mm256_loadu_ps(scale + i));

		_mm256_storeu_ps(yr + i, b ? _mm256_add_ps(v, _mm256_loadu_ps(b + i)) : v);
	}
	for (; i < n; i++)
		yr[i] = (xr[i] - mu) * is * scale[i] + (b ? b[i] : 0.0f);
	*mean = mu;
	*inv_std = is;
}

AVX2 static void
lstm_avx2(float *g, float *c, float *h, int64_t H)
{
	int64_t j = 0;

	for (; j + 8 <= H; j += 8)
	{
		__m256 i = sigmoid8(_mm256_loadu_ps(g + j)), o = sigmoid8(_mm256_loadu_ps(g + H + j));
		__m256 f = sigmoid8(_mm256_loadu_ps(g + 2 * H + j));
		__m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(c + j),
									_mm256_mul_ps(i, tanh8(_mm256_loadu_ps(g + 3 * H + j))));

		_mm256_storeu_ps(c + j, cn);
		_mm256_storeu_ps(h + j, _mm256_mul_ps(o, tanh8(cn)));
	}
	for (; j < H; j++)
	{
		float i = ox_sigmoidf(g[j]), o = ox_sigmoidf(g[H + j]);
		float f = ox_sigmoidf(g[2 * H + j]), cn = f * c[j] + i * ox_tanhf(g[3 * H + j]);

		c[j] = cn;
		h[j] = o * ox_tanhf(cn);
	}
}

#endif /* OX_HAVE_AVX2 */

static void
lstm_scalar(float *g, float *c, float *h, int64_t H)
{
	for (int64_t j = 0; j < H; j++)
	{
		float i = ox_sigmoidf(g[j]), o = ox_sigmoidf(g[H + j]);
		float f = ox_sigmoidf(g[2 * H + j]), cn = f * c[j] + i * ox_tanhf(g[3 * H + j]);

		c[j] = cn;
		h[j] = o * ox_tanhf(cn);
	}
}

/* ---------- dispatch: chosen on the first call ---------- */

typedef struct ox_vec_fns
{
	void (*exp)(const float *, float, float *, int64_t);
	void (*sigmoid)(const float *, float *, int64_t);
	void (*tanh)(const float *, float *, int64_t);
	void (*lstm)(float *, float *, float *, int64_t);
	void (*softmax)(const float *, float *, int64_t);
	void (*pack)(int64_t, int64_t, const float *, int64_t, int64_t, float *);
	void (*gemm_acc)(int64_t, int64_t, int64_t, const float *, const float *, float *);
	void (*layernorm)(const float *, float *, int64_t, const float *, const float *, float, float *,
					  float *);
} ox_vec_fns;

static const ox_vec_fns scalar_fns = {exp_scalar,	   sigmoid_scalar,	tanh_scalar,
									  lstm_scalar,	   softmax_scalar,	pack_scalar,
									  gemm_acc_scalar, layernorm_scalar};
#ifdef OX_HAVE_AVX2
static const ox_vec_fns avx2_fns = {exp_avx2,	  sigmoid_avx2, tanh_avx2,	   lstm_avx2,
									softmax_avx2, pack_avx2,	gemm_acc_avx2, layernorm_avx2};
static const ox_vec_fns avx512_fns = {exp_avx2,		sigmoid_avx2, tanh_avx2,	   lstm_avx2,
									  softmax_avx2, pack_avx512,  gemm_acc_avx512, layernorm_avx2};
#endif

static const ox_vec_fns *chosen;

static const ox_vec_fns *
fns(void)
{
	if (chosen == NULL)
		(void) ox_vec_use_simd(true);
	return chosen;
}

bool
ox_vec_use_simd(bool on)
{
	chosen = &scalar_fns;
#ifdef OX_HAVE_AVX2
	__builtin_cpu_init();
	if (on && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		chosen = __builtin_cpu_supports("avx512f") ? &avx512_fns : &avx2_fns;
#endif
	return chosen != &scalar_fns;
}

void
ox_vec_exp(const float *x, float shift, float *y, int64_t n)
{
	fns()->exp(x, shift, y, n);
}

void
ox_vec_sigmoid(const float *x, float *y, int64_t n)
{
	fns()->sigmoid(x, y, n);
}

void
ox_vec_tanh(const float *x, float *y, int64_t n)
{
	fns()->tanh(x, y, n);
}

void
ox_vec_softmax_row(const float *x, float *y, int64_t n)
{
	fns()->softmax(x, y, n);
}

void
ox_vec_gemm_pack(int64_t m, int64_t k, const float *r, bool r_is_km, float *packed)
{
	if (r_is_km)
		fns()->pack(m, k, r, 1, m, packed);
	else
		fns()->pack(m, k, r, k, 1, packed);
}

#ifdef OX_HAVE_AVX2
/* ox_vec_fill and ox_vec_copy_relu in 16 lanes (the extension is built for baseline x86-64) */
AVX512 static void
fill_avx512(float *y, float v, int64_t n)
{
	__m512	v16 = _mm512_set1_ps(v);
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(y + i, v16);
	if (i < n)
		_mm512_mask_storeu_ps(y + i, (__mmask16) ((1u << (n - i)) - 1), v16);
}

AVX512 static void
copy_relu_avx512(const float *x, float *y, int64_t n, bool relu)
{
	__m512	zero = _mm512_setzero_ps();
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
	{
		__m512 v = _mm512_loadu_ps(x + i);

		/* max(v, 0): the second operand where v is NaN, as v > 0 ? v : 0 gives 0 */
		_mm512_storeu_ps(y + i, relu ? _mm512_max_ps(v, zero) : v);
	}
	if (i < n)
	{
		__mmask16 m = (__mmask16) ((1u << (n - i)) - 1);
		__m512	  v = _mm512_maskz_loadu_ps(m, x + i);

		_mm512_mask_storeu_ps(y + i, m, relu ? _mm512_max_ps(v, zero) : v);
	}
}

/*
 * One output row of a 2 x 2, stride 2 max pool in 16 lanes: the even and
 * odd taps of two input rows taken apart by permutes; max_ps(v, mx) keeps
 * mx where either is NaN or they are equal, exactly v > mx ? v : mx.
 */
AVX512 static void
maxpool2x2_avx512(const float *r0, const float *r1, float *y, int64_t n)
{
	const __m512i even =
		_mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
	const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);

	for (int64_t j = 0; j < n; j += 16)
	{
		int64_t	  left = n - j < 16 ? n - j : 16;	  /* outputs */
		int64_t	  lo = 2 * left < 16 ? 2 * left : 16; /* inputs in the first half */
		int64_t	  hi = 2 * left - lo;				  /* and in the second */
		__mmask16 ml = (__mmask16) (lo == 16 ? 0xFFFF : (1u << lo) - 1);
		__mmask16 mh = (__mmask16) (hi == 16 ? 0xFFFF : (1u << hi) - 1);
		__mmask16 mo = (__mmask16) (left == 16 ? 0xFFFF : (1u << left) - 1);
		__m512	  a0 = _mm512_maskz_loadu_ps(ml, r0 + 2 * j),
			   b0 = _mm512_maskz_loadu_ps(mh, r0 + 2 * j + 16);
		__m512 a1 = _mm512_maskz_loadu_ps(ml, r1 + 2 * j),
			   b1 = _mm512_maskz_loadu_ps(mh, r1 + 2 * j + 16);
		__m512 mx = _mm512_permutex2var_ps(a0, even, b0);

		mx = _mm512_max_ps(_mm512_permutex2var_ps(a0, odd, b0), mx);
		mx = _mm512_max_ps(_mm512_permutex2var_ps(a1, even, b1), mx);
		mx = _mm512_max_ps(_mm512_permutex2var_ps(a1, odd, b1), mx);
		_mm512_mask_storeu_ps(y + j, mo, mx);
	}
}

/* ox_vec_gemm_pack_rows with AVX-512 copies: a panel row is a few registers, not a call */
AVX512 static void
pack_rows_avx512(int64_t m, int64_t k, const float *const *rows, float *packed)
{
	int64_t	  m64 = m & ~(int64_t) 63, m16 = m & ~(int64_t) 15, rest = m - m16;
	__mmask16 mask = (__mmask16) ((1u << rest) - 1);

	for (int64_t p = 0; p < m64; p += 64)
		for (int64_t q = 0; q < k; q++)
		{
			const float *r = rows[q] + p;
			float		*d = packed + p * k + q * 64;

			_mm512_storeu_ps(d, _mm512_loadu_ps(r));
			_mm512_storeu_ps(d + 16, _mm512_loadu_ps(r + 16));
			_mm512_storeu_ps(d + 32, _mm512_loadu_ps(r + 32));
			_mm512_storeu_ps(d + 48, _mm512_loadu_ps(r + 48));
		}
	for (int64_t p = m64; p < m16; p += 16)
		for (int64_t q = 0; q < k; q++)
			_mm512_storeu_ps(packed + p * k + q * 16, _mm512_loadu_ps(rows[q] + p));
	if (rest > 0)
		for (int64_t q = 0; q < k; q++)
			_mm512_mask_storeu_ps(packed + m16 * k + q * rest, mask,
								  _mm512_maskz_loadu_ps(mask, rows[q] + m16));
}
#endif

void
ox_vec_gemm_pack_rows(int64_t m, int64_t k, const float *const *rows, float *packed)
{
#ifdef OX_HAVE_AVX2
	if (fns() == &avx512_fns)
	{
		pack_rows_avx512(m, k, rows, packed);
		return;
	}
#endif
	/* the scalar kernel's layout, [k x m] row-major (callers use it where the packed kernel wins) */
	for (int64_t q = 0; q < k; q++)
		memcpy(packed + q * m, rows[q], sizeof(float) * m);
}

void
ox_vec_maxpool2x2_row(const float *r0, const float *r1, float *y, int64_t n)
{
#ifdef OX_HAVE_AVX2
	if (fns() == &avx512_fns)
	{
		maxpool2x2_avx512(r0, r1, y, n);
		return;
	}
#endif
	for (int64_t o2 = 0; o2 < n; o2++)
	{
		float mx = r0[2 * o2], v;

		v = r0[2 * o2 + 1];
		mx = v > mx ? v : mx;
		v = r1[2 * o2];
		mx = v > mx ? v : mx;
		v = r1[2 * o2 + 1];
		mx = v > mx ? v : mx;
		y[o2] = mx;
	}
}

void
ox_vec_fill(float *y, float v, int64_t n)
{
#ifdef OX_HAVE_AVX2
	if (fns() == &avx512_fns)
	{
		fill_avx512(y, v, n);
		return;
	}
#endif
	for (int64_t i = 0; i < n; i++)
		y[i] = v;
}

void
ox_vec_copy_relu(const float *x, float *y, int64_t n, bool relu)
{
#ifdef OX_HAVE_AVX2
	if (fns() == &avx512_fns)
	{
		copy_relu_avx512(x, y, n, relu);
		return;
	}
#endif
	if (!relu)
		memmove(y, x, sizeof(float) * n);
	else
		for (int64_t i = 0; i < n; i++)
			y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

bool
ox_vec_gemm_packed_wins(void)
{
#ifdef OX_HAVE_AVX2
	return fns() == &avx512_fns;
#else
	return false;
#endif
}

void
ox_vec_gemm_acc(int64_t n, int64_t m, int64_t k, const float *a, const float *packed, float *c)
{
	fns()->gemm_acc(n, m, k, a, packed, c);
}

void
ox_vec_layernorm_row(const float *x, float *y, int64_t n, const float *scale, const float *b,
					 float eps, float *mean, float *inv_std)
{
	fns()->layernorm(x, y, n, scale, b, eps, mean, inv_std);
}

void
ox_vec_lstm_cell(float *gates, float *c, float *h, int64_t H)
{
	fns()->lstm(gates, c, h, H);
}
