#!/usr/bin/env python3
"""Reference outputs from onnxruntime for graft's CPU engine tests.

Writes, deterministically (fixed seeds, no timestamps):
  testdata/reference/<model_stem>/inputs/<INPUT>.npy    seeded inputs for each real model
  testdata/reference/<model_stem>/outputs/<OUTPUT>.npy  onnxruntime's CPU outputs for them
  testdata/reference/add_identity/...                   the same for testdata/models/add_identity.onnx
  testdata/models/add_identity.onnx                      a tiny Add/Identity model (for `graft run` checks)
  testdata/reference/numpy/*.npy, *.npz                  small files numpy wrote, for the .npy/.npz reader tests

File stems are tensor names with characters other than [A-Za-z0-9._-] replaced by '_'
(engine::sanitize_file_name does the same). engine/real_models_test.cc runs each model on
the CPU engine with these inputs and compares with these outputs; the tests need neither
Python nor onnxruntime.

Install:  pip install onnxruntime numpy onnx
Run:      python3 scripts/make_ort_references.py [--models-dir ../shared/models]

onnxruntime runs with all graph optimizations off and one thread, so its outputs are the
plain op-by-op results (no Conv+BatchNormalization folding and the like).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from unittest import mock

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "testdata", "reference")
TINY_MODEL = os.path.join(ROOT, "testdata", "models", "add_identity.onnx")


def sanitize(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "_" if s in ("", ".", "..") else s


def inputs_for(stem: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The inputs each model runs with (shapes fixed here; values seeded)."""
    if stem == "ch_ppocr_mobile_v2.0_cls_infer":
        # x: float32[N, 3, H, W]; the classifier's usual input is 1x3x48x192 in [-1, 1).
        return {"x": rng.uniform(-1.0, 1.0, size=(1, 3, 48, 192)).astype(np.float32)}
    if stem == "silero_vad_16k_op15":
        # One 512-sample chunk of 16 kHz audio, a small random LSTM state, and the sample rate.
        return {
            "input": rng.uniform(-0.5, 0.5, size=(1, 512)).astype(np.float32),
            "state": (0.1 * rng.standard_normal(size=(2, 1, 128))).astype(np.float32),
            "sr": np.array(16000, dtype=np.int64),
        }
    if stem == "add_identity":
        return {
            "x": rng.uniform(-1.0, 1.0, size=(2, 3)).astype(np.float32),
            "bias": rng.uniform(-1.0, 1.0, size=(3,)).astype(np.float32),
            "ids": rng.integers(0, 10, size=(2,)).astype(np.int64),
        }
    raise SystemExit(f"make_ort_references: no inputs defined for model '{stem}'; add them to inputs_for()")


