/*-------------------------------------------------------------------------
 *
 * text_glue.h
 *	  Text features (the option "text") between the data reader, the model
 *	  and src/text (text_glue.c): the TF-IDF vocabulary learned on the
 *	  training rows, the design matrix as CSR, and one row's encoding at
 *	  prediction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TEXT_GLUE_H
#define PGL_TEXT_GLUE_H

#include "glue.h"

#include "data_reader.h"
#include "options.h"

/* terms of up to two tokens; tf counted as 1 + ln(tf) */
#define PGL_TEXT_NGRAM_MAX 2
#define PGL_TEXT_SUBLINEAR true

/*
 * Learn the vocabulary and idf of each text feature of m on the training
 * rows of ds (a NULL is an empty document) with the options "min_df" and
 * "max_features", and set m->n_inputs.  ERROR when a text column keeps no
 * term.
 */
extern void pgl_text_learn(PglDataSet *ds, pgl_model *m, const PglTrainOptions *opts);

/*
 * The design matrix of a part (every feature, encoded as pgl_encode_rows
 * does, text as TF-IDF) as CSR, counted against pg_learn.max_train_memory
 * (with extra bytes already held).
 */
extern pgl_csr *pgl_text_design(PglDataSet *ds, const pgl_model *m, int part, Size extra);

/* rows [r0, r0 + rows) of A into X, dense, column-major with leading dimension rows */
extern void pgl_csr_dense_rows(const pgl_csr *A, int64 r0, int64 rows, double *X);

/* memory of a CSR matrix */
extern Size pgl_csr_bytes(const pgl_csr *A);

/* ---------- prediction ---------- */

typedef struct PglTextEncoders PglTextEncoders;

/* encoders of the text features of m (NULL if it has none), in CurrentMemoryContext */
extern PglTextEncoders *pgl_text_encoders(const pgl_model *m);

/*
 * Add text feature f's document (doc, len bytes; NULL: an empty one) to the
 * row's inputs x, as pgl_encode_row wrote them (zeros for f).
 */
extern void pgl_text_encode_into(PglTextEncoders *e, int f, const char *doc, size_t len, double *x);

/*
 * ERROR when m (called name) has a text feature: what (a function) cannot
 * read documents from rows yet.
 */
extern void pgl_text_refuse(const pgl_model *m, const char *name, const char *what);

#endif /* PGL_TEXT_GLUE_H */
