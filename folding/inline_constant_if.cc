// inline-constant-if: an If whose condition is a constant is replaced by the nodes of the
// branch it takes; each branch output feeds the If's output through an Identity (which
// remove-identity then drops), so outer names stay and branch outputs may be any value.
// Precondition: the condition is a constant (initializer or Constant output) with one element.
#include "folding/pass.h"
#include "surgeon/change.h"
#include "surgeon/find.h"
#include "surgeon/pattern.h"

namespace graft::folding {
namespace {

class InlineConstantIf : public Pass {
 public:
  std::string name() const override { return "inline-constant-if"; }
  std::string description() const override { return "replace an If with a constant condition by the branch it takes"; }

  PassResult run(Model& model, const PassOptions&) override {
    PassResult result;
    inline_in(*model.graph, result);
    return result;
  }

 private:
  void inline_in(Graph& g, PassResult& result) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      for (Graph* sub : node->subgraphs()) inline_in(*sub, result);
      std::optional<bool> cond = constant_condition(g, *node);
      if (!cond) continue;
      result.notes.push_back("inlined the " + std::string(*cond ? "then" : "else") + " branch of " + node->describe());
      inline_branch(g, *node, *cond ? "then_branch" : "else_branch");
      ++result.changes;
    }
  }

  static std::optional<bool> constant_condition(const Graph& g, const Node& node) {
    if (node.op_type != "If" || !(node.domain.empty() || node.domain == "ai.onnx") || !node.input(0)) return std::nullopt;
    TensorDataPtr c = constant_value(g, *node.input(0));
    if (!c || c->num_elements() != 1) return std::nullopt;
    auto v = value_at(*c, 0);
    if (!v) return std::nullopt;
    return *v != 0;
  }

  // Moves the branch's nodes and initializers into `g` in place of `node`.
  static void inline_branch(Graph& g, Node& node, const char* branch_name) {
    GraphPtr branch = node.attr(branch_name)->g;
    Change change;
    change.remove.push_back(&node);
    for (const auto& n : branch->nodes()) {
      NodeSpec spec{n->op_type, n->name, n->domain, n->inputs(), n->outputs(), n->attributes};
      change.add.push_back(std::move(spec));
    }
    for (size_t i = 0; i < node.outputs().size() && i < branch->outputs.size(); ++i) {
      if (!node.output(i)) continue;
      change.add.push_back({"Identity", node.name.empty() ? "" : node.name + "_out" + std::to_string(i), "",
                            {branch->outputs[i]}, {node.output(i)}, {}});
    }
    // The branch's constants become this graph's before the change is checked: its nodes read them.
    g.initializers.insert(g.initializers.end(), branch->initializers.begin(), branch->initializers.end());
    while (!branch->nodes().empty()) branch->remove_node(branch->nodes().back().get());
    for (Node* n : apply_change(g, std::move(change))) {
      for (Graph* sub : n->subgraphs()) sub->set_parent(&g);
    }
  }
};

}  // namespace

GRAFT_PASS(InlineConstantIf);

}  // namespace graft::folding
