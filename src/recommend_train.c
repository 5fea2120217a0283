/*-------------------------------------------------------------------------
 *
 * recommend_train.c
 *	  ai_train(..., 'als', ...): read (user, item, rating) rows, map the ids
 *	  to dense indexes, resolve duplicates, hold out ratings per user, fit,
 *	  evaluate, and store the model.
 *
 * The rows are read through SPI with a DestReceiver of their own, as the
 * calling role; each row costs 24 bytes (two indexes, a rating, its position),
 * bounded by pg_learn.max_train_memory.  Integer ids map through a hash
 * table, text ids through a PglVocab.  The model keeps the ids sorted, so
 * that the dense index of an id is its position and a binary search finds it.
 *
 *-------------------------------------------------------------------------
 */
#include "recommend.h"
#include "options.h"
#include "vocab.h"
#include "data_reader.h"
#include "model_cache.h"
#include "store.h"
#include "train_glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "model_format.h"
#include "prep.h"

/* ---------- id maps ---------- */

typedef struct IntEntry
{
	int64 id; /* hash key */
	int32 idx;
} IntEntry;

typedef struct IdMap
{
	const char *what; /* "user" or "item" */
	bool		text;
	HTAB	   *ints;
	int64	   *int_ids; /* by dense index */
	int32		n;
	int32		cap;
	PglVocab   *texts;
} IdMap;

static void
idmap_init(IdMap *m, const char *what, bool text, MemoryContext cxt)
{
	memset(m, 0, sizeof(*m));
	m->what = what;
	m->text = text;
	if (text)
		m->texts = pgl_vocab_create(cxt);
	else
	{
		HASHCTL ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(IntEntry);
		ctl.hcxt = cxt;
		m->ints = hash_create("pg_learn ids", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		m->cap = 1024;
		m->int_ids = MemoryContextAlloc(cxt, sizeof(int64) * m->cap);
	}
}

static int32
idmap_int(IdMap *m, int64 id)
{
	bool	  found;
	IntEntry *e = hash_search(m->ints, &id, HASH_ENTER, &found);

	if (!found)
	{
		if (m->n == INT32_MAX - 1)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							errmsg("too many distinct %s ids", m->what)));
		if (m->n == m->cap)
		{
			m->cap *= 2;
			m->int_ids = repalloc_huge(m->int_ids, sizeof(int64) * m->cap);
		}
		e->idx = m->n;
		m->int_ids[m->n++] = id;
	}
	return e->idx;
}

static int32
idmap_size(IdMap *m)
{
	return m->text ? pgl_vocab_size(m->texts) : m->n;
}

/* ---------- reading ---------- */

typedef struct RatingRow
{
	int32 u;
	int32 i;
	float r;
	int32 pad;
	int64 seq; /* arrival order */
} RatingRow;

typedef struct RecReceiver
{
	DestReceiver  pub;
	const char	 *user_col;
	const char	 *item_col;
	const char	 *rating_col;
	int			  att[3]; /* user, item, rating */
	Oid			  typ[3];
	FmgrInfo	  out[2];
	IdMap		  users;
	IdMap		  items;
	RatingRow	 *rows;
	int64		  n;
	int64		  cap;
	int64		  skipped; /* rows with a NULL */
	MemoryContext cxt;
	MemoryContext row_cxt;
} RecReceiver;

static bool
id_type_is_text(Oid typid)
{
	switch (getBaseType(typid))
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return true;
		default:
			return false;
	}
}

static int
find_column(TupleDesc desc, const char *name, int fallback, const char *what, const char *option)
{
	int i;

	if (name == NULL)
	{
		int seen = 0;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped && seen++ == fallback)
				return i;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the data has no %s column: it has %d columns", what, seen),
				 errhint("An \"als\" model reads (user, item, rating): the first three columns, "
						 "or the ones named by \"user_col\", \"item_col\" and \"rating_col\".")));
	}
	if ((i = pgl_column_index(desc, name)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" (option \"%s\") is not in the data", what, name, option),
				 errhint("The data has the columns %s.", pgl_column_list(desc))));
	return i;
}

static void
rec_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	RecReceiver *r = (RecReceiver *) self;
	const char	*what[3] = {"user", "item", "rating"};

	r->att[0] = find_column(desc, r->user_col, 0, "user", "user_col");
	r->att[1] = find_column(desc, r->item_col, 1, "item", "item_col");
	r->att[2] = find_column(desc, r->rating_col, 2, "rating", "rating_col");
	for (int c = 0; c < 3; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, r->att[c]);

		r->typ[c] = getBaseType(att->atttypid);
		for (int d = 0; d < c; d++)
			if (r->att[d] == r->att[c])
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("the %s and %s columns are the same column \"%s\"", what[d],
									   what[c], NameStr(att->attname))));
		if (c < 2)
		{
			if (!pgl_type_is_integer(att->atttypid) && !id_type_is_text(att->atttypid))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s column \"%s\" has type %s, but ids must be integers or text",
								what[c], NameStr(att->attname), format_type_be(att->atttypid)),
						 errhint("Cast the ids to bigint or text in a SELECT.")));
			if (id_type_is_text(att->atttypid))
			{
				Oid	 fn;
				bool varlena;

				getTypeOutputInfo(att->atttypid, &fn, &varlena);
				fmgr_info_cxt(fn, &r->out[c], r->cxt);
			}
		}
		else if (!pgl_type_is_numeric(att->atttypid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("rating column \"%s\" has type %s, but ratings must be numbers",
							NameStr(att->attname), format_type_be(att->atttypid)),
					 errhint("For implicit feedback without a rating, select 1 AS rating.")));
	}
	if (id_type_is_text(r->typ[0]) != id_type_is_text(r->typ[1]))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("user ids (%s) and item ids (%s) must be of the same family",
						format_type_be(r->typ[0]), format_type_be(r->typ[1])),
				 errhint("Make both integers or both text, e.g. SELECT user_id::text, item_code, "
						 "rating FROM ...")));
	idmap_init(&r->users, "user", id_type_is_text(r->typ[0]), r->cxt);
	idmap_init(&r->items, "item", id_type_is_text(r->typ[1]), r->cxt);
}

