/*-------------------------------------------------------------------------
 *
 * onnx.h
 *	  pg_learn's ONNX runtime: reader, validator, planner, executor, and the
 *	  interface operator kernels are written against.
 *
 * Pure C11 like src/algo (no postgres.h): memory through pgl_env,
 * failures through pgl_status, interrupts through env->check_interrupts
 * between nodes.
 *
 * Life of a model:
 *
 *	pgl_ox_load(env, bytes, len, limits, &model, st)
 *		decode the ModelProto (src/onnx/reader.c), validate it (validate.c:
 *		opset, domains, op types, each op's static check, names, dtypes,
 *		initializer sizes, acyclicity) and build its plan (plan.c: node
 *		order, value slots, last uses).  The model is read-only afterwards
 *		and may be shared by several executors of one thread each.
 *	pgl_ox_exec_new(model, st)
 *		an executor: the value slots and an arena of buffers.
 *	pgl_ox_run(x, inputs, n_inputs, st)
 *		run on the graph inputs (the non-initializer inputs, in graph order);
 *		the graph outputs are then pgl_ox_result(x, i), owned by the
 *		executor and valid until the next run.  A second run with the same
 *		input shapes allocates nothing.
 *
 * Writing a kernel (ops_*.c, one file per group of operators): a kernel
 * gets the node, its inputs (in[i] is NULL for an absent optional input)
 * and outputs (out[i] NULL for an output nobody asked for), checks the
 * input dtypes and shapes, computes the output shapes, asks for each
 * output's buffer with pgl_ox_output() and fills it.  It may ask for
 * temporary memory with pgl_ox_scratch().  It allocates nothing itself.
 * An optional static check runs once at import, on the node alone
 * (attributes, input counts, constant inputs): it may reject the node, and
 * may hang precomputed state on n->state (allocated with
 * pgl_ox_state_alloc: the model frees it).  One line per op in the table of ops.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ONNX_H
#define PGL_ONNX_H

#include "pgl_algo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- tensors ---------- */

/* ONNX TensorProto.DataType numbers; every other type is refused */
typedef enum pgl_ox_dtype
{
	PGL_OX_FLOAT = 1,  /* float */
	PGL_OX_INT32 = 6,  /* int32_t */
	PGL_OX_INT64 = 7,  /* int64_t */
	PGL_OX_BOOL = 9,   /* uint8_t, 0 or 1 */
	PGL_OX_DOUBLE = 11 /* double */
} pgl_ox_dtype;

#define PGL_OX_MAX_DIMS 8

typedef struct pgl_ox_tensor
{
	int32_t		dtype; /* pgl_ox_dtype */
	int32_t		ndim;  /* 0 (a scalar) to PGL_OX_MAX_DIMS */
	int64_t		dims[PGL_OX_MAX_DIMS];
	int64_t		count; /* product of dims (1 for a scalar) */
	void	   *data;  /* count elements, row-major */
	const char *name;  /* the value's name in the graph, or NULL */
	/* executor-private: the arena buffer behind data (-1: none) */
	int32_t buf;
} pgl_ox_tensor;

/* bytes of one element of dtype; 0 if the dtype is not supported */
extern size_t pgl_ox_dtype_size(int32_t dtype);

/* "float", "int64", ...; "unsupported" for others */
extern const char *pgl_ox_dtype_name(int32_t dtype);

/*
 * Element count of a shape, refusing a negative dim, an overflow, or a
 * count over max_count (the caller's bound; <= 0: INT64_MAX / 16).
 */
extern pgl_rc pgl_ox_shape_count(int32_t ndim, const int64_t *dims, int64_t max_count,
								 int64_t *count, pgl_status *st);

/* ---------- nodes and attributes ---------- */

/* AttributeProto.AttributeType numbers */
typedef enum pgl_ox_attr_type
{
	PGL_OX_ATTR_FLOAT = 1,
	PGL_OX_ATTR_INT = 2,
	PGL_OX_ATTR_STRING = 3,
	PGL_OX_ATTR_TENSOR = 4,
	PGL_OX_ATTR_GRAPH = 5, /* kept as a type only: no subgraph is read */
	PGL_OX_ATTR_FLOATS = 6,
	PGL_OX_ATTR_INTS = 7,
	PGL_OX_ATTR_STRINGS = 8
} pgl_ox_attr_type;

