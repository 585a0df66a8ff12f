#pragma once
// CumSum and TopK along the middle dim of an [outer, n, inner] view of a contiguous tensor
// (kernels/cpu/index_ops.cc's semantics). Work is enqueued on `stream`; launchers launch
// nothing for empty tensors and return the launch error (cudaErrorNotSupported for a type
// they do not take).
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// Running sums of float, half (summed in float), double, int32 or int64 lines: inclusive
// or exclusive, from the front or (reverse) from the back.
struct CumSumArgs {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  void* y = nullptr;
  int64_t outer = 0, n = 0, inner = 1;
  bool exclusive = false, reverse = false;
};
cudaError_t cum_sum(const CumSumArgs& a, cudaStream_t stream);

// The k largest (or smallest) elements of each line, sorted, with their positions in the
// line; equal elements keep the lower position first (the CPU kernel's comparator; -0.0
// equals +0.0). Values are x's type (any NumType but bool); either output may be null.
struct TopKArgs {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  void* values = nullptr;
  int64_t* indices = nullptr;
  int64_t outer = 0, n = 0, inner = 1, k = 0;
  bool largest = true;
};
// Whether top_k can take these dims: lines of more than 2048 elements are radix-sorted,
// which takes fewer than 2^31 elements in all.
bool top_k_fits(const TopKArgs& a);
// Scratch memory top_k needs for these dims (0 when each line is sorted in shared memory);
// top_k takes that much (or more) at `workspace`.
size_t top_k_workspace_bytes(const TopKArgs& a);
cudaError_t top_k(const TopKArgs& a, void* workspace, size_t workspace_bytes, cudaStream_t stream);

}  // namespace graft::cuda
