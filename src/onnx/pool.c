/*-------------------------------------------------------------------------
 *
 * pool.c
 *	  The model's block allocator (everything a decoded model holds is freed
 *	  at once), and a small string hash table over it.
 *
 *-------------------------------------------------------------------------
 */
#include "ox_internal.h"

#include <string.h>

#define OX_BLOCK_SIZE (64 * 1024)

typedef struct ox_block
{
	struct ox_block *next;
	size_t			 size; /* usable bytes after the header */
	size_t			 used;
	/* data follows, 16-byte aligned */
	_Alignas(16) unsigned char data[];
} ox_block;

void
ox_pool_init(ox_pool *p, const pgl_env *env, size_t limit)
{
	p->env = env;
	p->blocks = NULL;
	p->used = 0;
	p->limit = limit;
}

static ox_block *
new_block(ox_pool *p, size_t size, pgl_status *st)
{
	ox_block *b;

	if (size > p->limit || p->used > p->limit - size)
	{
		pgl_ox_fail(st, PGL_ERR_INVALID,
					"Raise the limit (pg_learn.max_train_memory) or import a smaller model.",
					"ONNX model needs more than %zu bytes of memory", p->limit);
		return NULL;
	}
	b = pgl_alloc(p->env, sizeof(ox_block) + size);
	if (!b)
	{
		pgl_fail(st, PGL_ERR_NOMEM, "out of memory reading an ONNX model");
		return NULL;
	}
	p->used += size;
	b->size = size;
	b->used = 0;
	b->next = p->blocks;
	p->blocks = b;
	return b;
}

void *
ox_palloc(ox_pool *p, size_t size, pgl_status *st)
{
	ox_block *b = p->blocks;
	size_t	  need = (size + 15) & ~(size_t) 15;
	void	 *r;

	if (size > SIZE_MAX / 2)
	{
		pgl_fail(st, PGL_ERR_INVALID, "ONNX model needs an absurd allocation of %zu bytes", size);
		return NULL;
	}
	if (need == 0)
		need = 16;
	if (!b || b->size - b->used < need)
	{
		if (need > OX_BLOCK_SIZE / 4)
		{
			/* a big one gets its own block, behind the current one */
			ox_block *big = new_block(p, need, st);

			if (!big)
				return NULL;
			if (b)
			{
				p->blocks = b;
				big->next = b->next;
				b->next = big;
			}
			big->used = need;
			memset(big->data, 0, need);
			return big->data;
		}
		b = new_block(p, OX_BLOCK_SIZE, st);
		if (!b)
			return NULL;
	}
	r = b->data + b->used;
	b->used += need;
	memset(r, 0, need);
	return r;
}

char *
ox_pstrndup(ox_pool *p, const uint8_t *s, size_t len, pgl_status *st)
{
	char *r;

	if (memchr(s, 0, len))
	{
		pgl_fail(st, PGL_ERR_INVALID, "ONNX model has a string with a NUL byte inside");
		return NULL;
	}
	r = ox_palloc(p, len + 1, st);
	if (r)
		memcpy(r, s, len);
	return r;
}

void
ox_pool_free(ox_pool *p)
{
	ox_block *b = p->blocks;

	while (b)
	{
		ox_block *next = b->next;

		pgl_free(p->env, b);
		b = next;
	}
	p->blocks = NULL;
	p->used = 0;
}

/* ---------- name table ---------- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

pgl_rc
ox_names_init(ox_names *h, ox_pool *p, int64_t n, pgl_status *st)
{
	int64_t cap = 16;

	while (cap < 2 * n + 1)
		cap *= 2;
	if (cap > INT32_MAX / 2)
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX model has too many values (%lld)",
						(long long) n);
	h->cap = (int32_t) cap;
	h->keys = ox_palloc(p, sizeof(char *) * (size_t) cap, st);
	h->vals = ox_palloc(p, sizeof(int32_t) * (size_t) cap, st);
	return h->keys && h->vals ? PGL_OK : st->rc;
}

int32_t
ox_names_get(const ox_names *h, const char *key)
{
	uint64_t i = hash_str(key) & (uint64_t) (h->cap - 1);

	while (h->keys[i])
	{
		if (strcmp(h->keys[i], key) == 0)
			return h->vals[i];
		i = (i + 1) & (uint64_t) (h->cap - 1);
	}
	return -1;
}

void
ox_names_put(ox_names *h, const char *key, int32_t val)
{
	uint64_t i = hash_str(key) & (uint64_t) (h->cap - 1);

	while (h->keys[i])
		i = (i + 1) & (uint64_t) (h->cap - 1);
	h->keys[i] = key;
	h->vals[i] = val;
}
