/*-------------------------------------------------------------------------
 *
 * als_internal.h
 *	  What als.c and als_topk.c share and nobody else uses: a team of POSIX
 *	  threads started and joined around one chunk of work.
 *
 * A team's arrays are allocated through env up front; running it starts
 * n - 1 threads, runs tid 0 on the calling thread and joins them all before
 * returning, so the caller may call env (which may longjmp) afterwards.
 * The task must not call env.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ALS_INTERNAL_H
#define PGL_ALS_INTERNAL_H

#include "als.h"

#include <pthread.h>
#include <stdatomic.h>

typedef void (*als_task_fn)(void *ctx, int32_t tid);

typedef struct als_team
{
	int32_t				   n;
	pthread_t			  *th;
	struct als_thread_arg *args;
	bool				  *started;
} als_team;

extern pgl_rc pgl_als_team_init(const pgl_env *env, als_team *team, int32_t threads,
								pgl_status *st);
extern void	  pgl_als_team_free(const pgl_env *env, als_team *team);
extern void	  pgl_als_team_run(als_team *team, als_task_fn fn, void *ctx);

#endif /* PGL_ALS_INTERNAL_H */
