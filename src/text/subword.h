/*-------------------------------------------------------------------------
 *
 * subword.h
 *	  Token vocabularies of a text column read by neural_net (subword.c):
 *	  a word vocabulary or a byte-pair-encoding (BPE) subword vocabulary
 *	  learned on the training documents, and the encoding of one document
 *	  into token ids.  Pure C over pgl_env, no PostgreSQL.
 *
 * Ids: 0 is the padding, 1 an unknown token, 2 .. n_tokens + 1 the tokens
 * of the vocabulary in strcmp order (tokens[id - 2]).
 *
 * Words are the tokens of tokenize.h (lower-cased runs of at least two word
 * characters).  A word of more than PGL_TOK_MAX_WORD_CHARS code points is
 * one unknown token (id 1) with either tokenizer and is never learned.
 *
 * Word vocabulary (PGL_TOKENIZER_WORD): the at most vocab_size - 2 words
 * most frequent in the training documents (occurrences; ties by strcmp).
 * A word outside it is id 1.
 *
 * BPE (PGL_TOKENIZER_BPE, Sennrich et al. 2016, with GPT-2's merge ranks):
 * a word starts as its code points, the last one marked as the end of the
 * word by the suffix "</w>" ("low" is l, o, w</w>), so a word-final piece
 * differs from the same piece inside a word.  The base symbols are those
 * code points (with or without the suffix) seen in training, at most
 * vocab_size - 2 of them, the most frequent (ties by strcmp); an unseen
 * symbol is id 1 and is never merged.  Learning then repeats: count every
 * adjacent pair of symbols over the distinct words weighted by their
 * occurrences, take the most frequent pair (ties: the smaller left symbol
 * by strcmp, then the smaller right one), and merge it everywhere into one
 * symbol, the two strings joined; until the vocabulary holds
 * vocab_size - 2 symbols or no pair occurs twice.  A pair whose joined
 * string is already a symbol (made by other merges) is never merged, so
 * each symbol comes from one merge.  The merges are kept in order (their
 * rank).  Encoding a word applies the same merges: start from its base
 * symbols, then repeatedly take the adjacent pair of the lowest rank and
 * merge each of its occurrences left to right, until no pair has a merge;
 * the training words get exactly the segmentation they had in training.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TEXT_SUBWORD_H
#define PGL_TEXT_SUBWORD_H

#include "pgl_algo.h"

#define PGL_TOK_PAD	  0
#define PGL_TOK_UNK	  1
#define PGL_TOK_FIRST PGL_TOKENS_RESERVED /* id of tokens[0] */

/* PGL_TOKENIZER_WORD and PGL_TOKENIZER_BPE: pgl_algo.h */

/* the end-of-word suffix of a BPE symbol (no word contains '<') */
#define PGL_TOK_EOW		"</w>"
#define PGL_TOK_EOW_LEN 4

/* longest word, in code points, that is not one unknown token */
#define PGL_TOK_MAX_WORD_CHARS 50
/* largest vocabulary, reserved ids included */
#define PGL_TOK_MAX_VOCAB PGL_MAX_TOKENS_VOCAB
/* longest sequence of ids */
#define PGL_TOK_MAX_LEN PGL_MAX_TOKENS_LEN

/* a learned vocabulary (what a tokens feature stores) */
typedef struct pgl_tok_vocab
{
	int32_t	 tokenizer; /* PGL_TOKENIZER_* */
	int32_t	 n_tokens;	/* ids 2 .. n_tokens + 1 */
	char   **tokens;	/* sorted by strcmp, unique, NUL-terminated */
	int32_t	 n_merges;	/* BPE; 0 for words */
	int32_t *merges;	/* 3 per merge, by rank: left id, right id, result id */
} pgl_tok_vocab;

/* ---------- learning ---------- */

typedef struct pgl_tok_builder pgl_tok_builder;

/* vocab_size counts the ids 0 and 1: 3 .. PGL_TOK_MAX_VOCAB */
extern pgl_rc pgl_tok_builder_create(const pgl_env *env, int32_t tokenizer, int32_t vocab_size,
									 pgl_tok_builder **out, pgl_status *st);

/* one training document (len bytes of UTF-8; a NULL value: len 0) */
extern pgl_rc pgl_tok_builder_add(pgl_tok_builder *b, const char *doc, size_t len, pgl_status *st);

/*
 * The vocabulary: out->tokens (each string separately) and out->merges are
 * allocated through env.  PGL_ERR_INVALID when the documents hold no word.
 * The builder stays usable for nothing but pgl_tok_builder_free.
 */
extern pgl_rc pgl_tok_builder_finish(pgl_tok_builder *b, pgl_tok_vocab *out, pgl_status *st);

extern void pgl_tok_builder_free(pgl_tok_builder *b);

/* ---------- encoding ---------- */

typedef struct pgl_tok_encoder pgl_tok_encoder;

/*
 * v must outlive the encoder and follow the rules of a tokens feature
 * (model_format.c, check_tokens: merge ids in range, no pair twice), as a
 * learned vocabulary and a loaded model do.  Fails only for memory.
 */
extern pgl_rc pgl_tok_encoder_create(const pgl_env *env, const pgl_tok_vocab *v,
									 pgl_tok_encoder **out, pgl_status *st);
extern void	  pgl_tok_encoder_free(pgl_tok_encoder *e);

/*
 * Encode one document: its first max_ids token ids into ids (max_ids may
 * be 0, ids then NULL).  Returns the number of tokens of the whole
 * document (which may exceed max_ids), or -1 when out of memory.
 */
extern int64_t pgl_tok_encode(pgl_tok_encoder *e, const char *doc, size_t len, int32_t *ids,
							  int32_t max_ids);

#endif /* PGL_TEXT_SUBWORD_H */
