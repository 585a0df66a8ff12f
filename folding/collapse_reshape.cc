// collapse-reshape: Reshape(R(x), shape) -> Reshape(x, shape), where R is a Reshape,
// Flatten, Squeeze or Unsqueeze whose output only that Reshape reads. All of them keep the
// elements in row-major order, so only the outer Reshape's target matters.
// Precondition: the outer Reshape's target is constant (attribute before opset 5, else a
// constant input). Its 0 entries copy dims of R's output: without allowzero they are
// replaced by those dims, which must then be fixed (a new target constant); otherwise the
// Reshape stays. R's output must not be a graph output or be read by anything else
// (subgraphs included). Default-domain ops only.
#include <algorithm>
#include <set>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/change.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft::folding {
namespace {

class CollapseReshape : public Pass {
 public:
  std::string name() const override { return "collapse-reshape"; }
  std::string description() const override {
    return "merge a Reshape/Flatten/Squeeze/Unsqueeze feeding a Reshape into that Reshape";
  }

  PassResult run(Model& model, const PassOptions&) override {
    opset_ = onnx_opset(model);
    result_ = {};
    collapse_in(*model.graph);
    return std::move(result_);
  }

 private:
  void collapse_in(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    std::set<const Node*> removed;
    for (Node* node : nodes) {
      if (removed.count(node)) continue;
      for (Graph* sub : node->subgraphs()) collapse_in(*sub);
      while (Node* inner = collapse(g, *node)) removed.insert(inner);  // a chain, inner to outer
    }
  }

  // Collapses the producer of `outer`'s data into it; returns that (destroyed) producer.
  Node* collapse(Graph& g, Node& outer) {
    if (!is_onnx_op(outer, "Reshape")) return nullptr;
    const TensorPtr mid = outer.input(0);
    Node* inner = mid ? mid->producer() : nullptr;
    if (!inner || inner->graph() != &g || inner->outputs().size() != 1 || !inner->input(0)) return nullptr;
    if (!is_onnx_op(*inner, "Reshape") && !is_onnx_op(*inner, "Flatten") && !is_onnx_op(*inner, "Squeeze") &&
        !is_onnx_op(*inner, "Unsqueeze")) {
      return nullptr;
    }
    if (outer.input(1) == mid || !read_only_by(g, *mid, {&outer})) return nullptr;
    const bool attr_form = opset_ < 5;
    std::optional<std::vector<int64_t>> target = attr_form ? ints_attr(outer, "shape") : constant_ints(g, outer.input(1));
    if (!target) return nullptr;
    const Attribute* allowzero = outer.attr("allowzero");
    bool copies = false;
    if (!(allowzero && allowzero->i != 0)) {
      const Shape s = mid->shape();
      for (size_t i = 0; i < target->size(); ++i) {
        if ((*target)[i] != 0) continue;
        if (!s.has_rank() || i >= s.rank() || !s[i].is_fixed()) {
          result_.notes.push_back("kept " + inner->describe() + " before " + outer.describe() + ": the target copies dim " +
                                  std::to_string(i) + " of '" + mid->name + "', which is not fixed");
          return nullptr;
        }
        (*target)[i] = s[i].value;
        copies = true;
      }
    }
    const std::string what = inner->describe() + " into " + outer.describe();
    Change change{.remove = {inner}, .node_inputs = {{&outer, 0, inner->input(0)}}};
    TensorPtr new_target;
    if (copies && !attr_form) {
      new_target = add_int64_initializer(g, outer.input(1)->name, *target);
      change.node_inputs.push_back({&outer, 1, new_target});
    }
    try {
      apply_change(g, std::move(change));
    } catch (const Error& e) {
      if (new_target) g.initializers.pop_back();
      result_.notes.push_back("kept " + what + ": " + e.what());
      return nullptr;
    }
    forget_value_info(g, mid.get());
    if (copies && attr_form) outer.set_attr(Attribute::of_ints("shape", *target));
    result_.notes.push_back("merged " + what);
    ++result_.changes;
    return inner;
  }

  int64_t opset_ = 0;
  PassResult result_;
};

}  // namespace

GRAFT_PASS(CollapseReshape);

}  // namespace graft::folding
