#include "plugins/builtin/onnx_op_plugin.h"

#include <algorithm>

#include "plugins/builtin/cuda_impls.h"
#include "surgeon/error.h"

namespace graft::plugins {

FieldSpec int_field(std::string name, int64_t def) { return {name, AttrType::kInt, Attribute::of_int(name, def)}; }
FieldSpec float_field(std::string name, float def) { return {name, AttrType::kFloat, Attribute::of_float(name, def)}; }
FieldSpec string_field(std::string name, std::string def) {
  return {name, AttrType::kString, Attribute::of_string(name, std::move(def))};
}
FieldSpec ints_field(std::string name, std::vector<int64_t> def) {
  return {name, AttrType::kInts, Attribute::of_ints(name, std::move(def))};
}

void OnnxOpPlugin::infer(ops::ShapeContext& ctx) const {
  const ops::ShapeFnDef* def = ops::find_shape_fn("", spec_.name, spec_.onnx_opset);
  if (!def) throw Error("graft has no shape function for ONNX " + spec_.name);
  std::vector<const ops::ValueFacts*> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
  ops::ShapeContext onnx(ctx.node(), spec_.onnx_opset, std::move(inputs), nullptr);
  def->fn(onnx);
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    const ops::ValueFacts& out = onnx.outputs()[i];
    if (out.known()) ctx.set_output_type(i, out.type);
    if (out.elements) ctx.set_output_elements(i, *out.elements);
  }
}

bool OnnxOpPlugin::supports(size_t index, DataType dtype, Layout layout) const {
  if (layout != Layout::kLinear) return false;
  return index != 0 || std::find(spec_.dtypes.begin(), spec_.dtypes.end(), dtype) != spec_.dtypes.end();
}

void OnnxOpPlugin::run_cpu(cpu::KernelContext& ctx) const {
  const cpu::KernelDef* def = cpu::find_kernel("", spec_.name, spec_.onnx_opset);
  if (!def) throw Error("graft has no CPU kernel for ONNX " + spec_.name);
  std::vector<const cpu::Value*> inputs;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.has_input(i) ? &ctx.input_value(i) : nullptr);
  cpu::KernelContext onnx(ctx.node(), spec_.onnx_opset, std::move(inputs), nullptr);
  def->fn(onnx);
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    if (ctx.output_wanted(i)) ctx.set_output_value(i, std::move(onnx.outputs()[i]));
  }
}

bool OnnxOpPlugin::has_cuda() const { return has_cuda_impl(spec_.name); }

size_t OnnxOpPlugin::cuda_workspace_size(const std::vector<DeviceTensor>& inputs) const {
  return cuda_impl_workspace(spec_.name, fields_, inputs);
}

void OnnxOpPlugin::enqueue_cuda(const CudaLaunch& launch) const { enqueue_cuda_impl(spec_.name, fields_, launch); }

}  // namespace graft::plugins
