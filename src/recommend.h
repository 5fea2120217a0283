/*-------------------------------------------------------------------------
 *
 * recommend.h
 *	  The recommender (ALS) glue: training and a view of a stored model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_RECOMMEND_H
#define PGL_RECOMMEND_H

#include "glue.h"

#include "lib/stringinfo.h"

#include "als.h"

/* ratings are kept in float32 and squared: keep them far from overflow */
#define PGL_MAX_RATING 1e9

struct PglTrainOptions;

/*
 * "search" for als (recommend_train.c): the pins of the "auto" options not
 * searched (a JSON object), and the metric its trials are scored on (named
 * or NULL; ERROR when the validation split does not report it).
 */
extern char		  *pgl_rec_search_pins(const struct PglTrainOptions *opts, bool l2_searched,
									   bool bias_l2_searched);
extern const char *pgl_rec_search_metric(const struct PglTrainOptions *opts, const char *named);

/* config tensor layout (docs/model-format.md, "als") */
#define PGL_ALS_CFG_IMPLICIT   0
#define PGL_ALS_CFG_L2		   1
#define PGL_ALS_CFG_ALPHA	   2
#define PGL_ALS_CFG_CG_STEPS   3
#define PGL_ALS_CFG_COLD_ERROR 4
#define PGL_ALS_CFG_ITERATIONS 5
#define PGL_ALS_CFG_K		   6 /* k of the ranking metrics */
#define PGL_ALS_CFG_DUP_SUM	   7 /* duplicates summed (1) or last (0) */
#define PGL_ALS_CFG_LEN		   8

/* a stored ALS model, with pointers into its tensors */
typedef struct PglRecView
{
	const pgl_model *model;
	pgl_als_model	 als;
	bool			 text_users;
	bool			 text_items;
	const int64		*user_ids; /* integer ids, ascending */
	const int64		*item_ids;
	char		   **user_keys; /* text ids, strcmp order */
	char		   **item_keys;
	const float		*popularity;
	const int64		*seen_ptr;
	const int32		*seen_items;
	const double	*config;
} PglRecView;

/* ranking metrics as a JSON object */
extern void pgl_rank_metrics_json(StringInfo buf, const pgl_rank_metrics *rm, int64 n, int32 k,
								  bool implicit);

/* ai_evaluate for a recommender */
extern Datum pgl_evaluate_recommender(const char *name, int64 version_id, const char *data);

/* the view of a recommender model (ERROR if the model is something else) */
extern void pgl_rec_view(const char *name, const pgl_model *m, PglRecView *v);

/* dense index of an id, or -1 */
extern int32 pgl_rec_user_index_int(const PglRecView *v, int64 id);
extern int32 pgl_rec_item_index_int(const PglRecView *v, int64 id);
extern int32 pgl_rec_user_index_text(const PglRecView *v, const char *s, Size len);
extern int32 pgl_rec_item_index_text(const PglRecView *v, const char *s, Size len);

#endif /* PGL_RECOMMEND_H */
