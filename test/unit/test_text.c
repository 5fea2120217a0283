/*
 * test_text.c - the tokenizer and TF-IDF of text features (src/text).
 */
#include "unit.h"

#include <string.h>

#include "linear.h"
#include "model_format.h"
#include "tfidf.h"
#include "tokenize.h"

static const pgl_env *env = &pgl_malloc_env;

/* the tokens of s joined by '|' into buf */
static const char *
tokens_of(const char *s, char *buf)
{
	size_t	   len = strlen(s);
	char	  *out = malloc(len + 1);
	pgl_token *tok = malloc(sizeof(pgl_token) * pgl_tokenize_max(len));
	int32_t	   n = pgl_tokenize(s, len, out, tok);

	buf[0] = '\0';
	for (int32_t i = 0; i < n; i++)
	{
		if (i)
			strcat(buf, "|");
		strncat(buf, out + tok[i].start, (size_t) tok[i].len);
	}
	free(out);
	free(tok);
	return buf;
}

static void
test_tokenizer(void)
{
	char buf[1024];

	OK(strcmp(tokens_of("The cat, THE Cat!", buf), "the|cat|the|cat") == 0, "ascii lower: %s", buf);
	OK(strcmp(tokens_of("Don't e-mail me x", buf), "don|mail|me") == 0,
	   "apostrophe and hyphen split, 1-char runs dropped: %s", buf);
	OK(strcmp(tokens_of("foo_bar 42 3.14", buf), "foo_bar|42|14") == 0,
	   "underscore and digits are word characters: %s", buf);
	OK(strcmp(tokens_of("ÉCOLE naïve Straße İstanbul Łódź", buf),
			  "école|naïve|straße|istanbul|łódź") == 0,
	   "Latin-1 and Latin Extended-A lower-cased: %s", buf);
	OK(strcmp(tokens_of("ΑΒΓ Привет ЁЖ", buf), "αβγ|привет|ёж") == 0,
	   "Greek and Cyrillic lower-cased: %s", buf);
	OK(strcmp(tokens_of("«quote» ¿qué? a\xC2\xA0"
						"bc 1×2 5°C",
						buf),
			  "quote|qué|bc") == 0,
	   "Latin-1 punctuation, NBSP, × and ° separate: %s", buf);
	OK(strcmp(tokens_of("你好，世界 x—y …ok “no”", buf), "你好|世界|ok|no") == 0,
	   "CJK kept, CJK and general punctuation separate: %s", buf);
	OK(strcmp(tokens_of("👍ok🙂go", buf), "ok|go") == 0, "emoji separate: %s", buf);
	OK(strcmp(tokens_of("\xff\xfe"
						"ab\xc3"
						"cd\xed\xa0\x80"
						"ef\xc0\xaf"
						"gh",
						buf),
			  "ab|cd|ef|gh") == 0,
	   "invalid UTF-8 (bad lead, truncated, surrogate, overlong) separates: %s", buf);
	OK(strcmp(tokens_of("", buf), "") == 0 && strcmp(tokens_of(" a . b ", buf), "") == 0,
	   "empty and all-short documents have no tokens");
	OK(strcmp(tokens_of("éa", buf), "éa") == 0 && strcmp(tokens_of("é a", buf), "") == 0,
	   "the two-character minimum counts code points, not bytes");
	OK(pgl_text_lower(0x00D7) == 0x00D7 && pgl_text_lower(0x0178) == 0x00FF &&
		   pgl_text_lower(0x0130) == 'i' && pgl_text_lower(0x0141) == 0x0142 &&
		   pgl_text_lower(0x0142) == 0x0142 && pgl_text_lower(0x4E00) == 0x4E00,
	   "lower-case table edges");
}

static const char *corpus[] = {"The cat sat.", "the dog sat", "A cat, a dog!", "cat cat cat fish"};

