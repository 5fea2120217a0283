"""The anomaly benchmark (bench/anomaly/run): pg_learn's isolation_forest
against scikit-learn's IsolationForest on the same rows (bench/anomaly/data.sql),
both with 100 trees, max_samples "auto" (256), contamination 0.01.

Reports per data set and side: precision and recall of the flagged rows
(at the contamination rate) against the planted anomalies, the ROC AUC of
the scores, the median training and scoring times of REPS runs, and their
ratios.  pg_learn trains with ai_train and scores every row with
ai_detect_anomalies in one query; scikit-learn fits and scores the rows
fetched into numpy (the fetch is not timed), on one thread like pg_learn.
Seeds differ between the sides (each its own generator): quality is compared
in distribution, over SEEDS seeds each.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import psycopg2
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

REPS = int(os.environ.get("BENCH_REPS", "3"))
SEEDS = int(os.environ.get("BENCH_SEEDS", "3"))

SETS = {
    "planted": ("SELECT x1, x2, x3, x4, store FROM anb_planted", "anb_planted",
                ["x1", "x2", "x3", "x4"], "store"),
    "mixture": ("SELECT x1, x2, x3, x4, x5, x6, x7, x8 FROM anb_mixture", "anb_mixture",
                ["x%d" % i for i in range(1, 9)], None),
}


def quality(flag, score, y):
    tp = int(np.sum(flag & y))
    return {"precision": tp / max(int(flag.sum()), 1), "recall": tp / max(int(y.sum()), 1),
            "auc": float(roc_auc_score(y, score))}


def pg_side(cur, name, query, table):
    train, scoring, q = [], [], []
    for seed in range(SEEDS):
        opts = json.dumps({"contamination": 0.01, "seed": seed})
        for _ in range(REPS if seed == 0 else 1):
            t = time.perf_counter()
            cur.execute("SELECT metrics FROM ai_train(%s, 'isolation_forest', %s, options => %s)",
                        ("anb_" + name, query, opts))
            cur.fetchall()
            train.append(time.perf_counter() - t)
        for _ in range(REPS if seed == 0 else 1):
            t = time.perf_counter()
            cur.execute("SELECT count(*) FILTER (WHERE a.is_anomaly), sum(a.score) FROM %s d, "
                        "LATERAL ai_detect_anomalies(%%s, d) a" % table, ("anb_" + name,))
            cur.fetchall()
            scoring.append(time.perf_counter() - t)
        cur.execute("SELECT d.planted, a.is_anomaly, a.score FROM %s d, "
                    "LATERAL ai_detect_anomalies(%%s, d) a ORDER BY d.id" % table, ("anb_" + name,))
        r = cur.fetchall()
        y = np.array([x[0] for x in r])
        q.append(quality(np.array([x[1] for x in r]), np.array([x[2] for x in r]), y))
    return statistics.median(train), statistics.median(scoring), q


def sk_side(cur, table, cols, cat):
    sel = ", ".join(cols + ([cat] if cat else []))
    cur.execute("SELECT planted, %s FROM %s ORDER BY id" % (sel, table))
    r = cur.fetchall()
    y = np.array([x[0] for x in r])
    X = np.array([x[1:1 + len(cols)] for x in r], dtype=float)
    if cat:
        levels = sorted({x[-1] for x in r})
        X = np.hstack([X, np.array([[float(x[-1] == lv) for lv in levels] for x in r])])
    train, scoring, q = [], [], []
    for seed in range(SEEDS):
        for _ in range(REPS if seed == 0 else 1):
            t = time.perf_counter()
            f = IsolationForest(n_estimators=100, max_samples="auto", contamination=0.01,
                                random_state=seed).fit(X)
            train.append(time.perf_counter() - t)
        for _ in range(REPS if seed == 0 else 1):
            t = time.perf_counter()
            s = -f.score_samples(X)
            flag = s > -f.offset_
            scoring.append(time.perf_counter() - t)
        q.append(quality(flag, s, y))
    return statistics.median(train), statistics.median(scoring), q, len(y)


def mean(q, k):
    return sum(x[k] for x in q) / len(q)


def main():
    con = psycopg2.connect("")
    con.autocommit = True
    cur = con.cursor()
    cur.execute("SET pg_learn.threads = 1")
    rows = []
    for name, (query, table, cols, cat) in SETS.items():
        st, ss, sq, n = sk_side(cur, table, cols, cat)
        pt, ps, pq = pg_side(cur, name, query, table)
        rows.append((name, n, pq, sq, pt, st, ps, ss))
        print(f"{name}: n={n} pg_learn P={mean(pq, 'precision'):.3f} R={mean(pq, 'recall'):.3f} "
              f"AUC={mean(pq, 'auc'):.4f} train={pt:.3f}s score={ps:.3f}s | sklearn "
              f"P={mean(sq, 'precision'):.3f} R={mean(sq, 'recall'):.3f} AUC={mean(sq, 'auc'):.4f} "
              f"train={st:.3f}s score={ss:.3f}s", file=sys.stderr)
    out = ["| data | rows | side | precision | recall | ROC AUC | training s | scoring s |",
           "|---|---:|---|---:|---:|---:|---:|---:|"]
    for name, n, pq, sq, pt, st, ps, ss in rows:
        for side, q, t, s in (("pg_learn", pq, pt, ps), ("scikit-learn", sq, st, ss)):
            out.append(f"| {name} | {n:,} | {side} | {mean(q, 'precision'):.3f} | "
                       f"{mean(q, 'recall'):.3f} | {mean(q, 'auc'):.4f} | {t:.3f} | {s:.3f} |")
        out.append(f"| {name} | | pg_learn / scikit-learn time | | | | {pt / st:.2f}x | "
                   f"{ps / ss:.2f}x |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
