/*-------------------------------------------------------------------------
 *
 * ops_conv.c
 *	  ONNX Conv (1-D to 3-D; group, dilations, strides, pads, auto_pad),
 *	  MaxPool, AveragePool (count_include_pad, ceil_mode), GlobalAveragePool,
 *	  GlobalMaxPool, BatchNormalization (inference) and Pad (constant,
 *	  reflect, edge).
 *
 * Conv is im2col + a product per image and group: the column matrix
 * [c / group * kernel][out] lives in the kernel's scratch (and its copy
 * packed for vec.c's kernel, where that beats SGEMM), and a 1 x 1
 * convolution with stride 1 and no padding multiplies the input in place
 * (SGEMM).
 * Geometry of every spatial rank runs through the 3-D code with leading
 * dims of size 1.
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"
#include "ox_kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* the geometry as 3-D, leading spatial dims of size 1 */
typedef struct geo3
{
	int64_t in[3], out[3], k[3], s[3], d[3], p[3], pe[3];
	int64_t isz, osz, ksz;
} geo3;

static void
geo3_make(const ox_window *w, geo3 *g)
{
	int off = 3 - w->nsp;

	for (int i = 0; i < 3; i++)
	{
		int j = i - off;

		g->in[i] = j >= 0 ? w->in[j] : 1;
		g->out[i] = j >= 0 ? w->out[j] : 1;
		g->k[i] = j >= 0 ? w->kernel[j] : 1;
		g->s[i] = j >= 0 ? w->stride[j] : 1;
		g->d[i] = j >= 0 ? w->dilation[j] : 1;
		g->p[i] = j >= 0 ? w->pad[j] : 0;
		g->pe[i] = j >= 0 ? w->pad_end[j] : 0;
	}
	g->isz = g->in[0] * g->in[1] * g->in[2];
	g->osz = g->out[0] * g->out[1] * g->out[2];
	g->ksz = g->k[0] * g->k[1] * g->k[2];
}

/* is it a 1 x 1 convolution, stride 1, no padding (no im2col needed)? */
static bool
conv_pointwise(const geo3 *g)
{
	for (int i = 0; i < 3; i++)
		if (g->k[i] != 1 || g->s[i] != 1 || g->p[i] != 0 || g->out[i] != g->in[i])
			return false;
	return true;
}

/*
 * The "wide" convolution (2-D, stride 1, dilation 1, where the packed kernel
 * wins): the input of an image padded once into [c][hp][wp]; then a tap
 * (ci, k1, k2) reads, for every output, the padded plane from k1 * wp + k2
 * on, if the output is computed on a grid as wide as the padded input
 * (out1 rows of wp, the last wp - out2 of each unused).  So the column
 * matrix's rows are stretches of the padded input, packed straight into the
 * product kernel's panels: no im2col of short row copies, one copy of each
 * value per tap.  The unused columns (wp - out2 of wp) cost their products.
 */
typedef struct wide_geo
{
	int64_t hp, wp, plane, nw; /* padded input, its plane, the wide output's columns */
} wide_geo;

static bool
conv_wide(const geo3 *g, wide_geo *wg)
{
	/* a 1 x 1 convolution is a product already (no column matrix) */
	if (!ox_vec_gemm_packed_wins() || conv_pointwise(g) || g->in[0] != 1 || g->k[0] != 1 ||
		g->s[1] != 1 || g->s[2] != 1 || g->d[1] != 1 || g->d[2] != 1)
		return false;
	wg->hp = g->in[1] + g->p[1] + g->pe[1];
	wg->wp = g->in[2] + g->p[2] + g->pe[2];
	/* the output is what the padded input gives (no explicit output shape to honour) */
	if (g->out[1] != wg->hp - g->k[1] + 1 || g->out[2] != wg->wp - g->k[2] + 1 || g->out[1] < 1 ||
		g->out[2] < 1)
		return false;
	wg->plane = wg->hp * wg->wp;
	wg->nw = g->out[1] * wg->wp;
	return true;
}

/* floats of the wide convolution's scratch: padded input (and a tail), packed rows, output */
static int64_t
wide_scratch(const geo3 *g, const wide_geo *wg, int64_t cg, int64_t mg)
{
	return cg * wg->plane + g->k[2] + cg * g->ksz * wg->nw + mg * wg->nw;
}

int64_t
ox_conv_scratch(const ox_window *w)
{
	geo3	 g;
	wide_geo wg;

	geo3_make(w, &g);
	if (conv_wide(&g, &wg))
		return wide_scratch(&g, &wg, w->c / w->group, w->m / w->group) +
			   /* the row pointers, as floats, and one to align them */
			   ((w->c / w->group) * g.ksz * (int64_t) sizeof(float *) + sizeof(float) - 1) /
				   (int64_t) sizeof(float) +
			   1;
	/* the column matrix (none for 1 x 1), and its packed copy where the packed kernel runs */
	return (conv_pointwise(&g) ? 0 : 1 + ox_vec_gemm_packed_wins()) * (w->c / w->group) * g.ksz *
		   g.osz;
}

