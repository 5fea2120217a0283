/*-------------------------------------------------------------------------
 *
 * importance.c
 *	  ai_feature_importance: permutation importance over the hold-out.
 *
 * The hold-out is the one the training used: the version's data source is
 * read again (as the caller) with the training's test_size and seed, and
 * pgl_row_in_test routes the same rows to it (the same rows in the same
 * order give the same split; see the user guide).  The model is scored on
 * it (R² for regression, accuracy for classification); then, for each
 * feature and each of `repeats` seeded shuffles, the feature's encoded
 * columns are permuted across the hold-out rows (all one-hot columns of a
 * categorical feature with the same permutation, which is permuting the raw
 * feature) and the model is scored again.  The importance is the mean drop
 * of the score, std its standard deviation over the shuffles.
 *
 * kind => 'gain', 'cover' or 'weight' instead reads a tree ensemble's
 * split statistics, as XGBoost's get_score does (no data is read).
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "options.h"
#include "vocab.h"
#include "data_reader.h"
#include "catalog.h"
#include "model_cache.h"
#include "evaluate.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "classifier.h"
#include "metrics.h"
#include "prep.h"
#include "trees.h"
#include "text_glue.h"

PG_FUNCTION_INFO_V1(ai_feature_importance);

#define PGL_IMPORTANCE_MAX_REPEATS 1000

/* the data source and options the version was trained with */
static void
version_source(int64 version_id, char **data, Jsonb **options)
{
	Oid			  types[1] = {INT8OID};
	Datum		  values[1] = {Int64GetDatum(version_id)};
	MemoryContext outer = CurrentMemoryContext;
	bool		  isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the caller: it may use the model, so row-level security shows the row */
	if (SPI_execute_with_args(psprintf("SELECT data_source, options FROM %s.ai_catalog_versions "
									   "WHERE id OPERATOR(pg_catalog.=) $1",
									   pgl_catalog_schema()),
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "pg_learn: model version " INT64_FORMAT " not found in the catalog",
			 version_id);
	*data =
		MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	{
		Datum		  d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		MemoryContext old = MemoryContextSwitchTo(outer);

		*options = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
}

/*
 * R² (regression) or accuracy (classification) of predictions, the class
 * decided as ai_classify decides it (the model's threshold, if it has one)
 */
static double
score(const pgl_model *m, int64 n, const double *y, const int32 *label, const double *pred)
{
	if (m->task == PGL_TASK_REGRESSION)
	{
		pgl_regression_metrics rm;

		pgl_regression_metrics_compute(y, pred, n, &rm);
		return rm.r2;
	}
	else
	{
		int32  k = m->n_classes;
		double t = pgl_model_threshold(m);
		int64  right = 0;

		for (int64 i = 0; i < n; i++)
			right += pgl_decide_class(pred + i * k, k, t) == label[i];
		return (double) right / n;
	}
}

/* a number of the training options (jsonb), or dflt when absent */
static double
option_number(Jsonb *options, const char *key, double dflt)
{
	JsonbValue k, *v;

	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return dflt;
	k.type = jbvString;
	k.val.string.val = unconstify(char *, key);
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvNumeric)
		return dflt;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

/* the arguments and the model's task: ERROR unless its importance can be computed */
static void
check_request(const char *name, const pgl_model *m, int32 repeats, int64 seed)
{
	if (repeats < 1 || repeats > PGL_IMPORTANCE_MAX_REPEATS)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("repeats must be between 1 and %d, not %d",
							   PGL_IMPORTANCE_MAX_REPEATS, repeats)));
	if (seed < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("seed must be a non-negative integer, not " INT64_FORMAT, seed)));
	if (m->task != PGL_TASK_REGRESSION && m->task != PGL_TASK_CLASSIFICATION)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_feature_importance does not support model \"%s\" (%s)", name,
							   pgl_algo_by_id(m->algorithm)->name),
						errdetail(m->task == PGL_TASK_CLUSTERING
									  ? "A clustering model has no target and is trained without a "
										"hold-out, so there is no score to lose."
								  : m->task == PGL_TASK_ANOMALY
									  ? "An anomaly model has no target, so there is no score to "
										"lose."
									  : "A recommender has no features."),
						errhint("ai_feature_importance explains linear_regression, "
								"logistic_regression and neural_net models.")));
}

