// Types of the ops that run subgraphs: If, Loop, Scan. Each infers its subgraphs through
// ctx.infer_subgraph (the graph-level inference, with the outer scope visible). A value
// carried from one iteration to the next may change its shape: it is inferred again with
// the join of its types until they no longer change, so the body's own types hold for
// every iteration.
#include "ops/shape_util.h"
#include "surgeon/error.h"

namespace graft::ops {
namespace {

using Types = std::vector<ValueType>;

// Each pass that changes a carried type loses at least one dim of it, so real bodies settle
// in two or three; a body that keeps changing a value's kind is given up on.
constexpr int kMaxCarriedPasses = 8;

const Graph& required_graph(const ShapeContext& ctx, const char* name) {
  const Graph* g = ctx.attrs().get_graph(name);
  if (!g) ctx.fail("the '" + std::string(name) + "' attribute is missing");
  return *g;
}

// The value of a constant or tracked bool/integer scalar input.
std::optional<bool> known_condition(const ShapeContext& ctx, size_t i) {
  if (auto v = ctx.input_int64s(i); v && v->size() == 1) return (*v)[0] != 0;
  const TensorData* c = ctx.input(i).constant;
  if (c && c->dtype == DataType::kBool && c->num_elements() == 1 && c->bytes.size() >= 1) return c->at<uint8_t>(0) != 0;
  return std::nullopt;
}

// A branch's output types, or the contradiction that shows it cannot run with these inputs.
struct Branch {
  Types types;
  std::optional<Error> error;
};

Branch infer_branch(const ShapeContext& ctx, const char* name) {
  const Graph& g = required_graph(ctx, name);
  try {
    return {ctx.infer_subgraph(g, {}), std::nullopt};
  } catch (const Error& e) {
    return {{}, e};
  }
}

// A branch that contradicts its inputs is the one not taken (exporters guard a Squeeze of a
// dim by an If on that dim being 1); only both contradicting is an error.
void if_op(ShapeContext& ctx) {
  const Branch then_b = infer_branch(ctx, "then_branch"), else_b = infer_branch(ctx, "else_branch");
  std::optional<bool> cond = known_condition(ctx, 0);
  if (!cond && then_b.error.has_value() != else_b.error.has_value()) cond = else_b.error.has_value();
  if (!cond && then_b.error) throw *then_b.error;  // neither branch can run
  const Branch* taken = cond ? (*cond ? &then_b : &else_b) : nullptr;
  if (taken && taken->error) throw *taken->error;
  for (const Branch* b : {&then_b, &else_b}) {
    if (!b->error && b->types.size() < ctx.num_outputs()) {
      ctx.fail(std::string(b == &then_b ? "the then" : "the else") + " branch has " + std::to_string(b->types.size()) +
               " outputs, the node " + std::to_string(ctx.num_outputs()));
    }
  }
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    ctx.set_output_type(i, taken ? taken->types[i] : join_types(then_b.types[i], else_b.types[i]));
  }
}

// Infers `body` with inputs `leading`, the carried values' types, then `trailing`,
// widening the carried types until the body gives them back unchanged. `carried` ends as
// the types that hold before and after every iteration; returns the body's outputs for them.
Types infer_carried(const ShapeContext& ctx, const Graph& body, const Types& leading, Types& carried,
                    const Types& trailing, size_t first_carried_out) {
  for (int pass = 0;; ++pass) {
    Types in = leading;
    in.insert(in.end(), carried.begin(), carried.end());
    in.insert(in.end(), trailing.begin(), trailing.end());
    Types out = ctx.infer_subgraph(body, in);
    if (out.size() < first_carried_out + carried.size()) {
      ctx.fail("the body has " + std::to_string(out.size()) + " outputs; the node needs at least " +
               std::to_string(first_carried_out + carried.size()));
    }
    if (pass == kMaxCarriedPasses) return out;
    std::vector<size_t> changed;
    for (size_t i = 0; i < carried.size(); ++i) {
      ValueType joined = join_types(carried[i], out[first_carried_out + i]);
      if (joined == carried[i]) continue;
      changed.push_back(i);
      carried[i] = std::move(joined);
    }
    if (changed.empty()) return out;
    if (pass + 1 == kMaxCarriedPasses) {
      for (size_t i : changed) carried[i] = ValueType{};
    }
  }
}

// A per-iteration body output stacked along a new axis of length `count` at `axis`.
ValueType stacked(const ShapeContext& ctx, const ValueType& item, const Dim& count, int64_t axis) {
  if (item.kind != ValueType::Kind::kTensor) return ValueType{};
  if (!item.shape.has_rank()) return ValueType::tensor(item.elem, Shape());
  std::vector<Dim> dims = item.shape.dims();
  const int64_t rank = static_cast<int64_t>(dims.size()) + 1;
  if (axis < -rank || axis >= rank) {
    ctx.fail("scan output axis " + std::to_string(axis) + " is out of range for the stacked rank " + std::to_string(rank) +
             " of " + item.str());
  }
  dims.insert(dims.begin() + (axis < 0 ? axis + rank : axis), count);
  return ValueType::tensor(item.elem, Shape(std::move(dims)));
}

// The trip count when the loop runs exactly M times: M is known and there is no condition.
Dim loop_trip_count(const ShapeContext& ctx) {
  if (ctx.has_input(1) || !ctx.has_input(0)) return Dim::unknown();
  auto m = ctx.input_elements(0);
  if (!m || m->size() != 1) return Dim::unknown();
  const Dim& n = (*m)[0];
  return n.is_fixed() && n.value < 0 ? Dim::fixed(0) : n;
}

void loop(ShapeContext& ctx) {
  const Graph& body = required_graph(ctx, "body");
  Types carried;
  for (size_t i = 2; i < ctx.num_inputs(); ++i) carried.push_back(ctx.input_type(i));
  const Types leading = {ValueType::tensor(DataType::kInt64, Shape::scalar()),
                         ValueType::tensor(DataType::kBool, Shape::scalar())};
  const Types out = infer_carried(ctx, body, leading, carried, {}, 1);
  for (size_t i = 0; i < carried.size() && i < ctx.num_outputs(); ++i) ctx.set_output_type(i, carried[i]);
  const Dim trips = loop_trip_count(ctx);
  for (size_t k = 1 + carried.size(); k < out.size() && k - 1 < ctx.num_outputs(); ++k) {
    ctx.set_output_type(k - 1, stacked(ctx, out[k], trips, 0));
  }
}

// An ints attribute with one entry per scan input or output; zeros when absent.
std::vector<int64_t> per_item(const ShapeContext& ctx, const char* name, size_t n) {
  std::vector<int64_t> v = ctx.attrs().get_ints(name, std::vector<int64_t>(n, 0));
  if (v.size() != n) {
    ctx.fail("'" + std::string(name) + "' has " + std::to_string(v.size()) + " entries for " + std::to_string(n) +
             " scan values");
  }
  return v;
}

size_t scan_input_count(const ShapeContext& ctx, size_t leading) {
  const int64_t n = ctx.attrs().required_int("num_scan_inputs");
  if (n < 1 || static_cast<size_t>(n) + leading > ctx.num_inputs()) {
    ctx.fail("num_scan_inputs " + std::to_string(n) + " does not fit the node's " + std::to_string(ctx.num_inputs()) +
             " inputs");
  }
  return static_cast<size_t>(n);
}

// `t` without its dims at `axes` (ascending); unknown rank stays unknown.
ValueType drop_dims(const ValueType& t, const std::vector<size_t>& axes) {
  if (!t.is_tensor() || !t.shape.has_rank()) return t;
  std::vector<Dim> dims = t.shape.dims();
  for (auto a = axes.rbegin(); a != axes.rend(); ++a) dims.erase(dims.begin() + *a);
  return ValueType::tensor(t.elem, Shape(std::move(dims)));
}

// What the scan inputs give the body, and how many iterations they make.
struct ScanInputs {
  Types slices;  // the body's per-iteration input types
  Dim length;    // the iteration count
};

// The scan inputs from `first` on, each scanned along `axes[i]` (counted after `skip`
// leading dims, which the body does not see either: Scan-8's batch dim).
ScanInputs scan_inputs(const ShapeContext& ctx, size_t first, const std::vector<int64_t>& axes, size_t skip) {
  ScanInputs s{{}, Dim::unknown()};
  std::vector<size_t> lead(skip);
  for (size_t k = 0; k < skip; ++k) lead[k] = k;
  for (size_t i = 0; i < axes.size(); ++i) {
    const ValueType& t = ctx.input_type(first + i);
    const Shape& x = ctx.input_shape(first + i);
    if (!x.has_rank()) {
      s.slices.push_back(t);
      continue;
    }
    if (x.rank() <= skip) ctx.fail("scan input " + x.str() + " has no axis to scan");
    const size_t axis = skip + normalize_axis(axes[i], static_cast<int64_t>(x.rank() - skip));
    auto len = merge_dim(s.length, x[axis]);
    if (!len) ctx.fail("scan inputs disagree on the sequence length: " + s.length.str() + " and " + x.str());
    s.length = *len;
    std::vector<size_t> drop = lead;
    drop.push_back(axis);
    s.slices.push_back(drop_dims(t, drop));
  }
  return s;
}

// `t` with a leading `dim` (a tensor of known rank; otherwise as is).
ValueType with_leading(const ValueType& t, const Dim& dim) {
  if (!t.is_tensor() || !t.shape.has_rank()) return t;
  std::vector<Dim> dims = t.shape.dims();
  dims.insert(dims.begin(), dim);
  return ValueType::tensor(t.elem, Shape(std::move(dims)));
}

void scan9(ShapeContext& ctx) {
  const Graph& body = required_graph(ctx, "body");
  const size_t n_scan_in = scan_input_count(ctx, 0), n_state = ctx.num_inputs() - n_scan_in;
  const ScanInputs xs = scan_inputs(ctx, n_state, per_item(ctx, "scan_input_axes", n_scan_in), 0);
  Types states;
  for (size_t i = 0; i < n_state; ++i) states.push_back(ctx.input_type(i));
  const Types out = infer_carried(ctx, body, {}, states, xs.slices, 0);
  const size_t n_scan_out = out.size() - n_state;
  const std::vector<int64_t> out_axes = per_item(ctx, "scan_output_axes", n_scan_out);
  for (size_t i = 0; i < n_state && i < ctx.num_outputs(); ++i) ctx.set_output_type(i, states[i]);
  for (size_t k = 0; k < n_scan_out && n_state + k < ctx.num_outputs(); ++k) {
    ctx.set_output_type(n_state + k, stacked(ctx, out[n_state + k], xs.length, out_axes[k]));
  }
}

// Scan-8: every input has a leading batch dim, which the body does not see.
void scan8(ShapeContext& ctx) {
  const Graph& body = required_graph(ctx, "body");
  const size_t n_scan_in = scan_input_count(ctx, 1), n_state = ctx.num_inputs() - 1 - n_scan_in;
  const ScanInputs xs = scan_inputs(ctx, 1 + n_state, std::vector<int64_t>(n_scan_in, 0), 1);
  Dim batch = Dim::unknown();
  Types states;
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    const Shape& x = ctx.input_shape(i);
    if (!x.has_rank()) continue;
    if (x.rank() == 0) ctx.fail("input " + std::to_string(i) + " needs a batch dim, got a scalar");
    auto b = merge_dim(batch, x[0]);
    if (!b) ctx.fail("inputs disagree on the batch size: " + batch.str() + " and " + x.str());
    batch = *b;
  }
  for (size_t i = 0; i < n_state; ++i) states.push_back(drop_dims(ctx.input_type(1 + i), {0}));
  const Types out = infer_carried(ctx, body, {}, states, xs.slices, 0);
  for (size_t i = 0; i < n_state && i < ctx.num_outputs(); ++i) ctx.set_output_type(i, with_leading(states[i], batch));
  for (size_t k = n_state; k < out.size() && k < ctx.num_outputs(); ++k) {
    ctx.set_output_type(k, with_leading(stacked(ctx, out[k], xs.length, 0), batch));
  }
}

}  // namespace

GRAFT_SHAPE_FN("", If, 1, if_op);
GRAFT_SHAPE_FN("", Loop, 1, loop);
GRAFT_SHAPE_FN("", Scan, 8, scan8);
GRAFT_SHAPE_FN("", Scan, 9, scan9);

}  // namespace graft::ops
