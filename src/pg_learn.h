/*-------------------------------------------------------------------------
 *
 * pg_learn.h
 *	  Declarations shared by pg_learn's PostgreSQL glue (the .c files in src/).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LEARN_H
#define PG_LEARN_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/jsonb.h"

#include "pgl_algo.h"

/* GUCs (pg_learn.c) */
extern int	pgl_max_train_memory_kb;
extern int	pgl_threads;
extern bool pgl_verbose;

/* ---------- pg_learn.c: the algo environment, errors ---------- */

/* an env whose allocations live in CurrentMemoryContext at call time */
extern pgl_env pgl_backend_env(MemoryContext cxt);

/* ereport(ERROR) for a failed algo call; never returns */
extern void pgl_report(const pgl_status *st, const char *what) pg_attribute_noreturn();

/* ERROR naming pg_learn.max_train_memory if bytes exceed it */
extern void pgl_check_memory(Size bytes, const char *what);

/* set BLAS threads from pg_learn.threads (once per backend and change) */
extern void pgl_set_blas_threads(void);

/* ---------- options.c ---------- */

typedef struct PglTrainOptions
{
	double		test_size;		/* < 0: not given */
	uint64		seed;
	double		l2;				/* < 0: not given */
	int			max_iter;
	double		tol;
	List	   *exclude;		/* of char * */
	bool		nulls_error;
	bool		deploy;
} PglTrainOptions;

extern void pgl_parse_train_options(Jsonb *options, PglTrainOptions *opts);

/* ---------- data_reader.c ---------- */

/* how a column is read */
typedef enum PglColumnKind
{
	PGL_COL_NUMERIC,			/* int2/4/8, float4/8, numeric */
	PGL_COL_CATEGORICAL			/* text-like, boolean, enum, anything else */
} PglColumnKind;

/* a vocabulary of strings with a dense code per distinct value */
typedef struct PglVocab PglVocab;

extern PglVocab *pgl_vocab_create(MemoryContext cxt);
extern int32 pgl_vocab_intern(PglVocab *v, const char *s, Size len);
extern int32 pgl_vocab_size(PglVocab *v);
extern const char *pgl_vocab_string(PglVocab *v, int32 code);

/* one column of the data, column-major */
typedef struct PglColumn
{
	char	   *name;
	Oid			typid;
	char	   *type_name;
	int			attnum;			/* 0-based position in the result */
	PglColumnKind kind;
	FmgrInfo	outfunc;		/* categorical: text output of the type */
	double	   *values;			/* numeric: value; categorical: code */
	bool	   *nulls;
	int64		n_nulls;
	PglVocab   *vocab;			/* categorical only */
} PglColumn;

typedef struct PglDataSet
{
	char	   *query;			/* the SQL that was run */
	int64		n_rows;			/* rows kept (non-NULL target) */
	int64		n_skipped;		/* rows skipped for a NULL target */
	int			n_features;
	PglColumn  *features;		/* n_features */
	PglColumn  *target;			/* NULL when none asked for */
	Size		bytes;			/* memory used by the buffers */
} PglDataSet;

/* "SELECT ..." or a (qualified) relation name -> SQL; ERROR if missing */
extern char *pgl_data_query(const char *data);

/*
 * Run the data query as the current user and read it into columns.
 * target: the target column name or NULL.  exclude: names to leave out.
 * target_kind: what the target is read as.  Errors on a missing target.
 * only: if not NIL, read exactly these feature columns in this order
 * (evaluation) and ignore the others.
 */
extern PglDataSet *pgl_read_data(const char *data, const char *target,
								 PglColumnKind target_kind, List *exclude,
								 List *only, const char *algorithm);

/* ERROR unless query is exactly one SELECT-like statement */
extern void pgl_check_single_select(const char *query);

/* is this type read as a number? */
extern bool pgl_type_is_numeric(Oid typid);

/* smallint, integer or bigint (or a domain over one)? */
extern bool pgl_type_is_integer(Oid typid);

/* value of a numeric datum as double */
extern double pgl_datum_to_double(Datum d, Oid typid);

/* ---------- catalog.c ---------- */

typedef struct PglVersionInfo
{
	int64		version_id;
	int32		version;
	char	   *algorithm;
} PglVersionInfo;

/* deployed version of a model; ERROR if the model does not exist */
extern PglVersionInfo pgl_catalog_deployed(const char *name);

/* the blob of a version (palloc'd copy in CurrentMemoryContext) */
extern bytea *pgl_catalog_blob(int64 version_id);

typedef struct PglNewVersion
{
	const char *name;
	const char *algorithm;
	Jsonb	   *options;
	const pgl_model *model;
	const char *data_source;
	int64		rows_used;
	const char *metrics_json;
	bytea	   *blob;
	double		seconds;
	bool		deploy;
} PglNewVersion;

/* ERROR unless the caller may (re)train a model of this name */
extern void pgl_check_model_writable(const char *name);

/* insert a version (creating the model row if new); returns version number */
extern int32 pgl_catalog_store(const PglNewVersion *nv);

/* ---------- model_cache.c ---------- */

/*
 * The deployed model of name, deserialized once per backend and version.
 * The returned model lives in a long-lived cache context; do not free it.
 */
extern const pgl_model *pgl_model_get(const char *name, int64 *version_id);

/* bumped whenever the cache frees a model: recheck cached pointers */
extern uint64 pgl_cache_generation;

/* the model of a known version id (cached) */
extern const pgl_model *pgl_model_by_version(int64 version_id, const char *name);

/* ---------- evaluate.c: metrics as JSON ---------- */

/*
 * Append metrics of predictions to buf as a JSON object.  Regression: y and
 * pred (n each).  Classification: label and proba (n x k).
 */
extern void pgl_metrics_json(StringInfo buf, const pgl_model *m, int64 n,
							 const double *y, const int32 *label,
							 const double *pred);

#endif							/* PG_LEARN_H */
