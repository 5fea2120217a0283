/*-------------------------------------------------------------------------
 *
 * export.h
 *	  Writing ONNX: the protobuf writer (pb_write.c), a graph builder
 *	  (export.c) and the exporters of pg_learn models (export.c:
 *	  linear_regression and logistic_regression; export_nn.c: neural_net;
 *	  export_trees.c: xgboost and random_forest).
 *
 * An exported graph has one float input "input" of shape [N, F]: the
 * encoded feature vector of pgl_encode_row (numeric values with NULLs
 * imputed, one-hot categories, date parts, ...; F = m->n_inputs), or for
 * a neural_net that reads an array or bytea column, that column's values
 * (the model's scale and input shape are in the graph).  A regression
 * gives "variable" [N, 1], a classifier "probabilities" [N, k] in the order
 * of m->classes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_OX_EXPORT_H
#define PGL_OX_EXPORT_H

#include "pgl_algo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- the protobuf writer (pb_write.c) ---------- */

typedef struct ox_pbw
{
	const pgl_env *env;
	uint8_t		  *buf;
	size_t		   len, cap;
	bool		   failed; /* an allocation failed: everything after is dropped */
} ox_pbw;

extern void ox_pbw_init(ox_pbw *w, const pgl_env *env);
extern void ox_pbw_free(ox_pbw *w);
extern void ox_pbw_raw(ox_pbw *w, const void *data, size_t len);
extern void ox_pbw_varint(ox_pbw *w, uint64_t v);
/* one field each: a varint, a fixed32 float, bytes, a NUL-terminated string */
extern void ox_pbw_uint(ox_pbw *w, uint32_t field, uint64_t v);
extern void ox_pbw_float(ox_pbw *w, uint32_t field, float v);
extern void ox_pbw_bytes(ox_pbw *w, uint32_t field, const void *data, size_t len);
extern void ox_pbw_string(ox_pbw *w, uint32_t field, const char *s);
/* packed repeated fields */
extern void ox_pbw_packed_i64(ox_pbw *w, uint32_t field, const int64_t *v, int64_t n);
extern void ox_pbw_packed_f32(ox_pbw *w, uint32_t field, const float *v, int64_t n);
/* sub as a length-delimited field of w; sub is freed */
extern void ox_pbw_message(ox_pbw *w, uint32_t field, ox_pbw *sub);

/* ---------- the graph builder (export.c) ---------- */

typedef struct ox_builder
{
	const pgl_env *env;
	ox_pbw		   graph; /* GraphProto: nodes, initializers, inputs, outputs */
	ox_pbw		   node;  /* the NodeProto being built */
	ox_pbw		   attr;  /* scratch */
	int32_t		   n_names;
	bool		   uses_ml; /* a node of ai.onnx.ml was added */
} ox_builder;

#define OX_NAME_LEN 32

extern void ox_b_init(ox_builder *b, const pgl_env *env);
extern void ox_b_free(ox_builder *b);
/* a fresh value name "<prefix><n>" in name (OX_NAME_LEN bytes) */
extern const char *ox_b_name(ox_builder *b, char *name, const char *prefix);

/* a node: begin, its inputs, outputs and attributes, end */
extern void ox_b_begin(ox_builder *b, const char *op_type, const char *domain);
extern void ox_b_in(ox_builder *b, const char *name);
extern void ox_b_out(ox_builder *b, const char *name);
extern void ox_b_attr_int(ox_builder *b, const char *name, int64_t v);
extern void ox_b_attr_float(ox_builder *b, const char *name, float v);
extern void ox_b_attr_string(ox_builder *b, const char *name, const char *v);
extern void ox_b_attr_ints(ox_builder *b, const char *name, const int64_t *v, int64_t n);
extern void ox_b_attr_floats(ox_builder *b, const char *name, const float *v, int64_t n);
extern void ox_b_attr_strings(ox_builder *b, const char *name, const char *const *v, int64_t n);
extern void ox_b_end(ox_builder *b);

/* one-input, two-input nodes without attributes */
extern void ox_b_op1(ox_builder *b, const char *op, const char *in, const char *out);
extern void ox_b_op2(ox_builder *b, const char *op, const char *a, const char *c, const char *out);

/* initializers: float data (from float or double), int64 data */
extern void ox_b_init_f32(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims,
						  const float *v);
extern void ox_b_init_f64(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims,
						  const double *v);
extern void ox_b_init_i64(ox_builder *b, const char *name, int32_t ndim, const int64_t *dims,
						  const int64_t *v);

/* a graph input or output: float [N, width] ("N" symbolic) */
extern void ox_b_input(ox_builder *b, const char *name, int64_t width);
extern void ox_b_output(ox_builder *b, const char *name, int64_t width);

/*
 * The ModelProto (IR 8, opset 13, ai.onnx.ml 3 when used) around the graph,
 * allocated through env; b is freed.  PGL_ERR_NOMEM if any write failed.
 */
extern pgl_rc ox_b_finish(ox_builder *b, const char *graph_name, uint8_t **out, size_t *len,
						  pgl_status *st);

#define OX_EXPORT_OPSET	   13
#define OX_EXPORT_OPSET_ML 3
#define OX_EXPORT_IR	   8

/* ---------- the exporters ---------- */

/*
 * m (a model read from its blob) as an ONNX ModelProto in *out (*len
 * bytes, through env).  A model or layer that has no ONNX form fails with
 * PGL_ERR_INVALID and a message starting "unsupported" naming it.
 */
extern pgl_rc pgl_ox_export(const pgl_env *env, const pgl_model *m, uint8_t **out, size_t *len,
							pgl_status *st);

/* the family parts, writing into b (the input "input" is declared by the caller) */
extern pgl_rc ox_export_nn(ox_builder *b, const pgl_model *m, pgl_status *st);
extern pgl_rc ox_export_trees(ox_builder *b, const pgl_model *m, pgl_status *st);

/*
 * The classifier's tail: from "scores" ([N, k] probabilities, or [N, 1]
 * the probability of classes[1]) to the output "probabilities" [N, n_classes]
 */
extern void ox_export_probabilities(ox_builder *b, const pgl_model *m, const char *scores);

#endif /* PGL_OX_EXPORT_H */
