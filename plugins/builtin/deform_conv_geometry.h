#pragma once
// The geometry of one DeformConv2d call, shared by the CPU code and the CUDA kernels
// (plain data: nvcc compiles this header without graft's others).
#include <cstdint>

namespace graft::plugins {

struct DeformConvGeometry {
  int64_t n, c, h, w;     // input
  int64_t m, kh, kw;      // output channels, kernel
  int64_t ho, wo;         // output spatial size
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t group, offset_group;
};

}  // namespace graft::plugins