static pgl_tfidf
learn(int32_t ngram, double min_df, int32_t max_features, bool sublinear, int ndocs)
{
	pgl_tfidf_params   p = {ngram, min_df, max_features, sublinear};
	pgl_tfidf_builder *b;
	pgl_status		   st;
	pgl_tfidf		   v;

	memset(&st, 0, sizeof(st));
	OK(pgl_tfidf_builder_create(env, &p, &b, &st) == PGL_OK, "builder created");
	for (int i = 0; i < ndocs; i++)
		pgl_tfidf_builder_add(b, corpus[i], strlen(corpus[i]), &st);
	pgl_tfidf_builder_add(b, NULL, 0, &st); /* a NULL: an empty document */
	OK(pgl_tfidf_builder_finish(b, &v, &st) == PGL_OK, "vocabulary learned");
	pgl_tfidf_builder_free(b);
	return v;
}

static void
free_vocab(pgl_tfidf *v)
{
	for (int32_t j = 0; j < v->n_terms; j++)
		free(v->terms[j]);
	free(v->terms);
	free(v->idf);
}

static char *
joined(const pgl_tfidf *v, char *buf)
{
	buf[0] = '\0';
	for (int32_t j = 0; j < v->n_terms; j++)
	{
		if (j)
			strcat(buf, "|");
		strcat(buf, v->terms[j]);
	}
	return buf;
}

static void
test_vocabulary(void)
{
	char	  buf[1024];
	pgl_tfidf v = learn(1, 1, 0, false, 4);
	double	  n = 5; /* four documents and the empty one */

	OK(strcmp(joined(&v, buf), "cat|dog|fish|sat|the") == 0, "1-grams sorted: %s", buf);
	NEAR(v.idf[0], log((1 + n) / (1 + 3)) + 1, 1e-15, "idf of cat (df 3)");
	NEAR(v.idf[2], log((1 + n) / (1 + 1)) + 1, 1e-15, "idf of fish (df 1)");
	OK(pgl_tfidf_find(&v, "fish", 4) == 2 && pgl_tfidf_find(&v, "fis", 3) == -1 &&
		   pgl_tfidf_find(&v, "zebra", 5) == -1 && pgl_tfidf_find(&v, "ca", 2) == -1,
	   "binary search");
	free_vocab(&v);

	v = learn(1, 2, 0, false, 4);
	OK(strcmp(joined(&v, buf), "cat|dog|sat|the") == 0, "min_df 2 (a count): %s", buf);
	free_vocab(&v);
	v = learn(1, 0.5, 0, false, 4);
	OK(strcmp(joined(&v, buf), "cat") == 0,
	   "min_df 0.5 (a fraction of 5 documents: df >= 2.5 keeps cat only): %s", buf);
	free_vocab(&v);
	v = learn(1, 0.3, 0, false, 4);
	OK(strcmp(joined(&v, buf), "cat|dog|sat|the") == 0, "min_df 0.3 of 5 docs: df >= 1.5: %s", buf);
	free_vocab(&v);
	v = learn(1, 1, 2, false, 4);
	OK(strcmp(joined(&v, buf), "cat|dog") == 0,
	   "max_features 2: cat (5 occurrences), then dog before sat and the (2, by term): %s", buf);
	free_vocab(&v);
	v = learn(2, 1, 0, false, 2);
	OK(strcmp(joined(&v, buf), "cat|cat sat|dog|dog sat|sat|the|the cat|the dog") == 0,
	   "1- and 2-grams: %s", buf);
	free_vocab(&v);
}

