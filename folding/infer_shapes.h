#pragma once
// Graph-level type and shape inference: runs each node's shape function (ops/) in
// topological order, subgraphs included, and writes what it learns back into the IR
// (tensor types, and value_info entries so other tools see them). Symbolic dims flow
// through ("batch", "2*seq"); user overrides fix input shapes first.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "surgeon/model.h"

namespace graft::folding {

struct ShapeInferenceOptions {
  std::map<std::string, Shape> input_shapes;  // graph input name -> shape (dims fixed or symbolic)
  std::optional<int64_t> batch;               // dim 0 of every graph input of rank >= 1
  bool write_value_info = true;               // add value_info entries for inferred intermediates
};

struct ShapeInferenceReport {
  size_t values = 0;          // node outputs seen, subgraphs included
  size_t static_shapes = 0;   // ... with every dim fixed
  size_t symbolic_shapes = 0; // ... with a known rank and some dim symbolic or unknown
  size_t unknown = 0;         // ... of unknown type or rank
  std::map<std::string, size_t> ops_without_shape_fn;  // "Op" or "domain.Op" -> node count
  std::vector<std::string> warnings;  // declared types that disagree with the inferred ones
};

// A value inference knows in full: a small integer or bool tensor computed from shapes
// (Shape -> Gather -> Concat chains), every element fixed. Row-major values.
struct KnownValue {
  DataType dtype = DataType::kInt64;
  std::vector<int64_t> dims;
  std::vector<int64_t> values;
};
using KnownValues = std::unordered_map<const Tensor*, KnownValue>;

// Throws an Error naming the node and the shapes when a node's inputs contradict its op
// (a MatMul inner-dimension mismatch, a Reshape to an impossible size), or when an
// override names no graph input. The model may be partly updated when it throws.
// `known`, when given, receives the node outputs whose values inference knows in full.
ShapeInferenceReport infer_shapes(Model& model, const ShapeInferenceOptions& options = {},
                                  KnownValues* known = nullptr);

// Parses "x:1x3x224x224,mask:batchx128" (dims fixed or symbolic, "?" unknown); errors name
// the flag value.
std::map<std::string, Shape> parse_input_shapes(const std::string& text);

}  // namespace graft::folding
