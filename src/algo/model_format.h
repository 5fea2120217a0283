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
#define PGL_FORMAT_VERSION 3

/*
 * Version 2 adds the date and timestamp feature kinds (3, 4), whose feature
 * record ends with an f64 origin, and the array element kind (5), whose
 * record ends with i32 element and i32 length.  A writer writes the lowest
 * version that holds the model: 1 unless it has such a feature, so every
 * other blob is byte for byte what version 1 was.
 */
#define PGL_FORMAT_VERSION_KINDS 2

/*
 * Version 3 adds the u8 tensor dtype (7: raw bytes, an imported ONNX file);
 * written only by a model with such a tensor.
 */
#define PGL_FORMAT_VERSION_U8 3

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

/* header flags: bit 0 = the blob holds encoded (quantized) tensors */
#define PGL_FORMAT_FLAG_ENCODED 0x0001

/*
 * Quantized storage.  pgl_model_set_storage marks the tensors of weights and
 * factors (coef, centroids, user_factors, item_factors) for storage as
 * float32 ("float32": f64 tensors only; f32 ones stay native), float16 or
 * int8 (one scale per row of a 2-d tensor with rows of at least 2 values,
 * else one per tensor).  kind is one of PGL_STORE_F32, PGL_STORE_F16 or
 * PGL_STORE_I8_ROW (meaning "int8, the scales chosen as above"), or
 * PGL_STORE_NATIVE to store everything as is.  The values are replaced by
 * what the storage gives back (the int8 scales kept in the tensors), so the
 * model in memory predicts exactly as the stored one will.  Fails with
 * PGL_ERR_INVALID, naming the tensor and changing nothing, if a value cannot
 * be represented (beyond the float16 range, say).
 */
extern pgl_rc pgl_model_set_storage(const pgl_env *env, pgl_model *m, int32_t kind, pgl_status *st);

/* IEEE binary16 <-> binary32, round to nearest even; overflow gives infinity */
extern uint16_t pgl_f32_to_f16(float f);
extern float	pgl_f16_to_f32(uint16_t h);

/* CRC-32C (Castagnoli), as in iSCSI: pgl_crc32c(0, "123456789", 9) == 0xE3069283 */
extern uint32_t pgl_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* PGL_MODEL_FORMAT_H */
