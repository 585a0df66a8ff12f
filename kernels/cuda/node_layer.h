#pragma once
// A base for layers that run one node: the node's inputs and outputs by their position in
// the node (the layer's lists hold a tensor once, however often the node reads it),
// values the host must know, element sizes, and errors that name the node.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/op_util.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/num_type.h"

namespace graft::cuda {

using cpu::Dims;
using cpu::dims_str;
using cpu::num_elements;
using cpu::strides_of;

// Product of dims[begin, end).
int64_t dims_product(const Dims& dims, size_t begin, size_t end);

// The compute type of a storage dtype; nullopt for the types kernels do not compute in.
std::optional<NumType> num_type_of(DataType t);
// The bytes of static_cast<T>(v) for the C++ type T of `t` (float16 rounded to nearest),
// in the low bytes; nullopt for types without a conversion.
std::optional<uint64_t> scalar_bits(DataType t, double v);

class NodeLayer : public Layer {
 public:
  explicit NodeLayer(const LayerSpec& spec);

 protected:
  // "node 'x' (Op)", for messages.
  const std::string& what() const { return what_; }
  int64_t opset() const { return opset_; }

  // Node input k (output k) is present and read (written) by this layer.
  bool has_input(size_t k) const { return k < in_.size() && in_[k] >= 0; }
  bool has_output(size_t k) const { return k < out_.size() && out_[k] >= 0; }
  const TensorDesc& input(const PrepareContext& ctx, size_t k) const;
  const TensorDesc& output(const PrepareContext& ctx, size_t k) const;
  const DeviceTensor& input(const EnqueueContext& ctx, size_t k) const;
  const DeviceTensor& output(const EnqueueContext& ctx, size_t k) const;
  // The layer's index of node input k (for input_storage and host_values); -1 if absent.
  int input_slot(size_t k) const { return has_input(k) ? in_[k] : -1; }
  // Node input k of the layer's input list position `slot`, or -1.
  int node_input_of(size_t slot) const;

  // Node input k's values, which must be known on the host (`name` says which input).
  const cpu::HostTensor& host_value(const PrepareContext& ctx, size_t k, const char* name) const;
  // Bytes per element of a storage dtype the layer moves; throws for strings and sub-byte types.
  size_t element_size(DataType t) const;
  NumType num_type(DataType t) const;  // throws for types without one
  // A possibly negative axis in [-rank, rank) made non-negative.
  int64_t axis_in(int64_t axis, int64_t rank) const;
  [[noreturn]] void fail(const std::string& message) const;
  // Throws unless err is cudaSuccess, naming the node and the kernel.
  void check(int err, const char* kernel) const;

 private:
  std::string what_;
  int64_t opset_ = 0;
  std::vector<int> in_, out_;
};

// A factory for GRAFT_GPU_LAYER: L's constructor from the spec.
template <typename L>
std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  return std::make_unique<L>(spec);
}

}  // namespace graft::cuda
