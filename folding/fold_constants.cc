// fold-constants: every node whose inputs are all constants (initializers, in this graph or
// an enclosing one) is run on the CPU kernels and its outputs become initializers; so does
// every node whose outputs shape inference knows in full (a Shape of a static shape, a
// Gather of the static part of a symbolic one, arithmetic on those). Constant nodes become
// initializers this way too.
// Precondition: none. Left alone: random ops, nodes with subgraphs (inline-constant-if
// handles If), non-tensor outputs, graph outputs, and outputs that would exceed the size
// limit while being larger than the node's constant inputs (an Expand to a huge tensor).
#include <algorithm>
#include <map>
#include <set>

#include "folding/pass.h"
#include "kernels/cpu/kernel.h"
#include "plugins/node_plugin.h"
#include "surgeon/error.h"

namespace graft::folding {
namespace {

const std::set<std::string>& nondeterministic_ops() {
  static const std::set<std::string> ops = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                            "RandomUniformLike", "Bernoulli", "Multinomial"};
  return ops;
}

bool is_graph_input(const Graph& g, const Tensor* t) {
  for (const Graph* s = &g; s; s = s->parent()) {
    for (const TensorPtr& in : s->inputs) {
      if (in.get() == t) return true;
    }
  }
  return false;
}

bool is_graph_output(const Graph& g, const Tensor* t) {
  for (const TensorPtr& out : g.outputs) {
    if (out.get() == t) return true;
  }
  return false;
}

class FoldConstants : public Pass {
 public:
  std::string name() const override { return "fold-constants"; }
  std::string description() const override {
    return "evaluate nodes whose inputs are all constant, or whose values shape inference knows, into initializers";
  }

  PassResult run(Model& model, const PassOptions& options) override {
    model_ = &model;
    options_ = &options;
    result_ = {};
    folded_by_op_.clear();
    infer_shapes(model, options.shapes, &known_);
    fold_graph(*model.graph);
    if (!folded_by_op_.empty()) {
      std::string s = "folded";
      for (const auto& [op, n] : folded_by_op_) s += " " + op + " x" + std::to_string(n) + ",";
      s.pop_back();
      result_.notes.insert(result_.notes.begin(), s);
    }
    return std::move(result_);
  }

 private:
  void fold_graph(Graph& g) {
    std::vector<Node*> nodes;
    for (const auto& n : g.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      for (Graph* sub : node->subgraphs()) fold_graph(*sub);
      if (auto outputs = evaluate(g, *node)) replace_with_constants(g, *node, std::move(*outputs));
    }
  }

  // The node's output values, or std::nullopt when it should not or cannot fold.
  std::optional<std::vector<TensorDataPtr>> evaluate(const Graph& g, const Node& node) {
    if (!foldable(g, node)) return std::nullopt;
    if (auto values = known_outputs(node)) return values;
    std::vector<cpu::Value> values;
    uint64_t input_bytes = 0;
    for (const TensorPtr& in : node.inputs()) {
      if (!in) { values.emplace_back(); continue; }
      if (!in->data || is_graph_input(g, in.get())) return std::nullopt;
      values.push_back(cpu::Value::of(cpu::HostTensor::from_data(*in->data)));
      input_bytes += in->data->bytes.size();
    }
    const int64_t opset = model_->opset(node.domain);
    const cpu::KernelDef* kernel = cpu::find_kernel(node.domain, node.op_type, opset);
    const cpu::KernelFn fn = plugins::cpu_kernel_for(node, opset, kernel ? kernel->fn : nullptr);
    if (!fn) return std::nullopt;
    std::vector<const cpu::Value*> inputs;
    for (const cpu::Value& v : values) inputs.push_back(v.is_none() ? nullptr : &v);
    cpu::KernelContext ctx(node, opset, std::move(inputs), nullptr);
    try {
      fn(ctx);
    } catch (const Error& e) {
      result_.notes.push_back("kept " + node.describe() + ": evaluating it failed: " + e.what());
      return std::nullopt;
    }
    return to_constants(node, ctx.outputs(), input_bytes);
  }

  bool foldable(const Graph& g, const Node& node) const {
    if (nondeterministic_ops().count(node.op_type) || !node.subgraphs().empty()) return false;
    for (const TensorPtr& out : node.outputs()) {
      if (out && is_graph_output(g, out.get())) return false;
    }
    return !node.outputs().empty();
  }

  // Outputs whose values shape inference knows in full (Shape of a static shape, a Gather
  // of its known part, arithmetic on them), whatever the inputs.
  std::optional<std::vector<TensorDataPtr>> known_outputs(const Node& node) const {
    std::vector<TensorDataPtr> out;
    for (const TensorPtr& t : node.outputs()) {
      auto it = t ? known_.find(t.get()) : known_.end();
      if (it == known_.end()) return std::nullopt;
      out.push_back(constant_of(it->second));
    }
    return out;
  }

  static TensorDataPtr constant_of(const KnownValue& v) {
    auto data = std::make_shared<TensorData>();
    data->dtype = v.dtype;
    data->dims = v.dims;
    if (v.dtype == DataType::kInt64) {
      data->bytes = Bytes::copy_of(v.values.data(), v.values.size() * sizeof(int64_t));
    } else if (v.dtype == DataType::kInt32) {
      std::vector<int32_t> narrow(v.values.begin(), v.values.end());
      data->bytes = Bytes::copy_of(narrow.data(), narrow.size() * sizeof(int32_t));
    } else {
      std::vector<uint8_t> bools(v.values.begin(), v.values.end());
      data->bytes = Bytes::copy_of(bools.data(), bools.size());
    }
    return data;
  }

  std::optional<std::vector<TensorDataPtr>> to_constants(const Node& node, std::vector<cpu::Value>& outs,
                                                         uint64_t input_bytes) {
    std::vector<TensorDataPtr> constants;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!node.output(i)) { constants.push_back(nullptr); continue; }
      if (!outs[i].is_tensor()) return std::nullopt;
      auto data = std::make_shared<TensorData>(outs[i].tensor.to_data());
      uint64_t bytes = data->bytes.size();
      if (bytes > options_->fold_size_limit && bytes > input_bytes) {
        result_.notes.push_back("kept " + node.describe() + ": its output would be a " + std::to_string(bytes) +
                                "-byte constant, over --fold-size-limit (" +
                                std::to_string(options_->fold_size_limit) + ")");
        return std::nullopt;
      }
      constants.push_back(std::move(data));
    }
    return constants;
  }

  void replace_with_constants(Graph& g, Node& node, std::vector<TensorDataPtr> values) {
    std::vector<TensorPtr> outs = node.outputs();
    ++folded_by_op_[node.op_type];
    g.remove_node(&node);
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!outs[i] || !values[i]) continue;
      values[i]->name = outs[i]->name;
      outs[i]->data = values[i];
      outs[i]->type = ValueType::tensor(values[i]->dtype, Shape::of(values[i]->dims));
      g.initializers.push_back(outs[i]);
      ++result_.changes;
    }
  }

  Model* model_ = nullptr;
  const PassOptions* options_ = nullptr;
  PassResult result_;
  std::map<std::string, size_t> folded_by_op_;
  KnownValues known_;
};

}  // namespace

GRAFT_PASS(FoldConstants);

}  // namespace graft::folding
