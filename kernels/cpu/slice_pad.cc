// Slice, Pad, Expand, Tile, ReverseSequence: outputs whose elements are read from the
// input at computed (strided, clamped, reflected or repeated) positions.
#include <algorithm>
#include <limits>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

// Start of the slice along a dim of size n, and its element count, per the ONNX clamping rules.
std::pair<int64_t, int64_t> slice_range(int64_t start, int64_t end, int64_t step, int64_t n) {
  auto clamp = [&](int64_t i, int64_t lo, int64_t hi) { return std::clamp(i < 0 ? i + n : i, lo, hi); };
  if (step > 0) {
    start = clamp(start, 0, n);
    end = clamp(end, 0, n);
    return {start, end > start ? (end - start + step - 1) / step : 0};
  }
  start = clamp(start, 0, n - 1);
  end = clamp(end, -1, n - 1);
  return {start, start > end ? (start - end - step - 1) / -step : 0};
}

void slice(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const bool attrs = ctx.opset() < 10;
  const std::vector<int64_t> starts = attrs ? ctx.attr_ints("starts") : ctx.input_int64s(1);
  const std::vector<int64_t> ends = attrs ? ctx.attr_ints("ends") : ctx.input_int64s(2);
  std::vector<int64_t> axes = attrs ? ctx.attr_ints("axes") : (ctx.has_input(3) ? ctx.input_int64s(3) : std::vector<int64_t>{});
  std::vector<int64_t> steps = !attrs && ctx.has_input(4) ? ctx.input_int64s(4) : std::vector<int64_t>{};
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    ctx.fail("starts " + dims_str(starts) + ", ends " + dims_str(ends) + ", axes " + dims_str(axes) + " and steps " +
             dims_str(steps) + " must have the same length");
  }
  const std::vector<int64_t> in_strides = strides_of(x.dims());
  Dims dims = x.dims();
  std::vector<int64_t> strides = in_strides;
  std::vector<bool> seen(rank, false);
  int64_t offset = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t axis = normalize_axis(ctx, axes[i], rank);
    if (seen[axis]) ctx.fail("axes " + dims_str(axes) + " repeat an axis");
    seen[axis] = true;
    if (steps[i] == 0) ctx.fail("steps " + dims_str(steps) + " has a zero step");
    const auto [start, count] = slice_range(starts[i], ends[i], steps[i], x.dim(axis));
    dims[axis] = count;
    strides[axis] = in_strides[axis] * steps[i];
    if (count > 0) offset += start * in_strides[axis];
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  gather_strided(x, offset, strides, y, dims, "Slice");
}

// Where output position o of a padded dim reads the input (size n, `before` padded in
// front), or -1 for the constant.
int64_t pad_source(int64_t o, int64_t before, int64_t n, const std::string& mode) {
  int64_t i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode == "constant" || n == 0) return -1;
  if (mode == "edge") return std::clamp(i, int64_t{0}, n - 1);
  if (mode == "wrap") return (i % n + n) % n;
  if (n == 1) return 0;  // reflect
  const int64_t period = 2 * (n - 1);
  i = (i % period + period) % period;
  return i < n ? i : period - i;
}

// Pads per axis: [begin_0, ..., begin_r-1, end_0, ..., end_r-1] over all dims.
std::vector<int64_t> pads_for_all_axes(const KernelContext& ctx, int64_t rank) {
  std::vector<int64_t> pads;
  if (ctx.opset() < 11) {
    pads = ctx.attr_ints(ctx.opset() < 2 ? "paddings" : "pads");
  } else {
    pads = ctx.input_int64s(1);
  }
  std::vector<int64_t> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    for (int64_t a : ctx.input_int64s(3)) axes.push_back(normalize_axis(ctx, a, rank));
  } else {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  const size_t n = axes.size();
  if (pads.size() != 2 * n) ctx.fail("pads " + dims_str(pads) + " must have 2 values per padded axis");
  std::vector<int64_t> all(2 * rank, 0);
  for (size_t i = 0; i < n; ++i) {
    all[axes[i]] = pads[i];
    all[rank + axes[i]] = pads[n + i];
  }
  return all;
}

// The padding value as a one-element tensor of the data's type.
HostTensor pad_value(const KernelContext& ctx, DataType dtype) {
  HostTensor value(dtype, {});
  if (ctx.opset() < 11) {
    const float v = ctx.attr_float("value", 0.f);
    dispatch_numeric(dtype, "Pad", [&](auto tag) {
      using T = decltype(tag);
      *value.mutable_data<T>() = T(v);
    });
  } else if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    const HostTensor& c = ctx.input(2);
    if (c.dtype() != dtype) ctx.fail("constant_value " + c.describe() + " must have the data's type");
    return c.reshaped(c.numel() == 1 ? Dims{} : c.dims());
  }
  return value;
}

