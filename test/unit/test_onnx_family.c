/*
 * The onnx algorithm family (src/onnx/family.c, family_import.c): import of
 * the torch MLP fixture (../onnx/torch/test_mlp: x [batch, 20] -> logits
 * [batch, 5]) as a classifier whose labels are not in sorted order,
 * predictions against torch's softmax, no allocation on a second predict,
 * the blob round trip, and the refusals (a regression of 5 values per row,
 * class counts, format version rules).
 */
#include "unit.h"
#include "family.h"
#include "algorithms.h"
#include "model_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "../onnx/torch/test_mlp/"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long	 n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(buf = malloc((size_t) n + 1)) && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t) n : 0;
	fclose(f);
	return buf;
}

/* an env over malloc that counts allocations, and fails them while fail_allocs is set */
static int64_t n_allocs = 0;
static bool	   fail_allocs = false;

static void *
count_alloc(void *arg, size_t size)
{
	(void) arg;
	n_allocs++;
	return fail_allocs ? NULL : malloc(size);
}

static void
count_free(void *arg, void *p)
{
	(void) arg;
	free(p);
}

static pgl_ox_tensor *
tensor_file(const char *file)
{
	char		   path[512];
	size_t		   len;
	uint8_t		  *buf;
	pgl_ox_tensor *t = NULL;
	pgl_status	   st = {0};

	snprintf(path, sizeof(path), FIXTURE "test_data_set_0/%s", file);
	if (!(buf = slurp(path, &len)))
		return NULL;
	pgl_ox_tensor_decode(&pgl_malloc_env, buf, len, NULL, &t, &st);
	free(buf);
	return t;
}

/* labels of the 5 output columns: sorted, column j is class 4 - j */
static const char *labels[] = {"e", "d", "c", "b", "a"};

static void
check_predictions(const pgl_env *env, const pgl_model *m)
{
	pgl_ox_tensor *in = tensor_file("input_0.pb"), *want = tensor_file("output_0.pb");
	pgl_status	   st = {0};
	double		  *X, out[4 * 5];
	int64_t		   n, before;

	OK(in && want && in->ndim == 2 && in->dims[1] == 20 && want->dims[1] == 5, "fixture tensors");
	if (!in || !want)
		return;
	n = in->dims[0];
	X = malloc(sizeof(double) * (size_t) (n * 20));
	for (int64_t r = 0; r < n; r++)
		for (int j = 0; j < 20; j++)
			X[j * n + r] = ((float *) in->data)[r * 20 + j]; /* column-major */
	OK(pgl_onnx_predict(env, m, X, n, n, out, &st) == PGL_OK, "predict: %s", st.msg);
	for (int64_t r = 0; r < n; r++)
	{
		const float *z = (float *) want->data + r * 5;
		double		 mx = z[0], sum = 0;

		for (int j = 1; j < 5; j++)
			mx = fmax(mx, z[j]);
		for (int j = 0; j < 5; j++)
			sum += exp(z[j] - mx);
		for (int j = 0; j < 5; j++)
			NEAR(out[r * 5 + (4 - j)], exp(z[j] - mx) / sum, 1e-5, "row %d column %d", (int) r, j);
	}
	before = n_allocs;
	OK(pgl_onnx_predict(env, m, X, n, n, out, &st) == PGL_OK, "second predict");
	OK(n_allocs == before, "a second predict allocates nothing (%lld)",
	   (long long) (n_allocs - before));
	/* a NULL (NaN) is refused, naming the feature */
	X[3 * n] = NAN;
	OK(pgl_onnx_predict(env, m, X, n, n, out, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "\"input\"") != NULL,
	   "NaN refused: %s", st.msg);
	free(X);
	pgl_ox_tensor_free(in);
	pgl_ox_tensor_free(want);
}

