"""bench/trees_peer.py: the route without pg_learn, for bench/run_trees.

Run with /usr/bin/python3 (Debian's numpy, scikit-learn, xgboost, psycopg2).
Connects through the libpq environment (PGHOST, PGPORT, ...) that
bench/run_trees exports.

  --part a   data A (table tt): psycopg2 execute + fetchall of the rows and of
             ai_holdout(t) (our 80/20 split), one-hot of ca and cb with numpy
             (levels sorted, as bench/trees_setup.sql's tt_arr), then on our
             training rows only: xgboost.XGBRegressor (hist, same parameters
             and threads as ai_train) and scikit-learn's
             HistGradientBoostingRegressor; test RMSE of each on our hold-out.
             Then Booster.save_raw("json") of the XGBRegressor, imported into
             the database with ai_import_model(..., format => 'xgboost_json')
             as model "m_py", and xgboost's inplace_predict over all rows of
             the in-memory array (the rows bench/run_trees scores with
             ai_predict('m_py', x) over tt_arr).
  --part b   Fashion-MNIST (tables fm_train, fm_test: label, p1..p784
             float4): fetch, xgboost.XGBClassifier (multi:softprob, same
             parameters), accuracy on the 10,000 test images.

Every timing (milliseconds, client wall clock, time.perf_counter) goes into
bench_times and the other results into bench_values, next to
bench/run_trees's own measurements.
"""

import argparse
import sys
import time

import numpy as np
import psycopg2
import sklearn
import xgboost
from sklearn.ensemble import HistGradientBoostingRegressor

NUM = ["c%d" % j for j in range(1, 21)]
CATS = ["ca", "cb"]


def log(msg):
    print("peer: " + msg, file=sys.stderr, flush=True)


def ms(t0, t1):
    return 1000.0 * (t1 - t0)


