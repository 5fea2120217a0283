/*-------------------------------------------------------------------------
 *
 * conformance.c
 *	  Run the ONNX backend conformance tests (Debian's libonnx-testdata:
 *	  <suite>/<test>/model.onnx + test_data_set_N/{input,output}_K.pb)
 *	  through pg_learn's ONNX runtime.
 *
 *	  conformance [-v] [-a allow-list] SUITE_DIR...
 *
 * For each test: load the model; a model refused as "unsupported ..."
 * (an op, a type, a feature the runtime lacks) is skipped and counted.
 * Every other test must load, run each data set, and match the expected
 * outputs with the tolerance of onnx/backend/test (numpy assert_allclose,
 * rtol 1e-3, atol 1e-7, same dtype and shape; integers and bools exact).
 * Each model runs its first data set twice: the second run must not
 * allocate (the arena reuses its buffers).
 *
 * Prints, per suite, total / supported / passed and the failing tests;
 * a failing test listed in the allow-list ("suite/test reason" lines) is
 * reported as explained.  Exits 1 if a failure is not explained.
 *
 *-------------------------------------------------------------------------
 */
#include "onnx.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int	  verbose = 0;
static char **allow = NULL;
static int	  n_allow = 0;

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	uint8_t *buf;
	long	 n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* sorted subdirectory names of dir starting with prefix */
static int
list_dir(const char *dir, const char *prefix, char ***out)
{
	DIR			  *d = opendir(dir);
	struct dirent *e;
	int			   n = 0, cap = 64;
	char		 **v = malloc(sizeof(char *) * (size_t) cap);

	if (!d)
	{
		*out = v;
		return 0;
	}
	while ((e = readdir(d)))
	{
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (n == cap)
			v = realloc(v, sizeof(char *) * (size_t) (cap *= 2));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, (size_t) n, sizeof(char *), cmp_str);
	*out = v;
	return n;
}

static void
free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
allowed(const char *key, const char **why)
{
	for (int i = 0; i < n_allow; i++)
	{
		size_t k = strlen(key);

		if (strncmp(allow[i], key, k) == 0 && (allow[i][k] == ' ' || allow[i][k] == '\t'))
		{
			*why = allow[i] + k + 1;
			while (**why == ' ' || **why == '\t')
				(*why)++;
			return true;
		}
	}
	return false;
}

static void
load_allow(const char *path)
{
	size_t	 len;
	uint8_t *buf = read_file(path, &len);
	char	*line;

	if (!buf)
	{
		fprintf(stderr, "conformance: cannot read %s\n", path);
		exit(2);
	}
	buf[len] = '\0';
	for (line = strtok((char *) buf, "\n"); line; line = strtok(NULL, "\n"))
	{
		if (line[0] == '#' || line[0] == '\0')
			continue;
		allow = realloc(allow, sizeof(char *) * (size_t) (n_allow + 1));
		allow[n_allow++] = strdup(line);
	}
	free(buf);
}

/* numpy assert_allclose(actual, desired, rtol, atol) with equal_nan */
static bool
compare(const pgl_ox_tensor *got, const pgl_ox_tensor *want, char *why, size_t size)
{
	if (got->dtype != want->dtype)
	{
		snprintf(why, size, "dtype %s, expected %s", pgl_ox_dtype_name(got->dtype),
				 pgl_ox_dtype_name(want->dtype));
		return false;
	}
	if (got->ndim != want->ndim || got->count != want->count)
	{
		snprintf(why, size, "rank %d (%lld elements), expected rank %d (%lld)", got->ndim,
				 (long long) got->count, want->ndim, (long long) want->count);
		return false;
	}
	for (int32_t i = 0; i < got->ndim; i++)
		if (got->dims[i] != want->dims[i])
		{
			snprintf(why, size, "dim %d is %lld, expected %lld", i, (long long) got->dims[i],
					 (long long) want->dims[i]);
			return false;
		}
	for (int64_t i = 0; i < got->count; i++)
	{
		if (got->dtype == PGL_OX_FLOAT || got->dtype == PGL_OX_DOUBLE)
		{
			double a = pgl_ox_get_f64(got, i), d = pgl_ox_get_f64(want, i);

			if (isnan(a) && isnan(d))
				continue;
			if (isinf(a) || isinf(d) ? a != d : !(fabs(a - d) <= 1e-7 + 1e-3 * fabs(d)))
			{
				snprintf(why, size, "element %lld is %.9g, expected %.9g", (long long) i, a, d);
				return false;
			}
		}
		else if (pgl_ox_get_i64(got, i) != pgl_ox_get_i64(want, i))
		{
			snprintf(why, size, "element %lld is %lld, expected %lld", (long long) i,
					 (long long) pgl_ox_get_i64(got, i), (long long) pgl_ox_get_i64(want, i));
			return false;
		}
	}
	return true;
}

