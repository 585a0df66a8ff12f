#pragma once
// One-node models for the GPU layer tests, compared with the CPU engine: typed graph
// inputs, constants of any dtype, chosen input values, and a check that the node ran as a
// GPU layer (not on the host, where the engine computes small integer tensors).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/gpu_test_util.h"
#include "kernels/cuda/layer_test_util.h"
#include "surgeon/error.h"
#include "surgeon/run_test_util.h"

namespace graft::cuda::testing {

using engine::NamedValue;
using engine::testing::GpuCheck;

inline const GpuCheck kFp16Check{Precision::kFP16, 1e-2, 1e-3};

class OpModel {
 public:
  explicit OpModel(int64_t opset = 17) : model(graft::testing::empty_model(opset)) {}

  Graph& graph() { return *model.graph; }

  TensorPtr input(const std::string& name, std::vector<int64_t> dims, DataType dtype = DataType::kFloat) {
    TensorPtr t = Tensor::variable(name, dtype, Shape::of(dims));
    graph().inputs.push_back(t);
    return t;
  }

  template <typename T>
  TensorPtr constant(const std::string& name, DataType dtype, const std::vector<T>& values, std::vector<int64_t> dims) {
    auto data = std::make_shared<TensorData>();
    data->dtype = dtype;
    data->dims = std::move(dims);
    data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(T));
    TensorPtr t = Tensor::constant(name, data);
    graph().initializers.push_back(t);
    return t;
  }
  TensorPtr int64s(const std::string& name, const std::vector<int64_t>& values, std::vector<int64_t> dims) {
    return constant(name, DataType::kInt64, values, std::move(dims));
  }
  TensorPtr int64s(const std::string& name, const std::vector<int64_t>& values) {
    return int64s(name, values, {static_cast<int64_t>(values.size())});
  }
  TensorPtr floats(const std::string& name, const std::vector<float>& values, std::vector<int64_t> dims) {
    return constant(name, DataType::kFloat, values, std::move(dims));
  }

  // The node under test; its outputs y0, y1, ... are the graph's outputs.
  Node* node(const std::string& op, std::vector<TensorPtr> inputs, std::vector<Attribute> attrs = {},
             int outputs = 1) {
    std::vector<TensorPtr> outs;
    for (int i = 0; i < outputs; ++i) {
      outs.push_back(std::make_shared<Tensor>("y" + std::to_string(i)));
      graph().outputs.push_back(outs.back());
    }
    Node* n = graph().add_node(op, std::move(inputs), outs, "n");
    for (Attribute& a : attrs) n->set_attr(std::move(a));
    return n;
  }

  Model model;
};

// A host tensor of `values` as `dtype` (T must have dtype's size).
template <typename T>
cpu::HostTensor host_tensor(DataType dtype, std::vector<int64_t> dims, const std::vector<T>& values) {
  cpu::HostTensor t(dtype, std::move(dims));
  std::memcpy(t.mutable_raw(), values.data(), values.size() * sizeof(T));
  return t;
}

// Random values for the model's inputs, with `chosen` ones replaced.
inline std::vector<NamedValue> inputs_with(const Model& m, uint64_t seed,
                                           const std::vector<std::pair<std::string, cpu::HostTensor>>& chosen) {
  std::vector<NamedValue> inputs = random_inputs_of(m, seed);
  for (NamedValue& v : inputs) {
    for (const auto& [name, t] : chosen) {
      if (v.name == name) v.value = cpu::Value::of(t);
    }
  }
  return inputs;
}

// The node ran as a GPU layer: a built layer names its op.
inline void expect_layer(const Model& m, const std::string& op, Precision p = Precision::kFP32) {
  bool found = false;
  for (const std::string& line : built_layers(m, p)) found = found || line.find(op) != std::string::npos;
  EXPECT_TRUE(found) << op << " did not run as a GPU layer";
}

// The message of the Error that building `m` throws ("" and a failure if none).
inline std::string build_error(const Model& m) {
  try {
    built_layers(m);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "the build did not fail";
  return "";
}

// The message of the Error that building `m` and running it on random inputs throws (for
// errors found only once input dims are known); "" and a failure if none.
inline std::string run_error(const Model& m) {
  engine::BuildOptions options;
  options.autotune = false;
  try {
    const engine::BuildResult built = engine::gpu_backend()->build(m, options);
    engine::gpu_backend()->open(built.network)->run(random_inputs_of(m, 1));
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "building and running the model did not fail";
  return "";
}

}  // namespace graft::cuda::testing
