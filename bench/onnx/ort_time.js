// bench/onnx/ort_time.js: ONNX Runtime's side of bench/onnx/run, through the
// node binding of npm's onnxruntime-node (not a dependency of pg_learn:
// installed with `npm install --ignore-scripts onnxruntime-node` in a
// scratch directory given as NODE_PATH).
//
//   NODE_PATH=/work/scratch/ort/node_modules node ort_time.js DIR
//
// For each line of DIR/cases.tsv: a session with one intra-op and one
// inter-op thread, sequential execution, all graph optimizations (ORT's
// default); DIR/<case>.ort.f32 gets the output; prints "case median_us
// version", timed like the others (blocks of >= 50 ms, the median of 7).
// The input tensor is built once; each run returns a new output tensor,
// which the binding allocates (as any ORT caller without IOBinding).
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

function timeit(fn) {
  return (async () => {
    for (let i = 0; i < 3; i++) await fn();
    let reps = 1;
    for (;;) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) await fn();
      if (Number(process.hrtime.bigint() - t0) / 1e9 >= 0.05) break;
      reps *= 2;
    }
    const blocks = [];
    for (let b = 0; b < 7; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) await fn();
      blocks.push(Number(process.hrtime.bigint() - t0) / 1e3 / reps);
    }
    blocks.sort((a, b) => a - b);
    return blocks[3];
  })();
}

async function main() {
  const dir = process.argv[2];
  const version = require("onnxruntime-node/package.json").version;
  const lines = fs.readFileSync(path.join(dir, "cases.tsv"), "utf8").trim().split("\n");
  for (const line of lines) {
    const [name, file, input, shape] = line.split("\t");
    const dims = shape.split(" ").map(Number);
    const sess = await ort.InferenceSession.create(path.join(dir, file), {
      intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential",
      graphOptimizationLevel: "all" });
    const buf = fs.readFileSync(path.join(dir, name + ".in.f32"));
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const feeds = { [input]: new ort.Tensor("float32", x, dims) };
    const out = (await sess.run(feeds))[sess.outputNames[0]];
    fs.writeFileSync(path.join(dir, name + ".ort.f32"), Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
    const us = await timeit(() => sess.run(feeds));
    console.log(`${name} ${us.toFixed(1)} ${version}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
