/*-------------------------------------------------------------------------
 *
 * model_cache.c
 *	  Per-backend cache of deserialized models, keyed by version id.
 *
 * A version's blob never changes once stored, so a model is read from the
 * catalog, validated and deserialized once per backend and version, into a
 * memory context of its own under CacheMemoryContext.  Callers keep the
 * pointer for one statement (fn_extra) together with pgl_cache_generation;
 * the cache evicts (deletes contexts) only when it holds more than
 * PGL_CACHE_MAX models, and bumps the generation when it does, so a
 * caller whose generation is stale looks its model up again.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_learn.h"

#include "model_format.h"
#include "utils/hsearch.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

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

static void
cache_init(void)
{
	HASHCTL ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CacheKey);
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = CacheMemoryContext;
	model_cache = hash_create("pg_learn models", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
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
	PglVersionInfo info = pgl_catalog_deployed(name);

	if (version_id)
		*version_id = info.version_id;
	return pgl_model_by_version(info.version_id, name);
}

/*
 * The deployed version is looked up once per statement.  A fresh FmgrInfo
 * (a new statement) starts with no state; an expression state that lives
 * longer than a statement (PL/pgSQL keeps simple expressions for the whole
 * transaction) notices a new statement by its new snapshot, and looks again.
 */
const pgl_model *
pgl_call_model(PglCallModel *cm, text *name, MemoryContext mcxt, bool *changed)
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
	if (same_name && cm->user_id == GetUserId() &&
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
		cm->name = MemoryContextStrdup(mcxt, text_to_cstring(name));
	cm->user_id = InvalidOid; /* until the lookup (and its check) succeeds */
	info = pgl_catalog_deployed(cm->name);
	cm->user_id = GetUserId();
	if (snap)
	{
		cm->snap_xmin = snap->xmin;
		cm->snap_xmax = snap->xmax;
		cm->snap_cid = snap->curcid;
	}
	if (!same_name || info.version_id != cm->version_id || cm->model == NULL)
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
