#!/usr/bin/env python3
"""Models that make `graft zoo` meet each way a conversion can go wrong (tools/zoo_test.sh).

  crash.onnx         acme::Crash: its CPU kernel raises SIGSEGV (plugins/testlibs/libfaults.so);
                     without that library the op is unsupported
  hang.onnx          acme::Hang: its CPU kernel sleeps forever (same library)
  oom.onnx           ConstantOfShape to float32[16, 1024, 1024, 1024] (64 GiB), summed: runs out
                     of memory under any sensible limit (too large for fold-constants to fold)
  needs_shapes.onnx  x: float32[n] reshaped to [2, -1]: the random inputs' n = 1 cannot be
                     reshaped, so the model needs input shapes
  parity.onnx        Conv (bias 10000) then BatchNormalization (mean 10000): the original
                     loses the input's low bits in x + 10000 - 10000; fold-batchnorm folds the
                     two constants away and keeps them, so the outputs differ by up to 2^-11

Generated with onnx 1.23.2 and numpy 2.4.6 (PyPI). Deterministic: run twice, same bytes.
Run from the repo root: python3 testdata/zoo/generate.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model, full_check=True)
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print(path)


def model_of(graph, opsets):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                          producer_name="graft-testdata")
    m.ir_version = 8
    return m


def faulty(op):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node(op, ["x"], ["y"], name=op.lower(), domain="acme")],
                          op.lower(), [x], [y])
    return model_of(g, [("", 17), ("acme", 1)])


def oom():
    shape = numpy_helper.from_array(np.array([16, 1024, 1024, 1024], np.int64), "shape")
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], name="fill",
                         value=numpy_helper.from_array(np.array([1], np.float32), "value")),
        helper.make_node("ReduceSum", ["big"], ["y"], name="sum", keepdims=0),
    ]
    return model_of(helper.make_graph(nodes, "oom", [], [y], [shape]), [("", 17)])


def needs_shapes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, None])
    shape = numpy_helper.from_array(np.array([2, -1], np.int64), "shape")
    g = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"], name="halves")],
                          "needs_shapes", [x], [y], [shape])
    return model_of(g, [("", 17)])


def parity():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])
    inits = [
        numpy_helper.from_array(np.ones([1, 1, 1, 1], np.float32), "w"),
        numpy_helper.from_array(np.array([10000], np.float32), "b"),
        numpy_helper.from_array(np.array([1], np.float32), "gamma"),
        numpy_helper.from_array(np.array([0], np.float32), "beta"),
        numpy_helper.from_array(np.array([10000], np.float32), "mean"),
        numpy_helper.from_array(np.array([1 - 1e-5], np.float32), "var"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv"),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"], name="bn",
                         epsilon=1e-5),
    ]
    return model_of(helper.make_graph(nodes, "parity", [x], [y], inits), [("", 17)])


def main():
    # Custom-domain ops have no schema for the checker's full check.
    save(faulty("Crash"), "crash.onnx", check=False)
    save(faulty("Hang"), "hang.onnx", check=False)
    save(oom(), "oom.onnx")
    save(needs_shapes(), "needs_shapes.onnx")
    save(parity(), "parity.onnx")


if __name__ == "__main__":
    main()
