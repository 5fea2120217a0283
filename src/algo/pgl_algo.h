/*-------------------------------------------------------------------------
 *
 * pgl_algo.h
 *	  Shared types of pg_learn's algorithm layer (src/algo).
 *
 * Everything under src/algo is plain C11 over BLAS/LAPACK.  It never
 * includes postgres.h, so it is built into the C unit tests and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer without a server.
 *
 * The glue (the .c files in src/) talks to this layer through three things:
 *
 *	- pgl_env: callbacks the glue supplies for memory, interrupts, progress
 *	  and notices.  Inside a backend, alloc is palloc in a memory context
 *	  (so an ERROR thrown from check_interrupts frees everything), and
 *	  check_interrupts is CHECK_FOR_INTERRUPTS(), which may longjmp: an
 *	  algorithm therefore allocates only through env->alloc and keeps no
 *	  state outside its arguments.
 *	- pgl_model: the in-memory model (preprocessing, target, parameters)
 *	  that model_format.c writes and reads.
 *	- return codes plus a message buffer (pgl_status), which the glue turns
 *	  into ereport(ERROR).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ALGO_H
#define PGL_ALGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- environment supplied by the caller ---------- */

typedef struct pgl_env
{
	void *arg;
	/* allocate size bytes; returns NULL only if out of memory */
	void *(*alloc)(void *arg, size_t size);
	void (*free)(void *arg, void *ptr);
	/* may not return (a backend throws on cancel) */
	void (*check_interrupts)(void *arg);
	/* iteration progress; loss may be NaN when not known */
	void (*progress)(void *arg, int iter, int max_iter, double loss);
	/* an informational message meant for the user (NOTICE) */
	void (*notice)(void *arg, const char *msg, const char *hint);

	/*
	 * Optional: make sure fn(ptr) runs when the work ends, even when
	 * check_interrupts throws (a backend: a reset callback of the training's
	 * memory context).  For resources the allocator does not own (a
	 * third-party library's handles); fn must tolerate being called after
	 * the algorithm released them itself.  NULL: nothing is deferred.
	 */
	void (*defer)(void *arg, void (*fn)(void *ptr), void *ptr);

	/*
	 * Optional: the bytes one piece of work may hold (a backend:
	 * pg_learn.max_train_memory), for limits an algorithm derives itself,
	 * such as those of an ONNX graph loaded when a model is first used.
	 * 0: none given (the algorithm's defaults).
	 */
	int64_t max_memory;
} pgl_env;

/* helpers over pgl_env (defined in env.c) */
extern void *pgl_alloc(const pgl_env *env, size_t size);
extern void *pgl_alloc0(const pgl_env *env, size_t size);
extern void	 pgl_free(const pgl_env *env, void *ptr);
extern void	 pgl_interrupts(const pgl_env *env);
extern void	 pgl_progress(const pgl_env *env, int iter, int max_iter, double loss);
extern void	 pgl_notice(const pgl_env *env, const char *msg, const char *hint);
extern void	 pgl_defer(const pgl_env *env, void (*fn)(void *ptr), void *ptr);

/* an env over malloc/free with no-op callbacks (unit tests, tools) */
extern const pgl_env pgl_malloc_env;

/* ---------- status ---------- */

typedef enum pgl_rc
{
	PGL_OK = 0,
	PGL_ERR_NOMEM,	 /* allocation failed */
	PGL_ERR_INVALID, /* invalid argument / option value */
	PGL_ERR_NUMERIC, /* solver failed (NaN, divergence) */
	PGL_ERR_CORRUPT	 /* model blob failed validation */
} pgl_rc;

typedef struct pgl_status
{
	pgl_rc rc;
	char   msg[256];	/* lowercase, no period, like errmsg */
	char   detail[256]; /* full sentence, or empty */
} pgl_status;

