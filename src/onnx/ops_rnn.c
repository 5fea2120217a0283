/*-------------------------------------------------------------------------
 *
 * ops_rnn.c
 *	  ONNX LSTM, GRU and RNN (ONNX layouts and gate orders: LSTM i o f c,
 *	  GRU z r h; directions forward, reverse, bidirectional; sequence_lens;
 *	  initial_h and initial_c; peepholes; layout 0 and 1; activations
 *	  Sigmoid, Tanh, Relu; clip; input_forget; linear_before_reset), and
 *	  LayerNormalization (opset 17).
 *
 * A direction's input projections for all steps are one product,
 * X [T N, I] by W^T, with W's bias and the recurrent bias folded in
 * (except GRU's recurrent candidate bias under linear_before_reset, which
 * the reset gate multiplies).  Each step is one product of the states by
 * R^T (GRU: SGEMMs, and without linear_before_reset two, the candidate's
 * after the reset gate), then the gates element by element.  The products
 * of LSTM and RNN run on W and R packed at load when they are constants
 * (pack_rnn_weights, n->state), else once per run into scratch (vec.c).
 * Row b is at time s (forward) or len_b - 1 - s (reverse) while s < len_b
 * and keeps its state after; Y is 0 at times >= len_b.  Scratch (floats):
 *
 *	xw	  [T N][G H]	the input projections, rows in X's order
 *	gates [N][G H]		one step's pre-activations
 *	rec	  [N][G H]		GRU: one step's recurrent projections
 *	h, c  [N][H]		the state
 *	rh, hh [N][H]		GRU without linear_before_reset: r * h and its projection
 *	rt	  [G H][H]		R packed (ox_vec_gemm_pack)
 *	wt	  [G H][I]		W packed
 *
 *-------------------------------------------------------------------------
 */
#include "ops_math.h"
#include "ox_kernels.h"

#include <math.h>
#include <string.h>

int
ox_rnn_gates(ox_rnn_cell cell)
{
	return cell == OX_RNN_LSTM ? 4 : cell == OX_RNN_GRU ? 3 : 1;
}

int64_t
ox_rnn_scratch(const ox_rnn *r)
{
	int64_t gh = ox_rnn_gates(r->cell) * r->h;

	/* xw, gates, rec; hs, cs, rh, hh; the recurrent and input weights packed */
	return r->t * r->n * gh + 2 * r->n * gh + 4 * r->n * r->h + gh * r->h + gh * r->in;
}

static inline float
act(ox_act a, float v)
{
	switch (a)
	{
		case OX_ACT_SIGMOID:
			return ox_sigmoidf(v);
		case OX_ACT_TANH:
			return ox_tanhf(v);
		case OX_ACT_RELU:
			return v > 0 ? v : 0;
	}
	return v;
}

static inline float
clipv(float v, float clip)
{
	if (clip > 0)
		return v > clip ? clip : v < -clip ? -clip : v;
	return v;
}

/* one direction's constants */
typedef struct rnn_dir
{
	int			 d; /* index in the outputs */
	bool		 reverse;
	ox_act		 f, g, h;
	const float *w, *r, *b, *p;
	int64_t		 gh;
	float		*xw, *gates, *rec, *hs, *cs, *rh, *hh;
	const float *rt; /* r packed for ox_vec_gemm_acc (gh x H floats): at load, or into rt_buf */
	const float *wt; /* w packed likewise (gh x in floats) */
	float		*rt_buf, *wt_buf;
} rnn_dir;

static int64_t
seq_len(const ox_rnn *r, int64_t b)
{
	return r->seq_lens ? r->seq_lens[b] : r->t;
}

