#include "kernels/cuda/node_layer.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cstring>

#include "surgeon/error.h"

namespace graft::cuda {

int64_t dims_product(const Dims& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) p *= dims[i];
  return p;
}

std::optional<NumType> num_type_of(DataType t) {
  switch (t) {
    case DataType::kFloat: return NumType::kFloat;
    case DataType::kFloat16: return NumType::kHalf;
    case DataType::kDouble: return NumType::kDouble;
    case DataType::kInt8: return NumType::kInt8;
    case DataType::kUint8: return NumType::kUint8;
    case DataType::kInt16: return NumType::kInt16;
    case DataType::kInt32: return NumType::kInt32;
    case DataType::kInt64: return NumType::kInt64;
    case DataType::kBool: return NumType::kBool;
    default: return std::nullopt;
  }
}

namespace {

template <typename T>
uint64_t bits_of(T v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

}  // namespace

std::optional<uint64_t> scalar_bits(DataType t, double v) {
  switch (t) {
    case DataType::kFloat: return bits_of(static_cast<float>(v));
    case DataType::kFloat16: return bits_of(__float2half_rn(static_cast<float>(v)));
    case DataType::kDouble: return bits_of(v);
    case DataType::kInt8: return bits_of(static_cast<int8_t>(v));
    case DataType::kUint8: return bits_of(static_cast<uint8_t>(v));
    case DataType::kInt16: return bits_of(static_cast<int16_t>(v));
    case DataType::kUint16: return bits_of(static_cast<uint16_t>(v));
    case DataType::kInt32: return bits_of(static_cast<int32_t>(v));
    case DataType::kUint32: return bits_of(static_cast<uint32_t>(v));
    case DataType::kInt64: return bits_of(static_cast<int64_t>(v));
    case DataType::kUint64: return bits_of(static_cast<uint64_t>(v));
    case DataType::kBool: return bits_of(v != 0);
    default: return std::nullopt;
  }
}

namespace {

template <typename List>
std::vector<int> slots(const std::vector<TensorPtr>& tensors, const List& list) {
  std::vector<int> out;
  for (const TensorPtr& t : tensors) {
    const auto it = t ? std::find(list.begin(), list.end(), t.get()) : list.end();
    out.push_back(it == list.end() ? -1 : static_cast<int>(it - list.begin()));
  }
  return out;
}

}  // namespace

NodeLayer::NodeLayer(const LayerSpec& spec)
    : what_(spec.describe()),
      opset_(spec.opsets.empty() ? 0 : spec.opsets.front()),
      in_(slots(spec.main().inputs(), spec.inputs)),
      out_(slots(spec.main().outputs(), spec.outputs)) {}

const TensorDesc& NodeLayer::input(const PrepareContext& ctx, size_t k) const {
  if (!has_input(k)) fail("input " + std::to_string(k) + " is missing");
  return ctx.inputs.at(in_[k]);
}
const TensorDesc& NodeLayer::output(const PrepareContext& ctx, size_t k) const {
  if (!has_output(k)) fail("output " + std::to_string(k) + " is missing");
  return ctx.outputs.at(out_[k]);
}
const DeviceTensor& NodeLayer::input(const EnqueueContext& ctx, size_t k) const {
  if (!has_input(k)) fail("input " + std::to_string(k) + " is missing");
  return ctx.inputs.at(in_[k]);
}
const DeviceTensor& NodeLayer::output(const EnqueueContext& ctx, size_t k) const {
  if (!has_output(k)) fail("output " + std::to_string(k) + " is missing");
  return ctx.outputs.at(out_[k]);
}

int NodeLayer::node_input_of(size_t slot) const {
  const auto it = std::find(in_.begin(), in_.end(), static_cast<int>(slot));
  return it == in_.end() ? -1 : static_cast<int>(it - in_.begin());
}

const cpu::HostTensor& NodeLayer::host_value(const PrepareContext& ctx, size_t k, const char* name) const {
  const cpu::HostTensor* v = has_input(k) && static_cast<size_t>(in_[k]) < ctx.host_values.size()
                                 ? ctx.host_values[in_[k]]
                                 : nullptr;
  if (!v) {
    fail(std::string("input '") + name +
         "' must be known before the run (a constant, or computed from shapes) to run on the GPU; "
         "`graft sanitize` folds such inputs where it can");
  }
  return *v;
}

size_t NodeLayer::element_size(DataType t) const {
  const int bits = dtype_bits(t);
  if (bits < 8 || bits % 8 != 0 || bits > 128) fail("does not support " + dtype_name(t) + " tensors on the GPU");
  return static_cast<size_t>(bits / 8);
}

NumType NodeLayer::num_type(DataType t) const {
  const std::optional<NumType> n = num_type_of(t);
  if (!n) fail("does not support " + dtype_name(t) + " tensors on the GPU");
  return *n;
}

int64_t NodeLayer::axis_in(int64_t axis, int64_t rank) const {
  if (axis < -rank || axis >= rank) fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

void NodeLayer::fail(const std::string& message) const { throw Error(what_ + ": " + message); }

void NodeLayer::check(int err, const char* kernel) const { check_cuda(err, what_ + ": " + kernel); }

}  // namespace graft::cuda