static int32
map_id(RecReceiver *r, int c, Datum d)
{
	IdMap *m = c == 0 ? &r->users : &r->items;

	if (!m->text)
		return idmap_int(m, r->typ[c] == INT8OID   ? DatumGetInt64(d)
							: r->typ[c] == INT4OID ? (int64) DatumGetInt32(d)
												   : (int64) DatumGetInt16(d));
	if (r->typ[c] == TEXTOID || r->typ[c] == VARCHAROID)
	{
		text *t = DatumGetTextPP(d);

		return pgl_vocab_intern(m->texts, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	else
	{
		char *s = OutputFunctionCall(&r->out[c], d);

		return pgl_vocab_intern(m->texts, s, strlen(s));
	}
}

static bool
rec_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RecReceiver	 *r = (RecReceiver *) self;
	RatingRow	 *row;
	double		  v;
	MemoryContext old;

	slot_getallattrs(slot);
	for (int c = 0; c < 3; c++)
		if (slot->tts_isnull[r->att[c]])
		{
			r->skipped++;
			return true;
		}
	if ((r->n & 4095) == 0)
		CHECK_FOR_INTERRUPTS();
	if (r->n == r->cap)
	{
		Size  limit = (Size) pgl_max_train_memory_kb * 1024;
		int64 cap = r->cap ? r->cap * 2 : Min(65536, (int64) (limit / sizeof(RatingRow) / 2));

		if ((Size) cap * sizeof(RatingRow) > limit)
			cap = (int64) (limit / sizeof(RatingRow));
		if (cap <= r->n)
			pgl_check_memory((Size) (r->n + 1) * sizeof(RatingRow),
							 psprintf("reading more than " INT64_FORMAT " ratings", r->n));
		r->rows = r->rows ? repalloc_huge(r->rows, sizeof(RatingRow) * cap)
						  : MemoryContextAllocHuge(r->cxt, sizeof(RatingRow) * cap);
		r->cap = cap;
	}
	v = pgl_datum_to_double(slot->tts_values[r->att[2]], r->typ[2]);
	if (!isfinite(v) || fabs(v) > PGL_MAX_RATING)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("rating %g in row " INT64_FORMAT " is not a usable number", v,
						r->n + r->skipped + 1),
				 errhint("Ratings must be finite and between -1e9 and 1e9; filter or rescale "
						 "them in a SELECT.")));
	row = &r->rows[r->n];
	old = MemoryContextSwitchTo(r->row_cxt);
	row->u = map_id(r, 0, slot->tts_values[r->att[0]]);
	row->i = map_id(r, 1, slot->tts_values[r->att[1]]);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->row_cxt);
	row->r = (float) v;
	row->pad = 0;
	row->seq = r->n;
	r->n++;
	return true;
}

static void
rec_shutdown(DestReceiver *self)
{
}

static void
rec_destroy(DestReceiver *self)
{
}

static void
read_ratings(RecReceiver *r, const char *data)
{
	r->pub.receiveSlot = rec_receive;
	r->pub.rStartup = rec_startup;
	r->pub.rShutdown = rec_shutdown;
	r->pub.rDestroy = rec_destroy;
	r->pub.mydest = DestNone;
	r->row_cxt = AllocSetContextCreate(r->cxt, "pg_learn row", ALLOCSET_SMALL_SIZES);
	pgl_run_data_into(data, &r->pub);
}

/* ---------- sorting ids and ratings ---------- */

static const IdMap *sort_map; /* for the qsort comparators below */

static int
cmp_int_idx(const void *a, const void *b)
{
	int64 x = sort_map->int_ids[*(const int32 *) a];
	int64 y = sort_map->int_ids[*(const int32 *) b];

	return (x > y) - (x < y);
}

static int
cmp_text_idx(const void *a, const void *b)
{
	return strcmp(pgl_vocab_string(sort_map->texts, *(const int32 *) a),
				  pgl_vocab_string(sort_map->texts, *(const int32 *) b));
}

/* order of the ids (sorted), and remap[old index] = new index */
static int32 *
sorted_order(const IdMap *m, int32 **remap)
{
	int32  n = idmap_size((IdMap *) m);
	int32 *order = palloc_extended(sizeof(int32) * (n + 1), MCXT_ALLOC_HUGE);

	for (int32 i = 0; i < n; i++)
		order[i] = i;
	sort_map = m;
	qsort(order, n, sizeof(int32), m->text ? cmp_text_idx : cmp_int_idx);
	*remap = palloc_extended(sizeof(int32) * (n + 1), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < n; i++)
		(*remap)[order[i]] = i;
	return order;
}

