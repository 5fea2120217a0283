/*-------------------------------------------------------------------------
 *
 * nn_attn.c
 *	  multi_head_attention, layer_norm, positional_embedding and the
 *	  transformer_encoder block (post-norm, as PyTorch's
 *	  TransformerEncoderLayer with norm_first=False): forward and backward
 *	  passes in float32 over SGEMM.
 *
 * Attention: the projections of the whole batch are one GEMM (the queries,
 * keys and values side by side, [n T, 3 HD]); the scores, the softmax and
 * the weighted sums are per sample and head over its real rows only, so a
 * short sample pays for its own length.  The softmax probabilities are kept
 * for the backward pass.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_attn.h"
#include "nn_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "prep.h"

#define ATTN_MAX_DIM (1 << 16)

/* ---------- helpers ---------- */

static void
sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
	  const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0)
	{
		/* C = beta C */
		for (int64_t i = 0; i < M; i++)
			for (int64_t j = 0; j < N; j++)
				C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
		return;
	}
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
				(int) M, (int) N, (int) K, alpha, A, (int) lda, B, (int) ldb, beta, C, (int) ldc);
}

static inline int32_t
row_len(const pgl_attn_dims *d, const int32_t *lengths, int32_t b)
{
	int32_t L;

	if (!d->masked || lengths == NULL)
		return d->T;
	L = lengths[b];
	return L < 0 ? 0 : L > d->T ? d->T : L;
}

static float *
take(float **p, int64_t count)
{
	float *r = *p;

	*p += count;
	return r;
}

static void
add_bias(float *out, const float *b, int64_t rows, int64_t width)
{
	for (int64_t r = 0; r < rows; r++)
		for (int64_t j = 0; j < width; j++)
			out[r * width + j] += b[j];
}

/* db (+)= column sums of d */
static void
col_sums(const float *d, float *db, int64_t rows, int64_t width, bool add)
{
	if (!add)
		memset(db, 0, sizeof(float) * (size_t) width);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t j = 0; j < width; j++)
			db[j] += d[r * width + j];
}

/* zero the padded rows of a n x T x width batch */
static void
zero_padding(const pgl_attn_dims *d, const int32_t *lengths, float *x, int32_t n, int64_t width)
{
	if (!d->masked || lengths == NULL)
		return;
	for (int32_t b = 0; b < n; b++)
	{
		int32_t L = row_len(d, lengths, b);

		if (L < d->T)
			memset(x + ((int64_t) b * d->T + L) * width, 0,
				   sizeof(float) * (size_t) (d->T - L) * (size_t) width);
	}
}

static void
xavier(float *W, int64_t fan_in, int64_t fan_out, uint64_t *rng)
{
	double lim = sqrt(6.0 / (double) (fan_in + fan_out));

	for (int64_t j = 0; j < fan_in * fan_out; j++)
		W[j] = (float) (lim * (2.0 * pgl_rng_uniform(rng) - 1.0));
}

/* ---------- shapes ---------- */

bool
pgl_attn_is_layer(int32_t type)
{
	return type == PGL_NN_MULTI_HEAD_ATTENTION || type == PGL_NN_LAYER_NORM ||
		   type == PGL_NN_POSITIONAL_EMBEDDING || type == PGL_NN_TRANSFORMER_ENCODER;
}

