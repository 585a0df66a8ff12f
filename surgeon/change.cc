#include "surgeon/change.h"

#include <algorithm>
#include <map>
#include <utility>
#include <unordered_map>
#include <unordered_set>

#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft {
namespace {

bool defined_by_ancestor(const Graph& graph, const Tensor* t) {
  for (const Graph* g = graph.parent(); g; g = g->parent()) {
    if (g->defines(t)) return true;
  }
  return false;
}

std::vector<Graph*> subgraphs_of(const std::vector<Attribute>& attributes) {
  std::vector<Graph*> result;
  for (const Attribute& a : attributes) {
    if (a.g) result.push_back(a.g.get());
    for (const GraphPtr& g : a.graphs) result.push_back(g.get());
  }
  return result;
}

// A node of the graph as it would be after the change.
struct PlannedNode {
  std::string who;
  std::vector<const Tensor*> reads;   // inputs, then outer tensors its subgraphs read
  std::vector<const Tensor*> writes;  // non-null outputs
  bool is_new = false;
  bool inputs_changed = false;
};

using SlotMap = std::map<std::pair<const Node*, size_t>, const Tensor*>;
using NameUse = std::unordered_map<std::string, std::unordered_set<const Tensor*>>;

// The graph after `change`, as far as the checks need it; built without touching the graph.
class Plan {
 public:
  Plan(const Graph& graph, const Change& change) : graph_(graph), change_(change) {
    for (const auto& node : graph.nodes()) {
      present_.insert(node.get());
      for (const Graph* sub : node->subgraphs()) owner_of_subgraph_[sub] = node.get();
    }
    collect_removed();
    collect_input_slots();
    collect_output_slots();
    for (const auto& node : graph.nodes()) {
      if (!removed_.count(node.get())) nodes_.push_back(planned_existing(*node));
    }
    for (const NodeSpec& spec : change.add) nodes_.push_back(planned_new(spec));
    inputs_ = change.graph_inputs ? *change.graph_inputs : graph.inputs;
    outputs_ = change.graph_outputs ? *change.graph_outputs : graph.outputs;
    for (const std::vector<TensorPtr>* list : {&std::as_const(inputs_), &graph.initializers, &graph.sparse_initializers}) {
      for (const TensorPtr& t : *list) sources_.insert(t.get());
    }
    for (const TensorPtr& t : graph.inputs) {
      if (!sources_.count(t.get())) lost_[t.get()] = "it is no longer a graph input";
    }
  }

  void check() const {
    check_graph_io_entries();
    auto producer = producers();
    check_new_names(producer);
    check_reads(producer);
    check_acyclic(producer);
  }

 private:
  void collect_removed() {
    for (const Node* n : change_.remove) {
      require_in_graph(n, "remove");
      removed_.insert(n);
      for (const TensorPtr& t : n->outputs()) {
        if (t) lost_[t.get()] = "it is an output of removed " + n->describe();
      }
    }
  }

  void require_in_graph(const Node* n, const std::string& action) const {
    if (!present_.count(n)) {
      throw Error("cannot " + action + " " + (n ? n->describe() : "a null node") + ": it is not in " +
                  graph_.describe());
    }
  }

  // The node of this graph that `node` is, or whose subgraphs hold it; null if none.
  const Node* top_level_node(const Node* node) const {
    if (!node || node->graph() == &graph_) return node;
    const Graph* g = node->graph();
    while (g && g->parent() != &graph_) g = g->parent();
    auto it = g ? owner_of_subgraph_.find(g) : owner_of_subgraph_.end();
    return it == owner_of_subgraph_.end() ? nullptr : it->second;
  }

  void require_surviving(const Node* node, const Node* top, const std::string& action) const {
    if (!top) require_in_graph(node, action);  // throws
    if (removed_.count(top)) throw Error("cannot " + action + " " + node->describe() + ": it is removed");
  }

  // Readers inside subgraphs may be rewired too; their top-level node then reads the tensor.
  void collect_input_slots() {
    for (const SlotChange& s : change_.node_inputs) {
      const Node* top = top_level_node(s.node);
      require_surviving(s.node, top, "rewire an input of");
      input_slots_[{s.node, s.index}] = s.tensor.get();
      rewired_.insert(top);
    }
  }

