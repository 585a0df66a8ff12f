#pragma once
// Small helpers the simplification passes share: reading constant integer lists, asking who
// reads a tensor, and taking nodes out of a graph so their readers read an equal tensor.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/graph.h"
#include "surgeon/model.h"

namespace graft::folding {

// Whether `node` is `op_type` of the default ONNX domain ("" or "ai.onnx").
bool is_onnx_op(const Node& node, const char* op_type);

// The default-domain opset a node of `graph` runs under (0 when the model imports none).
int64_t onnx_opset(const Model& model);

bool is_graph_output(const Graph& graph, const Tensor* t);
// Whether `t` is an output of `graph` or of a subgraph below it (which may pass an outer
// value out as it is): its name is needed, and no consumer link shows that read.
bool is_passed_out(const Graph& graph, const Tensor* t);

// Whether every reader of `t` (nodes of `graph` and of its subgraphs, and the graph
// outputs) is one of `readers`: those nodes may be removed without losing `t`.
bool read_only_by(const Graph& graph, const Tensor& t, const std::vector<const Node*>& readers);

// The values of an int32 or int64 constant (see surgeon constant_value), any shape.
std::optional<std::vector<int64_t>> constant_ints(const Graph& graph, const TensorPtr& t);

// The ints of attribute `name`, or nullopt when the node lacks it.
std::optional<std::vector<int64_t>> ints_attr(const Node& node, const char* name);

// An int64 initializer of `graph` holding `values` as a 1-D tensor, under a fresh name
// derived from `base`.
TensorPtr add_int64_initializer(Graph& graph, const std::string& base, const std::vector<int64_t>& values);

// Drops `t`'s value_info entry from `graph` (after `t` stopped being defined there).
void forget_value_info(Graph& graph, const Tensor* t);

// Removes `nodes` (all of `graph`), whose result `out` equals `in`, so that the readers of
// `out` read `in`. The nodes' other outputs must be unread outside `nodes`. When `out` is
// an output of `graph`, its name stays: `in`'s producer (a node of `graph`) is made to write
// `out`, and `in`'s other readers read `out`. Returns "" on success, else why it refused
// (the graph is then unchanged): a graph output whose value is a graph input, initializer,
// outer value or another graph output cannot be kept under its name without a node.
std::string forward_value(Graph& graph, const std::vector<Node*>& nodes, const TensorPtr& out, const TensorPtr& in);

}  // namespace graft::folding
