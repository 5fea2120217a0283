/*-------------------------------------------------------------------------
 *
 * nn.h
 *	  Neural networks (nn.c): a sequential layer engine in float32 over
 *	  SGEMM, trained with mini-batch Adam or SGD with momentum.
 *
 * A sample is a tensor of shape (h, w, c), stored row-major with the
 * channels last (NHWC for a batch), or a flat vector of d values (shape
 * (d), ndim 1).  Layers:
 *
 *	dense		  flat in, units out; W is [in, units], b is [units]
 *	conv2d		  (h, w, c) in, filters out; W is [k, k, c, filters] (HWIO),
 *				  computed as one SGEMM over the im2col matrix of the batch
 *	maxpool2d	  window p, stride s (default p), valid padding
 *	avgpool2d	  as maxpool2d, the mean of the window
 *	flatten		  (h, w, c) -> (h * w * c)
 *	dropout		  inverted dropout in training, identity in inference
 *	batchnorm	  per last axis (channels, or the units of a flat input);
 *				  batch statistics in training, running ones in inference
 *	activation	  an activation on its own
 *
 * Sequences (nn_seq.c): a sequence sample is a (T, F) tensor, row-major,
 * ndim 2 (spec in_ndim 2: in_h = T, in_w = 1, in_c = F).  Token ids for an
 * embedding are a flat (T) vector of float-encoded ids (in_ndim 1, the
 * embedding the first layer).  Each row has a valid length (at most T,
 * pgl_nn_set_lengths); padding is at the end of the row.
 *
 *	embedding	  (T) ids in, (T, units) out; W is [vocab, units]; id 0 is
 *				  padding: its output is 0 and its row gets no gradient
 *	lstm, gru	  (T, F) in, (T, D * units) out with return_sequences, else
 *				  (D * units), D = 2 when bidirectional; PyTorch's gate order
 *				  and layout per direction: W_ih [G * units, F], W_hh
 *				  [G * units, units], b_ih, b_hh [G * units] (G = 4 for
 *				  lstm i, f, g, o; 3 for gru r, z, n)
 *	conv1d		  (T, F) in, (T', filters) out; W is [kernel, F, filters]
 *	global_avg_pool1d, global_max_pool1d   (T, F) in, (F) out
 *
 * Masking: a step at or past a row's length is padding.  An lstm / gru
 * leaves its state unchanged there and outputs 0; without
 * return_sequences its output is the state after the row's last real step
 * (the backward direction starts at that step).  conv1d outputs 0 past its
 * output length; the pools read the real steps only (a row of length 0
 * gives 0).
 *
 * Variational autoencoders (nn_vae.c):
 *
 *	sample		  (2Z) in: the latent mean, then the log-variance; (Z) out:
 *				  mean + exp(log-variance / 2) eps, eps ~ N(0, 1) from the
 *				  network's generator, in training; the mean in inference.
 *				  Its backward adds the gradient of the KL term
 *				  vae_beta / n_out * sum (exp(lv) + mean^2 - 1 - lv) (the
 *				  ELBO of a unit-variance decoder scaled by 2 / n_out, so it
 *				  sits beside the mean squared error), which the loss adds.
 *
 * dense and conv2d carry an activation (linear, relu, leaky_relu, tanh,
 * sigmoid, softmax).  The loss follows the task: softmax cross-entropy
 * (classification, last activation softmax over n classes), sigmoid
 * cross-entropy (two classes, one sigmoid output), or mean squared error
 * (regression, targets standardized during training).
 *
 * Every product goes through cblas_sgemm.  With one BLAS thread a fixed
 * seed gives bit-identical results.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_H
#define PGL_NN_H

#include "pgl_algo.h"

typedef enum pgl_nn_layer_type
{
	PGL_NN_DENSE = 1,
	PGL_NN_DROPOUT = 2,
	PGL_NN_CONV2D = 3,
	PGL_NN_MAXPOOL2D = 4,
	PGL_NN_AVGPOOL2D = 5,
	PGL_NN_FLATTEN = 6,
	PGL_NN_BATCHNORM = 7,
	PGL_NN_ACTIVATION = 8,
	/* sequence layers (nn_seq.c): input (T, F), see below */
	PGL_NN_EMBEDDING = 9,
	PGL_NN_LSTM = 10,
	PGL_NN_GRU = 11,
	PGL_NN_CONV1D = 12,
	PGL_NN_GLOBAL_AVG_POOL1D = 13,
	PGL_NN_GLOBAL_MAX_POOL1D = 14,
	/* attention layers (nn_attn.c) */
	PGL_NN_MULTI_HEAD_ATTENTION = 15,
	PGL_NN_LAYER_NORM = 16,
	PGL_NN_POSITIONAL_EMBEDDING = 17,
	PGL_NN_TRANSFORMER_ENCODER = 18,
	/* variational autoencoders (nn_vae.c): not written by users, see below */
	PGL_NN_SAMPLE = 19
} pgl_nn_layer_type;

