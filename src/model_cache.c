/*-------------------------------------------------------------------------
 *
 * model_cache.c
 *	  Per-backend cache of deserialized models, keyed by version id.
 *
 * The ai_* functions never change a version's blob once stored, so a model
 * is read from the catalog, validated and deserialized once per backend and
 * version, into a memory context of its own under CacheMemoryContext.
 * Callers keep the pointer for one statement (fn_extra) together with
 * pgl_cache_generation; the cache evicts (deletes contexts) when it holds
 * more than PGL_CACHE_MAX models, and bumps the generation when it does, so
 * a caller whose generation is stale looks its model up again.
 *
 * A blob can still change behind the ai_* functions: a superuser may UPDATE
 * or DELETE rows of ai_catalog_blobs directly (a repair, or damage).  A
 * statement trigger on that table (ai_catalog_blobs_changed) then sends a
 * relcache invalidation of the table, which reaches every backend at
 * commit (and this one at the end of the command); the callback below
 * marks the whole cache stale and bumps the generation, and the next lookup
 * empties the cache, so every backend reads, and validates, the blob again
 * at its next statement: a blob corrupted in place is an ERROR everywhere,
 * not only in backends that had not cached it.  The callback only sets
 * flags: it may run inside any catalog access, where freeing a model that a
 * caller is using would be unsafe.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "catalog.h"
#include "model_cache.h"

#include "model_format.h"
#include "utils/hsearch.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(ai_catalog_blobs_changed);

#define PGL_CACHE_MAX 32

/*
 * Version ids start again at 1 when the extension is dropped and created
 * again, so the extension's OID is part of the key.
 */
typedef struct CacheKey
{
	Oid	  ext;
	int64 version_id;
} CacheKey;

typedef struct CacheEntry
{
	CacheKey	  key; /* hash key */
	MemoryContext cxt;
	pgl_model	 *model;
	uint64		  last_used;
} CacheEntry;

static HTAB	 *model_cache = NULL;
static uint64 use_clock = 0;
uint64		  pgl_cache_generation = 1;

/* ai_catalog_blobs of the extension whose models are cached, and its state */
static Oid	blobs_ext = InvalidOid;
static Oid	blobs_relid = InvalidOid;
static bool cache_stale = false;

/* relcache invalidation: a blob may have changed (or everything was reset) */
static void
blobs_changed_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == blobs_relid)
	{
		cache_stale = true;
		pgl_cache_generation++;
	}
}

/*
 * Statement trigger on ai_catalog_blobs (AFTER UPDATE OR DELETE OR
 * TRUNCATE): invalidate the table's relcache entry, which every backend's
 * callback above sees at commit.
 */
Datum
ai_catalog_blobs_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("ai_catalog_blobs_changed() may only be called as a trigger")));
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}

static void
cache_init(void)
{
	HASHCTL ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CacheKey);
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = CacheMemoryContext;
	model_cache = hash_create("pg_learn models", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(blobs_changed_callback, (Datum) 0);
}

/* the schema of an extension (PostgreSQL 15 has no syscache for pg_extension) */
static Oid
extension_schema(Oid ext)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

/* free every cached model */
static void
cache_flush(void)
{
	HASH_SEQ_STATUS seq;
	CacheEntry	   *e;

	hash_seq_init(&seq, model_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		MemoryContextDelete(e->cxt);
		hash_search(model_cache, &e->key, HASH_REMOVE, NULL);
	}
	pgl_cache_generation++;
}

