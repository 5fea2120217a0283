/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The model catalog: store versions, find the deployed one (or a
 *	  pinned one), deploy, drop a model or one of its versions.
 *
 * The catalog tables are readable by everyone and writable by no ordinary
 * role.  The functions here check that the caller owns the model (or is a
 * member of the owning role) and then write as the extension's owner,
 * switching the user id only around the catalog statements; the training
 * data itself is always read as the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"

#include "catalog.h"
#include "distribute.h"
#include "privileges.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(ai_deploy);
PG_FUNCTION_INFO_V1(ai_drop_model);
PG_FUNCTION_INFO_V1(ai_drop_version);

/*
 * Schema and owner of the extension, looked up through SPI (PostgreSQL 15
 * has no syscache for pg_extension) and remembered per backend for as long
 * as the extension keeps its OID.  Must be called inside SPI.
 */
static Oid	cached_ext_oid = InvalidOid;
static char cached_schema[NAMEDATALEN * 2 + 3];
static Oid	cached_owner = InvalidOid;
static Oid	cached_namespace = InvalidOid;

static void
ext_lookup(void)
{
	Oid	 ext = get_extension_oid("pg_learn", false);
	bool isnull;

	if (ext == cached_ext_oid)
		return;
	if (SPI_execute("SELECT n.nspname, e.extowner, e.extnamespace FROM pg_catalog.pg_extension e "
					"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
					"WHERE e.extname OPERATOR(pg_catalog.=) 'pg_learn'",
					true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "pg_learn: extension not found in pg_extension");
	strlcpy(cached_schema,
			quote_identifier(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
			sizeof(cached_schema));
	cached_owner =
		DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	cached_namespace =
		DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	cached_ext_oid = ext;
}

/*
 * A catalog column, by its 0.3.0 name, as the installed tables call it.
 * 0.3.0 renamed model_name to name (ai_catalog_versions, _grants, _jobs)
 * and training_seconds to seconds (ai_catalog_versions); the library serves
 * a database still at 0.1.0 or 0.2.0 until its ALTER EXTENSION UPDATE
 * (test/tap/upgrade.sh trains there).  Looked up in the syscache at each
 * call, so an update in the same session is seen at once.  Inside SPI.
 */
const char *
pgl_catalog_col(const char *col)
{
	Oid rel;

	ext_lookup();
	rel = get_relname_relid("ai_catalog_versions", cached_namespace);
	if (!OidIsValid(rel) || get_attnum(rel, "model_name") == InvalidAttrNumber)
		return col;
	if (strcmp(col, "name") == 0)
		return "model_name";
	if (strcmp(col, "seconds") == 0)
		return "training_seconds";
	return col;
}

static const char *
ext_schema(void)
{
	ext_lookup();
	return cached_schema;
}

const char *
pgl_ext_schema(void)
{
	return ext_schema();
}

static Oid
ext_owner(void)
{
	ext_lookup();
	return cached_owner;
}

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, int expect)
{
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (rc != expect)
		elog(ERROR, "pg_learn: catalog statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

/* run a query with one text parameter; writing = may lock or write */
static void
spi_query_name(const char *sql, const char *name, bool writing)
{
	Oid	  types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	int	  rc = SPI_execute_with_args(sql, 1, types, values, NULL, !writing, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: catalog query failed (%s): %s", SPI_result_code_string(rc), sql);
}

static void
model_not_found(const char *name)
{
	ereport(
		ERROR,
		(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
		 errhint("SELECT DISTINCT name FROM ai_models lists the models; ai_train() creates one.")));
}

typedef PglOwnerSwitch OwnerSwitch;

static void become_owner(OwnerSwitch *sw);
static void restore_user(OwnerSwitch *sw);

const char *
pgl_catalog_schema(void)
{
	return ext_schema();
}

/* false in a database without the extension (the job dispatcher asks) */
bool
pgl_extension_installed(void)
{
	return OidIsValid(get_extension_oid("pg_learn", true));
}

void
pgl_catalog_become_owner(PglOwnerSwitch *sw)
{
	become_owner(sw);
}

void
pgl_catalog_restore_user(PglOwnerSwitch *sw)
{
	restore_user(sw);
}

/*
 * The versions of a model as "1, 2, 4", or "none" (inside SPI, as the
 * owner); writing: the caller has locked or written in this SPI connection.
 */
static const char *
version_list(const char *schema, const char *name, bool writing)
{
	char *v;

	spi_query_name(psprintf("SELECT pg_catalog.string_agg(version::pg_catalog.text, ', ' "
							"ORDER BY version) FROM %s.ai_catalog_versions "
							"WHERE %s OPERATOR(pg_catalog.=) $1",
							schema, pgl_catalog_col("name")),
				   name, writing);
	v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return v ? v : "none";
}

static void
version_not_found(const char *schema, const char *name, int32 version, bool writing)
{
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
					errmsg("model \"%s\" has no version %d", name, version),
					errhint("Its versions are: %s.", version_list(schema, name, writing))));
}

PglVersionInfo
pgl_catalog_deployed(const char *name)
{
	return pgl_catalog_version(name, 0);
}

/*
 * The plan of pgl_catalog_version's lookup, kept for the backend: it runs
 * once per scoring statement, and parsing and planning it each time cost
 * more than the prediction itself.  Keyed by the schema and the catalog's
 * column name (a database at an older version names it differently).
 */
static SPIPlanPtr version_plan = NULL;
static char		  version_plan_key[2 * NAMEDATALEN + 2];

static SPIPlanPtr
version_lookup_plan(const char *s)
{
	char	   key[sizeof(version_plan_key)];
	Oid		   types[2] = {TEXTOID, INT4OID};
	SPIPlanPtr plan;

	snprintf(key, sizeof(key), "%s.%s", s, pgl_catalog_col("name"));
	if (version_plan != NULL && strcmp(key, version_plan_key) == 0)
		return version_plan;
	if (version_plan != NULL)
		SPI_freeplan(version_plan);
	version_plan = NULL;
	/* version NULL: the deployed one */
	plan = SPI_prepare(
		psprintf("SELECT v.id, v.version, v.algorithm, m.owner::pg_catalog.oid "
				 "FROM %s.ai_catalog_models m "
				 "LEFT JOIN %s.ai_catalog_versions v "
				 "ON v.%s OPERATOR(pg_catalog.=) m.name "
				 "AND v.version OPERATOR(pg_catalog.=) COALESCE($2, m.deployed_version) "
				 "WHERE m.name OPERATOR(pg_catalog.=) $1",
				 s, s, pgl_catalog_col("name")),
		2, types);
	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_learn: preparing the catalog query failed (%s)",
			 SPI_result_code_string(SPI_result));
	strlcpy(version_plan_key, key, sizeof(version_plan_key));
	version_plan = plan;
	return plan;
}

PglVersionInfo
pgl_catalog_version(const char *name, int32 version)
{
	PglVersionInfo info;
	const char	  *s;
	bool		   isnull;
	HeapTuple	   tup;
	TupleDesc	   desc;
	MemoryContext  outer = CurrentMemoryContext;
	Datum		   values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};
	char		   nulls[2] = {' ', version > 0 ? ' ' : 'n'};
	OwnerSwitch	   sw;
	Oid			   owner;
	int			   rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the owner: row-level security hides models the caller may not use */
	become_owner(&sw);
	s = ext_schema();
	rc = SPI_execute_plan(version_lookup_plan(s), values, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: catalog query failed (%s)", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		model_not_found(name);
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	owner = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
	/* before saying anything about versions: may the caller use it at all? */
	if (!pgl_priv_check(s, name, sw.caller, owner, PGL_PRIV_PREDICT))
		pgl_priv_denied(name, sw.caller, owner, PGL_PRIV_PREDICT);
	info.version_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	if (isnull && version > 0)
		version_not_found(s, name, version, false);
	if (isnull)
		ereport(
			ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("model \"%s\" has no deployed version", name),
			 errhint("Deploy one with ai_deploy(name, version); ai_models lists the versions.")));
	info.version = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
	info.algorithm = MemoryContextStrdup(outer, SPI_getvalue(tup, desc, 3));
	restore_user(&sw);
	SPI_finish();
	return info;
}

