/*-------------------------------------------------------------------------
 *
 * corpus_tool.c
 *	  The seed corpus of the model-reader fuzzer (test/fuzz/corpus/).
 *
 *	corpus_tool gen DIR		write the seeds: a valid blob of every algorithm
 *							(built through pgl_model_write), and damaged
 *							variants of them
 *	corpus_tool check DIR	read every file of DIR: those named valid-*
 *							must be accepted and write back identically,
 *							every other one must be rejected as corrupt
 *							with a message
 *	corpus_tool verdict DIR	print "NAME ok" or "NAME refused" for every
 *							file of DIR (test/fuzz/pyreader.py --agree
 *							compares these with its own)
 *
 * The damaged variants are the kinds of malformed input issue 7 lists:
 * truncated, bit-flipped (with and without a re-stamped CRC, so that the
 * structure and not only the checksum is tested), lying counts and
 * lengths, absurd dimensions, a wrong algorithm id, a later format
 * version.  Files named regress-* are inputs the fuzzer found; they are
 * rejected too.
 *
 *-------------------------------------------------------------------------
 */
#include "algorithms.h"
#include "model_format.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pgl_env *env = &pgl_malloc_env;

static char *
dup(const char *s)
{
	char *p = malloc(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

static pgl_tensor *
add_tensor(pgl_model *m, const char *name, int32_t dtype, int32_t ndim, int64_t d0, int64_t d1)
{
	pgl_tensor *t;
	int64_t		count;
	size_t		esize = dtype == PGL_F64 || dtype == PGL_I64 || dtype == PGL_STR ? 8 : 4;

	m->tensors = realloc(m->tensors, sizeof(pgl_tensor) * (size_t) (m->n_tensors + 1));
	t = &m->tensors[m->n_tensors++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	t->dtype = dtype;
	t->ndim = ndim;
	t->dims[0] = d0;
	t->dims[1] = d1;
	count = pgl_tensor_count(t);
	t->data = calloc((size_t) (count > 0 ? count : 1), esize);
	return t;
}

static pgl_model *
new_model(int32_t algorithm, int32_t task)
{
	pgl_model *m = calloc(1, sizeof(pgl_model));

	m->algorithm = algorithm;
	m->task = task;
	return m;
}

static void
add_numeric(pgl_model *m, const char *name, double impute)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup("double precision");
	f->kind = PGL_FEATURE_NUMERIC;
	f->impute = impute;
	m->n_inputs++;
}

static void
add_categorical(pgl_model *m, const char *name, int n, const char *const *cats, int mode)
{
	pgl_feature *f;

	m->features = realloc(m->features, sizeof(pgl_feature) * (size_t) (m->n_features + 1));
	f = &m->features[m->n_features++];
	memset(f, 0, sizeof(*f));
	f->name = dup(name);
	f->type_name = dup("text");
	f->kind = PGL_FEATURE_CATEGORICAL;
	f->n_categories = n;
	f->impute_category = mode;
	f->categories = calloc((size_t) n, sizeof(char *));
	for (int i = 0; i < n; i++)
		f->categories[i] = dup(cats[i]);
	m->n_inputs += n;
}

static void
set_target(pgl_model *m, const char *name, const char *type)
{
	m->target_name = dup(name);
	m->target_type = dup(type);
}

static void
fill_f64(pgl_tensor *t, double base)
{
	for (int64_t i = 0; i < pgl_tensor_count(t); i++)
		((double *) t->data)[i] = base + 0.25 * (double) i - 0.125 * (double) (i % 3);
}

static void
fill_f32(pgl_tensor *t, double base)
{
	for (int64_t i = 0; i < pgl_tensor_count(t); i++)
		((float *) t->data)[i] = (float) (base + 0.1 * (double) (i % 7) - 0.05 * (double) i);
}

static const char *const colors[] = {"blue", "green", "red"};

static pgl_model *
linear(void)
{
	pgl_model *m = new_model(PGL_ALGO_LINEAR_REGRESSION, PGL_TASK_REGRESSION);

	add_numeric(m, "sqft", 1234.5);
	add_numeric(m, "rooms", 3);
	add_categorical(m, "color", 3, colors, 1);
	set_target(m, "price", "numeric");
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, 1), -1.5);
	return m;
}