#define PGL_NN_LAYER_MAX 19

typedef enum pgl_nn_activation
{
	PGL_NN_LINEAR = 0,
	PGL_NN_RELU = 1,
	PGL_NN_LEAKY_RELU = 2,
	PGL_NN_TANH = 3,
	PGL_NN_SIGMOID = 4,
	PGL_NN_SOFTMAX = 5
} pgl_nn_activation;

#define PGL_NN_ACT_MAX 5

typedef enum pgl_nn_loss
{
	PGL_NN_LOSS_SOFTMAX_CE = 1, /* classification, softmax over n_out >= 2 */
	PGL_NN_LOSS_SIGMOID_CE = 2, /* two classes, one sigmoid output */
	PGL_NN_LOSS_MSE = 3			/* regression */
} pgl_nn_loss;

typedef enum pgl_nn_optimizer
{
	PGL_NN_ADAM = 0,
	PGL_NN_SGD = 1
} pgl_nn_optimizer;

typedef enum pgl_nn_init
{
	PGL_NN_INIT_AUTO = 0, /* He for relu / leaky_relu, Xavier otherwise */
	PGL_NN_INIT_HE = 1,
	PGL_NN_INIT_XAVIER = 2
} pgl_nn_init;

typedef struct pgl_nn_layer_spec
{
	int32_t type;			  /* pgl_nn_layer_type */
	int32_t activation;		  /* pgl_nn_activation (dense, conv2d, activation) */
	int32_t units;			  /* dense units, conv2d filters */
	int32_t kernel;			  /* conv2d kernel, pool window */
	int32_t stride;			  /* conv2d (default 1) and pools (default window) */
	int32_t padding;		  /* conv2d: 0 valid, 1 same */
	double	rate;			  /* dropout rate in [0, 1) */
	double	alpha;			  /* leaky_relu slope (default 0.01) */
	int32_t vocab;			  /* embedding: ids 0 .. vocab - 1, 0 the padding */
	int32_t return_sequences; /* lstm, gru: 1 every step, 0 the last state */
	int32_t bidirectional;	  /* lstm, gru: 1 forward and backward, concatenated */
	/* attention layers (nn_attn.c) */
	int32_t heads;	  /* multi_head_attention, transformer_encoder */
	int32_t key_dim;  /* per head; 0: features / heads */
	int32_t ff_units; /* transformer_encoder feed-forward units */
	int32_t pos_kind; /* positional_embedding: 0 learned, 1 sinusoidal */
	int32_t max_len;  /* learned positions; 0: the sequence length */
} pgl_nn_layer_spec;

