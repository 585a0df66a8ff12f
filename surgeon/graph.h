#pragma once
// A graph: nodes (owned), the tensors they share, graph inputs/outputs, initializers and
// value_info in file order. Subgraphs (If/Loop/Scan bodies) are Graphs whose parent is
// the graph of the node holding them; they may read the parent's tensors directly.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "surgeon/node.h"
#include "surgeon/tensor.h"

namespace graft {

struct QuantAnnotation {
  std::string tensor_name;
  KeyValues quant_parameter_tensor_names;
};

struct CleanupOptions {
  bool remove_unused_graph_inputs = false;  // never for subgraphs: their inputs are positional
  bool remove_unused_initializers = true;
  bool recurse_into_subgraphs = true;
};

// What cleanup() removed, summed over subgraphs.
struct CleanupReport {
  size_t nodes = 0, initializers = 0, value_infos = 0, inputs = 0;
  bool changed() const { return nodes + initializers + value_infos + inputs > 0; }
};

class Graph {
 public:
  explicit Graph(std::string name = "", Graph* parent = nullptr) : name(std::move(name)), parent_(parent) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph();

  std::string name;
  std::string doc_string;
  std::string unknown_fields;
  std::vector<TensorPtr> inputs;
  std::vector<TensorPtr> outputs;
  std::vector<TensorPtr> initializers;         // dense constants, file order
  std::vector<TensorPtr> sparse_initializers;  // sparse constants, file order
  std::vector<TensorPtr> value_info;           // tensors with a value_info entry, file order
  std::vector<QuantAnnotation> quantization_annotations;

  Graph* parent() const { return parent_; }
  void set_parent(Graph* parent) { parent_ = parent; }

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  Node* add_node(std::string op_type, std::vector<TensorPtr> inputs, std::vector<TensorPtr> outputs,
                 std::string name = "", std::string domain = "");
  // As add_node, but placed at `index` in the node list (at the end if past it).
  Node* insert_node(size_t index, std::string op_type, std::vector<TensorPtr> inputs,
                    std::vector<TensorPtr> outputs, std::string name = "", std::string domain = "");
  void remove_node(Node* node);  // unhooks and destroys it

  // Whether `t` is a graph input, initializer or node output of this graph (not a subgraph's).
  bool defines(const Tensor* t) const;
  // Tensors defined here: inputs, initializers, node outputs. Not those of subgraphs.
  std::unordered_map<std::string, TensorPtr> tensor_map() const;
  // This graph's tensor of that name, else the nearest enclosing graph's; null if none.
  TensorPtr find_tensor(std::string_view tensor_name) const;
  Node* find_node(std::string_view node_name) const;
  // Everything that runs `node`: its inputs plus outer tensors its subgraphs read.
  std::vector<Tensor*> reads_of(const Node& node) const;
  // Tensors that this graph or its subgraphs read but that an enclosing graph defines.
  std::vector<Tensor*> outer_tensors() const;

  // Orders nodes so producers come first, keeping the current order where it is free.
  // Throws an Error naming the nodes on a cycle, and then moves nothing.
  void toposort(bool recurse_into_subgraphs = true);
  CleanupReport cleanup(const CleanupOptions& options = {});
  // Throws an Error naming the place of the first problem: a dangling input or output,
  // a tensor name defined twice, a cycle. Recurses into subgraphs.
  void check() const;

  // "graph 'main'" or "subgraph 'then_branch' of node 'If_3' (If)".
  std::string describe() const;
  // Total node count, subgraphs included.
  size_t node_count_recursive() const;

 private:
  friend class Node;
  std::vector<size_t> topological_order() const;  // throws on a cycle
  using NodeOrders = std::vector<std::pair<Graph*, std::vector<size_t>>>;
  void collect_orders(bool recurse_into_subgraphs, NodeOrders& orders);
  [[noreturn]] void throw_cycle(const std::vector<bool>& placed) const;
  void check_in_scope(std::unordered_set<const Tensor*> visible) const;

  Graph* parent_ = nullptr;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace graft
