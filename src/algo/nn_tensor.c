/*-------------------------------------------------------------------------
 *
 * nn_tensor.c
 *	  The layers of a network and their outputs after a forward pass, for
 *	  ai_predict_tensor (an embedding is a layer's output).
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

int32_t
pgl_nn_layer_count(const pgl_nn *net)
{
	return net->L;
}

int32_t
pgl_nn_layer_type_of(const pgl_nn *net, int32_t i)
{
	return i >= 0 && i < net->L ? net->layer[i].s.type : 0;
}

const float *
pgl_nn_layer_output(pgl_nn *net, int32_t i, int32_t r, int64_t *size)
{
	nn_layer *l;

	if (i < 0 || i >= net->L || r < 0 || r >= net->max_batch)
	{
		*size = 0;
		return NULL;
	}
	l = &net->layer[i];
	nn_spread_output(net, l);
	*size = l->out_size;
	return l->out + (int64_t) r * l->out_size;
}

int32_t
pgl_nn_output_count(const pgl_nn *net)
{
	return net->spec.n_out;
}
