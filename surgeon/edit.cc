#include "surgeon/edit.h"

#include <algorithm>

#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft {
namespace {

bool within(const Graph* inner, const Graph& outer) {
  for (const Graph* g = inner; g; g = g->parent()) {
    if (g == &outer) return true;
  }
  return false;
}

// Every reader of `from` in `graph` and its subgraphs reads `to` instead.
std::vector<SlotChange> redirect_readers(const Graph& graph, const Tensor& from, const TensorPtr& to) {
  std::vector<SlotChange> slots;
  std::vector<const Node*> seen;
  for (Node* reader : from.consumers()) {
    if (!within(reader->graph(), graph) || std::count(seen.begin(), seen.end(), reader)) continue;
    seen.push_back(reader);
    for (size_t i = 0; i < reader->inputs().size(); ++i) {
      if (reader->input(i).get() == &from) slots.push_back({reader, i, to});
    }
  }
  return slots;
}

std::vector<TensorPtr> replaced(std::vector<TensorPtr> list, const Tensor& from, const TensorPtr& to) {
  for (TensorPtr& t : list) {
    if (t.get() == &from) t = to;
  }
  return list;
}

void require_visible(const Graph& graph, const TensorPtr& t) {
  if (!t) throw Error("a null tensor was given for an edit of " + graph.describe());
  if (graph.find_tensor(t->name) != t) throw Error("tensor '" + t->name + "' is not in " + graph.describe());
}

void require_member(const Graph& graph, const Node& node) {
  if (node.graph() != &graph) throw Error(node.describe() + " is not in " + graph.describe());
}

// Fills what the caller left out: a name, one fresh output, and `wired` among the inputs.
void complete(const Graph& graph, NodeSpec& spec, const TensorPtr& wired, const std::string& output_base) {
  if (spec.op_type.empty()) throw Error("a node to insert in " + graph.describe() + " has no op type");
  if (spec.name.empty()) spec.name = unique_node_name(graph, spec.op_type);
  if (spec.outputs.empty()) {
    spec.outputs.push_back(std::make_shared<Tensor>(unique_tensor_name(graph, output_base)));
  }
  if (wired && !holds(spec.inputs, wired.get())) spec.inputs.insert(spec.inputs.begin(), wired);
}

Node& add_one(Graph& graph, Change change) { return *apply_change(graph, std::move(change)).front(); }

void require_tensor_type(const Tensor& t, const std::string& action) {
  if (t.is_constant()) {
    throw Error("cannot " + action + " of tensor '" + t.name + "': it is a constant, whose values decide its type");
  }
  if (t.type.kind != ValueType::Kind::kNone && t.type.kind != ValueType::Kind::kEmpty && !t.type.is_tensor()) {
    throw Error("cannot " + action + " of tensor '" + t.name + "': its type " + t.type.str() + " is not a tensor type");
  }
}

// Keeps the type of an intermediate tensor in the file: graph inputs and outputs carry
// their own, the rest need a value_info entry, and lose it when the type is cleared.
void sync_value_info(Graph& graph, Tensor& t) {
  if (holds(graph.inputs, &t) || holds(graph.outputs, &t)) return;
  auto& vi = graph.value_info;
  auto it = std::find_if(vi.begin(), vi.end(), [&](const TensorPtr& p) { return p.get() == &t; });
  bool typed = t.type.kind != ValueType::Kind::kNone;
  if (typed && it == vi.end()) {
    vi.push_back(graph.find_tensor(t.name));  // callers checked that this is `t`
  } else if (!typed && it != vi.end()) {
    vi.erase(it);
  }
}

// The tensor type of `t` to edit, after the checks; a tensor without one gets an unknown one.
ValueType& tensor_type(Graph& graph, Tensor& t, const std::string& action) {
  require_tensor_type(t, action);
  if (graph.find_tensor(t.name).get() != &t) throw Error("tensor '" + t.name + "' is not in " + graph.describe());
  if (!t.type.is_tensor()) t.type = ValueType::tensor(DataType::kUndefined, Shape());
  return t.type;
}

bool is_initializer(const Graph& graph, const TensorPtr& t) {
  return holds(graph.initializers, t.get()) || holds(graph.sparse_initializers, t.get());
}

bool set_dim0(Tensor& t, const Dim& batch) {
  if (!t.type.is_tensor() || !t.type.shape.has_rank() || t.type.shape.rank() == 0) return false;
  t.type.shape[0] = batch;
  return true;
}

void require_opset_unused(const Graph& graph, const std::string& domain, const std::string& where) {
  NodeFilter users{.domain = domain, .recurse_into_subgraphs = true};
  std::vector<Node*> found = find_nodes(graph, users);
  if (!found.empty()) {
    throw Error("cannot remove the opset import of domain '" + domain + "': " + found.front()->describe() + " in " +
                where + " uses it");
  }
}

// Quantization annotations refer to tensors by name.
void rename_in_annotations(Graph& graph, const std::string& from, const std::string& to) {
  Graph* root = &graph;
  while (root->parent()) root = root->parent();
  for_each_graph(*root, [&](Graph& g) {
    for (QuantAnnotation& q : g.quantization_annotations) {
      if (q.tensor_name == from) q.tensor_name = to;
      for (auto& [key, value] : q.quant_parameter_tensor_names) {
        if (value == from) value = to;
      }
    }
  });
}

}  // namespace