def fetch(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def one_hot(values):
    """one column of strings -> (n x levels) 0/1 float64, levels sorted"""
    levels, inv = np.unique(np.array(values, dtype=object).astype(str), return_inverse=True)
    out = np.zeros((len(values), len(levels)))
    out[np.arange(len(values)), inv] = 1.0
    return out, list(levels)


def xgb_params(args):
    return dict(tree_method="hist", n_estimators=args.n_estimators, max_depth=args.max_depth,
                learning_rate=args.learning_rate, max_bin=args.max_bin, reg_lambda=1.0,
                reg_alpha=0.0, min_child_weight=1.0, subsample=1.0, n_jobs=args.threads,
                random_state=42)


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def part_a(conn, args, times, values):
    ncols = ", ".join(NUM + CATS)
    for r in range(1, args.train_reps + 1):
        t0 = time.perf_counter()
        rows = fetch(conn, "SELECT %s, y, ai_holdout(t) FROM tt t" % ncols)
        t1 = time.perf_counter()
        X = np.array([row[:20] for row in rows], dtype=np.float64)
        oa, la = one_hot([row[20] for row in rows])
        ob, lb = one_hot([row[21] for row in rows])
        X = np.hstack([X, oa, ob])
        y = np.array([row[22] for row in rows], dtype=np.float64)
        hold = np.array([row[23] for row in rows], dtype=bool)
        del rows
        t2 = time.perf_counter()
        Xtr, ytr = X[~hold], y[~hold]
        reg = xgboost.XGBRegressor(**xgb_params(args))
        reg.fit(Xtr, ytr)
        t3 = time.perf_counter()
        times += [("py_fetch", r, ms(t0, t1)), ("py_encode", r, ms(t1, t2)),
                  ("py_xgb_fit", r, ms(t2, t3)), ("py_total", r, ms(t0, t3))]
        log("data A rep %d: fetch %.0f ms, one-hot %.0f ms, XGBRegressor.fit %.0f ms"
            % (r, ms(t0, t1), ms(t1, t2), ms(t2, t3)))
    values["py_levels"] = "ca %s; cb %s" % (la, lb)
    values["py_rows_train"] = int((~hold).sum())
    values["py_rows_test"] = int(hold.sum())
    values["py_xgb_rmse"] = rmse(reg.predict(X[hold]), y[hold])
    log("XGBRegressor test RMSE %.6f on %d rows" % (values["py_xgb_rmse"], hold.sum()))

    hgb = None
    for r in range(1, args.train_reps + 1):
        t0 = time.perf_counter()
        hgb = HistGradientBoostingRegressor(
            max_iter=args.n_estimators, learning_rate=args.learning_rate, max_depth=args.max_depth,
            max_leaf_nodes=2 ** args.max_depth, max_bins=255, l2_regularization=1.0,
            min_samples_leaf=1, early_stopping=False, random_state=42)
        hgb.fit(Xtr, ytr)
        t1 = time.perf_counter()
        times.append(("py_hgb_fit", r, ms(t0, t1)))
        log("HistGradientBoostingRegressor.fit rep %d: %.0f ms" % (r, ms(t0, t1)))
    values["py_hgb_rmse"] = rmse(hgb.predict(X[hold]), y[hold])
    log("HistGradientBoostingRegressor test RMSE %.6f" % values["py_hgb_rmse"])

    # the very same model in both predictors: import it into the database
    booster = reg.get_booster()
    raw = bytes(booster.save_raw(raw_format="json"))
    with conn.cursor() as cur:
        cur.execute("SELECT ai_import_model('m_py', %s, format => 'xgboost_json')",
                    (psycopg2.Binary(raw),))
    values["py_model_json_bytes"] = len(raw)
    for threads in (args.threads, 1):
        booster.set_param({"nthread": threads})
        pred = None
        for r in range(1, args.reps + 1):
            t0 = time.perf_counter()
            pred = booster.inplace_predict(X)
            t1 = time.perf_counter()
            times.append(("py_inplace_%dt" % threads, r, ms(t0, t1)))
        log("inplace_predict, %d rows, nthread %d: %.0f ms (last)" % (len(X), threads, ms(t0, t1)))
    values["py_inplace_sum"] = repr(float(np.sum(pred, dtype=np.float64)))
    # row by row, our walker on the imported model against inplace_predict
    # (tt_arr holds tt's rows in the order of the fetch above)
    ours = np.array(fetch(conn, "SELECT ai_predict('m_py', x) FROM tt_arr"), dtype=np.float64)[:, 0]
    values["same_model_max_abs_diff"] = float(np.max(np.abs(ours - pred))) if len(ours) == len(pred) else "row count differs"
    log("same model, ours vs inplace_predict: max |diff| %s" % values["same_model_max_abs_diff"])
    values["xgboost_version"] = xgboost.__version__
    values["sklearn_version"] = sklearn.__version__
    values["numpy_version"] = np.__version__
    values["psycopg2_version"] = psycopg2.__version__.split()[0]


def part_b(conn, args, times, values):
    cols = ", ".join("p%d" % j for j in range(1, 785))
    clf = None
    for r in range(1, args.train_reps + 1):
        t0 = time.perf_counter()
        rows = fetch(conn, "SELECT %s, label FROM fm_train" % cols)
        X = np.array(rows, dtype=np.float32)
        del rows
        t1 = time.perf_counter()
        Xtr, ytr = X[:, :-1], X[:, -1].astype(np.int64)
        clf = xgboost.XGBClassifier(objective="multi:softprob", **xgb_params(args))
        clf.fit(Xtr, ytr)
        t2 = time.perf_counter()
        times += [("pyb_fetch", r, ms(t0, t1)), ("pyb_xgb_fit", r, ms(t1, t2)),
                  ("pyb_total", r, ms(t0, t2))]
        log("Fashion-MNIST rep %d: fetch %.0f ms, XGBClassifier.fit %.0f ms"
            % (r, ms(t0, t1), ms(t1, t2)))
    T = np.array(fetch(conn, "SELECT %s, label FROM fm_test" % cols), dtype=np.float32)
    acc = float(np.mean(clf.predict(T[:, :-1]) == T[:, -1].astype(np.int64)))
    values["pyb_xgb_accuracy"] = acc
    log("XGBClassifier test accuracy %.4f" % acc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["a", "b"], required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--train-reps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-estimators", type=int, default=100)
    ap.add_argument("--max-depth", type=int, default=6)
    ap.add_argument("--learning-rate", type=float, default=0.3)
    ap.add_argument("--max-bin", type=int, default=256)
    args = ap.parse_args()

    conn = psycopg2.connect("")
    conn.autocommit = True
    times, values = [], {}
    (part_a if args.part == "a" else part_b)(conn, args, times, values)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO bench_times VALUES (%s, %s, %s)", times)
        cur.executemany("INSERT INTO bench_values VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                        "SET value = EXCLUDED.value", [(k, str(v)) for k, v in values.items()])
    conn.close()


if __name__ == "__main__":
    main()
