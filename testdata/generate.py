#!/usr/bin/env python3
"""Generate graft's ONNX importer/exporter test models.

Generated with: onnx 1.23.2 (PyPI), numpy 2.4.6, ml_dtypes 0.6.0, protobuf 7.36.2
(onnx 1.23.2 writes IR version 14 and knows default-domain opset 28).
Install:  pip install onnx numpy        (Debian's python3-onnx is too old)
Run:      python3 testdata/generate.py            # writes testdata/models/ and testdata/bad/
          python3 testdata/generate.py --report   # also reads every model back and lists
                                                  # the post-ONNX-1.12 fields it really holds

The output is deterministic: no timestamps, fixed seeds, and every file is written from
SerializeToString(deterministic=True) (or, for valid self-contained models, onnx.save,
which serializes the same way). Running the script twice gives byte-identical files.

Every model under models/ passes onnx.checker.check_model (full_check=True where shape
inference can handle it), except models/unsorted.onnx, whose only defect is its node
order (the same nodes in topological order pass; the script checks both). Every model
under bad/ is checked to be rejected by onnx (load or checker). See README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys

import numpy as np

import onnx
from onnx import (
    AttributeProto,
    GraphProto,
    ModelProto,
    NodeProto,
    SparseTensorProto,
    TensorProto,
    TrainingInfoProto,
    TypeProto,
    ValueInfoProto,
    checker,
    helper,
    numpy_helper,
)

try:
    import ml_dtypes  # installed with onnx >= 1.18
except ImportError:  # pragma: no cover
    ml_dtypes = None

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
BAD = os.path.join(HERE, "bad")

PRODUCER = "graft-testdata"
PRODUCER_VERSION = "1"
EX = "com.example"

WRITTEN: list[str] = []


# --------------------------------------------------------------------------- helpers


def rel(path: str) -> str:
    return os.path.relpath(path, HERE)


def write_bytes(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    WRITTEN.append(path)


def write_proto(path: str, model: ModelProto) -> None:
    """Serialize by hand (used where onnx.save would touch external data or where
    the model is deliberately broken)."""
    write_bytes(path, model.SerializeToString(deterministic=True))


def save_valid(path: str, model: ModelProto, full_check: bool = True) -> None:
    checker.check_model(model, full_check=full_check)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path, save_as_external_data=False)
    # onnx.save must produce exactly the deterministic serialization.
    with open(path, "rb") as f:
        assert f.read() == model.SerializeToString(deterministic=True), path
    # The path-based checker as well (it also resolves external data).
    checker.check_model(path, full_check=full_check)
    WRITTEN.append(path)


def meta(node_or_proto, **kv: str) -> None:
    """Append metadata_props entries (StringStringEntryProto) in the given order."""
    for k, v in kv.items():
        e = node_or_proto.metadata_props.add()
        e.key, e.value = k, v


def has_field(msg_cls, name: str) -> bool:
    return name in msg_cls.DESCRIPTOR.fields_by_name


def dtype_exists(name: str) -> bool:
    return hasattr(TensorProto, name)


def vi(name: str, elem: int, shape, doc: str | None = None) -> ValueInfoProto:
    v = helper.make_tensor_value_info(name, elem, shape)
    if doc:
        v.doc_string = doc
    return v


def model(graph: GraphProto, ir: int, opsets: list[tuple[str, int]], **kw) -> ModelProto:
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
        producer_name=PRODUCER,
        producer_version=PRODUCER_VERSION,
        **kw,
    )
    m.ir_version = ir
    return m


# --------------------------------------------------------------------------- 1. IR 10


def gen_ir10_newfields() -> None:
    """IR 10 / opset 21 model using the fields added after ONNX 1.12."""
    F = TensorProto.FLOAT

    # --- model-local functions: the same (domain, name) with two overloads -----------
    alpha_default = helper.make_attribute("alpha", 2.0, attr_type=AttributeProto.FLOAT)
    alpha_default.doc_string = "scale factor, default 2.0"

    def ref_const(out: str, attr: str) -> NodeProto:
        n = helper.make_node("Constant", [], [out], name=f"const_{attr}")
        a = n.attribute.add()
        a.name = "value_float"
        a.ref_attr_name = attr  # attribute reference resolved at the call site
        a.type = AttributeProto.FLOAT
        a.doc_string = f"references the function attribute '{attr}'"
        return n

    # ScaleAdd (default overload ""): Y = X*alpha + B*beta
    f_plain = helper.make_function(
        EX,
        "ScaleAdd",
        inputs=["X", "B"],
        outputs=["Y"],
        nodes=[
            ref_const("a", "alpha"),
            ref_const("b", "beta"),
            helper.make_node("Mul", ["X", "a"], ["xa"], name="mul_x", doc_string="X*alpha"),
            helper.make_node("Mul", ["B", "b"], ["bb"], name="mul_b"),
            helper.make_node("Add", ["xa", "bb"], ["Y"], name="add"),
        ],
        opset_imports=[helper.make_opsetid("", 21)],
        attributes=["beta"],  # no default: the caller must set it
        attribute_protos=[alpha_default],
        doc_string="ScaleAdd, default overload: Y = X*alpha + B*beta",
        overload="",
    )

    # ScaleAdd overload "v2": Y = (X + B) * alpha, with value_info for its intermediates.
    f_v2_kwargs = dict(
        doc_string="ScaleAdd, overload v2: Y = (X + B) * alpha",
        overload="v2",
    )
    f_v2 = helper.make_function(
        EX,
        "ScaleAdd",
        inputs=["X", "B"],
        outputs=["Y"],
        nodes=[
            ref_const("a", "alpha"),
            helper.make_node("Add", ["X", "B"], ["s"], name="add", doc_string="X+B"),
            helper.make_node("Mul", ["s", "a"], ["Y"], name="mul"),
        ],
        opset_imports=[helper.make_opsetid("", 21)],
        attribute_protos=[helper.make_attribute("alpha", 2.0, attr_type=AttributeProto.FLOAT)],
        **f_v2_kwargs,
    )
    # FunctionProto.value_info (IR 10): type of the function-internal values.
    if has_field(onnx.FunctionProto, "value_info"):
        v = helper.make_tensor_value_info("s", F, None)
        v.doc_string = "X+B inside the v2 body"
        if has_field(ValueInfoProto, "metadata_props"):
            meta(v, role="function-internal")
        f_v2.value_info.append(v)
        f_v2.value_info.append(helper.make_tensor_value_info("a", F, []))
    if has_field(onnx.FunctionProto, "metadata_props"):
        meta(f_v2, owner="graft", purpose="overload test")
        meta(f_plain, owner="graft")

    # --- main graph -------------------------------------------------------------------
    # X: float[batch, seq, 4] with dim denotations and a type denotation.
    x_type = helper.make_tensor_type_proto(F, ["batch", "seq", 4])
    x_type.denotation = "TENSOR"
    for d, den in zip(x_type.tensor_type.shape.dim, ["DATA_BATCH", "DATA_TIME", "DATA_FEATURE"]):
        d.denotation = den
    x = helper.make_value_info("X", x_type, doc_string="input activations")

    # clip_max is both a graph input and an initializer (an overridable default).
    clip_in = helper.make_tensor_value_info("clip_max", F, [])
    clip_in.doc_string = "graph input with an initializer default"

    y_type = helper.make_tensor_type_proto(F, ["batch", "seq", 4])
    y_type.denotation = "TENSOR"
    for d, den in zip(y_type.tensor_type.shape.dim, ["DATA_BATCH", "DATA_TIME", "DATA_FEATURE"]):
        d.denotation = den
    y = helper.make_value_info("Y", y_type, doc_string="output")

    bias = numpy_helper.from_array(np.array([0.5, -1.0, 0.0, 2.0], np.float32), "bias")
    bias.doc_string = "bias initializer"
    clip_max = numpy_helper.from_array(np.array(6.0, np.float32), "clip_max")
    clip_max.doc_string = "initializer that is also a graph input"
    if has_field(TensorProto, "metadata_props"):
        meta(bias, quantizable="false", source="hand-written")
        meta(clip_max, note="overridable")

    n0 = helper.make_node("ScaleAdd", ["X", "bias"], ["t0"], name="scale_add_v2",
                          domain=EX, overload="v2",
                          doc_string="calls the v2 overload, alpha left at its default")
    n1 = helper.make_node("ScaleAdd", ["t0", "bias"], ["t1"], name="scale_add_plain",
                          domain=EX, doc_string="calls the default overload",
                          alpha=0.5, beta=3.0)
    n1.attribute[0].doc_string = "overrides the 2.0 default"
    # Clip with an empty optional input ("" for min).
    n2 = helper.make_node("Clip", ["t1", "", "clip_max"], ["t2"], name="clip",
                          doc_string="min omitted via the empty name")
    n3 = helper.make_node("Relu", ["t2"], ["Y"], doc_string="node without a name")
    if has_field(NodeProto, "metadata_props"):
        meta(n0, origin="layer0", pass_name="none")
        meta(n1, origin="layer1")
        meta(n3, origin="head", empty_value="")

    # value_info with metadata_props; t1 has a dimension that is neither value nor param.
    t0 = helper.make_tensor_value_info("t0", F, ["batch", "seq", 4], doc_string="after v2")
    t1_type = helper.make_tensor_type_proto(F, ["batch", "seq", 4])
    t1_type.tensor_type.shape.dim[1].Clear()  # unknown dimension (no value, no param)
    t1 = helper.make_value_info("t1", t1_type, doc_string="unknown middle dim")
    if has_field(ValueInfoProto, "metadata_props"):
        meta(t0, stage="0")
        meta(t1, stage="1")
        meta(x, layout="NTC")
        meta(y, layout="NTC")

    g = helper.make_graph(
        [n0, n1, n2, n3],
        "ir10_newfields",
        [x, clip_in],
        [y],
        initializer=[bias, clip_max],
        doc_string="graph doc_string",
        value_info=[t0, t1],
    )
    if has_field(GraphProto, "metadata_props"):
        meta(g, graph_key="graph value", unicode_value="\u00e9t\u00e9 \u2713")

    m = model(g, 10, [("", 21), (EX, 1)], functions=[f_plain, f_v2],
              doc_string="IR 10 model exercising post-1.12 fields")
    m.domain = "com.example.graft"
    m.model_version = 7
    helper.set_model_props(m, {"author": "graft", "license": "Apache-2.0", "z_last": ""})
    save_valid(os.path.join(MODELS, "ir10_opset21_newfields.onnx"), m)


# --------------------------------------------------------------------------- 2. dtypes

NAN = float("nan")
FLOAT8_TYPES = {getattr(TensorProto, n) for n in ("FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                                  "FLOAT8E5M2FNUZ", "FLOAT8E8M0") if dtype_exists(n)}
INF = float("inf")


def f32_bits(bits: list[int]) -> np.ndarray:
    return np.array(bits, np.uint32).view(np.float32)


def dtype_table() -> list[tuple[str, int, np.ndarray, list[int]]]:
    """(name, TensorProto enum, numpy values, dims) for every type the installed onnx has,
    except STRING (handled separately) and the float6 types (see gen_dtypes_float6)."""
    rows = []

    def add(name, values, dims=None):
        if not dtype_exists(name):
            return
        arr = np.asarray(values)
        rows.append((name, getattr(TensorProto, name), arr, list(dims or arr.shape)))

    special = [0.0, -0.0, 1.5, NAN, INF, -INF]
    # float32: special values plus NaNs with a payload and a sign (bit patterns).
    add("FLOAT", np.concatenate([np.array(special, np.float32),
                                 f32_bits([0x7FC00001, 0xFFC00000, 0x00000001, 0x7F7FFFFF])]),
        dims=[2, 5])
    add("UINT8", np.array([0, 1, 127, 128, 255], np.uint8))
    add("INT8", np.array([-128, -1, 0, 1, 127], np.int8))
    add("UINT16", np.array([0, 1, 65535], np.uint16))
    add("INT16", np.array([-32768, -1, 0, 32767], np.int16))
    add("INT32", np.array([-(2**31), -1, 0, 1, 2**31 - 1, 7], np.int32), dims=[2, 3])
    add("INT64", np.array([-(2**63), -1, 0, 2**63 - 1], np.int64))
    add("BOOL", np.array([True, False, True], np.bool_))
    add("FLOAT16", np.array(special + [65504.0, 6e-8], np.float16))
    add("DOUBLE", np.array(special + [1e308, 5e-324], np.float64))
    add("UINT32", np.array([0, 1, 2**32 - 1], np.uint32))
    add("UINT64", np.array([0, 1, 2**63, 2**64 - 1], np.uint64))
    add("COMPLEX64", np.array([1 + 2j, complex(NAN, -0.0), complex(-INF, INF)], np.complex64))
    add("COMPLEX128", np.array([1 + 2j, complex(NAN, -0.0), complex(-INF, 1e-300)], np.complex128))
    if ml_dtypes is not None:
        md = ml_dtypes
        add("BFLOAT16", np.array(special + [3.3895e38], md.bfloat16))
        add("FLOAT8E4M3FN", np.array([0.0, -0.0, 1.5, NAN, 448.0, -448.0], md.float8_e4m3fn))
        add("FLOAT8E4M3FNUZ", np.array([0.0, 1.5, NAN, 240.0, -240.0], md.float8_e4m3fnuz))
        add("FLOAT8E5M2", np.array(special + [57344.0], md.float8_e5m2))
        add("FLOAT8E5M2FNUZ", np.array([0.0, 1.5, NAN, 57344.0, -57344.0], md.float8_e5m2fnuz))
        # 4-bit and 2-bit types: element counts that do not fill the last byte.
        add("UINT4", np.array([0, 1, 7, 8, 15, 3, 9], md.uint4))
        add("INT4", np.array([-8, -1, 0, 1, 7, 3, -5], md.int4))
        add("FLOAT4E2M1", np.array([0.0, -0.0, 0.5, 6.0, -6.0], md.float4_e2m1fn))
        if hasattr(md, "float8_e8m0fnu"):
            add("FLOAT8E8M0", np.array([1.0, 2.0, 0.5, NAN, 2.0**127], md.float8_e8m0fnu))
        if hasattr(md, "int2"):
            add("UINT2", np.array([0, 1, 2, 3, 1], md.uint2))
            add("INT2", np.array([-2, -1, 0, 1, -2], md.int2))
    return rows


def typed_tensor(name: str, elem: int, arr: np.ndarray, dims: list[int]) -> TensorProto:
    """The typed-field form, laid out exactly as helper.make_tensor(raw=False) writes it.

    make_tensor saturates float8 values (Inf -> the largest finite value); for the one
    type here that has infinities (FLOAT8E5M2) the int32_data entries are then set to
    the exact bit patterns, which is the layout the proto defines (one value per entry)."""
    vals = arr.reshape(-1).tolist() if arr.dtype.kind in "iufcb" else arr.reshape(-1)
    t = helper.make_tensor(name, elem, dims, vals)
    if not np.array_equal(numpy_helper.to_array(t).reshape(-1).view(np.uint8),
                          arr.reshape(-1).view(np.uint8)) and elem in FLOAT8_TYPES:
        del t.int32_data[:]
        t.int32_data.extend(int(b) for b in arr.reshape(-1).view(np.uint8))
    return t


def raw_tensor(name: str, arr: np.ndarray, dims: list[int]) -> TensorProto:
    t = numpy_helper.from_array(arr.reshape(dims), name)
    assert t.HasField("raw_data"), name
    return t


def same_tensor(a: TensorProto, b: TensorProto) -> bool:
    x, y = numpy_helper.to_array(a), numpy_helper.to_array(b)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    return x.tobytes() == y.tobytes()


def gen_dtypes_all() -> None:
    nodes, inits, outputs = [], [], []
    forms = []
    rows = dtype_table()
    for i, (name, elem, arr, dims) in enumerate(rows):
        lname = name.lower()
        # Alternate storage forms: the initializer and the Constant always differ.
        init_raw = i % 2 == 0
        if init_raw:
            t_init = raw_tensor(f"init_{lname}", arr, dims)
            t_const = typed_tensor(f"const_{lname}", elem, arr, dims)
        else:
            t_init = typed_tensor(f"init_{lname}", elem, arr, dims)
            t_const = raw_tensor(f"const_{lname}", arr, dims)
        # Both forms must decode to the same bits.
        assert same_tensor(t_init, t_const), name
        t_init.doc_string = f"{name} as {'raw_data' if init_raw else 'typed fields'}"
        inits.append(t_init)
        nodes.append(helper.make_node("Identity", [t_init.name], [f"out_init_{lname}"],
                                      name=f"id_{lname}"))
        outputs.append(vi(f"out_init_{lname}", elem, dims))
        nodes.append(helper.make_node("Constant", [], [f"out_const_{lname}"],
                                      name=f"const_{lname}", value=t_const))
        outputs.append(vi(f"out_const_{lname}", elem, dims))
        forms.append((name, "raw" if init_raw else typed_fields(t_init),
                      typed_fields(t_const) if init_raw else "raw"))

    # STRING: string_data only (raw_data is not allowed for strings).
    # string_data must hold UTF-8 (onnx.proto); an embedded NUL is still valid UTF-8.
    strs = np.array([b"", b"hello", "\u00fcn\u00efc\u00f8d\u00e9 \U0001F600".encode(),
                     b"nul\x00inside"], dtype=object)
    t_s = helper.make_tensor("init_string", TensorProto.STRING, [2, 2], strs)
    t_s.doc_string = "STRING via string_data: empty, ASCII, multi-byte UTF-8, embedded NUL"
    t_sc = helper.make_tensor("const_string", TensorProto.STRING, [1], [b"const"])
    inits.append(t_s)
    nodes.append(helper.make_node("Identity", ["init_string"], ["out_init_string"], name="id_string"))
    outputs.append(vi("out_init_string", TensorProto.STRING, [2, 2]))
    nodes.append(helper.make_node("Constant", [], ["out_const_string"], name="const_string",
                                  value=t_sc))
    outputs.append(vi("out_const_string", TensorProto.STRING, [1]))
    forms.append(("STRING", "string_data", "string_data"))

    # Shape edge cases: a scalar and a zero-element tensor.
    scal = helper.make_tensor("edge_scalar_int64", TensorProto.INT64, [], [42])
    empty = numpy_helper.from_array(np.zeros((0, 3), np.float32), "edge_empty_float")
    inits += [scal, empty]
    nodes.append(helper.make_node("Identity", ["edge_scalar_int64"], ["out_edge_scalar"], name="id_scalar"))
    nodes.append(helper.make_node("Identity", ["edge_empty_float"], ["out_edge_empty"], name="id_empty"))
    outputs += [vi("out_edge_scalar", TensorProto.INT64, []),
                vi("out_edge_empty", TensorProto.FLOAT, [0, 3])]

    g = helper.make_graph(nodes, "dtypes_all", [], outputs, initializer=inits)
    ir = max(helper.find_min_ir_version_for([helper.make_opsetid("", 25)]), needed_ir(rows))
    m = model(g, ir, [("", 25)], doc_string="one initializer + one Constant per data type")
    save_valid(os.path.join(MODELS, "dtypes_all.onnx"), m)
    return forms


def needed_ir(rows) -> int:
    ir = 9
    names = {r[0] for r in rows}
    if names & {"UINT4", "INT4"}:
        ir = max(ir, 10)
    if "FLOAT4E2M1" in names:
        ir = max(ir, 11)
    if "FLOAT8E8M0" in names:
        ir = max(ir, 12)
    if names & {"UINT2", "INT2"}:
        ir = max(ir, 13)
    return ir


def typed_fields(t: TensorProto) -> str:
    for f in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
        if len(getattr(t, f)):
            return f
    return "raw" if t.HasField("raw_data") else "?"


def gen_dtypes_float6():
    """FLOAT6E2M3 / FLOAT6E3M2 (IR 14, opset 28): kept apart so dtypes_all stays IR 13.
    Identity/Constant do not list float6, so the values reach the outputs through Cast."""
    if not (dtype_exists("FLOAT6E2M3") and ml_dtypes is not None
            and hasattr(ml_dtypes, "float6_e2m3fn")):
        return None
    nodes, inits, outputs = [], [], []
    rows = [("FLOAT6E2M3", TensorProto.FLOAT6E2M3,
             np.array([0.0, -0.0, 0.125, 7.5, -7.5], ml_dtypes.float6_e2m3fn)),
            ("FLOAT6E3M2", TensorProto.FLOAT6E3M2,
             np.array([0.0, -0.0, 0.0625, 28.0, -28.0, 1.5, 3.0], ml_dtypes.float6_e3m2fn))]
    for i, (name, elem, arr) in enumerate(rows):
        lname = name.lower()
        dims = list(arr.shape)
        t_raw = raw_tensor(f"init_{lname}_raw", arr, dims)
        t_typ = typed_tensor(f"init_{lname}_typed", elem, arr, dims)
        assert same_tensor(t_raw, t_typ), name
        for t in (t_raw, t_typ):
            inits.append(t)
            nodes.append(helper.make_node("Cast", [t.name], [f"out_{t.name}"], name=f"cast_{t.name}",
                                          to=TensorProto.FLOAT))
            outputs.append(vi(f"out_{t.name}", TensorProto.FLOAT, dims))
        # the float6 values themselves also leave the graph: Cast float6 -> float6 is legal.
        nodes.append(helper.make_node("Cast", [t_raw.name], [f"out_{lname}"], name=f"cast_keep_{lname}",
                                      to=elem))
        outputs.append(vi(f"out_{lname}", elem, dims))
    g = helper.make_graph(nodes, "dtypes_float6", [], outputs, initializer=inits)
    m = model(g, 14, [("", 28)], doc_string="float6 types (IR 14, opset 28)")
    save_valid(os.path.join(MODELS, "dtypes_float6_ir14.onnx"), m)
    return [r[0] for r in rows]


# --------------------------------------------------------------------------- 3. subgraphs


def gen_subgraphs() -> None:
    F, B, I64 = TensorProto.FLOAT, TensorProto.BOOL, TensorProto.INT64
    W = numpy_helper.from_array(np.array([1.0, 2.0, 3.0], np.float32), "W")
    trip = numpy_helper.from_array(np.array(3, np.int64), "trip")
    two = numpy_helper.from_array(np.array(2, np.int64), "two")
    zero = numpy_helper.from_array(np.array(0, np.int64), "zero")

    outer = [helper.make_node("Mul", ["X", "W"], ["XW"], name="outer_mul")]

    # If: both branches read an outer initializer (W) and an outer node output (XW).
    then_g = helper.make_graph(
        [helper.make_node("Add", ["XW", "W"], ["then_out"], name="then_add")],
        "then_branch", [], [vi("then_out", F, [3])])
    k = numpy_helper.from_array(np.array([0.5, 0.5, 0.5], np.float32), "else_k")
    else_g = helper.make_graph(
        [helper.make_node("Sub", ["XW", "W"], ["else_tmp"], name="else_sub"),
         helper.make_node("Mul", ["else_tmp", "else_k"], ["else_out"], name="else_mul")],
        "else_branch", [], [vi("else_out", F, [3])], initializer=[k],
        doc_string="branch with its own initializer")
    outer.append(helper.make_node("If", ["cond"], ["if_out"], name="if_top",
                                  then_branch=then_g, else_branch=else_g))

    # Loop: trip count from an initializer, cond input omitted (""), one loop-carried
    # value, one scan output; the body holds a nested If that reads values from the body
    # (acc_out), from the main graph (XW) and the loop counter.
    n_then = helper.make_graph(
        [helper.make_node("Mul", ["acc_out", "XW"], ["n_then_out"], name="nested_then_mul")],
        "nested_then", [], [vi("n_then_out", F, [3])])
    n_else = helper.make_graph(
        [helper.make_node("Identity", ["acc_out"], ["n_else_out"], name="nested_else_id")],
        "nested_else", [], [vi("n_else_out", F, [3])])
    body = helper.make_graph(
        [
            helper.make_node("Add", ["acc_in", "W"], ["acc_out"], name="body_add"),
            helper.make_node("Mod", ["iter", "two"], ["iter_mod"], name="body_mod"),
            helper.make_node("Equal", ["iter_mod", "zero"], ["is_even"], name="body_eq"),
            helper.make_node("If", ["is_even"], ["scan_elem"], name="body_if",
                             then_branch=n_then, else_branch=n_else),
            # cond input of the Loop is omitted ("for" loop): cond_in carries no defined
            # value, so the body's own condition comes from a Constant.
            helper.make_node("Constant", [], ["cond_out"], name="body_cond",
                             value=helper.make_tensor("true", TensorProto.BOOL, [], [True])),
        ],
        "loop_body",
        [vi("iter", I64, []), vi("cond_in", B, []), vi("acc_in", F, [3])],
        [vi("cond_out", B, []), vi("acc_out", F, [3]), vi("scan_elem", F, [3])],
        doc_string="loop body: carried acc, scan output from a nested If")
    outer.append(helper.make_node("Loop", ["trip", "", "X"], ["loop_acc", "loop_scan"],
                                  name="loop", body=body))

    # Scan over seq (axis 0) with one state; the body also reads the outer W.
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["state_in", "x_t"], ["state_out"], name="scan_add"),
         helper.make_node("Mul", ["state_out", "W"], ["y_t"], name="scan_mul")],
        "scan_body",
        [vi("state_in", F, [3]), vi("x_t", F, [3])],
        [vi("state_out", F, [3]), vi("y_t", F, [3])])
    outer.append(helper.make_node("Scan", ["X", "seq"], ["scan_state", "scan_ys"], name="scan",
                                  body=scan_body, num_scan_inputs=1,
                                  scan_input_directions=[1], scan_output_axes=[0]))

    g = helper.make_graph(
        outer, "subgraphs",
        [vi("cond", B, []), vi("X", F, [3]), vi("seq", F, [4, 3])],
        [vi("if_out", F, [3]), vi("loop_acc", F, [3]), vi("loop_scan", F, [3, 3]),
         vi("scan_state", F, [3]), vi("scan_ys", F, [4, 3])],
        initializer=[W, trip, two, zero])
    m = model(g, 8, [("", 17)], doc_string="If/Loop/Scan with outer-scope captures")
    save_valid(os.path.join(MODELS, "subgraphs.onnx"), m)
    return m


# --------------------------------------------------------------------------- 4. external


def ext_tensor(name: str, elem: int, dims: list[int], entries: list[tuple[str, str]]) -> TensorProto:
    t = TensorProto()
    t.name = name
    t.data_type = elem
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def gen_external() -> None:
    F, I64 = TensorProto.FLOAT, TensorProto.INT64
    d = os.path.join(MODELS, "external")
    if os.path.isdir(d):
        shutil.rmtree(d)
    rng = np.random.default_rng(20240611)
    w_a = rng.standard_normal((16, 16)).astype(np.float32)
    w_b = rng.standard_normal(16).astype(np.float32)
    w_c = np.array([0, 3, 5, 10, 15], np.int64)
    w_d = rng.standard_normal((8, 4)).astype(np.float32)
    w_inline = np.array([0.25, -0.25, 1.0, -1.0], np.float32)

    # weights.bin: w_a at 0, w_b at 4096 (page aligned), w_c at 4163 (unaligned);
    # padding is 0xCD so a reader that ignores offsets reads garbage.
    off_a, off_b = 0, 4096
    off_c = off_b + w_b.nbytes + 3
    buf = bytearray(b"\xcd" * (off_c + w_c.nbytes + 5))
    buf[off_a:off_a + w_a.nbytes] = w_a.tobytes()
    buf[off_b:off_b + w_b.nbytes] = w_b.tobytes()
    buf[off_c:off_c + w_c.nbytes] = w_c.astype("<i8").tobytes()
    # more/other.bin: w_d at offset 16.
    off_d = 16
    buf2 = bytearray(b"\xcd" * (off_d + w_d.nbytes))
    buf2[off_d:] = w_d.tobytes()

    inits = [
        ext_tensor("w_a", F, [16, 16], [("location", "weights.bin"), ("offset", str(off_a)),
                                        ("length", str(w_a.nbytes))]),
        ext_tensor("w_b", F, [16], [("location", "weights.bin"), ("offset", str(off_b)),
                                    ("length", str(w_b.nbytes))]),
        ext_tensor("w_c", I64, [5], [("location", "weights.bin"), ("offset", str(off_c)),
                                     ("length", str(w_c.nbytes))]),
        ext_tensor("w_d", F, [8, 4], [("location", "more/other.bin"), ("offset", str(off_d)),
                                      ("length", str(w_d.nbytes)),
                                      ("checksum", hashlib.sha256(w_d.tobytes()).hexdigest())]),
        numpy_helper.from_array(w_inline, "w_inline"),
    ]
    inits[3].doc_string = "external tensor in a subfolder with an extra 'checksum' key"
    nodes = [
        helper.make_node("MatMul", ["X", "w_a"], ["xa"], name="mm_a"),
        helper.make_node("Add", ["xa", "w_b"], ["Y"], name="add_b"),
        helper.make_node("Gather", ["Y", "w_c"], ["Z"], name="gather_c", axis=1),
        helper.make_node("MatMul", ["X2", "w_d"], ["xd"], name="mm_d"),
        helper.make_node("Add", ["xd", "w_inline"], ["V"], name="add_inline"),
    ]
    g = helper.make_graph(
        nodes, "external",
        [vi("X", F, [1, 16]), vi("X2", F, [1, 8])],
        [vi("Y", F, [1, 16]), vi("Z", F, [1, 5]), vi("V", F, [1, 4])],
        initializer=inits)
    m = model(g, 10, [("", 21)], doc_string="initializers in external files")
    path = os.path.join(d, "model.onnx")
    write_proto(path, m)  # onnx.save would rewrite the external files itself
    write_bytes(os.path.join(d, "weights.bin"), bytes(buf))
    write_bytes(os.path.join(d, "more", "other.bin"), bytes(buf2))
    checker.check_model(path, full_check=True)

    # Read back through onnx's own loader and compare every value.
    loaded = onnx.load(path)
    got = {t.name: numpy_helper.to_array(t) for t in loaded.graph.initializer}
    for name, want in [("w_a", w_a), ("w_b", w_b), ("w_c", w_c), ("w_d", w_d), ("w_inline", w_inline)]:
        assert np.array_equal(got[name], want), name
    return m


# --------------------------------------------------------------------------- 5. training


def gen_training_info() -> None:
    F = TensorProto.FLOAT
    W = numpy_helper.from_array(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], np.float32), "W")
    Bv = numpy_helper.from_array(np.array([0.0, 0.0], np.float32), "B")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["xw"], name="mm"),
         helper.make_node("Add", ["xw", "B"], ["Y"], name="add")],
        "inference", [vi("X", F, ["N", 3])], [vi("Y", F, ["N", 2])], initializer=[W, Bv])

    init_g = helper.make_graph(
        [helper.make_node("Constant", [], ["W_init"], name="w0",
                          value=numpy_helper.from_array(np.full((3, 2), 0.01, np.float32))),
         helper.make_node("Constant", [], ["B_init"], name="b0",
                          value=numpy_helper.from_array(np.zeros(2, np.float32)))],
        "initialization", [], [vi("W_init", F, [3, 2]), vi("B_init", F, [2])],
        doc_string="produces the initial W and B")

    lr = numpy_helper.from_array(np.array(0.01, np.float32), "lr")
    algo_g = helper.make_graph(
        [
            helper.make_node("MatMul", ["X", "W"], ["a_xw"], name="a_mm"),
            helper.make_node("Add", ["a_xw", "B"], ["a_y"], name="a_add"),
            helper.make_node("Sub", ["a_y", "Y_true"], ["a_err"], name="a_sub"),
            helper.make_node("Mul", ["a_err", "a_err"], ["a_sq"], name="a_sq"),
            helper.make_node("ReduceMean", ["a_sq"], ["loss"], name="a_loss", keepdims=0),
            helper.make_node("Gradient", ["X", "Y_true"], ["dW", "dB"], name="grad",
                             domain="ai.onnx.preview.training",
                             xs=["W", "B"], zs=["X", "Y_true"], y="loss"),
            helper.make_node("Mul", ["dW", "lr"], ["sW"], name="a_sw"),
            helper.make_node("Sub", ["W", "sW"], ["W_new"], name="a_uw"),
            helper.make_node("Mul", ["dB", "lr"], ["sB"], name="a_sb"),
            helper.make_node("Sub", ["B", "sB"], ["B_new"], name="a_ub"),
        ],
        "algorithm",
        [vi("X", F, ["N", 3]), vi("Y_true", F, ["N", 2])],
        [vi("W_new", F, [3, 2]), vi("B_new", F, [2]), vi("loss", F, [])],
        initializer=[lr],
        doc_string="one SGD step on the inference graph's W and B")

    ti = TrainingInfoProto()
    ti.initialization.CopyFrom(init_g)
    ti.algorithm.CopyFrom(algo_g)
    for k, v in (("W", "W_init"), ("B", "B_init")):
        e = ti.initialization_binding.add()
        e.key, e.value = k, v
    for k, v in (("W", "W_new"), ("B", "B_new")):
        e = ti.update_binding.add()
        e.key, e.value = k, v

    m = model(g, 8, [("", 17), ("ai.onnx.preview.training", 1)],
              doc_string="inference graph + TrainingInfoProto")
    m.training_info.append(ti)
    save_valid(os.path.join(MODELS, "training_info.onnx"), m)


# --------------------------------------------------------------------------- 6. sparse


def gen_sparse() -> None:
    F = TensorProto.FLOAT
    # sparse_initializer: 4x5 matrix, COO indices of shape [NNZ, rank].
    vals = numpy_helper.from_array(np.array([1.5, -2.0, 3.25], np.float32), "S")
    idx = numpy_helper.from_array(np.array([[0, 1], [2, 0], [3, 4]], np.int64), "S_indices")
    S = helper.make_sparse_tensor(vals, idx, [4, 5])
    # Constant sparse_value: length-10 vector, linearized indices of shape [NNZ].
    cvals = numpy_helper.from_array(np.array([7.0, 8.0], np.float32), "c_values")
    cidx = numpy_helper.from_array(np.array([1, 8], np.int64), "c_indices")
    C = helper.make_sparse_tensor(cvals, cidx, [10])
    nodes = [
        helper.make_node("MatMul", ["X", "S"], ["Y"], name="mm_sparse"),
        helper.make_node("Constant", [], ["C"], name="const_sparse", sparse_value=C),
        helper.make_node("Add", ["C", "X10"], ["Z"], name="add_sparse"),
    ]
    g = helper.make_graph(nodes, "sparse",
                          [vi("X", F, [2, 4]), vi("X10", F, [10])],
                          [vi("Y", F, [2, 5]), vi("Z", F, [10])])
    g.sparse_initializer.append(S)
    m = model(g, 8, [("", 17)], doc_string="sparse_initializer + Constant(sparse_value)")
    # full_check=False: onnx shape inference types S as sparse_tensor and MatMul's
    # inference then fails; the structural checker accepts the model.
    save_valid(os.path.join(MODELS, "sparse.onnx"), m, full_check=False)


# --------------------------------------------------------------------------- 7. quant


def gen_quant_annotation() -> None:
    F, U8 = TensorProto.FLOAT, TensorProto.UINT8
    inits = [
        numpy_helper.from_array(np.array(0.05, np.float32), "x_scale"),
        numpy_helper.from_array(np.array(128, np.uint8), "x_zero_point"),
        # Referenced only by quantization_annotation: an importer must not drop them.
        numpy_helper.from_array(np.array(0.1, np.float32), "y_scale"),
        numpy_helper.from_array(np.array(0, np.uint8), "y_zero_point"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["X", "x_scale", "x_zero_point"], ["Xq"], name="q"),
        helper.make_node("DequantizeLinear", ["Xq", "x_scale", "x_zero_point"], ["Xdq"], name="dq"),
        helper.make_node("Relu", ["Xdq"], ["Y"], name="relu"),
    ]
    g = helper.make_graph(nodes, "quant", [vi("X", F, [1, 8])], [vi("Y", F, [1, 8])],
                          initializer=inits, value_info=[vi("Xq", U8, [1, 8])])
    for tname, s, z in (("X", "x_scale", "x_zero_point"), ("Y", "y_scale", "y_zero_point")):
        a = g.quantization_annotation.add()
        a.tensor_name = tname
        for k, v in (("SCALE_TENSOR", s), ("ZERO_POINT_TENSOR", z)):
            e = a.quant_parameter_tensor_names.add()
            e.key, e.value = k, v
    a = g.quantization_annotation.add()
    a.tensor_name = "Xdq"
    e = a.quant_parameter_tensor_names.add()
    e.key, e.value = "CUSTOM_KEY", "free-form value"
    m = model(g, 8, [("", 17)], doc_string="graph.quantization_annotation")
    save_valid(os.path.join(MODELS, "quant_annotation.onnx"), m)


# --------------------------------------------------------------------------- 8. unsorted


def unsorted_graph(sorted_order: bool) -> GraphProto:
    F, B = TensorProto.FLOAT, TensorProto.BOOL
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    # then-branch: two nodes, listed in reverse order unless sorted_order.
    then_nodes = [helper.make_node("Add", ["d", "a"], ["t1"], name="then_add"),
                  helper.make_node("Mul", ["t1", "t1"], ["then_out"], name="then_mul")]
    if not sorted_order:
        then_nodes.reverse()
    then_g = helper.make_graph(then_nodes, "then", [], [vi("then_out", F, [4])])
    else_g = helper.make_graph([helper.make_node("Sub", ["d", "c"], ["else_out"], name="else_sub")],
                               "else", [], [vi("else_out", F, [4])])
    topo = [
        helper.make_node("Relu", ["X"], ["a"], name="n0_relu"),
        helper.make_node("Neg", ["a"], ["b"], name="n1_neg"),
        helper.make_node("Exp", ["a"], ["c"], name="n2_exp"),
        helper.make_node("Add", ["b", "c"], ["d"], name="n3_add"),
        helper.make_node("ReduceSum", ["d"], ["s"], name="n4_sum", keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["cond"], name="n5_gt"),
        # the If reads a, c, d only implicitly (from its branches)
        helper.make_node("If", ["cond"], ["e"], name="n6_if", then_branch=then_g, else_branch=else_g),
        helper.make_node("Mul", ["e", "b"], ["Y"], name="n7_mul"),
    ]
    # Fixed permutation: consumers before producers, the If before what it captures.
    order = list(range(8)) if sorted_order else [7, 6, 3, 5, 1, 4, 0, 2]
    return helper.make_graph([topo[i] for i in order], "unsorted", [vi("X", F, [4])],
                             [vi("Y", F, [4])], initializer=[zero])


def gen_unsorted() -> None:
    good = model(unsorted_graph(True), 8, [("", 17)])
    checker.check_model(good, full_check=True)
    m = model(unsorted_graph(False), 8, [("", 17)],
              doc_string="valid except that nodes are not in topological order")
    try:
        checker.check_model(m)
    except checker.ValidationError as e:
        assert "topological" in str(e), e
    else:
        raise AssertionError("checker accepted the unsorted graph")
    write_proto(os.path.join(MODELS, "unsorted.onnx"), m)


# --------------------------------------------------------------------------- extras


def gen_attributes_all() -> None:
    """A custom-domain node carrying every AttributeProto type (checker skips the schema of
    ops in unknown domains), to test attribute round-trips beyond what ONNX ops use."""
    F = TensorProto.FLOAT
    sub = helper.make_graph([helper.make_node("Identity", ["sg_in"], ["sg_out"])], "attr_graph",
                            [vi("sg_in", F, [1])], [vi("sg_out", F, [1])])
    sub2 = helper.make_graph([helper.make_node("Neg", ["sg2_in"], ["sg2_out"])], "attr_graph2",
                             [vi("sg2_in", F, [1])], [vi("sg2_out", F, [1])])
    sp = helper.make_sparse_tensor(numpy_helper.from_array(np.array([1.0], np.float32), "spv"),
                                   numpy_helper.from_array(np.array([2], np.int64), "spi"), [3])
    tp_seq = helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, [2, "n"]))
    tp_map = helper.make_map_type_proto(TensorProto.STRING, helper.make_tensor_type_proto(F, None))
    tp_opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.INT64, []))
    n = helper.make_node(
        "AttrBag", ["X"], ["Y"], name="attr_bag", domain=EX,
        a_float=-0.0, a_int=-(2**63), a_string=b"\x00bytes\xff",
        a_tensor=numpy_helper.from_array(np.array([1, 2], np.int32), "t"),
        a_graph=sub,
        a_sparse=sp,
        a_type=helper.make_tensor_type_proto(TensorProto.BFLOAT16, ["batch", None, 3]),
        a_floats=[1.0, float("nan"), -float("inf")],
        a_ints=[0, -1, 2**63 - 1],
        a_strings=[b"", b"x"],
        a_tensors=[numpy_helper.from_array(np.array([1.5], np.float64), "t1"),
                   helper.make_tensor("t2", TensorProto.STRING, [1], [b"s"])],
        a_graphs=[sub, sub2],
        a_sparses=[sp],
        a_types=[tp_seq, tp_map, tp_opt],
    )
    # Empty lists: only the type tells them apart.
    for name, t in (("empty_floats", AttributeProto.FLOATS), ("empty_ints", AttributeProto.INTS),
                    ("empty_strings", AttributeProto.STRINGS)):
        a = n.attribute.add()
        a.name, a.type = name, t
    n.attribute[0].doc_string = "attribute doc_string"
    g = helper.make_graph([n], "attributes_all", [vi("X", F, [1])], [vi("Y", F, [1])])
    m = model(g, 10, [("", 21), (EX, 1)], doc_string="every AttributeProto type on one node")
    save_valid(os.path.join(MODELS, "attributes_all.onnx"), m, full_check=False)
    got = {a.type for a in m.graph.node[0].attribute}
    want = {v for k, v in AttributeProto.AttributeType.items() if k != "UNDEFINED"}
    assert got == want, want - got


def gen_multidevice():
    """IR 11 multi-device fields: ModelProto.configuration, NodeProto.device_configurations."""
    if not (has_field(ModelProto, "configuration") and has_field(NodeProto, "device_configurations")):
        return False
    F = TensorProto.FLOAT
    W = numpy_helper.from_array(np.arange(32, dtype=np.float32).reshape(8, 4), "W")
    n = helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm_sharded")
    dc = n.device_configurations.add()
    dc.configuration_id = "two_gpus"
    dc.pipeline_stage = 0
    spec = dc.sharding_spec.add()
    spec.tensor_name = "W"
    spec.device.extend([0, 1])
    sd = spec.sharded_dim.add()
    sd.axis = 1
    ss = sd.simple_sharding.add()
    ss.dim_value = 4
    ss.num_shards = 2
    spec2 = dc.sharding_spec.add()
    spec2.tensor_name = "X"
    spec2.device.extend([0, 1])
    e = spec2.index_to_device_group_map.add()
    e.key = 0
    e.value.extend([0, 1])
    sd2 = spec2.sharded_dim.add()
    sd2.axis = 0
    ss2 = sd2.simple_sharding.add()
    ss2.dim_param = "batch"
    ss2.num_shards = 1
    g = helper.make_graph([n], "multidevice", [vi("X", F, ["batch", 8])], [vi("Y", F, ["batch", 4])],
                          initializer=[W])
    m = model(g, 11, [("", 23)], doc_string="multi-device annotations (IR 11)")
    c = m.configuration.add()
    c.name = "two_gpus"
    c.num_devices = 2
    c.device.extend(["cuda:0", "cuda:1"])
    save_valid(os.path.join(MODELS, "ir11_multidevice.onnx"), m)
    return True


# --------------------------------------------------------------------------- 9. bad


BAD_EXPECT: list[tuple[str, str]] = []


def expect_rejected(path: str) -> str:
    """Return onnx's error for a bad model; fail if onnx accepts it."""
    try:
        m = onnx.load(path)  # also resolves external data
    except Exception as e:  # noqa: BLE001
        return f"onnx.load: {type(e).__name__}: {str(e).splitlines()[0][:150]}"
    try:
        checker.check_model(path, full_check=True)
    except Exception as e:  # noqa: BLE001
        return f"checker: {str(e).splitlines()[0][:150]}"
    raise AssertionError(f"onnx accepted {path}")


