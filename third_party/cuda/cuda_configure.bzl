"""Finds the CUDA toolkit (nvcc, cudart, cuBLAS, cuDNN) on this machine, offline.

Creates @local_cuda with:
  defs.bzl   CUDA_ENABLED (bool), NVCC (path)
  BUILD      cc_library targets :cudart, :cublas, :cudnn (empty when CUDA is absent)
Looks in $CUDA_PATH, then /usr/local/cuda. Without a toolkit graft builds CPU-only.
"""

def _find_cuda(ctx):
    for root in [ctx.os.environ.get("CUDA_PATH", ""), "/usr/local/cuda"]:
        if root and ctx.path(root + "/bin/nvcc").exists:
            return root
    return None

def _cuda_configure_impl(ctx):
    root = _find_cuda(ctx)
    if root == None:
        ctx.file("defs.bzl", "CUDA_ENABLED = False\nNVCC = \"\"\n")
        ctx.file("BUILD", "\n".join([
            "package(default_visibility = [\"//visibility:public\"])",
            "cc_library(name = \"cudart\")",
            "cc_library(name = \"cublas\")",
            "cc_library(name = \"cudnn\")",
            "",
        ]))
        return
    ctx.symlink(root + "/include", "include")
    ctx.file("defs.bzl", "CUDA_ENABLED = True\nNVCC = \"%s/bin/nvcc\"\n" % root)
    ctx.template("BUILD", ctx.attr._build_tpl, {"%{CUDA_LIB}": root + "/lib64"})

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["CUDA_PATH"],
    local = True,
    attrs = {"_build_tpl": attr.label(default = "//third_party/cuda:BUILD.local_cuda.tpl")},
)