/* one group of one image by the wide layout: y[mg][osz] = bias + wt xg */
static void
conv_wide_group(const geo3 *g, const wide_geo *wg, int64_t cg, int64_t mg, const float *xg,
				const float *wt, const float *bias, bool relu, float *y, float *scratch)
{
	int64_t ck = cg * g->ksz;
	float  *xp = scratch;
	float  *packed = xp + cg * wg->plane + g->k[2];
	float  *yw = packed + ck * wg->nw;
	/* the row pointers after the output, aligned (ox_conv_scratch left a float for it) */
	const float **rows = (const float **) (((uintptr_t) (yw + mg * wg->nw) + sizeof(float *) - 1) &
										   ~(uintptr_t) (sizeof(float *) - 1));

	/* the padded input, zero around (and in the tail the last taps read past) */
	memset(xp, 0, sizeof(float) * (cg * wg->plane + g->k[2]));
	for (int64_t ci = 0; ci < cg; ci++)
		for (int64_t i1 = 0; i1 < g->in[1]; i1++)
			memcpy(xp + ci * wg->plane + (i1 + g->p[1]) * wg->wp + g->p[2],
				   xg + (ci * g->in[1] + i1) * g->in[2], sizeof(float) * g->in[2]);
	/* row (ci, k1, k2) of the column matrix: the padded plane from k1 * wp + k2 */
	for (int64_t ci = 0; ci < cg; ci++)
		for (int64_t k1 = 0; k1 < g->k[1]; k1++)
			for (int64_t k2 = 0; k2 < g->k[2]; k2++)
				rows[(ci * g->k[1] + k1) * g->k[2] + k2] = xp + ci * wg->plane + k1 * wg->wp + k2;
	ox_vec_gemm_pack_rows(wg->nw, ck, rows, packed);
	for (int64_t oc = 0; oc < mg; oc++)
		ox_vec_fill(yw + oc * wg->nw, bias ? bias[oc] : 0.0f, wg->nw);
	ox_vec_gemm_acc(mg, wg->nw, ck, wt, packed, yw);
	/* the used columns of each wide row (and the fused Relu) */
	for (int64_t oc = 0; oc < mg; oc++)
		for (int64_t o1 = 0; o1 < g->out[1]; o1++)
			ox_vec_copy_relu(yw + oc * wg->nw + o1 * wg->wp, y + (oc * g->out[1] + o1) * g->out[2],
							 g->out[2], relu);
}

/* the output range [lo, hi) of positions o where o * s + off is in [0, len) */
static void
valid_range(int64_t len, int64_t s, int64_t off, int64_t out, int64_t *lo, int64_t *hi)
{
	*lo = off >= 0 ? 0 : (-off + s - 1) / s;
	*hi = len - off <= 0 ? 0 : (len - off + s - 1) / s;
	if (*hi > out)
		*hi = out;
	if (*lo > *hi)
		*lo = *hi;
}

/* col[cg * ksz][osz] from x[cg][in...] */
static void
im2col(const geo3 *g, int64_t cg, const float *x, float *col)
{
	for (int64_t ci = 0; ci < cg; ci++)
		for (int64_t k0 = 0; k0 < g->k[0]; k0++)
			for (int64_t k1 = 0; k1 < g->k[1]; k1++)
				for (int64_t k2 = 0; k2 < g->k[2]; k2++)
				{
					float *row =
						col + (((ci * g->k[0] + k0) * g->k[1] + k1) * g->k[2] + k2) * g->osz;
					int64_t off2 = k2 * g->d[2] - g->p[2], lo, hi;

					valid_range(g->in[2], g->s[2], off2, g->out[2], &lo, &hi);
					for (int64_t o0 = 0; o0 < g->out[0]; o0++)
					{
						int64_t i0 = o0 * g->s[0] + k0 * g->d[0] - g->p[0];

						for (int64_t o1 = 0; o1 < g->out[1]; o1++)
						{
							int64_t		 i1 = o1 * g->s[1] + k1 * g->d[1] - g->p[1];
							float		*r = row + (o0 * g->out[1] + o1) * g->out[2];
							const float *xr;

							if (i0 < 0 || i0 >= g->in[0] || i1 < 0 || i1 >= g->in[1])
							{
								memset(r, 0, sizeof(float) * g->out[2]);
								continue;
							}
							xr = x + ((ci * g->in[0] + i0) * g->in[1] + i1) * g->in[2] + off2;
							memset(r, 0, sizeof(float) * lo);
							if (g->s[2] == 1)
								memcpy(r + lo, xr + lo, sizeof(float) * (hi - lo));
							else
								for (int64_t o2 = lo; o2 < hi; o2++)
									r[o2] = xr[o2 * g->s[2]];
							memset(r + hi, 0, sizeof(float) * (g->out[2] - hi));
						}
					}
				}
}

