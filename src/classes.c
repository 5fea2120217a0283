/*-------------------------------------------------------------------------
 *
 * classes.c
 *	  "positive_class", "class_weight" and "threshold": the options of a
 *	  classifier's classes, applied the same way for every classifier
 *	  family (classes.h).
 *
 *-------------------------------------------------------------------------
 */
#include "classes.h"
#include "data_reader.h"

#include "lib/stringinfo.h"

#include "classifier.h"

/* "a", "b", "c": the classes, for messages */
static char *
class_list(const pgl_model *m)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int32 c = 0; c < m->n_classes && c < 20; c++)
		appendStringInfo(&s, "%s\"%s\"", c ? ", " : "", m->classes[c]);
	if (m->n_classes > 20)
		appendStringInfo(&s, " and %d more", m->n_classes - 20);
	return s.data;
}

/*
 * The index of a class named in an option, or -1.  A boolean target's
 * classes are "f" and "t" (boolean's text output); the option may also say
 * false / true (as JSON or text), no / yes, off / on or 0 / 1.
 */
static int32
class_index(const pgl_model *m, const char *label)
{
	static const char *const falses[] = {"false", "no", "off", "0", NULL};
	static const char *const trues[] = {"true", "yes", "on", "1", NULL};

	for (int32 c = 0; c < m->n_classes; c++)
		if (strcmp(m->classes[c], label) == 0)
			return c;
	if (m->target_type != NULL && strcmp(m->target_type, "boolean") == 0)
		for (int i = 0; falses[i]; i++)
		{
			const char *as = pg_strcasecmp(label, falses[i]) == 0  ? "f"
							 : pg_strcasecmp(label, trues[i]) == 0 ? "t"
																   : NULL;

			if (as != NULL)
				return class_index(m, as);
		}
	return -1;
}

/* two-class options on a classifier of more classes */
static void
need_binary(const pgl_model *m, const char *option)
{
	if (m->n_classes != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" needs a binary classifier, but the target has %d classes",
						option, m->n_classes),
				 errdetail("The classes are %s.", class_list(m)),
				 errhint("Leave \"%s\" out: with more than two classes the most probable class "
						 "is predicted.",
						 option)));
}

/* put the positive class at index 1: swap the two classes and the labels */
static void
order_positive(const PglTrainOptions *o, pgl_model *m, int32 *const label[2], const int64 n[2])
{
	int32 pos;

	need_binary(m, "positive_class");
	pos = class_index(m, o->positive_class);
	if (pos < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"positive_class\" is \"%s\", which is not a class of the "
						"training rows",
						o->positive_class),
				 errdetail("The classes are %s.", class_list(m)),
				 errhint("Give one of the classes, written as ai_model_classes() shows it.")));
	if (pos == 1)
		return;
	{
		char *t = m->classes[0];

		m->classes[0] = m->classes[1];
		m->classes[1] = t;
	}
	for (int part = 0; part < 2; part++)
		for (int64 i = 0; i < n[part]; i++)
			if (label[part][i] >= 0)
				label[part][i] = 1 - label[part][i];
}

/* the weight of each class: "balanced" from the training rows, or the given map */
static double *
class_weights(const PglTrainOptions *o, const pgl_model *m, const int32 *label, int64 n)
{
	int32	k = m->n_classes;
	double *w = palloc(sizeof(double) * k);

	if (o->class_weight_balanced)
	{
		int64 *count = palloc0(sizeof(int64) * k);

		for (int64 i = 0; i < n; i++)
			if (label[i] >= 0)
				count[label[i]]++;
		/* scikit-learn's rule: rows / (classes * rows of the class); each class has rows */
		for (int32 c = 0; c < k; c++)
			w[c] = count[c] > 0 ? (double) n / ((double) k * (double) count[c]) : 1.0;
		return w;
	}
	for (int32 c = 0; c < k; c++)
		w[c] = 1.0;
	for (int i = 0; i < o->n_class_weights; i++)
	{
		int32 c = class_index(m, o->class_weight_labels[i]);

		if (c < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"class_weight\" names class \"%s\", which is not a class of "
							"the training rows",
							o->class_weight_labels[i]),
					 errdetail("The classes are %s.", class_list(m)),
					 errhint("Name classes as ai_model_classes() shows them; a class left out "
							 "weighs 1.")));
		w[c] = o->class_weight_values[i];
	}
	return w;
}

const double *
pgl_classes_prepare(const PglTrainOptions *o, const pgl_env *env, pgl_model *m,
					int32 *const label[2], const int64 n[2])
{
	if (o->positive_class != NULL)
		order_positive(o, m, label, n);
	if (o->threshold >= 0)
		need_binary(m, "threshold");
	if (o->class_weight_balanced || o->n_class_weights > 0)
		return class_weights(o, m, label[PGL_TRAIN], n[PGL_TRAIN]);
	return NULL;
}

void
pgl_classes_finish(const PglTrainOptions *o, const pgl_env *env, pgl_model *m)
{
	pgl_status st;

	if (o->threshold < 0)
		return;
	memset(&st, 0, sizeof(st));
	if (pgl_model_set_threshold(env, m, o->threshold, &st) != PGL_OK)
		pgl_report(&st, "could not set the decision threshold");
}

void
pgl_classes_refuse(const PglTrainOptions *o, const char *algorithm, const char *why)
{
	const char *given = o->positive_class								 ? "positive_class"
						: o->threshold >= 0								 ? "threshold"
						: o->class_weight_balanced || o->n_class_weights ? "class_weight"
																		 : NULL;

	if (given != NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option \"%s\" applies to classifiers, but this %s is a regression",
							   given, algorithm),
						errdetail("%s", why), errhint("Leave \"%s\" out.", given)));
}
