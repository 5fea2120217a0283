/*-------------------------------------------------------------------------
 *
 * forecast_glue.c
 *	  The forecast family's training glue: ai_train(name, 'forecast', data,
 *	  value column, '{"time": ..., "series": ...}').
 *
 *	  read: (time, series, value) rows from the data;
 *	  preprocess: per series, the points sorted on one regular grid (a
 *	    fixed step, or calendar months), a timestamp off the grid an ERROR
 *	    naming it, a missing period interpolated linearly or an ERROR;
 *	    the season from the spacing, kept per series when its
 *	    autocorrelation confirms it;
 *	  fit: every series by the methods of src/forecast (ETS, ARIMA) on
 *	    pg_learn.threads worker threads, in chunks with an interrupt check
 *	    and a progress report between them; with "test_size" k, each
 *	    series' last k periods are first forecast from a fit of the others
 *	    (MASE, sMAPE, coverage), then the stored fit uses every period;
 *	  metrics: the series, the methods chosen, the test metrics.
 *
 *-------------------------------------------------------------------------
 */
#include "train_glue.h"
#include "data_reader.h"
#include "progress.h"
#include "vocab.h"

#include <math.h>
#include <pthread.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "family.h"

#include "forecast_glue.h"

/* one series after preprocessing, and what its fit gives back */
typedef struct FcSeries
{
	int64	start; /* the first timestamp */
	int32	n, m;
	double *y;	  /* n points on the grid */
	int32	n_in; /* points interpolated */
	/* the worker's results */
	double	  *fits; /* capacity fit_cap: n_fits, (id, n_params, params)... */
	int32	   fit_cap, fit_len;
	double	   aicc, sigma2, scale;
	int32	   method; /* the method chosen (auto), 0 for a combination */
	double	   t_ae, t_scale, t_smape, t_cover;
	int32	   t_n;
	pgl_status st;
} FcSeries;

typedef struct FcTrain
{
	FcReceiver			 r;
	int32				 time_type;
	int32				 n_series;
	char			   **keys;	  /* sorted */
	FcSeries			*series;  /* in key order */
	int64				 step_us; /* 0 on a month grid */
	int32				 step_months;
	int32				 n_methods;
	const pgl_fc_method *methods[PGL_FC_MAX_FITS];
	bool				 combine;
	int32				 test_size, n_max, m_max, horizon;
	double				 level;
	int64				 interpolated;
} FcTrain;

/* ---------- reading ---------- */

static int
fc_column(TupleDesc desc, const char *name, const char *what, const char *option)
{
	int i = pgl_column_index(desc, name);

	if (i < 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
						errmsg("%s column \"%s\" (%s) is not in the data", what, name, option),
						errhint("The data has the columns %s.", pgl_column_list(desc))));
	return i;
}

static void
fc_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	FcReceiver				*r = (FcReceiver *) self;
	static const char *const what[3] = {"time", "series", "value"};
	static const char *const option[3] = {"option \"time\"", "option \"series\"", "the target"};

	for (int c = 0; c < 3; c++)
	{
		if (r->col[c] == NULL)
		{
			r->att[c] = -1;
			continue;
		}
		r->att[c] = fc_column(desc, r->col[c], what[c], option[c]);
		r->typ[c] = getBaseType(TupleDescAttr(desc, r->att[c])->atttypid);
		for (int d = 0; d < c; d++)
			if (r->att[d] == r->att[c])
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("the %s and %s columns are the same column \"%s\"", what[d],
									   what[c], r->col[c])));
	}
	if (r->typ[0] != DATEOID && r->typ[0] != TIMESTAMPOID && r->typ[0] != TIMESTAMPTZOID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("time column \"%s\" has type %s, but it must be date, timestamp or "
							   "timestamptz",
							   r->col[0], format_type_be(r->typ[0])),
						errhint("Cast it in the query, e.g. SELECT day::date, ...")));
	if (!pgl_type_is_numeric(r->typ[2]))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("value column \"%s\" has type %s, but it must be a number",
							   r->col[2], format_type_be(r->typ[2]))));
	if (r->att[1] >= 0)
	{
		Oid	 fn;
		bool varlena;

		getTypeOutputInfo(r->typ[1], &fn, &varlena);
		fmgr_info_cxt(fn, &r->out, r->cxt);
	}
}

