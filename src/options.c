/*-------------------------------------------------------------------------
 *
 * options.c
 *	  The one reader of ai_train's options jsonb, driven by the option
 *	  schema of the algorithm (pgl_algo_ops.options, src/algo/schema.c).
 *
 * ai_train, ai_train_async, ai_schedule and the aggregate method all read
 * options here: an unknown key or a bad value is the same error everywhere,
 * with a hint listing the keys of that algorithm.  ai_algorithm_options()
 * lists the schema in SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "options.h"

#include <math.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "algorithms.h"
#include "search.h"

PG_FUNCTION_INFO_V1(ai_algorithm_options);

/* "a, b, c" of the keys of an algorithm */
const char *
pgl_option_keys(const pgl_algo_ops *ops)
{
	StringInfoData s;

	initStringInfo(&s);
	for (const pgl_option_spec *o = ops->options; o && o->key; o++)
		appendStringInfo(&s, "%s%s", s.len ? ", " : "", o->key);
	return s.data;
}

/* "\"a\", \"b\" or \"c\"" of "a|b|c" */
static char *
choice_text(const char *choices)
{
	StringInfoData s;
	char		  *copy = pstrdup(choices);
	char		  *save = NULL;
	int			   n = 0, total = 1;

	for (const char *c = choices; *c; c++)
		total += *c == '|';
	initStringInfo(&s);
	for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save), n++)
		appendStringInfo(&s, "%s\"%s\"", n == 0 ? "" : n == total - 1 ? " or " : ", ", w);
	return s.data;
}

/* what a value of the option must be, for messages and ai_algorithm_options */
char *
pgl_option_type_text(const pgl_option_spec *o)
{
	const char *lb = (o->flags & PGL_OPT_LO_OPEN) ? "(" : "[";
	const char *hb = (o->flags & PGL_OPT_HI_OPEN) ? ")" : "]";

	switch (o->type)
	{
		case PGL_OPT_NUMBER:
			if (o->flags & PGL_OPT_NONZERO)
				return "a finite non-zero number";
			if (o->hi >= 1e308)
				return psprintf("a number %s %g%s",
								(o->flags & PGL_OPT_LO_OPEN) ? ">" : ">=", o->lo,
								(o->flags & PGL_OPT_AUTO) ? " or \"auto\"" : "");
			return psprintf("a number in %s%g, %g%s%s", lb, o->lo, o->hi, hb,
							(o->flags & PGL_OPT_AUTO) ? " or \"auto\"" : "");
		case PGL_OPT_INTEGER:
			if (o->hi >= 9e15)
				return o->lo == 0 ? "a non-negative integer"
								  : psprintf("an integer >= %.0f", o->lo);
			return psprintf("an integer between %.0f and %.0f", o->lo, o->hi);
		case PGL_OPT_BOOLEAN:
			return "true or false";
		case PGL_OPT_CHOICE:
			return choice_text(o->choices);
		case PGL_OPT_COLUMN:
			return "a column name";
		case PGL_OPT_COLUMNS:
			return "an array of column names";
		case PGL_OPT_METRIC:
			return psprintf("a metric: %s", choice_text(o->choices));
		case PGL_OPT_DEPLOY:
			return "true, false or \"if_better\"";
		case PGL_OPT_LABEL:
			return "a class label (a string, number or boolean)";
		default:
			return (char *) o->choices;
	}
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
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "an unexpected value";
	}
}

static void
pg_attribute_noreturn() option_error_got(const pgl_algo_ops *ops, const char *key,
										 const char *expected, const char *got)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("option \"%s\" must be %s, not %s", key, expected, got),
					errhint("Valid options of %s are: %s.", ops->name, pgl_option_keys(ops))));
	pg_unreachable();
}

/* the error of a bad value; never returns */
void
pgl_option_error(const pgl_algo_ops *ops, const char *key, const char *expected, JsonbValue *v)
{
	option_error_got(ops, key, expected, jbv_describe(v));
}

static void
bad_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	pgl_option_error(ops, o->key, pgl_option_type_text(o), v);
}

