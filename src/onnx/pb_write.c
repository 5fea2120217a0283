/*-------------------------------------------------------------------------
 *
 * pb_write.c
 *	  The protobuf wire format, written: varints, fixed32 floats,
 *	  length-delimited fields, packed repeated fields.  The reader is pb.c.
 *
 * A buffer grows through its env; a failed allocation marks it failed and
 * drops every later write, so a caller checks once, at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "export.h"

#include <string.h>

enum
{
	WT_VARINT = 0,
	WT_LEN = 2,
	WT_I32 = 5
};

void
ox_pbw_init(ox_pbw *w, const pgl_env *env)
{
	memset(w, 0, sizeof(*w));
	w->env = env;
}

void
ox_pbw_free(ox_pbw *w)
{
	if (w->buf)
		pgl_free(w->env, w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static bool
grow(ox_pbw *w, size_t more)
{
	size_t	 cap;
	uint8_t *nb;

	if (w->failed)
		return false;
	if (w->len + more <= w->cap)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + more)
		cap *= 2;
	nb = pgl_alloc(w->env, cap);
	if (nb == NULL)
	{
		w->failed = true;
		return false;
	}
	if (w->len)
		memcpy(nb, w->buf, w->len);
	if (w->buf)
		pgl_free(w->env, w->buf);
	w->buf = nb;
	w->cap = cap;
	return true;
}

void
ox_pbw_raw(ox_pbw *w, const void *data, size_t len)
{
	if (len == 0 || !grow(w, len))
		return;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void
ox_pbw_varint(ox_pbw *w, uint64_t v)
{
	uint8_t b[10];
	int		n = 0;

	do
	{
		b[n] = (uint8_t) (v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	ox_pbw_raw(w, b, (size_t) n);
}

static void
tag(ox_pbw *w, uint32_t field, int wt)
{
	ox_pbw_varint(w, ((uint64_t) field << 3) | (uint64_t) wt);
}

void
ox_pbw_uint(ox_pbw *w, uint32_t field, uint64_t v)
{
	tag(w, field, WT_VARINT);
	ox_pbw_varint(w, v);
}

/* little-endian bytes of a float */
static void
put_f32(uint8_t *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) (u >> (8 * i));
}

void
ox_pbw_float(ox_pbw *w, uint32_t field, float v)
{
	uint8_t b[4];

	tag(w, field, WT_I32);
	put_f32(b, v);
	ox_pbw_raw(w, b, 4);
}

void
ox_pbw_bytes(ox_pbw *w, uint32_t field, const void *data, size_t len)
{
	tag(w, field, WT_LEN);
	ox_pbw_varint(w, len);
	ox_pbw_raw(w, data, len);
}

void
ox_pbw_string(ox_pbw *w, uint32_t field, const char *s)
{
	ox_pbw_bytes(w, field, s, strlen(s));
}

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

void
ox_pbw_packed_i64(ox_pbw *w, uint32_t field, const int64_t *v, int64_t n)
{
	size_t len = 0;

	for (int64_t i = 0; i < n; i++)
		len += varint_len((uint64_t) v[i]);
	tag(w, field, WT_LEN);
	ox_pbw_varint(w, len);
	if (!grow(w, len))
		return;
	for (int64_t i = 0; i < n; i++)
		ox_pbw_varint(w, (uint64_t) v[i]);
}

void
ox_pbw_packed_f32(ox_pbw *w, uint32_t field, const float *v, int64_t n)
{
	tag(w, field, WT_LEN);
	ox_pbw_varint(w, (uint64_t) n * 4);
	if (!grow(w, (size_t) n * 4))
		return;
	for (int64_t i = 0; i < n; i++)
	{
		put_f32(w->buf + w->len, v[i]);
		w->len += 4;
	}
}

void
ox_pbw_message(ox_pbw *w, uint32_t field, ox_pbw *sub)
{
	if (sub->failed)
		w->failed = true;
	else
		ox_pbw_bytes(w, field, sub->buf, sub->len);
	ox_pbw_free(sub);
	sub->failed = false;
}