  void collect_output_slots() {
    for (const SlotChange& s : change_.node_outputs) {
      require_surviving(s.node, s.node && s.node->graph() == &graph_ ? s.node : nullptr, "rewire an output of");
      output_slots_[{s.node, s.index}] = s.tensor.get();
      const TensorPtr old = s.node->output(s.index);
      if (old && old != s.tensor) lost_[old.get()] = "it is no longer an output of " + s.node->describe();
    }
  }

  static std::vector<const Tensor*> with_slots(const Node& n, const std::vector<TensorPtr>& list,
                                               const SlotMap& slots) {
    std::vector<const Tensor*> result;
    for (const TensorPtr& t : list) result.push_back(t.get());
    for (auto it = slots.lower_bound({&n, 0}); it != slots.end() && it->first.first == &n; ++it) {
      if (it->first.second >= result.size()) result.resize(it->first.second + 1, nullptr);
      result[it->first.second] = it->second;
    }
    return result;
  }

  PlannedNode planned_existing(const Node& n) const {
    PlannedNode p{.who = n.describe()};
    for (const Tensor* t : with_slots(n, n.inputs(), input_slots_)) {
      if (t) p.reads.push_back(t);
    }
    for (const Graph* sub : n.subgraphs()) add_outer_reads(*sub, p.reads);
    for (const Tensor* t : with_slots(n, n.outputs(), output_slots_)) {
      if (t) p.writes.push_back(t);
    }
    p.inputs_changed = rewired_.count(&n) > 0;
    return p;
  }

  // As Graph::outer_tensors, with the planned input rewiring.
  void add_outer_reads(const Graph& sub, std::vector<const Tensor*>& reads) const {
    auto consider = [&](const Tensor* t) {
      if (t && !sub.defines(t)) reads.push_back(t);
    };
    for (const auto& node : sub.nodes()) {
      for (const Tensor* t : with_slots(*node, node->inputs(), input_slots_)) consider(t);
      std::vector<const Tensor*> deeper;
      for (const Graph* inner : node->subgraphs()) add_outer_reads(*inner, deeper);
      for (const Tensor* t : deeper) consider(t);
    }
    for (const TensorPtr& t : sub.outputs) consider(t.get());
  }

  PlannedNode planned_new(const NodeSpec& spec) const {
    const Tensor* first = spec.outputs.empty() ? nullptr : spec.outputs[0].get();
    PlannedNode p{.who = "new " + describe_node(spec.name, spec.op_type, spec.domain, first), .is_new = true};
    for (const TensorPtr& t : spec.inputs) {
      if (t) p.reads.push_back(t.get());
    }
    for (const Graph* sub : subgraphs_of(spec.attributes)) add_outer_reads(*sub, p.reads);
    for (const TensorPtr& t : spec.outputs) {
      if (t) p.writes.push_back(t.get());
    }
    return p;
  }

  void check_graph_io_entries() const {
    for (const auto* list : {&inputs_, &outputs_}) {
      for (const TensorPtr& t : *list) {
        if (!t) throw Error("a graph input or output of " + graph_.describe() + " would be null");
      }
    }
  }

  // Tensor -> index of the planned node writing it; refuses tensors written twice or
  // written while being graph inputs, initializers or tensors of enclosing graphs.
  std::unordered_map<const Tensor*, size_t> producers() const {
    std::unordered_map<const Tensor*, size_t> producer;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      for (const Tensor* t : nodes_[i].writes) {
        auto [it, inserted] = producer.emplace(t, i);
        if (!inserted && it->second != i) {
          throw Error("tensor '" + t->name + "' would be produced by both " + nodes_[it->second].who + " and " +
                      nodes_[i].who);
        }
        refuse_writing_a_source(nodes_[i], t);
      }
    }
    return producer;
  }

  void refuse_writing_a_source(const PlannedNode& writer, const Tensor* t) const {
    const std::string refusal = writer.who + " cannot produce tensor '" + t->name + "': it ";
    if (sources_.count(t)) throw Error(refusal + "is " + source_kind(t) + " of " + graph_.describe());
    bool produced_here = t->producer() && present_.count(t->producer());
    if (!produced_here && defined_by_ancestor(graph_, t)) {
      throw Error(refusal + "belongs to an enclosing graph of " + graph_.describe());
    }
  }