static int
cmp_rating(const void *a, const void *b)
{
	const RatingRow *x = a, *y = b;

	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* the ids as a tensor: I64 or STR, in sorted order */
static void
id_tensor(pgl_tensor *t, const char *name_int, const char *name_text, const IdMap *m,
		  const int32 *order)
{
	int32 n = idmap_size((IdMap *) m);

	memset(t, 0, sizeof(*t));
	t->ndim = 1;
	t->dims[0] = n;
	if (m->text)
	{
		char **keys = palloc_extended(sizeof(char *) * (n + 1), MCXT_ALLOC_HUGE);

		for (int32 i = 0; i < n; i++)
			keys[i] = (char *) pgl_vocab_string(m->texts, order[i]);
		strlcpy(t->name, name_text, sizeof(t->name));
		t->dtype = PGL_STR;
		t->data = keys;
	}
	else
	{
		int64 *ids = palloc_extended(sizeof(int64) * (n + 1), MCXT_ALLOC_HUGE);

		for (int32 i = 0; i < n; i++)
			ids[i] = m->int_ids[order[i]];
		strlcpy(t->name, name_int, sizeof(t->name));
		t->dtype = PGL_I64;
		t->data = ids;
	}
}

static void
tensor(pgl_tensor *t, const char *name, int dtype, int ndim, int64 d0, int64 d1, void *data)
{
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, name, sizeof(t->name));
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	t->data = data;
}

/* sort by (user, item, arrival) and resolve duplicates; returns the rows kept */
static int64
dedupe(RatingRow *rows, int64 n, bool sum, int64 *n_dups)
{
	int64 kept = 0;

	qsort(rows, n, sizeof(RatingRow), cmp_rating);
	*n_dups = 0;
	for (int64 j = 0; j < n; j++)
	{
		if (kept > 0 && rows[kept - 1].u == rows[j].u && rows[kept - 1].i == rows[j].i)
		{
			(*n_dups)++;
			if (sum)
				rows[kept - 1].r += rows[j].r;
			else
				rows[kept - 1].r = rows[j].r;
			continue;
		}
		rows[kept++] = rows[j];
	}
	return kept;
}

/* ---------- metrics JSON ---------- */

static void
json_number(StringInfo buf, const char *key, double v)
{
	if (isfinite(v))
		appendStringInfo(buf, ", \"%s\": %.10g", key, v);
	else
		appendStringInfo(buf, ", \"%s\": null", key);
}

void
pgl_rank_metrics_json(StringInfo buf, const pgl_rank_metrics *rm, int64 n, int32 k, bool implicit)
{
	appendStringInfo(buf, "{\"n\": " INT64_FORMAT ", \"users\": " INT64_FORMAT, n, rm->users);
	if (!implicit)
	{
		json_number(buf, "rmse", rm->rmse);
		json_number(buf, "mae", rm->mae);
	}
	json_number(buf, psprintf("precision@%d", k), rm->precision);
	json_number(buf, psprintf("recall@%d", k), rm->recall);
	json_number(buf, psprintf("ndcg@%d", k), rm->ndcg);
	json_number(buf, psprintf("map@%d", k), rm->map);
	json_number(buf, "coverage", rm->coverage);
	appendStringInfoChar(buf, '}');
}

/* ---------- the glue steps (train_glue.h) ---------- */

static void
env_report(pgl_rc rc, pgl_status *st, const char *what)
{
	if (rc != PGL_OK)
		pgl_report(st, what);
}

typedef struct RecTrain
{
	RecReceiver	   r;
	int32		  *uorder, *iorder;
	int32		   n_users, n_items, k;
	int64		   kept, n_dups, n_train, n_test;
	int32		  *tr_u, *tr_i, *te_u, *te_i;
	float		  *tr_r, *te_r;
	pgl_ratings	   train, test;
	pgl_als_params params;
	pgl_als_model  am;
	pgl_als_info   info;
	pgl_als_auto   au;
	bool		   searched; /* pgl_als_fit_auto ran (au is its report) */
	int32		   patience; /* early stopping; 0: none */
} RecTrain;

static void
rec_check(PglTrainCall *c)
{
	if (c->target && c->opts.rating_col == NULL)
		c->opts.rating_col = (char *) c->target;
	if (!c->opts.implicit && c->opts.l2 == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"l2\" must be above 0 for explicit feedback"),
						errdetail("Each user's and item's least-squares system needs the "
								  "regularization to be solvable."),
						errhint("Use a small value such as 0.01, or \"feedback\": \"implicit\".")));
	if (c->opts.implicit && c->opts.bias_l2 != -1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"bias_l2\" applies to explicit feedback only"),
						errdetail("Implicit-feedback models have no biases."),
						errhint("Remove \"bias_l2\", or use \"feedback\": \"explicit\".")));
}

/* the (user, item, rating) rows: ids sorted, duplicates resolved */
static void
rec_read(PglTrainCall *c)
{
	RecTrain	*t = palloc0(sizeof(RecTrain));
	RecReceiver *r = &t->r;
	int32		*uremap, *iremap;

	c->state = t;
	t->k = c->opts.k > 0 ? c->opts.k : 10;
	r->user_col = c->opts.user_col;
	r->item_col = c->opts.item_col;
	r->rating_col = c->opts.rating_col;
	r->cxt = c->cxt;
	read_ratings(r, c->data);
	if (r->n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("no ratings to train on"),
						r->skipped > 0 ? errdetail(INT64_FORMAT " rows were skipped because their "
																"user, item or rating is NULL.",
												   r->skipped)
									   : errdetail("The data \"%s\" returned no rows.", c->data)));

	/* sorted ids, and the ratings recoded to them and sorted by (user, item, arrival) */
	t->uorder = sorted_order(&r->users, &uremap);
	t->iorder = sorted_order(&r->items, &iremap);
	t->n_users = idmap_size(&r->users);
	t->n_items = idmap_size(&r->items);
	for (int64 j = 0; j < r->n; j++)
	{
		r->rows[j].u = uremap[r->rows[j].u];
		r->rows[j].i = iremap[r->rows[j].i];
	}
	/* duplicates: the last one wins, or they are summed */
	t->kept = dedupe(r->rows, r->n, c->opts.duplicates_sum, &t->n_dups);
	for (int64 j = 0; j < t->kept; j++)
		if (fabs(r->rows[j].r) > PGL_MAX_RATING)
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("a summed rating reaches %g, beyond the limit of 1e9",
								   (double) r->rows[j].r),
							errhint("Rescale the ratings, or use \"duplicates\": \"last\".")));
}

