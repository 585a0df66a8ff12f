package(default_visibility = ["//visibility:public"])

cc_library(
    name = "headers",
    hdrs = glob(["include/**/*.h", "include/**/*.hpp", "include/**/*.cuh", "include/**/*.inl"]),
    includes = ["include"],
)

# cudart is linked statically so binaries run on the GPU machine without carrying it.
cc_library(
    name = "cudart",
    defines = ["GRAFT_WITH_CUDA=1"],
    linkopts = ["-L%{CUDA_LIB}", "-lcudart_static", "-ldl", "-lrt", "-lpthread"],
    deps = [":headers"],
)

cc_library(
    name = "cublas",
    linkopts = ["-L%{CUDA_LIB}", "-Wl,-rpath,%{CUDA_LIB}", "-lcublasLt", "-lcublas"],
    deps = [":cudart"],
)

cc_library(
    name = "cudnn",
    linkopts = ["-L%{CUDA_LIB}", "-Wl,-rpath,%{CUDA_LIB}", "-lcudnn"],
    deps = [":cudart"],
)