/* the model's source and inputs: an imported model or a tensor network cannot be explained so */
static void
check_source(const char *name, const pgl_model *m, const char *data)
{
	if (strncmp(data, "(imported", 9) == 0) /* (imported), (imported from onnx), ... */
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("model \"%s\" was imported: its hold-out is unknown", name),
						errhint("Train it in this database to compute its feature importance.")));
	if (m->algorithm == PGL_ALGO_NEURAL_NET && pgl_model_tensor(m, "nn_mu") == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_feature_importance does not support model \"%s\": its input is "
							   "one tensor column",
							   name),
						errdetail("Shuffling a whole image or array column measures one number "
								  "for all its values."),
						errhint("ai_feature_importance explains models over ordinary feature "
								"columns.")));
}

/* the hold-out rows of the training, encoded for the model, with their targets */
typedef struct Holdout
{
	int64	n;
	double *X;	   /* n x n_inputs, column-major */
	double *y;	   /* regression */
	int32  *label; /* classification */
	Size	bytes; /* of the rows read */
} Holdout;

/* the hold-out's feature columns, the data's categories mapped onto the model's */
static void
holdout_features(PglDataSet *ds, const pgl_model *m, const char *name, int64 n, const double **raw,
				 const bool **rnull)
{
	for (int f = 0; f < m->n_features; f++)
	{
		PglColumn		  *c = &ds->features[f];
		const pgl_feature *feat = &m->features[f];

		if (!pgl_column_fits_feature(c, feat))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the training data now has type %s, but model \"%s\" "
							"was trained on it as %s (%s)",
							c->name, c->type_name, name, pgl_feature_kind_noun(feat),
							feat->type_name)));
		if (c->kind == PGL_COL_CATEGORICAL)
		{
			int32	nv = pgl_vocab_size(c->vocab);
			int32  *map = palloc(sizeof(int32) * (nv + 1));
			double *v = pgl_column_values(ds, c, PGL_TEST);
			bool   *nl = c->nulls[PGL_TEST];

			for (int32 i = 0; i < nv; i++)
			{
				const char *s = pgl_vocab_string(c->vocab, i);

				map[i] = pgl_category_find(feat, s, strlen(s));
			}
			for (int64 r = 0; r < n; r++)
				if (!(nl && nl[r]))
					v[r] = map[(int32) v[r]];
		}
		raw[f] = pgl_column_values(ds, c, PGL_TEST);
		rnull[f] = c->nulls[PGL_TEST];
	}
}

/*
 * The hold-out's targets; the rows whose label is no class of the model are
 * left out (keep_rows: the rows kept).  Returns how many are kept.
 */
static int64
holdout_targets(PglDataSet *ds, const pgl_model *m, int64 n, Holdout *h, int64 *keep_rows)
{
	double *t = pgl_column_values(ds, ds->target, PGL_TEST);
	int64	kept = 0;

	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		int32 *map = pgl_class_map(ds->target->vocab, m);

		h->label = palloc(sizeof(int32) * n);
		for (int64 r = 0; r < n; r++)
			if (map[(int32) t[r]] >= 0)
			{
				h->label[kept] = map[(int32) t[r]];
				keep_rows[kept++] = r;
			}
	}
	else
	{
		h->y = palloc(sizeof(double) * n);
		for (int64 r = 0; r < n; r++)
		{
			h->y[kept] = t[r];
			keep_rows[kept++] = r;
		}
	}
	return kept;
}

/*
 * Read the version's data source again, as the caller, with the training's
 * test_size and seed, and encode its hold-out rows.  *m is reloaded: the
 * data's query may have used other models and evicted it.
 */
