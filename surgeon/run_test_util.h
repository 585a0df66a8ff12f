#pragma once
// Helpers for the surgery tests that run their results on the CPU engine: small typed
// models built in code, float inputs, and outputs by name.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu_executor.h"
#include "gtest/gtest.h"
#include "surgeon/model.h"

namespace graft::testing {

// An empty model importing ai.onnx at `opset`, with a graph named "g".
inline Model empty_model(int64_t opset = 17) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", opset}};
  m.graph->name = "g";
  return m;
}

inline TensorPtr float_input(Graph& g, const std::string& name, std::vector<int64_t> dims) {
  TensorPtr t = Tensor::variable(name, DataType::kFloat, Shape::of(dims));
  g.inputs.push_back(t);
  return t;
}

inline TensorPtr float_constant(Graph& g, const std::string& name, std::vector<float> values,
                                std::vector<int64_t> dims) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  data->dims = std::move(dims);
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(float));
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

inline cpu::HostTensor host_floats(std::vector<int64_t> dims, std::vector<float> values) {
  cpu::HostTensor t(DataType::kFloat, std::move(dims));
  std::copy(values.begin(), values.end(), t.mutable_data<float>());
  return t;
}

// Runs `model` on the CPU engine; returns each float output's values by output name.
inline std::map<std::string, std::vector<float>> run_floats(const Model& model,
                                                            const std::map<std::string, cpu::HostTensor>& inputs) {
  std::vector<engine::NamedValue> values;
  for (const auto& [name, t] : inputs) values.push_back({name, cpu::Value::of(t)});
  engine::CpuExecutor exec(model);
  std::map<std::string, std::vector<float>> out;
  for (const engine::NamedValue& v : exec.run(values)) {
    std::vector<double> d = v.value.tensor.to_doubles();
    out[v.name] = std::vector<float>(d.begin(), d.end());
  }
  return out;
}

// Element-wise |a - b| <= atol + rtol * |b|, with the first mismatch in the message.
inline ::testing::AssertionResult all_close(const std::vector<float>& a, const std::vector<float>& b,
                                            float atol = 1e-6f, float rtol = 1e-5f) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    float diff = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
    float mag = b[i] < 0 ? -b[i] : b[i];
    if (!(diff <= atol + rtol * mag))
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace graft::testing
