/*-------------------------------------------------------------------------
 *
 * tfidf.c
 *	  TF-IDF vocabulary learning and document encoding (the rules are in
 *	  tfidf.h; the tokens come from tokenize.c).
 *
 *-------------------------------------------------------------------------
 */
#include "tfidf.h"
#include "strarena.h"
#include "tokenize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over the bytes */
static uint64_t
term_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ^ (h >> 29);
}

/* grow *buf to hold at least need bytes (contents not kept) */
static bool
ensure(const pgl_env *env, void **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 256;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	pgl_free(env, *buf);
	*buf = pgl_alloc(env, c);
	*cap = *buf ? c : 0;
	return *buf != NULL;
}

/*
 * The terms of one tokenized document, in order: each 1-gram, and after it
 * the 2-gram that starts there.  fn gets each; the 2-grams are built in
 * pair (2 * PGL_TFIDF_MAX_TERM_BYTES + 1 bytes).
 */
typedef bool (*term_fn)(void *arg, const char *s, size_t len);

static bool
each_term(const char *out, const pgl_token *tok, int32_t n, int32_t ngram_max, char *pair,
		  term_fn fn, void *arg)
{
	for (int32_t i = 0; i < n; i++)
	{
		const char *a = out + tok[i].start;
		size_t		alen = (size_t) tok[i].len;

		if (alen <= PGL_TFIDF_MAX_TERM_BYTES && !fn(arg, a, alen))
			return false;
		if (ngram_max >= 2 && i + 1 < n)
		{
			size_t blen = (size_t) tok[i + 1].len;

			if (alen + 1 + blen <= PGL_TFIDF_MAX_TERM_BYTES)
			{
				memcpy(pair, a, alen);
				pair[alen] = ' ';
				memcpy(pair + alen + 1, out + tok[i + 1].start, blen);
				if (!fn(arg, pair, alen + 1 + blen))
					return false;
			}
		}
	}
	return true;
}

/* ---------- learning ---------- */

typedef struct entry
{
	char   *s; /* NUL-terminated, in the arena */
	int32_t len;
	int64_t df;
	int64_t count;
	int64_t last_doc;
} entry;

struct pgl_tfidf_builder
{
	const pgl_env	*env;
	pgl_tfidf_params params;
	int64_t			 n_docs;
	entry			*entries;
	int64_t			 n_entries, cap_entries;
	int32_t			*slots; /* cap_slots, -1: empty */
	int64_t			 cap_slots;
	pgl_strarena	 arena;
	/* scratch of one document */
	char	  *out;
	size_t	   out_cap;
	pgl_token *tok;
	size_t	   tok_cap;
	char	   pair[2 * PGL_TFIDF_MAX_TERM_BYTES + 2];
};

static bool
rehash(pgl_tfidf_builder *b, int64_t cap)
{
	int32_t *slots = pgl_alloc(b->env, sizeof(int32_t) * (size_t) cap);

	if (slots == NULL)
		return false;
	memset(slots, 0xff, sizeof(int32_t) * (size_t) cap);
	for (int64_t i = 0; i < b->n_entries; i++)
	{
		uint64_t h = term_hash(b->entries[i].s, (size_t) b->entries[i].len) & (uint64_t) (cap - 1);

		while (slots[h] >= 0)
			h = (h + 1) & (uint64_t) (cap - 1);
		slots[h] = (int32_t) i;
	}
	pgl_free(b->env, b->slots);
	b->slots = slots;
	b->cap_slots = cap;
	return true;
}

static bool
builder_term(void *arg, const char *s, size_t len)
{
	pgl_tfidf_builder *b = arg;
	uint64_t		   h;
	entry			  *e;

	if (2 * (b->n_entries + 1) > b->cap_slots && !rehash(b, b->cap_slots * 2))
		return false;
	h = term_hash(s, len) & (uint64_t) (b->cap_slots - 1);
	while (b->slots[h] >= 0)
	{
		e = &b->entries[b->slots[h]];
		if ((size_t) e->len == len && memcmp(e->s, s, len) == 0)
			goto found;
		h = (h + 1) & (uint64_t) (b->cap_slots - 1);
	}
	if (b->n_entries >= INT32_MAX - 1)
		return false;
	if (b->n_entries == b->cap_entries)
	{
		int64_t cap = b->cap_entries * 2;
		entry  *grown = pgl_alloc(b->env, sizeof(entry) * (size_t) cap);

		if (grown == NULL)
			return false;
		memcpy(grown, b->entries, sizeof(entry) * (size_t) b->n_entries);
		pgl_free(b->env, b->entries);
		b->entries = grown;
		b->cap_entries = cap;
	}
	e = &b->entries[b->n_entries];
	e->s = pgl_strarena_copy(&b->arena, s, len);
	if (e->s == NULL)
		return false;
	e->len = (int32_t) len;
	e->df = e->count = 0;
	e->last_doc = -1;
	b->slots[h] = (int32_t) b->n_entries++;
found:
	e->count++;
	if (e->last_doc != b->n_docs)
	{
		e->last_doc = b->n_docs;
		e->df++;
	}
	return true;
}

