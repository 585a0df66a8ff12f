// float/double GEMM built for AVX-512 (see gemm_simd_util.h); called only on CPUs that
// have it. The ISA macros are defined by hand because the C++ front end reads them
// before it applies the target pragma.
#pragma GCC target("sse3,ssse3,sse4.1,sse4.2,avx,avx2,fma,avx512f,avx512dq,avx512vl,avx512bw")
#define __SSE3__ 1
#define __SSSE3__ 1
#define __SSE4_1__ 1
#define __SSE4_2__ 1
#define __AVX__ 1
#define __AVX2__ 1
#define __FMA__ 1
#define __AVX512F__ 1
#define __AVX512DQ__ 1
#define __AVX512VL__ 1
#define __AVX512BW__ 1
// Eigen's AVX-512 paths trip a false -Wmaybe-uninitialized inside GCC's intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define Eigen graft_eigen_avx512
#define GRAFT_SIMD_NS avx512
#define GRAFT_SIMD_ENTRY_POINTS
#include "kernels/cpu/gemm_simd_util.h"