/* a batch whose input buffers cannot grow fails; a later, smaller batch still runs */
static void
check_failed_growth(const pgl_env *env, const pgl_model *m)
{
	double	  *X = calloc(200 * 20, sizeof(double)), out[200 * 5];
	pgl_status st = {0};

	OK(pgl_onnx_predict(env, m, X, 200, 1, out, &st) == PGL_OK, "one row: %s", st.msg);
	fail_allocs = true;
	OK(pgl_onnx_predict(env, m, X, 200, 200, out, &st) == PGL_ERR_NOMEM,
	   "200 rows without memory: %s", st.msg);
	fail_allocs = false;
	OK(pgl_onnx_predict(env, m, X, 200, 2, out, &st) == PGL_OK &&
		   fabs(out[0] + out[1] + out[2] + out[3] + out[4] - 1) < 1e-9,
	   "then 2 rows run: %s", st.msg);
	free(X);
}

/* pgl_onnx_input_width's refusals, each with advice */
static void
check_input_width(void)
{
	pgl_ox_value_info vi;
	int64_t			  w = 0;
	bool			  one = false;
	char			  hint[256];
	pgl_status		  st = {0};

	memset(&vi, 0, sizeof(vi));
	vi.name = "x";
	vi.dtype = PGL_OX_FLOAT;
	vi.ndim = 3;
	vi.dims[0] = -1;
	vi.dims[1] = 4;
	vi.dims[2] = 5;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_OK && w == 20 && !one,
	   "[batch, 4, 5]: 20 values per row");
	vi.dims[0] = 1;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_OK && one,
	   "a fixed batch of 1 is one row at a time");
	vi.dims[2] = -1;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "dim 2 is symbolic") && hint[0],
	   "a symbolic inner dim: %s", st.msg);
	vi.dims[2] = 5;
	vi.ndim = -1;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "no declared shape") && strstr(hint, "dynamic_axes"),
	   "no declared shape: %s", st.msg);
	vi.ndim = 0;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "no dims"),
	   "a scalar input: %s", st.msg);
	vi.ndim = 3;
	vi.dtype = PGL_OX_BOOL;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "not a number type"),
	   "a bool input: %s", st.msg);
	vi.dtype = PGL_OX_INT64;
	vi.dims[1] = 100000;
	vi.dims[2] = 100000;
	OK(pgl_onnx_input_width(&vi, &w, &one, hint, sizeof(hint), &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "values per row"),
	   "a row too wide: %s", st.msg);
}

/* pgl_onnx_validate on a damaged onnx_io: the kind, the width, a regression's class_map */
static void
check_corrupt_io(pgl_model *m)
{
	int32_t	  *io = (int32_t *) pgl_model_tensor(m, "onnx_io")->data;
	int32_t	   save[3] = {io[0], io[1], io[2]};
	pgl_status st = {0};

	io[PGL_ONNX_IO_KIND] = PGL_ONNX_VALUES;
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "does not fit its task"),
	   "a classifier reading values: %s", st.msg);
	io[PGL_ONNX_IO_KIND] = save[1];
	io[PGL_ONNX_IO_WIDTH] = 4;
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT, "a width of 4 for 5 classes: %s", st.msg);
	io[PGL_ONNX_IO_WIDTH] = save[2];
	io[PGL_ONNX_IO_OUTPUT] = -1;
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT, "output -1: %s", st.msg);
	io[PGL_ONNX_IO_OUTPUT] = save[0];
	m->task = PGL_TASK_REGRESSION;
	io[PGL_ONNX_IO_KIND] = PGL_ONNX_VALUES;
	io[PGL_ONNX_IO_WIDTH] = 1;
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "has a \"class_map\""),
	   "a regression with a class_map: %s", st.msg);
	m->task = PGL_TASK_CLASSIFICATION;
	memcpy(io, save, sizeof(save));
	OK(pgl_onnx_validate(m, &st) == PGL_OK, "restored: %s", st.msg);
}

/* class_map must be a permutation of the classes */
static void
check_class_map(const pgl_model *m)
{
	int32_t	  *cm = (int32_t *) pgl_model_tensor(m, "class_map")->data;
	int32_t	   save = cm[3];
	pgl_status st = {0};

	OK(pgl_onnx_validate(m, &st) == PGL_OK, "class_map is a permutation");
	cm[3] = cm[1];
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "maps two columns to class"),
	   "a repeated class: %s", st.msg);
	cm[3] = 5;
	OK(pgl_onnx_validate(m, &st) == PGL_ERR_CORRUPT && strstr(st.msg, "class_map[3] = 5"),
	   "a class out of range: %s", st.msg);
	cm[3] = save;
}

