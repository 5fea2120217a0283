/*-------------------------------------------------------------------------
 *
 * search.c
 *	  "search" in ai_train, and ai_cross_validate.
 *
 * A search tries settings of some options ("params") and trains the best.
 * Each trial is a dry run of the one pipeline (pgl_train_dry_run: nothing
 * stored) on the training rows only: its data is
 *
 *	SELECT * FROM (data) q WHERE NOT ai_holdout(q, seed, test_size)
 *
 * which are the rows the reader of the final training keeps for training
 * (the rows and neural_net readers split by that same hash), and its own
 * hold-out, drawn with a seed derived from "seed", is its validation split.
 * With "folds": K, each setting runs K trials whose validation splits are
 * the K disjoint folds of pgl_hash_in_fold, and scores their mean.  A trial
 * runs in a subtransaction: an ERROR in it (a divergence, a bad
 * combination) is recorded and the trial skipped; a cancel is not.  The
 * best setting is then trained on the whole training split through the
 * normal pipeline (train.c), and metrics->'search' lists every trial.
 *
 * ai_cross_validate runs the same dry run once per fold of the whole data.
 *
 * als holds ratings out per user by their position, not by ai_holdout: its
 * trials read the whole data with the training's own "seed" and
 * "test_size", and its glue (recommend_train.c) sets that hold-out aside
 * and carves the validation split (or fold) per user out of the rest; a
 * fold of ai_cross_validate passes "test_size": 0.  Its "auto" options not
 * searched are pinned (pgl_rec_search_pins), and it scores by rmse or
 * ndcg@k by feedback (pgl_rec_search_metric).
 *
 *-------------------------------------------------------------------------
 */
#include "search.h"
#include "train_glue.h"
#include "options.h"
#include "catalog.h"
#include "data_reader.h"
#include "progress.h"
#include "recommend.h"

#include <math.h>

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"

#include "algorithms.h"
#include "prep.h"

PG_FUNCTION_INFO_V1(ai_cross_validate);

/* options a search cannot vary: they define the split, the search or the storing */
static const char *const unsearchable[] = {"search",		"seed",	  "test_size", "deploy",
										   "keep_versions", "metric", NULL};

static void
pg_attribute_noreturn() search_error(const pgl_algo_ops *ops, const char *msg, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg),
					hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

static const char *const search_keys_hint =
	"\"search\" takes \"params\" (an object from option to an array of values), \"method\" "
	"(\"grid\" or \"random\"), \"trials\", \"folds\" and \"metric\".";

/* the JSON text of a value as the iterator gives it */
static char *
jbv_text(JsonbValue *v)
{
	if (v->type == jbvBinary)
		return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	return JsonbToCString(NULL, &JsonbValueToJsonb(v)->root, VARSIZE(JsonbValueToJsonb(v)));
}

/* an integer member of "search" in [lo, hi] */
static int
search_int(const pgl_algo_ops *ops, const char *key, JsonbValue *v, int lo, int hi)
{
	double d = NAN;

	if (v->type == jbvNumeric)
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!(d >= lo && d <= hi && d == floor(d)))
		search_error(ops,
					 psprintf("\"search\" \"%s\" must be an integer between %d and %d, not %s", key,
							  lo, hi, jbv_text(v)),
					 NULL);
	return (int) d;
}

/* errcontext of a searched value's own check */
static void
param_context(void *arg)
{
	errcontext("searched values of option \"%s\"", (const char *) arg);
}

