#pragma once
// A tensor is a shared object: nodes point to it, it knows its producer and consumers
// (as in onnx-graphsurgeon). A Variable has a name and maybe a type; a Constant also
// holds its values. Producer/consumer links are kept by Node; they cannot be set here.
#include <memory>
#include <string>
#include <vector>

#include "surgeon/tensor_data.h"
#include "surgeon/type.h"

namespace graft {

class Node;
class Tensor;
using TensorPtr = std::shared_ptr<Tensor>;

class Tensor {
 public:
  explicit Tensor(std::string name, ValueType type = {}) : name(std::move(name)), type(std::move(type)) {}
  static TensorPtr variable(std::string name, DataType dtype, Shape shape);
  static TensorPtr constant(std::string name, TensorDataPtr data);

  std::string name;
  ValueType type;                 // from value_info / graph input or output; kNone when unknown
  TensorDataPtr data;             // the values of a constant (initializer)
  SparseTensorDataPtr sparse;     // the values of a sparse initializer
  std::string doc_string;         // of its ValueInfoProto
  std::string value_info_unknown; // its ValueInfoProto's fields newer than graft's schema

  bool is_constant() const { return data || sparse; }
  // For constants the values decide; otherwise the declared type.
  DataType dtype() const;
  Shape shape() const;

  Node* producer() const { return producer_; }
  // One entry per use: a node reading this tensor twice appears twice.
  const std::vector<Node*>& consumers() const { return consumers_; }

 private:
  friend class Node;
  Node* producer_ = nullptr;
  std::vector<Node*> consumers_;
};

}  // namespace graft