pgl_rc
pgl_tfidf_builder_create(const pgl_env *env, const pgl_tfidf_params *params,
						 pgl_tfidf_builder **out, pgl_status *st)
{
	pgl_tfidf_builder *b;

	*out = NULL;
	if (params->ngram_max < 1 || params->ngram_max > 2)
		return pgl_fail(st, PGL_ERR_INVALID, "ngram_max must be 1 or 2, not %d",
						(int) params->ngram_max);
	if (!(isfinite(params->min_df) && params->min_df > 0))
		return pgl_fail(st, PGL_ERR_INVALID, "min_df must be > 0");
	if (params->max_features < 0 || params->max_features > PGL_TFIDF_MAX_TERMS)
		return pgl_fail(st, PGL_ERR_INVALID, "max_features must be in [0, %d]",
						PGL_TFIDF_MAX_TERMS);
	b = pgl_alloc0(env, sizeof(*b));
	if (b == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	b->env = env;
	pgl_strarena_init(&b->arena, env);
	b->params = *params;
	b->cap_entries = 1024;
	b->entries = pgl_alloc(env, sizeof(entry) * (size_t) b->cap_entries);
	if (b->entries == NULL || !rehash(b, 4096))
	{
		pgl_tfidf_builder_free(b);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	*out = b;
	return PGL_OK;
}

pgl_rc
pgl_tfidf_builder_add(pgl_tfidf_builder *b, const char *doc, size_t len, pgl_status *st)
{
	int32_t n;

	if (len > INT32_MAX / 2)
		return pgl_fail(st, PGL_ERR_INVALID, "a text value of %zu bytes is too long", len);
	if (!ensure(b->env, (void **) &b->out, &b->out_cap, len + 1) ||
		!ensure(b->env, (void **) &b->tok, &b->tok_cap, sizeof(pgl_token) * pgl_tokenize_max(len)))
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	n = pgl_tokenize(doc, len, b->out, b->tok);
	if (!each_term(b->out, b->tok, n, b->params.ngram_max, b->pair, builder_term, b))
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory learning the vocabulary");
	b->n_docs++;
	return PGL_OK;
}

int64_t
pgl_tfidf_builder_docs(const pgl_tfidf_builder *b)
{
	return b->n_docs;
}

int64_t
pgl_tfidf_builder_terms(const pgl_tfidf_builder *b)
{
	return b->n_entries;
}

static int
by_count_then_term(const void *a, const void *b)
{
	const entry *x = *(const entry *const *) a;
	const entry *y = *(const entry *const *) b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->s, y->s);
}

static int
by_term(const void *a, const void *b)
{
	return strcmp((*(const entry *const *) a)->s, (*(const entry *const *) b)->s);
}

pgl_rc
pgl_tfidf_builder_finish(pgl_tfidf_builder *b, pgl_tfidf *out, pgl_status *st)
{
	const pgl_env *env = b->env;
	double		   n = (double) b->n_docs;
	double		   threshold = b->params.min_df >= 1 ? b->params.min_df : b->params.min_df * n;
	entry		 **keep = pgl_alloc(env, sizeof(entry *) * (size_t) (b->n_entries + 1));
	int64_t		   k = 0;

	memset(out, 0, sizeof(*out));
	if (keep == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < b->n_entries; i++)
		if ((double) b->entries[i].df >= threshold)
			keep[k++] = &b->entries[i];
	if (b->params.max_features > 0 && k > b->params.max_features)
	{
		qsort(keep, (size_t) k, sizeof(entry *), by_count_then_term);
		k = b->params.max_features;
	}
	qsort(keep, (size_t) k, sizeof(entry *), by_term);
	out->n_terms = (int32_t) k;
	out->ngram_max = b->params.ngram_max;
	out->sublinear_tf = b->params.sublinear_tf;
	out->terms = pgl_alloc0(env, sizeof(char *) * (size_t) (k + 1));
	out->idf = pgl_alloc(env, sizeof(double) * (size_t) (k + 1));
	if (out->terms == NULL || out->idf == NULL)
		goto nomem;
	for (int64_t j = 0; j < k; j++)
	{
		out->terms[j] = pgl_alloc(env, (size_t) keep[j]->len + 1);
		if (out->terms[j] == NULL)
			goto nomem;
		memcpy(out->terms[j], keep[j]->s, (size_t) keep[j]->len + 1);
		out->idf[j] = log((1.0 + n) / (1.0 + (double) keep[j]->df)) + 1.0;
	}
	pgl_free(env, keep);
	return PGL_OK;

nomem:
	pgl_free(env, keep);
	if (out->terms)
		for (int64_t j = 0; j < k; j++)
			pgl_free(env, out->terms[j]);
	pgl_free(env, out->terms);
	pgl_free(env, out->idf);
	memset(out, 0, sizeof(*out));
	return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
}

void
pgl_tfidf_builder_free(pgl_tfidf_builder *b)
{
	const pgl_env *env;

	if (b == NULL)
		return;
	env = b->env;
	pgl_strarena_free(&b->arena);
	pgl_free(env, b->entries);
	pgl_free(env, b->slots);
	pgl_free(env, b->out);
	pgl_free(env, b->tok);
	pgl_free(env, b);
}

/* ---------- encoding ---------- */

struct pgl_tfidf_encoder
{
	const pgl_env	*env;
	const pgl_tfidf *v;
	int32_t			*lens;
	int32_t			*slots;
	uint64_t		 mask;
	char			*out;
	size_t			 out_cap;
	pgl_token		*tok;
	size_t			 tok_cap;
	int32_t			*ids; /* term ids of the document, then the distinct ones */
	size_t			 ids_cap;
	double			*val;
	size_t			 val_cap;
	int32_t			 n_ids;
	char			 pair[2 * PGL_TFIDF_MAX_TERM_BYTES + 2];
};

pgl_rc
pgl_tfidf_encoder_create(const pgl_env *env, const pgl_tfidf *v, pgl_tfidf_encoder **out,
						 pgl_status *st)
{
	pgl_tfidf_encoder *e = pgl_alloc0(env, sizeof(*e));
	uint64_t		   cap = 16;

	*out = NULL;
	if (e == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	e->env = env;
	e->v = v;
	while (cap < 2 * (uint64_t) v->n_terms)
		cap *= 2;
	e->mask = cap - 1;
	e->lens = pgl_alloc(env, sizeof(int32_t) * ((size_t) v->n_terms + 1));
	e->slots = pgl_alloc(env, sizeof(int32_t) * cap);
	if (e->lens == NULL || e->slots == NULL)
	{
		pgl_tfidf_encoder_free(e);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	memset(e->slots, 0xff, sizeof(int32_t) * cap);
	for (int32_t j = 0; j < v->n_terms; j++)
	{
		uint64_t h;

		e->lens[j] = (int32_t) strlen(v->terms[j]);
		h = term_hash(v->terms[j], (size_t) e->lens[j]) & e->mask;
		while (e->slots[h] >= 0)
			h = (h + 1) & e->mask;
		e->slots[h] = j;
	}
	*out = e;
	return PGL_OK;
}

void
pgl_tfidf_encoder_free(pgl_tfidf_encoder *e)
{
	if (e == NULL)
		return;
	pgl_free(e->env, e->lens);
	pgl_free(e->env, e->slots);
	pgl_free(e->env, e->out);
	pgl_free(e->env, e->tok);
	pgl_free(e->env, e->ids);
	pgl_free(e->env, e->val);
	pgl_free(e->env, e);
}

static bool
encoder_term(void *arg, const char *s, size_t len)
{
	pgl_tfidf_encoder *e = arg;
	uint64_t		   h = term_hash(s, len) & e->mask;

	while (e->slots[h] >= 0)
	{
		int32_t j = e->slots[h];

		if ((size_t) e->lens[j] == len && memcmp(e->v->terms[j], s, len) == 0)
		{
			e->ids[e->n_ids++] = j;
			break;
		}
		h = (h + 1) & e->mask;
	}
	return true;
}

static int
by_int(const void *a, const void *b)
{
	int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

int32_t
pgl_tfidf_encode(pgl_tfidf_encoder *e, const char *doc, size_t len, const int32_t **idx,
				 const double **val)
{
	const pgl_tfidf *v = e->v;
	size_t			 max_tok = pgl_tokenize_max(len);
	int32_t			 n, k = 0;
	double			 norm = 0.0;

	if (len > INT32_MAX / 2 || !ensure(e->env, (void **) &e->out, &e->out_cap, len + 1) ||
		!ensure(e->env, (void **) &e->tok, &e->tok_cap, sizeof(pgl_token) * max_tok) ||
		!ensure(e->env, (void **) &e->ids, &e->ids_cap, sizeof(int32_t) * 2 * max_tok) ||
		!ensure(e->env, (void **) &e->val, &e->val_cap, sizeof(double) * 2 * max_tok))
		return -1;
	n = pgl_tokenize(doc, len, e->out, e->tok);
	e->n_ids = 0;
	each_term(e->out, e->tok, n, v->ngram_max, e->pair, encoder_term, e);
	qsort(e->ids, (size_t) e->n_ids, sizeof(int32_t), by_int);
	for (int32_t i = 0; i < e->n_ids;)
	{
		int32_t j = e->ids[i], tf = 0;
		double	w;

		while (i < e->n_ids && e->ids[i] == j)
			i++, tf++;
		w = (v->sublinear_tf ? 1.0 + log((double) tf) : (double) tf) * v->idf[j];
		e->ids[k] = j;
		e->val[k++] = w;
		norm += w * w;
	}
	if (norm > 0)
	{
		norm = sqrt(norm);
		for (int32_t i = 0; i < k; i++)
			e->val[i] /= norm;
	}
	*idx = e->ids;
	*val = e->val;
	return k;
}

int32_t
pgl_tfidf_find(const pgl_tfidf *v, const char *term, size_t len)
{
	int32_t lo = 0, hi = v->n_terms - 1;

	while (lo <= hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;
		const char *t = v->terms[mid];
		size_t		tlen = strlen(t);
		int			c = memcmp(t, term, tlen < len ? tlen : len);

		if (c == 0)
			c = (tlen > len) - (tlen < len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}
