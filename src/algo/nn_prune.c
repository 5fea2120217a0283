/*-------------------------------------------------------------------------
 *
 * nn_prune.c
 *	  Gradual magnitude pruning of a network's weight matrices, their
 *	  sparse storage (CSR) in the model, and the sparse kernel that
 *	  predicts with them.
 *
 * Pruning (Zhu and Gupta 2017, "To prune, or not to prune"): during the
 * last n = prune_epochs epochs the sparsity of each prunable weight
 * matrix (dense, conv2d and conv1d W; never a bias, and not the embedding,
 * recurrent or attention weights) follows s(t) = s_f (1 - (1 - t / n)^3),
 * t the epochs into those n.  Every tenth of an epoch (and after the last
 * step, where t = n) the weights of smallest magnitude of each matrix are
 * set to zero until it has round(s(t) * weights) zeros; a pruned weight
 * stays pruned: its gradient is masked, and its optimizer moments are
 * zeroed when it is pruned, so Adam and SGD leave it at exactly 0.
 *
 * Storage: a pruned layer whose CSR is smaller than its dense matrix
 * leaves "nn_params" for four tensors (docs/model-format.md):
 *
 *	"nn_sparse"  i32 [K, 4]: layer (0-based, increasing), rows (units),
 *				 columns (the input rows of W: inputs, or k * k * channels),
 *				 nonzeros
 *	"nn_csr_ptr" i32 [sum of rows + 1]: per matrix its row pointers, from 0
 *	"nn_csr_idx" i32 [ceil(nonzeros / 2)]: the column of each nonzero as
 *				 16 bits, two per element (the first in the low half)
 *	"nn_csr_val" f32 [nonzeros] (or in zero-padded blocks, as nn_params)
 *
 * The CSR is of W transposed (a row per unit), so that the product of a
 * batch is, per unit, a sum of scaled input columns: with the batch
 * transposed in blocks of PGL_NN_SPMM_BLOCK rows, every nonzero is one
 * vectorized multiply-add over the block.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PRUNE_PER_EPOCH 10 /* pruning steps per epoch */
#define SPARSE_MAX_COLS 65536

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define SPMM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef SPMM_CLONES
#define SPMM_CLONES
#endif

double
pgl_nn_prune_schedule(double s_final, int32_t n, double t)
{
	double r;

	if (n < 1 || t <= 0)
		return 0.0;
	if (t >= n)
		return s_final;
	r = 1.0 - t / (double) n;
	return s_final * (1.0 - r * r * r);
}

bool
pgl_nn_prunable(int32_t type)
{
	return type == PGL_NN_DENSE || type == PGL_NN_CONV2D || type == PGL_NN_CONV1D;
}

/* a prunable layer that has weights */
static bool
layer_prunable(const nn_layer *l)
{
	return pgl_nn_prunable(l->s.type) && l->n_w > 0 && l->s.units > 0;
}

void
pgl_nn_weight_zeros(const pgl_nn *net, int64_t *zeros, int64_t *weights)
{
	*zeros = *weights = 0;
	for (int i = 0; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		const float	   *W = net->params + l->p_off;

		if (!layer_prunable(l))
			continue;
		*weights += l->n_w;
		if (l->csr)
			*zeros += l->n_w - l->csr->nnz;
		else
			for (int64_t j = 0; j < l->n_w; j++)
				*zeros += W[j] == 0.0f;
	}
}

/* ---------- pruning during training ---------- */

pgl_rc
pgl_nn_prune_check(const pgl_nn_spec *sp, pgl_status *st)
{
	if (!(sp->prune_sparsity >= 0 && sp->prune_sparsity < 1))
		return pgl_fail(st, PGL_ERR_INVALID, "the pruning sparsity is %g; it must be in [0, 1)",
						sp->prune_sparsity);
	if (sp->prune_sparsity > 0 && (sp->prune_epochs < 1 || sp->prune_epochs > sp->epochs))
		return pgl_fail(st, PGL_ERR_INVALID,
						"pruning over %d epochs; it must be 1 .. %d (the epochs)",
						(int) sp->prune_epochs, (int) sp->epochs);
	if (sp->prune_sparsity > 0 && sp->patience > 0)
	{
		pgl_fail(st, PGL_ERR_INVALID,
				 "pruning and early stopping (\"patience\") cannot be combined");
		snprintf(st->detail, sizeof(st->detail),
				 "Early stopping would keep the weights of an epoch before the pruning reached "
				 "its sparsity.");
		return st->rc;
	}
	return PGL_OK;
}

