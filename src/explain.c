/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  ai_explain: the contribution of each feature to one row's score.
 *
 * Linear and logistic models: exact additive contributions on the link
 * scale.  neural_net over feature columns: baseline Shapley values by
 * permutation sampling.  kmeans: the squared distance to the assigned
 * centroid, split by feature.  Tree ensembles: exact TreeSHAP on the
 * margin.  The row is scored by predict.c, in the
 * version asked for ("version => N", or the deployed one).
 *
 *-------------------------------------------------------------------------
 */
#include "predict.h"

#include "data_reader.h"
#include "prep.h"
#include "trees.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(ai_explain);

/* the reference row, encoded: numeric features at their training mean, categorical at the mode */
static double *
explain_reference(const pgl_model *m)
{
	double *ref = palloc(sizeof(double) * (m->n_inputs + 1));
	int		col = 0;

	for (int f = 0; f < m->n_features; f++)
	{
		const pgl_feature *feat = &m->features[f];

		if (feat->kind == PGL_FEATURE_NUMERIC || feat->kind == PGL_FEATURE_ELEMENT)
			ref[col++] = feat->impute;
		else if (pgl_feature_is_number(feat))
		{
			pgl_time_expand(feat->kind, feat->origin, feat->impute, ref + col);
			col += pgl_feature_width(feat);
		}
		else if (feat->kind == PGL_FEATURE_TEXT)
		{
			/* the empty document */
			memset(ref + col, 0, sizeof(double) * feat->n_categories);
			col += feat->n_categories;
		}
		else
		{
			for (int k = 0; k < feat->n_categories; k++)
				ref[col + k] = k == feat->impute_category ? 1.0 : 0.0;
			col += feat->n_categories;
		}
	}
	return ref;
}

