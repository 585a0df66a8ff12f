#pragma once
// Sliding-window geometry shared by the Conv and Pool kernels: output sizes and pads from
// strides, dilations, pads/auto_pad and ceil_mode, for 1 to 3 spatial dims. Fewer than 3
// dims are padded in front with size-1 dims, so the loops are always 3-D.
#include <algorithm>
#include <array>
#include <string>

#include "kernels/cpu/kernel.h"

namespace graft::cpu {

struct Window {
  int nd = 0;  // spatial dims of the op
  std::array<int64_t, 3> in{1, 1, 1}, kernel{1, 1, 1}, out{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, dil{1, 1, 1}, pad{0, 0, 0}, pad_end{0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
  Dims out_dims() const { return Dims(out.end() - nd, out.end()); }
};

// Positions o in [lo, hi) of a row of `out` whose input index o*s + off lies in [0, in).
inline void valid_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = in - off <= 0 ? 0 : (in - off + s - 1) / s;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
}

inline std::array<int64_t, 3> pad3(const std::vector<int64_t>& v, int nd, int64_t fill) {
  std::array<int64_t, 3> a{fill, fill, fill};
  for (int i = 0; i < nd; ++i) a[3 - nd + i] = v[i];
  return a;
}

// The window's sizes, strides and dilations (no pads, output = input) from the node.
inline Window window_base(const KernelContext& ctx, const Dims& in, const Dims& kernel) {
  const int nd = static_cast<int>(in.size());
  if (nd < 1 || nd > 3) ctx.fail("only 1 to 3 spatial dims are supported, input has " + std::to_string(nd));
  if (static_cast<int>(kernel.size()) != nd) {
    ctx.fail("kernel " + dims_str(kernel) + " does not match the spatial dims " + dims_str(in));
  }
  const std::vector<int64_t> ones(nd, 1);
  const std::vector<int64_t> strides = ctx.attr_ints("strides", ones);
  const std::vector<int64_t> dilations = ctx.attr_ints("dilations", ones);
  if (static_cast<int>(strides.size()) != nd || static_cast<int>(dilations.size()) != nd) {
    ctx.fail("strides/dilations lengths do not match " + std::to_string(nd) + " spatial dims");
  }
  Window w;
  w.nd = nd;
  w.in = w.out = pad3(in, nd, 1);
  w.kernel = pad3(kernel, nd, 1);
  w.stride = pad3(strides, nd, 1);
  w.dil = pad3(dilations, nd, 1);
  for (int d = 0; d < 3; ++d) {
    if (w.stride[d] <= 0 || w.dil[d] <= 0 || w.kernel[d] <= 0) ctx.fail("strides, dilations and kernel_shape must be positive");
  }
  return w;
}

// The window of an op over spatial dims `in` with kernel `kernel`, from the node's
// strides, dilations, pads, auto_pad (and ceil_mode for pools).
inline Window window_geometry(const KernelContext& ctx, const Dims& in, const Dims& kernel, bool ceil_mode) {
  Window w = window_base(ctx, in, kernel);
  const int nd = w.nd;
  std::vector<int64_t> pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (static_cast<int>(pads.size()) != 2 * nd) ctx.fail("pads length does not match " + std::to_string(nd) + " spatial dims");
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  for (int i = 0; i < nd; ++i) {
    const int d = 3 - nd + i;
    const int64_t s = w.stride[d], span = w.dil[d] * (w.kernel[d] - 1) + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w.out[d] = (w.in[d] + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (w.out[d] - 1) * s + span - w.in[d]);
      w.pad[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[d] = total - w.pad[d];
      continue;
    }
    if (auto_pad == "VALID") {
      pads[i] = pads[nd + i] = 0;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      ctx.fail("unknown auto_pad '" + auto_pad + "'");
    }
    w.pad[d] = pads[i];
    w.pad_end[d] = pads[nd + i];
    const int64_t room = w.in[d] + w.pad[d] + w.pad_end[d] - span;
    if (room < 0) ctx.fail("kernel " + dims_str(kernel) + " is larger than the padded input " + dims_str(in));
    w.out[d] = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
    // The last window must start inside the input or its leading padding.
    if (ceil_mode && (w.out[d] - 1) * s >= w.in[d] + w.pad[d]) --w.out[d];
  }
  return w;
}

}  // namespace graft::cpu
