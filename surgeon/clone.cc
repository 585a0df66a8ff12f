#include "surgeon/clone.h"

namespace graft {
namespace {

class Cloner {
 public:
  Cloner(const Graph& root, TensorCopies& copies) : root_(root), copies_(copies) {}

  std::shared_ptr<Graph> graph(const Graph& from, Graph* parent) {
    auto to = std::make_shared<Graph>(from.name, parent);
    to->doc_string = from.doc_string;
    to->unknown_fields = from.unknown_fields;
    to->quantization_annotations = from.quantization_annotations;
    to->inputs = tensors(from.inputs);
    to->initializers = tensors(from.initializers);
    to->sparse_initializers = tensors(from.sparse_initializers);
    for (const auto& node : from.nodes()) copy_node(*node, *to);
    to->outputs = tensors(from.outputs);
    to->value_info = tensors(from.value_info);
    return to;
  }

 private:
  // Tensors of enclosing graphs that no copy maps stay shared; everything else is copied once.
  TensorPtr tensor(const TensorPtr& t) {
    if (!t) return nullptr;
    if (auto it = copies_.find(t.get()); it != copies_.end()) return it->second;
    if (defined_outside_root(*t)) return t;
    auto copy = std::make_shared<Tensor>(t->name, t->type);
    copy->data = t->data;
    copy->sparse = t->sparse;
    copy->doc_string = t->doc_string;
    copy->value_info_unknown = t->value_info_unknown;
    copies_.emplace(t.get(), copy);
    return copy;
  }

  std::vector<TensorPtr> tensors(const std::vector<TensorPtr>& ts) {
    std::vector<TensorPtr> result;
    result.reserve(ts.size());
    for (const TensorPtr& t : ts) result.push_back(tensor(t));
    return result;
  }

  bool defined_outside_root(const Tensor& t) const {
    for (const Graph* g = root_.parent(); g; g = g->parent()) {
      if (g->defines(&t)) return true;
    }
    return false;
  }

  void copy_node(const Node& node, Graph& to) {
    Node* copy = to.add_node(node.op_type, tensors(node.inputs()), tensors(node.outputs()), node.name,
                             node.domain);
    copy->doc_string = node.doc_string;
    copy->unknown_fields = node.unknown_fields;
    copy->attributes = node.attributes;
    for (Attribute& a : copy->attributes) {
      if (a.g) a.g = graph(*a.g, &to);
      for (GraphPtr& g : a.graphs) g = graph(*g, &to);
    }
  }

  const Graph& root_;
  TensorCopies& copies_;
};

}  // namespace

std::shared_ptr<Graph> clone(const Graph& graph, Graph* parent, TensorCopies* copies) {
  TensorCopies local;
  return Cloner(graph, copies ? *copies : local).graph(graph, parent);
}

Model clone(const Model& model) {
  Model copy;
  copy.ir_version = model.ir_version;
  copy.opset_imports = model.opset_imports;
  copy.producer_name = model.producer_name;
  copy.producer_version = model.producer_version;
  copy.domain = model.domain;
  copy.model_version = model.model_version;
  copy.doc_string = model.doc_string;
  copy.metadata_props = model.metadata_props;
  copy.graph = clone(*model.graph);
  copy.functions = model.functions;
  for (Function& f : copy.functions) f.body = clone(*f.body);
  copy.training_info = model.training_info;
  copy.unknown_fields = model.unknown_fields;
  return copy;
}

}  // namespace graft
