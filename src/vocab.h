/*-------------------------------------------------------------------------
 *
 * vocab.h
 *	  Vocabularies of categorical values and their order (vocab.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_VOCAB_H
#define PGL_VOCAB_H

#include "glue.h"

/* a vocabulary of strings with a dense code per distinct value */
typedef struct PglVocab PglVocab;

extern PglVocab	  *pgl_vocab_create(MemoryContext cxt);
extern int32	   pgl_vocab_intern(PglVocab *v, const char *s, Size len);
extern int32	   pgl_vocab_size(PglVocab *v);
extern const char *pgl_vocab_string(PglVocab *v, int32 code);

/*
 * A value of a categorical column (or class label) with the number of
 * training rows that hold it.  pgl_sort_value_counts orders values as every
 * vocabulary is ordered: by strcmp, or numerically (then by strcmp) for
 * integer labels; it fills num itself.
 */
typedef struct PglValueCount
{
	const char *str;
	int32		code;  /* the caller's code of the value (e.g. in a PglVocab) */
	int64		count; /* training rows */
	double		num;   /* numeric order: the value as a number */
} PglValueCount;

extern void pgl_sort_value_counts(PglValueCount *vc, int64 n, bool numeric_order);

#endif /* PGL_VOCAB_H */
