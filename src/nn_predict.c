/*-------------------------------------------------------------------------
 *
 * nn_predict.c
 *	  Prediction with neural_net models one row a call (over ordinary
 *	  columns or one array or bytea column), the bytea forms of ai_predict / ai_classify /
 *	  ai_predict_proba, and ai_training_history.
 *
 * A network built from a model (buffers for one row) is kept per backend
 * for the last model used, keyed by the model pointer and the model cache
 * generation, so a row costs one forward pass and no setup.
 *
 *-------------------------------------------------------------------------
 */
#include "glue.h"
#include "data_reader.h"
#include "model_cache.h"
#include "evaluate.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/typcache.h"

#include "algorithms.h"
#include "nn_glue.h"
#include "nn_text.h"
#include "predict.h"

PG_FUNCTION_INFO_V1(ai_predict_bytea);
PG_FUNCTION_INFO_V1(ai_classify_bytea);
PG_FUNCTION_INFO_V1(ai_predict_proba_bytea);
PG_FUNCTION_INFO_V1(ai_classify_proba_bytea);
PG_FUNCTION_INFO_V1(ai_training_history);

/* the per-backend network of the last model used */
static MemoryContext	 net_cxt = NULL;
static pgl_nn			*net_cached = NULL;
static const pgl_model	*net_model = NULL;
static uint64			 net_generation = 0;
static float			*net_x = NULL;
static PglNnTextEncoder *net_text = NULL; /* a text column: its encoder */

bool
pgl_nn_reads_array(const pgl_model *m)
{
	const pgl_tensor *cfg;

	if (m->algorithm != PGL_ALGO_NEURAL_NET)
		return false;
	cfg = pgl_model_tensor(m, "nn_config");
	return cfg != NULL &&
		   ((const double *) cfg->data)[PGL_NN_CFG_INPUT_KIND] != PGL_NN_INPUT_COLUMNS;
}

static pgl_nn *
get_net(const pgl_model *m)
{
	pgl_env	   env;
	pgl_status st;
	pgl_nn	  *net;

	if (net_cached && net_model == m && net_generation == pgl_cache_generation)
		return net_cached;
	if (net_cxt == NULL)
		net_cxt =
			AllocSetContextCreate(TopMemoryContext, "pg_learn network", ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(net_cxt);
	net_cached = NULL;
	env = pgl_backend_env(net_cxt);
	memset(&st, 0, sizeof(st));
	if (pgl_nn_from_model(&env, m, 1, &net, &st) != PGL_OK)
		pgl_report(&st, "loading the network failed");
	net_x = MemoryContextAlloc(net_cxt, sizeof(float) * pgl_nn_input_size(net));
	net_text = pgl_nn_text_encoder(m, net_cxt);
	net_cached = net;
	net_model = m;
	net_generation = pgl_cache_generation;
	return net;
}

pgl_nn *
pgl_nn_cached_net(const pgl_model *m)
{
	return get_net(m);
}

pgl_nn *
pgl_nn_predict_columns(const pgl_model *m, const double *x, double *out)
{
	pgl_nn	  *net = get_net(m);
	pgl_env	   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status st;

	memset(&st, 0, sizeof(st));
	if (pgl_nn_standardize(m, x, 1, 1, net_x, &st) != PGL_OK ||
		pgl_nn_predict_rows(&env, net, m, net_x, 1, out, &st) != PGL_OK)
		pgl_report(&st, "prediction failed");
	return net;
}

static void
predict_datum(const pgl_model *m, Datum d, bool isnull, Oid typid, double *out)
{
	pgl_nn		 *net = get_net(m);
	const double *cfg = pgl_model_tensor(m, "nn_config")->data;
	pgl_env		  env = pgl_backend_env(CurrentMemoryContext);
	pgl_status	  st;

	if (net_text)
		pgl_nn_text_encode(net_text, d, isnull, typid, net_x);
	else if (!pgl_nn_array_type_ok(typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s, but the network reads a tensor (%s)",
						m->features[0].name, format_type_be(typid), m->features[0].type_name),
				 errhint("Pass real[], double precision[], smallint[], integer[] or bytea.")));
	else
		pgl_nn_datum_to_steps(d, typid, pgl_nn_input_size(net), pgl_nn_step_size(net),
							  cfg[PGL_NN_CFG_SCALE], net_x, m->features[0].name, -1);
	memset(&st, 0, sizeof(st));
	if (pgl_nn_predict_rows(&env, net, m, net_x, 1, out, &st) != PGL_OK)
		pgl_report(&st, "prediction failed");
}