/* a time value as microseconds since 2000-01-01 (ERROR when infinite) */
static int64
fc_time_value(Datum d, Oid typ, int64 row)
{
	if (typ == DATEOID)
	{
		DateADT day = DatumGetDateADT(d);

		if (DATE_NOT_FINITE(day))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("the time of row " INT64_FORMAT " is infinite", row)));
		return (int64) day * USECS_PER_DAY;
	}
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestamp(d)))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
						errmsg("the time of row " INT64_FORMAT " is infinite", row)));
	/* timestamptz: on the session's local clock, so local midnights and months line up */
	if (typ == TIMESTAMPTZOID)
		return DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp, d));
	return DatumGetTimestamp(d);
}

static bool
fc_receive(TupleTableSlot *slot, DestReceiver *self)
{
	FcReceiver	 *r = (FcReceiver *) self;
	FcRow		 *row;
	MemoryContext old;

	slot_getallattrs(slot);
	if ((r->n & 4095) == 0)
		CHECK_FOR_INTERRUPTS();
	if (slot->tts_isnull[r->att[0]])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the time column \"%s\" is NULL in row " INT64_FORMAT, r->col[0], r->n + 1),
				 errhint("Filter the rows without a time in the query.")));
	if (r->att[1] >= 0 && slot->tts_isnull[r->att[1]])
		ereport(
			ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("the series column \"%s\" is NULL in row " INT64_FORMAT, r->col[1], r->n + 1),
			 errhint("Give those rows a series name, e.g. coalesce(%s, 'none').", r->col[1])));
	if (r->n == r->cap)
	{
		int64 cap = r->cap ? r->cap * 2 : 65536;

		pgl_check_memory((Size) cap * sizeof(FcRow),
						 psprintf("reading more than " INT64_FORMAT " rows", r->n));
		r->rows = r->rows ? repalloc_huge(r->rows, sizeof(FcRow) * cap)
						  : MemoryContextAllocHuge(r->cxt, sizeof(FcRow) * cap);
		r->cap = cap;
	}
	row = &r->rows[r->n];
	row->t = fc_time_value(slot->tts_values[r->att[0]], r->typ[0], r->n + 1);
	row->v = slot->tts_isnull[r->att[2]]
				 ? NAN
				 : pgl_datum_to_double(slot->tts_values[r->att[2]], r->typ[2]);
	if (!slot->tts_isnull[r->att[2]] && !isfinite(row->v))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
						errmsg("value %g in row " INT64_FORMAT " is not finite", row->v, r->n + 1),
						errhint("Use NULL for a missing value.")));
	if (r->att[1] >= 0)
	{
		char *s;

		old = MemoryContextSwitchTo(r->row_cxt);
		s = OutputFunctionCall(&r->out, slot->tts_values[r->att[1]]);
		MemoryContextSwitchTo(old);
		row->s = pgl_vocab_intern(r->keys, s, strlen(s));
		MemoryContextReset(r->row_cxt);
	}
	else
		row->s = pgl_vocab_intern(r->keys, "", 0);
	r->n++;
	return true;
}

static void
fc_noop(DestReceiver *self)
{
}

static void
fc_shutdown(DestReceiver *self)
{
}

void
pgl_fc_read_rows(FcReceiver *r, const char *data)
{
	r->pub.receiveSlot = fc_receive;
	r->pub.rStartup = fc_startup;
	r->pub.rShutdown = fc_shutdown;
	r->pub.rDestroy = fc_noop;
	r->pub.mydest = DestNone;
	r->row_cxt = AllocSetContextCreate(r->cxt, "pg_learn row", ALLOCSET_SMALL_SIZES);
	r->keys = pgl_vocab_create(r->cxt);
	pgl_run_data_into(data, &r->pub);
}

/* ---------- check ---------- */

static void
fc_check(PglTrainCall *c)
{
	if (c->opts.time_col == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a forecast needs the option \"time\": the column of the timestamps"),
				 errhint("For example '{\"time\": \"day\"}'.")));
	if (c->target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a forecast needs a target: the column of the values to forecast"),
				 errhint("Name it as the fourth argument of ai_train, e.g. target => 'sales'.")));
}

static void
fc_read(PglTrainCall *c)
{
	FcTrain *t = palloc0(sizeof(FcTrain));

	if (c->opts.trial)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"search\" and ai_cross_validate do not support forecast models"),
				 errdetail("A forecast is scored on the last periods of each series, not on rows "
						   "drawn by ai_holdout."),
				 errhint("Compare settings by training each with \"test_size\" and reading its "
						 "metrics.")));
	c->state = t;
	t->r.col[0] = c->opts.time_col;
	t->r.col[1] = c->opts.series_col;
	t->r.col[2] = c->target;
	t->r.cxt = c->cxt;
	pgl_fc_read_rows(&t->r, c->data);
	if (t->r.n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to train on"),
						errdetail("The data \"%s\" returned no rows.", c->data)));
	c->rows_used = t->r.n;
	t->time_type = t->r.typ[0] == DATEOID		 ? PGL_FC_TIME_DATE
				   : t->r.typ[0] == TIMESTAMPOID ? PGL_FC_TIME_TIMESTAMP
												 : PGL_FC_TIME_TIMESTAMPTZ;
}

