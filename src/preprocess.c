/*-------------------------------------------------------------------------
 *
 * preprocess.c
 *	  Learning a model's preprocessing from its training rows: the one
 *	  column-to-feature loop and the one vocabulary learner of in-memory
 *	  training, aggregate training and neural networks.
 *
 *-------------------------------------------------------------------------
 */
#include "preprocess.h"
#include "algorithms.h"
#include "options.h"
#include "vocab.h"
#include "data_reader.h"

#include "catalog/pg_type.h"

#include "prep.h"

int32
pgl_learn_vocabulary(PglValueCount *vc, int64 n, bool numeric_order, char ***cats, int32 *mode,
					 int32 *remap)
{
	int64 nk = 0;
	int64 best = -1;

	/* keep the values seen in training, in order */
	for (int64 i = 0; i < n; i++)
		if (vc[i].count > 0)
			vc[nk++] = vc[i];
	pgl_sort_value_counts(vc, nk, numeric_order);
	*cats = palloc(sizeof(char *) * (nk > 0 ? nk : 1));
	*mode = 0;
	for (int64 i = 0; i < nk; i++)
	{
		if (remap)
			remap[vc[i].code] = (int32) i;
		(*cats)[i] = pstrdup(vc[i].str);
		if (vc[i].count > best)
		{
			best = vc[i].count;
			*mode = (int32) i;
		}
	}
	return (int32) nk;
}

int32
pgl_learn_code_vocabulary(PglVocab *vocab, const double *codes, const bool *nulls, int64 n,
						  bool numeric_order, char ***cats, int32 *mode, int32 **remap)
{
	int32		   nv = pgl_vocab_size(vocab);
	PglValueCount *cc = palloc0(sizeof(PglValueCount) * (nv > 0 ? nv : 1));

	*remap = palloc(sizeof(int32) * (nv > 0 ? nv : 1));
	for (int32 i = 0; i < nv; i++)
	{
		cc[i].str = pgl_vocab_string(vocab, i);
		cc[i].code = i;
		(*remap)[i] = -1;
	}
	for (int64 i = 0; i < n; i++)
		if (!(nulls && nulls[i]) && codes[i] >= 0)
			cc[(int32) codes[i]].count++;
	return pgl_learn_vocabulary(cc, nv, numeric_order, cats, mode, *remap);
}

int32
pgl_learn_column_vocabulary(PglDataSet *ds, PglColumn *c, bool numeric_order, char ***cats,
							int32 *mode)
{
	int32 *remap;
	int32  nk = pgl_learn_code_vocabulary(c->vocab, pgl_column_values(ds, c, PGL_TRAIN),
										  c->nulls[PGL_TRAIN], ds->part[PGL_TRAIN].n, numeric_order,
										  cats, mode, &remap);

	for (int part = 0; part < 2; part++)
	{
		double *v = pgl_column_values(ds, c, part);
		bool   *nl = c->nulls[part];

		for (int64 r = 0; r < ds->part[part].n; r++)
			if (!(nl && nl[r]))
				v[r] = remap[(int32) v[r]];
	}
	return nk;
}

static void
pg_attribute_noreturn() null_in_training(const PglColumn *c)
{
	ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("column \"%s\" is NULL in every training row", c->name),
					errhint("Leave it out with \"exclude\", or use a smaller \"test_size\".")));
}

pgl_model *
pgl_learn_features(PglDataSet *ds, int32 algorithm, int32 task, const double *sum,
				   const int64 *count, PglVocabularyFn vocabulary, void *arg)
{
	pgl_model *m = palloc0(sizeof(pgl_model));

	m->algorithm = algorithm;
	m->task = task;
	m->n_features = ds->n_features;
	m->features = palloc0(sizeof(pgl_feature) * (ds->n_features + 1));
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn	*c = &ds->features[f];
		pgl_feature *feat = &m->features[f];

		feat->name = c->name;
		feat->type_name = c->type_name;
		if (c->kind == PGL_COL_NUMERIC)
		{
			feat->kind = PGL_FEATURE_NUMERIC;
			if (count[f] == 0)
				null_in_training(c);
			feat->impute = sum[f] / count[f];
			if (c->length > 0)
			{
				feat->name = c->source;
				feat->kind = PGL_FEATURE_ELEMENT;
				feat->element = c->element;
				feat->length = c->length;
			}
			if (c->is_time)
			{
				/* a date has no hour: its inputs leave it out */
				feat->kind = c->basetype == DATEOID ? PGL_FEATURE_DATE : PGL_FEATURE_TIMESTAMP;
				feat->origin = pgl_time_day_start(c->min[PGL_TRAIN]);
			}
		}
		else if (c->is_text)
			feat->kind = PGL_FEATURE_TEXT; /* its vocabulary: pgl_text_learn (text_glue.c) */
		else
		{
			feat->kind = PGL_FEATURE_CATEGORICAL;
			feat->n_categories =
				vocabulary(arg, c, false, &feat->categories, &feat->impute_category);
			if (feat->n_categories == 0)
				null_in_training(c);
		}
	}
	m->n_inputs = pgl_model_input_width(m);
	m->target_name = ds->target ? ds->target->name : NULL;
	m->target_type = ds->target ? ds->target->type_name : NULL;
	return m;
}