Node& insert_after(Graph& graph, const TensorPtr& t, NodeSpec spec) {
  require_visible(graph, t);
  complete(graph, spec, t, t->name + "_" + spec.op_type);
  const TensorPtr out = spec.outputs.front();
  Change change{.node_inputs = redirect_readers(graph, *t, out), .graph_outputs = replaced(graph.outputs, *t, out)};
  change.add.push_back(std::move(spec));
  return add_one(graph, std::move(change));
}

Node& insert_before(Graph& graph, Node& consumer, size_t index, NodeSpec spec) {
  require_member(graph, consumer);
  const TensorPtr in = consumer.input(index);
  if (!in) throw Error(consumer.describe() + " has no input #" + std::to_string(index));
  complete(graph, spec, in, in->name + "_" + spec.op_type);
  Change change{.node_inputs = {{&consumer, index, spec.outputs.front()}}};
  change.add.push_back(std::move(spec));
  return add_one(graph, std::move(change));
}

Node& insert_before(Graph& graph, const TensorPtr& t, NodeSpec spec) {
  require_visible(graph, t);
  Node* producer = t->producer();
  if (!producer || producer->graph() != &graph) {
    throw Error("cannot insert a node before tensor '" + t->name + "': no node of " + graph.describe() +
                " produces it; use insert_after to add a node reading it");
  }
  auto before = std::make_shared<Tensor>(unique_tensor_name(graph, t->name + "_pre"), t->type);
  spec.inputs.insert(spec.inputs.begin(), before);
  spec.outputs = {t};
  complete(graph, spec, nullptr, "");
  const auto& outs = producer->outputs();
  size_t slot = std::find(outs.begin(), outs.end(), t) - outs.begin();
  Change change{.node_outputs = {{producer, slot, before}}};
  change.add.push_back(std::move(spec));
  return add_one(graph, std::move(change));
}

Node& replace_node(Graph& graph, Node& node, NodeSpec spec) {
  require_member(graph, node);
  if (spec.op_type.empty()) throw Error("the node to replace " + node.describe() + " with has no op type");
  if (spec.name.empty()) spec.name = node.name;
  if (spec.inputs.empty()) spec.inputs = node.inputs();
  if (spec.outputs.empty()) spec.outputs = node.outputs();
  Change change{.remove = {&node}};
  change.add.push_back(std::move(spec));
  return add_one(graph, std::move(change));
}

std::vector<Node*> replace_subgraph(Graph& graph, const std::vector<Node*>& nodes, std::vector<NodeSpec> replacement) {
  for (NodeSpec& spec : replacement) {
    if (spec.op_type.empty()) throw Error("a replacement node in " + graph.describe() + " has no op type");
  }
  return apply_change(graph, Change{.remove = nodes, .add = std::move(replacement)});
}

void remove_node(Graph& graph, Node& node) {
  require_member(graph, node);
  apply_change(graph, Change{.remove = {&node}});
}

void bypass_node(Graph& graph, Node& node, size_t input, size_t output) {
  require_member(graph, node);
  const TensorPtr in = node.input(input), out = node.output(output);
  if (!in) throw Error("cannot bypass " + node.describe() + ": it has no input #" + std::to_string(input));
  if (!out) throw Error("cannot bypass " + node.describe() + ": it has no output #" + std::to_string(output));
  Node* upstream = in->producer();
  bool take_over = holds(graph.outputs, out.get()) && upstream && upstream->graph() == &graph &&
                   in->consumers().size() == 1 && !holds(graph.outputs, in.get());
  Change change{.remove = {&node}};
  if (take_over) {
    const auto& outs = upstream->outputs();
    change.node_outputs = {{upstream, size_t(std::find(outs.begin(), outs.end(), in) - outs.begin()), out}};
  } else {
    change.node_inputs = redirect_readers(graph, *out, in);
    change.graph_outputs = replaced(graph.outputs, *out, in);
  }
  apply_change(graph, std::move(change));
}

void rename_node(Graph& graph, Node& node, const std::string& name) {
  require_member(graph, node);
  if (name == node.name) return;
  std::vector<Node*> holders = find_nodes(root_of(graph), {.name = name, .recurse_into_subgraphs = true});
  if (!name.empty() && !holders.empty()) {
    throw Error("cannot rename " + node.describe() + " to '" + name + "': " + holders.front()->describe() + " in " +
                holders.front()->graph()->describe() + " has that name");
  }
  node.name = name;
}

void rename_tensor(Graph& graph, const TensorPtr& t, const std::string& name) {
  require_visible(graph, t);
  if (name == t->name) return;
  if (name.empty()) throw Error("cannot rename tensor '" + t->name + "' to an empty name");
  if (const Graph* user = graph_using_tensor_name(graph, name)) {
    throw Error("cannot rename tensor '" + t->name + "' to '" + name + "': " + user->describe() +
                " has a tensor of that name");
  }
  rename_in_annotations(graph, t->name, name);
  t->name = name;
}

