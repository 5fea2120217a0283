/*-------------------------------------------------------------------------
 *
 * nn_glue.h
 *	  The PostgreSQL side of the neural_net algorithm: training
 *	  (nn_train.c) and prediction over array columns (nn_predict.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_NN_GLUE_H
#define PGL_NN_GLUE_H

#include "glue.h"

#include "access/htup.h"

#include "nn.h"

/* is m a neural_net reading one array (or bytea) column? */
extern bool pgl_nn_reads_array(const pgl_model *m);

/*
 * Convert an array (float4[], float8[], smallint[], integer[]) or bytea
 * datum of type typid into expect floats times scale; ERROR naming column
 * and the row (row < 0: none) on a wrong size, NULL element or non-finite
 * value.
 */
extern void pgl_nn_datum_to_floats(Datum d, Oid typid, int64 expect, double scale, float *dst,
								   const char *column, int64 row);

/*
 * The same for a sequence of steps of step values (step > 0): fewer values
 * than expect, a whole number of steps, are padded with zero steps at the
 * end (padding); step 0: exactly expect values.
 */
extern void pgl_nn_datum_to_steps(Datum d, Oid typid, int64 expect, int64 step, double scale,
								  float *dst, const char *column, int64 row);

/* may a column of this type be the tensor input? */
extern bool pgl_nn_array_type_ok(Oid typid);

/* predictions of an array model for one row (a record) or one float8[] */
extern void pgl_nn_predict_record(const pgl_model *m, const char *name, HeapTupleHeader rec,
								  double *out);
extern void pgl_nn_predict_array(const pgl_model *m, const char *name, Datum arr, Oid typid,
								 double *out);

/*
 * The network of m built for one row, cached per backend (the last model
 * used): after pgl_nn_predict_record or pgl_nn_predict_array of m, its
 * layers hold that row's outputs.
 */
extern pgl_nn *pgl_nn_cached_net(const pgl_model *m);

/*
 * The prediction of a network over ordinary columns for one encoded row x
 * (m->n_inputs values, before standardization) into out, with the cached
 * network (not one built per call); returns that network, whose layers hold
 * the row's outputs.
 */
extern pgl_nn *pgl_nn_predict_columns(const pgl_model *m, const double *x, double *out);

/* ai_evaluate(name, data) of a model over a tensor column (jsonb metrics) */
extern Datum pgl_nn_evaluate(const char *name, int64 version_id, const char *data);

#endif /* PGL_NN_GLUE_H */