static pgl_model *
logistic(int k)
{
	static const char *const labels[] = {"churned", "active", "paused", "gone"};
	pgl_model				*m = new_model(PGL_ALGO_LOGISTIC_REGRESSION, PGL_TASK_CLASSIFICATION);
	const char				*sorted[4];

	add_numeric(m, "age", 41.5);
	add_categorical(m, "color", 2, colors, 0);
	set_target(m, "status", "text");
	for (int i = 0; i < k; i++)
		sorted[i] = labels[i];
	/* labels sorted, as ai_train stores them */
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(sorted[j], sorted[i]) < 0)
			{
				const char *s = sorted[i];

				sorted[i] = sorted[j];
				sorted[j] = s;
			}
	m->n_classes = k;
	m->classes = calloc((size_t) k, sizeof(char *));
	for (int i = 0; i < k; i++)
		m->classes[i] = dup(sorted[i]);
	fill_f64(add_tensor(m, "coef", PGL_F64, 2, m->n_inputs + 1, k == 2 ? 1 : k), 0.5);
	return m;
}

static pgl_model *
kmeans(void)
{
	pgl_model *m = new_model(PGL_ALGO_KMEANS, PGL_TASK_CLUSTERING);

	add_numeric(m, "x", 0);
	add_numeric(m, "y", 1);
	add_categorical(m, "color", 3, colors, 2);
	fill_f64(add_tensor(m, "centroids", PGL_F64, 2, 3, m->n_inputs), 2.0);
	*(double *) add_tensor(m, "inertia", PGL_F64, 1, 1, 0)->data = 12.75;
	return m;
}

static pgl_model *
als(bool text)
{
	pgl_model *m = new_model(PGL_ALGO_ALS, PGL_TASK_RECOMMENDATION);
	const int  nu = 4, ni = 5, k = 3;
	/* user u saw items u and u + 1 (CSR) */
	pgl_tensor *t;

	if (text)
	{
		static const char *const users[] = {"ann", "bob", "cy", "dee"};
		static const char *const items[] = {"apple", "fig", "kiwi", "lime", "plum"};

		t = add_tensor(m, "user_keys", PGL_STR, 1, nu, 0);
		for (int i = 0; i < nu; i++)
			((char **) t->data)[i] = dup(users[i]);
		t = add_tensor(m, "item_keys", PGL_STR, 1, ni, 0);
		for (int i = 0; i < ni; i++)
			((char **) t->data)[i] = dup(items[i]);
	}
	else
	{
		t = add_tensor(m, "user_ids", PGL_I64, 1, nu, 0);
		for (int i = 0; i < nu; i++)
			((int64_t *) t->data)[i] = 10 * i + 7;
		t = add_tensor(m, "item_ids", PGL_I64, 1, ni, 0);
		for (int i = 0; i < ni; i++)
			((int64_t *) t->data)[i] = -5 + 100 * i;
	}
	fill_f32(add_tensor(m, "user_factors", PGL_F32, 2, nu, k), 0.3);
	fill_f32(add_tensor(m, "item_factors", PGL_F32, 2, ni, k), -0.2);
	fill_f32(add_tensor(m, "user_bias", PGL_F32, 1, nu, 0), 0.01);
	fill_f32(add_tensor(m, "item_bias", PGL_F32, 1, ni, 0), -0.02);
	*(double *) add_tensor(m, "global_mean", PGL_F64, 1, 1, 0)->data = 3.5;
	t = add_tensor(m, "item_popularity", PGL_F32, 1, ni, 0);
	for (int i = 0; i < ni; i++)
		((float *) t->data)[i] = (float) (i + 1);
	t = add_tensor(m, "seen_ptr", PGL_I64, 1, nu + 1, 0);
	for (int i = 0; i <= nu; i++)
		((int64_t *) t->data)[i] = 2 * i;
	t = add_tensor(m, "seen_items", PGL_I32, 1, 2 * nu, 0);
	for (int u = 0; u < nu; u++)
	{
		((int32_t *) t->data)[2 * u] = u;
		((int32_t *) t->data)[2 * u + 1] = u + 1;
	}
	t = add_tensor(m, "config", PGL_F64, 1, 8, 0);
	{
		/* implicit, l2, alpha, cg_steps, cold_start_error, iterations, k, duplicates */
		const double c[8] = {text ? 1 : 0, 0.05, 5, 3, 0, 10, 10, 0};

		memcpy(t->data, c, sizeof(c));
	}
	t = add_tensor(m, "columns", PGL_STR, 1, 3, 0);
	((char **) t->data)[0] = dup(text ? "customer" : "");
	((char **) t->data)[1] = dup("");
	((char **) t->data)[2] = dup(text ? "" : "stars");
	return m;
}