void set_inputs(Graph& graph, std::vector<TensorPtr> inputs) {
  apply_change(graph, Change{.graph_inputs = std::move(inputs)});
}

void set_outputs(Graph& graph, std::vector<TensorPtr> outputs) {
  apply_change(graph, Change{.graph_outputs = std::move(outputs)});
}

void add_output(Graph& graph, const TensorPtr& t) {
  require_visible(graph, t);
  if (holds(graph.outputs, t.get())) throw Error("tensor '" + t->name + "' is already an output of " + graph.describe());
  std::vector<TensorPtr> outputs = graph.outputs;
  outputs.push_back(t);
  set_outputs(graph, std::move(outputs));
}

void remove_output(Graph& graph, const TensorPtr& t) {
  if (!t || !holds(graph.outputs, t.get())) {
    std::vector<std::string> names;
    for (const TensorPtr& o : graph.outputs) names.push_back(o->name);
    throw Error((t ? "tensor '" + t->name + "'" : std::string("a null tensor")) + " is not an output of " +
                graph.describe() + closest_names_hint(t ? t->name : "", names));
  }
  std::vector<TensorPtr> outputs = graph.outputs;
  outputs.erase(std::find(outputs.begin(), outputs.end(), t));
  set_outputs(graph, std::move(outputs));
}

void set_type(Graph& graph, Tensor& t, DataType dtype, Shape shape) {
  ValueType& type = tensor_type(graph, t, "set the type");
  type.elem = dtype;
  type.shape = std::move(shape);
  sync_value_info(graph, t);
}

void set_dtype(Graph& graph, Tensor& t, DataType dtype) {
  tensor_type(graph, t, "set the dtype").elem = dtype;
  sync_value_info(graph, t);
}

void set_shape(Graph& graph, Tensor& t, Shape shape) {
  tensor_type(graph, t, "set the shape").shape = std::move(shape);
  sync_value_info(graph, t);
}

void set_dim(Graph& graph, Tensor& t, size_t axis, Dim dim) {
  require_tensor_type(t, "set a dim");
  const Shape& shape = t.type.shape;
  if (!t.type.is_tensor() || !shape.has_rank() || axis >= shape.rank()) {
    throw Error("cannot set dim " + std::to_string(axis) + " of tensor '" + t.name + "': its shape is " +
                shape.str() + (t.type.is_tensor() ? "" : " (no declared type)"));
  }
  tensor_type(graph, t, "set a dim").shape[axis] = std::move(dim);
  sync_value_info(graph, t);
}

void clear_type(Graph& graph, Tensor& t) {
  tensor_type(graph, t, "clear the type");
  t.type = ValueType{};
  sync_value_info(graph, t);
}

void clear_shape(Graph& graph, Tensor& t) {
  tensor_type(graph, t, "clear the shape").shape = Shape();
  sync_value_info(graph, t);
}

size_t set_batch(Graph& graph, const Dim& batch) {
  size_t changed = 0;
  for (const TensorPtr& t : graph.inputs) {
    if (!is_initializer(graph, t)) changed += set_dim0(*t, batch);
  }
  for (const TensorPtr& t : graph.outputs) {
    if (!holds(graph.inputs, t.get()) && !t->is_constant()) changed += set_dim0(*t, batch);
  }
  if (changed == 0) throw Error("cannot set the batch dim of " + graph.describe() + ": no graph input or output has a rank of 1 or more");
  for (const TensorPtr& t : graph.value_info) {
    if (t->type.is_tensor() && !holds(graph.inputs, t.get()) && !holds(graph.outputs, t.get())) {
      t->type.shape = Shape();
    }
  }
  return changed;
}

void set_attribute(Node& node, Attribute attribute) {
  if (attribute.name.empty()) throw Error("cannot set an attribute without a name on " + node.describe());
  if (attribute.g) attribute.g->set_parent(node.graph());
  for (const GraphPtr& g : attribute.graphs) g->set_parent(node.graph());
  node.set_attr(std::move(attribute));
}

void remove_attribute(Node& node, const std::string& name) {
  attribute_named(node, name);  // throws with the closest names
  node.remove_attr(name);
}

void set_opset(Model& model, const std::string& domain, int64_t version) {
  if (version <= 0) {
    throw Error("cannot import domain '" + domain + "' at opset " + std::to_string(version) + ": versions start at 1");
  }
  for (OpsetImport& o : model.opset_imports) {
    if (same_domain(o.domain, domain)) {
      o.version = version;
      return;
    }
  }
  model.opset_imports.push_back({domain, version});
}

void remove_opset(Model& model, const std::string& domain) {
  auto& imports = model.opset_imports;
  auto it = std::find_if(imports.begin(), imports.end(), [&](const OpsetImport& o) { return same_domain(o.domain, domain); });
  if (it == imports.end()) throw Error("the model imports no opset of domain '" + domain + "'");
  require_opset_unused(*model.graph, domain, model.graph->describe());
  for (const Function& f : model.functions) require_opset_unused(*f.body, domain, "function '" + f.name + "'");
  imports.erase(it);
}

}  // namespace graft
