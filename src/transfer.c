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
 * format => 'xgboost_json' exports a tree model as the JSON XGBoost's
 * Booster.load_model reads, and imports such a JSON (from any XGBoost
 * 1.x, trained anywhere) as an xgboost model: xgb_json.c converts it to our
 * tree tensors, then the model goes through the same blob writer and full
 * reader as any import.  The features of an imported model are its
 * feature_names (else f0, f1, ...), all double precision; a classifier's
 * classes are 0 .. k-1.
 *
 * format => 'onnx' imports an ONNX file (onnx_import.c, src/onnx/family.c)
 * as a model of the onnx family, with the options ai_import_model takes
 * only for this format, and exports a linear, logistic, neural_net or tree
 * model as an ONNX file (onnx_export.c, src/onnx/export*.c).
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "catalog.h"
#include "options.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "model_format.h"
#include "trees.h"
#include "xgb_json.h"
#include "onnx_glue.h"

#include <math.h>

PG_FUNCTION_INFO_V1(ai_export_model);
PG_FUNCTION_INFO_V1(ai_import_model);

#define FORMATS "pg_learn|xgboost_json|onnx"

/* the most inputs an imported XGBoost model may have */
#define PGL_XGB_MAX_IMPORT_INPUTS 1000000

static int
format_arg(FunctionCallInfo fcinfo, int arg)
{
	/* a database still at 0.2.0 or older declares no format argument */
	char *format = PG_NARGS() <= arg || PG_ARGISNULL(arg) ? "pg_learn"
														  : text_to_cstring(PG_GETARG_TEXT_PP(arg));
	int	  i = pgl_choice_index(FORMATS, format);

	if (i < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown model format \"%s\"", format),
						errhint("Valid formats are pg_learn, xgboost_json and onnx.")));
	return i;
}

static bool
is_tree_model(const pgl_model *m)
{
	return m->algorithm == PGL_ALGO_XGBOOST || m->algorithm == PGL_ALGO_RANDOM_FOREST;
}

/*
 * Our class index of each XGBoost class index (the classes of an imported
 * classifier are the texts "0" .. "k-1", which we keep sorted as text), or
 * NULL when the classes are not exactly those.
 */
static int32 *
xgb_class_order(const pgl_model *m)
{
	int32 *ours = palloc(sizeof(int32) * Max(m->n_classes, 1));
	bool  *seen = palloc0(sizeof(bool) * Max(m->n_classes, 1));

	for (int32 c = 0; c < m->n_classes; c++)
	{
		char *end;
		long  v = strtol(m->classes[c], &end, 10);

		if (*end != '\0' || end == m->classes[c] || v < 0 || v >= m->n_classes || seen[v] ||
			strcmp(m->classes[c], psprintf("%ld", v)) != 0)
			return NULL;
		seen[v] = true;
		ours[v] = c;
	}
	return ours;
}

/* renumber tree_group through map (XGBoost's index -> ours, or back) */
static void
remap_groups(pgl_model *m, const int32 *map, bool inverse)
{
	pgl_tensor *t = NULL;
	int32	   *copy;

	for (int i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, "tree_group") == 0)
			t = &m->tensors[i];
	if (t == NULL)
		return;
	copy = palloc(sizeof(int32) * Max(t->dims[0], 1));
	for (int64 i = 0; i < t->dims[0]; i++)
	{
		int32 g = ((int32 *) t->data)[i];

		if (!inverse)
			copy[i] = map[g];
		else
			for (int32 x = 0; x < m->n_classes; x++)
				if (map[x] == g)
					copy[i] = x;
	}
	t->data = copy;
}

