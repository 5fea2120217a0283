/*-------------------------------------------------------------------------
 *
 * privileges.c
 *	  Model privileges: ai_grant, ai_revoke and the check every use path
 *	  makes.
 *
 * A model belongs to the role that created it.  Its owner, a role with the
 * owner's privileges (a member of the owning role, a superuser) may do
 * anything with it; other roles only what ai_grant() gave them, directly,
 * through a role whose privileges they have, or through PUBLIC:
 *
 *	predict  use the model: ai_predict, ai_classify, ai_predict_proba,
 *			 ai_cluster, ai_recommend*, ai_explain, ai_evaluate, ... and
 *			 see it in ai_models
 *	train	 add versions (ai_train under its name, ai_import_model);
 *			 implies predict (granting train grants both rows)
 *
 * Deploying an existing version, dropping, exporting and granting stay
 * with the owner.  The grants live in ai_catalog_grants; row-level
 * security on the catalog tables shows a role only the models it may use
 * (the install script), and the C code checks here, as the extension
 * owner, before it reads a blob.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "catalog.h"
#include "distribute.h"
#include "privileges.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(ai_grant);
PG_FUNCTION_INFO_V1(ai_revoke);

static const char *const priv_names[] = {"predict", "train"};

static const char *
role_name(Oid role)
{
	const char *n;

	if (role == InvalidOid)
		return "PUBLIC";
	n = GetUserNameFromId(role, true);
	return n ? n : psprintf("(dropped role %u)", role);
}

bool
pgl_priv_check(const char *schema, const char *name, Oid caller, Oid owner, PglPrivilege priv)
{
	Oid	  types[3] = {TEXTOID, TEXTOID, OIDOID};
	Datum values[3];
	bool  isnull;
	int	  rc;

	if (has_privs_of_role(caller, owner))
		return true;
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(priv_names[priv]);
	values[2] = ObjectIdGetDatum(caller);
	rc = SPI_execute_with_args(
		psprintf("SELECT EXISTS (SELECT 1 FROM %s.ai_catalog_grants "
				 "WHERE %s OPERATOR(pg_catalog.=) $1 "
				 "AND privilege OPERATOR(pg_catalog.=) $2 "
				 "AND (grantee::pg_catalog.oid OPERATOR(pg_catalog.=) 0::pg_catalog.oid "
				 "OR pg_catalog.pg_has_role($3, grantee::pg_catalog.oid, 'USAGE')))",
				 schema, pgl_catalog_col("name")),
		3, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_learn: privilege query failed (%s)", SPI_result_code_string(rc));
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

void
pgl_priv_denied(const char *name, Oid caller, Oid owner, PglPrivilege priv)
{
	const char *who = role_name(caller);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for model \"%s\"", name),
			 errdetail("Role \"%s\" has no %s privilege on model \"%s\", which belongs to role "
					   "\"%s\".",
					   who, priv_names[priv], name, role_name(owner)),
			 errhint("The owner may grant it: SELECT ai_grant('%s', '%s', '%s');", name, who,
					 priv_names[priv])));
}

static PglPrivilege
parse_privilege(const char *s)
{
	for (int i = 0; i < (int) lengthof(priv_names); i++)
		if (pg_strcasecmp(s, priv_names[i]) == 0)
			return (PglPrivilege) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown model privilege \"%s\"", s),
			 errhint("Valid privileges are 'predict' (use the model) and 'train' (add "
					 "versions; includes predict).")));
	return PGL_PRIV_PREDICT; /* not reached */
}

static Oid
parse_grantee(const char *s)
{
	Oid role;

	if (pg_strcasecmp(s, "public") == 0)
		return InvalidOid;
	role = get_role_oid(s, true);
	if (!OidIsValid(role))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role \"%s\" does not exist", s),
						errhint("Name an existing role (exactly as spelled in pg_roles), or "
								"'PUBLIC'.")));
	return role;
}

/*
 * Lock the model's row and check the caller may manage its privileges.
 * Inside SPI, as the extension owner.  Returns the owner.
 */