/* drop the least recently used model */
static void
cache_evict_one(void)
{
	HASH_SEQ_STATUS seq;
	CacheEntry	   *e, *victim = NULL;

	hash_seq_init(&seq, model_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (victim == NULL || e->last_used < victim->last_used)
			victim = e;
	if (victim)
	{
		MemoryContextDelete(victim->cxt);
		hash_search(model_cache, &victim->key, HASH_REMOVE, NULL);
		pgl_cache_generation++;
	}
}

const pgl_model *
pgl_model_by_version(int64 version_id, const char *name)
{
	CacheKey	key;
	CacheEntry *e;
	bool		found;

	if (model_cache == NULL)
		cache_init();

	memset(&key, 0, sizeof(key));
	key.ext = get_extension_oid("pg_learn", false);
	key.version_id = version_id;
	if (key.ext != blobs_ext)
	{
		blobs_relid = get_relname_relid("ai_catalog_blobs", extension_schema(key.ext));
		blobs_ext = key.ext;
	}
	if (cache_stale)
	{
		cache_stale = false;
		cache_flush();
	}
	e = hash_search(model_cache, &key, HASH_FIND, &found);
	if (!found)
	{
		bytea		 *blob;
		MemoryContext cxt;
		pgl_env		  env;
		pgl_status	  st;
		pgl_model	 *m = NULL;

		while (hash_get_num_entries(model_cache) >= PGL_CACHE_MAX)
			cache_evict_one();

		blob = pgl_catalog_blob(version_id);
		cxt = AllocSetContextCreate(CacheMemoryContext, "pg_learn model", ALLOCSET_DEFAULT_SIZES);
		MemoryContextSetIdentifier(cxt, MemoryContextStrdup(cxt, name));
		env = pgl_backend_env(cxt);
		memset(&st, 0, sizeof(st));
		if (pgl_model_read(&env, (const uint8_t *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob), &m,
						   &st) != PGL_OK)
		{
			MemoryContextDelete(cxt);
			pgl_report(&st, psprintf("model \"%s\" is corrupt", name));
		}
		pfree(blob);

		e = hash_search(model_cache, &key, HASH_ENTER, &found);
		e->cxt = cxt;
		e->model = m;
	}
	e->last_used = ++use_clock;
	return e->model;
}

const pgl_model *
pgl_model_get(const char *name, int64 *version_id)
{
	return pgl_model_get_version(name, 0, version_id);
}

const pgl_model *
pgl_model_get_version(const char *name, int32 version, int64 *version_id)
{
	PglVersionInfo info = pgl_catalog_version(name, version);

	if (version_id)
		*version_id = info.version_id;
	return pgl_model_by_version(info.version_id, name);
}

int32
pgl_version_arg(FunctionCallInfo fcinfo, int argno)
{
	int32 version;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	version = PG_GETARG_INT32(argno);
	if (version < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("version %d is not valid", version),
						errdetail("Versions are numbered from 1."),
						errhint("Pass a version listed in ai_models, or NULL for the deployed "
								"one.")));
	return version;
}

const pgl_model *
pgl_call_model(PglCallModel *cm, text *name, MemoryContext mcxt, bool *changed)
{
	return pgl_call_model_version(cm, name, 0, mcxt, changed);
}

/*
 * The requested version (the deployed one, or a pinned one) is looked up
 * once per statement: a pinned number can name another version id in the
 * next statement (dropped, and the number given again by a new training),
 * and the privilege is checked with every lookup.  A fresh FmgrInfo (a new
 * statement) starts with no state; an expression state that lives longer
 * than a statement (PL/pgSQL keeps simple expressions for the whole
 * transaction) notices a new statement by its new snapshot, and looks again.
 * Within a statement the state is reused while the name and the requested
 * version stay the same; the model itself comes from the per-backend cache.
 */
const pgl_model *
pgl_call_model_version(PglCallModel *cm, text *name, int32 version, MemoryContext mcxt,
					   bool *changed)
{
	size_t		   len = VARSIZE_ANY_EXHDR(name);
	Snapshot	   snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
	PglVersionInfo info;
	bool		   same_name = cm->name != NULL && strlen(cm->name) == len &&
					 memcmp(cm->name, VARDATA_ANY(name), len) == 0;

	*changed = false;
	/*
	 * The privilege is checked with the lookup: a call site that runs as
	 * another user than at its last lookup (SET ROLE, SECURITY DEFINER) looks
	 * again.
	 */
	if (same_name && cm->version == version && cm->user_id == GetUserId() &&
		(snap == NULL || (snap->xmin == cm->snap_xmin && snap->xmax == cm->snap_xmax &&
						  snap->curcid == cm->snap_cid)))
	{
		if (cm->generation != pgl_cache_generation)
		{
			const pgl_model *m = pgl_model_by_version(cm->version_id, cm->name);

			/* evicted and loaded again: whatever pointed into it is stale */
			*changed = m != cm->model;
			cm->model = m;
			cm->generation = pgl_cache_generation;
		}
		return cm->model;
	}

	if (!same_name)
	{
		cm->name = MemoryContextStrdup(mcxt, text_to_cstring(name));
		cm->model = NULL;
	}
	cm->user_id = InvalidOid; /* until the lookup (and its check) succeeds */
	cm->version = version;
	info = pgl_catalog_version(cm->name, version);
	cm->user_id = GetUserId();
	if (snap)
	{
		cm->snap_xmin = snap->xmin;
		cm->snap_xmax = snap->xmax;
		cm->snap_cid = snap->curcid;
	}
	if (info.version_id != cm->version_id || cm->model == NULL)
		*changed = true;
	if (*changed || cm->generation != pgl_cache_generation)
	{
		const pgl_model *m = pgl_model_by_version(info.version_id, cm->name);

		*changed |= m != cm->model;
		cm->version_id = info.version_id;
		cm->model = m;
		cm->generation = pgl_cache_generation;
	}
	return cm->model;
}