void
ox_conv_f32(const ox_window *w, const float *x, const float *wt, const float *bias, float *y,
			float *scratch)
{
	geo3	 g;
	wide_geo wg;
	int64_t	 cg = w->c / w->group, mg = w->m / w->group;
	bool	 pw, packed;

	geo3_make(w, &g);
	if (conv_wide(&g, &wg))
	{
		for (int64_t b = 0; b < w->n; b++)
			for (int64_t gr = 0; gr < w->group; gr++)
				conv_wide_group(&g, &wg, cg, mg, x + (b * w->c + gr * cg) * g.isz,
								wt + gr * mg * cg * g.ksz, bias ? bias + gr * mg : NULL, w->relu,
								y + (b * w->m + gr * mg) * g.osz, scratch);
		return;
	}
	pw = conv_pointwise(&g);
	/*
	 * the packed kernel where it beats OpenBLAS (ox_conv_scratch made room);
	 * not for 1 x 1, nor for an empty product (no scratch then)
	 */
	packed = !pw && cg * g.ksz * g.osz > 0 && ox_vec_gemm_packed_wins();
	for (int64_t b = 0; b < w->n; b++)
	{
		float *yb = y + b * w->m * g.osz;

		for (int64_t oc = 0; oc < w->m; oc++)
		{
			float v = bias ? bias[oc] : 0.0f;

			for (int64_t i = 0; i < g.osz; i++)
				yb[oc * g.osz + i] = v;
		}
		for (int64_t gr = 0; gr < w->group; gr++)
		{
			const float *xg = x + (b * w->c + gr * cg) * g.isz;
			const float *col = xg;

			if (!pw)
			{
				im2col(&g, cg, xg, scratch);
				col = scratch;
			}
			if (packed)
			{
				/* y[mg x osz] += W[mg x ck] col[ck x osz], col packed as the kernel's B */
				ox_vec_gemm_pack(g.osz, cg * g.ksz, col, true, scratch + cg * g.ksz * g.osz);
				ox_vec_gemm_acc(mg, g.osz, cg * g.ksz, wt + gr * mg * cg * g.ksz,
								scratch + cg * g.ksz * g.osz, yb + gr * mg * g.osz);
			}
			else
				ox_gemm_f32(false, false, mg, g.osz, cg * g.ksz, 1.0f, wt + gr * mg * cg * g.ksz,
							col, 1.0f, yb + gr * mg * g.osz);
		}
		if (w->relu)
			ox_vec_copy_relu(yb, yb, w->m * g.osz, true);
	}
}

/* ---------- pools ---------- */

/*
 * the kernel taps [lo, hi) of output o in dim i that land inside the input
 * (so a window mostly in the padding costs only its valid taps)
 */
static void
kernel_range(const geo3 *g, int i, int64_t o, int64_t *lo, int64_t *hi)
{
	int64_t start = o * g->s[i] - g->p[i];

	if (g->d[i] == 1) /* no division: the common case, per output in the pools */
	{
		*lo = start >= 0 ? 0 : -start;
		*hi = g->in[i] - start;
	}
	else
	{
		*lo = start >= 0 ? 0 : (-start + g->d[i] - 1) / g->d[i];
		*hi = g->in[i] - start <= 0 ? 0 : (g->in[i] - start + g->d[i] - 1) / g->d[i];
	}
	if (*hi > g->k[i])
		*hi = g->k[i];
	if (*lo > *hi)
		*lo = *hi;
}

/* the max over the taps [klo, khi) of one window (first tap kept on ties and NaN as below) */
static inline float
window_max(const geo3 *g, const float *xp, const int64_t *o, const int64_t *klo, const int64_t *khi)
{
	float mx = -INFINITY;
	bool  first = true;

	for (int64_t k0 = klo[0]; k0 < khi[0]; k0++)
	{
		int64_t i0 = o[0] * g->s[0] + k0 * g->d[0] - g->p[0];

		for (int64_t k1 = klo[1]; k1 < khi[1]; k1++)
		{
			int64_t		 i1 = o[1] * g->s[1] + k1 * g->d[1] - g->p[1];
			const float *r = xp + (i0 * g->in[1] + i1) * g->in[2] + o[2] * g->s[2] - g->p[2];

			for (int64_t k2 = klo[2]; k2 < khi[2]; k2++)
			{
				float v = r[k2 * g->d[2]];

				if (first || v > mx)
					mx = v;
				first = false;
			}
		}
	}
	return mx;
}

/* every window inside the input: no padding, no dilation, none past the end */
static bool
pool_plain(const geo3 *g)
{
	for (int i = 0; i < 3; i++)
		if (g->p[i] != 0 || g->d[i] != 1 || (g->out[i] - 1) * g->s[i] + g->k[i] > g->in[i])
			return false;
	return true;
}

/* one plane of a plain 1-D or 2-D max pool (k[0] == 1): no range checks in the loops */
static void
maxpool_plane_2d(const geo3 *g, const float *xp, float *yp)
{
	int64_t k1 = g->k[1], k2 = g->k[2], s1 = g->s[1], s2 = g->s[2], in2 = g->in[2];

	if (k1 == 2 && k2 == 2 && s1 == 2 && s2 == 2)
	{
		/* the usual 2 x 2, stride 2: the taps in the order of the loop below */
		for (int64_t o1 = 0; o1 < g->out[1]; o1++)
		{
			const float *r0 = xp + o1 * 2 * in2;

			ox_vec_maxpool2x2_row(r0, r0 + in2, yp + o1 * g->out[2], g->out[2]);
		}
		return;
	}

	for (int64_t o1 = 0; o1 < g->out[1]; o1++)
	{
		const float *r = xp + o1 * s1 * in2;
		float		*yr = yp + o1 * g->out[2];

		for (int64_t o2 = 0; o2 < g->out[2]; o2++)
		{
			const float *t = r + o2 * s2;
			float		 mx = t[0];

			for (int64_t a = 0; a < k1; a++)
				for (int64_t b = 0; b < k2; b++)
				{
					float v = t[a * in2 + b];

					mx = v > mx ? v : mx;
				}
			yr[o2] = mx;
		}
	}
}

