#pragma once
// CUDA kernels of the built-in plugins (cuda_kernels.cu), float32. Plain data in, so nvcc
// compiles them without graft's other headers. Each enqueues on `stream` (a cudaStream_t)
// and returns null, or the launch error's text.
#include <cstdint>

#include "plugins/builtin/deform_conv_geometry.h"

namespace graft::plugins::cuda {

// `col` is a workspace of deform_conv2d_workspace(g) bytes.
size_t deform_conv2d_workspace(const DeformConvGeometry& g);
const char* deform_conv2d(const DeformConvGeometry& g, const float* x, const float* weight, const float* offset,
                          const float* bias, const float* mask, float* y, void* col, void* stream);

inline constexpr int kMaxRank = 8;
enum class Reduction : int { kNone, kAdd, kMul, kMax, kMin };
struct ScatterGeometry {
  int rank = 0, axis = 0;
  int64_t data_dims[kMaxRank];
  int64_t update_dims[kMaxRank];  // = the indices' dims
};
const char* scatter_elements(const ScatterGeometry& g, const float* data, const int64_t* indices, const float* updates,
                             float* out, Reduction reduction, void* stream);

enum class GridMode : int { kNearest, kLinear, kCubic };
enum class GridPadding : int { kZeros, kBorder, kReflection };
struct GridSampleGeometry {
  int64_t n, c, h, w, ho, wo;
  GridMode mode;
  GridPadding padding;
  bool align_corners;
};
const char* grid_sample(const GridSampleGeometry& g, const float* x, const float* grid, float* y, void* stream);

struct RoiAlignGeometry {
  int64_t num_rois, c, h, w, out_h, out_w, sampling_ratio;
  double spatial_scale;
  bool max_mode, half_pixel;
};
const char* roi_align(const RoiAlignGeometry& g, const float* x, const float* rois, const int64_t* batch_indices,
                      float* y, void* stream);

}  // namespace graft::plugins::cuda
