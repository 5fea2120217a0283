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
#include "portability/instr_time.h"
#include "utils/jsonb.h"

#include "pgl_algo.h"

/* GUCs (pg_learn.c) */
extern int	pgl_max_train_memory_kb;
extern int	pgl_threads;
extern bool pgl_verbose;
extern int	pgl_explain_permutations; /* pg_learn.explain_permutations */
extern int	pgl_schedule_max_failures; /* pg_learn.schedule_max_failures */
#define PGL_MAX_FAILURES_LIMIT 1000000

/* ---------- pg_learn.c: the algo environment, errors ---------- */

/* an env whose allocations live in CurrentMemoryContext at call time */
extern pgl_env pgl_backend_env(MemoryContext cxt);

/* ereport(ERROR) for a failed algo call; never returns */
extern void pgl_report(const pgl_status *st, const char *what) pg_attribute_noreturn();

/* ERROR naming pg_learn.max_train_memory if bytes exceed it */
extern void pgl_check_memory(Size bytes, const char *what);

/* threads a training may use: pg_learn.threads, or the number of cores */
extern int pgl_thread_count(void);

/* set BLAS threads from pg_learn.threads (once per backend and change) */
extern void pgl_set_blas_threads(void);
extern void pgl_set_blas_threads_n(int n);

/* ---------- options.c: the one reader of the options jsonb ---------- */

struct pgl_algo_ops;
struct pgl_option_spec;

/* the default "test_size": the fraction of rows held out */
#define PGL_DEFAULT_TEST_SIZE 0.2

/* the hold-out fraction of a "test_size" option value (< 0: not given) */
#define PGL_TEST_FRACTION(t) ((t) >= 0 ? (t) : PGL_DEFAULT_TEST_SIZE)

typedef struct PglTrainOptions
{
	const struct pgl_algo_ops *ops;
	double					   test_size; /* < 0: not given */
	uint64					   seed;
	double					   l2;		 /* < 0: not given */
	int						   max_iter; /* iterations; < 0: not given */
	double					   tol;
	List					  *exclude; /* of char * */
	bool					   nulls_error;
	bool					   deploy;			 /* deploy when stored */
	bool					   deploy_if_better; /* "if_better": compare, then deploy */
	char					  *metric;			 /* of "if_better"; NULL: the default */
	int						   keep_versions;	 /* 0: keep all */
	int						   method;			 /* PGL_METHOD_* */
	/* recommenders */
	bool   implicit;
	int	   factors; /* 0: not given */
	double alpha;	/* < 0: not given */
	int	   cg_steps;
	int	   k; /* recommenders: ranking cutoff; kmeans: clusters; 0: not given */
	char  *user_col;
	char  *item_col;
	char  *rating_col;
	bool   duplicates_sum;
	bool   cold_start_error;
	int	   storage; /* pgl_storage kind of "storage" (PGL_STORE_NATIVE: float64) */
	/* neural_net (< 0 or 0: not given); layers and input_shape point into the options */
	JsonbValue *layers;
	JsonbValue *input_shape;
	double		scale;
	int			optimizer; /* index in "adam|sgd" */
	int			init;	   /* index in "auto|he|xavier" */
	double		learning_rate;
	double		momentum;
	int			batch_size;
	int			epochs;
	int			patience;
	/* classifiers (src/classes.c) */
	char   *positive_class;		   /* NULL: not given */
	double	threshold;			   /* < 0: not given (0.5) */
	bool	class_weight_balanced; /* "class_weight": "balanced" */
	int		n_class_weights;	   /* "class_weight": {label: weight, ...} */
	char  **class_weight_labels;
	double *class_weight_values;
} PglTrainOptions;

/* "method" */
#define PGL_METHOD_AUTO		 0
#define PGL_METHOD_MEMORY	 1
#define PGL_METHOD_AGGREGATE 2

/* read options (NULL: none) by the algorithm's schema; ERROR on a bad key or value */
extern void pgl_parse_options(const struct pgl_algo_ops *ops, Jsonb *options,
							  PglTrainOptions *opts);

/* "a, b, c": the keys of an algorithm, for hints */
extern const char *pgl_option_keys(const struct pgl_algo_ops *ops);

/* what a value of an option must be ("a number in [0, 1)") */
extern char *pgl_option_type_text(const struct pgl_option_spec *o);

/* the ERROR of a bad option value, with the algorithm's keys as hint */
extern void pgl_option_error(const struct pgl_algo_ops *ops, const char *key, const char *expected,
							 JsonbValue *v) pg_attribute_noreturn();

/* the index of s among the words "a|b|c" ("ndcg@k" matches "ndcg@10"), or -1 */
extern int pgl_choice_index(const char *choices, const char *s);

/* ---------- data_reader.c ---------- */

/* how a column is read */
typedef enum PglColumnKind
{
	PGL_COL_NUMERIC,	/* int2/4/8, float4/8, numeric */
	PGL_COL_CATEGORICAL /* text-like, boolean, enum, anything else */
} PglColumnKind;

