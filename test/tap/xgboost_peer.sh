#!/usr/bin/env bash
# Tree models against the library itself (Python's xgboost, /usr/bin/python3):
#  - a model trained by ai_train, exported with format => 'xgboost_json',
#    loads in xgboost.Booster and predicts what ai_predict predicts;
#  - models trained by Python (regression, binary, multiclass, poisson, with
#    missing values) imported with format => 'xgboost_json' predict what
#    Python predicts, and ai_explain's contributions equal pred_contribs.
# Tolerances: predictions to float32 rounding (XGBoost sums in binary32, we in
# binary64): 1e-6 relative per tree; contributions to 1e-5.
set -u
. "$(dirname "$0")/lib.sh"
db=pgl_xgb_peer
PY=/usr/bin/python3
q postgres "DROP DATABASE IF EXISTS $db"
q postgres "CREATE DATABASE $db"
q $db "CREATE EXTENSION pg_learn"
q $db "SET pg_learn.threads = 1" >/dev/null
q $db "CREATE TABLE d AS
         SELECT i AS id,
                CASE WHEN i % 9 = 0 THEN NULL ELSE sin(i * 0.37) END AS a,
                cos(i * 0.11) AS b, ((i * 13) % 17)::float8 / 17 AS c,
                (ARRAY['u', 'v', 'w'])[1 + i % 3] AS g
           FROM generate_series(1, 800) i;
       ALTER TABLE d ADD COLUMN y float8, ADD COLUMN k text;
       UPDATE d SET y = coalesce(a, 2) * b + c * c + CASE g WHEN 'v' THEN 1 ELSE 0 END,
                    k = CASE WHEN coalesce(a, 0) > 0.3 THEN 'hi' WHEN c > 0.5 THEN 'mid' ELSE 'lo' END"
q $db "SELECT version FROM ai_train('reg', 'xgboost', 'd', 'y', '{\"exclude\": [\"id\", \"k\"], \"n_estimators\": 25}')" >/dev/null
q $db "SELECT version FROM ai_train('mc', 'xgboost', 'd', 'k', '{\"exclude\": [\"id\", \"y\"], \"n_estimators\": 10}')" >/dev/null
q $db "SELECT version FROM ai_train('rf', 'random_forest', 'd', 'y', '{\"exclude\": [\"id\", \"k\"], \"n_estimators\": 15}')" >/dev/null

out=$(PGDATABASE=$db "$PY" - <<'EOF' 2>&1
import json, math, sys
import numpy as np, psycopg2, xgboost as xgb

con = psycopg2.connect("")
cur = con.cursor()
def q(sql, *args):
    cur.execute(sql, args)
    return cur.fetchall()

def rel(a, b, trees):
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) / max(trees, 1)

# 1. ours -> xgboost: the one-hot inputs in our order (g: u, v, w)
rows = q("SELECT a, b, c, (g = 'u')::int, (g = 'v')::int, (g = 'w')::int FROM d ORDER BY id")
X = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float32)
for name, proba in (("reg", False), ("mc", True), ("rf", False)):
    blob = q("SELECT ai_export_model(%s, format => 'xgboost_json')", name)[0][0]
    bst = xgb.Booster()
    bst.load_model(bytearray(bytes(blob)))
    theirs = bst.inplace_predict(X)
    if proba:
        ours = np.array([r[0] for r in q("SELECT ai_predict_proba(%s, r) FROM d r ORDER BY id", name)])
    else:
        ours = np.array([r[0] for r in q("SELECT ai_predict(%s, r) FROM d r ORDER BY id", name)])
    ntrees = len(json.loads(bytes(blob))["learner"]["gradient_booster"]["model"]["trees"])
    err = rel(ours, theirs, ntrees)
    print(("ok" if err <= 1e-6 else "not ok") + f" - {name}: exported model loads in xgboost {xgb.__version__} and predicts as ai_predict ({ntrees} trees, worst {err:.2g} per tree)")

