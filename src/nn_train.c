/*-------------------------------------------------------------------------
 *
 * nn_train.c
 *	  ai_train(name, 'neural_net', ...): parse the layer spec and options,
 *	  read the data (ordinary columns through the usual reader and
 *	  preprocessing, or one array / bytea column read as a tensor), train
 *	  with nn.c, evaluate, and store the model version.
 *
 *-------------------------------------------------------------------------
 */
#include "train_glue.h"
#include "options.h"
#include "vocab.h"
#include "data_reader.h"
#include "evaluate.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/portal.h"

#include "algorithms.h"
#include "classes.h"
#include "preprocess.h"
#include "nn_glue.h"
#include "nn_attn_glue.h"
#include "nn_text.h"
#include "subword.h"
#include "store.h"
#include "prep.h"
#include "distill.h"

#define NN_LAYERS                                                                                  \
	"dense, conv2d, maxpool2d, avgpool2d, flatten, dropout, batchnorm, activation, embedding, "    \
	"lstm, gru, conv1d, global_avg_pool1d, global_max_pool1d, multi_head_attention, layer_norm, "  \
	"positional_embedding, transformer_encoder"
#define NN_ACTIVATIONS "linear, relu, leaky_relu, tanh, sigmoid, softmax"

typedef struct NnOptions
{
	pgl_nn_spec spec;
	bool		have_layers;
	int32		shape[3];
	int			shape_ndim; /* 0: not given */
	bool		sequence;	/* a sequence layer: the input is (steps, features) */
	bool		token_ids;	/* an embedding first: the input is (steps) token ids */
	char	   *text;		/* the text column read as token ids (option "text"), or NULL */
	double		scale;
	double		test_size; /* < 0: not given */
	List	   *exclude;
	bool		nulls_error;
	int			storage;	   /* PGL_STORE_*, of the "storage" option */
	PglTeacher *teacher;	   /* "teacher": scores the rows as they are read; NULL: none */
	bool		autoencoder;   /* "task": "autoencoder": the output reproduces the inputs */
	bool		variational;   /* "variational": a sample layer after the latent one */
	double		contamination; /* autoencoder: share of training rows above the threshold */
} NnOptions;

/* ---------- option parsing ---------- */

static const char *
jbv_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return psprintf("\"%s\"", pnstrdup(v->val.string.val, v->val.string.len));
		case jbvNumeric:
			return DatumGetCString(
				DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return v->val.boolean ? "true" : "false";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "an unexpected value";
	}
}

static void
pg_attribute_noreturn() opt_error(const char *key, const char *expected, JsonbValue *v)
{
	pgl_option_error(pgl_algo_by_id(PGL_ALGO_NEURAL_NET), key, expected, v);
}

static void
pg_attribute_noreturn() layer_error(int i, const char *type, const char *msg, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("layer %d (%s): %s", i + 1, type, msg), hint ? errhint("%s", hint) : 0));
}

static double
num(const char *key, JsonbValue *v, const char *expected)
{
	if (v->type != jbvNumeric)
		opt_error(key, expected, v);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static int
int_in(const char *key, JsonbValue *v, int lo, int hi)
{
	char  *expected = psprintf("an integer between %d and %d", lo, hi);
	double d = num(key, v, expected);

	if (!(d >= lo && d <= hi && d == floor(d)))
		opt_error(key, expected, v);
	return (int) d;
}

static int32
parse_activation(int i, const char *type, JsonbValue *v)
{
	static const char *const names[] = {"linear",  "relu",	  "leaky_relu", "tanh",
										"sigmoid", "softmax", NULL};
	char					*s;

	if (v->type != jbvString)
		layer_error(i, type, psprintf("\"activation\" must be a name, not %s", jbv_text(v)),
					"Activations are: " NN_ACTIVATIONS ".");
	s = pnstrdup(v->val.string.val, v->val.string.len);
	for (int a = 0; names[a]; a++)
		if (strcmp(s, names[a]) == 0)
			return a;
	layer_error(i, type, psprintf("unknown activation \"%s\"", s),
				"Activations are: " NN_ACTIVATIONS ".");
}

/* a layer parameter that is a positive integer (or [n, n] for kernel sizes) */
static int
layer_int(int i, const char *type, const char *key, JsonbValue *v, int lo, int hi)
{
	double d;

	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		/* [k, k]: square windows only */
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	   e;
		int			   n = 0, first = 0;

		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok != WJB_ELEM)
				continue;
			else if (e.type == jbvNumeric)
			{
				int k = layer_int(i, type, key, &e, lo, hi);

				if (n++ == 0)
					first = k;
				else if (k != first)
					layer_error(i, type, psprintf("\"%s\" must be square", key),
								"Give one number, e.g. 3 for a 3x3 window.");
			}
			else if (e.type != jbvNull)
				layer_error(i, type, psprintf("\"%s\" must hold numbers", key), NULL);
		if (n < 1 || n > 2)
			layer_error(i, type, psprintf("\"%s\" must be a number or [n, n]", key), NULL);
		return first;
	}
	if (v->type != jbvNumeric)
		layer_error(i, type, psprintf("\"%s\" must be an integer, not %s", key, jbv_text(v)), NULL);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!(d >= lo && d <= hi && d == floor(d)))
		layer_error(i, type,
					psprintf("\"%s\" must be an integer between %d and %d, not %s", key, lo, hi,
							 jbv_text(v)),
					NULL);
	return (int) d;
}

/* the type of layer i, its one key, and its body; the type's default sizes */
static char *
layer_type(int i, JsonbValue *elem, pgl_nn_layer_spec *l, JsonbValue *body)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;
	char			  *type = NULL;
	int				   nkeys = 0;

	memset(l, 0, sizeof(*l));
	l->alpha = 0.01;
	if (elem->type != jbvBinary || JsonContainerIsArray(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("layer %d must be an object like {\"dense\": {\"units\": 64}}, not %s",
						i + 1, jbv_text(elem)),
				 errhint("Layers are: " NN_LAYERS ".")));
	it = JsonbIteratorInit(elem->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			type = pnstrdup(v.val.string.val, v.val.string.len);
			nkeys++;
		}
		else if (tok == WJB_VALUE)
			*body = v;
	}
	if (nkeys != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("layer %d must have exactly one key, its type, not %d", i + 1, nkeys),
				 errhint("For example {\"dense\": {\"units\": 64, \"activation\": "
						 "\"relu\"}}. Layers are: " NN_LAYERS ".")));
	if (strcmp(type, "dense") == 0)
		l->type = PGL_NN_DENSE;
	else if (strcmp(type, "conv2d") == 0)
		l->type = PGL_NN_CONV2D;
	else if (strcmp(type, "maxpool2d") == 0)
		l->type = PGL_NN_MAXPOOL2D;
	else if (strcmp(type, "avgpool2d") == 0)
		l->type = PGL_NN_AVGPOOL2D;
	else if (strcmp(type, "flatten") == 0)
		l->type = PGL_NN_FLATTEN;
	else if (strcmp(type, "dropout") == 0)
		l->type = PGL_NN_DROPOUT;
	else if (strcmp(type, "batchnorm") == 0 || strcmp(type, "batch_normalization") == 0)
		l->type = PGL_NN_BATCHNORM;
	else if (strcmp(type, "activation") == 0)
		l->type = PGL_NN_ACTIVATION;
	else if (strcmp(type, "embedding") == 0)
		l->type = PGL_NN_EMBEDDING;
	else if (strcmp(type, "lstm") == 0)
		l->type = PGL_NN_LSTM;
	else if (strcmp(type, "gru") == 0)
		l->type = PGL_NN_GRU;
	else if (strcmp(type, "conv1d") == 0)
		l->type = PGL_NN_CONV1D;
	else if (strcmp(type, "global_avg_pool1d") == 0)
		l->type = PGL_NN_GLOBAL_AVG_POOL1D;
	else if (strcmp(type, "global_max_pool1d") == 0)
		l->type = PGL_NN_GLOBAL_MAX_POOL1D;
	else if (pgl_nn_attn_layer_type(type, &l->type))
		;
	else
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("layer %d has an unknown type \"%s\"", i + 1, type),
						errhint("Layers are: " NN_LAYERS ".")));
	if (l->type == PGL_NN_MAXPOOL2D || l->type == PGL_NN_AVGPOOL2D)
		l->kernel = 2;
	if (l->type == PGL_NN_CONV2D || l->type == PGL_NN_CONV1D)
	{
		l->kernel = 3;
		l->stride = 1;
	}
	return type;
}

/*
 * The shorthands: {"dense": 64}, {"dropout": 0.2}, {"maxpool2d": 2},
 * {"activation": "relu"}, {"flatten": null}.  Returns whether body was one.
 */
