/*-------------------------------------------------------------------------
 *
 * nn_internal.h
 *	  The layer engine's internals, shared by nn.c (the engine, dense and
 *	  convolutional layers, losses, training, model tensors) and the files
 *	  of other layer families (nn_seq.c: embedding, lstm, gru, conv1d,
 *	  masked pooling).  Not part of the API: include nn.h elsewhere.
 *
 * A layer family provides, per layer type it owns, the dispatch hooks
 * below (shape inference, buffers, initialization, forward, backward);
 * nn.c calls them from nn_infer, nn_build, init_params, layer_forward and
 * layer_backward.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_INTERNAL_H
#define PGL_NN_INTERNAL_H

#include "nn.h"

#define NN_MAX_LAYERS 64
#define NN_MAX_DIM	  (1 << 24)

typedef struct nn_layer
{
	pgl_nn_layer_spec s;
	int32_t			  in_ndim, in_h, in_w, in_c;
	int32_t			  out_ndim, out_h, out_w, out_c;
	int64_t			  in_size, out_size;
	int32_t			  pad_t, pad_l;
	int64_t			  n_w, n_b;		 /* parameters: W then b (batchnorm: gamma, beta) */
	int64_t			  p_off;		 /* in params */
	int64_t			  s_off;		 /* in stats (batchnorm: mean, var) */
	int64_t			  kkc;			 /* conv2d: k * k * in_c; conv1d: k * in_c */
	float			 *out;			 /* max_batch x out_size */
	float			 *cols;			 /* conv2d, conv1d: im2col of the batch */
	int32_t			 *idx;			 /* maxpool2d, global_max_pool1d: argmax */
	float			 *mask;			 /* dropout */
	float			 *xhat;			 /* batchnorm: normalized input */
	float			 *bmean, *bistd; /* batchnorm: batch statistics */
	/* sequence layers */
	int64_t	 work_per_row; /* floats of work per batch row (nn_seq_work) */
	float	*work;		   /* max_batch * work_per_row: caches of the last forward */
	int32_t *len;		   /* max_batch: each row's output length (time axis) */
	bool	 has_len;	   /* len is set by the last forward (else: full) */
	/*
	 * Length buckets: the full time steps of the input and output (0: no
	 * time axis that a batch cuts).  A batch whose rows are at most T_b
	 * long runs the leading sequence layers with their time axis cut to
	 * T_b (in_h or in_c, out_h and the sizes), packed n x T_b x F.
	 */
	int32_t steps_in, steps_out;
	/*
	 * > 0: out holds the last cut forward's rows packed, packed_row floats
	 * each (pgl_nn_layer_output spreads them to out_size when asked)
	 */
	int64_t packed_row;
	/* a layer stored sparse that runs the SpMM kernel (nn_prune.c), or NULL */
	const struct nn_csr *csr;
} nn_layer;

/* one weight matrix stored sparse: the CSR of W transposed (nn_prune.c) */
typedef struct nn_csr
{
	int32_t			layer;
	int32_t			rows, cols; /* units; input rows of W */
	int64_t			nnz;
	const int32_t  *ptr;
	const uint16_t *idx;
	const float	   *val;
	uint16_t	   *idx_own; /* the indexes unpacked, on a big-endian host */
	bool			dense;	 /* its matrix is in params (the SGEMM runs) */
} nn_csr;

struct pgl_nn
{
	pgl_env		   env;
	pgl_nn_spec	   spec;
	int32_t		   L;
	nn_layer	  *layer;
	int32_t		   max_batch;
	int64_t		   in_size;
	int64_t		   P, S;
	float		  *params, *grads, *stats;
	bool		   owns_params;
	float		  *g0, *g1; /* gradient ping-pong, max_batch x widest */
	uint64_t	   rng;
	double		   flops;
	const int32_t *lengths;	   /* pgl_nn_set_lengths: the input's valid lengths, or NULL */
	int32_t		  *lenbuf;	   /* max_batch: lengths computed by train / predict */
	const float	  *soft;	   /* pgl_nn_set_soft_targets: the batch's targets, or NULL */
	float		  *logits;	   /* max_batch x n_out: the last pre-activation (distillation) */
	bool		   trims;	   /* every layer on the time axis can run on a batch's steps */
	int32_t		   steps;	   /* the time steps of the current batch (layer 0's input) */
	int32_t		   last_steps; /* those of the last batch run */
	int32_t		   packed_n;   /* rows of the last forward (layers' packed_row) */
	float		  *xpack;	   /* max_batch x in_size: the input cut to the batch's steps */
	/* from a sparse model (nn_prune.c) */
	nn_csr *csr;
	int32_t n_csr;
	float  *spmm_work; /* widest SpMM input rows x PGL_NN_SPMM_BLOCK */
};

/* ---------- helpers of nn.c ---------- */

