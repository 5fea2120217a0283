/*-------------------------------------------------------------------------
 *
 * train_rows.c
 *	  The design-matrix family of the training pipeline (train_glue.h):
 *	  the columns of the data read into memory (or streamed into sufficient
 *	  statistics), one-hot encoded and imputed, fitted by the algorithm's
 *	  operations (algorithms.h) and evaluated on the hold-out.  Every
 *	  algorithm without a glue of its own trains here.
 *
 *-------------------------------------------------------------------------
 */
#include "train_glue.h"
#include "options.h"
#include "data_reader.h"
#include "evaluate.h"
#include "train_agg.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "classes.h"
#include "preprocess.h"
#include "kmeans.h"
#include "xgboost.h"
#include "model_format.h"
#include "prep.h"
#include "store.h"
#include "text_glue.h"
#include "anomaly.h"

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

/* ---------- the family's state ---------- */

typedef struct RowsTrain
{
	bool			 classification;
	int32			 task; /* the model's: the algorithm's, or by objective or target */
	bool			 clustering;
	bool			 anomaly; /* isolation_forest: no target, no hold-out */
	GramHook		*gram;
	PglDataSet		*ds;
	int64			 n, n_train, n_test, n_test_unknown;
	int32			 p;
	double			*X[2];
	pgl_csr			*csr[2]; /* text features and an algorithm that takes_csr: X is NULL */
	int64			 ld[2];
	double			*y[2];
	int32			*label[2];
	pgl_train_params params;
	pgl_train_info	 info;
	double			 train_sse, train_sst;
} RowsTrain;

static void
rows_check(PglTrainCall *c)
{
	const char *algorithm = c->algorithm;
	bool		clustering = c->ops->task == PGL_TASK_CLUSTERING;

	if (c->ops->task == PGL_TASK_ANOMALY)
	{
		pgl_anomaly_check_train(c);
		return;
	}
	if (clustering && c->target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes no target column, but \"%s\" was given", algorithm, c->target),
				 errhint("Clustering uses every column except those in \"exclude\" as features; "
						 "call ai_train(name, '%s', data) without a target, and leave a column "
						 "out with \"exclude\".",
						 algorithm)));
	if (c->target == NULL && !clustering)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s needs a target column", algorithm),
			 errhint("Name the column to predict: ai_train(name, '%s', data, target => 'column').",
					 algorithm)));
}

/* "method": "aggregate", or "auto" when memory would not hold the rows */
static const PglTrainGlue *
rows_method(PglTrainCall *c)
{
	if (c->opts.text != NIL)
	{
		if (c->opts.method == PGL_METHOD_AGGREGATE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("\"method\": \"aggregate\" cannot train on \"text\" columns"),
					 errdetail("A text column's vocabulary is learned from the training rows "
							   "before any pass, and its features are sparse."),
					 errhint("Train in memory (\"method\": \"memory\"), with "
							 "\"max_features\" to bound the width.")));
		return NULL;
	}
	if (c->opts.method == PGL_METHOD_AGGREGATE ||
		(c->opts.method == PGL_METHOD_AUTO &&
		 pgl_aggregate_wanted(c->ops, c->data, c->target, &c->opts)))
		return &pgl_glue_aggregate;
	return NULL;
}

/* below 50 rows a default hold-out would be too small to tell anything */
static void
merge_small_holdout(RowsTrain *r)
{
	PglDataSet *ds = r->ds;

	if (!ds->streamed)
	{
		pgl_merge_parts(ds);
		return;
	}
	/* the hold-out rows join the streamed statistics */
	{
		PglPart		  *te = &ds->part[PGL_TEST];
		const double **cols = palloc(sizeof(double *) * ds->ncols);
		const bool	 **nulls = palloc(sizeof(bool *) * ds->ncols);

		for (int c = 0; c < ds->ncols; c++)
			cols[c] = te->block + (Size) c * te->cap;
		for (int f = 0; f < ds->n_features; f++)
			nulls[ds->features[f].col] = ds->features[f].nulls[PGL_TEST];
		nulls[ds->target->col] = NULL;
		gram_hook(r->gram, ds, cols, nulls, (int) te->n);
		for (int f = 0; f < ds->n_features; f++)
		{
			PglColumn *c = &ds->features[f];

			c->sum[PGL_TRAIN] += c->sum[PGL_TEST];
			c->count[PGL_TRAIN] += c->count[PGL_TEST];
		}
		ds->part[PGL_TRAIN].n += te->n;
		te->n = 0;
	}
}