typedef struct pgl_nn_spec
{
	int32_t			   n_layers;
	pgl_nn_layer_spec *layers;
	int32_t	 in_ndim; /* 1: flat (in_c values), 2: (in_h = T, in_c = F), 3: (in_h, in_w, in_c) */
	int32_t	 in_h, in_w, in_c;
	int32_t	 loss;	/* pgl_nn_loss */
	int32_t	 n_out; /* outputs of the last layer */
	int32_t	 optimizer;
	int32_t	 init;
	double	 learning_rate;
	double	 momentum;				/* sgd */
	double	 beta1, beta2, epsilon; /* adam */
	double	 l2;
	int32_t	 batch_size;
	int32_t	 epochs;
	int32_t	 patience; /* 0: no early stopping */
	uint64_t seed;
	/*
	 * Training only, not stored: gradual magnitude pruning (nn_prune.c) of
	 * the weight matrices of dense, conv2d and conv1d layers.  0: none;
	 * else the final sparsity in (0, 1), reached over the last
	 * prune_epochs (1 .. epochs) epochs.
	 */
	double	prune_sparsity;
	int32_t prune_epochs;
	/*
	 * Training only, not stored: n_out class weights (2 for a sigmoid
	 * output), each finite and > 0, or NULL (all 1).  A row of class c counts
	 * class_weight[c] times in the cross-entropy (still divided by the rows).
	 */
	const double *class_weight;
	/*
	 * Training only, not stored: distillation (pgl_nn_data.soft).  The loss
	 * is (1 - w) CE(label, softmax(z)) + w T^2 CE(soft, softmax(z / T)) of
	 * the last layer's pre-activation z (sigmoid: the binary cross-entropy
	 * of sigmoid(z / T)), T = temperature > 0, w = distill_weight in [0, 1];
	 * class weights scale the first term only.
	 */
	double temperature;	   /* default 2 */
	double distill_weight; /* default 0.5 */
	/*
	 * Training only, not stored: 1 ("buckets": false) batches of rows in
	 * shuffled order, each computed over all T steps; 0 (the default)
	 * length buckets (pgl_nn_train).  Prediction always computes a batch
	 * over its longest row only, which gives the same outputs.
	 */
	int32_t no_buckets;
	/* Training only, not stored: the weight of a sample layer's KL term (default 1) */
	double vae_beta;
} pgl_nn_spec;

/* defaults: adam 0.001, batch 32, 10 epochs, no l2, no early stopping */
extern void pgl_nn_spec_defaults(pgl_nn_spec *spec);

/* names, for messages and the glue's parser */
extern const char *pgl_nn_layer_name(int32_t type);
extern const char *pgl_nn_activation_name(int32_t act);

/* an opaque network: layers, shapes, parameters, buffers for a batch size */
typedef struct pgl_nn pgl_nn;

/*
 * Infer the shapes of spec and allocate a network for batches of up to
 * max_batch rows, parameters initialized from spec->seed.  A spec that does
 * not fit (unknown layer, bad sizes, a shape mismatch, a last layer that
 * does not match the loss) fails with PGL_ERR_INVALID and a message naming
 * the layer (1-based) and the shapes.
 */
extern pgl_rc pgl_nn_create(const pgl_env *env, const pgl_nn_spec *spec, int32_t max_batch,
							pgl_nn **out, pgl_status *st);
extern void	  pgl_nn_destroy(const pgl_env *env, pgl_nn *net);

/* bytes a network of spec and its training take for batches of max_batch rows */
extern pgl_rc pgl_nn_memory(const pgl_nn_spec *spec, int32_t max_batch, int64_t *bytes,
							pgl_status *st);

/* sizes */
extern int32_t pgl_nn_input_size(const pgl_nn *net);
extern int64_t pgl_nn_param_count(const pgl_nn *net);
extern float  *pgl_nn_params(pgl_nn *net);
extern float  *pgl_nn_grads(pgl_nn *net);

/* "28x28x1 -> conv2d 26x26x32 -> ..." into buf */
extern void pgl_nn_describe(const pgl_nn *net, char *buf, size_t len);

/*
 * Forward a batch of n <= max_batch rows (X row-major n x input size);
 * returns the last layer's outputs (n x n_out, post-activation), owned by
 * the network.  training: dropout masks and batch statistics.
 */
