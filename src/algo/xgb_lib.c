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

static pgl_xgb_api api;
static int		   api_state; /* 0 not tried, 1 open, -1 failed */
static char		   api_error[256];

static void *
symbol(void *h, const char *name)
{
	void *f = dlsym(h, name);

	if (f == NULL && api_error[0] == '\0')
		snprintf(api_error, sizeof(api_error), "%s has no function %s", PGL_XGB_SONAME, name);
	return f;
}

static void
open_library(void)
{
	void *h = dlopen(PGL_XGB_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
	{
		const char *why = dlerror();

		snprintf(api_error, sizeof(api_error), "%s", why ? why : PGL_XGB_SONAME " not found");
		api_state = -1;
		return;
	}
#define SYM(field, name) api.field = (__typeof__(api.field)) symbol(h, name)
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
	/* a library lacking a function is kept open (dlclose of C++ code is unsafe) but unused */
	api_state = api_error[0] == '\0' ? 1 : -1;
}

const pgl_xgb_api *
pgl_xgb_lib(pgl_status *st)
{
	if (api_state == 0)
		open_library();
	if (api_state == 1)
		return &api;
	pgl_fail(st, PGL_ERR_INVALID, "the XGBoost library could not be opened: %s", api_error);
	snprintf(st->detail, sizeof(st->detail),
			 "xgboost and random_forest train with XGBoost's C API (%s, Debian's package "
			 "libxgboost0, pulled in by libxgboost-dev); prediction does not need it.",
			 PGL_XGB_SONAME);
	return NULL;
}
