/*-------------------------------------------------------------------------
 *
 * fused_agg.c
 *	  The fused aggregates of the "aggregate" training method:
 *	  ai_linreg_fit_agg, ai_logreg_fit_agg, ai_kmeans_fit_agg and
 *	  ai_stats_fit_agg (the standardization of logistic regression).  Each takes
 *	  the model with its preprocessing (bytea) and one row of the data (a
 *	  record, read positionally when the data's column names are given), and
 *	  does, in one C call per row, what a pass of ai_holdout, ai_features,
 *	  ai_label and ai_linreg_agg / ai_logreg_grad_agg / ai_softmax_grad_agg /
 *	  ai_kmeans_step_state / ai_stats_agg does: the hold-out test, the encoding and the
 *	  accumulation.
 *
 * Each has two forms.  The row form takes the row as a record and the
 * names of its fields (ai_linreg_fit_agg(model, row, columns, seed,
 * test_size)): what Citus ships to its workers, whose whole-row references
 * become anonymous records.  The fields form takes the names, then the
 * row's fields themselves as trailing arguments (ai_linreg_fit_agg(model,
 * columns, seed, test_size, VARIADIC "any")): no record is built and taken
 * apart per row, which is about half of a row's cost; it needs the
 * arguments' types from the call (so not through Citus's
 * worker_partial_agg, which calls the transition function without them),
 * and takes at most 94 fields (FUNC_MAX_ARGS).
 *
 * The state is a float8[] (text I/O, so that parallel query and Citus ship
 * partial states as they do those of the other aggregates; Citus refuses
 * aggregates with an internal state):
 *
 *	 [tag, pending rows r, block rows B, L, acc (L), weights (logistic), block]
 *
 * and for linear regression, which also learns what the hold-out and the
 * NULLs hold in the same pass:
 *
 *	 [tag, r, B, L, acc (L), test (L), r_test, skipped, nulls (2 nf), block, test block]
 *
 * tag is -1 (linear), -2 (logistic), -3 (kmeans), -4 (statistics: acc is
 * the state of ai_stats_agg, B = 0): never a valid first
 * element of the other aggregates' states.  acc is the state of the
 * unfused aggregate, in its layout (aggsteps.h, moments.h).  Linear
 * regression adds a hold-out row to test (the hold-out's state of
 * ai_linreg_agg, from which the test metrics follow without another pass)
 * instead of skipping it, counts the rows with a NULL target (skipped) and
 * the NULLs of each of the model's nf features on each side of the split.
 * The encoded rows of linear and logistic regression wait in the block (B
 * rows of p + 1 values: the inputs, then the target or class index) and are
 * added B at a time with BLAS: linear regression the block's means and
 * co-moments by DSYRK, merged into acc (Chan et al.); logistic regression
 * the scores and the gradient by two DGEMMs.  kmeans adds each row to acc
 * directly (B = 0).  The final function (and a combine) adds the pending
 * rows.
 *
 * Inside an aggregate the state is updated in place (as float8_accum does):
 * a row costs the encoding and, every B rows, the block's BLAS calls, with
 * no allocation.  The decoded model, the column map and scratch buffers live
 * in fn_extra, per call site (the decoded model itself once per backend).
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "data_reader.h"
#include "row_encode.h"

#include <cblas.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "aggsteps.h"
#include "moments.h"
#include "prep.h"

PG_FUNCTION_INFO_V1(ai_linreg_fit_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_logreg_fit_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_kmeans_fit_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_linreg_fit_agg_fields_sfunc);
PG_FUNCTION_INFO_V1(ai_logreg_fit_agg_fields_sfunc);
PG_FUNCTION_INFO_V1(ai_kmeans_fit_agg_fields_sfunc);
PG_FUNCTION_INFO_V1(ai_stats_fit_agg_sfunc);
PG_FUNCTION_INFO_V1(ai_stats_fit_agg_fields_sfunc);
PG_FUNCTION_INFO_V1(ai_fit_agg_combine);
PG_FUNCTION_INFO_V1(ai_fit_agg_final);

#define FUSED_LINREG (-1)
#define FUSED_LOGREG (-2)
#define FUSED_KMEANS (-3)
#define FUSED_STATS	 (-4)
#define FUSED_HDR	 4
#define FUSED_BLOCK	 128 /* rows per block */

static const char *
family_name(int tag)
{
	switch (tag)
	{
		case FUSED_LINREG:
			return "ai_linreg_fit_agg";
		case FUSED_LOGREG:
			return "ai_logreg_fit_agg";
		case FUSED_STATS:
			return "ai_stats_fit_agg";
		default:
			return "ai_kmeans_fit_agg";
	}
}