extern const float *pgl_nn_forward(pgl_nn *net, const float *X, int32_t n, bool training);

/*
 * Forward in training mode, the loss (mean over the batch, plus the L2
 * term) and its gradient into pgl_nn_grads.  label (classification) or y
 * (regression, n x n_out) gives the target.  *correct counts the right
 * classes (classification) when not NULL.
 */
extern double pgl_nn_loss_grad(pgl_nn *net, const float *X, int32_t n, const int32_t *label,
							   const float *y, int32_t *correct);

/* the same loss without gradients, in inference mode (the L2 term left out) */
extern double pgl_nn_eval_loss(pgl_nn *net, const float *X, int32_t n, const int32_t *label,
							   const float *y, int32_t *correct);

/*
 * The valid lengths of the next batch's rows (n values, each in 0 .. T,
 * the padding at the end of each row), or NULL: every row full.  Set before
 * pgl_nn_forward / pgl_nn_loss_grad / pgl_nn_eval_loss for that batch; the
 * network keeps the pointer until the next call.  pgl_nn_train and
 * pgl_nn_predict_rows set them themselves (pgl_nn_data.lengths, or
 * pgl_nn_sequence_lengths).
 *
 * Length buckets: with lengths set, a batch whose rows are at most T_b <
 * T long runs the layers on the time axis on T_b steps only (the same
 * results; not with spec.no_buckets; pgl_nn_batch_steps gives T_b).
 * Their outputs stay packed n x T_b x F until pgl_nn_layer_output spreads
 * a layer's back to n x T x F, the steps past T_b 0 (it gives full rows);
 * the layer shapes are the full ones again after each call.
 */
extern void pgl_nn_set_lengths(pgl_nn *net, const int32_t *lengths);

/*
 * The time steps the last batch's input ran on; 0 when the network never
 * cuts (no sequence input, or batchnorm or flatten on the time axis)
 */
extern int32_t pgl_nn_batch_steps(const pgl_nn *net);

/* does the network take sequences (a (T, F) input, or token ids into an embedding)? */
extern bool pgl_nn_takes_sequences(const pgl_nn *net);

/* values per step of a sequence input (features; 1 for token ids), 0 for another input */
extern int32_t pgl_nn_step_size(const pgl_nn *net);

/*
 * The lengths of n rows of X as stored: a row's length is one past its last
 * step that is not all zeros (token ids: the last non-zero id).
 */
extern void pgl_nn_sequence_lengths(const pgl_nn *net, const float *X, int64_t n, int32_t *lengths);

/*
 * Distillation targets of the next batch (n x n_out: for a softmax output
 * the teacher's distribution softened by the temperature, for one sigmoid
 * unit the softened probability of class 1), or NULL: none.  While set,
 * pgl_nn_loss_grad adds the distillation term (pgl_nn_spec.temperature,
 * distill_weight); pgl_nn_eval_loss ignores them.  The network keeps the
 * pointer; PGL_ERR_NOMEM when the buffer of logits cannot be allocated,
 * PGL_ERR_INVALID for a regression network.  pgl_nn_train sets them itself
 * (pgl_nn_data.soft).
 */
extern pgl_rc pgl_nn_set_soft_targets(pgl_nn *net, const float *soft, pgl_status *st);

/*
 * Soften a distribution p of k >= 1 probabilities by temperature T > 0:
 * out_j = p_j^(1/T) / sum_i p_i^(1/T) (p_j = 0 stays 0).  For a model
 * whose probabilities are softmax(z) this is softmax(z / T) exactly, so a
 * teacher that gives only probabilities is softened as one with logits.
 * PGL_ERR_INVALID (naming the value) when a p_j is negative or not finite,
 * or all are 0.
 */
extern pgl_rc pgl_nn_soften(const double *p, int32_t k, double T, double *out, pgl_status *st);

/* ---------- variational autoencoders (nn_vae.c) ---------- */

/* the latent size Z of a model's sample layer; 0: the model has none */
extern int32_t pgl_nn_latent_size(const pgl_model *m);

