/*-------------------------------------------------------------------------
 *
 * options.c
 *	  Parse and validate the options jsonb of ai_train.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/numeric.h"

#define VALID_KEYS "test_size, seed, l2, max_iter, tol, exclude, nulls, deploy"

static void
option_error(const char *key, const char *expected, const char *got)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("option \"%s\" must be %s, not %s", key, expected, got),
					errhint("Valid options are: " VALID_KEYS ".")));
}

static const char *
jbv_describe(JsonbValue *v)
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
			return "an array or object";
		default:
			return "an unexpected value";
	}
}

static double
get_number(const char *key, JsonbValue *v, const char *expected)
{
	if (v->type != jbvNumeric)
		option_error(key, expected, jbv_describe(v));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static void
parse_exclude(JsonbValue *v, PglTrainOptions *opts)
{
	JsonbIterator	  *it;
	JsonbValue		   elem;
	JsonbIteratorToken tok;

	if (v->type == jbvString)
	{
		opts->exclude = lappend(opts->exclude, pnstrdup(v->val.string.val, v->val.string.len));
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		option_error("exclude", "an array of column names", jbv_describe(v));

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			option_error("exclude", "an array of column names",
						 psprintf("an array holding %s", jbv_describe(&elem)));
		opts->exclude = lappend(opts->exclude, pnstrdup(elem.val.string.val, elem.val.string.len));
	}
}

void
pgl_parse_train_options(Jsonb *options, PglTrainOptions *opts)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;
	char			  *key = NULL;

	opts->test_size = -1;
	opts->seed = 42;
	opts->l2 = -1;
	opts->max_iter = 200;
	opts->tol = 1e-6;
	opts->exclude = NIL;
	opts->nulls_error = false;
	opts->deploy = true;

	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("options must be a JSON object"),
				 errhint("Pass for example '{\"l2\": 0.1, \"test_size\": 0.2}'. Valid options "
						 "are: " VALID_KEYS ".")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		if (strcmp(key, "test_size") == 0)
		{
			double t = get_number(key, &v, "a number in [0, 1)");

			if (!(t >= 0 && t < 1))
				option_error(key, "a number in [0, 1)", jbv_describe(&v));
			opts->test_size = t;
		}
		else if (strcmp(key, "seed") == 0)
		{
			double s = get_number(key, &v, "a non-negative integer");

			if (!(s >= 0 && s <= 9007199254740992.0 && s == floor(s)))
				option_error(key, "a non-negative integer", jbv_describe(&v));
			opts->seed = (uint64) s;
		}
		else if (strcmp(key, "l2") == 0)
		{
			double l2 = get_number(key, &v, "a number >= 0");

			if (!(l2 >= 0 && isfinite(l2)))
				option_error(key, "a number >= 0", jbv_describe(&v));
			opts->l2 = l2;
		}
		else if (strcmp(key, "max_iter") == 0)
		{
			double m = get_number(key, &v, "an integer between 1 and 1000000");

			if (!(m >= 1 && m <= 1000000 && m == floor(m)))
				option_error(key, "an integer between 1 and 1000000", jbv_describe(&v));
			opts->max_iter = (int) m;
		}
		else if (strcmp(key, "tol") == 0)
		{
			double t = get_number(key, &v, "a number > 0");

			if (!(t > 0 && isfinite(t)))
				option_error(key, "a number > 0", jbv_describe(&v));
			opts->tol = t;
		}
		else if (strcmp(key, "exclude") == 0)
			parse_exclude(&v, opts);
		else if (strcmp(key, "nulls") == 0)
		{
			if (v.type == jbvString && v.val.string.len == 6 &&
				strncmp(v.val.string.val, "impute", 6) == 0)
				opts->nulls_error = false;
			else if (v.type == jbvString && v.val.string.len == 5 &&
					 strncmp(v.val.string.val, "error", 5) == 0)
				opts->nulls_error = true;
			else
				option_error(key, "\"impute\" or \"error\"", jbv_describe(&v));
		}
		else if (strcmp(key, "deploy") == 0)
		{
			if (v.type != jbvBool)
				option_error(key, "true or false", jbv_describe(&v));
			opts->deploy = v.val.boolean;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown option \"%s\"", key),
					 errhint("Valid options are: " VALID_KEYS ".")));
	}
}
