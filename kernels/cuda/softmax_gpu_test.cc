// Softmax, LogSoftmax and Hardmax on the GPU against the CPU engine: opset 11 (2-D
// coercion at the axis) and 13 (one axis), rows short and long (in registers, and re-read
// past what registers hold), strided axes, float16 / double storage, FP16 precision, -inf
// masks, ties, empty tensors, errors; and the time of an attention-sized Softmax.
#include <gtest/gtest.h>

#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cuda/bandwidth_test_util.h"
#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using testing::build_error;
using testing::OpModel;

const std::vector<std::string> kOps = {"Softmax", "LogSoftmax", "Hardmax"};

struct SoftmaxCase {
  std::vector<int64_t> dims;
  int64_t opset = 13;
  std::optional<int64_t> axis;  // the opset's default when absent
};

Model softmax_model(const std::string& op, const SoftmaxCase& c, DataType dtype = DataType::kFloat) {
  OpModel m(c.opset);
  std::vector<Attribute> attrs;
  if (c.axis) attrs.push_back(Attribute::of_int("axis", *c.axis));
  m.node(op, {m.input("x", c.dims, dtype)}, attrs);
  return m.model;
}

std::string describe(const std::string& op, const SoftmaxCase& c) {
  return op + " opset " + std::to_string(c.opset) + " dims " + cpu::dims_str(c.dims) + " axis " +
         (c.axis ? std::to_string(*c.axis) : "default");
}

TEST(SoftmaxGpu, AxesAndOpsets) {
  GRAFT_REQUIRE_GPU();
  const std::vector<SoftmaxCase> cases = {
      {{2, 3, 4}, 11, {}},        {{2, 3, 4}, 11, 0},      {{2, 3, 4}, 11, -1},     {{2, 3, 4}, 13, {}},
      {{2, 3, 4}, 13, 1},         {{2, 3, 4}, 13, 0},      {{2, 21, 8, 8}, 13, 1},  {{2, 5, 16}, 13, 1},
      {{7}, 13, {}},              {{8, 768}, 13, {}},      {{3, 1001}, 13, {}},     {{4, 4096}, 13, {}},
      {{2, 30000}, 13, {}},       {{2, 100000}, 13, {}},   {{2, 4, 128, 128}, 13, {}}, {{3, 5, 6, 7}, 11, 2},
  };
  for (const std::string& op : kOps) {
    for (const SoftmaxCase& c : cases) {
      SCOPED_TRACE(describe(op, c));
      expect_gpu_matches_cpu(softmax_model(op, c), 3, {Precision::kFP32, 1e-4, 1e-5});
    }
  }
}

TEST(SoftmaxGpu, Float16DoubleAndFp16Precision) {
  GRAFT_REQUIRE_GPU();
  const std::vector<SoftmaxCase> cases = {
      {{2, 3, 4}, 13, 1}, {{8, 768}, 13, {}}, {{3, 1001}, 13, {}}, {{2, 21, 8, 8}, 13, 1}, {{4, 4096}, 11, 1},
      {{2, 70000}, 13, {}},
  };
  for (const std::string& op : kOps) {
    for (const SoftmaxCase& c : cases) {
      SCOPED_TRACE(describe(op, c));
      expect_gpu_matches_cpu(softmax_model(op, c, DataType::kFloat16), 4, {Precision::kFP32, 2e-3, 1e-4});
      expect_gpu_matches_cpu(softmax_model(op, c, DataType::kDouble), 4, {Precision::kFP32, 1e-9, 1e-12});
      // Rounding the input to half may move Hardmax's pick between near-equal values.
      if (op != "Hardmax") expect_gpu_matches_cpu(softmax_model(op, c), 4, {Precision::kFP16, 1e-2, 1e-3});
    }
  }
}

TEST(SoftmaxGpu, MasksTiesAndEmptyTensors) {
  GRAFT_REQUIRE_GPU();
  const float inf = std::numeric_limits<float>::infinity();
  const cpu::HostTensor x = testing::host_tensor<float>(
      DataType::kFloat, {4, 6},
      {0.5f, -inf, 2, -inf, 1, 0,        // masked entries
       -inf, -inf, -inf, -inf, -inf, -inf,  // all masked: NaN
       1, 3, 3, 2, 3, -1,                // ties: the first wins in Hardmax
       -2, -2, -2, -2, -2, -2});
  for (const std::string& op : kOps) {
    for (int64_t opset : {11, 13}) {
      SCOPED_TRACE(op + " opset " + std::to_string(opset));
      expect_gpu_matches_cpu(softmax_model(op, {{4, 6}, opset, {}}), {{"x", cpu::Value::of(x)}},
                             {Precision::kFP32, 1e-5, 1e-6});
      expect_gpu_matches_cpu(softmax_model(op, {{0, 5}, opset, {}}), 1);
      expect_gpu_matches_cpu(softmax_model(op, {{3, 0}, opset, {}}), 1);
    }
  }
}

TEST(SoftmaxGpu, RefusesIntegers) {
  GRAFT_REQUIRE_GPU();
  const std::string message = build_error(softmax_model("Softmax", {{3, 4}, 13, {}}, DataType::kInt32));
  EXPECT_NE(message.find("'n'"), std::string::npos) << message;
}

// Attention probabilities of BERT-base (batch 64, 12 heads, 128 tokens), float16.
TEST(SoftmaxGpu, AttentionThroughput) {
  GRAFT_REQUIRE_GPU();
  const std::vector<int64_t> dims = {64 * 12, 128, 128};
  const double bytes = 2.0 * 2 * (64 * 12 * 128 * 128);  // read and write, 2 bytes each
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    std::cout << testing::bandwidth_line(std::string(op) + " [768, 128, 128] float16",
                                         softmax_model(op, {dims, 13, {}}, DataType::kFloat16), Precision::kFP16, bytes)
              << "\n";
  }
  std::cout << testing::bandwidth_line("Softmax [768, 128, 128] float32", softmax_model("Softmax", {dims, 13, {}}),
                                       Precision::kFP32, 2 * bytes)
            << "\n";
}

}  // namespace
}  // namespace graft::cuda