const char *
pgl_attn_dims_from_spec(const pgl_nn_layer_spec *s, int32_t ndim, int32_t h, int32_t w, int32_t c,
						pgl_attn_dims *d)
{
	memset(d, 0, sizeof(*d));
	d->type = s->type;
	d->F = c;
	d->T = ndim == 1 ? 1 : h * (ndim == 3 ? w : 1);
	d->masked = ndim == 2;
	if (s->type == PGL_NN_LAYER_NORM)
		return NULL;
	if (ndim != 2)
		return "needs a sequence input of shape (steps, features): an array column of [T, F] "
			   "values, or the output of a sequence layer";
	if (s->type == PGL_NN_POSITIONAL_EMBEDDING)
	{
		d->pos_kind = s->pos_kind;
		if (s->pos_kind != PGL_NN_POS_LEARNED && s->pos_kind != PGL_NN_POS_SINUSOIDAL)
			return "\"kind\" must be \"learned\" or \"sinusoidal\"";
		d->max_len = s->max_len == 0 ? d->T : s->max_len;
		if (s->pos_kind == PGL_NN_POS_LEARNED && (d->max_len < d->T || d->max_len > ATTN_MAX_DIM))
			return "\"max_len\" must be at least the sequence length and at most 65536";
		if ((int64_t) d->max_len * d->F > (int64_t) 1 << 28)
			return "too many weights (more than 2^28)";
		return NULL;
	}
	d->heads = s->heads;
	if (s->heads < 1 || s->heads > 256)
		return "\"heads\" must be between 1 and 256";
	if (s->key_dim == 0 && c % s->heads != 0)
		return "the features must be a multiple of \"heads\" (or give \"key_dim\")";
	d->key_dim = s->key_dim == 0 ? c / s->heads : s->key_dim;
	if (d->key_dim < 1 || d->key_dim > ATTN_MAX_DIM)
		return "\"key_dim\" must be between 1 and 65536";
	if ((int64_t) d->heads * d->key_dim > ATTN_MAX_DIM)
		return "\"heads\" times \"key_dim\" must be at most 65536";
	if (s->type == PGL_NN_TRANSFORMER_ENCODER)
	{
		d->ff = s->ff_units;
		if (s->ff_units < 1 || s->ff_units > ATTN_MAX_DIM)
			return "\"ff_units\" must be between 1 and 65536";
	}
	else if (s->type != PGL_NN_MULTI_HEAD_ATTENTION)
		return "is not an attention layer";
	if (pgl_attn_n_params(d) > (int64_t) 1 << 28)
		return "too many weights (more than 2^28)";
	if ((int64_t) d->heads * d->T * d->T > (int64_t) 1 << 24)
		return "the attention scores of a sample (heads x steps x steps) take more than 2^24 "
			   "values: use fewer steps or heads";
	return NULL;
}

static int64_t
mha_params(const pgl_attn_dims *d)
{
	int64_t HD = (int64_t) d->heads * d->key_dim;

	return (int64_t) d->F * 3 * HD + 3 * HD + HD * d->F + d->F;
}

int64_t
pgl_attn_n_params(const pgl_attn_dims *d)
{
	switch (d->type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
			return mha_params(d);
		case PGL_NN_LAYER_NORM:
			return 2 * (int64_t) d->F;
		case PGL_NN_POSITIONAL_EMBEDDING:
			return d->pos_kind == PGL_NN_POS_LEARNED ? (int64_t) d->max_len * d->F : 0;
		case PGL_NN_TRANSFORMER_ENCODER:
			return mha_params(d) + 2 * (int64_t) d->F * d->ff + d->ff + 5 * (int64_t) d->F;
	}
	return 0;
}

/* per-sample floats of the attention's forward cache and backward scratch */
static int64_t
mha_fwd_size(const pgl_attn_dims *d)
{
	int64_t HD = (int64_t) d->heads * d->key_dim;

	return 4 * (int64_t) d->T * HD + (int64_t) d->heads * d->T * d->T;
}

static int64_t
mha_bwd_size(const pgl_attn_dims *d)
{
	int64_t HD = (int64_t) d->heads * d->key_dim;

	return 4 * (int64_t) d->T * HD + (int64_t) d->T * d->T;
}

/* transformer_encoder: per-sample forward floats besides the attention's */
static int64_t
enc_fwd_size(const pgl_attn_dims *d)
{
	int64_t TF = (int64_t) d->T * d->F;

	return 5 * TF + 2 * (int64_t) d->T + (int64_t) d->T * d->ff;
}

