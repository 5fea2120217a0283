/*-------------------------------------------------------------------------
 *
 * nn_attn_glue.c
 *	  The attention layers in ai_train's "layers" option of neural_net:
 *	  their names and parameters (nn_train.c calls these while parsing).
 *
 *	{"multi_head_attention": {"heads": 4, "key_dim": 16}}
 *	{"layer_norm": {}}
 *	{"positional_embedding": {"kind": "learned", "max_len": 128}}
 *	{"transformer_encoder": {"heads": 4, "ff_units": 128, "key_dim": 16}}
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "nn_attn.h"
#include "nn_attn_glue.h"

static const char *
attn_valid_keys(int32 type)
{
	switch (type)
	{
		case PGL_NN_MULTI_HEAD_ATTENTION:
			return "heads, key_dim";
		case PGL_NN_TRANSFORMER_ENCODER:
			return "heads, ff_units, key_dim";
		case PGL_NN_POSITIONAL_EMBEDDING:
			return "kind (\"learned\" or \"sinusoidal\"), max_len";
		default:
			return "none";
	}
}

static void
pg_attribute_noreturn() attn_error(int i, const char *type, const char *msg, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("layer %d (%s): %s", i + 1, type, msg), hint ? errhint("%s", hint) : 0));
}

static const char *
value_text(JsonbValue *v)
{
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvString)
		return psprintf("\"%s\"", pnstrdup(v->val.string.val, v->val.string.len));
	return v->type == jbvNull ? "null" : v->type == jbvBool ? "a boolean" : "an array or object";
}

static int32
attn_int(int i, const char *type, const char *key, JsonbValue *v, int lo, int hi)
{
	double d = -1;

	if (v->type == jbvNumeric)
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (v->type != jbvNumeric || !(d >= lo && d <= hi && d == floor(d)))
		attn_error(i, type,
				   psprintf("\"%s\" must be an integer between %d and %d, not %s", key, lo, hi,
							value_text(v)),
				   NULL);
	return (int32) d;
}

bool
pgl_nn_attn_layer_type(const char *name, int32 *type)
{
	static const struct
	{
		const char *name;
		int32		type;
	} names[] = {{"multi_head_attention", PGL_NN_MULTI_HEAD_ATTENTION},
				 {"attention", PGL_NN_MULTI_HEAD_ATTENTION},
				 {"layer_norm", PGL_NN_LAYER_NORM},
				 {"layer_normalization", PGL_NN_LAYER_NORM},
				 {"positional_embedding", PGL_NN_POSITIONAL_EMBEDDING},
				 {"transformer_encoder", PGL_NN_TRANSFORMER_ENCODER}};

	for (size_t k = 0; k < lengthof(names); k++)
		if (strcmp(name, names[k].name) == 0)
		{
			*type = names[k].type;
			return true;
		}
	return false;
}

void
pgl_nn_attn_layer_param(int i, const char *type, const char *key, JsonbValue *v,
						pgl_nn_layer_spec *l)
{
	bool heads = l->type == PGL_NN_MULTI_HEAD_ATTENTION || l->type == PGL_NN_TRANSFORMER_ENCODER;

	if (strcmp(key, "heads") == 0 && heads)
		l->heads = attn_int(i, type, key, v, 1, 256);
	else if (strcmp(key, "key_dim") == 0 && heads)
		l->key_dim = attn_int(i, type, key, v, 1, 65536);
	else if ((strcmp(key, "ff_units") == 0 || strcmp(key, "dim_feedforward") == 0) &&
			 l->type == PGL_NN_TRANSFORMER_ENCODER)
		l->ff_units = attn_int(i, type, key, v, 1, 65536);
	else if (strcmp(key, "max_len") == 0 && l->type == PGL_NN_POSITIONAL_EMBEDDING)
		l->max_len = attn_int(i, type, key, v, 1, 65536);
	else if (strcmp(key, "kind") == 0 && l->type == PGL_NN_POSITIONAL_EMBEDDING)
	{
		char *k = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : "";

		if (strcmp(k, "learned") == 0)
			l->pos_kind = PGL_NN_POS_LEARNED;
		else if (strcmp(k, "sinusoidal") == 0)
			l->pos_kind = PGL_NN_POS_SINUSOIDAL;
		else
			attn_error(
				i, type,
				psprintf("\"kind\" must be \"learned\" or \"sinusoidal\", not %s", value_text(v)),
				NULL);
	}
	else
		attn_error(i, type, psprintf("unknown parameter \"%s\"", key),
				   psprintf("Parameters of %s are: %s.", type, attn_valid_keys(l->type)));
}

void
pgl_nn_attn_layer_done(int i, const char *type, const pgl_nn_layer_spec *l)
{
	if ((l->type == PGL_NN_MULTI_HEAD_ATTENTION || l->type == PGL_NN_TRANSFORMER_ENCODER) &&
		l->heads == 0)
		attn_error(i, type, "\"heads\" is missing",
				   "For example {\"transformer_encoder\": {\"heads\": 4, \"ff_units\": 128}}.");
	if (l->type == PGL_NN_TRANSFORMER_ENCODER && l->ff_units == 0)
		attn_error(i, type, "\"ff_units\" is missing",
				   "The width of the feed-forward part, for example 4 times the features.");
	if (l->type == PGL_NN_POSITIONAL_EMBEDDING && l->pos_kind == PGL_NN_POS_SINUSOIDAL &&
		l->max_len != 0)
		attn_error(i, type, "\"max_len\" applies to \"kind\": \"learned\" only", NULL);
}