static inline double *
array_data(ArrayType *a)
{
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/* a state's parts */
typedef struct Fused
{
	int		tag;
	int32	p;	  /* inputs */
	int32	ncol; /* logistic: 1 or k classes; kmeans: k */
	int32	B;	  /* block rows */
	double *s;	  /* the whole state */
	double *acc;
	size_t	L;
	double *w;	   /* logistic: (p + 1) x ncol, row-major */
	double *block; /* B x (p + 1), row-major */
	size_t	len;   /* of s */
	/* linear regression only: */
	int32	nf;			/* the model's features */
	double *test;		/* the hold-out's state of ai_linreg_agg (L) */
	double *counts;		/* r_test, skipped, NULLs per feature: training (nf), hold-out (nf) */
	double *test_block; /* B x (p + 1) */
} Fused;

#define LINREG_COUNTS(nf) (2 + 2 * (size_t) (nf))

static size_t
fused_len(int tag, int32 p, int32 ncol, size_t L, int32 B, int32 nf)
{
	size_t rows = (size_t) B * ((size_t) p + 1);
	size_t n = FUSED_HDR + L + rows;

	if (tag == FUSED_LOGREG)
		n += ((size_t) p + 1) * (size_t) ncol;
	if (tag == FUSED_LINREG)
		n += L + LINREG_COUNTS(nf) + rows;
	return n;
}

/* the pointers of f into f->s, from its shape */
static void
fused_layout(Fused *f)
{
	size_t rows = (size_t) f->B * ((size_t) f->p + 1);

	f->acc = f->s + FUSED_HDR;
	f->w = f->tag == FUSED_LOGREG ? f->acc + f->L : NULL;
	f->block = f->acc + f->L + (f->w ? ((size_t) f->p + 1) * f->ncol : 0);
	f->test = f->counts = f->test_block = NULL;
	if (f->tag == FUSED_LINREG)
	{
		f->test = f->acc + f->L;
		f->counts = f->test + f->L;
		f->block = f->counts + LINREG_COUNTS(f->nf);
		f->test_block = f->block + rows;
	}
}

static pg_attribute_noreturn() void not_a_state(const char *agg, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("argument is not a state of %s", agg),
			 errdetail("%s", why), errhint("Pass the value %s returned, unchanged.", agg)));
}

static bool
is_count(double v, double max)
{
	return v >= 0 && v <= max && v == floor(v);
}

/* a linear regression state's hold-out state and counts (a state from outside) */
static void
check_linreg_extra(const Fused *f, const char *agg)
{
	char why[256];

	if (!pgl_linreg_state_check(f->test, f->L, why, sizeof(why)))
		not_a_state(agg, why);
	if ((int32) f->test[0] != f->p)
		not_a_state(agg, "Its hold-out part is of another number of inputs.");
	if (!is_count(f->counts[0], f->B))
		not_a_state(agg, "Its pending hold-out rows are not between 0 and the block rows.");
	for (size_t i = 1; i < LINREG_COUNTS(f->nf); i++)
		if (!is_count(f->counts[i], 1e18))
			not_a_state(agg, "Its counts are not whole numbers >= 0.");
}

/*
 * The parts of state s (len doubles).  full: check every value (a state
 * from outside); else only the header and the length (our own state).
 */
static void
fused_parts(Fused *f, double *s, size_t len, const char *agg, bool full)
{
	char why[256];
	bool ok;

	memset(f, 0, sizeof(*f));
	if (len < FUSED_HDR + 2 || (s[0] != FUSED_LINREG && s[0] != FUSED_LOGREG &&
								s[0] != FUSED_KMEANS && s[0] != FUSED_STATS))
		not_a_state(agg, "Its first element is not -1, -2, -3 or -4 (linear, logistic, kmeans, "
						 "statistics).");
	f->tag = (int) s[0];
	f->s = s;
	f->len = len;
	f->acc = s + FUSED_HDR;
	if (!is_count(s[2], FUSED_BLOCK) || !is_count(s[1], s[2]) || !(s[3] >= 2) ||
		!is_count(s[3], (double) (len - FUSED_HDR)))
		not_a_state(agg, "Its header (pending rows, block rows, state length) is not consistent.");
	f->B = (int32) s[2];
	f->L = (size_t) s[3];
	if (f->tag == FUSED_LINREG)
	{
		ok = !full || pgl_linreg_state_check(f->acc, f->L, why, sizeof(why));
		f->p = (int32) f->acc[0];
		f->ncol = 1;
		if (ok && f->p >= 1 && f->p <= PGL_MOMENTS_MAX_P)
		{
			/* the features: what the length leaves for their NULL counts */
			size_t fixed = fused_len(FUSED_LINREG, f->p, 1, f->L, f->B, 0);

			if (len > fixed && (len - fixed) % 2 == 0 && (len - fixed) / 2 <= (size_t) f->p)
				f->nf = (int32) ((len - fixed) / 2);
		}
	}
	else if (f->tag == FUSED_KMEANS)
	{
		ok = !full || pgl_kmeans_check(f->acc, f->L, why, sizeof(why));
		f->p = (int32) f->acc[1];
		f->ncol = (int32) f->acc[0];
	}
	else if (f->tag == FUSED_STATS)
	{
		ok = !full || pgl_stats_check(f->acc, f->L, why, sizeof(why));
		f->p = (int32) f->acc[0];
		f->ncol = 1;
	}
	else
	{
		/* binary: [p, n, ...]; softmax: [p, k, n, ...], told apart by the length */
		f->p = (int32) f->acc[0];
		f->ncol = f->L == PGL_LOGREG_GRAD_LEN(f->p) ? 1 : (int32) f->acc[1];
		ok = !full || (f->ncol == 1 ? pgl_logreg_grad_check(f->acc, f->L, why, sizeof(why))
									: pgl_softmax_grad_check(f->acc, f->L, why, sizeof(why)));
	}
	if (!ok)
		not_a_state(agg, why);
	if (f->p < 1 || f->p > PGL_MOMENTS_MAX_P || f->ncol < 1 ||
		(f->tag == FUSED_LINREG && f->nf < 1) ||
		len != fused_len(f->tag, f->p, f->ncol, f->L, f->B, f->nf))
		not_a_state(agg, "Its length does not match its header.");
	fused_layout(f);
	if (full)
	{
		size_t from = f->w ? (size_t) (f->w - s) : (size_t) (f->block - s);

		if (f->tag == FUSED_LINREG)
			check_linreg_extra(f, agg);
		for (size_t i = from; i < len; i++)
			if (!isfinite(s[i]))
				not_a_state(agg, "It holds a value that is not a finite number.");
	}
}

