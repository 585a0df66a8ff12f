#!/usr/bin/env python3
"""graft's GPU engine against torch eager, side by side in one run on the GPU machine.

For each model (random weights): export to ONNX (opset 17), `graft build` a plan per
precision and batch, check the plan's outputs against torch's (FP32 reference) on the same
input, and time graft (GPU compute time of `graft run`, after warm-up) and torch eager
(CUDA events; cudnn.benchmark on, channels-first, model.half() for FP16) at that batch.
Prints a markdown table and writes it with the raw numbers under --out.

usage: bench/gpu_vs_torch.py --graft PATH [--out DIR] [--models resnet50,mobilenet_v2,vit_b16,bert_base]
                             [--precisions fp32,fp16] [--iterations N] [--large-batch N]
Needs torch, torchvision, timm, transformers, onnx (the GPU machine has them)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def vision(name):
    import torchvision
    return {"resnet50": torchvision.models.resnet50, "mobilenet_v2": torchvision.models.mobilenet_v2}[name](weights=None)


def calibrate_batchnorm(module, x):
    """BatchNorm running statistics from one batch, as training would leave them. At their
    init (mean 0, variance 1: identity) MobileNetV2's activations shrink about tenfold per
    stage, to ~1e-8 at the logits: under float16's smallest subnormal (6e-8), so every FP16
    run, torch's own included, gives zeros (max rel err 1)."""
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches seen
    module.train()
    with torch.no_grad():
        module(x)
    return module.eval()


