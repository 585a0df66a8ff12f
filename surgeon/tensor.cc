#include "surgeon/tensor.h"

namespace graft {

TensorPtr Tensor::variable(std::string name, DataType dtype, Shape shape) {
  return std::make_shared<Tensor>(std::move(name), ValueType::tensor(dtype, std::move(shape)));
}

TensorPtr Tensor::constant(std::string name, TensorDataPtr data) {
  auto t = std::make_shared<Tensor>(std::move(name));
  t->data = std::move(data);
  return t;
}

DataType Tensor::dtype() const {
  if (data) return data->dtype;
  if (sparse && sparse->values) return sparse->values->dtype;
  return type.elem;
}

Shape Tensor::shape() const {
  if (data) return Shape::of(data->dims);
  if (sparse) return Shape::of(sparse->dims);
  return type.shape;
}

}  // namespace graft