/*
 * n synthetic rows of a variational autoencoder m (column inputs): z ~
 * N(0, I) from seed through the layers after its sample layer, the outputs
 * un-standardized by "nn_mu" / "nn_sd", into out (row-major n x inputs).
 * PGL_ERR_INVALID when m has no sample layer; PGL_ERR_NUMERIC for an
 * output that is not finite.
 */
extern pgl_rc pgl_nn_generate(const pgl_env *env, const pgl_model *m, int64_t n, uint64_t seed,
							  double *out, pgl_status *st);

/* ---------- layer outputs (ai_predict_tensor) ---------- */

extern int32_t pgl_nn_layer_count(const pgl_nn *net);
/* outputs of the last layer: the classes, 1 for one sigmoid unit or a regression */
extern int32_t pgl_nn_output_count(const pgl_nn *net);
extern int32_t pgl_nn_layer_type_of(const pgl_nn *net, int32_t i);

/*
 * The output of layer i (0-based) for row r of the last pgl_nn_forward
 * (post-activation; sequence layers: padded steps 0), *size values.  Not
 * const: the layer's output of a cut batch is spread to full rows here.
 */
extern const float *pgl_nn_layer_output(pgl_nn *net, int32_t i, int32_t r, int64_t *size);

/* reseed the generator of dropout masks (tests) */
extern void pgl_nn_reseed(pgl_nn *net, uint64_t seed);

/* ---------- training ---------- */

/* per-epoch record */
typedef struct pgl_nn_epoch
{
	double train_loss;
	double train_acc; /* NaN for regression */
	double val_loss;  /* NaN without a hold-out */
	double val_acc;
	double seconds;
} pgl_nn_epoch;

#define PGL_NN_HISTORY_COLS 5

typedef struct pgl_nn_data
{
	const float	  *X; /* row-major n x input size */
	int64_t		   n;
	const int32_t *label; /* classification */
	const float	  *y;	  /* regression: n x n_out */
	/* sequences: each row's valid length, or NULL: pgl_nn_sequence_lengths of X */
	const int32_t *lengths;
	/*
	 * distillation: n x n_out teacher targets, already softened (see
	 * pgl_nn_set_soft_targets), or NULL
	 */
	const float *soft;
} pgl_nn_data;

typedef struct pgl_nn_result
{
	int32_t		  epochs_run;
	int32_t		  best_epoch; /* 1-based: the weights kept */
	double		  loss;		  /* monitored loss of the kept weights */
	pgl_nn_epoch *history;	  /* epochs_run entries, allocated through env */
	double		  flops;	  /* floating-point operations of the GEMMs */
	double		  gemm_seconds;
} pgl_nn_result;

/*
 * Train net on train; validation (may have n == 0) is evaluated after each
 * epoch.  Mini-batches of spec->batch_size rows in an order shuffled per
 * epoch by the seed; interrupts are checked every batch, progress reported
 * every epoch.  With patience > 0 training stops when the monitored loss
 * (validation, or training without a hold-out) has not improved for
 * patience epochs, and the best weights are restored.
 */
extern pgl_rc pgl_nn_train(const pgl_env *env, pgl_nn *net, const pgl_nn_data *train,
						   const pgl_nn_data *valid, pgl_nn_result *res, pgl_status *st);

/* ---------- models ---------- */

