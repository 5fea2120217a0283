/*-------------------------------------------------------------------------
 *
 * store.h
 *	  The last step of every training (store.c): quantize, serialize,
 *	  decide the deployment ("deploy": true, false or "if_better"), store
 *	  the version, prune old ones ("keep_versions"), and build ai_train's
 *	  result row.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_STORE_H
#define PGL_STORE_H

#include "glue.h"

#include "portability/instr_time.h"
#include "utils/jsonb.h"

#include "options.h"

/* what a training hands to the store step */
typedef struct PglTrained
{
	const char			  *name;
	const char			  *algorithm;
	const char			  *data;	/* the data source, as given */
	Jsonb				  *options; /* as given (NULL: none) */
	const PglTrainOptions *opts;	/* as read */
	int64				   rows;	/* rows used */
	const char			  *metrics; /* JSON object */
	instr_time			   start;
} PglTrained;

/*
 * Store m as a new version and return ai_train's row, built in out_cxt:
 * (name, version, algorithm, rows_used, metrics, seconds, deployed).
 */
extern Datum pgl_store_trained(FunctionCallInfo fcinfo, MemoryContext out_cxt, const pgl_env *env,
							   const pgl_model *m, const PglTrained *t);

/* encode weights and factors as "storage" asks (pgl_model_set_storage); ERROR if they cannot be */
extern void pgl_apply_storage(const pgl_env *env, pgl_model *m, int kind);

#endif /* PGL_STORE_H */
