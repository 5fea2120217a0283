/*
 * bench/onnx/ox_bench.c: pg_learn's side of bench/onnx/run: the ONNX
 * runtime of src/onnx on one thread (OpenBLAS set to 1), no PostgreSQL.
 *
 *   gcc -O3 -std=c11 -D_GNU_SOURCE -Isrc/algo -Isrc/text -Isrc/onnx \
 *       -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/onnx/ox_bench.c \
 *       src/algo/*.c src/text/*.c src/onnx/*.c -o ox_bench -lopenblas -lxgboost -lm -lpthread
 *   ./ox_bench DIR
 *
 * For each line of DIR/cases.tsv (case, model file, input name, shape):
 * pgl_ox_load, pgl_ox_exec_new, one run whose output goes to
 * DIR/<case>.ours.f32, then timed runs like the peers' (blocks of >= 50 ms,
 * the median of 7).  Prints "case median_us allocs_after_warmup".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnx.h"

extern void openblas_set_num_threads(int);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long  n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	buf = malloc((size_t) n + 1);
	if (fread(buf, 1, (size_t) n, f) != (size_t) n)
		exit(1);
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static void
run_or_die(pgl_ox_exec *x, const pgl_ox_tensor *in)
{
	pgl_status st = {0};

	if (pgl_ox_run(x, in, 1, &st) != PGL_OK)
	{
		fprintf(stderr, "run: %s (%s)\n", st.msg, st.detail);
		exit(1);
	}
}

static double
median_us(pgl_ox_exec *x, const pgl_ox_tensor *in)
{
	double blocks[7], t0;
	long   reps = 1;

	for (int i = 0; i < 3; i++)
		run_or_die(x, in);
	for (;;)
	{
		t0 = now();
		for (long i = 0; i < reps; i++)
			run_or_die(x, in);
		if (now() - t0 >= 0.05)
			break;
		reps *= 2;
	}
	for (int b = 0; b < 7; b++)
	{
		t0 = now();
		for (long i = 0; i < reps; i++)
			run_or_die(x, in);
		blocks[b] = (now() - t0) * 1e6 / reps;
	}
	for (int i = 1; i < 7; i++) /* insertion sort */
		for (int j = i; j > 0 && blocks[j] < blocks[j - 1]; j--)
		{
			double t = blocks[j];

			blocks[j] = blocks[j - 1];
			blocks[j - 1] = t;
		}
	return blocks[3];
}

static void
one_case(const char *dir, char *line)
{
	char		  *name = strtok(line, "\t"), *file = strtok(NULL, "\t");
	char		  *input = strtok(NULL, "\t"), *shape = strtok(NULL, "\t\n");
	char		   path[1024];
	size_t		   len, in_len;
	uint8_t		  *bytes;
	pgl_ox_limits  lim;
	pgl_ox_model  *m = NULL;
	pgl_ox_exec	  *x;
	pgl_ox_tensor  in = {0};
	pgl_status	   st = {0};
	int64_t		   allocs;
	double		   us;
	FILE		  *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	bytes = slurp(path, &len);
	pgl_ox_limits_default(&lim);
	if (pgl_ox_load(&pgl_malloc_env, bytes, len, &lim, &m, &st) != PGL_OK ||
		(x = pgl_ox_exec_new(m, &st)) == NULL)
	{
		fprintf(stderr, "%s: %s (%s)\n", file, st.msg, st.detail);
		exit(1);
	}
	in.dtype = PGL_OX_FLOAT;
	in.count = 1;
	in.buf = -1;
	in.name = input;
	for (char *d = strtok(shape, " "); d; d = strtok(NULL, " "))
	{
		in.dims[in.ndim++] = atoll(d);
		in.count *= in.dims[in.ndim - 1];
	}
	snprintf(path, sizeof(path), "%s/%s.in.f32", dir, name);
	in.data = slurp(path, &in_len);
	if (in_len != (size_t) in.count * 4)
	{
		fprintf(stderr, "%s: %zu bytes for %lld floats\n", path, in_len, (long long) in.count);
		exit(1);
	}
	run_or_die(x, &in);
	{
		const pgl_ox_tensor *y = pgl_ox_result(x, 0);

		snprintf(path, sizeof(path), "%s/%s.ours.f32", dir, name);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(y->data, 4, (size_t) y->count, f) != (size_t) y->count)
			exit(1);
		fclose(f);
	}
	allocs = pgl_ox_exec_allocs(x);
	us = median_us(x, &in);
	printf("%s %.1f %lld\n", name, us, (long long) (pgl_ox_exec_allocs(x) - allocs));
	fflush(stdout);
	pgl_ox_exec_free(x);
	pgl_ox_model_free(m);
	free(bytes);
	free(in.data);
}

int
main(int argc, char **argv)
{
	char  path[1024], line[1024];
	FILE *f;

	if (argc != 2)
	{
		fprintf(stderr, "usage: ox_bench DIR\n");
		return 2;
	}
	openblas_set_num_threads(1);
	snprintf(path, sizeof(path), "%s/cases.tsv", argv[1]);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f))
		one_case(argv[1], line);
	fclose(f);
	return 0;
}
