/*-------------------------------------------------------------------------
 *
 * model_format.h
 *	  The pg_learn model binary format: write, read, validate
 *	  (model_format.c; layout documented in docs/model-format.md).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_MODEL_FORMAT_H
#define PGL_MODEL_FORMAT_H

#include "pgl_algo.h"

#define PGL_FORMAT_MAGIC   "PGLM"
#define PGL_FORMAT_VERSION 1

/*
 * Serialize m.  *out is allocated through env and holds *len bytes.
 */
extern pgl_rc pgl_model_write(const pgl_env *env, const pgl_model *m, uint8_t **out, size_t *len,
							  pgl_status *st);

/*
 * Parse and fully validate a blob: header, declared length, CRC-32C, every
 * count and length against the bytes that remain, strings, enums, tensor
 * shapes, and the algorithm's own invariants (pgl_algo_validate).  On any
 * failure returns PGL_ERR_CORRUPT with a message naming what is wrong and
 * leaves *out NULL; nothing allocated is leaked.  Never reads outside
 * buf[0 .. len).
 */
extern pgl_rc pgl_model_read(const pgl_env *env, const uint8_t *buf, size_t len, pgl_model **out,
							 pgl_status *st);

/*
 * The structural rules both the writer and the reader apply (counts, strings,
 * sorted vocabularies, tensor shapes, what each task allows), without the
 * algorithm's own invariants; failures use rc "bad".
 */
extern pgl_rc pgl_model_check_structure(const pgl_env *env, const pgl_model *m, pgl_rc bad,
										pgl_status *st);

/* CRC-32C (Castagnoli), as in iSCSI: pgl_crc32c(0, "123456789", 9) == 0xE3069283 */
extern uint32_t pgl_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* PGL_MODEL_FORMAT_H */