static ArrayType *
new_array(size_t len)
{
	Size	   bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * len;
	ArrayType *a = (ArrayType *) palloc0(bytes);

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/* ---------- adding the pending block ---------- */

static pg_attribute_noreturn() void overflowed(const char *agg, const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					errmsg("%s: the %s overflowed", agg, what), errhint("Scale the values down.")));
}

/*
 * Linear regression: the means and centred co-moments of r rows of X (row
 * after row of p + 1 values; centred in place) by DSYRK, merged into the
 * state acc.  scratch: PGL_LINREG_STATE_LEN(p) + (p + 1)^2 doubles.
 */
static void
add_moments(int32 p, double *acc, double *X, int32 r, double *scratch)
{
	int32	d = p + 1;
	double *T = scratch;
	double *mean = T + 2;
	double *C = mean + d;
	double *G = scratch + PGL_LINREG_STATE_LEN(p);

	T[0] = p;
	T[1] = r;
	for (int32 j = 0; j < d; j++)
		mean[j] = 0;
	for (int32 i = 0; i < r; i++)
		for (int32 j = 0; j < d; j++)
			mean[j] += X[(size_t) i * d + j];
	for (int32 j = 0; j < d; j++)
		mean[j] /= r;
	for (int32 i = 0; i < r; i++)
		for (int32 j = 0; j < d; j++)
			X[(size_t) i * d + j] -= mean[j];
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, r, 1.0, X, d, 0.0, G, d);
	for (int32 b = 0; b < d; b++)
		for (int32 a = 0; a <= b; a++)
			C[PGL_PACKED(a, b)] = G[(size_t) b * d + a];
	pgl_linreg_state_merge(acc, T, p);
	{
		const double *m = acc + 2;
		const double *Ca = m + d;

		for (int32 j = 0; j < d; j++)
			if (!isfinite(m[j]) || !isfinite(Ca[PGL_PACKED(j, j)]))
				overflowed(family_name(FUSED_LINREG), "sums of squares");
	}
}

/*
 * Logistic regression: scores Z = W x (DGEMM), the loss and residuals per
 * row, the gradient R Xᵀ (DGEMM).  scratch: ncol * B doubles.
 */
static void
flush_logreg(Fused *f, double *scratch)
{
	int32		  p = f->p, d = p + 1, k = f->ncol, r = (int32) f->s[1];
	const double *W = f->w;
	const double *X = f->block;
	double		 *Z = scratch;
	double		 *nloss = f->acc + (k == 1 ? 1 : 2);
	double		 *G = nloss + 2;
	double		  loss = 0;

	/* Z (k x r) = W[0..p) (k x p, col-major: W is (p + 1) x k row-major) X (p x r) */
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, k, r, p, 1.0, W, k, X, d, 0.0, Z, k);
	for (int32 i = 0; i < r; i++)
	{
		double *z = Z + (size_t) i * k;
		double	y = X[(size_t) i * d + p];

		for (int32 c = 0; c < k; c++)
			z[c] += W[(size_t) p * k + c];
		if (k == 1)
		{
			/* as pgl_logreg_grad_add */
			double e = exp(-fabs(z[0]));
			double sig = z[0] >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

			loss += (z[0] > 0.0 ? z[0] : 0.0) + log1p(e) - y * z[0];
			z[0] = sig - y;
		}
		else
		{
			/* as pgl_softmax_grad_add */
			double m = z[0], sum = 0.0, lse;
			int32  yc = (int32) y;

			for (int32 c = 1; c < k; c++)
				if (z[c] > m)
					m = z[c];
			for (int32 c = 0; c < k; c++)
				sum += exp(z[c] - m);
			lse = m + log(sum);
			loss += lse - z[yc];
			for (int32 c = 0; c < k; c++)
				z[c] = exp(z[c] - lse) - (c == yc ? 1.0 : 0.0);
		}
	}
	/* G[0..p) (k x p, col-major) += R (k x r) Xᵀ (r x p); the intercepts the sums of R */
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, p, r, 1.0, Z, k, X, d, 1.0, G, k);
	for (int32 i = 0; i < r; i++)
		for (int32 c = 0; c < k; c++)
			G[(size_t) p * k + c] += Z[(size_t) i * k + c];
	nloss[0] += r;
	nloss[1] += loss;
	if (!isfinite(nloss[1]))
		overflowed(family_name(f->tag), "loss");
	for (size_t i = 0; i < (size_t) d * k; i++)
		if (!isfinite(G[i]))
			overflowed(family_name(f->tag), "gradient");
}

/* add the pending rows of both blocks */
static void
flush(Fused *f, double *scratch)
{
	if (f->tag == FUSED_LINREG)
	{
		if (f->s[1] > 0)
			add_moments(f->p, f->acc, f->block, (int32) f->s[1], scratch);
		if (f->counts[0] > 0)
			add_moments(f->p, f->test, f->test_block, (int32) f->counts[0], scratch);
		f->s[1] = f->counts[0] = 0;
		return;
	}
	if (f->s[1] == 0)
		return;
	flush_logreg(f, scratch);
	f->s[1] = 0;
}

