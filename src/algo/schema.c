/*-------------------------------------------------------------------------
 *
 * schema.c
 *	  The option schema of each algorithm (pgl_option_spec), the one list
 *	  ai_train, ai_train_async, ai_schedule, the aggregate method and
 *	  ai_algorithm_options() read.
 *
 * A new algorithm defines its list in its own file, with the shared
 * entries of schema.h, and names it in its pgl_algo_ops entry (the tree
 * ensembles' lists are in xgboost.c).
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "als.h"
#include "schema.h"

#include <string.h>

const pgl_option_spec pgl_linear_regression_options[] = {
	OPT_TEST_SIZE,
	OPT_L2("0", "ridge penalty on the coefficients (not the intercept)"),
	OPT_MAX_ITER("200"),
	{"tol", PGL_OPT_NUMBER, PGL_SLOT_TOL, 0, 1e308, PGL_OPT_LO_OPEN, NULL, "1e-6",
	 "convergence tolerance of the solver", "0.001"},
	OPT_EXCLUDE,
	OPT_TEXT,
	OPT_NULLS,
	OPT_METHOD,
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC(REGRESSION_METRICS, "rmse", "\"r2\""),
	PGL_OPTION_END};

const pgl_option_spec pgl_logistic_regression_options[] = {
	OPT_TEST_SIZE,
	OPT_L2("1e-4", "L2 penalty on the coefficients (not the intercepts)"),
	OPT_MAX_ITER("200"),
	{"tol", PGL_OPT_NUMBER, PGL_SLOT_TOL, 0, 1e308, PGL_OPT_LO_OPEN, NULL, "1e-6",
	 "convergence tolerance of the gradient", "0.001"},
	OPT_CLASSIFIER,
	OPT_EXCLUDE,
	OPT_TEXT,
	OPT_NULLS,
	OPT_METHOD,
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC(CLASSIFICATION_METRICS, "accuracy", "\"log_loss\""),
	PGL_OPTION_END};

const pgl_option_spec pgl_kmeans_options[] = {
	{"k", PGL_OPT_INTEGER, PGL_SLOT_K, 1, 100000, 0, NULL, "8", "number of clusters", "2"},
	OPT_MAX_ITER("100"),
	{"tol", PGL_OPT_NUMBER, PGL_SLOT_TOL, 0, 1e308, 0, NULL, "1e-4",
	 "stop when the centroids move less (0: when no row changes cluster)", "0"},
	OPT_EXCLUDE,
	OPT_TEXT,
	OPT_NULLS,
	OPT_METHOD,
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC("silhouette|inertia", "silhouette", "\"inertia\""),
	PGL_OPTION_END};

const pgl_option_spec pgl_als_options[] = {
	{"feedback", PGL_OPT_CHOICE, PGL_SLOT_FEEDBACK, 0, 0, 0, "explicit|implicit", "explicit",
	 "ratings to predict (explicit), or confidence of an interaction (implicit)", "\"implicit\""},
	{"factors", PGL_OPT_INTEGER, PGL_SLOT_FACTORS, 1, PGL_ALS_MAX_FACTORS, 0, NULL, "32",
	 "latent factors per user and item", "4"},
	{"l2", PGL_OPT_NUMBER, PGL_SLOT_L2, 0, 1e308, PGL_OPT_AUTO, NULL,
	 "\"auto\" (explicit), 30 (implicit)",
	 "L2 penalty on the factors, times each user's and item's rating count (above 0 for "
	 "explicit feedback); \"auto\": chosen on a validation split",
	 "0.1"},
	{"bias_l2", PGL_OPT_NUMBER, PGL_SLOT_BIAS_L2, 0, 1e308, PGL_OPT_AUTO, NULL, "\"auto\"",
	 "explicit feedback: L2 penalty on each user's and item's bias (a pseudo-count of ratings "
	 "at the mean); \"auto\": chosen on a validation split",
	 "5"},
	{"iterations", PGL_OPT_INTEGER, PGL_SLOT_MAX_ITER, 1, 1000, 0, NULL, "15",
	 "alternating least squares sweeps (the most, with early stopping)", "3"},
	{"early_stopping_rounds", PGL_OPT_INTEGER, PGL_SLOT_EARLY_STOPPING, 0, 1000, 0, NULL, "2",
	 "stop after this many iterations without a better validation score (0: run them all)", "1"},
	{"alpha", PGL_OPT_NUMBER, PGL_SLOT_ALPHA, 0, 1e308, 0, NULL, "5",
	 "confidence per unit of an implicit rating", "10"},
	{"cg_steps", PGL_OPT_INTEGER, PGL_SLOT_CG_STEPS, 1, 100, 0, NULL, "3",
	 "conjugate gradient steps per solve (implicit feedback)", "2"},
	{"k", PGL_OPT_INTEGER, PGL_SLOT_K, 1, 1000, 0, NULL, "10",
	 "ranking cutoff of the hold-out metrics", "5"},
	OPT_TEST_SIZE,
	{"user_col", PGL_OPT_COLUMN, PGL_SLOT_USER_COL, 0, 0, 0, NULL, "the first column",
	 "column of the user ids", "\"user_id\""},
	{"item_col", PGL_OPT_COLUMN, PGL_SLOT_ITEM_COL, 0, 0, 0, NULL, "the second column",
	 "column of the item ids", "\"item_id\""},
	{"rating_col", PGL_OPT_COLUMN, PGL_SLOT_RATING_COL, 0, 0, 0, NULL, "the third column",
	 "column of the ratings", "\"rating\""},
	{"duplicates", PGL_OPT_CHOICE, PGL_SLOT_DUPLICATES, 0, 0, 0, "last|sum", "last",
	 "several ratings of one (user, item): keep the last read, or add them", "\"sum\""},
	{"cold_start", PGL_OPT_CHOICE, PGL_SLOT_COLD_START, 0, 0, 0, "popular|error", "popular",
	 "recommending to an unknown user: the most popular items, or an error", "\"error\""},
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC("ndcg@k|rmse|mae|precision@k|recall@k|map@k|coverage", "ndcg@k",
					  "\"coverage\""),
	PGL_OPTION_END};

const pgl_option_spec pgl_neural_net_options[] = {
	{"layers", PGL_OPT_JSON, PGL_SLOT_LAYERS, 0, 0, 0, "an array of layers", "(required)",
	 "the layers, first to last (docs/neural-networks.md)",
	 "[{\"dense\": {\"units\": 4, \"activation\": \"relu\"}}, "
	 "{\"dense\": {\"units\": 2, \"activation\": \"softmax\"}}]"},
	{"input_shape", PGL_OPT_JSON, PGL_SLOT_INPUT_SHAPE, 0, 0, 0,
	 "an array like [28, 28, 1] or [784]", "the inputs, flat",
	 "shape of one input: [height, width, channels], [height, width] or [n]", "[3]"},
	{"scale", PGL_OPT_NUMBER, PGL_SLOT_SCALE, -1e308, 1e308, PGL_OPT_NONZERO, NULL, "1",
	 "divide the values of a tensor (array or bytea) column by this", "2"},
	{"optimizer", PGL_OPT_CHOICE, PGL_SLOT_OPTIMIZER, 0, 0, 0, "adam|sgd", "adam", "the optimizer",
	 "\"sgd\""},
	{"learning_rate", PGL_OPT_NUMBER, PGL_SLOT_LEARNING_RATE, 0, 10, PGL_OPT_LO_OPEN, NULL, "0.001",
	 "step size of the optimizer", "0.01"},
	{"momentum", PGL_OPT_NUMBER, PGL_SLOT_MOMENTUM, 0, 1, PGL_OPT_HI_OPEN, NULL, "0.9",
	 "momentum of sgd", "0.5"},
	{"batch_size", PGL_OPT_INTEGER, PGL_SLOT_BATCH_SIZE, 1, 65536, 0, NULL, "32",
	 "rows per gradient step", "8"},
	{"epochs", PGL_OPT_INTEGER, PGL_SLOT_EPOCHS, 1, 100000, 0, NULL, "10",
	 "passes over the training rows", "2"},
	{"patience", PGL_OPT_INTEGER, PGL_SLOT_PATIENCE, 1, 100000, 0, NULL, "none",
	 "stop after this many epochs without a better hold-out loss", "2"},
	{"buckets", PGL_OPT_BOOLEAN, PGL_SLOT_BUCKETS, 0, 0, 0, NULL, "true",
	 "sequences: batches of rows of similar length, each run on its longest row", "false"},
	OPT_L2("0", "L2 penalty on the weights"),
	{"init", PGL_OPT_CHOICE, PGL_SLOT_INIT, 0, 0, 0, "auto|he|xavier", "auto",
	 "weight initialization (auto: he before relu, else xavier)", "\"xavier\""},
	{"teacher", PGL_OPT_MODEL, PGL_SLOT_TEACHER, 0, 0, 0, "a model name", "none",
	 "distillation: a classifier whose probabilities on each training row the network also "
	 "learns",
	 "\"big_model\""},
	{"temperature", PGL_OPT_NUMBER, PGL_SLOT_TEMPERATURE, 0, 1000, PGL_OPT_LO_OPEN, NULL, "2",
	 "distillation: softens the teacher's and the network's distributions", "4"},
	{"distill_weight", PGL_OPT_NUMBER, PGL_SLOT_DISTILL_WEIGHT, 0, 1, 0, NULL, "0.5",
	 "distillation: weight of the teacher's soft targets in the loss (the labels get the rest)",
	 "0.7"},
	{"prune", PGL_OPT_JSON, PGL_SLOT_PRUNE, 0, 0, 0,
	 "an object like {\"sparsity\": 0.8, \"epochs\": 3}", "none",
	 "gradual magnitude pruning of the dense and convolution weights to this sparsity over the "
	 "last epochs (default half of them, rounded up); pruned layers are stored sparse",
	 "{\"sparsity\": 0.5, \"epochs\": 1}"},
	/* autoencoders (nn_train.c): no target, the output reproduces the inputs */
	{"task", PGL_OPT_CHOICE, PGL_SLOT_NN_TASK, 0, 0, 0, "supervised|autoencoder", "supervised",
	 "supervised: learn the target (the last layer makes it a classifier or a regression); "
	 "autoencoder: no target, reproduce the inputs, the reconstruction error is an anomaly score",
	 "\"supervised\""},
	{"contamination", PGL_OPT_NUMBER, PGL_SLOT_CONTAMINATION, 0, 0.5, PGL_OPT_LO_OPEN, NULL, "0.01",
	 "autoencoder: expected share of anomalies; the threshold is the training rows' "
	 "reconstruction error that share exceeds",
	 "0.05"},
	{"variational", PGL_OPT_BOOLEAN, PGL_SLOT_VARIATIONAL, 0, 0, 0, NULL, "false",
	 "autoencoder: a variational one (the last hidden layer's units are the latent size), "
	 "which ai_generate samples from",
	 "false"},
	{"beta", PGL_OPT_NUMBER, PGL_SLOT_BETA, 0, 1000, 0, NULL, "1",
	 "variational autoencoder: weight of the KL term in the loss", "0.5"},
	OPT_CLASSIFIER,
	OPT_TEST_SIZE,
	OPT_EXCLUDE,
	/* a text column into token ids (src/nn_text.c, src/text/subword.h) */
	{"text", PGL_OPT_COLUMNS, PGL_SLOT_TEXT, 0, 0, 0, NULL, "none",
	 "one column of free text: its token ids feed the first layer, an embedding", "[]"},
	{"tokenizer", PGL_OPT_CHOICE, PGL_SLOT_TOKENIZER, 0, 0, 0, "bpe|word", "bpe",
	 "text: byte-pair-encoding subwords, or whole words", "\"word\""},
	{"vocab_size", PGL_OPT_INTEGER, PGL_SLOT_VOCAB_SIZE, 3, PGL_MAX_TOKENS_VOCAB, 0, NULL,
	 PGL_STR(PGL_NN_TEXT_VOCAB), "text: most token ids, 0 (padding) and 1 (unknown) included",
	 "500"},
	{"max_len", PGL_OPT_INTEGER, PGL_SLOT_MAX_LEN, 1, PGL_MAX_TOKENS_LEN, 0, NULL,
	 "the 95th percentile of the training lengths, at most " PGL_STR(PGL_NN_TEXT_MAX_LEN_CAP),
	 "text: token ids per row (longer texts are cut, shorter ones padded)", "64"},
	OPT_NULLS,
	PGL_OPTIONS_COMMON,
	PGL_OPTION_METRIC(REGRESSION_METRICS "|" CLASSIFICATION_METRICS,
					  "rmse (regression), accuracy (classifier)", "\"rmse\""),
	PGL_OPTION_END};

const pgl_option_spec *
pgl_algo_option(const pgl_algo_ops *ops, const char *key)
{
	for (const pgl_option_spec *o = ops->options; o && o->key; o++)
		if (strcmp(o->key, key) == 0)
			return o;
	return NULL;
}

const char *
pgl_algo_default_metric(const pgl_algo_ops *ops, int32_t task)
{
	if (ops->default_metric)
		return ops->default_metric;
	switch (task)
	{
		case PGL_TASK_REGRESSION:
			return "rmse";
		case PGL_TASK_CLASSIFICATION:
			return "accuracy";
		case PGL_TASK_CLUSTERING:
			return "silhouette";
		default:
			return "ndcg@k|rmse";
	}
}

int
pgl_metric_lower_is_better(const char *metric)
{
	static const char *const lower[] = {"rmse", "mae",	"log_loss", "inertia",
										"mse",	"mase", "smape",	NULL};

	for (int i = 0; lower[i]; i++)
		if (strcmp(metric, lower[i]) == 0)
			return 1;
	return 0;
}
