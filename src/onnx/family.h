/*-------------------------------------------------------------------------
 *
 * family.h
 *	  The "onnx" algorithm family: an imported ONNX graph as a pg_learn
 *	  model (family.c).
 *
 * A model of the family holds the ONNX file, validated, byte for byte in
 * the u8 tensor "onnx"; "onnx_io" (i32 [3]) the graph output it reads,
 * the output's kind and its width per row; a classifier's "class_map"
 * (i32 [n_classes]) the sorted class of each output column.  Its features
 * come from the graph inputs (pgl_onnx_import below), and the encoded row
 * is every graph input flattened, in graph order.  The graph is decoded
 * (under the limits of env->max_memory) and its executor built when the
 * model is first used, not when the blob is read, and kept in m->runtime:
 * a statement that scores rows reuses the plan and the buffers, and a
 * model read only to be encoded, exported or stored decodes nothing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ONNX_FAMILY_H
#define PGL_ONNX_FAMILY_H

#include "pgl_algo.h"
#include "onnx.h"

/* the most classes an onnx classifier has (ai_import_model's lists are bounded so too) */
#define PGL_ONNX_MAX_CLASSES 100000

/* "onnx_io" elements */
#define PGL_ONNX_IO_OUTPUT 0 /* index of the graph output read */
#define PGL_ONNX_IO_KIND   1 /* pgl_onnx_output_kind */
#define PGL_ONNX_IO_WIDTH  2 /* values per row (1 for a regression); 0: not declared */
#define PGL_ONNX_IO_LEN	   3

typedef enum pgl_onnx_output_kind
{
	PGL_ONNX_VALUES = 0,		/* regression: the value */
	PGL_ONNX_PROBABILITIES = 1, /* classification: probabilities as given */
	PGL_ONNX_LOGITS = 2			/* classification: softmax (sigmoid for one column) applied */
} pgl_onnx_output_kind;

/* what ai_import_model's options say (the glue parses the jsonb) */
typedef struct pgl_onnx_import_opts
{
	int32_t		 task;		  /* 0: classification when classes are given, else regression */
	int32_t		 n_classes;	  /* labels in the output's column order, or 0 */
	const char **classes;	  /* as text */
	const char	*target_type; /* SQL type of the labels ("text", "integer", ...) or NULL */
	const char	*output;	  /* graph output name, or NULL for the first */
	int32_t		 output_kind; /* PGL_ONNX_PROBABILITIES or PGL_ONNX_LOGITS; -1: default */
	int32_t		 n_columns;	  /* "columns": names of the F columns of one [N, F] input */
	const char **columns;
	/* out: advice for the user when the import fails ("" when none) */
	char hint[256];
} pgl_onnx_import_opts;

/*
 * An ONNX file (bytes, len) as a new onnx model: loaded under the limits of
 * env->max_memory (decode, validate, plan: the runtime's errors,
 * unsupported operators listed), features from the graph inputs, the
 * output and classes from o; then written as a blob (*blob, *blob_len,
 * through env) and read back (*out, validated; its graph is decoded only
 * if it is used, so an import decodes the file once).  PGL_ERR_INVALID names what
 * cannot be used, with advice in o->hint.
 */
extern pgl_rc pgl_onnx_import(const pgl_env *env, const uint8_t *bytes, size_t len,
							  pgl_onnx_import_opts *o, pgl_model **out, uint8_t **blob,
							  size_t *blob_len, pgl_status *st);

/*
 * Values per row of a graph input (the dims after the batch, which must be
 * symbolic, unknown or 1: *batch_one when 1); refuses other shapes and
 * dtypes, with advice in hint.
 */
extern pgl_rc pgl_onnx_input_width(const pgl_ox_value_info *vi, int64_t *width, bool *batch_one,
								   char *hint, size_t hint_size, pgl_status *st);

/* the ONNX graph of an onnx model, loaded if not yet (for ai_predict_tensor and tools) */
extern pgl_rc pgl_onnx_graph(const pgl_model *m, const pgl_ox_model **graph, pgl_status *st);

/* has the model's graph been loaded (tests: a read alone decodes nothing) */
extern bool pgl_onnx_loaded(const pgl_model *m);

/*
 * Run a prepared onnx model on n encoded rows (as ops->predict takes them)
 * and return graph output `output` (-1: the model's) of the run, owned by
 * the model's executor and valid until its next run.
 */
extern pgl_rc pgl_onnx_run_rows(const pgl_model *m, const double *X, int64_t ld, int64_t n,
								int32_t output, const pgl_ox_tensor **result, pgl_status *st);

#endif /* PGL_ONNX_FAMILY_H */