/* the input projections of every step, biases folded in */
static void
rnn_project(const ox_rnn *r, const rnn_dir *dd)
{
	int64_t		 H = r->h;
	bool		 packed = ox_vec_gemm_packed_wins();
	const float *wt = dd->wt;

	/* the biases first, then x w^T added (the packed kernel, or SGEMM) */
	for (int64_t row = 0; row < r->t * r->n; row++)
	{
		float *xr = dd->xw + row * dd->gh;

		if (!dd->b)
		{
			memset(xr, 0, sizeof(float) * dd->gh);
			continue;
		}
		for (int64_t j = 0; j < dd->gh; j++)
		{
			bool rb = !(r->cell == OX_RNN_GRU && r->linear_before_reset && j >= 2 * H);

			xr[j] = dd->b[j] + (rb ? dd->b[dd->gh + j] : 0.0f);
		}
	}
	if (!packed)
	{
		ox_gemm_f32(false, true, r->t * r->n, dd->gh, r->in, 1.0f, r->x, dd->w, 1.0f, dd->xw);
		return;
	}
	if (!wt)
	{
		ox_vec_gemm_pack(dd->gh, r->in, dd->w, false, dd->wt_buf);
		wt = dd->wt_buf;
	}
	ox_vec_gemm_acc(r->t * r->n, dd->gh, r->in, r->x, wt, dd->xw);
}

/* GRU: the recurrent projections computed before the reset gate, per row */
static int64_t
gru_rec_width(const ox_rnn *r)
{
	return (r->linear_before_reset ? 3 : 2) * r->h;
}

/* an LSTM of the default activations, without peepholes, clip or coupled gates */
static bool
lstm_plain(const ox_rnn *r, const rnn_dir *dd)
{
	return dd->f == OX_ACT_SIGMOID && dd->g == OX_ACT_TANH && dd->h == OX_ACT_TANH &&
		   dd->p == NULL && !(r->clip > 0) && !r->input_forget;
}

/* the elementwise step of row b: reads gates (and rec), updates hs, cs */
static void
rnn_cell(const ox_rnn *r, const rnn_dir *dd, int64_t b)
{
	int64_t H = r->h;
	float  *g = dd->gates + b * dd->gh, *h = dd->hs + b * H, *c = dd->cs + b * H;
	float	cl = r->clip;

	if (r->cell == OX_RNN_SIMPLE)
		for (int64_t j = 0; j < H; j++)
			h[j] = act(dd->f, clipv(g[j], cl));
	else if (r->cell == OX_RNN_LSTM && lstm_plain(r, dd))
		/* what torch exports: 8 lanes at a time (vec.c) */
		ox_vec_lstm_cell(g, c, h, H);
	else if (r->cell == OX_RNN_LSTM)
		for (int64_t j = 0; j < H; j++)
		{
			float pi = dd->p ? dd->p[j] * c[j] : 0, pf = dd->p ? dd->p[2 * H + j] * c[j] : 0;
			float i = act(dd->f, clipv(g[j] + pi, cl));
			float f = r->input_forget ? 1.0f - i : act(dd->f, clipv(g[2 * H + j] + pf, cl));
			float cn = f * c[j] + i * act(dd->g, clipv(g[3 * H + j], cl));
			float o = act(dd->f, clipv(g[H + j] + (dd->p ? dd->p[H + j] * cn : 0), cl));

			c[j] = cn;
			h[j] = o * act(dd->h, cn);
		}
	else
	{
		const float *rc = dd->rec + b * gru_rec_width(r);
		const float *hh = dd->hh + b * H;
		const float *rbh = dd->b ? dd->b + dd->gh + 2 * H : NULL;

		/* g[j] holds z and g[H + j] r (rnn_gru_gates) */
		for (int64_t j = 0; j < H; j++)
		{
			float z = g[j], hc;

			if (r->linear_before_reset)
				hc = act(dd->g,
						 clipv(g[2 * H + j] + g[H + j] * (rc[2 * H + j] + (rbh ? rbh[j] : 0)), cl));
			else
				hc = act(dd->g, clipv(g[2 * H + j] + hh[j], cl));
			h[j] = (1.0f - z) * hc + z * h[j];
		}
	}
}

