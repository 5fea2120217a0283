/*-------------------------------------------------------------------------
 *
 * nn_attn_glue.h
 *	  The attention layers in ai_train's "layers" (nn_attn_glue.c), for
 *	  nn_train.c's parser.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_ATTN_GLUE_H
#define PGL_NN_ATTN_GLUE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "nn_attn.h"

/* is name an attention layer ("multi_head_attention", ...): its type */
extern bool pgl_nn_attn_layer_type(const char *name, int32 *type);

/* one parameter of attention layer i; ERROR naming the valid ones */
extern void pgl_nn_attn_layer_param(int i, const char *type, const char *key, JsonbValue *v,
									pgl_nn_layer_spec *l);

/* after its parameters: ERROR on a missing "heads" / "ff_units" */
extern void pgl_nn_attn_layer_done(int i, const char *type, const pgl_nn_layer_spec *l);

#endif /* PGL_NN_ATTN_GLUE_H */
