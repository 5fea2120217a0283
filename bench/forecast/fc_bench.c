/*
 * bench/forecast/fc_bench.c: pg_learn's forecasting methods (src/forecast)
 * over the series of gen.py, on T threads, like the extension fits them.
 *
 *   gcc -O3 -std=c11 -D_GNU_SOURCE -fno-math-errno -fno-trapping-math -Isrc/algo \
 *       -Isrc/forecast bench/forecast/fc_bench.c src/forecast/arima.c (and a pgl_fail) \
 *       -o fc_bench -lm -lpthread          (bench/forecast/run builds it)
 *   ./fc_bench CSV NFIT H THREADS METHODS [OUT]
 *
 * Fits the first NFIT points of every series of CSV (id,m,t,y) with each
 * method of METHODS ("arima", "ets", "comb": the mean of the two forecasts,
 * its interval the mean of the two bounds; "auto": per series the one of
 * smaller AICc) and forecasts H steps with 95%
 * intervals; OUT (optional) gets method,id,h,mean,lo,hi.  Prints the time
 * of fit + forecast per method: elapsed, and CPU (all threads; the figure
 * to use on a loaded machine).  FC_DESCRIBE=1 prints each fit (the order
 * of each ARIMA) to stderr.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fc.h"

typedef struct bench
{
	int					 ns, nfit, h;
	int					*m, *off, *len;
	double				*y;
	const pgl_fc_method *meth;
	double				*mean, *lo, *hi; /* ns * h */
	double				*aicc;			 /* ns */
	atomic_int			 next;
	atomic_int			 failed;
} bench;

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
worker(void *arg)
{
	bench  *b = arg;
	int		maxm = 1;
	size_t	wsz;
	void   *work;
	double *params;

	for (int i = 0; i < b->ns; i++)
		maxm = b->m[i] > maxm ? b->m[i] : maxm;
	wsz = b->meth->work_size(b->nfit > b->h ? b->nfit : b->h, maxm);
	work = malloc(wsz);
	params = malloc(sizeof(double) * b->meth->max_params(maxm));
	for (;;)
	{
		int		   i = atomic_fetch_add(&b->next, 1);
		int32_t	   np;
		double	   aicc, s2;
		pgl_status st;
		int		   n = b->len[i] < b->nfit ? b->len[i] : b->nfit;

		if (i >= b->ns)
			break;
		aicc = INFINITY;
		if (b->meth->fit(b->y + b->off[i], n, b->m[i], work, params, &np, &aicc, &s2, &st) !=
				PGL_OK ||
			b->meth->forecast(params, np, b->h, 0.95, work, b->mean + (size_t) i * b->h,
							  b->lo + (size_t) i * b->h, b->hi + (size_t) i * b->h, &st) != PGL_OK)
		{
			fprintf(stderr, "series %d: %s\n", i, st.msg);
			atomic_fetch_add(&b->failed, 1);
		}
		else if (getenv("FC_DESCRIBE"))
		{
			char d[256];

			b->meth->describe(params, np, d, sizeof(d));
			fprintf(stderr, "%s %d: %s aicc %.2f\n", b->meth->name, i, d, aicc);
		}
		b->aicc[i] = aicc;
	}
	free(work);
	free(params);
	return NULL;
}

static int
read_csv(const char *path, bench *b)
{
	FILE  *f = fopen(path, "r");
	char   line[256];
	int	   cap = 1 << 16, n = 0, id, m, t, last = -1;
	double v;

	if (!f)
		return 0;
	b->y = malloc(sizeof(double) * cap);
	b->m = malloc(sizeof(int) * 20001);
	b->off = malloc(sizeof(int) * 20001);
	b->len = calloc(20001, sizeof(int));
	b->ns = 0;
	if (!fgets(line, sizeof(line), f))
		return 0;
	while (fgets(line, sizeof(line), f))
	{
		if (sscanf(line, "%d,%d,%d,%lf", &id, &m, &t, &v) != 4)
			continue;
		if (id != last)
		{
			if (b->ns >= 20000)
				break;
			b->m[b->ns] = m;
			b->off[b->ns] = n;
			b->ns++;
			last = id;
		}
		if (n == cap)
			b->y = realloc(b->y, sizeof(double) * (cap *= 2));
		b->y[n++] = v;
		b->len[b->ns - 1]++;
	}
	fclose(f);
	return 1;
}

static void
run(bench *b, int threads)
{
	pthread_t th[64];

	atomic_store(&b->next, 0);
	atomic_store(&b->failed, 0);
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, b);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
}