# 2. xgboost -> ours: Python trains on fixed data with missing values
rng = np.random.default_rng(20261205)
n, p = 600, 4
Z = rng.normal(size=(n, p)).astype(np.float32)
Z[rng.random(size=(n, p)) < 0.1] = np.nan
z0 = np.nan_to_num(Z[:, 0], nan=1.0)
yr = np.sin(2 * z0) + np.nan_to_num(Z[:, 1]) * np.nan_to_num(Z[:, 2]) + 0.1 * rng.normal(size=n)
yb = (yr > 0.2).astype(float)
ym = np.digitize(yr, [-0.5, 0.5]).astype(float)
yp = rng.poisson(np.exp(0.5 * z0.clip(-2, 2)))
cases = [("py_reg", {"objective": "reg:squarederror"}, yr, None),
         ("py_bin", {"objective": "binary:logistic"}, yb, "binary"),
         ("py_multi", {"objective": "multi:softprob", "num_class": 3}, ym, "multi"),
         ("py_pois", {"objective": "count:poisson"}, yp, None)]
cols = ", ".join(f"%s::float8 AS f{j}" for j in range(p))
for name, params, y, kind in cases:
    params = dict(params, tree_method="hist", max_depth=4, eta=0.3, nthread=1, seed=3)
    bst = xgb.train(params, xgb.DMatrix(Z, label=y), 15)
    raw = bst.save_raw("json")
    q("SELECT ai_import_model(%s, %s, format => 'xgboost_json')", name, psycopg2.Binary(bytes(raw)))
    con.commit()
    dm = xgb.DMatrix(Z)
    ntrees = len(json.loads(bytes(raw))["learner"]["gradient_booster"]["model"]["trees"])
    theirs = bst.predict(dm)
    worst = 0.0
    worst_phi = 0.0
    contribs = bst.predict(dm, pred_contribs=True)
    for i in range(0, n, 7):
        vals = [None if math.isnan(v) else float(v) for v in Z[i]]
        if kind is None:
            ours = q(f"SELECT ai_predict(%s, r) FROM (SELECT {cols}) r", name, *vals)[0][0]
            ref = float(theirs[i])
            worst = max(worst, abs(ours - ref) / max(1.0, abs(ref)) / ntrees)
        else:
            ours = np.array(q(f"SELECT ai_predict_proba(%s, r) FROM (SELECT {cols}) r", name, *vals)[0][0])
            ref = np.array([1 - theirs[i], theirs[i]]) if kind == "binary" else theirs[i]
            worst = max(worst, rel(ours, ref, ntrees))
        # ai_explain explains the predicted class (binary: the second class)
        ex = q(f"SELECT feature, contribution FROM (SELECT {cols}) r, ai_explain(%s, r)", *vals, name)
        got = dict(ex)
        c = contribs[i]
        if kind == "multi":
            c = c[int(np.argmax(theirs[i]))]
        ref_phi = {f"f{j}": c[j] for j in range(p)}
        ref_phi["(base)"] = c[p]
        worst_phi = max(worst_phi, max(abs(got[k] - float(v)) for k, v in ref_phi.items()))
    print(("ok" if worst <= 1e-6 else "not ok") + f" - {name}: Python's model imports and predicts as Python ({ntrees} trees, worst {worst:.2g} per tree)")
    print(("ok" if worst_phi <= 1e-5 else "not ok") + f" - {name}: ai_explain equals xgboost's pred_contribs (worst {worst_phi:.2g})")
EOF
)
rc=$?
n_ok=0
while read -r line; do
  [ -z "$line" ] && continue
  if [[ $line == ok* ]]; then ok 0 "${line#ok - }"; n_ok=$((n_ok + 1)); else ok 1 "${line#not ok - }"; fi
done <<<"$(echo "$out" | grep -E '^(not )?ok')"
[ $rc -ne 0 ] && { echo "$out" | grep -v -E '^(not )?ok' | sed 's/^/# /' | tail -20; }
ok $rc "the Python peer ran to the end"
is "$n_ok" "11" "eleven comparisons with the library passed"
q postgres "DROP DATABASE $db"
done_testing