/* ---------- preprocessing: the grid ---------- */

/* a time as the user wrote it (its column's type) */
char *
pgl_fc_time_text(int32 time_type, int64 t)
{
	if (time_type == PGL_FC_TIME_DATE)
		return DatumGetCString(
			DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) (t / USECS_PER_DAY))));
	/* timestamptz: its local time (fc_time_value) */
	return DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(t)));
}

/* "series \"a\"", or "the series" for the one series of a model without a series column */
char *
pgl_fc_series_name(const char *key)
{
	return key[0] ? psprintf("series \"%s\"", key) : pstrdup("the series");
}

static int
fc_int64_cmp(const void *a, const void *b)
{
	int64 x = *(const int64 *) a, y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/* the most frequent of v[0 .. n) (the smallest of equals); sorts v */
static int64
fc_mode(int64 *v, int64 n)
{
	int64 best = v[0], run = 0, best_run = 0;

	qsort(v, n, sizeof(int64), fc_int64_cmp);
	for (int64 i = 0; i < n; i++)
	{
		run = i > 0 && v[i] == v[i - 1] ? run + 1 : 1;
		if (run > best_run)
		{
			best_run = run;
			best = v[i];
		}
	}
	return best;
}

/* the month number (year * 12 + month - 1) of a time at midnight of a first day, else -1 */
static int64
fc_month_of(int64 t)
{
	int y, mo, d;

	if (t % USECS_PER_DAY != 0)
		return -1;
	j2date((int) (t / USECS_PER_DAY) + POSTGRES_EPOCH_JDATE, &y, &mo, &d);
	return d == 1 ? (int64) y * 12 + mo - 1 : -1;
}

int64
pgl_fc_month_start(int64 month)
{
	int64 y = month >= 0 ? month / 12 : -((-month + 11) / 12);
	int	  mo = (int) (month - y * 12) + 1;

	return ((int64) date2j((int) y, mo, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
}

static char *
fc_step_text(int64 step_us, int32 step_months)
{
	if (step_months > 0)
		return psprintf("%d month%s", step_months, step_months > 1 ? "s" : "");
	if (step_us % USECS_PER_DAY == 0)
		return psprintf(INT64_FORMAT " day%s", step_us / USECS_PER_DAY,
						step_us == USECS_PER_DAY ? "" : "s");
	if (step_us % USECS_PER_HOUR == 0)
		return psprintf(INT64_FORMAT " hour%s", step_us / USECS_PER_HOUR,
						step_us == USECS_PER_HOUR ? "" : "s");
	return psprintf("%g seconds", step_us / 1e6);
}

static int
fc_row_cmp(const void *a, const void *b)
{
	const FcRow *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t ? 1 : 0;
}

static int
fc_key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The grid of all series: calendar months when nine times in ten are the
 * first of a month at midnight, their step the most frequent gap in months;
 * else a fixed step, the most frequent gap between two times of a series.
 * The most frequent rather than the smallest, so that one time off the grid
 * is an ERROR naming it (fc_grid_index) rather than a finer grid.  A time
 * given twice is an ERROR.
 */
static void
fc_find_grid(FcTrain *t, const char *const *codes)
{
	FcRow *rows = t->r.rows;
	int64  n = t->r.n, n_gaps = 0, n_mgaps = 0, n_month = 0;
	int64 *gaps = palloc(sizeof(int64) * Max(n, 1)), *mgaps = palloc(sizeof(int64) * Max(n, 1));

	for (int64 i = 0; i < n; i++)
		n_month += fc_month_of(rows[i].t) >= 0;
	for (int64 i = 1; i < n; i++)
	{
		if (rows[i].s != rows[i - 1].s)
			continue;
		if (rows[i].t == rows[i - 1].t)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("%s has two rows at %s", pgl_fc_series_name(codes[rows[i].s]),
							pgl_fc_time_text(t->time_type, rows[i].t)),
					 errhint("Aggregate the rows to one per period in the query (sum, avg).")));
		gaps[n_gaps++] = rows[i].t - rows[i - 1].t;
		if (fc_month_of(rows[i].t) >= 0 && fc_month_of(rows[i - 1].t) >= 0)
			mgaps[n_mgaps++] = fc_month_of(rows[i].t) - fc_month_of(rows[i - 1].t);
	}
	if (n_gaps == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("every series has a single row: a forecast needs at least 3 "
							   "periods per series")));
	t->step_months = 0;
	if (n_month >= n - n / 10 && n_mgaps > 0)
	{
		int64 mg = fc_mode(mgaps, n_mgaps);

		t->step_months = mg >= 1 && mg <= 12 ? (int32) mg : 0;
	}
	t->step_us = t->step_months > 0 ? 0 : fc_mode(gaps, n_gaps);
}

