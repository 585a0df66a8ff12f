#include "surgeon/node.h"

#include <algorithm>

#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft {
namespace {

// Throws unless `t` may become an output of `node`: it has no producer, or `node` is it.
void check_not_produced_elsewhere(const Node& node, const TensorPtr& t) {
  if (t && t->producer() && t->producer() != &node) {
    throw Error("cannot make tensor '" + t->name + "' an output of " + node.describe() +
                ": it is already produced by " + t->producer()->describe());
  }
}

}  // namespace

Node::Node(Graph* graph, std::string op_type, std::string name, std::string domain)
    : name(std::move(name)), op_type(std::move(op_type)), domain(std::move(domain)), graph_(graph) {}

Node::~Node() {
  for (size_t i = 0; i < inputs_.size(); ++i) unhook_input(i);
  for (size_t i = 0; i < outputs_.size(); ++i) {
    unhook_output(i);
    outputs_[i] = nullptr;  // so a tensor held in two slots is released by the last one
  }
}

void Node::unhook_input(size_t i) {
  if (!inputs_[i]) return;
  auto& users = inputs_[i]->consumers_;
  auto it = std::find(users.begin(), users.end(), this);
  if (it != users.end()) users.erase(it);
}

void Node::unhook_output(size_t i) {
  const TensorPtr& t = outputs_[i];
  if (!t || t->producer_ != this) return;
  for (size_t k = 0; k < outputs_.size(); ++k) {
    if (k != i && outputs_[k] == t) return;  // still produced here through another slot
  }
  t->producer_ = nullptr;
}

void Node::set_input(size_t i, TensorPtr t) {
  if (i >= inputs_.size()) inputs_.resize(i + 1);
  unhook_input(i);
  if (t) t->consumers_.push_back(this);
  inputs_[i] = std::move(t);
}

void Node::set_inputs(std::vector<TensorPtr> ts) {
  for (size_t i = 0; i < inputs_.size(); ++i) unhook_input(i);
  inputs_.clear();
  for (auto& t : ts) add_input(std::move(t));
}

void Node::set_output(size_t i, TensorPtr t) {
  check_not_produced_elsewhere(*this, t);
  if (i >= outputs_.size()) outputs_.resize(i + 1);
  unhook_output(i);
  if (t) t->producer_ = this;
  outputs_[i] = std::move(t);
}

void Node::set_outputs(std::vector<TensorPtr> ts) {
  // Check them all first, so a refused list leaves the node as it was.
  for (const TensorPtr& t : ts) check_not_produced_elsewhere(*this, t);
  for (size_t i = 0; i < outputs_.size(); ++i) {
    unhook_output(i);
    outputs_[i] = nullptr;
  }
  outputs_.clear();
  for (auto& t : ts) add_output(std::move(t));
}

const Attribute* Node::attr(std::string_view attr_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

Attribute* Node::attr(std::string_view attr_name) {
  return const_cast<Attribute*>(static_cast<const Node*>(this)->attr(attr_name));
}

void Node::set_attr(Attribute a) {
  if (Attribute* existing = attr(a.name)) {
    *existing = std::move(a);
  } else {
    attributes.push_back(std::move(a));
  }
}

bool Node::remove_attr(std::string_view attr_name) {
  auto it = std::find_if(attributes.begin(), attributes.end(),
                         [&](const Attribute& a) { return a.name == attr_name; });
  if (it == attributes.end()) return false;
  attributes.erase(it);
  return true;
}

std::vector<Graph*> Node::subgraphs() const {
  std::vector<Graph*> result;
  for (const Attribute& a : attributes) {
    if (a.g) result.push_back(a.g.get());
    for (const GraphPtr& g : a.graphs) result.push_back(g.get());
  }
  return result;
}

std::string describe_node(const std::string& name, const std::string& op_type, const std::string& domain,
                          const Tensor* first_output) {
  std::string who = name;
  if (who.empty()) who = first_output ? "<producing " + first_output->name + ">" : "<unnamed>";
  std::string op = domain.empty() || domain == "ai.onnx" ? op_type : domain + "::" + op_type;
  return "node '" + who + "' (" + op + ")";
}

std::string Node::describe() const { return describe_node(name, op_type, domain, output(0).get()); }

}  // namespace graft