int64_t
pgl_attn_work_size(const pgl_attn_dims *d, int32_t max_batch, bool training)
{
	int64_t B = max_batch < 1 ? 1 : max_batch, TF = (int64_t) d->T * d->F;

	switch (d->type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
			return B * (mha_fwd_size(d) + (training ? mha_bwd_size(d) : 0));
		case PGL_NN_LAYER_NORM:
			return B * (TF + d->T);
		case PGL_NN_POSITIONAL_EMBEDDING:
			return TF;
		case PGL_NN_TRANSFORMER_ENCODER:
			return B * (mha_fwd_size(d) + enc_fwd_size(d) +
						(training ? mha_bwd_size(d) + 2 * TF + (int64_t) d->T * d->ff : 0));
	}
	return 0;
}

void
pgl_attn_init(const pgl_attn_dims *d, float *params, uint64_t *rng)
{
	int64_t HD = (int64_t) d->heads * d->key_dim, F = d->F;
	float  *p = params;

	switch (d->type)
	{
		case PGL_NN_LAYER_NORM:
			for (int64_t j = 0; j < F; j++)
			{
				p[j] = 1.0f;
				p[F + j] = 0.0f;
			}
			return;
		case PGL_NN_POSITIONAL_EMBEDDING:
			if (d->pos_kind == PGL_NN_POS_LEARNED)
				for (int64_t j = 0; j < (int64_t) d->max_len * F; j++)
					p[j] = (float) (0.1 * (2.0 * pgl_rng_uniform(rng) - 1.0));
			return;
		case PGL_NN_MULTI_HEAD_ATTENTION:
		case PGL_NN_TRANSFORMER_ENCODER:
			xavier(p, F, 3 * HD, rng);
			p += F * 3 * HD;
			memset(p, 0, sizeof(float) * (size_t) (3 * HD));
			p += 3 * HD;
			xavier(p, HD, F, rng);
			p += HD * F;
			memset(p, 0, sizeof(float) * (size_t) F);
			p += F;
			if (d->type == PGL_NN_MULTI_HEAD_ATTENTION)
				return;
			xavier(p, F, d->ff, rng);
			p += F * d->ff;
			memset(p, 0, sizeof(float) * (size_t) d->ff);
			p += d->ff;
			xavier(p, d->ff, F, rng);
			p += (int64_t) d->ff * F;
			memset(p, 0, sizeof(float) * (size_t) F);
			p += F;
			for (int k = 0; k < 2; k++)
			{
				for (int64_t j = 0; j < F; j++)
				{
					p[j] = 1.0f;
					p[F + j] = 0.0f;
				}
				p += 2 * F;
			}
			return;
	}
}

/* ---------- layer_norm ---------- */

/* rows of F: out = gamma xhat + beta; xhat and istd kept; padded rows 0 */
static void
ln_forward(const pgl_attn_dims *d, const float *gamma, const float *beta, const float *in,
		   int32_t n, const int32_t *lengths, float *out, float *xhat, float *istd)
{
	int32_t F = d->F;

	for (int32_t b = 0; b < n; b++)
	{
		int32_t L = row_len(d, lengths, b);

		for (int32_t t = 0; t < d->T; t++)
		{
			int64_t		 r = (int64_t) b * d->T + t;
			const float *x = in + r * F;
			float		*o = out + r * F, *xh = xhat + r * F;
			float		 mu = 0, var = 0, is;

			if (t >= L)
			{
				memset(o, 0, sizeof(float) * (size_t) F);
				memset(xh, 0, sizeof(float) * (size_t) F);
				istd[r] = 0;
				continue;
			}
			for (int32_t j = 0; j < F; j++)
				mu += x[j];
			mu /= (float) F;
			for (int32_t j = 0; j < F; j++)
				var += (x[j] - mu) * (x[j] - mu);
			var /= (float) F;
			is = 1.0f / sqrtf(var + PGL_NN_LN_EPS);
			istd[r] = is;
			for (int32_t j = 0; j < F; j++)
			{
				xh[j] = (x[j] - mu) * is;
				o[j] = gamma[j] * xh[j] + beta[j];
			}
		}
	}
}

