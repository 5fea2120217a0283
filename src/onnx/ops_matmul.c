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
#include "ox_kernels.h"

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
	if (m == 1) /* one row (a batch of 1): GEMV, which OpenBLAS runs much faster than SGEMM */
	{
		if (tb) /* b [n][k]: y = b a */
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) n, (int) k, alpha, b, (int) k, a, 1,
						beta, y, 1);
		else /* b [k][n]: y = b^T a */
			cblas_sgemv(CblasRowMajor, CblasTrans, (int) k, (int) n, alpha, b, (int) n, a, 1, beta,
						y, 1);
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
			pgl_fail(
				st, PGL_ERR_INVALID,
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
		GEMM(false, false, total *v.m, v.n, v.k, 1, a, b, 0, y);                                   \
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

/*
 * One product of a batched MatMul (attention's Q K^T and P V: 64 x 16 by
 * 16 x 64, and back, per head): B packed on the stack for vec.c's kernel
 * where it beats OpenBLAS, whose per-call packing and setup outweigh such
 * small products.
 */
static void
gemm_small_f32(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
			   const float *b, float beta, float *y)
{
	float packed[4096];

	if (ta || tb || alpha != 1.0f || beta != 0.0f || k * n > 4096 || k * n == 0 || m == 0 ||
		!ox_vec_gemm_packed_wins())
	{
		ox_gemm_f32(ta, tb, m, n, k, alpha, a, b, beta, y);
		return;
	}
	ox_vec_gemm_pack(n, k, b, true, packed);
	memset(y, 0, sizeof(float) * (size_t) (m * n));
	ox_vec_gemm_acc(m, n, k, a, packed, y);
}

void
ox_matmul_f32(int an, const int64_t *ad, const float *a, int bn, const int64_t *bd, const float *b,
			  float *y)
{
	MATMUL_BODY(gemm_small_f32)
}

void
ox_matmul_f64(int an, const int64_t *ad, const double *a, int bn, const int64_t *bd,
			  const double *b, double *y)
{
	MATMUL_BODY(ox_gemm_f64)
}

/* ---------- kernels ---------- */

static pgl_rc
float_operands(const pgl_ox_node *n, pgl_ox_tensor **in, int count, pgl_status *st)
{
	for (int i = 0; i < count; i++)
	{
		if (!in[i])
			continue;
		if (in[i]->dtype != PGL_OX_FLOAT && in[i]->dtype != PGL_OX_DOUBLE)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes float or double tensors.",
							   "%s node \"%s\" got a %s input %d", n->op_type, n->name,
							   pgl_ox_dtype_name(in[i]->dtype), i);
		if (in[i]->dtype != in[0]->dtype)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Its inputs have one dtype.",
							   "%s node \"%s\" mixes %s and %s inputs", n->op_type, n->name,
							   pgl_ox_dtype_name(in[0]->dtype), pgl_ox_dtype_name(in[i]->dtype));
	}
	return PGL_OK;
}

/* BLAS takes int dimensions */
static pgl_rc
blas_dims(const pgl_ox_node *n, int64_t m, int64_t k, int64_t nn, pgl_status *st)
{
	if (m > INT32_MAX || k > INT32_MAX || nn > INT32_MAX)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Each dimension of a product is below 2^31.",
						   "%s node \"%s\" has a product of %lld x %lld by %lld x %lld", n->op_type,
						   n->name, (long long) m, (long long) k, (long long) k, (long long) nn);
	return PGL_OK;
}

/*
 * A product by a constant B (an initializer: torch's Linear layers), packed
 * once at load for vec.c's kernel where it beats OpenBLAS
 * (ox_vec_gemm_packed_wins): n->state.  Over the model's memory bound the
 * node keeps SGEMM.
 */
typedef struct ox_packed_b
{
	int64_t m, k; /* op(B) is k x m */
	float  *data;
} ox_packed_b;