pgl_rc
nn_prune_begin(const pgl_env *env, pgl_nn *net, int64_t per_epoch, float *m1, float *m2,
			   nn_pruner *pr, pgl_status *st)
{
	const pgl_nn_spec *sp = &net->spec;
	int64_t			   widest = 0;

	memset(pr, 0, sizeof(*pr));
	if (pgl_nn_prune_check(sp, st) != PGL_OK)
		return st->rc;
	for (int i = 0; i < net->L; i++)
		if (layer_prunable(&net->layer[i]) && net->layer[i].n_w > widest)
			widest = net->layer[i].n_w;
	if (widest == 0 || sp->prune_sparsity == 0)
		return PGL_OK; /* nothing to prune */
	pr->keep = pgl_alloc(env, (size_t) net->P + 1);
	pr->scratch = pgl_alloc(env, sizeof(float) * (size_t) widest);
	if (pr->keep == NULL || pr->scratch == NULL)
	{
		nn_prune_end(env, pr);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for pruning the network");
	}
	memset(pr->keep, 1, (size_t) net->P + 1);
	pr->m1 = m1;
	pr->m2 = m2;
	pr->per_epoch = per_epoch > 0 ? per_epoch : 1;
	pr->every = (pr->per_epoch + PRUNE_PER_EPOCH - 1) / PRUNE_PER_EPOCH;
	return PGL_OK;
}

void
nn_prune_end(const pgl_env *env, nn_pruner *pr)
{
	pgl_free(env, pr->keep);
	pgl_free(env, pr->scratch);
	memset(pr, 0, sizeof(*pr));
}

void
nn_prune_grads(pgl_nn *net, const nn_pruner *pr)
{
	if (pr->keep == NULL || pr->reached == 0)
		return;
	for (int i = 0; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		float *restrict g = net->grads + l->p_off;
		const uint8_t *restrict k = pr->keep + l->p_off;

		if (!layer_prunable(l))
			continue;
		for (int64_t j = 0; j < l->n_w; j++)
			g[j] = k[j] ? g[j] : 0.0f;
	}
}