/*
 * Which ratings a split holds out: each one drawn with probability
 * fraction, or (folds > 0) those of fold number fold of folds disjoint
 * folds.  Both cut the same uniform draw of (seed, position).
 */
typedef struct SplitRule
{
	uint64 seed;
	double fraction;
	int	   fold;
	int	   folds;
} SplitRule;

static bool
split_holds(const SplitRule *s, int64 q)
{
	if (s->folds > 0)
		return pgl_hash_in_fold(s->seed, (uint64) q, s->fold, s->folds);
	return pgl_row_in_test(s->seed, q, s->fraction);
}

/*
 * Hold out ratings per user by rule (rows sorted by user): a user always
 * keeps at least one rating in training.
 */
static void
holdout_per_user(RecTrain *t, const RatingRow *rows, int64 kept, const SplitRule *rule)
{
	t->n_train = t->n_test = 0;
	t->tr_u = palloc_extended(sizeof(int32) * kept, MCXT_ALLOC_HUGE);
	t->tr_i = palloc_extended(sizeof(int32) * kept, MCXT_ALLOC_HUGE);
	t->tr_r = palloc_extended(sizeof(float) * kept, MCXT_ALLOC_HUGE);
	t->te_u = palloc_extended(sizeof(int32) * (kept + 1), MCXT_ALLOC_HUGE);
	t->te_i = palloc_extended(sizeof(int32) * (kept + 1), MCXT_ALLOC_HUGE);
	t->te_r = palloc_extended(sizeof(float) * (kept + 1), MCXT_ALLOC_HUGE);
	for (int64 j = 0; j < kept;)
	{
		int64 end = j;
		int64 in_train = 0;

		while (end < kept && rows[end].u == rows[j].u)
			end++;
		for (int64 q = j; q < end; q++)
		{
			bool held = split_holds(rule, q);

			/* the user's last rating stays in training if none did */
			if (held && !(q == end - 1 && in_train == 0))
			{
				t->te_u[t->n_test] = rows[q].u;
				t->te_i[t->n_test] = rows[q].i;
				t->te_r[t->n_test++] = rows[q].r;
			}
			else
			{
				t->tr_u[t->n_train] = rows[q].u;
				t->tr_i[t->n_train] = rows[q].i;
				t->tr_r[t->n_train++] = rows[q].r;
				in_train++;
			}
		}
		j = end;
	}
}

/* an item whose ratings all fell in the hold-out gets one back */
static void
holdout_items_back(RecTrain *t)
{
	bool *has_train = palloc0(sizeof(bool) * (t->n_items + 1));
	int64 q = 0;

	for (int64 j = 0; j < t->n_train; j++)
		has_train[t->tr_i[j]] = true;
	for (int64 j = 0; j < t->n_test; j++)
	{
		if (!has_train[t->te_i[j]])
		{
			has_train[t->te_i[j]] = true;
			t->tr_u[t->n_train] = t->te_u[j];
			t->tr_i[t->n_train] = t->te_i[j];
			t->tr_r[t->n_train++] = t->te_r[j];
			continue;
		}
		t->te_u[q] = t->te_u[j];
		t->te_i[q] = t->te_i[j];
		t->te_r[q++] = t->te_r[j];
	}
	t->n_test = q;
}

/*
 * A search trial or a cross-validation fold (c->opts.trial): the hold-out
 * just drawn is set aside, never seen, and the validation split is carved
 * per user out of the training ratings left, in the same way, with the
 * seed "seed" + 1: fold c->opts.fold of c->opts.folds, else a fraction
 * test_size (0.2 when 0).  ai_cross_validate passes "test_size": 0, so its
 * folds cut all the ratings.
 */
static void
validation_split(PglTrainCall *c, RecTrain *t, double test_size)
{
	RatingRow *rows = palloc_extended(sizeof(RatingRow) * (t->n_train + 1), MCXT_ALLOC_HUGE);
	int64	   n = t->n_train;
	SplitRule  rule = {(c->opts.seed + 1) % UINT64CONST(9007199254740992),
					   test_size > 0 ? test_size : PGL_DEFAULT_TEST_SIZE, c->opts.fold,
					   c->opts.folds};

	for (int64 j = 0; j < n; j++)
	{
		rows[j].u = t->tr_u[j];
		rows[j].i = t->tr_i[j];
		rows[j].r = t->tr_r[j];
		rows[j].pad = 0;
		rows[j].seq = j;
	}
	/* by (user, item): the items given back by holdout_items_back were appended */
	qsort(rows, n, sizeof(RatingRow), cmp_rating);
	pfree(t->tr_u);
	pfree(t->tr_i);
	pfree(t->tr_r);
	pfree(t->te_u);
	pfree(t->te_i);
	pfree(t->te_r);
	holdout_per_user(t, rows, n, &rule);
	holdout_items_back(t);
	pfree(rows);
}

