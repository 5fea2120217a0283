/*-------------------------------------------------------------------------
 *
 * curves.c
 *	  ROC and precision-recall curves.
 *
 *-------------------------------------------------------------------------
 */
#include "curves.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scored
{
	double	score;
	int32_t label;
} scored;

/* by score, highest first; ties by label so the order is the same on every platform */
static int
by_score_desc(const void *a, const void *b)
{
	const scored *p = a, *q = b;

	if (p->score != q->score)
		return p->score > q->score ? -1 : 1;
	return (p->label > q->label) - (p->label < q->label);
}

void
pgl_curve_free(const pgl_env *env, pgl_curve *c)
{
	pgl_free(env, c->x);
	pgl_free(env, c->y);
	c->x = c->y = NULL;
	c->m = 0;
}

/* the rows sorted by score; *pos, *neg: the class counts */
static pgl_rc
sort_rows(const pgl_env *env, int64_t n, const int32_t *y, const double *score, scored **rows,
		  int64_t *pos, int64_t *neg, pgl_status *st)
{
	scored *r;

	*pos = *neg = 0;
	if (n < 1)
		return pgl_fail(st, PGL_ERR_INVALID, "a curve needs rows, and there are none");
	for (int64_t i = 0; i < n; i++)
	{
		if (!isfinite(score[i]))
			return pgl_fail(st, PGL_ERR_INVALID, "the score of row %lld is not finite",
							(long long) i + 1);
		if (y[i] != 0 && y[i] != 1)
			return pgl_fail(st, PGL_ERR_INVALID, "the label of row %lld is %d, not 0 or 1",
							(long long) i + 1, y[i]);
		*pos += y[i];
	}
	*neg = n - *pos;
	if (*pos == 0 || *neg == 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"a curve needs rows of both classes, and all %lld rows are %s",
						(long long) n, *pos ? "positive" : "negative");
	r = pgl_alloc(env, sizeof(scored) * n);
	if (r == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory sorting %lld scores", (long long) n);
	for (int64_t i = 0; i < n; i++)
	{
		r[i].score = score[i];
		r[i].label = y[i];
	}
	qsort(r, n, sizeof(scored), by_score_desc);
	*rows = r;
	return PGL_OK;
}

/* keep points at least 1 / max_points apart (either coordinate), and the last */
static void
thin(pgl_curve *c, int64_t max_points)
{
	double	gap;
	int64_t k = 1;

	if (max_points < 2)
		max_points = 2;
	if (c->m <= max_points)
		return;
	gap = 1.0 / max_points;
	for (int64_t i = 1; i < c->m; i++)
		if (i == c->m - 1 || fabs(c->x[i] - c->x[k - 1]) >= gap ||
			fabs(c->y[i] - c->y[k - 1]) >= gap)
		{
			c->x[k] = c->x[i];
			c->y[k] = c->y[i];
			k++;
		}
	c->m = k;
}

static pgl_rc
curve(const pgl_env *env, int64_t n, const int32_t *y, const double *score, int64_t max_points,
	  bool roc, pgl_curve *out, pgl_status *st)
{
	scored *r = NULL;
	int64_t pos, neg, tp = 0, fp = 0;
	pgl_rc	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sort_rows(env, n, y, score, &r, &pos, &neg, st)) != PGL_OK)
		return rc;
	out->x = pgl_alloc(env, sizeof(double) * (n + 1));
	out->y = pgl_alloc(env, sizeof(double) * (n + 1));
	if (out->x == NULL || out->y == NULL)
	{
		pgl_free(env, r);
		pgl_curve_free(env, out);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory for a curve of %lld rows", (long long) n);
	}
	out->x[0] = 0;
	out->y[0] = roc ? 0 : 1;
	out->m = 1;
	for (int64_t i = 0; i < n; i++)
	{
		tp += r[i].label;
		fp += 1 - r[i].label;
		if (i + 1 < n && r[i + 1].score == r[i].score)
			continue; /* one point per distinct score */
		if (roc)
		{
			out->x[out->m] = (double) fp / neg;
			out->y[out->m] = (double) tp / pos;
			out->area +=
				(out->x[out->m] - out->x[out->m - 1]) * (out->y[out->m] + out->y[out->m - 1]) / 2;
		}
		else
		{
			out->x[out->m] = (double) tp / pos;
			out->y[out->m] = (double) tp / (tp + fp);
			out->area += (out->x[out->m] - out->x[out->m - 1]) * out->y[out->m];
		}
		out->m++;
		if ((i & 0xFFFF) == 0)
			pgl_interrupts(env);
	}
	pgl_free(env, r);
	thin(out, max_points);
	return PGL_OK;
}

pgl_rc
pgl_roc_curve(const pgl_env *env, int64_t n, const int32_t *y, const double *score,
			  int64_t max_points, pgl_curve *out, pgl_status *st)
{
	return curve(env, n, y, score, max_points, true, out, st);
}

pgl_rc
pgl_pr_curve(const pgl_env *env, int64_t n, const int32_t *y, const double *score,
			 int64_t max_points, pgl_curve *out, pgl_status *st)
{
	return curve(env, n, y, score, max_points, false, out, st);
}