/* the k-th smallest (0-based) of a[0 .. n), a reordered */
static float
select_kth(float *a, int64_t n, int64_t k)
{
	int64_t lo = 0, hi = n - 1;

	while (hi > lo)
	{
		int64_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		float	x = a[mid], t;

		/* median of three as the pivot */
		if ((a[lo] <= x) != (x <= a[hi]))
			x = (a[lo] <= a[hi]) == (a[hi] <= x) ? a[hi] : a[lo];
		while (i <= j)
		{
			while (a[i] < x)
				i++;
			while (a[j] > x)
				j--;
			if (i <= j)
			{
				t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

/* prune layer l to k zeros: the pruned first, then the smallest magnitudes */
static void
prune_layer(pgl_nn *net, nn_pruner *pr, const nn_layer *l, int64_t k)
{
	float	*W = net->params + l->p_off;
	uint8_t *keep = pr->keep + l->p_off;
	int64_t	 done = 0;
	float	 thr;

	for (int64_t j = 0; j < l->n_w; j++)
		pr->scratch[j] = keep[j] ? fabsf(W[j]) : -1.0f;
	thr = select_kth(pr->scratch, l->n_w, k - 1);
	for (int pass = 0; pass < 2; pass++)
		for (int64_t j = 0; j < l->n_w && done < k; j++)
		{
			float a = keep[j] ? fabsf(W[j]) : -1.0f;

			if (pass == 0 ? a < thr : a == thr)
			{
				keep[j] = 0;
				W[j] = 0.0f;
				pr->m1[l->p_off + j] = 0.0f;
				pr->m2[l->p_off + j] = 0.0f;
				done++;
			}
		}
}

void
nn_prune_step(pgl_nn *net, nn_pruner *pr, int32_t epoch, bool last)
{
	const pgl_nn_spec *sp = &net->spec;
	int32_t			   n = sp->prune_epochs;
	double			   t, s;

	if (pr->keep == NULL || epoch <= sp->epochs - n)
		return;
	pr->steps++;
	if (!last && pr->steps % pr->every != 0)
		return;
	t = last ? n : (double) pr->steps / (double) pr->per_epoch;
	s = pgl_nn_prune_schedule(sp->prune_sparsity, n, t);
	if (s <= pr->reached)
		return;
	pr->reached = s;
	for (int i = 0; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		int64_t			k;

		if (!layer_prunable(l))
			continue;
		k = (int64_t) llround(s * (double) l->n_w);
		if (k > l->n_w - 1)
			k = l->n_w - 1;
		if (k > 0)
			prune_layer(net, pr, l, k);
	}
}

/* ---------- the SpMM kernel ---------- */

/*
 * YT (rows x NB) = the CSR times XT (K x NB): per unit, a sum of scaled
 * rows of XT, the NB accumulators in vector registers (GCC's vector
 * extension: AVX-512 / AVX2 / SSE2 by the clone; aligned(4): the rows of
 * XT need no alignment).
 */
typedef float v8sf __attribute__((vector_size(32), aligned(4)));

static SPMM_CLONES void
spmm_block64(int32_t rows, const int32_t *restrict ptr, const uint16_t *restrict idx,
			 const float *restrict val, const float *restrict XT, float *restrict YT)
{
	for (int32_t u = 0; u < rows; u++)
	{
		v8sf  a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
		v8sf *y = (v8sf *) (YT + (size_t) u * 64);

		for (int32_t p = ptr[u]; p < ptr[u + 1]; p++)
		{
			const float v = val[p];
			const v8sf	w = {v, v, v, v, v, v, v, v};
			const v8sf *x = (const v8sf *) (XT + (size_t) idx[p] * 64);

			a0 += w * x[0];
			a1 += w * x[1];
			a2 += w * x[2];
			a3 += w * x[3];
			a4 += w * x[4];
			a5 += w * x[5];
			a6 += w * x[6];
			a7 += w * x[7];
		}
		y[0] = a0;
		y[1] = a1;
		y[2] = a2;
		y[3] = a3;
		y[4] = a4;
		y[5] = a5;
		y[6] = a6;
		y[7] = a7;
	}
}

static SPMM_CLONES void
spmm_block8(int32_t rows, const int32_t *restrict ptr, const uint16_t *restrict idx,
			const float *restrict val, const float *restrict XT, float *restrict YT)
{
	for (int32_t u = 0; u < rows; u++)
	{
		v8sf	a0 = {0}, a1 = {0};
		int32_t p = ptr[u], e = ptr[u + 1];

		/* two chains, to hide the latency of the adds */
		for (; p + 1 < e; p += 2)
		{
			const float v = val[p], v2 = val[p + 1];
			const v8sf	w = {v, v, v, v, v, v, v, v};
			const v8sf	w2 = {v2, v2, v2, v2, v2, v2, v2, v2};

			a0 += w * *(const v8sf *) (XT + (size_t) idx[p] * 8);
			a1 += w2 * *(const v8sf *) (XT + (size_t) idx[p + 1] * 8);
		}
		if (p < e)
		{
			const float v = val[p];
			const v8sf	w = {v, v, v, v, v, v, v, v};

			a0 += w * *(const v8sf *) (XT + (size_t) idx[p] * 8);
		}
		*(v8sf *) (YT + (size_t) u * 8) = a0 + a1;
	}
}

/* y = the CSR times x, one row: a gathered dot product per unit */
static void
spmv_row(int32_t rows, const int32_t *restrict ptr, const uint16_t *restrict idx,
		 const float *restrict val, const float *restrict x, float *restrict y)
{
	for (int32_t u = 0; u < rows; u++)
	{
		float	s0 = 0, s1 = 0;
		int32_t p = ptr[u], e = ptr[u + 1];

		for (; p + 1 < e; p += 2)
		{
			s0 += val[p] * x[idx[p]];
			s1 += val[p + 1] * x[idx[p + 1]];
		}
		if (p < e)
			s0 += val[p] * x[idx[p]];
		y[u] = s0 + s1;
	}
}

void
pgl_nn_spmm(int32_t rows, const int32_t *ptr, const uint16_t *idx, const float *val, const float *X,
			int64_t n, int32_t K, float *Y, float *work)
{
	int64_t b0 = 0;

	while (b0 < n)
	{
		int64_t left = n - b0;
		int32_t NB = left >= PGL_NN_SPMM_BLOCK / 2 ? PGL_NN_SPMM_BLOCK : left >= 4 ? 8 : 1;
		int32_t nb = (int32_t) (left < NB ? left : NB);
		float  *XT = work, *YT;

		if (NB == 1)
		{
			spmv_row(rows, ptr, idx, val, X + b0 * K, Y + b0 * rows);
			b0++;
			continue;
		}
		/* the block transposed, padded with zero rows; then its product after it */
		for (int32_t k = 0; k < K; k++)
		{
			for (int32_t j = 0; j < nb; j++)
				XT[(size_t) k * NB + j] = X[(b0 + j) * K + k];
			for (int32_t j = nb; j < NB; j++)
				XT[(size_t) k * NB + j] = 0.0f;
		}
		YT = XT + (size_t) K * NB;
		if (NB == PGL_NN_SPMM_BLOCK)
			spmm_block64(rows, ptr, idx, val, XT, YT);
		else
			spmm_block8(rows, ptr, idx, val, XT, YT);
		for (int32_t j = 0; j < nb; j++)
			for (int32_t u = 0; u < rows; u++)
				Y[(b0 + j) * rows + u] = YT[(size_t) u * NB + j];
		b0 += nb;
	}
}

void
nn_sparse_forward(pgl_nn *net, const nn_layer *l, const float *in, int64_t rows, int64_t K,
				  float *out)
{
	const nn_csr *c = l->csr;

	pgl_nn_spmm(c->rows, c->ptr, c->idx, c->val, in, rows, (int32_t) K, out, net->spmm_work);
	net->flops += 2.0 * (double) c->nnz * (double) rows;
}

/* ---------- sparse storage ---------- */

/* the i-th 16-bit column index of "nn_csr_idx" */
static inline uint32_t
idx_at(const int32_t *packed, int64_t i)
{
	return ((uint32_t) packed[i >> 1] >> ((i & 1) * 16)) & 0xFFFFu;
}

static pgl_tensor *
add_tensor(pgl_model *m, const char *name, int32_t dtype, int64_t count, void *data)
{
	pgl_tensor *t = &m->tensors[m->n_tensors++];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->dtype = dtype;
	t->ndim = 1;
	t->dims[0] = count;
	t->data = data;
	return t;
}

/* which prunable layers are stored sparse, their nonzeros; returns how many */
static int32_t
choose_sparse(const pgl_nn *net, int32_t value_bytes, int32_t *which, int64_t *nnz)
{
	int32_t K = 0;

	for (int i = 0; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		const float	   *W = net->params + l->p_off;
		int64_t			cols, z = 0;

		if (!layer_prunable(l))
			continue;
		cols = l->n_w / l->s.units;
		if (cols > SPARSE_MAX_COLS)
			continue;
		for (int64_t j = 0; j < l->n_w; j++)
			z += W[j] != 0.0f;
		if (4 * ((int64_t) l->s.units + 1) + z * (2 + value_bytes) >= l->n_w * value_bytes)
			continue;
		which[K] = i;
		nnz[K++] = z;
	}
	return K;
}

pgl_rc
pgl_nn_store_sparse(const pgl_env *env, const pgl_nn *net, pgl_model *m, int32_t value_bytes,
					pgl_status *st)
{
	int32_t		which[NN_MAX_LAYERS];
	int64_t		nnz[NN_MAX_LAYERS];
	int32_t		K, *table, *ptr, *idx;
	int64_t		total = 0, n_ptr = 0, removed = 0, at = 0, pp = 0;
	float	   *val, *params;
	pgl_tensor *tensors, *pt = NULL;

	if (net->spec.prune_sparsity == 0)
		return PGL_OK;
	K = choose_sparse(net, value_bytes, which, nnz);
	if (K == 0)
		return PGL_OK;
	for (int32_t k = 0; k < K; k++)
	{
		total += nnz[k];
		n_ptr += net->layer[which[k]].s.units + 1;
		removed += net->layer[which[k]].n_w;
	}
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, "nn_params") == 0)
			pt = &m->tensors[i];
	if (pt == NULL || pt->dtype != PGL_F32 || pt->ndim != 1 || pt->dims[0] != net->P)
		return pgl_fail(st, PGL_ERR_INVALID, "no \"nn_params\" of the network to store sparse");
	tensors = pgl_alloc0(env, sizeof(pgl_tensor) * (size_t) (m->n_tensors + 4));
	table = pgl_alloc(env, sizeof(int32_t) * (size_t) K * 4);
	ptr = pgl_alloc(env, sizeof(int32_t) * (size_t) n_ptr);
	idx = pgl_alloc0(env, sizeof(int32_t) * (size_t) ((total + 1) / 2 + 1));
	val = pgl_alloc(env, sizeof(float) * (size_t) (total + 1));
	params = pgl_alloc(env, sizeof(float) * (size_t) (net->P - removed + 1));
	if (!tensors || !table || !ptr || !idx || !val || !params)
	{
		pgl_free(env, tensors);
		pgl_free(env, table);
		pgl_free(env, ptr);
		pgl_free(env, idx);
		pgl_free(env, val);
		pgl_free(env, params);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}

	/* the CSR of each W^T; the other parameters in order */
	for (int32_t k = 0; k < K; k++)
	{
		const nn_layer *l = &net->layer[which[k]];
		const float	   *W = net->params + l->p_off;
		int32_t			rows = l->s.units, cols = (int32_t) (l->n_w / rows);
		int64_t			base = at;

		table[k * 4 + 0] = which[k];
		table[k * 4 + 1] = rows;
		table[k * 4 + 2] = cols;
		table[k * 4 + 3] = (int32_t) nnz[k];
		for (int32_t u = 0; u < rows; u++)
		{
			ptr[pp++] = (int32_t) (at - base);
			for (int32_t c = 0; c < cols; c++)
				if (W[(int64_t) c * rows + u] != 0.0f)
				{
					idx[at >> 1] |= (int32_t) ((uint32_t) c << ((at & 1) * 16));
					val[at++] = W[(int64_t) c * rows + u];
				}
		}
		ptr[pp++] = (int32_t) (at - base);
	}
	{
		int64_t o = 0;

		for (int i = 0, k = 0; i < net->L; i++)
		{
			const nn_layer *l = &net->layer[i];
			int64_t			skip = k < K && which[k] == i ? l->n_w : 0;

			if (skip)
				k++;
			memcpy(params + o, net->params + l->p_off + skip,
				   sizeof(float) * (size_t) (l->n_w + l->n_b - skip));
			o += l->n_w + l->n_b - skip;
		}
	}
	pgl_free(env, pt->data);
	pt->data = params;
	pt->dims[0] = net->P - removed;

	memcpy(tensors, m->tensors, sizeof(pgl_tensor) * (size_t) m->n_tensors);
	pgl_free(env, m->tensors);
	m->tensors = tensors;
	add_tensor(m, "nn_sparse", PGL_I32, K, table);
	m->tensors[m->n_tensors - 1].ndim = 2;
	m->tensors[m->n_tensors - 1].dims[1] = 4;
	add_tensor(m, "nn_csr_ptr", PGL_I32, n_ptr, ptr);
	add_tensor(m, "nn_csr_idx", PGL_I32, (total + 1) / 2, idx);
	add_tensor(m, "nn_csr_val", PGL_F32, total, val);
	return PGL_OK;
}

/* ---------- reading it back ---------- */

static pgl_rc
sparse_corrupt(pgl_status *st, const char *what, int32_t k)
{
	return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model sparse matrix %d: %s", (int) k + 1,
					what);
}

/* the rows of "nn_sparse" against the layers; *P_sparse, *n_ptr, *total */
static pgl_rc
check_table(const pgl_tensor *sp, const nn_layer *layers, int32_t L, int64_t *P_sparse,
			int64_t *n_ptr, int64_t *total, pgl_status *st)
{
	const int32_t *a = sp->data;
	int32_t		   prev = -1;

	if (sp->dtype != PGL_I32 || sp->ndim != 2 || sp->dims[1] != 4 || sp->dims[0] < 1 ||
		sp->dims[0] > L)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"neural_net model \"nn_sparse\" is not i32 [K, 4] with 1 <= K <= %d",
						(int) L);
	*P_sparse = *n_ptr = *total = 0;
	for (int32_t k = 0; k < (int32_t) sp->dims[0]; k++)
	{
		const int32_t  *r = a + k * 4;
		const nn_layer *l;

		if (r[0] <= prev || r[0] >= L)
			return sparse_corrupt(st, "its layer is out of range or not after the previous one", k);
		prev = r[0];
		l = &layers[r[0]];
		if (!layer_prunable(l))
			return sparse_corrupt(st, "its layer is not dense, conv2d or conv1d", k);
		if (r[1] != l->s.units || (int64_t) r[2] * r[1] != l->n_w || r[2] > SPARSE_MAX_COLS)
			return sparse_corrupt(st, "its shape is not its layer's weight matrix", k);
		if (r[3] < 0 || (int64_t) r[3] > l->n_w)
			return sparse_corrupt(st, "its count of nonzeros is out of range", k);
		*P_sparse += l->n_w;
		*n_ptr += (int64_t) r[1] + 1;
		*total += r[3];
	}
	if (*total > INT32_MAX)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model has too many sparse weights");
	return PGL_OK;
}

