#pragma once
// Editing a graph the way onnx-graphsurgeon users do, in C++: insert, replace, remove and
// rename nodes and tensors, change graph inputs and outputs, types and shapes, attributes
// and opset imports. Every edit is all-or-nothing: it checks the whole result first (see
// change.h) and throws an Error naming the node or tensor at fault, leaving the graph as
// it was. To find what to edit by name, with suggestions on a typo, see find.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "surgeon/change.h"
#include "surgeon/graph.h"
#include "surgeon/model.h"

namespace graft {

// ---- Inserting nodes. An empty spec.name gets a unique name from the op type; empty
// spec.outputs get one fresh tensor with a unique name.

// A node reading `t` (as input 0 unless spec.inputs lists it) whose first output replaces
// `t` for every reader in `graph` and its subgraphs, and among the graph outputs.
// The fresh output is named "<t>_<op>".
Node& insert_after(Graph& graph, const TensorPtr& t, NodeSpec spec);

// A node between `consumer` and its input `index`: it reads that tensor (as input 0 unless
// spec.inputs lists it) and `consumer` reads its first output instead. Other readers of the
// tensor are not touched.
Node& insert_before(Graph& graph, Node& consumer, size_t index, NodeSpec spec);

// A node that takes over producing `t`, so `t` keeps its name, readers and graph-output
// place; what `t`'s producer made goes to a fresh tensor "<t>_pre" (with `t`'s declared
// type), which the new node reads as input 0, followed by spec.inputs. `t` must be produced
// by a node of `graph` (to put a node after a graph input, use insert_after).
Node& insert_before(Graph& graph, const TensorPtr& t, NodeSpec spec);

// ---- Replacing and removing

// A new node in place of `node`, with its inputs, outputs and name unless the spec gives them.
Node& replace_node(Graph& graph, Node& node, NodeSpec spec);

// Removes `nodes` and adds `replacement` (in order, where `nodes` were). Every tensor the
// removed nodes produced that is still read, or is a graph output, must be produced by a
// replacement node.
std::vector<Node*> replace_subgraph(Graph& graph, const std::vector<Node*>& nodes, std::vector<NodeSpec> replacement);

// Removes a node whose outputs nothing reads.
void remove_node(Graph& graph, Node& node);

// Removes `node` and reconnects around it: readers of its output `output` read its input
// `input` instead (Identity, Dropout, a no-op Cast). Its other outputs must be unread. When
// the output is a graph output and the input is used only by `node`, the input's producer
// takes the output over, so the graph output keeps its name.
void bypass_node(Graph& graph, Node& node, size_t input = 0, size_t output = 0);

// ---- Renaming: refused when the name is taken anywhere in the model tree.

void rename_node(Graph& graph, Node& node, const std::string& name);
void rename_tensor(Graph& graph, const TensorPtr& t, const std::string& name);

// ---- Graph inputs and outputs (cutting at tensors is in extract.h)

void set_inputs(Graph& graph, std::vector<TensorPtr> inputs);
void set_outputs(Graph& graph, std::vector<TensorPtr> outputs);
// Promotes a tensor of the graph (an intermediate, an initializer...) to a graph output.
void add_output(Graph& graph, const TensorPtr& t);
void remove_output(Graph& graph, const TensorPtr& t);

// ---- Types and shapes. Refused for constants, whose values decide their type. A tensor
// that is not a graph input or output gets (or loses) its value_info entry as needed.

void set_type(Graph& graph, Tensor& t, DataType dtype, Shape shape);
void set_dtype(Graph& graph, Tensor& t, DataType dtype);
void set_shape(Graph& graph, Tensor& t, Shape shape);
// Makes one dim fixed (Dim::fixed(8)), symbolic (Dim::symbolic("batch")) or unknown.
void set_dim(Graph& graph, Tensor& t, size_t axis, Dim dim);
void clear_type(Graph& graph, Tensor& t);
void clear_shape(Graph& graph, Tensor& t);

// Sets dim 0 of every graph input (not initializers) and output of rank >= 1, and clears the
// shapes declared for intermediate tensors (value_info): they were derived from the old
// batch, and shape inference derives them again. Returns how many inputs and outputs changed.
size_t set_batch(Graph& graph, const Dim& batch);

// ---- Attributes. set_attribute replaces the attribute of that name or appends it; a
// graph-valued attribute's subgraphs get the node's graph as their parent.

void set_attribute(Node& node, Attribute attribute);
// Throws an Error naming the node and its closest attribute names when there is none.
void remove_attribute(Node& node, const std::string& name);

// ---- Opset imports

// Adds the import or changes its version ("" and "ai.onnx" are the same domain).
void set_opset(Model& model, const std::string& domain, int64_t version);
// Refused while a node of the model (its functions included) uses the domain.
void remove_opset(Model& model, const std::string& domain);

}  // namespace graft