/* GRU: z and r of row b into gates[0, 2H), and r * h into rh */
static void
rnn_gru_gates(const ox_rnn *r, const rnn_dir *dd, int64_t b)
{
	int64_t		 H = r->h;
	float		*g = dd->gates + b * dd->gh;
	const float *rc = dd->rec + b * gru_rec_width(r), *h = dd->hs + b * H;

	for (int64_t j = 0; j < 2 * H; j++)
		g[j] = act(dd->f, clipv(g[j] + rc[j], r->clip));
	if (!r->linear_before_reset)
		for (int64_t j = 0; j < H; j++)
			dd->rh[b * H + j] = g[H + j] * h[j];
}

/* the time of step s for row b, or -1 when b's sequence has ended */
static inline int64_t
step_time(const ox_rnn *r, const rnn_dir *dd, int64_t b, int64_t s)
{
	int64_t len = seq_len(r, b);

	if (s >= len)
		return -1;
	return dd->reverse ? len - 1 - s : s;
}

static inline int64_t
x_row(const ox_rnn *r, int64_t t, int64_t b)
{
	return r->layout == 0 ? t * r->n + b : b * r->t + t;
}

static inline float *
y_row(const ox_rnn *r, const rnn_dir *dd, int64_t t, int64_t b)
{
	if (r->layout == 0)
		return r->y + ((t * r->dirs + dd->d) * r->n + b) * r->h;
	return r->y + ((b * r->t + t) * r->dirs + dd->d) * r->h;
}

/* offset of row b of direction d in initial_h, Y_h and the like */
static inline int64_t
state_off(const ox_rnn *r, int d, int64_t b)
{
	return (r->layout == 0 ? (int64_t) d * r->n + b : b * r->dirs + d) * r->h;
}

static void
rnn_direction(const ox_rnn *r, rnn_dir *dd)
{
	int64_t H = r->h, N = r->n;
	bool	packed;

	rnn_project(r, dd);
	for (int64_t b = 0; b < N; b++)
	{
		for (int64_t j = 0; j < H; j++)
		{
			dd->hs[b * H + j] = r->h0 ? r->h0[state_off(r, dd->d, b) + j] : 0.0f;
			dd->cs[b * H + j] = r->c0 ? r->c0[state_off(r, dd->d, b) + j] : 0.0f;
		}
		if (r->y)
			for (int64_t t = seq_len(r, b); t < r->t; t++)
				memset(y_row(r, dd, t, b), 0, sizeof(float) * H);
	}
	packed = r->cell != OX_RNN_GRU && ox_vec_gemm_packed_wins();
	if (packed && !dd->rt)
	{
		ox_vec_gemm_pack(dd->gh, H, dd->r, false, dd->rt_buf);
		dd->rt = dd->rt_buf;
	}
	for (int64_t s = 0; s < r->t; s++)
	{
		for (int64_t b = 0; b < N; b++)
		{
			int64_t t = step_time(r, dd, b, s);

			if (t >= 0)
				memcpy(dd->gates + b * dd->gh, dd->xw + x_row(r, t, b) * dd->gh,
					   sizeof(float) * dd->gh);
		}
		if (packed)
			ox_vec_gemm_acc(N, dd->gh, H, dd->hs, dd->rt, dd->gates);
		else if (r->cell != OX_RNN_GRU)
			ox_gemm_f32(false, true, N, dd->gh, H, 1.0f, dd->hs, dd->r, 1.0f, dd->gates);
		else
		{
			ox_gemm_f32(false, true, N, gru_rec_width(r), H, 1.0f, dd->hs, dd->r, 0.0f, dd->rec);
			for (int64_t b = 0; b < N; b++)
				if (step_time(r, dd, b, s) >= 0)
					rnn_gru_gates(r, dd, b);
			if (!r->linear_before_reset)
				ox_gemm_f32(false, true, N, H, H, 1.0f, dd->rh, dd->r + 2 * H * H, 0.0f, dd->hh);
		}
		for (int64_t b = 0; b < N; b++)
		{
			int64_t t = step_time(r, dd, b, s);

			if (t < 0)
				continue;
			rnn_cell(r, dd, b);
			if (r->y)
				memcpy(y_row(r, dd, t, b), dd->hs + b * H, sizeof(float) * H);
		}
	}
	for (int64_t b = 0; b < N; b++)
	{
		if (r->y_h)
			memcpy(r->y_h + state_off(r, dd->d, b), dd->hs + b * H, sizeof(float) * H);
		if (r->y_c)
			memcpy(r->y_c + state_off(r, dd->d, b), dd->cs + b * H, sizeof(float) * H);
	}
}