static size_t
scratch_len(const Fused *f)
{
	int32 d = f->p + 1;

	return PGL_LINREG_STATE_LEN(f->p) + (size_t) d * d + (size_t) f->ncol * FUSED_BLOCK +
		   (size_t) f->p + 1;
}

/* ---------- the transition functions ---------- */

/*
 * Where a form of an aggregate has its arguments (0 is the state; -1: it
 * has none of that argument).  The row form passes the row as a record
 * (row); the fields form passes its fields from argument fields on.
 */
typedef struct Form
{
	int model, row, columns, seed, test_size, param, fields;
} Form;

static const Form linreg_row = {1, 2, 3, 4, 5, -1, -1};
static const Form linreg_fields = {1, -1, 2, 3, 4, -1, 5};
static const Form logreg_row = {1, 2, 3, 4, 5, 6, -1};
static const Form logreg_fields = {1, -1, 2, 3, 4, 5, 6};
static const Form kmeans_row = {1, 2, 3, -1, -1, 4, -1};
static const Form kmeans_fields = {1, -1, 2, -1, -1, 3, 4};

/*
 * The encoder (the decoded model and where its columns sit in the row) is
 * kept for the backend, not per call site: an engine that builds a new
 * FmgrInfo for every row (Citus's worker_partial_agg does, which empties
 * fn_extra) would otherwise decode the model on every row.  One entry; a
 * generation number tells a call site that the entry was replaced (by
 * another model's aggregate) and must be looked up again.
 */
static PglRowEnc	*shared_enc = NULL;
static uint64		 shared_gen = 0;
static MemoryContext shared_cxt = NULL;

static PglRowEnc *
shared_encoder(bytea *blob, ArrayType *columns, const char *agg)
{
	if (shared_enc != NULL && pgl_rowenc_same(shared_enc, blob, columns))
		return shared_enc;
	if (shared_cxt == NULL)
		shared_cxt =
			AllocSetContextCreate(TopMemoryContext, "pg_learn fused encoder", ALLOCSET_SMALL_SIZES);
	if (shared_enc != NULL)
		pgl_rowenc_free(shared_enc);
	shared_enc = NULL;
	shared_gen++;
	shared_enc = pgl_rowenc_create(shared_cxt, blob, columns, agg);
	return shared_enc;
}

/* what a call site keeps between rows (fn_extra) */
typedef struct Site
{
	const Form *form;
	PglRowEnc  *enc; /* the shared encoder of generation enc_gen */
	uint64		enc_gen;
	void	   *model_ptr, *columns_ptr; /* the arguments last seen to be the encoder's */
	void	   *param_ptr;				 /* the weights / centroids last checked, for ... */
	double	   *param_state;			 /* ... this state */
	PglSplit	split;
	TupleDesc	fields; /* the fields form: the types of the fields */
	uint64		fields_id;
	double	   *scratch; /* scratch_len doubles, then a row of inputs */
	size_t		nscratch;
	Fused		parts; /* of the state last seen inside an aggregate */
} Site;

/* the fields form: the types of the trailing arguments, from the call */
static void
site_fields(FunctionCallInfo fcinfo, Site *site, const char *agg)
{
	site->fields =
		pgl_fields_desc(fcinfo, site->form->fields, agg,
						psprintf("%s(model, ROW(...), columns, ...)", agg), &site->fields_id);
}

/* the encoder for this row's model and column names: the same for every row */
static Site *
site_of(FunctionCallInfo fcinfo, const Form *form, const char *agg)
{
	Site	  *site = fcinfo->flinfo->fn_extra;
	int		   ca = form->columns;
	bytea	  *blob;
	ArrayType *columns = NULL;

	if (PG_ARGISNULL(form->model))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: model is NULL", agg),
						errhint("Pass the model with its preprocessing, as ai_export_model "
								"returns it.")));
	if (form->fields >= 0 && PG_ARGISNULL(ca))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: columns is NULL", agg),
				 errhint("Pass the names of the row's fields, in the order they are given.")));
	if (site == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		/*
		 * One BLAS thread: a block is small, and the rows are already divided
		 * among the parallel workers; a thread pool per worker would only
		 * oversubscribe the cores (and spin).
		 */
		pgl_set_blas_threads_n(1);

		site = fcinfo->flinfo->fn_extra = palloc0(sizeof(Site));
		site->form = form;
		if (form->fields >= 0)
			site_fields(fcinfo, site, agg);
		MemoryContextSwitchTo(old);
	}
	/* the same Datums as the last row (a constant or a parameter): nothing to compare */
	if (site->enc && site->enc_gen == shared_gen &&
		DatumGetPointer(PG_GETARG_DATUM(form->model)) == site->model_ptr &&
		(PG_ARGISNULL(ca) ? site->columns_ptr == NULL
						  : DatumGetPointer(PG_GETARG_DATUM(ca)) == site->columns_ptr))
		return site;
	blob = PG_GETARG_BYTEA_PP(form->model);
	if (!PG_ARGISNULL(ca))
		columns = PG_GETARG_ARRAYTYPE_P(ca);
	{
		PglRowEnc *enc = shared_encoder(blob, columns, agg);

		/* another model, or the shared entry was rebuilt: the sized buffers start over */
		if (enc != site->enc || site->enc_gen != shared_gen)
		{
			site->enc = enc;
			site->enc_gen = shared_gen;
			if (site->scratch)
				pfree(site->scratch);
			site->scratch = NULL;
			memset(&site->parts, 0, sizeof(site->parts));
		}
	}
	site->model_ptr = DatumGetPointer(PG_GETARG_DATUM(form->model));
	site->columns_ptr = PG_ARGISNULL(ca) ? NULL : DatumGetPointer(PG_GETARG_DATUM(ca));
	return site;
}