/*
 * Read, routing each row to the training rows or the hold-out.  An
 * algorithm that can fit from sufficient statistics gets the training rows
 * in batches as they arrive (when every feature is a number), so they are
 * never stored.
 */
static void
rows_read(PglTrainCall *c)
{
	RowsTrain		   *r = palloc0(sizeof(RowsTrain));
	const pgl_algo_ops *ops = c->ops;
	PglDataSet		   *ds;
	PglReadExtra		extra;

	c->state = r;
	r->task = ops->task ? ops->task : pgl_xgb_objective_task(c->opts.objective);
	r->clustering = ops->task == PGL_TASK_CLUSTERING;
	r->anomaly = ops->task == PGL_TASK_ANOMALY;

	/*
	 * While rows stream in, the one BLAS user is the Gram worker thread; a
	 * BLAS thread pool of its own would only compete with the reader.
	 */
	pgl_set_blas_threads_n(ops->train_gram ? 1 : pgl_thread_count());
	r->gram = palloc0(sizeof(GramHook));
	r->gram->env = c->env;
	{
		MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

		cb->func = gram_cleanup;
		cb->arg = r->gram;
		MemoryContextRegisterResetCallback(c->cxt, cb);
	}
	memset(&extra, 0, sizeof(extra));
	extra.text = c->opts.text;
	r->ds = ds = pgl_read_data_extra(
		c->data, c->target,
		r->task == PGL_TASK_CLASSIFICATION ? PGL_COL_CATEGORICAL
		: r->task == 0					   ? PGL_COL_AUTO
										   : PGL_COL_NUMERIC,
		c->opts.exclude, NIL, c->algorithm,
		r->clustering || r->anomaly ? 0.0 : PGL_TEST_FRACTION(c->opts.test_size), c->opts.seed,
		c->opts.fold, r->clustering || r->anomaly ? 0 : c->opts.folds,
		ops->train_gram ? gram_hook : NULL, r->gram, &extra);
	pgl_check_rows_read(ds, c->data, c->target);
	/* a task by the target's type ("objective": "auto") */
	if (r->task == 0 && ds->target)
		r->task =
			ds->target->kind == PGL_COL_CATEGORICAL ? PGL_TASK_CLASSIFICATION : PGL_TASK_REGRESSION;
	r->classification = r->task == PGL_TASK_CLASSIFICATION;
	if (c->opts.test_size < 0 && ds->n_rows < 50 && ds->part[PGL_TEST].n > 0)
		merge_small_holdout(r);
	pgl_check_rows_split(ds, &c->opts);
	r->n = ds->n_rows;
	r->n_train = ds->part[PGL_TRAIN].n;
	r->n_test = ds->part[PGL_TEST].n;
}

/*
 * The design matrix of a part with text features: CSR for an algorithm
 * that takes it, else densified.
 */
static void
text_design_matrix(RowsTrain *r, pgl_model *m, int part, bool takes_csr)
{
	PglDataSet *ds = r->ds;
	int64		rows = ds->part[part].n;
	Size		held = r->csr[PGL_TRAIN] ? pgl_csr_bytes(r->csr[PGL_TRAIN]) : 0;
	pgl_csr	   *A = pgl_text_design(ds, m, part, held);

	r->ld[part] = rows;
	if (takes_csr)
	{
		r->csr[part] = A;
		return;
	}
	pgl_check_memory(ds->bytes + held + pgl_csr_bytes(A) + (Size) rows * r->p * sizeof(double),
					 psprintf("encoding " INT64_FORMAT " rows into %d inputs (text features "
							  "densified for this algorithm)",
							  rows, r->p));
	r->X[part] = palloc_extended(sizeof(double) * rows * (r->p > 0 ? r->p : 1), MCXT_ALLOC_HUGE);
	pgl_csr_dense_rows(A, 0, rows, r->X[part]);
}