/* ---------- writing files ---------- */

static const char *outdir;

static void
put_file(const char *name, const uint8_t *buf, size_t len)
{
	char  path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

static void
restamp(uint8_t *b, size_t len)
{
	uint32_t crc;

	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t) ((uint64_t) len >> (8 * i));
	crc = pgl_crc32c(0, b, len - 4);
	for (int i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t) (crc >> (8 * i));
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* a copy of blob with n bytes at off replaced; restamp: fix length and CRC */
static void
variant(const char *name, const uint8_t *blob, size_t len, size_t off, uint64_t v, int n, bool fix)
{
	uint8_t *b = malloc(len);

	memcpy(b, blob, len);
	put_le(b + off, v, n);
	if (fix)
		restamp(b, len);
	put_file(name, b, len);
	free(b);
}

static void
seeds(const char *tag, pgl_model *m)
{
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;
	char	   name[256];
	uint8_t	  *b;

	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: %s: %s\n", tag, st.msg);
		exit(1);
	}
	snprintf(name, sizeof(name), "valid-%s", tag);
	put_file(name, blob, len);

	/* truncations: inside the header, inside the body, the CRC cut off */
	{
		size_t cuts[] = {3, 15, 40, len / 2, len - 4, len - 1};

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		{
			snprintf(name, sizeof(name), "trunc-%s-%zu", tag, cuts[i]);
			put_file(name, blob, cuts[i]);
			/* and with the length and CRC made to match the shorter blob */
			if (cuts[i] >= 20)
			{
				b = malloc(cuts[i]);
				memcpy(b, blob, cuts[i]);
				restamp(b, cuts[i]);
				snprintf(name, sizeof(name), "trunc-restamped-%s-%zu", tag, cuts[i]);
				put_file(name, b, cuts[i]);
				free(b);
			}
		}
	}
	/* bit flips: raw (the CRC catches them) and re-stamped (the structure must) */
	{
		size_t offs[] = {0, 5, 7, 16, 20, 24, 28, 33, len / 3, len / 2, 2 * len / 3, len - 6};

		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		{
			uint8_t byte = blob[offs[i]] ^ (uint8_t) (1u << (i % 8));

			snprintf(name, sizeof(name), "flip-%s-%zu", tag, offs[i]);
			variant(name, blob, len, offs[i], byte, 1, false);
			if (offs[i] >= 16)
			{
				/* a flipped parameter can still be a valid model: name it so */
				pgl_model *fm = NULL;

				b = malloc(len);
				memcpy(b, blob, len);
				b[offs[i]] = byte;
				restamp(b, len);
				memset(&st, 0, sizeof(st));
				snprintf(name, sizeof(name), "%sflip-restamped-%s-%zu",
						 pgl_model_read(env, b, len, &fm, &st) == PGL_OK ? "valid-" : "", tag,
						 offs[i]);
				pgl_model_free(env, fm);
				put_file(name, b, len);
				free(b);
			}
		}
	}
	/* lying counts and lengths, absurd sizes, ids, versions (re-stamped) */
#define TAGGED(what, off, v, n, fix)                                                               \
	do                                                                                             \
	{                                                                                              \
		snprintf(name, sizeof(name), "%s-%s", what, tag);                                          \
		variant(name, blob, len, off, v, n, fix);                                                  \
	} while (0)
	TAGGED("lie-n_features-max", 28, 0x7fffffff, 4, true);
	TAGGED("lie-n_features-negative", 28, 0xffffffff, 4, true);
	TAGGED("lie-string-length", 32, 0xfffffff0, 4, true);
	TAGGED("future-version", 4, 2, 2, true);
	TAGGED("flags-set", 6, 1, 2, true);
	TAGGED("lie-total-length", 8, (uint64_t) len + 1000, 8, false);
	snprintf(name, sizeof(name), "wrong-algorithm-%s", tag);
	variant(name, blob, len, 16, 99, 4, true);
	snprintf(name, sizeof(name), "wrong-task-%s", tag);
	variant(name, blob, len, 20, m->task == 1 ? 2 : 1, 4, true);
	snprintf(name, sizeof(name), "trailing-byte-%s", tag);
	b = malloc(len + 1);
	memcpy(b, blob, len - 4);
	b[len - 4] = 0;
	restamp(b, len + 1);
	put_file(name, b, len + 1);
	free(b);
	free(blob);
}

