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
#include "prep.h"

/*
 * A row of the data, deformed: from a record (pgl_row_load, the type
 * remembered between calls) or from separate values (pgl_row_load_fields).
 */
typedef struct PglRow
{
	Oid		  tuptype;
	int32	  tuptypmod;
	TupleDesc desc; /* a copy in the loader's context */
	Datum	 *values;
	bool	 *nulls;
	int		 *atts; /* non-dropped attributes, in order */
	int		  natts;
	bool	  anonymous; /* a record type whose fields are named f1..fn */
	uint64	  fields_id; /* loaded from separate values: the id of their desc, else 0 */
	bool	  any_null;	 /* the loaded row has a NULL */
} PglRow;

/* deform record rec into r (a new record type allocates in cxt) */
extern void pgl_row_load(MemoryContext cxt, PglRow *r, HeapTupleHeader rec);

/*
 * Load separate values whose types desc gives (pgl_fields_desc), id
 * identifying desc; returns whether r was set up anew for it.
 */
extern bool pgl_row_load_fields(MemoryContext cxt, PglRow *r, TupleDesc desc, uint64 id,
								const NullableDatum *fields);

/* the loaded row's hash over all its fields in order: the hold-out split */
extern uint64 pgl_row_split_hash(const PglRow *r);

/*
 * The fields form of a function of one row: the types of the call's
 * arguments from first on, as a TupleDesc (in the current context), and a
 * new id for it.  ERROR when the fields came as one VARIADIC array or the
 * call does not give their types (record_form: the call to use instead).
 */
extern TupleDesc pgl_fields_desc(FunctionCallInfo fcinfo, int first, const char *fn,
								 const char *record_form, uint64 *id);

/* a new id of a TupleDesc of fields, never 0 (the fields_id of pgl_row_load_fields) */
extern uint64 pgl_fields_id(void);

/* ERROR unless seed >= 0 and test_size in [0, 1); fn prefixes the message (or NULL) */
extern void pgl_check_split(const char *fn, int64 seed, double test_size);

/* the split an aggregate's rows share: seed and test_size, the same for every row */
typedef struct PglSplit
{
	bool   set;
	int64  seed;
	double test_size;
} PglSplit;

/*
 * The split of this row, from fcinfo's arguments seed_arg and size_arg, into
 * *s: checked on the first row, and the same on every other (ERRORs name fn).
 */
extern void pgl_split_args(FunctionCallInfo fcinfo, int seed_arg, int size_arg, const char *fn,
						   PglSplit *s);

/* is the loaded row r in the hold-out of split s?  (no hash without a hold-out) */
static inline bool
pgl_split_test(const PglSplit *s, const PglRow *r)
{
	return s->test_size > 0 &&
		   pgl_hash_in_test((uint64) s->seed, pgl_row_split_hash(r), s->test_size);
}

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

/*
 * Load a row given as separate values, the fields form of the fused
 * aggregates: desc gives their types (the encoder must have column names),
 * and id, never 0, identifies desc (a new id maps the columns again).
 */
extern void pgl_rowenc_load_fields(PglRowEnc *e, TupleDesc desc, uint64 id,
								   const NullableDatum *fields, bool with_target);

/* add 1 to nulls[f] for each feature f that is NULL in the loaded row */
extern void pgl_rowenc_count_nulls(const PglRowEnc *e, double *nulls);

/* the loaded row (pgl_split_test tells its side of the split) */
extern const PglRow *pgl_rowenc_row(const PglRowEnc *e);

/* the loaded row's p inputs (imputed, one-hot encoded) into x */
extern void pgl_rowenc_features(PglRowEnc *e, double *x);

/*
 * The loaded row's target as training uses it: the number, or the 0-based
 * class index; false when it is NULL or a class the model does not know.
 */
extern bool pgl_rowenc_label(PglRowEnc *e, double *y);

#endif /* PGL_ROW_ENCODE_H */
