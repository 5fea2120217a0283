/*-------------------------------------------------------------------------
 *
 * options.c
 *	  Parse and validate the options jsonb of ai_train.
 *
 * Each algorithm family accepts its own set of keys; an unknown key, or one
 * that belongs to another family, is an error that lists the valid ones.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "als.h"

#define SUPERVISED_KEYS                                                                            \
	"test_size, seed, l2, max_iter, tol, exclude, nulls, method, deploy, storage"
#define RECOMMENDER_KEYS                                                                           \
	"feedback, factors, l2, iterations, alpha, cg_steps, k, test_size, seed, user_col, "           \
	"item_col, rating_col, duplicates, cold_start, deploy, storage"
#define CLUSTERING_KEYS "k, max_iter, tol, seed, exclude, nulls, method, deploy, storage"

static const char *valid_keys;

static void
option_error(const char *key, const char *expected, const char *got)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("option \"%s\" must be %s, not %s", key, expected, got),
					valid_keys ? errhint("Valid options are: %s.", valid_keys) : 0));
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

static int
get_int(const char *key, JsonbValue *v, int lo, int hi)
{
	char  *expected = psprintf("an integer between %d and %d", lo, hi);
	double d = get_number(key, v, expected);

	if (!(d >= lo && d <= hi && d == floor(d)))
		option_error(key, expected, jbv_describe(v));
	return (int) d;
}

static char *
get_string(const char *key, JsonbValue *v, const char *expected)
{
	if (v->type != jbvString)
		option_error(key, expected, jbv_describe(v));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* one of the given words, returned as its index */
static int
get_choice(const char *key, JsonbValue *v, const char *const *choices, const char *expected)
{
	char *s = get_string(key, v, expected);

	for (int i = 0; choices[i]; i++)
		if (strcmp(s, choices[i]) == 0)
			return i;
	option_error(key, expected, jbv_describe(v));
	return -1;
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

static void
unknown_option(const char *key)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown option \"%s\"", key),
					errhint("Valid options are: %s.", valid_keys)));
}

static int storage_kind(JsonbValue *v);

/* keys every family has */
static bool
parse_common(const char *key, JsonbValue *v, PglTrainOptions *opts)
{
	if (strcmp(key, "test_size") == 0)
	{
		double t = get_number(key, v, "a number in [0, 1)");

		if (!(t >= 0 && t < 1))
			option_error(key, "a number in [0, 1)", jbv_describe(v));
		opts->test_size = t;
	}
	else if (strcmp(key, "seed") == 0)
	{
		double s = get_number(key, v, "a non-negative integer");

		if (!(s >= 0 && s <= 9007199254740992.0 && s == floor(s)))
			option_error(key, "a non-negative integer", jbv_describe(v));
		opts->seed = (uint64) s;
	}
	else if (strcmp(key, "l2") == 0)
	{
		double l2 = get_number(key, v, "a number >= 0");

		if (!(l2 >= 0 && isfinite(l2)))
			option_error(key, "a number >= 0", jbv_describe(v));
		opts->l2 = l2;
	}
	else if (strcmp(key, "deploy") == 0)
	{
		if (v->type != jbvBool)
			option_error(key, "true or false", jbv_describe(v));
		opts->deploy = v->val.boolean;
	}
	else if (strcmp(key, "storage") == 0)
		opts->storage = storage_kind(v);
	else
		return false;
	return true;
}

/*
 * "storage": how weights and factors are stored (quantize.c in the docs:
 * user-guide "Quantized storage"); the PGL_STORE_* kind of
 * pgl_model_set_storage.
 */
static int
storage_kind(JsonbValue *v)
{
	static const char *const kinds[] = {"float64", "float32", "float16", "int8", NULL};
	static const int codes[] = {PGL_STORE_NATIVE, PGL_STORE_F32, PGL_STORE_F16, PGL_STORE_I8_ROW};

	return codes[get_choice("storage", v, kinds,
							"\"float64\" (the default), \"float32\", \"float16\" or \"int8\"")];
}

int
pgl_option_storage(Jsonb *options)
{
	JsonbValue *v;

	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return PGL_STORE_NATIVE;
	/* called outside pgl_parse_options (neural_net): no key list to hint */
	valid_keys = NULL;
	v = getKeyJsonValueFromContainer(&options->root, "storage", strlen("storage"), NULL);
	return v ? storage_kind(v) : PGL_STORE_NATIVE;
}

static void
parse_supervised(const char *key, JsonbValue *v, PglTrainOptions *opts)
{
	static const char *const nulls[] = {"impute", "error", NULL};
	static const char *const methods[] = {"auto", "memory", "aggregate", NULL};

	if (parse_common(key, v, opts))
		return;
	if (strcmp(key, "max_iter") == 0)
		opts->max_iter = get_int(key, v, 1, 1000000);
	else if (strcmp(key, "tol") == 0)
	{
		double t = get_number(key, v, "a number > 0");

		if (!(t > 0 && isfinite(t)))
			option_error(key, "a number > 0", jbv_describe(v));
		opts->tol = t;
	}
	else if (strcmp(key, "exclude") == 0)
		parse_exclude(v, opts);
	else if (strcmp(key, "nulls") == 0)
		opts->nulls_error = get_choice(key, v, nulls, "\"impute\" or \"error\"") == 1;
	else if (strcmp(key, "method") == 0)
		opts->method = get_choice(key, v, methods, "\"auto\", \"memory\" or \"aggregate\"");
	else
		unknown_option(key);
}

