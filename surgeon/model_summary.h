#pragma once
// What `graft inspect` reports about a model, computed once from the IR so the CLI, the
// JSON output and library users all see the same numbers.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "surgeon/model.h"

namespace graft {

struct ValueSummary {
  std::string name;
  std::string type;  // "float32[batch, 3, 224, 224]"
};

struct SubgraphSummary {
  std::string owner;      // "node 'If_3' (If)"
  std::string attribute;  // "then_branch"
  int depth = 1;          // 1 for subgraphs of the main graph
  size_t nodes = 0;       // recursive
};

struct ModelSummary {
  int64_t ir_version = 0;
  std::string producer;  // "pytorch 2.1.0"
  std::vector<OpsetImport> opsets;
  std::string graph_name;
  std::vector<ValueSummary> inputs, outputs;  // graph inputs exclude initializers (IR < 4 style)
  size_t nodes = 0;                 // main graph
  size_t nodes_in_subgraphs = 0;
  std::map<std::string, size_t> op_histogram;  // "Conv" or "com.microsoft::Attention" -> count, all graphs
  size_t initializers = 0;          // main graph and subgraphs
  uint64_t parameters = 0;          // elements in initializers and Constant nodes
  uint64_t parameter_bytes = 0;
  uint64_t external_bytes = 0;      // of those, stored in external files
  std::vector<SubgraphSummary> subgraphs;
  std::vector<std::string> functions;  // "com.example::ScaleAdd (3 nodes)"
  KeyValues metadata;
};

ModelSummary summarize(const Model& model);

}  // namespace graft
