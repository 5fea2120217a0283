/*-------------------------------------------------------------------------
 *
 * drift_job.c
 *	  The "drift_check" job kind of ai_schedule: instead of retraining, a
 *	  run calls ai_drift on the schedule's data and appends its rows, with
 *	  the model, the version checked and the time, to a table the user
 *	  names (created on the first run if missing).  src/jobs/api.c checks
 *	  a schedule of this kind here; src/jobs/worker.c runs it here.
 *
 *	  ai_schedule('churn_drift', '1 day', 'drift_check', 'SELECT * FROM today',
 *				  options => '{"model": "churn", "into": "monitoring.churn_drift"}')
 *
 *-------------------------------------------------------------------------
 */
#include "drift_glue.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"

#include "model_cache.h"

/* a string member of an options object, or NULL */
static char *
option_string(Jsonb *options, const char *key)
{
	JsonbValue *v;
	JsonbValue	k;

	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"%s\" of a drift check must be a string", key),
						errhint("For example {\"model\": \"churn\", \"into\": \"churn_drift\"}.")));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* "into" as a quoted, possibly qualified name: ERROR when missing or not a name */
static char *
into_table(Jsonb *options)
{
	char	 *into = option_string(options, "into");
	List	 *names;
	RangeVar *rv;

	if (into == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("a drift check needs the option \"into\""),
						errhint("Name the table its rows go to: {\"into\": \"churn_drift\"}; it is "
								"created on the first run if missing.")));
	names = stringToQualifiedNameList(into);
	rv = makeRangeVarFromNameList(names);
	return rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname)
						  : (char *) quote_identifier(rv->relname);
}

void
pgl_drift_job_check(const char *name, bool has_target, Jsonb *options)
{
	JsonbIterator	  *it;
	JsonbValue		   v;
	JsonbIteratorToken tok;
	char			  *model;

	if (has_target)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("a drift check takes no target"),
				 errhint("Call ai_schedule(name, every, 'drift_check', data, options => "
						 "'{\"model\": ..., \"into\": ...}').")));
	if (options != NULL && JB_ROOT_IS_OBJECT(options))
	{
		it = JsonbIteratorInit(&options->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY)
			{
				char *key = pnstrdup(v.val.string.val, v.val.string.len);

				if (strcmp(key, "model") != 0 && strcmp(key, "into") != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unknown option \"%s\" of a drift check", key),
							 errhint("A drift check takes \"model\" (default: the schedule's "
									 "name), \"into\" and \"max_failures\".")));
			}
	}
	(void) into_table(options);
	model = option_string(options, "model");
	/* the model must exist and be readable by the caller now */
	{
		int64 version_id;

		(void) pgl_model_get_version(model ? model : name, 0, &version_id);
	}
}

char *
pgl_drift_job_sql(const char *schema, const char *options_json, char **create, char **model)
{
	Jsonb *options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options_json)));
	char  *into = into_table(options);

	*model = option_string(options, "model");
	*create = psprintf("CREATE TABLE IF NOT EXISTS %s (model text, version integer, "
					   "checked_at timestamptz, feature text, kind text, statistic text, "
					   "value double precision, threshold double precision, drifted boolean, "
					   "unseen_share double precision, null_share double precision)",
					   into);
	return psprintf("INSERT INTO %s SELECT $1, (SELECT v.version FROM %s.ai_models v "
					"WHERE v.name OPERATOR(pg_catalog.=) $1 AND v.deployed), "
					"pg_catalog.now(), d.* FROM %s.ai_drift($1, $2) d",
					into, schema, schema);
}