/* the index of time v on the grid from start, or ERROR naming it */
static int64
fc_grid_index(FcTrain *t, int64 start, int64 v, const char *key)
{
	int64 d, q;

	if (t->step_months > 0)
	{
		d = fc_month_of(v) - fc_month_of(start);
		q = d / t->step_months;
		if (fc_month_of(v) >= 0 && d % t->step_months == 0)
			return q;
	}
	else
	{
		d = v - start;
		if (d % t->step_us == 0)
			return d / t->step_us;
	}
	ereport(
		ERROR,
		(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		 errmsg("time %s of %s is off the grid", pgl_fc_time_text(t->time_type, v),
				pgl_fc_series_name(key)),
		 errdetail("The data's periods are %s apart; the series starts at %s.",
				   fc_step_text(t->step_us, t->step_months), pgl_fc_time_text(t->time_type, start)),
		 errhint("Round the times to the grid (date_trunc) and aggregate them in the query.")));
	return -1;
}

/* the points of one series (rows[lo, hi) sorted by time) on the grid, gaps filled */
static void
fc_series_points(PglTrainCall *c, FcTrain *t, FcSeries *se, const FcRow *rows, int64 lo, int64 hi,
				 const char *key)
{
	int64 last = fc_grid_index(t, rows[lo].t, rows[hi - 1].t, key);
	int32 prev = -1;

	if (last + 1 > PGL_FC_MAX_POINTS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%s spans " INT64_FORMAT " periods of %s, more than %d",
							   pgl_fc_series_name(key), last + 1,
							   fc_step_text(t->step_us, t->step_months), PGL_FC_MAX_POINTS)));
	se->start = rows[lo].t;
	se->n = (int32) last + 1;
	se->y = palloc(sizeof(double) * se->n);
	for (int32 i = 0; i < se->n; i++)
		se->y[i] = NAN;
	for (int64 i = lo; i < hi; i++)
		se->y[fc_grid_index(t, se->start, rows[i].t, key)] = rows[i].v;
	for (int32 i = 0; i < se->n; i++)
	{
		if (isnan(se->y[i]))
		{
			if (c->opts.missing_error)
			{
				int64 at =
					t->step_months > 0
						? pgl_fc_month_start(fc_month_of(se->start) + (int64) i * t->step_months)
						: se->start + (int64) i * t->step_us;

				ereport(
					ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s has no value at %s", pgl_fc_series_name(key),
							pgl_fc_time_text(t->time_type, at)),
					 errdetail("The data's periods are %s apart.",
							   fc_step_text(t->step_us, t->step_months)),
					 errhint(
						 "Use \"missing\": \"interpolate\", or fill the period in the query.")));
			}
			se->n_in++;
			continue;
		}
		/* the gap before i: linear between prev and i (or flat at the start) */
		for (int32 j = prev + 1; j < i; j++)
			se->y[j] = prev < 0 ? se->y[i]
								: se->y[prev] + (se->y[i] - se->y[prev]) * (j - prev) / (i - prev);
		prev = i;
	}
	if (prev < 0)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s has no value: every one is NULL", pgl_fc_series_name(key))));
	for (int32 j = prev + 1; j < se->n; j++)
		se->y[j] = se->y[prev];
	t->interpolated += se->n_in;
}

/* the season of a series: the option, else the spacing's when the ACF confirms it */
static int32
fc_series_season(PglTrainCall *c, FcTrain *t, const FcSeries *se)
{
	int32 m0;

	if (c->opts.season > 0)
		return c->opts.season;
	m0 = pgl_fc_season_from_step(t->step_us / 1e6, t->step_months);
	if (m0 <= 1)
		return 1;
	return pgl_fc_confirm_season(se->y, se->n, m0, palloc(sizeof(double) * se->n));
}

