/*-------------------------------------------------------------------------
 *
 * tfidf.c
 *	  TF-IDF vocabulary learning and document encoding (the rules are in
 *	  tfidf.h; the tokens come from tokenize.c).
 *
 *-------------------------------------------------------------------------
 */
#include "tfidf.h"
#include "strmap.h"
#include "tokenize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	const char *s; /* NUL-terminated, the map's copy */
	int32_t		len;
	int64_t		df;
	int64_t		count;
	int64_t		last_doc;
} entry;

struct pgl_tfidf_builder
{
	const pgl_env	*env;
	pgl_tfidf_params params;
	int64_t			 n_docs;
	pgl_strmap		 terms;	  /* term -> index of its entry */
	entry			*entries; /* terms.n of them */
	int64_t			 cap_entries;
	/* scratch of one document */
	char	  *out;
	int64_t	   out_cap;
	pgl_token *tok;
	int64_t	   tok_cap;
	char	   pair[2 * PGL_TFIDF_MAX_TERM_BYTES + 2];
};

static bool
builder_term(void *arg, const char *s, size_t len)
{
	pgl_tfidf_builder *b = arg;
	bool			   added;
	int64_t			   i;
	entry			  *e;

	/* room for the entry first, so that every term of the map has one */
	if (!pgl_grow_array(b->env, (void **) &b->entries, &b->cap_entries, b->terms.n + 1,
						sizeof(entry)))
		return false;
	i = pgl_strmap_add(&b->terms, s, len, &added);
	if (i < 0)
		return false;
	if (added)
	{
		e = &b->entries[i];
		e->s = b->terms.keys[i];
		e->len = (int32_t) len;
		e->df = e->count = 0;
		e->last_doc = -1;
	}
	e = &b->entries[i];
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
	pgl_strmap_init(&b->terms, env, true);
	b->params = *params;
	*out = b;
	return PGL_OK;
}

pgl_rc
pgl_tfidf_builder_add(pgl_tfidf_builder *b, const char *doc, size_t len, pgl_status *st)
{
	int32_t n;

	if (len > INT32_MAX / 2)
		return pgl_fail(st, PGL_ERR_INVALID, "a text value of %zu bytes is too long", len);
	if (!pgl_grow_array(b->env, (void **) &b->out, &b->out_cap, (int64_t) len + 1, 1) ||
		!pgl_grow_array(b->env, (void **) &b->tok, &b->tok_cap, (int64_t) pgl_tokenize_max(len),
						sizeof(pgl_token)))
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
	return b->terms.n;
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
	int64_t		   n_entries = b->terms.n;
	entry		 **keep = pgl_alloc(env, sizeof(entry *) * (size_t) (n_entries + 1));
	int64_t		   k = 0;

	memset(out, 0, sizeof(*out));
	if (keep == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < n_entries; i++)
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
	pgl_strmap_free(&b->terms);
	pgl_free(env, b->entries);
	pgl_free(env, b->out);
	pgl_free(env, b->tok);
	pgl_free(env, b);
}

/* ---------- encoding ---------- */

struct pgl_tfidf_encoder
{
	const pgl_env	*env;
	const pgl_tfidf *v;
	pgl_strmap		 terms; /* v's terms (not copied): index j is term j */
	char			*out;
	int64_t			 out_cap;
	pgl_token		*tok;
	int64_t			 tok_cap;
	int32_t			*ids; /* term ids of the document, then the distinct ones */
	int64_t			 ids_cap;
	double			*val;
	int64_t			 val_cap;
	int32_t			 n_ids;
	char			 pair[2 * PGL_TFIDF_MAX_TERM_BYTES + 2];
};

pgl_rc
pgl_tfidf_encoder_create(const pgl_env *env, const pgl_tfidf *v, pgl_tfidf_encoder **out,
						 pgl_status *st)
{
	pgl_tfidf_encoder *e = pgl_alloc0(env, sizeof(*e));

	*out = NULL;
	if (e == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	e->env = env;
	e->v = v;
	pgl_strmap_init(&e->terms, env, false);
	/* the terms are unique (a learned or a loaded vocabulary): index j is term j */
	for (int32_t j = 0; j < v->n_terms; j++)
		if (pgl_strmap_add(&e->terms, v->terms[j], strlen(v->terms[j]), NULL) < 0)
		{
			pgl_tfidf_encoder_free(e);
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		}
	*out = e;
	return PGL_OK;
}

void
pgl_tfidf_encoder_free(pgl_tfidf_encoder *e)
{
	if (e == NULL)
		return;
	pgl_strmap_free(&e->terms);
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
	int64_t			   j = pgl_strmap_get(&e->terms, s, len);

	if (j >= 0)
		e->ids[e->n_ids++] = (int32_t) j;
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

	if (len > INT32_MAX / 2 ||
		!pgl_grow_array(e->env, (void **) &e->out, &e->out_cap, (int64_t) len + 1, 1) ||
		!pgl_grow_array(e->env, (void **) &e->tok, &e->tok_cap, (int64_t) max_tok,
						sizeof(pgl_token)) ||
		!pgl_grow_array(e->env, (void **) &e->ids, &e->ids_cap, 2 * (int64_t) max_tok,
						sizeof(int32_t)) ||
		!pgl_grow_array(e->env, (void **) &e->val, &e->val_cap, 2 * (int64_t) max_tok,
						sizeof(double)))
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
	return pgl_str_bsearch(v->terms, v->n_terms, term, len);
}
