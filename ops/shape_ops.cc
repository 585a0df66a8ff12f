// Shapes of the ops that make and reshape shapes: Shape, Size, Constant, Reshape, Flatten,
// Squeeze, Unsqueeze, Concat, Gather, Identity (and Dropout, as in the kernels' twin file).
// These carry tracked values along (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), so
// exporters' dynamic-shape chains give exact, possibly symbolic, output shapes.
#include <algorithm>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

std::string dims_str(const std::vector<Dim>& dims) { return Shape(dims).str(); }

void shape(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, DataType::kInt64, unknown_dims(1));
  const int64_t rank = static_cast<int64_t>(x.rank());
  auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
  const int64_t start = clamp(ctx.attrs().get_int("start", 0)), end = clamp(ctx.attrs().get_int("end", rank));
  std::vector<Dim> dims(x.dims().begin() + start, x.dims().begin() + std::max(start, end));
  ctx.set_output(0, DataType::kInt64, Shape::of({static_cast<int64_t>(dims.size())}));
  ctx.set_output_elements(0, std::move(dims));
}

void size(ShapeContext& ctx) {
  ctx.set_output(0, DataType::kInt64, Shape::scalar());
  if (ctx.input_has_rank(0)) ctx.set_output_elements(0, {dim_product(ctx.input_shape(0).dims())});
}

void constant(ShapeContext& ctx) {
  if (const TensorData* t = ctx.attrs().get_tensor("value")) return ctx.set_output_constant(0, t);
  const NodeAttrs& a = ctx.attrs();
  if (a.has("value_int")) return ctx.set_output(0, DataType::kInt64, Shape::scalar()), ctx.set_output_elements(0, {Dim::fixed(a.get_int("value_int", 0))});
  if (a.has("value_ints")) {
    std::vector<Dim> v;
    for (int64_t x : a.get_ints("value_ints")) v.push_back(Dim::fixed(x));
    ctx.set_output(0, DataType::kInt64, Shape::of({static_cast<int64_t>(v.size())}));
    return ctx.set_output_elements(0, std::move(v));
  }
  if (a.has("value_float")) return ctx.set_output(0, DataType::kFloat, Shape::scalar());
  if (a.has("value_floats")) {
    return ctx.set_output(0, DataType::kFloat, Shape::of({static_cast<int64_t>(a.get_floats("value_floats").size())}));
  }
  if (a.has("value_string")) return ctx.set_output(0, DataType::kString, Shape::scalar());
  if (a.has("value_strings")) {
    return ctx.set_output(0, DataType::kString, Shape::of({static_cast<int64_t>(a.get_strings("value_strings").size())}));
  }
  if (const Attribute* s = a.typed("sparse_value", AttrType::kSparseTensor); s && s->sparse_tensor && s->sparse_tensor->values) {
    ctx.set_output(0, s->sparse_tensor->values->dtype, Shape::of(s->sparse_tensor->dims));
  }
}

// The requested shape's entries: attribute (opset < 5) or input values; when only the
// input's length is known, that many unknown dims.
std::optional<std::vector<Dim>> reshape_target(const ShapeContext& ctx) {
  if (ctx.opset() < 5) {
    std::vector<Dim> v;
    for (int64_t x : ctx.attrs().get_ints("shape")) v.push_back(Dim::fixed(x));
    return v;
  }
  if (auto e = ctx.input_elements(1)) return e;
  const Shape& s = ctx.input_shape(1);
  if (s.has_rank() && s.rank() == 1 && s[0].is_fixed()) return std::vector<Dim>(s[0].value);  // unknown dims
  return std::nullopt;
}

