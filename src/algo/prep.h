/*-------------------------------------------------------------------------
 *
 * prep.h
 *	  Preprocessing stored in the model: encoding raw feature values into
 *	  the design matrix, category lookup, and the seeded hold-out split.
 *
 * A raw value of feature f is a double: the value itself for a numeric
 * feature, or the index of the category in f->categories for a categorical
 * one (-1 when the value is not in the vocabulary).  A separate flag marks
 * NULL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_PREP_H
#define PGL_PREP_H

#include "pgl_algo.h"

/*
 * Dates and timestamps.  The raw value is in seconds since 1970-01-01 00:00
 * (proleptic Gregorian calendar, no leap seconds; a timestamptz in UTC, a
 * timestamp as its wall-clock fields).  It becomes, in this order:
 *
 *	year				the calendar year (astronomical: year 0 is 1 BC)
 *	month_sin/month_cos	sin/cos of 2 pi (month - 1) / 12
 *	dow_sin/dow_cos		sin/cos of 2 pi dow / 7 (dow 0 = Sunday, as extract(dow))
 *	hour_sin/hour_cos	timestamps only: sin/cos of 2 pi h / 24, h the hour of
 *						the day with its fraction (minutes, seconds)
 *	days				(value - origin) / 86400: days since the model's origin
 *
 * A NaN (a missing value), or a value beyond PGL_TIME_MAX_SECONDS, makes
 * every input NaN.
 */
#define PGL_DATE_INPUTS		 6
#define PGL_TIMESTAMP_INPUTS 8
#define PGL_TIME_MAX_SECONDS 1e15 /* about 31.7 million years; PostgreSQL's dates end sooner */

extern void pgl_time_expand(int32_t kind, double origin, double seconds, double *x);

/* the name of input k of a date or timestamp feature ("year", "month_sin", ...) */
extern const char *pgl_time_input_name(int32_t kind, int32_t k);

/* the start of the day (00:00) of seconds since 1970, as seconds since 1970 */
extern double pgl_time_day_start(double seconds);

/* the calendar date of day number days (0: 1970-01-01) */
extern void pgl_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* index of value in the sorted vocabulary of f, or -1 */
extern int32_t pgl_category_find(const pgl_feature *f, const char *value, size_t len);

/* encode one row: raw/isnull have n_features entries, x has n_inputs */
extern void pgl_encode_row(const pgl_model *m, const double *raw, const bool *isnull, double *x);

/*
 * Encode n rows from column-major raw data into X (column-major, leading
 * dimension n, n_inputs columns).  raw[f] and isnull[f] are the columns of
 * feature f (isnull[f] may be NULL: no NULLs); rows[i] selects the source
 * row of output row i, or rows is NULL for rows 0..n-1.
 */
extern void pgl_encode_rows(const pgl_model *m, const double *const *raw, const bool *const *isnull,
							const int64_t *rows, int64_t n, double *X);

/* splitmix64: a small, fast, seedable generator */
extern uint64_t pgl_rng_next(uint64_t *state);

/* uniform double in [0, 1) */
extern double pgl_rng_uniform(uint64_t *state);

/*
 * The hold-out split of supervised training: a row belongs to the hold-out
 * when a draw seeded by (seed, hash of the row's values) falls below
 * fraction.  The hash covers every column of the data (excluded ones too)
 * as the server stores the values, so a row's side depends on the row only: the same
 * data in any order, read by one query or by aggregates in parallel
 * workers, splits the same way.  Identical rows fall on the same side.
 *
 * pgl_hash_value mixes one 64-bit value (a pass-by-value datum, or a NULL
 * marker) into h; pgl_hash_bytes the bytes of a pass-by-reference one.
 */
static inline uint64_t
pgl_hash_value(uint64_t h, uint64_t v)
{
	h ^= v + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return h ^ (h >> 31);
}

extern uint64_t pgl_hash_bytes(uint64_t h, const void *data, size_t len);

/* is the row whose values hash to hash in the hold-out? */
extern bool pgl_hash_in_test(uint64_t seed, uint64_t hash, double fraction);

/*
 * Is that row in fold number fold (0-based) of folds?  The folds cut the
 * same uniform draw pgl_hash_in_test compares with the fraction into folds
 * equal intervals, so they are disjoint and cover every row.
 */
extern bool pgl_hash_in_fold(uint64_t seed, uint64_t hash, int fold, int folds);

#define PGL_HASH_NULL UINT64_C(0x6E756C6C6E756C6C) /* what a NULL mixes in */

/*
 * Does row number row (0-based, in the order the rows arrive) belong to the
 * hold-out?  (The recommenders' split of (user, item) pairs.)  Each row is drawn independently with probability fraction from
 * a hash of (seed, row), so the decision needs no knowledge of the other
 * rows: the same rows in the same order with the same seed give the same
 * split, and it can be taken while the rows stream in.
 */
extern bool pgl_row_in_test(uint64_t seed, int64_t row, double fraction);

#endif /* PGL_PREP_H */