extern pgl_rc pgl_fail(pgl_status *st, pgl_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------- models ---------- */

typedef enum pgl_algorithm
{
	PGL_ALGO_LINEAR_REGRESSION = 1,
	PGL_ALGO_LOGISTIC_REGRESSION = 2,
	PGL_ALGO_ALS = 3,
	PGL_ALGO_KMEANS = 4,
	PGL_ALGO_NEURAL_NET = 5,
	PGL_ALGO_XGBOOST = 6,
	PGL_ALGO_RANDOM_FOREST = 7,
	PGL_ALGO_ONNX = 8, /* an imported ONNX graph (src/onnx/family.c); never trained */
	PGL_ALGO_FORECAST = 9, /* time series (src/forecast/family.c, src/forecast_glue*.c) */
	PGL_ALGO_ISOLATION_FOREST = 10 /* anomaly scores (iforest.c) */
								   /* new algorithms get the next number; never reuse one */
} pgl_algorithm;

#define PGL_ALGO_MAX 10

typedef enum pgl_task
{
	PGL_TASK_REGRESSION = 1,
	PGL_TASK_CLASSIFICATION = 2,
	PGL_TASK_RECOMMENDATION = 3, /* (user, item) -> score; no features */
	PGL_TASK_CLUSTERING = 4,	 /* features -> cluster; no target, no classes */
	PGL_TASK_FORECAST = 5,		 /* series -> future values; no features, no classes */
	PGL_TASK_ANOMALY = 6 /* features -> anomaly score; no target, no classes */
} pgl_task;

typedef enum pgl_feature_kind
{
	PGL_FEATURE_NUMERIC = 1,	 /* one input column, NULL -> impute (NaN: missing) */
	PGL_FEATURE_CATEGORICAL = 2, /* one-hot over vocabulary */
	PGL_FEATURE_DATE = 3,		 /* seconds since 1970 -> year, month, weekday, days (prep.h) */
	PGL_FEATURE_TIMESTAMP = 4,	 /* the same plus the hour of the day */
	PGL_FEATURE_ELEMENT = 5,	 /* one element of a fixed-length numeric array column */
	PGL_FEATURE_TEXT = 6,		 /* free text: TF-IDF over a learned vocabulary (src/text) */
	PGL_FEATURE_TOKENS = 7		 /* free text: token ids of a neural_net (src/text/subword.h) */
} pgl_feature_kind;

#define PGL_FEATURE_KIND_MAX 7

/*
 * One source column of the training data and how it is encoded.
 *
 * A numeric feature becomes one input: its value, or impute when NULL.  An
 * algorithm that learns what to do with a missing value (tree ensembles:
 * pgl_algo_ops.learns_missing) has impute NaN, so NULL encodes as NaN.
 * A categorical feature with n_categories values becomes n_categories
 * one-hot inputs in vocabulary order (vocabulary sorted by strcmp, so it can
 * be binary-searched); an unseen value encodes as all zeros, and NULL as the
 * one-hot of impute_category (the most frequent training category).
 *
 * A date or timestamp feature (PGL_FEATURE_DATE, PGL_FEATURE_TIMESTAMP) has
 * a raw value in seconds since 1970-01-01 00:00 (UTC for timestamptz) and
 * becomes the inputs pgl_time_expand gives (prep.h): a NULL is the training
 * mean impute, or NaN (every input missing) for a tree ensemble; origin is
 * the start of the day of the earliest training value, which the elapsed
 * days count from.
 *
 * An array column of fixed length L is L features of kind
 * PGL_FEATURE_ELEMENT, consecutive, all named after the column, element 0
 * to L - 1, each length L: one numeric input each (impute: that element's
 * training mean, or NaN for a tree ensemble).
 *
 * A text feature (PGL_FEATURE_TEXT, the option "text") becomes one input
 * per term of its vocabulary: categories holds the n_categories terms
 * (1-grams, and 2-grams as two tokens joined by a space; sorted by strcmp),
 * idf their inverse document frequencies, and the input of term j is its
 * TF-IDF in the document, the row L2-normalised (src/text/tfidf.h).  A
 * NULL is an empty document (all zeros); impute and impute_category are 0.
 * pgl_encode_row and pgl_encode_rows write zeros for it: the caller, which
 * has the text, adds the document's terms (or builds the rows sparse).
 *
 * A tokens feature (PGL_FEATURE_TOKENS, the option "text" of neural_net)
 * is the only feature of its network, one input wide: the column's text
 * becomes length (max_len) token ids by the vocabulary of subword.h.
 * categories holds its n_categories tokens (ids 2 .. n_categories + 1,
 * sorted by strcmp), tokenizer says which (1 word, 2 BPE), merges holds
 * n_merges BPE merges (left id, right id, result id, by rank).
 */
typedef struct pgl_feature
{
	char	*name;			  /* column name */
	char	*type_name;		  /* SQL type as format_type() prints it */
	int32_t	 kind;			  /* pgl_feature_kind */
	double	 impute;		  /* numeric: training mean */
	int32_t	 impute_category; /* categorical: index of mode */
	int32_t	 n_categories;
	char   **categories; /* sorted by strcmp */
	double	 origin;	 /* date, timestamp: seconds since 1970 of day 0; else 0 */
	int32_t	 element;	 /* array element: 0-based index in the array */
	int32_t	 length;	 /* array element: the array's fixed length; else 0 */
	double	*idf;		 /* text: n_categories inverse document frequencies; else NULL */
	int32_t	 ngram_max;	 /* text: 1 or 2 (terms of up to that many tokens); else 0 */
	int32_t	 sublinear;	 /* text: 1 when tf counts as 1 + ln(tf); else 0 */
	int32_t	 tokenizer;	 /* tokens: 1 word, 2 BPE (subword.h); else 0 */
	int32_t	 n_merges;	 /* tokens: BPE merges; else 0 */
	int32_t *merges;	 /* tokens: 3 * n_merges ids; else NULL */
} pgl_feature;

/* tokens features: tokenizers, largest vocabulary (with ids 0 and 1), longest sequence */
#define PGL_TOKENIZER_WORD	 1
#define PGL_TOKENIZER_BPE	 2
#define PGL_MAX_TOKENS_VOCAB (1 << 20)
/* neural_net text options' defaults: "vocab_size", the cap of "max_len"'s percentile */
#define PGL_NN_TEXT_VOCAB		8000
#define PGL_NN_TEXT_MAX_LEN_CAP 512
/* a macro's value as a string literal */
#define PGL_STR_(x) #x
#define PGL_STR(x)	PGL_STR_(x)
/* token ids reserved before a vocabulary's: 0 the padding, 1 unknown (subword.h) */
#define PGL_TOKENS_RESERVED 2
#define PGL_MAX_TOKENS_LEN	4096

/* most terms a text feature may have */
#define PGL_MAX_TEXT_TERMS 1000000

/* largest array length an array column may have as features */
#define PGL_MAX_ARRAY_LENGTH 100000

/* number of inputs feature f encodes to */
extern int32_t pgl_feature_width(const pgl_feature *f);

/* is the raw value of f a number (every kind but categorical and text)? */
static inline bool
pgl_feature_is_number(const pgl_feature *f)
{
	return f->kind != PGL_FEATURE_CATEGORICAL && f->kind != PGL_FEATURE_TEXT &&
		   f->kind != PGL_FEATURE_TOKENS;
}

/*
 * A sparse matrix in compressed sparse row form (the design matrix of a
 * model with text features): row i has the entries indptr[i] to
 * indptr[i + 1] - 1, column indexes increasing.
 */
typedef struct pgl_csr
{
	int64_t	 n_rows;
	int32_t	 n_cols;
	int64_t *indptr;  /* n_rows + 1 */
	int32_t *indices; /* indptr[n_rows] */
	double	*values;  /* indptr[n_rows] */
} pgl_csr;

/* A named dense array of parameters (row-major, up to 4 dimensions). */
typedef enum pgl_dtype
{
	PGL_F64 = 1,
	PGL_F32 = 2,
	PGL_I32 = 3,
	PGL_I64 = 4,
	PGL_STR = 5, /* data is char *[count], NUL-terminated strings */
	/* 6 is the on-disk dtype of an encoded tensor (model_format.c) */
	PGL_U8 = 7 /* uint8_t[count]: raw bytes (an ONNX file); format version 3 */
} pgl_dtype;

#define PGL_TENSOR_NAME_LEN 32
#define PGL_TENSOR_MAX_DIMS 4

/*
 * How a f64 or f32 tensor is stored in the blob (docs/model-format.md,
 * "Encoded tensors").  In memory the data is always dtype's, decoded once
 * when the blob is read; the storage only changes the bytes written.
 */
typedef enum pgl_storage
{
	PGL_STORE_NATIVE = 0,	 /* as its dtype */
	PGL_STORE_F32 = 1,		 /* f64 data rounded to binary32 */
	PGL_STORE_F16 = 2,		 /* binary16 */
	PGL_STORE_I8_TENSOR = 3, /* int8, one scale for the tensor */
	PGL_STORE_I8_ROW = 4	 /* int8, one scale per row (dims[0]) of a 2-d tensor */
} pgl_storage;

#define PGL_STORE_MAX 4

typedef struct pgl_tensor
{
	char	name[PGL_TENSOR_NAME_LEN]; /* NUL-terminated */
	int32_t dtype;					   /* pgl_dtype */
	int32_t ndim;
	int64_t dims[PGL_TENSOR_MAX_DIMS];
	void   *data;	 /* product(dims) elements of dtype */
	int32_t storage; /* pgl_storage; 0 (native) unless quantized */
	float  *scales;	 /* int8 storage read from a blob: its scales (else NULL) */
} pgl_tensor;

typedef struct pgl_model
{
	int32_t algorithm; /* pgl_algorithm */
	int32_t task;	   /* pgl_task */

	int32_t		 n_features;
	pgl_feature *features;
	int32_t		 n_inputs; /* width after encoding */

	char   *target_name;
	char   *target_type; /* SQL type name */
	int32_t n_classes;	 /* classification: labels as text, sorted */
	char  **classes;

	int32_t		n_tensors;
	pgl_tensor *tensors;

	/*
	 * Algorithm-private state built when the blob is read (the optional
	 * ops->prepare: an imported ONNX graph's plan and executor), or NULL;
	 * runtime_free releases it (pgl_model_free calls it).
	 */
	void *runtime;
	void (*runtime_free)(void *runtime);
} pgl_model;

/* number of inputs the features encode to */
extern int32_t pgl_model_input_width(const pgl_model *m);

/* does the model have a text feature? */
extern bool pgl_model_has_text(const pgl_model *m);

/* find a tensor by name; NULL if absent */
extern const pgl_tensor *pgl_model_tensor(const pgl_model *m, const char *name);

/* number of elements of a tensor */
extern int64_t pgl_tensor_count(const pgl_tensor *t);

/* free everything a model owns (allocated through env) */
extern void pgl_model_free(const pgl_env *env, pgl_model *m);

#endif /* PGL_ALGO_H */
