/*-------------------------------------------------------------------------
 *
 * nn_generate.c
 *	  ai_generate(name, n, seed => NULL) -> SETOF jsonb: synthetic rows of
 *	  a variational autoencoder (neural_net, "task": "autoencoder",
 *	  "variational": true), z ~ N(0, I) through its decoder
 *	  (pgl_nn_generate, src/algo/nn_vae.c), one object per row with the
 *	  training columns as keys.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "data_reader.h"
#include "glue.h"
#include "model_cache.h"
#include "nn.h"

PG_FUNCTION_INFO_V1(ai_generate);

/* rows one call may ask for */
#define PGL_GENERATE_MAX 10000000

static void
check_model(const char *name, const pgl_model *m)
{
	if (m->algorithm != PGL_ALGO_NEURAL_NET || m->task != PGL_TASK_ANOMALY ||
		pgl_nn_latent_size(m) == 0)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is not a variational autoencoder", name),
						errhint("ai_generate samples from a neural_net trained with \"task\": "
								"\"autoencoder\" and \"variational\": true.")));
	for (int32 f = 0; f < m->n_features; f++)
		if (m->features[f].kind != PGL_FEATURE_NUMERIC)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("ai_generate supports numeric columns only, not column \"%s\" of "
							"model \"%s\"",
							pgl_feature_display_name(&m->features[f]), name),
					 errhint("Train the variational autoencoder on numeric columns (leave "
							 "categories out with \"exclude\").")));
	if (m->n_inputs != m->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ai_generate supports numeric columns only, and model \"%s\" encodes "
						"its %d columns into %d inputs",
						name, (int) m->n_features, (int) m->n_inputs),
				 errhint("Train the variational autoencoder on numeric columns (leave categories "
						 "out with \"exclude\").")));
}

/* one row as {"column": value, ...} */
static Jsonb *
row_jsonb(const pgl_model *m, const double *x)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int32 f = 0; f < m->n_features; f++)
	{
		JsonbValue k, v;
		char	  *key = pgl_feature_display_name(&m->features[f]);

		k.type = jbvString;
		k.val.string.val = key;
		k.val.string.len = strlen(key);
		pushJsonbValue(&ps, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(x[f])));
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

Datum
ai_generate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			*name;
	const pgl_model *m;
	int32			 n;
	uint64			 seed;
	double			*out;
	pgl_env			 env;
	pgl_status		 st;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("ai_generate needs a model name and a number of rows")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	n = PG_GETARG_INT32(1);
	if (n < 0 || n > PGL_GENERATE_MAX)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("n must be between 0 and %d, not %d", PGL_GENERATE_MAX, (int) n)));
	m = pgl_model_get(name, NULL);
	check_model(name, m);
	/* NULL: a different draw each call */
	seed = PG_ARGISNULL(2) ? pg_prng_uint64(&pg_global_prng_state) : (uint64) PG_GETARG_INT64(2);
	out = palloc_extended(sizeof(double) * ((Size) n * m->n_inputs + 1), MCXT_ALLOC_HUGE);
	env = pgl_backend_env(CurrentMemoryContext);
	memset(&st, 0, sizeof(st));
	if (pgl_nn_generate(&env, m, n, seed, out, &st) != PGL_OK)
		pgl_report(&st, "generating rows failed");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int64 i = 0; i < n; i++)
	{
		Datum value = JsonbPGetDatum(row_jsonb(m, out + i * m->n_inputs));
		bool  isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}