pgl_rc
nn_sparse_validate(const pgl_model *m, const nn_layer *layers, int32_t L, int64_t *P_sparse,
				   pgl_status *st)
{
	const pgl_tensor *sp = pgl_model_tensor(m, "nn_sparse");
	const pgl_tensor *pt = pgl_model_tensor(m, "nn_csr_ptr");
	const pgl_tensor *it = pgl_model_tensor(m, "nn_csr_idx");
	const pgl_tensor *vt = pgl_model_tensor(m, "nn_csr_val");
	int64_t			  n_ptr, total, at = 0, pp = 0;

	*P_sparse = 0;
	if (sp == NULL)
	{
		if (pt || it || vt)
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model has sparse tensors but no \"nn_sparse\"");
		return PGL_OK;
	}
	if (check_table(sp, layers, L, P_sparse, &n_ptr, &total, st) != PGL_OK)
		return st->rc;
	if (pt == NULL || pt->dtype != PGL_I32 || pt->ndim != 1 || pt->dims[0] != n_ptr)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model \"nn_csr_ptr\" is not i32 [%lld]",
						(long long) n_ptr);
	if (it == NULL || it->dtype != PGL_I32 || it->ndim != 1 || it->dims[0] != (total + 1) / 2)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model \"nn_csr_idx\" is not i32 [%lld]",
						(long long) (total + 1) / 2);
	if (!params_fit(vt, total))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"neural_net model \"nn_csr_val\" does not hold %lld values",
						(long long) total);
	for (int64_t i = 0; i < total; i++)
		if (!isfinite(((const float *) vt->data)[i]))
			return pgl_fail(st, PGL_ERR_CORRUPT,
							"neural_net model sparse weight %lld is not finite", (long long) i);
	if ((total & 1) && idx_at(it->data, total) != 0)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model \"nn_csr_idx\" padding is not 0");
	for (int32_t k = 0; k < (int32_t) sp->dims[0]; k++)
	{
		const int32_t *r = (const int32_t *) sp->data + k * 4;
		const int32_t *p = (const int32_t *) pt->data + pp;

		if (p[0] != 0 || p[r[1]] != r[3])
			return sparse_corrupt(st, "its row pointers do not run from 0 to its nonzeros", k);
		for (int32_t u = 0; u < r[1]; u++)
		{
			if (p[u + 1] < p[u] || p[u + 1] > r[3])
				return sparse_corrupt(st, "its row pointers decrease", k);
			for (int64_t q = p[u]; q < p[u + 1]; q++)
			{
				uint32_t c = idx_at(it->data, at + q);

				if (c >= (uint32_t) r[2])
					return sparse_corrupt(st, "a column index is out of range", k);
				if (q > p[u] && c <= idx_at(it->data, at + q - 1))
					return sparse_corrupt(st, "the column indexes of a row do not increase", k);
			}
		}
		at += r[3];
		pp += (int64_t) r[1] + 1;
	}
	return PGL_OK;
}

