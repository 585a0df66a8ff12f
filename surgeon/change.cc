#include "surgeon/change.h"

#include <algorithm>
#include <map>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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

// Node::subgraphs() without building a list: most nodes have none.
bool has_subgraphs(const std::vector<Attribute>& attributes) {
  return std::any_of(attributes.begin(), attributes.end(), [](const Attribute& a) { return a.g || !a.graphs.empty(); });
}

std::vector<Graph*> subgraphs_of(const std::vector<Attribute>& attributes) {
  std::vector<Graph*> result;
  for (const Attribute& a : attributes) {
    if (a.g) result.push_back(a.g.get());
    for (const GraphPtr& g : a.graphs) result.push_back(g.get());
  }
  return result;
}

// The node of `graph` that `node` is, or whose subgraphs hold it; null if none.
const Node* top_level_node(const Graph& graph, const Node* node) {
  if (!node || node->graph() == &graph) return node;
  const Graph* g = node->graph();
  while (g && g->parent() != &graph) g = g->parent();
  for (const auto& n : graph.nodes()) {
    if (!g) break;
    for (const Graph* sub : n->subgraphs()) {
      if (sub == g) return n.get();
    }
  }
  return nullptr;
}

using SlotMap = std::map<std::pair<const Node*, size_t>, const Tensor*>;

bool has_slot(const SlotMap& slots, const Node* n) {
  auto it = slots.lower_bound({n, 0});
  return it != slots.end() && it->first.first == n;
}

// Appends the non-null tensors of `list` (a node's inputs or outputs) as `slots` changes them.
void append_with_slots(const Node& n, const std::vector<TensorPtr>& list, const SlotMap& slots,
                       std::vector<const Tensor*>& out) {
  if (!has_slot(slots, &n)) {
    for (const TensorPtr& t : list) {
      if (t) out.push_back(t.get());
    }
    return;
  }
  std::vector<const Tensor*> changed;
  for (const TensorPtr& t : list) changed.push_back(t.get());
  for (auto it = slots.lower_bound({&n, 0}); it != slots.end() && it->first.first == &n; ++it) {
    if (it->first.second >= changed.size()) changed.resize(it->first.second + 1, nullptr);
    changed[it->first.second] = it->second;
  }
  for (const Tensor* t : changed) {
    if (t) out.push_back(t);
  }
}

// A node of the graph as it would be after the change. Its reads (inputs, then outer
// tensors its subgraphs read) and writes (non-null outputs) are ranges of Plan's lists.
struct PlannedNode {
  const Node* existing = nullptr;  // or
  const NodeSpec* spec = nullptr;
  size_t reads_begin = 0, reads_end = 0, writes_begin = 0, writes_end = 0;
  bool is_new = false;
  bool inputs_changed = false;

  std::string who() const {
    if (existing) return existing->describe();
    const Tensor* first = spec->outputs.empty() ? nullptr : spec->outputs[0].get();
    return "new " + describe_node(spec->name, spec->op_type, spec->domain, first);
  }
};

using Producers = std::unordered_map<const Tensor*, size_t>;  // tensor -> planned node writing it

// The graph after `change`, as far as the checks need it; built without touching the graph.
// Nodes named in the change must be alive.
class Plan {
 public:
  Plan(const Graph& graph, const Change& change) : graph_(graph), change_(change) {
    inputs_ = change.graph_inputs ? *change.graph_inputs : graph.inputs;
    outputs_ = change.graph_outputs ? *change.graph_outputs : graph.outputs;
    collect_removed();
    collect_input_slots();
    collect_output_slots();
    for (const TensorPtr& t : graph.inputs) {
      if (!holds(inputs_, t.get()) && !is_source(t.get())) lost_[t.get()] = "it is no longer a graph input";
    }
    for (const auto& node : graph.nodes()) {
      if (!removed_.count(node.get())) plan_existing(*node);
    }
    for (const NodeSpec& spec : change.add) plan_new(spec);
  }

  void check() const {
    check_graph_io_entries();
    const Producers producer = producers();
    check_new_names();
    check_reads(producer);
    check_acyclic(producer);
  }

 private:
  std::span<const Tensor* const> reads(const PlannedNode& p) const {
    return {reads_.data() + p.reads_begin, p.reads_end - p.reads_begin};
  }
  std::span<const Tensor* const> writes(const PlannedNode& p) const {
    return {writes_.data() + p.writes_begin, p.writes_end - p.writes_begin};
  }

