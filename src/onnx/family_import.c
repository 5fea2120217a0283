/*-------------------------------------------------------------------------
 *
 * family_import.c
 *	  pgl_onnx_import: an ONNX file as a new model of the "onnx" family
 *	  (family.h): features from the graph inputs, the output read and the
 *	  classes from the options, then the blob written and read back.
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

#define HINT(o, ...) snprintf((o)->hint, sizeof((o)->hint), __VA_ARGS__)

static char *
dup_str(const pgl_env *env, const char *s)
{
	size_t n = strlen(s);
	char  *d = pgl_alloc(env, n + 1);

	if (d)
		memcpy(d, s, n + 1);
	return d;
}

/* SQL type of a feature fed to an input of dtype (an array column's when element) */
static const char *
feature_type(int32_t dtype, bool element)
{
	switch (dtype)
	{
		case PGL_OX_FLOAT:
			return element ? "real[]" : "real";
		case PGL_OX_DOUBLE:
			return element ? "double precision[]" : "double precision";
		case PGL_OX_INT32:
			return element ? "integer[]" : "integer";
		default:
			return element ? "bigint[]" : "bigint";
	}
}

/* the features of the graph inputs (or of "columns") into m */
static pgl_rc
import_features(const pgl_env *env, const pgl_ox_model *ox, pgl_onnx_import_opts *o, pgl_model *m,
				pgl_status *st)
{
	int64_t widths[64], total = 0;
	int32_t f = 0;

	if (ox->n_inputs < 1 || ox->n_inputs > 64)
	{
		HINT(o, "pg_learn feeds graphs of 1 to 64 inputs.");
		return pgl_fail(st, PGL_ERR_INVALID, "the ONNX graph has %d inputs", (int) ox->n_inputs);
	}
	for (int32_t i = 0; i < ox->n_inputs; i++)
	{
		bool one;

		if (pgl_onnx_input_width(&ox->inputs[i], &widths[i], &one, o->hint, sizeof(o->hint), st) !=
			PGL_OK)
			return st->rc;
		total += widths[i];
	}
	if (total > PGL_MAX_ARRAY_LENGTH)
	{
		HINT(o, "A row may have at most %d values in all.", PGL_MAX_ARRAY_LENGTH);
		return pgl_fail(st, PGL_ERR_INVALID, "the ONNX graph's inputs take %lld values per row",
						(long long) total);
	}
	if (o->n_columns > 0 && (ox->n_inputs != 1 || widths[0] != o->n_columns))
	{
		HINT(o, "\"columns\" names the F columns of a graph with one input of shape [N, F].");
		return pgl_fail(st, PGL_ERR_INVALID,
						"\"columns\" names %d columns, and the graph has %d inputs of %lld values "
						"per row",
						(int) o->n_columns, (int) ox->n_inputs, (long long) total);
	}
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * (size_t) total);
	if (m->features == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	m->n_features = m->n_inputs = (int32_t) total;
	for (int32_t i = 0; i < ox->n_inputs; i++)
		for (int64_t j = 0; j < widths[i]; j++, f++)
		{
			pgl_feature *feat = &m->features[f];
			bool		 element = widths[i] > 1 && o->n_columns == 0;

			feat->name = dup_str(env, o->n_columns > 0 ? o->columns[j] : ox->inputs[i].name);
			feat->type_name = dup_str(env, feature_type(ox->inputs[i].dtype, element));
			if (feat->name == NULL || feat->type_name == NULL)
				return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
			feat->kind = element ? PGL_FEATURE_ELEMENT : PGL_FEATURE_NUMERIC;
			feat->impute = NAN;
			feat->element = element ? (int32_t) j : 0;
			feat->length = element ? (int32_t) widths[i] : 0;
		}
	for (int32_t a = 0; a < o->n_columns; a++)
	{
		if (o->columns[a][0] == '\0')
		{
			HINT(o, "Name each column of the graph's input with a non-empty name.");
			return pgl_fail(st, PGL_ERR_INVALID, "\"columns\" has an empty name at position %d",
							(int) a + 1);
		}
		for (int32_t b = 0; b < a; b++)
			if (strcmp(o->columns[a], o->columns[b]) == 0)
			{
				HINT(o, "Name each column once.");
				return pgl_fail(st, PGL_ERR_INVALID, "\"columns\" has \"%s\" twice", o->columns[a]);
			}
	}
	return PGL_OK;
}

/* values per row the output declares (0: not declared or symbolic) */
static int64_t
declared_width(const pgl_ox_value_info *vi)
{
	int64_t w = 1;

	if (vi->ndim < 1)
		return 0;
	for (int32_t d = 1; d < vi->ndim; d++)
	{
		if (vi->dims[d] < 0)
			return 0;
		w *= vi->dims[d];
	}
	return w;
}

