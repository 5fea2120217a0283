/*-------------------------------------------------------------------------
 *
 * model_cache.h
 *	  Deserialized models, cached per backend and version (model_cache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_MODEL_CACHE_H
#define PGL_MODEL_CACHE_H

#include "glue.h"

/*
 * The deployed model of name, deserialized once per backend and version.
 * The returned model lives in a long-lived cache context; do not free it.
 */
extern const pgl_model *pgl_model_get(const char *name, int64 *version_id);

/* the same for a pinned version (0: the deployed one) */
extern const pgl_model *pgl_model_get_version(const char *name, int32 version, int64 *version_id);

/*
 * The optional "version => N" argument argno of a scoring function: 0 when
 * NULL or absent (an older SQL declaration), the deployed version; ERROR
 * when it is not positive.
 */
extern int32 pgl_version_arg(FunctionCallInfo fcinfo, int argno);

/* bumped whenever the cache frees a model: recheck cached pointers */
extern uint64 pgl_cache_generation;

/* the model of a known version id (cached) */
extern const pgl_model *pgl_model_by_version(int64 version_id, const char *name);

/*
 * The model a call site uses, looked up once per statement: kept in the
 * caller's fn_extra state.  pgl_call_model returns the model and sets
 * *changed when it is another model, version or copy than on the previous
 * call (then the caller rebuilds whatever it derived from it; a copy changes
 * when the per-backend cache evicted and reloaded the model).
 */
typedef struct PglCallModel
{
	char			*name;
	int32			 version; /* requested: 0 = the deployed one */
	int64			 version_id;
	uint64			 generation;
	TransactionId	 snap_xmin; /* snapshot of the last version lookup */
	TransactionId	 snap_xmax;
	CommandId		 snap_cid;
	Oid				 user_id; /* whose privilege the last lookup checked */
	const pgl_model *model;
} PglCallModel;

extern const pgl_model *pgl_call_model(PglCallModel *cm, text *name, MemoryContext mcxt,
									   bool *changed);

/* the same for a pinned version (0: the deployed one, looked up per statement) */
extern const pgl_model *pgl_call_model_version(PglCallModel *cm, text *name, int32 version,
											   MemoryContext mcxt, bool *changed);

#endif /* PGL_MODEL_CACHE_H */
