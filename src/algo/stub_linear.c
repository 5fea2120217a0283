/* TEMPORARY stub: replaced by linreg.c, logreg.c, lbfgs.c (delete this file then) */
#include "linear.h"
pgl_rc pgl_linreg_fit(const pgl_env *env, const double *X, int64_t n, int32_t p, const double *y, double l2, double *coef, int32_t *rank, pgl_status *st)
{ (void) env; (void) X; (void) n; (void) p; (void) y; (void) l2; (void) coef; (void) rank; return pgl_fail(st, PGL_ERR_INVALID, "not implemented"); }
void pgl_linreg_predict(const double *coef, int32_t p, const double *X, int64_t n, double *out)
{ (void) coef; (void) p; (void) X; for (int64_t i = 0; i < n; i++) out[i] = 0; }
pgl_rc pgl_logreg_fit(const pgl_env *env, const double *X, int64_t n, int32_t p, const int32_t *label, int32_t k, const pgl_logreg_params *params, double *coef, int32_t *iterations, double *loss, pgl_status *st)
{ (void) env; (void) X; (void) n; (void) p; (void) label; (void) k; (void) params; (void) coef; (void) iterations; (void) loss; return pgl_fail(st, PGL_ERR_INVALID, "not implemented"); }
pgl_rc pgl_logreg_predict_proba(const pgl_env *env, const double *coef, int32_t p, int32_t k, const double *X, int64_t n, double *proba, pgl_status *st)
{ (void) env; (void) coef; (void) p; (void) X; for (int64_t i = 0; i < n * k; i++) proba[i] = 1.0 / k; (void) st; return PGL_OK; }