/* the blob with its version field set to v (CRC recomputed) does not read */
static void
check_version(const pgl_env *env, const uint8_t *blob, size_t len, uint16_t v)
{
	uint8_t	  *b = malloc(len);
	uint32_t   crc;
	pgl_model *m = NULL;
	pgl_status st = {0};

	memcpy(b, blob, len);
	b[4] = (uint8_t) v;
	b[5] = (uint8_t) (v >> 8);
	crc = pgl_crc32c(0, b, len - 4);
	for (int i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t) (crc >> (8 * i));
	OK(pgl_model_read(env, b, len, &m, &st) == PGL_ERR_CORRUPT && m == NULL,
	   "version %d refused: %s", (int) v, st.msg);
	free(b);
}

/*
 * env->max_memory bounds every load: an import over it is refused; a blob
 * read under it decodes nothing, and its first predict is refused (not as a
 * corrupt model), then runs once the budget allows.
 */
static void
check_budget(const pgl_env *env0, const uint8_t *bytes, size_t len, const uint8_t *blob,
			 size_t blob_len)
{
	pgl_env				 env = *env0;
	pgl_onnx_import_opts o;
	pgl_status			 st = {0};
	pgl_model			*m = NULL;
	uint8_t				*b = NULL;
	size_t				 b_len = 0;
	double				 X[20] = {0}, out[5];
	const pgl_ox_model	*g = (const pgl_ox_model *) 1;

	env.max_memory = (int64_t) len - 1;
	memset(&o, 0, sizeof(o));
	o.output_kind = PGL_ONNX_LOGITS;
	o.n_classes = 5;
	o.classes = labels;
	OK(pgl_onnx_import(&env, bytes, len, &o, &m, &b, &b_len, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "exceeds the limit") && strstr(o.hint, "max_train_memory") && m == NULL,
	   "an import over the budget is refused: %s (%s)", st.msg, o.hint);
	OK(pgl_model_read(&env, blob, blob_len, &m, &st) == PGL_OK && !pgl_onnx_loaded(m),
	   "a read under a small budget decodes nothing: %s", st.msg);
	if (m == NULL)
		return;
	OK(pgl_onnx_predict(&env, m, X, 1, 1, out, &st) == PGL_ERR_INVALID &&
		   strstr(st.msg, "exceeds the limit") && !pgl_onnx_loaded(m),
	   "its first predict is over the budget: %s", st.msg);
	OK(pgl_onnx_graph(m, &g, &st) == PGL_ERR_INVALID && g == NULL, "so is its graph: %s", st.msg);
	/* predict takes the limits of its own env: a raised budget runs the same model */
	{
		pgl_env big = env;

		big.max_memory = (int64_t) len + 100000;
		OK(pgl_onnx_predict(&big, m, X, 1, 1, out, &st) == PGL_OK && pgl_onnx_loaded(m),
		   "the same model predicts under a raised budget: %s", st.msg);
	}
	pgl_model_free(&env, m);
	m = NULL;
	env.max_memory = (int64_t) len + 100000;
	OK(pgl_model_read(&env, blob, blob_len, &m, &st) == PGL_OK &&
		   pgl_onnx_graph(m, &g, &st) == PGL_OK && g != NULL && g->n_outputs == 1 &&
		   pgl_onnx_predict(&env, m, X, 1, 1, out, &st) == PGL_OK,
	   "under a larger budget it runs: %s", st.msg);
	OK(m && pgl_onnx_loaded(m) && g->limits.max_bytes == env.max_memory &&
		   g->limits.max_arena == env.max_memory,
	   "with the budget's limits");
	pgl_model_free(&env, m);
}