/* set dims[d] of the tensor called name in a written blob; false if absent */
static bool
patch_dim(uint8_t *blob, size_t len, const char *name, int d, uint64_t v)
{
	size_t	 n = strlen(name);
	uint8_t	 key[64];
	uint8_t *p;

	put_le(key, n, 4);
	memcpy(key + 4, name, n);
	p = memmem(blob, len, key, n + 4);
	if (p == NULL)
		return false;
	put_le(p + 4 + n + 8 + 8 * (size_t) d, v, 8);
	return true;
}

/*
 * An als model with no users and no items but 5000 factors: no data bytes,
 * so the shape alone must be refused (the glue keeps k in an int32 and
 * sizes work arrays by it).
 */
static void
als_absurd_k(void)
{
	pgl_model *m = als(false);
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;

	/* shrink to 0 users and 0 items while keeping the writer happy */
	for (int i = 0; i < m->n_tensors; i++)
	{
		pgl_tensor *t = &m->tensors[i];

		if (strcmp(t->name, "config") == 0 || strcmp(t->name, "global_mean") == 0 ||
			strcmp(t->name, "columns") == 0)
			continue;
		if (strcmp(t->name, "seen_ptr") == 0)
			t->dims[0] = 1;
		else
			t->dims[0] = 0;
	}
	memset(&st, 0, sizeof(st));
	if (pgl_model_write(env, m, &blob, &len, &st) != PGL_OK)
	{
		fprintf(stderr, "corpus_tool: empty als: %s\n", st.msg);
		exit(1);
	}
	put_file("valid-als-empty", blob, len);
	patch_dim(blob, len, "user_factors", 1, 5000);
	patch_dim(blob, len, "item_factors", 1, 5000);
	restamp(blob, len);
	put_file("regress-als-empty-5000-factors", blob, len);
	patch_dim(blob, len, "user_factors", 1, (uint64_t) 1 << 33);
	patch_dim(blob, len, "item_factors", 1, (uint64_t) 1 << 33);
	restamp(blob, len);
	put_file("regress-als-empty-2^33-factors", blob, len);
	free(blob);
	pgl_model_free(env, m);
}

