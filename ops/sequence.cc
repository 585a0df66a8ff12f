// Types of the sequence ops. A sequence's type is seq(T) for one tensor type T that holds
// for every element, so inserting a tensor joins its type into T (dims that differ become
// unknown). A sequence's tracked elements are one dim, its length, where the ops that made
// it tell (SequenceConstruct, SplitToSequence, inserts and erases); SequenceLength and
// ConcatFromSequence read it.
#include <algorithm>
#include <memory>
#include <numeric>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

ValueType sequence_of(const ValueType& elem) {
  ValueType t;
  t.kind = ValueType::Kind::kSequence;
  t.inner = std::make_shared<ValueType>(elem);
  return t;
}

// The element type of sequence input i; unknown when the input is not known to be one.
ValueType element_type(const ShapeContext& ctx, size_t i) {
  const ValueType& t = ctx.input_type(i);
  return t.kind == ValueType::Kind::kSequence && t.inner ? *t.inner : ValueType{};
}

// The length of sequence input i; unknown when not tracked.
Dim length_of(const ShapeContext& ctx, size_t i) {
  const auto& e = ctx.input(i).elements;
  return ctx.input_type(i).kind == ValueType::Kind::kSequence && e && e->size() == 1 ? (*e)[0] : Dim::unknown();
}

void set_sequence(ShapeContext& ctx, const ValueType& elem, const Dim& length) {
  ctx.set_output_type(0, sequence_of(elem));
  if (length.kind != Dim::Kind::kUnknown) ctx.set_output_elements(0, {length});
}

// `elem` joined with tensor input i, which must have the same dtype.
ValueType join_element(const ShapeContext& ctx, const ValueType& elem, size_t i) {
  const DataType a = elem.elem, b = ctx.input_dtype(i);
  if (elem.is_tensor() && a != DataType::kUndefined && b != DataType::kUndefined && a != b) {
    ctx.fail("tensor " + ctx.input_type(i).str() + " does not match the sequence's element type " + elem.str());
  }
  return join_types(elem, ctx.input_type(i));
}

void sequence_empty(ShapeContext& ctx) {
  const auto dtype = static_cast<DataType>(ctx.attrs().get_int("dtype", static_cast<int64_t>(DataType::kFloat)));
  set_sequence(ctx, ValueType::tensor(dtype, Shape()), Dim::fixed(0));
}

void sequence_construct(ShapeContext& ctx) {
  if (ctx.num_inputs() == 0) ctx.fail("needs at least one input");
  ValueType elem = ctx.input_type(0);
  for (size_t i = 1; i < ctx.num_inputs(); ++i) elem = join_element(ctx, elem, i);
  set_sequence(ctx, elem, Dim::fixed(static_cast<int64_t>(ctx.num_inputs())));
}

void sequence_insert(ShapeContext& ctx) {
  set_sequence(ctx, join_element(ctx, element_type(ctx, 0), 1), dim_add(length_of(ctx, 0), Dim::fixed(1)));
}

void sequence_at(ShapeContext& ctx) { ctx.set_output_type(0, element_type(ctx, 0)); }

void sequence_erase(ShapeContext& ctx) {
  const Dim n = length_of(ctx, 0);
  if (n.is_fixed() && n.value == 0) ctx.fail("cannot erase from an empty sequence");
  ctx.set_output_type(0, ctx.input_type(0));
  if (n.kind != Dim::Kind::kUnknown) ctx.set_output_elements(0, {dim_sub(n, Dim::fixed(1))});
}

void sequence_length(ShapeContext& ctx) {
  ctx.set_output(0, DataType::kInt64, Shape::scalar());
  const Dim n = length_of(ctx, 0);
  if (n.kind != Dim::Kind::kUnknown) ctx.set_output_elements(0, {n});
}

// How SplitToSequence cuts an axis of `dim`: the length of every chunk (when they are all
// equal and known) and how many chunks.
struct Chunks {
  Dim length, count;
};

