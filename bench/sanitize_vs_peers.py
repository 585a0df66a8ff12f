#!/usr/bin/env python3
"""graft sanitize side by side with onnxsim and polygraphy's `surgeon sanitize --fold-constants`.

For each model: node count (subgraphs included) after each tool, whether each output model
computes the same as the original (onnxruntime CPU, seeded random inputs, rtol 1e-4), and
wall time of each tool from reading the file to writing the result (graft: the CLI process
with the opt-in fusions fuse-layernorm and fuse-gelu enabled, as onnxsim fuses those too;
onnxsim: load + simplify + save in this process; polygraphy: its CLI process).

usage: python3 bench/sanitize_vs_peers.py [--graft bazel-bin/tools/graft] [--repeat 3] MODEL.onnx...
Install the peers first: bash scripts/install-peers.sh
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

NP_TYPES = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def count_nodes(graph) -> int:
    n = 0
    for node in graph.node:
        n += 1
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                n += count_nodes(a.g)
            for g in a.graphs:
                n += count_nodes(g)
    return n


def model_inputs(path: str, seed: int = 0) -> dict:
    """The model's reference inputs (testdata/reference/<stem>/inputs/*.npy) where the repo
    has them, else seeded random values with symbolic dims set to 1."""
    ref = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "reference",
                       os.path.splitext(os.path.basename(path))[0], "inputs")
    if os.path.isdir(ref):
        return {f[:-4]: np.load(os.path.join(ref, f)) for f in os.listdir(ref) if f.endswith(".npy")}
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    feeds = {}
    m = onnx.load(path, load_external_data=False)
    elem = {i.name: i.type.tensor_type.elem_type for i in m.graph.input}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
        t = NP_TYPES.get(elem.get(i.name, 1), np.float32)
        if t == np.bool_:
            feeds[i.name] = rng.random(shape) > 0.5
        elif np.issubdtype(t, np.integer):
            feeds[i.name] = rng.integers(0, 4, shape).astype(t)
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(t)
    return feeds


def run(path: str, feeds: dict) -> list:
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    return sess.run(None, {k: v for k, v in feeds.items() if k in names})


def same(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.shape != y.shape or not np.allclose(x, y, rtol=1e-4, atol=1e-5, equal_nan=True):
            return False
    return True


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def graft_tool(graft: str):
    def go(src, dst):
        subprocess.run([graft, "sanitize", src, "-o", dst, "--enable", "fuse-layernorm,fuse-gelu"], check=True,
                       capture_output=True)
    return go


def onnxsim_tool(src, dst):
    import onnxsim
    model, ok = onnxsim.simplify(onnx.load(src))
    onnx.save(model, dst)


def polygraphy_tool(src, dst):
    subprocess.run(["polygraphy", "surgeon", "sanitize", src, "--fold-constants", "-o", dst],
                   check=True, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--graft", default="bazel-bin/tools/graft")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tools = {"graft": graft_tool(os.path.abspath(args.graft)), "onnxsim": onnxsim_tool, "polygraphy": polygraphy_tool}
    print(f"{'model':34} {'nodes':>6} " + " ".join(f"{t:>10}" for t in tools) +
          "  same-out(g/o/p)  " + " ".join(f"{t + ' s':>10}" for t in tools) + "  graft/onnxsim")
    worst = True
    with tempfile.TemporaryDirectory() as tmp:
        for src in args.models:
            feeds = model_inputs(src)
            ref = run(src, feeds)
            counts, sames, secs = {}, {}, {}
            for name, tool in tools.items():
                dst = os.path.join(tmp, f"{name}.onnx")
                try:
                    secs[name] = timed(lambda: tool(src, dst), args.repeat)
                    counts[name] = count_nodes(onnx.load(dst).graph)
                    sames[name] = "y" if same(ref, run(dst, feeds)) else "N"
                except Exception as e:  # a peer that fails on a model is reported, not fatal
                    secs[name], counts[name], sames[name] = float("nan"), -1, "x"
                    print(f"  {name} failed on {os.path.basename(src)}: {str(e).splitlines()[-1][:120]}", file=sys.stderr)
            peers = [counts[p] for p in ("onnxsim", "polygraphy") if counts[p] >= 0]
            ok = counts["graft"] >= 0 and all(counts["graft"] <= p for p in peers) and sames["graft"] == "y"
            worst &= ok
            print(f"{os.path.basename(src)[:34]:34} {count_nodes(onnx.load(src).graph):>6} " +
                  " ".join(f"{counts[t]:>10}" for t in tools) +
                  f"  {sames['graft']}/{sames['onnxsim']}/{sames['polygraphy']}{'':>10}" +
                  " ".join(f"{secs[t]:>10.3f}" for t in tools) +
                  f"  {secs['graft'] / secs['onnxsim']:>8.2f}x" + ("" if ok else "   <- graft not best"))
    print("graft has the fewest nodes with equal outputs on every model" if worst else "graft is not best everywhere")
    return 0 if worst else 1


if __name__ == "__main__":
    sys.exit(main())
