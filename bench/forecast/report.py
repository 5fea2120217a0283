#!/usr/bin/python3
"""bench/forecast/report.py: accuracy of the forecasts of fc_bench and peer.R.

    /usr/bin/python3 bench/forecast/report.py SERIES.csv NFIT FORECASTS.csv...

MASE (the mean absolute error over the horizon divided by the in-sample mean
absolute error of the seasonal naive forecast, lag m), sMAPE (percent,
200 |f - a| / (|f| + |a|)) and the share of held-out points inside the 95%
interval, each averaged over the series; overall and per season m.
"""
import csv
import sys
from collections import defaultdict


def main():
    series_csv, nfit = sys.argv[1], int(sys.argv[2])
    ys, ms = defaultdict(list), {}
    with open(series_csv) as f:
        for r in csv.DictReader(f):
            ys[int(r["id"])].append(float(r["y"]))
            ms[int(r["id"])] = int(r["m"])
    fc = defaultdict(lambda: defaultdict(list))
    for path in sys.argv[3:]:
        with open(path) as f:
            for r in csv.DictReader(f):
                rows = fc[r["method"]][int(r["id"])]
                # two files with the same method name would merge their rows
                # and score only the first half of the horizon, twice
                if any(x[0] == int(r["h"]) for x in rows):
                    sys.exit(f"report.py: {path}: method {r['method']!r} has a second row for "
                             f"series {r['id']} step {r['h']}: prefix one file's method names")
                rows.append((int(r["h"]), float(r["mean"]), float(r["lo"]), float(r["hi"])))
    # the seasonal naive forecast as a reference row (no interval: coverage nan)
    for i, y in ys.items():
        m = ms[i]
        fc["snaive (reference)"][i] = [(k + 1, y[nfit - m + k % m], float("nan"), float("nan"))
                                       for k in range(len(y) - nfit)]
    print("| method | series | mean MASE | mean sMAPE (%) | 95% coverage | MASE m=12 | MASE m=7 |")
    print("|---|---|---|---|---|---|---|")
    for meth in sorted(fc):
        agg = defaultdict(list)
        for i, rows in fc[meth].items():
            y, m = ys[i], ms[i]
            train, test = y[:nfit], y[nfit:]
            scale = sum(abs(train[t] - train[t - m]) for t in range(m, nfit)) / (nfit - m)
            rows.sort()
            rows = rows[: len(test)]
            err = [abs(r[1] - test[r[0] - 1]) for r in rows]
            mase = sum(err) / len(err) / scale
            smape = sum(200 * abs(r[1] - test[r[0] - 1]) / (abs(r[1]) + abs(test[r[0] - 1]))
                        for r in rows) / len(rows)
            cov = sum(r[2] <= test[r[0] - 1] <= r[3] for r in rows) / len(rows)
            agg["mase"].append(mase)
            agg["smape"].append(smape)
            agg["cov"].append(cov)
            agg[f"mase{m}"].append(mase)
        mean = lambda v: sum(v) / len(v) if v else float("nan")
        print(f"| {meth} | {len(agg['mase'])} | {mean(agg['mase']):.3f} | {mean(agg['smape']):.2f} | "
              f"{mean(agg['cov']):.3f} | {mean(agg['mase12']):.3f} | {mean(agg['mase7']):.3f} |")


if __name__ == "__main__":
    main()
