/*-------------------------------------------------------------------------
 *
 * chart_glue.c
 *	  ai_chart(name, kind, data, version, options): a self-contained SVG
 *	  chart of a model (src/chart draws it).
 *
 * Each kind is one function and one line of the kinds table.  A kind gathers
 * its numbers (a stored tensor, predictions on data, ai_feature_importance)
 * and hands them to src/chart; the errors a user can cause (a kind the
 * model's family has no chart of, data without the target, no rows) are
 * raised here or by the shared readers.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "vocab.h"
#include "data_reader.h"
#include "catalog.h"
#include "model_cache.h"
#include "evaluate.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "classifier.h"
#include "metrics.h"
#include "nn.h"
#include "nn_glue.h"
#include "text_glue.h"

#include "chart.h"
#include "forecast/family.h"
#include "forecast_glue.h"
#include "curves.h"

PG_FUNCTION_INFO_V1(ai_chart);

#define CHART_MAX_POINTS 1000000

/* the call: arguments, options, the model */
typedef struct ChartCall
{
	const char		*name;
	const char		*kind;
	const char		*data;	  /* NULL: none given */
	int32			 version; /* 0: the deployed one */
	int64			 version_id;
	int32			 version_no; /* the version's number, for titles */
	const pgl_model *m;
	/* options */
	const char *title; /* NULL: the kind's own */
	int			width, height;
	int			top;		/* importance: features shown */
	const char *importance; /* importance: permutation, gain, cover or weight */
	int64		max_points; /* roc, pr, residuals: points drawn at most */
	bool		max_points_set;
	const char *series;	 /* forecast: the series (NULL: the only one) */
	int			horizon; /* forecast: periods (0: the model's "horizon") */
	double		level;	 /* forecast: the band (0: the model's "level") */
} ChartCall;

typedef void (*ChartFn)(ChartCall *c, pgl_svg *s);

static void chart_learning_curve(ChartCall *c, pgl_svg *s);
static void chart_roc(ChartCall *c, pgl_svg *s);
static void chart_pr(ChartCall *c, pgl_svg *s);
static void chart_confusion(ChartCall *c, pgl_svg *s);
static void chart_importance(ChartCall *c, pgl_svg *s);
static void chart_residuals(ChartCall *c, pgl_svg *s);
static void chart_drift(ChartCall *c, pgl_svg *s);
static void chart_forecast(ChartCall *c, pgl_svg *s);

/* data: the kind reads rows of the data argument (and needs it); fn NULL: not built yet */
static const struct
{
	const char *name;
	ChartFn		fn;
	bool		data;
} kinds[] = {
	{"learning_curve", chart_learning_curve, false},
	{"roc", chart_roc, true},
	{"pr", chart_pr, true},
	{"confusion", chart_confusion, true},
	{"importance", chart_importance, false},
	{"residuals", chart_residuals, true},
	{"forecast", chart_forecast, false},
	{"drift", chart_drift, true},
};

/* "learning_curve, roc, ..." : the kinds that are built */
static char *
valid_kinds(void)
{
	StringInfoData b;

	initStringInfo(&b);
	for (size_t i = 0; i < lengthof(kinds); i++)
		if (kinds[i].fn)
			appendStringInfo(&b, "%s%s", b.len ? ", " : "", kinds[i].name);
	return b.data;
}

static int
find_kind(const char *kind)
{
	for (size_t i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i].name, kind) == 0)
		{
			if (kinds[i].fn == NULL)
				ereport(
					ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("chart kind \"%s\" is not available in this version of pg_learn", kind),
					 errhint("Valid kinds: %s.", valid_kinds())));
			return (int) i;
		}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown chart kind \"%s\"", kind),
			 errhint("Valid kinds: %s.", valid_kinds())));
	return -1; /* not reached */
}

/* ---------- options ---------- */

static int64
option_integer(const char *key, const JsonbValue *v, int64 lo, int64 hi)
{
	double d = -1;

	if (v->type == jbvNumeric)
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (v->type != jbvNumeric || d != floor(d) || d < lo || d > hi)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart option \"%s\" must be an integer between " INT64_FORMAT
							   " and " INT64_FORMAT,
							   key, lo, hi)));
	return (int64) d;
}