/* the split and the sparse rating matrices */
static void
rec_preprocess(PglTrainCall *c)
{
	RecTrain  *t = c->state;
	pgl_status st;
	double	   test_size =
		c->opts.test_size >= 0 ? c->opts.test_size : (t->kept >= 50 ? PGL_DEFAULT_TEST_SIZE : 0.0);
	SplitRule holdout = {c->opts.seed, test_size, 0, 0};

	memset(&st, 0, sizeof(st));
	holdout_per_user(t, t->r.rows, t->kept, &holdout);
	holdout_items_back(t);
	if (c->opts.trial)
		validation_split(c, t, test_size);
	env_report(pgl_ratings_build(&c->env, t->n_users, t->n_items, t->n_train, t->tr_u, t->tr_i,
								 t->tr_r, &t->train, &st),
			   &st, "training failed");
	env_report(pgl_ratings_build(&c->env, t->n_users, t->n_items, t->n_test, t->te_u, t->te_i,
								 t->te_r, &t->test, &st),
			   &st, "training failed");
}

/* the model: ids, factors, biases, what each user has seen, the config */
static pgl_model *
rec_model(PglTrainCall *c, RecTrain *t)
{
	pgl_model *m = palloc0(sizeof(pgl_model));
	float	  *popularity = palloc0(sizeof(float) * (t->n_items + 1));
	double	  *config = palloc0(sizeof(double) * PGL_ALS_CFG_LEN);
	double	  *mu = palloc(sizeof(double));
	char	 **cols = palloc(sizeof(char *) * 3);

	m->algorithm = PGL_ALGO_ALS;
	m->task = PGL_TASK_RECOMMENDATION;
	m->target_name = "";
	m->target_type = "";
	for (int32 i = 0; i < t->n_items; i++)
		popularity[i] = (float) (t->train.item_ptr[i + 1] - t->train.item_ptr[i]);
	config[PGL_ALS_CFG_IMPLICIT] = t->params.implicit ? 1 : 0;
	config[PGL_ALS_CFG_L2] = t->params.l2;
	config[PGL_ALS_CFG_ALPHA] = t->params.alpha;
	config[PGL_ALS_CFG_CG_STEPS] = t->params.cg_steps;
	config[PGL_ALS_CFG_COLD_ERROR] = c->opts.cold_start_error ? 1 : 0;
	config[PGL_ALS_CFG_ITERATIONS] = t->params.iterations;
	config[PGL_ALS_CFG_K] = t->k;
	config[PGL_ALS_CFG_DUP_SUM] = c->opts.duplicates_sum ? 1 : 0;
	*mu = t->am.mu;
	m->n_tensors = 12;
	m->tensors = palloc0(sizeof(pgl_tensor) * (m->n_tensors + 1));
	id_tensor(&m->tensors[0], "user_ids", "user_keys", &t->r.users, t->uorder);
	id_tensor(&m->tensors[1], "item_ids", "item_keys", &t->r.items, t->iorder);
	tensor(&m->tensors[2], "user_factors", PGL_F32, 2, t->n_users, t->am.k, t->am.U);
	tensor(&m->tensors[3], "item_factors", PGL_F32, 2, t->n_items, t->am.k, t->am.V);
	tensor(&m->tensors[4], "user_bias", PGL_F32, 1, t->n_users, 0, t->am.user_bias);
	tensor(&m->tensors[5], "item_bias", PGL_F32, 1, t->n_items, 0, t->am.item_bias);
	tensor(&m->tensors[6], "global_mean", PGL_F64, 1, 1, 0, mu);
	tensor(&m->tensors[7], "item_popularity", PGL_F32, 1, t->n_items, 0, popularity);
	tensor(&m->tensors[8], "seen_ptr", PGL_I64, 1, t->n_users + 1, 0, t->train.user_ptr);
	tensor(&m->tensors[9], "seen_items", PGL_I32, 1, t->n_train, 0, t->train.user_items);
	tensor(&m->tensors[10], "config", PGL_F64, 1, PGL_ALS_CFG_LEN, 0, config);
	/* the rating column's name, for ai_evaluate */
	tensor(&m->tensors[11], "columns", PGL_STR, 1, 3, 0, NULL);
	if (!t->params.implicit)
	{
		double *bias_l2 = palloc(sizeof(double));

		*bias_l2 = t->params.bias_l2;
		tensor(&m->tensors[m->n_tensors++], "bias_l2", PGL_F64, 1, 1, 0, bias_l2);
	}
	cols[0] = pstrdup(t->r.user_col ? t->r.user_col : "");
	cols[1] = pstrdup(t->r.item_col ? t->r.item_col : "");
	cols[2] = pstrdup(t->r.rating_col ? t->r.rating_col : "");
	m->tensors[11].data = cols;
	return m;
}

/* quantized storage: the metrics are of the factors as stored */
static void
store_factors(PglTrainCall *c, RecTrain *t)
{
	pgl_model  fm;
	pgl_tensor ft[2];

	memset(&fm, 0, sizeof(fm));
	memset(ft, 0, sizeof(ft));
	strcpy(ft[0].name, "user_factors");
	strcpy(ft[1].name, "item_factors");
	for (int i = 0; i < 2; i++)
	{
		ft[i].dtype = PGL_F32;
		ft[i].ndim = 2;
		ft[i].dims[0] = i == 0 ? t->n_users : t->n_items;
		ft[i].dims[1] = t->am.k;
		ft[i].data = i == 0 ? t->am.U : t->am.V;
	}
	fm.n_tensors = 2;
	fm.tensors = ft;
	pgl_apply_storage(&c->env, &fm, c->opts.storage);
}

