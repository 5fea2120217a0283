/* TEMPORARY stub: replaced by metrics.c (delete this file then) */
#include "metrics.h"
#include <math.h>
void pgl_regression_metrics_compute(const double *y, const double *pred, int64_t n, pgl_regression_metrics *out)
{ (void) y; (void) pred; out->n = n; out->r2 = out->rmse = out->mae = NAN; }
pgl_rc pgl_class_metrics_compute(const pgl_env *env, const int32_t *label, const double *proba, int64_t n, int32_t k, pgl_class_metrics *out, pgl_status *st)
{ (void) env; (void) label; (void) proba; (void) st; *out = (pgl_class_metrics) {0}; out->n = n; out->k = k; out->accuracy = NAN; return PGL_OK; }
void pgl_class_metrics_free(const pgl_env *env, pgl_class_metrics *m) { (void) env; (void) m; }