static const char *
option_string(const char *key, const JsonbValue *v)
{
	if (v->type != jbvString)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart option \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
parse_options(ChartCall *c, Jsonb *opts)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(opts) || JB_ROOT_IS_SCALAR(opts))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart options must be a JSON object")));
	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "title") == 0)
			c->title = option_string(key, &v);
		else if (strcmp(key, "width") == 0)
			c->width = (int) option_integer(key, &v, PGL_CHART_MIN_SIZE, PGL_CHART_MAX_SIZE);
		else if (strcmp(key, "height") == 0)
			c->height = (int) option_integer(key, &v, PGL_CHART_MIN_SIZE, PGL_CHART_MAX_SIZE);
		else if (strcmp(key, "top") == 0)
			c->top = (int) option_integer(key, &v, 1, PGL_CHART_MAX_BARS);
		else if (strcmp(key, "max_points") == 0)
		{
			c->max_points = option_integer(key, &v, 2, CHART_MAX_POINTS);
			c->max_points_set = true;
		}
		else if (strcmp(key, "importance") == 0)
		{
			c->importance = option_string(key, &v);
			if (strcmp(c->importance, "permutation") != 0 && strcmp(c->importance, "gain") != 0 &&
				strcmp(c->importance, "cover") != 0 && strcmp(c->importance, "weight") != 0)
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("chart option \"importance\" must be permutation, gain, "
									   "cover or weight, not \"%s\"",
									   c->importance)));
		}
		else if (strcmp(key, "series") == 0)
			c->series = option_string(key, &v);
		else if (strcmp(key, "horizon") == 0)
			c->horizon = (int) option_integer(key, &v, 1, 100000);
		else if (strcmp(key, "level") == 0)
		{
			c->level = v.type == jbvNumeric ? DatumGetFloat8(DirectFunctionCall1(
												  numeric_float8, NumericGetDatum(v.val.numeric)))
											: -1;
			if (!(c->level > 0 && c->level < 1))
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("chart option \"level\" must be a number between 0 and 1, "
									   "exclusive")));
		}
		else
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown chart option \"%s\"", key),
							errhint("Valid options: title, width, height, top (importance), "
									"importance (permutation, gain, cover or weight), max_points "
									"(roc, pr, residuals), series, horizon, level (forecast).")));
	}
}

/* ---------- helpers ---------- */

static void
chart_defaults(ChartCall *c, pgl_chart *ch, const char *title)
{
	pgl_chart_defaults(ch, c->title ? c->title : title);
	ch->width = c->width;
	ch->height = c->height;
}

static void
check_drawn(pgl_rc rc, pgl_status *st)
{
	if (rc != PGL_OK)
		pgl_report(st, "drawing the chart failed");
}

/* ERROR unless the model's task is task (and, for classifiers, binary when asked) */
static void
need_task(ChartCall *c, int task, bool binary)
{
	const pgl_model *m = c->m;
	const char		*fam = pgl_algo_by_id(m->algorithm)->name;

	if (m->task == task && (!binary || m->n_classes == 2))
		return;
	if (task == PGL_TASK_CLASSIFICATION && m->task == task)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("chart kind \"%s\" needs a binary classifier, and model \"%s\" has "
							   "%d classes",
							   c->kind, c->name, m->n_classes),
						errhint("Chart a classifier of more classes with kind \"confusion\".")));
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("chart kind \"%s\" needs a %s, and model \"%s\" is a %s model", c->kind,
					task == PGL_TASK_REGRESSION ? "regression model"
					: binary					? "binary classifier"
												: "classifier",
					c->name, fam),
			 errhint("roc and pr chart binary classifiers, confusion any classifier, residuals a "
					 "regression model, importance both, learning_curve a neural_net.")));
}

