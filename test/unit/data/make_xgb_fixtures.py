#!/usr/bin/python3
"""Generate the XGBoost JSON fixtures of test/unit/test_xgb_json.c.

NOT run by the test suite (the unit tests must not need Python): run once
by hand with Debian's /usr/bin/python3 and python3-xgboost (1.7), and
commit the outputs.  For each model NAME it writes

  xgb_NAME.json      Booster.save_model() output (XGBoost's 1.7 JSON schema)
  xgb_NAME.margins   "rows p k", then per row: p inputs (nan = missing),
                     then the k raw margins XGBoost predicts for it
                     (predict(output_margin=True))

Small models (4 features, depth <= 4, a few rounds) so the fixtures stay
readable; the multiclass model is trained with missing values so that
default directions matter; some test rows are missing too.
"""
import os
import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(13)
n, p = 300, 4
X = rng.normal(size=(n, p))
names = ["a", "b", "c", "d"]


def save(name, booster, rows):
    booster.save_model(os.path.join(HERE, "xgb_%s.json" % name))
    m = booster.predict(xgb.DMatrix(rows, missing=np.nan, feature_names=names),
                        output_margin=True)
    m = m.reshape(len(rows), -1)
    with open(os.path.join(HERE, "xgb_%s.margins" % name), "w") as f:
        f.write("%d %d %d\n" % (rows.shape[0], rows.shape[1], m.shape[1]))
        for r, mm in zip(rows, m):
            f.write(" ".join("%.9g" % v for v in r) + " " + " ".join("%.9g" % v for v in mm) + "\n")


def train(params, X, y, rounds):
    base = {"max_depth": 3, "eta": 0.3, "nthread": 1, "seed": 1, "tree_method": "hist"}
    base.update(params)
    return xgb.train(base, xgb.DMatrix(X, label=y, missing=np.nan, feature_names=names), rounds)


rows = rng.normal(size=(12, p))
rows[1, 0] = np.nan
rows[4, 2] = np.nan
rows[7, :] = np.nan
rows[9, 1] = np.nan

y_reg = 2 * X[:, 0] + X[:, 1] ** 2 - X[:, 2] * X[:, 3] + 0.1 * rng.normal(size=n)
save("regression", train({"objective": "reg:squarederror"}, X, y_reg, 6), rows)

y_bin = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.5).astype(float)
save("binary", train({"objective": "binary:logistic", "base_score": 0.3}, X, y_bin, 5), rows)

Xm = X.copy()
Xm[rng.random(size=Xm.shape) < 0.15] = np.nan
y_multi = np.digitize(np.nan_to_num(Xm[:, 0]) + np.nan_to_num(Xm[:, 1]), [-0.7, 0.7])
save("multiclass", train({"objective": "multi:softprob", "num_class": 3, "max_depth": 4},
                         Xm, y_multi, 4), rows)

y_pois = rng.poisson(np.exp(0.5 * X[:, 0] + 0.3 * X[:, 1]))
save("poisson", train({"objective": "count:poisson"}, X, y_pois, 5), rows)