static pgl_ox_tensor *
read_tensor(const char *path, pgl_status *st)
{
	size_t		   len;
	uint8_t		  *buf = read_file(path, &len);
	pgl_ox_tensor *t = NULL;

	if (!buf)
	{
		pgl_fail(st, PGL_ERR_INVALID, "cannot read %s", path);
		return NULL;
	}
	pgl_ox_tensor_decode(&pgl_malloc_env, buf, len, NULL, &t, st);
	free(buf);
	return t;
}

/* one data set: 0 passed, 1 failed (why set) */
static int
run_data_set(pgl_ox_exec *x, const pgl_ox_model *m, const char *dir, int twice, char *why,
			 size_t size)
{
	pgl_ox_tensor *ins[64] = {0}, *outs[64] = {0};
	pgl_ox_tensor  args[64];
	char		   path[4096];
	pgl_status	   st;
	int			   rc = 1, n_in = 0, n_out = 0;

	for (;; n_in++)
	{
		struct stat sb;

		snprintf(path, sizeof(path), "%s/input_%d.pb", dir, n_in);
		if (n_in >= 64 || stat(path, &sb) != 0)
			break;
		if (!(ins[n_in] = read_tensor(path, &st)))
		{
			snprintf(why, size, "input_%d.pb: %s", n_in, st.msg);
			goto done;
		}
	}
	for (;; n_out++)
	{
		struct stat sb;

		snprintf(path, sizeof(path), "%s/output_%d.pb", dir, n_out);
		if (n_out >= 64 || stat(path, &sb) != 0)
			break;
		if (!(outs[n_out] = read_tensor(path, &st)))
		{
			snprintf(why, size, "output_%d.pb: %s", n_out, st.msg);
			goto done;
		}
	}
	if (n_in != m->n_inputs)
	{
		snprintf(why, size, "%d input files for %d graph inputs", n_in, m->n_inputs);
		goto done;
	}
	/* by name when the files name them, else in order */
	for (int i = 0; i < n_in; i++)
	{
		int k = i;

		for (int j = 0; ins[i]->name && j < m->n_inputs; j++)
			if (strcmp(m->inputs[j].name, ins[i]->name) == 0)
				k = j;
		args[k] = *ins[i];
	}
	for (int r = 0; r < 1 + twice; r++)
	{
		int64_t allocs = pgl_ox_exec_allocs(x);

		if (pgl_ox_run(x, args, n_in, &st) != PGL_OK)
		{
			snprintf(why, size, "run: %s%s%s", st.msg, st.detail[0] ? ": " : "", st.detail);
			goto done;
		}
		if (r == 1 && pgl_ox_exec_allocs(x) != allocs)
		{
			snprintf(why, size, "a second run with the same shapes allocated %lld buffers",
					 (long long) (pgl_ox_exec_allocs(x) - allocs));
			goto done;
		}
	}
	if (n_out != m->n_outputs)
	{
		snprintf(why, size, "%d output files for %d graph outputs", n_out, m->n_outputs);
		goto done;
	}
	for (int i = 0; i < n_out; i++)
	{
		int	 k = i;
		char w[256];

		for (int j = 0; outs[i]->name && j < m->n_outputs; j++)
			if (strcmp(m->outputs[j].name, outs[i]->name) == 0)
				k = j;
		if (!compare(pgl_ox_result(x, k), outs[i], w, sizeof(w)))
		{
			snprintf(why, size, "output %s: %s", m->outputs[k].name, w);
			goto done;
		}
	}
	rc = 0;
done:
	for (int i = 0; i < 64; i++)
	{
		pgl_ox_tensor_free(ins[i]);
		pgl_ox_tensor_free(outs[i]);
	}
	return rc;
}