void
ox_rnn_run(const ox_rnn *r, float *scratch)
{
	int64_t G = ox_rnn_gates(r->cell), gh = G * r->h, H = r->h, N = r->n;

	for (int d = 0; d < r->dirs; d++)
	{
		rnn_dir dd;

		dd.d = d;
		dd.reverse = d == 1 || r->reverse;
		dd.f = d == 1 ? r->f2 : r->f;
		dd.g = d == 1 ? r->g2 : r->g;
		dd.h = d == 1 ? r->hact2 : r->hact;
		dd.gh = gh;
		dd.w = r->w + d * gh * r->in;
		dd.r = r->r + d * gh * H;
		dd.b = r->b ? r->b + d * 2 * gh : NULL;
		dd.p = r->p ? r->p + d * 3 * H : NULL;
		dd.xw = scratch;
		dd.gates = dd.xw + r->t * N * gh;
		dd.rec = dd.gates + N * gh;
		dd.hs = dd.rec + N * gh;
		dd.cs = dd.hs + N * H;
		dd.rh = dd.cs + N * H;
		dd.hh = dd.rh + N * H;
		dd.rt_buf = dd.hh + N * H;
		dd.wt_buf = dd.rt_buf + gh * H;
		dd.rt = r->r_packed ? r->r_packed + d * gh * H : NULL;
		dd.wt = r->w_packed ? r->w_packed + d * gh * r->in : NULL;
		rnn_direction(r, &dd);
	}
}

/* ---------- LayerNormalization ---------- */

void
ox_layernorm_f32(const float *x, float *y, int64_t outer, int64_t n, const float *scale,
				 const float *b, float eps, float *mean, float *inv_std)
{
	for (int64_t o = 0; o < outer; o++)
	{
		float mu, is;

		ox_vec_layernorm_row(x + o * n, y + o * n, n, scale, b, eps, &mu, &is);
		if (mean)
			mean[o] = mu;
		if (inv_std)
			inv_std[o] = is;
	}
}

/* ---------- kernels ---------- */

static ox_rnn_cell
cell_of(const pgl_ox_node *n)
{
	return strcmp(n->op_type, "LSTM") == 0	? OX_RNN_LSTM
		   : strcmp(n->op_type, "GRU") == 0 ? OX_RNN_GRU
											: OX_RNN_SIMPLE;
}

/* activations a cell takes per direction (f, g, h) */
static int
cell_acts(ox_rnn_cell cell)
{
	return cell == OX_RNN_LSTM ? 3 : cell == OX_RNN_GRU ? 2 : 1;
}

static int
dirs_of(const pgl_ox_node *n)
{
	return strcmp(pgl_ox_attr_string(n, "direction", "forward"), "bidirectional") == 0 ? 2 : 1;
}

static bool
act_parse(const char *s, ox_act *a)
{
	if (strcmp(s, "Sigmoid") == 0)
		*a = OX_ACT_SIGMOID;
	else if (strcmp(s, "Tanh") == 0)
		*a = OX_ACT_TANH;
	else if (strcmp(s, "Relu") == 0)
		*a = OX_ACT_RELU;
	else
		return false;
	return true;
}

/*
 * W and R packed once at load (n->state) when both are constants of the
 * shapes the node's attributes give and the packed kernel wins here; R only
 * serves LSTM and RNN (GRU's steps keep SGEMM).  Else per run, into scratch.
 */
