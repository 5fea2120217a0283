/*-------------------------------------------------------------------------
 *
 * train.c
 *	  ai_train(): read the data, learn the preprocessing, split, fit,
 *	  evaluate, serialize and store a new model version.
 *
 * Everything a training allocates lives in one memory context, deleted at
 * the end; an ERROR or a cancel anywhere (the algorithms check interrupts
 * through pgl_env) aborts the transaction, so no partial version is left.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "classes.h"
#include "kmeans.h"
#include "model_format.h"
#include "nn_glue.h"
#include "prep.h"
#include "recommend.h"
#include "store.h"

PG_FUNCTION_INFO_V1(ai_train);

/* ---------- learning the preprocessing ---------- */

/*
 * Build the sorted vocabulary of a categorical column from its training
 * rows and recode both parts to the new index (-1 for a value seen only in
 * the hold-out).  Returns the number of categories; *cats and *mode are set.
 */
static int32
learn_vocabulary(PglDataSet *ds, PglColumn *c, bool numeric_order, char ***cats, int32 *mode)
{
	int32		   nv = pgl_vocab_size(c->vocab);
	PglValueCount *cc = palloc0(sizeof(PglValueCount) * (nv > 0 ? nv : 1));
	int32		  *remap = palloc(sizeof(int32) * (nv > 0 ? nv : 1));
	int32		   nk = 0;
	int64		   best = -1;
	double		  *v = pgl_column_values(ds, c, PGL_TRAIN);
	bool		  *nl = c->nulls[PGL_TRAIN];

	for (int32 i = 0; i < nv; i++)
	{
		cc[i].str = pgl_vocab_string(c->vocab, i);
		cc[i].code = i;
	}
	for (int64 i = 0; i < ds->part[PGL_TRAIN].n; i++)
		if (!(nl && nl[i]))
			cc[(int32) v[i]].count++;

	/* keep the values seen in training, in order */
	for (int32 i = 0; i < nv; i++)
		if (cc[i].count > 0)
			cc[nk++] = cc[i];
	pgl_sort_value_counts(cc, nk, numeric_order);

	for (int32 i = 0; i < nv; i++)
		remap[i] = -1;
	*cats = palloc(sizeof(char *) * (nk > 0 ? nk : 1));
	*mode = 0;
	for (int32 i = 0; i < nk; i++)
	{
		remap[cc[i].code] = i;
		(*cats)[i] = pstrdup(cc[i].str);
		if (cc[i].count > best)
		{
			best = cc[i].count;
			*mode = i;
		}
	}
	for (int part = 0; part < 2; part++)
	{
		v = pgl_column_values(ds, c, part);
		nl = c->nulls[part];
		for (int64 r = 0; r < ds->part[part].n; r++)
			if (!(nl && nl[r]))
				v[r] = remap[(int32) v[r]];
	}
	return nk;
}

/* ---------- streaming the training rows into sufficient statistics ---------- */

typedef struct GramHook
{
	pgl_env	 env; /* a copy: the hook outlives no frame */
	pgl_gram g;
	bool	 started;
} GramHook;

/*
 * Runs when the training context goes away, also on ERROR: the Gram matrix
 * may have a worker thread, which must stop before its buffers are freed.
 */
static void
gram_cleanup(void *arg)
{
	GramHook *h = arg;

	if (h->started)
		pgl_gram_free(&h->env, &h->g);
	h->started = false;
}

static void
gram_hook(void *arg, PglDataSet *ds, const double *const *cols, const bool *const *nulls, int rows)
{
	GramHook  *h = arg;
	pgl_status st;

	memset(&st, 0, sizeof(st));
	if (!h->started)
	{
		h->started = true;
		if (pgl_gram_init(&h->env, &h->g, ds->n_features, pgl_thread_count() > 1, &st) != PGL_OK)
			pgl_report(&st, "training failed");
	}
	if (pgl_gram_add(&h->env, &h->g, cols, nulls, rows, rows, &st) != PGL_OK)
		pgl_report(&st, "training failed");
}

/*
 * kmeans: {"train": {"n", "inertia", "silhouette", "cluster_sizes"},
 * "iterations"}; the silhouette is null with fewer than two clusters.
 */