/* one output row: feature f (f < 0: the (base) row) */
static void
explain_emit(ReturnSetInfo *rsinfo, PglPredictState *st, int f, double contribution,
			 const char *cls)
{
	const pgl_model *m = st->model;
	Datum			 values[4];
	bool			 nulls[4] = {false, false, false, false};

	if (f < 0)
	{
		values[0] = CStringGetTextDatum("(base)");
		nulls[1] = true;
	}
	else
	{
		const pgl_feature *feat = &m->features[f];

		values[0] = CStringGetTextDatum(pgl_feature_display_name(feat));
		if (st->isnull[f])
			nulls[1] = true; /* imputed */
		else if (feat->kind == PGL_FEATURE_TEXT)
			values[1] = CStringGetTextDatum(pnstrdup(st->doc[f], st->doc_len[f]));
		else if (feat->kind == PGL_FEATURE_NUMERIC || feat->kind == PGL_FEATURE_ELEMENT)
			values[1] = CStringGetTextDatum(psprintf("%.15g", st->raw[f]));
		else if (pgl_feature_is_number(feat))
			values[1] = CStringGetTextDatum(pgl_time_text(feat->kind, st->raw[f]));
		else
			values[1] = CStringGetTextDatum(st->raw[f] >= 0 ? feat->categories[(int) st->raw[f]]
															: "(unseen)");
	}
	values[2] = Float8GetDatum(contribution);
	values[3] = cls ? CStringGetTextDatum(cls) : (Datum) 0;
	nulls[3] = cls == NULL;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* a small fixed-seed generator (splitmix64) for the permutations */
static uint64
explain_next(uint64 *state)
{
	uint64 z = (*state += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

#define EXPLAIN_SEED UINT64CONST(20261124)

/*
 * Permutation k into perm: even k a fresh random one (Fisher-Yates), odd k
 * the reverse of the one before (antithetic pairs: for two features a pair
 * gives the exact Shapley values, and in general it lowers the variance).
 */
static void
explain_permutation(int k, uint64 *rng, int *perm, int p)
{
	if (k % 2 == 1)
	{
		for (int a = 0, b = p - 1; a < b; a++, b--)
		{
			int t = perm[a];

			perm[a] = perm[b];
			perm[b] = t;
		}
		return;
	}
	for (int f = 0; f < p; f++)
		perm[f] = f;
	for (int f = p - 1; f > 0; f--)
	{
		int j = (int) (explain_next(rng) % (uint64) (f + 1));
		int t = perm[f];

		perm[f] = perm[j];
		perm[j] = t;
	}
}

/*
 * neural_net over feature columns: baseline Shapley values by permutation
 * sampling.  For each of M seeded permutations (in antithetic pairs: a
 * random one, then its reverse) the features are switched
 * from the reference to the row's value one at a time, and each is credited
 * the change of every output; the credits are averaged over the
 * permutations.  The two ends of every permutation (the reference and the
 * row itself) are predicted one row at a time exactly like ai_predict, the
 * M*(p-1) rows in between in one batch, so each permutation telescopes to
 * f(x) - f(reference) and the contributions plus the base f(reference) add
 * up to ai_predict / ai_predict_proba.
 */
static void
explain_neural_net(ReturnSetInfo *rsinfo, PglPredictState *st)
{
	const pgl_model *m = st->model;
	int				 p = m->n_features;
	int				 q = m->n_inputs;
	int				 width = st->n_out;
	int				 M = pgl_explain_permutations;
	int64			 nrows = (int64) M * (p > 1 ? p - 1 : 0);
	double			*ref = explain_reference(m);
	double			*fref = palloc(sizeof(double) * width);
	double			*fx = palloc(sizeof(double) * width);
	double			*contrib = palloc0(sizeof(double) * p * width);
	int				*start = palloc(sizeof(int) * (p + 1));
	int				*perm = palloc(sizeof(int) * (p + 1));
	double			*row = palloc(sizeof(double) * (q + 1));
	double			*X = NULL, *out = NULL;
	uint64			 rng = EXPLAIN_SEED;
	pgl_env			 env = pgl_backend_env(CurrentMemoryContext);
	pgl_status		 s;

	memcpy(fx, st->out, sizeof(double) * width);
	start[0] = 0;
	for (int f = 0; f < p; f++)
		start[f + 1] = start[f] + pgl_feature_width(&m->features[f]);

	memset(&s, 0, sizeof(s));
	if (st->ops->predict(&env, m, ref, 1, 1, fref, &s) != PGL_OK)
		pgl_report(&s, "prediction failed");

	/* the hybrid rows, column-major (ld = nrows) */
	if (nrows > 0)
	{
		if ((Size) nrows * (Size) q > MaxAllocHugeSize / sizeof(double) / 2)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							errmsg("ai_explain would need %lld hybrid rows of %d inputs",
								   (long long) nrows, q),
							errhint("Lower pg_learn.explain_permutations (now %d).", M)));
		X = palloc_extended(sizeof(double) * nrows * q, MCXT_ALLOC_HUGE);
		out = palloc_extended(sizeof(double) * nrows * width, MCXT_ALLOC_HUGE);
	}
	for (int k = 0; k < M; k++)
	{
		explain_permutation(k, &rng, perm, p);
		memcpy(row, ref, sizeof(double) * q);
		for (int step = 0; step + 1 < p; step++)
		{
			int	  f = perm[step];
			int64 r = (int64) k * (p - 1) + step;

			for (int j = start[f]; j < start[f + 1]; j++)
				row[j] = st->x[j];
			for (int j = 0; j < q; j++)
				X[r + nrows * j] = row[j];
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (nrows > 0)
	{
		memset(&s, 0, sizeof(s));
		if (st->ops->predict(&env, m, X, nrows, nrows, out, &s) != PGL_OK)
			pgl_report(&s, "prediction failed");
	}

	/* replay the same permutations and credit each step's change */
	rng = EXPLAIN_SEED;
	for (int k = 0; k < M; k++)
	{
		explain_permutation(k, &rng, perm, p);
		for (int step = 0; step < p; step++)
		{
			int			  f = perm[step];
			const double *before =
				step == 0 ? fref : out + ((int64) k * (p - 1) + step - 1) * width;
			const double *after = step == p - 1 ? fx : out + ((int64) k * (p - 1) + step) * width;

			for (int c = 0; c < width; c++)
				contrib[f * width + c] += after[c] - before[c];
		}
	}

	for (int c = 0; c < width; c++)
	{
		const char *cls = m->task == PGL_TASK_CLASSIFICATION ? m->classes[c] : NULL;

		explain_emit(rsinfo, st, -1, fref[c], cls);
		for (int f = 0; f < p; f++)
			explain_emit(rsinfo, st, f, contrib[f * width + c] / M, cls);
	}
}

/*
 * kmeans: the squared distance of the row to its assigned centroid, split by
 * feature (the sum of (x_j - c_j)² over the feature's inputs); base 0.
 */
static void
explain_kmeans(ReturnSetInfo *rsinfo, PglPredictState *st)
{
	const pgl_model	 *m = st->model;
	const pgl_tensor *t = pgl_model_tensor(m, "centroids");
	int64			  cluster = (int64) st->out[0];
	const double	 *c = (const double *) t->data + cluster * t->dims[1];
	char			 *cls = psprintf("%lld", (long long) cluster + 1);
	int				  col = 0;

	explain_emit(rsinfo, st, -1, 0.0, cls);
	for (int f = 0; f < m->n_features; f++)
	{
		int	   width = pgl_feature_width(&m->features[f]);
		double d2 = 0;

		for (int j = col; j < col + width; j++)
			d2 += (st->x[j] - c[j]) * (st->x[j] - c[j]);
		col += width;
		explain_emit(rsinfo, st, f, d2, cls);
	}
}

/*
 * A text feature of a linear model: one row per term of the document,
 * named "column:term", its TF-IDF value and its contribution (the reference
 * is the empty document, so the terms absent from the row add nothing).
 */
static void
explain_terms(ReturnSetInfo *rsinfo, const pgl_feature *feat, const double *x, const double *w,
			  int64 ncol, int64 c, const char *cls)
{
	for (int k = 0; k < feat->n_categories; k++)
	{
		Datum values[4];
		bool  nulls[4] = {false, false, false, false};

		if (x[k] == 0)
			continue;
		values[0] = CStringGetTextDatum(psprintf("%s:%s", feat->name, feat->categories[k]));
		values[1] = CStringGetTextDatum(psprintf("%.6g", x[k]));
		values[2] = Float8GetDatum(w[(Size) k * ncol + c] * x[k]);
		values[3] = cls ? CStringGetTextDatum(cls) : (Datum) 0;
		nulls[3] = cls == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * Exact additive explanation of a linear or logistic model, on the link
 * scale (the prediction itself, or the log-odds / softmax input of the
 * explained class), relative to a reference row: every numeric feature at its
 * training mean, every categorical one at its most frequent category.  A
 * '(base)' row carries the reference's score, so the contributions of all
 * rows add up to the row's score exactly.
 */
static void
explain_linear(ReturnSetInfo *rsinfo, PglPredictState *st)
{
	const pgl_model	 *m = st->model;
	const pgl_tensor *t = pgl_model_tensor(m, "coef");
	const double	 *w = t->data;
	int64			  ncol = t->dims[1];
	int64			  c = 0;
	double			 *ref;
	double			  base;
	int				  col = 0;
	const char		 *cls = NULL;

	/* the class explained: the predicted one (for two classes, the second's log-odds) */
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		int best = 0;

		for (int i = 1; i < st->n_out; i++)
			if (st->out[i] > st->out[best])
				best = i;
		c = ncol == 1 ? 0 : best;
		cls = m->classes[ncol == 1 ? 1 : best];
	}

	ref = explain_reference(m);
	base = w[(Size) m->n_inputs * ncol + c];
	for (int i = 0; i < m->n_inputs; i++)
		base += w[(Size) i * ncol + c] * ref[i];
	explain_emit(rsinfo, st, -1, base, cls);

	for (int f = 0; f < m->n_features; f++)
	{
		int	   width = pgl_feature_width(&m->features[f]);
		double contribution = 0;

		if (m->features[f].kind == PGL_FEATURE_TEXT)
		{
			explain_terms(rsinfo, &m->features[f], st->x + col, w + (Size) col * ncol, ncol, c,
						  cls);
			col += width;
			continue;
		}
		for (int i = col; i < col + width; i++)
			contribution += w[(Size) i * ncol + c] * (st->x[i] - ref[i]);
		col += width;
		explain_emit(rsinfo, st, f, contribution, cls);
	}
}

/*
 * Tree ensembles: exact path-dependent TreeSHAP (trees.c) on the margin of
 * the explained output (the prediction before the link: the log-odds of
 * the second class, the predicted class's softmax input, or the value
 * before exp); '(base)' is the expected margin, so the rows add up to the
 * row's margin.  A one-hot feature's contribution is the sum of its inputs'.
 */
static void
explain_trees(ReturnSetInfo *rsinfo, PglPredictState *st)
{
	const pgl_model *m = st->model;
	int				 p = m->n_inputs;
	pgl_env			 env = pgl_backend_env(CurrentMemoryContext);
	pgl_trees		 t;
	pgl_status		 err;
	double			*phi;
	const double	*g;
	int				 group = 0, col = 0;
	const char		*cls = NULL;

	memset(&err, 0, sizeof(err));
	if (pgl_trees_get(m, &t, &err) != PGL_OK)
		pgl_report(&err, "explaining the row failed");
	phi = palloc(sizeof(double) * (Size) t.n_groups * (p + 1));
	if (pgl_trees_shap(&env, &t, st->x, 1, 1, phi, &err) != PGL_OK)
		pgl_report(&err, "explaining the row failed");
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		int best = 0;

		for (int i = 1; i < st->n_out; i++)
			if (st->out[i] > st->out[best])
				best = i;
		group = t.n_groups == 1 ? 0 : best;
		cls = m->classes[t.n_groups == 1 ? 1 : best];
	}
	g = phi + (Size) group * (p + 1);
	explain_emit(rsinfo, st, -1, g[p], cls);
	for (int f = 0; f < m->n_features; f++)
	{
		int	   width = pgl_feature_width(&m->features[f]);
		double contribution = 0;

		for (int i = col; i < col + width; i++)
			contribution += g[i];
		col += width;
		explain_emit(rsinfo, st, f, contribution, cls);
	}
}

/*
 * ai_explain(name, features, version): not STRICT (a NULL version means the
 * deployed one), so a NULL name or row gives no rows here.
 */
Datum
ai_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PglPredictState *st;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	st = pgl_predict_record(fcinfo, PGL_WANT_EXPLAIN, 2);
	if (st->model->algorithm == PGL_ALGO_NEURAL_NET)
		explain_neural_net(rsinfo, st);
	else if (st->model->algorithm == PGL_ALGO_KMEANS)
		explain_kmeans(rsinfo, st);
	else if (st->model->algorithm == PGL_ALGO_XGBOOST ||
			 st->model->algorithm == PGL_ALGO_RANDOM_FOREST)
		explain_trees(rsinfo, st);
	else
		explain_linear(rsinfo, st);
	return (Datum) 0;
}
