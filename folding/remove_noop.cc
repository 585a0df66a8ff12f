// remove-noop: removes nodes whose output provably equals one of their inputs (same dtype,
// same shape, same values); readers read that input instead:
//   Cast / CastLike to the input's own dtype;
//   Reshape to the input's own shape (target entries 0 = copy, -1 = the rest, both checked
//     against the input's dims; symbolic dims only through 0 copies);
//   Transpose with the identity perm (or no perm on rank <= 1);
//   Pad with all-zero pads (attribute or constant input; any mode);
//   Slice covering every sliced axis whole (step 1; a symbolic dim needs start 0 and an end
//     of at least INT32_MAX);
//   Expand and Tile that leave the shape as it is (Expand to 1s or the input's own fixed
//     dims without adding axes; Tile by all 1s);
//   Concat, Sum, Max, Min, Mean of a single input;
//   Mul / Div by a constant of 1s and Add / Sub of a constant of 0s, when the constant has
//     the input's dtype and broadcasting it changes no dim of the input (Add x + 0 turns a
//     -0 into +0; no other value changes);
//   Flatten of a rank-2 tensor to itself, Squeeze without axes of a tensor with no dim that
//     is or may be 1, Unsqueeze with an empty axes list.
// Precondition: the input's dtype and the dims that matter are known after shape
// inference; otherwise the node stays. Default-domain ops only. A node whose output is a
// graph output stays when that name cannot be kept (see forward_value).
#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/find.h"
#include "surgeon/pattern.h"

namespace graft::folding {
namespace {

using Ints = std::vector<int64_t>;

bool known_dtype(const Tensor& t) {
  return (t.data || t.type.is_tensor()) && t.dtype() != DataType::kUndefined;
}

bool is_fixed(const Dim& d, int64_t v) { return d.is_fixed() && d.value == v; }

// Normalizes a possibly negative axis for `rank`; nullopt when out of range.
std::optional<size_t> axis_in(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

// Whether Reshape(x, target) gives x's own shape.
bool reshape_keeps_shape(const Shape& in, const Ints& target, bool allowzero) {
  if (!in.has_rank() || target.size() != in.rank()) return false;
  std::optional<size_t> infer;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (infer) return false;
      infer = i;
    } else if (target[i] == 0 && !allowzero) {
      continue;  // copies dim i
    } else if (!is_fixed(in[i], target[i])) {
      return false;
    }
  }
  if (!infer) return true;
  // The -1 dim is the element count over the others, which is in[*infer] if they are known
  // and non-zero.
  for (size_t i = 0; i < in.rank(); ++i) {
    if (i != *infer && (!in[i].is_fixed() || in[i].value == 0)) return false;
  }
  return true;
}

// Whether `c`'s shape broadcast against `x`'s shape leaves x's shape unchanged.
bool broadcast_keeps_shape(const Shape& x, const std::vector<int64_t>& c) {
  if (!x.has_rank() || c.size() > x.rank()) return false;
  const size_t offset = x.rank() - c.size();
  for (size_t j = 0; j < c.size(); ++j) {
    if (c[j] != 1 && !is_fixed(x[offset + j], c[j])) return false;
  }
  return true;
}

class RemoveNoop : public Pass {
 public:
  std::string name() const override { return "remove-noop"; }
  std::string description() const override {
    return "remove nodes whose output equals an input: same-type Cast, same-shape Reshape/Expand/Flatten, "
           "identity Transpose, zero Pad, full Slice, single-input Concat/Sum, x*1, x+0";
  }

  PassResult run(Model& model, const PassOptions&) override {
    opset_ = onnx_opset(model);
    result_ = {};
    removed_.clear();
    remove_in(*model.graph);
    if (!removed_.empty()) {
      std::string s = "removed";
      for (const auto& [what, n] : removed_) s += " " + std::to_string(n) + " " + what + ",";
      s.pop_back();
      result_.notes.insert(result_.notes.begin(), s);
    }
    return std::move(result_);
  }