static void
fc_preprocess(PglTrainCall *c)
{
	FcTrain		*t = c->state;
	FcRow		*rows = t->r.rows;
	int32		 K = pgl_vocab_size(t->r.keys);
	const char **codes = palloc(sizeof(char *) * K);
	int32		*rank = palloc(sizeof(int32) * K);
	int64		 lo = 0;

	for (int32 k = 0; k < K; k++)
		codes[k] = pgl_vocab_string(t->r.keys, k);
	/* keys sorted by strcmp; rows sorted by (key rank, time) */
	t->keys = palloc(sizeof(char *) * K);
	memcpy(t->keys, codes, sizeof(char *) * K);
	qsort(t->keys, K, sizeof(char *), fc_key_cmp);
	for (int32 k = 0; k < K; k++)
		rank[k] =
			(int32) (((const char **) bsearch(&codes[k], t->keys, K, sizeof(char *), fc_key_cmp)) -
					 (const char **) t->keys);
	for (int64 i = 0; i < t->r.n; i++)
		rows[i].s = rank[rows[i].s];
	qsort(rows, t->r.n, sizeof(FcRow), fc_row_cmp);
	fc_find_grid(t, (const char *const *) t->keys);

	t->n_series = K;
	t->series = palloc0(sizeof(FcSeries) * K);
	for (int32 s = 0; s < K; s++)
	{
		FcSeries *se = &t->series[s];
		int64	  hi = lo;

		while (hi < t->r.n && rows[hi].s == s)
			hi++;
		fc_series_points(c, t, se, rows, lo, hi, t->keys[s]);
		se->m = fc_series_season(c, t, se);
		t->n_max = Max(t->n_max, se->n);
		t->m_max = Max(t->m_max, se->m);
		lo = hi;
		if ((s & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	c->m = palloc0(sizeof(pgl_model));
	c->m->algorithm = PGL_ALGO_FORECAST;
	c->m->task = PGL_TASK_FORECAST;
	c->m->target_name = pstrdup(c->target);
	c->m->target_type = format_type_be(t->r.typ[2]);
}

/* ---------- fitting ---------- */

/*
 * The fits of series se on y[0 .. n) into out: n_fits, then (id, n_params,
 * params) each; a combination keeps every method's, auto the one of the
 * smallest AICc.  A method failing is fine while another fits.
 */
static pgl_rc
fc_fit_one(const FcTrain *t, FcSeries *se, const double *y, int32 n, void *work, double *out,
		   int32 *out_len, pgl_status *st)
{
	int32  len = 1, nf = 0;
	double best = INFINITY;

	for (int32 i = 0; i < t->n_methods; i++)
	{
		const pgl_fc_method *meth = t->methods[i];
		double				*at = out + len; /* after the fits kept so far */
		int32				 np;
		double				 aicc, sigma2;
		pgl_status			 mst;

		memset(&mst, 0, sizeof(mst));
		if (meth->fit(y, n, se->m, work, at + 2, &np, &aicc, &sigma2, &mst) != PGL_OK)
		{
			if (nf == 0)
				*st = mst; /* the first failure, reported when nothing fits */
			continue;
		}
		at[0] = meth->id;
		at[1] = np;
		if (t->combine)
		{
			len += 2 + np;
			se->aicc = nf == 0 ? aicc : NAN;
			se->sigma2 = sigma2;
			se->method = nf == 0 ? meth->id : 0;
			nf++;
		}
		else if (nf == 0 || aicc < best)
		{
			if (nf > 0)
				memmove(out + 1, at, sizeof(double) * (2 + np));
			len = 1 + 2 + np;
			best = aicc;
			se->aicc = aicc;
			se->sigma2 = sigma2;
			se->method = meth->id;
			nf = 1;
		}
	}
	if (nf == 0)
		return st->rc != PGL_OK ? st->rc : pgl_fail(st, PGL_ERR_INVALID, "no method fits it");
	memset(st, 0, sizeof(*st));
	out[0] = nf;
	*out_len = len;
	return PGL_OK;
}

/* hold out the last test_size periods: forecast them from a fit of the others */
static pgl_rc
fc_test_one(const FcTrain *t, FcSeries *se, void *work, double *scratch, pgl_status *st)
{
	int32	  k = t->test_size, n = se->n - k, len;
	double	 *fits = scratch, *mean, *lo, *hi, *tmp, scale = 0;
	int32	  lag = se->m > 1 && n > se->m ? se->m : 1;
	pgl_rc	  rc;
	pgl_model fake;

	if (n < 3)
		return pgl_fail(st, PGL_ERR_INVALID,
						"%d points leave %d to fit after holding out test_size %d", se->n, n, k);
	rc = fc_fit_one(t, se, se->y, n, work, fits, &len, st);
	if (rc != PGL_OK)
		return rc;
	mean = fits + se->fit_cap;
	lo = mean + k;
	hi = lo + k;
	tmp = hi + k;
	/* forecast through the family's combiner, over a one-series view */
	{
		pgl_tensor tens[2];
		double	   row[PGL_FCS_N];

		memset(&fake, 0, sizeof(fake));
		memset(tens, 0, sizeof(tens));
		memset(row, 0, sizeof(row));
		row[PGL_FCS_FIT_LEN] = len;
		row[PGL_FCS_SEASON] = se->m;
		strcpy(tens[0].name, "fc_series");
		tens[0].dtype = PGL_F64;
		tens[0].ndim = 2;
		tens[0].dims[0] = 1;
		tens[0].dims[1] = PGL_FCS_N;
		tens[0].data = row;
		strcpy(tens[1].name, "fc_fits");
		tens[1].dtype = PGL_F64;
		tens[1].ndim = 1;
		tens[1].dims[0] = len;
		tens[1].data = fits;
		fake.n_tensors = 2;
		fake.tensors = tens;
		rc = pgl_fc_series_forecast(&fake, 0, k, t->level, work, tmp, mean, lo, hi, st);
		if (rc != PGL_OK)
			return rc;
	}
	for (int32 i = lag; i < n; i++)
		scale += fabs(se->y[i] - se->y[i - lag]);
	scale /= Max(n - lag, 1);
	for (int32 i = 0; i < k; i++)
	{
		double a = se->y[n + i], f = mean[i], d = fabs(a) + fabs(f);

		se->t_ae += fabs(a - f);
		se->t_smape += d > 0 ? 2 * fabs(a - f) / d : 0;
		se->t_cover += a >= lo[i] && a <= hi[i];
	}
	se->t_scale = scale;
	se->t_n = k;
	return PGL_OK;
}

typedef struct FcWorker
{
	const FcTrain *t;
	int32		   from, to; /* series */
	void		  *work;
	double		  *scratch;
} FcWorker;

static void *
fc_worker_main(void *arg)
{
	FcWorker	  *w = arg;
	const FcTrain *t = w->t;

	for (int32 s = w->from; s < w->to; s++)
	{
		FcSeries *se = &t->series[s];
		int32	  lag = se->m > 1 && se->n > se->m ? se->m : 1;

		memset(&se->st, 0, sizeof(se->st));
		if (t->test_size > 0 && fc_test_one(t, se, w->work, w->scratch, &se->st) != PGL_OK)
			continue;
		if (fc_fit_one(t, se, se->y, se->n, w->work, se->fits, &se->fit_len, &se->st) != PGL_OK)
			continue;
		se->scale = 0;
		for (int32 i = lag; i < se->n; i++)
			se->scale += fabs(se->y[i] - se->y[i - lag]);
		se->scale /= Max(se->n - lag, 1);
	}
	return NULL;
}

/* the methods a "method" option uses */
static void
fc_choose_methods(PglTrainCall *c, FcTrain *t)
{
	int choice = c->opts.method;

	t->n_methods = 0;
	t->combine = choice == PGL_FC_CHOOSE_COMBINATION;
	for (int i = 0; pgl_fc_methods[i] && t->n_methods < PGL_FC_MAX_FITS; i++)
		if (choice == PGL_FC_CHOOSE_AUTO || choice == PGL_FC_CHOOSE_COMBINATION ||
			(choice == PGL_FC_CHOOSE_ETS && pgl_fc_methods[i]->id == PGL_FC_ETS) ||
			(choice == PGL_FC_CHOOSE_ARIMA && pgl_fc_methods[i]->id == PGL_FC_ARIMA))
			t->methods[t->n_methods++] = pgl_fc_methods[i];
}

/* fit the series on the worker threads, chunk by chunk */
static void
fc_run_workers(PglTrainCall *c, FcTrain *t)
{
	int		  nth = Max(1, Min(pgl_thread_count(), 64));
	FcWorker *w = palloc0(sizeof(FcWorker) * nth);
	pthread_t th[64];
	bool	  started[64];
	size_t	  wbytes = 0;
	int32	  fit_cap = 1, chunk = nth * 16;

	for (int32 i = 0; i < t->n_methods; i++)
	{
		wbytes = Max(wbytes, t->methods[i]->work_size(t->n_max, t->m_max));
		wbytes = Max(wbytes, t->methods[i]->work_size(Max(t->test_size, 1), t->m_max));
		fit_cap += 2 + t->methods[i]->max_params(t->m_max);
	}
	for (int i = 0; i < nth; i++)
	{
		w[i].t = t;
		w[i].work = palloc(wbytes);
		w[i].scratch = palloc(sizeof(double) * (fit_cap + 6 * (size_t) Max(t->test_size, 1)));
	}
	for (int32 s = 0; s < t->n_series; s++)
	{
		FcSeries *se = &t->series[s];

		se->fit_cap = fit_cap;
		se->fits = palloc(sizeof(double) * fit_cap);
	}
	for (int32 from = 0; from < t->n_series; from += chunk)
	{
		int32 to = Min(from + chunk, t->n_series), per = (to - from + nth - 1) / nth;

		for (int i = 0; i < nth; i++)
		{
			w[i].from = Min(from + i * per, to);
			w[i].to = Min(w[i].from + per, to);
			started[i] = i > 0 && pthread_create(&th[i], NULL, fc_worker_main, &w[i]) == 0;
		}
		/* this thread runs the first slice, and any a thread could not start */
		fc_worker_main(&w[0]);
		for (int i = 1; i < nth; i++)
		{
			if (started[i])
				pthread_join(th[i], NULL);
			else
				fc_worker_main(&w[i]);
		}
		CHECK_FOR_INTERRUPTS();
		pgl_progress_iter(to, t->n_series, NAN);
	}
}

static void fc_build_model(PglTrainCall *c, FcTrain *t);

static void
fc_fit(PglTrainCall *c)
{
	FcTrain *t = c->state;

	t->test_size = (int32) Max(c->opts.test_size, 0);
	t->level = c->opts.level > 0 ? c->opts.level : 0.95;
	t->horizon = c->opts.horizon > 0 ? c->opts.horizon : 10;
	fc_choose_methods(c, t);
	fc_run_workers(c, t);
	for (int32 s = 0; s < t->n_series; s++)
		if (t->series[s].st.rc != PGL_OK)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s cannot be fitted: %s", pgl_fc_series_name(t->keys[s]),
								   t->series[s].st.msg),
							errdetail("It has %d periods of %s (%d interpolated), season %d.",
									  t->series[s].n, fc_step_text(t->step_us, t->step_months),
									  t->series[s].n_in, t->series[s].m),
							errhint("Filter out short series in the query, or give a smaller "
									"\"season\" or \"test_size\".")));
	fc_build_model(c, t);
}