/*
 * The state to update: the first argument itself inside an aggregate, else
 * a copy; NULL for the empty state '{}'.  Parts in *f when not empty.
 */
static ArrayType *
state_arg(FunctionCallInfo fcinfo, Site *site, Fused *f, const char *agg, bool *empty)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(0);
	bool	   in_agg = AggCheckCallContext(fcinfo, NULL) != 0;

	if (!in_agg)
		a = PG_GETARG_ARRAYTYPE_P_COPY(0);
	*empty = ARR_NDIM(a) == 0;
	if (*empty)
		return a;
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		not_a_state(agg, "It is not a one-dimensional float8[] without NULLs.");
	/* the state of the last row, updated in place: its parts are known */
	if (in_agg && site->parts.s == array_data(a) && site->parts.len == (size_t) ARR_DIMS(a)[0] &&
		site->parts.tag == array_data(a)[0])
	{
		*f = site->parts;
		return a;
	}
	fused_parts(f, array_data(a), (size_t) ARR_DIMS(a)[0], agg, !in_agg);
	if (in_agg)
		site->parts = *f;
	return a;
}

/* what take_row made of a row */
typedef enum RowIs
{
	ROW_NONE,	  /* a NULL row: nothing to count */
	ROW_NO_LABEL, /* a NULL target, or a class the model does not know */
	ROW_TEST,	  /* in the hold-out */
	ROW_TRAIN
} RowIs;

/*
 * The common part of a row: loads it, reads its label into *y (with_target)
 * and tells its side of the split.  The inputs go into x for a training row,
 * and for a hold-out row when test_inputs.
 */
static RowIs
take_row(FunctionCallInfo fcinfo, Site *site, bool with_target, bool test_inputs, double *x,
		 double *y)
{
	PglRowEnc  *e = site->enc;
	const Form *form = site->form;
	bool		test;

	if (form->fields >= 0)
		pgl_rowenc_load_fields(e, site->fields, site->fields_id, &fcinfo->args[form->fields],
							   with_target);
	else if (PG_ARGISNULL(form->row))
		return ROW_NONE;
	else
		pgl_rowenc_load(e, PG_GETARG_HEAPTUPLEHEADER(form->row), with_target);
	if (with_target && !pgl_rowenc_label(e, y))
		return ROW_NO_LABEL;
	test = form->seed >= 0 && pgl_split_test(&site->split, pgl_rowenc_row(e));
	if (!test || test_inputs)
		pgl_rowenc_features(e, x);
	return test ? ROW_TEST : ROW_TRAIN;
}

static double *
site_scratch(Site *site, const Fused *f)
{
	size_t need = scratch_len(f);

	if (site->scratch == NULL || site->nscratch < need)
	{
		if (site->scratch)
			pfree(site->scratch);
		site->scratch = MemoryContextAlloc(GetMemoryChunkContext(site), sizeof(double) * need);
		site->nscratch = need;
	}
	return site->scratch;
}

/* the row buffer of the site's scratch, for p inputs and ncol columns */
static double *
site_row(Site *site, int32 p, int32 ncol)
{
	Fused shape = {.p = p, .ncol = ncol};

	return site_scratch(site, &shape) + scratch_len(&shape) - (p + 1);
}

/* a row into a block of B rows with r pending: added when full */
static void
block_row(Fused *f, Site *site, double *block, double *pending, const double *x, double y)
{
	int32	p = f->p;
	int32	r = (int32) *pending;
	double *row = block + (size_t) r * (p + 1);

	memcpy(row, x, sizeof(double) * p);
	row[p] = y;
	*pending = r + 1;
	if (r + 1 == f->B)
		flush(f, site_scratch(site, f));
}

/* a new state of the family; the caller initializes its acc */
static ArrayType *
new_state(Fused *f, int tag, int32 p, int32 ncol, size_t L, int32 B, int32 nf)
{
	size_t	   len = fused_len(tag, p, ncol, L, B, nf);
	ArrayType *a = new_array(len);
	double	  *s = array_data(a);

	s[0] = tag;
	s[1] = 0;
	s[2] = B;
	s[3] = (double) L;
	memset(f, 0, sizeof(*f));
	f->tag = tag;
	f->p = p;
	f->ncol = ncol;
	f->B = B;
	f->s = s;
	f->len = len;
	f->L = L;
	f->nf = nf;
	fused_layout(f);
	return a;
}

/*
 * ai_linreg_fit_agg(model, data_row, columns, seed, test_size), and the
 * fields form (model, columns, seed, test_size, VARIADIC fields)
 */
