#!/usr/bin/python3
"""Render bench/run_als_defaults's results (bench/out/als_defaults) as the
section of docs/benchmarks.md between <!-- als_defaults:begin --> and
<!-- als_defaults:end -->.

  bench/report_als_defaults.py OUT_DIR docs/benchmarks.md CPUS
"""
import csv
import datetime
import json
import os
import sys

BEGIN = "<!-- als_defaults:begin -->"
END = "<!-- als_defaults:end -->"


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def main():
    out, doc, cpus = sys.argv[1], sys.argv[2], sys.argv[3]
    sweep = rows(os.path.join(out, "sweep.csv"))
    defaults = {r["set"]: r for r in rows(os.path.join(out, "defaults.csv"))}
    shape = rows(os.path.join(out, "shape.csv"))
    sets = [r["set"] for r in shape]
    L = [BEGIN, "", "## Recommender defaults (issue 15)", "",
         "`bench/run_als_defaults` (%s, %s CPUs): three sets of 1..5 star ratings from "
         "`bench/gen_ratings.sql` (Zipf item popularity, lognormal ratings per user with a "
         "minimum of 20, user and item biases, low-rank taste plus noise, rounded stars), each "
         "split once into train and test (a 20%% hash of the pair). Every model trains on the "
         "train table with `\"test_size\": 0` and is scored by `ai_evaluate` on the test table."
         % (datetime.date.today().isoformat(), cpus), "",
         "| set | ratings | users | items | train | test | mean | sd | top item's share |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in shape:
        L.append("| %s | %s | %s | %s | %s | %s | %.2f | %.2f | %.1f%% |" % (
            r["set"], r["ratings"], r["users"], r["items"], r["train"], r["test"],
            float(r["mean"]), float(r["sd"]), 100 * float(r["top1_share"])))
    L += ["", "Test RMSE of the defaults (`{}`: factors 32, `\"l2\": \"auto\"`, "
          "`\"bias_l2\": \"auto\"`, early stopping after 2 iterations without a better "
          "validation RMSE), of the best setting of the hand sweep below (15 iterations, no early "
          "stopping), and of the anchors (numpy re-implementations of Surprise's SVD and SVD++ "
          "with Surprise's defaults, predictions clipped to [1, 5] as Surprise does; the ALS "
          "figure clipped the same way is in brackets):", "",
          "| set | defaults (clipped) | chosen l2, bias_l2, iterations | seconds | best of sweep | "
          "its setting (factors, l2, bias_l2) | defaults vs best | SVD | SVD++ |",
          "|---|---:|---|---:|---:|---|---:|---:|---:|"]
    for s in sets:
        d = defaults[s]
        mine = [r for r in sweep if r["set"] == s]
        best = min(mine, key=lambda r: float(r["rmse"]))
        anchors = {}
        p = os.path.join(out, s + "_anchors.json")
        if os.path.exists(p):
            anchors = json.load(open(p))
        a = lambda k: "%.4f" % anchors[k]["rmse"] if k in anchors else "not run"
        L.append("| %s | %.4f (%.4f) | %g, %g, %s | %.1f | %.4f | %s, %s, %s | %+.2f%% | %s | %s |" % (
            s, float(d["rmse"]), float(d["rmse_clipped"]), float(d["l2"]), float(d["bias_l2"]),
            d["iterations"], float(d["seconds"]), float(best["rmse"]), best["factors"],
            best["l2"], best["bias_l2"], 100 * (float(d["rmse"]) / float(best["rmse"]) - 1),
            a("svd"), a("svdpp")))
    L += ["", "The sweep (test RMSE; rows factors and l2, columns bias_l2; the best of each set "
          "in bold):", ""]
    biases = sorted({float(r["bias_l2"]) for r in sweep})
    for s in sets:
        mine = [r for r in sweep if r["set"] == s]
        best = min(float(r["rmse"]) for r in mine)
        L += ["**%s**" % s, "",
              "| factors | l2 | " + " | ".join("bias_l2 %g" % b for b in biases) + " |",
              "|---:|---:|" + "---:|" * len(biases)]
        keys = sorted({(int(r["factors"]), float(r["l2"])) for r in mine})
        for f, l2 in keys:
            cells = []
            for b in biases:
                v = [float(r["rmse"]) for r in mine if int(r["factors"]) == f
                     and float(r["l2"]) == l2 and float(r["bias_l2"]) == b][0]
                cells.append(("**%.4f**" if v == best else "%.4f") % v)
            L.append("| %d | %g | %s |" % (f, l2, " | ".join(cells)))
        L.append("")
    L.append(END)
    text = open(doc).read()
    section = "\n".join(L)
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    open(doc, "w").write(text)
    print(section)


if __name__ == "__main__":
    main()
