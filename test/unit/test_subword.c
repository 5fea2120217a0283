/*
 * test_subword.c - word and BPE token vocabularies of neural_net text
 * columns (src/text/subword.c), with hand-checked results.
 */
#include "unit.h"

#include <string.h>

#include "model_format.h"
#include "subword.h"
#include "testenv.h"

static const pgl_env *env = &pgl_malloc_env;

static void
free_vocab(pgl_tok_vocab *v)
{
	for (int32_t i = 0; i < v->n_tokens; i++)
		free(v->tokens[i]);
	free(v->tokens);
	free(v->merges);
	memset(v, 0, sizeof(*v));
}

/* learn a vocabulary of the documents docs[0 .. n) */
static pgl_rc
learn(int32_t tokenizer, int32_t vocab_size, const char *const *docs, int n, pgl_tok_vocab *v)
{
	pgl_tok_builder *b;
	pgl_status		 st;
	pgl_rc			 rc;

	memset(&st, 0, sizeof(st));
	rc = pgl_tok_builder_create(env, tokenizer, vocab_size, &b, &st);
	if (rc != PGL_OK)
		return rc;
	for (int i = 0; i < n; i++)
		OK(pgl_tok_builder_add(b, docs[i], strlen(docs[i]), &st) == PGL_OK, "add: %s", st.msg);
	rc = pgl_tok_builder_finish(b, v, &st);
	pgl_tok_builder_free(b);
	return rc;
}

/* the tokens of doc as "tok|tok|..." into buf; their total count */
static int64_t
encode_str(const pgl_tok_vocab *v, const char *doc, int32_t max_ids, char *buf, int32_t *ids)
{
	pgl_tok_encoder *e;
	pgl_status		 st;
	int64_t			 n;

	memset(&st, 0, sizeof(st));
	OK(pgl_tok_encoder_create(env, v, &e, &st) == PGL_OK, "encoder: %s", st.msg);
	n = pgl_tok_encode(e, doc, strlen(doc), ids, max_ids);
	buf[0] = '\0';
	for (int64_t i = 0; i < n && i < max_ids; i++)
	{
		if (i)
			strcat(buf, "|");
		strcat(buf, ids[i] == PGL_TOK_UNK ? "<unk>" : v->tokens[ids[i] - PGL_TOK_FIRST]);
	}
	pgl_tok_encoder_free(e);
	return n;
}

/* does v pass the structural rules of a tokens feature (model_format.c, check_tokens)? */
static bool
feature_ok(const pgl_tok_vocab *v, pgl_status *st)
{
	pgl_feature f;
	pgl_model	m;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	memset(st, 0, sizeof(*st));
	f.name = "review";
	f.type_name = "text";
	f.kind = PGL_FEATURE_TOKENS;
	f.n_categories = v->n_tokens;
	f.categories = v->tokens;
	f.tokenizer = v->tokenizer;
	f.length = 16;
	f.n_merges = v->n_merges;
	f.merges = v->merges;
	m.algorithm = PGL_ALGO_NEURAL_NET;
	m.task = PGL_TASK_REGRESSION;
	m.n_features = 1;
	m.features = &f;
	m.n_inputs = 1;
	/* the model has no network: only a feature's refusal counts */
	pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, st);
	return strstr(st->msg, "feature 0") == NULL;
}

