#!/usr/bin/env python3
"""Generate exporter-style models for graft sanitize's tests and peer comparisons.

Each model is a pattern that real exporters (torch.onnx, tf2onnx, paddle2onnx) write and
that engines refuse or run slowly until it is folded or simplified: Resize scales computed
from constants, shape arithmetic chains, constant-condition Ifs, BatchNormalization after
Conv, decomposed LayerNorm/Gelu, and so on. Weights are seeded random values.

Install:  pip install onnx numpy
Run:      python3 testdata/generate_patterns.py     # writes testdata/patterns/*.onnx and
          testdata/contradictory/*.onnx (valid protobuf, shapes that contradict: sanitize must refuse them)
Deterministic: running it twice gives byte-identical files.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "patterns")
rng = np.random.default_rng(0)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def const(name, arr):
    return helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(np.asarray(arr), name))


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def weights(*shape):
    return rng.standard_normal(shape).astype(np.float32) * 0.1


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="graft-patterns")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString(deterministic=True))


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def resize_scales_chain():
    # torch.onnx (opset 11-13) upsampling: scales = Concat([1, 1], Cast(Unsqueeze(2.0)) x2).
    nodes = [
        const("ones", np.array([1.0, 1.0], np.float32)),
        const("two_h", np.array(2.0, np.float64)),
        const("two_w", np.array(2.0, np.float64)),
        const("axes0", np.array([0], np.int64)),
        helper.make_node("Unsqueeze", ["two_h", "axes0"], ["uh"], name="unsq_h"),
        helper.make_node("Unsqueeze", ["two_w", "axes0"], ["uw"], name="unsq_w"),
        helper.make_node("Cast", ["uh"], ["ch"], name="cast_h", to=F),
        helper.make_node("Cast", ["uw"], ["cw"], name="cast_w", to=F),
        helper.make_node("Concat", ["ones", "ch", "cw"], ["scales"], name="concat_scales", axis=0),
        helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", mode="nearest"),
    ]
    save("resize_scales_chain", nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 16, 16])], opset=13)


def shape_gather_reshape(symbolic: bool):
    # x.view(x.size(0), -1) and x.view(b, c, h * w) as torch exports them.
    batch = "batch" if symbolic else 2
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        const("i0", np.array(0, np.int64)),
        const("i1", np.array(1, np.int64)),
        const("axes", np.array([0], np.int64)),
        const("minus1", np.array([-1], np.int64)),
        helper.make_node("Gather", ["s", "i0"], ["b"], name="gather_b", axis=0),
        helper.make_node("Gather", ["s", "i1"], ["c"], name="gather_c", axis=0),
        helper.make_node("Unsqueeze", ["b", "axes"], ["ub"], name="unsq_b"),
        helper.make_node("Unsqueeze", ["c", "axes"], ["uc"], name="unsq_c"),
        helper.make_node("Concat", ["ub", "uc", "minus1"], ["target"], name="concat_target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape"),
        helper.make_node("Relu", ["y"], ["z"], name="relu"),
    ]
    name = "shape_gather_reshape_symbolic" if symbolic else "shape_gather_reshape"
    save(name, nodes, [vi("x", [batch, 3, 4, 4])], [vi("z", [batch, 3, 16])])


def slice_ends_from_shape():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        const("i2", np.array([2], np.int64)),
        helper.make_node("Gather", ["s", "i2"], ["h"], name="gather_h", axis=0),
        const("one", np.array([1], np.int64)),
        helper.make_node("Sub", ["h", "one"], ["end"], name="sub_end"),
        const("start", np.array([1], np.int64)),
        const("axis", np.array([2], np.int64)),
        helper.make_node("Slice", ["x", "start", "end", "axis"], ["y"], name="slice"),
    ]
    save("slice_ends_from_shape", nodes, [vi("x", [1, 3, 10, 6])], [vi("y", [1, 3, 8, 6])])


def constant_of_shape_chain():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        const("zero", np.array([0], np.int64)),
        const("two", np.array([2], np.int64)),
        helper.make_node("Slice", ["s", "zero", "two"], ["s01"], name="slice_shape"),
        const("tail", np.array([5], np.int64)),
        helper.make_node("Concat", ["s01", "tail"], ["shp"], name="concat_shape", axis=0),
        helper.make_node("ConstantOfShape", ["shp"], ["zeros"], name="cos",
                         value=numpy_helper.from_array(np.array([0.5], np.float32))),
        helper.make_node("Add", ["x", "zeros"], ["y"], name="add"),
    ]
    save("constant_of_shape_chain", nodes, [vi("x", [2, 3, 5])], [vi("y", [2, 3, 5])])


def constant_if():
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"], name="then_relu")], "then", [], [vi("t", [2, 4])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"], name="else_neg")], "else", [], [vi("e", [2, 4])])
    nodes = [
        const("flag", np.array(True)),
        helper.make_node("If", ["flag"], ["y"], name="if", then_branch=then_g, else_branch=else_g),
        helper.make_node("Sigmoid", ["y"], ["z"], name="sigmoid"),
    ]
    save("constant_if", nodes, [vi("x", [2, 4])], [vi("z", [2, 4])])


def conv_batchnorm():
    c = 8
    inits = [init("w", weights(c, 3, 3, 3)), init("bias", weights(c)),
             init("gamma", 1 + weights(c)), init("beta", weights(c)),
             init("mean", weights(c)), init("var", np.abs(1 + weights(c)))]
    nodes = [
        helper.make_node("Conv", ["x", "w", "bias"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn", epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["y"], name="relu"),
    ]
    save("conv_batchnorm", nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, c, 8, 8])], inits)


def conv_mul_add():
    c = 4
    inits = [init("w", weights(c, 3, 1, 1)), init("scale", 1 + weights(1, c, 1, 1)), init("shift", weights(1, c, 1, 1))]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Mul", ["c", "scale"], ["m"], name="mul"),
        helper.make_node("Add", ["m", "shift"], ["y"], name="add"),
    ]
    save("conv_mul_add", nodes, [vi("x", [1, 3, 5, 5])], [vi("y", [1, c, 5, 5])], inits)


def gemm_batchnorm():
    inits = [init("w", weights(6, 4)), init("b", weights(6)), init("gamma", 1 + weights(6)), init("beta", weights(6)),
             init("mean", weights(6)), init("var", np.abs(1 + weights(6)))]
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="gemm", transB=1),
        helper.make_node("BatchNormalization", ["g", "gamma", "beta", "mean", "var"], ["y"], name="bn"),
    ]
    save("gemm_batchnorm", nodes, [vi("x", [3, 4])], [vi("y", [3, 6])], inits)


def noop_chain():
    # Identity, Dropout, a Cast to the same type, a Reshape to the same shape, an identity
    # Transpose, a zero Pad and a full Slice: all no-ops.
    nodes = [
        helper.make_node("Identity", ["x"], ["a"], name="identity"),
        helper.make_node("Dropout", ["a"], ["b"], name="dropout"),
        helper.make_node("Cast", ["b"], ["c"], name="cast_same", to=F),
        const("same_shape", np.array([2, 3, 4], np.int64)),
        helper.make_node("Reshape", ["c", "same_shape"], ["d"], name="reshape_same"),
        helper.make_node("Transpose", ["d"], ["e"], name="transpose_identity", perm=[0, 1, 2]),
        const("zero_pads", np.zeros(6, np.int64)),
        helper.make_node("Pad", ["e", "zero_pads"], ["f"], name="pad_zero"),
        const("s0", np.array([0], np.int64)),
        const("s_end", np.array([np.iinfo(np.int64).max], np.int64)),
        const("s_axis", np.array([1], np.int64)),
        helper.make_node("Slice", ["f", "s0", "s_end", "s_axis"], ["g"], name="slice_full"),
        helper.make_node("Relu", ["g"], ["y"], name="relu"),
    ]
    save("noop_chain", nodes, [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])])


def reshape_transpose_chains():
    nodes = [
        const("shape1", np.array([2, 12], np.int64)),
        const("shape2", np.array([4, 6], np.int64)),
        helper.make_node("Reshape", ["x", "shape1"], ["r1"], name="reshape1"),
        helper.make_node("Reshape", ["r1", "shape2"], ["r2"], name="reshape2"),
        helper.make_node("Transpose", ["r2"], ["t1"], name="transpose1", perm=[1, 0]),
        helper.make_node("Transpose", ["t1"], ["t2"], name="transpose2", perm=[1, 0]),
        helper.make_node("Relu", ["t2"], ["y"], name="relu"),
        const("axes", np.array([0], np.int64)),
        helper.make_node("Unsqueeze", ["y", "axes"], ["u"], name="unsqueeze"),
        helper.make_node("Squeeze", ["u", "axes"], ["z"], name="squeeze"),
    ]
    save("reshape_transpose_chains", nodes, [vi("x", [2, 3, 4])], [vi("z", [4, 6])])


def duplicates_and_cse():
    nodes = [
        const("k1", np.array([2.0], np.float32)),
        const("k2", np.array([2.0], np.float32)),
        helper.make_node("Mul", ["x", "k1"], ["m1"], name="mul1"),
        helper.make_node("Mul", ["x", "k2"], ["m2"], name="mul2"),
        helper.make_node("Relu", ["m1"], ["r1"], name="relu1"),
        helper.make_node("Relu", ["m2"], ["r2"], name="relu2"),
        helper.make_node("Add", ["r1", "r2"], ["y"], name="add"),
    ]
    save("duplicates_and_cse", nodes, [vi("x", [3, 5])], [vi("y", [3, 5])])


def layernorm_decomposed():
    # torch's LayerNorm as exported at opset < 17: ReduceMean, Sub, Pow, ReduceMean, Add eps, Sqrt, Div, Mul, Add.
    d = 16
    inits = [init("gamma", 1 + weights(d)), init("beta", weights(d))]
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], name="mean", axes=[-1]),
        helper.make_node("Sub", ["x", "mean"], ["xc"], name="center"),
        const("two", np.array(2.0, np.float32)),
        helper.make_node("Pow", ["xc", "two"], ["sq"], name="square"),
        helper.make_node("ReduceMean", ["sq"], ["var"], name="variance", axes=[-1]),
        const("eps", np.array(1e-5, np.float32)),
        helper.make_node("Add", ["var", "eps"], ["ve"], name="add_eps"),
        helper.make_node("Sqrt", ["ve"], ["std"], name="std"),
        helper.make_node("Div", ["xc", "std"], ["norm"], name="normalize"),
        helper.make_node("Mul", ["norm", "gamma"], ["scaled"], name="scale"),
        helper.make_node("Add", ["scaled", "beta"], ["y"], name="shift"),
    ]
    save("layernorm_decomposed", nodes, [vi("x", ["batch", 8, d])], [vi("y", ["batch", 8, d])], inits, opset=17)


def gelu_decomposed():
    # The erf form: 0.5 * x * (1 + erf(x / sqrt(2))).
    nodes = [
        const("sqrt2", np.array(1.4142135623730951, np.float32)),
        helper.make_node("Div", ["x", "sqrt2"], ["xs"], name="div"),
        helper.make_node("Erf", ["xs"], ["e"], name="erf"),
        const("one", np.array(1.0, np.float32)),
        helper.make_node("Add", ["e", "one"], ["e1"], name="add_one"),
        helper.make_node("Mul", ["x", "e1"], ["xe"], name="mul_x"),
        const("half", np.array(0.5, np.float32)),
        helper.make_node("Mul", ["xe", "half"], ["y"], name="mul_half"),
    ]
    save("gelu_decomposed", nodes, [vi("x", [4, 32])], [vi("y", [4, 32])], opset=20)


def gelu_tanh_decomposed():
    # The tanh approximation as HF's gelu_new exports it: (0.5 * x) * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
    nodes = [
        const("three", np.array(3.0, np.float32)),
        helper.make_node("Pow", ["x", "three"], ["x3"], name="pow"),
        const("k", np.array(0.044715, np.float32)),
        helper.make_node("Mul", ["k", "x3"], ["kx3"], name="mul_k"),
        helper.make_node("Add", ["x", "kx3"], ["inner"], name="add_inner"),
        const("c", np.array(0.7978845608028654, np.float32)),
        helper.make_node("Mul", ["c", "inner"], ["arg"], name="mul_c"),
        helper.make_node("Tanh", ["arg"], ["t"], name="tanh"),
        const("one", np.array(1.0, np.float32)),
        helper.make_node("Add", ["one", "t"], ["t1"], name="add_one"),
        const("half", np.array(0.5, np.float32)),
        helper.make_node("Mul", ["half", "x"], ["hx"], name="mul_half"),
        helper.make_node("Mul", ["hx", "t1"], ["y"], name="mul_out"),
    ]
    save("gelu_tanh_decomposed", nodes, [vi("x", [4, 32])], [vi("y", [4, 32])], opset=20)


def matmul_batchnorm():
    # A Linear without bias followed by BatchNorm1d, as torch exports it for 2-D inputs.
    inits = [init("w", weights(4, 6)), init("gamma", 1 + weights(6)), init("beta", weights(6)),
             init("mean", weights(6)), init("var", np.abs(1 + weights(6)))]
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
        helper.make_node("BatchNormalization", ["m", "gamma", "beta", "mean", "var"], ["y"], name="bn"),
    ]
    save("matmul_batchnorm", nodes, [vi("x", [3, 4])], [vi("y", [3, 6])], inits)


def save_contradictory(name, nodes, inputs, outputs, inits=()):
    # Well-formed protobuf whose shapes contradict: ONNX's full check would refuse it.
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="graft-patterns")
    m.ir_version = 8
    onnx.checker.check_model(m)
    bad = os.path.join(os.path.dirname(OUT), "contradictory")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString(deterministic=True))


def contradictions():
    save_contradictory("matmul_mismatch", [helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
                       [vi("a", [2, 3])], [vi("y", [2, 5])], [init("w", weights(4, 5))])
    save_contradictory("reshape_impossible",
                       [const("shape", np.array([4, -1], np.int64)),
                        helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                       [vi("x", [2, 3])], [vi("y", ["n", "m"])])


def main():
    os.makedirs(OUT, exist_ok=True)
    resize_scales_chain()
    shape_gather_reshape(False)
    shape_gather_reshape(True)
    slice_ends_from_shape()
    constant_of_shape_chain()
    constant_if()
    conv_batchnorm()
    conv_mul_add()
    gemm_batchnorm()
    noop_chain()
    reshape_transpose_chains()
    duplicates_and_cse()
    layernorm_decomposed()
    gelu_decomposed()
    gelu_tanh_decomposed()
    matmul_batchnorm()

    contradictions()  # last: the seeded weights of the models above stay as they were


if __name__ == "__main__":
    main()
