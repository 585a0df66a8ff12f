#pragma once
// Normalizations of contiguous float, half or double tensors (statistics in float, double
// for double). Work is enqueued on `stream`; launchers return the launch error.
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// A per-element parameter of x's type: element j of row r reads
// data[((r % groups) * cols + j) / span]. Null data reads 0.
struct NormParam {
  const void* data = nullptr;
  int64_t span = 1;
};

// Rows of `cols` elements normalized by their own mean and population variance:
// y = (x - mean) / sqrt(var + epsilon) * scale + bias. LayerNormalization: groups 1,
// span 1 (or cols for one value). GroupNormalization: rows N * G, groups G, span the
// spatial size (one value per channel) or cols (per group); InstanceNormalization is
// G = C. Optional per-row statistics (mean, 1 / sqrt(var + epsilon)) of `stats_type`.
struct RowNorm {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  void* y = nullptr;
  int64_t rows = 0, cols = 0, groups = 1;
  NormParam scale, bias;
  double epsilon = 1e-5;
  void* mean = nullptr;
  void* inv_std = nullptr;
  NumType stats_type = NumType::kFloat;
};
cudaError_t normalize_rows(const RowNorm& args, cudaStream_t stream);

// y[i] = (x[i] - mean[k]) * scale[k] + bias[k] where k is element i's coefficient slot:
// its index in `dims` (x's dims) dotted with `slot_strides` (0 along dims that share a
// slot). Coefficients are float (double for double x); null bias reads 0. BatchNormalization
// (a slot per channel) and MeanVarianceNormalization (a slot per kept index) use it.
struct SlotNorm {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  void* y = nullptr;
  std::vector<int64_t> dims, slot_strides;
  const void* mean = nullptr;
  const void* scale = nullptr;
  const void* bias = nullptr;
};
cudaError_t normalize_slots(const SlotNorm& args, cudaStream_t stream);

// LRN across the channels of an [n, c, s] view: y = x / (bias + alpha / size * (sum of x^2
// over channels c - (size - 1) / 2 .. c + size / 2 that exist))^beta.
struct LocalResponseNorm {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  void* y = nullptr;
  int64_t n = 0, c = 0, s = 0;
  int64_t size = 1;
  double alpha = 1e-4, beta = 0.75, bias = 1.0;
};
cudaError_t local_response_norm(const LocalResponseNorm& args, cudaStream_t stream);

}  // namespace graft::cuda