void
ox_maxpool_f32(const ox_window *w, const float *x, float *y, int64_t *indices, bool col_major)
{
	geo3 g;

	geo3_make(w, &g);
	if (indices == NULL && g.k[0] == 1 && g.out[0] == 1 && pool_plain(&g))
	{
		for (int64_t pl = 0; pl < w->n * w->c; pl++)
			maxpool_plane_2d(&g, x + pl * g.isz, y + pl * g.osz);
		return;
	}
	for (int64_t pl = 0; pl < w->n * w->c; pl++)
	{
		const float *xp = x + pl * g.isz;
		float		*yp = y + pl * g.osz;
		int64_t		 o[3], klo[3], khi[3];

		/* each dim's taps computed at its own loop level, not per output and dim */
		for (o[0] = 0; o[0] < g.out[0]; o[0]++)
		{
			kernel_range(&g, 0, o[0], &klo[0], &khi[0]);
			for (o[1] = 0; o[1] < g.out[1]; o[1]++)
			{
				kernel_range(&g, 1, o[1], &klo[1], &khi[1]);
				for (o[2] = 0; o[2] < g.out[2]; o[2]++)
				{
					int64_t at_y = (o[0] * g.out[1] + o[1]) * g.out[2] + o[2];

					kernel_range(&g, 2, o[2], &klo[2], &khi[2]);
					if (indices == NULL)
					{
						yp[at_y] = window_max(&g, xp, o, klo, khi);
						continue;
					}
					{
						float	mx = -INFINITY;
						int64_t arg = -1;

						for (int64_t k0 = klo[0]; k0 < khi[0]; k0++)
						{
							int64_t i0 = o[0] * g.s[0] + k0 * g.d[0] - g.p[0];

							for (int64_t k1 = klo[1]; k1 < khi[1]; k1++)
							{
								int64_t i1 = o[1] * g.s[1] + k1 * g.d[1] - g.p[1];

								for (int64_t k2 = klo[2]; k2 < khi[2]; k2++)
								{
									int64_t i2 = o[2] * g.s[2] + k2 * g.d[2] - g.p[2];
									int64_t at = (i0 * g.in[1] + i1) * g.in[2] + i2;

									if (arg < 0 || xp[at] > mx)
									{
										mx = xp[at];
										arg = col_major ? (i2 * g.in[1] + i1) * g.in[0] + i0 : at;
									}
								}
							}
						}
						yp[at_y] = mx;
						indices[pl * g.osz + at_y] = pl * g.isz + (arg < 0 ? 0 : arg);
					}
				}
			}
		}
	}
}

/* the window of output o in one dim: [lo, hi) inside the input, and its padded extent */
static void
avg_window(const geo3 *g, int i, int64_t o, int64_t *lo, int64_t *hi, int64_t *padded)
{
	int64_t start = o * g->s[i] - g->p[i];
	int64_t end = start + (g->k[i] - 1) * g->d[i] + 1;
	int64_t pend = end < g->in[i] + g->pe[i] ? end : g->in[i] + g->pe[i];

	*padded = pend - start;
	*lo = start < 0 ? 0 : start;
	*hi = end < g->in[i] ? end : g->in[i];
}

void
ox_avgpool_f32(const ox_window *w, const float *x, float *y, bool count_include_pad)
{
	geo3 g;

	geo3_make(w, &g);
	for (int64_t pl = 0; pl < w->n * w->c; pl++)
	{
		const float *xp = x + pl * g.isz;
		float		*yp = y + pl * g.osz;

		for (int64_t o0 = 0; o0 < g.out[0]; o0++)
			for (int64_t o1 = 0; o1 < g.out[1]; o1++)
				for (int64_t o2 = 0; o2 < g.out[2]; o2++)
				{
					int64_t lo[3], hi[3], pad[3], cnt;
					int64_t o[3] = {o0, o1, o2};
					float	sum = 0.0f;

					for (int i = 0; i < 3; i++)
						avg_window(&g, i, o[i], &lo[i], &hi[i], &pad[i]);
					for (int64_t i0 = lo[0]; i0 < hi[0]; i0++)
						for (int64_t i1 = lo[1]; i1 < hi[1]; i1++)
						{
							const float *xr = xp + (i0 * g.in[1] + i1) * g.in[2];

							for (int64_t i2 = lo[2]; i2 < hi[2]; i2++)
								sum += xr[i2];
						}
					if (count_include_pad)
						cnt = pad[0] * pad[1] * pad[2];
					else
						cnt = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
					yp[(o0 * g.out[1] + o1) * g.out[2] + o2] = cnt > 0 ? sum / (float) cnt : NAN;
				}
	}
}

void
ox_batchnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t inner, const float *scale,
				 const float *b, const float *mean, const float *var, float eps)
{
	for (int64_t ci = 0; ci < c; ci++)
	{
		float mul = scale[ci] / sqrtf(var[ci] + eps);
		float add = b[ci] - mean[ci] * mul;

		for (int64_t bi = 0; bi < n; bi++)
		{
			const float *xr = x + (bi * c + ci) * inner;
			float		*yr = y + (bi * c + ci) * inner;

			for (int64_t i = 0; i < inner; i++)
				yr[i] = xr[i] * mul + add;
		}
	}
}

