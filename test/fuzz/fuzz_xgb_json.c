/*-------------------------------------------------------------------------
 *
 * fuzz_xgb_json.c
 *	  libFuzzer harness over the XGBoost JSON reader and writer
 *	  (src/algo/json.c, src/algo/xgb_json.c).
 *
 * Each input is read by pgl_xgb_json_read into a model of 8 inputs.  It
 * checks that:
 *
 *	- a refused input gives PGL_ERR_INVALID with a message, and leaves the
 *	  model without tensors and *info owning nothing (leaks are caught by
 *	  LeakSanitizer);
 *	- an accepted input gives tensors that pgl_trees_validate accepts (the
 *	  reader checks everything the validator does), with the task set from
 *	  the link as the glue sets it;
 *	- the writer accepts the model, and reading its output back gives
 *	  identical tensors (names, dtypes, shapes and bytes).
 *
 * Any violation aborts, which libFuzzer reports as a crash with the input.
 *
 *-------------------------------------------------------------------------
 */
#include "trees.h"
#include "xgb_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

static void
die(const char *what, const pgl_status *st)
{
	fprintf(stderr, "fuzz_xgb_json: %s: %s\n", what, st ? st->msg : "");
	abort();
}

static void
same_tensors(const pgl_model *a, const pgl_model *b)
{
	if (a->n_tensors != b->n_tensors)
		die("write -> read changed the number of tensors", NULL);
	for (int32_t i = 0; i < a->n_tensors; i++)
	{
		const pgl_tensor *x = &a->tensors[i], *y = &b->tensors[i];
		int64_t			  n = pgl_tensor_count(x);
		size_t			  sz = x->dtype == PGL_F32 || x->dtype == PGL_I32 ? 4 : 8;

		if (strcmp(x->name, y->name) != 0 || x->dtype != y->dtype || x->ndim != y->ndim ||
			pgl_tensor_count(y) != n)
			die("write -> read changed a tensor's name or shape", NULL);
		if (x->dtype == PGL_STR ? strcmp(((char **) x->data)[0], ((char **) y->data)[0]) != 0
								: n > 0 && memcmp(x->data, y->data, sz * (size_t) n) != 0)
		{
			fprintf(stderr, "tensor %s\n", x->name);
			die("write -> read changed a tensor's data", NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pgl_model	*m = calloc(1, sizeof(pgl_model)), *m2;
	pgl_xgb_info info;
	pgl_status	 st;
	pgl_trees	 t;
	char		*out;
	size_t		 len;
	pgl_rc		 rc;

	m->n_inputs = 8;
	rc = pgl_xgb_json_read(env, (const char *) data, size, m, &info, &st);
	if (rc != PGL_OK)
	{
		if (rc != PGL_ERR_INVALID || st.msg[0] == '\0' || m->tensors != NULL || m->n_tensors != 0 ||
			info.feature_names != NULL)
			die("a refused input left a bad state", &st);
		pgl_model_free(env, m);
		return 0;
	}
	if (info.num_feature > 8 ||
		(info.n_feature_names != 0 && info.n_feature_names != info.num_feature))
		die("info out of range", NULL);
	{
		const int32_t *params = pgl_model_tensor(m, "tree_params")->data;

		m->task = params[1] == PGL_TREES_LINK_SIGMOID || params[1] == PGL_TREES_LINK_SOFTMAX
					  ? PGL_TASK_CLASSIFICATION
					  : PGL_TASK_REGRESSION;
		m->n_classes = m->task == PGL_TASK_CLASSIFICATION ? (params[0] > 1 ? params[0] : 2) : 0;
	}
	if (pgl_trees_validate(m, &t, &st) != PGL_OK)
		die("an accepted model does not validate", &st);
	if (pgl_xgb_json_write(env, m, &out, &len, &st) != PGL_OK)
		die("the writer refused an accepted model", &st);
	if (strlen(out) != len)
		die("the writer's length is wrong", NULL);
	m2 = calloc(1, sizeof(pgl_model));
	m2->n_inputs = 8;
	pgl_xgb_info_free(env, &info);
	if (pgl_xgb_json_read(env, out, len, m2, &info, &st) != PGL_OK)
		die("the reader refused the writer's output", &st);
	same_tensors(m, m2);
	pgl_xgb_info_free(env, &info);
	free(out);
	pgl_model_free(env, m);
	pgl_model_free(env, m2);
	return 0;
}
