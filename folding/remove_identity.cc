// remove-identity: removes Identity nodes and Dropout nodes in inference mode; their readers
// read the node's input instead.
// Precondition for Dropout: it runs as an identity, that is
//   - opset >= 12: no training_mode input, or a constant false one (ratio does not matter);
//   - opset 7-11: always (training was a property of the runtime);
//   - opset < 7: the is_test attribute is set;
// and its mask output is absent or unread. Identity and Dropout of the default domain only.
// A node whose output is a graph output keeps that output's name: its input's producer
// writes it instead; when the input has no producer in the graph (a graph input, a
// constant, an outer value) or is itself a graph output, the node stays.
#include <map>

#include "folding/pass.h"
#include "folding/pass_util.h"
#include "surgeon/find.h"

namespace graft::folding {
namespace {

class RemoveIdentity : public Pass {
 public:
  std::string name() const override { return "remove-identity"; }
  std::string description() const override { return "remove Identity, and Dropout in inference mode"; }

  PassResult run(Model& model, const PassOptions&) override {
    opset_ = onnx_opset(model);
    result_ = {};
    removed_.clear();
    remove_in(*model.graph);
    if (!removed_.empty()) {
      std::string s = "removed";
      for (const auto& [op, n] : removed_) s += " " + std::to_string(n) + " " + op + ",";
      s.pop_back();
      result_.notes.insert(result_.notes.begin(), s);
    }
    return std::move(result_);
  }

 private:
  void remove_in(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      for (Graph* sub : node->subgraphs()) remove_in(*sub);
      if (!acts_as_identity(g, *node)) continue;
      const std::string op = node->op_type;
      std::string why = forward_value(g, {node}, node->output(0), node->input(0));
      if (!why.empty()) {
        result_.notes.push_back("kept " + node->describe() + ": " + why);
        continue;
      }
      ++removed_[op];
      ++result_.changes;
    }
  }

  bool acts_as_identity(const Graph& g, const Node& node) {
    if (!node.input(0) || !node.output(0)) return false;
    if (is_onnx_op(node, "Identity")) return node.outputs().size() == 1;
    if (!is_onnx_op(node, "Dropout") || node.outputs().size() > 2) return false;
    if (node.output(1) && !read_only_by(g, *node.output(1), {})) return false;  // the mask is used
    if (opset_ >= 12) {
      const TensorPtr training = node.input(2);
      if (!training) return true;
      TensorDataPtr v = constant_value(g, *training);
      if (!v || v->dtype != DataType::kBool || v->num_elements() != 1 || v->bytes.size() != 1) return false;
      return v->bytes.data()[0] == 0;
    }
    if (opset_ >= 7) return true;
    const Attribute* is_test = node.attr("is_test");
    return is_test && is_test->i != 0;
  }

  int64_t opset_ = 0;
  PassResult result_;
  std::map<std::string, size_t> removed_;
};

}  // namespace

GRAFT_PASS(RemoveIdentity);

}  // namespace graft::folding
