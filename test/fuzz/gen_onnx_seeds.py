#!/usr/bin/python3
"""Write the small seed models of the ONNX fuzzer (test/fuzz/corpus_onnx/).
Needs python3-onnx (apt-get install python3-onnx), which the tests themselves do not:
the seeds are committed.

Each exercises a part of the importer: an MLP with symbolic batch, shape
arithmetic (Shape/Gather/Unsqueeze/Concat/Reshape), Slice/Split/Transpose at
opset 13 and their attribute forms at opset 9, typed data fields instead of
raw_data, a Constant folded at import, legacy broadcast at opset 6.
test/fuzz/run.sh adds a few libonnx-testdata models when installed.
tree_ensemble.onnx is not written here: it is ai_export_model(..., format =>
'onnx') of a 2-tree, 3-class xgboost model (ai.onnx.ml TreeEnsembleRegressor).
Run: /usr/bin/python3 test/fuzz/gen_onnx_seeds.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_onnx")
rng = np.random.default_rng(17)


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="gen_onnx_seeds")
    m.ir_version = 7
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    X = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4])
    Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    save("mlp", [
        helper.make_node("Mul", ["X", "W"], ["a"]),
        helper.make_node("Add", ["a", "B"], ["b"]),
        helper.make_node("Tanh", ["b"], ["c"]),
        helper.make_node("Sigmoid", ["c"], ["Y"]),
    ], [X], [Y], [numpy_helper.from_array(f32(4), "W"), numpy_helper.from_array(f32(4), "B")])

    save("shape_math", [
        helper.make_node("Shape", ["X"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["X", "shape"], ["r"]),
        helper.make_node("Relu", ["r"], ["Y"]),
    ], [X], [Y], [numpy_helper.from_array(np.array(0, np.int64), "zero"),
                  numpy_helper.from_array(np.array([0], np.int64), "axes0"),
                  numpy_helper.from_array(np.array([-1], np.int64), "minus1")])

    save("slice_split_13", [
        helper.make_node("Slice", ["X", "st", "en", "ax", "sp"], ["s"]),
        helper.make_node("Split", ["s", "parts"], ["p0", "p1"], axis=1),
        helper.make_node("Transpose", ["p0"], ["t"], perm=[1, 0]),
        helper.make_node("Flatten", ["t"], ["Y"], axis=1),
    ], [X], [Y], [numpy_helper.from_array(np.array([3], np.int64), "st"),
                  numpy_helper.from_array(np.array([-100], np.int64), "en"),
                  numpy_helper.from_array(np.array([1], np.int64), "ax"),
                  numpy_helper.from_array(np.array([-1], np.int64), "sp"),
                  numpy_helper.from_array(np.array([1, 3], np.int64), "parts")])

    save("slice_squeeze_9", [
        helper.make_node("Slice", ["X"], ["s"], starts=[1], ends=[3], axes=[1]),
        helper.make_node("Unsqueeze", ["s"], ["u"], axes=[0]),
        helper.make_node("Squeeze", ["u"], ["q"], axes=[0]),
        helper.make_node("Split", ["q"], ["Y", "Z"], axis=1, split=[1, 1]),
    ], [X], [Y, helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)], opset=9)

    typed = helper.make_tensor("T", TensorProto.INT64, [3], [1, -2, 300])
    save("typed_fields", [
        helper.make_node("Constant", [], ["k"], value=helper.make_tensor(
            "k", TensorProto.FLOAT, [1], [2.5])),
        helper.make_node("Cast", ["T"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("ConstantOfShape", ["T2"], ["c"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("Expand", ["k", "T2"], ["e"]),
        helper.make_node("Add", ["e", "c"], ["Y"]),
    ], [], [Y], [typed, helper.make_tensor("T2", TensorProto.INT64, [2], [2, 3])])

    save("where_equal", [
        helper.make_node("Equal", ["X", "X"], ["m"]),
        helper.make_node("Where", ["m", "X", "zero"], ["w"]),
        helper.make_node("LeakyRelu", ["w"], ["Y"], alpha=0.1),
    ], [X], [Y], [numpy_helper.from_array(np.array(0, np.float32), "zero")])

    save("legacy_6", [
        helper.make_node("Add", ["X", "B"], ["Y"], broadcast=1, axis=1),
    ], [X], [Y], [numpy_helper.from_array(f32(4), "B")], opset=6)


if __name__ == "__main__":
    main()
