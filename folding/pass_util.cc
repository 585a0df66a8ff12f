#include "folding/pass_util.h"

#include <algorithm>
#include <cstring>

#include "surgeon/change.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft::folding {
namespace {

bool contains(const std::vector<const Node*>& nodes, const Node* n) {
  return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
}

// Whether a subgraph below `graph` names `t` among its outputs (an outer value passed
// straight through): such a read has no consumer link.
bool subgraph_outputs(const Graph& graph, const Tensor* t) {
  for (const auto& node : graph.nodes()) {
    for (const Graph* sub : node->subgraphs()) {
      if (holds(sub->outputs, t) || subgraph_outputs(*sub, t)) return true;
    }
  }
  return false;
}

// Every input slot of a node outside `except` (subgraphs included) that reads `from`.
std::vector<SlotChange> readers_to(const Tensor& from, const TensorPtr& to, const std::vector<const Node*>& except) {
  std::vector<SlotChange> slots;
  std::vector<const Node*> seen;
  for (Node* reader : from.consumers()) {
    if (contains(except, reader) || contains(seen, reader)) continue;
    seen.push_back(reader);
    for (size_t i = 0; i < reader->inputs().size(); ++i) {
      if (reader->input(i).get() == &from) slots.push_back({reader, i, to});
    }
  }
  return slots;
}

}  // namespace

bool is_onnx_op(const Node& node, const char* op_type) {
  return node.op_type == op_type && is_default_domain(node.domain);
}

int64_t onnx_opset(const Model& model) { return model.opset(""); }

bool is_graph_output(const Graph& graph, const Tensor* t) { return holds(graph.outputs, t); }

bool is_passed_out(const Graph& graph, const Tensor* t) {
  return is_graph_output(graph, t) || subgraph_outputs(graph, t);
}

void forget_value_info(Graph& graph, const Tensor* t) {
  auto& vi = graph.value_info;
  vi.erase(std::remove_if(vi.begin(), vi.end(), [&](const TensorPtr& v) { return v.get() == t; }), vi.end());
}

bool read_only_by(const Graph& graph, const Tensor& t, const std::vector<const Node*>& readers) {
  if (is_graph_output(graph, &t) || subgraph_outputs(graph, &t)) return false;
  return std::all_of(t.consumers().begin(), t.consumers().end(), [&](const Node* c) { return contains(readers, c); });
}

std::optional<std::vector<int64_t>> constant_ints(const Graph& graph, const TensorPtr& t) {
  if (!t) return std::nullopt;
  TensorDataPtr data = constant_value(graph, *t);
  if (!data) return std::nullopt;
  std::optional<int64_t> n = data->num_elements();
  const size_t width = data->dtype == DataType::kInt64 ? 8 : data->dtype == DataType::kInt32 ? 4 : 0;
  if (!n || !width || data->bytes.size() != static_cast<size_t>(*n) * width) return std::nullopt;
  std::vector<int64_t> values(static_cast<size_t>(*n));
  for (size_t i = 0; i < values.size(); ++i) values[i] = width == 8 ? data->at<int64_t>(i) : data->at<int32_t>(i);
  return values;
}

std::optional<std::vector<int64_t>> ints_attr(const Node& node, const char* name) {
  const Attribute* a = node.attr(name);
  if (!a) return std::nullopt;
  return a->ints;
}

TensorPtr add_int64_initializer(Graph& graph, const std::string& base, const std::vector<int64_t>& values) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kInt64;
  data->dims = {static_cast<int64_t>(values.size())};
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(int64_t));
  data->name = unique_tensor_name(graph, base);
  TensorPtr t = Tensor::constant(data->name, data);
  t->type = ValueType::tensor(DataType::kInt64, Shape::of(data->dims));
  graph.initializers.push_back(t);
  return t;
}

std::string forward_value(Graph& graph, const std::vector<Node*>& nodes, const TensorPtr& out, const TensorPtr& in) {
  const std::vector<const Node*> removed(nodes.begin(), nodes.end());
  for (const Node* n : nodes) {
    for (const TensorPtr& o : n->outputs()) {
      if (o && o != out && !read_only_by(graph, *o, removed)) {
        return "its output '" + o->name + "' is read by other nodes or is a graph output";
      }
    }
  }
  if (contains(removed, in->producer())) return "internal: the forwarded value is produced by a removed node";
  if (subgraph_outputs(graph, out.get())) return "its output '" + out->name + "' is a subgraph's output";
  Change change{.remove = nodes};
  std::vector<TensorPtr> touched;  // tensors that may stop being defined here
  for (const Node* n : nodes) touched.insert(touched.end(), n->outputs().begin(), n->outputs().end());
  if (!is_graph_output(graph, out.get())) {
    change.node_inputs = readers_to(*out, in, removed);
  } else {
    // Keep the graph output's name: the node producing `in` writes `out` instead.
    Node* producer = in->producer();
    if (!producer || producer->graph() != &graph) {
      return "its output '" + out->name + "' is a graph output and its value '" + in->name +
             "' is a graph input, constant or outer value, so the output would lose its name";
    }
    if (is_graph_output(graph, in.get()) || subgraph_outputs(graph, in.get())) {
      return "its output '" + out->name + "' and its value '" + in->name + "' are both graph outputs";
    }
    const auto& outs = producer->outputs();
    const size_t slot = static_cast<size_t>(std::find(outs.begin(), outs.end(), in) - outs.begin());
    change.node_outputs = {{producer, slot, out}};
    change.node_inputs = readers_to(*in, out, removed);
    touched.push_back(in);
  }
  try {
    apply_change(graph, std::move(change));
  } catch (const Error& e) {
    return e.what();
  }
  for (const TensorPtr& t : touched) {
    if (t && !graph.defines(t.get())) forget_value_info(graph, t.get());
  }
  return "";
}

}  // namespace graft::folding
