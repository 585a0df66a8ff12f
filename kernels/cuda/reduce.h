#pragma once
// Reductions over any set of axes (ReduceSum ... ReduceSumSquare), ArgMax / ArgMin, and
// MeanVarianceNormalization's statistics. The input is a contiguous row-major tensor; the
// result has one element per combination of kept dims, in order. Floats accumulate in
// float (double for double), integers in int64. Work is enqueued on `stream`; launchers
// return the launch error.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

enum class ReduceKind : uint8_t { kSum, kMean, kProd, kMax, kMin, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

struct ReduceShape {
  std::vector<int64_t> dims;
  std::vector<bool> reduced;  // per dim; none reduced: every element maps through on its own
};

// float, half and double for every kind; int32 and int64 for all but LogSumExp.
bool reduce_supports(ReduceKind kind, NumType type);
size_t reduce_workspace_bytes(ReduceKind kind, NumType type, const ReduceShape& shape);
// An empty reduction gives the kind's start value (0 for Sum, -inf for Max, NaN for Mean, ...).
cudaError_t reduce(ReduceKind kind, NumType type, const void* x, void* y, const ReduceShape& shape, void* workspace,
                   cudaStream_t stream);

// Index of the greatest (max) or least element along the middle dim of [outer, n, inner]
// (n > 0), into int64 y [outer, inner]. NaN beats every number; ties go to the first index,
// or the last with select_last. Types: float, half, double, int32, int64.
size_t arg_reduce_workspace_bytes(NumType type, int64_t outer, int64_t n, int64_t inner);
cudaError_t arg_reduce(bool max, bool select_last, NumType type, const void* x, int64_t* y, int64_t outer, int64_t n,
                       int64_t inner, void* workspace, cudaStream_t stream);

// MeanVarianceNormalization's statistics of x (float, half or double): per element of the
// reduction, the mean and 1 / (standard deviation + 1e-9), written as float (double for
// double x).
size_t mvn_statistics_workspace_bytes(NumType type, const ReduceShape& shape);
cudaError_t mvn_statistics(NumType type, const void* x, const ReduceShape& shape, void* mean, void* inv_std,
                           void* workspace, cudaStream_t stream);

}  // namespace graft::cuda