int
main(void)
{
	pgl_env				 env = pgl_malloc_env;
	pgl_onnx_import_opts o;
	pgl_status			 st = {0};
	pgl_model			*m = NULL, *m2 = NULL;
	uint8_t				*bytes, *blob = NULL, *blob2 = NULL;
	size_t				 len, blob_len = 0, blob2_len = 0;

	env.alloc = count_alloc;
	env.free = count_free;
	bytes = slurp(FIXTURE "model.onnx", &len);
	OK(bytes != NULL, "fixture model");
	if (!bytes)
		return unit_done();

	/* a regression of 5 values per row is refused, with advice */
	memset(&o, 0, sizeof(o));
	o.output_kind = -1;
	OK(pgl_onnx_import(&env, bytes, len, &o, &m, &blob, &blob_len, &st) == PGL_ERR_INVALID &&
		   m == NULL && blob == NULL && o.hint[0] != '\0',
	   "regression refused: %s", st.msg);
	/* 4 labels for 5 columns */
	o.n_classes = 4;
	o.classes = labels;
	OK(pgl_onnx_import(&env, bytes, len, &o, &m, &blob, &blob_len, &st) == PGL_ERR_INVALID,
	   "class count refused: %s", st.msg);

	/* "columns" with an empty name first, then a name twice */
	{
		const char *cols[20];
		char		names[20][16];

		for (int j = 0; j < 20; j++)
		{
			snprintf(names[j], sizeof(names[j]), "c%d", j);
			cols[j] = names[j];
		}
		o.n_classes = 0;
		o.n_columns = 20;
		o.columns = cols;
		o.task = PGL_TASK_CLASSIFICATION;
		cols[0] = "";
		OK(pgl_onnx_import(&env, bytes, len, &o, &m, &blob, &blob_len, &st) == PGL_ERR_INVALID &&
			   strstr(st.msg, "empty name at position 1"),
		   "an empty first column name is refused: %s", st.msg);
		cols[0] = "c0";
		cols[19] = "c3";
		OK(pgl_onnx_import(&env, bytes, len, &o, &m, &blob, &blob_len, &st) == PGL_ERR_INVALID &&
			   strstr(st.msg, "\"columns\" has \"c3\" twice"),
		   "a column named twice is refused: %s", st.msg);
		o.n_columns = 0;
		o.columns = NULL;
		o.task = 0;
	}

	o.n_classes = 5;
	o.output_kind = PGL_ONNX_LOGITS;
	OK(pgl_onnx_import(&env, bytes, len, &o, &m, &blob, &blob_len, &st) == PGL_OK, "import: %s",
	   st.msg);
	if (m == NULL)
		return unit_done();
	OK(m->algorithm == PGL_ALGO_ONNX && m->task == PGL_TASK_CLASSIFICATION && m->n_features == 20 &&
		   m->features[19].kind == PGL_FEATURE_ELEMENT && m->features[19].element == 19 &&
		   strcmp(m->classes[0], "a") == 0 && m->runtime != NULL,
	   "model shape");
	OK(!pgl_onnx_loaded(m), "the model read back at import has not decoded the file again");
	OK(blob[4] == PGL_FORMAT_VERSION_U8, "written as format version 3");
	check_predictions(&env, m);
	OK(pgl_onnx_loaded(m), "predict loaded the graph");
	check_budget(&env, bytes, len, blob, blob_len);
	check_failed_growth(&env, m);
	check_class_map(m);
	check_corrupt_io(m);
	check_input_width();

	/* the blob reads back and writes the same bytes */
	OK(pgl_model_read(&env, blob, blob_len, &m2, &st) == PGL_OK, "read back: %s", st.msg);
	OK(m2 && pgl_model_write(&env, m2, &blob2, &blob2_len, &st) == PGL_OK &&
		   blob2_len == blob_len && memcmp(blob, blob2, blob_len) == 0,
	   "round trip byte-equal");
	check_version(&env, blob, blob_len, 2);

	pgl_model_free(&env, m);
	pgl_model_free(&env, m2);
	pgl_free(&env, blob);
	pgl_free(&env, blob2);
	free(bytes);
	return unit_done();
}
