/*-------------------------------------------------------------------------
 *
 * strarena.h
 *	  Copies of strings in chunks of one arena, freed all at once: the terms
 *	  of a TF-IDF vocabulary and the symbols of a subword vocabulary while
 *	  they are learned.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_STRARENA_H
#define PGL_STRARENA_H

#include "pgl_algo.h"

typedef struct pgl_strarena_chunk pgl_strarena_chunk;

typedef struct pgl_strarena
{
	const pgl_env	   *env;
	pgl_strarena_chunk *head; /* the chunk being filled, then older ones */
} pgl_strarena;

/* an empty arena allocating through env */
static inline void
pgl_strarena_init(pgl_strarena *a, const pgl_env *env)
{
	a->env = env;
	a->head = NULL;
}

/* a NUL-terminated copy of the len bytes at s; NULL if out of memory */
extern char *pgl_strarena_copy(pgl_strarena *a, const char *s, size_t len);

/* frees every copy; the arena is empty again */
extern void pgl_strarena_free(pgl_strarena *a);

#endif