/*
 * Model tensors:
 *	"nn_arch"	 i32 [layers, 8] or [layers, 12]: type, activation, units,
 *				 kernel, stride, padding, vocab, flags (1 return_sequences,
 *				 2 bidirectional); 8 .. 11 (attention: heads, key_dim,
 *				 ff_units, positional kind).  Written with 8 columns unless
 *				 a layer has a non-zero value in columns 8 and up.
 *	"nn_lparam"	 f64 [layers, 2]: dropout rate, leaky_relu slope
 *	"nn_config"	 f64 [PGL_NN_CONFIG_LEN]: see PGL_NN_CFG_*
 *	"nn_params"	 f32 [P]: every trainable parameter, in layer order; or,
 *				 stored as int8, f32 [ceil(P / B), B] (2 <= B <= 65536): the
 *				 same values in rows of B, the last padded with zeros, so
 *				 that int8 has one scale per block (pgl_nn_block_params)
 *	"nn_stats"	 f32 [S]: batchnorm running means and variances (S may be 0)
 *	"nn_mu", "nn_sd" f64 [n_inputs]: input standardization (column inputs)
 *	"nn_history" f64 [epochs, 5]: train loss, train accuracy, validation
 *				 loss, validation accuracy, seconds
 */
#define PGL_NN_CFG_IN_NDIM	  0
#define PGL_NN_CFG_IN_H		  1
#define PGL_NN_CFG_IN_W		  2
#define PGL_NN_CFG_IN_C		  3
#define PGL_NN_CFG_LOSS		  4
#define PGL_NN_CFG_N_OUT	  5
#define PGL_NN_CFG_SCALE	  6 /* array inputs: multiplier */
#define PGL_NN_CFG_INPUT_KIND 7 /* 0 columns, 1 float array, 2 bytea */
#define PGL_NN_CFG_Y_MU		  8
#define PGL_NN_CFG_Y_SD		  9
#define PGL_NN_CFG_BEST_EPOCH 10
#define PGL_NN_CFG_EPOCHS_RUN 11
#define PGL_NN_CONFIG_LEN	  12

#define PGL_NN_INPUT_COLUMNS 0
#define PGL_NN_INPUT_ARRAY	 1
#define PGL_NN_INPUT_BYTEA	 2

/*
 * Add the network's tensors to m.  config holds the glue's part (scale,
 * input kind, target scaling; the rest is filled in here); mu/sd (may be
 * NULL) the input standardization over m->n_inputs columns.
 */
extern pgl_rc pgl_nn_to_model(const pgl_env *env, pgl_nn *net, const double *config,
							  const double *mu, const double *sd, const pgl_nn_result *res,
							  pgl_model *m, pgl_status *st);

/*
 * Build a network from a model's tensors for batches of up to max_batch
 * rows, for prediction only (pgl_nn_forward, pgl_nn_eval_loss,
 * pgl_nn_predict_rows): its parameters point into the model's tensors,
 * which must outlive it, and it has no gradient buffers.  Fails with
 * PGL_ERR_CORRUPT when the tensors do not describe a valid network.
 */
extern pgl_rc pgl_nn_from_model(const pgl_env *env, const pgl_model *m, int32_t max_batch,
								pgl_nn **out, pgl_status *st);

/*
 * Predict n rows given as float tensors (row-major n x input size, already
 * scaled): out n x n_classes probabilities (classification) or n values.
 */
extern pgl_rc pgl_nn_predict_rows(const pgl_env *env, pgl_nn *net, const pgl_model *m,
								  const float *X, int64_t n, double *out, pgl_status *st);

/* the ops of the algorithm table */
/* parameters per int8 scale ("storage": "int8"), and the largest block a reader accepts */
#define PGL_NN_PARAM_BLOCK	   64
#define PGL_NN_MAX_PARAM_BLOCK 65536

/*
 * Reshape m's "nn_params" f32 [P] into f32 [ceil(P / block), block], zero
 * padded, before int8 storage (pgl_model_set_storage then gives each row
 * its own scale).  The first P values stay the parameters, in order.
 */
extern pgl_rc pgl_nn_block_params(const pgl_env *env, pgl_model *m, int32_t block, pgl_status *st);

extern pgl_rc pgl_nn_validate(const pgl_model *m, pgl_status *st);

/* ---------- pruning and sparse storage (nn_prune.c) ---------- */

/*
 * The sparsity the pruning schedule asks at time t (in epochs, counted
 * from the start of the last n epochs; 0 <= t <= n): Zhu and Gupta's
 * s_f (1 - (1 - t / n)^3).
 */
