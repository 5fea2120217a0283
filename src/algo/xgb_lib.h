/*-------------------------------------------------------------------------
 *
 * xgb_lib.h
 *	  XGBoost's C API, opened on first use.
 *
 * pg_learn.so does not link libxgboost: the library and what it pulls in
 * (libstdc++, dmlc, OpenMP) cost tens of milliseconds to map in every
 * process that loads pg_learn -- every new connection and every parallel
 * worker of every pass of the aggregate training method -- and only
 * xgboost and random_forest training use it (prediction walks our own tree
 * tensors).  pgl_xgb_lib() opens it the first time a training needs it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_XGB_LIB_H
#define PGL_XGB_LIB_H

#include "pgl_algo.h"

#include <xgboost/c_api.h> /* the types and prototypes; the symbols come from dlsym */

/* the shared object opened, as libxgboost-dev links it */
#define PGL_XGB_SONAME "libxgboost.so.0"

/* the functions pg_learn calls, with the types of c_api.h */
typedef struct pgl_xgb_api
{
	__typeof__(XGBGetLastError)			   *GetLastError;
	__typeof__(XGBRegisterLogCallback)	   *RegisterLogCallback;
	__typeof__(XGBSetGlobalConfig)		   *SetGlobalConfig;
	__typeof__(XGDMatrixCreateFromDense)   *DMatrixCreateFromDense;
	__typeof__(XGDMatrixSetFloatInfo)	   *DMatrixSetFloatInfo;
	__typeof__(XGDMatrixFree)			   *DMatrixFree;
	__typeof__(XGBoosterCreate)			   *BoosterCreate;
	__typeof__(XGBoosterSetParam)		   *BoosterSetParam;
	__typeof__(XGBoosterUpdateOneIter)	   *BoosterUpdateOneIter;
	__typeof__(XGBoosterEvalOneIter)	   *BoosterEvalOneIter;
	__typeof__(XGBoosterBoostedRounds)	   *BoosterBoostedRounds;
	__typeof__(XGBoosterSlice)			   *BoosterSlice;
	__typeof__(XGBoosterSaveModelToBuffer) *BoosterSaveModelToBuffer;
	__typeof__(XGBoosterFree)			   *BoosterFree;
} pgl_xgb_api;

/*
 * The API, the library opened on the first call (once per process); NULL
 * with st failed (PGL_ERR_INVALID, naming the library and what dlopen said)
 * when it cannot be opened or lacks a function.
 */
extern const pgl_xgb_api *pgl_xgb_lib(pgl_status *st);

/*
 * Open soname and fill api with its functions (what pgl_xgb_lib does once
 * with PGL_XGB_SONAME); on failure st says why.  st must start clean.
 */
extern pgl_rc pgl_xgb_lib_open(const char *soname, pgl_xgb_api *api, pgl_status *st);

#endif
