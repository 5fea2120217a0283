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

#endif /* PGL_ONNX_GLUE_H */
