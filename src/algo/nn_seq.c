/*-------------------------------------------------------------------------
 *
 * nn_seq.c
 *	  Sequence layers of the neural-network engine: embedding, lstm, gru,
 *	  conv1d, and the masked global pools.  Shapes and masking rules are
 *	  in nn.h; the engine (nn.c) dispatches here through nn_internal.h.
 *
 * A sequence batch is row-major (n, T, F).  Each layer reads its input's
 * valid lengths (nn_input_lengths) and records its output's in l->len.
 *
 * lstm and gru follow PyTorch 1.13 (torch.nn.LSTM / GRU, batch_first):
 * per direction W_ih [G * H, F], W_hh [G * H, H], b_ih [G * H], b_hh
 * [G * H], gates LSTM i, f, g, o and GRU r, z, n with
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).  The input projection of
 * every step is one SGEMM before the recurrence; each step is one SGEMM of
 * the states by W_hh.  The recurrence runs by "step" s = 0 .. T - 1; row b
 * is at time s (forward) or len_b - 1 - s (backward direction) while
 * s < len_b, and keeps its state after.  Caches (l->work), per direction:
 *
 *	xg	  [n][T][G H]	the input projections, by time (backward: the
 *						gradients of the input-side pre-activations)
 *	gt	  [T][n][G H]	the activated gates, by step (backward: the
 *						gradients of the recurrent-side pre-activations)
 *	hs	  [T + 1][n][H]	the states before and after each step
 *	cs	  [T + 1][n][H]	lstm: the cells
 *	hn	  [T][n][H]		gru: W_hn h + b_hn
 *	rec	  [n][G H]		one step's recurrent projection
 *	dh, dc [n][H]		backward: the gradients of the state
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

#include "prep.h"

#define SEQ_MAX_UNITS	 4096
#define SEQ_MAX_WORK_ROW ((int64_t) 1 << 26)

bool
nn_seq_owns(int32_t type)
{
	return type >= PGL_NN_EMBEDDING && type <= PGL_NN_GLOBAL_MAX_POOL1D;
}

/*
 * exp, the logistic function and tanh in float32 without branches or calls,
 * so that the gate loops vectorize (libm's expf / tanhf were two thirds of
 * an LSTM step): Cephes' expf (range reduction by ln 2, a degree-6
 * polynomial, 2^n put in the exponent bits; the argument clamped so that
 * 2^n stays a normal number, a NaN passed through) and Cephes' tanhf (an odd polynomial below
 * 0.625, 1 - 2 / (exp(2|x|) + 1) above); a few ulp from libm.
 */
static inline float
fast_exp(float x)
{
	float	t, fn, r, y, scale, in = x;
	int32_t n, bits;

	/* NaN: computed on 0, then returned as is (converting it to int is undefined) */
	x = x == x ? x : 0.0f;
	x = x > 88.0f ? 88.0f : x;
	x = x < -87.3f ? -87.3f : x;
	t = x * 1.44269504088896341f + 0.5f;
	n = (int32_t) (t + 128.0f) - 128; /* floor: t + 128 > 0 */
	fn = (float) n;
	r = x - fn * 0.693359375f + fn * 2.12194440e-4f;
	y = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
			4.1665795894e-2f) *
			   r +
		   1.6666665459e-1f) *
			  r +
		  5.0000001201e-1f) *
			 (r * r) +
		 r + 1.0f);
	bits = (n + 127) << 23;
	memcpy(&scale, &bits, sizeof(scale)); /* 2^n */
	return in == in ? y * scale : in;
}

static inline float
sigm(float z)
{
	return 1.0f / (1.0f + fast_exp(-z));
}

static inline float
fast_tanh(float x)
{
	float a = fabsf(x), s = x * x;
	float p = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s +
				1.33314422036e-1f) *
				   s -
			   3.33332819422e-1f) *
				  s * x +
			  x;
	float q = copysignf(1.0f - 2.0f / (fast_exp(2.0f * a) + 1.0f), x);

	return a < 0.625f ? p : q;
}

/* ---------- shapes ---------- */

static int
rnn_gates(const nn_layer *l)
{
	return l->s.type == PGL_NN_LSTM ? 4 : 3;
}

static int
rnn_dirs(const nn_layer *l)
{
	return l->s.bidirectional ? 2 : 1;
}

/* floats of one direction's parameters */
static int64_t
rnn_dir_params(const nn_layer *l)
{
	int64_t GH = (int64_t) rnn_gates(l) * l->s.units;

	return GH * l->in_c + GH * l->s.units + 2 * GH;
}