static void
test_words(void)
{
	const char	 *docs[] = {"cat dog cat", "bird dog cat", "", "aa zz"};
	pgl_tok_vocab v;
	char		  buf[512];
	int32_t		  ids[16];

	OK(learn(PGL_TOKENIZER_WORD, 4, docs, 4, &v) == PGL_OK, "word vocabulary learns");
	OK(v.n_tokens == 2 && strcmp(v.tokens[0], "cat") == 0 && strcmp(v.tokens[1], "dog") == 0,
	   "the 2 most frequent words (cat 3, dog 2), sorted");
	OK(v.n_merges == 0, "no merges");
	OK(encode_str(&v, "Cat, BIRD; dog!", 16, buf, ids) == 3 && ids[0] == 2 && ids[1] == 1 &&
		   ids[2] == 3,
	   "ids 2, 1 (unknown), 3: %s", buf);
	OK(encode_str(&v, "cat cat cat dog", 2, buf, ids) == 4 && strcmp(buf, "cat|cat") == 0,
	   "truncated to max_ids, the count is the whole document's: %s", buf);
	free_vocab(&v);

	/* ties by strcmp: aa, bird and zz once each; vocabulary of 3 + 2 */
	OK(learn(PGL_TOKENIZER_WORD, 5, docs, 4, &v) == PGL_OK && v.n_tokens == 3 &&
		   strcmp(v.tokens[0], "aa") == 0 && strcmp(v.tokens[1], "cat") == 0 &&
		   strcmp(v.tokens[2], "dog") == 0,
	   "ties among words seen once go to the smaller string (aa before bird, zz)");
	free_vocab(&v);
	OK(learn(PGL_TOKENIZER_WORD, 100, docs, 4, &v) == PGL_OK && v.n_tokens == 5,
	   "a larger vocabulary keeps every word (5)");
	free_vocab(&v);

	{
		const char *none[] = {"a b c", "!!!"};
		char		longw[80];

		memset(longw, 'x', 60);
		longw[60] = '\0';
		OK(learn(PGL_TOKENIZER_WORD, 10, none, 2, &v) == PGL_ERR_INVALID,
		   "documents without a word are refused");
		none[0] = longw;
		OK(learn(PGL_TOKENIZER_WORD, 10, none, 1, &v) == PGL_ERR_INVALID,
		   "a word of more than %d characters is never learned", PGL_TOK_MAX_WORD_CHARS);
		none[1] = "short";
		OK(learn(PGL_TOKENIZER_WORD, 10, none, 2, &v) == PGL_OK && v.n_tokens == 1,
		   "only the short word is learned");
		OK(encode_str(&v, longw, 4, buf, ids) == 1 && ids[0] == PGL_TOK_UNK,
		   "a too-long word encodes as one unknown token");
		free_vocab(&v);
	}
	{
		pgl_tok_builder *b;
		pgl_status		 st;

		memset(&st, 0, sizeof(st));
		OK(pgl_tok_builder_create(env, PGL_TOKENIZER_WORD, 2, &b, &st) == PGL_ERR_INVALID,
		   "vocabulary size 2 refused: %s", st.msg);
		OK(pgl_tok_builder_create(env, 7, 100, &b, &st) == PGL_ERR_INVALID,
		   "unknown tokenizer refused: %s", st.msg);
	}
}

/* the merge k as "left+right=result" */
static const char *
merge_str(const pgl_tok_vocab *v, int32_t k, char *buf)
{
	const int32_t *m = v->merges + 3 * k;

	snprintf(buf, 128, "%s+%s=%s", v->tokens[m[0] - 2], v->tokens[m[1] - 2], v->tokens[m[2] - 2]);
	return buf;
}

/*
 * Sennrich et al.'s corpus: low x5, lower x2, newest x6, widest x3.  Base
 * symbols (11): d e i l n o r</w> s t</w> w w</w>.  Pair counts: e s 9,
 * s t</w> 9, w e 8, l o 7, n e 6, e w 6, ...  By hand, the merges:
 *	1. e+s (9; ties with s+t</w> 9, "e" < "s")
 *	2. es+t</w> (9)
 *	3. l+o (7)
 *	4. e+w (6; ties with n+e and w+est</w>, "e" is the smallest left)
 *	5. ew+est</w> (6; ties with n+ew, "ew" < "n")
 *	6. n+ewest</w> (6)
 *	7. lo+w</w> (5)
 * vocab_size 2 + 11 + 7 = 20 stops there.
 */
