/*-------------------------------------------------------------------------
 *
 * strarena.c
 *	  Copies of strings in chunks of one arena (strarena.h).
 *
 *-------------------------------------------------------------------------
 */
#include "strarena.h"

#include <string.h>

#define STRARENA_CHUNK 65536

struct pgl_strarena_chunk
{
	pgl_strarena_chunk *next;
	size_t				used, size;
	char				data[];
};

char *
pgl_strarena_copy(pgl_strarena *a, const char *s, size_t len)
{
	pgl_strarena_chunk *c = a->head;
	char			   *p;

	if (c == NULL || c->used + len + 1 > c->size)
	{
		size_t size = len + 1 > STRARENA_CHUNK ? len + 1 : STRARENA_CHUNK;

		c = pgl_alloc(a->env, sizeof(pgl_strarena_chunk) + size);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->size = size;
		a->head = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

void
pgl_strarena_free(pgl_strarena *a)
{
	while (a->head)
	{
		pgl_strarena_chunk *next = a->head->next;

		pgl_free(a->env, a->head);
		a->head = next;
	}
}
