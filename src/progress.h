/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  Live progress in shared memory (progress.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_PROGRESS_H
#define PGL_PROGRESS_H

#include "glue.h"

/* the launcher's shared memory (launcher/pgl_shmem.h), NULL without the preload */
struct PglShared;
extern struct PglShared *pgl_shared(void);

/* the background job this backend runs, or 0 */
extern int64 pgl_current_job_id;

/* a training starts: until the caller's memory context goes, it shows in ai_progress */
extern void pgl_progress_begin(const char *model, const char *algorithm);
extern void pgl_progress_phase(const char *what);
extern void pgl_progress_rows(int64 rows);
extern void pgl_progress_iter(int iter, int max_iter, double loss);

#endif /* PGL_PROGRESS_H */