static void
test_bpe(void)
{
	const char	 *docs[] = {"low low low low low lower lower",
							"newest newest newest newest newest newest widest widest widest"};
	const char	 *want[] = {"e+s=es",		   "es+t</w>=est</w>",	   "l+o=lo",
							"e+w=ew",		   "ew+est</w>=ewest</w>", "n+ewest</w>=newest</w>",
							"lo+w</w>=low</w>"};
	pgl_tok_vocab v;
	char		  buf[512], m[128];
	int32_t		  ids[32];
	bool		  sorted = true;

	OK(learn(PGL_TOKENIZER_BPE, 20, docs, 2, &v) == PGL_OK, "BPE learns");
	OK(v.n_tokens == 18 && v.n_merges == 7, "11 base symbols and 7 merges: %d tokens, %d merges",
	   (int) v.n_tokens, (int) v.n_merges);
	for (int32_t k = 0; k < v.n_merges && k < 7; k++)
		OK(strcmp(merge_str(&v, k, m), want[k]) == 0, "merge %d is %s: %s", (int) k + 1, want[k],
		   m);
	for (int32_t i = 1; i < v.n_tokens; i++)
		sorted = sorted && strcmp(v.tokens[i - 1], v.tokens[i]) < 0;
	OK(sorted, "tokens sorted by strcmp");
	OK(encode_str(&v, "newest low", 32, buf, ids) == 2 && strcmp(buf, "newest</w>|low</w>") == 0,
	   "training words keep their segmentation: %s", buf);
	OK(encode_str(&v, "lowest", 32, buf, ids) == 3 && strcmp(buf, "lo|w|est</w>") == 0,
	   "an unseen word by the merges in rank order: %s", buf);
	OK(encode_str(&v, "Lower widest", 32, buf, ids) == 8 &&
		   strcmp(buf, "lo|w|e|r</w>|w|i|d|est</w>") == 0,
	   "lower and widest: %s", buf);
	OK(encode_str(&v, "zebra", 32, buf, ids) == 5 && strcmp(buf, "<unk>|e|<unk>|<unk>|<unk>") == 0,
	   "unseen symbols are unknown (z, b, r inside a word, a</w>): %s", buf);
	free_vocab(&v);

	/* a small vocabulary: only the 3 most frequent base symbols */
	OK(learn(PGL_TOKENIZER_BPE, 5, docs, 2, &v) == PGL_OK && v.n_tokens == 3 && v.n_merges == 0,
	   "vocab_size 5 keeps 3 base symbols and merges nothing");
	OK(strcmp(v.tokens[0], "e") == 0 && strcmp(v.tokens[1], "s") == 0 &&
		   strcmp(v.tokens[2], "w") == 0,
	   "e 17, w 11, s 9 (ties with t</w> 9, \"s\" is smaller): %s %s %s", v.tokens[0], v.tokens[1],
	   v.tokens[2]);
	free_vocab(&v);

	/*
	 * Many words over a 3-letter alphabet, where strings are reachable by
	 * several merge paths: the vocabulary stays unique and sorted, no pair
	 * is merged twice, and every training word encodes without unknowns.
	 */
	{
		static char		 corpus[20000];
		const char		*d2[1] = {corpus};
		pgl_tok_encoder *e;
		pgl_status		 st;
		uint32_t		 x = 12345;
		size_t			 at = 0;
		bool			 sorted = true, known = true;

		for (int w = 0; w < 2000; w++)
		{
			int n = 2 + (int) ((x = x * 1103515245u + 12345u) >> 16) % 5;

			for (int k = 0; k < n; k++)
				corpus[at++] = "abc"[((x = x * 1103515245u + 12345u) >> 16) % 3];
			corpus[at++] = ' ';
		}
		corpus[at] = '\0';
		memset(&st, 0, sizeof(st));
		OK(learn(PGL_TOKENIZER_BPE, 120, d2, 1, &v) == PGL_OK && v.n_merges > 50,
		   "BPE learns on repeated pieces: %d merges", (int) v.n_merges);
		for (int32_t i = 1; i < v.n_tokens; i++)
			sorted = sorted && strcmp(v.tokens[i - 1], v.tokens[i]) < 0;
		OK(sorted, "tokens unique and sorted");
		OK(feature_ok(&v, &st),
		   "the vocabulary passes the reader's rules (no pair merged twice): %s", st.msg);
		OK(pgl_tok_encoder_create(env, &v, &e, &st) == PGL_OK, "encoder: %s", st.msg);
		{
			int32_t *all = malloc(sizeof(int32_t) * 20000);
			int64_t	 n = pgl_tok_encode(e, corpus, strlen(corpus), all, 20000);

			for (int64_t i = 0; i < n; i++)
				known = known && all[i] != PGL_TOK_UNK;
			OK(n >= 2000 && known, "the %lld tokens of the training words are all known",
			   (long long) n);
			free(all);
		}
		/*
		 * The encoder's word cache: 70,000 distinct-enough words (more than
		 * the cache holds, so it is emptied on the way) encode the same the
		 * first time (computed) and the second (mostly remembered).
		 */
		{
			size_t	 cap = 70000 * 16, len = 0;
			char	*big = malloc(cap);
			int32_t *a = malloc(sizeof(int32_t) * 1000000), *b = malloc(sizeof(int32_t) * 1000000);
			int64_t	 na, nb;

			for (int w = 0; w < 70000; w++)
			{
				int n = 10 + (int) ((x = x * 1103515245u + 12345u) >> 16) % 5;

				for (int k = 0; k < n; k++)
					big[len++] = "abc"[((x = x * 1103515245u + 12345u) >> 16) % 3];
				big[len++] = ' ';
			}
			na = pgl_tok_encode(e, big, len, a, 1000000);
			nb = pgl_tok_encode(e, big, len, b, 1000000);
			OK(na > 70000 && na == nb && na <= 1000000 &&
				   memcmp(a, b, sizeof(int32_t) * (size_t) na) == 0,
			   "a word from the cache encodes as computed: %lld and %lld ids", (long long) na,
			   (long long) nb);
			free(big);
			free(a);
			free(b);
		}
		pgl_tok_encoder_free(e);
		free_vocab(&v);
	}
}