static void
kmeans_metrics(StringInfo buf, const pgl_env *env, const pgl_model *m, const double *X, int64 ld,
			   int64 n, int32 k, uint64 seed, int32 iterations)
{
	const pgl_tensor *in = pgl_model_tensor(m, "inertia");
	const pgl_tensor *c = pgl_model_tensor(m, "centroids");
	int32			 *label = palloc_extended(sizeof(int32) * (n + 1), MCXT_ALLOC_HUGE);
	int64			 *sizes = palloc0(sizeof(int64) * k);
	double			  sil;
	pgl_status		  st;

	memset(&st, 0, sizeof(st));
	if (pgl_kmeans_assign(env, c->data, k, m->n_inputs, X, ld, n, label, NULL, &st) != PGL_OK ||
		pgl_kmeans_silhouette(env, X, ld, n, m->n_inputs, label, k, seed, &sil, &st) != PGL_OK)
		pgl_report(&st, "evaluating the model failed");
	for (int64 i = 0; i < n; i++)
		sizes[label[i]]++;
	appendStringInfo(buf, "\"train\": {\"n\": " INT64_FORMAT ", \"inertia\": %.10g", n,
					 *(const double *) in->data);
	appendStringInfo(buf, ", \"silhouette\": %s, \"cluster_sizes\": [",
					 isfinite(sil) ? psprintf("%.10g", sil) : "null");
	for (int32 i = 0; i < k; i++)
		appendStringInfo(buf, "%s" INT64_FORMAT, i ? ", " : "", sizes[i]);
	appendStringInfo(buf, "]}, \"iterations\": %d", iterations);
}

/* with pg_learn.verbose: a NOTICE per phase, with the time the last one took */
static void
phase(const char *name, const char *what)
{
	static instr_time last;
	static bool		  started = false;
	instr_time		  now;

	pgl_progress_phase(what);
	if (!pgl_verbose)
		return;
	INSTR_TIME_SET_CURRENT(now);
	if (started && what != NULL)
	{
		instr_time d = now;

		INSTR_TIME_SUBTRACT(d, last);
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\": %s (previous phase %.1f ms)", name,
								what, INSTR_TIME_GET_MILLISEC(d))));
	}
	else if (what != NULL)
		ereport(NOTICE, (errmsg("pg_learn: training \"%s\": %s", name, what)));
	last = now;
	started = what != NULL;
}

/* ---------- ai_train ---------- */