/* W (cols x rows, row-major) of the CSR c into dst */
static void
densify(const nn_csr *c, float *dst)
{
	memset(dst, 0, sizeof(float) * (size_t) c->rows * (size_t) c->cols);
	for (int32_t u = 0; u < c->rows; u++)
		for (int32_t p = c->ptr[u]; p < c->ptr[u + 1]; p++)
			dst[(int64_t) c->idx[p] * c->rows + u] = c->val[p];
}

/* the parameters of "nn_params" into net->params, skipping the sparse layers' W */
static void
copy_params(pgl_nn *net, const float *src, const nn_csr *csr, int32_t K)
{
	int64_t o = 0;

	for (int i = 0, k = 0; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		int64_t			skip = k < K && csr[k].layer == i ? l->n_w : 0;

		if (skip)
			k++;
		memcpy(net->params + l->p_off + skip, src + o,
			   sizeof(float) * (size_t) (l->n_w + l->n_b - skip));
		o += l->n_w + l->n_b - skip;
	}
}

/* the indexes csr_views unpacked (on a big-endian host) of csr[0 .. K) */
static void
free_views(const pgl_env *env, nn_csr *csr, int32_t K)
{
	for (int32_t k = 0; k < K; k++)
	{
		pgl_free(env, csr[k].idx_own);
		csr[k].idx_own = NULL;
	}
}