/* a vocabulary whose one merge is not a training result: the encoder replays it */
static void
test_one_merge(void)
{
	char		 *toks[] = {"a", "ab</w>", "b</w>"};
	int32_t		  merge[] = {2, 4, 3};
	pgl_tok_vocab v = {PGL_TOKENIZER_BPE, 3, toks, 1, merge};
	char		  buf[256];
	int32_t		  ids[8];

	OK(encode_str(&v, "ab abab", 8, buf, ids) == 4 && strcmp(buf, "ab</w>|a|<unk>|ab</w>") == 0,
	   "one merge: %s", buf);
}

/* the structural rules of a tokens feature (model_format.c, check_tokens) */
static void
test_format_rules(void)
{
	char	   *toks[] = {"a", "ab</w>", "b</w>"};
	int32_t		merge[] = {2, 4, 3};
	int32_t		bad_join[] = {4, 2, 3};
	int32_t		out_of_range[] = {2, 4, 5};
	int32_t		twice[] = {2, 4, 3, 2, 4, 3};
	pgl_feature f;
	pgl_model	m;
	pgl_status	st;
	const struct
	{
		const char *what, *msg;
	} cases[] = {
		{"valid", NULL},
		{"tokenizer 3", "tokenizer 3"},
		{"max_len 0", "max_len 0"},
		{"max_len too long", "max_len 4097"},
		{"unsorted tokens", "not strictly sorted"},
		{"a merge that does not join", "does not join"},
		{"a merge id out of range", "has id 5"},
		{"a word vocabulary with merges", "merges"},
		{"an idf", "idf"},
		{"tokens of a linear model", "not the one feature"},
		{"two merges of one pair", "two merges of the pair of ids 2 and 4"},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		char *unsorted[] = {"b</w>", "a", "ab</w>"};

		memset(&f, 0, sizeof(f));
		memset(&m, 0, sizeof(m));
		memset(&st, 0, sizeof(st));
		f.name = "review";
		f.type_name = "text";
		f.kind = PGL_FEATURE_TOKENS;
		f.n_categories = 3;
		f.categories = toks;
		f.tokenizer = PGL_TOKENIZER_BPE;
		f.length = 16;
		f.n_merges = 1;
		f.merges = merge;
		m.algorithm = PGL_ALGO_NEURAL_NET;
		m.task = PGL_TASK_REGRESSION;
		m.n_features = 1;
		m.features = &f;
		m.n_inputs = 1;
		switch (c)
		{
			case 1:
				f.tokenizer = 3;
				break;
			case 2:
				f.length = 0;
				break;
			case 3:
				f.length = PGL_TOK_MAX_LEN + 1;
				break;
			case 4:
				f.categories = unsorted;
				break;
			case 5:
				f.merges = bad_join;
				break;
			case 6:
				f.merges = out_of_range;
				break;
			case 7:
				f.tokenizer = PGL_TOKENIZER_WORD;
				break;
			case 8:
				f.ngram_max = 1;
				break;
			case 9:
				m.algorithm = PGL_ALGO_LINEAR_REGRESSION;
				break;
			case 10:
				f.n_merges = 2;
				f.merges = twice;
				break;
		}
		pgl_model_check_structure(env, &m, PGL_ERR_CORRUPT, &st);
		if (cases[c].msg == NULL)
			OK(strstr(st.msg, "feature 0") == NULL, "%s: the feature passes (%s)", cases[c].what,
			   st.msg);
		else
			OK(st.rc == PGL_ERR_CORRUPT && strstr(st.msg, cases[c].msg) != NULL, "%s refused: %s",
			   cases[c].what, st.msg);
	}
}

