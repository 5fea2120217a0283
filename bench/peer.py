"""bench/peer.py: the route without pg_learn, for bench/run.

Run with /usr/bin/python3 (Debian's numpy, scikit-learn, psycopg2).  Connects
through the libpq environment (PGHOST, PGPORT, ...) that bench/run exports,
fetches the rows the way a user would (execute, fetchall, numpy.array) and
fits scikit-learn on them:

  linear:   Ridge(alpha=l2) on all rows of t   (ours: linear_regression, l2)
  logistic: StandardScaler + LogisticRegression(C = 1 / (l2 * n_train)) on an
            80/20 split of t_log               (ours: logistic_regression)

Every timing (milliseconds, client wall clock) goes into bench_times and the
other results into bench_values, next to bench/run's own measurements.
"""

import argparse
import statistics
import sys
import time

import numpy as np
import psycopg2
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["c%d" % j for j in range(1, 21)]


def fetch(conn, sql):
    """execute + fetchall + numpy array: the straightforward client route"""
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    return np.array(rows, dtype=np.float64)


def ms(t0, t1):
    return 1000.0 * (t1 - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--l2-linear", type=float, default=1.0)
    ap.add_argument("--l2-logistic", type=float, default=1e-4)
    ap.add_argument("--lin-model", default="b_lin")
    args = ap.parse_args()

    conn = psycopg2.connect("")
    conn.autocommit = True
    times = []   # (step, rep, ms)
    values = {}

    def log(msg):
        print("peer: " + msg, file=sys.stderr, flush=True)

    # ---- linear: Ridge on all rows ----
    cols = ", ".join(FEATURES)
    ridge = None
    for r in range(1, args.reps + 1):
        t0 = time.perf_counter()
        A = fetch(conn, "SELECT %s, y FROM t" % cols)
        t1 = time.perf_counter()
        X, y = A[:, :-1], A[:, -1]
        ridge = Ridge(alpha=args.l2_linear).fit(X, y)
        t2 = time.perf_counter()
        times += [("f_lin_fetch", r, ms(t0, t1)), ("f_lin_fit", r, ms(t1, t2)),
                  ("f_lin_total", r, ms(t0, t2))]
        log("linear rep %d: fetch %.0f ms, fit %.0f ms" % (r, ms(t0, t1), ms(t1, t2)))
        if r < args.reps:
            del A, X, y
    values["peer_rows"] = X.shape[0]

    # our coefficients against sklearn's
    with conn.cursor() as cur:
        cur.execute("SELECT feature, coefficient FROM ai_model_coefficients(%s)",
                    (args.lin_model,))
        ours = dict(cur.fetchall())
    theirs = dict(zip(FEATURES, ridge.coef_))
    theirs["(intercept)"] = ridge.intercept_
    worst, worst_name = 0.0, None
    for name, b in theirs.items():
        a = ours.get(name)
        rel = float("inf") if a is None else abs(a - b) / max(abs(b), 1e-300)
        if rel >= worst:
            worst, worst_name = rel, name
    values["coef_max_rel_diff"] = worst
    values["coef_worst"] = worst_name
    values["coef_count"] = len(theirs)
    log("coefficients: max relative difference %.3g (%s)" % (worst, worst_name))
    del A, X, y

    # ---- logistic: scaler + LogisticRegression, 80/20 hold-out ----
    acc = []
    for r in range(1, args.reps + 1):
        t0 = time.perf_counter()
        A = fetch(conn, "SELECT %s, yb FROM t_log" % cols)
        t1 = time.perf_counter()
        X, y = A[:, :-1], A[:, -1].astype(np.int64)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=42)
        t2 = time.perf_counter()
        clf = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=1.0 / (args.l2_logistic * len(ytr)), max_iter=200))
        clf.fit(Xtr, ytr)
        t3 = time.perf_counter()
        acc.append(float(clf.score(Xte, yte)))
        times += [("f_log_fetch", r, ms(t0, t1)), ("f_log_fit", r, ms(t2, t3)),
                  ("f_log_total", r, ms(t0, t3))]
        log("logistic rep %d: fetch %.0f ms, fit %.0f ms, accuracy %.4f"
            % (r, ms(t0, t1), ms(t2, t3), acc[-1]))
        del A, X, y, Xtr, Xte, ytr, yte
    values["peer_log_accuracy"] = statistics.median(acc)
    values["peer_log_iterations"] = int(clf[-1].n_iter_[0])
    values["numpy_version"] = np.__version__
    values["sklearn_version"] = sklearn.__version__
    values["psycopg2_version"] = psycopg2.__version__.split()[0]

    with conn.cursor() as cur:
        cur.executemany("INSERT INTO bench_times VALUES (%s, %s, %s)", times)
        cur.executemany("INSERT INTO bench_values VALUES (%s, %s)",
                        [(k, str(v)) for k, v in values.items()])
    conn.close()


if __name__ == "__main__":
    main()