static bool
layer_shorthand(int i, const char *type, JsonbValue *body, pgl_nn_layer_spec *l)
{
	if (body->type == jbvNumeric)
	{
		switch (l->type)
		{
			case PGL_NN_DENSE:
				l->units = layer_int(i, type, "units", body, 1, 1 << 24);
				return true;
			case PGL_NN_LSTM:
			case PGL_NN_GRU:
				l->units = layer_int(i, type, "units", body, 1, 4096);
				return true;
			case PGL_NN_DROPOUT:
				l->rate = DatumGetFloat8(
					DirectFunctionCall1(numeric_float8, NumericGetDatum(body->val.numeric)));
				if (!(l->rate >= 0 && l->rate < 1))
					layer_error(i, type,
								psprintf("the rate must be in [0, 1), not %s", jbv_text(body)),
								NULL);
				return true;
			case PGL_NN_MAXPOOL2D:
			case PGL_NN_AVGPOOL2D:
				l->kernel = layer_int(i, type, "size", body, 1, 64);
				return true;
			default:
				break;
		}
	}
	if (body->type == jbvString && l->type == PGL_NN_ACTIVATION)
	{
		l->activation = parse_activation(i, type, body);
		return true;
	}
	return body->type == jbvNull &&
		   (l->type == PGL_NN_FLATTEN || l->type == PGL_NN_BATCHNORM ||
			l->type == PGL_NN_GLOBAL_AVG_POOL1D || l->type == PGL_NN_GLOBAL_MAX_POOL1D);
}

/* a JSON boolean */
static int32
layer_bool(int i, const char *type, const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		layer_error(i, type, psprintf("\"%s\" must be true or false, not %s", key, jbv_text(v)),
					NULL);
	return v->val.boolean ? 1 : 0;
}

/* the parameters of embedding, lstm and gru; false for another key */
static bool
seq_layer_param(int i, const char *type, const char *key, JsonbValue *v, pgl_nn_layer_spec *l,
				bool *units_given)
{
	bool rnn = l->type == PGL_NN_LSTM || l->type == PGL_NN_GRU;

	if (l->type == PGL_NN_EMBEDDING && strcmp(key, "vocab") == 0)
		l->vocab = layer_int(i, type, key, v, 2, 1 << 24);
	else if (l->type == PGL_NN_EMBEDDING && strcmp(key, "dim") == 0)
	{
		l->units = layer_int(i, type, key, v, 1, 65536);
		*units_given = true;
	}
	else if (rnn && strcmp(key, "units") == 0)
	{
		l->units = layer_int(i, type, key, v, 1, 4096);
		*units_given = true;
	}
	else if (rnn && strcmp(key, "return_sequences") == 0)
		l->return_sequences = layer_bool(i, type, key, v);
	else if (rnn && strcmp(key, "bidirectional") == 0)
		l->bidirectional = layer_bool(i, type, key, v);
	else
		return false;
	return true;
}

/* one parameter key: v of layer i; sets *units_given for "units" and "filters" */
static void
layer_param(int i, const char *type, const char *key, JsonbValue *v, pgl_nn_layer_spec *l,
			bool *units_given)
{
	bool conv = l->type == PGL_NN_CONV2D || l->type == PGL_NN_CONV1D;

	if (pgl_attn_is_layer(l->type))
	{
		pgl_nn_attn_layer_param(i, type, key, v, l);
		return;
	}
	if (seq_layer_param(i, type, key, v, l, units_given))
		return;
	if (strcmp(key, "activation") == 0 &&
		(l->type == PGL_NN_DENSE || conv || l->type == PGL_NN_ACTIVATION))
		l->activation = parse_activation(i, type, v);
	else if (strcmp(key, "alpha") == 0 &&
			 (l->type == PGL_NN_DENSE || conv || l->type == PGL_NN_ACTIVATION))
	{
		if (v->type != jbvNumeric)
			layer_error(i, type, "\"alpha\" must be a number", NULL);
		l->alpha =
			DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	}
	else if (strcmp(key, "units") == 0 && l->type == PGL_NN_DENSE)
	{
		l->units = layer_int(i, type, key, v, 1, 1 << 24);
		*units_given = true;
	}
	else if (strcmp(key, "filters") == 0 && conv)
	{
		l->units = layer_int(i, type, key, v, 1, 65536);
		*units_given = true;
	}
	else if (strcmp(key, "kernel") == 0 && conv)
		l->kernel = layer_int(i, type, key, v, 1, l->type == PGL_NN_CONV1D ? 256 : 64);
	else if ((strcmp(key, "size") == 0 || strcmp(key, "pool") == 0) &&
			 (l->type == PGL_NN_MAXPOOL2D || l->type == PGL_NN_AVGPOOL2D))
		l->kernel = layer_int(i, type, key, v, 1, 64);
	else if (strcmp(key, "stride") == 0 &&
			 (conv || l->type == PGL_NN_MAXPOOL2D || l->type == PGL_NN_AVGPOOL2D))
		l->stride = layer_int(i, type, key, v, 1, 64);
	else if (strcmp(key, "padding") == 0 && conv)
	{
		char *p = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : "";

		if (strcmp(p, "same") == 0)
			l->padding = 1;
		else if (strcmp(p, "valid") == 0)
			l->padding = 0;
		else
			layer_error(i, type,
						psprintf("\"padding\" must be \"same\" or \"valid\", not %s", jbv_text(v)),
						NULL);
	}
	else if (strcmp(key, "rate") == 0 && l->type == PGL_NN_DROPOUT)
	{
		if (v->type != jbvNumeric)
			layer_error(i, type, "\"rate\" must be a number in [0, 1)", NULL);
		l->rate =
			DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		if (!(l->rate >= 0 && l->rate < 1))
			layer_error(i, type, psprintf("the rate must be in [0, 1), not %s", jbv_text(v)), NULL);
	}
	else
	{
		const char *valid = l->type == PGL_NN_DENSE ? "units, activation, alpha"
							: conv ? "filters, kernel, stride, padding, activation, alpha"
							: l->type == PGL_NN_EMBEDDING ? "vocab, dim"
							: l->type == PGL_NN_LSTM || l->type == PGL_NN_GRU
								? "units, return_sequences, bidirectional"
							: l->type == PGL_NN_MAXPOOL2D || l->type == PGL_NN_AVGPOOL2D
								? "size, stride"
							: l->type == PGL_NN_DROPOUT	   ? "rate"
							: l->type == PGL_NN_ACTIVATION ? "activation, alpha"
														   : "none";

		layer_error(i, type, psprintf("unknown parameter \"%s\"", key),
					psprintf("Parameters of %s are: %s.", type, valid));
	}
}

static void
parse_layer(int i, JsonbValue *elem, pgl_nn_layer_spec *l)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;
	JsonbValue		   body;
	char			  *type;
	char			  *key = NULL;
	bool			   units_given = false;

	memset(&body, 0, sizeof(body));
	type = layer_type(i, elem, l, &body);
	if (layer_shorthand(i, type, &body, l))
		return;
	if (body.type != jbvBinary || JsonContainerIsArray(body.val.binary.data))
		layer_error(i, type, psprintf("its parameters must be an object, not %s", jbv_text(&body)),
					"For example {\"conv2d\": {\"filters\": 32, \"kernel\": 3}}.");
	it = JsonbIteratorInit(body.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			layer_param(i, type, key, &v, l, &units_given);
	}
	/* "vocab" may be left out before a text column: nn_text_options */
	if (l->type == PGL_NN_EMBEDDING && !units_given)
		layer_error(i, type, "\"dim\" is missing",
					"For example {\"embedding\": {\"vocab\": 10000, \"dim\": 64}}: token ids "
					"1 .. vocab - 1, 0 the padding.");
	if ((l->type == PGL_NN_DENSE || l->type == PGL_NN_CONV2D || l->type == PGL_NN_CONV1D ||
		 l->type == PGL_NN_LSTM || l->type == PGL_NN_GRU) &&
		!units_given)
		layer_error(i, type,
					l->type == PGL_NN_CONV2D || l->type == PGL_NN_CONV1D ? "\"filters\" is missing"
																		 : "\"units\" is missing",
					NULL);
	pgl_nn_attn_layer_done(i, type, l);
}

static void
parse_layers(JsonbValue *v, NnOptions *o)
{
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	int				   n = 0, cap = 8;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		opt_error("layers", "an array of layers", v);
	o->spec.layers = palloc0(sizeof(pgl_nn_layer_spec) * cap);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (n == 64)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("a network may have at most 64 layers")));
		if (n == cap)
		{
			cap *= 2;
			o->spec.layers = repalloc(o->spec.layers, sizeof(pgl_nn_layer_spec) * cap);
		}
		parse_layer(n, &e, &o->spec.layers[n]);
		n++;
	}
	if (n == 0)
		opt_error("layers", "a non-empty array of layers", v);
	o->spec.n_layers = n;
	o->have_layers = true;
}

static void
parse_shape(JsonbValue *v, NnOptions *o)
{
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	int				   n = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		opt_error("input_shape", "an array like [28, 28, 1] or [784]", v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (n == 3)
			opt_error("input_shape", "an array of 1 to 3 sizes", v);
		o->shape[n++] = int_in("input_shape", &e, 1, 1 << 24);
	}
	if (n == 0)
		opt_error("input_shape", "an array of 1 to 3 sizes", v);
	o->shape_ndim = n;
	if (n == 2)
		o->shape[2] = 1; /* (height, width): one channel */
}

