#pragma once
// Shapes with symbolic dims, and the full ONNX value type (tensor, sparse tensor,
// sequence, map, optional, opaque) as graph inputs, outputs and value_info carry it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/dtype.h"

namespace graft {

// One dimension: a fixed size, a named symbol ("batch"), or unknown.
struct Dim {
  enum class Kind : uint8_t { kUnknown, kValue, kParam };
  Kind kind = Kind::kUnknown;
  int64_t value = 0;       // kValue
  std::string param;       // kParam
  std::string denotation;  // ONNX dimension denotation ("DATA_BATCH"), kept as is

  static Dim fixed(int64_t v) { return Dim{Kind::kValue, v, {}, {}}; }
  static Dim symbolic(std::string name) { return Dim{Kind::kParam, 0, std::move(name), {}}; }
  static Dim unknown() { return Dim{}; }
  bool is_fixed() const { return kind == Kind::kValue; }
  bool is_symbolic() const { return kind == Kind::kParam; }
  std::string str() const;  // "3", "batch" or "?"
  bool operator==(const Dim&) const = default;
};

// A tensor shape; the rank itself may be unknown.
class Shape {
 public:
  Shape() = default;  // unknown rank
  explicit Shape(std::vector<Dim> dims) : known_rank_(true), dims_(std::move(dims)) {}
  static Shape of(const std::vector<int64_t>& sizes);
  static Shape scalar() { return Shape(std::vector<Dim>{}); }

  bool has_rank() const { return known_rank_; }
  size_t rank() const { return dims_.size(); }
  const std::vector<Dim>& dims() const { return dims_; }
  std::vector<Dim>& dims() { return dims_; }
  const Dim& operator[](size_t i) const { return dims_[i]; }
  Dim& operator[](size_t i) { return dims_[i]; }
  bool is_static() const;
  // Product of the dims when static; std::nullopt otherwise or on overflow.
  std::optional<int64_t> num_elements() const;
  std::string str() const;  // "[batch, 3, 224, 224]", "[]" for a scalar, "?" for unknown rank
  bool operator==(const Shape&) const = default;

 private:
  bool known_rank_ = false;
  std::vector<Dim> dims_;
};

// ONNX TypeProto. kNone: no type at all (allowed for intermediate values); kEmpty: a
// TypeProto that names no kind (some exporters write `type {}` on subgraph outputs).
struct ValueType {
  enum class Kind : uint8_t { kNone, kEmpty, kTensor, kSparseTensor, kSequence, kMap, kOptional, kOpaque };
  Kind kind = Kind::kNone;
  DataType elem = DataType::kUndefined;  // tensor / sparse tensor element; map key
  Shape shape;                           // tensor / sparse tensor
  std::shared_ptr<ValueType> inner;      // sequence / optional element; map value
  std::string opaque_domain, opaque_name;
  std::string denotation;

  static ValueType tensor(DataType elem, Shape shape);
  bool is_tensor() const { return kind == Kind::kTensor; }
  std::string str() const;  // "float32[batch, 3]", "seq(float32[?])", "map(int64, float32[])"
  bool operator==(const ValueType& other) const;
};

}  // namespace graft
