/*-------------------------------------------------------------------------
 *
 * strmap.h
 *	  A map of strings to dense indexes 0 .. n - 1 in the order they were
 *	  added (open addressing, FNV-1a), and the helpers the text learners and
 *	  encoders share: growing an array, finding a string in a sorted array.
 *	  Values live in the caller's arrays, indexed like the keys.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_STRMAP_H
#define PGL_STRMAP_H

#include "pgl_algo.h"
#include "strarena.h"

typedef struct pgl_strmap
{
	const pgl_env *env;
	bool		   copy; /* keys copied into the arena, else the caller's */
	const char	 **keys; /* NUL-terminated */
	int32_t		  *lens; /* bytes of each key */
	int64_t		   n;	 /* keys */
	int64_t		   cap_keys, cap_lens;
	int32_t		  *slots; /* n_slots (a power of two), -1: empty */
	int64_t		   n_slots;
	pgl_strarena   arena;
} pgl_strmap;

/*
 * An empty map allocating through env.  copy: keys are copied on add; else
 * the caller's NUL-terminated strings, which must outlive the map, are kept.
 */
extern void pgl_strmap_init(pgl_strmap *m, const pgl_env *env, bool copy);

/* frees the map (and the copies); it is empty again */
extern void pgl_strmap_free(pgl_strmap *m);

/*
 * Index of the len bytes at s, added when new (*added tells; added may be
 * NULL); -1 when out of memory or at INT32_MAX - 1 keys.
 */
extern int64_t pgl_strmap_add(pgl_strmap *m, const char *s, size_t len, bool *added);

/* index of the len bytes at s, or -1 */
extern int64_t pgl_strmap_get(const pgl_strmap *m, const char *s, size_t len);

/* FNV-1a over the bytes, the high bits folded in */
extern uint64_t pgl_str_hash(const char *s, size_t len);

/*
 * Grow the array *p of *cap elements of elem bytes to hold need (contents
 * kept, at least 16, doubling); false when out of memory (*p unchanged).
 */
extern bool pgl_grow_array(const pgl_env *env, void **p, int64_t *cap, int64_t need, size_t elem);

/* index of the len bytes at s in sorted[0 .. n) (strictly increasing by strcmp), or -1 */
extern int32_t pgl_str_bsearch(char *const *sorted, int32_t n, const char *s, size_t len);

#endif /* PGL_STRMAP_H */
