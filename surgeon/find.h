#pragma once
// Queries over a graph: nodes and tensors by name, op, domain, regex or predicate; lookups
// that fail with the closest existing names; fresh unique names; constant values.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "surgeon/graph.h"

namespace graft {

// Empty fields match anything. Regexes are ECMAScript and must match the whole name.
struct NodeFilter {
  std::string name;
  std::string name_regex;
  std::string op_type;
  std::optional<std::string> domain;  // "" and "ai.onnx" are the same domain
  std::function<bool(const Node&)> predicate;
  bool recurse_into_subgraphs = false;
};

struct TensorFilter {
  std::string name;
  std::string name_regex;
  std::function<bool(const Tensor&)> predicate;
  bool recurse_into_subgraphs = false;
};

// In node order; with recursion a node's subgraphs follow it.
std::vector<Node*> find_nodes(const Graph& graph, const NodeFilter& filter);
std::vector<TensorPtr> find_tensors(const Graph& graph, const TensorFilter& filter);

// Every tensor the graph defines, once each: inputs, initializers, sparse initializers,
// then node outputs in node order.
std::vector<TensorPtr> defined_tensors(const Graph& graph);

// The node of that name in `graph` (not its subgraphs). Throws an Error naming the closest
// node names, or the subgraph that holds a node of that name.
Node& node_named(const Graph& graph, std::string_view name);
// The tensor of that name visible from `graph` (its own, then enclosing graphs'). Throws
// an Error naming the closest tensor names.
TensorPtr tensor_named(const Graph& graph, std::string_view name);
// Throws an Error naming the node and its closest attribute names.
Attribute& attribute_named(Node& node, std::string_view name);

// Levenshtein distance (insertions, deletions, substitutions of bytes).
size_t edit_distance(std::string_view a, std::string_view b);
// Up to `max_count` candidates near `name`, nearest first (ties by name): those within an
// edit distance of a third of the name's length, ignoring case, or containing it or
// contained in it.
std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       size_t max_count = 3);

// "; closest: 'a', 'b'" for an error message, or "" when no name is near.
std::string closest_names_hint(std::string_view name, const std::vector<std::string>& candidates);

// The outermost graph enclosing `graph` (itself for a main graph).
const Graph& root_of(const Graph& graph);
// Calls `visit` on `graph` and every subgraph below it, parents before children.
// GraphT is Graph or const Graph.
template <typename GraphT, typename Visit>
void for_each_graph(GraphT& graph, const Visit& visit) {
  visit(graph);
  for (const auto& node : graph.nodes()) {
    for (Graph* sub : node->subgraphs()) for_each_graph(static_cast<GraphT&>(*sub), visit);
  }
}

// Names unused anywhere in the model tree that holds `graph` (all enclosing graphs and
// all subgraphs): `base` itself if free, else base_1, base_2, ...
std::string unique_tensor_name(const Graph& graph, const std::string& base);
// The first graph of that tree (parents first) that defines, reads or outputs a tensor of
// that name; null if none.
const Graph* graph_using_tensor_name(const Graph& graph, const std::string& name);
std::string unique_node_name(const Graph& graph, const std::string& base);

bool is_default_domain(std::string_view domain);
// Equal, or both the default domain.
bool same_domain(std::string_view a, std::string_view b);

// Whether `list` (graph inputs, outputs, initializers...) holds `t`.
bool holds(const std::vector<TensorPtr>& list, const Tensor* t);

// The values of `t` if nothing can change them at run time: an initializer that is not
// also a graph input, or the output of a Constant node (value, value_float(s), value_int(s)).
// Null otherwise.
TensorDataPtr constant_value(const Graph& graph, const Tensor& t);

}  // namespace graft
