#pragma once
// Data movement around the cuDNN convolutions. Work is enqueued on `stream`.
#include <array>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/epilogue.h"
#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// `planes` planes of up to 3 spatial dims (fewer: leading 1s) of `inner` elements of `type`
// (kFloat or kHalf) each: dst[p][i][c] = src[p][i + offset][c] where that lies inside src,
// else 0. Pads a convolution's input (negative offsets) and crops a transposed one's output
// (positive). NCHW: planes N * C, inner 1; NHWC: planes N, inner C.
struct WindowCopy {
  NumType type = NumType::kFloat;
  int64_t planes = 0;
  int64_t inner = 1;
  const void* src = nullptr;
  std::array<int64_t, 3> src_dims{1, 1, 1};
  void* dst = nullptr;
  std::array<int64_t, 3> dst_dims{1, 1, 1};
  std::array<int64_t, 3> offset{0, 0, 0};
};

cudaError_t copy_window(const WindowCopy& w, cudaStream_t stream);

// A depthwise 2-D convolution (group = channels in = channels out) of NHWC tensors of
// `type` (kFloat or kHalf), computed in float, with its epilogue applied on the way out:
//   y[b][oy][ox][c] = act(sum over taps of x[b][iy][ix][c] * w[ky][kx][c] + bias[c] + residual[b][oy][ox][c])
// with iy = oy * stride_h - pad_h + ky * dil_h (ix likewise); taps outside x read zero.
// cuDNN's depthwise kernels move a few hundred GB/s; this one is bound by memory bandwidth.
struct DepthwiseConv {
  NumType type = NumType::kFloat;
  const void* x = nullptr;
  const void* w = nullptr;         // [kh][kw][c]
  const void* bias = nullptr;      // [c], or null
  const void* residual = nullptr;  // like y, or null
  void* y = nullptr;
  int64_t batch = 0, channels = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_h = 0, pad_w = 0;
  ActivationParams act;
};

cudaError_t depthwise_conv_nhwc(const DepthwiseConv& d, cudaStream_t stream);

}  // namespace graft::cuda
