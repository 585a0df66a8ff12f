#pragma once
// Pooling CUDA kernels, following kernels/cpu/pool.cc: MaxPool (with its optional int64
// Indices), AveragePool and LpPool over 1 to 3 spatial dims (fewer dims padded in front
// with size 1, as the CPU's Window does), one thread per output element; the Global forms
// reduce each (n, c) plane in one block. Values are accumulated in float (double for
// double data); MaxPool compares integers as they are.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// The window over 3 spatial dims (the op's dims last).
struct PoolWindow {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0};
};

enum class PoolKind : int { kMax, kAvg, kLp };

struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  bool count_include_pad = false;  // AveragePool
  double p = 2;                    // LpPool
  bool col_major_indices = false;  // MaxPool storage_order = 1
};

// x [planes, in...] -> y [planes, out...]; `indices` (kMax only, may be null) gets the flat
// index of each maximum in x (of the first one; -1 past the plane's start for a window
// wholly in the padding). Max takes float, half, double, int8, uint8, int32, int64; the
// others float, half, double.
cudaError_t pool(const void* x, NumType type, void* y, int64_t* indices, int64_t planes, const PoolWindow& w,
                 const PoolParams& p, cudaStream_t stream);

// One value per plane of `size` elements (float, half, double).
cudaError_t global_pool(const void* x, NumType type, void* y, int64_t planes, int64_t size, PoolKind kind, double p,
                        cudaStream_t stream);

}  // namespace graft::cuda
