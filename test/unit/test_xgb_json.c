/*
 * Tests of json.c and xgb_json.c: the JSON parser (valid documents,
 * escapes and surrogate pairs, each kind of invalid input, the depth
 * limit, no NUL terminator needed); the XGBoost JSON reader on hand-written
 * models (preorder renumbering of a tree XGBoost numbered otherwise,
 * unreachable nodes dropped, base_score conversions, each refusal with its
 * message); the fixtures made once by python xgboost (data/, see
 * make_xgb_fixtures.py: margins equal XGBoost's to float32 rounding);
 * libxgboost itself on random rows with missing values, before and after
 * our writer; and the writer -> reader round trip of every tensor.
 */
#include "json.h"
#include "testenv.h"
#include "trees.h"
#include "unit.h"
#include "xgb_json.h"

#include <string.h>
#include <xgboost/c_api.h>

#ifndef DATA_DIR
#define DATA_DIR "data"
#endif

static const pgl_env *env = &pgl_malloc_env;

/* ---------- parser ---------- */

static pgl_rc
parse(const char *s, pgl_json_doc **doc, pgl_status *st)
{
	return pgl_json_parse(env, s, strlen(s), doc, st);
}

/* s is refused with a message containing what */
static void
refused(const char *s, const char *what)
{
	pgl_json_doc *doc;
	pgl_status	  st;
	pgl_rc		  rc = parse(s, &doc, &st);

	OK(rc == PGL_ERR_INVALID && doc == NULL && strstr(st.msg, "invalid JSON at byte ") &&
		   strstr(st.msg, what),
	   "JSON refused: %.40s -> %s", s, rc == PGL_OK ? "(accepted)" : st.msg);
	if (rc == PGL_OK)
		pgl_json_free(doc);
}

static void
test_parser_valid(void)
{
	pgl_json_doc   *doc;
	pgl_status		st;
	const pgl_json *v, *a;
	const char	   *s = " {\"a\": [1, -2.5e3, 0, -0, 1E+2, 0.125], \"b\": {\"c\": null, \"d\": "
						"true, \"e\": false}, \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC"
						"\\uD83D\\uDE00\xc3\xa9\", \"z\": \"\\u0000\", \"\": []}\n";

	OK(parse(s, &doc, &st) == PGL_OK, "parse a document: %s", st.msg);
	v = &doc->root;
	OK(v->type == PGL_JSON_OBJECT && v->n == 5, "root is an object of 5 members");
	a = pgl_json_get(v, "a");
	OK(a && a->type == PGL_JSON_ARRAY && a->n == 6 && a->u.items[0].u.num == 1 &&
		   a->u.items[1].u.num == -2500 && a->u.items[3].u.num == 0 && a->u.items[4].u.num == 100 &&
		   a->u.items[5].u.num == 0.125,
	   "numbers");
	OK(pgl_json_get(pgl_json_get(v, "b"), "c")->type == PGL_JSON_NULL &&
		   pgl_json_get(pgl_json_get(v, "b"), "d")->type == PGL_JSON_TRUE &&
		   pgl_json_get(pgl_json_get(v, "b"), "e")->type == PGL_JSON_FALSE,
	   "literals");
	a = pgl_json_get(v, "s");
	OK(a && a->n == 20 &&
		   memcmp(a->u.str, "x\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9", 21) ==
			   0,
	   "escapes, \\u, a surrogate pair and raw UTF-8 decode to UTF-8 (%d bytes)", a ? a->n : -1);
	a = pgl_json_get(v, "z");
	OK(a && a->n == 1 && a->u.str[0] == '\0', "\\u0000 is one zero byte, counted in n");
	OK(pgl_json_get(v, "") && pgl_json_get(v, "")->type == PGL_JSON_ARRAY, "empty key");
	OK(pgl_json_get(v, "missing") == NULL && pgl_json_get(a, "x") == NULL, "absent keys");
	pgl_json_free(doc);

	/* the length is the caller's: no terminator read */
	OK(pgl_json_parse(env, "[1,2]garbage", 5, &doc, &st) == PGL_OK && doc->root.n == 2,
	   "only len bytes are read");
	pgl_json_free(doc);
	OK(parse("7", &doc, &st) == PGL_OK && doc->root.u.num == 7, "a scalar document");
	pgl_json_free(doc);
	{
		/* nesting up to the limit */
		char buf[2 * PGL_JSON_MAX_DEPTH + 1];

		memset(buf, '[', PGL_JSON_MAX_DEPTH);
		memset(buf + PGL_JSON_MAX_DEPTH, ']', PGL_JSON_MAX_DEPTH);
		buf[2 * PGL_JSON_MAX_DEPTH] = 0;
		OK(parse(buf, &doc, &st) == PGL_OK, "nesting of %d accepted", PGL_JSON_MAX_DEPTH);
		pgl_json_free(doc);
	}
	{
		/* an object large enough for the sorted duplicate check */
		char buf[512];
		int	 o = sprintf(buf, "{");

		for (int i = 0; i < 20; i++)
			o += sprintf(buf + o, "%s\"k%d\":%d", i ? "," : "", i, i);
		sprintf(buf + o, "}");
		OK(parse(buf, &doc, &st) == PGL_OK && pgl_json_get(&doc->root, "k13")->u.num == 13,
		   "an object of 20 keys");
		pgl_json_free(doc);
		buf[o - 5] = '0'; /* "k19" -> "k10" */
		refused(buf, "duplicate key \"k10\"");
	}
}