static void
test_encode(void)
{
	pgl_tfidf		   v = learn(1, 1, 0, false, 4);
	pgl_tfidf_encoder *e;
	pgl_status		   st;
	const int32_t	  *idx;
	const double	  *val;
	int32_t			   k;
	double			   n = 5, icat = log((1 + n) / 4) + 1, ifish = log((1 + n) / 2) + 1, norm;

	memset(&st, 0, sizeof(st));
	OK(pgl_tfidf_encoder_create(env, &v, &e, &st) == PGL_OK, "encoder created");
	k = pgl_tfidf_encode(e, "Fish, cat. CAT cat unknown", 26, &idx, &val);
	norm = sqrt(9 * icat * icat + ifish * ifish);
	OK(k == 2 && idx[0] == 0 && idx[1] == 2, "two known terms, in index order (%d)", k);
	NEAR(val[0], 3 * icat / norm, 1e-14, "tf 3 times idf, L2-normalised");
	NEAR(val[1], ifish / norm, 1e-14, "tf 1 times idf, L2-normalised");
	NEAR(val[0] * val[0] + val[1] * val[1], 1.0, 1e-14, "unit norm");
	k = pgl_tfidf_encode(e, "nothing known here", 18, &idx, &val);
	OK(k == 0, "unknown terms only: an empty row");
	k = pgl_tfidf_encode(e, NULL, 0, &idx, &val);
	OK(k == 0, "empty document: an empty row");
	pgl_tfidf_encoder_free(e);

	v.sublinear_tf = true;
	OK(pgl_tfidf_encoder_create(env, &v, &e, &st) == PGL_OK, "encoder created");
	k = pgl_tfidf_encode(e, "fish cat cat cat", 16, &idx, &val);
	norm = sqrt(pow((1 + log(3)) * icat, 2) + ifish * ifish);
	NEAR(val[0], (1 + log(3)) * icat / norm, 1e-14, "sublinear tf: 1 + ln 3");
	pgl_tfidf_encoder_free(e);
	free_vocab(&v);

	v = learn(2, 1, 0, false, 2);
	OK(pgl_tfidf_encoder_create(env, &v, &e, &st) == PGL_OK, "encoder created");
	k = pgl_tfidf_encode(e, "the cat sat", 11, &idx, &val);
	OK(k == 5 && idx[0] == 0 && idx[1] == 1 && idx[2] == 4 && idx[3] == 5 && idx[4] == 6,
	   "1- and 2-grams of a document: cat, cat sat, sat, the, the cat (%d)", k);
	pgl_tfidf_encoder_free(e);
	free_vocab(&v);
}

static void
test_errors(void)
{
	pgl_tfidf_params   p = {3, 1, 0, false};
	pgl_tfidf_builder *b;
	pgl_status		   st;

	memset(&st, 0, sizeof(st));
	OK(pgl_tfidf_builder_create(env, &p, &b, &st) == PGL_ERR_INVALID, "ngram 3 refused: %s",
	   st.msg);
	p.ngram_max = 2;
	p.min_df = 0;
	OK(pgl_tfidf_builder_create(env, &p, &b, &st) == PGL_ERR_INVALID, "min_df 0 refused");
	p.min_df = 1;
	p.max_features = -1;
	OK(pgl_tfidf_builder_create(env, &p, &b, &st) == PGL_ERR_INVALID, "max_features < 0 refused");
}