static void
read_holdout(const char *name, int64 version_id, const pgl_model **m, const char *data,
			 Jsonb *options, Holdout *h)
{
	bool		   classification = (*m)->task == PGL_TASK_CLASSIFICATION;
	double		   test_size = option_number(options, "test_size", -1);
	uint64		   seed = (uint64) option_number(options, "seed", 42);
	List		  *only = NIL;
	PglDataSet	  *ds;
	const double **raw;
	const bool	 **rnull;
	int64		  *keep_rows;
	int64		   n;

	pgl_text_refuse(*m, name, "permutation importance");
	/* only the split matters here: the algorithm's own options are not parsed again */
	for (int f = 0; f < (*m)->n_features; f++)
		only = lappend(only, (*m)->features[f].name);
	ds = pgl_read_data(
		data, (*m)->target_name, classification ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC, NIL, only,
		pgl_algo_by_id((*m)->algorithm)->name, PGL_TEST_FRACTION(test_size), seed, NULL, NULL);
	*m = pgl_model_by_version(version_id, name);
	pgl_check_feature_columns(ds, *m, name);
	n = ds->part[PGL_TEST].n;
	/* as in training: a default hold-out of fewer than 50 rows was not kept */
	if (test_size < 0 && ds->n_rows < 50)
		n = 0;
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("model \"%s\" has no hold-out rows to compute importance on", name),
						errdetail("Its training data \"%s\" now gives no hold-out rows with test "
								  "size %g and seed " UINT64_FORMAT ".",
								  data, PGL_TEST_FRACTION(test_size), seed),
						errhint("Train with \"test_size\" above 0 on at least 50 rows.")));

	raw = palloc(sizeof(double *) * ((*m)->n_features + 1));
	rnull = palloc(sizeof(bool *) * ((*m)->n_features + 1));
	holdout_features(ds, *m, name, n, raw, rnull);
	keep_rows = palloc(sizeof(int64) * n);
	h->n = holdout_targets(ds, *m, n, h, keep_rows);
	if (h->n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("model \"%s\" has no hold-out rows with a known class", name)));
	h->bytes = ds->bytes;
	pgl_check_memory(ds->bytes +
						 (Size) h->n *
							 (2 * (*m)->n_inputs + (classification ? (*m)->n_classes : 1) + 2) *
							 sizeof(double),
					 psprintf("feature importance on " INT64_FORMAT " hold-out rows", h->n));
	h->X = palloc_extended(sizeof(double) * h->n * Max((*m)->n_inputs, 1), MCXT_ALLOC_HUGE);
	pgl_encode_rows(*m, raw, rnull, keep_rows, h->n, h->X);
}

/*
 * The drop of the score when the encoded columns [c0, c0 + width) are
 * shuffled across the rows, for each of the repeats (seeded per (seed,
 * feature f, repeat): independent of the other features).  Xp is a copy of
 * h->X, restored on return; perm (n) and pred (the predictions) are scratch.
 */