Datum
ai_train(PG_FUNCTION_ARGS)
{
	char			   *name;
	char			   *algorithm;
	char			   *data;
	char			   *target;
	Jsonb			   *options;
	const pgl_algo_ops *ops;
	PglTrainOptions		opts;
	MemoryContext		train_cxt, old;
	instr_time			start;
	PglDataSet		   *ds;
	pgl_model		   *m;
	int64				n, n_test, n_train;
	int32				p;
	double			   *X[2] = {NULL, NULL};
	int64				ld[2] = {1, 1};
	double			   *y[2] = {NULL, NULL};
	int32			   *label[2] = {NULL, NULL};
	pgl_env				env;
	pgl_status			st;
	pgl_dataset			dset;
	pgl_train_params	params;
	pgl_train_info		info;
	StringInfoData		metrics;
	Datum				result;
	bool				classification;
	bool				clustering;
	int32				class_mode;
	int64				n_test_unknown = 0;
	GramHook		   *gram;
	double				train_sse = 0, train_sst = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("name, algorithm and data of ai_train must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(1));
	data = text_to_cstring(PG_GETARG_TEXT_PP(2));
	target = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);

	if (strlen(name) > 200)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG),
						errmsg("model name is %zu bytes long, more than 200", strlen(name)),
						errhint("Choose a shorter name.")));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty")));
	ops = pgl_algo_by_name(algorithm);
	if (ops == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown algorithm \"%s\"", algorithm),
						errhint("Valid algorithms are: %s.", pgl_algo_names())));
	pgl_parse_options(ops, options, &opts);
	pgl_progress_begin(name, algorithm);
	if (ops->task == PGL_TASK_RECOMMENDATION)
		return pgl_train_recommender(fcinfo, name, algorithm, data, target, options, &opts);
	if (ops->id == PGL_ALGO_NEURAL_NET)
		return pgl_train_neural_net(fcinfo, name, algorithm, data, target, options, &opts);
	clustering = ops->task == PGL_TASK_CLUSTERING;
	classification = ops->task == PGL_TASK_CLASSIFICATION;
	if (clustering && target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes no target column, but \"%s\" was given", algorithm, target),
				 errhint("Clustering uses every column except those in \"exclude\" as features; "
						 "call ai_train(name, '%s', data) without a target, and leave a column "
						 "out with \"exclude\".",
						 algorithm)));
	if (target == NULL && !clustering)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s needs a target column", algorithm),
			 errhint("Name the column to predict: ai_train(name, '%s', data, target => 'column').",
					 algorithm)));
	pgl_check_model_writable(name);

	INSTR_TIME_SET_CURRENT(start);
	if (opts.method == PGL_METHOD_AGGREGATE ||
		(opts.method == PGL_METHOD_AUTO && pgl_aggregate_wanted(ops, data, target, &opts)))
		PG_RETURN_DATUM(
			pgl_train_aggregate(fcinfo, ops, name, algorithm, data, target, options, &opts, start));
	train_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn training", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/*
	 * Read, routing each row to the training rows or the hold-out.  An
	 * algorithm that can fit from sufficient statistics gets the training
	 * rows in batches as they arrive (when every feature is a number), so
	 * they are never stored.
	 */
	phase(name, "reading data");

	/*
	 * While rows stream in, the one BLAS user is the Gram worker thread; a
	 * BLAS thread pool of its own would only compete with the reader.
	 */
	pgl_set_blas_threads_n(ops->train_gram ? 1 : pgl_thread_count());
	env = pgl_backend_env(train_cxt);
	gram = palloc0(sizeof(GramHook));
	gram->env = env;
	{
		MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

		cb->func = gram_cleanup;
		cb->arg = gram;
		MemoryContextRegisterResetCallback(train_cxt, cb);
	}
	ds = pgl_read_data(data, target, classification ? PGL_COL_CATEGORICAL : PGL_COL_NUMERIC,
					   opts.exclude, NIL, algorithm,
					   clustering ? 0.0 : PGL_TEST_FRACTION(opts.test_size), opts.seed,
					   ops->train_gram ? gram_hook : NULL, gram);
	n = ds->n_rows;
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to train on"),
						ds->n_skipped > 0
							? errdetail(INT64_FORMAT
										" rows were skipped because their target \"%s\" is NULL.",
										ds->n_skipped, target)
							: errdetail("The data \"%s\" returned no rows.", data)));
	/* below 50 rows a default hold-out would be too small to tell anything */
	if (opts.test_size < 0 && n < 50 && ds->part[PGL_TEST].n > 0)
	{
		if (ds->streamed)
		{
			/* the hold-out rows join the streamed statistics */
			PglPart		  *te = &ds->part[PGL_TEST];
			const double **cols = palloc(sizeof(double *) * ds->ncols);
			const bool	 **nulls = palloc(sizeof(bool *) * ds->ncols);

			for (int c = 0; c < ds->ncols; c++)
				cols[c] = te->block + (Size) c * te->cap;
			for (int f = 0; f < ds->n_features; f++)
				nulls[ds->features[f].col] = ds->features[f].nulls[PGL_TEST];
			nulls[ds->target->col] = NULL;
			gram_hook(gram, ds, cols, nulls, (int) te->n);
			for (int f = 0; f < ds->n_features; f++)
			{
				PglColumn *c = &ds->features[f];

				c->sum[PGL_TRAIN] += c->sum[PGL_TEST];
				c->count[PGL_TRAIN] += c->count[PGL_TEST];
			}
			ds->part[PGL_TRAIN].n += te->n;
			te->n = 0;
		}
		else
			pgl_merge_parts(ds);
	}
	n_train = ds->part[PGL_TRAIN].n;
	n_test = ds->part[PGL_TEST].n;
	if (n_train == 0)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("no training rows: all " INT64_FORMAT " rows fell in the hold-out", n),
			 errhint("Lower \"test_size\" (now %g), or train on more rows.", ds->test_fraction)));

	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn *c = &ds->features[f];

		if (c->n_nulls == n)
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("column \"%s\" is NULL in every row", c->name),
							errhint("Leave it out with \"exclude\": [\"%s\"].", c->name)));
		if (c->n_nulls > 0 && opts.nulls_error)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column \"%s\" has " INT64_FORMAT " NULL values", c->name, c->n_nulls),
					 errdetail("The option \"nulls\" is \"error\"."),
					 errhint("Filter the rows out, or set \"nulls\": \"impute\" to use the "
							 "training mean (numbers) or most frequent value (categories).")));
	}

	/* the model's preprocessing, learned on the training rows */
	phase(name, "preprocessing");
	m = palloc0(sizeof(pgl_model));
	m->algorithm = ops->id;
	m->task = ops->task;
	m->n_features = ds->n_features;
	m->features = palloc0(sizeof(pgl_feature) * ds->n_features);
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn	*c = &ds->features[f];
		pgl_feature *feat = &m->features[f];

		feat->name = c->name;
		feat->type_name = c->type_name;
		if (c->kind == PGL_COL_NUMERIC)
		{
			feat->kind = PGL_FEATURE_NUMERIC;
			if (c->count[PGL_TRAIN] == 0)
				ereport(
					ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column \"%s\" is NULL in every training row", c->name),
					 errhint("Leave it out with \"exclude\", or use a smaller \"test_size\".")));
			feat->impute = c->sum[PGL_TRAIN] / c->count[PGL_TRAIN];
		}
		else
		{
			feat->kind = PGL_FEATURE_CATEGORICAL;
			feat->n_categories =
				learn_vocabulary(ds, c, false, &feat->categories, &feat->impute_category);
			if (feat->n_categories == 0)
				ereport(
					ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column \"%s\" is NULL in every training row", c->name),
					 errhint("Leave it out with \"exclude\", or use a smaller \"test_size\".")));
		}
	}
	m->n_inputs = p = pgl_model_input_width(m);
	m->target_name = ds->target ? ds->target->name : NULL;
	m->target_type = ds->target ? ds->target->type_name : NULL;
	if (clustering)
	{
		int32 k = opts.k > 0 ? opts.k : 8;

		if (k > n_train)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("kmeans cannot find %d clusters in " INT64_FORMAT " rows", k, n_train),
					 errhint(opts.k > 0 ? "Choose \"k\" between 1 and the number of rows."
										: "The default \"k\" is 8; choose a smaller \"k\".")));
	}

	if (classification)
	{
		m->n_classes = learn_vocabulary(ds, ds->target, pgl_type_is_integer(ds->target->typid),
										&m->classes, &class_mode);
		if (m->n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target column \"%s\" has only one class (%s) in the training rows",
							target, m->n_classes ? m->classes[0] : "none"),
					 errhint("A classifier needs at least two distinct labels.")));

		/*
		 * A label seen only in the hold-out is no class of the model: such
		 * rows cannot be scored, so they are left out of the test metrics
		 * (and counted).
		 */
		if (n_test > 0)
		{
			double *lab = pgl_column_values(ds, ds->target, PGL_TEST);
			bool   *keep = palloc(sizeof(bool) * n_test);

			for (int64 i = 0; i < n_test; i++)
			{
				keep[i] = lab[i] >= 0;
				n_test_unknown += !keep[i];
			}
			if (n_test_unknown > 0)
				pgl_compact_part(ds, PGL_TEST, keep);
			n_test = ds->part[PGL_TEST].n;
		}
	}

	/* design matrices: the blocks themselves when nothing needs encoding */
	for (int part = 0; part < 2; part++)
	{
		int64 rows = ds->part[part].n;
		bool  direct = true;

		if (part == PGL_TRAIN && ds->streamed)
			continue;
		for (int f = 0; f < ds->n_features; f++)
			if (ds->features[f].kind != PGL_COL_NUMERIC || ds->features[f].nulls[part])
				direct = false;
		if (rows == 0)
		{
			X[part] = NULL;
			ld[part] = 1;
		}
		else if (direct)
		{
			X[part] = ds->part[part].block;
			ld[part] = ds->part[part].cap;
		}
		else
		{
			const double **raw = palloc(sizeof(double *) * (ds->n_features + 1));
			const bool	 **rnull = palloc(sizeof(bool *) * (ds->n_features + 1));

			for (int f = 0; f < ds->n_features; f++)
			{
				raw[f] = pgl_column_values(ds, &ds->features[f], part);
				rnull[f] = ds->features[f].nulls[part];
			}
			pgl_check_memory(ds->bytes + (Size) rows * p * sizeof(double),
							 psprintf("encoding " INT64_FORMAT " rows into %d inputs", rows, p));
			X[part] = palloc_extended(sizeof(double) * rows * (p > 0 ? p : 1), MCXT_ALLOC_HUGE);
			pgl_encode_rows(m, raw, rnull, NULL, rows, X[part]);
			ld[part] = rows;
		}
		if (classification)
		{
			double *lab = pgl_column_values(ds, ds->target, part);

			label[part] = palloc_extended(sizeof(int32) * (rows + 1), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < rows; i++)
				label[part][i] = (int32) lab[i];
		}
		else if (ds->target)
			y[part] = pgl_column_values(ds, ds->target, part);
	}

	/* fit */
	phase(name, "training");
	pgl_set_blas_threads();
	memset(&st, 0, sizeof(st));
	memset(&info, 0, sizeof(info));
	dset.X = X[PGL_TRAIN];
	dset.ld = ld[PGL_TRAIN];
	dset.n = n_train;
	dset.p = p;
	dset.y = y[PGL_TRAIN];
	dset.label = label[PGL_TRAIN];
	dset.n_classes = m->n_classes;
	params.l2 = opts.l2 >= 0 ? opts.l2 : ops->default_l2;
	params.max_iter = opts.max_iter > 0 ? opts.max_iter : clustering ? 100 : 200;
	params.tol = opts.tol;
	params.seed = opts.seed;
	params.k = opts.k > 0 ? opts.k : 8;
	params.sample = NULL;
	params.sample_rows = 0;
	params.class_weight =
		classification ? pgl_classes_prepare(&opts, &env, m, label, (int64[2]){n_train, n_test})
					   : NULL;
	if (clustering)
	{
		/* the seeding sample, drawn as the aggregate method draws it */
		bytea *prep = pgl_prep_blob(&env, m, params.k);

		params.sample = pgl_kmeans_sample(pgl_data_query(data), prep, p, params.k, n_train,
										  opts.seed, &params.sample_rows, NULL);
	}
	if (ds->streamed)
	{
		double *impute = palloc(sizeof(double) * (p + 1));

		for (int f = 0; f < m->n_features; f++)
			impute[f] = m->features[f].impute;
		if (ops->train_gram(&env, &gram->g, impute, &params, m, &info, &train_sse, &train_sst,
							&st) != PGL_OK)
			pgl_report(&st, psprintf("training \"%s\" failed", name));
		gram_cleanup(gram);
	}
	else if (ops->train(&env, &dset, &params, m, &info, &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", name));
	if (classification)
		pgl_classes_finish(&opts, &env, m);
	pgl_apply_storage(&env, m, opts.storage);

	/* evaluate */
	phase(name, "evaluating");
	initStringInfo(&metrics);
	appendStringInfoChar(&metrics, '{');
	if (clustering)
		kmeans_metrics(&metrics, &env, m, X[PGL_TRAIN], ld[PGL_TRAIN], n_train, params.k, opts.seed,
					   info.iterations);
	for (int part = 0; part < 2 && !clustering; part++)
	{
		int64	rows = part == 0 ? n_train : n_test;
		double *pred;

		if (rows == 0)
			continue;
		if (part == PGL_TRAIN && ds->streamed)
		{
			/*
			 * The training rows were not kept: r2 and rmse follow exactly
			 * from the sums of squares; the mean absolute error would need
			 * the rows, so it is reported for the hold-out only.
			 */
			appendStringInfo(&metrics, "\"train\": {\"n\": " INT64_FORMAT, rows);
			appendStringInfo(&metrics, ", \"r2\": %s, \"rmse\": %.10g}",
							 train_sst > 0 ? psprintf("%.10g", 1 - train_sse / train_sst) : "null",
							 sqrt(train_sse / rows));
			continue;
		}
		pred = palloc_extended(sizeof(double) * rows * (classification ? m->n_classes : 1),
							   MCXT_ALLOC_HUGE);
		if (ops->predict(&env, m, X[part], ld[part], rows, pred, &st) != PGL_OK)
			pgl_report(&st, "evaluating the model failed");
		appendStringInfo(&metrics, "%s\"%s\": ", part ? ", " : "", part == 0 ? "train" : "test");
		pgl_metrics_json(&metrics, m, rows, y[part], label[part], pred);
		pfree(pred);
	}
	if (!clustering)
		appendStringInfo(&metrics,
						 ", \"rows_train\": " INT64_FORMAT ", \"rows_test\": " INT64_FORMAT,
						 n_train, n_test);
	if (ds->n_skipped > 0)
		appendStringInfo(&metrics, ", \"rows_skipped_null_target\": " INT64_FORMAT, ds->n_skipped);
	if (n_test_unknown > 0)
		appendStringInfo(&metrics, ", \"rows_test_unknown_class\": " INT64_FORMAT, n_test_unknown);
	if (ops->id == PGL_ALGO_LINEAR_REGRESSION)
		appendStringInfo(&metrics, ", \"rank\": %d", info.rank);
	else if (clustering)
		; /* kmeans_metrics wrote the iterations */
	else
		appendStringInfo(&metrics, ", \"iterations\": %d, \"loss\": %.10g", info.iterations,
						 info.loss);
	appendStringInfoChar(&metrics, '}');

	/* save */
	phase(name, "saving");
	{
		PglTrained t = {name, algorithm, data, options, &opts, n, metrics.data, start};

		result = pgl_store_trained(fcinfo, old, &env, m, &t);
	}
	phase(name, "done");
	phase(name, NULL);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(train_cxt);
	PG_RETURN_DATUM(result);
}