/* floats of one direction's caches per batch row */
static int64_t
rnn_dir_work(const nn_layer *l)
{
	int64_t T = l->in_h, H = l->s.units, GH = (int64_t) rnn_gates(l) * H;

	return 2 * T * GH + 2 * (T + 1) * H + T * H + GH + 2 * H;
}

static pgl_rc
infer_rnn(nn_layer *l, int i, pgl_rc rc, pgl_status *st)
{
	int64_t H = l->s.units;

	if (l->in_ndim != 2)
		return nn_layer_fail(st, rc, i, l,
							 "lstm and gru need a sequence input (steps, features): an array "
							 "column of [T, F], or an embedding before");
	if (H < 1 || H > SEQ_MAX_UNITS)
		return nn_layer_fail(st, rc, i, l, "\"units\" must be between 1 and 4096");
	if (l->s.return_sequences < 0 || l->s.return_sequences > 1 || l->s.bidirectional < 0 ||
		l->s.bidirectional > 1)
		return nn_layer_fail(st, rc, i, l,
							 "\"return_sequences\" and \"bidirectional\" must be true or false");
	l->n_w = rnn_dirs(l) * rnn_dir_params(l);
	l->n_b = 0;
	if (l->n_w > (int64_t) 1 << 28)
		return nn_layer_fail(st, rc, i, l, "too many weights (more than 2^28)");
	l->work_per_row = rnn_dirs(l) * rnn_dir_work(l);
	if (l->s.return_sequences)
	{
		l->out_ndim = 2;
		l->out_h = l->in_h;
		l->out_w = 1;
	}
	else
	{
		l->out_ndim = 1;
		l->out_h = l->out_w = 1;
	}
	l->out_c = (int32_t) (rnn_dirs(l) * H);
	return PGL_OK;
}

static pgl_rc
infer_conv1d(nn_layer *l, int i, pgl_rc rc, pgl_status *st)
{
	int32_t k = l->s.kernel, str = l->s.stride, T = l->in_h, To;

	if (l->in_ndim != 2)
		return nn_layer_fail(st, rc, i, l, "conv1d needs a sequence input (steps, features)");
	if (l->s.units < 1 || l->s.units > 65536)
		return nn_layer_fail(st, rc, i, l, "\"filters\" must be between 1 and 65536");
	if (k < 1 || k > 256)
		return nn_layer_fail(st, rc, i, l, "\"kernel\" must be between 1 and 256");
	if (str < 1 || str > 64)
		return nn_layer_fail(st, rc, i, l, "\"stride\" must be between 1 and 64");
	if (l->s.padding == 1)
	{
		int32_t pt;

		To = (T + str - 1) / str;
		pt = (To - 1) * str + k - T;
		l->pad_t = pt > 0 ? pt / 2 : 0;
	}
	else if (l->s.padding == 0)
	{
		if (k > T)
			return nn_layer_fail(st, rc, i, l,
								 "the kernel is longer than the sequence with \"padding\": "
								 "\"valid\"; use a smaller kernel or \"padding\": \"same\"");
		To = (T - k) / str + 1;
	}
	else
		return nn_layer_fail(st, rc, i, l, "\"padding\" must be \"same\" or \"valid\"");
	l->kkc = (int64_t) k * l->in_c;
	l->n_w = l->kkc * l->s.units;
	l->n_b = l->s.units;
	if (l->n_w > (int64_t) 1 << 28)
		return nn_layer_fail(st, rc, i, l, "too many weights (more than 2^28)");
	l->work_per_row = (int64_t) To * l->kkc;
	l->out_ndim = 2;
	l->out_h = To;
	l->out_w = 1;
	l->out_c = l->s.units;
	return PGL_OK;
}

