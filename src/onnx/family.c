/*-------------------------------------------------------------------------
 *
 * family.c
 *	  The "onnx" algorithm family: import an ONNX file as a pg_learn model,
 *	  validate and prepare it when its blob is read, predict encoded rows.
 *
 * See family.h for the tensors.  The features follow from the graph
 * inputs (the non-initializer ones, in graph order): each input's first
 * dim is the batch (symbolic, unknown or 1), the others fixed; an input of
 * one value per row is a numeric feature named after it, an input of W > 1
 * values is W elements of an array column named after it (flattened
 * row-major), or, with the option "columns", the one [N, F] input is F
 * numeric columns.  So the encoded row is the graph inputs flattened one
 * after the other, and predict only converts and copies.
 *
 *-------------------------------------------------------------------------
 */
#include "family.h"
#include "algorithms.h"
#include "model_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pgl_option_spec pgl_onnx_options[] = {PGL_OPTION_END};

/* rows per run when the graph takes a batch: bounds the input buffers */
#define ONNX_CHUNK_ROWS 256

/* what pgl_onnx_prepare keeps in m->runtime */
typedef struct onnx_runtime
{
	pgl_env		   env; /* a heap copy: the reader's env may be on its caller's stack */
	pgl_ox_model  *ox;
	pgl_ox_exec	  *x;
	int32_t		   n_in;
	pgl_ox_tensor *in;		 /* n_in input tensors, buffers for cap rows */
	int64_t		  *width;	 /* values per row of each input */
	int64_t		  *offset;	 /* its first column in the encoded row */
	int64_t		   cap;		 /* rows the input buffers hold */
	int64_t		   max_rows; /* 1 when an input has a fixed batch of 1 */
	const int32_t *io;
	const int32_t *class_map;
} onnx_runtime;

/* ---------- graph inputs ---------- */

/*
 * Values per row of graph input vi (the dims after the batch); refuses a
 * missing shape, a fixed batch other than 1, a symbolic inner dim and an
 * unsupported dtype.  *batch_one: the batch dim is fixed to 1.
 */
pgl_rc
pgl_onnx_input_width(const pgl_ox_value_info *vi, int64_t *width, bool *batch_one, char *hint,
					 size_t hint_size, pgl_status *st)
{
	int64_t w = 1;

	if (vi->dtype != PGL_OX_FLOAT && vi->dtype != PGL_OX_DOUBLE && vi->dtype != PGL_OX_INT64 &&
		vi->dtype != PGL_OX_INT32)
	{
		snprintf(hint, hint_size, "Export the model with float, double, int64 or int32 inputs.");
		return pgl_fail(st, PGL_ERR_INVALID, "ONNX input \"%s\" has type %s, not a number type",
						vi->name, pgl_ox_dtype_name(vi->dtype));
	}
	if (vi->ndim < 1)
	{
		snprintf(hint, hint_size,
				 "Export the model with the input's shape, its first dim the batch (torch.onnx."
				 "export with dynamic_axes={\"%s\": {0: \"batch\"}}).",
				 vi->name);
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX input \"%s\" has %s, and pg_learn needs a batch dim", vi->name,
						vi->ndim < 0 ? "no declared shape" : "no dims");
	}
	if (vi->dims[0] >= 0 && vi->dims[0] != 1)
	{
		snprintf(hint, hint_size,
				 "Export the model with a dynamic batch axis: torch.onnx.export(..., "
				 "dynamic_axes={\"%s\": {0: \"batch\"}}).",
				 vi->name);
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX input \"%s\" has a fixed batch size of %lld, and pg_learn feeds any "
						"number of rows",
						vi->name, (long long) vi->dims[0]);
	}
	*batch_one = vi->dims[0] == 1;
	for (int32_t d = 1; d < vi->ndim; d++)
	{
		if (vi->dims[d] < 1)
		{
			snprintf(hint, hint_size,
					 "Only the first dim (the batch) may be dynamic: export with a fixed size for "
					 "the others.");
			return pgl_fail(st, PGL_ERR_INVALID,
							"ONNX input \"%s\" dim %d is %s, and pg_learn needs a fixed row width",
							vi->name, (int) d, vi->dims[d] == 0 ? "0" : "symbolic");
		}
		w *= vi->dims[d];
		if (w > PGL_MAX_ARRAY_LENGTH)
		{
			snprintf(hint, hint_size, "A row may have at most %d values in all.",
					 PGL_MAX_ARRAY_LENGTH);
			return pgl_fail(st, PGL_ERR_INVALID,
							"ONNX input \"%s\" has more than %d values per row", vi->name,
							PGL_MAX_ARRAY_LENGTH);
		}
	}
	*width = w;
	return PGL_OK;
}

