/*-------------------------------------------------------------------------
 *
 * fused_agg.c
 *	  The fused aggregates of the "aggregate" training method:
 *	  ai_linreg_fit_agg, ai_logreg_fit_agg and ai_kmeans_fit_agg.  Each takes
 *	  the model with its preprocessing (bytea) and one row of the data (a
 *	  record, read positionally when the data's column names are given), and
 *	  does, in one C call per row, what a pass of ai_holdout, ai_features,
 *	  ai_label and ai_linreg_agg / ai_logreg_grad_agg / ai_softmax_grad_agg /
 *	  ai_kmeans_step_state does: the hold-out test, the encoding and the
 *	  accumulation.
 *
 * The state is a float8[] (text I/O, so that parallel query and Citus ship
 * partial states as they do those of the other aggregates; Citus refuses
 * aggregates with an internal state):
 *
 *	 [tag, pending rows r, block rows B, L, acc (L), weights (logistic), block]
 *
 * tag is -1 (linear), -2 (logistic), -3 (kmeans): never a valid first
 * element of the other aggregates' states.  acc is the state of the
 * unfused aggregate, in its layout (aggsteps.h, moments.h).  The encoded
 * rows of linear and logistic regression wait in the block (B rows of
 * p + 1 values: the inputs, then the target or class index) and are added
 * B at a time with BLAS: linear regression the block's means and co-moments
 * by DSYRK, merged into acc (Chan et al.); logistic regression the scores
 * and the gradient by two DGEMMs.  kmeans adds each row to acc directly
 * (B = 0).  The final function (and a combine) adds the pending rows.
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
PG_FUNCTION_INFO_V1(ai_fit_agg_combine);
PG_FUNCTION_INFO_V1(ai_fit_agg_final);

#define FUSED_LINREG (-1)
#define FUSED_LOGREG (-2)
#define FUSED_KMEANS (-3)
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
} Fused;

static size_t
fused_len(int tag, int32 p, int32 ncol, size_t L, int32 B)
{
	size_t n = FUSED_HDR + L + (size_t) B * ((size_t) p + 1);

	if (tag == FUSED_LOGREG)
		n += ((size_t) p + 1) * (size_t) ncol;
	return n;
}

static pg_attribute_noreturn() void not_a_state(const char *agg, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("argument is not a state of %s", agg),
			 errdetail("%s", why), errhint("Pass the value %s returned, unchanged.", agg)));
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
	if (len < FUSED_HDR + 2 ||
		(s[0] != FUSED_LINREG && s[0] != FUSED_LOGREG && s[0] != FUSED_KMEANS))
		not_a_state(agg, "Its first element is not -1, -2 or -3 (linear, logistic, kmeans).");
	f->tag = (int) s[0];
	f->s = s;
	f->len = len;
	f->acc = s + FUSED_HDR;
	if (!(s[2] >= 0 && s[2] <= FUSED_BLOCK && s[2] == floor(s[2])) ||
		!(s[1] >= 0 && s[1] <= s[2] && s[1] == floor(s[1])) ||
		!(s[3] >= 2 && s[3] <= len - FUSED_HDR && s[3] == floor(s[3])))
		not_a_state(agg, "Its header (pending rows, block rows, state length) is not consistent.");
	f->B = (int32) s[2];
	f->L = (size_t) s[3];
	if (f->tag == FUSED_LINREG)
	{
		ok = !full || pgl_linreg_state_check(f->acc, f->L, why, sizeof(why));
		f->p = (int32) f->acc[0];
		f->ncol = 1;
	}
	else if (f->tag == FUSED_KMEANS)
	{
		ok = !full || pgl_kmeans_check(f->acc, f->L, why, sizeof(why));
		f->p = (int32) f->acc[1];
		f->ncol = (int32) f->acc[0];
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
		len != fused_len(f->tag, f->p, f->ncol, f->L, f->B))
		not_a_state(agg, "Its length does not match its header.");
	f->w = f->tag == FUSED_LOGREG ? f->acc + f->L : NULL;
	f->block = f->acc + f->L + (f->w ? ((size_t) f->p + 1) * f->ncol : 0);
	if (full)
	{
		size_t from = f->w ? (size_t) (f->w - s) : (size_t) (f->block - s);

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
 * Linear regression: the block's means and centred co-moments (DSYRK),
 * merged into acc.  scratch: PGL_LINREG_STATE_LEN(p) + (p + 1)^2 doubles.
 */