static Oid
lock_for_grant(const char *schema, const char *name, Oid caller, const char *action)
{
	Oid	  types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	Oid	  owner;
	bool  isnull;

	if (SPI_execute_with_args(psprintf("SELECT owner::pg_catalog.oid FROM %s.ai_catalog_models "
									   "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
									   schema),
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_learn: catalog query failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
				 errhint("SELECT DISTINCT name FROM ai_models lists the models you may "
						 "use.")));
	owner =
		DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!has_privs_of_role(caller, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s privileges on model \"%s\"", action, name),
				 errdetail("The model belongs to role \"%s\".", role_name(owner)),
				 errhint("Only the owner, a member of the owning role, or a superuser may %s "
						 "them.",
						 action)));
	return owner;
}

Datum
ai_grant(PG_FUNCTION_ARGS)
{
	char		  *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char		  *role = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PglPrivilege   priv = parse_privilege(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	Oid			   grantee = parse_grantee(role);
	PglOwnerSwitch sw;
	const char	  *s;
	Oid			   owner;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgl_catalog_become_owner(&sw);
	s = pgl_catalog_schema();
	owner = lock_for_grant(s, name, sw.caller, "grant");
	/* train includes predict: both rows, so that revoking predict takes both */
	for (int p = PGL_PRIV_PREDICT; p <= (int) priv; p++)
	{
		Oid	  types[5] = {TEXTOID, OIDOID, OIDOID, TEXTOID, OIDOID};
		Datum values[5] = {CStringGetTextDatum(name), ObjectIdGetDatum(owner),
						   ObjectIdGetDatum(grantee), CStringGetTextDatum(priv_names[p]),
						   ObjectIdGetDatum(sw.caller)};

		if (SPI_execute_with_args(
				psprintf("INSERT INTO %s.ai_catalog_grants "
						 "(%s, model_owner, grantee, privilege, granted_by) "
						 "VALUES ($1, $2::pg_catalog.regrole, $3::pg_catalog.regrole, $4, "
						 "$5::pg_catalog.regrole) "
						 "ON CONFLICT DO NOTHING",
						 s, pgl_catalog_col("name")),
				5, types, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "pg_learn: could not store the grant");
	}
	pgl_distribute_changed(name, 0);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_VOID();
}

Datum
ai_revoke(PG_FUNCTION_ARGS)
{
	char		  *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char		  *role = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PglPrivilege   priv = parse_privilege(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	Oid			   grantee = parse_grantee(role);
	PglOwnerSwitch sw;
	const char	  *s;
	Oid			   types[3] = {TEXTOID, OIDOID, TEXTOID};
	Datum		   values[3] = {CStringGetTextDatum(name), ObjectIdGetDatum(grantee),
								CStringGetTextDatum(priv_names[priv])};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pgl_catalog_become_owner(&sw);
	s = pgl_catalog_schema();
	(void) lock_for_grant(s, name, sw.caller, "revoke");
	/* revoking predict takes train too (train includes predict) */
	if (SPI_execute_with_args(psprintf("DELETE FROM %s.ai_catalog_grants "
									   "WHERE %s OPERATOR(pg_catalog.=) $1 "
									   "AND grantee::pg_catalog.oid OPERATOR(pg_catalog.=) $2 "
									   "AND (privilege OPERATOR(pg_catalog.=) $3 "
									   "OR $3 OPERATOR(pg_catalog.=) 'predict')",
									   s, pgl_catalog_col("name")),
							  3, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pg_learn: could not delete the grant");
	if (SPI_processed == 0)
		ereport(NOTICE, (errmsg("role \"%s\" had no %s privilege on model \"%s\"",
								role_name(grantee), priv_names[priv], name),
						 errdetail("The owner and roles with the owner's privileges need no grant; "
								   "SELECT * FROM ai_model_grants lists the grants.")));
	pgl_distribute_changed(name, 0);
	pgl_catalog_restore_user(&sw);
	SPI_finish();
	PG_RETURN_VOID();
}