/* din = dx (may alias dout); dgamma, dbeta accumulate */
static void
ln_backward(const pgl_attn_dims *d, const float *gamma, int32_t n, const float *dout,
			const float *xhat, const float *istd, float *din, float *dgamma, float *dbeta)
{
	int32_t F = d->F;
	int64_t rows = (int64_t) n * d->T;

	for (int64_t r = 0; r < rows; r++)
	{
		const float *g = dout + r * F, *xh = xhat + r * F;
		float		*dx = din ? din + r * F : NULL;
		float		 m1 = 0, m2 = 0;

		if (istd[r] == 0)
		{
			if (dx)
				memset(dx, 0, sizeof(float) * (size_t) F);
			continue;
		}
		for (int32_t j = 0; j < F; j++)
		{
			float dxh = g[j] * gamma[j];

			dgamma[j] += g[j] * xh[j];
			dbeta[j] += g[j];
			m1 += dxh;
			m2 += dxh * xh[j];
		}
		if (dx == NULL)
			continue;
		m1 /= (float) F;
		m2 /= (float) F;
		for (int32_t j = 0; j < F; j++)
			dx[j] = istd[r] * (g[j] * gamma[j] - m1 - xh[j] * m2);
	}
}

/* ---------- multi_head_attention ---------- */

typedef struct mha_bufs
{
	float *qkv; /* n T x 3 HD */
	float *ctx; /* n T x HD */
	float *att; /* n x heads x T x T (rows and columns below the length) */
	float *dqkv, *dctx, *ds;
} mha_bufs;

static void
mha_carve(const pgl_attn_dims *d, int32_t n, float **w, mha_bufs *m)
{
	int64_t HD = (int64_t) d->heads * d->key_dim, nT = (int64_t) n * d->T;

	m->qkv = take(w, nT * 3 * HD);
	m->ctx = take(w, nT * HD);
	m->att = take(w, (int64_t) n * d->heads * d->T * d->T);
	m->dqkv = m->dctx = m->ds = NULL;
}

/* the backward scratch, after every forward region */
static void
mha_carve_backward(const pgl_attn_dims *d, int32_t n, float **w, mha_bufs *m)
{
	int64_t HD = (int64_t) d->heads * d->key_dim, nT = (int64_t) n * d->T;

	m->dqkv = take(w, nT * 3 * HD);
	m->dctx = take(w, nT * HD);
	m->ds = take(w, (int64_t) d->T * d->T);
}

/* softmax of each of L rows of the L x L scores s (row stride T), in place */
static void
softmax_rows(float *s, int32_t L, int32_t T)
{
	for (int32_t i = 0; i < L; i++)
	{
		float *v = s + (int64_t) i * T;
		float  mx = v[0], sum = 0;

		for (int32_t j = 1; j < L; j++)
			mx = v[j] > mx ? v[j] : mx;
		for (int32_t j = 0; j < L; j++)
		{
			v[j] = expf(v[j] - mx);
			sum += v[j];
		}
		for (int32_t j = 0; j < L; j++)
			v[j] /= sum;
	}
}

static void
mha_forward(const pgl_attn_dims *d, const float *P, const float *in, int32_t n,
			const int32_t *lengths, float *out, const mha_bufs *m)
{
	int32_t		 T = d->T, F = d->F, H = d->heads, dk = d->key_dim;
	int64_t		 HD = (int64_t) H * dk, nT = (int64_t) n * T, ld = 3 * HD;
	const float *Wqkv = P, *bqkv = Wqkv + (int64_t) F * ld, *Wo = bqkv + ld, *bo = Wo + HD * F;
	float		 scale = 1.0f / sqrtf((float) dk);

	sgemm(false, false, nT, ld, F, 1.0f, in, F, Wqkv, ld, 0.0f, m->qkv, ld);
	add_bias(m->qkv, bqkv, nT, ld);
	memset(m->ctx, 0, sizeof(float) * (size_t) (nT * HD));
	for (int32_t b = 0; b < n; b++)
	{
		int32_t		 L = row_len(d, lengths, b);
		const float *q = m->qkv + (int64_t) b * T * ld;

		for (int32_t h = 0; h < H && L > 0; h++)
		{
			float *a = m->att + ((int64_t) b * H + h) * T * T;

			/* scores of the real rows against the real keys: the padded keys are -inf */
			sgemm(false, true, L, L, dk, scale, q + h * dk, ld, q + HD + h * dk, ld, 0.0f, a, T);
			softmax_rows(a, L, T);
			sgemm(false, false, L, dk, L, 1.0f, a, T, q + 2 * HD + h * dk, ld, 0.0f,
				  m->ctx + (int64_t) b * T * HD + h * dk, HD);
		}
	}
	sgemm(false, false, nT, F, HD, 1.0f, m->ctx, HD, Wo, F, 0.0f, out, F);
	add_bias(out, bo, nT, F);
	zero_padding(d, lengths, out, n, F);
}

