/*-------------------------------------------------------------------------
 *
 * search.h
 *	  "search" in ai_train (hyper-parameter search) and ai_cross_validate
 *	  (search.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_SEARCH_H
#define PGL_SEARCH_H

#include "glue.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

struct pgl_algo_ops;
struct pgl_option_spec;
struct PglTrainCall;

/* one searched option and its candidate values */
typedef struct PglSearchParam
{
	char						 *key;
	const struct pgl_option_spec *spec;
	int							  n;
	char						**values; /* JSON text of each */
} PglSearchParam;

/* "search" as validated */
typedef struct PglSearch
{
	bool			random; /* "method": "random" (else "grid") */
	int				trials; /* 0: not given */
	int				folds;	/* 0: one validation split */
	char		   *metric; /* NULL: the family's default */
	int				n_params;
	PglSearchParam *params;
} PglSearch;

/* the most trials and folds a search runs */
#define PGL_SEARCH_MAX_TRIALS 1000
#define PGL_SEARCH_MAX_FOLDS  20

/* validate "search" (ERROR naming the bad key or value) */
extern PglSearch *pgl_search_parse(const struct pgl_algo_ops *ops, JsonbValue *v);

/*
 * Run the trials of c's "search" and return the options of the best
 * setting (the options less "search", with the best values); appends
 * "search": {...} (every trial) to record, which holds a JSON object's
 * members.
 */
extern Jsonb *pgl_search_run(struct PglTrainCall *c, StringInfo record);

/* the longest message and metric name a trial's result keeps */
#define PGL_TRIAL_ERROR_LEN	 1000
#define PGL_TRIAL_METRIC_LEN 64

/*
 * The outcome of one setting's trials (every fold).  Plain data: it lives
 * in the dynamic shared memory of a parallel search (jobs/trials.c) too.
 */
typedef struct PglTrialResult
{
	volatile bool done;	 /* set last (after a write barrier) */
	int32		  pid;	 /* the process that ran it */
	int			  fatal; /* an error no setting avoids (its SQLSTATE), or 0 */
	double		  score; /* the mean over the folds */
	double		  scores[PGL_SEARCH_MAX_FOLDS];
	double		  seconds;
	char		  metric[PGL_TRIAL_METRIC_LEN]; /* what score is, "" if none */
	char		  error[PGL_TRIAL_ERROR_LEN];	/* "" if scored */
} PglTrialResult;

/*
 * Run setting i (0-based) of c's "search", every fold, into r as the serial
 * search does: an ERROR of the trial is recorded in r->error; a cancel or an
 * error no setting avoids is raised.  c as ai_train parsed it.
 */
extern void pgl_search_trial(struct PglTrainCall *c, int i, PglTrialResult *r);

/* the index of the best done trial of r[0..n-1], or -1 */
extern int pgl_search_best(const PglTrialResult *r, int n);

/* the progress phase "trial i of n, best <metric> <score>" */
extern void pgl_search_progress(int i, int n, const PglTrialResult *r);

/*
 * jobs/trials.c: in a job worker, run the n trials of c's "search" in this
 * process and in helpers claimed into free job slots (pg_learn.max_workers),
 * into r[0..n-1].  False, and nothing run, when no slot is free or this is
 * not a job: the caller runs them itself.
 */
extern bool pgl_trials_parallel(struct PglTrainCall *c, int n, PglTrialResult *r);

/* the options jsonb less the key "search" */
extern Jsonb *pgl_search_strip(Jsonb *options);

#endif /* PGL_SEARCH_H */