/* one "params" member: an option of ops and a non-empty array of its valid values */
static void
parse_param(const pgl_algo_ops *ops, const char *key, JsonbValue *v, PglSearchParam *p)
{
	const pgl_option_spec *o = pgl_algo_option(ops, key);
	ErrorContextCallback   cb;
	JsonbIterator		  *it;
	JsonbValue			   e;
	JsonbIteratorToken	   tok;

	if (o == NULL)
		search_error(ops, psprintf("searched option \"%s\" is not an option of %s", key, ops->name),
					 psprintf("Valid options of %s are: %s.", ops->name, pgl_option_keys(ops)));
	for (int i = 0; unsearchable[i]; i++)
		if (strcmp(key, unsearchable[i]) == 0)
			search_error(ops, psprintf("option \"%s\" cannot be searched", key),
						 "\"seed\" and \"test_size\" define the split the trials are scored on; "
						 "\"search\", \"deploy\", \"keep_versions\" and \"metric\" are not "
						 "settings of the model.");
	if (ops->id == PGL_ALGO_ALS && (strcmp(key, "feedback") == 0 || strcmp(key, "k") == 0))
		search_error(ops, psprintf("option \"%s\" cannot be searched", key),
					 "\"feedback\" and \"k\" define the metric the trials of als are scored "
					 "on.");
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) == 0)
		search_error(
			ops,
			psprintf("searched option \"%s\" must have a non-empty array of values, not %s", key,
					 jbv_text(v)),
			psprintf("Write for example \"params\": {\"%s\": [%s]}.", key,
					 o->example ? o->example : "..."));
	p->key = pstrdup(key);
	p->spec = o;
	p->n = 0;
	p->values = palloc(sizeof(char *) * JsonContainerSize(v->val.binary.data));
	cb.callback = param_context;
	cb.arg = p->key;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (o->type == PGL_OPT_JSON && e.type != jbvBinary)
			pgl_option_error(ops, key, o->choices, &e);
		pgl_option_check_value(ops, o, &e);
		p->values[p->n++] = jbv_text(&e);
	}
	error_context_stack = cb.previous;
}

/* "params": {option: [values], ...} */
static void
parse_params(const pgl_algo_ops *ops, JsonbValue *v, PglSearch *s)
{
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	char			  *key = NULL;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) == 0)
		search_error(
			ops, psprintf("\"search\" \"params\" must be a non-empty object, not %s", jbv_text(v)),
			"Write for example \"params\": {\"l2\": [0.01, 0.1, 1]}.");
	s->params = palloc0(sizeof(PglSearchParam) * JsonContainerSize(v->val.binary.data));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE)
			parse_param(ops, key, &e, &s->params[s->n_params++]);
	}
}

/* one member of "search" */
static void
parse_member(const pgl_algo_ops *ops, const char *key, JsonbValue *v, PglSearch *s)
{
	if (strcmp(key, "params") == 0)
		parse_params(ops, v, s);
	else if (strcmp(key, "method") == 0)
	{
		char *m = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;

		if (m == NULL || (strcmp(m, "grid") != 0 && strcmp(m, "random") != 0))
			search_error(ops,
						 psprintf("\"search\" \"method\" must be \"grid\" or \"random\", not %s",
								  jbv_text(v)),
						 NULL);
		s->random = strcmp(m, "random") == 0;
	}
	else if (strcmp(key, "trials") == 0)
		s->trials = search_int(ops, key, v, 1, PGL_SEARCH_MAX_TRIALS);
	else if (strcmp(key, "folds") == 0)
	{
		if (ops->task == PGL_TASK_CLUSTERING)
			search_error(ops, psprintf("\"search\" \"folds\" does not apply to %s", ops->name),
						 "A clustering has no hold-out: its trials are scored on the training "
						 "rows. Leave \"folds\" out.");
		s->folds = search_int(ops, key, v, 2, PGL_SEARCH_MAX_FOLDS);
	}
	else if (strcmp(key, "metric") == 0)
	{
		const pgl_option_spec *o = pgl_algo_option(ops, "metric");

		pgl_option_check_value(ops, o, v);
		s->metric = pnstrdup(v->val.string.val, v->val.string.len);
	}
	else
		search_error(ops, psprintf("unknown key \"%s\" in \"search\"", key), search_keys_hint);
}

PglSearch *
pgl_search_parse(const pgl_algo_ops *ops, JsonbValue *v)
{
	PglSearch		  *s = palloc0(sizeof(PglSearch));
	JsonbIterator	  *it;
	JsonbValue		   e;
	JsonbIteratorToken tok;
	char			  *key = NULL;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		search_error(ops, psprintf("option \"search\" must be an object, not %s", jbv_text(v)),
					 search_keys_hint);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE)
			parse_member(ops, key, &e, s);
	}
	if (s->n_params == 0)
		search_error(ops, "\"search\" needs \"params\"", search_keys_hint);
	{
		double grid = 1;

		for (int i = 0; i < s->n_params; i++)
			grid *= s->params[i].n;
		if (grid > PGL_SEARCH_MAX_TRIALS && s->trials == 0 && !s->random)
			search_error(ops,
						 psprintf("the search grid has %.0f settings, more than %d", grid,
								  PGL_SEARCH_MAX_TRIALS),
						 "Cap it with \"trials\", or use \"method\": \"random\".");
	}
	return s;
}