/* layer l's output of the last cut forward spread to full rows (no-op when not packed) */
extern void nn_spread_output(pgl_nn *net, nn_layer *l);
extern void nn_gemm(pgl_nn *net, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A,
					int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
extern void nn_act_forward(int32_t act, float alpha, float *a, int64_t rows, int64_t group);
extern void nn_act_backward(int32_t act, float alpha, const float *restrict a, float *restrict d,
							int64_t rows, int64_t group);
extern pgl_rc nn_layer_fail(pgl_status *st, pgl_rc rc, int i, const nn_layer *l, const char *what);
extern double nn_rng_normal(uint64_t *s);

/*
 * The valid lengths of layer i's input (NULL: every row full).  The time
 * axis is the input's first axis (in_h of a (T, F) input, in_c of token
 * ids).
 */
extern const int32_t *nn_input_lengths(const pgl_nn *net, int i);

/* ---------- nn_distill.c: the distillation term of the loss ---------- */

/*
 * The loss of a batch of n rows with the distillation term: hard is the
 * hard-label loss compute_loss gave and grad its gradient w.r.t. the last
 * pre-activation; both become the mixed loss (net->soft, net->logits).
 */
extern double nn_distill_loss(const pgl_nn *net, int32_t n, double hard, float *grad);

/* PGL_ERR_INVALID unless the spec and train->soft can be distilled (pgl_nn_train) */
extern pgl_rc nn_distill_check(const pgl_nn *net, const pgl_nn_data *train, pgl_status *st);
/* ---------- nn.c, shared with nn_prune.c ---------- */

extern pgl_rc nn_infer(const pgl_nn_spec *spec, nn_layer *layers, int64_t *P, int64_t *S, pgl_rc rc,
					   pgl_status *st);
extern pgl_rc spec_from_model(const pgl_model *m, pgl_nn_spec *spec, pgl_nn_layer_spec *layers,
							  pgl_status *st);
/* does t hold P float32 values ([P], or in zero-padded blocks)? */
extern bool params_fit(const pgl_tensor *t, int64_t P);

/* ---------- nn_prune.c: gradual magnitude pruning, sparse layers ---------- */

/* the pruning state of one training (all zero: no pruning) */
typedef struct nn_pruner
{
	uint8_t *keep;		/* P: 0 where a weight is pruned */
	float	*m1, *m2;	/* the optimizer's moments, zeroed where pruned */
	int64_t	 steps;		/* optimizer steps into the last prune_epochs epochs */
	int64_t	 per_epoch; /* steps per epoch */
	int64_t	 every;		/* prune every this many steps */
	double	 reached;	/* the sparsity of the last pruning */
	float	*scratch;	/* the magnitudes of the widest matrix */
} nn_pruner;

extern pgl_rc nn_prune_begin(const pgl_env *env, pgl_nn *net, int64_t per_epoch, float *m1,
							 float *m2, nn_pruner *pr, pgl_status *st);
/* zero the gradients of pruned weights (before the optimizer's step) */
extern void nn_prune_grads(pgl_nn *net, const nn_pruner *pr);
/* after the optimizer's step of epoch (1-based); last: the training's last step */
extern void nn_prune_step(pgl_nn *net, nn_pruner *pr, int32_t epoch, bool last);
extern void nn_prune_end(const pgl_env *env, nn_pruner *pr);

/* the sparse layers of a model into net (built from the model, no parameters yet) */
extern pgl_rc nn_sparse_load(const pgl_env *env, const pgl_model *m, pgl_nn *net, pgl_status *st);
/* check m's sparse tensors against the layers; *P_sparse: the weights they hold */
extern pgl_rc nn_sparse_validate(const pgl_model *m, const nn_layer *layers, int32_t L,
								 int64_t *P_sparse, pgl_status *st);
/* the forward product of a layer that runs the SpMM: out = in W (rows of K values) */
extern void nn_sparse_forward(pgl_nn *net, const nn_layer *l, const float *in, int64_t rows,
							  int64_t K, float *out);

/* ---------- nn_seq.c: embedding, lstm, gru, conv1d, masked pooling ---------- */

extern bool nn_seq_owns(int32_t type);

/*
 * Shape of layer l (its input fields set): the output fields, n_w / n_b,
 * work_per_row; rc the code for a mismatch, i the layer's index.
 */
extern pgl_rc nn_seq_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st);
extern void	  nn_seq_init(nn_layer *l, float *params, uint64_t *rng);
extern void	  nn_seq_forward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n,
							 bool training);
extern void	  nn_seq_backward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n, float *d,
							  float *din, bool fused);

/* conv1d: the output steps of an input of steps steps (at most l->out_h) */
extern int32_t nn_seq_out_steps(const nn_layer *l, int32_t steps);

/* ---------- nn_attn.c: attention, layer_norm, positional_embedding, transformer ---------- */

extern bool	  nn_attn_owns(int32_t type);
extern pgl_rc nn_attn_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st);
extern void	  nn_attn_init(nn_layer *l, float *params, uint64_t *rng);
extern void	  nn_attn_forward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n);
extern void nn_attn_backward(pgl_nn *net, nn_layer *l, int i, const float *in, int32_t n, float *d,
							 float *din);

/* ---------- variational autoencoders (nn_vae.c) ---------- */

extern bool	  nn_vae_owns(int32_t type);
extern pgl_rc nn_vae_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st);
extern void	  nn_vae_forward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, bool training);
extern void	  nn_vae_backward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, const float *d,
							  float *din);
/* the KL terms of the sample layers for the last forward of n rows (0: none) */
extern double nn_vae_kl(const pgl_nn *net, int32_t n);
/* inference through layers first .. L - 1 of n rows of in (layer first's input) */
extern const float *nn_forward_from(pgl_nn *net, int32_t first, const float *in, int32_t n);

#endif /* PGL_NN_INTERNAL_H */
