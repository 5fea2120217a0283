/*-------------------------------------------------------------------------
 *
 * fuzz_onnx.c
 *	  libFuzzer harness over the ONNX importer (src/onnx): the protobuf
 *	  reader, the validator and the planner, then one run of the graph on
 *	  small inputs (each symbolic dim 1, zeros), all under tight limits.
 *
 * It checks that:
 *
 *	- a refused model gives PGL_ERR_INVALID or PGL_ERR_NOMEM with a message
 *	  and leaves nothing allocated (LeakSanitizer);
 *	- an accepted model has a plan, an executor, and either runs or fails
 *	  cleanly with a message; a second run with the same inputs allocates
 *	  nothing;
 *	- no allocation exceeds the limits (libFuzzer's -malloc_limit_mb).
 *
 * Any violation aborts, which libFuzzer reports as a crash with the input.
 *
 *-------------------------------------------------------------------------
 */
#include "onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

static void
die(const char *what, const pgl_status *st)
{
	fprintf(stderr, "fuzz_onnx: %s: %s\n", what, st ? st->msg : "");
	abort();
}

static void
refused_cleanly(pgl_rc rc, const pgl_status *st, const char *what)
{
	if ((rc != PGL_ERR_INVALID && rc != PGL_ERR_NOMEM) || st->msg[0] == '\0')
		die(what, st);
}

/* run once on zeros of the declared shapes (symbolic dims 1) */
static void
run_small(const pgl_ox_model *m)
{
	pgl_ox_tensor ins[16];
	void		 *data[16] = {0};
	pgl_ox_exec	 *x;
	pgl_status	  st;
	pgl_rc		  rc;

	if (m->n_inputs > 16)
		return;
	for (int i = 0; i < m->n_inputs; i++)
	{
		const pgl_ox_value_info *vi = &m->inputs[i];
		int64_t					 count = 1;

		memset(&ins[i], 0, sizeof(ins[i]));
		ins[i].dtype = vi->dtype;
		ins[i].ndim = vi->ndim < 0 ? 1 : vi->ndim;
		for (int32_t d = 0; d < ins[i].ndim; d++)
		{
			ins[i].dims[d] = vi->ndim < 0 || vi->dims[d] < 0 ? 1 : vi->dims[d];
			if (ins[i].dims[d] > 4096 || (count *= ins[i].dims[d]) > 4096)
				goto out;
		}
		data[i] = calloc((size_t) count + 1, 8);
		ins[i].data = data[i];
	}
	x = pgl_ox_exec_new(m, &st);
	if (!x)
		refused_cleanly(st.rc, &st, "exec_new failed without a message");
	else
	{
		rc = pgl_ox_run(x, ins, m->n_inputs, &st);
		if (rc != PGL_OK)
			refused_cleanly(rc, &st, "a failed run has no message");
		else
		{
			int64_t allocs = pgl_ox_exec_allocs(x);

			for (int i = 0; i < m->n_outputs; i++)
				if (!pgl_ox_result(x, i) || pgl_ox_result(x, i)->dtype == 0)
					die("a successful run lacks an output", NULL);
			if (pgl_ox_run(x, ins, m->n_inputs, &st) != PGL_OK)
				die("a second identical run failed", &st);
			if (pgl_ox_exec_allocs(x) != allocs)
				die("a second identical run allocated", NULL);
		}
		pgl_ox_exec_free(x);
	}
out:
	for (int i = 0; i < 16; i++)
		free(data[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pgl_ox_limits lim;
	pgl_ox_model *m = NULL;
	pgl_status	  st;
	pgl_rc		  rc;

	pgl_ox_limits_default(&lim);
	lim.max_bytes = 4 << 20;
	lim.max_nodes = 2000;
	lim.max_tensors = 20000;
	lim.max_attrs = 4096;
	lim.max_elements = 1 << 18;
	lim.max_arena = 32 << 20;
	rc = pgl_ox_load(env, data, size, &lim, &m, &st);
	if (rc != PGL_OK)
	{
		refused_cleanly(rc, &st, "a refusal without a message");
		if (m)
			die("a refusal left a model", NULL);
		return 0;
	}
	if (!m || !m->plan)
		die("an accepted model has no plan", NULL);
	run_small(m);
	pgl_ox_model_free(m);
	return 0;
}
