// Shapes of Slice, Pad, Expand, Tile, ReverseSequence. Slice of a tracked shape value
// slices the values (Shape -> Slice -> Concat -> Reshape chains); symbolic dims are
// sliced, padded and tiled symbolically.
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

std::string ints_str(const std::vector<int64_t>& v) { return Shape::of(v).str(); }
std::string dims_str(const std::vector<Dim>& v) { return Shape(v).str(); }

std::vector<Dim> fixed_dims(const std::vector<int64_t>& v) {
  std::vector<Dim> dims;
  for (int64_t x : v) dims.push_back(Dim::fixed(x));
  return dims;
}

// Start and element count of a slice of a dim of size n, per the ONNX clamping rules.
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

// Exporters write "to the end" (and "from the very start" with negative steps) as
// INT64_MAX, INT32_MAX or their negatives.
constexpr int64_t kPastTheEnd = std::numeric_limits<int32_t>::max();

// A slice index into a symbolic dim n as an expression in n: negative indices count from
// the end and "infinite" ones clamp to the ends. Any other index is taken to lie within
// n, since a symbol's value cannot be compared with it.
Dim resolve_index(const Dim& i, const Dim& n, int64_t step) {
  if (!i.is_fixed()) return i;
  if (i.value >= kPastTheEnd) return step > 0 ? n : dim_sub(n, Dim::fixed(1));
  if (i.value <= -kPastTheEnd) return Dim::fixed(step > 0 ? 0 : -1);
  return i.value < 0 ? dim_add(n, i) : i;
}

Dim sliced_dim(const Dim& n, const Dim& start, const Dim& end, int64_t step) {
  if (n.is_fixed() && start.is_fixed() && end.is_fixed()) {
    return Dim::fixed(slice_range(start.value, end.value, step, n.value).second);
  }
  if (!n.is_symbolic()) return Dim::unknown();
  const Dim first = resolve_index(start, n, step), last = resolve_index(end, n, step);
  const Dim span = step > 0 ? dim_sub(last, first) : dim_sub(first, last);
  const Dim count = dim_ceil_div(span, Dim::fixed(std::abs(step)));
  return count.is_fixed() && count.value < 0 ? Dim::fixed(0) : count;
}

// Slice's starts, ends, axes and steps; each std::nullopt when its values are unknown.
struct SliceArgs {
  std::optional<std::vector<Dim>> starts, ends;
  std::optional<std::vector<int64_t>> axes, steps;
};

SliceArgs slice_args(const ShapeContext& ctx) {
  if (ctx.opset() < 10) {
    const NodeAttrs& a = ctx.attrs();
    return {fixed_dims(a.get_ints("starts")), fixed_dims(a.get_ints("ends")), a.get_ints("axes"), std::vector<int64_t>{}};
  }
  SliceArgs s{ctx.input_elements(1), ctx.input_elements(2), std::vector<int64_t>{}, std::vector<int64_t>{}};
  if (ctx.has_input(3)) s.axes = ctx.input_int64s(3);
  if (ctx.has_input(4)) s.steps = ctx.input_int64s(4);
  return s;
}

// The number of sliced axes, when any argument tells it.
std::optional<size_t> slice_count(const ShapeContext& ctx, const SliceArgs& s) {
  if (s.starts) return s.starts->size();
  if (s.ends) return s.ends->size();
  if (s.axes && !s.axes->empty()) return s.axes->size();
  const Shape& starts = ctx.input_shape(1);
  if (ctx.opset() >= 10 && starts.has_rank() && starts.rank() == 1 && starts[0].is_fixed()) return starts[0].value;
  return std::nullopt;
}

void check_slice_lengths(const ShapeContext& ctx, const SliceArgs& s, size_t n) {
  auto differs = [&](const auto& v) { return v && v->size() != n; };
  if (differs(s.starts) || differs(s.ends) || (s.axes && !s.axes->empty() && s.axes->size() != n) ||
      (s.steps && !s.steps->empty() && s.steps->size() != n)) {
    auto show_dims = [](const auto& v) { return v ? dims_str(*v) : std::string("?"); };
    auto show_ints = [](const auto& v) { return v ? ints_str(*v) : std::string("?"); };
    ctx.fail("starts " + show_dims(s.starts) + ", ends " + show_dims(s.ends) + ", axes " + show_ints(s.axes) +
             " and steps " + show_ints(s.steps) + " must have the same length");
  }
}

// Slices input 0's tracked values: output index i reads input index first + i * step.
void slice_elements(ShapeContext& ctx, const std::vector<int64_t>& first, const std::vector<int64_t>& steps,
                    const std::vector<Dim>& out) {
  auto t = tracked_value(ctx, 0);
  if (!t) return;
  std::vector<int64_t> strides = row_major_strides(t->dims), counts;
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += first[d] * strides[d];
    strides[d] *= steps[d];
    counts.push_back(out[d].value);
  }
  ctx.set_output_elements(0, strided_elements(t->values, offset, strides, counts));
}