static bool dims_are(const pgl_ox_tensor *t, int nd, int64_t d0, int64_t d1, int64_t d2);

typedef struct ox_rnn_packed
{
	int64_t dirs, gh, in, h;
	float  *w, *r;
} ox_rnn_packed;

static ox_rnn_packed *
pack_rnn_weights(const pgl_ox_model *m, const pgl_ox_node *n, int64_t hs)
{
	const pgl_ox_tensor *w = pgl_ox_const_input(m, n, 1), *r = pgl_ox_const_input(m, n, 2);
	int64_t				 D = dirs_of(n), gh = ox_rnn_gates(cell_of(n)) * hs, in;
	pgl_status			 ignored = {0};
	ox_rnn_packed		*pk;

	if (!w || !r || w->dtype != PGL_OX_FLOAT || r->dtype != PGL_OX_FLOAT || w->ndim != 3 ||
		!ox_vec_gemm_packed_wins() || !dims_are(r, 3, D, gh, hs) || w->dims[0] != D ||
		w->dims[1] != gh || (in = w->dims[2]) <= 0)
		return NULL;
	pk = pgl_ox_state_alloc(
		m, sizeof(ox_rnn_packed) + sizeof(float) * (size_t) (D * gh * (in + hs)), &ignored);
	if (pk == NULL)
		return NULL;
	*pk = (ox_rnn_packed){.dirs = D, .gh = gh, .in = in, .h = hs, .w = (float *) (pk + 1)};
	pk->r = pk->w + D * gh * in;
	for (int64_t d = 0; d < D; d++)
	{
		ox_vec_gemm_pack(gh, in, (const float *) w->data + d * gh * in, false, pk->w + d * gh * in);
		ox_vec_gemm_pack(gh, hs, (const float *) r->data + d * gh * hs, false, pk->r + d * gh * hs);
	}
	return pk;
}

pgl_rc
pgl_ox_c_rnn(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	const char		  *dir = pgl_ox_attr_string(n, "direction", "forward");
	const pgl_ox_attr *acts = pgl_ox_attr_find(n, "activations");
	ox_rnn_cell		   cell = cell_of(n);
	int64_t			   hs = pgl_ox_attr_int(n, "hidden_size", 1);
	ox_act			   a;

	(void) m;
	if (strcmp(dir, "forward") != 0 && strcmp(dir, "reverse") != 0 &&
		strcmp(dir, "bidirectional") != 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "direction is forward, reverse or bidirectional.",
						   "%s node \"%s\" has direction \"%s\"", n->op_type, n->name, dir);
	if (hs < 1 || hs > ((int64_t) 1 << 20))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "hidden_size is between 1 and 2^20.",
						   "%s node \"%s\" has hidden_size %lld", n->op_type, n->name,
						   (long long) hs);
	if (pgl_ox_attr_int(n, "layout", 0) != 0 && pgl_ox_attr_int(n, "layout", 0) != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "layout is 0 or 1.",
						   "%s node \"%s\" has layout %lld", n->op_type, n->name,
						   (long long) pgl_ox_attr_int(n, "layout", 0));
	if ((pgl_ox_attr_int(n, "linear_before_reset", 0) & ~1) ||
		(pgl_ox_attr_int(n, "input_forget", 0) & ~1))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "linear_before_reset and input_forget are 0 or 1.",
						   "%s node \"%s\" has another value", n->op_type, n->name);
	if (pgl_ox_attr_find(n, "clip") && !(pgl_ox_attr_float(n, "clip", 0) > 0))
		return pgl_ox_fail(st, PGL_ERR_INVALID, "clip is positive.", "%s node \"%s\" has clip %g",
						   n->op_type, n->name, (double) pgl_ox_attr_float(n, "clip", 0));
	if (acts)
	{
		if (acts->type != PGL_OX_ATTR_STRINGS || acts->n != cell_acts(cell) * dirs_of(n))
			return pgl_ox_fail(st, PGL_ERR_INVALID,
							   "activations lists the cell's functions for each direction.",
							   "%s node \"%s\" has %d activations for %d", n->op_type, n->name,
							   acts->n, cell_acts(cell) * dirs_of(n));
		for (int i = 0; i < acts->n; i++)
			if (!act_parse(acts->strings[i], &a))
				return pgl_ox_fail(st, PGL_ERR_INVALID,
								   "The supported activations are Sigmoid, Tanh and Relu.",
								   "unsupported ONNX %s activation \"%s\" (node \"%s\")",
								   n->op_type, acts->strings[i], n->name);
	}
	n->state = pack_rnn_weights(m, n, hs);
	return PGL_OK;
}