/*
 * The option "text": one column, read as token ids by a first embedding
 * (whose "vocab" may then be left out); else every embedding has "vocab".
 */
static void
nn_text_options(const PglTrainOptions *t, NnOptions *o)
{
	if (list_length(t->text) > 1)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("neural_net reads one text column, not %d", list_length(t->text)),
						errdetail("\"text\" names \"%s\" and \"%s\".", (char *) linitial(t->text),
								  (char *) lsecond(t->text)),
						errhint("Join the texts into one column in a SELECT (for example "
								"title || ' ' || body).")));
	o->text = t->text ? pstrdup(linitial(t->text)) : NULL;
	if (o->text && o->spec.layers[0].type != PGL_NN_EMBEDDING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("text column \"%s\" becomes token ids, but the first layer is not an "
						"embedding",
						o->text),
				 errhint("Start the layers with {\"embedding\": {\"dim\": 32}} (its "
						 "\"vocab\" is then the learned vocabulary's size).")));
	if (o->text && t->input_shape)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"input_shape\" does not apply to the text column \"%s\"", o->text),
				 errhint("Give the number of token ids per row as \"max_len\".")));
	for (int i = 0; i < o->spec.n_layers; i++)
		if (o->spec.layers[i].type == PGL_NN_EMBEDDING && o->spec.layers[i].vocab == 0 &&
			!(i == 0 && o->text))
			layer_error(i, "embedding", "\"vocab\" is missing",
						"For example {\"embedding\": {\"vocab\": 10000, \"dim\": 64}}: token ids "
						"1 .. vocab - 1, 0 the padding; with a \"text\" column it may be left "
						"out.");
}

/*
 * "prune": {"sparsity": s in [0, 1), "epochs": 1 .. epochs (default half
 * of them, rounded up)}
 */
static void
parse_prune(JsonbValue *v, pgl_nn_spec *spec)
{
	const char		  *shape = "an object like {\"sparsity\": 0.8, \"epochs\": 3}";
	JsonbIterator	  *it;
	JsonbValue		   k, e;
	JsonbIteratorToken tok;
	bool			   have_sparsity = false;
	int				   epochs = (spec->epochs + 1) / 2;
	pgl_status		   st;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		opt_error("prune", shape, v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &e, true);
		if (strcmp(key, "sparsity") == 0)
		{
			spec->prune_sparsity = num("prune.sparsity", &e, "a number");
			have_sparsity = true;
		}
		else if (strcmp(key, "epochs") == 0)
		{
			double d = num("prune.epochs", &e, "an integer");

			if (!(d == floor(d) && fabs(d) < 1e9))
				opt_error("prune.epochs", "an integer", &e);
			epochs = (int) d; /* its range: pgl_nn_prune_check */
		}
		else
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown key \"%s\" in the option \"prune\"", key),
							errhint("\"prune\" takes \"sparsity\" and \"epochs\".")));
	}
	if (!have_sparsity)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the option \"prune\" needs \"sparsity\""),
						errhint("For example \"prune\": {\"sparsity\": 0.8, \"epochs\": 3}.")));
	spec->prune_epochs = epochs;
	/* the algorithm's check (nn_prune.c), here before the rows are read */
	memset(&st, 0, sizeof(st));
	if (pgl_nn_prune_check(spec, &st) != PGL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("option \"prune\": %s", st.msg),
				 st.detail[0] ? errdetail("%s", st.detail) : 0,
				 errhint("\"prune\": {\"sparsity\": s in [0, 1), \"epochs\": 1 .. %d}, "
						 "without \"patience\".",
						 (int) spec->epochs)));
}

/* the network's options, from those read by the schema (options.c) */
static void
nn_options(const PglTrainOptions *t, NnOptions *o)
{
	static const int32 optimizers[] = {PGL_NN_ADAM, PGL_NN_SGD};
	static const int32 inits[] = {PGL_NN_INIT_AUTO, PGL_NN_INIT_HE, PGL_NN_INIT_XAVIER};

	memset(o, 0, sizeof(*o));
	pgl_nn_spec_defaults(&o->spec);
	if (t->layers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("neural_net needs the option \"layers\""),
				 errhint("For example \"layers\": [{\"dense\": {\"units\": 32, \"activation\": "
						 "\"relu\"}}, {\"dense\": {\"units\": 10, \"activation\": "
						 "\"softmax\"}}].")));
	parse_layers(t->layers, o);
	for (int i = 0; i < o->spec.n_layers; i++)
		if (o->spec.layers[i].type >= PGL_NN_EMBEDDING &&
			o->spec.layers[i].type != PGL_NN_LAYER_NORM) /* layer_norm: also flat */
			o->sequence = true;
	o->token_ids = o->spec.layers[0].type == PGL_NN_EMBEDDING;
	nn_text_options(t, o);
	if (t->input_shape)
		parse_shape(t->input_shape, o);
	o->scale = t->scale;
	if (t->optimizer >= 0)
		o->spec.optimizer = optimizers[t->optimizer];
	if (t->init >= 0)
		o->spec.init = inits[t->init];
	if (t->learning_rate > 0)
		o->spec.learning_rate = t->learning_rate;
	if (t->momentum >= 0)
		o->spec.momentum = t->momentum;
	if (t->l2 >= 0)
		o->spec.l2 = t->l2;
	if (t->batch_size > 0)
		o->spec.batch_size = t->batch_size;
	if (t->epochs > 0)
		o->spec.epochs = t->epochs;
	if (t->patience > 0)
		o->spec.patience = t->patience;
	o->spec.no_buckets = t->no_buckets;
	if (t->prune)
		parse_prune(t->prune, &o->spec);
	o->spec.seed = t->seed;
	o->test_size = t->test_size;
	o->exclude = t->exclude;
	o->nulls_error = t->nulls_error;
	o->storage = t->storage;
	if (t->temperature > 0)
		o->spec.temperature = t->temperature;
	if (t->distill_weight >= 0)
		o->spec.distill_weight = t->distill_weight;
	o->autoencoder = t->nn_task == 1;
	o->contamination = t->contamination > 0 ? t->contamination : 0.01;
}

/* ---------- array conversion ---------- */

bool
pgl_nn_array_type_ok(Oid typid)
{
	Oid base = getBaseType(typid);

	return base == BYTEAOID || base == FLOAT4ARRAYOID || base == FLOAT8ARRAYOID ||
		   base == INT2ARRAYOID || base == INT4ARRAYOID;
}

static char *
row_text(int64 row)
{
	return row >= 0 ? psprintf(" in row " INT64_FORMAT, row + 1) : "";
}

void
pgl_nn_datum_to_floats(Datum d, Oid typid, int64 expect, double scale, float *dst,
					   const char *column, int64 row)
{
	pgl_nn_datum_to_steps(d, typid, expect, 0, scale, dst, column, row);
}

/* may n values stand for expect: as many, or (a sequence) fewer whole steps, padded */
static bool
size_fits(int64 n, int64 expect, int64 step, float *dst)
{
	if (n == expect)
		return true;
	if (step <= 0 || n <= 0 || n > expect || n % step != 0)
		return false;
	memset(dst + n, 0, sizeof(float) * (expect - n));
	return true;
}

void
pgl_nn_datum_to_steps(Datum d, Oid typid, int64 expect, int64 step, double scale, float *dst,
					  const char *column, int64 row)
{
	Oid	  base = getBaseType(typid);
	float s = (float) scale;

	if (base == BYTEAOID)
	{
		bytea		*b = DatumGetByteaPP(d);
		const uint8 *p = (const uint8 *) VARDATA_ANY(b);
		int64		 n = VARSIZE_ANY_EXHDR(b);

		if (!size_fits(n, expect, step, dst))
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("column \"%s\"%s has " INT64_FORMAT
							" bytes, but the input shape needs " INT64_FORMAT,
							column, row_text(row), n, expect),
					 errhint("Each byte is one value (uint8); give \"input_shape\" to match.")));
		for (int64 i = 0; i < n; i++)
			dst[i] = (float) p[i] * s;
		return;
	}
	else
	{
		ArrayType *a = DatumGetArrayTypeP(d);
		int64	   n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		/* ARR_DATA_PTR, without its mixed-signedness warning */
		const char *p =
			(const char *) a +
			(ARR_HASNULL(a) ? (Size) a->dataoffset : (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));

		if (ARR_HASNULL(a) && array_contains_nulls(a))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("column \"%s\"%s has a NULL element", column, row_text(row)),
							errhint("A tensor input cannot impute: replace the NULLs first.")));
		if (!size_fits(n, expect, step, dst))
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("column \"%s\"%s has " INT64_FORMAT
							" elements, but the input shape needs " INT64_FORMAT,
							column, row_text(row), n, expect),
					 step > 0
						 ? errhint("A sequence of at most " INT64_FORMAT " steps of " INT64_FORMAT
								   " values: shorter ones are padded.",
								   expect / step, step)
						 : errhint("Every row must hold one tensor of \"input_shape\".")));
		switch (ARR_ELEMTYPE(a))
		{
			case FLOAT4OID:
				for (int64 i = 0; i < n; i++)
				{
					float v = ((const float *) p)[i];

					if (!isfinite(v))
						goto nonfinite;
					dst[i] = v * s;
				}
				break;
			case FLOAT8OID:
				for (int64 i = 0; i < n; i++)
				{
					double v = ((const double *) p)[i];

					if (!isfinite(v))
						goto nonfinite;
					dst[i] = (float) (v * scale);
				}
				break;
			case INT2OID:
				for (int64 i = 0; i < n; i++)
					dst[i] = (float) ((const int16 *) p)[i] * s;
				break;
			case INT4OID:
				for (int64 i = 0; i < n; i++)
					dst[i] = (float) ((const int32 *) p)[i] * s;
				break;
			default:
				ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
								errmsg("column \"%s\" has type %s, not a tensor type", column,
									   format_type_be(typid)),
								errhint("Tensor inputs are real[], double precision[], "
										"smallint[], integer[] or bytea.")));
		}
		return;
	}