Chunks split_chunks(const ShapeContext& ctx, const Dim& dim) {
  if (!ctx.has_input(1)) return {Dim::fixed(1), dim};
  const Shape& s = ctx.input_shape(1);
  auto split = ctx.input_int64s(1);
  if (s.has_rank() && s.rank() == 1) {
    Chunks c{Dim::unknown(), s[0]};
    if (!split) return c;
    if (std::any_of(split->begin(), split->end(), [](int64_t v) { return v < 0; })) {
      ctx.fail("split lengths must not be negative, got " + Shape::of(*split).str());
    }
    const int64_t sum = std::accumulate(split->begin(), split->end(), int64_t{0});
    if (dim.is_fixed() && sum != dim.value) {
      ctx.fail("split lengths " + Shape::of(*split).str() + " sum to " + std::to_string(sum) + ", but the axis has " +
               dim.str() + " elements");
    }
    if (!split->empty() && std::all_of(split->begin(), split->end(), [&](int64_t v) { return v == (*split)[0]; })) {
      c.length = Dim::fixed((*split)[0]);
    }
    return c;
  }
  if (!s.has_rank() || !split || split->size() != 1) return {Dim::unknown(), Dim::unknown()};
  const int64_t n = (*split)[0];
  if (n <= 0) ctx.fail("a scalar split must be positive, got " + std::to_string(n));
  const Dim count = dim_ceil_div(dim, Dim::fixed(n));
  if (!dim.is_fixed()) return {Dim::unknown(), count};
  // Chunks of n, the last one shorter unless n divides the axis.
  return {dim.value <= n ? dim : dim.value % n == 0 ? Dim::fixed(n) : Dim::unknown(), count};
}

void split_to_sequence(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const DataType dtype = ctx.input_dtype(0);
  if (!x.has_rank()) return set_sequence(ctx, ValueType::tensor(dtype, Shape()), Dim::unknown());
  if (x.rank() == 0) ctx.fail("input must have rank >= 1, got a scalar");
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()));
  std::vector<Dim> dims = x.dims();
  const Chunks chunks = split_chunks(ctx, dims[axis]);
  if (!ctx.has_input(1) && ctx.attrs().get_int("keepdims", 1) == 0) dims.erase(dims.begin() + axis);
  else dims[axis] = chunks.length;
  set_sequence(ctx, ValueType::tensor(dtype, Shape(std::move(dims))), chunks.count);
}

void concat_from_sequence(ShapeContext& ctx) {
  const ValueType elem = element_type(ctx, 0);
  const int64_t new_axis = ctx.attrs().get_int("new_axis", 0) != 0 ? 1 : 0;
  const int64_t axis = ctx.attrs().required_int("axis");
  if (!elem.is_tensor() || !elem.shape.has_rank()) return ctx.set_output(0, elem.elem, Shape());
  std::vector<Dim> dims = elem.shape.dims();
  const int64_t at = normalize_axis(axis, static_cast<int64_t>(dims.size()) + new_axis);
  const Dim n = length_of(ctx, 0);
  if (new_axis) dims.insert(dims.begin() + at, n);
  else dims[at] = dim_mul(n, dims[at]);  // every element has the joined type's length there
  ctx.set_output(0, elem.elem, Shape(std::move(dims)));
}

// The body runs once per element: sequence inputs give it their element type, tensor
// inputs their own type.
void sequence_map(ShapeContext& ctx) {
  const Graph* body = ctx.attrs().get_graph("body");
  if (!body) ctx.fail("the 'body' attribute is missing");
  std::vector<ValueType> in;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const bool seq = ctx.input_type(i).kind == ValueType::Kind::kSequence;
    in.push_back(seq ? element_type(ctx, i) : ctx.input_type(i));
  }
  const std::vector<ValueType> out = ctx.infer_subgraph(*body, in);
  const Dim n = length_of(ctx, 0);
  for (size_t k = 0; k < out.size() && k < ctx.num_outputs(); ++k) {
    const bool known = out[k].kind != ValueType::Kind::kNone && out[k].kind != ValueType::Kind::kEmpty;
    ctx.set_output_type(k, sequence_of(known ? out[k] : ValueType::tensor(DataType::kUndefined, Shape())));
    if (n.kind != Dim::Kind::kUnknown) ctx.set_output_elements(k, {n});
  }
}

}  // namespace

GRAFT_SHAPE_FN("", SequenceEmpty, 11, sequence_empty);
GRAFT_SHAPE_FN("", SequenceConstruct, 11, sequence_construct);
GRAFT_SHAPE_FN("", SequenceInsert, 11, sequence_insert);
GRAFT_SHAPE_FN("", SequenceAt, 11, sequence_at);
GRAFT_SHAPE_FN("", SequenceErase, 11, sequence_erase);
GRAFT_SHAPE_FN("", SequenceLength, 11, sequence_length);
GRAFT_SHAPE_FN("", SplitToSequence, 11, split_to_sequence);
GRAFT_SHAPE_FN("", ConcatFromSequence, 11, concat_from_sequence);
GRAFT_SHAPE_FN("", SequenceMap, 17, sequence_map);

}  // namespace graft::ops