/* ---------- the settings ---------- */

/* the number of settings of the grid (capped above PGL_SEARCH_MAX_TRIALS squared) */
static double
grid_size(const PglSearch *s)
{
	double g = 1;

	for (int i = 0; i < s->n_params; i++)
		g = Min(g * s->params[i].n, 1e12);
	return g;
}

/* the grid indices of the settings tried, in order */
static int64 *
choose_settings(const PglSearch *s, uint64 seed, int *n)
{
	double g = grid_size(s);
	int	   want = s->trials ? s->trials : s->random ? 10 : (int) g;
	int64 *out;

	if (want > g)
		want = (int) g;
	out = palloc(sizeof(int64) * want);
	if (!s->random)
		for (int i = 0; i < want; i++)
			out[i] = i;
	else
	{
		uint64 state = seed ^ UINT64_C(0x5EA4C45EA4C4);

		/* distinct draws: rejection, as want <= 1000 */
		for (int i = 0; i < want;)
		{
			int64 x = (int64) (pgl_rng_uniform(&state) * g);
			bool  dup = false;

			for (int j = 0; j < i && !dup; j++)
				dup = out[j] == x;
			if (!dup)
				out[i++] = x;
		}
	}
	*n = want;
	return out;
}

/* the value index of each parameter of grid setting g (the last parameter varies fastest) */
static void
setting_values(const PglSearch *s, int64 g, int *idx)
{
	for (int i = s->n_params - 1; i >= 0; i--)
	{
		idx[i] = (int) (g % s->params[i].n);
		g /= s->params[i].n;
	}
}

/* {"l2": 0.1, "max_depth": 4} of a setting */
static char *
setting_json(const PglSearch *s, const int *idx)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (int i = 0; i < s->n_params; i++)
	{
		if (i > 0)
			appendStringInfoString(&b, ", ");
		escape_json(&b, s->params[i].key);
		appendStringInfo(&b, ": %s", s->params[i].values[idx[i]]);
	}
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* ---------- options ---------- */

Jsonb *
pgl_search_strip(Jsonb *options)
{
	if (options == NULL)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	return DatumGetJsonbP(
		DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(options), CStringGetTextDatum("search")));
}

/* base || the JSON object text more */
static Jsonb *
options_with(Jsonb *base, const char *more)
{
	Datum m = DirectFunctionCall1(jsonb_in, CStringGetDatum(more));

	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(base), m));
}

/*
 * The options of a trial or fold: the setting, the validation split
 * ("test_size" the fraction, or 1/folds), its seed, and with folds the
 * memory method (the aggregate method splits in SQL, by the fraction only).
 */
static Jsonb *
trial_options(const pgl_algo_ops *ops, Jsonb *base, const char *setting, double fraction,
			  uint64 seed, int folds)
{
	Jsonb *o = options_with(base, setting ? setting : "{}");

	/* als keeps the training's split and carves the validation itself; a fold (fraction 0) cuts all */
	if (ops->id == PGL_ALGO_ALS)
		return fraction > 0 ? o : options_with(o, "{\"test_size\": 0}");
	/* forecast: refused by its reader (forecast_glue.c), its test_size counts periods */
	if (ops->id == PGL_ALGO_FORECAST)
		return o;
	o = options_with(o, psprintf("{\"seed\": " UINT64_FORMAT "}", seed));
	if (pgl_algo_option(ops, "test_size"))
		o = options_with(o, psprintf("{\"test_size\": %.17g}", folds > 0 ? 1.0 / folds : fraction));
	if (folds > 0 && pgl_algo_option(ops, "method"))
		o = options_with(o, "{\"method\": \"memory\"}");
	return o;
}

/* ---------- one trial ---------- */

