/*-------------------------------------------------------------------------
 *
 * onnx_import.c
 *	  ai_import_model(..., format => 'onnx', options => ...): an ONNX file
 *	  as a model of the onnx family (src/onnx/family.c).
 *
 * The options (jsonb) become a pgl_onnx_import_opts; the runtime loads the
 * file under limits derived from pg_learn.max_train_memory (the env's
 * max_memory, set by pgl_backend_env), the family builds the model and its
 * blob, and transfer.c stores it like any import.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "onnx_glue.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "algorithms.h"
#include "onnx/family.h"

#include <math.h>

#define ONNX_OPTIONS "task, classes, output, output_kind, columns"

/* the most classes or columns an option may list */
#define ONNX_MAX_LIST PGL_ONNX_MAX_CLASSES

static void
option_error(const char *key, const char *expected)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("ONNX import option \"%s\" must be %s", key, expected),
					errhint("The options of format 'onnx' are " ONNX_OPTIONS " (docs/onnx.md).")));
}

/* a string option, or NULL when absent */
static const char *
string_option(Jsonb *jb, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		option_error(key, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* the text of a scalar label; *kind: 1 string, 2 integer, 3 other number, 4 boolean */
static char *
label_text(const JsonbValue *v, const char *key, int *kind)
{
	switch (v->type)
	{
		case jbvString:
			*kind = 1;
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
		{
			char *s =
				DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));

			*kind = strchr(s, '.') || strchr(s, 'e') || strchr(s, 'N') ? 3 : 2;
			return s;
		}
		case jbvBool:
			*kind = 4;
			return pstrdup(v->val.boolean ? "t" : "f");
		default:
			option_error(key, "an array of labels (strings, numbers or booleans)");
			return NULL;
	}
}

/*
 * An array option of scalars as text (NULL when absent); *type the SQL type
 * the labels share ("text" when mixed).
 */
static const char **
list_option(Jsonb *jb, const char *key, int32 *n, const char **type)
{
	JsonbValue		  *v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	const char		 **out;
	int				   kinds = 0;

	*n = 0;
	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		option_error(key, "an array");
	if (JsonContainerSize(v->val.binary.data) > ONNX_MAX_LIST)
		option_error(key, "an array of at most 100000 elements");
	out = palloc0(sizeof(char *) * (JsonContainerSize(v->val.binary.data) + 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			int kind;

			out[*n] = label_text(&e, key, &kind);
			if (strlen(out[*n]) > 200)
				option_error(key, "an array of labels of at most 200 bytes");
			kinds |= 1 << kind;
			(*n)++;
		}
	if (type)
		*type = kinds == 1 << 4			   ? "boolean"
				: kinds == 1 << 2		   ? "integer"
				: (kinds & ~(3 << 2)) == 0 ? "numeric"
										   : "text";
	return out;
}

/* the options object as a pgl_onnx_import_opts */
static void
parse_options(Jsonb *jb, pgl_onnx_import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->output_kind = -1;
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb))
		option_error("options", "an object");
	{
		JsonbIterator	  *it = JsonbIteratorInit(&jb->root);
		JsonbValue		   v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY)
			{
				char *key = pnstrdup(v.val.string.val, v.val.string.len);

				if (strcmp(key, "task") && strcmp(key, "classes") && strcmp(key, "output") &&
					strcmp(key, "output_kind") && strcmp(key, "columns"))
					ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									errmsg("unknown ONNX import option \"%s\"", key),
									errhint("The options of format 'onnx' are " ONNX_OPTIONS ".")));
			}
	}
	{
		const char *task = string_option(jb, "task");
		const char *kind = string_option(jb, "output_kind");

		if (task && strcmp(task, "regression") == 0)
			o->task = PGL_TASK_REGRESSION;
		else if (task && strcmp(task, "classification") == 0)
			o->task = PGL_TASK_CLASSIFICATION;
		else if (task)
			option_error("task", "\"regression\" or \"classification\"");
		if (kind && strcmp(kind, "probabilities") == 0)
			o->output_kind = PGL_ONNX_PROBABILITIES;
		else if (kind && strcmp(kind, "logits") == 0)
			o->output_kind = PGL_ONNX_LOGITS;
		else if (kind)
			option_error("output_kind", "\"probabilities\" or \"logits\"");
	}
	o->output = string_option(jb, "output");
	o->classes = list_option(jb, "classes", &o->n_classes, &o->target_type);
	o->columns = list_option(jb, "columns", &o->n_columns, NULL);
	if (o->columns && o->n_columns == 0)
		option_error("columns", "a non-empty array of column names");
}

bytea *
pgl_import_onnx(pgl_env *env, bytea *file, Jsonb *options, pgl_model **out)
{
	pgl_onnx_import_opts o;
	pgl_status			 st;
	uint8_t				*buf;
	size_t				 len;
	bytea				*blob;

	parse_options(options, &o);
	memset(&st, 0, sizeof(st));
	if (pgl_onnx_import(env, (const uint8_t *) VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file), &o, out,
						&buf, &len, &st) != PGL_OK)
		ereport(
			ERROR,
			(errcode(st.rc == PGL_ERR_NOMEM					   ? ERRCODE_OUT_OF_MEMORY
					 : strncmp(st.msg, "unsupported", 11) == 0 ? ERRCODE_FEATURE_NOT_SUPPORTED
															   : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the ONNX model cannot be imported: %s", st.msg),
			 st.detail[0] ? errdetail("%s", st.detail) : 0, o.hint[0] ? errhint("%s", o.hint) : 0));
	blob = palloc(VARHDRSZ + len);
	SET_VARSIZE(blob, VARHDRSZ + len);
	memcpy(VARDATA(blob), buf, len);
	return blob;
}