/* a vocabulary of strings with a dense code per distinct value */
typedef struct PglVocab PglVocab;

extern PglVocab	  *pgl_vocab_create(MemoryContext cxt);
extern int32	   pgl_vocab_intern(PglVocab *v, const char *s, Size len);
extern int32	   pgl_vocab_size(PglVocab *v);
extern const char *pgl_vocab_string(PglVocab *v, int32 code);

/*
 * A value of a categorical column (or class label) with the number of
 * training rows that hold it.  pgl_sort_value_counts orders values as every
 * vocabulary is ordered: by strcmp, or numerically (then by strcmp) for
 * integer labels; it fills num itself.
 */
typedef struct PglValueCount
{
	const char *str;
	int32		code;  /* the caller's code of the value (e.g. in a PglVocab) */
	int64		count; /* training rows */
	double		num;   /* numeric order: the value as a number */
} PglValueCount;

extern void pgl_sort_value_counts(PglValueCount *vc, int64 n, bool numeric_order);

/*
 * The rows read are routed, as they arrive, to one of two parts: the
 * training rows (PGL_TRAIN) and the hold-out (PGL_TEST).  Each part keeps
 * all its columns in one column-major block (column c at block + c * cap),
 * so when every feature is a number without NULLs the block is the design
 * matrix itself (leading dimension cap) and training copies nothing.
 */
#define PGL_TRAIN 0
#define PGL_TEST  1

typedef struct PglPart
{
	int64	n;	   /* rows */
	int64	cap;   /* rows allocated per column */
	double *block; /* cap x ncols */
} PglPart;

/* one column of the data */
typedef struct PglColumn
{
	char		 *name;
	Oid			  typid;
	Oid			  basetype; /* getBaseType(typid) */
	char		 *type_name;
	int			  attnum; /* 0-based position in the result */
	int			  col;	  /* column of the part blocks */
	PglColumnKind kind;
	FmgrInfo	  outfunc;	/* categorical: text output of the type */
	PglVocab	 *vocab;	/* categorical only: code of each value */
	bool		 *nulls[2]; /* per part; NULL until the first NULL */
	int64		  n_nulls;	/* in both parts */
	double		  sum[2];	/* numeric: sum of non-NULL values per part */
	int64		  count[2]; /* numeric: non-NULL values per part */
} PglColumn;

typedef struct PglDataSet
{
	char	  *query;	  /* the SQL that was run */
	int64	   n_rows;	  /* rows kept (non-NULL target) */
	int64	   n_skipped; /* rows skipped for a NULL target */
	int		   n_features;
	PglColumn *features; /* n_features */
	PglColumn *target;	 /* NULL when none asked for */
	int		   ncols;	 /* columns of the blocks */
	PglPart	   part[2];
	double	   test_fraction; /* rows routed to PGL_TEST */
	uint64	   seed;
	Size	   bytes;	 /* memory of the blocks */
	bool	   streamed; /* training rows went to the batch hook only */
} PglDataSet;

/*
 * Optional consumer of the training rows, batch by batch (cols[c] and
 * nulls[c] for the block columns, nulls[c] NULL when the batch has none).
 * When given and every feature is a number, the training rows are not
 * stored at all: ds->streamed is set and their blocks stay empty.
 */
typedef void (*PglBatchHook)(void *arg, PglDataSet *ds, const double *const *cols,
							 const bool *const *nulls, int rows);

/* the values of a column in a part (numbers, or vocabulary codes) */
static inline double *
pgl_column_values(PglDataSet *ds, PglColumn *c, int part)
{
	return ds->part[part].block + (Size) c->col * ds->part[part].cap;
}

/* "SELECT ..." or a (qualified) relation name -> SQL; ERROR if missing */
extern char *pgl_data_query(const char *data);

/*
 * Run the data query as the current user and read it into columns.
 * target: the target column name or NULL.  exclude: names to leave out.
 * target_kind: what the target is read as.  Errors on a missing target.
 * only: if not NIL, read exactly these feature columns in this order
 * (evaluation) and ignore the others.
 */
extern PglDataSet *pgl_read_data(const char *data, const char *target, PglColumnKind target_kind,
								 List *exclude, List *only, const char *algorithm,
								 double test_fraction, uint64 seed, PglBatchHook hook,
								 void *hook_arg);

/*
 * Hash of the values of a row at the attribute numbers atts (0-based: every
 * column of the data, in order), for the hold-out split (pgl_hash_in_test).
 * Detoasts varlena values in CurrentMemoryContext.
 */
extern uint64 pgl_row_hash(TupleDesc desc, const Datum *values, const bool *isnull, const int *atts,
						   int natts);

/* move the hold-out rows back into the training part */
extern void pgl_merge_parts(PglDataSet *ds);

/* remove the rows of a part whose keep[i] is false */
extern void pgl_compact_part(PglDataSet *ds, int part, const bool *keep);

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