/* the metric a trial is scored on: named, else the family's default */
static const char *
metric_list(const PglTrainCall *c, const PglSearch *s)
{
	if (c->ops->id == PGL_ALGO_ALS)
		return pgl_rec_search_metric(&c->opts, s && s->metric ? s->metric : c->opts.metric);
	if (s && s->metric)
		return s->metric;
	if (c->opts.metric)
		return c->opts.metric;
	if (c->ops->task == 0)
		return "rmse|accuracy";
	return pgl_algo_default_metric(c->ops, c->ops->task);
}

/* a numeric member of an object container, or NAN */
static double
member_number(JsonbContainer *c, const char *key)
{
	JsonbValue v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) && v.type == jbvNumeric)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
	return NAN;
}

/* the object of the scores of a trial's metrics: "test", or "train" for a clustering */
static JsonbContainer *
scored_part(Jsonb *metrics, bool clustering)
{
	JsonbValue	v;
	const char *part = clustering ? "train" : "test";

	if (getKeyJsonValueFromContainer(&metrics->root, part, strlen(part), &v) &&
		v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data))
		return v.val.binary.data;
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the validation split of the trial is empty"),
					errhint("Train on more rows, or raise \"test_size\".")));
	return NULL;
}

/* the score of a trial: the first metric of the list its metrics have */
static double
trial_score(const char *metrics, const char *list, bool clustering, const char **name)
{
	Jsonb		   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics)));
	JsonbContainer *part = scored_part(j, clustering);
	char		   *copy = pstrdup(list);
	char		   *save = NULL;

	for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save))
	{
		double d = member_number(part, w);

		if (!isnan(d))
		{
			*name = w;
			if (!isfinite(d))
				ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								errmsg("the trial's %s is not finite", w)));
			return d;
		}
	}
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the trial's metrics have no \"%s\"", list)));
	return 0;
}

/* a dry run of the pipeline on options and data, as trial label; the metrics */
static char *
dry_run(PglTrainCall *parent, Jsonb *options, const char *data, int fold, int folds,
		const char *label)
{
	PglTrainCall t;

	memset(&t, 0, sizeof(t));
	t.fcinfo = parent->fcinfo;
	t.name = parent->name;
	t.algorithm = parent->algorithm;
	t.data = data;
	t.target = parent->target;
	t.options = options;
	t.ops = parent->ops;
	t.trial = label;
	pgl_parse_options(t.ops, options, &t.opts);
	t.opts.fold = fold;
	t.opts.folds = folds;
	return pgl_train_dry_run(&t);
}

/* is this error one a trial must not swallow? */
static bool
fatal_error(int code)
{
	return code == ERRCODE_QUERY_CANCELED || code == ERRCODE_FEATURE_NOT_SUPPORTED ||
		   code == ERRCODE_INSUFFICIENT_PRIVILEGE || code == ERRCODE_UNDEFINED_TABLE ||
		   code == ERRCODE_UNDEFINED_COLUMN || code == ERRCODE_SYNTAX_ERROR;
}

/*
 * One trial in a subtransaction: true and its score (its metric's name in
 * r->metric), or false and the message of its ERROR in r->error.  A
 * cancel, or an error no setting can avoid (a missing table), is raised
 * again.
 */
static bool
run_trial(PglTrainCall *parent, Jsonb *options, const char *data, int fold, int folds,
		  const char *label, const char *list, double *score, PglTrialResult *r)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	MemoryContext work = AllocSetContextCreate(cxt, "pg_learn trial", ALLOCSET_DEFAULT_SIZES);
	volatile bool ok = false;

	CHECK_FOR_INTERRUPTS();
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(work);
	PG_TRY();
	{
		char	   *m = dry_run(parent, options, data, fold, folds, label);
		const char *metric = NULL;
		double		d = trial_score(m, list, parent->ops->task == PGL_TASK_CLUSTERING, &metric);

		strlcpy(r->metric, metric, sizeof(r->metric));
		*score = d;
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (fatal_error(ed->sqlerrcode))
			ReThrowError(ed);
		strlcpy(r->error, ed->message && ed->message[0] ? ed->message : "unknown error",
				sizeof(r->error));
	}
	PG_END_TRY();
	MemoryContextDelete(work);
	return ok;
}

/* ---------- the search ---------- */

