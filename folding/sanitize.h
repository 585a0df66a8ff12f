#pragma once
// The whole repair job behind `graft sanitize`: shape inference, then the pass pipeline to
// a fixpoint, then a check of the result; reports nodes before/after by op, what each pass
// did and what still stands in the way of an engine (unknown shapes, ops without kernels).
#include <map>
#include <string>
#include <vector>

#include "folding/pass.h"

namespace graft::folding {

struct SanitizeOptions {
  PassOptions passes;
  std::vector<std::string> pass_names;  // empty: default_pipeline()
  size_t max_rounds = 8;
};

struct SanitizeReport {
  std::map<std::string, size_t> ops_before, ops_after;  // node counts by op, subgraphs included
  size_t nodes_before = 0, nodes_after = 0;
  PassManagerReport passes;
  std::vector<std::string> unknown_shapes;               // node outputs still without a full shape
  std::map<std::string, size_t> ops_without_kernel;      // "Op" / "domain.Op" -> nodes
};

// Changes `model` in place. Throws an Error naming the node and shapes on a contradiction
// (the model is then partly changed: callers write nothing).
SanitizeReport sanitize(Model& model, const SanitizeOptions& options = {});

// Node counts by op ("Conv", "com.microsoft.FusedConv"), subgraphs included.
std::map<std::string, size_t> op_histogram(const Graph& g);

}  // namespace graft::folding
