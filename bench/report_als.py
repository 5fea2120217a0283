"""bench/report_als.py: the recommender benchmark's table, targets and the
section of docs/benchmarks.md between <!-- als:begin --> and <!-- als:end -->,
from what bench/run_als and bench/als_numpy.py stored in als_times /
als_values, and from pgbench's per-transaction log.

Run by bench/run_als with /usr/bin/python3 inside the benchmark's cluster
environment (PGHOST, PGPORT, ...).

Flop model (one iteration = all users, then all items; 1 multiply-add = 2
flops; only the useful work, no padding), with n = training ratings,
R = n_users + n_items, k = factors, s = cg_steps:

  explicit  2 n [(k+1)(k+2) + 2(k+1)]       Gram matrices (upper triangle) and
                                            right-hand sides, each rating once
                                            per side
            + R [(k+1)^3/3 + 2 (k+1)^2]     Cholesky and the two triangular solves
  implicit  R k(k+1)                        YᵀY by SSYRK, once per side
            + (s+1) [2 k^2 R + 8 k n]       per row: the initial residual and s
                                            CG products, each (YᵀY + l2 I) v
                                            (2k^2) and Y_Iᵀ(c' .* (Y_I v))
                                            (4 k per rating)
            + 2 k^2 n_items + 2 k n         the objective (item side)
"""

import argparse
import datetime
import glob
import json
import os
import re
import statistics
import sys

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model, openblas_version, sh  # noqa: E402

BEGIN = "<!-- als:begin -->"
END = "<!-- als:end -->"


def flops_explicit(n, users, items, k):
    k1 = k + 1
    return 2 * n * (k1 * (k1 + 1) + 2 * k1) + (users + items) * (k1 ** 3 / 3 + 2 * k1 ** 2)


def flops_implicit(n, users, items, k, s):
    r = users + items
    return r * k * (k + 1) + (s + 1) * (2 * k * k * r + 8 * k * n) + 2 * k * k * items + 2 * k * n


def percentile(sorted_xs, p):
    """nearest-rank percentile of a sorted list"""
    if not sorted_xs:
        return float("nan")
    i = max(0, min(len(sorted_xs) - 1, int(round(p / 100.0 * len(sorted_xs) + 0.5)) - 1))
    return sorted_xs[i]


def pgbench_latencies(prefix):
    """per-transaction latencies (µs) from pgbench --log files, and the first
    transaction of each client (a new backend: the model is loaded then)"""
    lat, first = [], {}
    for path in sorted(glob.glob(prefix + ".*")):
        with open(path) as f:
            for line in f:
                cols = line.split()
                if len(cols) < 3 or not cols[1].isdigit() or not cols[2].isdigit():
                    continue
                us = int(cols[2])
                lat.append(us)
                key = (path, cols[0])
                if key not in first or int(cols[1]) < first[key][0]:
                    first[key] = (int(cols[1]), us)
    return sorted(lat), [us for _, us in first.values()]