pgl_rc
nn_seq_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st)
{
	pgl_rc r = PGL_OK;

	switch (l->s.type)
	{
		case PGL_NN_EMBEDDING:
			if (i != 0 || l->in_ndim != 1)
				return nn_layer_fail(st, rc, i, l,
									 "an embedding must be the first layer, reading token ids");
			if (l->s.vocab < 2 || l->s.vocab > NN_MAX_DIM)
				return nn_layer_fail(st, rc, i, l,
									 "\"vocab\" must be between 2 and 2^24 (id 0 is padding)");
			if (l->s.units < 1 || l->s.units > 65536)
				return nn_layer_fail(st, rc, i, l, "\"dim\" must be between 1 and 65536");
			l->n_w = (int64_t) l->s.vocab * l->s.units;
			if (l->n_w > (int64_t) 1 << 28)
				return nn_layer_fail(st, rc, i, l, "too many weights (more than 2^28)");
			l->out_ndim = 2;
			l->out_h = l->in_c;
			l->out_w = 1;
			l->out_c = l->s.units;
			break;
		case PGL_NN_LSTM:
		case PGL_NN_GRU:
			r = infer_rnn(l, i, rc, st);
			break;
		case PGL_NN_CONV1D:
			r = infer_conv1d(l, i, rc, st);
			break;
		case PGL_NN_GLOBAL_AVG_POOL1D:
		case PGL_NN_GLOBAL_MAX_POOL1D:
			if (l->in_ndim != 2)
				return nn_layer_fail(st, rc, i, l,
									 "a global pool needs a sequence input (steps, features)");
			l->work_per_row = l->s.type == PGL_NN_GLOBAL_MAX_POOL1D ? l->in_c : 0;
			l->out_ndim = 1;
			l->out_h = l->out_w = 1;
			l->out_c = l->in_c;
			break;
		default:
			return pgl_fail(st, rc, "layer %d has an unknown type %d", i + 1, (int) l->s.type);
	}
	if (r != PGL_OK)
		return r;
	if (l->work_per_row > SEQ_MAX_WORK_ROW)
		return nn_layer_fail(st, rc, i, l, "the layer needs too much memory per row (2^26 values)");
	return PGL_OK;
}

/* ---------- initialization ---------- */

void
nn_seq_init(nn_layer *l, float *W, uint64_t *rng)
{
	switch (l->s.type)
	{
		case PGL_NN_EMBEDDING:
			/* N(0, 1) as torch.nn.Embedding; the padding row 0 */
			for (int64_t j = 0; j < l->n_w; j++)
				W[j] = j < l->s.units ? 0.0f : (float) nn_rng_normal(rng);
			break;
		case PGL_NN_LSTM:
		case PGL_NN_GRU:
		{
			/* U(-1/sqrt(H), 1/sqrt(H)) as torch; lstm forget-gate biases 1 */
			double	lim = 1.0 / sqrt((double) l->s.units);
			int64_t H = l->s.units, GH = rnn_gates(l) * H, F = l->in_c;

			for (int64_t j = 0; j < l->n_w; j++)
				W[j] = (float) (lim * (2.0 * pgl_rng_uniform(rng) - 1.0));
			if (l->s.type == PGL_NN_LSTM)
				for (int d = 0; d < rnn_dirs(l); d++)
				{
					float *bih = W + d * rnn_dir_params(l) + GH * F + GH * H;

					for (int64_t j = 0; j < H; j++)
					{
						bih[H + j] = 1.0f;
						bih[GH + H + j] = 0.0f;
					}
				}
			break;
		}
		case PGL_NN_CONV1D:
		{
			double fan_in = (double) l->kkc, fan_out = (double) l->s.kernel * l->s.units;

			if (l->s.activation == PGL_NN_RELU || l->s.activation == PGL_NN_LEAKY_RELU)
				for (int64_t j = 0; j < l->n_w; j++)
					W[j] = (float) (sqrt(2.0 / fan_in) * nn_rng_normal(rng));
			else
				for (int64_t j = 0; j < l->n_w; j++)
					W[j] = (float) (sqrt(6.0 / (fan_in + fan_out)) *
									(2.0 * pgl_rng_uniform(rng) - 1.0));
			memset(W + l->n_w, 0, sizeof(float) * (size_t) l->n_b);
			break;
		}
		default:
			break;
	}
}

/* ---------- lengths ---------- */

/* layer i's input lengths into l->len (clamped to T; NULL: T) */
static void
copy_lengths(const pgl_nn *net, nn_layer *l, int i, int32_t n, int32_t T)
{
	const int32_t *in = nn_input_lengths(net, i);

	for (int32_t b = 0; b < n; b++)
		l->len[b] = in == NULL ? T : in[b] < 0 ? 0 : in[b] > T ? T : in[b];
	l->has_len = true;
}

/* ---------- embedding ---------- */

/* the row of W for token x at time t of a row of length len, or -1 (padding, unknown) */
static inline int64_t
embed_id(const nn_layer *l, float x, int32_t t, int32_t len)
{
	if (t >= len || !(x >= 1.0f && x < (float) l->s.vocab) || x != floorf(x))
		return -1;
	return (int64_t) x;
}