/*
 * The grids of "l2": "auto" and "bias_l2": "auto" (bench/run_als_defaults
 * and docs/user-guide.md say how they were chosen); the first value of a
 * grid is used when the data is too small for a validation split.
 */
static const double als_l2_grid[] = {0.1, 0.03, 0.3};
static const double als_l2_grid_implicit[] = {30, 10, 100};
static const double als_bias_grid[] = {5, 1, 25};

/* fewer training ratings than this: no validation split, no search */
#define ALS_MIN_VAL_RATINGS 200

static void
rec_auto_setup(PglTrainCall *c, RecTrain *t)
{
	pgl_als_auto *a = &t->au;
	bool l2_auto = c->opts.l2 == PGL_OPT_AUTO_VALUE || (c->opts.l2 < 0 && !c->opts.implicit);
	bool bias_auto =
		!c->opts.implicit && (c->opts.bias_l2 == PGL_OPT_AUTO_VALUE || c->opts.bias_l2 < 0);

	memset(a, 0, sizeof(*a));
	if (l2_auto)
	{
		a->l2_grid = c->opts.implicit ? als_l2_grid_implicit : als_l2_grid;
		a->n_l2 = 3;
	}
	if (bias_auto)
	{
		a->bias_grid = als_bias_grid;
		a->n_bias = 3;
	}
	a->val_fraction = 0.1;
	a->max_val_users = c->opts.implicit ? 2000 : 0;
	a->min_ratings = ALS_MIN_VAL_RATINGS;
	a->all_iterations = t->patience == 0;
	t->searched = l2_auto || bias_auto || t->patience > 0;
}

/*
 * A search runs no "auto" inside its trials: "l2" and "bias_l2" left
 * "auto" (by default or by name) and not searched are pinned, in every
 * trial and in the final training, to the first value of their grid (the
 * value used when the data is too small for a split).  The JSON object of
 * the pins, "{}" when none.
 */
char *
pgl_rec_search_pins(const PglTrainOptions *opts, bool l2_searched, bool bias_l2_searched)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	if (!l2_searched && (opts->l2 == PGL_OPT_AUTO_VALUE || (opts->l2 < 0 && !opts->implicit)))
		appendStringInfo(&b, "\"l2\": %g",
						 opts->implicit ? als_l2_grid_implicit[0] : als_l2_grid[0]);
	if (!bias_l2_searched && !opts->implicit &&
		(opts->bias_l2 == PGL_OPT_AUTO_VALUE || opts->bias_l2 < 0))
		appendStringInfo(&b, "%s\"bias_l2\": %g", b.len > 1 ? ", " : "", als_bias_grid[0]);
	appendStringInfoChar(&b, '}');
	return b.data;
}

/*
 * The metric a search's trials are scored on (named: "search" "metric",
 * else the "metric" option): it must be one the validation split reports,
 * at the cutoff "k".  Default: rmse (explicit), ndcg@k (implicit).
 */
const char *
pgl_rec_search_metric(const PglTrainOptions *opts, const char *named)
{
	int			k = opts->k > 0 ? opts->k : 10;
	const char *valid =
		opts->implicit
			? psprintf("precision@%d, recall@%d, ndcg@%d, map@%d and coverage", k, k, k, k)
			: psprintf("rmse, mae, precision@%d, recall@%d, ndcg@%d, map@%d and "
					   "coverage",
					   k, k, k, k);
	const char *at = named ? strchr(named, '@') : NULL;

	if (named == NULL)
		return opts->implicit ? psprintf("ndcg@%d", k) : "rmse";
	if ((opts->implicit && (strcmp(named, "rmse") == 0 || strcmp(named, "mae") == 0)) ||
		(at && atoi(at + 1) != k))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("als cannot score the trials of a search on \"%s\"", named),
				 errdetail("The validation split of %s feedback with \"k\" %d reports %s.",
						   opts->implicit ? "implicit" : "explicit", k, valid),
				 at ? errhint("Name the metric at the cutoff \"k\" (%.*s@%d), or set \"k\": %d.",
							  (int) (at - named), named, k, atoi(at + 1))
					: errhint("Implicit feedback is scored by ranking metrics.")));
	return named;
}

