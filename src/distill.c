/*-------------------------------------------------------------------------
 *
 * distill.c
 *	  The teacher of a distilled neural_net ("teacher", "temperature",
 *	  "distill_weight"): any classifier of the catalog scores every row the
 *	  student reads, once, as ai_predict_proba(teacher, row, version)
 *	  scores it: the same C function, called with the data's row, so the
 *	  teacher reads the columns and encodings it was trained on (a tensor
 *	  column, text, categories), whatever the student reads.  Its deployed
 *	  version is looked up once, with the caller's predict privilege, and
 *	  pinned for every row; the student's metrics name it.
 *
 *-------------------------------------------------------------------------
 */
#include "distill.h"
#include "catalog.h"
#include "data_reader.h"
#include "model_cache.h"
#include "predict.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "algorithms.h"
#include "nn.h"

extern Datum ai_predict_proba_record(PG_FUNCTION_ARGS);

struct PglTeacher
{
	char		 *name;
	const char	 *algorithm;
	int64		  version_id;
	int32		  version;
	int32		  k;	   /* classes */
	char		**classes; /* copies: the model cache may evict the model */
	Datum		  name_text;
	FmgrInfo	  flinfo; /* ai_predict_proba_record, its state in fn_extra */
	MemoryContext cxt, row_cxt;
	TupleDesc	  desc; /* blessed copy of the data's row type */
	int64		  n[2], cap[2];
	double		 *proba[2]; /* n x k per part, in the teacher's class order */
	int32		 *argmax;	/* training rows: the teacher's class, in the student's order */
};

/* "a, b, c" of k labels */
static char *
class_list(char **classes, int32 k)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int32 c = 0; c < k && c < 20; c++)
		appendStringInfo(&b, "%s%s", c ? ", " : "", classes[c]);
	if (k > 20)
		appendStringInfo(&b, ", ... (%d in all)", (int) k);
	return b.data;
}

static void
teacher_context(void *arg)
{
	errcontext("looking up the teacher \"%s\" (option \"teacher\")", (const char *) arg);
}

PglTeacher *
pgl_teacher_open(const char *name, const char *student, MemoryContext cxt)
{
	MemoryContext		 old = MemoryContextSwitchTo(cxt);
	PglTeacher			*t = palloc0(sizeof(PglTeacher));
	ErrorContextCallback ecb = {error_context_stack, teacher_context, (void *) name};
	PglVersionInfo		 info;
	const pgl_model		*m;

	error_context_stack = &ecb;
	info = pgl_catalog_version(name, 0); /* checks the predict privilege */
	m = pgl_model_by_version(info.version_id, name);
	error_context_stack = ecb.previous;

	t->name = pstrdup(name);
	t->algorithm = pstrdup(pgl_algo_by_id(m->algorithm)->name);
	t->version_id = info.version_id;
	t->version = info.version;
	if (m->task != PGL_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("teacher \"%s\" is a %s model, not a classifier", name,
						m->task == PGL_TASK_REGRESSION	 ? "regression"
						: m->task == PGL_TASK_CLUSTERING ? "clustering"
						: m->task == PGL_TASK_ANOMALY	 ? "anomaly"
														 : "recommender"),
				 errdetail("A neural_net learns from the class probabilities of its teacher."),
				 errhint("Name a classifier that ai_predict_proba() serves (neural_net, "
						 "logistic_regression, xgboost, random_forest), or leave \"teacher\" "
						 "out of the options of \"%s\".",
						 student)));
	t->k = m->n_classes;
	t->classes = palloc(sizeof(char *) * t->k);
	for (int32 c = 0; c < t->k; c++)
		t->classes[c] = pstrdup(m->classes[c]);
	t->name_text = PointerGetDatum(cstring_to_text(name));
	/* a call site of ai_predict_proba(name, row, version) of our own */
	t->flinfo.fn_addr = ai_predict_proba_record;
	t->flinfo.fn_oid = InvalidOid;
	t->flinfo.fn_nargs = 3;
	t->flinfo.fn_strict = false;
	t->flinfo.fn_retset = false;
	t->flinfo.fn_extra = NULL;
	t->flinfo.fn_mcxt = cxt;
	t->flinfo.fn_expr = NULL;
	t->cxt = cxt;
	t->row_cxt = AllocSetContextCreate(cxt, "pg_learn teacher row", ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(old);
	return t;
}

