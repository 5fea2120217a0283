/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small, strict JSON parser (RFC 8259) into a read-only tree.
 *
 * Used to read XGBoost's JSON models (xgb_json.c), which may come from a
 * user: the parser is built for hostile input.  It takes a buffer and its
 * length (no NUL terminator needed), refuses anything RFC 8259 does not
 * allow (trailing commas, comments, NaN/Infinity, leading zeros, control
 * characters or invalid UTF-8 in strings, lone surrogates, duplicate
 * object keys, trailing garbage), numbers that do not fit a finite double,
 * and nesting deeper than PGL_JSON_MAX_DEPTH (the recursion is bounded by
 * it).  Errors are PGL_ERR_INVALID "invalid JSON at byte N: what".
 *
 * Memory: every node and string lives in a few large blocks allocated
 * through env and freed together by pgl_json_free; at most about 16 bytes
 * per value plus the string bytes, plus a value stack while parsing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_JSON_H
#define PGL_JSON_H

#include "pgl_algo.h"

#define PGL_JSON_MAX_DEPTH 64

typedef enum pgl_json_type
{
	PGL_JSON_NULL = 0,
	PGL_JSON_FALSE = 1,
	PGL_JSON_TRUE = 2,
	PGL_JSON_NUMBER = 3,
	PGL_JSON_STRING = 4,
	PGL_JSON_ARRAY = 5,
	PGL_JSON_OBJECT = 6
} pgl_json_type;

/*
 * One value.  A string is n bytes of UTF-8 plus a NUL (it may contain
 * "\u0000", so use n); an array has n items; an object has n members
 * stored as 2n items, key (a string) then value, in document order.
 */
typedef struct pgl_json pgl_json;
struct pgl_json
{
	int32_t type; /* pgl_json_type */
	int32_t n;
	union
	{
		double	  num;
		char	 *str;
		pgl_json *items;
	} u;
};

typedef struct pgl_json_doc
{
	pgl_json	   root;
	const pgl_env *env;
	void		  *blocks; /* the allocation blocks, a linked list */
} pgl_json_doc;

/* parse len bytes of text; *out is freed with pgl_json_free */
extern pgl_rc pgl_json_parse(const pgl_env *env, const char *text, size_t len, pgl_json_doc **out,
							 pgl_status *st);
extern void	  pgl_json_free(pgl_json_doc *doc);

/* the value of member key of an object, or NULL (absent, or v not an object) */
extern const pgl_json *pgl_json_get(const pgl_json *v, const char *key);

/* the name of a type ("null", "number", ...) for messages */
extern const char *pgl_json_type_name(int32_t type);

#endif /* PGL_JSON_H */