/*
 * The CSR views of a validated model (idx unpacked on a big-endian host);
 * on failure the caller frees the unpacked ones (free_views).
 */
static pgl_rc
csr_views(const pgl_env *env, const pgl_model *m, const nn_layer *layers, nn_csr *csr, int32_t K,
		  pgl_status *st)
{
	const int32_t *a = pgl_model_tensor(m, "nn_sparse")->data;
	const int32_t *ptr = pgl_model_tensor(m, "nn_csr_ptr")->data;
	const int32_t *packed = pgl_model_tensor(m, "nn_csr_idx")->data;
	const float	  *val = pgl_model_tensor(m, "nn_csr_val")->data;
	const union
	{
		uint32_t u;
		uint16_t h[2];
	} probe = {1};
	int64_t at = 0, pp = 0;

	for (int32_t k = 0; k < K; k++)
	{
		nn_csr *c = &csr[k];

		c->layer = a[k * 4];
		c->rows = a[k * 4 + 1];
		c->cols = a[k * 4 + 2];
		c->nnz = a[k * 4 + 3];
		c->ptr = ptr + pp;
		c->val = val + at;
		if (probe.h[0] == 1)
			c->idx = (const uint16_t *) packed + at;
		else
		{
			c->idx_own = pgl_alloc(env, sizeof(uint16_t) * (size_t) (c->nnz + 1));
			if (c->idx_own == NULL)
				return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
			for (int64_t q = 0; q < c->nnz; q++)
				c->idx_own[q] = (uint16_t) idx_at(packed, at + q);
			c->idx = c->idx_own;
		}
		if (c->layer < 0 || layers[c->layer].n_w != (int64_t) c->rows * c->cols)
			return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model sparse layers do not match");
		at += c->nnz;
		pp += (int64_t) c->rows + 1;
	}
	return PGL_OK;
}