nonfinite:
	ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
					errmsg("column \"%s\"%s has a non-finite element", column, row_text(row)),
					errhint("Replace NaN and Infinity before training or predicting.")));
}

/* ---------- reading an array column ---------- */

typedef struct NnArrayData
{
	char	  *column;
	Oid		   typid;
	char	  *type_name;
	char	  *target_type;
	Oid		   target_typid;
	int64	   D;
	int64	   n[2], cap[2];
	float	  *X[2];
	double	  *y[2]; /* regression target, or class code */
	int64	   n_skipped;
	PglVocab  *vocab; /* classification: label strings */
	PglNnDocs *docs;  /* a text column: its documents (X is filled after reading) */
} NnArrayData;

static void
grow(NnArrayData *ad, int part, MemoryContext cxt)
{
	int64 cap = ad->cap[part] ? ad->cap[part] * 2 : 1024;

	pgl_check_memory(
		(Size) (cap + ad->cap[1 - part]) * (ad->D * sizeof(float) + sizeof(double)),
		psprintf("reading " INT64_FORMAT " tensors of " INT64_FORMAT " values", cap, ad->D));
	if (ad->X[part] == NULL)
	{
		ad->X[part] = MemoryContextAllocExtended(cxt, sizeof(float) * cap * ad->D, MCXT_ALLOC_HUGE);
		ad->y[part] = MemoryContextAllocExtended(cxt, sizeof(double) * cap, MCXT_ALLOC_HUGE);
	}
	else
	{
		ad->X[part] = repalloc_huge(ad->X[part], sizeof(float) * cap * ad->D);
		ad->y[part] = repalloc_huge(ad->y[part], sizeof(double) * cap);
	}
	ad->cap[part] = cap;
}

/* what read_tensor_row needs */
typedef struct TensorReader
{
	NnArrayData	 *ad;
	NnOptions	 *o;
	const char	 *target;
	bool		  classification;
	int			  feat, targ; /* attribute indexes */
	FmgrInfo	  tout;		  /* classification: the target's output function */
	MemoryContext cxt;
	PglTeacher	 *teacher; /* distillation: scores each row kept */
} TensorReader;

/* values per step of a sequence input: features, 1 for token ids */
static int64
seq_step(const NnOptions *o)
{
	return !o->token_ids && o->shape_ndim == 2 ? o->shape[1] : 1;
}

/* one row of a tensor read: to the training rows or the hold-out */
static void
read_tensor_row(TensorReader *tr, HeapTuple t, TupleDesc tupdesc, int64 row)
{
	NnArrayData *ad = tr->ad;
	NnOptions	*o = tr->o;
	bool		 tnull, fnull;
	Datum		 tv = heap_getattr(t, tr->targ + 1, tupdesc, &tnull);
	Datum		 fv = heap_getattr(t, tr->feat + 1, tupdesc, &fnull);
	int			 part;
	double		 yv;

	if (tnull)
	{
		ad->n_skipped++;
		return;
	}
	if (ad->docs)
	{
		/* a text column: a NULL is an empty document */
		part = pgl_row_in_test(o->spec.seed, row, PGL_TEST_FRACTION(o->test_size)) ? PGL_TEST
																				   : PGL_TRAIN;
		if (ad->n[part] == ad->cap[part])
			grow(ad, part, tr->cxt);
		pgl_nn_docs_add(ad->docs, part, fv, fnull);
		goto target;
	}
	if (fnull)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("column \"%s\" is NULL in row " INT64_FORMAT, ad->column, row + 1),
						errhint("A tensor input cannot be imputed: filter such rows out.")));
	if (ad->D < 0)
	{
		/* no input_shape: a flat vector as long as the first row's */
		if (getBaseType(ad->typid) == BYTEAOID)
			ad->D = VARSIZE_ANY_EXHDR(DatumGetByteaPP(fv));
		else
		{
			ArrayType *arr = DatumGetArrayTypeP(fv);

			ad->D = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
			/* a sequence: the first row's [steps][features] */
			if (o->sequence && !o->token_ids && ARR_NDIM(arr) == 2 && ad->D > 0)
			{
				o->shape_ndim = 2;
				o->shape[0] = ARR_DIMS(arr)[0];
				o->shape[1] = ARR_DIMS(arr)[1];
				o->shape[2] = 1;
			}
		}
		if (ad->D < 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("column \"%s\" is empty in row " INT64_FORMAT, ad->column, row + 1)));
		if (o->shape_ndim != 2)
		{
			o->shape_ndim = 1;
			o->shape[0] = (int32) ad->D;
		}
	}
	part =
		pgl_row_in_test(o->spec.seed, row, PGL_TEST_FRACTION(o->test_size)) ? PGL_TEST : PGL_TRAIN;
	if (ad->n[part] == ad->cap[part])
		grow(ad, part, tr->cxt);
	pgl_nn_datum_to_steps(fv, ad->typid, ad->D, o->sequence ? seq_step(o) : 0, o->scale,
						  ad->X[part] + ad->n[part] * ad->D, ad->column, row);
target:
	if (tr->classification)
	{
		char *str = OutputFunctionCall(&tr->tout, tv);

		yv = pgl_vocab_intern(ad->vocab, str, strlen(str));
		pfree(str);
	}
	else
	{
		yv = pgl_datum_to_double(tv, ad->target_typid);
		if (!isfinite(yv))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("target \"%s\" is not finite in row " INT64_FORMAT, tr->target,
								   row + 1)));
	}
	ad->y[part][ad->n[part]++] = yv;
	if (tr->teacher)
		pgl_teacher_score(tr->teacher, t, tupdesc, part);
}

/* the text column (attribute feat, -1 if missing) must be a text type and the only feature */
static void
text_column_check(TupleDesc desc, const NnOptions *o, int feat, int nfeat)
{
	if (feat < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" listed in \"text\" is not a feature of the data", o->text),
				 errhint("\"text\" names the column of free text beside the target.")));
	pgl_check_text_column(o->text, TupleDescAttr(desc, feat)->atttypid,
						  "Cast it to text in a SELECT, or give token ids as an integer[] column "
						  "without \"text\".");
	if (nfeat != 1)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("text column \"%s\" becomes token ids, but the data has %d other "
							   "feature columns",
							   o->text, nfeat - 1),
						errhint("The text must be the only feature: select just it and the "
								"target, or leave the others out with \"exclude\".")));
}

/*
 * The tensor column of the data (*feat), apart from the target (*targ) and
 * the excluded columns, or -1 when there is none or other features beside
 * it.  ERROR for a tensor among other features, a regression of a
 * non-numeric target.
 */
static void
find_tensor_column(TupleDesc desc, const char *target, bool classification, NnOptions *o, int *feat,
				   int *targ)
{
	int nfeat = 0;

	*feat = *targ = -1;
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		const char		 *nm = NameStr(att->attname);
		bool			  excluded = false;
		ListCell		 *lc;

		if (att->attisdropped)
			continue;
		if (strcmp(nm, target) == 0)
		{
			*targ = a;
			continue;
		}
		foreach (lc, o->exclude)
			if (strcmp((char *) lfirst(lc), nm) == 0)
				excluded = true;
		if (excluded)
			continue;
		nfeat++;
		if (o->text ? strcmp(nm, o->text) == 0 : pgl_nn_array_type_ok(att->atttypid))
			*feat = a;
	}
	if (o->text)
		text_column_check(desc, o, *feat, nfeat);
	if (*targ >= 0 && !classification && !pgl_type_is_numeric(TupleDescAttr(desc, *targ)->atttypid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" has type %s, but this network is a regression",
						target, format_type_be(TupleDescAttr(desc, *targ)->atttypid)),
				 errhint("A network whose last layer has \"activation\": \"softmax\" (or one "
						 "\"sigmoid\" unit) is a classifier; any other last layer predicts a "
						 "number.")));
	if (*feat >= 0 && *targ >= 0 && nfeat != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" is a tensor, but the data has %d other feature columns",
						NameStr(TupleDescAttr(desc, *feat)->attname), nfeat - 1),
				 errhint("A tensor input must be the only feature: select just it and the "
						 "target, or leave the others out with \"exclude\".")));
	if (nfeat != 1 || *targ < 0)
		*feat = -1;
}

