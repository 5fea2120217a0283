/*-------------------------------------------------------------------------
 *
 * svg.c
 *	  The SVG text buffer and XML escaping.
 *
 *-------------------------------------------------------------------------
 */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
pgl_svg_init(pgl_svg *s, const pgl_env *env)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
}

void
pgl_svg_free(pgl_svg *s)
{
	pgl_free(s->env, s->data);
	s->data = NULL;
	s->len = s->cap = 0;
}

/* room for extra more bytes and the NUL; false (and oom set) when it cannot grow */
static bool
reserve(pgl_svg *s, size_t extra)
{
	size_t cap;
	char  *d;

	if (s->oom)
		return false;
	if (s->len + extra + 1 <= s->cap)
		return true;
	if (s->len + extra + 1 > PGL_SVG_MAX_BYTES)
	{
		s->oom = true;
		return false;
	}
	cap = s->cap ? s->cap : 4096;
	while (cap < s->len + extra + 1)
		cap *= 2;
	if (cap > PGL_SVG_MAX_BYTES)
		cap = PGL_SVG_MAX_BYTES;
	d = pgl_alloc(s->env, cap);
	if (d == NULL)
	{
		s->oom = true;
		return false;
	}
	if (s->data)
		memcpy(d, s->data, s->len + 1);
	else
		d[0] = '\0';
	pgl_free(s->env, s->data);
	s->data = d;
	s->cap = cap;
	return true;
}

static void
append(pgl_svg *s, const char *p, size_t n)
{
	if (!reserve(s, n))
		return;
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

void
pgl_svg_raw(pgl_svg *s, const char *str)
{
	append(s, str, strlen(str));
}

void
pgl_svg_printf(pgl_svg *s, const char *fmt, ...)
{
	char	buf[512];
	va_list ap;
	int		n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(buf))
	{
		append(s, buf, n);
		return;
	}
	if (!reserve(s, n))
		return;
	va_start(ap, fmt);
	vsnprintf(s->data + s->len, n + 1, fmt, ap);
	va_end(ap);
	s->len += n;
}

void
pgl_svg_num(pgl_svg *s, double v)
{
	char buf[64];

	if (!isfinite(v))
		v = 0; /* callers clamp; never write "nan" into markup */
	snprintf(buf, sizeof(buf), "%.1f", v);
	if (strcmp(buf, "-0.0") == 0)
		strcpy(buf, "0.0");
	/* "12.0" -> "12": shorter, and the same for the same input */
	{
		size_t n = strlen(buf);

		if (n > 2 && buf[n - 2] == '.' && buf[n - 1] == '0')
			buf[n - 2] = '\0';
	}
	pgl_svg_raw(s, buf);
}

/*
 * Length of the UTF-8 sequence starting at p (1 to 4), or 0 when it is not
 * a valid one (overlong forms, surrogates and code points over U+10FFFF
 * included).
 */
static int
utf8_sequence(const unsigned char *p)
{
	unsigned c = p[0];
	int		 n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		(cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
		return 0;
	return n;
}

int
pgl_utf8_length(const char *str)
{
	const unsigned char *p = (const unsigned char *) str;
	int					 n = 0;

	while (*p)
	{
		int k = utf8_sequence(p);

		p += k ? k : 1;
		n++;
	}
	return n;
}

void
pgl_svg_text(pgl_svg *s, const char *str, int max_chars)
{
	const unsigned char *p = (const unsigned char *) (str ? str : "");
	int					 chars = 0;
	int					 total = max_chars > 0 ? pgl_utf8_length((const char *) p) : 0;

	while (*p)
	{
		int k = utf8_sequence(p);

		if (max_chars > 0 && total > max_chars && chars == max_chars - 1)
		{
			pgl_svg_raw(s, "\xE2\x80\xA6"); /* U+2026 horizontal ellipsis */
			return;
		}
		chars++;
		if (k == 0 || (*p < 0x20 && *p != '\t'))
		{
			pgl_svg_raw(s, "\xEF\xBF\xBD"); /* U+FFFD replacement character */
			p += k ? k : 1;
			continue;
		}
		switch (*p)
		{
			case '&':
				pgl_svg_raw(s, "&amp;");
				break;
			case '<':
				pgl_svg_raw(s, "&lt;");
				break;
			case '>':
				pgl_svg_raw(s, "&gt;");
				break;
			case '"':
				pgl_svg_raw(s, "&quot;");
				break;
			case '\'':
				pgl_svg_raw(s, "&#39;");
				break;
			default:
				append(s, (const char *) p, k);
		}
		p += k;
	}
}