pgl_rc
nn_sparse_load(const pgl_env *env, const pgl_model *m, pgl_nn *net, pgl_status *st)
{
	const pgl_tensor *sp = pgl_model_tensor(m, "nn_sparse");
	const pgl_tensor *stats = pgl_model_tensor(m, "nn_stats");
	int64_t			  P_sparse = 0, n_ptr = 0, total = 0;
	int64_t			  widest = 0;
	int32_t			  K;

	if (check_table(sp, net->layer, net->L, &P_sparse, &n_ptr, &total, st) != PGL_OK)
		return st->rc;
	if (!params_fit(pgl_model_tensor(m, "nn_params"), net->P - P_sparse) || stats == NULL ||
		stats->dims[0] != net->S || pgl_model_tensor(m, "nn_csr_ptr") == NULL ||
		pgl_model_tensor(m, "nn_csr_idx") == NULL || pgl_model_tensor(m, "nn_csr_val") == NULL)
		return pgl_fail(st, PGL_ERR_CORRUPT, "neural_net model parameters do not match its layers");
	K = (int32_t) sp->dims[0];
	net->owns_params = true;
	net->params = pgl_alloc(env, sizeof(float) * (size_t) (net->P + 1));
	net->stats = pgl_alloc(env, sizeof(float) * (size_t) (net->S + 1));
	net->csr = pgl_alloc0(env, sizeof(nn_csr) * (size_t) K);
	if (net->params == NULL || net->stats == NULL || net->csr == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for the network");
	net->n_csr = K;
	memcpy(net->stats, stats->data, sizeof(float) * (size_t) net->S);
	if (csr_views(env, m, net->layer, net->csr, K, st) != PGL_OK)
		return st->rc;
	copy_params(net, pgl_model_tensor(m, "nn_params")->data, net->csr, K);
	for (int32_t k = 0; k < K; k++)
		if (net->csr[k].cols > widest)
			widest = net->csr[k].cols;
	/* the transposed block, then its product (at most as many rows as units) */
	for (int32_t k = 0; k < K; k++)
		if (net->csr[k].rows > widest)
			widest = net->csr[k].rows;
	net->spmm_work = pgl_alloc(env, sizeof(float) * (size_t) (2 * widest * PGL_NN_SPMM_BLOCK));
	if (net->spmm_work == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for the network");
	pgl_nn_sparse_mode(net, PGL_NN_SPARSE_AUTO);
	return PGL_OK;
}

void
pgl_nn_sparse_mode(pgl_nn *net, int32_t mode)
{
	for (int32_t k = 0; k < net->n_csr; k++)
	{
		nn_csr	 *c = &net->csr[k];
		nn_layer *l = &net->layer[c->layer];
		double	  density = (double) c->nnz / ((double) c->rows * c->cols);
		bool	  kernel = l->s.type == PGL_NN_DENSE || l->s.type == PGL_NN_CONV2D;
		bool	  sparse = kernel && mode != PGL_NN_SPARSE_NEVER &&
					  (mode == PGL_NN_SPARSE_ALWAYS || density < PGL_NN_SPARSE_MAX_DENSITY);

		l->csr = sparse ? c : NULL;
		if (!sparse && !c->dense)
		{
			densify(c, net->params + l->p_off);
			c->dense = true;
		}
	}
}

int32_t
pgl_nn_sparse_layers(const pgl_nn *net)
{
	int32_t n = 0;

	for (int i = 0; i < net->L; i++)
		n += net->layer[i].csr != NULL;
	return n;
}

pgl_rc
pgl_nn_load_params(pgl_nn *net, const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *sp = pgl_model_tensor(m, "nn_sparse");
	nn_csr			  csr[NN_MAX_LAYERS];
	int64_t			  P_sparse = 0, n_ptr = 0, total = 0;
	int32_t			  K = 0;

	memset(csr, 0, sizeof(csr));
	if (!net->owns_params)
		return pgl_fail(st, PGL_ERR_INVALID, "the network does not own its parameters");
	if (sp != NULL)
	{
		if (check_table(sp, net->layer, net->L, &P_sparse, &n_ptr, &total, st) != PGL_OK)
			return st->rc;
		K = (int32_t) sp->dims[0];
		if (csr_views(&net->env, m, net->layer, csr, K, st) != PGL_OK)
		{
			free_views(&net->env, csr, K);
			return st->rc;
		}
	}
	if (!params_fit(pgl_model_tensor(m, "nn_params"), net->P - P_sparse))
	{
		free_views(&net->env, csr, K);
		return pgl_fail(st, PGL_ERR_INVALID, "the model's parameters are not the network's");
	}
	copy_params(net, pgl_model_tensor(m, "nn_params")->data, csr, K);
	for (int32_t k = 0; k < K; k++)
		densify(&csr[k], net->params + net->layer[csr[k].layer].p_off);
	free_views(&net->env, csr, K);
	return PGL_OK;
}
