#pragma once
// What the cuDNN and cuBLASLt layers share: reading constants and fusable activations from
// the IR, and uploading constants in a storage dtype.
#include <optional>
#include <vector>

#include "kernels/cuda/epilogue.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// The values of a float32 / float16 constant, as float; std::nullopt for anything else.
std::optional<std::vector<float>> constant_floats(const Tensor* t);

// The activation `node` computes when a layer epilogue can apply it (Relu, Clip with
// constant or no bounds, LeakyRelu, Sigmoid, HardSwish, Tanh, Gelu); std::nullopt otherwise.
std::optional<ActivationParams> fused_activation(const Node& node);

// An Add's input other than `mine`; null unless `add` is a two-input Add reading `mine` once.
const Tensor* other_add_input(const Node& add, const Tensor* mine);

// kFloat / kHalf for float32 / float16 storage; throws an Error naming `spec` otherwise.
NumType float_num_type(DataType storage, const LayerSpec& spec);

// Copies `values` to the device as `storage` (float32 or float16), in memory of `ctx.weights`.
void* upload_floats(const std::vector<float>& values, DataType storage, const LoadContext& ctx);

}  // namespace graft::cuda