  std::string source_kind(const Tensor* t) const {
    if (holds(inputs_, t)) return "a graph input";
    return holds(graph_.initializers, t) ? "an initializer" : "a sparse initializer";
  }

  // Names of tensors and nodes the change introduces must be new.
  void check_new_names(const std::unordered_map<const Tensor*, size_t>& producer) const {
    NameUse by_name;
    auto define = [&](const Tensor* t) { by_name[t->name].insert(t); };
    for (const TensorPtr& t : inputs_) define(t.get());
    for (const TensorPtr& t : graph_.initializers) define(t.get());
    for (const TensorPtr& t : graph_.sparse_initializers) define(t.get());
    for (const auto& [t, i] : producer) define(t);
    for (const auto& [t, i] : producer) {
      if (!graph_.defines(t)) check_new_tensor_name(t, nodes_[i].who, by_name);
    }
    for (const TensorPtr& t : inputs_) {
      if (!graph_.defines(t.get())) check_new_tensor_name(t.get(), "graph input", by_name);
    }
    check_new_node_names();
  }

  void check_new_tensor_name(const Tensor* t, const std::string& definer, const NameUse& by_name) const {
    if (t->name.empty()) throw Error("an output of " + definer + " has no name");
    bool clash = by_name.at(t->name).size() > 1;
    TensorPtr outer = graph_.parent() ? graph_.parent()->find_tensor(t->name) : nullptr;
    if (clash || (outer && outer.get() != t)) {
      throw Error("tensor name '" + t->name + "' (" + definer + ") is already used in " +
                  (clash ? graph_.describe() : "an enclosing graph of " + graph_.describe()));
    }
  }

  void check_new_node_names() const {
    std::unordered_set<std::string> names;
    for (const auto& node : graph_.nodes()) {
      if (!removed_.count(node.get())) names.insert(node->name);
    }
    for (const NodeSpec& spec : change_.add) {
      if (!spec.name.empty() && !names.insert(spec.name).second) {
        throw Error("node name '" + spec.name + "' is already used in " + graph_.describe());
      }
    }
  }

  void check_reads(const std::unordered_map<const Tensor*, size_t>& producer) const {
    auto defined = [&](const Tensor* t) {
      return producer.count(t) || sources_.count(t) || defined_by_ancestor(graph_, t);
    };
    auto refuse = [&](const std::string& reader, const Tensor* t) {
      auto why = lost_.find(t);
      throw Error(reader + " would read tensor '" + t->name + "', which nothing would define" +
                  (why != lost_.end() ? " (" + why->second + ")" : ""));
    };
    for (const PlannedNode& p : nodes_) {
      for (const Tensor* t : p.reads) {
        if (!defined(t) && (p.is_new || p.inputs_changed || lost_.count(t))) refuse(p.who, t);
      }
    }
    for (const TensorPtr& t : outputs_) {
      if (!defined(t.get())) refuse("graph output '" + t->name + "' of " + graph_.describe(), t.get());
    }
  }

