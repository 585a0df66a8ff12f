#pragma once
// DeformConv2d: torchvision.ops.deform_conv2d (DCNv1, and DCNv2 with a mask, as EDVR
// uses it) with the inputs and attributes of ONNX DeformConv:
//   inputs  X [N, C, H, W], W [M, C/group, kh, kw], offset [N, 2*offset_group*kh*kw, Ho, Wo],
//           B [M] (optional), mask [N, offset_group*kh*kw, Ho, Wo] (optional)
//   fields  strides, pads [top, left, bottom, right], dilations, group, offset_group
// Offsets are (dy, dx) pairs per offset group and kernel tap; a sample outside the image
// (h <= -1, h >= H, ...) reads 0 and each bilinear corner outside reads 0, as torchvision.
#include <cstdint>
#include <vector>

#include "plugins/builtin/deform_conv_geometry.h"
#include "plugins/plugin.h"

namespace graft::plugins {


// y = deform_conv2d(x, ...) in float32; bias and mask may be null.
void deform_conv2d_cpu(const DeformConvGeometry& g, const float* x, const float* weight, const float* offset,
                       const float* bias, const float* mask, float* y);

// The geometry of one call from the plugin's fields and its inputs' dims (bias and mask
// dims may be null); checks that they fit together, errors say which input and why.
DeformConvGeometry deform_conv_geometry(const Fields& fields, const std::vector<int64_t>& x,
                                        const std::vector<int64_t>& w, const std::vector<int64_t>& offset,
                                        const std::vector<int64_t>* bias, const std::vector<int64_t>* mask);

}  // namespace graft::plugins