  // Graph inputs (after the change) and initializers.
  bool is_source(const Tensor* t) const {
    return holds(inputs_, t) || holds(graph_.initializers, t) || holds(graph_.sparse_initializers, t);
  }

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
    if (!n || n->graph() != &graph_) {
      throw Error("cannot " + action + " " + (n ? n->describe() : "a null node") + ": it is not in " +
                  graph_.describe());
    }
  }

  void require_surviving(const Node* node, const Node* top, const std::string& action) const {
    if (!top) require_in_graph(node, action);  // throws: `node` is neither in the graph nor in a subgraph
    if (removed_.count(top)) throw Error("cannot " + action + " " + node->describe() + ": it is removed");
  }

  // Readers inside subgraphs may be rewired too; their top-level node then reads the tensor.
  void collect_input_slots() {
    for (const SlotChange& s : change_.node_inputs) {
      const Node* top = top_level_node(graph_, s.node);
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

  void plan_existing(const Node& n) {
    PlannedNode p{.existing = &n, .reads_begin = reads_.size(), .inputs_changed = rewired_.count(&n) > 0};
    append_with_slots(n, n.inputs(), input_slots_, reads_);
    if (has_subgraphs(n.attributes)) {
      for (const Graph* sub : n.subgraphs()) add_outer_reads(*sub, reads_);
    }
    p.reads_end = reads_.size();
    p.writes_begin = writes_.size();
    append_with_slots(n, n.outputs(), output_slots_, writes_);
    p.writes_end = writes_.size();
    nodes_.push_back(p);
  }

  void plan_new(const NodeSpec& spec) {
    PlannedNode p{.spec = &spec, .reads_begin = reads_.size(), .is_new = true};
    for (const TensorPtr& t : spec.inputs) {
      if (t) reads_.push_back(t.get());
    }
    for (const Graph* sub : subgraphs_of(spec.attributes)) add_outer_reads(*sub, reads_);
    p.reads_end = reads_.size();
    p.writes_begin = writes_.size();
    for (const TensorPtr& t : spec.outputs) {
      if (t) writes_.push_back(t.get());
    }
    p.writes_end = writes_.size();
    nodes_.push_back(p);
  }

  // As Graph::outer_tensors, with the planned input rewiring.
  void add_outer_reads(const Graph& sub, std::vector<const Tensor*>& out) const {
    std::vector<const Tensor*> reads;
    for (const auto& node : sub.nodes()) {
      append_with_slots(*node, node->inputs(), input_slots_, reads);
      for (const Graph* inner : node->subgraphs()) add_outer_reads(*inner, reads);
    }
    for (const TensorPtr& t : sub.outputs) reads.push_back(t.get());
    for (const Tensor* t : reads) {
      if (t && !sub.defines(t)) out.push_back(t);
    }
  }

  void check_graph_io_entries() const {
    for (const auto* list : {&inputs_, &outputs_}) {
      for (const TensorPtr& t : *list) {
        if (!t) throw Error("a graph input or output of " + graph_.describe() + " would be null");
      }
    }
  }

  // Refuses tensors written twice, or written while being graph inputs, initializers or
  // tensors of enclosing graphs.
  Producers producers() const {
    Producers producer;
    producer.reserve(writes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const PlannedNode& p = nodes_[i];
      bool writes_changed = p.is_new || has_slot(output_slots_, p.existing);
      for (const Tensor* t : writes(p)) {
        auto [it, inserted] = producer.emplace(t, i);
        if (!inserted && it->second != i) {
          throw Error("tensor '" + t->name + "' would be produced by both " + nodes_[it->second].who() + " and " +
                      p.who());
        }
        if (writes_changed) refuse_writing_a_source(p, t);
      }
    }
    for (const TensorPtr& t : inputs_) {
      auto it = producer.find(t.get());
      if (it != producer.end() && !holds(graph_.inputs, t.get())) refuse_writing_a_source(nodes_[it->second], t.get());
    }
    return producer;
  }

  void refuse_writing_a_source(const PlannedNode& writer, const Tensor* t) const {
    auto refuse = [&](const std::string& why) {
      throw Error(writer.who() + " cannot produce tensor '" + t->name + "': it " + why);
    };
    if (is_source(t)) refuse("is " + source_kind(t) + " of " + graph_.describe());
    bool produced_here = t->producer() && t->producer()->graph() == &graph_;
    if (!produced_here && defined_by_ancestor(graph_, t)) refuse("belongs to an enclosing graph of " + graph_.describe());
  }

  std::string source_kind(const Tensor* t) const {
    if (holds(inputs_, t)) return "a graph input";
    return holds(graph_.initializers, t) ? "an initializer" : "a sparse initializer";
  }

  // Names of tensors and nodes the change introduces must be new.
  void check_new_names() const {
    for (const PlannedNode& p : nodes_) {
      for (const Tensor* t : writes(p)) {
        if (!graph_.defines(t)) check_new_tensor_name(t, p.who());
      }
    }
    for (const TensorPtr& t : inputs_) {
      if (!graph_.defines(t.get())) check_new_tensor_name(t.get(), "graph input");
    }
    check_new_node_names();
  }

  // Another tensor of this graph (after the change) with the same name.
  bool name_taken(const Tensor* t) const {
    auto other = [&](const Tensor* u) { return u != t && u->name == t->name; };
    auto other_in = [&](const std::vector<TensorPtr>& list) {
      return std::any_of(list.begin(), list.end(), [&](const TensorPtr& u) { return other(u.get()); });
    };
    return other_in(inputs_) || other_in(graph_.initializers) || other_in(graph_.sparse_initializers) ||
           std::any_of(writes_.begin(), writes_.end(), other);
  }

  void check_new_tensor_name(const Tensor* t, const std::string& definer) const {
    if (t->name.empty()) throw Error("an output of " + definer + " has no name");
    bool clash = name_taken(t);
    TensorPtr outer = graph_.parent() ? graph_.parent()->find_tensor(t->name) : nullptr;
    if (clash || (outer && outer.get() != t)) {
      throw Error("tensor name '" + t->name + "' (" + definer + ") is already used in " +
                  (clash ? graph_.describe() : "an enclosing graph of " + graph_.describe()));
    }
  }

  void check_new_node_names() const {
    for (size_t i = 0; i < change_.add.size(); ++i) {
      const std::string& name = change_.add[i].name;
      auto same = [&](const PlannedNode& p) {
        return p.spec != &change_.add[i] && (p.existing ? p.existing->name : p.spec->name) == name;
      };
      if (!name.empty() && std::any_of(nodes_.begin(), nodes_.end(), same)) {
        throw Error("node name '" + name + "' is already used in " + graph_.describe());
      }
    }
  }

  // Only reads the change touches can break: those of new or rewired nodes, and reads of
  // tensors that lose their definition.
  void check_reads(const Producers& producer) const {
    auto defined = [&](const Tensor* t) {
      return producer.count(t) || is_source(t) || defined_by_ancestor(graph_, t);
    };
    auto refuse = [&](const std::string& reader, const Tensor* t) {
      auto why = lost_.find(t);
      throw Error(reader + " would read tensor '" + t->name + "', which nothing would define" +
                  (why != lost_.end() ? " (" + why->second + ")" : ""));
    };
    for (const PlannedNode& p : nodes_) {
      for (const Tensor* t : reads(p)) {
        if ((p.is_new || p.inputs_changed || lost_.count(t)) && !defined(t)) refuse(p.who(), t);
      }
    }
    for (const TensorPtr& t : outputs_) {
      bool touched = change_.graph_outputs || lost_.count(t.get());
      if (touched && !defined(t.get())) refuse("graph output '" + t->name + "' of " + graph_.describe(), t.get());
    }
  }

  // Kahn's algorithm over the planned nodes, edges in one flat list.
  void check_acyclic(const Producers& producer) const {
    const size_t n = nodes_.size();
    std::vector<size_t> pending(n, 0), user_begin(n + 1, 0);
    std::vector<std::pair<size_t, size_t>> edges;  // producer, reader
    for (size_t i = 0; i < n; ++i) {
      for (const Tensor* t : reads(nodes_[i])) {
        auto it = producer.find(t);
        if (it == producer.end()) continue;
        edges.emplace_back(it->second, i);
        ++pending[i];
        ++user_begin[it->second + 1];
      }
    }
    for (size_t i = 0; i < n; ++i) user_begin[i + 1] += user_begin[i];
    std::vector<size_t> users(edges.size()), fill(user_begin.begin(), user_begin.end() - 1);
    for (const auto& [from, to] : edges) users[fill[from]++] = to;
    std::vector<size_t> ready;
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] == 0) ready.push_back(i);
    }
    size_t placed = 0;
    while (!ready.empty()) {
      size_t i = ready.back();
      ready.pop_back();
      ++placed;
      for (size_t k = user_begin[i]; k < user_begin[i + 1]; ++k) {
        if (--pending[users[k]] == 0) ready.push_back(users[k]);
      }
    }
    if (placed != n) throw_cycle(pending, producer);
  }

  // Walks producers among the nodes left unplaced until one repeats: that loop is a cycle.
  [[noreturn]] void throw_cycle(const std::vector<size_t>& pending, const Producers& producer) const {
    size_t cur = std::find_if(pending.begin(), pending.end(), [](size_t p) { return p > 0; }) - pending.begin();
    std::vector<size_t> path;
    std::vector<int> pos(nodes_.size(), -1);
    while (pos[cur] < 0) {
      pos[cur] = static_cast<int>(path.size());
      path.push_back(cur);
      for (const Tensor* t : reads(nodes_[cur])) {
        auto it = producer.find(t);
        if (it != producer.end() && pending[it->second] > 0) {
          cur = it->second;
          break;
        }
      }
    }
    std::string msg = "the edit would create a cycle in " + graph_.describe() + ": ";
    for (size_t k = path.size(); k-- > static_cast<size_t>(pos[cur]);) msg += nodes_[path[k]].who() + " -> ";
    throw Error(msg + nodes_[path.back()].who());
  }

  const Graph& graph_;
  const Change& change_;
  std::vector<TensorPtr> inputs_, outputs_;  // after the change
  std::unordered_set<const Node*> removed_;
  std::unordered_map<const Tensor*, std::string> lost_;  // tensors losing their definition, and why
  SlotMap input_slots_, output_slots_;                   // input slots of nodes in subgraphs too
  std::unordered_set<const Node*> rewired_;  // nodes of the graph with rewired inputs, or rewired readers inside
  std::vector<PlannedNode> nodes_;
  std::vector<const Tensor*> reads_, writes_;
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

