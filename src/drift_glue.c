/*-------------------------------------------------------------------------
 *
 * drift_glue.c
 *	  The training side of drift monitoring: summaries of the training rows
 *	  collected while the data reader streams them (one pass, no copy: the
 *	  reader hands each staged batch of 128 rows over), stored in the model
 *	  as its drift tensors (src/algo/drift.h).
 *
 *-------------------------------------------------------------------------
 */
#include "drift_glue.h"

#include "utils/memutils.h"

#include "drift.h"
#include "prep.h"
#include "vocab.h"

struct PglDriftCollect
{
	MemoryContext		  cxt;
	pgl_env				  env;
	uint64				  seed;
	PglDataSet			 *ds;  /* the data set fed, NULL until the first batch */
	pgl_drift_sketch	 *num; /* per feature column */
	int64				**cat; /* per categorical column: rows per code */
	int32				 *cat_cap;
	int64				 *cat_nulls;
	MemoryContextCallback cb;
};

static PglDriftCollect *next_collect = NULL;

/* the training's context goes away: never hand a freed collector to a reader */
static void
forget_collect(void *arg)
{
	if (next_collect == arg)
		next_collect = NULL;
}

PglDriftCollect *
pgl_drift_collect_next(MemoryContext cxt, uint64 seed)
{
	PglDriftCollect *dc = MemoryContextAllocZero(cxt, sizeof(PglDriftCollect));

	dc->cxt = cxt;
	dc->env = pgl_backend_env(cxt);
	dc->seed = seed;
	dc->cb.func = forget_collect;
	dc->cb.arg = dc;
	MemoryContextRegisterResetCallback(cxt, &dc->cb);
	next_collect = dc;
	return dc;
}

PglDriftCollect *
pgl_drift_collect_take(void)
{
	PglDriftCollect *dc = next_collect;

	next_collect = NULL;
	return dc;
}

static void
collect_start(PglDriftCollect *dc, PglDataSet *ds)
{
	int n = ds->n_features;

	dc->ds = ds;
	dc->num = MemoryContextAllocZero(dc->cxt, sizeof(pgl_drift_sketch) * Max(n, 1));
	dc->cat = MemoryContextAllocZero(dc->cxt, sizeof(int64 *) * Max(n, 1));
	dc->cat_cap = MemoryContextAllocZero(dc->cxt, sizeof(int32) * Max(n, 1));
	dc->cat_nulls = MemoryContextAllocZero(dc->cxt, sizeof(int64) * Max(n, 1));
	for (int f = 0; f < n; f++)
		pgl_drift_sketch_init(&dc->num[f], dc->seed + (uint64) f);
}

/* count the codes of a categorical column's batch */
static void
feed_codes(PglDriftCollect *dc, int f, PglColumn *c, const double *v, const bool *nl, int k)
{
	int32 size = pgl_vocab_size(c->vocab);

	if (size > dc->cat_cap[f])
	{
		int32  cap = Max(size, dc->cat_cap[f] * 2);
		int64 *grown = MemoryContextAllocZero(dc->cxt, sizeof(int64) * cap);

		if (dc->cat[f])
		{
			memcpy(grown, dc->cat[f], sizeof(int64) * dc->cat_cap[f]);
			pfree(dc->cat[f]);
		}
		dc->cat[f] = grown;
		dc->cat_cap[f] = cap;
	}
	for (int i = 0; i < k; i++)
	{
		if (nl && nl[i])
			dc->cat_nulls[f]++;
		else
			dc->cat[f][(int32) v[i]]++;
	}
}

void
pgl_drift_feed(PglDriftCollect *dc, PglDataSet *ds, const double *stage, const bool *stage_nulls,
			   int stride, int k)
{
	pgl_status st;

	if (dc->ds == NULL)
		collect_start(dc, ds);
	Assert(dc->ds == ds);
	memset(&st, 0, sizeof(st));
	for (int f = 0; f < ds->n_features; f++)
	{
		PglColumn	 *c = &ds->features[f];
		const double *v = stage + (Size) c->col * stride;
		const bool	 *nl = stage_nulls ? stage_nulls + (Size) c->col * stride : NULL;

		if (c->is_text)
			continue;
		if (c->kind == PGL_COL_NUMERIC)
		{
			if (pgl_drift_sketch_add(&dc->env, &dc->num[f], v, nl, k, &st) != PGL_OK)
				pgl_report(&st, "summarizing the training rows failed");
		}
		else
			feed_codes(dc, f, c, v, nl, k);
	}
}

PglColumn *
pgl_drift_column(PglDataSet *ds, const pgl_feature *feat)
{
	for (int i = 0; i < ds->n_features; i++)
	{
		PglColumn *c = &ds->features[i];

		if (feat->kind == PGL_FEATURE_ELEMENT
				? (c->source && strcmp(c->source, feat->name) == 0 && c->element == feat->element)
				: (c->source == NULL && strcmp(c->name, feat->name) == 0))
			return c;
	}
	return NULL;
}

/* the summary of model feature feat from column c (number i of the data set) */
static void
summarize(PglDriftCollect *dc, PglColumn *c, int i, const pgl_feature *feat, pgl_drift_feature *out)
{
	pgl_status st;
	pgl_rc	   rc = PGL_OK;

	memset(&st, 0, sizeof(st));
	memset(out, 0, sizeof(*out));
	if (c == NULL || c->is_text)
		return;
	if (pgl_feature_is_number(feat) && feat->kind != PGL_FEATURE_TOKENS &&
		c->kind == PGL_COL_NUMERIC)
		rc = pgl_drift_sketch_finish(&dc->env, &dc->num[i], PGL_DRIFT_BINS, out, &st);
	else if (feat->kind == PGL_FEATURE_CATEGORICAL && c->kind == PGL_COL_CATEGORICAL)
	{
		int32		 n = dc->cat_cap[i];
		const char **names = palloc(sizeof(char *) * Max(n, 1));

		for (int32 j = 0; j < n; j++)
			names[j] = pgl_vocab_string(c->vocab, j);
		rc = pgl_drift_top_values(&dc->env, dc->cat[i], names, n, dc->cat_nulls[i], PGL_DRIFT_TOP,
								  out, &st);
		/* a value must be in the vocabulary (the model may have dropped some) */
		for (int32 j = 0; rc == PGL_OK && j < out->n; j++)
			if (pgl_category_find(feat, out->values[j], strlen(out->values[j])) < 0)
			{
				memset(out, 0, sizeof(*out));
				break;
			}
	}
	if (rc != PGL_OK)
		pgl_report(&st, "summarizing the training rows failed");
}

void
pgl_drift_attach(PglDriftCollect *dc, pgl_model *m, const pgl_env *env)
{
	pgl_drift_feature *feats;
	pgl_status		   st;
	bool			   any = false;

	if (dc == NULL || dc->ds == NULL || m == NULL || m->n_features == 0 || pgl_drift_present(m))
		return;
	feats = palloc0(sizeof(pgl_drift_feature) * m->n_features);
	for (int f = 0; f < m->n_features; f++)
	{
		PglColumn *c = pgl_drift_column(dc->ds, &m->features[f]);

		summarize(dc, c, c ? (int) (c - dc->ds->features) : -1, &m->features[f], &feats[f]);
		any |= feats[f].kind != PGL_DRIFT_NONE;
	}
	memset(&st, 0, sizeof(st));
	if (any && pgl_drift_store(env, m, feats, &st) != PGL_OK)
		pgl_report(&st, "storing the drift summaries failed");
}
