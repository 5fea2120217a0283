/*-------------------------------------------------------------------------
 *
 * distribute.c
 *	  Models on every node of a Citus cluster: the catalog of the
 *	  coordinator is copied, model by model, to the workers, so that
 *	  ai_predict() and friends run on the shards (docs/scale-out.md).
 *
 * Every function that changes the servable state of a model (a stored
 * version, a deploy, a drop, a grant or revoke) calls
 * pgl_distribute_changed().  Without the citus extension in the database
 * that is all.  With it, the model's name is remembered until the
 * transaction commits; just before the commit (XACT_EVENT_PRE_COMMIT) the
 * coordinator reads the model's whole state from its catalog (the model row,
 * every version's metadata, the grants, and the blobs of the versions new in
 * this transaction) and runs ai_catalog_apply() with it on every worker
 * through Citus's run_command_on_workers, as the extension's owner.
 *
 * ai_catalog_apply() makes the worker's copy of that one model equal to the
 * state it is given: idempotent, and a change the worker missed is repaired
 * by the next one (a worker that lacks the blob of a version says so, and
 * the coordinator then sends every blob of the model).  A worker that
 * refuses or cannot be reached makes the coordinator's transaction fail.
 *
 * Roles travel by name (Citus creates them on the workers); the privilege
 * checks on a worker are the ordinary ones, over its copy of the grants.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"

#include "catalog.h"
#include "distribute.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(ai_catalog_apply);

/* a model changed in this transaction (in TopTransactionContext) */
typedef struct PendingModel
{
	char *name;
	List *new_versions; /* int list */
} PendingModel;

static List *pending = NIL;
static bool	 callback_registered = false;

static void distribute_xact_callback(XactEvent event, void *arg);

void
pgl_distribute_changed(const char *name, int32 new_version)
{
	MemoryContext old;
	PendingModel *pm = NULL;
	ListCell	 *lc;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(distribute_xact_callback, NULL);
		callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	foreach (lc, pending)
	{
		if (strcmp(((PendingModel *) lfirst(lc))->name, name) == 0)
			pm = lfirst(lc);
	}
	if (pm == NULL)
	{
		pm = palloc0(sizeof(PendingModel));
		pm->name = pstrdup(name);
		pending = lappend(pending, pm);
	}
	if (new_version > 0)
		pm->new_versions = lappend_int(pm->new_versions, new_version);
	MemoryContextSwitchTo(old);
}

/* ---------- the coordinator's side ---------- */

/*
 * The statement that installs the model's state on a worker (inside SPI, as
 * the extension owner): the model row, the metadata of every version and
 * the grants as one jsonb (NULL: the model is gone), and the blobs of the
 * versions in "versions" (all of them when all_blobs).
 */
