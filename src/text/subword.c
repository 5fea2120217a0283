/*-------------------------------------------------------------------------
 *
 * subword.c
 *	  Word and BPE token vocabularies: learning on the training documents
 *	  and encoding a document into token ids (the rules are in subword.h;
 *	  the words come from tokenize.c).
 *
 *-------------------------------------------------------------------------
 */
#include "subword.h"
#include "strmap.h"
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

#define SYM_BYTES (4 + PGL_TOK_EOW_LEN + 1) /* one code point, the suffix, NUL */

static uint64_t
hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

/* ---------- strings with a count each ---------- */

typedef struct counted
{
	pgl_strmap map;
	int64_t	  *val; /* per key */
	int64_t	   cap_val;
} counted;

static void
counted_init(counted *c, const pgl_env *env)
{
	pgl_strmap_init(&c->map, env, true);
	c->val = NULL;
	c->cap_val = 0;
}

static void
counted_free(counted *c)
{
	pgl_free(c->map.env, c->val);
	pgl_strmap_free(&c->map);
	c->val = NULL;
	c->cap_val = 0;
}

/* index of s, added with count 0 when new; -1 when out of memory */
static int64_t
counted_add(counted *c, const char *s, size_t len)
{
	bool	added;
	int64_t i;

	if (!pgl_grow_array(c->map.env, (void **) &c->val, &c->cap_val, c->map.n + 1, sizeof(int64_t)))
		return -1;
	i = pgl_strmap_add(&c->map, s, len, &added);
	if (added)
		c->val[i] = 0;
	return i;
}

/* ---------- the builder ---------- */

struct pgl_tok_builder
{
	const pgl_env *env;
	int32_t		   tokenizer, vocab_size;
	counted		   words; /* val: occurrences */
	char		  *out;
	pgl_token	  *tok;
	int64_t		   out_cap, tok_cap;
};

/* code points of a token (valid UTF-8 from the tokenizer) */
static int32_t
n_chars(const char *s, int32_t len)
{
	int32_t n = 0;

	for (int32_t i = 0; i < len; i++)
		n += ((unsigned char) s[i] & 0xC0) != 0x80;
	return n;
}

pgl_rc
pgl_tok_builder_create(const pgl_env *env, int32_t tokenizer, int32_t vocab_size,
					   pgl_tok_builder **out, pgl_status *st)
{
	pgl_tok_builder *b;

	*out = NULL;
	if (tokenizer != PGL_TOKENIZER_WORD && tokenizer != PGL_TOKENIZER_BPE)
		return pgl_fail(st, PGL_ERR_INVALID, "unknown tokenizer %d", (int) tokenizer);
	if (vocab_size < 3 || vocab_size > PGL_TOK_MAX_VOCAB)
		return pgl_fail(st, PGL_ERR_INVALID, "vocabulary size %d is not between 3 and %d",
						(int) vocab_size, PGL_TOK_MAX_VOCAB);
	b = pgl_alloc0(env, sizeof(*b));
	if (b == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	b->env = env;
	b->tokenizer = tokenizer;
	b->vocab_size = vocab_size;
	counted_init(&b->words, env);
	*out = b;
	return PGL_OK;
}

/* tokenize doc into the scratch buffers of b (or of an encoder); -1: out of memory */
static int32_t
tokenize_into(const pgl_env *env, const char *doc, size_t len, char **out, int64_t *out_cap,
			  pgl_token **tok, int64_t *tok_cap)
{
	if (len > INT32_MAX)
		len = INT32_MAX;
	if (!pgl_grow_array(env, (void **) out, out_cap, (int64_t) len + 1, 1) ||
		!pgl_grow_array(env, (void **) tok, tok_cap, (int64_t) pgl_tokenize_max(len),
						sizeof(pgl_token)))
		return -1;
	return pgl_tokenize(doc, len, *out, *tok);
}

pgl_rc
pgl_tok_builder_add(pgl_tok_builder *b, const char *doc, size_t len, pgl_status *st)
{
	int32_t n = tokenize_into(b->env, doc, len, &b->out, &b->out_cap, &b->tok, &b->tok_cap);

	if (n < 0)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t i = 0; i < n; i++)
	{
		const char *s = b->out + b->tok[i].start;
		int64_t		w;

		if (n_chars(s, b->tok[i].len) > PGL_TOK_MAX_WORD_CHARS)
			continue;
		w = counted_add(&b->words, s, (size_t) b->tok[i].len);
		if (w < 0)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		b->words.val[w]++;
	}
	return PGL_OK;
}

