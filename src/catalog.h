/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  The model catalog (catalog.c): versions, blobs, the extension's
 *	  schema and owner.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_CATALOG_H
#define PGL_CATALOG_H

#include "glue.h"

#include "utils/jsonb.h"

typedef struct PglVersionInfo
{
	int64 version_id;
	int32 version;
	char *algorithm;
} PglVersionInfo;

/* deployed version of a model; ERROR if the model does not exist */
extern PglVersionInfo pgl_catalog_deployed(const char *name);

/*
 * Version "version" of a model (0: the deployed one), after the same
 * privilege check; ERROR naming the versions that exist if it has none such.
 */
extern PglVersionInfo pgl_catalog_version(const char *name, int32 version);

/* the version id to export (the deployed one unless given); checks ownership */
extern int64 pgl_catalog_version_for_export(const char *name, int32 version, bool given);

/* the blob of a version (palloc'd copy in CurrentMemoryContext) */
extern bytea *pgl_catalog_blob(int64 version_id);

typedef struct PglNewVersion
{
	const char		*name;
	const char		*algorithm;
	Jsonb			*options;
	const pgl_model *model;
	const char		*data_source;
	int64			 rows_used;
	const char		*metrics_json;
	bytea			*blob;
	double			 seconds;
	bool			 deploy;
} PglNewVersion;

/* ERROR unless the caller may (re)train a model of this name */
extern void pgl_check_model_writable(const char *name);

/* insert a version (creating the model row if new); returns version number */
extern int32 pgl_catalog_store(const PglNewVersion *nv);

/* running catalog statements as the extension's owner (inside SPI) */
typedef struct PglOwnerSwitch
{
	Oid caller;
	Oid saved_user;
	int saved_sec;
	int guc_nest;
} PglOwnerSwitch;

extern const char *pgl_catalog_schema(void); /* quoted, for SQL text */
/* a catalog column by its 0.3.0 name ("name", "seconds"), as the installed version calls it */
extern const char *pgl_catalog_col(const char *col);
extern bool		   pgl_extension_installed(void);
extern void		   pgl_catalog_become_owner(PglOwnerSwitch *sw);
extern void		   pgl_catalog_restore_user(PglOwnerSwitch *sw);

/* quoted schema of the extension (inside SPI) */
extern const char *pgl_ext_schema(void);

#endif /* PGL_CATALOG_H */