static double
number_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	double d;

	if ((o->flags & PGL_OPT_AUTO) && v->type == jbvString && v->val.string.len == 4 &&
		strncmp(v->val.string.val, "auto", 4) == 0)
		return PGL_OPT_AUTO_VALUE;
	if (v->type != jbvNumeric)
		bad_value(ops, o, v);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d) || d < o->lo || d > o->hi || ((o->flags & PGL_OPT_LO_OPEN) && d == o->lo) ||
		((o->flags & PGL_OPT_HI_OPEN) && d == o->hi) || ((o->flags & PGL_OPT_NONZERO) && d == 0) ||
		(o->type == PGL_OPT_INTEGER && d != floor(d)))
		bad_value(ops, o, v);
	return d;
}

static char *
string_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	if (v->type != jbvString || v->val.string.len == 0)
		bad_value(ops, o, v);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* "ndcg@k" in a list matches "ndcg@" and a positive integer */
static bool
word_matches(const char *pattern, const char *s)
{
	size_t n = strlen(pattern);

	if (n > 2 && strcmp(pattern + n - 2, "@k") == 0)
	{
		const char *d = s + n - 1;

		if (strncmp(pattern, s, n - 1) != 0 || *d < '1' || *d > '9')
			return false;
		while (*d >= '0' && *d <= '9')
			d++;
		return *d == '\0';
	}
	return strcmp(pattern, s) == 0;
}

/* the index of s among the words of choices, or -1 */
int
pgl_choice_index(const char *choices, const char *s)
{
	char *copy = pstrdup(choices);
	char *save = NULL;
	int	  i = 0;

	for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save), i++)
		if (word_matches(w, s))
			return i;
	return -1;
}

static int
choice_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	int i;

	if (v->type != jbvString)
		bad_value(ops, o, v);
	i = pgl_choice_index(o->choices, pnstrdup(v->val.string.val, v->val.string.len));
	if (i < 0)
		bad_value(ops, o, v);
	return i;
}

static List *
columns_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	JsonbIterator	  *it;
	JsonbValue		   elem;
	JsonbIteratorToken tok;
	List			  *out = NIL;

	if (v->type == jbvString)
		return list_make1(pnstrdup(v->val.string.val, v->val.string.len));
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		bad_value(ops, o, v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			option_error_got(ops, o->key, pgl_option_type_text(o),
							 psprintf("an array holding %s", jbv_describe(&elem)));
		out = lappend(out, pnstrdup(elem.val.string.val, elem.val.string.len));
	}
	return out;
}

/*
 * A class label as the model keeps it: the text of a string, "true" or
 * "false", or a number as numeric_out writes it (integers without ".0").
 */
static char *
label_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNumeric:
		{
			double d = DatumGetFloat8(
				DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));

			if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
				return psprintf("%.0f", d);
			return DatumGetCString(
				DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		}
		default:
			return NULL;
	}
}

/* "class_weight": "balanced", or {"label": weight > 0, ...} */
static void
class_weight_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v,
				   PglTrainOptions *opts)
{
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	char			  *key = NULL;
	int				   n = 0, cap;

	if (v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "balanced", 8) == 0)
	{
		opts->class_weight_balanced = true;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		bad_value(ops, o, v);
	cap = JsonContainerSize(v->val.binary.data) + 1;
	opts->class_weight_labels = palloc(sizeof(char *) * cap);
	opts->class_weight_values = palloc(sizeof(double) * cap);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		double w;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(e.val.string.val, e.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		w = e.type == jbvNumeric ? DatumGetFloat8(DirectFunctionCall1(
									   numeric_float8, NumericGetDatum(e.val.numeric)))
								 : NAN;
		if (!(isfinite(w) && w > 0))
			option_error_got(ops, o->key, pgl_option_type_text(o),
							 psprintf("%s for class \"%s\"", jbv_describe(&e), key));
		opts->class_weight_labels[n] = key;
		opts->class_weight_values[n++] = w;
	}
	opts->n_class_weights = n;
}

