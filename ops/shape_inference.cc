#include "ops/shape_inference.h"

#include <cmath>

#include "ops/op_registry.h"
#include "surgeon/error.h"

namespace graft::ops {
namespace {

const ValueFacts& unknown_facts() {
  static const ValueFacts none;
  return none;
}

bool is_integer(DataType t) {
  switch (t) {
    case DataType::kInt8: case DataType::kInt16: case DataType::kInt32: case DataType::kInt64:
    case DataType::kUint8: case DataType::kUint16: case DataType::kUint32: case DataType::kUint64:
      return true;
    default:
      return false;
  }
}

// The values of a small integer constant, widened to int64.
std::optional<std::vector<int64_t>> constant_int64s(const TensorData& data) {
  auto n = data.num_elements();
  if (!n || data.dims.size() > 1 || !is_integer(data.dtype) || static_cast<size_t>(*n) > kMaxTrackedElements) {
    return std::nullopt;
  }
  size_t width = dtype_bits(data.dtype) / 8;
  if (data.bytes.size() < static_cast<size_t>(*n) * width) return std::nullopt;
  std::vector<int64_t> v(*n);
  for (size_t i = 0; i < v.size(); ++i) {
    switch (data.dtype) {
      case DataType::kInt8: v[i] = data.at<int8_t>(i); break;
      case DataType::kInt16: v[i] = data.at<int16_t>(i); break;
      case DataType::kInt32: v[i] = data.at<int32_t>(i); break;
      case DataType::kUint8: v[i] = data.at<uint8_t>(i); break;
      case DataType::kUint16: v[i] = data.at<uint16_t>(i); break;
      case DataType::kUint32: v[i] = data.at<uint32_t>(i); break;
      default: v[i] = data.at<int64_t>(i); break;  // int64 and uint64 (shape values fit)
    }
  }
  return v;
}

}  // namespace

ShapeContext::ShapeContext(const Node& node, int64_t opset, std::vector<const ValueFacts*> inputs,
                           SubgraphInferrer subgraphs)
    : node_(node), opset_(opset), attrs_(node), inputs_(std::move(inputs)), outputs_(node.outputs().size()),
      subgraphs_(std::move(subgraphs)) {}

const ValueFacts& ShapeContext::input(size_t i) const { return has_input(i) ? *inputs_[i] : unknown_facts(); }

DataType ShapeContext::input_dtype(size_t i) const {
  const ValueType& t = input_type(i);
  return t.kind == ValueType::Kind::kTensor || t.kind == ValueType::Kind::kSparseTensor ? t.elem
                                                                                         : DataType::kUndefined;
}

const Shape& ShapeContext::input_shape(size_t i) const {
  static const Shape unknown_rank;
  const ValueType& t = input_type(i);
  return t.kind == ValueType::Kind::kTensor || t.kind == ValueType::Kind::kSparseTensor ? t.shape : unknown_rank;
}

std::optional<std::vector<Dim>> ShapeContext::input_elements(size_t i) const {
  const ValueFacts& f = input(i);
  if (f.elements) return f.elements;
  if (!f.constant) return std::nullopt;
  auto values = constant_int64s(*f.constant);
  if (!values) return std::nullopt;
  std::vector<Dim> dims;
  for (int64_t v : *values) dims.push_back(Dim::fixed(v));
  return dims;
}

std::optional<std::vector<int64_t>> ShapeContext::input_int64s(size_t i) const {
  auto elements = input_elements(i);
  if (!elements) return std::nullopt;
  std::vector<int64_t> v;
  for (const Dim& d : *elements) {
    if (!d.is_fixed()) return std::nullopt;
    v.push_back(d.value);
  }
  return v;
}

std::optional<std::vector<double>> ShapeContext::input_doubles(size_t i) const {
  const TensorData* c = input(i).constant;
  if (!c) return std::nullopt;
  auto n = c->num_elements();
  if (!n || c->bytes.size() < static_cast<size_t>(*n) * (dtype_bits(c->dtype) / 8)) return std::nullopt;
  std::vector<double> v(*n);
  for (size_t k = 0; k < v.size(); ++k) {
    switch (c->dtype) {
      case DataType::kFloat: v[k] = c->at<float>(k); break;
      case DataType::kDouble: v[k] = c->at<double>(k); break;
      default: {
        auto ints = input_int64s(i);
        if (!ints) return std::nullopt;
        return std::vector<double>(ints->begin(), ints->end());
      }
    }
  }
  return v;
}

void ShapeContext::set_output(size_t i, DataType dtype, Shape shape) {
  set_output_type(i, ValueType::tensor(dtype, std::move(shape)));
}

void ShapeContext::set_output_type(size_t i, ValueType type) {
  if (i < outputs_.size()) outputs_[i].type = std::move(type);
}

void ShapeContext::set_output_elements(size_t i, std::vector<Dim> elements) {
  if (i < outputs_.size() && elements.size() <= kMaxTrackedElements) outputs_[i].elements = std::move(elements);
}

void ShapeContext::set_output_constant(size_t i, const TensorData* data) {
  if (i >= outputs_.size() || !data) return;
  outputs_[i].constant = data;
  set_output(i, data->dtype, Shape::of(data->dims));
}

std::vector<ValueType> ShapeContext::infer_subgraph(const Graph& g, const std::vector<ValueType>& inputs) const {
  if (!subgraphs_) return std::vector<ValueType>(g.outputs.size());
  return subgraphs_(g, inputs);
}

void ShapeContext::fail(const std::string& message) const { throw Error(message); }

const ShapeFnDef* find_shape_fn(const std::string& domain, const std::string& op_type, int64_t opset) {
  return OpRegistry<ShapeFnDef>::instance().find(domain, op_type, opset);
}

bool register_shape_fn(ShapeFnDef def) {
  OpRegistry<ShapeFnDef>::instance().add(std::move(def));
  return true;
}

std::vector<ShapeFnDef> registered_shape_fns() { return OpRegistry<ShapeFnDef>::instance().all(); }

}  // namespace graft::ops