/* a tree model as XGBoost JSON */
static bytea *
export_xgboost_json(pgl_env *env, const char *name, pgl_model *m)
{
	pgl_status st;
	char	  *json;
	size_t	   len;
	bytea	  *out;

	if (!is_tree_model(m))
		ereport(
			ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("model \"%s\" is %s, and only tree models export as xgboost_json", name,
					pgl_algo_by_id(m->algorithm)->name),
			 errhint("Export it with format => 'pg_learn', or train xgboost or random_forest.")));
	/* XGBoost's class k of a model whose classes are 0 .. n-1 is class "k" */
	if (m->task == PGL_TASK_CLASSIFICATION && m->n_classes > 2)
	{
		int32 *order = xgb_class_order(m);

		if (order)
			remap_groups(m, order, true);
	}
	memset(&st, 0, sizeof(st));
	if (pgl_xgb_json_write(env, m, &json, &len, &st) != PGL_OK)
		pgl_report(&st, psprintf("exporting model \"%s\" failed", name));
	out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), json, len);
	return out;
}

/* an ONNX file: an imported one as it was imported, else the model's graph */
static bytea *
export_onnx(pgl_env *env, const char *name, pgl_model *m)
{
	const pgl_tensor *file = pgl_model_tensor(m, "onnx");
	bytea			 *out;

	if (m->algorithm != PGL_ALGO_ONNX || file == NULL)
		return pgl_export_onnx(env, name, m);
	out = palloc(VARHDRSZ + file->dims[0]);
	SET_VARSIZE(out, VARHDRSZ + file->dims[0]);
	memcpy(VARDATA(out), file->data, file->dims[0]);
	return out;
}

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
	int			  format;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	format = format_arg(fcinfo, 2);
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
	if (format == 1 || format == 2)
	{
		bytea *file = format == 1 ? export_xgboost_json(&env, name, m) : export_onnx(&env, name, m);

		MemoryContextSwitchTo(old);
		blob = (bytea *) pg_detoast_datum_copy((struct varlena *) file);
	}
	else
		MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(blob);
}

/* the task and classes an XGBoost objective gives (classes "0" .. "k-1") */
static void
imported_task(pgl_model *m, const pgl_xgb_info *xi)
{
	bool binary = strcmp(xi->objective, "binary:logistic") == 0;
	bool multi = strncmp(xi->objective, "multi:", 6) == 0;

	m->task = binary || multi ? PGL_TASK_CLASSIFICATION : PGL_TASK_REGRESSION;
	m->target_name = "target";
	m->target_type = m->task == PGL_TASK_CLASSIFICATION ? "integer" : "double precision";
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		m->n_classes = binary ? 2 : Max(xi->num_class, 2);
		m->classes = palloc(sizeof(char *) * m->n_classes);
		for (int32 c = 0; c < m->n_classes; c++)
			m->classes[c] = psprintf("%d", c);
		qsort(m->classes, m->n_classes, sizeof(char *), pg_qsort_strcmp);
	}
}

/*
 * An XGBoost JSON model as a new xgboost model: converted (xgb_json.c),
 * then written as a blob and read back, so it passes the same full
 * validation as any import.  Returns the blob; *out the model read.
 */