static void
flush_linreg(Fused *f, double *scratch)
{
	int32	p = f->p, d = p + 1, r = (int32) f->s[1];
	double *T = scratch;
	double *mean = T + 2;
	double *C = mean + d;
	double *G = scratch + PGL_LINREG_STATE_LEN(p);
	double *X = f->block;

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
	pgl_linreg_state_merge(f->acc, T, p);
	{
		const double *m = f->acc + 2;
		const double *Ca = m + d;

		for (int32 j = 0; j < d; j++)
			if (!isfinite(m[j]) || !isfinite(Ca[PGL_PACKED(j, j)]))
				overflowed(family_name(f->tag), "sums of squares");
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

static void
flush(Fused *f, double *scratch)
{
	if (f->s[1] == 0)
		return;
	if (f->tag == FUSED_LINREG)
		flush_linreg(f, scratch);
	else
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
	PglRowEnc *enc; /* the shared encoder of generation enc_gen */
	uint64	   enc_gen;
	void	  *model_ptr, *columns_ptr; /* the arguments last seen to be the encoder's */
	void	  *param_ptr;				/* the weights / centroids last checked, for ... */
	double	  *param_state;				/* ... this state */
	bool	   split_set;
	int64	   seed;
	double	   test_size;
	double	  *scratch; /* scratch_len doubles, then a row of inputs */
	size_t	   nscratch;
	Fused	   parts; /* of the state last seen inside an aggregate */
} Site;

/* the encoder for this row's model and column names: the same for every row */
static Site *
site_of(FunctionCallInfo fcinfo, const char *agg)
{
	Site	  *site = fcinfo->flinfo->fn_extra;
	bytea	  *blob;
	ArrayType *columns = NULL;

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: model is NULL", agg),
						errhint("Pass the model with its preprocessing, as ai_export_model "
								"returns it.")));
	if (site == NULL)
		site = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Site));
	/* the same Datums as the last row (a constant or a parameter): nothing to compare */
	if (site->enc && site->enc_gen == shared_gen &&
		DatumGetPointer(PG_GETARG_DATUM(1)) == site->model_ptr &&
		(PG_ARGISNULL(3) ? site->columns_ptr == NULL
						 : DatumGetPointer(PG_GETARG_DATUM(3)) == site->columns_ptr))
		return site;
	blob = PG_GETARG_BYTEA_PP(1);
	if (!PG_ARGISNULL(3))
		columns = PG_GETARG_ARRAYTYPE_P(3);
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
	site->model_ptr = DatumGetPointer(PG_GETARG_DATUM(1));
	site->columns_ptr = PG_ARGISNULL(3) ? NULL : DatumGetPointer(PG_GETARG_DATUM(3));
	return site;
}

/* seed and test_size (arguments 4 and 5): checked, and the same for every row */
static void
site_split(FunctionCallInfo fcinfo, Site *site, const char *agg)
{
	int64  seed;
	double ts;

	if (PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: seed and test_size must not be NULL", agg),
						errhint("Pass test_size 0 for no hold-out.")));
	seed = PG_GETARG_INT64(4);
	ts = PG_GETARG_FLOAT8(5);
	if (site->split_set && seed == site->seed && ts == site->test_size)
		return;
	if (seed < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: seed must be >= 0, not " INT64_FORMAT, agg, seed)));
	if (!(ts >= 0 && ts < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: test_size must be in [0, 1), not %g", agg, ts),
				 errhint("It is the share of rows in the hold-out, as the \"test_size\" option of "
						 "ai_train.")));
	if (site->split_set)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: seed and test_size differ between rows", agg),
						errhint("Pass the same seed and test_size to every row.")));
	site->split_set = true;
	site->seed = seed;
	site->test_size = ts;
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

/*
 * The common part of a row: NULL row, NULL or unknown label, or a hold-out
 * row: false (skip it).  Else the inputs into x, the label into *y.
 */