static void
grow(PglTeacher *t, int part)
{
	int64 cap = t->cap[part] ? t->cap[part] * 2 : 1024;

	pgl_check_memory((Size) (cap + t->cap[1 - part]) * t->k * sizeof(double),
					 psprintf("keeping the probabilities of teacher \"%s\" for " INT64_FORMAT
							  " rows",
							  t->name, cap));
	if (t->proba[part] == NULL)
		t->proba[part] =
			MemoryContextAllocExtended(t->cxt, sizeof(double) * cap * t->k, MCXT_ALLOC_HUGE);
	else
		t->proba[part] = repalloc_huge(t->proba[part], sizeof(double) * cap * t->k);
	t->cap[part] = cap;
}

static void
score_context(void *arg)
{
	errcontext("teacher \"%s\" scoring a row of the data", (const char *) arg);
}

void
pgl_teacher_score(PglTeacher *t, HeapTuple tuple, TupleDesc desc, int part)
{
	LOCAL_FCINFO(fc, 3);
	ErrorContextCallback ecb = {error_context_stack, score_context, t->name};
	MemoryContext		 old;
	Datum				 res;
	ArrayType			*arr;
	Datum				*elems;
	bool				*nulls;
	int					 n;

	if (t->n[part] == t->cap[part])
		grow(t, part);
	if (t->desc == NULL)
	{
		/* a row type of our own, registered, that the record argument can name */
		old = MemoryContextSwitchTo(t->cxt);
		t->desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
	}
	old = MemoryContextSwitchTo(t->row_cxt);
	InitFunctionCallInfoData(*fc, &t->flinfo, 3, InvalidOid, NULL, NULL);
	fc->args[0].value = t->name_text;
	fc->args[0].isnull = false;
	fc->args[1].value = heap_copy_tuple_as_datum(tuple, t->desc);
	fc->args[1].isnull = false;
	fc->args[2].value = Int32GetDatum(t->version);
	fc->args[2].isnull = false;
	error_context_stack = &ecb;
	res = FunctionCallInvoke(fc);
	error_context_stack = ecb.previous;
	if (fc->isnull)
		elog(ERROR, "pg_learn: teacher \"%s\" gave no probabilities", t->name);
	arr = DatumGetArrayTypeP(res);
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != t->k)
		elog(ERROR, "pg_learn: teacher \"%s\" gave %d probabilities, not %d", t->name, n,
			 (int) t->k);
	for (int j = 0; j < n; j++)
		t->proba[part][t->n[part] * t->k + j] = nulls[j] ? NAN : DatumGetFloat8(elems[j]);
	t->n[part]++;
	MemoryContextSwitchTo(old);
	MemoryContextReset(t->row_cxt);
}

void
pgl_teacher_row_hook(void *arg, TupleTableSlot *slot, int part)
{
	PglTeacher *t = arg;
	bool		should_free;
	HeapTuple	tuple = ExecFetchSlotHeapTuple(slot, false, &should_free);

	pgl_teacher_score(t, tuple, slot->tts_tupleDescriptor, part);
	if (should_free)
		heap_freetuple(tuple);
}

void
pgl_teacher_align(PglTeacher *t, int64 n_train, int64 n_test)
{
	const PglPredictState *st = t->flinfo.fn_extra;

	/* the version pinned is the one that scored (a version number names one id per statement) */
	if (st != NULL && st->cm.version_id != t->version_id)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("teacher \"%s\" changed while the rows were read", t->name),
						errhint("Train again.")));
	if (t->n[PGL_TRAIN] == n_train && t->n[PGL_TEST] == n_test)
		return;
	if (n_test != 0 || t->n[PGL_TRAIN] + t->n[PGL_TEST] != n_train)
		elog(ERROR,
			 "pg_learn: teacher \"%s\" scored " INT64_FORMAT " + " INT64_FORMAT
			 " rows, the student read " INT64_FORMAT " + " INT64_FORMAT,
			 t->name, t->n[PGL_TRAIN], t->n[PGL_TEST], n_train, n_test);
	/* the student moved its hold-out to the training rows: the same here */
	if (t->cap[PGL_TRAIN] < n_train)
	{
		t->proba[PGL_TRAIN] =
			t->proba[PGL_TRAIN]
				? repalloc_huge(t->proba[PGL_TRAIN], sizeof(double) * n_train * t->k)
				: MemoryContextAllocExtended(t->cxt, sizeof(double) * n_train * t->k,
											 MCXT_ALLOC_HUGE);
		t->cap[PGL_TRAIN] = n_train;
	}
	memcpy(t->proba[PGL_TRAIN] + t->n[PGL_TRAIN] * t->k, t->proba[PGL_TEST],
		   sizeof(double) * t->n[PGL_TEST] * t->k);
	t->n[PGL_TRAIN] = n_train;
	t->n[PGL_TEST] = 0;
}