static void
test_parser_invalid(void)
{
	char deep[2 * PGL_JSON_MAX_DEPTH + 4];

	refused("", "unexpected end of input");
	refused("   ", "unexpected end of input");
	refused("[1,]", "unexpected character ']'");
	refused("{\"a\":1,}", "expected a string key");
	refused("{\"a\" 1}", "expected ':'");
	refused("{1:2}", "expected a string key");
	refused("[1 2]", "expected ',' or ']'");
	refused("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	refused("[1", "expected ',' or ']'");
	refused("01", "unexpected data after the value");
	refused("1 2", "unexpected data after the value");
	refused("-", "invalid number");
	refused("1.", "no digit after the decimal point");
	refused("1e", "no digit in the exponent");
	refused(".5", "unexpected character '.'");
	refused("+1", "unexpected character '+'");
	refused("NaN", "unexpected character 'N'");
	refused("Infinity", "unexpected character 'I'");
	refused("-Infinity", "invalid number");
	refused("1e999", "out of range");
	refused("-1e400", "out of range");
	refused("tru", "expected true");
	refused("nul", "expected null");
	refused("\"abc", "unterminated string");
	refused("\"abc\\", "unterminated string");
	refused("\"\\x\"", "invalid escape");
	refused("\"\\u12G4\"", "four hex digits");
	refused("\"\\uDC00\"", "lone low surrogate");
	refused("\"\\uD800\"", "not followed by a low surrogate");
	refused("\"\\uD800\\u0041\"", "not followed by a low surrogate");
	refused("\"a\tb\"", "control character 0x09");
	refused("\"\xc0\x80\"", "invalid UTF-8");
	refused("\"\xed\xa0\x80\"", "invalid UTF-8");
	refused("\"\xf5\x80\x80\x80\"", "invalid UTF-8");
	refused("\"\xe2\x82\"", "invalid UTF-8");
	refused("\"\x80\"", "invalid UTF-8");
	refused("\xef\xbb\xbf{}", "unexpected byte 0xEF");
	refused("{\"a\":1,\"a\":2}", "duplicate key \"a\"");
	refused("[1] // c", "unexpected data");
	refused("['a']", "unexpected character '''");
	memset(deep, '[', PGL_JSON_MAX_DEPTH + 1);
	memset(deep + PGL_JSON_MAX_DEPTH + 1, ']', PGL_JSON_MAX_DEPTH + 1);
	deep[2 * PGL_JSON_MAX_DEPTH + 2] = 0;
	refused(deep, "nesting deeper than 64");
	{
		char		  big[400];
		pgl_json_doc *doc;
		pgl_status	  st;

		memset(big, '1', 300);
		big[300] = 0;
		refused(big, "number longer than 255");
		/* allocation failures anywhere are PGL_ERR_NOMEM, never a crash or a leak */
		for (int k = 0; k < 12; k++)
		{
			counters c;
			pgl_env	 e = make_env(&c);
			pgl_rc	 rc;

			c.fail_at = k;
			rc = pgl_json_parse(&e, "{\"a\":[1,2,{\"b\":\"cc\"}],\"d\":\"e\"}", 30, &doc, &st);
			if (rc == PGL_OK)
				pgl_json_free(doc);
			OK(rc == PGL_OK || (rc == PGL_ERR_NOMEM && doc == NULL), "allocation %d failing: %s", k,
			   rc == PGL_OK ? "ok" : st.msg);
		}
	}
}

/* ---------- hand-written XGBoost models ---------- */

/* one tree's JSON from its arrays, as strings */
static void
tree_json(char *out, size_t size, int id, const char *left, const char *right, const char *feat,
		  const char *cond, const char *dl, const char *hess, const char *gain, const char *stype)
{
	if (snprintf(
			out, size,
			"{\"base_weights\":[],\"categories\":[],\"categories_nodes\":[],"
			"\"categories_segments\":[],\"categories_sizes\":[],\"default_left\":[%s],\"id\":%d,"
			"\"left_children\":[%s],\"loss_changes\":[%s],\"parents\":[],"
			"\"right_children\":[%s],\"split_conditions\":[%s],\"split_indices\":[%s],"
			"\"split_type\":[%s],\"sum_hessian\":[%s],\"tree_param\":{\"num_deleted\":\"0\","
			"\"num_feature\":\"4\",\"num_nodes\":\"1\",\"size_leaf_vector\":\"0\"}}",
			dl, id, left, gain, right, cond, feat, stype, hess) >= (int) size)
		abort();
}

/* a model document around trees (already JSON) */
static void
model_json(char *out, size_t size, const char *booster, const char *objective, int num_class,
		   const char *base_score, int num_feature, const char *tree_info, const char *trees)
{
	if (snprintf(out, size,
				 "{\"learner\":{\"attributes\":{},\"feature_names\":[],\"feature_types\":[],"
				 "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":"
				 "\"1\",\"num_trees\":\"1\",\"size_leaf_vector\":\"0\"},\"tree_info\":[%s],"
				 "\"trees\":[%s]},\"name\":\"%s\"},\"learner_model_param\":{\"base_score\":\"%s\","
				 "\"boost_from_average\":\"1\",\"num_class\":\"%d\",\"num_feature\":\"%d\","
				 "\"num_target\":\"1\"},\"objective\":{\"name\":\"%s\"}},\"version\":[1,7,4]}",
				 tree_info, trees, booster, base_score, num_class, num_feature,
				 objective) >= (int) size)
		abort();
}

static pgl_model *
new_model(int n_inputs)
{
	pgl_model *m = pgl_alloc0(env, sizeof(pgl_model));

	m->n_inputs = n_inputs;
	return m;
}

static pgl_rc
read_model(const char *json, pgl_model *m, pgl_xgb_info *info, pgl_status *st)
{
	return pgl_xgb_json_read(env, json, strlen(json), m, info, st);
}

/* the reference tree: XGBoost ids in expansion order, node 1 expanded last */
#define T_LEFT	"2,-1,3,-1,-1,-1"
#define T_RIGHT "1,-1,4,-1,-1,-1"
#define T_FEAT	"0,0,1,0,0,0"
#define T_COND	"0.5,1.0,-0.25,-1.0,2.0,9.0"
#define T_DL	"1,0,0,0,0,0"
#define T_HESS	"10,4,6,2,4,0"
#define T_GAIN	"7.5,0,3.25,0,0,0"
#define T_STYPE "0,0,0,0,0,0"

static char doc_buf[1 << 16], tree_buf[1 << 15];

static void *
td(const pgl_model *m, const char *name)
{
	const pgl_tensor *t = pgl_model_tensor(m, name);

	return t ? t->data : NULL;
}

static void
test_reader_preorder(void)
{
	pgl_model	*m = new_model(4);
	pgl_xgb_info info;
	pgl_status	 st;
	pgl_trees	 t;

	tree_json(tree_buf, sizeof(tree_buf), 0, T_LEFT, T_RIGHT, T_FEAT, T_COND, T_DL, T_HESS, T_GAIN,
			  T_STYPE);
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0", tree_buf);
	OK(read_model(doc_buf, m, &info, &st) == PGL_OK, "read a hand-written model: %s", st.msg);
	m->task = PGL_TASK_REGRESSION;
	OK(pgl_trees_validate(m, &t, &st) == PGL_OK, "it validates: %s", st.msg);
	{
		/* preorder: 0, 2, 3, 4, 1; node 5 (unreachable) dropped */
		const int32_t feat[] = {0, 1, -1, -1, -1}, lc[] = {1, 2, -1, -1, -1},
					  rc[] = {4, 3, -1, -1, -1}, dl[] = {1, 0, 0, 0, 0};
		const float	 thr[] = {0.5f, -0.25f, 0, 0, 0};
		const double leaf[] = {0, 0, -1.0, 2.0, 1.0}, cover[] = {10, 6, 2, 4, 4},
					 gain[] = {7.5, 3.25, 0, 0, 0};

		OK(t.n_trees == 1 && t.n_nodes == 5 && t.n_groups == 1 &&
			   t.link == PGL_TREES_LINK_IDENTITY && t.base_score[0] == 0.5,
		   "1 tree of 5 nodes (the unreachable one dropped), base score 0.5");
		OK(memcmp(t.split_feature, feat, sizeof(feat)) == 0 &&
			   memcmp(t.left_child, lc, sizeof(lc)) == 0 &&
			   memcmp(t.right_child, rc, sizeof(rc)) == 0 &&
			   memcmp(t.default_left, dl, sizeof(dl)) == 0 &&
			   memcmp(t.split_threshold, thr, sizeof(thr)) == 0 &&
			   memcmp(t.leaf_value, leaf, sizeof(leaf)) == 0 &&
			   memcmp(t.cover, cover, sizeof(cover)) == 0 &&
			   memcmp(td(m, "split_gain"), gain, sizeof(gain)) == 0,
		   "renumbered to depth-first preorder");
	}
	OK(strcmp(((char **) td(m, "objective"))[0], "reg:squarederror") == 0 &&
		   strcmp(info.objective, "reg:squarederror") == 0 && info.num_feature == 4 &&
		   info.num_class == 0 && info.n_feature_names == 0 && info.feature_names == NULL,
	   "objective tensor and info");
	{
		double X[4] = {0.7, NAN, 0, 0}, out;

		pgl_trees_predict_margin(&t, X, 1, 1, &out);
		OK(out == 0.5 + 1.0, "x0 = 0.7 goes right to the leaf 1.0");
		X[0] = 0.2;
		pgl_trees_predict_margin(&t, X, 1, 1, &out);
		OK(out == 0.5 + 2.0, "x0 = 0.2, x1 missing goes left then right (default_left 0)");
	}
	pgl_model_free(env, m);
	pgl_xgb_info_free(env, &info);
}

/* read a one-tree model; expect rc and a message containing what */
static void
expect_read(const char *json, int n_inputs, pgl_rc want, const char *what)
{
	pgl_model	*m = new_model(n_inputs);
	pgl_xgb_info info;
	pgl_status	 st;
	pgl_rc		 rc = read_model(json, m, &info, &st);

	OK(rc == want && (rc == PGL_OK || (strstr(st.msg, what) && m->n_tensors == 0 &&
									   m->tensors == NULL && info.feature_names == NULL)),
	   "refused: %s -> %s", what, rc == PGL_OK ? "(accepted)" : st.msg);
	pgl_model_free(env, m);
	pgl_xgb_info_free(env, &info);
}

/* the reference tree with one array replaced */
static const char *
tree_with(const char *key, const char *value)
{
	static char buf[4096];

	tree_json(buf, sizeof(buf), 0, strcmp(key, "left") ? T_LEFT : value,
			  strcmp(key, "right") ? T_RIGHT : value, strcmp(key, "feat") ? T_FEAT : value,
			  strcmp(key, "cond") ? T_COND : value, strcmp(key, "dl") ? T_DL : value,
			  strcmp(key, "hess") ? T_HESS : value, strcmp(key, "gain") ? T_GAIN : value,
			  strcmp(key, "stype") ? T_STYPE : value);
	return buf;
}

static void
refused_tree(const char *key, const char *value, const char *what)
{
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0",
			   tree_with(key, value));
	expect_read(doc_buf, 4, PGL_ERR_INVALID, what);
}

static void
test_base_scores(void)
{
	static const struct
	{
		const char *objective;
		int			num_class;
		const char *base;
		double		margin;
		int			link;
	} cases[] = {
		{"reg:squarederror", 0, "1.5E0", 1.5, PGL_TREES_LINK_IDENTITY},
		{"reg:absoluteerror", 0, "-2", -2, PGL_TREES_LINK_IDENTITY},
		{"reg:pseudohubererror", 0, "0", 0, PGL_TREES_LINK_IDENTITY},
		{"binary:logitraw", 0, "7E-1", 0.7, PGL_TREES_LINK_IDENTITY},
		{"binary:logistic", 0, "3E-1", -0.84729786038720367, PGL_TREES_LINK_SIGMOID},
		{"reg:logistic", 0, "5E-1", 0, PGL_TREES_LINK_SIGMOID},
		{"multi:softprob", 3, "5E-1", 0.5, PGL_TREES_LINK_SOFTMAX},
		{"multi:softmax", 2, "5E-1", 0.5, PGL_TREES_LINK_SOFTMAX},
		{"count:poisson", 0, "5E-1", -0.69314718055994531, PGL_TREES_LINK_EXP},
		{"reg:tweedie", 0, "2", 0.69314718055994531, PGL_TREES_LINK_EXP},
		{"reg:gamma", 1, "1", 0, PGL_TREES_LINK_EXP},
	};

	tree_json(tree_buf, sizeof(tree_buf), 0, T_LEFT, T_RIGHT, T_FEAT, T_COND, T_DL, T_HESS, T_GAIN,
			  T_STYPE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		pgl_model	 *m = new_model(4);
		pgl_xgb_info  info;
		pgl_status	  st;
		pgl_rc		  rc;
		int			  k = cases[i].num_class > 1 ? cases[i].num_class : 1;
		const double *base;

		model_json(doc_buf, sizeof(doc_buf), "gbtree", cases[i].objective, cases[i].num_class,
				   cases[i].base, 4, "0", tree_buf);
		rc = read_model(doc_buf, m, &info, &st);
		base = td(m, "base_score");
		OK(rc == PGL_OK && pgl_model_tensor(m, "base_score")->dims[0] == k &&
			   fabs(base[0] - cases[i].margin) < 1e-7 * fmax(1, fabs(cases[i].margin)) &&
			   base[k - 1] == base[0] && ((int32_t *) td(m, "tree_params"))[0] == k &&
			   ((int32_t *) td(m, "tree_params"))[1] == cases[i].link,
		   "%s base_score %s -> margin %.17g in %d groups, link %d: %s", cases[i].objective,
		   cases[i].base, cases[i].margin, k, cases[i].link, rc == PGL_OK ? "ok" : st.msg);
		pgl_model_free(env, m);
		pgl_xgb_info_free(env, &info);
	}
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "binary:logistic", 0, "0", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID,
				"base_score 0 of objective binary:logistic is not a "
				"probability in (0, 1)");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:logistic", 0, "1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "not a probability in (0, 1)");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "count:poisson", 0, "-1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "base_score -1 of objective count:poisson is not > 0");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "abc", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "base_score is not a number");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "[2.5E-1]", 4, "0",
			   tree_buf);
	expect_read(doc_buf, 4, PGL_OK, "a one-element base_score array (XGBoost 2)");
}