def replace_section(path, section):
    """put section between the markers of path (or append it), rest as is"""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = ""
    block = BEGIN + "\n" + section.rstrip("\n") + "\n" + END
    b, e = old.find(BEGIN), old.find(END)
    if b >= 0 and e > b:
        new = old[:b] + block + old[e + len(END):]
    else:
        new = old.rstrip("\n") + ("\n\n" if old.strip() else "") + block + "\n"
    with open(path, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bench/run_als")
    ap.add_argument("--command-env", default="")
    ap.add_argument("--pgbench-log-prefix", required=True)
    ap.add_argument("--pgbench-out", default="")
    args = ap.parse_args()

    conn = psycopg2.connect("")
    with conn.cursor() as cur:
        cur.execute("""SELECT step, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms),
                              min(ms), max(ms), count(*), avg(ms)
                         FROM als_times GROUP BY step""")
        tim = {s: (m, lo, hi, n, avg) for s, m, lo, hi, n, avg in cur.fetchall()}
        cur.execute("SELECT step, array_agg(ms ORDER BY rep) FROM als_times "
                    "WHERE step LIKE 'peer_%' GROUP BY step")
        peer_iters = dict(cur.fetchall())
        cur.execute("SELECT key, value FROM als_values")
        val = dict(cur.fetchall())
    conn.close()

    def metrics(step):
        return json.loads(val[step + "_metrics"])

    me, mi = metrics("train_explicit"), metrics("train_implicit")
    me1, mi1 = metrics("train_explicit_1t"), metrics("train_implicit_1t")
    k = 64
    cg = 3
    n = me["rows_train"]
    users, items = me["users"], me["items"]
    f_exp = flops_explicit(n, users, items, k)
    f_imp = flops_implicit(mi["rows_train"], mi["users"], mi["items"], k, cg)
    s_exp, s_imp = me["seconds_per_iteration"], mi["seconds_per_iteration"]
    s_exp1, s_imp1 = me1["seconds_per_iteration"], mi1["seconds_per_iteration"]
    p_exp = tim["peer_explicit_iter"][0] / 1000.0   # median over the timed iterations
    p_imp = tim["peer_implicit_iter"][0] / 1000.0
    p_iters = tim["peer_explicit_iter"][3]
    sg2, sg1 = float(val["sgemm_2t_best"]), float(val["sgemm_1t_best"])
    dg2, dg1 = float(val["dgemm_2t_best"]), float(val["dgemm_1t_best"])

    lat, first = pgbench_latencies(args.pgbench_log_prefix)
    lat_ms = [x / 1000.0 for x in lat]
    med_ms = statistics.median(lat_ms) if lat_ms else float("nan")
    p95_ms, p99_ms = percentile(lat_ms, 95), percentile(lat_ms, 99)
    tps = ""
    if args.pgbench_out and os.path.exists(args.pgbench_out):
        with open(args.pgbench_out) as f:
            mt = re.search(r"^tps = ([\d.]+)", f.read(), re.M)
            tps = mt.group(1) if mt else ""

    rec_all = tim["recommend_all"]
    threads = val["train_explicit_threads"]

    def gf(f, s):
        return f / s / 1e9

    # what, seconds per iteration, GFLOP/s text, ratio text
    table = [
        ("explicit, pg_learn.threads = %s" % threads, s_exp,
         "%.1f GFLOP/s = %.0f%% of DGEMM, %.0f%% of SGEMM peak (2 threads)" % (
             gf(f_exp, s_exp), 100 * gf(f_exp, s_exp) / dg2, 100 * gf(f_exp, s_exp) / sg2),
         "%.1f x faster than numpy" % (p_exp / s_exp)),
        ("explicit, pg_learn.threads = 1", s_exp1,
         "%.1f GFLOP/s = %.0f%% of DGEMM, %.0f%% of SGEMM peak (1 thread)" % (
             gf(f_exp, s_exp1), 100 * gf(f_exp, s_exp1) / dg1, 100 * gf(f_exp, s_exp1) / sg1),
         "%.2f x the 2-thread time" % (s_exp1 / s_exp)),
        ("explicit, numpy peer (median of %d iterations)" % p_iters,
         p_exp, "%.1f GFLOP/s (same flop model)" % gf(f_exp, p_exp), ""),
        ("implicit, pg_learn.threads = %s" % threads, s_imp,
         "%.1f GFLOP/s = %.0f%% of SGEMM peak (2 threads)" % (
             gf(f_imp, s_imp), 100 * gf(f_imp, s_imp) / sg2),
         "%.1f x faster than numpy" % (p_imp / s_imp)),
        ("implicit, pg_learn.threads = 1", s_imp1,
         "%.1f GFLOP/s = %.0f%% of SGEMM peak (1 thread)" % (
             gf(f_imp, s_imp1), 100 * gf(f_imp, s_imp1) / sg1),
         "%.2f x the 2-thread time" % (s_imp1 / s_imp)),
        ("implicit, numpy peer (exact solves; median of %d iterations)" % p_iters, p_imp,
         "(does other work: exact k x k solves, not %d CG steps)" % cg, ""),
    ]
    walls = [
        ("ai_train explicit, 5 iterations, wall clock", "train_explicit",
         "ai_models.seconds %.2f s" % float(val["train_explicit_seconds"])),
        ("ai_train implicit, 5 iterations, wall clock", "train_implicit",
         "ai_models.seconds %.2f s" % float(val["train_implicit_seconds"])),
        ("ai_train explicit, threads = 1", "train_explicit_1t", ""),
        ("ai_train implicit, threads = 1", "train_implicit_1t", ""),
        ("SELECT count(*) FROM ai_recommend_all('als_explicit', 10), first call",
         "recommend_all_first", "includes loading the model"),
        ("SELECT count(*) FROM ai_recommend_all('als_explicit', 10)", "recommend_all",
         "%s rows, %.1f µs per user" % (val["recommend_all_rows"],
                                        1000 * rec_all[0] / max(1, users))),
        ("SELECT count(*) FROM ai_recommend_all('als_implicit', 10)",
         "recommend_all_implicit", ""),
    ]

    targets = [
        ("explicit: per iteration >= 20 x faster than numpy", p_exp >= 20 * s_exp,
         "%.1f x (ours %.3f s, numpy %.2f s)" % (p_exp / s_exp, s_exp, p_exp)),
        ("implicit: per iteration >= 20 x faster than numpy", p_imp >= 20 * s_imp,
         "%.1f x (ours %.3f s, numpy %.2f s)" % (p_imp / s_imp, s_imp, p_imp)),
        ("implicit: <= 0.2 s per iteration", s_imp <= 0.2, "%.3f s" % s_imp),
        ("ai_recommend median latency < 2 ms (pgbench -c 2)", med_ms < 2.0,
         "median %.3f ms, p95 %.3f ms" % (med_ms, p95_ms)),
    ]

    et, it_ = me.get("test", {}), mi.get("test", {})
    quality = [
        ("explicit", "%.4f" % et.get("rmse", float("nan")),
         "%.4f" % me["train"].get("rmse", float("nan")),
         "%.4f" % et.get("precision@10", float("nan")),
         "%.4f" % et.get("recall@10", float("nan")),
         "%.4f" % et.get("ndcg@10", float("nan")),
         "%.3f" % et.get("coverage", float("nan"))),
        ("implicit", "", "",
         "%.4f" % it_.get("precision@10", float("nan")),
         "%.4f" % it_.get("recall@10", float("nan")),
         "%.4f" % it_.get("ndcg@10", float("nan")),
         "%.3f" % it_.get("coverage", float("nan"))),
    ]

    # ---- terminal ----
    print()
    print("pg_learn recommender benchmark: %s ratings (%d train), %d users x %d items, k = %d"
          % ("{:,}".format(int(val["ratings"])), n, users, items, k))
    print("OpenBLAS peak 2048^2: SGEMM %.0f GFLOP/s (2 threads), %.0f (1); "
          "DGEMM %.0f (2), %.0f (1)" % (sg2, sg1, dg2, dg1))
    print("flops per iteration (model in bench/report_als.py): explicit %.2f G, implicit %.2f G"
          % (f_exp / 1e9, f_imp / 1e9))
    w = max(len(t[0]) for t in table)
    print("%-*s %10s  %s" % (w, "training, per iteration", "s/iter", "rate; ratio"))
    for what, s, rate, ratio in table:
        print("%-*s %10.3f  %s%s" % (w, what, s, rate, "; " + ratio if ratio else ""))
    print()
    w = max(len(t[0]) for t in walls)
    for what, step, note in walls:
        mm, lo, hi, cnt, _ = tim[step]
        print("%-*s %10.1f ms (min %.1f, max %.1f, n %d) %s" % (w, what, mm, lo, hi, cnt, note))
    print("ai_recommend via pgbench: %d transactions, median %.3f ms, p95 %.3f, p99 %.3f, "
          "max %.3f, tps %s; first call per connection %s ms" % (
              len(lat_ms), med_ms, p95_ms, p99_ms, max(lat_ms) if lat_ms else float("nan"),
              tps, ", ".join("%.1f" % (x / 1000.0) for x in first)))
    print("numpy iterations, ms: explicit %s; implicit %s" % (
        ", ".join("%.0f" % x for x in peer_iters["peer_explicit_iter"]),
        ", ".join("%.0f" % x for x in peer_iters["peer_implicit_iter"])))
    print()
    for name, rmse, trmse, p, r, nd, cov in quality:
        print("%-8s hold-out rmse %s (train %s)  precision@10 %s  recall@10 %s  ndcg@10 %s  "
              "coverage %s" % (name, rmse or "-", trmse or "-", p, r, nd, cov))
    print("planted noise: sd %s before rounding; RMSE of the stored ratings against the "
          "noise-free score %s; rating sd %s" % (val["noise_sd"], val["planted_rmse"],
                                                 val["rating_sd"]))
    print("popularity baseline precision@10 (10%% hash split): %s" % val.get("pop_precision10", "?"))
    print()
    for name, ok, detail in targets:
        print("%-4s %s: %s" % ("PASS" if ok else "MISS", name, detail))
    print()

    # ---- docs/benchmarks.md section ----
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = (args.command_env + " " if args.command_env else "") + args.command
    md = []
    md.append("## Recommender (ALS)")
    md.append("")
    md.append("Written by `bench/run_als` (do not edit by hand; rerun it; `bench/run` "
              "keeps this section when it rewrites the file). One run, one throwaway "
              "cluster, on the same shared, noisy machine as above; the ratios compare "
              "steps measured in the same run.")
    md.append("")
    env = [
        ("date", now),
        ("command", "`%s`" % command),
        ("data", "{:,} ratings ({:,} train, {:,} test), {:,} users x {:,} items; "
                 "table {} MB".format(int(val["ratings"]), n, me["rows_test"], users, items,
                                      val["table_mb"])),
        ("stars", val["stars"]),
        ("per user", val["user_activity"]),
        ("per item", "%s; the most popular item has %s%% of the ratings, the top 10%% "
                     "of items %s%%" % (val["item_ratings"], val["top_item_share"],
                                        val["top10pct_items_share"])),
        ("nproc", sh("nproc")),
        ("CPU", cpu_model()),
        ("load average (at report)", " ".join(sh("cat /proc/loadavg").split()[:3])),
        ("PostgreSQL", val["pg_version"]),
        ("settings", "shared_buffers 512MB, work_mem 256MB, "
                     "max_parallel_workers_per_gather 0, jit %s, "
                     "pg_learn.max_train_memory 4GB, pg_learn.threads %s for training and "
                     "ai_recommend_all (pgbench sessions: default 0 = one per core)"
         % (val["jit"], threads)),
        ("OpenBLAS", openblas_version()),
        ("OpenBLAS peak (bench/sgemm_peak.c, 2048 x 2048, best of 7)",
         "SGEMM %.0f GFLOP/s on 2 threads, %.0f on 1; DGEMM %.0f on 2, %.0f on 1"
         % (sg2, sg1, dg2, dg1)),
        ("peer", "/usr/bin/python3 %s, numpy %s, psycopg2 %s (same OpenBLAS)" % (
            val["peer_python"], val["peer_numpy_version"], val["peer_psycopg2_version"])),
    ]
    md.append("| | |")
    md.append("|---|---|")
    for kk, v in env:
        md.append("| %s | %s |" % (kk, str(v).replace("|", "\\|")))
    md.append("")
    md.append("### What is measured")
    md.append("")
    md.append("- Data: `bench/als_setup.sql` after `setseed(0.42)`: 1.4 N draws of "
              "user = 1 + floor(6000 u^1.6) and item = 1 + floor(4000 u^2.5) (u uniform; "
              "varying user activity, long-tailed item popularity), deduplicated, N of "
              "them kept at random. Ratings clamp(round(3.4 + b_u + c_i + P_u·Q_i + e), 1, 5) "
              "from planted rank-8 factors (P_u·Q_i sd about 0.8; b_u sd 0.3, c_i sd 0.4) "
              "and gaussian noise e of sd %s. `ratings_explicit` is (user_id, item_id, "
              "rating); `ratings_implicit` the same pairs with rating 1." % val["noise_sd"])
    md.append("- Training: `ai_train('als_explicit', 'als', 'ratings_explicit', options => "
              "'{\"factors\": 64, \"iterations\": 5, \"test_size\": 0.1}')` and "
              "`ai_train('als_implicit', 'als', 'ratings_implicit', options => "
              "'{\"feedback\": \"implicit\", \"factors\": 64, \"iterations\": 5, "
              "\"test_size\": 0.1}')` (defaults: l2 0.05 explicit / 30 implicit, alpha 5, "
              "cg_steps 3), with `pg_learn.threads = %s`, then again with 1. Seconds per "
              "iteration is `metrics->>'seconds_per_iteration'` (the fit's time, including "
              "its setup, over the iterations); the wall clock of the whole `ai_train` "
              "(read, split, fit, evaluate, store) is timed in the server with "
              "`clock_timestamp()`, %s time(s)." % (threads, val["reps"]))
    md.append("- GFLOP/s = the flop model below / seconds per iteration. Explicit: "
              "2n[(k+1)(k+2) + 2(k+1)] + R[(k+1)³/3 + 2(k+1)²] (Gram upper triangles and "
              "right-hand sides, each training rating once per side; Cholesky and "
              "triangular solves per row). Implicit: Rk(k+1) + (s+1)[2k²R + 8kn] + "
              "2k²·n_items + 2kn (YᵀY by SSYRK per side; per row the residual and s CG "
              "products, each (YᵀY + λI)v and Y_Iᵀ(c' ∘ Y_I v); the objective). n = training "
              "ratings (%s), R = users + items (%d), k = 64, s = 3: %.2f GFLOP (explicit) "
              "and %.2f GFLOP (implicit) per iteration. The explicit kernel computes in "
              "float64 (compare with DGEMM), the implicit one in float32 (SGEMM)."
              % ("{:,}".format(n), users + items, f_exp / 1e9, f_imp / 1e9))
    md.append("- Peer: `bench/als_numpy.py`, a straightforward numpy ALS of the same "
              "models on the same ratings (fetched once with psycopg2, a random 90%% kept "
              "for training): one Python loop step per user and per item, "
              "`numpy.linalg.solve` of the (k+1)x(k+1) explicit system ([V_I, 1]ᵀ[V_I, 1] + "
              "λ n_u I) or, implicit, of YᵀY + λI + Y_Iᵀ(C_I − I)Y_I (Hu, Koren, Volinsky; "
              "exact solves, where ours takes 3 CG steps); float64, numpy's default. "
              "%d iterations of each timed with `time.perf_counter()`, the median reported "
              "(explicit: %s ms; implicit: %s ms). The fetch (%.0f ms) is not counted."
              % (p_iters, ", ".join("%.0f" % x for x in peer_iters["peer_explicit_iter"]),
                 ", ".join("%.0f" % x for x in peer_iters["peer_implicit_iter"]),
                 float(val["peer_fetch_ms"])))
    md.append("- `ai_recommend_all('als_explicit', 10)`: top 10 unseen items for every user, "
              "timed in the server (first call, then the median of 3).")
    md.append("- `ai_recommend` latency: `pgbench -n -f bench/recommend.pgbench -c 2 -j 2 "
              "-T %s --log` with `\\set u random(1, 6000)` and `SELECT * FROM "
              "ai_recommend('als_explicit', :u, 10)`; median and percentiles over every "
              "transaction of the per-transaction log (client-side latency, simple "
              "protocol, including the first call of each connection, which loads the "
              "model)." % val.get("pgbench_seconds", "10"))
    md.append("")
    md.append("### Results")
    md.append("")
    md.append("| training, 64 factors | seconds per iteration | achieved rate | ratio |")
    md.append("|---|---:|---|---|")
    for what, s, rate, ratio in table:
        md.append("| %s | %.3f | %s | %s |" % (what, s, rate, ratio))
    md.append("")
    md.append("| step | median ms | min ms | max ms | note |")
    md.append("|---|---:|---:|---:|---|")
    for what, step, note in walls:
        mm, lo, hi, cnt, _ = tim[step]
        md.append("| `%s` | %.1f | %.1f | %.1f | %s |" % (what, mm, lo, hi, note)
                  if what.startswith("SELECT") else
                  "| %s | %.1f | %.1f | %.1f | %s |" % (what, mm, lo, hi, note))
    md.append("| `ai_recommend('als_explicit', :u, 10)` via pgbench -c 2 (%d calls, %s tps) "
              "| %.3f | %.3f | %.3f | p95 %.3f ms, p99 %.3f ms |" % (
                  len(lat_ms), tps or "?", med_ms, min(lat_ms) if lat_ms else float("nan"),
                  max(lat_ms) if lat_ms else float("nan"), p95_ms, p99_ms))
    md.append("")
    md.append("Hold-out quality (10% of each user's ratings, from `metrics->'test'`; "
              "precision/recall@10 among the items the user has not rated in training):")
    md.append("")
    md.append("| model | test RMSE | train RMSE | precision@10 | recall@10 | NDCG@10 | coverage |")
    md.append("|---|---:|---:|---:|---:|---:|---:|")
    for row in quality:
        md.append("| %s |" % row[0] + " | ".join(x or "–" for x in row[1:]) + " |")
    md.append("")
    md.append("For reference: the noise planted in the ratings has sd %s before rounding; "
              "the stored ratings are off the noise-free score by RMSE %s (noise, rounding "
              "and clipping to 1..5); the ratings' own sd is %s (the RMSE of predicting the "
              "mean). Which items a user rated carries no planted structure beyond item "
              "popularity (users and items are drawn independently), so precision@10 "
              "measures how well a model recovers popularity: recommending the most "
              "popular unseen items scores precision@10 = %s on a 10%% hash split of the "
              "same ratings." % (val["noise_sd"], val["planted_rmse"], val["rating_sd"],
                                 val.get("pop_precision10", "?")))
    md.append("")
    md.append("### Targets")
    md.append("")
    md.append("| | target | measured |")
    md.append("|---|---|---|")
    for name, ok, detail in targets:
        md.append("| **%s** | %s | %s |" % ("PASS" if ok else "MISS", name, detail))
    md.append("")
    replace_section(args.out, "\n".join(md))
    print("wrote the ALS section of %s" % os.path.relpath(args.out))


if __name__ == "__main__":
    main()