void
pgl_tok_builder_free(pgl_tok_builder *b)
{
	if (b == NULL)
		return;
	counted_free(&b->words);
	pgl_free(b->env, b->out);
	pgl_free(b->env, b->tok);
	pgl_free(b->env, b);
}

/* an index of a counted map with its sort keys (qsort has no context argument) */
typedef struct ranked_entry
{
	int64_t		count;
	const char *key;
	int32_t		idx;
} ranked_entry;

/* count descending, then key by strcmp */
static int
by_count_then_key(const void *pa, const void *pb)
{
	const ranked_entry *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int
by_string(const void *pa, const void *pb)
{
	return strcmp(*(char *const *) pa, *(char *const *) pb);
}

/*
 * Indexes 0 .. c->map.n - 1 (kept[i] only, unless kept is NULL; allocated
 * through env) ordered by value descending then key, or with by_value
 * false by key only.
 */
static int32_t *
ranked(const pgl_env *env, const counted *c, const char *kept, bool by_value)
{
	const pgl_strmap *m = &c->map;
	ranked_entry	 *r = pgl_alloc(env, sizeof(ranked_entry) * ((size_t) m->n + 1));
	int32_t			 *idx = pgl_alloc(env, sizeof(int32_t) * ((size_t) m->n + 1));
	int64_t			  n = 0;

	if (r == NULL || idx == NULL)
	{
		pgl_free(env, r);
		pgl_free(env, idx);
		return NULL;
	}
	for (int64_t i = 0; i < m->n; i++)
		if (kept == NULL || kept[i])
		{
			r[n].count = by_value ? c->val[i] : 0;
			r[n].key = m->keys[i];
			r[n].idx = (int32_t) i;
			n++;
		}
	qsort(r, (size_t) n, sizeof(ranked_entry), by_count_then_key);
	for (int64_t i = 0; i < n; i++)
		idx[i] = r[i].idx;
	pgl_free(env, r);
	return idx;
}

/*
 * out->tokens: copies of the strings keys[idx[0 .. n)], sorted by strcmp
 * (they are already when sorted).  On failure out may hold some of them:
 * pgl_tok_builder_finish frees it.
 */
static pgl_rc
put_tokens(const pgl_env *env, const char *const *keys, const int32_t *idx, int32_t n, bool sorted,
		   pgl_tok_vocab *out, pgl_status *st)
{
	out->tokens = pgl_alloc0(env, sizeof(char *) * ((size_t) n + 1));
	if (out->tokens == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	out->n_tokens = n;
	for (int32_t i = 0; i < n; i++)
	{
		size_t l = strlen(keys[idx[i]]);

		out->tokens[i] = pgl_alloc(env, l + 1);
		if (out->tokens[i] == NULL)
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		memcpy(out->tokens[i], keys[idx[i]], l + 1);
	}
	if (!sorted)
		qsort(out->tokens, (size_t) n, sizeof(char *), by_string);
	return PGL_OK;
}

/* the most frequent words, sorted */
static pgl_rc
finish_words(pgl_tok_builder *b, pgl_tok_vocab *out, pgl_status *st)
{
	int32_t *idx = ranked(b->env, &b->words, NULL, true);
	int64_t	 n_words = b->words.map.n;
	int32_t	 n = (int32_t) (n_words < b->vocab_size - 2 ? n_words : b->vocab_size - 2);
	pgl_rc	 rc;

	if (idx == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	rc = put_tokens(b->env, b->words.map.keys, idx, n, false, out, st);
	pgl_free(b->env, idx);
	return rc;
}

/* ---------- BPE learning ---------- */

typedef struct heap_entry
{
	int64_t count;
	int32_t pair;
} heap_entry;

typedef struct bpe
{
	const pgl_env *env;
	counted		   syms; /* val: occurrences (base symbols) */
	char		  *kept; /* per symbol */
	int64_t		   cap_kept;
	int32_t		   n_kept, target;
	/* the distinct words: symbols in pool[off[w] .. off[w] + len[w]), -1 unknown */
	int32_t *pool;
	int64_t	 n_pool, cap_pool;
	int64_t *off, *wcount;
	int32_t *len, *wstamp;
	int32_t	 n_words;
	/* pairs: a, b, count, the words that have (had) them */
	int32_t	   *pa, *pb, *pstamp;
	char	   *pblocked; /* a pair whose joined string is another merge's */
	int64_t	   *pcount;
	int32_t	  **pw;
	int32_t	   *pw_n, *pw_cap;
	int64_t		n_pairs, cap_pairs[8];
	int32_t	   *pslots;
	int64_t		n_pslots;
	heap_entry *heap;
	int64_t		n_heap, cap_heap;
	int32_t	   *touched;
	int64_t		n_touched, cap_touched;
	int32_t	   *merges; /* 3 per merge, symbol indexes */
	int64_t		n_merges, cap_merges;
} bpe;

static bool
pair_better(const bpe *p, const heap_entry *x, const heap_entry *y)
{
	int c;

	if (x->count != y->count)
		return x->count > y->count;
	c = strcmp(p->syms.map.keys[p->pa[x->pair]], p->syms.map.keys[p->pa[y->pair]]);
	if (c != 0)
		return c < 0;
	return strcmp(p->syms.map.keys[p->pb[x->pair]], p->syms.map.keys[p->pb[y->pair]]) < 0;
}

static bool
heap_push(bpe *p, int32_t pair)
{
	int64_t i = p->n_heap++;

	if (!pgl_grow_array(p->env, (void **) &p->heap, &p->cap_heap, p->n_heap, sizeof(heap_entry)))
		return false;
	p->heap[i].count = p->pcount[pair];
	p->heap[i].pair = pair;
	while (i > 0 && pair_better(p, &p->heap[i], &p->heap[(i - 1) / 2]))
	{
		heap_entry t = p->heap[i];

		p->heap[i] = p->heap[(i - 1) / 2];
		p->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return true;
}

static heap_entry
heap_pop(bpe *p)
{
	heap_entry top = p->heap[0];
	int64_t	   i = 0;

	p->heap[0] = p->heap[--p->n_heap];
	for (;;)
	{
		int64_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < p->n_heap && pair_better(p, &p->heap[l], &p->heap[m]))
			m = l;
		if (r < p->n_heap && pair_better(p, &p->heap[r], &p->heap[m]))
			m = r;
		if (m == i)
			break;
		{
			heap_entry t = p->heap[i];

			p->heap[i] = p->heap[m];
			p->heap[m] = t;
		}
		i = m;
	}
	return top;
}

static bool
pairs_rehash(bpe *p)
{
	int64_t	 n = p->n_pslots ? p->n_pslots * 2 : 4096;
	int32_t *slots = pgl_alloc(p->env, sizeof(int32_t) * (size_t) n);

	if (slots == NULL)
		return false;
	memset(slots, 0xff, sizeof(int32_t) * (size_t) n);
	for (int64_t i = 0; i < p->n_pairs; i++)
	{
		uint64_t h = hash_u64(((uint64_t) (uint32_t) p->pa[i] << 32) | (uint32_t) p->pb[i]) &
					 (uint64_t) (n - 1);

		while (slots[h] >= 0)
			h = (h + 1) & (uint64_t) (n - 1);
		slots[h] = (int32_t) i;
	}
	pgl_free(p->env, p->pslots);
	p->pslots = slots;
	p->n_pslots = n;
	return true;
}

/* the pair (a, b), created with count 0 when new; -1 when out of memory */
static int32_t
pair_get(bpe *p, int32_t a, int32_t b)
{
	uint64_t h;

	if ((p->n_pairs + 1) * 2 > p->n_pslots && !pairs_rehash(p))
		return -1;
	h = hash_u64(((uint64_t) (uint32_t) a << 32) | (uint32_t) b) & (uint64_t) (p->n_pslots - 1);
	while (p->pslots[h] >= 0)
	{
		int32_t i = p->pslots[h];

		if (p->pa[i] == a && p->pb[i] == b)
			return i;
		h = (h + 1) & (uint64_t) (p->n_pslots - 1);
	}
	{
		int64_t n = p->n_pairs + 1;

		if (n >= INT32_MAX ||
			!pgl_grow_array(p->env, (void **) &p->pa, &p->cap_pairs[0], n, sizeof(int32_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pb, &p->cap_pairs[1], n, sizeof(int32_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pstamp, &p->cap_pairs[2], n, sizeof(int32_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pcount, &p->cap_pairs[3], n, sizeof(int64_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pw, &p->cap_pairs[4], n, sizeof(int32_t *)) ||
			!pgl_grow_array(p->env, (void **) &p->pw_n, &p->cap_pairs[5], n, sizeof(int32_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pw_cap, &p->cap_pairs[6], n, sizeof(int32_t)) ||
			!pgl_grow_array(p->env, (void **) &p->pblocked, &p->cap_pairs[7], n, sizeof(char)))
			return -1;
	}
	{
		int32_t i = (int32_t) p->n_pairs++;

		p->pa[i] = a;
		p->pb[i] = b;
		p->pstamp[i] = -1;
		p->pblocked[i] = 0;
		p->pcount[i] = 0;
		p->pw[i] = NULL;
		p->pw_n[i] = p->pw_cap[i] = 0;
		p->pslots[h] = i;
		return i;
	}
}

/* note that word w has pair i */
static bool
pair_add_word(bpe *p, int32_t i, int32_t w)
{
	if (p->pw_n[i] > 0 && p->pw[i][p->pw_n[i] - 1] == w)
		return true;
	if (p->pw_n[i] == p->pw_cap[i])
	{
		int64_t cap = p->pw_cap[i];

		if (cap >= INT32_MAX / 2 ||
			!pgl_grow_array(p->env, (void **) &p->pw[i], &cap, cap + 1, sizeof(int32_t)))
			return false;
		p->pw_cap[i] = (int32_t) cap;
	}
	p->pw[i][p->pw_n[i]++] = w;
	return true;
}

/* the pairs of word w change by sign times its count (and, adding, know w); false: no memory */
static bool
count_word(bpe *p, int32_t w, int sign, int32_t stamp)
{
	const int32_t *s = p->pool + p->off[w];

	for (int32_t k = 0; k + 1 < p->len[w]; k++)
	{
		int32_t i;

		if (s[k] < 0 || s[k + 1] < 0)
			continue;
		i = pair_get(p, s[k], s[k + 1]);
		if (i < 0)
			return false;
		p->pcount[i] += sign * p->wcount[w];
		if (sign > 0 && !pair_add_word(p, i, w))
			return false;
		if (p->pstamp[i] != stamp)
		{
			p->pstamp[i] = stamp;
			if (!pgl_grow_array(p->env, (void **) &p->touched, &p->cap_touched, p->n_touched + 1,
								sizeof(int32_t)))
				return false;
			p->touched[p->n_touched++] = i;
		}
	}
	return true;
}

/* split the words of the builder into base symbols; count them */
static pgl_rc
bpe_words(bpe *p, const counted *words, pgl_status *st)
{
	p->off = pgl_alloc(p->env, sizeof(int64_t) * ((size_t) words->map.n + 1));
	p->wcount = pgl_alloc(p->env, sizeof(int64_t) * ((size_t) words->map.n + 1));
	p->len = pgl_alloc(p->env, sizeof(int32_t) * ((size_t) words->map.n + 1));
	p->wstamp = pgl_alloc(p->env, sizeof(int32_t) * ((size_t) words->map.n + 1));
	if (!p->off || !p->wcount || !p->len || !p->wstamp)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t w = 0; w < words->map.n; w++)
	{
		const unsigned char *s = (const unsigned char *) words->map.keys[w];
		size_t				 n = (size_t) words->map.lens[w], at = 0;

		p->off[w] = p->n_pool;
		p->wcount[w] = words->val[w];
		p->wstamp[w] = -1;
		p->len[w] = 0;
		while (at < n)
		{
			uint32_t cp;
			int		 l = pgl_utf8_decode(s + at, n - at, &cp);
			char	 sym[SYM_BYTES];
			int64_t	 id;

			if (l <= 0) /* the tokenizer gives valid UTF-8 */
				l = 1;
			memcpy(sym, s + at, (size_t) l);
			at += (size_t) l;
			if (at >= n)
			{
				memcpy(sym + l, PGL_TOK_EOW, PGL_TOK_EOW_LEN);
				l += PGL_TOK_EOW_LEN;
			}
			id = counted_add(&p->syms, sym, (size_t) l);
			if (id < 0 || !pgl_grow_array(p->env, (void **) &p->pool, &p->cap_pool, p->n_pool + 1,
										  sizeof(int32_t)))
				return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
			p->syms.val[id] += words->val[w];
			p->pool[p->n_pool++] = (int32_t) id;
			p->len[w]++;
		}
	}
	p->n_words = (int32_t) words->map.n;
	return PGL_OK;
}

/* keep the most frequent base symbols; the others become unknown (-1) */
static pgl_rc
bpe_alphabet(bpe *p, pgl_status *st)
{
	int32_t *idx;
	int64_t	 keep = p->syms.map.n < p->target ? p->syms.map.n : p->target;

	if (!pgl_grow_array(p->env, (void **) &p->kept, &p->cap_kept, p->syms.map.n + 1, sizeof(char)))
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	idx = ranked(p->env, &p->syms, NULL, true);
	if (idx == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < p->syms.map.n; i++)
		p->kept[i] = 0;
	for (int64_t i = 0; i < keep; i++)
		p->kept[idx[i]] = 1;
	p->n_kept = (int32_t) keep;
	pgl_free(p->env, idx);
	for (int64_t k = 0; k < p->n_pool; k++)
		if (!p->kept[p->pool[k]])
			p->pool[k] = -1;
	return PGL_OK;
}

/* merge pair (a, b) into c in word w; true when it had the pair */
static bool
merge_word(bpe *p, int32_t w, int32_t a, int32_t b, int32_t c)
{
	int32_t *s = p->pool + p->off[w];
	int32_t	 j = 0;
	bool	 had = false;

	for (int32_t k = 0; k < p->len[w];)
	{
		if (k + 1 < p->len[w] && s[k] == a && s[k + 1] == b)
		{
			s[j++] = c;
			k += 2;
			had = true;
		}
		else
			s[j++] = s[k++];
	}
	p->len[w] = j;
	return had;
}

/* does word w have the pair (a, b)? */
static bool
word_has(const bpe *p, int32_t w, int32_t a, int32_t b)
{
	const int32_t *s = p->pool + p->off[w];

	for (int32_t k = 0; k + 1 < p->len[w]; k++)
		if (s[k] == a && s[k + 1] == b)
			return true;
	return false;
}

/*
 * The new symbol of a and b joined, kept; -2 when that string is already a
 * symbol (reached by other merges: the pair is then never merged, so that
 * every symbol comes from one merge); -1: no memory.
 */
static int64_t
joined_symbol(bpe *p, int32_t a, int32_t b)
{
	size_t	la = (size_t) p->syms.map.lens[a], lb = (size_t) p->syms.map.lens[b];
	char   *s = pgl_alloc(p->env, la + lb + 1);
	int64_t n = p->syms.map.n, c;

	if (s == NULL)
		return -1;
	memcpy(s, p->syms.map.keys[a], la);
	memcpy(s + la, p->syms.map.keys[b], lb);
	c = counted_add(&p->syms, s, la + lb);
	pgl_free(p->env, s);
	if (c < 0 ||
		!pgl_grow_array(p->env, (void **) &p->kept, &p->cap_kept, p->syms.map.n + 1, sizeof(char)))
		return -1;
	if (c < n)
		return -2;
	p->kept[c] = 1;
	p->n_kept++;
	return c;
}

/* one merge of pair i (count >= 2); false: out of memory */
static bool
bpe_merge(bpe *p, int32_t i, int32_t stamp)
{
	int32_t a = p->pa[i], b = p->pb[i];
	int64_t c = joined_symbol(p, a, b);

	if (c == -2)
	{
		p->pblocked[i] = 1;
		return true;
	}
	if (c < 0 || !pgl_grow_array(p->env, (void **) &p->merges, &p->cap_merges,
								 3 * (p->n_merges + 1), sizeof(int32_t)))
		return false;
	p->merges[3 * p->n_merges] = a;
	p->merges[3 * p->n_merges + 1] = b;
	p->merges[3 * p->n_merges + 2] = (int32_t) c;
	p->n_merges++;
	p->n_touched = 0;
	/* pw[i] may move while counting: walk it by index */
	for (int32_t k = 0; k < p->pw_n[i]; k++)
	{
		int32_t w = p->pw[i][k];

		if (p->wstamp[w] == stamp || !word_has(p, w, a, b))
			continue;
		p->wstamp[w] = stamp;
		if (!count_word(p, w, -1, stamp))
			return false;
		merge_word(p, w, a, b, (int32_t) c);
		if (!count_word(p, w, +1, stamp))
			return false;
	}
	for (int64_t k = 0; k < p->n_touched; k++)
		if (p->pcount[p->touched[k]] > 0 && !heap_push(p, p->touched[k]))
			return false;
	return true;
}

static pgl_rc
bpe_learn(bpe *p, pgl_status *st)
{
	int32_t stamp = 0;

	for (int32_t w = 0; w < p->n_words; w++)
		if (!count_word(p, w, +1, -2))
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	for (int32_t i = 0; i < p->n_pairs; i++)
		if (!heap_push(p, i))
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	while (p->n_kept < p->target && p->n_heap > 0)
	{
		heap_entry e = heap_pop(p);

		if (e.count != p->pcount[e.pair] || p->pblocked[e.pair])
			continue; /* stale (a newer entry holds the count), or never merged */
		if (e.count < 2)
			break;
		if (!bpe_merge(p, e.pair, stamp++))
			return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
		if ((stamp & 63) == 0)
			pgl_interrupts(p->env);
	}
	return PGL_OK;
}

/*
 * The kept symbols as tokens, the merges in token ids.  On failure out may
 * hold some tokens: pgl_tok_builder_finish frees it.
 */
static pgl_rc
bpe_output(bpe *p, pgl_tok_vocab *out, pgl_status *st)
{
	/* by key only: the ids follow strcmp order, the tokens need no sort */
	int32_t *idx = ranked(p->env, &p->syms, p->kept, false);
	int32_t *id = pgl_alloc(p->env, sizeof(int32_t) * ((size_t) p->syms.map.n + 1));
	int32_t	 n = p->n_kept;
	pgl_rc	 rc = PGL_ERR_NOMEM;

	if (idx == NULL || id == NULL)
		goto done;
	for (int32_t k = 0; k < n; k++)
		id[idx[k]] = PGL_TOK_FIRST + k;
	if (put_tokens(p->env, p->syms.map.keys, idx, n, true, out, st) != PGL_OK)
		goto done;
	out->merges = pgl_alloc(p->env, sizeof(int32_t) * (3 * (size_t) p->n_merges + 1));
	if (out->merges == NULL)
		goto done;
	out->n_merges = (int32_t) p->n_merges;
	for (int64_t k = 0; k < 3 * p->n_merges; k++)
		out->merges[k] = id[p->merges[k]];
	rc = PGL_OK;
done:
	pgl_free(p->env, idx);
	pgl_free(p->env, id);
	if (rc != PGL_OK)
		return pgl_fail(st, rc, "out of memory");
	return PGL_OK;
}

static void
bpe_free(bpe *p)
{
	for (int64_t i = 0; i < p->n_pairs; i++)
		pgl_free(p->env, p->pw[i]);
	counted_free(&p->syms);
	pgl_free(p->env, p->kept);
	pgl_free(p->env, p->pool);
	pgl_free(p->env, p->off);
	pgl_free(p->env, p->wcount);
	pgl_free(p->env, p->len);
	pgl_free(p->env, p->wstamp);
	pgl_free(p->env, p->pa);
	pgl_free(p->env, p->pb);
	pgl_free(p->env, p->pstamp);
	pgl_free(p->env, p->pblocked);
	pgl_free(p->env, p->pcount);
	pgl_free(p->env, p->pw);
	pgl_free(p->env, p->pw_n);
	pgl_free(p->env, p->pw_cap);
	pgl_free(p->env, p->pslots);
	pgl_free(p->env, p->heap);
	pgl_free(p->env, p->touched);
	pgl_free(p->env, p->merges);
}

static pgl_rc
finish_bpe(pgl_tok_builder *b, pgl_tok_vocab *out, pgl_status *st)
{
	bpe	   p;
	pgl_rc rc;

	memset(&p, 0, sizeof(p));
	p.env = b->env;
	counted_init(&p.syms, b->env);
	p.target = b->vocab_size - 2;
	rc = bpe_words(&p, &b->words, st);
	if (rc == PGL_OK)
		rc = bpe_alphabet(&p, st);
	if (rc == PGL_OK)
		rc = bpe_learn(&p, st);
	if (rc == PGL_OK)
		rc = bpe_output(&p, out, st);
	bpe_free(&p);
	return rc;
}

pgl_rc
pgl_tok_builder_finish(pgl_tok_builder *b, pgl_tok_vocab *out, pgl_status *st)
{
	pgl_rc rc;

	memset(out, 0, sizeof(*out));
	out->tokenizer = b->tokenizer;
	if (b->words.map.n == 0)
		return pgl_fail(st, PGL_ERR_INVALID,
						"the training documents hold no word of 2 to %d characters",
						PGL_TOK_MAX_WORD_CHARS);
	rc = b->tokenizer == PGL_TOKENIZER_WORD ? finish_words(b, out, st) : finish_bpe(b, out, st);
	if (rc != PGL_OK)
	{
		/* a half-built vocabulary: the tokens so far (the others NULL), the merges */
		if (out->tokens)
			for (int32_t i = 0; i < out->n_tokens; i++)
				pgl_free(b->env, out->tokens[i]);
		pgl_free(b->env, out->tokens);
		pgl_free(b->env, out->merges);
		memset(out, 0, sizeof(*out));
		out->tokenizer = b->tokenizer;
	}
	return rc;
}

/* ---------- encoding ---------- */

/* words whose BPE symbols an encoder remembers; emptied when full */
#define TOK_CACHE_WORDS 65536

struct pgl_tok_encoder
{
	const pgl_env		*env;
	const pgl_tok_vocab *v;
	int32_t				*mkeys; /* 4 per merge: left, right, rank, result; by (left, right) */
	char				*out;
	pgl_token			*tok;
	int64_t				 out_cap, tok_cap;
	int32_t				 sym[PGL_TOK_MAX_WORD_CHARS];
	/* the word cache: word k's symbols are ids[span[2k] .. span[2k] + span[2k + 1]) */
	pgl_strmap cache;
	int32_t	  *span, *ids;
	int64_t	   cap_span, cap_ids, n_ids;
};

/* id of token s (len bytes) in v, or PGL_TOK_UNK */
static int32_t
tok_find(const pgl_tok_vocab *v, const char *s, size_t len)
{
	int32_t k = pgl_str_bsearch(v->tokens, v->n_tokens, s, len);

	return k < 0 ? PGL_TOK_UNK : PGL_TOK_FIRST + k;
}

static int
by_pair(const void *pa, const void *pb)
{
	const int32_t *a = pa, *b = pb;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	if (a[1] != b[1])
		return a[1] < b[1] ? -1 : 1;
	return 0;
}

pgl_rc
pgl_tok_encoder_create(const pgl_env *env, const pgl_tok_vocab *v, pgl_tok_encoder **out,
					   pgl_status *st)
{
	pgl_tok_encoder *e = pgl_alloc0(env, sizeof(*e));

	*out = NULL;
	if (e == NULL)
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	e->env = env;
	e->v = v;
	pgl_strmap_init(&e->cache, env, true);
	e->mkeys = pgl_alloc(env, sizeof(int32_t) * (4 * (size_t) v->n_merges + 1));
	if (e->mkeys == NULL)
	{
		pgl_tok_encoder_free(e);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int32_t k = 0; k < v->n_merges; k++)
	{
		const int32_t *m = v->merges + 3 * k;

		e->mkeys[4 * k] = m[0];
		e->mkeys[4 * k + 1] = m[1];
		e->mkeys[4 * k + 2] = k;
		e->mkeys[4 * k + 3] = m[2];
	}
	qsort(e->mkeys, (size_t) v->n_merges, 4 * sizeof(int32_t), by_pair);
	*out = e;
	return PGL_OK;
}

void
pgl_tok_encoder_free(pgl_tok_encoder *e)
{
	if (e == NULL)
		return;
	pgl_free(e->env, e->mkeys);
	pgl_free(e->env, e->out);
	pgl_free(e->env, e->tok);
	pgl_strmap_free(&e->cache);
	pgl_free(e->env, e->span);
	pgl_free(e->env, e->ids);
	pgl_free(e->env, e);
}

/* the merge of (a, b): its 4 values, or NULL */
static const int32_t *
find_merge(const pgl_tok_encoder *e, int32_t a, int32_t b)
{
	int32_t key[2] = {a, b};

	return bsearch(key, e->mkeys, (size_t) e->v->n_merges, 4 * sizeof(int32_t), by_pair);
}

/* the BPE symbols of one word (n_chars <= PGL_TOK_MAX_WORD_CHARS) into e->sym; their count */
static int32_t
bpe_word(pgl_tok_encoder *e, const char *s, int32_t len)
{
	int32_t n = 0, at = 0;

	while (at < len)
	{
		uint32_t cp;
		int		 l = pgl_utf8_decode((const unsigned char *) s + at, (size_t) (len - at), &cp);
		char	 sym[SYM_BYTES];

		if (l <= 0)
			l = 1;
		memcpy(sym, s + at, (size_t) l);
		at += l;
		if (at >= len)
		{
			memcpy(sym + l, PGL_TOK_EOW, PGL_TOK_EOW_LEN);
			l += PGL_TOK_EOW_LEN;
		}
		e->sym[n++] = tok_find(e->v, sym, (size_t) l);
	}
	for (;;)
	{
		const int32_t *best = NULL;
		int32_t		   j = 0;

		for (int32_t k = 0; k + 1 < n; k++)
		{
			const int32_t *m = find_merge(e, e->sym[k], e->sym[k + 1]);

			if (m && (best == NULL || m[2] < best[2]))
				best = m;
		}
		if (best == NULL)
			break;
		for (int32_t k = 0; k < n;)
		{
			if (k + 1 < n && e->sym[k] == best[0] && e->sym[k + 1] == best[1])
			{
				e->sym[j++] = best[3];
				k += 2;
			}
			else
				e->sym[j++] = e->sym[k++];
		}
		n = j;
	}
	return n;
}

/*
 * The BPE symbols of one word into e->sym, their count: from the cache, or
 * computed and remembered (when memory allows: the cache is an optimization,
 * a failure to grow it only skips it).
 */
static int32_t
bpe_cached(pgl_tok_encoder *e, const char *s, int32_t len)
{
	int64_t k = pgl_strmap_get(&e->cache, s, (size_t) len);
	int32_t n;

	if (k >= 0)
	{
		n = e->span[2 * k + 1];
		memcpy(e->sym, e->ids + e->span[2 * k], sizeof(int32_t) * (size_t) n);
		return n;
	}
	n = bpe_word(e, s, len);
	if (e->cache.n >= TOK_CACHE_WORDS)
	{
		pgl_strmap_free(&e->cache);
		e->n_ids = 0;
	}
	if (!pgl_grow_array(e->env, (void **) &e->span, &e->cap_span, 2 * (e->cache.n + 1),
						sizeof(int32_t)) ||
		!pgl_grow_array(e->env, (void **) &e->ids, &e->cap_ids, e->n_ids + n, sizeof(int32_t)))
		return n;
	k = pgl_strmap_add(&e->cache, s, (size_t) len, NULL);
	if (k >= 0)
	{
		e->span[2 * k] = (int32_t) e->n_ids;
		e->span[2 * k + 1] = n;
		memcpy(e->ids + e->n_ids, e->sym, sizeof(int32_t) * (size_t) n);
		e->n_ids += n;
	}
	return n;
}

int64_t
pgl_tok_encode(pgl_tok_encoder *e, const char *doc, size_t len, int32_t *ids, int32_t max_ids)
{
	int32_t n = tokenize_into(e->env, doc, len, &e->out, &e->out_cap, &e->tok, &e->tok_cap);
	int64_t total = 0;

	if (n < 0)
		return -1;
	for (int32_t i = 0; i < n; i++)
	{
		const char *s = e->out + e->tok[i].start;
		int32_t		l = e->tok[i].len;

		if (n_chars(s, l) > PGL_TOK_MAX_WORD_CHARS)
		{
			if (total < max_ids)
				ids[total] = PGL_TOK_UNK;
			total++;
		}
		else if (e->v->tokenizer == PGL_TOKENIZER_WORD)
		{
			if (total < max_ids)
				ids[total] = tok_find(e->v, s, (size_t) l);
			total++;
		}
		else
		{
			int32_t k = bpe_cached(e, s, l);

			for (int32_t j = 0; j < k; j++, total++)
				if (total < max_ids)
					ids[total] = e->sym[j];
		}
	}
	return total;
}
