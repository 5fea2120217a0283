#!/usr/bin/python3
"""Two design measurements behind pg_learn's tree ensembles (issue 13), with
Python's xgboost (the library pg_learn trains with), on fixed synthetic data:

1. float16 split thresholds: round every split threshold of trained models to
   IEEE binary16 (what "storage": "float16" would do to them) and count the
   rows whose prediction changes.  pg_learn keeps thresholds binary32 in every
   storage because of this.
2. xgboost's native categorical splits (hist, enable_categorical) against the
   one-hot encoding pg_learn uses, at several numbers of levels: test RMSE and
   fit time, same parameters and threads.

    /usr/bin/python3 bench/trees_choices.py [rows]      (default 200000)

Prints a Markdown table of each; docs/benchmarks.md quotes a run.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
THREADS = 2
rng = np.random.default_rng(20261205)


def f16_thresholds(model_json):
    m = json.loads(model_json)
    changed = total = 0
    for t in m["learner"]["gradient_booster"]["model"]["trees"]:
        for i, left in enumerate(t["left_children"]):
            if left != -1:
                old = np.float32(t["split_conditions"][i])
                new = np.float32(np.float16(old))
                total += 1
                changed += bool(new != old)
                t["split_conditions"][i] = float(new)
    return json.dumps(m), changed, total


def measure_f16():
    print("## float16 thresholds\n")
    print("| data | splits | thresholds changed by float16 | rows whose prediction changes | largest change / target std |")
    print("|---|---|---|---|---|")
    n = ROWS
    cases = {
        "uniform [0, 1)": rng.random((n, 20)),
        "normal, scale 1000": rng.normal(scale=1000, size=(n, 20)),
        "integers 0..999": rng.integers(0, 1000, size=(n, 20)).astype(float),
    }
    for name, X in cases.items():
        z = (X - X.mean(0)) / X.std(0)
        y = np.sin(2 * z[:, 0]) + z[:, 1] * z[:, 2] + (z[:, 3] > 0.5) + 0.1 * rng.normal(size=n)
        bst = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": THREADS},
                        xgb.DMatrix(X, label=y), 100)
        text, changed, total = f16_thresholds(bst.save_raw("json").decode())
        b16 = xgb.Booster()
        b16.load_model(bytearray(text.encode()))
        p, p16 = bst.inplace_predict(X), b16.inplace_predict(X)
        moved = int(np.sum(p != p16))
        print(f"| {name} | {total} | {changed} ({100 * changed / total:.1f}%) | "
              f"{moved} of {n} ({100 * moved / n:.2f}%) | {np.max(np.abs(p - p16)) / y.std():.3g} |")
    print()


def measure_categorical():
    print("## native categorical splits vs one-hot\n")
    print("| levels | one-hot inputs | one-hot test RMSE | native test RMSE | one-hot fit s | native fit s |")
    print("|---|---|---|---|---|---|")
    n = ROWS
    for levels in (5, 12, 50, 200):
        cat = rng.integers(0, levels, size=n)
        effect = rng.normal(size=levels)
        X = rng.random((n, 8))
        y = effect[cat] * (1 + X[:, 0]) + np.sin(4 * X[:, 1]) + 0.2 * rng.normal(size=n)
        train, test = np.arange(n) < 0.8 * n, np.arange(n) >= 0.8 * n
        onehot = np.hstack([X, np.eye(levels)[cat]])
        native = np.hstack([X, cat[:, None].astype(float)])
        params = {"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": THREADS,
                  "max_cat_to_onehot": 1}
        out = []
        for data, types in ((onehot, None), (native, ["q"] * 8 + ["c"])):
            dtrain = xgb.DMatrix(data[train], label=y[train], feature_types=types,
                                 enable_categorical=types is not None)
            t0 = time.perf_counter()
            bst = xgb.train(params, dtrain, 100)
            fit = time.perf_counter() - t0
            dtest = xgb.DMatrix(data[test], feature_types=types, enable_categorical=types is not None)
            rmse = float(np.sqrt(np.mean((bst.predict(dtest) - y[test]) ** 2)))
            out.append((rmse, fit))
        print(f"| {levels} | {levels} | {out[0][0]:.4f} | {out[1][0]:.4f} | {out[0][1]:.2f} | {out[1][1]:.2f} |")
    print()


if __name__ == "__main__":
    print(f"xgboost {xgb.__version__}, {ROWS} rows, {THREADS} threads, 100 rounds, depth 6\n")
    measure_f16()
    measure_categorical()