static void
rec_fit(PglTrainCall *c)
{
	RecTrain	   *t = c->state;
	pgl_als_params *params = &t->params;
	pgl_status		st;
	pgl_rc			rc;

	memset(&st, 0, sizeof(st));
	params->implicit = c->opts.implicit;
	params->factors = c->opts.factors > 0 ? c->opts.factors : 32;
	params->l2 = c->opts.l2 >= 0 ? c->opts.l2 : 30.0;
	params->bias_l2 = c->opts.implicit ? -1 : c->opts.bias_l2 >= 0 ? c->opts.bias_l2 : 5.0;
	params->iterations = c->opts.max_iter > 0 ? c->opts.max_iter : 15;
	params->alpha = c->opts.alpha >= 0 ? c->opts.alpha : 5.0;
	params->cg_steps = c->opts.cg_steps > 0 ? c->opts.cg_steps : 3;
	params->seed = c->opts.seed;
	params->threads = pgl_thread_count();
	t->patience = c->opts.early_stopping_rounds >= 0 ? c->opts.early_stopping_rounds : 2;
	params->patience = t->patience > 0 ? t->patience : params->iterations;
	params->rank_k = t->k;
	pgl_set_blas_threads();
	/* the rows read, both orientations of the ratings (twice with a split), the factors, workspace */
	pgl_check_memory((Size) t->r.cap * sizeof(RatingRow) +
						 (Size) t->kept * 4 * (sizeof(int32) + sizeof(float) + sizeof(int64)) +
						 (Size) (t->n_users + t->n_items) * (params->factors + 2) * sizeof(float) *
							 2 +
						 (Size) params->threads * (params->factors + 1) * (params->factors + 1) *
							 sizeof(double) * 4,
					 psprintf("training %d factors for %d users and %d items", params->factors,
							  t->n_users, t->n_items));
	rec_auto_setup(c, t);
	if (t->searched)
	{
		rc = pgl_als_fit_auto(&c->env, &t->train, params, &t->au, &t->am, &t->info, &st);
		if (rc == PGL_OK && t->au.chosen >= 0)
		{
			params->l2 = t->au.trials[t->au.chosen].l2;
			params->bias_l2 = t->au.trials[t->au.chosen].bias_l2;
		}
		else if (rc == PGL_OK)
		{
			/* too few ratings for a split: the grids' first values */
			if (t->au.n_l2 > 0)
				params->l2 = t->au.l2_grid[0];
			if (t->au.n_bias > 0)
				params->bias_l2 = t->au.bias_grid[0];
		}
	}
	else
		rc = pgl_als_fit(&c->env, &t->train, params, &t->am, &t->info, &st);
	env_report(rc, &st, psprintf("training \"%s\" failed", c->name));
	if (c->opts.storage != PGL_STORE_NATIVE)
		store_factors(c, t);
	c->m = rec_model(c, t);
}

/* the validation split's search and early stopping, for the metrics */
static void
rec_search_json(RecTrain *t, StringInfo buf)
{
	pgl_als_auto *a = &t->au;

	appendStringInfo(buf, ", \"l2\": %.10g", t->params.l2);
	if (!t->params.implicit)
		appendStringInfo(buf, ", \"bias_l2\": %.10g", t->params.bias_l2);
	if (!t->searched)
		return;
	appendStringInfo(buf, ", \"validation\": {\"rows\": " INT64_FORMAT, a->n_val);
	if (t->params.implicit)
		appendStringInfo(buf, ", \"metric\": \"ndcg@%d\"", t->k);
	else
		appendStringInfoString(buf, ", \"metric\": \"rmse\"");
	appendStringInfo(buf, ", \"early_stopping_rounds\": %d, \"trials\": [", t->patience);
	for (int32 j = 0; j < a->n_trials; j++)
	{
		const pgl_als_trial *tr = &a->trials[j];

		appendStringInfo(buf, "%s{\"l2\": %.10g", j ? ", " : "", tr->l2);
		if (!t->params.implicit)
			appendStringInfo(buf, ", \"bias_l2\": %.10g", tr->bias_l2);
		appendStringInfo(buf, ", \"score\": %.10g, \"iterations\": %d, \"seconds\": %.4g}",
						 tr->score, tr->iterations, tr->seconds);
	}
	appendStringInfoChar(buf, ']');
	if (a->chosen >= 0)
		appendStringInfo(buf, ", \"chosen\": %d", a->chosen);
	else
		appendStringInfoString(buf, ", \"chosen\": null, \"note\": \"too few ratings for a "
									"validation split: the defaults were used\"");
	appendStringInfoChar(buf, '}');
}

static void
rec_metrics(PglTrainCall *c, StringInfo buf)
{
	RecTrain		*t = c->state;
	pgl_rank_metrics rm;
	pgl_status		 st;

	memset(&st, 0, sizeof(st));
	appendStringInfo(buf, "{\"train\": {\"n\": " INT64_FORMAT, t->n_train);
	if (!t->params.implicit)
	{
		double sse = 0, sae = 0;

		for (int32 u = 0; u < t->n_users; u++)
			for (int64 q = t->train.user_ptr[u]; q < t->train.user_ptr[u + 1]; q++)
			{
				double e =
					pgl_als_predict(&t->am, u, t->train.user_items[q]) - t->train.user_vals[q];

				sse += e * e;
				sae += fabs(e);
			}
		json_number(buf, "rmse", sqrt(sse / t->n_train));
		json_number(buf, "mae", sae / t->n_train);
	}
	appendStringInfoChar(buf, '}');
	if (t->n_test > 0)
	{
		appendStringInfoString(buf, ", \"test\": ");
		env_report(pgl_als_evaluate(&c->env, &t->am, &t->train, &t->test, t->k, t->params.implicit,
									t->params.threads, &rm, &st),
				   &st, "evaluating the model failed");
		pgl_rank_metrics_json(buf, &rm, t->n_test, t->k, t->params.implicit);
	}
	appendStringInfo(buf,
					 ", \"k\": %d, \"users\": %d, \"items\": %d, \"rows_train\": " INT64_FORMAT
					 ", \"rows_test\": " INT64_FORMAT ", \"duplicates\": " INT64_FORMAT
					 ", \"iterations\": %d, \"loss\": %.10g, \"seconds_per_iteration\": %.6g",
					 t->k, t->n_users, t->n_items, t->n_train, t->n_test, t->n_dups,
					 t->info.iterations, t->info.loss, t->info.seconds_per_iteration);
	rec_search_json(t, buf);
	if (t->r.skipped > 0)
		appendStringInfo(buf, ", \"rows_skipped_null\": " INT64_FORMAT, t->r.skipped);
	appendStringInfoChar(buf, '}');
	c->rows_used = t->kept;
}

