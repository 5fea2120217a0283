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

/* the options jsonb less the key "search" */
extern Jsonb *pgl_search_strip(Jsonb *options);

#endif /* PGL_SEARCH_H */
