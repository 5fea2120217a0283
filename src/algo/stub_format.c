/* TEMPORARY stub: replaced by model_format.c (delete this file then) */
#include "model_format.h"
pgl_rc pgl_model_write(const pgl_env *env, const pgl_model *m, uint8_t **out, size_t *len, pgl_status *st)
{ (void) env; (void) m; (void) out; (void) len; return pgl_fail(st, PGL_ERR_INVALID, "not implemented"); }
pgl_rc pgl_model_read(const pgl_env *env, const uint8_t *buf, size_t len, pgl_model **out, pgl_status *st)
{ (void) env; (void) buf; (void) len; *out = NULL; return pgl_fail(st, PGL_ERR_CORRUPT, "not implemented"); }
uint32_t pgl_crc32c(uint32_t crc, const void *data, size_t len) { (void) data; (void) len; return crc; }
