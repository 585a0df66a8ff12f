#include "engine/cuda_steps.h"

#include <algorithm>

#include "engine/plugin_layer.h"
#include "kernels/cuda/convert.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

// Storage conversion (float32 <-> float16), reordering (NCHW <-> NHWC), or a plain copy.
class ConvertLayer : public cuda::Layer {
 public:
  ConvertLayer(const CudaEngine::Slot& from, const CudaEngine::Slot& to)
      : from_(from.storage), to_(to.storage), from_format_(from.format), to_format_(to.format), name_(to.tensor->name) {
    const bool floats = (from_ == DataType::kFloat || from_ == DataType::kFloat16) &&
                        (to_ == DataType::kFloat || to_ == DataType::kFloat16);
    if (from_ != to_ && !floats) throw Error("no storage conversion from " + dtype_name(from_) + " to " + dtype_name(to_));
    if (from_format_ != to_format_ && !floats) throw Error("'" + name_ + "': only float tensors are reordered");
  }
  DataType input_storage(size_t, DataType) const override { return from_; }
  DataType output_storage(size_t, DataType) const override { return to_; }
  cuda::Format input_format(size_t, size_t) const override { return from_format_; }
  cuda::Format output_format(size_t, size_t) const override { return to_format_; }

  void enqueue(const cuda::EnqueueContext& ctx) override {
    const cuda::DeviceTensor& in = ctx.inputs[0];
    const cuda::DeviceTensor& out = ctx.outputs[0];
    cudaError_t err = cudaSuccess;
    if (from_format_ != to_format_) {
      const auto& d = in.dims;
      err = cuda::reorder_channels(in.data, from_ == DataType::kFloat16, out.data, to_ == DataType::kFloat16, d[0], d[1],
                                   d[2] * d[3], to_format_ == cuda::Format::kChannelsLast, ctx.stream);
    } else if (from_ == to_) {
      if (in.nbytes()) err = cudaMemcpyAsync(out.data, in.data, in.nbytes(), cudaMemcpyDeviceToDevice, ctx.stream);
    } else if (from_ == DataType::kFloat) {
      err = cuda::convert_f32_to_f16(static_cast<const float*>(in.data), out.data, in.numel(), ctx.stream);
    } else {
      err = cuda::convert_f16_to_f32(in.data, static_cast<float*>(out.data), in.numel(), ctx.stream);
    }
    cuda::check_cuda(err, "converting '" + name_ + "'");
  }
  std::string summary() const override {
    if (from_ == to_ && from_format_ == to_format_) return "copy";
    if (from_format_ == to_format_) return dtype_name(from_) + " -> " + dtype_name(to_);
    return dtype_name(from_) + " " + cuda::format_name(from_format_) + " -> " + dtype_name(to_) + " " +
           cuda::format_name(to_format_);
  }

 private:
  DataType from_, to_;
  cuda::Format from_format_, to_format_;
  std::string name_;
};

bool contains(const std::vector<const Tensor*>& v, const Tensor* t) { return std::find(v.begin(), v.end(), t) != v.end(); }

}  // namespace

cuda::LayerSpec make_layer_spec(const Model& model, const std::vector<const Node*>& nodes, cuda::Precision precision) {
  cuda::LayerSpec spec;
  spec.nodes = nodes;
  spec.precision = precision;
  std::vector<const Tensor*> produced;
  for (const Node* n : nodes) {
    spec.opsets.push_back(model.opset(n->domain));
    for (const TensorPtr& o : n->outputs()) produced.push_back(o.get());
  }
  for (const TensorPtr& in : nodes.front()->inputs()) spec.inputs.push_back(in.get());
  for (size_t k = 1; k < nodes.size(); ++k) {
    for (const TensorPtr& in : nodes[k]->inputs()) {
      if (in && !contains(produced, in.get()) && !contains(spec.inputs, in.get())) spec.inputs.push_back(in.get());
    }
  }
  for (const TensorPtr& o : nodes.back()->outputs()) spec.outputs.push_back(o.get());
  return spec;
}

CudaEngine::Step make_layer_step(const Model& model, const LayerRecord& record) {
  std::vector<const Node*> nodes;
  for (size_t i : record.nodes) nodes.push_back(model.graph->nodes().at(i).get());
  CudaEngine::Step step;
  step.spec = make_layer_spec(model, nodes, record.precision);
  const Node& main = step.spec.main();
  const cuda::LayerDef* def = layer_def_for(main, step.spec.opsets.front());
  if (!def) throw Error(main.describe() + ": no GPU layer for this op");
  try {
    step.layer = def->make(step.spec);
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.find(main.describe()) == std::string::npos ? step.spec.describe() + ": " + what : what);
  }
  if (record.precision == cuda::Precision::kFP16 && !step.layer->supports_fp16()) {
    throw Error(step.spec.describe() + ": the layer has no FP16 implementation (the builder should have chosen FP32)");
  }
  step.layer->set_precision(record.precision);
  return step;
}

CudaEngine::Step make_conversion_step(const Tensor* t, const CudaEngine::Slot& from_slot, const CudaEngine::Slot& to_slot,
                                      int from, int to) {
  CudaEngine::Step step;
  step.layer = std::make_unique<ConvertLayer>(from_slot, to_slot);
  step.spec.inputs = {t};
  step.spec.outputs = {t};
  step.inputs = {from};
  step.outputs = {to};
  step.constant_values = {nullptr};
  return step;
}

std::string describe_step(const CudaEngine::Step& step, const Network& net) {
  if (step.record < 0) return "[reformat] '" + step.spec.inputs[0]->name + "' " + step.layer->summary();
  const LayerRecord& rec = net.layers[step.record];
  std::string names, ops;
  for (const Node* n : step.spec.nodes) {
    names += (names.empty() ? "" : "+") + (n->name.empty() ? n->outputs()[0]->name : n->name);
    ops += (ops.empty() ? "" : "+") + n->op_type;
  }
  std::string line = names + "  " + ops + "  " + cuda::precision_name(rec.precision);
  if (!rec.tactic.empty()) line += "  tactic=" + rec.tactic;
  const std::string summary = step.layer->summary();
  if (!summary.empty()) line += "  " + summary;
  return line;
}

}  // namespace graft::engine