 private:
  struct Noop {
    size_t input;      // the input the output equals
    std::string what;  // "Cast to its own dtype"
  };

  void remove_in(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      for (Graph* sub : node->subgraphs()) remove_in(*sub);
      if (!is_default_domain(node->domain) || node->outputs().size() != 1 || !node->output(0)) continue;
      std::optional<Noop> noop = find_noop(g, *node);
      if (!noop) continue;
      const std::string desc = node->describe();
      std::string why = forward_value(g, {node}, node->output(0), node->input(noop->input));
      if (!why.empty()) {
        result_.notes.push_back("kept " + desc + " (" + noop->what + "): " + why);
        continue;
      }
      ++removed_[noop->what];
      ++result_.changes;
    }
  }

  std::optional<Noop> find_noop(const Graph& g, const Node& node) const {
    const TensorPtr x = node.input(0);
    if (!x) return std::nullopt;
    const std::string& op = node.op_type;
    auto yes = [&](size_t input, std::string what) { return std::optional<Noop>(Noop{input, std::move(what)}); };
    if (op == "Cast") {
      const Attribute* to = node.attr("to");
      if (to && known_dtype(*x) && static_cast<int64_t>(x->dtype()) == to->i) return yes(0, "Cast to its own dtype");
    } else if (op == "CastLike") {
      const TensorPtr like = node.input(1);
      if (like && known_dtype(*x) && known_dtype(*like) && x->dtype() == like->dtype()) {
        return yes(0, "CastLike to its own dtype");
      }
    } else if (op == "Reshape") {
      std::optional<Ints> target = opset_ < 5 ? ints_attr(node, "shape") : constant_ints(g, node.input(1));
      const Attribute* allowzero = node.attr("allowzero");
      if (target && reshape_keeps_shape(x->shape(), *target, allowzero && allowzero->i != 0)) {
        return yes(0, "Reshape to its own shape");
      }
    } else if (op == "Transpose") {
      if (transpose_is_identity(node, x->shape())) return yes(0, "Transpose with the identity perm");
    } else if (op == "Pad") {
      std::optional<Ints> pads = opset_ < 11 ? ints_attr(node, opset_ < 2 ? "paddings" : "pads")
                                             : constant_ints(g, node.input(1));
      if (pads && std::all_of(pads->begin(), pads->end(), [](int64_t p) { return p == 0; })) {
        return yes(0, "Pad by zeros");
      }
    } else if (op == "Slice") {
      if (slice_is_whole(g, node, x->shape())) return yes(0, "Slice of the whole tensor");
    } else if (op == "Expand") {
      std::optional<Ints> shape = constant_ints(g, node.input(1));
      if (shape && broadcast_keeps_shape(x->shape(), *shape)) return yes(0, "Expand to its own shape");
    } else if (op == "Tile" && opset_ >= 6) {
      std::optional<Ints> repeats = constant_ints(g, node.input(1));
      if (repeats && x->shape().has_rank() && repeats->size() == x->shape().rank() &&
          std::all_of(repeats->begin(), repeats->end(), [](int64_t r) { return r == 1; })) {
        return yes(0, "Tile by ones");
      }
    } else if (op == "Concat" || op == "Sum" || op == "Max" || op == "Min" || op == "Mean") {
      if (node.inputs().size() == 1) return yes(0, op + " of one input");
    } else if (op == "Mul" || op == "Add" || op == "Sub" || op == "Div") {
      return neutral_operand(g, node);
    } else if (op == "Flatten") {
      if (flatten_keeps_shape(node, x->shape())) return yes(0, "Flatten to its own shape");
    } else if (op == "Squeeze") {
      const bool has_axes = opset_ < 13 ? node.attr("axes") != nullptr : node.input(1) != nullptr;
      const Shape s = x->shape();
      if (!has_axes && s.has_rank() &&
          std::all_of(s.dims().begin(), s.dims().end(), [](const Dim& d) { return d.is_fixed() && d.value != 1; })) {
        return yes(0, "Squeeze of a tensor without 1-dims");
      }
    } else if (op == "Unsqueeze") {
      std::optional<Ints> axes = opset_ < 13 ? ints_attr(node, "axes") : constant_ints(g, node.input(1));
      if (axes && axes->empty()) return yes(0, "Unsqueeze of no axes");
    }
    return std::nullopt;
  }