static ox_packed_b *
pack_const_b(const pgl_ox_model *m, const pgl_ox_node *n, bool b_is_mk)
{
	const pgl_ox_tensor *b = pgl_ox_const_input(m, n, 1);
	pgl_status			 ignored = {0};
	ox_packed_b			*pb;
	int64_t				 mm, kk;

	if (b == NULL || b->dtype != PGL_OX_FLOAT || b->ndim != 2 || !ox_vec_gemm_packed_wins())
		return NULL;
	mm = b_is_mk ? b->dims[0] : b->dims[1];
	kk = b_is_mk ? b->dims[1] : b->dims[0];
	if (mm <= 0 || kk <= 0)
		return NULL;
	pb = pgl_ox_state_alloc(m, sizeof(ox_packed_b) + sizeof(float) * (size_t) (mm * kk), &ignored);
	if (pb == NULL)
		return NULL;
	pb->m = mm;
	pb->k = kk;
	pb->data = (float *) (pb + 1);
	ox_vec_gemm_pack(mm, kk, b->data, !b_is_mk, pb->data);
	return pb;
}

pgl_rc
pgl_ox_c_matmul(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	(void) st;
	n->state = pack_const_b(m, n, false);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_matmul(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	pgl_ox_tensor *a = in[0], *b = in[1];
	int64_t		   yd[PGL_OX_MAX_DIMS];
	int			   yn;
	mm_view		   v;
	pgl_status	   why = {0};

	(void) n_in;
	(void) n_out;
	if (float_operands(n, in, 2, st) != PGL_OK)
		return st->rc;
	if (!mm_view_make(a->ndim, a->dims, b->ndim, b->dims, &v, &why))
		return pgl_ox_fail(st, PGL_ERR_INVALID, why.detail[0] ? why.detail : "",
						   "MatMul node \"%s\": %s", n->name, why.msg);
	if (blas_dims(n, v.m, v.k, v.n, st) != PGL_OK)
		return st->rc;
	ox_matmul_shape(a->ndim, a->dims, b->ndim, b->dims, &yn, yd, NULL);
	if (pgl_ox_output(x, out[0], a->dtype, yn, yd, st) != PGL_OK)
		return st->rc;
	/* a folded batch must fit BLAS's int too */
	if (out[0]->count / (v.n ? v.n : 1) > INT32_MAX)
		return blas_dims(n, out[0]->count, v.k, v.n, st);
	if (n->state && a->dtype == PGL_OX_FLOAT && a->ndim >= 2 && b->ndim == 2 && out[0]->count > 0)
	{
		const ox_packed_b *pb = n->state;
		int64_t			   k = a->dims[a->ndim - 1];

		if (pb->k == k && pb->m == b->dims[1] && k > 0)
		{
			memset(out[0]->data, 0, sizeof(float) * (size_t) out[0]->count);
			ox_vec_gemm_acc(a->count / k, pb->m, k, a->data, pb->data, out[0]->data);
			return PGL_OK;
		}
	}
	if (a->dtype == PGL_OX_FLOAT)
		ox_matmul_f32(a->ndim, a->dims, a->data, b->ndim, b->dims, b->data, out[0]->data);
	else
		ox_matmul_f64(a->ndim, a->dims, a->data, b->ndim, b->dims, b->data, out[0]->data);
	return PGL_OK;
}

pgl_rc
pgl_ox_c_gemm(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	int64_t ta = pgl_ox_attr_int(n, "transA", 0), tb = pgl_ox_attr_int(n, "transB", 0);

	if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "transA and transB are 0 or 1.",
						   "Gemm node \"%s\" has transA %lld and transB %lld", n->name,
						   (long long) ta, (long long) tb);
	n->state = pack_const_b(m, n, tb == 1);
	return PGL_OK;
}

