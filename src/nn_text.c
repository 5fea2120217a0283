/*-------------------------------------------------------------------------
 *
 * nn_text.c
 *	  A text column of a neural_net into token ids (nn_text.h): documents,
 *	  vocabulary, max_len, encoding.  The tokenizer and the vocabularies are
 *	  src/text (tokenize.c, subword.c), without PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_text.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "subword.h"

struct PglNnDocs
{
	MemoryContext cxt;
	char		 *bytes[2]; /* the documents of a part, one after the other */
	Size		  used[2], cap[2];
	int64		 *off[2]; /* document i: bytes [off[i], off[i + 1]) */
	int64		  n[2], n_cap[2];
};

PglNnDocs *
pgl_nn_docs_create(MemoryContext cxt)
{
	PglNnDocs *d = MemoryContextAllocZero(cxt, sizeof(PglNnDocs));

	d->cxt = cxt;
	return d;
}

/* room for one more document of len bytes in part p */
static void
docs_reserve(PglNnDocs *d, int p, Size len)
{
	if (d->n[p] + 2 > d->n_cap[p])
	{
		int64 cap = d->n_cap[p] ? d->n_cap[p] * 2 : 1024;

		d->off[p] = d->off[p]
						? repalloc_huge(d->off[p], sizeof(int64) * cap)
						: MemoryContextAllocExtended(d->cxt, sizeof(int64) * cap, MCXT_ALLOC_HUGE);
		d->off[p][0] = 0;
		d->n_cap[p] = cap;
	}
	if (d->used[p] + len > d->cap[p])
	{
		Size cap = d->cap[p] ? d->cap[p] : 65536;

		while (cap < d->used[p] + len)
			cap *= 2;
		pgl_check_memory(cap + d->cap[1 - p] + sizeof(int64) * (d->n_cap[0] + d->n_cap[1]),
						 psprintf("reading " INT64_FORMAT " documents", d->n[0] + d->n[1] + 1));
		d->bytes[p] = d->bytes[p] ? repalloc_huge(d->bytes[p], cap)
								  : MemoryContextAllocExtended(d->cxt, cap, MCXT_ALLOC_HUGE);
		d->cap[p] = cap;
	}
}

void
pgl_nn_docs_add(PglNnDocs *d, int part, Datum v, bool isnull)
{
	text *t = isnull ? NULL : DatumGetTextPP(v);
	Size  len = t ? VARSIZE_ANY_EXHDR(t) : 0;

	docs_reserve(d, part, len);
	if (len > 0)
		memcpy(d->bytes[part] + d->used[part], VARDATA_ANY(t), len);
	d->used[part] += len;
	d->n[part]++;
	d->off[part][d->n[part]] = (int64) d->used[part];
}

static const char *
doc(const PglNnDocs *d, int p, int64 i, size_t *len)
{
	*len = (size_t) (d->off[p][i + 1] - d->off[p][i]);
	return d->bytes[p] ? d->bytes[p] + d->off[p][i] : "";
}