static bool
take_row(FunctionCallInfo fcinfo, Site *site, bool with_target, bool split, double *x, double *y)
{
	PglRowEnc *e = site->enc;

	if (PG_ARGISNULL(2))
		return false;
	pgl_rowenc_load(e, PG_GETARG_HEAPTUPLEHEADER(2), with_target);
	if (with_target && !pgl_rowenc_label(e, y))
		return false;
	if (split && site->test_size > 0 &&
		pgl_hash_in_test((uint64) site->seed, pgl_rowenc_hash(e), site->test_size))
		return false;
	pgl_rowenc_features(e, x);
	return true;
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

/* a row into the block of a linear or logistic state; adds the block when full */
static void
block_row(Fused *f, Site *site, const double *x, double y)
{
	int32	p = f->p;
	int32	r = (int32) f->s[1];
	double *row = f->block + (size_t) r * (p + 1);

	memcpy(row, x, sizeof(double) * p);
	row[p] = y;
	f->s[1] = r + 1;
	if (r + 1 == f->B)
		flush(f, site_scratch(site, f));
}

/* a new state of the family; the caller initializes its acc */
static ArrayType *
new_state(Fused *f, int tag, int32 p, int32 ncol, size_t L, int32 B)
{
	size_t	   len = fused_len(tag, p, ncol, L, B);
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
	f->acc = s + FUSED_HDR;
	f->L = L;
	f->w = tag == FUSED_LOGREG ? f->acc + L : NULL;
	f->block = f->acc + L + (f->w ? ((size_t) p + 1) * ncol : 0);
	return a;
}

/* ai_linreg_fit_agg(model, data_row, columns, seed, test_size) */
Datum
ai_linreg_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	const char		*agg = "ai_linreg_fit_agg";
	Site			*site = site_of(fcinfo, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 p = m->n_inputs;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x, y;

	if (m->task != PGL_TASK_REGRESSION)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the model is not a regression model", agg),
						errhint("Pass the preprocessing of a linear_regression model.")));
	site_split(fcinfo, site, agg);
	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_LINREG || f.p != p))
		not_a_state(agg, "It is the state of another aggregate or model.");
	x = site_scratch(site, &(Fused){.p = p, .ncol = 1}) + scratch_len(&(Fused){.p = p, .ncol = 1}) -
		(p + 1);
	if (!take_row(fcinfo, site, true, true, x, &y))
		PG_RETURN_ARRAYTYPE_P(st);
	if (empty)
	{
		st = new_state(&f, FUSED_LINREG, p, 1, PGL_LINREG_STATE_LEN(p), FUSED_BLOCK);
		pgl_linreg_state_init(f.acc, p);
	}
	block_row(&f, site, x, y);
	PG_RETURN_ARRAYTYPE_P(st);
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
fit_weights(FunctionCallInfo fcinfo, int32 p, int32 ncol, const char *agg)
{
	ArrayType *w;
	int		   n;

	if (PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: weights is NULL", agg)));
	w = PG_GETARG_ARRAYTYPE_P(6);
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

/* ai_logreg_fit_agg(model, data_row, columns, seed, test_size, weights) */
Datum
ai_logreg_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	const char		*agg = "ai_logreg_fit_agg";
	Site			*site = site_of(fcinfo, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 p = m->n_inputs;
	int32			 ncol;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x, y;
	Fused			 shape;

	if (m->task != PGL_TASK_CLASSIFICATION || m->n_classes < 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the model is not a classifier", agg),
						errhint("Pass the preprocessing of a logistic_regression model.")));
	ncol = m->n_classes > 2 ? m->n_classes : 1;
	site_split(fcinfo, site, agg);
	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_LOGREG || f.p != p || f.ncol != ncol))
		not_a_state(agg, "It is the state of another aggregate or model.");
	/* the weights: checked when their Datum changes, and the same for every row */
	if (empty || PG_ARGISNULL(6) || DatumGetPointer(PG_GETARG_DATUM(6)) != site->param_ptr ||
		site->param_state != f.s)
	{
		const double *w = fit_weights(fcinfo, p, ncol, agg);

		if (!empty && memcmp(w, f.w, sizeof(double) * (p + 1) * ncol) != 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s: the weights differ between rows", agg),
							errhint("Pass the same weights to every row of one aggregate.")));
		if (empty)
		{
			size_t L = ncol == 1 ? PGL_LOGREG_GRAD_LEN(p) : PGL_SOFTMAX_GRAD_LEN(p, ncol);

			st = new_state(&f, FUSED_LOGREG, p, ncol, L, FUSED_BLOCK);
			if (ncol == 1)
				pgl_logreg_grad_init(f.acc, p);
			else
				pgl_softmax_grad_init(f.acc, p, ncol);
			memcpy(f.w, w, sizeof(double) * (p + 1) * ncol);
			empty = false;
		}
		site->param_ptr = DatumGetPointer(PG_GETARG_DATUM(6));
		site->param_state = f.s;
	}
	shape = (Fused){.p = p, .ncol = ncol};
	x = site_scratch(site, &shape) + scratch_len(&shape) - (p + 1);
	if (!take_row(fcinfo, site, true, true, x, &y))
		PG_RETURN_ARRAYTYPE_P(st);
	block_row(&f, site, x, y);
	PG_RETURN_ARRAYTYPE_P(st);
}

