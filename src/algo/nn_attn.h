/*-------------------------------------------------------------------------
 *
 * nn_attn.h
 *	  Attention layers of the neural-network engine (nn_attn.c):
 *	  multi_head_attention, layer_norm, positional_embedding and the
 *	  transformer_encoder block, as kernels over raw buffers that nn.c
 *	  dispatches to (and the unit tests call directly).
 *
 * A batch is n samples of T rows of F features, row-major (a sequence
 * sample is a (T, F) tensor).  lengths (n values, or NULL: all T) gives the
 * real rows of each sample; the padding is at the end.  Every layer here
 * outputs 0 on a padded row and passes no gradient through one; attention
 * gives a padded key the score -inf.
 *
 * Parameters, in order (matrices [in, out] row-major, as dense's W):
 *	multi_head_attention  Wqkv [F, 3 HD], bqkv [3 HD], Wo [HD, F], bo [F]
 *						  (HD = heads * key_dim; the columns of Wqkv are the
 *						  queries, keys and values, head after head: PyTorch's
 *						  in_proj_weight transposed)
 *	layer_norm			  gamma [F], beta [F]
 *	positional_embedding  learned: P [max_len, F]; sinusoidal: none
 *	transformer_encoder	  the attention's, then W1 [F, ff], b1 [ff], W2 [ff, F],
 *						  b2 [F], gamma1, beta1, gamma2, beta2 [F]
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_ATTN_H
#define PGL_NN_ATTN_H

#include "nn.h"

#define PGL_NN_POS_LEARNED	  0
#define PGL_NN_POS_SINUSOIDAL 1
#define PGL_NN_LN_EPS		  1e-5f

typedef struct pgl_attn_dims
{
	int32_t type;	  /* pgl_nn_layer_type, one of the four above */
	int32_t T, F;	  /* rows per sample (1 for a flat layer_norm input), features */
	bool	masked;	  /* a sequence input: lengths apply */
	int32_t heads;	  /* attention */
	int32_t key_dim;  /* per head */
	int32_t ff;		  /* transformer_encoder feed-forward units */
	int32_t pos_kind; /* PGL_NN_POS_* */
	int32_t max_len;  /* learned positions */
} pgl_attn_dims;

/* is type one of this file's layers */
extern bool pgl_attn_is_layer(int32_t type);

/*
 * Fill d from a layer spec and its input shape (ndim, h, w, c as in nn.c),
 * with the defaults (key_dim = F / heads, max_len = T); NULL when it fits,
 * else a message saying what is wrong and what is valid.
 */
extern const char *pgl_attn_dims_from_spec(const pgl_nn_layer_spec *s, int32_t ndim, int32_t h,
										   int32_t w, int32_t c, pgl_attn_dims *d);

extern int64_t pgl_attn_n_params(const pgl_attn_dims *d);

/* floats of work buffer for batches of up to max_batch (training: with backward scratch) */
extern int64_t pgl_attn_work_size(const pgl_attn_dims *d, int32_t max_batch, bool training);

/* initial parameters (Xavier matrices, zero biases, gamma 1) from *rng */
extern void pgl_attn_init(const pgl_attn_dims *d, float *params, uint64_t *rng);

/* out: n x T x F; work as sized above, kept for the backward pass */
extern void pgl_attn_forward(const pgl_attn_dims *d, const float *params, const float *in,
							 int32_t n, const int32_t *lengths, float *out, float *work);

/*
 * dout: gradient w.r.t. the output (overwritten); din (may be NULL): w.r.t.
 * the input; dparams: w.r.t. the parameters (overwritten).  in and work as
 * left by the forward pass of the same batch.
 */
extern void pgl_attn_backward(const pgl_attn_dims *d, const float *params, const float *in,
							  int32_t n, const int32_t *lengths, float *dout, float *din,
							  float *dparams, float *work);

/* floating-point operations of a forward pass of n samples (the GEMMs) */
extern double pgl_attn_flops(const pgl_attn_dims *d, int32_t n);

#endif /* PGL_NN_ATTN_H */