static Datum
linreg_fit(FunctionCallInfo fcinfo, const Form *form)
{
	const char		*agg = "ai_linreg_fit_agg";
	Site			*site = site_of(fcinfo, form, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 p = m->n_inputs;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x = site_row(site, p, 1), y;
	RowIs			 is;

	if (m->task != PGL_TASK_REGRESSION)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the model is not a regression model", agg),
						errhint("Pass the preprocessing of a linear_regression model.")));
	pgl_split_args(fcinfo, site->form->seed, site->form->test_size, agg, &site->split);
	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_LINREG || f.p != p || f.nf != m->n_features))
		not_a_state(agg, "It is the state of another aggregate or model.");
	is = take_row(fcinfo, site, true, true, x, &y);
	if (is == ROW_NONE)
		PG_RETURN_ARRAYTYPE_P(st);
	if (empty)
	{
		st = new_state(&f, FUSED_LINREG, p, 1, PGL_LINREG_STATE_LEN(p), FUSED_BLOCK, m->n_features);
		pgl_linreg_state_init(f.acc, p);
		pgl_linreg_state_init(f.test, p);
	}
	if (is == ROW_NO_LABEL)
	{
		f.counts[1] += 1;
		PG_RETURN_ARRAYTYPE_P(st);
	}
	pgl_rowenc_count_nulls(site->enc, f.counts + 2 + (is == ROW_TEST ? f.nf : 0));
	if (is == ROW_TEST)
		block_row(&f, site, f.test_block, &f.counts[0], x, y);
	else
		block_row(&f, site, f.block, &f.s[1], x, y);
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_linreg_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	return linreg_fit(fcinfo, &linreg_row);
}

Datum
ai_linreg_fit_agg_fields_sfunc(PG_FUNCTION_ARGS)
{
	return linreg_fit(fcinfo, &linreg_fields);
}

/* the n values of a (weights or centroids) parameter array: ERROR on a NULL or a non-finite one */
static const double *
finite_values(const char *agg, const char *what, ArrayType *a, int n)
{
	if (ARR_HASNULL(a))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: %s has a NULL element", agg, what)));
	for (int i = 0; i < n; i++)
		if (!isfinite(array_data(a)[i]))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("%s: %s element %d is not a finite number", agg, what, i + 1)));
	return array_data(a);
}

/* the weights of ai_logreg_fit_agg: (p + 1) x ncol finite values */
static const double *
fit_weights(FunctionCallInfo fcinfo, int arg, int32 p, int32 ncol, const char *agg)
{
	ArrayType *w;
	int		   n;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: weights is NULL", agg)));
	w = PG_GETARG_ARRAYTYPE_P(arg);
	n = ARR_NDIM(w) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(w), ARR_DIMS(w));
	if (ARR_NDIM(w) > 2 || n != (p + 1) * ncol)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: weights has %d elements, not (%d + 1) x %d for the model's %d "
							   "inputs and %s",
							   agg, n, p, ncol, p, ncol == 1 ? "two classes" : "classes"),
						errhint("Pass (inputs + 1) x %d weights: one row per input, then the "
								"intercepts.",
								ncol)));
	return finite_values(agg, "weights", w, n);
}

/*
 * The per-aggregate parameter (logistic weights, kmeans centroids) is read
 * and checked on the first row and whenever its Datum changes: it must be
 * the same for every row of one aggregate.
 */
static bool
param_unchecked(FunctionCallInfo fcinfo, const Site *site, int arg, const Fused *f, bool empty)
{
	return empty || PG_ARGISNULL(arg) || DatumGetPointer(PG_GETARG_DATUM(arg)) != site->param_ptr ||
		   site->param_state != f->s;
}

/* after the parameter at arg was read: same says whether it equals the state's */
static void
param_checked(FunctionCallInfo fcinfo, Site *site, int arg, const Fused *f, const char *agg,
			  const char *what, bool same)
{
	if (!same)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the %s differ between rows", agg, what),
						errhint("Pass the same %s to every row of one aggregate.", what)));
	site->param_ptr = DatumGetPointer(PG_GETARG_DATUM(arg));
	site->param_state = f->s;
}

/* ai_logreg_fit_agg(model, data_row, columns, seed, test_size, weights), and the fields form */
static Datum
logreg_fit(FunctionCallInfo fcinfo, const Form *form)
{
	const char		*agg = "ai_logreg_fit_agg";
	Site			*site = site_of(fcinfo, form, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 p = m->n_inputs;
	int				 wa = form->param;
	int32			 ncol;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x, y;

	if (m->task != PGL_TASK_CLASSIFICATION || m->n_classes < 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the model is not a classifier", agg),
						errhint("Pass the preprocessing of a logistic_regression model.")));
	ncol = m->n_classes > 2 ? m->n_classes : 1;
	pgl_split_args(fcinfo, site->form->seed, site->form->test_size, agg, &site->split);
	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_LOGREG || f.p != p || f.ncol != ncol))
		not_a_state(agg, "It is the state of another aggregate or model.");
	/* the weights: checked when their Datum changes, and the same for every row */
	if (param_unchecked(fcinfo, site, wa, &f, empty))
	{
		const double *w = fit_weights(fcinfo, wa, p, ncol, agg);
		bool		  same = true;

		if (empty)
		{
			size_t L = ncol == 1 ? PGL_LOGREG_GRAD_LEN(p) : PGL_SOFTMAX_GRAD_LEN(p, ncol);

			st = new_state(&f, FUSED_LOGREG, p, ncol, L, FUSED_BLOCK, 0);
			if (ncol == 1)
				pgl_logreg_grad_init(f.acc, p);
			else
				pgl_softmax_grad_init(f.acc, p, ncol);
			memcpy(f.w, w, sizeof(double) * (p + 1) * ncol);
			empty = false;
		}
		else
			same = memcmp(w, f.w, sizeof(double) * (p + 1) * ncol) == 0;
		param_checked(fcinfo, site, wa, &f, agg, "weights", same);
	}
	x = site_row(site, p, ncol);
	if (take_row(fcinfo, site, true, false, x, &y) != ROW_TRAIN)
		PG_RETURN_ARRAYTYPE_P(st);
	block_row(&f, site, f.block, &f.s[1], x, y);
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_logreg_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	return logreg_fit(fcinfo, &logreg_row);
}

