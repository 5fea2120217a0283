/*-------------------------------------------------------------------------
 *
 * row_encode.h
 *	  One row of the data as training sees it (row_encode.c): shared by
 *	  ai_holdout / ai_features / ai_label and the fused aggregates
 *	  (fused_agg.c).
 *
 * A row is a record: a named one (a whole-row reference, q) whose columns
 * are found by name, or, when the caller gives the data's column names, any
 * record read positionally: field i is column i.  The second form is what a
 * pass writes, ROW(q.c1, ..., q.cN), so that engines that ship SQL (Citus
 * deparses a whole-row reference into exactly such an anonymous record,
 * whose fields are named f1..fN) find the columns where the pass put them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ROW_ENCODE_H
#define PGL_ROW_ENCODE_H

#include "glue.h"

#include "access/htup_details.h"
#include "utils/array.h"

#include "model_format.h"

typedef struct PglRowEnc PglRowEnc;

/*
 * An encoder of rows for the model in blob (decoded once, its bytes copied),
 * everything in a new context under parent.  fn names the caller in
 * messages.  columns: the data's column names (a text[] without NULLs) to
 * read records positionally, or NULL to read them by name.
 */
extern PglRowEnc	   *pgl_rowenc_create(MemoryContext parent, bytea *blob, ArrayType *columns,
										  const char *fn);
extern void				pgl_rowenc_free(PglRowEnc *e);
extern const pgl_model *pgl_rowenc_model(const PglRowEnc *e);

/* are these the bytes of the encoder's model / its column names? */
extern bool pgl_rowenc_same(const PglRowEnc *e, bytea *blob, ArrayType *columns);

/*
 * Take a row: deform it, and (for a new record type) find the model's
 * columns in it and check their types; with_target: the target too.
 */
extern void pgl_rowenc_load(PglRowEnc *e, HeapTupleHeader rec, bool with_target);

/* the loaded row's hash over all its columns in order (the hold-out split) */
/*
 * Load a row given as separate values, the fields form of the fused
 * aggregates: desc gives their types (the encoder must have column names),
 * and id, never 0, identifies desc (a new id maps the columns again).
 */
extern void pgl_rowenc_load_fields(PglRowEnc *e, TupleDesc desc, uint64 id,
								   const NullableDatum *fields, bool with_target);

/* add 1 to nulls[f] for each feature f that is NULL in the loaded row */
extern void pgl_rowenc_count_nulls(const PglRowEnc *e, double *nulls);

extern uint64 pgl_rowenc_hash(PglRowEnc *e);

/* the loaded row's p inputs (imputed, one-hot encoded) into x */
extern void pgl_rowenc_features(PglRowEnc *e, double *x);

/*
 * The loaded row's target as training uses it: the number, or the 0-based
 * class index; false when it is NULL or a class the model does not know.
 */
extern bool pgl_rowenc_label(PglRowEnc *e, double *y);

#endif /* PGL_ROW_ENCODE_H */
