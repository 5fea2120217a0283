/*-------------------------------------------------------------------------
 *
 * anomaly.h
 *	  Anomaly detection in SQL (anomaly.c): ai_detect_anomalies, which
 *	  dispatches on the model's family, and the training hooks of the
 *	  anomaly task (isolation_forest) in the rows pipeline.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGL_ANOMALY_H
#define PGL_ANOMALY_H

#include "glue.h"

#include "lib/stringinfo.h"

struct PglTrainCall;

/*
 * ERROR unless ai_detect_anomalies can use model m (called name): a family
 * with an anomaly score, or FEATURE_NOT_SUPPORTED for the families whose
 * anomalies are still to come (forecast, neural_net autoencoders).
 */
extern void pgl_anomaly_check_model(const char *name, const pgl_model *m);

/* ai_train's checks of an anomaly family: no target, no "if_better" */
extern void pgl_anomaly_check_train(struct PglTrainCall *c);

/*
 * The training metrics of an anomaly model, scored on its n training rows
 * (X column-major, leading dimension ld): "train": {"n", "anomalies",
 * "anomaly_rate", "mean_score", "threshold"}, and the forest's settings.
 */
extern void pgl_anomaly_metrics(struct PglTrainCall *c, const double *X, int64 ld, int64 n,
								StringInfo buf);

#endif /* PGL_ANOMALY_H */