typedef enum
{
	T_UNSUPPORTED,
	T_PASS,
	T_FAIL
} verdict;

static verdict
run_test(const char *tdir, char *why, size_t size)
{
	char		  path[4096];
	size_t		  len;
	uint8_t		 *buf;
	pgl_ox_model *m = NULL;
	pgl_ox_exec	 *x = NULL;
	pgl_status	  st;
	char		**sets;
	int			  n_sets;
	verdict		  v = T_PASS;

	snprintf(path, sizeof(path), "%s/model.onnx", tdir);
	if (!(buf = read_file(path, &len)))
	{
		snprintf(why, size, "no model.onnx");
		return T_UNSUPPORTED;
	}
	if (pgl_ox_decode(&pgl_malloc_env, buf, len, NULL, &m, &st) != PGL_OK)
	{
		free(buf);
		snprintf(why, size, "%s", st.msg);
		return strncmp(st.msg, "unsupported", 11) == 0 ? T_UNSUPPORTED : T_FAIL;
	}
	free(buf);
	if (pgl_ox_validate(m, &st) != PGL_OK || pgl_ox_plan_build(m, &st) != PGL_OK ||
		!(x = pgl_ox_exec_new(m, &st)))
	{
		snprintf(why, size, "%s%s%s", st.msg, st.detail[0] ? ": " : "", st.detail);
		pgl_ox_model_free(m);
		return strncmp(st.msg, "unsupported", 11) == 0 ? T_UNSUPPORTED : T_FAIL;
	}
	n_sets = list_dir(tdir, "test_data_set_", &sets);
	for (int i = 0; i < n_sets && v == T_PASS; i++)
	{
		snprintf(path, sizeof(path), "%s/%s", tdir, sets[i]);
		if (run_data_set(x, m, path, i == 0, why, size) != 0)
			v = T_FAIL;
	}
	if (n_sets == 0)
	{
		snprintf(why, size, "no test_data_set_*");
		v = T_FAIL;
	}
	free_list(sets, n_sets);
	pgl_ox_exec_free(x);
	pgl_ox_model_free(m);
	return v;
}

static int
run_suite(const char *dir, int *unexplained)
{
	const char *suite = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	char	  **tests;
	int			n = list_dir(dir, "test_", &tests);
	int			supported = 0, passed = 0, explained = 0;

	for (int i = 0; i < n; i++)
	{
		char	path[4096], why[1024] = "", key[512];
		verdict v;

		snprintf(path, sizeof(path), "%s/%s", dir, tests[i]);
		v = run_test(path, why, sizeof(why));
		snprintf(key, sizeof(key), "%s/%s", suite, tests[i]);
		if (v == T_UNSUPPORTED)
		{
			if (verbose)
				printf("# skip %s: %s\n", key, why);
			continue;
		}
		supported++;
		if (v == T_PASS)
		{
			passed++;
			if (verbose)
				printf("# pass %s\n", key);
		}
		else
		{
			const char *reason;

			if (allowed(key, &reason))
			{
				explained++;
				printf("# explained %s: %s (%s)\n", key, why, reason);
			}
			else
			{
				(*unexplained)++;
				printf("FAIL %s: %s\n", key, why);
			}
		}
	}
	printf("suite %s: %d tests, %d supported, %d passed, %d failed (%d explained)\n", suite, n,
		   supported, passed, supported - passed, explained);
	free_list(tests, n);
	return 0;
}

int
main(int argc, char **argv)
{
	int unexplained = 0, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++)
	{
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc)
			load_allow(argv[++i]);
		else
		{
			fprintf(stderr, "usage: conformance [-v] [-a allow-list] SUITE_DIR...\n");
			return 2;
		}
	}
	if (i >= argc)
	{
		fprintf(stderr, "usage: conformance [-v] [-a allow-list] SUITE_DIR...\n");
		return 2;
	}
	for (; i < argc; i++)
		run_suite(argv[i], &unexplained);
	for (int k = 0; k < n_allow; k++)
		free(allow[k]);
	free(allow);
	printf("%d unexplained failures\n", unexplained);
	return unexplained ? 1 : 0;
}