void pad(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") ctx.fail("unknown mode '" + mode + "'");
  const std::vector<int64_t> pads = pads_for_all_axes(ctx, rank);
  Dims dims(rank);
  std::vector<std::vector<int64_t>> source(rank);
  for (int64_t d = 0; d < rank; ++d) {
    dims[d] = x.dim(d) + pads[d] + pads[rank + d];
    if (dims[d] < 0) ctx.fail("pads " + dims_str(pads) + " remove more than all of " + x.describe());
    if (x.dim(d) == 0 && dims[d] > 0 && mode != "constant") ctx.fail("cannot " + mode + "-pad an empty axis");
    for (int64_t o = 0; o < dims[d]; ++o) source[d].push_back(pad_source(o, pads[d], x.dim(d), mode));
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  if (y.numel() == 0) return;
  const HostTensor value = pad_value(ctx, x.dtype());
  const std::vector<int64_t> in_strides = strides_of(x.dims());
  const int64_t inner = rank ? dims[rank - 1] : 1;
  dispatch_elements(x.dtype(), "Pad", [&](auto tag) {
    using T = decltype(tag);
    const T* src = elems<T>(x);
    const T c = elems<T>(value)[0];
    T* dst = mutable_elems<T>(y);
    const std::vector<int64_t>* last = rank ? &source[rank - 1] : nullptr;
    std::vector<int64_t> index(rank, 0);
    for (int64_t o = 0; o < y.numel(); o += inner) {
      int64_t row = 0;
      bool inside = true;
      for (int64_t d = 0; d + 1 < rank; ++d) {
        const int64_t s = source[d][index[d]];
        inside = inside && s >= 0;
        row += s * in_strides[d];
      }
      for (int64_t k = 0; k < inner; ++k) {
        const int64_t s = last ? (*last)[k] : 0;
        dst[o + k] = inside && s >= 0 ? src[row + s] : c;
      }
      for (int64_t d = rank - 1; d-- > 0;) {
        if (++index[d] < dims[d]) break;
        index[d] = 0;
      }
    }
  });
}

// Element strides of `in` aligned to the trailing dims of `out`, 0 where `in` broadcasts.
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  const std::vector<int64_t> s = strides_of(in);
  std::vector<int64_t> strides(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) strides[lead + i] = in[i] == 1 ? 0 : s[i];
  return strides;
}

void expand(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const Dims shape = ctx.input_int64s(1);
  const Dims dims = broadcast_dims({&x.dims(), &shape});
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dims);
  gather_strided(x, 0, broadcast_strides(x.dims(), dims), y, dims, "Expand");
}

// Tile walks [r0, d0, r1, d1, ...] reading input dim i with stride 0 for its repeat index.
void tile(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> repeats;
  if (ctx.opset() < 6) {
    repeats.assign(rank, 1);
    repeats[normalize_axis(ctx, scalar_int(ctx, 2, "axis"), rank)] = scalar_int(ctx, 1, "tiles");
  } else {
    repeats = ctx.input_int64s(1);
  }
  if (static_cast<int64_t>(repeats.size()) != rank) ctx.fail("repeats " + dims_str(repeats) + " must have one value per dim of " + x.describe());
  const std::vector<int64_t> in_strides = strides_of(x.dims());
  Dims walk, out_dims;
  std::vector<int64_t> strides;
  for (int64_t d = 0; d < rank; ++d) {
    if (repeats[d] < 0) ctx.fail("repeats " + dims_str(repeats) + " has a negative value");
    walk.insert(walk.end(), {repeats[d], x.dim(d)});
    strides.insert(strides.end(), {0, in_strides[d]});
    out_dims.push_back(repeats[d] * x.dim(d));
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out_dims);
  gather_strided(x, 0, strides, y, walk, "Tile");
}

void reverse_sequence(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (rank < 2) ctx.fail("input must have rank >= 2, got " + x.describe());
  const int64_t batch_axis = normalize_axis(ctx, ctx.attr_int("batch_axis", 1), rank);
  const int64_t time_axis = normalize_axis(ctx, ctx.attr_int("time_axis", 0), rank);
  if (batch_axis == time_axis) ctx.fail("batch_axis and time_axis must differ");
  const std::vector<int64_t> lens = ctx.input_int64s(1);
  if (static_cast<int64_t>(lens.size()) != x.dim(batch_axis)) {
    ctx.fail("sequence_lens has " + std::to_string(lens.size()) + " values for batch size " + std::to_string(x.dim(batch_axis)));
  }
  const std::vector<int64_t> strides = strides_of(x.dims());
  Dims rest;
  std::vector<int64_t> rest_strides;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == batch_axis || d == time_axis) continue;
    rest.push_back(x.dim(d));
    rest_strides.push_back(strides[d]);
  }
  HostTensor y = x.clone();
  const int64_t steps = x.dim(time_axis);
  dispatch_elements(x.dtype(), "ReverseSequence", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t b = 0; b < static_cast<int64_t>(lens.size()); ++b) {
      if (lens[b] < 0 || lens[b] > steps) ctx.fail("sequence_lens[" + std::to_string(b) + "] is out of range");
      for (int64_t t = 0; t < lens[b]; ++t) {
        const int64_t base = b * strides[batch_axis];
        copy_strided(elems<T>(x), base + (lens[b] - 1 - t) * strides[time_axis], rest_strides, mutable_elems<T>(y),
                     base + t * strides[time_axis], rest_strides, rest);
      }
    }
  });
  ctx.set_output(0, y);
}

}  // namespace

GRAFT_CPU_KERNEL("", Slice, 1, slice);
GRAFT_CPU_KERNEL("", Pad, 1, pad);
GRAFT_CPU_KERNEL("", Expand, 1, expand);
GRAFT_CPU_KERNEL("", Tile, 1, tile);
GRAFT_CPU_KERNEL("", ReverseSequence, 1, reverse_sequence);

}  // namespace graft::cpu
