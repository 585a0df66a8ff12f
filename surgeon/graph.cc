#include "surgeon/graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_set>

#include "surgeon/error.h"

namespace graft {

Graph::~Graph() {
  // Destroy nodes last-to-first so unhooking does not walk freed neighbours.
  while (!nodes_.empty()) nodes_.pop_back();
}

Node* Graph::add_node(std::string op_type, std::vector<TensorPtr> ins, std::vector<TensorPtr> outs,
                      std::string node_name, std::string domain) {
  return insert_node(nodes_.size(), std::move(op_type), std::move(ins), std::move(outs), std::move(node_name),
                     std::move(domain));
}

Node* Graph::insert_node(size_t index, std::string op_type, std::vector<TensorPtr> ins, std::vector<TensorPtr> outs,
                         std::string node_name, std::string domain) {
  auto node = std::make_unique<Node>(this, std::move(op_type), std::move(node_name), std::move(domain));
  node->set_inputs(std::move(ins));
  node->set_outputs(std::move(outs));
  auto at = nodes_.begin() + static_cast<std::ptrdiff_t>(std::min(index, nodes_.size()));
  return nodes_.insert(at, std::move(node))->get();
}

void Graph::remove_node(Node* node) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == node; });
  if (it == nodes_.end()) throw Error(node->describe() + " is not in " + describe());
  nodes_.erase(it);
}

bool Graph::defines(const Tensor* t) const {
  if (!t) return false;
  if (t->producer()) return t->producer()->graph() == this;
  auto same = [&](const TensorPtr& p) { return p.get() == t; };
  return std::any_of(inputs.begin(), inputs.end(), same) ||
         std::any_of(initializers.begin(), initializers.end(), same) ||
         std::any_of(sparse_initializers.begin(), sparse_initializers.end(), same);
}

std::unordered_map<std::string, TensorPtr> Graph::tensor_map() const {
  std::unordered_map<std::string, TensorPtr> map;
  for (const auto* list : {&inputs, &initializers, &sparse_initializers}) {
    for (const TensorPtr& t : *list) map.emplace(t->name, t);
  }
  for (const auto& node : nodes_) {
    for (const TensorPtr& t : node->outputs()) {
      if (t) map.emplace(t->name, t);
    }
  }
  return map;
}

TensorPtr Graph::find_tensor(std::string_view tensor_name) const {
  for (const Graph* g = this; g; g = g->parent_) {
    auto map = g->tensor_map();
    auto it = map.find(std::string(tensor_name));
    if (it != map.end()) return it->second;
  }
  return nullptr;
}

Node* Graph::find_node(std::string_view node_name) const {
  for (const auto& node : nodes_) {
    if (node->name == node_name) return node.get();
  }
  return nullptr;
}

std::vector<Tensor*> Graph::reads_of(const Node& node) const {
  std::vector<Tensor*> reads;
  for (const TensorPtr& t : node.inputs()) {
    if (t) reads.push_back(t.get());
  }
  for (const Graph* sub : node.subgraphs()) {
    for (Tensor* t : sub->outer_tensors()) reads.push_back(t);
  }
  return reads;
}

std::vector<Tensor*> Graph::outer_tensors() const {
  std::vector<Tensor*> outer;
  std::unordered_set<const Tensor*> seen;
  auto consider = [&](Tensor* t) {
    if (t && !defines(t) && seen.insert(t).second) outer.push_back(t);
  };
  for (const auto& node : nodes_) {
    for (Tensor* t : reads_of(*node)) consider(t);
  }
  for (const TensorPtr& t : outputs) consider(t.get());
  return outer;
}

