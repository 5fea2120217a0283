/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small, strict JSON parser (RFC 8259); see json.h.
 *
 * Recursive descent, one level of C recursion per nesting level (at most
 * PGL_JSON_MAX_DEPTH).  The values of the containers being parsed wait on
 * one growable stack; when a container closes, its items move to one
 * contiguous run in the block allocator, so a parsed document is a few
 * large allocations whatever its number of values.
 *
 *-------------------------------------------------------------------------
 */
#include "json.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE		  ((size_t) 65536)
#define MAX_NUMBER_LEN	  255
#define INTERRUPT_EVERY	  (1 << 18) /* values between interrupt checks */
#define SMALL_OBJECT_KEYS 8			/* duplicate keys checked pairwise up to this */

typedef struct block
{
	struct block *next;
	/* data follows, aligned to 16 */
} block;

#define BLOCK_HEADER ((sizeof(block) + 15) & ~(size_t) 15)

typedef struct parser
{
	const pgl_env *env;
	const char	  *s;
	size_t		   len;
	size_t		   pos;
	pgl_status	  *st;
	pgl_json	  *stack; /* pending items of the open containers */
	size_t		   sp, cap;
	pgl_json_doc  *doc;
	char		  *cur; /* free space of the current block */
	size_t		   left;
	size_t		   n_values;
} parser;