/* y[M][N] = beta * C broadcast (C of rank <= 2) */
#define GEMM_FILL_C(T)                                                                             \
	do                                                                                             \
	{                                                                                              \
		const T *cv = c->data;                                                                     \
		T		*yv = y->data;                                                                     \
		int64_t	 sr = (c->ndim == 2 && c->dims[0] != 1) ? cd1 : 0;                                 \
		int64_t	 sc = cd1 != 1 ? 1 : 0;                                                            \
                                                                                                   \
		for (int64_t i = 0; i < mm; i++)                                                           \
			for (int64_t j = 0; j < nn; j++)                                                       \
				yv[i * nn + j] = (T) beta * cv[i * sr + j * sc];                                   \
	} while (0)

pgl_rc
pgl_ox_k_gemm(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			  pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	pgl_ox_tensor *a = in[0], *b = in[1], *c = n_in > 2 ? in[2] : NULL, *y = out[0];
	bool		   ta = pgl_ox_attr_int(n, "transA", 0), tb = pgl_ox_attr_int(n, "transB", 0);
	double		   alpha = pgl_ox_attr_float(n, "alpha", 1.0f);
	double		   beta = pgl_ox_attr_float(n, "beta", 1.0f);
	int64_t		   mm, kk, nn, kb, yd[2], cd0 = 1, cd1 = 1;

	(void) n_out;
	if (float_operands(n, in, n_in, st) != PGL_OK)
		return st->rc;
	if (a->ndim != 2 || b->ndim != 2)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "A and B are matrices.",
						   "Gemm node \"%s\" got A of rank %d and B of rank %d", n->name, a->ndim,
						   b->ndim);
	mm = ta ? a->dims[1] : a->dims[0];
	kk = ta ? a->dims[0] : a->dims[1];
	kb = tb ? b->dims[1] : b->dims[0];
	nn = tb ? b->dims[0] : b->dims[1];
	if (kk != kb)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "The columns of op(A) are the rows of op(B).",
						   "Gemm node \"%s\" multiplies %lld x %lld by %lld x %lld", n->name,
						   (long long) mm, (long long) kk, (long long) kb, (long long) nn);
	if (c)
	{
		if (c->ndim > 2)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "C has rank 0 to 2.",
							   "Gemm node \"%s\" got C of rank %d", n->name, c->ndim);
		cd1 = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
		cd0 = c->ndim == 2 ? c->dims[0] : 1;
		if ((cd1 != 1 && cd1 != nn) || (cd0 != 1 && cd0 != mm))
			return pgl_ox_fail(st, PGL_ERR_INVALID, "C broadcasts to [M, N].",
							   "Gemm node \"%s\" got C of %lld x %lld for an output of %lld x %lld",
							   n->name, (long long) cd0, (long long) cd1, (long long) mm,
							   (long long) nn);
	}
	if (blas_dims(n, mm, kk, nn, st) != PGL_OK)
		return st->rc;
	yd[0] = mm;
	yd[1] = nn;
	if (pgl_ox_output(x, y, a->dtype, 2, yd, st) != PGL_OK)
		return st->rc;
	if (c && beta != 0.0)
	{
		if (a->dtype == PGL_OX_FLOAT)
			GEMM_FILL_C(float);
		else
			GEMM_FILL_C(double);
	}
	if (n->state && a->dtype == PGL_OX_FLOAT && !ta && alpha == 1.0 && mm * nn > 0 &&
		((const ox_packed_b *) n->state)->m == nn && ((const ox_packed_b *) n->state)->k == kk)
	{
		if (!(c && beta != 0.0))
			memset(y->data, 0, sizeof(float) * (size_t) (mm * nn));
		ox_vec_gemm_acc(mm, nn, kk, a->data, ((const ox_packed_b *) n->state)->data, y->data);
	}
	else if (a->dtype == PGL_OX_FLOAT)
		ox_gemm_f32(ta, tb, mm, nn, kk, (float) alpha, a->data, b->data,
					c && beta != 0.0 ? 1.0f : 0.0f, y->data);
	else
		ox_gemm_f64(ta, tb, mm, nn, kk, alpha, a->data, b->data, c && beta != 0.0 ? 1.0 : 0.0,
					y->data);
	return PGL_OK;
}