/* ---------- Pad ---------- */

/* the input index of output index o in a dim of length len, or -1 (the constant) */
static int64_t
pad_source(int64_t o, int64_t len, int64_t begin, ox_pad_mode mode)
{
	int64_t i = o - begin;

	if (i >= 0 && i < len)
		return i;
	if (mode == OX_PAD_CONSTANT || len == 0)
		return -1;
	if (mode == OX_PAD_EDGE || len == 1)
		return i < 0 ? 0 : len - 1;
	/* reflect, period 2 (len - 1) */
	i = i % (2 * (len - 1));
	if (i < 0)
		i += 2 * (len - 1);
	return i < len ? i : 2 * (len - 1) - i;
}

void
ox_pad(const void *x, void *y, size_t elem, int ndim, const int64_t *in, const int64_t *begin,
	   const int64_t *end, ox_pad_mode mode, const void *value)
{
	int64_t		out[OX_MATH_MAX_DIMS], idx[OX_MATH_MAX_DIMS] = {0};
	int64_t		rows = 1, inner;
	char	   *yc = y;
	const char *xc = x;

	if (ndim == 0)
	{
		memcpy(y, x, elem);
		return;
	}
	for (int i = 0; i < ndim; i++)
	{
		out[i] = in[i] + begin[i] + end[i];
		if (i < ndim - 1)
			rows *= out[i];
	}
	inner = out[ndim - 1];
	for (int64_t r = 0; r < rows && inner > 0; r++, yc += inner * elem)
	{
		int64_t src = 0;
		bool	constant = false;

		for (int i = 0; i < ndim - 1; i++)
		{
			int64_t s = pad_source(idx[i], in[i], begin[i], mode);

			if (s < 0)
				constant = true;
			src = src * in[i] + (s < 0 ? 0 : s);
		}
		src *= in[ndim - 1];
		for (int64_t k = 0; k < inner; k++)
		{
			int64_t s = constant ? -1 : pad_source(k, in[ndim - 1], begin[ndim - 1], mode);

			memcpy(yc + k * elem, s < 0 ? value : xc + (src + s) * elem, elem);
		}
		for (int i = ndim - 2; i >= 0; i--)
		{
			if (++idx[i] < out[i])
				break;
			idx[i] = 0;
		}
	}
}

/* ---------- kernels: the window attributes ---------- */

#define ATTR_MAX ((int64_t) 1 << 30)

/* an ints attribute of count elements each in [lo, ATTR_MAX], or absent */
static pgl_rc
check_ints(const pgl_ox_node *n, const char *name, int64_t lo, pgl_status *st)
{
	const int64_t *v;
	int32_t		   count = pgl_ox_attr_ints(n, name, &v);

	for (int32_t i = 0; i < count; i++)
		if (v[i] < lo || v[i] > ATTR_MAX)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Each value is between the bounds named.",
							   "%s node \"%s\" has %s[%d] = %lld, not in [%lld, %lld]", n->op_type,
							   n->name, name, i, (long long) v[i], (long long) lo,
							   (long long) ATTR_MAX);
	return PGL_OK;
}

static pgl_rc
check_flag(const pgl_ox_node *n, const char *name, pgl_status *st)
{
	int64_t v = pgl_ox_attr_int(n, name, 0);

	if (v != 0 && v != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It is 0 or 1.", "%s node \"%s\" has %s %lld",
						   n->op_type, n->name, name, (long long) v);
	return PGL_OK;
}

static const char *const auto_pads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

/* static check of Conv, MaxPool, AveragePool */
pgl_rc
pgl_ox_c_window(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const int64_t *v;
	int32_t		   nk = pgl_ox_attr_ints(n, "kernel_shape", &v);
	bool		   conv = strcmp(n->op_type, "Conv") == 0;
	const char	  *ap = pgl_ox_attr_string(n, "auto_pad", "NOTSET");
	bool		   ap_ok = false;

	(void) m;
	if (!conv && nk < 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "A pool has a kernel_shape of 1 to 3 dims.",
						   "%s node \"%s\" has no kernel_shape", n->op_type, n->name);
	if (nk > 3)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Windows of 1 to 3 spatial dims are supported.",
						   "unsupported ONNX %s over %d spatial dims (node \"%s\")", n->op_type, nk,
						   n->name);
	if (check_ints(n, "kernel_shape", 1, st) || check_ints(n, "strides", 1, st) ||
		check_ints(n, "dilations", 1, st) || check_ints(n, "pads", 0, st) ||
		check_flag(n, "ceil_mode", st) || check_flag(n, "count_include_pad", st))
		return st->rc;
	for (int i = 0; i < 4; i++)
		ap_ok |= strcmp(ap, auto_pads[i]) == 0;
	if (!ap_ok)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "auto_pad is NOTSET, SAME_UPPER, SAME_LOWER or VALID.",
						   "%s node \"%s\" has auto_pad \"%s\"", n->op_type, n->name, ap);
	if (conv && (pgl_ox_attr_int(n, "group", 1) < 1 || pgl_ox_attr_int(n, "group", 1) > ATTR_MAX))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "group is a positive count of channel groups.",
						   "Conv node \"%s\" has group %lld", n->name,
						   (long long) pgl_ox_attr_int(n, "group", 1));
	if (check_flag(n, "storage_order", st))
		return st->rc;
	return PGL_OK;
}

