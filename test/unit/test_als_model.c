/*
 * test_als_model.c - validation of stored ALS models (als_validate in
 * algorithms.c): a blob that passes the checksum but breaks an invariant
 * the SQL functions rely on must be refused, never used.
 */
#include "algorithms.h"
#include "model_format.h"
#include "unit.h"

#include <string.h>

#define NU 3
#define NI 4
#define K  2

static int64_t	  user_ids[NU] = {10, 20, 30};
static int64_t	  item_ids[NI] = {1, 2, 3, 4};
static char		 *user_keys_data[NU] = {"a", "b", "c"};
static char		 *item_keys_data[NI] = {"w", "x", "y", "z"};
static float	  U[NU * K], V[NI * K], ub[NU], ib[NI], pop[NI] = {3, 2, 1, 1};
static double	  mu = 3.5;
static int64_t	  seen_ptr[NU + 1] = {0, 2, 3, 5};
static int32_t	  seen_items[5] = {0, 1, 2, 0, 3};
static double	  config[8] = {0, 0.05, 40, 3, 0, 15, 10, 0};
static pgl_tensor tensors[12];
static pgl_model  model;

static void
set(int i, const char *name, int dtype, int ndim, int64_t d0, int64_t d1, void *data)
{
	memset(&tensors[i], 0, sizeof(pgl_tensor));
	strcpy(tensors[i].name, name);
	tensors[i].dtype = dtype;
	tensors[i].ndim = ndim;
	tensors[i].dims[0] = d0;
	tensors[i].dims[1] = d1;
	tensors[i].data = data;
}

/* a valid model with integer ids */
static void
build(void)
{
	memset(&model, 0, sizeof(model));
	model.algorithm = PGL_ALGO_ALS;
	model.task = PGL_TASK_RECOMMENDATION;
	model.target_name = "";
	model.target_type = "";
	set(0, "user_ids", PGL_I64, 1, NU, 0, user_ids);
	set(1, "item_ids", PGL_I64, 1, NI, 0, item_ids);
	set(2, "user_factors", PGL_F32, 2, NU, K, U);
	set(3, "item_factors", PGL_F32, 2, NI, K, V);
	set(4, "user_bias", PGL_F32, 1, NU, 0, ub);
	set(5, "item_bias", PGL_F32, 1, NI, 0, ib);
	set(6, "global_mean", PGL_F64, 1, 1, 0, &mu);
	set(7, "item_popularity", PGL_F32, 1, NI, 0, pop);
	set(8, "seen_ptr", PGL_I64, 1, NU + 1, 0, seen_ptr);
	set(9, "seen_items", PGL_I32, 1, 5, 0, seen_items);
	set(10, "config", PGL_F64, 1, 8, 0, config);
	model.tensors = tensors;
	model.n_tensors = 11;
}

static pgl_rc
check(void)
{
	pgl_status st;

	memset(&st, 0, sizeof(st));
	return pgl_algo_validate(&model, &st);
}

int
main(void)
{
	pgl_status st;
	uint8_t	  *buf;
	size_t	   len;
	pgl_model *back = NULL;

	build();
	OK(check() == PGL_OK, "a well-formed als model passes");
	memset(&st, 0, sizeof(st));
	OK(pgl_model_write(&pgl_malloc_env, &model, &buf, &len, &st) == PGL_OK, "it serializes");
	OK(pgl_model_read(&pgl_malloc_env, buf, len, &back, &st) == PGL_OK, "and reads back (%s)",
	   st.msg);
	pgl_model_free(&pgl_malloc_env, back);
	free(buf);

	build();
	set(1, "item_keys", PGL_STR, 1, NI, 0, item_keys_data);
	OK(check() == PGL_ERR_CORRUPT, "integer users with text items are refused");

	build();
	set(0, "user_keys", PGL_STR, 1, NU, 0, user_keys_data);
	set(1, "item_keys", PGL_STR, 1, NI, 0, item_keys_data);
	OK(check() == PGL_OK, "text users with text items pass");

	build();
	set(11, "user_keys", PGL_STR, 1, 1, 0, user_keys_data);
	model.n_tensors = 12;
	OK(check() == PGL_ERR_CORRUPT, "both user_ids and user_keys are refused");

	build();
	user_ids[1] = 10;
	OK(check() == PGL_ERR_CORRUPT, "ids out of order are refused");
	user_ids[1] = 20;

	build();
	pop[2] = NAN;
	OK(check() == PGL_ERR_CORRUPT, "a NaN popularity is refused");
	pop[2] = 1;

	for (int c = 0; c < 8; c++)
	{
		double saved = config[c];

		build();
		config[c] = c == 1 || c == 2 ? -1 : (c == 3 || c == 5 || c == 6 ? 0 : 2);
		OK(check() == PGL_ERR_CORRUPT, "config value %d out of range is refused", c);
		config[c] = NAN;
		OK(check() == PGL_ERR_CORRUPT, "config value %d NaN is refused", c);
		config[c] = saved;
	}

	build();
	seen_items[1] = NI;
	OK(check() == PGL_ERR_CORRUPT, "a seen item out of range is refused");
	seen_items[1] = 1;

	build();
	seen_ptr[3] = 4;
	OK(check() == PGL_ERR_CORRUPT, "seen_ptr not matching seen_items is refused");
	seen_ptr[3] = 5;

	build();
	set(3, "item_factors", PGL_F32, 2, NI, K + 1, V);
	OK(check() == PGL_ERR_CORRUPT, "factors of different widths are refused");

	build();
	OK(check() == PGL_OK, "the model is well-formed again after the mutations");
	return unit_done();
}