static void
deploy_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v,
			 PglTrainOptions *opts)
{
	if (v->type == jbvBool)
	{
		opts->deploy = v->val.boolean;
		opts->deploy_if_better = false;
	}
	else if (v->type == jbvString && v->val.string.len == 9 &&
			 strncmp(v->val.string.val, "if_better", 9) == 0)
	{
		opts->deploy = false; /* stored undeployed, then compared (store.c) */
		opts->deploy_if_better = true;
	}
	else
		bad_value(ops, o, v);
}

/* store the value of o into opts (the slots of numbers and words) */
static void
set_number_slot(PglTrainOptions *opts, int slot, double d)
{
	switch (slot)
	{
		case PGL_SLOT_TEST_SIZE:
			opts->test_size = d;
			break;
		case PGL_SLOT_SEED:
			opts->seed = (uint64) d;
			break;
		case PGL_SLOT_L2:
			opts->l2 = d;
			break;
		case PGL_SLOT_MAX_ITER:
			opts->max_iter = (int) d;
			break;
		case PGL_SLOT_TOL:
			opts->tol = d;
			break;
		case PGL_SLOT_KEEP_VERSIONS:
			opts->keep_versions = (int) d;
			break;
		case PGL_SLOT_K:
			opts->k = (int) d;
			break;
		case PGL_SLOT_FACTORS:
			opts->factors = (int) d;
			break;
		case PGL_SLOT_ALPHA:
			opts->alpha = d;
			break;
		case PGL_SLOT_CG_STEPS:
			opts->cg_steps = (int) d;
			break;
		case PGL_SLOT_SCALE:
			opts->scale = d;
			break;
		case PGL_SLOT_LEARNING_RATE:
			opts->learning_rate = d;
			break;
		case PGL_SLOT_MOMENTUM:
			opts->momentum = d;
			break;
		case PGL_SLOT_BATCH_SIZE:
			opts->batch_size = (int) d;
			break;
		case PGL_SLOT_EPOCHS:
			opts->epochs = (int) d;
			break;
		case PGL_SLOT_PATIENCE:
			opts->patience = (int) d;
			break;
		case PGL_SLOT_THRESHOLD:
			opts->threshold = d;
			break;
		case PGL_SLOT_N_ESTIMATORS:
			opts->n_estimators = (int) d;
			break;
		case PGL_SLOT_MAX_DEPTH:
			opts->max_depth = (int) d;
			break;
		case PGL_SLOT_MAX_BIN:
			opts->max_bin = (int) d;
			break;
		case PGL_SLOT_EARLY_STOPPING:
			opts->early_stopping_rounds = (int) d;
			break;
		case PGL_SLOT_SUBSAMPLE:
			opts->subsample = d;
			break;
		case PGL_SLOT_COLSAMPLE_BYTREE:
			opts->colsample_bytree = d;
			break;
		case PGL_SLOT_COLSAMPLE_BYNODE:
			opts->colsample_bynode = d;
			break;
		case PGL_SLOT_MIN_CHILD_WEIGHT:
			opts->min_child_weight = d;
			break;
		case PGL_SLOT_L1:
			opts->l1 = d;
			break;
		case PGL_SLOT_BIAS_L2:
			opts->bias_l2 = d;
			break;
		case PGL_SLOT_MIN_DF:
			opts->min_df = d;
			break;
		case PGL_SLOT_MAX_FEATURES:
			opts->max_features = (int) d;
			break;
		case PGL_SLOT_TEMPERATURE:
			opts->temperature = d;
			break;
		case PGL_SLOT_DISTILL_WEIGHT:
			opts->distill_weight = d;
			break;
		case PGL_SLOT_VOCAB_SIZE:
			opts->vocab_size = (int) d;
			break;
		case PGL_SLOT_MAX_LEN:
			opts->max_len = (int) d;
			break;
		case PGL_SLOT_CONTAMINATION:
			opts->contamination = d;
			break;
		case PGL_SLOT_HORIZON:
			opts->horizon = (int) d;
			break;
		case PGL_SLOT_SEASON:
			opts->season = d == PGL_OPT_AUTO_VALUE ? 0 : (int) d;
			break;
		case PGL_SLOT_LEVEL:
			opts->level = d;
			break;
		case PGL_SLOT_BETA:
			opts->beta = d;
			break;
		default:
			elog(ERROR, "pg_learn: option slot %d is not a number", slot);
	}
}