static char *
apply_command(const char *schema, const char *name, List *versions, bool all_blobs)
{
	Datum	 *vers = palloc(sizeof(Datum) * (list_length(versions) + 1));
	int		  n = 0;
	ListCell *lc;
	Oid		  types[3] = {TEXTOID, INT4ARRAYOID, BOOLOID};
	Datum	  values[3];
	int		  rc;

	foreach (lc, versions)
		vers[n++] = Int32GetDatum(lfirst_int(lc));
	values[0] = CStringGetTextDatum(name);
	values[1] = PointerGetDatum(construct_array(vers, n, INT4OID, 4, true, TYPALIGN_INT));
	values[2] = BoolGetDatum(all_blobs);
	rc = SPI_execute_with_args(
		psprintf(
			"SELECT pg_catalog.format('SELECT %%s.ai_catalog_apply(%%L, %%L::pg_catalog.jsonb, "
			"%%L::integer[], %%L::pg_catalog.bytea[])', %s, $1, st.state, b.vers, b.blobs) "
			"FROM (SELECT (SELECT pg_catalog.jsonb_build_object("
			"'owner', m.owner, 'created_at', m.created_at, "
			"'deployed_version', m.deployed_version, "
			"'versions', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v) "
			"OPERATOR(pg_catalog.-) 'id'::pg_catalog.text ORDER BY v.version) "
			"FROM %s.ai_catalog_versions v WHERE v.name OPERATOR(pg_catalog.=) m.name), "
			"'[]'::pg_catalog.jsonb), "
			"'grants', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(g)) "
			"FROM %s.ai_catalog_grants g WHERE g.name OPERATOR(pg_catalog.=) m.name), "
			"'[]'::pg_catalog.jsonb)) "
			"FROM %s.ai_catalog_models m WHERE m.name OPERATOR(pg_catalog.=) $1) AS state) st, "
			"(SELECT pg_catalog.array_agg(v.version ORDER BY v.version) AS vers, "
			"pg_catalog.array_agg(c.blob ORDER BY v.version) AS blobs "
			"FROM %s.ai_catalog_versions v JOIN %s.ai_catalog_blobs c "
			"ON c.version_id OPERATOR(pg_catalog.=) v.id "
			"WHERE v.name OPERATOR(pg_catalog.=) $1 "
			"AND ($3 OR v.version OPERATOR(pg_catalog.=) ANY ($2))) b",
			quote_literal_cstr(schema), schema, schema, schema, schema, schema),
		3, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_learn: could not read the state of model \"%s\" (%s)", name,
			 SPI_result_code_string(rc));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * Run the command on every worker; ERROR naming the first that failed.
 * Returns true if a worker lacks the blob of some version of the model.
 */
static bool
run_on_workers(const char *name, const char *command)
{
	Oid	  types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(command)};
	bool  missing = false;

	if (SPI_execute_with_args("SELECT nodename, nodeport, success, result "
							  "FROM pg_catalog.run_command_on_workers($1)",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: run_command_on_workers failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tup = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		char	 *success = SPI_getvalue(tup, desc, 3);
		char	 *result = SPI_getvalue(tup, desc, 4);

		if (success == NULL || strcmp(success, "t") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not copy model \"%s\" to the citus worker %s:%s", name,
							SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2)),
					 errdetail("The worker said: %s", result ? result : "(nothing)"),
					 errhint("The change is not committed.  Every worker needs pg_learn at the "
							 "coordinator's version, and the extension's owner must be able to "
							 "connect to it (docs/scale-out.md).")));
		if (result != NULL && strcmp(result, "0") != 0)
			missing = true;
	}
	return missing;
}

/* send every model changed in the transaction to the workers */
static void
flush_pending(List *todo)
{
	PglOwnerSwitch sw;
	ListCell	  *lc;
	bool		   isnull;
	const char	  *s;

	/* dropped later in the same transaction: nothing to copy, or no one to copy it */
	if (!pgl_extension_installed() || !OidIsValid(get_extension_oid("citus", true)))
		return;
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the owner: Citus connects to the workers as the current user */
	pgl_catalog_become_owner(&sw);
	s = pgl_catalog_schema();
	/* only the coordinator copies; a 0.1.0/0.2.0 catalog has nothing to apply it */
	if (SPI_execute("SELECT pg_catalog.citus_is_coordinator()", true, 1) == SPI_OK_SELECT &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) &&
		strcmp(pgl_catalog_col("name"), "name") == 0)
	{
		foreach (lc, todo)
		{
			PendingModel *pm = lfirst(lc);

			if (run_on_workers(pm->name, apply_command(s, pm->name, pm->new_versions, false)))
				(void) run_on_workers(pm->name, apply_command(s, pm->name, NIL, true));
		}
	}
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PopActiveSnapshot();
}

static void
distribute_xact_callback(XactEvent event, void *arg)
{
	List *todo = pending;

	/* TopTransactionContext goes away with the transaction */
	pending = NIL;
	if (todo == NIL)
		return;
	if (event == XACT_EVENT_PRE_COMMIT)
		flush_pending(todo);
	else if (event == XACT_EVENT_PRE_PREPARE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot PREPARE a transaction that changed a pg_learn model on a "
							   "citus coordinator"),
						errhint("Commit it directly: the workers receive the model at commit.")));
}

/* ---------- the worker's side ---------- */

static void
spi_run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "pg_learn: catalog statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

/* the versions and blobs arguments: same length, one dimension, no NULLs */
static void
check_blob_args(ArrayType *vers, ArrayType *blobs)
{
	int nv = ArrayGetNItems(ARR_NDIM(vers), ARR_DIMS(vers));
	int nb = ArrayGetNItems(ARR_NDIM(blobs), ARR_DIMS(blobs));

	if (nv != nb || ARR_NDIM(vers) > 1 || ARR_NDIM(blobs) > 1 || array_contains_nulls(vers) ||
		array_contains_nulls(blobs))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("versions and blobs must be one-dimensional arrays of the same "
							   "length without NULLs (got %d versions and %d blobs)",
							   nv, nb)));
}