static void
parse_recommender(const char *key, JsonbValue *v, PglTrainOptions *opts)
{
	static const char *const feedback[] = {"explicit", "implicit", NULL};
	static const char *const duplicates[] = {"last", "sum", NULL};
	static const char *const cold[] = {"popular", "error", NULL};

	if (parse_common(key, v, opts))
		return;
	if (strcmp(key, "feedback") == 0)
		opts->implicit = get_choice(key, v, feedback, "\"explicit\" or \"implicit\"") == 1;
	else if (strcmp(key, "factors") == 0)
		opts->factors = get_int(key, v, 1, PGL_ALS_MAX_FACTORS);
	else if (strcmp(key, "iterations") == 0)
		opts->max_iter = get_int(key, v, 1, 1000);
	else if (strcmp(key, "cg_steps") == 0)
		opts->cg_steps = get_int(key, v, 1, 100);
	else if (strcmp(key, "k") == 0)
		opts->k = get_int(key, v, 1, 1000);
	else if (strcmp(key, "alpha") == 0)
	{
		double a = get_number(key, v, "a number >= 0");

		if (!(a >= 0 && isfinite(a)))
			option_error(key, "a number >= 0", jbv_describe(v));
		opts->alpha = a;
	}
	else if (strcmp(key, "user_col") == 0)
		opts->user_col = get_string(key, v, "a column name");
	else if (strcmp(key, "item_col") == 0)
		opts->item_col = get_string(key, v, "a column name");
	else if (strcmp(key, "rating_col") == 0)
		opts->rating_col = get_string(key, v, "a column name");
	else if (strcmp(key, "duplicates") == 0)
		opts->duplicates_sum = get_choice(key, v, duplicates, "\"last\" or \"sum\"") == 1;
	else if (strcmp(key, "cold_start") == 0)
		opts->cold_start_error = get_choice(key, v, cold, "\"popular\" or \"error\"") == 1;
	else
		unknown_option(key);
}

/* kmeans: no target, so no hold-out and no supervised-only keys */
static void
parse_clustering(const char *key, JsonbValue *v, PglTrainOptions *opts)
{
	if (strcmp(key, "test_size") == 0)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"test_size\" is not used by kmeans"),
			 errdetail("kmeans has no target to evaluate on a hold-out: it trains on every row."),
			 errhint("Valid options are: %s.", valid_keys)));
	if (strcmp(key, "k") == 0)
		opts->k = get_int(key, v, 1, 100000);
	else if (strcmp(key, "seed") == 0 || strcmp(key, "deploy") == 0 ||
			 strcmp(key, "max_iter") == 0 || strcmp(key, "tol") == 0 ||
			 strcmp(key, "exclude") == 0 || strcmp(key, "nulls") == 0 ||
			 strcmp(key, "method") == 0 || strcmp(key, "storage") == 0)
	{
		if (strcmp(key, "tol") == 0 && v->type == jbvNumeric)
		{
			/* kmeans accepts tol = 0: run until no row changes cluster */
			double t = get_number(key, v, "a number >= 0");

			if (!(t >= 0 && isfinite(t)))
				option_error(key, "a number >= 0", jbv_describe(v));
			opts->tol = t;
		}
		else if (strcmp(key, "seed") == 0 || strcmp(key, "deploy") == 0 ||
				 strcmp(key, "storage") == 0)
			parse_common(key, v, opts);
		else
			parse_supervised(key, v, opts);
	}
	else
		unknown_option(key);
}

void
pgl_parse_train_options(Jsonb *options, int family, PglTrainOptions *opts)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;
	char			  *key = NULL;

	memset(opts, 0, sizeof(*opts));
	opts->test_size = -1;
	opts->seed = 42;
	opts->l2 = -1;
	opts->max_iter = -1;
	opts->tol = 1e-6;
	opts->deploy = true;
	opts->alpha = -1;
	valid_keys = family == PGL_OPTS_RECOMMENDER	 ? RECOMMENDER_KEYS
				 : family == PGL_OPTS_CLUSTERING ? CLUSTERING_KEYS
												 : SUPERVISED_KEYS;
	if (family == PGL_OPTS_CLUSTERING)
		opts->tol = 1e-4;

	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("options must be a JSON object"),
				 errhint("Pass for example '{\"l2\": 0.1, \"test_size\": 0.2}'. Valid options "
						 "are: %s.",
						 valid_keys)));

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
		if (family == PGL_OPTS_RECOMMENDER)
			parse_recommender(key, &v, opts);
		else if (family == PGL_OPTS_CLUSTERING)
			parse_clustering(key, &v, opts);
		else
			parse_supervised(key, &v, opts);
	}
}