static void
set_choice_slot(PglTrainOptions *opts, int slot, int i)
{
	static const int storage[] = {PGL_STORE_NATIVE, PGL_STORE_F32, PGL_STORE_F16, PGL_STORE_I8_ROW};

	switch (slot)
	{
		case PGL_SLOT_NULLS:
			opts->nulls_error = i == 1;
			break;
		case PGL_SLOT_METHOD:
			opts->method = i;
			break;
		case PGL_SLOT_STORAGE:
			opts->storage = storage[i];
			break;
		case PGL_SLOT_FEEDBACK:
			opts->implicit = i == 1;
			break;
		case PGL_SLOT_DUPLICATES:
			opts->duplicates_sum = i == 1;
			break;
		case PGL_SLOT_COLD_START:
			opts->cold_start_error = i == 1;
			break;
		case PGL_SLOT_OPTIMIZER:
			opts->optimizer = i;
			break;
		case PGL_SLOT_INIT:
			opts->init = i;
			break;
		case PGL_SLOT_OBJECTIVE:
			opts->objective = i;
			break;
		case PGL_SLOT_TOKENIZER:
			opts->tokenizer = i == 0 ? PGL_TOKENIZER_BPE : PGL_TOKENIZER_WORD;
			break;
		case PGL_SLOT_MISSING:
			opts->missing_error = i == 1;
			break;
		case PGL_SLOT_NN_TASK:
			opts->nn_task = i;
			break;
		default:
			elog(ERROR, "pg_learn: option slot %d is not a choice", slot);
	}
}

static void
read_one(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v, PglTrainOptions *opts)
{
	switch (o->type)
	{
		case PGL_OPT_NUMBER:
		case PGL_OPT_INTEGER:
			set_number_slot(opts, o->slot, number_value(ops, o, v));
			break;
		case PGL_OPT_CHOICE:
			set_choice_slot(opts, o->slot, choice_value(ops, o, v));
			break;
		case PGL_OPT_BOOLEAN:
			if (v->type != jbvBool)
				bad_value(ops, o, v);
			if (o->slot == PGL_SLOT_BUCKETS)
				opts->no_buckets = !v->val.boolean;
			else if (o->slot == PGL_SLOT_VARIATIONAL)
				opts->variational = v->val.boolean;
			break;
		case PGL_OPT_COLUMN:
		{
			char *s = string_value(ops, o, v);

			if (o->slot == PGL_SLOT_USER_COL)
				opts->user_col = s;
			else if (o->slot == PGL_SLOT_ITEM_COL)
				opts->item_col = s;
			else if (o->slot == PGL_SLOT_TIME_COL)
				opts->time_col = s;
			else if (o->slot == PGL_SLOT_SERIES_COL)
				opts->series_col = s;
			else
				opts->rating_col = s;
			break;
		}
		case PGL_OPT_COLUMNS:
			if (o->slot == PGL_SLOT_TEXT)
				opts->text = list_concat(opts->text, columns_value(ops, o, v));
			else
				opts->exclude = list_concat(opts->exclude, columns_value(ops, o, v));
			break;
		case PGL_OPT_METRIC:
			if (v->type != jbvString ||
				pgl_choice_index(o->choices, pnstrdup(v->val.string.val, v->val.string.len)) < 0)
				bad_value(ops, o, v);
			opts->metric = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		case PGL_OPT_DEPLOY:
			deploy_value(ops, o, v, opts);
			break;
		case PGL_OPT_LABEL:
			if ((opts->positive_class = label_text(v)) == NULL)
				bad_value(ops, o, v);
			break;
		case PGL_OPT_CLASS_WEIGHT:
			class_weight_value(ops, o, v, opts);
			break;
		case PGL_OPT_MODEL: /* "teacher" */
			opts->teacher = string_value(ops, o, v);
			break;
		case PGL_OPT_JSON:
		{
			/* kept for the family's parser; points into the options */
			JsonbValue *copy = palloc(sizeof(JsonbValue));

			*copy = *v;
			if (o->slot == PGL_SLOT_SEARCH)
				opts->search = pgl_search_parse(ops, copy);
			else if (o->slot == PGL_SLOT_LAYERS)
				opts->layers = copy;
			else if (o->slot == PGL_SLOT_PRUNE)
				opts->prune = copy;
			else
				opts->input_shape = copy;
			break;
		}
	}
}