/* the training rows of c as a query: the rows its reader does not hold out */
static char *
training_rows_query(PglTrainCall *c)
{
	char *q = pgl_data_query(c->data);

	/* als: its trials hold out what the training would (recommend_train.c) */
	if (c->ops->task == PGL_TASK_CLUSTERING || c->ops->task == PGL_TASK_FORECAST ||
		c->ops->id == PGL_ALGO_ALS || c->opts.test_size == 0)
		return q;
	return psprintf("SELECT * FROM (%s) q WHERE NOT %s.ai_holdout(q, " UINT64_FORMAT
					"::pg_catalog.int8, %.17g::pg_catalog.float8)",
					q, pgl_ext_schema(), c->opts.seed, PGL_TEST_FRACTION(c->opts.test_size));
}

/* the seed of the trials' validation splits: another draw than the hold-out's */
static uint64
trial_seed(uint64 seed)
{
	return (seed + 1) % UINT64CONST(9007199254740992);
}

/* run every fold of one setting (params) into r */
static void
run_setting(PglTrainCall *c, const PglSearch *s, Jsonb *base, const char *data, const char *params,
			PglTrialResult *r, const char *label)
{
	const char *list = metric_list(c, s);
	int			nf = s->folds > 0 ? s->folds : 1;
	double		fraction = c->opts.test_size > 0 ? c->opts.test_size : PGL_DEFAULT_TEST_SIZE;
	Jsonb *o = trial_options(c->ops, base, params, fraction, trial_seed(c->opts.seed), s->folds);
	instr_time t0, t1;

	memset(r, 0, sizeof(*r));
	r->pid = MyProcPid;
	INSTR_TIME_SET_CURRENT(t0);
	for (int f = 0; f < nf; f++)
	{
		if (!run_trial(c, o, data, f, s->folds, label, list, &r->scores[f], r))
			break;
		r->score += r->scores[f] / nf;
	}
	INSTR_TIME_SET_CURRENT(t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	r->seconds = INSTR_TIME_GET_DOUBLE(t1);
	r->done = true;
}

/* the settings of c's search (their indexes into the grid), and their number */
static int64 *
search_settings(PglTrainCall *c, int *n)
{
	return choose_settings(c->opts.search, c->opts.seed, n);
}

/* the JSON of setting g of s */
static char *
setting_params(const PglSearch *s, int64 g)
{
	int *idx = palloc(sizeof(int) * s->n_params);

	setting_values(s, g, idx);
	return setting_json(s, idx);
}

/* is key one of the searched options? */
static bool
searched(const PglSearch *s, const char *key)
{
	for (int i = 0; i < s->n_params; i++)
		if (strcmp(s->params[i].key, key) == 0)
			return true;
	return false;
}

/* the options every trial and the final training share: als pins its "auto" options */
static Jsonb *
search_base(PglTrainCall *c, const PglSearch *s)
{
	Jsonb *base = pgl_search_strip(c->options);

	if (c->ops->id == PGL_ALGO_ALS)
		base = options_with(
			base, pgl_rec_search_pins(&c->opts, searched(s, "l2"), searched(s, "bias_l2")));
	return base;
}

void
pgl_search_trial(PglTrainCall *c, int i, PglTrialResult *r)
{
	const PglSearch *s = c->opts.search;
	int				 n;
	int64			*settings = search_settings(c, &n);

	Assert(i >= 0 && i < n);
	run_setting(c, s, search_base(c, s), training_rows_query(c), setting_params(s, settings[i]), r,
				psprintf("trial %d of %d", i + 1, n));
}

int
pgl_search_best(const PglTrialResult *r, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
	{
		bool lower;

		if (!r[i].done)
			continue;
		pg_read_barrier(); /* r may be a parallel search's, being written */
		if (r[i].error[0] != '\0' || r[i].fatal != 0)
			continue;
		lower = pgl_metric_lower_is_better(r[i].metric);
		if (best < 0 || (lower ? r[i].score < r[best].score : r[i].score > r[best].score))
			best = i;
	}
	return best;
}

void
pgl_search_progress(int i, int n, const PglTrialResult *r)
{
	int best = pgl_search_best(r, n);

	if (best < 0)
		pgl_progress_phase(psprintf("trial %d of %d", i, n));
	else
		pgl_progress_phase(
			psprintf("trial %d of %d, best %s %.6g", i, n, r[best].metric, r[best].score));
}

/* "search": {...} of the trials, best the chosen one; with each trial's pid if parallel */
static void
search_record(StringInfo b, const PglSearch *s, char **params, PglTrialResult *trials, int n,
			  int best, bool parallel)
{
	appendStringInfo(
		b, "\"search\": {\"method\": \"%s\", \"metric\": ", s->random ? "random" : "grid");
	escape_json(b, trials[best].metric);
	appendStringInfo(b, ", \"folds\": %d, \"best\": %d, \"trials\": [", s->folds, best + 1);
	for (int i = 0; i < n; i++)
	{
		PglTrialResult *t = &trials[i];

		appendStringInfo(b, "%s{\"trial\": %d, \"params\": %s", i ? ", " : "", i + 1, params[i]);
		if (t->error[0] != '\0')
		{
			appendStringInfoString(b, ", \"error\": ");
			escape_json(b, t->error);
		}
		else
		{
			appendStringInfo(b, ", \"score\": %.10g", t->score);
			if (s->folds > 0)
			{
				appendStringInfoString(b, ", \"scores\": [");
				for (int f = 0; f < s->folds; f++)
					appendStringInfo(b, "%s%.10g", f ? ", " : "", t->scores[f]);
				appendStringInfoChar(b, ']');
			}
		}
		if (parallel)
			appendStringInfo(b, ", \"pid\": %d", (int) t->pid);
		appendStringInfo(b, ", \"seconds\": %.3f, \"chosen\": %s}", t->seconds,
						 i == best ? "true" : "false");
	}
	appendStringInfoString(b, "]}");
}

/* every setting passes the checks of the options before anything is read */
static void
check_settings(PglTrainCall *c, Jsonb *base, char **params, int n)
{
	const PglTrainGlue *glue = pgl_train_glue(c->ops->id);

	for (int i = 0; i < n; i++)
	{
		PglTrainCall t = *c;

		t.options = options_with(base, params[i]);
		pgl_parse_options(t.ops, t.options, &t.opts);
		if (glue->check)
			glue->check(&t);
	}
}

Jsonb *
pgl_search_run(PglTrainCall *c, StringInfo record)
{
	const PglSearch *s = c->opts.search;
	Jsonb			*base = search_base(c, s);
	int				 n, best;
	int64			*settings = search_settings(c, &n);
	PglTrialResult	*trials = palloc0(sizeof(PglTrialResult) * n);
	char		   **params = palloc(sizeof(char *) * n);
	bool			 parallel;

	for (int i = 0; i < n; i++)
		params[i] = setting_params(s, settings[i]);
	check_settings(c, base, params, n);
	/* in a job, the trials fan out over free job slots; else one after the other */
	parallel = pgl_trials_parallel(c, n, trials);
	if (!parallel)
	{
		const char *data = training_rows_query(c);

		for (int i = 0; i < n; i++)
		{
			pgl_search_progress(i + 1, n, trials);
			run_setting(c, s, base, data, params[i], &trials[i],
						psprintf("trial %d of %d", i + 1, n));
		}
	}
	best = pgl_search_best(trials, n);
	if (best < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("every trial of the search failed"),
						errdetail("Trial 1 (%s): %s", params[0], trials[0].error),
						errhint("Widen or change the searched values.")));
	search_record(record, s, params, trials, n, best, parallel);
	return options_with(base, params[best]);
}