/* the model's predictions on the data argument */
static void
predict_data(ChartCall *c, PglPredictions *p)
{
	if (pgl_nn_reads_array(c->m))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ai_chart does not chart model \"%s\", a network over an array "
							   "column, on data",
							   c->name),
						errhint("Chart it with kind \"learning_curve\", or compute the metrics "
								"with ai_evaluate().")));
	pgl_text_refuse(c->m, c->name, "ai_chart");
	pgl_predict_on_data(c->name, c->version_id, c->data, &c->m, p);
}

/* ---------- learning_curve ---------- */

static void
chart_learning_curve(ChartCall *c, pgl_svg *s)
{
	const pgl_tensor *h;
	const double	 *cfg;
	int64			  ne;
	double			 *x, *train, *valid, lo = INFINITY, hi = -INFINITY, kx[2], ky[2];
	bool			  has_valid = false;
	int				  best;
	pgl_series		  se[3];
	int				  ns = 0;
	pgl_chart		  ch;
	pgl_status		  st;

	if (c->m->algorithm != PGL_ALGO_NEURAL_NET)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("chart kind \"learning_curve\" needs a neural_net model, and model \"%s\" "
						"is a %s model, which keeps no training history",
						c->name, pgl_algo_by_id(c->m->algorithm)->name),
				 errhint("The final hold-out metrics of any model are in ai_models.")));
	h = pgl_model_tensor(c->m, "nn_history");
	cfg = pgl_model_tensor(c->m, "nn_config")->data;
	if (h == NULL || h->dims[0] < 1)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("model \"%s\" version %d holds no training history", c->name,
							   c->version_no)));
	ne = h->dims[0];
	best = (int) cfg[PGL_NN_CFG_BEST_EPOCH];
	x = palloc(sizeof(double) * ne);
	train = palloc(sizeof(double) * ne);
	valid = palloc(sizeof(double) * ne);
	for (int64 e = 0; e < ne; e++)
	{
		const double *r = (const double *) h->data + e * PGL_NN_HISTORY_COLS;

		x[e] = e + 1;
		train[e] = r[0];
		valid[e] = r[2];
		has_valid |= isfinite(r[2]);
		for (int k = 0; k < 3; k += 2)
			if (isfinite(r[k]))
				lo = fmin(lo, r[k]), hi = fmax(hi, r[k]);
	}
	se[ns++] = (pgl_series){PGL_SERIES_LINE_POINTS, "training loss", ne, x, train, NULL, 0};
	if (has_valid)
		se[ns++] = (pgl_series){PGL_SERIES_LINE_POINTS, "validation loss", ne, x, valid, NULL, 1};
	if (best >= 1 && best <= ne && isfinite(lo))
	{
		kx[0] = kx[1] = best;
		ky[0] = lo;
		ky[1] = hi;
		se[ns++] = (pgl_series){
			PGL_SERIES_REFERENCE, psprintf("kept: epoch %d", best), 2, kx, ky, NULL, 0};
	}
	chart_defaults(c, &ch, psprintf("Learning curve of %s", c->name));
	ch.desc = psprintf("Loss per epoch of model %s version %d over " INT64_FORMAT
					   " epochs: training%s; the model keeps the weights of epoch %d.",
					   c->name, c->version_no, ne, has_valid ? " and validation" : " only", best);
	ch.x_label = "epoch";
	ch.y_label = "loss";
	check_drawn(pgl_chart_xy(s, &ch, ns, se, &st), &st);
}

/* ---------- roc, pr ---------- */