static int
cmp_int64(const void *a, const void *b)
{
	int64 x = *(const int64 *) a, y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/* the vocabulary of the training documents (and the hold-out's, with_test) */
static void
learn_vocab(PglNnDocs *d, const PglTrainOptions *opts, bool with_test, const char *column,
			pgl_env *env, pgl_tok_vocab *v)
{
	pgl_tok_builder *b;
	pgl_status		 st;
	int32			 tokenizer = opts->tokenizer ? opts->tokenizer : PGL_TOKENIZER_BPE;

	memset(&st, 0, sizeof(st));
	if (pgl_tok_builder_create(env, tokenizer,
							   opts->vocab_size ? opts->vocab_size : PGL_NN_TEXT_VOCAB, &b,
							   &st) != PGL_OK)
		pgl_report(&st, "learning the vocabulary failed");
	for (int p = 0; p < (with_test ? 2 : 1); p++)
		for (int64 i = 0; i < d->n[p]; i++)
		{
			size_t		len;
			const char *s = doc(d, p, i, &len);

			if (pgl_tok_builder_add(b, s, len, &st) != PGL_OK)
				pgl_report(&st, "learning the vocabulary failed");
			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	if (pgl_tok_builder_finish(b, v, &st) != PGL_OK)
	{
		if (st.rc == PGL_ERR_INVALID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("text column \"%s\" has no word in the training rows", column),
					 errdetail("A word is a run of at least 2 and at most %d letters, digits "
							   "or underscores.",
							   PGL_TOK_MAX_WORD_CHARS),
					 errhint("Train on rows that hold text, or leave the column out of "
							 "\"text\".")));
		pgl_report(&st, "learning the vocabulary failed");
	}
	pgl_tok_builder_free(b);
}

/*
 * The training documents encoded once, for choosing max_len: the first
 * PGL_NN_TEXT_MAX_LEN_CAP ids of document i at ids + off[i], its whole
 * length in lens[i].
 */
typedef struct EncodedPart
{
	int32 *ids;
	int64 *off;
	int64 *lens;
} EncodedPart;

static void
encode_once(PglNnDocs *d, int p, pgl_tok_encoder *e, EncodedPart *out)
{
	int64 n = d->n[p], used = 0, cap = 1024;

	out->ids = palloc_extended(sizeof(int32) * cap, MCXT_ALLOC_HUGE);
	out->off = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	out->lens = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		size_t		len;
		const char *s = doc(d, p, i, &len);

		if (used + PGL_NN_TEXT_MAX_LEN_CAP > cap)
		{
			cap = Max(2 * cap, used + PGL_NN_TEXT_MAX_LEN_CAP);
			out->ids = repalloc_huge(out->ids, sizeof(int32) * cap);
		}
		out->off[i] = used;
		out->lens[i] = pgl_tok_encode(e, s, len, out->ids + used, PGL_NN_TEXT_MAX_LEN_CAP);
		if (out->lens[i] < 0)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		used += Min(out->lens[i], PGL_NN_TEXT_MAX_LEN_CAP);
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* max_len: the 95th percentile of the training lengths, capped */
static int32
choose_max_len(const int64 *lens, int64 n)
{
	int64 *sorted;
	int64  q;

	if (n == 0)
		return 1;
	sorted = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	memcpy(sorted, lens, sizeof(int64) * n);
	qsort(sorted, n, sizeof(int64), cmp_int64);
	q = sorted[(int64) ceil(0.95 * n) - 1];
	pfree(sorted);
	return (int32) Max(1, Min(q, PGL_NN_TEXT_MAX_LEN_CAP));
}

/* the encoded documents as max_len float ids each (padded) */
static float *
ids_to_rows(const EncodedPart *enc, int64 n, int32 max_len)
{
	float *X = palloc_extended(sizeof(float) * Max(n, 1) * max_len, MCXT_ALLOC_HUGE);

	for (int64 i = 0; i < n; i++)
	{
		float		*row = X + i * max_len;
		const int32 *ids = enc->ids + enc->off[i];

		for (int32 k = 0; k < max_len; k++)
			row[k] = k < enc->lens[i] ? (float) ids[k] : (float) PGL_TOK_PAD;
	}
	return X;
}

/* encode the documents of part p into max_len float ids each */
static float *
encode_part(PglNnDocs *d, int p, pgl_tok_encoder *e, int32 max_len, int32 *ids)
{
	float *X = palloc_extended(sizeof(float) * Max(d->n[p], 1) * max_len, MCXT_ALLOC_HUGE);

	for (int64 i = 0; i < d->n[p]; i++)
	{
		size_t		len;
		const char *s = doc(d, p, i, &len);
		int64		n = pgl_tok_encode(e, s, len, ids, max_len);
		float	   *row = X + i * max_len;

		if (n < 0)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		for (int32 k = 0; k < max_len; k++)
			row[k] = k < n ? (float) ids[k] : (float) PGL_TOK_PAD;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return X;
}

void
pgl_nn_docs_encode(PglNnDocs *d, const PglTrainOptions *opts, bool with_test, const char *column,
				   const char *type_name, pgl_feature *f, float *X[2], int64 *D)
{
	pgl_env			 env = pgl_backend_env(CurrentMemoryContext);
	pgl_tok_vocab	 v;
	pgl_tok_encoder *e;
	pgl_status		 st;
	int32			 max_len;
	int32			*ids;
	EncodedPart		 enc;

	memset(&st, 0, sizeof(st));
	memset(&enc, 0, sizeof(enc));
	learn_vocab(d, opts, with_test, column, &env, &v);
	if (pgl_tok_encoder_create(&env, &v, &e, &st) != PGL_OK)
		pgl_report(&st, "encoding the text failed");
	/* without the option, the training part is encoded once: lengths, then rows */
	if (opts->max_len <= 0)
		encode_once(d, PGL_TRAIN, e, &enc);
	max_len = opts->max_len > 0 ? opts->max_len : choose_max_len(enc.lens, d->n[PGL_TRAIN]);
	pgl_check_memory((Size) (d->n[0] + d->n[1]) * max_len * sizeof(float) + d->cap[0] + d->cap[1],
					 psprintf("encoding " INT64_FORMAT " documents into %d token ids each",
							  d->n[0] + d->n[1], max_len));
	ids = palloc(sizeof(int32) * max_len);
	for (int p = 0; p < 2; p++)
		if (p == PGL_TRAIN && opts->max_len <= 0)
		{
			X[p] = ids_to_rows(&enc, d->n[p], max_len);
			pfree(enc.ids);
			pfree(enc.off);
			pfree(enc.lens);
		}
		else
			X[p] = encode_part(d, p, e, max_len, ids);
	pgl_tok_encoder_free(e);
	*D = max_len;

	memset(f, 0, sizeof(*f));
	f->name = pstrdup(column);
	f->type_name = pstrdup(type_name);
	f->kind = PGL_FEATURE_TOKENS;
	f->n_categories = v.n_tokens;
	f->categories = v.tokens;
	f->tokenizer = v.tokenizer;
	f->length = max_len;
	f->n_merges = v.n_merges;
	f->merges = v.merges;
}

/* ---------- prediction ---------- */

struct PglNnTextEncoder
{
	pgl_env			 env;
	pgl_tok_vocab	 v;
	pgl_tok_encoder *e;
	const char		*column;
	int32			 max_len;
	int32			*ids;
	Oid				 type_ok; /* the last column type found a text type */
};

PglNnTextEncoder *
pgl_nn_text_encoder(const pgl_model *m, MemoryContext cxt)
{
	const pgl_feature *f;
	PglNnTextEncoder  *t;
	pgl_status		   st;

	if (m->n_features != 1 || m->features[0].kind != PGL_FEATURE_TOKENS)
		return NULL;
	f = &m->features[0];
	t = MemoryContextAllocZero(cxt, sizeof(PglNnTextEncoder));
	t->env = pgl_backend_env(cxt);
	t->v.tokenizer = f->tokenizer;
	t->v.n_tokens = f->n_categories;
	t->v.tokens = f->categories;
	t->v.n_merges = f->n_merges;
	t->v.merges = f->merges;
	t->column = f->name;
	t->max_len = f->length;
	t->ids = MemoryContextAlloc(cxt, sizeof(int32) * f->length);
	memset(&st, 0, sizeof(st));
	if (pgl_tok_encoder_create(&t->env, &t->v, &t->e, &st) != PGL_OK)
		pgl_report(&st, "loading the text vocabulary failed");
	return t;
}

void
pgl_nn_text_encode(PglNnTextEncoder *e, Datum v, bool isnull, Oid typid, float *dst)
{
	text *t;
	int64 n = 0;

	if (!isnull && typid != e->type_ok)
	{
		if (!pgl_type_is_text(typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, but the network reads it as text",
							e->column, format_type_be(typid)),
					 errhint("Pass a row with the text column, or cast the value to text.")));
		e->type_ok = typid;
	}
	if (!isnull)
	{
		t = DatumGetTextPP(v);
		n = pgl_tok_encode(e->e, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), e->ids, e->max_len);
		if (n < 0)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	for (int32 k = 0; k < e->max_len; k++)
		dst[k] = k < n ? (float) e->ids[k] : (float) PGL_TOK_PAD;
}