/* ---------- ai_cross_validate ---------- */

/* the numeric members of a fold's scored part, with their sum and sum of squares */
typedef struct CvSums
{
	int		n;
	char  **names;
	double *sum, *sum2;
	int	   *count;
} CvSums;

static void
cv_add(CvSums *acc, Jsonb *metrics, bool clustering)
{
	JsonbContainer	  *part = scored_part(metrics, clustering);
	JsonbIterator	  *it = JsonbIteratorInit(part);
	JsonbValue		   v;
	JsonbIteratorToken tok;
	char			  *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int	   k;
		double d;

		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		if (tok != WJB_VALUE || v.type != jbvNumeric)
			continue;
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
		for (k = 0; k < acc->n && strcmp(acc->names[k], key) != 0; k++)
			;
		if (k == acc->n)
		{
			acc->names = repalloc(acc->names, sizeof(char *) * (k + 1));
			acc->sum = repalloc(acc->sum, sizeof(double) * (k + 1));
			acc->sum2 = repalloc(acc->sum2, sizeof(double) * (k + 1));
			acc->count = repalloc(acc->count, sizeof(int) * (k + 1));
			acc->names[k] = key;
			acc->sum[k] = acc->sum2[k] = 0;
			acc->count[k] = 0;
			acc->n++;
		}
		acc->sum[k] += d;
		acc->sum2[k] += d * d;
		acc->count[k]++;
	}
}