/* ---------- privileges.c: who may use a model ---------- */

typedef enum PglPrivilege
{
	PGL_PRIV_PREDICT, /* every use: predict, explain, evaluate, recommend... */
	PGL_PRIV_TRAIN	  /* add versions (retrain, import); implies predict */
} PglPrivilege;

/*
 * May caller use the model with this privilege?  The owner, a role with the
 * owner's privileges (member, superuser) always; others by a grant to them,
 * to a role whose privileges they have, or to PUBLIC.  Inside SPI, as the
 * extension owner.
 */
extern bool pgl_priv_check(const char *schema, const char *name, Oid caller, Oid owner,
						   PglPrivilege priv);

/* the permission ERROR for a denied use */
extern void pgl_priv_denied(const char *name, Oid caller, Oid owner, PglPrivilege priv)
	pg_attribute_noreturn();

/* ---------- train_agg.c: "method": "aggregate" ---------- */

/* "method": "auto": would training in memory exceed pg_learn.max_train_memory? */
extern bool pgl_aggregate_wanted(const struct pgl_algo_ops *ops, const char *data,
								 const char *target, const PglTrainOptions *opts);

/*
 * The k-means seeding sample (row-major rows x p), the same for both
 * methods: about max(10000, 4k) of the n rows, drawn by row hash, encoded
 * by the model prep (its preprocessing), sorted by value.  *passes is
 * incremented when not NULL.
 */
extern double *pgl_kmeans_sample(const char *query, bytea *prep, int32 p, int32 k, int64 n,
								 uint64 seed, int64 *rows, int *passes);

/*
 * The model's preprocessing as a model blob (zero parameters of the right
 * shape; k: kmeans clusters), for ai_features / ai_label in SQL passes.
 */
extern bytea *pgl_prep_blob(const pgl_env *env, pgl_model *m, int32 k);

/* quoted schema of the extension (inside SPI) */
extern const char *pgl_ext_schema(void);

/* ---------- model_cache.c ---------- */

/*
 * The deployed model of name, deserialized once per backend and version.
 * The returned model lives in a long-lived cache context; do not free it.
 */
extern const pgl_model *pgl_model_get(const char *name, int64 *version_id);

/* the same for a pinned version (0: the deployed one) */
extern const pgl_model *pgl_model_get_version(const char *name, int32 version, int64 *version_id);

/*
 * The optional "version => N" argument argno of a scoring function: 0 when
 * NULL or absent (an older SQL declaration), the deployed version; ERROR
 * when it is not positive.
 */
extern int32 pgl_version_arg(FunctionCallInfo fcinfo, int argno);

/* bumped whenever the cache frees a model: recheck cached pointers */
extern uint64 pgl_cache_generation;

/* the model of a known version id (cached) */
extern const pgl_model *pgl_model_by_version(int64 version_id, const char *name);

/*
 * The model a call site uses, looked up once per statement: kept in the
 * caller's fn_extra state.  pgl_call_model returns the model and sets
 * *changed when it is another model, version or copy than on the previous
 * call (then the caller rebuilds whatever it derived from it; a copy changes
 * when the per-backend cache evicted and reloaded the model).
 */
typedef struct PglCallModel
{
	char			*name;
	int32			 version; /* requested: 0 = the deployed one */
	int64			 version_id;
	uint64			 generation;
	TransactionId	 snap_xmin; /* snapshot of the last version lookup */
	TransactionId	 snap_xmax;
	CommandId		 snap_cid;
	Oid				 user_id; /* whose privilege the last lookup checked */
	const pgl_model *model;
} PglCallModel;

extern const pgl_model *pgl_call_model(PglCallModel *cm, text *name, MemoryContext mcxt,
									   bool *changed);

/* the same for a pinned version (0: the deployed one, looked up per statement) */
extern const pgl_model *pgl_call_model_version(PglCallModel *cm, text *name, int32 version,
											   MemoryContext mcxt, bool *changed);

/* ---------- evaluate.c: metrics as JSON ---------- */

/*
 * Append metrics of predictions to buf as a JSON object.  Regression: y and
 * pred (n each).  Classification: label and proba (n x k).
 */
extern void pgl_metrics_json(StringInfo buf, const pgl_model *m, int64 n, const double *y,
							 const int32 *label, const double *pred);

/* ---------- progress.c: live progress in shared memory ---------- */

/* the launcher's shared memory (launcher/pgl_shmem.h), NULL without the preload */
struct PglShared;
extern struct PglShared *pgl_shared(void);

/* the background job this backend runs, or 0 */
extern int64 pgl_current_job_id;

/* a training starts: until the caller's memory context goes, it shows in ai_progress */
extern void pgl_progress_begin(const char *model, const char *algorithm);
extern void pgl_progress_phase(const char *what);
extern void pgl_progress_rows(int64 rows);
extern void pgl_progress_iter(int iter, int max_iter, double loss);

#endif /* PG_LEARN_H */
