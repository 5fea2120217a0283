/*-------------------------------------------------------------------------
 *
 * onnx_glue.h
 *	  ai_import_model's format 'onnx' (onnx_import.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ONNX_GLUE_H
#define PGL_ONNX_GLUE_H

#include "pgl_algo.h"
#include "utils/jsonb.h"

/*
 * An ONNX file as a new onnx model: options (NULL: none) parsed, the file
 * loaded under pg_learn.max_train_memory and validated; returns the blob to
 * store, *out the model read back.  ERROR (with a hint) when it cannot be
 * used.
 */
extern bytea *pgl_import_onnx(pgl_env *env, bytea *file, Jsonb *options, pgl_model **out);

/*
 * A pg_learn model (linear, logistic, neural_net, trees) as an ONNX file
 * (onnx_export.c); ERROR with FEATURE_NOT_SUPPORTED for what has no ONNX form.
 */
extern bytea *pgl_export_onnx(pgl_env *env, const char *name, const pgl_model *m);

#endif /* PGL_ONNX_GLUE_H */