static pgl_rc fail_at(parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static pgl_rc
fail_at(parser *p, size_t pos, const char *fmt, ...)
{
	char	what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pgl_fail(p->st, PGL_ERR_INVALID, "invalid JSON at byte %zu: %s", pos, what);
}

static pgl_rc
fail_nomem(parser *p)
{
	return pgl_fail(p->st, PGL_ERR_NOMEM, "out of memory while parsing JSON of %zu bytes", p->len);
}

/* size bytes (aligned to 8) from the document's blocks, or NULL */
static void *
doc_alloc(parser *p, size_t size)
{
	void *r;

	size = (size + 7) & ~(size_t) 7;
	if (size > p->left)
	{
		size_t bsize = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
		block *b;

		if (bsize > SIZE_MAX - BLOCK_HEADER)
			return NULL;
		b = pgl_alloc(p->env, BLOCK_HEADER + bsize);
		if (b == NULL)
			return NULL;
		b->next = p->doc->blocks;
		p->doc->blocks = b;
		if (bsize != BLOCK_SIZE)
			return (char *) b + BLOCK_HEADER; /* a dedicated block */
		p->cur = (char *) b + BLOCK_HEADER;
		p->left = bsize;
	}
	r = p->cur;
	p->cur += size;
	p->left -= size;
	return r;
}

static pgl_rc
push(parser *p, const pgl_json *v)
{
	if (p->sp == p->cap)
	{
		size_t	  ncap = p->cap ? p->cap * 2 : 256;
		pgl_json *ns;

		if (ncap > SIZE_MAX / sizeof(pgl_json))
			return fail_nomem(p);
		ns = pgl_alloc(p->env, ncap * sizeof(pgl_json));
		if (ns == NULL)
			return fail_nomem(p);
		if (p->sp)
			memcpy(ns, p->stack, p->sp * sizeof(pgl_json));
		pgl_free(p->env, p->stack);
		p->stack = ns;
		p->cap = ncap;
	}
	p->stack[p->sp++] = *v;
	if (++p->n_values % INTERRUPT_EVERY == 0)
		pgl_interrupts(p->env);
	return PGL_OK;
}

static void
skip_ws(parser *p)
{
	while (p->pos < p->len)
	{
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* four hex digits at pos, or -1 */
static int32_t
hex4(parser *p, size_t pos)
{
	int32_t v = 0;

	if (p->len - pos < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		int h = hexval(p->s[pos + i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static char *
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80)
		*o++ = (char) cp;
	else if (cp < 0x800)
	{
		*o++ = (char) (0xC0 | (cp >> 6));
		*o++ = (char) (0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		*o++ = (char) (0xE0 | (cp >> 12));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char) (0x80 | (cp & 0x3F));
	}
	else
	{
		*o++ = (char) (0xF0 | (cp >> 18));
		*o++ = (char) (0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char) (0x80 | (cp & 0x3F));
	}
	return o;
}

/*
 * The length of the valid UTF-8 sequence starting with byte c0 at pos
 * (c0 >= 0x80), or 0 (overlong forms, surrogates, above U+10FFFF,
 * truncated or bad continuation bytes).
 */
static size_t
utf8_seq(parser *p, size_t pos)
{
	const unsigned char *u = (const unsigned char *) p->s + pos;
	size_t				 avail = p->len - pos, n;
	unsigned char		 lo = 0x80, hi = 0xBF;

	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		n = 2;
	else if (u[0] >= 0xE0 && u[0] <= 0xEF)
	{
		n = 3;
		if (u[0] == 0xE0)
			lo = 0xA0;
		else if (u[0] == 0xED)
			hi = 0x9F;
	}
	else if (u[0] >= 0xF0 && u[0] <= 0xF4)
	{
		n = 4;
		if (u[0] == 0xF0)
			lo = 0x90;
		else if (u[0] == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (avail < n || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (u[i] < 0x80 || u[i] > 0xBF)
			return 0;
	return n;
}

/* one escape at p->pos (just after the backslash); writes to *o */
static pgl_rc
parse_escape(parser *p, char **o)
{
	size_t	at = p->pos - 1;
	int32_t cp, lo;

	if (p->pos >= p->len)
		return fail_at(p, at, "unterminated string");
	switch (p->s[p->pos++])
	{
		case '"':
			*(*o)++ = '"';
			return PGL_OK;
		case '\\':
			*(*o)++ = '\\';
			return PGL_OK;
		case '/':
			*(*o)++ = '/';
			return PGL_OK;
		case 'b':
			*(*o)++ = '\b';
			return PGL_OK;
		case 'f':
			*(*o)++ = '\f';
			return PGL_OK;
		case 'n':
			*(*o)++ = '\n';
			return PGL_OK;
		case 'r':
			*(*o)++ = '\r';
			return PGL_OK;
		case 't':
			*(*o)++ = '\t';
			return PGL_OK;
		case 'u':
			break;
		default:
			return fail_at(p, at, "invalid escape in a string");
	}
	if ((cp = hex4(p, p->pos)) < 0)
		return fail_at(p, at, "\\u must be followed by four hex digits");
	p->pos += 4;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail_at(p, at, "lone low surrogate \\u%04X", (unsigned) cp);
	if (cp >= 0xD800 && cp <= 0xDBFF)
	{
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
			(lo = hex4(p, p->pos + 2)) < 0xDC00 || lo > 0xDFFF)
			return fail_at(p, at, "high surrogate \\u%04X not followed by a low surrogate",
						   (unsigned) cp);
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	*o = put_utf8(*o, (uint32_t) cp);
	return PGL_OK;
}

/* a string at p->pos (the opening quote) */
static pgl_rc
parse_string(parser *p, pgl_json *v)
{
	size_t start = p->pos, end = p->pos + 1;
	char  *out, *o;
	pgl_rc rc;

	/* find the closing quote to size the output (never longer than the input) */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return fail_at(p, start, "unterminated string");
	if (end - start > INT32_MAX)
		return fail_at(p, start, "string longer than %d bytes", INT32_MAX);
	if ((out = doc_alloc(p, end - start)) == NULL)
		return fail_nomem(p);
	o = out;
	p->pos++;
	while (p->pos < end)
	{
		unsigned char c = (unsigned char) p->s[p->pos];

		if (c == '\\')
		{
			p->pos++;
			if ((rc = parse_escape(p, &o)) != PGL_OK)
				return rc;
		}
		else if (c < 0x20)
			return fail_at(p, p->pos, "control character 0x%02X in a string", c);
		else if (c < 0x80)
		{
			*o++ = (char) c;
			p->pos++;
		}
		else
		{
			size_t n = utf8_seq(p, p->pos);

			if (n == 0)
				return fail_at(p, p->pos, "invalid UTF-8 in a string");
			memcpy(o, p->s + p->pos, n);
			o += n;
			p->pos += n;
		}
	}
	p->pos = end + 1;
	*o = '\0';
	v->type = PGL_JSON_STRING;
	v->n = (int32_t) (o - out);
	v->u.str = out;
	return PGL_OK;
}

static size_t
skip_digits(parser *p, size_t i)
{
	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
		i++;
	return i;
}

/* a number: the RFC 8259 grammar, then strtod on a bounded copy */
static pgl_rc
parse_number(parser *p, pgl_json *v)
{
	size_t		start = p->pos, i = p->pos, j, dp = 0;
	char		buf[MAX_NUMBER_LEN + 8], *end;
	const char *point = localeconv()->decimal_point;
	size_t		plen = point && *point ? strlen(point) : 1;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i < p->len && p->s[i] == '0')
		i++;
	else if (i < p->len && p->s[i] >= '1' && p->s[i] <= '9')
		i = skip_digits(p, i);
	else
		return fail_at(p, start, "invalid number");
	if (i < p->len && p->s[i] == '.')
	{
		dp = i++;
		if ((j = skip_digits(p, i)) == i)
			return fail_at(p, start, "invalid number: no digit after the decimal point");
		i = j;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E'))
	{
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if ((j = skip_digits(p, i)) == i)
			return fail_at(p, start, "invalid number: no digit in the exponent");
		i = j;
	}
	if (i - start > MAX_NUMBER_LEN)
		return fail_at(p, start, "number longer than %d characters", MAX_NUMBER_LEN);
	/* strtod reads the locale's decimal point: put it in place of '.' */
	if (dp)
	{
		if (plen > 7)
			return fail_at(p, start, "unsupported locale decimal point");
		memcpy(buf, p->s + start, dp - start);
		memcpy(buf + (dp - start), point && *point ? point : ".", plen);
		memcpy(buf + (dp - start) + plen, p->s + dp + 1, i - dp - 1);
		buf[i - start - 1 + plen] = '\0';
	}
	else
	{
		memcpy(buf, p->s + start, i - start);
		buf[i - start] = '\0';
	}
	v->u.num = strtod(buf, &end);
	if (*end != '\0')
		return fail_at(p, start, "invalid number");
	if (!isfinite(v->u.num))
		return fail_at(p, start, "number %s out of range", buf);
	v->type = PGL_JSON_NUMBER;
	v->n = 0;
	p->pos = i;
	return PGL_OK;
}

static pgl_rc
parse_literal(parser *p, const char *word, int32_t type, pgl_json *v)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail_at(p, p->pos, "invalid literal (expected %s)", word);
	p->pos += n;
	v->type = type;
	v->n = 0;
	v->u.items = NULL;
	return PGL_OK;
}

static int
key_order(const pgl_json *x, const pgl_json *y)
{
	int c = memcmp(x->u.str, y->u.str, (size_t) (x->n < y->n ? x->n : y->n));

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

static int
cmp_keys(const void *a, const void *b)
{
	return key_order(*(const pgl_json *const *) a, *(const pgl_json *const *) b);
}

/* a key that appears twice among the n members at items, or NULL */
static const pgl_json *
duplicate_key(parser *p, const pgl_json *items, size_t n, bool *nomem)
{
	const pgl_json **keys, *dup = NULL;

	*nomem = false;
	if (n <= SMALL_OBJECT_KEYS)
	{
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (key_order(&items[2 * i], &items[2 * j]) == 0)
					return &items[2 * i];
		return NULL;
	}
	if ((keys = pgl_alloc(p->env, n * sizeof(*keys))) == NULL)
	{
		*nomem = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = &items[2 * i];
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (size_t i = 1; i < n && dup == NULL; i++)
		if (key_order(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	pgl_free(p->env, keys);
	return dup;
}

/* move the items above base on the stack into the document as container v */
static pgl_rc
close_container(parser *p, size_t base, size_t open, int32_t type, pgl_json *v)
{
	size_t count = p->sp - base;
	size_t n = type == PGL_JSON_OBJECT ? count / 2 : count;

	if (n > INT32_MAX)
		return fail_at(p, open, "more than %d members", INT32_MAX);
	if (type == PGL_JSON_OBJECT && n > 1)
	{
		bool			nomem;
		const pgl_json *dup = duplicate_key(p, p->stack + base, n, &nomem);

		if (nomem)
			return fail_nomem(p);
		if (dup)
			return fail_at(p, open, "duplicate key \"%.60s\" in an object", dup->u.str);
	}
	v->type = type;
	v->n = (int32_t) n;
	v->u.items = NULL;
	if (count)
	{
		if ((v->u.items = doc_alloc(p, count * sizeof(pgl_json))) == NULL)
			return fail_nomem(p);
		memcpy(v->u.items, p->stack + base, count * sizeof(pgl_json));
	}
	p->sp = base;
	return PGL_OK;
}

static pgl_rc parse_value(parser *p, int depth, pgl_json *v);

/* an array or object at p->pos (its opening bracket) */
static pgl_rc
parse_container(parser *p, int depth, pgl_json *v)
{
	size_t	 open = p->pos, base = p->sp;
	bool	 obj = p->s[p->pos] == '{';
	char	 close = obj ? '}' : ']';
	pgl_rc	 rc;
	pgl_json item;

	if (depth >= PGL_JSON_MAX_DEPTH)
		return fail_at(p, open, "nesting deeper than %d", PGL_JSON_MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close)
	{
		p->pos++;
		return close_container(p, base, open, obj ? PGL_JSON_OBJECT : PGL_JSON_ARRAY, v);
	}
	for (;;)
	{
		skip_ws(p);
		if (obj)
		{
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail_at(p, p->pos, "expected a string key");
			if ((rc = parse_string(p, &item)) != PGL_OK || (rc = push(p, &item)) != PGL_OK)
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail_at(p, p->pos, "expected ':' after a key");
			p->pos++;
		}
		if ((rc = parse_value(p, depth + 1, &item)) != PGL_OK || (rc = push(p, &item)) != PGL_OK)
			return rc;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close)
		{
			p->pos++;
			return close_container(p, base, open, obj ? PGL_JSON_OBJECT : PGL_JSON_ARRAY, v);
		}
		return fail_at(p, p->pos, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static pgl_rc
parse_value(parser *p, int depth, pgl_json *v)
{
	unsigned char c;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail_at(p, p->pos, "unexpected end of input");
	c = (unsigned char) p->s[p->pos];
	switch (c)
	{
		case '{':
		case '[':
			return parse_container(p, depth, v);
		case '"':
			return parse_string(p, v);
		case 't':
			return parse_literal(p, "true", PGL_JSON_TRUE, v);
		case 'f':
			return parse_literal(p, "false", PGL_JSON_FALSE, v);
		case 'n':
			return parse_literal(p, "null", PGL_JSON_NULL, v);
		default:
			if (c == '-' || (c >= '0' && c <= '9'))
				return parse_number(p, v);
			if (c >= 0x20 && c < 0x7F)
				return fail_at(p, p->pos, "unexpected character '%c'", c);
			return fail_at(p, p->pos, "unexpected byte 0x%02X", c);
	}
}

pgl_rc
pgl_json_parse(const pgl_env *env, const char *text, size_t len, pgl_json_doc **out, pgl_status *st)
{
	parser p;
	pgl_rc rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.env = env;
	p.s = text;
	p.len = len;
	p.st = st;
	if ((p.doc = pgl_alloc0(env, sizeof(pgl_json_doc))) == NULL)
		return fail_nomem(&p);
	p.doc->env = env;
	rc = parse_value(&p, 0, &p.doc->root);
	if (rc == PGL_OK)
	{
		skip_ws(&p);
		if (p.pos < len)
			rc = fail_at(&p, p.pos, "unexpected data after the value");
	}
	pgl_free(env, p.stack);
	if (rc != PGL_OK)
	{
		pgl_json_free(p.doc);
		return rc;
	}
	*out = p.doc;
	return PGL_OK;
}

void
pgl_json_free(pgl_json_doc *doc)
{
	block *b, *next;

	if (doc == NULL)
		return;
	for (b = doc->blocks; b != NULL; b = next)
	{
		next = b->next;
		pgl_free(doc->env, b);
	}
	pgl_free(doc->env, doc);
}

const pgl_json *
pgl_json_get(const pgl_json *v, const char *key)
{
	size_t n = strlen(key);

	if (v == NULL || v->type != PGL_JSON_OBJECT)
		return NULL;
	for (int32_t i = 0; i < v->n; i++)
	{
		const pgl_json *k = &v->u.items[2 * i];

		if ((size_t) k->n == n && memcmp(k->u.str, key, n) == 0)
			return &v->u.items[2 * i + 1];
	}
	return NULL;
}

const char *
pgl_json_type_name(int32_t type)
{
	static const char *const names[] = {"null",	  "false", "true",	"number",
										"string", "array", "object"};

	return type >= 0 && type <= PGL_JSON_OBJECT ? names[type] : "unknown";
}
