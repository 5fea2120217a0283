"""bench/report.py: the table, the targets and docs/benchmarks.md, from what
bench/run and bench/peer.py stored in bench_times / bench_values.

Run by bench/run with /usr/bin/python3 inside the benchmark's cluster
environment (PGHOST, PGPORT, ...).
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess

import psycopg2


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def openblas_version():
    v = sh("dpkg-query -W -f='${Package} ${Version}\\n' 'libopenblas0*' 2>/dev/null"
           " | grep -v ' $'")
    alt = sh("update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null"
             " | sed -n 's/^Value: //p'")
    out = "; ".join(v.splitlines()) or "unknown"
    if alt:
        out += " (libblas.so.3 -> %s)" % alt
    return out


NOTICE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ \[\d+\] "
                       r"NOTICE:  pg_learn: training \"(\w+)\": (.+)$")
END_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ \[\d+\] "
                    r"LOG:  duration: [\d.]+ ms  statement: .*ai_train\('(\w+)'")


def training_phases(path, model):
    """[(phase, ms)] of one verbose training, from the server log's timestamps
    (the phase NOTICEs, then the statement's duration line)"""
    marks = []
    try:
        with open(path) as f:
            for line in f:
                mt = NOTICE_RE.match(line)
                if mt and mt.group(2) == model:
                    marks.append((mt.group(3).split(" (")[0].strip(), mt.group(1)))
                me = END_RE.match(line)
                if me and me.group(2) == model:
                    marks.append((None, me.group(1)))
    except OSError:
        return []
    ts = [datetime.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f") for _, t in marks]
    return [(marks[i][0], 1000 * (ts[i + 1] - ts[i]).total_seconds())
            for i in range(len(marks) - 1) if marks[i][0] is not None]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--command-env", default="")
    ap.add_argument("--server-log", default="")
    args = ap.parse_args()

    conn = psycopg2.connect("")
    with conn.cursor() as cur:
        cur.execute("""SELECT step, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms),
                              min(ms), max(ms), count(*)
                         FROM bench_times GROUP BY step""")
        med = {s: (m, lo, hi, n) for s, m, lo, hi, n in cur.fetchall()}
        cur.execute("SELECT key, value FROM bench_values")
        val = dict(cur.fetchall())
    conn.close()

    def m(step):
        return med[step][0]

    rows = int(val["rows"])
    a, b, c = m("a_scan"), m("b_lin"), m("c_log")
    d_rec, d_arr, e = m("d_rec"), m("d_arr"), m("e_formula")
    f_lin, f_log = m("f_lin_total"), m("f_log_total")
    acc_ours = float(val["our_log_accuracy"])
    acc_peer = float(val["peer_log_accuracy"])
    coef_diff = float(val["coef_max_rel_diff"])

    # step, what, median, ratio text
    table = [
        ("(a)", "SELECT count(*) FROM t", "a_count", "%.2f x (a)" % (m("a_count") / a)),
        ("(a)", "SELECT sum(c1..c20), sum(y) FROM t  [training floor]", "a_scan", "1.00 x (a)"),
        ("(b)", "ai_train linear_regression, all rows, l2=1", "b_lin", "%.2f x (a)" % (b / a)),
        ("(b)", "  same, pg_learn.threads = 1 (one core)", "b_lin_1t",
         "%.2f x (a)" % (m("b_lin_1t") / a)),
        ("(a)", "  the scan with 2 parallel workers (3 cores' worth)", "a_scan_par",
         "%.2f x (a); (b) = %.2f x this" % (m("a_scan_par") / a, b / m("a_scan_par"))),
        ("(c)", "ai_train logistic_regression, 80/20, l2=1e-4", "c_log", "%.2f x (a)" % (c / a)),
        ("(d)", "sum(ai_predict('b_lin', t)), record form", "d_rec", "%.2f x (e)" % (d_rec / e)),
        ("(d)", "sum(ai_predict('b_lin', ARRAY[c1..c20])), array form", "d_arr",
         "%.2f x (e)" % (d_arr / e)),
        ("(e)", "sum(b + w1*c1 + ... + w20*c20) in SQL  [predict floor]", "e_formula",
         "1.00 x (e)"),
        ("(f)", "peer linear: fetchall + numpy.array", "f_lin_fetch",
         "%.2f x (b)" % (m("f_lin_fetch") / b)),
        ("(f)", "peer linear: Ridge.fit (in-memory arrays)", "f_lin_fit",
         "%.2f x (b)" % (m("f_lin_fit") / b)),
        ("(f)", "peer linear: end to end (fetch + fit)", "f_lin_total",
         "%.2f x (b)" % (f_lin / b)),
        ("(f)", "peer logistic: fetchall + numpy.array", "f_log_fetch",
         "%.2f x (c)" % (m("f_log_fetch") / c)),
        ("(f)", "peer logistic: scaler + LogisticRegression.fit (in memory)", "f_log_fit",
         "%.2f x (c)" % (m("f_log_fit") / c)),
        ("(f)", "peer logistic: end to end (fetch + split + fit)", "f_log_total",
         "%.2f x (c)" % (f_log / c)),
    ]

    targets = [
        ("training linear (b) <= 1.5 x scan (a)", b <= 1.5 * a,
         "%.2f x" % (b / a)),
        ("predict record form (d) <= 3 x SQL formula (e)", d_rec <= 3 * e,
         "%.2f x" % (d_rec / e)),
        ("training linear (b) >= 10 x faster than peer end to end (f)", f_lin >= 10 * b,
         "%.1f x faster" % (f_lin / b)),
        ("coefficients within 1e-6 relative of sklearn Ridge", coef_diff <= 1e-6,
         "max rel diff %.2e over %s coefficients (worst: %s)"
         % (coef_diff, val["coef_count"], val["coef_worst"])),
        ("logistic hold-out accuracy within 0.5 points of sklearn",
         abs(acc_ours - acc_peer) <= 0.005,
         "ours %.4f, sklearn %.4f, diff %+.2f points"
         % (acc_ours, acc_peer, 100 * (acc_ours - acc_peer))),
    ]

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = (args.command_env + " " if args.command_env else "") + args.command
    env = [
        ("date", now),
        ("command", "`%s`" % command),
        ("rows", "{:,} x 20 float8 features (+ y, yb); table {:.0f} MB".format(
            rows, float(val["table_mb"]))),
        ("repetitions", "%s per step, median reported" % val["reps"]),
        ("nproc", sh("nproc")),
        ("CPU", cpu_model()),
        ("load average (at report)", " ".join(sh("cat /proc/loadavg").split()[:3])),
        ("PostgreSQL", val["pg_version"]),
        ("settings", "shared_buffers 512MB, work_mem 256MB, "
         "max_parallel_workers_per_gather 0, jit %s, pg_learn.max_train_memory 4GB"
         % val["jit"]),
        ("OpenBLAS", openblas_version()),
        ("peer", "/usr/bin/python3 %s, numpy %s, scikit-learn %s, psycopg2 %s" % (
            platform.python_version(), val["numpy_version"], val["sklearn_version"],
            val["psycopg2_version"])),
    ]

    # ---- terminal ----
    w = max(len(t[1]) for t in table)
    print()
    print("pg_learn benchmark, %s rows x 20 features, median of %s" % (
        "{:,}".format(rows), val["reps"]))
    print("%-4s %-*s %11s %11s %11s  %s" % ("", w, "step", "median ms", "min ms",
                                          "max ms", "ratio"))
    for tag, what, step, ratio in table:
        mm, lo, hi, _ = med[step]
        print("%-4s %-*s %11.1f %11.1f %11.1f  %s" % (tag, w, what, mm, lo, hi, ratio))
    print()
    for name, ok, detail in targets:
        print("%-4s %s: %s" % ("PASS" if ok else "MISS", name, detail))
    print()
    phase_lines = []
    for model, what in (("p_lin", "linear_regression (b)"),
                        ("p_log", "logistic_regression (c)")):
        ph = training_phases(args.server_log, model)
        if ph:
            total = sum(x for _, x in ph)
            phase_lines.append("%s, one more run, %.0f ms: %s" % (
                what, total, ", ".join("%s %.0f" % (n, x) for n, x in ph)))
    for line in phase_lines:
        print("phases ms: " + line)
    print("prediction sums (sanity): record %s, array %s, formula %s" % (
        val["sum_rec"], val["sum_arr"], val["sum_formula"]))
    print("logistic: ours %s L-BFGS iterations, sklearn %s" % (
        json.loads(val["our_log_metrics"]).get("iterations"), val["peer_log_iterations"]))

    # ---- docs/benchmarks.md ----
    md = []
    md.append("# Benchmarks")
    md.append("")
    md.append("Written by `bench/run` (do not edit by hand; rerun it). Every number "
              "below comes from one run of the script, on one throwaway cluster. The "
              "machine is shared and noisy, so absolute times vary from run to run; "
              "what the targets judge are the ratios, each between steps measured in "
              "the same run, back to back, on the same warm data (the median of %s "
              "repetitions each)." % val["reps"])
    md.append("")
    md.append("## Environment")
    md.append("")
    md.append("| | |")
    md.append("|---|---|")
    for k, v in env:
        md.append("| %s | %s |" % (k, v.replace("|", "\\|")))
    md.append("")
    md.append("## What is measured")
    md.append("")
    md.append("- Data: `bench/setup.sql`, one `INSERT ... SELECT` over "
              "`generate_series` after `setseed(0.42)`: c1..c20 uniform with different "
              "centres and scales; `y` a known linear combination plus noise; `yb` a "
              "binary label drawn from a logistic model of the same features. Then "
              "`VACUUM ANALYZE` and two warm-up scans (the table fits in shared_buffers).")
    md.append("- Steps (a) to (e) are timed in the server with `clock_timestamp()` "
              "around `EXECUTE` (`bench_time()` in `bench/setup.sql`), so no client "
              "transfer is counted; their results are one row.")
    md.append("- (b) `ai_train('b_lin', 'linear_regression', 't', 'y', "
              "'{\"exclude\": [\"yb\"], \"test_size\": 0, \"l2\": 1.0}')`; "
              "(c) `ai_train('b_log', 'logistic_regression', 't_log', 'yb', "
              "'{\"test_size\": 0.2}')` where `t_log` is a view of t without y "
              "(default l2 = 1e-4).")
    md.append("- (e) is the trained model written out as SQL from "
              "`ai_model_coefficients('b_lin')`: `sum(b + w1*c1 + ... + w20*c20)`.")
    md.append("- (f) is `bench/peer.py`, the route without pg_learn: psycopg2 "
              "`execute` + `fetchall` + `numpy.array`, then scikit-learn "
              "`Ridge(alpha=1.0)` on all rows (the same objective as ours, "
              "||y - Xw - b||² + l2 ||w||²), and `StandardScaler` + "
              "`LogisticRegression(C = 1/(l2 n_train), max_iter=200)` on an 80/20 "
              "`train_test_split` (the same objective as ours: mean log-loss + "
              "(l2/2) ||w||² on standardized features). Timed on the client with "
              "`time.perf_counter()`.")
    md.append("")
    md.append("## Results")
    md.append("")
    md.append("| | step | median ms | min ms | max ms | ratio |")
    md.append("|---|---|---:|---:|---:|---|")
    for tag, what, step, ratio in table:
        mm, lo, hi, _ = med[step]
        md.append("| %s | %s | %.1f | %.1f | %.1f | %s |" % (
            tag, what.replace("|", "\\|"), mm, lo, hi, ratio))
    md.append("")
    md.append("## Targets")
    md.append("")
    md.append("| | target | measured |")
    md.append("|---|---|---|")
    for name, ok, detail in targets:
        md.append("| **%s** | %s | %s |" % ("PASS" if ok else "MISS", name, detail))
    md.append("")
    if phase_lines:
        md.append("Where training time goes (one extra training of each model with "
                  "`pg_learn.verbose` on, phase boundaries from the server log's "
                  "millisecond timestamps; scan floor (a) = %.0f ms):" % a)
        md.append("")
        for line in phase_lines:
            md.append("- " + line)
        md.append("")
    lm = json.loads(val["our_log_metrics"])
    md.append("Sanity: the three prediction routes sum to %s (record), %s (array) and "
              "%s (formula). Logistic: ours hold-out accuracy %.4f (ROC AUC %s) after "
              "%s L-BFGS iterations; sklearn hold-out accuracy %.4f after %s." % (
                  val["sum_rec"], val["sum_arr"], val["sum_formula"], acc_ours,
                  lm.get("test", {}).get("roc_auc"), lm.get("iterations"),
                  acc_peer, val["peer_log_iterations"]))
    md.append("")
    # keep the recommender section that bench/run_als writes between its markers
    try:
        with open(args.out) as f:
            old = f.read()
    except OSError:
        old = ""
    for tag in ("als", "nn", "trees"):  # bench/run_als, bench/fashion_mnist/run, bench/run_trees
        b, e = old.find("<!-- %s:begin -->" % tag), old.find("<!-- %s:end -->" % tag)
        if b >= 0 and e > b:
            md.append(old[b:e + len("<!-- %s:end -->" % tag)])
            md.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(md))
    print("wrote %s" % os.path.relpath(args.out))


if __name__ == "__main__":
    main()
