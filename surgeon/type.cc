#include "surgeon/type.h"

namespace graft {

std::string Dim::str() const {
  switch (kind) {
    case Kind::kValue: return std::to_string(value);
    case Kind::kParam: return param;
    case Kind::kUnknown: break;
  }
  return "?";
}

Shape Shape::of(const std::vector<int64_t>& sizes) {
  std::vector<Dim> dims;
  dims.reserve(sizes.size());
  for (int64_t s : sizes) dims.push_back(Dim::fixed(s));
  return Shape(std::move(dims));
}

bool Shape::is_static() const {
  if (!known_rank_) return false;
  for (const Dim& d : dims_) {
    if (!d.is_fixed()) return false;
  }
  return true;
}

std::optional<int64_t> Shape::num_elements() const {
  if (!is_static()) return std::nullopt;
  int64_t n = 1;
  for (const Dim& d : dims_) {
    if (d.value < 0 || __builtin_mul_overflow(n, d.value, &n)) return std::nullopt;
  }
  return n;
}

std::string Shape::str() const {
  if (!known_rank_) return "?";
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i].str();
  }
  return s + "]";
}

ValueType ValueType::tensor(DataType elem, Shape shape) {
  ValueType t;
  t.kind = Kind::kTensor;
  t.elem = elem;
  t.shape = std::move(shape);
  return t;
}

std::string ValueType::str() const {
  auto inner_str = [&] { return inner ? inner->str() : std::string("?"); };
  switch (kind) {
    case Kind::kNone:
    case Kind::kEmpty: return "?";
    case Kind::kTensor: return dtype_name(elem) + shape.str();
    case Kind::kSparseTensor: return "sparse(" + dtype_name(elem) + shape.str() + ")";
    case Kind::kSequence: return "seq(" + inner_str() + ")";
    case Kind::kOptional: return "optional(" + inner_str() + ")";
    case Kind::kMap: return "map(" + dtype_name(elem) + ", " + inner_str() + ")";
    case Kind::kOpaque: return "opaque(" + opaque_domain + "." + opaque_name + ")";
  }
  return "?";
}

bool ValueType::operator==(const ValueType& o) const {
  if (kind != o.kind || elem != o.elem || !(shape == o.shape) || opaque_domain != o.opaque_domain ||
      opaque_name != o.opaque_name || denotation != o.denotation) {
    return false;
  }
  if (!inner || !o.inner) return !inner && !o.inner;
  return *inner == *o.inner;
}

}  // namespace graft