static void
test_refusals(void)
{
	char chain[8192], l[4096], r[4096], f[2048], c[4096], z[2048];
	int	 lo = 0, ro = 0, fo = 0, co = 0, zo = 0;

	tree_json(tree_buf, sizeof(tree_buf), 0, T_LEFT, T_RIGHT, T_FEAT, T_COND, T_DL, T_HESS, T_GAIN,
			  T_STYPE);
	model_json(doc_buf, sizeof(doc_buf), "dart", "reg:squarederror", 0, "5E-1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "gradient booster \"dart\" is not supported");
	model_json(doc_buf, sizeof(doc_buf), "gblinear", "reg:squarederror", 0, "5E-1", 4, "0",
			   tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "gradient booster \"gblinear\" is not supported");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "rank:pairwise", 0, "5E-1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID,
				"objective \"rank:pairwise\" is not supported; supported objectives: "
				"reg:squarederror, reg:absoluteerror");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squaredlogerror", 0, "5E-1", 4, "0",
			   tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "objective \"reg:squaredlogerror\" is not supported");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "multi:softprob", 0, "5E-1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "multi:* needs num_class >= 2");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "binary:logistic", 3, "5E-1", 4, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "only multi:softprob and multi:softmax have classes");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0", tree_buf);
	expect_read(doc_buf, 3, PGL_ERR_INVALID,
				"the XGBoost model has 4 features, but the model has only 3 inputs");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "1", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree_info[0] is not a group in 0 to 0");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0,0",
			   tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree_info has 2 entries for 1 trees");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 1, "0", tree_buf);
	expect_read(doc_buf, 4, PGL_ERR_INVALID,
				"tree 0 node 2 splits on feature 1, but the model has 1 features");
	expect_read("[]", 4, PGL_ERR_INVALID, "the document has no \"learner\" object");
	expect_read("{\"learner\":{}}", 4, PGL_ERR_INVALID, "learner has no \"learner_model_param\"");
	expect_read("{\"learner\":", 4, PGL_ERR_INVALID, "invalid JSON at byte 11");

	refused_tree("stype", "0,0,1,0,0,0", "tree 0 node 2 is a categorical split (split_type 1)");
	refused_tree("left", "2,-1,0,-1,-1,-1", "tree 0 node 0 is reached twice (a cycle");
	refused_tree("left", "2,-1,4,-1,-1,-1", "tree 0 node 4 is reached twice");
	refused_tree("left", "2,-1,6,-1,-1,-1",
				 "tree 0 node 2 has children (6, 4), expected node ids "
				 "0 to 5");
	refused_tree("right", "1,-1,-7,-1,-1,-1", "tree 0 node 2 has children (3, -7)");
	refused_tree("right", "1,2,4,-1,-1,-1", "tree 0 node 1 has a right child (2) but no left");
	refused_tree("left", "2,-1,3.5,-1,-1,-1", "tree 0 node 2: children are not integers");
	refused_tree("feat", "0,0,-1,0,0,0", "tree 0 node 2 splits on feature -1");
	refused_tree("dl", "1,0,2,0,0,0", "tree 0 node 2 has default_left 2");
	refused_tree("hess", "10,4,-6,2,4,0", "tree 0 node 2 has sum_hessian -6");
	refused_tree("cond", "0.5,1,1e39,-1,2,9", "split condition 1e+39, outside the float range");
	refused_tree("cond", "0.5,1,\"x\",-1,2,9", "is not a number");
	refused_tree("gain", "7.5,0,null,0,0,0", "is not a number");
	refused_tree("left", "2,-1,3,-1,-1", "\"right_children\" has 6 elements, expected 5");
	refused_tree("right", "1,-1,4,-1,-1", "\"right_children\" has 5 elements, expected 6");
	refused_tree("left", "", "tree 0 has no nodes");

	/* categorical nodes, vector leaves, a tree that is not an object, missing arrays */
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0",
			   "{\"categories_nodes\":[2],\"left_children\":[-1]}");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree 0 has categorical splits");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0",
			   "{\"tree_param\":{\"size_leaf_vector\":\"2\"}}");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree 0 has vector leaves (size_leaf_vector 2)");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0", "7");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree 0 is a number, expected an object");
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0",
			   "{\"left_children\":[-1]}");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree 0 has no \"right_children\"");

	/* a chain deeper than the limit: split i has left leaf and right split i + 1 */
	for (int d = 0; d <= PGL_TREES_MAX_DEPTH; d++)
	{
		int sep = d ? ',' : ' ';

		lo += sprintf(l + lo, "%c%d,-1", sep, 2 * d + 1);
		ro += sprintf(r + ro, "%c%d,-1", sep, 2 * d + 2);
		fo += sprintf(f + fo, "%c0,0", sep);
		co += sprintf(c + co, "%c%d,1", sep, d);
		zo += sprintf(z + zo, "%c0,0", sep);
	}
	sprintf(l + lo, ",-1");
	sprintf(r + ro, ",-1");
	sprintf(f + fo, ",0");
	sprintf(c + co, ",1");
	sprintf(z + zo, ",0");
	tree_json(chain, sizeof(chain), 0, l, r, f, c, z, z, z, z);
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0", chain);
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "tree 0 is deeper than 64 at node 128");
	{
		pgl_model	*m = new_model(4);
		pgl_xgb_info info;
		pgl_status	 st;

		m->n_tensors = 1;
		OK(read_model(doc_buf, m, &info, &st) == PGL_ERR_INVALID &&
			   strstr(st.msg, "the model already has tensors"),
		   "a model with tensors is refused: %s", st.msg);
		m->n_tensors = 0;
		pgl_model_free(env, m);
	}
}