static void
embed_forward(const pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n)
{
	const float *W = net->params + l->p_off;
	int32_t		 T = l->out_h;
	int64_t		 D = l->out_c;

	copy_lengths(net, l, i, n, T);
	for (int32_t b = 0; b < n; b++)
		for (int32_t t = 0; t < T; t++)
		{
			int64_t id = embed_id(l, in[(int64_t) b * T + t], t, l->len[b]);
			float  *o = l->out + ((int64_t) b * T + t) * D;

			if (id < 0)
				memset(o, 0, sizeof(float) * (size_t) D);
			else
				memcpy(o, W + id * D, sizeof(float) * (size_t) D);
		}
}

static void
embed_backward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, const float *d, float *din)
{
	float  *dW = net->grads + l->p_off;
	int32_t T = l->out_h;
	int64_t D = l->out_c;

	memset(dW, 0, sizeof(float) * (size_t) l->n_w);
	for (int32_t b = 0; b < n; b++)
		for (int32_t t = 0; t < T; t++)
		{
			int64_t		 id = embed_id(l, in[(int64_t) b * T + t], t, l->len[b]);
			const float *g = d + ((int64_t) b * T + t) * D;

			if (id >= 0)
				for (int64_t j = 0; j < D; j++)
					dW[id * D + j] += g[j];
		}
	if (din)
		memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
}

/* ---------- lstm and gru ---------- */

typedef struct rnn_bufs
{
	float *xg, *gt, *hs, *cs, *hn, *rec, *dh, *dc;
} rnn_bufs;

/* direction dir's caches within l->work, for a batch of n rows */
static void
rnn_bufs_of(const nn_layer *l, int dir, int32_t n, rnn_bufs *bf)
{
	int64_t T = l->in_h, H = l->s.units, GH = (int64_t) rnn_gates(l) * H;
	float  *p = l->work + (int64_t) dir * n * rnn_dir_work(l);

	bf->xg = p;
	p += n * T * GH;
	bf->gt = p;
	p += n * T * GH;
	bf->hs = p;
	p += n * (T + 1) * H;
	bf->cs = p;
	p += n * (T + 1) * H;
	bf->hn = p;
	p += n * T * H;
	bf->rec = p;
	p += n * GH;
	bf->dh = p;
	p += n * H;
	bf->dc = p;
}

/* the time of row b at step s */
static inline int64_t
rnn_time(int32_t s, int32_t len, bool reverse)
{
	return reverse ? len - 1 - s : s;
}

/*
 * The cells of one row at one step, over restrict pointers so that the
 * loops vectorize: x the input projection, r the recurrent one (gru: b_hn
 * apart), hp / cp the state before; g the activated gates, h / c the state
 * after (gru: hn = W_hn h + b_hn).
 */
static void
lstm_cell(const float *restrict x, const float *restrict r, const float *restrict cp,
		  float *restrict g, float *restrict c, float *restrict h, int64_t H)
{
	for (int64_t j = 0; j < H; j++)
	{
		float gi = sigm(x[j] + r[j]), gf = sigm(x[H + j] + r[H + j]);
		float gg = fast_tanh(x[2 * H + j] + r[2 * H + j]);
		float go = sigm(x[3 * H + j] + r[3 * H + j]);

		g[j] = gi;
		g[H + j] = gf;
		g[2 * H + j] = gg;
		g[3 * H + j] = go;
		c[j] = gf * cp[j] + gi * gg;
		h[j] = go * fast_tanh(c[j]);
	}
}

static void
gru_cell(const float *restrict x, const float *restrict r, const float *restrict bhn,
		 const float *restrict hp, float *restrict g, float *restrict hn, float *restrict h,
		 int64_t H)
{
	for (int64_t j = 0; j < H; j++)
	{
		float gr = sigm(x[j] + r[j]), gz = sigm(x[H + j] + r[H + j]);
		float hnj = r[2 * H + j] + bhn[j];
		float gn = fast_tanh(x[2 * H + j] + gr * hnj);

		g[j] = gr;
		g[H + j] = gz;
		g[2 * H + j] = gn;
		hn[j] = hnj;
		h[j] = (1.0f - gz) * gn + gz * hp[j];
	}
}

/*
 * Their backward: from the gates g, the gradients of the pre-activations,
 * input side into gx (lstm: the recurrent side is the same, copied by the
 * caller), recurrent side into g (gru).
 */
static void
lstm_cell_back(const float *restrict g, float *restrict gx, const float *restrict c,
			   const float *restrict cp, float *restrict dh, float *restrict dc, int64_t H)
{
	for (int64_t j = 0; j < H; j++)
	{
		float gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
		float tc = fast_tanh(c[j]);
		float dcc = dc[j] + dh[j] * go * (1.0f - tc * tc);

		gx[j] = dcc * gg * gi * (1.0f - gi);
		gx[H + j] = dcc * cp[j] * gf * (1.0f - gf);
		gx[2 * H + j] = dcc * gi * (1.0f - gg * gg);
		gx[3 * H + j] = dh[j] * tc * go * (1.0f - go);
		dc[j] = dcc * gf;
		dh[j] = 0.0f;
	}
}

