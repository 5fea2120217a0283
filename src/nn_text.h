/*-------------------------------------------------------------------------
 *
 * nn_text.h
 *	  A text column of a neural_net (the option "text") into token ids
 *	  (nn_text.c): the documents read at training, the word or BPE
 *	  vocabulary learned on the training rows (src/text/subword.h) and
 *	  stored in the model as its one feature of kind tokens, and the same
 *	  encoding at prediction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_TEXT_H
#define PGL_NN_TEXT_H

#include "glue.h"

#include "data_reader.h"
#include "options.h"

/* the defaults PGL_NN_TEXT_VOCAB and PGL_NN_TEXT_MAX_LEN_CAP: pgl_algo.h (the option schema's) */

/* the documents of the two parts (training, hold-out) */
typedef struct PglNnDocs PglNnDocs;

extern PglNnDocs *pgl_nn_docs_create(MemoryContext cxt);

/* one row's document (a NULL: an empty one) into part */
extern void pgl_nn_docs_add(PglNnDocs *d, int part, Datum v, bool isnull);

/*
 * Learn the vocabulary on the training documents (and the hold-out's too
 * when with_test: they are about to join the training rows), choose
 * max_len, and encode both parts into X[part] (n[part] rows of *D = max_len
 * ids as floats, padded with 0).  f becomes the tokens feature of column
 * (of type type_name).  ERROR when the training text has no word.
 */
extern void pgl_nn_docs_encode(PglNnDocs *d, const PglTrainOptions *opts, bool with_test,
							   const char *column, const char *type_name, pgl_feature *f,
							   float *X[2], int64 *D);

/* ---------- prediction ---------- */

typedef struct PglNnTextEncoder PglNnTextEncoder;

/* the encoder of m's tokens feature, in cxt; NULL when m has none */
extern PglNnTextEncoder *pgl_nn_text_encoder(const pgl_model *m, MemoryContext cxt);

/*
 * A text datum of type typid (isnull: an empty document) into max_len ids
 * as floats; ERROR naming the column when typid is not a text type.
 */
extern void pgl_nn_text_encode(PglNnTextEncoder *e, Datum v, bool isnull, Oid typid, float *dst);

#endif /* PGL_NN_TEXT_H */
