// Shapes of DFT, STFT, the window generators (HannWindow, HammingWindow, BlackmanWindow)
// and MelWeightMatrix. Lengths given as inputs may be tracked, possibly symbolic, values.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// The single value of a scalar (or one-element) input; unknown when not known.
Dim scalar_input(const ShapeContext& ctx, size_t i) {
  auto e = ctx.has_input(i) ? ctx.input_elements(i) : std::nullopt;
  return e && e->size() == 1 ? (*e)[0] : Dim::unknown();
}

// n / 2 + 1: the bins of a one-sided spectrum of length n.
Dim onesided_bins(const Dim& n) { return dim_add(dim_div(n, Dim::fixed(2)), Dim::fixed(1)); }

// DFT's transform axis: an attribute (opset 17, default 1) or input 2 (opset 20, default -2).
std::optional<int64_t> dft_axis(const ShapeContext& ctx) {
  if (ctx.opset() < 20) return ctx.attrs().get_int("axis", 1);
  if (!ctx.has_input(2)) return -2;
  auto axis = ctx.input_int64s(2);
  return axis && axis->size() == 1 ? std::optional((*axis)[0]) : std::nullopt;
}

// The transform length: dft_length when given (an empty tensor means not given), else the
// axis' size (or the full length a one-sided inverse input stands for).
Dim dft_length(const ShapeContext& ctx, const Dim& n, bool inverse, bool onesided) {
  const Shape& given = ctx.input_shape(1);
  const bool empty = given.has_rank() && given.num_elements() == 0;
  if (ctx.has_input(1) && !empty) return scalar_input(ctx, 1);
  return inverse && onesided ? dim_mul(Dim::fixed(2), dim_sub(n, Dim::fixed(1))) : n;
}

void dft(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  const Dim& comps = x.dims().back();
  if (rank < 2 || (comps.is_fixed() && comps.value != 1 && comps.value != 2)) {
    ctx.fail("input must have rank >= 2 and a last dim of 1 or 2, got " + x.str());
  }
  const bool inverse = ctx.attrs().get_int("inverse", 0) != 0, onesided = ctx.attrs().get_int("onesided", 0) != 0;
  std::vector<Dim> dims = x.dims();
  dims.back() = Dim::fixed(inverse && onesided ? 1 : 2);
  const auto a = dft_axis(ctx);
  if (!a) {
    for (int64_t d = 0; d + 1 < rank; ++d) dims[d] = Dim::unknown();  // which one changes is unknown
    return ctx.set_output(0, dtype, Shape(dims));
  }
  const int64_t axis = normalize_axis(*a, rank);
  if (axis == rank - 1) ctx.fail("axis must not be the last (real/imaginary) dim of " + x.str());
  const Dim length = dft_length(ctx, x[axis], inverse, onesided);
  if (length.is_fixed() && length.value <= 0) ctx.fail("dft_length must be positive, got " + length.str());
  dims[axis] = onesided && !inverse ? onesided_bins(length) : length;
  ctx.set_output(0, dtype, Shape(dims));
}

// STFT: [batch, frames, bins, 2] from a [batch, length, 1 or 2] signal.
void stft(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank() && (x.rank() != 3 || (x[2].is_fixed() && x[2].value != 1 && x[2].value != 2))) {
    ctx.fail("signal must be [batch, length, 1 or 2], got " + x.str());
  }
  const Dim batch = x.has_rank() ? x[0] : Dim::unknown(), length = x.has_rank() ? x[1] : Dim::unknown();
  const Dim step = scalar_input(ctx, 1);
  const Shape& window = ctx.input_shape(2);
  Dim frame = length;
  if (ctx.has_input(3)) frame = scalar_input(ctx, 3);
  else if (ctx.has_input(2)) frame = window.has_rank() && window.rank() == 1 ? window[0] : Dim::unknown();
  if (step.is_fixed() && frame.is_fixed() && length.is_fixed() &&
      (step.value <= 0 || frame.value <= 0 || frame.value > length.value)) {
    ctx.fail("frame_step " + step.str() + " and frame_length " + frame.str() + " do not fit signal " + x.str());
  }
  const Dim frames = dim_add(dim_div(dim_sub(length, frame), step), Dim::fixed(1));
  const Dim bins = ctx.attrs().get_int("onesided", 1) != 0 ? onesided_bins(frame) : frame;
  ctx.set_output(0, dtype, Shape({batch, frames, bins, Dim::fixed(2)}));
}

DataType output_datatype(const ShapeContext& ctx) {
  return static_cast<DataType>(ctx.attrs().get_int("output_datatype", 1));
}

void window(ShapeContext& ctx) {
  const Dim size = scalar_input(ctx, 0);
  if (size.is_fixed() && size.value < 0) ctx.fail("size must not be negative, got " + size.str());
  ctx.set_output(0, output_datatype(ctx), Shape({size}));
}

// [dft_length / 2 + 1, num_mel_bins].
void mel_weight_matrix(ShapeContext& ctx) {
  ctx.set_output(0, output_datatype(ctx), Shape({onesided_bins(scalar_input(ctx, 1)), scalar_input(ctx, 0)}));
}

}  // namespace

GRAFT_SHAPE_FN("", DFT, 17, dft);
GRAFT_SHAPE_FN("", STFT, 17, stft);
GRAFT_SHAPE_FN("", HannWindow, 17, window);
GRAFT_SHAPE_FN("", HammingWindow, 17, window);
GRAFT_SHAPE_FN("", BlackmanWindow, 17, window);
GRAFT_SHAPE_FN("", MelWeightMatrix, 17, mel_weight_matrix);

}  // namespace graft::ops
