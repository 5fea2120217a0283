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
 * Does row number row (0-based, in the order the rows arrive) belong to the
 * hold-out?  Each row is drawn independently with probability fraction from
 * a hash of (seed, row), so the decision needs no knowledge of the other
 * rows: the same rows in the same order with the same seed give the same
 * split, and it can be taken while the rows stream in.
 */
extern bool pgl_row_in_test(uint64_t seed, int64_t row, double fraction);

#endif /* PGL_PREP_H */