/*
 * Open the data query; if, apart from the target and the excluded columns,
 * it has exactly one column of a tensor type, read it and return true.
 * Otherwise return false without reading (the column path reads it).
 */
static bool
read_array_data(const char *data, const char *target, bool classification, NnOptions *o,
				MemoryContext cxt, NnArrayData *ad)
{
	char		 *query = pgl_data_query(data);
	SPIPlanPtr	  plan;
	Portal		  portal;
	TupleDesc	  desc;
	int			  feat, targ;
	int64		  row = 0;
	TensorReader  tr;
	MemoryContext batch_cxt;

	pgl_check_single_select(query);
	memset(ad, 0, sizeof(*ad));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "pg_learn: could not prepare the data query: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	desc = portal->tupDesc;
	if (desc == NULL)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("data must be a query that returns rows")));
	find_tensor_column(desc, target, classification, o, &feat, &targ);
	if (feat < 0)
	{
		SPI_cursor_close(portal);
		SPI_finish();
		return false;
	}

	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		ad->column = pstrdup(NameStr(TupleDescAttr(desc, feat)->attname));
		ad->typid = TupleDescAttr(desc, feat)->atttypid;
		ad->type_name = format_type_be(ad->typid);
		ad->target_typid = TupleDescAttr(desc, targ)->atttypid;
		ad->target_type = format_type_be(ad->target_typid);
		if (classification)
			ad->vocab = pgl_vocab_create(cxt);
		if (o->text)
			ad->docs = pgl_nn_docs_create(cxt);
		MemoryContextSwitchTo(old);
	}
	if (!classification && !pgl_type_is_numeric(ad->target_typid))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("target column \"%s\" has type %s, but this network is a regression",
							   target, ad->target_type),
						errhint("A network whose last layer has \"activation\": \"softmax\" (or "
								"one \"sigmoid\" unit) is a classifier; any other last layer "
								"predicts a number.")));
	memset(&tr, 0, sizeof(tr));
	tr.ad = ad;
	tr.o = o;
	tr.target = target;
	tr.classification = classification;
	tr.feat = feat;
	tr.targ = targ;
	tr.cxt = cxt;
	tr.teacher = o->teacher;
	if (classification)
	{
		Oid	 fn;
		bool varlena;

		getTypeOutputInfo(ad->target_typid, &fn, &varlena);
		fmgr_info_cxt(fn, &tr.tout, cxt);
	}
	ad->D = o->text			? 0 /* pgl_nn_docs_encode */
			: o->shape_ndim ? (int64) o->shape[0] * (o->shape_ndim > 1 ? o->shape[1] : 1) *
								  (o->shape_ndim > 1 ? o->shape[2] : 1)
							: -1;

	/* detoasted tensors and label strings live for one batch of rows */
	batch_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn rows", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		MemoryContext prev;

		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		prev = MemoryContextSwitchTo(batch_cxt);
		for (uint64 i = 0; i < SPI_processed; i++, row++)
			read_tensor_row(&tr, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, row);
		MemoryContextSwitchTo(prev);
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	return true;
}

/* ---------- the glue steps (train_glue.h) ---------- */

static bool
spec_is_classifier(const pgl_nn_spec *spec)
{
	const pgl_nn_layer_spec *last = &spec->layers[spec->n_layers - 1];

	return last->activation == PGL_NN_SOFTMAX ||
		   (last->activation == PGL_NN_SIGMOID && last->type == PGL_NN_DENSE && last->units == 1);
}

typedef struct NnTrain
{
	NnOptions	  o;
	bool		  classification;
	bool		  array_input; /* one tensor column, else ordinary columns */
	NnArrayData	  ad;
	PglDataSet	 *ds;
	float		 *X[2];
	int64		  n[2];
	int32		 *label[2];
	double		 *yd[2];
	float		 *yf[2];
	float		 *soft; /* distillation: the training rows' soft targets */
	double		 *mu, *sd;
	double		  config[PGL_NN_CONFIG_LEN];
	int64		  D, n_skipped, n_unknown;
	pgl_nn		 *net;
	pgl_nn_result res;
	instr_time	  fit_time;
	pgl_feature	  tokens; /* a text column: its tokens feature */
} NnTrain;

/*
 * "teacher": the network must be a classifier (the teacher itself is looked
 * up when the rows are read).  "temperature" and "distill_weight" need it.
 */
static void
nn_check_teacher(PglTrainCall *c, NnTrain *t)
{
	const PglTrainOptions *o = &c->opts;

	if (o->teacher == NULL)
	{
		if (o->temperature > 0 || o->distill_weight >= 0)
			ereport(
				ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" needs the option \"teacher\"",
						o->temperature > 0 ? "temperature" : "distill_weight"),
				 errhint("Name the classifier to distill from, e.g. \"teacher\": \"big_model\", "
						 "or leave \"temperature\" and \"distill_weight\" out.")));
		return;
	}
	if (!t->classification)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"teacher\" needs a classifier, but network \"%s\" is a regression",
						c->name),
				 errdetail("The network learns the teacher's class probabilities; its last layer "
						   "has no softmax (nor one sigmoid unit)."),
				 errhint("End the layers with {\"dense\": {\"units\": <classes>, \"activation\": "
						 "\"softmax\"}}, or leave \"teacher\" out.")));
	/* opened by nn_read, in the training's memory context */
}

/*
 * "variational": the latent layer is the narrowest dense layer before the
 * last (the first of them), linear; its units Z are the latent size.  It
 * becomes 2Z units (the mean, then the log-variance) and a sample layer
 * after it (nn_vae.c).
 */
static void
vae_spec(NnOptions *o, double beta)
{
	pgl_nn_spec		  *sp = &o->spec;
	pgl_nn_layer_spec *l;
	int				   latent = -1;

	for (int i = 0; i < sp->n_layers - 1; i++)
		if (sp->layers[i].type == PGL_NN_DENSE &&
			(latent < 0 || sp->layers[i].units < sp->layers[latent].units))
			latent = i;
	if (latent < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a variational autoencoder needs a dense layer before the last one"),
				 errdetail("The narrowest dense layer before the last is the latent one: it gives "
						   "the mean and log-variance of the latent distribution."),
				 errhint("For example \"layers\": [{\"dense\": {\"units\": 16, \"activation\": "
						 "\"tanh\"}}, {\"dense\": 2}, {\"dense\": {\"units\": 16, "
						 "\"activation\": \"tanh\"}}, {\"dense\": <inputs>}].")));
	if (sp->layers[latent].activation != PGL_NN_LINEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the latent layer of a variational autoencoder (layer %d, dense of %d "
						"units) must be linear, not %s",
						latent + 1, (int) sp->layers[latent].units,
						pgl_nn_activation_name(sp->layers[latent].activation)),
				 errdetail("The narrowest dense layer before the last is the latent one: it gives "
						   "the mean and log-variance of the latent distribution."),
				 errhint("Leave its \"activation\" out.")));
	l = palloc0(sizeof(pgl_nn_layer_spec) * (sp->n_layers + 1));
	memcpy(l, sp->layers, sizeof(*l) * (latent + 1));
	l[latent].units *= 2;
	l[latent + 1].type = PGL_NN_SAMPLE;
	memcpy(l + latent + 2, sp->layers + latent + 1, sizeof(*l) * (sp->n_layers - latent - 1));
	sp->layers = l;
	sp->n_layers++;
	sp->vae_beta = beta;
	o->variational = true;
}

/* "task": "autoencoder": no target, ordinary columns, a linear output of the inputs' size */
static void
nn_check_autoencoder(PglTrainCall *c, NnTrain *t)
{
	const PglTrainOptions *o = &c->opts;
	const char			  *only = o->contamination > 0 ? "contamination"
								  : o->variational	   ? "variational"
								  : o->beta >= 0	   ? "beta"
													   : NULL;

	if (!t->o.autoencoder)
	{
		if (only)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("option \"%s\" applies to an autoencoder", only),
							errhint("Add \"task\": \"autoencoder\" (and no target), or leave "
									"\"%s\" out.",
									only)));
		return;
	}
	if (c->target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an autoencoder takes no target column, but \"%s\" was given", c->target),
				 errhint("It learns to reproduce every column except those in \"exclude\"; call "
						 "ai_train(name, 'neural_net', data, options => ...) without a target.")));
	if (o->search || o->trial)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"search\" and ai_cross_validate do not support autoencoders"),
				 errdetail("An anomaly model has no hold-out metric to compare settings by."),
				 errhint("Train each setting with ai_train and compare the flags with known "
						 "labels in SQL.")));
	if (o->teacher || t->o.sequence || t->o.text || o->input_shape)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an autoencoder reads ordinary columns through dense layers, without "
						"\"%s\"",
						o->teacher		 ? "teacher"
						: t->o.text		 ? "text"
						: o->input_shape ? "input_shape"
										 : "sequence layers"),
				 errhint("Give the numeric and categorical columns; the last layer is "
						 "{\"dense\": {\"units\": <inputs>}}.")));
	if (t->classification)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("an autoencoder's last layer reproduces the inputs, so it cannot be "
							   "a softmax or one sigmoid unit"),
						errhint("End with {\"dense\": {\"units\": <inputs>}} (linear); its units "
								"must be the encoded inputs' count.")));
	if (o->variational)
		vae_spec(&t->o, o->beta >= 0 ? o->beta : 1.0);
	else if (o->beta >= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"beta\" applies to a variational autoencoder"),
						errhint("Add \"variational\": true, or leave \"beta\" out.")));
	if (c->opts.deploy_if_better)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"deploy\": \"if_better\" does not apply to an autoencoder"),
				 errdetail("An anomaly model has no hold-out metric to compare versions by."),
				 errhint("Deploy with true (the default) or false.")));
}