def small_graph(nodes, inputs=("X",), outputs=("Y",), inits=()) -> ModelProto:
    F = TensorProto.FLOAT
    g = helper.make_graph(nodes, "bad", [vi(i, F, [2]) for i in inputs],
                          [vi(o, F, [2]) for o in outputs], initializer=list(inits))
    return model(g, 8, [("", 17)])


def gen_bad(valid_for_truncation: bytes) -> None:
    if os.path.isdir(BAD):
        shutil.rmtree(BAD)

    def put(name: str, m: ModelProto | None = None, data: bytes | None = None):
        path = os.path.join(BAD, name)
        if m is not None:
            write_proto(path, m)
        else:
            write_bytes(path, data)
        return path

    put("dangling_input.onnx", small_graph(
        [helper.make_node("Add", ["X", "nobody_makes_this"], ["Y"], name="add")]))
    put("cycle.onnx", small_graph(
        [helper.make_node("Add", ["X", "b"], ["a"], name="add"),
         helper.make_node("Relu", ["a"], ["b"], name="relu"),
         helper.make_node("Identity", ["a"], ["Y"], name="out")]))
    put("duplicate_output.onnx", small_graph(
        [helper.make_node("Relu", ["X"], ["Y"], name="relu"),
         helper.make_node("Neg", ["X"], ["Y"], name="neg")]))
    text = (b"This is not an ONNX model.\n"
            b"It is a plain text file that happens to end in .onnx.\n")
    put("not_onnx.onnx", data=text)
    put("truncated.onnx", data=valid_for_truncation[: len(valid_for_truncation) // 2])

    F = TensorProto.FLOAT

    def ext_model(entries, dims=(4,), elem=F):
        t = ext_tensor("w", elem, list(dims), entries)
        g = helper.make_graph([helper.make_node("Identity", ["w"], ["Y"], name="id")], "bad_ext", [],
                              [vi("Y", elem, list(dims))], initializer=[t])
        return model(g, 8, [("", 17)])

    put("external_missing/model.onnx",
        ext_model([("location", "weights.bin"), ("offset", "0"), ("length", "16")]))
    put("external_offset_past_end/model.onnx",
        ext_model([("location", "weights.bin"), ("offset", "4096"), ("length", "16")]))
    put("external_offset_past_end/weights.bin", data=np.arange(16, dtype=np.float32).tobytes())
    # Escapes the model folder but names a file that exists (models/external/weights.bin,
    # offset 4096 holds 16 floats): only a path check can refuse it.
    put("external_escape/model.onnx",
        ext_model([("location", "../../models/external/weights.bin"), ("offset", "4096"),
                   ("length", "64")], dims=(16,)))
    # Absolute path to a file that exists on any Linux machine.
    put("external_absolute/model.onnx",
        ext_model([("location", "/etc/hostname"), ("offset", "0"), ("length", "1")],
                  dims=(1,), elem=TensorProto.UINT8))

    for name in ["dangling_input.onnx", "cycle.onnx", "duplicate_output.onnx", "not_onnx.onnx",
                 "truncated.onnx", "external_missing/model.onnx",
                 "external_offset_past_end/model.onnx", "external_escape/model.onnx",
                 "external_absolute/model.onnx"]:
        BAD_EXPECT.append((name, expect_rejected(os.path.join(BAD, name))))


# --------------------------------------------------------------------------- report


NEW_FIELDS = {
    "NodeProto": ["metadata_props", "overload", "device_configurations"],
    "GraphProto": ["metadata_props"],
    "ValueInfoProto": ["metadata_props"],
    "TensorProto": ["metadata_props"],
    "FunctionProto": ["overload", "value_info", "attribute_proto", "metadata_props"],
    "ModelProto": ["configuration"],
}


def walk(m: ModelProto):
    """Yield (kind, proto) for every message of interest, subgraphs included."""
    def graph(g):
        yield "GraphProto", g
        for x in list(g.input) + list(g.output) + list(g.value_info):
            yield "ValueInfoProto", x
        for t in g.initializer:
            yield "TensorProto", t
        for n in g.node:
            yield from node(n)

    def node(n):
        yield "NodeProto", n
        for a in n.attribute:
            if a.HasField("t"):
                yield "TensorProto", a.t
            if a.HasField("g"):
                yield from graph(a.g)
            for sg in a.graphs:
                yield from graph(sg)

    yield "ModelProto", m
    yield from graph(m.graph)
    for f in m.functions:
        yield "FunctionProto", f
        for x in f.value_info:
            yield "ValueInfoProto", x
        for n in f.node:
            yield from node(n)
    for ti in m.training_info:
        yield from graph(ti.initialization)
        yield from graph(ti.algorithm)


def report() -> None:
    print("\nRead-back report (onnx %s): post-1.12 fields present, with counts" % onnx.__version__)
    for path in sorted(p for p in WRITTEN if p.endswith(".onnx") and p.startswith(MODELS)):
        m = onnx.load(path)
        counts: dict[str, int] = {}
        for kind, p in walk(m):
            for f in NEW_FIELDS.get(kind, []):
                if not has_field(type(p), f):
                    continue
                v = getattr(p, f)
                present = len(v) > 0 if not isinstance(v, str) else v != ""
                if present:
                    counts[f"{kind}.{f}"] = counts.get(f"{kind}.{f}", 0) + 1
        extra = []
        if m.training_info:
            extra.append("training_info")
        if m.graph.sparse_initializer:
            extra.append("sparse_initializer")
        if m.graph.quantization_annotation:
            extra.append("quantization_annotation")
        dts = sorted({TensorProto.DataType.Name(t.data_type) for t in m.graph.initializer})
        print(f"  {rel(path)}: ir={m.ir_version} opsets="
              + ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import))
        if counts:
            print("     " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
        if extra:
            print("     " + ", ".join(extra))
        if "dtypes" in path:
            print("     initializer types: " + " ".join(dts))


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report", action="store_true", help="read models back and list new fields")
    args = ap.parse_args()

    missing = [f"{k}.{f}" for k, fs in NEW_FIELDS.items() for f in fs
               if not has_field(getattr(onnx, k), f)]
    os.makedirs(MODELS, exist_ok=True)
    gen_ir10_newfields()
    forms = gen_dtypes_all()
    f6 = gen_dtypes_float6()
    sub = gen_subgraphs()
    gen_external()
    gen_training_info()
    gen_sparse()
    gen_quant_annotation()
    gen_unsorted()
    gen_attributes_all()
    md = gen_multidevice()
    gen_bad(sub.SerializeToString(deterministic=True))

    print(f"onnx {onnx.__version__} (IR {onnx.IR_VERSION}, opset {onnx.defs.onnx_opset_version()})")
    total = 0
    for p in WRITTEN:
        size = os.path.getsize(p)
        total += size
        print(f"wrote {rel(p):50s} {size:8d} bytes")
    print(f"total {total} bytes in {len(WRITTEN)} files")
    print("dtypes_all storage (initializer / Constant): "
          + "; ".join(f"{n} {a}/{b}" for n, a, b in forms))
    if f6:
        print("dtypes_float6_ir14: " + ", ".join(f6))
    if not md:
        print("ir11_multidevice.onnx not written: this onnx lacks the IR 11 multi-device fields")
    if missing:
        print("fields this onnx cannot produce: " + ", ".join(missing))
    print("bad inputs, as onnx rejects them:")
    for name, why in BAD_EXPECT:
        print(f"  bad/{name}: {why}")
    if args.report:
        report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
