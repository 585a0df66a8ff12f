#pragma once
// A node attribute, shaped like ONNX's AttributeProto: a type tag and the field it selects.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "surgeon/tensor_data.h"
#include "surgeon/type.h"

namespace graft {

class Graph;
using GraphPtr = std::shared_ptr<Graph>;

// Values are ONNX's AttributeProto.AttributeType codes.
enum class AttrType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kInt = 2,
  kString = 3,
  kTensor = 4,
  kGraph = 5,
  kFloats = 6,
  kInts = 7,
  kStrings = 8,
  kTensors = 9,
  kGraphs = 10,
  kSparseTensor = 11,
  kSparseTensors = 12,
  kTypeProto = 13,
  kTypeProtos = 14,
};

std::string attr_type_name(AttrType t);  // "int", "floats", "graph", ...

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  TensorDataPtr t;
  GraphPtr g;
  SparseTensorDataPtr sparse_tensor;
  ValueType tp;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<TensorDataPtr> tensors;
  std::vector<GraphPtr> graphs;
  std::vector<SparseTensorDataPtr> sparse_tensors;
  std::vector<ValueType> type_protos;
  std::string ref_attr_name;  // inside functions: takes the caller's attribute of this name
  std::string doc_string;
  std::string unknown_fields;

  static Attribute of_int(std::string name, int64_t v);
  static Attribute of_float(std::string name, float v);
  static Attribute of_string(std::string name, std::string v);
  static Attribute of_ints(std::string name, std::vector<int64_t> v);
  static Attribute of_floats(std::string name, std::vector<float> v);
  static Attribute of_graph(std::string name, GraphPtr g);
  static Attribute of_tensor(std::string name, TensorDataPtr t);

  // Short rendering for listings: "3", "[1, 1]", "'NOTSET'", "<graph 'then_branch': 4 nodes>".
  std::string value_str(size_t max_items = 8) const;
};

}  // namespace graft