static void
nn_check(PglTrainCall *c)
{
	NnTrain *t;

	c->state = t = palloc0(sizeof(NnTrain));
	nn_options(&c->opts, &t->o);
	t->classification = spec_is_classifier(&t->o.spec);
	nn_check_autoencoder(c, t);
	if (c->target == NULL && !t->o.autoencoder)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("neural_net needs a target column"),
						errhint("Name the column to predict: ai_train(name, 'neural_net', data, "
								"target => 'column', options => ...), or train an autoencoder "
								"with \"task\": \"autoencoder\".")));
	nn_check_teacher(c, t);
}

/* a tensor column: below 50 rows a default hold-out would be too small to tell anything */
static void
array_read(PglTrainCall *c, NnTrain *t)
{
	NnArrayData *ad = &t->ad;
	int64		 nt = ad->n[PGL_TRAIN] + ad->n[PGL_TEST];

	/* a text column: the vocabulary of the training rows (all of them when merged below) */
	if (ad->docs && nt > 0)
	{
		pgl_nn_docs_encode(ad->docs, &c->opts, t->o.test_size < 0 && nt < 50, ad->column,
						   ad->type_name, &t->tokens, ad->X, &ad->D);
		t->o.shape_ndim = 1;
		t->o.shape[0] = (int32) ad->D;
	}

	t->n_skipped = ad->n_skipped;
	t->D = ad->D;
	for (int p = 0; p < 2; p++)
	{
		t->n[p] = ad->n[p];
		t->X[p] = ad->X[p];
	}
	if (nt == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to train on")));
	if (t->o.test_size < 0 && nt < 50 && t->n[PGL_TEST] > 0)
	{
		float  *x = palloc_extended(sizeof(float) * nt * t->D, MCXT_ALLOC_HUGE);
		double *yy = palloc_extended(sizeof(double) * nt, MCXT_ALLOC_HUGE);

		memcpy(x, t->X[0], sizeof(float) * t->n[0] * t->D);
		memcpy(x + t->n[0] * t->D, t->X[1], sizeof(float) * t->n[1] * t->D);
		memcpy(yy, ad->y[0], sizeof(double) * t->n[0]);
		memcpy(yy + t->n[0], ad->y[1], sizeof(double) * t->n[1]);
		t->X[0] = x;
		ad->y[0] = yy;
		t->n[0] = nt;
		t->n[1] = 0;
	}
}

/*
 * Token ids into an embedding: integers in 0 .. vocab - 1, not scaled.
 * (At prediction an id outside that range reads as padding.)
 */
static void
check_token_ids(NnTrain *t)
{
	int32 vocab = t->o.spec.layers[0].vocab;

	if (!t->o.token_ids)
		return;
	if (t->o.text)
	{
		/* ids 0 .. n_tokens + 1 */
		int32 need = t->tokens.n_categories + PGL_TOK_FIRST;

		if (vocab == 0)
			vocab = t->o.spec.layers[0].vocab = need;
		else if (vocab < need)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("the embedding's \"vocab\" %d is smaller than the %d ids of the "
								   "vocabulary learned from column \"%s\"",
								   (int) vocab, (int) need, t->ad.column),
							errdetail("The ids are 0 (padding), 1 (unknown) and %d tokens.",
									  (int) t->tokens.n_categories),
							errhint("Leave \"vocab\" out to use the learned size, or lower "
									"\"vocab_size\" to %d.",
									(int) vocab)));
	}
	if (t->o.scale != 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"scale\" cannot apply to token ids (column \"%s\")", t->ad.column),
				 errhint("Leave \"scale\" out: an embedding reads ids as they are.")));
	for (int part = 0; part < 2; part++)
		for (int64 i = 0; i < t->n[part] * t->D; i++)
		{
			float v = t->X[part][i];

			if (!(v >= 0 && v < (float) vocab && v == floorf(v)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" holds the token id %g, but the embedding reads "
								"ids 0 .. %d (\"vocab\": %d)",
								t->ad.column, (double) v, (int) vocab - 1, (int) vocab),
						 errhint("Raise \"vocab\" above the largest id; 0 is the padding.")));
		}
}

/* read one tensor column, else the columns as the rows family reads them */
static void
nn_read(PglTrainCall *c)
{
	NnTrain		*t = c->state;
	PglReadExtra extra;

	t->config[PGL_NN_CFG_SCALE] = t->o.scale;
	if (c->opts.teacher)
		t->o.teacher = pgl_teacher_open(c->opts.teacher, c->name, c->cxt);
	t->array_input = !t->o.autoencoder &&
					 read_array_data(c->data, c->target, t->classification, &t->o, c->cxt, &t->ad);
	if (t->array_input && c->opts.trial)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"search\" and ai_cross_validate do not support a neural_net on a tensor "
						"column (\"%s\")",
						t->ad.column),
				 errdetail("Its hold-out is drawn by row position, not by ai_holdout."),
				 errhint("Compare settings by training each with ai_train and reading its "
						 "metrics.")));
	if (t->array_input)
	{
		array_read(c, t);
		check_token_ids(t);
		if (t->o.teacher)
			pgl_teacher_align(t->o.teacher, t->n[PGL_TRAIN], t->n[PGL_TEST]);
		return;
	}
	if (t->o.sequence)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence layers (%s) need one array column as the input",
						"embedding, lstm, gru, conv1d, global pools"),
				 errdetail("The data has no single array or bytea column beside the target."),
				 errhint("Give the sequence as a float8[][] column of [steps, features] "
						 "(trailing all-zero steps are padding), or token ids as an integer[] "
						 "column (0 is padding) into an embedding.")));
	if (t->o.scale != 1.0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"scale\" applies to a tensor (array or bytea) column"),
						errhint("Ordinary columns are standardized by the model.")));
	memset(&extra, 0, sizeof(extra));
	if (t->o.teacher)
	{
		extra.row_hook = pgl_teacher_row_hook;
		extra.row_hook_arg = t->o.teacher;
	}
	t->ds = pgl_read_data_extra(c->data, c->target,
								t->classification ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC,
								t->o.exclude, NIL, c->algorithm, PGL_TEST_FRACTION(t->o.test_size),
								t->o.spec.seed, c->opts.fold, c->opts.folds, NULL, NULL, &extra);
	t->n_skipped = t->ds->n_skipped;
	pgl_check_rows_read(t->ds, c->data, c->target);
	if (t->o.test_size < 0 && t->ds->n_rows < 50 && t->ds->part[PGL_TEST].n > 0)
		pgl_merge_parts(t->ds);
	pgl_check_rows_split(t->ds, &c->opts);
	if (t->o.teacher)
		pgl_teacher_align(t->o.teacher, t->ds->part[PGL_TRAIN].n, t->ds->part[PGL_TEST].n);
}

/* a tensor column: one numeric feature, the classes of the labels */
static void
array_preprocess(PglTrainCall *c, NnTrain *t)
{
	NnArrayData *ad = &t->ad;
	pgl_model	*m = c->m;

	m->n_features = 1;
	m->features = palloc0(sizeof(pgl_feature));
	m->features[0].name = ad->column;
	m->features[0].type_name = ad->type_name;
	m->features[0].kind = PGL_FEATURE_NUMERIC;
	if (ad->docs)
		m->features[0] = t->tokens;
	m->n_inputs = 1;
	m->target_name = pstrdup(c->target);
	m->target_type = ad->target_type;
	t->config[PGL_NN_CFG_INPUT_KIND] =
		getBaseType(ad->typid) == BYTEAOID ? PGL_NN_INPUT_BYTEA : PGL_NN_INPUT_ARRAY;
	if (t->classification)
	{
		int32 *recode;
		int32  mode;

		/* the labels seen in training, in vocabulary order; -1 for one seen only in the hold-out */
		m->n_classes = pgl_learn_code_vocabulary(ad->vocab, ad->y[PGL_TRAIN], NULL, t->n[PGL_TRAIN],
												 pgl_type_is_integer(ad->target_typid), &m->classes,
												 &mode, &recode);
		for (int p = 0; p < 2; p++)
		{
			t->label[p] = palloc_extended(sizeof(int32) * (t->n[p] + 1), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < t->n[p]; i++)
				t->label[p][i] = recode[(int32) ad->y[p][i]];
		}
	}
	else
	{
		t->yd[0] = ad->y[0];
		t->yd[1] = ad->y[1];
	}
}