// Whether each of `touched` comes after the producers of what it reads and before the
// nodes reading what it writes; only they can be out of place after a change.
bool in_order(const Graph& graph, const std::vector<const Node*>& touched) {
  std::vector<std::pair<const Node*, const Node*>> before;  // (earlier, later)
  for (const Node* n : touched) {
    for (const Tensor* t : graph.reads_of(*n)) {
      if (t->producer() && t->producer()->graph() == &graph) before.emplace_back(t->producer(), n);
    }
    for (const TensorPtr& t : n->outputs()) {
      if (!t) continue;
      for (const Node* reader : t->consumers()) before.emplace_back(n, top_level_node(graph, reader));
    }
  }
  std::unordered_map<const Node*, size_t> position;
  for (const auto& [a, b] : before) position[a] = position[b] = 0;
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    auto it = position.find(graph.nodes()[i].get());
    if (it != position.end()) it->second = i;
  }
  return std::all_of(before.begin(), before.end(), [&](const auto& e) {
    return !e.first || !e.second || e.first == e.second || position[e.first] < position[e.second];
  });
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
  size_t anchor = change.remove.empty() ? 0 : graph.nodes().size();
  for (const Node* n : change.remove) anchor = std::min(anchor, index_of(graph, n));
  std::unordered_set<Node*> removed;
  for (Node* n : change.remove) {
    if (removed.insert(n).second) graph.remove_node(n);
  }
  std::vector<const Node*> touched;
  // Free every rewired output slot first, so tensors may move between nodes.
  for (const SlotChange& s : change.node_outputs) s.node->set_output(s.index, nullptr);
  for (const SlotChange& s : change.node_outputs) {
    s.node->set_output(s.index, s.tensor);
    touched.push_back(s.node);
  }
  for (const SlotChange& s : change.node_inputs) {
    s.node->set_input(s.index, s.tensor);
    touched.push_back(top_level_node(graph, s.node));
  }
  std::vector<Node*> added;
  for (NodeSpec& spec : change.add) {
    size_t pos = std::max(anchor, after_producers(graph, spec.inputs));
    added.push_back(add_planned(graph, pos, spec));
    touched.push_back(added.back());
    anchor = pos + 1;
  }
  if (change.graph_inputs) graph.inputs = std::move(*change.graph_inputs);
  if (change.graph_outputs) graph.outputs = std::move(*change.graph_outputs);
  if (!in_order(graph, touched)) graph.toposort(/*recurse_into_subgraphs=*/false);
  return added;
}

}  // namespace graft
