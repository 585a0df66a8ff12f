#include "ops/shape_util.h"

#include <algorithm>

#include "ops/dim_expr.h"
#include "surgeon/error.h"

namespace graft::ops {

int64_t normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    throw Error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

namespace {

Dim broadcast_dim(const Dim& a, const Dim& b, const Shape& sa, const Shape& sb) {
  if (a.is_fixed() && a.value == 1) return b;
  if (b.is_fixed() && b.value == 1) return a;
  if (a.is_fixed() && b.is_fixed()) {
    if (a.value != b.value) throw Error("cannot broadcast " + sa.str() + " with " + sb.str());
    return a;
  }
  if (same_dim(a, b)) return a;
  // A fixed size other than 1 decides (the symbolic side must equal it, or be 1).
  if (a.is_fixed()) return a;
  if (b.is_fixed()) return b;
  return Dim::unknown();
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return Shape();
  size_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> dims(rank);
  for (size_t i = 0; i < rank; ++i) {
    Dim da = i < rank - a.rank() ? Dim::fixed(1) : a[i - (rank - a.rank())];
    Dim db = i < rank - b.rank() ? Dim::fixed(1) : b[i - (rank - b.rank())];
    dims[i] = broadcast_dim(da, db, a, b);
  }
  return Shape(std::move(dims));
}

Shape broadcast_shapes(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return Shape::scalar();
  Shape s = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) s = broadcast_shapes(s, shapes[i]);
  return s;
}

std::optional<Dim> merge_dim(const Dim& a, const Dim& b) {
  if (a.is_fixed() && b.is_fixed()) return a.value == b.value ? std::optional<Dim>(a) : std::nullopt;
  if (a.is_fixed()) return a;
  if (b.is_fixed()) return b;
  if (a.is_symbolic()) return a;
  return b;
}

std::optional<Shape> merge_shapes(const Shape& a, const Shape& b) {
  if (!a.has_rank()) return b;
  if (!b.has_rank()) return a;
  if (a.rank() != b.rank()) return std::nullopt;
  std::vector<Dim> dims;
  for (size_t i = 0; i < a.rank(); ++i) {
    auto d = merge_dim(a[i], b[i]);
    if (!d) return std::nullopt;
    dims.push_back(*d);
  }
  return Shape(std::move(dims));
}

Shape unknown_dims(size_t rank) { return Shape(std::vector<Dim>(rank)); }

Dim window_out_dim(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pads, bool ceil_mode) {
  Dim span = dim_sub(dim_add(in, Dim::fixed(pads)), Dim::fixed(dilation * (kernel - 1) + 1));
  Dim steps = ceil_mode ? dim_ceil_div(span, Dim::fixed(stride)) : dim_div(span, Dim::fixed(stride));
  Dim out = dim_add(steps, Dim::fixed(1));
  if (out.is_fixed() && out.value < 0) {
    throw Error("window of " + std::to_string(kernel) + " (dilation " + std::to_string(dilation) +
                ") does not fit an input of " + in.str() + " with " + std::to_string(pads) + " padding");
  }
  return out;
}

void same_as_input(ShapeContext& ctx) {
  ctx.set_output_type(0, ctx.input_type(0));
  if (ctx.input(0).elements) ctx.set_output_elements(0, *ctx.input(0).elements);
}

}  // namespace graft::ops