typedef struct pgl_ox_attr
{
	char		  *name;
	int32_t		   type; /* pgl_ox_attr_type */
	float		   f;
	int64_t		   i;
	char		  *s; /* NUL-terminated (a string with a NUL inside is refused) */
	pgl_ox_tensor *t;
	int32_t		   n; /* elements of floats, ints or strings */
	float		  *floats;
	int64_t		  *ints;
	char		 **strings;
} pgl_ox_attr;

typedef struct pgl_ox_op pgl_ox_op;

typedef struct pgl_ox_node
{
	char		*name; /* may be "" */
	char		*op_type;
	char		*domain; /* "" for the default domain (ai.onnx) */
	int32_t		 n_inputs;
	char	   **inputs; /* "" marks an absent optional input */
	int32_t		 n_outputs;
	char	   **outputs; /* "" marks an unused optional output */
	int32_t		 n_attrs;
	pgl_ox_attr *attrs;

	/* set by validation */
	const pgl_ox_op *op;
	int32_t			 opset;		/* the model's opset of the node's domain */
	int32_t			*in_slots;	/* n_inputs value slots, -1 if absent */
	int32_t			*out_slots; /* n_outputs value slots, -1 if unused */
	void			*state;		/* a static check's state (pgl_ox_state_alloc) */
	/* set by planning: a Conv applies the Relu that read its output alone (plan.c) */
	bool fused_relu;
} pgl_ox_node;

/* the attribute called name, or NULL */
extern const pgl_ox_attr *pgl_ox_attr_find(const pgl_ox_node *n, const char *name);

/* typed getters: the default when the attribute is absent (or of another type) */
extern int64_t	   pgl_ox_attr_int(const pgl_ox_node *n, const char *name, int64_t dflt);
extern float	   pgl_ox_attr_float(const pgl_ox_node *n, const char *name, float dflt);
extern const char *pgl_ox_attr_string(const pgl_ox_node *n, const char *name, const char *dflt);
/* NULL when absent */
extern const pgl_ox_tensor *pgl_ox_attr_tensor(const pgl_ox_node *n, const char *name);
/* element count and *v, or -1 (and *v NULL) when absent */
extern int32_t pgl_ox_attr_ints(const pgl_ox_node *n, const char *name, const int64_t **v);
extern int32_t pgl_ox_attr_floats(const pgl_ox_node *n, const char *name, const float **v);

/* ---------- the model ---------- */

/* a graph input or output as the model declares it (ValueInfoProto) */
typedef struct pgl_ox_value_info
{
	char   *name;
	int32_t dtype;						 /* 0 when the model does not say (outputs only) */
	int32_t ndim;						 /* -1 when the model gives no shape */
	int64_t dims[PGL_OX_MAX_DIMS];		 /* -1 for a symbolic or unknown dim */
	char   *dim_params[PGL_OX_MAX_DIMS]; /* the symbol ("batch") or NULL */
} pgl_ox_value_info;

/* limits the reader and executor enforce; the glue derives them from pg_learn.max_train_memory */
typedef struct pgl_ox_limits
{
	int64_t max_bytes;	  /* the serialized model, and the initializers' data in all */
	int64_t max_nodes;	  /* nodes of the graph */
	int64_t max_tensors;  /* initializers + values */
	int64_t max_attrs;	  /* attributes of one node, and elements of a list attribute */
	int64_t max_elements; /* elements of any one tensor, at import or at run time */
	int64_t max_arena;	  /* bytes the executor's buffers may take in all */
} pgl_ox_limits;

/* defaults for tools and tests: 1 GB of model, 100,000 nodes, 2^28 elements, 4 GB arena */
extern void pgl_ox_limits_default(pgl_ox_limits *lim);

/*
 * The defaults lowered to env->max_memory when it is set (a backend:
 * pg_learn.max_train_memory): the model's bytes and the arena to it, a
 * tensor's elements to a quarter of it.
 */