static void
chart_curve(ChartCall *c, pgl_svg *s, bool roc)
{
	PglPredictions p;
	double		  *score;
	int64		   pos = 0;
	pgl_curve	   cu;
	pgl_env		   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status	   st;
	pgl_chart	   ch;
	pgl_series	   se[2];
	double		   rx[2] = {0, 1}, ry[2] = {0, 1};

	need_task(c, PGL_TASK_CLASSIFICATION, true);
	predict_data(c, &p);
	score = palloc(sizeof(double) * p.n);
	for (int64 i = 0; i < p.n; i++)
	{
		score[i] = p.pred[2 * i + 1];
		pos += p.label[i];
	}
	memset(&st, 0, sizeof(st));
	if ((roc ? pgl_roc_curve : pgl_pr_curve)(&env, p.n, p.label, score,
											 c->max_points_set ? c->max_points : 1000, &cu,
											 &st) != PGL_OK)
	{
		if (st.rc == PGL_ERR_INVALID)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", st.msg),
							errdetail("Model \"%s\" was scored on " INT64_FORMAT
									  " rows of the data, " INT64_FORMAT " of class \"%s\".",
									  c->name, p.n, pos, c->m->classes[1])));
		pgl_report(&st, "computing the curve failed");
	}
	se[0] = (pgl_series){PGL_SERIES_LINE,
						 psprintf("%s (%s %.3f)", c->name, roc ? "AUC" : "AP", cu.area),
						 cu.m,
						 cu.x,
						 cu.y,
						 NULL,
						 0};
	if (!roc)
		ry[0] = ry[1] = (double) pos / p.n;
	se[1] = (pgl_series){
		PGL_SERIES_REFERENCE, roc ? "chance" : "chance (share of positives)", 2, rx, ry, NULL, 0};
	chart_defaults(c, &ch,
				   psprintf("%s curve of %s (%s %.3f)", roc ? "ROC" : "Precision-recall", c->name,
							roc ? "AUC" : "average precision", cu.area));
	ch.desc =
		psprintf("%s curve of model %s version %d on " INT64_FORMAT " rows, " INT64_FORMAT
				 " of them of the positive class %s: %s %.3f.",
				 roc ? "ROC" : "Precision-recall", c->name, c->version_no, p.n, pos,
				 c->m->classes[1], roc ? "area under the curve" : "average precision", cu.area);
	ch.x_label = roc ? "false positive rate" : "recall";
	ch.y_label = roc ? "true positive rate" : "precision";
	ch.x_lo = ch.y_lo = 0;
	ch.x_hi = ch.y_hi = 1;
	check_drawn(pgl_chart_xy(s, &ch, 2, se, &st), &st);
}

static void
chart_roc(ChartCall *c, pgl_svg *s)
{
	chart_curve(c, s, true);
}

static void
chart_pr(ChartCall *c, pgl_svg *s)
{
	chart_curve(c, s, false);
}

/* ---------- confusion ---------- */

static void
chart_confusion(ChartCall *c, pgl_svg *s)
{
	PglPredictions p;
	int			   k;
	double		  *cells, t;
	int64		   right = 0;
	pgl_chart	   ch;
	pgl_status	   st;

	need_task(c, PGL_TASK_CLASSIFICATION, false);
	if (c->m->n_classes > PGL_CHART_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a confusion chart shows at most %d classes, and model \"%s\" has %d",
						PGL_CHART_MAX_CELLS, c->name, c->m->n_classes)));
	predict_data(c, &p);
	k = c->m->n_classes;
	t = pgl_model_threshold(c->m);
	cells = palloc0(sizeof(double) * k * k);
	for (int64 i = 0; i < p.n; i++)
	{
		int32 d = pgl_decide_class(p.pred + i * k, k, t);

		cells[p.label[i] * k + d] += 1;
		right += d == p.label[i];
	}
	chart_defaults(
		c, &ch, psprintf("Confusion matrix of %s (accuracy %.3f)", c->name, (double) right / p.n));
	ch.desc = psprintf("Confusion matrix of model %s version %d on " INT64_FORMAT
					   " rows: rows are the actual class, columns the predicted one; " INT64_FORMAT
					   " rows (%.1f%%) are on the diagonal.",
					   c->name, c->version_no, p.n, right, 100.0 * right / p.n);
	ch.x_label = "predicted";
	ch.y_label = "actual";
	check_drawn(pgl_chart_heatmap(s, &ch, k, (const char *const *) c->m->classes, cells, &st), &st);
}

/* ---------- importance ---------- */