/* dout: n T x F (padded rows are zeroed here); din (+)= when add */
static void
mha_backward(const pgl_attn_dims *d, const float *P, const float *in, int32_t n,
			 const int32_t *lengths, float *dout, float *din, bool add, float *dP,
			 const mha_bufs *m)
{
	int32_t		 T = d->T, F = d->F, H = d->heads, dk = d->key_dim;
	int64_t		 HD = (int64_t) H * dk, nT = (int64_t) n * T, ld = 3 * HD;
	const float *Wqkv = P, *Wo = Wqkv + (int64_t) F * ld + ld;
	float *dWqkv = dP, *dbqkv = dWqkv + (int64_t) F * ld, *dWo = dbqkv + ld, *dbo = dWo + HD * F;
	float  scale = 1.0f / sqrtf((float) dk);

	zero_padding(d, lengths, dout, n, F);
	sgemm(true, false, HD, F, nT, 1.0f, m->ctx, HD, dout, F, 0.0f, dWo, F);
	col_sums(dout, dbo, nT, F, false);
	sgemm(false, true, nT, HD, F, 1.0f, dout, F, Wo, F, 0.0f, m->dctx, HD);
	memset(m->dqkv, 0, sizeof(float) * (size_t) (nT * ld));
	for (int32_t b = 0; b < n; b++)
	{
		int32_t		 L = row_len(d, lengths, b);
		const float *q = m->qkv + (int64_t) b * T * ld;
		float		*dq = m->dqkv + (int64_t) b * T * ld;
		const float *dc = m->dctx + (int64_t) b * T * HD;

		for (int32_t h = 0; h < H && L > 0; h++)
		{
			const float *a = m->att + ((int64_t) b * H + h) * T * T;
			float		*ds = m->ds;

			/* dA = dC V^T; dV = A^T dC */
			sgemm(false, true, L, L, dk, 1.0f, dc + h * dk, HD, q + 2 * HD + h * dk, ld, 0.0f, ds,
				  T);
			sgemm(true, false, L, dk, L, 1.0f, a, T, dc + h * dk, HD, 0.0f, dq + 2 * HD + h * dk,
				  ld);
			/* through the softmax */
			for (int32_t i = 0; i < L; i++)
			{
				const float *ai = a + (int64_t) i * T;
				float		*si = ds + (int64_t) i * T;
				float		 s = 0;

				for (int32_t j = 0; j < L; j++)
					s += si[j] * ai[j];
				for (int32_t j = 0; j < L; j++)
					si[j] = ai[j] * (si[j] - s);
			}
			/* dQ = scale dS K; dK = scale dS^T Q */
			sgemm(false, false, L, dk, L, scale, ds, T, q + HD + h * dk, ld, 0.0f, dq + h * dk, ld);
			sgemm(true, false, L, dk, L, scale, ds, T, q + h * dk, ld, 0.0f, dq + HD + h * dk, ld);
		}
	}
	sgemm(true, false, F, ld, nT, 1.0f, in, F, m->dqkv, ld, 0.0f, dWqkv, ld);
	col_sums(m->dqkv, dbqkv, nT, ld, false);
	if (din)
		sgemm(false, true, nT, F, ld, 1.0f, m->dqkv, ld, Wqkv, ld, add ? 1.0f : 0.0f, din, F);
}

/* ---------- transformer_encoder ---------- */

