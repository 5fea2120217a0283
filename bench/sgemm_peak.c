/*
 * bench/sgemm_peak.c: OpenBLAS's achieved SGEMM (and DGEMM) rate on this
 * machine, the reference next to the ALS kernels' GFLOP/s in bench/run_als.
 *
 *   gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/sgemm_peak.c \
 *       -o sgemm_peak -lopenblas
 *   ./sgemm_peak N THREADS [REPS]
 *
 * C = A B with N x N matrices (2 N^3 flops), one warm-up call, then REPS
 * timed calls; prints "sgemm N THREADS best_gflops median_gflops" and the
 * same for dgemm.  The best rate is the peak the shared machine allowed.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int		n = argc > 1 ? atoi(argv[1]) : 2048;
	int		threads = argc > 2 ? atoi(argv[2]) : 1;
	int		reps = argc > 3 ? atoi(argv[3]) : 5;
	size_t	nn = (size_t) n * n;
	double *t = malloc(sizeof(double) * reps);
	float  *A = malloc(sizeof(float) * nn), *B = malloc(sizeof(float) * nn),
		   *C = malloc(sizeof(float) * nn);
	double *dA = malloc(sizeof(double) * nn), *dB = malloc(sizeof(double) * nn),
		   *dC = malloc(sizeof(double) * nn);
	double	flops = 2.0 * n * (double) n * n;

	if (!t || !A || !B || !C || !dA || !dB || !dC || n < 1 || threads < 1 || reps < 1)
		return 1;
	srand(1);
	for (size_t i = 0; i < nn; i++)
	{
		A[i] = dA[i] = (float) rand() / RAND_MAX - 0.5f;
		B[i] = dB[i] = (float) rand() / RAND_MAX - 0.5f;
	}
	openblas_set_num_threads(threads);

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
	for (int r = 0; r < reps; r++)
	{
		double t0 = now();

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f,
					C, n);
		t[r] = now() - t0;
	}
	qsort(t, reps, sizeof(double), cmp);
	printf("sgemm %d %d %.2f %.2f\n", n, threads, flops / t[0] / 1e9, flops / t[reps / 2] / 1e9);

	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, dA, n, dB, n, 0.0, dC, n);
	for (int r = 0; r < reps; r++)
	{
		double t0 = now();

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, dA, n, dB, n, 0.0,
					dC, n);
		t[r] = now() - t0;
	}
	qsort(t, reps, sizeof(double), cmp);
	printf("dgemm %d %d %.2f %.2f\n", n, threads, flops / t[0] / 1e9, flops / t[reps / 2] / 1e9);
	return 0;
}