/* an ints attribute that must have count elements (or be absent: dflt each) */
static pgl_rc
window_ints(const pgl_ox_node *n, const char *name, int count, int64_t dflt, int64_t *out,
			pgl_status *st)
{
	const int64_t *v;
	int32_t		   c = pgl_ox_attr_ints(n, name, &v);

	if (c >= 0 && c != count)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It has one value per spatial dim (pads two).",
						   "%s node \"%s\" has %d %s for %d values", n->op_type, n->name, c, name,
						   count);
	for (int i = 0; i < count; i++)
		out[i] = c >= 0 ? v[i] : dflt;
	return PGL_OK;
}

/* fill w's spatial geometry from x's shape, the kernel and the attributes */
static pgl_rc
window_make(const pgl_ox_node *n, const pgl_ox_tensor *x, const int64_t *kernel, bool ceil,
			ox_window *w, pgl_status *st)
{
	int64_t		pads[6];
	const char *ap = pgl_ox_attr_string(n, "auto_pad", "NOTSET");

	w->nsp = x->ndim - 2;
	w->relu = false;
	w->n = x->dims[0];
	w->c = x->dims[1];
	if (window_ints(n, "strides", w->nsp, 1, w->stride, st) ||
		window_ints(n, "dilations", w->nsp, 1, w->dilation, st) ||
		window_ints(n, "pads", 2 * w->nsp, 0, pads, st))
		return st->rc;
	for (int i = 0; i < w->nsp; i++)
	{
		int64_t in = x->dims[i + 2], s = w->stride[i];
		int64_t ext = (kernel[i] - 1) * w->dilation[i] + 1, out, total;

		w->in[i] = in;
		w->kernel[i] = kernel[i];
		w->pad[i] = pads[i];
		w->pad_end[i] = pads[i + w->nsp];
		if (strcmp(ap, "VALID") == 0)
		{
			w->pad[i] = w->pad_end[i] = 0;
			out = in >= ext ? (in - ext) / s + 1 : 0;
		}
		else if (strncmp(ap, "SAME_", 5) == 0)
		{
			out = (in + s - 1) / s;
			total = (out - 1) * s + ext - in;
			total = total > 0 ? total : 0;
			w->pad[i] = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
			w->pad_end[i] = total - w->pad[i];
		}
		else
		{
			int64_t span = in + w->pad[i] + w->pad_end[i] - ext;

			out = span < 0 ? 0 : (ceil ? (span + s - 1) / s : span / s) + 1;
			/* a last window that would start in the end padding is dropped (as PyTorch) */
			if (ceil && out > 0 && (out - 1) * s >= in + w->pad[i])
				out--;
		}
		if (out < 1)
			return pgl_ox_fail(
				st, PGL_ERR_INVALID, "The window, dilated, fits in the padded input.",
				"%s node \"%s\": a window of %lld does not fit spatial dim %d of %lld", n->op_type,
				n->name, (long long) ext, i, (long long) in);
		w->out[i] = out;
	}
	return PGL_OK;
}

/* x is a float [N, C, spatial...] tensor of 1 to 3 spatial dims */
static pgl_rc
window_input(const pgl_ox_node *n, const pgl_ox_tensor *x, pgl_status *st)
{
	if (x->dtype != PGL_OX_FLOAT)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float tensor.",
						   "%s node \"%s\" got a %s input", n->op_type, n->name,
						   pgl_ox_dtype_name(x->dtype));
	if (x->ndim < 3 || x->ndim > 5)
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "It takes [N, C, D1, ...] with 1 to 3 spatial dims.",
						   "%s node \"%s\" got an input of rank %d", n->op_type, n->name, x->ndim);
	return PGL_OK;
}

/* ---------- kernels ---------- */