static void
write_out(FILE *out, const char *name, const bench *b, const double *mean, const double *lo,
		  const double *hi)
{
	for (int i = 0; i < b->ns; i++)
		for (int s = 0; s < b->h; s++)
		{
			size_t k = (size_t) i * b->h + s;

			fprintf(out, "%s,%d,%d,%.8g,%.8g,%.8g\n", name, i, s + 1, mean[k], lo[k], hi[k]);
		}
}

/*
 * comb: the mean of the ARIMA and ETS forecasts and bounds; auto: per series
 * the method of smaller AICc (what ai_train's "auto" does), and how often
 * each was picked
 */
static void
derived(FILE *out, const char *name, const bench *b, double *keep[2][4])
{
	size_t	nh = (size_t) b->ns * b->h;
	double *r[3];
	int		n_arima = 0;

	for (int k = 0; k < 3; k++)
		r[k] = malloc(sizeof(double) * nh);
	for (int i = 0; i < b->ns; i++)
	{
		int pick = keep[0][3][i] < keep[1][3][i] ? 0 : 1;

		n_arima += pick == 0;
		for (int k = 0; k < 3; k++)
			for (int s = 0; s < b->h; s++)
			{
				size_t j = (size_t) i * b->h + s;

				r[k][j] = name[0] == 'c' ? 0.5 * (keep[0][k][j] + keep[1][k][j]) : keep[pick][k][j];
			}
	}
	if (name[0] == 'a')
		printf("auto: arima has the smaller AICc on %d of %d series\n", n_arima, b->ns);
	if (out)
		write_out(out, name, b, r[0], r[1], r[2]);
	for (int k = 0; k < 3; k++)
		free(r[k]);
}

static const pgl_fc_method *
method(const char *name)
{
	if (strcmp(name, "arima") == 0)
		return &pgl_fc_arima;
#ifdef PGL_BENCH_ETS
	if (strcmp(name, "ets") == 0)
		return &pgl_fc_ets;
#endif
	return NULL;
}

int
main(int argc, char **argv)
{
	bench	b = {0};
	int		threads;
	char   *methods, *tok, *save;
	FILE   *out = NULL;
	double *keep[2][4] = {{0}};

	if (argc < 6 || !read_csv(argv[1], &b))
	{
		fprintf(stderr, "usage: fc_bench CSV NFIT H THREADS METHODS [OUT]\n");
		return 2;
	}
	b.nfit = atoi(argv[2]);
	b.h = atoi(argv[3]);
	threads = atoi(argv[4]);
	methods = argv[5];
	if (argc > 6)
	{
		out = fopen(argv[6], "w");
		fprintf(out, "method,id,h,mean,lo,hi\n");
	}
	for (tok = strtok_r(methods, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		size_t sz = sizeof(double) * b.ns * b.h;
		double t0, c0;

		if (strcmp(tok, "comb") == 0 || strcmp(tok, "auto") == 0)
		{
			if (!keep[0][0] || !keep[1][0])
			{
				fprintf(stderr, "%s needs arima and ets before it\n", tok);
				return 2;
			}
			derived(out, tok, &b, keep);
			continue;
		}
		b.meth = method(tok);
		if (!b.meth)
		{
			fprintf(stderr, "unknown method %s\n", tok);
			return 2;
		}
		b.mean = malloc(sz);
		b.lo = malloc(sz);
		b.hi = malloc(sz);
		b.aicc = malloc(sizeof(double) * b.ns);
		t0 = clock_s(CLOCK_MONOTONIC);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		run(&b, threads);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		printf("%s: %d series of %d points, %d threads: %.3f s elapsed, %.3f s CPU (%.2f ms CPU "
			   "per series; %d failed)\n",
			   tok, b.ns, b.nfit, threads, clock_s(CLOCK_MONOTONIC) - t0, c0, 1000 * c0 / b.ns,
			   atomic_load(&b.failed));
		if (out)
			write_out(out, tok, &b, b.mean, b.lo, b.hi);
		keep[strcmp(tok, "arima") == 0 ? 0 : 1][0] = b.mean;
		keep[strcmp(tok, "arima") == 0 ? 0 : 1][1] = b.lo;
		keep[strcmp(tok, "arima") == 0 ? 0 : 1][2] = b.hi;
		keep[strcmp(tok, "arima") == 0 ? 0 : 1][3] = b.aicc;
	}
	if (out)
		fclose(out);
	return 0;
}
