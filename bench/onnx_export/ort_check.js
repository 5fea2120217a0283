// bench/onnx_export/ort_check.js DIR: run every DIR/NAME.onnx (an export of
// pg_learn) with ONNX Runtime on DIR/NAME.x.f32 (float32 [n, F], row-major)
// and compare its first output with pg_learn's predictions DIR/NAME.y.f64
// (float64 [n, width]) to 1e-5 * max(1, |pg_learn|).
//
// ONNX Runtime comes from npm's onnxruntime-node (not a dependency of
// pg_learn: `npm install --ignore-scripts onnxruntime-node` in a scratch
// directory given as NODE_PATH).  DIR/cases.tsv lists "name rows width_in
// width_out" per model.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

async function main() {
  const dir = process.argv[2];
  const lines = fs.readFileSync(path.join(dir, "cases.tsv"), "utf8").trim().split("\n");
  let failed = 0;
  for (const line of lines) {
    const [name, rows, win, wout] = line.split("\t");
    const n = Number(rows), F = Number(win), W = Number(wout);
    const xb = fs.readFileSync(path.join(dir, name + ".x.f32"));
    const yb = fs.readFileSync(path.join(dir, name + ".y.f64"));
    const x = new Float32Array(xb.buffer, xb.byteOffset, n * F);
    const y = new Float64Array(yb.buffer.slice(yb.byteOffset, yb.byteOffset + 8 * n * W));
    const session = await ort.InferenceSession.create(path.join(dir, name + ".onnx"), {
      intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential",
    });
    const res = await session.run({ input: new ort.Tensor("float32", x, [n, F]) });
    const out = res[session.outputNames[0]].data;
    let worst = 0;
    for (let i = 0; i < n * W; i++) {
      const e = Math.abs(out[i] - y[i]) / Math.max(1, Math.abs(y[i]));
      worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
    }
    const ok = out.length === n * W && worst <= 1e-5;
    if (!ok) failed++;
    console.log(`${name.padEnd(12)} rows ${String(n).padStart(4)}  max rel err ${worst.toExponential(2)}  ${ok ? "ok" : "FAILED"}`);
  }
  console.log(failed ? `${failed} failed` : "all passed");
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
