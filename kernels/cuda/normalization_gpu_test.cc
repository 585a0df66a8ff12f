// The normalizations on the GPU against the CPU engine: LayerNormalization (axes, bias or
// not, a single-value scale, Mean / InvStdDev outputs, rows short and long),
// BatchNormalization (inference; training refused), InstanceNormalization,
// GroupNormalization (per-group and per-channel parameters), MeanVarianceNormalization
// (contiguous and strided axes), LRN (odd and even windows, windows wider than the
// channels); float16 / double storage, FP16 precision, empty tensors; and the time of a
// BERT-sized LayerNorm.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "engine/random_inputs.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cuda/bandwidth_test_util.h"
#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using testing::build_error;
using testing::OpModel;

const GpuCheck kFP32{Precision::kFP32, 1e-4, 1e-4};
const GpuCheck kF16Storage{Precision::kFP32, 4e-3, 2e-3};
const GpuCheck kDouble{Precision::kFP32, 1e-9, 1e-11};
const GpuCheck kFP16{Precision::kFP16, 2e-2, 2e-2};

// Constants of x's dtype: float values from `seed` in [offset - 1, offset + 1).
TensorPtr param(OpModel& m, const std::string& name, const std::vector<int64_t>& dims, uint64_t seed, DataType dtype,
                float offset = 0) {
  cpu::HostTensor t = engine::random_tensor(dtype, dims, seed);
  cpu::dispatch_float(dtype, "param", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data<T>()[i] = T(float(t.data<T>()[i]) + offset);
  });
  auto data = std::make_shared<TensorData>(t.to_data());
  TensorPtr c = Tensor::constant(name, data);
  m.graph().initializers.push_back(c);
  return c;
}

struct LayerNormCase {
  std::vector<int64_t> dims;
  int64_t axis = -1;
  bool bias = true;
  bool single_scale = false;
  int outputs = 1;
};

Model layer_norm_model(const LayerNormCase& c, DataType dtype) {
  OpModel m(17);
  const int64_t rank = static_cast<int64_t>(c.dims.size());
  const size_t axis = static_cast<size_t>(c.axis < 0 ? c.axis + rank : c.axis);
  const std::vector<int64_t> norm_dims(c.dims.begin() + axis, c.dims.end());
  std::vector<TensorPtr> inputs{m.input("x", c.dims, dtype),
                                param(m, "scale", c.single_scale ? std::vector<int64_t>{1} : norm_dims, 1, dtype, 1)};
  if (c.bias) inputs.push_back(param(m, "bias", norm_dims, 2, dtype));
  m.node("LayerNormalization", inputs, {Attribute::of_int("axis", c.axis), Attribute::of_float("epsilon", 1e-4f)},
         c.outputs);
  return m.model;
}

TEST(NormalizationGpu, LayerNormalization) {
  GRAFT_REQUIRE_GPU();
  const std::vector<LayerNormCase> cases = {
      {{4, 768}},         {{3, 5, 7}, 1},           {{3, 5, 7}, 0, false}, {{8, 4096}, -1, true, false, 3},
      {{2, 30000}},       {{2, 70000}, -1, false},  {{6, 10}, -1, true, true}, {{2, 3, 4, 5, 6}, 2, true, false, 3},
      {{5, 1}, -1, true, false, 3}, {{0, 8}},
  };
  for (const LayerNormCase& c : cases) {
    SCOPED_TRACE("dims " + cpu::dims_str(c.dims) + " axis " + std::to_string(c.axis));
    expect_gpu_matches_cpu(layer_norm_model(c, DataType::kFloat), 3, kFP32);
    expect_gpu_matches_cpu(layer_norm_model(c, DataType::kFloat16), 3, kF16Storage);
    expect_gpu_matches_cpu(layer_norm_model(c, DataType::kDouble), 3, kDouble);
    expect_gpu_matches_cpu(layer_norm_model(c, DataType::kFloat), 3, kFP16);
  }
}

