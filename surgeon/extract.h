#pragma once
// Cutting a graph at tensors: keeping the part that computes given outputs from given
// inputs, with the initializers (and, in subgraphs, the outer tensors) it reads. New
// inputs and outputs keep the types their tensors were declared with (value_info).
#include <memory>
#include <string>
#include <vector>

#include "surgeon/graph.h"
#include "surgeon/model.h"

namespace graft {

// Makes `inputs` the graph inputs and `outputs` the graph outputs, and removes the nodes,
// initializers and value_info that computing the outputs from the inputs does not need.
// A node kept for another reason loses the outputs that became inputs. Refused, leaving the
// graph unchanged, when an output needs a graph input that is not among `inputs`.
void cut(Graph& graph, const std::vector<TensorPtr>& inputs, const std::vector<TensorPtr>& outputs);

// A cut copy of `graph`; `graph` is unchanged. A subgraph's copy keeps its parent, so it
// still reads the outer tensors it needs. Unknown names are errors naming the closest ones.
std::shared_ptr<Graph> extract(const Graph& graph, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs);
// The same for a model's main graph; opset imports, functions and metadata are kept.
Model extract(const Model& model, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);

}  // namespace graft