/* the design matrix of a part: the block itself when nothing needs encoding */
static void
design_matrix(RowsTrain *r, pgl_model *m, int part, bool takes_csr)
{
	PglDataSet *ds = r->ds;
	int64		rows = ds->part[part].n;
	int32		p = r->p;
	bool		direct = true;

	for (int f = 0; f < ds->n_features; f++)
		if (ds->features[f].kind != PGL_COL_NUMERIC || ds->features[f].is_time ||
			ds->features[f].nulls[part])
			direct = false;
	r->ld[part] = 1;
	if (rows == 0)
		r->X[part] = NULL;
	else if (pgl_model_has_text(m))
		text_design_matrix(r, m, part, takes_csr);
	else if (direct)
	{
		r->X[part] = ds->part[part].block;
		r->ld[part] = ds->part[part].cap;
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
		r->X[part] = palloc_extended(sizeof(double) * rows * (p > 0 ? p : 1), MCXT_ALLOC_HUGE);
		pgl_encode_rows(m, raw, rnull, NULL, rows, r->X[part]);
		r->ld[part] = rows;
	}
	if (r->classification)
	{
		double *lab = pgl_column_values(ds, ds->target, part);

		r->label[part] = palloc_extended(sizeof(int32) * (rows + 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < rows; i++)
			r->label[part][i] = (int32) lab[i];
	}
	else if (ds->target)
		r->y[part] = pgl_column_values(ds, ds->target, part);
}

/* the model's preprocessing, learned on the training rows, and the design matrices */
static void
rows_preprocess(PglTrainCall *c)
{
	RowsTrain  *r = c->state;
	PglDataSet *ds = r->ds;
	pgl_model  *m;

	m = c->m = pgl_learn_dataset_features(ds, c->ops->id, r->task);
	if (c->opts.text != NIL)
		pgl_text_learn(ds, m, &c->opts);
	r->p = m->n_inputs;
	/* a NULL stays missing (NaN) for an algorithm that learns where it goes */
	if (c->ops->learns_missing)
		for (int f = 0; f < m->n_features; f++)
			if (pgl_feature_is_number(&m->features[f]))
				m->features[f].impute = NAN;
	r->ld[PGL_TRAIN] = r->ld[PGL_TEST] = 1;
	if (r->clustering)
		pgl_check_kmeans_k(c->opts.k, r->n_train);
	if (r->classification)
	{
		r->n_test_unknown = pgl_learn_dataset_classes(ds, m, c->target);
		r->n_test = ds->part[PGL_TEST].n;
	}
	for (int part = 0; part < 2; part++)
		if (!(part == PGL_TRAIN && ds->streamed))
			design_matrix(r, m, part, c->ops->takes_csr);
}

void
pgl_train_params_from(pgl_train_params *params, const pgl_algo_ops *ops,
					  const PglTrainOptions *opts)
{
	bool clustering = ops->task == PGL_TASK_CLUSTERING;

	memset(params, 0, sizeof(*params));
	params->l2 = opts->l2 >= 0 ? opts->l2 : ops->default_l2;
	params->max_iter = opts->max_iter > 0 ? opts->max_iter : clustering ? 100 : 200;
	params->tol = opts->tol;
	params->seed = opts->seed;
	params->k = opts->k > 0 ? opts->k : 8;
	params->sample = NULL;
	params->sample_rows = 0;
	params->threads = pgl_thread_count();
	params->n_estimators = opts->n_estimators;
	params->max_depth = opts->max_depth;
	params->max_bin = opts->max_bin;
	params->early_stopping_rounds = opts->early_stopping_rounds;
	params->objective = opts->objective;
	params->learning_rate = opts->learning_rate;
	params->subsample = opts->subsample;
	params->colsample_bytree = opts->colsample_bytree;
	params->colsample_bynode = opts->colsample_bynode;
	params->min_child_weight = opts->min_child_weight;
	params->l1 = opts->l1;
	params->contamination = opts->contamination;
}

void
pgl_kmeans_metrics_json(StringInfo buf, int64 n, double inertia, double silhouette,
						const int64 *sizes, int32 k, int32 iterations)
{
	appendStringInfo(buf, "\"train\": {\"n\": " INT64_FORMAT ", \"inertia\": %.10g", n, inertia);
	appendStringInfo(buf, ", \"silhouette\": %s, \"cluster_sizes\": [",
					 isfinite(silhouette) ? psprintf("%.10g", silhouette) : "null");
	for (int32 i = 0; i < k; i++)
		appendStringInfo(buf, "%s" INT64_FORMAT, i ? ", " : "", sizes ? sizes[i] : 0);
	appendStringInfo(buf, "]}, \"iterations\": %d", iterations);
}

static void
rows_fit(PglTrainCall *c)
{
	RowsTrain		   *r = c->state;
	const pgl_algo_ops *ops = c->ops;
	pgl_model		   *m = c->m;
	pgl_dataset			dset, holdout;
	pgl_status			st;

	pgl_set_blas_threads();
	memset(&st, 0, sizeof(st));
	for (int part = 0; part < 2; part++)
	{
		pgl_dataset *d = part == PGL_TRAIN ? &dset : &holdout;

		d->X = r->X[part];
		d->csr = r->csr[part];
		d->ld = r->ld[part];
		d->n = part == PGL_TRAIN ? r->n_train : r->n_test;
		d->p = r->p;
		d->y = r->y[part];
		d->label = r->label[part];
		d->n_classes = m->n_classes;
	}
	pgl_train_params_from(&r->params, ops, &c->opts);
	r->params.holdout = &holdout;
	if (ops->train_memory && r->csr[PGL_TRAIN] == NULL)
		pgl_check_memory(r->ds->bytes +
							 (Size) ops->train_memory(r->n_train + r->n_test, r->p, m->n_classes),
						 psprintf("training %s on " INT64_FORMAT " rows of %d inputs", ops->name,
								  r->n_train + r->n_test, r->p));
	r->params.class_weight =
		r->classification
			? pgl_classes_prepare(&c->opts, &c->env, m, r->label, (int64[2]){r->n_train, r->n_test})
			: NULL;
	if (r->clustering && !pgl_model_has_text(m))
	{
		/* the seeding sample, drawn as the aggregate method draws it (not text: the blob's
		 * preprocessing leaves documents out; kmeans then seeds from the training rows) */
		bytea *prep = pgl_prep_blob(&c->env, m, r->params.k);

		r->params.sample =
			pgl_kmeans_sample(pgl_data_query(c->data), prep, r->p, r->params.k, r->n_train,
							  c->opts.seed, &r->params.sample_rows, NULL);
	}
	if (r->ds->streamed)
	{
		double *impute = palloc(sizeof(double) * (r->p + 1));

		for (int f = 0; f < m->n_features; f++)
			impute[f] = m->features[f].impute;
		if (ops->train_gram(&c->env, &r->gram->g, impute, &r->params, m, &r->info, &r->train_sse,
							&r->train_sst, &st) != PGL_OK)
			pgl_report(&st, psprintf("training \"%s\" failed", c->name));
		gram_cleanup(r->gram);
	}
	else if (ops->train(&c->env, &dset, &r->params, m, &r->info, &st) != PGL_OK)
		pgl_report(&st, psprintf("training \"%s\" failed", c->name));
	if (r->classification)
		pgl_classes_finish(&c->opts, &c->env, m);
	pgl_apply_storage(&c->env, m, c->opts.storage);
}

/*
 * kmeans: {"train": {"n", "inertia", "silhouette", "cluster_sizes"},
 * "iterations"}; the silhouette is null with fewer than two clusters.
 */
static void
kmeans_metrics(PglTrainCall *c, StringInfo buf)
{
	RowsTrain		 *r = c->state;
	const pgl_model	 *m = c->m;
	int64			  n = r->n_train;
	int32			  k = r->params.k;
	const pgl_tensor *in = pgl_model_tensor(m, "inertia");
	const pgl_tensor *cent = pgl_model_tensor(m, "centroids");
	int32			 *label = palloc_extended(sizeof(int32) * (n + 1), MCXT_ALLOC_HUGE);
	int64			 *sizes = palloc0(sizeof(int64) * k);
	double			  sil;
	pgl_status		  st;

	memset(&st, 0, sizeof(st));
	if (pgl_kmeans_assign(&c->env, cent->data, k, m->n_inputs, r->X[PGL_TRAIN], r->ld[PGL_TRAIN], n,
						  label, NULL, &st) != PGL_OK ||
		pgl_kmeans_silhouette(&c->env, r->X[PGL_TRAIN], r->ld[PGL_TRAIN], n, m->n_inputs, label, k,
							  c->opts.seed, &sil, &st) != PGL_OK)
		pgl_report(&st, "evaluating the model failed");
	for (int64 i = 0; i < n; i++)
		sizes[label[i]]++;
	pgl_kmeans_metrics_json(buf, n, *(const double *) in->data, sil, sizes, k, r->info.iterations);
}

/* predict the rows of a sparse design matrix, densified a block of rows at a time */
static void
predict_csr(PglTrainCall *c, const pgl_csr *A, double *pred)
{
	int32	   p = A->n_cols > 0 ? A->n_cols : 1;
	int64	   block = Max(1, Min(A->n_rows, (4 * 1024 * 1024) / p));
	int32	   width = c->m->task == PGL_TASK_CLASSIFICATION ? c->m->n_classes : 1;
	double	  *X = palloc_extended(sizeof(double) * block * p, MCXT_ALLOC_HUGE);
	pgl_status st;

	memset(&st, 0, sizeof(st));
	for (int64 r0 = 0; r0 < A->n_rows; r0 += block)
	{
		int64 rows = Min(block, A->n_rows - r0);

		pgl_csr_dense_rows(A, r0, rows, X);
		if (c->ops->predict(&c->env, c->m, X, rows, rows, pred + r0 * width, &st) != PGL_OK)
			pgl_report(&st, "evaluating the model failed");
		CHECK_FOR_INTERRUPTS();
	}
	pfree(X);
}

/* the metrics of one part: predicted and compared */
static void
part_metrics(PglTrainCall *c, StringInfo buf, int part)
{
	RowsTrain *r = c->state;
	int64	   rows = part == PGL_TRAIN ? r->n_train : r->n_test;
	double	  *pred;
	pgl_status st;

	if (rows == 0)
		return;
	if (part == PGL_TRAIN && r->ds->streamed)
	{
		/*
		 * The training rows were not kept: r2 and rmse follow exactly from
		 * the sums of squares; the mean absolute error would need the rows,
		 * so it is reported for the hold-out only.
		 */
		appendStringInfo(buf, "\"train\": {\"n\": " INT64_FORMAT, rows);
		appendStringInfo(buf, ", \"r2\": %s, \"rmse\": %.10g}",
						 r->train_sst > 0 ? psprintf("%.10g", 1 - r->train_sse / r->train_sst)
										  : "null",
						 sqrt(r->train_sse / rows));
		return;
	}
	memset(&st, 0, sizeof(st));
	pred = palloc_extended(sizeof(double) * rows * (r->classification ? c->m->n_classes : 1),
						   MCXT_ALLOC_HUGE);
	if (r->csr[part])
		predict_csr(c, r->csr[part], pred);
	else if (c->ops->predict(&c->env, c->m, r->X[part], r->ld[part], rows, pred, &st) != PGL_OK)
		pgl_report(&st, "evaluating the model failed");
	appendStringInfo(buf, "%s\"%s\": ", part ? ", " : "", part == 0 ? "train" : "test");
	pgl_metrics_json(buf, c->m, rows, r->y[part], r->label[part], pred);
	pfree(pred);
}

static void
rows_metrics(PglTrainCall *c, StringInfo buf)
{
	RowsTrain *r = c->state;

	appendStringInfoChar(buf, '{');
	if (r->clustering)
		kmeans_metrics(c, buf);
	else if (r->anomaly)
		pgl_anomaly_metrics(c, r->X[PGL_TRAIN], r->ld[PGL_TRAIN], r->n_train, buf);
	else
	{
		part_metrics(c, buf, PGL_TRAIN);
		part_metrics(c, buf, PGL_TEST);
		appendStringInfo(buf, ", \"rows_train\": " INT64_FORMAT ", \"rows_test\": " INT64_FORMAT,
						 r->n_train, r->n_test);
	}
	if (r->ds->n_skipped > 0)
		appendStringInfo(buf, ", \"rows_skipped_null_target\": " INT64_FORMAT, r->ds->n_skipped);
	if (r->n_test_unknown > 0)
		appendStringInfo(buf, ", \"rows_test_unknown_class\": " INT64_FORMAT, r->n_test_unknown);
	if (c->ops->id == PGL_ALGO_LINEAR_REGRESSION)
		appendStringInfo(buf, ", \"rank\": %d", r->info.rank);
	else if (!r->clustering && !r->anomaly) /* kmeans_metrics wrote the iterations */
		appendStringInfo(buf, ", \"iterations\": %d, \"loss\": %s", r->info.iterations,
						 isfinite(r->info.loss) ? psprintf("%.10g", r->info.loss) : "null");
	appendStringInfoChar(buf, '}');
	c->rows_used = r->n;
}

const PglTrainGlue pgl_glue_rows = {
	.check = rows_check,
	.method = rows_method,
	.read = rows_read,
	.preprocess = rows_preprocess,
	.fit = rows_fit,
	.metrics = rows_metrics,
};
