/*-------------------------------------------------------------------------
 *
 * tokenize.c
 *	  Lower-cased word tokens of UTF-8 text (the rule is in tokenize.h).
 *
 *-------------------------------------------------------------------------
 */
#include "tokenize.h"

#include <string.h>

/* separator ranges among the non-ASCII code points, sorted */
static const uint32_t separators[][2] = {
	{0x0080, 0x00A9},  /* C1 controls, NBSP, ¡ ... © */
	{0x00AB, 0x00B4},  /* « ... ´ (ª U+00AA is a letter) */
	{0x00B6, 0x00B9},  /* ¶ · ¸ ¹ (µ U+00B5 is a letter) */
	{0x00BB, 0x00BF},  /* » ¼ ½ ¾ ¿ (º U+00BA is a letter) */
	{0x00D7, 0x00D7},  /* × */
	{0x00F7, 0x00F7},  /* ÷ */
	{0x2000, 0x2BFF},  /* general punctuation ... miscellaneous symbols and arrows */
	{0x3000, 0x303F},  /* CJK symbols and punctuation */
	{0xFE10, 0xFE6F},  /* vertical, CJK compatibility and small forms */
	{0xFEFF, 0xFEFF},  /* byte order mark */
	{0xFF01, 0xFF0F},  /* full-width ! ... / */
	{0xFF1A, 0xFF20},  /* full-width : ... @ */
	{0xFF3B, 0xFF40},  /* full-width [ ... ` (but _ U+FF3F: kept a separator) */
	{0xFF5B, 0xFF65},  /* full-width { ... half-width katakana middle dot */
	{0x1F000, 0x1FAFF} /* mahjong ... symbols and pictographs extended-A (emoji) */
};

bool
pgl_text_is_word_char(uint32_t cp)
{
	int lo = 0;
	int hi = (int) (sizeof(separators) / sizeof(separators[0])) - 1;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
			   cp == '_';
	while (lo <= hi)
	{
		int mid = (lo + hi) / 2;

		if (cp < separators[mid][0])
			hi = mid - 1;
		else if (cp > separators[mid][1])
			lo = mid + 1;
		else
			return false;
	}
	return true;
}

uint32_t
pgl_text_lower(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
	if (cp >= 0x00C0 && cp <= 0x00DE && cp != 0x00D7)
		return cp + 0x20;
	if (cp >= 0x0100 && cp <= 0x017F)
	{
		if (cp == 0x0130)
			return 'i';
		if (cp == 0x0178)
			return 0x00FF;
		if ((cp >= 0x0100 && cp <= 0x0137) || (cp >= 0x014A && cp <= 0x0177))
			return (cp % 2 == 0) ? cp + 1 : cp;
		if ((cp >= 0x0139 && cp <= 0x0148) || (cp >= 0x0179 && cp <= 0x017E))
			return (cp % 2 == 1) ? cp + 1 : cp;
		return cp;
	}
	if (cp >= 0x0391 && cp <= 0x03A9 && cp != 0x03A2)
		return cp + 0x20;
	if (cp >= 0x0400 && cp <= 0x040F)
		return cp + 0x50;
	if (cp >= 0x0410 && cp <= 0x042F)
		return cp + 0x20;
	return cp;
}

int
pgl_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	int			  n;
	uint32_t	  v;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, v = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, v = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if ((size_t) n > len)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	/* shortest form, no surrogates, at most U+10FFFF */
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		(v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* encode cp (< 0x800 or, for the table's outputs, any) into out; returns bytes */
static int
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

int32_t
pgl_tokenize(const char *doc, size_t len, char *out, pgl_token *tokens)
{
	const unsigned char *s = (const unsigned char *) doc;
	size_t				 i = 0;
	int32_t				 o = 0;		/* bytes written to out */
	int32_t				 start = 0; /* of the current run in out */
	int32_t				 chars = 0; /* code points of the current run */
	int32_t				 n = 0;

	while (i <= len)
	{
		uint32_t cp = 0;
		int		 step = 1;
		bool	 word = false;

		if (i < len)
		{
			if (s[i] < 0x80)
				cp = s[i];
			else
				step = pgl_utf8_decode(s + i, len - i, &cp);
			if (step == 0)
				step = 1; /* an invalid byte: a separator */
			else
				word = pgl_text_is_word_char(cp);
		}
		if (word)
		{
			uint32_t lc = pgl_text_lower(cp);

			/* lower-casing by the table never lengthens: lc fits where cp was */
			o += utf8_encode(lc, out + o);
			chars++;
		}
		else
		{
			if (chars >= PGL_TOKEN_MIN_CHARS)
			{
				tokens[n].start = start;
				tokens[n].len = o - start;
				n++;
			}
			else
				o = start; /* drop a one-character run */
			start = o;
			chars = 0;
		}
		i += step;
	}
	return n;
}