static pgl_rc
rnn_bad(const pgl_ox_node *n, int i, const char *what, pgl_status *st)
{
	return pgl_ox_fail(st, PGL_ERR_INVALID, "The shapes follow ONNX's recurrent layouts.",
					   "%s node \"%s\": input %d is not %s", n->op_type, n->name, i, what);
}

/* is t (if present) float of exactly the dims given? */
static bool
dims_are(const pgl_ox_tensor *t, int nd, int64_t d0, int64_t d1, int64_t d2)
{
	int64_t want[3] = {d0, d1, d2};

	if (!t)
		return true;
	if (t->dtype != PGL_OX_FLOAT || t->ndim != nd)
		return false;
	for (int i = 0; i < nd; i++)
		if (t->dims[i] != want[i])
			return false;
	return true;
}

/* fill r's sizes and inputs from the node's inputs, checking their shapes */
static pgl_rc
rnn_inputs(const pgl_ox_node *n, pgl_ox_tensor **in, int n_in, ox_rnn *r, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0], *w = in[1], *rt = in[2];
	const pgl_ox_tensor *b = n_in > 3 ? in[3] : NULL, *sl = n_in > 4 ? in[4] : NULL;
	const pgl_ox_tensor *h0 = n_in > 5 ? in[5] : NULL, *c0 = n_in > 6 ? in[6] : NULL;
	const pgl_ox_tensor *p = n_in > 7 ? in[7] : NULL;
	int64_t				 G = ox_rnn_gates(r->cell), D = r->dirs;

	if (xt->dtype != PGL_OX_FLOAT || xt->ndim != 3)
		return rnn_bad(n, 0, "a float tensor of rank 3", st);
	r->t = xt->dims[r->layout == 0 ? 0 : 1];
	r->n = xt->dims[r->layout == 0 ? 1 : 0];
	r->in = xt->dims[2];
	if (!rt || rt->ndim != 3 || rt->dims[1] % G != 0)
		return rnn_bad(n, 2, "R [directions, gates x hidden, hidden]", st);
	r->h = rt->dims[2];
	if (pgl_ox_attr_find(n, "hidden_size") && pgl_ox_attr_int(n, "hidden_size", 0) != r->h)
		return rnn_bad(n, 2, "of hidden_size", st);
	if (!dims_are(w, 3, D, G * r->h, r->in))
		return rnn_bad(n, 1, "W [directions, gates x hidden, input]", st);
	if (!dims_are(rt, 3, D, G * r->h, r->h))
		return rnn_bad(n, 2, "R [directions, gates x hidden, hidden]", st);
	if (!dims_are(b, 2, D, 2 * G * r->h, 0))
		return rnn_bad(n, 3, "B [directions, 2 x gates x hidden]", st);
	if (sl && (sl->dtype != PGL_OX_INT32 || sl->ndim != 1 || sl->dims[0] != r->n))
		return rnn_bad(n, 4, "an int32 sequence_lens [batch]", st);
	for (int64_t i = 0; sl && i < r->n; i++)
		if (((int32_t *) sl->data)[i] < 0 || ((int32_t *) sl->data)[i] > r->t)
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Each length is between 0 and the steps.",
							   "%s node \"%s\" has a sequence length of %d for %lld steps",
							   n->op_type, n->name, ((int32_t *) sl->data)[i], (long long) r->t);
	if (!(r->layout == 0 ? dims_are(h0, 3, D, r->n, r->h) : dims_are(h0, 3, r->n, D, r->h)))
		return rnn_bad(n, 5, "initial_h of the state's shape", st);
	if (!(r->layout == 0 ? dims_are(c0, 3, D, r->n, r->h) : dims_are(c0, 3, r->n, D, r->h)))
		return rnn_bad(n, 6, "initial_c of the state's shape", st);
	if (!dims_are(p, 2, D, 3 * r->h, 0))
		return rnn_bad(n, 7, "P [directions, 3 x hidden]", st);
	r->x = xt->data;
	r->w = w->data;
	r->r = rt->data;
	r->b = b ? b->data : NULL;
	r->seq_lens = sl ? sl->data : NULL;
	r->h0 = h0 ? h0->data : NULL;
	r->c0 = c0 ? c0->data : NULL;
	r->p = p ? p->data : NULL;
	return PGL_OK;
}