/* encode a part, standardize by the training rows, and transpose to float rows */
static void
encode_part(PglTrainCall *c, NnTrain *t, int part)
{
	PglDataSet	  *ds = t->ds;
	int32		   p = c->m->n_inputs;
	int64		   rows = ds->part[part].n;
	const double **raw = palloc(sizeof(double *) * (ds->n_features + 1));
	const bool	 **rnull = palloc(sizeof(bool *) * (ds->n_features + 1));
	double		  *E;

	t->n[part] = rows;
	if (rows == 0)
		return;
	for (int f = 0; f < ds->n_features; f++)
	{
		raw[f] = pgl_column_values(ds, &ds->features[f], part);
		rnull[f] = ds->features[f].nulls[part];
	}
	pgl_check_memory(ds->bytes + (Size) rows * p * (sizeof(double) + sizeof(float)),
					 psprintf("encoding " INT64_FORMAT " rows into %d inputs", rows, p));
	E = palloc_extended(sizeof(double) * rows * p, MCXT_ALLOC_HUGE);
	pgl_encode_rows(c->m, raw, rnull, NULL, rows, E);
	if (part == PGL_TRAIN)
		for (int32 j = 0; j < p; j++)
		{
			double s = 0, ss = 0;

			for (int64 i = 0; i < rows; i++)
				s += E[i + j * rows];
			t->mu[j] = s / rows;
			for (int64 i = 0; i < rows; i++)
				ss += (E[i + j * rows] - t->mu[j]) * (E[i + j * rows] - t->mu[j]);
			t->sd[j] = sqrt(ss / rows);
			if (!(t->sd[j] > 1e-12 * fmax(1.0, fabs(t->mu[j]))) || !isfinite(t->sd[j]))
				t->sd[j] = 1.0;
		}
	t->X[part] = palloc_extended(sizeof(float) * rows * p, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < rows; i++)
		for (int32 j = 0; j < p; j++)
			t->X[part][i * p + j] = (float) ((E[i + j * rows] - t->mu[j]) / t->sd[j]);
	pfree(E);
}

/* ordinary columns: the rows family's preprocessing, then standardized float rows */
static void
columns_preprocess(PglTrainCall *c, NnTrain *t)
{
	PglDataSet *ds = t->ds;
	NnOptions  *o = &t->o;
	pgl_model  *m;
	int32		p;

	m = c->m = pgl_learn_dataset_features(ds, PGL_ALGO_NEURAL_NET, c->m->task);
	p = m->n_inputs;
	if (p < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the data has no feature columns")));
	t->D = p;
	if (o->shape_ndim)
	{
		int64 want =
			(int64) o->shape[0] * (o->shape_ndim > 1 ? (int64) o->shape[1] * o->shape[2] : 1);

		if (want != p)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("\"input_shape\" holds " INT64_FORMAT
								   " values, but the columns encode to %d inputs",
								   want, (int) p),
							errhint("Leave \"input_shape\" out for ordinary columns.")));
	}
	else
	{
		o->shape_ndim = 1;
		o->shape[0] = p;
	}
	t->config[PGL_NN_CFG_INPUT_KIND] = PGL_NN_INPUT_COLUMNS;
	if (t->classification)
	{
		t->n_unknown = pgl_learn_dataset_classes(ds, m, c->target);
		for (int part = 0; part < 2; part++)
		{
			double *lab = pgl_column_values(ds, ds->target, part);

			t->label[part] =
				palloc_extended(sizeof(int32) * (ds->part[part].n + 1), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < ds->part[part].n; i++)
				t->label[part][i] = (int32) lab[i];
		}
	}
	else if (!t->o.autoencoder)
		for (int part = 0; part < 2; part++)
			t->yd[part] = pgl_column_values(ds, ds->target, part);
	t->mu = palloc0(sizeof(double) * p);
	t->sd = palloc0(sizeof(double) * p);
	for (int part = 0; part < 2; part++)
		encode_part(c, t, part);
}

/* a classifier's hold-out rows of a label unseen in training cannot be scored */
static void
drop_unknown_labels(NnTrain *t)
{
	int64 k = 0;

	for (int64 i = 0; i < t->n[PGL_TEST]; i++)
	{
		if (t->label[PGL_TEST][i] < 0)
		{
			t->n_unknown++;
			continue;
		}
		if (k != i)
		{
			memmove(t->X[PGL_TEST] + k * t->D, t->X[PGL_TEST] + i * t->D, sizeof(float) * t->D);
			t->label[PGL_TEST][k] = t->label[PGL_TEST][i];
		}
		k++;
	}
	t->n[PGL_TEST] = k;
}

/* the loss and output of the network, and the regression target standardized */
static void
nn_target(PglTrainCall *c, NnTrain *t)
{
	double y_mu = 0, y_sd = 1;

	if (t->o.autoencoder)
	{
		/* the standardized inputs are the targets */
		pgl_classes_refuse(&c->opts, c->algorithm,
						   "An autoencoder has no classes: its output reproduces the inputs.");
		t->o.spec.loss = PGL_NN_LOSS_MSE;
		t->o.spec.n_out = (int32) t->D;
		t->yf[PGL_TRAIN] = t->X[PGL_TRAIN];
		t->yf[PGL_TEST] = t->X[PGL_TEST];
	}
	else if (t->classification)
	{
		pgl_check_classes(c->m, c->target);
		drop_unknown_labels(t);
		t->o.spec.loss = PGL_NN_LOSS_SOFTMAX_CE;
		t->o.spec.n_out = c->m->n_classes;
		t->o.spec.class_weight = pgl_classes_prepare(&c->opts, &c->env, c->m, t->label, t->n);
	}
	else
	{
		double s = 0, ss = 0;
		int64  n = t->n[PGL_TRAIN];

		pgl_classes_refuse(&c->opts, c->algorithm,
						   "The last layer has no softmax (nor one sigmoid unit), so the network "
						   "is a regression.");

		for (int64 i = 0; i < n; i++)
			s += t->yd[PGL_TRAIN][i];
		y_mu = s / n;
		for (int64 i = 0; i < n; i++)
			ss += (t->yd[PGL_TRAIN][i] - y_mu) * (t->yd[PGL_TRAIN][i] - y_mu);
		y_sd = sqrt(ss / n);
		if (!(y_sd > 0) || !isfinite(y_sd))
			y_sd = 1;
		for (int part = 0; part < 2; part++)
		{
			t->yf[part] = palloc_extended(sizeof(float) * (t->n[part] + 1), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < t->n[part]; i++)
				t->yf[part][i] = (float) ((t->yd[part][i] - y_mu) / y_sd);
		}
		t->o.spec.loss = PGL_NN_LOSS_MSE;
		t->o.spec.n_out = 1;
	}
	t->config[PGL_NN_CFG_Y_MU] = y_mu;
	t->config[PGL_NN_CFG_Y_SD] = y_sd;
}

/* the network for the input shape, with buffers for at most the training rows in one batch */
static void
nn_create(PglTrainCall *c, NnTrain *t)
{
	NnOptions *o = &t->o;
	int32	   max_batch = (int32) Min((int64) o->spec.batch_size, Max(t->n[PGL_TRAIN], 1));
	int64	   net_bytes = 0;
	Size	   data_bytes = 0;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	o->spec.in_ndim = o->shape_ndim == 1 ? 1 : 3;
	o->spec.in_h = o->shape_ndim == 1 ? 1 : o->shape[0];
	o->spec.in_w = o->shape_ndim == 1 ? 1 : o->shape[1];
	o->spec.in_c = o->shape_ndim == 1 ? o->shape[0] : o->shape[2];
	if (o->sequence && !o->token_ids)
	{
		/* (steps, features); a flat input is one feature per step */
		if (o->shape_ndim == 3)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("a sequence input has the shape [steps, features], not "
								   "[%d, %d, %d]",
								   o->shape[0], o->shape[1], o->shape[2]),
							errhint("Give \"input_shape\" as [steps, features].")));
		o->spec.in_ndim = 2;
		o->spec.in_h = o->shape[0];
		o->spec.in_w = 1;
		o->spec.in_c = o->shape_ndim == 2 ? o->shape[1] : 1;
	}
	for (int part = 0; part < 2; part++)
		data_bytes += (Size) t->n[part] * t->D * sizeof(float);
	if (pgl_nn_memory(&o->spec, max_batch, &net_bytes, &st) == PGL_OK)
		pgl_check_memory(data_bytes + (Size) net_bytes,
						 psprintf("training a network of batch %d on " INT64_FORMAT
								  " rows of " INT64_FORMAT " values",
								  max_batch, t->n[0] + t->n[1], t->D));
	if (pgl_nn_create(&c->env, &o->spec, max_batch, &t->net, &st) != PGL_OK)
	{
		if (st.rc == PGL_ERR_INVALID)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("the network does not fit: %s", st.msg),
							errdetail("The input shape is %s; the target is %s.",
									  o->spec.in_ndim == 1 ? psprintf("(%d)", o->shape[0])
									  : o->spec.in_ndim == 2
										  ? psprintf("(%d, %d)", o->spec.in_h, o->spec.in_c)
										  : psprintf("(%d, %d, %d)", o->shape[0], o->shape[1],
													 o->shape[2]),
									  t->o.autoencoder	  ? psprintf("the %d inputs", (int) t->D)
									  : t->classification ? psprintf("%d classes", c->m->n_classes)
														  : "one number")));
		pgl_report(&st, "creating the network failed");
	}
}