typedef struct enc_bufs
{
	mha_bufs m;
	float	*a;				/* attention output, then the pre-norm sum x + a */
	float	*xhat1, *istd1; /* layer norm 1 */
	float	*x1;			/* its output */
	float	*hid;			/* relu(x1 W1 + b1): n T x ff */
	float	*f;				/* hid W2 + b2, then the pre-norm sum x1 + f */
	float	*xhat2, *istd2;
	float	*g1, *g2, *dh; /* backward */
} enc_bufs;

static void
enc_carve(const pgl_attn_dims *d, int32_t n, float *w, enc_bufs *e, bool backward)
{
	int64_t nT = (int64_t) n * d->T, nTF = nT * d->F;

	mha_carve(d, n, &w, &e->m);
	e->a = take(&w, nTF);
	e->xhat1 = take(&w, nTF);
	e->istd1 = take(&w, nT);
	e->x1 = take(&w, nTF);
	e->hid = take(&w, nT * d->ff);
	e->f = take(&w, nTF);
	e->xhat2 = take(&w, nTF);
	e->istd2 = take(&w, nT);
	e->g1 = e->g2 = e->dh = NULL;
	if (backward)
	{
		mha_carve_backward(d, n, &w, &e->m);
		e->g1 = take(&w, nTF);
		e->g2 = take(&w, nTF);
		e->dh = take(&w, nT * d->ff);
	}
}

typedef struct enc_params
{
	const float *mha, *W1, *b1, *W2, *b2, *g1, *be1, *g2, *be2;
} enc_params;

static void
enc_params_of(const pgl_attn_dims *d, const float *P, enc_params *p)
{
	int64_t F = d->F;

	p->mha = P;
	p->W1 = P + mha_params(d);
	p->b1 = p->W1 + F * d->ff;
	p->W2 = p->b1 + d->ff;
	p->b2 = p->W2 + (int64_t) d->ff * F;
	p->g1 = p->b2 + F;
	p->be1 = p->g1 + F;
	p->g2 = p->be1 + F;
	p->be2 = p->g2 + F;
}

static void
enc_forward(const pgl_attn_dims *d, const float *P, const float *in, int32_t n,
			const int32_t *lengths, float *out, const enc_bufs *e)
{
	enc_params p;
	int64_t	   nT = (int64_t) n * d->T, nTF = nT * d->F;

	enc_params_of(d, P, &p);
	mha_forward(d, p.mha, in, n, lengths, e->a, &e->m);
	for (int64_t i = 0; i < nTF; i++)
		e->a[i] += in[i];
	ln_forward(d, p.g1, p.be1, e->a, n, lengths, e->x1, e->xhat1, e->istd1);
	sgemm(false, false, nT, d->ff, d->F, 1.0f, e->x1, d->F, p.W1, d->ff, 0.0f, e->hid, d->ff);
	add_bias(e->hid, p.b1, nT, d->ff);
	for (int64_t i = 0; i < nT * d->ff; i++)
		e->hid[i] = 0.5f * (e->hid[i] + fabsf(e->hid[i]));
	sgemm(false, false, nT, d->F, d->ff, 1.0f, e->hid, d->ff, p.W2, d->F, 0.0f, e->f, d->F);
	add_bias(e->f, p.b2, nT, d->F);
	for (int64_t i = 0; i < nTF; i++)
		e->f[i] += e->x1[i];
	ln_forward(d, p.g2, p.be2, e->f, n, lengths, out, e->xhat2, e->istd2);
}

