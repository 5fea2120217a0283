/*-------------------------------------------------------------------------
 *
 * env.c
 *	  Helpers over pgl_env, status reporting, and model bookkeeping.
 *
 *-------------------------------------------------------------------------
 */
#include "pgl_algo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
pgl_alloc(const pgl_env *env, size_t size)
{
	return env->alloc(env->arg, size == 0 ? 1 : size);
}

void *
pgl_alloc0(const pgl_env *env, size_t size)
{
	void *p = pgl_alloc(env, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void
pgl_free(const pgl_env *env, void *ptr)
{
	if (ptr)
		env->free(env->arg, ptr);
}

void
pgl_interrupts(const pgl_env *env)
{
	if (env->check_interrupts)
		env->check_interrupts(env->arg);
}

void
pgl_progress(const pgl_env *env, int iter, int max_iter, double loss)
{
	if (env->progress)
		env->progress(env->arg, iter, max_iter, loss);
}

void
pgl_notice(const pgl_env *env, const char *msg, const char *hint)
{
	if (env->notice)
		env->notice(env->arg, msg, hint);
}

void
pgl_defer(const pgl_env *env, void (*fn)(void *ptr), void *ptr)
{
	if (env->defer)
		env->defer(env->arg, fn, ptr);
}

pgl_rc
pgl_fail(pgl_status *st, pgl_rc rc, const char *fmt, ...)
{
	va_list ap;

	st->rc = rc;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	st->detail[0] = '\0';
	return rc;
}

static void *
malloc_alloc(void *arg, size_t size)
{
	(void) arg;
	return malloc(size);
}

static void
malloc_free(void *arg, void *ptr)
{
	(void) arg;
	free(ptr);
}

const pgl_env pgl_malloc_env = {
	.arg = NULL,
	.alloc = malloc_alloc,
	.free = malloc_free,
};

int32_t
pgl_model_input_width(const pgl_model *m)
{
	int64_t w = 0;

	for (int32_t i = 0; i < m->n_features; i++)
		w += pgl_feature_width(&m->features[i]);
	return w > INT32_MAX ? -1 : (int32_t) w;
}

const pgl_tensor *
pgl_model_tensor(const pgl_model *m, const char *name)
{
	for (int32_t i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, name) == 0)
			return &m->tensors[i];
	return NULL;
}

int64_t
pgl_tensor_count(const pgl_tensor *t)
{
	int64_t c = 1;

	for (int32_t d = 0; d < t->ndim; d++)
		c *= t->dims[d];
	return c;
}

void
pgl_model_free(const pgl_env *env, pgl_model *m)
{
	if (m == NULL)
		return;
	if (m->runtime && m->runtime_free)
		m->runtime_free(m->runtime);
	m->runtime = NULL;
	if (m->features)
	{
		for (int32_t i = 0; i < m->n_features; i++)
		{
			pgl_feature *f = &m->features[i];

			pgl_free(env, f->name);
			pgl_free(env, f->type_name);
			if (f->categories)
			{
				for (int32_t c = 0; c < f->n_categories; c++)
					pgl_free(env, f->categories[c]);
				pgl_free(env, f->categories);
			}
			pgl_free(env, f->idf);
			pgl_free(env, f->merges);
		}
		pgl_free(env, m->features);
	}
	pgl_free(env, m->target_name);
	pgl_free(env, m->target_type);
	if (m->classes)
	{
		for (int32_t c = 0; c < m->n_classes; c++)
			pgl_free(env, m->classes[c]);
		pgl_free(env, m->classes);
	}
	if (m->tensors)
	{
		for (int32_t i = 0; i < m->n_tensors; i++)
		{
			pgl_tensor *t = &m->tensors[i];

			if (t->dtype == PGL_STR && t->data)
			{
				char  **strs = t->data;
				int64_t count = pgl_tensor_count(t);

				for (int64_t j = 0; j < count; j++)
					pgl_free(env, strs[j]);
			}
			pgl_free(env, t->data);
			pgl_free(env, t->scales);
		}
		pgl_free(env, m->tensors);
	}
	pgl_free(env, m);
}

bool
pgl_model_has_text(const pgl_model *m)
{
	for (int32_t i = 0; i < m->n_features; i++)
		if (m->features[i].kind == PGL_FEATURE_TEXT)
			return true;
	return false;
}