static void
chart_importance(ChartCall *c, pgl_svg *s)
{
	int64		  deployed;
	const char	 *kind = c->importance ? c->importance : "permutation";
	int			  n;
	const char	**labels;
	double		 *v, *err;
	bool		  perm = strcmp(kind, "permutation") == 0;
	Oid			  types[2] = {TEXTOID, TEXTOID};
	Datum		  values[2];
	MemoryContext outer = CurrentMemoryContext;
	pgl_chart	  ch;
	pgl_status	  st;
	bool		  regression = c->m->task == PGL_TASK_REGRESSION;

	(void) pgl_model_get(c->name, &deployed);
	if (deployed != c->version_id)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart kind \"importance\" charts the deployed version of model "
							   "\"%s\", not version %d",
							   c->name, c->version_no),
						errhint("Leave version NULL, or deploy the version with ai_deploy().")));
	values[0] = CStringGetTextDatum(c->name);
	values[1] = CStringGetTextDatum(kind);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(psprintf("SELECT feature, importance, std FROM "
									   "%s.ai_feature_importance($1, kind => $2) "
									   "ORDER BY importance DESC, feature LIMIT %d",
									   pgl_catalog_schema(), c->top > 0 ? c->top : 30),
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: ai_feature_importance failed");
	n = (int) SPI_processed;
	labels = MemoryContextAlloc(outer, sizeof(char *) * (n + 1));
	v = MemoryContextAlloc(outer, sizeof(double) * (n + 1));
	err = MemoryContextAlloc(outer, sizeof(double) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple t = SPI_tuptable->vals[i];
		TupleDesc d = SPI_tuptable->tupdesc;
		bool	  isnull;
		Datum	  x;

		labels[i] = MemoryContextStrdup(outer, SPI_getvalue(t, d, 1));
		x = SPI_getbinval(t, d, 2, &isnull);
		v[i] = isnull ? NAN : DatumGetFloat8(x);
		x = SPI_getbinval(t, d, 3, &isnull);
		err[i] = isnull ? NAN : DatumGetFloat8(x);
	}
	SPI_finish();
	chart_defaults(c, &ch, psprintf("Feature importance of %s (%s)", c->name, kind));
	ch.desc = psprintf("Importance of the %d most important features of model %s version %d by "
					   "%s%s, largest first.",
					   n, c->name, c->version_no, kind,
					   perm ? (regression ? " (mean drop of R\xC2\xB2 on the hold-out when the "
											"feature is shuffled, whiskers one standard deviation)"
										  : " (mean drop of accuracy on the hold-out when the "
											"feature is shuffled, whiskers one standard deviation)")
							: "");
	ch.x_label = perm ? (regression ? "mean drop of R\xC2\xB2 when shuffled"
									: "mean drop of accuracy when shuffled")
					  : kind;
	check_drawn(pgl_chart_bars(s, &ch, n, labels, v, perm ? err : NULL, true, &st), &st);
}

/* ---------- residuals ---------- */

static void
chart_residuals(ChartCall *c, pgl_svg *s)
{
	PglPredictions p;
	int64		   max = c->max_points_set ? c->max_points : 10000, stride, m = 0;
	double		  *x, *y, zx[2] = {INFINITY, -INFINITY}, zy[2] = {0, 0}, sse = 0;
	pgl_series	   se[2];
	pgl_chart	   ch;
	pgl_status	   st;
	char		  *sampled;

	need_task(c, PGL_TASK_REGRESSION, false);
	predict_data(c, &p);
	stride = (p.n + max - 1) / max;
	x = palloc(sizeof(double) * (p.n / stride + 1));
	y = palloc(sizeof(double) * (p.n / stride + 1));
	for (int64 i = 0; i < p.n; i++)
	{
		double r = p.y[i] - p.pred[i];

		sse += r * r;
		zx[0] = fmin(zx[0], p.pred[i]);
		zx[1] = fmax(zx[1], p.pred[i]);
		if (i % stride == 0)
		{
			x[m] = p.pred[i];
			y[m] = r;
			m++;
		}
	}
	se[0] = (pgl_series){PGL_SERIES_POINTS, NULL, m, x, y, NULL, 0};
	se[1] = (pgl_series){PGL_SERIES_REFERENCE, NULL, 2, zx, zy, NULL, 0};
	sampled = stride > 1 ? psprintf(" (one row in " INT64_FORMAT " drawn, " INT64_FORMAT
									" points; option max_points)",
									stride, m)
						 : "";
	chart_defaults(c, &ch, psprintf("Residuals of %s (RMSE %.4g)", c->name, sqrt(sse / p.n)));
	ch.desc = psprintf("Residuals (actual minus predicted %s) against the predicted value of model "
					   "%s version %d on " INT64_FORMAT " rows%s.",
					   c->m->target_name, c->name, c->version_no, p.n, sampled);
	ch.x_label = psprintf("predicted %s", c->m->target_name);
	ch.y_label = "residual (actual \xE2\x88\x92 predicted)";
	check_drawn(pgl_chart_xy(s, &ch, 2, se, &st), &st);
}