Model batch_norm_model(const std::vector<int64_t>& dims, int64_t opset, DataType dtype, int64_t training = 0) {
  OpModel m(opset);
  const std::vector<int64_t> c{dims[1]};
  std::vector<Attribute> attrs{Attribute::of_float("epsilon", 1e-3f)};
  if (training) attrs.push_back(Attribute::of_int("training_mode", 1));
  m.node("BatchNormalization",
         {m.input("x", dims, dtype), param(m, "scale", c, 1, dtype, 1), param(m, "B", c, 2, dtype),
          param(m, "mean", c, 3, dtype), param(m, "var", c, 4, dtype, 1.5f)},
         attrs);
  return m.model;
}

TEST(NormalizationGpu, BatchNormalization) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::vector<int64_t>> shapes = {{2, 3, 4, 5}, {2, 3}, {1, 16, 7, 7}, {2, 16, 8, 8}, {2, 4, 3, 2, 5}, {0, 3, 2}};
  for (const auto& dims : shapes) {
    for (int64_t opset : {9, 15}) {
      SCOPED_TRACE("dims " + cpu::dims_str(dims) + " opset " + std::to_string(opset));
      expect_gpu_matches_cpu(batch_norm_model(dims, opset, DataType::kFloat), 5, kFP32);
      expect_gpu_matches_cpu(batch_norm_model(dims, opset, DataType::kFloat16), 5, kF16Storage);
      expect_gpu_matches_cpu(batch_norm_model(dims, opset, DataType::kDouble), 5, kDouble);
      expect_gpu_matches_cpu(batch_norm_model(dims, opset, DataType::kFloat), 5, kFP16);
    }
  }
  const std::string training = build_error(batch_norm_model({2, 3, 4}, 15, DataType::kFloat, 1));
  EXPECT_NE(training.find("'n'"), std::string::npos) << training;
  EXPECT_NE(training.find("training"), std::string::npos) << training;
}

// GroupNormalization when groups > 0, else InstanceNormalization; `per_group` parameters
// (opset 18) or per channel (21).
Model group_norm_model(const std::vector<int64_t>& dims, int64_t groups, bool per_group, DataType dtype) {
  OpModel m(groups ? (per_group ? 18 : 21) : 17);
  const std::vector<int64_t> p{per_group ? groups : dims[1]};
  std::vector<Attribute> attrs{Attribute::of_float("epsilon", 1e-3f)};
  if (groups) attrs.push_back(Attribute::of_int("num_groups", groups));
  m.node(groups ? "GroupNormalization" : "InstanceNormalization",
         {m.input("x", dims, dtype), param(m, "scale", p, 1, dtype, 1), param(m, "bias", p, 2, dtype)}, attrs);
  return m.model;
}

TEST(NormalizationGpu, GroupAndInstanceNormalization) {
  GRAFT_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims;
    int64_t groups;
    bool per_group;
  };
  const std::vector<Case> cases = {
      {{2, 6, 4, 4}, 3, true},  {{2, 6, 4, 4}, 3, false}, {{1, 32, 64, 64}, 8, false}, {{2, 6, 5}, 2, true},
      {{2, 6, 4, 4}, 6, false}, {{2, 3, 5, 6}, 0, false}, {{2, 4, 100}, 0, false},     {{3, 8}, 0, false},
      {{1, 8, 150, 150}, 2, false}, {{0, 6, 4}, 3, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("dims " + cpu::dims_str(c.dims) + " groups " + std::to_string(c.groups) +
                 (c.per_group ? " per group" : " per channel"));
    expect_gpu_matches_cpu(group_norm_model(c.dims, c.groups, c.per_group, DataType::kFloat), 6, kFP32);
    expect_gpu_matches_cpu(group_norm_model(c.dims, c.groups, c.per_group, DataType::kFloat16), 6, kF16Storage);
    expect_gpu_matches_cpu(group_norm_model(c.dims, c.groups, c.per_group, DataType::kDouble), 6, kDouble);
    expect_gpu_matches_cpu(group_norm_model(c.dims, c.groups, c.per_group, DataType::kFloat), 6, kFP16);
  }
}

Model mvn_model(const std::vector<int64_t>& dims, const std::vector<int64_t>& axes, DataType dtype) {
  OpModel m(13);
  std::vector<Attribute> attrs;
  if (!axes.empty()) attrs.push_back(Attribute::of_ints("axes", axes));
  m.node("MeanVarianceNormalization", {m.input("x", dims, dtype)}, attrs);
  return m.model;
}