/* the attributes into r */
static void
rnn_attrs(const pgl_ox_node *n, ox_rnn *r)
{
	const pgl_ox_attr *acts = pgl_ox_attr_find(n, "activations");
	ox_act			   dflt[3] = {OX_ACT_SIGMOID, OX_ACT_TANH, OX_ACT_TANH};
	ox_act			   a[6];
	int				   k = cell_acts(r->cell);

	memset(r, 0, sizeof(*r));
	r->cell = cell_of(n);
	k = cell_acts(r->cell);
	if (r->cell == OX_RNN_SIMPLE)
		dflt[0] = OX_ACT_TANH;
	r->dirs = dirs_of(n);
	r->reverse = strcmp(pgl_ox_attr_string(n, "direction", "forward"), "reverse") == 0;
	r->layout = (int) pgl_ox_attr_int(n, "layout", 0);
	r->linear_before_reset = pgl_ox_attr_int(n, "linear_before_reset", 0) == 1;
	r->input_forget = pgl_ox_attr_int(n, "input_forget", 0) == 1;
	r->clip = pgl_ox_attr_find(n, "clip") ? pgl_ox_attr_float(n, "clip", 0) : 0;
	for (int i = 0; i < 6; i++)
		a[i] = dflt[i % 3];
	for (int i = 0; acts && acts->type == PGL_OX_ATTR_STRINGS && i < acts->n && i < 2 * k; i++)
		act_parse(acts->strings[i], &a[(i / k) * 3 + i % k]);
	r->f = a[0];
	r->g = a[1];
	r->hact = a[2];
	r->f2 = a[3];
	r->g2 = a[4];
	r->hact2 = a[5];
}

pgl_rc
pgl_ox_k_rnn(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
			 pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	ox_rnn	r;
	int64_t yd[4], sd[3];
	float  *scratch;

	rnn_attrs(n, &r);
	if (rnn_inputs(n, in, n_in, &r, st) != PGL_OK)
		return st->rc;
	r.w_packed = r.r_packed = NULL;
	if (n->state)
	{
		const ox_rnn_packed *pk = n->state;

		if (pk->dirs == r.dirs && pk->gh == ox_rnn_gates(r.cell) * r.h && pk->in == r.in &&
			pk->h == r.h)
		{
			r.w_packed = pk->w;
			r.r_packed = pk->r;
		}
	}
	if (r.layout == 0)
	{
		int64_t y0[4] = {r.t, r.dirs, r.n, r.h}, s0[3] = {r.dirs, r.n, r.h};

		memcpy(yd, y0, sizeof(yd));
		memcpy(sd, s0, sizeof(sd));
	}
	else
	{
		int64_t y1[4] = {r.n, r.t, r.dirs, r.h}, s1[3] = {r.n, r.dirs, r.h};

		memcpy(yd, y1, sizeof(yd));
		memcpy(sd, s1, sizeof(sd));
	}
	for (int i = 0; i < n_out && i < 3; i++)
	{
		if (!out[i])
			continue;
		if (pgl_ox_output(x, out[i], PGL_OX_FLOAT, i == 0 ? 4 : 3, i == 0 ? yd : sd, st) != PGL_OK)
			return st->rc;
	}
	r.y = n_out > 0 && out[0] ? out[0]->data : NULL;
	r.y_h = n_out > 1 && out[1] ? out[1]->data : NULL;
	r.y_c = n_out > 2 && out[2] ? out[2]->data : NULL;
	if (r.t * r.n > INT32_MAX || r.h * 4 > INT32_MAX || r.in > INT32_MAX)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "Each dimension of a product is below 2^31.",
						   "%s node \"%s\" is too large", n->op_type, n->name);
	if (r.n == 0)
		return PGL_OK;
	if (!(scratch = pgl_ox_scratch(x, (size_t) ox_rnn_scratch(&r) * sizeof(float), st)))
		return st->rc;
	ox_rnn_run(&r, scratch);
	return PGL_OK;
}