static void
gru_cell_back(float *restrict g, float *restrict gx, const float *restrict hp,
			  const float *restrict hn, float *restrict dh, int64_t H)
{
	for (int64_t j = 0; j < H; j++)
	{
		float gr = g[j], gz = g[H + j], gn = g[2 * H + j];
		float dnp = dh[j] * (1.0f - gz) * (1.0f - gn * gn);
		float drp = dnp * hn[j] * gr * (1.0f - gr);
		float dzp = dh[j] * (hp[j] - gn) * gz * (1.0f - gz);

		g[j] = gx[j] = drp;
		g[H + j] = gx[H + j] = dzp;
		gx[2 * H + j] = dnp;
		g[2 * H + j] = dnp * gr;
		dh[j] *= gz;
	}
}

/* one step s of direction reverse for every row (the recurrent projection in bf->rec) */
static void
rnn_step(nn_layer *l, const rnn_bufs *bf, const float *bhh, int32_t s, int32_t n, bool reverse)
{
	int64_t T = l->in_h, H = l->s.units, GH = (int64_t) rnn_gates(l) * H;
	bool	lstm = l->s.type == PGL_NN_LSTM;

	for (int32_t b = 0; b < n; b++)
	{
		const float *hp = bf->hs + ((int64_t) s * n + b) * H;
		float		*h = bf->hs + ((int64_t) (s + 1) * n + b) * H;
		const float *cp = bf->cs + ((int64_t) s * n + b) * H;
		float		*c = bf->cs + ((int64_t) (s + 1) * n + b) * H;
		float		*g = bf->gt + ((int64_t) s * n + b) * GH;
		const float *r = bf->rec + (int64_t) b * GH;
		const float *x;

		if (s >= l->len[b])
		{
			memcpy(h, hp, sizeof(float) * (size_t) H);
			if (lstm)
				memcpy(c, cp, sizeof(float) * (size_t) H);
			continue;
		}
		x = bf->xg + ((int64_t) b * T + rnn_time(s, l->len[b], reverse)) * GH;
		if (lstm)
			lstm_cell(x, r, cp, g, c, h, H);
		else
			gru_cell(x, r, bhh + 2 * H, hp, g, bf->hn + ((int64_t) s * n + b) * H, h, H);
	}
}

static void
rnn_forward_dir(pgl_nn *net, nn_layer *l, int dir, const float *in, int32_t n)
{
	int64_t		 T = l->in_h, F = l->in_c, H = l->s.units, GH = (int64_t) rnn_gates(l) * H;
	const float *Wih = net->params + l->p_off + dir * rnn_dir_params(l);
	const float *Whh = Wih + GH * F, *bih = Whh + GH * H, *bhh = bih + GH;
	bool		 reverse = dir == 1, lstm = l->s.type == PGL_NN_LSTM;
	int64_t		 D = l->out_c;
	rnn_bufs	 bf;

	rnn_bufs_of(l, dir, n, &bf);
	/* the input projections of every step, with the biases (gru: not b_hn) */
	nn_gemm(net, false, true, n * T, GH, F, in, F, Wih, F, 0.0f, bf.xg, GH);
	for (int64_t r = 0; r < n * T; r++)
	{
		float *x = bf.xg + r * GH;

		for (int64_t j = 0; j < GH; j++)
			x[j] += bih[j] + (lstm || j < 2 * H ? bhh[j] : 0.0f);
	}
	memset(bf.hs, 0, sizeof(float) * (size_t) (n * H));
	memset(bf.cs, 0, sizeof(float) * (size_t) (n * H));
	for (int32_t s = 0; s < T; s++)
	{
		nn_gemm(net, false, true, n, GH, H, bf.hs + (int64_t) s * n * H, H, Whh, H, 0.0f, bf.rec,
				GH);
		rnn_step(l, &bf, bhh, s, n, reverse);
	}
	for (int32_t b = 0; b < n; b++)
	{
		if (!l->s.return_sequences)
		{
			memcpy(l->out + b * D + dir * H, bf.hs + ((int64_t) T * n + b) * H,
				   sizeof(float) * (size_t) H);
			continue;
		}
		for (int32_t s = 0; s < l->len[b]; s++)
			memcpy(l->out + ((int64_t) b * T + rnn_time(s, l->len[b], reverse)) * D + dir * H,
				   bf.hs + ((int64_t) (s + 1) * n + b) * H, sizeof(float) * (size_t) H);
	}
}

