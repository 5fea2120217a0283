/*-------------------------------------------------------------------------
 *
 * predict_tensor.c
 *	  ai_predict_tensor(name, features, output, version) -> real[]: the
 *	  output of a network's layer for one row (a record, a float8[] or a
 *	  bytea), such as the pooled embedding of a text, or the model's final
 *	  output for any classifier or regression.
 *
 * output NULL is the model's output before the labels: the class
 * probabilities (as ai_predict_proba, two for one sigmoid unit) or the
 * predicted value on the target's scale (as ai_predict).  For a
 * neural_net, output names a layer: its 1-based number ('3'), a negative
 * number counting from the end ('-1' is the last layer: its raw output, one
 * value for a sigmoid unit, the standardized value of a regression), or
 * its type when only one layer has it ('global_avg_pool1d').  For an onnx
 * model, output names a graph output (any of them, not only the one the
 * model predicts from), given as computed for the row, flattened.  The layer's
 * output is the row's, after its activation, flattened (row-major, channels
 * last); sequence layers give their padded steps as 0.  The argument is
 * text so that other kinds of models (ONNX graphs) can name their outputs.
 *
 *-------------------------------------------------------------------------
 */
#include "predict.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "nn.h"
#include "nn_glue.h"
#include "onnx/family.h"

PG_FUNCTION_INFO_V1(ai_predict_tensor_record);
PG_FUNCTION_INFO_V1(ai_predict_tensor_array);
PG_FUNCTION_INFO_V1(ai_predict_tensor_bytea);

#define OUTPUT_ARG	2
#define VERSION_ARG 3

/* "1 dense, 2 dropout, 3 dense" */
static char *
layer_list(const pgl_nn *net)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int32 i = 0; i < pgl_nn_layer_count(net); i++)
		appendStringInfo(&b, "%s%d %s", i ? ", " : "", (int) i + 1,
						 pgl_nn_layer_name(pgl_nn_layer_type_of(net, i)));
	return b.data;
}

/* the 0-based layer that output names; ERROR listing the layers when none */
static int32
find_layer(const pgl_nn *net, const char *name, const char *output)
{
	int32 L = pgl_nn_layer_count(net);
	char *end;
	long  v;
	int32 found = -1, count = 0;

	errno = 0;
	v = strtol(output, &end, 10);
	if (end != output && *end == '\0' && errno == 0)
	{
		if (v >= 1 && v <= L)
			return (int32) v - 1;
		if (v <= -1 && v >= -L)
			return L + (int32) v;
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("model \"%s\" has no layer %ld: its network has %d layers", name, v,
							   (int) L),
						errdetail("The layers are %s.", layer_list(net)),
						errhint("Give 1 .. %d, -1 .. -%d (from the end), or a layer type.", (int) L,
								(int) L)));
	}
	for (int32 i = 0; i < L; i++)
		if (strcmp(pgl_nn_layer_name(pgl_nn_layer_type_of(net, i)), output) == 0)
		{
			found = i;
			count++;
		}
	if (count == 1)
		return found;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 count == 0
				 ? errmsg("model \"%s\" has no layer \"%s\"", name, output)
				 : errmsg("model \"%s\" has %d layers of type \"%s\"", name, (int) count, output),
			 errdetail("The layers are %s.", layer_list(net)),
			 errhint(count == 0 ? "Name a layer by its number (1-based, or negative from the end) "
								  "or by its type."
								: "Name the layer by its number.")));
	return -1; /* not reached */
}

static Datum
real_array(const float *v, int64 n)
{
	Datum *d = palloc(sizeof(Datum) * (n + 1));

	for (int64 i = 0; i < n; i++)
		d[i] = Float4GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, (int) n, FLOAT4OID, 4, true, TYPALIGN_INT));
}

static Datum
real_array_d(const double *v, int64 n)
{
	float *f = palloc(sizeof(float) * (n + 1));

	for (int64 i = 0; i < n; i++)
		f[i] = (float) v[i];
	return real_array(f, n);
}