/* the reference model with learner.feature_names set to names (JSON) */
static void
with_names(const char *names)
{
	char  *p;
	size_t old = strlen("\"feature_names\":[]"), add = strlen(names);

	tree_json(tree_buf, sizeof(tree_buf), 0, T_LEFT, T_RIGHT, T_FEAT, T_COND, T_DL, T_HESS, T_GAIN,
			  T_STYPE);
	model_json(doc_buf, sizeof(doc_buf), "gbtree", "reg:squarederror", 0, "5E-1", 4, "0", tree_buf);
	p = strstr(doc_buf, "\"feature_names\":[]") + old - 1;
	memmove(p + add, p, strlen(p) + 1);
	memcpy(p, names, add);
}

static void
test_feature_names(void)
{
	pgl_model	*m = new_model(4);
	pgl_xgb_info info;
	pgl_status	 st;

	with_names("\"a\",\"\\u00e9\",\"c\",\"d\"");
	OK(read_model(doc_buf, m, &info, &st) == PGL_OK && info.n_feature_names == 4 &&
		   strcmp(info.feature_names[1], "\xc3\xa9") == 0 &&
		   strcmp(info.feature_names[3], "d") == 0,
	   "feature names: %s", st.msg);
	pgl_model_free(env, m);
	pgl_xgb_info_free(env, &info);
	with_names("\"a\",\"\\u0000\",\"c\",\"d\"");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "feature_names[1] is not a string without zero bytes");
	with_names("\"a\",\"b\",\"c\"");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "feature_names has 3 names for 4 features");
	with_names("\"a\",\"b\",\"c\",4");
	expect_read(doc_buf, 4, PGL_ERR_INVALID, "feature_names[3] is not a string");
}