/*
 * Backward of step s, every row: from dh (and dc) after the step, the
 * gradients of the pre-activations into gt (recurrent side) and xg (input
 * side, at the row's time); dh (dc) keep the parts that do not go through
 * W_hh.
 */
static void
rnn_step_back(nn_layer *l, const rnn_bufs *bf, const float *d, int dir, int32_t s, int32_t n)
{
	int64_t T = l->in_h, H = l->s.units, GH = (int64_t) rnn_gates(l) * H, D = l->out_c;
	bool	reverse = dir == 1, lstm = l->s.type == PGL_NN_LSTM;

	for (int32_t b = 0; b < n; b++)
	{
		float  *g = bf->gt + ((int64_t) s * n + b) * GH;
		float  *dh = bf->dh + (int64_t) b * H, *dc = bf->dc + (int64_t) b * H;
		float  *gx;
		int64_t t;

		if (s >= l->len[b])
		{
			memset(g, 0, sizeof(float) * (size_t) GH);
			continue;
		}
		t = rnn_time(s, l->len[b], reverse);
		gx = bf->xg + ((int64_t) b * T + t) * GH;
		if (l->s.return_sequences)
			for (int64_t j = 0; j < H; j++)
				dh[j] += d[((int64_t) b * T + t) * D + dir * H + j];
		if (lstm)
		{
			lstm_cell_back(g, gx, bf->cs + ((int64_t) (s + 1) * n + b) * H,
						   bf->cs + ((int64_t) s * n + b) * H, dh, dc, H);
			memcpy(g, gx, sizeof(float) * (size_t) GH);
		}
		else
			gru_cell_back(g, gx, bf->hs + ((int64_t) s * n + b) * H,
						  bf->hn + ((int64_t) s * n + b) * H, dh, H);
	}
}

static void
rnn_backward_dir(pgl_nn *net, nn_layer *l, int dir, const float *in, int32_t n, const float *d,
				 float *din)
{
	int64_t		 T = l->in_h, F = l->in_c, H = l->s.units, GH = (int64_t) rnn_gates(l) * H;
	int64_t		 D = l->out_c, off = l->p_off + dir * rnn_dir_params(l);
	const float *Wih = net->params + off, *Whh = Wih + GH * F;
	float *dWih = net->grads + off, *dWhh = dWih + GH * F, *dbih = dWhh + GH * H, *dbhh = dbih + GH;
	rnn_bufs bf;

	rnn_bufs_of(l, dir, n, &bf);
	/* the padded steps' input-side gradients are 0 (the others are written) */
	for (int32_t b = 0; b < n; b++)
		memset(bf.xg + ((int64_t) b * T + l->len[b]) * GH, 0,
			   sizeof(float) * (size_t) ((T - l->len[b]) * GH));
	memset(bf.dh, 0, sizeof(float) * (size_t) (n * H));
	memset(bf.dc, 0, sizeof(float) * (size_t) (n * H));
	if (!l->s.return_sequences)
		for (int32_t b = 0; b < n; b++)
			memcpy(bf.dh + b * H, d + b * D + dir * H, sizeof(float) * (size_t) H);
	for (int32_t s = (int32_t) T - 1; s >= 0; s--)
	{
		rnn_step_back(l, &bf, d, dir, s, n);
		nn_gemm(net, false, false, n, H, GH, bf.gt + (int64_t) s * n * GH, GH, Whh, H, 1.0f, bf.dh,
				H);
	}
	nn_gemm(net, true, false, GH, H, T * n, bf.gt, GH, bf.hs, H, 0.0f, dWhh, H);
	nn_gemm(net, true, false, GH, F, n * T, bf.xg, GH, in, F, 0.0f, dWih, F);
	memset(dbih, 0, sizeof(float) * (size_t) (2 * GH));
	for (int64_t r = 0; r < n * T; r++)
		for (int64_t j = 0; j < GH; j++)
		{
			dbih[j] += bf.xg[r * GH + j];
			dbhh[j] += bf.gt[r * GH + j];
		}
	if (din)
		nn_gemm(net, false, false, n * T, F, GH, bf.xg, GH, Wih, F, dir == 0 ? 0.0f : 1.0f, din, F);
}

/* ---------- conv1d ---------- */