def make_model(name):
    """(module, example inputs dict at batch b, input names, dynamic axes, dtype per input)"""
    torch.manual_seed(0)
    if name in ("resnet50", "mobilenet_v2"):
        return calibrate_batchnorm(vision(name), torch.randn(16, 3, 224, 224)), lambda b: {"x": torch.randn(b, 3, 224, 224)}
    if name == "vit_b16":
        import timm
        return timm.create_model("vit_base_patch16_224", pretrained=False), lambda b: {"x": torch.randn(b, 3, 224, 224)}
    if name == "bert_base":
        from transformers import BertConfig, BertModel

        class Bert(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = BertModel(BertConfig(), add_pooling_layer=False)

            def forward(self, ids, mask):
                return self.bert(input_ids=ids, attention_mask=mask).last_hidden_state

        def inputs(b):
            g = torch.Generator().manual_seed(0)
            return {"ids": torch.randint(0, 30000, (b, 128), generator=g), "mask": torch.ones(b, 128, dtype=torch.int64)}
        return Bert(), inputs
    raise SystemExit(f"unknown model {name}")


def export(module, inputs, path):
    names = list(inputs)
    axes = {n: {0: "batch"} for n in names}
    axes["y"] = {0: "batch"}
    args = tuple(inputs.values())
    try:
        torch.onnx.export(module, args, path, input_names=names, output_names=["y"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    except TypeError:
        torch.onnx.export(module, args, path, input_names=names, output_names=["y"], dynamic_axes=axes,
                          opset_version=17)


def time_torch(module, inputs, iterations, half):
    m = module.half() if half else module.float()
    feed = [v.cuda().half() if (half and v.is_floating_point()) else v.cuda() for v in inputs.values()]
    with torch.inference_mode():
        for _ in range(10):
            m(*feed)
        torch.cuda.synchronize()
        times = []
        for _ in range(iterations):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            m(*feed)
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
    module.float()
    return float(np.median(times))


def run(cmd, log):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.write(f"$ {' '.join(cmd)}\n{p.stdout}\n{p.stderr}\n[{time.time() - t0:.1f} s, exit {p.returncode}]\n")
    log.flush()
    if p.returncode != 0:
        raise RuntimeError((p.stderr or p.stdout).strip().splitlines()[-1] if (p.stderr or p.stdout) else "failed")
    return p.stdout


def shapes_flag(inputs):
    return ",".join(f"{n}:{'x'.join(str(d) for d in v.shape)}" for n, v in inputs.items())


def cpu_reference(args, plan, npz, work, log):
    """The plan's model run on graft's CPU engine (the reference the tests use)."""
    outdir = os.path.join(work, "out_cpu")
    run([args.graft, "run", plan, "--backend", "cpu", "--inputs", npz, "--save-outputs", outdir], log)
    return np.load(os.path.join(outdir, "y.npy"))


def rel(a, ref):
    return float(np.abs(a - ref).max() / max(np.abs(ref).max(), 1e-12))


def bench_model(name, args, work, log):
    module, make_inputs = make_model(name)
    module.eval().cuda()
    rows = []
    onnx_path = os.path.join(work, f"{name}.onnx")
    export(module.cpu().float(), make_inputs(1), onnx_path)
    module.cuda()
    for batch in (1, args.large_batch):
        inputs = make_inputs(batch)
        npz = os.path.join(work, f"{name}_b{batch}.npz")
        np.savez(npz, **{k: v.numpy() for k, v in inputs.items()})
        with torch.inference_mode():
            ref = module.float()(*[v.cuda() for v in inputs.values()]).float().cpu().numpy()
        for precision in args.precisions:
            row = {"model": name, "batch": batch, "precision": precision}
            plan = os.path.join(work, f"{name}_b{batch}_{precision}.plan")
            try:
                t0 = time.time()
                run([args.graft, "build", onnx_path, "-o", plan, f"--{precision}", "--shapes", shapes_flag(inputs),
                     "--timing-cache", os.path.join(work, "timing_cache.txt")], log)
                row["build_s"] = time.time() - t0
                outdir = os.path.join(work, f"out_{name}_{batch}_{precision}")
                out = json.loads(run([args.graft, "run", plan, "--inputs", npz, "--save-outputs", outdir,
                                      "--iterations", str(args.iterations), "--warmup", "10", "--dump-profile",
                                      "--json"], log))
                log.write(profile_summary(out["timing"].get("profile", []), f"{name} b{batch} {precision}"))
                got = np.load(os.path.join(outdir, "y.npy"))
                row["max_rel_err"] = rel(got, ref)
                if precision == "fp32" and row["max_rel_err"] > 1e-3:  # who is off: graft's GPU or torch?
                    cpu = cpu_reference(args, plan, npz, work, log)
                    row["gpu_vs_graft_cpu"], row["torch_vs_graft_cpu"] = rel(got, cpu), rel(ref, cpu)
                row["graft_ms"] = out["timing"]["gpu_compute_ms"]["median"]
                row["h2d_ms"] = out["timing"]["h2d_ms"]["median"]
            except Exception as e:  # noqa: BLE001 - every failure goes into the table
                row["error"] = str(e)[:200]
            row["torch_ms"] = time_torch(module, inputs, args.iterations, precision == "fp16")
            if "graft_ms" in row:
                row["speedup"] = row["torch_ms"] / row["graft_ms"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def profile_summary(layers, title, top=25):
    """The slowest layers of one profiled run, and the time per op kind."""
    total = sum(l["ms"] for l in layers) or 1
    by_kind = {}
    for l in layers:
        kind = l["layer"].split("  ")[1] if "  " in l["layer"] else l["layer"].split(" ")[0]
        by_kind[kind] = by_kind.get(kind, 0) + l["ms"]
    lines = [f"== profile {title}: {total:.3f} ms in {len(layers)} layers"]
    lines += [f"  {ms:8.3f} ms {100 * ms / total:5.1f}%  {k}" for k, ms in sorted(by_kind.items(), key=lambda kv: -kv[1])[:12]]
    lines += [f"  {l['ms']:8.3f} ms  {l['layer'][:150]}" for l in sorted(layers, key=lambda l: -l["ms"])[:top]]
    return "\n".join(lines) + "\n"


def untuned_note(row):
    if "gpu_vs_graft_cpu" not in row:
        return ""
    return f" (vs graft CPU: graft GPU {row['gpu_vs_graft_cpu']:.1e}, torch {row['torch_vs_graft_cpu']:.1e})"


def table(rows):
    lines = ["| model | batch | precision | graft GPU ms | torch eager ms | torch/graft | graft img/s | max rel err vs torch fp32 | build s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['batch']} | {r['precision']} | error: {r['error']} | {r['torch_ms']:.3f} | | | | |")
            continue
        lines.append(f"| {r['model']} | {r['batch']} | {r['precision']} | {r['graft_ms']:.3f} | {r['torch_ms']:.3f} | "
                     f"{r['speedup']:.2f}x | {1000 * r['batch'] / r['graft_ms']:.0f} | {r['max_rel_err']:.2e}{untuned_note(r)} | "
                     f"{r['build_s']:.1f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graft", required=True)
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp"))
    ap.add_argument("--models", default="resnet50,mobilenet_v2,vit_b16,bert_base")
    ap.add_argument("--precisions", default="fp32,fp16")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--large-batch", type=int, default=256)
    args = ap.parse_args()
    args.precisions = args.precisions.split(",")
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as work, open(os.path.join(args.out, "gpu_bench.log"), "w") as log:
        for name in args.models.split(","):
            try:
                rows += bench_model(name, args, work, log)
            except Exception as e:  # noqa: BLE001
                rows.append({"model": name, "batch": "-", "precision": "-", "error": str(e)[:200], "torch_ms": float("nan")})
    md = f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}\n\n" + table(rows)
    print(md)
    with open(os.path.join(args.out, "gpu_bench.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(args.out, "gpu_bench.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
