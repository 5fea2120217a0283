/*-------------------------------------------------------------------------
 *
 * text_glue.c
 *	  Text features: TF-IDF learned on the training rows, the design
 *	  matrix as CSR, and one row's encoding at prediction (text_glue.h).
 *	  The tokenizer and TF-IDF themselves are src/text, without PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "text_glue.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "prep.h"
#include "tfidf.h"

/* the documents of a text column in a part: its vocabulary string, "" for NULL */
static const char *
row_doc(PglDataSet *ds, PglColumn *c, int part, int64 i, size_t *len)
{
	const char *s;

	if (c->nulls[part] && c->nulls[part][i])
	{
		*len = 0;
		return "";
	}
	s = pgl_vocab_string(c->vocab, (int32) pgl_column_values(ds, c, part)[i]);
	*len = strlen(s);
	return s;
}

/* the view of text feature f as src/text sees it */
static pgl_tfidf
feature_tfidf(const pgl_feature *f)
{
	pgl_tfidf v;

	v.n_terms = f->n_categories;
	v.terms = f->categories;
	v.idf = f->idf;
	v.ngram_max = f->ngram_max;
	v.sublinear_tf = f->sublinear != 0;
	return v;
}

static void
learn_one(PglDataSet *ds, PglColumn *c, pgl_feature *feat, const PglTrainOptions *opts,
		  pgl_env *env)
{
	pgl_tfidf_params   p;
	pgl_tfidf_builder *b;
	pgl_tfidf		   v;
	pgl_status		   st;
	int64			   n = ds->part[PGL_TRAIN].n;

	memset(&st, 0, sizeof(st));
	p.ngram_max = PGL_TEXT_NGRAM_MAX;
	p.min_df = opts->min_df > 0 ? opts->min_df : 1;
	p.max_features = opts->max_features >= 0 ? opts->max_features : PGL_TFIDF_DEFAULT_MAX_FEATURES;
	p.sublinear_tf = PGL_TEXT_SUBLINEAR;
	if (pgl_tfidf_builder_create(env, &p, &b, &st) != PGL_OK)
		pgl_report(&st, "learning the vocabulary failed");
	for (int64 i = 0; i < n; i++)
	{
		size_t		len;
		const char *doc = row_doc(ds, c, PGL_TRAIN, i, &len);

		if (pgl_tfidf_builder_add(b, doc, len, &st) != PGL_OK)
			pgl_report(&st, psprintf("learning the vocabulary of column \"%s\" failed", c->name));
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (pgl_tfidf_builder_finish(b, &v, &st) != PGL_OK)
		pgl_report(&st, "learning the vocabulary failed");
	if (v.n_terms == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("text column \"%s\" has no term in at least %g of its " INT64_FORMAT
						" training rows",
						c->name, p.min_df >= 1 ? p.min_df : p.min_df * n, n),
				 errdetail("Its training rows have " INT64_FORMAT
						   " distinct terms (words of two or more letters or digits, and pairs "
						   "of them).",
						   pgl_tfidf_builder_terms(b)),
				 errhint("Lower \"min_df\", or leave the column out of \"text\" and \"exclude\" "
						 "it.")));
	pgl_tfidf_builder_free(b);
	feat->n_categories = v.n_terms;
	feat->categories = v.terms;
	feat->idf = v.idf;
	feat->ngram_max = v.ngram_max;
	feat->sublinear = v.sublinear_tf ? 1 : 0;
	feat->impute = 0;
	feat->impute_category = 0;
}

void
pgl_text_learn(PglDataSet *ds, pgl_model *m, const PglTrainOptions *opts)
{
	pgl_env env = pgl_backend_env(CurrentMemoryContext);

	for (int f = 0; f < m->n_features; f++)
		if (m->features[f].kind == PGL_FEATURE_TEXT)
			learn_one(ds, &ds->features[f], &m->features[f], opts, &env);
	m->n_inputs = pgl_model_input_width(m);
}

/* ---------- the design matrix ---------- */

typedef struct CsrBuild
{
	pgl_csr *A;
	int64	 cap;
	Size	 extra; /* bytes held besides the matrix */
} CsrBuild;