void
pgl_nn_predict_record(const pgl_model *m, const char *name, HeapTupleHeader rec, double *out)
{
	Oid			  tuptype = HeapTupleHeaderGetTypeId(rec);
	int32		  tuptypmod = HeapTupleHeaderGetTypMod(rec);
	TupleDesc	  desc = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	HeapTupleData tuple;
	int			  found = -1;
	Oid			  typid;
	Datum		  d;
	bool		  isnull;

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), m->features[0].name) == 0)
		{
			found = a;
			break;
		}
	}
	if (found < 0)
	{
		ReleaseTupleDesc(desc);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the row has no column \"%s\", the input of model \"%s\"",
						m->features[0].name, name),
				 errhint("Rename the tensor column with AS in a subquery, or pass it alone.")));
	}
	typid = TupleDescAttr(desc, found)->atttypid;
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	d = heap_getattr(&tuple, found + 1, desc, &isnull);
	ReleaseTupleDesc(desc);
	if (isnull && m->features[0].kind != PGL_FEATURE_TOKENS) /* text: an empty document */
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("column \"%s\" is NULL", m->features[0].name),
						errhint("A tensor input cannot be imputed.")));
	predict_datum(m, d, isnull, typid, out);
}

void
pgl_nn_predict_array(const pgl_model *m, const char *name, Datum arr, Oid typid, double *out)
{
	(void) name;
	predict_datum(m, arr, false, typid, out);
}

/*
 * ---------- the bytea forms ----------
 *
 * ai_predict / ai_classify / ai_predict_proba(name, bytea, version): not
 * STRICT (a NULL version means the deployed one), so a NULL name or tensor
 * gives NULL here.
 */

typedef struct ByteaState
{
	PglCallModel cm;
	double		*out;
	int			 n_out;
} ByteaState;

static ByteaState *
bytea_predict(FunctionCallInfo fcinfo, bool want_class, int version_argno)
{
	ByteaState		*s = fcinfo->flinfo->fn_extra;
	const pgl_model *m;
	bool			 changed;

	if (s == NULL)
		s = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ByteaState));
	m = pgl_call_model_version(&s->cm, PG_GETARG_TEXT_PP(0), pgl_version_arg(fcinfo, version_argno),
							   fcinfo->flinfo->fn_mcxt, &changed);
	if (!pgl_nn_reads_array(m))
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" does not read a tensor column", s->cm.name),
						errhint("A bytea input needs a neural_net model trained on a bytea or "
								"array column; pass a row instead.")));
	if (want_class != (m->task == PGL_TASK_CLASSIFICATION))
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg(want_class ? "model \"%s\" is a regression model, not a classifier"
										  : "model \"%s\" is a classifier",
							   s->cm.name),
						errhint(want_class ? "Use ai_predict() for its numeric prediction."
										   : "Use ai_classify() for the predicted label, or "
											 "ai_predict_proba() for class probabilities.")));
	if (changed || s->out == NULL)
	{
		s->n_out = m->task == PGL_TASK_CLASSIFICATION ? m->n_classes : 1;
		s->out = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * s->n_out);
	}
	predict_datum(m, PG_GETARG_DATUM(1), false, BYTEAOID, s->out);
	return s;
}

Datum
ai_predict_bytea(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(bytea_predict(fcinfo, false, 2)->out[0]);
}

Datum
ai_classify_bytea(PG_FUNCTION_ARGS)
{
	ByteaState *s;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = bytea_predict(fcinfo, true, 3);
	PG_RETURN_TEXT_P(cstring_to_text(
		s->cm.model->classes[pgl_classify_index(fcinfo, s->cm.name, s->cm.model, s->out, 2)]));
}

/* ai_classify_proba(name, bytea, threshold, version) */
Datum
ai_classify_proba_bytea(PG_FUNCTION_ARGS)
{
	ByteaState *s;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = bytea_predict(fcinfo, true, 3);
	PG_RETURN_DATUM(pgl_classification_row(
		s->cm.model, s->out, pgl_classify_index(fcinfo, s->cm.name, s->cm.model, s->out, 2)));
}