const PglTrainGlue pgl_glue_recommender = {
	.check = rec_check,
	.read = rec_read,
	.preprocess = rec_preprocess,
	.fit = rec_fit,
	.metrics = rec_metrics,
};

/* ---------- ai_evaluate ---------- */

static const char *
column_option(const pgl_model *m, int c)
{
	const pgl_tensor *t = pgl_model_tensor(m, "columns");
	char			**cols;

	if (t == NULL || t->dtype != PGL_STR || t->dims[0] != 3)
		return NULL;
	cols = t->data;
	/* a copy: the data's query may empty the model cache (eviction, a changed blob) */
	return cols[c][0] ? pstrdup(cols[c]) : NULL;
}

Datum
pgl_evaluate_recommender(const char *name, int64 version_id, const char *data)
{
	const pgl_model *m = pgl_model_by_version(version_id, name);
	PglRecView		 v;
	MemoryContext	 cxt, old;
	RecReceiver		 r;
	int32			*umap, *imap;
	int64			 n, kept, n_dups, unknown = 0;
	int32			*tu, *ti;
	float			*tr;
	pgl_ratings		 seen, test;
	pgl_rank_metrics rm;
	pgl_env			 env;
	pgl_status		 st;
	StringInfoData	 buf;
	Datum			 result;
	int32			 k;
	bool			 implicit;

	pgl_rec_view(name, m, &v);
	implicit = v.config[PGL_ALS_CFG_IMPLICIT] != 0;
	k = (int32) v.config[PGL_ALS_CFG_K];
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_learn evaluate", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	env = pgl_backend_env(cxt);
	memset(&st, 0, sizeof(st));

	memset(&r, 0, sizeof(r));
	r.user_col = column_option(m, 0);
	r.item_col = column_option(m, 1);
	r.rating_col = column_option(m, 2);
	r.cxt = cxt;
	read_ratings(&r, data);
	/* the data's query may have used other models and evicted this one */
	m = pgl_model_by_version(version_id, name);
	pgl_rec_view(name, m, &v);
	if (r.users.text != v.text_users)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("model \"%s\" has %s ids, but the data has %s ids", name,
						v.text_users ? "text" : "integer", r.users.text ? "text" : "integer")));

	/* the data's ids to the model's indexes (-1: unknown) */
	umap = palloc(sizeof(int32) * (idmap_size(&r.users) + 1));
	imap = palloc(sizeof(int32) * (idmap_size(&r.items) + 1));
	for (int32 j = 0; j < idmap_size(&r.users); j++)
		umap[j] = v.text_users ? pgl_rec_user_index_text(&v, pgl_vocab_string(r.users.texts, j),
														 strlen(pgl_vocab_string(r.users.texts, j)))
							   : pgl_rec_user_index_int(&v, r.users.int_ids[j]);
	for (int32 j = 0; j < idmap_size(&r.items); j++)
		imap[j] = v.text_items ? pgl_rec_item_index_text(&v, pgl_vocab_string(r.items.texts, j),
														 strlen(pgl_vocab_string(r.items.texts, j)))
							   : pgl_rec_item_index_int(&v, r.items.int_ids[j]);
	n = 0;
	for (int64 j = 0; j < r.n; j++)
	{
		int32 u = umap[r.rows[j].u], i = imap[r.rows[j].i];

		if (u < 0 || i < 0)
		{
			unknown++;
			continue;
		}
		r.rows[n] = r.rows[j];
		r.rows[n].u = u;
		r.rows[n].i = i;
		n++;
	}
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("no ratings of known users and items to evaluate on"),
						errdetail(INT64_FORMAT
								  " rows had a user or item the model does not know, " INT64_FORMAT
								  " had a NULL.",
								  unknown, r.skipped)));
	kept = dedupe(r.rows, n, v.config[PGL_ALS_CFG_DUP_SUM] != 0, &n_dups);
	tu = palloc(sizeof(int32) * kept);
	ti = palloc(sizeof(int32) * kept);
	tr = palloc(sizeof(float) * kept);
	for (int64 j = 0; j < kept; j++)
	{
		tu[j] = r.rows[j].u;
		ti[j] = r.rows[j].i;
		tr[j] = r.rows[j].r;
	}
	if (pgl_ratings_build(&env, v.als.n_users, v.als.n_items, kept, tu, ti, tr, &test, &st) !=
		PGL_OK)
		pgl_report(&st, "evaluation failed");

	/* the training ratings are not recommended again: they are the model's seen lists */
	memset(&seen, 0, sizeof(seen));
	seen.n_users = v.als.n_users;
	seen.n_items = v.als.n_items;
	seen.user_ptr = (int64_t *) v.seen_ptr;
	seen.user_items = (int32_t *) v.seen_items;
	seen.nnz = v.seen_ptr[v.als.n_users];
	pgl_set_blas_threads();
	if (pgl_als_evaluate(&env, &v.als, &seen, &test, k, implicit, pgl_thread_count(), &rm, &st) !=
		PGL_OK)
		pgl_report(&st, "evaluation failed");

	initStringInfo(&buf);
	pgl_rank_metrics_json(&buf, &rm, kept, k, implicit);
	/* a few counts after the metrics */
	buf.len--;
	appendStringInfo(&buf,
					 ", \"rows_unknown\": " INT64_FORMAT ", \"duplicates\": " INT64_FORMAT "}",
					 unknown, n_dups);
	MemoryContextSwitchTo(old);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	MemoryContextDelete(cxt);
	return result;
}