/* the centroids of ai_kmeans_fit_agg: k x d (or flat) finite values; sets *k */
static const double *
fit_centroids(FunctionCallInfo fcinfo, int32 d, int32 *k, const char *agg)
{
	ArrayType *c;
	int		   n;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: centroids is NULL", agg)));
	c = PG_GETARG_ARRAYTYPE_P(4);
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

/* ai_kmeans_fit_agg(model, data_row, columns, centroids) */
Datum
ai_kmeans_fit_agg_sfunc(PG_FUNCTION_ARGS)
{
	const char		*agg = "ai_kmeans_fit_agg";
	Site			*site = site_of(fcinfo, agg);
	const pgl_model *m = pgl_rowenc_model(site->enc);
	int32			 d = m->n_inputs;
	int32			 k = 0;
	Fused			 f;
	bool			 empty;
	ArrayType		*st;
	double			*x;
	Fused			 shape;

	st = state_arg(fcinfo, site, &f, agg, &empty);
	if (!empty && (f.tag != FUSED_KMEANS || f.p != d))
		not_a_state(agg, "It is the state of another aggregate or model.");
	if (empty || PG_ARGISNULL(4) || DatumGetPointer(PG_GETARG_DATUM(4)) != site->param_ptr ||
		site->param_state != f.s)
	{
		const double *c = fit_centroids(fcinfo, d, &k, agg);

		if (!empty && (k != f.ncol || memcmp(c, f.acc + 3, sizeof(double) * k * d) != 0))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s: the centroids differ between rows", agg),
							errhint("Pass the same centroids to every row of one aggregate.")));
		if (empty)
		{
			st = new_state(&f, FUSED_KMEANS, d, k, PGL_KMEANS_LEN(k, d), 0);
			pgl_kmeans_init(f.acc, k, d, c);
			empty = false;
		}
		site->param_ptr = DatumGetPointer(PG_GETARG_DATUM(4));
		site->param_state = f.s;
	}
	shape = (Fused){.p = d, .ncol = 1};
	x = site_scratch(site, &shape) + scratch_len(&shape) - (d + 1);
	if (!take_row(fcinfo, site, false, false, x, NULL))
		PG_RETURN_ARRAYTYPE_P(st);
	(void) pgl_kmeans_add(f.acc, x);
	if (!isfinite(f.acc[2]))
		overflowed(agg, "sum of squared distances");
	PG_RETURN_ARRAYTYPE_P(st);
}

/* ---------- combine and final, shared by the three ---------- */

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
		(fa.w && memcmp(fa.w, fb.w, sizeof(double) * (fa.p + 1) * fa.ncol) != 0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: the partial states are of different aggregates, models or "
							   "parameters",
							   family_name(fa.tag)),
						errhint("Merge only states of one aggregate over one model.")));
	scratch = palloc(sizeof(double) * scratch_len(&fa));
	flush(&fa, scratch);
	flush(&fb, scratch);
	if (fa.tag == FUSED_LINREG)
		pgl_linreg_state_merge(fa.acc, fb.acc, fa.p);
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
 * The result: linear regression the state of ai_linreg_agg (for
 * ai_linreg_solve); logistic regression what ai_logreg_grad_agg or
 * ai_softmax_grad_agg return ([n, mean loss, mean gradient]); kmeans the
 * state of ai_kmeans_step_state.  NULL when no row was added.
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
	if (f.tag != FUSED_LOGREG)
	{
		n = f.tag == FUSED_LINREG ? f.acc[1] : 0;
		if (f.tag == FUSED_KMEANS)
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