pgl_rc
pgl_ox_c_layernorm(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)
{
	int64_t stash = pgl_ox_attr_int(n, "stash_type", 1);

	(void) m;
	if (stash != 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "stash_type is 1 (float).",
						   "unsupported ONNX LayerNormalization stash_type %lld (node \"%s\")",
						   (long long) stash, n->name);
	return PGL_OK;
}

pgl_rc
pgl_ox_k_layernorm(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
				   pgl_ox_tensor **out, int n_out, pgl_status *st)
{
	const pgl_ox_tensor *xt = in[0], *sc = in[1], *bt = n_in > 2 ? in[2] : NULL;
	int32_t				 axis;
	int64_t				 outer = 1, len = 1, sd[PGL_OX_MAX_DIMS];

	if (xt->dtype != PGL_OX_FLOAT || xt->ndim < 1)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "It takes a float tensor of rank 1 or more.",
						   "LayerNormalization node \"%s\" got a %s input of rank %d", n->name,
						   pgl_ox_dtype_name(xt->dtype), xt->ndim);
	if (pgl_ox_axis(n, pgl_ox_attr_int(n, "axis", -1), xt->ndim, &axis, st) != PGL_OK)
		return st->rc;
	for (int i = 0; i < xt->ndim; i++)
	{
		if (i < axis)
			outer *= xt->dims[i];
		else
			len *= xt->dims[i];
		sd[i] = i < axis ? xt->dims[i] : 1;
	}
	for (int k = 1; k < 3; k++)
	{
		const pgl_ox_tensor *t = k == 1 ? sc : bt;

		if (t && (t->dtype != PGL_OX_FLOAT || t->count != len))
			return pgl_ox_fail(st, PGL_ERR_INVALID, "Scale and B have the normalized dims' shape.",
							   "LayerNormalization node \"%s\": input %d has %lld elements for "
							   "%lld normalized",
							   n->name, k, (long long) t->count, (long long) len);
	}
	if (len == 0)
		return pgl_ox_fail(st, PGL_ERR_INVALID, "The normalized dims have an element.",
						   "LayerNormalization node \"%s\" normalizes nothing", n->name);
	if (pgl_ox_output(x, out[0], PGL_OX_FLOAT, xt->ndim, xt->dims, st) != PGL_OK)
		return st->rc;
	for (int i = 1; i < n_out && i < 3; i++)
		if (out[i] && pgl_ox_output(x, out[i], PGL_OX_FLOAT, xt->ndim, sd, st) != PGL_OK)
			return st->rc;
	ox_layernorm_f32(xt->data, out[0]->data, outer, len, sc->data, bt ? bt->data : NULL,
					 pgl_ox_attr_float(n, "epsilon", 1e-5f),
					 n_out > 1 && out[1] ? out[1]->data : NULL,
					 n_out > 2 && out[2] ? out[2]->data : NULL);
	return PGL_OK;
}
