#pragma once
// Generated kernels for fused pointwise groups: CUDA C++ written for one group's program,
// one expression per op (the ops' math from pointwise_ops.cuh, the same as the
// interpreter's), compiled at run time with NVRTC and loaded through the CUDA runtime's
// library API. Each thread runs `lanes` consecutive elements: full-size inputs and the
// outputs move in 16-byte vectors, scalars are read once, inputs broadcast along the
// innermost dims or per channel step along with the element (no division per element).
// NVRTC is opened with dlopen, so binaries run where it is absent (without these kernels).
// Compiled kernels are kept for the process by source text: identical groups compile once.
// Sizes are the launch's argument, so other sizes of the same broadcast form reuse a kernel.
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pointwise_jit_args.h"

namespace graft::cuda::pointwise {

constexpr int kJitThreads = 256;  // per block
constexpr const char* kJitKernelName = "graft_pointwise";

// How a generated kernel reads a load slot (chosen from its strides and the lanes).
enum class JitRead : uint8_t {
  kFull,       // element i, in vectors
  kScalar,     // element 0, once
  kRowVector,  // (i % extent), in vectors: the extent is a multiple of the lanes
  kRow,        // (i % extent), one by one: the lanes wrap around at most once
  kSame,       // (i / inner) % extent, one value for all lanes: inner is a multiple of them
  kStep,       // (i / inner) % extent, the lanes cross at most one multiple of inner
  kGeneral,    // any strides: the loop's coordinates
};

struct JitLoad {
  JitRead read = JitRead::kFull;
  int64_t inner = 1, extent = 1;
};

// What the source was generated for, and what a launch needs besides it.
struct JitPlan {
  std::string source;
  int lanes = 0;                     // elements per thread and loop step
  std::vector<JitLoad> loads;        // per load slot
  std::vector<size_t> in_alignment;  // bytes each load's pointer must be aligned to (1: none)
  std::vector<size_t> out_alignment;
  JitArgs args = {};                 // all but the pointers
};

// The kernel for `ssa`: the program with value ids in place of registers (dst and a, b, c
// name values; a load's a is its slot, a store's a the value stored and b the output), over
// `shape`'s geometry, loads (elem, access, strides) and outputs (elem). Null when an op is
// not one the generator writes.
std::optional<JitPlan> plan_jit(const std::vector<Instr>& ssa, int outputs, const Program& shape);

struct JitKernel {
  void* kernel = nullptr;        // cudaKernel_t
  double compile_seconds = 0;    // NVRTC's time (and the load's)
};

// The kernel of `source` for the current device: from the cache, or compiled on a pool of
// threads (each distinct source once; a build's layers compile side by side). get() waits
// for it and gives null when NVRTC cannot be loaded or the compile fails (jit_status() says
// why). Not valid (no future) without a device.
using JitFuture = std::shared_future<const JitKernel*>;
JitFuture jit_kernel(const std::string& source);
// "" while every compile so far succeeded; else why the last one failed (the compile log).
std::string jit_status();
// Distinct kernels compiled in this process, and their total compile time.
struct JitStats {
  int kernels = 0;
  double seconds = 0;
};
JitStats jit_stats();

// Whether `bound`'s pointers (set for this run) meet the plan's alignment.
bool jit_aligned(const JitPlan& plan, const Program& bound);
// Runs the kernel over bound.geometry's elements with bound's pointers.
cudaError_t run_jit(const JitKernel& kernel, const JitPlan& plan, const Program& bound, cudaStream_t stream);

}  // namespace graft::cuda::pointwise
