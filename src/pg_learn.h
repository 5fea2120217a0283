/*-------------------------------------------------------------------------
 *
 * pg_learn.h
 *	  Every header of pg_learn's PostgreSQL glue at once.
 *
 * Each .c file includes the per-concern headers of what it uses (glue.h,
 * options.h, vocab.h, data_reader.h, catalog.h, privileges.h,
 * model_cache.h, evaluate.h, progress.h, train_agg.h ...).  This umbrella
 * is left for the files not converted yet (src/jobs/, the scoring files,
 * catalog.c, being split in parallel) and goes when they include their own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LEARN_H
#define PG_LEARN_H

#include "glue.h"

#include "access/tupdesc.h"
#include "portability/instr_time.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "data_reader.h"
#include "evaluate.h"
#include "model_cache.h"
#include "options.h"
#include "privileges.h"
#include "progress.h"
#include "train_agg.h"
#include "vocab.h"

#endif /* PG_LEARN_H */