/*
 * Every allocation failing in turn, while learning (both tokenizers),
 * creating an encoder and encoding: NOMEM (or -1; the encoder's word cache
 * only skips remembering), the output empty, and nothing leaked
 * (LeakSanitizer checks at exit).
 */
static void
test_nomem(void)
{
	const char *docs[] = {"low low low low low lower lower newest newest widest",
						  "newest newest newest widest widest lowest"};

	for (int32_t tokenizer = PGL_TOKENIZER_WORD; tokenizer <= PGL_TOKENIZER_BPE; tokenizer++)
	{
		counters	  cnt;
		pgl_env		  fenv = make_env(&cnt);
		int			  total = 0, bad = -1;
		bool		  all = true;
		int64_t		  want;
		char		  buf[256];
		int32_t		  ids0[16];
		pgl_tok_vocab v0;

		OK(learn(tokenizer, 12, docs, 2, &v0) == PGL_OK, "nomem: the vocabulary to expect");
		want = encode_str(&v0, docs[1], 16, buf, ids0);
		free_vocab(&v0);

		for (int f = 0; f < 100000; f++)
		{
			pgl_tok_builder *b = NULL;
			pgl_tok_encoder *e = NULL;
			pgl_tok_vocab	 v;
			pgl_status		 st;
			pgl_rc			 rc;
			int32_t			 ids[16];
			int64_t			 n = 0;

			memset(&st, 0, sizeof(st));
			memset(&v, 0, sizeof(v));
			cnt.allocs = 0;
			cnt.fail_at = f;
			rc = pgl_tok_builder_create(&fenv, tokenizer, 12, &b, &st);
			for (int d = 0; d < 2 && rc == PGL_OK; d++)
				rc = pgl_tok_builder_add(b, docs[d], strlen(docs[d]), &st);
			if (rc == PGL_OK)
			{
				rc = pgl_tok_builder_finish(b, &v, &st);
				if (rc != PGL_OK && (v.tokens != NULL || v.merges != NULL || v.n_tokens != 0))
				{
					all = false;
					bad = f;
				}
			}
			pgl_tok_builder_free(b);
			if (rc == PGL_OK)
				rc = pgl_tok_encoder_create(&fenv, &v, &e, &st);
			if (rc == PGL_OK)
			{
				n = pgl_tok_encode(e, docs[1], strlen(docs[1]), ids, 16);
				n = n < 0 ? n : pgl_tok_encode(e, docs[1], strlen(docs[1]), ids, 16);
				if (n < 0)
					rc = PGL_ERR_NOMEM;
			}
			pgl_tok_encoder_free(e);
			cnt.fail_at = -1;
			for (int32_t i = 0; i < v.n_tokens; i++)
				pgl_free(&fenv, v.tokens[i]);
			pgl_free(&fenv, v.tokens);
			pgl_free(&fenv, v.merges);
			if (cnt.allocs <= f) /* no allocation failed: every one was tried */
			{
				total = f;
				if (rc != PGL_OK || n != want)
				{
					all = false;
					bad = f;
				}
				break;
			}
			/* the encoder's word cache skips a failed allocation: still right */
			if (rc != PGL_ERR_NOMEM && !(rc == PGL_OK && n == want))
			{
				all = false;
				bad = f;
			}
		}
		OK(total > 10 && all,
		   "%s: each of %d allocation failures is NOMEM, nothing half-built (bad %d)",
		   tokenizer == PGL_TOKENIZER_WORD ? "words" : "BPE", total, bad);
	}
}

int
main(void)
{
	test_words();
	test_bpe();
	test_one_merge();
	test_format_rules();
	test_nomem();
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}
