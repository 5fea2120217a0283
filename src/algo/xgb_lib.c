/*-------------------------------------------------------------------------
 *
 * xgb_lib.c
 *	  Opening libxgboost on first use (see xgb_lib.h for why).
 *
 *-------------------------------------------------------------------------
 */
#include "xgb_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void *
symbol(void *h, const char *soname, const char *name, pgl_status *st)
{
	void *f = dlsym(h, name);

	if (f == NULL && st->rc == PGL_OK)
		pgl_fail(st, PGL_ERR_INVALID, "the XGBoost library %s has no function %s", soname, name);
	return f;
}

pgl_rc
pgl_xgb_lib_open(const char *soname, pgl_xgb_api *api, pgl_status *st)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
	{
		const char *why = dlerror();

		pgl_fail(st, PGL_ERR_INVALID, "the XGBoost library could not be opened: %s",
				 why ? why : soname);
	}
	else
	{
#define SYM(field, name) api->field = (__typeof__(api->field)) symbol(h, soname, name, st)
		SYM(GetLastError, "XGBGetLastError");
		SYM(RegisterLogCallback, "XGBRegisterLogCallback");
		SYM(SetGlobalConfig, "XGBSetGlobalConfig");
		SYM(DMatrixCreateFromDense, "XGDMatrixCreateFromDense");
		SYM(DMatrixSetFloatInfo, "XGDMatrixSetFloatInfo");
		SYM(DMatrixFree, "XGDMatrixFree");
		SYM(BoosterCreate, "XGBoosterCreate");
		SYM(BoosterSetParam, "XGBoosterSetParam");
		SYM(BoosterUpdateOneIter, "XGBoosterUpdateOneIter");
		SYM(BoosterEvalOneIter, "XGBoosterEvalOneIter");
		SYM(BoosterBoostedRounds, "XGBoosterBoostedRounds");
		SYM(BoosterSlice, "XGBoosterSlice");
		SYM(BoosterSaveModelToBuffer, "XGBoosterSaveModelToBuffer");
		SYM(BoosterFree, "XGBoosterFree");
#undef SYM
		/* a library lacking a function stays open (dlclose of C++ code is unsafe), unused */
	}
	if (st->rc != PGL_OK)
		snprintf(st->detail, sizeof(st->detail),
				 "xgboost and random_forest train with XGBoost's C API (%s, Debian's package "
				 "libxgboost0, pulled in by libxgboost-dev); prediction does not need it.",
				 PGL_XGB_SONAME);
	return st->rc;
}

const pgl_xgb_api *
pgl_xgb_lib(pgl_status *st)
{
	static pgl_xgb_api api;
	static pgl_status  opened; /* the outcome of the one attempt per process */
	static int		   tried;

	if (!tried)
	{
		memset(&opened, 0, sizeof(opened));
		(void) pgl_xgb_lib_open(PGL_XGB_SONAME, &api, &opened);
		tried = 1;
	}
	if (opened.rc == PGL_OK)
		return &api;
	*st = opened;
	return NULL;
}
