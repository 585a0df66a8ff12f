#pragma once
// The dims of every tensor of a flat graph for one set of input dims, and the values of
// the small tensors the host computes itself (shape tensors: Shape -> Gather -> Concat
// chains that feed Reshape, Slice, Expand, ...). The GPU engine calls this whenever the
// input shapes change; layers then get concrete dims and those host values in prepare().
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "surgeon/model.h"

namespace graft::engine {

struct RunShapes {
  std::unordered_map<const Tensor*, cpu::Dims> dims;
  std::unordered_map<const Tensor*, DataType> dtypes;               // the model's dtypes
  std::unordered_map<const Tensor*, cpu::HostTensor> host_values;   // outputs of host nodes
};

// Host nodes: Shape, Size and Constant, and nodes of small integer or bool results
// (rank <= 1) whose inputs all are constants or host values. They run on the host per
// shape set.
std::unordered_set<const Node*> find_host_nodes(const Model& model);

// `constants` holds the model's constants as host tensors (made once by the caller).
// Throws an Error naming the node when a shape function fails or leaves an output's dims
// unknown, or naming the input when `inputs` lacks one or has the wrong rank.
RunShapes compute_run_shapes(const Model& model, const std::map<std::string, cpu::Dims>& inputs,
                             const std::unordered_set<const Node*>& host_nodes,
                             const std::unordered_map<const Tensor*, cpu::HostTensor>& constants);

}  // namespace graft::engine