void
pgl_option_check_value(const pgl_algo_ops *ops, const pgl_option_spec *o, JsonbValue *v)
{
	PglTrainOptions scratch;

	memset(&scratch, 0, sizeof(scratch));
	scratch.ops = ops;
	read_one(ops, o, v, &scratch);
}

/* the defaults: "not given" for those that depend on the data or other options */
static void
set_defaults(const pgl_algo_ops *ops, PglTrainOptions *opts)
{
	const pgl_option_spec *tol = pgl_algo_option(ops, "tol");

	memset(opts, 0, sizeof(*opts));
	opts->ops = ops;
	opts->test_size = -1;
	opts->seed = 42;
	opts->l2 = -1;
	opts->max_iter = -1;
	opts->tol = tol ? strtod(tol->default_value, NULL) : 1e-6;
	opts->deploy = true;
	opts->alpha = -1;
	opts->scale = 1.0;
	opts->optimizer = -1;
	opts->init = -1;
	opts->learning_rate = -1;
	opts->momentum = -1;
	opts->threshold = -1;
	opts->n_estimators = -1;
	opts->max_depth = -1;
	opts->max_bin = -1;
	opts->subsample = -1;
	opts->colsample_bytree = -1;
	opts->colsample_bynode = -1;
	opts->min_child_weight = -1;
	opts->l1 = -1;
	opts->bias_l2 = -1;
	opts->early_stopping_rounds = -1;
	opts->max_features = -1;
	opts->temperature = -1;
	opts->distill_weight = -1;
	opts->contamination = -1;
	opts->beta = -1;
}

/*
 * Read options (NULL: none) as the schema of ops says, into opts.  Every
 * key must be one of the algorithm's; each value is checked.
 */
void
pgl_parse_options(const pgl_algo_ops *ops, Jsonb *options, PglTrainOptions *opts)
{
	JsonbIterator		  *it;
	JsonbValue			   v;
	JsonbIteratorToken	   tok;
	const pgl_option_spec *o = NULL;

	set_defaults(ops, opts);
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("options must be a JSON object"),
				 errhint("Pass for example '{\"seed\": 7}'. Valid options of %s are: %s.",
						 ops->name, pgl_option_keys(ops))));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char *key = pnstrdup(v.val.string.val, v.val.string.len);

			o = pgl_algo_option(ops, key);
			if (o == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown option \"%s\"", key),
						 errhint("Valid options of %s are: %s.", ops->name, pgl_option_keys(ops))));
		}
		else if (tok == WJB_VALUE)
			read_one(ops, o, &v, opts);
	}
}

/* ---------- ai_algorithm_options(algorithm) ---------- */

Datum
ai_algorithm_options(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char		  *only = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (only && pgl_algo_by_name(only) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown algorithm \"%s\"", only),
				 errhint("Valid algorithms are: %s.", pgl_algo_names())));
	InitMaterializedSRF(fcinfo, 0);
	for (int id = 1; id <= PGL_ALGO_MAX; id++)
	{
		const pgl_algo_ops *ops = pgl_algo_by_id(id);

		if (ops == NULL || (only && strcmp(only, ops->name) != 0))
			continue;
		for (const pgl_option_spec *o = ops->options; o && o->key; o++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};
			const char *ex = o->example;

			/* "metric": the family's default metric makes the example */
			if (ex == NULL)
				ex = psprintf("\"%s\"", o->default_value);
			values[0] = CStringGetTextDatum(ops->name);
			values[1] = CStringGetTextDatum(o->key);
			values[2] = CStringGetTextDatum(pgl_option_type_text(o));
			values[3] = CStringGetTextDatum(o->default_value);
			values[4] = CStringGetTextDatum(o->description);
			values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(ex));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
