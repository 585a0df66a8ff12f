#pragma once
// Differences between two models, for `graft diff`: nodes (matched by name, else by their
// output names) with their op, inputs, outputs and attributes; initializers (dtype, dims
// and the largest absolute difference of their values); graph inputs and outputs and their
// types; declared intermediate types (value_info); opsets; model fields and metadata;
// model-local functions; subgraphs, recursively. Node order is not a difference.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/model.h"

namespace graft {

struct FieldChange {
  std::string field;   // "attribute 'group'", "input 1", "type", "values", "version"
  std::string before;  // as text; "(none)" when absent
  std::string after;
};

struct Difference {
  enum class Change { kAdded, kRemoved, kChanged };
  std::string kind;  // "node", "initializer", "input", "output", "value_info", "opset",
                     // "metadata", "model", "function", "graph"
  Change change = Change::kChanged;
  std::string name;                    // "node 'conv1' (Conv)", "'w'", "com.example", "producer_name"
  std::string where;                   // "" for the main graph, else "subgraph 'then_branch' of node 'If_3' (If)"
  std::string detail;                  // added / removed: what it was ("x, w -> y", "float32[1, 3]")
  std::vector<FieldChange> fields;     // changed: what differs
  std::optional<double> max_abs_diff;  // changed initializer / tensor attribute values
};

std::string change_name(Difference::Change c);  // "added", "removed", "changed"
// One line: "~ node 'conv1' (Conv): attribute 'group': 1 -> 2; input 1: 'w' -> 'w2'".
std::string describe(const Difference& d);

struct DiffOptions {
  bool value_info = true;  // compare declared types of intermediates
  double tolerance = 0;    // initializer values this close (max abs diff) count as equal
  bool compare_doc_strings = false;
};

struct ModelDiff {
  std::vector<Difference> differences;
  size_t nodes_a = 0, nodes_b = 0;  // all nodes, subgraphs included
  size_t nodes_matched = 0;
  bool equal() const { return differences.empty(); }
};

ModelDiff diff_models(const Model& a, const Model& b, const DiffOptions& options = {});

}  // namespace graft