/* an imported ONNX graph's output named output, for the encoded row st->x */
static Datum
onnx_output(PglPredictState *st, const char *output)
{
	const pgl_ox_model	*g;
	const pgl_ox_tensor *t;
	pgl_status			 s;
	StringInfoData		 names;
	float				*v;

	memset(&s, 0, sizeof(s));
	if (pgl_onnx_graph(st->model, &g, &s) != PGL_OK)
		pgl_report(&s, "loading the ONNX graph failed");
	for (int32 i = 0; i < g->n_outputs; i++)
		if (strcmp(g->outputs[i].name, output) == 0)
		{
			if (pgl_onnx_run_rows(st->model, st->x, 1, 1, i, &t, &s) != PGL_OK)
				pgl_report(&s, "prediction failed");
			v = palloc(sizeof(float) * (t->count + 1));
			for (int64 k = 0; k < t->count; k++)
				v[k] = (float) pgl_ox_get_f64(t, k);
			return real_array(v, t->count);
		}
	/* the names only for the message */
	initStringInfo(&names);
	for (int32 i = 0; i < g->n_outputs; i++)
		appendStringInfo(&names, "%s%s", i ? ", " : "", g->outputs[i].name);
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("model \"%s\" has no ONNX output \"%s\"", st->name, output),
					errdetail("The graph's outputs are %s.", names.data),
					errhint("Name a graph output, or leave output NULL for the model's output.")));
	return (Datum) 0; /* not reached */
}

/* the model's outputs (output NULL) or a layer's, of the row of argument 1 */
static Datum
predict_tensor(FunctionCallInfo fcinfo, int kind)
{
	PglPredictState *st;
	const pgl_model *m;
	char *output = PG_ARGISNULL(OUTPUT_ARG) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(OUTPUT_ARG));
	double *out;
	int		n_out;
	pgl_nn *net = NULL;

	st = pgl_encode_input(fcinfo, PGL_WANT_TENSOR, VERSION_ARG, kind == 'a', kind == 'b');
	m = st->model;
	n_out = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
	out = st->out;
	if (kind == 'b' && !pgl_nn_reads_array(m))
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" does not read a tensor column", st->name),
						errhint("A bytea input needs a neural_net model trained on a bytea or "
								"array column; pass a row instead.")));
	if (m->algorithm == PGL_ALGO_ONNX && output != NULL)
		return onnx_output(st, output);
	if (m->algorithm != PGL_ALGO_NEURAL_NET)
	{
		pgl_env	   env = pgl_backend_env(CurrentMemoryContext);
		pgl_status s;

		if (output != NULL)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("model \"%s\" is a %s model, which has no layer \"%s\"",
								   st->name, st->ops->name, output),
							errhint("Layers are those of a neural_net; leave output NULL for the "
									"model's output (its class probabilities or its value).")));
		memset(&s, 0, sizeof(s));
		if (st->ops->predict(&env, m, st->x, 1, 1, out, &s) != PGL_OK)
			pgl_report(&s, "prediction failed");
		return real_array_d(out, n_out);
	}
	if (pgl_nn_reads_array(m))
	{
		if (kind == 'r')
			pgl_nn_predict_record(m, st->name, PG_GETARG_HEAPTUPLEHEADER(1), out);
		else
			pgl_nn_predict_array(m, st->name, PG_GETARG_DATUM(1),
								 kind == 'b' ? BYTEAOID : FLOAT8ARRAYOID, out);
		net = pgl_nn_cached_net(m);
	}
	else
		net = pgl_nn_predict_columns(m, st->x, out);
	if (output == NULL)
		return real_array_d(out, n_out);
	{
		int64		 size;
		const float *v = pgl_nn_layer_output(net, find_layer(net, st->name, output), 0, &size);

		return real_array(v, size);
	}
}

Datum
ai_predict_tensor_record(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(predict_tensor(fcinfo, 'r'));
}

Datum
ai_predict_tensor_array(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(predict_tensor(fcinfo, 'a'));
}

Datum
ai_predict_tensor_bytea(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(predict_tensor(fcinfo, 'b'));
}