/* the graph output read, the task and the classes */
static pgl_rc
import_output(const pgl_ox_model *ox, pgl_onnx_import_opts *o, pgl_model *m, int32_t *io,
			  pgl_status *st)
{
	int32_t					 out = o->output ? -1 : 0;
	const pgl_ox_value_info *vi;
	int64_t					 w;
	bool					 cls;

	for (int32_t i = 0; o->output && i < ox->n_outputs; i++)
		if (strcmp(ox->outputs[i].name, o->output) == 0)
			out = i;
	if (out < 0 || ox->n_outputs < 1)
	{
		char names[200] = "";

		for (int32_t i = 0; i < ox->n_outputs; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
					 ox->outputs[i].name);
		HINT(o, "The graph's outputs are: %s.", names);
		return pgl_fail(st, PGL_ERR_INVALID, "the ONNX graph has no output \"%s\"",
						o->output ? o->output : "");
	}
	vi = &ox->outputs[out];
	if (vi->dtype != 0 && vi->dtype != PGL_OX_FLOAT && vi->dtype != PGL_OX_DOUBLE)
	{
		HINT(o, "Name an output of probabilities, logits or values with \"output\".");
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX output \"%s\" has type %s, and pg_learn reads float or double",
						vi->name, pgl_ox_dtype_name(vi->dtype));
	}
	w = declared_width(vi);
	cls = o->task ? o->task == PGL_TASK_CLASSIFICATION : o->n_classes > 0;
	m->task = cls ? PGL_TASK_CLASSIFICATION : PGL_TASK_REGRESSION;
	io[PGL_ONNX_IO_OUTPUT] = out;
	io[PGL_ONNX_IO_KIND] = !cls					? PGL_ONNX_VALUES
						   : o->output_kind < 0 ? PGL_ONNX_PROBABILITIES
												: o->output_kind;
	io[PGL_ONNX_IO_WIDTH] = (int32_t) (w > 1000000 ? 1000001 : w);
	if (!cls)
	{
		if (o->n_classes > 0 || o->output_kind >= 0)
		{
			HINT(o, "\"classes\" and \"output_kind\" are for a classifier (\"task\": "
					"\"classification\").");
			return pgl_fail(st, PGL_ERR_INVALID, "a regression model takes no %s",
							o->n_classes > 0 ? "\"classes\"" : "\"output_kind\"");
		}
		if (w > 1)
		{
			HINT(o, "Give \"classes\" for a classifier, or name a one-value output with "
					"\"output\".");
			return pgl_fail(st, PGL_ERR_INVALID,
							"ONNX output \"%s\" gives %lld values per row, and a regression model "
							"needs 1",
							vi->name, (long long) w);
		}
		return PGL_OK;
	}
	if (o->n_classes < 2)
	{
		HINT(o, "Give \"classes\": [the labels in the order of the output's columns].");
		return pgl_fail(st, PGL_ERR_INVALID,
						"a classifier needs \"classes\" (2 or more labels), "
						"not %d",
						(int) o->n_classes);
	}
	if (w > 0 && w != o->n_classes && !(o->n_classes == 2 && w == 1))
	{
		HINT(o, "Give one label per column of the output, in its order (for two classes, an "
				"output of one column is the probability of the second).");
		return pgl_fail(st, PGL_ERR_INVALID,
						"ONNX output \"%s\" gives %lld values per row, and %d classes were given",
						vi->name, (long long) w, (int) o->n_classes);
	}
	return PGL_OK;
}

/* a label and its output column, sorted by label */
typedef struct label_col
{
	const char *label;
	int32_t		col;
} label_col;

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const label_col *) a)->label, ((const label_col *) b)->label);
}