/* the rows of the im2col matrix; input steps at or past a row's length read as 0 */
static void
im2col1d(const nn_layer *l, const float *in, const int32_t *inlen, int32_t n, float *cols)
{
	int32_t k = l->s.kernel, str = l->s.stride, T = l->in_h;
	int64_t F = l->in_c;

	for (int32_t b = 0; b < n; b++)
	{
		const float *x = in + (int64_t) b * l->in_size;
		int32_t		 len = inlen ? inlen[b] : T;

		for (int32_t o = 0; o < l->out_h; o++)
		{
			float *row = cols + ((int64_t) b * l->out_h + o) * l->kkc;

			for (int32_t kk = 0; kk < k; kk++)
			{
				int32_t t = o * str - l->pad_t + kk;

				if (t < 0 || t >= len || t >= T)
					memset(row + kk * F, 0, sizeof(float) * (size_t) F);
				else
					memcpy(row + kk * F, x + (int64_t) t * F, sizeof(float) * (size_t) F);
			}
		}
	}
}

static void
col2im1d(const nn_layer *l, const float *cols, const int32_t *inlen, int32_t n, float *din)
{
	int32_t k = l->s.kernel, str = l->s.stride, T = l->in_h;
	int64_t F = l->in_c;

	memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
	for (int32_t b = 0; b < n; b++)
	{
		float  *x = din + (int64_t) b * l->in_size;
		int32_t len = inlen ? inlen[b] : T;

		for (int32_t o = 0; o < l->out_h; o++)
		{
			const float *row = cols + ((int64_t) b * l->out_h + o) * l->kkc;

			for (int32_t kk = 0; kk < k; kk++)
			{
				int32_t t = o * str - l->pad_t + kk;

				if (t >= 0 && t < len && t < T)
					for (int64_t f = 0; f < F; f++)
						x[(int64_t) t * F + f] += row[kk * F + f];
			}
		}
	}
}

/* a row's output length from its input length */
static int32_t
conv1d_len(const nn_layer *l, int32_t len)
{
	int32_t k = l->s.kernel, str = l->s.stride, o;

	if (len <= 0)
		return 0;
	if (l->s.padding == 1)
		o = (len + str - 1) / str;
	else
		o = len >= k ? (len - k) / str + 1 : 1;
	return o > l->out_h ? l->out_h : o;
}

int32_t
nn_seq_out_steps(const nn_layer *l, int32_t steps)
{
	return conv1d_len(l, steps);
}

static void
conv1d_forward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n)
{
	const float	  *W = net->params + l->p_off, *bias = W + l->n_w;
	const int32_t *inlen = nn_input_lengths(net, i);
	int64_t		   rows = (int64_t) n * l->out_h, C = l->out_c;

	im2col1d(l, in, inlen, n, l->work);
	nn_gemm(net, false, false, rows, C, l->kkc, l->work, l->kkc, W, C, 0.0f, l->out, C);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t j = 0; j < C; j++)
			l->out[r * C + j] += bias[j];
	if (l->s.activation == PGL_NN_SOFTMAX)
		nn_act_forward(l->s.activation, (float) l->s.alpha, l->out, rows, C);
	else
		nn_act_forward(l->s.activation, (float) l->s.alpha, l->out, n, l->out_size);
	for (int32_t b = 0; b < n; b++)
	{
		l->len[b] = conv1d_len(l, inlen ? inlen[b] : l->in_h);
		memset(l->out + ((int64_t) b * l->out_h + l->len[b]) * C, 0,
			   sizeof(float) * (size_t) ((l->out_h - l->len[b]) * C));
	}
	l->has_len = true;
}

static void
conv1d_backward(pgl_nn *net, nn_layer *l, int i, int32_t n, float *d, float *din, bool fused)
{
	const float	  *W = net->params + l->p_off;
	float		  *dW = net->grads + l->p_off, *db = dW + l->n_w;
	const int32_t *inlen = nn_input_lengths(net, i);
	int64_t		   rows = (int64_t) n * l->out_h, C = l->out_c;

	/* the padded outputs are constant 0 */
	for (int32_t b = 0; b < n; b++)
		memset(d + ((int64_t) b * l->out_h + l->len[b]) * C, 0,
			   sizeof(float) * (size_t) ((l->out_h - l->len[b]) * C));
	if (!fused)
	{
		if (l->s.activation == PGL_NN_SOFTMAX)
			nn_act_backward(l->s.activation, (float) l->s.alpha, l->out, d, rows, C);
		else
			nn_act_backward(l->s.activation, (float) l->s.alpha, l->out, d, n, l->out_size);
	}
	nn_gemm(net, true, false, l->kkc, C, rows, l->work, l->kkc, d, C, 0.0f, dW, C);
	memset(db, 0, sizeof(float) * (size_t) C);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t j = 0; j < C; j++)
			db[j] += d[r * C + j];
	if (din)
	{
		nn_gemm(net, false, true, rows, l->kkc, C, d, C, W, C, 0.0f, l->work, l->kkc);
		col2im1d(l, l->work, inlen, n, din);
	}
}

