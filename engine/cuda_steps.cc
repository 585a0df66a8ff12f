#include "engine/cuda_steps.h"

#include <algorithm>

#include "engine/plugin_layer.h"
#include "kernels/cuda/convert.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

// Storage conversion (float32 <-> float16) or a plain copy.
class ConvertLayer : public cuda::Layer {
 public:
  ConvertLayer(DataType from, DataType to) : from_(from), to_(to) {
    const bool supported = from == to || (from == DataType::kFloat && to == DataType::kFloat16) ||
                           (from == DataType::kFloat16 && to == DataType::kFloat);
    if (!supported) throw Error("no storage conversion from " + dtype_name(from) + " to " + dtype_name(to));
  }
  DataType input_storage(size_t, DataType) const override { return from_; }
  DataType output_storage(size_t, DataType) const override { return to_; }

  void enqueue(const cuda::EnqueueContext& ctx) override {
    const cuda::DeviceTensor& in = ctx.inputs[0];
    const cuda::DeviceTensor& out = ctx.outputs[0];
    cudaError_t err = cudaSuccess;
    if (from_ == to_) {
      if (in.nbytes()) err = cudaMemcpyAsync(out.data, in.data, in.nbytes(), cudaMemcpyDeviceToDevice, ctx.stream);
    } else if (from_ == DataType::kFloat) {
      err = cuda::convert_f32_to_f16(static_cast<const float*>(in.data), out.data, in.numel(), ctx.stream);
    } else {
      err = cuda::convert_f16_to_f32(in.data, static_cast<float*>(out.data), in.numel(), ctx.stream);
    }
    cuda::check_cuda(err, "converting '" + name_ + "'");
  }
  std::string summary() const override {
    return from_ == to_ ? "copy" : dtype_name(from_) + " -> " + dtype_name(to_);
  }
  void set_name(std::string n) { name_ = std::move(n); }

 private:
  DataType from_, to_;
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

CudaEngine::Step make_conversion_step(const Tensor* t, DataType from_dtype, DataType to_dtype, int from, int to) {
  CudaEngine::Step step;
  auto layer = std::make_unique<ConvertLayer>(from_dtype, to_dtype);
  layer->set_name(t->name);
  step.layer = std::move(layer);
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