extern void pgl_ox_limits_env(const pgl_env *env, pgl_ox_limits *lim);

typedef struct pgl_ox_plan pgl_ox_plan;

typedef struct pgl_ox_model
{
	const pgl_env *env;
	pgl_ox_limits  limits;

	int64_t ir_version;
	int64_t opset;	  /* of the default domain */
	int64_t opset_ml; /* of ai.onnx.ml, 0 if not imported */
	char   *producer_name;
	char   *producer_version;
	char   *graph_name;

	int32_t		 n_nodes;
	pgl_ox_node *nodes; /* as the file lists them */

	int32_t		   n_initializers;
	pgl_ox_tensor *initializers; /* name set; data owned by the model */

	/* graph inputs that are not initializers: what pgl_ox_run takes, in order */
	int32_t			   n_inputs;
	pgl_ox_value_info *inputs;
	int32_t			   n_outputs;
	pgl_ox_value_info *outputs;

	pgl_ox_plan *plan; /* built by pgl_ox_load */
} pgl_ox_model;

/* decode + validate + plan; on failure *out is NULL and everything is freed */
extern pgl_rc pgl_ox_load(const pgl_env *env, const uint8_t *buf, size_t len,
						  const pgl_ox_limits *lim, pgl_ox_model **out, pgl_status *st);

/* the steps of pgl_ox_load, for tests and tools */
extern pgl_rc pgl_ox_decode(const pgl_env *env, const uint8_t *buf, size_t len,
							const pgl_ox_limits *lim, pgl_ox_model **out, pgl_status *st);
extern pgl_rc pgl_ox_validate(pgl_ox_model *m, pgl_status *st);
extern pgl_rc pgl_ox_plan_build(pgl_ox_model *m, pgl_status *st);

extern void pgl_ox_model_free(pgl_ox_model *m);

/* memory owned by the model (zeroed; freed with it): for static checks' n->state */
extern void *pgl_ox_state_alloc(const pgl_ox_model *m, size_t size, pgl_status *st);

/*
 * Decode one serialized TensorProto (a conformance test's input_0.pb, or a
 * tensor a user passes as bytea) under the limits; *out owns its data and
 * is freed with pgl_ox_tensor_free.
 */
extern pgl_rc pgl_ox_tensor_decode(const pgl_env *env, const uint8_t *buf, size_t len,
								   const pgl_ox_limits *lim, pgl_ox_tensor **out, pgl_status *st);
extern void	  pgl_ox_tensor_free(pgl_ox_tensor *t);

/*
 * For static checks: input i of node n when it is a constant (an
 * initializer, or the output of a Constant node), else NULL.
 */
extern const pgl_ox_tensor *pgl_ox_const_input(const pgl_ox_model *m, const pgl_ox_node *n, int i);

/* opsets the runtime supports in the default domain */
#define PGL_OX_OPSET_MIN 6
#define PGL_OX_OPSET_MAX 17

/* ---------- the executor ---------- */

typedef struct pgl_ox_exec pgl_ox_exec;

extern pgl_ox_exec *pgl_ox_exec_new(const pgl_ox_model *m, pgl_status *st);
extern void			pgl_ox_exec_free(pgl_ox_exec *x);

/*
 * Run the graph.  inputs[i] goes with m->inputs[i] (its dtype must match,
 * its rank and fixed dims too; symbolic dims take any size).  Their data
 * is only read, and must stay valid during the call.
 */
extern pgl_rc pgl_ox_run(pgl_ox_exec *x, const pgl_ox_tensor *inputs, int n_inputs, pgl_status *st);

/* graph output i (m->outputs order) of the last successful run */
extern const pgl_ox_tensor *pgl_ox_result(const pgl_ox_exec *x, int i);

/* bytes the executor's buffers hold, and how many allocations it made in all */
extern int64_t pgl_ox_exec_bytes(const pgl_ox_exec *x);
extern int64_t pgl_ox_exec_allocs(const pgl_ox_exec *x);

/* ---------- for kernels ---------- */

/*
 * Give out (an output of the running node) its dtype and shape and a
 * buffer for its data (arena-backed, reused across runs, contents
 * undefined).  Refuses shapes over the limits.
 */
