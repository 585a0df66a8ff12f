#!/usr/bin/env python3
"""graft's CPU engine against onnxruntime (CPU), side by side in one run.

Generates the ResNet-50- and MobileNetV2-shaped models (bench/make_cnn_models.py) unless
--models DIR holds them, times onnxruntime (2 intra-op threads, all graph optimizations)
and graft (bench/cpu_engine_bench) with the same warm-up and iteration counts, and prints
median latencies and their ratio. Needs PyPI onnx, numpy and onnxruntime (not the tests).

usage: bench/cpu_vs_ort.py [--models DIR] [--iterations N] [--warmup N] [--threads N]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def time_ort(path, iterations, warmup, threads):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    feed = {i.name: np.random.default_rng(0).uniform(-1, 1, [d if isinstance(d, int) else 1 for d in i.shape])
            .astype(np.float32) for i in sess.get_inputs()}
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2], ort.__version__


def time_graft(path, iterations, warmup):
    out = subprocess.run([os.path.join(ROOT, "bazel-bin/bench/cpu_engine_bench"), path, "--iterations",
                          str(iterations), "--warmup", str(warmup), "--json"], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    subprocess.run(["bazel", "build", "//bench:cpu_engine_bench"], cwd=ROOT, check=True, capture_output=True)
    models = a.models or tempfile.mkdtemp(prefix="graft_cnn_")
    if not a.models:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/make_cnn_models.py"), models], check=True)
    rows = []
    for name in ["resnet50", "mobilenet_v2"]:
        path = os.path.join(models, f"{name}.onnx")
        ort_ms, ort_version = time_ort(path, a.iterations, a.warmup, a.threads)
        graft_ms = time_graft(path, a.iterations, a.warmup)
        rows.append((name, graft_ms, ort_ms))
    print(f"batch 1, {a.threads} threads, {a.iterations} timed runs after {a.warmup} warm-up; onnxruntime {ort_version}")
    print(f"{'model':<14}{'graft ms':>10}{'ORT ms':>10}{'graft/ORT':>11}")
    for name, g, o in rows:
        print(f"{name:<14}{g:>10.2f}{o:>10.2f}{g / o:>10.2f}x")


if __name__ == "__main__":
    main()
