/*-------------------------------------------------------------------------
 *
 * ox_kernels.h
 *	  Declarations of the operator kernels and static checks that the op
 *	  table (ops.c) lists.  One section per ops_*.c file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_OX_KERNELS_H
#define PGL_OX_KERNELS_H

#include "onnx.h"

#define PGL_OX_KERNEL(fn)                                                                          \
	extern pgl_rc fn(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,           \
					 pgl_ox_tensor **out, int n_out, pgl_status *st)
#define PGL_OX_CHECK(fn) extern pgl_rc fn(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st)

/* ops_elementwise.c: arithmetic, comparisons, activations, Cast */
PGL_OX_KERNEL(pgl_ox_k_binary); /* Add Sub Mul Div Pow Equal */
PGL_OX_KERNEL(pgl_ox_k_unary);	/* Sqrt Exp Log Erf Neg Reciprocal Abs Relu Sigmoid Tanh */
PGL_OX_KERNEL(pgl_ox_k_leaky_relu);
PGL_OX_KERNEL(pgl_ox_k_where);
PGL_OX_KERNEL(pgl_ox_k_cast);
PGL_OX_CHECK(pgl_ox_c_cast);

/* ops_shape.c: copies, shapes and indexing */
PGL_OX_KERNEL(pgl_ox_k_identity); /* Identity, Dropout (inference) */
PGL_OX_CHECK(pgl_ox_c_dropout);
PGL_OX_KERNEL(pgl_ox_k_constant);
PGL_OX_CHECK(pgl_ox_c_constant);
PGL_OX_KERNEL(pgl_ox_k_shape);
PGL_OX_KERNEL(pgl_ox_k_reshape);
PGL_OX_KERNEL(pgl_ox_k_flatten);
PGL_OX_KERNEL(pgl_ox_k_transpose);
PGL_OX_KERNEL(pgl_ox_k_concat);
PGL_OX_CHECK(pgl_ox_c_concat);
PGL_OX_KERNEL(pgl_ox_k_split);
PGL_OX_KERNEL(pgl_ox_k_slice);
PGL_OX_KERNEL(pgl_ox_k_gather);
PGL_OX_KERNEL(pgl_ox_k_squeeze);
PGL_OX_KERNEL(pgl_ox_k_unsqueeze);
PGL_OX_KERNEL(pgl_ox_k_constant_of_shape);
PGL_OX_CHECK(pgl_ox_c_constant_of_shape);
PGL_OX_KERNEL(pgl_ox_k_expand);

/* ops_matmul.c: MatMul, Gemm */
PGL_OX_KERNEL(pgl_ox_k_matmul);
PGL_OX_KERNEL(pgl_ox_k_gemm);
PGL_OX_CHECK(pgl_ox_c_gemm);
PGL_OX_CHECK(pgl_ox_c_matmul);

/* ops_softmax.c: Softmax, LogSoftmax, ReduceMean, ReduceSum, ReduceMax */
PGL_OX_KERNEL(pgl_ox_k_softmax);
PGL_OX_KERNEL(pgl_ox_k_reduce);
PGL_OX_CHECK(pgl_ox_c_reduce);

/* ops_conv.c: Conv, pools, BatchNormalization, Pad */
PGL_OX_KERNEL(pgl_ox_k_conv);
PGL_OX_KERNEL(pgl_ox_k_pool); /* MaxPool AveragePool */
PGL_OX_CHECK(pgl_ox_c_window);
PGL_OX_KERNEL(pgl_ox_k_global_pool); /* GlobalAveragePool GlobalMaxPool */
PGL_OX_KERNEL(pgl_ox_k_batchnorm);
PGL_OX_CHECK(pgl_ox_c_batchnorm);
PGL_OX_KERNEL(pgl_ox_k_pad);
PGL_OX_CHECK(pgl_ox_c_pad);

/* ops_rnn.c: LSTM, GRU, RNN, LayerNormalization */
PGL_OX_KERNEL(pgl_ox_k_rnn);
PGL_OX_CHECK(pgl_ox_c_rnn);
PGL_OX_KERNEL(pgl_ox_k_layernorm);
PGL_OX_CHECK(pgl_ox_c_layernorm);

/* ops_ml_trees.c: ai.onnx.ml tree ensembles */
PGL_OX_KERNEL(pgl_ox_k_tree_regressor);
PGL_OX_CHECK(pgl_ox_c_tree_regressor);
PGL_OX_KERNEL(pgl_ox_k_tree_classifier);
PGL_OX_CHECK(pgl_ox_c_tree_classifier);

#endif /* PGL_OX_KERNELS_H */
