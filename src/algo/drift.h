/*-------------------------------------------------------------------------
 *
 * drift.h
 *	  Per-feature training summaries stored in a model, and the drift
 *	  statistics that compare new data with them (drift.c).
 *
 * At training, every number feature (numeric, date, timestamp, array
 * element) gets a histogram of its training values: PGL_DRIFT_BINS
 * equal-frequency bins cut at the quantiles of a uniform reservoir sample of
 * up to PGL_DRIFT_SAMPLE values (exact quantiles when the training rows are
 * fewer), with the sample's count in each bin, plus the exact row count,
 * NULL count, minimum and maximum.  Every categorical feature gets its
 * PGL_DRIFT_TOP most frequent values with their exact counts, the count of
 * all other values and the NULL count.  Text and tokens features get none.
 *
 * The summaries are four optional tensors of the model (docs/model-format.md,
 * "Drift summaries"): a model without them is valid and has none.
 *
 * Statistics against new data (all NULL-aware):
 *	psi	population stability index over the training bins plus a NULL bin
 *		(when either side has NULLs), counts smoothed by +0.5
 *	ks	Kolmogorov-Smirnov distance between the cumulative distributions,
 *		evaluated at the training bin edges only (a lower bound of the exact
 *		statistic, off by at most one bin's share)
 *	js	Jensen-Shannon distance (square root of the divergence, base 2, in
 *		[0, 1]) over the top values, "other" and a NULL bin
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_DRIFT_H
#define PGL_DRIFT_H

#include "pgl_algo.h"

#define PGL_DRIFT_BINS	   20
#define PGL_DRIFT_SAMPLE   16384
#define PGL_DRIFT_TOP	   50
#define PGL_DRIFT_MAX_BINS 1000 /* what a reader accepts */

/* default thresholds (docs/drift.md says why) */
#define PGL_DRIFT_PSI_THRESHOLD 0.2
#define PGL_DRIFT_KS_FLOOR		0.1
#define PGL_DRIFT_KS_C_ALPHA	1.358 /* c(0.05) of the two-sample test */
#define PGL_DRIFT_JS_THRESHOLD	0.1

#define PGL_DRIFT_NONE		  0
#define PGL_DRIFT_NUMERIC	  1
#define PGL_DRIFT_CATEGORICAL 2

/* the summary of one feature, as stored */
typedef struct pgl_drift_feature
{
	int32_t	 kind;	 /* PGL_DRIFT_NONE, _NUMERIC, _CATEGORICAL */
	int64_t	 rows;	 /* training rows */
	int64_t	 nulls;	 /* of which NULL */
	int32_t	 n;		 /* numeric: bins; categorical: top values */
	int64_t	 other;	 /* categorical: rows of the values not in the top; numeric 0 */
	double	*edges;	 /* numeric: n + 1 increasing (the last two may be equal), edges[0] the
					  * minimum, edges[n] the maximum; bin j is [edges[j], edges[j + 1]),
					  * the last one closed */
	int64_t *counts; /* n: sample values per bin, or rows per top value */
	char   **values; /* categorical: n values, by count descending */
} pgl_drift_feature;

/* ---------- at training ---------- */

/* the running summary of a number column: exact counts, a reservoir sample */
typedef struct pgl_drift_sketch
{
	int64_t	 rows, nulls, seen; /* seen: non-NULL values */
	double	 min, max;
	double	*sample; /* PGL_DRIFT_SAMPLE values, allocated on the first value */
	uint64_t rng;
	double	 w;	   /* the reservoir's skips (algorithm L): its weight */
	int64_t	 next; /* the value (0-based, non-NULL) the reservoir takes next */
} pgl_drift_sketch;

extern void pgl_drift_sketch_init(pgl_drift_sketch *s, uint64_t seed);

/* add n values (nulls may be NULL: none) */
extern pgl_rc pgl_drift_sketch_add(const pgl_env *env, pgl_drift_sketch *s, const double *v,
								   const bool *nulls, int64_t n, pgl_status *st);

/*
 * The histogram of a sketch into out (kind numeric): at most bins
 * equal-frequency bins (fewer when values repeat: edges are distinct), the
 * sample sorted in place.  A sketch without a value gets n = 0.
 */
extern pgl_rc pgl_drift_sketch_finish(const pgl_env *env, pgl_drift_sketch *s, int32_t bins,
									  pgl_drift_feature *out, pgl_status *st);

/*
 * The top values of a categorical column into out: counts[i] the training
 * rows of value i (of n_values, names[i]), nulls the NULL rows; at most
 * top values by count descending (ties by index), the rest in "other".
 * names[i] are copied.
 */
extern pgl_rc pgl_drift_top_values(const pgl_env *env, const int64_t *counts,
								   const char *const *names, int32_t n_values, int64_t nulls,
								   int32_t top, pgl_drift_feature *out, pgl_status *st);

/* ---------- in the model ---------- */

/*
 * Add the summaries of the m->n_features features as tensors of m (none
 * may be there yet).  The strings and arrays are copied.
 */
extern pgl_rc pgl_drift_store(const pgl_env *env, pgl_model *m, const pgl_drift_feature *feats,
							  pgl_status *st);

/* does m hold summaries? */
extern bool pgl_drift_present(const pgl_model *m);

/*
 * The summaries of m, validated: *out (allocated, m->n_features entries)
 * points into m's tensors.  rc bad (with the reason) when they break a rule
 * of docs/model-format.md; PGL_OK with *out NULL when m has none.
 */
extern pgl_rc pgl_drift_load(const pgl_env *env, const pgl_model *m, pgl_drift_feature **out,
							 pgl_rc bad, pgl_status *st);

/* the format's check (model_format.c): the summaries, if any, are valid */
extern pgl_rc pgl_drift_check(const pgl_model *m, pgl_rc bad, pgl_status *st);

/* ---------- statistics ---------- */

typedef struct pgl_drift_stat
{
	double value;	  /* NaN: no value (no non-NULL row on a side) */
	double threshold; /* drifted when value > threshold */
} pgl_drift_stat;

typedef struct pgl_drift_result
{
	pgl_drift_stat psi, ks;		 /* numeric */
	pgl_drift_stat js;			 /* categorical */
	double		   unseen_share; /* numeric: outside [min, max]; categorical: not in the
									* vocabulary; over the non-NULL values */
	double		   null_share;	 /* of the new rows */
	int64_t		   rows;
} pgl_drift_result;

/* a number feature f against n new values */
extern pgl_rc pgl_drift_numeric(const pgl_env *env, const pgl_drift_feature *f, const double *v,
								const bool *nulls, int64_t n, pgl_drift_result *r, pgl_status *st);

/*
 * A categorical feature f against new rows counted by the caller:
 * counts[i] of top value i (f->n of them), counts[f->n] of any other
 * non-NULL value, nulls, and unseen of those "other" values not in the
 * model's vocabulary at all.
 */
extern void pgl_drift_categorical(const pgl_drift_feature *f, const int64_t *counts, int64_t nulls,
								  int64_t unseen, pgl_drift_result *r);

/* index of value among f's top values, or -1 */
extern int32_t pgl_drift_find_value(const pgl_drift_feature *f, const char *value);

/* the KS threshold for training and new sample sizes (non-NULL values) */
extern double pgl_drift_ks_threshold(int64_t n_train, int64_t n_new);

#endif /* PGL_DRIFT_H */