/* map[j]: the student's index of the teacher's class j; ERROR naming both sets unless equal */
static int32 *
class_map(PglTeacher *t, const pgl_model *m)
{
	int32 *map = palloc(sizeof(int32) * t->k);
	bool   same = t->k == m->n_classes;

	for (int32 j = 0; j < t->k; j++)
	{
		map[j] = -1;
		for (int32 c = 0; c < m->n_classes; c++)
			if (strcmp(t->classes[j], m->classes[c]) == 0)
				map[j] = c;
		same &= map[j] >= 0;
	}
	if (!same)
		ereport(
			ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("teacher \"%s\" has the classes {%s}, but the training rows have {%s}", t->name,
					class_list(t->classes, t->k), class_list(m->classes, m->n_classes)),
			 errdetail("The network learns the teacher's probability of each of its classes, "
					   "so both must know the same classes (labels compared as text)."),
			 errhint("Train the teacher on the same target, or filter the data to the "
					 "teacher's classes.")));
	return map;
}

float *
pgl_teacher_soft_targets(PglTeacher *t, const pgl_model *m, int32 k, int64 n, double temperature)
{
	int32	  *map = class_map(t, m);
	float	  *soft = palloc_extended(sizeof(float) * (n * k + 1), MCXT_ALLOC_HUGE);
	double	  *p = palloc(sizeof(double) * t->k);
	double	  *q = palloc(sizeof(double) * t->k);
	pgl_status st;

	Assert(n == t->n[PGL_TRAIN]);
	memset(&st, 0, sizeof(st));
	t->argmax = palloc_extended(sizeof(int32) * (n + 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		const double *row = t->proba[PGL_TRAIN] + i * t->k;
		int32		  best = 0;

		for (int32 j = 0; j < t->k; j++)
			p[map[j]] = row[j];
		for (int32 c = 1; c < t->k; c++)
			if (p[c] > p[best])
				best = c;
		t->argmax[i] = best;
		if (pgl_nn_soften(p, t->k, temperature, q, &st) != PGL_OK)
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("teacher \"%s\" on training row " INT64_FORMAT ": %s", t->name,
								   i + 1, st.msg)));
		if (k == 1)
			soft[i] = (float) q[1];
		else
			for (int32 c = 0; c < k; c++)
				soft[i * k + c] = (float) q[c];
	}
	pfree(p);
	pfree(q);
	return soft;
}

void
pgl_teacher_metrics(StringInfo buf, PglTeacher *t, const pgl_model *m, int64 n, const double *proba,
					double temperature, double weight)
{
	int64 agree = 0;

	for (int64 i = 0; proba && t->argmax && i < n; i++)
	{
		const double *r = proba + i * m->n_classes;
		int32		  best = 0;

		for (int32 c = 1; c < m->n_classes; c++)
			if (r[c] > r[best])
				best = c;
		agree += best == t->argmax[i];
	}
	appendStringInfoString(buf, "{\"name\": ");
	escape_json(buf, t->name);
	appendStringInfo(buf,
					 ", \"algorithm\": \"%s\", \"version\": %d, \"temperature\": %.10g, "
					 "\"distill_weight\": %.10g",
					 t->algorithm, (int) t->version, temperature, weight);
	if (proba && n > 0)
		appendStringInfo(buf, ", \"train_agreement\": %.6f", (double) agree / (double) n);
	appendStringInfoChar(buf, '}');
}
