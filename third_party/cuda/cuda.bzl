"""cuda_library: compiles .cu files with nvcc into a cc_library (Hopper sm_90 SASS plus PTX).

Without a CUDA toolkit (see cuda_configure.bzl) the library keeps its headers and deps
but has no objects and no GRAFT_WITH_CUDA define, so callers compile their CPU-only path.
"""

load("@local_cuda//:defs.bzl", "CUDA_ENABLED", "NVCC")

NVCC_FLAGS = [
    "-std=c++20",
    "-O3",
    "-gencode=arch=compute_90,code=sm_90",
    "-gencode=arch=compute_90,code=compute_90",
    "-Xcompiler=-fPIC",
    "--expt-relaxed-constexpr",
    "-DGRAFT_WITH_CUDA=1",
]

def cuda_library(name, srcs, hdrs = [], deps = [], copts = [], **kwargs):
    if not CUDA_ENABLED:
        native.cc_library(name = name, hdrs = hdrs, deps = deps, **kwargs)
        return
    objects = []
    for src in srcs:
        obj = "_objs_cuda/%s/%s.pic.o" % (name, src.rsplit(".", 1)[0])
        native.genrule(
            name = "%s_%s_nvcc" % (name, src.replace("/", "_").replace(".", "_")),
            srcs = [src] + hdrs + ["@local_cuda//:headers"],
            outs = [obj],
            cmd = "%s %s %s -I. -I$(GENDIR) -c $(location %s) -o $@" % (
                NVCC,
                " ".join(NVCC_FLAGS),
                " ".join(copts),
                src,
            ),
        )
        objects.append(obj)
    native.cc_library(
        name = name,
        srcs = objects,
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:cudart"],
        # Objects go straight into the binary, next to the static cudart they call.
        linkstatic = True,
        **kwargs
    )

def cuda_cc_library(name, srcs = [], hdrs = [], deps = [], **kwargs):
    """A cc_library of host code that calls CUDA (runtime, cuDNN, cuBLASLt).

    Without a toolkit it keeps only its headers: binaries link it only when CUDA_ENABLED
    (see `if_cuda`)."""
    if not CUDA_ENABLED:
        native.cc_library(name = name, hdrs = hdrs, deps = deps, **kwargs)
        return
    native.cc_library(name = name, srcs = srcs, hdrs = hdrs, deps = deps + ["@local_cuda//:cudart"], **kwargs)

def cuda_cc_test(name, deps = [], **kwargs):
    """A GPU test: built only with a toolkit; it skips itself at run time without a device."""
    if not CUDA_ENABLED:
        return
    native.cc_test(name = name, deps = deps + ["@local_cuda//:cudart"], **kwargs)

def if_cuda(items):
    """`items` when graft is built with CUDA, else nothing."""
    return items if CUDA_ENABLED else []