def write_tiny_model(path: str) -> None:
    """x + bias (broadcast) and Identity(ids): only kernels the CPU engine has from the start.
    An output name with '/' and ':' exercises file-name sanitizing."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node("Add", ["x", "bias"], ["y/sum:0"], name="add"),
            helper.make_node("Identity", ["ids"], ["ids_out"], name="identity"),
        ],
        "add_identity",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("bias", TensorProto.FLOAT, [3]),
            helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch"]),
        ],
        [
            helper.make_tensor_value_info("y/sum:0", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("ids_out", TensorProto.INT64, ["batch"]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="graft-testdata")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def write_reference(model_path: str, seed: int) -> int:
    import onnxruntime as ort

    stem = os.path.splitext(os.path.basename(model_path))[0]
    rng = np.random.default_rng(seed)
    feeds = inputs_for(stem, rng)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, feeds)

    out_dir = os.path.join(REFERENCE, stem)
    shutil.rmtree(out_dir, ignore_errors=True)
    total = 0
    for sub, values in (("inputs", feeds), ("outputs", dict(zip(names, outputs)))):
        os.makedirs(os.path.join(out_dir, sub))
        for name, value in values.items():
            path = os.path.join(out_dir, sub, sanitize(name) + ".npy")
            np.save(path, np.array(value, order="C"))  # (ascontiguousarray would make scalars 1-D)
            total += os.path.getsize(path)
            desc = f"{value.dtype}{list(value.shape)}"
            stats = f"min {value.min():.6g} max {value.max():.6g}" if value.size else "empty"
            print(f"  {stem}/{sub}/{os.path.basename(path)}: {desc} {stats}")
    return total


def write_numpy_fixtures() -> int:
    """Small arrays whose values the C++ tests know (arange-based), in numpy's own files."""
    d = os.path.join(REFERENCE, "numpy")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    base = np.arange(6).reshape(2, 3)
    arrays = {
        "float32": (base * 0.5 - 1).astype("<f4"),
        "float64": (base * 0.25).astype("<f8"),
        "float16": (base * 0.5).astype("<f2"),
        "int8": (base - 3).astype("i1"),
        "uint8": (base + 250).astype("u1"),
        "int16": (base * -1000).astype("<i2"),
        "uint16": (base * 1000).astype("<u2"),
        "int32": (base - 3).astype("<i4"),
        "uint32": (base * 100000).astype("<u4"),
        "int64": (base * -(10**12)).astype("<i8"),
        "uint64": (base * 10**12).astype("<u8"),
        "bool": (base % 2 == 0),
        "complex64": (base + 1j * base).astype("<c8"),
        "big_endian_int32": (base - 3).astype(">i4"),
        "big_endian_float64": (base * 0.25).astype(">f8"),
        "big_endian_complex64": (base + 1j * base).astype(">c8"),
        "fortran_int32": np.asfortranarray((np.arange(24).reshape(2, 3, 4) - 3).astype("<i4")),
        "scalar_float64": np.array(3.5),
        "empty_float32": np.zeros((0, 3), dtype=np.float32),
        "unicode": np.array(["a", "h\u00e9llo", "", "\U0001F600"]),
        "bytes": np.array([b"ab", b"c", b""]),
    }
    total = 0
    for name, a in arrays.items():
        path = os.path.join(d, name + ".npy")
        np.save(path, a)
        total += os.path.getsize(path)
    # A header over 64 KiB (format version 2.0) comes from a structured dtype only; a long
    # shape in a 1.0 header is as far as plain arrays go, so version 2.0 is covered by the
    # C++ writer's own round trip instead.
    x = (base * 0.5 - 1).astype(np.float32)
    ids = np.arange(4, dtype=np.int64)
    # zipfile stamps each entry with the current local time: pin it (2000-01-01 UTC) so
    # that two runs write the same bytes.
    os.environ["TZ"] = "UTC"
    time.tzset()
    with mock.patch("time.time", return_value=946684800.0):
        np.savez(os.path.join(d, "stored.npz"), x=x, ids=ids)
        np.savez_compressed(os.path.join(d, "compressed.npz"), x=x, ids=ids)
        np.savez(os.path.join(d, "positional.npz"), x, ids)
    for f in ("stored.npz", "compressed.npz", "positional.npz"):
        total += os.path.getsize(os.path.join(d, f))
    print(f"wrote {len(arrays)} .npy and 3 .npz files to {os.path.relpath(d, ROOT)}/")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", default=os.path.join(os.path.dirname(ROOT), "shared", "models"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import onnxruntime as ort

    print(f"onnxruntime {ort.__version__}, numpy {np.__version__}")
    total = write_numpy_fixtures()
    write_tiny_model(TINY_MODEL)
    total += write_reference(TINY_MODEL, args.seed)
    models = sorted(f for f in os.listdir(args.models_dir) if f.endswith(".onnx"))
    if not models:
        print(f"make_ort_references: no .onnx files in {args.models_dir}", file=sys.stderr)
        return 1
    for m in models:
        total += write_reference(os.path.join(args.models_dir, m), args.seed)
    print(f"total {total} bytes in testdata/reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