/* ---------- ai_chart ---------- */

/* the version number of a version id */
static int32
version_number(int64 version_id)
{
	Oid	  types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(version_id)};
	bool  isnull;
	int32 v = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(psprintf("SELECT version FROM %s.ai_catalog_versions "
									   "WHERE id OPERATOR(pg_catalog.=) $1",
									   pgl_catalog_schema()),
							  1, types, values, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		v = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return v;
}

/*
 * ai_chart(name, kind, data => NULL, version => NULL, options => NULL): an
 * SVG document (text).
 */
Datum
ai_chart(PG_FUNCTION_ARGS)
{
	ChartCall	  c;
	int			  k;
	MemoryContext cxt, old;
	pgl_env		  env;
	pgl_svg		  s;
	text		 *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	memset(&c, 0, sizeof(c));
	c.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c.kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	c.data = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	k = find_kind(c.kind);
	if (kinds[k].data && c.data == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart kind \"%s\" needs data", c.kind),
						errhint("Pass data => a table, view or SELECT holding the model's features "
								"and its target.")));
	if (!kinds[k].data && c.data != NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart kind \"%s\" takes no data", c.kind),
						errhint("It charts what the model stored at training; leave data NULL.")));
	c.version = pgl_version_arg(fcinfo, 3);
	if (!PG_ARGISNULL(4))
		parse_options(&c, PG_GETARG_JSONB_P(4));
	if (c.top && strcmp(c.kind, "importance") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart option \"top\" applies to kind \"importance\" only")));
	if (c.importance && strcmp(c.kind, "importance") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("chart option \"importance\" applies to kind \"importance\" only")));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn chart", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c.m = pgl_model_get_version(c.name, c.version, &c.version_id);
	c.version_no = version_number(c.version_id);
	c.m = pgl_model_by_version(c.version_id, c.name); /* SPI may have evicted it */
	env = pgl_backend_env(cxt);
	pgl_svg_init(&s, &env);
	kinds[k].fn(&c, &s);
	MemoryContextSwitchTo(old);
	result = cstring_to_text_with_len(s.data, (int) s.len);
	MemoryContextDelete(cxt);
	PG_RETURN_TEXT_P(result);
}

/* ---------- drift ---------- */

/*
 * One bar per feature and statistic of ai_drift on the data: the statistic
 * over its threshold, so PSI, Kolmogorov-Smirnov and Jensen-Shannon share
 * one axis and a bar past 1 is a drifted feature.
 */