/* ---------- fixtures made by python xgboost ---------- */

static char *
slurp(const char *name, size_t *len)
{
	char  path[512];
	FILE *f;
	char *buf;
	long  n;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (fread(buf, 1, (size_t) n, f) != (size_t) n)
		n = 0;
	buf[n] = 0;
	fclose(f);
	*len = (size_t) n;
	return buf;
}

typedef struct fixture
{
	const char *name;
	int			task, n_classes, link;
} fixture;

static const fixture fixtures[] = {
	{"regression", PGL_TASK_REGRESSION, 0, PGL_TREES_LINK_IDENTITY},
	{"binary", PGL_TASK_CLASSIFICATION, 2, PGL_TREES_LINK_SIGMOID},
	{"multiclass", PGL_TASK_CLASSIFICATION, 3, PGL_TREES_LINK_SOFTMAX},
	{"poisson", PGL_TASK_REGRESSION, 0, PGL_TREES_LINK_EXP},
};

#define N_FIXTURES ((int) (sizeof(fixtures) / sizeof(fixtures[0])))

/* read fixture fx into a validated model; NULL on failure (reported) */
static pgl_model *
load_fixture(const fixture *fx, pgl_trees *t)
{
	char		 name[64];
	size_t		 len;
	char		*text;
	pgl_model	*m = new_model(4);
	pgl_xgb_info info;
	pgl_status	 st;
	pgl_rc		 rc;

	snprintf(name, sizeof(name), "xgb_%s.json", fx->name);
	text = slurp(name, &len);
	OK(text != NULL, "fixture %s exists", name);
	if (text == NULL)
	{
		pgl_model_free(env, m);
		return NULL;
	}
	rc = pgl_xgb_json_read(env, text, len, m, &info, &st);
	free(text);
	m->task = fx->task;
	m->n_classes = fx->n_classes;
	OK(rc == PGL_OK && info.n_feature_names == 4 && strcmp(info.feature_names[0], "a") == 0,
	   "%s: read (%s)", name, rc == PGL_OK ? info.objective : st.msg);
	pgl_xgb_info_free(env, &info);
	if (rc == PGL_OK)
		rc = pgl_trees_validate(m, t, &st);
	OK(rc == PGL_OK && t->link == fx->link, "%s: validates, link %d: %s", name, fx->link,
	   rc == PGL_OK ? "ok" : st.msg);
	if (rc != PGL_OK)
	{
		pgl_model_free(env, m);
		return NULL;
	}
	return m;
}