static void
fc_tensor(pgl_tensor *tn, const char *name, int32 dtype, int32 ndim, int64 d0, int64 d1, void *data)
{
	memset(tn, 0, sizeof(*tn));
	strlcpy(tn->name, name, PGL_TENSOR_NAME_LEN);
	tn->dtype = dtype;
	tn->ndim = ndim;
	tn->dims[0] = d0;
	tn->dims[1] = d1;
	tn->data = data;
}

/* the model's tensors (family.h) */
static void
fc_build_model(PglTrainCall *c, FcTrain *t)
{
	int32	S = t->n_series;
	double *meta = palloc0(sizeof(double) * PGL_FCM_N),
		   *rows = palloc(sizeof(double) * S * PGL_FCS_N);
	int64	n_fits = 0, n_last = 0, fo = 0, lo = 0;
	double *fits, *last;
	char  **cols = palloc(sizeof(char *) * 2);

	for (int32 s = 0; s < S; s++)
	{
		n_fits += t->series[s].fit_len;
		n_last += Min(t->series[s].n, PGL_FC_MAX_LAST);
	}
	fits = palloc(sizeof(double) * n_fits);
	last = palloc(sizeof(double) * n_last);
	for (int32 s = 0; s < S; s++)
	{
		FcSeries *se = &t->series[s];
		double	 *r = rows + (int64) s * PGL_FCS_N;
		int32	  nl = Min(se->n, PGL_FC_MAX_LAST);

		memcpy(fits + fo, se->fits, sizeof(double) * se->fit_len);
		memcpy(last + lo, se->y + se->n - nl, sizeof(double) * nl);
		r[PGL_FCS_START] = (double) se->start;
		r[PGL_FCS_N_POINTS] = se->n;
		r[PGL_FCS_SEASON] = se->m;
		r[PGL_FCS_SCALE] = se->scale;
		r[PGL_FCS_FIT_OFF] = fo;
		r[PGL_FCS_FIT_LEN] = se->fit_len;
		r[PGL_FCS_LAST_OFF] = lo;
		r[PGL_FCS_LAST_LEN] = nl;
		r[PGL_FCS_AICC] = se->aicc;
		r[PGL_FCS_SIGMA2] = se->sigma2;
		fo += se->fit_len;
		lo += nl;
	}
	meta[PGL_FCM_VERSION] = 1;
	meta[PGL_FCM_HORIZON] = t->horizon;
	meta[PGL_FCM_LEVEL] = t->level;
	meta[PGL_FCM_TIME_TYPE] = t->time_type;
	meta[PGL_FCM_STEP_US] = (double) t->step_us;
	meta[PGL_FCM_STEP_MONTHS] = t->step_months;
	meta[PGL_FCM_METHOD] = c->opts.method;
	meta[PGL_FCM_HAS_SERIES] = c->opts.series_col != NULL;
	meta[PGL_FCM_SEASON] = Max(c->opts.season, 0);
	meta[PGL_FCM_TEST_SIZE] = t->test_size;
	cols[0] = pstrdup(c->opts.time_col);
	cols[1] = pstrdup(c->opts.series_col ? c->opts.series_col : "");
	c->m->n_tensors = 6;
	c->m->tensors = palloc0(sizeof(pgl_tensor) * 6);
	fc_tensor(&c->m->tensors[5], "fc_columns", PGL_STR, 1, 2, 0, cols);
	fc_tensor(&c->m->tensors[0], "fc_meta", PGL_F64, 1, PGL_FCM_N, 0, meta);
	fc_tensor(&c->m->tensors[1], "fc_keys", PGL_STR, 1, S, 0, t->keys);
	fc_tensor(&c->m->tensors[2], "fc_series", PGL_F64, 2, S, PGL_FCS_N, rows);
	fc_tensor(&c->m->tensors[3], "fc_fits", PGL_F64, 1, n_fits, 0, fits);
	fc_tensor(&c->m->tensors[4], "fc_last", PGL_F64, 1, n_last, 0, last);
}

