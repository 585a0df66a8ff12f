// squeeze-unsqueeze: Squeeze(Unsqueeze(x, axes), axes) -> x and
// Unsqueeze(Squeeze(x, axes), axes) -> x. Unsqueeze inserts 1-dims at `axes` of its output
// and Squeeze removes the 1-dims at `axes` of its input, so with the same axes (after
// negative axes are normalized) the pair gives x back, values and shape.
// Precondition: both axes lists are known (attribute before opset 13, else a constant
// input); negative axes need the rank of x, unless both lists are equal as written. A
// Squeeze without axes counts when the 1-dims it removes are known exactly: every dim of x
// fixed (and none of them 1, for a Squeeze after an Unsqueeze). The second node goes in
// any case; the first too when only the second reads it. A graph output keeps its name
// (see forward_value). Default-domain ops only.
#include <algorithm>
#include <set>

#include "folding/pass.h"
#include "folding/pass_util.h"

namespace graft::folding {
namespace {

using Ints = std::vector<int64_t>;

// `axes` sorted, nullopt if repeated.
std::optional<Ints> sorted_unique(Ints axes) {
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) return std::nullopt;
  return axes;
}

// `axes` normalized for `rank` (negative ones need it), sorted; nullopt when out of range
// or repeated.
std::optional<Ints> normalized(Ints axes, std::optional<size_t> rank) {
  for (int64_t& a : axes) {
    if (a < 0) {
      if (!rank) return std::nullopt;
      a += static_cast<int64_t>(*rank);
    }
    if (a < 0 || (rank && a >= static_cast<int64_t>(*rank))) return std::nullopt;
  }
  return sorted_unique(std::move(axes));
}

// The positions of the 1-dims of `s` when every dim is fixed.
std::optional<Ints> one_dims(const Shape& s) {
  if (!s.has_rank()) return std::nullopt;
  Ints ones;
  for (size_t i = 0; i < s.rank(); ++i) {
    if (!s[i].is_fixed()) return std::nullopt;
    if (s[i].value == 1) ones.push_back(static_cast<int64_t>(i));
  }
  return ones;
}

class SqueezeUnsqueeze : public Pass {
 public:
  std::string name() const override { return "squeeze-unsqueeze"; }
  std::string description() const override { return "cancel an Unsqueeze and a Squeeze of the same axes"; }

  PassResult run(Model& model, const PassOptions&) override {
    opset_ = onnx_opset(model);
    result_ = {};
    cancel_in(*model.graph);
    return std::move(result_);
  }

 private:
  void cancel_in(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    std::set<const Node*> removed;
    for (Node* node : nodes) {
      if (removed.count(node)) continue;
      for (Graph* sub : node->subgraphs()) cancel_in(*sub);
      for (const Node* n : cancel(g, *node)) removed.insert(n);
    }
  }

  // The axes input or attribute; nullopt when absent or not constant. `present` tells which.
  std::optional<Ints> axes_of(const Graph& g, const Node& node, bool& present) const {
    if (opset_ < 13) {
      present = node.attr("axes") != nullptr;
      return ints_attr(node, "axes");
    }
    present = node.input(1) != nullptr;
    return constant_ints(g, node.input(1));
  }

  std::vector<const Node*> cancel(Graph& g, Node& second) {
    const bool squeeze_second = is_onnx_op(second, "Squeeze");
    if ((!squeeze_second && !is_onnx_op(second, "Unsqueeze")) || !second.output(0) || !second.input(0)) return {};
    const TensorPtr mid = second.input(0);
    Node* first = mid->producer();
    if (!first || first->graph() != &g || !first->input(0) || first->outputs().size() != 1 ||
        !is_onnx_op(*first, squeeze_second ? "Unsqueeze" : "Squeeze")) {
      return {};
    }
    const TensorPtr x = first->input(0);
    const Shape xs = x->shape();
    std::optional<size_t> x_rank;
    if (xs.has_rank()) x_rank = xs.rank();
    Node& unsqueeze = squeeze_second ? *first : second;
    Node& squeeze = squeeze_second ? second : *first;
    bool has_u = false, has_s = false;
    std::optional<Ints> u_axes = axes_of(g, unsqueeze, has_u), s_axes = axes_of(g, squeeze, has_s);
    if (!u_axes) return {};
    // Both lists index the tensor with the 1-dims: Unsqueeze's output, Squeeze's input.
    std::optional<size_t> rank;
    if (squeeze_second) {
      if (x_rank) rank = *x_rank + u_axes->size();
    } else {
      rank = x_rank;
    }
    if (!has_s) {
      // Squeeze of every 1-dim: of x's dims (none may be or become 1) plus the inserted ones.
      std::optional<Ints> ones = one_dims(xs);
      if (!ones) return {};
      if (squeeze_second) {
        if (!ones->empty()) return {};
        s_axes = u_axes;
      } else {
        s_axes = ones;
      }
    }
    if (!s_axes) return {};
    // Without the rank, lists equal as written still name the same axes of one tensor.
    std::optional<Ints> u = normalized(*u_axes, rank), s = normalized(*s_axes, rank);
    if (!rank && (!u || !s)) u = sorted_unique(*u_axes), s = sorted_unique(*s_axes);
    if (!u || !s || *u != *s) return {};
    const std::string what = first->describe() + " and " + second.describe();
    std::vector<Node*> remove{&second};
    if (read_only_by(g, *mid, {&second})) remove.push_back(first);
    std::string why = forward_value(g, remove, second.output(0), x);
    if (!why.empty()) {
      result_.notes.push_back("kept " + what + ": " + why);
      return {};
    }
    result_.notes.push_back("removed " + what + ": they cancel");
    ++result_.changes;
    return {remove.begin(), remove.end()};
  }

  int64_t opset_ = 0;
  PassResult result_;
};

}  // namespace

GRAFT_PASS(SqueezeUnsqueeze);

}  // namespace graft::folding
