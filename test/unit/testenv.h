/*
 * testenv.h - helpers shared by the unit tests: a pgl_env that counts its
 * callbacks and can fail the n-th allocation, and a seedable generator.
 *
 * Define TESTENV_SEED before including to choose the generator's seed.
 */
#ifndef PGL_TESTENV_H
#define PGL_TESTENV_H

#include "pgl_algo.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counters
{
	int	 notices;
	int	 interrupts;
	int	 progress;
	int	 last_iter;
	char msg[512];
	char hint[512];
	int	 fail_at; /* fail the allocation with this index, or -1 */
	int	 allocs;
} counters;

static inline void *
count_alloc(void *arg, size_t size)
{
	counters *c = arg;

	if (c->fail_at >= 0 && c->allocs++ == c->fail_at)
		return NULL;
	return malloc(size);
}

static inline void
count_free(void *arg, void *ptr)
{
	(void) arg;
	free(ptr);
}

static inline void
count_notice(void *arg, const char *msg, const char *hint)
{
	counters *c = arg;

	c->notices++;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	snprintf(c->hint, sizeof(c->hint), "%s", hint ? hint : "");
}

static inline void
count_interrupts(void *arg)
{
	((counters *) arg)->interrupts++;
}

static inline void
count_progress(void *arg, int iter, int max_iter, double loss)
{
	counters *c = arg;

	(void) max_iter;
	(void) loss;
	c->progress++;
	c->last_iter = iter;
}

static inline pgl_env
make_env(counters *c)
{
	pgl_env env = pgl_malloc_env;

	memset(c, 0, sizeof(*c));
	c->fail_at = -1;
	env.arg = c;
	env.alloc = count_alloc;
	env.free = count_free;
	env.notice = count_notice;
	env.check_interrupts = count_interrupts;
	env.progress = count_progress;
	return env;
}

#ifndef TESTENV_SEED
#define TESTENV_SEED 88172645463325252ULL
#endif

static uint64_t rng_state = TESTENV_SEED;

/* xorshift64: uniform in (0, 1) */
static inline double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((rng_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* standard normal (Box-Muller) */
static inline double
nrand(void)
{
	return sqrt(-2.0 * log(urand())) * cos(2.0 * M_PI * urand());
}

static inline bool
all_finite(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

#endif
