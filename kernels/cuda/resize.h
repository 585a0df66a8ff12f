#pragma once
// Resize / Upsample CUDA kernels, following kernels/cpu/resize.cc: nearest gathers every
// axis at once (any element size); linear and cubic filter one axis at a time (separable
// passes, as the CPU kernel does) in float, or double for double and 32/64-bit integers.
// Tap positions and weights are worked out per output position by resize_math.h, the
// same code on host and device.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

enum class ResizeMode : int { kNearest, kLinear, kCubic };
enum class ResizeCoord : int {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
// kSimple is Resize-10 / Upsample: floor when upsampling, ceil when downsampling.
enum class ResizeNearest : int { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0;
};

// One axis: sizes, the scale that maps coordinates, and (tf_crop_and_resize) its roi.
struct ResizeAxis {
  int64_t in = 1, out = 1;
  double scale = 1, roi0 = 0, roi1 = 1;
  bool identity = false;  // out position j reads in position j with weight 1 (skipped)
};

constexpr int kMaxResizeRank = 8;

// Nearest: y[j...] = x[idx_0(j_0), idx_1(j_1), ...], or the element whose bytes are the low
// elem_size bytes of `extrapolation_bits` where tf_crop_and_resize leaves the input.
cudaError_t resize_nearest(const void* x, void* y, const std::vector<ResizeAxis>& axes, const ResizeParams& p,
                           uint64_t extrapolation_bits, size_t elem_size, cudaStream_t stream);

// Workspace of resize_filter: the intermediate results between its passes.
size_t resize_filter_workspace(NumType type, const std::vector<ResizeAxis>& axes, const std::vector<int>& order);
// Linear / cubic: one pass per axis of `order`, in that order (the other axes must be
// identities); x and y are stored as `type` (float, half, double, int8, uint8, int16,
// int32, int64), integers rounded half to even and saturated.
cudaError_t resize_filter(const void* x, NumType type, void* y, const std::vector<ResizeAxis>& axes,
                          const std::vector<int>& order, const ResizeParams& p, void* workspace, cudaStream_t stream);

}  // namespace graft::cuda