Datum
ai_predict_proba_bytea(PG_FUNCTION_ARGS)
{
	ByteaState *s;
	Datum	   *d;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	s = bytea_predict(fcinfo, true, 2);
	d = palloc(sizeof(Datum) * s->n_out);

	for (int i = 0; i < s->n_out; i++)
		d[i] = Float8GetDatum(s->out[i]);
	PG_RETURN_ARRAYTYPE_P(
		construct_array(d, s->n_out, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---------- ai_training_history ---------- */

/*
 * ai_training_history(name): one row per epoch of the deployed version:
 * (epoch, train_loss, train_accuracy, validation_loss, validation_accuracy,
 * seconds, kept); kept marks the epoch whose weights the model holds.
 */
Datum
ai_training_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	 *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char			 *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64			  vid;
	const pgl_model	 *m = pgl_model_get(name, &vid);
	const pgl_tensor *h;
	const double	 *cfg;

	if (m->algorithm != PGL_ALGO_NEURAL_NET)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is a %s model, which keeps no training history", name,
							   pgl_algo_by_id(m->algorithm)->name),
						errhint("ai_training_history shows the epochs of neural_net models.")));
	InitMaterializedSRF(fcinfo, 0);
	h = pgl_model_tensor(m, "nn_history");
	cfg = pgl_model_tensor(m, "nn_config")->data;
	if (h == NULL)
		PG_RETURN_NULL();
	for (int64 e = 0; e < h->dims[0]; e++)
	{
		const double *r = (const double *) h->data + e * PGL_NN_HISTORY_COLS;
		Datum		  values[7];
		bool		  nulls[7] = {false, false, false, false, false, false, false};

		values[0] = Int32GetDatum((int32) e + 1);
		for (int c = 0; c < 5; c++)
		{
			nulls[c + 1] = isnan(r[c]);
			values[c + 1] = Float8GetDatum(r[c]);
		}
		values[6] = BoolGetDatum(e + 1 == (int64) cfg[PGL_NN_CFG_BEST_EPOCH]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/* ---------- ai_evaluate for a network over a tensor column ---------- */

#define NN_EVAL_BATCH 256

/*
 * The tensor column (*fatt) and the target (*tatt) of the data of
 * ai_evaluate for a network; ERROR when one is missing or of a wrong type.
 */
static void
nn_eval_columns(TupleDesc desc, const pgl_model *m, const char *name, int *fatt, int *tatt)
{
	const char *col = m->features[0].name;
	Oid			ftype, ttype;

	*fatt = *tatt = -1;
	for (int a = 0; desc && a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			continue;
		if (strcmp(NameStr(att->attname), col) == 0)
			*fatt = a;
		else if (strcmp(NameStr(att->attname), m->target_name) == 0)
			*tatt = a;
	}
	if (*fatt < 0 || *tatt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the data has no column \"%s\"", *fatt < 0 ? col : m->target_name),
				 errhint("Model \"%s\" reads the tensor column \"%s\" and the target \"%s\".", name,
						 col, m->target_name)));
	ftype = TupleDescAttr(desc, *fatt)->atttypid;
	ttype = TupleDescAttr(desc, *tatt)->atttypid;
	if (m->features[0].kind == PGL_FEATURE_TOKENS && !pgl_type_is_text(ftype))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("column \"%s\" has type %s, but the network reads it as text", col,
							   format_type_be(ftype)),
						errhint("Cast it to text in the data's SELECT.")));
	if (m->features[0].kind != PGL_FEATURE_TOKENS && !pgl_nn_array_type_ok(ftype))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("column \"%s\" has type %s, but the network reads a tensor (%s)",
							   col, format_type_be(ftype), m->features[0].type_name)));
	if (m->task != PGL_TASK_CLASSIFICATION && !pgl_type_is_numeric(ttype))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("target \"%s\" has type %s, not a number", m->target_name,
							   format_type_be(ttype))));
}

/* the class number of a label; ERROR when the model does not know it */
static int32
nn_eval_class(const pgl_model *m, const char *name, const char *s)
{
	for (int32 k = 0; k < m->n_classes; k++)
		if (strcmp(m->classes[k], s) == 0)
			return k;
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("label \"%s\" of target \"%s\" is not a class of model \"%s\"", s,
						   m->target_name, name),
					errhint("The model knows the classes listed by ai_model_classes('%s'); "
							"filter the other rows out.",
							name)));
	return -1; /* not reached */
}

/*
 * ai_evaluate(name, data) of a neural_net model reading one tensor column:
 * the data must have that column and the target; rows with a NULL target
 * are skipped, a NULL tensor is an ERROR.  Predictions run in batches.
 */