/* room for more entries after the first nz */
static void
csr_reserve(CsrBuild *b, int64 nz, int64 more)
{
	pgl_csr *A = b->A;
	int64	 cap = b->cap;

	if (nz + more <= cap)
		return;
	while (cap < nz + more)
		cap *= 2;
	pgl_check_memory(b->extra + (Size) cap * (sizeof(int32) + sizeof(double)) +
						 (Size) (A->n_rows + 1) * sizeof(int64),
					 psprintf("the sparse design matrix of " INT64_FORMAT " rows and %d inputs",
							  A->n_rows, A->n_cols));
	A->indices = repalloc_huge(A->indices, sizeof(int32) * cap);
	A->values = repalloc_huge(A->values, sizeof(double) * cap);
	b->cap = cap;
}

/* the non-text features of m encoded densely: a model of only those */
static double *
dense_part(PglDataSet *ds, const pgl_model *m, int part, int32 *p_dense)
{
	pgl_model	   sub = *m;
	int64		   rows = ds->part[part].n;
	const double **raw = palloc(sizeof(double *) * (m->n_features + 1));
	const bool	 **rnull = palloc(sizeof(bool *) * (m->n_features + 1));
	double		  *D;

	sub.features = palloc(sizeof(pgl_feature) * (m->n_features + 1));
	sub.n_features = 0;
	for (int f = 0; f < m->n_features; f++)
		if (m->features[f].kind != PGL_FEATURE_TEXT)
		{
			raw[sub.n_features] = pgl_column_values(ds, &ds->features[f], part);
			rnull[sub.n_features] = ds->features[f].nulls[part];
			sub.features[sub.n_features++] = m->features[f];
		}
	*p_dense = pgl_model_input_width(&sub);
	pgl_check_memory(ds->bytes + (Size) rows * (*p_dense) * sizeof(double),
					 psprintf("encoding " INT64_FORMAT " rows into %d inputs", rows, *p_dense));
	D = palloc_extended(sizeof(double) * (rows * (*p_dense) + 1), MCXT_ALLOC_HUGE);
	if (sub.n_features > 0)
		pgl_encode_rows(&sub, raw, rnull, NULL, rows, D);
	return D;
}