/* ---------- validate (the tensors; the graph itself in prepare) ---------- */

static const pgl_tensor *
tensor_of(const pgl_model *m, const char *name, int32_t dtype, int32_t ndim)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	return t != NULL && t->dtype == dtype && t->ndim == ndim ? t : NULL;
}

pgl_rc
pgl_onnx_validate(const pgl_model *m, pgl_status *st)
{
	const pgl_tensor *bytes = tensor_of(m, "onnx", PGL_U8, 1);
	const pgl_tensor *io = tensor_of(m, "onnx_io", PGL_I32, 1);
	const pgl_tensor *map = pgl_model_tensor(m, "class_map");
	bool			  cls = m->task == PGL_TASK_CLASSIFICATION;
	const int32_t	 *v;

	if (bytes == NULL || bytes->dims[0] < 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "onnx model has no \"onnx\" tensor of u8 bytes");
	if (io == NULL || io->dims[0] != PGL_ONNX_IO_LEN)
		return pgl_fail(st, PGL_ERR_CORRUPT, "onnx model has no \"onnx_io\" tensor of 3 i32");
	v = io->data;
	if (v[PGL_ONNX_IO_OUTPUT] < 0 ||
		(cls ? v[PGL_ONNX_IO_KIND] != PGL_ONNX_PROBABILITIES &&
				   v[PGL_ONNX_IO_KIND] != PGL_ONNX_LOGITS
			 : v[PGL_ONNX_IO_KIND] != PGL_ONNX_VALUES) ||
		(cls ? v[PGL_ONNX_IO_WIDTH] != 0 && v[PGL_ONNX_IO_WIDTH] != m->n_classes &&
				   !(m->n_classes == 2 && v[PGL_ONNX_IO_WIDTH] == 1)
			 : v[PGL_ONNX_IO_WIDTH] != 0 && v[PGL_ONNX_IO_WIDTH] != 1))
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"onnx model \"onnx_io\" (output %d, kind %d, width %d) does not fit its "
						"task and %d classes",
						(int) v[0], (int) v[1], (int) v[2], (int) m->n_classes);
	if (!cls)
	{
		if (map != NULL)
			return pgl_fail(st, PGL_ERR_CORRUPT, "onnx regression model has a \"class_map\"");
		return PGL_OK;
	}
	if (map == NULL || map->dtype != PGL_I32 || map->ndim != 1 || map->dims[0] != m->n_classes)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"onnx classifier has no \"class_map\" tensor of %d i32",
						(int) m->n_classes);
	if (m->n_classes > PGL_ONNX_MAX_CLASSES)
		return pgl_fail(st, PGL_ERR_CORRUPT, "onnx model has %d classes, more than %d",
						(int) m->n_classes, PGL_ONNX_MAX_CLASSES);
	{
		const int32_t *cm = map->data;
		uint8_t		   seen[(PGL_ONNX_MAX_CLASSES + 7) / 8]; /* 12.5 kB, no allocation */

		/* a permutation of 0 .. n_classes - 1 */
		memset(seen, 0, ((size_t) m->n_classes + 7) / 8);
		for (int32_t j = 0; j < m->n_classes; j++)
		{
			int32_t c = cm[j];

			if (c < 0 || c >= m->n_classes)
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"onnx model class_map[%d] = %d is out of range", (int) j, (int) c);
			if (seen[c / 8] & (1 << (c % 8)))
				return pgl_fail(st, PGL_ERR_CORRUPT,
								"onnx model class_map maps two columns to class %d", (int) c);
			seen[c / 8] |= (uint8_t) (1 << (c % 8));
		}
	}
	return PGL_OK;
}

