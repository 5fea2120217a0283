/*-------------------------------------------------------------------------
 *
 * onnx_export.c
 *	  ai_export_model(..., format => 'onnx'): a pg_learn model as an ONNX
 *	  file (src/onnx/export*.c build the graph; docs/onnx.md, "Exporting
 *	  pg_learn models").
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "onnx_glue.h"

#include "algorithms.h"
#include "onnx/export.h"

#include <string.h>

bytea *
pgl_export_onnx(pgl_env *env, const char *name, const pgl_model *m)
{
	pgl_status st;
	uint8_t	  *buf;
	size_t	   len;
	bytea	  *out;

	memset(&st, 0, sizeof(st));
	if (pgl_ox_export(env, m, &buf, &len, &st) != PGL_OK)
	{
		if (st.rc == PGL_ERR_INVALID && strncmp(st.msg, "unsupported", 11) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("model \"%s\" cannot be exported as ONNX: %s", name, st.msg + 13),
					 st.detail[0] ? errdetail("%s", st.detail) : 0,
					 errhint("Export it with format => 'pg_learn' to move it between "
							 "databases.")));
		pgl_report(&st, psprintf("exporting model \"%s\" as ONNX failed", name));
	}
	out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), buf, len);
	pgl_free(env, buf);
	return out;
}