void reshape(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  auto target = reshape_target(ctx);
  if (!target) return ctx.set_output(0, dtype, Shape());
  const Shape& x = ctx.input_shape(0);
  const bool allowzero = ctx.attrs().get_int("allowzero", 0) != 0;
  std::vector<Dim> dims = *target;
  int infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (!dims[i].is_fixed()) continue;
    int64_t d = dims[i].value;
    if (d == 0 && !allowzero) {
      if (x.has_rank() && i >= x.rank()) ctx.fail("shape " + dims_str(*target) + " copies dim " + std::to_string(i) + " of data " + x.str() + ", which has no such dim");
      dims[i] = x.has_rank() ? x[i] : Dim::unknown();
    } else if (d == -1) {
      if (infer >= 0) ctx.fail("shape " + dims_str(*target) + " has more than one -1");
      infer = static_cast<int>(i);
    } else if (d < 0) {
      ctx.fail("shape " + dims_str(*target) + " has an invalid dim " + std::to_string(d));
    }
  }
  const Dim total = x.has_rank() ? dim_product(x.dims()) : Dim::unknown();
  if (infer >= 0) {
    Dim rest = Dim::fixed(1);
    for (size_t i = 0; i < dims.size(); ++i) {
      if (static_cast<int>(i) != infer) rest = dim_mul(rest, dims[i]);
    }
    if (total.is_fixed() && rest.is_fixed() && (rest.value == 0 || total.value % rest.value != 0)) {
      ctx.fail("cannot reshape data " + x.str() + " (" + std::to_string(total.value) + " elements) to " + dims_str(*target));
    }
    dims[infer] = dim_div(total, rest);
  }
  Dim count = dim_product(dims);
  if (total.is_fixed() && count.is_fixed() && total.value != count.value) {
    ctx.fail("cannot reshape data " + x.str() + " (" + std::to_string(total.value) + " elements) to " + dims_str(*target) +
             " (" + std::to_string(count.value) + ")");
  }
  ctx.set_output(0, dtype, Shape(dims));
  // Row-major values do not move; a 2-D one is kept too (PyTorch's F.pad reshapes its pads
  // to [n, 2], reverses and transposes them).
  if (auto e = ctx.input_elements(0)) ctx.set_output_elements(0, std::move(*e));
}

void flatten(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, ctx.input_dtype(0), unknown_dims(2));
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = ctx.attrs().get_int("axis", 1);
  axis = axis == rank ? rank : normalize_axis(axis, rank);
  ctx.set_output(0, ctx.input_dtype(0), Shape({dim_product(x.dims(), 0, axis), dim_product(x.dims(), axis, rank)}));
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, the second input from 13 on.
std::optional<std::vector<int64_t>> axes_of(const ShapeContext& ctx) {
  if (ctx.opset() < 13) return ctx.attrs().get_ints("axes");
  if (!ctx.has_input(1)) return std::vector<int64_t>{};
  return ctx.input_int64s(1);
}

void squeeze(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  auto axes = axes_of(ctx);
  if (!x.has_rank() || !axes) return ctx.set_output(0, ctx.input_dtype(0), Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<bool> drop(rank, false);
  for (int64_t i = 0; axes->empty() && i < rank; ++i) {
    if (!x[i].is_fixed()) return ctx.set_output(0, ctx.input_dtype(0), Shape());  // which dims are 1 is unknown
    drop[i] = x[i].value == 1;
  }
  for (int64_t a : *axes) {
    const int64_t axis = normalize_axis(a, rank);
    if (x[axis].is_fixed() && x[axis].value != 1) {
      ctx.fail("cannot squeeze axis " + std::to_string(a) + " of " + x.str() + ": its size is not 1");
    }
    drop[axis] = true;
  }
  std::vector<Dim> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (!drop[i]) dims.push_back(x[i]);
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape(dims));
  if (auto e = ctx.input_elements(0)) ctx.set_output_elements(0, std::move(*e));
}

void unsqueeze(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  auto axes = axes_of(ctx);
  if (!x.has_rank() || !axes) return ctx.set_output(0, ctx.input_dtype(0), Shape());
  const int64_t rank = static_cast<int64_t>(x.rank() + axes->size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    const int64_t axis = normalize_axis(a, rank);
    if (inserted[axis]) ctx.fail("axes repeat axis " + std::to_string(a));
    inserted[axis] = true;
  }
  std::vector<Dim> dims;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) dims.push_back(inserted[i] ? Dim::fixed(1) : x[next++]);
  ctx.set_output(0, ctx.input_dtype(0), Shape(dims));
  if (auto e = ctx.input_elements(0)) ctx.set_output_elements(0, std::move(*e));
}