/* the classes sorted (pg_learn's order) and class_map: output column -> sorted class */
static pgl_rc
import_classes(const pgl_env *env, pgl_onnx_import_opts *o, pgl_model *m, int32_t *map,
			   pgl_status *st)
{
	int32_t	   k = o->n_classes;
	label_col *order = pgl_alloc(env, sizeof(label_col) * (size_t) k);

	m->classes = pgl_alloc0(env, sizeof(char *) * (size_t) k);
	if (m->classes == NULL || order == NULL)
	{
		pgl_free(env, order);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	m->n_classes = k;
	for (int32_t j = 0; j < k; j++)
	{
		order[j].label = o->classes[j];
		order[j].col = j;
	}
	qsort(order, (size_t) k, sizeof(label_col), cmp_label);
	for (int32_t c = 0; c < k; c++)
	{
		if (c > 0 && strcmp(order[c].label, order[c - 1].label) == 0)
		{
			HINT(o, "Give each label once.");
			pgl_fail(st, PGL_ERR_INVALID, "\"classes\" has \"%s\" twice", order[c].label);
			pgl_free(env, order);
			return PGL_ERR_INVALID;
		}
		m->classes[c] = dup_str(env, order[c].label);
		if (m->classes[c] == NULL)
		{
			pgl_free(env, order);
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		}
		map[order[c].col] = c;
	}
	pgl_free(env, order);
	return PGL_OK;
}

static void
set_tensor(pgl_tensor *t, const char *name, int32_t dtype, int64_t n, void *data)
{
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->dtype = dtype;
	t->ndim = 1;
	t->dims[0] = n;
	t->data = data;
}

/* m from the loaded graph and the options (everything through env) */
static pgl_rc
import_build(const pgl_env *env, const pgl_ox_model *ox, const uint8_t *bytes, size_t len,
			 pgl_onnx_import_opts *o, pgl_model *m, pgl_status *st)
{
	int32_t *io = pgl_alloc0(env, sizeof(int32_t) * PGL_ONNX_IO_LEN);
	int32_t *map = NULL;
	pgl_rc	 rc;

	m->algorithm = PGL_ALGO_ONNX;
	m->tensors = pgl_alloc0(env, sizeof(pgl_tensor) * 3);
	if (io == NULL || m->tensors == NULL)
	{
		pgl_free(env, io);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	/* the file itself, not copied: the caller clears it before freeing m */
	set_tensor(&m->tensors[0], "onnx", PGL_U8, (int64_t) len, (void *) bytes);
	set_tensor(&m->tensors[1], "onnx_io", PGL_I32, PGL_ONNX_IO_LEN, io);
	m->n_tensors = 2;
	if ((rc = import_features(env, ox, o, m, st)) != PGL_OK ||
		(rc = import_output(ox, o, m, io, st)) != PGL_OK)
		return rc;
	m->target_name = dup_str(env, ox->outputs[io[PGL_ONNX_IO_OUTPUT]].name);
	m->target_type = dup_str(env, m->task == PGL_TASK_REGRESSION ? "double precision"
								  : o->target_type				 ? o->target_type
																 : "text");
	if (m->target_name == NULL || m->target_type == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	if (m->task == PGL_TASK_CLASSIFICATION)
	{
		map = pgl_alloc0(env, sizeof(int32_t) * (size_t) o->n_classes);
		if (map == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		set_tensor(&m->tensors[2], "class_map", PGL_I32, o->n_classes, map);
		m->n_tensors = 3;
		if ((rc = import_classes(env, o, m, map, st)) != PGL_OK)
			return rc;
	}
	return PGL_OK;
}

pgl_rc
pgl_onnx_import(const pgl_env *env, const uint8_t *bytes, size_t len, pgl_onnx_import_opts *o,
				pgl_model **out, uint8_t **blob, size_t *blob_len, pgl_status *st)
{
	pgl_ox_model *ox = NULL;
	pgl_ox_limits lim;
	pgl_model	 *m;
	pgl_rc		  rc;

	*out = NULL;
	*blob = NULL;
	o->hint[0] = '\0';
	pgl_ox_limits_env(env, &lim);
	if ((rc = pgl_ox_load(env, bytes, len, &lim, &ox, st)) != PGL_OK)
	{
		if (strncmp(st->msg, "unsupported", 11) == 0)
			HINT(o, "docs/onnx.md lists the operators and opsets (6 to 17) pg_learn runs.");
		else if (strstr(st->msg, "limit") != NULL)
			HINT(o, "The limits on an ONNX file follow pg_learn.max_train_memory.");
		else
			HINT(o, "Pass the .onnx file torch.onnx.export or skl2onnx writes, unchanged, as "
					"bytea (for example pg_read_binary_file).");
		return rc;
	}
	m = pgl_alloc0(env, sizeof(pgl_model));
	if (m == NULL)
		rc = pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	else
		rc = import_build(env, ox, bytes, len, o, m, st);
	if (rc == PGL_OK)
		rc = pgl_model_write(env, m, blob, blob_len, st);
	if (rc == PGL_OK)
		rc = pgl_model_read(env, *blob, *blob_len, out, st);
	if (m != NULL && m->n_tensors > 0)
		m->tensors[0].data = NULL;
	pgl_model_free(env, m);
	pgl_ox_model_free(ox);
	if (rc != PGL_OK && *blob != NULL)
	{
		pgl_free(env, *blob);
		*blob = NULL;
	}
	return rc;
}