TEST(NormalizationGpu, MeanVarianceNormalization) {
  GRAFT_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims, axes;  // no axes: the default 0, 2, 3
  };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {}}, {{2, 3, 4, 5}, {2, 3}}, {{2, 3, 4, 5}, {1}}, {{4, 5, 6}, {0, 2}}, {{3, 20000}, {1}},
      {{2, 64, 32, 32}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("dims " + cpu::dims_str(c.dims) + " axes " + cpu::dims_str(c.axes));
    expect_gpu_matches_cpu(mvn_model(c.dims, c.axes, DataType::kFloat), 7, kFP32);
    expect_gpu_matches_cpu(mvn_model(c.dims, c.axes, DataType::kFloat16), 7, kF16Storage);
    expect_gpu_matches_cpu(mvn_model(c.dims, c.axes, DataType::kDouble), 7, kDouble);
    expect_gpu_matches_cpu(mvn_model(c.dims, c.axes, DataType::kFloat), 7, kFP16);
  }
}

TEST(NormalizationGpu, RefusesIntegers) {
  GRAFT_REQUIRE_GPU();
  const std::string message = build_error(mvn_model({2, 3, 4, 5}, {}, DataType::kInt32));
  EXPECT_NE(message.find("'n'"), std::string::npos) << message;
}

struct LrnCase {
  std::vector<int64_t> dims;
  int64_t size = 5;
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
};

Model lrn_model(const LrnCase& c, DataType dtype) {
  OpModel m(13);
  m.node("LRN", {m.input("x", c.dims, dtype)},
         {Attribute::of_int("size", c.size), Attribute::of_float("alpha", c.alpha), Attribute::of_float("beta", c.beta),
          Attribute::of_float("bias", c.bias)});
  return m.model;
}

TEST(NormalizationGpu, LocalResponseNormalization) {
  GRAFT_REQUIRE_GPU();
  const std::vector<LrnCase> cases = {
      {{2, 16, 7, 7}, 5, 1e-4f, 0.75f, 1.0f},  // AlexNet's
      {{1, 8, 5, 5}, 4, 0.5f, 0.75f, 2.0f},    // an even window: one more channel after than before
      {{3, 5}, 3, 2.0f, 1.5f, 0.5f},           // no spatial dims
      {{2, 3, 4, 5, 6}, 7, 1.0f, 0.5f, 1.0f},  // a window wider than the channels
      {{1, 1, 9}, 1, 3.0f, 1.0f, 1.0f},
      {{0, 4, 3, 3}, 5, 1e-4f, 0.75f, 1.0f},
  };
  for (const LrnCase& c : cases) {
    SCOPED_TRACE(cpu::dims_str(c.dims) + " size " + std::to_string(c.size));
    testing::expect_layer(lrn_model(c, DataType::kFloat), "LRN");
    expect_gpu_matches_cpu(lrn_model(c, DataType::kFloat), 1, kFP32);
    expect_gpu_matches_cpu(lrn_model(c, DataType::kFloat16), 2, kF16Storage);
    expect_gpu_matches_cpu(lrn_model(c, DataType::kDouble), 3, kDouble);
    expect_gpu_matches_cpu(lrn_model(c, DataType::kFloat), 4, kFP16);
  }
}

TEST(NormalizationGpu, LrnRefusesIntegers) {
  GRAFT_REQUIRE_GPU();
  const std::string message = build_error(lrn_model({{1, 4, 3, 3}}, DataType::kInt32));
  EXPECT_NE(message.find("'n' (LRN)"), std::string::npos) << message;
}

// BERT-base's LayerNorm over 8192 tokens, float16.
TEST(NormalizationGpu, LayerNormThroughput) {
  GRAFT_REQUIRE_GPU();
  const double bytes = 2.0 * 2 * 8192 * 768;  // read and write, 2 bytes each
  std::cout << testing::bandwidth_line("LayerNorm [8192, 768] float16",
                                       layer_norm_model({{8192, 768}}, DataType::kFloat16), Precision::kFP16, bytes)
            << "\n";
  std::cout << testing::bandwidth_line("LayerNorm [8192, 768] float32", layer_norm_model({{8192, 768}}, DataType::kFloat),
                                       Precision::kFP32, 2 * bytes)
            << "\n";
}

}  // namespace
}  // namespace graft::cuda