Datum
ai_logreg_fit_agg_fields_sfunc(PG_FUNCTION_ARGS)
{
	return logreg_fit(fcinfo, &logreg_fields);
}

/* the centroids of ai_kmeans_fit_agg: k x d (or flat) finite values; sets *k */
static const double *
fit_centroids(FunctionCallInfo fcinfo, int arg, int32 d, int32 *k, const char *agg)
{
	ArrayType *c;
	int		   n;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: centroids is NULL", agg)));
	c = PG_GETARG_ARRAYTYPE_P(arg);
	n = ARR_NDIM(c) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(c), ARR_DIMS(c));
	if (ARR_NDIM(c) > 2 || n == 0 || n % d != 0 || (ARR_NDIM(c) == 2 && ARR_DIMS(c)[1] != d))
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s: centroids has %d elements, not k x %d for the model's %d "
							   "inputs",
							   agg, n, d, d),
						errhint("Pass the centroids as a k x d array, one row per centroid.")));
	*k = n / d;
	if (*k > PGL_KMEANS_MAX_K || (double) *k * d > PGL_KMEANS_MAX_KD)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%s takes at most %d centroids and %d values in all, not %d x %d",
							   agg, PGL_KMEANS_MAX_K, PGL_KMEANS_MAX_KD, (int) *k, d)));
	return finite_values(agg, "centroids", c, n);
}

/* ai_kmeans_fit_agg(model, data_row, columns, centroids), and the fields form */
static Datum
kmeans_fit(FunctionCallInfo fcinfo, const Form *form)
{
	const char		*agg = "ai_kmeans_fit_agg";
	Site			*site = site_of(fcinfo, form, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 d = m->n_inputs;
	int				 ca = form->param;
	int32			 k = 0;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x;

	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_KMEANS || f.p != d))
		not_a_state(agg, "It is the state of another aggregate or model.");
	if (param_unchecked(fcinfo, site, ca, &f, empty))
	{
		const double *c = fit_centroids(fcinfo, ca, d, &k, agg);
		bool		  same = true;

		if (empty)
		{
			st = new_state(&f, FUSED_KMEANS, d, k, PGL_KMEANS_LEN(k, d), 0, 0);
			pgl_kmeans_init(f.acc, k, d, c);
			empty = false;
		}
		else
			same = k == f.ncol && memcmp(c, f.acc + 3, sizeof(double) * k * d) == 0;
		param_checked(fcinfo, site, ca, &f, agg, "centroids", same);
	}
	x = site_row(site, d, 1);
	if (take_row(fcinfo, site, false, false, x, NULL) != ROW_TRAIN)
		PG_RETURN_ARRAYTYPE_P(st);
	(void) pgl_kmeans_add(f.acc, x);
	if (!isfinite(f.acc[2]))
		overflowed(agg, "sum of squared distances");
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
ai_kmeans_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	return kmeans_fit(fcinfo, &kmeans_row);
}

Datum
ai_kmeans_fit_agg_fields_sfunc(PG_FUNCTION_ARGS)
{
	return kmeans_fit(fcinfo, &kmeans_fields);
}

/*
 * ai_stats_fit_agg(model, data_row, columns, seed, test_size), and the
 * fields form: the statistics of ai_stats_agg (count, mean, M2, min, max
 * of each input) over the training rows, encoded by the model; a model
 * with a target skips the rows without a known one, as the fit passes do.
 * Each value is added with Welford's update (pgl_stats_add1), the order of
 * ai_stats_agg, so a serial pass equals ai_stats_agg(ai_features(...)).
 */
static Datum
stats_fit(FunctionCallInfo fcinfo, const Form *form)
{
	const char		*agg = "ai_stats_fit_agg";
	Site			*site = site_of(fcinfo, form, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 p = m->n_inputs;
	bool			 with_target = m->task != PGL_TASK_CLUSTERING;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x = site_row(site, p, 1), y;

	pgl_split_args(fcinfo, site->form->seed, site->form->test_size, agg, &site->split);
	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_STATS || f.p != p))
		not_a_state(agg, "It is the state of another aggregate or model.");
	if (take_row(fcinfo, site, with_target, false, x, &y) != ROW_TRAIN)
		PG_RETURN_ARRAYTYPE_P(st);
	if (empty)
	{
		st = new_state(&f, FUSED_STATS, p, 1, PGL_STATS_LEN(p), 0, 0);
		pgl_stats_init(f.acc, p);
	}
	for (int32 j = 0; j < p; j++)
	{
		pgl_stats_add1(f.acc, j, x[j]);
		if (!isfinite(f.acc[3 + 5 * (size_t) j]))
			overflowed(agg, "sums of squares");
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

/* the same arguments as ai_linreg_fit_agg */
Datum
ai_stats_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	return stats_fit(fcinfo, &linreg_row);
}

Datum
ai_stats_fit_agg_fields_sfunc(PG_FUNCTION_ARGS)
{
	return stats_fit(fcinfo, &linreg_fields);
}

/* ---------- combine and final, shared by the four ---------- */

