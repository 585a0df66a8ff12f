#include "kernels/cuda/layer_helpers.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <limits>

#include "kernels/cpu/host_tensor.h"
#include "ops/node_attrs.h"
#include "surgeon/error.h"

namespace graft::cuda {

std::optional<std::vector<float>> constant_floats(const Tensor* t) {
  if (!t || !t->data || (t->data->dtype != DataType::kFloat && t->data->dtype != DataType::kFloat16)) return std::nullopt;
  const std::vector<double> d = cpu::HostTensor::from_data(*t->data).to_doubles();
  return std::vector<float>(d.begin(), d.end());
}

namespace {

// Clip's bound from input i (opset 11+) or attribute `name` (before); `def` when absent.
std::optional<float> clip_bound(const Node& clip, size_t i, const char* name, float def) {
  const ops::NodeAttrs attrs(clip);
  if (attrs.has(name)) return attrs.get_float(name, def);
  const Tensor* t = clip.input(i).get();
  if (!t) return def;
  const auto v = constant_floats(t);
  if (!v || v->size() != 1) return std::nullopt;
  return v->front();
}

}  // namespace

std::optional<ActivationParams> fused_activation(const Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return std::nullopt;
  if (node.outputs().size() != 1) return std::nullopt;
  const ops::NodeAttrs attrs(node);
  const std::string& op = node.op_type;
  if (op == "Relu") return ActivationParams{Activation::kRelu};
  if (op == "Sigmoid") return ActivationParams{Activation::kSigmoid};
  if (op == "Tanh") return ActivationParams{Activation::kTanh};
  if (op == "HardSwish") return ActivationParams{Activation::kHardSwish};
  if (op == "LeakyRelu") return ActivationParams{Activation::kLeakyRelu, attrs.get_float("alpha", 0.01f)};
  if (op == "Gelu") {
    const std::string approx = attrs.get_string("approximate", "none");
    if (approx == "none") return ActivationParams{Activation::kGelu};
    if (approx == "tanh") return ActivationParams{Activation::kGeluTanh};
    return std::nullopt;
  }
  if (op == "Clip") {
    const auto lo = clip_bound(node, 1, "min", std::numeric_limits<float>::lowest());
    const auto hi = clip_bound(node, 2, "max", std::numeric_limits<float>::max());
    if (!lo || !hi) return std::nullopt;
    return ActivationParams{Activation::kClip, *lo, *hi};
  }
  return std::nullopt;
}

const Tensor* other_add_input(const Node& add, const Tensor* mine) {
  if ((!add.domain.empty() && add.domain != "ai.onnx") || add.op_type != "Add" || add.inputs().size() != 2) return nullptr;
  const Tensor* a = add.input(0).get();
  const Tensor* b = add.input(1).get();
  if (!a || !b || a == b || (a != mine && b != mine)) return nullptr;
  return a == mine ? b : a;
}

NumType float_num_type(DataType storage, const LayerSpec& spec) {
  if (storage == DataType::kFloat) return NumType::kFloat;
  if (storage == DataType::kFloat16) return NumType::kHalf;
  throw Error(spec.describe() + ": the GPU runs it on float32 and float16 only, not " + dtype_name(storage));
}

void* upload_floats(const std::vector<float>& values, DataType storage, const LoadContext& ctx) {
  const NumType type = float_num_type(storage, ctx.spec);
  std::vector<__half> halves;
  const void* host = values.data();
  size_t bytes = values.size() * sizeof(float);
  if (type == NumType::kHalf) {
    halves.reserve(values.size());
    for (float v : values) halves.push_back(__float2half_rn(v));
    host = halves.data();
    bytes = halves.size() * sizeof(__half);
  }
  void* dev = ctx.weights.allocate(std::max<size_t>(bytes, 1));
  // From pageable memory the copy has taken the bytes when it returns, so `halves` may go.
  check_cuda(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, ctx.stream), ctx.spec.describe() + ": weight upload");
  return dev;
}

}  // namespace graft::cuda
