/*-------------------------------------------------------------------------
 *
 * strmap.c
 *	  A map of strings to dense indexes, and the array helpers of the text
 *	  learners (strmap.h).
 *
 *-------------------------------------------------------------------------
 */
#include "strmap.h"

#include <string.h>

uint64_t
pgl_str_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ^ (h >> 29);
}

bool
pgl_grow_array(const pgl_env *env, void **p, int64_t *cap, int64_t need, size_t elem)
{
	int64_t c = *cap ? *cap : 16;
	void   *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	q = pgl_alloc(env, (size_t) c * elem);
	if (q == NULL)
		return false;
	if (*p)
		memcpy(q, *p, (size_t) *cap * elem);
	pgl_free(env, *p);
	*p = q;
	*cap = c;
	return true;
}

void
pgl_strmap_init(pgl_strmap *m, const pgl_env *env, bool copy)
{
	memset(m, 0, sizeof(*m));
	m->env = env;
	m->copy = copy;
	pgl_strarena_init(&m->arena, env);
}

void
pgl_strmap_free(pgl_strmap *m)
{
	const pgl_env *env = m->env;
	bool		   copy = m->copy;

	pgl_strarena_free(&m->arena);
	pgl_free(env, m->keys);
	pgl_free(env, m->lens);
	pgl_free(env, m->slots);
	pgl_strmap_init(m, env, copy);
}

static bool
rehash(pgl_strmap *m)
{
	int64_t	 n_slots = m->n_slots ? m->n_slots * 2 : 1024;
	int32_t *slots = pgl_alloc(m->env, sizeof(int32_t) * (size_t) n_slots);

	if (slots == NULL)
		return false;
	memset(slots, 0xff, sizeof(int32_t) * (size_t) n_slots);
	for (int64_t i = 0; i < m->n; i++)
	{
		uint64_t h = pgl_str_hash(m->keys[i], (size_t) m->lens[i]) & (uint64_t) (n_slots - 1);

		while (slots[h] >= 0)
			h = (h + 1) & (uint64_t) (n_slots - 1);
		slots[h] = (int32_t) i;
	}
	pgl_free(m->env, m->slots);
	m->slots = slots;
	m->n_slots = n_slots;
	return true;
}

/* the slot of s (len bytes): holding it, or the empty one where it goes */
static uint64_t
slot_of(const pgl_strmap *m, const char *s, size_t len)
{
	uint64_t h = pgl_str_hash(s, len) & (uint64_t) (m->n_slots - 1);

	while (m->slots[h] >= 0)
	{
		int32_t i = m->slots[h];

		if ((size_t) m->lens[i] == len && memcmp(m->keys[i], s, len) == 0)
			break;
		h = (h + 1) & (uint64_t) (m->n_slots - 1);
	}
	return h;
}

int64_t
pgl_strmap_get(const pgl_strmap *m, const char *s, size_t len)
{
	if (m->n_slots == 0)
		return -1;
	return m->slots[slot_of(m, s, len)];
}

int64_t
pgl_strmap_add(pgl_strmap *m, const char *s, size_t len, bool *added)
{
	uint64_t	h;
	const char *key;

	if (added)
		*added = false;
	if ((m->n + 1) * 2 > m->n_slots && !rehash(m))
		return -1;
	h = slot_of(m, s, len);
	if (m->slots[h] >= 0)
		return m->slots[h];
	if (m->n >= INT32_MAX - 1 || len > INT32_MAX ||
		!pgl_grow_array(m->env, (void **) &m->keys, &m->cap_keys, m->n + 1, sizeof(char *)) ||
		!pgl_grow_array(m->env, (void **) &m->lens, &m->cap_lens, m->n + 1, sizeof(int32_t)))
		return -1;
	key = m->copy ? pgl_strarena_copy(&m->arena, s, len) : s;
	if (key == NULL)
		return -1;
	m->keys[m->n] = key;
	m->lens[m->n] = (int32_t) len;
	m->slots[h] = (int32_t) m->n;
	if (added)
		*added = true;
	return m->n++;
}

int32_t
pgl_str_bsearch(char *const *sorted, int32_t n, const char *s, size_t len)
{
	int32_t lo = 0, hi = n - 1;

	while (lo <= hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;
		const char *t = sorted[mid];
		size_t		tlen = strlen(t);
		int			c = memcmp(t, s, tlen < len ? tlen : len);

		if (c == 0)
			c = (tlen > len) - (tlen < len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}