void slice(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  const SliceArgs s = slice_args(ctx);
  const auto n = slice_count(ctx, s);
  if (!s.axes || !n) return ctx.set_output(0, dtype, unknown_dims(rank));
  check_slice_lengths(ctx, s, *n);
  std::vector<int64_t> axes = *s.axes;
  if (axes.empty()) {
    for (size_t i = 0; i < *n; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<Dim> dims = x.dims();
  std::vector<int64_t> first(rank, 0), steps(rank, 1);  // where the output reads, while all is fixed
  bool fixed = true;
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < *n; ++i) {
    const int64_t axis = normalize_axis(axes[i], rank);
    if (seen[axis]) ctx.fail("axes " + ints_str(axes) + " repeat an axis");
    seen[axis] = true;
    std::optional<int64_t> step;
    if (s.steps) step = s.steps->empty() ? 1 : (*s.steps)[i];
    if (step == 0) ctx.fail("steps " + ints_str(*s.steps) + " has a zero step");
    if (!s.starts || !s.ends || !step) {
      dims[axis] = Dim::unknown();
      fixed = false;
      continue;
    }
    const Dim &start = (*s.starts)[i], &end = (*s.ends)[i];
    dims[axis] = sliced_dim(x[axis], start, end, *step);
    fixed = fixed && x[axis].is_fixed() && start.is_fixed() && end.is_fixed();
    if (fixed) {
      first[axis] = slice_range(start.value, end.value, *step, x[axis].value).first;
      steps[axis] = *step;
    }
  }
  ctx.set_output(0, dtype, Shape(dims));
  if (fixed) slice_elements(ctx, first, steps, dims);
}

// Pads as [begin_0, ..., begin_r-1, end_0, ..., end_r-1] over all dims (unpadded axes 0);
// a pad is unknown where its value is.
std::vector<Dim> pads_for_all_axes(const ShapeContext& ctx, int64_t rank) {
  std::optional<std::vector<Dim>> pads;
  if (ctx.opset() < 11) pads = fixed_dims(ctx.attrs().get_ints(ctx.opset() < 2 ? "paddings" : "pads"));
  else pads = ctx.input_elements(1);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    axes = ctx.input_int64s(3);
    if (axes) {
      for (int64_t& a : *axes) a = normalize_axis(a, rank);
    }
  } else {
    axes.emplace();
    for (int64_t a = 0; a < rank; ++a) axes->push_back(a);
  }
  if (!axes) return std::vector<Dim>(2 * rank);
  std::vector<Dim> all(2 * rank, Dim::fixed(0));
  const size_t n = axes->size();
  if (pads && pads->size() != 2 * n) {
    ctx.fail("pads " + dims_str(*pads) + " must have 2 values per padded axis of " + std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    all[(*axes)[i]] = pads ? (*pads)[i] : Dim::unknown();
    all[rank + (*axes)[i]] = pads ? (*pads)[n + i] : Dim::unknown();
  }
  return all;
}

void pad(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  const std::string mode = ctx.attrs().get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") ctx.fail("unknown mode '" + mode + "'");
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::vector<Dim> pads = pads_for_all_axes(ctx, rank);
  std::vector<Dim> dims(rank);
  for (int64_t d = 0; d < rank; ++d) {
    dims[d] = dim_add(dim_add(x[d], pads[d]), pads[rank + d]);
    if (dims[d].is_fixed() && dims[d].value < 0) {
      ctx.fail("pads " + dims_str(pads) + " remove more than all of " + x.str());
    }
  }
  ctx.set_output(0, dtype, Shape(dims));
}

void expand(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  std::optional<std::vector<Dim>> target = ctx.input_elements(1);
  const Shape& s = ctx.input_shape(1);
  if (!target && s.has_rank() && s.rank() == 1 && s[0].is_fixed()) target.emplace(s[0].value);  // unknown dims
  if (!target) return ctx.set_output(0, dtype, Shape());
  ctx.set_output(0, dtype, broadcast_shapes(ctx.input_shape(0), Shape(*target)));
}

// Repeats per dim: the `repeats` input, or before opset 6 `tiles` copies along input `axis`.
std::optional<std::vector<Dim>> tile_repeats(const ShapeContext& ctx, int64_t rank) {
  if (ctx.opset() >= 6) return ctx.input_elements(1);
  auto tiles = ctx.input_elements(1);
  auto axis = ctx.input_int64s(2);
  if (!tiles || !axis || tiles->size() != 1 || axis->size() != 1) return std::nullopt;
  std::vector<Dim> repeats(rank, Dim::fixed(1));
  repeats[normalize_axis((*axis)[0], rank)] = (*tiles)[0];
  return repeats;
}

void tile(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  auto repeats = tile_repeats(ctx, rank);
  if (!repeats) return ctx.set_output(0, dtype, unknown_dims(rank));
  if (static_cast<int64_t>(repeats->size()) != rank) {
    ctx.fail("repeats " + dims_str(*repeats) + " must have one value per dim of " + x.str());
  }
  std::vector<Dim> dims(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if ((*repeats)[d].is_fixed() && (*repeats)[d].value < 0) ctx.fail("repeats " + dims_str(*repeats) + " has a negative value");
    dims[d] = dim_mul(x[d], (*repeats)[d]);
  }
  ctx.set_output(0, dtype, Shape(dims));
}

void reverse_sequence(ShapeContext& ctx) { ctx.set_output_type(0, ctx.input_type(0)); }

}  // namespace

GRAFT_SHAPE_FN("", Slice, 1, slice);
GRAFT_SHAPE_FN("", Pad, 1, pad);
GRAFT_SHAPE_FN("", Expand, 8, expand);
GRAFT_SHAPE_FN("", Tile, 1, tile);
GRAFT_SHAPE_FN("", ReverseSequence, 10, reverse_sequence);

}  // namespace graft::ops