/* ---------- masked global pools ---------- */

static void
pool_forward(const pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n)
{
	const int32_t *inlen = nn_input_lengths(net, i);
	int64_t		   F = l->in_c;
	bool		   is_max = l->s.type == PGL_NN_GLOBAL_MAX_POOL1D;

	for (int32_t b = 0; b < n; b++)
	{
		const float *x = in + (int64_t) b * l->in_size;
		float		*o = l->out + (int64_t) b * F;
		float		*arg = is_max ? l->work + (int64_t) b * F : NULL;
		int32_t		 len = inlen ? inlen[b] : l->in_h;

		len = len < 0 ? 0 : len > l->in_h ? l->in_h : len;
		l->len[b] = len;
		for (int64_t f = 0; f < F; f++)
		{
			o[f] = len > 0 && is_max ? x[f] : 0.0f;
			if (is_max)
				arg[f] = 0.0f;
		}
		for (int32_t t = is_max ? 1 : 0; t < len; t++)
			for (int64_t f = 0; f < F; f++)
			{
				float v = x[(int64_t) t * F + f];

				if (!is_max)
					o[f] += v;
				else if (v > o[f])
				{
					o[f] = v;
					arg[f] = (float) t;
				}
			}
		if (!is_max && len > 0)
			for (int64_t f = 0; f < F; f++)
				o[f] /= (float) len;
	}
	l->has_len = false;
}

static void
pool_backward(nn_layer *l, int32_t n, const float *d, float *din)
{
	int64_t F = l->in_c;
	bool	is_max = l->s.type == PGL_NN_GLOBAL_MAX_POOL1D;

	if (din == NULL)
		return;
	memset(din, 0, sizeof(float) * (size_t) n * (size_t) l->in_size);
	for (int32_t b = 0; b < n; b++)
	{
		float		*x = din + (int64_t) b * l->in_size;
		const float *g = d + (int64_t) b * F;
		int32_t		 len = l->len[b];

		if (len == 0)
			continue;
		if (is_max)
			for (int64_t f = 0; f < F; f++)
				x[(int64_t) l->work[(int64_t) b * F + f] * F + f] = g[f];
		else
			for (int32_t t = 0; t < len; t++)
				for (int64_t f = 0; f < F; f++)
					x[(int64_t) t * F + f] = g[f] / (float) len;
	}
}

/* ---------- dispatch ---------- */

void
nn_seq_forward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n, bool training)
{
	(void) training;
	switch (l->s.type)
	{
		case PGL_NN_EMBEDDING:
			embed_forward(net, l, i, in, n);
			break;
		case PGL_NN_LSTM:
		case PGL_NN_GRU:
			copy_lengths(net, l, i, n, l->in_h);
			if (l->s.return_sequences)
				memset(l->out, 0, sizeof(float) * (size_t) n * (size_t) l->out_size);
			for (int dir = 0; dir < rnn_dirs(l); dir++)
				rnn_forward_dir(net, l, dir, in, n);
			/* the last state is not a sequence */
			l->has_len = l->s.return_sequences != 0;
			break;
		case PGL_NN_CONV1D:
			conv1d_forward(net, l, i, in, n);
			break;
		case PGL_NN_GLOBAL_AVG_POOL1D:
		case PGL_NN_GLOBAL_MAX_POOL1D:
			pool_forward(net, l, i, in, n);
			break;
		default:
			break;
	}
}

void
nn_seq_backward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n, float *d, float *din,
				bool fused)
{
	switch (l->s.type)
	{
		case PGL_NN_EMBEDDING:
			embed_backward(net, l, in, n, d, din);
			break;
		case PGL_NN_LSTM:
		case PGL_NN_GRU:
			for (int dir = 0; dir < rnn_dirs(l); dir++)
				rnn_backward_dir(net, l, dir, in, n, d, din);
			break;
		case PGL_NN_CONV1D:
			conv1d_backward(net, l, i, n, d, din, fused);
			break;
		case PGL_NN_GLOBAL_AVG_POOL1D:
		case PGL_NN_GLOBAL_MAX_POOL1D:
			pool_backward(l, n, d, din);
			break;
		default:
			break;
	}
}
