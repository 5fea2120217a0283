/*-------------------------------------------------------------------------
 *
 * drift_glue.h
 *	  Drift summaries at training and ai_drift (drift_glue.c, drift_sql.c);
 *	  the math is src/algo/drift.c.
 *
 * ai_train asks the next pgl_read_data call to summarize the training rows
 * as they stream through its staging buffer (pgl_drift_collect_next), then
 * stores the summaries in the trained model (pgl_drift_attach): one place
 * for every family that reads columns through the data reader.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_DRIFT_GLUE_H
#define PGL_DRIFT_GLUE_H

#include "glue.h"

#include "data_reader.h"
#include "utils/jsonb.h"

typedef struct PglDriftCollect PglDriftCollect;

/*
 * A collector in cxt (the training's context), handed to the next
 * pgl_read_data(_fold) call; cleared when cxt goes away unused.
 */
extern PglDriftCollect *pgl_drift_collect_next(MemoryContext cxt, uint64 seed);

/* the data reader takes it (NULL: none asked for) */
extern PglDriftCollect *pgl_drift_collect_take(void);

/* a batch of k training rows of ds in the reader's stage (column c at stage + c * stride) */
extern void pgl_drift_feed(PglDriftCollect *dc, PglDataSet *ds, const double *stage,
						   const bool *stage_nulls, int stride, int k);

/* store what dc collected in m (nothing when no rows went through it) */
extern void pgl_drift_attach(PglDriftCollect *dc, pgl_model *m, const pgl_env *env);

/* the column of ds that feeds model feature f, or NULL */
extern PglColumn *pgl_drift_column(PglDataSet *ds, const pgl_feature *f);

/*
 * The "drift_check" job kind of ai_schedule (drift_job.c): the algorithm
 * name a schedule gives for it, the check of its arguments at ai_schedule
 * (ERRORs), and the statements a run executes as the schedule's owner
 * (*create, then the result with $1 the model, $2 the data); *model is the
 * option "model", NULL for the schedule's name.
 */
#define PGL_DRIFT_JOB "drift_check"
extern void	 pgl_drift_job_check(const char *name, bool has_target, Jsonb *options);
extern char *pgl_drift_job_sql(const char *schema, const char *options_json, char **create,
							   char **model);

/*
 * n categorical values not in the vocabulary of model version version_id
 * met at prediction (drift_counters.c; the view ai_drift_counters)
 */
extern void pgl_drift_count_unseen(int64 version_id, int64 n);

#endif /* PGL_DRIFT_GLUE_H */