extern double pgl_nn_prune_schedule(double s_final, int32_t n, double t);

/*
 * The pruning options of spec (prune_sparsity in [0, 1); when above 0,
 * prune_epochs 1 .. epochs and no patience): the one check, which training
 * and the option parser both run.
 */
extern pgl_rc pgl_nn_prune_check(const pgl_nn_spec *sp, pgl_status *st);

/* does a layer of this type have a weight matrix that pruning thins? */
extern bool pgl_nn_prunable(int32_t type);

/* zeros and weights in all prunable weight matrices of net */
extern void pgl_nn_weight_zeros(const pgl_nn *net, int64_t *zeros, int64_t *weights);

/*
 * Sparse storage of a pruned network's model m (after pgl_nn_to_model,
 * before pgl_nn_block_params and the storage): each prunable layer of a
 * network trained with "prune" whose CSR takes fewer bytes than its dense
 * matrix (value_bytes per stored value: 4 float32, 2 float16, 1 int8)
 * leaves "nn_params" for the tensors "nn_sparse", "nn_csr_ptr",
 * "nn_csr_idx" and "nn_csr_val" (docs/model-format.md).  A layer with more
 * than 65536 input rows stays dense.
 */
extern pgl_rc pgl_nn_store_sparse(const pgl_env *env, const pgl_nn *net, pgl_model *m,
								  int32_t value_bytes, pgl_status *st);

/*
 * Copy m's parameters (dense or sparse, as stored and quantized) into
 * net's (a network of the same layers that owns its parameters).
 */
extern pgl_rc pgl_nn_load_params(pgl_nn *net, const pgl_model *m, pgl_status *st);

/*
 * Y (n x rows, row-major) = X (n x K, row-major) times W (K x rows), W
 * given as the CSR of its transpose: row u of the CSR (ptr[u] ..
 * ptr[u + 1]) holds the nonzero W[idx[p], u] = val[p], idx < K <= 65536.
 * work: at least (K + rows) * PGL_NN_SPMM_BLOCK floats.
 */
#define PGL_NN_SPMM_BLOCK 64
extern void pgl_nn_spmm(int32_t rows, const int32_t *ptr, const uint16_t *idx, const float *val,
						const float *X, int64_t n, int32_t K, float *Y, float *work);

/*
 * Prediction: a stored sparse layer runs the SpMM kernel when its density
 * (nonzero / weights) is below this, else its matrix is made dense once
 * and runs SGEMM (measured: docs/benchmarks.md, "Pruning").  conv1d
 * layers always run dense.
 */
#define PGL_NN_SPARSE_MAX_DENSITY 0.3

/*
 * Kernels of a network from a sparse model: PGL_NN_SPARSE_AUTO (by the
 * density, the default), _ALWAYS (every dense / conv2d layer stored sparse
 * runs the SpMM) or _NEVER (all dense), for tests and benchmarks.
 */
#define PGL_NN_SPARSE_AUTO	 0
#define PGL_NN_SPARSE_ALWAYS 1
#define PGL_NN_SPARSE_NEVER	 2
extern void pgl_nn_sparse_mode(pgl_nn *net, int32_t mode);

/* layers of net that run the SpMM kernel */
extern int32_t pgl_nn_sparse_layers(const pgl_nn *net);
/*
 * Rows i < n of a model over ordinary columns, X[i + j * ld] encoded, into
 * standardized network inputs xb (n x n_inputs floats); PGL_ERR_INVALID when
 * the model reads an array column (it has no standardization).
 */
extern pgl_rc pgl_nn_standardize(const pgl_model *m, const double *X, int64_t ld, int64_t n,
								 float *xb, pgl_status *st);
/* predictions of n encoded rows, building the network for this call */
extern pgl_rc pgl_nn_predict_encoded(const pgl_env *env, const pgl_model *m, const double *X,
									 int64_t ld, int64_t n, double *out, pgl_status *st);

#endif /* PGL_NN_H */
