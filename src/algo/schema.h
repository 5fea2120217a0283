/*-------------------------------------------------------------------------
 *
 * schema.h
 *	  Option entries several algorithms share (pgl_option_spec, see
 *	  algorithms.h): one definition each, for the option lists of schema.c
 *	  and of the algorithms that keep theirs in their own file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_SCHEMA_H
#define PGL_SCHEMA_H

#include "algorithms.h"

/* entries several families share (one definition each) */
#define OPT_TEST_SIZE                                                                              \
	{                                                                                              \
		"test_size", PGL_OPT_NUMBER, PGL_SLOT_TEST_SIZE, 0, 1, PGL_OPT_HI_OPEN, NULL,              \
			"0.2 (0 below 50 rows)", "fraction of the rows held out to evaluate the model", "0.25" \
	}
#define OPT_EXCLUDE                                                                                \
	{                                                                                              \
		"exclude", PGL_OPT_COLUMNS, PGL_SLOT_EXCLUDE, 0, 0, 0, NULL, "none",                       \
			"columns that are not features", "[\"id\"]"                                            \
	}
/* text features (the glue: src/text_glue.c; the tokenizer and TF-IDF: src/text) */
#define OPT_TEXT                                                                                   \
	{"text",                                                                                       \
	 PGL_OPT_COLUMNS,                                                                              \
	 PGL_SLOT_TEXT,                                                                                \
	 0,                                                                                            \
	 0,                                                                                            \
	 0,                                                                                            \
	 NULL,                                                                                         \
	 "none",                                                                                       \
	 "columns of free text: each becomes TF-IDF features of its words and word pairs",             \
	 "[]"},                                                                                        \
		{"min_df",                                                                                 \
		 PGL_OPT_NUMBER,                                                                           \
		 PGL_SLOT_MIN_DF,                                                                          \
		 0,                                                                                        \
		 1e9,                                                                                      \
		 PGL_OPT_LO_OPEN,                                                                          \
		 NULL,                                                                                     \
		 "1",                                                                                      \
		 "text: keep terms in at least this many training rows (>= 1), or this fraction of "       \
		 "them (< 1)",                                                                             \
		 "2"},                                                                                     \
	{                                                                                              \
		"max_features", PGL_OPT_INTEGER, PGL_SLOT_MAX_FEATURES, 0, 1000000, 0, NULL, "20000",      \
			"text: keep at most this many terms per column, the most frequent (0: all)", "1000"    \
	}
#define OPT_NULLS                                                                                  \
	{                                                                                              \
		"nulls", PGL_OPT_CHOICE, PGL_SLOT_NULLS, 0, 0, 0, "impute|error", "impute",                \
			"NULL features: impute the training mean or most frequent value, or refuse them",      \
			"\"error\""                                                                            \
	}
#define OPT_METHOD                                                                                 \
	{                                                                                              \
		"method", PGL_OPT_CHOICE, PGL_SLOT_METHOD, 0, 0, 0, "auto|memory|aggregate", "auto",       \
			"train in memory, or by aggregate passes (auto: when the data would not fit)",         \
			"\"memory\""                                                                           \
	}
#define OPT_MAX_ITER(dflt)                                                                         \
	{                                                                                              \
		"max_iter", PGL_OPT_INTEGER, PGL_SLOT_MAX_ITER, 1, 1000000, 0, NULL, dflt,                 \
			"most iterations of the solver", "50"                                                  \
	}
#define OPT_L2(dflt, desc)                                                                         \
	{                                                                                              \
		"l2", PGL_OPT_NUMBER, PGL_SLOT_L2, 0, 1e308, 0, NULL, dflt, desc, "0.1"                    \
	}

/* the options of a classifier's classes (logistic_regression, neural_net) */
#define OPT_CLASSIFIER                                                                             \
	{"positive_class",                                                                             \
	 PGL_OPT_LABEL,                                                                                \
	 PGL_SLOT_POSITIVE_CLASS,                                                                      \
	 0,                                                                                            \
	 0,                                                                                            \
	 0,                                                                                            \
	 NULL,                                                                                         \
	 "the second class in sort order (true, 1, or the later text)",                                \
	 "binary: the class whose probability the model gives, and whose side the coefficients' "      \
	 "signs "                                                                                      \
	 "point to",                                                                                   \
	 "\"a\""},                                                                                     \
		{"threshold",                                                                              \
		 PGL_OPT_NUMBER,                                                                           \
		 PGL_SLOT_THRESHOLD,                                                                       \
		 0,                                                                                        \
		 1,                                                                                        \
		 PGL_OPT_LO_OPEN | PGL_OPT_HI_OPEN,                                                        \
		 NULL,                                                                                     \
		 "0.5",                                                                                    \
		 "binary: ai_classify says the positive class when its probability is at least this",      \
		 "0.4"},                                                                                   \
	{                                                                                              \
		"class_weight", PGL_OPT_CLASS_WEIGHT, PGL_SLOT_CLASS_WEIGHT, 0, 0, 0,                      \
			"\"balanced\" or an object from class to a weight > 0", "1 for every class",           \
			"weight of each class in the loss (balanced: rows / (classes * rows of the class))",   \
			"\"balanced\""                                                                         \
	}

#define REGRESSION_METRICS	   "rmse|r2|mae"
#define CLASSIFICATION_METRICS "accuracy|log_loss|f1_macro|precision_macro|recall_macro|roc_auc"

#endif /* PGL_SCHEMA_H */
