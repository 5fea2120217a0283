/*-------------------------------------------------------------------------
 *
 * ops_matmul.c
 *	  ONNX MatMul (numpy batched broadcasting, 1-D promotion) and Gemm
 *	  (alpha, beta, transA, transB, C broadcast), over cblas_sgemm and
 *	  cblas_dgemm.
 *
 * MatMul folds a batch of A onto its rows when B has no batch (the
 * Linear layer on a [batch, seq, features] input), so it is one GEMM;
 * otherwise one GEMM per broadcast batch element.
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

void
ox_gemm_f32(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
			const float *b, float beta, float *y)
{
	if (m == 0 || n == 0)
		return;
	if (k == 0)
	{
		for (int64_t i = 0; i < m * n; i++)
			y[i] = beta == 0.0f ? 0.0f : beta * y[i];
		return;
	}
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
				(int) m, (int) n, (int) k, alpha, a, ta ? (int) m : (int) k, b,
				tb ? (int) k : (int) n, beta, y, (int) n);
}

void
ox_gemm_f64(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
			const double *b, double beta, double *y)
{
	if (m == 0 || n == 0)
		return;
	if (k == 0)
	{
		for (int64_t i = 0; i < m * n; i++)
			y[i] = beta == 0.0 ? 0.0 : beta * y[i];
		return;
	}
	cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
				(int) m, (int) n, (int) k, alpha, a, ta ? (int) m : (int) k, b,
				tb ? (int) k : (int) n, beta, y, (int) n);
}

/* ---------- MatMul shapes ---------- */

/*
 * The matrix view of a matmul: batch dims (broadcast, nb of them, each
 * operand's own with 1 where it broadcasts), m, k, n.
 */
typedef struct mm_view
{
	int		nb;
	int64_t ab[OX_MATH_MAX_DIMS], bb[OX_MATH_MAX_DIMS], yb[OX_MATH_MAX_DIMS];
	int64_t m, k, n;
} mm_view;

static bool
mm_view_make(int an, const int64_t *ad, int bn, const int64_t *bd, mm_view *v, pgl_status *st)
{
	int abn, bbn;

	if (an < 1 || bn < 1 || an > OX_MATH_MAX_DIMS || bn > OX_MATH_MAX_DIMS)
	{
		if (!st)
			return false;
		pgl_fail(st, PGL_ERR_INVALID, "matmul operands of rank %d and %d are not supported", an,
				 bn);
		snprintf(st->detail, sizeof(st->detail), "Each operand has 1 to %d dimensions.",
				 OX_MATH_MAX_DIMS);
		return false;
	}
	v->m = an == 1 ? 1 : ad[an - 2];
	v->k = ad[an - 1];
	v->n = bn == 1 ? 1 : bd[bn - 1];
	if ((bn == 1 ? bd[0] : bd[bn - 2]) != v->k)
	{
		if (st)
			pgl_fail(st, PGL_ERR_INVALID,
				 "matmul inner dimensions differ: %lld in the first operand, %lld in the second",
				 (long long) v->k, (long long) (bn == 1 ? bd[0] : bd[bn - 2]));
		return false;
	}
	abn = an > 2 ? an - 2 : 0;
	bbn = bn > 2 ? bn - 2 : 0;
	v->nb = abn > bbn ? abn : bbn;
	for (int i = 0; i < v->nb; i++)
	{
		int		ia = i - (v->nb - abn), ib = i - (v->nb - bbn);
		int64_t da = ia >= 0 ? ad[ia] : 1, db = ib >= 0 ? bd[ib] : 1;

		if (da != db && da != 1 && db != 1)
		{
			if (st)
				pgl_fail(st, PGL_ERR_INVALID,
					 "matmul batch dimensions %lld and %lld do not broadcast", (long long) da,
					 (long long) db);
			return false;
		}
		v->ab[i] = da;
		v->bb[i] = db;
		v->yb[i] = da == 1 ? db : da;
	}
	return true;
}

bool
ox_matmul_shape(int an, const int64_t *ad, int bn, const int64_t *bd, int *yn, int64_t *yd,
				pgl_status *st)
{
	mm_view v;
	int		k = 0;

	if (!mm_view_make(an, ad, bn, bd, &v, st))
		return false;
	for (int i = 0; i < v.nb; i++)
		yd[k++] = v.yb[i];
	if (an > 1)
		yd[k++] = v.m;
	if (bn > 1)
		yd[k++] = v.n;
	*yn = k;
	return true;
}

/* offsets of batch element (odometer idx) in an operand of batch dims bd */
static int64_t
mm_offset(const mm_view *v, const int64_t *bd, const int64_t *idx, int64_t mat)
{
	int64_t off = 0;

	for (int i = 0; i < v->nb; i++)
		off = off * bd[i] + (bd[i] == 1 ? 0 : idx[i]);
	return off * mat;
}

/* does the operand have batch elements of its own? */
static bool
mm_batched(const mm_view *v, const int64_t *bd)
{
	for (int i = 0; i < v->nb; i++)
		if (bd[i] != 1)
			return true;
	return false;
}

#define MATMUL_BODY(GEMM)                                                                          \
	mm_view v;                                                                                     \
	int64_t idx[OX_MATH_MAX_DIMS] = {0};                                                           \
	int64_t total = 1;                                                                             \
                                                                                                   \
	if (!mm_view_make(an, ad, bn, bd, &v, NULL))                                                   \
		return;                                                                                    \
	for (int i = 0; i < v.nb; i++)                                                                 \
		total *= v.yb[i];                                                                          \
	if (!mm_batched(&v, v.bb))                                                                     \
	{                                                                                              \
		/* fold A's batch onto its rows (A is [.., m, k] row-major) */                             \
		GEMM(false, false, total * v.m, v.n, v.k, 1, a, b, 0, y);                                  \
		return;                                                                                    \
	}                                                                                              \
	for (int64_t e = 0; e < total; e++)                                                            \
	{                                                                                              \
		GEMM(false, false, v.m, v.n, v.k, 1, a + mm_offset(&v, v.ab, idx, v.m * v.k),              \
			 b + mm_offset(&v, v.bb, idx, v.k * v.n), 0, y + e * v.m * v.n);                       \
		for (int i = v.nb - 1; i >= 0; i--)                                                        \
		{                                                                                          \
			if (++idx[i] < v.yb[i])                                                                \
				break;                                                                             \
			idx[i] = 0;                                                                            \
		}                                                                                          \
	}

void
ox_matmul_f32(int an, const int64_t *ad, const float *a, int bn, const int64_t *bd,
			  const float *b, float *y)
{
	MATMUL_BODY(ox_gemm_f32)
}

void
ox_matmul_f64(int an, const int64_t *ad, const double *a, int bn, const int64_t *bd,
			  const double *b, double *y)
{
	MATMUL_BODY(ox_gemm_f64)
}