bytea *
pgl_catalog_blob(int64 version_id)
{
	Oid			  types[1] = {INT8OID};
	Datum		  values[1] = {Int64GetDatum(version_id)};
	bool		  isnull;
	Datum		  d;
	bytea		 *result;
	MemoryContext outer = CurrentMemoryContext;
	int			  rc;
	OwnerSwitch	  sw;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* blobs are not readable by ordinary roles: read as the owner */
	become_owner(&sw);
	rc = SPI_execute_with_args(psprintf("SELECT blob FROM %s.ai_catalog_blobs "
										"WHERE version_id OPERATOR(pg_catalog.=) $1",
										ext_schema()),
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
						errmsg("model version " INT64_FORMAT " has no blob", version_id),
						errhint("Retrain the model, or deploy another version with ai_deploy().")));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		result = DatumGetByteaPCopy(d);
		MemoryContextSwitchTo(old);
	}
	restore_user(&sw);
	SPI_finish();
	return result;
}

/*
 * Lock the model's row and check the caller may change it.  Returns false
 * if the model does not exist (and missing_ok).  Must run inside SPI, as
 * the extension owner.
 */
static bool
lock_model_checked(const char *schema, const char *name, Oid caller, bool missing_ok,
				   const char *action, bool train_grant_ok)
{
	Oid	 owner;
	bool isnull;

	spi_query_name(psprintf("SELECT owner::pg_catalog.oid FROM %s.ai_catalog_models "
							"WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							schema),
				   name, true);
	if (SPI_processed == 0)
	{
		if (!missing_ok)
			model_not_found(name);
		return false;
	}
	owner =
		DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (train_grant_ok && pgl_priv_check(schema, name, caller, owner, PGL_PRIV_TRAIN))
		return true;
	if (!has_privs_of_role(caller, owner))
		ereport(
			ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s model \"%s\"", action, name),
			 errdetail("The model belongs to role \"%s\".",
					   GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "?"),
			 train_grant_ok
				 ? errhint("Only the owner, a member of the owning role, a superuser, or a role "
						   "granted the train privilege (ai_grant(name, role, 'train')) may %s "
						   "it.",
						   action)
				 : errhint("Only the owner, a member of the owning role, or a superuser may %s "
						   "it.",
						   action)));
	return true;
}