static void
enc_backward(const pgl_attn_dims *d, const float *P, const float *in, int32_t n,
			 const int32_t *lengths, float *dout, float *din, float *dP, const enc_bufs *e)
{
	enc_params p;
	int64_t	   nT = (int64_t) n * d->T, nTF = nT * d->F, F = d->F;
	float	  *dW1 = dP + mha_params(d), *db1 = dW1 + F * d->ff, *dW2 = db1 + d->ff,
		  *db2 = dW2 + (int64_t) d->ff * F, *dg1 = db2 + F, *dbe1 = dg1 + F, *dg2 = dbe1 + F,
		  *dbe2 = dg2 + F;

	enc_params_of(d, P, &p);
	memset(dg1, 0, sizeof(float) * 4 * (size_t) F);
	/* g2: gradient w.r.t. x1 + f (padded rows 0) */
	ln_backward(d, p.g2, n, dout, e->xhat2, e->istd2, e->g2, dg2, dbe2);
	/* the feed-forward */
	sgemm(true, false, d->ff, F, nT, 1.0f, e->hid, d->ff, e->g2, F, 0.0f, dW2, F);
	col_sums(e->g2, db2, nT, F, false);
	sgemm(false, true, nT, d->ff, F, 1.0f, e->g2, F, p.W2, F, 0.0f, e->dh, d->ff);
	for (int64_t i = 0; i < nT * d->ff; i++)
		e->dh[i] *= (float) (e->hid[i] > 0);
	sgemm(true, false, F, d->ff, nT, 1.0f, e->x1, F, e->dh, d->ff, 0.0f, dW1, d->ff);
	col_sums(e->dh, db1, nT, d->ff, false);
	/* g1: gradient w.r.t. x1, the residual plus the feed-forward's */
	memcpy(e->g1, e->g2, sizeof(float) * (size_t) nTF);
	sgemm(false, true, nT, F, d->ff, 1.0f, e->dh, d->ff, p.W1, d->ff, 1.0f, e->g1, F);
	/* through layer norm 1: gradient w.r.t. x + a, in place */
	ln_backward(d, p.g1, n, e->g1, e->xhat1, e->istd1, e->g1, dg1, dbe1);
	if (din)
		memcpy(din, e->g1, sizeof(float) * (size_t) nTF);
	mha_backward(d, p.mha, in, n, lengths, e->g1, din, true, dP, &e->m);
}

/* ---------- positional_embedding ---------- */

static void
sinusoid_table(const pgl_attn_dims *d, float *tab)
{
	for (int32_t t = 0; t < d->T; t++)
		for (int32_t j = 0; j < d->F; j++)
		{
			double freq = pow(10000.0, -(double) (j - j % 2) / (double) d->F);

			tab[(int64_t) t * d->F + j] = (float) (j % 2 == 0 ? sin(t * freq) : cos(t * freq));
		}
}

/* ---------- dispatch ---------- */

void
pgl_attn_forward(const pgl_attn_dims *d, const float *params, const float *in, int32_t n,
				 const int32_t *lengths, float *out, float *work)
{
	int64_t TF = (int64_t) d->T * d->F;

	switch (d->type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
		{
			mha_bufs m;
			float	*w = work;

			mha_carve(d, n, &w, &m);
			mha_forward(d, params, in, n, lengths, out, &m);
			break;
		}
		case PGL_NN_LAYER_NORM:
			ln_forward(d, params, params + d->F, in, n, lengths, out, work,
					   work + (int64_t) n * TF);
			break;
		case PGL_NN_POSITIONAL_EMBEDDING:
		{
			const float *tab = params;

			if (d->pos_kind == PGL_NN_POS_SINUSOIDAL)
			{
				sinusoid_table(d, work);
				tab = work;
			}
			for (int32_t b = 0; b < n; b++)
				for (int64_t j = 0; j < TF; j++)
					out[b * TF + j] = in[b * TF + j] + tab[j];
			zero_padding(d, lengths, out, n, d->F);
			break;
		}
		case PGL_NN_TRANSFORMER_ENCODER:
		{
			enc_bufs e;

			enc_carve(d, n, work, &e, false);
			enc_forward(d, params, in, n, lengths, out, &e);
			break;
		}
	}
}

