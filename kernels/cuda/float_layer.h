#pragma once
// A base for one-node layers whose kernels take float, half and double tensors (softmax,
// normalizations): the input dtype is checked when the layer is made (when declared) and
// at prepare(); such layers read and write half at FP16.
#include <optional>
#include <string>

#include "kernels/cuda/node_layer.h"

namespace graft::cuda {

class FloatLayer : public NodeLayer {
 public:
  explicit FloatLayer(const LayerSpec& spec) : NodeLayer(spec) {
    const TensorPtr x = spec.main().input(0);
    if (x && x->dtype() != DataType::kUndefined) float_type(x->dtype());
  }

  bool supports_fp16() const override { return true; }

 protected:
  // t as a NumType; fails unless it is float, half or double.
  NumType float_type(DataType t) const {
    const std::optional<NumType> n = num_type_of(t);
    if (!n || !(*n == NumType::kFloat || *n == NumType::kHalf || *n == NumType::kDouble)) {
      fail("does not support " + dtype_name(t) + " input on the GPU");
    }
    return *n;
  }
};

}  // namespace graft::cuda
