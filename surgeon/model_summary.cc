#include "surgeon/model_summary.h"

#include <algorithm>

namespace graft {
namespace {

std::string op_key(const Node& node) {
  bool default_domain = node.domain.empty() || node.domain == "ai.onnx";
  return default_domain ? node.op_type : node.domain + "::" + node.op_type;
}

void add_constant(const TensorData& d, ModelSummary& s) {
  std::optional<int64_t> n = d.num_elements();
  uint64_t bytes = d.bytes.size();
  if (d.dtype == DataType::kString) {
    for (const std::string& str : d.strings) bytes += str.size();
  }
  s.parameters += n.value_or(0);
  s.parameter_bytes += bytes;
  if (d.storage == Storage::kExternal) s.external_bytes += bytes;
}

void walk(const Graph& g, int depth, ModelSummary& s) {
  for (const TensorPtr& t : g.initializers) {
    ++s.initializers;
    add_constant(*t->data, s);
  }
  for (const TensorPtr& t : g.sparse_initializers) {
    ++s.initializers;
    if (t->sparse->values) add_constant(*t->sparse->values, s);
  }
  for (const auto& node : g.nodes()) {
    ++s.op_histogram[op_key(*node)];
    // Some exporters (PaddlePaddle) keep weights in Constant nodes instead of initializers.
    if (node->op_type == "Constant" && !node->attributes.empty() && node->attributes[0].t) {
      add_constant(*node->attributes[0].t, s);
    }
    if (depth > 0) ++s.nodes_in_subgraphs;
    for (const Attribute& a : node->attributes) {
      std::vector<const Graph*> graphs;
      if (a.g) graphs.push_back(a.g.get());
      for (const GraphPtr& sub : a.graphs) graphs.push_back(sub.get());
      for (const Graph* sub : graphs) {
        s.subgraphs.push_back({node->describe(), a.name, depth + 1, sub->node_count_recursive()});
        walk(*sub, depth + 1, s);
      }
    }
  }
}

std::vector<ValueSummary> values(const std::vector<TensorPtr>& tensors, bool skip_constants) {
  std::vector<ValueSummary> out;
  for (const TensorPtr& t : tensors) {
    if (skip_constants && t->is_constant()) continue;
    out.push_back({t->name, t->type.kind == ValueType::Kind::kNone && t->is_constant()
                                ? dtype_name(t->dtype()) + t->shape().str()
                                : t->type.str()});
  }
  return out;
}

}  // namespace

ModelSummary summarize(const Model& model) {
  ModelSummary s;
  s.ir_version = model.ir_version;
  s.producer = model.producer_name;
  if (!model.producer_version.empty()) s.producer += (s.producer.empty() ? "" : " ") + model.producer_version;
  s.opsets = model.opset_imports;
  s.metadata = model.metadata_props;
  const Graph& g = *model.graph;
  s.graph_name = g.name;
  s.inputs = values(g.inputs, /*skip_constants=*/true);
  s.outputs = values(g.outputs, /*skip_constants=*/false);
  s.nodes = g.nodes().size();
  walk(g, 0, s);
  for (const Function& f : model.functions) {
    s.functions.push_back((f.domain.empty() ? "" : f.domain + "::") + f.name + " (" +
                          std::to_string(f.body->node_count_recursive()) + " nodes)");
  }
  return s;
}

}  // namespace graft