extern pgl_rc pgl_ox_output(pgl_ox_exec *x, pgl_ox_tensor *out, int32_t dtype, int32_t ndim,
							const int64_t *dims, pgl_status *st);

/* temporary bytes for the running kernel, valid until it returns (one buffer per call) */
extern void *pgl_ox_scratch(pgl_ox_exec *x, size_t bytes, pgl_status *st);

/* a kernel: computes out[] from in[] (see the top of this file) */
typedef pgl_rc (*pgl_ox_kernel)(pgl_ox_exec *x, const pgl_ox_node *n, pgl_ox_tensor **in, int n_in,
								pgl_ox_tensor **out, int n_out, pgl_status *st);

/* a static check at import; may set n->state */
typedef pgl_rc (*pgl_ox_check)(const pgl_ox_model *m, pgl_ox_node *n, pgl_status *st);

struct pgl_ox_op
{
	const char	 *op_type;
	const char	 *domain;		  /* "" (ai.onnx) or "ai.onnx.ml" */
	int32_t		  since, until;	  /* opset range served, inclusive */
	int32_t		  min_in, max_in; /* input count (absent optional ones included) */
	int32_t		  min_out, max_out;
	pgl_ox_kernel run;
	pgl_ox_check  check; /* NULL: nothing beyond the counts */
};

/* the op table (ops.c) */
extern const pgl_ox_op pgl_ox_ops[];
extern const int	   pgl_ox_n_ops;

/* the entry for op_type in domain at opset, or NULL */
extern const pgl_ox_op *pgl_ox_find_op(const char *domain, const char *op_type, int64_t opset);

/* ---------- helpers for kernels (broadcast.c) ---------- */

/* numpy (multidirectional) broadcast of shapes a and b into out; refuses incompatible dims */
extern pgl_rc pgl_ox_broadcast_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b,
									 int32_t *nout, int64_t *out, pgl_status *st);

/*
 * Element strides of a tensor of shape (nt, tdims) broadcast to shape
 * (ndim, dims), right-aligned: 0 on a broadcast dim.
 */
extern void pgl_ox_broadcast_strides(int32_t nt, const int64_t *tdims, int32_t ndim,
									 const int64_t *dims, int64_t *strides);

/*
 * A walk over every element of an output shape with the matching offsets
 * into up to 3 broadcast inputs, innermost dim in runs:
 *
 *	pgl_ox_bcast it;
 *	pgl_ox_bcast_init(&it, ndim, dims, n_in, shapes...);
 *	while (pgl_ox_bcast_next(&it))
 *		for (k = 0; k < it.len; k++)
 *			out[it.out + k] = a[it.off[0] + k * it.step[0]] + b[it.off[1] + k * it.step[1]];
 */
typedef struct pgl_ox_bcast
{
	int32_t ndim;
	int64_t dims[PGL_OX_MAX_DIMS];
	int32_t n;
	int64_t strides[3][PGL_OX_MAX_DIMS];
	int64_t idx[PGL_OX_MAX_DIMS];
	int64_t total, done;
	/* the current run */
	int64_t out, len;
	int64_t off[3], step[3];
} pgl_ox_bcast;

extern void pgl_ox_bcast_init(pgl_ox_bcast *it, int32_t ndim, const int64_t *dims, int32_t n,
							  const pgl_ox_tensor *const *ins);
extern bool pgl_ox_bcast_next(pgl_ox_bcast *it);

/* normalise an axis in [-r, r - 1] to [0, r - 1]; refuses others naming the node */
extern pgl_rc pgl_ox_axis(const pgl_ox_node *n, int64_t axis, int32_t r, int32_t *out,
						  pgl_status *st);

/* a value of a tensor of any supported dtype as double / as int64 */
extern double  pgl_ox_get_f64(const pgl_ox_tensor *t, int64_t i);
extern int64_t pgl_ox_get_i64(const pgl_ox_tensor *t, int64_t i);

/* set a failure with a detail sentence */
extern pgl_rc pgl_ox_fail(pgl_status *st, pgl_rc rc, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* PGL_ONNX_H */
