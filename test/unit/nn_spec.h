/*-------------------------------------------------------------------------
 *
 * nn_spec.h
 *	  The network spec most tests build: the library's defaults
 *	  (pgl_nn_spec_defaults), then the layers, the input's shape, the loss
 *	  and the outputs.  Shared by the unit tests of the networks
 *	  (test_nn*.c) and the fuzz corpus tool (test/fuzz/corpus_tool.c); a
 *	  test sets its other hyperparameters after.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TEST_NN_SPEC_H
#define PGL_TEST_NN_SPEC_H

#include "nn.h"

/* in_ndim 1: c values (h, w unused); 2: h steps of c; 3: h x w x c */
static inline void
nn_spec(pgl_nn_spec *spec, pgl_nn_layer_spec *layers, int32_t n_layers, int32_t in_ndim,
		int32_t in_h, int32_t in_w, int32_t in_c, int32_t loss, int32_t n_out)
{
	pgl_nn_spec_defaults(spec);
	spec->layers = layers;
	spec->n_layers = n_layers;
	spec->in_ndim = in_ndim;
	spec->in_h = in_h;
	spec->in_w = in_w;
	spec->in_c = in_c;
	spec->loss = loss;
	spec->n_out = n_out;
}

#endif /* PGL_TEST_NN_SPEC_H */