static char *
xstrdup(const char *s)
{
	char *p = malloc(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

/* logistic_regression over a text feature (3 terms) and a number */
static pgl_model *
text_model(void)
{
	pgl_model  *m = calloc(1, sizeof(pgl_model));
	pgl_tensor *t;
	const char *terms[3] = {"bad", "good", "very good"};

	m->algorithm = PGL_ALGO_LOGISTIC_REGRESSION;
	m->task = PGL_TASK_CLASSIFICATION;
	m->n_features = 2;
	m->features = calloc(2, sizeof(pgl_feature));
	m->features[0].name = xstrdup("body");
	m->features[0].type_name = xstrdup("text");
	m->features[0].kind = PGL_FEATURE_TEXT;
	m->features[0].n_categories = 3;
	m->features[0].categories = calloc(3, sizeof(char *));
	m->features[0].idf = calloc(3, sizeof(double));
	for (int k = 0; k < 3; k++)
	{
		m->features[0].categories[k] = xstrdup(terms[k]);
		m->features[0].idf[k] = 1.0 + k;
	}
	m->features[0].ngram_max = 2;
	m->features[0].sublinear = 1;
	m->features[1].name = xstrdup("x");
	m->features[1].type_name = xstrdup("float8");
	m->features[1].kind = PGL_FEATURE_NUMERIC;
	m->n_inputs = pgl_model_input_width(m);
	m->target_name = xstrdup("y");
	m->target_type = xstrdup("text");
	m->n_classes = 2;
	m->classes = calloc(2, sizeof(char *));
	m->classes[0] = xstrdup("neg");
	m->classes[1] = xstrdup("pos");
	m->n_tensors = 1;
	m->tensors = calloc(1, sizeof(pgl_tensor));
	t = &m->tensors[0];
	strcpy(t->name, "coef");
	t->dtype = PGL_F64;
	t->ndim = 2;
	t->dims[0] = m->n_inputs + 1;
	t->dims[1] = 1;
	t->data = calloc((size_t) m->n_inputs + 1, sizeof(double));
	return m;
}

static void
test_format(void)
{
	pgl_model	*m = text_model(), *back = NULL;
	uint8_t		*blob;
	size_t		 len;
	pgl_status	 st;
	pgl_feature *f = &m->features[0];

	memset(&st, 0, sizeof(st));
	OK(m->n_inputs == 4, "a text feature is one input per term (%d)", m->n_inputs);
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK, "written: %s", st.msg);
	OK(blob[4] == 2, "format version 2");
	OK(pgl_model_read(env, blob, len, &back, &st) == PGL_OK, "read back: %s", st.msg);
	OK(back && back->features[0].kind == PGL_FEATURE_TEXT && back->features[0].n_categories == 3 &&
		   strcmp(back->features[0].categories[2], "very good") == 0 &&
		   back->features[0].idf[2] == 3.0 && back->features[0].ngram_max == 2 &&
		   back->features[0].sublinear == 1,
	   "terms, idf, n-grams and sublinear survive");
	pgl_model_free(env, back);
	free(blob);

	f->idf[1] = 0.5;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID && strstr(st.msg, "idf"),
	   "an idf below 1 is refused: %s", st.msg);
	f->idf[1] = NAN;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID && strstr(st.msg, "idf"),
	   "a NaN idf is refused: %s", st.msg);
	f->idf[1] = 2.0;
	strcpy(f->categories[1], "bad");
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "not strictly sorted"),
	   "duplicate terms are refused: %s", st.msg);
	strcpy(f->categories[1], "goo");
	f->ngram_max = 3;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "n-grams up to 3"),
	   "3-grams are refused: %s", st.msg);
	f->ngram_max = 2;
	f->impute = 1;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID && strstr(st.msg, "impute"),
	   "an impute value is refused: %s", st.msg);
	f->impute = 0;
	m->features[1].idf = calloc(1, sizeof(double));
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "not text but has a vocabulary"),
	   "a vocabulary on a number is refused: %s", st.msg);
	OK(pgl_model_write(env, m, &blob, &len, &st) != PGL_OK, "still refused");
	free(m->features[1].idf);
	m->features[1].idf = NULL;
	OK(pgl_model_write(env, m, &blob, &len, &st) == PGL_OK, "valid again: %s", st.msg);
	/* a truncated idf array is corrupt, not a crash */
	for (size_t cut = len - 40; cut < len; cut += 7)
		OK(pgl_model_read(env, blob, cut, &back, &st) == PGL_ERR_CORRUPT, "cut at %zu: corrupt",
		   cut);
	free(blob);
	pgl_model_free(&pgl_malloc_env, m);
}