static void
become_owner(OwnerSwitch *sw)
{
	Oid owner;

	GetUserIdAndSecContext(&sw->saved_user, &sw->saved_sec);
	sw->caller = sw->saved_user;
	owner = ext_owner();
	SetUserIdAndSecContext(owner, sw->saved_sec | SECURITY_LOCAL_USERID_CHANGE |
									  SECURITY_RESTRICTED_OPERATION);
	/* nothing the caller planted on the search_path runs as the owner */
	sw->guc_nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
restore_user(OwnerSwitch *sw)
{
	AtEOXact_GUC(true, sw->guc_nest);
	SetUserIdAndSecContext(sw->saved_user, sw->saved_sec);
}

void
pgl_check_model_writable(const char *name)
{
	OwnerSwitch sw;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	spi_query_name(psprintf("SELECT owner::pg_catalog.oid FROM %s.ai_catalog_models "
							"WHERE name OPERATOR(pg_catalog.=) $1",
							ext_schema()),
				   name, false);
	if (SPI_processed > 0)
	{
		bool isnull;
		Oid	 owner = DatumGetObjectId(
			 SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

		if (!pgl_priv_check(ext_schema(), name, sw.caller, owner, PGL_PRIV_TRAIN))
			ereport(
				ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to retrain model \"%s\"", name),
				 errdetail("The model belongs to role \"%s\".",
						   GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "?"),
				 errhint("Choose another model name, or ask the owner to grant you the train "
						 "privilege: ai_grant('%s', '%s', 'train').",
						 name,
						 GetUserNameFromId(sw.caller, true) ? GetUserNameFromId(sw.caller, true)
															: "?")));
	}
	restore_user(&sw);
	SPI_finish();
}

int64
pgl_catalog_version_for_export(const char *name, int32 version, bool given)
{
	OwnerSwitch sw;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};
	char		nulls[2] = {' ', given ? ' ' : 'n'};
	bool		isnull;
	Oid			owner;
	int64		id;
	const char *s;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	s = ext_schema();
	if (SPI_execute_with_args(
			psprintf("SELECT m.owner::pg_catalog.oid, v.id FROM %s.ai_catalog_models m "
					 "LEFT JOIN %s.ai_catalog_versions v ON v.%s OPERATOR(pg_catalog.=) "
					 "m.name AND v.version OPERATOR(pg_catalog.=) COALESCE($2, m.deployed_version) "
					 "WHERE m.name OPERATOR(pg_catalog.=) $1",
					 s, s, pgl_catalog_col("name")),
			2, types, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: catalog query failed");
	if (SPI_processed == 0)
		model_not_found(name);
	owner =
		DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!has_privs_of_role(sw.caller, owner))
		ereport(
			ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to export model \"%s\"", name),
			 errdetail("The model belongs to role \"%s\".",
					   GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "?"),
			 errhint(
				 "Only the owner, a member of the owning role, or a superuser may export it.")));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
						given ? errmsg("model \"%s\" has no version %d", name, version)
							  : errmsg("model \"%s\" has no deployed version", name),
						errhint("ai_models lists the versions.")));
	restore_user(&sw);
	SPI_finish();
	return id;
}