void concat(ShapeContext& ctx) {
  std::vector<Shape> shapes;
  DataType dtype = DataType::kUndefined;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    shapes.push_back(ctx.input_shape(i));
    if (dtype == DataType::kUndefined) dtype = ctx.input_dtype(i);
  }
  auto ranked = std::find_if(shapes.begin(), shapes.end(), [](const Shape& s) { return s.has_rank(); });
  if (ranked == shapes.end()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(ranked->rank());
  const int64_t axis = normalize_axis(ctx.attrs().required_int("axis"), rank);
  std::vector<Dim> dims = ranked->dims();
  dims[axis] = Dim::fixed(0);
  for (const Shape& s : shapes) {
    if (!s.has_rank()) { dims[axis] = Dim::unknown(); continue; }
    if (static_cast<int64_t>(s.rank()) != rank) ctx.fail("inputs " + ranked->str() + " and " + s.str() + " differ in rank");
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) { dims[d] = dim_add(dims[d], s[d]); continue; }
      auto merged = merge_dim(dims[d], s[d]);
      if (!merged) ctx.fail("inputs " + ranked->str() + " and " + s.str() + " differ in dim " + std::to_string(d));
      dims[d] = *merged;
    }
  }
  ctx.set_output(0, dtype, Shape(dims));
  std::vector<Dim> values;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    auto e = ctx.has_input(i) ? ctx.input_elements(i) : std::nullopt;
    if (!e || rank != 1) return;
    values.insert(values.end(), e->begin(), e->end());
  }
  ctx.set_output_elements(0, std::move(values));
}

void gather(ShapeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  if (!data.has_rank() || !indices.has_rank()) return ctx.set_output(0, ctx.input_dtype(0), Shape());
  const int64_t rank = static_cast<int64_t>(data.rank());
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 0), rank);
  std::vector<Dim> dims(data.dims().begin(), data.dims().begin() + axis);
  dims.insert(dims.end(), indices.dims().begin(), indices.dims().end());
  dims.insert(dims.end(), data.dims().begin() + axis + 1, data.dims().end());
  ctx.set_output(0, ctx.input_dtype(0), Shape(dims));
  auto values = ctx.input_elements(0);
  auto idx = ctx.input_int64s(1);
  if (!values || !idx || rank != 1) return;
  std::vector<Dim> picked;
  for (int64_t i : *idx) {
    int64_t n = static_cast<int64_t>(values->size());
    if (i < -n || i >= n) ctx.fail("index " + std::to_string(i) + " is out of range for " + std::to_string(n) + " values");
    picked.push_back((*values)[i < 0 ? i + n : i]);
  }
  ctx.set_output_elements(0, std::move(picked));
}

// The mask is bool in every opset: 7-9 declare it with the data's type, but the reference
// and the runtimes (and graft's kernel) give bool.
void dropout(ShapeContext& ctx) {
  ctx.set_output_type(0, ctx.input_type(0));
  ctx.set_output(1, DataType::kBool, ctx.input_shape(0));
}

}  // namespace

GRAFT_SHAPE_FN("", Shape, 1, shape);
GRAFT_SHAPE_FN("", Size, 1, size);
GRAFT_SHAPE_FN("", Constant, 1, constant);
GRAFT_SHAPE_FN("", Identity, 1, same_as_input);
GRAFT_SHAPE_FN("", Reshape, 1, reshape);
GRAFT_SHAPE_FN("", Flatten, 1, flatten);
GRAFT_SHAPE_FN("", Squeeze, 1, squeeze);
GRAFT_SHAPE_FN("", Unsqueeze, 1, unsqueeze);
GRAFT_SHAPE_FN("", Concat, 1, concat);
GRAFT_SHAPE_FN("", Gather, 1, gather);
GRAFT_SHAPE_FN("", Dropout, 1, dropout);

}  // namespace graft::ops
