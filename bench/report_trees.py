"""bench/report_trees.py: the table, the targets and the "Tree ensembles"
section of docs/benchmarks.md (between <!-- trees:begin --> and
<!-- trees:end -->), from what bench/run_trees and bench/trees_peer.py stored
in bench_times / bench_values, the training NOTICEs and pgbench's
per-transaction logs in the cluster's directory.

Run by bench/run_trees with /usr/bin/python3 inside the benchmark's cluster
environment (PGHOST, PGPORT, ...).
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re

import psycopg2

BEGIN, END = "<!-- trees:begin -->", "<!-- trees:end -->"
NOTICE_RE = re.compile(r'NOTICE:  pg_learn: training "\w+": (.+?)(?: \(previous phase ([\d.]+) ms\))?$')


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def phases(path):
    """[(phase, ms)] of the last training in a file of verbose NOTICEs"""
    runs = []
    try:
        with open(path) as f:
            for line in f:
                mt = NOTICE_RE.search(line.rstrip("\n"))
                if not mt:
                    continue
                name, prev = mt.group(1), mt.group(2)
                if prev is None:
                    runs.append([[name, None]])
                elif runs:
                    runs[-1][-1][1] = float(prev)
                    if name != "done":
                        runs[-1].append([name, None])
    except OSError:
        return []
    return [(n, ms) for n, ms in runs[-1] if ms is not None] if runs else []


def percentile(xs, p):
    if not xs:
        return float("nan")
    i = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[i]


def latencies(prefix):
    """sorted per-transaction latencies (µs) from pgbench --log files"""
    lat = []
    for path in glob.glob(prefix + ".*"):
        if path.endswith((".sql", ".out")):
            continue
        with open(path) as f:
            for line in f:
                cols = line.split()
                if len(cols) >= 3 and cols[1].isdigit() and cols[2].isdigit():
                    lat.append(int(cols[2]))
    return sorted(lat)


def load(dsn=""):
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("""SELECT step, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms),
                              min(ms), max(ms), count(*)
                         FROM bench_times GROUP BY step""")
        med = {s: (m, lo, hi, n) for s, m, lo, hi, n in cur.fetchall()}
        cur.execute("SELECT key, value FROM bench_values")
        val = dict(cur.fetchall())
    conn.close()
    return med, val


def load_files(d):
    """the same from the copies bench/run_trees keeps in bench/out/trees/"""
    times, val = {}, {}
    with open(os.path.join(d, "bench_times.tsv")) as f:
        for line in f:
            step, _, ms = line.rstrip("\n").split("\t")
            times.setdefault(step, []).append(float(ms))
    with open(os.path.join(d, "bench_values.tsv")) as f:
        for line in f:
            k, v = line.rstrip("\n").split("\t", 1)
            val[k] = v.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    # percentile_disc(0.5): the lower middle value
    med = {s: (sorted(x)[(len(x) - 1) // 2], min(x), max(x), len(x)) for s, x in times.items()}
    return med, val


def build(med, val, d):
    """(results rows, target rows, notes) from the measurements"""
    m = lambda s: med[s][0]  # noqa: E731
    rows = int(val["rows"])
    mt = json.loads(val["b_train_metrics"])
    ntest = int(mt.get("rows_test", 0))
    rps = lambda s, n: "%.2f M rows/s" % (n / m(s) / 1000.0)  # noqa: E731
    a, b, fit, tot = m("a_scan"), m("b_train"), m("py_xgb_fit"), m("py_total")
    res = [
        ("A", "scan: sum of every column of tt", "a_scan", "1.00 x (a)"),
        ("A", "ai_holdout(t) over every row (the split the peer fetches)", "a_holdout",
         "%.2f x (a)" % (m("a_holdout") / a)),
        ("A", "ai_train xgboost, 100 rounds, depth 6, 80/20", "b_train",
         "%.2f x (a); %.2f x peer fit" % (b / a, b / fit)),
        ("A", "peer: execute + fetchall (rows and ai_holdout)", "py_fetch", "%.2f x ours" % (m("py_fetch") / b)),
        ("A", "peer: one-hot of ca, cb with numpy", "py_encode", ""),
        ("A", "peer: XGBRegressor(hist).fit, training rows", "py_xgb_fit", "%.2f x ours" % (fit / b)),
        ("A", "peer: end to end (fetch + one-hot + fit)", "py_total", "%.2f x ours" % (tot / b)),
        ("A", "peer: HistGradientBoostingRegressor.fit", "py_hgb_fit", "%.2f x ours" % (m("py_hgb_fit") / b)),
        ("A", "sum(ai_predict('m', r)) over tt, record form", "d_rec", rps("d_rec", rows)),
        ("A", "sum(ai_predict('m_py', x)) over tt_arr, float8[] form", "d_arr_py", rps("d_arr_py", rows)),
        ("A", "  the same with 2 parallel workers", "d_arr_py_par", rps("d_arr_py_par", rows)),
        ("A", "  floor: sum(x[1]) over tt_arr", "d_arr_scan", rps("d_arr_scan", rows)),
        ("A", "xgboost inplace_predict of m_py, in-memory array, nthread 2", "py_inplace_2t",
         rps("py_inplace_2t", rows)),
        ("A", "  the same, nthread 1", "py_inplace_1t", rps("py_inplace_1t", rows)),
    ]
    our_rmse = float(mt["test"]["rmse"])
    py_rmse = float(val["py_xgb_rmse"])
    rel = abs(our_rmse - py_rmse) / py_rmse
    best = min(("py_inplace_2t", "py_inplace_1t"), key=m)
    ours_rps, xgb_rps = 1000.0 * rows / m("d_arr_py"), 1000.0 * rows / m(best)
    lat = {k: latencies(os.path.join(d, "lat_" + k)) for k in ("floor", "rec", "arr")}
    tg = [
        ("A: ai_train <= peer XGBRegressor.fit + 1.5 x scan", b <= fit + 1.5 * a,
         "%.0f ms vs %.0f + 1.5 x %.0f = %.0f ms" % (b, fit, a, fit + 1.5 * a)),
        ("A: >= 5 x faster than the peer end to end", tot >= 5 * b,
         "%.2f x (peer %.0f ms, ours %.0f ms)" % (tot / b, tot, b)),
        ("A: our predictor's rows/s (one backend) >= xgboost inplace_predict's (same model, "
         "the faster of nthread 2 and 1)", ours_rps >= xgb_rps,
         "%.2f M vs %.2f M rows/s (nthread %s): %.2f x"
         % (ours_rps / 1e6, xgb_rps / 1e6, best[-2], ours_rps / xgb_rps)),
        ("A: single-row ai_predict('m', r) median latency < 0.1 ms",
         percentile(lat["rec"], 50) < 100, "median %.3f ms, p99 %.3f ms (SELECT 1: median %.3f ms)"
         % (percentile(lat["rec"], 50) / 1e3, percentile(lat["rec"], 99) / 1e3,
            percentile(lat["floor"], 50) / 1e3)),
        ("A: test RMSE within 0.5% of the peer's XGBRegressor", rel <= 0.005,
         "ours %.6f, peer %.6f (%.3f%%); HistGradientBoosting %.6f"
         % (our_rmse, py_rmse, 100 * rel, float(val["py_hgb_rmse"]))),
    ]
    if "f_train" in med:
        fb, ff, fs, ft = m("f_train"), m("pyb_xgb_fit"), m("f_scan"), m("pyb_total")
        res += [
            ("B", "scan: sum of the 784 pixel columns of fm_train", "f_scan", "1.00 x (scan)"),
            ("B", "ai_train xgboost multi:softprob, %s rounds, depth 6" % val["mnist_trees"],
             "f_train", "%.2f x peer fit" % (fb / ff)),
            ("B", "count(ai_classify('fm', r)) over fm_test (10,000 rows)", "f_classify",
             rps("f_classify", 10000)),
            ("B", "peer: execute + fetchall + numpy.array", "pyb_fetch", "%.2f x ours" % (m("pyb_fetch") / fb)),
            ("B", "peer: XGBClassifier(hist).fit", "pyb_xgb_fit", "%.2f x ours" % (ff / fb)),
            ("B", "peer: end to end (fetch + fit)", "pyb_total", "%.2f x ours" % (ft / fb)),
        ]
        oa, pa = float(val["f_accuracy"]), float(val["pyb_xgb_accuracy"])
        tg += [
            ("B: ai_train <= peer XGBClassifier.fit + 1.5 x scan", fb <= ff + 1.5 * fs,
             "%.0f ms vs %.0f + 1.5 x %.0f = %.0f ms" % (fb, ff, fs, ff + 1.5 * fs)),
            ("B: >= 5 x faster than the peer end to end", ft >= 5 * fb,
             "%.2f x (peer %.0f ms, ours %.0f ms)" % (ft / fb, ft, fb)),
            ("B: test accuracy within 0.5% of the peer's XGBClassifier",
             abs(oa - pa) / pa <= 0.005, "ours %.4f, peer %.4f on the 10,000 test images" % (oa, pa)),
        ]
    notes = []
    for step, what in (("b_train", "data A"), ("f_train", "Fashion-MNIST")):
        ph = phases(os.path.join(d, step + ".notices"))
        if ph:
            notes.append("ai_train phases, %s (ms, from pg_learn.verbose): %s" % (
                what, ", ".join("%s %.0f" % (n, x) for n, x in ph)))
    for k, what in (("floor", "SELECT 1"), ("rec", val.get("lat_rec_sql", "")),
                    ("arr", "SELECT ai_predict('m_py', '{...37 values}'::float8[])")):
        xs = lat[k]
        if xs:
            notes.append("pgbench -M prepared -c 1, `%s`: %d calls, median %.3f ms, p99 %.3f ms"
                         % (what, len(xs), percentile(xs, 50) / 1e3, percentile(xs, 99) / 1e3))
    notes.append("same model (m_py) in both predictors: max |ours - inplace_predict| over all "
                 "rows %s; sums ours %s, xgboost %s; our own training and the peer's give the "
                 "same trees: %s" % (val.get("same_model_max_abs_diff"), val.get("sum_arr_py"),
                                     val.get("py_inplace_sum"), val.get("same_trees")))
    return res, tg, notes, ntest


def render(med, val, res, tg, notes, ntest, command, when=None):
    rows = int(val["rows"])
    now = val.get("finished") or (when or datetime.datetime.now(datetime.timezone.utc)).strftime(
        "%Y-%m-%d %H:%M UTC")
    env = [
        ("date", now),
        ("command", "`%s`" % command),
        ("data A", "{:,} rows x 20 float8 + 2 text (5 and 12 levels; 37 inputs one-hot); "
         "table {:.0f} MB; hold-out {:,} rows".format(rows, float(val["table_mb"]), ntest)),
        ("threads", "%s on both sides (pg_learn.threads, n_jobs / nthread, OMP_NUM_THREADS); "
         "nproc %d" % (val["threads"], os.cpu_count() or 0)),
        ("repetitions", "%s per fast step, %s per training; median reported"
         % (val["reps"], val["train_reps"])),
        ("CPU", cpu_model()),
        ("load average", "%s at the start, %s at the end (the machine is shared)"
         % (val["load_start"], val["load_end"])),
        ("PostgreSQL", val["pg_version"]),
        ("settings", "shared_buffers 512MB, work_mem 256MB, max_parallel_workers_per_gather 0, "
         "jit %s, pg_learn.max_train_memory 8GB" % val["jit"]),
        ("peer", "/usr/bin/python3 %s, xgboost %s, scikit-learn %s, numpy %s, psycopg2 %s" % (
            platform.python_version(), val["xgboost_version"], val["sklearn_version"],
            val["numpy_version"], val["psycopg2_version"])),
    ]
    if "mnist_trees" in val:
        env.append(("data B", "Fashion-MNIST, fm_train 60,000 x 784 float4 (%.0f MB), fm_test "
                    "10,000; %s boosting rounds (x 10 classes)" % (float(val["fm_table_mb"]),
                                                                  val["mnist_trees"])))
    md = ["## Tree ensembles (issue 13)", "",
          "Written by `bench/run_trees` (do not edit by hand; rerun it). One run, one "
          "throwaway cluster; the ratios compare steps of the same run.", "",
          "| | |", "|---|---|"]
    md += ["| %s | %s |" % (k, v.replace("|", "\\|")) for k, v in env]
    md += ["", "### What is measured", ""]
    md += [
        "- Data A: `bench/trees_setup.sql` after `setseed(0.13)`: c1..c20 uniform on (-2, 2), "
        "ca 5 and cb 12 levels with unequal frequencies, y = 2 sin(1.5 c1) + 3 c3 [c2 > 0.5] + "
        "c4 c5 + |c6| + 2 [c7 > 0 and c8 < 0] + 0.5 c10² + e(ca) + c9 g(cb) + 0.4 c11 - 0.3 c12 "
        "+ N(0, 1) (c13..c20 are noise). `tt_arr` holds the same rows as the 37 inputs of the "
        "peer's one-hot (float8[]).",
        "- Ours: `ai_train('m', 'xgboost', 'tt', 'y', '%s')` (80/20 hold-out, seed 42, "
        "`pg_learn.threads = 2`), timed in the server with `clock_timestamp()` around the "
        "whole call (read, encode, train, evaluate, store)." % val["b_train_options"],
        "- Peer (`bench/trees_peer.py`): psycopg2 `execute` + `fetchall` of tt with "
        "`ai_holdout(t)` (our split, so both train and test on the same rows), one-hot with "
        "numpy, `XGBRegressor(tree_method='hist', n_estimators=100, max_depth=6, "
        "learning_rate=0.3, max_bin=256, reg_lambda=1, n_jobs=2)` on our training rows; "
        "`HistGradientBoostingRegressor(max_iter=100, learning_rate=0.3, max_depth=6, "
        "max_leaf_nodes=64, max_bins=255, l2_regularization=1, min_samples_leaf=1, "
        "early_stopping=False)` on the same arrays (OMP_NUM_THREADS=2). Client wall clock.",
        "- Same-model prediction: the peer's XGBRegressor saved as JSON "
        "(`Booster.save_raw('json')`) and imported with `ai_import_model('m_py', ..., format "
        "=> 'xgboost_json')`; ours `sum(ai_predict('m_py', x))` over tt_arr (one backend, "
        "then 2 parallel workers), xgboost's `inplace_predict` over the whole in-memory "
        "float64 array.",
        "- Single-row latency: `pgbench -n -M prepared -c 1 -T %s` per statement, median and "
        "p99 over every transaction of the per-transaction log (client side, unix socket)."
        % val.get("pgbench_seconds", "10"),
    ]
    if "mnist_trees" in val:
        md.append("- Data B: `bench/fashion_mnist/load.py` then `bench/trees_mnist.sql`: "
                  "label + p1..p784 float4. `ai_train('fm', 'xgboost', 'fm_train', 'label', "
                  "'%s')` against `XGBClassifier` with the same parameters, fed by psycopg2 from "
                  "the same table; accuracy of both on fm_test. The rounds are reduced to %s "
                  "to keep the run within the time of a shared 2-core machine."
                  % (val["f_train_options"], val["mnist_trees"]))
    md += ["", "### Results", "", "| | step | median ms | min ms | max ms | ratio / rate |",
           "|---|---|---:|---:|---:|---|"]
    for tag, what, step, ratio in res:
        mm, lo, hi, _ = med[step]
        md.append("| %s | %s | %.1f | %.1f | %.1f | %s |" % (tag, what, mm, lo, hi, ratio))
    md += ["", "### Targets", "", "| | target | measured |", "|---|---|---|"]
    md += ["| **%s** | %s | %s |" % ("PASS" if ok else "MISS", n, x) for n, ok, x in tg]
    md += [""] + ["- " + n for n in notes]
    # the hand-written reading of the figures (why a target is missed)
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        with open(os.path.join(here, "trees_analysis.md")) as f:
            md += ["", f.read().rstrip("\n")]
    except OSError:
        pass
    return md


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bench/run_trees")
    ap.add_argument("--dir", required=True, help="the cluster's directory (notices, pgbench logs)")
    ap.add_argument("--from-files", action="store_true",
                    help="read --dir's bench_times.tsv and bench_values.tsv (bench/out/trees, "
                    "kept by bench/run_trees) instead of the database: render again")
    args = ap.parse_args()
    when = None
    if args.from_files:
        med, val = load_files(args.dir)
        when = datetime.datetime.fromtimestamp(
            os.path.getmtime(os.path.join(args.dir, "bench_values.tsv")), datetime.timezone.utc)
    else:
        med, val = load()
    res, tg, notes, ntest = build(med, val, args.dir)

    w = max(len(r[1]) for r in res)
    print("\npg_learn tree benchmark, %s rows" % "{:,}".format(int(val["rows"])))
    print("%-2s %-*s %11s %11s %11s  %s" % ("", w, "step", "median ms", "min ms", "max ms", "ratio"))
    for tag, what, step, ratio in res:
        mm, lo, hi, _ = med[step]
        print("%-2s %-*s %11.1f %11.1f %11.1f  %s" % (tag, w, what, mm, lo, hi, ratio))
    print()
    for n, ok, x in tg:
        print("%-4s %s: %s" % ("PASS" if ok else "MISS", n, x))
    print()
    for n in notes:
        print(n)

    section = "\n".join(render(med, val, res, tg, notes, ntest, args.command, when))
    try:
        with open(args.out) as f:
            old = f.read()
    except OSError:
        old = ""
    block = BEGIN + "\n" + section.rstrip("\n") + "\n" + END
    b, e = old.find(BEGIN), old.find(END)
    if b >= 0 and e > b:
        new = old[:b] + block + old[e + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(args.out, "w") as f:
        f.write(new)
    print("wrote %s" % os.path.relpath(args.out))


if __name__ == "__main__":
    main()
