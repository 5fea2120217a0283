/*
 * bpe_bench: learn a BPE vocabulary of 8000 on synthetic documents and time
 * encoding them all (pgl_tok_encode).  Words are drawn from a Zipf(1.1) law
 * over 50,000 random lower-case words (fixed seed), 40 words a document.
 *
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Isrc/algo -Isrc/text bench/text/bpe_bench.c \
 *       src/algo/env.c src/algo/prep.c src/text/*.c -lm -o /tmp/bpe_bench && /tmp/bpe_bench 50000
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "subword.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	int			n_docs = argc > 1 ? atoi(argv[1]) : 300000;
	int			n_words = 50000, per_doc = 40;
	char	  (*words)[16] = malloc(sizeof(*words) * n_words);
	double	   *cdf = malloc(sizeof(double) * n_words), sum = 0;
	char	  **docs = malloc(sizeof(char *) * n_docs);
	size_t	   *lens = malloc(sizeof(size_t) * n_docs);
	pgl_status	st;
	pgl_tok_builder *b;
	pgl_tok_vocab v;
	pgl_tok_encoder *e;
	int32_t		ids[512];
	int64_t		total = 0;
	double		t0;

	memset(&st, 0, sizeof(st));
	for (int w = 0; w < n_words; w++)
	{
		int l = 3 + (int) (next() % 9);

		for (int c = 0; c < l; c++)
			words[w][c] = "etaoinshrdlucmfwypvbgkjqxz"[(next() % 26 + next() % 26) / 2];
		words[w][l] = '\0';
		sum += 1.0 / pow(w + 1, 1.1);
		cdf[w] = sum;
	}
	for (int d = 0; d < n_docs; d++)
	{
		char *p = docs[d] = malloc(per_doc * 16 + 1);

		for (int k = 0; k < per_doc; k++)
		{
			double u = (double) (next() >> 11) / 9007199254740992.0 * sum;
			int	   lo = 0, hi = n_words - 1;

			while (lo < hi)
			{
				int mid = (lo + hi) / 2;

				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			p += sprintf(p, "%s ", words[lo]);
		}
		lens[d] = (size_t) (p - docs[d]);
	}
	t0 = now();
	if (pgl_tok_builder_create(&pgl_malloc_env, PGL_TOKENIZER_BPE, 8000, &b, &st) != PGL_OK)
		return 1;
	for (int d = 0; d < n_docs; d++)
		if (pgl_tok_builder_add(b, docs[d], lens[d], &st) != PGL_OK)
			return 1;
	if (pgl_tok_builder_finish(b, &v, &st) != PGL_OK)
		return 1;
	pgl_tok_builder_free(b);
	printf("learn: %.3f s (%d tokens, %d merges)\n", now() - t0, v.n_tokens, v.n_merges);
	if (pgl_tok_encoder_create(&pgl_malloc_env, &v, &e, &st) != PGL_OK)
		return 1;
	for (int rep = 0; rep < 2; rep++)
	{
		t0 = now();
		total = 0;
		for (int d = 0; d < n_docs; d++)
			total += pgl_tok_encode(e, docs[d], lens[d], ids, 512);
		printf("encode %d documents: %.3f s (%lld ids)\n", n_docs, now() - t0, (long long) total);
	}
	pgl_tok_encoder_free(e);
	return 0;
}