/* ---------- metrics ---------- */

static void
fc_number(StringInfo buf, const char *key, double v)
{
	if (isfinite(v))
		appendStringInfo(buf, ", \"%s\": %.10g", key, v);
	else
		appendStringInfo(buf, ", \"%s\": null", key);
}

static void
fc_metrics(PglTrainCall *c, StringInfo buf)
{
	FcTrain *t = c->state;
	int64	 points = 0, by_method[3] = {0, 0, 0}, seasonal = 0;
	double	 mase = 0, smape = 0, cover = 0;
	int64	 n_mase = 0, n_test = 0;

	for (int32 s = 0; s < t->n_series; s++)
	{
		FcSeries *se = &t->series[s];

		points += se->n;
		by_method[se->method >= 0 && se->method <= 2 ? se->method : 0]++;
		seasonal += se->m > 1;
		if (se->t_n > 0)
		{
			if (se->t_scale > 0)
			{
				mase += se->t_ae / se->t_n / se->t_scale;
				n_mase++;
			}
			smape += se->t_smape;
			cover += se->t_cover;
			n_test += se->t_n;
		}
	}
	appendStringInfo(buf, "{\"train\": {\"series\": %d, \"points\": " INT64_FORMAT, t->n_series,
					 points);
	appendStringInfo(buf, ", \"interpolated\": " INT64_FORMAT ", \"seasonal\": " INT64_FORMAT,
					 t->interpolated, seasonal);
	appendStringInfo(buf, ", \"step\": \"%s\"", fc_step_text(t->step_us, t->step_months));
	appendStringInfo(buf,
					 ", \"methods\": {\"ets\": " INT64_FORMAT ", \"arima\": " INT64_FORMAT
					 ", \"combination\": " INT64_FORMAT "}}",
					 by_method[1], by_method[2], by_method[0]);
	if (n_test > 0)
	{
		appendStringInfo(buf, ", \"test\": {\"periods\": %d, \"n\": " INT64_FORMAT, t->test_size,
						 n_test);
		fc_number(buf, "mase", n_mase > 0 ? mase / n_mase : NAN);
		fc_number(buf, "smape", smape / n_test);
		fc_number(buf, "coverage", cover / n_test);
		fc_number(buf, "level", t->level);
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoChar(buf, '}');
}

const PglTrainGlue pgl_glue_forecast = {
	.check = fc_check,
	.read = fc_read,
	.preprocess = fc_preprocess,
	.fit = fc_fit,
	.metrics = fc_metrics,
};