static void
test_fixture_margins(void)
{
	for (int i = 0; i < N_FIXTURES; i++)
	{
		pgl_trees  t;
		pgl_model *m = load_fixture(&fixtures[i], &t);
		char	   name[64];
		size_t	   len;
		char	  *text, *s;
		int		   rows, p, k, bad = 0;
		double	   worst = 0;

		if (m == NULL)
			continue;
		snprintf(name, sizeof(name), "xgb_%s.margins", fixtures[i].name);
		text = slurp(name, &len);
		if (text == NULL || sscanf(text, "%d %d %d", &rows, &p, &k) != 3 || p != 4 ||
			k != t.n_groups)
		{
			OK(0, "%s: readable, 4 inputs, %d groups", name, t.n_groups);
			free(text);
			pgl_model_free(env, m);
			continue;
		}
		s = strchr(text, '\n');
		for (int r = 0; r < rows; r++)
		{
			double x[4], want[8], got[8];

			for (int j = 0; j < p; j++)
				x[j] = strtod(s, &s);
			for (int g = 0; g < k; g++)
				want[g] = strtod(s, &s);
			pgl_trees_predict_margin(&t, x, 1, 1, got);
			for (int g = 0; g < k; g++)
			{
				double err = fabs(got[g] - want[g]) / fmax(1.0, fabs(want[g]));

				worst = fmax(worst, err);
				bad += !(err <= 1e-6);
			}
		}
		OK(bad == 0, "%s: %d rows x %d margins equal python xgboost's to 1e-6 (worst %.2g)", name,
		   rows, k, worst);
		free(text);
		pgl_model_free(env, m);
	}
}

