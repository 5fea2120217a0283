/*
 * bench/spmm_bench.c: the SpMM kernel of pruned layers (pgl_nn_spmm,
 * src/algo/nn_prune.c) against OpenBLAS's SGEMM on one thread, over
 * densities and batch sizes: where sparse wins decides
 * PGL_NN_SPARSE_MAX_DENSITY.
 *
 *   gcc -O3 -std=c11 -D_GNU_SOURCE -fno-math-errno -fno-trapping-math -Isrc/algo \
 *       -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/spmm_bench.c src/algo/*.c src/forecast/*.c src/onnx/*.c -Isrc/forecast -Isrc/onnx \
 *       -o spmm_bench -lopenblas -lxgboost -lm -lpthread
 *   ./spmm_bench K ROWS [REPS]
 *
 * Y (n x ROWS) = X (n x K) W (K x ROWS), W with a random share "density"
 * of nonzeros; for each n in 1, 8, 64, 256 and each density, the best of
 * REPS (default 7) timings of each, repeated to take at least 20 ms.
 * Prints "n density sgemm_us spmm_us speedup" lines.
 */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn.h"

extern void openblas_set_num_threads(int);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ULL;

static double
urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * (1.0 / 9007199254740992.0);
}

int
main(int argc, char **argv)
{
	int		K = argc > 1 ? atoi(argv[1]) : 784;
	int		R = argc > 2 ? atoi(argv[2]) : 300;
	int		reps = argc > 3 ? atoi(argv[3]) : 7;
	int		ns[] = {1, 8, 64, 256};
	double	dens[] = {0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0};
	float  *W = malloc(sizeof(float) * K * R), *val = malloc(sizeof(float) * K * R);
	int32_t *ptr = malloc(sizeof(int32_t) * (R + 1));
	uint16_t *idx = malloc(sizeof(uint16_t) * K * R);
	float  *X = malloc(sizeof(float) * 256 * K), *Y = malloc(sizeof(float) * 256 * R);
	float  *work = malloc(sizeof(float) * (K + R) * PGL_NN_SPMM_BLOCK);
	volatile float sink = 0;

	openblas_set_num_threads(1);
	for (int i = 0; i < 256 * K; i++)
		X[i] = (float) urand();
	printf("# K %d rows %d, one thread, best of %d\n# n density sgemm_us spmm_us speedup\n", K,
		   R, reps);
	for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (size_t b = 0; b < sizeof(dens) / sizeof(dens[0]); b++)
		{
			int	   n = ns[a];
			int64_t nnz = 0;
			double best[2] = {1e30, 1e30};

			for (int64_t i = 0; i < (int64_t) K * R; i++)
				W[i] = urand() < dens[b] ? (float) (urand() - 0.5) : 0.0f;
			for (int u = 0; u < R; u++)
			{
				ptr[u] = (int32_t) nnz;
				for (int k = 0; k < K; k++)
					if (W[(int64_t) k * R + u] != 0.0f)
					{
						idx[nnz] = (uint16_t) k;
						val[nnz++] = W[(int64_t) k * R + u];
					}
			}
			ptr[R] = (int32_t) nnz;
			for (int r = 0; r < reps; r++)
				for (int which = 0; which < 2; which++)
				{
					int	   calls = 0;
					double t0 = now(), t;

					do
					{
						if (which == 0)
							cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, R, K, 1.0f,
										X, K, W, R, 0.0f, Y, R);
						else
							pgl_nn_spmm(R, ptr, idx, val, X, n, K, Y, work);
						sink += Y[0];
						calls++;
					} while ((t = now() - t0) < 0.02);
					if (t / calls < best[which])
						best[which] = t / calls;
				}
			printf("%d %.2f %.2f %.2f %.2f\n", n, dens[b], best[0] * 1e6, best[1] * 1e6,
				   best[0] / best[1]);
			fflush(stdout);
		}
	return sink == 12345.0f;
}