static void
nn_preprocess(PglTrainCall *c)
{
	NnTrain *t = c->state;

	c->m = palloc0(sizeof(pgl_model));
	c->m->algorithm = PGL_ALGO_NEURAL_NET;
	c->m->task = t->o.autoencoder	 ? PGL_TASK_ANOMALY
				 : t->classification ? PGL_TASK_CLASSIFICATION
									 : PGL_TASK_REGRESSION;
	if (t->array_input)
		array_preprocess(c, t);
	else
		columns_preprocess(c, t);
	if (t->n[PGL_TRAIN] == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("no training rows: all rows fell in the hold-out"),
						errhint("Lower \"test_size\".")));
	nn_target(c, t);
	nn_create(c, t);
	if (t->o.teacher)
		t->soft = pgl_teacher_soft_targets(t->o.teacher, c->m, pgl_nn_output_count(t->net),
										   t->n[PGL_TRAIN], t->o.spec.temperature);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * An autoencoder's threshold: the training rows' reconstruction errors at
 * the quantile 1 - contamination (linear between order statistics, as
 * isolation_forest's).  The errors are kept for the metrics.
 */
static void
ae_threshold(PglTrainCall *c, NnTrain *t)
{
	int64	   n = t->n[PGL_TRAIN];
	double	  *s = palloc_extended(sizeof(double) * (n + 1), MCXT_ALLOC_HUGE);
	double	   pos, frac, *thr;
	int64	   i;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	if (pgl_nn_predict_rows(&c->env, t->net, c->m, t->X[PGL_TRAIN], n, s, &st) != PGL_OK)
		pgl_report(&st, "scoring the training rows failed");
	qsort(s, (size_t) n, sizeof(double), cmp_double);
	pos = (1.0 - t->o.contamination) * (double) (n - 1);
	i = (int64) floor(pos);
	frac = pos - (double) i;
	thr = (double *) pgl_model_tensor(c->m, "anomaly_threshold")->data;
	*thr = i + 1 < n ? s[i] + frac * (s[i + 1] - s[i]) : s[n - 1];
	pfree(s);
}

static void
nn_fit(PglTrainCall *c)
{
	NnTrain	  *t = c->state;
	pgl_model *m = c->m;
	instr_time fit_start;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	pgl_set_blas_threads();
	INSTR_TIME_SET_CURRENT(fit_start);
	{
		pgl_nn_data tr = {
			t->X[PGL_TRAIN], t->n[PGL_TRAIN], t->label[PGL_TRAIN], t->yf[PGL_TRAIN], NULL, t->soft};
		pgl_nn_data va = {t->X[PGL_TEST],  t->n[PGL_TEST], t->label[PGL_TEST],
						  t->yf[PGL_TEST], NULL,		   NULL};

		if (pgl_nn_train(&c->env, t->net, &tr, &va, &t->res, &st) != PGL_OK)
			pgl_report(&st, psprintf("training \"%s\" failed", c->name));
	}
	INSTR_TIME_SET_CURRENT(t->fit_time);
	INSTR_TIME_SUBTRACT(t->fit_time, fit_start);
	if (pgl_nn_to_model(&c->env, t->net, t->config, t->mu, t->sd, &t->res, m, &st) != PGL_OK)
		pgl_report(&st, "saving the network failed");
	if (t->o.autoencoder)
		ae_threshold(c, t);
	if (t->classification)
		pgl_classes_finish(&c->opts, &c->env, m);
	/* pruned layers stored sparse, where that is smaller than dense */
	if (pgl_nn_store_sparse(&c->env, t->net, m,
							t->o.storage == PGL_STORE_I8_ROW ? 1
							: t->o.storage == PGL_STORE_F16	 ? 2
															 : 4,
							&st) != PGL_OK)
		pgl_report(&st, "saving the network failed");

	/*
	 * Quantized storage: encode the weights now and evaluate the network
	 * with the values the stored model will have.  int8 gets one scale per
	 * PGL_NN_PARAM_BLOCK parameters: "nn_params" in rows of that many.
	 */
	if (t->o.storage != PGL_STORE_NATIVE)
	{
		if (t->o.storage == PGL_STORE_I8_ROW &&
			pgl_nn_block_params(&c->env, m, PGL_NN_PARAM_BLOCK, &st) != PGL_OK)
			pgl_report(&st, "saving the network failed");
		pgl_apply_storage(&c->env, m, t->o.storage);
		if (pgl_nn_load_params(t->net, m, &st) != PGL_OK)
			pgl_report(&st, "saving the network failed");
	}
}

/* an autoencoder's part: rows above the threshold, the mean error */
static void
ae_metrics(StringInfo buf, const pgl_model *m, int64 n, const double *score)
{
	double thr = *(const double *) pgl_model_tensor(m, "anomaly_threshold")->data, sum = 0;
	int64  flagged = 0;

	for (int64 i = 0; i < n; i++)
	{
		flagged += score[i] > thr;
		sum += score[i];
	}
	appendStringInfo(buf,
					 "{\"n\": " INT64_FORMAT ", \"anomalies\": " INT64_FORMAT
					 ", \"anomaly_rate\": %.10g, \"mean_score\": %.10g, \"threshold\": %.10g}",
					 n, flagged, (double) flagged / n, sum / n, thr);
}

static void
nn_metrics(PglTrainCall *c, StringInfo buf)
{
	NnTrain	  *t = c->state;
	pgl_model *m = c->m;
	pgl_status st;
	double	   secs = INSTR_TIME_GET_DOUBLE(t->fit_time);
	char	   arch[1024];

	memset(&st, 0, sizeof(st));
	appendStringInfoChar(buf, '{');
	for (int part = 0; part < 2; part++)
	{
		int64	rows = t->n[part];
		double *pred;

		if (rows == 0)
			continue;
		pred = palloc_extended(sizeof(double) * rows * (t->classification ? m->n_classes : 1),
							   MCXT_ALLOC_HUGE);
		if (pgl_nn_predict_rows(&c->env, t->net, m, t->X[part], rows, pred, &st) != PGL_OK)
			pgl_report(&st, "evaluating the model failed");
		appendStringInfo(buf, "%s\"%s\": ", part ? ", " : "", part == 0 ? "train" : "test");
		if (t->o.autoencoder)
			ae_metrics(buf, m, rows, pred);
		else
			pgl_metrics_json(buf, m, rows, t->yd[part], t->label[part], pred);
		if (part == PGL_TRAIN && t->o.teacher)
		{
			appendStringInfoString(buf, ", \"teacher\": ");
			pgl_teacher_metrics(buf, t->o.teacher, m, rows, pred, t->o.spec.temperature,
								t->o.spec.distill_weight);
		}
		pfree(pred);
	}
	appendStringInfo(buf, ", \"rows_train\": " INT64_FORMAT ", \"rows_test\": " INT64_FORMAT,
					 t->n[0], t->n[1]);
	if (t->n_skipped > 0)
		appendStringInfo(buf, ", \"rows_skipped_null_target\": " INT64_FORMAT, t->n_skipped);
	if (t->n_unknown > 0)
		appendStringInfo(buf, ", \"rows_test_unknown_class\": " INT64_FORMAT, t->n_unknown);
	pgl_nn_describe(t->net, arch, sizeof(arch));
	if (t->o.variational)
		appendStringInfo(buf, ", \"latent\": %d, \"beta\": %.10g", (int) pgl_nn_latent_size(m),
						 t->o.spec.vae_beta);
	appendStringInfo(buf,
					 ", \"epochs\": %d, \"best_epoch\": %d, \"loss\": %.10g, "
					 "\"parameters\": " INT64_FORMAT
					 ", \"network\": \"%s\", \"fit_seconds\": %.4f, \"gflop\": %.4f, "
					 "\"gflop_per_second\": %.3f",
					 t->res.epochs_run, t->res.best_epoch, t->res.loss, pgl_nn_param_count(t->net),
					 arch, secs, t->res.flops / 1e9, secs > 0 ? t->res.flops / 1e9 / secs : 0.0);
	if (t->o.spec.prune_sparsity > 0)
	{
		const pgl_tensor *sp = pgl_model_tensor(m, "nn_sparse");
		int64			  zeros, weights;

		pgl_nn_weight_zeros(t->net, &zeros, &weights);
		appendStringInfo(buf,
						 ", \"pruning\": {\"sparsity\": %.6g, \"weights\": " INT64_FORMAT
						 ", \"nonzero\": " INT64_FORMAT ", \"sparse_layers\": %d}",
						 weights > 0 ? (double) zeros / (double) weights : 0.0, weights,
						 weights - zeros, sp ? (int) sp->dims[0] : 0);
	}
	appendStringInfoChar(buf, '}');
	c->rows_used = t->n[0] + t->n[1] + t->n_unknown;
}

const PglTrainGlue pgl_glue_neural_net = {
	.check = nn_check,
	.read = nn_read,
	.preprocess = nn_preprocess,
	.fit = nn_fit,
	.metrics = nn_metrics,
};
