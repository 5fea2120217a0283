/*-------------------------------------------------------------------------
 *
 * recommend.c
 *	  SQL functions of recommender (ALS) models: ai_predict(name, user,
 *	  item), ai_recommend, ai_recommend_all, ai_similar_items/users,
 *	  ai_recommend_for_ratings, and ai_evaluate on (user, item, rating) rows.
 *
 * Ids come in two families, integers (bigint in SQL) and text; each
 * function exists for both, and a model answers only in its own family.
 *
 *-------------------------------------------------------------------------
 */
#include "recommend.h"
#include "model_cache.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(ai_predict_rec_int);
PG_FUNCTION_INFO_V1(ai_predict_rec_text);
PG_FUNCTION_INFO_V1(ai_recommend_int);
PG_FUNCTION_INFO_V1(ai_recommend_text);
PG_FUNCTION_INFO_V1(ai_recommend_all_int);
PG_FUNCTION_INFO_V1(ai_recommend_all_text);
PG_FUNCTION_INFO_V1(ai_similar_items_int);
PG_FUNCTION_INFO_V1(ai_similar_items_text);
PG_FUNCTION_INFO_V1(ai_similar_users_int);
PG_FUNCTION_INFO_V1(ai_similar_users_text);
PG_FUNCTION_INFO_V1(ai_recommend_for_ratings_int);
PG_FUNCTION_INFO_V1(ai_recommend_for_ratings_text);

/* ---------- the view of a stored model ---------- */

static const void *
tensor_data(const pgl_model *m, const char *name)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	return t ? t->data : NULL;
}

void
pgl_rec_view(const char *name, const pgl_model *m, PglRecView *v)
{
	const pgl_tensor *uf, *vf;

	if (m->task != PGL_TASK_RECOMMENDATION)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("model \"%s\" is not a recommender", name),
						errhint("ai_recommend and its kin need a model trained with 'als'; "
								"use ai_predict(name, row) for this one.")));
	memset(v, 0, sizeof(*v));
	v->model = m;
	uf = pgl_model_tensor(m, "user_factors");
	vf = pgl_model_tensor(m, "item_factors");
	v->als.n_users = (int32) uf->dims[0];
	v->als.n_items = (int32) vf->dims[0];
	v->als.k = (int32) uf->dims[1];
	v->als.U = uf->data;
	v->als.V = vf->data;
	v->als.user_bias = (float *) tensor_data(m, "user_bias");
	v->als.item_bias = (float *) tensor_data(m, "item_bias");
	v->als.mu = *(const double *) tensor_data(m, "global_mean");
	v->user_ids = tensor_data(m, "user_ids");
	v->item_ids = tensor_data(m, "item_ids");
	v->user_keys = (char **) tensor_data(m, "user_keys");
	v->item_keys = (char **) tensor_data(m, "item_keys");
	v->text_users = v->user_keys != NULL;
	v->text_items = v->item_keys != NULL;
	v->popularity = tensor_data(m, "item_popularity");
	v->seen_ptr = tensor_data(m, "seen_ptr");
	v->seen_items = tensor_data(m, "seen_items");
	v->config = tensor_data(m, "config");
}