static void
chart_drift(ChartCall *c, pgl_svg *s)
{
	Oid			  types[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum		  values[3];
	MemoryContext outer = CurrentMemoryContext;
	const char	**labels;
	double		 *v;
	int			  n, drifted = 0;
	pgl_chart	  ch;
	pgl_status	  st;

	values[0] = CStringGetTextDatum(c->name);
	values[1] = CStringGetTextDatum(c->data);
	values[2] = Int32GetDatum(c->version_no);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(psprintf("SELECT feature || ' (' || statistic || ')', value / "
									   "threshold, drifted FROM %s.ai_drift($1, $2, $3) "
									   "WHERE threshold > 0 ORDER BY value / threshold DESC, 1",
									   pgl_catalog_schema()),
							  3, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: ai_drift failed");
	n = (int) SPI_processed;
	labels = MemoryContextAlloc(outer, sizeof(char *) * (n + 1));
	v = MemoryContextAlloc(outer, sizeof(double) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple t = SPI_tuptable->vals[i];
		TupleDesc d = SPI_tuptable->tupdesc;
		bool	  isnull;
		Datum	  x;

		labels[i] = MemoryContextStrdup(outer, SPI_getvalue(t, d, 1));
		x = SPI_getbinval(t, d, 2, &isnull);
		v[i] = isnull ? NAN : DatumGetFloat8(x);
		x = SPI_getbinval(t, d, 3, &isnull);
		drifted += !isnull && DatumGetBool(x);
	}
	SPI_finish();
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("model \"%s\" has no drift statistics to chart", c->name),
						errdetail("ai_drift returned no statistic with a threshold.")));
	chart_defaults(c, &ch, psprintf("Drift of %s version %d", c->name, c->version_no));
	ch.desc = psprintf("Per feature and statistic, the drift of the data from the training rows "
					   "of model %s version %d, as the statistic over its threshold (PSI and "
					   "Kolmogorov-Smirnov for numbers, Jensen-Shannon distance for categories): "
					   "above 1 is drifted; %d of %d are, largest first.",
					   c->name, c->version_no, drifted, n);
	ch.x_label = "statistic / threshold (above 1: drifted)";
	check_drawn(pgl_chart_bars(s, &ch, n, labels, v, NULL, true, &st), &st);
}

/* ---------- forecast ---------- */

/* the history the model keeps of a series, its forecast and the band */
static void
chart_forecast(ChartCall *c, pgl_svg *s)
{
	const double	*meta;
	PglForecastChart f;
	pgl_series		 se[3];
	pgl_chart		 ch;
	pgl_status		 st;
	double			 level;
	int32			 h;

	if (c->m->algorithm != PGL_ALGO_FORECAST)
		ereport(
			ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("chart kind \"forecast\" needs a forecast model, and model \"%s\" is a %s "
					"model",
					c->name, pgl_algo_by_id(c->m->algorithm)->name),
			 errhint(
				 "Train one with ai_train(name, 'forecast', data, value, '{\"time\": ...}').")));
	meta = pgl_model_tensor(c->m, "fc_meta")->data;
	level = c->level > 0 ? c->level : meta[PGL_FCM_LEVEL];
	h = c->horizon > 0 ? c->horizon : (int32) meta[PGL_FCM_HORIZON];
	pgl_forecast_chart_data(c->m, c->name, c->series, h, level, &f);
	se[0] =
		(pgl_series){PGL_SERIES_BAND, psprintf("%g%% band", 100 * level), f.h, f.t, f.lo, f.hi, 1};
	se[1] = (pgl_series){PGL_SERIES_LINE, "history", f.n_hist, f.hist_t, f.hist_y, NULL, 0};
	se[2] = (pgl_series){PGL_SERIES_LINE, "forecast", f.h, f.t, f.mean, NULL, 1};
	chart_defaults(c, &ch,
				   f.series[0] ? psprintf("Forecast of %s, %s", c->name, f.series)
							   : psprintf("Forecast of %s", c->name));
	ch.desc =
		psprintf("The last " INT64_FORMAT " values of %s of model %s version %d, and the next %d "
				 "periods forecast with their %g%% prediction band.",
				 f.n_hist, f.series[0] ? psprintf("series %s", f.series) : "the series", c->name,
				 c->version_no, (int) f.h, 100 * level);
	ch.x_time = true;
	ch.x_label = pgl_model_tensor(c->m, "fc_columns")
					 ? ((char **) pgl_model_tensor(c->m, "fc_columns")->data)[0]
					 : "time";
	ch.y_label = c->m->target_name;
	check_drawn(pgl_chart_xy(s, &ch, 3, se, &st), &st);
}