static int32
dataset_vocabulary(void *arg, PglColumn *c, bool numeric_order, char ***cats, int32 *mode)
{
	return pgl_learn_column_vocabulary(arg, c, numeric_order, cats, mode);
}

pgl_model *
pgl_learn_dataset_features(PglDataSet *ds, int32 algorithm, int32 task)
{
	double *sum = palloc0(sizeof(double) * (ds->n_features + 1));
	int64  *count = palloc0(sizeof(int64) * (ds->n_features + 1));

	for (int f = 0; f < ds->n_features; f++)
	{
		sum[f] = ds->features[f].sum[PGL_TRAIN];
		count[f] = ds->features[f].count[PGL_TRAIN];
	}
	return pgl_learn_features(ds, algorithm, task, sum, count, dataset_vocabulary, ds);
}

void
pgl_check_column_nulls(const PglColumn *c, int64 n_nulls, int64 n, bool nulls_error,
					   bool missing_ok)
{
	if (n_nulls == n)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("column \"%s\" is NULL in every row", c->name),
						errhint("Leave it out with \"exclude\": [\"%s\"].", c->name)));
	if (n_nulls > 0 && nulls_error)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("column \"%s\" has " INT64_FORMAT " NULL values", c->name, n_nulls),
				 errdetail("The option \"nulls\" is \"error\"."),
				 missing_ok ? errhint("Filter the rows out, or set \"nulls\": \"missing\" to "
									  "let each split learn where a NULL goes.")
							: errhint("Filter the rows out, or set \"nulls\": \"impute\" to "
									  "use the training mean (numbers) or most frequent "
									  "value (categories).")));
}

void
pgl_check_classes(const pgl_model *m, const char *target)
{
	if (m->n_classes < 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("target column \"%s\" has only one class (%s) in the training rows",
							   target, m->n_classes ? m->classes[0] : "none"),
						errhint("A classifier needs at least two distinct labels.")));
}

int64
pgl_learn_dataset_classes(PglDataSet *ds, pgl_model *m, const char *target)
{
	int32	class_mode;
	int64	n_test = ds->part[PGL_TEST].n;
	int64	n_unknown = 0;
	double *lab;
	bool   *keep;

	m->n_classes = pgl_learn_column_vocabulary(
		ds, ds->target, pgl_type_is_integer(ds->target->typid), &m->classes, &class_mode);
	pgl_check_classes(m, target);
	if (n_test == 0)
		return 0;

	/*
	 * A label seen only in the hold-out is no class of the model: such rows
	 * cannot be scored, so they are left out of the test metrics (and
	 * counted).
	 */
	lab = pgl_column_values(ds, ds->target, PGL_TEST);
	keep = palloc(sizeof(bool) * n_test);
	for (int64 i = 0; i < n_test; i++)
	{
		keep[i] = lab[i] >= 0;
		n_unknown += !keep[i];
	}
	if (n_unknown > 0)
		pgl_compact_part(ds, PGL_TEST, keep);
	return n_unknown;
}

void
pgl_check_rows_read(const PglDataSet *ds, const char *data, const char *target)
{
	if (ds->n_rows == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to train on"),
						ds->n_skipped > 0
							? errdetail(INT64_FORMAT
										" rows were skipped because their target \"%s\" is NULL.",
										ds->n_skipped, target)
							: errdetail("The data \"%s\" returned no rows.", data)));
}

void
pgl_check_rows_split(const PglDataSet *ds, const PglTrainOptions *opts)
{
	if (ds->part[PGL_TRAIN].n == 0)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("no training rows: all " INT64_FORMAT " rows fell in the hold-out", ds->n_rows),
			 errhint("Lower \"test_size\" (now %g), or train on more rows.", ds->test_fraction)));
	for (int f = 0; f < ds->n_features; f++)
		if (!ds->features[f].is_text) /* a NULL text is an empty document */
			pgl_check_column_nulls(&ds->features[f], ds->features[f].n_nulls, ds->n_rows,
								   opts->nulls_error, opts->ops->learns_missing);
}

void
pgl_check_kmeans_k(int32 opt_k, int64 n)
{
	int32 k = opt_k > 0 ? opt_k : 8;

	if (k > n)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("kmeans cannot find %d clusters in " INT64_FORMAT " rows", k, n),
						errhint(opt_k > 0 ? "Choose \"k\" between 1 and the number of rows."
										  : "The default \"k\" is 8; choose a smaller \"k\".")));
}