static void
check_state(Jsonb *state)
{
	JsonbValue *v;
	const char *keys[3] = {"owner", "versions", "grants"};

	if (!JB_ROOT_IS_OBJECT(state))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the model state must be a JSON object")));
	for (int i = 0; i < 3; i++)
	{
		v = getKeyJsonValueFromContainer(&state->root, keys[i], strlen(keys[i]), NULL);
		if (v == NULL || (i > 0 && v->type != jbvBinary))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the model state has no \"%s\"%s", keys[i], i > 0 ? " array" : ""),
					 errdetail("It has \"owner\", \"created_at\", \"deployed_version\", "
							   "\"versions\" and \"grants\", as the coordinator writes it.")));
	}
}

/* make the local copy of the model equal to state (inside SPI, as the owner) */
static int64
apply_state(const char *s, Datum name, Datum state, Datum vers, Datum blobs)
{
	Oid	  types[4] = {TEXTOID, JSONBOID, INT4ARRAYOID, BYTEAARRAYOID};
	Datum values[4] = {name, state, vers, blobs};
	bool  isnull;

	spi_run(psprintf("INSERT INTO %s.ai_catalog_models AS m (name, owner, created_at) "
					 "SELECT $1, r.owner, COALESCE(r.created_at, pg_catalog.now()) "
					 "FROM pg_catalog.jsonb_populate_record(NULL::%s.ai_catalog_models, $2) r "
					 "ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, "
					 "created_at = EXCLUDED.created_at",
					 s, s),
			2, types, values, NULL, SPI_OK_INSERT);
	/* versions that are gone, and those whose blob is replaced by another */
	spi_run(
		psprintf("DELETE FROM %s.ai_catalog_versions v WHERE v.name OPERATOR(pg_catalog.=) $1 "
				 "AND (v.version OPERATOR(pg_catalog.<>) ALL (SELECT (e.value "
				 "OPERATOR(pg_catalog.->>) 'version')::integer "
				 "FROM pg_catalog.jsonb_array_elements($2 OPERATOR(pg_catalog.->) 'versions') e) "
				 "OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest($3), "
				 "pg_catalog.unnest($4)) u(version, blob) "
				 "WHERE u.version OPERATOR(pg_catalog.=) v.version AND NOT EXISTS "
				 "(SELECT 1 FROM %s.ai_catalog_blobs c WHERE c.version_id "
				 "OPERATOR(pg_catalog.=) v.id AND c.blob OPERATOR(pg_catalog.=) u.blob)))",
				 s, s),
		4, types, values, NULL, SPI_OK_DELETE);
	spi_run(psprintf("INSERT INTO %s.ai_catalog_versions AS v (name, version, algorithm, options, "
					 "feature_names, feature_types, target_name, target_type, data_source, "
					 "rows_used, metrics, blob_size, trained_at, trained_by, seconds) "
					 "SELECT $1, r.version, r.algorithm, r.options, r.feature_names, "
					 "r.feature_types, r.target_name, r.target_type, r.data_source, r.rows_used, "
					 "r.metrics, r.blob_size, r.trained_at, r.trained_by, r.seconds "
					 "FROM pg_catalog.jsonb_populate_recordset(NULL::%s.ai_catalog_versions, "
					 "$2 OPERATOR(pg_catalog.->) 'versions') r "
					 "ON CONFLICT (name, version) DO UPDATE SET algorithm = EXCLUDED.algorithm, "
					 "options = EXCLUDED.options, feature_names = EXCLUDED.feature_names, "
					 "feature_types = EXCLUDED.feature_types, target_name = EXCLUDED.target_name, "
					 "target_type = EXCLUDED.target_type, data_source = EXCLUDED.data_source, "
					 "rows_used = EXCLUDED.rows_used, metrics = EXCLUDED.metrics, "
					 "blob_size = EXCLUDED.blob_size, trained_at = EXCLUDED.trained_at, "
					 "trained_by = EXCLUDED.trained_by, seconds = EXCLUDED.seconds",
					 s, s),
			2, types, values, NULL, SPI_OK_INSERT);
	spi_run(psprintf("INSERT INTO %s.ai_catalog_blobs (version_id, blob) "
					 "SELECT v.id, u.blob FROM ROWS FROM (pg_catalog.unnest($3), "
					 "pg_catalog.unnest($4)) u(version, blob) "
					 "JOIN %s.ai_catalog_versions v ON v.name OPERATOR(pg_catalog.=) $1 "
					 "AND v.version OPERATOR(pg_catalog.=) u.version "
					 "ON CONFLICT (version_id) DO NOTHING",
					 s, s),
			4, types, values, NULL, SPI_OK_INSERT);
	spi_run(psprintf("DELETE FROM %s.ai_catalog_grants WHERE name OPERATOR(pg_catalog.=) $1", s), 1,
			types, values, NULL, SPI_OK_DELETE);
	spi_run(psprintf("INSERT INTO %s.ai_catalog_grants (name, model_owner, grantee, privilege, "
					 "granted_by, granted_at) "
					 "SELECT $1, g.model_owner, g.grantee, g.privilege, g.granted_by, g.granted_at "
					 "FROM pg_catalog.jsonb_populate_recordset(NULL::%s.ai_catalog_grants, "
					 "$2 OPERATOR(pg_catalog.->) 'grants') g",
					 s, s),
			2, types, values, NULL, SPI_OK_INSERT);
	spi_run(psprintf("UPDATE %s.ai_catalog_models SET deployed_version = "
					 "($2 OPERATOR(pg_catalog.->>) 'deployed_version')::integer "
					 "WHERE name OPERATOR(pg_catalog.=) $1",
					 s),
			2, types, values, NULL, SPI_OK_UPDATE);
	/* how many versions still have no blob here (the coordinator then sends them all) */
	spi_run(psprintf("SELECT pg_catalog.count(*) FROM %s.ai_catalog_versions v "
					 "WHERE v.name OPERATOR(pg_catalog.=) $1 AND NOT EXISTS (SELECT 1 FROM "
					 "%s.ai_catalog_blobs c WHERE c.version_id OPERATOR(pg_catalog.=) v.id)",
					 s, s),
			1, types, values, NULL, SPI_OK_SELECT);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * ai_catalog_apply(name, state, versions, blobs): make this node's copy of
 * model "name" equal to state (NULL: drop it), storing the given blobs for
 * the given versions.  Internal: the coordinator of a Citus cluster calls it
 * on the workers.  Returns how many versions of the model have no blob here.
 */
Datum
ai_catalog_apply(PG_FUNCTION_ARGS)
{
	PglOwnerSwitch sw;
	const char	  *s;
	int64		   missing = 0;
	ArrayType	  *empty_int = construct_empty_array(INT4OID);
	ArrayType	  *empty_bytea = construct_empty_array(BYTEAOID);
	Datum		   vers = PG_ARGISNULL(2) ? PointerGetDatum(empty_int) : PG_GETARG_DATUM(2);
	Datum		   blobs = PG_ARGISNULL(3) ? PointerGetDatum(empty_bytea) : PG_GETARG_DATUM(3);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("the model name must not be NULL")));
	check_blob_args(DatumGetArrayTypeP(vers), DatumGetArrayTypeP(blobs));
	if (!PG_ARGISNULL(1))
		check_state(PG_GETARG_JSONB_P(1));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgl_catalog_become_owner(&sw);
	if (!superuser_arg(sw.caller) && !has_privs_of_role(sw.caller, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to apply a model catalog change"),
				 errdetail("ai_catalog_apply is internal: the coordinator of a Citus cluster "
						   "calls it on the workers as the extension's owner, \"%s\".",
						   GetUserNameFromId(GetUserId(), false)),
				 errhint("Change models with ai_train, ai_deploy, ai_grant, ai_drop_model... on "
						 "the coordinator.")));
	s = pgl_catalog_schema();
	if (PG_ARGISNULL(1))
	{
		Oid	  types[1] = {TEXTOID};
		Datum values[1] = {PG_GETARG_DATUM(0)};

		spi_run(
			psprintf("DELETE FROM %s.ai_catalog_models WHERE name OPERATOR(pg_catalog.=) $1", s), 1,
			types, values, NULL, SPI_OK_DELETE);
	}
	else
		missing = apply_state(s, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), vers, blobs);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_INT64(missing);
}
