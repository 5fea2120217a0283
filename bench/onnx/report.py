#!/usr/bin/python3
"""bench/onnx/report.py OUT [--docs docs/benchmarks.md]: the table of
bench/onnx/run (times.tsv, sql.tsv, the outputs *.ours.f32, *.ort.f32,
*.torch.f32), printed, and with --docs written as the section "ONNX
inference" of docs/benchmarks.md (replacing it when there)."""
import datetime
import os
import platform
import subprocess
import sys

import numpy as np

TITLE = "## ONNX inference against ONNX Runtime and PyTorch (issue 17)"
ORDER = ["mlp_b1", "mlp_b256", "cnn_b32", "lstm_32x64", "encoder_32x64"]
LABEL = {"mlp_b1": "MLP 784-256-128-10, batch 1", "mlp_b256": "MLP 784-256-128-10, batch 256",
         "cnn_b32": "CNN (2 conv 3x3 + maxpool, dense 128), batch 32 x 1x28x28",
         "lstm_32x64": "LSTM 64 -> 64, batch 32 x length 64",
         "encoder_32x64": "transformer encoder, 2 layers, d_model 64, 4 heads, ff 256, 32 x 64"}


def load(out):
    t, rounds, allocs, ortv = {}, set(), {}, ""
    for line in open(os.path.join(out, "times.tsv")):
        who, r, case, us, extra = (line.rstrip("\n").split("\t") + [""])[:5]
        rounds.add(r)
        t.setdefault((who, case), []).append(float(us))
        if who == "pg_learn":
            allocs[case] = max(allocs.get(case, 0), int(extra or 0))
        if who == "ort":
            ortv = extra
    return {k: min(v) for k, v in t.items()}, len(rounds), allocs, ortv


def diff(out, case, a, b):
    pa, pb = os.path.join(out, f"{case}.{a}.f32"), os.path.join(out, f"{case}.{b}.f32")
    if not (os.path.exists(pa) and os.path.exists(pb)):
        return float("nan")
    x, y = np.fromfile(pa, np.float32), np.fromfile(pb, np.float32)
    return float(np.abs(x - y).max()) if x.shape == y.shape else float("inf")


def sql_ratio(out):
    p = os.path.join(out, "sql.tsv")
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    ms = {}
    for line in open(p):
        m, r, v = line.strip().split("|")
        ms.setdefault(m, []).append(float(v))
    return {m: sorted(v)[len(v) // 2] for m, v in ms.items()}


def main():
    out = sys.argv[1]
    t, rounds, allocs, ortv = load(out)
    torchv = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                            capture_output=True, text=True).stdout.strip()
    lines = [TITLE, "",
             "Written by `bench/onnx/run` (do not edit by hand; rerun it with `BENCH_DOCS=1`). "
             "Single-thread inference time of the same ONNX files, exported by torch with fixed seeds "
             "(`bench/onnx/models.py`), in pg_learn's runtime (`src/onnx`, through "
             "`bench/onnx/ox_bench.c` linked with the extension's own -O3 objects, no PostgreSQL), "
             f"ONNX Runtime {ortv} (npm `onnxruntime-node`, node binding, one intra-op and one "
             f"inter-op thread, all graph optimizations) and PyTorch {torchv} (`torch.set_num_threads(1)`, "
             "`torch.no_grad()`, the nn.Module itself: for the encoder that is torch's fused inference "
             "path). Each tool times a case as the median of 7 blocks of at least 50 ms after 3 warm-up "
             f"runs; the three run back to back in each of {rounds} rounds and a case keeps its best "
             "round, so that the load of the shared machine hits them alike. Inputs: Fashion-MNIST test "
             "images for the MLP and the CNN, normal noise (seed 18) for the LSTM and the encoder.", "",
             "| | |", "|---|---|",
             f"| date | {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC |",
             f"| machine | {os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
             f"load average at report {' '.join(f'{v:.2f}' for v in os.getloadavg())} |",
             "| BLAS | OpenBLAS, OPENBLAS_NUM_THREADS=1 (ours and torch's) |", "",
             "| case | pg_learn µs | ONNX Runtime µs | PyTorch µs | pg_learn / ORT (target <= 1.5) "
             "| pg_learn / torch (target <= 1.0) | allocations per run after the first | max abs diff "
             "ours vs ORT | ours vs torch |",
             "|---|---:|---:|---:|---|---|---:|---:|---:|"]
    misses = []
    for c in ORDER:
        us, uo, ut = t.get(("pg_learn", c)), t.get(("ort", c)), t.get(("torch", c))
        if us is None:
            continue
        ro, rt = us / uo if uo else float("nan"), us / ut if ut else float("nan")
        po, pt = "PASS" if ro <= 1.5 else "MISS", "PASS" if rt <= 1.0 else "MISS"
        if po == "MISS":
            misses.append(f"{c} vs ORT {ro:.2f}x")
        if pt == "MISS":
            misses.append(f"{c} vs torch {rt:.2f}x")
        lines.append(f"| {LABEL[c]} | {us:.0f} | {uo:.0f} | {ut:.0f} | {ro:.2f} {po} | {rt:.2f} {pt} "
                     f"| {allocs.get(c, 0)} | {diff(out, c, 'ours', 'ort'):.1e} "
                     f"| {diff(out, c, 'ours', 'torch'):.1e} |")
    sq = sql_ratio(out)
    if sq:
        r = sq["fm_onnx"] / sq["fm_native"]
        lines += ["", "Through SQL: `SELECT count(ai_classify(m, input)) FROM fm`, 10,000 Fashion-MNIST test "
                  "images as `real[784]`, median of 3 (server-side `clock_timestamp()`), the imported "
                  "MLP above against a pg_learn `neural_net` of the same shape (784-256-128-10 relu, "
                  "trained one epoch; only the scoring is timed):", "",
                  "| model | ms | ratio (target <= 1.5) |", "|---|---:|---|",
                  f"| imported ONNX MLP (`fm_onnx`) | {sq['fm_onnx']:.0f} | {r:.2f} "
                  f"{'PASS' if r <= 1.5 else 'MISS'} |",
                  f"| pg_learn neural_net (`fm_native`) | {sq['fm_native']:.0f} | 1.00 |"]
        if r > 1.5:
            misses.append(f"SQL {r:.2f}x")
    lines += ["", "Misses: " + ("; ".join(misses) if misses else "none") + ".", ""]
    text = "\n".join(lines)
    print(text)
    if "--docs" in sys.argv:
        path = sys.argv[sys.argv.index("--docs") + 1]
        doc = open(path).read()
        notes = ""
        if TITLE in doc:
            a = doc.index(TITLE)
            b = doc.find("\n## ", a + len(TITLE))
            old = doc[a:b if b >= 0 else len(doc)]
            # a hand-written "### Reading the figures" part survives a rerun
            k = old.find("### Reading the figures")
            notes = old[k:].rstrip() + "\n" if k >= 0 else ""
            doc = doc[:a] + doc[b + 1 if b >= 0 else len(doc):]
        doc = doc.rstrip("\n") + "\n\n" + text + ("\n" + notes if notes else "")
        open(path, "w").write(doc)


if __name__ == "__main__":
    main()