/* a random sparse matrix: rows x cols, about per_row entries a row */
static pgl_csr
random_csr(int64_t rows, int32_t cols, int per_row, uint64_t seed)
{
	pgl_csr A;
	int64_t nz = 0;

	A.n_rows = rows;
	A.n_cols = cols;
	A.indptr = calloc((size_t) rows + 1, sizeof(int64_t));
	A.indices = calloc((size_t) rows * per_row + 1, sizeof(int32_t));
	A.values = calloc((size_t) rows * per_row + 1, sizeof(double));
	for (int64_t i = 0; i < rows; i++)
	{
		int32_t col = 0;

		for (int k = 0; k < per_row; k++)
		{
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			col += 1 + (int32_t) ((seed >> 33) % (uint64_t) (2 * cols / per_row));
			if (col >= cols)
				break;
			A.indices[nz] = col;
			A.values[nz++] = 0.1 + (double) ((seed >> 20) % 1000) / 1000.0;
		}
		A.indptr[i + 1] = nz;
	}
	return A;
}

static void
free_csr(pgl_csr *A)
{
	free(A->indptr);
	free(A->indices);
	free(A->values);
}

static void
test_sparse_solvers(void)
{
	int64_t	   n = 300;
	int32_t	   p = 2200;
	pgl_csr	   A = random_csr(n, p, 40, 7);
	double	  *X = calloc((size_t) n * p, sizeof(double));
	double	  *y = malloc(sizeof(double) * n);
	double	  *c_dense = calloc((size_t) p + 1, sizeof(double));
	double	  *c_cg = calloc((size_t) p + 1, sizeof(double));
	int32_t	  *label = malloc(sizeof(int32_t) * n);
	pgl_status st;
	int32_t	   rank, iters;
	double	   err = 0, loss;

	memset(&st, 0, sizeof(st));
	for (int64_t i = 0; i < n; i++)
	{
		double s = 0;

		for (int64_t e = A.indptr[i]; e < A.indptr[i + 1]; e++)
		{
			X[(size_t) A.indices[e] * n + i] = A.values[e];
			s += A.values[e] * ((A.indices[e] % 7) - 3);
		}
		y[i] = s + 0.5;
		label[i] = s > 0;
	}
	OK(pgl_linreg_fit(env, X, n, n, p, y, 1.0, c_dense, &rank, &st) == PGL_OK, "dense ridge: %s",
	   st.msg);
	OK(pgl_linreg_fit_csr(env, &A, y, 1.0, 1000, 1e-10, c_cg, &rank, &iters, &st) == PGL_OK,
	   "conjugate gradient ridge: %s", st.msg);
	for (int32_t j = 0; j <= p; j++)
		err = fmax(err, fabs(c_dense[j] - c_cg[j]));
	OK(err < 1e-6 && iters > 1, "CG (%d steps, %d columns) equals the dense solve: max diff %g",
	   iters, p, err);

	/* sparse logistic regression equals the dense one (same standardization, same optimum) */
	{
		pgl_logreg_params lp = {1e-2, 500, 1e-9, NULL};
		double			 *w_dense = calloc((size_t) p + 1, sizeof(double));
		double			 *w_csr = calloc((size_t) p + 1, sizeof(double));

		err = 0;
		OK(pgl_logreg_fit(env, X, n, n, p, label, 2, &lp, w_dense, &iters, &loss, &st) == PGL_OK,
		   "dense logistic: %s", st.msg);
		OK(pgl_logreg_fit_csr(env, &A, NULL, label, 2, &lp, w_csr, &iters, &loss, &st) == PGL_OK,
		   "sparse logistic: %s", st.msg);
		for (int32_t j = 0; j <= p; j++)
			err = fmax(err, fabs(w_dense[j] - w_csr[j]) / fmax(1, fabs(w_dense[j])));
		OK(err < 1e-3, "sparse logistic equals the dense one: max relative diff %g", err);
		free(w_dense);
		free(w_csr);
	}
	free_csr(&A);
	free(X);
	free(y);
	free(c_dense);
	free(c_cg);
	free(label);
}

int
main(void)
{
	test_tokenizer();
	test_vocabulary();
	test_encode();
	test_errors();
	test_format();
	test_sparse_solvers();
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}
