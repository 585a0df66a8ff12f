#pragma once
// A planned edit of one graph: nodes to remove, nodes to add, node inputs, node outputs
// and graph outputs to rewire. The plan is checked as a whole against the graph before
// anything changes, so every edit built on it is all-or-nothing.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/graph.h"

namespace graft {

// A node to create. Null entries in inputs/outputs are omitted optionals.
struct NodeSpec {
  std::string op_type;
  std::string name;
  std::string domain;
  std::vector<TensorPtr> inputs;
  std::vector<TensorPtr> outputs;
  std::vector<Attribute> attributes;
};

struct SlotChange {
  Node* node = nullptr;
  size_t index = 0;
  TensorPtr tensor;  // null clears the slot
};

struct Change {
  std::vector<Node*> remove;
  std::vector<NodeSpec> add;
  std::vector<SlotChange> node_inputs;
  std::vector<SlotChange> node_outputs;
  std::optional<std::vector<TensorPtr>> graph_inputs;   // the whole new list, when it changes
  std::optional<std::vector<TensorPtr>> graph_outputs;
};

// Throws an Error saying why `change` would break `graph`: a removed or rewired node that
// is not in it, a read of a tensor nothing would define, a tensor produced twice or
// produced while being a graph input or initializer, a duplicate tensor or node name, a
// cycle. Only what the change touches is checked: problems the graph already had elsewhere
// (a cycle aside) do not refuse it.
void check_change(const Graph& graph, const Change& change);

// check_change, then the change. New nodes go after the producers of their inputs, at
// the place of the first removed node at the earliest, in `add` order; if that leaves a
// node before one it reads, the graph (not its subgraphs) is re-sorted. Returns the new
// nodes in `add` order.
std::vector<Node*> apply_change(Graph& graph, Change change);

}  // namespace graft