/* {"summary": "mean"|"std", "folds": K, metric: value...} */
static Datum
cv_summary(const CvSums *acc, bool std, int folds)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"summary\": \"%s\", \"folds\": %d", std ? "std" : "mean", folds);
	for (int k = 0; k < acc->n; k++)
	{
		double n = acc->count[k], mean = acc->sum[k] / n;
		double var = n > 1 ? Max(0.0, (acc->sum2[k] - n * mean * mean) / (n - 1)) : 0.0;

		appendStringInfoString(&b, ", ");
		escape_json(&b, acc->names[k]);
		appendStringInfo(&b, ": %.10g", std ? sqrt(var) : mean);
	}
	appendStringInfoChar(&b, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data));
}

static void
cv_arguments(FunctionCallInfo fcinfo, PglTrainCall *c, int *folds)
{
	memset(c, 0, sizeof(*c));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, algorithm, data and folds of ai_cross_validate must not be NULL")));
	c->fcinfo = fcinfo;
	c->name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c->algorithm = text_to_cstring(PG_GETARG_TEXT_PP(1));
	c->data = text_to_cstring(PG_GETARG_TEXT_PP(2));
	c->target = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	c->options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	*folds = PG_GETARG_INT32(5);
	c->ops = pgl_algo_by_name(c->algorithm);
	if (c->ops == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown algorithm \"%s\"", c->algorithm),
						errhint("Valid algorithms are: %s.", pgl_algo_names())));
	pgl_check_trainable(c->ops);
	if (*folds < 2 || *folds > PGL_SEARCH_MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be between 2 and %d, not %d", PGL_SEARCH_MAX_FOLDS, *folds)));
	if (c->ops->task == PGL_TASK_CLUSTERING || c->ops->task == PGL_TASK_ANOMALY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ai_cross_validate does not support %s", c->algorithm),
				 errdetail("%s has no hold-out to score.",
						   c->ops->task == PGL_TASK_ANOMALY ? "An anomaly model" : "A clustering"),
				 errhint("Cross-validate a regression, a classifier or als.")));
}

/*
 * ai_cross_validate(name, algorithm, data, target, options, folds): one
 * row per fold (the metrics of a training on the other folds, scored on
 * it), then (NULL, {"summary": "mean", ...}) and (NULL, {"summary":
 * "std", ...}) over the numbers of the folds' "test" metrics.  Stores no
 * model.
 */
Datum
ai_cross_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PglTrainCall   c;
	int			   folds;
	Jsonb		  *o;
	CvSums		   acc = {0, palloc(1), palloc(1), palloc(1), palloc(1)};
	Datum		   values[2];
	bool		   nulls[2] = {false, false};

	cv_arguments(fcinfo, &c, &folds);
	pgl_parse_options(c.ops, c.options, &c.opts);
	if (c.opts.search)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ai_cross_validate takes no \"search\""),
						errhint("Use \"search\" with \"folds\" in ai_train.")));
	o = trial_options(c.ops, pgl_search_strip(c.options), NULL, 0, c.opts.seed, folds);
	InitMaterializedSRF(fcinfo, 0);
	pgl_progress_begin(c.name, c.algorithm);
	for (int f = 0; f < folds; f++)
	{
		char  *label = psprintf("fold %d of %d", f + 1, folds);
		Jsonb *m;

		CHECK_FOR_INTERRUPTS();
		pgl_progress_phase(label);
		m = DatumGetJsonbP(DirectFunctionCall1(
			jsonb_in, CStringGetDatum(dry_run(&c, o, c.data, f, folds, label))));
		cv_add(&acc, m, false);
		values[0] = Int32GetDatum(f + 1);
		values[1] = JsonbPGetDatum(m);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	nulls[0] = true;
	values[1] = cv_summary(&acc, false, folds);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	values[1] = cv_summary(&acc, true, folds);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