Datum
ai_fit_agg_combine(PG_FUNCTION_ARGS)
{
	bool		in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	ArrayType  *a = in_agg ? PG_GETARG_ARRAYTYPE_P(0) : PG_GETARG_ARRAYTYPE_P_COPY(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P_COPY(1); /* its pending block is added in place */
	const char *agg = "ai_fit_agg_combine";
	Fused		fa, fb;
	double	   *scratch;

	if (ARR_NDIM(b) == 0)
		PG_RETURN_ARRAYTYPE_P(a);
	if (ARR_NDIM(b) != 1 || ARR_HASNULL(b) || ARR_ELEMTYPE(b) != FLOAT8OID)
		not_a_state(agg, "It is not a one-dimensional float8[] without NULLs.");
	fused_parts(&fb, array_data(b), (size_t) ARR_DIMS(b)[0], agg, true);
	if (ARR_NDIM(a) == 0)
		PG_RETURN_ARRAYTYPE_P(b);
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		not_a_state(agg, "It is not a one-dimensional float8[] without NULLs.");
	fused_parts(&fa, array_data(a), (size_t) ARR_DIMS(a)[0], agg, !in_agg);
	if (fa.tag != fb.tag || fa.p != fb.p || fa.ncol != fb.ncol || fa.L != fb.L || fa.B != fb.B ||
		fa.nf != fb.nf || (fa.w && memcmp(fa.w, fb.w, sizeof(double) * (fa.p + 1) * fa.ncol) != 0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the partial states are of different aggregates, models or "
							   "parameters",
							   family_name(fa.tag)),
						errhint("Merge only states of one aggregate over one model.")));
	scratch = palloc(sizeof(double) * scratch_len(&fa));
	flush(&fa, scratch);
	flush(&fb, scratch);
	if (fa.tag == FUSED_LINREG)
	{
		pgl_linreg_state_merge(fa.acc, fb.acc, fa.p);
		pgl_linreg_state_merge(fa.test, fb.test, fa.p);
		for (size_t i = 1; i < LINREG_COUNTS(fa.nf); i++)
			fa.counts[i] += fb.counts[i];
	}
	else if (fa.tag == FUSED_STATS)
		pgl_stats_merge(fa.acc, fb.acc, fa.p);
	else if (fa.tag == FUSED_KMEANS)
	{
		if (!pgl_kmeans_merge(fa.acc, fb.acc))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the partial states have different centroids", family_name(fa.tag)),
					 errhint("Merge only states computed from the same centroids.")));
	}
	else if (fa.ncol == 1)
		pgl_logreg_grad_merge(fa.acc, fb.acc, fa.p);
	else
		pgl_softmax_grad_merge(fa.acc, fb.acc);
	pfree(scratch);
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * The result: linear regression the state of ai_linreg_agg of the training
 * rows (for ai_linreg_solve), then that of the hold-out, the rows with a
 * NULL target and the NULLs of each feature in the training rows and in
 * the hold-out; logistic regression what ai_logreg_grad_agg or
 * ai_softmax_grad_agg return ([n, mean loss, mean gradient]); kmeans the
 * state of ai_kmeans_step_state.  NULL when no row was added (linear
 * regression: when no row was seen).
 */
Datum
ai_fit_agg_final(PG_FUNCTION_ARGS)
{
	ArrayType  *st = PG_GETARG_ARRAYTYPE_P_COPY(0);
	const char *agg = "ai_fit_agg_final";
	Fused		f;
	double	   *scratch, *r, n;
	ArrayType  *result;

	if (ARR_NDIM(st) == 0)
		PG_RETURN_NULL();
	if (ARR_NDIM(st) != 1 || ARR_HASNULL(st) || ARR_ELEMTYPE(st) != FLOAT8OID)
		not_a_state(agg, "It is not a one-dimensional float8[] without NULLs.");
	fused_parts(&f, array_data(st), (size_t) ARR_DIMS(st)[0], agg, true);
	scratch = palloc(sizeof(double) * scratch_len(&f));
	flush(&f, scratch);
	if (f.tag == FUSED_LINREG)
	{
		size_t len = 2 * f.L + LINREG_COUNTS(f.nf) - 1;

		result = new_array(len);
		r = array_data(result);
		memcpy(r, f.acc, sizeof(double) * 2 * f.L);
		memcpy(r + 2 * f.L, f.counts + 1, sizeof(double) * (LINREG_COUNTS(f.nf) - 1));
		PG_RETURN_ARRAYTYPE_P(result);
	}
	if (f.tag == FUSED_STATS)
	{
		/* every input has a value in every row: the first one's count is the rows' */
		if (f.acc[1] == 0)
			PG_RETURN_NULL();
		result = new_array(f.L);
		memcpy(array_data(result), f.acc, sizeof(double) * f.L);
		PG_RETURN_ARRAYTYPE_P(result);
	}
	if (f.tag == FUSED_KMEANS)
	{
		n = 0;
		for (int32 c = 0; c < f.ncol; c++)
			n += f.acc[3 + (size_t) f.ncol * f.p + c];
		if (n == 0)
			PG_RETURN_NULL();
		result = new_array(f.L);
		memcpy(array_data(result), f.acc, sizeof(double) * f.L);
		PG_RETURN_ARRAYTYPE_P(result);
	}
	/* [n, mean loss, mean gradient], as the finals of ai_logreg_grad_agg / ai_softmax_grad_agg */
	{
		size_t off = f.ncol == 1 ? 1 : 2;

		n = f.acc[off];
		if (n == 0)
			PG_RETURN_NULL();
		result = new_array(f.L - off);
		r = array_data(result);
		r[0] = n;
		for (size_t i = off + 1; i < f.L; i++)
			r[i - off] = f.acc[i] / n;
	}
	PG_RETURN_ARRAYTYPE_P(result);
}