std::vector<size_t> Graph::topological_order() const {
  const size_t n = nodes_.size();
  std::unordered_map<const Node*, size_t> index;
  for (size_t i = 0; i < n; ++i) index[nodes_[i].get()] = i;
  std::vector<std::vector<size_t>> users(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const Tensor* t : reads_of(*nodes_[i])) {
      auto it = t->producer() ? index.find(t->producer()) : index.end();
      if (it == index.end()) continue;
      users[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  std::vector<bool> placed(n, false);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    placed[i] = true;
    for (size_t u : users[i]) {
      if (--pending[u] == 0) ready.push(u);
    }
  }
  if (order.size() != n) throw_cycle(placed);
  return order;
}

void Graph::throw_cycle(const std::vector<bool>& placed) const {
  // Walk producers from an unplaced node until a node repeats: that loop is a cycle.
  std::unordered_map<const Node*, size_t> index;
  for (size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  size_t cur = std::find(placed.begin(), placed.end(), false) - placed.begin();
  std::vector<size_t> path;
  std::vector<int> pos(nodes_.size(), -1);
  while (pos[cur] < 0) {
    pos[cur] = static_cast<int>(path.size());
    path.push_back(cur);
    for (const Tensor* t : reads_of(*nodes_[cur])) {
      auto it = t->producer() ? index.find(t->producer()) : index.end();
      if (it != index.end() && !placed[it->second]) {
        cur = it->second;
        break;
      }
    }
  }
  std::string msg = describe() + " has a cycle: ";
  for (size_t k = path.size(); k-- > static_cast<size_t>(pos[cur]);) {
    msg += nodes_[path[k]]->describe() + " -> ";
  }
  throw Error(msg + nodes_[path.back()]->describe());
}

void Graph::toposort(bool recurse_into_subgraphs) {
  NodeOrders orders;
  collect_orders(recurse_into_subgraphs, orders);  // throws before anything moves
  for (auto& [graph, order] : orders) {
    std::vector<std::unique_ptr<Node>> sorted;
    sorted.reserve(order.size());
    for (size_t i : order) sorted.push_back(std::move(graph->nodes_[i]));
    graph->nodes_ = std::move(sorted);
  }
}

void Graph::collect_orders(bool recurse_into_subgraphs, NodeOrders& orders) {
  orders.emplace_back(this, topological_order());
  if (!recurse_into_subgraphs) return;
  for (const auto& node : nodes_) {
    for (Graph* sub : node->subgraphs()) sub->collect_orders(true, orders);
  }
}

CleanupReport Graph::cleanup(const CleanupOptions& options) {
  std::unordered_set<const Tensor*> live;
  std::unordered_set<const Node*> live_nodes;
  std::vector<const Tensor*> work;
  auto mark = [&](const Tensor* t) {
    if (t && live.insert(t).second) work.push_back(t);
  };
  CleanupReport report;
  auto add = [&](const CleanupReport& r) {
    report.nodes += r.nodes, report.initializers += r.initializers;
    report.value_infos += r.value_infos, report.inputs += r.inputs;
  };
  for (const TensorPtr& t : outputs) mark(t.get());
  while (!work.empty()) {
    const Tensor* t = work.back();
    work.pop_back();
    const Node* p = t->producer();
    if (!p || p->graph() != this || !live_nodes.insert(p).second) continue;
    // Clean a live node's subgraphs before taking their reads, so that outer tensors read
    // only by removed subgraph nodes do not keep their producers alive.
    if (options.recurse_into_subgraphs) {
      for (Graph* sub : p->subgraphs()) add(sub->cleanup(options));
    }
    for (const Tensor* r : reads_of(*p)) mark(r);
  }

  for (size_t i = nodes_.size(); i-- > 0;) {
    if (!live_nodes.count(nodes_[i].get())) {
      nodes_.erase(nodes_.begin() + i);
      ++report.nodes;
    }
  }
  auto drop_unused = [&](std::vector<TensorPtr>& list, const std::vector<TensorPtr>& keep_also) {
    size_t before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const TensorPtr& t) {
                                return !live.count(t.get()) &&
                                       std::find(keep_also.begin(), keep_also.end(), t) == keep_also.end();
                              }),
               list.end());
    return before - list.size();
  };
  const bool is_subgraph = parent_ != nullptr;
  if (options.remove_unused_graph_inputs && !is_subgraph) report.inputs += drop_unused(inputs, {});
  if (options.remove_unused_initializers) {
    report.initializers += drop_unused(initializers, inputs) + drop_unused(sparse_initializers, inputs);
  }
  // value_info of tensors that no longer exist anywhere in the graph.
  size_t vi_before = value_info.size();
  value_info.erase(std::remove_if(value_info.begin(), value_info.end(),
                                  [&](const TensorPtr& t) { return !live.count(t.get()) && !defines(t.get()); }),
                   value_info.end());
  report.value_infos += vi_before - value_info.size();
  return report;
}

void Graph::check() const { check_in_scope({}); }

void Graph::check_in_scope(std::unordered_set<const Tensor*> visible) const {
  // Every name is defined once in this graph.
  std::unordered_map<std::string, const Tensor*> defined;
  std::unordered_map<std::string, std::string> where;
  // One tensor may be both a graph input and an initializer (a default the caller may
  // override); a node output must be its only definition.
  std::unordered_set<const Tensor*> node_outputs;
  auto define = [&](const TensorPtr& t, const std::string& what, bool is_node_output = false) {
    auto [it, inserted] = defined.emplace(t->name, t.get());
    bool twice = !inserted && (it->second != t.get() || is_node_output || node_outputs.count(t.get()));
    if (is_node_output) node_outputs.insert(t.get());
    if (inserted) {
      where[t->name] = what;
    } else if (twice) {
      throw Error(describe() + ": tensor name '" + t->name + "' is defined twice: as " + where[t->name] +
                  " and as " + what);
    }
  };
  for (const TensorPtr& t : inputs) define(t, "a graph input");
  for (const TensorPtr& t : initializers) define(t, "an initializer");
  for (const TensorPtr& t : sparse_initializers) define(t, "a sparse initializer");
  for (const auto& node : nodes_) {
    for (const TensorPtr& t : node->outputs()) {
      if (t) define(t, "the output of " + node->describe(), /*is_node_output=*/true);
    }
  }

  for (const auto& [name, t] : defined) visible.insert(t);
  for (const auto& node : nodes_) {
    for (const TensorPtr& t : node->inputs()) {
      if (t && !visible.count(t.get())) {
        throw Error(describe() + ": " + node->describe() + " reads tensor '" + t->name +
                    "', which no node produces and which is no graph input or initializer");
      }
    }
  }
  for (const TensorPtr& t : outputs) {
    if (!visible.count(t.get())) {
      throw Error(describe() + ": graph output '" + t->name +
                  "' is not produced by any node, nor a graph input or initializer");
    }
  }
  topological_order();
  for (const auto& node : nodes_) {
    for (const Graph* sub : node->subgraphs()) sub->check_in_scope(visible);
  }
}

std::string Graph::describe() const {
  if (!parent_) return "graph '" + name + "'";
  for (const auto& node : parent_->nodes_) {
    for (const Attribute& a : node->attributes) {
      bool holds = a.g.get() == this ||
                   std::any_of(a.graphs.begin(), a.graphs.end(), [&](const GraphPtr& g) { return g.get() == this; });
      if (holds) return "subgraph '" + a.name + "' of " + node->describe();
    }
  }
  return "subgraph '" + name + "'";
}

size_t Graph::node_count_recursive() const {
  size_t n = nodes_.size();
  for (const auto& node : nodes_) {
    for (const Graph* sub : node->subgraphs()) n += sub->node_count_recursive();
  }
  return n;
}

}  // namespace graft
