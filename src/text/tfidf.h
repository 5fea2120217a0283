/*-------------------------------------------------------------------------
 *
 * tfidf.h
 *	  TF-IDF features of a text column (tfidf.c): the vocabulary and idf
 *	  learned on the training documents, and the encoding of one document
 *	  into a sparse, L2-normalised row.  Pure C over pgl_env.
 *
 * Terms are the word tokens of tokenize.h (1-grams) and, with ngram_max 2,
 * each pair of consecutive tokens joined by one space (2-grams), as
 * scikit-learn's TfidfVectorizer(ngram_range=(1, 2)) makes them.
 *
 * Learning (pgl_tfidf_builder): the document frequency df of a term is the
 * number of training documents (rows; a NULL is an empty document) that
 * contain it.  A term is kept when df >= min_df (min_df >= 1: a count of
 * documents) or df >= min_df * n (min_df in (0, 1): a fraction of the n
 * documents).  Of those, at most max_features are kept (0: all): the most
 * frequent over the corpus (total occurrences), ties by term (strcmp).  The
 * kept terms are sorted by strcmp; term j has
 *
 *	idf[j] = ln((1 + n) / (1 + df_j)) + 1		(scikit-learn's smooth_idf)
 *
 * Encoding a document: tf = occurrences of the term in it, taken as
 * 1 + ln(tf) with sublinear_tf, times idf; the row is divided by its
 * Euclidean norm (an empty or all-unknown document stays all zeros).
 * Terms not in the vocabulary are ignored.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TEXT_TFIDF_H
#define PGL_TEXT_TFIDF_H

#include "pgl_algo.h"

/* default of "max_features" */
#define PGL_TFIDF_DEFAULT_MAX_FEATURES 20000
/* largest "max_features" */
#define PGL_TFIDF_MAX_TERMS 1000000
/* longest term kept, in bytes (a longer 1- or 2-gram is dropped) */
#define PGL_TFIDF_MAX_TERM_BYTES 200

typedef struct pgl_tfidf_params
{
	int32_t ngram_max;	  /* 1 or 2 */
	double	min_df;		  /* >= 1: documents; in (0, 1): a fraction of them */
	int32_t max_features; /* 0: no limit */
	bool	sublinear_tf;
} pgl_tfidf_params;

/* a learned vocabulary (what a text feature stores) */
typedef struct pgl_tfidf
{
	int32_t n_terms;
	char  **terms; /* sorted by strcmp, unique, NUL-terminated */
	double *idf;   /* finite, >= 1 */
	int32_t ngram_max;
	bool	sublinear_tf;
} pgl_tfidf;

/* ---------- learning ---------- */

typedef struct pgl_tfidf_builder pgl_tfidf_builder;

extern pgl_rc pgl_tfidf_builder_create(const pgl_env *env, const pgl_tfidf_params *params,
									   pgl_tfidf_builder **out, pgl_status *st);

/* one training document (len bytes of UTF-8; a NULL value: len 0) */
extern pgl_rc pgl_tfidf_builder_add(pgl_tfidf_builder *b, const char *doc, size_t len,
									pgl_status *st);

/* documents added so far, and distinct terms seen in them */
extern int64_t pgl_tfidf_builder_docs(const pgl_tfidf_builder *b);
extern int64_t pgl_tfidf_builder_terms(const pgl_tfidf_builder *b);

/*
 * The vocabulary: out->terms and out->idf are allocated through env (each
 * term separately, so pgl_model_free can free them).  The builder stays
 * usable for nothing but pgl_tfidf_builder_free.
 */
extern pgl_rc pgl_tfidf_builder_finish(pgl_tfidf_builder *b, pgl_tfidf *out, pgl_status *st);

extern void pgl_tfidf_builder_free(pgl_tfidf_builder *b);

/* ---------- encoding ---------- */

/* scratch space and a hash index of one vocabulary's terms */
typedef struct pgl_tfidf_encoder pgl_tfidf_encoder;

/* v must outlive the encoder */
extern pgl_rc pgl_tfidf_encoder_create(const pgl_env *env, const pgl_tfidf *v,
									   pgl_tfidf_encoder **out, pgl_status *st);
extern void	  pgl_tfidf_encoder_free(pgl_tfidf_encoder *e);

/*
 * Encode one document: its nonzero inputs, term indexes in increasing
 * order in *idx and values in *val (both owned by the encoder, valid until
 * its next call).  Returns their count, or -1 when out of memory.
 */
extern int32_t pgl_tfidf_encode(pgl_tfidf_encoder *e, const char *doc, size_t len,
								const int32_t **idx, const double **val);

/* index of term (len bytes) in v, or -1 (binary search) */
extern int32_t pgl_tfidf_find(const pgl_tfidf *v, const char *term, size_t len);

#endif /* PGL_TEXT_TFIDF_H */