static Datum
text_array(int n, char **items)
{
	Datum *d = palloc(sizeof(Datum) * (n > 0 ? n : 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

int32
pgl_catalog_store(const PglNewVersion *nv)
{
	const pgl_model *m = nv->model;
	OwnerSwitch		 sw;
	const char		*s;
	int32			 version;
	int64			 version_id;
	bool			 isnull;
	char		   **fnames = palloc(sizeof(char *) * (m->n_features + 1));
	char		   **ftypes = palloc(sizeof(char *) * (m->n_features + 1));

	for (int i = 0; i < m->n_features; i++)
	{
		fnames[i] = m->features[i].name;
		ftypes[i] = m->features[i].type_name;
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	s = ext_schema();

	/*
	 * Create the model row if it is new.  ON CONFLICT waits for a concurrent
	 * first training of the same name and then does nothing, so both end up
	 * locking the one row below (and the second is a retrain, if allowed).
	 */
	{
		Oid	  types[2] = {TEXTOID, OIDOID};
		Datum values[2] = {CStringGetTextDatum(nv->name), ObjectIdGetDatum(sw.caller)};

		spi_exec(psprintf("INSERT INTO %s.ai_catalog_models (name, owner) "
						  "VALUES ($1, $2::pg_catalog.regrole) ON CONFLICT (name) DO NOTHING",
						  s),
				 2, types, values, SPI_OK_INSERT);
	}
	lock_model_checked(s, nv->name, sw.caller, false, "retrain", true);

	spi_query_name(psprintf("SELECT COALESCE(pg_catalog.max(version), 0) OPERATOR(pg_catalog.+) 1 "
							"FROM %s.ai_catalog_versions WHERE %s OPERATOR(pg_catalog.=) $1",
							s, pgl_catalog_col("name")),
				   nv->name, true);
	version =
		DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	{
		Oid	  types[14] = {TEXTOID,		 INT4OID, TEXTOID, JSONBOID, TEXTARRAYOID,
						   TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID,	 INT8OID,
						   TEXTOID,		 INT4OID, OIDOID,  FLOAT8OID};
		Datum values[14];
		char  nulls[14];
		int	  rc;

		memset(nulls, ' ', sizeof(nulls));
		values[0] = CStringGetTextDatum(nv->name);
		values[1] = Int32GetDatum(version);
		values[2] = CStringGetTextDatum(nv->algorithm);
		values[3] = JsonbPGetDatum(nv->options);
		values[4] = text_array(m->n_features, fnames);
		values[5] = text_array(m->n_features, ftypes);
		values[6] = m->target_name ? CStringGetTextDatum(m->target_name) : (Datum) 0;
		nulls[6] = m->target_name ? ' ' : 'n';
		values[7] = m->target_type ? CStringGetTextDatum(m->target_type) : (Datum) 0;
		nulls[7] = m->target_type ? ' ' : 'n';
		values[8] = CStringGetTextDatum(nv->data_source);
		values[9] = Int64GetDatum(nv->rows_used);
		values[10] = CStringGetTextDatum(nv->metrics_json);
		values[11] = Int32GetDatum(VARSIZE_ANY_EXHDR(nv->blob));
		values[12] = ObjectIdGetDatum(sw.caller);
		values[13] = Float8GetDatum(nv->seconds);

		rc = SPI_execute_with_args(
			psprintf("INSERT INTO %s.ai_catalog_versions "
					 "(%s, version, algorithm, options, feature_names, "
					 "feature_types, target_name, target_type, data_source, "
					 "rows_used, metrics, blob_size, trained_by, %s) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
					 "$11::pg_catalog.jsonb, $12, $13::pg_catalog.regrole, $14) "
					 "RETURNING id",
					 s, pgl_catalog_col("name"), pgl_catalog_col("seconds")),
			14, types, values, nulls, false, 0);
		if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
			elog(ERROR, "pg_learn: could not insert the model version (%s)",
				 SPI_result_code_string(rc));
		version_id =
			DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}

	{
		Oid	  types[2] = {INT8OID, BYTEAOID};
		Datum values[2] = {Int64GetDatum(version_id), PointerGetDatum(nv->blob)};

		spi_exec(psprintf("INSERT INTO %s.ai_catalog_blobs (version_id, blob) VALUES ($1, $2)", s),
				 2, types, values, SPI_OK_INSERT);
	}

	if (nv->deploy)
	{
		Oid	  types[2] = {TEXTOID, INT4OID};
		Datum values[2] = {CStringGetTextDatum(nv->name), Int32GetDatum(version)};

		spi_exec(psprintf("UPDATE %s.ai_catalog_models SET deployed_version = $2 "
						  "WHERE name OPERATOR(pg_catalog.=) $1",
						  s),
				 2, types, values, SPI_OK_UPDATE);
	}
	pgl_distribute_changed(nv->name, version);

	restore_user(&sw);
	SPI_finish();
	return version;
}

/*
 * The deployed version of a model, or 0 if none (inside SPI, after
 * lock_model_checked).
 */
static int32
deployed_version(const char *schema, const char *name)
{
	bool  isnull;
	Datum d;

	spi_query_name(psprintf("SELECT deployed_version FROM %s.ai_catalog_models "
							"WHERE name OPERATOR(pg_catalog.=) $1",
							schema),
				   name, true);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

/* ai_deploy(name, version): the version it replaced (NULL when none was deployed) */
Datum
ai_deploy(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		version = PG_GETARG_INT32(1);
	OwnerSwitch sw;
	const char *s;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};
	int32		replaced;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	s = ext_schema();
	lock_model_checked(s, name, sw.caller, false, "deploy", false);
	replaced = deployed_version(s, name);
	spi_exec(psprintf("UPDATE %s.ai_catalog_models m SET deployed_version = $2 "
					  "WHERE m.name OPERATOR(pg_catalog.=) $1 AND EXISTS "
					  "(SELECT 1 FROM %s.ai_catalog_versions v "
					  "WHERE v.%s OPERATOR(pg_catalog.=) $1 "
					  "AND v.version OPERATOR(pg_catalog.=) $2)",
					  s, s, pgl_catalog_col("name")),
			 2, types, values, SPI_OK_UPDATE);
	if (SPI_processed == 0)
		version_not_found(s, name, version, true);
	pgl_distribute_changed(name, 0);
	restore_user(&sw);
	SPI_finish();
	if (replaced == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(replaced);
}

/*
 * ai_drop_version(name, version): remove one version and its blob.  Like
 * retraining, it needs the train privilege; the deployed version stays.
 */
Datum
ai_drop_version(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		version = PG_GETARG_INT32(1);
	OwnerSwitch sw;
	const char *s;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	s = ext_schema();
	lock_model_checked(s, name, sw.caller, false, "drop a version of", true);
	if (deployed_version(s, name) == version)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("version %d of model \"%s\" is deployed", version, name),
				 errdetail("Its versions are: %s.", version_list(s, name, true)),
				 errhint("Deploy another version first with ai_deploy('%s', version), or drop "
						 "the whole model with ai_drop_model('%s').",
						 name, name)));
	/* the blob goes with it (ON DELETE CASCADE) */
	spi_exec(psprintf("DELETE FROM %s.ai_catalog_versions "
					  "WHERE %s OPERATOR(pg_catalog.=) $1 "
					  "AND version OPERATOR(pg_catalog.=) $2",
					  s, pgl_catalog_col("name")),
			 2, types, values, SPI_OK_DELETE);
	if (SPI_processed == 0)
		version_not_found(s, name, version, true);
	pgl_distribute_changed(name, 0);
	restore_user(&sw);
	SPI_finish();
	PG_RETURN_VOID();
}

Datum
ai_drop_model(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	OwnerSwitch sw;
	const char *s;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&sw);
	s = ext_schema();
	lock_model_checked(s, name, sw.caller, false, "drop", false);
	spi_exec(psprintf("DELETE FROM %s.ai_catalog_models WHERE name OPERATOR(pg_catalog.=) $1", s),
			 1, types, values, SPI_OK_DELETE);
	pgl_distribute_changed(name, 0);
	restore_user(&sw);
	SPI_finish();
	PG_RETURN_VOID();
}