void
pgl_attn_backward(const pgl_attn_dims *d, const float *params, const float *in, int32_t n,
				  const int32_t *lengths, float *dout, float *din, float *dparams, float *work)
{
	int64_t TF = (int64_t) d->T * d->F;

	switch (d->type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
		{
			mha_bufs m;
			float	*w = work;

			mha_carve(d, n, &w, &m);
			mha_carve_backward(d, n, &w, &m);
			mha_backward(d, params, in, n, lengths, dout, din, false, dparams, &m);
			break;
		}
		case PGL_NN_LAYER_NORM:
			memset(dparams, 0, sizeof(float) * 2 * (size_t) d->F);
			ln_backward(d, params, n, dout, work, work + (int64_t) n * TF, din, dparams,
						dparams + d->F);
			break;
		case PGL_NN_POSITIONAL_EMBEDDING:
			zero_padding(d, lengths, dout, n, d->F);
			if (d->pos_kind == PGL_NN_POS_LEARNED)
			{
				memset(dparams, 0, sizeof(float) * (size_t) d->max_len * (size_t) d->F);
				for (int32_t b = 0; b < n; b++)
					for (int64_t j = 0; j < TF; j++)
						dparams[j] += dout[b * TF + j];
			}
			if (din)
				memcpy(din, dout, sizeof(float) * (size_t) n * (size_t) TF);
			break;
		case PGL_NN_TRANSFORMER_ENCODER:
		{
			enc_bufs e;

			/* the forward carved the same regions first: backward ones follow */
			enc_carve(d, n, work, &e, true);
			enc_backward(d, params, in, n, lengths, dout, din, dparams, &e);
			break;
		}
	}
}

double
pgl_attn_flops(const pgl_attn_dims *d, int32_t n)
{
	double T = d->T, F = d->F, HD = (double) d->heads * d->key_dim;
	double mha = 2.0 * n * T * (F * 3 * HD + HD * F) + 4.0 * n * T * T * HD;

	switch (d->type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
			return mha;
		case PGL_NN_TRANSFORMER_ENCODER:
			return mha + 4.0 * n * T * F * d->ff;
		default:
			return 0;
	}
}

/* ---------- the engine's hooks (nn_internal.h) ---------- */

bool
nn_attn_owns(int32_t type)
{
	return pgl_attn_is_layer(type);
}

pgl_rc
nn_attn_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st)
{
	pgl_attn_dims d;
	const char	 *msg = pgl_attn_dims_from_spec(&l->s, l->in_ndim, l->in_h, l->in_w, l->in_c, &d);

	if (msg != NULL)
		return nn_layer_fail(st, rc, i, l, msg);
	l->n_w = pgl_attn_n_params(&d);
	l->n_b = 0;
	l->work_per_row = pgl_attn_work_size(&d, 1, true);
	l->out_ndim = l->in_ndim;
	l->out_h = l->in_h;
	l->out_w = l->in_w;
	l->out_c = l->in_c;
	return PGL_OK;
}

/*
 * The dimensions of layer l as it runs now (its time axis may be cut to a
 * batch's steps).  A learned position table keeps its full rows: with
 * "max_len" 0 the spec would give the current steps, and a cut batch would
 * zero (and fill) only its first T_b rows of gradient, leaving the rest
 * from an earlier batch for the optimizer to apply again.
 */
static void
dims_of(const nn_layer *l, pgl_attn_dims *d)
{
	(void) pgl_attn_dims_from_spec(&l->s, l->in_ndim, l->in_h, l->in_w, l->in_c, d);
	if (d->type == PGL_NN_POSITIONAL_EMBEDDING && d->pos_kind == PGL_NN_POS_LEARNED && d->F > 0)
		d->max_len = (int32_t) (l->n_w / d->F);
}

void
nn_attn_init(nn_layer *l, float *params, uint64_t *rng)
{
	pgl_attn_dims d;

	dims_of(l, &d);
	pgl_attn_init(&d, params, rng);
}

void
nn_attn_forward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n)
{
	pgl_attn_dims d;

	dims_of(l, &d);
	pgl_attn_forward(&d, net->params + l->p_off, in, n, d.masked ? nn_input_lengths(net, i) : NULL,
					 l->out, l->work);
	net->flops += pgl_attn_flops(&d, n);
}

void
nn_attn_backward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n, float *d, float *din)
{
	pgl_attn_dims dm;

	dims_of(l, &dm);
	pgl_attn_backward(&dm, net->params + l->p_off, in, n,
					  dm.masked ? nn_input_lengths(net, i) : NULL, d, din, net->grads + l->p_off,
					  l->work);
	net->flops += 2.0 * pgl_attn_flops(&dm, n);
}
