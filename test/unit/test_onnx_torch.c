/*
 * The torch-exported ONNX fixtures (test/onnx/torch, written by
 * test/onnx/gen_torch_fixtures.py: MLP, CNN, 1-D CNN, LSTM, GRU,
 * TransformerEncoder layer) through the runtime: each loads, runs on its
 * input, matches PyTorch's output to 1e-5 (|a - b| <= 1e-5 max(1, |b|)),
 * and runs a second time without allocating.
 */
#include "onnx.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define FIXTURES "../onnx/torch/"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long	 n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(buf = malloc((size_t) n + 1)) && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t) n : 0;
	fclose(f);
	return buf;
}

static pgl_ox_tensor *
tensor_file(const char *name, const char *file)
{
	char		   path[512];
	size_t		   len;
	uint8_t		  *buf;
	pgl_ox_tensor *t = NULL;
	pgl_status	   st = {0};

	snprintf(path, sizeof(path), FIXTURES "test_%s/test_data_set_0/%s", name, file);
	if (!(buf = slurp(path, &len)))
		return NULL;
	pgl_ox_tensor_decode(&pgl_malloc_env, buf, len, NULL, &t, &st);
	free(buf);
	return t;
}

static void
check_fixture(const char *name)
{
	char		   path[512];
	size_t		   len;
	uint8_t		  *buf;
	pgl_ox_model  *m = NULL;
	pgl_ox_exec	  *x = NULL;
	pgl_ox_tensor *in = tensor_file(name, "input_0.pb"), *want = tensor_file(name, "output_0.pb");
	pgl_status	   st = {0};
	double		   worst = 0;
	int64_t		   allocs;

	snprintf(path, sizeof(path), FIXTURES "test_%s/model.onnx", name);
	buf = slurp(path, &len);
	OK(buf && in && want, "%s: fixture files read", name);
	if (!buf || !in || !want)
		goto done;
	OK(pgl_ox_load(&pgl_malloc_env, buf, len, NULL, &m, &st) == PGL_OK, "%s: loads %s", name,
	   st.msg);
	if (!m || !(x = pgl_ox_exec_new(m, &st)))
		goto done;
	OK(pgl_ox_run(x, in, 1, &st) == PGL_OK, "%s: runs %s", name, st.msg);
	if (st.rc == PGL_OK)
	{
		const pgl_ox_tensor *y = pgl_ox_result(x, 0);

		OK(y->count == want->count && y->dtype == PGL_OX_FLOAT, "%s: output of %lld floats", name,
		   (long long) want->count);
		for (int64_t i = 0; y->count == want->count && i < y->count; i++)
		{
			double a = ((float *) y->data)[i], b = ((float *) want->data)[i];
			double e = fabs(a - b) / fmax(1.0, fabs(b));

			worst = e > worst || isnan(e) ? e : worst;
		}
		OK(worst <= 1e-5, "%s: matches PyTorch to 1e-5 (worst %.2g)", name, worst);
		allocs = pgl_ox_exec_allocs(x);
		OK(pgl_ox_run(x, in, 1, &st) == PGL_OK && pgl_ox_exec_allocs(x) == allocs,
		   "%s: a second run allocates nothing", name);
	}
done:
	if (x)
		pgl_ox_exec_free(x);
	if (m)
		pgl_ox_model_free(m);
	if (in)
		pgl_ox_tensor_free(in);
	if (want)
		pgl_ox_tensor_free(want);
	free(buf);
}

int
main(void)
{
	const char *names[] = {"mlp", "cnn", "cnn1d", "lstm", "gru", "transformer"};

	for (int i = 0; i < (int) (sizeof(names) / sizeof(names[0])); i++)
		check_fixture(names[i]);
	return unit_done();
}
