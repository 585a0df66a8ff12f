#pragma once
// Deep copies of graphs and models: new Graph, Node and Tensor objects with the same
// names, links, attributes and subgraphs. Constant values (TensorData) are shared, not
// copied: the IR treats them as immutable (replace `Tensor::data` rather than writing into it).
#include <memory>
#include <unordered_map>

#include "surgeon/graph.h"
#include "surgeon/model.h"

namespace graft {

// Original tensor -> its copy, for every tensor the copy owns.
using TensorCopies = std::unordered_map<const Tensor*, TensorPtr>;

// A copy of `graph` whose parent is `parent`. Tensors that `graph` reads from enclosing
// graphs stay the original objects unless `copies` already maps them (as it does for the
// copy of an enclosing graph). `copies`, when given, receives the tensors copied here.
std::shared_ptr<Graph> clone(const Graph& graph, Graph* parent = nullptr, TensorCopies* copies = nullptr);

Model clone(const Model& model);

}  // namespace graft