pgl_rc
pgl_ox_k_conv(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0], *wt = in[1], *bt = n_in > 2 ? in[2] : NULL;
	ox_window			 w;
	int64_t				 yd[5], kernel[3];
	int64_t				 nscratch;
	float				*scratch = NULL;

	(void) n_out;
	if (window_input(n, xt, st) != PGL_OK)
		return st->rc;
	if (wt->dtype != PGL_OX_FLOAT || wt->ndim != xt->ndim)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "W is a float [M, C / group, k...] tensor.",
						   "Conv node \"%s\" got a %s W of rank %d for an input of rank %d",
						   n->name, pgl_ox_dtype_name(wt->dtype), wt->ndim, xt->ndim);
	w.group = pgl_ox_attr_int(n, "group", 1);
	w.m = wt->dims[0];
	if (w.m % w.group != 0 || wt->dims[1] * w.group != xt->dims[1])
		return pgl_ox_fail(st, PGL_ERR_INVALID,
						   "X has group x W's channels, and W's filters split into the groups.",
						   "Conv node \"%s\" has %lld input channels, W of %lld x %lld, group %lld",
						   n->name, (long long) xt->dims[1], (long long) wt->dims[0],
						   (long long) wt->dims[1], (long long) w.group);
	if (window_ints(n, "kernel_shape", xt->ndim - 2, 0, kernel, st) != PGL_OK)
		return st->rc;
	for (int i = 0; i < xt->ndim - 2; i++)
		if (pgl_ox_attr_find(n, "kernel_shape") && kernel[i] != wt->dims[i + 2])
			return pgl_ox_fail(st, PGL_ERR_INVALID, "kernel_shape matches W's spatial dims.",
							   "Conv node \"%s\" has kernel_shape[%d] %lld and W dim %lld", n->name,
							   i, (long long) kernel[i], (long long) wt->dims[i + 2]);
	for (int i = 0; i < xt->ndim - 2; i++)
		kernel[i] = wt->dims[i + 2];
	if (bt && (bt->dtype != PGL_OX_FLOAT || bt->count != w.m || bt->ndim != 1))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "B is a float [M] tensor.",
						   "Conv node \"%s\" got a B of %lld elements for %lld filters", n->name,
						   (long long) bt->count, (long long) w.m);
	if (window_make(n, xt, kernel, false, &w, st) != PGL_OK)
		return st->rc;
	w.relu = n->fused_relu;
	yd[0] = w.n;
	yd[1] = w.m;
	for (int i = 0; i < w.nsp; i++)
		yd[i + 2] = w.out[i];
	if (pgl_ox_output(x, out[0], PGL_OX_FLOAT, xt->ndim, yd, st) != PGL_OK)
		return st->rc;
	if (wt->count / w.group > INT32_MAX ||
		(w.n * w.m > 0 && out[0]->count / (w.n * w.m) > INT32_MAX))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Each dimension of a product is below 2^31.",
						   "Conv node \"%s\" is too large", n->name);
	nscratch = ox_conv_scratch(&w);
	if (nscratch > 0 && !(scratch = pgl_ox_scratch(x, (size_t) nscratch * sizeof(float), st)))
		return st->rc;
	if (out[0]->count > 0)
		ox_conv_f32(&w, xt->data, wt->data, bt ? bt->data : NULL, out[0]->data, scratch);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_pool(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0];
	bool				 max = strcmp(n->op_type, "MaxPool") == 0;
	ox_window			 w;
	int64_t				 yd[5], kernel[3];

	(void) n_in;
	if (window_input(n, xt, st) != PGL_OK ||
		window_ints(n, "kernel_shape", xt->ndim - 2, 0, kernel, st) != PGL_OK)
		return st->rc;
	if (!max && pgl_ox_attr_find(n, "dilations"))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "AveragePool has no dilations before opset 19.",
						   "unsupported ONNX AveragePool dilations (node \"%s\")", n->name);
	w.m = xt->dims[1];
	w.group = 1;
	if (window_make(n, xt, kernel, pgl_ox_attr_int(n, "ceil_mode", 0) == 1, &w, st) != PGL_OK)
		return st->rc;
	yd[0] = w.n;
	yd[1] = w.c;
	for (int i = 0; i < w.nsp; i++)
		yd[i + 2] = w.out[i];
	if (pgl_ox_output(x, out[0], PGL_OX_FLOAT, xt->ndim, yd, st) != PGL_OK)
		return st->rc;
	if (n_out > 1 && out[1] && pgl_ox_output(x, out[1], PGL_OX_INT64, xt->ndim, yd, st) != PGL_OK)
		return st->rc;
	if (max)
		ox_maxpool_f32(&w, xt->data, out[0]->data,
					   n_out > 1 && out[1] ? (int64_t *) out[1]->data : NULL,
					   pgl_ox_attr_int(n, "storage_order", 0) == 1);
	else
		ox_avgpool_f32(&w, xt->data, out[0]->data, pgl_ox_attr_int(n, "count_include_pad", 0) == 1);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_global_pool(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
					 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0];
	bool				 red[PGL_OX_MAX_DIMS] = {0};
	int64_t				 yd[PGL_OX_MAX_DIMS];

	(void) n_in;
	(void) n_out;
	if (xt->dtype != PGL_OX_FLOAT || xt->ndim < 2)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float [N, C, ...] tensor.",
						   "%s node \"%s\" got a %s input of rank %d", n->op_type, n->name,
						   pgl_ox_dtype_name(xt->dtype), xt->ndim);
	for (int i = 0; i < xt->ndim; i++)
	{
		red[i] = i >= 2;
		yd[i] = i >= 2 ? 1 : xt->dims[i];
		if (i >= 2 && xt->dims[i] == 0)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Each spatial dim has an element.",
							   "%s node \"%s\" got an empty spatial dim", n->op_type, n->name);
	}
	if (pgl_ox_output(x, out[0], PGL_OX_FLOAT, xt->ndim, yd, st) != PGL_OK)
		return st->rc;
	ox_reduce_f32(xt->data, xt->ndim, xt->dims, red,
				  strcmp(n->op_type, "GlobalMaxPool") == 0 ? OX_REDUCE_MAX : OX_REDUCE_MEAN,
				  out[0]->data);
	return PGL_OK;
}

