#!/usr/bin/python3
"""bench/onnx_export/check.py DIR: check the ONNX files pg_learn exported.

DIR holds, per model, NAME.onnx (ai_export_model(..., format => 'onnx')),
NAME.x.npy (the inputs, float32 [n, F]) and NAME.y.npy (pg_learn's own
predictions, [n, width]).  For each file:

  * onnx.checker.check_model(full_check=True) (with shape inference);
  * the outputs of onnx.reference.ReferenceEvaluator when the installed onnx
    has it (1.13 and later), else of the small numpy evaluator below, which
    follows the ONNX operator specifications for the ops the exporter
    writes (written apart from pg_learn's C runtime: a second reading of
    the spec), compared with pg_learn's predictions: |a - b| <= 1e-5 *
    max(1, |b|).

Skipped (exit 0 with a message) when python3-onnx is not installed: it is a
peer for this check only, not in scripts/deps.
"""
import glob
import os
import sys

import numpy as np

try:
    import onnx
    from onnx import numpy_helper
except ImportError:
    print("check.py: python3-onnx is not installed; skipped")
    sys.exit(0)

TOL = 1e-5


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    k = a["kernel_shape"]
    s = a.get("strides", [1, 1])
    p = a.get("pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    n, c, h, wd = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (wd - k[1]) // s[1] + 1
    out = np.zeros((n, w.shape[0], oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out + b.reshape(1, -1, 1, 1)


def pool(x, a, fn):
    k, s = a["kernel_shape"], a.get("strides", [1, 1])
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = fn(x[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]], axis=(2, 3))
    return out


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def trees(x, a):
    """ai.onnx.ml TreeEnsembleRegressor, SUM / NONE as exported"""
    assert a.get("aggregate_function", b"SUM") in (b"SUM", "SUM")
    nodes = {}
    for i, (t, n) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"])):
        nodes[(t, n)] = i
    weights = {}
    for t, n, k, w in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]):
        weights.setdefault((t, n), []).append((k, w))
    children = set()
    for i, t in enumerate(a["nodes_treeids"]):
        if a["nodes_modes"][i] != b"LEAF":
            children.add((t, a["nodes_truenodeids"][i]))
            children.add((t, a["nodes_falsenodeids"][i]))
    roots = [key for key in nodes if key not in children]
    out = np.tile(np.array(a.get("base_values", [0.0] * a["n_targets"]), np.float64), (x.shape[0], 1))
    miss = a.get("nodes_missing_value_tracks_true", [0] * len(nodes))
    for r in range(x.shape[0]):
        for t, n in roots:
            i = nodes[(t, n)]
            while a["nodes_modes"][i] != b"LEAF":
                v = x[r, a["nodes_featureids"][i]]
                th = np.float32(a["nodes_values"][i])
                assert a["nodes_modes"][i] == b"BRANCH_LT"
                yes = bool(miss[i]) if np.isnan(v) else np.float32(v) < th
                i = nodes[(t, a["nodes_truenodeids"][i] if yes else a["nodes_falsenodeids"][i])]
            for k, w in weights.get((t, a["nodes_nodeids"][i]), []):
                out[r, k] += np.float32(w)
    return out


def evaluate(model, x):
    """the graph on x, in float64 (float32 weights), op by op"""
    vals = {"input": x.astype(np.float64)}
    for t in model.graph.initializer:
        vals[t.name] = numpy_helper.to_array(t).astype(np.float64 if t.data_type == 1 else np.int64)
    for node in model.graph.node:
        i = [vals[n] for n in node.input]
        a = attrs(node)
        op = node.op_type
        if op == "Gemm":
            y = i[0] @ i[1] + (i[2] if len(i) > 2 else 0)
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](i[0], i[1])
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "Softmax":
            y = softmax(i[0], a.get("axis", -1))
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "LeakyRelu":
            y = np.where(i[0] > 0, i[0], a.get("alpha", 0.01) * i[0])
        elif op == "Tanh":
            y = np.tanh(i[0])
        elif op == "Exp":
            y = np.exp(i[0])
        elif op == "Identity":
            y = i[0]
        elif op == "Concat":
            y = np.concatenate(i, axis=a["axis"])
        elif op == "Transpose":
            y = np.transpose(i[0], a["perm"])
        elif op == "Reshape":
            y = i[0].reshape([int(d) for d in i[1]])
        elif op == "Flatten":
            y = i[0].reshape(i[0].shape[0], -1)
        elif op == "Conv":
            y = conv(i[0], i[1], i[2], a)
        elif op == "MaxPool":
            y = pool(i[0], a, np.max)
        elif op == "AveragePool":
            y = pool(i[0], a, np.mean)
        elif op == "TreeEnsembleRegressor":
            y = trees(i[0], a)
        else:
            raise NotImplementedError(op)
        vals[node.output[0]] = y
    return vals[model.graph.output[0].name]


def main():
    d = sys.argv[1]
    ref_eval = None
    try:
        from onnx.reference import ReferenceEvaluator as ref_eval
    except ImportError:
        pass
    print(f"onnx {onnx.__version__}; reference: {'onnx.reference' if ref_eval else 'numpy evaluator (check.py)'}")
    failed = 0
    for path in sorted(glob.glob(os.path.join(d, "*.onnx"))):
        name = os.path.basename(path)[:-5]
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model, full_check=True)
            checked = "ok"
        except Exception as e:  # noqa: BLE001 - report and go on
            checked = f"FAILED: {e}"
            failed += 1
        x = np.load(os.path.join(d, name + ".x.npy")).astype(np.float32)
        y = np.load(os.path.join(d, name + ".y.npy"))
        if ref_eval:
            got = ref_eval(model).run(None, {"input": x})[0]
        else:
            got = evaluate(model, x)
        err = np.abs(got - y) / np.maximum(1, np.abs(y))
        ok = got.shape == y.shape and float(err.max()) <= TOL
        failed += not ok
        ops = sorted({n.op_type for n in model.graph.node})
        print(f"{name:12} checker {checked:3}  rows {x.shape[0]:4}  max rel err {float(err.max()):.2e}"
              f"  {'ok' if ok else 'FAILED'}  ops {' '.join(ops)}")
    print("all passed" if failed == 0 else f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
