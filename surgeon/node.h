#pragma once
// A node: one ONNX op with its attributes, reading and writing shared Tensors. Setting
// inputs and outputs through Node keeps each tensor's producer and consumers right.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "surgeon/attribute.h"
#include "surgeon/tensor.h"

namespace graft {

class Graph;

// "node 'conv1' (Conv)", "node '<producing y>' (com.microsoft::Attention)": how a node is
// named in messages, also for nodes not created yet.
std::string describe_node(const std::string& name, const std::string& op_type, const std::string& domain,
                          const Tensor* first_output);

class Node {
 public:
  Node(Graph* graph, std::string op_type, std::string name = "", std::string domain = "");
  ~Node();  // unhooks itself from its tensors
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  std::string name;
  std::string op_type;
  std::string domain;  // "" and "ai.onnx" are both the default domain, kept as written
  std::string doc_string;
  std::string unknown_fields;
  std::vector<Attribute> attributes;  // in file order

  Graph* graph() const { return graph_; }

  // A null entry is an omitted optional input or output (ONNX's empty name).
  const std::vector<TensorPtr>& inputs() const { return inputs_; }
  const std::vector<TensorPtr>& outputs() const { return outputs_; }
  TensorPtr input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  TensorPtr output(size_t i) const { return i < outputs_.size() ? outputs_[i] : nullptr; }
  void set_input(size_t i, TensorPtr t);  // grows the list with nulls as needed
  void add_input(TensorPtr t) { set_input(inputs_.size(), std::move(t)); }
  void set_inputs(std::vector<TensorPtr> ts);
  // Throws if `t` already has another producer.
  void set_output(size_t i, TensorPtr t);
  void add_output(TensorPtr t) { set_output(outputs_.size(), std::move(t)); }
  void set_outputs(std::vector<TensorPtr> ts);

  const Attribute* attr(std::string_view attr_name) const;
  Attribute* attr(std::string_view attr_name);
  void set_attr(Attribute a);  // replaces the attribute of the same name, or appends
  bool remove_attr(std::string_view attr_name);

  // Graph-valued attributes (If branches, Loop/Scan bodies), in attribute order.
  std::vector<Graph*> subgraphs() const;
  // "node 'conv1' (Conv)"; unnamed nodes show their first output.
  std::string describe() const;

 private:
  void unhook_input(size_t i);
  void unhook_output(size_t i);

  Graph* graph_;
  std::vector<TensorPtr> inputs_;
  std::vector<TensorPtr> outputs_;
};

}  // namespace graft