/* ---------- libxgboost ---------- */

#define XGB_OK(call) ((call) == 0 ? true : (printf("# xgboost: %s\n", XGBGetLastError()), false))

/* margins of n rows (row-major n x p float) by libxgboost, into out (n x k) */
static bool
xgb_margins(BoosterHandle h, const float *X, int n, int p, int k, double *out)
{
	char			 values[256];
	const char		*config = "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, "
							  "\"iteration_end\": 0, \"strict_shape\": true, \"missing\": NaN, "
							  "\"cache_id\": 0}";
	const bst_ulong *shape;
	bst_ulong		 dim;
	const float		*res;

	snprintf(values, sizeof(values),
			 "{\"data\": [%llu, true], \"shape\": [%d, %d], \"typestr\": \"<f4\", "
			 "\"version\": 3}",
			 (unsigned long long) (uintptr_t) X, n, p);
	if (!XGB_OK(XGBoosterPredictFromDense(h, values, config, NULL, &shape, &dim, &res)))
		return false;
	if (dim != 2 || shape[0] != (bst_ulong) n || shape[1] != (bst_ulong) k)
	{
		printf("# xgboost: unexpected shape\n");
		return false;
	}
	for (int i = 0; i < n * k; i++)
		out[i] = res[i];
	return true;
}

