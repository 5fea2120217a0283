/*-------------------------------------------------------------------------
 *
 * pb.c
 *	  The protobuf wire format, by hand: varints, fixed 64 and 32-bit
 *	  values, length-delimited fields.  Every length is checked against the
 *	  bytes left before use; groups (wire types 3 and 4) and field number 0
 *	  are refused.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <string.h>

/* 1 and *v on success, 0 if truncated or longer than 10 bytes / 64 bits */
int
ox_pb_varint(ox_pb *c, uint64_t *v)
{
	uint64_t r = 0;

	for (int i = 0; i < 10; i++)
	{
		uint8_t b;

		if (c->p >= c->end)
			return 0;
		b = *c->p++;
		if (i == 9 && b > 1)
			return 0; /* more than 64 bits */
		r |= (uint64_t) (b & 0x7f) << (7 * i);
		if (!(b & 0x80))
		{
			*v = r;
			return 1;
		}
	}
	return 0;
}

int
ox_pb_next(ox_pb *c, ox_field *f, const char *what, pgl_status *st)
{
	uint64_t tag;

	if (c->p >= c->end)
		return 0;
	if (!ox_pb_varint(c, &tag))
		goto bad;
	f->num = (uint32_t) (tag >> 3);
	f->wt = (int) (tag & 7);
	if ((tag >> 3) == 0 || (tag >> 3) > 536870911)
		goto bad;
	switch (f->wt)
	{
		case OX_WT_VARINT:
			if (!ox_pb_varint(c, &f->v))
				goto bad;
			break;
		case OX_WT_I64:
			if (c->end - c->p < 8)
				goto bad;
			memcpy(&f->v, c->p, 8);
			c->p += 8;
			break;
		case OX_WT_I32:
		{
			uint32_t v32;

			if (c->end - c->p < 4)
				goto bad;
			memcpy(&v32, c->p, 4);
			f->v = v32;
			c->p += 4;
			break;
		}
		case OX_WT_LEN:
		{
			uint64_t len;

			if (!ox_pb_varint(c, &len) || len > (uint64_t) (c->end - c->p))
				goto bad;
			f->sub.p = c->p;
			f->sub.end = c->p + len;
			c->p += len;
			break;
		}
		default:
			goto bad;
	}
	return 1;
bad:
	pgl_ox_fail(st, PGL_ERR_INVALID,
				"The bytes are not a well-formed protobuf message: a field is truncated, its "
				"length runs past its message, or its wire type is invalid.",
				"ONNX model is malformed in %s", what);
	return -1;
}