/* a tensor with absurd dimensions on the golden linear model */
static void
absurd_dims(void)
{
	pgl_model *m = linear();
	uint8_t	  *blob;
	size_t	   len;
	pgl_status st;
	uint8_t	  *p;

	memset(&st, 0, sizeof(st));
	pgl_model_write(env, m, &blob, &len, &st);
	/* the coef dims are the 16 bytes before its data, which ends at the CRC */
	p = blob + len - 4 - 8 * (size_t) pgl_tensor_count(&m->tensors[0]) - 16;
	put_le(p, (uint64_t) 1 << 40, 8);
	put_le(p + 8, (uint64_t) 1 << 40, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^40x2^40", blob, len);
	put_le(p, (uint64_t) 1 << 62, 8);
	put_le(p + 8, 0, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^62x0", blob, len);
	put_le(p, (uint64_t) 1 << 28, 8);
	put_le(p + 8, 1, 8);
	restamp(blob, len);
	put_file("absurd-dims-2^28x1", blob, len);
	free(blob);
	pgl_model_free(env, m);
}

static int
gen(void)
{
	struct
	{
		const char *tag;
		pgl_model  *m;
	} models[] = {
		{"linear", linear()}, {"logistic-binary", logistic(2)}, {"logistic-multi", logistic(4)},
		{"kmeans", kmeans()}, {"als-int", als(false)},			{"als-text", als(true)},
	};

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
	{
		seeds(models[i].tag, models[i].m);
		pgl_model_free(env, models[i].m);
	}
	absurd_dims();
	als_absurd_k();
	return 0;
}

/* ---------- checking ---------- */

static bool verdict_mode = false;

static int
check(const char *dir)
{
	DIR			  *d = opendir(dir);
	struct dirent *e;
	int			   bad = 0, n = 0;

	if (d == NULL)
	{
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL)
	{
		char	   path[4096];
		FILE	  *f;
		uint8_t	  *buf;
		long	   len;
		pgl_model *m = NULL;
		pgl_status st;
		bool	   want_valid = strncmp(e->d_name, "valid-", 6) == 0;
		pgl_rc	   rc;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
		{
			perror(path);
			return 1;
		}
		rewind(f);
		buf = malloc((size_t) len + 1);
		if (fread(buf, 1, (size_t) len, f) != (size_t) len)
		{
			perror(path);
			return 1;
		}
		fclose(f);
		memset(&st, 0, sizeof(st));
		rc = pgl_model_read(env, buf, (size_t) len, &m, &st);
		n++;
		if (verdict_mode)
		{
			printf("%s %s\n", e->d_name, rc == PGL_OK ? "ok" : "refused");
			pgl_model_free(env, m);
			free(buf);
			continue;
		}
		if (want_valid && rc != PGL_OK)
		{
			printf("# %s: rejected: %s\n", e->d_name, st.msg);
			bad++;
		}
		else if (!want_valid && (rc != PGL_ERR_CORRUPT || m != NULL || st.msg[0] == '\0'))
		{
			printf("# %s: not rejected as corrupt (rc %d)\n", e->d_name, (int) rc);
			bad++;
		}
		else if (want_valid)
		{
			uint8_t *out;
			size_t	 olen;

			if (pgl_model_write(env, m, &out, &olen, &st) != PGL_OK || olen != (size_t) len ||
				memcmp(out, buf, olen) != 0)
			{
				printf("# %s: does not write back identically\n", e->d_name);
				bad++;
			}
			else
				free(out);
		}
		else if (getenv("CORPUS_VERBOSE"))
			printf("# %-40s %s\n", e->d_name, st.msg);
		pgl_model_free(env, m);
		free(buf);
	}
	closedir(d);
	if (verdict_mode)
		return 0;
	printf("# %d corpus files, %d unexpected\n", n, bad);
	return bad > 0 || n == 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
	{
		outdir = argv[2];
		return gen();
	}
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	if (argc == 3 && strcmp(argv[1], "verdict") == 0)
	{
		verdict_mode = true;
		return check(argv[2]);
	}
	fprintf(stderr, "usage: corpus_tool gen|check|verdict DIR\n");
	return 2;
}