static void
shuffled_drops(const pgl_env *env, const pgl_model *m, const Holdout *h, double *Xp, int64 *perm,
			   double *pred, double base, int32 c0, int32 width, int f, int64 seed, int32 repeats,
			   double *drops)
{
	const pgl_algo_ops *ops = pgl_algo_by_id(m->algorithm);
	int64				n = h->n;
	pgl_status			st;

	memset(&st, 0, sizeof(st));
	for (int32 r = 0; r < repeats; r++)
	{
		uint64 rng = (uint64) seed * UINT64_C(0x9E3779B97F4A7C15) ^
					 ((uint64) f << 32 | (uint64) r) * UINT64_C(0xD1B54A32D192ED03);

		CHECK_FOR_INTERRUPTS();
		for (int64 i = 0; i < n; i++)
			perm[i] = i;
		for (int64 i = n - 1; i > 0; i--)
		{
			int64 j = (int64) (pgl_rng_next(&rng) % (uint64) (i + 1));
			int64 tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
		for (int32 c = c0; c < c0 + width; c++)
			for (int64 i = 0; i < n; i++)
				Xp[(Size) c * n + i] = h->X[(Size) c * n + perm[i]];
		if (ops->predict(env, m, Xp, n, n, pred, &st) != PGL_OK)
			pgl_report(&st, "prediction failed");
		drops[r] = base - score(m, n, h->y, h->label, pred);
	}
	memcpy(Xp + (Size) c0 * n, h->X + (Size) c0 * n, sizeof(double) * n * width);
}

/* the kinds of importance ai_feature_importance computes */
#define IMPORTANCE_KINDS   "permutation|gain|cover|weight"
#define IMPORTANCE_KIND(k) ((k) == 1 ? "gain" : (k) == 2 ? "cover" : "weight")

/*
 * A tree ensemble's split statistics per feature (XGBoost's get_score,
 * summed over a categorical feature's one-hot inputs): "weight" the number
 * of splits on the feature, "gain" and "cover" the mean gain and cover of
 * those splits (0 for a feature no tree splits on).  std is NULL.
 */
static void
split_importance(FunctionCallInfo fcinfo, const char *name, const pgl_model *m, int kind)
{
	ReturnSetInfo	 *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const pgl_tensor *gain = pgl_model_tensor(m, "split_gain");
	pgl_trees		  t;
	pgl_status		  st;
	double			 *w, *g, *c;
	int32			  col = 0;

	memset(&st, 0, sizeof(st));
	if (m->algorithm != PGL_ALGO_XGBOOST && m->algorithm != PGL_ALGO_RANDOM_FOREST)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("importance \"%s\" needs a tree model, but \"%s\" is %s",
							   IMPORTANCE_KIND(kind), name, pgl_algo_by_id(m->algorithm)->name),
						errhint("Use kind => 'permutation', which every supervised model has.")));
	if (gain == NULL || pgl_trees_get(m, &t, &st) != PGL_OK)
		pgl_report(&st, psprintf("model \"%s\" is corrupt", name));
	w = palloc(sizeof(double) * (m->n_inputs + 1));
	g = palloc(sizeof(double) * (m->n_inputs + 1));
	c = palloc(sizeof(double) * (m->n_inputs + 1));
	pgl_trees_split_stats(&t, gain->data, w, g, c);
	InitMaterializedSRF(fcinfo, 0);
	for (int f = 0; f < m->n_features; f++)
	{
		int32  width = pgl_feature_width(&m->features[f]);
		double sw = 0, sg = 0, sc = 0;
		Datum  values[3];
		bool   nulls[3] = {false, false, true};

		for (int32 i = col; i < col + width; i++)
		{
			sw += w[i];
			sg += g[i];
			sc += c[i];
		}
		col += width;
		values[0] = CStringGetTextDatum(pgl_feature_display_name(&m->features[f]));
		values[1] = Float8GetDatum(kind == 3 ? sw : sw == 0 ? 0.0 : (kind == 1 ? sg : sc) / sw);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

Datum
ai_feature_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			*name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32			 repeats = PG_GETARG_INT32(1);
	int64			 seed = PG_GETARG_INT64(2);
	int64			 version_id;
	const pgl_model *m = pgl_model_get(name, &version_id);
	char			*data;
	Jsonb			*options;
	MemoryContext	 cxt, old;
	Holdout			 h;
	double			*Xp, *pred, *drops;
	int64			*perm;
	double			 base;
	int32			 col = 0;
	pgl_env			 env;
	pgl_status		 st;
	/* a database still at 0.2.0 or older declares no kind argument */
	char *kind_text = PG_NARGS() > 3 ? text_to_cstring(PG_GETARG_TEXT_PP(3)) : "permutation";
	int	  kind = pgl_choice_index(IMPORTANCE_KINDS, kind_text);

	if (kind < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown importance kind \"%s\"", kind_text),
						errhint("Valid kinds are permutation, gain, cover and weight.")));
	if (kind > 0)
	{
		split_importance(fcinfo, name, m, kind);
		return (Datum) 0;
	}
	check_request(name, m, repeats, seed);
	version_source(version_id, &data, &options);
	check_source(name, m, data);

	cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn importance", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&h, 0, sizeof(h));
	read_holdout(name, version_id, &m, data, options, &h);
	Xp = palloc_extended(sizeof(double) * h.n * Max(m->n_inputs, 1), MCXT_ALLOC_HUGE);
	memcpy(Xp, h.X, sizeof(double) * h.n * m->n_inputs);
	pred = palloc_extended(sizeof(double) * h.n *
							   (m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1),
						   MCXT_ALLOC_HUGE);
	drops = palloc(sizeof(double) * repeats);
	perm = palloc_extended(sizeof(int64) * h.n, MCXT_ALLOC_HUGE);

	pgl_set_blas_threads();
	env = pgl_backend_env(cxt);
	memset(&st, 0, sizeof(st));
	if (pgl_algo_by_id(m->algorithm)->predict(&env, m, h.X, h.n, h.n, pred, &st) != PGL_OK)
		pgl_report(&st, "prediction failed");
	base = score(m, h.n, h.y, h.label, pred);
	ereport(DEBUG1, (errmsg_internal(
						"ai_feature_importance: " INT64_FORMAT " hold-out rows, baseline %s %.6f",
						h.n, m->task == PGL_TASK_CLASSIFICATION ? "accuracy" : "R2", base)));

	MemoryContextSwitchTo(old);
	InitMaterializedSRF(fcinfo, 0);
	MemoryContextSwitchTo(cxt);
	for (int f = 0; f < m->n_features; f++)
	{
		/* a feature's encoded columns: one number, or its one-hot categories */
		int32  width = pgl_feature_width(&m->features[f]);
		double mean = 0, var = 0;
		Datum  values[3];
		bool   nulls[3] = {false, false, false};

		shuffled_drops(&env, m, &h, Xp, perm, pred, base, col, width, f, seed, repeats, drops);
		col += width;
		for (int32 r = 0; r < repeats; r++)
			mean += drops[r];
		mean /= repeats;
		for (int32 r = 0; r < repeats; r++)
			var += (drops[r] - mean) * (drops[r] - mean);
		var /= repeats;

		values[0] = CStringGetTextDatum(pgl_feature_display_name(&m->features[f]));
		values[1] = Float8GetDatum(mean);
		values[2] = Float8GetDatum(sqrt(var));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
