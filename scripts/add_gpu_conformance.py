#!/usr/bin/env python3
"""Puts the GPU engine's conformance results beside the CPU's in docs/conformance.md.

usage: scripts/add_gpu_conformance.py GPU_TABLE.md "NVIDIA H200, 2026-11-21, commit abc1234"

GPU_TABLE.md is what `graft conformance DIR --backend cuda --markdown GPU_TABLE.md` wrote on
the GPU machine (scripts/gpu_engine_check.sh leaves it in $OUT/conformance_gpu.md). The
section "## GPU engine" of docs/conformance.md is replaced (or added): the summary, the
unsupported ops by count, and one row per case with both engines' status."""
import collections
import re
import sys

DOC = "docs/conformance.md"


def rows(text):
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("test_"):
            out[cells[0]] = cells
    return out


def main():
    gpu_md, where = sys.argv[1], sys.argv[2]
    gpu = rows(open(gpu_md).read())
    doc = open(DOC).read()
    head, _, _ = doc.partition("\n## GPU engine")
    cpu = rows(head)
    counts = collections.Counter(c[1] for c in gpu.values())
    missing = collections.Counter()
    for c in gpu.values():
        for op in re.findall(r"no GPU layer for (\S+ \S+)", c[4]):
            missing[op] += 1
    lines = ["", "## GPU engine", "",
             f"`graft conformance DIR --backend cuda` ({where}): each case built as a plan (FP32, no",
             "sanitize, default tactics) and run on the GPU engine; same tolerances as the CPU column.",
             "\"unsupported\" means the build listed nodes the GPU engine has no layer for (it names",
             "them); the CPU engine runs those.", "",
             f"**{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, "
             f"{counts['unsupported']} unsupported** of {len(gpu)}", "",
             "Ops without a GPU layer, by cases: " + ", ".join(f"{op.split()[1]} ({n})" for op, n in missing.most_common()),
             "", "| case | CPU | GPU | GPU max rel err | GPU detail |", "|---|---|---|---:|---|"]
    for name in sorted(gpu):
        g = gpu[name]
        detail = g[4] if g[1] != "pass" else ""
        lines.append(f"| {name} | {cpu.get(name, ['', '?'])[1]} | {g[1]} | {g[3]} | {detail[:160]} |")
    open(DOC, "w").write(head.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
    print(f"{DOC}: GPU column from {gpu_md}: {dict(counts)}")


if __name__ == "__main__":
    main()
