/*-------------------------------------------------------------------------
 *
 * ops.c
 *	  The op table: one line per (op type, domain, opset range).
 *
 * Columns: op type, domain ("" is ai.onnx), first and last opset served,
 * least and most inputs (absent optional inputs count), least and most
 * outputs, kernel, static check (NULL: the counts only).  The first
 * "least" inputs and outputs are required: the validator refuses an empty
 * name there, so a kernel may use in[i] for i < least without a check (an
 * op whose inputs changed with an opset has one line per range).  The
 * validator refuses a node whose op has no line covering the model's
 * opset, listing all such op types in one error.  Opset 6 is the oldest the runtime reads
 * (PGL_OX_OPSET_MIN): the element-wise ops there take the legacy
 * broadcast/axis attributes.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_kernels.h"

#include <string.h>

#define MAXO PGL_OX_OPSET_MAX

const pgl_ox_op pgl_ox_ops[] = {
	/* ops_elementwise.c */
	{"Add", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Sub", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Mul", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Div", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Pow", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Equal", "", 6, MAXO, 2, 2, 1, 1, pgl_ox_k_binary, NULL},
	{"Sqrt", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Exp", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Log", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Erf", "", 9, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Neg", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Reciprocal", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Abs", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Relu", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Sigmoid", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"Tanh", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_unary, NULL},
	{"LeakyRelu", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_leaky_relu, NULL},
	{"Where", "", 9, MAXO, 3, 3, 1, 1, pgl_ox_k_where, NULL},
	{"Cast", "", 6, MAXO, 1, 1, 1, 1, pgl_ox_k_cast, pgl_ox_c_cast},

	/* ops_shape.c */
	{"Identity", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_identity, NULL},
	{"Dropout", "", 6, MAXO, 1, 3, 1, 2, pgl_ox_k_identity, pgl_ox_c_dropout},
	{"Constant", "", 1, MAXO, 0, 0, 1, 1, pgl_ox_k_constant, pgl_ox_c_constant},
	{"Shape", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_shape, NULL},
	{"Reshape", "", 5, MAXO, 2, 2, 1, 1, pgl_ox_k_reshape, NULL},
	{"Flatten", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_flatten, NULL},
	{"Transpose", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_transpose, NULL},
	{"Concat", "", 4, MAXO, 1, 1 << 16, 1, 1, pgl_ox_k_concat, pgl_ox_c_concat},
	{"Split", "", 2, MAXO, 1, 2, 1, 1 << 16, pgl_ox_k_split, NULL},
	{"Slice", "", 1, 9, 1, 1, 1, 1, pgl_ox_k_slice, NULL},
	{"Slice", "", 10, MAXO, 3, 5, 1, 1, pgl_ox_k_slice, NULL},
	{"Gather", "", 1, MAXO, 2, 2, 1, 1, pgl_ox_k_gather, NULL},
	{"Squeeze", "", 1, MAXO, 1, 2, 1, 1, pgl_ox_k_squeeze, NULL},
	{"Unsqueeze", "", 1, 12, 1, 1, 1, 1, pgl_ox_k_unsqueeze, NULL},
	{"Unsqueeze", "", 13, MAXO, 2, 2, 1, 1, pgl_ox_k_unsqueeze, NULL},
	{"ConstantOfShape", "", 9, MAXO, 1, 1, 1, 1, pgl_ox_k_constant_of_shape,
	 pgl_ox_c_constant_of_shape},
	{"Expand", "", 8, MAXO, 2, 2, 1, 1, pgl_ox_k_expand, NULL},

	/* ops_matmul.c */
	{"MatMul", "", 1, MAXO, 2, 2, 1, 1, pgl_ox_k_matmul, pgl_ox_c_matmul},
	{"Gemm", "", 6, MAXO, 2, 3, 1, 1, pgl_ox_k_gemm, pgl_ox_c_gemm},

	/* ops_softmax.c */
	{"Softmax", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_softmax, NULL},
	{"LogSoftmax", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_softmax, NULL},
	{"ReduceMean", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_reduce, pgl_ox_c_reduce},
	{"ReduceSum", "", 1, MAXO, 1, 2, 1, 1, pgl_ox_k_reduce, pgl_ox_c_reduce},
	{"ReduceMax", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_reduce, pgl_ox_c_reduce},

	/* ops_conv.c */
	{"Conv", "", 1, MAXO, 2, 3, 1, 1, pgl_ox_k_conv, pgl_ox_c_window},
	{"MaxPool", "", 1, MAXO, 1, 1, 1, 2, pgl_ox_k_pool, pgl_ox_c_window},
	{"AveragePool", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_pool, pgl_ox_c_window},
	{"GlobalAveragePool", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_global_pool, NULL},
	{"GlobalMaxPool", "", 1, MAXO, 1, 1, 1, 1, pgl_ox_k_global_pool, NULL},
	{"BatchNormalization", "", 6, MAXO, 5, 5, 1, 5, pgl_ox_k_batchnorm, pgl_ox_c_batchnorm},
	{"Pad", "", 2, 10, 1, 1, 1, 1, pgl_ox_k_pad, pgl_ox_c_pad},
	{"Pad", "", 11, MAXO, 2, 3, 1, 1, pgl_ox_k_pad, pgl_ox_c_pad},

	/* ops_rnn.c */
	{"RNN", "", 7, MAXO, 3, 6, 0, 2, pgl_ox_k_rnn, pgl_ox_c_rnn},
	{"GRU", "", 7, MAXO, 3, 6, 0, 2, pgl_ox_k_rnn, pgl_ox_c_rnn},
	{"LSTM", "", 7, MAXO, 3, 8, 0, 3, pgl_ox_k_rnn, pgl_ox_c_rnn},
	{"LayerNormalization", "", 17, MAXO, 2, 3, 1, 3, pgl_ox_k_layernorm, pgl_ox_c_layernorm},

	/* ops_ml_trees.c (ai.onnx.ml) */
	{"TreeEnsembleRegressor", "ai.onnx.ml", 1, 3, 1, 1, 1, 1, pgl_ox_k_tree_regressor,
	 pgl_ox_c_tree_regressor},
	{"TreeEnsembleClassifier", "ai.onnx.ml", 1, 3, 1, 1, 1, 2, pgl_ox_k_tree_classifier,
	 pgl_ox_c_tree_classifier},
};

const int pgl_ox_n_ops = (int) (sizeof(pgl_ox_ops) / sizeof(pgl_ox_ops[0]));

const pgl_ox_op *
pgl_ox_find_op(const char *domain, const char *op_type, int64_t opset)
{
	for (int i = 0; i < pgl_ox_n_ops; i++)
	{
		const pgl_ox_op *op = &pgl_ox_ops[i];

		if (strcmp(op->op_type, op_type) == 0 && strcmp(op->domain, domain) == 0 &&
			opset >= op->since && opset <= op->until)
			return op;
	}
	return NULL;
}