static int32
search_int(const int64 *ids, int32 n, int64 id)
{
	int32 lo = 0, hi = n - 1;

	while (lo <= hi)
	{
		int32 mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int32
search_text(char **keys, int32 n, const char *s, Size len)
{
	int32 lo = 0, hi = n - 1;

	while (lo <= hi)
	{
		int32 mid = lo + (hi - lo) / 2;
		int	  c = strncmp(keys[mid], s, len);

		if (c == 0 && keys[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int32
pgl_rec_user_index_int(const PglRecView *v, int64 id)
{
	return search_int(v->user_ids, v->als.n_users, id);
}

int32
pgl_rec_item_index_int(const PglRecView *v, int64 id)
{
	return search_int(v->item_ids, v->als.n_items, id);
}

int32
pgl_rec_user_index_text(const PglRecView *v, const char *s, Size len)
{
	return search_text(v->user_keys, v->als.n_users, s, len);
}

int32
pgl_rec_item_index_text(const PglRecView *v, const char *s, Size len)
{
	return search_text(v->item_keys, v->als.n_items, s, len);
}

/* ---------- per-call state ---------- */

typedef struct RecState
{
	PglCallModel cm;
	bool		 ready; /* v describes cm's model */
	PglRecView	 v;
	int32		*popular; /* items by popularity, built on first need */
} RecState;

static RecState *
rec_state(FunctionCallInfo fcinfo, bool text_ids)
{
	RecState		*st = fcinfo->flinfo->fn_extra;
	const pgl_model *m;
	bool			 changed;

	if (st == NULL)
		st = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RecState));
	m = pgl_call_model(&st->cm, PG_GETARG_TEXT_PP(0), fcinfo->flinfo->fn_mcxt, &changed);
	if (changed || !st->ready)
	{
		st->ready = false;
		pgl_rec_view(st->cm.name, m, &st->v);
		st->popular = NULL;
		st->ready = true;
	}
	/* every call: the same call site may pass ids of either family */
	{
		if (st->v.text_users != text_ids)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("model \"%s\" has %s ids, not %s ids", st->cm.name,
							st->v.text_users ? "text" : "integer", text_ids ? "text" : "integer"),
					 errhint(st->v.text_users ? "Pass the ids as text, e.g. '42'::text."
											  : "Pass the ids as integers (bigint).")));
	}
	return st;
}

static bool
cold_start_error(const PglRecView *v)
{
	return v->config[PGL_ALS_CFG_COLD_ERROR] != 0;
}

static bool
implicit_model(const PglRecView *v)
{
	return v->config[PGL_ALS_CFG_IMPLICIT] != 0;
}

static void
unknown_id(const char *name, const char *what, const char *id, const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
					errmsg("%s %s is not in model \"%s\"", what, id, name), errhint("%s", why)));
}

