#pragma once
// Types for graph inputs and outputs that a surgery left without one (a cut input, a new
// output read from an intermediate): shape inference (folding/infer_shapes.h) runs on a
// copy of a model that computes them, and the types it finds are copied over by name.
#include <string>
#include <vector>

#include "surgeon/model.h"

namespace graft::tools {

struct IoTyping {
  std::vector<std::string> typed;    // "input 'a': float32[1, 16, 24, 96]"
  std::vector<std::string> untyped;  // "input 'a'": inference did not find a tensor type
  std::string inference_error;       // when inference stopped with an error
};

// For each main-graph input and output of `target` with no tensor type (or no element
// type), the type that shape inference gives the tensor of that name in `source` (a model
// computing it: the model before the cut, or `target` itself). Inference runs on a copy
// of `source`; only those inputs and outputs of `target` change. Does nothing (and runs no
// inference) when every input and output is typed.
IoTyping type_missing_io(Model& target, const Model& source);

}  // namespace graft::tools