pgl_rc
pgl_ox_c_batchnorm(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	(void) m;
	if (pgl_ox_attr_int(n, "training_mode", 0) != 0 || n->n_outputs > 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Inference mode only: one output, training_mode 0.",
						   "unsupported ONNX BatchNormalization in training mode (node \"%s\")",
						   n->name);
	if (pgl_ox_attr_int(n, "spatial", 1) != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Only spatial 1 (per-channel statistics).",
						   "unsupported ONNX BatchNormalization spatial %lld (node \"%s\")",
						   (long long) pgl_ox_attr_int(n, "spatial", 1), n->name);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_batchnorm(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0];
	int64_t				 c, inner = 1;

	(void) n_in;
	(void) n_out;
	if (xt->dtype != PGL_OX_FLOAT || xt->ndim < 2)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float [N, C, ...] tensor.",
						   "BatchNormalization node \"%s\" got a %s input of rank %d", n->name,
						   pgl_ox_dtype_name(xt->dtype), xt->ndim);
	c = xt->dims[1];
	for (int i = 2; i < xt->ndim; i++)
		inner *= xt->dims[i];
	for (int i = 1; i < 5; i++)
		if (!in[i] || in[i]->dtype != PGL_OX_FLOAT || in[i]->count != c)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "scale, B, mean and var are float [C] tensors.",
							   "BatchNormalization node \"%s\": input %d does not have %lld "
							   "float elements",
							   n->name, i, (long long) c);
	if (pgl_ox_output(x, out[0], PGL_OX_FLOAT, xt->ndim, xt->dims, st) != PGL_OK)
		return st->rc;
	ox_batchnorm_f32(xt->data, out[0]->data, xt->dims[0], c, inner, in[1]->data, in[2]->data,
					 in[3]->data, in[4]->data, pgl_ox_attr_float(n, "epsilon", 1e-5f));
	return PGL_OK;
}

pgl_rc
pgl_ox_c_pad(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const char *mode = pgl_ox_attr_string(n, "mode", "constant");

	(void) m;
	if (strcmp(mode, "constant") != 0 && strcmp(mode, "reflect") != 0 && strcmp(mode, "edge") != 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "mode is constant, reflect or edge.",
						   "Pad node \"%s\" has mode \"%s\"", n->name, mode);
	if (n->opset < 11 && pgl_ox_attr_ints(n, "pads", &(const int64_t *){NULL}) < 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Before opset 11 the pads are an attribute.",
						   "Pad node \"%s\" has no pads", n->name);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_pad(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0];
	const char			*ms = pgl_ox_attr_string(n, "mode", "constant");
	ox_pad_mode mode = ms[0] == 'c' ? OX_PAD_CONSTANT : ms[0] == 'r' ? OX_PAD_REFLECT : OX_PAD_EDGE;
	int64_t		begin[PGL_OX_MAX_DIMS], end[PGL_OX_MAX_DIMS], yd[PGL_OX_MAX_DIMS];
	int64_t		npads;
	const int64_t *ap = NULL;
	char		   value[8] = {0};
	double		   cv = pgl_ox_attr_float(n, "value", 0.0f);
	size_t		   es = pgl_ox_dtype_size(xt->dtype);

	(void) n_out;
	if (n->opset >= 11)
	{
		if (in[1]->dtype != PGL_OX_INT64 || in[1]->ndim != 1)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "pads is a 1-D int64 tensor.",
							   "Pad node \"%s\" got pads that are not", n->name);
		npads = in[1]->count;
		ap = in[1]->data;
		if (n_in > 2 && in[2])
		{
			if (in[2]->dtype != xt->dtype || in[2]->count != 1)
				return pgl_ox_fail(
					st, PGL_ERR_INVALID, "constant_value is one element of the input's dtype.",
					"Pad node \"%s\" got a constant_value of %lld %s elements", n->name,
					(long long) in[2]->count, pgl_ox_dtype_name(in[2]->dtype));
			memcpy(value, in[2]->data, es);
		}
	}
	else
		npads = pgl_ox_attr_ints(n, "pads", &ap);
	if (npads != 2 * (int64_t) xt->ndim)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "pads has two values per input dim.",
						   "Pad node \"%s\" got %lld pads for an input of rank %d", n->name,
						   (long long) npads, xt->ndim);
	if (n->opset < 11)
	{
		if (xt->dtype == PGL_OX_FLOAT)
			*(float *) value = (float) cv;
		else if (xt->dtype == PGL_OX_DOUBLE)
			*(double *) value = cv;
	}
	for (int i = 0; i < xt->ndim; i++)
	{
		begin[i] = ap[i];
		end[i] = ap[i + xt->ndim];
		if (begin[i] < -xt->dims[i] || end[i] < -xt->dims[i] || begin[i] > ((int64_t) 1 << 40) ||
			end[i] > ((int64_t) 1 << 40) || xt->dims[i] + begin[i] + end[i] < 0)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "A dim padded is not negative.",
							   "Pad node \"%s\" pads dim %d of %lld by %lld and %lld", n->name, i,
							   (long long) xt->dims[i], (long long) begin[i], (long long) end[i]);
		if (mode != OX_PAD_CONSTANT && xt->dims[i] == 0 && (begin[i] > 0 || end[i] > 0))
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Reflect and edge pad a non-empty dim.",
							   "Pad node \"%s\" pads empty dim %d in mode %s", n->name, i, ms);
		yd[i] = xt->dims[i] + begin[i] + end[i];
	}
	if (pgl_ox_output(x, out[0], xt->dtype, xt->ndim, yd, st) != PGL_OK)
		return st->rc;
	if (out[0]->count > 0)
		ox_pad(xt->data, out[0]->data, es, xt->ndim, xt->dims, begin, end, mode, value);
	return PGL_OK;
}
