/*-------------------------------------------------------------------------
 *
 * aggsteps.h
 *	  Mergeable states of one optimizer step (aggsteps.c): the states of the
 *	  ai_logreg_grad_agg and ai_kmeans_step_agg aggregates.
 *
 * Both states are flat arrays of doubles, stored by the glue as float8[]
 * (text I/O: parallel query and Citus ship partial states as such).  A
 * partial state holds sums, so merging is addition: any order or grouping
 * of the rows gives the same result up to rounding.
 *
 * ai_logreg_grad_agg, p features, PGL_LOGREG_GRAD_LEN(p) doubles:
 *	 [p, n, loss_sum, grad_sum (p + 1: the p weights, then the intercept)]
 * for weights w = (w_1 .. w_p, b), z = w·x + b, label y in {0, 1}: the
 * log-loss log(1 + e^z) - y z and its gradient (sigmoid(z) - y) [x, 1].
 *
 * ai_kmeans_step_agg, k centroids of d dimensions, PGL_KMEANS_LEN(k, d):
 *	 [k, d, inertia, old (k*d, row-major), counts (k), offsets (k*d)]
 * where old are the centroids of the step, counts[c] the points whose
 * nearest centroid (squared Euclidean distance, lowest index on ties) is c,
 * offsets[c] the sum of (x - old[c]) over those points (so the new centroid
 * is old[c] + offsets[c] / counts[c], without the cancellation of raw sums
 * far from the origin) and inertia the sum of the squared distances.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_AGGSTEPS_H
#define PGL_AGGSTEPS_H

#include "pgl_algo.h"

/* features of a logistic-regression state */
#define PGL_LOGREG_GRAD_MAX_P  10000
#define PGL_LOGREG_GRAD_LEN(p) (4 + (size_t) (p))

/* dimensions, centroids, and their product, of a k-means state */
#define PGL_KMEANS_MAX_D	 10000
#define PGL_KMEANS_MAX_K	 100000
#define PGL_KMEANS_MAX_KD	 10000000
#define PGL_KMEANS_LEN(k, d) (3 + (size_t) (k) + 2 * (size_t) (k) * (size_t) (d))

/* ---------- ai_logreg_grad_agg ---------- */

extern void pgl_logreg_grad_init(double *s, int32_t p);

/*
 * Add one row: x (p values), the weights w (p + 1, intercept last) and the
 * label y (0 or 1), all finite.
 */
extern void pgl_logreg_grad_add(double *s, int32_t p, const double *w, const double *x, double y);

/* a += b (same p) */
extern void pgl_logreg_grad_merge(double *a, const double *b, int32_t p);

/*
 * Is s (len doubles) a state of ai_logreg_grad_agg?  Checks the length
 * against p, 1 <= p <= PGL_LOGREG_GRAD_MAX_P, n whole and >= 0, every value
 * finite, loss_sum >= 0, |intercept gradient| <= n and an empty state all
 * zeros; otherwise false, with the reason in why.
 */
extern bool pgl_logreg_grad_check(const double *s, size_t len, char *why, size_t whylen);

/* ---------- ai_softmax_grad_agg ---------- */

/*
 * The multinomial (softmax) counterpart of ai_logreg_grad_agg, k >= 2
 * classes, PGL_SOFTMAX_GRAD_LEN(p, k) doubles:
 *	 [p, k, n, loss_sum, grad_sum ((p + 1) x k, row-major)]
 * for weights W ((p + 1) x k row-major: row j < p the weights of feature j,
 * row p the intercepts), z = Wᵀ[x, 1], label y in [0, k): the loss
 * logsumexp(z) - z_y and its gradient [x, 1] (softmax(z) - onehot(y))ᵀ.
 */
#define PGL_SOFTMAX_MAX_K		   1000
#define PGL_SOFTMAX_MAX_PK		   1000000
#define PGL_SOFTMAX_GRAD_LEN(p, k) (4 + ((size_t) (p) + 1) * (size_t) (k))

extern void pgl_softmax_grad_init(double *s, int32_t p, int32_t k);

/* add one row; z is scratch of k doubles */
extern void pgl_softmax_grad_add(double *s, int32_t p, int32_t k, const double *w, const double *x,
								 int32_t y, double *z);

/* a += b (same p and k) */
extern void pgl_softmax_grad_merge(double *a, const double *b);

/* is s (len doubles) a state of ai_softmax_grad_agg?  (as pgl_logreg_grad_check) */
extern bool pgl_softmax_grad_check(const double *s, size_t len, char *why, size_t whylen);

/* ---------- ai_kmeans_step_agg ---------- */

/* an empty state for the k centroids c (k*d values, row-major) */
extern void pgl_kmeans_init(double *s, int32_t k, int32_t d, const double *c);

/* add one point x (d values, finite): returns the index of its centroid */
extern int32_t pgl_kmeans_add(double *s, const double *x);

/*
 * a += b: false (a unchanged) when their k, d or centroids differ.
 */
extern bool pgl_kmeans_merge(double *a, const double *b);

/* the new centroids (k*d, row-major): the old ones for empty clusters */
extern void pgl_kmeans_centroids(const double *s, double *out);

/*
 * Is s (len doubles) a state of ai_kmeans_step_agg?  Checks k and d (whole,
 * within the limits), the length, every value finite, inertia >= 0, counts
 * whole and >= 0 and the offsets of an empty cluster 0; otherwise false,
 * with the reason in why.
 */
extern bool pgl_kmeans_check(const double *s, size_t len, char *why, size_t whylen);

#endif /* PGL_AGGSTEPS_H */