  static bool transpose_is_identity(const Node& node, const Shape& in) {
    std::optional<Ints> perm = ints_attr(node, "perm");
    if (!perm) return in.has_rank() && in.rank() <= 1;  // no perm reverses the dims
    for (size_t i = 0; i < perm->size(); ++i) {
      if ((*perm)[i] != static_cast<int64_t>(i)) return false;
    }
    return true;
  }

  bool slice_is_whole(const Graph& g, const Node& node, const Shape& in) const {
    if (!in.has_rank()) return false;
    std::optional<Ints> starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = ints_attr(node, "starts"), ends = ints_attr(node, "ends"), axes = ints_attr(node, "axes");
    } else {
      starts = constant_ints(g, node.input(1)), ends = constant_ints(g, node.input(2));
      if (node.input(3)) {
        axes = constant_ints(g, node.input(3));
        if (!axes) return false;
      }
      if (node.input(4)) {
        steps = constant_ints(g, node.input(4));
        if (!steps) return false;
      }
    }
    if (!starts || !ends || starts->size() != ends->size()) return false;
    if (!axes) {
      axes.emplace(starts->size());
      std::iota(axes->begin(), axes->end(), 0);
    }
    if (axes->size() != starts->size() || (steps && steps->size() != starts->size())) return false;
    std::vector<bool> seen(in.rank(), false);
    for (size_t i = 0; i < starts->size(); ++i) {
      std::optional<size_t> axis = axis_in((*axes)[i], in.rank());
      if (!axis || seen[*axis]) return false;
      seen[*axis] = true;
      if (steps && (*steps)[i] != 1) return false;
      const Dim& d = in[*axis];
      const int64_t start = (*starts)[i], end = (*ends)[i];
      if (d.is_fixed()) {
        auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + d.value : v, int64_t{0}, d.value); };
        if (clamp(start) != 0 || clamp(end) != d.value) return false;
      } else if (start != 0 || end < std::numeric_limits<int32_t>::max()) {
        return false;
      }
    }
    return true;
  }

  bool flatten_keeps_shape(const Node& node, const Shape& in) const {
    if (!in.has_rank() || in.rank() != 2) return false;
    const Attribute* a = node.attr("axis");
    const int64_t axis = a ? a->i : 1;
    if (axis == 1 || axis == -1) return true;
    if (axis == 0 || axis == -2) return is_fixed(in[0], 1);  // [1, d0 * d1]
    if (axis == 2) return is_fixed(in[1], 1);                 // [d0 * d1, 1]
    return false;
  }

  // x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0.
  std::optional<Noop> neutral_operand(const Graph& g, const Node& node) const {
    if (node.inputs().size() != 2 || !node.input(0) || !node.input(1)) return std::nullopt;
    const bool multiplicative = node.op_type == "Mul" || node.op_type == "Div";
    const bool commutative = node.op_type == "Mul" || node.op_type == "Add";
    for (size_t c = commutative ? 0 : 1; c < 2; ++c) {
      const TensorPtr& x = node.input(1 - c);
      TensorDataPtr k = constant_value(g, *node.input(c));
      if (!k || !known_dtype(*x) || k->dtype != x->dtype()) continue;
      if (!all_values(multiplicative ? 1.0 : 0.0)(*k) || !broadcast_keeps_shape(x->shape(), k->dims)) continue;
      return Noop{1 - c, node.op_type + (multiplicative ? " by one" : " of zero")};
    }
    return std::nullopt;
  }

  int64_t opset_ = 0;
  PassResult result_;
  std::map<std::string, size_t> removed_;
};

}  // namespace

GRAFT_PASS(RemoveNoop);

}  // namespace graft::folding