static bytea *
import_xgboost_json(pgl_env *env, bytea *json, pgl_model **out)
{
	pgl_model	*m = palloc0(sizeof(pgl_model));
	pgl_xgb_info xi;
	pgl_status	 st;
	uint8_t		*buf;
	size_t		 len;
	bytea		*blob;

	memset(&st, 0, sizeof(st));
	memset(&xi, 0, sizeof(xi));
	m->algorithm = PGL_ALGO_XGBOOST;
	m->n_inputs = PGL_XGB_MAX_IMPORT_INPUTS;
	if (pgl_xgb_json_read(env, VARDATA_ANY(json), VARSIZE_ANY_EXHDR(json), m, &xi, &st) != PGL_OK)
		ereport(ERROR,
				(errcode(st.rc == PGL_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY
												: ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the imported value is not a usable XGBoost JSON model: %s", st.msg),
				 st.detail[0] ? errdetail("%s", st.detail) : 0,
				 errhint("Pass the file xgboost's Booster.save_model(\"model.json\") writes, as "
						 "bytea (for example pg_read_binary_file or convert_to(text, 'UTF8')).")));
	if (xi.num_feature < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the imported XGBoost model has no features")));
	m->n_inputs = m->n_features = xi.num_feature;
	m->features = palloc0(sizeof(pgl_feature) * m->n_features);
	for (int32 f = 0; f < m->n_features; f++)
	{
		m->features[f].name = f < xi.n_feature_names ? xi.feature_names[f] : psprintf("f%d", f);
		m->features[f].type_name = "double precision";
		m->features[f].kind = PGL_FEATURE_NUMERIC;
		m->features[f].impute = NAN;
	}
	imported_task(m, &xi);
	if (m->task == PGL_TASK_CLASSIFICATION && m->n_classes > 2)
		remap_groups(m, xgb_class_order(m), false);

	/* the blob as ai_train stores it, and the model its full reader gives back */
	if (pgl_model_write(env, m, &buf, &len, &st) != PGL_OK ||
		pgl_model_read(env, buf, len, out, &st) != PGL_OK)
		ereport(ERROR, (errcode(st.rc == PGL_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY
													   : ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the imported XGBoost model is not valid: %s", st.msg),
						st.detail[0] ? errdetail("%s", st.detail) : 0));
	blob = palloc(VARHDRSZ + len);
	SET_VARSIZE(blob, VARHDRSZ + len);
	memcpy(VARDATA(blob), buf, len);
	return blob;
}

/*
 * ai_import_model(name, model, deploy, format, options): not STRICT since
 * options may be NULL; a NULL name, model or deploy gives NULL as before.
 */
Datum
ai_import_model(PG_FUNCTION_ARGS)
{
	char		 *name;
	bytea		 *blob;
	bool		  deploy;
	int			  format;
	Jsonb		 *options;
	MemoryContext cxt, old;
	pgl_env		  env;
	pgl_status	  st;
	pgl_model	 *m = NULL;
	PglNewVersion nv;
	bytea		 *copy;
	int32		  version;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	blob = PG_GETARG_BYTEA_PP(1);
	deploy = PG_GETARG_BOOL(2);
	format = format_arg(fcinfo, 3);
	options = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? PG_GETARG_JSONB_P(4) : NULL;
	if (options != NULL && format != 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ai_import_model takes options only with format onnx"),
						errhint("Leave options NULL for format %s.",
								format == 1 ? "xgboost_json" : "pg_learn")));
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn import", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	env = pgl_backend_env(cxt);
	if (strlen(name) == 0 || strlen(name) > 200)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("model name must be 1 to 200 bytes long")));
	pgl_check_model_writable(name);
	memset(&st, 0, sizeof(st));
	if (format == 1)
		copy = import_xgboost_json(&env, blob, &m);
	else if (format == 2)
		copy = pgl_import_onnx(&env, blob, options, &m);
	else
	{
		if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &m,
						   &st) != PGL_OK)
			ereport(ERROR, (errcode(st.rc == PGL_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY
														   : ERRCODE_DATA_CORRUPTED),
							errmsg("the imported value is not a valid pg_learn model: %s", st.msg),
							errhint("Pass the value ai_export_model() returned, unchanged, or give "
									"format => 'xgboost_json' for an XGBoost model.")));

		/* stored as a plain (uncompressed-format) bytea, as ai_train stores it */
		copy = palloc(VARHDRSZ + VARSIZE_ANY_EXHDR(blob));
		SET_VARSIZE(copy, VARHDRSZ + VARSIZE_ANY_EXHDR(blob));
		memcpy(VARDATA(copy), VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob));
	}

	memset(&nv, 0, sizeof(nv));
	nv.name = name;
	nv.algorithm = pgl_algo_by_id(m->algorithm)->name;
	nv.options = options != NULL
					 ? options
					 : DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	nv.model = m;
	nv.data_source = format == 1   ? "(imported from xgboost_json)"
					 : format == 2 ? "(imported from onnx)"
								   : "(imported)";
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
