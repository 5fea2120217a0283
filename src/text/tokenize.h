/*-------------------------------------------------------------------------
 *
 * tokenize.h
 *	  The word tokenizer of text features (tokenize.c): UTF-8 in,
 *	  lower-cased word tokens out.  Pure C, no PostgreSQL, no locale.
 *
 * The rule (documented in docs/user-guide.md, "Text columns"):
 *
 *	- The input is UTF-8.  A byte that does not start a valid, shortest-form
 *	  sequence of a code point up to U+10FFFF (surrogates excluded) is a
 *	  separator, one byte at a time.
 *	- A word character is an ASCII letter, digit or underscore, or a
 *	  non-ASCII code point outside the separator ranges of
 *	  pgl_text_is_word_char (Latin-1 punctuation and symbols U+0080-U+00BF
 *	  except ª µ º, × and ÷, General Punctuation through Miscellaneous
 *	  Symbols and Arrows U+2000-U+2BFF, CJK Symbols and Punctuation
 *	  U+3000-U+303F, the punctuation of the half- and full-width forms,
 *	  U+FE10-U+FE6F, U+FEFF, and emoji and pictographs U+1F000-U+1FAFF).
 *	- A token is a maximal run of word characters of at least two code
 *	  points (scikit-learn's default token_pattern (?u)\b\w\w+\b), so an
 *	  apostrophe or a hyphen splits a word: "don't" gives "don" (the "t" is
 *	  too short), "e-mail" gives "mail".
 *	- Tokens are lower-cased by a fixed table (no locale): ASCII A-Z,
 *	  Latin-1 Supplement À-Þ, Latin Extended-A (U+0100-U+017F, İ becomes i,
 *	  Ÿ becomes ÿ), Greek Α-Ω and Cyrillic Ѐ-Я.  Other scripts are kept as
 *	  they are.  Lower-casing never makes a token longer in bytes.
 *
 * Another family (neural_net token ids) reuses this file: keep it free of
 * TF-IDF.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_TEXT_TOKENIZE_H
#define PGL_TEXT_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tokens of at least this many code points */
#define PGL_TOKEN_MIN_CHARS 2

/* one token: bytes [start, start + len) of the output buffer */
typedef struct pgl_token
{
	int32_t start;
	int32_t len;
} pgl_token;

/* is code point cp a word character? */
extern bool pgl_text_is_word_char(uint32_t cp);

/* the lower case of code point cp by the fixed table (cp itself if none) */
extern uint32_t pgl_text_lower(uint32_t cp);

/*
 * Decode one code point of s (len > 0 bytes available) into *cp; returns
 * the bytes it takes, or 0 for an invalid sequence (its first byte is then
 * a separator).
 */
extern int pgl_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * Tokenize doc (len bytes, need not be NUL-terminated).  out must hold len
 * bytes: the lower-cased tokens are written there (not NUL-terminated) and
 * described by tokens[0 .. return value), in document order.  tokens must
 * hold pgl_tokenize_max(len) entries.  len may be at most INT32_MAX.
 */
extern int32_t pgl_tokenize(const char *doc, size_t len, char *out, pgl_token *tokens);

/* an upper bound on the tokens of a document of len bytes */
static inline size_t
pgl_tokenize_max(size_t len)
{
	return len / (PGL_TOKEN_MIN_CHARS + 1) + 1;
}

#endif /* PGL_TEXT_TOKENIZE_H */
