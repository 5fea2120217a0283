/*-------------------------------------------------------------------------
 *
 * vocab.c
 *	  A string vocabulary: distinct strings with dense codes 0, 1, 2, ...
 *
 * Open addressing over (hash, code) slots; strings are copied once into
 * the vocabulary's memory context, so interning a value already seen
 * allocates nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "vocab.h"

#include "common/hashfn.h"

struct PglVocab
{
	MemoryContext cxt;
	int32		  n;   /* strings */
	int32		  cap; /* string array capacity */
	char		**strs;
	Size		 *lens;
	uint32		 *hashes;
	uint32		  nslots; /* power of two */
	int32		 *slots;  /* code, or -1 */
};

PglVocab *
pgl_vocab_create(MemoryContext cxt)
{
	PglVocab *v = MemoryContextAllocZero(cxt, sizeof(PglVocab));

	v->cxt = cxt;
	v->cap = 16;
	v->strs = MemoryContextAlloc(cxt, sizeof(char *) * v->cap);
	v->lens = MemoryContextAlloc(cxt, sizeof(Size) * v->cap);
	v->hashes = MemoryContextAlloc(cxt, sizeof(uint32) * v->cap);
	v->nslots = 64;
	v->slots = MemoryContextAlloc(cxt, sizeof(int32) * v->nslots);
	memset(v->slots, -1, sizeof(int32) * v->nslots);
	return v;
}

static void
vocab_grow_slots(PglVocab *v)
{
	uint32 nslots = v->nslots * 2;
	int32 *slots = MemoryContextAlloc(v->cxt, sizeof(int32) * nslots);

	memset(slots, -1, sizeof(int32) * nslots);
	for (int32 c = 0; c < v->n; c++)
	{
		uint32 i = v->hashes[c] & (nslots - 1);

		while (slots[i] >= 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = c;
	}
	pfree(v->slots);
	v->slots = slots;
	v->nslots = nslots;
}

int32
pgl_vocab_intern(PglVocab *v, const char *s, Size len)
{
	uint32 h = hash_bytes((const unsigned char *) s, (int) len);
	uint32 i = h & (v->nslots - 1);
	int32  code;

	while (v->slots[i] >= 0)
	{
		code = v->slots[i];
		if (v->hashes[code] == h && v->lens[code] == len && memcmp(v->strs[code], s, len) == 0)
			return code;
		i = (i + 1) & (v->nslots - 1);
	}

	if (v->n == v->cap)
	{
		v->cap *= 2;
		v->strs = repalloc(v->strs, sizeof(char *) * v->cap);
		v->lens = repalloc(v->lens, sizeof(Size) * v->cap);
		v->hashes = repalloc(v->hashes, sizeof(uint32) * v->cap);
	}
	code = v->n++;
	v->strs[code] = MemoryContextAlloc(v->cxt, len + 1);
	memcpy(v->strs[code], s, len);
	v->strs[code][len] = '\0';
	v->lens[code] = len;
	v->hashes[code] = h;
	v->slots[i] = code;
	if ((uint32) v->n * 2 > v->nslots)
		vocab_grow_slots(v);
	return code;
}

int32
pgl_vocab_size(PglVocab *v)
{
	return v->n;
}

const char *
pgl_vocab_string(PglVocab *v, int32 code)
{
	Assert(code >= 0 && code < v->n);
	return v->strs[code];
}

/* ---------- ordering a vocabulary ---------- */

static int
cmp_value_str(const void *a, const void *b)
{
	return strcmp(((const PglValueCount *) a)->str, ((const PglValueCount *) b)->str);
}

static int
cmp_value_num(const void *a, const void *b)
{
	double x = ((const PglValueCount *) a)->num, y = ((const PglValueCount *) b)->num;

	if (x != y)
		return x < y ? -1 : 1;
	return cmp_value_str(a, b);
}

void
pgl_sort_value_counts(PglValueCount *vc, int64 n, bool numeric_order)
{
	if (numeric_order)
		for (int64 i = 0; i < n; i++)
			vc[i].num = strtod(vc[i].str, NULL);
	qsort(vc, n, sizeof(PglValueCount), numeric_order ? cmp_value_num : cmp_value_str);
}
