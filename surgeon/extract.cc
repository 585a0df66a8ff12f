#include "surgeon/extract.h"

#include <algorithm>
#include <unordered_set>

#include "surgeon/change.h"
#include "surgeon/clone.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft {
namespace {

// The nodes of `graph` that computing `outputs` from `inputs` runs. Throws when that needs
// a graph input that is not among `inputs`.
std::unordered_set<const Node*> needed_nodes(const Graph& graph, const std::vector<TensorPtr>& inputs,
                                             const std::vector<TensorPtr>& outputs) {
  std::unordered_set<const Node*> needed;
  std::unordered_set<const Tensor*> seen;
  std::vector<std::pair<const Tensor*, std::string>> work;  // tensor, who reads it
  auto visit = [&](const Tensor* t, std::string reader) {
    if (t && !holds(inputs, t) && seen.insert(t).second) work.emplace_back(t, std::move(reader));
  };
  for (const TensorPtr& t : outputs) visit(t.get(), "graph output '" + t->name + "'");
  while (!work.empty()) {
    auto [t, reader] = work.back();
    work.pop_back();
    const Node* p = t->producer();
    if (p && p->graph() == &graph) {
      if (!needed.insert(p).second) continue;
      for (const Tensor* r : graph.reads_of(*p)) visit(r, p->describe());
    } else if (holds(graph.inputs, t) && !holds(graph.initializers, t)) {
      throw Error("cannot cut " + graph.describe() + ": " + reader + " needs graph input '" + t->name +
                  "', which is not among the new inputs");
    }
  }
  return needed;
}

// Outputs of kept nodes that become graph inputs go to fresh tensors instead.
std::vector<SlotChange> detach_inputs(const Graph& graph, const std::unordered_set<const Node*>& kept,
                                      const std::vector<TensorPtr>& inputs) {
  std::vector<SlotChange> slots;
  for (const TensorPtr& t : inputs) {
    Node* p = t->producer();
    if (!p || !kept.count(p)) continue;
    for (size_t i = 0; i < p->outputs().size(); ++i) {
      if (p->output(i) == t) slots.push_back({p, i, std::make_shared<Tensor>(unique_tensor_name(graph, t->name + "_cut"))});
    }
  }
  return slots;
}

void require_listed_tensors(const Graph& graph, const std::vector<TensorPtr>& ts) {
  for (const TensorPtr& t : ts) {
    if (!t) throw Error("cannot cut " + graph.describe() + " at a null tensor");
    if (graph.find_tensor(t->name) != t) throw Error("cannot cut " + graph.describe() + " at tensor '" + t->name + "': it is not in it");
  }
}

std::vector<TensorPtr> named(const Graph& graph, const std::vector<std::string>& names) {
  std::vector<TensorPtr> ts;
  for (const std::string& n : names) ts.push_back(tensor_named(graph, n));
  return ts;
}

}  // namespace

void cut(Graph& graph, const std::vector<TensorPtr>& inputs, const std::vector<TensorPtr>& outputs) {
  require_listed_tensors(graph, inputs);
  require_listed_tensors(graph, outputs);
  const std::unordered_set<const Node*> kept = needed_nodes(graph, inputs, outputs);
  Change change{.node_outputs = detach_inputs(graph, kept, inputs), .graph_inputs = inputs, .graph_outputs = outputs};
  for (const auto& node : graph.nodes()) {
    if (!kept.count(node.get())) change.remove.push_back(node.get());
  }
  apply_change(graph, std::move(change));
  graph.cleanup({.remove_unused_graph_inputs = false, .remove_unused_initializers = true, .recurse_into_subgraphs = false});
  auto& vi = graph.value_info;
  vi.erase(std::remove_if(vi.begin(), vi.end(),
                          [&](const TensorPtr& t) { return holds(inputs, t.get()) || holds(outputs, t.get()); }),
           vi.end());
}

std::shared_ptr<Graph> extract(const Graph& graph, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs) {
  std::shared_ptr<Graph> copy = clone(graph, graph.parent());
  cut(*copy, named(*copy, inputs), named(*copy, outputs));
  return copy;
}

Model extract(const Model& model, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  Model copy = clone(model);
  cut(*copy.graph, named(*copy.graph, inputs), named(*copy.graph, outputs));
  return copy;
}

}  // namespace graft