  void check_acyclic(const std::unordered_map<const Tensor*, size_t>& producer) const {
    const size_t n = nodes_.size();
    std::vector<std::vector<size_t>> users(n);
    std::vector<size_t> pending(n, 0);
    for (size_t i = 0; i < n; ++i) {
      for (const Tensor* t : nodes_[i].reads) {
        auto it = producer.find(t);
        if (it == producer.end()) continue;
        users[it->second].push_back(i);
        ++pending[i];
      }
    }
    std::vector<size_t> ready;
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] == 0) ready.push_back(i);
    }
    size_t placed = 0;
    while (!ready.empty()) {
      size_t i = ready.back();
      ready.pop_back();
      ++placed;
      for (size_t u : users[i]) {
        if (--pending[u] == 0) ready.push_back(u);
      }
    }
    if (placed != n) throw_cycle(pending, producer);
  }

  // Walks producers among the nodes left unplaced until one repeats: that loop is a cycle.
  [[noreturn]] void throw_cycle(const std::vector<size_t>& pending,
                                const std::unordered_map<const Tensor*, size_t>& producer) const {
    size_t cur = std::find_if(pending.begin(), pending.end(), [](size_t p) { return p > 0; }) - pending.begin();
    std::vector<size_t> path;
    std::vector<int> pos(nodes_.size(), -1);
    while (pos[cur] < 0) {
      pos[cur] = static_cast<int>(path.size());
      path.push_back(cur);
      for (const Tensor* t : nodes_[cur].reads) {
        auto it = producer.find(t);
        if (it != producer.end() && pending[it->second] > 0) {
          cur = it->second;
          break;
        }
      }
    }
    std::string msg = "the edit would create a cycle in " + graph_.describe() + ": ";
    for (size_t k = path.size(); k-- > static_cast<size_t>(pos[cur]);) msg += nodes_[path[k]].who + " -> ";
    throw Error(msg + nodes_[path.back()].who);
  }

  const Graph& graph_;
  const Change& change_;
  std::unordered_set<const Node*> present_, removed_;
  std::unordered_set<const Tensor*> sources_;  // graph inputs (after the change) and initializers
  std::unordered_map<const Tensor*, std::string> lost_;  // tensors losing their definition, and why
  std::unordered_map<const Graph*, const Node*> owner_of_subgraph_;
  SlotMap input_slots_, output_slots_;  // input slots of nodes in subgraphs too
  std::unordered_set<const Node*> rewired_;  // nodes of this graph with rewired inputs, or rewired readers inside
  std::vector<PlannedNode> nodes_;
  std::vector<TensorPtr> inputs_, outputs_;
};

size_t index_of(const Graph& graph, const Node* node) {
  const auto& nodes = graph.nodes();
  return std::find_if(nodes.begin(), nodes.end(), [&](const auto& p) { return p.get() == node; }) - nodes.begin();
}

// Just after the last node of `graph` producing one of `inputs`, or 0.
size_t after_producers(const Graph& graph, const std::vector<TensorPtr>& inputs) {
  size_t pos = 0;
  for (const TensorPtr& t : inputs) {
    if (t && t->producer() && t->producer()->graph() == &graph) pos = std::max(pos, index_of(graph, t->producer()) + 1);
  }
  return pos;
}

bool is_sorted(const Graph& graph) {
  std::unordered_map<const Node*, size_t> index;
  for (size_t i = 0; i < graph.nodes().size(); ++i) index[graph.nodes()[i].get()] = i;
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    for (const Tensor* t : graph.reads_of(*graph.nodes()[i])) {
      auto it = t->producer() ? index.find(t->producer()) : index.end();
      if (it != index.end() && it->second >= i) return false;
    }
  }
  return true;
}

Node* add_planned(Graph& graph, size_t pos, NodeSpec& spec) {
  Node* node = graph.insert_node(pos, std::move(spec.op_type), std::move(spec.inputs), std::move(spec.outputs),
                                 std::move(spec.name), std::move(spec.domain));
  node->attributes = std::move(spec.attributes);
  for (Graph* sub : node->subgraphs()) sub->set_parent(&graph);
  return node;
}

}  // namespace

void check_change(const Graph& graph, const Change& change) { Plan(graph, change).check(); }

std::vector<Node*> apply_change(Graph& graph, Change change) {
  check_change(graph, change);
  size_t anchor = graph.nodes().size();
  for (const Node* n : change.remove) anchor = std::min(anchor, index_of(graph, n));
  if (change.remove.empty()) anchor = 0;
  std::unordered_set<Node*> removed;
  for (Node* n : change.remove) {
    if (removed.insert(n).second) graph.remove_node(n);
  }
  // Free every rewired output slot first, so tensors may move between nodes.
  for (const SlotChange& s : change.node_outputs) s.node->set_output(s.index, nullptr);
  for (const SlotChange& s : change.node_outputs) s.node->set_output(s.index, s.tensor);
  for (const SlotChange& s : change.node_inputs) s.node->set_input(s.index, s.tensor);
  std::vector<Node*> added;
  for (NodeSpec& spec : change.add) {
    size_t pos = std::max(anchor, after_producers(graph, spec.inputs));
    added.push_back(add_planned(graph, pos, spec));
    anchor = pos + 1;
  }
  if (change.graph_inputs) graph.inputs = std::move(*change.graph_inputs);
  if (change.graph_outputs) graph.outputs = std::move(*change.graph_outputs);
  if (!is_sorted(graph)) graph.toposort(/*recurse_into_subgraphs=*/false);
  return added;
}

}  // namespace graft