pgl_csr *
pgl_text_design(PglDataSet *ds, const pgl_model *m, int part, Size extra)
{
	int64				rows = ds->part[part].n;
	int32				p_dense;
	double			   *D = dense_part(ds, m, part, &p_dense);
	pgl_env				env = pgl_backend_env(CurrentMemoryContext);
	pgl_tfidf_encoder **enc = palloc0(sizeof(pgl_tfidf_encoder *) * (m->n_features + 1));
	pgl_tfidf		   *views = palloc0(sizeof(pgl_tfidf) * (m->n_features + 1));
	CsrBuild			b;
	pgl_csr			   *A = palloc0(sizeof(pgl_csr));
	pgl_status			st;

	memset(&st, 0, sizeof(st));
	for (int f = 0; f < m->n_features; f++)
		if (m->features[f].kind == PGL_FEATURE_TEXT)
		{
			views[f] = feature_tfidf(&m->features[f]);
			if (pgl_tfidf_encoder_create(&env, &views[f], &enc[f], &st) != PGL_OK)
				pgl_report(&st, "encoding text failed");
		}
	A->n_rows = rows;
	A->n_cols = m->n_inputs;
	A->indptr = palloc_extended(sizeof(int64) * (rows + 1), MCXT_ALLOC_HUGE);
	A->indptr[0] = 0;
	b.A = A;
	b.cap = Max(rows * (p_dense + 8), 1024);
	b.extra = extra + ds->bytes + (Size) rows * p_dense * sizeof(double);
	pgl_check_memory(b.extra + (Size) b.cap * (sizeof(int32) + sizeof(double)),
					 psprintf("the sparse design matrix of " INT64_FORMAT " rows", rows));
	A->indices = palloc_extended(sizeof(int32) * b.cap, MCXT_ALLOC_HUGE);
	A->values = palloc_extended(sizeof(double) * b.cap, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < rows; i++)
	{
		int64 nz = A->indptr[i];
		int32 col = 0, dcol = 0;

		for (int f = 0; f < m->n_features; f++)
		{
			const pgl_feature *feat = &m->features[f];
			int32			   w = pgl_feature_width(feat);

			if (feat->kind == PGL_FEATURE_TEXT)
			{
				size_t		   len;
				const char	  *doc = row_doc(ds, &ds->features[f], part, i, &len);
				const int32_t *idx;
				const double  *val;
				int32		   k = pgl_tfidf_encode(enc[f], doc, len, &idx, &val);

				if (k < 0)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
				csr_reserve(&b, nz, k + (p_dense - dcol));
				for (int32 j = 0; j < k; j++)
				{
					A->indices[nz] = col + idx[j];
					A->values[nz++] = val[j];
				}
			}
			else
			{
				csr_reserve(&b, nz, p_dense - dcol);
				for (int32 j = 0; j < w; j++)
				{
					double v = D[(int64) (dcol + j) * rows + i];

					if (v != 0) /* NaN (missing) is kept */
					{
						A->indices[nz] = col + j;
						A->values[nz++] = v;
					}
				}
				dcol += w;
			}
			col += w;
		}
		A->indptr[i + 1] = nz;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	A->n_rows = rows;
	for (int f = 0; f < m->n_features; f++)
		pgl_tfidf_encoder_free(enc[f]);
	pfree(D);
	return A;
}

void
pgl_csr_dense_rows(const pgl_csr *A, int64 r0, int64 rows, double *X)
{
	memset(X, 0, sizeof(double) * rows * A->n_cols);
	for (int64 i = 0; i < rows; i++)
		for (int64 e = A->indptr[r0 + i]; e < A->indptr[r0 + i + 1]; e++)
			X[(int64) A->indices[e] * rows + i] = A->values[e];
}

Size
pgl_csr_bytes(const pgl_csr *A)
{
	return (Size) (A->n_rows + 1) * sizeof(int64) +
		   (Size) A->indptr[A->n_rows] * (sizeof(int32) + sizeof(double));
}

/* ---------- prediction ---------- */

struct PglTextEncoders
{
	int					n_features;
	pgl_tfidf		   *views;
	pgl_tfidf_encoder **enc;
	int32			   *offset; /* first input of each feature */
};

PglTextEncoders *
pgl_text_encoders(const pgl_model *m)
{
	PglTextEncoders *e;
	pgl_env			*env;
	pgl_status		 st;
	int32			 col = 0;

	if (!pgl_model_has_text(m))
		return NULL;
	memset(&st, 0, sizeof(st));
	e = palloc0(sizeof(PglTextEncoders));
	env = palloc(sizeof(pgl_env));
	*env = pgl_backend_env(CurrentMemoryContext);
	e->n_features = m->n_features;
	e->views = palloc0(sizeof(pgl_tfidf) * m->n_features);
	e->enc = palloc0(sizeof(pgl_tfidf_encoder *) * m->n_features);
	e->offset = palloc0(sizeof(int32) * m->n_features);
	for (int f = 0; f < m->n_features; f++)
	{
		e->offset[f] = col;
		col += pgl_feature_width(&m->features[f]);
		if (m->features[f].kind != PGL_FEATURE_TEXT)
			continue;
		e->views[f] = feature_tfidf(&m->features[f]);
		if (pgl_tfidf_encoder_create(env, &e->views[f], &e->enc[f], &st) != PGL_OK)
			pgl_report(&st, "encoding text failed");
	}
	return e;
}

void
pgl_text_encode_into(PglTextEncoders *e, int f, const char *doc, size_t len, double *x)
{
	const int32_t *idx;
	const double  *val;
	int32		   k;

	if (doc == NULL)
		return;
	k = pgl_tfidf_encode(e->enc[f], doc, len, &idx, &val);
	if (k < 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int32 j = 0; j < k; j++)
		x[e->offset[f] + idx[j]] = val[j];
}

void
pgl_text_refuse(const pgl_model *m, const char *name, const char *what)
{
	for (int f = 0; f < m->n_features; f++)
		if (m->features[f].kind == PGL_FEATURE_TEXT)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s does not read text features yet, and model \"%s\" has one (\"%s\")",
							what, name, m->features[f].name),
					 errhint("Score the rows with ai_predict, ai_predict_proba or ai_classify and "
							 "compare in SQL; the training metrics are in ai_models.")));
}
