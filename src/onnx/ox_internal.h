/*-------------------------------------------------------------------------
 *
 * ox_internal.h
 *	  Internals of the ONNX runtime shared by its files (not for kernels):
 *	  the model's block allocator, the protobuf cursor, the plan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_OX_INTERNAL_H
#define PGL_OX_INTERNAL_H

#include "onnx.h"

/* ---------- a block allocator owned by the model (pool.c) ---------- */

typedef struct ox_pool
{
	const pgl_env	*env;
	struct ox_block *blocks;
	size_t			 used;	/* bytes taken from env in all */
	size_t			 limit; /* most bytes it may take */
} ox_pool;

extern void ox_pool_init(ox_pool *p, const pgl_env *env, size_t limit);
/* zeroed, 16-byte aligned; NULL (and st set) on failure or over the limit */
extern void *ox_palloc(ox_pool *p, size_t size, pgl_status *st);
extern char *ox_pstrndup(ox_pool *p, const uint8_t *s, size_t len, pgl_status *st);
extern void	 ox_pool_free(ox_pool *p);

/* ---------- protobuf wire format (pb.c) ---------- */

typedef struct ox_pb
{
	const uint8_t *p;
	const uint8_t *end;
} ox_pb;

enum
{
	OX_WT_VARINT = 0,
	OX_WT_I64 = 1,
	OX_WT_LEN = 2,
	OX_WT_I32 = 5
};

typedef struct ox_field
{
	uint32_t num;
	int		 wt;
	uint64_t v;	  /* varint, I64, I32 */
	ox_pb	 sub; /* LEN: the bytes */
} ox_field;

/*
 * Read the next field of a message: 1 and *f set, 0 at the end of the
 * message, -1 on malformed input (st set, naming what).
 */
extern int ox_pb_next(ox_pb *c, ox_field *f, const char *what, pgl_status *st);
extern int ox_pb_varint(ox_pb *c, uint64_t *v);

/* ---------- the model's private part ---------- */

typedef struct ox_model_priv
{
	ox_pool pool;
} ox_model_priv;

/* the model as allocated: the public struct first */
typedef struct ox_model
{
	pgl_ox_model  pub;
	ox_model_priv priv;
} ox_model;

#define OX_PRIV(m) (&((ox_model *) (m))->priv)

/* ---------- the plan (plan.c) ---------- */

enum
{
	OX_SLOT_INPUT = 1, /* a graph input: the caller's tensor */
	OX_SLOT_CONST = 2, /* an initializer or a folded Constant: the model's tensor */
	OX_SLOT_VALUE = 3  /* a node output: an arena buffer */
};

typedef struct ox_slot
{
	const char			*name;
	int32_t				 kind;
	int32_t				 index;	   /* input: m->inputs index; const: the tensor below */
	const pgl_ox_tensor *constant; /* OX_SLOT_CONST */
	int32_t				 producer; /* node index, -1 */
	int32_t				 last_use; /* step after which it is released; INT32_MAX: never */
} ox_slot;

struct pgl_ox_plan
{
	int32_t	 n_slots;
	ox_slot *slots;
	int32_t	 n_steps;
	int32_t *steps;		   /* node indexes in execution order */
	int32_t *release_at;   /* n_steps + 1 offsets into release */
	int32_t *release;	   /* slots to release after each step */
	int32_t *input_slots;  /* m->n_inputs */
	int32_t *output_slots; /* m->n_outputs */
	int32_t	 max_in, max_out;
};

/* name -> slot lookup (a hash table in the pool) */
typedef struct ox_names
{
	int32_t		 cap;
	const char **keys;
	int32_t		*vals;
} ox_names;

extern pgl_rc ox_names_init(ox_names *h, ox_pool *p, int64_t n, pgl_status *st);
/* the value of key, or -1 */
extern int32_t ox_names_get(const ox_names *h, const char *key);
/* add key (not present) */
extern void ox_names_put(ox_names *h, const char *key, int32_t val);

#endif /* PGL_OX_INTERNAL_H */