/* index of the user (or item) argument argno, or -1 */
static int32
arg_index(FunctionCallInfo fcinfo, RecState *st, int argno, bool item, bool text_ids, char **shown)
{
	if (text_ids)
	{
		text *t = PG_GETARG_TEXT_PP(argno);

		*shown = psprintf("\"%s\"", text_to_cstring(t));
		return item ? pgl_rec_item_index_text(&st->v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))
					: pgl_rec_user_index_text(&st->v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	*shown = psprintf(INT64_FORMAT, PG_GETARG_INT64(argno));
	return item ? pgl_rec_item_index_int(&st->v, PG_GETARG_INT64(argno))
				: pgl_rec_user_index_int(&st->v, PG_GETARG_INT64(argno));
}

static char *
v_item_shown(const PglRecView *v, int32 i)
{
	return v->text_items ? psprintf("\"%s\"", v->item_keys[i])
						 : psprintf(INT64_FORMAT, v->item_ids[i]);
}

static Datum
item_datum(const PglRecView *v, int32 i)
{
	return v->text_items ? CStringGetTextDatum(v->item_keys[i]) : Int64GetDatum(v->item_ids[i]);
}

static Datum
user_datum(const PglRecView *v, int32 u)
{
	return v->text_users ? CStringGetTextDatum(v->user_keys[u]) : Int64GetDatum(v->user_ids[u]);
}

static void
als_report(pgl_rc rc, pgl_status *st)
{
	if (rc != PGL_OK)
		pgl_report(st, "recommendation failed");
}

/* ---------- ai_predict(name, user_id, item_id) ---------- */

static Datum
predict_rec(FunctionCallInfo fcinfo, bool text_ids)
{
	RecState *st = rec_state(fcinfo, text_ids);
	char	 *ushown, *ishown;
	int32	  u = arg_index(fcinfo, st, 1, false, text_ids, &ushown);
	int32	  i = arg_index(fcinfo, st, 2, true, text_ids, &ishown);
	double	  score;

	if (u >= 0 && i >= 0)
		PG_RETURN_FLOAT8(pgl_als_predict(&st->v.als, u, i));
	if (cold_start_error(&st->v))
		unknown_id(st->cm.name, u < 0 ? "user" : "item", u < 0 ? ushown : ishown,
				   "The model was trained with \"cold_start\": \"error\".");

	/* cold start: what is known of the baseline (explicit), else no signal */
	if (implicit_model(&st->v))
		PG_RETURN_FLOAT8(0.0);
	score = st->v.als.mu;
	if (u >= 0)
		score += st->v.als.user_bias[u];
	if (i >= 0)
		score += st->v.als.item_bias[i];
	PG_RETURN_FLOAT8(score);
}

Datum
ai_predict_rec_int(PG_FUNCTION_ARGS)
{
	return predict_rec(fcinfo, false);
}

Datum
ai_predict_rec_text(PG_FUNCTION_ARGS)
{
	return predict_rec(fcinfo, true);
}

/* ---------- top-k for one user ---------- */

static int
cmp_popular(const void *a, const void *b, void *arg)
{
	const float *pop = arg;
	int32		 x = *(const int32 *) a, y = *(const int32 *) b;

	if (pop[x] != pop[y])
		return pop[x] > pop[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static void
emit_popular(ReturnSetInfo *rsinfo, RecState *st, int32 k, MemoryContext mcxt)
{
	const PglRecView *v = &st->v;

	if (st->popular == NULL)
	{
		st->popular = MemoryContextAlloc(mcxt, sizeof(int32) * (v->als.n_items + 1));
		for (int32 i = 0; i < v->als.n_items; i++)
			st->popular[i] = i;
		qsort_arg(st->popular, v->als.n_items, sizeof(int32), cmp_popular, (void *) v->popularity);
	}
	for (int32 r = 0; r < k && r < v->als.n_items; r++)
	{
		Datum values[2];
		bool  nulls[2] = {false, false};
		int32 i = st->popular[r];

		values[0] = item_datum(v, i);
		values[1] = Float8GetDatum(v->popularity[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static void
emit_topk(ReturnSetInfo *rsinfo, const PglRecView *v, const int32 *items, const float *scores,
		  int32 n)
{
	for (int32 r = 0; r < n; r++)
	{
		Datum values[2];
		bool  nulls[2] = {false, false};

		values[0] = item_datum(v, items[r]);
		values[1] = Float8GetDatum(scores[r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static int32
arg_k(FunctionCallInfo fcinfo, int argno)
{
	int32 k = PG_GETARG_INT32(argno);

	if (k < 0 || k > 100000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("k must be between 0 and 100000, not %d", k)));
	return k;
}

static Datum
recommend(FunctionCallInfo fcinfo, bool text_ids)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RecState	  *st = rec_state(fcinfo, text_ids);
	char		  *shown;
	int32		   u = arg_index(fcinfo, st, 1, false, text_ids, &shown);
	int32		   k = arg_k(fcinfo, 2);
	bool		   exclude_seen = PG_GETARG_BOOL(3);
	int32		  *items;
	float		  *scores;
	int32		   n;
	pgl_env		   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status	   s;

	InitMaterializedSRF(fcinfo, 0);
	if (u < 0)
	{
		if (cold_start_error(&st->v))
			unknown_id(st->cm.name, "user", shown,
					   "The model was trained with \"cold_start\": \"error\"; "
					   "ai_recommend_for_ratings() recommends for a user from their ratings.");
		emit_popular(rsinfo, st, k, fcinfo->flinfo->fn_mcxt);
		return (Datum) 0;
	}
	items = palloc(sizeof(int32) * (k + 1));
	scores = palloc(sizeof(float) * (k + 1));
	memset(&s, 0, sizeof(s));
	als_report(pgl_als_recommend(&env, &st->v.als, st->v.als.U + (Size) u * st->v.als.k,
								 st->v.als.user_bias[u],
								 exclude_seen ? st->v.seen_items + st->v.seen_ptr[u] : NULL,
								 exclude_seen ? st->v.seen_ptr[u + 1] - st->v.seen_ptr[u] : 0, k,
								 items, scores, &n, &s),
			   &s);
	emit_topk(rsinfo, &st->v, items, scores, n);
	return (Datum) 0;
}

Datum
ai_recommend_int(PG_FUNCTION_ARGS)
{
	return recommend(fcinfo, false);
}

Datum
ai_recommend_text(PG_FUNCTION_ARGS)
{
	return recommend(fcinfo, true);
}

/* ---------- ai_recommend_all: streamed, a block of users at a time ---------- */

#define REC_ALL_BLOCK 256

typedef struct RecAllState
{
	char	  *name;
	int64	   version_id;
	uint64	   generation; /* of the cache when v was made */
	PglRecView v;
	int32	   k;
	int32	   u0, u1; /* current block */
	int32	  *items;  /* block x k */
	float	  *scores;
	int32	  *counts;
	int32	   cur_user; /* next row to emit: user, rank */
	int32	   cur_rank;
} RecAllState;

static Datum
recommend_all(FunctionCallInfo fcinfo, bool text_ids)
{
	FuncCallContext *fctx;
	RecAllState		*ra;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext	 old;
		const pgl_model *m;
		char			*name = text_to_cstring(PG_GETARG_TEXT_PP(0));
		TupleDesc		 desc;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		ra = palloc0(sizeof(RecAllState));
		ra->name = name;
		m = pgl_model_get(name, &ra->version_id);
		pgl_rec_view(name, m, &ra->v);
		ra->generation = pgl_cache_generation;
		if (ra->v.text_users != text_ids)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("model \"%s\" has %s ids", name, ra->v.text_users ? "text" : "integer"),
					 errhint(ra->v.text_users ? "Use ai_recommend_all_text() for it."
											  : "Use ai_recommend_all() for it.")));
		ra->k = arg_k(fcinfo, 1);
		ra->items = palloc(sizeof(int32) * REC_ALL_BLOCK * (ra->k + 1));
		ra->scores = palloc(sizeof(float) * REC_ALL_BLOCK * (ra->k + 1));
		ra->counts = palloc0(sizeof(int32) * REC_ALL_BLOCK);
		ra->u0 = ra->u1 = 0;
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		fctx->tuple_desc = BlessTupleDesc(desc);
		fctx->user_fctx = ra;
		pgl_set_blas_threads();
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	ra = fctx->user_fctx;

	/* the cache may have evicted the model between two calls: take it again */
	if (ra->generation != pgl_cache_generation)
	{
		MemoryContext old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);

		pgl_rec_view(ra->name, pgl_model_by_version(ra->version_id, ra->name), &ra->v);
		ra->generation = pgl_cache_generation;
		MemoryContextSwitchTo(old);
	}

	for (;;)
	{
		/* the next row of the current block */
		while (ra->cur_user < ra->u1)
		{
			int32 b = ra->cur_user - ra->u0;

			if (ra->cur_rank < ra->counts[b])
			{
				Datum values[4];
				bool  nulls[4] = {false, false, false, false};
				int32 r = ra->cur_rank++;

				values[0] = user_datum(&ra->v, ra->cur_user);
				values[1] = item_datum(&ra->v, ra->items[(Size) b * ra->k + r]);
				values[2] = Int32GetDatum(r + 1);
				values[3] = Float8GetDatum(ra->scores[(Size) b * ra->k + r]);
				SRF_RETURN_NEXT(
					fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
			}
			ra->cur_user++;
			ra->cur_rank = 0;
		}
		if (ra->u1 >= ra->v.als.n_users || ra->k == 0)
			SRF_RETURN_DONE(fctx);

		/* score the next block of users */
		{
			pgl_env		env = pgl_backend_env(fctx->multi_call_memory_ctx);
			pgl_status	s;
			pgl_ratings seen;

			memset(&seen, 0, sizeof(seen));
			seen.n_users = ra->v.als.n_users;
			seen.n_items = ra->v.als.n_items;
			seen.user_ptr = (int64_t *) ra->v.seen_ptr;
			seen.user_items = (int32_t *) ra->v.seen_items;
			seen.nnz = ra->v.seen_ptr[ra->v.als.n_users];
			ra->u0 = ra->u1;
			ra->u1 = Min(ra->u0 + REC_ALL_BLOCK, ra->v.als.n_users);
			memset(&s, 0, sizeof(s));
			als_report(pgl_als_recommend_block(&env, &ra->v.als, &seen, ra->u0, ra->u1, ra->k,
											   pgl_thread_count(), ra->items, ra->scores,
											   ra->counts, &s),
					   &s);
			ra->cur_user = ra->u0;
			ra->cur_rank = 0;
		}
	}
}

Datum
ai_recommend_all_int(PG_FUNCTION_ARGS)
{
	return recommend_all(fcinfo, false);
}

Datum
ai_recommend_all_text(PG_FUNCTION_ARGS)
{
	return recommend_all(fcinfo, true);
}

/* ---------- similar items / users ---------- */

static Datum
similar(FunctionCallInfo fcinfo, bool text_ids, bool items)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RecState	  *st = rec_state(fcinfo, text_ids);
	char		  *shown;
	int32		   idx = arg_index(fcinfo, st, 1, items, text_ids, &shown);
	int32		   k = arg_k(fcinfo, 2);
	int32		  *out;
	float		  *scores;
	int32		   n;
	pgl_env		   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status	   s;

	if (idx < 0)
		unknown_id(st->cm.name, items ? "item" : "user", shown,
				   items ? "Only items seen in training have factors to compare."
						 : "Only users seen in training have factors to compare.");
	InitMaterializedSRF(fcinfo, 0);
	out = palloc(sizeof(int32) * (k + 1));
	scores = palloc(sizeof(float) * (k + 1));
	memset(&s, 0, sizeof(s));
	als_report(pgl_als_similar(&env, items ? st->v.als.V : st->v.als.U,
							   items ? st->v.als.n_items : st->v.als.n_users, st->v.als.k, idx, k,
							   out, scores, &n, &s),
			   &s);
	for (int32 r = 0; r < n; r++)
	{
		Datum values[2];
		bool  nulls[2] = {false, false};

		values[0] = items ? item_datum(&st->v, out[r]) : user_datum(&st->v, out[r]);
		values[1] = Float8GetDatum(scores[r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
ai_similar_items_int(PG_FUNCTION_ARGS)
{
	return similar(fcinfo, false, true);
}

Datum
ai_similar_items_text(PG_FUNCTION_ARGS)
{
	return similar(fcinfo, true, true);
}

Datum
ai_similar_users_int(PG_FUNCTION_ARGS)
{
	return similar(fcinfo, false, false);
}

Datum
ai_similar_users_text(PG_FUNCTION_ARGS)
{
	return similar(fcinfo, true, false);
}

/* ---------- fold-in ---------- */

static int
cmp_int32(const void *a, const void *b)
{
	int32 x = *(const int32 *) a, y = *(const int32 *) b;

	return (x > y) - (x < y);
}

static Datum
recommend_for_ratings(FunctionCallInfo fcinfo, bool text_ids)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RecState	  *st = rec_state(fcinfo, text_ids);
	ArrayType	  *ia = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType	  *ra = PG_GETARG_ARRAYTYPE_P(2);
	int32		   k = arg_k(fcinfo, 3);
	Datum		  *ie, *re;
	bool		  *in, *rn;
	int			   ni, nr;
	int32		  *items, *sorted, *out;
	float		  *ratings, *scores, *x, bias = 0;
	int32		   n;
	pgl_als_params params;
	pgl_env		   env = pgl_backend_env(CurrentMemoryContext);
	pgl_status	   s;

	deconstruct_array(ia, text_ids ? TEXTOID : INT8OID, text_ids ? -1 : 8,
					  text_ids ? false : FLOAT8PASSBYVAL, text_ids ? TYPALIGN_INT : TYPALIGN_DOUBLE,
					  &ie, &in, &ni);
	deconstruct_array(ra, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &re, &rn, &nr);
	if (ni != nr)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("item_ids and ratings must have the same length, not %d and %d", ni, nr)));
	items = palloc(sizeof(int32) * (ni + 1));
	ratings = palloc(sizeof(float) * (ni + 1));
	for (int j = 0; j < ni; j++)
	{
		char *shown;

		if (in[j] || rn[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("item_ids and ratings must not contain NULL (element %d)", j + 1)));
		if (text_ids)
		{
			text *t = DatumGetTextPP(ie[j]);

			items[j] = pgl_rec_item_index_text(&st->v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			shown = psprintf("\"%s\"", text_to_cstring(t));
		}
		else
		{
			items[j] = pgl_rec_item_index_int(&st->v, DatumGetInt64(ie[j]));
			shown = psprintf(INT64_FORMAT, DatumGetInt64(ie[j]));
		}
		if (items[j] < 0)
			unknown_id(st->cm.name, "item", shown,
					   "Fold-in uses the factors of items seen in training; leave new items out.");
		if (!isfinite(DatumGetFloat8(re[j])) || fabs(DatumGetFloat8(re[j])) > PGL_MAX_RATING)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("rating %d (%g) is not a usable number", j + 1, DatumGetFloat8(re[j])),
					 errhint("Ratings must be finite and between -1e9 and 1e9.")));
		ratings[j] = (float) DatumGetFloat8(re[j]);
	}

	InitMaterializedSRF(fcinfo, 0);
	if (ni == 0)
	{
		if (cold_start_error(&st->v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("no ratings to fold in"),
					 errhint("The model was trained with \"cold_start\": \"error\".")));
		emit_popular(rsinfo, st, k, fcinfo->flinfo->fn_mcxt);
		return (Datum) 0;
	}
	memset(&params, 0, sizeof(params));
	params.implicit = implicit_model(&st->v);
	params.factors = st->v.als.k;
	params.l2 = st->v.config[PGL_ALS_CFG_L2];
	/* models before 0.3.0 have no bias_l2: their biases were penalized like the factors */
	params.bias_l2 = tensor_data(st->v.model, "bias_l2")
						 ? *(const double *) tensor_data(st->v.model, "bias_l2")
						 : -1;
	params.alpha = st->v.config[PGL_ALS_CFG_ALPHA];
	params.cg_steps = (int32) st->v.config[PGL_ALS_CFG_CG_STEPS];
	params.iterations = 1;
	params.threads = 1;
	x = palloc0(sizeof(float) * st->v.als.k);
	memset(&s, 0, sizeof(s));
	als_report(pgl_als_fold_in(&env, &st->v.als, &params, items, ratings, ni, x, &bias, &s), &s);

	/* recommend, leaving out what was rated */
	sorted = palloc(sizeof(int32) * (ni + 1));
	memcpy(sorted, items, sizeof(int32) * ni);
	qsort(sorted, ni, sizeof(int32), cmp_int32);
	for (int j = 1; j < ni; j++)
		if (sorted[j] == sorted[j - 1])
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("item %s appears more than once in the ratings",
								   v_item_shown(&st->v, sorted[j])),
							errhint("Give each item one rating.")));
	out = palloc(sizeof(int32) * (k + 1));
	scores = palloc(sizeof(float) * (k + 1));
	als_report(pgl_als_recommend(&env, &st->v.als, x, bias, sorted, ni, k, out, scores, &n, &s),
			   &s);
	emit_topk(rsinfo, &st->v, out, scores, n);
	return (Datum) 0;
}

Datum
ai_recommend_for_ratings_int(PG_FUNCTION_ARGS)
{
	return recommend_for_ratings(fcinfo, false);
}

Datum
ai_recommend_for_ratings_text(PG_FUNCTION_ARGS)
{
	return recommend_for_ratings(fcinfo, true);
}