Datum
pgl_nn_evaluate(const char *name, int64 version_id, const char *data)
{
	MemoryContext cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn evaluate", ALLOCSET_DEFAULT_SIZES);
	MemoryContext	  old = MemoryContextSwitchTo(cxt);
	const pgl_model	 *m = pgl_model_by_version(version_id, name);
	bool			  classification = m->task == PGL_TASK_CLASSIFICATION;
	int				  width = classification ? m->n_classes : 1;
	char			 *query = pgl_data_query(data);
	const char		 *col = m->features[0].name;
	pgl_env			  env = pgl_backend_env(cxt);
	pgl_status		  st;
	pgl_nn			 *net;
	const double	 *cfg;
	SPIPlanPtr		  plan;
	Portal			  portal;
	TupleDesc		  desc;
	int				  fatt = -1, tatt = -1;
	Oid				  ftype, ttype;
	FmgrInfo		  tout;
	int64			  n = 0, cap = 1024, row = 0;
	double			 *pred, *y;
	int32			 *label = NULL;
	float			 *xb;
	int				  nb = 0;
	PglNnTextEncoder *text = pgl_nn_text_encoder(m, cxt);
	MemoryContext	  batch_cxt;
	StringInfoData	  buf;
	Datum			  result;

	memset(&st, 0, sizeof(st));
	pgl_check_single_select(query);
	if (pgl_nn_from_model(&env, m, NN_EVAL_BATCH, &net, &st) != PGL_OK)
		pgl_report(&st, "loading the network failed");
	cfg = pgl_model_tensor(m, "nn_config")->data;
	xb = palloc(sizeof(float) * NN_EVAL_BATCH * pgl_nn_input_size(net));
	pred = palloc_extended(sizeof(double) * cap * width, MCXT_ALLOC_HUGE);
	y = palloc_extended(sizeof(double) * cap, MCXT_ALLOC_HUGE);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "pg_learn: could not prepare the data query: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	desc = portal->tupDesc;
	nn_eval_columns(desc, m, name, &fatt, &tatt);
	ftype = TupleDescAttr(desc, fatt)->atttypid;
	ttype = TupleDescAttr(desc, tatt)->atttypid;
	if (classification)
	{
		Oid	 fn;
		bool varlena;

		getTypeOutputInfo(ttype, &fn, &varlena);
		fmgr_info_cxt(fn, &tout, cxt);
		label = palloc_extended(sizeof(int32) * cap, MCXT_ALLOC_HUGE);
	}

	batch_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "pg_learn rows", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		bool		  done;
		MemoryContext prev;

		SPI_cursor_fetch(portal, true, NN_EVAL_BATCH);
		done = SPI_processed == 0;
		/* detoasted tensors and label strings live for one batch of rows */
		prev = MemoryContextSwitchTo(batch_cxt);
		for (uint64 i = 0; i < SPI_processed; i++, row++)
		{
			HeapTuple t = SPI_tuptable->vals[i];
			bool	  tnull, fnull;
			Datum	  tv = heap_getattr(t, tatt + 1, SPI_tuptable->tupdesc, &tnull);
			Datum	  fv = heap_getattr(t, fatt + 1, SPI_tuptable->tupdesc, &fnull);

			if (tnull)
				continue;
			if (fnull && !text)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("column \"%s\" is NULL in row " INT64_FORMAT, col, row + 1)));
			if (n + nb == cap)
			{
				cap *= 2;
				pred = repalloc_huge(pred, sizeof(double) * cap * width);
				y = repalloc_huge(y, sizeof(double) * cap);
				if (label)
					label = repalloc_huge(label, sizeof(int32) * cap);
			}
			if (text)
				pgl_nn_text_encode(text, fv, fnull, ftype,
								   xb + (int64) nb * pgl_nn_input_size(net));
			else
				pgl_nn_datum_to_steps(fv, ftype, pgl_nn_input_size(net), pgl_nn_step_size(net),
									  cfg[PGL_NN_CFG_SCALE],
									  xb + (int64) nb * pgl_nn_input_size(net), col, row);
			if (classification)
				label[n + nb] = nn_eval_class(m, name, OutputFunctionCall(&tout, tv));
			else
				y[n + nb] = pgl_datum_to_double(tv, ttype);
			if (++nb == NN_EVAL_BATCH)
			{
				if (pgl_nn_predict_rows(&env, net, m, xb, nb, pred + n * width, &st) != PGL_OK)
					pgl_report(&st, "prediction failed");
				n += nb;
				nb = 0;
			}
		}
		MemoryContextSwitchTo(prev);
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
		if (done)
			break;
	}
	if (nb > 0)
	{
		if (pgl_nn_predict_rows(&env, net, m, xb, nb, pred + n * width, &st) != PGL_OK)
			pgl_report(&st, "prediction failed");
		n += nb;
	}
	SPI_cursor_close(portal);
	SPI_finish();
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no rows to evaluate on"),
						errdetail("The data returned no rows with a non-NULL target \"%s\".",
								  m->target_name)));
	initStringInfo(&buf);
	pgl_metrics_json(&buf, m, n, y, label, pred);
	MemoryContextSwitchTo(old);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	MemoryContextDelete(cxt);
	return result;
}