/* ---------- prepare; the graph and its executor on first use ---------- */

/* back to what prepare left: no graph, no executor, no input buffers */
static void
runtime_drop(onnx_runtime *rt)
{
	if (rt->in)
		for (int32_t i = 0; i < rt->n_in; i++)
			pgl_free(&rt->env, rt->in[i].data);
	pgl_free(&rt->env, rt->in);
	pgl_free(&rt->env, rt->width);
	pgl_free(&rt->env, rt->offset);
	if (rt->x)
		pgl_ox_exec_free(rt->x);
	if (rt->ox)
		pgl_ox_model_free(rt->ox);
	rt->in = NULL;
	rt->width = rt->offset = NULL;
	rt->x = NULL;
	rt->ox = NULL;
	rt->n_in = 0;
	rt->cap = 0;
}

static void
runtime_free(void *p)
{
	onnx_runtime *rt = p;
	pgl_env		  env = rt->env;

	runtime_drop(rt);
	pgl_free(&env, rt);
}

/* the graph's inputs against the model's encoded row */
static pgl_rc
prepare_inputs(onnx_runtime *rt, const pgl_model *m, pgl_status *st)
{
	char	hint[256];
	int64_t total = 0;

	rt->n_in = rt->ox->n_inputs;
	rt->in = pgl_alloc0(&rt->env, sizeof(pgl_ox_tensor) * (size_t) (rt->n_in + 1));
	rt->width = pgl_alloc0(&rt->env, sizeof(int64_t) * (size_t) (rt->n_in + 1));
	rt->offset = pgl_alloc0(&rt->env, sizeof(int64_t) * (size_t) (rt->n_in + 1));
	if (rt->in == NULL || rt->width == NULL || rt->offset == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	if (rt->n_in < 1)
		return pgl_fail(st, PGL_ERR_CORRUPT, "onnx model's graph has no inputs");
	rt->max_rows = INT64_MAX;
	for (int32_t i = 0; i < rt->n_in; i++)
	{
		const pgl_ox_value_info *vi = &rt->ox->inputs[i];
		bool					 one;

		if (pgl_onnx_input_width(vi, &rt->width[i], &one, hint, sizeof(hint), st) != PGL_OK)
			return PGL_ERR_CORRUPT;
		if (one)
			rt->max_rows = 1;
		rt->offset[i] = total;
		total += rt->width[i];
		rt->in[i].dtype = vi->dtype;
		rt->in[i].ndim = vi->ndim;
		memcpy(rt->in[i].dims, vi->dims, sizeof(vi->dims));
		rt->in[i].name = vi->name;
		rt->in[i].buf = -1;
	}
	if (total != m->n_inputs)
		return pgl_fail(st, PGL_ERR_CORRUPT,
						"onnx model has %d inputs, and its graph's inputs take %lld values per row",
						(int) m->n_inputs, (long long) total);
	if (rt->io[PGL_ONNX_IO_OUTPUT] >= rt->ox->n_outputs)
		return pgl_fail(st, PGL_ERR_CORRUPT, "onnx model reads output %d of a graph with %d",
						(int) rt->io[PGL_ONNX_IO_OUTPUT], (int) rt->ox->n_outputs);
	return PGL_OK;
}

/*
 * The graph (decode, validate, plan) and, when exec, its executor: built
 * once, on first use, under the limits of lim_env->max_memory (the
 * caller's at that use: a backend's current pg_learn.max_train_memory, so
 * a load refused over the limits runs once the setting is raised), or of
 * the env the blob was read with when lim_env is NULL.  A file that
 * imported but no longer loads is a corrupt model, unless it is over the
 * limits.
 */
static pgl_rc
runtime_ready(const pgl_model *m, onnx_runtime *rt, bool exec, const pgl_env *lim_env,
			  pgl_status *st)
{
	const pgl_tensor *bytes;
	pgl_ox_limits	  lim;
	pgl_rc			  rc = PGL_OK;

	if (rt == NULL || m->algorithm != PGL_ALGO_ONNX)
		return pgl_fail(st, PGL_ERR_INVALID, "model is not a prepared onnx model");
	if (rt->ox == NULL)
	{
		bytes = pgl_model_tensor(m, "onnx");
		pgl_ox_limits_env(lim_env ? lim_env : &rt->env, &lim);
		rc = pgl_ox_load(&rt->env, bytes->data, (size_t) bytes->dims[0], &lim, &rt->ox, st);
		if (rc == PGL_OK)
			rc = prepare_inputs(rt, m, st);
	}
	if (rc == PGL_OK && exec && rt->x == NULL)
		rc = (rt->x = pgl_ox_exec_new(rt->ox, st)) != NULL ? PGL_OK : st->rc;
	if (rc == PGL_OK)
		return PGL_OK;
	runtime_drop(rt);
	if (rc != PGL_ERR_NOMEM && strstr(st->msg, "limit") == NULL)
		st->rc = rc = PGL_ERR_CORRUPT;
	return rc;
}

/*
 * Nothing to decode yet: the row encoder, export and ai_import_model of a
 * blob read models that never predict.  Only the environment is kept (a
 * heap copy: the reader's env may be on its caller's stack).
 */
pgl_rc
pgl_onnx_prepare(const pgl_env *env, pgl_model *m, pgl_status *st)
{
	onnx_runtime *rt = pgl_alloc0(env, sizeof(onnx_runtime));

	if (rt == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rt->env = *env;
	m->runtime = rt;
	m->runtime_free = runtime_free;
	rt->io = pgl_model_tensor(m, "onnx_io")->data;
	rt->class_map =
		m->task == PGL_TASK_CLASSIFICATION ? pgl_model_tensor(m, "class_map")->data : NULL;
	return PGL_OK;
}

pgl_rc
pgl_onnx_graph(const pgl_model *m, const pgl_ox_model **graph, pgl_status *st)
{
	onnx_runtime *rt = m->runtime;
	pgl_rc		  rc = runtime_ready(m, rt, false, NULL, st);

	*graph = rc == PGL_OK ? rt->ox : NULL;
	return rc;
}

bool
pgl_onnx_loaded(const pgl_model *m)
{
	const onnx_runtime *rt = m->runtime;

	return m->algorithm == PGL_ALGO_ONNX && rt != NULL && rt->ox != NULL;
}

/* ---------- predict ---------- */

/* make the input buffers hold rows rows (grown, never per row) */
static pgl_rc
reserve_rows(onnx_runtime *rt, int64_t rows, pgl_status *st)
{
	if (rows <= rt->cap)
		return PGL_OK;
	/* the buffers hold cap rows only once all of them are allocated */
	rt->cap = 0;
	for (int32_t i = 0; i < rt->n_in; i++)
	{
		size_t bytes = (size_t) rows * (size_t) rt->width[i] * pgl_ox_dtype_size(rt->in[i].dtype);

		pgl_free(&rt->env, rt->in[i].data);
		rt->in[i].data = pgl_alloc(&rt->env, bytes);
		if (rt->in[i].data == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	rt->cap = rows;
	return PGL_OK;
}

/* encoded value v of feature f as an element of an input of dtype */
static pgl_rc
put_value(const pgl_model *m, pgl_ox_tensor *t, int64_t k, int64_t f, double v, pgl_status *st)
{
	const pgl_feature *feat = &m->features[f];

	if (isnan(v))
		return pgl_fail(st, PGL_ERR_INVALID,
						"feature \"%s\"%s is NULL, and an imported ONNX model has no value to put "
						"in its place",
						feat->name, feat->kind == PGL_FEATURE_ELEMENT ? " (an element)" : "");
	switch (t->dtype)
	{
		case PGL_OX_FLOAT:
			((float *) t->data)[k] = (float) v;
			return PGL_OK;
		case PGL_OX_DOUBLE:
			((double *) t->data)[k] = v;
			return PGL_OK;
		default:
			if (v != floor(v) || fabs(v) > (t->dtype == PGL_OX_INT32 ? 2147483647.0 : 9.0e15))
				return pgl_fail(st, PGL_ERR_INVALID,
								"feature \"%s\" is %g, and ONNX input \"%s\" takes integers",
								feat->name, v, t->name);
			if (t->dtype == PGL_OX_INT32)
				((int32_t *) t->data)[k] = (int32_t) v;
			else
				((int64_t *) t->data)[k] = (int64_t) v;
			return PGL_OK;
	}
}

/* run the graph on rows r0 .. r0 + rows - 1 of X */
static pgl_rc
run_chunk(const pgl_model *m, onnx_runtime *rt, const double *X, int64_t ld, int64_t r0,
		  int64_t rows, pgl_status *st)
{
	pgl_rc rc;

	if ((rc = reserve_rows(rt, rows, st)) != PGL_OK)
		return rc;
	for (int32_t i = 0; i < rt->n_in; i++)
	{
		pgl_ox_tensor *t = &rt->in[i];
		int64_t		   w = rt->width[i];

		t->dims[0] = rows;
		t->count = rows * w;
		for (int64_t j = 0; j < w; j++)
		{
			const double *col = X + (rt->offset[i] + j) * ld + r0;

			for (int64_t r = 0; r < rows; r++)
				if ((rc = put_value(m, t, r * w + j, rt->offset[i] + j, col[r], st)) != PGL_OK)
					return rc;
		}
	}
	return pgl_ox_run(rt->x, rt->in, rt->n_in, st);
}

/* the values per row of result t of a run on rows rows */
static pgl_rc
row_width(const pgl_ox_tensor *t, int64_t rows, int64_t *w, pgl_status *st)
{
	if (!((t->ndim >= 1 && t->dims[0] == rows) || (t->ndim == 0 && rows == 1)) || rows < 1 ||
		t->count % rows != 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX output \"%s\" has %d dims and %lld values for %lld rows: its first "
						"dim is not the batch",
						t->name ? t->name : "?", (int) t->ndim, (long long) t->count,
						(long long) rows);
	*w = t->count / rows;
	return PGL_OK;
}

/* one row's output values (w of them, at v) as n_classes probabilities in sorted order */
static pgl_rc
row_proba(const pgl_model *m, const onnx_runtime *rt, const pgl_ox_tensor *t, int64_t at, int64_t w,
		  double *out, pgl_status *st)
{
	bool   logits = rt->io[PGL_ONNX_IO_KIND] == PGL_ONNX_LOGITS;
	double p[2], mx = -INFINITY, sum = 0;

	if (w == 1)
	{
		double v = pgl_ox_get_f64(t, at);

		p[1] = logits ? 1.0 / (1.0 + exp(-v)) : v;
		p[0] = 1.0 - p[1];
	}
	for (int64_t j = 0; j < w && logits && w > 1; j++)
		mx = fmax(mx, pgl_ox_get_f64(t, at + j));
	for (int32_t j = 0; j < m->n_classes; j++)
	{
		double v = w == 1 ? p[j] : pgl_ox_get_f64(t, at + j);

		if (logits && w > 1)
			v = exp(v - mx);
		out[rt->class_map[j]] = v;
		sum += v;
	}
	for (int32_t j = 0; j < m->n_classes; j++)
	{
		double *v = &out[rt->class_map[j]];

		if (logits && w > 1)
			*v /= sum;
		if (!(*v >= -1e-6 && *v <= 1.0 + 1e-6))
			return pgl_fail(st, PGL_ERR_NUMERIC,
							"ONNX output \"%s\" gives %g for class \"%s\", not a probability",
							t->name ? t->name : "?", *v, m->classes[rt->class_map[j]]);
		*v = fmin(fmax(*v, 0.0), 1.0);
	}
	return PGL_OK;
}

/* the run's output into rows r0 .. r0 + rows - 1 of out */
static pgl_rc
take_output(const pgl_model *m, const onnx_runtime *rt, int64_t r0, int64_t rows, double *out,
			pgl_status *st)
{
	const pgl_ox_tensor *t = pgl_ox_result(rt->x, rt->io[PGL_ONNX_IO_OUTPUT]);
	bool				 cls = m->task == PGL_TASK_CLASSIFICATION;
	int64_t				 w = 0;
	pgl_rc				 rc;

	if ((rc = row_width(t, rows, &w, st)) != PGL_OK)
		return rc;
	if (cls ? !(w == m->n_classes || (m->n_classes == 2 && w == 1)) : w != 1)
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX output \"%s\" gives %lld values per row, and the model needs %s",
						t->name ? t->name : "?", (long long) w,
						cls ? (m->n_classes == 2 ? "2 (or 1: the second class's)" : "one per class")
							: "1");
	for (int64_t r = 0; r < rows; r++)
	{
		if (cls)
		{
			rc = row_proba(m, rt, t, r * w, w, out + (r0 + r) * m->n_classes, st);
			if (rc != PGL_OK)
				return rc;
		}
		else
		{
			out[r0 + r] = pgl_ox_get_f64(t, r);
			if (!isfinite(out[r0 + r]))
				return pgl_ox_fail(st, PGL_ERR_NUMERIC,
								   "An input far from what the model was trained on, or a model "
								   "that overflows, gives NaN or infinity.",
								   "ONNX output \"%s\" for row %lld is not finite",
								   t->name ? t->name : "?", (long long) (r0 + r + 1));
		}
	}
	return PGL_OK;
}

pgl_rc
pgl_onnx_predict(const pgl_env *env, const pgl_model *m, const double *X, int64_t ld, int64_t n,
				 double *out, pgl_status *st)
{
	onnx_runtime *rt = m->runtime;
	int64_t		  chunk;
	pgl_rc		  rc;

	if ((rc = runtime_ready(m, rt, true, env, st)) != PGL_OK)
		return rc;
	chunk = rt->max_rows < ONNX_CHUNK_ROWS ? rt->max_rows : ONNX_CHUNK_ROWS;
	for (int64_t r0 = 0; r0 < n; r0 += chunk)
	{
		int64_t rows = n - r0 < chunk ? n - r0 : chunk;

		if ((rc = run_chunk(m, rt, X, ld, r0, rows, st)) != PGL_OK ||
			(rc = take_output(m, rt, r0, rows, out, st)) != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

pgl_rc
pgl_onnx_run_rows(const pgl_model *m, const double *X, int64_t ld, int64_t n, int32_t output,
				  const pgl_ox_tensor **result, pgl_status *st)
{
	onnx_runtime *rt = m->runtime;
	pgl_rc		  rc;

	*result = NULL;
	if ((rc = runtime_ready(m, rt, true, NULL, st)) != PGL_OK)
		return rc;
	if (output < 0)
		output = rt->io[PGL_ONNX_IO_OUTPUT];
	if (output >= rt->ox->n_outputs || n < 1 || n > rt->max_rows)
		return pgl_fail(st, PGL_ERR_INVALID, "output %d or %lld rows are out of range",
						(int) output, (long long) n);
	if ((rc = run_chunk(m, rt, X, ld, 0, n, st)) != PGL_OK)
		return rc;
	*result = pgl_ox_result(rt->x, output);
	return PGL_OK;
}