/* random rows (some missing) through libxgboost loading text, and through t */
static void
compare_with_xgboost(const char *what, const char *text, size_t len, const pgl_trees *t)
{
	enum
	{
		N = 500,
		P = 4
	};
	static float  Xf[N * P];
	static double Xd[N * P], ours[N * 8], theirs[N * 8];
	BoosterHandle h;
	int			  bad = 0, k = t->n_groups;
	double		  worst = 0;

	for (int i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
		{
			float v = urand() < 0.1 ? NAN : (float) (1.5 * nrand());

			Xf[i * P + j] = v;
			Xd[j * N + i] = v; /* ours: column-major */
		}
	if (!XGB_OK(XGBoosterCreate(NULL, 0, &h)))
	{
		OK(0, "%s: XGBoosterCreate", what);
		return;
	}
	XGBoosterSetParam(h, "nthread", "1");
	if (!XGB_OK(XGBoosterLoadModelFromBuffer(h, text, len)) || !xgb_margins(h, Xf, N, P, k, theirs))
	{
		OK(0, "%s: libxgboost loads and predicts", what);
		XGBoosterFree(h);
		return;
	}
	XGBoosterFree(h);
	pgl_trees_predict_margin(t, Xd, N, N, ours);
	for (int i = 0; i < N * k; i++)
	{
		double err = fabs(ours[i] - theirs[i]) / fmax(1.0, fabs(theirs[i]));

		worst = fmax(worst, err);
		bad += !(err <= 1e-6 * t->n_trees);
	}
	OK(bad == 0, "%s: %d rows (10%% missing) x %d margins equal libxgboost's (worst %.2g)", what, N,
	   k, worst);
}

static void
test_libxgboost(void)
{
	for (int i = 0; i < N_FIXTURES; i++)
	{
		pgl_trees  t;
		pgl_model *m = load_fixture(&fixtures[i], &t);
		char	   name[64];
		size_t	   len;
		char	  *text;

		if (m == NULL)
			continue;
		snprintf(name, sizeof(name), "xgb_%s.json", fixtures[i].name);
		text = slurp(name, &len);
		compare_with_xgboost(name, text, len, &t);
		free(text);
		pgl_model_free(env, m);
	}
}

/* ---------- writer ---------- */

/* every tensor of a equals b's (same names, dtypes, dims, bytes) */
static bool
same_tensors(const pgl_model *a, const pgl_model *b, char *why, size_t size)
{
	if (a->n_tensors != b->n_tensors)
	{
		snprintf(why, size, "%d tensors vs %d", (int) a->n_tensors, (int) b->n_tensors);
		return false;
	}
	for (int32_t i = 0; i < a->n_tensors; i++)
	{
		const pgl_tensor *x = &a->tensors[i], *y = pgl_model_tensor(b, x->name);
		int64_t			  n = pgl_tensor_count(x);
		size_t			  sz = x->dtype == PGL_F32 || x->dtype == PGL_I32 ? 4 : 8;

		if (y == NULL || y->dtype != x->dtype || y->ndim != x->ndim || pgl_tensor_count(y) != n)
		{
			snprintf(why, size, "tensor %s differs in shape", x->name);
			return false;
		}
		if (x->dtype == PGL_STR ? strcmp(((char **) x->data)[0], ((char **) y->data)[0]) != 0
								: memcmp(x->data, y->data, sz * (size_t) n) != 0)
		{
			snprintf(why, size, "tensor %s differs", x->name);
			return false;
		}
	}
	return true;
}

static void
test_writer_round_trip(void)
{
	for (int i = 0; i < N_FIXTURES; i++)
	{
		pgl_trees	 t, t2;
		pgl_model	*m = load_fixture(&fixtures[i], &t), *m2;
		pgl_xgb_info info;
		pgl_status	 st;
		char		*out, what[128], why[128] = "";
		size_t		 len;
		pgl_rc		 rc;

		if (m == NULL)
			continue;
		rc = pgl_xgb_json_write(env, m, &out, &len, &st);
		OK(rc == PGL_OK && len == strlen(out), "xgb_%s: written (%zu bytes): %s", fixtures[i].name,
		   len, rc == PGL_OK ? "ok" : st.msg);
		if (rc != PGL_OK)
		{
			pgl_model_free(env, m);
			continue;
		}
		m2 = new_model(4);
		rc = pgl_xgb_json_read(env, out, len, m2, &info, &st);
		m2->task = m->task;
		m2->n_classes = m->n_classes;
		OK(rc == PGL_OK && pgl_trees_validate(m2, &t2, &st) == PGL_OK &&
			   same_tensors(m, m2, why, sizeof(why)) && info.n_feature_names == 0,
		   "xgb_%s: write -> read gives identical tensors: %s %s", fixtures[i].name,
		   rc == PGL_OK ? "" : st.msg, why);
		snprintf(what, sizeof(what), "xgb_%s written by us", fixtures[i].name);
		compare_with_xgboost(what, out, len, &t);
		pgl_xgb_info_free(env, &info);
		pgl_model_free(env, m2);
		pgl_free(env, out);
		pgl_model_free(env, m);
	}
}

static void
test_writer_names_and_refusals(void)
{
	pgl_trees		   t;
	pgl_model		  *m = load_fixture(&fixtures[1], &t), *m2;
	pgl_xgb_info	   info;
	pgl_status		   st;
	char			  *out;
	size_t			   len;
	static const char *names[] = {"a", "b\"q", "\xc3\xa9", "d"};

	if (m == NULL)
		return;
	m->n_features = 4;
	m->features = pgl_alloc0(env, sizeof(pgl_feature) * 4);
	for (int j = 0; j < 4; j++)
	{
		m->features[j].kind = PGL_FEATURE_NUMERIC;
		m->features[j].name = pgl_alloc(env, strlen(names[j]) + 1);
		strcpy(m->features[j].name, names[j]);
	}
	OK(pgl_xgb_json_write(env, m, &out, &len, &st) == PGL_OK, "write with feature names: %s",
	   st.msg);
	m2 = new_model(4);
	OK(pgl_xgb_json_read(env, out, len, m2, &info, &st) == PGL_OK && info.n_feature_names == 4 &&
		   strcmp(info.feature_names[1], "b\"q") == 0 &&
		   strcmp(info.feature_names[2], "\xc3\xa9") == 0 &&
		   strcmp(info.objective, "binary:logistic") == 0,
	   "numeric features' names are written (escaped) and read back: %s", st.msg);
	pgl_xgb_info_free(env, &info);
	pgl_model_free(env, m2);
	pgl_free(env, out);

	/* a categorical feature: names are not one per input */
	m->features[3].kind = PGL_FEATURE_CATEGORICAL;
	m2 = new_model(4);
	OK(pgl_xgb_json_write(env, m, &out, &len, &st) == PGL_OK &&
		   pgl_xgb_json_read(env, out, len, m2, &info, &st) == PGL_OK &&
		   info.n_feature_names == 0 && strstr(out, "\"feature_names\":[]"),
	   "no feature names when a feature is categorical");
	pgl_xgb_info_free(env, &info);
	pgl_model_free(env, m2);
	pgl_free(env, out);

	/* refusals */
	((char **) td(m, "objective"))[0][0] = 'X';
	OK(pgl_xgb_json_write(env, m, &out, &len, &st) == PGL_ERR_INVALID && out == NULL &&
		   strstr(st.msg, "objective \"Xinary:logistic\" cannot be written"),
	   "unknown objective refused: %s", st.msg);
	strcpy(((char **) td(m, "objective"))[0], "count:poisson");
	OK(pgl_xgb_json_write(env, m, &out, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "objective count:poisson does not match the model's link 1"),
	   "objective of another link refused: %s", st.msg);
	pgl_model_free(env, m);

	m = load_fixture(&fixtures[2], &t);
	((double *) td(m, "base_score"))[1] += 1;
	OK(pgl_xgb_json_write(env, m, &out, &len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "different base scores"),
	   "per-group base scores refused: %s", st.msg);
	pgl_model_free(env, m);
	for (int k = 0; k < 6; k++)
	{
		counters c;
		pgl_env	 e = make_env(&c);
		pgl_rc	 rc;

		m = load_fixture(&fixtures[0], &t);
		c.fail_at = k;
		rc = pgl_xgb_json_write(&e, m, &out, &len, &st);
		OK(rc == PGL_OK || (rc == PGL_ERR_NOMEM && out == NULL), "writer, allocation %d failing",
		   k);
		if (rc == PGL_OK)
			free(out);
		pgl_model_free(env, m);
	}
}

int
main(void)
{
	test_parser_valid();
	test_parser_invalid();
	test_reader_preorder();
	test_base_scores();
	test_refusals();
	test_feature_names();
	test_fixture_margins();
	test_libxgboost();
	test_writer_round_trip();
	test_writer_names_and_refusals();
	return unit_done();
}
