/*-------------------------------------------------------------------------
 *
 * kmeans.h
 *	  k-means clustering (kmeans.c): k-means++ seeding on a sample, Lloyd
 *	  iterations over every row, and the silhouette on a sample.
 *
 * Points are the encoded inputs of a model, on their raw encoded scale (no
 * standardization: a feature with a larger spread weighs more, as in any
 * Euclidean k-means).  X is column-major n x p with leading dimension ld,
 * as everywhere in src/algo; centroids are row-major k x p.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_KMEANS_H
#define PGL_KMEANS_H

#include "pgl_algo.h"

/* rows of the k-means++ seeding sample and of the silhouette sample */
#define PGL_KMEANS_SEED_SAMPLE		 10000
#define PGL_KMEANS_SILHOUETTE_SAMPLE 2000

typedef struct pgl_kmeans_params
{
	int32_t	 k;		   /* clusters, 1 <= k <= n */
	int32_t	 max_iter; /* Lloyd iterations, >= 1 */
	double	 tol;	   /* stop when the relative inertia change is below */
	uint64_t seed;	   /* seeding sample and k-means++ draws */

	/*
	 * The seeding sample, row-major sample_rows x p, when the caller drew
	 * it (training draws it by row hash in SQL, so that in-memory and
	 * aggregate training seed from the same rows); NULL: a seeded sample of
	 * up to PGL_KMEANS_SEED_SAMPLE of the rows of X.
	 */
	const double *sample;
	int64_t		  sample_rows;
} pgl_kmeans_params;

/*
 * Greedy k-means++ seeding of k centroids (C, k x p row-major) on the m
 * rows of S (row-major), with the draws seeded as in pgl_kmeans_fit; k <= m.
 */
extern pgl_rc pgl_kmeans_seed(const pgl_env *env, const double *S, int64_t m, int32_t p, int32_t k,
							  uint64_t seed, double *C, pgl_status *st);

/*
 * Fit k centroids (k x p, row-major, written to C) to the n rows of X.
 *
 * Seeding: greedy k-means++ (2 + ln k candidates per centre, the one that
 * lowers the sample's potential most) on a seeded sample of up to
 * PGL_KMEANS_SEED_SAMPLE rows.  Then Lloyd iterations over all rows until
 * max_iter, no row changes cluster, or the inertia changes by less than
 * tol relative to it.  A cluster left empty by an iteration is re-seeded
 * from the row farthest from its centroid (among clusters of two rows or
 * more), which then forms it alone; so no centroid is ever empty after a
 * step and the inertia never increases.
 *
 * Interrupts are checked between iterations and between seeding draws.
 * On success *iterations is the number of assignment passes and *inertia
 * the sum of squared distances of the rows to their final centroid.
 */
extern pgl_rc pgl_kmeans_fit(const pgl_env *env, const double *X, int64_t ld, int64_t n, int32_t p,
							 const pgl_kmeans_params *params, double *C, int32_t *iterations,
							 double *inertia, pgl_status *st);

/*
 * Nearest centroid of each of the n rows (lowest index on ties): label[i]
 * in [0, k), and when dist2 is not NULL the squared distance to it.
 * Distances come from ||x||² - 2 x·c + ||c||² with DGEMM over row blocks;
 * dist2 is then recomputed exactly for the chosen centroid.
 */
extern pgl_rc pgl_kmeans_assign(const pgl_env *env, const double *C, int32_t k, int32_t p,
								const double *X, int64_t ld, int64_t n, int32_t *label,
								double *dist2, pgl_status *st);

/*
 * Mean silhouette of a seeded sample of up to PGL_KMEANS_SILHOUETTE_SAMPLE
 * rows (Euclidean distances within the sample; a row alone in its cluster
 * scores 0).  NaN when fewer than two clusters occur in the sample.
 */
extern pgl_rc pgl_kmeans_silhouette(const pgl_env *env, const double *X, int64_t ld, int64_t n,
									int32_t p, const int32_t *label, int32_t k, uint64_t seed,
									double *out, pgl_status *st);

#endif /* PGL_KMEANS_H */
