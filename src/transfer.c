/*-------------------------------------------------------------------------
 *
 * transfer.c
 *	  ai_export_model and ai_import_model: move a model between databases.
 *
 * The exported value is the stored blob itself: the model format
 * (docs/model-format.md) carries the algorithm, the preprocessing, the
 * target and the parameters, behind a length and a CRC-32C.  An import
 * validates it fully before storing it as a new version.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "catalog.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "model_format.h"

PG_FUNCTION_INFO_V1(ai_export_model);
PG_FUNCTION_INFO_V1(ai_import_model);

Datum
ai_export_model(PG_FUNCTION_ARGS)
{
	char		 *name;
	int64		  id;
	bytea		 *blob;
	MemoryContext cxt, old;
	pgl_env		  env;
	pgl_status	  st;
	pgl_model	 *m = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	id = pgl_catalog_version_for_export(name, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1),
										!PG_ARGISNULL(1));
	blob = pgl_catalog_blob(id);

	/* never hand out a blob damaged in the catalog: validate what is exported */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn export", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	env = pgl_backend_env(cxt);
	memset(&st, 0, sizeof(st));
	if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &m,
					   &st) != PGL_OK)
		pgl_report(&st, psprintf("model \"%s\" is corrupt", name));
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(blob);
}

Datum
ai_import_model(PG_FUNCTION_ARGS)
{
	char		 *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bytea		 *blob = PG_GETARG_BYTEA_PP(1);
	bool		  deploy = PG_GETARG_BOOL(2);
	MemoryContext cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn import", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	pgl_env		  env = pgl_backend_env(cxt);
	pgl_status	  st;
	pgl_model	 *m = NULL;
	PglNewVersion nv;
	bytea		 *copy;
	int32		  version;

	if (strlen(name) == 0 || strlen(name) > 200)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("model name must be 1 to 200 bytes long")));
	pgl_check_model_writable(name);
	memset(&st, 0, sizeof(st));
	if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &m,
					   &st) != PGL_OK)
		ereport(ERROR,
				(errcode(st.rc == PGL_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY : ERRCODE_DATA_CORRUPTED),
				 errmsg("the imported value is not a valid pg_learn model: %s", st.msg),
				 errhint("Pass the value ai_export_model() returned, unchanged.")));

	/* stored as a plain (uncompressed-format) bytea, as ai_train stores it */
	copy = palloc(VARHDRSZ + VARSIZE_ANY_EXHDR(blob));
	SET_VARSIZE(copy, VARHDRSZ + VARSIZE_ANY_EXHDR(blob));
	memcpy(VARDATA(copy), VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob));

	memset(&nv, 0, sizeof(nv));
	nv.name = name;
	nv.algorithm = pgl_algo_by_id(m->algorithm)->name;
	nv.options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	nv.model = m;
	nv.data_source = "(imported)";
	nv.rows_used = 0;
	nv.metrics_json = "{\"imported\": true}";
	nv.blob = copy;
	nv.seconds = 0;
	nv.deploy = deploy;
	version = pgl_catalog_store(&nv);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_INT32(version);
}
