/*
 * unit.h - a tiny TAP producer for pg_learn's C unit tests.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * final plan "1..N"; test/unit/run counts them.  A test binary exits 1 if
 * any check failed.  Built with -fsanitize=address,undefined, so a memory
 * error aborts the program and counts as a failure too.
 */
#ifndef PGL_UNIT_H
#define PGL_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_n = 0;
static int unit_failed = 0;

#define OK(cond, ...)                                                                              \
	do                                                                                             \
	{                                                                                              \
		int unit_ok_ = (cond) ? 1 : 0;                                                             \
		unit_n++;                                                                                  \
		if (unit_ok_)                                                                              \
			printf("ok %d - ", unit_n);                                                            \
		else                                                                                       \
		{                                                                                          \
			unit_failed++;                                                                         \
			printf("not ok %d - ", unit_n);                                                        \
		}                                                                                          \
		printf(__VA_ARGS__);                                                                       \
		printf("\n");                                                                              \
		if (!unit_ok_)                                                                             \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);                               \
		fflush(stdout);                                                                            \
	} while (0)

/* |a - b| <= tol * max(1, |b|) */
#define NEAR(a, b, tol, ...)                                                                       \
	OK(fabs((double) (a) - (double) (b)) <= (tol) *fmax(1.0, fabs((double) (b))), __VA_ARGS__)

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

#endif
