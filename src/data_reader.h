/*-------------------------------------------------------------------------
 *
 * data_reader.h
 *	  Reading the data query into columns, split into training rows and
 *	  hold-out (data_reader.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_DATA_READER_H
#define PGL_DATA_READER_H

#include "glue.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "nodes/pg_list.h"
#include "tcop/dest.h"

#include "vocab.h"

/* how a column is read */
typedef enum PglColumnKind
{
	PGL_COL_NUMERIC,	 /* int2/4/8, float4/8, numeric; interval (seconds); array elements; date,
						  * timestamp, timestamptz (seconds since 1970: is_time) */
	PGL_COL_CATEGORICAL, /* text-like, boolean, enum */
	PGL_COL_AUTO		 /* a target: numeric when its type is, else categorical */
} PglColumnKind;

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
	bool		  is_time;	/* date, timestamp(tz): the model expands it (prep.h) */
	double		  min[2];	/* is_time: smallest value per part (+inf: none) */
	char		 *source;	/* array element: the array column's name (name is "a[1]") */
	int32		  element;	/* array element: 0-based index */
	int32		  length;	/* array element: the array's fixed length; else 0 */
	bool		  is_text;	/* a text feature (option "text"): categorical, each distinct
							 * document in vocab, no limit on their number */
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
	int		   fold, folds; /* folds > 0: the hold-out is this fold (pgl_hash_in_fold) */
	Size	   bytes;		/* memory of the blocks */
	bool	   streamed;	/* training rows went to the batch hook only */
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

/*
 * A function pgl_read_data_extra calls for each row it keeps (a non-NULL
 * target), once read, with the part it went to (PGL_TRAIN or PGL_TEST) and
 * the slot holding every column of the data (distillation: the teacher
 * scores the row).
 */
typedef void (*PglRowHook)(void *arg, TupleTableSlot *slot, int part);

/* what a training read adds to pgl_read_data_fold (all optional) */
typedef struct PglReadExtra
{
	/*
	 * the columns read as free text (the option "text"; NIL: none): each
	 * must be a feature of a text type (text, varchar, char or a domain over
	 * one), else an ERROR names it
	 */
	List	  *text;
	PglRowHook row_hook; /* called for each row kept, or NULL */
	void	  *row_hook_arg;
} PglReadExtra;

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
 * The same, with the hold-out one of folds disjoint folds of the rows
 * (0-based fold; folds 0: by test_fraction as above), drawn from the same
 * hash: a search trial's or ai_cross_validate's validation fold.
 * test_fraction must then be above 0.
 */
extern PglDataSet *pgl_read_data_fold(const char *data, const char *target,
									  PglColumnKind target_kind, List *exclude, List *only,
									  const char *algorithm, double test_fraction, uint64 seed,
									  int fold, int folds, PglBatchHook hook, void *hook_arg);

/* the same with extra (NULL: none) */
extern PglDataSet *pgl_read_data_extra(const char *data, const char *target,
									   PglColumnKind target_kind, List *exclude, List *only,
									   const char *algorithm, double test_fraction, uint64 seed,
									   int fold, int folds, PglBatchHook hook, void *hook_arg,
									   const PglReadExtra *extra);

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

/*
 * Run data (a table, view or SELECT: pgl_data_query) once, every row into
 * dest, after pgl_check_single_select: the readers that keep their rows in
 * their own shape (ratings, time series) share this.
 */
extern void pgl_run_data_into(const char *data, DestReceiver *dest);

/* the index of desc's non-dropped column called name, or -1 */
extern int pgl_column_index(TupleDesc desc, const char *name);

/* desc's non-dropped columns, quoted and comma-separated: the "The data has the columns ..." hint */
extern char *pgl_column_list(TupleDesc desc);

/*
 * Is this an array of a numeric type (a domain over one too), whose
 * elements are features?
 */
extern bool pgl_type_is_number_array(Oid typid);

/*
 * The elements of a numeric array datum (any number of dimensions, in
 * storage order) as doubles in *vals, NULL flags in *nulls (palloc'd in
 * CurrentMemoryContext); ERROR naming the column (name) when it does not
 * have exactly length elements.  Returns the count.
 */
extern int pgl_array_numbers(Datum d, const char *name, int32 length, double **vals, bool **nulls);

/* a feature as messages and outputs name it: "a", or "a[2]" for an array element */
extern char *pgl_feature_display_name(const pgl_feature *f);

/*
 * ERROR unless the columns the reader read for the model's features (only)
 * line up with them: an array column has the model's length.
 */
extern void pgl_check_feature_columns(const PglDataSet *ds, const pgl_model *m, const char *name);

/* is this type read as a number? (a target, or a number feature) */
extern bool pgl_type_is_numeric(Oid typid);

/* text, varchar or char (or a domain over one)? */
extern bool pgl_type_is_text(Oid typid);

/* ERROR (with hint) unless column, listed in the option "text", has a text type */
extern void pgl_check_text_column(const char *column, Oid typid, const char *hint);

/* date, timestamp or timestamptz (or a domain over one)? */
extern bool pgl_type_is_time(Oid typid);

/*
 * Is a feature of this type read as a number: a numeric type, interval
 * (its seconds) or a date/time type (seconds since 1970)?
 */
extern bool pgl_type_is_number_feature(Oid typid);

/*
 * Can a column of this type feed a number feature of this kind
 * (pgl_feature_kind): numeric types and interval for a numeric feature,
 * date, timestamp and timestamptz for a date or timestamp one?
 */
extern bool pgl_type_fits_feature(int32 kind, Oid typid);

/*
 * seconds since 1970 as text: "YYYY-MM-DD" for a date feature (kind),
 * "YYYY-MM-DD HH:MM:SS[.ffffff]" for a timestamp one (UTC for timestamptz)
 */
extern char *pgl_time_text(int32 kind, double seconds);

/* "a number", "a category", "a date", "a timestamp": how a feature is read */
extern const char *pgl_feature_kind_noun(const pgl_feature *f);

/* can data column c (as the reader read it) feed model feature f? */
extern bool pgl_column_fits_feature(const PglColumn *c, const pgl_feature *f);

/*
 * ERROR for a feature or target value that is NaN or infinite: names the
 * column, its value ("infinity" for a date) and row (row >= 0: 0-based
 * position in the data; < 0: not known).
 */
extern void pgl_reject_nonfinite(const char *name, Oid typid, double v, int64 row, bool is_target)
	pg_attribute_noreturn();

/* ERROR: a column of this type cannot be a feature (jsonb: how to extract fields) */
extern void pgl_refuse_feature_type(const char *name, Oid typid) pg_attribute_noreturn();

/* ERROR for a feature that "method": "aggregate" cannot train on (date, time, interval) */
extern void pgl_check_aggregate_features(const PglDataSet *ds);

/* smallint, integer or bigint (or a domain over one)? */
extern bool pgl_type_is_integer(Oid typid);

/*
 * value of a numeric datum as double; of an interval, its seconds (as
 * extract(epoch from ...)); of a date, timestamp or timestamptz, seconds
 * since 1970-01-01 00:00 (UTC for timestamptz), +-Infinity for +-infinity
 */
extern double pgl_datum_to_double(Datum d, Oid typid);

#endif /* PGL_DATA_READER_H */
