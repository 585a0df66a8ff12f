#pragma once
// A built-in plugin that carries an ONNX op graft already implements (ScatterElements with
// reductions, GridSample, RoiAlign, NonMaxSuppression): its shape function and CPU kernel
// are graft's own, run at the opset whose semantics the plugin promises; the plugin adds
// a CUDA implementation where one is registered (cuda_impls.h).
#include <string>
#include <vector>

#include "plugins/plugin.h"

namespace graft::plugins {

struct OnnxOpSpec {
  std::string name;         // the plugin's and the ONNX op's name
  int64_t onnx_opset;       // semantics of this opset
  size_t num_outputs;
  std::vector<FieldSpec> fields;  // the ONNX attributes, with their defaults
  std::vector<DataType> dtypes;   // of input 0 (the data)
  std::string description;
};

class OnnxOpPlugin : public Plugin {
 public:
  OnnxOpPlugin(const OnnxOpSpec& spec, Fields fields) : spec_(spec), fields_(std::move(fields)) {}

  size_t num_outputs() const override { return spec_.num_outputs; }
  void infer(ops::ShapeContext& ctx) const override;
  bool supports(size_t index, DataType dtype, Layout layout) const override;
  void run_cpu(cpu::KernelContext& ctx) const override;
  bool has_cuda() const override;
  size_t cuda_workspace_size(const std::vector<DeviceTensor>& inputs) const override;
  void enqueue_cuda(const CudaLaunch& launch) const override;

 protected:
  const Fields& fields() const { return fields_; }

 private:
  const OnnxOpSpec& spec_;
  Fields fields_;
};

class OnnxOpCreator : public PluginCreator {
 public:
  explicit OnnxOpCreator(OnnxOpSpec spec) : spec_(std::move(spec)) {}
  PluginId id() const override { return {"graft", spec_.name, 1}; }
  std::string description() const override { return spec_.description; }
  std::vector<FieldSpec> field_specs() const override { return spec_.fields; }
  std::unique_ptr<Plugin> create(const Fields& fields) const override { return std::make_unique<OnnxOpPlugin>(spec_, fields); }

 private:
  OnnxOpSpec spec_;
};

FieldSpec int_field(std::string name, int64_t def);
FieldSpec float_field(std::string name, float def);
FieldSpec string_field(std::string name, std::string def);
FieldSpec ints_field(std::string name, std::vector<int64_t> def);

}  // namespace graft::plugins
